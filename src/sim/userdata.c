/*
 * userdata.c - the user-data events of spotsim's exchange (sim_exchange_publish in sim/exchange.h):
 * an executionReport for every event of a book result, formatted field for field as Binance sends it,
 * then one outboundAccountPosition per account listing the assets whose balance changed. Each event
 * goes to the network layer as bare JSON through hooks.user; wrapping and the hide_user_events fault
 * are the user-stream layer's business (sim/userstreams.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/exchange.h"
#include "spotbot/alloc.h"

#define USERDATA_MAX_JSON   4096 /* longest event; an executionReport needs under 1 KiB */
#define USERDATA_MAX_ASSETS 8    /* assets one account can change in one result (base, quote, fees) */

/* Execution ids ("I") are unique across the exchange, as on Binance. */
static int64_t next_execution_id = 1;

/* Appends ,"key":"<decimal with 8 places>". */
static void put_dec(struct sb_buf *b, const char *key, sb_dec v)
{
	sb_buf_putc(b, ',');
	sb_json_key(b, key);
	sb_json_dec(b, v);
}

/* Appends ,"key":"value". */
static void put_str(struct sb_buf *b, const char *key, const char *v)
{
	sb_buf_putc(b, ',');
	sb_json_key(b, key);
	sb_json_str(b, v);
}

/* Appends ,"key":<integer>. */
static void put_i64(struct sb_buf *b, const char *key, int64_t v)
{
	sb_buf_putc(b, ',');
	sb_json_key(b, key);
	sb_json_i64(b, v);
}

/* Appends ,"key":true or false. */
static void put_bool(struct sb_buf *b, const char *key, bool v)
{
	sb_buf_putc(b, ',');
	sb_json_key(b, key);
	sb_json_bool(b, v);
}

/* Assets one account's balances moved in, in the order they were first touched. */
struct touched {
	uint32_t account;                                    /* ledger id */
	int64_t time;                                        /* time of its last event ("u") */
	char assets[USERDATA_MAX_ASSETS][SIM_ASSET_MAX + 1]; /* changed assets */
	size_t n;                                            /* entries in assets */
};

static void touch_asset(struct touched *t, const char *asset)
{
	if (!asset || !*asset)
		return;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->assets[i], asset) == 0)
			return;
	if (t->n == USERDATA_MAX_ASSETS)
		return;
	snprintf(t->assets[t->n++], sizeof t->assets[0], "%s", asset);
}

static struct touched *touch_account(struct touched **list, size_t *n, size_t *cap, uint32_t account)
{
	for (size_t i = 0; i < *n; i++)
		if ((*list)[i].account == account)
			return &(*list)[i];
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*list = sb_xrealloc(*list, *cap * sizeof **list);
	}
	struct touched *t = &(*list)[(*n)++];
	memset(t, 0, sizeof *t);
	t->account = account;
	return t;
}

static void format_execution_report(struct sb_buf *b, const char *symbol, const struct sim_book_order *o,
                                    const struct sim_book_event *ev, int64_t exec_id)
{
	bool trade = ev->exec == SIM_EXEC_TRADE;
	bool canceled = ev->exec == SIM_EXEC_CANCELED;
	bool prevented = ev->exec == SIM_EXEC_TRADE_PREVENTION;
	bool working =
	    ev->exec == SIM_EXEC_NEW ||
	    ((trade || prevented) && (ev->status == SB_ORDER_NEW || ev->status == SB_ORDER_PARTIALLY_FILLED));
	/* A cancel reports the cancel request's own id in "c" and the order's in "C"; the book does not
	 * keep the request's id, so one is generated from the execution id. */
	char cancel_id[SIM_CLIENT_ID_MAX + 1];
	snprintf(cancel_id, sizeof cancel_id, "sim-cxl-%" PRId64, exec_id);

	sb_buf_puts(b, "{\"e\":\"executionReport\"");
	put_i64(b, "E", ev->time);
	put_str(b, "s", symbol);
	put_str(b, "c", canceled ? cancel_id : o->client_id);
	put_str(b, "S", sb_side_name(o->side));
	put_str(b, "o", sb_order_type_name(o->type));
	put_str(b, "f", sb_tif_name(o->tif));
	put_dec(b, "q", o->orig_qty);
	put_dec(b, "p", o->price);
	put_dec(b, "P", 0);
	put_dec(b, "F", 0);
	put_i64(b, "g", -1);
	put_str(b, "C", canceled ? o->client_id : "");
	put_str(b, "x", sim_book_exec_name(ev->exec));
	put_str(b, "X", sb_order_state_name(ev->status));
	put_str(b, "r", "NONE");
	sb_buf_printf(b, ",\"i\":%" PRIu64, o->id);
	put_dec(b, "l", trade ? ev->last_qty : 0);
	put_dec(b, "z", ev->executed_qty);
	put_dec(b, "L", trade ? ev->last_price : 0);
	if (trade && ev->commission_asset[0]) {
		put_dec(b, "n", ev->commission);
		put_str(b, "N", ev->commission_asset);
	} else {
		sb_buf_puts(b, ",\"n\":\"0\",\"N\":null");
	}
	put_i64(b, "T", ev->time);
	put_i64(b, "t", trade ? ev->trade_id : -1);
	if (prevented)
		put_i64(b, "v", ev->prevented_match_id);
	put_i64(b, "I", exec_id);
	put_bool(b, "w", working);
	put_bool(b, "m", trade && ev->is_maker);
	put_bool(b, "M", trade);
	put_i64(b, "O", o->time);
	put_dec(b, "Z", ev->cum_quote_qty);
	put_dec(b, "Y", trade ? ev->last_quote : 0);
	put_dec(b, "Q", o->orig_quote_qty);
	put_i64(b, "W", o->working_time);
	put_str(b, "V", sim_stp_name(o->stp));
	if (prevented) { /* spotsim has no trade groups: "u" is -1, as myPreventedMatches' tradeGroupId */
		put_dec(b, "A", ev->prevented_qty);
		put_dec(b, "B", ev->last_prevented_qty);
		put_i64(b, "u", -1);
		sb_buf_printf(b, ",\"U\":%" PRIu64, ev->counter_order_id);
	}
	if (ev->exec == SIM_EXEC_EXPIRED && ev->expiry != SIM_EXPIRY_NONE)
		put_str(b, "eR", sim_book_expiry_name(ev->expiry));
	sb_buf_putc(b, '}');
}

static void format_account_position(struct sb_buf *b, const struct sim_ledger *l, const struct touched *t)
{
	sb_buf_puts(b, "{\"e\":\"outboundAccountPosition\"");
	put_i64(b, "E", t->time);
	put_i64(b, "u", t->time);
	sb_buf_puts(b, ",\"B\":[");
	for (size_t i = 0; i < t->n; i++) {
		struct sim_ledger_asset a = {0};
		if (sim_ledger_balance(l, t->account, t->assets[i], &a) != SB_OK)
			continue;
		sb_buf_puts(b, "{\"a\":");
		sb_json_str(b, t->assets[i]);
		put_dec(b, "f", a.free);
		put_dec(b, "l", a.locked);
		sb_buf_puts(b, "},");
	}
	sb_buf_trim(b, ',');
	sb_buf_puts(b, "]}");
}

/* Hands the event in b to the network layer unless it overflowed, and empties b for the next one. */
static void send_event(struct sim_exchange *ex, uint32_t account, struct sb_buf *b)
{
	if (!b->overflow && ex->hooks.user)
		ex->hooks.user(ex->hooks.ctx, account, b->p, b->len);
	sb_buf_reset(b);
}

void sim_exchange_publish(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_book_result *res)
{
	if (!ex || !sym || !res || !sym->book || res->n_events == 0 || !ex->hooks.user)
		return;
	const char *symbol = sim_book_symbol(sym->book);
	const char *base = sim_book_base(sym->book);
	const char *quote = sim_book_quote(sym->book);
	struct touched *touched = NULL;
	size_t n_touched = 0, cap_touched = 0;
	struct sb_buf b;
	sb_buf_init(&b, USERDATA_MAX_JSON);

	for (size_t i = 0; i < res->n_events; i++) {
		const struct sim_book_event *ev = &res->events[i];
		if (ev->account == SIM_LEDGER_MARKET || ev->account == SIM_LEDGER_FEES)
			continue;
		const struct sim_book_order *o = sim_book_find(sym->book, ev->order_id);
		if (!o)
			continue;
		struct touched *t = touch_account(&touched, &n_touched, &cap_touched, ev->account);
		t->time = ev->time;
		/* NEW locks and CANCELED/EXPIRED/TRADE_PREVENTION release the asset an order pays with; a
		 * TRADE moves both assets and the commission's. */
		if (ev->exec == SIM_EXEC_TRADE) {
			touch_asset(t, base);
			touch_asset(t, quote);
			touch_asset(t, ev->commission_asset);
		} else {
			touch_asset(t, o->side == SB_SIDE_BUY ? quote : base);
		}
		format_execution_report(&b, symbol, o, ev, next_execution_id++);
		send_event(ex, ev->account, &b);
	}
	for (size_t i = 0; i < n_touched; i++) {
		format_account_position(&b, ex->ledger, &touched[i]);
		send_event(ex, touched[i].account, &b);
	}
	sb_buf_fini(&b);
	free(touched);
}

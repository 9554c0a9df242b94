/*
 * userdata.c - the user-data events of spotsim's exchange (sim_exchange_publish in sim/exchange.h):
 * an executionReport for every event of a book result, formatted field for field as Binance sends it,
 * then one outboundAccountPosition per account listing the assets whose balance changed. Each event
 * goes to the network layer as bare JSON through hooks.user; wrapping and the hide_user_events fault
 * are the user-stream layer's business (sim/userstreams.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exchange.h"
#include "spotbot/alloc.h"

#define USERDATA_MAX_JSON   4096 /* longest event; an executionReport needs under 1 KiB */
#define USERDATA_MAX_ASSETS 8    /* assets one account can change in one result (base, quote, fees) */

/* Execution ids ("I") are unique across the exchange, as on Binance. */
static int64_t next_execution_id = 1;

/* Fixed-size JSON text under construction; a write that does not fit marks it truncated. */
struct jbuf {
	char s[USERDATA_MAX_JSON]; /* the text, NUL-terminated */
	size_t len;                /* bytes used */
	bool truncated;            /* something did not fit: the event is dropped */
};

__attribute__((format(printf, 2, 3))) static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	if (b->truncated)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->len, sizeof b->s - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof b->s - b->len) {
		b->truncated = true;
		b->s[b->len] = '\0';
		return;
	}
	b->len += (size_t)n;
}

/* Appends ,"key":"<decimal with 8 places>". */
static void jb_dec(struct jbuf *b, const char *key, sb_dec v)
{
	char d[SB_DEC_STRLEN];
	sb_dec_format(v, d, sizeof d);
	jb_printf(b, ",\"%s\":\"%s\"", key, d);
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

static void format_execution_report(struct jbuf *b, const char *symbol, const struct sim_book_order *o,
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

	jb_printf(b, "{\"e\":\"executionReport\",\"E\":%" PRId64 ",\"s\":\"%s\",\"c\":\"%s\",\"S\":\"%s\"",
	          ev->time, symbol, canceled ? cancel_id : o->client_id, sb_side_name(o->side));
	jb_printf(b, ",\"o\":\"%s\",\"f\":\"%s\"", sb_order_type_name(o->type), sb_tif_name(o->tif));
	jb_dec(b, "q", o->orig_qty);
	jb_dec(b, "p", o->price);
	jb_dec(b, "P", 0);
	jb_dec(b, "F", 0);
	jb_printf(b, ",\"g\":-1,\"C\":\"%s\",\"x\":\"%s\",\"X\":\"%s\",\"r\":\"NONE\",\"i\":%" PRIu64,
	          canceled ? o->client_id : "", sim_book_exec_name(ev->exec), sb_order_state_name(ev->status),
	          o->id);
	jb_dec(b, "l", trade ? ev->last_qty : 0);
	jb_dec(b, "z", ev->executed_qty);
	jb_dec(b, "L", trade ? ev->last_price : 0);
	if (trade && ev->commission_asset[0]) {
		jb_dec(b, "n", ev->commission);
		jb_printf(b, ",\"N\":\"%s\"", ev->commission_asset);
	} else {
		jb_printf(b, ",\"n\":\"0\",\"N\":null");
	}
	jb_printf(b, ",\"T\":%" PRId64 ",\"t\":%" PRId64, ev->time, trade ? ev->trade_id : -1);
	if (prevented)
		jb_printf(b, ",\"v\":%" PRId64, ev->prevented_match_id);
	jb_printf(b, ",\"I\":%" PRId64, exec_id);
	jb_printf(b, ",\"w\":%s,\"m\":%s,\"M\":%s,\"O\":%" PRId64, working ? "true" : "false",
	          trade && ev->is_maker ? "true" : "false", trade ? "true" : "false", o->time);
	jb_dec(b, "Z", ev->cum_quote_qty);
	jb_dec(b, "Y", trade ? ev->last_quote : 0);
	jb_dec(b, "Q", o->orig_quote_qty);
	jb_printf(b, ",\"W\":%" PRId64 ",\"V\":\"%s\"", o->working_time, sim_stp_name(o->stp));
	if (prevented) { /* spotsim has no trade groups: "u" is -1, as myPreventedMatches' tradeGroupId */
		jb_dec(b, "A", ev->prevented_qty);
		jb_dec(b, "B", ev->last_prevented_qty);
		jb_printf(b, ",\"u\":-1,\"U\":%" PRIu64, ev->counter_order_id);
	}
	if (ev->exec == SIM_EXEC_EXPIRED && ev->expiry != SIM_EXPIRY_NONE)
		jb_printf(b, ",\"eR\":\"%s\"", sim_book_expiry_name(ev->expiry));
	jb_printf(b, "}");
}

static void format_account_position(struct jbuf *b, const struct sim_ledger *l, const struct touched *t)
{
	jb_printf(b, "{\"e\":\"outboundAccountPosition\",\"E\":%" PRId64 ",\"u\":%" PRId64 ",\"B\":[",
	          t->time, t->time);
	for (size_t i = 0; i < t->n; i++) {
		struct sim_ledger_asset a = {0};
		if (sim_ledger_balance(l, t->account, t->assets[i], &a) != SB_OK)
			continue;
		char f[SB_DEC_STRLEN], lk[SB_DEC_STRLEN];
		sb_dec_format(a.free, f, sizeof f);
		sb_dec_format(a.locked, lk, sizeof lk);
		jb_printf(b, "%s{\"a\":\"%s\",\"f\":\"%s\",\"l\":\"%s\"}", i ? "," : "", t->assets[i], f, lk);
	}
	jb_printf(b, "]}");
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
		struct jbuf b = {.len = 0};
		format_execution_report(&b, symbol, o, ev, next_execution_id++);
		if (!b.truncated && ex->hooks.user)
			ex->hooks.user(ex->hooks.ctx, ev->account, b.s, b.len);
	}
	for (size_t i = 0; i < n_touched; i++) {
		struct jbuf b = {.len = 0};
		format_account_position(&b, ex->ledger, &touched[i]);
		if (!b.truncated && ex->hooks.user)
			ex->hooks.user(ex->hooks.ctx, touched[i].account, b.s, b.len);
	}
	free(touched);
}

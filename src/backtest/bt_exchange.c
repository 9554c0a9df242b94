/*
 * bt_exchange.c - the operations of the exchange table on spotsim's exchange core (see bt_exchange.h):
 * each request is checked and executed as spotsim's API does it (sim/api_order.c), and its typed answer
 * is queued for the next pump with the events it caused.
 */
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_exchange_int.h"
#include "sim/ledger.h"
#include "spotbot/alloc.h"

#define BT_LIST_MAX 1000 /* orders in one openOrders answer, as spotsim's API */

static const struct sb_exchange_ops bt_ops;

/* The adapter behind ex, or NULL when ex is another implementation. */
static struct bt_exchange *bt_of(struct sb_exchange *ex)
{
	return ex && ex->ops == &bt_ops ? (struct bt_exchange *)ex : NULL;
}

static const struct bt_exchange *cbt(const struct sb_exchange *ex)
{
	return (const struct bt_exchange *)ex;
}

/* The listed symbol named name, or NULL with -1121 in it. */
static struct sim_symbol *symbol_or_fail(struct bt_exchange *x, const char *name, struct bt_item *it)
{
	struct sim_symbol *s = sim_exchange_symbol(x->sim, name, strlen(name));
	if (!s)
		bt_fail(it, 400, -1121, "Invalid symbol.");
	return s;
}

static void bt_free(struct sb_exchange *ex)
{
	struct bt_exchange *x = bt_self(ex);
	bt_queue_shutdown(x);
	memset(&x->sim->hooks, 0, sizeof x->sim->hooks);
	free(x->q);
	free(x->mk);
	free(x);
}

static sb_err bt_sync_time(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_TIME);
	it->cb.time = cb;
	it->user = user;
	it->u.time = bt_now(x);
	return SB_OK;
}

/* The daemon reads the same clock as the exchange: no offset. */
static int64_t bt_time_offset(const struct sb_exchange *ex)
{
	(void)ex;
	return 0;
}

static void info_add(struct sb_bn_exchange_info *info, const struct sim_symbol *s)
{
	info->symbols = sb_xrealloc(info->symbols, (info->n_symbols + 1) * sizeof *info->symbols);
	info->symbols[info->n_symbols++] = s->rules;
}

static sb_err bt_exchange_info(struct sb_exchange *ex, const char *const *symbols, size_t n,
                               sb_bn_rest_info_cb cb, void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_INFO);
	it->cb.info = cb;
	it->user = user;
	struct sb_bn_exchange_info *info = &it->u.info;
	info->server_time = bt_now(x);
	for (size_t i = 0; n == 0 && i < x->sim->nsymbols; i++)
		info_add(info, &x->sim->symbols[i]);
	for (size_t i = 0; i < n; i++) {
		const struct sim_symbol *s = symbol_or_fail(x, symbols[i], it);
		if (!s) {
			sb_bn_exchange_info_fini(info);
			return SB_OK;
		}
		info_add(info, s);
	}
	return SB_OK;
}

static sb_err bt_commission(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
                            void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_COMMISSION);
	it->cb.commission = cb;
	it->user = user;
	const struct sim_symbol *s = symbol_or_fail(x, symbol, it);
	if (!s)
		return SB_OK;
	struct sb_bn_commission *c = &it->u.commission;
	snprintf(c->symbol, sizeof c->symbol, "%s", s->rules.symbol);
	sim_ledger_rates(x->sim->ledger, x->account->id, &c->standard.maker, &c->standard.taker);
	c->discount_for_account = sim_ledger_bnb_fees(x->sim->ledger, x->account->id);
	c->discount_for_symbol = true;
	snprintf(c->discount_asset, sizeof c->discount_asset, "%s", SIM_LEDGER_BNB);
	c->discount = SIM_LEDGER_BNB_FACTOR;
	return SB_OK;
}

static sb_err bt_book_ticker_op(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb,
                                void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_TICKERS);
	it->cb.tickers = cb;
	it->user = user;
	const struct sim_symbol *only = symbol ? symbol_or_fail(x, symbol, it) : NULL;
	if (symbol && !only)
		return SB_OK;
	struct sb_bn_book_tickers *t = &it->u.tickers;
	t->items = sb_xcalloc(only || x->sim->nsymbols == 0 ? 1 : x->sim->nsymbols, sizeof *t->items);
	for (size_t i = 0; i < x->sim->nsymbols; i++)
		if (!only || only == &x->sim->symbols[i])
			bt_book_ticker(&x->sim->symbols[i], &t->items[t->n++]);
	return SB_OK;
}

/* The account's order on symbol named coid; NULL with unknown_code in the answer when there is none. */
static struct sim_book_order *find_order(struct bt_exchange *x, struct sim_symbol **sp, const char *symbol,
                                         const char *coid, struct bt_item *it, int64_t unknown_code,
                                         const char *unknown_msg)
{
	struct sim_symbol *s = symbol_or_fail(x, symbol, it);
	struct sim_book_order *o =
	    s ? sim_book_find_client(s->book, x->account->id, coid, strlen(coid)) : NULL;
	if (s && !o)
		bt_fail(it, 400, unknown_code, "%s", unknown_msg);
	*sp = s;
	return o;
}

static sb_err bt_order_query(struct sb_exchange *ex, const char *symbol, const char *coid,
                             sb_bn_rest_order_cb cb, void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_ORDER);
	it->cb.order = cb;
	it->user = user;
	struct sim_symbol *s;
	const struct sim_book_order *o = find_order(x, &s, symbol, coid, it, -2013, "Order does not exist.");
	if (o)
		bt_order(s, o, SB_BN_ORDER_QUERY, NULL, &it->u.order);
	return SB_OK;
}

static sb_err bt_order_cancel(struct sb_exchange *ex, const char *symbol, const char *coid,
                              sb_bn_rest_order_cb cb, void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_ORDER);
	it->cb.order = cb;
	it->user = user;
	struct sim_symbol *s;
	const struct sim_book_order *o = find_order(x, &s, symbol, coid, it, -2011, "Unknown order sent.");
	struct sim_book_result *res = &x->sim->scratch;
	sim_book_result_clear(res);
	if (!o)
		return SB_OK;
	if (sim_ledger_cancel(x->sim->ledger, s->book, o->id, bt_now(x), res) != SB_OK) {
		bt_fail(it, 400, -2011, "Unknown order sent."); /* no longer open */
		return SB_OK;
	}
	uint64_t id = o->id;
	sim_exchange_settled(x->sim, s, res);
	o = sim_book_find(s->book, id);
	bt_order(s, o, SB_BN_ORDER_CANCEL, NULL, &it->u.order);
	snprintf(it->u.order.orig_client_order_id, sizeof it->u.order.orig_client_order_id, "%s",
	         o->client_id);
	snprintf(it->u.order.client_order_id, sizeof it->u.order.client_order_id, "cancel-%llu",
	         (unsigned long long)id);
	bt_queue_user_events(x, s, res);
	bt_queue_market_events(x, s);
	return SB_OK;
}

static sb_err bt_open_orders(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb, void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_ORDERS);
	it->cb.orders = cb;
	it->user = user;
	const struct sim_symbol *only = symbol ? symbol_or_fail(x, symbol, it) : NULL;
	if (symbol && !only)
		return SB_OK;
	const struct sim_book_order *list[BT_LIST_MAX];
	struct sb_bn_order_list *l = &it->u.orders;
	for (size_t i = 0; i < x->sim->nsymbols; i++) {
		const struct sim_symbol *s = &x->sim->symbols[i];
		if (only && s != only)
			continue;
		size_t n = sim_book_open_orders(s->book, x->account->id, list, BT_LIST_MAX);
		n = n < BT_LIST_MAX ? n : BT_LIST_MAX;
		l->items = sb_xrealloc(l->items, (l->n + n + 1) * sizeof *l->items);
		for (size_t j = 0; j < n; j++)
			bt_order(s, list[j], SB_BN_ORDER_QUERY, NULL, &l->items[l->n++]);
	}
	return SB_OK;
}

static sb_err bt_my_trades(struct sb_exchange *ex, const char *symbol, int64_t order_id,
                           sb_bn_rest_trades_cb cb, void *user)
{
	struct bt_exchange *x = bt_self(ex);
	struct bt_item *it = bt_push(x, BT_ANSWER_TRADES);
	it->cb.trades = cb;
	it->user = user;
	const struct sim_symbol *s = symbol_or_fail(x, symbol, it);
	if (!s)
		return SB_OK;
	const struct sim_account *a = x->account;
	size_t first = (a->trades_next + SIM_TRADES_PER_ACCOUNT - a->ntrades) % SIM_TRADES_PER_ACCOUNT;
	struct sb_bn_my_trades *t = &it->u.trades;
	for (size_t k = 0; k < a->ntrades; k++) {
		const struct sim_trade_rec *r = &a->trades[(first + k) % SIM_TRADES_PER_ACCOUNT];
		if (r->symbol != s->index || (order_id >= 0 && r->order_id != (uint64_t)order_id))
			continue;
		t->items = sb_xrealloc(t->items, (t->n + 1) * sizeof *t->items);
		bt_my_trade(s, r, &t->items[t->n++]);
	}
	return SB_OK;
}

/* Streams start at once: the links come up, market data is refreshed and, as after every subscription
 * of the account's events, the owner is asked to reconcile. */
static void bt_streams_start(struct sb_exchange *ex, const char *const *symbols, size_t n)
{
	struct bt_exchange *x = bt_self(ex);
	if (x->started)
		return;
	x->started = true;
	for (size_t i = 0; i < n; i++) {
		struct sim_symbol *s = sim_exchange_symbol(x->sim, symbols[i], strlen(symbols[i]));
		if (s)
			x->mk[s->index].wanted = true;
	}
	bt_push(x, BT_EVENT_USER_LINK);
	bt_push(x, BT_EVENT_RECONCILE)->u.why = SB_BN_RECONCILE_SUBSCRIBED;
	bt_push(x, BT_EVENT_MARKET_LINK);
	bt_push(x, BT_EVENT_SNAPSHOT);
}

static sb_err market_want(struct sb_exchange *ex, const char *symbol, bool want)
{
	struct bt_exchange *x = bt_self(ex);
	if (!x->started)
		return SB_ERR_STATE;
	struct sim_symbol *s = sim_exchange_symbol(x->sim, symbol, strlen(symbol));
	if (!s)
		return want ? SB_ERR_INVALID : SB_ERR_NOT_FOUND;
	struct bt_market *m = &x->mk[s->index];
	if (!want && !m->wanted)
		return SB_ERR_NOT_FOUND;
	*m = (struct bt_market){.wanted = want};
	if (want)
		bt_queue_market_events(x, s);
	return SB_OK;
}

static sb_err bt_market_add(struct sb_exchange *ex, const char *symbol)
{
	return market_want(ex, symbol, true);
}

static sb_err bt_market_remove(struct sb_exchange *ex, const char *symbol)
{
	return market_want(ex, symbol, false);
}

static bool bt_started(const struct sb_exchange *ex)
{
	return cbt(ex)->started;
}

static void bt_stats(const struct sb_exchange *ex, struct sb_exchange_stats *out)
{
	*out = cbt(ex)->st;
	out->rest.queued = cbt(ex)->n - cbt(ex)->head;
}

static const struct sb_exchange_ops bt_ops = {
    .name = "spotsim",
    .free = bt_free,
    .sync_time = bt_sync_time,
    .time_offset = bt_time_offset,
    .exchange_info = bt_exchange_info,
    .commission = bt_commission,
    .book_ticker = bt_book_ticker_op,
    .order_place = bt_order_place,
    .order_query = bt_order_query,
    .order_cancel = bt_order_cancel,
    .open_orders = bt_open_orders,
    .my_trades = bt_my_trades,
    .streams_start = bt_streams_start,
    .market_add = bt_market_add,
    .market_remove = bt_market_remove,
    .market_synced = bt_started,
    .user_subscribed = bt_started,
    .stats = bt_stats,
};

static struct sim_account *account_of(struct sim_exchange *sim, const char *api_key)
{
	if (!api_key)
		return sim->naccounts > 0 ? &sim->accounts[0] : NULL;
	return sim_exchange_account(sim, api_key, strlen(api_key));
}

sb_err sb_bt_exchange_new(const struct sb_bt_exchange_opts *opts, const struct sb_exchange_events *ev,
                          struct sb_exchange **out)
{
	if (!opts || !opts->sim || !ev || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	struct sim_account *a = account_of(opts->sim, opts->api_key);
	if (!a)
		return SB_ERR_NOT_FOUND;
	struct bt_exchange *x = sb_xcalloc(1, sizeof *x);
	x->base.ops = &bt_ops;
	x->base.ev = *ev;
	x->sim = opts->sim;
	x->account = a;
	x->clock = opts->clock;
	x->seed = opts->seed;
	x->path_trades = opts->path_trades;
	x->mk = sb_xcalloc(opts->sim->nsymbols ? opts->sim->nsymbols : 1, sizeof *x->mk);
	bt_market_hooks(x);
	*out = &x->base;
	return SB_OK;
}

size_t sb_bt_exchange_pump(struct sb_exchange *ex)
{
	struct bt_exchange *x = bt_of(ex);
	return x ? bt_pump(x) : 0;
}

size_t sb_bt_exchange_pending(const struct sb_exchange *ex)
{
	const struct bt_exchange *x = ex && ex->ops == &bt_ops ? cbt(ex) : NULL;
	return x ? x->n - x->head : 0;
}

sb_err sb_bt_exchange_trade(struct sb_exchange *ex, const struct sb_bn_trade *t)
{
	struct bt_exchange *x = bt_of(ex);
	return x ? bt_market_trade(x, t) : SB_ERR_INVALID;
}

sb_err sb_bt_exchange_candle(struct sb_exchange *ex, const char *symbol, const struct sb_bn_candle *c)
{
	struct bt_exchange *x = bt_of(ex);
	return x ? bt_market_candle(x, symbol, c) : SB_ERR_INVALID;
}

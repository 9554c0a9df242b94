/*
 * sbtest_fakex.c - the scripted exchange: each operation records its request and returns SB_OK; the test
 * answers it later through the recorded callback, with the result struct the daemon's callbacks expect,
 * built here from the request as the exchange would describe the order (sbt_fakex_order, _report,
 * _my_trade).
 */
#include "sbtest_fakex.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/pairs.h"

static struct sbt_fakex *fx_of(struct sb_exchange *ex)
{
	return (struct sbt_fakex *)ex;
}

/* Records a request of kind on symbol (NULL: none); the caller fills in the rest, then calls done. */
static struct sbt_fakex_req *record(struct sb_exchange *ex, enum sbt_fakex_kind kind, const char *symbol,
                                    void *user)
{
	struct sbt_fakex *fx = fx_of(ex);
	cr_assert_lt(fx->n, SBT_FAKEX_REQS_MAX, "more requests than the fake records");
	struct sbt_fakex_req *r = &fx->req[fx->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	snprintf(r->symbol, sizeof r->symbol, "%s", symbol ? symbol : "");
	r->user = user;
	return r;
}

static sb_err done(struct sb_exchange *ex, const struct sbt_fakex_req *r)
{
	struct sbt_fakex *fx = fx_of(ex);
	if (fx->on_request)
		fx->on_request(fx->ctx, r);
	return SB_OK;
}

/* Ends request r with the failure res through the callback of its kind. */
static void end_failed(struct sbt_fakex_req *r, const struct sb_bn_rest_result *res)
{
	r->answered = true;
	switch (r->kind) {
	case SBT_FX_TIME:
		r->cb.time(r->user, res, 0);
		break;
	case SBT_FX_INFO:
		r->cb.info(r->user, res, NULL);
		break;
	case SBT_FX_COMMISSION:
		r->cb.commission(r->user, res, NULL);
		break;
	case SBT_FX_TICKER:
		r->cb.tickers(r->user, res, NULL);
		break;
	case SBT_FX_PLACE:
	case SBT_FX_QUERY:
	case SBT_FX_CANCEL:
		r->cb.order(r->user, res, NULL);
		break;
	case SBT_FX_OPEN_ORDERS:
		r->cb.orders(r->user, res, NULL);
		break;
	case SBT_FX_MY_TRADES:
		r->cb.trades(r->user, res, NULL);
		break;
	}
}

/* Ends request r with SB_ERR_SHUTDOWN, as an exchange being freed does. */
static void shut(struct sbt_fakex_req *r)
{
	struct sb_bn_rest_result res = {.err = SB_ERR_SHUTDOWN};
	end_failed(r, &res);
}

static void fx_free(struct sb_exchange *ex)
{
	struct sbt_fakex *fx = fx_of(ex);
	for (size_t i = 0; i < fx->n; i++)
		if (!fx->req[i].answered)
			shut(&fx->req[i]);
	free(fx);
}

static sb_err fx_sync_time(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_TIME, NULL, user);
	r->cb.time = cb;
	return done(ex, r);
}

static int64_t fx_time_offset(const struct sb_exchange *ex)
{
	(void)ex;
	return 0;
}

static sb_err fx_info(struct sb_exchange *ex, const char *const *symbols, size_t n, sb_bn_rest_info_cb cb,
                      void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_INFO, n == 1 ? symbols[0] : NULL, user);
	r->cb.info = cb;
	return done(ex, r);
}

static sb_err fx_commission(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
                            void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_COMMISSION, symbol, user);
	r->cb.commission = cb;
	return done(ex, r);
}

static sb_err fx_ticker(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb, void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_TICKER, symbol, user);
	r->cb.tickers = cb;
	return done(ex, r);
}

static sb_err fx_place(struct sb_exchange *ex, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                       void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_PLACE, o->symbol, user);
	snprintf(r->coid, sizeof r->coid, "%s", o->client_order_id ? o->client_order_id : "");
	r->order = *o;
	r->order.symbol = r->symbol;
	r->order.client_order_id = r->coid;
	r->cb.order = cb;
	return done(ex, r);
}

static sb_err by_coid(struct sb_exchange *ex, enum sbt_fakex_kind kind, const char *symbol, const char *coid,
                      sb_bn_rest_order_cb cb, void *user)
{
	struct sbt_fakex_req *r = record(ex, kind, symbol, user);
	snprintf(r->coid, sizeof r->coid, "%s", coid);
	r->cb.order = cb;
	return done(ex, r);
}

static sb_err fx_query(struct sb_exchange *ex, const char *symbol, const char *coid, sb_bn_rest_order_cb cb,
                       void *user)
{
	return by_coid(ex, SBT_FX_QUERY, symbol, coid, cb, user);
}

static sb_err fx_cancel(struct sb_exchange *ex, const char *symbol, const char *coid, sb_bn_rest_order_cb cb,
                        void *user)
{
	return by_coid(ex, SBT_FX_CANCEL, symbol, coid, cb, user);
}

static sb_err fx_open_orders(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb, void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_OPEN_ORDERS, symbol, user);
	r->cb.orders = cb;
	return done(ex, r);
}

static sb_err fx_my_trades(struct sb_exchange *ex, const char *symbol, int64_t order_id,
                           sb_bn_rest_trades_cb cb, void *user)
{
	struct sbt_fakex_req *r = record(ex, SBT_FX_MY_TRADES, symbol, user);
	r->order_id = order_id;
	r->cb.trades = cb;
	return done(ex, r);
}

static void fx_streams_start(struct sb_exchange *ex, const char *const *symbols, size_t n)
{
	(void)symbols;
	(void)n;
	fx_of(ex)->streams_started = true;
}

static sb_err fx_market(struct sb_exchange *ex, const char *symbol)
{
	(void)ex;
	(void)symbol;
	return SB_OK;
}

static bool fx_synced(const struct sb_exchange *ex)
{
	return ((const struct sbt_fakex *)ex)->streams_started;
}

static bool fx_subscribed(const struct sb_exchange *ex)
{
	return ((const struct sbt_fakex *)ex)->subscribed;
}

static void fx_stats(const struct sb_exchange *ex, struct sb_exchange_stats *out)
{
	out->rest.calls = ((const struct sbt_fakex *)ex)->n;
	out->rest.used_weight = ((const struct sbt_fakex *)ex)->used_weight;
}

static const struct sb_exchange_ops fx_ops = {
    .name = "fake",
    .free = fx_free,
    .sync_time = fx_sync_time,
    .time_offset = fx_time_offset,
    .exchange_info = fx_info,
    .commission = fx_commission,
    .book_ticker = fx_ticker,
    .order_place = fx_place,
    .order_query = fx_query,
    .order_cancel = fx_cancel,
    .open_orders = fx_open_orders,
    .my_trades = fx_my_trades,
    .streams_start = fx_streams_start,
    .market_add = fx_market,
    .market_remove = fx_market,
    .market_synced = fx_synced,
    .user_subscribed = fx_subscribed,
    .stats = fx_stats,
};

struct sbt_fakex *sbt_fakex_new(const struct sb_exchange_events *ev)
{
	struct sbt_fakex *fx = sb_xcalloc(1, sizeof *fx);
	fx->base.ops = &fx_ops;
	fx->base.ev = *ev;
	return fx;
}

int sbt_fakex_last(const struct sbt_fakex *fx, enum sbt_fakex_kind kind)
{
	for (size_t i = fx->n; i-- > 0;)
		if (fx->req[i].kind == kind)
			return (int)i;
	return -1;
}

int sbt_fakex_nth(const struct sbt_fakex *fx, enum sbt_fakex_kind kind, size_t n)
{
	for (size_t i = 0; i < fx->n; i++)
		if (fx->req[i].kind == kind && n-- == 0)
			return (int)i;
	return -1;
}

size_t sbt_fakex_count(const struct sbt_fakex *fx, enum sbt_fakex_kind kind)
{
	size_t k = 0;
	for (size_t i = 0; i < fx->n; i++)
		k += fx->req[i].kind == kind;
	return k;
}

/* Takes request i (of one of kinds a, b, c) for its answer; fails the test when it cannot be answered. */
static struct sbt_fakex_req *take(struct sbt_fakex *fx, size_t i, enum sbt_fakex_kind a,
                                  enum sbt_fakex_kind b, enum sbt_fakex_kind c)
{
	cr_assert_lt(i, fx->n, "request %zu was never made", i);
	struct sbt_fakex_req *r = &fx->req[i];
	cr_assert(!r->answered, "request %zu answered twice", i);
	cr_assert(r->kind == a || r->kind == b || r->kind == c, "request %zu is of another kind", i);
	r->answered = true;
	return r;
}

/* The test's delivery has been handled. */
static void delivered(struct sbt_fakex *fx)
{
	if (fx->on_delivered)
		fx->on_delivered(fx->ctx);
}

void sbt_fakex_answer_order(struct sbt_fakex *fx, size_t i, sb_err err, int64_t code,
                            struct sb_bn_order *order)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_PLACE, SBT_FX_QUERY, SBT_FX_CANCEL);
	struct sb_bn_rest_result res = {.err = err, .api = {.code = code}};
	if (code != 0)
		snprintf(res.api.msg, sizeof res.api.msg, "scripted error %lld", (long long)code);
	r->cb.order(r->user, &res, err == SB_OK ? order : NULL);
	delivered(fx);
}

void sbt_fakex_fail(struct sbt_fakex *fx, size_t i, sb_err err, int64_t code)
{
	cr_assert_neq(err, SB_OK, "a failure has an error");
	cr_assert_lt(i, fx->n, "request %zu was never made", i);
	enum sbt_fakex_kind k = fx->req[i].kind;
	struct sbt_fakex_req *r = take(fx, i, k, k, k);
	struct sb_bn_rest_result res = {.err = err, .api = {.code = code}};
	if (code != 0)
		snprintf(res.api.msg, sizeof res.api.msg, "scripted error %lld", (long long)code);
	end_failed(r, &res);
	delivered(fx);
}

void sbt_fakex_answer_trades(struct sbt_fakex *fx, size_t i, struct sb_bn_my_trades *trades)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_MY_TRADES, SBT_FX_MY_TRADES, SBT_FX_MY_TRADES);
	struct sb_bn_rest_result res = {.err = SB_OK};
	r->cb.trades(r->user, &res, trades);
	delivered(fx);
}

void sbt_fakex_answer_orders(struct sbt_fakex *fx, size_t i, struct sb_bn_order_list *list)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_OPEN_ORDERS, SBT_FX_OPEN_ORDERS, SBT_FX_OPEN_ORDERS);
	struct sb_bn_rest_result res = {.err = SB_OK};
	r->cb.orders(r->user, &res, list);
	delivered(fx);
}

void sbt_fakex_answer_time(struct sbt_fakex *fx, size_t i, int64_t server_ms)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_TIME, SBT_FX_TIME, SBT_FX_TIME);
	struct sb_bn_rest_result res = {.err = SB_OK};
	r->cb.time(r->user, &res, server_ms);
	delivered(fx);
}

void sbt_fakex_answer_info(struct sbt_fakex *fx, size_t i, const struct sb_symbol_rules *rules, size_t n)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_INFO, SBT_FX_INFO, SBT_FX_INFO);
	struct sb_symbol_rules copy[SB_PAIRS_MAX];
	cr_assert_leq(n, SB_PAIRS_MAX);
	memcpy(copy, rules, n * sizeof *rules);
	struct sb_bn_exchange_info info = {.server_time = 0, .symbols = copy, .n_symbols = n};
	struct sb_bn_rest_result res = {.err = SB_OK};
	r->cb.info(r->user, &res, &info);
	delivered(fx);
}

void sbt_fakex_answer_commission(struct sbt_fakex *fx, size_t i, const char *maker, const char *taker)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_COMMISSION, SBT_FX_COMMISSION, SBT_FX_COMMISSION);
	struct sb_bn_commission cm = {.standard = {.maker = sbt_dec(maker), .taker = sbt_dec(taker)}};
	snprintf(cm.symbol, sizeof cm.symbol, "%s", r->symbol);
	struct sb_bn_rest_result res = {.err = SB_OK};
	r->cb.commission(r->user, &res, &cm);
	delivered(fx);
}

void sbt_fakex_answer_ticker(struct sbt_fakex *fx, size_t i, const char *bid, const char *ask)
{
	struct sbt_fakex_req *r = take(fx, i, SBT_FX_TICKER, SBT_FX_TICKER, SBT_FX_TICKER);
	struct sb_bn_book_ticker t = {.update_id = -1, .bid_price = sbt_dec(bid), .ask_price = sbt_dec(ask)};
	snprintf(t.symbol, sizeof t.symbol, "%s", r->symbol);
	t.bid_qty = t.ask_qty = sbt_dec("1");
	struct sb_bn_book_tickers list = {.items = &t, .n = 1};
	struct sb_bn_rest_result res = {.err = SB_OK};
	r->cb.tickers(r->user, &res, &list);
	delivered(fx);
}

struct sb_bn_order sbt_fakex_order(const struct sbt_fakex_req *r, int64_t order_id, enum sb_order_state st,
                                   sb_dec executed, sb_dec quote, int64_t at_ms)
{
	struct sb_bn_order o = {.shape = SB_BN_ORDER_QUERY,
	                        .order_id = order_id,
	                        .order_list_id = -1,
	                        .transact_time = -1,
	                        .price = r->order.price,
	                        .orig_qty = r->order.quantity,
	                        .executed_qty = executed,
	                        .cum_quote_qty = quote,
	                        .status = st,
	                        .type = r->order.type,
	                        .side = r->order.side,
	                        .working_time = -1,
	                        .prevented_match_id = -1,
	                        .time = at_ms,
	                        .update_time = at_ms};
	snprintf(o.symbol, sizeof o.symbol, "%s", r->symbol);
	snprintf(o.client_order_id, sizeof o.client_order_id, "%s", r->coid);
	return o;
}

static enum sb_bn_exec_type exec_type_of(enum sb_order_state st)
{
	switch (st) {
	case SB_ORDER_CANCELED:
		return SB_BN_EXEC_CANCELED;
	case SB_ORDER_EXPIRED:
		return SB_BN_EXEC_EXPIRED;
	case SB_ORDER_EXPIRED_IN_MATCH:
		return SB_BN_EXEC_TRADE_PREVENTION;
	case SB_ORDER_REJECTED:
		return SB_BN_EXEC_REJECTED;
	default:
		return SB_BN_EXEC_NEW;
	}
}

struct sb_bn_user_event sbt_fakex_report(const struct sbt_fakex_req *r, int64_t order_id,
                                         enum sb_order_state st, const struct sb_fill *f, sb_dec cum_qty,
                                         sb_dec cum_quote, int64_t at_ms)
{
	struct sb_bn_user_event ev = {.kind = SB_BN_USER_EXEC_REPORT, .event_time = at_ms};
	struct sb_bn_exec_report *x = &ev.u.exec;
	snprintf(x->symbol, sizeof x->symbol, "%s", r->symbol);
	snprintf(x->client_order_id, sizeof x->client_order_id, "%s", r->coid);
	x->side = r->order.side;
	x->type = r->order.type;
	x->qty = r->order.quantity;
	x->price = r->order.price;
	x->order_list_id = -1;
	x->exec_type = f ? SB_BN_EXEC_TRADE : exec_type_of(st);
	x->status = st;
	x->order_id = order_id;
	x->cum_qty = cum_qty;
	x->cum_quote_qty = cum_quote;
	x->transact_time = at_ms;
	x->trade_id = -1;
	x->working_time = -1;
	x->prevented_match_id = -1;
	if (f) {
		x->last_qty = f->qty;
		x->last_price = f->price;
		x->last_quote_qty = f->quote_qty;
		x->commission = f->commission;
		snprintf(x->commission_asset, sizeof x->commission_asset, "%s", f->commission_asset);
		x->trade_id = f->trade_id;
		x->execution_id = f->trade_id;
	}
	return ev;
}

struct sb_bn_my_trade sbt_fakex_my_trade(const struct sbt_fakex_req *r, int64_t order_id,
                                         const struct sb_fill *f, int64_t at_ms)
{
	struct sb_bn_my_trade t = {.id = f->trade_id,
	                           .order_id = order_id,
	                           .order_list_id = -1,
	                           .price = f->price,
	                           .qty = f->qty,
	                           .quote_qty = f->quote_qty,
	                           .commission = f->commission,
	                           .time = at_ms,
	                           .is_buyer = r->order.side == SB_SIDE_BUY};
	snprintf(t.symbol, sizeof t.symbol, "%s", r->symbol);
	snprintf(t.commission_asset, sizeof t.commission_asset, "%s", f->commission_asset);
	return t;
}

void sbt_fakex_book(struct sbt_fakex *fx, const char *symbol, const char *bid, const char *ask)
{
	struct sb_bn_book_ticker t = {.update_id = 1, .bid_price = sbt_dec(bid), .ask_price = sbt_dec(ask)};
	snprintf(t.symbol, sizeof t.symbol, "%s", symbol);
	t.bid_qty = t.ask_qty = sbt_dec("1");
	struct sb_bn_market_event ev = {
	    .kind = SB_BN_MKT_BOOK_TICKER, .book_ticker = &t, .conn = 1, .recv_ns = sb_clock_mono_ns()};
	fx->base.ev.market.event(fx->base.ev.user, &ev);
	delivered(fx);
}

void sbt_fakex_user(struct sbt_fakex *fx, const struct sb_bn_user_event *ev)
{
	fx->base.ev.account.event(fx->base.ev.user, ev);
	delivered(fx);
}

void sbt_fakex_reconcile(struct sbt_fakex *fx, enum sb_bn_reconcile_reason why)
{
	fx->base.ev.account.reconcile(fx->base.ev.user, why);
	delivered(fx);
}

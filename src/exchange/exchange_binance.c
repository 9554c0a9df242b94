/*
 * exchange_binance.c - Binance behind the exchange table: each operation is one call of the REST client
 * or of a stream, with the same callback; nothing is added to a request's timing.
 *
 * The glue is the server-time offset: the REST client measures it, and the user data stream needs it to
 * sign its subscription, so a successful time request hands it over before its caller hears of it, and a
 * stream that starts later gets the offset measured by then.
 *
 * And orders: a new order goes as order.place on the user data stream's connection, already open and
 * authenticated, when it is subscribed, and over REST otherwise (not yet connected, reconnecting). Either
 * way it is sent once: the stream refuses before sending anything, or ends the order with the same
 * callback and the same result codes as REST (a lost answer is an unknown outcome on both paths). The
 * request weight that WebSocket API answers report is counted in the REST client's weight.
 */
#include "spotbot/exchange_binance.h"

#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/log.h"

struct bn_exchange {
	struct sb_exchange base;              /* must come first: the daemon holds a struct sb_exchange * */
	uv_loop_t *loop;                      /* the loop of every client */
	struct sb_ws_ctx *ws;                 /* lws context of the streams (borrowed) */
	struct sb_bn_rest *rest;              /* REST client */
	struct sb_bn_user_stream *us;         /* user data stream; NULL until started */
	struct sb_bn_market_stream *ms;       /* market streams; NULL until started */
	struct sb_exchange_binance_opts opts; /* the streams' options, kept until they start */
	char *strs[5];                        /* the copies opts' stream strings point to (owned) */
	bool resyncing;                       /* a time request for the user stream is out */
};

struct time_call {
	struct bn_exchange *x; /* the exchange */
	sb_bn_rest_time_cb cb; /* the caller's callback */
	void *user;            /* its argument */
};

static struct bn_exchange *bx(struct sb_exchange *ex)
{
	return (struct bn_exchange *)ex;
}

static const struct bn_exchange *cbx(const struct sb_exchange *ex)
{
	return (const struct bn_exchange *)ex;
}

static void bn_free(struct sb_exchange *ex)
{
	struct bn_exchange *x = bx(ex);
	sb_bn_market_stream_free(x->ms);
	x->ms = NULL;
	sb_bn_user_stream_free(x->us);
	x->us = NULL;
	sb_bn_rest_free(x->rest);
	for (size_t i = 0; i < sizeof x->strs / sizeof x->strs[0]; i++)
		free(x->strs[i]);
	free(x);
}

static void on_time(void *user, const struct sb_bn_rest_result *res, int64_t server_ms)
{
	struct time_call *c = user;
	if (res->err == SB_OK && c->x->us)
		sb_bn_user_stream_set_time_offset(c->x->us, sb_bn_rest_time_offset(c->x->rest));
	c->cb(c->user, res, server_ms);
	free(c);
}

static sb_err bn_sync_time(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user)
{
	struct time_call *c = sb_xcalloc(1, sizeof *c);
	*c = (struct time_call){.x = bx(ex), .cb = cb, .user = user};
	sb_err err = sb_bn_rest_sync_time(bx(ex)->rest, on_time, c);
	if (err != SB_OK)
		free(c);
	return err;
}

static int64_t bn_time_offset(const struct sb_exchange *ex)
{
	return sb_bn_rest_time_offset(cbx(ex)->rest);
}

static sb_err bn_exchange_info(struct sb_exchange *ex, const char *const *symbols, size_t n,
                               sb_bn_rest_info_cb cb, void *user)
{
	return sb_bn_rest_exchange_info(bx(ex)->rest, symbols, n, cb, user);
}

static sb_err bn_commission(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
                            void *user)
{
	return sb_bn_rest_commission(bx(ex)->rest, symbol, cb, user);
}

static sb_err bn_book_ticker(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb, void *user)
{
	return sb_bn_rest_book_ticker(bx(ex)->rest, symbol, cb, user);
}

static sb_err bn_order_place(struct sb_exchange *ex, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                             void *user)
{
	struct bn_exchange *x = bx(ex);
	if (x->us && sb_bn_user_stream_order_place(x->us, o, cb, user) == SB_OK)
		return SB_OK;
	return sb_bn_rest_order_place(x->rest, o, cb, user);
}

static sb_err bn_order_query(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
                             sb_bn_rest_order_cb cb, void *user)
{
	return sb_bn_rest_order_query(bx(ex)->rest, symbol, 0, client_order_id, cb, user);
}

static sb_err bn_order_cancel(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
                              sb_bn_rest_order_cb cb, void *user)
{
	return sb_bn_rest_order_cancel(bx(ex)->rest, symbol, 0, client_order_id, cb, user);
}

static sb_err bn_open_orders(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb, void *user)
{
	return sb_bn_rest_open_orders(bx(ex)->rest, symbol, cb, user);
}

static sb_err bn_my_trades(struct sb_exchange *ex, const char *symbol, int64_t order_id,
                           sb_bn_rest_trades_cb cb, void *user)
{
	struct sb_bn_rest_filter f;
	sb_bn_rest_filter_init(&f, symbol);
	f.order_id = order_id;
	return sb_bn_rest_my_trades(bx(ex)->rest, &f, cb, user);
}

static void on_resynced(void *user, const struct sb_bn_rest_result *res, int64_t server_ms)
{
	(void)server_ms;
	struct bn_exchange *x = user;
	x->resyncing = false;
	if (res->err == SB_OK && x->us)
		sb_bn_user_stream_set_time_offset(x->us, sb_bn_rest_time_offset(x->rest));
}

/* The user stream's request was refused for its timestamp: the offset it signs with is measured again. */
static void user_time_refused(void *ctx)
{
	struct bn_exchange *x = ctx;
	if (x->resyncing)
		return;
	x->resyncing = sb_bn_rest_sync_time(x->rest, on_resynced, x) == SB_OK;
}

/* A WebSocket API answer's REQUEST_WEIGHT: the same per-IP minute the REST client gates on. */
static void user_weight_seen(void *ctx, int64_t used)
{
	struct bn_exchange *x = ctx;
	sb_bn_rest_observe_weight(x->rest, used);
}

static void start_user(struct bn_exchange *x)
{
	x->opts.user.time_refused = user_time_refused;
	x->opts.user.time_ctx = x;
	x->opts.user.weight_seen = user_weight_seen;
	x->opts.user.weight_ctx = x;
	x->opts.user.observe = x->opts.rest.observe; /* one latency histogram for both paths */
	x->opts.user.observe_ctx = x->opts.rest.observe_user;
	sb_err err = sb_bn_user_stream_new(x->loop, x->ws, &x->opts.user, &x->base.ev.account,
	                                   x->base.ev.user, &x->us);
	if (err != SB_OK)
		sb_log_error("exchange", SB_FIELDS(SB_F_ERR(err)), "user data stream could not start");
	else
		sb_bn_user_stream_set_time_offset(x->us, sb_bn_rest_time_offset(x->rest));
}

static void start_market(struct bn_exchange *x, const char *const *symbols, size_t n)
{
	sb_err err = sb_bn_market_stream_new(x->loop, x->ws, &x->opts.market, &x->base.ev.market,
	                                     x->base.ev.user, symbols, n, &x->ms);
	if (err != SB_OK)
		sb_log_error("exchange", SB_FIELDS(SB_F_ERR(err)), "market stream could not start");
}

static void bn_streams_start(struct sb_exchange *ex, const char *const *symbols, size_t n)
{
	struct bn_exchange *x = bx(ex);
	if (!x->us)
		start_user(x);
	if (!x->ms)
		start_market(x, symbols, n);
}

static sb_err bn_market_add(struct sb_exchange *ex, const char *symbol)
{
	struct bn_exchange *x = bx(ex);
	return x->ms ? sb_bn_market_stream_add(x->ms, symbol, NULL) : SB_ERR_STATE;
}

static sb_err bn_market_remove(struct sb_exchange *ex, const char *symbol)
{
	struct bn_exchange *x = bx(ex);
	return x->ms ? sb_bn_market_stream_remove(x->ms, symbol) : SB_ERR_STATE;
}

static bool bn_market_synced(const struct sb_exchange *ex)
{
	const struct bn_exchange *x = cbx(ex);
	return x->ms && sb_bn_market_stream_synced(x->ms);
}

static bool bn_user_subscribed(const struct sb_exchange *ex)
{
	const struct bn_exchange *x = cbx(ex);
	return x->us && sb_bn_user_stream_subscribed(x->us);
}

static void bn_stats(const struct sb_exchange *ex, struct sb_exchange_stats *out)
{
	const struct bn_exchange *x = cbx(ex);
	sb_bn_rest_stats(x->rest, &out->rest);
	if (x->ms)
		sb_bn_market_stream_stats(x->ms, &out->market);
	if (x->us)
		sb_bn_user_stream_stats(x->us, &out->user);
}

static const struct sb_exchange_ops bn_ops = {
    .name = "binance",
    .free = bn_free,
    .sync_time = bn_sync_time,
    .time_offset = bn_time_offset,
    .exchange_info = bn_exchange_info,
    .commission = bn_commission,
    .book_ticker = bn_book_ticker,
    .order_place = bn_order_place,
    .order_query = bn_order_query,
    .order_cancel = bn_order_cancel,
    .open_orders = bn_open_orders,
    .my_trades = bn_my_trades,
    .streams_start = bn_streams_start,
    .market_add = bn_market_add,
    .market_remove = bn_market_remove,
    .market_synced = bn_market_synced,
    .user_subscribed = bn_user_subscribed,
    .stats = bn_stats,
};

/* Keeps a copy of *s in x (a NULL stays NULL) and points *s at it. */
static void keep(struct bn_exchange *x, size_t i, const char **s)
{
	x->strs[i] = *s ? sb_xstrdup(*s) : NULL;
	*s = x->strs[i];
}

sb_err sb_exchange_binance_new(uv_loop_t *loop, struct sb_ws_ctx *ws,
                               const struct sb_exchange_binance_opts *opts,
                               const struct sb_exchange_events *ev, struct sb_exchange **out)
{
	if (!loop || !ws || !opts || !ev || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	struct bn_exchange *x = sb_xcalloc(1, sizeof *x);
	x->base.ops = &bn_ops;
	x->base.ev = *ev;
	x->loop = loop;
	x->ws = ws;
	x->opts = *opts;
	keep(x, 0, &x->opts.user.url);
	keep(x, 1, &x->opts.user.ca_file);
	keep(x, 2, &x->opts.user.api_key);
	keep(x, 3, &x->opts.market.base_url);
	keep(x, 4, &x->opts.market.ca_file);
	sb_err err = sb_bn_rest_new(loop, &opts->rest, &x->rest);
	if (err != SB_OK) {
		bn_free(&x->base);
		return err;
	}
	*out = &x->base;
	return SB_OK;
}

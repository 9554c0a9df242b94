/*
 * The Binance REST client against the real spotsim over loopback: every call returns typed results, an
 * order's life cycle, fills with commission, and every fault the layer must absorb: a 5xx after or
 * before execution, a response slower than the timeout, a 429 pause, a 418 ban, a skewed server clock.
 * Each test drives the libuv loop until what it waits for has happened, with a deadline, never a sleep;
 * faults are switched through spotsim's /sim/fault endpoint while the loop stands still.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"
#include "sbtest_loop.h"
#include "sbtest_sim.h"
#include "spotbot/binance_rest.h"
#include "spotbot/clock.h"

#define KEY         "rest-key"
#define SECRET      "rest-secret-0123456789"
#define DEADLINE_MS 8000

static struct sbt_proc sim;
static uv_loop_t loop;
static struct sb_bn_rest *rest;
static char base_url[64];

static struct sb_bn_rest *client(uint32_t timeout_ms, int64_t weight_limit, unsigned margin)
{
	struct sb_bn_rest_opts o = {.base_url = base_url,
	                            .api_key = KEY,
	                            .hmac_secret = SECRET,
	                            .timeout_ms = timeout_ms,
	                            .weight_limit = weight_limit,
	                            .margin_pct = margin};
	struct sb_bn_rest *r = NULL;
	cr_assert_eq(sb_bn_rest_new(&loop, &o, &r), SB_OK);
	return r;
}

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "11",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	snprintf(base_url, sizeof base_url, "http://127.0.0.1:%d", sim.port);
	cr_assert_eq(uv_loop_init(&loop), 0);
	rest = client(3000, 0, 0);
}

static void stop(void)
{
	sb_bn_rest_free(rest);
	rest = NULL;
	/* A callback's uv_stop may still be pending: run until nothing is left. */
	while (uv_run(&loop, UV_RUN_DEFAULT) != 0)
		;
	int closed = uv_loop_close(&loop);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
	cr_assert_eq(closed, 0, "every handle closed");
}

TestSuite(rest_api_sim, .init = start, .fini = stop, .timeout = 90);

/* ---- driving the loop ---- */

typedef bool (*pred_fn)(const void *arg);

static void run_until(pred_fn pred, const void *arg, int ms, const char *what)
{
	SBT_RUN_UNTIL_WHAT(&loop, pred(arg), ms, what);
}

/* What one call came to; the typed payload is moved out of the callback. */
struct got {
	bool done;
	int calls;
	struct sb_bn_rest_result res;
	int64_t time;
	struct sb_bn_exchange_info info;
	struct sb_bn_book_tickers tickers;
	struct sb_bn_candles candles;
	struct sb_bn_account account;
	struct sb_bn_commission commission;
	struct sb_bn_order order;
	struct sb_bn_order_list orders;
	struct sb_bn_my_trades trades;
};

static bool is_done(const void *arg)
{
	return ((const struct got *)arg)->done;
}

static void wait_for(struct got *g)
{
	run_until(is_done, g, DEADLINE_MS, "a callback");
	cr_assert_eq(g->calls, 1, "exactly one callback");
}

static void got_fini(struct got *g)
{
	sb_bn_exchange_info_fini(&g->info);
	sb_bn_book_tickers_fini(&g->tickers);
	sb_bn_candles_fini(&g->candles);
	sb_bn_account_fini(&g->account);
	sb_bn_order_fini(&g->order);
	sb_bn_order_list_fini(&g->orders);
	sb_bn_my_trades_fini(&g->trades);
	memset(g, 0, sizeof *g);
}

static void mark(struct got *g, const struct sb_bn_rest_result *res)
{
	g->done = true;
	g->calls++;
	g->res = *res;
}

/* Moves *src into *dst, leaving src empty for the layer to release. */
#define TAKE(dst, src)                                                                                       \
	do {                                                                                                 \
		if (src) {                                                                                   \
			memcpy(&(dst), (src), sizeof(dst));                                                  \
			memset((src), 0, sizeof(dst));                                                       \
		}                                                                                            \
	} while (0)

static void on_time(void *u, const struct sb_bn_rest_result *res, int64_t t)
{
	mark(u, res);
	((struct got *)u)->time = t;
}
static void on_info(void *u, const struct sb_bn_rest_result *res, struct sb_bn_exchange_info *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->info, x);
}
static void on_tickers(void *u, const struct sb_bn_rest_result *res, struct sb_bn_book_tickers *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->tickers, x);
}
static void on_candles(void *u, const struct sb_bn_rest_result *res, struct sb_bn_candles *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->candles, x);
}
static void on_account(void *u, const struct sb_bn_rest_result *res, struct sb_bn_account *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->account, x);
}
static void on_commission(void *u, const struct sb_bn_rest_result *res, struct sb_bn_commission *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->commission, x);
}
static void on_order(void *u, const struct sb_bn_rest_result *res, struct sb_bn_order *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->order, x);
}
static void on_orders(void *u, const struct sb_bn_rest_result *res, struct sb_bn_order_list *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->orders, x);
}
static void on_trades(void *u, const struct sb_bn_rest_result *res, struct sb_bn_my_trades *x)
{
	mark(u, res);
	TAKE(((struct got *)u)->trades, x);
}

static void expect_ok(const struct got *g)
{
	cr_assert_eq(g->res.err, SB_OK, "%s: HTTP %ld code %lld %s %s", sb_errname(g->res.err),
	             g->res.http_status, (long long)g->res.api.code, g->res.api.msg, g->res.detail);
}

static void fault(const char *name, const char *value)
{
	char spec[96];
	snprintf(spec, sizeof spec, "%s&value=%s", name, value);
	sbt_sim_fault(sim.port, spec);
}

static void sync_time(void)
{
	struct got g = {0};
	cr_assert_eq(sb_bn_rest_sync_time(rest, on_time, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
}

/* The best bid of BTCUSDT. */
static sb_dec best_bid(void)
{
	struct got g = {0};
	cr_assert_eq(sb_bn_rest_book_ticker(rest, "BTCUSDT", on_tickers, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.tickers.n, 1);
	sb_dec bid = g.tickers.items[0].bid_price;
	got_fini(&g);
	cr_assert_gt(bid, 0);
	return bid;
}

/* 10% under the bid, on the 0.01 tick: a BUY that rests. */
static sb_dec resting_price(void)
{
	int64_t cents = best_bid() / 1000000;
	return (cents * 9 / 10) * 1000000;
}

static void place(struct sb_bn_rest *r, const struct sb_bn_new_order *o, struct got *g)
{
	memset(g, 0, sizeof *g);
	cr_assert_eq(sb_bn_rest_order_place(r, o, on_order, g), SB_OK);
	wait_for(g);
}

static void query(const char *coid, int64_t id, struct got *g)
{
	memset(g, 0, sizeof *g);
	cr_assert_eq(sb_bn_rest_order_query(rest, "BTCUSDT", id, coid, on_order, g), SB_OK);
	wait_for(g);
}

static struct sb_bn_new_order limit_buy(const char *coid, sb_dec price)
{
	return (struct sb_bn_new_order){.symbol = "BTCUSDT",
	                                .side = SB_SIDE_BUY,
	                                .type = SB_ORDER_LIMIT,
	                                .tif = SB_TIF_GTC,
	                                .quantity = SB_DEC_C(0, 1000000), /* 0.01 */
	                                .price = price,
	                                .client_order_id = coid};
}

/* ---- calls ---- */

Test(rest_api_sim, public_calls_return_typed_results)
{
	struct got g = {0};
	int64_t before = sb_clock_wall_ms();
	cr_assert_eq(sb_bn_rest_sync_time(rest, on_time, &g), SB_OK);
	cr_assert_not(g.done, "never called back inside the call");
	wait_for(&g);
	expect_ok(&g);
	cr_assert(g.time >= before - 1000 && g.time <= sb_clock_wall_ms() + 1000);
	cr_assert(llabs(sb_bn_rest_time_offset(rest)) < 200, "offset %lld",
	          (long long)sb_bn_rest_time_offset(rest));
	got_fini(&g);

	cr_assert_eq(sb_bn_rest_exchange_info(rest, NULL, 0, on_info, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.info.n_symbols, 2);
	cr_assert_not_null(sb_bn_exchange_info_symbol(&g.info, "BNBUSDT"));
	cr_assert_gt(g.info.n_rate_limits, 0);
	got_fini(&g);
	const char *one[] = {"BTCUSDT"};
	cr_assert_eq(sb_bn_rest_exchange_info(rest, one, 1, on_info, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.info.n_symbols, 1);
	cr_assert_str_eq(g.info.symbols[0].symbol, "BTCUSDT");
	got_fini(&g);
	const char *two[] = {"BNBUSDT", "BTCUSDT"};
	cr_assert_eq(sb_bn_rest_exchange_info(rest, two, 2, on_info, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.info.n_symbols, 2);
	got_fini(&g);
	const char *bad[] = {"NOPEUSDT"};
	cr_assert_eq(sb_bn_rest_exchange_info(rest, bad, 1, on_info, &g), SB_OK);
	wait_for(&g);
	cr_assert_eq(g.res.err, SB_ERR_EXCHANGE);
	cr_assert_eq(g.res.api.code, -1121);
	cr_assert_eq(g.res.http_status, 400);
	got_fini(&g);

	cr_assert_eq(sb_bn_rest_book_ticker(rest, NULL, on_tickers, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.tickers.n, 2);
	for (size_t i = 0; i < g.tickers.n; i++)
		cr_assert(g.tickers.items[i].ask_price > g.tickers.items[i].bid_price);
	got_fini(&g);

	cr_assert_eq(sb_bn_rest_klines(rest, "BTCUSDT", "1m", -1, -1, 5, on_candles, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert(g.candles.n >= 1 && g.candles.n <= 5, "%zu candles", g.candles.n);
	for (size_t i = 0; i < g.candles.n; i++) {
		cr_assert(g.candles.items[i].low <= g.candles.items[i].high);
		cr_assert_eq(g.candles.items[i].close_time - g.candles.items[i].open_time, 59999);
	}
	got_fini(&g);

	struct sb_bn_rest_stats st;
	sb_bn_rest_stats(rest, &st);
	cr_assert_eq(st.completed, 7);
	cr_assert_eq(st.by_err[SB_OK], 6);
	cr_assert_eq(st.by_err[SB_ERR_EXCHANGE], 1);
	cr_assert_gt(st.used_weight, 60, "X-MBX-USED-WEIGHT-1M is tracked: %lld", (long long)st.used_weight);
	cr_assert_gt(st.last_latency_us, 0);
	cr_assert_eq(st.in_flight, 0);
}

Test(rest_api_sim, account_and_commission)
{
	sync_time();
	struct got g = {0};
	cr_assert_eq(sb_bn_rest_account(rest, true, on_account, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	const struct sb_bn_balance *usdt = sb_bn_account_balance(&g.account, "USDT");
	cr_assert_not_null(usdt);
	cr_assert_eq(usdt->free, SB_DEC_C(100000, 0));
	cr_assert_eq(sb_bn_account_balance(&g.account, "BTC")->free, SB_DEC_C(2, 0));
	cr_assert(g.account.can_trade);
	got_fini(&g);
	cr_assert_eq(sb_bn_rest_commission(rest, "BTCUSDT", on_commission, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_str_eq(g.commission.symbol, "BTCUSDT");
	cr_assert_eq(g.commission.standard.taker, SB_DEC_C(0, 100000), "0.001");
	got_fini(&g);
}

Test(rest_api_sim, resting_order_lifecycle)
{
	sync_time();
	sb_dec price = resting_price();
	struct sb_bn_new_order o = limit_buy("life-1", price);
	struct got g;
	place(rest, &o, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.shape, SB_BN_ORDER_FULL);
	cr_assert_eq(g.order.status, SB_ORDER_NEW);
	cr_assert_str_eq(g.order.client_order_id, "life-1");
	cr_assert_eq(g.order.price, price);
	cr_assert_eq(g.order.n_fills, 0);
	int64_t id = g.order.order_id;
	got_fini(&g);

	query("life-1", -1, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.order_id, id);
	cr_assert_eq(g.order.status, SB_ORDER_NEW);
	cr_assert(g.order.is_working);
	got_fini(&g);
	query(NULL, id, &g);
	expect_ok(&g);
	cr_assert_str_eq(g.order.client_order_id, "life-1");
	got_fini(&g);

	cr_assert_eq(sb_bn_rest_open_orders(rest, "BTCUSDT", on_orders, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.orders.n, 1);
	cr_assert_eq(g.orders.items[0].order_id, id);
	got_fini(&g);
	cr_assert_eq(sb_bn_rest_open_orders(rest, NULL, on_orders, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.orders.n, 1);
	got_fini(&g);

	cr_assert_eq(sb_bn_rest_order_cancel(rest, "BTCUSDT", -1, "life-1", on_order, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.order.shape, SB_BN_ORDER_CANCEL);
	cr_assert_eq(g.order.status, SB_ORDER_CANCELED);
	cr_assert_str_eq(g.order.orig_client_order_id, "life-1");
	got_fini(&g);
	cr_assert_eq(sb_bn_rest_order_cancel(rest, "BTCUSDT", id, NULL, on_order, &g), SB_OK);
	wait_for(&g);
	cr_assert_eq(g.res.err, SB_ERR_EXCHANGE, "a second cancel is a plain rejection");
	cr_assert_eq(g.res.api.code, -2011);
	got_fini(&g);

	query("life-1", -1, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.status, SB_ORDER_CANCELED);
	got_fini(&g);
	cr_assert_eq(sb_bn_rest_open_orders(rest, "BTCUSDT", on_orders, &g), SB_OK);
	wait_for(&g);
	cr_assert_eq(g.orders.n, 0);
	got_fini(&g);

	struct sb_bn_rest_filter f;
	sb_bn_rest_filter_init(&f, "BTCUSDT");
	cr_assert_eq(sb_bn_rest_all_orders(rest, &f, on_orders, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.orders.n, 1);
	cr_assert_eq(g.orders.items[0].status, SB_ORDER_CANCELED);
	got_fini(&g);
}

Test(rest_api_sim, market_orders_fill_with_commission)
{
	sync_time();
	struct sb_bn_new_order o = {.symbol = "BTCUSDT",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_MARKET,
	                            .quantity = SB_DEC_C(0, 1000000),
	                            .client_order_id = "mkt-1"};
	struct got g;
	place(rest, &o, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.status, SB_ORDER_FILLED);
	cr_assert_eq(g.order.executed_qty, SB_DEC_C(0, 1000000));
	cr_assert_gt(g.order.n_fills, 0);
	sb_dec qty = 0, commission = 0;
	for (size_t i = 0; i < g.order.n_fills; i++) {
		cr_assert_str_eq(g.order.fills[i].commission_asset, "BTC", "a buy pays in the base asset");
		qty += g.order.fills[i].qty;
		commission += g.order.fills[i].commission;
	}
	cr_assert_eq(qty, SB_DEC_C(0, 1000000));
	cr_assert_eq(commission, SB_DEC_C(0, 1000), "0.1%% of 0.01 BTC");
	int64_t id = g.order.order_id;
	size_t nfills = g.order.n_fills;
	int64_t first_trade = g.order.fills[0].trade_id;
	got_fini(&g);

	struct sb_bn_rest_filter f;
	sb_bn_rest_filter_init(&f, "BTCUSDT");
	f.order_id = id;
	cr_assert_eq(sb_bn_rest_my_trades(rest, &f, on_trades, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_eq(g.trades.n, nfills);
	cr_assert_eq(g.trades.items[0].order_id, id);
	cr_assert(g.trades.items[0].is_buyer);
	cr_assert_str_eq(g.trades.items[0].commission_asset, "BTC");
	got_fini(&g);

	/* A sell by quote amount pays commission in USDT. */
	o = (struct sb_bn_new_order){.symbol = "BTCUSDT",
	                             .side = SB_SIDE_SELL,
	                             .type = SB_ORDER_MARKET,
	                             .quote_order_qty = SB_DEC_C(50, 0),
	                             .client_order_id = "mkt-2"};
	place(rest, &o, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.status, SB_ORDER_FILLED);
	cr_assert(g.order.cum_quote_qty <= SB_DEC_C(50, 0) && g.order.cum_quote_qty > SB_DEC_C(40, 0));
	cr_assert_str_eq(g.order.fills[0].commission_asset, "USDT");
	got_fini(&g);

	sb_bn_rest_filter_init(&f, "BTCUSDT");
	f.from_id = first_trade;
	f.limit = 100;
	cr_assert_eq(sb_bn_rest_my_trades(rest, &f, on_trades, &g), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	cr_assert_geq(g.trades.n, nfills + 1, "both orders' trades from the first id on");
	for (size_t i = 0; i < g.trades.n; i++)
		cr_assert_geq(g.trades.items[i].id, first_trade);
	got_fini(&g);

	/* LIMIT_MAKER that would cross is rejected, not unknown. */
	o = (struct sb_bn_new_order){.symbol = "BTCUSDT",
	                             .side = SB_SIDE_BUY,
	                             .type = SB_ORDER_LIMIT_MAKER,
	                             .quantity = SB_DEC_C(0, 1000000),
	                             .price = (best_bid() / 1000000) * 2 * 1000000,
	                             .client_order_id = "mk-1"};
	place(rest, &o, &g);
	cr_assert_eq(g.res.err, SB_ERR_EXCHANGE);
	cr_assert_eq(g.res.api.code, -2010);
	got_fini(&g);
}

/* ---- faults ---- */

Test(rest_api_sim, order_5xx_after_execution_is_unknown_and_the_query_finds_it)
{
	sync_time();
	sb_dec price = resting_price();
	fault("order_5xx_after", "1");
	struct sb_bn_new_order o = limit_buy("u-after", price);
	struct got g;
	place(rest, &o, &g);
	cr_assert_eq(g.res.err, SB_ERR_UNKNOWN_OUTCOME, "%s", sb_errname(g.res.err));
	cr_assert_eq(g.res.http_status, 503);
	cr_assert_eq(g.res.api.code, -1007);
	got_fini(&g);
	fault("order_5xx_after", "0");
	query("u-after", -1, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.status, SB_ORDER_NEW);
	cr_assert_eq(g.order.price, price);
	got_fini(&g);
	struct sb_bn_rest_stats st;
	sb_bn_rest_stats(rest, &st);
	cr_assert_eq(st.by_err[SB_ERR_UNKNOWN_OUTCOME], 1);
}

Test(rest_api_sim, order_5xx_before_execution_is_unknown_and_the_query_says_absent)
{
	sync_time();
	sb_dec price = resting_price();
	fault("order_5xx_before", "1");
	struct sb_bn_new_order o = limit_buy("u-before", price);
	struct got g;
	place(rest, &o, &g);
	cr_assert_eq(g.res.err, SB_ERR_UNKNOWN_OUTCOME);
	got_fini(&g);
	/* A read that gets a 5xx is a plain, retryable failure: nothing was changed. */
	query("u-before", -1, &g);
	cr_assert_eq(g.res.err, SB_ERR_EXCHANGE);
	cr_assert_eq(g.res.api.code, -2013, "order does not exist");
	got_fini(&g);
}

Test(rest_api_sim, response_slower_than_the_timeout_is_unknown_then_settles)
{
	sync_time();
	sb_dec price = resting_price();
	struct sb_bn_rest *fast = client(400, 0, 0);
	fault("delay_ms", "1500");
	struct sb_bn_new_order o = limit_buy("u-slow", price);
	struct got g;
	place(fast, &o, &g);
	cr_assert_eq(g.res.err, SB_ERR_UNKNOWN_OUTCOME, "%s", sb_errname(g.res.err));
	cr_assert_eq(g.res.transport_err, SB_ERR_TIMEOUT);
	cr_assert(g.res.sent);
	cr_assert_eq(g.res.http_status, 0);
	got_fini(&g);
	/* A read that times out is a timeout, not an unknown outcome. */
	cr_assert_eq(sb_bn_rest_open_orders(fast, "BTCUSDT", on_orders, &g), SB_OK);
	wait_for(&g);
	cr_assert_eq(g.res.err, SB_ERR_TIMEOUT);
	got_fini(&g);
	fault("delay_ms", "0");
	query("u-slow", -1, &g);
	expect_ok(&g);
	cr_assert_eq(g.order.status, SB_ORDER_NEW);
	got_fini(&g);
	sb_bn_rest_free(fast);
}

Test(rest_api_sim, unreachable_server_is_a_plain_network_failure)
{
	struct sb_bn_rest_opts opts = {
	    .base_url = "http://127.0.0.1:1", .api_key = KEY, .hmac_secret = SECRET};
	struct sb_bn_rest *dead = NULL;
	cr_assert_eq(sb_bn_rest_new(&loop, &opts, &dead), SB_OK);
	struct sb_bn_new_order o = limit_buy("never", SB_DEC_C(100, 0));
	struct got g;
	place(dead, &o, &g);
	cr_assert_eq(g.res.err, SB_ERR_NETWORK, "never sent: safe to retry, got %s", sb_errname(g.res.err));
	cr_assert_not(g.res.sent);
	got_fini(&g);
	sb_bn_rest_free(dead);
}

static bool saw_429(const void *arg)
{
	(void)arg;
	struct sb_bn_rest_stats st;
	sb_bn_rest_stats(rest, &st);
	return st.n_429 >= 1;
}

Test(rest_api_sim, a_429_pauses_and_the_request_goes_through_afterwards)
{
	sync_time();
	fault("force_429", "1");
	struct got g = {0}, g2 = {0};
	cr_assert_eq(sb_bn_rest_account(rest, false, on_account, &g), SB_OK);
	run_until(saw_429, NULL, DEADLINE_MS, "a 429");
	cr_assert_not(g.done, "a 429 is not the caller's failure");
	struct sb_bn_rest_stats st;
	sb_bn_rest_stats(rest, &st);
	cr_assert(st.paused);
	/* A call made during the pause waits too. */
	cr_assert_eq(sb_bn_rest_book_ticker(rest, "BTCUSDT", on_tickers, &g2), SB_OK);
	uv_run(&loop, UV_RUN_NOWAIT);
	cr_assert_not(g2.done);
	fault("force_429", "0");
	wait_for(&g);
	expect_ok(&g);
	cr_assert_geq(g.res.attempts, 2);
	run_until(is_done, &g2, DEADLINE_MS, "the call made during the pause");
	expect_ok(&g2);
	sb_bn_rest_stats(rest, &st);
	cr_assert_geq(st.n_429, 1);
	cr_assert_eq(st.by_err[SB_ERR_RATE_LIMIT], 0);
	got_fini(&g);
	got_fini(&g2);
}

Test(rest_api_sim, skewed_server_clock_resyncs_after_1021)
{
	sync_time();
	int signs[] = {-1, 1};
	for (int i = 0; i < 2; i++) {
		fault("clock_skew_ms", signs[i] < 0 ? "-5000" : "5000");
		struct got g = {0};
		cr_assert_eq(sb_bn_rest_account(rest, false, on_account, &g), SB_OK);
		wait_for(&g);
		expect_ok(&g);
		cr_assert_eq(g.res.attempts, 2, "sent, rejected -1021, sent again");
		int64_t off = sb_bn_rest_time_offset(rest);
		cr_assert(llabs(off - signs[i] * 5000) < 300, "offset %lld", (long long)off);
		struct sb_bn_rest_stats st;
		sb_bn_rest_stats(rest, &st);
		cr_assert_eq(st.resyncs, (uint64_t)i + 1);
		cr_assert_eq(st.time_offset_ms, off);
		got_fini(&g);
	}
	/* An order placed with the new offset goes through on the first attempt. */
	struct sb_bn_new_order o = limit_buy("skew-1", resting_price());
	struct got g;
	place(rest, &o, &g);
	expect_ok(&g);
	cr_assert_eq(g.res.attempts, 1);
	got_fini(&g);
}

Test(rest_api_sim, weight_gate_holds_requests_instead_of_dropping_them)
{
	struct sb_bn_rest *tight = client(3000, 100, 50); /* 50 weight a minute for this client */
	struct got a = {0}, b = {0}, c = {0};
	cr_assert_eq(sb_bn_rest_exchange_info(tight, NULL, 0, on_info, &a), SB_OK);
	cr_assert_eq(sb_bn_rest_exchange_info(tight, NULL, 0, on_info, &b), SB_OK);
	cr_assert_eq(sb_bn_rest_exchange_info(tight, NULL, 0, on_info, &c), SB_OK);
	wait_for(&a);
	wait_for(&b);
	expect_ok(&a);
	expect_ok(&b);
	struct sb_bn_rest_stats st;
	sb_bn_rest_stats(tight, &st);
	cr_assert_eq(st.gate_waits, 1, "20 + 20 fit in 50, a third 20 does not");
	/* Unless the minute happened to roll over meanwhile, the third is still queued, not failed. */
	cr_assert(!c.done || c.res.err == SB_OK);
	if (!c.done)
		cr_assert_eq(st.queued, 1);
	sb_bn_rest_free(tight);
	cr_assert(c.done);
	cr_assert(c.res.err == SB_ERR_SHUTDOWN || c.res.err == SB_OK);
	got_fini(&a);
	got_fini(&b);
	got_fini(&c);
}

Test(rest_api_sim, a_418_ban_fails_fast_until_it_ends)
{
	sync_time();
	/* Use up the minute's weight and keep going until spotsim bans the IP, as Binance does. */
	long status = 0;
	for (int i = 0; i < 5000 && status != 418; i++) {
		struct sbt_response r;
		cr_assert(sbt_http(sim.port, "GET", "/api/v3/exchangeInfo?symbol=BTCUSDT", NULL, NULL, &r));
		status = r.status;
		sbt_response_free(&r);
	}
	cr_assert_eq(status, 418);
	struct got g = {0}, g2 = {0};
	cr_assert_eq(sb_bn_rest_account(rest, false, on_account, &g), SB_OK);
	cr_assert_eq(sb_bn_rest_book_ticker(rest, NULL, on_tickers, &g2), SB_OK);
	wait_for(&g);
	run_until(is_done, &g2, DEADLINE_MS, "the second call");
	cr_assert_eq(g.res.err, SB_ERR_RATE_LIMIT);
	cr_assert_eq(g.res.http_status, 418);
	cr_assert_eq(g2.res.err, SB_ERR_RATE_LIMIT);
	struct sb_bn_rest_stats st;
	sb_bn_rest_stats(rest, &st);
	cr_assert(st.banned);
	cr_assert_geq(st.n_418, 1);
	struct got g3 = {0};
	cr_assert_eq(sb_bn_rest_sync_time(rest, on_time, &g3), SB_ERR_RATE_LIMIT,
	             "fails fast during the ban");
	cr_assert_not(g3.done);
	got_fini(&g);
	got_fini(&g2);
}

/* ---- shutdown ---- */

static int shutdowns, completions;

static void count_shutdown(void *u, const struct sb_bn_rest_result *res, struct sb_bn_order_list *x)
{
	(void)u;
	completions++;
	if (res->err == SB_ERR_SHUTDOWN) {
		cr_assert_null(x);
		shutdowns++;
	}
}

static void free_inside(void *u, const struct sb_bn_rest_result *res, struct sb_bn_book_tickers *x)
{
	(void)x;
	mark(u, res);
	sb_bn_rest_free(rest);
}

Test(rest_api_sim, free_ends_every_call_with_shutdown)
{
	sync_time();
	shutdowns = 0;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(sb_bn_rest_open_orders(rest, "BTCUSDT", count_shutdown, NULL), SB_OK);
	sb_bn_rest_free(rest);
	rest = NULL;
	cr_assert_eq(shutdowns, 5);
}

Test(rest_api_sim, free_from_inside_a_callback)
{
	sync_time();
	shutdowns = completions = 0;
	struct got g = {0};
	cr_assert_eq(sb_bn_rest_book_ticker(rest, "BTCUSDT", free_inside, &g), SB_OK);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sb_bn_rest_open_orders(rest, "BTCUSDT", count_shutdown, NULL), SB_OK);
	wait_for(&g);
	expect_ok(&g);
	got_fini(&g);
	/* The others raced the ticker: each ended once, those still in flight with SB_ERR_SHUTDOWN. */
	cr_assert_eq(completions, 3);
	rest = NULL;
}

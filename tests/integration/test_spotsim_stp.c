/*
 * spotsim's self-trade prevention over real loopback sockets, spotsim as a child process: exchangeInfo's
 * defaultSelfTradePreventionMode and allowedSelfTradePreventionModes, the parameter errors of REST and
 * the WebSocket API (nothing placed), and orders of one account meeting each other through REST
 * POST /api/v3/order, the WebSocket API's order.place and cancelReplace: the TRADE_PREVENTION /
 * EXPIRED_IN_MATCH executionReports on the WebSocket API user stream with their v, A, B, u, U and V
 * fields, the order queries' preventedMatchId and preventedQuantity, the taker's preventedMatches, NONE
 * executing with one trade id on both sides, myPreventedMatches, and the balances afterwards, exact to the
 * unit, as the account endpoint reports them. A second suite loads an --exchange-info file whose symbol
 * defaults to NONE. The market is pinned with POST /sim/price (bid 60000.00, ask 60000.01) and barely moves
 * at
 * --speed 0.01, so an order resting at the bid is the first one a sell at that price meets.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_dec.h"
#include "sbtest_sim.h"
#include "sbtest_ws.h"
#include "spotbot/clock.h"

#define KEY    "stp-key"
#define SECRET "stp-secret"
#define BID    "60000.00"

static struct sbt_proc sim;
static struct sbt_ws wsh;

/* Starts spotsim (with --exchange-info file when not NULL) and pins BTCUSDT's market at the bid. */
static void start_with(const char *exchange_info)
{
	const char *args[12] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2",
	                        "--symbols", "BTCUSDT",
	                        "--speed",   "0.01",
	                        "--seed",    "5"};
	if (exchange_info) {
		args[8] = "--exchange-info";
		args[9] = exchange_info;
	}
	cr_assert(sbt_spotsim_start(&sim, args));
	sbt_sim_post(sim.port, "/sim/price?symbol=BTCUSDT&price=" BID);
	sbt_ws_init(&wsh, sim.port);
}

static void start(void)
{
	start_with(NULL);
}

static void stop(void)
{
	sbt_ws_fini(&wsh);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_stp, .init = start, .fini = stop, .timeout = 60);

/* ---- helpers -------------------------------------------------------------------------------------- */

/* A signed REST request; the response is the caller's (sbt_response_free). */
static void rest(const char *method, const char *path, const char *params, struct sbt_response *r)
{
	cr_assert(sbt_signed(sim.port, method, path, params, KEY, SECRET, r));
}

/* A LIMIT GTC order of 0.01 BTC at the bid; stp is "" for the symbol's default. Its REST answer, parsed. */
static cJSON *limit_at_bid(const char *side, const char *stp)
{
	char params[256];
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=%s&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=" BID "%s%s", side,
	         *stp ? "&selfTradePreventionMode=" : "", stp);
	struct sbt_response r;
	rest("POST", "/api/v3/order", params, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	return j;
}

static long long order_id(const cJSON *j)
{
	return (long long)sbt_jnum(j, "orderId");
}

/* GET /api/v3/order of id, parsed. */
static cJSON *query(long long id)
{
	char params[64];
	snprintf(params, sizeof params, "symbol=BTCUSDT&orderId=%lld", id);
	struct sbt_response r;
	rest("GET", "/api/v3/order", params, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	return j;
}

/* The account's free and locked of asset are exactly these. */
static void expect_balance(const char *asset, const char *free_s, const char *locked_s)
{
	sb_dec f, l;
	sbt_sim_balance(sim.port, KEY, SECRET, asset, &f, &l);
	char got_f[32], got_l[32];
	sb_dec_format(f, got_f, sizeof got_f);
	sb_dec_format(l, got_l, sizeof got_l);
	cr_assert_eq(f, D(free_s), "%s free %s, want %s", asset, got_f, free_s);
	cr_assert_eq(l, D(locked_s), "%s locked %s, want %s", asset, got_l, locked_s);
}

static int open_order_count(void)
{
	struct sbt_response r;
	rest("GET", "/api/v3/openOrders", "symbol=BTCUSDT", &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	int n = cJSON_GetArraySize(j);
	cJSON_Delete(j);
	sbt_response_free(&r);
	return n;
}

/* The executionReport (the "event" object, owned by *root) of order id with execution type x. */
static const cJSON *report(struct sbt_wsc *c, long long id, const char *x, cJSON **root)
{
	char oid[48], xs[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", id);
	snprintf(xs, sizeof xs, "\"x\":\"%s\"", x);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"e\":\"executionReport\"", oid, xs);
	*root = sbt_jparse(c->msg[at]);
	return sbt_jfield(*root, "event");
}

/* An executionReport of a self-trade prevention: order status, prevented match id, A and B, U. */
static void expect_prevention_report(const cJSON *ev, const char *status, long long match_id, const char *qty,
                                     long long counter, const char *mode)
{
	cr_assert_str_eq(sbt_jstr(ev, "X"), status);
	cr_assert_eq((long long)sbt_jnum(ev, "v"), match_id);
	cr_assert_eq(D(sbt_jstr(ev, "A")), D(qty));
	cr_assert_eq(D(sbt_jstr(ev, "B")), D(qty));
	cr_assert_eq((long long)sbt_jnum(ev, "u"), -1, "no trade group");
	cr_assert_eq((long long)sbt_jnum(ev, "U"), counter);
	cr_assert_eq((long long)sbt_jnum(ev, "t"), -1);
	cr_assert_str_eq(sbt_jstr(ev, "V"), mode);
}

/* A user-data subscription on the WebSocket API. */
static struct sbt_wsc *subscribe(void)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1);
	return c;
}

/* ---- exchangeInfo and parameters ------------------------------------------------------------------- */

Test(spotsim_stp, exchange_info_lists_the_default_and_allowed_modes)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/exchangeInfo?symbol=BTCUSDT", NULL, NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	const cJSON *s = cJSON_GetArrayItem(sbt_jfield(j, "symbols"), 0);
	cr_assert_str_eq(sbt_jstr(s, "defaultSelfTradePreventionMode"), "EXPIRE_MAKER");
	const cJSON *allowed = sbt_jfield(s, "allowedSelfTradePreventionModes");
	static const char *const want[] = {"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH",
	                                   "DECREMENT"};
	cr_assert_eq(cJSON_GetArraySize(allowed), 5, "%s", r.body);
	for (int i = 0; i < 5; i++)
		cr_assert_str_eq(cJSON_GetArrayItem(allowed, i)->valuestring, want[i]);
	cJSON_Delete(j);
	sbt_response_free(&r);
	rest("GET", "/api/v3/account", "", &r);
	cr_assert(strstr(r.body, "\"requireSelfTradePrevention\":false"), "%s", r.body);
	sbt_response_free(&r);
}

Test(spotsim_stp, unknown_or_disallowed_mode_is_refused_and_nothing_is_placed)
{
	static const char base[] =
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=" BID;
	char params[256];
	struct sbt_response r;
	const char *paths[] = {"/api/v3/order", "/api/v3/order/test"};
	for (int i = 0; i < 2; i++) {
		snprintf(params, sizeof params, "%s&selfTradePreventionMode=EXPIRE_%s", base,
		         i ? "SOMETIMES" : "WHEN_THE_MOON_IS_FULL_AND_THE_TIDE_IS_HIGH_AND_THE_WIND_BLOWS");
		rest("POST", paths[i], params, &r);
		cr_assert_eq(r.status, 400, "%s: %s", paths[i], r.body);
		cr_assert(strstr(r.body, "\"code\":-1100") && strstr(r.body, "selfTradePreventionMode"), "%s",
		          r.body);
		sbt_response_free(&r);
		/* TRANSFER is a Binance mode, but not one this symbol allows. */
		snprintf(params, sizeof params, "%s&selfTradePreventionMode=TRANSFER", base);
		rest("POST", paths[i], params, &r);
		cr_assert_eq(r.status, 400, "%s: %s", paths[i], r.body);
		cr_assert_str_eq(r.body, "{\"code\":-1013,\"msg\":\"This symbol does not allow the specified "
		                         "self-trade prevention mode.\"}");
		sbt_response_free(&r);
	}
	/* cancelReplace checks the new order's mode before it cancels anything. */
	long long keep = order_id(limit_at_bid("BUY", ""));
	snprintf(params, sizeof params,
	         "%s&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld&selfTradePreventionMode=SOMETIMES",
	         base, keep);
	rest("POST", "/api/v3/order/cancelReplace", params, &r);
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert(strstr(r.body, "\"code\":-1100"), "%s", r.body);
	sbt_response_free(&r);
	/* The WebSocket API answers the same error. */
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	char sorted[512];
	snprintf(sorted, sizeof sorted,
	         "apiKey=%s&price=" BID "&quantity=0.01000&selfTradePreventionMode=TRANSFER&side=BUY"
	         "&symbol=BTCUSDT&timeInForce=GTC&timestamp=%lld&type=LIMIT",
	         KEY, (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c, SECRET, 7, "order.place", sorted);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":7,");
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 400, "%s", c->msg[at]);
	cr_assert_eq((int)sbt_jnum(sbt_jfield(j, "error"), "code"), -1013, "%s", c->msg[at]);
	cJSON_Delete(j);
	cr_assert_eq(open_order_count(), 1, "only the order placed before");
	expect_balance("USDT", "99400", "600");
	expect_balance("BTC", "2", "0");
}

/* ---- orders of one account meeting ----------------------------------------------------------------- */

Test(spotsim_stp, default_expire_maker_expires_the_resting_order_and_the_taker_trades_on)
{
	struct sbt_wsc *c = subscribe();
	cJSON *mj = limit_at_bid("BUY", "");
	long long maker = order_id(mj);
	cr_assert_str_eq(sbt_jstr(mj, "selfTradePreventionMode"), "EXPIRE_MAKER", "the symbol's default");
	cJSON_Delete(mj);
	cJSON *tj = limit_at_bid("SELL", "");
	long long taker = order_id(tj);
	/* The own order was skipped; the sell filled against the market's bid behind it. */
	cr_assert_str_eq(sbt_jstr(tj, "status"), "FILLED");
	cr_assert_eq(cJSON_GetArraySize(sbt_jfield(tj, "fills")), 1);
	const cJSON *pms = sbt_jfield(tj, "preventedMatches");
	cr_assert_eq(cJSON_GetArraySize(pms), 1);
	const cJSON *pm = cJSON_GetArrayItem(pms, 0);
	long long match_id = (long long)sbt_jnum(pm, "preventedMatchId");
	cr_assert_eq((long long)sbt_jnum(pm, "makerOrderId"), maker);
	cr_assert_str_eq(sbt_jstr(pm, "price"), BID "000000");
	cr_assert_str_eq(sbt_jstr(pm, "makerPreventedQuantity"), "0.01000000");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(pm, "takerPreventedQuantity"));
	cJSON_Delete(tj);

	cJSON *root;
	const cJSON *ev = report(c, maker, "TRADE_PREVENTION", &root);
	expect_prevention_report(ev, "EXPIRED_IN_MATCH", match_id, "0.01", taker, "EXPIRE_MAKER");
	cr_assert(!cJSON_IsTrue(sbt_jfield(ev, "w")), "no longer on the book");
	cJSON_Delete(root);
	ev = report(c, taker, "TRADE", &root);
	cr_assert_str_eq(sbt_jstr(ev, "X"), "FILLED");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(ev, "v"), "the taker prevented nothing");
	cJSON_Delete(root);

	cJSON *q = query(maker);
	cr_assert_str_eq(sbt_jstr(q, "status"), "EXPIRED_IN_MATCH");
	cr_assert_eq((long long)sbt_jnum(q, "preventedMatchId"), match_id);
	cr_assert_str_eq(sbt_jstr(q, "preventedQuantity"), "0.01000000");
	cr_assert_str_eq(sbt_jstr(q, "executedQty"), "0.00000000");
	cJSON_Delete(q);
	/* Sold 0.01 at 60000 to the market (0.6 USDT commission); the buy's 600 USDT are free again. */
	expect_balance("USDT", "100599.4", "0");
	expect_balance("BTC", "1.99", "0");
	cr_assert_eq(open_order_count(), 0);
}

Test(spotsim_stp, wsapi_expire_taker_expires_the_incoming_order_and_keeps_the_book)
{
	struct sbt_wsc *c = subscribe();
	cJSON *mj = limit_at_bid("BUY", "NONE");
	long long maker = order_id(mj);
	cr_assert_str_eq(sbt_jstr(mj, "selfTradePreventionMode"), "NONE");
	cJSON_Delete(mj);
	char sorted[512];
	snprintf(sorted, sizeof sorted,
	         "apiKey=%s&price=" BID "&quantity=0.01000&selfTradePreventionMode=EXPIRE_TAKER&side=SELL"
	         "&symbol=BTCUSDT&timeInForce=GTC&timestamp=%lld&type=LIMIT",
	         KEY, (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c, SECRET, 2, "order.place", sorted);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":2,");
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 200, "%s", c->msg[at]);
	const cJSON *res = sbt_jfield(j, "result");
	long long taker = order_id(res);
	cr_assert_str_eq(sbt_jstr(res, "status"), "EXPIRED_IN_MATCH");
	cr_assert_str_eq(sbt_jstr(res, "selfTradePreventionMode"), "EXPIRE_TAKER");
	cr_assert_str_eq(sbt_jstr(res, "preventedQuantity"), "0.01000000");
	long long match_id = (long long)sbt_jnum(res, "preventedMatchId");
	cr_assert_eq(cJSON_GetArraySize(sbt_jfield(res, "fills")), 0);
	cJSON_Delete(j);

	cJSON *root;
	const cJSON *ev = report(c, taker, "TRADE_PREVENTION", &root);
	expect_prevention_report(ev, "EXPIRED_IN_MATCH", match_id, "0.01", maker, "EXPIRE_TAKER");
	cJSON_Delete(root);
	cJSON *q = query(maker);
	cr_assert_str_eq(sbt_jstr(q, "status"), "NEW");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(q, "preventedQuantity"));
	cJSON_Delete(q);
	cr_assert_eq(open_order_count(), 1);
	expect_balance("USDT", "99400", "600");
	expect_balance("BTC", "2", "0");
}

Test(spotsim_stp, none_executes_the_self_trade_with_one_trade_id_on_both_reports)
{
	struct sbt_wsc *c = subscribe();
	long long maker = order_id(limit_at_bid("BUY", ""));
	cJSON *tj = limit_at_bid("SELL", "NONE");
	long long taker = order_id(tj);
	cr_assert_str_eq(sbt_jstr(tj, "status"), "FILLED");
	long long trade_id = (long long)sbt_jnum(cJSON_GetArrayItem(sbt_jfield(tj, "fills"), 0), "tradeId");
	cJSON_Delete(tj);
	cJSON *r1, *r2;
	const cJSON *mev = report(c, maker, "TRADE", &r1);
	const cJSON *tev = report(c, taker, "TRADE", &r2);
	cr_assert_eq((long long)sbt_jnum(mev, "t"), trade_id);
	cr_assert_eq((long long)sbt_jnum(tev, "t"), trade_id, "both sides report the same trade id");
	cr_assert(cJSON_IsTrue(sbt_jfield(mev, "m")));
	cr_assert(!cJSON_IsTrue(sbt_jfield(tev, "m")));
	cJSON_Delete(r1);
	cJSON_Delete(r2);
	/* myTrades lists the trade once per order, under the same id. */
	struct sbt_response r;
	rest("GET", "/api/v3/myTrades", "symbol=BTCUSDT", &r);
	cJSON *j = sbt_jparse(r.body);
	cr_assert_eq(cJSON_GetArraySize(j), 2, "%s", r.body);
	for (int i = 0; i < 2; i++)
		cr_assert_eq((long long)sbt_jnum(cJSON_GetArrayItem(j, i), "id"), trade_id);
	cJSON_Delete(j);
	sbt_response_free(&r);
	/* Paid 600 and got 600 - 0.6; got 0.01 - 0.00001 BTC for the 0.01 sold. */
	expect_balance("USDT", "99999.4", "0");
	expect_balance("BTC", "1.99999", "0");
}

Test(spotsim_stp, cancel_replace_new_order_with_expire_both_expires_both)
{
	struct sbt_wsc *c = subscribe();
	long long maker = order_id(limit_at_bid("BUY", ""));
	/* A second resting buy, replaced by a sell at the bid that meets the first one. */
	long long old = order_id(limit_at_bid("BUY", ""));
	char params[512];
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=" BID
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld&selfTradePreventionMode=EXPIRE_BOTH",
	         old);
	struct sbt_response r;
	rest("POST", "/api/v3/order/cancelReplace", params, &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	const cJSON *nr = sbt_jfield(j, "newOrderResponse");
	long long taker = order_id(nr);
	cr_assert_str_eq(sbt_jstr(nr, "status"), "EXPIRED_IN_MATCH");
	cr_assert_str_eq(sbt_jstr(nr, "preventedQuantity"), "0.02000000");
	cr_assert_str_eq(sbt_jstr(sbt_jfield(j, "cancelResponse"), "selfTradePreventionMode"),
	                 "EXPIRE_MAKER");
	cJSON_Delete(j);
	sbt_response_free(&r);
	cJSON *r1, *r2;
	const cJSON *mev = report(c, maker, "TRADE_PREVENTION", &r1);
	const cJSON *tev = report(c, taker, "TRADE_PREVENTION", &r2);
	long long match_id = (long long)sbt_jnum(mev, "v");
	expect_prevention_report(mev, "EXPIRED_IN_MATCH", match_id, "0.01", taker, "EXPIRE_MAKER");
	expect_prevention_report(tev, "EXPIRED_IN_MATCH", match_id, "0.02", maker, "EXPIRE_BOTH");
	cJSON_Delete(r1);
	cJSON_Delete(r2);
	cr_assert_eq(open_order_count(), 0);
	expect_balance("USDT", "100000", "0");
	expect_balance("BTC", "2", "0");
}

/* GET /api/v3/myPreventedMatches with params, parsed; expects 200. */
static cJSON *prevented_matches(const char *params)
{
	struct sbt_response r;
	rest("GET", "/api/v3/myPreventedMatches", params, &r);
	cr_assert_eq(r.status, 200, "%s: %s", params, r.body);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	return j;
}

Test(spotsim_stp, my_prevented_matches_lists_the_match_by_id_and_by_order)
{
	long long maker = order_id(limit_at_bid("BUY", ""));
	cJSON *tj = limit_at_bid("SELL", "DECREMENT");
	long long taker = order_id(tj);
	cr_assert_str_eq(sbt_jstr(tj, "status"), "EXPIRED_IN_MATCH", "equal quantities: both expire");
	long long match_id = (long long)sbt_jnum(tj, "preventedMatchId");
	cJSON_Delete(tj);
	char params[128];
	const char *by[] = {"orderId", "orderId", "preventedMatchId"};
	long long arg[] = {maker, taker, match_id};
	for (int i = 0; i < 3; i++) {
		snprintf(params, sizeof params, "symbol=BTCUSDT&%s=%lld", by[i], arg[i]);
		cJSON *j = prevented_matches(params);
		cr_assert_eq(cJSON_GetArraySize(j), 1, "%s", params);
		const cJSON *pm = cJSON_GetArrayItem(j, 0);
		cr_assert_str_eq(sbt_jstr(pm, "symbol"), "BTCUSDT");
		cr_assert_eq((long long)sbt_jnum(pm, "preventedMatchId"), match_id);
		cr_assert_eq((long long)sbt_jnum(pm, "takerOrderId"), taker);
		cr_assert_eq((long long)sbt_jnum(pm, "makerOrderId"), maker);
		cr_assert_eq((long long)sbt_jnum(pm, "tradeGroupId"), -1);
		cr_assert_str_eq(sbt_jstr(pm, "selfTradePreventionMode"), "DECREMENT");
		cr_assert_str_eq(sbt_jstr(pm, "price"), BID "000000");
		cr_assert_str_eq(sbt_jstr(pm, "takerPreventedQuantity"), "0.01000000");
		cr_assert_str_eq(sbt_jstr(pm, "makerPreventedQuantity"), "0.01000000");
		cJSON_Delete(j);
	}
	snprintf(params, sizeof params, "symbol=BTCUSDT&orderId=%lld&fromPreventedMatchId=%lld", maker,
	         match_id + 1);
	cJSON *j = prevented_matches(params);
	cr_assert_eq(cJSON_GetArraySize(j), 0);
	cJSON_Delete(j);
	struct sbt_response r;
	rest("GET", "/api/v3/myPreventedMatches", "symbol=BTCUSDT", &r);
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert(strstr(r.body, "\"code\":-1128"), "%s", r.body);
	sbt_response_free(&r);
	expect_balance("USDT", "100000", "0");
	expect_balance("BTC", "2", "0");
}

/* ---- a symbol whose exchangeInfo defaults to NONE ---------------------------------------------------- */

static char info_path[256];

/* Writes tests/data/exchangeinfo/spot_usdt.json with BTCUSDT defaulting to NONE into a temporary file. */
static void write_none_info(void)
{
	char src[4096];
	sbt_source_path("tests/data/exchangeinfo/spot_usdt.json", src, sizeof src);
	FILE *f = fopen(src, "rb");
	cr_assert_not_null(f, "%s", src);
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	cJSON *doc = sbt_jparse(buf);
	const cJSON *s;
	cJSON_ArrayForEach(s, sbt_jfield(doc, "symbols"))
	{
		if (strcmp(sbt_jstr(s, "symbol"), "BTCUSDT") == 0)
			cJSON_ReplaceItemInObjectCaseSensitive((cJSON *)s, "defaultSelfTradePreventionMode",
			                                       cJSON_CreateString("NONE"));
	}
	char *text = cJSON_PrintUnformatted(doc);
	snprintf(info_path, sizeof info_path, "/tmp/spotsim-stp-info-%d.json", (int)getpid());
	f = fopen(info_path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
	free(text);
	cJSON_Delete(doc);
}

static void start_none(void)
{
	write_none_info();
	start_with(info_path);
}

static void stop_none(void)
{
	stop();
	unlink(info_path);
}

TestSuite(spotsim_stp_file, .init = start_none, .fini = stop_none, .timeout = 60);

Test(spotsim_stp_file, symbol_defaulting_to_none_lets_own_orders_trade)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/exchangeInfo?symbol=BTCUSDT", NULL, NULL, &r));
	cr_assert(strstr(r.body, "\"defaultSelfTradePreventionMode\":\"NONE\""), "%s", r.body);
	sbt_response_free(&r);
	long long maker = order_id(limit_at_bid("BUY", ""));
	cJSON *tj = limit_at_bid("SELL", "");
	cr_assert_str_eq(sbt_jstr(tj, "selfTradePreventionMode"), "NONE");
	cr_assert_str_eq(sbt_jstr(tj, "status"), "FILLED");
	cJSON_Delete(tj);
	cJSON *q = query(maker);
	cr_assert_str_eq(sbt_jstr(q, "status"), "FILLED", "the own resting order took the trade");
	cJSON_Delete(q);
	/* The file's allowed list (production's) does not name NONE but the default is always usable; a
	 * mode it leaves out is refused. */
	rest("POST", "/api/v3/order/test",
	     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=" BID
	     "&selfTradePreventionMode=NONE",
	     &r);
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	rest("POST", "/api/v3/order/test",
	     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=" BID
	     "&selfTradePreventionMode=TRANSFER",
	     &r);
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert(strstr(r.body, "-1013"), "%s", r.body);
	sbt_response_free(&r);
}

/*
 * spotsim's cancel-replace (POST /api/v3/order/cancelReplace and the WebSocket API's
 * order.cancelReplace) over real loopback sockets, spotsim as a child process: the success shape, both
 * cancelReplaceMode answers to an unknown cancel id and to a new order that fails a filter (-2021 with
 * HTTP 409, -2022 with 400, the "data" object), parameter errors that change nothing, the user-data
 * events in Binance's order (CANCELED, then NEW and TRADE, then one account position) and the
 * account's balances afterwards, compared exactly as decimals.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_sim.h"
#include "sbtest_ws.h"
#include "spotbot/clock.h"
#include "spotbot/decimal.h"

#define KEY    "cr-key"
#define SECRET "cr-secret"
#define PATH   "/api/v3/order/cancelReplace"

static struct sbt_proc sim;
static struct sbt_ws wsh;

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "5",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	sbt_ws_init(&wsh, sim.port);
}

static void stop(void)
{
	sbt_ws_fini(&wsh);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_cancel_replace, .init = start, .fini = stop, .timeout = 60);

/* ---- helpers -------------------------------------------------------------------------------------- */

static sb_dec dec(const char *s)
{
	sb_dec d;
	cr_assert_eq(sb_dec_parse(s, strlen(s), &d), SB_OK, "decimal %s", s);
	return d;
}

/* price * qty, exactly (both have few enough places). */
static sb_dec notional(const char *price, const char *qty)
{
	sb_dec out;
	cr_assert_eq(sb_dec_mul(dec(price), dec(qty), SB_ROUND_DOWN, &out), SB_OK);
	return out;
}

/* A price fraction of the bid, on BTCUSDT's 0.01 tick, as text. */
static void price_under_bid(double fraction, char *out, size_t cap)
{
	snprintf(out, cap, "%.2f", sbt_sim_best(sim.port, "bidPrice") * fraction);
}

/* USDT locked is exactly `locked`, and free + locked is still the starting 100000. */
static void expect_usdt(sb_dec locked)
{
	sb_dec f, l, total;
	sbt_sim_balance(sim.port, KEY, SECRET, "USDT", &f, &l);
	char got[32], want[32];
	sb_dec_format(l, got, sizeof got);
	sb_dec_format(locked, want, sizeof want);
	cr_assert_eq(l, locked, "USDT locked %s, expected %s", got, want);
	cr_assert_eq(sb_dec_add(f, l, &total), SB_OK);
	cr_assert_eq(total, SB_DEC_C(100000, 0), "no USDT appeared or vanished");
}

/* Open BTCUSDT orders of the account; ids into ids (up to cap). */
static int open_orders(long long *ids, int cap)
{
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	int n = cJSON_GetArraySize(j);
	for (int i = 0; i < n && i < cap; i++)
		ids[i] = (long long)sbt_jnum(cJSON_GetArrayItem(j, i), "orderId");
	cJSON_Delete(j);
	sbt_response_free(&r);
	return n;
}

/* A resting LIMIT BUY of qty at price with client id cid; its orderId. */
static long long rest_buy(const char *price, const char *qty, const char *cid)
{
	char params[256];
	snprintf(
	    params, sizeof params,
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=%s&price=%s&newClientOrderId=%s",
	    qty, price, cid);
	return sbt_sim_order(sim.port, KEY, SECRET, params);
}

static long long header_num(const struct sbt_response *r, const char *name)
{
	char v[32];
	cr_assert_not_null(sbt_header(r, name, v, sizeof v), "no %s in %s", name, r->headers);
	return strtoll(v, NULL, 10);
}

/* Checks a failure's envelope and returns its data object (owned by *root; cJSON_Delete). */
static const cJSON *failure(const struct sbt_response *r, long status, int code, const char *msg,
                            cJSON **root)
{
	cr_assert_eq(r->status, status, "status %ld: %s", r->status, r->body);
	*root = sbt_jparse(r->body);
	cr_assert_eq((int)sbt_jnum(*root, "code"), code, "%s", r->body);
	cr_assert_str_eq(sbt_jstr(*root, "msg"), msg);
	const cJSON *d = sbt_jfield(*root, "data");
	cr_assert(cJSON_IsObject(d), "%s", r->body);
	return d;
}

static void expect_error_object(const cJSON *o, int code, const char *msg)
{
	cr_assert(cJSON_IsObject(o));
	cr_assert_eq((int)sbt_jnum(o, "code"), code);
	cr_assert_str_eq(sbt_jstr(o, "msg"), msg);
	cr_assert_eq(cJSON_GetArraySize(o), 2, "only code and msg");
}

/* ---- REST ------------------------------------------------------------------------------------------ */

Test(spotsim_cancel_replace, success_cancels_places_and_streams_canceled_then_new)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1);
	char p1[32], p2[32], params[512], oid[48];
	price_under_bid(0.9, p1, sizeof p1);
	price_under_bid(0.85, p2, sizeof p2);
	long long old = rest_buy(p1, "0.01000", "cr-old");
	snprintf(oid, sizeof oid, "\"i\":%lld,", old);
	/* The old order's own account position must be in before the replace's events are looked for. */
	size_t placed = SBT_WS_WAIT(&wsh, c, 0, oid, "\"x\":\"NEW\"");
	SBT_WS_WAIT(&wsh, c, placed, "\"e\":\"outboundAccountPosition\"");
	expect_usdt(notional(p1, "0.01"));

	size_t before = c->n;
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s"
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld&cancelNewClientOrderId=cr-cxl"
	         "&newClientOrderId=cr-new",
	         p2, old);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(header_num(&r, "X-MBX-ORDER-COUNT-10S"), 2, "the replace counts as one order");
	cJSON *j = sbt_jparse(r.body);
	cr_assert_str_eq(sbt_jstr(j, "cancelResult"), "SUCCESS");
	cr_assert_str_eq(sbt_jstr(j, "newOrderResult"), "SUCCESS");
	const cJSON *cr = sbt_jfield(j, "cancelResponse");
	cr_assert_str_eq(sbt_jstr(cr, "symbol"), "BTCUSDT");
	cr_assert_eq((long long)sbt_jnum(cr, "orderId"), old);
	cr_assert_str_eq(sbt_jstr(cr, "origClientOrderId"), "cr-old");
	cr_assert_str_eq(sbt_jstr(cr, "clientOrderId"), "cr-cxl");
	cr_assert_str_eq(sbt_jstr(cr, "status"), "CANCELED");
	cr_assert_str_eq(sbt_jstr(cr, "origQty"), "0.01000000");
	const cJSON *nr = sbt_jfield(j, "newOrderResponse");
	long long repl = (long long)sbt_jnum(nr, "orderId");
	cr_assert_gt(repl, old);
	cr_assert_str_eq(sbt_jstr(nr, "clientOrderId"), "cr-new");
	cr_assert_str_eq(sbt_jstr(nr, "status"), "NEW");
	cr_assert_str_eq(sbt_jstr(nr, "origQty"), "0.02000000");
	cr_assert_eq(dec(sbt_jstr(nr, "price")), dec(p2));
	cr_assert(cJSON_IsArray(sbt_jfield(nr, "fills")), "LIMIT defaults to the FULL response");
	cJSON_Delete(j);
	sbt_response_free(&r);

	/* CANCELED for the old order, then NEW for the new one, then one account position for both. */
	snprintf(oid, sizeof oid, "\"i\":%lld,", old);
	size_t cxl = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"CANCELED\"");
	snprintf(oid, sizeof oid, "\"i\":%lld,", repl);
	size_t nw = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"NEW\"");
	size_t pos = SBT_WS_WAIT(&wsh, c, before, "\"e\":\"outboundAccountPosition\"");
	cr_assert_lt(cxl, nw, "CANCELED comes before NEW");
	cr_assert_gt(pos, nw, "the account position follows both reports");
	j = sbt_jparse(c->msg[cxl]);
	cr_assert_str_eq(sbt_jstr(sbt_jfield(j, "event"), "C"), "cr-old");
	cJSON_Delete(j);
	j = sbt_jparse(c->msg[nw]);
	cr_assert_str_eq(sbt_jstr(sbt_jfield(j, "event"), "c"), "cr-new");
	cJSON_Delete(j);
	j = sbt_jparse(c->msg[pos]);
	const cJSON *bal = sbt_jfield(sbt_jfield(j, "event"), "B");
	cr_assert_eq(cJSON_GetArraySize(bal), 1, "only USDT moved: %s", c->msg[pos]);
	cr_assert_eq(dec(sbt_jstr(cJSON_GetArrayItem(bal, 0), "l")), notional(p2, "0.02"));
	cJSON_Delete(j);

	/* The old order's funds are released and the new order's locked, to the unit. */
	expect_usdt(notional(p2, "0.02"));
	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 1);
	cr_assert_eq(ids[0], repl);
	/* The canceled order is CANCELED as any query sees it. */
	snprintf(params, sizeof params, "symbol=BTCUSDT&orderId=%lld", old);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", params, KEY, SECRET, &r));
	cr_assert(strstr(r.body, "\"status\":\"CANCELED\""), "%s", r.body);
	sbt_response_free(&r);
}

Test(spotsim_cancel_replace, stop_on_failure_with_unknown_cancel_id_places_nothing)
{
	char p1[32], p2[32], params[512];
	price_under_bid(0.9, p1, sizeof p1);
	price_under_bid(0.85, p2, sizeof p2);
	long long old = rest_buy(p1, "0.01000", "cr-keep");
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s"
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld",
	         p2, old + 1000);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cJSON *j;
	const cJSON *d = failure(&r, 400, -2022, "Order cancel-replace failed.", &j);
	cr_assert_str_eq(sbt_jstr(d, "cancelResult"), "FAILURE");
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "NOT_ATTEMPTED");
	expect_error_object(sbt_jfield(d, "cancelResponse"), -2011, "Unknown order sent.");
	cr_assert(cJSON_IsNull(sbt_jfield(d, "newOrderResponse")), "%s", r.body);
	cr_assert_eq(header_num(&r, "X-MBX-ORDER-COUNT-10S"), 2, "a new order not attempted still counts");
	cJSON_Delete(j);
	sbt_response_free(&r);

	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 1, "no new order");
	cr_assert_eq(ids[0], old);
	expect_usdt(notional(p1, "0.01"));

	/* By client id, the same. */
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s"
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrigClientOrderId=nope",
	         p2);
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	d = failure(&r, 400, -2022, "Order cancel-replace failed.", &j);
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "NOT_ATTEMPTED");
	cJSON_Delete(j);
	sbt_response_free(&r);
	cr_assert_eq(open_orders(ids, 4), 1);
}

Test(spotsim_cancel_replace, allow_failure_with_unknown_cancel_id_still_places_the_new_order)
{
	char p1[32], p2[32], params[512];
	price_under_bid(0.9, p1, sizeof p1);
	price_under_bid(0.85, p2, sizeof p2);
	long long old = rest_buy(p1, "0.01000", "cr-keep");
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s"
	         "&cancelReplaceMode=ALLOW_FAILURE&cancelOrderId=%lld&newClientOrderId=cr-extra",
	         p2, old + 1000);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cJSON *j;
	const cJSON *d = failure(&r, 409, -2021, "Order cancel-replace partially failed.", &j);
	cr_assert_str_eq(sbt_jstr(d, "cancelResult"), "FAILURE");
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "SUCCESS");
	expect_error_object(sbt_jfield(d, "cancelResponse"), -2011, "Unknown order sent.");
	const cJSON *nr = sbt_jfield(d, "newOrderResponse");
	cr_assert_str_eq(sbt_jstr(nr, "status"), "NEW");
	cr_assert_str_eq(sbt_jstr(nr, "clientOrderId"), "cr-extra");
	long long extra = (long long)sbt_jnum(nr, "orderId");
	cJSON_Delete(j);
	sbt_response_free(&r);

	/* Both orders are open and both hold their funds. */
	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 2);
	cr_assert((ids[0] == old && ids[1] == extra) || (ids[0] == extra && ids[1] == old));
	sb_dec both;
	cr_assert_eq(sb_dec_add(notional(p1, "0.01"), notional(p2, "0.02"), &both), SB_OK);
	expect_usdt(both);
}

Test(spotsim_cancel_replace, new_order_failing_a_filter_is_reported_inside_the_data)
{
	char p1[32], p2[32], params[512];
	price_under_bid(0.9, p1, sizeof p1);
	price_under_bid(0.85, p2, sizeof p2);
	long long old = rest_buy(p1, "0.01000", "cr-gone");
	/* STOP_ON_FAILURE: the cancel succeeds, the new price is off BTCUSDT's 0.01 tick. */
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s5"
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld",
	         p2, old);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cJSON *j;
	const cJSON *d = failure(&r, 409, -2021, "Order cancel-replace partially failed.", &j);
	cr_assert_str_eq(sbt_jstr(d, "cancelResult"), "SUCCESS");
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "FAILURE");
	const cJSON *cr = sbt_jfield(d, "cancelResponse");
	cr_assert_str_eq(sbt_jstr(cr, "status"), "CANCELED");
	cr_assert_eq((long long)sbt_jnum(cr, "orderId"), old);
	expect_error_object(sbt_jfield(d, "newOrderResponse"), -1013, "Filter failure: PRICE_FILTER");
	cJSON_Delete(j);
	sbt_response_free(&r);
	/* The cancel is not undone: nothing is open and nothing is locked. */
	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 0);
	expect_usdt(0);

	/* ALLOW_FAILURE with both halves failing: -2022 with both errors. */
	long long again = rest_buy(p1, "0.01000", "cr-stays");
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s5"
	         "&cancelReplaceMode=ALLOW_FAILURE&cancelOrderId=%lld",
	         p2, again + 1000);
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	d = failure(&r, 400, -2022, "Order cancel-replace failed.", &j);
	cr_assert_str_eq(sbt_jstr(d, "cancelResult"), "FAILURE");
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "FAILURE");
	expect_error_object(sbt_jfield(d, "cancelResponse"), -2011, "Unknown order sent.");
	expect_error_object(sbt_jfield(d, "newOrderResponse"), -1013, "Filter failure: PRICE_FILTER");
	cJSON_Delete(j);
	sbt_response_free(&r);
	cr_assert_eq(open_orders(ids, 4), 1);
	cr_assert_eq(ids[0], again);
	expect_usdt(notional(p1, "0.01"));
}

Test(spotsim_cancel_replace, replacement_may_spend_the_funds_the_old_order_held)
{
	/* Nearly all USDT goes into one order; the replacement needs most of the same funds, which only
	 * exist once the old order is canceled: the new order is placed after the cancel. */
	char p1[32], p2[32], params[512];
	price_under_bid(0.5, p1, sizeof p1);
	price_under_bid(0.45, p2, sizeof p2);
	char qty[32];
	snprintf(qty, sizeof qty, "%.5f", 99000.0 / strtod(p1, NULL));
	long long old = rest_buy(p1, qty, "cr-big");
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=%s&price=%s"
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld",
	         qty, p2, old);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	expect_usdt(notional(p2, qty));
}

Test(spotsim_cancel_replace, parameter_errors_change_nothing)
{
	char p1[32], params[512];
	price_under_bid(0.9, p1, sizeof p1);
	long long old = rest_buy(p1, "0.01000", "cr-safe");
	static const struct {
		const char *extra; /* after the order's own parameters */
		bool id;           /* cancelOrderId=<the open order> follows */
		int code;          /* plain error expected */
	} cases[] = {
	    {"", true, -1102},                                                   /* no mode */
	    {"&cancelReplaceMode=SOMETIMES", true, -1100},                       /* bad mode */
	    {"&cancelReplaceMode=STOP_ON_FAILURE", false, -1102},                /* nothing to cancel */
	    {"&cancelReplaceMode=ALLOW_FAILURE&cancelOrderId=x1", false, -1100}, /* bad id */
	    {"&cancelReplaceMode=ALLOW_FAILURE&side=UP", true, -1117},           /* bad side */
	    {"&cancelReplaceMode=STOP_ON_FAILURE&orderRateLimitExceededMode=NO", true, -1100},
	    {"&cancelReplaceMode=STOP_ON_FAILURE&cancelNewClientOrderId=a%20b", true, -1100},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char id[48] = "";
		if (cases[i].id)
			snprintf(id, sizeof id, "&cancelOrderId=%lld", old);
		snprintf(params, sizeof params,
		         "symbol=BTCUSDT%s&type=LIMIT&timeInForce=GTC&quantity=0.01&price=%s%s%s",
		         strstr(cases[i].extra, "side=") ? "" : "&side=BUY", p1, cases[i].extra, id);
		struct sbt_response r;
		cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
		cr_assert_eq(r.status, 400, "case %zu: %s", i, r.body);
		cJSON *j = sbt_jparse(r.body);
		cr_assert_eq((int)sbt_jnum(j, "code"), cases[i].code, "case %zu: %s", i, r.body);
		cr_assert_null(cJSON_GetObjectItemCaseSensitive(j, "data"), "a plain error: %s", r.body);
		cJSON_Delete(j);
		char h[16];
		cr_assert_null(sbt_header(&r, "X-MBX-ORDER-COUNT-10S", h, sizeof h), "case %zu counted", i);
		sbt_response_free(&r);
	}
	/* A LIMIT replacement without a price is refused before the cancel. */
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01"
	         "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld",
	         old);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert(strstr(r.body, "\"code\":-1102"), "%s", r.body);
	sbt_response_free(&r);
	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 1);
	cr_assert_eq(ids[0], old);
	expect_usdt(notional(p1, "0.01"));
}

/* Places IOC orders far under the market (each counted, none resting) until the 10-second order limit
 * answers 429 -1015. */
static void exhaust_order_limit(void)
{
	char price[32], params[256];
	price_under_bid(0.5, price, sizeof price);
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.00100&price=%s", price);
	for (int i = 0; i < 400; i++) {
		struct sbt_response r;
		cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order", params, KEY, SECRET, &r));
		long status = r.status;
		bool limited = status == 429 && strstr(r.body, "\"code\":-1015");
		cr_assert(status == 200 || limited, "%s", r.body);
		sbt_response_free(&r);
		if (limited)
			return;
	}
	cr_assert_fail("the order limit never answered");
}

Test(spotsim_cancel_replace, order_limit_reached_do_nothing_or_cancel_only)
{
	char p1[32], p2[32], params[512];
	price_under_bid(0.9, p1, sizeof p1);
	price_under_bid(0.85, p2, sizeof p2);
	long long old = rest_buy(p1, "0.01000", "cr-limited");
	/* The 10-second window (aligned to the clock) must not roll over before the replaces are done: late
	 * in a window, wait for the next one and fill that. Spinning against the exhausted limit instead
	 * would spend the minute's request weight (-1003) on a slow machine. */
	for (;;) {
		int64_t into = sb_clock_wall_ms() % 10000;
		if (into > 6000)
			usleep((useconds_t)(10000 - into) * 1000);
		exhaust_order_limit();
		if (sb_clock_wall_ms() % 10000 <= 8000)
			break;
	}
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s"
	         "&cancelReplaceMode=ALLOW_FAILURE&cancelOrderId=%lld",
	         p2, old);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	/* DO_NOTHING (the default): a plain 429, and nothing is canceled. */
	cr_assert_eq(r.status, 429, "%s", r.body);
	cr_assert(strstr(r.body, "\"code\":-1015"), "%s", r.body);
	cr_assert_null(strstr(r.body, "\"data\""), "%s", r.body);
	sbt_response_free(&r);
	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 1);
	cr_assert_eq(ids[0], old);

	/* CANCEL_ONLY: the cancel goes through, the new order fails with the limit's error. */
	snprintf(
	    params, sizeof params,
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.02000&price=%s"
	    "&cancelReplaceMode=STOP_ON_FAILURE&cancelOrderId=%lld&orderRateLimitExceededMode=CANCEL_ONLY",
	    p2, old);
	cr_assert(sbt_signed(sim.port, "POST", PATH, params, KEY, SECRET, &r));
	cJSON *j;
	const cJSON *d = failure(&r, 409, -2021, "Order cancel-replace partially failed.", &j);
	cr_assert_str_eq(sbt_jstr(d, "cancelResult"), "SUCCESS");
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "FAILURE");
	const cJSON *nr = sbt_jfield(d, "newOrderResponse");
	cr_assert_eq((int)sbt_jnum(nr, "code"), -1015);
	cJSON_Delete(j);
	sbt_response_free(&r);
	cr_assert_eq(open_orders(ids, 4), 0);
	expect_usdt(0);
}

/* ---- WebSocket API --------------------------------------------------------------------------------- */

Test(spotsim_cancel_replace, wsapi_market_replacement_fills_and_settles_exactly)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1);
	char p1[32], sorted[512], oid[48];
	price_under_bid(0.9, p1, sizeof p1);
	long long old = rest_buy(p1, "0.01000", "cr-ws-old");
	snprintf(oid, sizeof oid, "\"i\":%lld,", old);
	SBT_WS_WAIT(&wsh, c, 0, oid, "\"x\":\"NEW\"");
	sb_dec btc0, btc0_locked;
	sbt_sim_balance(sim.port, KEY, SECRET, "BTC", &btc0, &btc0_locked);

	size_t before = c->n;
	snprintf(sorted, sizeof sorted,
	         "apiKey=%s&cancelOrderId=%lld&cancelReplaceMode=STOP_ON_FAILURE&newClientOrderId=cr-ws-mkt"
	         "&quantity=0.00200&side=BUY&symbol=BTCUSDT&timestamp=%lld&type=MARKET",
	         KEY, old, (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c, SECRET, 2, "order.cancelReplace", sorted);
	size_t at = SBT_WS_WAIT(&wsh, c, before, "\"id\":2,");
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 200, "%s", c->msg[at]);
	const cJSON *res = sbt_jfield(j, "result");
	cr_assert_str_eq(sbt_jstr(res, "cancelResult"), "SUCCESS");
	cr_assert_str_eq(sbt_jstr(sbt_jfield(res, "cancelResponse"), "status"), "CANCELED");
	const cJSON *nr = sbt_jfield(res, "newOrderResponse");
	cr_assert_str_eq(sbt_jstr(nr, "status"), "FILLED", "%s", c->msg[at]);
	cr_assert_str_eq(sbt_jstr(nr, "executedQty"), "0.00200000");
	long long repl = (long long)sbt_jnum(nr, "orderId");
	sb_dec spent = dec(sbt_jstr(nr, "cummulativeQuoteQty"));
	sb_dec commission = 0;
	const cJSON *fill;
	cJSON_ArrayForEach(fill, sbt_jfield(nr, "fills"))
	{
		cr_assert_str_eq(sbt_jstr(fill, "commissionAsset"), "BTC");
		cr_assert_eq(sb_dec_add(commission, dec(sbt_jstr(fill, "commission")), &commission), SB_OK);
	}
	cr_assert_gt(commission, 0);
	/* rateLimits carry the order count: the replace is one order. */
	const cJSON *rl;
	bool orders = false;
	cJSON_ArrayForEach(rl, sbt_jfield(j, "rateLimits"))
	{
		if (strcmp(sbt_jstr(rl, "rateLimitType"), "ORDERS") == 0 &&
		    strcmp(sbt_jstr(rl, "interval"), "SECOND") == 0) {
			cr_assert_eq((int)sbt_jnum(rl, "count"), 2);
			orders = true;
		}
	}
	cr_assert(orders, "%s", c->msg[at]);
	cJSON_Delete(j);

	/* CANCELED, then NEW, then TRADE, then the account position. */
	snprintf(oid, sizeof oid, "\"i\":%lld,", old);
	size_t cxl = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"CANCELED\"");
	snprintf(oid, sizeof oid, "\"i\":%lld,", repl);
	size_t nw = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"NEW\"");
	size_t tr = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"TRADE\"");
	size_t fin = SBT_WS_WAIT(&wsh, c, before, oid, "\"X\":\"FILLED\"");
	size_t pos = SBT_WS_WAIT(&wsh, c, fin, "\"e\":\"outboundAccountPosition\"");
	cr_assert_lt(cxl, nw);
	cr_assert_lt(nw, tr);
	cr_assert_gt(pos, fin);

	/* USDT: the old lock released, the fill paid, nothing else. BTC: the fill minus the commission. */
	sb_dec f, l, want, btc;
	sbt_sim_balance(sim.port, KEY, SECRET, "USDT", &f, &l);
	cr_assert_eq(l, 0);
	cr_assert_eq(sb_dec_sub(SB_DEC_C(100000, 0), spent, &want), SB_OK);
	cr_assert_eq(f, want);
	sbt_sim_balance(sim.port, KEY, SECRET, "BTC", &btc, &l);
	cr_assert_eq(sb_dec_add(btc0, SB_DEC_C(0, 200000), &want), SB_OK);
	cr_assert_eq(sb_dec_sub(want, commission, &want), SB_OK);
	cr_assert_eq(btc, want);
}

Test(spotsim_cancel_replace, wsapi_stop_on_failure_error_carries_the_data_object)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	char sorted[512];
	snprintf(sorted, sizeof sorted,
	         "apiKey=%s&cancelOrderId=424242&cancelReplaceMode=STOP_ON_FAILURE&quantity=0.00200"
	         "&side=BUY&symbol=BTCUSDT&timestamp=%lld&type=MARKET",
	         KEY, (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c, SECRET, 3, "order.cancelReplace", sorted);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":3,");
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 400, "%s", c->msg[at]);
	const cJSON *e = sbt_jfield(j, "error");
	cr_assert_eq((int)sbt_jnum(e, "code"), -2022);
	const cJSON *d = sbt_jfield(e, "data");
	cr_assert_str_eq(sbt_jstr(d, "cancelResult"), "FAILURE");
	cr_assert_str_eq(sbt_jstr(d, "newOrderResult"), "NOT_ATTEMPTED");
	expect_error_object(sbt_jfield(d, "cancelResponse"), -2011, "Unknown order sent.");
	cr_assert(cJSON_IsNull(sbt_jfield(d, "newOrderResponse")));
	cJSON_Delete(j);
	long long ids[4];
	cr_assert_eq(open_orders(ids, 4), 0, "no market order ran");
}

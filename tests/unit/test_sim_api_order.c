/*
 * test_sim_api_order.c - spotsim's order parameters: every refusal Binance gives for a malformed order
 * (its code and its exact message, which clients match), the integer parameters of the order and account
 * methods, and an order that passes every check. The methods run on an exchange built in the test's
 * process (sbtest_exchange.h), called as the API table calls them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sbtest_exchange.h"
#include "sim/api_int.h"
#include "spotbot/query.h"

static uv_loop_t loop;
static struct sim_exchange *ex;
static struct sb_query q;
static struct sim_api_reply r;

static void setup(void)
{
	uv_loop_init(&loop);
	char err[1024];
	const char *const args[] = {"--account", "k:topsecret42:USDT=100000,BTC=2", "--symbols", "BTCUSDT",
	                            NULL};
	ex = sbt_exchange_new(&loop, args, NULL, err, sizeof err);
	cr_assert_not_null(ex, "%s", err);
}

static void teardown(void)
{
	free(r.json);
	free(r.data);
	sbt_exchange_free(&loop, ex);
	uv_loop_close(&loop);
}

TestSuite(sim_api_order, .init = setup, .fini = teardown);

/* Calls fn with the parameters of query (form-encoded) as account 0; the reply is in r. */
static void call(sim_api_fn fn, const char *query)
{
	cr_assert_eq(sb_query_parse_request(&q, query, strlen(query), NULL, 0), SB_OK, "%s", query);
	struct sim_api_call c = {.ex = ex,
	                         .params = q.pairs,
	                         .nparams = q.npairs,
	                         .account = &ex->accounts[0],
	                         .now_ms = sim_exchange_now(ex)};
	free(r.json);
	free(r.data);
	memset(&r, 0, sizeof r);
	fn(&c, &r);
}

/* The method answered with a document (the API layer sends it with 200). */
static bool accepted(void)
{
	return r.code == 0 && r.json != NULL && (r.status == 0 || r.status == 200);
}

/* order.test with query is refused with code and exactly msg. */
static void refused(const char *query, int code, const char *msg)
{
	call(sim_api_order_test, query);
	cr_assert_eq(r.status, 400, "%s: status %d", query, r.status);
	cr_assert_eq(r.code, code, "%s: code %d (%s)", query, r.code, r.msg);
	cr_assert_str_eq(r.msg, msg, "%s", query);
}

#define LIMIT "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=50000"

Test(sim_api_order, a_well_formed_order_passes_every_check)
{
	call(sim_api_order_test, LIMIT);
	cr_assert(accepted(), "%d %s", r.code, r.msg);
	cr_assert_str_eq(r.json, "{}");
	call(sim_api_order_test, "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01");
	cr_assert(accepted(), "%d %s", r.code, r.msg);
	call(sim_api_order_test, "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=100");
	cr_assert(accepted(), "%d %s", r.code, r.msg);
	call(sim_api_order_test, "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.01&price=50000"
	                         "&newClientOrderId=a.b:c/d_e-f&newOrderRespType=RESULT"
	                         "&selfTradePreventionMode=EXPIRE_MAKER");
	cr_assert(accepted(), "%d %s", r.code, r.msg);
}

Test(sim_api_order, symbol_side_and_type_are_mandatory_and_checked)
{
	refused("side=BUY&type=LIMIT", -1102,
	        "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
	refused("symbol=ETHBTC&side=BUY&type=LIMIT", -1121, "Invalid symbol.");
	refused("symbol=BTCUSDT&type=LIMIT", -1102,
	        "Mandatory parameter 'side' was not sent, was empty/null, or malformed.");
	refused("symbol=BTCUSDT&side=UP&type=LIMIT", -1117, "Invalid side.");
	refused("symbol=BTCUSDT&side=BUY", -1102,
	        "Mandatory parameter 'type' was not sent, was empty/null, or malformed.");
	refused("symbol=BTCUSDT&side=BUY&type=DAY", -1116, "Invalid orderType.");
	refused("symbol=BTCUSDT&side=BUY&type=STOP_LOSS_LIMIT", -1116, "Invalid orderType.");
}

Test(sim_api_order, amounts_are_plain_decimals_of_at_most_eight_places)
{
	refused("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1e3", -1100,
	        "Illegal characters found in parameter 'quantity'; legal range is "
	        "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.");
	refused("symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=-5", -1100,
	        "Illegal characters found in parameter 'quoteOrderQty'; legal range is "
	        "'^([0-9]{1,20})(\\.[0-9]{1,20})?$'.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.000000001", -1111,
	        "Parameter 'price' has too much precision.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0&price=50000", -1013,
	        "Invalid quantity.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0", -1013,
	        "Invalid quantity.");
}

Test(sim_api_order, a_market_order_sends_quantity_or_quote_quantity_and_no_price)
{
	refused("symbol=BTCUSDT&side=BUY&type=MARKET", -1102,
	        "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
	refused("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&quoteOrderQty=100", -1102,
	        "Parameter 'quantity' or 'quoteOrderQty' must be sent, but not both.");
	refused("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&timeInForce=GTC", -1106,
	        "Parameter 'timeInForce' sent when not required.");
	refused("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=1&price=50000", -1106,
	        "Parameter 'price' sent when not required.");
}

Test(sim_api_order, a_limit_order_sends_time_in_force_quantity_and_price)
{
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=50000", -1102,
	        "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=DAY&quantity=1&price=50000", -1115,
	        "Invalid timeInForce.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&price=50000", -1102,
	        "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1", -1102,
	        "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
	refused(LIMIT "&quoteOrderQty=100", -1106, "Parameter 'quoteOrderQty' sent when not required.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&timeInForce=GTC&quantity=1&price=50000", -1106,
	        "Parameter 'timeInForce' sent when not required.");
	refused("symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=1", -1102,
	        "Mandatory parameter 'price' was not sent, was empty/null, or malformed.");
}

Test(sim_api_order, client_id_response_type_and_stp_mode_are_checked)
{
	refused(LIMIT "&newClientOrderId=a%20b", -1100,
	        "Illegal characters found in parameter 'newClientOrderId'; legal range is "
	        "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
	refused(LIMIT "&newClientOrderId=0123456789012345678901234567890123456", -1100,
	        "Illegal characters found in parameter 'newClientOrderId'; legal range is "
	        "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
	refused(LIMIT "&newOrderRespType=SOME", -1100,
	        "Illegal characters found in parameter 'newOrderRespType'.");
	refused(LIMIT "&selfTradePreventionMode=ALWAYS", -1100,
	        "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is "
	        "'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH, DECREMENT, TRANSFER'.");
}

/* A value longer than any valid one is judged by what it is, not taken for a missing parameter. */
Test(sim_api_order, an_overlong_client_order_id_is_refused_not_replaced)
{
	char query[512];
	snprintf(query, sizeof query, "%s&newClientOrderId=%070d", LIMIT, 7);
	refused(query, -1100,
	        "Illegal characters found in parameter 'newClientOrderId'; legal range is "
	        "'^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
}

Test(sim_api_order, integer_parameters_are_digits_that_fit_an_int64)
{
	const char *bad[] = {"orderId=12a", "orderId=-1", "orderId=%2B1", "orderId=99999999999999999999",
	                     "startTime=1.5"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char query[128];
		snprintf(query, sizeof query, "symbol=BTCUSDT&%s", bad[i]);
		call(sim_api_all_orders, query);
		cr_assert_eq(r.code, -1100, "%s: %d %s", query, r.code, r.msg);
		char msg[160];
		snprintf(msg, sizeof msg,
		         "Illegal characters found in parameter '%.*s'; legal range is '^[0-9]{1,20}$'.",
		         (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
		cr_assert_str_eq(r.msg, msg);
	}
	call(sim_api_all_orders, "symbol=BTCUSDT&orderId=9223372036854775807");
	cr_assert(accepted(), "the largest int64 is an id: %d %s", r.code, r.msg);
	call(sim_api_my_trades, "symbol=BTCUSDT&limit=1001");
	cr_assert_eq(r.code, -1100);
	cr_assert_str_eq(r.msg, "Illegal characters found in parameter 'limit'; legal range is '1-1000'.");
	call(sim_api_order_status, "symbol=BTCUSDT");
	cr_assert_eq(r.code, -1102);
	cr_assert_str_eq(r.msg,
	                 "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!");
}

/* The ids of the orders in r's list, in its order, into ids; returns how many. */
static size_t listed_ids(uint64_t *ids, size_t cap)
{
	cr_assert(accepted(), "%d %s", r.code, r.msg);
	size_t n = 0;
	for (const char *p = strstr(r.json, "\"orderId\":"); p && n < cap; p = strstr(p + 1, "\"orderId\":"))
		ids[n++] = strtoull(p + 10, NULL, 10);
	return n;
}

Test(sim_api_order, all_orders_lists_oldest_first_from_an_id_or_the_latest)
{
	uint64_t placed[5], ids[8];
	for (int i = 0; i < 5; i++) {
		char cid[16];
		snprintf(cid, sizeof cid, "w-%d", i);
		placed[i] = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "50000", "0.01", cid);
	}
	call(sim_api_all_orders, "symbol=BTCUSDT&limit=3");
	cr_assert_eq(listed_ids(ids, 8), 3);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(ids[i], placed[2 + i], "the latest three, oldest first");
	char query[96];
	snprintf(query, sizeof query, "symbol=BTCUSDT&limit=2&orderId=%llu", (unsigned long long)placed[1]);
	call(sim_api_all_orders, query);
	cr_assert_eq(listed_ids(ids, 8), 2);
	cr_assert_eq(ids[0], placed[1], "upward from orderId");
	cr_assert_eq(ids[1], placed[2]);
	call(sim_api_all_orders, "symbol=BTCUSDT&endTime=1");
	cr_assert_eq(listed_ids(ids, 8), 0, "none placed before endTime");
}

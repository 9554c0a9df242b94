/*
 * The pure half of the Binance REST client: the exact bytes every endpoint sends (method, path, encoded
 * parameters, weight) and their signatures for fixed timestamps, Binance's own signature vector coming
 * out of the order builder, the server-time offset, and the request-weight gate's decisions (against a
 * naive reference on random inputs).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/rest_build.h"
#include "spotbot/sign.h"

#define VEC_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define TS         INT64_C(1700000000000)

static struct sb_signer *hmac(void)
{
	struct sb_signer *s = NULL;
	cr_assert_eq(sb_signer_new_hmac(VEC_SECRET, strlen(VEC_SECRET), &s), SB_OK);
	return s;
}

/* Signs c with the vector's secret and compares the whole string sent. */
static void expect_signed(const struct sb_bn_rest_call *c, uint32_t window, int64_t ts, const char *want)
{
	struct sb_signer *s = hmac();
	char out[SB_BN_REST_PARAMS_MAX + 256];
	size_t len = 0;
	cr_assert_eq(sb_bn_rest_sign(c, s, window, ts, out, sizeof out, &len), SB_OK);
	cr_assert_str_eq(out, want);
	cr_assert_eq(len, strlen(want));
	sb_signer_free(s);
}

static void expect_call(const struct sb_bn_rest_call *c, enum sb_http_method m, const char *path,
                        const char *params, bool is_signed, bool is_order, int64_t weight)
{
	cr_assert_eq(c->method, m, "%s", path);
	cr_assert_str_eq(c->path, path);
	cr_assert_str_eq(c->params, params);
	cr_assert_eq(c->params_len, strlen(params));
	cr_assert_eq(c->is_signed, is_signed, "%s", path);
	cr_assert_eq(c->is_order, is_order, "%s", path);
	cr_assert_eq(c->weight, weight, "%s %s", path, params);
}

Test(rest_build, binance_signature_vector_comes_out_of_the_order_builder)
{
	struct sb_bn_new_order o = {.symbol = "LTCBTC",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_LIMIT,
	                            .tif = SB_TIF_GTC,
	                            .quantity = SB_DEC_ONE,
	                            .price = SB_DEC_C(0, 10000000),
	                            .resp_type = SB_BN_RESP_DEFAULT};
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	expect_call(&c, SB_HTTP_POST, "/api/v3/order",
	            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1", true, true, 1);
	expect_signed(
	    &c, 5000, INT64_C(1499827319559),
	    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
	    "timestamp=1499827319559&signature=c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
}

Test(rest_build, market_by_quote_with_client_id_and_full_response)
{
	struct sb_bn_new_order o = {.symbol = "BTCUSDT",
	                            .side = SB_SIDE_SELL,
	                            .type = SB_ORDER_MARKET,
	                            .quote_order_qty = SB_DEC_C(25, 50000000),
	                            .client_order_id = "sb-2"};
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	expect_call(
	    &c, SB_HTTP_POST, "/api/v3/order",
	    "symbol=BTCUSDT&side=SELL&type=MARKET&quoteOrderQty=25.5&newClientOrderId=sb-2&newOrderRespType=FULL",
	    true, true, 1);
	expect_signed(&c, 10000, TS + 123,
	              "symbol=BTCUSDT&side=SELL&type=MARKET&quoteOrderQty=25.5&newClientOrderId=sb-2&"
	              "newOrderRespType=FULL&recvWindow=10000&timestamp=1700000000123&"
	              "signature=a3308409191e4a290f5cd42c5a91cc9fe84d7e7bf0bbe3503f7e042b53432430");
}

Test(rest_build, self_trade_prevention_mode_is_sent_only_when_chosen)
{
	struct sb_bn_new_order o = {.symbol = "BTCUSDT",
	                            .side = SB_SIDE_SELL,
	                            .type = SB_ORDER_MARKET,
	                            .quantity = SB_DEC_C(0, 1000),
	                            .client_order_id = "sb-3",
	                            .stp_mode = SB_STP_EXPIRE_MAKER};
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	cr_assert_str_eq(c.params,
	                 "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.00001&newClientOrderId=sb-3&"
	                 "newOrderRespType=FULL&selfTradePreventionMode=EXPIRE_MAKER");
	o.stp_mode = SB_STP_DEFAULT;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	cr_assert_null(strstr(c.params, "selfTradePreventionMode"), "%s", c.params);
	o.stp_mode = SB_STP__COUNT;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID);
}

Test(rest_build, market_by_quantity_and_limit_maker)
{
	struct sb_bn_new_order o = {.symbol = "BTCUSDT",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_MARKET,
	                            .quantity = SB_DEC_C(0, 1000),
	                            .client_order_id = "a_b-c.d:e/f",
	                            .resp_type = SB_BN_RESP_RESULT};
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	/* ':' and '/' are not unreserved: they are encoded, and the encoded bytes are what is signed. */
	cr_assert_str_eq(c.params, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00001&"
	                           "newClientOrderId=a_b-c.d%3Ae%2Ff&newOrderRespType=RESULT");
	o = (struct sb_bn_new_order){.symbol = "BTCUSDT",
	                             .side = SB_SIDE_SELL,
	                             .type = SB_ORDER_LIMIT_MAKER,
	                             .quantity = SB_DEC_C(2, 0),
	                             .price = SB_DEC_C(30000, 10000000),
	                             .client_order_id = "m1",
	                             .resp_type = SB_BN_RESP_ACK};
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	cr_assert_str_eq(c.params, "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=2&price=30000.1&"
	                           "newClientOrderId=m1&newOrderRespType=ACK");
}

Test(rest_build, limit_ioc_and_fok)
{
	struct sb_bn_new_order o = {.symbol = "ETHUSDT",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_LIMIT,
	                            .tif = SB_TIF_IOC,
	                            .quantity = SB_DEC_C(0, 50000000),
	                            .price = SB_DEC_C(1999, 99000000),
	                            .client_order_id = "x"};
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	cr_assert_str_eq(c.params,
	                 "symbol=ETHUSDT&side=BUY&type=LIMIT&timeInForce=IOC&quantity=0.5&price=1999.99&"
	                 "newClientOrderId=x&newOrderRespType=FULL");
	o.tif = SB_TIF_FOK;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	cr_assert(strstr(c.params, "timeInForce=FOK&"));
}

Test(rest_build, an_order_is_checked_as_the_builder_checks_it)
{
	struct sb_bn_rest_call c;
	const struct sb_bn_new_order ok = {.symbol = "BTCUSDT",
	                                   .side = SB_SIDE_BUY,
	                                   .type = SB_ORDER_LIMIT,
	                                   .quantity = SB_DEC_ONE,
	                                   .price = SB_DEC_ONE};
	struct sb_bn_new_order bad[6];
	for (size_t i = 0; i < 6; i++)
		bad[i] = ok;
	bad[0].price = 0;
	bad[1].type = SB_ORDER_MARKET;
	bad[2].quantity = -SB_DEC_ONE;
	bad[3].symbol = "";
	bad[4].client_order_id = "0123456789012345678901234567890123456";
	bad[5].stp_mode = SB_STP__COUNT;
	cr_assert_eq(sb_bn_rest_order_check(&ok), SB_OK);
	cr_assert_eq(sb_bn_rest_order_check(NULL), SB_ERR_INVALID);
	for (size_t i = 0; i < 6; i++) {
		cr_assert_eq(sb_bn_rest_order_check(&bad[i]), SB_ERR_INVALID, "order %zu", i);
		cr_assert_eq(sb_bn_rest_build_order_place(&bad[i], &c), SB_ERR_INVALID, "order %zu", i);
	}
}

Test(rest_build, bad_orders_are_refused_before_anything_is_sent)
{
	struct sb_bn_rest_call c;
	struct sb_bn_new_order ok = {.symbol = "BTCUSDT",
	                             .side = SB_SIDE_BUY,
	                             .type = SB_ORDER_LIMIT,
	                             .quantity = SB_DEC_ONE,
	                             .price = SB_DEC_ONE};
	cr_assert_eq(sb_bn_rest_build_order_place(&ok, &c), SB_OK);
	struct sb_bn_new_order o = ok;
	o.price = 0;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID, "LIMIT without a price");
	o = ok;
	o.type = SB_ORDER_MARKET;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID, "MARKET with a price");
	o.price = 0;
	o.quote_order_qty = SB_DEC_ONE;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID, "MARKET with both quantities");
	o.quantity = 0;
	o.quote_order_qty = 0;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID, "MARKET with no quantity");
	o = ok;
	o.quantity = -SB_DEC_ONE;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID);
	o = ok;
	o.type = SB_ORDER_STOP_LOSS_LIMIT;
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_UNSUPPORTED);
	o = ok;
	o.client_order_id = "0123456789012345678901234567890123456"; /* 37 characters */
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID);
	o.client_order_id = "012345678901234567890123456789012345"; /* 36: the most Binance takes */
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_OK);
	o = ok;
	o.symbol = "";
	cr_assert_eq(sb_bn_rest_build_order_place(&o, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_bn_rest_build_order_place(NULL, &c), SB_ERR_INVALID);
}

Test(rest_build, order_query_and_cancel_by_either_id)
{
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_query("BTCUSDT", -1, "c-1", &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=c-1", true, false, 4);
	expect_signed(&c, 5000, TS,
	              "symbol=BTCUSDT&origClientOrderId=c-1&recvWindow=5000&timestamp=1700000000000&"
	              "signature=07f6a4fa2e9b5840c5c384e89bfd5b823f6ec5a1114ce6c110aa9d2f045a761c");
	cr_assert_eq(sb_bn_rest_build_order_query("BTCUSDT", 42, NULL, &c), SB_OK);
	cr_assert_str_eq(c.params, "symbol=BTCUSDT&orderId=42");
	cr_assert_eq(sb_bn_rest_build_order_cancel("BTCUSDT", 7, NULL, &c), SB_OK);
	expect_call(&c, SB_HTTP_DELETE, "/api/v3/order", "symbol=BTCUSDT&orderId=7", true, true, 1);
	cr_assert_eq(sb_bn_rest_build_order_cancel("BTCUSDT", 7, "c-9", &c), SB_OK);
	cr_assert_str_eq(c.params, "symbol=BTCUSDT&origClientOrderId=c-9",
	                 "the client id wins when both are given");
	cr_assert_eq(sb_bn_rest_build_order_query("BTCUSDT", -1, NULL, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_bn_rest_build_order_cancel(NULL, 1, NULL, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_bn_rest_build_order_query("BTCUSDT", -1, "", &c), SB_ERR_INVALID);
}

Test(rest_build, ed25519_signature_is_percent_encoded_base64)
{
	char path[512];
	const char *src = getenv("SB_SOURCE_DIR");
	snprintf(path, sizeof path, "%s/tests/data/keys/ed25519-test.pem", src ? src : ".");
	struct sb_signer *s = NULL;
	cr_assert_eq(sb_signer_new_ed25519_file(path, &s), SB_OK);
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_order_query("BTCUSDT", 42, NULL, &c), SB_OK);
	char out[1024];
	cr_assert_eq(sb_bn_rest_sign(&c, s, 5000, TS, out, sizeof out, NULL), SB_OK);
	/* openssl pkeyutl -sign -rawin over the payload, base64, then %2B %2F %3D. */
	cr_assert_str_eq(out,
	                 "symbol=BTCUSDT&orderId=42&recvWindow=5000&timestamp=1700000000000&signature="
	                 "GGYWcyuY9ly7L845eEmD6EYMeiG6Z8xY7NDTTx4Ski7XPb16EIGsImWJFKio%2BVcs5Vo2c%2FBoli1c"
	                 "fBcLNXX8Bg%3D%3D");
	sb_signer_free(s);
}

Test(rest_build, public_market_data)
{
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_time(&c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/time", "", false, false, 1);
	cr_assert_eq(sb_bn_rest_build_exchange_info(NULL, 0, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/exchangeInfo", "", false, false, 20);
	const char *one[] = {"BTCUSDT"};
	cr_assert_eq(sb_bn_rest_build_exchange_info(one, 1, &c), SB_OK);
	cr_assert_str_eq(c.params, "symbol=BTCUSDT");
	const char *two[] = {"BTCUSDT", "BNBUSDT"};
	cr_assert_eq(sb_bn_rest_build_exchange_info(two, 2, &c), SB_OK);
	cr_assert_str_eq(c.params, "symbols=%5B%22BTCUSDT%22%2C%22BNBUSDT%22%5D");
	const char *bad[] = {"BTC\"USDT", "X"};
	cr_assert_eq(sb_bn_rest_build_exchange_info(bad, 2, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_bn_rest_build_book_ticker("BTCUSDT", &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/ticker/bookTicker", "symbol=BTCUSDT", false, false, 2);
	cr_assert_eq(sb_bn_rest_build_book_ticker(NULL, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/ticker/bookTicker", "", false, false, 4);
	cr_assert_eq(sb_bn_rest_build_klines("BTCUSDT", "1m", -1, -1, -1, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/klines", "symbol=BTCUSDT&interval=1m", false, false, 2);
	cr_assert_eq(sb_bn_rest_build_klines("BTCUSDT", "1h", TS, TS + 3600000, 10, &c), SB_OK);
	cr_assert_str_eq(c.params,
	                 "symbol=BTCUSDT&interval=1h&startTime=1700000000000&endTime=1700003600000&limit=10");
	cr_assert_eq(sb_bn_rest_build_klines("BTCUSDT", "1m", -1, -1, 1001, &c), SB_ERR_INVALID);
	/* An unsigned call is sent as it was built, with no timestamp; no signer is needed. */
	char out[256];
	cr_assert_eq(sb_bn_rest_sign(&c, NULL, 5000, TS, out, sizeof out, NULL), SB_OK);
	cr_assert_str_eq(out, c.params);
}

Test(rest_build, account_and_lists)
{
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_account(true, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/account", "omitZeroBalances=true", true, false, 20);
	expect_signed(&c, 5000, TS,
	              "omitZeroBalances=true&recvWindow=5000&timestamp=1700000000000&"
	              "signature=821af6641542547413c6f4364e0c62f100d8d746e0ed17277e290acd6214876f");
	cr_assert_eq(sb_bn_rest_build_account(false, &c), SB_OK);
	cr_assert_str_eq(c.params, "");
	cr_assert_eq(sb_bn_rest_build_commission("BTCUSDT", &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/account/commission", "symbol=BTCUSDT", true, false, 20);
	cr_assert_eq(sb_bn_rest_build_open_orders("BTCUSDT", &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/openOrders", "symbol=BTCUSDT", true, false, 6);
	cr_assert_eq(sb_bn_rest_build_open_orders(NULL, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/openOrders", "", true, false, 80);

	struct sb_bn_rest_filter f;
	sb_bn_rest_filter_init(&f, "BTCUSDT");
	cr_assert_eq(sb_bn_rest_build_all_orders(&f, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/allOrders", "symbol=BTCUSDT", true, false, 20);
	f.order_id = 5;
	f.start_time = TS;
	f.end_time = TS + 1000;
	f.limit = 50;
	cr_assert_eq(sb_bn_rest_build_all_orders(&f, &c), SB_OK);
	cr_assert_str_eq(c.params,
	                 "symbol=BTCUSDT&orderId=5&startTime=1700000000000&endTime=1700000001000&limit=50");
	f.from_id = 3;
	cr_assert_eq(sb_bn_rest_build_all_orders(&f, &c), SB_ERR_INVALID, "allOrders has no fromId");

	sb_bn_rest_filter_init(&f, "BTCUSDT");
	cr_assert_eq(sb_bn_rest_build_my_trades(&f, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/myTrades", "symbol=BTCUSDT", true, false, 20);
	f.order_id = 9;
	cr_assert_eq(sb_bn_rest_build_my_trades(&f, &c), SB_OK);
	expect_call(&c, SB_HTTP_GET, "/api/v3/myTrades", "symbol=BTCUSDT&orderId=9", true, false, 5);
	sb_bn_rest_filter_init(&f, "BTCUSDT");
	f.from_id = 0;
	f.limit = 1000;
	cr_assert_eq(sb_bn_rest_build_my_trades(&f, &c), SB_OK);
	cr_assert_str_eq(c.params, "symbol=BTCUSDT&fromId=0&limit=1000");
	f.start_time = TS;
	cr_assert_eq(sb_bn_rest_build_my_trades(&f, &c), SB_ERR_INVALID, "fromId with a time range");
	sb_bn_rest_filter_init(&f, NULL);
	cr_assert_eq(sb_bn_rest_build_my_trades(&f, &c), SB_ERR_INVALID);
}

Test(rest_build, signing_needs_a_signer_and_room)
{
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_account(false, &c), SB_OK);
	char out[512];
	cr_assert_eq(sb_bn_rest_sign(&c, NULL, 5000, TS, out, sizeof out, NULL), SB_ERR_PERM);
	struct sb_signer *s = hmac();
	cr_assert_eq(sb_bn_rest_sign(&c, s, 5000, TS, out, 60, NULL), SB_ERR_TOO_LONG);
	cr_assert_str_eq(out, "");
	sb_signer_free(s);
}

Test(rest_build, too_many_symbols_do_not_fit)
{
	static const char *many[SB_BN_REST_SYMBOLS_MAX];
	static char names[SB_BN_REST_SYMBOLS_MAX][32];
	for (int i = 0; i < SB_BN_REST_SYMBOLS_MAX; i++) {
		snprintf(names[i], sizeof names[i], "SYMBOL%020dUSDT", i);
		many[i] = names[i];
	}
	struct sb_bn_rest_call c;
	cr_assert_eq(sb_bn_rest_build_exchange_info(many, SB_BN_REST_SYMBOLS_MAX, &c), SB_ERR_TOO_LONG);
	cr_assert_eq(sb_bn_rest_build_exchange_info(many, 10, &c), SB_OK);
}

/* ---- server time ---- */

Test(rest_time, offset_is_server_minus_midpoint)
{
	/* Sent at 1000.000 ms, answered at 1010.000 ms: midpoint 1005; the server said 1005 -> 0. */
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1010000, 1005), 0);
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1010000, 6005), 5000);
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1010000, -3995), -5000);
	/* Half-millisecond midpoints round away from zero, symmetrically. */
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1001000, 1003), 3);  /* mid 1000.5 -> 2.5 -> 3 */
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1001000, 998), -3);  /* -2.5 -> -3 */
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1000800, 1000), -0); /* -0.4 -> 0 */
	cr_assert_eq(sb_bn_rest_offset_ms(1000000, 1001400, 1000), -1); /* -0.7 -> -1 */
	/* Realistic epoch values do not overflow. */
	int64_t t = TS * 1000;
	cr_assert_eq(sb_bn_rest_offset_ms(t, t + 250000, TS + 1125), 1000);
}

Test(rest_time, offset_applied_gives_server_time_at_midpoint)
{
	srand(7);
	for (int i = 0; i < 10000; i++) {
		int64_t sent = TS * 1000 + rand() % 1000000;
		int64_t rtt = rand() % 500000;
		int64_t skew = (rand() % 20001) - 10000;
		int64_t mid_ms = (sent + rtt / 2) / 1000;
		int64_t server = mid_ms + skew;
		int64_t off = sb_bn_rest_offset_ms(sent, sent + rtt, server);
		/* local midpoint + offset lands within 1 ms of what the server said. */
		int64_t back = (sent + rtt / 2 + off * 1000) / 1000;
		cr_assert(llabs(back - server) <= 1, "sent %lld rtt %lld skew %lld off %lld", (long long)sent,
		          (long long)rtt, (long long)skew, (long long)off);
	}
}

/* ---- weight gate ---- */

#define MIN0 (TS - TS % 60000) /* a minute boundary */

Test(rest_gate, sends_below_the_margin_and_holds_above_it)
{
	struct sb_bn_weight_gate g;
	sb_bn_weight_gate_init(&g, 6000, 90);
	cr_assert_eq(g.limit, 6000);
	cr_assert_eq(sb_bn_weight_gate_wait(&g, MIN0 + 10, 20), 0, "fresh gate");
	sb_bn_weight_gate_observe(&g, MIN0 + 1000, 5380);
	cr_assert_eq(sb_bn_weight_gate_wait(&g, MIN0 + 1000, 20), 0,
	             "5380 + 20 = 5400 is exactly the margin");
	cr_assert_eq(sb_bn_weight_gate_wait(&g, MIN0 + 1000, 21), 60000 - 1000 + 50, "5401 waits");
	/* In-flight weight counts too. */
	g.in_flight = 20;
	cr_assert_eq(sb_bn_weight_gate_wait(&g, MIN0 + 30000, 1), 30050);
	g.in_flight = 0;
	/* The next minute starts from zero. */
	cr_assert_eq(sb_bn_weight_gate_wait(&g, MIN0 + 60000, 5000), 0);
}

Test(rest_gate, observe_keeps_the_highest_count_of_the_current_minute)
{
	struct sb_bn_weight_gate g;
	sb_bn_weight_gate_init(&g, 1000, 50);
	sb_bn_weight_gate_observe(&g, MIN0 + 5, 300);
	sb_bn_weight_gate_observe(&g, MIN0 + 6, 200); /* an older answer arriving late */
	cr_assert_eq(g.used, 300);
	sb_bn_weight_gate_observe(&g, MIN0 + 7, -1); /* header absent */
	cr_assert_eq(g.used, 300);
	sb_bn_weight_gate_observe(&g, MIN0 + 60001, 4);
	cr_assert_eq(g.used, 4);
	cr_assert_eq(g.minute, MIN0 + 60000);
	sb_bn_weight_gate_observe(&g, MIN0 + 59999, 900); /* from the minute already left */
	cr_assert_eq(g.used, 4);
	cr_assert_eq(g.minute, MIN0 + 60000);
}

Test(rest_gate, a_heavy_request_alone_in_a_fresh_minute_goes)
{
	struct sb_bn_weight_gate g;
	sb_bn_weight_gate_init(&g, 100, 90);
	cr_assert_eq(sb_bn_weight_gate_wait(&g, MIN0, 200), 0);
	sb_bn_weight_gate_observe(&g, MIN0, 1);
	cr_assert_gt(sb_bn_weight_gate_wait(&g, MIN0, 200), 0);
}

Test(rest_gate, defaults_and_bounds)
{
	struct sb_bn_weight_gate g;
	sb_bn_weight_gate_init(&g, 0, 0);
	cr_assert_eq(g.limit, SB_BN_REST_WEIGHT_LIMIT);
	cr_assert_eq(g.margin_pct, SB_BN_REST_MARGIN_PCT);
	sb_bn_weight_gate_init(&g, 10, 101);
	cr_assert_eq(g.margin_pct, SB_BN_REST_MARGIN_PCT);
}

/* The gate's decision, written the obvious way. */
static int64_t naive_wait(int64_t limit, int64_t pct, int64_t obs_minute, int64_t used, int64_t in_flight,
                          int64_t now, int64_t w)
{
	int64_t minute = (now / 60000) * 60000;
	int64_t u = minute == obs_minute ? used : 0;
	if (u == 0 && in_flight == 0)
		return 0;
	if (u + in_flight + w <= limit * pct / 100) /* the budget is a whole number of weight */
		return 0;
	return (minute + 60000) - now + 50;
}

Test(rest_gate, matches_a_naive_reference_on_random_inputs)
{
	srand(42);
	for (int i = 0; i < 100000; i++) {
		struct sb_bn_weight_gate g;
		int64_t limit = 1 + rand() % 6000;
		unsigned pct = 1 + (unsigned)(rand() % 100);
		sb_bn_weight_gate_init(&g, limit, pct);
		int64_t t_obs = MIN0 + rand() % 180000;
		int64_t used = rand() % 7000;
		sb_bn_weight_gate_observe(&g, t_obs, used);
		g.in_flight = rand() % 4 ? 0 : rand() % 200;
		int64_t now = t_obs + rand() % 120000;
		int64_t w = 1 + rand() % 100;
		int64_t want = naive_wait(limit, pct, (t_obs / 60000) * 60000, used, g.in_flight, now, w);
		cr_assert_eq(sb_bn_weight_gate_wait(&g, now, w), want,
		             "i %d limit %lld pct %u used %lld now-obs %lld", i, (long long)limit, pct,
		             (long long)used, (long long)(now - t_obs));
	}
}

/*
 * The pure parts of the user data stream: WebSocket API requests and their signatures, checked against
 * Binance's published WebSocket API vector (binance-spot-api.md §3, vector 3) and with cJSON; and
 * order.place, its request built from the REST order's parameters and its recorded answers
 * (tests/data/binance/ws_order_place_*.json) read through the real frame parser.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/sign_int.h"
#include "exchange/wsapi_order.h"
#include "sbtest.h"
#include "spotbot/binance_streams.h"

#define VEC_KEY    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define VEC_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

static struct sb_signer *hmac(void)
{
	struct sb_signer *s = NULL;
	cr_assert_eq(sb_signer_new_hmac(VEC_SECRET, strlen(VEC_SECRET), &s), SB_OK);
	return s;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	cr_assert(cJSON_IsString(v), "%s is not a string", k);
	return v->valuestring;
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	cr_assert(cJSON_IsNumber(v), "%s is not a number", k);
	return v->valuedouble;
}

Test(user_stream, request_signature_matches_binance_websocket_api_vector)
{
	/* Given out of order on purpose: the signature covers them sorted by name. */
	const struct sb_bn_ws_param p[] = {
	    {"symbol", "BTCUSDT", false},      {"side", "SELL", false},
	    {"type", "LIMIT", false},          {"timeInForce", "GTC", false},
	    {"quantity", "0.01000000", false}, {"price", "52000.00", false},
	    {"recvWindow", "100", true},       {"timestamp", "1645423376532", true},
	    {"apiKey", VEC_KEY, false},
	};
	struct sb_signer *s = hmac();
	char out[2048];
	size_t len = 0;
	cr_assert_eq(
	    sb_bn_ws_request_build(s, 42, "order.place", p, sizeof p / sizeof p[0], out, sizeof out, &len),
	    SB_OK);
	cr_assert_eq(len, strlen(out));
	cJSON *j = cJSON_Parse(out);
	cr_assert_not_null(j, "not JSON: %s", out);
	cr_assert_eq(jnum(j, "id"), 42.0);
	cr_assert_str_eq(jstr(j, "method"), "order.place");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
	cr_assert_str_eq(jstr(params, "signature"),
	                 "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
	cr_assert_str_eq(jstr(params, "price"), "52000.00");
	cr_assert_eq(jnum(params, "recvWindow"), 100.0);
	cr_assert_eq(jnum(params, "timestamp"), 1645423376532.0);
	cr_assert_str_eq(jstr(params, "apiKey"), VEC_KEY);
	cJSON_Delete(j);
	sb_signer_free(s);
}

Test(user_stream, subscribe_signature_request_for_a_fixed_timestamp)
{
	const struct sb_bn_ws_param p[] = {
	    {"apiKey", VEC_KEY, false},
	    {"timestamp", "1747385641636", true},
	};
	struct sb_signer *s = hmac();
	char out[1024];
	cr_assert_eq(
	    sb_bn_ws_request_build(s, 1, "userDataStream.subscribe.signature", p, 2, out, sizeof out, NULL),
	    SB_OK);
	cJSON *j = cJSON_Parse(out);
	cr_assert_not_null(j);
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
	const char *sig = jstr(params, "signature");
	const char *payload = "apiKey=" VEC_KEY "&timestamp=1747385641636";
	cr_assert_eq(
	    sb_sign_verify_hmac(VEC_SECRET, strlen(VEC_SECRET), payload, strlen(payload), sig, strlen(sig)),
	    SB_OK, "signature covers apiKey=...&timestamp=...");
	cr_assert_eq(cJSON_GetArraySize(params), 3);
	const char *head = "{\"id\":1,\"method\":\"userDataStream.subscribe.signature\",\"params\":{"
	                   "\"apiKey\":\"" VEC_KEY "\",\"timestamp\":1747385641636,\"signature\":\"";
	cr_assert_eq(strncmp(out, head, strlen(head)), 0, "%s", out);
	cJSON_Delete(j);
	sb_signer_free(s);
}

Test(user_stream, unsigned_request_without_params_is_just_id_and_method)
{
	char out[128];
	cr_assert_eq(sb_bn_ws_request_build(NULL, 7, "ping", NULL, 0, out, sizeof out, NULL), SB_OK);
	cr_assert_str_eq(out, "{\"id\":7,\"method\":\"ping\"}");
}

Test(user_stream, request_strings_are_json_escaped)
{
	const struct sb_bn_ws_param p[] = {{"note", "a\"b\\c\n", false}};
	char out[256];
	cr_assert_eq(sb_bn_ws_request_build(NULL, 1, "x", p, 1, out, sizeof out, NULL), SB_OK);
	cJSON *j = cJSON_Parse(out);
	cr_assert_not_null(j, "%s", out);
	cr_assert_str_eq(jstr(cJSON_GetObjectItemCaseSensitive(j, "params"), "note"), "a\"b\\c\n");
	cJSON_Delete(j);
}

Test(user_stream, request_errors)
{
	char out[64];
	const struct sb_bn_ws_param bad_num[] = {{"timestamp", "12x", true}};
	cr_assert_eq(sb_bn_ws_request_build(NULL, 1, "x", bad_num, 1, out, sizeof out, NULL), SB_ERR_INVALID);
	const struct sb_bn_ws_param dup[] = {{"a", "1", true}, {"a", "2", true}};
	cr_assert_eq(sb_bn_ws_request_build(NULL, 1, "x", dup, 2, out, sizeof out, NULL), SB_ERR_EXISTS);
	struct sb_signer *s = hmac();
	cr_assert_eq(sb_bn_ws_request_build(s, 1, "x", dup, 2, out, sizeof out, NULL), SB_ERR_EXISTS);
	const struct sb_bn_ws_param key[] = {{"apiKey", VEC_KEY, false}};
	cr_assert_eq(sb_bn_ws_request_build(s, 1, "x", key, 1, out, sizeof out, NULL), SB_ERR_TOO_LONG);
	cr_assert_str_eq(out, "", "nothing half-written");
	cr_assert_eq(sb_bn_ws_request_build(s, 1, NULL, key, 1, out, sizeof out, NULL), SB_ERR_INVALID);
	sb_signer_free(s);
}

Test(user_stream, reconcile_reason_names)
{
	cr_assert_str_eq(sb_bn_reconcile_reason_name(SB_BN_RECONCILE_SUBSCRIBED), "subscribed");
	cr_assert_str_eq(sb_bn_reconcile_reason_name(SB_BN_RECONCILE_SILENT), "silent");
	cr_assert_str_eq(sb_bn_reconcile_reason_name(SB_BN_RECONCILE_DEAD), "dead");
}

/* ---- order.place ------------------------------------------------------------------------------------ */

/* A limit sell as the order manager sends it. */
static struct sb_bn_new_order limit_sell(void)
{
	return (struct sb_bn_new_order){.symbol = "BTCUSDT",
	                                .side = SB_SIDE_SELL,
	                                .type = SB_ORDER_LIMIT,
	                                .tif = SB_TIF_GTC,
	                                .quantity = SB_DEC_C(0, 1000000),
	                                .price = SB_DEC_C(52000, 0),
	                                .client_order_id = "sb-7-s1",
	                                .resp_type = SB_BN_RESP_FULL,
	                                .stp_mode = SB_STP_EXPIRE_MAKER};
}

Test(user_stream, order_place_request_carries_the_rest_parameters_signed_with_the_key)
{
	struct sb_signer *s = hmac();
	struct sb_bn_ws_order_auth auth = {
	    .signer = s, .api_key = VEC_KEY, .timestamp_ms = 1645423376532, .recv_window_ms = 100};
	struct sb_bn_new_order o = limit_sell();
	char out[SB_BN_US_REQUEST_MAX];
	size_t len = 0;
	cr_assert_eq(sb_bn_ws_order_request(&auth, 9, &o, out, sizeof out, &len), SB_OK);
	cr_assert_eq(len, strlen(out));
	cJSON *j = cJSON_Parse(out);
	cr_assert_not_null(j, "not JSON: %s", out);
	cr_assert_eq(jnum(j, "id"), 9.0);
	cr_assert_str_eq(jstr(j, "method"), "order.place");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "params");
	cr_assert_str_eq(jstr(p, "symbol"), "BTCUSDT");
	cr_assert_str_eq(jstr(p, "side"), "SELL");
	cr_assert_str_eq(jstr(p, "type"), "LIMIT");
	cr_assert_str_eq(jstr(p, "timeInForce"), "GTC");
	cr_assert_str_eq(jstr(p, "quantity"), "0.01");
	cr_assert_str_eq(jstr(p, "price"), "52000");
	cr_assert_str_eq(jstr(p, "newClientOrderId"), "sb-7-s1");
	cr_assert_str_eq(jstr(p, "newOrderRespType"), "FULL");
	cr_assert_str_eq(jstr(p, "selfTradePreventionMode"), "EXPIRE_MAKER");
	cr_assert_str_eq(jstr(p, "apiKey"), VEC_KEY);
	cr_assert_eq(jnum(p, "recvWindow"), 100.0);
	cr_assert_eq(jnum(p, "timestamp"), 1645423376532.0);
	cr_assert_eq(cJSON_GetArraySize(p), 13, "nothing else is sent");
	/* The signature covers every parameter sorted by name, as Binance checks it. */
	const char *payload = "apiKey=" VEC_KEY "&newClientOrderId=sb-7-s1&newOrderRespType=FULL&price=52000"
	                      "&quantity=0.01&recvWindow=100&selfTradePreventionMode=EXPIRE_MAKER&side=SELL"
	                      "&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT";
	const char *sig = jstr(p, "signature");
	cr_assert_eq(
	    sb_sign_verify_hmac(VEC_SECRET, strlen(VEC_SECRET), payload, strlen(payload), sig, strlen(sig)),
	    SB_OK, "signature %s", sig);
	cJSON_Delete(j);
	sb_signer_free(s);
}

Test(user_stream, order_place_on_a_logged_on_session_sends_no_key_and_no_signature)
{
	struct sb_bn_ws_order_auth auth = {.timestamp_ms = 1700000000000};
	struct sb_bn_new_order o = limit_sell();
	o.type = SB_ORDER_MARKET;
	o.price = 0;
	char out[SB_BN_US_REQUEST_MAX];
	cr_assert_eq(sb_bn_ws_order_request(&auth, 3, &o, out, sizeof out, NULL), SB_OK);
	cJSON *j = cJSON_Parse(out);
	cr_assert_not_null(j, "%s", out);
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "params");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(p, "apiKey"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(p, "signature"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(p, "recvWindow"));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(p, "timeInForce"), "MARKET takes none");
	cr_assert_eq(jnum(p, "timestamp"), 1700000000000.0);
	cr_assert_str_eq(jstr(p, "type"), "MARKET");
	cJSON_Delete(j);
}

Test(user_stream, order_place_request_refuses_what_rest_would)
{
	struct sb_signer *s = hmac();
	struct sb_bn_ws_order_auth auth = {.signer = s, .api_key = VEC_KEY, .timestamp_ms = 1};
	char out[SB_BN_US_REQUEST_MAX] = "x";
	struct sb_bn_new_order o = limit_sell();
	o.price = 0; /* a LIMIT without a price */
	cr_assert_eq(sb_bn_ws_order_request(&auth, 1, &o, out, sizeof out, NULL), SB_ERR_INVALID);
	o = limit_sell();
	o.type = SB_ORDER_STOP_LOSS;
	cr_assert_eq(sb_bn_ws_order_request(&auth, 1, &o, out, sizeof out, NULL), SB_ERR_UNSUPPORTED);
	o = limit_sell();
	cr_assert_eq(sb_bn_ws_order_request(&auth, 1, &o, out, 64, NULL), SB_ERR_TOO_LONG);
	auth.api_key = NULL;
	cr_assert_eq(sb_bn_ws_order_request(&auth, 1, &o, out, sizeof out, NULL), SB_ERR_INVALID,
	             "a signed request needs the key");
	sb_signer_free(s);
}

/* tests/data/binance/<name> from the source tree; caller frees. */
static char *recorded(const char *name, size_t *len)
{
	char rel[256], path[1024];
	snprintf(rel, sizeof rel, "tests/data/binance/%s", name);
	char *text = sbt_read_file(sbt_source_path(rel, path, sizeof path));
	cr_assert(text && *text, "cannot read %s", path);
	*len = strlen(text);
	return text;
}

/* A recorded frame through the stream's parser, then what the order's answer comes to. */
static sb_err answer_of(const char *name, struct sb_bn_rest_result *res, struct sb_bn_order *order,
                        int64_t *weight)
{
	size_t len = 0;
	char *text = recorded(name, &len);
	struct sb_bn_ws_frame f;
	char err[256];
	cr_assert_eq(sb_bn_ws_frame_parse(text, len, &f, err, sizeof err), SB_OK, "%s: %s", name, err);
	cr_assert_eq(f.kind, SB_BN_WS_RESPONSE);
	sb_err e = sb_bn_ws_order_answer(&f.response, SB_BN_ORDER_FULL, res, order);
	*weight = sb_bn_ws_used_weight(&f.response);
	sb_bn_ws_frame_fini(&f);
	free(text);
	return e;
}

Test(user_stream, order_place_answer_is_the_rest_result_with_its_fills_and_weight)
{
	struct sb_bn_rest_result res;
	struct sb_bn_order o;
	int64_t w = 0;
	cr_assert_eq(answer_of("ws_order_place_full.json", &res, &o, &w), SB_OK, "%s", res.detail);
	cr_assert_eq(res.err, SB_OK);
	cr_assert_eq(res.http_status, 200);
	cr_assert(res.sent);
	cr_assert_eq(o.order_id, 28);
	cr_assert_str_eq(o.client_order_id, "6gCrw2kRUAF9CvJDGP16IP");
	cr_assert_eq(o.status, SB_ORDER_FILLED);
	cr_assert_eq(o.n_fills, 5);
	cr_assert_eq(o.fills[0].trade_id, 56);
	cr_assert_eq(w, 1, "REQUEST_WEIGHT count, not the ORDERS counts");
	sb_bn_order_fini(&o);
}

Test(user_stream, order_place_5xx_is_an_unknown_outcome_and_a_429_a_rate_limit)
{
	struct sb_bn_rest_result res;
	struct sb_bn_order o;
	int64_t w = 0;
	cr_assert_eq(answer_of("ws_order_place_unknown.json", &res, &o, &w), SB_ERR_UNKNOWN_OUTCOME);
	cr_assert_eq(res.http_status, 503);
	cr_assert_eq(res.api.code, -1007);
	cr_assert(strstr(res.api.msg, "execution status unknown") != NULL);
	cr_assert(strstr(res.detail, "-1007") != NULL, "%s", res.detail);
	cr_assert_eq(answer_of("ws_order_place_429.json", &res, &o, &w), SB_ERR_RATE_LIMIT);
	cr_assert_eq(res.api.retry_after_ms, 1659127680000);
	cr_assert_eq(w, 6004);
	cr_assert_eq(answer_of("ws_response_error.json", &res, &o, &w), SB_ERR_EXCHANGE);
	cr_assert_eq(res.api.code, -2010);
	cr_assert_eq(res.http_status, 400);
}

Test(user_stream, order_place_accepted_but_unreadable_is_an_unknown_outcome)
{
	/* ws_response_rate_limits.json's result is {}: accepted, so the order exists, but nothing says which.
	 */
	struct sb_bn_rest_result res;
	struct sb_bn_order o;
	int64_t w = 0;
	cr_assert_eq(answer_of("ws_response_rate_limits.json", &res, &o, &w), SB_ERR_UNKNOWN_OUTCOME);
	cr_assert_eq(res.http_status, 200);
	cr_assert_neq(res.detail[0], '\0', "says what was missing");
	cr_assert_eq(w, 70);
}

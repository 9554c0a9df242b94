/*
 * The pure parts of the user data stream: WebSocket API requests and their signatures, checked against
 * Binance's published WebSocket API vector (binance-spot-api.md §3, vector 3) and with cJSON.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/sign_int.h"
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

/*
 * test_codec.c - the Binance message codec: every recorded official payload in tests/data/binance parses
 * to its exact values; case-only-different keys are told apart; ids and 13-digit timestamps stay exact;
 * malformed, incomplete, mistyped, oversized and unknown input fails cleanly with a message naming the
 * field; and random executionReports survive a serialise/parse round trip.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/codec_doc.h"

#define D(s) dec(s)

static sb_dec dec(const char *s)
{
	sb_dec v;
	cr_assert_eq(sb_dec_parse_cstr(s, &v), SB_OK, "bad decimal literal %s", s);
	return v;
}

/* Reads tests/data/<dir>/<name> from the source tree; caller frees. */
static char *read_file(const char *dir, const char *name, size_t *len)
{
	const char *root = getenv("SB_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/%s/%s", root ? root : ".", dir, name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *read_data(const char *name, size_t *len)
{
	return read_file("binance", name, len);
}

static struct sb_bn_market_msg market_file(const char *name)
{
	size_t len;
	char *json = read_data(name, &len);
	struct sb_bn_market_msg m;
	char err[256];
	sb_err e = sb_bn_market_parse(json, len, &m, err, sizeof err);
	free(json);
	cr_assert_eq(e, SB_OK, "%s: %s (%s)", name, sb_errname(e), err);
	cr_assert_str_empty(err);
	return m;
}

static sb_err market_str(const char *json, struct sb_bn_market_msg *m, char *err, size_t cap)
{
	return sb_bn_market_parse(json, strlen(json), m, err, cap);
}

static struct sb_bn_user_event user_file(const char *name)
{
	size_t len;
	char *json = read_data(name, &len);
	struct sb_bn_user_event ev;
	char err[256];
	sb_err e = sb_bn_user_event_parse(json, len, &ev, err, sizeof err);
	free(json);
	cr_assert_eq(e, SB_OK, "%s: %s (%s)", name, sb_errname(e), err);
	return ev;
}

static sb_err user_str(const char *json, struct sb_bn_user_event *ev, char *err, size_t cap)
{
	return sb_bn_user_event_parse(json, strlen(json), ev, err, cap);
}

/* Parses a REST body with status 200; caller deletes. */
static cJSON *rest_file(const char *name)
{
	size_t len;
	char *json = read_data(name, &len);
	cJSON *doc;
	struct sb_bn_api_error api;
	char err[256];
	sb_err e = sb_bn_rest_parse(json, len, SB_BN_MSG_MAX, 200, &doc, &api, err, sizeof err);
	free(json);
	cr_assert_eq(e, SB_OK, "%s: %s (%s)", name, sb_errname(e), err);
	return doc;
}

/* The official executionReport with one key's value replaced by raw JSON text (NULL deletes the key). */
static char *exec_with(const char *key, const char *raw)
{
	size_t len;
	char *json = read_data("user_execution_report.json", &len);
	cJSON *doc = cJSON_Parse(json);
	free(json);
	cJSON *ev = cJSON_GetObjectItemCaseSensitive(doc, "event");
	cJSON_DeleteItemFromObjectCaseSensitive(ev, key);
	if (raw)
		cJSON_AddItemToObject(ev, key, cJSON_Parse(raw));
	char *out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	return out;
}

static void expect_exec_error(const char *key, const char *raw, sb_err want, const char *msg)
{
	char *json = exec_with(key, raw);
	struct sb_bn_user_event ev;
	char err[256];
	sb_err e = user_str(json, &ev, err, sizeof err);
	cr_assert_eq(e, want, "%s=%s: got %s (%s)", key, raw ? raw : "(deleted)", sb_errname(e), err);
	cr_assert_str_eq(err, msg);
	cr_assert_eq(ev.kind, 0);
	cr_assert_eq(ev.u.exec.order_id, 0, "output is zeroed on error");
	free(json);
}

/* ---- market stream frames --------------------------------------------------------------------------- */

Test(codec, parses_official_trade)
{
	struct sb_bn_market_msg m = market_file("trade.json");
	cr_assert_eq(m.kind, SB_BN_MKT_TRADE);
	cr_assert_str_empty(m.stream);
	const struct sb_bn_trade *t = &m.u.trade;
	cr_assert_eq(t->event_time, INT64_C(1672515782136));
	cr_assert_str_eq(t->symbol, "BNBBTC");
	cr_assert_eq(t->trade_id, 12345);
	cr_assert_eq(t->price, SB_DEC_C(0, 100000));
	cr_assert_eq(t->qty, SB_DEC_C(100, 0));
	cr_assert_eq(t->trade_time, INT64_C(1672515782136));
	cr_assert(t->buyer_maker);
}

Test(codec, parses_official_agg_trade)
{
	struct sb_bn_market_msg m = market_file("agg_trade.json");
	cr_assert_eq(m.kind, SB_BN_MKT_AGG_TRADE);
	const struct sb_bn_agg_trade *t = &m.u.agg_trade;
	cr_assert_eq(t->event_time, INT64_C(1672515782136));
	cr_assert_str_eq(t->symbol, "BNBBTC");
	cr_assert_eq(t->agg_id, 12345);
	cr_assert_eq(t->price, D("0.001"));
	cr_assert_eq(t->qty, D("100"));
	cr_assert_eq(t->first_trade_id, 100);
	cr_assert_eq(t->last_trade_id, 105);
	cr_assert_eq(t->trade_time, INT64_C(1672515782136));
	cr_assert(t->buyer_maker);
}

Test(codec, parses_official_book_ticker)
{
	struct sb_bn_market_msg m = market_file("book_ticker.json");
	cr_assert_eq(m.kind, SB_BN_MKT_BOOK_TICKER);
	const struct sb_bn_book_ticker *t = &m.u.book_ticker;
	cr_assert_eq(t->update_id, 400900217);
	cr_assert_str_eq(t->symbol, "BNBUSDT");
	cr_assert_eq(t->bid_price, SB_DEC_C(25, 35190000));
	cr_assert_eq(t->bid_qty, SB_DEC_C(31, 21000000));
	cr_assert_eq(t->ask_price, SB_DEC_C(25, 36520000));
	cr_assert_eq(t->ask_qty, SB_DEC_C(40, 66000000));
}

Test(codec, parses_official_kline)
{
	struct sb_bn_market_msg m = market_file("kline.json");
	cr_assert_eq(m.kind, SB_BN_MKT_KLINE);
	const struct sb_bn_kline *k = &m.u.kline;
	cr_assert_eq(k->event_time, INT64_C(1672515782136));
	cr_assert_str_eq(k->symbol, "BNBBTC");
	cr_assert_str_eq(k->interval, "1m");
	cr_assert_eq(k->first_trade_id, 100);
	cr_assert_eq(k->last_trade_id, 200);
	cr_assert_not(k->closed);
	cr_assert_eq(k->candle.open_time, INT64_C(1672515780000));
	cr_assert_eq(k->candle.close_time, INT64_C(1672515839999));
	cr_assert_eq(k->candle.open, D("0.0010"));
	cr_assert_eq(k->candle.close, D("0.0020"));
	cr_assert_eq(k->candle.high, D("0.0025"));
	cr_assert_eq(k->candle.low, D("0.0015"));
	cr_assert_eq(k->candle.volume, D("1000"));
	cr_assert_eq(k->candle.trades, 100);
	cr_assert_eq(k->candle.quote_volume, D("1.0000"));
	cr_assert_eq(k->candle.taker_buy_base, D("500"));
	cr_assert_eq(k->candle.taker_buy_quote, D("0.500"));
}

Test(codec, parses_official_mini_ticker)
{
	struct sb_bn_market_msg m = market_file("mini_ticker.json");
	cr_assert_eq(m.kind, SB_BN_MKT_MINI_TICKER);
	const struct sb_bn_mini_ticker *t = &m.u.mini_ticker;
	cr_assert_eq(t->event_time, INT64_C(1672515782136));
	cr_assert_str_eq(t->symbol, "BNBBTC");
	cr_assert_eq(t->close, D("0.0025"));
	cr_assert_eq(t->open, D("0.0010"));
	cr_assert_eq(t->high, D("0.0025"));
	cr_assert_eq(t->low, D("0.0010"));
	cr_assert_eq(t->volume, D("10000"));
	cr_assert_eq(t->quote_volume, D("18"));
}

Test(codec, combined_envelope_keeps_stream_name)
{
	struct sb_bn_market_msg m = market_file("combined_book_ticker.json");
	cr_assert_eq(m.kind, SB_BN_MKT_BOOK_TICKER);
	cr_assert_str_eq(m.stream, "bnbusdt@bookTicker");
	cr_assert_eq(m.u.book_ticker.ask_qty, SB_DEC_C(40, 66000000));
	m = market_file("combined_trade.json");
	cr_assert_eq(m.kind, SB_BN_MKT_TRADE);
	cr_assert_str_eq(m.stream, "bnbbtc@trade");
	cr_assert_eq(m.u.trade.trade_id, 12345);
}

Test(codec, server_shutdown_raw_and_combined)
{
	struct sb_bn_market_msg m = market_file("server_shutdown.json");
	cr_assert_eq(m.kind, SB_BN_MKT_SERVER_SHUTDOWN);
	cr_assert_eq(m.u.shutdown_time, INT64_C(1770123456789));
	m = market_file("combined_server_shutdown.json");
	cr_assert_eq(m.kind, SB_BN_MKT_SERVER_SHUTDOWN);
	cr_assert_str_eq(m.stream, "!serverShutdown");
	cr_assert_eq(m.u.shutdown_time, INT64_C(1770123456789));
}

Test(codec, control_replies)
{
	struct sb_bn_market_msg m = market_file("control_subscribe_result.json");
	cr_assert_eq(m.kind, SB_BN_MKT_CONTROL_REPLY);
	cr_assert_eq(m.u.reply.id.kind, SB_BN_ID_NUM);
	cr_assert_eq(m.u.reply.id.num, 1);
	cr_assert_eq(m.u.reply.kind, SB_BN_RESULT_NULL);
	m = market_file("control_list_subscriptions.json");
	cr_assert_eq(m.u.reply.kind, SB_BN_RESULT_ARRAY);
	cr_assert_eq(m.u.reply.result_count, 1);
	cr_assert_eq(m.u.reply.id.num, 3);
	m = market_file("control_get_property.json");
	cr_assert_eq(m.u.reply.kind, SB_BN_RESULT_TRUE);
	cr_assert_eq(m.u.reply.id.num, 2);

	char err[128];
	cr_assert_eq(market_str("{\"result\":null,\"id\":\"sub-7\"}", &m, err, sizeof err), SB_OK);
	cr_assert_eq(m.u.reply.id.kind, SB_BN_ID_STR);
	cr_assert_str_eq(m.u.reply.id.str, "sub-7");
	cr_assert_eq(market_str("{\"result\":null,\"id\":null}", &m, err, sizeof err), SB_OK);
	cr_assert_eq(m.u.reply.id.kind, SB_BN_ID_NULL);
	cr_assert_eq(market_str("{\"result\":null}", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "control reply: field \"id\": missing");
}

Test(codec, control_errors_in_both_forms)
{
	struct sb_bn_market_msg m = market_file("control_error_invalid_json.json");
	cr_assert_eq(m.kind, SB_BN_MKT_CONTROL_ERROR);
	cr_assert_eq(m.u.error.code, 3);
	cr_assert_str_eq(m.u.error.msg, "Invalid JSON: expected value at line %s column %s");
	cr_assert_eq(m.u.error.id.kind, SB_BN_ID_NULL);
	m = market_file("control_error_invalid_request.json");
	cr_assert_eq(m.u.error.code, 2);
	char err[128];
	cr_assert_eq(
	    market_str("{\"error\":{\"code\":0,\"msg\":\"Unknown property\"},\"id\":5}", &m, err, sizeof err),
	    SB_OK);
	cr_assert_eq(m.kind, SB_BN_MKT_CONTROL_ERROR);
	cr_assert_eq(m.u.error.code, 0);
	cr_assert_eq(m.u.error.id.num, 5);
	cr_assert_str_eq(m.u.error.msg, "Unknown property");
}

Test(codec, unsupported_market_payloads_are_reported_not_parsed)
{
	size_t len;
	char *json = read_data("ticker_24hr.json", &len);
	struct sb_bn_market_msg m;
	char err[128];
	cr_assert_eq(sb_bn_market_parse(json, len, &m, err, sizeof err), SB_ERR_UNSUPPORTED);
	cr_assert_str_eq(err, "market frame: field \"e\": event type \"24hrTicker\" is not supported");
	free(json);
	cr_assert_eq(market_str("[{\"e\":\"24hrMiniTicker\"}]", &m, err, sizeof err), SB_ERR_UNSUPPORTED);
	cr_assert_eq(market_str("{\"foo\":1}", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "market frame: not a recognised market frame");
}

Test(codec, book_ticker_tells_b_from_B_and_a_from_A)
{
	struct sb_bn_market_msg m;
	char err[128];
	cr_assert_eq(market_str("{\"A\":\"4\",\"a\":\"3\",\"B\":\"2\",\"b\":\"1\",\"s\":\"X\",\"u\":9}", &m,
	                        err, sizeof err),
	             SB_OK, "%s", err);
	cr_assert_eq(m.u.book_ticker.bid_price, D("1"));
	cr_assert_eq(m.u.book_ticker.bid_qty, D("2"));
	cr_assert_eq(m.u.book_ticker.ask_price, D("3"));
	cr_assert_eq(m.u.book_ticker.ask_qty, D("4"));
	/* A frame with only the upper-case keys lacks the lower-case ones. */
	cr_assert_eq(market_str("{\"A\":\"4\",\"B\":\"2\",\"s\":\"X\",\"u\":9}", &m, err, sizeof err),
	             SB_ERR_PARSE);
	cr_assert_str_eq(err, "bookTicker: field \"b\": missing");
}

Test(codec, trade_tells_t_from_T)
{
	struct sb_bn_market_msg m;
	char err[128];
	const char *j =
	    "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"T\":1700000000123,\"t\":77,\"p\":\"1\",\"q\":\"2\","
	    "\"m\":false}";
	cr_assert_eq(market_str(j, &m, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(m.u.trade.trade_id, 77);
	cr_assert_eq(m.u.trade.trade_time, INT64_C(1700000000123));
	cr_assert_not(m.u.trade.buyer_maker);
}

Test(codec, large_ids_are_exact_up_to_2_pow_53)
{
	struct sb_bn_market_msg m;
	char err[160];
	const char *ok =
	    "{\"e\":\"trade\",\"E\":9999999999999,\"s\":\"X\",\"t\":9007199254740991,\"p\":\"1\","
	    "\"q\":\"2\",\"T\":1000000000000,\"m\":true}";
	cr_assert_eq(market_str(ok, &m, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(m.u.trade.trade_id, INT64_C(9007199254740991));
	cr_assert_eq(m.u.trade.event_time, INT64_C(9999999999999));
	const char *big =
	    "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":9007199254740993,\"p\":\"1\",\"q\":\"2\","
	    "\"T\":1,\"m\":true}";
	cr_assert_eq(market_str(big, &m, err, sizeof err), SB_ERR_RANGE);
	cr_assert(strstr(err, "trade: field \"t\": 9007199254740992 is outside") == err, "%s", err);
	const char *frac =
	    "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1.5,\"p\":\"1\",\"q\":\"2\",\"T\":1,\"m\":true}";
	cr_assert_eq(market_str(frac, &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "trade: field \"t\": 1.5 is not an integer");
	const char *neg =
	    "{\"e\":\"trade\",\"E\":-1,\"s\":\"X\",\"t\":1,\"p\":\"1\",\"q\":\"2\",\"T\":1,\"m\":true}";
	cr_assert_eq(market_str(neg, &m, err, sizeof err), SB_ERR_RANGE);
}

Test(codec, market_fields_missing_mistyped_or_null)
{
	struct sb_bn_market_msg m;
	char err[160];
	cr_assert_eq(
	    market_str("{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,\"q\":\"2\",\"T\":1,\"m\":true}", &m,
	               err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "trade: field \"p\": missing");
	cr_assert_eq(
	    market_str(
	        "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,\"p\":0.001,\"q\":\"2\",\"T\":1,\"m\":true}",
	        &m, err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "trade: field \"p\": not a decimal string (a number)");
	cr_assert_eq(
	    market_str(
	        "{\"e\":\"trade\",\"E\":1,\"s\":null,\"t\":1,\"p\":\"1\",\"q\":\"2\",\"T\":1,\"m\":true}", &m,
	        err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "trade: field \"s\": not a string (null)");
	cr_assert_eq(
	    market_str(
	        "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,\"p\":\"1e-3\",\"q\":\"2\",\"T\":1,\"m\":1}",
	        &m, err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "trade: field \"p\": \"1e-3\": malformed input");
	cr_assert_eq(
	    market_str(
	        "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,\"p\":\"1\",\"q\":\"-2\",\"T\":1,\"m\":1}", &m,
	        err, sizeof err),
	    SB_ERR_RANGE);
	cr_assert_eq(
	    market_str(
	        "{\"e\":\"trade\",\"E\":1,\"s\":\"X\",\"t\":1,\"p\":\"1\",\"q\":\"2\",\"T\":1,\"m\":1}", &m,
	        err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "trade: field \"m\": not a boolean (a number)");
	cr_assert_eq(market_str("{\"e\":\"kline\",\"E\":1,\"s\":\"X\",\"k\":{\"t\":1}}", &m, err, sizeof err),
	             SB_ERR_PARSE);
	cr_assert_str_eq(err, "kline: field \"k.T\": missing");
	cr_assert_eq(m.kind, 0);
	cr_assert_eq(m.u.kline.event_time, 0, "output is zeroed on error");
}

Test(codec, malformed_and_oversized_frames)
{
	struct sb_bn_market_msg m;
	char err[160];
	cr_assert_eq(market_str("{\"e\":\"trade\",", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert(strstr(err, "market frame: malformed JSON") == err, "%s", err);
	cr_assert_eq(market_str("", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(market_str("   ", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(market_str("{\"result\":null,\"id\":1} {\"x\":1}", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "market frame: trailing data at byte 23");
	cr_assert_eq(market_str("{\"result\":null,\"id\":1}\r\n", &m, err, sizeof err), SB_OK);
	cr_assert_eq(market_str("\"hello\"", &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(sb_bn_market_parse(NULL, 0, &m, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(sb_bn_market_parse("{}", 2, NULL, err, sizeof err), SB_ERR_INVALID);

	size_t big = SB_BN_MSG_MAX + 1;
	char *buf = malloc(big);
	memset(buf, ' ', big);
	memcpy(buf, "{\"result\":null,\"id\":1}", 22);
	cr_assert_eq(sb_bn_market_parse(buf, big, &m, err, sizeof err), SB_ERR_TOO_LONG);
	cr_assert_eq(sb_bn_market_parse(buf, big - 1, &m, err, sizeof err), SB_OK,
	             "exactly the limit is fine");
	free(buf);
}

Test(codec, input_need_not_be_terminated_and_is_never_modified)
{
	size_t len;
	char *json = read_data("book_ticker.json", &len);
	char *copy = malloc(len + 16);
	memcpy(copy, json, len);
	memcpy(copy + len, "garbage!garbage!", 16); /* past len: must not be read as part of the frame */
	struct sb_bn_market_msg m;
	char err[128];
	cr_assert_eq(sb_bn_market_parse(copy, len, &m, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(memcmp(copy, json, len), 0);
	cr_assert_eq(memcmp(copy + len, "garbage!garbage!", 16), 0);
	free(copy);
	free(json);
}

Test(codec, error_buffer_may_be_null_or_tiny)
{
	struct sb_bn_market_msg m;
	char tiny[8];
	cr_assert_eq(market_str("{\"e\":\"trade\"}", &m, NULL, 0), SB_ERR_PARSE);
	cr_assert_eq(market_str("{\"e\":\"trade\"}", &m, tiny, sizeof tiny), SB_ERR_PARSE);
	cr_assert_eq(strlen(tiny), sizeof tiny - 1);
}

/* ---- user data events ----------------------------------------------------------------------------- */

Test(codec, parses_every_field_of_official_execution_report)
{
	struct sb_bn_user_event ev = user_file("user_execution_report.json");
	cr_assert_eq(ev.kind, SB_BN_USER_EXEC_REPORT);
	cr_assert_eq(ev.subscription_id, 0);
	cr_assert_eq(ev.event_time, INT64_C(1499405658658));
	const struct sb_bn_exec_report *r = &ev.u.exec;
	cr_assert_eq(r->event_time, INT64_C(1499405658658));
	cr_assert_str_eq(r->symbol, "ETHBTC");
	cr_assert_str_eq(r->client_order_id, "mUvoqJxFIILMdfAW5iGSOW");
	cr_assert_eq(r->side, SB_SIDE_BUY);
	cr_assert_eq(r->type, SB_ORDER_LIMIT);
	cr_assert_eq(r->tif, SB_TIF_GTC);
	cr_assert_eq(r->qty, SB_DEC_ONE);
	cr_assert_eq(r->price, SB_DEC_C(0, 10264410));
	cr_assert_eq(r->stop_price, 0);
	cr_assert_eq(r->iceberg_qty, 0);
	cr_assert_eq(r->order_list_id, -1);
	cr_assert_str_eq(r->orig_client_order_id, "");
	cr_assert_eq(r->exec_type, SB_BN_EXEC_NEW);
	cr_assert_eq(r->status, SB_ORDER_NEW);
	cr_assert_eq(r->reject_reason, SB_BN_REJECT_NONE);
	cr_assert_eq(r->order_id, 4293153);
	cr_assert_eq(r->last_qty, 0);
	cr_assert_eq(r->cum_qty, 0);
	cr_assert_eq(r->last_price, 0);
	cr_assert_eq(r->commission, 0);
	cr_assert_str_eq(r->commission_asset, "", "N null becomes empty");
	cr_assert_eq(r->transact_time, INT64_C(1499405658657));
	cr_assert_eq(r->trade_id, -1);
	cr_assert_eq(r->execution_id, 8641984);
	cr_assert(r->on_book);
	cr_assert_not(r->maker);
	cr_assert_eq(r->create_time, INT64_C(1499405658657));
	cr_assert_eq(r->cum_quote_qty, 0);
	cr_assert_eq(r->last_quote_qty, 0);
	cr_assert_eq(r->quote_order_qty, 0);
	cr_assert_eq(r->working_time, INT64_C(1499405658657));
	cr_assert_str_eq(r->stp_mode, "NONE");
	cr_assert_str_eq(r->expiry_reason, "");
	struct sb_fill f;
	cr_assert_eq(sb_bn_exec_report_fill(r, &f), SB_ERR_INVALID, "a NEW report carries no fill");
}

/* A resting BUY expired by self-trade prevention (Binance's STP FAQ, Scenario B): nothing filled. */
Test(codec, execution_report_expired_in_match_carries_the_prevented_match)
{
	struct sb_bn_user_event ev = user_file("user_execution_report_expired_in_match.json");
	cr_assert_eq(ev.kind, SB_BN_USER_EXEC_REPORT);
	const struct sb_bn_exec_report *r = &ev.u.exec;
	cr_assert_eq(r->exec_type, SB_BN_EXEC_TRADE_PREVENTION);
	cr_assert_eq(r->status, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_str_eq(sb_order_state_name(r->status), "EXPIRED_IN_MATCH");
	cr_assert_eq(r->order_id, 2);
	cr_assert_eq(r->side, SB_SIDE_BUY);
	cr_assert_eq(r->cum_qty, 0);
	cr_assert_eq(r->trade_id, -1);
	cr_assert_eq(r->prevented_match_id, 0);
	cr_assert_eq(r->prevented_qty, D("1.2"));
	cr_assert_str_eq(r->stp_mode, "NONE");
	struct sb_fill f;
	cr_assert_eq(sb_bn_exec_report_fill(r, &f), SB_ERR_INVALID, "a prevented match is no fill");
}

/* A BUY sent with EXPIRE_TAKER, partly filled before it met the account's own resting order. */
Test(codec, execution_report_expired_in_match_after_partial_fills)
{
	struct sb_bn_user_event ev = user_file("user_execution_report_expired_in_match_partial.json");
	const struct sb_bn_exec_report *r = &ev.u.exec;
	cr_assert_eq(r->exec_type, SB_BN_EXEC_TRADE_PREVENTION);
	cr_assert_eq(r->status, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_eq(r->cum_qty, D("1.2"));
	cr_assert_eq(r->cum_quote_qty, D("1.2"));
	cr_assert_eq(r->qty, D("3"));
	cr_assert_eq(r->prevented_match_id, 1);
	cr_assert_eq(r->prevented_qty, D("1.8"));
	cr_assert_str_eq(r->stp_mode, "EXPIRE_TAKER");
	cr_assert_eq(r->working_time, -1, "never rested on the book");
}

Test(codec, execution_report_without_stp_fields_has_no_prevented_match)
{
	struct sb_bn_user_event ev;
	char err[160];
	const char *nov =
	    "{\"e\":\"executionReport\",\"E\":1,\"s\":\"BTCUSDT\",\"c\":\"a\",\"S\":\"BUY\","
	    "\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1\",\"p\":\"1\",\"P\":\"0\",\"g\":-1,\"C\":\"\","
	    "\"x\":\"NEW\",\"X\":\"NEW\",\"r\":\"NONE\",\"i\":1,\"l\":\"0\",\"z\":\"0\",\"L\":\"0\","
	    "\"n\":\"0\",\"N\":null,\"T\":1,\"t\":-1,\"I\":1,\"w\":true,\"m\":false,\"O\":1,"
	    "\"Z\":\"0\",\"Y\":\"0\",\"Q\":\"0\",\"V\":\"EXPIRE_MAKER\"}";
	cr_assert_eq(user_str(nov, &ev, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(ev.u.exec.prevented_match_id, -1);
	cr_assert_eq(ev.u.exec.prevented_qty, 0);
}

/* A TRADE report whose case-only-different keys all hold different values. */
static const char *trade_report =
    "{\"subscriptionId\":3,\"event\":{\"e\":\"executionReport\",\"E\":1700000000001,\"s\":\"BTCUSDT\","
    "\"c\":\"lower-c\",\"C\":\"upper-C\",\"S\":\"SELL\",\"o\":\"MARKET\",\"O\":1700000000002,\"f\":\"IOC\","
    "\"F\":\"0.5\",\"q\":\"3.00000000\",\"Q\":\"7.00000000\",\"p\":\"0.00000000\",\"P\":\"11.00000000\","
    "\"g\":-1,\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":111,\"I\":222,"
    "\"l\":\"1.50000000\",\"L\":\"2.50000000\",\"z\":\"1.75000000\",\"Z\":\"4.25000000\","
    "\"n\":\"0.00375000\",\"N\":\"USDT\",\"T\":1700000000003,\"t\":333,\"w\":false,\"W\":1700000000004,"
    "\"m\":true,\"M\":true,\"Y\":\"3.75000000\",\"V\":\"EXPIRE_MAKER\",\"eR\":\"NONE\",\"v\":9}}";

Test(codec, execution_report_tells_case_only_different_keys_apart)
{
	struct sb_bn_user_event ev;
	char err[160];
	cr_assert_eq(user_str(trade_report, &ev, err, sizeof err), SB_OK, "%s", err);
	const struct sb_bn_exec_report *r = &ev.u.exec;
	cr_assert_eq(ev.subscription_id, 3);
	cr_assert_str_eq(r->client_order_id, "lower-c");
	cr_assert_str_eq(r->orig_client_order_id, "upper-C");
	cr_assert_eq(r->order_id, 111);
	cr_assert_eq(r->execution_id, 222);
	cr_assert_eq(r->exec_type, SB_BN_EXEC_TRADE);
	cr_assert_eq(r->status, SB_ORDER_PARTIALLY_FILLED);
	cr_assert_eq(r->last_qty, D("1.5"));
	cr_assert_eq(r->last_price, D("2.5"));
	cr_assert_eq(r->cum_qty, D("1.75"));
	cr_assert_eq(r->cum_quote_qty, D("4.25"));
	cr_assert_eq(r->qty, D("3"));
	cr_assert_eq(r->quote_order_qty, D("7"));
	cr_assert_eq(r->price, 0);
	cr_assert_eq(r->stop_price, D("11"));
	cr_assert_eq(r->type, SB_ORDER_MARKET);
	cr_assert_eq(r->create_time, INT64_C(1700000000002));
	cr_assert_eq(r->transact_time, INT64_C(1700000000003));
	cr_assert_eq(r->trade_id, 333);
	cr_assert_eq(r->tif, SB_TIF_IOC);
	cr_assert_eq(r->iceberg_qty, D("0.5"));
	cr_assert_eq(r->commission, D("0.00375"));
	cr_assert_str_eq(r->commission_asset, "USDT");
	cr_assert_not(r->on_book);
	cr_assert(r->maker);
	cr_assert_eq(r->working_time, INT64_C(1700000000004));
	cr_assert_eq(r->last_quote_qty, D("3.75"));
	cr_assert_str_eq(r->stp_mode, "EXPIRE_MAKER");
	cr_assert_str_eq(r->expiry_reason, "NONE");
	cr_assert_eq(r->side, SB_SIDE_SELL);

	struct sb_fill f;
	cr_assert_eq(sb_bn_exec_report_fill(r, &f), SB_OK);
	cr_assert_eq(f.trade_id, 333);
	cr_assert_eq(f.price, D("2.5"));
	cr_assert_eq(f.qty, D("1.5"));
	cr_assert_eq(f.quote_qty, D("3.75"));
	cr_assert_eq(f.commission, D("0.00375"));
	cr_assert_str_eq(f.commission_asset, "USDT");
}

Test(codec, execution_report_unknown_enums_name_field_and_value)
{
	expect_exec_error("x", "\"SETTLED\"", SB_ERR_PARSE,
	                  "executionReport: field \"x\": unknown value \"SETTLED\"");
	expect_exec_error("X", "\"new\"", SB_ERR_PARSE,
	                  "executionReport: field \"X\": unknown value \"new\"");
	/* The bot's own order states share the vocabulary but never come from the exchange. */
	expect_exec_error("X", "\"LOST\"", SB_ERR_PARSE,
	                  "executionReport: field \"X\": unknown value \"LOST\"");
	expect_exec_error("X", "\"UNKNOWN\"", SB_ERR_PARSE,
	                  "executionReport: field \"X\": unknown value \"UNKNOWN\"");
	expect_exec_error("r", "\"BECAUSE\"", SB_ERR_PARSE,
	                  "executionReport: field \"r\": unknown value \"BECAUSE\"");
	expect_exec_error("S", "\"HOLD\"", SB_ERR_PARSE,
	                  "executionReport: field \"S\": unknown value \"HOLD\"");
	expect_exec_error("o", "\"ICEBERG\"", SB_ERR_PARSE,
	                  "executionReport: field \"o\": unknown value \"ICEBERG\"");
	expect_exec_error("f", "\"GTD\"", SB_ERR_PARSE,
	                  "executionReport: field \"f\": unknown value \"GTD\"");
	expect_exec_error("x", "5", SB_ERR_PARSE, "executionReport: field \"x\": not a string (a number)");
}

Test(codec, execution_report_missing_mistyped_and_null_fields)
{
	expect_exec_error("z", NULL, SB_ERR_PARSE, "executionReport: field \"z\": missing");
	expect_exec_error("z", "0", SB_ERR_PARSE,
	                  "executionReport: field \"z\": not a decimal string (a number)");
	expect_exec_error("z", "null", SB_ERR_PARSE,
	                  "executionReport: field \"z\": not a decimal string (null)");
	expect_exec_error("N", NULL, SB_ERR_PARSE, "executionReport: field \"N\": missing");
	expect_exec_error("N", "7", SB_ERR_PARSE, "executionReport: field \"N\": not a string (a number)");
	expect_exec_error("i", "\"4293153\"", SB_ERR_PARSE,
	                  "executionReport: field \"i\": not an integer (a string)");
	expect_exec_error("I", NULL, SB_ERR_PARSE, "executionReport: field \"I\": missing");
	expect_exec_error("s", "null", SB_ERR_PARSE, "executionReport: field \"s\": not a string (null)");
	expect_exec_error("s", "\"\"", SB_ERR_PARSE, "executionReport: field \"s\": empty");
	expect_exec_error("c", "\"0123456789012345678901234567890123456789012345678901234567890123456789\"",
	                  SB_ERR_TOO_LONG, "executionReport: field \"c\": longer than 63 bytes");
	expect_exec_error("w", "\"true\"", SB_ERR_PARSE,
	                  "executionReport: field \"w\": not a boolean (a string)");
	expect_exec_error("p", "\"0.000000001\"", SB_ERR_PRECISION,
	                  "executionReport: field \"p\": \"0.000000001\": too many decimal places");
}

Test(codec, trade_report_without_trade_id_is_refused)
{
	char *json = exec_with("x", "\"TRADE\"");
	struct sb_bn_user_event ev;
	char err[160];
	cr_assert_eq(user_str(json, &ev, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "executionReport: field \"t\": TRADE without a trade id (-1)");
	free(json);
}

Test(codec, optional_execution_report_fields)
{
	char *json = exec_with("W", NULL);
	struct sb_bn_user_event ev;
	char err[160];
	cr_assert_eq(user_str(json, &ev, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(ev.u.exec.working_time, -1);
	free(json);
	json = exec_with("eR", "\"INSUFFICIENT_LIQUIDITY\"");
	cr_assert_eq(user_str(json, &ev, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(ev.u.exec.expiry_reason, "INSUFFICIENT_LIQUIDITY");
	free(json);
	json = exec_with("N", "\"BNB\"");
	cr_assert_eq(user_str(json, &ev, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(ev.u.exec.commission_asset, "BNB");
	free(json);
	json = exec_with("brandNewField", "{\"nested\":[1,2,3]}");
	cr_assert_eq(user_str(json, &ev, err, sizeof err), SB_OK, "unknown fields are ignored: %s", err);
	free(json);
}

Test(codec, parses_official_account_events)
{
	struct sb_bn_user_event ev = user_file("user_outbound_account_position.json");
	cr_assert_eq(ev.kind, SB_BN_USER_ACCOUNT_POSITION);
	cr_assert_eq(ev.subscription_id, 0);
	cr_assert_eq(ev.event_time, INT64_C(1564034571105));
	cr_assert_eq(ev.u.position.update_time, INT64_C(1564034571073));
	cr_assert_eq(ev.u.position.n_balances, 1);
	cr_assert_str_eq(ev.u.position.balances[0].asset, "ETH");
	cr_assert_eq(ev.u.position.balances[0].free, SB_DEC_C(10000, 0));
	cr_assert_eq(ev.u.position.balances[0].locked, 0);

	ev = user_file("user_balance_update.json");
	cr_assert_eq(ev.kind, SB_BN_USER_BALANCE_UPDATE);
	cr_assert_eq(ev.event_time, INT64_C(1573200697110));
	cr_assert_str_eq(ev.u.delta.asset, "BTC");
	cr_assert_eq(ev.u.delta.delta, SB_DEC_C(100, 0));
	cr_assert_eq(ev.u.delta.clear_time, INT64_C(1573200697068));

	ev = user_file("user_external_lock_update.json");
	cr_assert_eq(ev.kind, SB_BN_USER_EXTERNAL_LOCK);
	cr_assert_eq(ev.event_time, INT64_C(1581557507324));
	cr_assert_str_eq(ev.u.delta.asset, "NEO");
	cr_assert_eq(ev.u.delta.delta, SB_DEC_C(10, 0));
	cr_assert_eq(ev.u.delta.clear_time, INT64_C(1581557507268));

	ev = user_file("user_event_stream_terminated.json");
	cr_assert_eq(ev.kind, SB_BN_USER_STREAM_TERMINATED);
	cr_assert_eq(ev.event_time, INT64_C(1728973001334));

	ev = user_file("user_listen_key_expired.json");
	cr_assert_eq(ev.kind, SB_BN_USER_LISTEN_KEY_EXPIRED);
	cr_assert_eq(ev.subscription_id, -1, "bare legacy event");
	cr_assert_eq(ev.event_time, INT64_C(1699596037418));
	cr_assert_str_eq(ev.u.listen_key, "OfYGbUzi3PraNagEkdKuFwUHn48brFsItTdsuiIXrucEvD0rhRXZ7I6URWfE8YE8");

	ev = user_file("ws_server_shutdown.json");
	cr_assert_eq(ev.kind, SB_BN_USER_SERVER_SHUTDOWN);
	cr_assert_eq(ev.subscription_id, -1);
	cr_assert_eq(ev.event_time, INT64_C(1770123456789));
}

Test(codec, bare_execution_report_and_negative_balance_delta)
{
	size_t len;
	char *json = read_data("user_execution_report.json", &len);
	cJSON *doc = cJSON_Parse(json);
	char *bare = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "event"));
	struct sb_bn_user_event ev;
	char err[160];
	cr_assert_eq(user_str(bare, &ev, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(ev.subscription_id, -1);
	cr_assert_eq(ev.u.exec.order_id, 4293153);
	cr_assert_eq(sb_bn_user_event_from_json(doc, &ev, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(ev.subscription_id, 0);
	free(bare);
	cJSON_Delete(doc);
	free(json);

	cr_assert_eq(user_str("{\"e\":\"balanceUpdate\",\"E\":1,\"a\":\"BTC\",\"d\":\"-0.5\",\"T\":2}", &ev,
	                      err, sizeof err),
	             SB_OK, "%s", err);
	cr_assert_eq(ev.u.delta.delta, -SB_DEC_C(0, 50000000), "withdrawals are negative");
}

Test(codec, user_event_errors)
{
	struct sb_bn_user_event ev;
	char err[200];
	cr_assert_eq(
	    user_str("{\"subscriptionId\":0,\"event\":{\"e\":\"listStatus\",\"E\":1}}", &ev, err, sizeof err),
	    SB_ERR_UNSUPPORTED);
	cr_assert_str_eq(err, "user event: field \"e\": event type \"listStatus\" is not supported");
	cr_assert_eq(user_str("{\"subscriptionId\":0,\"event\":{\"E\":1}}", &ev, err, sizeof err),
	             SB_ERR_PARSE);
	cr_assert_str_eq(err, "user event: field \"e\": missing");
	cr_assert_eq(user_str("{\"subscriptionId\":0,\"event\":[1]}", &ev, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(user_str("{\"subscriptionId\":-4,\"event\":{\"e\":\"eventStreamTerminated\",\"E\":1}}",
	                      &ev, err, sizeof err),
	             SB_ERR_RANGE);
	cr_assert_eq(
	    user_str("{\"e\":\"outboundAccountPosition\",\"E\":1,\"u\":1,\"B\":[{\"a\":\"X\",\"f\":\"1\"}]}",
	             &ev, err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "outboundAccountPosition: field \"B[0].l\": missing");

	/* More changed assets than one event can hold is an error, not a silent truncation. */
	char buf[8192];
	size_t n =
	    (size_t)snprintf(buf, sizeof buf, "{\"e\":\"outboundAccountPosition\",\"E\":1,\"u\":1,\"B\":[");
	for (int i = 0; i <= SB_BN_EVENT_BALANCES_MAX; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s{\"a\":\"A%d\",\"f\":\"1\",\"l\":\"0\"}",
		                      i ? "," : "", i);
	snprintf(buf + n, sizeof buf - n, "]}");
	cr_assert_eq(user_str(buf, &ev, err, sizeof err), SB_ERR_TOO_LONG);
	cr_assert_str_eq(err, "outboundAccountPosition: field \"B\": more than 64 elements");
}

/* ---- property: random executionReports round-trip ------------------------------------------------- */

static uint64_t rng_state = 20261124;

static uint64_t rng(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static int64_t rnd_range(int64_t lo, int64_t hi)
{
	uint64_t span = (uint64_t)hi - (uint64_t)lo + 1; /* 0 only for the full int64 range */
	return (int64_t)((uint64_t)lo + (span ? rng() % span : rng()));
}

static sb_dec rnd_dec(void)
{
	switch (rng() % 4) {
	case 0:
		return 0;
	case 1:
		return rnd_range(1, 1000); /* dust */
	case 2:
		return rnd_range(0, SB_DEC_C(100000, 0));
	default:
		return rnd_range(0, SB_DEC_MAX);
	}
}

static void rnd_str(char *buf, size_t maxlen, bool allow_empty)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/";
	size_t n = (size_t)rnd_range(allow_empty ? 0 : 1, (int64_t)maxlen);
	for (size_t i = 0; i < n; i++)
		buf[i] = alphabet[rng() % (sizeof alphabet - 1)];
	buf[n] = '\0';
}

static void random_report(struct sb_bn_exec_report *r)
{
	static const char *const stp[] = {"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"};
	memset(r, 0, sizeof *r);
	r->event_time = rnd_range(INT64_C(1000000000000), INT64_C(9999999999999));
	rnd_str(r->symbol, 20, false);
	rnd_str(r->client_order_id, 36, false);
	r->side = (enum sb_side)rnd_range(0, 1);
	r->type = (enum sb_order_type)rnd_range(0, SB_ORDER__COUNT - 1);
	r->tif = (enum sb_tif)rnd_range(0, 2);
	r->qty = rnd_dec();
	r->price = rnd_dec();
	r->stop_price = rnd_dec();
	r->iceberg_qty = rnd_dec();
	r->order_list_id = rng() % 2 ? -1 : rnd_range(0, (INT64_C(1) << 53) - 1);
	rnd_str(r->orig_client_order_id, 36, true);
	r->exec_type = (enum sb_bn_exec_type)rnd_range(0, 6);
	r->status = (enum sb_order_state)rnd_range(0, SB_ORDER_EXPIRED_IN_MATCH); /* Binance's nine */
	r->reject_reason = (enum sb_bn_reject_reason)rnd_range(0, 4);
	r->order_id = rnd_range(0, (INT64_C(1) << 53) - 1);
	r->last_qty = rnd_dec();
	r->cum_qty = rnd_dec();
	r->last_price = rnd_dec();
	r->commission = rnd_dec();
	if (rng() % 2)
		rnd_str(r->commission_asset, 10, false);
	r->transact_time = rnd_range(0, (INT64_C(1) << 53) - 1);
	r->trade_id = r->exec_type == SB_BN_EXEC_TRADE ? rnd_range(0, (INT64_C(1) << 53) - 1) : -1;
	r->execution_id = rnd_range(0, (INT64_C(1) << 53) - 1);
	r->on_book = rng() % 2;
	r->maker = rng() % 2;
	r->create_time = rnd_range(0, (INT64_C(1) << 53) - 1);
	r->cum_quote_qty = rnd_dec();
	r->last_quote_qty = rnd_dec();
	r->quote_order_qty = rnd_dec();
	r->working_time = rng() % 3 ? rnd_range(0, (INT64_C(1) << 53) - 1) : -1;
	snprintf(r->stp_mode, sizeof r->stp_mode, "%s", stp[rng() % 5]);
	if (rng() % 2)
		rnd_str(r->expiry_reason, 30, false);
}

/* Serialises r as Binance would, with its keys in a random order. */
static void serialise(const struct sb_bn_exec_report *r, char *out, size_t cap)
{
	char f[40][160];
	int n = 0;
	char d[SB_DEC_STRLEN];
#define FIELD(...)   snprintf(f[n++], sizeof f[0], __VA_ARGS__)
#define DECF(key, v) (sb_dec_format(v, d, sizeof d), FIELD("\"%s\":\"%s\"", key, d))
	FIELD("\"e\":\"executionReport\"");
	FIELD("\"E\":%lld", (long long)r->event_time);
	FIELD("\"s\":\"%s\"", r->symbol);
	FIELD("\"c\":\"%s\"", r->client_order_id);
	FIELD("\"S\":\"%s\"", sb_side_name(r->side));
	FIELD("\"o\":\"%s\"", sb_order_type_name(r->type));
	FIELD("\"f\":\"%s\"", sb_tif_name(r->tif));
	DECF("q", r->qty);
	DECF("p", r->price);
	DECF("P", r->stop_price);
	DECF("F", r->iceberg_qty);
	FIELD("\"g\":%lld", (long long)r->order_list_id);
	FIELD("\"C\":\"%s\"", r->orig_client_order_id);
	FIELD("\"x\":\"%s\"", sb_bn_exec_type_name(r->exec_type));
	FIELD("\"X\":\"%s\"", sb_order_state_name(r->status));
	FIELD("\"r\":\"%s\"", sb_bn_reject_reason_name(r->reject_reason));
	FIELD("\"i\":%lld", (long long)r->order_id);
	DECF("l", r->last_qty);
	DECF("z", r->cum_qty);
	DECF("L", r->last_price);
	DECF("n", r->commission);
	if (r->commission_asset[0])
		FIELD("\"N\":\"%s\"", r->commission_asset);
	else
		FIELD("\"N\":null");
	FIELD("\"T\":%lld", (long long)r->transact_time);
	FIELD("\"t\":%lld", (long long)r->trade_id);
	FIELD("\"I\":%lld", (long long)r->execution_id);
	FIELD("\"w\":%s", r->on_book ? "true" : "false");
	FIELD("\"m\":%s", r->maker ? "true" : "false");
	FIELD("\"M\":%s", r->maker ? "false" : "true");
	FIELD("\"O\":%lld", (long long)r->create_time);
	DECF("Z", r->cum_quote_qty);
	DECF("Y", r->last_quote_qty);
	DECF("Q", r->quote_order_qty);
	if (r->working_time >= 0)
		FIELD("\"W\":%lld", (long long)r->working_time);
	FIELD("\"V\":\"%s\"", r->stp_mode);
	if (r->expiry_reason[0])
		FIELD("\"eR\":\"%s\"", r->expiry_reason);
#undef DECF
#undef FIELD
	for (int i = n - 1; i > 0; i--) {
		int j = (int)(rng() % (uint64_t)(i + 1));
		char tmp[160];
		memcpy(tmp, f[i], sizeof tmp);
		memcpy(f[i], f[j], sizeof tmp);
		memcpy(f[j], tmp, sizeof tmp);
	}
	size_t len = (size_t)snprintf(out, cap, "{\"subscriptionId\":1,\"event\":{");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "," : "", f[i]);
	snprintf(out + len, cap - len, "}}");
}

Test(codec, random_execution_reports_round_trip)
{
	char json[8192];
	for (int iter = 0; iter < 3000; iter++) {
		struct sb_bn_exec_report want;
		random_report(&want);
		serialise(&want, json, sizeof json);
		struct sb_bn_user_event ev;
		char err[200];
		sb_err e = user_str(json, &ev, err, sizeof err);
		cr_assert_eq(e, SB_OK, "iteration %d: %s (%s)\n%s", iter, sb_errname(e), err, json);
		const struct sb_bn_exec_report *got = &ev.u.exec;
		cr_assert_eq(ev.subscription_id, 1);
		cr_assert_eq(ev.event_time, want.event_time);
#define SAME(field)     cr_assert_eq(got->field, want.field, "iteration %d: " #field "\n%s", iter, json)
#define SAME_STR(field) cr_assert_str_eq(got->field, want.field, "iteration %d: " #field "\n%s", iter, json)
		SAME(event_time);
		SAME_STR(symbol);
		SAME_STR(client_order_id);
		SAME(side);
		SAME(type);
		SAME(tif);
		SAME(qty);
		SAME(price);
		SAME(stop_price);
		SAME(iceberg_qty);
		SAME(order_list_id);
		SAME_STR(orig_client_order_id);
		SAME(exec_type);
		SAME(status);
		SAME(reject_reason);
		SAME(order_id);
		SAME(last_qty);
		SAME(cum_qty);
		SAME(last_price);
		SAME(commission);
		SAME_STR(commission_asset);
		SAME(transact_time);
		SAME(trade_id);
		SAME(execution_id);
		SAME(on_book);
		SAME(maker);
		SAME(create_time);
		SAME(cum_quote_qty);
		SAME(last_quote_qty);
		SAME(quote_order_qty);
		SAME(working_time);
		SAME_STR(stp_mode);
		SAME_STR(expiry_reason);
#undef SAME
#undef SAME_STR
	}
}

/* ---- WebSocket API responses ---------------------------------------------------------------------- */

static sb_err ws_str(const char *json, struct sb_bn_ws_response *r, char *err, size_t cap)
{
	return sb_bn_ws_response_parse(json, strlen(json), r, err, cap);
}

Test(codec, ws_api_success_with_rate_limits)
{
	size_t len;
	char *json = read_data("ws_response_rate_limits.json", &len);
	struct sb_bn_ws_response r;
	char err[160];
	cr_assert_eq(sb_bn_ws_response_parse(json, len, &r, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(r.id.kind, SB_BN_ID_STR);
	cr_assert_str_eq(r.id.str, "\xe2\x80\xa6");
	cr_assert_eq(r.status, 200);
	cr_assert(r.ok);
	cr_assert(cJSON_IsObject(r.result));
	cr_assert_eq(r.n_rate_limits, 1);
	cr_assert_eq(r.rate_limits[0].type, SB_BN_LIMIT_REQUEST_WEIGHT);
	cr_assert_eq(r.rate_limits[0].interval, SB_BN_INTERVAL_MINUTE);
	cr_assert_eq(r.rate_limits[0].interval_num, 1);
	cr_assert_eq(r.rate_limits[0].limit, 6000);
	cr_assert_eq(r.rate_limits[0].count, 70);
	cr_assert_eq(sb_bn_api_error_class(&r.error), SB_OK);
	sb_bn_ws_response_fini(&r);
	sb_bn_ws_response_fini(&r); /* twice is harmless */
	free(json);

	json = read_data("ws_response_ok.json", &len);
	cr_assert_eq(sb_bn_ws_response_parse(json, len, &r, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(r.n_rate_limits, 0);
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(r.result, "subscriptionId");
	cr_assert(cJSON_IsNumber(sub));
	sb_bn_ws_response_fini(&r);
	free(json);
}

Test(codec, ws_api_error_response)
{
	size_t len;
	char *json = read_data("ws_response_error.json", &len);
	struct sb_bn_ws_response r;
	char err[160];
	cr_assert_eq(sb_bn_ws_response_parse(json, len, &r, err, sizeof err), SB_OK, "%s", err);
	cr_assert_not(r.ok);
	cr_assert_null(r.result);
	cr_assert_eq(r.status, 400);
	cr_assert_eq(r.error.http_status, 400);
	cr_assert_eq(r.error.code, -2010);
	cr_assert_str_eq(r.error.msg, "Account has insufficient balance for requested action.");
	cr_assert_eq(r.error.retry_after_ms, -1);
	cr_assert_eq(r.n_rate_limits, 1);
	cr_assert_eq(sb_bn_api_error_class(&r.error), SB_ERR_EXCHANGE);
	sb_bn_ws_response_fini(&r);
	free(json);

	cr_assert_eq(
	    ws_str(
	        "{\"id\":7,\"status\":429,\"error\":{\"code\":-1003,\"msg\":\"Too much request weight used.\","
	        "\"data\":{\"serverTime\":1659126829745,\"retryAfter\":1659127229745}}}",
	        &r, err, sizeof err),
	    SB_OK, "%s", err);
	cr_assert_eq(r.id.kind, SB_BN_ID_NUM);
	cr_assert_eq(r.id.num, 7);
	cr_assert_eq(r.error.retry_after_ms, INT64_C(1659127229745));
	cr_assert_eq(sb_bn_api_error_class(&r.error), SB_ERR_RATE_LIMIT);
	sb_bn_ws_response_fini(&r);

	cr_assert_eq(ws_str("{\"id\":null,\"status\":503,\"error\":{\"code\":-1007,\"msg\":\"Timeout\"}}", &r,
	                    err, sizeof err),
	             SB_OK);
	cr_assert_eq(sb_bn_api_error_class(&r.error), SB_ERR_UNKNOWN_OUTCOME);
	sb_bn_ws_response_fini(&r);
}

Test(codec, ws_api_response_errors)
{
	struct sb_bn_ws_response r;
	char err[160];
	cr_assert_eq(ws_str("{\"id\":1,\"result\":{}}", &r, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "WebSocket API response: field \"status\": missing");
	cr_assert_null(r.doc);
	cr_assert_eq(ws_str("{\"id\":1,\"status\":200}", &r, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "WebSocket API response: field \"result\": missing on status 200");
	cr_assert_eq(ws_str("{\"id\":1,\"status\":400,\"error\":{\"code\":\"-1\",\"msg\":\"x\"}}", &r, err,
	                    sizeof err),
	             SB_ERR_PARSE);
	cr_assert_str_eq(err, "WebSocket API response: field \"error.code\": not an integer (a string)");
	cr_assert_eq(ws_str("{\"status\":200,\"result\":{}}", &r, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(
	    ws_str("{\"id\":1,\"status\":200,\"result\":{},\"rateLimits\":[{\"rateLimitType\":\"NEW_KIND\","
	           "\"interval\":\"WEEK\",\"intervalNum\":1,\"limit\":5,\"count\":1}]}",
	           &r, err, sizeof err),
	    SB_OK, "unknown rate limit kinds are kept: %s", err);
	cr_assert_str_empty(err);
	cr_assert_eq(r.rate_limits[0].type, SB_BN_LIMIT_OTHER);
	cr_assert_eq(r.rate_limits[0].interval, SB_BN_INTERVAL_OTHER);
	sb_bn_ws_response_fini(&r);
	cr_assert_eq(
	    ws_str("{\"id\":1,\"status\":200,\"result\":{},\"rateLimits\":[{\"interval\":\"MINUTE\"}]}", &r,
	           err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_str_eq(err, "WebSocket API response: rateLimits: field \"[0].rateLimitType\": missing");
}

Test(codec, ws_frames_tell_events_from_responses)
{
	size_t len;
	char *json = read_data("user_execution_report.json", &len);
	struct sb_bn_ws_frame f;
	char err[160];
	cr_assert_eq(sb_bn_ws_frame_parse(json, len, &f, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(f.kind, SB_BN_WS_EVENT);
	cr_assert_eq(f.event.kind, SB_BN_USER_EXEC_REPORT);
	cr_assert_eq(f.event.u.exec.order_id, 4293153);
	cr_assert_null(f.response.doc);
	sb_bn_ws_frame_fini(&f);
	free(json);

	json = read_data("ws_server_shutdown.json", &len);
	cr_assert_eq(sb_bn_ws_frame_parse(json, len, &f, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(f.kind, SB_BN_WS_EVENT);
	cr_assert_eq(f.event.kind, SB_BN_USER_SERVER_SHUTDOWN);
	free(json);

	/* order.place answered with a FULL result: the result parses with the REST order parser. */
	size_t flen;
	char *full = read_data("rest_order_full.json", &flen);
	char *frame = malloc(flen + 128);
	snprintf(frame, flen + 128, "{\"id\":\"place-1\",\"status\":200,\"result\":%s}", full);
	cr_assert_eq(sb_bn_ws_frame_parse(frame, strlen(frame), &f, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(f.kind, SB_BN_WS_RESPONSE);
	cr_assert_str_eq(f.response.id.str, "place-1");
	struct sb_bn_order o;
	cr_assert_eq(sb_bn_order_from_json(f.response.result, SB_BN_ORDER_FULL, &o, err, sizeof err), SB_OK,
	             "%s", err);
	cr_assert_eq(o.n_fills, 5);
	cr_assert_eq(o.fills[4].trade_id, 60);
	sb_bn_order_fini(&o);
	sb_bn_ws_frame_fini(&f);
	free(frame);
	free(full);

	cr_assert_eq(sb_bn_ws_frame_parse("{\"id\":1}", 8, &f, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(f.response.doc, NULL);
}

/* ---- REST ----------------------------------------------------------------------------------------- */

Test(codec, rest_error_bodies_keep_code_message_and_status)
{
	size_t len;
	char *json = read_data("rest_error.json", &len);
	cJSON *doc = (cJSON *)1;
	struct sb_bn_api_error api;
	char err[200];
	cr_assert_eq(sb_bn_rest_parse(json, len, SB_BN_MSG_MAX, 400, &doc, &api, err, sizeof err),
	             SB_ERR_EXCHANGE);
	cr_assert_null(doc);
	cr_assert_eq(api.http_status, 400);
	cr_assert_eq(api.code, -1121);
	cr_assert_str_eq(api.msg, "Invalid symbol.");
	cr_assert_str_eq(err, "REST response: HTTP 400, code -1121: Invalid symbol.");
	free(json);

	const char *html = "<html><body>502 Bad Gateway</body></html>";
	cr_assert_eq(sb_bn_rest_parse(html, strlen(html), SB_BN_MSG_MAX, 502, &doc, &api, err, sizeof err),
	             SB_ERR_UNKNOWN_OUTCOME);
	cr_assert_eq(api.code, 0);
	cr_assert_str_eq(api.msg, html);
	const char *ban = "{\"code\":-1003,\"msg\":\"Way too much request weight used; IP banned until 1.\"}";
	cr_assert_eq(sb_bn_rest_parse(ban, strlen(ban), SB_BN_MSG_MAX, 418, &doc, &api, err, sizeof err),
	             SB_ERR_RATE_LIMIT);
	cr_assert_eq(sb_bn_rest_parse("", 0, SB_BN_MSG_MAX, 429, &doc, &api, err, sizeof err),
	             SB_ERR_RATE_LIMIT);
	cr_assert_eq(sb_bn_rest_parse("{\"code\":-1007,\"msg\":\"Timeout\"}", 30, SB_BN_MSG_MAX, 400, &doc,
	                              &api, err, sizeof err),
	             SB_ERR_UNKNOWN_OUTCOME, "a backend timeout is unknown whatever the status");
	cr_assert_eq(
	    sb_bn_rest_parse("{\"serverTime\":", 14, SB_BN_MSG_MAX, 200, &doc, &api, err, sizeof err),
	    SB_ERR_PARSE);
	cr_assert_null(doc);
	char big[64];
	memset(big, ' ', sizeof big);
	big[0] = '{';
	big[63] = '}';
	cr_assert_eq(sb_bn_rest_parse(big, sizeof big, 32, 200, &doc, &api, err, sizeof err),
	             SB_ERR_TOO_LONG);
}

Test(codec, rest_server_time)
{
	cJSON *doc = rest_file("rest_time.json");
	int64_t t = 0;
	char err[128];
	cr_assert_eq(sb_bn_server_time_from_json(doc, &t, err, sizeof err), SB_OK);
	cr_assert_eq(t, INT64_C(1499827319559));
	cJSON_Delete(doc);
	doc = rest_file("rest_ping.json");
	cr_assert_eq(sb_bn_server_time_from_json(doc, &t, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "time: field \"serverTime\": missing");
	cJSON_Delete(doc);
}

Test(codec, whole_rest_answers_are_read_from_their_text)
{
	size_t len;
	char *json = read_data("rest_time.json", &len);
	struct sb_bn_api_error api;
	char err[200];
	int64_t t = 0;
	cr_assert_eq(sb_bn_server_time_parse(json, len, 200, &t, &api, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(t, INT64_C(1499827319559));
	cr_assert_eq(api.http_status, 200);
	free(json);

	/* Refused: the exchange's code and message, and the status's class. */
	const char *refused = "{\"code\":-2015,\"msg\":\"Invalid API-key, IP, or permissions for action.\"}";
	struct sb_bn_account a;
	cr_assert_eq(sb_bn_account_parse(refused, strlen(refused), 401, &a, &api, err, sizeof err),
	             SB_ERR_EXCHANGE);
	cr_assert_eq(api.http_status, 401);
	cr_assert_eq(api.code, -2015);
	cr_assert_str_eq(api.msg, "Invalid API-key, IP, or permissions for action.");

	/* A 2xx answer that is not the message: a parse error naming what is wrong, no exchange error. */
	cr_assert_eq(sb_bn_server_time_parse("{}", 2, 200, &t, &api, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "time: field \"serverTime\": missing");
	cr_assert_eq(api.code, 0);
	cr_assert_eq(sb_bn_server_time_parse("<html>", 6, 200, &t, &api, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(api.http_status, 200);

	json = read_data("rest_account.json", &len);
	cr_assert_eq(sb_bn_account_parse(json, len, 200, &a, &api, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(a.maker_commission, 15);
	cr_assert_gt(a.n_balances, 0);
	sb_bn_account_fini(&a);
	cr_assert_eq(sb_bn_account_parse(json, len / 2, 200, &a, &api, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(a.n_balances, 0, "a failed parse leaves the account owning nothing");
	free(json);
}

Test(codec, order_ack)
{
	cJSON *doc = rest_file("rest_order_ack.json");
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_ACK, &o, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(o.shape, SB_BN_ORDER_ACK);
	cr_assert_str_eq(o.symbol, "BTCUSDT");
	cr_assert_eq(o.order_id, 28);
	cr_assert_eq(o.order_list_id, -1);
	cr_assert_str_eq(o.client_order_id, "6gCrw2kRUAF9CvJDGP16IP");
	cr_assert_eq(o.transact_time, INT64_C(1507725176595));
	cr_assert_eq(o.n_fills, 0);
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_RESULT, &o, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "order: field \"price\": missing");
	cJSON_Delete(doc);
}

static void assert_full_order_head(const struct sb_bn_order *o)
{
	cr_assert_str_eq(o->symbol, "BTCUSDT");
	cr_assert_eq(o->order_id, 28);
	cr_assert_eq(o->order_list_id, -1);
	cr_assert_str_eq(o->client_order_id, "6gCrw2kRUAF9CvJDGP16IP");
	cr_assert_eq(o->transact_time, INT64_C(1507725176595));
	cr_assert_eq(o->price, 0);
	cr_assert_eq(o->orig_qty, SB_DEC_C(10, 0));
	cr_assert_eq(o->executed_qty, SB_DEC_C(10, 0));
	cr_assert_eq(o->orig_quote_order_qty, 0);
	cr_assert_eq(o->cum_quote_qty, SB_DEC_C(10, 0));
	cr_assert_eq(o->status, SB_ORDER_FILLED);
	cr_assert_eq(o->tif, SB_TIF_GTC);
	cr_assert_eq(o->type, SB_ORDER_MARKET);
	cr_assert_eq(o->side, SB_SIDE_SELL);
	cr_assert_eq(o->working_time, INT64_C(1507725176595));
	cr_assert_str_eq(o->stp_mode, "NONE");
	cr_assert_str_eq(o->expiry_reason, "");
	cr_assert_eq(o->time, -1);
	cr_assert_eq(o->update_time, -1);
}

Test(codec, order_result)
{
	cJSON *doc = rest_file("rest_order_result.json");
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_RESULT, &o, err, sizeof err), SB_OK, "%s", err);
	assert_full_order_head(&o);
	cr_assert_null(o.fills);
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_FULL, &o, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "order: field \"fills\": missing");
	cJSON_Delete(doc);
}

Test(codec, order_full_with_its_five_fills)
{
	cJSON *doc = rest_file("rest_order_full.json");
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_FULL, &o, err, sizeof err), SB_OK, "%s", err);
	assert_full_order_head(&o);
	cr_assert_eq(o.n_fills, 5);
	static const struct {
		sb_dec price, qty, commission;
		int64_t id;
	} want[] = {
	    {SB_DEC_C(4000, 0), SB_DEC_C(1, 0), SB_DEC_C(4, 0), 56},
	    {SB_DEC_C(3999, 0), SB_DEC_C(5, 0), SB_DEC_C(19, 99500000), 57},
	    {SB_DEC_C(3998, 0), SB_DEC_C(2, 0), SB_DEC_C(7, 99600000), 58},
	    {SB_DEC_C(3997, 0), SB_DEC_C(1, 0), SB_DEC_C(3, 99700000), 59},
	    {SB_DEC_C(3995, 0), SB_DEC_C(1, 0), SB_DEC_C(3, 99500000), 60},
	};
	sb_dec qty = 0;
	for (size_t i = 0; i < 5; i++) {
		cr_assert_eq(o.fills[i].price, want[i].price, "fill %zu", i);
		cr_assert_eq(o.fills[i].qty, want[i].qty, "fill %zu", i);
		cr_assert_eq(o.fills[i].commission, want[i].commission, "fill %zu", i);
		cr_assert_str_eq(o.fills[i].commission_asset, "USDT");
		cr_assert_eq(o.fills[i].trade_id, want[i].id);
		cr_assert_eq(o.fills[i].quote_qty, 0, "not reported by Binance: price * qty applies");
		qty += o.fills[i].qty;
	}
	cr_assert_eq(qty, o.executed_qty);
	sb_bn_order_fini(&o);
	sb_bn_order_fini(&o);
	cJSON_Delete(doc);
}

Test(codec, order_full_fill_errors_name_the_fill)
{
	cJSON *doc = rest_file("rest_order_full.json");
	cJSON *fill = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "fills"), 2);
	cJSON_ReplaceItemInObjectCaseSensitive(fill, "price", cJSON_CreateNumber(3998));
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_FULL, &o, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "order: field \"fills[2].price\": not a decimal string (a number)");
	cr_assert_null(o.fills, "nothing is owned after an error");
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "fills"), "x", NULL);
	cJSON_ReplaceItemInArray(cJSON_GetObjectItemCaseSensitive(doc, "fills"), 2,
	                         cJSON_CreateString("fill"));
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_FULL, &o, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "order: fills[2] is not an object");
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "status", cJSON_CreateString("DONE"));
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_FULL, &o, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "order: field \"status\": unknown value \"DONE\"");
	cJSON_Delete(doc);
}

Test(codec, order_query_and_open_orders)
{
	cJSON *doc = rest_file("rest_order_query.json");
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_QUERY, &o, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(o.symbol, "LTCBTC");
	cr_assert_eq(o.order_id, 1);
	cr_assert_eq(o.order_list_id, -1);
	cr_assert_str_eq(o.client_order_id, "myOrder1");
	cr_assert_eq(o.price, SB_DEC_C(0, 10000000));
	cr_assert_eq(o.orig_qty, SB_DEC_ONE);
	cr_assert_eq(o.executed_qty, 0);
	cr_assert_eq(o.cum_quote_qty, 0);
	cr_assert_eq(o.status, SB_ORDER_NEW);
	cr_assert_eq(o.tif, SB_TIF_GTC);
	cr_assert_eq(o.type, SB_ORDER_LIMIT);
	cr_assert_eq(o.side, SB_SIDE_BUY);
	cr_assert_eq(o.stop_price, 0);
	cr_assert_eq(o.iceberg_qty, 0);
	cr_assert_eq(o.time, INT64_C(1499827319559));
	cr_assert_eq(o.update_time, INT64_C(1499827319559));
	cr_assert(o.is_working);
	cr_assert_eq(o.working_time, INT64_C(1499827319559));
	cr_assert_eq(o.orig_quote_order_qty, 0);
	cr_assert_str_eq(o.stp_mode, "NONE");
	cr_assert_eq(o.transact_time, -1);

	cr_assert_eq(o.prevented_match_id, -1);
	cr_assert_eq(o.prevented_qty, 0);

	/* openOrders: the same object twice, the second one a SELL. */
	cJSON *arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, cJSON_Duplicate(doc, 1));
	cJSON *second = cJSON_Duplicate(doc, 1);
	cJSON_ReplaceItemInObjectCaseSensitive(second, "side", cJSON_CreateString("SELL"));
	cJSON_AddItemToArray(arr, second);
	struct sb_bn_order_list l;
	cr_assert_eq(sb_bn_order_list_from_json(arr, &l, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(l.n, 2);
	cr_assert_eq(l.items[0].side, SB_SIDE_BUY);
	cr_assert_eq(l.items[1].side, SB_SIDE_SELL);
	sb_bn_order_list_fini(&l);
	cJSON_DeleteItemFromObjectCaseSensitive(second, "isWorking");
	cr_assert_eq(sb_bn_order_list_from_json(arr, &l, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "orders: field \"[1].isWorking\": missing");
	cr_assert_null(l.items);
	cJSON *empty = cJSON_CreateArray();
	cr_assert_eq(sb_bn_order_list_from_json(empty, &l, err, sizeof err), SB_OK);
	cr_assert_eq(l.n, 0);
	sb_bn_order_list_fini(&l);
	cr_assert_eq(sb_bn_order_list_from_json(doc, &l, err, sizeof err), SB_ERR_PARSE,
	             "an object is not a list");
	cJSON_Delete(empty);
	cJSON_Delete(arr);
	cJSON_Delete(doc);
}

/* An order expired by self-trade prevention, as a query returns it (Binance's STP FAQ, Scenario B). */
Test(codec, order_query_expired_in_match)
{
	cJSON *doc = rest_file("rest_order_query_expired_in_match.json");
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_QUERY, &o, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(o.status, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_eq(o.executed_qty, 0);
	cr_assert_eq(o.orig_qty, D("1.2"));
	cr_assert_eq(o.prevented_match_id, 0);
	cr_assert_eq(o.prevented_qty, D("1.2"));
	cr_assert_str_eq(o.stp_mode, "NONE");
	sb_bn_order_fini(&o);
	cJSON_Delete(doc);
}

Test(codec, cancel_response)
{
	cJSON *doc = rest_file("rest_cancel.json");
	struct sb_bn_order o;
	char err[128];
	cr_assert_eq(sb_bn_order_from_json(doc, SB_BN_ORDER_CANCEL, &o, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(o.symbol, "LTCBTC");
	cr_assert_str_eq(o.orig_client_order_id, "myOrder1");
	cr_assert_eq(o.order_id, 4);
	cr_assert_eq(o.order_list_id, -1);
	cr_assert_str_eq(o.client_order_id, "cancelMyOrder1");
	cr_assert_eq(o.transact_time, INT64_C(1684804350068));
	cr_assert_eq(o.price, SB_DEC_C(2, 0));
	cr_assert_eq(o.orig_qty, SB_DEC_ONE);
	cr_assert_eq(o.executed_qty, 0);
	cr_assert_eq(o.orig_quote_order_qty, 0);
	cr_assert_eq(o.cum_quote_qty, 0);
	cr_assert_eq(o.status, SB_ORDER_CANCELED);
	cr_assert_eq(o.tif, SB_TIF_GTC);
	cr_assert_eq(o.type, SB_ORDER_LIMIT);
	cr_assert_eq(o.side, SB_SIDE_BUY);
	cr_assert_str_eq(o.stp_mode, "NONE");
	cr_assert_eq(o.working_time, -1);
	cJSON_Delete(doc);
}

Test(codec, my_trades_row_and_its_fill)
{
	cJSON *doc = rest_file("rest_my_trades.json");
	struct sb_bn_my_trades t;
	char err[128];
	cr_assert_eq(sb_bn_my_trades_from_json(doc, &t, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(t.n, 1);
	const struct sb_bn_my_trade *r = &t.items[0];
	cr_assert_str_eq(r->symbol, "BNBBTC");
	cr_assert_eq(r->id, 28457);
	cr_assert_eq(r->order_id, 100234);
	cr_assert_eq(r->order_list_id, -1);
	cr_assert_eq(r->price, SB_DEC_C(4, 100));
	cr_assert_eq(r->qty, SB_DEC_C(12, 0));
	cr_assert_eq(r->quote_qty, SB_DEC_C(48, 1200));
	cr_assert_eq(r->commission, SB_DEC_C(10, 10000000));
	cr_assert_str_eq(r->commission_asset, "BNB");
	cr_assert_eq(r->time, INT64_C(1499865549590));
	cr_assert(r->is_buyer);
	cr_assert_not(r->is_maker);
	cr_assert(r->is_best_match);
	struct sb_fill f;
	sb_bn_my_trade_fill(r, &f);
	cr_assert_eq(f.trade_id, 28457);
	cr_assert_eq(f.quote_qty, SB_DEC_C(48, 1200));
	cr_assert_str_eq(f.commission_asset, "BNB");
	sb_bn_my_trades_fini(&t);
	cJSON_Delete(doc);
}

Test(codec, account_with_balances_and_rates)
{
	cJSON *doc = rest_file("rest_account.json");
	struct sb_bn_account a;
	char err[128];
	cr_assert_eq(sb_bn_account_from_json(doc, &a, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(a.maker_commission, 15);
	cr_assert_eq(a.taker_commission, 15);
	cr_assert_eq(a.buyer_commission, 0);
	cr_assert_eq(a.seller_commission, 0);
	cr_assert_eq(a.rates.maker, SB_DEC_C(0, 150000));
	cr_assert_eq(a.rates.taker, SB_DEC_C(0, 150000));
	cr_assert_eq(a.rates.buyer, 0);
	cr_assert_eq(a.rates.seller, 0);
	cr_assert(a.can_trade);
	cr_assert(a.can_withdraw);
	cr_assert(a.can_deposit);
	cr_assert_eq(a.update_time, 123456789);
	cr_assert_str_eq(a.account_type, "SPOT");
	cr_assert_eq(a.uid, 354937868);
	cr_assert_eq(a.n_balances, 2);
	cr_assert_str_eq(a.balances[0].asset, "BTC");
	cr_assert_eq(a.balances[0].free, SB_DEC_C(4723846, 89208129));
	cr_assert_eq(a.balances[0].locked, 0);
	const struct sb_bn_balance *ltc = sb_bn_account_balance(&a, "LTC");
	cr_assert_not_null(ltc);
	cr_assert_eq(ltc->free, SB_DEC_C(4763368, 68006011));
	cr_assert_null(sb_bn_account_balance(&a, "ETH"));
	sb_bn_account_fini(&a);

	cJSON_ReplaceItemInObjectCaseSensitive(doc, "canTrade", cJSON_CreateNull());
	cr_assert_eq(sb_bn_account_from_json(doc, &a, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "account: field \"canTrade\": not a boolean (null)");
	cr_assert_null(a.balances);
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "canTrade", cJSON_CreateTrue());
	cJSON *rates = cJSON_GetObjectItemCaseSensitive(doc, "commissionRates");
	cJSON_DeleteItemFromObjectCaseSensitive(rates, "taker");
	cr_assert_eq(sb_bn_account_from_json(doc, &a, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "account: field \"commissionRates.taker\": missing");
	cJSON_Delete(doc);
}

Test(codec, account_commission)
{
	cJSON *doc = rest_file("rest_account_commission.json");
	struct sb_bn_commission c;
	char err[128];
	cr_assert_eq(sb_bn_commission_from_json(doc, &c, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(c.symbol, "BTCUSDT");
	cr_assert_eq(c.standard.maker, 10);
	cr_assert_eq(c.standard.taker, 20);
	cr_assert_eq(c.standard.buyer, 30);
	cr_assert_eq(c.standard.seller, 40);
	cr_assert(c.has_special);
	cr_assert_eq(c.special.maker, SB_DEC_C(0, 1000000));
	cr_assert_eq(c.special.taker, SB_DEC_C(0, 2000000));
	cr_assert_eq(c.special.buyer, SB_DEC_C(0, 3000000));
	cr_assert_eq(c.special.seller, SB_DEC_C(0, 4000000));
	cr_assert_eq(c.tax.maker, 112);
	cr_assert_eq(c.tax.taker, 114);
	cr_assert_eq(c.tax.buyer, 118);
	cr_assert_eq(c.tax.seller, 116);
	cr_assert(c.discount_for_account);
	cr_assert(c.discount_for_symbol);
	cr_assert_str_eq(c.discount_asset, "BNB");
	cr_assert_eq(c.discount, SB_DEC_C(0, 75000000));
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "specialCommission");
	cr_assert_eq(sb_bn_commission_from_json(doc, &c, err, sizeof err), SB_OK, "special is optional");
	cr_assert_not(c.has_special);
	cr_assert_eq(c.special.maker, 0);
	cJSON_DeleteItemFromObjectCaseSensitive(doc, "taxCommission");
	cr_assert_eq(sb_bn_commission_from_json(doc, &c, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "account/commission: field \"taxCommission\": missing");
	cJSON_Delete(doc);
}

Test(codec, book_ticker_and_price_as_object_or_array)
{
	cJSON *doc = rest_file("rest_book_ticker.json");
	struct sb_bn_book_tickers bt;
	char err[128];
	cr_assert_eq(sb_bn_book_tickers_from_json(doc, &bt, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(bt.n, 1);
	cr_assert_str_eq(bt.items[0].symbol, "LTCBTC");
	cr_assert_eq(bt.items[0].update_id, -1);
	cr_assert_eq(bt.items[0].bid_price, SB_DEC_C(4, 0));
	cr_assert_eq(bt.items[0].bid_qty, SB_DEC_C(431, 0));
	cr_assert_eq(bt.items[0].ask_price, SB_DEC_C(4, 200));
	cr_assert_eq(bt.items[0].ask_qty, SB_DEC_C(9, 0));
	sb_bn_book_tickers_fini(&bt);
	cJSON *arr = cJSON_CreateArray();
	cJSON_AddItemToArray(arr, cJSON_Duplicate(doc, 1));
	cJSON_AddItemToArray(arr, cJSON_Duplicate(doc, 1));
	cr_assert_eq(sb_bn_book_tickers_from_json(arr, &bt, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(bt.n, 2);
	cr_assert_eq(bt.items[1].ask_price, SB_DEC_C(4, 200));
	sb_bn_book_tickers_fini(&bt);
	cJSON_Delete(arr);
	cJSON_Delete(doc);

	doc = rest_file("rest_ticker_price.json");
	struct sb_bn_prices p;
	cr_assert_eq(sb_bn_prices_from_json(doc, &p, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(p.n, 1);
	cr_assert_str_eq(p.items[0].symbol, "LTCBTC");
	cr_assert_eq(p.items[0].price, SB_DEC_C(4, 200));
	sb_bn_prices_fini(&p);
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "price", cJSON_CreateString("4.000002001"));
	cr_assert_eq(sb_bn_prices_from_json(doc, &p, err, sizeof err), SB_ERR_PRECISION);
	cr_assert_null(p.items);
	cJSON_Delete(doc);
}

Test(codec, klines_rows)
{
	cJSON *doc = rest_file("rest_klines.json");
	struct sb_bn_candles k;
	char err[128];
	cr_assert_eq(sb_bn_candles_from_json(doc, &k, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(k.n, 1);
	const struct sb_bn_candle *c = &k.items[0];
	cr_assert_eq(c->open_time, INT64_C(1499040000000));
	cr_assert_eq(c->open, SB_DEC_C(0, 1634790));
	cr_assert_eq(c->high, SB_DEC_C(0, 80000000));
	cr_assert_eq(c->low, SB_DEC_C(0, 1575800));
	cr_assert_eq(c->close, SB_DEC_C(0, 1577100));
	cr_assert_eq(c->volume, SB_DEC_C(148976, 11427815));
	cr_assert_eq(c->close_time, INT64_C(1499644799999));
	cr_assert_eq(c->quote_volume, SB_DEC_C(2434, 19055334));
	cr_assert_eq(c->trades, 308);
	cr_assert_eq(c->taker_buy_base, SB_DEC_C(1756, 87402397));
	cr_assert_eq(c->taker_buy_quote, SB_DEC_C(28, 46694368));
	sb_bn_candles_fini(&k);
	cJSON *row = cJSON_GetArrayItem(doc, 0);
	cJSON_ReplaceItemInArray(row, 3, cJSON_CreateNumber(0.0157));
	cr_assert_eq(sb_bn_candles_from_json(doc, &k, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "klines: field \"[0].3\": not a decimal string (a number)");
	cJSON_DeleteItemFromArray(row, 11);
	cJSON_DeleteItemFromArray(row, 10);
	cr_assert_eq(sb_bn_candles_from_json(doc, &k, err, sizeof err), SB_ERR_PARSE);
	cr_assert_str_eq(err, "klines: row [0] has 10 elements, not 12");
	cJSON_Delete(doc);
}

Test(codec, exchange_info_delegates_symbols_to_rules)
{
	size_t len;
	char *json = read_file("exchangeinfo", "spot_usdt.json", &len);
	cJSON *doc;
	struct sb_bn_api_error api;
	char err[256];
	cr_assert_eq(sb_bn_rest_parse(json, len, SB_BN_DOC_MAX, 200, &doc, &api, err, sizeof err), SB_OK,
	             "%s", err);
	free(json);
	struct sb_bn_exchange_info x;
	cr_assert_eq(sb_bn_exchange_info_from_json(doc, &x, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(x.server_time, INT64_C(1732406400000));
	cr_assert_geq(x.n_rate_limits, 2);
	cr_assert_eq(x.rate_limits[0].type, SB_BN_LIMIT_REQUEST_WEIGHT);
	cr_assert_eq(x.rate_limits[0].interval, SB_BN_INTERVAL_MINUTE);
	cr_assert_eq(x.rate_limits[0].limit, 6000);
	cr_assert_eq(x.rate_limits[0].count, -1, "exchangeInfo limits have no count");
	cr_assert_eq(x.rate_limits[1].type, SB_BN_LIMIT_ORDERS);
	cr_assert_eq(x.rate_limits[1].interval_num, 10);
	cr_assert_gt(x.n_symbols, 0);
	const struct sb_symbol_rules *btc = sb_bn_exchange_info_symbol(&x, "BTCUSDT");
	cr_assert_not_null(btc);
	cr_assert_str_eq(btc->base_asset, "BTC");
	cr_assert_eq(btc->price.tick_size, SB_DEC_C(0, 1000000));
	cr_assert_null(sb_bn_exchange_info_symbol(&x, "NOPE"));
	sb_bn_exchange_info_fini(&x);

	cJSON *sym = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "symbols"), 0);
	cJSON_DeleteItemFromObjectCaseSensitive(sym, "baseAsset");
	cr_assert_eq(sb_bn_exchange_info_from_json(doc, &x, err, sizeof err), SB_ERR_PARSE);
	cr_assert(strstr(err, "exchangeInfo: symbols[0]: ") == err, "%s", err);
	cr_assert(strstr(err, "baseAsset") != NULL, "%s", err);
	cr_assert_null(x.symbols);
	cJSON_Delete(doc);
}

Test(codec, rate_limit_order_endpoint)
{
	cJSON *doc = rest_file("rest_rate_limit_order.json");
	struct sb_bn_rate_limit rl[4];
	size_t n = 0;
	char err[128];
	cr_assert_eq(sb_bn_rate_limits_from_json(doc, rl, 4, &n, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_eq(rl[0].type, SB_BN_LIMIT_ORDERS);
	cr_assert_eq(rl[0].interval, SB_BN_INTERVAL_SECOND);
	cr_assert_eq(rl[0].interval_num, 10);
	cr_assert_eq(rl[0].limit, 50);
	cr_assert_eq(rl[0].count, 0);
	cJSON_Delete(doc);
}

Test(codec, enum_names_round_trip)
{
	for (int v = 0; v <= SB_BN_EXEC_TRADE_PREVENTION; v++) {
		const char *s = sb_bn_exec_type_name((enum sb_bn_exec_type)v);
		enum sb_bn_exec_type back;
		cr_assert_eq(sb_bn_exec_type_parse(s, strlen(s), &back), SB_OK);
		cr_assert_eq((int)back, v);
	}
	for (int v = 0; v < SB_ORDER_STATE__COUNT; v++) {
		const char *s = sb_order_state_name((enum sb_order_state)v);
		enum sb_order_state back;
		cr_assert_eq(sb_order_state_parse(s, strlen(s), &back), SB_OK);
		cr_assert_eq((int)back, v);
	}
	enum sb_tif t;
	cr_assert_eq(sb_tif_parse("GTCX", 3, &t), SB_OK, "exactly len bytes");
	cr_assert_eq(t, SB_TIF_GTC);
	cr_assert_eq(sb_tif_parse("gtc", 3, &t), SB_ERR_NOT_FOUND);
	enum sb_side side;
	cr_assert_eq(sb_side_parse("SELL", 4, &side), SB_OK);
	cr_assert_eq(side, SB_SIDE_SELL);
	cr_assert_str_eq(sb_bn_reject_reason_name((enum sb_bn_reject_reason)99), "UNKNOWN");
}

Test(codec, every_recorded_message_parses_through_some_entry_point)
{
	/* Guards the data directory: a file added there without a test still has to parse as something. */
	static const char *const files[] = {"trade.json",
	                                    "agg_trade.json",
	                                    "book_ticker.json",
	                                    "kline.json",
	                                    "mini_ticker.json",
	                                    "combined_book_ticker.json",
	                                    "combined_trade.json",
	                                    "server_shutdown.json",
	                                    "combined_server_shutdown.json",
	                                    "control_subscribe_result.json",
	                                    "control_list_subscriptions.json",
	                                    "control_get_property.json",
	                                    "control_error_invalid_json.json",
	                                    "control_error_invalid_request.json"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		(void)market_file(files[i]);
	static const char *const user[] = {"user_outbound_account_position.json",
	                                   "user_balance_update.json",
	                                   "user_event_stream_terminated.json",
	                                   "user_external_lock_update.json",
	                                   "user_execution_report.json",
	                                   "user_execution_report_expired_in_match.json",
	                                   "user_execution_report_expired_in_match_partial.json",
	                                   "user_listen_key_expired.json",
	                                   "ws_server_shutdown.json"};
	for (size_t i = 0; i < sizeof user / sizeof user[0]; i++)
		(void)user_file(user[i]);
	static const char *const ws[] = {"ws_response_ok.json", "ws_response_rate_limits.json",
	                                 "ws_response_error.json", "ws_session_logon.json"};
	for (size_t i = 0; i < sizeof ws / sizeof ws[0]; i++) {
		size_t len;
		char *json = read_data(ws[i], &len);
		struct sb_bn_ws_frame f;
		char err[160];
		cr_assert_eq(sb_bn_ws_frame_parse(json, len, &f, err, sizeof err), SB_OK, "%s: %s", ws[i],
		             err);
		cr_assert_eq(f.kind, SB_BN_WS_RESPONSE);
		sb_bn_ws_frame_fini(&f);
		free(json);
	}
}

Test(codec, duplicate_keys_resolve_to_the_first_as_in_cjson)
{
	struct sb_bn_market_msg m;
	char err[128];
	cr_assert_eq(
	    market_str("{\"u\":1,\"s\":\"X\",\"b\":\"1\",\"b\":\"9\",\"B\":\"2\",\"a\":\"3\",\"A\":\"4\"}",
	               &m, err, sizeof err),
	    SB_OK, "%s", err);
	cr_assert_eq(m.u.book_ticker.bid_price, D("1"));
}

Test(codec, every_entry_point_refuses_oversized_input)
{
	size_t big = SB_BN_MSG_MAX + 1;
	char *buf = malloc(big);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[big - 1] = '}';
	char err[128];
	struct sb_bn_user_event ev;
	cr_assert_eq(sb_bn_user_event_parse(buf, big, &ev, err, sizeof err), SB_ERR_TOO_LONG);
	cr_assert_str_eq(err, "user event: 1048577 bytes exceed the 1048576-byte limit");
	struct sb_bn_ws_response r;
	cr_assert_eq(sb_bn_ws_response_parse(buf, big, &r, err, sizeof err), SB_ERR_TOO_LONG);
	struct sb_bn_ws_frame f;
	cr_assert_eq(sb_bn_ws_frame_parse(buf, big, &f, err, sizeof err), SB_ERR_TOO_LONG);
	cJSON *doc;
	struct sb_bn_api_error api;
	cr_assert_eq(sb_bn_rest_parse(buf, big, SB_BN_MSG_MAX, 200, &doc, &api, err, sizeof err),
	             SB_ERR_TOO_LONG);
	cr_assert_eq(sb_bn_rest_parse(buf, big, SB_BN_DOC_MAX, 200, &doc, &api, err, sizeof err), SB_OK,
	             "exchangeInfo documents may be larger");
	sb_bn_doc_free(doc);
	free(buf);
}

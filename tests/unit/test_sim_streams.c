#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/streams.h"

Test(sim_streams, names_parse_into_kind_symbol_and_interval)
{
	struct sim_stream s;
	cr_assert_eq(sim_stream_parse("btcusdt@trade", &s), SB_OK);
	cr_assert_eq(s.kind, SIM_STREAM_TRADE);
	cr_assert_str_eq(s.symbol, "BTCUSDT");
	cr_assert_eq(sim_stream_parse("ethusdt@kline_15m", &s), SB_OK);
	cr_assert_eq(s.kind, SIM_STREAM_KLINE);
	cr_assert_str_eq(s.interval, "15m");
	cr_assert_eq(sim_stream_parse("bnbbtc@depth10@100ms", &s), SB_OK);
	cr_assert_eq(s.kind, SIM_STREAM_DEPTH_LEVELS);
	cr_assert_eq(s.levels, 10);
	cr_assert(s.fast);
	cr_assert_eq(sim_stream_parse("bnbbtc@depth", &s), SB_OK);
	cr_assert_eq(s.kind, SIM_STREAM_DEPTH);
	cr_assert_eq(sim_stream_parse("bnbbtc@aggTrade", &s), SB_OK);
	cr_assert_eq(sim_stream_parse("bnbbtc@bookTicker", &s), SB_OK);
	cr_assert_eq(sim_stream_parse("bnbbtc@miniTicker", &s), SB_OK);
	cr_assert_eq(sim_stream_parse("bnbbtc@ticker", &s), SB_OK);
}

Test(sim_streams, invalid_names_are_rejected)
{
	static const char *bad[] = {"BTCUSDT@trade",  "btcusdt", "btcusdt@trades", "btcusdt@kline_7m",
	                            "btcusdt@depth7", "@trade",  "btc-usdt@trade", "btcusdt@depth@50ms"};
	struct sim_stream s;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(sim_stream_parse(bad[i], &s), SB_ERR_INVALID, "%s accepted", bad[i]);
	cr_assert_eq(sim_kline_interval_ms("1h"), 3600000LL);
	cr_assert_eq(sim_kline_interval_ms("2m"), 0);
}

Test(sim_streams, paths_set_up_raw_and_combined_subscriptions)
{
	static struct sim_subs subs;
	cr_assert_eq(sim_subs_from_path(&subs, "/ws/btcusdt@trade/ethusdt@bookTicker"), SB_OK);
	cr_assert_eq(subs.count, 2);
	cr_assert_not(subs.combined);
	cr_assert(sim_subs_has(&subs, "ethusdt@bookTicker"));
	cr_assert_eq(sim_subs_from_path(&subs, "/stream?streams=btcusdt@trade/btcusdt@kline_1m"), SB_OK);
	cr_assert_eq(subs.count, 2);
	cr_assert(subs.combined);
	cr_assert_eq(sim_subs_from_path(&subs, "/ws"), SB_OK);
	cr_assert_eq(subs.count, 0);
	cr_assert_eq(sim_subs_from_path(&subs, "/ws-api/v3"), SB_ERR_NOT_FOUND);
	cr_assert_eq(sim_subs_from_path(&subs, "/ws/BTCUSDT@trade"), SB_ERR_INVALID);
}

static void expect(struct sim_subs *subs, const char *msg, const char *reply)
{
	char *r = sim_subs_control(subs, msg, strlen(msg));
	cr_assert_str_eq(r, reply, "for %s", msg);
	free(r);
}

Test(sim_streams, control_messages_echo_ids_in_their_type)
{
	static struct sim_subs subs;
	sim_subs_from_path(&subs, "/ws");
	expect(&subs,
	       "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@aggTrade\",\"btcusdt@depth\"],\"id\":1}",
	       "{\"result\":null,\"id\":1}");
	expect(&subs, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@depth\"],\"id\":\"abc-312\"}",
	       "{\"result\":null,\"id\":\"abc-312\"}");
	expect(&subs, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":null}",
	       "{\"result\":[\"btcusdt@aggTrade\"],\"id\":null}");
	expect(&subs, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":4503599627370497}",
	       "{\"result\":[\"btcusdt@aggTrade\"],\"id\":4503599627370497}");
	expect(&subs, "{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",true],\"id\":5}",
	       "{\"result\":null,\"id\":5}");
	expect(&subs, "{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":2}",
	       "{\"result\":true,\"id\":2}");
}

/* A string id of 36 bytes is echoed whole even when every byte must be escaped in JSON (\u0010 is six bytes):
 * a cut id would make the reply not JSON. */
Test(sim_streams, a_string_id_of_escaped_bytes_is_echoed_whole)
{
	static struct sim_subs subs;
	sim_subs_from_path(&subs, "/ws");
	char msg[256] = "{\"method\":\"GET_PROPERTY\",\"params\":[\"combined\"],\"id\":\"";
	size_t n = strlen(msg);
	for (int i = 0; i < 36; i++)
		msg[n++] = '\x10';
	snprintf(msg + n, sizeof msg - n, "\"}");
	char *r = sim_subs_control(&subs, msg, strlen(msg));
	char want[512];
	int w = snprintf(want, sizeof want, "{\"result\":false,\"id\":\"");
	for (int i = 0; i < 36; i++)
		w += snprintf(want + w, sizeof want - (size_t)w, "\\u0010");
	snprintf(want + w, sizeof want - (size_t)w, "\"}");
	cr_assert_str_eq(r, want);
	free(r);
}

Test(sim_streams, bad_control_messages_get_binance_errors_and_change_nothing)
{
	static struct sim_subs subs;
	sim_subs_from_path(&subs, "/ws/btcusdt@trade");
	expect(&subs, "{\"method\":\"SUBSCRIBE\",\"params\":[\"ethusdt@trade\",\"nope\"],\"id\":7}",
	       "{\"code\":2,\"msg\":\"Invalid request: invalid stream name\",\"id\":7}");
	cr_assert_eq(subs.count, 1, "a rejected SUBSCRIBE must not add its valid names");
	expect(&subs, "{\"method\":\"SUBSCRIBE\",\n\"params\":[}",
	       "{\"code\":3,\"msg\":\"Invalid JSON: expected value at line 2 column 11\"}");
	expect(&subs, "{\"method\":\"FLY\",\"id\":8}",
	       "{\"code\":2,\"msg\":\"Invalid request: unknown method\",\"id\":8}");
	expect(&subs, "{\"method\":\"SET_PROPERTY\",\"params\":[\"colour\",true],\"id\":9}",
	       "{\"code\":0,\"msg\":\"Unknown property\",\"id\":9}");
	expect(&subs, "{\"method\":\"SET_PROPERTY\",\"params\":[\"combined\",1],\"id\":9}",
	       "{\"code\":1,\"msg\":\"Invalid value type: expected Boolean\",\"id\":9}");
	expect(
	    &subs, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":1.5}",
	    "{\"code\":2,\"msg\":\"Invalid request: request ID must be an unsigned integer or a string\"}");
}

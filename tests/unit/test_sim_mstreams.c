/*
 * test_sim_mstreams.c - spotsim's market-stream fan-out (sim/mstreams.h) driven without sockets: fake
 * connections record what would be sent, feed events and timer steps are called with explicit times.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sim/md.h"
#include "sim/mstreams.h"

/* The real clock lives in exchange.c; these tests pass times in, so a stand-in is enough. */
__attribute__((weak)) int64_t sim_exchange_now(const struct sim_exchange *ex)
{
	(void)ex;
	return 0;
}

#define MAXMSG 64

/* A fake connection: what was sent to it, and how it was closed. */
struct fake {
	void *user;
	char *msgs[MAXMSG];
	size_t n;
	int close_code;
};

static bool fake_send(struct sim_ws_conn *conn, const char *text, size_t len)
{
	struct fake *f = (struct fake *)conn;
	cr_assert_lt(f->n, MAXMSG);
	f->msgs[f->n] = strndup(text, len);
	f->n++;
	return true;
}

static void fake_close(struct sim_ws_conn *conn, uint16_t code, const char *why)
{
	(void)why;
	((struct fake *)conn)->close_code = code;
}

static void fake_set_user(struct sim_ws_conn *conn, void *user)
{
	((struct fake *)conn)->user = user;
}

static void *fake_user(const struct sim_ws_conn *conn)
{
	return ((const struct fake *)conn)->user;
}

static void fake_clear(struct fake *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->msgs[i]);
	f->n = 0;
}

#define WS(f) ((struct sim_ws_conn *)(f))

static struct sim_exchange ex;
static struct sim_symbol syms[2];
static struct sim_mstreams *ms;
static struct fake fk[3];
#define T0 1700000030000LL

static void quotes(struct sim_symbol *s, const char *b0, const char *bq0, const char *a0, const char *aq0)
{
	struct sim_book_level bids[2] = {{D(b0), D(bq0)}, {D(b0) - D("0.01"), D("2")}};
	struct sim_book_level asks[2] = {{D(a0), D(aq0)}, {D(a0) + D("0.01"), D("3")}};
	struct sim_book_result res;
	sim_book_result_init(&res);
	cr_assert_eq(sim_book_set_quotes(s->book, bids, 2, asks, 2, T0, &res), SB_OK);
	sim_book_result_fini(&res);
}

static void setup(void)
{
	memset(&ex, 0, sizeof ex);
	memset(syms, 0, sizeof syms);
	memset(fk, 0, sizeof fk);
	static const char *names[2] = {"BTCUSDT", "ETHUSDT"};
	for (int i = 0; i < 2; i++) {
		snprintf(syms[i].rules.symbol, sizeof syms[i].rules.symbol, "%s", names[i]);
		cr_assert_eq(sim_book_new(names[i], "X", "USDT", 0, 0, &syms[i].book), SB_OK);
		cr_assert_eq(sim_md_new(names[i], &syms[i].md), SB_OK);
	}
	ex.symbols = syms;
	ex.nsymbols = 2;
	quotes(&syms[0], "100.00", "1", "100.01", "1.5");
	cr_assert_eq(sim_mstreams_new(&ex, &ms), SB_OK);
	struct sim_mstreams_io io = {fake_send, fake_close, fake_set_user, fake_user};
	sim_mstreams_set_io(ms, &io);
}

static void teardown(void)
{
	for (int i = 0; i < 3; i++) {
		if (fk[i].user)
			sim_mstreams_close(ms, WS(&fk[i]));
		fake_clear(&fk[i]);
	}
	sim_mstreams_stop(ms);
	sim_mstreams_free(ms);
	for (int i = 0; i < 2; i++) {
		sim_book_free(syms[i].book);
		sim_md_free(syms[i].md);
	}
}

TestSuite(sim_mstreams, .init = setup, .fini = teardown);

Test(sim_mstreams, paths_open_market_connections_and_refuse_others)
{
	cr_assert_not(sim_mstreams_open(ms, WS(&fk[0]), "/ws-api/v3"));
	cr_assert_null(fk[0].user);
	cr_assert(sim_mstreams_open(ms, WS(&fk[1]), "/ws/btcusdt@nothing"));
	cr_assert_eq(fk[1].close_code, 1008, "an invalid stream name closes with a policy violation");
	cr_assert(sim_mstreams_open(ms, WS(&fk[2]), "/ws"));
	cr_assert_eq(fk[2].close_code, 0);
}

Test(sim_mstreams, feed_events_send_trade_agg_trade_and_book_ticker)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/ws/btcusdt@trade/btcusdt@aggTrade/btcusdt@bookTicker"));
	/* A user fill recorded between feed events, then the feed's own trade: both go out, in id order. */
	sim_md_trade(syms[0].md, 1, D("100.01"), D("0.5"), false, T0 - 10);
	sim_md_trade(syms[0].md, 2, D("100.01"), D("0.25"), false, T0 - 10);
	sim_mstreams_market_at(ms, &syms[0], T0);
	cr_assert_eq(fk[0].n, 4);
	cr_assert_str_eq(fk[0].msgs[0], "{\"e\":\"trade\",\"E\":1700000030000,\"s\":\"BTCUSDT\",\"t\":1,"
	                                "\"p\":\"100.01000000\",\"q\":\"0.50000000\",\"T\":1700000029990,"
	                                "\"m\":false,\"M\":true}");
	cr_assert(strstr(fk[0].msgs[1], "\"t\":2,"));
	cr_assert_str_eq(fk[0].msgs[2], "{\"e\":\"aggTrade\",\"E\":1700000030000,\"s\":\"BTCUSDT\",\"a\":1,"
	                                "\"p\":\"100.01000000\",\"q\":\"0.75000000\",\"f\":1,\"l\":2,"
	                                "\"T\":1700000029990,\"m\":false,\"M\":true}");
	/* Two trades and the feed event each advanced the update id. */
	cr_assert_str_eq(fk[0].msgs[3],
	                 "{\"u\":3,\"s\":\"BTCUSDT\",\"b\":\"100.00000000\",\"B\":\"1.00000000\","
	                 "\"a\":\"100.01000000\",\"A\":\"1.50000000\"}");
	fake_clear(&fk[0]);
	/* A later trade at the same price and millisecond is a new aggregate: the last one was streamed. */
	sim_md_trade(syms[0].md, 3, D("100.01"), D("1"), false, T0 - 10);
	sim_mstreams_market_at(ms, &syms[0], T0 + 1);
	cr_assert_eq(fk[0].n, 3);
	cr_assert(strstr(fk[0].msgs[1], "\"a\":2,") && strstr(fk[0].msgs[1], "\"f\":3,\"l\":3"), "%s",
	          fk[0].msgs[1]);
	/* No new trade: only the book ticker. */
	fake_clear(&fk[0]);
	sim_mstreams_market_at(ms, &syms[0], T0 + 2);
	cr_assert_eq(fk[0].n, 1);
	cr_assert(strncmp(fk[0].msgs[0], "{\"u\":6,", 7) == 0);
}

Test(sim_mstreams, combined_connections_get_wrapped_payloads_formatted_once)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/stream?streams=btcusdt@trade"));
	cr_assert(sim_mstreams_open(ms, WS(&fk[1]), "/ws/btcusdt@trade"));
	cr_assert(sim_mstreams_open(ms, WS(&fk[2]), "/stream?streams=btcusdt@trade/ethusdt@trade"));
	sim_md_trade(syms[0].md, 7, D("100"), D("1"), true, T0);
	sim_mstreams_market_at(ms, &syms[0], T0);
	const char *raw =
	    "{\"e\":\"trade\",\"E\":1700000030000,\"s\":\"BTCUSDT\",\"t\":7,\"p\":\"100.00000000\","
	    "\"q\":\"1.00000000\",\"T\":1700000030000,\"m\":true,\"M\":true}";
	char wrapped[512];
	snprintf(wrapped, sizeof wrapped, "{\"stream\":\"btcusdt@trade\",\"data\":%s}", raw);
	cr_assert_eq(fk[0].n, 1);
	cr_assert_str_eq(fk[0].msgs[0], wrapped);
	cr_assert_str_eq(fk[1].msgs[0], raw);
	cr_assert_str_eq(fk[2].msgs[0], wrapped);
	cr_assert_eq(sim_mstreams_sent(ms), 3);
}

Test(sim_mstreams, control_messages_subscribe_and_the_sixth_in_a_second_closes)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/ws"));
	const char *sub = "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":1}";
	sim_mstreams_message_at(ms, WS(&fk[0]), sub, strlen(sub), 1000);
	cr_assert_str_eq(fk[0].msgs[0], "{\"result\":null,\"id\":1}");
	sim_md_trade(syms[0].md, 1, D("100"), D("1"), true, T0);
	sim_mstreams_market_at(ms, &syms[0], T0);
	cr_assert_eq(fk[0].n, 2);
	cr_assert(strncmp(fk[0].msgs[1], "{\"e\":\"trade\"", 12) == 0);
	const char *unsub = "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@trade\"],\"id\":\"x\"}";
	sim_mstreams_message_at(ms, WS(&fk[0]), unsub, strlen(unsub), 1100);
	cr_assert_str_eq(fk[0].msgs[2], "{\"result\":null,\"id\":\"x\"}");
	sim_md_trade(syms[0].md, 2, D("100"), D("1"), true, T0);
	sim_mstreams_market_at(ms, &syms[0], T0);
	cr_assert_eq(fk[0].n, 3, "nothing after UNSUBSCRIBE");
	const char *list = "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}";
	for (int i = 0; i < 3; i++)
		sim_mstreams_message_at(ms, WS(&fk[0]), list, strlen(list), 1200 + i);
	cr_assert_eq(fk[0].n, 6);
	cr_assert_eq(fk[0].close_code, 0);
	sim_mstreams_message_at(ms, WS(&fk[0]), list, strlen(list), 1999);
	cr_assert_eq(fk[0].close_code, 1008, "a sixth message within one second closes the connection");
	cr_assert_eq(fk[0].n, 6);

	/* Five a second for ever is fine. */
	cr_assert(sim_mstreams_open(ms, WS(&fk[1]), "/ws"));
	for (int s = 0; s < 3; s++)
		for (int i = 0; i < 5; i++)
			sim_mstreams_message_at(ms, WS(&fk[1]), list, strlen(list),
			                        5000 + s * 1000 + i * 150);
	cr_assert_eq(fk[1].close_code, 0);
	cr_assert_eq(fk[1].n, 15);
}

Test(sim_mstreams, depth_streams_send_diffs_and_partial_books)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/ws/btcusdt@depth@100ms"));
	cr_assert(sim_mstreams_open(ms, WS(&fk[1]), "/ws/btcusdt@depth5"));
	sim_mstreams_tick(ms, 1, T0);
	cr_assert_eq(fk[0].n, 0, "no change, no diff");
	cr_assert_eq(fk[1].n, 0, "partial books go out at 1000 ms");
	/* The book moves up a tick: 100.00 keeps 1, 99.99 leaves, 100.01 becomes a bid, asks shift. */
	quotes(&syms[0], "100.01", "1", "100.02", "4");
	sim_mstreams_market_at(ms, &syms[0], T0 + 50);
	sim_mstreams_tick(ms, 2, T0 + 100);
	cr_assert_eq(fk[0].n, 1);
	cr_assert_str_eq(fk[0].msgs[0],
	                 "{\"e\":\"depthUpdate\",\"E\":1700000030100,\"s\":\"BTCUSDT\",\"U\":1,\"u\":1,"
	                 "\"b\":[[\"100.01000000\",\"1.00000000\"],[\"100.00000000\",\"2.00000000\"],"
	                 "[\"99.99000000\",\"0.00000000\"]],"
	                 "\"a\":[[\"100.01000000\",\"0.00000000\"],[\"100.02000000\",\"4.00000000\"],"
	                 "[\"100.03000000\",\"3.00000000\"]]}");
	sim_mstreams_tick(ms, 10, T0 + 1000);
	cr_assert_eq(fk[0].n, 1, "unchanged again");
	cr_assert_eq(fk[1].n, 1);
	cr_assert_str_eq(fk[1].msgs[0], "{\"lastUpdateId\":1,\"bids\":[[\"100.01000000\",\"1.00000000\"],"
	                                "[\"100.00000000\",\"2.00000000\"]],\"asks\":[[\"100.02000000\","
	                                "\"4.00000000\"],[\"100.03000000\",\"3.00000000\"]]}");
	/* The next diff continues the id sequence. */
	quotes(&syms[0], "100.01", "5", "100.02", "4");
	sim_mstreams_market_at(ms, &syms[0], T0 + 1050);
	sim_mstreams_market_at(ms, &syms[0], T0 + 1060);
	sim_mstreams_tick(ms, 11, T0 + 1100);
	cr_assert_eq(fk[0].n, 2);
	cr_assert_str_eq(fk[0].msgs[1],
	                 "{\"e\":\"depthUpdate\",\"E\":1700000031100,\"s\":\"BTCUSDT\",\"U\":2,"
	                 "\"u\":3,\"b\":[[\"100.01000000\",\"5.00000000\"]],\"a\":[]}");
}

Test(sim_mstreams, klines_push_every_two_seconds_and_close_with_x_true)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/ws/btcusdt@kline_1m"));
	cr_assert(sim_mstreams_open(ms, WS(&fk[1]), "/stream?streams=btcusdt@kline_1s"));
	sim_mstreams_tick(ms, 0, T0);
	cr_assert_eq(fk[0].n, 0, "nothing before the first trade");
	int64_t m0 = 1699999980000LL; /* the minute of T0 */
	sim_md_trade(syms[0].md, 1, D("100"), D("2"), false, m0 + 50000);
	sim_mstreams_tick(ms, 10, m0 + 50500);
	cr_assert_eq(fk[0].n, 0, "1m klines go out every 2 s");
	cr_assert_eq(fk[1].n, 1, "1s klines every second");
	cr_assert(strstr(fk[1].msgs[0], "{\"stream\":\"btcusdt@kline_1s\",\"data\":{\"e\":\"kline\"") ==
	          fk[1].msgs[0]);
	sim_mstreams_tick(ms, 20, m0 + 51500);
	cr_assert_eq(fk[0].n, 1);
	cr_assert_str_eq(fk[0].msgs[0],
	                 "{\"e\":\"kline\",\"E\":1700000031500,\"s\":\"BTCUSDT\",\"k\":{\"t\":1699999980000,"
	                 "\"T\":1700000039999,\"s\":\"BTCUSDT\",\"i\":\"1m\",\"f\":1,\"L\":1,"
	                 "\"o\":\"100.00000000\",\"c\":\"100.00000000\",\"h\":\"100.00000000\","
	                 "\"l\":\"100.00000000\",\"v\":\"2.00000000\",\"n\":1,\"x\":false,"
	                 "\"q\":\"200.00000000\",\"V\":\"2.00000000\",\"Q\":\"200.00000000\",\"B\":\"0\"}}");
	/* The next minute: the closed candle goes out with x:true at the next 1 s step. */
	sim_mstreams_tick(ms, 30, m0 + 60200);
	cr_assert_eq(fk[0].n, 2);
	cr_assert(strstr(fk[0].msgs[1], "\"t\":1699999980000,") && strstr(fk[0].msgs[1], "\"x\":true"), "%s",
	          fk[0].msgs[1]);
	sim_mstreams_tick(ms, 40, m0 + 61200);
	cr_assert_eq(fk[0].n, 3);
	cr_assert(strstr(fk[0].msgs[2], "\"t\":1700000040000,") &&
	              strstr(fk[0].msgs[2], "\"n\":0,\"x\":false"),
	          "%s", fk[0].msgs[2]);
}

Test(sim_mstreams, tickers_go_out_every_second)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/ws/btcusdt@ticker/btcusdt@miniTicker/ethusdt@ticker"));
	sim_md_trade(syms[0].md, 1, D("100"), D("1"), false, T0 - 2000);
	sim_md_trade(syms[0].md, 2, D("101"), D("1"), true, T0 - 1000);
	sim_mstreams_tick(ms, 5, T0);
	cr_assert_eq(fk[0].n, 0);
	sim_mstreams_tick(ms, 10, T0);
	cr_assert_eq(fk[0].n, 2, "ETHUSDT has not traded: no ticker");
	const char *mini =
	    "{\"e\":\"24hrMiniTicker\",\"E\":1700000030000,\"s\":\"BTCUSDT\",\"c\":\"101.00000000\","
	    "\"o\":\"100.00000000\",\"h\":\"101.00000000\",\"l\":\"100.00000000\","
	    "\"v\":\"2.00000000\",\"q\":\"201.00000000\"}";
	const char *full =
	    "{\"e\":\"24hrTicker\",\"E\":1700000030000,\"s\":\"BTCUSDT\",\"p\":\"1.00000000\","
	    "\"P\":\"1.000\",\"w\":\"100.50000000\",\"x\":\"0.00000000\",\"c\":\"101.00000000\","
	    "\"Q\":\"1.00000000\",\"b\":\"100.00000000\",\"B\":\"1.00000000\","
	    "\"a\":\"100.01000000\",\"A\":\"1.50000000\",\"o\":\"100.00000000\","
	    "\"h\":\"101.00000000\",\"l\":\"100.00000000\",\"v\":\"2.00000000\","
	    "\"q\":\"201.00000000\",\"O\":1699913630000,\"C\":1700000030000,\"F\":1,\"L\":2,\"n\":2}";
	bool first_full = strncmp(fk[0].msgs[0], "{\"e\":\"24hrTicker\"", 17) == 0;
	cr_assert_str_eq(fk[0].msgs[first_full ? 0 : 1], full);
	cr_assert_str_eq(fk[0].msgs[first_full ? 1 : 0], mini);
}

Test(sim_mstreams, closing_connections_leave_their_topics)
{
	cr_assert(sim_mstreams_open(ms, WS(&fk[0]), "/ws/btcusdt@trade/xrpusdt@trade"));
	cr_assert(sim_mstreams_open(ms, WS(&fk[1]), "/ws/btcusdt@trade"));
	sim_mstreams_close(ms, WS(&fk[0]));
	cr_assert_null(fk[0].user);
	sim_md_trade(syms[0].md, 1, D("100"), D("1"), true, T0);
	sim_mstreams_market_at(ms, &syms[0], T0);
	cr_assert_eq(fk[0].n, 0);
	cr_assert_eq(fk[1].n, 1);
	sim_mstreams_close(ms, WS(&fk[1]));
	sim_md_trade(syms[0].md, 2, D("100"), D("1"), true, T0);
	sim_mstreams_market_at(ms, &syms[0], T0);
	cr_assert_eq(sim_mstreams_sent(ms), 1);
}

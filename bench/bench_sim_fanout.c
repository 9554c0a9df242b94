/*
 * Benchmark of spotsim's market streams: payloads formatted per second for each stream kind, and the
 * sustained fan-out of feed events to N in-process connections (trade + bookTicker each, half of them
 * combined), where "sending" copies the bytes as the server's queue would. Prints one line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/md.h"
#include "sim/mstreams.h"

/* The exchange's clock is not linked here; event times are passed in. */
__attribute__((weak)) int64_t sim_exchange_now(const struct sim_exchange *ex)
{
	(void)ex;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct fake {
	void *user;
	char buf[1024];
	uint64_t bytes;
};

static bool fake_send(struct sim_ws_conn *conn, const char *text, size_t len)
{
	struct fake *f = (struct fake *)conn;
	if (len > sizeof f->buf)
		len = sizeof f->buf;
	memcpy(f->buf, text, len);
	f->bytes += len;
	return true;
}

static void fake_close(struct sim_ws_conn *conn, uint16_t code, const char *why)
{
	(void)conn;
	(void)code;
	(void)why;
}

static void fake_set_user(struct sim_ws_conn *conn, void *user)
{
	((struct fake *)conn)->user = user;
}

static void *fake_user(const struct sim_ws_conn *conn)
{
	return ((const struct fake *)conn)->user;
}

static void bench_format(struct sim_md *md)
{
	enum { N = 500000 };
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	const struct sim_md_trade *t = sim_md_last_trade(md);
	const struct sim_md_agg *a = sim_md_agg_at(md, sim_md_agg_count(md) - 1);
	struct sim_md_candle c;
	sim_md_kline_current(md, 1, t->time, &c);
	struct sim_md_ticker tk;
	sim_md_ticker(md, t->time, &tk);
	const char *names[] = {"trade", "aggTrade", "kline", "24hrTicker", "24hrMiniTicker"};
	for (int kind = 0; kind < 5; kind++) {
		double t0 = now_s();
		size_t bytes = 0;
		for (int i = 0; i < N; i++) {
			sb_buf_reset(&j);
			switch (kind) {
			case 0:
				sim_md_event_trade(&j, "BTCUSDT", t, t->time + i);
				break;
			case 1:
				sim_md_event_agg(&j, "BTCUSDT", a, t->time + i);
				break;
			case 2:
				sim_md_event_kline(&j, "BTCUSDT", 1, &c, false, t->time + i);
				break;
			case 3:
				sim_md_event_ticker(&j, "BTCUSDT", &tk, t->time + i);
				break;
			default:
				sim_md_event_mini_ticker(&j, "BTCUSDT", &tk, t->time + i);
				break;
			}
			bytes += j.len;
		}
		double dt = now_s() - t0;
		printf("format %-15s %10.0f payloads/s (%zu bytes each)\n", names[kind], N / dt, bytes / N);
	}
	/* The 24-hour ticker itself is recomputed once a second per symbol from 1440 one-minute candles. */
	double t0 = now_s();
	for (int i = 0; i < 20000; i++)
		sim_md_ticker(md, t->time + i, &tk);
	printf("compute 24h ticker       %10.0f /s\n", 20000 / (now_s() - t0));
	sb_buf_fini(&j);
}

static void bench_fanout(struct sim_exchange *ex, size_t nconn)
{
	struct sim_mstreams *ms;
	sim_mstreams_new(ex, &ms);
	struct sim_mstreams_io io = {fake_send, fake_close, fake_set_user, fake_user};
	sim_mstreams_set_io(ms, &io);
	struct fake *conns = calloc(nconn, sizeof *conns);
	for (size_t i = 0; i < nconn; i++)
		sim_mstreams_open(ms, (struct sim_ws_conn *)&conns[i],
		                  i % 2 ? "/ws/btcusdt@trade/btcusdt@bookTicker"
		                        : "/stream?streams=btcusdt@trade/btcusdt@bookTicker");
	struct sim_symbol *sym = &ex->symbols[0];
	int64_t t = 1700000000000LL;
	int64_t id = 1000000;
	size_t events = nconn >= 1000 ? 2000 : 20000;
	uint64_t sent0 = sim_mstreams_sent(ms);
	double t0 = now_s();
	for (size_t e = 0; e < events; e++) {
		sim_md_trade(sym->md, ++id, SB_DEC_C(100, 0) + (sb_dec)(e % 7) * 1000000, SB_DEC_ONE, e % 2,
		             t);
		sim_mstreams_market_at(ms, sym, t);
		t += 250;
	}
	double dt = now_s() - t0;
	uint64_t sent = sim_mstreams_sent(ms) - sent0;
	uint64_t bytes = 0;
	for (size_t i = 0; i < nconn; i++)
		bytes += conns[i].bytes;
	printf("fan-out to %5zu conns:   %10.0f events/s, %10.0f msgs/s, %7.1f MB/s copied\n", nconn,
	       (double)events / dt, (double)sent / dt, (double)bytes / dt / 1e6);
	for (size_t i = 0; i < nconn; i++)
		sim_mstreams_close(ms, (struct sim_ws_conn *)&conns[i]);
	sim_mstreams_free(ms);
	free(conns);
}

int main(void)
{
	static struct sim_symbol sym;
	memset(&sym, 0, sizeof sym);
	snprintf(sym.rules.symbol, sizeof sym.rules.symbol, "BTCUSDT");
	sim_book_new("BTCUSDT", "BTC", "USDT", 0, 0, &sym.book);
	sim_md_new("BTCUSDT", &sym.md);
	struct sim_book_level bid = {SB_DEC_C(99, 99000000), SB_DEC_ONE},
	                      ask = {SB_DEC_C(100, 0), SB_DEC_ONE};
	struct sim_book_result res;
	sim_book_result_init(&res);
	sim_book_set_quotes(sym.book, &bid, 1, &ask, 1, 0, &res);
	sim_book_result_fini(&res);
	/* A day of trades, four a second, so the ticker window is full. */
	int64_t t = 1700000000000LL - 86400000LL;
	double t0 = now_s();
	int64_t n = 86400 * 4;
	for (int64_t i = 1; i <= n; i++)
		sim_md_trade(sym.md, i, SB_DEC_C(100, 0) + (sb_dec)(i % 13) * 1000000, SB_DEC_C(0, 1000000),
		             i % 3 == 0, t + i * 250);
	printf("record trades            %10.0f trades/s (rings, 16 kline intervals)\n",
	       (double)n / (now_s() - t0));
	bench_format(sym.md);
	struct sim_exchange ex;
	memset(&ex, 0, sizeof ex);
	ex.symbols = &sym;
	ex.nsymbols = 1;
	size_t sizes[] = {1, 100, 1000, 10000};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		bench_fanout(&ex, sizes[i]);
	sim_md_free(sym.md);
	sim_book_free(sym.book);
	return 0;
}

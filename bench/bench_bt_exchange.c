/*
 * bench_bt_exchange.c - throughput of spotsim's exchange in-process behind the exchange table
 * (src/backtest/bt_exchange.h): one-minute candles walked as spotsim's replay walks them, each trade
 * applied through the matching engine and its events (trades, book tickers) queued and delivered to a
 * listener that only counts them, with one resting order of the account on the book. Prints candles and
 * trades per second; not a test.
 */
#include <stdio.h>
#include <time.h>
#include <uv.h>

#include "backtest/bt_exchange.h"
#include "sim/exchange.h"
#include "sim/options.h"

#define CANDLES 20000

static unsigned long events;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_market(void *user, const struct sb_bn_market_event *ev)
{
	(void)user;
	(void)ev;
	events++;
}

static void on_placed(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	(void)user;
	(void)order;
	if (res->err != SB_OK)
		fprintf(stderr, "bench_bt_exchange: the resting order was refused: %s\n", res->api.msg);
}

/* A candle around 50000 that wanders by up to 0.5% each minute. */
static struct sb_bn_candle candle(long i, sb_dec *price)
{
	sb_dec step = SB_DEC_C(0, 1000000) * (sb_dec)((i * 7919) % 500 - 250);
	sb_dec open = *price, close = open + step;
	*price = close;
	sb_dec hi = (open > close ? open : close) + SB_DEC_C(20, 0);
	sb_dec lo = (open < close ? open : close) - SB_DEC_C(20, 0);
	int64_t t = 1767225600000 + i * 60000;
	return (struct sb_bn_candle){.open_time = t,
	                             .close_time = t + 59999,
	                             .open = open,
	                             .high = hi,
	                             .low = lo,
	                             .close = close,
	                             .volume = SB_DEC_C(3, 0),
	                             .quote_volume = SB_DEC_C(150000, 0),
	                             .trades = 600,
	                             .taker_buy_base = SB_DEC_C(1, 50000000),
	                             .taker_buy_quote = SB_DEC_C(75000, 0)};
}

int main(void)
{
	uv_loop_t loop;
	uv_loop_init(&loop);
	static struct sim_options opts;
	char *argv[] = {"bench", "--symbols", "BTCUSDT", "--account", "bench:secret:USDT=1000000", NULL};
	struct sim_exchange *sim = NULL;
	if (sim_options_parse(5, argv, &opts, stderr) != SB_OK ||
	    sim_exchange_new(&loop, &opts, NULL, stderr, &sim) != SB_OK)
		return 1;
	struct sb_exchange_events ev = {.market = {.event = on_market}};
	struct sb_bt_exchange_opts bo = {.sim = sim, .seed = 1};
	struct sb_exchange *ex = NULL;
	if (sb_bt_exchange_new(&bo, &ev, &ex) != SB_OK)
		return 1;
	const char *sym = "BTCUSDT";
	sb_exchange_streams_start(ex, &sym, 1);
	struct sb_bn_new_order o = {.symbol = sym,
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_LIMIT,
	                            .quantity = SB_DEC_C(0, 100000),
	                            .price = SB_DEC_C(30000, 0),
	                            .client_order_id = "bench-rest"};
	sb_exchange_order_place(ex, &o, on_placed, NULL);
	sb_bt_exchange_pump(ex);
	sb_dec price = SB_DEC_C(50000, 0);
	unsigned long trades_before = events;
	double t0 = now_s();
	for (long i = 0; i < CANDLES; i++) {
		struct sb_bn_candle c = candle(i, &price);
		if (sb_bt_exchange_candle(ex, sym, &c) != SB_OK)
			return 1;
	}
	double secs = now_s() - t0;
	printf("%-44s %9d candles %8.3f s %12.0f candles/s  %lu market events (%.0f/s)\n",
	       "bt_exchange: 1m candles, price path", CANDLES, secs, CANDLES / secs, events - trades_before,
	       (double)(events - trades_before) / secs);
	sb_exchange_free(ex);
	sim_exchange_stop(sim);
	uv_run(&loop, UV_RUN_DEFAULT);
	sim_exchange_free(sim);
	uv_loop_close(&loop);
	return 0;
}

/*
 * bench_bt_track.c - what the backtest's watcher (src/backtest/bt_track.h) costs on a long run: a year
 * of 1-minute candles for 50 pairs (26 M candles, synthetic prices), each step valuing an account of 51
 * assets, as `spotbot backtest` does between candles. Prints the time per candle and the memory the
 * watcher holds, which does not grow with the run's length; not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "backtest/bt_track.h"

#define PAIRS 50
#define DAYS  365
#define MIN   60000

static const char *names[PAIRS + 1];
static sb_dec held[PAIRS + 1];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* The account: USDT and a little of every base. */
static size_t balances(void *user, const char **assets, sb_dec *amounts, size_t cap)
{
	(void)user;
	size_t n = PAIRS + 1 < cap ? PAIRS + 1 : cap;
	for (size_t i = 0; i < n; i++) {
		assets[i] = names[i];
		amounts[i] = held[i];
	}
	return n;
}

int main(void)
{
	static struct sb_bt_track_pair pairs[PAIRS];
	static char base[PAIRS][8];
	names[0] = "USDT";
	held[0] = SB_DEC_C(9000, 0);
	for (size_t k = 0; k < PAIRS; k++) {
		snprintf(base[k], sizeof base[k], "C%02zu", k);
		snprintf(pairs[k].symbol, sizeof pairs[k].symbol, "%sUSDT", base[k]);
		snprintf(pairs[k].base, sizeof pairs[k].base, "%s", base[k]);
		snprintf(pairs[k].quote, sizeof pairs[k].quote, "USDT");
		names[k + 1] = base[k];
		held[k + 1] = SB_DEC_C(2, 0);
	}
	struct sb_bt_balance start = {"USDT", SB_DEC_C(10000, 0), 0};
	long before = rss_kb();
	struct sb_bt_track *t = sb_bt_track_new(pairs, PAIRS, &start, 1, balances, NULL);
	double t0 = now_s();
	uint64_t seed = 1;
	int64_t candles = 0;
	for (int64_t m = 0; m < (int64_t)DAYS * 24 * 60; m++) {
		for (size_t k = 0; k < PAIRS; k++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			sb_dec px = SB_DEC_C(10, 0) + (sb_dec)(seed >> 40) % SB_DEC_C(1, 0);
			struct sb_kline c = {.open_time = INT64_C(1672531200000) + m * MIN,
			                     .close_time = INT64_C(1672531200000) + m * MIN + MIN - 1,
			                     .open = px,
			                     .high = px + 1000,
			                     .low = px - 1000,
			                     .close = px};
			sb_bt_track_candle(t, k, &c);
			candles++;
		}
	}
	sb_bt_track_end(t);
	double secs = now_s() - t0;
	printf("bt_track: %lld candles of %d pairs over %d days in %.2f s: %.1f ns a candle\n",
	       (long long)candles, PAIRS, DAYS, secs, secs * 1e9 / (double)candles);
	printf("bt_track: resident %ld KiB before, %ld KiB after (the watcher's series are bounded)\n",
	       before, rss_kb());
	const struct sb_bt_series *eq = sb_bt_track_equity(t);
	printf("bt_track: equity series %zu points of %lld ms\n", eq->n, (long long)eq->step_ms);
	sb_bt_track_free(t);
	return 0;
}

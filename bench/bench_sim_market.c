/*
 * Benchmark of the simulator's market input: kline rows parsed per second (a month of real 1m candles
 * from the shared data directory, skipped with a message when it is absent), replay trades generated per
 * second, and synthetic events per second. Prints one line per figure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sim/kline.h"
#include "sim/market.h"

static const char *const candidates[] = {
    "../shared/data/DOTUSDT-1m-2024-11.csv.gz",
    "../../shared/data/DOTUSDT-1m-2024-11.csv.gz",
    "../../../shared/data/DOTUSDT-1m-2024-11.csv.gz",
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *find_data(int argc, char **argv)
{
	if (argc > 1)
		return argv[1];
	const char *env = getenv("SB_BENCH_KLINES");
	if (env)
		return env;
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
		if (access(candidates[i], R_OK) == 0)
			return candidates[i];
	return NULL;
}

/* Loads the shared month of DOTUSDT (or the file named on the command line) several times. */
static void bench_parse(const char *path, struct sim_kline_series *keep)
{
	char err[512];
	size_t rows = 0;
	double t0 = now_s();
	for (int i = 0; i < 5; i++) {
		struct sim_kline_series s = {0};
		if (sim_kline_load_file(path, &s, err, sizeof err) != SB_OK) {
			printf("kline parse: %s\n", err);
			sim_kline_series_fini(&s);
			return;
		}
		rows += s.count;
		if (i == 0)
			*keep = s;
		else
			sim_kline_series_fini(&s);
	}
	double dt = now_s() - t0;
	printf("kline parse (gz): %zu rows in %.3f s = %.0f rows/s  [%s]\n", rows, dt, (double)rows / dt,
	       path);
}

static void bench_replay(const struct sim_kline_series *s)
{
	struct sim_feed *f = NULL;
	/* DOTUSDT's filters: tickSize 0.001, stepSize 0.01. */
	if (sim_feed_new_replay(s->rows, s->count, SB_DEC_C(0, 100000), SB_DEC_C(0, 1000000), 1, &f) !=
	    SB_OK) {
		printf("replay: cannot create the feed\n");
		return;
	}
	struct sim_event ev;
	long trades = 0;
	double t0 = now_s();
	while (trades < 3000000) {
		sim_feed_next(f, &ev);
		if (ev.kind == SIM_EVENT_END) {
			sim_feed_rewind(f);
			continue;
		}
		trades++;
	}
	double dt = now_s() - t0;
	printf("replay: %ld trades from %zu candles in %.3f s = %.0f trades/s\n", trades, s->count, dt,
	       (double)trades / dt);
	sim_feed_free(f);
}

static void bench_synthetic(void)
{
	struct sim_synth_params p;
	sim_synth_params_default(&p);
	struct sim_feed *f = NULL;
	if (sim_feed_new_synthetic(&p, SB_DEC_C(0, 1000000), SB_DEC_C(0, 100000), 1, &f) != SB_OK)
		return;
	struct sim_event ev;
	const long n = 5000000;
	double t0 = now_s();
	for (long i = 0; i < n; i++)
		sim_feed_next(f, &ev);
	double dt = now_s() - t0;
	printf("synthetic: %ld events in %.3f s = %.0f events/s (%.1f days of market time)\n", n, dt,
	       (double)n / dt, (double)(ev.time_ms - p.start_time_ms) / 86400000.0);
	sim_feed_free(f);
}

int main(int argc, char **argv)
{
	struct sim_kline_series s = {0};
	const char *path = find_data(argc, argv);
	if (path)
		bench_parse(path, &s);
	if (s.count == 0) {
		printf("kline parse: skipped (no data file: pass one as argument or set SB_BENCH_KLINES)\n");
		/* The replay still runs, on the excerpt shipped with the tests. */
		const char *root = getenv("SB_SOURCE_DIR");
		char p[1024], err[512];
		snprintf(p, sizeof p, "%s/tests/data/klines/LINKUSDT-1m-2023-02.csv", root ? root : ".");
		if (sim_kline_load_file(p, &s, err, sizeof err) != SB_OK)
			printf("replay: skipped (%s)\n", err);
	}
	if (s.count > 0)
		bench_replay(&s);
	bench_synthetic();
	sim_kline_series_fini(&s);
	return 0;
}

/*
 * Benchmark of the backtest's data reading: synthetic one-minute candles for several pairs, written as
 * data.binance.vision zip archives (one month per pair by default), read back merged in time order through
 * the kline set. Prints candles per second and the peak resident memory of the reading process.
 * Usage: bench_kline_set [PAIRS [CANDLES_PER_PAIR]] (default 10 pairs, 43200 candles: a month each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "spotbot/kline_set.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes dir/PAIRnUSDT-1m-2024-01.zip with rows candles from 2024-01-01, prices walking by the row. */
static void write_pair(const char *dir, int pair, long rows)
{
	size_t cap = (size_t)rows * 128, len = 0;
	char *csv = malloc(cap);
	long long t0 = 1704067200000LL;
	for (long i = 0; i < rows; i++) {
		long long t = t0 + i * 60000LL;
		long p = 1000 + (i * 7 + pair) % 200;
		len += (size_t)snprintf(csv + len, cap - len,
		                        "%lld,%ld.5,%ld.9,%ld.1,%ld.25,%ld.123,%lld,12.5,%ld,0.5,0.6,0\n", t,
		                        p, p + 1, p - 1, p, i % 1000, t + 59999, i % 900);
	}
	char path[512], member[64];
	snprintf(member, sizeof member, "PAIR%dUSDT-1m-2024-01.csv", pair);
	snprintf(path, sizeof path, "%s/PAIR%dUSDT-1m-2024-01.zip", dir, pair);
	int err = 0;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	zip_source_t *src = za ? zip_source_buffer(za, csv, len, 0) : NULL;
	if (!src || zip_file_add(za, member, src, ZIP_FL_OVERWRITE) < 0 || zip_close(za) != 0) {
		fprintf(stderr, "bench_kline_set: cannot write %s\n", path);
		exit(1);
	}
	free(csv);
}

int main(int argc, char **argv)
{
	long long pairs_arg = 10, rows_arg = 43200;
	char *end = NULL;
	if (argc > 1 && ((pairs_arg = strtoll(argv[1], &end, 10)) < 1 || pairs_arg > 1000 || *end))
		pairs_arg = 0;
	if (argc > 2 && ((rows_arg = strtoll(argv[2], &end, 10)) < 1 || rows_arg > 100000000 || *end))
		rows_arg = 0;
	int pairs = (int)pairs_arg;
	long rows = (long)rows_arg;
	char dir[] = "/tmp/bench_kline_set_XXXXXX";
	if (pairs < 1 || rows < 1 || !mkdtemp(dir)) {
		fprintf(stderr, "usage: bench_kline_set [PAIRS [CANDLES_PER_PAIR]]\n");
		return 2;
	}
	/* The files are written by a child, so the peak RSS printed is the reading's alone. */
	pid_t child = fork();
	if (child == 0) {
		for (int p = 0; p < pairs; p++)
			write_pair(dir, p, rows);
		_exit(0);
	}
	int status = 0;
	if (child < 0 || waitpid(child, &status, 0) != child || status != 0) {
		fprintf(stderr, "bench_kline_set: writing the files failed\n");
		return 1;
	}
	const char *paths[] = {dir};
	struct sb_kline_set *s = NULL;
	char err[SB_KLINE_ERR_MAX];
	double t0 = now_s();
	if (sb_kline_set_open(paths, 1, 0, INT64_MAX, &s, err, sizeof err) != SB_OK) {
		fprintf(stderr, "bench_kline_set: %s\n", err);
		return 1;
	}
	long long n = 0;
	for (;;) {
		size_t sym;
		struct sb_kline k;
		bool done;
		if (sb_kline_set_next(s, &sym, &k, &done) != SB_OK) {
			fprintf(stderr, "bench_kline_set: %s\n", sb_kline_set_error(s));
			return 1;
		}
		if (done)
			break;
		n++;
	}
	double elapsed = now_s() - t0;
	sb_kline_set_free(s);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf(
	    "kline set: %lld candles of %d pairs from zip archives in %.3f s: %.0f candles/s, peak RSS %ld MiB\n",
	    n, pairs, elapsed, (double)n / elapsed, ru.ru_maxrss / 1024);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd) == 0 && n == (long long)pairs * rows ? 0 : 1;
}

/*
 * Benchmark for the money type: parse, format, mul and div throughput on a fixed set of realistic
 * values (prices and quantities with up to 8 places). Prints one line per operation with millions of
 * operations per second and nanoseconds per operation. Wall time comes from CLOCK_MONOTONIC; doubles
 * appear only in the timing arithmetic, never in money.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "spotbot/decimal.h"

enum { NVALUES = 4096, ROUNDS = 500 };

static sb_dec values[NVALUES];             /* operands */
static char texts[NVALUES][SB_DEC_STRLEN]; /* the same values as Binance strings */
static size_t text_lens[NVALUES];          /* their lengths */
static volatile int64_t sink;              /* keeps results observable */

static uint64_t rng_state = 42;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *name, double ns, long ops)
{
	printf("%-8s %8.2f Mops/s %8.1f ns/op\n", name, (double)ops / ns * 1e3, ns / (double)ops);
}

int main(void)
{
	/* Prices 0.00000001 .. 100000 and quantities with 0..8 places, as an exchange would send them. */
	for (int i = 0; i < NVALUES; i++) {
		int64_t v = (int64_t)(rng_next() % UINT64_C(10000000000000)) + 1;
		values[i] = (i & 1) ? -v : v;
		text_lens[i] = sb_dec_format(values[i], texts[i], sizeof texts[i]);
	}
	long ops = (long)NVALUES * ROUNDS;
	int64_t acc = 0;

	double t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NVALUES; i++) {
			sb_dec v;
			if (sb_dec_parse(texts[i], text_lens[i], &v) == SB_OK)
				acc += v;
		}
	}
	report("parse", now_ns() - t0, ops);

	char buf[SB_DEC_STRLEN];
	t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < NVALUES; i++)
			acc += (int64_t)sb_dec_format(values[i], buf, sizeof buf);
	report("format", now_ns() - t0, ops);

	t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++)
		for (int i = 0; i < NVALUES; i++)
			acc += (int64_t)sb_dec_format_trim(values[i], buf, sizeof buf);
	report("trim", now_ns() - t0, ops);

	t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NVALUES; i++) {
			sb_dec v;
			if (sb_dec_mul(values[i], values[(i + r) % NVALUES], SB_ROUND_HALF_EVEN, &v) == SB_OK)
				acc += v;
		}
	}
	report("mul", now_ns() - t0, ops);

	t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NVALUES; i++) {
			sb_dec v;
			if (sb_dec_div(values[i], values[(i + r) % NVALUES], SB_ROUND_DOWN, &v) == SB_OK)
				acc += v;
		}
	}
	report("div", now_ns() - t0, ops);

	t0 = now_ns();
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NVALUES; i++) {
			sb_dec v;
			if (sb_dec_round_to(values[i], 1000000, SB_ROUND_UP, &v) == SB_OK)
				acc += v;
		}
	}
	report("round_to", now_ns() - t0, ops);

	sink = acc;
	return 0;
}

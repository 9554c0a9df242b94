/*
 * bench_sim_book.c - throughput of spotsim's matching engine and ledger: resting placements, a mixed
 * place-and-match stream, cancels, and the same mixed stream through the ledger (locks + settlement).
 * Prints orders per second; not a test (nothing is asserted beyond the calls succeeding).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "sim/book.h"
#include "sim/ledger.h"

#define TICK SB_DEC_C(0, 1000000) /* 0.01 */
#define STEP SB_DEC_C(0, 100000)  /* 0.001 */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *what, long n, double secs, const char *extra)
{
	printf("%-44s %9ld ops %8.3f s %12.0f ops/s  %s\n", what, n, secs, (double)n / secs, extra);
}

/* A LIMIT GTC order around 100.00; spread > 0 keeps it from crossing (resting-only runs). */
static struct sim_book_req order(uint32_t acct, int spread, int64_t t)
{
	struct sim_book_req q = {.account = acct, .type = SB_ORDER_LIMIT, .tif = SB_TIF_GTC, .time = t};
	q.side = rnd() % 2 ? SB_SIDE_BUY : SB_SIDE_SELL;
	int64_t off = rnd_in(spread, spread + 200);
	q.price = SB_DEC_C(100, 0) + (q.side == SB_SIDE_BUY ? -off : off) * TICK;
	q.qty = rnd_in(1, 1000) * STEP;
	return q;
}

static void bench_resting_and_cancel(long n)
{
	struct sim_book *b;
	struct sim_book_result r;
	sim_book_new("BTCUSDT", "BTC", "USDT", (uint32_t)n, (uint32_t)n, &b);
	sim_book_result_init(&r);
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		struct sim_book_req q = order(1 + (uint32_t)(i % 8), 1, i);
		sim_book_result_clear(&r);
		if (sim_book_place(b, &q, &r) != SB_OK)
			abort();
	}
	double t1 = now_s();
	report("place LIMIT GTC, resting (book grows to N)", n, t1 - t0, "");
	/* Cancel in random order: ids 1..n shuffled. */
	uint64_t *ids = malloc((size_t)n * sizeof(*ids));
	for (long i = 0; i < n; i++)
		ids[i] = (uint64_t)i + 1;
	for (long i = n - 1; i > 0; i--) {
		long j = (long)(rnd() % (uint64_t)(i + 1));
		uint64_t t = ids[i];
		ids[i] = ids[j];
		ids[j] = t;
	}
	t0 = now_s();
	for (long i = 0; i < n; i++) {
		sim_book_result_clear(&r);
		if (sim_book_cancel(b, ids[i], i, &r) != SB_OK)
			abort();
	}
	t1 = now_s();
	report("cancel by id, random order (book shrinks)", n, t1 - t0, "");
	free(ids);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

/* A steady mix around a book of about `depth` resting orders: a quote update every 20 operations; when
 * more than depth orders rest, a cancel of a random one; otherwise a placement: 45% resting limits, 35%
 * crossing limits (a third of them IOC), 20% MARKET. */
static void bench_mixed(long n, long depth, bool ledger)
{
	struct sim_book *b;
	struct sim_ledger *l = NULL;
	struct sim_book_result r;
	uint32_t ids[8];
	size_t cap = (size_t)depth * 4, n_rest = 0;
	uint64_t *rest = malloc(cap * sizeof(*rest));
	sim_book_new("BTCUSDT", "BTC", "USDT", (uint32_t)cap, 10000, &b);
	sim_book_result_init(&r);
	sim_ledger_new(&l);
	for (int i = 0; i < 8; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		sim_ledger_add_account(l, key, &ids[i]);
		sim_ledger_deposit(l, ids[i], "BTC", SB_DEC_C(1000000, 0));
		sim_ledger_deposit(l, ids[i], "USDT", SB_DEC_C(1000000000, 0));
	}
	long fills = 0, orders = 0, cancels = 0, rejects = 0;
	double t0 = now_s();
	for (long i = 0; i < n; i++) {
		sim_book_result_clear(&r);
		sb_err err = SB_OK;
		if (i % 20 == 0) {
			struct sim_book_level bl[5], al[5];
			for (int j = 0; j < 5; j++) {
				bl[j] = (struct sim_book_level){SB_DEC_C(100, 0) - (j + 3) * TICK,
				                                rnd_in(1, 1000) * STEP};
				al[j] = (struct sim_book_level){SB_DEC_C(100, 0) + (j + 3) * TICK,
				                                rnd_in(1, 1000) * STEP};
			}
			err = ledger ? sim_ledger_set_quotes(l, b, bl, 5, al, 5, i, 0, &r)
			             : sim_book_set_quotes(b, bl, 5, al, 5, i, &r);
		} else if (n_rest > (size_t)depth) {
			size_t k = (size_t)(rnd() % n_rest);
			uint64_t id = rest[k];
			rest[k] = rest[--n_rest];
			err = ledger ? sim_ledger_cancel(l, b, id, i, &r) : sim_book_cancel(b, id, i, &r);
			if (err == SB_ERR_NOT_FOUND) /* filled meanwhile */
				err = SB_OK;
			cancels++;
		} else {
			int k = (int)rnd_in(0, 99);
			struct sim_book_req q = order(ids[i % 8], k < 45 ? 1 : -40, i);
			if (k >= 45 && k < 57)
				q.tif = SB_TIF_IOC;
			if (k >= 80) {
				q.type = SB_ORDER_MARKET;
				q.price = 0;
			}
			err = ledger ? sim_ledger_place(l, b, &q, 0, &r) : sim_book_place(b, &q, &r);
			orders++;
			rejects += err == SB_ERR_EXCHANGE;
			const struct sim_book_order *o = r.order_id ? sim_book_find(b, r.order_id) : NULL;
			if (o && (o->status == SB_ORDER_NEW || o->status == SB_ORDER_PARTIALLY_FILLED) &&
			    n_rest < cap)
				rest[n_rest++] = o->id;
		}
		if (err != SB_OK && err != SB_ERR_EXCHANGE) {
			fprintf(stderr, "op %ld: %s\n", i, sb_errname(err));
			abort();
		}
		fills += (long)r.n_fills;
	}
	double t1 = now_s();
	char extra[128];
	snprintf(extra, sizeof(extra),
	         "(%ld orders, %ld cancels, %ld fills, %ld rejects, %zu resting at end)", orders, cancels,
	         fills, rejects, sim_book_open_count(b, SIM_ACCOUNT_MARKET));
	char what[64];
	snprintf(what, sizeof(what), "%s mixed place+match+cancel, depth ~%ld", ledger ? "ledger" : "book",
	         depth);
	report(what, n, t1 - t0, extra);
	free(rest);
	sim_book_result_fini(&r);
	sim_book_free(b);
	sim_ledger_free(l);
}

int main(int argc, char **argv)
{
	long n = 200000;
	if (argc > 1) {
		char *end;
		errno = 0;
		n = strtoll(argv[1], &end, 10);
		if (errno || end == argv[1] || *end || n <= 0) {
			fprintf(stderr, "usage: %s [operations]\n", argv[0]);
			return 2;
		}
	}
	bench_resting_and_cancel(10000);
	bench_resting_and_cancel(n);
	bench_mixed(n, 200, false);
	bench_mixed(n, 2000, false);
	bench_mixed(n, 200, true);
	bench_mixed(n, 2000, true);
	return 0;
}

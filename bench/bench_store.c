/*
 * Benchmark for the store's durable transactions on the SQLite backend (WAL, synchronous=FULL): order
 * intents, order updates and fill applications (fill + order + position + event), one transaction each,
 * as the daemon writes them. Prints transactions per second and the p50/p99/max latency of a commit.
 * The database lives in a fresh directory under /tmp (or the directory given as the first argument, to
 * measure another disk); the count is the optional second argument. The third, "caller", opens the store
 * as the daemon does and checkpoints between commits, outside the timed ones, each time the log has grown
 * by SB_STORE_CHECKPOINT_PAGES (as the daemon's tick does); default "auto": SQLite checkpoints inside the
 * commit that crosses its threshold. Doubles appear only in timing.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "spotbot/store.h"

enum { DEFAULT_N = 2000, MAX_N = 1000000 };

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void report(const char *name, uint64_t *lat, int n, uint64_t total_ns)
{
	qsort(lat, (size_t)n, sizeof *lat, cmp_u64);
	double secs = (double)total_ns / 1e9;
	printf("%-12s %8.0f txn/s  p50 %7.1f us  p99 %7.1f us  max %8.1f us  (%d txns)\n", name,
	       (double)n / secs, (double)lat[n / 2] / 1e3, (double)lat[(size_t)n * 99 / 100] / 1e3,
	       (double)lat[n - 1] / 1e3, n);
}

/* The daemon's way (bot/checkpoint.c): one checkpoint per growth of the log, between commits. */
static struct {
	bool on;
	uint32_t from;
	unsigned done;
	uint64_t worst_ns;
} ckpt;

static void checkpoint_step(struct sb_store *st)
{
	uint32_t pages = sb_store_wal_pages(st);
	if (!ckpt.on)
		return;
	if (pages < ckpt.from)
		ckpt.from = 0;
	if (pages < ckpt.from + SB_STORE_CHECKPOINT_PAGES)
		return;
	ckpt.from = pages;
	uint64_t s = now_ns();
	sb_err e = sb_store_checkpoint(st);
	uint64_t ns = now_ns() - s;
	if (e != SB_OK)
		fprintf(stderr, "bench_store: checkpoint: %s\n", sb_store_last_error(st));
	ckpt.done++;
	if (ns > ckpt.worst_ns)
		ckpt.worst_ns = ns;
}

static int fail(struct sb_store *st, const char *what, sb_err e)
{
	fprintf(stderr, "bench_store: %s: %s: %s\n", what, sb_errname(e), sb_store_last_error(st));
	return 1;
}

int main(int argc, char **argv)
{
	char dir[256];
	const char *base = argc > 1 ? argv[1] : "/tmp";
	int n = DEFAULT_N;
	bool caller = argc > 3 && strcmp(argv[3], "caller") == 0;
	if (argc > 3 && !caller && strcmp(argv[3], "auto") != 0) {
		fprintf(stderr, "usage: bench_store [dir] [count] [auto|caller]\n");
		return 2;
	}
	if (argc > 2) {
		char *end = NULL;
		long long v = strtoll(argv[2], &end, 10);
		if (!end || *end || v < 10 || v > MAX_N) {
			fprintf(stderr, "usage: bench_store [dir] [count 10..%d]\n", MAX_N);
			return 2;
		}
		n = (int)v;
	}
	snprintf(dir, sizeof dir, "%s/sb_bench_store_XXXXXX", base);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	char path[320];
	snprintf(path, sizeof path, "%s/bench.db", dir);
	struct sb_store *st = NULL;
	char err[256];
	sb_err e = sb_store_open_sqlite(path, &(struct sb_store_opts){.checkpoint_by_caller = caller}, &st,
	                                err, sizeof err);
	ckpt.on = caller;
	printf("checkpoints: %s\n",
	       caller ? "between commits (the daemon's way)" : "SQLite's, in the commit");
	if (e != SB_OK) {
		fprintf(stderr, "bench_store: open %s: %s\n", path, err);
		return 1;
	}
	uint64_t *lat = calloc((size_t)n, sizeof *lat);
	struct sb_store_order *orders = calloc((size_t)n, sizeof *orders);
	struct sb_store_position pos = {.symbol = "BTCUSDT", .state = SB_POSITION_BUYING, .created_ms = 1};
	int rc = 1;
	if (!lat || !orders)
		goto out;
	e = sb_store_position_insert(st, &pos, NULL);
	if (e != SB_OK) {
		rc = fail(st, "position", e);
		goto out;
	}
	struct sb_store_event ev = {
	    .time_ms = 1, .kind = "order", .symbol = "BTCUSDT", .detail = "{\"bench\":1}"};

	uint64_t t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct sb_store_order *o = &orders[i];
		snprintf(o->client_order_id, sizeof o->client_order_id, "sb-bench-%d", i);
		snprintf(o->symbol, sizeof o->symbol, "BTCUSDT");
		o->position_id = pos.id;
		o->type = SB_ORDER_LIMIT;
		o->tif = SB_TIF_GTC;
		o->price = SB_DEC_C(25000, 12000000);
		o->orig_qty = SB_DEC_C(0, 400000);
		o->status = SB_ORDER_PENDING_NEW;
		o->created_ms = o->updated_ms = 1764000000000 + i;
		uint64_t s = now_ns();
		e = sb_store_order_insert_intent(st, o, NULL, &ev);
		lat[i] = now_ns() - s;
		checkpoint_step(st);
		if (e != SB_OK) {
			rc = fail(st, "intent", e);
			goto out;
		}
	}
	report("intent", lat, n, now_ns() - t0);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct sb_store_order *o = &orders[i];
		o->status = SB_ORDER_NEW;
		o->exchange_order_id = 1000000 + i;
		uint64_t s = now_ns();
		e = sb_store_order_update(st, o, NULL, &ev);
		lat[i] = now_ns() - s;
		checkpoint_step(st);
		if (e != SB_OK) {
			rc = fail(st, "update", e);
			goto out;
		}
	}
	report("update", lat, n, now_ns() - t0);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct sb_store_order *o = &orders[i];
		struct sb_store_fill f = {.symbol = "BTCUSDT",
		                          .trade_id = 5000000 + i,
		                          .price = o->price,
		                          .qty = o->orig_qty,
		                          .quote_qty = SB_DEC_C(10000, 4800000),
		                          .commission = SB_DEC_C(0, 400),
		                          .commission_asset = "BTC",
		                          .time_ms = 1764000000000 + i};
		memcpy(f.client_order_id, o->client_order_id, sizeof f.client_order_id);
		o->executed_qty = o->orig_qty;
		o->cumm_quote_qty = f.quote_qty;
		o->status = SB_ORDER_FILLED;
		pos.buy_qty += f.qty;
		pos.cost_quote += f.quote_qty;
		pos.base_received += f.qty - f.commission;
		pos.state = SB_POSITION_HOLDING;
		snprintf(pos.commissions[0].asset, sizeof pos.commissions[0].asset, "BTC");
		pos.commissions[0].amount += f.commission;
		uint64_t s = now_ns();
		e = sb_store_fill_apply(st, &f, o, &pos, &ev);
		lat[i] = now_ns() - s;
		checkpoint_step(st);
		if (e != SB_OK) {
			rc = fail(st, "fill", e);
			goto out;
		}
	}
	report("apply-fill", lat, n, now_ns() - t0);

	struct sb_store_order *open = NULL;
	size_t nopen = 0;
	uint64_t s = now_ns();
	e = sb_store_order_list(st, NULL, &open, &nopen);
	printf("%-12s %zu orders read in %.2f ms\n", "list", nopen, (double)(now_ns() - s) / 1e6);
	free(open);
	rc = e == SB_OK ? 0 : fail(st, "list", e);
	if (caller)
		printf("%-12s %u between the commits, the longest %.1f ms\n", "checkpoints", ckpt.done,
		       (double)ckpt.worst_ns / 1e6);
out:
	sb_store_close(st);
	free(lat);
	free(orders);
	const char *suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char p[340];
		snprintf(p, sizeof p, "%s%s", path, suffixes[i]);
		unlink(p);
	}
	rmdir(dir);
	return rc;
}

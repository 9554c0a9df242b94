/*
 * bench_sim_state.c - the cost of spotsim's state file (--state): one save (serialise, write FILE.tmp,
 * fsync, rename, fsync the directory) for a small and a large paper account, which is what every order
 * request and every fill of a user order pays before its answer leaves. Prints milliseconds per save and
 * the file's size; not a test. Usage: bench_sim_state [DIR] (default /tmp; the disk that is measured).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "sim/exchange.h"
#include "sim/options.h"
#include "sim/state.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A LIMIT GTC buy of 0.001 BTC at price (whole dollars) for the first account. */
static void buy(struct sim_exchange *ex, struct sim_symbol *s, long price, long n)
{
	char cid[40];
	snprintf(cid, sizeof cid, "bench-%ld", n);
	struct sim_book_req req = {.account = ex->accounts[0].id,
	                           .side = SB_SIDE_BUY,
	                           .type = SB_ORDER_LIMIT,
	                           .tif = SB_TIF_GTC,
	                           .price = SB_DEC_C(price, 0),
	                           .qty = SB_DEC_C(0, 100000),
	                           .client_id = cid,
	                           .client_id_len = strlen(cid),
	                           .time = sim_exchange_now(ex)};
	sim_book_result_clear(&ex->scratch);
	if (sim_ledger_place(ex->ledger, s->book, &req, 0, &ex->scratch) != SB_OK) {
		fprintf(stderr, "order %ld refused\n", n);
		exit(1);
	}
	sim_exchange_settled(ex, s, &ex->scratch);
}

/* Fills `closed` orders (each a trade) and leaves `open` ones resting, then times `rounds` saves. */
static void run(const char *dir, long open, long closed, int rounds)
{
	static struct sim_options o;
	char path[4200];
	snprintf(path, sizeof path, "%s/bench-state.json", dir);
	unlink(path);
	char *argv[] = {"bench",     "--account", "b:s:USDT=100000000,BTC=1000",
	                "--symbols", "BTCUSDT",   "--state",
	                path,        NULL};
	uv_loop_t loop;
	uv_loop_init(&loop);
	struct sim_exchange *ex = NULL;
	if (sim_options_parse(7, argv, &o, stderr) != SB_OK ||
	    sim_exchange_new(&loop, &o, NULL, stderr, &ex)) {
		fprintf(stderr, "cannot build the exchange\n");
		exit(1);
	}
	struct sim_symbol *s = sim_exchange_symbol(ex, "BTCUSDT", 7);
	for (long i = 0; i < closed; i++)
		buy(ex, s, 59000, i);
	sim_exchange_set_price(ex, s, SB_DEC_C(58000, 0), SB_DEC_C(1000, 0));
	for (long i = 0; i < open; i++)
		buy(ex, s, 30000 + i % 1000, closed + i);
	char why[4400];
	double t0 = now_s();
	for (int r = 0; r < rounds; r++)
		if (sim_state_save(ex, path, why, sizeof why) != SB_OK) {
			fprintf(stderr, "%s\n", why);
			exit(1);
		}
	double secs = now_s() - t0;
	struct stat st;
	stat(path, &st);
	printf("save with %5ld open orders, %5ld closed and traded: %8.3f ms per save, %8ld bytes\n", open,
	       closed, secs * 1000 / rounds, (long)st.st_size);
	sim_exchange_stop(ex);
	uv_run(&loop, UV_RUN_DEFAULT);
	sim_exchange_free(ex);
	uv_loop_close(&loop);
	unlink(path);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	run(dir, 0, 0, 50);
	run(dir, 10, 10, 50);
	run(dir, 100, 100, 50);
	run(dir, 1000, 1000, 20);
	return 0;
}

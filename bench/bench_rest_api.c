/*
 * bench_rest_api - signed order placements and cancels through the Binance REST client against the real
 * spotsim on loopback: pairs per second and the round trip of each call (submit to typed callback), p50
 * and p99 in microseconds. One pair at a time, so the figures are latencies, not a pipelining trick.
 * spotsim allows 100 orders per 10 s per account, so the pairs rotate over 16 accounts (its maximum), each
 * with its own client (and keep-alive connection). usage: bench_rest_api [pairs (default 1400)] [accounts
 * (default 16)]
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spotbot/binance_rest.h"
#include "spotbot/clock.h"

#define MAX_ACCOUNTS 16 /* spotsim takes at most 16 --account flags */

struct bench {
	uv_loop_t loop;                           /* the client loop */
	struct sb_bn_rest *clients[MAX_ACCOUNTS]; /* one per account */
	long accounts;                            /* clients in use */
	long pairs;                               /* pairs to run */
	long done;                                /* pairs finished */
	long failures;                            /* calls that did not succeed */
	uint64_t t0;                              /* submit time of the call in flight */
	uint64_t *place_us;                       /* round trips of placements */
	uint64_t *cancel_us;                      /* round trips of cancels */
	char coid[40];                            /* client id of the order in flight */
	bool finished;                            /* all pairs done */
};

static struct bench B;

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (long)v;
	return true;
}

/* Starts spotsim with the bench accounts; returns its pid and port, or -1. */
static pid_t spawn_sim(const char *prog, long accounts, int *port)
{
	static char specs[MAX_ACCOUNTS][96];
	const char *argv[2 * MAX_ACCOUNTS + 8];
	int n = 0;
	argv[n++] = prog;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--symbols";
	argv[n++] = "BTCUSDT";
	for (long i = 0; i < accounts; i++) {
		snprintf(specs[i], sizeof specs[i], "bk%ld:bs%ld-secret:USDT=1000000,BTC=10", i, i);
		argv[n++] = "--account";
		argv[n++] = specs[i];
	}
	argv[n] = NULL;
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	char buf[4096];
	size_t used = 0;
	*port = 0;
	while (used + 1 < sizeof buf) {
		ssize_t r = read(fds[0], buf + used, sizeof buf - 1 - used);
		if (r <= 0)
			break;
		used += (size_t)r;
		buf[used] = '\0';
		const char *p = strstr(buf, "listening on ");
		const char *colon = p ? strchr(p + 13, ':') : NULL;
		long v;
		char digits[8] = "";
		if (colon && sscanf(colon + 1, "%7[0-9]", digits) == 1 && parse_long(digits, 1, 65535, &v)) {
			*port = (int)v;
			break;
		}
	}
	close(fds[0]);
	if (!*port) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static void next_pair(void);

static void on_cancel(void *u, const struct sb_bn_rest_result *res, struct sb_bn_order *o)
{
	(void)u;
	(void)o;
	B.cancel_us[B.done] = (sb_clock_mono_ns() - B.t0) / 1000u;
	if (res->err)
		B.failures++;
	B.done++;
	next_pair();
}

static void on_place(void *u, const struct sb_bn_rest_result *res, struct sb_bn_order *o)
{
	(void)u;
	B.place_us[B.done] = (sb_clock_mono_ns() - B.t0) / 1000u;
	struct sb_bn_rest *c = B.clients[B.done % B.accounts];
	B.t0 = sb_clock_mono_ns();
	if (res->err || !o || sb_bn_rest_order_cancel(c, "BTCUSDT", o->order_id, NULL, on_cancel, NULL)) {
		fprintf(stderr, "place failed: %s %lld %s\n", sb_errname(res->err), (long long)res->api.code,
		        res->api.msg);
		B.failures++;
		B.cancel_us[B.done] = 0;
		B.done++;
		next_pair();
	}
}

static void next_pair(void)
{
	if (B.done == B.pairs) {
		B.finished = true;
		return;
	}
	snprintf(B.coid, sizeof B.coid, "bench-%ld", B.done);
	struct sb_bn_new_order o = {.symbol = "BTCUSDT",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_LIMIT,
	                            .quantity = SB_DEC_C(0, 100000), /* 0.001 */
	                            .price = SB_DEC_C(20000, 0),     /* far under the market: it rests */
	                            .client_order_id = B.coid,
	                            .resp_type = SB_BN_RESP_RESULT};
	B.t0 = sb_clock_mono_ns();
	if (sb_bn_rest_order_place(B.clients[B.done % B.accounts], &o, on_place, NULL)) {
		fprintf(stderr, "place refused\n");
		B.finished = true;
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void report(const char *what, uint64_t *v, long n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_u64);
	printf("%-8s round trip: p50 %llu us, p99 %llu us, max %llu us\n", what, (unsigned long long)v[n / 2],
	       (unsigned long long)v[(n * 99) / 100], (unsigned long long)v[n - 1]);
}

int main(int argc, char **argv)
{
	B.pairs = 1400;
	B.accounts = 16;
	if ((argc > 1 && !parse_long(argv[1], 1, 1000000, &B.pairs)) ||
	    (argc > 2 && !parse_long(argv[2], 1, MAX_ACCOUNTS, &B.accounts))) {
		fprintf(stderr, "usage: bench_rest_api [pairs] [accounts <= %d]\n", MAX_ACCOUNTS);
		return 2;
	}
	char prog[4096];
	const char *dir = getenv("SB_BUILD_DIR");
	if (dir)
		snprintf(prog, sizeof prog, "%s/spotsim", dir);
	else {
		snprintf(prog, sizeof prog, "%s", argv[0]);
		char *slash = strrchr(prog, '/');
		snprintf(slash ? slash + 1 : prog, sizeof prog - (size_t)(slash ? slash + 1 - prog : 0),
		         "spotsim");
	}
	int port;
	pid_t sim = spawn_sim(prog, B.accounts, &port);
	if (sim < 0) {
		fprintf(stderr, "bench_rest_api: cannot start %s\n", prog);
		return 1;
	}
	uv_loop_init(&B.loop);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
	for (long i = 0; i < B.accounts; i++) {
		char key[32], secret[48];
		snprintf(key, sizeof key, "bk%ld", i);
		snprintf(secret, sizeof secret, "bs%ld-secret", i);
		struct sb_bn_rest_opts o = {.base_url = url, .api_key = key, .hmac_secret = secret};
		if (sb_bn_rest_new(&B.loop, &o, &B.clients[i])) {
			fprintf(stderr, "bench_rest_api: client %ld\n", i);
			return 1;
		}
	}
	B.place_us = calloc((size_t)B.pairs, sizeof *B.place_us);
	B.cancel_us = calloc((size_t)B.pairs, sizeof *B.cancel_us);
	/* Warm every connection first, so the figures are keep-alive round trips. */
	long pairs = B.pairs;
	B.pairs = B.accounts;
	next_pair();
	while (!B.finished)
		uv_run(&B.loop, UV_RUN_ONCE);
	B.pairs = pairs;
	B.done = 0;
	B.finished = false;
	long warm_failures = B.failures;
	B.failures = 0;
	uint64_t start = sb_clock_mono_ns();
	next_pair();
	while (!B.finished)
		uv_run(&B.loop, UV_RUN_ONCE);
	double secs = (double)(sb_clock_mono_ns() - start) / 1e9;
	printf("bench_rest_api: %ld signed place+cancel pairs over %ld accounts in %.3f s: %.0f pairs/s "
	       "(%.0f calls/s), %ld failures (%ld in warm-up)\n",
	       B.done, B.accounts, secs, (double)B.done / secs, 2.0 * (double)B.done / secs, B.failures,
	       warm_failures);
	report("place", B.place_us, B.done);
	report("cancel", B.cancel_us, B.done);
	for (long i = 0; i < B.accounts; i++)
		sb_bn_rest_free(B.clients[i]);
	uv_run(&B.loop, UV_RUN_DEFAULT);
	uv_loop_close(&B.loop);
	free(B.place_us);
	free(B.cancel_us);
	kill(sim, SIGTERM);
	waitpid(sim, NULL, 0);
	return B.failures ? 1 : 0;
}

/*
 * bench_spotsim - the real spotsim program on loopback, as a client sees it. It spawns build/spotsim
 * (SB_BUILD_DIR or "build") on a free port and measures:
 *   fan-out: N WebSocket clients (the project's sb_ws on one uv loop), each on a combined stream of
 *            trade + bookTicker for two symbols, at a high --speed; messages received per second in
 *            total over a fixed window after every client has opened;
 *   REST:    signed LIMIT orders placed and cancelled over one keep-alive connection (libcurl), pairs
 *            per second and p50/p99 latency of each call. spotsim enforces Binance's 100 orders per
 *            10 s per account, so the run rotates over 16 accounts and places at most 100 orders each
 *            (1600 pairs): a burst that measures the server, not its rate limiter.
 * usage: bench_spotsim [clients=100] [seconds=5] [pairs=1600] [speed=50]
 */
#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spotbot/clock.h"
#include "spotbot/sign.h"
#include "spotbot/ws_client.h"

#define ACCOUNTS      16  /* spotsim's --account maximum */
#define ORDERS_PER_10 100 /* Binance's (and spotsim's) orders per 10 s per account */
#define MAX_CLIENTS   1000

static long arg_or(int argc, char **argv, int i, long dflt, long lo, long hi)
{
	if (argc <= i)
		return dflt;
	char *end = NULL;
	errno = 0;
	long long v = strtoll(argv[i], &end, 10);
	if (errno || end == argv[i] || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_spotsim: argument %d must be an integer from %ld to %ld\n", i, lo, hi);
		exit(2);
	}
	return (long)v;
}

/* ---- spotsim as a child process ------------------------------------------------------------------- */

static pid_t sim_pid;

static int spawn_spotsim(long speed)
{
	const char *dir = getenv("SB_BUILD_DIR");
	char path[1024], speed_s[32], accounts[ACCOUNTS][96];
	const char *argv[8 + 2 * ACCOUNTS];
	size_t n = 0;
	snprintf(path, sizeof path, "%s/spotsim", dir && *dir ? dir : "build");
	snprintf(speed_s, sizeof speed_s, "%ld", speed);
	argv[n++] = path;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--speed";
	argv[n++] = speed_s;
	for (int i = 0; i < ACCOUNTS; i++) {
		snprintf(accounts[i], sizeof accounts[i], "bench-%d:secret-%d:USDT=100000000,BTC=100", i, i);
		argv[n++] = "--account";
		argv[n++] = accounts[i];
	}
	argv[n] = NULL;
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	sim_pid = fork();
	if (sim_pid < 0)
		return -1;
	if (sim_pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(path, (char *const *)argv);
		fprintf(stderr, "bench_spotsim: cannot run %s: %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	char line[256];
	size_t len = 0;
	int port = -1;
	while (len < sizeof line - 1) {
		struct pollfd p = {fds[0], POLLIN, 0};
		if (poll(&p, 1, 10000) <= 0 || read(fds[0], line + len, 1) != 1)
			break;
		if (line[len] == '\n') {
			line[len] = '\0';
			const char *colon = strrchr(line, ':');
			if (strncmp(line, "listening on ", 13) == 0 && colon)
				port = (int)strtoll(colon + 1, NULL, 10);
			break;
		}
		len++;
	}
	close(fds[0]);
	return port;
}

static void stop_spotsim(void)
{
	if (sim_pid > 0) {
		kill(sim_pid, SIGTERM);
		waitpid(sim_pid, NULL, 0);
		sim_pid = 0;
	}
}

/* ---- fan-out -------------------------------------------------------------------------------------- */

struct fanout {
	uv_loop_t loop;                /* the clients' loop */
	struct sb_ws *ws[MAX_CLIENTS]; /* the clients */
	int opens, closes;             /* callbacks so far */
	bool counting;                 /* inside the measured window */
	uint64_t msgs, bytes;          /* received inside the window */
	bool done;                     /* a timer fired */
};

static void fo_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)ws;
	(void)conn;
	(void)rollover;
	((struct fanout *)user)->opens++;
}

static void fo_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)ws;
	(void)conn;
	(void)data;
	struct fanout *f = user;
	if (f->counting) {
		f->msgs++;
		f->bytes += len;
	}
}

static void fo_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)ws;
	struct fanout *f = user;
	f->closes++;
	fprintf(stderr, "bench_spotsim: a client closed: %s %u %s\n", sb_ws_close_reason_name(info->reason),
	        info->code, info->text);
}

static void on_timer(uv_timer_t *t)
{
	((struct fanout *)t->data)->done = true;
}

/* Runs the loop until f->done (set by a timer after ms). */
static void run_for(struct fanout *f, uint64_t ms)
{
	uv_timer_t t;
	uv_timer_init(&f->loop, &t);
	t.data = f;
	f->done = false;
	uv_timer_start(&t, on_timer, ms, 0);
	while (!f->done)
		uv_run(&f->loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int bench_fanout(int port, int clients, int seconds)
{
	static struct fanout f;
	struct sb_ws_ctx *ctx = NULL;
	uv_loop_init(&f.loop);
	if (sb_ws_ctx_new(&f.loop, &ctx) != SB_OK)
		return 1;
	char url[256];
	snprintf(url, sizeof url,
	         "ws://127.0.0.1:%d/stream?streams=btcusdt@trade/btcusdt@bookTicker/ethusdt@trade/"
	         "ethusdt@bookTicker",
	         port);
	static const struct sb_ws_ops ops = {fo_open, fo_message, fo_close};
	for (int i = 0; i < clients; i++) {
		struct sb_ws_opts o = {.url = url, .no_reconnect = true};
		if (sb_ws_new(ctx, &o, &ops, &f, &f.ws[i]) != SB_OK)
			return 1;
	}
	uint64_t t0 = sb_clock_mono_ms();
	while (f.opens + f.closes < clients && sb_clock_mono_ms() - t0 < 20000)
		run_for(&f, 50);
	if (f.opens < clients) {
		fprintf(stderr, "bench_spotsim: only %d of %d clients opened\n", f.opens, clients);
		return 1;
	}
	run_for(&f, 500); /* warm-up */
	f.counting = true;
	uint64_t start_ns = sb_clock_mono_ns();
	run_for(&f, (uint64_t)seconds * 1000u);
	double secs = (double)(sb_clock_mono_ns() - start_ns) / 1e9;
	f.counting = false;
	printf("fan-out: %d clients x 4 streams, %.1f s: %llu messages, %.0f msg/s total, %.0f msg/s per "
	       "client, %.1f MB/s, %d closed early\n",
	       clients, secs, (unsigned long long)f.msgs, (double)f.msgs / secs,
	       (double)f.msgs / secs / clients, (double)f.bytes / secs / 1e6, f.closes);
	for (int i = 0; i < clients; i++)
		sb_ws_free(f.ws[i]);
	sb_ws_ctx_free(ctx);
	uv_loop_close(&f.loop);
	return f.closes ? 1 : 0;
}

/* ---- REST orders ---------------------------------------------------------------------------------- */

struct body {
	char data[8192]; /* response body, truncated */
	size_t len;      /* bytes in data */
};

static size_t on_body(char *d, size_t s, size_t n, void *u)
{
	struct body *b = u;
	size_t len = s * n, room = sizeof b->data - 1 - b->len;
	size_t take = len < room ? len : room;
	memcpy(b->data + b->len, d, take);
	b->len += take;
	b->data[b->len] = '\0';
	return len;
}

/* One signed request on the shared handle; returns the HTTP status, the latency in *us. */
static long signed_call(CURL *c, int port, const char *method, const char *path, const char *params,
                        int account, struct body *b, double *us)
{
	char key[32], secret[32], payload[1024], sig[SB_SIGN_MAX + 1], url[2048], hdr[64];
	snprintf(key, sizeof key, "bench-%d", account);
	snprintf(secret, sizeof secret, "secret-%d", account);
	snprintf(payload, sizeof payload, "%s&timestamp=%lld", params, (long long)sb_clock_wall_ms());
	struct sb_signer *s = NULL;
	size_t slen = 0;
	if (sb_signer_new_hmac(secret, strlen(secret), &s) != SB_OK)
		return 0;
	sb_signer_sign(s, payload, strlen(payload), sig, sizeof sig, &slen);
	sb_signer_free(s);
	sig[slen] = '\0';
	bool post = strcmp(method, "POST") == 0;
	char form[1200];
	if (post) {
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
		snprintf(form, sizeof form, "%s&signature=%s", payload, sig);
	} else {
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s?%s&signature=%s", port, path, payload, sig);
	}
	snprintf(hdr, sizeof hdr, "X-MBX-APIKEY: %s", key);
	struct curl_slist *h = curl_slist_append(NULL, hdr);
	b->len = 0;
	b->data[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, post ? form : NULL);
	curl_easy_setopt(c, CURLOPT_HTTPGET, post ? 0L : 1L);
	if (!post)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	uint64_t t0 = sb_clock_mono_ns();
	CURLcode rc = curl_easy_perform(c);
	*us = (double)(sb_clock_mono_ns() - t0) / 1e3;
	curl_slist_free_all(h);
	long status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t i = (size_t)(p * (double)(n - 1) + 0.5);
	return v[i];
}

static int bench_rest(int port, int pairs)
{
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	static struct body b;
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	double *place = calloc((size_t)pairs, sizeof *place), *cancel = calloc((size_t)pairs, sizeof *cancel);
	size_t np = 0, nc = 0;
	int errors = 0;
	double us;
	/* 10% under the bid: every order rests (within PERCENT_PRICE_BY_SIDE) and is cancelled at once. */
	char url[128], price[32];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v3/ticker/bookTicker?symbol=BTCUSDT", port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	b.len = 0;
	const char *bid = curl_easy_perform(c) == CURLE_OK ? strstr(b.data, "\"bidPrice\":\"") : NULL;
	if (!bid) {
		fprintf(stderr, "bench_spotsim: no book ticker: %s\n", b.data);
		return 1;
	}
	snprintf(price, sizeof price, "%.2f", strtod(bid + 12, NULL) * 0.9);
	uint64_t t0 = sb_clock_mono_ns();
	for (int i = 0; i < pairs; i++) {
		int account = i % ACCOUNTS;
		char params[256];
		snprintf(params, sizeof params,
		         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00100&price=%s"
		         "&newOrderRespType=ACK",
		         price);
		long st = signed_call(c, port, "POST", "/api/v3/order", params, account, &b, &us);
		const char *id = strstr(b.data, "\"orderId\":");
		if (st != 200 || !id) {
			if (errors++ < 3)
				fprintf(stderr, "bench_spotsim: place: %ld %s\n", st, b.data);
			continue;
		}
		place[np++] = us;
		long long oid = strtoll(id + 10, NULL, 10);
		snprintf(params, sizeof params, "symbol=BTCUSDT&orderId=%lld", oid);
		st = signed_call(c, port, "DELETE", "/api/v3/order", params, account, &b, &us);
		if (st != 200) {
			if (errors++ < 3)
				fprintf(stderr, "bench_spotsim: cancel: %ld %s\n", st, b.data);
			continue;
		}
		cancel[nc++] = us;
	}
	double secs = (double)(sb_clock_mono_ns() - t0) / 1e9;
	qsort(place, np, sizeof *place, cmp_double);
	qsort(cancel, nc, sizeof *cancel, cmp_double);
	printf("REST: %d place+cancel pairs over one keep-alive connection in %.2f s: %.0f pairs/s "
	       "(%.0f requests/s), %d errors\n",
	       pairs, secs, (double)nc / secs, (double)(np + nc) / secs, errors);
	printf("REST: place  p50 %.0f us  p99 %.0f us\n", pct(place, np, 0.50), pct(place, np, 0.99));
	printf("REST: cancel p50 %.0f us  p99 %.0f us\n", pct(cancel, nc, 0.50), pct(cancel, nc, 0.99));
	free(place);
	free(cancel);
	curl_easy_cleanup(c);
	return errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	int clients = (int)arg_or(argc, argv, 1, 100, 1, MAX_CLIENTS);
	int seconds = (int)arg_or(argc, argv, 2, 5, 1, 600);
	int pairs = (int)arg_or(argc, argv, 3, ACCOUNTS * ORDERS_PER_10, 1, ACCOUNTS * ORDERS_PER_10);
	long speed = arg_or(argc, argv, 4, 50, 1, 10000);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	int port = spawn_spotsim(speed);
	if (port <= 0) {
		fprintf(stderr, "bench_spotsim: spotsim did not start\n");
		stop_spotsim();
		return 1;
	}
	printf("spotsim on port %d, --speed %ld\n", port, speed);
	fflush(stdout);
	int rc = bench_fanout(port, clients, seconds);
	fflush(stdout);
	rc |= bench_rest(port, pairs);
	stop_spotsim();
	curl_global_cleanup();
	return rc;
}

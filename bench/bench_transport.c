/*
 * bench_transport - the exchange transports on loopback against spotsim's server layer in this process
 * (its own loop in a thread, as the exchange is another process in real life):
 *   REST: sequential keep-alive GETs through sb_http, latency p50/p99 in microseconds;
 *   WS:   bookTicker-sized text frames server -> client through sb_ws, messages per second received.
 * The server sends WS frames in windows the client acknowledges, so its bounded queue never overflows.
 * usage: bench_transport [rest_requests] [ws_messages]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/server.h"
#include "spotbot/http_client.h"
#include "spotbot/ws_client.h"

#define WINDOW 8192 /* frames the server sends ahead of the client's acknowledgement */

static const char TICK[] =
    "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
    "\"a\":\"25.36520000\",\"A\":\"40.66000000\",\"pad\":\"xxxxxxxxxxxxxxxxxxxxxxxx\"}";

struct server {
	uv_loop_t loop;         /* server loop */
	uv_async_t stop;        /* ends the thread */
	struct sim_server *srv; /* spotsim's server layer */
	pthread_t thread;       /* runs loop */
	long left;              /* frames still to send in the flood */
};

static struct server S;

static void http(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	(void)ctx;
	(void)req;
	sim_http_resp_text(resp, 200, "{}");
	sim_http_resp_header(resp, "X-MBX-USED-WEIGHT-1M", "1");
}

static bool ws_open(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	(void)ctx;
	(void)conn;
	(void)path;
	return true;
}

static void send_some(struct sim_ws_conn *conn, long n)
{
	for (long i = 0; i < n && S.left > 0; i++, S.left--)
		sim_ws_send(conn, TICK, sizeof TICK - 1);
}

static void ws_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	(void)ctx;
	if (len > 6 && memcmp(data, "flood:", 6) == 0) {
		char num[32];
		size_t nl = len - 6 < sizeof num - 1 ? len - 6 : sizeof num - 1;
		memcpy(num, data + 6, nl);
		num[nl] = '\0';
		S.left = (long)strtoll(num, NULL, 10);
		send_some(conn, 2 * WINDOW);
	} else if (len == 4 && memcmp(data, "more", 4) == 0) {
		send_some(conn, WINDOW);
	}
}

static void ws_close(void *ctx, struct sim_ws_conn *conn)
{
	(void)ctx;
	(void)conn;
}

static void on_stop(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
	uv_stop(a->loop);
}

static void *server_run(void *arg)
{
	(void)arg;
	uv_run(&S.loop, UV_RUN_DEFAULT);
	sim_server_free(S.srv);
	uv_loop_close(&S.loop);
	return NULL;
}

/* ---- client ----------------------------------------------------------------------------------- */

struct client {
	uv_loop_t loop;       /* client loop */
	struct sb_http *http; /* REST client */
	char url[128];        /* REST URL */
	int nreq, done;       /* requests wanted and completed */
	uint64_t *lat;        /* their latencies */
	int errors;           /* failed requests */
	long nmsg, got;       /* WS messages wanted and received */
	uint64_t t0, t1;      /* first and last message, ns */
};

static struct client C;

static void next_request(void);

static void on_resp(void *user, const struct sb_http_resp *r)
{
	(void)user;
	if (r->err || r->status != 200)
		C.errors++;
	C.lat[C.done++] = r->latency_us;
	if (C.done < C.nreq)
		next_request();
}

static void next_request(void)
{
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = C.url};
	req.headers[req.nheaders++] = "X-MBX-APIKEY: bench-key";
	if (sb_http_request(C.http, &req, on_resp, NULL, NULL) != SB_OK) {
		fprintf(stderr, "request refused\n");
		exit(1);
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void ws_on_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)user;
	(void)conn;
	(void)rollover;
	char buf[48];
	int n = snprintf(buf, sizeof buf, "flood:%ld", C.nmsg);
	sb_ws_send(ws, buf, (size_t)n);
}

static void ws_on_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)user;
	(void)conn;
	(void)data;
	(void)len;
	if (C.got++ == 0)
		C.t0 = uv_hrtime();
	if (C.got % WINDOW == 0)
		sb_ws_send(ws, "more", 4);
	if (C.got == C.nmsg) {
		C.t1 = uv_hrtime();
		sb_ws_close(ws, 1000, "done");
	}
}

static void ws_on_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)user;
	(void)info;
	sb_ws_free(ws);
}

int main(int argc, char **argv)
{
	long long nreq = argc > 1 ? strtoll(argv[1], NULL, 10) : 5000;
	long long nmsg = argc > 2 ? strtoll(argv[2], NULL, 10) : 500000;
	if (nreq <= 0 || nreq > 10000000 || nmsg <= 0 || nmsg > 1000000000) {
		fprintf(stderr, "usage: bench_transport [rest_requests] [ws_messages]\n");
		return 2;
	}
	C.nreq = (int)nreq;
	C.nmsg = (long)nmsg;

	uv_loop_init(&S.loop);
	uv_async_init(&S.loop, &S.stop, on_stop);
	struct sim_server_opts so = {.host = "127.0.0.1",
	                             .http = http,
	                             .ws = {ws_open, ws_message, ws_close},
	                             .ping_interval_s = 3600,
	                             .pong_timeout_s = 7200};
	if (sim_server_new(&S.loop, &so, &S.srv) != SB_OK)
		return 1;
	int port = sim_server_port(S.srv);
	pthread_create(&S.thread, NULL, server_run, NULL);

	uv_loop_init(&C.loop);
	snprintf(C.url, sizeof C.url, "http://127.0.0.1:%d/api/v3/ping", port);
	C.lat = calloc((size_t)C.nreq, sizeof *C.lat);
	sb_http_new(&C.loop, NULL, &C.http);
	next_request();
	while (C.done < C.nreq)
		uv_run(&C.loop, UV_RUN_ONCE);
	struct sb_http_stats hs;
	sb_http_stats(C.http, &hs);
	sb_http_free(C.http);
	qsort(C.lat, (size_t)C.nreq, sizeof *C.lat, cmp_u64);
	uint64_t sum = 0;
	for (int i = 0; i < C.nreq; i++)
		sum += C.lat[i];
	printf(
	    "rest: %d keep-alive GETs, p50 %llu us, p99 %llu us, avg %.1f us, connections %llu, errors %d\n",
	    C.nreq, (unsigned long long)C.lat[C.nreq / 2], (unsigned long long)C.lat[C.nreq * 99 / 100],
	    (double)sum / C.nreq, (unsigned long long)hs.connections, C.errors);

	struct sb_ws_ctx *ctx;
	struct sb_ws *ws;
	sb_ws_ctx_new(&C.loop, &ctx);
	char url[128];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/bnbusdt@bookTicker", port);
	struct sb_ws_opts wo = {.url = url, .no_reconnect = true};
	struct sb_ws_ops ops = {ws_on_open, ws_on_message, ws_on_close};
	sb_ws_new(ctx, &wo, &ops, NULL, &ws);
	while (C.got < C.nmsg)
		uv_run(&C.loop, UV_RUN_ONCE);
	double secs = (double)(C.t1 - C.t0) / 1e9;
	printf("ws: %ld messages of %zu bytes in %.3f s = %.0f msgs/s\n", C.got, sizeof TICK - 1, secs,
	       (double)(C.got - 1) / secs);
	sb_ws_ctx_free(ctx);
	uv_loop_close(&C.loop);
	free(C.lat);
	uv_async_send(&S.stop);
	pthread_join(S.thread, NULL);
	return 0;
}

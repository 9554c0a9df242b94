/*
 * The REST transport over real loopback sockets: spotsim's server layer and the client share one libuv
 * loop in this process, and each test drives the loop until the event it waits for has happened, with a
 * deadline timer that fails the test instead of hanging. A bare uv TCP listener that accepts and never
 * answers stands in for a server that is too slow.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbtest_loop.h"
#include "sim/server.h"
#include "spotbot/http_client.h"

#define DEADLINE_MS 5000

struct result {
	bool done;                    /* the callback ran */
	int calls;                    /* how often it ran */
	sb_err err;                   /* resp->err */
	long status;                  /* resp->status */
	bool sent;                    /* resp->sent */
	bool new_connection;          /* resp->new_connection */
	uint64_t latency_us;          /* resp->latency_us */
	struct sb_http_limits limits; /* resp->limits */
	char body[200000];            /* copy of resp->body */
	size_t body_len;              /* resp->body_len */
};

struct fixture {
	uv_loop_t loop;           /* shared by server and client */
	struct sim_server *srv;   /* spotsim's server layer */
	struct sb_http *http;     /* client under test */
	struct sbt_silent silent; /* accepts and never answers */
};

static struct fixture fx;

static void handler(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	(void)ctx;
	char buf[1024];
	if (strcmp(req->path, "/limits") == 0) {
		sim_http_resp_text(resp, 429, "{\"code\":-1003,\"msg\":\"Too many requests.\"}");
		sim_http_resp_header(resp, "X-MBX-USED-WEIGHT-1M", "6001");
		sim_http_resp_header(resp, "x-mbx-used-weight-1s", "12");
		sim_http_resp_header(resp, "X-MBX-ORDER-COUNT-10S", "3");
		sim_http_resp_header(resp, "X-MBX-ORDER-COUNT-1D", "250");
		sim_http_resp_header(resp, "Retry-After", "42");
		return;
	}
	if (strcmp(req->path, "/big") == 0) {
		const char *n = sim_http_arg(req, "n");
		size_t len = n ? (size_t)strtoull(n, NULL, 10) : 0;
		char *big = malloc(len + 1);
		for (size_t i = 0; i < len; i++)
			big[i] = (char)('a' + i % 26);
		big[len] = '\0';
		sim_http_resp_text(resp, 200, big);
		free(big);
		return;
	}
	snprintf(buf, sizeof buf, "%s %s key=%s a=%s ct=%s body=%s", sim_http_method_name(req->method),
	         req->path, req->api_key, sim_http_arg(req, "a") ? sim_http_arg(req, "a") : "-",
	         req->content_type, req->body ? req->body : "");
	sim_http_resp_text(resp, 200, buf);
	sim_http_resp_header(resp, "X-MBX-USED-WEIGHT-1M", "7");
}

static void setup(void)
{
	memset(&fx, 0, sizeof fx);
	cr_assert_eq(uv_loop_init(&fx.loop), 0);
	cr_assert_eq(sbt_http_server_new(&fx.loop, handler, &fx, &fx.srv), SB_OK);
	cr_assert(sbt_silent_start(&fx.silent, &fx.loop));
	struct sb_http_opts ho = {.timeout_ms = 3000};
	cr_assert_eq(sb_http_new(&fx.loop, &ho, &fx.http), SB_OK);
}

static void teardown(void)
{
	sb_http_free(fx.http);
	sbt_silent_close(&fx.silent);
	sim_server_free(fx.srv); /* runs the loop until every handle has closed */
	cr_assert_eq(uv_loop_close(&fx.loop), 0, "a uv handle was left open");
}

TestSuite(http_client, .init = setup, .fini = teardown);

/* Runs the loop until *flag is set; fails the test if that takes longer than ms. */
static void run_until(const bool *flag, unsigned ms)
{
	SBT_RUN_UNTIL(&fx.loop, *flag, ms);
}

static void on_done(void *user, const struct sb_http_resp *resp)
{
	struct result *r = user;
	r->done = true;
	r->calls++;
	r->err = resp->err;
	r->status = resp->status;
	r->sent = resp->sent;
	r->new_connection = resp->new_connection;
	r->latency_us = resp->latency_us;
	r->limits = resp->limits;
	r->body_len = resp->body_len;
	cr_assert_eq(strlen(resp->body), resp->body_len);
	if (resp->body_len < sizeof r->body)
		memcpy(r->body, resp->body, resp->body_len + 1);
}

static void url_for(char *buf, size_t cap, const char *path)
{
	snprintf(buf, cap, "http://127.0.0.1:%d%s", sim_server_port(fx.srv), path);
}

static struct result *do_request(enum sb_http_method m, const char *path, const char *body)
{
	static struct result r;
	char url[256];
	memset(&r, 0, sizeof r);
	url_for(url, sizeof url, path);
	struct sb_http_req req = {.method = m, .url = url, .body = body, .body_len = body ? strlen(body) : 0};
	req.headers[req.nheaders++] = "X-MBX-APIKEY: key-123";
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r, NULL), SB_OK);
	cr_assert_not(r.done, "the callback must not run inside sb_http_request");
	run_until(&r.done, DEADLINE_MS);
	return &r;
}

Test(http_client, get_returns_status_body_and_weight_header)
{
	struct result *r = do_request(SB_HTTP_GET, "/api/v3/time?a=x%20y", NULL);
	cr_assert_eq(r->err, SB_OK);
	cr_assert_eq(r->status, 200);
	cr_assert(r->sent);
	cr_assert_str_eq(r->body, "GET /api/v3/time key=key-123 a=x y ct= body=");
	cr_assert_eq(r->limits.used_weight_1m, 7);
	cr_assert_eq(r->limits.nweights, 1);
	cr_assert_str_eq(r->limits.weights[0].interval, "1M");
	cr_assert_eq(r->limits.order_count_10s, SB_HTTP_HEADER_ABSENT);
	cr_assert_eq(r->limits.retry_after_s, SB_HTTP_HEADER_ABSENT);
	cr_assert_gt(r->latency_us, 0);
}

Test(http_client, post_put_delete_send_the_form_body_and_headers)
{
	struct result *r = do_request(SB_HTTP_POST, "/api/v3/order?a=1", "symbol=BTCUSDT&price=%2B1");
	cr_assert_eq(r->err, SB_OK);
	cr_assert_str_eq(r->body, "POST /api/v3/order key=key-123 a=1 ct=application/x-www-form-urlencoded "
	                          "body=symbol=BTCUSDT&price=%2B1");
	r = do_request(SB_HTTP_DELETE, "/api/v3/order", "symbol=ETHUSDT&orderId=5");
	cr_assert_str_eq(r->body, "DELETE /api/v3/order key=key-123 a=- ct=application/x-www-form-urlencoded "
	                          "body=symbol=ETHUSDT&orderId=5");
	r = do_request(SB_HTTP_PUT, "/api/v3/userDataStream?a=k", "listenKey=abc");
	cr_assert_str_eq(r->body, "PUT /api/v3/userDataStream key=key-123 a=k "
	                          "ct=application/x-www-form-urlencoded body=listenKey=abc");
	cr_assert_eq(r->status, 200);
}

Test(http_client, keep_alive_reuses_one_connection)
{
	for (int i = 0; i < 25; i++) {
		struct result *r = do_request(SB_HTTP_GET, "/api/v3/ping", NULL);
		cr_assert_eq(r->err, SB_OK);
		cr_assert_eq(r->new_connection, i == 0, "request %d new_connection=%d", i, r->new_connection);
	}
	struct sb_http_stats st;
	sb_http_stats(fx.http, &st);
	cr_assert_eq(st.requests, 25);
	cr_assert_eq(st.connections, 1, "opened %llu connections", (unsigned long long)st.connections);
	cr_assert_eq(st.in_flight, 0);
}

Test(http_client, concurrent_requests_all_complete)
{
	static struct result rs[8];
	char url[256];
	url_for(url, sizeof url, "/api/v3/ping");
	for (int i = 0; i < 8; i++) {
		struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
		cr_assert_eq(sb_http_request(fx.http, &req, on_done, &rs[i], NULL), SB_OK);
	}
	for (int i = 0; i < 8; i++) {
		run_until(&rs[i].done, DEADLINE_MS);
		cr_assert_eq(rs[i].err, SB_OK);
		cr_assert_eq(rs[i].calls, 1);
	}
	struct sb_http_stats st;
	sb_http_stats(fx.http, &st);
	cr_assert_eq(st.requests, 8);
	cr_assert_leq(st.connections, 8);
}

Test(http_client, rate_limit_headers_are_parsed)
{
	struct result *r = do_request(SB_HTTP_GET, "/limits", NULL);
	cr_assert_eq(r->err, SB_OK, "an HTTP error status is not a transport error");
	cr_assert_eq(r->status, 429);
	cr_assert_eq(r->limits.used_weight_1m, 6001);
	cr_assert_eq(r->limits.nweights, 2);
	bool saw_1s = false;
	for (size_t i = 0; i < r->limits.nweights; i++)
		if (strcmp(r->limits.weights[i].interval, "1S") == 0)
			saw_1s = r->limits.weights[i].value == 12;
	cr_assert(saw_1s, "X-MBX-USED-WEIGHT-1S not reported");
	cr_assert_eq(r->limits.order_count_10s, 3);
	cr_assert_eq(r->limits.order_count_1d, 250);
	cr_assert_eq(r->limits.retry_after_s, 42);
	cr_assert(strstr(r->body, "-1003"));
}

Test(http_client, body_under_the_limit_arrives_whole)
{
	struct result *r = do_request(SB_HTTP_GET, "/big?n=150000", NULL);
	cr_assert_eq(r->err, SB_OK);
	cr_assert_eq(r->body_len, 150000);
	for (size_t i = 0; i < r->body_len; i++)
		cr_assert_eq(r->body[i], (char)('a' + i % 26), "byte %zu", i);
}

Test(http_client, body_over_the_limit_fails_with_too_long)
{
	sb_http_free(fx.http);
	struct sb_http_opts ho = {.max_body = 100000};
	cr_assert_eq(sb_http_new(&fx.loop, &ho, &fx.http), SB_OK);
	struct result *r = do_request(SB_HTTP_GET, "/big?n=100001", NULL);
	cr_assert_eq(r->err, SB_ERR_TOO_LONG);
	r = do_request(SB_HTTP_GET, "/big?n=100000", NULL);
	cr_assert_eq(r->err, SB_OK, "exactly the limit is accepted");
	cr_assert_eq(r->body_len, 100000);
}

Test(http_client, silent_server_times_out)
{
	static struct result r;
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v3/order", fx.silent.port);
	struct sb_http_req req = {
	    .method = SB_HTTP_POST, .url = url, .body = "a=1", .body_len = 3, .timeout_ms = 150};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r, NULL), SB_OK);
	run_until(&r.done, DEADLINE_MS);
	cr_assert_eq(r.err, SB_ERR_TIMEOUT);
	cr_assert(r.sent, "the request reached the server: its outcome is unknown");
	cr_assert_eq(r.status, 0);
	cr_assert_geq(r.latency_us, 150000);
	cr_assert_lt(r.latency_us, 2000000);
}

Test(http_client, closed_port_is_a_network_error_and_not_sent)
{
	int port = sbt_closed_port(&fx.loop); /* nothing listens there */
	cr_assert_gt(port, 0);

	static struct result r;
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v3/ping", port);
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r, NULL), SB_OK);
	run_until(&r.done, DEADLINE_MS);
	cr_assert_eq(r.err, SB_ERR_NETWORK);
	cr_assert_not(r.sent);
	cr_assert_eq(r.status, 0);
}

Test(http_client, free_cancels_in_flight_requests_with_shutdown)
{
	static struct result a, b;
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", fx.silent.port);
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &a, NULL), SB_OK);
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &b, NULL), SB_OK);
	/* Let both connect so real sockets are torn down. */
	SBT_RUN_UNTIL(&fx.loop, fx.silent.n == 2, DEADLINE_MS);
	sb_http_free(fx.http);
	fx.http = NULL;
	cr_assert(a.done && b.done);
	cr_assert_eq(a.err, SB_ERR_SHUTDOWN);
	cr_assert_eq(b.err, SB_ERR_SHUTDOWN);
	cr_assert_eq(a.calls + b.calls, 2);
}

Test(http_client, cancel_all_keeps_the_client_usable)
{
	static struct result a;
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", fx.silent.port);
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &a, NULL), SB_OK);
	sb_http_cancel_all(fx.http);
	cr_assert(a.done);
	cr_assert_eq(a.err, SB_ERR_SHUTDOWN);
	struct result *r = do_request(SB_HTTP_GET, "/api/v3/ping", NULL);
	cr_assert_eq(r->err, SB_OK);
}

static void free_from_callback(void *user, const struct sb_http_resp *resp)
{
	struct result *r = user;
	r->done = true;
	r->err = resp->err;
	sb_http_free(fx.http);
	fx.http = NULL;
}

Test(http_client, free_from_inside_a_callback_is_safe)
{
	static struct result r;
	char url[256];
	url_for(url, sizeof url, "/api/v3/ping");
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	cr_assert_eq(sb_http_request(fx.http, &req, free_from_callback, &r, NULL), SB_OK);
	run_until(&r.done, DEADLINE_MS);
	cr_assert_eq(r.err, SB_OK);
}

Test(http_client, bad_requests_are_refused)
{
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = NULL};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, NULL, NULL), SB_ERR_INVALID);
	req.url = "http://127.0.0.1:1/";
	req.nheaders = SB_HTTP_MAX_HEADERS + 1;
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, NULL, NULL), SB_ERR_TOO_LONG);
	req.nheaders = 1;
	req.headers[0] = "no colon here";
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, NULL, NULL), SB_ERR_INVALID);
	struct sb_http_stats st;
	sb_http_stats(fx.http, &st);
	cr_assert_eq(st.in_flight, 0);
}

Test(http_client, tls_to_a_plain_server_fails_without_hanging)
{
	struct result *r = do_request(SB_HTTP_GET, "/api/v3/ping", NULL);
	cr_assert_eq(r->err, SB_OK);
	static struct result t;
	char url[128];
	snprintf(url, sizeof url, "https://127.0.0.1:%d/api/v3/ping", sim_server_port(fx.srv));
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &t, NULL), SB_OK);
	run_until(&t.done, DEADLINE_MS);
	cr_assert_eq(t.err, SB_ERR_NETWORK);
	cr_assert_neq(t.status, 200);
}

/* ---- the bound on requests in flight ----------------------------------------------------------------- */

struct ordered {
	int *log;   /* where the callback writes which request ended, in the order they end */
	int *n;     /* entries used in log */
	int which;  /* this request's number */
	sb_err err; /* resp->err */
	bool done;  /* the callback ran */
	int calls;  /* how often it ran */
};

static void on_ordered(void *user, const struct sb_http_resp *resp)
{
	struct ordered *o = user;
	o->log[(*o->n)++] = o->which;
	o->err = resp->err;
	o->done = true;
	o->calls++;
}

/* A second client on the fixture's loop with at most max_in_flight requests on the wire. */
static struct sb_http *bounded_client(unsigned max_in_flight)
{
	struct sb_http *h = NULL;
	struct sb_http_opts ho = {.timeout_ms = 3000, .max_in_flight = max_in_flight};
	cr_assert_eq(sb_http_new(&fx.loop, &ho, &h), SB_OK);
	return h;
}

/* Sends n GETs of url on h, request i with os[i], each logging its number into log when it ends. */
static void send_ordered(struct sb_http *h, const char *url, struct ordered *os, int n, int *log, int *ended)
{
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	for (int i = 0; i < n; i++) {
		os[i] = (struct ordered){.log = log, .n = ended, .which = i};
		cr_assert_eq(sb_http_request(h, &req, on_ordered, &os[i], NULL), SB_OK);
	}
}

/* A URL on the fixture's silent server. */
static void silent_url(char *buf, size_t cap)
{
	snprintf(buf, cap, "http://127.0.0.1:%d/x", fx.silent.port);
}

Test(http_client, requests_over_the_bound_wait_and_start_in_order)
{
	enum { N = 6 };
	static struct ordered os[N];
	static int log[N], n;
	struct sb_http *h = bounded_client(1);
	char url[256];
	url_for(url, sizeof url, "/api/v3/ping");
	send_ordered(h, url, os, N, log, &n);
	struct sb_http_stats st;
	sb_http_stats(h, &st);
	cr_assert_eq(st.in_flight, N);
	cr_assert_eq(st.queued, N - 1, "one on the wire, the rest queued: %zu queued", st.queued);
	SBT_RUN_UNTIL(&fx.loop, n == N, DEADLINE_MS);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(log[i], i, "request %d ended at place %d", log[i], i);
		cr_assert_eq(os[i].err, SB_OK);
	}
	sb_http_stats(h, &st);
	cr_assert_eq(st.connections, 1, "one slot, one kept-alive connection: %llu",
	             (unsigned long long)st.connections);
	cr_assert_eq(st.in_flight, 0);
	cr_assert_eq(st.queued, 0);
	sb_http_free(h);
}

Test(http_client, only_the_bound_reaches_a_silent_server_and_cancel_ends_the_queue_too)
{
	enum { N = 5 };
	static struct ordered os[N];
	static int log[N], n;
	struct sb_http *h = bounded_client(2);
	char url[128];
	silent_url(url, sizeof url);
	send_ordered(h, url, os, N, log, &n);
	SBT_RUN_UNTIL(&fx.loop, fx.silent.n == 2, DEADLINE_MS);
	struct sb_http_stats st;
	sb_http_stats(h, &st);
	cr_assert_eq(st.in_flight, N);
	cr_assert_eq(st.queued, N - 2);
	sb_http_cancel_all(h);
	cr_assert_eq(n, N, "every callback ran inside cancel_all");
	for (int i = 0; i < N; i++) {
		cr_assert_eq(os[i].calls, 1);
		cr_assert_eq(os[i].err, SB_ERR_SHUTDOWN);
	}
	for (int i = 2; i < N; i++)
		cr_assert_eq(log[i], i, "queued requests end in their order, after those on the wire");
	sb_http_stats(h, &st);
	cr_assert_eq(st.in_flight, 0);
	cr_assert_eq(st.queued, 0);
	cr_assert_eq(fx.silent.n, 2, "a queued request never connected");
	sb_http_free(h);
}

Test(http_client, free_ends_queued_requests_with_shutdown)
{
	enum { N = 3 };
	static struct ordered os[N];
	static int log[N], n;
	struct sb_http *h = bounded_client(1);
	char url[128];
	silent_url(url, sizeof url);
	send_ordered(h, url, os, N, log, &n);
	sb_http_free(h);
	cr_assert_eq(n, N);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(log[i], i);
		cr_assert_eq(os[i].err, SB_ERR_SHUTDOWN);
	}
}

Test(http_client, a_burst_over_the_bound_reuses_the_kept_connections)
{
	enum { N = 40 };
	static struct result rs[N];
	char url[256];
	url_for(url, sizeof url, "/api/v3/ping");
	struct sb_http_stats st;
	uint64_t first = 0;
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < N; i++) {
			memset(&rs[i], 0, sizeof rs[i]);
			struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
			cr_assert_eq(sb_http_request(fx.http, &req, on_done, &rs[i], NULL), SB_OK);
		}
		for (int i = 0; i < N; i++) {
			run_until(&rs[i].done, DEADLINE_MS);
			cr_assert_eq(rs[i].err, SB_OK);
		}
		sb_http_stats(fx.http, &st);
		if (round == 0)
			first = st.connections;
	}
	cr_assert_leq(first, SB_HTTP_INFLIGHT_DEFAULT, "a burst of %d opened %llu connections", N,
	              (unsigned long long)first);
	cr_assert_eq(st.connections, first, "the second burst opened %llu more connections",
	             (unsigned long long)(st.connections - first));
	cr_assert_eq(st.requests, 2 * N);
}

/* ---- a request leaves inside sb_http_request --------------------------------------------------------- */

/* A blocking loopback listener the test drives by hand: it sees exactly what the client wrote, when. */
static int raw_listen(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* Reads what is waiting on fd without blocking; the number of bytes (0 when nothing is). */
static size_t read_now(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);
	if (n < 0) {
		cr_assert(errno == EAGAIN || errno == EWOULDBLOCK, "recv: %s", strerror(errno));
		n = 0;
	}
	buf[n] = '\0';
	return (size_t)n;
}

/* Accepts the client's connection once and gathers what it wrote into buf (len bytes so far); true once a
 * whole request head is there. Safe to evaluate again after it held. */
static bool raw_request_in(int lfd, int *conn, char *buf, size_t cap, size_t *len)
{
	if (*conn < 0)
		*conn = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	if (*conn >= 0 && !strstr(buf, "\r\n\r\n"))
		*len += read_now(*conn, buf + *len, cap - *len);
	return strstr(buf, "\r\n\r\n") != NULL;
}

static const char raw_reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

Test(http_client, a_request_on_a_kept_connection_is_written_before_sb_http_request_returns)
{
	int port, conn = -1;
	int lfd = raw_listen(&port);
	char url[128], buf[4096];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v3/ping", port);
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};

	/* The first request opens the connection: the loop runs until the server has it whole. */
	static struct result a, b;
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &a, NULL), SB_OK);
	size_t len = 0;
	buf[0] = '\0';
	SBT_RUN_UNTIL(&fx.loop, raw_request_in(lfd, &conn, buf, sizeof buf, &len), DEADLINE_MS);
	cr_assert(strstr(buf, "GET /api/v3/ping"), "%s", buf);
	cr_assert_eq(write(conn, raw_reply, sizeof raw_reply - 1), (ssize_t)(sizeof raw_reply - 1));
	run_until(&a.done, DEADLINE_MS);
	cr_assert_eq(a.err, SB_OK);

	/* The second goes out on it with no turn of the loop in between, and its callback still waits. */
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &b, NULL), SB_OK);
	cr_assert_not(b.done, "the callback must not run inside sb_http_request");
	cr_assert_gt(read_now(conn, buf, sizeof buf), 0,
	             "nothing was written before sb_http_request returned");
	cr_assert(strstr(buf, "GET /api/v3/ping"), "%s", buf);
	cr_assert_eq(write(conn, raw_reply, sizeof raw_reply - 1), (ssize_t)(sizeof raw_reply - 1));
	run_until(&b.done, DEADLINE_MS);
	cr_assert_eq(b.err, SB_OK);
	cr_assert_not(b.new_connection);
	close(conn);
	close(lfd);
}

Test(http_client, a_request_that_fails_while_it_starts_is_reported_from_the_loop)
{
	static struct result r;
	/* curl refuses the scheme while sb_http_request drives the transfer: it ends before the call returns.
	 */
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = "ftp://127.0.0.1:1/x"};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r, NULL), SB_OK);
	cr_assert_not(r.done, "the callback must not run inside sb_http_request");
	run_until(&r.done, DEADLINE_MS);
	cr_assert_eq(r.err, SB_ERR_NETWORK);
	cr_assert_eq(r.calls, 1);
	cr_assert_not(r.sent);
	struct sb_http_stats st;
	sb_http_stats(fx.http, &st);
	cr_assert_eq(st.in_flight, 0);
}

/* ---- a body streamed to a sink ------------------------------------------------------------------------ */

struct sunk {
	size_t len;  /* bytes the sink took */
	bool order;  /* every byte was the one expected at its place */
	size_t stop; /* refuse once this many arrived (0: never) */
};

static bool sink_bytes(void *user, const void *data, size_t len)
{
	struct sunk *s = user;
	const char *p = data;
	for (size_t i = 0; i < len; i++)
		s->order = s->order && p[i] == (char)('a' + (s->len + i) % 26);
	s->len += len;
	return !s->stop || s->len < s->stop;
}

Test(http_client, a_sink_takes_a_body_larger_than_max_body_as_it_arrives)
{
	sb_http_free(fx.http);
	struct sb_http_opts ho = {.max_body = 1000};
	cr_assert_eq(sb_http_new(&fx.loop, &ho, &fx.http), SB_OK);
	static struct result r;
	static struct sunk s = {.order = true};
	char url[256];
	url_for(url, sizeof url, "/big?n=150000");
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url, .sink = sink_bytes, .sink_user = &s};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r, NULL), SB_OK);
	run_until(&r.done, DEADLINE_MS);
	cr_assert_eq(r.err, SB_OK);
	cr_assert_eq(r.status, 200);
	cr_assert_eq(s.len, 150000);
	cr_assert(s.order, "the bytes arrived in order");
	cr_assert_eq(r.body_len, 0, "nothing is kept in memory");

	static struct result r2;
	static struct sunk s2 = {.order = true, .stop = 5000};
	req.sink_user = &s2;
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r2, NULL), SB_OK);
	run_until(&r2.done, DEADLINE_MS);
	cr_assert_eq(r2.err, SB_ERR_TOO_LONG, "a sink that refuses ends the request");
}

Test(http_client, an_idle_timeout_ends_a_request_nothing_arrives_for)
{
	static struct result r;
	char url[128];
	silent_url(url, sizeof url);
	struct sb_http_req req = {
	    .method = SB_HTTP_GET, .url = url, .timeout_ms = 3000, .idle_timeout_ms = 100};
	cr_assert_eq(sb_http_request(fx.http, &req, on_done, &r, NULL), SB_OK);
	run_until(&r.done, DEADLINE_MS);
	cr_assert_eq(r.err, SB_ERR_TIMEOUT);
	cr_assert_geq(r.latency_us, 100000);
	cr_assert_lt(r.latency_us, 2000000, "the idle timeout, not the whole one: %llu us",
	             (unsigned long long)r.latency_us);
}

/*
 * The WebSocket transport over real loopback sockets. spotsim's server layer runs on its own loop in a
 * thread (as the exchange is another process in real life); the client runs on the test's loop. The
 * server is steered by the test's own messages ("echo:", "close", "drop", "mute", "big:N", "sub"), so
 * every action happens on the server's thread. Tests drive the client loop until the awaited event has
 * happened, with a deadline that fails the test instead of hanging; nothing waits by sleeping. The last
 * suite checks where libwebsockets' own log lines go.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/server.h"
#include "spotbot/log.h"
#include "spotbot/ws_client.h"

#define DEADLINE_MS 5000
#define MAX_EVENTS  64
#define MAX_SEQ     200000

/* ---- the server thread -------------------------------------------------------------------------- */

struct srv_conn {
	struct sim_ws_conn *conn;     /* the server's connection */
	bool muted;                   /* sends nothing any more */
	bool sub;                     /* receives the seq ticker */
	struct srv_conn *prev, *next; /* all connections */
};

struct server {
	uv_loop_t loop;         /* the server's own loop */
	uv_async_t stop;        /* ends the thread */
	uv_timer_t tick;        /* seq ticker */
	struct sim_server *srv; /* spotsim's server layer */
	pthread_t thread;       /* runs loop */
	struct srv_conn *conns; /* open connections */
	uint64_t seq;           /* last ticker value sent */
	atomic_int opens;       /* connections accepted */
	atomic_int closes;      /* connections gone */
	atomic_int peer_code;   /* close code the last client sent in its close frame, 0 if none */
	char peer_text[128];    /* its reason, written before peer_code */
	int port;               /* bound port */
};

static struct server S;

static void http_unused(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	(void)ctx;
	(void)req;
	sim_http_resp_text(resp, 404, "{}");
}

static bool srv_open(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	(void)ctx;
	(void)path;
	struct srv_conn *c = calloc(1, sizeof *c);
	c->conn = conn;
	c->next = S.conns;
	if (S.conns)
		S.conns->prev = c;
	S.conns = c;
	sim_ws_set_user(conn, c);
	atomic_fetch_add(&S.opens, 1);
	return true;
}

static void srv_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	(void)ctx;
	struct srv_conn *c = sim_ws_user(conn);
	if (len >= 5 && memcmp(data, "echo:", 5) == 0) {
		if (!c->muted)
			sim_ws_send(conn, data, len);
	} else if (len == 5 && memcmp(data, "close", 5) == 0) {
		sim_ws_close(conn, 4000, "test close");
	} else if (len == 4 && memcmp(data, "drop", 4) == 0) {
		sim_server_drop_all(S.srv);
	} else if (len == 4 && memcmp(data, "mute", 4) == 0) {
		c->muted = true;
	} else if (len == 3 && memcmp(data, "sub", 3) == 0) {
		c->sub = true;
	} else if (len > 4 && memcmp(data, "big:", 4) == 0) {
		char num[32]; /* the server's data is {ptr,len}, not NUL-terminated */
		size_t nl = len - 4 < sizeof num - 1 ? len - 4 : sizeof num - 1;
		memcpy(num, data + 4, nl);
		num[nl] = '\0';
		size_t n = (size_t)strtoull(num, NULL, 10);
		char *big = malloc(n);
		for (size_t i = 0; i < n; i++)
			big[i] = (char)('a' + i % 26);
		sim_ws_send(conn, big, n);
		free(big);
	}
}

static void srv_close(void *ctx, struct sim_ws_conn *conn)
{
	(void)ctx;
	const char *text = "";
	uint16_t code = sim_ws_peer_close(conn, &text);
	snprintf(S.peer_text, sizeof S.peer_text, "%s", text);
	atomic_store(&S.peer_code, code);
	atomic_fetch_add(&S.closes, 1);
	struct srv_conn *c = sim_ws_user(conn);
	if (c->prev)
		c->prev->next = c->next;
	else
		S.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

static void on_srv_tick(uv_timer_t *t)
{
	(void)t;
	char buf[32];
	S.seq++;
	int n = snprintf(buf, sizeof buf, "seq:%llu", (unsigned long long)S.seq);
	for (struct srv_conn *c = S.conns; c; c = c->next)
		if (c->sub && !c->muted)
			sim_ws_send(c->conn, buf, (size_t)n);
}

static void on_srv_stop(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
	uv_timer_stop(&S.tick);
	uv_close((uv_handle_t *)&S.tick, NULL);
	uv_stop(a->loop);
}

static void *srv_run(void *arg)
{
	(void)arg;
	uv_run(&S.loop, UV_RUN_DEFAULT);
	sim_server_free(S.srv);
	uv_loop_close(&S.loop);
	return NULL;
}

static void server_start(void)
{
	memset(&S, 0, sizeof S);
	uv_loop_init(&S.loop);
	uv_async_init(&S.loop, &S.stop, on_srv_stop);
	uv_timer_init(&S.loop, &S.tick);
	uv_timer_start(&S.tick, on_srv_tick, 2, 2);
	struct sim_server_opts o = {.host = "127.0.0.1",
	                            .port = 0,
	                            .http = http_unused,
	                            .ws = {srv_open, srv_message, srv_close},
	                            .ctx = &S,
	                            .ping_interval_s = 3600,
	                            .pong_timeout_s = 7200};
	cr_assert_eq(sim_server_new(&S.loop, &o, &S.srv), SB_OK);
	S.port = sim_server_port(S.srv);
	pthread_create(&S.thread, NULL, srv_run, NULL);
}

static void server_stop(void)
{
	uv_async_send(&S.stop);
	pthread_join(S.thread, NULL);
}

/* ---- the client side ---------------------------------------------------------------------------- */

struct client {
	uv_loop_t loop;                            /* the test's loop */
	struct sb_ws_ctx *ctx;                     /* lws context */
	struct sb_ws *ws;                          /* under test */
	bool deadline_hit;                         /* run_until's timer fired */
	int opens;                                 /* open callbacks */
	unsigned open_conn[MAX_EVENTS];            /* their connection ids */
	bool open_rollover[MAX_EVENTS];            /* their rollover flags */
	uint64_t open_ms[MAX_EVENTS];              /* when they came */
	int closes;                                /* close callbacks */
	struct sb_ws_close_info close[MAX_EVENTS]; /* their infos (text copied below) */
	char close_text[MAX_EVENTS][128];          /* their texts */
	uint64_t close_ms[MAX_EVENTS];             /* when they came */
	int msgs;                                  /* messages received */
	char last[256];                            /* the last short message */
	size_t last_len;                           /* its length (any message) */
	char last_echo[256];                       /* the last "echo:" message */
	bool big_ok;                               /* the last long message had the expected pattern */
	bool seen[MAX_SEQ];                        /* seq values received on any connection */
	uint64_t seq_min, seq_max;                 /* range of seq values seen */
	int seq_on[MAX_EVENTS];                    /* seq messages per connection id */
	bool on_open_sub;                          /* send "sub" from the open callback */
	bool confirm_on_new;                       /* confirm a rollover at the new connection's first seq */
	bool free_on_close;                        /* sb_ws_free from the close callback */
	int confirm_rc;                            /* sb_ws_rollover_confirm's result */
};

static struct client C;

static uint64_t ms_now(void)
{
	return uv_hrtime() / 1000000u;
}

static void cb_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)user;
	if (C.opens < MAX_EVENTS) {
		C.open_conn[C.opens] = conn;
		C.open_rollover[C.opens] = rollover;
		C.open_ms[C.opens] = ms_now();
	}
	C.opens++;
	if (C.on_open_sub)
		cr_assert_eq(sb_ws_send(ws, "sub", 3), SB_OK);
}

static void cb_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)user;
	C.msgs++;
	C.last_len = len;
	cr_assert_eq(data[len], '\0');
	if (len < sizeof C.last)
		memcpy(C.last, data, len + 1);
	if (len < sizeof C.last_echo && strncmp(data, "echo:", 5) == 0)
		memcpy(C.last_echo, data, len + 1);
	if (len > 1000) {
		C.big_ok = true;
		for (size_t i = 0; i < len && C.big_ok; i++)
			C.big_ok = data[i] == (char)('a' + i % 26);
	}
	if (len > 4 && memcmp(data, "seq:", 4) == 0) {
		uint64_t v = strtoull(data + 4, NULL, 10);
		cr_assert_lt(v, MAX_SEQ);
		C.seen[v] = true;
		if (!C.seq_min || v < C.seq_min)
			C.seq_min = v;
		if (v > C.seq_max)
			C.seq_max = v;
		if (conn < MAX_EVENTS)
			C.seq_on[conn]++;
		if (C.confirm_on_new && conn == 2) {
			C.confirm_on_new = false;
			C.confirm_rc = sb_ws_rollover_confirm(ws);
		}
	}
}

static void cb_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)user;
	if (C.closes < MAX_EVENTS) {
		C.close[C.closes] = *info;
		snprintf(C.close_text[C.closes], sizeof C.close_text[0], "%s", info->text);
		C.close[C.closes].text = C.close_text[C.closes];
		C.close_ms[C.closes] = ms_now();
	}
	C.closes++;
	if (C.free_on_close) {
		sb_ws_free(ws);
		C.ws = NULL;
	}
}

static const struct sb_ws_ops OPS = {cb_open, cb_message, cb_close};

static void setup(void)
{
	server_start();
	memset(&C, 0, sizeof C);
	cr_assert_eq(uv_loop_init(&C.loop), 0);
	cr_assert_eq(sb_ws_ctx_new(&C.loop, &C.ctx), SB_OK);
}

static void teardown(void)
{
	sb_ws_free(C.ws);
	sb_ws_ctx_free(C.ctx);
	cr_assert_eq(uv_loop_close(&C.loop), 0, "a uv handle was left open");
	server_stop();
}

TestSuite(ws_client, .init = setup, .fini = teardown);

static void on_deadline(uv_timer_t *t)
{
	(void)t;
	C.deadline_hit = true;
}

/* Runs the client loop until cond holds; fails the test after ms. */
#define RUN_UNTIL(cond, ms)                                                                                  \
	do {                                                                                                 \
		uv_timer_t t_;                                                                               \
		C.deadline_hit = false;                                                                      \
		uv_timer_init(&C.loop, &t_);                                                                 \
		uv_timer_start(&t_, on_deadline, (ms), 0);                                                   \
		while (!(cond) && !C.deadline_hit)                                                           \
			uv_run(&C.loop, UV_RUN_ONCE);                                                        \
		uv_close((uv_handle_t *)&t_, NULL);                                                          \
		uv_run(&C.loop, UV_RUN_NOWAIT);                                                              \
		cr_assert((cond), "deadline passed waiting for: %s", #cond);                                 \
	} while (0)

static char *slurp(const char *path);

static void url_to(char *buf, size_t cap, int port, const char *path)
{
	snprintf(buf, cap, "ws://127.0.0.1:%d%s", port, path);
}

static void connect_with(struct sb_ws_opts *o)
{
	char url[128];
	url_to(url, sizeof url, S.port, "/ws/test");
	o->url = url;
	cr_assert_eq(sb_ws_new(C.ctx, o, &OPS, NULL, &C.ws), SB_OK);
	cr_assert_eq(C.opens, 0, "no callback inside sb_ws_new");
}

static void send_str(const char *s)
{
	cr_assert_eq(sb_ws_send(C.ws, s, strlen(s)), SB_OK);
}

/* A closed port: bound once, then released. */
static int closed_port(void)
{
	uv_tcp_t t;
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(&C.loop, &t);
	cr_assert_eq(uv_tcp_bind(&t, (const struct sockaddr *)&addr, 0), 0);
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	uv_tcp_getsockname(&t, (struct sockaddr *)&ss, &sl);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(&C.loop, UV_RUN_NOWAIT);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

Test(ws_client, connects_and_echoes_messages_in_order)
{
	struct sb_ws_opts o = {0};
	connect_with(&o);
	cr_assert_eq(sb_ws_send(C.ws, "x", 1), SB_ERR_STATE, "nothing is open yet");
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	cr_assert(sb_ws_is_open(C.ws));
	cr_assert_not(C.open_rollover[0]);
	char buf[64];
	for (int i = 0; i < 200; i++) {
		snprintf(buf, sizeof buf, "echo:%d", i);
		send_str(buf);
	}
	RUN_UNTIL(C.msgs == 200, DEADLINE_MS);
	cr_assert_str_eq(C.last, "echo:199");
	struct sb_ws_stats st;
	sb_ws_stats(C.ws, &st);
	cr_assert_eq(st.messages, 200);
	cr_assert_eq(st.sent, 200);
	cr_assert_eq(st.opens, 1);
	cr_assert_eq(C.closes, 0);
}

Test(ws_client, fragmented_large_message_arrives_whole)
{
	struct sb_ws_opts o = {0};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("big:3000000"); /* far beyond the 64 KiB receive buffer */
	RUN_UNTIL(C.msgs == 1, DEADLINE_MS);
	cr_assert_eq(C.last_len, 3000000);
	cr_assert(C.big_ok, "the reassembled message differs from what was sent");
	send_str("echo:after");
	RUN_UNTIL(C.msgs == 2, DEADLINE_MS);
	cr_assert_str_eq(C.last, "echo:after");
}

Test(ws_client, message_over_the_limit_resets_and_reconnects)
{
	struct sb_ws_opts o = {.max_message = 100000, .backoff_min_ms = 20, .jitter_pct = -1};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("big:100000");
	RUN_UNTIL(C.msgs == 1, DEADLINE_MS);
	cr_assert_eq(C.last_len, 100000, "exactly the limit is delivered");
	send_str("big:100001");
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_TOO_LARGE);
	cr_assert(C.close[0].reconnecting);
	cr_assert_eq(C.msgs, 1, "the oversized message is not delivered");
	RUN_UNTIL(C.opens == 2, DEADLINE_MS);
}

Test(ws_client, server_close_is_reported_and_reconnects_after_backoff)
{
	/* Every connection counts as one that stayed up: the back-off starts again each time. */
	struct sb_ws_opts o = {.backoff_min_ms = 60, .stable_ms = 1, .jitter_pct = -1};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	for (int round = 0; round < 2; round++) {
		/* Stable means open for at least stable_ms: let a few milliseconds of the loop pass first. */
		uint64_t opened = C.open_ms[round];
		RUN_UNTIL(ms_now() >= opened + 3, DEADLINE_MS);
		send_str("close");
		RUN_UNTIL(C.closes == round + 1, DEADLINE_MS);
		struct sb_ws_close_info *ci = &C.close[round];
		cr_assert_eq(ci->reason, SB_WS_CLOSE_PEER, "got %s", sb_ws_close_reason_name(ci->reason));
		cr_assert_eq(ci->code, 4000);
		cr_assert_str_eq(ci->text, "test close");
		cr_assert(ci->was_open);
		cr_assert(ci->reconnecting);
		cr_assert_eq(ci->retry_in_ms, 60, "the back-off restarts after a successful open");
		cr_assert_eq(ci->attempt, 1);
		RUN_UNTIL(C.opens == round + 2, DEADLINE_MS);
		cr_assert_geq(C.open_ms[round + 1] - C.close_ms[round] + 2, 60);
	}
}

Test(ws_client, connections_closed_soon_after_opening_keep_backing_off)
{
	/* A server that accepts and closes at once (over a rate limit) is no success: the delay grows. */
	struct sb_ws_opts o = {.backoff_min_ms = 60, .stable_ms = 10000, .jitter_pct = -1};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	for (int round = 0; round < 3; round++) {
		send_str("close");
		RUN_UNTIL(C.closes == round + 1, DEADLINE_MS);
		struct sb_ws_close_info *ci = &C.close[round];
		cr_assert(ci->was_open);
		cr_assert(ci->reconnecting);
		cr_assert_eq(ci->attempt, (unsigned)round + 1);
		cr_assert_eq(ci->retry_in_ms, 60u << round, "round %d: %u ms", round, ci->retry_in_ms);
		RUN_UNTIL(C.opens == round + 2, DEADLINE_MS);
	}
}

Test(ws_client, failed_attempts_back_off_exponentially_up_to_the_cap)
{
	char url[128];
	url_to(url, sizeof url, closed_port(), "/ws");
	struct sb_ws_opts o = {.url = url, .backoff_min_ms = 10, .backoff_max_ms = 70, .jitter_pct = -1};
	cr_assert_eq(sb_ws_new(C.ctx, &o, &OPS, NULL, &C.ws), SB_OK);
	RUN_UNTIL(C.closes == 5, DEADLINE_MS);
	static const uint32_t want[] = {10, 20, 40, 70, 70};
	for (int i = 0; i < 5; i++) {
		cr_assert_eq(C.close[i].reason, SB_WS_CLOSE_CONNECT_FAILED);
		cr_assert_not(C.close[i].was_open);
		cr_assert(C.close[i].reconnecting);
		cr_assert_eq(C.close[i].retry_in_ms, want[i], "attempt %d: %u ms", i, C.close[i].retry_in_ms);
		cr_assert_eq(C.close[i].attempt, (unsigned)i + 1);
	}
	/* Close callbacks trail their attempts by a time that varies with the machine's load, so single
	 * gaps say little; over four gaps the delays (10 + 20 + 40 + 70 ms) must still show. */
	uint64_t spent = C.close_ms[4] - C.close_ms[0];
	cr_assert_geq(2 * spent, 140, "four retries took only %llu ms", (unsigned long long)spent);
	cr_assert_eq(C.opens, 0);
}

Test(ws_client, jitter_spreads_delays_within_its_bounds)
{
	char url[128];
	url_to(url, sizeof url, closed_port(), "/ws");
	struct sb_ws_opts o = {.url = url, .backoff_min_ms = 40, .backoff_max_ms = 40, .jitter_pct = 25};
	cr_assert_eq(sb_ws_new(C.ctx, &o, &OPS, NULL, &C.ws), SB_OK);
	RUN_UNTIL(C.closes == 12, DEADLINE_MS);
	bool differ = false;
	for (int i = 0; i < 12; i++) {
		cr_assert_geq(C.close[i].retry_in_ms, 30);
		cr_assert_leq(C.close[i].retry_in_ms, 50);
		differ |= C.close[i].retry_in_ms != C.close[0].retry_in_ms;
	}
	cr_assert(differ, "12 jittered delays were all equal");
}

Test(ws_client, no_reconnect_ends_after_one_attempt)
{
	char url[128];
	url_to(url, sizeof url, closed_port(), "/ws");
	struct sb_ws_opts o = {.url = url, .no_reconnect = true};
	cr_assert_eq(sb_ws_new(C.ctx, &o, &OPS, NULL, &C.ws), SB_OK);
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_not(C.close[0].reconnecting);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_CONNECT_FAILED);
}

Test(ws_client, server_dropping_every_connection_causes_a_reconnect)
{
	struct sb_ws_opts o = {.backoff_min_ms = 20};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("drop");
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_DROPPED, "got %s",
	             sb_ws_close_reason_name(C.close[0].reason));
	cr_assert(C.close[0].reconnecting);
	RUN_UNTIL(C.opens == 2, DEADLINE_MS);
	send_str("echo:back");
	RUN_UNTIL(C.msgs == 1, DEADLINE_MS);
	cr_assert_str_eq(C.last, "echo:back");
}

Test(ws_client, local_drop_reconnects)
{
	struct sb_ws_opts o = {.backoff_min_ms = 20};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	sb_ws_drop(C.ws);
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_DROPPED);
	RUN_UNTIL(C.opens == 2, DEADLINE_MS);
}

Test(ws_client, stall_watchdog_drops_a_silent_connection_and_reconnects)
{
	struct sb_ws_opts o = {.stall_ms = 150, .backoff_min_ms = 20};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("mute");
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_STALL);
	cr_assert(C.close[0].reconnecting);
	cr_assert_geq(C.close_ms[0] - C.open_ms[0], 150);
	struct sb_ws_stats st;
	sb_ws_stats(C.ws, &st);
	cr_assert_eq(st.stalls, 1);
	/* Armed for the deadline, not polling towards it (an early firing of the loop's timer may add one).
	 */
	cr_assert_leq(st.ticks, 2, "the watchdog woke %llu times for one stall",
	              (unsigned long long)st.ticks);
	RUN_UNTIL(C.opens == 2, DEADLINE_MS);
}

Test(ws_client, a_quiet_connection_without_ping_or_watchdog_wakes_no_timer)
{
	/* While it connects the open timeout is due; once open, nothing is until a message or a call. */
	struct sb_ws_opts o = {.open_timeout_ms = 200};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	RUN_UNTIL(C.deadline_hit, 600); /* a quiet window of 600 ms: three open timeouts' worth */
	struct sb_ws_stats st;
	sb_ws_stats(C.ws, &st);
	cr_assert_eq(st.ticks, 0, "the timer woke %llu times on a quiet open connection",
	             (unsigned long long)st.ticks);
	cr_assert_eq(C.closes, 0);
	send_str("echo:still there");
	RUN_UNTIL(C.msgs == 1, DEADLINE_MS);
}

Test(ws_client, pongs_keep_a_quiet_connection_alive)
{
	struct sb_ws_opts o = {.ping_ms = 20, .stall_ms = 120};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("mute");
	struct sb_ws_stats st = {0};
	RUN_UNTIL((sb_ws_stats(C.ws, &st), st.pongs >= 20), DEADLINE_MS);
	cr_assert_eq(C.closes, 0, "the watchdog fired although pongs arrived");
	cr_assert_eq(st.stalls, 0);
}

Test(ws_client, rollover_switches_connections_without_losing_messages)
{
	C.on_open_sub = true;
	struct sb_ws_opts o = {0};
	connect_with(&o);
	RUN_UNTIL(C.seq_on[1] >= 20, DEADLINE_MS);
	cr_assert_eq(sb_ws_rollover_confirm(C.ws), SB_ERR_STATE, "nothing to confirm yet");
	C.confirm_on_new = true;
	cr_assert_eq(sb_ws_rollover(C.ws), SB_OK);
	cr_assert_eq(sb_ws_rollover(C.ws), SB_ERR_STATE, "one rollover at a time");
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_eq(C.confirm_rc, SB_OK);
	cr_assert_eq(C.opens, 2);
	cr_assert(C.open_rollover[1]);
	cr_assert_eq(C.open_conn[1], 2);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_ROLLOVER);
	cr_assert_eq(C.close[0].conn, 1);
	cr_assert_eq(C.close[0].code, 1000);
	cr_assert_not(C.close[0].reconnecting);
	int before = C.seq_on[2];
	RUN_UNTIL(C.seq_on[2] >= before + 30, DEADLINE_MS);
	cr_assert(sb_ws_is_open(C.ws));
	for (uint64_t v = C.seq_min; v <= C.seq_max; v++)
		cr_assert(C.seen[v], "seq %llu missing (range %llu..%llu)", (unsigned long long)v,
		          (unsigned long long)C.seq_min, (unsigned long long)C.seq_max);
	send_str("echo:new");
	RUN_UNTIL(strcmp(C.last_echo, "echo:new") == 0, DEADLINE_MS);
}

Test(ws_client, graceful_close_reports_local_and_stops)
{
	struct sb_ws_opts o = {.backoff_min_ms = 10};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("echo:last");
	sb_ws_close(C.ws, 1000, "bye");
	cr_assert_eq(sb_ws_send(C.ws, "x", 1), SB_ERR_STATE);
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_LOCAL);
	cr_assert_eq(C.close[0].code, 1000);
	cr_assert_not(C.close[0].reconnecting);
	cr_assert_not(sb_ws_is_open(C.ws));
	struct sb_ws_stats st;
	sb_ws_stats(C.ws, &st);
	cr_assert_eq(st.sent, 1, "queued messages go out before the close frame");
}

Test(ws_client, graceful_close_reaches_the_server_as_a_close_frame_with_its_code)
{
	struct sb_ws_opts o = {0};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("echo:before the close");
	sb_ws_close(C.ws, 4001, "client done");
	RUN_UNTIL(C.closes == 1 && atomic_load(&S.closes) == 1, DEADLINE_MS);
	cr_assert_eq(atomic_load(&S.peer_code), 4001, "the server got close code %d",
	             atomic_load(&S.peer_code));
	cr_assert_str_eq(S.peer_text, "client done");
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_LOCAL);
	cr_assert_eq(C.close[0].code, 4001);
}

Test(ws_client, a_drop_reaches_the_server_without_a_close_frame)
{
	struct sb_ws_opts o = {.backoff_min_ms = 10};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	sb_ws_drop(C.ws);
	RUN_UNTIL(C.closes == 1 && atomic_load(&S.closes) == 1, DEADLINE_MS);
	cr_assert_eq(atomic_load(&S.peer_code), 0, "a drop sends no close frame (got %d)",
	             atomic_load(&S.peer_code));
	cr_assert_eq(C.close[0].reason, SB_WS_CLOSE_DROPPED);
}

/*
 * Every way a connection moves (drop and reconnect, rollover and its confirmation, a graceful close, a
 * close while connecting) goes through the client's table of allowed state changes: a move it lacks
 * would be logged as refused.
 */
Test(ws_client, every_connection_moves_only_through_allowed_states)
{
	char dir[] = "/tmp/sb_wsstate_XXXXXX", path[64];
	cr_assert_not_null(mkdtemp(dir));
	struct sb_log_opts lo = {.dir = dir, .name = "t.log", .error_name = "", .level = SB_LOG_INFO};
	cr_assert_eq(sb_log_open(&lo), SB_OK);
	struct sb_ws_opts o = {.backoff_min_ms = 10, .jitter_pct = -1};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	sb_ws_drop(C.ws);
	RUN_UNTIL(C.opens == 2, DEADLINE_MS);
	cr_assert_eq(sb_ws_rollover(C.ws), SB_OK);
	RUN_UNTIL(C.opens == 3, DEADLINE_MS);
	cr_assert_eq(sb_ws_rollover_confirm(C.ws), SB_OK);
	RUN_UNTIL(C.closes == 2, DEADLINE_MS);
	sb_ws_close(C.ws, 1000, "done");
	RUN_UNTIL(C.closes == 3, DEADLINE_MS);
	cr_assert_eq(C.close[2].reason, SB_WS_CLOSE_LOCAL);
	sb_ws_free(C.ws);
	C.ws = NULL;
	C.opens = 0;
	connect_with(&o);
	sb_ws_close(C.ws, 1000, "before it opened"); /* a pending connection never starts */
	cr_assert_eq(C.closes, 3);
	sb_ws_free(C.ws);
	C.ws = NULL;
	sb_log_close();
	snprintf(path, sizeof path, "%s/t.log", dir);
	char *log = slurp(path);
	cr_assert_not_null(strstr(log, "\"reason\":\"rollover\""), "%s", log);
	cr_assert_null(strstr(log, "illegal connection state change"), "%s", log);
	free(log);
	unlink(path);
	rmdir(dir);
}

Test(ws_client, outgoing_queue_is_bounded)
{
	struct sb_ws_opts o = {.max_queue = 4};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	for (int i = 0; i < 4; i++)
		send_str("echo:q");
	cr_assert_eq(sb_ws_send(C.ws, "echo:q", 6), SB_ERR_TOO_LONG);
	RUN_UNTIL(C.msgs == 4, DEADLINE_MS);
	send_str("echo:q");
}

Test(ws_client, free_from_inside_the_close_callback_is_safe)
{
	C.free_on_close = true;
	struct sb_ws_opts o = {0};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	send_str("close");
	RUN_UNTIL(C.closes == 1, DEADLINE_MS);
	cr_assert_null(C.ws);
}

Test(ws_client, free_with_an_open_connection_and_pending_messages_is_clean)
{
	struct sb_ws_opts o = {0};
	connect_with(&o);
	RUN_UNTIL(C.opens == 1, DEADLINE_MS);
	for (int i = 0; i < 50; i++)
		send_str("echo:pending");
	sb_ws_free(C.ws);
	C.ws = NULL;
	cr_assert_eq(C.closes, 0, "free reports nothing");
}

Test(ws_client, bad_urls_and_options_are_refused)
{
	struct sb_ws *ws = NULL;
	const char *bad[] = {"http://x/",        "ws://",          "ws://host:0/",
	                     "ws://host:70000/", "ws://host:12x/", "ws://[::1/"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sb_ws_opts o = {.url = bad[i]};
		cr_assert_eq(sb_ws_new(C.ctx, &o, &OPS, NULL, &ws), SB_ERR_INVALID, "%s", bad[i]);
	}
	struct sb_ws_opts o = {.url = "ws://127.0.0.1:1/", .jitter_pct = 101};
	cr_assert_eq(sb_ws_new(C.ctx, &o, &OPS, NULL, &ws), SB_ERR_INVALID);
}

/* ---- lws' own log lines ------------------------------------------------------------------------------- */

TestSuite(ws_client_log);

/* Reads a whole small file into a malloc'd string. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	char *buf = calloc(1, 65537);
	size_t n = fread(buf, 1, 65536, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(ws_client_log, lws_lines_go_through_the_logger_never_to_stderr)
{
	char dir[] = "/tmp/sb_wslog_XXXXXX", path[64];
	cr_assert_not_null(mkdtemp(dir));
	struct sb_log_opts lo = {.dir = dir, .name = "t.log", .error_name = "", .level = SB_LOG_DEBUG};
	cr_assert_eq(sb_log_open(&lo), SB_OK);
	cr_redirect_stderr();
	uv_loop_t loop;
	struct sb_ws_ctx *ctx = NULL;
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(sb_ws_ctx_new(&loop, &ctx), SB_OK);
	sb_ws_ctx_free(ctx);
	cr_assert_eq(uv_loop_close(&loop), 0);
	sb_log_close();
	fflush(stderr);
	/* lws' banner ("LWS: 4.1.6 ...") used to go straight to stderr whatever LOG_STDERR said. */
	cr_assert_stderr_eq_str("");
	snprintf(path, sizeof path, "%s/t.log", dir);
	char *log = slurp(path);
	cr_assert_not_null(strstr(log, "\"level\":\"debug\",\"component\":\"lws\",\"msg\":\"LWS: "), "%s",
	                   log);
	free(log);
	unlink(path);
	rmdir(dir);
}

/*
 * spotsim's faults over real loopback sockets, switched on and off at run time through POST /sim/fault:
 * dropped WebSockets, hidden and expired user-data streams, a skewed clock, slow responses and a short
 * connection lifetime, plus the close codes spotsim's own closes must carry. spotsim runs as a child
 * process; the client is the project's sb_ws on the test's uv loop. Waits run the loop until the event
 * has happened, with a deadline; "nothing arrived" is shown with a fence (a later request whose reply
 * must come after anything the earlier action could have queued), never by sleeping.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/sign.h"
#include "spotbot/ws_client.h"

#define KEY         "fault-key"
#define SECRET      "fault-secret"
#define DEADLINE_MS 8000

/* ---- harness ------------------------------------------------------------------------------------- */

/* One client connection and everything it has received. */
struct wsc {
	struct sb_ws *ws;              /* the connection */
	int opens;                     /* open callbacks */
	int closes;                    /* close callbacks */
	struct sb_ws_close_info close; /* the last close (text copied below) */
	char close_text[128];          /* its text */
	char **msg;                    /* every message, in order (owned) */
	size_t n, cap;                 /* messages used and allocated */
};

static struct sbt_proc sim;
static uv_loop_t loop;
static struct sb_ws_ctx *ctx;
static bool deadline_hit;
static struct wsc clients[4];
static bool sim_stopped; /* a test stopped spotsim itself */

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "13",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	memset(clients, 0, sizeof clients);
	sim_stopped = false;
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(sb_ws_ctx_new(&loop, &ctx), SB_OK);
}

static void stop(void)
{
	for (size_t i = 0; i < sizeof clients / sizeof clients[0]; i++) {
		sb_ws_free(clients[i].ws);
		for (size_t j = 0; j < clients[i].n; j++)
			free(clients[i].msg[j]);
		free(clients[i].msg);
	}
	sb_ws_ctx_free(ctx);
	cr_assert_eq(uv_loop_close(&loop), 0, "a uv handle was left open");
	if (!sim_stopped)
		cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_faults, .init = start, .fini = stop, .timeout = 90);

static void cb_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)ws;
	(void)conn;
	(void)rollover;
	struct wsc *c = user;
	c->opens++;
}

static void cb_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)ws;
	(void)conn;
	struct wsc *c = user;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->msg = sb_xrealloc(c->msg, c->cap * sizeof *c->msg);
	}
	c->msg[c->n++] = sb_xstrndup(data, len);
}

static void cb_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)ws;
	struct wsc *c = user;
	c->close = *info;
	snprintf(c->close_text, sizeof c->close_text, "%s", info->text);
	c->close.text = c->close_text;
	c->closes++;
}

static const struct sb_ws_ops OPS = {cb_open, cb_message, cb_close};

static void on_deadline(uv_timer_t *t)
{
	(void)t;
	deadline_hit = true;
}

/* Runs the loop until cond holds; fails the test after ms. */
#define RUN_UNTIL(cond, ms)                                                                                  \
	do {                                                                                                 \
		uv_timer_t t_;                                                                               \
		deadline_hit = false;                                                                        \
		uv_timer_init(&loop, &t_);                                                                   \
		uv_timer_start(&t_, on_deadline, (ms), 0);                                                   \
		while (!(cond) && !deadline_hit)                                                             \
			uv_run(&loop, UV_RUN_ONCE);                                                          \
		uv_close((uv_handle_t *)&t_, NULL);                                                          \
		uv_run(&loop, UV_RUN_NOWAIT);                                                                \
		cr_assert((cond), "deadline passed waiting for: %s", #cond);                                 \
	} while (0)

/* Connects client i to path on spotsim and waits until it is open. */
static struct wsc *connect_to(size_t i, const char *path)
{
	char url[512];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d%s", sim.port, path);
	struct sb_ws_opts o = {.url = url, .no_reconnect = true};
	struct wsc *c = &clients[i];
	cr_assert_eq(sb_ws_new(ctx, &o, &OPS, c, &c->ws), SB_OK);
	RUN_UNTIL(c->opens == 1 || c->closes, DEADLINE_MS);
	cr_assert_eq(c->opens, 1, "%s did not open: %s", path, c->close_text);
	return c;
}

static void send_text(struct wsc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void send_text(struct wsc *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof buf);
	cr_assert_eq(sb_ws_send(c->ws, buf, (size_t)n), SB_OK);
}

/* Index of the first message at or after from that contains every needle (NULL-terminated), or -1. */
static long find_msg(const struct wsc *c, size_t from, const char *const *needles)
{
	for (size_t i = from; i < c->n; i++) {
		bool all = true;
		for (size_t k = 0; needles[k] && all; k++)
			all = strstr(c->msg[i], needles[k]) != NULL;
		if (all)
			return (long)i;
	}
	return -1;
}

#define NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Waits for a message at or after from holding all needles; returns its index. */
#define WAIT_MSG(c, from, ...)                                                                               \
	({                                                                                                   \
		RUN_UNTIL(find_msg((c), (from), NEEDLES(__VA_ARGS__)) >= 0, DEADLINE_MS);                    \
		(size_t) find_msg((c), (from), NEEDLES(__VA_ARGS__));                                        \
	})

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	cr_assert_not_null(j, "not JSON: %s", text);
	return j;
}

static const cJSON *field(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	cr_assert_not_null(v, "field %s missing in %s", k, cJSON_PrintUnformatted(o));
	return v;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = field(o, k);
	cr_assert(cJSON_IsString(v), "field %s is not a string", k);
	return v->valuestring;
}

static double num(const cJSON *o, const char *k)
{
	const cJSON *v = field(o, k);
	cr_assert(cJSON_IsNumber(v), "field %s is not a number", k);
	return v->valuedouble;
}

/* A decimal string field, as a double for comparisons in assertions only. */
static double dec(const cJSON *o, const char *k)
{
	const char *s = str(o, k);
	char *end = NULL;
	double v = strtod(s, &end);
	cr_assert(end != s && *end == '\0', "field %s is not a decimal: %s", k, s);
	return v;
}

/* Best bid or ask of BTCUSDT now. */
static double best(const char *which)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", NULL, NULL, &r));
	cJSON *j = parse(r.body);
	double v = dec(j, which);
	cJSON_Delete(j);
	sbt_response_free(&r);
	return v;
}

/* Places an order over REST and returns its orderId. */
static long long rest_order(const char *params)
{
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order", params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = parse(r.body);
	long long id = (long long)num(j, "orderId");
	cJSON_Delete(j);
	sbt_response_free(&r);
	return id;
}

/* A resting LIMIT BUY 10% under the bid. */
static long long rest_resting_buy(const char *client_id)
{
	char params[256];
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=%.2f"
	         "&newClientOrderId=%s",
	         best("bidPrice") * 0.9, client_id);
	return rest_order(params);
}

/* HMAC-SHA256 hex of payload with SECRET. */
static void sign(const char *payload, char *out, size_t cap)
{
	struct sb_signer *s = NULL;
	size_t len = 0;
	cr_assert_eq(sb_signer_new_hmac(SECRET, strlen(SECRET), &s), SB_OK);
	cr_assert_eq(sb_signer_sign(s, payload, strlen(payload), out, cap, &len), SB_OK);
	sb_signer_free(s);
	out[len] = '\0';
}

/*
 * Sends a signed WebSocket API request. sorted is "k=v&k=v" with the keys (apiKey and timestamp
 * included, as {TS} placeholders are not used: the caller passes ts) in name order; every value goes
 * out as a JSON string except timestamp, which is a number.
 */
static void wsapi_signed(struct wsc *c, int id, const char *method, const char *sorted)
{
	char sig[SB_SIGN_MAX + 1], params[2048];
	size_t used = 0;
	sign(sorted, sig, sizeof sig);
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", sorted);
	char *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		cr_assert_not_null(eq);
		*eq = '\0';
		bool is_num = strcmp(kv, "timestamp") == 0;
		int n = snprintf(params + used, sizeof params - used,
		                 is_num ? "\"%s\":%s," : "\"%s\":\"%s\",", kv, eq + 1);
		cr_assert(n > 0 && (size_t)n < sizeof params - used);
		used += (size_t)n;
	}
	send_text(c, "{\"id\":%d,\"method\":\"%s\",\"params\":{%s\"signature\":\"%s\"}}", id, method, params,
	          sig);
}

/* Subscribes c to KEY's user data with userDataStream.subscribe.signature; returns the subscriptionId. */
static int subscribe_user_data(struct wsc *c, int id)
{
	char payload[256], idtag[32];
	snprintf(payload, sizeof payload, "apiKey=%s&timestamp=%lld", KEY, (long long)sb_clock_wall_ms());
	wsapi_signed(c, id, "userDataStream.subscribe.signature", payload);
	snprintf(idtag, sizeof idtag, "\"id\":%d,", id);
	size_t at = WAIT_MSG(c, 0, idtag);
	cJSON *j = parse(c->msg[at]);
	cr_assert_eq((int)num(j, "status"), 200, "%s", c->msg[at]);
	int sub = (int)num(field(j, "result"), "subscriptionId");
	cJSON_Delete(j);
	return sub;
}

/* Switches a fault on ("name" or "name&value=V") or off ("name&value=off"). */
static void fault(const char *spec)
{
	char body[128];
	snprintf(body, sizeof body, "name=%s", spec);
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "POST", "/sim/fault", body, NULL, &r));
	cr_assert_eq(r.status, 200, "%s: %s", spec, r.body);
	sbt_response_free(&r);
}

/* Sends session.subscriptions with id and waits for the reply: everything queued before it has arrived. */
static size_t fence(struct wsc *c, int id)
{
	char tag[32];
	send_text(c, "{\"id\":%d,\"method\":\"session.subscriptions\"}", id);
	snprintf(tag, sizeof tag, "\"id\":%d,", id);
	return WAIT_MSG(c, 0, tag);
}

/* A listenKey for KEY and the /ws path of its stream. */
static void listen_key(char *key, size_t cap, char *path, size_t pcap)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "POST", "/api/v3/userDataStream", NULL, KEY, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = parse(r.body);
	snprintf(key, cap, "%s", str(j, "listenKey"));
	snprintf(path, pcap, "/ws/%s", key);
	cJSON_Delete(j);
	sbt_response_free(&r);
}

Test(spotsim_faults, drop_ws_drops_every_connection_without_a_close_frame)
{
	struct wsc *m = connect_to(0, "/ws/btcusdt@bookTicker");
	struct wsc *u = connect_to(1, "/ws-api/v3");
	fault("drop_ws");
	RUN_UNTIL(m->closes == 1 && u->closes == 1, DEADLINE_MS);
	cr_assert_eq(m->close.reason, SB_WS_CLOSE_DROPPED, "got %s",
	             sb_ws_close_reason_name(m->close.reason));
	cr_assert_eq(u->close.reason, SB_WS_CLOSE_DROPPED, "got %s",
	             sb_ws_close_reason_name(u->close.reason));
	cr_assert_eq(m->close.code, 0);
	/* The server still takes new connections. */
	connect_to(2, "/ws/btcusdt@bookTicker");
}

Test(spotsim_faults, hide_user_events_loses_the_events_of_its_time)
{
	struct wsc *c = connect_to(0, "/ws-api/v3");
	subscribe_user_data(c, 1);
	size_t subscribed = c->n;
	fault("hide_user_events");
	long long hidden = rest_resting_buy("hidden-1");
	size_t f = fence(c, 2);
	cr_assert_not_null(strstr(c->msg[f], "\"result\":[{\"subscriptionId\":0}]"),
	                   "the subscription stays open: %s", c->msg[f]);
	for (size_t i = subscribed; i < f; i++)
		cr_assert_null(strstr(c->msg[i], "\"event\""), "an event while hidden: %s", c->msg[i]);

	fault("hide_user_events&value=off");
	long long shown = rest_resting_buy("shown-1");
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", shown);
	size_t at = WAIT_MSG(c, f, "\"subscriptionId\":0", oid, "\"x\":\"NEW\"");
	WAIT_MSG(c, at, "\"e\":\"outboundAccountPosition\"");
	/* The events of the hidden order are gone for good, like a silently broken stream's. */
	size_t g = fence(c, 3);
	snprintf(oid, sizeof oid, "\"i\":%lld,", hidden);
	for (size_t i = 0; i < g; i++)
		cr_assert_null(strstr(c->msg[i], oid), "the hidden order's event came late: %s", c->msg[i]);
}

Test(spotsim_faults, expire_user_data_terminates_subscriptions_and_listen_keys)
{
	char key[128], path[160];
	listen_key(key, sizeof key, path, sizeof path);
	struct wsc *lk = connect_to(0, path);
	struct wsc *api = connect_to(1, "/ws-api/v3");
	subscribe_user_data(api, 1);

	fault("expire_user_data");
	size_t at = WAIT_MSG(api, 0, "\"e\":\"eventStreamTerminated\"");
	cJSON *j = parse(api->msg[at]);
	cr_assert_eq((int)num(j, "subscriptionId"), 0);
	cr_assert_gt(num(field(j, "event"), "E"), 1.5e12);
	cJSON_Delete(j);

	at = WAIT_MSG(lk, 0, "\"e\":\"listenKeyExpired\"");
	j = parse(lk->msg[at]);
	cr_assert_str_eq(str(j, "listenKey"), key);
	cJSON_Delete(j);
	RUN_UNTIL(lk->closes == 1, DEADLINE_MS);
	cr_assert_eq(lk->close.reason, SB_WS_CLOSE_PEER, "got %s", sb_ws_close_reason_name(lk->close.reason));
	cr_assert_eq(lk->close.code, 1000);
	cr_assert_str_eq(lk->close_text, "listenKey expired");

	/* The WebSocket API connection stays open, without subscriptions and without events. */
	size_t before = api->n;
	rest_resting_buy("after-expiry");
	size_t f = fence(api, 2);
	cr_assert_not_null(strstr(api->msg[f], "\"status\":200,\"result\":[]"), "%s", api->msg[f]);
	for (size_t i = before; i < f; i++)
		cr_assert_null(strstr(api->msg[i], "executionReport"), "%s", api->msg[i]);
	cr_assert_eq(api->closes, 0);
	/* The expired key is gone: keepalive fails with Binance's code. */
	struct sbt_response r;
	char q[160];
	snprintf(q, sizeof q, "listenKey=%s", key);
	cr_assert(sbt_http(sim.port, "PUT", "/api/v3/userDataStream", q, KEY, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "-1125"), "%s", r.body);
	sbt_response_free(&r);
}

static double server_time_offset(void)
{
	struct sbt_response r;
	int64_t before = sb_clock_wall_ms();
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/time", NULL, NULL, &r));
	int64_t after = sb_clock_wall_ms();
	cJSON *j = parse(r.body);
	double off = num(j, "serverTime") - (double)(before + after) / 2;
	cJSON_Delete(j);
	sbt_response_free(&r);
	return off;
}

Test(spotsim_faults, clock_skew_moves_server_time_and_rejects_the_old_clock)
{
	cr_assert_lt(fabs(server_time_offset()), 1000);
	fault("clock_skew_ms&value=60000");
	double off = server_time_offset();
	cr_assert(off > 59000 && off < 61000, "offset %.0f ms", off);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cJSON *j = parse(r.body);
	cr_assert_eq((int)num(j, "code"), -1021, "%s", r.body);
	cJSON_Delete(j);
	sbt_response_free(&r);

	fault("clock_skew_ms&value=-60000");
	off = server_time_offset();
	cr_assert(off < -59000 && off > -61000, "offset %.0f ms", off);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	cr_assert_not_null(strstr(r.body, "-1021"), "a timestamp ahead of the server: %s", r.body);
	sbt_response_free(&r);

	fault("clock_skew_ms&value=off");
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
}

Test(spotsim_faults, delay_ms_holds_every_response_back)
{
	fault("delay_ms&value=400");
	struct sbt_response r;
	uint64_t t0 = sb_clock_mono_ms();
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/ping", NULL, NULL, &r));
	uint64_t took = sb_clock_mono_ms() - t0;
	cr_assert_eq(r.status, 200);
	sbt_response_free(&r);
	cr_assert_geq(took, 400, "answered after %llu ms", (unsigned long long)took);
	t0 = sb_clock_mono_ms();
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	took = sb_clock_mono_ms() - t0;
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	cr_assert_geq(took, 400, "answered after %llu ms", (unsigned long long)took);
	fault("delay_ms&value=off");
}

Test(spotsim_faults, ws_lifetime_closes_connections_with_code_1000)
{
	uint64_t t0 = sb_clock_mono_ms();
	struct wsc *m = connect_to(0, "/stream?streams=btcusdt@bookTicker");
	struct wsc *u = connect_to(1, "/ws-api/v3");
	fault("ws_lifetime_s&value=1");
	RUN_UNTIL(m->closes == 1 && u->closes == 1, DEADLINE_MS);
	uint64_t took = sb_clock_mono_ms() - t0;
	cr_assert_geq(took, 1000, "closed after %llu ms", (unsigned long long)took);
	for (int i = 0; i < 2; i++) {
		struct wsc *c = i ? u : m;
		cr_assert_eq(c->close.reason, SB_WS_CLOSE_PEER, "got %s",
		             sb_ws_close_reason_name(c->close.reason));
		cr_assert_eq(c->close.code, 1000);
		cr_assert_str_eq(c->close_text, "connection lifetime reached");
	}
}

Test(spotsim_faults, shutdown_closes_connections_with_code_1001)
{
	struct wsc *m = connect_to(0, "/ws/btcusdt@bookTicker");
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
	sim_stopped = true;
	RUN_UNTIL(m->closes == 1, DEADLINE_MS);
	cr_assert_eq(m->close.reason, SB_WS_CLOSE_PEER, "got %s", sb_ws_close_reason_name(m->close.reason));
	cr_assert_eq(m->close.code, 1001);
	cr_assert_str_eq(m->close_text, "server shutting down");
}

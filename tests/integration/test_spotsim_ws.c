/*
 * spotsim's WebSocket side over real loopback sockets: market streams (combined, raw, SUBSCRIBE and
 * friends), server pings, the WebSocket API with user-data subscriptions and order.place, and the
 * legacy listenKey streams. spotsim runs as a child process; the client is the project's own sb_ws on
 * the test's uv loop. Every wait runs the loop until the awaited message has arrived, with a deadline
 * that fails the test; "nothing arrived" is shown with a fence (a later request whose reply must come
 * after anything the earlier action could have queued), never by sleeping.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbtest.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/sign.h"
#include "spotbot/ws_client.h"

#define KEY         "ws-key"
#define SECRET      "ws-secret"
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

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "11",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	memset(clients, 0, sizeof clients);
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
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_ws, .init = start, .fini = stop, .timeout = 90);

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

static void post_admin(const char *path)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "POST", path, NULL, NULL, &r));
	cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
	sbt_response_free(&r);
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

/* ---- market streams ------------------------------------------------------------------------------- */

Test(spotsim_ws, combined_stream_wraps_trade_and_book_ticker_payloads)
{
	struct wsc *c = connect_to(0, "/stream?streams=btcusdt@trade/btcusdt@bookTicker");
	/* A trade at a set price makes sure a trade event exists, whatever the synthetic market does. */
	double bid = best("bidPrice");
	char path[128];
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%.2f", bid);
	post_admin(path);

	size_t at = WAIT_MSG(c, 0, "\"stream\":\"btcusdt@trade\"");
	cJSON *j = parse(c->msg[at]);
	const cJSON *d = field(j, "data");
	cr_assert_str_eq(str(d, "e"), "trade");
	cr_assert_str_eq(str(d, "s"), "BTCUSDT");
	cr_assert_gt(num(d, "E"), 1.5e12);
	cr_assert_gt(num(d, "T"), 1.5e12);
	cr_assert_gt(num(d, "t"), 0);
	cr_assert_gt(dec(d, "p"), 0);
	cr_assert_gt(dec(d, "q"), 0);
	cr_assert(cJSON_IsBool(field(d, "m")));
	cr_assert(cJSON_IsBool(field(d, "M")));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(d, "b"), "@trade lost its order ids in 2024");
	cJSON_Delete(j);

	at = WAIT_MSG(c, 0, "\"stream\":\"btcusdt@bookTicker\"");
	j = parse(c->msg[at]);
	d = field(j, "data");
	cr_assert_str_eq(str(d, "s"), "BTCUSDT");
	cr_assert_gt(num(d, "u"), 0);
	cr_assert_gt(dec(d, "B"), 0);
	cr_assert_gt(dec(d, "A"), 0);
	cr_assert_lt(dec(d, "b"), dec(d, "a"), "bid below ask: %s", c->msg[at]);
	cJSON_Delete(j);
	for (size_t i = 0; i < c->n; i++)
		cr_assert(strncmp(c->msg[i], "{\"stream\":\"btcusdt@", 19) == 0, "unwrapped: %s", c->msg[i]);
}

Test(spotsim_ws, raw_stream_sends_bare_payloads)
{
	struct wsc *c = connect_to(0, "/ws/btcusdt@trade");
	char path[128];
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%.2f", best("askPrice"));
	post_admin(path);
	size_t at = WAIT_MSG(c, 0, "\"e\":\"trade\"");
	cJSON *j = parse(c->msg[at]);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(j, "stream"));
	cr_assert_str_eq(str(j, "s"), "BTCUSDT");
	cJSON_Delete(j);
}

Test(spotsim_ws, subscribe_list_and_unsubscribe_over_the_socket)
{
	struct wsc *c = connect_to(0, "/ws");
	send_text(
	    c, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\",\"bnbusdt@trade\"],\"id\":1}");
	size_t at = WAIT_MSG(c, 0, "\"id\":1");
	cr_assert_str_eq(c->msg[at], "{\"result\":null,\"id\":1}");
	WAIT_MSG(c, at, "\"s\":\"BTCUSDT\"", "\"b\":");

	send_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":2}");
	at = WAIT_MSG(c, 0, "\"id\":2");
	cJSON *j = parse(c->msg[at]);
	const cJSON *list = field(j, "result");
	cr_assert_eq(cJSON_GetArraySize(list), 2, "%s", c->msg[at]);
	bool book = false, trade = false;
	for (int i = 0; i < 2; i++) {
		const char *s = cJSON_GetArrayItem(list, i)->valuestring;
		book |= strcmp(s, "btcusdt@bookTicker") == 0;
		trade |= strcmp(s, "bnbusdt@trade") == 0;
	}
	cr_assert(book && trade, "%s", c->msg[at]);
	cJSON_Delete(j);

	send_text(c, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\"],\"id\":3}");
	size_t unsub = WAIT_MSG(c, 0, "\"id\":3");
	cr_assert_str_eq(c->msg[unsub], "{\"result\":null,\"id\":3}");
	/* Move BTC's book, then fence: no BTC book ticker may come between the UNSUBSCRIBE reply and the
	 * reply to a request sent after the price change was applied. */
	char path[128];
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%.2f", best("askPrice"));
	post_admin(path);
	send_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":4}");
	size_t fence = WAIT_MSG(c, 0, "\"id\":4");
	cr_assert_str_eq(c->msg[fence], "{\"result\":[\"bnbusdt@trade\"],\"id\":4}");
	for (size_t i = unsub + 1; i < fence; i++)
		cr_assert_null(strstr(c->msg[i], "BTCUSDT"), "after UNSUBSCRIBE: %s", c->msg[i]);
}

Test(spotsim_ws, too_many_messages_close_the_connection_with_a_policy_code)
{
	struct wsc *c = connect_to(0, "/ws");
	for (int i = 1; i <= 6; i++) /* Binance allows 5 incoming messages a second */
		send_text(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":%d}", i);
	RUN_UNTIL(c->closes == 1, DEADLINE_MS);
	cr_assert_eq(c->close.reason, SB_WS_CLOSE_PEER, "got %s (%s)",
	             sb_ws_close_reason_name(c->close.reason), c->close_text);
	cr_assert_eq(c->close.code, 1008);
	cr_assert_eq(find_msg(c, 0, NEEDLES("\"id\":6")), -1, "the sixth message is not answered");
	cr_assert_neq(find_msg(c, 0, NEEDLES("\"id\":5")), -1);
}

Test(spotsim_ws, server_answers_client_pings)
{
	char url[128];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/btcusdt@depth5", sim.port);
	struct sb_ws_opts o = {.url = url, .no_reconnect = true, .ping_ms = 50};
	struct wsc *c = &clients[0];
	cr_assert_eq(sb_ws_new(ctx, &o, &OPS, c, &c->ws), SB_OK);
	struct sb_ws_stats st = {0};
	RUN_UNTIL((sb_ws_stats(c->ws, &st), st.pongs >= 3), DEADLINE_MS);
}

/* Reads exactly n bytes from fd before deadline_ms (monotonic); false on timeout or EOF. */
static bool read_full(int fd, unsigned char *buf, size_t n, int64_t deadline_ms)
{
	size_t got = 0;
	while (got < n) {
		int left = (int)(deadline_ms - sb_clock_mono_ms());
		struct pollfd p = {fd, POLLIN, 0};
		if (left <= 0 || poll(&p, 1, left) <= 0)
			return false;
		ssize_t r = read(fd, buf + got, n - got);
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/*
 * The server's own pings, seen on the wire: a bare socket does the upgrade and reads frames until a
 * ping arrives. Binance (and spotsim, which is not configurable here) pings every 20 s.
 */
Test(spotsim_ws, server_pings_every_twenty_seconds, .timeout = 60)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)sim.port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	char req[512];
	int n =
	    snprintf(req, sizeof req,
	             "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
	             sim.port);
	cr_assert_eq(write(fd, req, (size_t)n), n);
	int64_t opened = sb_clock_mono_ms(), deadline = opened + 30000;
	char head[2048];
	size_t hl = 0;
	while (hl < sizeof head - 1 && !(hl >= 4 && memcmp(head + hl - 4, "\r\n\r\n", 4) == 0))
		cr_assert(read_full(fd, (unsigned char *)head + hl++, 1, deadline), "no upgrade response");
	head[hl] = '\0';
	cr_assert(strncmp(head, "HTTP/1.1 101", 12) == 0, "%s", head);
	for (;;) {
		unsigned char h[2], ext[8], payload[256];
		cr_assert(read_full(fd, h, 2, deadline), "no ping within 30 s");
		uint64_t len = h[1] & 0x7f;
		cr_assert_eq(h[1] & 0x80, 0, "server frames are not masked");
		if (len == 126 || len == 127) {
			size_t el = len == 126 ? 2 : 8;
			cr_assert(read_full(fd, ext, el, deadline));
			len = 0;
			for (size_t i = 0; i < el; i++)
				len = len << 8 | ext[i];
		}
		cr_assert_leq(len, sizeof payload, "only small frames are expected on an idle /ws");
		cr_assert(read_full(fd, payload, (size_t)len, deadline));
		if ((h[0] & 0x0f) == 0x9) {
			int64_t after = sb_clock_mono_ms() - opened;
			cr_assert_geq(after, 19000, "first ping after %lld ms", (long long)after);
			cr_assert_leq(after, 22000, "first ping after %lld ms", (long long)after);
			break;
		}
	}
	close(fd);
}

/* ---- WebSocket API ---------------------------------------------------------------------------------- */

Test(spotsim_ws, wsapi_subscription_receives_rest_order_events_in_order)
{
	struct wsc *c = connect_to(0, "/ws-api/v3");
	cr_assert_eq(subscribe_user_data(c, 1), 0);

	long long resting = rest_resting_buy("ws-rest-1");
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", resting);
	size_t at = WAIT_MSG(c, 0, "\"e\":\"executionReport\"", oid);
	cJSON *j = parse(c->msg[at]);
	cr_assert_eq((int)num(j, "subscriptionId"), 0);
	const cJSON *ev = field(j, "event");
	cr_assert_str_eq(str(ev, "x"), "NEW");
	cr_assert_str_eq(str(ev, "X"), "NEW");
	cr_assert_str_eq(str(ev, "c"), "ws-rest-1");
	cr_assert_str_eq(str(ev, "S"), "BUY");
	cr_assert_str_eq(str(ev, "o"), "LIMIT");
	cr_assert_str_eq(str(ev, "q"), "0.01000000");
	cr_assert_eq((long long)num(ev, "t"), -1);
	cr_assert(cJSON_IsTrue(field(ev, "w")));
	cJSON_Delete(j);
	size_t pos = WAIT_MSG(c, at, "\"e\":\"outboundAccountPosition\"");
	j = parse(c->msg[pos]);
	ev = field(j, "event");
	const cJSON *bal = field(ev, "B");
	cr_assert_eq(cJSON_GetArraySize(bal), 1, "only USDT changed: %s", c->msg[pos]);
	cr_assert_str_eq(str(cJSON_GetArrayItem(bal, 0), "a"), "USDT");
	cr_assert_gt(dec(cJSON_GetArrayItem(bal, 0), "l"), 0, "the order's funds are locked");
	cJSON_Delete(j);

	/* A marketable order: NEW, then TRADE fills, then the account position, in that order. */
	size_t before = c->n;
	long long taker = rest_order("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00200");
	snprintf(oid, sizeof oid, "\"i\":%lld,", taker);
	size_t nw = WAIT_MSG(c, before, oid, "\"x\":\"NEW\"");
	size_t tr = WAIT_MSG(c, before, oid, "\"x\":\"TRADE\"");
	size_t fin = WAIT_MSG(c, before, oid, "\"X\":\"FILLED\"");
	pos = WAIT_MSG(c, fin, "\"e\":\"outboundAccountPosition\"");
	cr_assert_lt(nw, tr);
	j = parse(c->msg[tr]);
	ev = field(j, "event");
	cr_assert_gt(num(ev, "t"), 0);
	cr_assert_gt(dec(ev, "l"), 0);
	cr_assert_gt(dec(ev, "L"), 0);
	cr_assert_str_eq(str(ev, "N"), "BTC", "a buy pays commission in the base asset");
	cr_assert(cJSON_IsFalse(field(ev, "m")));
	cJSON_Delete(j);
	j = parse(c->msg[pos]);
	cr_assert_eq(cJSON_GetArraySize(field(field(j, "event"), "B")), 2, "BTC and USDT: %s", c->msg[pos]);
	cJSON_Delete(j);
}

Test(spotsim_ws, wsapi_order_place_answers_and_streams_the_order)
{
	struct wsc *c = connect_to(0, "/ws-api/v3");
	subscribe_user_data(c, 1);
	char sorted[512];
	snprintf(sorted, sizeof sorted,
	         "apiKey=%s&newClientOrderId=ws-api-1&price=%.2f&quantity=0.01000&side=BUY&symbol=BTCUSDT"
	         "&timeInForce=GTC&timestamp=%lld&type=LIMIT",
	         KEY, best("bidPrice") * 0.9, (long long)sb_clock_wall_ms());
	wsapi_signed(c, 2, "order.place", sorted);
	size_t at = WAIT_MSG(c, 0, "\"id\":2,");
	cJSON *j = parse(c->msg[at]);
	cr_assert_eq((int)num(j, "status"), 200, "%s", c->msg[at]);
	const cJSON *res = field(j, "result");
	cr_assert_str_eq(str(res, "status"), "NEW");
	cr_assert_str_eq(str(res, "clientOrderId"), "ws-api-1");
	long long id = (long long)num(res, "orderId");
	cr_assert(cJSON_IsArray(field(j, "rateLimits")));
	cJSON_Delete(j);
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", id);
	WAIT_MSG(c, 0, "\"subscriptionId\":0", oid, "\"x\":\"NEW\"");

	/* The same order as seen by REST. */
	struct sbt_response r;
	char q[96];
	snprintf(q, sizeof q, "symbol=BTCUSDT&orderId=%lld", id);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", q, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"clientOrderId\":\"ws-api-1\""), "%s", r.body);
	sbt_response_free(&r);

	/* A bad signature is refused with Binance's code, and the connection stays usable. */
	send_text(c,
	          "{\"id\":3,\"method\":\"order.place\",\"params\":{\"apiKey\":\"%s\",\"symbol\":\"BTCUSDT\","
	          "\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":\"0.001\",\"timestamp\":%lld,"
	          "\"signature\":\"00\"}}",
	          KEY, (long long)sb_clock_wall_ms());
	at = WAIT_MSG(c, 0, "\"id\":3,");
	j = parse(c->msg[at]);
	cr_assert_eq((int)num(j, "status"), 400, "%s", c->msg[at]);
	cr_assert_eq((int)num(field(j, "error"), "code"), -1022, "%s", c->msg[at]);
	cJSON_Delete(j);
}

Test(spotsim_ws, listenkey_stream_receives_bare_execution_reports)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "POST", "/api/v3/userDataStream", NULL, KEY, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = parse(r.body);
	char path[160];
	snprintf(path, sizeof path, "/ws/%s", str(j, "listenKey"));
	cr_assert_eq(strlen(str(j, "listenKey")), 64);
	cJSON_Delete(j);
	sbt_response_free(&r);

	struct wsc *c = connect_to(0, path);
	long long id = rest_resting_buy("lk-1");
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", id);
	size_t at = WAIT_MSG(c, 0, oid);
	j = parse(c->msg[at]);
	cr_assert_str_eq(str(j, "e"), "executionReport");
	cr_assert_str_eq(str(j, "x"), "NEW");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(j, "subscriptionId"), "listenKey events are bare");
	cJSON_Delete(j);
	at = WAIT_MSG(c, at, "\"e\":\"outboundAccountPosition\"");
	cr_assert(strncmp(c->msg[at], "{\"e\":", 5) == 0, "%s", c->msg[at]);
}

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_sim.h"
#include "sbtest_ws.h"
#include "spotbot/clock.h"
#include "spotbot/ws_client.h"

#define KEY         "ws-key"
#define SECRET      "ws-secret"
#define DEADLINE_MS SBT_WS_DEADLINE_MS

/* ---- harness ------------------------------------------------------------------------------------- */

static struct sbt_proc sim;
static struct sbt_ws wsh;

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "11",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	sbt_ws_init(&wsh, sim.port);
}

static void stop(void)
{
	sbt_ws_fini(&wsh);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_ws, .init = start, .fini = stop, .timeout = 90);

/* ---- market streams ------------------------------------------------------------------------------- */

Test(spotsim_ws, combined_stream_wraps_trade_and_book_ticker_payloads)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/stream?streams=btcusdt@trade/btcusdt@bookTicker");
	/* A trade at a set price makes sure a trade event exists, whatever the synthetic market does. */
	double bid = sbt_sim_best(sim.port, "bidPrice");
	char path[128];
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%.2f", bid);
	sbt_sim_post(sim.port, path);

	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"stream\":\"btcusdt@trade\"");
	cJSON *j = sbt_jparse(c->msg[at]);
	const cJSON *d = sbt_jfield(j, "data");
	cr_assert_str_eq(sbt_jstr(d, "e"), "trade");
	cr_assert_str_eq(sbt_jstr(d, "s"), "BTCUSDT");
	cr_assert_gt(sbt_jnum(d, "E"), 1.5e12);
	cr_assert_gt(sbt_jnum(d, "T"), 1.5e12);
	cr_assert_gt(sbt_jnum(d, "t"), 0);
	cr_assert_gt(sbt_jdec(d, "p"), 0);
	cr_assert_gt(sbt_jdec(d, "q"), 0);
	cr_assert(cJSON_IsBool(sbt_jfield(d, "m")));
	cr_assert(cJSON_IsBool(sbt_jfield(d, "M")));
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(d, "b"), "@trade lost its order ids in 2024");
	cJSON_Delete(j);

	at = SBT_WS_WAIT(&wsh, c, 0, "\"stream\":\"btcusdt@bookTicker\"");
	j = sbt_jparse(c->msg[at]);
	d = sbt_jfield(j, "data");
	cr_assert_str_eq(sbt_jstr(d, "s"), "BTCUSDT");
	cr_assert_gt(sbt_jnum(d, "u"), 0);
	cr_assert_gt(sbt_jdec(d, "B"), 0);
	cr_assert_gt(sbt_jdec(d, "A"), 0);
	cr_assert_lt(sbt_jdec(d, "b"), sbt_jdec(d, "a"), "bid below ask: %s", c->msg[at]);
	cJSON_Delete(j);
	for (size_t i = 0; i < c->n; i++)
		cr_assert(strncmp(c->msg[i], "{\"stream\":\"btcusdt@", 19) == 0, "unwrapped: %s", c->msg[i]);
}

Test(spotsim_ws, raw_stream_sends_bare_payloads)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws/btcusdt@trade");
	char path[128];
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%.2f",
	         sbt_sim_best(sim.port, "askPrice"));
	sbt_sim_post(sim.port, path);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"e\":\"trade\"");
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(j, "stream"));
	cr_assert_str_eq(sbt_jstr(j, "s"), "BTCUSDT");
	cJSON_Delete(j);
}

Test(spotsim_ws, subscribe_list_and_unsubscribe_over_the_socket)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws");
	sbt_ws_send(
	    c, "{\"method\":\"SUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\",\"bnbusdt@trade\"],\"id\":1}");
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":1");
	cr_assert_str_eq(c->msg[at], "{\"result\":null,\"id\":1}");
	SBT_WS_WAIT(&wsh, c, at, "\"s\":\"BTCUSDT\"", "\"b\":");

	sbt_ws_send(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":2}");
	at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":2");
	cJSON *j = sbt_jparse(c->msg[at]);
	const cJSON *list = sbt_jfield(j, "result");
	cr_assert_eq(cJSON_GetArraySize(list), 2, "%s", c->msg[at]);
	bool book = false, trade = false;
	for (int i = 0; i < 2; i++) {
		const char *s = cJSON_GetArrayItem(list, i)->valuestring;
		book |= strcmp(s, "btcusdt@bookTicker") == 0;
		trade |= strcmp(s, "bnbusdt@trade") == 0;
	}
	cr_assert(book && trade, "%s", c->msg[at]);
	cJSON_Delete(j);

	sbt_ws_send(c, "{\"method\":\"UNSUBSCRIBE\",\"params\":[\"btcusdt@bookTicker\"],\"id\":3}");
	size_t unsub = SBT_WS_WAIT(&wsh, c, 0, "\"id\":3");
	cr_assert_str_eq(c->msg[unsub], "{\"result\":null,\"id\":3}");
	/* Move BTC's book, then fence: no BTC book ticker may come between the UNSUBSCRIBE reply and the
	 * reply to a request sent after the price change was applied. */
	char path[128];
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%.2f",
	         sbt_sim_best(sim.port, "askPrice"));
	sbt_sim_post(sim.port, path);
	sbt_ws_send(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":4}");
	size_t fence = SBT_WS_WAIT(&wsh, c, 0, "\"id\":4");
	cr_assert_str_eq(c->msg[fence], "{\"result\":[\"bnbusdt@trade\"],\"id\":4}");
	for (size_t i = unsub + 1; i < fence; i++)
		cr_assert_null(strstr(c->msg[i], "BTCUSDT"), "after UNSUBSCRIBE: %s", c->msg[i]);
}

Test(spotsim_ws, too_many_messages_close_the_connection_with_a_policy_code)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws");
	for (int i = 1; i <= 6; i++) /* Binance allows 5 incoming messages a second */
		sbt_ws_send(c, "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":%d}", i);
	SBT_RUN_UNTIL(&wsh.loop, c->closes == 1, DEADLINE_MS);
	cr_assert_eq(c->close.reason, SB_WS_CLOSE_PEER, "got %s (%s)",
	             sb_ws_close_reason_name(c->close.reason), c->close_text);
	cr_assert_eq(c->close.code, 1008);
	cr_assert_eq(sbt_ws_find(c, 0, SBT_NEEDLES("\"id\":6")), -1, "the sixth message is not answered");
	cr_assert_neq(sbt_ws_find(c, 0, SBT_NEEDLES("\"id\":5")), -1);
}

Test(spotsim_ws, server_answers_client_pings)
{
	char url[128];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws/btcusdt@depth5", sim.port);
	struct sb_ws_opts o = {.url = url, .no_reconnect = true, .ping_ms = 50};
	struct sbt_wsc *c = sbt_ws_open(&wsh, 0, &o);
	struct sb_ws_stats st = {0};
	SBT_RUN_UNTIL(&wsh.loop, (sb_ws_stats(c->ws, &st), st.pongs >= 3), DEADLINE_MS);
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
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	cr_assert_eq(sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1), 0);

	long long resting = sbt_sim_resting_buy(sim.port, KEY, SECRET, "ws-rest-1");
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", resting);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"e\":\"executionReport\"", oid);
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "subscriptionId"), 0);
	const cJSON *ev = sbt_jfield(j, "event");
	cr_assert_str_eq(sbt_jstr(ev, "x"), "NEW");
	cr_assert_str_eq(sbt_jstr(ev, "X"), "NEW");
	cr_assert_str_eq(sbt_jstr(ev, "c"), "ws-rest-1");
	cr_assert_str_eq(sbt_jstr(ev, "S"), "BUY");
	cr_assert_str_eq(sbt_jstr(ev, "o"), "LIMIT");
	cr_assert_str_eq(sbt_jstr(ev, "q"), "0.01000000");
	cr_assert_eq((long long)sbt_jnum(ev, "t"), -1);
	cr_assert(cJSON_IsTrue(sbt_jfield(ev, "w")));
	cJSON_Delete(j);
	size_t pos = SBT_WS_WAIT(&wsh, c, at, "\"e\":\"outboundAccountPosition\"");
	j = sbt_jparse(c->msg[pos]);
	ev = sbt_jfield(j, "event");
	const cJSON *bal = sbt_jfield(ev, "B");
	cr_assert_eq(cJSON_GetArraySize(bal), 1, "only USDT changed: %s", c->msg[pos]);
	cr_assert_str_eq(sbt_jstr(cJSON_GetArrayItem(bal, 0), "a"), "USDT");
	cr_assert_gt(sbt_jdec(cJSON_GetArrayItem(bal, 0), "l"), 0, "the order's funds are locked");
	cJSON_Delete(j);

	/* A marketable order: NEW, then TRADE fills, then the account position, in that order. */
	size_t before = c->n;
	long long taker =
	    sbt_sim_order(sim.port, KEY, SECRET, "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00200");
	snprintf(oid, sizeof oid, "\"i\":%lld,", taker);
	size_t nw = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"NEW\"");
	size_t tr = SBT_WS_WAIT(&wsh, c, before, oid, "\"x\":\"TRADE\"");
	size_t fin = SBT_WS_WAIT(&wsh, c, before, oid, "\"X\":\"FILLED\"");
	pos = SBT_WS_WAIT(&wsh, c, fin, "\"e\":\"outboundAccountPosition\"");
	cr_assert_lt(nw, tr);
	j = sbt_jparse(c->msg[tr]);
	ev = sbt_jfield(j, "event");
	cr_assert_gt(sbt_jnum(ev, "t"), 0);
	cr_assert_gt(sbt_jdec(ev, "l"), 0);
	cr_assert_gt(sbt_jdec(ev, "L"), 0);
	cr_assert_str_eq(sbt_jstr(ev, "N"), "BTC", "a buy pays commission in the base asset");
	cr_assert(cJSON_IsFalse(sbt_jfield(ev, "m")));
	cJSON_Delete(j);
	j = sbt_jparse(c->msg[pos]);
	cr_assert_eq(cJSON_GetArraySize(sbt_jfield(sbt_jfield(j, "event"), "B")), 2, "BTC and USDT: %s",
	             c->msg[pos]);
	cJSON_Delete(j);
}

Test(spotsim_ws, wsapi_order_place_answers_and_streams_the_order)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1);
	char sorted[512];
	snprintf(sorted, sizeof sorted,
	         "apiKey=%s&newClientOrderId=ws-api-1&price=%.2f&quantity=0.01000&side=BUY&symbol=BTCUSDT"
	         "&timeInForce=GTC&timestamp=%lld&type=LIMIT",
	         KEY, sbt_sim_best(sim.port, "bidPrice") * 0.9, (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c, SECRET, 2, "order.place", sorted);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":2,");
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 200, "%s", c->msg[at]);
	const cJSON *res = sbt_jfield(j, "result");
	cr_assert_str_eq(sbt_jstr(res, "status"), "NEW");
	cr_assert_str_eq(sbt_jstr(res, "clientOrderId"), "ws-api-1");
	long long id = (long long)sbt_jnum(res, "orderId");
	cr_assert(cJSON_IsArray(sbt_jfield(j, "rateLimits")));
	cJSON_Delete(j);
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", id);
	SBT_WS_WAIT(&wsh, c, 0, "\"subscriptionId\":0", oid, "\"x\":\"NEW\"");

	/* The same order as seen by REST. */
	struct sbt_response r;
	char q[96];
	snprintf(q, sizeof q, "symbol=BTCUSDT&orderId=%lld", id);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", q, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"clientOrderId\":\"ws-api-1\""), "%s", r.body);
	sbt_response_free(&r);

	/* A bad signature is refused with Binance's code, and the connection stays usable. */
	sbt_ws_send(
	    c,
	    "{\"id\":3,\"method\":\"order.place\",\"params\":{\"apiKey\":\"%s\",\"symbol\":\"BTCUSDT\","
	    "\"side\":\"BUY\",\"type\":\"MARKET\",\"quantity\":\"0.001\",\"timestamp\":%lld,"
	    "\"signature\":\"00\"}}",
	    KEY, (long long)sb_clock_wall_ms());
	at = SBT_WS_WAIT(&wsh, c, 0, "\"id\":3,");
	j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 400, "%s", c->msg[at]);
	cr_assert_eq((int)sbt_jnum(sbt_jfield(j, "error"), "code"), -1022, "%s", c->msg[at]);
	cJSON_Delete(j);
}

/* cJSON, which reads the frames, skips a leading byte order mark and takes every control character for
 * whitespace; the raw text spotsim echoes as the id (and signs parameters over) must be found the same way,
 * or the reply is not JSON. */
Test(spotsim_ws, wsapi_frame_with_a_byte_order_mark_and_control_whitespace_echoes_its_id)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_send(c, "\xEF\xBB\xBF{\"id\":\f\"bom-1\"\f,\"method\":\"ping\"}");
	size_t at = SBT_WS_WAIT(&wsh, c, 0, "bom-1");
	cr_assert(strncmp(c->msg[at], "{\"id\":\"bom-1\",", 14) == 0, "%s", c->msg[at]);
	cJSON *j = cJSON_Parse(c->msg[at]);
	cr_assert_not_null(j, "the reply must be JSON: %s", c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 200, "%s", c->msg[at]);
	cJSON_Delete(j);
}

Test(spotsim_ws, listenkey_stream_receives_bare_execution_reports)
{
	char key[128], path[160];
	sbt_sim_listen_key(sim.port, KEY, key, sizeof key);
	cr_assert_eq(strlen(key), 64);
	snprintf(path, sizeof path, "/ws/%s", key);

	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, path);
	long long id = sbt_sim_resting_buy(sim.port, KEY, SECRET, "lk-1");
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", id);
	size_t at = SBT_WS_WAIT(&wsh, c, 0, oid);
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_str_eq(sbt_jstr(j, "e"), "executionReport");
	cr_assert_str_eq(sbt_jstr(j, "x"), "NEW");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(j, "subscriptionId"), "listenKey events are bare");
	cJSON_Delete(j);
	at = SBT_WS_WAIT(&wsh, c, at, "\"e\":\"outboundAccountPosition\"");
	cr_assert(strncmp(c->msg[at], "{\"e\":", 5) == 0, "%s", c->msg[at]);
}

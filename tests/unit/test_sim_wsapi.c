/*
 * test_sim_wsapi.c - spotsim's WebSocket API and user-data streams, driven through
 * sim_userstreams_open/message/close without sockets: this file stands in for server.c's connection
 * functions (sim_ws_send and friends record what would be sent), and for the API methods and exchange
 * lookups that live in other modules, so what is checked here is this module's own work: framing and
 * id echo, JSON params to signed pairs (Binance's WebSocket test vector), weight and fault answers,
 * subscriptions and their envelope, session methods, listenKeys and their expiry.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/api_int.h"
#include "sim/userstreams.h"
#include "sim/userstreams_int.h"

/* ---- a connection without a socket ------------------------------------------------------------- */

#define MAX_SENT 64

struct sim_ws_conn {
	uint64_t id;          /* sim_ws_id */
	void *user;           /* sim_ws_user */
	char *sent[MAX_SENT]; /* messages queued, in order */
	size_t n_sent;        /* entries in sent */
	size_t read;          /* messages the test has consumed */
	bool closed;          /* sim_ws_close was called */
	uint16_t close_code;  /* its status */
};

bool sim_ws_send(struct sim_ws_conn *conn, const char *text, size_t len)
{
	cr_assert_lt(conn->n_sent, MAX_SENT);
	conn->sent[conn->n_sent++] = strndup(text, len);
	return true;
}

void sim_ws_close(struct sim_ws_conn *conn, uint16_t code, const char *reason)
{
	(void)reason;
	if (conn->closed)
		return;
	conn->closed = true;
	conn->close_code = code;
}

void sim_ws_set_user(struct sim_ws_conn *conn, void *user)
{
	conn->user = user;
}

void *sim_ws_user(const struct sim_ws_conn *conn)
{
	return conn->user;
}

uint64_t sim_ws_id(const struct sim_ws_conn *conn)
{
	return conn->id;
}

/* ---- the rest of the exchange, as far as this module needs it ---------------------------------- */

static int64_t clock_ms = 1700000000000;
static int place_calls;

__attribute__((weak)) int64_t sim_exchange_now(const struct sim_exchange *ex)
{
	(void)ex;
	return clock_ms;
}

__attribute__((weak)) struct sim_account *sim_exchange_account(struct sim_exchange *ex, const char *key,
                                                               size_t len)
{
	for (size_t i = 0; i < ex->naccounts; i++)
		if (strlen(ex->accounts[i].key) == len && memcmp(ex->accounts[i].key, key, len) == 0)
			return &ex->accounts[i];
	return NULL;
}

__attribute__((weak)) struct sim_account *sim_exchange_account_by_id(struct sim_exchange *ex, uint32_t id)
{
	for (size_t i = 0; i < ex->naccounts; i++)
		if (ex->accounts[i].id == id)
			return &ex->accounts[i];
	return NULL;
}

static void ok_json(struct sim_api_reply *r, const char *json)
{
	r->status = 200;
	r->json = strdup(json);
}

__attribute__((weak)) void sim_api_time(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[64];
	snprintf(buf, sizeof buf, "{\"serverTime\":%lld}", (long long)c->now_ms);
	ok_json(r, buf);
}

/* order.test answers with the signing payload of the pairs it was given and the account. */
__attribute__((weak)) void sim_api_order_test(struct sim_api_call *c, struct sim_api_reply *r)
{
	char payload[4096];
	size_t len;
	cr_assert_eq(sb_query_ws_payload(c->params, c->nparams, payload, sizeof payload, &len), SB_OK);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "payload", payload);
	cJSON_AddNumberToObject(o, "account", c->account ? (double)c->account->id : -1.0);
	cJSON_AddBoolToObject(o, "ws", c->ws);
	r->status = 200;
	r->json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
}

__attribute__((weak)) void sim_api_order_place(struct sim_api_call *c, struct sim_api_reply *r)
{
	place_calls++;
	/* The real method counts an accepted order in the account's windows. */
	c->account->orders_10s++;
	c->account->orders_1d++;
	r->order = true;
	ok_json(r, "{\"orderId\":1}");
}

/* order.cancelReplace answers a partial failure with its data object, as the real method does. */
__attribute__((weak)) void sim_api_order_cancel_replace(struct sim_api_call *c, struct sim_api_reply *r)
{
	(void)c;
	sim_api_error(r, 409, -2021, "Order cancel-replace partially failed.");
	r->data = strdup("{\"cancelResult\":\"SUCCESS\",\"newOrderResult\":\"FAILURE\"}");
}

#define UNUSED_METHOD(name)                                                                                  \
	__attribute__((weak)) void name(struct sim_api_call *c, struct sim_api_reply *r)                     \
	{                                                                                                    \
		(void)c;                                                                                     \
		sim_api_error(r, 500, -1000, "not in this test");                                            \
	}
UNUSED_METHOD(sim_api_ping)
UNUSED_METHOD(sim_api_exchange_info)
UNUSED_METHOD(sim_api_depth)
UNUSED_METHOD(sim_api_trades)
UNUSED_METHOD(sim_api_agg_trades)
UNUSED_METHOD(sim_api_klines)
UNUSED_METHOD(sim_api_avg_price)
UNUSED_METHOD(sim_api_ticker_24hr)
UNUSED_METHOD(sim_api_ticker_price)
UNUSED_METHOD(sim_api_book_ticker)
UNUSED_METHOD(sim_api_order_status)
UNUSED_METHOD(sim_api_order_cancel)
UNUSED_METHOD(sim_api_open_orders)
UNUSED_METHOD(sim_api_cancel_open_orders)
UNUSED_METHOD(sim_api_all_orders)
UNUSED_METHOD(sim_api_my_trades)
UNUSED_METHOD(sim_api_my_prevented_matches)
UNUSED_METHOD(sim_api_account)
UNUSED_METHOD(sim_api_account_commission)
UNUSED_METHOD(sim_api_rate_limit_order)

/* ---- fixture ----------------------------------------------------------------------------------- */

/* Binance's documented HMAC key pair (binance-spot-api.md section 3). */
#define KEY_A    "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define SECRET_A "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
#define KEY_B    "key-b"
#define SECRET_B "secret-b"

static struct {
	struct sim_exchange ex;
	struct sim_account accounts[3];
	struct sim_userstreams *us;
	struct sim_ws_conn conns[4];
} f;

#define KEY_ED "key-ed25519"

static const char *source_dir(void)
{
	const char *dir = getenv("SB_SOURCE_DIR");
	return dir ? dir : ".";
}

static int64_t test_clock(void *ctx)
{
	(void)ctx;
	return clock_ms;
}

static void setup(void)
{
	memset(&f, 0, sizeof f);
	clock_ms = 1700000000000;
	place_calls = 0;
	f.ex.weight.limit = 6000;
	f.ex.order_limit_10s = 100;
	f.ex.order_limit_1d = 200000;
	f.accounts[0].id = 2;
	snprintf(f.accounts[0].key, sizeof f.accounts[0].key, "%s", KEY_A);
	cr_assert_eq(sb_signer_new_hmac(SECRET_A, strlen(SECRET_A), &f.accounts[0].hmac), SB_OK);
	f.accounts[1].id = 3;
	snprintf(f.accounts[1].key, sizeof f.accounts[1].key, "%s", KEY_B);
	cr_assert_eq(sb_signer_new_hmac(SECRET_B, strlen(SECRET_B), &f.accounts[1].hmac), SB_OK);
	f.accounts[2].id = 4;
	snprintf(f.accounts[2].key, sizeof f.accounts[2].key, "%s", KEY_ED);
	char path[512];
	snprintf(path, sizeof path, "%s/tests/data/keys/ed25519-test.pub.pem", source_dir());
	FILE *pub = fopen(path, "rb");
	cr_assert(pub, "%s", path);
	char pem[1024];
	size_t pem_len = fread(pem, 1, sizeof pem, pub);
	fclose(pub);
	cr_assert_eq(sb_signer_new_ed25519_public_pem(pem, pem_len, &f.accounts[2].hmac), SB_OK);
	f.ex.accounts = f.accounts;
	f.ex.naccounts = 3;
	cr_assert_eq(sim_userstreams_new(&f.ex, &f.us), SB_OK);
	f.ex.userstreams = f.us;
	sim_userstreams_set_clock(f.us, test_clock, NULL);
	for (size_t i = 0; i < 4; i++)
		f.conns[i].id = i + 1;
}

static void teardown(void)
{
	for (size_t i = 0; i < 4; i++) {
		if (f.conns[i].user)
			sim_userstreams_close(f.us, &f.conns[i]);
		for (size_t j = 0; j < f.conns[i].n_sent; j++)
			free(f.conns[i].sent[j]);
	}
	sim_userstreams_free(f.us);
	sb_signer_free(f.accounts[0].hmac);
	sb_signer_free(f.accounts[1].hmac);
	sb_signer_free(f.accounts[2].hmac);
}

TestSuite(sim_wsapi, .init = setup, .fini = teardown);

static struct sim_ws_conn *open_conn(size_t i, const char *path)
{
	cr_assert(sim_userstreams_open(f.us, &f.conns[i], path), "path %s is the module's", path);
	return &f.conns[i];
}

static void send_text(struct sim_ws_conn *c, const char *text)
{
	sim_userstreams_message(f.us, c, text, strlen(text));
}

/* The next message the connection was sent, which must exist. */
static const char *next_msg(struct sim_ws_conn *c)
{
	cr_assert_lt(c->read, c->n_sent, "a message was sent (%zu so far)", c->n_sent);
	return c->sent[c->read++];
}

static void no_more(struct sim_ws_conn *c)
{
	cr_assert_eq(c->read, c->n_sent, "nothing more was sent; next: %s",
	             c->read < c->n_sent ? c->sent[c->read] : "");
}

/* Signs payload with a secret: hex HMAC-SHA256. */
static void sign(const char *secret, const char *payload, char *out)
{
	struct sb_signer *s;
	cr_assert_eq(sb_signer_new_hmac(secret, strlen(secret), &s), SB_OK);
	cr_assert_eq(sb_signer_sign(s, payload, strlen(payload), out, SB_SIGN_MAX, NULL), SB_OK);
	sb_signer_free(s);
}

/* Sends a userDataStream.subscribe.signature request for key/secret at the current clock. */
static void subscribe(struct sim_ws_conn *c, const char *id, const char *key, const char *secret)
{
	char payload[256], sig[SB_SIGN_MAX], req[512];
	snprintf(payload, sizeof payload, "apiKey=%s&timestamp=%lld", key, (long long)clock_ms);
	sign(secret, payload, sig);
	snprintf(req, sizeof req,
	         "{\"id\":%s,\"method\":\"userDataStream.subscribe.signature\",\"params\":{\"apiKey\":\"%s\","
	         "\"timestamp\":%lld,\"signature\":\"%s\"}}",
	         id, key, (long long)clock_ms, sig);
	send_text(c, req);
}

/* ---- framing ----------------------------------------------------------------------------------- */

Test(sim_wsapi, paths_it_owns)
{
	cr_assert(sim_userstreams_open(f.us, &f.conns[0], "/ws-api/v3"));
	cr_assert(sim_userstreams_open(f.us, &f.conns[1], "/ws-api/v3?returnRateLimits=false"));
	cr_assert_not(sim_userstreams_open(f.us, &f.conns[2], "/ws/btcusdt@trade"));
	cr_assert_not(sim_userstreams_open(f.us, &f.conns[2], "/stream?streams=btcusdt@trade"));
	cr_assert_not(sim_userstreams_open(f.us, &f.conns[2], "/ws"));
	cr_assert_not(sim_userstreams_open(f.us, &f.conns[2], "/ws-api/v2"));
}

Test(sim_wsapi, id_is_echoed_in_its_own_type_and_weight_counted)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3");
	send_text(c, "{\"id\":7,\"method\":\"time\"}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":7,\"status\":200,\"result\":{\"serverTime\":1700000000000},\"rateLimits\":[{"
	    "\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,"
	    "\"limit\":6000,\"count\":3}]}");
	send_text(c,
	          "{\"id\":\"e2a85d9f-07a5-4f94-8d5f-789dc3deb097\",\"method\":\"v3/time\",\"params\":{}}");
	cr_assert(strstr(next_msg(c), "{\"id\":\"e2a85d9f-07a5-4f94-8d5f-789dc3deb097\",\"status\":200,"));
	send_text(c, "{\"id\":null,\"method\":\"time\"}");
	cr_assert(strstr(next_msg(c), "{\"id\":null,\"status\":200,"));
	send_text(c, "{\"method\":\"time\"}");
	cr_assert(strstr(next_msg(c), "{\"id\":null,\"status\":200,"));
	/* Beyond 2^53: echoed as written, not through a double. */
	send_text(c, "{\"id\":12345678901234567890,\"method\":\"time\"}");
	const char *m = next_msg(c);
	cr_assert(strstr(m, "{\"id\":12345678901234567890,\"status\":200,"), "%s", m);
	cr_assert(strstr(m, "\"count\":7}"), "%s", m);
	no_more(c);
}

Test(sim_wsapi, malformed_requests_get_binance_errors)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	send_text(c, "{\"id\":1,\"method\":");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":null,\"status\":400,\"error\":{\"code\":-1135,\"msg\":\"Invalid JSON Request\"}}");
	send_text(c, "[1,2]");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":null,\"status\":400,\"error\":{\"code\":-1135,\"msg\":\"Invalid JSON Request\"}}");
	send_text(c, "{\"id\":2}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":2,\"status\":400,\"error\":{\"code\":-1102,\"msg\":\"Mandatory parameter 'method' "
	    "was not sent, was empty/null, or malformed.\"}}");
	send_text(c, "{\"id\":3,\"method\":\"time\",\"params\":[1]}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":3,\"status\":400,\"error\":{\"code\":-1135,\"msg\":\"Invalid 'params' in JSON "
	    "request; expected an object.\"}}");
	send_text(c, "{\"id\":4,\"method\":\"no.such.method\"}");
	cr_assert_str_eq(next_msg(c),
	                 "{\"id\":4,\"status\":400,\"error\":{\"code\":-1000,\"msg\":\"Unknown method.\"}}");
	send_text(c, "{\"id\":{\"a\":1},\"method\":\"time\"}");
	cr_assert(strstr(next_msg(c), "{\"id\":null,\"status\":400,\"error\":{\"code\":-1135,"));
	no_more(c);
	cr_assert_not(c->closed, "errors keep the connection open");
}

Test(sim_wsapi, return_rate_limits_per_request_overrides_the_url)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	send_text(c, "{\"id\":1,\"method\":\"time\"}");
	cr_assert_str_eq(next_msg(c), "{\"id\":1,\"status\":200,\"result\":{\"serverTime\":1700000000000}}");
	send_text(c, "{\"id\":2,\"method\":\"time\",\"params\":{\"returnRateLimits\":true}}");
	cr_assert(strstr(next_msg(c), "\"rateLimits\":[{"));
	struct sim_ws_conn *d = open_conn(1, "/ws-api/v3");
	send_text(d, "{\"id\":3,\"method\":\"time\",\"params\":{\"returnRateLimits\":false}}");
	cr_assert_str_eq(next_msg(d), "{\"id\":3,\"status\":200,\"result\":{\"serverTime\":1700000000000}}");
}

/* ---- params and signatures --------------------------------------------------------------------- */

Test(sim_wsapi, binance_websocket_signature_vector_places_the_order)
{
	/* Vector 3: the params in another order than sorted; numbers as JSON numbers, decimals as strings. */
	clock_ms = 1645423376532 + 40;
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3");
	send_text(c,
	          "{\"id\":\"56374a46-3061-486b-a311-99ee972eb648\",\"method\":\"order.place\",\"params\":{"
	          "\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\","
	          "\"price\":\"52000.00\",\"quantity\":\"0.01000000\",\"apiKey\":\"" KEY_A "\","
	          "\"signature\":\"aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24\","
	          "\"recvWindow\":100,\"timestamp\":1645423376532}}");
	cr_assert_eq(place_calls, 1);
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":\"56374a46-3061-486b-a311-99ee972eb648\",\"status\":200,\"result\":{\"orderId\":1},"
	    "\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
	    "\"intervalNum\":1,\"limit\":6000,\"count\":3},{\"rateLimitType\":\"ORDERS\",\"interval\":"
	    "\"SECOND\",\"intervalNum\":10,\"limit\":100,\"count\":1},{\"rateLimitType\":\"ORDERS\","
	    "\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":200000,\"count\":1}]}");
	cr_assert_eq(f.accounts[0].orders_10s, 1);

	/* One character changed in a value: the signature no longer matches. */
	send_text(c, "{\"id\":2,\"method\":\"order.place\",\"params\":{"
	             "\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\","
	             "\"price\":\"52000.01\",\"quantity\":\"0.01000000\",\"apiKey\":\"" KEY_A "\","
	             "\"signature\":\"aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24\","
	             "\"recvWindow\":100,\"timestamp\":1645423376532}}");
	cr_assert_eq(place_calls, 1);
	cr_assert(strstr(next_msg(c),
	                 "{\"id\":2,\"status\":400,\"error\":{\"code\":-1022,\"msg\":\"Signature for this "
	                 "request is not valid.\"}"));
	/* Past the 100 ms window. */
	clock_ms = 1645423376532 + 101;
	send_text(c, "{\"id\":3,\"method\":\"order.place\",\"params\":{"
	             "\"symbol\":\"BTCUSDT\",\"side\":\"SELL\",\"type\":\"LIMIT\",\"timeInForce\":\"GTC\","
	             "\"price\":\"52000.00\",\"quantity\":\"0.01000000\",\"apiKey\":\"" KEY_A "\","
	             "\"signature\":\"aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24\","
	             "\"recvWindow\":100,\"timestamp\":1645423376532}}");
	cr_assert(strstr(next_msg(c), "\"error\":{\"code\":-1021,"));
	cr_assert_eq(place_calls, 1);
}

Test(sim_wsapi, params_keep_the_text_the_client_signed)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	char payload[512], sig[SB_SIGN_MAX], req[1024];
	snprintf(payload, sizeof payload,
	         "apiKey=" KEY_B
	         "&big=12345678901234567890&dec=1.50&exp=1e-7&flag=true&list=[1, \"x\"]&neg=-3"
	         "&no=false&text=a\"b\\c&timestamp=%lld",
	         (long long)clock_ms);
	sign(SECRET_B, payload, sig);
	snprintf(req, sizeof req,
	         "{\"id\":1,\"method\":\"order.test\",\"params\":{ \"text\" : \"a\\\"b\\\\c\", \"dec\":1.50,"
	         "\"big\":12345678901234567890,\"exp\":1e-7,\"neg\":-3,\"flag\":true,\"no\":false,"
	         "\"list\":[1, \"x\"],\"gone\":null,\"apiKey\":\"" KEY_B "\",\"timestamp\":%lld,"
	         "\"signature\":\"%s\"}}",
	         (long long)clock_ms, sig);
	send_text(c, req);
	const char *m = next_msg(c);
	cJSON *r = cJSON_Parse(m);
	cr_assert(r, "%s", m);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(r, "status")->valuedouble, 200, "%s", m);
	cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "payload")->valuestring, payload);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(res, "account")->valuedouble, 3);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res, "ws")));
	cJSON_Delete(r);
}

Test(sim_wsapi, signed_method_without_key_or_with_duplicates_is_refused)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	send_text(c, "{\"id\":1,\"method\":\"order.test\",\"params\":{\"timestamp\":1}}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":1,\"status\":401,\"error\":{\"code\":-2014,\"msg\":\"API-key format invalid.\"}}");
	send_text(c,
	          "{\"id\":2,\"method\":\"order.test\",\"params\":{\"apiKey\":\"nobody\",\"timestamp\":1}}");
	cr_assert(strstr(next_msg(c), "\"status\":401,\"error\":{\"code\":-2015,"));
	send_text(c,
	          "{\"id\":3,\"method\":\"order.test\",\"params\":{\"apiKey\":\"key-b\",\"a\":1,\"a\":2}}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":3,\"status\":400,\"error\":{\"code\":-1101,\"msg\":\"Duplicate values for a "
	    "parameter detected.\"}}");
}

/* ---- weight and faults ------------------------------------------------------------------------- */

Test(sim_wsapi, weight_limit_answers_429_with_retry_after)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3");
	f.ex.weight.used = 6000;
	send_text(c, "{\"id\":1,\"method\":\"time\"}");
	const char *m = next_msg(c);
	/* retryAfter is when the current minute's counter resets, in ms. */
	int64_t minute_end = clock_ms - clock_ms % 60000 + 60000;
	int64_t wait_s = (minute_end - clock_ms + 999) / 1000;
	char want[256];
	snprintf(
	    want, sizeof want,
	    "{\"id\":1,\"status\":429,\"error\":{\"code\":-1003,\"msg\":\"Too much request weight used; current "
	    "limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid "
	    "polling the API.\",\"data\":{\"retryAfter\":%lld}}",
	    (long long)(clock_ms + wait_s * 1000));
	cr_assert(strncmp(m, want, strlen(want)) == 0, "%s", m);
}

static const char *place_req(char *buf, size_t cap, int id)
{
	char payload[256], sig[SB_SIGN_MAX];
	snprintf(payload, sizeof payload, "apiKey=" KEY_B "&quantity=1&symbol=BTCUSDT&timestamp=%lld",
	         (long long)clock_ms);
	sign(SECRET_B, payload, sig);
	snprintf(buf, cap,
	         "{\"id\":%d,\"method\":\"order.place\",\"params\":{\"symbol\":\"BTCUSDT\",\"quantity\":1,"
	         "\"apiKey\":\"" KEY_B "\",\"timestamp\":%lld,\"signature\":\"%s\"}}",
	         id, (long long)clock_ms, sig);
	return buf;
}

Test(sim_wsapi, order_faults_answer_503_before_or_after_executing)
{
	char req[512];
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	f.ex.faults.order_5xx_before = true;
	send_text(c, place_req(req, sizeof req, 1));
	cr_assert_eq(place_calls, 0, "the order never reached the engine");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":1,\"status\":503,\"error\":{\"code\":-1007,\"msg\":\"Timeout waiting for response "
	    "from backend server. Send status unknown; execution status unknown.\"}}");
	f.ex.faults.order_5xx_before = false;
	f.ex.faults.order_5xx_after = true;
	send_text(c, place_req(req, sizeof req, 2));
	cr_assert_eq(place_calls, 1, "the order was executed");
	cr_assert(strstr(next_msg(c), "{\"id\":2,\"status\":503,\"error\":{\"code\":-1007,"));
	/* Other methods are not affected. */
	send_text(c, "{\"id\":3,\"method\":\"time\"}");
	cr_assert(strstr(next_msg(c), "{\"id\":3,\"status\":200,"));
	f.ex.faults.order_5xx_after = false;
	send_text(c, place_req(req, sizeof req, 4));
	cr_assert_eq(place_calls, 2);
	cr_assert_str_eq(next_msg(c), "{\"id\":4,\"status\":200,\"result\":{\"orderId\":1}}");
}

Test(sim_wsapi, error_data_object_goes_inside_the_error)
{
	char payload[256], sig[SB_SIGN_MAX], req[1024];
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	snprintf(payload, sizeof payload, "apiKey=%s&symbol=BTCUSDT&timestamp=%lld", KEY_A,
	         (long long)clock_ms);
	sign(SECRET_A, payload, sig);
	snprintf(req, sizeof req,
	         "{\"id\":5,\"method\":\"order.cancelReplace\",\"params\":{\"apiKey\":\"%s\","
	         "\"symbol\":\"BTCUSDT\",\"timestamp\":%lld,\"signature\":\"%s\"}}",
	         KEY_A, (long long)clock_ms, sig);
	send_text(c, req);
	cr_assert_str_eq(next_msg(c),
	                 "{\"id\":5,\"status\":409,\"error\":{\"code\":-2021,\"msg\":\"Order cancel-replace "
	                 "partially failed.\",\"data\":{\"cancelResult\":\"SUCCESS\",\"newOrderResult\":"
	                 "\"FAILURE\"}}}");
	no_more(c);
}

/* ---- user-data subscriptions ------------------------------------------------------------------- */

Test(sim_wsapi, signed_subscription_delivers_enveloped_events_until_unsubscribed)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	subscribe(c, "\"s1\"", KEY_A, SECRET_A);
	cr_assert_str_eq(next_msg(c), "{\"id\":\"s1\",\"status\":200,\"result\":{\"subscriptionId\":0}}");
	subscribe(c, "2", KEY_A, SECRET_A);
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":2,\"status\":400,\"error\":{\"code\":-2035,\"msg\":\"User Data Stream subscription "
	    "already active.\"}}");

	const char *ev = "{\"e\":\"outboundAccountPosition\",\"E\":1,\"u\":1,\"B\":[]}";
	sim_userstreams_deliver(f.us, 2, ev, strlen(ev));
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"subscriptionId\":0,\"event\":{\"e\":\"outboundAccountPosition\",\"E\":1,\"u\":1,\"B\":[]}}");
	sim_userstreams_deliver(f.us, 3, ev, strlen(ev));
	no_more(c);

	send_text(c, "{\"id\":3,\"method\":\"session.subscriptions\"}");
	cr_assert_str_eq(next_msg(c), "{\"id\":3,\"status\":200,\"result\":[{\"subscriptionId\":0}]}");

	send_text(c,
	          "{\"id\":4,\"method\":\"userDataStream.unsubscribe\",\"params\":{\"subscriptionId\":0}}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"subscriptionId\":0,\"event\":{\"e\":\"eventStreamTerminated\",\"E\":1700000000000}}");
	cr_assert_str_eq(next_msg(c), "{\"id\":4,\"status\":200,\"result\":{}}");
	sim_userstreams_deliver(f.us, 2, ev, strlen(ev));
	no_more(c);

	/* Ids are not reused on the connection. */
	subscribe(c, "5", KEY_A, SECRET_A);
	cr_assert_str_eq(next_msg(c), "{\"id\":5,\"status\":200,\"result\":{\"subscriptionId\":1}}");
	send_text(c,
	          "{\"id\":6,\"method\":\"userDataStream.unsubscribe\",\"params\":{\"subscriptionId\":0}}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":6,\"status\":400,\"error\":{\"code\":-2036,\"msg\":\"User Data Stream subscription "
	    "not active.\"}}");
}

/* A subscriptionId is digits only, at most ten of them; anything else names the parameter. */
Test(sim_wsapi, a_malformed_subscription_id_is_an_illegal_parameter)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	subscribe(c, "1", KEY_A, SECRET_A);
	cr_assert_str_eq(next_msg(c), "{\"id\":1,\"status\":200,\"result\":{\"subscriptionId\":0}}");
	const char *bad[] = {"-1", "1.5", "\"0x\"", "12345678901", "\"\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char req[160];
		snprintf(
		    req, sizeof req,
		    "{\"id\":2,\"method\":\"userDataStream.unsubscribe\",\"params\":{\"subscriptionId\":%s}}",
		    bad[i]);
		send_text(c, req);
		cr_assert_str_eq(
		    next_msg(c),
		    "{\"id\":2,\"status\":400,\"error\":{\"code\":-1100,\"msg\":\"Illegal characters "
		    "found in parameter 'subscriptionId'.\"}}",
		    "%s", bad[i]);
	}
	send_text(c, "{\"id\":3,\"method\":\"userDataStream.unsubscribe\",\"params\":{\"subscriptionId\":"
	             "\"0000000000\"}}");
	cr_assert(strstr(next_msg(c), "eventStreamTerminated"), "ten digits name subscription 0");
	cr_assert_str_eq(next_msg(c), "{\"id\":3,\"status\":200,\"result\":{}}");
}

Test(sim_wsapi, one_connection_may_hold_several_accounts)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	struct sim_ws_conn *d = open_conn(1, "/ws-api/v3?returnRateLimits=false");
	subscribe(c, "1", KEY_A, SECRET_A);
	subscribe(c, "2", KEY_B, SECRET_B);
	subscribe(d, "3", KEY_B, SECRET_B);
	cr_assert(strstr(next_msg(c), "\"subscriptionId\":0}"));
	cr_assert(strstr(next_msg(c), "\"subscriptionId\":1}"));
	cr_assert(strstr(next_msg(d), "\"subscriptionId\":0}"));
	const char *ev = "{\"e\":\"balanceUpdate\"}";
	sim_userstreams_deliver(f.us, 3, ev, strlen(ev));
	cr_assert_str_eq(next_msg(c), "{\"subscriptionId\":1,\"event\":{\"e\":\"balanceUpdate\"}}");
	cr_assert_str_eq(next_msg(d), "{\"subscriptionId\":0,\"event\":{\"e\":\"balanceUpdate\"}}");
	no_more(c);

	/* Without a subscriptionId every subscription ends. */
	send_text(c, "{\"id\":4,\"method\":\"userDataStream.unsubscribe\"}");
	cr_assert(strstr(next_msg(c), "{\"subscriptionId\":0,\"event\":{\"e\":\"eventStreamTerminated\""));
	cr_assert(strstr(next_msg(c), "{\"subscriptionId\":1,\"event\":{\"e\":\"eventStreamTerminated\""));
	cr_assert_str_eq(next_msg(c), "{\"id\":4,\"status\":200,\"result\":{}}");
	send_text(c, "{\"id\":5,\"method\":\"userDataStream.unsubscribe\"}");
	cr_assert(strstr(next_msg(c), "\"code\":-2036"));
	/* A closed connection gets nothing more. */
	sim_userstreams_close(f.us, d);
	sim_userstreams_deliver(f.us, 3, ev, strlen(ev));
	no_more(d);
}

Test(sim_wsapi, subscription_signature_is_checked)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	subscribe(c, "1", KEY_A, SECRET_B);
	cr_assert(strstr(next_msg(c), "{\"id\":1,\"status\":400,\"error\":{\"code\":-1022,"));
	send_text(
	    c, "{\"id\":2,\"method\":\"userDataStream.subscribe.signature\",\"params\":{\"apiKey\":\"" KEY_A
	       "\"}}");
	cr_assert(strstr(next_msg(c), "{\"id\":2,\"status\":400,\"error\":{\"code\":-1102,"));
	send_text(c, "{\"id\":3,\"method\":\"session.subscriptions\"}");
	cr_assert_str_eq(next_msg(c), "{\"id\":3,\"status\":200,\"result\":[]}");
}

Test(sim_wsapi, hidden_user_events_reach_nobody)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	subscribe(c, "1", KEY_A, SECRET_A);
	next_msg(c);
	f.ex.faults.hide_user_events = true;
	const char *ev = "{\"e\":\"executionReport\"}";
	sim_userstreams_deliver(f.us, 2, ev, strlen(ev));
	no_more(c);
	cr_assert_not(c->closed);
	f.ex.faults.hide_user_events = false;
	sim_userstreams_deliver(f.us, 2, ev, strlen(ev));
	cr_assert(strstr(next_msg(c), "\"event\":{\"e\":\"executionReport\"}}"));
}

/* ---- sessions ---------------------------------------------------------------------------------- */

Test(sim_wsapi, hmac_accounts_cannot_log_on_and_session_reports_none)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	char payload[256], sig[SB_SIGN_MAX], req[512];
	snprintf(payload, sizeof payload, "apiKey=" KEY_A "&timestamp=%lld", (long long)clock_ms);
	sign(SECRET_A, payload, sig);
	snprintf(req, sizeof req,
	         "{\"id\":1,\"method\":\"session.logon\",\"params\":{\"apiKey\":\"" KEY_A
	         "\",\"timestamp\":%lld,\"signature\":\"%s\"}}",
	         (long long)clock_ms, sig);
	send_text(c, req);
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":1,\"status\":401,\"error\":{\"code\":-1002,\"msg\":\"You are not authorized to "
	    "execute this request.\"}}");
	send_text(c, "{\"id\":2,\"method\":\"userDataStream.subscribe\"}");
	cr_assert(strstr(next_msg(c), "{\"id\":2,\"status\":401,\"error\":{\"code\":-1002,"));
	send_text(c, "{\"id\":3,\"method\":\"session.status\"}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":3,\"status\":200,\"result\":{\"apiKey\":null,\"authorizedSince\":null,"
	    "\"connectedSince\":1700000000000,\"returnRateLimits\":false,\"serverTime\":1700000000000,"
	    "\"userDataStream\":false}}");
	subscribe(c, "4", KEY_A, SECRET_A);
	next_msg(c);
	clock_ms += 5;
	send_text(c, "{\"id\":5,\"method\":\"session.logout\"}");
	/* A signed subscription is not the session's: it survives the logout. */
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"id\":5,\"status\":200,\"result\":{\"apiKey\":null,\"authorizedSince\":null,"
	    "\"connectedSince\":1700000000000,\"returnRateLimits\":false,\"serverTime\":1700000000005,"
	    "\"userDataStream\":true}}");
	no_more(c);
}

/* ---- listenKeys -------------------------------------------------------------------------------- */

static void rest_call(sim_api_fn fn, struct sim_account *a, const char *listen_key, struct sim_api_reply *r)
{
	struct sb_query_pair p = {.key = "listenKey", .key_len = 9};
	if (listen_key) {
		p.val = listen_key;
		p.val_len = strlen(listen_key);
	}
	struct sim_api_call call = {
	    .ex = &f.ex, .params = &p, .nparams = listen_key ? 1 : 0, .account = a, .now_ms = clock_ms};
	memset(r, 0, sizeof *r);
	fn(&call, r);
}

/* POST /api/v3/userDataStream for account a; the key goes to key (65 bytes). */
static void create_key(struct sim_account *a, char *key)
{
	struct sim_api_reply r;
	rest_call(sim_api_listenkey_create, a, NULL, &r);
	cr_assert_eq(r.status, 200);
	cJSON *j = cJSON_Parse(r.json);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "listenKey");
	cr_assert(cJSON_IsString(k), "%s", r.json);
	cr_assert_eq(strlen(k->valuestring), 64);
	memcpy(key, k->valuestring, 65);
	cJSON_Delete(j);
	free(r.json);
}

Test(sim_wsapi, listen_key_stream_gets_bare_events_and_expires_after_an_hour)
{
	char key[65], again[65], path[80];
	create_key(&f.accounts[0], key);
	clock_ms += 1000;
	create_key(&f.accounts[0], again);
	cr_assert_str_eq(again, key, "one key per account; a second POST returns it");
	snprintf(path, sizeof path, "/ws/%s", key);
	struct sim_ws_conn *s = open_conn(0, path);
	const char *ev = "{\"e\":\"executionReport\",\"E\":5}";
	sim_userstreams_deliver(f.us, 2, ev, strlen(ev));
	cr_assert_str_eq(next_msg(s), ev);
	sim_userstreams_deliver(f.us, 3, ev, strlen(ev));
	no_more(s);

	/* Valid for 60 minutes from the last POST. */
	clock_ms += 3600000 - 1;
	sim_userstreams_check_expiry(f.us);
	no_more(s);
	cr_assert_not(s->closed);
	clock_ms += 1;
	sim_userstreams_check_expiry(f.us);
	char want[200];
	snprintf(want, sizeof want, "{\"e\":\"listenKeyExpired\",\"E\":%lld,\"listenKey\":\"%s\"}",
	         (long long)clock_ms, key);
	cr_assert_str_eq(next_msg(s), want);
	cr_assert(s->closed);
	sim_userstreams_deliver(f.us, 2, ev, strlen(ev));
	no_more(s);

	struct sim_api_reply r;
	rest_call(sim_api_listenkey_keepalive, &f.accounts[0], key, &r);
	cr_assert_eq(r.status, 400);
	cr_assert_eq(r.code, -1125);
	cr_assert_str_eq(r.msg, "This listenKey does not exist.");
}

Test(sim_wsapi, keepalive_extends_and_delete_closes)
{
	char key[65], path[80];
	create_key(&f.accounts[1], key);
	snprintf(path, sizeof path, "/ws/%s", key);
	struct sim_ws_conn *s = open_conn(0, path);
	struct sim_api_reply r;
	clock_ms += 1800000;
	rest_call(sim_api_listenkey_keepalive, &f.accounts[1], key, &r);
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.json, "{}");
	free(r.json);
	clock_ms += 3600000 - 1;
	sim_userstreams_check_expiry(f.us);
	cr_assert_not(s->closed, "kept alive 30 minutes in");
	/* Another account cannot touch it. */
	rest_call(sim_api_listenkey_close, &f.accounts[0], key, &r);
	cr_assert_eq(r.code, -1125);
	rest_call(sim_api_listenkey_close, &f.accounts[1], NULL, &r);
	cr_assert_eq(r.code, -1102);
	rest_call(sim_api_listenkey_close, &f.accounts[1], key, &r);
	cr_assert_eq(r.status, 200);
	free(r.json);
	cr_assert(s->closed);
	/* Unknown keys are accepted as WebSockets and closed. */
	struct sim_ws_conn *u = open_conn(1, path);
	cr_assert(u->closed);
	cr_assert_null(u->user);
}

Test(sim_wsapi, expire_all_ends_subscriptions_and_listen_keys)
{
	char key[65], path[80];
	create_key(&f.accounts[0], key);
	snprintf(path, sizeof path, "/ws/%s", key);
	struct sim_ws_conn *s = open_conn(0, path);
	struct sim_ws_conn *c = open_conn(1, "/ws-api/v3?returnRateLimits=false");
	subscribe(c, "1", KEY_B, SECRET_B);
	next_msg(c);
	sim_userstreams_expire_all(f.us);
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"subscriptionId\":0,\"event\":{\"e\":\"eventStreamTerminated\",\"E\":1700000000000}}");
	cr_assert(strstr(next_msg(s), "{\"e\":\"listenKeyExpired\",\"E\":1700000000000,\"listenKey\":\""));
	cr_assert(s->closed);
	cr_assert_not(c->closed, "the WebSocket API connection stays");
	const char *ev = "{}";
	sim_userstreams_deliver(f.us, 3, ev, 2);
	no_more(c);
	/* The connection can subscribe again. */
	subscribe(c, "2", KEY_B, SECRET_B);
	cr_assert_str_eq(next_msg(c), "{\"id\":2,\"status\":200,\"result\":{\"subscriptionId\":1}}");
}

Test(sim_wsapi, expiry_timer_lives_on_the_exchange_loop)
{
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sim_exchange ex = {.loop = &loop};
	struct sim_userstreams *us;
	cr_assert_eq(sim_userstreams_new(&ex, &us), SB_OK);
	sim_userstreams_stop(us);
	uv_run(&loop, UV_RUN_NOWAIT);
	sim_userstreams_free(us);
	cr_assert_eq(uv_loop_close(&loop), 0, "every handle was closed");
}

Test(sim_wsapi, ed25519_session_logon_subscribes_and_logout_ends_it)
{
	struct sim_ws_conn *c = open_conn(0, "/ws-api/v3?returnRateLimits=false");
	char path[512], payload[256], sig[SB_SIGN_MAX], req[512];
	snprintf(path, sizeof path, "%s/tests/data/keys/ed25519-test.pem", source_dir());
	struct sb_signer *priv;
	cr_assert_eq(sb_signer_new_ed25519_file(path, &priv), SB_OK);
	snprintf(payload, sizeof payload, "apiKey=" KEY_ED "&timestamp=%lld", (long long)clock_ms);
	cr_assert_eq(sb_signer_sign(priv, payload, strlen(payload), sig, sizeof sig, NULL), SB_OK);
	sb_signer_free(priv);
	snprintf(req, sizeof req,
	         "{\"id\":1,\"method\":\"session.logon\",\"params\":{\"apiKey\":\"" KEY_ED
	         "\",\"timestamp\":%lld,\"signature\":\"%s\"}}",
	         (long long)clock_ms, sig);
	send_text(c, req);
	cr_assert_str_eq(next_msg(c),
	                 "{\"id\":1,\"status\":200,\"result\":{\"apiKey\":\"" KEY_ED "\",\"authorizedSince\":"
	                 "1700000000000,\"connectedSince\":1700000000000,\"returnRateLimits\":false,"
	                 "\"serverTime\":1700000000000,\"userDataStream\":false}}");
	/* A signed method now runs as the session's account without apiKey or signature. */
	send_text(c, "{\"id\":2,\"method\":\"order.test\",\"params\":{\"timestamp\":1700000000000}}");
	cr_assert(strstr(
	    next_msg(c),
	    "{\"id\":2,\"status\":200,\"result\":{\"payload\":\"timestamp=1700000000000\",\"account\":4,"));
	send_text(c, "{\"id\":3,\"method\":\"userDataStream.subscribe\"}");
	cr_assert_str_eq(next_msg(c), "{\"id\":3,\"status\":200,\"result\":{\"subscriptionId\":0}}");
	const char *ev = "{\"e\":\"executionReport\"}";
	sim_userstreams_deliver(f.us, 4, ev, strlen(ev));
	cr_assert_str_eq(next_msg(c), "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\"}}");
	send_text(c, "{\"id\":4,\"method\":\"session.logout\"}");
	cr_assert_str_eq(
	    next_msg(c),
	    "{\"subscriptionId\":0,\"event\":{\"e\":\"eventStreamTerminated\",\"E\":1700000000000}}");
	cr_assert(strstr(next_msg(c), "{\"id\":4,\"status\":200,\"result\":{\"apiKey\":null,"));
	sim_userstreams_deliver(f.us, 4, ev, strlen(ev));
	no_more(c);
}

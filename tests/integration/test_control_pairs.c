/*
 * test_control_pairs.c - editing trade pairs through the running daemon against spotsim over loopback:
 * POST /pairs adds a listed symbol that the daemon then trades (a buy reaches spotsim) and that survives a
 * restart; an unlisted symbol, an existing pair, a bad setting, bad JSON and a missing or wrong token are
 * refused with nothing persisted; POST /pairs/SYMBOL changes settings in trade_pairs and GET /pairs;
 * enable/disable flip the flag; and the CLI's `pairs add|set|enable|disable` with its exit codes (2 for a
 * typo caught before any request, 3 with no daemon).
 *
 * The daemon listens on a unix socket in the test's directory (test_bot_util.h); requests go through
 * libcurl with CURLOPT_UNIX_SOCKET_PATH.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN    "pairs-test-token"
#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"

/* A POST with body, or a GET when body is NULL, within 10 s. */
static bool req(const char *path, const char *token, const char *body, struct ctl_resp *r)
{
	return ctl_send(body ? "POST" : "GET", path, token, body, 10000L, r);
}

/* POSTs body and asserts the status. */
static void post(const char *path, const char *token, const char *body, long want, struct ctl_resp *r)
{
	cr_assert(req(path, token, body, r), "POST %s answered", path);
	cr_assert_eq(r->status, want, "POST %s %s: %ld %s", path, body, r->status, r->body);
}

/* The "error" text of an answer. */
static void error_of(const struct ctl_resp *r, char *out, size_t cap)
{
	cJSON *j = cJSON_Parse(r->body);
	cr_assert(j, "JSON: %s", r->body);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	cr_assert(cJSON_IsString(e), "an error text: %s", r->body);
	snprintf(out, cap, "%s", e->valuestring);
	cJSON_Delete(j);
}

/* settings.<key> of pair symbol in GET /pairs; "" when the pair is absent. */
static void listed_setting(const char *symbol, const char *key, char *out, size_t cap)
{
	struct ctl_resp r;
	cr_assert(req("/pairs", NULL, NULL, &r));
	cr_assert_eq(r.status, 200);
	cJSON *j = cJSON_Parse(r.body);
	cr_assert(j);
	out[0] = '\0';
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(j, "pairs"))
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "symbol");
		if (!cJSON_IsString(s) || strcmp(s->valuestring, symbol) != 0)
			continue;
		const cJSON *v =
		    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "settings"), key);
		cr_assert(cJSON_IsString(v), "settings.%s of %s: %s", key, symbol, r.body);
		snprintf(out, cap, "%s", v->valuestring);
	}
	cJSON_Delete(j);
}

/* Starts spotsim and the daemon with BTCUSDT and waits until it trades. */
static void start(void)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	struct ctl_resp r;
	SBT_WAIT_UNTIL((req("/health", NULL, NULL, &r) && r.status == 200) || !bt_running(), 20000,
	               "the daemon to become healthy: %s", r.body);
	cr_assert(bt_running(), "the daemon runs");
}

/* Predicate: the daemon placed a buy on symbol that the exchange acknowledged. */
static bool has_acked_buy(struct sb_store *st, void *arg)
{
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	struct sb_store_order_filter f = {.symbol = arg};
	if (sb_store_order_list(st, &f, &rows, &n) != SB_OK)
		return false;
	bool found = false;
	for (size_t i = 0; i < n; i++)
		found = found || (rows[i].side == SB_SIDE_BUY && rows[i].exchange_order_id > 0);
	free(rows);
	return found;
}

/* The trade_pairs row of symbol; false when there is none. */
static bool pair_row(const char *symbol, struct sb_store_pair *out)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	sb_err e = sb_store_pair_get(st, symbol, out);
	sb_store_close(st);
	cr_assert(e == SB_OK || e == SB_ERR_NOT_FOUND, "%s", sb_strerror(e));
	return e == SB_OK;
}

/* Predicate: an event pair.added of symbol is recorded. */
static bool pair_added(struct sb_store *st, void *arg)
{
	struct sb_store_event *rows = NULL;
	size_t n = 0, k = 0;
	struct sb_store_event_filter f = {.kind = "pair.added"};
	if (sb_store_event_list(st, &f, &rows, &n) != SB_OK)
		return false;
	for (size_t i = 0; i < n; i++)
		k += strcmp(rows[i].symbol, arg) == 0;
	sb_store_events_free(rows, n);
	return k > 0;
}

TestSuite(control_pairs, .fini = bt_cleanup, .timeout = 120);

Test(control_pairs, cli_adds_a_listed_pair_that_is_traded_changed_and_kept_across_a_restart)
{
	start();
	char out[4096];
	cr_assert_eq(CLI_OUT(out, "pairs", "add", "ETHUSDT", "quote=15", "profit=0.8%"), 0);
	cr_assert_str_eq(out, "added ETHUSDT:quote=15,profit=0.8%\n");
	/* Traded at once: its buy reaches the exchange. */
	cr_assert(bt_wait(has_acked_buy, "ETHUSDT", 20000), "a buy of ETHUSDT is placed");
	cr_assert_geq(bt_count("/api/v3/allOrders", "symbol=ETHUSDT", "\"orderId\""), 1);
	struct sb_store_pair row;
	cr_assert(pair_row("ETHUSDT", &row));
	cr_assert(row.enabled);
	cr_assert_eq(row.quote_per_cycle, SB_DEC_C(15, 0));
	cr_assert_eq(row.target_profit, SB_DEC_C(0, 800000));
	cr_assert_eq(bt_count_events("pair.added", "ETHUSDT", NULL), 1);
	char v[64];
	listed_setting("ETHUSDT", "profit", v, sizeof v);
	cr_assert_str_eq(v, "0.8%");
	/* Its metrics series appear with its first order. */
	struct ctl_resp m;
	cr_assert(ctl_wait("/metrics", 200,
	                   "spotbot_orders_total{outcome=\"placed\",side=\"BUY\",symbol=\"ETHUSDT\"} 1",
	                   10000, &m),
	          "%s", m.body);
	cr_assert(strstr(m.body, "spotbot_open_positions{symbol=\"ETHUSDT\"} 1\n"), "%s", m.body);

	/* Adding it again is a conflict, from the CLI and the API. */
	cr_assert_eq(CLI("pairs", "add", "ETHUSDT", "quote=15"), 1);
	struct ctl_resp r;
	post("/pairs", TOKEN, "{\"symbol\":\"ETHUSDT\",\"settings\":{\"quote\":\"15\"}}", 409, &r);
	cr_assert_eq(bt_count_events("pair.added", "ETHUSDT", NULL), 1);

	/* set: the database, GET /pairs and one event with what changed. */
	cr_assert_eq(CLI_OUT(out, "pairs", "set", "ETHUSDT", "profit=1%", "max_positions=2"), 0);
	cr_assert_str_eq(out, "ETHUSDT: profit 0.8% -> 1%, max_positions 1 -> 2\n");
	cr_assert(pair_row("ETHUSDT", &row));
	cr_assert_eq(row.target_profit, SB_DEC_C(0, 1000000));
	cr_assert_eq(row.max_positions, 2);
	listed_setting("ETHUSDT", "profit", v, sizeof v);
	cr_assert_str_eq(v, "1%");
	listed_setting("ETHUSDT", "max_positions", v, sizeof v);
	cr_assert_str_eq(v, "2");
	cr_assert_eq(bt_count_events("pair.updated", "ETHUSDT", NULL), 1);
	cr_assert_eq(CLI_OUT(out, "pairs", "set", "ETHUSDT", "profit=1%", "--json"), 0);
	cr_assert(strstr(out, "\"changed\":{}"), "an unchanged value is no change: %s", out);
	cr_assert_eq(bt_count_events("pair.updated", "ETHUSDT", NULL), 1);

	/* disable / enable. */
	cr_assert_eq(CLI("pairs", "disable", "ETHUSDT"), 0);
	cr_assert(pair_row("ETHUSDT", &row));
	cr_assert(!row.enabled);
	listed_setting("ETHUSDT", "enabled", v, sizeof v);
	cr_assert_str_eq(v, "false");
	cr_assert_eq(CLI("pairs", "enable", "ETHUSDT"), 0);
	cr_assert(pair_row("ETHUSDT", &row));
	cr_assert(row.enabled);
	listed_setting("ETHUSDT", "enabled", v, sizeof v);
	cr_assert_str_eq(v, "true");
	cr_assert_eq(CLI("pairs", "enable", "XRPUSDT"), 1, "an unknown pair is refused");
	cr_assert_eq(CLI("pairs", "set", "XRPUSDT", "profit=1%"), 1);

	/* The table is the truth at the next start: the added pair is back with its settings. */
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	bt_start_bot();
	cr_assert(bt_wait(bt_state_is, "trading", 20000), "trading again");
	listed_setting("ETHUSDT", "profit", v, sizeof v);
	cr_assert_str_eq(v, "1%");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_pairs, refusals_persist_nothing)
{
	start();
	struct ctl_resp r;
	char msg[512];
	/* Not listed by the exchange: 422 once exchangeInfo has answered, and no row, no event. */
	post("/pairs", TOKEN, "{\"symbol\":\"XRPUSDT\",\"settings\":{\"quote\":\"15\"}}", 422, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert_str_eq(msg, "XRPUSDT is not listed by the exchange");
	struct sb_store_pair row;
	cr_assert(!pair_row("XRPUSDT", &row));
	cr_assert_eq(bt_count_events("pair.added", "XRPUSDT", NULL), 0);
	cr_assert_eq(CLI("pairs", "add", "XRPUSDT", "quote=15"), 1);

	/* Bad settings: the pairs.h texts. */
	post("/pairs", TOKEN, "{\"symbol\":\"BNBUSDT\",\"settings\":{\"quote\":\"15\",\"profit\":\"0.8\"}}",
	     422, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert_str_eq(msg, "profit: expected a percentage like 0.5%, got '0.8' (did you mean 0.8%?)");
	post("/pairs", TOKEN, "{\"symbol\":\"BNBUSDT\",\"settings\":{\"profit\":\"0.8%\"}}", 422, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert_str_eq(msg, "quote: required");
	post("/pairs", TOKEN, "{\"symbol\":\"BNBUSDT\",\"settings\":{\"quote\":\"15\",\"speed\":\"2\"}}", 422,
	     &r);
	error_of(&r, msg, sizeof msg);
	cr_assert_str_eq(msg, "speed: unknown key");
	post("/pairs", TOKEN, "{\"symbol\":\"bnb-usdt\",\"settings\":{\"quote\":\"15\"}}", 422, &r);
	post("/pairs/BTCUSDT", TOKEN, "{\"settings\":{\"max_positions\":\"0\"}}", 422, &r);
	cr_assert(!pair_row("BNBUSDT", &row));

	/* Malformed bodies: 400 naming what is wrong. */
	post("/pairs", TOKEN, "{\"symbol\":\"BNBUSDT\",", 400, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert(strstr(msg, "not valid JSON"), "%s", msg);
	post("/pairs", TOKEN, "[1]", 400, &r);
	post("/pairs", TOKEN, "{\"settings\":{\"quote\":\"15\"}}", 400, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert(strstr(msg, "symbol"), "%s", msg);
	post("/pairs", TOKEN, "{\"symbol\":\"BNBUSDT\",\"settings\":{\"quote\":15}}", 400, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert(strstr(msg, "settings.quote"), "%s", msg);
	post("/pairs", TOKEN, "{\"symbol\":\"BNBUSDT\",\"colour\":\"red\"}", 400, &r);
	error_of(&r, msg, sizeof msg);
	cr_assert(strstr(msg, "colour"), "%s", msg);
	post("/pairs/BTCUSDT", TOKEN, "{\"settings\":{}}", 400, &r);
	post("/pairs/XRPUSDT", TOKEN, "{\"settings\":{\"profit\":\"1%\"}}", 404, &r);
	post("/pairs/XRPUSDT/enable", TOKEN, "", 404, &r);

	/* No token or a wrong one: 401 on every pair edit, and nothing changed. */
	static const char *const paths[] = {"/pairs", "/pairs/BTCUSDT", "/pairs/BTCUSDT/disable"};
	for (size_t i = 0; i < 3; i++) {
		const char *body = i == 0   ? "{\"symbol\":\"BNBUSDT\",\"settings\":{\"quote\":\"15\"}}"
		                   : i == 1 ? "{\"settings\":{\"profit\":\"2%\"}}"
		                            : "";
		post(paths[i], "", body, 401, &r);
		post(paths[i], "wrong-token", body, 401, &r);
	}
	cr_assert(!pair_row("BNBUSDT", &row));
	cr_assert(pair_row("BTCUSDT", &row));
	cr_assert(row.enabled);
	cr_assert_eq(row.target_profit, SB_DEC_C(0, 500000));
	cr_assert_eq(bt_count_events("pair.updated", "BTCUSDT", NULL), 0);

	/* A typo in the CLI: exit 2 before any request (the daemon would have said 422: exit 1). */
	cr_assert_eq(CLI("pairs", "add", "BNBUSDT", "quote=15", "profit=0.8"), 2);
	cr_assert_eq(CLI("pairs", "set", "BTCUSDT", "speed=2"), 2);
	cr_assert_eq(bt_count_events("pair.updated", "BTCUSDT", NULL), 0);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_pairs, cli_without_daemon_exits_3_and_checks_arguments_first)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "CONTROL_TOKEN=" TOKEN);
	cr_assert_eq(CLI("pairs", "add", "ETHUSDT", "quote=15"), 3);
	cr_assert_eq(CLI("pairs", "set", "ETHUSDT", "profit=1%"), 3);
	cr_assert_eq(CLI("pairs", "enable", "ETHUSDT"), 3);
	cr_assert_eq(CLI("pairs", "disable", "ETHUSDT"), 3);
	cr_assert_eq(CLI("pairs", "remove", "ETHUSDT"), 3);
	/* Exit 2, not 3: the arguments are refused before anything is sent. */
	cr_assert_eq(CLI("pairs", "add", "ETHUSDT", "quote=15", "profit=0.8"), 2, "percent without %%");
	cr_assert_eq(CLI("pairs", "add", "ETHUSDT", "profit=0.8%"), 2, "quote is required");
	cr_assert_eq(CLI("pairs", "add", "ETHUSDT", "quote"), 2, "not key=value");
	cr_assert_eq(CLI("pairs", "add", "eth-usdt", "quote=15"), 2);
	cr_assert_eq(CLI("pairs", "add"), 2);
	cr_assert_eq(CLI("pairs", "set", "ETHUSDT"), 2, "nothing to set");
	cr_assert_eq(CLI("pairs", "set", "ETHUSDT", "buy_timeout=60"), 2);
	cr_assert_eq(CLI("pairs", "enable"), 2);
	cr_assert_eq(CLI("pairs", "enable", "ETHUSDT", "BTCUSDT"), 2);
	cr_assert_eq(CLI("pairs", "disable", "ETHUSDT", "--bogus"), 2);
	cr_assert_eq(CLI("pairs", "remove"), 2, "a symbol is required");
	cr_assert_eq(CLI("pairs", "remove", "ETHUSDT", "quote=15"), 2, "remove takes no settings");
	char out[4096];
	cr_assert_eq(CLI_OUT(out, "pairs", "add", "--help"), 0);
	cr_assert(strstr(out, "usage: spotbot pairs add SYMBOL key=value..."), "%s", out);
}

Test(control_pairs, an_addition_outlives_its_client_and_a_stop_while_waiting_is_clean)
{
	start();
	/* Every exchange answer now takes a second: the client gives up first, the addition goes on. */
	bt_fault("delay_ms", "1000");
	struct ctl_resp r;
	cr_assert(!ctl_send("POST", "/pairs", TOKEN,
	                    "{\"symbol\":\"ETHUSDT\",\"settings\":{\"quote\":\"15\"}}", 200L, &r),
	          "the client times out: %ld %s", r.status, r.body);
	cr_assert(bt_wait(pair_added, "ETHUSDT", 10000), "the pair is added without its client");
	char v[64];
	listed_setting("ETHUSDT", "quote", v, sizeof v);
	cr_assert_str_eq(v, "15");

	/* A stop while the exchange is being asked: the waiting client gets 503 or a closed connection, the
	 * daemon stops cleanly (exit 0 under the leak checker) and nothing is written. */
	fflush(NULL);
	pid_t client = fork();
	cr_assert_geq(client, 0);
	if (client == 0) {
		struct ctl_resp cr;
		bool answered =
		    ctl_send("POST", "/pairs", TOKEN,
		             "{\"symbol\":\"BNBUSDT\",\"settings\":{\"quote\":\"15\"}}", 10000L, &cr);
		_exit(answered ? (int)(cr.status / 100) : 0);
	}
	cr_assert(bt_log_has("asking the exchange about BNBUSDT", 10000), "the request reached the daemon");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	int status = 0;
	cr_assert_eq(waitpid(client, &status, 0), client);
	cr_assert(WIFEXITED(status));
	cr_assert(WEXITSTATUS(status) == 5 || WEXITSTATUS(status) == 0, "503 or no answer, not %d",
	          WEXITSTATUS(status));
	struct sb_store_pair row;
	cr_assert(!pair_row("BNBUSDT", &row));
	bt_fault("delay_ms", "0");
}

/*
 * test_control.c - the daemon's control API against spotsim over loopback: /health through start-up and
 * the kill switch, the bearer token on acting endpoints, the refusal of a non-loopback listener without a
 * token, the CLI's pause/resume (and exit 3 with no daemon), and a manual sell that closes an open
 * position at market. /metrics is checked in test_monitor.c.
 *
 * The daemon listens on a unix socket in the test's directory (test_bot_util.h); requests go through
 * libcurl with CURLOPT_UNIX_SOCKET_PATH.
 */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN    "control-test-token"
#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"
#define TICK     SB_DEC_C(0, 1000000) /* BTCUSDT's tick in spotsim's catalogue: 0.01 */

static void start(const char *pairs)
{
	bt_start_sim(NULL);
	bt_write_env(pairs, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
}

TestSuite(control, .fini = bt_cleanup, .timeout = 120);

/* Asks /health once (the answer into *r): true on 200; a 503 must say why, and nothing else may come. */
static bool healthy(struct ctl_resp *r)
{
	if (!ctl("GET", "/health", NULL, r))
		return false;
	if (r->status == 503) {
		char reason[64];
		field(r->body, "reason", reason, sizeof reason);
		cr_assert(reason[0], "a 503 says why: %s", r->body);
		return false;
	}
	cr_assert_eq(r->status, 200, "%ld %s", r->status, r->body);
	return true;
}

Test(control, health_is_200_trading_and_still_200_when_paused)
{
	start(PAIR_BTC);
	struct ctl_resp r;
	/* Until trading, /health answers 503 with a reason (or the socket is not up yet). */
	SBT_WAIT_UNTIL(healthy(&r), 20000, "the daemon to become healthy (%ld %s)", r.status, r.body);
	cr_assert(strstr(r.body, "\"trading\""), "%s", r.body);

	cr_assert(ctl("POST", "/pause", TOKEN, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(ctl("GET", "/health", NULL, &r));
	cr_assert_eq(r.status, 200, "paused deliberately is healthy: %s", r.body);
	cr_assert(strstr(r.body, "\"paused\""), "%s", r.body);
	cr_assert(ctl("GET", "/status", NULL, &r));
	char v[32];
	field(r.body, "paused", v, sizeof v);
	cr_assert_str_eq(v, "true");
	field(r.body, "state", v, sizeof v);
	cr_assert_str_eq(v, "paused");
	/* The kill switch is durable: the database says so too. */
	struct sb_store *st = bt_db();
	cr_assert(st);
	cr_assert_eq(sb_store_state_get(st, SB_STORE_KEY_PAUSED, v, sizeof v), SB_OK);
	cr_assert_str_eq(v, "1");
	sb_store_close(st);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control, cli_status_shows_the_live_daemon_and_the_database)
{
	start(PAIR_BTC);
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);
	/* Until the buy's execution report has come on the user stream. */
	SBT_WAIT_UNTIL(ctl("GET", "/status", NULL, &r) && !strstr(r.body, "\"user_event_age_ms\":null"),
	               20000, "an event on the user stream: %s", r.body);
	cr_assert_eq(CLI("status", "--json"), 0, "%s", CLI_RUN.err);
	cJSON *doc = cJSON_Parse(CLI_RUN.out);
	cr_assert(doc, "JSON: %s", CLI_RUN.out);
	const cJSON *live = cJSON_GetObjectItemCaseSensitive(doc, "live");
	cr_assert(cJSON_IsObject(live), "the daemon's own view: %s", CLI_RUN.out);
	const cJSON *state = cJSON_GetObjectItemCaseSensitive(live, "state");
	cr_assert(cJSON_IsString(state) && strcmp(state->valuestring, "trading") == 0, "%s", CLI_RUN.out);
	const cJSON *streams = cJSON_GetObjectItemCaseSensitive(live, "streams");
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(streams, "market")), "%s", CLI_RUN.out);
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(streams, "user")), "%s", CLI_RUN.out);
	/* The buy's execution report came on the user stream (the frozen test market may send nothing). */
	cr_assert(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(streams, "user_event_age_ms")), "%s",
	          CLI_RUN.out);
	/* The account pays no commission in BNB (spotsim's default), so no BNB price is followed. */
	const cJSON *bnb = cJSON_GetObjectItemCaseSensitive(live, "bnb_prices");
	cr_assert(cJSON_IsObject(bnb), "%s", CLI_RUN.out);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(bnb, "USDT"), "%s", CLI_RUN.out);
	const cJSON *daemon = cJSON_GetObjectItemCaseSensitive(doc, "daemon");
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(daemon, "running")), "%s", CLI_RUN.out);
	/* The version: the daemon's in /status, and both the daemon's and the program's in the CLI's view. */
	const cJSON *version = cJSON_GetObjectItemCaseSensitive(live, "version");
	cr_assert(cJSON_IsString(version) && strcmp(version->valuestring, SB_VERSION) == 0, "%s",
	          CLI_RUN.out);
	version = cJSON_GetObjectItemCaseSensitive(daemon, "version");
	cr_assert(cJSON_IsString(version) && strcmp(version->valuestring, SB_VERSION) == 0, "%s",
	          CLI_RUN.out);
	version = cJSON_GetObjectItemCaseSensitive(doc, "version");
	cr_assert(cJSON_IsString(version) && strcmp(version->valuestring, SB_VERSION) == 0, "%s",
	          CLI_RUN.out);
	cJSON_Delete(doc);

	cr_assert_eq(CLI("status"), 0, "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.out, "run state       trading (reported by the daemon)\n"), "%s",
	          CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "mode            paper (reported by the daemon)\n"), "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "version         " SB_VERSION
	                              " (reported by the daemon; this program is " SB_VERSION ")\n"),
	          "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "paused          no\n"), "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "market stream   up, "), "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "user   stream   up, last event "), "%s", CLI_RUN.out);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);

	/* Stopped: the database's record only, no live view. */
	cr_assert_eq(CLI("status", "--json"), 0, "%s", CLI_RUN.err);
	doc = cJSON_Parse(CLI_RUN.out);
	cr_assert(doc);
	cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "live")), "%s", CLI_RUN.out);
	const cJSON *rs = cJSON_GetObjectItemCaseSensitive(doc, "run_state");
	cr_assert(cJSON_IsString(rs) && strcmp(rs->valuestring, "stopped") == 0, "%s", CLI_RUN.out);
	const cJSON *last = cJSON_GetObjectItemCaseSensitive(doc, "last_stream_event_at");
	cr_assert(cJSON_IsString(last), "the last stream event was recorded: %s", CLI_RUN.out);
	cJSON_Delete(doc);
}

Test(control, acting_endpoints_need_the_token)
{
	start(PAIR_BTC);
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);
	cr_assert(ctl("POST", "/pause", "", &r));
	cr_assert_eq(r.status, 401, "no token: %s", r.body);
	cr_assert(ctl("POST", "/pause", "wrong-token", &r));
	cr_assert_eq(r.status, 401, "bad token: %s", r.body);
	cr_assert(ctl("POST", "/positions/1/sell", TOKEN "x", &r));
	cr_assert_eq(r.status, 401, "a longer token: %s", r.body);
	cr_assert(ctl("GET", "/status", NULL, &r));
	cr_assert_eq(r.status, 200, "the configured token reads: %s", r.body);
	char v[32];
	field(r.body, "paused", v, sizeof v);
	cr_assert_str_eq(v, "false", "nothing was paused by the refused requests");
	cr_assert(ctl("GET", "/nothing-here", NULL, &r));
	cr_assert_eq(r.status, 404);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control, non_loopback_listener_without_token_exits_2)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	/* The environment overrides the file, so the .env's unix socket gives way to a public address. */
	cr_assert_eq(setenv("CONTROL_LISTEN", "0.0.0.0:18431", 1), 0);
	bt_start_bot();
	unsetenv("CONTROL_LISTEN");
	int status = 0;
	cr_assert(sbt_reap(T.bot, 20000, &status), "the daemon refuses to start");
	T.bot = 0;
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 2);
}

Test(control, cli_resume_lifts_a_pause_and_pause_per_symbol)
{
	start(PAIR_BTC);
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);
	cr_assert_eq(CLI("pause"), 0);
	cr_assert(ctl("GET", "/status", NULL, &r));
	cr_assert(strstr(r.body, "\"paused\":true"), "%s", r.body);
	cr_assert_eq(CLI("resume"), 0);
	cr_assert(ctl("GET", "/status", NULL, &r));
	cr_assert(strstr(r.body, "\"paused\":false"), "%s", r.body);
	cr_assert(strstr(r.body, "\"state\":\"trading\""), "%s", r.body);
	/* One pair. */
	cr_assert_eq(CLI("pause", "BTCUSDT"), 0);
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert(strstr(r.body, "\"enabled\":false"), "%s", r.body);
	cr_assert_eq(CLI("resume", "BTCUSDT"), 0);
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert(strstr(r.body, "\"enabled\":true"), "%s", r.body);
	/* Symbols are case-insensitive, in the CLI and in the API. */
	cr_assert_eq(CLI("pause", "btcusdt"), 0, "%s", CLI_RUN.err);
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert(strstr(r.body, "\"enabled\":false"), "%s", r.body);
	cr_assert_eq(CLI("resume", "btcUSDT"), 0, "%s", CLI_RUN.err);
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert(strstr(r.body, "\"enabled\":true"), "%s", r.body);
	cr_assert(ctl("POST", "/pause?symbol=btcusdt", TOKEN, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(ctl("POST", "/resume?symbol=btcusdt", TOKEN, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_eq(CLI("pause", "NOSUCH"), 1, "an unknown pair is refused");
	cr_assert_eq(CLI("sell", "4242"), 1, "no such position");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control, cli_without_daemon_exits_3_and_bad_args_exit_2)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "CONTROL_TOKEN=" TOKEN);
	cr_assert_eq(CLI("pause"), 3);
	cr_assert_eq(CLI("sell", "1"), 3);
	cr_assert_eq(CLI("sell"), 2, "a position id is required");
	cr_assert_eq(CLI("sell", "abc"), 2);
	cr_assert_eq(CLI("cancel", "1", "2"), 2);
	cr_assert_eq(CLI("pause", "btc-usdt"), 2);
	cr_assert_eq(CLI("resume", "--bogus"), 2);
}

Test(control, cancel_ends_a_waiting_buy_and_refusals_name_the_state)
{
	start(PAIR_BTC);
	bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	struct ctl_resp r;
	cr_assert(ctl("POST", "/positions/1/reprice?price=70000", TOKEN, &r));
	cr_assert_eq(r.status, 409, "a buying position has no limit sell: %s", r.body);
	cr_assert(strstr(r.body, "position 1 is BUYING (buy NEW)"), "names the state: %s", r.body);
	cr_assert(strstr(r.body, "cancel, sell or abandon it"), "names what works: %s", r.body);
	cr_assert(ctl("POST", "/positions/1/cancel", TOKEN, &r));
	cr_assert_eq(r.status, 202, "%s", r.body);
	bt_wait_order(1, 'b', SB_ORDER_CANCELED, 20000);
	bt_wait_pos(1, SB_POSITION_CANCELED, 20000);
	cr_assert(ctl("POST", "/positions/1/cancel", TOKEN, &r));
	cr_assert_eq(r.status, 409, "the position has ended: %s", r.body);
	cr_assert(strstr(r.body, "position 1 is CANCELED"), "names the state: %s", r.body);
	cr_assert(ctl_wait("/positions/1/outcome", 200, "\"done\":true", 20000, &r), "%s", r.body);
	cr_assert(strstr(r.body, "\"ok\":true"), "%s", r.body);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

/* The same configuration twice: the database's lock refuses the second daemon (exit 2) before its
 * control socket is even tried (test_bot_lock.c covers the lock with another socket). */
Test(control, a_second_daemon_with_the_same_configuration_exits_2)
{
	start(PAIR_BTC);
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);
	pid_t first = T.bot;
	bt_start_bot();
	int status = 0;
	cr_assert_eq(waitpid(T.bot, &status, 0), T.bot);
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 2, "the database is taken");
	T.bot = first;
	cr_assert(bt_wait(bt_state_is, "trading", 1000), "the first daemon's run state is left alone");
	cr_assert(ctl("GET", "/health", NULL, &r), "the first daemon still answers");
	cr_assert_eq(r.status, 200);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, TICK, mode, &r), SB_OK);
	return r;
}

Test(control, manual_sell_cancels_the_limit_sell_and_closes_at_market)
{
	start(PAIR_BTC);
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	struct ctl_resp r;
	cr_assert(ctl("GET", "/positions", NULL, &r));
	cr_assert(strstr(r.body, "\"id\":1") && strstr(r.body, "\"SELLING\""), "%s", r.body);
	cr_assert(ctl("POST", "/positions/1/sell", TOKEN, &r));
	cr_assert_eq(r.status, 202, "%s", r.body);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert(pos.proceeds > 0);
	bt_wait_order(1, 's', SB_ORDER_CANCELED, 5000);
	bt_wait_order(1, 'x', SB_ORDER_FILLED, 5000);
	cr_assert(ctl("GET", "/positions", NULL, &r));
	cr_assert(!strstr(r.body, "\"id\":1,"), "the position is gone: %s", r.body);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

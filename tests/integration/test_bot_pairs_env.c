/*
 * test_bot_pairs_env.c - PAIRS edited in the .env between two runs of the daemon, against spotsim over
 * loopback: the pairs whose PAIRS entry changed are applied to trade_pairs at start-up (settings replaced,
 * a dropped pair removed), loudly (log lines and events); a pair whose entry did not change keeps what the
 * operator set at run time, and the operator's enabled flag survives a settings change.
 *
 * Every pair is disabled in PAIRS and the kill switch is on, so nothing trades: the test is about the
 * configuration only.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN   "pairs-env-token"
#define WAIT_MS 20000
#define BTC     "BTCUSDT:quote=20,profit=0.5%,enabled=false"
#define FIRST   BTC ";ETHUSDT:quote=15,enabled=false;BNBUSDT:quote=15,enabled=false"
#define SECOND  BTC ";ETHUSDT:quote=25,enabled=false"

static void post_ok(const char *path, const char *body)
{
	struct ctl_resp r;
	cr_assert(ctl_send("POST", path, TOKEN, body, 10000L, &r), "POST %s answered", path);
	cr_assert_eq(r.status, 200, "POST %s: %ld %s", path, r.status, r.body);
}

static struct sb_store_pair pair(const char *symbol, bool *found)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_pair row;
	memset(&row, 0, sizeof row);
	sb_err e = sb_store_pair_get(st, symbol, &row);
	sb_store_close(st);
	cr_assert(e == SB_OK || e == SB_ERR_NOT_FOUND, "%s", sb_strerror(e));
	*found = e == SB_OK;
	return row;
}

static void start_and_wait(void)
{
	bt_start_bot();
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, WAIT_MS, &r), "the daemon is ready: %s", r.body);
}

TestSuite(bot_pairs_env, .fini = bt_cleanup, .timeout = 120);

Test(bot_pairs_env, a_changed_pairs_setting_is_applied_at_start_and_run_time_changes_are_kept)
{
	bt_start_sim(NULL);
	bt_write_env(FIRST, "CONTROL_TOKEN=" TOKEN);
	start_and_wait();
	/* The operator at run time: kill switch on, ETHUSDT enabled, BTCUSDT's profit changed. */
	post_ok("/pause", NULL);
	post_ok("/pairs/ETHUSDT/enable", NULL);
	post_ok("/pairs/BTCUSDT", "{\"settings\":{\"profit\":\"2%\"}}");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);

	/* The .env is edited: ETHUSDT's quote changes, BNBUSDT is dropped, BTCUSDT stays as it was. */
	bt_write_env(SECOND, "CONTROL_TOKEN=" TOKEN);
	start_and_wait();
	bool found = false;
	struct sb_store_pair eth = pair("ETHUSDT", &found);
	cr_assert(found);
	cr_assert_eq(eth.quote_per_cycle, SB_DEC_C(25, 0), "the new quote is applied");
	cr_assert(eth.enabled, "the operator's enable is kept");
	struct sb_store_pair btc = pair("BTCUSDT", &found);
	cr_assert(found);
	cr_assert_eq(btc.target_profit, SB_DEC_C(0, 2000000), "the run-time profit of BTCUSDT is kept");
	(void)pair("BNBUSDT", &found);
	cr_assert(!found, "the dropped pair without positions is removed");

	/* Said, not silent: log lines and events name each change. */
	cr_assert(bt_log_has("PAIRS changed for ETHUSDT", 1000));
	cr_assert(bt_log_has("PAIRS no longer names BNBUSDT: removed from trade_pairs", 1000));
	cr_assert_eq(bt_count_events("pair.updated", "ETHUSDT", "\"source\":\"PAIRS\""), 1);
	cr_assert_eq(bt_count_events("pair.removed", "BNBUSDT", "\"source\":\"PAIRS\""), 1);
	cr_assert_eq(bt_count_events("pair.updated", "BTCUSDT", "\"source\":\"PAIRS\""), 0);

	/* The daemon trades what the table now says. */
	struct ctl_resp r;
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert_null(strstr(r.body, "BNBUSDT"), "%s", r.body);
	cr_assert(strstr(r.body, "\"quote\":\"25\""), "%s", r.body);

	/* Started again unchanged: nothing is applied a second time. */
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	start_and_wait();
	cr_assert_eq(bt_count_events("pair.updated", "ETHUSDT", "\"source\":\"PAIRS\""), 1);
	cr_assert(bt_log_has("PAIRS unchanged since it was last applied", 1000));
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/* Predicate: the database holds an open position of the symbol arg. */
static bool has_open_position(struct sb_store *st, void *arg)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN, .symbol = arg};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	bool ok = sb_store_position_list(st, &f, &rows, &n) == SB_OK && n > 0;
	free(rows);
	return ok;
}

Test(bot_pairs_env, a_pair_dropped_from_pairs_with_an_open_position_is_disabled_not_removed)
{
	bt_start_sim(NULL);
	bt_write_env("ETHUSDT:quote=15,buy_offset=1%,buy_timeout=1h", "CONTROL_TOKEN=" TOKEN);
	start_and_wait();
	cr_assert(bt_wait(has_open_position, "ETHUSDT", WAIT_MS), "an ETHUSDT cycle is open");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);

	bt_write_env(BTC, "CONTROL_TOKEN=" TOKEN);
	start_and_wait();
	bool found = false;
	struct sb_store_pair eth = pair("ETHUSDT", &found);
	cr_assert(found, "a pair with an open position stays");
	cr_assert(!eth.enabled, "and starts no new cycle");
	cr_assert(bt_log_has("PAIRS no longer names ETHUSDT, which has an open position", 1000));
	cr_assert_eq(bt_count_events("pair.pause", "ETHUSDT", "\"source\":\"PAIRS\""), 1);
	(void)pair("BTCUSDT", &found);
	cr_assert(found, "the new pair is added");
	/* Its position is still managed: the daemon lists it as a pair. */
	struct ctl_resp r;
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert(strstr(r.body, "\"symbol\":\"ETHUSDT\""), "%s", r.body);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

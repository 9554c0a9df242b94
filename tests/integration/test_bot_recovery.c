/*
 * test_bot_recovery.c - the daemon against failures: kill -9 at steps of a cycle and a restart, a 5xx
 * on the sell whose order did execute, the user stream hidden and the sockets dropped mid-cycle, a price
 * jump refused, and a read-only database; orders over the WebSocket API, over REST while it is down, and
 * a sell whose answer is lost with the connection. In every case the exchange and the database must agree
 * and nothing may be placed twice.
 */
#include <sqlite3.h>

#include "bot/metrics.h"
#include "sbtest_prom.h"
#include "sbtest_sim.h"
#include "test_bot_util.h"
#include "test_ctl_util.h"

#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"
#define TICK     SB_DEC_C(0, 1000000)

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, TICK, mode, &r), SB_OK);
	return r;
}

/* The exchange's orders and trades match the database's, one for one. */
static void check_agree(int orders, int min_trades)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &rows, &n), SB_OK);
	int sent = 0;
	size_t fills = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].status != SB_ORDER_NEVER_SENT)
			sent++;
		struct sb_store_fill *f = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, rows[i].client_order_id, &f, &nf), SB_OK);
		fills += nf;
		free(f);
	}
	free(rows);
	sb_store_close(st);
	int ex_orders = bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\"");
	int ex_trades = bt_count("/api/v3/myTrades", "symbol=BTCUSDT", "\"commissionAsset\"");
	cr_assert_eq(ex_orders, orders, "exchange orders %d", ex_orders);
	cr_assert_eq(sent, orders, "database orders %d", sent);
	cr_assert_eq((int)fills, ex_trades, "fills %zu, exchange trades %d", fills, ex_trades);
	cr_assert(ex_trades >= min_trades);
}

TestSuite(bot_recovery, .fini = bt_cleanup, .timeout = 150);

Test(bot_recovery, kill_9_while_buying_and_while_selling_then_restart_settles_without_duplicates)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGKILL, 2000), 128 + SIGKILL);
	/* The buy fills while the bot is down: the restart must find it, backfill the fill, and sell. */
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_start_bot();
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGKILL, 2000), 128 + SIGKILL);
	check_agree(2, 1);
	/* The sell fills while the bot is down. */
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	bt_start_bot();
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert(pos.realised_profit > 0);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(2, 2);
}

Test(bot_recovery, sell_answered_5xx_after_executing_is_settled_by_query)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_fault("order_5xx_after", "on");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	/* The sell's answer is a 503 but it exists: the query by clientOrderId adopts it. */
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert(sell.exchange_order_id > 0, "adopted with the exchange's id");
	bt_fault("order_5xx_after", "off");
	check_agree(2, 1);
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(2, 2);
}

Test(bot_recovery, hidden_user_events_and_dropped_sockets_are_recovered_over_rest)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_fault("hide_user_events", "on");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_fault("hide_user_events", "off");
	/* The fill was never reported: dropping the sockets makes the bot resubscribe and reconcile. */
	bt_fault("drop_ws", NULL);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 30000);
	bt_fault("drop_ws", NULL);
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	bt_wait_pos(1, SB_POSITION_CLOSED, 30000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(2, 2);
}

static bool has_refusal(struct sb_store *st, void *arg)
{
	(void)arg;
	struct sb_store_event *ev = NULL;
	size_t n = 0;
	struct sb_store_event_filter f = {.kind = "price.refused"};
	bool found = false;
	if (sb_store_event_list(st, &f, &ev, &n) == SB_OK)
		for (size_t i = 0; i < n; i++)
			found = found || strstr(ev[i].detail, "\"JUMP\"") != NULL;
	sb_store_events_free(ev, n);
	return found;
}

Test(bot_recovery, price_jump_is_refused_and_recorded)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "PRICE_MAX_JUMP=0.05\nPRICE_JUMP_CONFIRM=0");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(1, 20000000), SB_ROUND_UP));
	cr_assert(bt_wait(has_refusal, NULL, 10000), "a price.refused JUMP event");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(1, 0);
}

static struct sbt_prom_doc doc; /* the last /metrics page, parsed */

/* Frames the daemon has taken from the market stream, from a fresh scrape of its /metrics, into *out; false
 * when the daemon did not answer in time (its loop may be waiting on the locked database). */
static bool market_messages(double *out)
{
	struct ctl_resp r;
	if (!ctl("GET", "/metrics", NULL, &r) || r.status != 200)
		return false;
	sbt_prom_parse(&doc, r.body);
	const char *const labels[] = {"stream", "market"};
	*out = sbt_prom_find(&doc, SB_METRIC_STREAM_MESSAGES, labels, 2, NULL)->value;
	return true;
}

/*
 * A fill the database could not record (the database locked by another process when the buy filled)
 * places no sell. That the sell is missing right after the failure is seen proves nothing, so this waits
 * until the daemon has taken a market event that arrived after the failure (every reaction to the fill was
 * decided before it) and has no request out (whatever it sent, spotsim has answered and recorded); only
 * then does it ask spotsim for the account's orders: the buy alone.
 */
static void assert_no_sell_for_the_unrecorded_fill(sb_dec buy_price)
{
	cr_assert(bt_log_file_has("spotbot.error.log", "database write failed", 30000),
	          "a clear error in the error log");
	struct ctl_resp r;
	cr_assert(ctl_wait("/status", 200, "\"degraded\":true", 30000, &r), "degraded: %s", r.body);
	double before = 0, now = 0;
	SBT_WAIT_UNTIL(market_messages(&before), 30000, "the daemon's /metrics");
	bt_set_price("BTCUSDT", scaled(buy_price, SB_DEC_C(0, 99700000), SB_ROUND_DOWN));
	SBT_WAIT_UNTIL(market_messages(&now) && now > before, 30000,
	               "a market event taken after the failed write (%g frames before it, %g now)", before,
	               now);
	/* The run state the database-error alert rule watches (contrib/prometheus). */
	const char *const degraded[] = {"state", "degraded"}, *const trading[] = {"state", "trading"};
	cr_assert_eq(sbt_prom_find(&doc, SB_METRIC_RUN_STATE, degraded, 2, NULL)->value, 1);
	cr_assert_eq(sbt_prom_find(&doc, SB_METRIC_RUN_STATE, trading, 2, NULL)->value, 0);
	cr_assert(ctl_wait("/status", 200, "\"inflight_requests\":0", 30000, &r), "nothing out: %s", r.body);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 1,
	             "no sell for a fill the database does not hold");
}

Test(bot_recovery, unwritable_database_stops_trading_safely_and_a_restart_recovers)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	/* Another process holds the write lock past the daemon's busy timeout: its next write fails. */
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	/* Trading stopped: no sell was placed on a fill the database could not record. */
	assert_no_sell_for_the_unrecorded_fill(buy.price);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	cr_assert_eq(bt_stop_bot(SIGTERM, 15000), 0, "still stops cleanly");
	/* A restart reconciles: the fill is backfilled and the sell placed. */
	bt_start_bot();
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(2, 1);
}

/* Another process (a backup, a hand-run sqlite3) takes the database's write lock and keeps it. */
static sqlite3 *lock_database(void)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static void unlock_database(sqlite3 *db)
{
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
}

static bool running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

Test(bot_recovery, a_start_that_finds_the_database_locked_past_its_busy_timeout_waits_for_it_and_then_trades)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 15000), 0);
	sqlite3 *db = lock_database();
	bt_start_bot();
	/* The busy timeout (5 s) runs out: the start-up waits and tries again instead of ending. */
	cr_assert(bt_log_has("start-up waits for the database", 20000));
	cr_assert(running(T.bot), "spotbot is still running");
	unlock_database(db);
	cr_assert(bt_log_has("reconciliation succeeded", 20000), "it started once the lock was gone");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(2, 1);
}

Test(bot_recovery,
     a_fill_that_cannot_be_recorded_stops_trading_until_the_database_is_free_then_it_restarts_on_it)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	pid_t pid = T.bot;
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	sqlite3 *db = lock_database();
	/* The buy fills while another process holds the lock past the busy timeout: the fill cannot be
	 * recorded, so nothing may act on it. */
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	assert_no_sell_for_the_unrecorded_fill(buy.price);
	unlock_database(db);
	/* Once the database takes writes again the daemon restarts on it, in the same process: the fill is
	 * brought in by reconciliation and the sell follows. */
	cr_assert(bt_log_has("the database can be written again", 10000));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(T.bot, pid);
	cr_assert(running(pid), "the daemon never exited");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree(2, 1);
}

Test(bot_recovery, a_stop_asked_for_while_start_up_waits_on_the_database_is_a_clean_stop)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 15000), 0);
	char log[400];
	snprintf(log, sizeof log, "%s/logs/spotbot.log", T.dir);
	cr_assert_eq(unlink(log), 0, "the next start writes a log of its own");
	/* Another process holds the write lock: the next start waits on it inside its busy timeout. */
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	bt_start_bot();
	cr_assert(bt_log_has("spotbot starting in", 20000), "the second start is under way");
	kill(T.bot, SIGTERM);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	/* The stop waited for the loop that handles it instead of killing the process mid start-up. */
	cr_assert_eq(bt_stop_bot(0, 20000), 0, "a clean stop, not the default action of SIGTERM");
	cr_assert(bt_log_has("spotbot stopped", 1000), "the stop ran to its end");
}

/* spotsim and the daemon started on PAIR_BTC; returns its first buy, resting (NEW). */
static struct sb_store_order start_buying(void)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	return bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
}

/* Order placements spotsim received over REST and over the WebSocket API. */
static void check_transport(long long rest, long long ws)
{
	cr_assert_eq(sbt_sim_order_requests(T.sim.port, false), rest, "over REST");
	cr_assert_eq(sbt_sim_order_requests(T.sim.port, true), ws, "over the WebSocket API");
}

Test(bot_recovery, orders_go_as_order_place_on_the_user_data_connection)
{
	struct sb_store_order buy = start_buying();
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert(pos.realised_profit > 0);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_transport(0, 2);
	check_agree(2, 2);
}

Test(bot_recovery, while_the_websocket_api_is_down_the_sell_goes_over_rest)
{
	struct sb_store_order buy = start_buying();
	cr_assert_eq(bt_stop_bot(SIGKILL, 2000), 128 + SIGKILL);
	/* The buy fills while the bot is down, and it comes back to a WebSocket API that refuses it: the
	 * restart settles the buy and sells over REST. */
	bt_fault("wsapi_down", "on");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_start_bot();
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	check_transport(1, 1);
	bt_fault("wsapi_down", "off");
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	bt_wait_pos(1, SB_POSITION_CLOSED, 30000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_transport(1, 1);
	check_agree(2, 2);
}

Test(bot_recovery, sell_whose_websocket_answer_is_lost_is_settled_by_query_to_one_order)
{
	struct sb_store_order buy = start_buying();
	bt_fault("order_ws_drop", "on");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	/* The sell executes and its connection closes unanswered: the query by clientOrderId adopts it. */
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert(sell.exchange_order_id > 0, "adopted with the exchange's id");
	cr_assert(bt_log_has("settling it by query", 5000), "the unknown outcome was settled by query");
	bt_fault("order_ws_drop", "off");
	check_transport(0, 2);
	check_agree(2, 1);
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	bt_wait_pos(1, SB_POSITION_CLOSED, 30000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_transport(0, 2);
	check_agree(2, 2);
}

/*
 * test_bot_crash.c - kill -9 at each exact step of a cycle, through the daemon's SPOTBOT_CRASH_AT test
 * hook (the buy's last fill and its sell intent are one commit, with a point on either side of it), then
 * a restart without it: the cycle must complete, the exchange must hold exactly one buy and
 * one sell of ours, every exchange order must be in the database with the same status and executed
 * quantity, and no fill may be recorded twice.
 */
#include <cjson/cJSON.h>

#include "test_bot_util.h"

#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"

/* The newest position, into *out; false while there is none. */
static bool newest_pos(struct sb_store *st, struct sb_store_position *out)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL, .limit = 1};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	bool ok = sb_store_position_list(st, &f, &rows, &n) == SB_OK && n == 1;
	if (ok)
		*out = rows[0];
	free(rows);
	return ok;
}

/*
 * Moves the market one step on for the newest position: below its working buy, above its working sell.
 * Returns that position's state (BUYING while there is none yet).
 */
static enum sb_position_state drive(void)
{
	struct sb_store *st = bt_db();
	struct sb_store_position pos = {.state = SB_POSITION_BUYING};
	if (!st)
		return pos.state;
	sb_dec price = 0;
	if (newest_pos(st, &pos)) {
		/* Its working order, whatever the attempt (a sell never sent is retried as the next one). */
		struct sb_store_order_filter f = {.position_id = pos.id};
		struct sb_store_order *rows = NULL;
		size_t n = 0;
		if (sb_store_order_list(st, &f, &rows, &n) == SB_OK)
			for (size_t i = 0; i < n; i++)
				if (rows[i].status == SB_ORDER_NEW)
					price =
					    rows[i].side == SB_SIDE_BUY
					        ? bt_scaled(rows[i].price, SB_DEC_C(0, 99800000),
					                    SB_ROUND_DOWN)
					        : bt_scaled(rows[i].price, SB_DEC_C(1, 200000), SB_ROUND_UP);
		free(rows);
	}
	sb_store_close(st);
	if (price > 0)
		bt_set_price("BTCUSDT", price);
	return pos.state;
}

/* Drives the market once; true once the daemon has exited (killed itself), its wait status into *status. */
static bool driven_to_death(int *status)
{
	if (waitpid(T.bot, status, WNOHANG) == T.bot)
		return true;
	drive();
	return false;
}

/* Drives the market until the daemon kills itself; returns its exit status (128+n for signal n). */
static int drive_until_death(int ms)
{
	int status = 0;
	SBT_WAIT_UNTIL(driven_to_death(&status), ms, "the daemon to kill itself");
	T.bot = 0;
	return sbt_exit_code(status);
}

/* Drives the market once; true once the newest position is CLOSED. Fails the test once the daemon has
 * exited. */
static bool driven_to_close(void)
{
	if (drive() == SB_POSITION_CLOSED)
		return true;
	cr_assert(bt_running(), "the daemon is running");
	return false;
}

/*
 * Drives the market until the newest position is CLOSED. A cycle the crash cancelled before anything
 * reached the exchange starts no cooldown: the next one begins at once, in the same run.
 */
static void drive_until_closed(int ms)
{
	SBT_WAIT_UNTIL(driven_to_close(), ms, "the cycle to complete");
}

static const char *json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsString(v), "%s is a string", key);
	return v->valuestring;
}

/* The exchange and the database agree: one buy and one sell of ours, same status and quantity, fills. */
static void check_agree(void)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "GET", "/api/v3/allOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "allOrders: %s", r.body);
	cJSON *arr = cJSON_Parse(r.body);
	sbt_response_free(&r);
	cr_assert(cJSON_IsArray(arr));
	struct sb_store *st = bt_db();
	cr_assert(st);
	int buys = 0, sells = 0;
	size_t fills = 0;
	const cJSON *it = NULL;
	cJSON_ArrayForEach(it, arr)
	{
		const char *coid = json_str(it, "clientOrderId");
		cr_assert(strncmp(coid, "sb-main-", 8) == 0, "an order of ours: %s", coid);
		if (strcmp(json_str(it, "side"), "BUY") == 0)
			buys++;
		else
			sells++;
		struct sb_store_order o;
		cr_assert_eq(sb_store_order_get(st, coid, &o), SB_OK, "%s is in the database", coid);
		const char *status = json_str(it, "status");
		cr_assert_str_eq(sb_order_state_name(o.status), status, "%s status", coid);
		sb_dec exec = 0;
		cr_assert_eq(sb_dec_parse_cstr(json_str(it, "executedQty"), &exec), SB_OK);
		cr_assert_eq(o.executed_qty, exec, "%s executed quantity", coid);
		struct sb_store_fill *f = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, coid, &f, &nf), SB_OK);
		fills += nf;
		free(f);
	}
	cJSON_Delete(arr);
	/* Nothing in the database claims to be on the exchange when it is not. */
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	int sent = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &rows, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		sent += rows[i].status != SB_ORDER_NEVER_SENT;
	free(rows);
	sb_store_close(st);
	cr_assert_eq(buys, 1, "exchange buys %d", buys);
	cr_assert_eq(sells, 1, "exchange sells %d", sells);
	cr_assert_eq(sent, 2, "database orders sent %d", sent);
	int trades = bt_count("/api/v3/myTrades", "symbol=BTCUSDT", "\"commissionAsset\"");
	cr_assert_eq((int)fills, trades, "fills %zu, exchange trades %d", fills, trades);
	cr_assert(trades >= 2);
}

/* Starts the daemon armed at point and drives the market until it kills itself there. */
static void killed_at(const char *point)
{
	cr_assert_eq(setenv("SPOTBOT_CRASH_AT", point, 1), 0);
	bt_start_bot();
	cr_assert_eq(unsetenv("SPOTBOT_CRASH_AT"), 0);
	cr_assert_eq(drive_until_death(30000), 128 + SIGKILL, "killed itself at %s", point);
}

/* Restarts without a crash point, completes the cycle and checks the books against the exchange. */
static void recovered(void)
{
	bt_start_bot();
	drive_until_closed(40000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	check_agree();
}

static void crash_at(const char *point)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	killed_at(point);
	recovered();
}

TestSuite(bot_crash, .fini = bt_cleanup, .timeout = 150);

Test(bot_crash, before_buy_intent_commit)
{
	crash_at("before_intent_commit");
}
Test(bot_crash, after_buy_intent_commit)
{
	crash_at("after_intent_commit");
}
Test(bot_crash, after_buy_sent)
{
	crash_at("after_send");
}
/* The buy's fill, HOLDING and the sell intent are written in their transaction, not committed: nothing of
 * them is on disk, the restart learns the fill from the exchange and sells once. */
Test(bot_crash, before_buy_fill_commit)
{
	crash_at("before_fill_commit");
}
/* The fill, HOLDING and the sell intent are committed together, the sell not sent: the restart finds the
 * intent unsent (NEVER_SENT) and places the sell once. */
Test(bot_crash, after_buy_fill_commit)
{
	crash_at("after_fill_commit");
}
/* A sell intent is committed on its own only when no buy fill leads to it: here the sell the first crash
 * left unsent, placed again by the restart, which is killed right after that intent's commit. */
Test(bot_crash, after_sell_intent_commit)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	killed_at("after_fill_commit");
	killed_at("after_sell_intent_commit");
	recovered();
}
Test(bot_crash, after_sell_sent)
{
	crash_at("after_sell_send");
}

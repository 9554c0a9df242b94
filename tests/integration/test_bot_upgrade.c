/*
 * test_bot_upgrade.c - upgrades and restores with the real programs. An upgrade: `spotbot doctor` on a
 * database of an older schema warns that the next start migrates it, and `spotbot run` does; a database of
 * a newer schema is refused by doctor and run with both versions named, and restoring the backup taken
 * before the upgrade over it is the way back. A restore against spotsim over loopback: a backup taken
 * while a buy rests, more trading after it (the buy fills, the sell fills), the daemon stopped and the
 * backup restored. The restored database would place again the sell it had placed after the backup; its
 * new clientOrderId epoch makes every id the exchange receives after the restore new, and the books
 * reconcile with the exchange's own records. Restore refuses while the daemon holds the database.
 */
#include <sqlite3.h>

#include "test_bot_util.h"

#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"

/* Runs `spotbot CMD --config T.env ARG` and returns its exit code; its output in T.dir/cli.out and cli.err.
 */
static int cli(const char *cmd, const char *arg)
{
	char prog[512], out[400], err[400];
	sbt_program("spotbot", prog, sizeof prog);
	snprintf(out, sizeof out, "%s/cli.out", T.dir);
	snprintf(err, sizeof err, "%s/cli.err", T.dir);
	const char *argv[] = {prog, cmd, "--config", T.env, arg, NULL};
	return sbt_exit_code(sbt_run(argv, NULL, out, err, 60));
}

/* The last cli()'s standard output and error, one after the other (the caller frees it). */
static char *cli_output(void)
{
	char path[400];
	snprintf(path, sizeof path, "%s/cli.out", T.dir);
	char *out = sbt_read_file(path);
	snprintf(path, sizeof path, "%s/cli.err", T.dir);
	char *err = sbt_read_file(path);
	cr_assert(out && err);
	size_t n = strlen(out) + strlen(err) + 1;
	char *s = malloc(n);
	cr_assert_not_null(s);
	snprintf(s, n, "%s%s", out, err);
	free(out);
	free(err);
	return s;
}

/* Runs cli(cmd, arg), which must succeed. */
static void cli_ok(const char *cmd, const char *arg)
{
	if (cli(cmd, arg) != 0) {
		char *out = cli_output();
		cr_assert_fail("spotbot %s %s: %s", cmd, arg, out);
	}
}

/* An order of the database with the given id in the given status. */
struct coid_q {
	const char *coid;           /* the id */
	enum sb_order_state status; /* wanted status */
};

static bool has_coid(struct sb_store *st, void *arg)
{
	const struct coid_q *q = arg;
	struct sb_store_order o;
	return sb_store_order_get(st, q->coid, &o) == SB_OK && o.status == q->status;
}

/* Every clientOrderId spotsim has seen for BTCUSDT is distinct, and each order the database holds is on
 * the exchange in the status the database records. Returns how many orders the exchange has. */
static int check_books(void)
{
	cJSON *all = bt_signed_get("/api/v3/allOrders", "symbol=BTCUSDT");
	int n = cJSON_GetArraySize(all);
	for (int i = 0; i < n; i++)
		for (int k = i + 1; k < n; k++) {
			const char *a =
			    cJSON_GetObjectItem(cJSON_GetArrayItem(all, i), "clientOrderId")->valuestring;
			const char *b =
			    cJSON_GetObjectItem(cJSON_GetArrayItem(all, k), "clientOrderId")->valuestring;
			cr_assert_str_neq(a, b, "clientOrderId %s sent twice", a);
		}
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_order *rows = NULL;
	size_t nrows = 0;
	struct sb_store_order_filter f = {.position_id = 0};
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &nrows), SB_OK);
	cr_assert_gt(nrows, 0);
	for (size_t r = 0; r < nrows; r++) {
		const cJSON *found = NULL;
		for (int i = 0; i < n && !found; i++) {
			const cJSON *o = cJSON_GetArrayItem(all, i);
			if (strcmp(cJSON_GetObjectItem(o, "clientOrderId")->valuestring,
			           rows[r].client_order_id) == 0)
				found = o;
		}
		cr_assert_not_null(found, "%s is on the exchange", rows[r].client_order_id);
		cr_assert_str_eq(cJSON_GetObjectItem(found, "status")->valuestring,
		                 sb_order_state_name(rows[r].status), "%s", rows[r].client_order_id);
		cr_assert_eq(bt_json_dec(found, "executedQty"), rows[r].executed_qty, "%s",
		             rows[r].client_order_id);
	}
	free(rows);
	sb_store_close(st);
	cJSON_Delete(all);
	return n;
}

TestSuite(bot_restore, .fini = bt_cleanup, .timeout = 180);

Test(bot_restore, a_restored_backup_never_reuses_an_id_the_exchange_has_seen)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);

	char backup[400];
	snprintf(backup, sizeof backup, "%s/before.db", T.dir);
	cli_ok("backup", backup);
	int rc = cli("restore", backup);
	char *out = cli_output();
	cr_assert_eq(rc, 1, "restore refuses while the daemon runs: %s", out);
	cr_assert(strstr(out, "in use") && strstr(out, "stop the daemon first"), "%s", out);
	free(out);

	/* After the backup: the buy fills, the sell is placed and fills; the position closes. */
	bt_set_price("BTCUSDT", bt_scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", bt_scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	cr_assert_eq(check_books(), 2);

	cli_ok("restore", backup);
	out = cli_output();
	cr_assert(strstr(out, "clientOrderId epoch 1"), "%s", out);
	free(out);

	/* The restored database knows only the resting buy: the daemon finds it filled and sells again, under
	 * an id of the new epoch, while the exchange has seen sb-main-1-s0. */
	bt_set_price("BTCUSDT", buy.price);
	bt_start_bot();
	struct coid_q q = {"sb-main-1-s0.1", SB_ORDER_NEW};
	cr_assert(bt_wait(has_coid, &q, 30000), "the sell after the restore is placed as %s", q.coid);
	struct sb_store_position p = bt_wait_pos(1, SB_POSITION_SELLING, 20000);
	cr_assert_eq(p.buy_qty, buy.orig_qty, "the buy's fill was recovered from the exchange");
	cr_assert_eq(check_books(), 3, "the buy, the sell before the restore and the one after it");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);

	/* A second restore of the same backup moves to a later epoch still. */
	cli_ok("restore", backup);
	out = cli_output();
	cr_assert(strstr(out, "clientOrderId epoch 2"), "%s", out);
	free(out);
}

Test(bot_restore, a_damaged_backup_is_refused_and_the_database_kept)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	char bad[400];
	snprintf(bad, sizeof bad, "%s/bad.db", T.dir);
	cr_assert(
	    sbt_write_file(bad, "this is not a database, only text that looks like nothing in particular"));
	int rc = cli("restore", bad);
	char *out = cli_output();
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert(strstr(out, "bad.db"), "names the backup: %s", out);
	free(out);
	struct bt_order_q q = {.pos = 1, .leg = 'b', .status = SB_ORDER_NEW};
	cr_assert(bt_wait(bt_has_order, &q, 1000), "the database is as it was");
}

/* ---- upgrades -------------------------------------------------------------------------------------- */

/* Writes the schema fixture of version v (tests/data/schema) as the database at path. */
static void old_database(const char *path, int v)
{
	char rel[64], src[512];
	snprintf(rel, sizeof rel, "tests/data/schema/v%d.sql", v);
	char *sql = sbt_read_file(sbt_source_path(rel, src, sizeof src));
	cr_assert_not_null(sql, "%s", rel);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	free(sql);
}

/* The database check of `spotbot doctor --json` as "STATUS: detail (hint)" (the caller frees it). */
static char *doctor_database(void)
{
	cli("doctor", "--json");
	char *out = cli_output();
	cJSON *doc = cJSON_Parse(strchr(out, '{'));
	cr_assert_not_null(doc, "%s", out);
	char *text = NULL;
	const cJSON *c = NULL;
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "checks"))
	{
		if (strcmp(cJSON_GetObjectItem(c, "check")->valuestring, "database") != 0)
			continue;
		const cJSON *hint = cJSON_GetObjectItem(c, "hint");
		size_t n = strlen(out) + 16;
		text = malloc(n);
		cr_assert_not_null(text);
		snprintf(text, n, "%s: %s (%s)", cJSON_GetObjectItem(c, "status")->valuestring,
		         cJSON_GetObjectItem(c, "detail")->valuestring,
		         cJSON_IsString(hint) ? hint->valuestring : "");
	}
	cJSON_Delete(doc);
	free(out);
	cr_assert_not_null(text, "doctor has a database check");
	return text;
}

static bool schema_is_newest(struct sb_store *st, void *arg)
{
	(void)arg;
	int64_t v = 0;
	return sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v) == SB_OK &&
	       v == SB_STORE_SCHEMA_VERSION;
}

TestSuite(bot_upgrade, .fini = bt_cleanup, .timeout = 120);

Test(bot_upgrade, doctor_warns_of_the_migration_and_the_next_start_makes_it)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	old_database(T.db, 1);
	char *text = doctor_database();
	cr_assert(strncmp(text, "WARN: ", 6) == 0 && strstr(text, "schema version 1") &&
	              strstr(text, "migrates"),
	          "%s", text);
	free(text);
	bt_start_bot();
	cr_assert(bt_wait(schema_is_newest, NULL, 20000), "the daemon migrates the database");
	cr_assert(bt_log_has("\"spotbot starting in paper mode, version " SB_VERSION "\"", 5000),
	          "the log names the version");
	char said[96];
	snprintf(said, sizeof said, "migrated from schema version 1 to %d\"", SB_STORE_SCHEMA_VERSION);
	cr_assert(bt_log_has(said, 5000), "the log says the database was migrated");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	text = doctor_database();
	cr_assert(strncmp(text, "OK: ", 4) == 0, "%s", text);
	free(text);
}

Test(bot_upgrade, a_newer_database_is_refused_by_doctor_and_run_naming_both_versions)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	old_database(T.db, SB_STORE_SCHEMA_VERSION);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "UPDATE system_state SET value = '99' WHERE key = 'schema_version'",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	char want[64];
	snprintf(want, sizeof want, "understands up to %d", SB_STORE_SCHEMA_VERSION);
	char *text = doctor_database();
	cr_assert(strncmp(text, "FAIL: ", 6) == 0 && strstr(text, "schema version 99") && strstr(text, want),
	          "%s", text);
	free(text);
	bt_start_bot_err("bot.err");
	int status = 0;
	cr_assert(sbt_reap(T.bot, 20000, &status), "the daemon refuses to start");
	T.bot = 0;
	cr_assert_eq(sbt_exit_code(status), 1);
	/* The refusal is in the daemon's log, which its stderr points to. */
	cr_assert(bt_log_has("database schema version 99 was written by a newer spotbot", 1000));
	cr_assert(bt_log_has(want, 1000));
	cr_assert(bt_log_has("restore a backup taken before the upgrade (spotbot restore)", 1000));

	/* The way back: restore the backup taken before the upgrade over the newer database. Its epoch is
	 * still read, so the restored one goes beyond it. */
	cr_assert_eq(sqlite3_open(T.db, &db), SQLITE_OK);
	cr_assert_eq(
	    sqlite3_exec(db, "INSERT INTO system_state VALUES ('coid_epoch', '3', 1)", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	char backup[400];
	snprintf(backup, sizeof backup, "%s/before-upgrade.db", T.dir);
	old_database(backup, SB_STORE_SCHEMA_VERSION);
	cli_ok("restore", backup);
	char *out = cli_output();
	cr_assert(strstr(out, "clientOrderId epoch 4"), "%s", out);
	free(out);
	text = doctor_database();
	cr_assert(strncmp(text, "OK: ", 4) == 0, "%s", text);
	free(text);
}

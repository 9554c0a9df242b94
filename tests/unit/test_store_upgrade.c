/*
 * test_store_upgrade.c - upgrades from every earlier schema: a database at exactly version N (the
 * fixtures tests/data/schema/vN.sql, with rows spelled as version N wrote them) opened by this build is
 * migrated to the newest version with its rows kept and meaningful; a database of a newer version is
 * refused with a message that names both versions and what to do.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest.h"
#include "spotbot/coid.h"
#include "spotbot/store.h"

static char dir[64];
static char db_path[128];
static struct sb_store *st;

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sb_upgrade_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db_path, sizeof db_path, "%s/spotbot.db", dir);
}

static void teardown(void)
{
	sb_store_close(st);
	st = NULL;
	const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
	char p[160];
	for (size_t i = 0; i < 4; i++) {
		snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
		unlink(p);
	}
	rmdir(dir);
}

TestSuite(store_upgrade, .init = setup, .fini = teardown);

/* Writes the fixture of version v to db_path with a plain SQLite connection, as that release left it. */
static void load_fixture(int v)
{
	char rel[64], path[512];
	snprintf(rel, sizeof rel, "tests/data/schema/v%d.sql", v);
	char *sql = sbt_read_file(sbt_source_path(rel, path, sizeof path));
	cr_assert_not_null(sql, "no fixture %s: a new migration needs one (tests/data/schema/generate.py)",
	                   rel);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", rel, msg ? msg : "");
	sqlite3_close(db);
	free(sql);
}

static void open_store(void)
{
	char err[SB_STORE_ERRMSG_MAX];
	sb_err e = sb_store_open_sqlite(db_path, NULL, &st, err, sizeof err);
	cr_assert_eq(e, SB_OK, "open: %s: %s", sb_errname(e), err);
}

/* What every fixture holds must read back from the migrated database as the newest code means it. */
static void check_rows(int from)
{
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION, "from %d: schema_version %lld", from, (long long)v);
	cr_assert_eq(sb_store_check(st, NULL, 0), SB_OK, "from %d: %s", from, sb_store_last_error(st));

	struct sb_store_pair pair;
	cr_assert_eq(sb_store_pair_get(st, "BTCUSDT", &pair), SB_OK);
	cr_assert_eq(pair.quote_per_cycle, SB_DEC_C(20, 0));
	cr_assert_eq(pair.stop_loss_cooldown_ms, from >= 3 ? 60000 : 30 * 60 * 1000,
	             "from %d: the stored cooldown, or the default for a pair written before it existed",
	             from);

	struct sb_store_position closed, open;
	cr_assert_eq(sb_store_position_get(st, 1, &closed), SB_OK);
	cr_assert_eq(closed.state, SB_POSITION_CLOSED);
	cr_assert_eq(closed.exit, SB_EXIT_STOP_LOSS, "from %d: the exit reason moved out of the notes", from);
	cr_assert(closed.duration_alerted, "from %d", from);
	cr_assert_str_eq(closed.notes, "closed by hand", "from %d: the rest of the notes is kept", from);
	cr_assert_eq(closed.realised_profit, -SB_DEC_C(0, 40000000));
	cr_assert_eq(sb_store_position_get(st, 2, &open), SB_OK);
	cr_assert_eq(open.state, SB_POSITION_HOLDING);

	struct sb_store_order o;
	cr_assert_eq(sb_store_order_get(st, "sb-main-2-s0", &o), SB_OK);
	cr_assert_eq(o.status, from >= 2 ? SB_ORDER_LOST : SB_ORDER_CANCELED);
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_order_list_open(st, &rows, &n), SB_OK);
	cr_assert_eq(n, 1, "from %d: the open limit sell", from);
	cr_assert_str_eq(rows[0].client_order_id, "sb-main-2-s1");
	struct sb_coid id;
	cr_assert_eq(sb_coid_parse(rows[0].client_order_id, strlen(rows[0].client_order_id), &id), SB_OK,
	             "ids written before the epoch still parse");
	cr_assert_eq(id.position_id, 2);
	cr_assert_eq(id.epoch, 0);
	free(rows);

	bool exists = false;
	cr_assert_eq(sb_store_fill_exists(st, "BTCUSDT", "sb-main-1-x0", 502, &exists), SB_OK);
	cr_assert(exists, "from %d: fills kept", from);

	struct sb_store_event *ev = NULL;
	cr_assert_eq(sb_store_event_list(st, NULL, &ev, &n), SB_OK);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(ev[0].kind, "order.filled", "from %d: kinds are spelled lowercase", from);
	cr_assert_str_eq(ev[1].kind, "position.closed");
	sb_store_events_free(ev, n);

	unsigned epoch = 99;
	cr_assert_eq(sb_store_coid_epoch(st, &epoch), SB_OK);
	cr_assert_eq(epoch, 0, "a database never restored is in epoch 0");
}

Test(store_upgrade, every_earlier_schema_is_migrated_with_its_rows)
{
	for (int v = 1; v <= SB_STORE_SCHEMA_VERSION; v++) {
		teardown();
		setup();
		load_fixture(v);
		open_store();
		check_rows(v);
		/* Still usable for writing: a new position takes the next id. */
		struct sb_store_position p = {
		    .symbol = "BTCUSDT", .state = SB_POSITION_BUYING, .created_ms = 1};
		cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "from %d: %s", v,
		             sb_store_last_error(st));
		cr_assert_eq(p.id, 3, "from %d: position ids continue after the old ones", v);
	}
}

Test(store_upgrade, a_migrated_database_opens_again_unchanged)
{
	load_fixture(1);
	open_store();
	sb_store_close(st);
	st = NULL;
	open_store();
	check_rows(1);
}

Test(store_upgrade, a_newer_database_is_refused_naming_both_versions_and_what_to_do)
{
	load_fixture(SB_STORE_SCHEMA_VERSION);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE system_state SET value = '%d' WHERE key = 'schema_version'",
	         SB_STORE_SCHEMA_VERSION + 1);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	for (int ro = 0; ro < 2; ro++) {
		char err[SB_STORE_ERRMSG_MAX], newer[64], ours[64];
		struct sb_store_opts o = {.readonly = ro == 1};
		cr_assert_eq(sb_store_open_sqlite(db_path, &o, &st, err, sizeof err), SB_ERR_UNSUPPORTED);
		cr_assert_null(st);
		snprintf(newer, sizeof newer, "schema version %d", SB_STORE_SCHEMA_VERSION + 1);
		snprintf(ours, sizeof ours, "up to %d", SB_STORE_SCHEMA_VERSION);
		cr_assert(strstr(err, newer), "%s", err);
		cr_assert(strstr(err, ours), "%s", err);
		cr_assert(strstr(err, SB_VERSION), "names this build: %s", err);
		cr_assert(strstr(err, "install") && strstr(err, "spotbot restore"), "says what to do: %s",
		          err);
	}
	/* The refusal changed nothing. */
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT value FROM system_state WHERE key = 'schema_version'", -1,
	                                &q, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	cr_assert_eq(sqlite3_column_int(q, 0), SB_STORE_SCHEMA_VERSION + 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

Test(store_upgrade, the_restore_epoch_reads_as_zero_until_set_and_refuses_nonsense)
{
	load_fixture(SB_STORE_SCHEMA_VERSION);
	open_store();
	unsigned epoch = 99;
	cr_assert_eq(sb_store_coid_epoch(st, &epoch), SB_OK);
	cr_assert_eq(epoch, 0);
	cr_assert_eq(sb_store_state_set_int(st, SB_STORE_KEY_COID_EPOCH, 7, 1, NULL), SB_OK);
	cr_assert_eq(sb_store_coid_epoch(st, &epoch), SB_OK);
	cr_assert_eq(epoch, 7);
	const char *bad[] = {"-1", "1000000", "one"};
	for (size_t i = 0; i < 3; i++) {
		cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_COID_EPOCH, bad[i], 1, NULL), SB_OK);
		cr_assert_eq(sb_store_coid_epoch(st, &epoch), SB_ERR_PARSE, "%s", bad[i]);
		cr_assert(strstr(sb_store_last_error(st), SB_STORE_KEY_COID_EPOCH), "%s",
		          sb_store_last_error(st));
	}
}

Test(store_upgrade, peeking_reads_a_value_of_any_version_and_names_what_is_wrong)
{
	char buf[32], err[SB_STORE_ERRMSG_MAX];
	cr_assert_eq(sb_store_peek_state(db_path, "coid_epoch", buf, sizeof buf, err, sizeof err),
	             SB_ERR_NOT_FOUND);
	load_fixture(SB_STORE_SCHEMA_VERSION);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
	                          "UPDATE system_state SET value = '99' WHERE key = 'schema_version';"
	                          "INSERT INTO system_state VALUES ('coid_epoch', '3', 1)",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(sb_store_peek_state(db_path, "coid_epoch", buf, sizeof buf, err, sizeof err), SB_OK,
	             "a database of a newer schema can still be read: %s", err);
	cr_assert_str_eq(buf, "3");
	cr_assert_eq(sb_store_peek_state(db_path, "nope", buf, sizeof buf, err, sizeof err),
	             SB_ERR_NOT_FOUND);
	FILE *f = fopen(db_path, "w");
	cr_assert_not_null(f);
	fputs("not a database, only text long enough to look like a header of something else entirely", f);
	fclose(f);
	cr_assert_eq(sb_store_peek_state(db_path, "coid_epoch", buf, sizeof buf, err, sizeof err), SB_ERR_DB);
	cr_assert(strstr(err, "not a database"), "%s", err);
}

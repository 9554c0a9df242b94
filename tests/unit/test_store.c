/*
 * test_store.c - the store against a real SQLite file in a fresh temporary directory per test: exact
 * round trips of every record (decimals at the ends of the range, negative profits), the unique
 * constraints, atomicity of apply-fill under an injected failure, read-only and full databases, crash
 * durability of an order intent (a child killed right after the call returns), migrations, backup and
 * the integrity check. Faults are injected through SQL (a temporary trigger, PRAGMA query_only,
 * PRAGMA max_page_count), SQLite's own fault-injection style.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spotbot/store.h"

static char dir[64];
static char db_path[128];
static struct sb_store *st;

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", path, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(path);
}

static void open_store(void)
{
	char err[256];
	sb_err e = sb_store_open_sqlite(db_path, NULL, &st, err, sizeof err);
	cr_assert_eq(e, SB_OK, "open: %s: %s", sb_errname(e), err);
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sb_store_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db_path, sizeof db_path, "%s/spotbot.db", dir);
	open_store();
}

static void teardown(void)
{
	sb_store_close(st);
	st = NULL;
	rm_tree(dir);
}

static void reopen(void)
{
	sb_store_close(st);
	st = NULL;
	open_store();
}

TestSuite(store, .init = setup, .fini = teardown);

/* The value of a one-cell query on a separate raw connection, as the sqlite3 CLI would see it. */
static void raw_query(const char *path, const char *sql, char *buf, size_t cap)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	buf[0] = '\0';
	if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_text(q, 0))
		snprintf(buf, cap, "%s", (const char *)sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
}

static long long count_rows(const char *table)
{
	char sql[128], buf[32];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	raw_query(db_path, sql, buf, sizeof buf);
	return strtoll(buf, NULL, 10);
}

static struct sb_store_position new_position(const char *symbol, int64_t now)
{
	struct sb_store_position p = {.state = SB_POSITION_BUYING, .created_ms = now, .updated_ms = now};
	snprintf(p.symbol, sizeof p.symbol, "%s", symbol);
	return p;
}

static int64_t insert_position(const char *symbol, int64_t now)
{
	struct sb_store_position p = new_position(symbol, now);
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	return p.id;
}

static struct sb_store_order buy_intent(const char *id, const char *symbol, int64_t pos_id)
{
	struct sb_store_order o = {
	    .position_id = pos_id,
	    .side = SB_SIDE_BUY,
	    .type = SB_ORDER_LIMIT,
	    .tif = SB_TIF_GTC,
	    .price = SB_DEC_C(25, 35190000),
	    .orig_qty = SB_DEC_C(0, 39000),
	    .status = SB_ORDER_PENDING_NEW,
	    .created_ms = 1764000000000,
	    .updated_ms = 1764000000000,
	};
	snprintf(o.client_order_id, sizeof o.client_order_id, "%s", id);
	snprintf(o.symbol, sizeof o.symbol, "%s", symbol);
	return o;
}

static struct sb_store_event event(const char *kind, const char *symbol)
{
	struct sb_store_event ev = {.time_ms = 1764000000123, .detail = "{\"why\":\"test\"}"};
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
	return ev;
}

static void assert_orders_equal(const struct sb_store_order *a, const struct sb_store_order *b)
{
	cr_assert_str_eq(a->client_order_id, b->client_order_id);
	cr_assert_eq(a->exchange_order_id, b->exchange_order_id);
	cr_assert_eq(a->position_id, b->position_id);
	cr_assert_str_eq(a->symbol, b->symbol);
	cr_assert_eq(a->side, b->side);
	cr_assert_eq(a->type, b->type);
	cr_assert_eq(a->tif, b->tif);
	cr_assert_eq(a->price, b->price);
	cr_assert_eq(a->orig_qty, b->orig_qty);
	cr_assert_eq(a->quote_qty, b->quote_qty);
	cr_assert_eq(a->executed_qty, b->executed_qty);
	cr_assert_eq(a->cumm_quote_qty, b->cumm_quote_qty);
	cr_assert_eq(a->status, b->status);
	cr_assert_eq(a->created_ms, b->created_ms);
	cr_assert_eq(a->updated_ms, b->updated_ms);
	cr_assert_str_eq(a->last_error, b->last_error);
}

static void assert_positions_equal(const struct sb_store_position *a, const struct sb_store_position *b)
{
	cr_assert_eq(a->id, b->id);
	cr_assert_str_eq(a->symbol, b->symbol);
	cr_assert_eq(a->cycle, b->cycle);
	cr_assert_eq(a->state, b->state);
	cr_assert_eq(a->created_ms, b->created_ms);
	cr_assert_eq(a->updated_ms, b->updated_ms);
	cr_assert_eq(a->opened_ms, b->opened_ms);
	cr_assert_eq(a->closed_ms, b->closed_ms);
	cr_assert_eq(a->buy_qty, b->buy_qty);
	cr_assert_eq(a->cost_quote, b->cost_quote);
	cr_assert_eq(a->base_received, b->base_received);
	cr_assert_eq(a->sell_qty, b->sell_qty);
	cr_assert_eq(a->sold_qty, b->sold_qty);
	cr_assert_eq(a->sell_price_target, b->sell_price_target);
	cr_assert_eq(a->proceeds, b->proceeds);
	cr_assert_eq(a->realised_profit, b->realised_profit);
	cr_assert_eq(a->dust_qty, b->dust_qty);
	cr_assert_str_eq(a->notes, b->notes);
	cr_assert_eq(a->exit, b->exit);
	cr_assert_eq(a->duration_alerted, b->duration_alerted);
	/* Commissions come back ordered by asset; compare as sets. */
	for (int i = 0; i < SB_STORE_COMMISSIONS_MAX; i++) {
		if (!a->commissions[i].asset[0])
			continue;
		bool found = false;
		for (int j = 0; j < SB_STORE_COMMISSIONS_MAX; j++)
			if (strcmp(a->commissions[i].asset, b->commissions[j].asset) == 0) {
				cr_assert_eq(a->commissions[i].amount, b->commissions[j].amount, "%s",
				             a->commissions[i].asset);
				found = true;
			}
		cr_assert(found, "commission %s missing", a->commissions[i].asset);
	}
}

/* Migrations and opening. */

Test(store, fresh_database_gets_the_newest_schema_version_in_wal_mode)
{
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
	cr_assert_str_eq(sb_store_backend(st), "sqlite");
	char mode[16];
	raw_query(db_path, "PRAGMA journal_mode", mode, sizeof mode);
	cr_assert_str_eq(mode, "wal");
	reopen(); /* opening again migrates nothing and keeps the version */
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
}

Test(store, a_scratch_database_is_held_alone_until_closed_and_kept_after)
{
	sb_store_close(st);
	st = NULL;
	snprintf(db_path, sizeof db_path, "%s/scratch.db", dir);
	char err[256];
	struct sb_store_opts scratch = {.scratch = true};
	cr_assert_eq(sb_store_open_sqlite(db_path, &scratch, &st, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_store_state_set(st, "probe", "1", 1, NULL), SB_OK, "%s", sb_store_last_error(st));
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", db_path);
	cr_assert_neq(access(wal, F_OK), 0, "no write-ahead log: each commit writes its pages once");
	struct sb_store *other = NULL;
	struct sb_store_opts ro = {.readonly = true, .busy_timeout_ms = 1};
	sb_err e = sb_store_open_sqlite(db_path, &ro, &other, err, sizeof err);
	if (e == SB_OK) {
		char v[8];
		e = sb_store_state_get(other, "probe", v, sizeof v);
		sb_store_close(other);
	}
	cr_assert_neq(e, SB_OK, "another connection cannot read while the scratch database is open");
	sb_store_close(st);
	st = NULL;
	cr_assert_eq(sb_store_open_sqlite(db_path, &ro, &other, err, sizeof err), SB_OK, "%s", err);
	char v[8];
	cr_assert_eq(sb_store_state_get(other, "probe", v, sizeof v), SB_OK);
	cr_assert_str_eq(v, "1", "what was written is there once it is closed");
	sb_store_close(other);
	open_store();
}

Test(store, another_connections_lock_past_the_busy_timeout_is_busy_and_a_quick_look_does_not_wait)
{
	sb_store_close(st);
	st = NULL;
	char err[256];
	struct sb_store_opts o = {.busy_timeout_ms = 20};
	cr_assert_eq(sb_store_open_sqlite(db_path, &o, &st, err, sizeof err), SB_OK, "%s", err);
	sqlite3 *other = NULL;
	cr_assert_eq(sqlite3_open(db_path, &other), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sb_store_state_set(st, "k", "1", 1, NULL), SB_ERR_DB_BUSY, "%s",
	             sb_store_last_error(st));
	cr_assert_eq(sb_store_wait_for_locks(st, false), SB_OK);
	cr_assert_eq(sb_store_state_set(st, "k", "2", 2, NULL), SB_ERR_DB_BUSY);
	cr_assert_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sb_store_state_set(st, "k", "3", 3, NULL), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(sb_store_wait_for_locks(st, true), SB_OK);
	char v[8];
	cr_assert_eq(sb_store_state_get(st, "k", v, sizeof v), SB_OK);
	cr_assert_str_eq(v, "3", "only the write after the lock was released took");
	sqlite3_close(other);
	sb_store_close(st);
	st = NULL;
	open_store();
}

Test(store, data_version_moves_for_another_connections_commit_only)
{
	uint64_t v0 = 0, v = 0;
	cr_assert_eq(sb_store_data_version(st, &v0), SB_OK, "%s", sb_store_last_error(st));
	uint64_t commits = sb_store_commits(st);
	cr_assert_eq(sb_store_state_set(st, "own", "1", 1, NULL), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(sb_store_commits(st), commits + 1, "the store counts its own commit");
	cr_assert_eq(sb_store_data_version(st, &v), SB_OK);
	cr_assert_eq(v, v0, "the store's own write leaves the data version as it was");
	struct sb_store *other = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(db_path, NULL, &other, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_store_state_set(other, SB_STORE_KEY_PAUSED, "1", 2, NULL), SB_OK);
	sb_store_close(other);
	cr_assert_eq(sb_store_data_version(st, &v), SB_OK);
	cr_assert_neq(v, v0, "another connection's commit moves the data version");
	uint64_t v1 = v;
	cr_assert_eq(sb_store_data_version(st, &v), SB_OK);
	cr_assert_eq(v, v1, "and it stays until the next such commit");
	cr_assert_eq(sb_store_commits(st), commits + 1, "another connection's commit is not this store's");
}

/* Commits 100 KB blobs until st's log holds at least pages pages; each commit only grows it. */
static void grow_log(uint32_t pages)
{
	cr_assert_eq(sb_store_exec(st, "CREATE TABLE IF NOT EXISTS filler (b BLOB)"), SB_OK);
	uint32_t last = 0;
	for (int i = 0; sb_store_wal_pages(st) < pages; i++) {
		cr_assert_lt(i, 1000, "the log does not grow");
		cr_assert_eq(sb_store_exec(st, "INSERT INTO filler SELECT randomblob(100000)"), SB_OK, "%s",
		             sb_store_last_error(st));
		cr_assert_gt(sb_store_wal_pages(st), last, "no commit checkpoints the log");
		last = sb_store_wal_pages(st);
	}
}

Test(store, a_store_that_leaves_checkpoints_to_its_caller_keeps_its_log_until_one_runs)
{
	cr_assert_eq(sb_store_state_set(st, "k", "v", 1, NULL), SB_OK);
	cr_assert_eq(sb_store_wal_pages(st), 0, "a store that checkpoints itself does not report its log");
	sb_store_close(st);
	char err[256];
	struct sb_store_opts o = {.checkpoint_by_caller = true};
	cr_assert_eq(sb_store_open_sqlite(db_path, &o, &st, err, sizeof err), SB_OK, "%s", err);
	grow_log(2 * SB_STORE_CHECKPOINT_PAGES);
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", db_path);
	struct stat sw, sd0, sd1;
	cr_assert_eq(stat(wal, &sw), 0);
	cr_assert_geq(sw.st_size, (off_t)(2 * SB_STORE_CHECKPOINT_PAGES) * 4096, "the log holds every page");
	cr_assert_eq(stat(db_path, &sd0), 0);
	cr_assert_eq(sb_store_checkpoint(st), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(stat(db_path, &sd1), 0);
	cr_assert_gt(sd1.st_size, sd0.st_size, "the log's pages were copied into the database");
	cr_assert_eq(sb_store_state_set(st, "after", "1", 1, NULL), SB_OK);
	cr_assert_lt(sb_store_wal_pages(st), 10u, "the log started anew: %u pages", sb_store_wal_pages(st));
	char got[16];
	raw_query(db_path, "SELECT value FROM system_state WHERE key = 'after'", got, sizeof got);
	cr_assert_str_eq(got, "1");
}

/* Removes what migration 5 added, for a file put back to an older schema. */
#define UNDO_MIGRATION_5                                                                                     \
	"ALTER TABLE positions DROP COLUMN exit_reason; ALTER TABLE positions DROP COLUMN alerted;"

/* Sets schema_version as if the database had been written by an older or newer build. */
static void set_schema_version(int64_t v)
{
	char sql[128];
	snprintf(sql, sizeof sql, "UPDATE system_state SET value = '%lld' WHERE key = 'schema_version'",
	         (long long)v);
	cr_assert_eq(sb_store_exec(st, sql), SB_OK, "%s", sb_store_last_error(st));
}

Test(store, version_2_gains_the_stop_loss_cooldown_with_its_default)
{
	/* A version-2 file: the pair row as it was written then, without the column migration 3 adds. */
	struct sb_store_pair p = {.symbol = "BTCUSDT",
	                          .enabled = true,
	                          .quote_per_cycle = SB_DEC_C(20, 0),
	                          .max_positions = 1,
	                          .buy_offset = 100000,
	                          .target_profit = 500000,
	                          .stop_loss_cooldown_ms = 60000,
	                          .updated_ms = 5};
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_OK);
	cr_assert_eq(sb_store_exec(st, "ALTER TABLE trade_pairs DROP COLUMN stop_loss_cooldown_ms"), SB_OK);
	cr_assert_eq(sb_store_exec(st, UNDO_MIGRATION_5), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(sb_store_exec(st, "UPDATE system_state SET value = '2' WHERE key = 'schema_version'"),
	             SB_OK);
	reopen();
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
	struct sb_store_pair got;
	cr_assert_eq(sb_store_pair_get(st, "BTCUSDT", &got), SB_OK);
	cr_assert_eq(got.stop_loss_cooldown_ms, 30 * 60 * 1000, "the default: %" PRId64,
	             got.stop_loss_cooldown_ms);
	cr_assert_eq(got.quote_per_cycle, SB_DEC_C(20, 0), "the rest of the row is kept");
	got.stop_loss_cooldown_ms = -1;
	cr_assert_eq(sb_store_pair_upsert(st, &got, NULL), SB_ERR_INVALID, "a negative cooldown is refused");
}

Test(store, database_from_a_newer_version_is_refused)
{
	set_schema_version(SB_STORE_SCHEMA_VERSION + 1);
	sb_store_close(st);
	st = NULL;
	char err[256], want[16];
	cr_assert_eq(sb_store_open_sqlite(db_path, NULL, &st, err, sizeof err), SB_ERR_UNSUPPORTED);
	cr_assert_null(st);
	cr_assert(strstr(err, "newer") != NULL, "%s", err);
	snprintf(want, sizeof want, "%d", SB_STORE_SCHEMA_VERSION + 1);
	cr_assert(strstr(err, want) != NULL, "%s", err);
}

Test(store, migration_4_spells_old_event_kinds_lowercase)
{
	/* Kinds as builds before schema 4 wrote them, next to kinds that were always lowercase. */
	const char *kinds[] = {"position.CLOSED", "order.PARTIALLY_FILLED", "order.intent", "fill"};
	for (size_t i = 0; i < 4; i++) {
		struct sb_store_event ev = event(kinds[i], "BTCUSDT");
		cr_assert_eq(sb_store_event_append(st, &ev, NULL), SB_OK);
	}
	cr_assert_eq(sb_store_exec(st, UNDO_MIGRATION_5), SB_OK, "%s", sb_store_last_error(st));
	set_schema_version(3);
	reopen();
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_event_list(st, NULL, &rows, &n), SB_OK);
	cr_assert_eq(n, 4);
	const char *want[] = {"position.closed", "order.partially_filled", "order.intent", "fill"};
	for (size_t i = 0; i < 4; i++)
		cr_assert_str_eq(rows[i].kind, want[i]);
	sb_store_events_free(rows, n);
	/* The events stay append-only after the rewrite. */
	cr_assert_eq(sb_store_exec(st, "UPDATE events SET kind = 'x'"), SB_ERR_DB);
	cr_assert(strstr(sb_store_last_error(st), "append-only") != NULL, "%s", sb_store_last_error(st));
}

Test(store, event_kind_filter_ignores_case)
{
	struct sb_store_event ev = event("position.closed", "BTCUSDT");
	cr_assert_eq(sb_store_event_append(st, &ev, NULL), SB_OK);
	ev = event("position.holding", "BTCUSDT");
	cr_assert_eq(sb_store_event_append(st, &ev, NULL), SB_OK);
	const char *spellings[] = {"position.closed", "position.CLOSED", "Position.Closed"};
	for (size_t i = 0; i < 3; i++) {
		struct sb_store_event *rows = NULL;
		size_t n = 0;
		struct sb_store_event_filter f = {.kind = spellings[i]};
		cr_assert_eq(sb_store_event_list(st, &f, &rows, &n), SB_OK);
		cr_assert_eq(n, 1, "%s", spellings[i]);
		cr_assert_str_eq(rows[0].kind, "position.closed");
		sb_store_events_free(rows, n);
	}
}

Test(store, foreign_database_is_refused)
{
	char path[160], err[256];
	snprintf(path, sizeof path, "%s/other.db", dir);
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct sb_store *other = NULL;
	cr_assert_eq(sb_store_open_sqlite(path, NULL, &other, err, sizeof err), SB_ERR_DB);
	cr_assert(strstr(err, "not a spotbot database") != NULL, "%s", err);
}

Test(store, missing_file_with_no_create_is_not_found)
{
	char path[160], err[256];
	snprintf(path, sizeof path, "%s/absent.db", dir);
	struct sb_store_opts o = {.no_create = true};
	struct sb_store *other = NULL;
	cr_assert_eq(sb_store_open_sqlite(path, &o, &other, err, sizeof err), SB_ERR_NOT_FOUND);
	cr_assert_eq(access(path, F_OK), -1);
}

/* Trade pairs. */

Test(store, pair_round_trips_and_upsert_keeps_created_time)
{
	struct sb_store_pair p = {
	    .symbol = "BTCUSDT",
	    .enabled = true,
	    .quote_per_cycle = SB_DEC_MAX,
	    .max_positions = 3,
	    .buy_mode = SB_STORE_BUY_LIMIT,
	    .buy_offset = SB_DEC_C(0, 100000),
	    .buy_timeout_ms = 60000,
	    .target_profit = SB_DEC_C(0, 1),
	    .has_stop_loss = true,
	    .stop_loss = SB_DEC_C(0, 5000000),
	    .max_duration_ms = 86400000,
	    .sell_market_on_max_duration = true,
	    .cooldown_ms = 1000,
	    .updated_ms = 1000,
	};
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	struct sb_store_pair q2 = {.symbol = "ETHUSDT",
	                           .quote_per_cycle = 1,
	                           .max_positions = 1,
	                           .buy_mode = SB_STORE_BUY_MARKET,
	                           .updated_ms = 1500};
	cr_assert_eq(sb_store_pair_upsert(st, &q2, NULL), SB_OK);

	struct sb_store_pair got;
	cr_assert_eq(sb_store_pair_get(st, "BTCUSDT", &got), SB_OK);
	cr_assert_eq(got.quote_per_cycle, SB_DEC_MAX);
	cr_assert_eq(got.buy_offset, SB_DEC_C(0, 100000));
	cr_assert_eq(got.target_profit, 1);
	cr_assert(got.has_stop_loss);
	cr_assert_eq(got.stop_loss, SB_DEC_C(0, 5000000));
	cr_assert_eq(got.max_duration_ms, 86400000);
	cr_assert(got.sell_market_on_max_duration);
	cr_assert_eq(got.buy_mode, SB_STORE_BUY_LIMIT);
	cr_assert_eq(got.created_ms, 1000);

	p.enabled = false;
	p.has_stop_loss = false;
	p.max_duration_ms = 0;
	p.updated_ms = 2000;
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_OK);
	cr_assert_eq(sb_store_pair_get(st, "BTCUSDT", &got), SB_OK);
	cr_assert(!got.enabled);
	cr_assert(!got.has_stop_loss);
	cr_assert_eq(got.max_duration_ms, 0);
	cr_assert_eq(got.created_ms, 1000);
	cr_assert_eq(got.updated_ms, 2000);

	struct sb_store_pair *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_pair_list(st, false, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(rows[0].symbol, "BTCUSDT");
	cr_assert_str_eq(rows[1].symbol, "ETHUSDT");
	cr_assert_eq(rows[1].buy_mode, SB_STORE_BUY_MARKET);
	free(rows);
	cr_assert_eq(sb_store_pair_list(st, true, &rows, &n), SB_OK);
	cr_assert_eq(n, 0); /* ETHUSDT was never enabled, BTCUSDT no longer is */
	free(rows);
	cr_assert_eq(sb_store_pair_get(st, "XRPUSDT", &got), SB_ERR_NOT_FOUND);
}

Test(store, pair_with_bad_values_is_refused_before_the_database)
{
	struct sb_store_pair p = {.symbol = "BTCUSDT", .quote_per_cycle = 0, .max_positions = 1};
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_ERR_INVALID);
	cr_assert(strstr(sb_store_last_error(st), "quote") != NULL);
	p.quote_per_cycle = 1;
	p.has_stop_loss = true;
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_ERR_INVALID);
	cr_assert_eq(count_rows("trade_pairs"), 0);
}

Test(store, pair_delete_removes_the_row_with_its_event_and_keeps_the_history)
{
	struct sb_store_pair p = {.symbol = "BTCUSDT", .quote_per_cycle = 1, .max_positions = 1};
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_OK);
	insert_position("BTCUSDT", 1);
	long long events = count_rows("events");
	struct sb_store_event ev = {.time_ms = 5, .kind = "pair.removed", .symbol = "BTCUSDT"};
	cr_assert_eq(sb_store_pair_delete(st, "BTCUSDT", &ev), SB_OK, "%s", sb_store_last_error(st));
	struct sb_store_pair got;
	cr_assert_eq(sb_store_pair_get(st, "BTCUSDT", &got), SB_ERR_NOT_FOUND);
	cr_assert_eq(count_rows("positions"), 1, "the pair's history stays");
	cr_assert_eq(count_rows("events"), events + 1);
	/* A second removal finds nothing and writes no event. */
	cr_assert_eq(sb_store_pair_delete(st, "BTCUSDT", &ev), SB_ERR_NOT_FOUND);
	cr_assert_eq(count_rows("events"), events + 1);
}

/* Orders. */

Test(store, order_intent_round_trips_exact_values)
{
	int64_t pos = insert_position("BTCUSDT", 1);
	struct sb_store_order o = buy_intent("sb-BTCUSDT-1-b", "BTCUSDT", pos);
	o.price = SB_DEC_MAX;
	o.orig_qty = 1; /* 0.00000001 */
	o.quote_qty = SB_DEC_MAX - 1;
	snprintf(o.last_error, sizeof o.last_error, "%s", "none yet, \"quoted\" 'text'");
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_OK, "%s", sb_store_last_error(st));
	struct sb_store_order got;
	cr_assert_eq(sb_store_order_get(st, o.client_order_id, &got), SB_OK);
	assert_orders_equal(&o, &got);

	/* A MARKET order has no time in force: NULL in the database, NONE back. */
	struct sb_store_order m = buy_intent("sb-BTCUSDT-1-m", "BTCUSDT", 0);
	m.type = SB_ORDER_MARKET;
	m.tif = SB_TIF_NONE;
	m.side = SB_SIDE_SELL;
	m.price = 0;
	cr_assert_eq(sb_store_order_insert_intent(st, &m, NULL, NULL), SB_OK);
	cr_assert_eq(sb_store_order_get(st, m.client_order_id, &got), SB_OK);
	assert_orders_equal(&m, &got);
	char buf[32];
	raw_query(
	    db_path,
	    "SELECT coalesce(time_in_force, 'null') FROM orders WHERE client_order_id = 'sb-BTCUSDT-1-m'",
	    buf, sizeof buf);
	cr_assert_str_eq(buf, "null");
	raw_query(db_path, "SELECT price FROM orders WHERE client_order_id = 'sb-BTCUSDT-1-b'", buf,
	          sizeof buf);
	cr_assert_str_eq(buf, "9223372036854775807"); /* stored as the scaled integer */
}

Test(store, order_intent_must_be_pending_new)
{
	struct sb_store_order o = buy_intent("x1", "BTCUSDT", 0);
	o.status = SB_ORDER_NEW;
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_ERR_INVALID);
	cr_assert_eq(count_rows("orders"), 0);
}

Test(store, duplicate_client_order_id_is_refused_and_changes_nothing)
{
	struct sb_store_order o = buy_intent("dup-1", "BTCUSDT", 0);
	struct sb_store_event ev = event("order.intent", "BTCUSDT");
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, &ev), SB_OK);
	struct sb_store_order o2 = o;
	o2.price = SB_DEC_C(99, 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o2, NULL, &ev), SB_ERR_EXISTS);
	cr_assert(strstr(sb_store_last_error(st), "UNIQUE") != NULL, "%s", sb_store_last_error(st));
	struct sb_store_order got;
	cr_assert_eq(sb_store_order_get(st, "dup-1", &got), SB_OK);
	cr_assert_eq(got.price, o.price);
	cr_assert_eq(count_rows("orders"), 1);
	cr_assert_eq(count_rows("events"), 1); /* the second event went with the rolled-back insert */
}

Test(store, order_for_unknown_position_is_not_found)
{
	struct sb_store_order o = buy_intent("o-1", "BTCUSDT", 4242);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_ERR_NOT_FOUND);
	cr_assert_eq(count_rows("orders"), 0);
}

Test(store, order_update_changes_only_its_mutable_columns)
{
	int64_t pos = insert_position("BTCUSDT", 1);
	struct sb_store_order o = buy_intent("o-1", "BTCUSDT", pos);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_OK);
	struct sb_store_order u = o;
	u.status = SB_ORDER_NEW;
	u.exchange_order_id = INT64_MAX;
	u.executed_qty = SB_DEC_C(0, 1000);
	u.cumm_quote_qty = SB_DEC_C(0, 2535190);
	u.updated_ms = o.updated_ms + 5;
	snprintf(u.last_error, sizeof u.last_error, "timeout once");
	u.price = 12345; /* immutable: not written */
	cr_assert_eq(sb_store_order_update(st, &u, NULL, NULL), SB_OK);
	struct sb_store_order got;
	cr_assert_eq(sb_store_order_get(st, "o-1", &got), SB_OK);
	u.price = o.price;
	assert_orders_equal(&u, &got);

	struct sb_store_order missing = buy_intent("nope", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_update(st, &missing, NULL, NULL), SB_ERR_NOT_FOUND);
}

Test(store, order_update_with_position_is_one_transaction)
{
	struct sb_store_position p = new_position("BTCUSDT", 1);
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
	struct sb_store_order o = buy_intent("o-1", "BTCUSDT", p.id);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_OK);
	o.status = SB_ORDER_CANCELED;
	p.state = SB_POSITION_CANCELED;
	p.closed_ms = 77;
	struct sb_store_event ev = event("order.canceled", "BTCUSDT");
	cr_assert_eq(sb_store_order_update(st, &o, &p, &ev), SB_OK);
	struct sb_store_position got;
	cr_assert_eq(sb_store_position_get(st, p.id, &got), SB_OK);
	cr_assert_eq(got.state, SB_POSITION_CANCELED);
	cr_assert_eq(got.closed_ms, 77);

	/* A position that does not exist undoes the order update too. */
	o.status = SB_ORDER_FILLED;
	p.id = 999;
	cr_assert_eq(sb_store_order_update(st, &o, &p, &ev), SB_ERR_NOT_FOUND);
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "o-1", &og), SB_OK);
	cr_assert_eq(og.status, SB_ORDER_CANCELED);
	cr_assert_eq(count_rows("events"), 1);
}

Test(store, order_lists_filter_by_symbol_position_status_and_openness)
{
	int64_t p1 = insert_position("BTCUSDT", 1);
	int64_t p2 = insert_position("ETHUSDT", 2);
	const char *ids[] = {"a", "b", "c", "d"};
	const char *syms[] = {"BTCUSDT", "BTCUSDT", "ETHUSDT", "BTCUSDT"};
	int64_t poss[] = {p1, p1, p2, 0};
	enum sb_order_state final[] = {SB_ORDER_FILLED, SB_ORDER_NEW, SB_ORDER_UNKNOWN, SB_ORDER_PENDING_NEW};
	for (int i = 0; i < 4; i++) {
		struct sb_store_order o = buy_intent(ids[i], syms[i], poss[i]);
		cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_OK);
		o.status = final[i];
		cr_assert_eq(sb_store_order_update(st, &o, NULL, NULL), SB_OK);
	}
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_order_list_open(st, &rows, &n), SB_OK);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(rows[0].client_order_id, "b"); /* oldest first */
	cr_assert_str_eq(rows[1].client_order_id, "c");
	cr_assert_str_eq(rows[2].client_order_id, "d");
	free(rows);

	struct sb_store_order_filter f = {.symbol = "BTCUSDT"};
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 3);
	cr_assert_str_eq(rows[0].client_order_id, "d"); /* newest first */
	free(rows);
	f = (struct sb_store_order_filter){.position_id = p1, .by_status = true, .status = SB_ORDER_FILLED};
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rows[0].client_order_id, "a");
	free(rows);
	f = (struct sb_store_order_filter){.limit = 2};
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	free(rows);
	f = (struct sb_store_order_filter){.symbol = "XRPUSDT"};
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 0);
	cr_assert_null(rows);
}

/* Fills. */

struct cycle {
	struct sb_store_position pos; /* the position */
	struct sb_store_order order;  /* its buy order */
	struct sb_store_fill fill;    /* a fill of it */
};

static struct cycle start_cycle(void)
{
	struct cycle c = {.pos = new_position("BTCUSDT", 10)};
	cr_assert_eq(sb_store_position_insert(st, &c.pos, NULL), SB_OK);
	c.order = buy_intent("cyc-1-b", "BTCUSDT", c.pos.id);
	cr_assert_eq(sb_store_order_insert_intent(st, &c.order, NULL, NULL), SB_OK);
	c.order.status = SB_ORDER_NEW;
	c.order.exchange_order_id = 77;
	cr_assert_eq(sb_store_order_update(st, &c.order, NULL, NULL), SB_OK);
	c.fill = (struct sb_store_fill){.symbol = "BTCUSDT",
	                                .trade_id = 5001,
	                                .client_order_id = "cyc-1-b",
	                                .price = SB_DEC_C(25, 35190000),
	                                .qty = SB_DEC_C(0, 39000),
	                                .quote_qty = SB_DEC_C(0, 9887241),
	                                .commission = SB_DEC_C(0, 39),
	                                .commission_asset = "BTC",
	                                .is_maker = true,
	                                .time_ms = 1764000000500};
	return c;
}

/* What the engine would compute from the fill. */
static void apply_to(struct cycle *c)
{
	c->order.executed_qty += c->fill.qty;
	c->order.cumm_quote_qty += c->fill.quote_qty;
	c->order.status = SB_ORDER_FILLED;
	c->pos.buy_qty += c->fill.qty;
	c->pos.cost_quote += c->fill.quote_qty;
	c->pos.base_received += c->fill.qty - c->fill.commission;
	c->pos.state = SB_POSITION_HOLDING;
	c->pos.opened_ms = c->fill.time_ms;
	snprintf(c->pos.commissions[0].asset, sizeof c->pos.commissions[0].asset, "BTC");
	c->pos.commissions[0].amount += c->fill.commission;
}

Test(store, fill_applies_order_position_and_event_together)
{
	struct cycle c = start_cycle();
	apply_to(&c);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	snprintf(ev.client_order_id, sizeof ev.client_order_id, "cyc-1-b");
	cr_assert_eq(sb_store_fill_apply(st, &c.fill, &c.order, &c.pos, &ev), SB_OK, "%s",
	             sb_store_last_error(st));

	struct sb_store_fill *fills = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(st, "cyc-1-b", &fills, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(fills[0].trade_id, 5001);
	cr_assert_eq(fills[0].price, c.fill.price);
	cr_assert_eq(fills[0].qty, c.fill.qty);
	cr_assert_eq(fills[0].quote_qty, c.fill.quote_qty);
	cr_assert_eq(fills[0].commission, c.fill.commission);
	cr_assert_str_eq(fills[0].commission_asset, "BTC");
	cr_assert(fills[0].is_maker);
	cr_assert_eq(fills[0].time_ms, c.fill.time_ms);
	free(fills);

	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-1-b", &og), SB_OK);
	assert_orders_equal(&c.order, &og);
	struct sb_store_position pg;
	cr_assert_eq(sb_store_position_get(st, c.pos.id, &pg), SB_OK);
	assert_positions_equal(&c.pos, &pg);
	bool exists = false;
	cr_assert_eq(sb_store_fill_exists(st, "BTCUSDT", "cyc-1-b", 5001, &exists), SB_OK);
	cr_assert(exists);
	cr_assert_eq(sb_store_fill_exists(st, "ETHUSDT", "cyc-1-b", 5001, &exists), SB_OK);
	cr_assert(!exists); /* trade ids are unique per symbol only */
	cr_assert_eq(sb_store_fill_exists(st, "BTCUSDT", "cyc-2-s", 5001, &exists), SB_OK);
	cr_assert(!exists); /* and per order: a self-trade shares one between two orders */

	struct sb_store_event *evs = NULL;
	cr_assert_eq(sb_store_event_list(st, NULL, &evs, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(evs[0].position_id, c.pos.id); /* filled in from the order */
	cr_assert_str_eq(evs[0].client_order_id, "cyc-1-b");
	sb_store_events_free(evs, n);
}

Test(store, duplicate_fill_is_refused_and_the_position_changes_once)
{
	struct cycle c = start_cycle();
	struct cycle first = c;
	apply_to(&first);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	cr_assert_eq(sb_store_fill_apply(st, &first.fill, &first.order, &first.pos, &ev), SB_OK);
	/* The replayed report: the engine, unaware, adds the same fill a second time. */
	struct cycle again = first;
	apply_to(&again);
	cr_assert_eq(sb_store_fill_apply(st, &again.fill, &again.order, &again.pos, &ev), SB_ERR_EXISTS);

	struct sb_store_position pg;
	cr_assert_eq(sb_store_position_get(st, c.pos.id, &pg), SB_OK);
	cr_assert_eq(pg.buy_qty, c.fill.qty);
	cr_assert_eq(pg.commissions[0].amount, c.fill.commission);
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-1-b", &og), SB_OK);
	cr_assert_eq(og.executed_qty, c.fill.qty);
	cr_assert_eq(count_rows("fills"), 1);
	cr_assert_eq(count_rows("events"), 1);
}

/* Two orders of one account met (a self-trade): the sell of one position filled the resting buy of
 * another, and both executionReports carry the same trade id. Both fills are the account's money. */
Test(store, self_trade_keeps_both_fills_and_applies_each_once)
{
	struct cycle buy = start_cycle();
	apply_to(&buy);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	cr_assert_eq(sb_store_fill_apply(st, &buy.fill, &buy.order, &buy.pos, &ev), SB_OK, "%s",
	             sb_store_last_error(st));

	int64_t other = insert_position("BTCUSDT", 20);
	struct sb_store_order sell = buy_intent("cyc-2-s", "BTCUSDT", other);
	sell.side = SB_SIDE_SELL;
	sell.type = SB_ORDER_MARKET;
	sell.tif = SB_TIF_NONE;
	sell.price = 0;
	cr_assert_eq(sb_store_order_insert_intent(st, &sell, NULL, NULL), SB_OK, "%s",
	             sb_store_last_error(st));
	sell.status = SB_ORDER_FILLED;
	sell.exchange_order_id = 78;
	sell.executed_qty = buy.fill.qty;
	sell.cumm_quote_qty = buy.fill.quote_qty;
	struct sb_store_fill sf = buy.fill; /* the same trade, seen from the other order */
	snprintf(sf.client_order_id, sizeof sf.client_order_id, "cyc-2-s");
	sf.is_maker = false;
	cr_assert_eq(sb_store_fill_apply(st, &sf, &sell, NULL, &ev), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(count_rows("fills"), 2);
	/* Each side replayed (stream and REST both report it) is still applied only once. */
	cr_assert_eq(sb_store_fill_apply(st, &sf, &sell, NULL, &ev), SB_ERR_EXISTS);
	cr_assert_eq(sb_store_fill_apply(st, &buy.fill, &buy.order, &buy.pos, &ev), SB_ERR_EXISTS);
	cr_assert_eq(count_rows("fills"), 2);
	struct sb_store_fill *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(st, "cyc-2-s", &rows, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(rows[0].trade_id, 5001);
	cr_assert(!rows[0].is_maker);
	free(rows);
}

/* An exchange that restarted without its state (a simulator, a testnet reset) numbers its orders from 1
 * again: the books keep the old order and take the new one with the same exchange id. */
Test(store, exchange_order_id_may_repeat_after_an_exchange_restart)
{
	struct cycle c = start_cycle(); /* cyc-1-b is exchange order 77 */
	struct sb_store_order again = buy_intent("cyc-2-b", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &again, NULL, NULL), SB_OK);
	again.status = SB_ORDER_NEW;
	again.exchange_order_id = c.order.exchange_order_id;
	cr_assert_eq(sb_store_order_update(st, &again, NULL, NULL), SB_OK, "%s", sb_store_last_error(st));
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-2-b", &og), SB_OK);
	cr_assert_eq(og.exchange_order_id, 77);
}

/* A database written by the first schema, where (symbol, trade_id) was unique, is migrated in place:
 * its fills are kept and a self-trade's second fill fits afterwards. */
Test(store, schema_1_database_is_migrated_and_keeps_its_fills)
{
	struct cycle c = start_cycle();
	apply_to(&c);
	cr_assert_eq(sb_store_fill_apply(st, &c.fill, &c.order, &c.pos, NULL), SB_OK);
	sb_store_close(st);
	st = NULL;
	/* Put the file back to schema 1: the old table, with its old key, holding the same row. */
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	const char *v1 =
	    "BEGIN;"
	    "CREATE TABLE fills_v1 (id INTEGER PRIMARY KEY, symbol TEXT NOT NULL, trade_id INTEGER NOT NULL,"
	    " client_order_id TEXT NOT NULL REFERENCES orders(client_order_id), price INTEGER NOT NULL,"
	    " qty INTEGER NOT NULL, quote_qty INTEGER NOT NULL, commission INTEGER NOT NULL,"
	    " commission_asset TEXT NOT NULL, is_maker INTEGER NOT NULL, time_ms INTEGER NOT NULL,"
	    " UNIQUE (symbol, trade_id)) STRICT;"
	    "INSERT INTO fills_v1 SELECT * FROM fills; DROP TABLE fills;"
	    "ALTER TABLE fills_v1 RENAME TO fills; CREATE INDEX fills_order ON fills(client_order_id);"
	    "DELETE FROM order_statuses WHERE name = 'LOST';"
	    "ALTER TABLE trade_pairs DROP COLUMN stop_loss_cooldown_ms;" UNDO_MIGRATION_5
	    "UPDATE system_state SET value = '1' WHERE key = 'schema_version'; COMMIT;";
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, v1, NULL, NULL, &msg), SQLITE_OK, "%s", msg ? msg : "");
	sqlite3_close(db);
	open_store();
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
	char final[8];
	raw_query(db_path, "SELECT final FROM order_statuses WHERE name = 'LOST'", final, sizeof final);
	cr_assert_str_eq(final, "1", "the status LOST came with the migration");
	bool exists = false;
	cr_assert_eq(sb_store_fill_exists(st, "BTCUSDT", "cyc-1-b", 5001, &exists), SB_OK);
	cr_assert(exists);
	struct sb_store_order sell = buy_intent("cyc-2-s", "BTCUSDT", 0);
	sell.side = SB_SIDE_SELL;
	cr_assert_eq(sb_store_order_insert_intent(st, &sell, NULL, NULL), SB_OK);
	sell.status = SB_ORDER_FILLED;
	sell.executed_qty = c.fill.qty;
	sell.cumm_quote_qty = c.fill.quote_qty;
	struct sb_store_fill sf = c.fill;
	snprintf(sf.client_order_id, sizeof sf.client_order_id, "cyc-2-s");
	cr_assert_eq(sb_store_fill_apply(st, &sf, &sell, NULL, NULL), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(count_rows("fills"), 2);
	cr_assert_eq(sb_store_check(st, NULL, 0), SB_OK, "%s", sb_store_last_error(st));
}

Test(store, fill_is_rolled_back_when_the_position_update_fails)
{
	struct cycle c = start_cycle();
	struct sb_store_order before = c.order;
	apply_to(&c);
	/* Injected fault: the position update (the last statement) is aborted by a temporary trigger. */
	cr_assert_eq(sb_store_exec(st, "CREATE TEMP TRIGGER fault BEFORE UPDATE ON positions"
	                               " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"),
	             SB_OK);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	sb_err e = sb_store_fill_apply(st, &c.fill, &c.order, &c.pos, &ev);
	cr_assert_eq(e, SB_ERR_DB, "%s", sb_errname(e));
	cr_assert(strstr(sb_store_last_error(st), "injected fault") != NULL, "%s", sb_store_last_error(st));

	bool exists = true;
	cr_assert_eq(sb_store_fill_exists(st, "BTCUSDT", "cyc-1-b", 5001, &exists), SB_OK);
	cr_assert(!exists);
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-1-b", &og), SB_OK);
	assert_orders_equal(&before, &og);
	cr_assert_eq(count_rows("events"), 0);

	/* Without the fault the same call goes through: nothing was left half-done. */
	cr_assert_eq(sb_store_exec(st, "DROP TRIGGER temp.fault"), SB_OK);
	cr_assert_eq(sb_store_fill_apply(st, &c.fill, &c.order, &c.pos, &ev), SB_OK);
	cr_assert_eq(count_rows("fills"), 1);
}

/* In a child: tells the parent on fd (one byte) that its work is done, then exits, or waits to be killed
 * (wait_for_kill). */
__attribute__((noreturn)) static void child_done(int fd, bool wait_for_kill)
{
	if (write(fd, "x", 1) != 1)
		_exit(4);
	if (!wait_for_kill)
		_exit(0);
	for (;;)
		pause();
}

/* Waits until the child pid reports on fd (one byte) what it did, then kills it with SIGKILL (kill9) or
 * waits for it to exit by itself; fails the test unless it ended that way. */
static void child_ended(pid_t pid, int fd, bool kill9, const char *what)
{
	char c;
	cr_assert_eq(read(fd, &c, 1), 1, "the child never reported %s", what);
	close(fd);
	if (kill9)
		kill(pid, SIGKILL);
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (kill9)
		cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	else
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Transaction scopes: a buy's completing fill, the position's move to HOLDING and the sell intent with the
 * position SELLING, as the engine writes them together. */

/* The sell of cycle c, with its position moved on as the engine writes it. */
static struct sb_store_order sell_of(struct cycle *c, const char *id)
{
	struct sb_store_order o = buy_intent(id, "BTCUSDT", c->pos.id);
	o.side = SB_SIDE_SELL;
	o.price = SB_DEC_C(26, 0);
	c->pos.state = SB_POSITION_SELLING;
	c->pos.sell_qty = o.orig_qty;
	c->pos.sell_price_target = o.price;
	return o;
}

/* Writes the fill of c, the position HOLDING and the sell intent of c (order id sell) in one scope, without
 * committing it. */
static struct sb_store_order scope_writes(struct cycle *c, const char *sell)
{
	cr_assert_eq(sb_store_begin(st), SB_OK, "%s", sb_store_last_error(st));
	apply_to(c);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	cr_assert_eq(sb_store_fill_apply(st, &c->fill, &c->order, NULL, &ev), SB_OK, "%s",
	             sb_store_last_error(st));
	struct sb_store_event hold = event("position.holding", "BTCUSDT");
	cr_assert_eq(sb_store_position_update(st, &c->pos, &hold), SB_OK, "%s", sb_store_last_error(st));
	struct sb_store_order o = sell_of(c, sell);
	struct sb_store_event intent = event("order.intent", "BTCUSDT");
	cr_assert_eq(sb_store_order_insert_intent(st, &o, &c->pos, &intent), SB_OK, "%s",
	             sb_store_last_error(st));
	return o;
}

/* Opens a scope and writes c's fill with its order and position in it; the fill's event. */
static struct sb_store_event scope_fill(struct cycle *c)
{
	cr_assert_eq(sb_store_begin(st), SB_OK, "%s", sb_store_last_error(st));
	apply_to(c);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	cr_assert_eq(sb_store_fill_apply(st, &c->fill, &c->order, &c->pos, &ev), SB_OK, "%s",
	             sb_store_last_error(st));
	return ev;
}

static void count_commit(void *user, uint64_t ns)
{
	(void)ns;
	(*(int *)user)++;
}

Test(store, scope_writes_fill_holding_and_sell_intent_in_one_commit)
{
	struct cycle c = start_cycle();
	int observed = 0;
	sb_store_set_commit_observer(st, count_commit, &observed);
	uint64_t commits = sb_store_commits(st);
	long long events = count_rows("events");
	struct sb_store_order sell = scope_writes(&c, "cyc-1-s");
	/* Written, visible to this connection, not committed: another connection sees none of it. */
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-1-s", &og), SB_OK);
	cr_assert_eq(count_rows("fills"), 0);
	cr_assert_eq(count_rows("events"), events);
	cr_assert_eq(sb_store_commits(st), commits);
	cr_assert_eq(observed, 0);

	cr_assert_eq(sb_store_commit(st), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(sb_store_commits(st), commits + 1, "one commit for the whole scope");
	cr_assert_eq(observed, 1, "the observer is told once");
	cr_assert_eq(count_rows("fills"), 1);
	cr_assert_eq(count_rows("events"), events + 3);
	reopen();
	cr_assert_eq(sb_store_order_get(st, "cyc-1-s", &og), SB_OK);
	assert_orders_equal(&sell, &og);
	cr_assert_eq(sb_store_order_get(st, "cyc-1-b", &og), SB_OK);
	assert_orders_equal(&c.order, &og);
	struct sb_store_position pg;
	cr_assert_eq(sb_store_position_get(st, c.pos.id, &pg), SB_OK);
	assert_positions_equal(&c.pos, &pg);
	/* After the scope every write commits on its own again. */
	cr_assert_eq(sb_store_state_set(st, "after", "1", 3, NULL), SB_OK);
	cr_assert_eq(sb_store_commits(st), 1);
}

Test(store, scope_write_that_fails_undoes_only_itself)
{
	struct cycle c = start_cycle();
	struct sb_store_event ev = scope_fill(&c);
	/* The same fill again, and an intent whose client order id exists: refused, each on its own. */
	cr_assert_eq(sb_store_fill_apply(st, &c.fill, &c.order, &c.pos, &ev), SB_ERR_EXISTS);
	struct sb_store_order dup = buy_intent("cyc-1-b", "BTCUSDT", c.pos.id);
	struct sb_store_position moved = c.pos;
	moved.state = SB_POSITION_SELLING;
	cr_assert_eq(sb_store_order_insert_intent(st, &dup, &moved, &ev), SB_ERR_EXISTS);
	cr_assert_eq(sb_store_commit(st), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(count_rows("fills"), 1);
	cr_assert_eq(count_rows("events"), 1);
	struct sb_store_position pg;
	cr_assert_eq(sb_store_position_get(st, c.pos.id, &pg), SB_OK);
	assert_positions_equal(&c.pos, &pg);
}

Test(store, scope_rolled_back_leaves_nothing_and_scopes_do_not_nest)
{
	struct cycle c = start_cycle();
	struct cycle before = c;
	(void)scope_writes(&c, "cyc-1-s");
	cr_assert_eq(sb_store_begin(st), SB_ERR_STATE, "a scope inside a scope");
	sb_store_rollback(st);
	cr_assert_eq(sb_store_commit(st), SB_ERR_STATE, "no scope is open any more");
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-1-s", &og), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_store_order_get(st, "cyc-1-b", &og), SB_OK);
	assert_orders_equal(&before.order, &og);
	cr_assert_eq(count_rows("fills"), 0);
	cr_assert_eq(count_rows("events"), 0);
	sb_store_rollback(st); /* harmless without a scope */
}

/* A disk that fills inside the scope: the failed write is undone; should SQLite drop the whole transaction,
 * the commit says so and nothing of the scope is left. Either way the books are sound. */
Test(store, scope_that_meets_a_full_disk_commits_all_of_it_or_nothing)
{
	struct cycle c = start_cycle();
	(void)scope_fill(&c);
	/* max_page_count cannot go below the current size, so 1 means "no growth from here": events until
	 * the file must grow give a full database. */
	cr_assert_eq(sb_store_exec(st, "PRAGMA max_page_count = 1"), SB_OK);
	static char big[SB_STORE_DETAIL_MAX];
	memset(big, 'x', sizeof big - 16);
	memcpy(big, "{\"pad\":\"", 8);
	memcpy(big + sizeof big - 16, "\"}", 3);
	sb_err e = SB_OK;
	for (int i = 0; i < 10000 && e == SB_OK; i++) {
		struct sb_store_event pad = event("pad", "BTCUSDT");
		pad.detail = big;
		e = sb_store_event_append(st, &pad, NULL);
	}
	cr_assert_eq(e, SB_ERR_DB_FULL, "%s", sb_errname(e));
	e = sb_store_commit(st);
	if (e == SB_OK) {
		/* SQLite kept the transaction: the failed write alone was undone. */
		cr_assert_eq(count_rows("fills"), 1);
	} else {
		cr_assert_eq(e, SB_ERR_DB, "%s", sb_errname(e));
		cr_assert_eq(count_rows("fills"), 0);
	}
	char msg[128];
	cr_assert_eq(sb_store_check(st, msg, sizeof msg), SB_OK, "%s", msg);
}

/* A child writes a scope and dies (kill -9) before or right after its commit; the parent must find none of
 * it, or all of it. */
static void crash_in_scope(bool committed)
{
	struct cycle c = start_cycle();
	sb_store_close(st);
	st = NULL;
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (sb_store_open_sqlite(db_path, NULL, &st, NULL, 0) != SB_OK)
			_exit(2);
		(void)scope_writes(&c, "cyc-1-s");
		if (committed && sb_store_commit(st) != SB_OK)
			_exit(3);
		child_done(fds[1], true);
	}
	close(fds[1]);
	child_ended(pid, fds[0], true, "its writes");
	open_store();
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(st, "cyc-1-s", &og), committed ? SB_OK : SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_store_order_get(st, "cyc-1-b", &og), SB_OK);
	cr_assert_eq(og.status, committed ? SB_ORDER_FILLED : SB_ORDER_NEW);
	cr_assert_eq(count_rows("fills"), committed ? 1 : 0);
	struct sb_store_position pg;
	cr_assert_eq(sb_store_position_get(st, c.pos.id, &pg), SB_OK);
	cr_assert_eq(pg.state, committed ? SB_POSITION_SELLING : SB_POSITION_BUYING);
}

Test(store, scope_killed_before_its_commit_leaves_nothing)
{
	crash_in_scope(false);
}

Test(store, scope_survives_kill_9_right_after_its_commit)
{
	crash_in_scope(true);
}

Test(store, fill_with_unknown_position_or_order_changes_nothing)
{
	struct cycle c = start_cycle();
	apply_to(&c);
	struct sb_store_position ghost = c.pos;
	ghost.id = c.pos.id + 100;
	cr_assert_eq(sb_store_fill_apply(st, &c.fill, &c.order, &ghost, NULL), SB_ERR_NOT_FOUND);
	cr_assert_eq(count_rows("fills"), 0);

	struct sb_store_order other = c.order;
	snprintf(other.client_order_id, sizeof other.client_order_id, "never-placed");
	struct sb_store_fill f = c.fill;
	snprintf(f.client_order_id, sizeof f.client_order_id, "never-placed");
	cr_assert_eq(sb_store_fill_apply(st, &f, &other, NULL, NULL), SB_ERR_NOT_FOUND);
	cr_assert_eq(count_rows("fills"), 0);

	/* A fill must be applied with its own order. */
	cr_assert_eq(sb_store_fill_apply(st, &f, &c.order, NULL, NULL), SB_ERR_INVALID);
}

/* Positions. */

Test(store, position_round_trips_extremes_and_negative_profit)
{
	struct sb_store_position p = new_position("BTCUSDT", 1764000000000);
	p.state = SB_POSITION_CLOSED;
	p.opened_ms = 1764000000001;
	p.closed_ms = 1764000000002;
	p.buy_qty = SB_DEC_MAX;
	p.cost_quote = 1;
	p.base_received = SB_DEC_MAX - 1;
	p.sell_qty = SB_DEC_C(1, 0);
	p.sold_qty = SB_DEC_C(1, 0);
	p.sell_price_target = SB_DEC_C(100000, 1);
	p.proceeds = SB_DEC_C(99999, 99999999);
	p.realised_profit = SB_DEC_MIN;
	p.dust_qty = SB_DEC_C(0, 99);
	snprintf(p.notes, sizeof p.notes, "manual sell; 'quoted' \"text\" ünïcode");
	p.exit = SB_EXIT_MAX_DURATION;
	p.duration_alerted = true;
	snprintf(p.commissions[0].asset, sizeof p.commissions[0].asset, "BTC");
	p.commissions[0].amount = SB_DEC_C(0, 39);
	snprintf(p.commissions[2].asset, sizeof p.commissions[2].asset, "BNB");
	p.commissions[2].amount = SB_DEC_MAX;
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_gt(p.id, 0);
	cr_assert_eq(p.cycle, 1);
	struct sb_store_position got;
	cr_assert_eq(sb_store_position_get(st, p.id, &got), SB_OK);
	assert_positions_equal(&p, &got);

	p.realised_profit = -SB_DEC_C(3, 14159265);
	p.exit = SB_EXIT_MANUAL;
	p.commissions[0].asset[0] = '\0'; /* removed: the set of commissions is replaced */
	p.updated_ms += 1;
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK);
	cr_assert_eq(sb_store_position_get(st, p.id, &got), SB_OK);
	assert_positions_equal(&p, &got);
	cr_assert_str_eq(got.commissions[0].asset, "BNB");
	cr_assert_eq(got.commissions[1].asset[0], '\0');
	cr_assert_eq(sb_store_position_get(st, p.id + 1, &got), SB_ERR_NOT_FOUND);
}

Test(store, cycle_numbers_count_per_symbol)
{
	struct sb_store_event ev = event("position.new", "BTCUSDT");
	for (int i = 1; i <= 3; i++) {
		struct sb_store_position p = new_position("BTCUSDT", i);
		cr_assert_eq(sb_store_position_insert(st, &p, &ev), SB_OK);
		cr_assert_eq(p.cycle, i);
	}
	struct sb_store_position e = new_position("ETHUSDT", 9);
	cr_assert_eq(sb_store_position_insert(st, &e, NULL), SB_OK);
	cr_assert_eq(e.cycle, 1);
	struct sb_store_position dup = new_position("ETHUSDT", 9);
	dup.cycle = 1;
	cr_assert_eq(sb_store_position_insert(st, &dup, NULL), SB_ERR_EXISTS);

	struct sb_store_event *evs = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_event_list(st, NULL, &evs, &n), SB_OK);
	cr_assert_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(evs[i].position_id, (int64_t)i + 1); /* each event names the new position */
	sb_store_events_free(evs, n);
}

Test(store, position_lists_filter_by_openness_symbol_and_time)
{
	/* created at 100, 200, 300, 400; the first two closed at 1000 and 2000. */
	const char *syms[] = {"BTCUSDT", "ETHUSDT", "BTCUSDT", "ETHUSDT"};
	int64_t ids[4];
	for (int i = 0; i < 4; i++) {
		struct sb_store_position p = new_position(syms[i], 100 * (i + 1));
		if (i < 2) {
			p.state = SB_POSITION_CLOSED;
			p.closed_ms = 1000 * (i + 1);
		}
		cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
		ids[i] = p.id;
	}
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN};
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(rows[0].id, ids[3]);
	cr_assert_eq(rows[1].id, ids[2]);
	free(rows);
	f = (struct sb_store_pos_filter){.which = SB_STORE_LIST_CLOSED, .from_ms = 1500};
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(rows[0].id, ids[1]);
	free(rows);
	f = (struct sb_store_pos_filter){.symbol = "BTCUSDT"};
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	free(rows);
	f = (struct sb_store_pos_filter){.from_ms = 200, .to_ms = 400};
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(rows[0].id, ids[2]);
	cr_assert_eq(rows[1].id, ids[1]);
	free(rows);
	f = (struct sb_store_pos_filter){.limit = 1};
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(rows[0].id, ids[3]);
	free(rows);
}

/* Events and system state. */

Test(store, events_list_since_id_kind_and_time)
{
	int64_t ids[5];
	const char *kinds[] = {"pause", "fill", "fill", "resume", "fill"};
	for (int i = 0; i < 5; i++) {
		struct sb_store_event ev = event(kinds[i], i % 2 ? "ETHUSDT" : "");
		ev.time_ms = 1000 * (i + 1);
		ev.detail = i == 0 ? NULL : "{\"n\":[1,2,3],\"s\":\"x\"}";
		cr_assert_eq(sb_store_event_append(st, &ev, &ids[i]), SB_OK);
	}
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	struct sb_store_event_filter f = {.after_id = ids[1]};
	cr_assert_eq(sb_store_event_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 3);
	cr_assert_eq(rows[0].id, ids[2]);
	cr_assert_str_eq(rows[0].detail, "{\"n\":[1,2,3],\"s\":\"x\"}");
	cr_assert_str_eq(rows[0].symbol, "");
	cr_assert_eq(rows[0].position_id, 0);
	cr_assert_str_eq(rows[0].client_order_id, "");
	sb_store_events_free(rows, n);
	f = (struct sb_store_event_filter){.kind = "fill", .from_ms = 2000, .to_ms = 5000, .limit = 10};
	cr_assert_eq(sb_store_event_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(rows[0].time_ms, 2000);
	cr_assert_str_eq(rows[0].symbol, "ETHUSDT");
	cr_assert_eq(rows[1].time_ms, 3000);
	sb_store_events_free(rows, n);
	cr_assert_eq(sb_store_event_list(st, NULL, &rows, &n), SB_OK);
	cr_assert_str_eq(rows[0].detail, "{}");
	sb_store_events_free(rows, n);
}

Test(store, events_are_append_only_and_hold_json)
{
	struct sb_store_event ev = event("note", "");
	ev.detail = "{not json";
	cr_assert_eq(sb_store_event_append(st, &ev, NULL), SB_ERR_INVALID);
	ev.detail = "{}";
	cr_assert_eq(sb_store_event_append(st, &ev, NULL), SB_OK);
	cr_assert_eq(sb_store_exec(st, "DELETE FROM events"), SB_ERR_DB);
	cr_assert(strstr(sb_store_last_error(st), "append-only") != NULL, "%s", sb_store_last_error(st));
	cr_assert_eq(sb_store_exec(st, "UPDATE events SET kind = 'x'"), SB_ERR_DB);
	cr_assert_eq(count_rows("events"), 1);
}

Test(store, system_state_values_round_trip)
{
	char buf[64];
	cr_assert_eq(sb_store_state_get(st, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), SB_ERR_NOT_FOUND);
	struct sb_store_event ev = event("run_state", "");
	cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_RUN_STATE, "running", 5, &ev), SB_OK);
	cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_RUN_STATE, "stopping", 6, NULL), SB_OK);
	cr_assert_eq(sb_store_state_get(st, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), SB_OK);
	cr_assert_str_eq(buf, "stopping");
	cr_assert_eq(sb_store_state_get(st, SB_STORE_KEY_RUN_STATE, buf, 4), SB_ERR_TOO_LONG);
	cr_assert_eq(sb_store_state_set_int(st, SB_STORE_KEY_LAST_STREAM_MS, INT64_MIN, 7, NULL), SB_OK);
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_LAST_STREAM_MS, &v), SB_OK);
	cr_assert_eq(v, INT64_MIN);
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_RUN_STATE, &v), SB_ERR_PARSE);
	cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_SCHEMA_VERSION, "9", 8, NULL), SB_ERR_PERM);
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
	cr_assert_eq(count_rows("events"), 1);
}

/* Profit aggregates. */

static void closed_position(const char *symbol, int64_t closed_ms, sb_dec profit, sb_dec cost)
{
	struct sb_store_position p = new_position(symbol, closed_ms - 1);
	p.state = SB_POSITION_CLOSED;
	p.closed_ms = closed_ms;
	p.realised_profit = profit;
	p.cost_quote = cost;
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
}

Test(store, pnl_adds_closed_profits_by_pair_and_by_utc_day)
{
	const int64_t day = 86400000, d0 = 20000 * day;
	closed_position("BTCUSDT", d0 + 5, SB_DEC_C(1, 50000000), SB_DEC_C(100, 0));
	closed_position("BTCUSDT", d0 + day - 1, -SB_DEC_C(0, 25000000), SB_DEC_C(50, 0));
	closed_position("ETHUSDT", d0 + day, SB_DEC_C(0, 1), SB_DEC_C(10, 0));
	struct sb_store_position open = new_position("ETHUSDT", d0); /* open: not counted */
	open.realised_profit = SB_DEC_C(1000, 0);
	cr_assert_eq(sb_store_position_insert(st, &open, NULL), SB_OK);

	struct sb_store_pnl *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_pnl_by_pair(st, 0, 0, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(rows[0].symbol, "BTCUSDT");
	cr_assert_eq(rows[0].positions, 2);
	cr_assert_eq(rows[0].wins, 1);
	cr_assert_eq(rows[0].profit, SB_DEC_C(1, 25000000));
	cr_assert_eq(rows[0].cost, SB_DEC_C(150, 0));
	cr_assert_str_eq(rows[1].symbol, "ETHUSDT");
	cr_assert_eq(rows[1].profit, 1);
	free(rows);

	cr_assert_eq(sb_store_pnl_by_day(st, 0, 0, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	cr_assert_eq(rows[0].day_ms, d0);
	cr_assert_eq(rows[0].positions, 2);
	cr_assert_eq(rows[0].profit, SB_DEC_C(1, 25000000));
	cr_assert_eq(rows[1].day_ms, d0 + day);
	cr_assert_eq(rows[1].profit, 1);
	free(rows);

	cr_assert_eq(sb_store_pnl_by_day(st, d0 + 6, d0 + day, &rows, &n), SB_OK);
	cr_assert_eq(n, 1);
	cr_assert_eq(rows[0].profit, -SB_DEC_C(0, 25000000));
	free(rows);
}

Test(store, pnl_sum_overflow_is_reported_not_wrapped)
{
	closed_position("BTCUSDT", 10, SB_DEC_MAX, 0);
	closed_position("BTCUSDT", 11, 1, 0);
	struct sb_store_pnl *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_pnl_by_pair(st, 0, 0, &rows, &n), SB_ERR_OVERFLOW);
	cr_assert_null(rows);
}

/* Faults: read-only, full, crash. */

Test(store, read_only_database_refuses_writes_and_keeps_its_content)
{
	struct sb_store_order o = buy_intent("ro-1", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_OK);
	sb_store_close(st);
	st = NULL;
	struct sb_store_opts opts = {.readonly = true};
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(db_path, &opts, &st, err, sizeof err), SB_OK, "%s", err);

	struct sb_store_order got;
	cr_assert_eq(sb_store_order_get(st, "ro-1", &got), SB_OK); /* reads work */
	struct sb_store_order o2 = buy_intent("ro-2", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o2, NULL, NULL), SB_ERR_DB_READONLY);
	o.status = SB_ORDER_NEW;
	cr_assert_eq(sb_store_order_update(st, &o, NULL, NULL), SB_ERR_DB_READONLY);
	cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_PAUSED, "1", 1, NULL), SB_ERR_DB_READONLY);
	cr_assert_neq(sb_store_last_error(st)[0], '\0');

	reopen();
	cr_assert_eq(sb_store_order_get(st, "ro-2", &got), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_store_order_get(st, "ro-1", &got), SB_OK);
	cr_assert_eq(got.status, SB_ORDER_PENDING_NEW);
}

Test(store, query_only_fault_gives_readonly_and_clears)
{
	struct sb_store_position p = new_position("BTCUSDT", 1);
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
	cr_assert_eq(sb_store_exec(st, "PRAGMA query_only = ON"), SB_OK);
	struct sb_store_order o = buy_intent("qo-1", "BTCUSDT", p.id);
	p.state = SB_POSITION_HOLDING;
	cr_assert_eq(sb_store_order_insert_intent(st, &o, &p, NULL), SB_ERR_DB_READONLY);
	cr_assert_eq(sb_store_exec(st, "PRAGMA query_only = OFF"), SB_OK);
	struct sb_store_position got;
	cr_assert_eq(sb_store_position_get(st, p.id, &got), SB_OK);
	cr_assert_eq(got.state, SB_POSITION_BUYING);
	cr_assert_eq(count_rows("orders"), 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, &p, NULL), SB_OK);
}

Test(store, full_database_fails_cleanly_and_recovers_when_room_is_made)
{
	/* max_page_count cannot go below the current size, so 1 means "no growth from here". */
	cr_assert_eq(sb_store_exec(st, "PRAGMA max_page_count = 1"), SB_OK);
	sb_err e = SB_OK;
	int inserted = 0;
	char id[32];
	for (int i = 0; i < 100000 && e == SB_OK; i++) {
		snprintf(id, sizeof id, "full-%d", i);
		struct sb_store_order o = buy_intent(id, "BTCUSDT", 0);
		struct sb_store_event ev = event("order.intent", "BTCUSDT");
		e = sb_store_order_insert_intent(st, &o, NULL, &ev);
		if (e == SB_OK)
			inserted++;
	}
	cr_assert_eq(e, SB_ERR_DB_FULL, "%s: %s", sb_errname(e), sb_store_last_error(st));
	struct sb_store_order got;
	cr_assert_eq(sb_store_order_get(st, id, &got), SB_ERR_NOT_FOUND); /* the failed one left nothing */
	cr_assert_eq(count_rows("orders"), inserted);
	cr_assert_eq(count_rows("events"), inserted);

	cr_assert_eq(sb_store_exec(st, "PRAGMA max_page_count = 1000000"), SB_OK);
	struct sb_store_order o = buy_intent(id, "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_OK);
	cr_assert_eq(sb_store_order_get(st, id, &got), SB_OK);
	char msg[128];
	cr_assert_eq(sb_store_check(st, msg, sizeof msg), SB_OK, "%s", msg);
}

/* A child writes an intent and dies right after the call returns; the parent must find it. */
static void crash_after_intent(bool kill9)
{
	sb_store_close(st); /* the child opens its own connection, as a restarted daemon would */
	st = NULL;
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		struct sb_store *cs = NULL;
		if (sb_store_open_sqlite(db_path, NULL, &cs, NULL, 0) != SB_OK)
			_exit(2);
		struct sb_store_order o = buy_intent("crash-1", "BTCUSDT", 0);
		if (sb_store_order_insert_intent(cs, &o, NULL, NULL) != SB_OK)
			_exit(3);
		/* "Now send the request": tell the parent, then die without closing anything. */
		child_done(fds[1], kill9);
	}
	close(fds[1]);
	child_ended(pid, fds[0], kill9, "its intent");

	open_store();
	struct sb_store_order got;
	cr_assert_eq(sb_store_order_get(st, "crash-1", &got), SB_OK);
	cr_assert_eq(got.status, SB_ORDER_PENDING_NEW);
	char msg[128];
	cr_assert_eq(sb_store_check(st, msg, sizeof msg), SB_OK, "%s", msg);
}

Test(store, intent_survives_exit_right_after_commit)
{
	crash_after_intent(false);
}

Test(store, intent_survives_kill_9_right_after_commit)
{
	crash_after_intent(true);
}

/* Backup and integrity. */

Test(store, backup_copies_everything_and_never_overwrites)
{
	struct cycle c = start_cycle();
	apply_to(&c);
	struct sb_store_event ev = event("fill", "BTCUSDT");
	cr_assert_eq(sb_store_fill_apply(st, &c.fill, &c.order, &c.pos, &ev), SB_OK);
	cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_PAUSED, "1", 1, NULL), SB_OK);

	char path[160];
	snprintf(path, sizeof path, "%s/backup.db", dir);
	cr_assert_eq(sb_store_backup(st, path), SB_OK, "%s", sb_store_last_error(st));
	cr_assert_eq(sb_store_backup(st, path), SB_ERR_EXISTS);
	char mode[16];
	raw_query(path, "PRAGMA journal_mode", mode, sizeof mode);
	cr_assert_str_eq(mode, "delete"); /* one self-contained file */

	/* The live database keeps working after (and independently of) the backup. */
	struct sb_store_order later = buy_intent("after-backup", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &later, NULL, NULL), SB_OK);

	struct sb_store *b = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(path, NULL, &b, err, sizeof err), SB_OK, "%s", err);
	struct sb_store_order og;
	cr_assert_eq(sb_store_order_get(b, "cyc-1-b", &og), SB_OK);
	assert_orders_equal(&c.order, &og);
	cr_assert_eq(sb_store_order_get(b, "after-backup", &og), SB_ERR_NOT_FOUND);
	struct sb_store_position pg;
	cr_assert_eq(sb_store_position_get(b, c.pos.id, &pg), SB_OK);
	assert_positions_equal(&c.pos, &pg);
	bool exists = false;
	cr_assert_eq(sb_store_fill_exists(b, "BTCUSDT", "cyc-1-b", 5001, &exists), SB_OK);
	cr_assert(exists);
	char buf[8];
	cr_assert_eq(sb_store_state_get(b, SB_STORE_KEY_PAUSED, buf, sizeof buf), SB_OK);
	cr_assert_str_eq(buf, "1");
	struct sb_store_event *evs = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_event_list(b, NULL, &evs, &n), SB_OK);
	cr_assert_eq(n, 1);
	sb_store_events_free(evs, n);
	cr_assert_eq(sb_store_check(b, NULL, 0), SB_OK);
	sb_store_close(b);
}

Test(store, integrity_check_passes_and_finds_dangling_references)
{
	char msg[256];
	cr_assert_eq(sb_store_check(st, msg, sizeof msg), SB_OK, "%s", msg);
	cr_assert_str_eq(msg, "ok");
	/* Written behind the store's back with foreign keys off, as a careless manual edit would be. */
	cr_assert_eq(
	    sb_store_exec(st, "PRAGMA foreign_keys = OFF;"
	                      "INSERT INTO fills (symbol, trade_id, client_order_id, price, qty, quote_qty,"
	                      " commission, commission_asset, is_maker, time_ms)"
	                      " VALUES ('BTCUSDT', 1, 'ghost', 1, 1, 1, 0, '', 0, 0);"
	                      "PRAGMA foreign_keys = ON;"),
	    SB_OK);
	cr_assert_eq(sb_store_check(st, msg, sizeof msg), SB_ERR_DB);
	cr_assert(strstr(msg, "fills") != NULL, "%s", msg);
}

/* Arguments and names. */

Test(store, bad_arguments_are_refused_before_the_database)
{
	struct sb_store_order o = buy_intent("x", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(NULL, &o, NULL, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_store_order_insert_intent(st, NULL, NULL, NULL), SB_ERR_INVALID);
	memset(o.client_order_id, 'a', sizeof o.client_order_id); /* no NUL */
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_ERR_TOO_LONG);
	o = buy_intent("x", "BTCUSDT", 0);
	o.price = -1;
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_ERR_INVALID);
	o = buy_intent("", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, NULL), SB_ERR_INVALID);
	o = buy_intent("x", "BTCUSDT", 0);
	o.status = (enum sb_order_state)99;
	cr_assert_eq(sb_store_order_update(st, &o, NULL, NULL), SB_ERR_INVALID);
	struct sb_store_event ev = event("", "");
	o = buy_intent("x", "BTCUSDT", 0);
	cr_assert_eq(sb_store_order_insert_intent(st, &o, NULL, &ev), SB_ERR_INVALID);
	struct sb_store_position p = new_position("BTCUSDT", 1);
	snprintf(p.commissions[0].asset, sizeof p.commissions[0].asset, "BNB");
	snprintf(p.commissions[1].asset, sizeof p.commissions[1].asset, "BNB");
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_ERR_INVALID);
	cr_assert_eq(count_rows("orders"), 0);
	cr_assert_eq(count_rows("positions"), 0);
	cr_assert_eq(sb_store_last_error(NULL)[0], '\0');
	sb_store_close(NULL);
}

Test(store, enum_names_match_the_state_tables)
{
	char sql[160], buf[8];
	for (int s = 0; s < SB_ORDER_STATE__COUNT; s++) {
		const char *name = sb_order_state_name((enum sb_order_state)s);
		enum sb_order_state back;
		cr_assert_eq(sb_order_state_parse(name, strlen(name), &back), SB_OK);
		cr_assert_eq((int)back, s);
		snprintf(sql, sizeof sql, "SELECT final FROM order_statuses WHERE name = '%s'", name);
		raw_query(db_path, sql, buf, sizeof buf);
		cr_assert_str_eq(buf, sb_order_state_is_final(back) ? "1" : "0", "%s", name);
	}
	for (int s = 0; s < SB_POSITION_STATE__COUNT; s++) {
		const char *name = sb_position_state_name((enum sb_position_state)s);
		enum sb_position_state back;
		cr_assert_eq(sb_position_state_parse(name, strlen(name), &back), SB_OK);
		cr_assert_eq((int)back, s);
		snprintf(sql, sizeof sql, "SELECT open FROM position_states WHERE name = '%s'", name);
		raw_query(db_path, sql, buf, sizeof buf);
		cr_assert_str_eq(buf, sb_position_state_is_open(back) ? "1" : "0", "%s", name);
	}
	enum sb_order_state o;
	cr_assert_eq(sb_order_state_parse("FILLE", 5, &o), SB_ERR_NOT_FOUND);
	cr_assert_str_eq(sb_order_state_name((enum sb_order_state)77), "INVALID");
	enum sb_tif t;
	cr_assert_eq(sb_tif_parse("IOC", 3, &t), SB_OK);
	cr_assert_eq(t, SB_TIF_IOC);
}

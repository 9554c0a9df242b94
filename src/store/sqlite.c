/*
 * sqlite.c - the SQLite backend's connection: opening with the durability settings (WAL,
 * synchronous=FULL, foreign keys, busy timeout), the schema migrations, error mapping, the statement
 * cache, transactions, online backup, the integrity check and the data version (other connections'
 * commits, for cheap polling). The row operations are in sqlite_rows.c.
 *
 * Migrations are numbered SQL scripts applied in order, each in its own transaction together with the new
 * schema_version in system_state, so a crash mid-migration leaves the previous version intact. A database
 * whose version is newer than the newest migration here was written by a newer spotbot and is refused:
 * this build cannot know what the newer columns mean.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "sqlite_int.h"

/* Migration 1: every table of DESIGN.md. Money columns hold sb_dec's scaled int64 (value * 10^8), times
 * milliseconds since the epoch; state names live in small tables so a later migration can add one with
 * an INSERT instead of rebuilding a table to change a CHECK. */
static const char migration_1[] =
    "CREATE TABLE system_state ("
    " key TEXT PRIMARY KEY,"
    " value TEXT NOT NULL,"
    " updated_at_ms INTEGER NOT NULL) STRICT;"
    "CREATE TABLE order_statuses ("
    " name TEXT PRIMARY KEY,"
    " final INTEGER NOT NULL CHECK (final IN (0, 1))) STRICT;"
    "INSERT INTO order_statuses VALUES ('PENDING_NEW', 0), ('NEW', 0), ('PARTIALLY_FILLED', 0),"
    " ('FILLED', 1), ('PENDING_CANCEL', 0), ('CANCELED', 1), ('REJECTED', 1), ('EXPIRED', 1),"
    " ('EXPIRED_IN_MATCH', 1), ('UNKNOWN', 0), ('NEVER_SENT', 1);"
    "CREATE TABLE position_states ("
    " name TEXT PRIMARY KEY,"
    " open INTEGER NOT NULL CHECK (open IN (0, 1))) STRICT;"
    "INSERT INTO position_states VALUES ('BUYING', 1), ('HOLDING', 1), ('SELLING', 1), ('CLOSED', 0),"
    " ('CANCELED', 0), ('ABANDONED', 0);"
    "CREATE TABLE trade_pairs ("
    " symbol TEXT PRIMARY KEY,"
    " enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),"
    " quote_per_cycle INTEGER NOT NULL CHECK (quote_per_cycle > 0),"
    " max_positions INTEGER NOT NULL CHECK (max_positions >= 1),"
    " buy_mode TEXT NOT NULL CHECK (buy_mode IN ('LIMIT', 'MARKET')),"
    " buy_offset INTEGER NOT NULL CHECK (buy_offset >= 0),"
    " buy_timeout_ms INTEGER NOT NULL CHECK (buy_timeout_ms >= 0),"
    " target_profit INTEGER NOT NULL CHECK (target_profit >= 0),"
    " stop_loss INTEGER CHECK (stop_loss > 0),"
    " max_duration_ms INTEGER CHECK (max_duration_ms > 0),"
    " sell_market_on_max_duration INTEGER NOT NULL CHECK (sell_market_on_max_duration IN (0, 1)),"
    " cooldown_ms INTEGER NOT NULL CHECK (cooldown_ms >= 0),"
    " created_at_ms INTEGER NOT NULL,"
    " updated_at_ms INTEGER NOT NULL) STRICT;"
    "CREATE TABLE positions ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " symbol TEXT NOT NULL,"
    " cycle INTEGER NOT NULL CHECK (cycle >= 1),"
    " state TEXT NOT NULL REFERENCES position_states(name),"
    " created_at_ms INTEGER NOT NULL,"
    " updated_at_ms INTEGER NOT NULL,"
    " opened_at_ms INTEGER,"
    " closed_at_ms INTEGER,"
    " buy_qty INTEGER NOT NULL CHECK (buy_qty >= 0),"
    " cost_quote INTEGER NOT NULL CHECK (cost_quote >= 0),"
    " base_received INTEGER NOT NULL CHECK (base_received >= 0),"
    " sell_qty INTEGER NOT NULL CHECK (sell_qty >= 0),"
    " sold_qty INTEGER NOT NULL CHECK (sold_qty >= 0),"
    " sell_price_target INTEGER NOT NULL CHECK (sell_price_target >= 0),"
    " proceeds INTEGER NOT NULL CHECK (proceeds >= 0),"
    " realised_profit INTEGER NOT NULL,"
    " dust_qty INTEGER NOT NULL CHECK (dust_qty >= 0),"
    " notes TEXT NOT NULL DEFAULT '',"
    " UNIQUE (symbol, cycle)) STRICT;"
    "CREATE INDEX positions_state ON positions(state);"
    "CREATE INDEX positions_closed ON positions(closed_at_ms) WHERE closed_at_ms IS NOT NULL;"
    "CREATE TABLE position_commissions ("
    " position_id INTEGER NOT NULL REFERENCES positions(id),"
    " asset TEXT NOT NULL,"
    " amount INTEGER NOT NULL CHECK (amount >= 0),"
    " PRIMARY KEY (position_id, asset)) STRICT, WITHOUT ROWID;"
    "CREATE TABLE orders ("
    " id INTEGER PRIMARY KEY,"
    " client_order_id TEXT NOT NULL UNIQUE,"
    " exchange_order_id INTEGER,"
    " position_id INTEGER REFERENCES positions(id),"
    " symbol TEXT NOT NULL,"
    " side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),"
    " type TEXT NOT NULL,"
    " time_in_force TEXT CHECK (time_in_force IN ('GTC', 'IOC', 'FOK')),"
    " price INTEGER NOT NULL CHECK (price >= 0),"
    " orig_qty INTEGER NOT NULL CHECK (orig_qty >= 0),"
    " quote_qty INTEGER NOT NULL CHECK (quote_qty >= 0),"
    " executed_qty INTEGER NOT NULL CHECK (executed_qty >= 0),"
    " cumm_quote_qty INTEGER NOT NULL CHECK (cumm_quote_qty >= 0),"
    " status TEXT NOT NULL REFERENCES order_statuses(name),"
    " created_at_ms INTEGER NOT NULL,"
    " updated_at_ms INTEGER NOT NULL,"
    " last_error TEXT NOT NULL DEFAULT '') STRICT;"
    "CREATE UNIQUE INDEX orders_exchange_id ON orders(symbol, exchange_order_id)"
    " WHERE exchange_order_id IS NOT NULL;"
    "CREATE INDEX orders_position ON orders(position_id);"
    "CREATE INDEX orders_status ON orders(status);"
    "CREATE TABLE fills ("
    " id INTEGER PRIMARY KEY,"
    " symbol TEXT NOT NULL,"
    " trade_id INTEGER NOT NULL,"
    " client_order_id TEXT NOT NULL REFERENCES orders(client_order_id),"
    " price INTEGER NOT NULL CHECK (price >= 0),"
    " qty INTEGER NOT NULL CHECK (qty > 0),"
    " quote_qty INTEGER NOT NULL CHECK (quote_qty >= 0),"
    " commission INTEGER NOT NULL CHECK (commission >= 0),"
    " commission_asset TEXT NOT NULL,"
    " is_maker INTEGER NOT NULL CHECK (is_maker IN (0, 1)),"
    " time_ms INTEGER NOT NULL,"
    " UNIQUE (symbol, trade_id)) STRICT;"
    "CREATE INDEX fills_order ON fills(client_order_id);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " time_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " symbol TEXT NOT NULL DEFAULT '',"
    " position_id INTEGER,"
    " client_order_id TEXT,"
    " detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail))) STRICT;"
    "CREATE INDEX events_time ON events(time_ms);"
    "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;"
    "CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
    " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;";

/* Migration 2: a fill is identified by its order as well as its trade id. When two orders of the same
 * account meet (a self-trade), both executionReports carry the same trade id, so (symbol, trade_id) alone
 * dropped the second order's fill. The client order id stands for the order (it is one-to-one with the
 * exchange's orderId and, unlike it, never NULL). SQLite cannot drop a constraint, so the table is rebuilt
 * with the same columns and rows. Also the order status LOST: acknowledged, then unknown to the exchange;
 * and the exchange's order id is no longer unique: an exchange that restarted without its state (a
 * simulator, a spot testnet reset) numbers its orders from 1 again, and the books keep the old ones. */
static const char migration_2[] =
    "CREATE TABLE fills_v2 ("
    " id INTEGER PRIMARY KEY,"
    " symbol TEXT NOT NULL,"
    " trade_id INTEGER NOT NULL,"
    " client_order_id TEXT NOT NULL REFERENCES orders(client_order_id),"
    " price INTEGER NOT NULL CHECK (price >= 0),"
    " qty INTEGER NOT NULL CHECK (qty > 0),"
    " quote_qty INTEGER NOT NULL CHECK (quote_qty >= 0),"
    " commission INTEGER NOT NULL CHECK (commission >= 0),"
    " commission_asset TEXT NOT NULL,"
    " is_maker INTEGER NOT NULL CHECK (is_maker IN (0, 1)),"
    " time_ms INTEGER NOT NULL,"
    " UNIQUE (symbol, client_order_id, trade_id)) STRICT;"
    "INSERT INTO fills_v2 (id, symbol, trade_id, client_order_id, price, qty, quote_qty, commission,"
    " commission_asset, is_maker, time_ms) SELECT id, symbol, trade_id, client_order_id, price, qty,"
    " quote_qty, commission, commission_asset, is_maker, time_ms FROM fills;"
    "DROP TABLE fills;"
    "ALTER TABLE fills_v2 RENAME TO fills;"
    "CREATE INDEX fills_order ON fills(client_order_id);"
    "INSERT INTO order_statuses VALUES ('LOST', 1);"
    "DROP INDEX orders_exchange_id;"
    "CREATE INDEX orders_exchange_id ON orders(symbol, exchange_order_id) WHERE exchange_order_id IS NOT NULL;";

/* Version 3: the pause a pair takes after a stop-loss exit (PAIRS key stop_loss_cooldown, default 30m). */
static const char migration_3[] =
    "ALTER TABLE trade_pairs ADD COLUMN stop_loss_cooldown_ms INTEGER NOT NULL DEFAULT 1800000"
    " CHECK (stop_loss_cooldown_ms >= 0);";

/* Version 4: one spelling of event kinds, lowercase ("position.closed"), as the documentation and
 * `spotbot events --kind` write them; older builds wrote state names upper case ("position.CLOSED",
 * "order.FILLED"). The append-only trigger is lifted for this one rewrite and put back as it was. */
static const char migration_4[] = "DROP TRIGGER events_no_update;"
                                  "UPDATE events SET kind = lower(kind) WHERE kind <> lower(kind);"
                                  "CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
                                  " BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;";

/* Version 5: a position's exit reason and its max-duration alert are columns. Older builds wrote them into
 * the free-form notes as comma-separated tokens ("exit=STOP_LOSS,alerted,abandoned by hand"); they move
 * into the columns and leave the notes, which keep any other text. */
static const char migration_5[] =
    "ALTER TABLE positions ADD COLUMN exit_reason TEXT NOT NULL DEFAULT 'NONE'"
    " CHECK (exit_reason IN ('NONE', 'TARGET', 'STOP_LOSS', 'MAX_DURATION', 'MANUAL'));"
    "ALTER TABLE positions ADD COLUMN alerted INTEGER NOT NULL DEFAULT 0 CHECK (alerted IN (0, 1));"
    "UPDATE positions SET exit_reason = COALESCE((SELECT column1 FROM (VALUES ('TARGET'), ('STOP_LOSS'),"
    " ('MAX_DURATION'), ('MANUAL')) WHERE instr(',' || notes || ',', ',exit=' || column1 || ',') > 0), 'NONE'),"
    " alerted = instr(',' || notes || ',', ',alerted,') > 0;"
    "UPDATE positions SET notes = trim(replace(replace(',' || notes || ',', ',exit=' || exit_reason || ',', ','),"
    " ',alerted,', ','), ',') WHERE instr(',' || notes || ',', ',exit=' || exit_reason || ',') > 0"
    " OR instr(',' || notes || ',', ',alerted,') > 0;";

struct migration {
	int64_t version; /* schema_version after it */
	const char *sql; /* the script */
};

/* Append only: a released migration is never edited, a change is a new one. */
static const struct migration migrations[] = {
    {1, migration_1}, {2, migration_2}, {3, migration_3}, {4, migration_4}, {5, migration_5},
};

_Static_assert(sizeof migrations / sizeof migrations[0] == SB_STORE_SCHEMA_VERSION,
               "SB_STORE_SCHEMA_VERSION must name the last migration");

sb_err sq_fail(struct sq_store *s, sb_err e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->base.errmsg, sizeof s->base.errmsg, fmt, ap);
	va_end(ap);
	return e;
}

static sb_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return SB_OK;
	case SQLITE_FULL:
		return SB_ERR_DB_FULL;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return SB_ERR_DB_BUSY;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return SB_ERR_DB_READONLY;
	case SQLITE_CONSTRAINT:
		switch (rc) {
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
			return SB_ERR_EXISTS;
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			return SB_ERR_NOT_FOUND;
		case SQLITE_CONSTRAINT_TRIGGER:
			return SB_ERR_DB;
		default: /* CHECK, NOT NULL, DATATYPE: a value the schema refuses */
			return SB_ERR_INVALID;
		}
	default:
		return SB_ERR_DB;
	}
}

sb_err sq_error(struct sq_store *s, int rc)
{
	sb_err e = map_rc(rc);
	if (e == SB_OK)
		return SB_OK;
	/* The connection's message belongs to its last failure, which is rc unless rc came from elsewhere. */
	snprintf(s->base.errmsg, sizeof s->base.errmsg, "%s (%s)", sqlite3_errmsg(s->db), sqlite3_errstr(rc));
	return e;
}

sqlite3_stmt *sq_stmt(struct sq_store *s, enum sq_stmt id, sb_err *err)
{
	if (s->stmts[id])
		return s->stmts[id];
	int rc = sqlite3_prepare_v3(s->db, sq_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &s->stmts[id], NULL);
	if (rc != SQLITE_OK) {
		*err = sq_error(s, rc);
		s->stmts[id] = NULL;
		return NULL;
	}
	return s->stmts[id];
}

sb_err sq_step_done(struct sq_store *s, sqlite3_stmt *q)
{
	int rc = sqlite3_step(q);
	while (rc == SQLITE_ROW) /* RETURNING or a PRAGMA answering: run to the end */
		rc = sqlite3_step(q);
	sb_err e = rc == SQLITE_DONE ? SB_OK : sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

static sb_err run(struct sq_store *s, enum sq_stmt id)
{
	sb_err e = SB_OK;
	sqlite3_stmt *q = sq_stmt(s, id, &e);
	return q ? sq_step_done(s, q) : e;
}

/* The scope's transaction is gone: SQLite rolled it back by itself after an error (SQLITE_FULL, IOERR). */
static bool scope_lost(struct sq_store *s)
{
	return s->scope && sqlite3_get_autocommit(s->db);
}

sb_err sq_begin(struct sq_store *s)
{
	if (scope_lost(s))
		return sq_fail(s, SB_ERR_DB, "the open transaction was rolled back after an earlier error");
	if (s->scope)
		return run(s, SQ_SAVEPOINT);
	s->begin_ns = sb_clock_mono_ns();
	return run(s, SQ_BEGIN);
}

static void rollback(struct sq_store *s)
{
	/* SQLite may already have rolled back by itself (SQLITE_FULL, IOERR, BUSY); then there is nothing to
	 * do, and the error text of the real failure is kept either way. */
	if (sqlite3_get_autocommit(s->db))
		return;
	char keep[SB_STORE_ERRMSG_MAX];
	memcpy(keep, s->base.errmsg, sizeof keep);
	if (run(s, SQ_ROLLBACK) != SB_OK)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	memcpy(s->base.errmsg, keep, sizeof keep);
}

/* Ends one write inside a scope: its savepoint released, or everything since it undone. */
static sb_err end_savepoint(struct sq_store *s, sb_err e)
{
	if (e == SB_OK) {
		e = run(s, SQ_RELEASE);
		if (e == SB_OK)
			return SB_OK;
	}
	if (sqlite3_get_autocommit(s->db))
		return e;
	char keep[SB_STORE_ERRMSG_MAX];
	memcpy(keep, s->base.errmsg, sizeof keep);
	if (run(s, SQ_ROLLBACK_TO) == SB_OK)
		(void)run(s, SQ_RELEASE);
	memcpy(s->base.errmsg, keep, sizeof keep);
	return e;
}

/* COMMIT of the open transaction, counted and told to the observer; rolled back when it fails. */
static sb_err commit(struct sq_store *s)
{
	sb_err e = run(s, SQ_COMMIT);
	if (e != SB_OK) {
		rollback(s);
		return e;
	}
	s->base.commits++;
	if (s->base.on_commit)
		s->base.on_commit(s->base.on_commit_user, sb_clock_mono_ns() - s->begin_ns);
	return SB_OK;
}

sb_err sq_end(struct sq_store *s, sb_err e)
{
	if (s->scope)
		return end_savepoint(s, e);
	if (e == SB_OK)
		return commit(s);
	rollback(s);
	return e;
}

sb_err sq_txn_begin(struct sb_store *st)
{
	struct sq_store *s = sq_of(st);
	if (s->scope)
		return sq_fail(s, SB_ERR_STATE, "a transaction is already open");
	sb_err e = sq_begin(s);
	if (e == SB_OK)
		s->scope = true;
	return e;
}

sb_err sq_txn_commit(struct sb_store *st)
{
	struct sq_store *s = sq_of(st);
	if (!s->scope)
		return sq_fail(s, SB_ERR_STATE, "no transaction is open");
	bool lost = scope_lost(s);
	s->scope = false;
	if (lost)
		return sq_fail(s, SB_ERR_DB,
		               "the transaction was rolled back after an error: nothing was written");
	return commit(s);
}

void sq_txn_rollback(struct sb_store *st)
{
	struct sq_store *s = sq_of(st);
	if (!s->scope)
		return;
	s->scope = false;
	rollback(s);
}

static sb_err exec_sql(struct sq_store *s, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		return SB_OK;
	sb_err e = map_rc(sqlite3_extended_errcode(s->db));
	if (e == SB_OK)
		e = SB_ERR_DB;
	snprintf(s->base.errmsg, sizeof s->base.errmsg, "%s", msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return e;
}

/* Runs a one-row, one-column text query (arg bound to ?1 unless NULL) on db, the row's text into buf:
 * SQLITE_ROW when there was one, SQLITE_DONE when not, else SQLite's error code. */
static int text_query(sqlite3 *db, const char *sql, const char *arg, char *buf, size_t cap)
{
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (arg)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(q, 0);
		snprintf(buf, cap, "%s", t ? (const char *)t : "");
	}
	sqlite3_finalize(q);
	return rc;
}

/* One-row, one-column text query into buf; SB_ERR_NOT_FOUND when there is no row. */
static sb_err query_text(struct sq_store *s, const char *sql, const char *arg, char *buf, size_t cap)
{
	int rc = text_query(s->db, sql, arg, buf, cap);
	if (rc == SQLITE_ROW)
		return SB_OK;
	return rc == SQLITE_DONE ? SB_ERR_NOT_FOUND : sq_error(s, rc);
}

/* The schema version: 0 for an empty database. A database with tables but no system_state is not ours. */
static sb_err read_version(struct sq_store *s, int64_t *version)
{
	char buf[64];
	sb_err e =
	    query_text(s, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'system_state'",
	               NULL, buf, sizeof buf);
	if (e == SB_ERR_NOT_FOUND) {
		e = query_text(s, "SELECT count(*) FROM sqlite_schema", NULL, buf, sizeof buf);
		if (e != SB_OK)
			return e;
		if (strcmp(buf, "0") != 0)
			return sq_fail(s, SB_ERR_DB,
			               "not a spotbot database: it has tables but no system_state");
		*version = 0;
		return SB_OK;
	}
	if (e != SB_OK)
		return e;
	e = query_text(s, "SELECT value FROM system_state WHERE key = ?1", SB_STORE_KEY_SCHEMA_VERSION, buf,
	               sizeof buf);
	if (e == SB_ERR_NOT_FOUND)
		return sq_fail(s, SB_ERR_DB, "system_state has no schema_version");
	if (e != SB_OK)
		return e;
	if (!sb_parse_i64_str(buf, 1, INT64_MAX, version))
		return sq_fail(s, SB_ERR_DB, "schema_version \"%s\" is not a version number", buf);
	return SB_OK;
}

static sb_err apply_migration(struct sq_store *s, const struct migration *m)
{
	sb_err e = exec_sql(s, "BEGIN IMMEDIATE");
	if (e != SB_OK)
		return e;
	int64_t now = 0;
	/* Another process may have migrated while we waited for the lock. */
	e = read_version(s, &now);
	if (e == SB_OK && now < m->version)
		e = exec_sql(s, m->sql);
	if (e == SB_OK && now < m->version) {
		sqlite3_stmt *q = NULL;
		int rc = sqlite3_prepare_v2(
		    s->db,
		    "INSERT INTO system_state(key, value, updated_at_ms) VALUES (?1, ?2, ?3)"
		    " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
		    " updated_at_ms = excluded.updated_at_ms",
		    -1, &q, NULL);
		if (rc == SQLITE_OK) {
			char ver[32];
			snprintf(ver, sizeof ver, "%" PRId64, m->version);
			sqlite3_bind_text(q, 1, SB_STORE_KEY_SCHEMA_VERSION, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, ver, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(q, 3, sb_clock_wall_ms());
			rc = sqlite3_step(q);
			e = rc == SQLITE_DONE ? SB_OK : sq_error(s, rc);
			sqlite3_finalize(q);
		} else {
			e = sq_error(s, rc);
		}
	}
	if (e == SB_OK)
		return exec_sql(s, "COMMIT");
	char keep[SB_STORE_ERRMSG_MAX];
	memcpy(keep, s->base.errmsg, sizeof keep);
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	memcpy(s->base.errmsg, keep, sizeof keep);
	return e;
}

static sb_err migrate(struct sq_store *s, bool readonly)
{
	int64_t version = 0;
	sb_err e = read_version(s, &version);
	if (e != SB_OK)
		return e;
	if (version > SB_STORE_SCHEMA_VERSION)
		return sq_fail(s, SB_ERR_UNSUPPORTED,
		               "database schema version %" PRId64
		               " was written by a newer spotbot; this one (%s)"
		               " understands up to %d: install the newer spotbot again, or restore a backup"
		               " taken before the upgrade (spotbot restore)",
		               version, SB_VERSION, SB_STORE_SCHEMA_VERSION);
	if (version == SB_STORE_SCHEMA_VERSION)
		return SB_OK;
	if (readonly)
		return sq_fail(s, SB_ERR_DB_READONLY,
		               "database schema version %" PRId64
		               " needs migrating to %d, which a read-only open cannot do",
		               version, SB_STORE_SCHEMA_VERSION);
	for (size_t i = 0; i < sizeof migrations / sizeof migrations[0]; i++) {
		if (migrations[i].version <= version)
			continue;
		e = apply_migration(s, &migrations[i]);
		if (e != SB_OK)
			return e;
	}
	return SB_OK;
}

/* The WAL hook of a store that leaves checkpoints to its caller: notes the log's size. */
static int on_wal_commit(void *user, sqlite3 *db, const char *name, int pages)
{
	(void)db;
	(void)name;
	struct sq_store *s = user;
	s->base.wal_pages = pages > 0 ? (uint32_t)pages : 0;
	return SQLITE_OK;
}

/* Sets the connection's pragmas; WAL is persistent in the file, the others last for this connection. A
 * scratch database is not switched to WAL. */
static sb_err configure(struct sq_store *s, const char *path, const struct sb_store_opts *o)
{
	sqlite3_extended_result_codes(s->db, 1);
	s->busy_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 5000;
	sqlite3_busy_timeout(s->db, s->busy_ms);
	sb_err e = exec_sql(s, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
	if (e == SB_OK && o->scratch && !o->readonly) {
		/* No reader to serve while it is written and nothing to recover after a crash: the rollback
		 * journal is kept in memory (a failed transaction still rolls back) and each commit writes
		 * its pages once, to the file itself, where WAL wrote them twice (the log, then the
		 * checkpoint). */
		e = exec_sql(s, "PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
		                "PRAGMA journal_mode = MEMORY;");
		s->alone = e == SB_OK;
		return e;
	}
	if (e != SB_OK || o->readonly || strcmp(path, ":memory:") == 0)
		return e;
	char mode[16];
	e = query_text(s, "PRAGMA journal_mode = WAL", NULL, mode, sizeof mode);
	if (e != SB_OK)
		return e;
	if (strcmp(mode, "wal") != 0)
		return sq_fail(s, SB_ERR_DB, "cannot switch %s to WAL (journal mode stays %s)", path, mode);
	if (o->checkpoint_by_caller)
		sqlite3_wal_hook(s->db, on_wal_commit, s); /* in place of SQLite's automatic checkpoints */
	return SB_OK;
}

void sq_close(struct sb_store *st)
{
	struct sq_store *s = sq_of(st);
	for (size_t i = 0; i < SQ__COUNT; i++)
		sqlite3_finalize(s->stmts[i]);
	sqlite3_close(s->db);
	free(s);
}

sb_err sq_backup(struct sb_store *st, const char *path)
{
	struct sq_store *s = sq_of(st);
	struct stat sb;
	if (lstat(path, &sb) == 0)
		return sq_fail(s, SB_ERR_EXISTS, "%s already exists; a backup never overwrites", path);
	sqlite3 *dst = NULL;
	int rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	sb_err e = SB_OK;
	if (rc != SQLITE_OK) {
		e = map_rc(rc);
		sq_fail(s, e, "cannot create %s: %s", path, dst ? sqlite3_errmsg(dst) : sqlite3_errstr(rc));
		goto out;
	}
	/* One step copies everything under one read transaction: a consistent snapshot, while the WAL lets
	 * writers go on. */
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", s->db, "main");
	if (!b) {
		e = SB_ERR_DB;
		sq_fail(s, e, "backup to %s: %s", path, sqlite3_errmsg(dst));
		goto out;
	}
	rc = sqlite3_backup_step(b, -1);
	int frc = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || frc != SQLITE_OK) {
		int bad = rc != SQLITE_DONE ? rc : frc;
		e = map_rc(bad);
		if (e == SB_OK)
			e = SB_ERR_DB;
		sq_fail(s, e, "backup to %s: %s", path, sqlite3_errstr(bad));
		goto out;
	}
	/* The copy is a single self-contained file: no -wal beside it to forget when it is moved. */
	char *msg = NULL;
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, &msg) != SQLITE_OK) {
		e = SB_ERR_DB;
		sq_fail(s, e, "backup to %s: %s", path, msg ? msg : "journal mode");
	}
	sqlite3_free(msg);
out:
	if (dst && sqlite3_close(dst) != SQLITE_OK && e == SB_OK)
		e = sq_fail(s, SB_ERR_DB, "backup to %s: close failed", path);
	if (e != SB_OK)
		remove(path);
	return e;
}

/* SQLite's own counter of other connections' commits (PRAGMA data_version): a cached statement, so a
 * poll costs one step and reads no table. A scratch database holds every other connection out, so its
 * version never moves and is not asked for (the backtest's tick polls it). */
sb_err sq_data_version(struct sb_store *st, uint64_t *out)
{
	struct sq_store *s = sq_of(st);
	if (s->alone) {
		*out = 0;
		return SB_OK;
	}
	sb_err e = SB_OK;
	sqlite3_stmt *q = sq_stmt(s, SQ_DATA_VERSION, &e);
	if (!q)
		return e;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*out = (uint64_t)sqlite3_column_int64(q, 0);
	else
		e = sq_error(s, rc);
	sqlite3_reset(q);
	return e;
}

sb_err sq_wait_for_locks(struct sb_store *st, bool wait)
{
	struct sq_store *s = sq_of(st);
	sqlite3_busy_timeout(s->db, wait ? s->busy_ms : 0);
	return SB_OK;
}

sb_err sq_check(struct sb_store *st, char *msg, size_t cap)
{
	struct sq_store *s = sq_of(st);
	sb_err e = query_text(s, "PRAGMA integrity_check", NULL, msg, cap);
	if (e != SB_OK)
		return e;
	if (strcmp(msg, "ok") != 0)
		return sq_fail(s, SB_ERR_DB, "integrity check: %s", msg);
	sqlite3_stmt *q = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA foreign_key_check", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return sq_error(s, rc);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		snprintf(msg, cap, "foreign key violation: %s row %lld refers to a missing %s row",
		         (const char *)sqlite3_column_text(q, 0), (long long)sqlite3_column_int64(q, 1),
		         (const char *)sqlite3_column_text(q, 2));
		e = sq_fail(s, SB_ERR_DB, "%s", msg);
	} else if (rc != SQLITE_DONE) {
		e = sq_error(s, rc);
	} else {
		snprintf(msg, cap, "ok");
	}
	sqlite3_finalize(q);
	return e;
}

sb_err sq_exec(struct sb_store *st, const char *sql)
{
	return exec_sql(sq_of(st), sql);
}

sb_err sb_store_peek_state(const char *path, const char *key, char *buf, size_t cap, char *err, size_t errcap)
{
	if (!path || !key || !buf || cap == 0)
		return SB_ERR_INVALID;
	buf[0] = '\0';
	if (err && errcap)
		err[0] = '\0';
	struct stat sb;
	if (stat(path, &sb) != 0)
		return errno == ENOENT ? SB_ERR_NOT_FOUND : SB_ERR_IO;
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
	if (rc == SQLITE_OK)
		rc = text_query(db, "SELECT value FROM system_state WHERE key = ?1", key, buf, cap);
	sb_err e = SB_OK;
	if (rc == SQLITE_DONE) {
		e = SB_ERR_NOT_FOUND;
	} else if (rc != SQLITE_ROW) {
		if (err && errcap)
			snprintf(err, errcap, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		e = SB_ERR_DB;
	}
	sqlite3_close(db);
	return e;
}

sb_err sb_store_open_sqlite(const char *path, const struct sb_store_opts *opts, struct sb_store **out,
                            char *err, size_t cap)
{
	static const struct sb_store_opts defaults;
	if (err && cap)
		err[0] = '\0';
	if (!out)
		return SB_ERR_INVALID;
	*out = NULL;
	if (!path || !path[0]) {
		if (err && cap)
			snprintf(err, cap, "no database path");
		return SB_ERR_INVALID;
	}
	if (!opts)
		opts = &defaults;
	bool memory = strcmp(path, ":memory:") == 0;
	struct stat sb;
	if ((opts->no_create || opts->readonly) && !memory && stat(path, &sb) != 0) {
		if (err && cap)
			snprintf(err, cap, "%s: %s", path, strerror(errno));
		return SB_ERR_NOT_FOUND;
	}
	struct sq_store *s = sb_xcalloc(1, sizeof *s);
	s->base.ops = &sq_ops;
	int flags = SQLITE_OPEN_NOMUTEX;
	flags |= opts->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	int rc = sqlite3_open_v2(path, &s->db, flags, NULL);
	sb_err e;
	if (rc != SQLITE_OK) {
		e = map_rc(rc);
		snprintf(s->base.errmsg, sizeof s->base.errmsg, "cannot open %s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
		goto fail;
	}
	e = configure(s, path, opts);
	if (e == SB_OK)
		e = migrate(s, opts->readonly);
	if (e != SB_OK)
		goto fail;
	*out = &s->base;
	return SB_OK;
fail:
	if (err && cap)
		snprintf(err, cap, "%s", s->base.errmsg);
	sq_close(&s->base);
	return e;
}

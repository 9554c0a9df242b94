/*
 * sqlite_int.h - what the two halves of the SQLite backend share: the store struct, the statement cache,
 * error mapping and the transaction helpers (sqlite.c) used by the row operations (sqlite_rows.c).
 */
#ifndef SPOTBOT_STORE_SQLITE_INT_H
#define SPOTBOT_STORE_SQLITE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "spotbot/store.h"

/* Every statement the backend runs, prepared once per store on first use. */
enum sq_stmt {
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_SAVEPOINT,
	SQ_RELEASE,
	SQ_ROLLBACK_TO,
	SQ_PAIR_UPSERT,
	SQ_PAIR_GET,
	SQ_PAIR_LIST,
	SQ_PAIR_DELETE,
	SQ_ORDER_INSERT,
	SQ_ORDER_UPDATE,
	SQ_ORDER_GET,
	SQ_ORDER_LIST,
	SQ_ORDER_OF_POSITION,
	SQ_FILL_INSERT,
	SQ_FILL_EXISTS,
	SQ_FILL_LIST,
	SQ_POS_INSERT,
	SQ_POS_UPDATE,
	SQ_POS_GET,
	SQ_POS_LIST,
	SQ_POS_COMM_DELETE,
	SQ_POS_COMM_INSERT,
	SQ_POS_COMM_GET,
	SQ_EVENT_INSERT,
	SQ_EVENT_LIST,
	SQ_STATE_GET,
	SQ_STATE_SET,
	SQ_PNL_BY_PAIR,
	SQ_PNL_BY_DAY,
	SQ_DATA_VERSION,
	SQ__COUNT
};

struct sq_store {
	struct sb_store base;           /* must come first: the engine holds a struct sb_store * */
	sqlite3 *db;                    /* the connection */
	sqlite3_stmt *stmts[SQ__COUNT]; /* the statement cache, NULL until first use */
	uint64_t begin_ns;              /* monotonic time the open transaction began */
	bool scope;                     /* sb_store_begin() opened a transaction the writes join */
	int busy_ms;                    /* the busy timeout it was opened with */
	bool alone;                     /* a scratch database: its exclusive lock keeps every other
	                                   connection out, so none can commit while it is open */
};

/* The SQL of each statement (sqlite_rows.c). */
extern const char *const sq_sql[SQ__COUNT];

/* The backend's table of operations (sqlite_rows.c), which also names these connection-level ones from
 * sqlite.c. */
extern const struct sb_store_ops sq_ops;
void sq_close(struct sb_store *st);
sb_err sq_backup(struct sb_store *st, const char *path);
sb_err sq_check(struct sb_store *st, char *msg, size_t cap);
sb_err sq_data_version(struct sb_store *st, uint64_t *out);
sb_err sq_wait_for_locks(struct sb_store *st, bool wait);
sb_err sq_exec(struct sb_store *st, const char *sql);
sb_err sq_txn_begin(struct sb_store *st);
sb_err sq_txn_commit(struct sb_store *st);
void sq_txn_rollback(struct sb_store *st);

static inline struct sq_store *sq_of(struct sb_store *st)
{
	return (struct sq_store *)st;
}

/* Maps an SQLite result code to an sb_err and keeps sqlite3_errmsg() in the store's error text. */
sb_err sq_error(struct sq_store *s, int rc);

/* Records a message of our own in the store's error text and returns e. */
sb_err sq_fail(struct sq_store *s, sb_err e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The cached statement id, prepared if needed; on failure NULL with *err set. */
sqlite3_stmt *sq_stmt(struct sq_store *s, enum sq_stmt id, sb_err *err);

/* Steps q to completion (SQLITE_DONE), resets it and maps any error. */
sb_err sq_step_done(struct sq_store *s, sqlite3_stmt *q);

/* BEGIN IMMEDIATE: take the write lock up front so a transaction never fails half-way on a lock upgrade.
 * Inside a scope (sb_store_begin) a savepoint instead, so the write still succeeds or fails as a whole. */
sb_err sq_begin(struct sq_store *s);

/* Ends the transaction begun by sq_begin: COMMIT when e is SB_OK (rolling back if COMMIT fails), ROLLBACK
 * otherwise. Returns e, or the COMMIT error. Inside a scope it releases the savepoint (or rolls back to
 * it): the scope's sb_store_commit() makes the write durable. */
sb_err sq_end(struct sq_store *s, sb_err e);

#endif

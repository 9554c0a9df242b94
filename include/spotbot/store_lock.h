/*
 * store_lock.h - one daemon per database: an exclusive lock on a file beside the database, held for the
 * daemon's whole life.
 *
 * The lock is an flock(2) on DATABASE_PATH + ".lock", whose content is the holder's pid (for the message
 * a second daemon prints). The kernel releases it when the holder exits in any way, kill -9 included, so a
 * lock can never be stale: the file stays, but it locks nothing without a living holder. The read-only
 * commands of the CLI take no lock (SQLite's WAL lets them read beside the daemon); every CLI command that
 * changes something goes through the daemon's control API.
 */
#ifndef SPOTBOT_STORE_LOCK_H
#define SPOTBOT_STORE_LOCK_H

#include <stddef.h>

#include "spotbot/error.h"

struct sb_store_lock;

/*
 * Takes the lock of the database at db_path without waiting. On SB_OK *out is the caller's, released with
 * sb_store_lock_release(). SB_ERR_IN_USE when another process holds it, with "database DB_PATH is in use by
 * spotbot pid N" in msg (cap bytes); SB_ERR_IO (with the reason in msg) when the lock file cannot be
 * created, opened or written. ":memory:" gets a lock that locks nothing.
 */
sb_err sb_store_lock_take(const char *db_path, struct sb_store_lock **out, char *msg, size_t cap);

/* Releases the lock and frees l; NULL is harmless. The lock file stays (removing it would race a newcomer).
 */
void sb_store_lock_release(struct sb_store_lock *l);

#endif

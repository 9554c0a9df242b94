/*
 * checkpoint.c - the daemon's write-ahead log copied back into the database from the tick.
 *
 * Left to SQLite, the commit that takes the log past its threshold also copies the log into the database
 * and syncs it, inside that commit: 3 to 6 ms here, on the path from a buy's fill to its sell the slowest
 * step by far, once every few dozen commits. The daemon's connection never checkpoints by itself
 * (checkpoint_by_caller): the housekeeping tick, which runs from its own timer and never between a fill and
 * its sell, checkpoints once the log has grown by SB_STORE_CHECKPOINT_PAGES since the last time. Nothing
 * else writes the database meanwhile, so the log is copied whole and the next commit starts it anew. A
 * checkpoint that fails is logged and tried again with the next growth; the log is never lost, only
 * longer.
 */
#include "bot_int.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

void bot_checkpoint_tick(struct sb_bot *b)
{
	uint32_t pages = sb_store_wal_pages(b->st);
	if (pages < b->ckpt_from)
		b->ckpt_from = 0; /* the last checkpoint copied the whole log and it started anew */
	if (pages < b->ckpt_from + SB_STORE_CHECKPOINT_PAGES || b->degraded)
		return;
	b->ckpt_from = pages;
	uint64_t t0 = sb_clock_mono_ns();
	sb_err e = sb_store_checkpoint(b->st);
	uint64_t us = (sb_clock_mono_ns() - t0) / 1000u;
	if (e != SB_OK) {
		sb_log_warn("db",
		            SB_FIELDS(SB_F_ERR(e), SB_F_UINT("pages", pages),
		                      SB_F_STR("db_error", sb_store_last_error(b->st))),
		            "the database's log could not be checkpointed; it grows until the next try");
		return;
	}
	sb_log_debug("db", SB_FIELDS(SB_F_UINT("pages", pages), SB_F_UINT("us", us)),
	             "the database's log was checkpointed");
}

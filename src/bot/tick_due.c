/*
 * tick_due.c - when the daemon's once-a-second tick has something to do, so that on a virtual clock (the
 * backtest) it sleeps through the seconds where it has not.
 *
 * A tick that sent no request and wrote nothing left the state it decides on as it found it; the ticks
 * after it then do nothing either until time alone changes a decision: a price going stale, a BNB price
 * falling due, an order's settle query or fill backfill, a refused position's retry or a pair's wait
 * after a rejected buy, the strategy's own thresholds (buy timeout, max duration, the cooldowns). Such a
 * tick parks its timer until the first of its seconds at or after the earliest of those. An event changes
 * the state, so whoever delivers events wakes the tick back to its next second. The ticks that run, run at
 * the very seconds they ran when the timer fired every second, so nothing is decided differently.
 */
#include "bot/bot_int.h"

#define PARK_MAX_MS 86400000 /* the longest park: the timer keeps running, so it keeps its seconds */

void bot_tick_mark(const struct sb_bot *b, struct bot_tick_mark *m)
{
	*m = (struct bot_tick_mark){.commits = sb_store_commits(b->st),
	                            .inflight = b->inflight,
	                            .state = b->state,
	                            .paused = b->paused,
	                            .degraded = b->degraded};
}

/* Nothing was sent (a request counts in inflight until its answer, which never arrives inside a tick) and
 * nothing was written or switched. */
static bool quiet(const struct sb_bot *b, const struct bot_tick_mark *before)
{
	struct bot_tick_mark m;
	bot_tick_mark(b, &m);
	return m.commits == before->commits && m.inflight == before->inflight && m.state == before->state &&
	       m.paused == before->paused && m.degraded == before->degraded;
}

/* The price manager's, the order manager's and the strategy's thresholds for one pair. */
static int64_t pair_due(const struct sb_bot *b, const struct bot_pair *pr, int64_t now)
{
	int64_t due = bot_sooner(engine_next_due(b, pr, now), prices_stale_at(b, pr), now);
	for (const struct bot_pos *bp = pr->positions; bp; bp = bp->next) {
		if (bp->buy.present)
			due = bot_sooner(due, bp->buy.query_at_ms, now);
		if (bp->sell.present)
			due = bot_sooner(due, bp->sell.query_at_ms, now);
		due = bot_sooner(due, bp->backfill_at_ms, now);
		due = bot_sooner(due, bp->alert_at_ms + 60000, now);
	}
	return due;
}

int64_t bot_tick_next_due(const struct sb_bot *b, int64_t now_ms)
{
	/* The control API's and the monitor's own timed work is not followed here: with either, and while
	 * the daemon may not trade (starting, degraded), every second counts. */
	if (b->control || b->mon || !bot_may_trade(b))
		return now_ms + BOT_TICK_MS;
	int64_t due = bot_sooner(INT64_MAX, sb_bnb_due_at(&b->bnb), now_ms);
	for (size_t i = 0; i < b->npairs; i++) {
		int64_t d = pair_due(b, &b->pairs[i], now_ms);
		if (d < due)
			due = d;
	}
	return due;
}

void bot_tick_park(struct sb_bot *b, const struct bot_tick_mark *before, int64_t now_ms)
{
	if (!b->tick_sparse || !quiet(b, before))
		return;
	int64_t due = bot_tick_next_due(b, now_ms);
	if (due - now_ms > PARK_MAX_MS)
		due = now_ms + PARK_MAX_MS;
	if (due <= now_ms + BOT_TICK_MS)
		return;
	int64_t ticks = (due - now_ms + BOT_TICK_MS - 1) / BOT_TICK_MS;
	sb_clock_timer_start(b->timers.tick, (uint64_t)(ticks * BOT_TICK_MS), BOT_TICK_MS);
}

void bot_tick_wake(struct sb_bot *b)
{
	uint64_t due = 0, now = sb_clock_now_mono_ms(b->clock);
	if (!b->tick_sparse || !sb_clock_virtual_timer_due(b->timers.tick, &due) || due <= now + BOT_TICK_MS)
		return;
	/* The parked time lies on the tick's seconds: the first of them after now. */
	uint64_t next = due - (due - now - 1) / BOT_TICK_MS * BOT_TICK_MS;
	sb_clock_timer_start(b->timers.tick, next - now, BOT_TICK_MS);
}

/*
 * tick_due.c - when the daemon's once-a-second tick has something to do, so that on a virtual clock (the
 * backtest) it sleeps through the seconds where it has not.
 *
 * A tick that sent no request and wrote nothing left the state it decides on as it found it; the ticks
 * after it then do nothing either until time alone changes a decision: a price going stale, a BNB price
 * falling due, an order's settle query or fill backfill, a reconciliation's queries a high weight held back,
 * a reconciliation owed, a refused position's retry or a pair's wait after a rejected buy, the strategy's own
 * thresholds (buy timeout, max duration, the cooldowns). Such a tick parks its timer until the first of its
 * seconds at or after the earliest of those. An event changes the state, so whoever delivers events wakes the
 * tick back to its next second. The ticks that run, run at the very seconds they ran when the timer fired
 * every second, so nothing is decided differently.
 *
 * On the loop's clock (`run`) the timer keeps firing every second, for what must be looked at every second
 * (the kill switch another process writes, the control API's jobs, the monitor's watch), but its work on
 * the pairs goes idle the same way: the ticks before that earliest time leave prices, orders and the
 * strategy alone, so a daemon whose pairs have nothing to do decides none of them every second. Whatever
 * could change a decision ends the idle time at once: an event that marks a pair (the step after the
 * dispatch, engine_step), a commit, a request sent or answered, the run state, the kill switch, the user
 * stream's subscription.
 */
#include "bot/bot_int.h"

#define PARK_MAX_MS 86400000 /* the longest park: the timer keeps running, so it keeps its seconds */

void bot_tick_mark(const struct sb_bot *b, struct bot_tick_mark *m)
{
	*m = (struct bot_tick_mark){.commits = sb_store_commits(b->st),
	                            .inflight = b->inflight,
	                            .state = b->state,
	                            .paused = b->paused,
	                            .degraded = b->degraded,
	                            .subscribed = b->ex && sb_exchange_user_subscribed(b->ex)};
}

/* Nothing was sent (a request counts in inflight until its answer, which never arrives inside a tick) and
 * nothing was written or switched since the mark was taken. */
static bool quiet(const struct sb_bot *b, const struct bot_tick_mark *before)
{
	struct bot_tick_mark m;
	bot_tick_mark(b, &m);
	return m.commits == before->commits && m.inflight == before->inflight && m.state == before->state &&
	       m.paused == before->paused && m.degraded == before->degraded &&
	       m.subscribed == before->subscribed;
}

/* The price manager's, the order manager's and the strategy's thresholds for one pair. */
static int64_t pair_due(const struct sb_bot *b, const struct bot_pair *pr, int64_t now)
{
	/* A stale price whose REST request could not be sent is asked for again at the next tick. */
	if (pr->have_rules && !pr->rest_price_inflight && !prices_fresh(b, pr, now))
		return now + BOT_TICK_MS;
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

/* When the tick's work on the pairs may next act with nothing but time passing; every second while the
 * daemon may not trade (starting, degraded). */
static int64_t pairs_due(const struct sb_bot *b, int64_t now_ms)
{
	if (!bot_may_trade(b) || b->recon_queued > 0)
		return now_ms + BOT_TICK_MS;
	int64_t due = bot_sooner(INT64_MAX, sb_bnb_due_at(&b->bnb), now_ms);
	due = bot_sooner(due, b->recon_owed_at, now_ms);
	for (size_t i = 0; i < b->npairs; i++) {
		int64_t d = pair_due(b, &b->pairs[i], now_ms);
		if (d < due)
			due = d;
	}
	return due;
}

int64_t bot_tick_next_due(const struct sb_bot *b, int64_t now_ms)
{
	/* The control API's and the monitor's own timed work is not followed here: with either, every
	 * second counts. */
	if (b->control || b->mon)
		return now_ms + BOT_TICK_MS;
	return pairs_due(b, now_ms);
}

/* The loop's clock: the ticks before the pairs' due time leave them alone (bot_tick_idle). */
static void go_idle(struct sb_bot *b, int64_t now_ms)
{
	int64_t due = pairs_due(b, now_ms);
	if (due <= now_ms + BOT_TICK_MS)
		return;
	b->tick_idle_until = due;
	bot_tick_mark(b, &b->at_idle);
}

bool bot_tick_idle(struct sb_bot *b, int64_t now_ms)
{
	if (b->tick_idle_until == 0)
		return false;
	if (now_ms < b->tick_idle_until && quiet(b, &b->at_idle))
		return true;
	b->tick_idle_until = 0;
	return false;
}

void bot_tick_park(struct sb_bot *b, const struct bot_tick_mark *before, int64_t now_ms)
{
	if (!quiet(b, before))
		return;
	if (!b->tick_sparse) {
		go_idle(b, now_ms);
		return;
	}
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

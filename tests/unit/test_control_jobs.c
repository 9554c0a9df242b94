/*
 * test_control_jobs.c - the manual-action job machine of the control API (src/bot/control_manual.c): every
 * transition of control_job_apply, the legal ones and the refused ones, the paths a sell, a re-price, a
 * cancel and an abandon take through it, and one manual sell driven through the machine on a daemon without
 * sockets (tests/support/sbtest_bot.h), checked against the store.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <string.h>

#include "bot/control_int.h"
#include "sbtest_bot.h"
#include "sbtest_dec.h"

#define ILLEGAL CONTROL_JOB__COUNT

/* Where each event takes each state (ILLEGAL: refused). */
static const enum control_job_state expected[CONTROL_JOB__COUNT][CONTROL_JOB_EVENT__COUNT] = {
    [CONTROL_JOB_CLEARING] = {CONTROL_JOB_CLEARING, CONTROL_JOB_ACTING, CONTROL_JOB_WATCHING, ILLEGAL,
                              CONTROL_JOB_ENDED},
    [CONTROL_JOB_ACTING] = {CONTROL_JOB_CLEARING, CONTROL_JOB_ACTING, CONTROL_JOB_WATCHING,
                            CONTROL_JOB_WATCHING, CONTROL_JOB_ENDED},
    [CONTROL_JOB_WATCHING] = {ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, CONTROL_JOB_ENDED},
    [CONTROL_JOB_ENDED] = {ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL, ILLEGAL},
};

Test(control_jobs, every_transition_is_applied_or_refused_as_the_table_says)
{
	for (int s = 0; s < CONTROL_JOB__COUNT; s++) {
		for (int ev = 0; ev < CONTROL_JOB_EVENT__COUNT; ev++) {
			enum control_job_state st = (enum control_job_state)s;
			sb_err err = control_job_apply(&st, (enum control_job_event)ev);
			if (expected[s][ev] == ILLEGAL) {
				cr_assert_eq(err, SB_ERR_STATE, "%s on event %d is refused",
				             control_job_state_name((enum control_job_state)s), ev);
				cr_assert_eq(st, s, "a refused event leaves the state alone");
			} else {
				cr_assert_eq(err, SB_OK, "%s on event %d",
				             control_job_state_name((enum control_job_state)s), ev);
				cr_assert_eq(st, expected[s][ev], "%s on event %d goes to %s, not %s",
				             control_job_state_name((enum control_job_state)s), ev,
				             control_job_state_name(expected[s][ev]),
				             control_job_state_name(st));
			}
		}
	}
}

/* Applies the events in order from CLEARING, each of which must be legal, and returns the state reached. */
static enum control_job_state run(const enum control_job_event *evs, size_t n)
{
	enum control_job_state st = CONTROL_JOB_CLEARING;
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(control_job_apply(&st, evs[i]), SB_OK, "event %zu (%d) from %s", i, evs[i],
		             control_job_state_name(st));
	return st;
}

Test(control_jobs, the_paths_of_the_four_actions_end)
{
	/* A sell of a position whose limit sell is cancelled first: cancel under way, cleared, the market
	 * sell placed, its fill. */
	const enum control_job_event sell[] = {CONTROL_JOB_WORKING, CONTROL_JOB_WORKING, CONTROL_JOB_CLEARED,
	                                       CONTROL_JOB_PLACED, CONTROL_JOB_END};
	cr_assert_eq(run(sell, 5), CONTROL_JOB_ENDED);
	/* A sell that follows the market exit already under way. */
	const enum control_job_event follow[] = {CONTROL_JOB_FOLLOW, CONTROL_JOB_END};
	cr_assert_eq(run(follow, 2), CONTROL_JOB_ENDED);
	/* A re-price waiting for the buy's fills (acting, again and again), then placed. */
	const enum control_job_event reprice[] = {CONTROL_JOB_CLEARED, CONTROL_JOB_CLEARED,
	                                          CONTROL_JOB_PLACED};
	cr_assert_eq(run(reprice, 3), CONTROL_JOB_WATCHING);
	/* A cancel or abandon ends as soon as nothing works any more. */
	const enum control_job_event cancel[] = {CONTROL_JOB_WORKING, CONTROL_JOB_CLEARED, CONTROL_JOB_END};
	cr_assert_eq(run(cancel, 3), CONTROL_JOB_ENDED);
	/* An order that works again while the job acts sends it back to clearing. */
	const enum control_job_event again[] = {CONTROL_JOB_CLEARED, CONTROL_JOB_WORKING};
	cr_assert_eq(run(again, 2), CONTROL_JOB_CLEARING);
}

Test(control_jobs, a_placed_order_is_never_placed_twice_and_an_ended_job_stays_ended)
{
	enum control_job_state st = CONTROL_JOB_WATCHING;
	cr_assert_eq(control_job_apply(&st, CONTROL_JOB_PLACED), SB_ERR_STATE);
	cr_assert_eq(control_job_apply(&st, CONTROL_JOB_CLEARED), SB_ERR_STATE,
	             "a watched order is not cleared");
	st = CONTROL_JOB_CLEARING;
	cr_assert_eq(control_job_apply(&st, CONTROL_JOB_PLACED), SB_ERR_STATE,
	             "nothing is placed before clearing");
	st = CONTROL_JOB_ENDED;
	cr_assert_eq(control_job_apply(&st, CONTROL_JOB_END), SB_ERR_STATE);
	cr_assert_eq(st, CONTROL_JOB_ENDED);
	cr_assert_eq(control_job_apply(NULL, CONTROL_JOB_END), SB_ERR_INVALID);
	st = CONTROL_JOB_CLEARING;
	cr_assert_eq(control_job_apply(&st, CONTROL_JOB_EVENT__COUNT), SB_ERR_INVALID);
	cr_assert_str_eq(control_job_state_name(CONTROL_JOB_WATCHING), "watching");
}

/* ---- driven on a daemon ---------------------------------------------------------------------------------
 */

static struct sbt_bot tb;
static struct sbt_fakex *fx;
static struct control_manual *man;

static void teardown(void)
{
	control_manual_free(man);
	man = NULL;
	sbt_bot_fini(&tb);
}

/* The outcome view of position pos: its "done" and (once done) "ok". */
static void outcome(int64_t pos, bool *done, bool *ok)
{
	cJSON *o = NULL;
	cr_assert_eq(control_manual_outcome(man, pos, &o), 200);
	*done = cJSON_IsTrue(cJSON_GetObjectItem(o, "done"));
	*ok = cJSON_IsTrue(cJSON_GetObjectItem(o, "ok"));
	cJSON_Delete(o);
}

Test(control_jobs, a_manual_sell_cancels_the_limit_sell_then_sells_at_market, .fini = teardown)
{
	sbt_bot_init(&tb, "BTCUSDT:quote=20,profit=0.5%,buy_offset=0", NULL, 0);
	fx = sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
	man = control_manual_new(tb.b);
	/* A buy of 0.0004 at 50000, filled, and its limit sell working. */
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	sbt_bot_ack(&tb, b);
	int64_t pos = sbt_bot_order(&tb, fx->req[b].coid).position_id;
	struct sb_fill bf = fill("50000", "0.0004", "20", "0.0000004", "BTC", 1);
	sbt_bot_trade(&tb, b, &bf, "0.0004", "20", SB_ORDER_FILLED);
	size_t s = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(fx->req[s].order.type, SB_ORDER_LIMIT);
	sbt_bot_ack(&tb, s);

	cJSON *out = NULL;
	cr_assert_eq(control_manual_post(man, pos, "sell", "", false, &out), 202);
	cJSON_Delete(out);
	/* Clearing: the limit sell is cancelled first, and nothing is sold while that is under way. */
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the limit sell is cancelled");
	cr_assert_str_eq(fx->req[c].coid, fx->req[s].coid);
	control_manual_tick(man, sbt_bot_now(&tb));
	cr_assert_eq((size_t)sbt_fakex_last(fx, SBT_FX_PLACE), s, "no sell before the cancel is answered");
	bool done = true, ok = false;
	outcome(pos, &done, &ok);
	cr_assert(!done);

	/* Cleared, then acting: the market sell. */
	sbt_bot_answer_about(&tb, (size_t)c, SB_ORDER_CANCELED, "0", "0");
	cr_assert_eq(sbt_bot_order(&tb, fx->req[s].coid).status, SB_ORDER_CANCELED);
	control_manual_tick(man, sbt_bot_now(&tb));
	size_t m = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_neq(m, s, "the market sell is placed once the limit sell is gone");
	cr_assert_eq(fx->req[m].order.type, SB_ORDER_MARKET);
	cr_assert_eq(fx->req[m].order.side, SB_SIDE_SELL);
	control_manual_tick(man, sbt_bot_now(&tb));
	cr_assert_eq((size_t)sbt_fakex_last(fx, SBT_FX_PLACE), m, "watching: the sell is placed once");
	outcome(pos, &done, &ok);
	cr_assert(!done);

	/* Its fill closes the position and ends the job, done. */
	char qty[SB_DEC_STRLEN];
	sb_dec_format_trim(fx->req[m].order.quantity, qty, sizeof qty);
	struct sb_fill sf = fill("50000", qty, "19.5", "0.0195", "USDT", 2);
	sbt_bot_ack(&tb, m);
	sbt_bot_trade(&tb, m, &sf, qty, "19.5", SB_ORDER_FILLED);
	control_manual_tick(man, sbt_bot_now(&tb));
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_CLOSED);
	outcome(pos, &done, &ok);
	cr_assert(done && ok);
	cr_assert_eq(sbt_bot_events_of(&tb, "manual.sell_done", NULL), 1);
	cr_assert_eq(sbt_bot_events_of(&tb, "manual.sell", NULL), 1);
}

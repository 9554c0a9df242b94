/*
 * test_bot_state.c - the daemon's run state machine (src/bot/status.c): the transitions the design allows
 * and no other, a refused transition that changes nothing and is logged as an error naming both states,
 * and that the daemon sends no buy while paused, degraded or stopping, in the daemon built by sbtest_bot
 * on the scripted exchange. Checks are on what the exchange was asked and what the store holds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest_bot.h"
#include "spotbot/log.h"

static struct sbt_bot tb;
static struct sbt_fakex *fx;
static char logdir[64];

static void teardown(void)
{
	if (tb.b)
		sbt_bot_fini(&tb);
	if (logdir[0]) { /* opened by the test that reads it */
		sb_log_close();
		char path[128];
		snprintf(path, sizeof path, "%s/state.log", logdir);
		unlink(path);
		rmdir(logdir);
	}
}

TestSuite(bot_state, .fini = teardown);

/* The daemon on one pair, trading. */
static void begin_trading(void)
{
	sbt_bot_init(&tb, "BTCUSDT:quote=20,buy_offset=0,cooldown=0s", NULL, 0);
	fx = sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
}

static size_t buys(void)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n; i++)
		n += fx->req[i].kind == SBT_FX_PLACE && fx->req[i].order.side == SB_SIDE_BUY;
	return n;
}

/* Fresh prices for ten seconds: what would open a cycle on a trading daemon. */
static void offer_prices(void)
{
	for (int s = 0; s < 10; s++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_bot_advance(&tb, 1000);
	}
}

/* Opens the log in a directory of the test's own (removed by teardown). */
static void open_log(void)
{
	snprintf(logdir, sizeof logdir, "/tmp/sb_state_XXXXXX");
	cr_assert_not_null(mkdtemp(logdir));
	struct sb_log_opts lo = {.dir = logdir, .name = "state.log", .error_name = "", .level = SB_LOG_INFO};
	cr_assert_eq(sb_log_open(&lo), SB_OK);
}

/* Whether an error line of the log holds text. */
static bool logged_error(const char *text)
{
	char path[128], line[4096];
	snprintf(path, sizeof path, "%s/state.log", logdir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	bool found = false;
	while (!found && fgets(line, sizeof line, f))
		found = strstr(line, "\"error\"") && strstr(line, text);
	fclose(f);
	return found;
}

static const char *stored_state(char *buf, size_t cap)
{
	return sbt_bot_state(&tb, SB_STORE_KEY_RUN_STATE, buf, cap);
}

Test(bot_state, every_transition_of_the_design_is_allowed_and_no_other)
{
#define S BOT_STARTING
#define R BOT_RECONCILING
#define T BOT_TRADING
#define P BOT_PAUSED
#define D BOT_DEGRADED
#define G BOT_STOPPING
#define X BOT_STOPPED
	static const struct {
		enum bot_run_state from, to;
	} allowed[] = {
	    {S, S}, {S, R}, {S, D}, {S, G}, {S, X}, /* the control API may fail before the loop runs */
	    {R, R}, {R, T}, {R, P}, {R, D}, {R, G}, /* reconciliation retried, then trading or paused */
	    {T, T}, {T, P}, {T, D}, {T, G},         /* kill switch, failed write, stop */
	    {P, P}, {P, T}, {P, D}, {P, G},         /* */
	    {D, D}, {D, G},                         /* only a restart leaves DEGRADED */
	    {G, G}, {G, X},                         /* */
	};
	size_t n_allowed = 0;
	for (int from = 0; from < BOT_STATE__COUNT; from++) {
		for (int to = 0; to < BOT_STATE__COUNT; to++) {
			bool want = false;
			for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
				want |= allowed[i].from == (enum bot_run_state)from &&
				        allowed[i].to == (enum bot_run_state)to;
			bool got = bot_state_allowed((enum bot_run_state)from, (enum bot_run_state)to);
			cr_assert_eq(got, want, "%s -> %s: %s", bot_state_name((enum bot_run_state)from),
			             bot_state_name((enum bot_run_state)to), got ? "allowed" : "refused");
			n_allowed += got;
		}
	}
	cr_assert_eq(n_allowed, sizeof allowed / sizeof allowed[0]);
#undef S
#undef R
#undef T
#undef P
#undef D
#undef G
#undef X
	cr_assert_not(bot_state_allowed(BOT_STATE__COUNT, BOT_TRADING), "out of range");
	cr_assert_not(bot_state_allowed(BOT_TRADING, BOT_STATE__COUNT), "out of range");
}

Test(bot_state, a_refused_transition_changes_nothing_and_is_logged_naming_both_states)
{
	open_log();
	begin_trading();
	size_t events = sbt_bot_events_of(&tb, "run_state", NULL);

	cr_assert_eq(bot_set_state(tb.b, BOT_STARTING, "a test asks for it"), SB_ERR_STATE);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	char buf[SB_STORE_VALUE_MAX];
	cr_assert_str_eq(stored_state(buf, sizeof buf), "trading");
	cr_assert_eq(sbt_bot_events_of(&tb, "run_state", NULL), events, "no event for a refused move");
	offer_prices();
	cr_assert_eq(buys(), 1, "still trading");

	cr_assert(logged_error("run state trading cannot become starting"),
	          "an error line names both states");
}

Test(bot_state, paused_never_opens_a_cycle)
{
	begin_trading();
	sbt_bot_set_paused(&tb, true);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(tb.b->state, BOT_PAUSED, "the tick read the kill switch");
	offer_prices();
	cr_assert(bot_may_trade(tb.b), "open positions are still managed");
	cr_assert_eq(buys(), 0, "no cycle while paused");
}

Test(bot_state, degraded_never_trades_and_the_kill_switch_does_not_end_it)
{
	begin_trading();
	sbt_bot_set_paused(&tb, true);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(tb.b->state, BOT_PAUSED);
	bot_degrade(tb.b, SB_ERR_DB_FULL, "a test's write");
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	cr_assert_not(bot_may_trade(tb.b));
	/* Turning the switch off would resume a paused daemon; a degraded one stays degraded. */
	bot_set_paused(tb.b, false, "a test");
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	cr_assert_eq(bot_set_state(tb.b, BOT_TRADING, "a test asks for it"), SB_ERR_STATE);
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	offer_prices();
	cr_assert_eq(buys(), 0, "no buy while degraded");
}

Test(bot_state, stopping_never_trades_and_ends_only_stopped)
{
	begin_trading();
	cr_assert_eq(bot_set_state(tb.b, BOT_STOPPING, "a test stops"), SB_OK);
	cr_assert(bot_is_stopping(tb.b));
	cr_assert_not(bot_may_trade(tb.b));
	char buf[SB_STORE_VALUE_MAX];
	cr_assert_str_eq(stored_state(buf, sizeof buf), "stopping");
	offer_prices();
	cr_assert_eq(buys(), 0, "no buy while stopping");
	cr_assert_eq(bot_set_state(tb.b, BOT_TRADING, "a test asks for it"), SB_ERR_STATE);
	cr_assert_eq(bot_set_state(tb.b, BOT_DEGRADED, "a test asks for it"), SB_ERR_STATE);
	/* A failed write while stopping is recorded, and the stop goes on. */
	bot_degrade(tb.b, SB_ERR_DB_FULL, "a test's write");
	cr_assert_eq(tb.b->state, BOT_STOPPING);
	cr_assert_eq(bot_set_state(tb.b, BOT_STOPPED, "a test stopped"), SB_OK);
	cr_assert_eq(bot_set_state(tb.b, BOT_STOPPING, "a test asks for it"), SB_ERR_STATE,
	             "STOPPED is final");
}

Test(bot_state, a_database_failure_during_start_up_ends_it_degraded_without_going_on)
{
	open_log();
	sbt_bot_init(&tb, "BTCUSDT:quote=20,buy_offset=0,cooldown=0s", NULL, 0);
	fx = sbt_bot_fake(&tb);
	sbt_bot_start_reconciling(&tb, NULL);
	bot_degrade(tb.b, SB_ERR_DB_FULL, "a test's write");
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	/* The reconciliation answers: the start-up does not go on to trading, nor try to. */
	sbt_bot_no_open_orders(&tb);
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	offer_prices();
	cr_assert_eq(buys(), 0, "no buy while degraded");
	cr_assert_not(logged_error("cannot become"), "no transition was attempted");
}

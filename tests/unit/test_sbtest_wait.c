/*
 * Tests for tests/support/sbtest_wait.c: the polling wait checks until its condition holds, checks once
 * more at the deadline before it gives up, never naps past the deadline, and reaps a child that exits.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sbtest_wait.h"

/* A condition that comes true at its nth check, and remembers when it was last checked. */
struct counted {
	int checks;      /* how many times it was checked */
	int true_at;     /* the check that first says true (0: never) */
	int64_t last_ms; /* monotonic time of the last check */
};

static bool counted_true(void *arg)
{
	struct counted *c = arg;
	c->last_ms = sbt_mono_ms();
	return ++c->checks == c->true_at || (c->true_at > 0 && c->checks > c->true_at);
}

Test(sbtest_wait, a_condition_that_comes_true_ends_the_wait_at_that_check)
{
	struct counted c = {.true_at = 3};
	int64_t start = sbt_mono_ms();
	cr_assert(sbt_poll(counted_true, &c, 10000, 0));
	cr_assert_eq(c.checks, 3, "checked until it held, then no more");
	cr_assert_lt(sbt_mono_ms() - start, 5000, "two naps, not the whole timeout");
}

Test(sbtest_wait, a_condition_that_holds_at_once_is_checked_once_without_a_nap)
{
	struct counted c = {.true_at = 1};
	cr_assert(sbt_poll(counted_true, &c, 0, 0), "a zero timeout still checks once");
	cr_assert_eq(c.checks, 1);
}

Test(sbtest_wait, a_condition_that_never_holds_is_checked_once_more_at_the_deadline)
{
	struct counted c = {0};
	int64_t start = sbt_mono_ms();
	cr_assert_not(sbt_poll(counted_true, &c, 120, 0));
	int64_t took = sbt_mono_ms() - start;
	cr_assert_geq(c.last_ms - start, 120, "the last check came at or after the deadline");
	cr_assert_lt(took, 120 + 2 * SBT_POLL_MS + 1000, "no nap runs far past the deadline (%lld ms)",
	             (long long)took);
	cr_assert_geq(c.checks, 2);
	cr_assert_leq(c.checks, 120 / SBT_POLL_MS + 2, "%d checks: it napped between them", c.checks);
}

Test(sbtest_wait, the_last_nap_stops_at_the_deadline)
{
	struct sbt_wait w;
	sbt_wait_start(&w, 30, 10000);
	int64_t start = sbt_mono_ms();
	cr_assert(sbt_wait_more(&w), "time is left: it naps");
	cr_assert_lt(sbt_mono_ms() - start, 1000, "a nap of 10 s was cut to the 30 ms left");
	cr_assert_not(sbt_wait_more(&w), "then the deadline has passed");
}

Test(sbtest_wait, the_macro_waits_for_an_expression)
{
	struct counted c = {.true_at = 4};
	SBT_WAIT_UNTIL(counted_true(&c), 10000, "the fourth check (%d so far)", c.checks);
	cr_assert_eq(c.checks, 4);
	int64_t end = sbt_mono_ms() + 50;
	SBT_WAIT_UNTIL_EVERY(sbt_mono_ms() >= end, 10000, 5, "50 ms to pass");
	cr_assert_geq(sbt_mono_ms(), end);
}

Test(sbtest_wait, a_child_that_exits_is_reaped_with_its_status_and_one_that_runs_is_left)
{
	pid_t quick = fork();
	cr_assert_geq(quick, 0);
	if (quick == 0)
		_exit(3);
	int status = 0;
	cr_assert(sbt_reap(quick, 10000, &status));
	cr_assert(WIFEXITED(status));
	cr_assert_eq(WEXITSTATUS(status), 3);

	pid_t slow = fork();
	cr_assert_geq(slow, 0);
	if (slow == 0) {
		pause();
		_exit(0);
	}
	cr_assert_not(sbt_reap(slow, 50, NULL), "still running after 50 ms");
	cr_assert_eq(kill(slow, SIGKILL), 0, "it was left running");
	cr_assert(sbt_reap(slow, 10000, &status));
	cr_assert(WIFSIGNALED(status));
}

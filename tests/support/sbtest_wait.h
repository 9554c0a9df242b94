/*
 * sbtest_wait.h - the one way tests wait for something another process does: check a condition, nap a
 * little, check again, and give up at a deadline with a message that says what was awaited and for how
 * long. Tests that drive their own libuv loop use SBT_RUN_UNTIL (sbtest_loop.h) instead; these waits are
 * for conditions outside the test's process (a child's database, log, control socket or exit, spotsim's
 * records).
 */
#ifndef SBTEST_WAIT_H
#define SBTEST_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* The nap between two checks unless a wait names its own. */
#define SBT_POLL_MS 50

/* A wait under way: its deadline and its pace. */
struct sbt_wait {
	int64_t start_ms; /* monotonic time the wait began */
	int64_t end_ms;   /* monotonic time at which it gives up */
	int every_ms;     /* nap between two checks */
};

/* Monotonic milliseconds (CLOCK_MONOTONIC). */
int64_t sbt_mono_ms(void);

/* Starts a wait of timeout_ms that checks every every_ms (SBT_POLL_MS when 0 or less). */
void sbt_wait_start(struct sbt_wait *w, int timeout_ms, int every_ms);

/*
 * Called after a check that failed: false when the deadline has passed (the failed check came after it),
 * otherwise naps (never past the deadline) and returns true for the next check. So the condition is always
 * checked once more at the deadline.
 */
bool sbt_wait_more(struct sbt_wait *w);

/* A condition over the caller's arg: true once what is awaited holds. */
typedef bool (*sbt_cond)(void *arg);

/* Checks cond every every_ms (SBT_POLL_MS when 0) until it holds (true) or timeout_ms pass (false). */
bool sbt_poll(sbt_cond cond, void *arg, int timeout_ms, int every_ms);

/* The shell's view of a wait status: the exit code, or 128+n when signal n ended the process. */
int sbt_exit_code(int status);

/* Waits up to timeout_ms for the child pid to exit: true with its wait status in *status (may be NULL);
 * false when it still runs (it is left running). */
bool sbt_reap(pid_t pid, int timeout_ms, int *status);

/* Fails the test: "gave up after timeout_ms ms waiting for: " and the message (what SBT_WAIT_UNTIL says). */
void sbt_wait_failed(int timeout_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

/*
 * Evaluates the expression cond until it holds; when timeout_ms pass first, fails the test with
 * "gave up after N ms waiting for: " and the printf-style message that follows (formatted then, so it
 * can show the last value seen).
 */
#define SBT_WAIT_UNTIL(cond, timeout_ms, ...) SBT_WAIT_UNTIL_EVERY(cond, timeout_ms, SBT_POLL_MS, __VA_ARGS__)

/* SBT_WAIT_UNTIL checking every every_ms (for a check that costs request weight or a file scan). */
#define SBT_WAIT_UNTIL_EVERY(cond, timeout_ms, every_ms, ...)                                                \
	do {                                                                                                 \
		struct sbt_wait w_;                                                                          \
		int ms_ = (timeout_ms);                                                                      \
		sbt_wait_start(&w_, ms_, (every_ms));                                                        \
		bool ok_;                                                                                    \
		while (!(ok_ = (cond)) && sbt_wait_more(&w_))                                                \
			;                                                                                    \
		if (!ok_)                                                                                    \
			sbt_wait_failed(ms_, __VA_ARGS__);                                                   \
	} while (0)

#endif

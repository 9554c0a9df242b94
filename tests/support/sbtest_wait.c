/*
 * sbtest_wait.c - polling with a deadline (see sbtest_wait.h).
 */
#include "sbtest_wait.h"

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

int64_t sbt_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sbt_wait_start(struct sbt_wait *w, int timeout_ms, int every_ms)
{
	w->start_ms = sbt_mono_ms();
	w->end_ms = w->start_ms + (timeout_ms > 0 ? timeout_ms : 0);
	w->every_ms = every_ms > 0 ? every_ms : SBT_POLL_MS;
}

bool sbt_wait_more(struct sbt_wait *w)
{
	int64_t left = w->end_ms - sbt_mono_ms();
	if (left <= 0)
		return false;
	int64_t nap = left < w->every_ms ? left : w->every_ms;
	struct timespec ts = {(time_t)(nap / 1000), (long)(nap % 1000) * 1000000L};
	nanosleep(&ts, NULL);
	return true;
}

bool sbt_poll(sbt_cond cond, void *arg, int timeout_ms, int every_ms)
{
	struct sbt_wait w;
	sbt_wait_start(&w, timeout_ms, every_ms);
	do {
		if (cond(arg))
			return true;
	} while (sbt_wait_more(&w));
	return false;
}

bool sbt_reap(pid_t pid, int timeout_ms, int *status)
{
	struct sbt_wait w;
	sbt_wait_start(&w, timeout_ms, 5); /* a child's exit has no event to wait on without SIGCHLD */
	do {
		if (waitpid(pid, status, WNOHANG) == pid)
			return true;
	} while (sbt_wait_more(&w));
	return false;
}

int sbt_exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void sbt_wait_failed(int timeout_ms, const char *fmt, ...)
{
	static char what[8192]; /* the message; long bodies are cut */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	cr_assert_fail("gave up after %d ms waiting for: %s", timeout_ms, what);
	abort(); /* not reached: the failed assertion ends the test */
}

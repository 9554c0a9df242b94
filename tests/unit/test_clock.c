/*
 * Tests for clock.c: RFC 3339 formatting and parsing against known instants and against a naive calendar
 * walk on random instants, and the basic promises of the two clocks; the daemon's clock: the virtual one
 * (order of firing, repeating timers, stopping, starting and freeing from a callback, run-until, its heap
 * against a naive reference on random timers) and the event loop's.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "spotbot/clock.h"

static void check_format(int64_t ms, const char *want)
{
	char buf[SB_CLOCK_RFC3339_MS_SIZE];
	size_t n = sb_clock_format_rfc3339_ms(ms, buf, sizeof(buf));
	cr_assert_eq(n, strlen(want), "%lld: length %zu", (long long)ms, n);
	cr_assert_str_eq(buf, want, "%lld", (long long)ms);
	int64_t back = 0;
	cr_assert_eq(sb_clock_parse_rfc3339_ms(buf, n, &back), SB_OK, "%s", buf);
	cr_assert_eq(back, ms, "%s parsed back as %lld", buf, (long long)back);
}

Test(clock, formats_known_instants)
{
	check_format(0, "1970-01-01T00:00:00.000Z");
	check_format(1499827319559, "2017-07-12T02:41:59.559Z");
	check_format(1795595142123, "2026-11-25T08:25:42.123Z");
	check_format(1, "1970-01-01T00:00:00.001Z");
	check_format(999, "1970-01-01T00:00:00.999Z");
	check_format(86399999, "1970-01-01T23:59:59.999Z");
}

Test(clock, negative_instants_floor_to_the_previous_second)
{
	check_format(-1, "1969-12-31T23:59:59.999Z");
	check_format(-1000, "1969-12-31T23:59:59.000Z");
	check_format(-1001, "1969-12-31T23:59:58.999Z");
	check_format(-62167219200000, "0000-01-01T00:00:00.000Z");
}

Test(clock, leap_years_follow_the_gregorian_rules)
{
	check_format(951782400000, "2000-02-29T00:00:00.000Z");    /* divisible by 400: leap */
	check_format(1709208000000, "2024-02-29T12:00:00.000Z");   /* divisible by 4: leap */
	check_format(4107542400000, "2100-03-01T00:00:00.000Z");   /* divisible by 100: not leap */
	check_format(4107542399999, "2100-02-28T23:59:59.999Z");   /* ... so Feb 28 is followed by Mar 1 */
	check_format(1735603200000, "2024-12-31T00:00:00.000Z");   /* day 366 of a leap year */
	check_format(253402300799999, "9999-12-31T23:59:59.999Z"); /* the last representable instant */
}

Test(clock, refuses_years_beyond_four_digits_and_small_buffers)
{
	char buf[SB_CLOCK_RFC3339_MS_SIZE] = "junk";
	cr_assert_eq(sb_clock_format_rfc3339_ms(253402300800000, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_clock_format_rfc3339_ms(-62167219200001, buf, sizeof(buf)), 0);
	memcpy(buf, "junk", 5);
	cr_assert_eq(sb_clock_format_rfc3339_ms(0, buf, SB_CLOCK_RFC3339_MS_LEN), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_clock_format_rfc3339_ms(0, NULL, 0), 0);
}

/* A naive reference: walk the calendar one year and one month at a time from 1970. */
static void naive_civil(int64_t ms, char *out, size_t cap)
{
	int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
	int64_t rem_ms = ms - secs * 1000;
	int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	int64_t sod = secs - days * 86400;
	int y = 1970;
	for (;;) {
		int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		int len = leap ? 366 : 365;
		if (days < 0) {
			y--;
			int pleap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
			days += pleap ? 366 : 365;
		} else if (days >= len) {
			days -= len;
			y++;
		} else {
			break;
		}
	}
	int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)
		mdays[1] = 29;
	int m = 0;
	while (days >= mdays[m])
		days -= mdays[m++];
	snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m + 1, (int)days + 1, (int)(sod / 3600),
	         (int)(sod / 60 % 60), (int)(sod % 60), (int)rem_ms);
}

Test(clock, random_instants_match_a_naive_calendar_walk_and_round_trip)
{
	srand(20261125);
	const int64_t lo = -62167219200000, hi = 253402300799999;
	for (int i = 0; i < 20000; i++) {
		uint64_t r = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
		int64_t ms = lo + (int64_t)(r % (uint64_t)(hi - lo + 1));
		char want[64], got[SB_CLOCK_RFC3339_MS_SIZE];
		naive_civil(ms, want, sizeof(want));
		cr_assert_eq(sb_clock_format_rfc3339_ms(ms, got, sizeof(got)), SB_CLOCK_RFC3339_MS_LEN);
		cr_assert_str_eq(got, want, "%lld", (long long)ms);
		int64_t back = 0;
		cr_assert_eq(sb_clock_parse_rfc3339_ms(got, strlen(got), &back), SB_OK);
		cr_assert_eq(back, ms);
	}
}

static int64_t parse_ok(const char *s)
{
	int64_t v = INT64_MIN;
	sb_err err = sb_clock_parse_rfc3339_ms(s, strlen(s), &v);
	cr_assert_eq(err, SB_OK, "%s: %s", s, sb_errname(err));
	return v;
}

static void parse_fails(const char *s, sb_err want)
{
	int64_t v = 42;
	sb_err err = sb_clock_parse_rfc3339_ms(s, strlen(s), &v);
	cr_assert_eq(err, want, "%s: got %s", s, sb_errname(err));
	cr_assert_eq(v, 42, "%s: output touched on error", s);
}

Test(clock, parses_offsets_fractions_and_lowercase_separators)
{
	cr_assert_eq(parse_ok("2017-07-12T02:41:59.559Z"), 1499827319559);
	cr_assert_eq(parse_ok("2017-07-12t02:41:59.559z"), 1499827319559);
	cr_assert_eq(parse_ok("2017-07-12 02:41:59.559Z"), 1499827319559);
	cr_assert_eq(parse_ok("2017-07-12T04:41:59.559+02:00"), 1499827319559);
	cr_assert_eq(parse_ok("2017-07-11T21:11:59.559-05:30"), 1499827319559);
	cr_assert_eq(parse_ok("2017-07-12T02:41:59Z"), 1499827319000);
	cr_assert_eq(parse_ok("2017-07-12T02:41:59.5Z"), 1499827319500);
	cr_assert_eq(parse_ok("2017-07-12T02:41:59.559999999Z"), 1499827319559);
	cr_assert_eq(parse_ok("1969-12-31T23:59:59.999Z"), -1);
}

Test(clock, rejects_malformed_and_out_of_range_timestamps)
{
	parse_fails("", SB_ERR_PARSE);
	parse_fails("2017-07-12", SB_ERR_PARSE);
	parse_fails("2017-07-12T02:41:59", SB_ERR_PARSE);   /* no offset */
	parse_fails("2017-07-12T02:41:59.Z", SB_ERR_PARSE); /* empty fraction */
	parse_fails("2017-7-12T02:41:59Z", SB_ERR_PARSE);   /* one-digit month */
	parse_fails("2017-07-12T02:41:59Z ", SB_ERR_PARSE); /* trailing byte */
	parse_fails("2017-07-12X02:41:59Z", SB_ERR_PARSE);
	parse_fails("2017-07-12T02:41:59+0200", SB_ERR_PARSE);
	parse_fails("2023-02-29T00:00:00Z", SB_ERR_RANGE); /* not a leap year */
	parse_fails("1900-02-29T00:00:00Z", SB_ERR_RANGE); /* century, not leap */
	parse_fails("2017-13-01T00:00:00Z", SB_ERR_RANGE);
	parse_fails("2017-00-01T00:00:00Z", SB_ERR_RANGE);
	parse_fails("2017-04-31T00:00:00Z", SB_ERR_RANGE);
	parse_fails("2017-07-12T24:00:00Z", SB_ERR_RANGE);
	parse_fails("2016-12-31T23:59:60Z", SB_ERR_RANGE); /* leap second */
	parse_fails("2017-07-12T02:41:59+24:00", SB_ERR_RANGE);
	cr_assert_eq(parse_ok("2024-02-29T00:00:00Z"), 1709164800000);
	cr_assert_eq(parse_ok("2000-02-29T00:00:00Z"), 951782400000);
	/* Exactly len bytes are read: a longer, valid buffer cut short is malformed. */
	int64_t v;
	cr_assert_eq(sb_clock_parse_rfc3339_ms("2017-07-12T02:41:59Z", 19, &v), SB_ERR_PARSE);
}

Test(clock, wall_clock_agrees_with_time_and_monotonic_never_goes_back)
{
	int64_t before = (int64_t)time(NULL);
	int64_t ms = sb_clock_wall_ms();
	int64_t us = sb_clock_wall_us();
	int64_t after = (int64_t)time(NULL);
	cr_assert_geq(ms / 1000, before);
	cr_assert_leq(ms / 1000, after);
	cr_assert_geq(us / 1000, ms);
	cr_assert_lt(us / 1000 - ms, 1000);
	uint64_t prev = sb_clock_mono_ns();
	for (int i = 0; i < 10000; i++) {
		uint64_t now = sb_clock_mono_ns();
		cr_assert_geq(now, prev);
		prev = now;
	}
	cr_assert_leq(sb_clock_mono_ms(), sb_clock_mono_ns() / 1000000);
}

/* ---- the virtual clock -------------------------------------------------------------------------------- */

#define LOG_MAX 64

/* What fired, in order, and when (the clock's monotonic ms). */
static struct {
	char name[LOG_MAX];    /* each callback's timer name */
	uint64_t at[LOG_MAX];  /* its monotonic time */
	int64_t wall[LOG_MAX]; /* its wall time */
	size_t n;              /* entries */
} fired;

/* A named timer with something to do when it fires. */
struct named {
	char name;                    /* logged */
	struct sb_clock_timer *t;     /* the timer */
	unsigned left;                /* stop_after: fires before it stops itself; 0 none */
	struct sb_clock_timer *other; /* stop_other / start_now: the timer acted on */
};

static void record(struct sb_clock_timer *t, char name)
{
	cr_assert_lt(fired.n, LOG_MAX);
	fired.name[fired.n] = name;
	fired.at[fired.n] = sb_clock_now_mono_ms(t->clock);
	fired.wall[fired.n] = sb_clock_now_wall_ms(t->clock);
	fired.n++;
}

static void log_only(struct sb_clock_timer *t, void *user)
{
	record(t, ((struct named *)user)->name);
}

static void stop_after(struct sb_clock_timer *t, void *user)
{
	struct named *n = user;
	record(t, n->name);
	if (--n->left == 0)
		sb_clock_timer_stop(t);
}

static void stop_other(struct sb_clock_timer *t, void *user)
{
	struct named *n = user;
	record(t, n->name);
	sb_clock_timer_stop(n->other);
}

static void start_now(struct sb_clock_timer *t, void *user)
{
	struct named *n = user;
	record(t, n->name);
	sb_clock_timer_start(n->other, 0, 0);
}

static void free_self(struct sb_clock_timer *t, void *user)
{
	struct named *n = user;
	record(t, n->name);
	sb_clock_timer_free(t);
	n->t = NULL;
}

static struct sb_clock *vclock(void)
{
	memset(&fired, 0, sizeof fired);
	struct sb_clock *c = sb_clock_virtual_new(1700000000000);
	cr_assert_str_eq(sb_clock_name(c), "virtual");
	cr_assert_eq(sb_clock_now_mono_ms(c), 0);
	cr_assert_eq(sb_clock_now_wall_ms(c), 1700000000000);
	return c;
}

static void named_timer(struct sb_clock *c, struct named *n, char name, sb_clock_timer_cb cb)
{
	n->name = name;
	n->t = sb_clock_timer_new(c, cb, n);
}

Test(clock_virtual, fires_in_due_order_and_equal_times_in_start_order)
{
	struct sb_clock *c = vclock();
	struct named a, b, d, e;
	named_timer(c, &a, 'a', log_only);
	named_timer(c, &b, 'b', log_only);
	named_timer(c, &d, 'd', log_only);
	named_timer(c, &e, 'e', log_only);
	sb_clock_timer_start(a.t, 30, 0);
	sb_clock_timer_start(e.t, 10, 0);
	sb_clock_timer_start(b.t, 10, 0);
	sb_clock_timer_start(d.t, 20, 0);
	uint64_t due = 0;
	cr_assert(sb_clock_virtual_next(c, &due));
	cr_assert_eq(due, 10);
	cr_assert_eq(sb_clock_now_mono_ms(c), 0, "time stands still until it is moved");
	while (sb_clock_virtual_step(c))
		;
	cr_assert_eq(fired.n, 4);
	cr_assert_eq(memcmp(fired.name, "ebda", 4), 0, "fired %.4s", fired.name);
	static const uint64_t at[] = {10, 10, 20, 30};
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(fired.at[i], at[i], "%c at %llu", fired.name[i],
		             (unsigned long long)fired.at[i]);
		cr_assert_eq(fired.wall[i], 1700000000000 + (int64_t)at[i], "wall time moves with it");
	}
	cr_assert(!sb_clock_virtual_step(c), "nothing left to fire");
	cr_assert(!sb_clock_virtual_next(c, &due));
	cr_assert_eq(sb_clock_now_mono_ms(c), 30);
	/* Starting a running timer moves it; a moved timer goes behind those already due then. */
	sb_clock_timer_start(a.t, 5, 0);
	sb_clock_timer_start(b.t, 5, 0);
	sb_clock_timer_start(a.t, 5, 0);
	fired.n = 0;
	cr_assert_eq(sb_clock_virtual_run_until(c, 100), 2);
	cr_assert_eq(memcmp(fired.name, "ba", 2), 0, "fired %.2s", fired.name);
	sb_clock_timer_free(a.t);
	sb_clock_timer_free(b.t);
	sb_clock_timer_free(d.t);
	sb_clock_timer_free(e.t);
	sb_clock_free(c);
}

Test(clock_virtual, repeating_timer_fires_every_period_until_stopped_in_its_callback)
{
	struct sb_clock *c = vclock();
	struct named r, s;
	named_timer(c, &r, 'r', log_only);
	named_timer(c, &s, 's', stop_after);
	s.left = 3;
	sb_clock_timer_start(r.t, 100, 100);
	sb_clock_timer_start(s.t, 250, 50);
	cr_assert_eq(sb_clock_virtual_run_until(c, 1000), 13);
	cr_assert_eq(sb_clock_now_mono_ms(c), 1000);
	size_t nr = 0, ns = 0;
	for (size_t i = 0; i < fired.n; i++) {
		if (fired.name[i] == 'r')
			cr_assert_eq(fired.at[i], 100 * ++nr, "r's %zu-th run at %llu", nr,
			             (unsigned long long)fired.at[i]);
		else
			cr_assert_eq(fired.at[i], 250 + 50 * ns++, "s at %llu",
			             (unsigned long long)fired.at[i]);
	}
	cr_assert_eq(nr, 10, "100, 200, ... 1000");
	cr_assert_eq(ns, 3, "s stopped itself on its third run");
	uint64_t due = 0;
	cr_assert(sb_clock_virtual_next(c, &due));
	cr_assert_eq(due, 1100, "r runs on");
	sb_clock_timer_stop(r.t);
	sb_clock_timer_stop(r.t);
	cr_assert(!sb_clock_virtual_next(c, &due), "stopping twice is harmless");
	/* A stopped timer starts again. */
	sb_clock_timer_start(s.t, 10, 0);
	fired.n = 0;
	cr_assert(sb_clock_virtual_step(c));
	cr_assert_eq(fired.at[0], 1010);
	sb_clock_timer_free(r.t);
	sb_clock_timer_free(s.t);
	sb_clock_free(c);
}

Test(clock_virtual, a_callback_stops_a_timer_due_at_the_same_time)
{
	struct sb_clock *c = vclock();
	struct named a, b;
	named_timer(c, &a, 'a', stop_other);
	named_timer(c, &b, 'b', log_only);
	a.other = b.t;
	sb_clock_timer_start(a.t, 50, 0);
	sb_clock_timer_start(b.t, 50, 0);
	cr_assert_eq(sb_clock_virtual_run_until(c, 60), 1);
	cr_assert_eq(fired.n, 1);
	cr_assert_eq(fired.name[0], 'a', "b was stopped before its turn");
	sb_clock_timer_free(a.t);
	sb_clock_timer_free(b.t);
	sb_clock_free(c);
}

Test(clock_virtual, a_timer_started_from_a_callback_for_now_fires_after_it_at_the_same_time)
{
	struct sb_clock *c = vclock();
	struct named a, b, l;
	named_timer(c, &a, 'a', start_now);
	named_timer(c, &b, 'b', log_only);
	named_timer(c, &l, 'l', log_only);
	a.other = b.t;
	sb_clock_timer_start(a.t, 40, 0);
	sb_clock_timer_start(l.t, 40, 0);
	/* One step fires one callback: b is not run inside a's callback or a's step. */
	cr_assert(sb_clock_virtual_step(c));
	cr_assert_eq(fired.n, 1);
	cr_assert_eq(fired.name[0], 'a');
	cr_assert(sb_clock_virtual_step(c));
	cr_assert(sb_clock_virtual_step(c));
	cr_assert_eq(memcmp(fired.name, "alb", 3), 0, "l was due first; fired %.3s", fired.name);
	cr_assert_eq(fired.at[2], 40, "b fires at the time it was started for");
	/* run_until fires what callbacks start on the way too. */
	fired.n = 0;
	sb_clock_timer_start(a.t, 10, 0);
	cr_assert_eq(sb_clock_virtual_run_until(c, 50), 2);
	cr_assert_eq(memcmp(fired.name, "ab", 2), 0);
	cr_assert_eq(fired.at[1], 50);
	sb_clock_timer_free(a.t);
	sb_clock_timer_free(b.t);
	sb_clock_timer_free(l.t);
	sb_clock_free(c);
}

Test(clock_virtual, run_until_fires_only_what_is_due_and_never_goes_back)
{
	struct sb_clock *c = vclock();
	struct named a, b;
	named_timer(c, &a, 'a', log_only);
	named_timer(c, &b, 'b', log_only);
	sb_clock_timer_start(a.t, 500, 0);
	sb_clock_timer_start(b.t, 501, 0);
	cr_assert_eq(sb_clock_virtual_run_until(c, 499), 0);
	cr_assert_eq(sb_clock_now_mono_ms(c), 499, "time moves to the deadline with nothing due");
	cr_assert_eq(sb_clock_virtual_run_until(c, 500), 1, "due at the deadline: fired");
	cr_assert_eq(fired.name[0], 'a');
	cr_assert_eq(sb_clock_virtual_run_until(c, 100), 0);
	cr_assert_eq(sb_clock_now_mono_ms(c), 500, "an earlier deadline does not move time back");
	cr_assert_eq(sb_clock_now_wall_ms(c), 1700000000500);
	uint64_t due = 0;
	cr_assert(sb_clock_virtual_next(c, &due));
	cr_assert_eq(due, 501, "b still waits");
	sb_clock_timer_free(a.t);
	sb_clock_timer_free(b.t);
	sb_clock_free(c);
}

Test(clock_virtual, a_timer_tells_when_it_is_due_while_it_runs)
{
	struct sb_clock *c = vclock();
	struct named a;
	named_timer(c, &a, 'a', log_only);
	uint64_t due = 0;
	cr_assert(!sb_clock_virtual_timer_due(a.t, &due), "not started");
	sb_clock_timer_start(a.t, 700, 1000);
	cr_assert(sb_clock_virtual_timer_due(a.t, &due));
	cr_assert_eq(due, 700);
	cr_assert_eq(sb_clock_virtual_run_until(c, 700), 1);
	cr_assert(sb_clock_virtual_timer_due(a.t, &due));
	cr_assert_eq(due, 1700, "a repeating timer is due a period after it fired");
	sb_clock_timer_stop(a.t);
	cr_assert(!sb_clock_virtual_timer_due(a.t, &due), "stopped");
	cr_assert(!sb_clock_virtual_timer_due(NULL, &due));
	sb_clock_timer_free(a.t);
	sb_clock_free(c);
}

Test(clock_virtual, a_timer_freed_from_its_own_callback_is_safe)
{
	struct sb_clock *c = vclock();
	struct named once, rep, after;
	named_timer(c, &once, 'o', free_self);
	named_timer(c, &rep, 'r', free_self);
	named_timer(c, &after, 'x', log_only);
	sb_clock_timer_start(once.t, 10, 0);
	sb_clock_timer_start(rep.t, 10, 10);
	sb_clock_timer_start(after.t, 15, 0);
	cr_assert_eq(sb_clock_virtual_run_until(c, 100), 3);
	cr_assert_eq(memcmp(fired.name, "orx", 3), 0, "fired %.3s", fired.name);
	cr_assert_null(once.t);
	cr_assert_null(rep.t, "the repeating timer ran once and is gone");
	uint64_t due = 0;
	cr_assert(!sb_clock_virtual_next(c, &due));
	sb_clock_timer_free(after.t);
	sb_clock_timer_free(NULL);
	sb_clock_free(c);
	sb_clock_free(NULL);
}

static void try_to_move_time(struct sb_clock_timer *t, void *user)
{
	struct named *n = user;
	record(t, n->name);
	cr_assert(!sb_clock_virtual_step(t->clock), "a callback cannot step the clock");
	cr_assert_eq(sb_clock_virtual_run_until(t->clock, 1000), 0, "nor run it");
	cr_assert_eq(sb_clock_now_mono_ms(t->clock), 10);
}

Test(clock_virtual, a_callback_cannot_move_time)
{
	struct sb_clock *c = vclock();
	struct named a, b;
	named_timer(c, &a, 'a', try_to_move_time);
	named_timer(c, &b, 'b', log_only);
	sb_clock_timer_start(a.t, 10, 0);
	sb_clock_timer_start(b.t, 20, 0);
	cr_assert(sb_clock_virtual_step(c));
	cr_assert_eq(fired.n, 1, "b did not fire inside a's callback");
	cr_assert(sb_clock_virtual_step(c));
	cr_assert_eq(memcmp(fired.name, "ab", 2), 0);
	sb_clock_timer_free(a.t);
	sb_clock_timer_free(b.t);
	sb_clock_free(c);
}

/* The heap against a naive reference: random starts, restarts and stops of many timers, then every firing
 * must come in (due, start order) order, and exactly the running timers fire. */
#define RAND_TIMERS 300

static struct {
	uint64_t due[RAND_TIMERS]; /* when each is due */
	uint64_t seq[RAND_TIMERS]; /* its start number */
	bool running[RAND_TIMERS]; /* started and not stopped */
	size_t order[RAND_TIMERS]; /* what fired, in order */
	size_t n;                  /* fired so far */
} ref;

static void ref_fired(struct sb_clock_timer *t, void *user)
{
	(void)t;
	ref.order[ref.n++] = (size_t)(uintptr_t)user;
}

Test(clock_virtual, heap_order_matches_a_naive_reference_on_random_timers)
{
	struct sb_clock *c = vclock();
	struct sb_clock_timer *ts[RAND_TIMERS];
	srand(20261207);
	memset(&ref, 0, sizeof ref);
	uint64_t seq = 0;
	for (size_t i = 0; i < RAND_TIMERS; i++)
		ts[i] = sb_clock_timer_new(c, ref_fired, (void *)(uintptr_t)i);
	for (int k = 0; k < 3 * RAND_TIMERS; k++) {
		size_t i = (size_t)rand() % RAND_TIMERS;
		if (rand() % 4 == 0) {
			sb_clock_timer_stop(ts[i]);
			ref.running[i] = false;
		} else {
			uint64_t d = (uint64_t)(rand() % 40);
			sb_clock_timer_start(ts[i], d, 0);
			ref.due[i] = d;
			ref.seq[i] = ++seq;
			ref.running[i] = true;
		}
	}
	size_t want = 0;
	for (size_t i = 0; i < RAND_TIMERS; i++)
		want += ref.running[i];
	cr_assert_eq(sb_clock_virtual_run_until(c, 1000), want);
	cr_assert_eq(ref.n, want);
	for (size_t k = 0; k < ref.n; k++) {
		size_t i = ref.order[k];
		cr_assert(ref.running[i], "timer %zu fired once, and only if running", i);
		ref.running[i] = false;
		if (k == 0)
			continue;
		size_t p = ref.order[k - 1];
		cr_assert(ref.due[p] < ref.due[i] || (ref.due[p] == ref.due[i] && ref.seq[p] < ref.seq[i]),
		          "timer %zu (due %llu, #%llu) fired after %zu (due %llu, #%llu)", i,
		          (unsigned long long)ref.due[i], (unsigned long long)ref.seq[i], p,
		          (unsigned long long)ref.due[p], (unsigned long long)ref.seq[p]);
	}
	for (size_t i = 0; i < RAND_TIMERS; i++)
		sb_clock_timer_free(ts[i]);
	sb_clock_free(c);
}

/* ---- the event loop's clock --------------------------------------------------------------------------- */

Test(clock_uv, timers_fire_on_the_loop_and_free_themselves)
{
	memset(&fired, 0, sizeof fired);
	/* Before the loop caches its time, so the timers' due times cannot be earlier than t0 + delay. */
	uint64_t t0 = sb_clock_mono_ms();
	uv_loop_t loop;
	cr_assert_eq(uv_loop_init(&loop), 0);
	struct sb_clock *c = NULL;
	cr_assert_eq(sb_clock_uv_new(NULL, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_clock_uv_new(&loop, &c), SB_OK);
	cr_assert_str_eq(sb_clock_name(c), "libuv");
	int64_t wall = sb_clock_wall_ms();
	cr_assert_geq(sb_clock_now_wall_ms(c), wall);
	cr_assert_lt(sb_clock_now_wall_ms(c) - wall, 1000);
	struct named s, f;
	named_timer(c, &s, 's', stop_after);
	named_timer(c, &f, 'f', free_self);
	s.left = 3;
	sb_clock_timer_start(s.t, 5, 5);
	sb_clock_timer_start(f.t, 30, 0);
	uv_run(&loop, UV_RUN_DEFAULT);
	/* A loaded machine may run the loop late, and libuv re-arms a repeating timer from the loop's time:
	 * the order of s's later firings against f's is then not fixed, their counts are. */
	cr_assert_eq(fired.n, 4);
	int ns = 0, nf = 0;
	uint64_t f_at = 0;
	for (int i = 0; i < 4; i++) {
		ns += fired.name[i] == 's';
		nf += fired.name[i] == 'f';
		if (fired.name[i] == 'f')
			f_at = fired.at[i];
	}
	cr_assert_eq(ns, 3, "s stopped itself after 3 firings (fired %.4s)", fired.name);
	cr_assert_eq(nf, 1, "f fired once (fired %.4s)", fired.name);
	cr_assert_eq(fired.name[0], 's', "s is due first");
	cr_assert_geq(f_at - t0, 30, "f waited its 30 ms");
	cr_assert_null(f.t);
	sb_clock_timer_free(s.t);
	uv_run(&loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&loop), 0, "every handle was closed");
	sb_clock_free(c);
}

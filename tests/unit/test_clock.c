/*
 * Tests for clock.c: RFC 3339 formatting and parsing against known instants and against a naive calendar
 * walk on random instants, and the basic promises of the two clocks.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

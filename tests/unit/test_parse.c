/*
 * Tests for parse.c: the checked integer parser's range, sign, overflow and junk handling.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "common/parse.h"

static bool parse(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return sb_parse_i64(s, strlen(s), min, max, out);
}

Test(parse, whole_numbers_inside_the_range_parse)
{
	int64_t v = 7;
	cr_assert(parse("0", 0, 10, &v));
	cr_assert_eq(v, 0);
	cr_assert(parse("0042", 0, 100, &v));
	cr_assert_eq(v, 42);
	cr_assert(parse("-17", -20, 0, &v));
	cr_assert_eq(v, -17);
	cr_assert(parse("9223372036854775807", 0, INT64_MAX, &v));
	cr_assert_eq(v, INT64_MAX);
	cr_assert(parse("-9223372036854775808", INT64_MIN, 0, &v));
	cr_assert_eq(v, INT64_MIN);
	cr_assert(sb_parse_i64("123abc", 3, 0, 1000, &v), "only n bytes are read");
	cr_assert_eq(v, 123);
	cr_assert(sb_parse_i64_str("65535", 1, 65535, &v));
	cr_assert_eq(v, 65535);
}

Test(parse, junk_signs_overflow_and_the_range_are_refused_and_leave_out_alone)
{
	static const char *bad[] = {"",
	                            "-",
	                            "+1",
	                            " 1",
	                            "1 ",
	                            "1s",
	                            "0x10",
	                            "1.5",
	                            "--1",
	                            "9223372036854775808",
	                            "-9223372036854775809",
	                            "99999999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		int64_t v = 7;
		cr_assert_not(parse(bad[i], INT64_MIN, INT64_MAX, &v), "\"%s\" parsed", bad[i]);
		cr_assert_eq(v, 7, "\"%s\" wrote out", bad[i]);
	}
	int64_t v = 7;
	cr_assert_not(parse("-1", 0, 10, &v), "a sign where min >= 0");
	cr_assert_not(parse("11", 0, 10, &v));
	cr_assert_not(parse("0", 1, 10, &v));
	cr_assert_not(sb_parse_i64_str(NULL, 0, 1, &v));
	cr_assert_not(sb_parse_i64(NULL, 0, 0, 1, &v));
	cr_assert_eq(v, 7);
}

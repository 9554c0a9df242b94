/*
 * Tests for the fixed-point money type (src/common/decimal.c).
 *
 * Two halves: hand-picked edge cases (every rejection, the range ends and one past them, ties in every
 * rounding mode, overflow that appears only in the final result), then property tests that compare
 * random operations against bc(1), an arbitrary-precision calculator that shares no code with ours.
 * Each property test writes thousands of expressions to one file and runs a single bc process on it.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spotbot/decimal.h"

#define U(units) SB_DEC_C(units, 0)

static const enum sb_round all_modes[] = {SB_ROUND_DOWN, SB_ROUND_UP, SB_ROUND_HALF_EVEN};
static const char *const mode_names[] = {"DOWN", "UP", "HALF_EVEN"};

/* ---------------------------------------------------------------------------------------------------- */
/* Parsing                                                                                              */
/* ---------------------------------------------------------------------------------------------------- */

struct parse_ok_case {
	const char *s; /* input */
	sb_dec want;   /* expected raw value */
};

Test(decimal, parse_accepts_binance_strings_exactly)
{
	static const struct parse_ok_case cases[] = {
	    {"0", 0},
	    {"-0", 0},
	    {"+0", 0},
	    {"-0.00000000", 0},
	    {"+1", SB_DEC_ONE},
	    {"1", SB_DEC_ONE},
	    {"42", U(42)},
	    {"-42", -U(42)},
	    {"0.00100000", 100000},
	    {"0.001", 100000},
	    {"25.3519", SB_DEC_C(25, 35190000)},
	    {"-0.5", -50000000},
	    {"0.00000001", 1},
	    {"-0.00000001", -1},
	    {"0.12345678", 12345678},
	    {"0.123456780", 12345678},
	    {"1.10000000", 110000000},
	    {"12345678901", U(12345678901)},
	    {"92233720368.54775807", SB_DEC_MAX},
	    {"+92233720368.54775807", SB_DEC_MAX},
	    {"-92233720368.54775807", SB_DEC_MIN},
	    {"92233720368.547758070000000000000000000000", SB_DEC_MAX},
	    {"000000000000000000000000000000000092233720368.54775807", SB_DEC_MAX},
	    {"00000000000000000000000000000001.5", 150000000},
	    {"1.000000000000000000000000000000", SB_DEC_ONE},
	    {"000.00000000000000000000", 0},
	    {"-000.0", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sb_dec v = 12345;
		sb_err err = sb_dec_parse(cases[i].s, strlen(cases[i].s), &v);
		cr_assert_eq(err, SB_OK, "\"%s\": %s", cases[i].s, sb_errname(err));
		cr_assert_eq(v, cases[i].want, "\"%s\": got %" PRId64 ", want %" PRId64, cases[i].s, v,
		             cases[i].want);
	}
	/* 99999999999.99999999 has 11 integer digits but is past SB_DEC_MAX. */
	sb_dec v;
	cr_assert_eq(sb_dec_parse_cstr("99999999999.99999999", &v), SB_ERR_OVERFLOW);
}

struct parse_err_case {
	const char *s; /* input */
	sb_err want;   /* expected error */
};

Test(decimal, parse_rejects_each_malformed_or_unrepresentable_input_with_its_error)
{
	static const struct parse_err_case cases[] = {
	    {"", SB_ERR_PARSE},
	    {"-", SB_ERR_PARSE},
	    {"+", SB_ERR_PARSE},
	    {"1e-8", SB_ERR_PARSE},
	    {"1E8", SB_ERR_PARSE},
	    {"1e8", SB_ERR_PARSE},
	    {" 1", SB_ERR_PARSE},
	    {"1 ", SB_ERR_PARSE},
	    {"1 000", SB_ERR_PARSE},
	    {"\t1", SB_ERR_PARSE},
	    {"1\n", SB_ERR_PARSE},
	    {"0x10", SB_ERR_PARSE},
	    {"0X1A", SB_ERR_PARSE},
	    {"inf", SB_ERR_PARSE},
	    {"-inf", SB_ERR_PARSE},
	    {"Infinity", SB_ERR_PARSE},
	    {"nan", SB_ERR_PARSE},
	    {"NaN", SB_ERR_PARSE},
	    {".5", SB_ERR_PARSE},
	    {"-.5", SB_ERR_PARSE},
	    {"1.", SB_ERR_PARSE},
	    {"-1.", SB_ERR_PARSE},
	    {".", SB_ERR_PARSE},
	    {"--1", SB_ERR_PARSE},
	    {"+-1", SB_ERR_PARSE},
	    {"-+1", SB_ERR_PARSE},
	    {"++1", SB_ERR_PARSE},
	    {"1-", SB_ERR_PARSE},
	    {"1.2.3", SB_ERR_PARSE},
	    {"1..2", SB_ERR_PARSE},
	    {"1,5", SB_ERR_PARSE},
	    {"\"1\"", SB_ERR_PARSE},
	    {"a", SB_ERR_PARSE},
	    {"1a", SB_ERR_PARSE},
	    {"0.123456789", SB_ERR_PRECISION},
	    {"0.000000001", SB_ERR_PRECISION},
	    {"-0.000000005", SB_ERR_PRECISION},
	    {"1.000000000000000000001", SB_ERR_PRECISION},
	    {"25.351900001", SB_ERR_PRECISION},
	    {"92233720368.54775808", SB_ERR_OVERFLOW},
	    {"-92233720368.54775808", SB_ERR_OVERFLOW},         /* INT64_MIN: outside the symmetric range */
	    {"92233720368.54775807000000001", SB_ERR_OVERFLOW}, /* exact value is past MAX */
	    {"92233720368.547758069", SB_ERR_PRECISION},
	    {"-92233720368.547758069", SB_ERR_PRECISION},
	    {"92233720369", SB_ERR_OVERFLOW},
	    {"-92233720369", SB_ERR_OVERFLOW},
	    {"100000000000", SB_ERR_OVERFLOW},
	    {"184467440737.09551616", SB_ERR_OVERFLOW}, /* 2^64 scaled: wraps a careless uint64 */
	    {"99999999999999999999999999999999999999", SB_ERR_OVERFLOW},
	    /* Precedence: syntax first, then range, then precision. */
	    {"1e999999999999999999999", SB_ERR_PARSE},
	    {"1.123456789x", SB_ERR_PARSE},
	    {"99999999999999.123456789", SB_ERR_OVERFLOW},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sb_dec v = 777;
		sb_err err = sb_dec_parse(cases[i].s, strlen(cases[i].s), &v);
		cr_assert_eq(err, cases[i].want, "\"%s\": got %s, want %s", cases[i].s, sb_errname(err),
		             sb_errname(cases[i].want));
		cr_assert_eq(v, 777, "\"%s\": *out was written on error", cases[i].s);
	}
}

Test(decimal, parse_eight_fractional_digits_pass_and_a_ninth_nonzero_fails)
{
	sb_dec v;
	cr_assert_eq(sb_dec_parse_cstr("1.23456789", &v), SB_OK);
	cr_assert_eq(v, 123456789);
	cr_assert_eq(sb_dec_parse_cstr("1.234567891", &v), SB_ERR_PRECISION);
	cr_assert_eq(sb_dec_parse_cstr("1.234567890", &v), SB_OK);
	cr_assert_eq(v, 123456789);
	cr_assert_eq(sb_dec_parse_cstr("1.2345678900000000000000000000000000000000000009", &v),
	             SB_ERR_PRECISION);
}

Test(decimal, parse_reads_exactly_len_bytes)
{
	sb_dec v = 0;
	cr_assert_eq(sb_dec_parse("1.5xyz", 3, &v), SB_OK);
	cr_assert_eq(v, 150000000);
	cr_assert_eq(sb_dec_parse("12345", 2, &v), SB_OK);
	cr_assert_eq(v, U(12));
	cr_assert_eq(sb_dec_parse("1\0", 2, &v), SB_ERR_PARSE);
	cr_assert_eq(sb_dec_parse("1.", 1, &v), SB_OK);
	cr_assert_eq(v, U(1));
	cr_assert_eq(sb_dec_parse("7", 0, &v), SB_ERR_PARSE);
}

Test(decimal, parse_survives_very_long_digit_strings)
{
	enum { N = 100000 };
	char *s = malloc(N + 8);
	cr_assert_not_null(s);
	sb_dec v = 0;

	memset(s, '9', N);
	cr_assert_eq(sb_dec_parse(s, N, &v), SB_ERR_OVERFLOW);

	memset(s, '0', N);
	s[N] = '1';
	cr_assert_eq(sb_dec_parse(s, N + 1, &v), SB_OK);
	cr_assert_eq(v, SB_DEC_ONE);

	s[0] = '0';
	s[1] = '.';
	memset(s + 2, '0', N);
	cr_assert_eq(sb_dec_parse(s, N + 2, &v), SB_OK);
	cr_assert_eq(v, 0);
	s[N + 2] = '1';
	cr_assert_eq(sb_dec_parse(s, N + 3, &v), SB_ERR_PRECISION);

	/* 10^k for k around the int64 and uint64 limits of a naive accumulator. */
	for (size_t k = 1; k < 60; k++) {
		s[0] = '1';
		memset(s + 1, '0', k);
		sb_err err = sb_dec_parse(s, k + 1, &v);
		cr_assert_eq(err, k <= 10 ? SB_OK : SB_ERR_OVERFLOW, "10^%zu: %s", k, sb_errname(err));
	}
	free(s);
}

Test(decimal, parse_nonneg_rejects_negatives_but_not_negative_zero)
{
	sb_dec v = 5;
	cr_assert_eq(sb_dec_parse_nonneg("-1", 2, &v), SB_ERR_RANGE);
	cr_assert_eq(sb_dec_parse_nonneg("-0.00000001", 11, &v), SB_ERR_RANGE);
	cr_assert_eq(v, 5);
	cr_assert_eq(sb_dec_parse_nonneg("-0", 2, &v), SB_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(sb_dec_parse_nonneg("-0.000", 6, &v), SB_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(sb_dec_parse_nonneg("0.001", 5, &v), SB_OK);
	cr_assert_eq(v, 100000);
	cr_assert_eq(sb_dec_parse_nonneg("-1.123456789", 12, &v), SB_ERR_PRECISION);
	cr_assert_eq(sb_dec_parse_nonneg("abc", 3, &v), SB_ERR_PARSE);
	cr_assert_eq(sb_dec_parse_nonneg("92233720368.54775807", 20, &v), SB_OK);
	cr_assert_eq(v, SB_DEC_MAX);
}

Test(decimal, parse_null_arguments_are_invalid)
{
	sb_dec v;
	cr_assert_eq(sb_dec_parse("1", 1, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_parse(NULL, 3, &v), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_parse_cstr(NULL, &v), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_parse_cstr("1", NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_parse_nonneg("1", 1, NULL), SB_ERR_INVALID);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Formatting                                                                                           */
/* ---------------------------------------------------------------------------------------------------- */

struct format_case {
	sb_dec v;          /* value */
	const char *fixed; /* sb_dec_format */
	const char *trim;  /* sb_dec_format_trim */
};

Test(decimal, format_fixed_and_trimmed)
{
	static const struct format_case cases[] = {
	    {0, "0.00000000", "0"},
	    {1, "0.00000001", "0.00000001"},
	    {-1, "-0.00000001", "-0.00000001"},
	    {SB_DEC_ONE, "1.00000000", "1"},
	    {-SB_DEC_ONE, "-1.00000000", "-1"},
	    {-50000000, "-0.50000000", "-0.5"},
	    {100000, "0.00100000", "0.001"},
	    {SB_DEC_C(25, 35190000), "25.35190000", "25.3519"},
	    {U(42), "42.00000000", "42"},
	    {U(10000000000), "10000000000.00000000", "10000000000"},
	    {110000000, "1.10000000", "1.1"},
	    {101000000, "1.01000000", "1.01"},
	    {12345678, "0.12345678", "0.12345678"},
	    {SB_DEC_MAX, "92233720368.54775807", "92233720368.54775807"},
	    {SB_DEC_MIN, "-92233720368.54775807", "-92233720368.54775807"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[SB_DEC_STRLEN];
		size_t n = sb_dec_format(cases[i].v, buf, sizeof buf);
		cr_assert_str_eq(buf, cases[i].fixed);
		cr_assert_eq(n, strlen(cases[i].fixed));
		n = sb_dec_format_trim(cases[i].v, buf, sizeof buf);
		cr_assert_str_eq(buf, cases[i].trim);
		cr_assert_eq(n, strlen(cases[i].trim));
	}
}

Test(decimal, format_reports_a_short_buffer_with_zero_and_an_empty_string)
{
	char buf[SB_DEC_STRLEN];
	cr_assert_eq(sb_dec_format(SB_DEC_MIN, buf, 21), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_dec_format(SB_DEC_MIN, buf, 22), 21);
	cr_assert_eq(sb_dec_format(0, buf, 10), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_dec_format(0, buf, 11), 10);
	cr_assert_eq(sb_dec_format_trim(0, buf, 1), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_dec_format_trim(0, buf, 2), 1);
	cr_assert_str_eq(buf, "0");
	buf[0] = 'x';
	cr_assert_eq(sb_dec_format(1, buf, 0), 0);
	cr_assert_eq(buf[0], 'x', "cap 0 must not write");
	cr_assert_eq(sb_dec_format(1, NULL, 0), 0);
	cr_assert_eq(sb_dec_format_trim(1, NULL, 0), 0);
	cr_assert_eq(sb_dec_format_places(1, 2, SB_ROUND_DOWN, NULL, 0), 0);
	cr_assert_eq(sb_dec_format_places(U(123), 2, SB_ROUND_DOWN, buf, 6), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_dec_format_places(U(123), 2, SB_ROUND_DOWN, buf, 7), 6);
	cr_assert_str_eq(buf, "123.00");
}

struct places_case {
	sb_dec v;           /* value */
	unsigned places;    /* fractional digits */
	enum sb_round mode; /* rounding */
	const char *want;   /* expected text */
};

Test(decimal, format_places_rounds_in_each_mode)
{
	static const struct places_case cases[] = {
	    /* 1.005 and 1.015 are exact ties at 2 places. */
	    {SB_DEC_C(1, 500000), 2, SB_ROUND_DOWN, "1.00"},
	    {SB_DEC_C(1, 500000), 2, SB_ROUND_UP, "1.01"},
	    {SB_DEC_C(1, 500000), 2, SB_ROUND_HALF_EVEN, "1.00"},
	    {SB_DEC_C(1, 1500000), 2, SB_ROUND_HALF_EVEN, "1.02"},
	    {SB_DEC_C(1, 500001), 2, SB_ROUND_HALF_EVEN, "1.01"},
	    {SB_DEC_C(1, 499999), 2, SB_ROUND_HALF_EVEN, "1.00"},
	    {-SB_DEC_C(1, 500000), 2, SB_ROUND_DOWN, "-1.01"},
	    {-SB_DEC_C(1, 500000), 2, SB_ROUND_UP, "-1.00"},
	    {-SB_DEC_C(1, 500000), 2, SB_ROUND_HALF_EVEN, "-1.00"},
	    {-SB_DEC_C(1, 1500000), 2, SB_ROUND_HALF_EVEN, "-1.02"},
	    {50000000, 0, SB_ROUND_HALF_EVEN, "0"},
	    {150000000, 0, SB_ROUND_HALF_EVEN, "2"},
	    {250000000, 0, SB_ROUND_HALF_EVEN, "2"},
	    {350000000, 0, SB_ROUND_HALF_EVEN, "4"},
	    {-50000000, 0, SB_ROUND_HALF_EVEN, "0"}, /* never "-0" */
	    {-150000000, 0, SB_ROUND_HALF_EVEN, "-2"},
	    {-250000000, 0, SB_ROUND_HALF_EVEN, "-2"},
	    {-100000, 2, SB_ROUND_DOWN, "-0.01"},
	    {-100000, 2, SB_ROUND_UP, "0.00"},
	    {-100000, 2, SB_ROUND_HALF_EVEN, "0.00"},
	    {123456789, 4, SB_ROUND_HALF_EVEN, "1.2346"},
	    {123456789, 4, SB_ROUND_DOWN, "1.2345"},
	    {123456789, 8, SB_ROUND_UP, "1.23456789"},
	    {123456789, 7, SB_ROUND_UP, "1.2345679"},
	    {123456789, 7, SB_ROUND_HALF_EVEN, "1.2345679"}, /* ...89 is not a tie */
	    {123456785, 7, SB_ROUND_HALF_EVEN, "1.2345678"},
	    {SB_DEC_MAX, 0, SB_ROUND_UP, "92233720369"}, /* past the range, still printable */
	    {SB_DEC_MIN, 0, SB_ROUND_DOWN, "-92233720369"},
	    {SB_DEC_MAX, 2, SB_ROUND_HALF_EVEN, "92233720368.55"},
	    {SB_DEC_MAX, 8, SB_ROUND_DOWN, "92233720368.54775807"},
	    {0, 3, SB_ROUND_UP, "0.000"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[SB_DEC_STRLEN];
		size_t n = sb_dec_format_places(cases[i].v, cases[i].places, cases[i].mode, buf, sizeof buf);
		cr_assert_str_eq(buf, cases[i].want, "case %zu: %" PRId64 " at %u places %s", i, cases[i].v,
		                 cases[i].places, mode_names[cases[i].mode]);
		cr_assert_eq(n, strlen(cases[i].want));
	}
}

Test(decimal, format_places_rejects_more_than_eight_places_and_bad_modes)
{
	char buf[SB_DEC_STRLEN] = "junk";
	cr_assert_eq(sb_dec_format_places(1, 9, SB_ROUND_DOWN, buf, sizeof buf), 0);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(sb_dec_format_places(1, 2, (enum sb_round)3, buf, sizeof buf), 0);
}

static void assert_round_trip(sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	sb_dec back = v ^ 1;
	size_t n = sb_dec_format(v, buf, sizeof buf);
	cr_assert_gt(n, 0);
	cr_assert_eq(sb_dec_parse(buf, n, &back), SB_OK, "\"%s\"", buf);
	cr_assert_eq(back, v, "\"%s\"", buf);
	n = sb_dec_format_trim(v, buf, sizeof buf);
	cr_assert_gt(n, 0);
	back = v ^ 1;
	cr_assert_eq(sb_dec_parse(buf, n, &back), SB_OK, "\"%s\"", buf);
	cr_assert_eq(back, v, "\"%s\"", buf);
	n = sb_dec_format_places(v, 8, SB_ROUND_UP, buf, sizeof buf);
	back = v ^ 1;
	cr_assert_eq(sb_dec_parse(buf, n, &back), SB_OK, "\"%s\"", buf);
	cr_assert_eq(back, v, "\"%s\"", buf);
}

Test(decimal, format_then_parse_round_trips_at_the_edges)
{
	for (sb_dec v = -20000; v <= 20000; v++)
		assert_round_trip(v);
	for (sb_dec k = 0; k < 20000; k++) {
		assert_round_trip(SB_DEC_MAX - k);
		assert_round_trip(SB_DEC_MIN + k);
	}
	for (sb_dec p = 1; p <= SB_DEC_MAX / 10; p *= 10) {
		for (sb_dec d = -2; d <= 2; d++) {
			assert_round_trip(p + d);
			assert_round_trip(-p + d);
		}
	}
}

/* ---------------------------------------------------------------------------------------------------- */
/* Arithmetic                                                                                           */
/* ---------------------------------------------------------------------------------------------------- */

Test(decimal, from_int_covers_the_range_and_rejects_one_past_it)
{
	sb_dec v = 9;
	cr_assert_eq(sb_dec_from_int(0, &v), SB_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(sb_dec_from_int(-7, &v), SB_OK);
	cr_assert_eq(v, -U(7));
	cr_assert_eq(sb_dec_from_int(92233720368, &v), SB_OK);
	cr_assert_eq(v, U(92233720368));
	cr_assert_eq(sb_dec_from_int(-92233720368, &v), SB_OK);
	cr_assert_eq(v, -U(92233720368));
	v = 9;
	cr_assert_eq(sb_dec_from_int(92233720369, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_from_int(-92233720369, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_from_int(INT64_MAX, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_from_int(INT64_MIN, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(v, 9);
	cr_assert_eq(sb_dec_from_int(1, NULL), SB_ERR_INVALID);
}

Test(decimal, add_and_sub_are_exact_and_stop_at_the_symmetric_range)
{
	sb_dec v = 3;
	cr_assert_eq(sb_dec_add(SB_DEC_C(0, 10000000), SB_DEC_C(0, 20000000), &v), SB_OK);
	cr_assert_eq(v, SB_DEC_C(0, 30000000));
	cr_assert_eq(sb_dec_add(SB_DEC_MAX, 0, &v), SB_OK);
	cr_assert_eq(v, SB_DEC_MAX);
	cr_assert_eq(sb_dec_add(SB_DEC_MAX, SB_DEC_MIN, &v), SB_OK);
	cr_assert_eq(v, 0);
	cr_assert_eq(sb_dec_add(SB_DEC_MIN, 0, &v), SB_OK);
	cr_assert_eq(v, SB_DEC_MIN);
	cr_assert_eq(sb_dec_sub(0, SB_DEC_MAX, &v), SB_OK);
	cr_assert_eq(v, SB_DEC_MIN);
	cr_assert_eq(sb_dec_sub(0, SB_DEC_MIN, &v), SB_OK);
	cr_assert_eq(v, SB_DEC_MAX);
	v = 3;
	cr_assert_eq(sb_dec_add(SB_DEC_MAX, 1, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_add(SB_DEC_MIN, -1, &v), SB_ERR_OVERFLOW); /* would be INT64_MIN */
	cr_assert_eq(sb_dec_add(SB_DEC_MAX, SB_DEC_MAX, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_add(SB_DEC_MIN, SB_DEC_MIN, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_sub(SB_DEC_MIN, 1, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_sub(-1, SB_DEC_MAX, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_sub(SB_DEC_MAX, -1, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(sb_dec_sub(SB_DEC_MAX, SB_DEC_MIN, &v), SB_ERR_OVERFLOW);
	cr_assert_eq(v, 3, "*out written on overflow");
	cr_assert_eq(sb_dec_add(1, 1, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_sub(1, 1, NULL), SB_ERR_INVALID);
}

struct op_case {
	sb_dec a, b, c; /* operands (c only for muldiv) */
	sb_err err[3];  /* expected error per mode: DOWN, UP, HALF_EVEN */
	sb_dec want[3]; /* expected value per mode when err is SB_OK */
};

#define OK3                                                                                                  \
	{                                                                                                    \
		SB_OK, SB_OK, SB_OK                                                                          \
	}
#define OVF3                                                                                                 \
	{                                                                                                    \
		SB_ERR_OVERFLOW, SB_ERR_OVERFLOW, SB_ERR_OVERFLOW                                            \
	}

enum op_kind { OP_MUL, OP_DIV, OP_MULDIV };

static sb_err run_op(enum op_kind op, sb_dec a, sb_dec b, sb_dec c, enum sb_round mode, sb_dec *out)
{
	switch (op) {
	case OP_MUL:
		return sb_dec_mul(a, b, mode, out);
	case OP_DIV:
		return sb_dec_div(a, b, mode, out);
	case OP_MULDIV:
	default:
		return sb_dec_muldiv(a, b, c, mode, out);
	}
}

static void check_op_cases(enum op_kind op, const struct op_case *cases, size_t n)
{
	static const char *const names[] = {"mul", "div", "muldiv"};
	for (size_t i = 0; i < n; i++) {
		for (int m = 0; m < 3; m++) {
			sb_dec v = 424242;
			sb_err err = run_op(op, cases[i].a, cases[i].b, cases[i].c, all_modes[m], &v);
			cr_assert_eq(err, cases[i].err[m], "%s case %zu %s: got %s", names[op], i,
			             mode_names[m], sb_errname(err));
			if (err == SB_OK)
				cr_assert_eq(v, cases[i].want[m],
				             "%s case %zu %s: got %" PRId64 " want %" PRId64, names[op], i,
				             mode_names[m], v, cases[i].want[m]);
			else
				cr_assert_eq(v, 424242, "%s case %zu: *out written on error", names[op], i);
		}
	}
}

Test(decimal, mul_rounds_exact_ties_in_each_mode)
{
	static const struct op_case cases[] = {
	    /* 0.00000001 * 0.5 = 0.000000005: a tie between 0 and 1. */
	    {1, 50000000, 0, OK3, {0, 1, 0}},
	    {3, 50000000, 0, OK3, {1, 2, 2}},
	    {5, 50000000, 0, OK3, {2, 3, 2}},
	    {-1, 50000000, 0, OK3, {-1, 0, 0}},
	    {-3, 50000000, 0, OK3, {-2, -1, -2}},
	    {3, -50000000, 0, OK3, {-2, -1, -2}},
	    {-3, -50000000, 0, OK3, {1, 2, 2}},
	    /* Near ties. */
	    {1, 60000000, 0, OK3, {0, 1, 1}},
	    {1, 40000000, 0, OK3, {0, 1, 0}},
	    {-1, 60000000, 0, OK3, {-1, 0, -1}},
	    /* Exact products. */
	    {SB_DEC_C(25, 35190000), 100000, 0, OK3, {2535190, 2535190, 2535190}},
	    {U(2), U(3), 0, OK3, {U(6), U(6), U(6)}},
	    {0, SB_DEC_MAX, 0, OK3, {0, 0, 0}},
	};
	check_op_cases(OP_MUL, cases, sizeof cases / sizeof cases[0]);
}

Test(decimal, mul_overflow_is_judged_on_the_final_rounded_result)
{
	static const struct op_case cases[] = {
	    {SB_DEC_MAX, SB_DEC_ONE, 0, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {SB_DEC_MAX, -SB_DEC_ONE, 0, OK3, {SB_DEC_MIN, SB_DEC_MIN, SB_DEC_MIN}},
	    {SB_DEC_MIN, -SB_DEC_ONE, 0, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    /* The raw product is ~2^125 but the result (MAX / 2 = ...903.5) fits. */
	    {SB_DEC_MAX, 50000000, 0, OK3, {4611686018427387903, 4611686018427387904, 4611686018427387904}},
	    {SB_DEC_MIN,
	     50000000,
	     0,
	     OK3,
	     {-4611686018427387904, -4611686018427387903, -4611686018427387904}},
	    {SB_DEC_MAX, SB_DEC_MAX, 0, OVF3, {0}},
	    {SB_DEC_MAX, SB_DEC_MIN, 0, OVF3, {0}},
	    {SB_DEC_MAX, SB_DEC_ONE + 1, 0, OVF3, {0}},
	    {SB_DEC_MIN, SB_DEC_ONE + 1, 0, OVF3, {0}},
	    {U(1000000), U(1000000), 0, OVF3, {0}},
	    {U(-1000000), U(1000000), 0, OVF3, {0}},
	    /* Exact product MAX + 0.21056361 ulp: fits when rounded down or to nearest, not up. */
	    {100000001, 9223371944621056361, 0, {SB_OK, SB_ERR_OVERFLOW, SB_OK}, {SB_DEC_MAX, 0, SB_DEC_MAX}},
	    /* MAX + 0.7467752 ulp: only DOWN fits. */
	    {100000002,
	     9223371852387338760,
	     0,
	     {SB_OK, SB_ERR_OVERFLOW, SB_ERR_OVERFLOW},
	     {SB_DEC_MAX, 0, 0}},
	    /* The same on the negative side: only rounding toward zero fits. */
	    {-100000001,
	     9223371944621056361,
	     0,
	     {SB_ERR_OVERFLOW, SB_OK, SB_OK},
	     {0, SB_DEC_MIN, SB_DEC_MIN}},
	    {-100000002,
	     9223371852387338760,
	     0,
	     {SB_ERR_OVERFLOW, SB_OK, SB_ERR_OVERFLOW},
	     {0, SB_DEC_MIN, 0}},
	};
	check_op_cases(OP_MUL, cases, sizeof cases / sizeof cases[0]);
}

Test(decimal, div_rounds_ties_and_repeating_fractions_in_each_mode)
{
	static const struct op_case cases[] = {
	    {U(1), U(3), 0, OK3, {33333333, 33333334, 33333333}},
	    {U(2), U(3), 0, OK3, {66666666, 66666667, 66666667}},
	    {U(-1), U(3), 0, OK3, {-33333334, -33333333, -33333333}},
	    {U(1), U(-3), 0, OK3, {-33333334, -33333333, -33333333}},
	    {U(-2), U(-3), 0, OK3, {66666666, 66666667, 66666667}},
	    /* 0.00000001 / 2 = 0.000000005: a tie. */
	    {1, U(2), 0, OK3, {0, 1, 0}},
	    {3, U(2), 0, OK3, {1, 2, 2}},
	    {-1, U(2), 0, OK3, {-1, 0, 0}},
	    {-3, U(2), 0, OK3, {-2, -1, -2}},
	    {5, U(-2), 0, OK3, {-3, -2, -2}},
	    {U(10), U(4), 0, OK3, {250000000, 250000000, 250000000}},
	    {0, U(7), 0, OK3, {0, 0, 0}},
	    {SB_DEC_ONE, SB_DEC_MAX, 0, OK3, {0, 1, 0}},
	    {-SB_DEC_ONE, SB_DEC_MAX, 0, OK3, {-1, 0, 0}},
	    {SB_DEC_MAX, SB_DEC_MAX, 0, OK3, {SB_DEC_ONE, SB_DEC_ONE, SB_DEC_ONE}},
	};
	check_op_cases(OP_DIV, cases, sizeof cases / sizeof cases[0]);
}

Test(decimal, div_overflow_and_division_by_zero)
{
	static const struct op_case cases[] = {
	    {SB_DEC_MAX, SB_DEC_ONE, 0, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {SB_DEC_MAX, -SB_DEC_ONE, 0, OK3, {SB_DEC_MIN, SB_DEC_MIN, SB_DEC_MIN}},
	    {SB_DEC_MIN, -SB_DEC_ONE, 0, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {SB_DEC_MAX, 50000000, 0, OVF3, {0}},
	    {U(1000000), 100, 0, OVF3, {0}},
	    {U(92233720368), 99999999, 0, OVF3, {0}},
	    {SB_DEC_MIN, 1, 0, OVF3, {0}},
	    {1, 1, 0, OK3, {SB_DEC_ONE, SB_DEC_ONE, SB_DEC_ONE}},
	    {U(0), 0, 0, {SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO}, {0}},
	    {U(5), 0, 0, {SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO}, {0}},
	    {SB_DEC_MIN, 0, 0, {SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO}, {0}},
	};
	check_op_cases(OP_DIV, cases, sizeof cases / sizeof cases[0]);
}

Test(decimal, muldiv_rounds_once)
{
	static const struct op_case cases[] = {
	    /* 0.00000001 * 0.00000001 / 0.00000001: mul then div would give 0. */
	    {1, 1, 1, OK3, {1, 1, 1}},
	    /* The 2^126 intermediate is kept whole. */
	    {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {SB_DEC_MIN, SB_DEC_MIN, SB_DEC_MAX, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {SB_DEC_MIN, SB_DEC_MAX, SB_DEC_MAX, OK3, {SB_DEC_MIN, SB_DEC_MIN, SB_DEC_MIN}},
	    {U(10), U(1), U(3), OK3, {333333333, 333333334, 333333333}},
	    {U(-10), U(1), U(3), OK3, {-333333334, -333333333, -333333333}},
	    /* Ties: raw a*b/c = 0.5, 1.5, -1.5, -2.5. */
	    {1, 1, 2, OK3, {0, 1, 0}},
	    {3, 1, 2, OK3, {1, 2, 2}},
	    {-3, 1, 2, OK3, {-2, -1, -2}},
	    {5, 1, -2, OK3, {-3, -2, -2}},
	    {SB_DEC_MAX, 2, 1, OVF3, {0}},
	    {SB_DEC_MAX, SB_DEC_MAX, 1, OVF3, {0}},
	    {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX - 1, OVF3, {0}},
	    {SB_DEC_MAX, -1, 1, OK3, {SB_DEC_MIN, SB_DEC_MIN, SB_DEC_MIN}},
	    {SB_DEC_MIN, 1, -1, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {U(3), U(4), 0, {SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO, SB_ERR_DIV_ZERO}, {0}},
	};
	check_op_cases(OP_MULDIV, cases, sizeof cases / sizeof cases[0]);
}

Test(decimal, arithmetic_rejects_null_out_and_unknown_modes)
{
	sb_dec v;
	enum sb_round bad = (enum sb_round)3;
	cr_assert_eq(sb_dec_mul(1, 1, SB_ROUND_DOWN, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_div(1, 1, SB_ROUND_DOWN, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_muldiv(1, 1, 1, SB_ROUND_DOWN, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_round_to(1, 1, SB_ROUND_DOWN, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_mul(1, 1, bad, &v), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_div(1, 1, bad, &v), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_muldiv(1, 1, 1, bad, &v), SB_ERR_INVALID);
	cr_assert_eq(sb_dec_round_to(1, 1, bad, &v), SB_ERR_INVALID);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Steps                                                                                                */
/* ---------------------------------------------------------------------------------------------------- */

struct step_case {
	sb_dec v, step; /* value and step */
	sb_err err[3];  /* expected error per mode: DOWN, UP, HALF_EVEN */
	sb_dec want[3]; /* expected value per mode when err is SB_OK */
};

Test(decimal, round_to_ticks_and_steps)
{
	static const sb_dec tick = 1000000; /* 0.01 */
	static const sb_dec step5 = 1000;   /* 0.00001 */
	static const struct step_case cases[] = {
	    {SB_DEC_C(1, 23400000),
	     tick,
	     OK3,
	     {SB_DEC_C(1, 23000000), SB_DEC_C(1, 24000000), SB_DEC_C(1, 23000000)}},
	    {SB_DEC_C(1, 23600000),
	     tick,
	     OK3,
	     {SB_DEC_C(1, 23000000), SB_DEC_C(1, 24000000), SB_DEC_C(1, 24000000)}},
	    /* 1.235 and 1.245 are ties: to the even tick. */
	    {SB_DEC_C(1, 23500000),
	     tick,
	     OK3,
	     {SB_DEC_C(1, 23000000), SB_DEC_C(1, 24000000), SB_DEC_C(1, 24000000)}},
	    {SB_DEC_C(1, 24500000),
	     tick,
	     OK3,
	     {SB_DEC_C(1, 24000000), SB_DEC_C(1, 25000000), SB_DEC_C(1, 24000000)}},
	    {-SB_DEC_C(1, 23500000),
	     tick,
	     OK3,
	     {-SB_DEC_C(1, 24000000), -SB_DEC_C(1, 23000000), -SB_DEC_C(1, 24000000)}},
	    {-SB_DEC_C(1, 24500000),
	     tick,
	     OK3,
	     {-SB_DEC_C(1, 25000000), -SB_DEC_C(1, 24000000), -SB_DEC_C(1, 24000000)}},
	    {SB_DEC_C(1, 23000000),
	     tick,
	     OK3,
	     {SB_DEC_C(1, 23000000), SB_DEC_C(1, 23000000), SB_DEC_C(1, 23000000)}},
	    {12345678, step5, OK3, {12345000, 12346000, 12346000}},
	    {12345500, step5, OK3, {12345000, 12346000, 12346000}},
	    {12344500, step5, OK3, {12344000, 12345000, 12344000}},
	    {1, step5, OK3, {0, step5, 0}},
	    {-1, step5, OK3, {-step5, 0, 0}},
	    {250000000, SB_DEC_ONE, OK3, {U(2), U(3), U(2)}},
	    {350000000, SB_DEC_ONE, OK3, {U(3), U(4), U(4)}},
	    {-250000000, SB_DEC_ONE, OK3, {U(-3), U(-2), U(-2)}},
	    {50000000, SB_DEC_ONE, OK3, {0, U(1), 0}},
	    /* .54775807 is past the half: the nearest whole unit is out of range. */
	    {SB_DEC_MAX, SB_DEC_ONE, {SB_OK, SB_ERR_OVERFLOW, SB_ERR_OVERFLOW}, {U(92233720368), 0, 0}},
	    {SB_DEC_MIN, SB_DEC_ONE, {SB_ERR_OVERFLOW, SB_OK, SB_ERR_OVERFLOW}, {0, U(-92233720368), 0}},
	    {SB_DEC_C(92233720367, 50000000),
	     SB_DEC_ONE,
	     OK3,
	     {U(92233720367), U(92233720368), U(92233720368)}},
	    /* ...368.54775807 to the nearest 0.01 is ...368.55: past MAX. */
	    {SB_DEC_MAX,
	     tick,
	     {SB_OK, SB_ERR_OVERFLOW, SB_ERR_OVERFLOW},
	     {SB_DEC_C(92233720368, 54000000), 0, 0}},
	    {SB_DEC_MAX, SB_DEC_MAX, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	    {1, SB_DEC_MAX, OK3, {0, SB_DEC_MAX, 0}},
	    {-1, SB_DEC_MAX, OK3, {SB_DEC_MIN, 0, 0}},
	    {SB_DEC_MIN, SB_DEC_MAX, OK3, {SB_DEC_MIN, SB_DEC_MIN, SB_DEC_MIN}},
	    {SB_DEC_MAX, 1, OK3, {SB_DEC_MAX, SB_DEC_MAX, SB_DEC_MAX}},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int m = 0; m < 3; m++) {
			sb_dec v = 99;
			sb_err err = sb_dec_round_to(cases[i].v, cases[i].step, all_modes[m], &v);
			cr_assert_eq(err, cases[i].err[m], "case %zu %s: %s", i, mode_names[m],
			             sb_errname(err));
			if (err == SB_OK)
				cr_assert_eq(v, cases[i].want[m],
				             "case %zu %s: got %" PRId64 " want %" PRId64, i, mode_names[m],
				             v, cases[i].want[m]);
			else
				cr_assert_eq(v, 99);
		}
	}
}

Test(decimal, round_to_step_zero_is_identity_and_negative_step_is_invalid)
{
	static const sb_dec values[] = {0, 1, -1, 12345678, SB_DEC_MAX, SB_DEC_MIN};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
		for (int m = 0; m < 3; m++) {
			sb_dec v = 7;
			cr_assert_eq(sb_dec_round_to(values[i], 0, all_modes[m], &v), SB_OK);
			cr_assert_eq(v, values[i]);
			v = 7;
			cr_assert_eq(sb_dec_round_to(values[i], -1000000, all_modes[m], &v), SB_ERR_INVALID);
			cr_assert_eq(v, 7);
		}
	}
}

Test(decimal, is_multiple_of_step)
{
	cr_assert(sb_dec_is_multiple(SB_DEC_C(1, 23000000), 1000000));
	cr_assert_not(sb_dec_is_multiple(SB_DEC_C(1, 23400000), 1000000));
	cr_assert(sb_dec_is_multiple(-SB_DEC_C(1, 23000000), 1000000));
	cr_assert_not(sb_dec_is_multiple(-SB_DEC_C(1, 23400000), 1000000));
	cr_assert(sb_dec_is_multiple(12345000, 1000));
	cr_assert_not(sb_dec_is_multiple(12345001, 1000));
	cr_assert(sb_dec_is_multiple(U(5), SB_DEC_ONE));
	cr_assert_not(sb_dec_is_multiple(SB_DEC_MAX, SB_DEC_ONE));
	cr_assert(sb_dec_is_multiple(SB_DEC_MAX, SB_DEC_MAX));
	cr_assert(sb_dec_is_multiple(SB_DEC_MIN, SB_DEC_MAX));
	cr_assert(sb_dec_is_multiple(0, 1000));
	cr_assert(sb_dec_is_multiple(12345678, 0));
	cr_assert(sb_dec_is_multiple(SB_DEC_MAX, 0));
	cr_assert(sb_dec_is_multiple(SB_DEC_MAX, 1));
	cr_assert_not(sb_dec_is_multiple(5, 10000000));
	/* Out-of-contract inputs must not trap (INT64_MIN % -1). */
	cr_assert(sb_dec_is_multiple(INT64_MIN, -1));
	cr_assert(sb_dec_is_multiple(U(2), -SB_DEC_ONE));
}

/* ---------------------------------------------------------------------------------------------------- */
/* Property tests against bc                                                                            */
/* ---------------------------------------------------------------------------------------------------- */

/* splitmix64: a fixed seed makes every run check the same cases. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed;
}

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += UINT64_C(0x9E3779B97F4A7C15));
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static uint64_t rng_below(uint64_t n)
{
	return rng_next() % n;
}

static int64_t pow10i(unsigned k)
{
	int64_t p = 1;
	while (k--)
		p *= 10;
	return p;
}

/* A random in-range value of random magnitude: the interesting classes are all well represented. */
static sb_dec gen_dec(void)
{
	int64_t mag;
	switch (rng_below(8)) {
	case 0: /* up to 11 decimal digits: prices and quantities */
		mag = (int64_t)rng_below((uint64_t)pow10i(1 + (unsigned)rng_below(11)));
		break;
	case 1: /* anywhere in the range */
		mag = (int64_t)(rng_next() >> 1);
		break;
	case 2: /* random bit length */
		mag = (int64_t)((rng_next() >> 1) >> rng_below(63));
		break;
	case 3: /* near the ends of the range */
		mag = SB_DEC_MAX - (int64_t)rng_below(1000000);
		break;
	case 4: /* few significant decimals: ticks and steps */
		mag = (int64_t)rng_below(100000) * pow10i((unsigned)rng_below(14));
		break;
	case 5: { /* special values */
		static const int64_t special[] = {0,
		                                  1,
		                                  2,
		                                  5,
		                                  50000000,
		                                  SB_DEC_ONE,
		                                  150000000,
		                                  SB_DEC_MAX,
		                                  SB_DEC_MAX - 1,
		                                  SB_DEC_MAX / 2,
		                                  3037000499,
		                                  3037000500};
		mag = special[rng_below(sizeof special / sizeof special[0])];
		break;
	}
	case 6: /* powers of ten and neighbours */
		mag = pow10i((unsigned)rng_below(19)) + (int64_t)rng_below(3) - 1;
		break;
	default: /* small units */
		mag = (int64_t)rng_below(1000) * SB_DEC_ONE + (int64_t)rng_below(3) * 50000000;
		break;
	}
	if (mag < 0)
		mag = 0;
	return rng_below(2) ? -mag : mag;
}

static sb_dec gen_nonzero(void)
{
	sb_dec v;
	do
		v = gen_dec();
	while (v == 0);
	return v;
}

/* Clamps an __int128 candidate into the range, keeping its sign; used to aim operands at the boundary. */
static sb_dec clamp_dec(__int128 x)
{
	if (x > SB_DEC_MAX)
		return SB_DEC_MAX;
	if (x < SB_DEC_MIN)
		return SB_DEC_MIN;
	return (sb_dec)x;
}

static sb_dec jitter(sb_dec v)
{
	return clamp_dec((__int128)v + (__int128)rng_below(7) - 3);
}

/*
 * bc definitions: fl/ce/he divide n by d rounding down, up and half-even; o prints a result or "O" when
 * it leaves the symmetric range. bc's own division truncates toward zero, so fl corrects it.
 */
static const char bc_defs[] =
    "scale=0\n"
    "m=9223372036854775807\n"
    "define fl(n,d) { auto q,r; q=n/d; r=n-q*d; if (r*d<0) q=q-1; return q; }\n"
    "define ce(n,d) { return -fl(-n,d); }\n"
    "define he(n,d) { auto q,r,t; q=fl(n,d); r=n-q*d; if (d<0) { r=-r; d=-d; }; t=2*r;\n"
    "  if (t>d) return q+1; if (t<d) return q; if (q%2!=0) return q+1; return q; }\n"
    "define o(x) { if (x>m || x< -m) { print \"O\\n\"; return 0; }; print x, \"\\n\"; return 0; }\n";

static const char *const bc_round_fn[] = {"fl", "ce", "he"};

struct bc_batch {
	char path[64]; /* temporary script */
	FILE *script;  /* open while expressions are written */
	FILE *out;     /* bc's output once running */
};

static void bc_begin(struct bc_batch *b)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(b->path, sizeof b->path, "%s/sb_dec_bc_XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
	int fd = mkstemp(b->path);
	cr_assert_geq(fd, 0, "mkstemp: %s", strerror(errno));
	b->script = fdopen(fd, "w");
	cr_assert_not_null(b->script);
	fputs(bc_defs, b->script);
	b->out = NULL;
}

static void bc_run(struct bc_batch *b)
{
	fputs("quit\n", b->script);
	cr_assert_eq(fclose(b->script), 0);
	b->script = NULL;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "BC_LINE_LENGTH=0 bc -q %s </dev/null", b->path);
	b->out = popen(cmd, "r");
	cr_assert_not_null(b->out, "cannot run bc (scripts/install-deps.sh installs it)");
}

struct oracle {
	bool overflow; /* the exact result leaves the range */
	int64_t v;     /* the result otherwise */
};

static struct oracle bc_next(struct bc_batch *b)
{
	char line[256];
	struct oracle r = {false, 0};
	if (!fgets(line, sizeof line, b->out)) {
		unlink(b->path);
		cr_assert_fail("bc ended early");
	}
	if (line[0] == 'O') {
		r.overflow = true;
		return r;
	}
	char *end;
	errno = 0;
	long long v = strtoll(line, &end, 10);
	if (errno != 0 || end == line || *end != '\n') {
		unlink(b->path);
		cr_assert_fail("unexpected bc output: %s", line);
	}
	r.v = v;
	return r;
}

static void bc_end(struct bc_batch *b)
{
	char line[256];
	bool extra = fgets(line, sizeof line, b->out) != NULL;
	int status = pclose(b->out);
	unlink(b->path);
	cr_assert_not(extra, "bc printed more than expected: %s", line);
	cr_assert_eq(status, 0, "bc exited with status %d", status);
}

/* Mismatches are counted and the first is described, so one failure still cleans up bc's file. */
struct tally {
	unsigned long checked; /* comparisons made */
	unsigned long failed;  /* comparisons that disagreed */
	char first[256];       /* the first disagreement */
};

static void tally_check(struct tally *t, struct oracle want, sb_err err, sb_dec got, const char *what)
{
	t->checked++;
	bool ok = want.overflow ? err == SB_ERR_OVERFLOW : (err == SB_OK && got == want.v);
	if (ok)
		return;
	if (t->failed++ == 0)
		snprintf(t->first, sizeof t->first, "%s: got %s %" PRId64 ", bc says %s %" PRId64, what,
		         sb_errname(err), got, want.overflow ? "overflow" : "", want.v);
}

static void tally_assert(const struct tally *t, unsigned long min_checked)
{
	cr_assert_eq(t->failed, 0, "%lu of %lu disagreed; first: %s", t->failed, t->checked, t->first);
	cr_assert_geq(t->checked, min_checked, "only %lu cases checked", t->checked);
}

enum { PROP_CASES = 100000, BATCH = 20000 };

struct triple {
	sb_dec a, b, c; /* operands */
};

/* Writes the bc expressions for one case; reads them back in the same order in check_case. */
typedef void (*emit_fn)(FILE *f, const struct triple *t);
typedef void (*check_fn)(struct bc_batch *b, struct tally *t, const struct triple *c);
typedef void (*gen_fn)(struct triple *t);

static void run_property(uint64_t seed, gen_fn gen, emit_fn emit, check_fn check, unsigned long min_checked)
{
	static struct triple cases[BATCH];
	struct tally t = {0};
	rng_seed(seed);
	for (int done = 0; done < PROP_CASES; done += BATCH) {
		struct bc_batch b;
		bc_begin(&b);
		for (int i = 0; i < BATCH; i++) {
			gen(&cases[i]);
			emit(b.script, &cases[i]);
		}
		bc_run(&b);
		for (int i = 0; i < BATCH; i++)
			check(&b, &t, &cases[i]);
		bc_end(&b);
	}
	tally_assert(&t, min_checked);
}

static void gen_pair(struct triple *t)
{
	t->a = gen_dec();
	t->b = gen_dec();
	t->c = 0;
}

static void emit_addsub(FILE *f, const struct triple *t)
{
	fprintf(f, "z=o((%" PRId64 ")+(%" PRId64 "));z=o((%" PRId64 ")-(%" PRId64 "))\n", t->a, t->b, t->a,
	        t->b);
}

static void check_addsub(struct bc_batch *b, struct tally *t, const struct triple *c)
{
	char what[128];
	sb_dec v = 0;
	struct oracle sum = bc_next(b), diff = bc_next(b);
	snprintf(what, sizeof what, "add(%" PRId64 ", %" PRId64 ")", c->a, c->b);
	sb_err err = sb_dec_add(c->a, c->b, &v);
	tally_check(t, sum, err, v, what);
	snprintf(what, sizeof what, "sub(%" PRId64 ", %" PRId64 ")", c->a, c->b);
	err = sb_dec_sub(c->a, c->b, &v);
	tally_check(t, diff, err, v, what);
}

Test(decimal, add_sub_agree_with_bc_on_random_inputs, .timeout = 120)
{
	run_property(1, gen_pair, emit_addsub, check_addsub, 2UL * PROP_CASES);
}

/* mul: a quarter of the cases aim b so that the product lands next to the end of the range. */
static void gen_mul(struct triple *t)
{
	t->a = gen_nonzero();
	t->c = 0;
	switch (rng_below(8)) {
	case 0:
	case 1: {
		__int128 target = (__int128)SB_DEC_MAX * SB_DEC_SCALE / (t->a < 0 ? -t->a : t->a);
		t->b = jitter(clamp_dec(rng_below(2) ? target : -target));
		break;
	}
	case 2: /* b = k/2: ties whenever a*k is odd */
		t->b = ((sb_dec)rng_below(2001) - 1000) * 50000000;
		break;
	default:
		t->b = gen_dec();
		break;
	}
}

static void emit_mul(FILE *f, const struct triple *t)
{
	for (int m = 0; m < 3; m++)
		fprintf(f, "z=o(%s((%" PRId64 ")*(%" PRId64 "),100000000))\n", bc_round_fn[m], t->a, t->b);
}

static void check_mul(struct bc_batch *b, struct tally *t, const struct triple *c)
{
	for (int m = 0; m < 3; m++) {
		char what[128];
		sb_dec v = 0;
		struct oracle want = bc_next(b);
		sb_err err = sb_dec_mul(c->a, c->b, all_modes[m], &v);
		snprintf(what, sizeof what, "mul(%" PRId64 ", %" PRId64 ", %s)", c->a, c->b, mode_names[m]);
		tally_check(t, want, err, v, what);
	}
}

Test(decimal, mul_agrees_with_bc_on_random_inputs, .timeout = 120)
{
	run_property(2, gen_mul, emit_mul, check_mul, 3UL * PROP_CASES);
}

/* div: some cases aim at the end of the range, some are built to be exact ties. */
static void gen_div(struct triple *t)
{
	t->c = 0;
	switch (rng_below(8)) {
	case 0:
	case 1: { /* |a| * 10^8 / |b| close to MAX */
		t->a = gen_nonzero();
		__int128 target = (__int128)(t->a < 0 ? -t->a : t->a) * SB_DEC_SCALE / SB_DEC_MAX;
		t->b = jitter(clamp_dec(rng_below(2) ? target : -target));
		break;
	}
	case 2: { /* a = odd * s, b = 2 * s units: the quotient is odd / 2 ulp, an exact tie */
		int64_t s = 1 + (int64_t)rng_below(1000);
		int64_t odd = 2 * (int64_t)rng_below(1000000) + 1;
		t->a = rng_below(2) ? odd * s : -odd * s;
		t->b = 2 * s * SB_DEC_SCALE;
		break;
	}
	case 3: /* division by zero now and then */
		t->a = gen_dec();
		t->b = rng_below(4) ? gen_dec() : 0;
		break;
	default:
		t->a = gen_dec();
		t->b = gen_nonzero();
		break;
	}
}

static void emit_div(FILE *f, const struct triple *t)
{
	if (t->b == 0)
		return;
	for (int m = 0; m < 3; m++)
		fprintf(f, "z=o(%s((%" PRId64 ")*100000000,(%" PRId64 ")))\n", bc_round_fn[m], t->a, t->b);
}

static void check_div(struct bc_batch *b, struct tally *t, const struct triple *c)
{
	for (int m = 0; m < 3; m++) {
		char what[128];
		sb_dec v = 0;
		sb_err err = sb_dec_div(c->a, c->b, all_modes[m], &v);
		snprintf(what, sizeof what, "div(%" PRId64 ", %" PRId64 ", %s)", c->a, c->b, mode_names[m]);
		if (c->b == 0) {
			struct oracle none = {false, 0};
			tally_check(t, none, err == SB_ERR_DIV_ZERO ? SB_OK : err, 0, what);
			continue;
		}
		tally_check(t, bc_next(b), err, v, what);
	}
}

Test(decimal, div_agrees_with_bc_on_random_inputs, .timeout = 120)
{
	run_property(3, gen_div, emit_div, check_div, 3UL * PROP_CASES);
}

static void gen_muldiv(struct triple *t)
{
	t->a = gen_dec();
	t->b = gen_dec();
	switch (rng_below(8)) {
	case 0:
	case 1: { /* |a * b / c| close to MAX */
		__int128 p = (__int128)t->a * t->b;
		if (p < 0)
			p = -p;
		__int128 target = p / SB_DEC_MAX;
		t->c = jitter(clamp_dec(rng_below(2) ? target : -target));
		break;
	}
	case 2: /* c = 2: ties whenever a*b is odd */
		t->c = rng_below(2) ? 2 : -2;
		break;
	case 3:
		t->c = rng_below(8) ? gen_dec() : 0;
		break;
	default:
		t->c = gen_nonzero();
		break;
	}
}

static void emit_muldiv(FILE *f, const struct triple *t)
{
	if (t->c == 0)
		return;
	for (int m = 0; m < 3; m++)
		fprintf(f, "z=o(%s((%" PRId64 ")*(%" PRId64 "),(%" PRId64 ")))\n", bc_round_fn[m], t->a, t->b,
		        t->c);
}

static void check_muldiv(struct bc_batch *b, struct tally *t, const struct triple *c)
{
	for (int m = 0; m < 3; m++) {
		char what[160];
		sb_dec v = 0;
		sb_err err = sb_dec_muldiv(c->a, c->b, c->c, all_modes[m], &v);
		snprintf(what, sizeof what, "muldiv(%" PRId64 ", %" PRId64 ", %" PRId64 ", %s)", c->a, c->b,
		         c->c, mode_names[m]);
		if (c->c == 0) {
			struct oracle none = {false, 0};
			tally_check(t, none, err == SB_ERR_DIV_ZERO ? SB_OK : err, 0, what);
			continue;
		}
		tally_check(t, bc_next(b), err, v, what);
	}
}

Test(decimal, muldiv_agrees_with_bc_on_random_inputs, .timeout = 120)
{
	run_property(4, gen_muldiv, emit_muldiv, check_muldiv, 3UL * PROP_CASES);
}

/* round_to: steps are mostly exchange-like (powers of ten, 5 * 10^k), sometimes arbitrary. */
static void gen_round_to(struct triple *t)
{
	t->a = gen_dec();
	t->c = 0;
	switch (rng_below(4)) {
	case 0:
		t->b = pow10i((unsigned)rng_below(12));
		break;
	case 1:
		t->b = 5 * pow10i((unsigned)rng_below(12));
		break;
	case 2: { /* a = k * step + step / 2: an exact tie */
		t->b = 2 * (1 + (sb_dec)rng_below(1000000));
		t->a = ((sb_dec)rng_below(2000001) - 1000000) * t->b + t->b / 2;
		break;
	}
	default:
		t->b = gen_nonzero();
		if (t->b < 0)
			t->b = -t->b;
		break;
	}
}

static void emit_round_to(FILE *f, const struct triple *t)
{
	for (int m = 0; m < 3; m++)
		fprintf(f, "z=o(%s((%" PRId64 "),(%" PRId64 "))*(%" PRId64 "))\n", bc_round_fn[m], t->a, t->b,
		        t->b);
}

static void check_round_to(struct bc_batch *b, struct tally *t, const struct triple *c)
{
	for (int m = 0; m < 3; m++) {
		char what[128];
		sb_dec v = 0;
		struct oracle want = bc_next(b);
		sb_err err = sb_dec_round_to(c->a, c->b, all_modes[m], &v);
		snprintf(what, sizeof what, "round_to(%" PRId64 ", %" PRId64 ", %s)", c->a, c->b,
		         mode_names[m]);
		tally_check(t, want, err, v, what);
		/* is_multiple: the floor multiple equals the value exactly when it is a multiple. */
		if (m == 0 && !want.overflow) {
			struct oracle same = {false, want.v == c->a};
			snprintf(what, sizeof what, "is_multiple(%" PRId64 ", %" PRId64 ")", c->a, c->b);
			tally_check(t, same, SB_OK, sb_dec_is_multiple(c->a, c->b), what);
		}
	}
}

Test(decimal, round_to_and_is_multiple_agree_with_bc_on_random_inputs, .timeout = 120)
{
	run_property(5, gen_round_to, emit_round_to, check_round_to, 3UL * PROP_CASES);
}

/* format_places: bc rounds v / 10^(8-places); the expected text is built with printf, not our code. */
static void gen_places(struct triple *t)
{
	t->b = (sb_dec)rng_below(9); /* places */
	t->c = 0;
	if (rng_below(4) == 0 && t->b < 8) { /* an exact tie at that many places */
		int64_t unit = pow10i(8 - (unsigned)t->b);
		t->a = ((sb_dec)rng_below(2000001) - 1000000) * unit + unit / 2;
	} else {
		t->a = gen_dec();
	}
}

static void emit_places(FILE *f, const struct triple *t)
{
	for (int m = 0; m < 3; m++)
		fprintf(f, "z=o(%s((%" PRId64 "),%" PRId64 "))\n", bc_round_fn[m], t->a,
		        pow10i(8 - (unsigned)t->b));
}

static void check_places(struct bc_batch *b, struct tally *t, const struct triple *c)
{
	unsigned places = (unsigned)c->b;
	for (int m = 0; m < 3; m++) {
		struct oracle q = bc_next(b);
		char want[64], got[SB_DEC_STRLEN];
		uint64_t mag = q.v < 0 ? (uint64_t)-q.v : (uint64_t)q.v;
		uint64_t p = (uint64_t)pow10i(places);
		if (places == 0)
			snprintf(want, sizeof want, "%s%" PRIu64, q.v < 0 ? "-" : "", mag);
		else
			snprintf(want, sizeof want, "%s%" PRIu64 ".%0*" PRIu64, q.v < 0 ? "-" : "", mag / p,
			         (int)places, mag % p);
		size_t n = sb_dec_format_places(c->a, places, all_modes[m], got, sizeof got);
		t->checked++;
		if (q.overflow || n != strlen(want) || strcmp(got, want) != 0) {
			if (t->failed++ == 0)
				snprintf(t->first, sizeof t->first,
				         "format_places(%" PRId64 ", %u, %s) = \"%s\", want \"%s\"", c->a,
				         places, mode_names[m], got, want);
		}
	}
}

Test(decimal, format_places_agrees_with_bc_on_random_inputs, .timeout = 120)
{
	run_property(6, gen_places, emit_places, check_places, 3UL * PROP_CASES);
}

/*
 * Parsing by construction: a random value is written out in many legal spellings (leading zeros, padded
 * or trimmed fraction, optional '+'), each of which must parse back to it; then spoiled spellings must
 * fail with the right error. The expected value is known before the string exists, so no parser is
 * trusted to check the parser.
 */
static size_t spell(sb_dec v, char *buf)
{
	uint64_t mag = v < 0 ? (uint64_t)-v : (uint64_t)v;
	char digits[32];
	int nint = snprintf(digits, sizeof digits, "%" PRIu64, mag / (uint64_t)SB_DEC_SCALE);
	char frac[9];
	snprintf(frac, sizeof frac, "%08" PRIu64, mag % (uint64_t)SB_DEC_SCALE);
	size_t flen = 8;
	size_t min_flen = 8;
	while (min_flen > 0 && frac[min_flen - 1] == '0')
		min_flen--;
	flen = min_flen + (size_t)rng_below(9 - min_flen);

	size_t n = 0;
	if (v < 0)
		buf[n++] = '-';
	else if (rng_below(4) == 0)
		buf[n++] = v == 0 && rng_below(2) ? '-' : '+'; /* "-0" is zero too */
	size_t zeros = rng_below(3) == 0 ? (size_t)rng_below(40) : 0;
	for (size_t k = 0; k < zeros; k++)
		buf[n++] = '0';
	memcpy(buf + n, digits, (size_t)nint);
	n += (size_t)nint;
	size_t pad = rng_below(3) == 0 ? (size_t)rng_below(40) : 0;
	if (flen > 0 || pad > 0 || rng_below(2)) {
		if (flen == 0 && pad == 0)
			pad = 1; /* "1." is not allowed: the point needs a digit */
		buf[n++] = '.';
		memcpy(buf + n, frac, flen);
		n += flen;
		for (size_t k = 0; k < pad; k++)
			buf[n++] = '0';
	}
	return n;
}

Test(decimal, parse_agrees_with_construction_on_random_spellings)
{
	enum { CASES = 200000 };
	static const char junk[] = " eE.+-xX,_\t\n\0:/a";
	unsigned long checked = 0;
	rng_seed(7);
	for (int i = 0; i < CASES; i++) {
		char buf[160];
		sb_dec want = gen_dec();
		size_t n = spell(want, buf);
		sb_dec got = 1;
		sb_err err = sb_dec_parse(buf, n, &got);
		if (err != SB_OK || got != want)
			cr_assert_fail("\"%.*s\": %s %" PRId64 ", want %" PRId64, (int)n, buf,
			               sb_errname(err), got, want);
		checked++;

		/* A ninth (or later) non-zero fractional digit; past +-MAX that leaves the range. */
		char p[200];
		size_t pn = n;
		memcpy(p, buf, n);
		if (!memchr(p, '.', pn))
			p[pn++] = '.';
		size_t dot = (size_t)((char *)memchr(p, '.', pn) - p);
		while (pn - dot - 1 < 8 + (size_t)rng_below(5))
			p[pn++] = '0';
		p[pn++] = (char)('1' + rng_below(9));
		err = sb_dec_parse(p, pn, &got);
		sb_err want_err = sb_dec_abs(want) == SB_DEC_MAX ? SB_ERR_OVERFLOW : SB_ERR_PRECISION;
		cr_assert_eq(err, want_err, "\"%.*s\": %s", (int)pn, p, sb_errname(err));

		/* One character of junk anywhere: never accepted as the original value. */
		size_t at = (size_t)rng_below(n + 1);
		char bad = junk[rng_below(sizeof junk - 1)];
		memcpy(p, buf, at);
		p[at] = bad;
		memcpy(p + at + 1, buf + at, n - at);
		err = sb_dec_parse(p, n + 1, &got);
		if (bad != '.' && bad != '+' && bad != '-')
			cr_assert_eq(err, SB_ERR_PARSE, "\"%.*s\": %s", (int)(n + 1), p, sb_errname(err));
		checked += 2;
	}
	cr_assert_eq(checked, 3UL * CASES);
}

Test(decimal, parse_rejects_random_values_just_past_the_range)
{
	rng_seed(8);
	for (int i = 0; i < 20000; i++) {
		/* SB_DEC_MAX + k for k in [1, 10^12], both signs, formatted with printf from an __int128. */
		unsigned __int128 mag = (unsigned __int128)SB_DEC_MAX + 1 + rng_below(1000000000000);
		uint64_t units = (uint64_t)(mag / (unsigned)SB_DEC_SCALE);
		uint64_t frac = (uint64_t)(mag % (unsigned)SB_DEC_SCALE);
		char buf[64];
		int n = snprintf(buf, sizeof buf, "%s%" PRIu64 ".%08" PRIu64, rng_below(2) ? "-" : "", units,
		                 frac);
		sb_dec v = 5;
		sb_err err = sb_dec_parse(buf, (size_t)n, &v);
		cr_assert_eq(err, SB_ERR_OVERFLOW, "\"%s\": %s", buf, sb_errname(err));
		cr_assert_eq(v, 5);
	}
}

/*
 * Tests for the fixed-point money type (src/common/decimal.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "spotbot/decimal.h"

Test(decimal, smoke_parse_format_mul)
{
	sb_dec a, b, c;
	char buf[SB_DEC_STRLEN];
	cr_assert_eq(sb_dec_parse_cstr("25.3519", &a), SB_OK);
	cr_assert_eq(a, SB_DEC_C(25, 35190000));
	cr_assert_eq(sb_dec_parse_cstr("0.00100000", &b), SB_OK);
	cr_assert_eq(sb_dec_mul(a, b, SB_ROUND_DOWN, &c), SB_OK);
	cr_assert_eq(sb_dec_format(c, buf, sizeof buf), 10);
	cr_assert_str_eq(buf, "0.02535190");
	cr_assert_eq(sb_dec_parse_cstr("1e-8", &c), SB_ERR_PARSE);
}

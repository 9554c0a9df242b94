/*
 * decimal.h - the one money type: a signed fixed-point decimal with 8 places, Binance's precision.
 *
 * An sb_dec holds value * 10^8 in an int64_t, so 1.5 is 150000000 and the range is about +/-92 billion.
 * Prices, quantities, balances, fees and rates are all sb_dec; floating point never touches money.
 * Products and quotients go through 128-bit intermediates and take an explicit rounding mode; every
 * operation that could leave the range reports SB_ERR_OVERFLOW instead of wrapping.
 */
#ifndef SPOTBOT_DECIMAL_H
#define SPOTBOT_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"

typedef int64_t sb_dec; /* value scaled by SB_DEC_SCALE */

#define SB_DEC_PLACES 8
#define SB_DEC_SCALE  INT64_C(100000000)
#define SB_DEC_ZERO   ((sb_dec)0)
#define SB_DEC_ONE    ((sb_dec)SB_DEC_SCALE)
#define SB_DEC_MAX    ((sb_dec)INT64_MAX)
#define SB_DEC_MIN    ((sb_dec)(INT64_MIN + 1)) /* symmetric range: -SB_DEC_MAX is representable */
/* A constant from an integer part and 8 fractional digits: SB_DEC_C(25, 35190000) is 25.3519. Both parts
 * add, so a negative constant is written -SB_DEC_C(25, 35190000), never SB_DEC_C(-25, 35190000). */
#define SB_DEC_C(units, frac8) ((sb_dec)((int64_t)(units)*SB_DEC_SCALE + (int64_t)(frac8)))
/* Longest formatted value: sign, 11 integer digits, point, 8 digits, NUL. */
#define SB_DEC_STRLEN 24

/* Rounding modes. DOWN is toward negative infinity (floor), UP toward positive infinity (ceiling),
 * HALF_EVEN to the nearest, ties to the even neighbour (banker's rounding). */
enum sb_round {
	SB_ROUND_DOWN,
	SB_ROUND_UP,
	SB_ROUND_HALF_EVEN,
};

/*
 * Parses a Binance decimal string such as "0.00100000", "25.3519", "-0.5" or "42" (exactly len bytes;
 * s need not be NUL-terminated). Accepted: an optional '-' (or '+'), digits, an optional '.' followed
 * by at least one digit, with at least one digit before the point. Rejected with SB_ERR_PARSE: empty
 * input, exponents ("1e-8"), spaces, hex, "inf"/"nan", ".5", "1." and a lone sign.
 * More than 8 fractional digits is SB_ERR_PRECISION unless the extra digits are all zeros; a value
 * outside the range is SB_ERR_OVERFLOW. On error *out is untouched.
 */
sb_err sb_dec_parse(const char *s, size_t len, sb_dec *out);

/* As sb_dec_parse, but a negative value (other than "-0") is SB_ERR_RANGE. For prices, quantities. */
sb_err sb_dec_parse_nonneg(const char *s, size_t len, sb_dec *out);

/* Convenience for NUL-terminated strings. */
sb_err sb_dec_parse_cstr(const char *s, sb_dec *out);

/*
 * Formats v with exactly 8 fractional digits, as Binance does ("0.00100000", "-0.50000000").
 * Writes a NUL-terminated string into buf (cap bytes; SB_DEC_STRLEN always suffices).
 * Returns the length written, or 0 if cap is too small (buf then holds "" when cap > 0).
 */
size_t sb_dec_format(sb_dec v, char *buf, size_t cap);

/* As sb_dec_format, but without trailing fractional zeros or a trailing point ("0.001", "42", "-0.5"). */
size_t sb_dec_format_trim(sb_dec v, char *buf, size_t cap);

/* Formats with exactly `places` fractional digits (0..8), rounding with mode; for display of prices
 * at tick precision. Returns the length, or 0 if cap is too small or places > 8. */
size_t sb_dec_format_places(sb_dec v, unsigned places, enum sb_round mode, char *buf, size_t cap);

/* value = n (an integer number of units). SB_ERR_OVERFLOW when |n| * 10^8 does not fit. */
sb_err sb_dec_from_int(int64_t n, sb_dec *out);

/* Exact sum and difference; SB_ERR_OVERFLOW when the result leaves [SB_DEC_MIN, SB_DEC_MAX]. */
sb_err sb_dec_add(sb_dec a, sb_dec b, sb_dec *out);
sb_err sb_dec_sub(sb_dec a, sb_dec b, sb_dec *out);

/* a * b rounded to 8 places with mode; SB_ERR_OVERFLOW when out of range. */
sb_err sb_dec_mul(sb_dec a, sb_dec b, enum sb_round mode, sb_dec *out);

/* a / b rounded to 8 places with mode; SB_ERR_DIV_ZERO when b == 0, SB_ERR_OVERFLOW when out of range. */
sb_err sb_dec_div(sb_dec a, sb_dec b, enum sb_round mode, sb_dec *out);

/* a * b / c computed with a single rounding (the 128-bit product is not rounded before dividing). */
sb_err sb_dec_muldiv(sb_dec a, sb_dec b, sb_dec c, enum sb_round mode, sb_dec *out);

/*
 * Rounds v to a multiple of step (step > 0) with mode: SB_ROUND_DOWN floors, SB_ROUND_UP ceils,
 * SB_ROUND_HALF_EVEN goes to the nearest (ties to the even multiple). step == 0 means "no step":
 * *out = v. SB_ERR_INVALID when step < 0, SB_ERR_OVERFLOW when the rounded value leaves the range
 * (in any mode, e.g. flooring a negative value near SB_DEC_MIN).
 */
sb_err sb_dec_round_to(sb_dec v, sb_dec step, enum sb_round mode, sb_dec *out);

/* True when v is an exact multiple of |step|; always true when step == 0. */
bool sb_dec_is_multiple(sb_dec v, sb_dec step);

/* -1, 0 or 1. */
static inline int sb_dec_cmp(sb_dec a, sb_dec b)
{
	return (a > b) - (a < b);
}

/* Absolute value; v is never INT64_MIN because the range is symmetric. */
static inline sb_dec sb_dec_abs(sb_dec v)
{
	return v < 0 ? -v : v;
}

#endif

/*
 * decimal.c - the fixed-point money type: parsing Binance decimal strings, formatting them back, and
 * arithmetic with explicit rounding.
 *
 * Every product and quotient is computed exactly in __int128 (|a * b| <= 2^126, |a * 10^8| < 2^90) and
 * rounded once by div_round(); results are range-checked against the symmetric range
 * [SB_DEC_MIN, SB_DEC_MAX] before they are narrowed, so nothing ever wraps. Parsing validates the whole
 * syntax first and never accumulates more digits than can fit, so arbitrarily long inputs are safe.
 */
#include "spotbot/decimal.h"

#include <string.h>

__extension__ typedef __int128 i128; /* -Wpedantic: a GNU extension, allowed by CONTRIBUTING.md */

/* Largest number of integer digits an in-range value can have: SB_DEC_MAX is 92233720368.54775807. */
#define DEC_MAX_INT_DIGITS 11

static const int64_t pow10_tab[SB_DEC_PLACES + 1] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

static bool in_range(i128 v)
{
	return v >= (i128)SB_DEC_MIN && v <= (i128)SB_DEC_MAX;
}

/* n / d rounded with mode; d != 0. |n| <= 2^126 and |d| <= 2^63 in every caller, so nothing here can
 * overflow (2 * r < 2 * |d| <= 2^64). */
static i128 div_round(i128 n, i128 d, enum sb_round mode)
{
	if (d < 0) {
		n = -n;
		d = -d;
	}
	i128 q = n / d;
	i128 r = n % d;
	/* C truncates toward zero; move to floor so that 0 <= r < d. */
	if (r < 0) {
		q -= 1;
		r += d;
	}
	if (r == 0)
		return q;
	switch (mode) {
	case SB_ROUND_DOWN:
		return q;
	case SB_ROUND_UP:
		return q + 1;
	case SB_ROUND_HALF_EVEN:
	default:
		if (2 * r > d)
			return q + 1;
		if (2 * r < d)
			return q;
		return (q & 1) ? q + 1 : q;
	}
}

static bool valid_mode(enum sb_round mode)
{
	return mode == SB_ROUND_DOWN || mode == SB_ROUND_UP || mode == SB_ROUND_HALF_EVEN;
}

static sb_err narrow(i128 v, sb_dec *out)
{
	if (!in_range(v))
		return SB_ERR_OVERFLOW;
	*out = (sb_dec)v;
	return SB_OK;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Errors are reported in a fixed order so callers can rely on them: any syntax problem is SB_ERR_PARSE;
 * a well-formed value whose exact value is outside the range is SB_ERR_OVERFLOW; an in-range value with
 * non-zero digits beyond the eighth fractional place is SB_ERR_PRECISION.
 */
sb_err sb_dec_parse(const char *s, size_t len, sb_dec *out)
{
	if (!out || (!s && len > 0))
		return SB_ERR_INVALID;
	if (len == 0)
		return SB_ERR_PARSE;

	size_t i = 0;
	bool neg = false;
	if (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-';
		i = 1;
	}
	size_t int_start = i;
	while (i < len && is_digit(s[i]))
		i++;
	size_t int_end = i;
	if (int_end == int_start)
		return SB_ERR_PARSE;
	size_t frac_start = i, frac_end = i;
	if (i < len) {
		if (s[i] != '.')
			return SB_ERR_PARSE;
		i++;
		frac_start = i;
		while (i < len && is_digit(s[i]))
			i++;
		frac_end = i;
		if (frac_end == frac_start || i != len)
			return SB_ERR_PARSE;
	}

	/* Leading zeros carry no value; after them at most 11 digits can be in range. */
	size_t p = int_start;
	while (p < int_end && s[p] == '0')
		p++;
	if (int_end - p > DEC_MAX_INT_DIGITS)
		return SB_ERR_OVERFLOW;
	uint64_t units = 0;
	for (; p < int_end; p++)
		units = units * 10 + (uint64_t)(s[p] - '0');

	uint64_t frac = 0;
	size_t nfrac = frac_end - frac_start;
	size_t nkeep = nfrac < SB_DEC_PLACES ? nfrac : SB_DEC_PLACES;
	for (size_t k = 0; k < nkeep; k++)
		frac = frac * 10 + (uint64_t)(s[frac_start + k] - '0');
	frac *= (uint64_t)pow10_tab[SB_DEC_PLACES - nkeep];
	bool excess = false;
	for (size_t k = frac_start + nkeep; k < frac_end; k++) {
		if (s[k] != '0') {
			excess = true;
			break;
		}
	}

	/* units < 10^11, so units * 10^8 + frac < 10^19 < 2^64. */
	uint64_t mag = units * (uint64_t)SB_DEC_SCALE + frac;
	/* Judged on the exact value: MAX followed by non-zero digits past the eighth place is out of range.
	 */
	if (mag > (uint64_t)SB_DEC_MAX || (mag == (uint64_t)SB_DEC_MAX && excess))
		return SB_ERR_OVERFLOW;
	if (excess)
		return SB_ERR_PRECISION;
	*out = neg ? -(sb_dec)mag : (sb_dec)mag;
	return SB_OK;
}

sb_err sb_dec_parse_nonneg(const char *s, size_t len, sb_dec *out)
{
	if (!out)
		return SB_ERR_INVALID;
	sb_dec v;
	sb_err err = sb_dec_parse(s, len, &v);
	if (err != SB_OK)
		return err;
	if (v < 0)
		return SB_ERR_RANGE;
	*out = v;
	return SB_OK;
}

sb_err sb_dec_parse_cstr(const char *s, sb_dec *out)
{
	if (!s)
		return SB_ERR_INVALID;
	return sb_dec_parse(s, strlen(s), out);
}

/* Magnitude of v without the undefined -INT64_MIN. */
static uint64_t magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

/*
 * Writes the sign, the integer part of mag / 10^places and, when places > 0, a point and the last
 * `places` digits of mag. Returns the length or 0 (with buf = "" when cap > 0) when it does not fit.
 */
static size_t format_scaled(bool neg, uint64_t mag, unsigned places, char *buf, size_t cap)
{
	char tmp[32];
	size_t n = 0;
	/* Digits come out least significant first: the fraction, then at least one integer digit. */
	for (unsigned k = 0; k < places; k++) {
		tmp[n++] = (char)('0' + (char)(mag % 10));
		mag /= 10;
	}
	if (places > 0)
		tmp[n++] = '.';
	do {
		tmp[n++] = (char)('0' + (char)(mag % 10));
		mag /= 10;
	} while (mag > 0);
	if (neg)
		tmp[n++] = '-';
	if (!buf || cap < n + 1) {
		if (buf && cap > 0)
			buf[0] = '\0';
		return 0;
	}
	for (size_t k = 0; k < n; k++)
		buf[k] = tmp[n - 1 - k];
	buf[n] = '\0';
	return n;
}

size_t sb_dec_format(sb_dec v, char *buf, size_t cap)
{
	return format_scaled(v < 0, magnitude(v), SB_DEC_PLACES, buf, cap);
}

size_t sb_dec_format_trim(sb_dec v, char *buf, size_t cap)
{
	uint64_t mag = magnitude(v);
	unsigned places = SB_DEC_PLACES;
	while (places > 0 && mag % 10 == 0) {
		mag /= 10;
		places--;
	}
	return format_scaled(v < 0, mag, places, buf, cap);
}

size_t sb_dec_format_places(sb_dec v, unsigned places, enum sb_round mode, char *buf, size_t cap)
{
	if (places > SB_DEC_PLACES || !valid_mode(mode)) {
		if (buf && cap > 0)
			buf[0] = '\0';
		return 0;
	}
	/* |q| <= |v| / 10 + 1 when places < 8, so q fits an int64 (and is never INT64_MIN). */
	i128 q = div_round((i128)v, (i128)pow10_tab[SB_DEC_PLACES - places], mode);
	bool neg = q < 0;
	uint64_t mag = (uint64_t)(neg ? -q : q);
	return format_scaled(neg, mag, places, buf, cap);
}

sb_err sb_dec_from_int(int64_t n, sb_dec *out)
{
	if (!out)
		return SB_ERR_INVALID;
	return narrow((i128)n * SB_DEC_SCALE, out);
}

sb_err sb_dec_add(sb_dec a, sb_dec b, sb_dec *out)
{
	if (!out)
		return SB_ERR_INVALID;
	return narrow((i128)a + (i128)b, out);
}

sb_err sb_dec_sub(sb_dec a, sb_dec b, sb_dec *out)
{
	if (!out)
		return SB_ERR_INVALID;
	return narrow((i128)a - (i128)b, out);
}

sb_err sb_dec_mul(sb_dec a, sb_dec b, enum sb_round mode, sb_dec *out)
{
	if (!out || !valid_mode(mode))
		return SB_ERR_INVALID;
	return narrow(div_round((i128)a * (i128)b, SB_DEC_SCALE, mode), out);
}

sb_err sb_dec_div(sb_dec a, sb_dec b, enum sb_round mode, sb_dec *out)
{
	if (!out || !valid_mode(mode))
		return SB_ERR_INVALID;
	if (b == 0)
		return SB_ERR_DIV_ZERO;
	return narrow(div_round((i128)a * SB_DEC_SCALE, (i128)b, mode), out);
}

sb_err sb_dec_muldiv(sb_dec a, sb_dec b, sb_dec c, enum sb_round mode, sb_dec *out)
{
	if (!out || !valid_mode(mode))
		return SB_ERR_INVALID;
	if (c == 0)
		return SB_ERR_DIV_ZERO;
	/* (a/10^8) * (b/10^8) / (c/10^8) scaled by 10^8 is exactly a * b / c. */
	return narrow(div_round((i128)a * (i128)b, (i128)c, mode), out);
}

sb_err sb_dec_round_to(sb_dec v, sb_dec step, enum sb_round mode, sb_dec *out)
{
	if (!out || !valid_mode(mode) || step < 0)
		return SB_ERR_INVALID;
	if (step == 0) {
		*out = v;
		return SB_OK;
	}
	return narrow(div_round((i128)v, (i128)step, mode) * step, out);
}

bool sb_dec_is_multiple(sb_dec v, sb_dec step)
{
	if (step == 0)
		return true;
	/* In 128 bits so that INT64_MIN % -1 cannot trap. */
	return (i128)v % (i128)step == 0;
}

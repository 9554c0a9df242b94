/*
 * Fuzz target for the decimal parser and the arithmetic behind it.
 *
 * The input is one or two decimal strings separated by '|'. Whatever parses must format and reparse to
 * the same value (fixed, trimmed and 8-place forms), and the arithmetic on two parsed values must keep
 * its invariants: add/sub invert each other, DOWN <= HALF_EVEN <= UP and UP - DOWN <= 1 ulp for mul, div
 * and muldiv, round_to lands on a multiple of the step. Any violation aborts so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/decimal.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

static void check_round_trip(sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	sb_dec back;
	size_t n = sb_dec_format(v, buf, sizeof buf);
	check(n > 0 && n == strlen(buf));
	check(sb_dec_parse(buf, n, &back) == SB_OK && back == v);

	n = sb_dec_format_trim(v, buf, sizeof buf);
	check(n > 0 && n == strlen(buf));
	check(sb_dec_parse(buf, n, &back) == SB_OK && back == v);

	for (unsigned places = 0; places <= SB_DEC_PLACES; places++) {
		sb_dec lo = 0, hi = 0;
		size_t nlo = sb_dec_format_places(v, places, SB_ROUND_DOWN, buf, sizeof buf);
		check(nlo > 0);
		sb_err elo = sb_dec_parse(buf, nlo, &lo);
		size_t nhi = sb_dec_format_places(v, places, SB_ROUND_UP, buf, sizeof buf);
		check(nhi > 0);
		sb_err ehi = sb_dec_parse(buf, nhi, &hi);
		/* Rounding may step just past the range at the very ends; otherwise lo <= v <= hi. */
		check(elo == SB_OK || elo == SB_ERR_OVERFLOW);
		check(ehi == SB_OK || ehi == SB_ERR_OVERFLOW);
		if (elo == SB_OK)
			check(lo <= v);
		if (ehi == SB_OK)
			check(hi >= v);
	}
}

/* DOWN <= HALF_EVEN <= UP, at most one ulp apart, and all three agree when the result is exact. */
static void check_modes(sb_err (*op)(sb_dec, sb_dec, enum sb_round, sb_dec *), sb_dec a, sb_dec b)
{
	sb_dec d = 0, u = 0, h = 0;
	sb_err ed = op(a, b, SB_ROUND_DOWN, &d);
	sb_err eu = op(a, b, SB_ROUND_UP, &u);
	sb_err eh = op(a, b, SB_ROUND_HALF_EVEN, &h);
	if (ed == SB_OK && eu == SB_OK && eh == SB_OK) {
		check(d <= h && h <= u);
		check(u - d <= 1);
	} else {
		check(ed == SB_OK || ed == SB_ERR_OVERFLOW || ed == SB_ERR_DIV_ZERO);
		check(eu == SB_OK || eu == SB_ERR_OVERFLOW || eu == SB_ERR_DIV_ZERO);
	}
}

static void check_pair(sb_dec a, sb_dec b)
{
	sb_dec s, back;
	if (sb_dec_add(a, b, &s) == SB_OK)
		check(sb_dec_sub(s, b, &back) == SB_OK && back == a);
	if (sb_dec_sub(a, b, &s) == SB_OK)
		check(sb_dec_add(s, b, &back) == SB_OK && back == a);
	check_modes(sb_dec_mul, a, b);
	check_modes(sb_dec_div, a, b);

	sb_dec q;
	sb_err err = sb_dec_div(a, b, SB_ROUND_DOWN, &q);
	check(b != 0 || err == SB_ERR_DIV_ZERO);
	if (sb_dec_muldiv(a, SB_DEC_ONE, b, SB_ROUND_DOWN, &s) == SB_OK)
		check(err == SB_OK && s == q);

	sb_dec step = sb_dec_abs(b), r;
	for (int m = SB_ROUND_DOWN; m <= SB_ROUND_HALF_EVEN; m++) {
		if (sb_dec_round_to(a, step, (enum sb_round)m, &r) == SB_OK) {
			check(sb_dec_is_multiple(r, step));
			check(step == 0 ? r == a : sb_dec_abs(r - a) < step);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	const char *bar = memchr(s, '|', size);
	size_t len1 = bar ? (size_t)(bar - s) : size;

	sb_dec a = 0, b = 0, nn;
	sb_err ea = sb_dec_parse(s, len1, &a);
	check(ea == SB_OK || ea == SB_ERR_PARSE || ea == SB_ERR_PRECISION || ea == SB_ERR_OVERFLOW);
	sb_err en = sb_dec_parse_nonneg(s, len1, &nn);
	if (ea == SB_OK) {
		check(a >= SB_DEC_MIN && a <= SB_DEC_MAX);
		check_round_trip(a);
		check(a < 0 ? en == SB_ERR_RANGE : (en == SB_OK && nn == a));
	} else {
		check(en == ea);
	}
	if (!bar || ea != SB_OK)
		return 0;

	sb_err eb = sb_dec_parse(bar + 1, size - len1 - 1, &b);
	if (eb != SB_OK)
		return 0;
	check_round_trip(b);
	check_pair(a, b);
	return 0;
}

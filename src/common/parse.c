/*
 * parse.c - the checked integer parser (see parse.h).
 */
#include "common/parse.h"

#include <string.h>

bool sb_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	if (!s || n == 0)
		return false;
	bool neg = s[0] == '-';
	if (neg && (min >= 0 || n == 1))
		return false;
	/* Accumulate the magnitude as a negative number, so INT64_MIN parses too. */
	int64_t v = 0;
	for (size_t i = neg ? 1 : 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		int d = s[i] - '0';
		if (v < (INT64_MIN + d) / 10)
			return false;
		v = v * 10 - d;
	}
	if (!neg) {
		if (v == INT64_MIN)
			return false;
		v = -v;
	}
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool sb_parse_i64_str(const char *s, int64_t min, int64_t max, int64_t *out)
{
	return s && sb_parse_i64(s, strlen(s), min, max, out);
}

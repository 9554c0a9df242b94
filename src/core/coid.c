/*
 * coid.c - deterministic client order ids (format in coid.h).
 *
 * Parsing accepts only what formatting produces, so one order has exactly one id and an id names
 * exactly one (instance, epoch, position, leg, attempt).
 */
#include "spotbot/coid.h"

#include <stdio.h>
#include <string.h>

#include "common/parse.h"

static const char leg_chars[SB_COID_LEG__COUNT] = {
    [SB_COID_BUY] = 'b',
    [SB_COID_SELL] = 's',
    [SB_COID_EXIT] = 'x',
};

char sb_coid_leg_char(enum sb_coid_leg leg)
{
	if ((unsigned)leg >= SB_COID_LEG__COUNT)
		return '?';
	return leg_chars[leg];
}

static bool tag_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool valid_tag(const char *t, size_t n)
{
	if (n == 0 || n > SB_COID_TAG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!tag_char(t[i]))
			return false;
	return true;
}

sb_err sb_coid_check_tag(const char *tag)
{
	if (!tag)
		return SB_ERR_INVALID;
	size_t n = strnlen(tag, SB_COID_TAG_MAX + 1);
	return valid_tag(tag, n) ? SB_OK : SB_ERR_INVALID;
}

bool sb_coid_valid_charset(const char *s, size_t len)
{
	if (!s || len == 0 || len > SB_COID_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || digit(c) || c == '.' || c == ':' ||
		      c == '/' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

sb_err sb_coid_format_epoch(const char *tag, unsigned epoch, int64_t position_id, enum sb_coid_leg leg,
                            unsigned attempt, char *buf, size_t cap, size_t *len)
{
	if (buf && cap > 0)
		buf[0] = '\0';
	if (!buf || sb_coid_check_tag(tag) != SB_OK || position_id <= 0 ||
	    (unsigned)leg >= SB_COID_LEG__COUNT || attempt > SB_COID_ATTEMPT_MAX || epoch > SB_COID_EPOCH_MAX)
		return SB_ERR_INVALID;
	char suffix[16] = "";
	if (epoch > 0)
		snprintf(suffix, sizeof suffix, ".%u", epoch);
	int n = snprintf(buf, cap, "sb-%s-%lld-%c%u%s", tag, (long long)position_id, leg_chars[leg], attempt,
	                 suffix);
	if (n < 0 || (size_t)n >= cap || n > SB_COID_MAX) {
		if (cap > 0)
			buf[0] = '\0';
		return SB_ERR_TOO_LONG;
	}
	if (len)
		*len = (size_t)n;
	return SB_OK;
}

sb_err sb_coid_format(const char *tag, int64_t position_id, enum sb_coid_leg leg, unsigned attempt, char *buf,
                      size_t cap, size_t *len)
{
	return sb_coid_format_epoch(tag, 0, position_id, leg, attempt, buf, cap, len);
}

/* A canonical decimal in [0, max] (no sign, no leading zero unless it is "0"); SB_ERR_PARSE for anything
 * else. The leading-zero rule is the id's: one number has one spelling. */
static sb_err parse_uint(const char *s, size_t n, int64_t max, uint64_t *out)
{
	int64_t v;
	if ((n > 1 && s[0] == '0') || !sb_parse_i64(s, n, 0, max, &v))
		return SB_ERR_PARSE;
	*out = (uint64_t)v;
	return SB_OK;
}

static sb_err parse(const char *s, size_t len, struct sb_coid *out)
{
	if (len < 3 || memcmp(s, "sb-", 3) != 0)
		return SB_ERR_NOT_FOUND;
	if (len > SB_COID_MAX)
		return SB_ERR_PARSE;
	const char *p = s + 3, *end = s + len;
	const char *dash = memchr(p, '-', (size_t)(end - p));
	if (!dash || !valid_tag(p, (size_t)(dash - p)))
		return SB_ERR_PARSE;
	memcpy(out->tag, p, (size_t)(dash - p));
	out->tag[dash - p] = '\0';
	p = dash + 1;
	dash = memchr(p, '-', (size_t)(end - p));
	if (!dash)
		return SB_ERR_PARSE;
	uint64_t id, attempt;
	if (parse_uint(p, (size_t)(dash - p), INT64_MAX, &id) != SB_OK || id == 0)
		return SB_ERR_PARSE;
	p = dash + 1;
	if (end - p < 2)
		return SB_ERR_PARSE;
	unsigned leg;
	for (leg = 0; leg < SB_COID_LEG__COUNT; leg++)
		if (leg_chars[leg] == *p)
			break;
	if (leg == SB_COID_LEG__COUNT)
		return SB_ERR_PARSE;
	p++;
	const char *dot = memchr(p, '.', (size_t)(end - p));
	uint64_t epoch = 0;
	if (dot &&
	    (parse_uint(dot + 1, (size_t)(end - dot - 1), SB_COID_EPOCH_MAX, &epoch) != SB_OK || epoch == 0))
		return SB_ERR_PARSE;
	if (parse_uint(p, (size_t)((dot ? dot : end) - p), SB_COID_ATTEMPT_MAX, &attempt) != SB_OK)
		return SB_ERR_PARSE;
	out->position_id = (int64_t)id;
	out->leg = (enum sb_coid_leg)leg;
	out->attempt = (unsigned)attempt;
	out->epoch = (unsigned)epoch;
	return SB_OK;
}

sb_err sb_coid_parse(const char *s, size_t len, struct sb_coid *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	sb_err err = parse(s, len, out);
	if (err != SB_OK)
		memset(out, 0, sizeof *out);
	return err;
}

bool sb_coid_is_ours(const char *s, size_t len, const char *tag)
{
	struct sb_coid c;
	if (sb_coid_check_tag(tag) != SB_OK || sb_coid_parse(s, len, &c) != SB_OK)
		return false;
	return strcmp(c.tag, tag) == 0;
}

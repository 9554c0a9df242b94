/*
 * clock.c - wall and monotonic clocks, and RFC 3339 timestamps (see clock.h).
 *
 * Formatting goes through gmtime_r, which is thread-safe and knows the calendar. Parsing converts the civil
 * date to a day count with Howard Hinnant's days_from_civil, which is exact for every proleptic Gregorian
 * year and needs neither the TZ environment nor timegm().
 */
#include "spotbot/clock.h"

#include "common/parse.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t sb_clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + (int64_t)ts.tv_nsec / 1000000;
}

int64_t sb_clock_wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + (int64_t)ts.tv_nsec / 1000;
}

uint64_t sb_clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * UINT64_C(1000000000) + (uint64_t)ts.tv_nsec;
}

uint64_t sb_clock_mono_ms(void)
{
	return sb_clock_mono_ns() / UINT64_C(1000000);
}

size_t sb_clock_format_rfc3339_ms(int64_t wall_ms, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return 0;
	buf[0] = '\0';
	if (cap < SB_CLOCK_RFC3339_MS_SIZE)
		return 0;
	/* Floor division, so -1 ms is 23:59:59.999 on the day before the epoch. */
	int64_t secs = wall_ms / 1000;
	int64_t ms = wall_ms % 1000;
	if (ms < 0) {
		ms += 1000;
		secs -= 1;
	}
	time_t t = (time_t)secs;
	struct tm tm;
	if (!gmtime_r(&t, &tm))
		return 0;
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return 0;
	char tmp[96];
	int n = snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
	                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
	if (n != SB_CLOCK_RFC3339_MS_LEN)
		return 0;
	memcpy(buf, tmp, SB_CLOCK_RFC3339_MS_SIZE);
	return SB_CLOCK_RFC3339_MS_LEN;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (m 1..12, d 1..31). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static bool is_leap(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
	static const unsigned dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at s[*pos]; false when any of them is not a digit. */
static bool digits(const char *s, size_t len, size_t *pos, size_t n, unsigned *out)
{
	int64_t v;
	if (len - *pos < n || !sb_parse_i64(s + *pos, n, 0, 999999999, &v))
		return false;
	*pos += n;
	*out = (unsigned)v;
	return true;
}

static bool expect(const char *s, size_t len, size_t *pos, char c)
{
	if (*pos >= len || s[*pos] != c)
		return false;
	(*pos)++;
	return true;
}

/* Reads ".fraction" if present and returns its first three digits as milliseconds. */
static bool fraction_ms(const char *s, size_t len, size_t *pos, unsigned *ms)
{
	*ms = 0;
	if (*pos >= len || s[*pos] != '.')
		return true;
	(*pos)++;
	size_t start = *pos;
	unsigned scale = 100;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9') {
		*ms += (unsigned)(s[*pos] - '0') * scale;
		scale /= 10;
		(*pos)++;
	}
	return *pos > start;
}

/* Reads "Z", "+HH:MM" or "-HH:MM" and gives the offset east of UTC in minutes. */
static sb_err offset_minutes(const char *s, size_t len, size_t *pos, int *out)
{
	if (*pos >= len)
		return SB_ERR_PARSE;
	char c = s[(*pos)++];
	if (c == 'Z' || c == 'z') {
		*out = 0;
		return SB_OK;
	}
	if (c != '+' && c != '-')
		return SB_ERR_PARSE;
	unsigned oh, om;
	if (!digits(s, len, pos, 2, &oh) || !expect(s, len, pos, ':') || !digits(s, len, pos, 2, &om))
		return SB_ERR_PARSE;
	if (oh > 23 || om > 59)
		return SB_ERR_RANGE;
	*out = (c == '-' ? -1 : 1) * (int)(oh * 60 + om);
	return SB_OK;
}

sb_err sb_clock_parse_rfc3339_ms(const char *s, size_t len, int64_t *out_ms)
{
	if (!s || !out_ms)
		return SB_ERR_INVALID;
	size_t pos = 0;
	unsigned y, mo, d, h, mi, sec, ms;
	if (!digits(s, len, &pos, 4, &y) || !expect(s, len, &pos, '-') || !digits(s, len, &pos, 2, &mo) ||
	    !expect(s, len, &pos, '-') || !digits(s, len, &pos, 2, &d))
		return SB_ERR_PARSE;
	if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
		return SB_ERR_PARSE;
	pos++;
	if (!digits(s, len, &pos, 2, &h) || !expect(s, len, &pos, ':') || !digits(s, len, &pos, 2, &mi) ||
	    !expect(s, len, &pos, ':') || !digits(s, len, &pos, 2, &sec) || !fraction_ms(s, len, &pos, &ms))
		return SB_ERR_PARSE;
	int off;
	sb_err err = offset_minutes(s, len, &pos, &off);
	if (err != SB_OK)
		return err;
	if (pos != len)
		return SB_ERR_PARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
		return SB_ERR_RANGE;
	int64_t days = days_from_civil((int64_t)y, mo, d);
	int64_t secs = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + (int64_t)sec - (int64_t)off * 60;
	*out_ms = secs * 1000 + (int64_t)ms;
	return SB_OK;
}

/* ---- the daemon's clock: dispatch through struct sb_clock_ops ---- */

void sb_clock_free(struct sb_clock *c)
{
	if (c)
		c->ops->free(c);
}

const char *sb_clock_name(const struct sb_clock *c)
{
	return c ? c->ops->name : "";
}

int64_t sb_clock_now_wall_ms(const struct sb_clock *c)
{
	return c->ops->wall_ms(c);
}

uint64_t sb_clock_now_mono_ns(const struct sb_clock *c)
{
	return c->ops->mono_ns(c);
}

uint64_t sb_clock_now_mono_ms(const struct sb_clock *c)
{
	return c->ops->mono_ns(c) / UINT64_C(1000000);
}

struct sb_clock_timer *sb_clock_timer_new(struct sb_clock *c, sb_clock_timer_cb cb, void *user)
{
	struct sb_clock_timer *t = c->ops->timer_new(c);
	t->clock = c;
	t->cb = cb;
	t->user = user;
	return t;
}

void sb_clock_timer_start(struct sb_clock_timer *t, uint64_t delay_ms, uint64_t repeat_ms)
{
	t->clock->ops->timer_start(t, delay_ms, repeat_ms);
}

void sb_clock_timer_stop(struct sb_clock_timer *t)
{
	if (t)
		t->clock->ops->timer_stop(t);
}

void sb_clock_timer_free(struct sb_clock_timer *t)
{
	if (t)
		t->clock->ops->timer_free(t);
}

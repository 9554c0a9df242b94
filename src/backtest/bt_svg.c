/*
 * bt_svg.c - the report's charts as inline SVG (bt_svg.h). Every coordinate is an integer number of
 * tenths of a pixel: a value or a time is placed by one exact multiply-divide, so no floating point
 * decides what is drawn and the output is the same on every machine.
 */
#include "backtest/bt_svg.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "spotbot/clock.h"

#define MIN_MS  INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)
#define TICKS   6 /* at most this many ticks an axis */

void sb_bt_html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* ---- placing ------------------------------------------------------------------------------------------ */

/* a * b / d rounded half-even, exactly (128 bits); 0 when d is 0 or the result does not fit. */
static int64_t scale(int64_t a, int64_t b, int64_t d)
{
	sb_dec out = 0;
	if (d == 0 || sb_dec_muldiv(a, b, d, SB_ROUND_HALF_EVEN, &out) != SB_OK)
		return 0;
	return out;
}

/* Time t's x in tenths of a pixel, clamped to the plot. */
static int64_t x_of(const struct sb_bt_chart *c, int64_t t)
{
	t = t < c->t0 ? c->t0 : t > c->t1 ? c->t1 : t;
	return 10 * c->left + scale(t - c->t0, 10 * (c->width - c->left - c->right), c->t1 - c->t0);
}

/* Value v's y in tenths of a pixel, clamped to the plot. */
static int64_t y_of(const struct sb_bt_chart *c, sb_dec v)
{
	v = v < c->v0 ? c->v0 : v > c->v1 ? c->v1 : v;
	return 10 * c->top + scale(c->v1 - v, 10 * (c->height - c->top - c->bottom), c->v1 - c->v0);
}

/* Tenths of a pixel as "12.3" ("12" when whole). */
static void px(FILE *f, int64_t tenths)
{
	if (tenths < 0) {
		fputc('-', f);
		tenths = -tenths;
	}
	if (tenths % 10)
		fprintf(f, "%" PRId64 ".%" PRId64, tenths / 10, tenths % 10);
	else
		fprintf(f, "%" PRId64, tenths / 10);
}

static void point(FILE *f, int64_t x, int64_t y)
{
	px(f, x);
	fputc(',', f);
	px(f, y);
	fputc(' ', f);
}

/* ---- axes --------------------------------------------------------------------------------------------- */

/* The smallest of 1, 2, 5 times a power of ten (raw decimal units) that cuts range in at most TICKS. */
static sb_dec value_step(sb_dec range)
{
	static const int64_t mult[] = {1, 2, 5};
	for (sb_dec p = 1; p <= SB_DEC_MAX / 10; p *= 10)
		for (size_t i = 0; i < 3; i++)
			if (range / (p * mult[i]) <= TICKS)
				return p * mult[i];
	return SB_DEC_MAX / 10;
}

static void value_axis(struct sb_bt_chart *c)
{
	sb_dec step = value_step(c->v1 - c->v0);
	sb_dec first = 0;
	(void)sb_dec_round_to(c->v0, step, SB_ROUND_UP, &first);
	for (sb_dec v = first; v <= c->v1; v += step) {
		int64_t y = y_of(c, v);
		char label[SB_DEC_STRLEN];
		sb_dec_format_trim(v, label, sizeof label);
		fprintf(c->f, "<line class=\"grid\" x1=\"%" PRId64 "\" x2=\"%" PRId64 "\" y1=\"", c->left,
		        c->width - c->right);
		px(c->f, y);
		fputs("\" y2=\"", c->f);
		px(c->f, y);
		fprintf(c->f, "\"/><text class=\"vlabel\" x=\"%" PRId64 "\" y=\"", c->left - 6);
		px(c->f, y + 35);
		fprintf(c->f, "\">%s</text>\n", label);
		if (SB_DEC_MAX - step < v)
			break;
	}
}

/* Time ticks: a step in ms below a month, else a number of calendar months. */
struct time_step {
	int64_t ms;    /* the step, 0 for months */
	int months;    /* the step in months */
	size_t label;  /* characters of "YYYY-MM-DDTHH:MM" shown from */
	size_t length; /* and how many */
};

static const struct time_step time_steps[] = {
    {MIN_MS, 0, 11, 5},
    {5 * MIN_MS, 0, 11, 5},
    {15 * MIN_MS, 0, 11, 5},
    {30 * MIN_MS, 0, 11, 5},
    {HOUR_MS, 0, 5, 11},
    {3 * HOUR_MS, 0, 5, 11},
    {6 * HOUR_MS, 0, 5, 11},
    {12 * HOUR_MS, 0, 5, 11},
    {DAY_MS, 0, 0, 10},
    {2 * DAY_MS, 0, 0, 10},
    {7 * DAY_MS, 0, 0, 10},
    {14 * DAY_MS, 0, 0, 10},
    {0, 1, 0, 7},
    {0, 3, 0, 7},
    {0, 6, 0, 7},
    {0, 12, 0, 4},
    {0, 24, 0, 4},
    {0, 60, 0, 4},
};

/* The first tick at or after t: a multiple of step->ms, or the first of a month (a multiple of months). */
static int64_t tick_first(const struct time_step *s, int64_t t)
{
	if (s->ms)
		return (t + s->ms - 1) / s->ms * s->ms;
	time_t secs = (time_t)(t / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int month = tm.tm_year * 12 + tm.tm_mon;
	if (tm.tm_mday != 1 || tm.tm_hour || tm.tm_min || tm.tm_sec || t % 1000)
		month++;
	month = (month + s->months - 1) / s->months * s->months;
	tm = (struct tm){.tm_year = month / 12, .tm_mon = month % 12, .tm_mday = 1};
	return (int64_t)timegm(&tm) * 1000;
}

static int64_t tick_next(const struct time_step *s, int64_t t)
{
	if (s->ms)
		return t + s->ms;
	time_t secs = (time_t)(t / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int month = tm.tm_year * 12 + tm.tm_mon + s->months;
	tm = (struct tm){.tm_year = month / 12, .tm_mon = month % 12, .tm_mday = 1};
	return (int64_t)timegm(&tm) * 1000;
}

static const struct time_step *time_step(int64_t span)
{
	size_t n = sizeof time_steps / sizeof time_steps[0];
	for (size_t i = 0; i < n; i++) {
		int64_t approx = time_steps[i].ms ? time_steps[i].ms : time_steps[i].months * 30 * DAY_MS;
		if (span / approx <= TICKS)
			return &time_steps[i];
	}
	return &time_steps[n - 1];
}

static void time_axis(struct sb_bt_chart *c)
{
	const struct time_step *s = time_step(c->t1 - c->t0);
	for (int64_t t = tick_first(s, c->t0); t <= c->t1; t = tick_next(s, t)) {
		int64_t x = x_of(c, t);
		char iso[SB_CLOCK_RFC3339_MS_SIZE];
		sb_clock_format_rfc3339_ms(t, iso, sizeof iso);
		iso[10] = ' ';
		fputs("<line class=\"grid\" x1=\"", c->f);
		px(c->f, x);
		fputs("\" x2=\"", c->f);
		px(c->f, x);
		fprintf(c->f, "\" y1=\"%" PRId64 "\" y2=\"%" PRId64 "\"/><text class=\"tlabel\" x=\"", c->top,
		        c->height - c->bottom);
		px(c->f, x);
		fprintf(c->f, "\" y=\"%" PRId64 "\">%.*s</text>\n", c->height - c->bottom + 16,
		        (int)s->length, iso + s->label);
	}
}

void sb_bt_chart_open(struct sb_bt_chart *c, const char *id, const char *title, sb_dec lo, sb_dec hi)
{
	sb_dec range = hi - lo;
	sb_dec margin = range > 0 ? range / 20 : (hi > 0 ? hi / 50 : SB_DEC_ONE);
	if (margin == 0)
		margin = 1;
	c->v0 = lo - margin;
	c->v1 = hi + margin;
	if (c->t1 <= c->t0)
		c->t1 = c->t0 + 1;
	fputs("<svg class=\"chart\" id=\"", c->f);
	sb_bt_html_escape(c->f, id);
	fprintf(c->f, "\" viewBox=\"0 0 %" PRId64 " %" PRId64 "\" role=\"img\" aria-label=\"", c->width,
	        c->height);
	sb_bt_html_escape(c->f, title);
	fputs("\">\n", c->f);
	fprintf(c->f,
	        "<rect class=\"plot\" x=\"%" PRId64 "\" y=\"%" PRId64 "\" width=\"%" PRId64
	        "\" height=\"%" PRId64 "\"/>\n",
	        c->left, c->top, c->width - c->left - c->right, c->height - c->top - c->bottom);
	value_axis(c);
	time_axis(c);
}

void sb_bt_chart_close(struct sb_bt_chart *c)
{
	fputs("</svg>\n", c->f);
}

/* ---- series ------------------------------------------------------------------------------------------- */

/* The end of the run of buckets starting at i: the next unset bucket (or n; when connect, n). */
static size_t run_end(const struct sb_bt_series *s, size_t i, bool connect)
{
	if (connect)
		return s->n;
	while (i < s->n && s->pt[i].set)
		i++;
	return i;
}

static void band(struct sb_bt_chart *c, const struct sb_bt_series *s, size_t a, size_t b, const char *cls)
{
	fprintf(c->f, "<polygon class=\"%s-band\" points=\"", cls);
	for (size_t i = a; i < b; i++)
		if (s->pt[i].set)
			point(c->f, x_of(c, sb_bt_series_time(s, i)), y_of(c, s->pt[i].high));
	for (size_t i = b; i-- > a;)
		if (s->pt[i].set)
			point(c->f, x_of(c, sb_bt_series_time(s, i)), y_of(c, s->pt[i].low));
	fputs("\"/>\n", c->f);
}

void sb_bt_chart_series(struct sb_bt_chart *c, const struct sb_bt_series *s, const char *cls, bool with_band,
                        bool connect)
{
	for (size_t a = 0; a < s->n;) {
		if (!s->pt[a].set) {
			a++;
			continue;
		}
		size_t b = run_end(s, a, connect);
		if (with_band)
			band(c, s, a, b, cls);
		fprintf(c->f, "<polyline class=\"%s\" points=\"", cls);
		for (size_t i = a; i < b; i++)
			if (s->pt[i].set)
				point(c->f, x_of(c, sb_bt_series_time(s, i)), y_of(c, s->pt[i].last));
		fputs("\"/>\n", c->f);
		a = b;
	}
}

void sb_bt_chart_marks(struct sb_bt_chart *c, const struct sb_bt_mark *m, size_t n, const char *base)
{
	for (size_t i = 0; i < n; i++) {
		int64_t x = x_of(c, m[i].time_ms), y = y_of(c, m[i].price);
		char price[SB_DEC_STRLEN], qty[SB_DEC_STRLEN], iso[SB_CLOCK_RFC3339_MS_SIZE];
		sb_dec_format_trim(m[i].price, price, sizeof price);
		sb_dec_format_trim(m[i].qty, qty, sizeof qty);
		sb_clock_format_rfc3339_ms(m[i].time_ms, iso, sizeof iso);
		fprintf(c->f, "<path class=\"%s\" d=\"M", m[i].buy ? "buy" : "sell");
		point(c->f, x, y);
		fprintf(c->f, "l-5 %s h10z\"><title>%s %s ", m[i].buy ? "9" : "-9", m[i].buy ? "buy" : "sell",
		        qty);
		sb_bt_html_escape(c->f, base);
		fprintf(c->f, " at %s, %.10s %.5s (%" PRId64 " fill%s)</title></path>\n", price, iso,
		        iso + 11, m[i].fills, m[i].fills == 1 ? "" : "s");
	}
}

void sb_bt_chart_stretch(struct sb_bt_chart *c, int64_t from_ms, int64_t to_ms, const char *cls,
                         const char *label)
{
	int64_t a = x_of(c, from_ms), b = x_of(c, to_ms);
	fprintf(c->f, "<rect class=\"%s\" x=\"", cls);
	px(c->f, a);
	fprintf(c->f, "\" y=\"%" PRId64 "\" width=\"", c->top);
	px(c->f, b - a > 10 ? b - a : 10);
	fprintf(c->f, "\" height=\"%" PRId64 "\"/><text class=\"%s-label\" x=\"",
	        c->height - c->top - c->bottom, cls);
	px(c->f, a + 40);
	fprintf(c->f, "\" y=\"%" PRId64 "\">", c->top + 14);
	sb_bt_html_escape(c->f, label);
	fputs("</text>\n", c->f);
}

/* ---- bars --------------------------------------------------------------------------------------------- */

void sb_bt_chart_bars(FILE *f, const char *id, const char *title, const char *const *labels,
                      const int64_t *counts, size_t n, int64_t width, int64_t height)
{
	const int64_t top = 24, bottom = 28, side = 12;
	int64_t max = 1;
	for (size_t i = 0; i < n; i++)
		max = counts[i] > max ? counts[i] : max;
	fputs("<svg class=\"chart bars\" id=\"", f);
	sb_bt_html_escape(f, id);
	fprintf(f, "\" viewBox=\"0 0 %" PRId64 " %" PRId64 "\" role=\"img\" aria-label=\"", width, height);
	sb_bt_html_escape(f, title);
	fputs("\">\n", f);
	int64_t slot = n ? (width - 2 * side) / (int64_t)n : 0, plot = height - top - bottom;
	for (size_t i = 0; i < n; i++) {
		int64_t h = scale(counts[i], plot, max), x = side + (int64_t)i * slot;
		fprintf(f,
		        "<rect class=\"bar\" x=\"%" PRId64 "\" y=\"%" PRId64 "\" width=\"%" PRId64
		        "\" height=\"%" PRId64 "\"><title>%" PRId64 "</title></rect>\n",
		        x + 6, top + plot - h, slot - 12, h, counts[i]);
		fprintf(f, "<text class=\"count\" x=\"%" PRId64 "\" y=\"%" PRId64 "\">%" PRId64 "</text>\n",
		        x + slot / 2, top + plot - h - 6, counts[i]);
		fprintf(f, "<text class=\"tlabel\" x=\"%" PRId64 "\" y=\"%" PRId64 "\">", x + slot / 2,
		        height - bottom + 18);
		sb_bt_html_escape(f, labels[i]);
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
}

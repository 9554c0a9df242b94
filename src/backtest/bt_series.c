/*
 * bt_series.c - the bounded time series (bt_series.h): buckets of low, high and last, merged pairwise
 * when the span outgrows them.
 */
#include "backtest/bt_series.h"

#include <string.h>

void sb_bt_series_init(struct sb_bt_series *s)
{
	memset(s, 0, sizeof *s);
	s->step_ms = SB_BT_SERIES_STEP_MS;
}

/* b folded into a: the extremes of both, the last of b (the later). */
static struct sb_bt_point merge(struct sb_bt_point a, struct sb_bt_point b)
{
	if (!b.set)
		return a;
	if (!a.set)
		return b;
	a.low = b.low < a.low ? b.low : a.low;
	a.high = b.high > a.high ? b.high : a.high;
	a.last = b.last;
	return a;
}

/* Halves the resolution: buckets 2i and 2i+1 become bucket i, of twice the length. */
static void halve(struct sb_bt_series *s)
{
	for (size_t i = 0; i < SB_BT_SERIES_CAP / 2; i++)
		s->pt[i] = merge(s->pt[2 * i], s->pt[2 * i + 1]);
	memset(&s->pt[SB_BT_SERIES_CAP / 2], 0, SB_BT_SERIES_CAP / 2 * sizeof s->pt[0]);
	s->n = (s->n + 1) / 2;
	s->step_ms *= 2;
}

void sb_bt_series_add(struct sb_bt_series *s, int64_t t, sb_dec low, sb_dec high, sb_dec last)
{
	if (s->n == 0 && !s->pt[0].set)
		s->start_ms = t;
	int64_t off = t > s->start_ms ? t - s->start_ms : 0;
	while ((uint64_t)(off / s->step_ms) >= SB_BT_SERIES_CAP)
		halve(s);
	size_t i = (size_t)(off / s->step_ms);
	struct sb_bt_point p = {.low = low, .high = high, .last = last, .set = true};
	s->pt[i] = merge(s->pt[i], p);
	if (i + 1 > s->n)
		s->n = i + 1;
}

int64_t sb_bt_series_time(const struct sb_bt_series *s, size_t i)
{
	return s->start_ms + (int64_t)i * s->step_ms;
}

bool sb_bt_series_range(const struct sb_bt_series *s, sb_dec *low, sb_dec *high)
{
	bool any = false;
	for (size_t i = 0; i < s->n; i++) {
		const struct sb_bt_point *p = &s->pt[i];
		if (!p->set)
			continue;
		if (!any || p->low < *low)
			*low = p->low;
		if (!any || p->high > *high)
			*high = p->high;
		any = true;
	}
	return any;
}

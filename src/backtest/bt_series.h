/*
 * bt_series.h - a time series of bounded size, whatever the length of the run: values fall into buckets
 * of a fixed market interval, each bucket keeping the lowest, the highest and the last value it saw.
 * When a value falls beyond the last bucket, neighbouring buckets merge pairwise and the interval
 * doubles, so a series holds between half of SB_BT_SERIES_CAP and SB_BT_SERIES_CAP buckets over any
 * span, and the merged buckets are exactly what the coarser interval would have collected (the extremes
 * of both, the last of the later). Values are sb_dec (prices, equity): no floating point.
 */
#ifndef BACKTEST_BT_SERIES_H
#define BACKTEST_BT_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"

#define SB_BT_SERIES_CAP     2048  /* buckets of one series: 64 KiB */
#define SB_BT_SERIES_STEP_MS 60000 /* a new series' bucket: one minute of market time */

/* What one bucket saw. */
struct sb_bt_point {
	sb_dec low;  /* the lowest value */
	sb_dec high; /* the highest value */
	sb_dec last; /* the last value, in time order */
	bool set;    /* a value fell into the bucket (a hole in the data leaves it empty) */
};

struct sb_bt_series {
	int64_t start_ms;                        /* the first bucket starts here: the first value's time */
	int64_t step_ms;                         /* each bucket's length; doubles when the series is full */
	size_t n;                                /* buckets in use: pt[n - 1] holds the latest value */
	struct sb_bt_point pt[SB_BT_SERIES_CAP]; /* the buckets, oldest first */
};

/* Empties s; its first value fixes its start. */
void sb_bt_series_init(struct sb_bt_series *s);

/* Records low, high and last seen at t (not before the previous value's bucket). */
void sb_bt_series_add(struct sb_bt_series *s, int64_t t, sb_dec low, sb_dec high, sb_dec last);

/* Start of bucket i. */
int64_t sb_bt_series_time(const struct sb_bt_series *s, size_t i);

/* The lowest low and highest high of the set buckets into *low, *high; false when none is set. */
bool sb_bt_series_range(const struct sb_bt_series *s, sb_dec *low, sb_dec *high);

#endif

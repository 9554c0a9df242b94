/*
 * bt_svg.h - the charts of a backtest's HTML report, drawn as inline SVG: a time axis and a value axis
 * with round ticks, a series (bt_series.h) as a line with its low-high band, fill markers, a shaded
 * stretch of time, and a bar chart. Coordinates are computed in integers (tenths of a pixel, through
 * sb_dec's exact 128-bit arithmetic), so the same data always draws the same bytes; every text is
 * escaped for HTML.
 */
#ifndef BACKTEST_BT_SVG_H
#define BACKTEST_BT_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backtest/bt_report.h"
#include "backtest/bt_series.h"

/* One chart being drawn: its box and what its axes span. */
struct sb_bt_chart {
	FILE *f;               /* where the SVG goes */
	int64_t width, height; /* the drawing's size, px */
	int64_t left, right;   /* margins, px: the value labels on the left */
	int64_t top, bottom;   /* margins, px: the time labels below */
	int64_t t0, t1;        /* the time axis, ms */
	sb_dec v0, v1;         /* the value axis, low to high */
	const char *unit;      /* a word after the value labels' last ("USDT"); NULL: none */
};

/* Writes s with &, <, >, " and ' escaped. */
void sb_bt_html_escape(FILE *f, const char *s);

/*
 * Fits the value axis to [lo, hi] with a margin (a flat range gets one around it), then opens the
 * <svg> of class "chart" with id, its title (aria-label) and the axes with their grid.
 */
void sb_bt_chart_open(struct sb_bt_chart *c, const char *id, const char *title, sb_dec lo, sb_dec hi);

/* Closes the chart's </svg>. */
void sb_bt_chart_close(struct sb_bt_chart *c);

/*
 * Draws s: its last values as a polyline of class cls, and when band its low-high band behind it
 * (class cls-band). Buckets left empty by a hole in the data break the line unless connect.
 */
void sb_bt_chart_series(struct sb_bt_chart *c, const struct sb_bt_series *s, const char *cls, bool band,
                        bool connect);

/* Draws the markers m[0..n): a buy as a triangle up (class buy), a sell down (class sell); base names
 * the quantity's asset in their tooltips. */
void sb_bt_chart_marks(struct sb_bt_chart *c, const struct sb_bt_mark *m, size_t n, const char *base);

/* Shades [from_ms, to_ms] across the plot with class cls, with label at its top. */
void sb_bt_chart_stretch(struct sb_bt_chart *c, int64_t from_ms, int64_t to_ms, const char *cls,
                         const char *label);

/* A bar chart of counts[0..n) under labels[0..n), id and title as above, width x height px. */
void sb_bt_chart_bars(FILE *f, const char *id, const char *title, const char *const *labels,
                      const int64_t *counts, size_t n, int64_t width, int64_t height);

#endif

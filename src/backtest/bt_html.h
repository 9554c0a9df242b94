/*
 * bt_html.h - `spotbot backtest --report FILE.html`: the results as one self-contained HTML page, written
 * by spotbot itself with no template engine and nothing fetched (no script, style sheet, font or image
 * from elsewhere): the summary, the account's equity against holding with its largest drawdown, each
 * pair's price with its buys and sells, the holding-time distribution, the table per pair, the run's
 * parameters and what the model cannot know. Charts are inline SVG (bt_svg.h); every string is escaped.
 *
 * The page carries one small inline script that checks its own charts once loaded (each has a line with
 * points, and a size on screen) and writes the outcome into the body's data-check attribute, for tests
 * in a real browser. The same report always gives the same bytes.
 */
#ifndef BACKTEST_BT_HTML_H
#define BACKTEST_BT_HTML_H

#include <stdio.h>

#include "backtest/bt_report.h"

/* Writes report r (with its tracker, r->track, for the charts; without one the charts are left out). */
void sb_bt_report_html(const struct sb_bt_report *r, FILE *f);

#endif

/*
 * bt_rank.h - a sweep's runs ranked by one measure of their results, and the sweep as one JSON object.
 *
 * The measures are figures of a run's total (bt_report.h), read from the run's own JSON; one table says,
 * for each, its name for --rank, whether higher or lower is better, and what it is (the --help text and
 * docs/backtest.md follow it). Every value is an integer or an exact decimal, compared without floating
 * point; runs that measure the same are ranked in grid order, so a sweep's ranking never depends on which
 * of its processes finished first.
 */
#ifndef BACKTEST_BT_RANK_H
#define BACKTEST_BT_RANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backtest/bt_grid.h"
#include "backtest/bt_sweep.h"

#define SB_BT_RANK_DEFAULT "realized_profit" /* the measure when --rank is not given */

struct cJSON;

/* How a measure's value is written. */
enum sb_bt_measure_unit {
	SB_BT_MEASURE_COUNT, /* an integer */
	SB_BT_MEASURE_DEC,   /* an sb_dec amount in the quote asset */
	SB_BT_MEASURE_MS,    /* a duration in milliseconds */
};

/* One measure a sweep can be ranked by. */
struct sb_bt_measure {
	const char *name;             /* as --rank takes it */
	const char *field;            /* its key in the run's "total"; NULL when computed (fees) */
	const char *head;             /* its column's heading in the sweep's table */
	enum sb_bt_measure_unit unit; /* how its value reads */
	bool higher;                  /* higher is better (else lower is) */
	const char *help;             /* one sentence for --help and the docs */
};

/* The measures in documentation order; *n receives their number. Static storage. */
const struct sb_bt_measure *sb_bt_measures(size_t *n);

/* The measure called name, or NULL. */
const struct sb_bt_measure *sb_bt_measure_find(const char *name);

/*
 * The measure's value for a run's JSON object (sb_bt_report_json's): counts and milliseconds as integers,
 * amounts as raw sb_dec. `fees` is every commission valued in the pair's quote asset: a commission in the
 * quote asset as it is, one in the base asset at the pair's last price; one in another asset is not
 * counted. A figure missing from the report counts as 0.
 */
int64_t sb_bt_measure_value(const struct sb_bt_measure *m, const struct cJSON *report);

/*
 * Ranks the sweep's runs that are done by m, best first, runs with the same value in grid order: their
 * point indices into order (room for s->npoints). Returns how many.
 */
size_t sb_bt_rank(const struct sb_bt_sweep *s, const struct sb_bt_measure *m, size_t *order);

/* "profit=0.2% stop_loss=off": point's settings, in the order of the grid's axes, into buf. */
void sb_bt_rank_settings(const struct sb_bt_grid *g, size_t point, char *buf, size_t cap);

/*
 * Writes the sweep as one JSON object and a newline: the measure ("rank", "better"), the data's window
 * ("from", "to", "candles", from the first run done), "runs" ranked ({"point", "settings", "total",
 * "pairs"}), and "not_ranked" in grid order ({"point", "settings", "state", "reason"}). Points are
 * numbered from 1 in grid order.
 */
void sb_bt_rank_json(const struct sb_bt_sweep *s, const struct sb_bt_grid *g, const struct sb_bt_measure *m,
                     FILE *f);

/* "refused", "failed" or "not run" for a point not done; "done" for one done. */
const char *sb_bt_point_state_name(enum sb_bt_point_state st);

#endif

/*
 * bt_sweep.h - a parameter sweep: one backtest per point of a grid (bt_grid.h), each in a process of its
 * own, at most `jobs` at once, their results collected in grid order.
 *
 * The parent builds each point's configuration (the configuration with the point's PAIRS value) and checks
 * it with sb_bot_check_config, as `run` would; a point refused there is recorded as refused with the
 * check's words and no process is started for it. Every other point is run by a forked child calling
 * sb_bt_run, which writes the run's JSON (sb_bt_report_json), or the reason it failed, into a pipe to the
 * parent and exits. A child that fails or dies is recorded with its reason and the others still count.
 * SIGINT or SIGTERM to the parent stops every running child (SIGTERM), waits for them and ends the sweep
 * as interrupted. Nothing in a child's result depends on when it ran, so the results, and everything
 * printed from them, are the same whatever the scheduling.
 */
#ifndef BACKTEST_BT_SWEEP_H
#define BACKTEST_BT_SWEEP_H

#include <stdbool.h>
#include <stddef.h>

#include "backtest/bt_grid.h"
#include "backtest/bt_run.h"
#include "spotbot/error.h"

#define SB_BT_SWEEP_JOBS_MAX   64                 /* processes a sweep runs at once */
#define SB_BT_SWEEP_RESULT_MAX (16 * 1024 * 1024) /* bytes a child's result may take */
#define SB_BT_SWEEP_REASON_MAX 512                /* bytes of a point's reason, with its NUL */

struct cJSON;

/* What became of one point. */
enum sb_bt_point_state {
	SB_BT_POINT_NOT_RUN, /* never started: the sweep was interrupted first */
	SB_BT_POINT_DONE,    /* ran; report holds its results */
	SB_BT_POINT_REFUSED, /* its configuration is one `run` refuses; reason says why */
	SB_BT_POINT_FAILED,  /* its run failed or its process died; reason says why */
};

/* One point of the grid and its outcome. */
struct sb_bt_point {
	enum sb_bt_point_state state;        /* what became of it */
	bool user_error;                     /* refused, or failed for bad input (exit 2 of a single run) */
	char reason[SB_BT_SWEEP_REASON_MAX]; /* why it is refused or failed; "" when done */
	struct cJSON *report;                /* done: the run's JSON object (owned) */
};

struct sb_bt_sweep_opts {
	const struct sb_bt_run_opts *run; /* the backtest; run->cfg is the configuration the points change */
	const struct sb_bt_grid *grid;    /* the points */
	unsigned jobs;                    /* processes at once, 1..SB_BT_SWEEP_JOBS_MAX; 0: one per core */
};

/* A sweep's outcome. */
struct sb_bt_sweep {
	struct sb_bt_point *points; /* one per grid point, in grid order (owned) */
	size_t npoints;             /* entries of points */
	bool interrupted;           /* SIGINT or SIGTERM stopped it */
};

/* The number of processes a sweep runs at once for jobs (0: the cores online), at most npoints. */
unsigned sb_bt_sweep_jobs(unsigned jobs, size_t npoints);

/*
 * Runs every point of o->grid into *out (sb_bt_sweep_fini, also on error). SB_OK when the sweep ran,
 * whatever became of each point; an error (err, cap bytes, says which) when it could not run at all: the
 * configuration itself is refused (SB_ERR_CONFIG), the data cannot be opened (the kline set's errors),
 * or no process could be started (SB_ERR_IO).
 */
sb_err sb_bt_sweep_run(const struct sb_bt_sweep_opts *o, struct sb_bt_sweep *out, char *err, size_t cap);

/* Frees what the sweep owns; harmless on a zeroed one. */
void sb_bt_sweep_fini(struct sb_bt_sweep *s);

#endif

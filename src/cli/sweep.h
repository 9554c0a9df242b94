/*
 * sweep.h - the sweep options of `spotbot backtest` (cmd_backtest_sweep.c): --set, --rank and --jobs as
 * cmd_backtest.c's parser collects them, and the sweep run with them.
 */
#ifndef SPOTBOT_CLI_SWEEP_H
#define SPOTBOT_CLI_SWEEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "backtest/bt_grid.h"
#include "backtest/bt_rank.h"
#include "backtest/bt_run.h"

/* The sweep options of one command line. */
struct sb_cmd_sweep_args {
	const char *sets[SB_BT_GRID_AXES_MAX]; /* --set values, in order */
	size_t nsets;                          /* entries of sets; 0: no sweep */
	const struct sb_bt_measure *rank;      /* --rank; NULL: SB_BT_RANK_DEFAULT */
	unsigned jobs;                         /* --jobs; 0: one per core */
};

/* Takes option opt ("--set", "--rank" or "--jobs") with its value v into s; false with err (cap bytes)
 * saying what is wrong. --set values are checked later, against the configuration's PAIRS. */
bool sb_cmd_backtest_sweep_opt(const char *opt, const char *v, struct sb_cmd_sweep_args *s, char *err,
                               size_t cap);

/* Writes the measures --rank takes, for --help. */
void sb_cmd_backtest_sweep_help(FILE *f);

/* Runs the sweep of run (its cfg loaded and its secrets registered) and prints it; returns the exit code. */
int sb_cmd_backtest_sweep(const struct sb_bt_run_opts *run, const struct sb_cmd_sweep_args *s, bool json);

#endif

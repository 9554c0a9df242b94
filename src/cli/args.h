/*
 * args.h - the argument parsers of the commands that take more than the shared read-only options, as pure
 * functions: argv (argv[0] the command name) in, what the command would do out, nothing run, no file read
 * and no request made. The commands call them first; the fuzz target tests/fuzz/fuzz_cli.c feeds them
 * arbitrary argument vectors. Each returns SB_EXIT_OK, -1 after printing the usage for --help, or
 * SB_EXIT_USAGE after printing what was wrong.
 */
#ifndef SPOTBOT_CLI_ARGS_H
#define SPOTBOT_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtest/bt_run.h"
#include "cli/sweep.h"
#include "spotbot/pairs.h"

#define SB_CLI_PAIRS_ARGS_MAX    64  /* key=value arguments of one pairs command */
#define SB_CLI_BACKTEST_DATA_MAX 256 /* backtest --data paths */

/* A manual action (cmd_act.c): the control API request it makes. */
struct sb_cli_act {
	const char *config; /* --config FILE; NULL: ./.env */
	const char *id;     /* the position acted on (sell, cancel, abandon, reprice), or NULL */
	char url[160];      /* path and query to POST */
	int64_t wait_ms;    /* --timeout: how long the action's outcome is followed */
};

/* sell|cancel|abandon POSITION-ID (position true) or pause|resume [SYMBOL] (position false). */
int sb_cli_act_parse(int argc, char **argv, bool position, struct sb_cli_act *out);

/* reprice POSITION-ID PRICE [--force]. */
int sb_cli_reprice_parse(int argc, char **argv, struct sb_cli_act *out);

/* What a pairs add|set|enable|disable|remove command line asked for (cmd_pairs.c). */
struct sb_cli_pairs_req {
	const char *sub;                       /* add, set, enable, disable, remove (argv[0]) */
	const char *symbol;                    /* SYMBOL, upper-cased in place */
	const char *kv[SB_CLI_PAIRS_ARGS_MAX]; /* key=value arguments, checked */
	size_t nkv;                            /* entries */
	const char *config;                    /* --config FILE; NULL: ./.env */
	bool json;                             /* --json */
	struct sb_pair_cfg cfg;                /* the settings the arguments give (add: on the defaults) */
};

int sb_cli_pairs_parse(int argc, char **argv, struct sb_cli_pairs_req *q);

/* What a backtest command line asked for (cmd_backtest.c). */
struct sb_cli_backtest_args {
	const char *config;                          /* --config */
	const char *paths[SB_CLI_BACKTEST_DATA_MAX]; /* --data */
	size_t npaths;                               /* entries of paths */
	struct sb_bt_run_opts run;                   /* the rest */
	bool json;                                   /* --json */
	const char *report;                          /* --report */
	struct sb_cmd_sweep_args sweep;              /* --set, --rank, --jobs */
};

int sb_cli_backtest_parse(int argc, char **argv, struct sb_cli_backtest_args *a);

#endif

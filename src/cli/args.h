/*
 * args.h - the commands' argument parsers as pure functions: argv (argv[0] the command name) in, what the
 * command would do out, nothing run, no file read and no request made. The commands call them first; the
 * fuzz target tests/fuzz/fuzz_cli.c feeds them arbitrary argument vectors. Each returns SB_EXIT_OK, -1
 * after printing the usage for --help (on stdout), or SB_EXIT_USAGE after printing what was wrong (on
 * stderr). They use getopt_long or their own loop; each starts getopt afresh, so one process may call them
 * any number of times.
 */
#ifndef SPOTBOT_CLI_ARGS_H
#define SPOTBOT_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtest/bt_run.h"
#include "cli/sweep.h"
#include "spotbot/download.h"
#include "spotbot/pairs.h"
#include "spotbot/rules.h"
#include "spotbot/store.h"

#define SB_CLI_PAIRS_ARGS_MAX    64     /* key=value arguments of one pairs command */
#define SB_CLI_BACKTEST_DATA_MAX 256    /* backtest --data paths */
#define SB_CLI_VIEW_LIMIT        100    /* rows a read-only view shows when --limit is not given */
#define SB_CLI_EVENTS_LIMIT_MAX  100000 /* events --limit's bound: events one call keeps in memory */

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

/*
 * What a read-only view's command line asked for (cmd_read.c: status, positions, history, orders, pairs
 * [list], pnl, events). Each view takes only some of the options; the others keep their defaults.
 */
struct sb_cli_view_args {
	const char *config;            /* --config FILE; NULL: ./.env */
	bool json;                     /* --json */
	char symbol[SB_SYMBOL_MAX];    /* --symbol, ASCII letters upper-cased; "": every symbol */
	size_t limit;                  /* --limit, 1 to the view's bound; SB_CLI_VIEW_LIMIT by default */
	int64_t from_ms;               /* --since, > 0; 0 when not given */
	int64_t to_ms;                 /* --until, > 0 and after from_ms; 0 when not given */
	enum sb_store_pos_which which; /* positions --open|--closed|--all, orders --open; ALL by default */
	bool by_status;                /* orders --status given */
	enum sb_order_state status;    /* orders --status, when by_status */
	int64_t position_id;           /* orders --position, >= 1; 0 when not given */
	const char *kind;              /* events --kind (an argv string), shorter than SB_STORE_KIND_MAX */
	bool by_pair;                  /* pnl: the by-pair table (--by pair, or no --by) */
	bool by_day;                   /* pnl: the by-day table (--by day, or no --by) */
	bool enabled_only;             /* pairs --enabled */
};

/* The views' parsers; now_ms is the "now" an age such as --since 2h counts back from. */
int sb_cli_status_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);
int sb_cli_positions_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);
int sb_cli_history_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);
int sb_cli_orders_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);
int sb_cli_pairs_list_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);
int sb_cli_pnl_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);
int sb_cli_events_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);

/* backup [--config FILE] [--json] DEST (cmd_backup.c). */
struct sb_cli_backup_args {
	const char *config; /* --config FILE; NULL: ./.env */
	bool json;          /* --json */
	const char *dst;    /* DEST: the copy's path, not empty */
};

int sb_cli_backup_parse(int argc, char **argv, struct sb_cli_backup_args *a);

/* A command of the shape CMD [--config FILE] [--json] FILE (backup, restore). */
struct sb_cli_file_cmd {
	const char *name;    /* "backup" */
	const char *usage;   /* its usage text */
	const char *missing; /* the complaint when FILE is missing */
};

/* Parses argv for cmd into a (a->dst is FILE): SB_EXIT_OK, -1 after --help, or SB_EXIT_USAGE. */
int sb_cli_file_parse(int argc, char **argv, const struct sb_cli_file_cmd *cmd, struct sb_cli_backup_args *a);

/* restore [--config FILE] [--json] BACKUP (cmd_restore.c); a->dst is BACKUP. */
int sb_cli_restore_parse(int argc, char **argv, struct sb_cli_backup_args *a);

/* doctor [--config FILE] [--json] (cmd_doctor.c). */
struct sb_cli_doctor_args {
	const char *config; /* --config FILE; NULL: ./.env */
	bool json;          /* --json */
};

int sb_cli_doctor_parse(int argc, char **argv, struct sb_cli_doctor_args *a);

/* data download SYMBOL INTERVAL FROM TO [--dir D] [--base-url URL] [--json] (cmd_data.c). */
struct sb_cli_data_args {
	struct sb_dl_request rq; /* the files asked for: SYMBOL upper-cased in place; checked by sb_dl_plan */
	bool json;               /* --json */
};

int sb_cli_data_parse(int argc, char **argv, struct sb_cli_data_args *a);

/* config [--config FILE] [--check | --show | --example | --markdown] (cmd_config.c). */
enum sb_cli_config_action {
	SB_CLI_CONFIG_CHECK,    /* validate as run does (the default) */
	SB_CLI_CONFIG_SHOW,     /* print the resolved configuration, secrets redacted */
	SB_CLI_CONFIG_EXAMPLE,  /* print .env.example */
	SB_CLI_CONFIG_MARKDOWN, /* print the options table of docs/configuration.md */
};

struct sb_cli_config_args {
	const char *config;               /* --config FILE; NULL: ./.env */
	enum sb_cli_config_action action; /* the one action asked for (repeating it is allowed) */
};

int sb_cli_config_parse(int argc, char **argv, struct sb_cli_config_args *a);

/* run [--config FILE] [--human] (cmd_run.c). */
struct sb_cli_run_args {
	const char *config; /* --config FILE; NULL: ./.env */
	bool human;         /* --human */
};

int sb_cli_run_parse(int argc, char **argv, struct sb_cli_run_args *a);

#endif

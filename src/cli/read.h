/*
 * read.h - what the read-only commands (cmd_read.c, cmd_positions.c, cmd_report.c, cmd_status.c) share:
 * the per-command context, the options and their parser behind the sb_cli_<view>_parse functions of
 * args.h, and JSON helpers.
 */
#ifndef SPOTBOT_CLI_READ_H
#define SPOTBOT_CLI_READ_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/args.h"
#include "cli/table.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

/* What every read-only command shares: its name, options, configuration and store. */
struct ctx {
	const char *cmd;      /* "positions", for messages */
	const char *config;   /* --config FILE, or NULL for ./.env */
	bool json;            /* --json */
	bool color;           /* paint table cells (stdout is a terminal) */
	struct sb_config cfg; /* loaded by open_db */
	bool cfg_loaded;      /* cfg needs sb_config_fini */
	struct sb_store *st;  /* opened read-only by open_db */
	int64_t now_ms;       /* one "now" for every row, so durations agree */
};

/* Long options every read-only command accepts; commands append their own. */
#define COMMON_LONG_OPTS                                                                                     \
	{"config", required_argument, NULL, 'c'}, {"json", no_argument, NULL, 'j'},                          \
	{                                                                                                    \
		"help", no_argument, NULL, 'h'                                                               \
	}
#define COMMON_USAGE                                                                                         \
	"  --config FILE  read FILE instead of ./.env\n"                                                     \
	"  --json         print JSON instead of a table\n"

/* A view's options, each with the letter read_view_parse knows it by. */
/* clang-format off */
#define READ_OPT_OPEN     {"open", no_argument, NULL, 'o'}
#define READ_OPT_CLOSED   {"closed", no_argument, NULL, 'C'}
#define READ_OPT_ALL      {"all", no_argument, NULL, 'a'}
#define READ_OPT_ENABLED  {"enabled", no_argument, NULL, 'e'}
#define READ_OPT_SYMBOL   {"symbol", required_argument, NULL, 's'}
#define READ_OPT_LIMIT    {"limit", required_argument, NULL, 'n'}
#define READ_OPT_SINCE    {"since", required_argument, NULL, 'S'}
#define READ_OPT_UNTIL    {"until", required_argument, NULL, 'U'}
#define READ_OPT_STATUS   {"status", required_argument, NULL, 't'}
#define READ_OPT_POSITION {"position", required_argument, NULL, 'p'}
#define READ_OPT_KIND     {"kind", required_argument, NULL, 'k'}
#define READ_OPT_BY       {"by", required_argument, NULL, 'b'}
#define READ_OPT_END      {NULL, 0, NULL, 0}
/* clang-format on */

/* A view's command line, as its sb_cli_<view>_parse describes it to read_view_parse. */
struct read_view {
	const char *cmd;            /* "positions", for messages */
	const char *usage;          /* the command's usage text, printed for --help and with every error */
	const struct option *longs; /* COMMON_LONG_OPTS, some READ_OPT_*, READ_OPT_END */
	size_t limit_max;           /* --limit's bound */
	bool list_word;             /* the word "list" may follow the options (pairs) */
};

/* The parser behind the sb_cli_<view>_parse functions of args.h, with their answers. */
int read_view_parse(const struct read_view *v, int argc, char **argv, int64_t now_ms,
                    struct sb_cli_view_args *a);

typedef int (*read_parse_fn)(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a);

/*
 * Parses a view's command line with parse, on the wall clock's now, and readies c for the view (cmd names
 * it in messages). Returns -1 when the view goes on (c to be finished with read_ctx_fini), or the exit
 * code to return now: SB_EXIT_OK after --help, SB_EXIT_USAGE after a bad argument.
 */
int read_ctx_start(struct ctx *c, const char *cmd, read_parse_fn parse, int argc, char **argv,
                   struct sb_cli_view_args *a);

int read_fail(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void read_ctx_fini(struct ctx *c);

/* Loads the configuration and opens its database read-only. Returns SB_EXIT_OK or the exit code. */
int read_open_db(struct ctx *c);

int read_store_fail(const struct ctx *c, const char *what, sb_err e);

/* A point in time: RFC 3339 ("2026-11-25T08:00:00Z"), a UTC date ("2026-11-25") or an age ("90m", "2h",
 * "7d": that long before now). */
bool read_parse_when(const char *s, int64_t now_ms, int64_t *out);

void read_json_dec(cJSON *o, const char *key, sb_dec v);

/* A decimal that means "none" when zero (a sell price not yet set). */
void read_json_dec_or_null(cJSON *o, const char *key, sb_dec v);

void read_json_time(cJSON *o, const char *key, int64_t ms);

/* Integers below 2^53 are exact in a JSON number; ids, counts and milliseconds all are. */
void read_json_int(cJSON *o, const char *key, int64_t v);

void read_json_int_or_null(cJSON *o, const char *key, int64_t v);

void read_json_str_or_null(cJSON *o, const char *key, const char *s);

/* Prints doc to stdout and frees it. */
int read_json_print(cJSON *doc);

/* A rate as a percentage for people: 0.005 is "0.5%". */
const char *read_percent(sb_dec rate, char *buf, size_t cap);

/* Totals over the by-pair realised-profit rows (cmd_report.c); false on overflow. */
bool read_pnl_total(const struct sb_store_pnl *rows, size_t n, struct sb_store_pnl *tot);

#endif

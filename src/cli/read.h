/*
 * read.h - what the read-only commands (cmd_read.c, cmd_positions.c, cmd_report.c, cmd_status.c) share:
 * the per-command context, the common options, argument parsers and JSON helpers.
 */
#ifndef SPOTBOT_CLI_READ_H
#define SPOTBOT_CLI_READ_H

#include <cjson/cJSON.h>
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/table.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

#define DEFAULT_LIMIT 100 /* rows shown when --limit is not given */

/* What every read-only command shares: its name and usage, options, configuration and store. */
struct ctx {
	const char *cmd;      /* "positions", for messages */
	const char *usage;    /* the command's usage text */
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

int read_bad_usage(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int read_fail(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void read_ctx_init(struct ctx *c, const char *cmd, const char *usage);

void read_ctx_fini(struct ctx *c);

/*
 * Handles the options every command shares and getopt's errors. Returns -1 when ch was handled and parsing
 * goes on, or the exit code to return now (usage printed for --help or a bad option).
 */
int read_common_opt(struct ctx *c, int ch, char **argv);

/* Loads the configuration and opens its database read-only. Returns SB_EXIT_OK or the exit code. */
int read_open_db(struct ctx *c);

int read_store_fail(const struct ctx *c, const char *what, sb_err e);

bool read_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);

int read_opt_limit(const struct ctx *c, const char *arg, size_t max, size_t *out);

/* A symbol as typed: ASCII letters are upper-cased ("btcusdt" is BTCUSDT); no spaces or controls. */
int read_opt_symbol(const struct ctx *c, const char *arg, char *out, size_t cap);

/* A point in time: RFC 3339 ("2026-11-25T08:00:00Z"), a UTC date ("2026-11-25") or an age ("90m", "2h",
 * "7d": that long before now). */
bool read_parse_when(const char *s, int64_t now_ms, int64_t *out);

int read_opt_when(const struct ctx *c, const char *name, const char *arg, int64_t *out);

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

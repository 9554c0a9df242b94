/*
 * cmd_read.c - what the read-only views of the database share (read.h): the context with its options,
 * configuration and read-only store, the parser of their command lines (read_view_parse: one getopt_long
 * loop behind the sb_cli_<view>_parse functions of args.h, pure, so the fuzz target cli drives it) and the
 * JSON conventions.
 *
 * The views (cmd_positions.c: positions, history, orders; cmd_report.c: pairs, pnl, events; cmd_status.c:
 * status) read the database directly, opened read-only, so they work whether the daemon runs or not and
 * can never change what the daemon relies on. Each prints an aligned table for people (coloured only on a
 * terminal) or, with --json, one JSON document for scripts: decimals as strings (trimmed of trailing
 * zeros), times as RFC 3339 UTC strings, absent values as null. Bad arguments print one line and the
 * command's usage and exit 2; a bad configuration exits 2; a missing or unreadable database exits 1.
 */
#include <cjson/cJSON.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/read.h"
#include "cli/table.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

extern char **environ;

int read_fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "spotbot %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SB_EXIT_FAILURE;
}

void read_ctx_fini(struct ctx *c)
{
	sb_store_close(c->st);
	c->st = NULL;
	if (c->cfg_loaded)
		sb_config_fini(&c->cfg);
	c->cfg_loaded = false;
}

/* Loads the configuration and opens its database read-only. Returns SB_EXIT_OK or the exit code. */
int read_open_db(struct ctx *c)
{
	char err[SB_STORE_ERRMSG_MAX];
	sb_config_init(&c->cfg);
	c->cfg_loaded = true;
	sb_err e = sb_config_load(&c->cfg, c->config, c->config != NULL, environ, stderr);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot %s: configuration: %s\n", c->cmd, sb_strerror(e));
		return SB_EXIT_USAGE;
	}
	struct sb_store_opts opts = {.readonly = true, .no_create = true};
	e = sb_store_open_sqlite(c->cfg.database_path, &opts, &c->st, err, sizeof err);
	if (e == SB_ERR_NOT_FOUND)
		return read_fail(
		    c, "no database at %s (DATABASE_PATH): it is created when the daemon first runs",
		    c->cfg.database_path);
	if (e != SB_OK)
		return read_fail(c, "cannot open the database %s: %s", c->cfg.database_path,
		                 err[0] ? err : sb_strerror(e));
	return SB_EXIT_OK;
}

int read_store_fail(const struct ctx *c, const char *what, sb_err e)
{
	const char *msg = sb_store_last_error(c->st);
	return read_fail(c, "reading %s: %s", what, msg && *msg ? msg : sb_strerror(e));
}

/* ---- command lines ------------------------------------------------------------------------------- */

/* Prints "spotbot CMD: <message>" and the view's usage on stderr; returns SB_EXIT_USAGE. */
static int bad_usage(const struct read_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad_usage(const struct read_view *v, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return sb_cli_usage_error(v->cmd, v->usage, "%s", msg);
}

/* The value parsers below return GO_ON when the option was taken and parsing goes on. */
#define GO_ON (-2)

static int opt_limit(const struct read_view *v, const char *arg, size_t *out)
{
	int64_t n;
	if (!sb_parse_i64_str(arg, 1, (int64_t)v->limit_max, &n))
		return bad_usage(v, "--limit must be a whole number from 1 to %zu", v->limit_max);
	*out = (size_t)n;
	return GO_ON;
}

/* A symbol as typed: ASCII letters are upper-cased ("btcusdt" is BTCUSDT); no spaces or controls. */
static int opt_symbol(const struct read_view *v, const char *arg, char *out, size_t cap)
{
	size_t len = strlen(arg);
	if (len == 0 || len >= cap)
		return bad_usage(v, "--symbol must be 1 to %zu bytes", cap - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)arg[i];
		if (ch <= ' ' || ch == 0x7f)
			return bad_usage(v, "--symbol '%s' contains a space or control character", arg);
		out[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
	}
	out[len] = '\0';
	return GO_ON;
}

static int opt_when(const struct read_view *v, const char *name, const char *arg, int64_t now_ms,
                    int64_t *out)
{
	if (!read_parse_when(arg, now_ms, out) || *out <= 0)
		return bad_usage(v,
		                 "%s '%s' is not a time: use RFC 3339 (2026-11-25T08:00:00Z), a date "
		                 "(2026-11-25) or an age (90m, 2h, 7d)",
		                 name, arg);
	return GO_ON;
}

/* orders --status, in any case like --symbol and events --kind: "filled" is FILLED. */
static int opt_status(const struct read_view *v, const char *arg, struct sb_cli_view_args *a)
{
	char status[32];
	if (strlen(arg) >= sizeof status)
		return bad_usage(v, "--status '%s' is not an order status", arg);
	snprintf(status, sizeof status, "%s", arg);
	sb_cli_symbol_upper(status);
	if (sb_order_state_parse(status, strlen(status), &a->status) != SB_OK)
		return bad_usage(v, "--status '%s' is not an order status", arg);
	a->by_status = true;
	return GO_ON;
}

/* pnl --by pair|day: the one table asked for; given twice, the last wins. */
static int opt_by(const struct read_view *v, const char *arg, struct sb_cli_view_args *a)
{
	if (strcmp(arg, "pair") != 0 && strcmp(arg, "day") != 0)
		return bad_usage(v, "--by must be 'pair' or 'day', not '%s'", arg);
	a->by_pair = arg[0] == 'p';
	a->by_day = !a->by_pair;
	return GO_ON;
}

/* One option of a view's own (READ_OPT_*): GO_ON, or the exit code to return now. */
static int view_opt(const struct read_view *v, int ch, int64_t now_ms, struct sb_cli_view_args *a)
{
	switch (ch) {
	case 'o':
		a->which = SB_STORE_LIST_OPEN;
		return GO_ON;
	case 'C':
		a->which = SB_STORE_LIST_CLOSED;
		return GO_ON;
	case 'a':
		a->which = SB_STORE_LIST_ALL;
		return GO_ON;
	case 'e':
		a->enabled_only = true;
		return GO_ON;
	case 's':
		return opt_symbol(v, optarg, a->symbol, sizeof a->symbol);
	case 'n':
		return opt_limit(v, optarg, &a->limit);
	case 'S':
		return opt_when(v, "--since", optarg, now_ms, &a->from_ms);
	case 'U':
		return opt_when(v, "--until", optarg, now_ms, &a->to_ms);
	case 't':
		return opt_status(v, optarg, a);
	case 'b':
		return opt_by(v, optarg, a);
	case 'p':
		if (!sb_parse_i64_str(optarg, 1, INT64_MAX, &a->position_id))
			return bad_usage(v, "--position must be a position id (a whole number >= 1)");
		return GO_ON;
	case 'k':
		if (!*optarg || strlen(optarg) >= SB_STORE_KIND_MAX)
			return bad_usage(v, "--kind must be 1 to %d bytes", SB_STORE_KIND_MAX - 1);
		a->kind = optarg;
		return GO_ON;
	default:
		return 0; /* not a view option */
	}
}

/* The options every view shares and getopt's errors: GO_ON, or the exit code to return now. */
static int common_opt(const struct read_view *v, int ch, char **argv, struct sb_cli_view_args *a)
{
	switch (ch) {
	case 'c':
		if (!optarg || !*optarg)
			return bad_usage(v, "--config needs a file name");
		if (a->config)
			return bad_usage(v, "--config given twice");
		a->config = optarg;
		return GO_ON;
	case 'j':
		a->json = true;
		return GO_ON;
	case 'h':
		fputs(v->usage, stdout);
		return -1;
	case ':':
		return bad_usage(v, "%s needs a value", argv[optind - 1]);
	case '?': {
		char why[300];
		return bad_usage(v, "%s", sb_cli_bad_option(argv, why, sizeof why));
	}
	default:
		return bad_usage(v, "unknown option '%s'", argv[optind - 1]);
	}
}

int read_view_parse(const struct read_view *v, int argc, char **argv, int64_t now_ms,
                    struct sb_cli_view_args *a)
{
	int ch, rc;
	memset(a, 0, sizeof *a);
	a->limit = SB_CLI_VIEW_LIMIT;
	a->by_pair = a->by_day = true;
	optind = 0; /* GNU getopt: start afresh (a process may parse more than one command line) */
	opterr = 0; /* errors are reported here, in one line, with the usage */
	while ((ch = getopt_long(argc, argv, ":h", v->longs, NULL)) != -1) {
		rc = view_opt(v, ch, now_ms, a);
		if (rc == 0)
			rc = common_opt(v, ch, argv, a);
		if (rc != GO_ON)
			return rc;
	}
	if (v->list_word && optind < argc && strcmp(argv[optind], "list") == 0)
		optind++;
	if (optind < argc)
		return bad_usage(v, "unexpected argument '%s'", argv[optind]);
	if (a->from_ms && a->to_ms && a->to_ms <= a->from_ms)
		return bad_usage(v, "--until must be later than --since");
	return SB_EXIT_OK;
}

int read_ctx_start(struct ctx *c, const char *cmd, read_parse_fn parse, int argc, char **argv,
                   struct sb_cli_view_args *a)
{
	int64_t now = sb_clock_wall_ms();
	int rc = parse(argc, argv, now, a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	memset(c, 0, sizeof *c);
	c->cmd = cmd;
	c->config = a->config;
	c->json = a->json;
	c->color = sb_table_color_for(stdout);
	c->now_ms = now;
	return -1;
}

/* ---- argument values ---------------------------------------------------------------------------- */

/* A point in time: RFC 3339 ("2026-11-25T08:00:00Z"), a UTC date ("2026-11-25") or an age ("90m", "2h",
 * "7d": that long before now). */
bool read_parse_when(const char *s, int64_t now_ms, int64_t *out)
{
	size_t len = strlen(s);
	if (sb_clock_parse_rfc3339_ms(s, len, out) == SB_OK)
		return true;
	if (len == 10) {
		char full[32];
		snprintf(full, sizeof full, "%sT00:00:00Z", s);
		if (sb_clock_parse_rfc3339_ms(full, strlen(full), out) == SB_OK)
			return true;
	}
	if (len < 2)
		return false;
	static const struct {
		char unit;
		int64_t ms;
	} units[] = {{'s', 1000}, {'m', 60000}, {'h', 3600000}, {'d', 86400000}, {'w', 604800000}};
	char num[24];
	if (len - 1 >= sizeof num)
		return false;
	memcpy(num, s, len - 1);
	num[len - 1] = '\0';
	int64_t n;
	if (!sb_parse_i64_str(num, 0, 100000 * 86400LL, &n))
		return false;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (s[len - 1] == units[i].unit) {
			if (n > (now_ms - 1) / units[i].ms)
				return false;
			*out = now_ms - n * units[i].ms;
			return true;
		}
	return false;
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

void read_json_dec(cJSON *o, const char *key, sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	cJSON_AddStringToObject(o, key, sb_table_dec(v, buf, sizeof buf));
}

/* A decimal that means "none" when zero (a sell price not yet set). */
void read_json_dec_or_null(cJSON *o, const char *key, sb_dec v)
{
	if (v == 0)
		cJSON_AddNullToObject(o, key);
	else
		read_json_dec(o, key, v);
}

void read_json_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[SB_CLOCK_RFC3339_MS_SIZE];
	if (ms == 0 || sb_clock_format_rfc3339_ms(ms, buf, sizeof buf) == 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, buf);
}

/* Integers below 2^53 are exact in a JSON number; ids, counts and milliseconds all are. */
void read_json_int(cJSON *o, const char *key, int64_t v)
{
	cJSON_AddNumberToObject(o, key, (double)v);
}

void read_json_int_or_null(cJSON *o, const char *key, int64_t v)
{
	if (v == 0)
		cJSON_AddNullToObject(o, key);
	else
		read_json_int(o, key, v);
}

void read_json_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (!s || !*s)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, s);
}

/* Prints doc to stdout and frees it. */
int read_json_print(cJSON *doc)
{
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text);
	return SB_EXIT_OK;
}

/* A rate as a percentage for people: 0.005 is "0.5%". */
const char *read_percent(sb_dec rate, char *buf, size_t cap)
{
	sb_dec pct;
	char num[SB_DEC_STRLEN];
	if (sb_dec_mul(rate, SB_DEC_C(100, 0), SB_ROUND_HALF_EVEN, &pct) != SB_OK)
		snprintf(buf, cap, "?");
	else
		snprintf(buf, cap, "%s%%", sb_table_dec(pct, num, sizeof num));
	return buf;
}

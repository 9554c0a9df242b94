/*
 * cmd_read.c - the read-only views of the database: status, positions, orders, pairs (the list), history,
 * pnl and events.
 *
 * They read the database directly, opened read-only, so they work whether the daemon runs or not and can
 * never change what the daemon relies on. Each prints an aligned table for people (coloured only on a
 * terminal) or, with --json, one JSON document for scripts: decimals as strings (trimmed of trailing
 * zeros), times as RFC 3339 UTC strings, absent values as null. Bad arguments print one line and the
 * command's usage and exit 2; a bad configuration exits 2; a missing or unreadable database exits 1.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/table.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

extern char **environ;

#define DEFAULT_LIMIT    100    /* rows shown when --limit is not given */
#define PROBE_TIMEOUT_MS 500    /* how long status waits for the control address to accept */
#define EVENTS_LIMIT_MAX 100000 /* most events one `events` call keeps in memory */

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

static int bad_usage(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad_usage(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "spotbot %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(c->usage, stderr);
	return SB_EXIT_USAGE;
}

static int fail(const struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "spotbot %s: ", c->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return SB_EXIT_FAILURE;
}

static void ctx_init(struct ctx *c, const char *cmd, const char *usage)
{
	memset(c, 0, sizeof *c);
	c->cmd = cmd;
	c->usage = usage;
	c->color = sb_table_color_for(stdout);
	c->now_ms = sb_clock_wall_ms();
	optind = 0; /* GNU getopt: start afresh (a process may run more than one command in tests) */
	opterr = 0; /* errors are reported here, in one line, with the usage */
}

static void ctx_fini(struct ctx *c)
{
	sb_store_close(c->st);
	c->st = NULL;
	if (c->cfg_loaded)
		sb_config_fini(&c->cfg);
	c->cfg_loaded = false;
}

/*
 * Handles the options every command shares and getopt's errors. Returns -1 when ch was handled and parsing
 * goes on, or the exit code to return now (usage printed for --help or a bad option).
 */
static int common_opt(struct ctx *c, int ch, char **argv)
{
	switch (ch) {
	case 'c':
		if (!optarg || !*optarg)
			return bad_usage(c, "--config needs a file name");
		if (c->config)
			return bad_usage(c, "--config given twice");
		c->config = optarg;
		return -1;
	case 'j':
		c->json = true;
		return -1;
	case 'h':
		fputs(c->usage, stdout);
		return SB_EXIT_OK;
	case ':':
		return bad_usage(c, "%s needs a value", argv[optind - 1]);
	case '?':
		/* A long option given a value it does not take ("--json=1") also lands here, with optopt set.
		 */
		if (strncmp(argv[optind - 1], "--", 2) == 0 && strchr(argv[optind - 1], '='))
			return bad_usage(c, "'%s': this option takes no value", argv[optind - 1]);
		if (strncmp(argv[optind - 1], "--", 2) == 0 || !optopt)
			return bad_usage(c, "unknown option '%s'", argv[optind - 1]);
		return bad_usage(c, "unknown option '-%c'", optopt);
	default:
		return bad_usage(c, "unknown option '%s'", argv[optind - 1]);
	}
}

/* Loads the configuration and opens its database read-only. Returns SB_EXIT_OK or the exit code. */
static int open_db(struct ctx *c)
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
		return fail(c, "no database at %s (DATABASE_PATH): it is created when the daemon first runs",
		            c->cfg.database_path);
	if (e != SB_OK)
		return fail(c, "cannot open the database %s: %s", c->cfg.database_path,
		            err[0] ? err : sb_strerror(e));
	return SB_EXIT_OK;
}

static int store_fail(const struct ctx *c, const char *what, sb_err e)
{
	const char *msg = sb_store_last_error(c->st);
	return fail(c, "reading %s: %s", what, msg && *msg ? msg : sb_strerror(e));
}

/* ---- argument values ---------------------------------------------------------------------------- */

static bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char *end = NULL;
	if (!s || !*s)
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static int opt_limit(const struct ctx *c, const char *arg, size_t max, size_t *out)
{
	int64_t v;
	if (!parse_i64(arg, 1, (int64_t)max, &v))
		return bad_usage(c, "--limit must be a whole number from 1 to %zu", max);
	*out = (size_t)v;
	return -1;
}

/* A symbol as typed: ASCII letters are upper-cased ("btcusdt" is BTCUSDT); no spaces or controls. */
static int opt_symbol(const struct ctx *c, const char *arg, char *out, size_t cap)
{
	size_t len = strlen(arg);
	if (len == 0 || len >= cap)
		return bad_usage(c, "--symbol must be 1 to %zu bytes", cap - 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)arg[i];
		if (ch <= ' ' || ch == 0x7f)
			return bad_usage(c, "--symbol '%s' contains a space or control character", arg);
		out[i] = (char)(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
	}
	out[len] = '\0';
	return -1;
}

/* A point in time: RFC 3339 ("2026-11-25T08:00:00Z"), a UTC date ("2026-11-25") or an age ("90m", "2h",
 * "7d": that long before now). */
static bool parse_when(const char *s, int64_t now_ms, int64_t *out)
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
	if (!parse_i64(num, 0, 100000 * 86400LL, &n))
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

static int opt_when(const struct ctx *c, const char *name, const char *arg, int64_t *out)
{
	if (!parse_when(arg, c->now_ms, out) || *out <= 0)
		return bad_usage(c,
		                 "%s '%s' is not a time: use RFC 3339 (2026-11-25T08:00:00Z), a date "
		                 "(2026-11-25) or an age (90m, 2h, 7d)",
		                 name, arg);
	return -1;
}

/* ---- JSON ---------------------------------------------------------------------------------------- */

static void json_dec(cJSON *o, const char *key, sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	cJSON_AddStringToObject(o, key, sb_table_dec(v, buf, sizeof buf));
}

/* A decimal that means "none" when zero (a sell price not yet set). */
static void json_dec_or_null(cJSON *o, const char *key, sb_dec v)
{
	if (v == 0)
		cJSON_AddNullToObject(o, key);
	else
		json_dec(o, key, v);
}

static void json_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[SB_CLOCK_RFC3339_MS_SIZE];
	if (ms == 0 || sb_clock_format_rfc3339_ms(ms, buf, sizeof buf) == 0)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, buf);
}

/* Integers below 2^53 are exact in a JSON number; ids, counts and milliseconds all are. */
static void json_int(cJSON *o, const char *key, int64_t v)
{
	cJSON_AddNumberToObject(o, key, (double)v);
}

static void json_int_or_null(cJSON *o, const char *key, int64_t v)
{
	if (v == 0)
		cJSON_AddNullToObject(o, key);
	else
		json_int(o, key, v);
}

static void json_str_or_null(cJSON *o, const char *key, const char *s)
{
	if (!s || !*s)
		cJSON_AddNullToObject(o, key);
	else
		cJSON_AddStringToObject(o, key, s);
}

/* Prints doc to stdout and frees it. */
static int json_print(cJSON *doc)
{
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	if (!text) {
		fputs("spotbot: cannot format JSON output\n", stderr);
		return SB_EXIT_FAILURE;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text);
	return SB_EXIT_OK;
}

/* A rate as a percentage for people: 0.005 is "0.5%". */
static const char *percent(sb_dec rate, char *buf, size_t cap)
{
	sb_dec pct;
	char num[SB_DEC_STRLEN];
	if (sb_dec_mul(rate, SB_DEC_C(100, 0), SB_ROUND_HALF_EVEN, &pct) != SB_OK)
		snprintf(buf, cap, "?");
	else
		snprintf(buf, cap, "%s%%", sb_table_dec(pct, num, sizeof num));
	return buf;
}

/* ---- positions and history ----------------------------------------------------------------------- */

static bool state_is_closed(enum sb_store_pos_state s)
{
	return !sb_store_pos_state_open(s);
}

/* How long a position has been (or was) held: from its first buy fill to its close, or to now; -1 when it
 * never bought anything. */
static int64_t held_ms(const struct sb_store_position *p, int64_t now_ms)
{
	if (p->opened_ms == 0)
		return -1;
	int64_t end = p->closed_ms ? p->closed_ms : now_ms;
	return end >= p->opened_ms ? end - p->opened_ms : 0;
}

static enum sb_table_color state_color(enum sb_store_pos_state s)
{
	switch (s) {
	case SB_STORE_POS_BUYING:
	case SB_STORE_POS_SELLING:
		return SB_TABLE_YELLOW;
	case SB_STORE_POS_HOLDING:
		return SB_TABLE_BOLD;
	case SB_STORE_POS_CLOSED:
		return SB_TABLE_GREEN;
	default:
		return SB_TABLE_DIM;
	}
}

/*
 * How the position's last sell was placed, from its notes ("exit=STOP_LOSS,alerted"), in lower case:
 * "target", "stop_loss", "max_duration", "manual"; NULL when no sell was placed ("exit=NONE", or notes
 * without it). Names the daemon may add later pass through in lower case.
 */
static const char *exit_reason(const struct sb_store_position *p, char *buf, size_t cap)
{
	const char *e = strstr(p->notes, "exit=");
	if (!e || cap == 0)
		return NULL;
	e += 5;
	size_t n = strcspn(e, ",");
	if (n == 0 || n >= cap || (n == 4 && memcmp(e, "NONE", 4) == 0))
		return NULL;
	for (size_t i = 0; i < n; i++)
		buf[i] = e[i] >= 'A' && e[i] <= 'Z' ? (char)(e[i] - 'A' + 'a') : e[i];
	buf[n] = '\0';
	return buf;
}

static cJSON *position_json(const struct sb_store_position *p, int64_t now_ms)
{
	cJSON *o = cJSON_CreateObject();
	int64_t held = held_ms(p, now_ms);
	json_int(o, "id", p->id);
	cJSON_AddStringToObject(o, "symbol", p->symbol);
	json_int(o, "cycle", p->cycle);
	cJSON_AddStringToObject(o, "state", sb_store_pos_state_name(p->state));
	cJSON_AddBoolToObject(o, "open", sb_store_pos_state_open(p->state));
	json_time(o, "created_at", p->created_ms);
	json_time(o, "opened_at", p->opened_ms);
	json_time(o, "closed_at", p->closed_ms);
	if (held < 0)
		cJSON_AddNullToObject(o, "held_seconds");
	else
		json_int(o, "held_seconds", held / 1000);
	json_dec(o, "buy_qty", p->buy_qty);
	json_dec(o, "cost_quote", p->cost_quote);
	json_dec(o, "base_received", p->base_received);
	json_dec(o, "sell_qty", p->sell_qty);
	json_dec(o, "sold_qty", p->sold_qty);
	json_dec_or_null(o, "sell_price", p->sell_price_target);
	json_dec(o, "proceeds_quote", p->proceeds);
	if (state_is_closed(p->state))
		json_dec(o, "realized_profit_quote", p->realised_profit);
	else
		cJSON_AddNullToObject(o, "realized_profit_quote");
	json_dec(o, "dust_qty", p->dust_qty);
	char why[32];
	json_str_or_null(o, "exit", exit_reason(p, why, sizeof why));
	cJSON *fees = cJSON_AddArrayToObject(o, "commissions");
	for (size_t i = 0; i < SB_STORE_COMMISSIONS_MAX; i++) {
		if (!p->commissions[i].asset[0])
			continue;
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "asset", p->commissions[i].asset);
		json_dec(f, "amount", p->commissions[i].amount);
		cJSON_AddItemToArray(fees, f);
	}
	cJSON_AddStringToObject(o, "notes", p->notes);
	return o;
}

static int positions_json(const struct sb_store_position *rows, size_t n, int64_t now_ms)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, position_json(&rows[i], now_ms));
	return json_print(arr);
}

static void positions_table(const struct ctx *c, const struct sb_store_position *rows, size_t n)
{
	static const char *const head[] = {"ID",  "SYMBOL", "CYCLE",  "STATE",  "OPENED", "HELD",
	                                   "QTY", "COST",   "TARGET", "PROFIT", "EXIT"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_LEFT, SB_TABLE_RIGHT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN], why[32];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_position *p = &rows[i];
		sb_table_row(t);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->id);
		sb_table_cell(t, p->symbol, SB_TABLE_PLAIN);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->cycle);
		sb_table_cell(t, sb_store_pos_state_name(p->state), state_color(p->state));
		sb_table_cell(t, sb_table_time(p->opened_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_duration(held_ms(p, c->now_ms), a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->buy_qty, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->cost_quote, b, sizeof b), SB_TABLE_PLAIN);
		if (p->sell_price_target)
			sb_table_cell(t, sb_table_dec(p->sell_price_target, b, sizeof b), SB_TABLE_PLAIN);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		if (state_is_closed(p->state))
			sb_table_cell(t, sb_table_dec(p->realised_profit, b, sizeof b),
			              sb_table_sign_color(p->realised_profit));
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		const char *x = exit_reason(p, why, sizeof why);
		sb_table_cell(t, x ? x : "-", x ? SB_TABLE_PLAIN : SB_TABLE_DIM);
	}
	if (n == 0)
		puts("no positions");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

static const char positions_usage[] =
    "usage: spotbot positions [--open | --closed | --all] [--symbol SYMBOL] [--limit N] [--json]\n"
    "                         [--config FILE]\n"
    "  --open         only open positions (BUYING, HOLDING, SELLING)\n"
    "  --closed       only closed positions (CLOSED, CANCELED, ABANDONED)\n"
    "  --all          every position (default)\n"
    "  --symbol SYM   only positions on SYM\n"
    "  --limit N      at most N positions, newest first (default 100)\n" COMMON_USAGE;

int sb_cmd_positions(int argc, char **argv)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,
	    {"open", no_argument, NULL, 'o'},
	    {"closed", no_argument, NULL, 'C'},
	    {"all", no_argument, NULL, 'a'},
	    {"symbol", required_argument, NULL, 's'},
	    {"limit", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct ctx c;
	char symbol[SB_SYMBOL_MAX] = "";
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL, .limit = DEFAULT_LIMIT};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	int ch, rc;
	ctx_init(&c, "positions", positions_usage);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		rc = -1;
		if (ch == 'o')
			f.which = SB_STORE_LIST_OPEN;
		else if (ch == 'C')
			f.which = SB_STORE_LIST_CLOSED;
		else if (ch == 'a')
			f.which = SB_STORE_LIST_ALL;
		else if (ch == 's')
			rc = opt_symbol(&c, optarg, symbol, sizeof symbol);
		else if (ch == 'n')
			rc = opt_limit(&c, optarg, SB_STORE_LIST_MAX, &f.limit);
		else
			rc = common_opt(&c, ch, argv);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	f.symbol = symbol[0] ? symbol : NULL;
	rc = open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_position_list(c.st, &f, &rows, &n);
		if (e != SB_OK)
			rc = store_fail(&c, "positions", e);
		else if (c.json)
			rc = positions_json(rows, n, c.now_ms);
		else
			positions_table(&c, rows, n);
	}
	free(rows);
	ctx_fini(&c);
	return rc;
}

static const char history_usage[] =
    "usage: spotbot history [--symbol SYMBOL] [--since WHEN] [--until WHEN] [--limit N] [--json]\n"
    "                       [--config FILE]\n"
    "  finished cycles (CLOSED, CANCELED, ABANDONED), newest first\n"
    "  --symbol SYM   only cycles on SYM\n"
    "  --since WHEN   closed at or after WHEN: 2026-11-25T08:00:00Z, 2026-11-25 or an age (2h, 7d)\n"
    "  --until WHEN   closed before WHEN\n"
    "  --limit N      at most N cycles (default 100)\n" COMMON_USAGE;

static void history_table(const struct ctx *c, const struct sb_store_position *rows, size_t n)
{
	static const char *const head[] = {"ID",   "SYMBOL", "CYCLE",    "STATE",  "OPENED", "CLOSED",
	                                   "HELD", "COST",   "PROCEEDS", "PROFIT", "EXIT"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_LEFT, SB_TABLE_LEFT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN], why[32];
	sb_dec total = 0;
	bool overflow = false;
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_position *p = &rows[i];
		sb_table_row(t);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->id);
		sb_table_cell(t, p->symbol, SB_TABLE_PLAIN);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->cycle);
		sb_table_cell(t, sb_store_pos_state_name(p->state), state_color(p->state));
		sb_table_cell(t, sb_table_time(p->opened_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_time(p->closed_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_duration(held_ms(p, c->now_ms), a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->cost_quote, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->proceeds, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->realised_profit, b, sizeof b),
		              sb_table_sign_color(p->realised_profit));
		const char *x = exit_reason(p, why, sizeof why);
		sb_table_cell(t, x ? x : "-", x ? SB_TABLE_PLAIN : SB_TABLE_DIM);
		if (sb_dec_add(total, p->realised_profit, &total) != SB_OK)
			overflow = true;
	}
	if (n == 0) {
		puts("no finished cycles");
	} else {
		sb_table_print(t, stdout, c->color);
		printf("%zu cycle%s, realised profit %s\n", n, n == 1 ? "" : "s",
		       overflow ? "(overflow)" : sb_table_dec(total, b, sizeof b));
	}
	sb_table_free(t);
}

int sb_cmd_history(int argc, char **argv)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,
	    {"symbol", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},
	    {"limit", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct ctx c;
	char symbol[SB_SYMBOL_MAX] = "";
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_CLOSED, .limit = DEFAULT_LIMIT};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	int ch, rc;
	ctx_init(&c, "history", history_usage);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		if (ch == 's')
			rc = opt_symbol(&c, optarg, symbol, sizeof symbol);
		else if (ch == 'S')
			rc = opt_when(&c, "--since", optarg, &f.from_ms);
		else if (ch == 'U')
			rc = opt_when(&c, "--until", optarg, &f.to_ms);
		else if (ch == 'n')
			rc = opt_limit(&c, optarg, SB_STORE_LIST_MAX, &f.limit);
		else
			rc = common_opt(&c, ch, argv);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	if (f.from_ms && f.to_ms && f.to_ms <= f.from_ms)
		return bad_usage(&c, "--until must be later than --since");
	f.symbol = symbol[0] ? symbol : NULL;
	rc = open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_position_list(c.st, &f, &rows, &n);
		if (e != SB_OK)
			rc = store_fail(&c, "positions", e);
		else if (c.json)
			rc = positions_json(rows, n, c.now_ms);
		else
			history_table(&c, rows, n);
	}
	free(rows);
	ctx_fini(&c);
	return rc;
}

/* ---- orders -------------------------------------------------------------------------------------- */

static enum sb_table_color order_color(enum sb_store_order_status s)
{
	switch (s) {
	case SB_STORE_ORDER_FILLED:
		return SB_TABLE_GREEN;
	case SB_STORE_ORDER_REJECTED:
	case SB_STORE_ORDER_EXPIRED:
	case SB_STORE_ORDER_EXPIRED_IN_MATCH:
	case SB_STORE_ORDER_UNKNOWN:
		return SB_TABLE_RED;
	case SB_STORE_ORDER_CANCELED:
	case SB_STORE_ORDER_NEVER_SENT:
		return SB_TABLE_DIM;
	default:
		return SB_TABLE_YELLOW;
	}
}

static cJSON *order_json(const struct sb_store_order *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "client_order_id", o->client_order_id);
	json_int_or_null(j, "exchange_order_id", o->exchange_order_id);
	json_int_or_null(j, "position_id", o->position_id);
	cJSON_AddStringToObject(j, "symbol", o->symbol);
	cJSON_AddStringToObject(j, "side", sb_side_name(o->side));
	cJSON_AddStringToObject(j, "type", sb_order_type_name(o->type));
	if (o->tif == SB_STORE_TIF_NONE)
		cJSON_AddNullToObject(j, "time_in_force");
	else
		cJSON_AddStringToObject(j, "time_in_force", sb_store_tif_name(o->tif));
	json_dec(j, "price", o->price);
	json_dec(j, "orig_qty", o->orig_qty);
	json_dec(j, "quote_qty", o->quote_qty);
	json_dec(j, "executed_qty", o->executed_qty);
	json_dec(j, "cumm_quote_qty", o->cumm_quote_qty);
	cJSON_AddStringToObject(j, "status", sb_store_order_status_name(o->status));
	cJSON_AddBoolToObject(j, "final", sb_store_order_status_final(o->status));
	json_time(j, "created_at", o->created_ms);
	json_time(j, "updated_at", o->updated_ms);
	json_str_or_null(j, "last_error", o->last_error);
	return j;
}

static void orders_table(const struct ctx *c, const struct sb_store_order *rows, size_t n)
{
	static const char *const head[] = {
	    "CLIENT ORDER ID", "EXCHANGE ID", "POS",    "SYMBOL", "SIDE",   "TYPE",
	    "PRICE",           "QTY",         "FILLED", "STATUS", "UPDATED"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT, SB_TABLE_LEFT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_order *o = &rows[i];
		sb_table_row(t);
		sb_table_cell(t, o->client_order_id, SB_TABLE_PLAIN);
		if (o->exchange_order_id)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, o->exchange_order_id);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		if (o->position_id)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, o->position_id);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		sb_table_cell(t, o->symbol, SB_TABLE_PLAIN);
		sb_table_cell(t, sb_side_name(o->side),
		              o->side == SB_SIDE_BUY ? SB_TABLE_GREEN : SB_TABLE_RED);
		sb_table_cell(t, sb_order_type_name(o->type), SB_TABLE_PLAIN);
		if (o->type == SB_ORDER_MARKET)
			sb_table_cell(t, "market", SB_TABLE_DIM);
		else
			sb_table_cell(t, sb_table_dec(o->price, b, sizeof b), SB_TABLE_PLAIN);
		if (o->orig_qty == 0 && o->quote_qty != 0)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%s quote",
			               sb_table_dec(o->quote_qty, b, sizeof b));
		else
			sb_table_cell(t, sb_table_dec(o->orig_qty, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(o->executed_qty, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_store_order_status_name(o->status), order_color(o->status));
		sb_table_cell(t, sb_table_time(o->updated_ms, a, sizeof a), SB_TABLE_PLAIN);
	}
	if (n == 0)
		puts("no orders");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

static const char orders_usage[] =
    "usage: spotbot orders [--open] [--status STATUS] [--symbol SYMBOL] [--position ID] [--limit N]\n"
    "                      [--json] [--config FILE]\n"
    "  --open           only orders not in a final status\n"
    "  --status STATUS  only orders in STATUS (NEW, PARTIALLY_FILLED, FILLED, CANCELED, ...)\n"
    "  --symbol SYM     only orders on SYM\n"
    "  --position ID    only the orders of position ID\n"
    "  --limit N        at most N orders, newest first (default 100)\n" COMMON_USAGE;

int sb_cmd_orders(int argc, char **argv)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,
	    {"open", no_argument, NULL, 'o'},
	    {"status", required_argument, NULL, 't'},
	    {"symbol", required_argument, NULL, 's'},
	    {"position", required_argument, NULL, 'p'},
	    {"limit", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct ctx c;
	char symbol[SB_SYMBOL_MAX] = "";
	struct sb_store_order_filter f = {.limit = DEFAULT_LIMIT};
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	int ch, rc;
	ctx_init(&c, "orders", orders_usage);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		rc = -1;
		if (ch == 'o') {
			f.open_only = true;
		} else if (ch == 't') {
			if (sb_store_order_status_parse(optarg, strlen(optarg), &f.status) != SB_OK)
				return bad_usage(&c, "--status '%s' is not an order status", optarg);
			f.by_status = true;
		} else if (ch == 's') {
			rc = opt_symbol(&c, optarg, symbol, sizeof symbol);
		} else if (ch == 'p') {
			if (!parse_i64(optarg, 1, INT64_MAX, &f.position_id))
				return bad_usage(&c,
				                 "--position must be a position id (a whole number >= 1)");
		} else if (ch == 'n') {
			rc = opt_limit(&c, optarg, SB_STORE_LIST_MAX, &f.limit);
		} else {
			rc = common_opt(&c, ch, argv);
		}
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	f.symbol = symbol[0] ? symbol : NULL;
	rc = open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_order_list(c.st, &f, &rows, &n);
		if (e != SB_OK) {
			rc = store_fail(&c, "orders", e);
		} else if (c.json) {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, order_json(&rows[i]));
			rc = json_print(arr);
		} else {
			orders_table(&c, rows, n);
		}
	}
	free(rows);
	ctx_fini(&c);
	return rc;
}

/* ---- pairs --------------------------------------------------------------------------------------- */

static cJSON *pair_json(const struct sb_store_pair *p)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "symbol", p->symbol);
	cJSON_AddBoolToObject(j, "enabled", p->enabled);
	json_dec(j, "quote_per_cycle", p->quote_per_cycle);
	json_int(j, "max_positions", p->max_positions);
	cJSON_AddStringToObject(j, "buy_mode", sb_store_buy_mode_name(p->buy_mode));
	json_dec(j, "buy_offset", p->buy_offset);
	json_int(j, "buy_timeout_seconds", p->buy_timeout_ms / 1000);
	json_dec(j, "target_profit", p->target_profit);
	if (p->has_stop_loss)
		json_dec(j, "stop_loss", p->stop_loss);
	else
		cJSON_AddNullToObject(j, "stop_loss");
	if (p->max_duration_ms)
		json_int(j, "max_duration_seconds", p->max_duration_ms / 1000);
	else
		cJSON_AddNullToObject(j, "max_duration_seconds");
	cJSON_AddBoolToObject(j, "sell_market_on_max_duration", p->sell_market_on_max_duration);
	json_int(j, "cooldown_seconds", p->cooldown_ms / 1000);
	json_time(j, "created_at", p->created_ms);
	json_time(j, "updated_at", p->updated_ms);
	return j;
}

static void pairs_table(const struct ctx *c, const struct sb_store_pair *rows, size_t n)
{
	static const char *const head[] = {"SYMBOL",    "ENABLED",  "QUOTE/CYCLE", "MAX",
	                                   "BUY",       "OFFSET",   "BUY TIMEOUT", "PROFIT",
	                                   "STOP LOSS", "MAX HOLD", "COOLDOWN"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_LEFT,  SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_RIGHT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_pair *p = &rows[i];
		sb_table_row(t);
		sb_table_cell(t, p->symbol, SB_TABLE_PLAIN);
		sb_table_cell(t, p->enabled ? "yes" : "no", p->enabled ? SB_TABLE_GREEN : SB_TABLE_DIM);
		sb_table_cell(t, sb_table_dec(p->quote_per_cycle, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId32, p->max_positions);
		sb_table_cell(t, p->buy_mode == SB_STORE_BUY_MARKET ? "market" : "limit", SB_TABLE_PLAIN);
		sb_table_cell(t,
		              p->buy_mode == SB_STORE_BUY_MARKET ? "-" : percent(p->buy_offset, a, sizeof a),
		              SB_TABLE_PLAIN);
		sb_table_cell(t,
		              p->buy_timeout_ms ? sb_table_duration(p->buy_timeout_ms, a, sizeof a) : "never",
		              SB_TABLE_PLAIN);
		sb_table_cell(t, percent(p->target_profit, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, p->has_stop_loss ? percent(p->stop_loss, a, sizeof a) : "-", SB_TABLE_PLAIN);
		if (p->max_duration_ms)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%s%s",
			               sb_table_duration(p->max_duration_ms, a, sizeof a),
			               p->sell_market_on_max_duration ? " sell" : "");
		else
			sb_table_cell(t, "-", SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_duration(p->cooldown_ms, a, sizeof a), SB_TABLE_PLAIN);
	}
	if (n == 0)
		puts("no trade pairs configured");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

static const char pairs_usage[] = "usage: spotbot pairs [list] [--enabled] [--json] [--config FILE]\n"
                                  "  list           the configured trade pairs (default)\n"
                                  "  --enabled      only enabled pairs\n" COMMON_USAGE
                                  "  add, set, enable and disable change pairs through the running daemon\n";

int sb_cmd_pairs(int argc, char **argv)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,
	    {"enabled", no_argument, NULL, 'e'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const acting[] = {"add", "set", "enable", "disable"};
	struct ctx c;
	bool enabled_only = false;
	struct sb_store_pair *rows = NULL;
	size_t n = 0;
	int ch, rc;
	ctx_init(&c, "pairs", pairs_usage);
	/* Changing a pair goes through the daemon's control API (cmd_pairs.c). */
	if (argc > 1)
		for (size_t i = 0; i < sizeof acting / sizeof acting[0]; i++)
			if (strcmp(argv[1], acting[i]) == 0)
				return sb_cmd_pairs_act(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		if (ch == 'e') {
			enabled_only = true;
			continue;
		}
		rc = common_opt(&c, ch, argv);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc && strcmp(argv[optind], "list") == 0)
		optind++;
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	rc = open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_pair_list(c.st, enabled_only, &rows, &n);
		if (e != SB_OK) {
			rc = store_fail(&c, "trade pairs", e);
		} else if (c.json) {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, pair_json(&rows[i]));
			rc = json_print(arr);
		} else {
			pairs_table(&c, rows, n);
		}
	}
	free(rows);
	ctx_fini(&c);
	return rc;
}

/* ---- pnl ----------------------------------------------------------------------------------------- */

static cJSON *pnl_json(const struct sb_store_pnl *r, bool by_day)
{
	cJSON *j = cJSON_CreateObject();
	if (by_day) {
		char day[SB_CLOCK_RFC3339_MS_SIZE];
		sb_clock_format_rfc3339_ms(r->day_ms, day, sizeof day);
		day[10] = '\0';
		cJSON_AddStringToObject(j, "day", day);
	} else {
		cJSON_AddStringToObject(j, "symbol", r->symbol);
	}
	json_int(j, "cycles", r->positions);
	json_int(j, "wins", r->wins);
	json_dec(j, "cost_quote", r->cost);
	json_dec(j, "realized_profit_quote", r->profit);
	return j;
}

static void pnl_table(const struct ctx *c, const struct sb_store_pnl *rows, size_t n, bool by_day)
{
	static const char *const head_pair[] = {"SYMBOL", "CYCLES", "WINS", "COST", "PROFIT"};
	static const char *const head_day[] = {"DAY", "CYCLES", "WINS", "COST", "PROFIT"};
	static const enum sb_table_align al[] = {SB_TABLE_LEFT, SB_TABLE_RIGHT, SB_TABLE_RIGHT,
	                                         SB_TABLE_RIGHT, SB_TABLE_RIGHT};
	struct sb_table *t = sb_table_new(5, by_day ? head_day : head_pair, al);
	char b[SB_DEC_STRLEN], day[SB_CLOCK_RFC3339_MS_SIZE];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_pnl *r = &rows[i];
		sb_table_row(t);
		if (by_day) {
			sb_clock_format_rfc3339_ms(r->day_ms, day, sizeof day);
			day[10] = '\0';
			sb_table_cell(t, day, SB_TABLE_PLAIN);
		} else {
			sb_table_cell(t, r->symbol, SB_TABLE_PLAIN);
		}
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, r->positions);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, r->wins);
		sb_table_cell(t, sb_table_dec(r->cost, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(r->profit, b, sizeof b), sb_table_sign_color(r->profit));
	}
	sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

/* Totals over the by-pair rows; false on overflow. */
static bool pnl_total(const struct sb_store_pnl *rows, size_t n, struct sb_store_pnl *tot)
{
	memset(tot, 0, sizeof *tot);
	for (size_t i = 0; i < n; i++) {
		tot->positions += rows[i].positions;
		tot->wins += rows[i].wins;
		if (sb_dec_add(tot->cost, rows[i].cost, &tot->cost) != SB_OK ||
		    sb_dec_add(tot->profit, rows[i].profit, &tot->profit) != SB_OK)
			return false;
	}
	return true;
}

static const char pnl_usage[] =
    "usage: spotbot pnl [--by pair|day] [--since WHEN] [--until WHEN] [--json] [--config FILE]\n"
    "  realised profit of CLOSED cycles, by pair and by UTC day\n"
    "  --by pair|day  only one of the two breakdowns\n"
    "  --since WHEN   closed at or after WHEN: 2026-11-25T08:00:00Z, 2026-11-25 or an age (2h, 7d)\n"
    "  --until WHEN   closed before WHEN\n" COMMON_USAGE;

static int pnl_show(struct ctx *c, bool want_pair, bool want_day, int64_t from, int64_t to)
{
	struct sb_store_pnl *pair = NULL, *day = NULL, tot;
	size_t npair = 0, nday = 0;
	int rc = SB_EXIT_OK;
	char b[SB_DEC_STRLEN];
	sb_err e = sb_store_pnl_by_pair(c->st, from, to, &pair, &npair);
	if (e == SB_OK && want_day)
		e = sb_store_pnl_by_day(c->st, from, to, &day, &nday);
	if (e != SB_OK) {
		rc = store_fail(c, "profit", e);
		goto out;
	}
	if (!pnl_total(pair, npair, &tot)) {
		rc = fail(c, "the total profit leaves the decimal range");
		goto out;
	}
	if (c->json) {
		cJSON *doc = cJSON_CreateObject();
		if (want_pair) {
			cJSON *arr = cJSON_AddArrayToObject(doc, "by_pair");
			for (size_t i = 0; i < npair; i++)
				cJSON_AddItemToArray(arr, pnl_json(&pair[i], false));
		}
		if (want_day) {
			cJSON *arr = cJSON_AddArrayToObject(doc, "by_day");
			for (size_t i = 0; i < nday; i++)
				cJSON_AddItemToArray(arr, pnl_json(&day[i], true));
		}
		cJSON *t = cJSON_AddObjectToObject(doc, "total");
		json_int(t, "cycles", tot.positions);
		json_int(t, "wins", tot.wins);
		json_dec(t, "cost_quote", tot.cost);
		json_dec(t, "realized_profit_quote", tot.profit);
		rc = json_print(doc);
		goto out;
	}
	if (npair == 0) {
		puts("no closed cycles");
		goto out;
	}
	if (want_pair)
		pnl_table(c, pair, npair, false);
	if (want_pair && want_day)
		putchar('\n');
	if (want_day)
		pnl_table(c, day, nday, true);
	printf("\ntotal: %" PRId64 " cycle%s, %" PRId64 " win%s, cost %s, ", tot.positions,
	       tot.positions == 1 ? "" : "s", tot.wins, tot.wins == 1 ? "" : "s",
	       sb_table_dec(tot.cost, b, sizeof b));
	char paint[64];
	printf("realised profit %s\n",
	       sb_table_paint(sb_table_dec(tot.profit, b, sizeof b), sb_table_sign_color(tot.profit),
	                      c->color, paint, sizeof paint));
out:
	free(pair);
	free(day);
	return rc;
}

int sb_cmd_pnl(int argc, char **argv)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,
	    {"by", required_argument, NULL, 'b'},
	    {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},
	    {NULL, 0, NULL, 0},
	};
	struct ctx c;
	bool want_pair = true, want_day = true;
	int64_t from = 0, to = 0;
	int ch, rc;
	ctx_init(&c, "pnl", pnl_usage);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		rc = -1;
		if (ch == 'b') {
			if (strcmp(optarg, "pair") == 0)
				want_day = !(want_pair = true);
			else if (strcmp(optarg, "day") == 0)
				want_pair = !(want_day = true);
			else
				return bad_usage(&c, "--by must be 'pair' or 'day', not '%s'", optarg);
		} else if (ch == 'S') {
			rc = opt_when(&c, "--since", optarg, &from);
		} else if (ch == 'U') {
			rc = opt_when(&c, "--until", optarg, &to);
		} else {
			rc = common_opt(&c, ch, argv);
		}
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	if (from && to && to <= from)
		return bad_usage(&c, "--until must be later than --since");
	rc = open_db(&c);
	if (rc == SB_EXIT_OK)
		rc = pnl_show(&c, want_pair, want_day, from, to);
	ctx_fini(&c);
	return rc;
}

/* ---- events -------------------------------------------------------------------------------------- */

static const char events_usage[] =
    "usage: spotbot events [--since WHEN] [--until WHEN] [--kind KIND] [--limit N] [--json]\n"
    "                      [--config FILE]\n"
    "  the newest N events of the log, oldest first\n"
    "  --since WHEN   at or after WHEN: 2026-11-25T08:00:00Z, 2026-11-25 or an age (2h, 7d)\n"
    "  --until WHEN   before WHEN\n"
    "  --kind KIND    only events of KIND (order.intent, fill, position.closed, pause, ...)\n"
    "  --limit N      at most N events, the newest (default 100)\n" COMMON_USAGE;

/*
 * The newest `limit` events matching f, oldest first, in *out (*n of them; free with sb_store_events_free).
 * The store lists oldest first in pages, so this pages through every match keeping a ring of the last ones.
 */
static sb_err events_newest(struct sb_store *st, struct sb_store_event_filter f, size_t limit,
                            struct sb_store_event **out, size_t *n)
{
	struct sb_store_event *ring = sb_xcalloc(limit, sizeof *ring);
	size_t total = 0;
	sb_err e;
	f.limit = SB_STORE_LIST_MAX;
	for (;;) {
		struct sb_store_event *rows = NULL;
		size_t got = 0;
		e = sb_store_event_list(st, &f, &rows, &got);
		if (e != SB_OK)
			break;
		for (size_t i = 0; i < got; i++) {
			struct sb_store_event *slot = &ring[total % limit];
			free((void *)(uintptr_t)slot->detail); /* the ring owns the details it keeps */
			*slot = rows[i];
			rows[i].detail = NULL;
			total++;
		}
		if (got > 0)
			f.after_id = rows[got - 1].id;
		sb_store_events_free(rows, got);
		if (got < SB_STORE_LIST_MAX)
			break;
	}
	size_t keep = total < limit ? total : limit;
	if (e != SB_OK || keep == 0) {
		sb_store_events_free(ring, total < limit ? total : limit);
		*out = NULL;
		*n = 0;
		return e;
	}
	/* Unroll the ring so the oldest kept event comes first. */
	struct sb_store_event *rows = sb_xcalloc(keep, sizeof *rows);
	size_t start = total > limit ? total % limit : 0;
	for (size_t i = 0; i < keep; i++)
		rows[i] = ring[(start + i) % limit];
	free(ring);
	*out = rows;
	*n = keep;
	return SB_OK;
}

static cJSON *event_json(const struct sb_store_event *ev)
{
	cJSON *j = cJSON_CreateObject();
	json_int(j, "id", ev->id);
	json_time(j, "time", ev->time_ms);
	cJSON_AddStringToObject(j, "kind", ev->kind);
	json_str_or_null(j, "symbol", ev->symbol);
	json_int_or_null(j, "position_id", ev->position_id);
	json_str_or_null(j, "client_order_id", ev->client_order_id);
	cJSON *detail = ev->detail ? cJSON_Parse(ev->detail) : NULL;
	if (detail)
		cJSON_AddItemToObject(j, "detail", detail);
	else
		json_str_or_null(j, "detail", ev->detail); /* not JSON after all: keep the text */
	return j;
}

static void events_table(const struct ctx *c, const struct sb_store_event *rows, size_t n)
{
	static const char *const head[] = {"ID", "TIME", "KIND", "SYMBOL", "POS", "ORDER", "DETAIL"};
	static const enum sb_table_align al[] = {SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT, SB_TABLE_LEFT,
	                                         SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(7, head, al);
	char a[64];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_event *ev = &rows[i];
		sb_table_row(t);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, ev->id);
		sb_table_cell(t, sb_table_time(ev->time_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, ev->kind, SB_TABLE_BOLD);
		sb_table_cell(t, ev->symbol[0] ? ev->symbol : "-", SB_TABLE_PLAIN);
		if (ev->position_id)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, ev->position_id);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		sb_table_cell(t, ev->client_order_id[0] ? ev->client_order_id : "-", SB_TABLE_PLAIN);
		bool empty = !ev->detail || strcmp(ev->detail, "{}") == 0;
		sb_table_cell(t, empty ? "" : ev->detail, SB_TABLE_DIM);
	}
	if (n == 0)
		puts("no events");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

int sb_cmd_events(int argc, char **argv)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,
	    {"since", required_argument, NULL, 'S'},
	    {"until", required_argument, NULL, 'U'},
	    {"kind", required_argument, NULL, 'k'},
	    {"limit", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct ctx c;
	struct sb_store_event_filter f = {0};
	size_t limit = DEFAULT_LIMIT;
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	int ch, rc;
	ctx_init(&c, "events", events_usage);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		rc = -1;
		if (ch == 'S') {
			rc = opt_when(&c, "--since", optarg, &f.from_ms);
		} else if (ch == 'U') {
			rc = opt_when(&c, "--until", optarg, &f.to_ms);
		} else if (ch == 'k') {
			if (!*optarg || strlen(optarg) >= SB_STORE_KIND_MAX)
				return bad_usage(&c, "--kind must be 1 to %d bytes", SB_STORE_KIND_MAX - 1);
			f.kind = optarg;
		} else if (ch == 'n') {
			rc = opt_limit(&c, optarg, EVENTS_LIMIT_MAX, &limit);
		} else {
			rc = common_opt(&c, ch, argv);
		}
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	if (f.from_ms && f.to_ms && f.to_ms <= f.from_ms)
		return bad_usage(&c, "--until must be later than --since");
	rc = open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = events_newest(c.st, f, limit, &rows, &n);
		if (e != SB_OK) {
			rc = store_fail(&c, "events", e);
		} else if (c.json) {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, event_json(&rows[i]));
			rc = json_print(arr);
		} else {
			events_table(&c, rows, n);
		}
	}
	sb_store_events_free(rows, n);
	ctx_fini(&c);
	return rc;
}

/* ---- status -------------------------------------------------------------------------------------- */

/* Connects to fd's address with a time limit; true when the connection was accepted. */
static bool connect_within(int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL, 0);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return false;
	if (connect(fd, addr, len) == 0)
		return true;
	if (errno != EINPROGRESS)
		return false;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0;
}

/*
 * Whether something accepts connections at the control address (CONTROL_LISTEN: host:port, [v6]:port or
 * unix:/path). Until the control API answers requests, an accepted connection is what "running" means.
 */
static bool daemon_reachable(const char *listen, int timeout_ms)
{
	if (strncmp(listen, "unix:", 5) == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		if (strlen(listen + 5) >= sizeof sun.sun_path)
			return false;
		memcpy(sun.sun_path, listen + 5, strlen(listen + 5) + 1);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return false;
		bool ok = connect_within(fd, (struct sockaddr *)&sun, sizeof sun, timeout_ms);
		close(fd);
		return ok;
	}
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return false;
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL;
	if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res) != 0)
		return false;
	bool ok = false;
	for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		ok = connect_within(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

/* What status gathers from the database. */
struct status {
	bool running;                              /* something accepts at CONTROL_LISTEN */
	char run_state[SB_STORE_VALUE_MAX];        /* system_state run_state; "" = never recorded */
	char paused[SB_STORE_VALUE_MAX];           /* system_state paused; "" = never recorded */
	int64_t last_stream_ms;                    /* last stream event; 0 = never */
	int64_t schema;                            /* schema version */
	size_t pairs, pairs_enabled;               /* configured trade pairs */
	size_t open_by_state[SB_STORE_POS__COUNT]; /* open positions per state */
	size_t open_positions;                     /* all open positions */
	sb_dec exposure;                           /* sum of the open positions' cost */
	size_t open_orders;                        /* orders not in a final status */
	struct sb_store_pnl closed;                /* CLOSED cycles, wins and realised profit */
};

/* An optional system_state text: a missing key is "". */
static sb_err state_text(struct sb_store *st, const char *key, char *buf, size_t cap)
{
	sb_err e = sb_store_state_get(st, key, buf, cap);
	if (e == SB_ERR_NOT_FOUND) {
		buf[0] = '\0';
		return SB_OK;
	}
	return e;
}

static sb_err status_gather(struct ctx *c, struct status *s)
{
	struct sb_store_pair *pairs = NULL;
	struct sb_store_position *pos = NULL;
	struct sb_store_order *orders = NULL;
	struct sb_store_pnl *pnl = NULL;
	size_t n;
	sb_err e;
	memset(s, 0, sizeof *s);
	s->running = daemon_reachable(c->cfg.control_listen, PROBE_TIMEOUT_MS);
	SB_TRY(state_text(c->st, SB_STORE_KEY_RUN_STATE, s->run_state, sizeof s->run_state));
	SB_TRY(state_text(c->st, SB_STORE_KEY_PAUSED, s->paused, sizeof s->paused));
	e = sb_store_state_get_int(c->st, SB_STORE_KEY_LAST_STREAM_MS, &s->last_stream_ms);
	if (e != SB_OK && e != SB_ERR_NOT_FOUND)
		return e;
	e = sb_store_state_get_int(c->st, SB_STORE_KEY_SCHEMA_VERSION, &s->schema);
	if (e != SB_OK && e != SB_ERR_NOT_FOUND)
		return e;
	SB_TRY(sb_store_pair_list(c->st, false, &pairs, &s->pairs));
	for (size_t i = 0; i < s->pairs; i++)
		s->pairs_enabled += pairs[i].enabled;
	free(pairs);
	struct sb_store_pos_filter pf = {.which = SB_STORE_LIST_OPEN};
	SB_TRY(sb_store_position_list(c->st, &pf, &pos, &s->open_positions));
	e = SB_OK;
	for (size_t i = 0; i < s->open_positions && e == SB_OK; i++) {
		s->open_by_state[pos[i].state]++;
		e = sb_dec_add(s->exposure, pos[i].cost_quote, &s->exposure);
	}
	free(pos);
	if (e == SB_OK)
		e = sb_store_order_list_open(c->st, &orders, &s->open_orders);
	free(orders);
	if (e == SB_OK)
		e = sb_store_pnl_by_pair(c->st, 0, 0, &pnl, &n);
	if (e == SB_OK && !pnl_total(pnl, n, &s->closed))
		e = SB_ERR_OVERFLOW;
	free(pnl);
	return e;
}

static int status_json(const struct ctx *c, const struct status *s)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *d = cJSON_AddObjectToObject(doc, "daemon");
	cJSON_AddBoolToObject(d, "running", s->running);
	cJSON_AddStringToObject(d, "control_listen", c->cfg.control_listen);
	json_str_or_null(doc, "run_state", s->run_state);
	json_str_or_null(doc, "paused", s->paused);
	json_time(doc, "last_stream_event_at", s->last_stream_ms);
	cJSON *db = cJSON_AddObjectToObject(doc, "database");
	cJSON_AddStringToObject(db, "path", c->cfg.database_path);
	json_int(db, "schema_version", s->schema);
	cJSON *p = cJSON_AddObjectToObject(doc, "pairs");
	json_int(p, "total", (int64_t)s->pairs);
	json_int(p, "enabled", (int64_t)s->pairs_enabled);
	cJSON *pos = cJSON_AddObjectToObject(doc, "positions");
	json_int(pos, "open", (int64_t)s->open_positions);
	for (int st = SB_STORE_POS_BUYING; st <= SB_STORE_POS_SELLING; st++)
		json_int(pos, sb_store_pos_state_name((enum sb_store_pos_state)st),
		         (int64_t)s->open_by_state[st]);
	json_int(pos, "closed_cycles", s->closed.positions);
	json_int(pos, "wins", s->closed.wins);
	json_dec(doc, "exposure_quote", s->exposure);
	json_dec(doc, "realized_profit_quote", s->closed.profit);
	json_int(doc, "open_orders", (int64_t)s->open_orders);
	return json_print(doc);
}

static void status_text(const struct ctx *c, const struct status *s)
{
	char a[64], b[SB_DEC_STRLEN], paint[128];
	if (s->running)
		printf("daemon          %s (%s)\n",
		       sb_table_paint("running", SB_TABLE_GREEN, c->color, paint, sizeof paint),
		       c->cfg.control_listen);
	else
		printf("daemon          %s (nothing accepts at %s)\n",
		       sb_table_paint("not running", SB_TABLE_RED, c->color, paint, sizeof paint),
		       c->cfg.control_listen);
	printf("run state       %s\n", s->run_state[0] ? s->run_state : "never recorded");
	printf("paused          %s\n", s->paused[0] ? s->paused : "no");
	if (s->last_stream_ms)
		printf("last stream     %s (%s ago)\n", sb_table_time(s->last_stream_ms, a, sizeof a),
		       sb_table_duration(c->now_ms - s->last_stream_ms, paint, sizeof paint));
	else
		printf("last stream     never\n");
	printf("database        %s (schema %" PRId64 ")\n", c->cfg.database_path, s->schema);
	printf("pairs           %zu (%zu enabled)\n", s->pairs, s->pairs_enabled);
	printf("open positions  %zu (BUYING %zu, HOLDING %zu, SELLING %zu)\n", s->open_positions,
	       s->open_by_state[SB_STORE_POS_BUYING], s->open_by_state[SB_STORE_POS_HOLDING],
	       s->open_by_state[SB_STORE_POS_SELLING]);
	printf("exposure        %s (cost of the open positions)\n", sb_table_dec(s->exposure, b, sizeof b));
	printf("open orders     %zu\n", s->open_orders);
	printf("closed cycles   %" PRId64 " (%" PRId64 " won), realised profit %s\n", s->closed.positions,
	       s->closed.wins,
	       sb_table_paint(sb_table_dec(s->closed.profit, b, sizeof b),
	                      sb_table_sign_color(s->closed.profit), c->color, paint, sizeof paint));
}

static const char status_usage[] =
    "usage: spotbot status [--json] [--config FILE]\n"
    "  what the database records, and whether the daemon is running\n" COMMON_USAGE;

int sb_cmd_status(int argc, char **argv)
{
	static const struct option longs[] = {COMMON_LONG_OPTS, {NULL, 0, NULL, 0}};
	struct ctx c;
	struct status s;
	int ch, rc;
	ctx_init(&c, "status", status_usage);
	while ((ch = getopt_long(argc, argv, ":", longs, NULL)) != -1) {
		rc = common_opt(&c, ch, argv);
		if (rc >= 0)
			return rc;
	}
	if (optind < argc)
		return bad_usage(&c, "unexpected argument '%s'", argv[optind]);
	rc = open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = status_gather(&c, &s);
		if (e != SB_OK)
			rc = store_fail(&c, "the database", e);
		else if (c.json)
			rc = status_json(&c, &s);
		else
			status_text(&c, &s);
	}
	ctx_fini(&c);
	return rc;
}

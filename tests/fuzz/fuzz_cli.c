/*
 * Fuzz target for the command lines' argument parsers: spotbot's (cli/args.h: the manual actions sell,
 * cancel, abandon, pause, resume, reprice; pairs add|set|enable|disable|remove; backtest with its sweep
 * options; the read-only views status, positions, history, orders, pairs [list], pnl, events; backup,
 * doctor, data download, config and run) and spotsim's (sim_options_parse), and the times the read-only
 * commands take (--since and the like: read_parse_when, over the RFC 3339 parser). Byte 0 chooses the command
 * (its index in names[], modulo their number); the rest, split at NUL bytes, is its arguments. Nothing is
 * run. Every parser must answer OK, help (-1) or a usage error (2), and what it accepts must be what the
 * command promises: a well-formed control API path with a valid position id, symbol or price, a --timeout
 * within bounds, pair settings that validate, a backtest with a configuration, data and an ordered window, a
 * spotsim with at least one account and its symbols within bounds; a view's limit within its bound, a
 * symbol of visible characters upper-cased, a window with since before until, an order status that exists,
 * a position id >= 1, an event kind that fits, the options a view does not take left at their defaults; a
 * backup with a destination, one config action, a download with its four arguments that sb_dl_plan either
 * plans or refuses with a reason; a refused spotsim command line is explained; a time read is either an age
 * that lands between the epoch and now, or a date and time that formats and parses back to itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/read.h"
#include "sim/options.h"
#include "spotbot/clock.h"
#include "spotbot/download.h"
#include "spotbot/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS  64
#define MAX_BYTES 4096

static void check(int ok)
{
	if (!ok)
		abort();
}

static int all_of(const char *s, const char *set)
{
	return s[0] != '\0' && strspn(s, set) == strlen(s);
}

static const char DIGITS[] = "0123456789";
static const int64_t NOW_MS = 1790000000000; /* 2026-09-21: the "now" ages count back from */
static const char SYMBOL_CHARS[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

static void check_act(int argc, char **argv, int position)
{
	struct sb_cli_act a;
	int rc = sb_cli_act_parse(argc, argv, position, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc != SB_EXIT_OK)
		return;
	check(a.wait_ms >= 0 && a.wait_ms <= 3600 * 1000);
	check(!a.config || a.config[0] != '\0');
	char want[160];
	if (position) {
		check(a.id && all_of(a.id, DIGITS) && a.id[0] != '0' && strlen(a.id) <= 18);
		snprintf(want, sizeof want, "/positions/%s/%s", a.id, argv[0]);
		check(strcmp(a.url, want) == 0);
		return;
	}
	check(a.id == NULL);
	size_t n = strlen(argv[0]);
	check(a.url[0] == '/' && strncmp(a.url + 1, argv[0], n) == 0);
	const char *q = a.url + 1 + n;
	check(q[0] == '\0' || (strncmp(q, "?symbol=", 8) == 0 && all_of(q + 8, SYMBOL_CHARS)));
}

static void check_reprice(int argc, char **argv)
{
	struct sb_cli_act a;
	int rc = sb_cli_reprice_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc != SB_EXIT_OK)
		return;
	check(a.id && all_of(a.id, DIGITS) && a.id[0] != '0');
	char want[160];
	int n = snprintf(want, sizeof want, "/positions/%s/reprice?price=", a.id);
	check(strncmp(a.url, want, (size_t)n) == 0);
	const char *price = a.url + n, *end = strchr(price, '&');
	size_t len = end ? (size_t)(end - price) : strlen(price);
	sb_dec p;
	check(sb_dec_parse(price, len, &p) == SB_OK && p > 0);
	check(!end || strcmp(end, "&force=1") == 0);
}

static void check_pairs(int argc, char **argv)
{
	static struct sb_cli_pairs_req q;
	int rc = sb_cli_pairs_parse(argc, argv, &q);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc != SB_EXIT_OK)
		return;
	struct sb_pair_cfg named;
	check(q.symbol && sb_pair_init(&named, q.symbol, strlen(q.symbol)) == SB_OK); /* UTF-8 names too */
	check(q.nkv <= SB_CLI_PAIRS_ARGS_MAX);
	for (size_t i = 0; i < q.nkv; i++)
		check(strchr(q.kv[i], '=') != NULL && q.kv[i][0] != '=');
	char err[SB_PAIRS_ERR_MAX];
	if (strcmp(q.sub, "add") == 0)
		check(sb_pair_validate(&q.cfg, err, sizeof err) == SB_OK);
	if (strcmp(q.sub, "set") == 0)
		check(q.nkv > 0);
}

static void check_backtest(int argc, char **argv)
{
	static struct sb_cli_backtest_args a;
	int rc = sb_cli_backtest_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc != SB_EXIT_OK)
		return;
	check(a.config && a.npaths > 0 && a.npaths <= SB_CLI_BACKTEST_DATA_MAX);
	check(a.run.from_ms < a.run.to_ms);
	check(a.sweep.nsets == 0 || (!a.run.db_path && !a.report && !a.run.log_path));
	check(a.sweep.nsets > 0 || (!a.sweep.rank && !a.sweep.jobs));
}

static void check_spotsim(int argc, char **argv)
{
	static struct sim_options o;
	char *why = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&why, &len);
	sb_err e = sim_options_parse(argc, argv, &o, err);
	fclose(err);
	if (e != SB_OK)
		check(len > 0);
	else
		check(o.naccounts > 0 && o.nsymbols <= SIM_MAX_SYMBOLS);
	free(why);
}

static void check_when(const char *s)
{
	const int64_t now = NOW_MS;
	int64_t t = -1, again = -1;
	char text[SB_CLOCK_RFC3339_MS_SIZE];
	bool date = sb_clock_parse_rfc3339_ms(s, strlen(s), &t) == SB_OK;
	if (date && sb_clock_format_rfc3339_ms(t, text, sizeof text) > 0) {
		check(sb_clock_parse_rfc3339_ms(text, strlen(text), &again) == SB_OK && again == t);
	}
	if (read_parse_when(s, now, &t) && !date && strlen(s) != 10)
		check(t >= 0 && t <= now);
}

/* Which options a view takes, to check that the others were left alone. */
enum view_opt {
	V_SYMBOL = 1 << 0, /* --symbol */
	V_LIMIT = 1 << 1,  /* --limit */
	V_WINDOW = 1 << 2, /* --since, --until */
	V_WHICH = 1 << 3,  /* --open, --closed, --all */
	V_ORDER = 1 << 4,  /* --status, --position */
	V_KIND = 1 << 5,   /* --kind */
	V_BY = 1 << 6,     /* --by */
	V_ENABLED = 1 << 7 /* --enabled */
};

static const struct view {
	const char *name;                                               /* the command */
	int (*parse)(int, char **, int64_t, struct sb_cli_view_args *); /* its parser */
	unsigned opts;                                                  /* enum view_opt */
	size_t limit_max;                                               /* --limit's bound */
} views[] = {
    {"status", sb_cli_status_parse, 0, 0},
    {"positions", sb_cli_positions_parse, V_SYMBOL | V_LIMIT | V_WHICH, SB_STORE_LIST_MAX},
    {"history", sb_cli_history_parse, V_SYMBOL | V_LIMIT | V_WINDOW, SB_STORE_LIST_MAX},
    {"orders", sb_cli_orders_parse, V_SYMBOL | V_LIMIT | V_WHICH | V_ORDER, SB_STORE_LIST_MAX},
    {"pairs", sb_cli_pairs_list_parse, V_ENABLED, 0},
    {"pnl", sb_cli_pnl_parse, V_WINDOW | V_BY, 0},
    {"events", sb_cli_events_parse, V_LIMIT | V_WINDOW | V_KIND, SB_CLI_EVENTS_LIMIT_MAX},
};

static void check_view(const struct view *v, int argc, char **argv)
{
	static struct sb_cli_view_args a;
	int rc = v->parse(argc, argv, NOW_MS, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc != SB_EXIT_OK)
		return;
	check(!a.config || a.config[0] != '\0');
	size_t n = strnlen(a.symbol, sizeof a.symbol);
	check(n < sizeof a.symbol);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)a.symbol[i] > ' ' && a.symbol[i] != 0x7f &&
		      !(a.symbol[i] >= 'a' && a.symbol[i] <= 'z'));
	check(n == 0 || (v->opts & V_SYMBOL));
	if (v->opts & V_LIMIT)
		check(a.limit >= 1 && a.limit <= v->limit_max);
	else
		check(a.limit == SB_CLI_VIEW_LIMIT);
	check(a.from_ms >= 0 && a.to_ms >= 0);
	check(!a.from_ms || !a.to_ms || a.from_ms < a.to_ms);
	check((v->opts & V_WINDOW) || (a.from_ms == 0 && a.to_ms == 0));
	check(a.which == SB_STORE_LIST_ALL || (v->opts & V_WHICH));
	check(a.which != SB_STORE_LIST_CLOSED || strcmp(v->name, "positions") == 0);
	if (a.by_status) {
		const char *name = sb_order_state_name(a.status);
		enum sb_order_state again;
		check((v->opts & V_ORDER) && name);
		check(sb_order_state_parse(name, strlen(name), &again) == SB_OK && again == a.status);
	}
	check(a.position_id >= 0 && (a.position_id == 0 || (v->opts & V_ORDER)));
	check(!a.kind || ((v->opts & V_KIND) && a.kind[0] && strlen(a.kind) < SB_STORE_KIND_MAX));
	check(a.by_pair || a.by_day);
	check((a.by_pair && a.by_day) || (v->opts & V_BY));
	check(!a.enabled_only || (v->opts & V_ENABLED));
}

static void check_backup(int argc, char **argv)
{
	struct sb_cli_backup_args a;
	int rc = sb_cli_backup_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc == SB_EXIT_OK)
		check(a.dst && a.dst[0] && (!a.config || a.config[0]));
}

static void check_doctor(int argc, char **argv)
{
	struct sb_cli_doctor_args a;
	int rc = sb_cli_doctor_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc == SB_EXIT_OK)
		check(!a.config || a.config[0]);
}

static void check_data(int argc, char **argv)
{
	struct sb_cli_data_args a;
	int rc = sb_cli_data_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc != SB_EXIT_OK)
		return;
	check(argc >= 6 && strcmp(argv[1], "download") == 0);
	check(a.rq.symbol && a.rq.interval && a.rq.from && a.rq.to && a.rq.base_url);
	check(a.rq.dir && a.rq.dir[0]);
	for (const char *p = a.rq.symbol; *p; p++)
		check(!(*p >= 'a' && *p <= 'z'));
	/* What the command does next with it: a plan, or a refusal that says why. */
	struct sb_dl_file *files = NULL;
	size_t n = 0;
	char err[SB_DL_ERR_MAX] = "";
	if (sb_dl_plan(&a.rq, &files, &n, err, sizeof err) == SB_OK)
		check(n > 0 && strncmp(files[0].name, a.rq.symbol, strlen(a.rq.symbol)) == 0);
	else
		check(err[0] != '\0');
	free(files);
}

static void check_config(int argc, char **argv)
{
	struct sb_cli_config_args a;
	int rc = sb_cli_config_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc == SB_EXIT_OK)
		check((!a.config || a.config[0]) && a.action <= SB_CLI_CONFIG_MARKDOWN);
}

static void check_run(int argc, char **argv)
{
	struct sb_cli_run_args a;
	int rc = sb_cli_run_parse(argc, argv, &a);
	check(rc == SB_EXIT_OK || rc == -1 || rc == SB_EXIT_USAGE);
	if (rc == SB_EXIT_OK)
		check(!a.config || a.config[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The first 13 keep their byte 0 of earlier corpora; "when" reads argv[1] as a time. */
	static const char *const names[] = {
	    "sell",    "cancel", "abandon",  "pause",   "resume", "reprice", "add",       "set",     "enable",
	    "disable", "remove", "backtest", "spotsim", "when",   "status",  "positions", "history", "orders",
	    "pairs",   "pnl",    "events",   "backup",  "doctor", "data",    "run",       "config"};
	static char buf[MAX_BYTES + 1];
	static char *argv[MAX_ARGS + 2];
	static int quiet;
	if (!quiet) {
		/* The parsers print usage on every refusal; only sanitizer reports (fd 2) are of interest. */
		stdout = fopen("/dev/null", "w");
		stderr = stdout;
		quiet = 1;
	}
	if (size < 1 || size > MAX_BYTES + 1)
		return 0;
	size_t which = data[0] % (sizeof names / sizeof names[0]);
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	char cmd[16];
	snprintf(cmd, sizeof cmd, "%s", names[which]);
	int argc = 0;
	argv[argc++] = cmd;
	for (size_t i = 0; i < size - 1 && argc <= MAX_ARGS; i += strlen(buf + i) + 1)
		argv[argc++] = buf + i;
	argv[argc] = NULL;
	if (which < 5)
		check_act(argc, argv, which < 3);
	else if (which == 5)
		check_reprice(argc, argv);
	else if (which < 11)
		check_pairs(argc, argv);
	else if (which == 11)
		check_backtest(argc, argv);
	else if (which == 12)
		check_spotsim(argc, argv);
	else if (which == 13)
		check_when(argc > 1 ? argv[1] : "");
	else if (which < 14 + sizeof views / sizeof views[0])
		check_view(&views[which - 14], argc, argv);
	else if (strcmp(cmd, "backup") == 0)
		check_backup(argc, argv);
	else if (strcmp(cmd, "doctor") == 0)
		check_doctor(argc, argv);
	else if (strcmp(cmd, "data") == 0)
		check_data(argc, argv);
	else if (strcmp(cmd, "run") == 0)
		check_run(argc, argv);
	else
		check_config(argc, argv);
	return 0;
}

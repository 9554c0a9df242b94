/*
 * cmd_backtest.c - `spotbot backtest`: the strategy of PAIRS, as `run` would trade it, on kline files
 * against spotsim's exchange in the same process (backtest/bt_run.h), then its results as a table or as
 * JSON. No API key, exchange URL or network is used, and the live database is never opened: the run
 * writes a database of its own, temporary unless --db names it. With --set the command is a parameter
 * sweep, run and printed by cmd_backtest_sweep.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "backtest/bt_html.h"
#include "backtest/bt_run.h"
#include "cli/args.h"
#include "cli/cli.h"
#include "cli/sweep.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/log.h"

extern char **environ;

#define DAY_MS 86400000

static const char usage_text[] =
    "usage: spotbot backtest --config FILE --data PATH... [--from DATE] [--to DATE]\n"
    "                        [--balance ASSET=AMOUNT,...] [--path coarse|fine] [--fill touch|through]\n"
    "                        [--bnb-fees] [--exchange-info FILE.json] [--db FILE] [--log FILE]\n"
    "                        [--json] [--report FILE.html]\n"
    "                        [--set [SYMBOL:]KEY=VALUE,VALUE... [--rank MEASURE] [--jobs N]]\n"
    "  runs PAIRS and the strategy options of FILE (as `spotbot run` would) on Binance kline files\n"
    "  against spotsim's exchange in this process, on market time; no key or network is needed\n"
    "  --config FILE   the configuration to test (its DATABASE_PATH is never opened)\n"
    "  --data PATH     a kline file (SYMBOL-INTERVAL-YYYY-MM[-DD].zip|.csv|.csv.gz) or a directory of\n"
    "                  them; repeatable, and every argument after it that is not an option is one too\n"
    "  --from DATE     first day traded, YYYY-MM-DD (UTC), or an RFC 3339 time\n"
    "  --to DATE       last day traded, YYYY-MM-DD inclusive, or an RFC 3339 time (exclusive)\n"
    "  --balance L     the account's funds, ASSET=AMOUNT,... (default " SB_BT_BALANCE_DEFAULT ")\n"
    "  --path P        a candle's price path: coarse, its corners (open, the nearer extreme, the other,\n"
    "                  close; the default), or fine, tick by tick as spotsim's replay (up to 300 trades)\n"
    "  --fill MODEL    when the market fills a resting order: touch, a trade at its price (the\n"
    "                  default), or through, only a trade beyond it (a buy at P on a trade below P,\n"
    "                  a sell on one above: the pessimistic model, as spotsim --fill through)\n"
    "  --bnb-fees      the account pays commission in BNB at the 25% discount while it holds BNB\n"
    "                  (--balance USDT=10000,BNB=5); each pair's BNB<QUOTE> kline files must be in\n"
    "                  --data: they price BNB (that market is listed, not traded)\n"
    "  --exchange-info FILE.json\n"
    "                  take the pairs' rules (filters) from a real exchangeInfo document; a symbol it\n"
    "                  lacks has spotsim's catalogue's rules, else rules derived from its data (noted)\n"
    "  --db FILE       keep the run's database in FILE (a new file); :memory: keeps it in memory only;\n"
    "                  default: a temporary file (not durable: no fsync), removed at the end\n"
    "  --log FILE      append the daemon's log (JSON lines at LOG_LEVEL, stamped with market time) to\n"
    "                  FILE; default: none kept, its warnings and errors counted in one line at the end\n"
    "  --json          print one JSON object instead of the table\n"
    "  --report FILE   also write the results as one self-contained HTML page: equity against holding,\n"
    "                  each pair's price with its buys and sells, holding times, the table, the limits\n"
    "  --set S         a sweep: KEY=VALUE,VALUE... of a PAIRS setting for every pair (SYMBOL:KEY=... for\n"
    "                  one pair); repeatable; every combination (at most 1000) is a run in a process of\n"
    "                  its own, and the runs are ranked\n"
    "  --rank M        the measure the runs are ranked by (default realized_profit; --help lists them)\n"
    "  --jobs N        runs at once (default: one per core)\n";

/* DATE: YYYY-MM-DD (its midnight; plus a day when end) or an RFC 3339 time. */
static bool parse_date(const char *s, bool end, int64_t *out)
{
	char buf[40];
	size_t len = strlen(s);
	if (len == 10) {
		snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
		if (sb_clock_parse_rfc3339_ms(buf, strlen(buf), out) != SB_OK)
			return false;
		*out += end ? DAY_MS : 0;
		return true;
	}
	return sb_clock_parse_rfc3339_ms(s, len, out) == SB_OK;
}

/* True for an option that takes a value. */
static bool takes_value(const char *s)
{
	static const char *const names[] = {"--config", "--data", "--from", "--to",  "--balance",
	                                    "--db",     "--path", "--fill", "--log", "--exchange-info",
	                                    "--report", "--set",  "--rank", "--jobs"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i]) == 0)
			return true;
	return false;
}

/* The value of option a (argv[*i]), or NULL when there is none. */
static const char *value(int argc, char **argv, int *i)
{
	return *i + 1 < argc && argv[*i + 1][0] != '\0' ? argv[++*i] : NULL;
}

int sb_cli_backtest_parse(int argc, char **argv, struct sb_cli_backtest_args *a)
{
	memset(a, 0, sizeof *a);
	a->run.to_ms = INT64_MAX;
	a->run.path_trades = SB_BT_PATH_COARSE;
	bool in_data = false;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i], *v = NULL;
		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			fputs(usage_text, stdout);
			sb_cmd_backtest_sweep_help(stdout);
			return -1;
		}
		if (strncmp(s, "--", 2) != 0 && in_data) {
			if (a->npaths == SB_CLI_BACKTEST_DATA_MAX)
				return sb_cli_usage_error("backtest", usage_text, "more than %d --data paths",
				                          SB_CLI_BACKTEST_DATA_MAX);
			a->paths[a->npaths++] = s;
			continue;
		}
		in_data = false;
		if (strcmp(s, "--json") == 0) {
			a->json = true;
			continue;
		}
		if (strcmp(s, "--bnb-fees") == 0) {
			a->run.bnb_fees = true;
			continue;
		}
		if (!takes_value(s))
			return sb_cli_usage_error("backtest", usage_text, "unknown argument '%s'", s);
		if (!(v = value(argc, argv, &i)))
			return sb_cli_usage_error("backtest", usage_text, "%s needs a value", s);
		if (strcmp(s, "--config") == 0) {
			a->config = v;
		} else if (strcmp(s, "--data") == 0) {
			in_data = true;
			i--;
		} else if (strcmp(s, "--from") == 0 || strcmp(s, "--to") == 0) {
			bool to = s[2] == 't';
			if (!parse_date(v, to, to ? &a->run.to_ms : &a->run.from_ms))
				return sb_cli_usage_error("backtest", usage_text,
				                          "%s '%s': expected YYYY-MM-DD or an RFC 3339 time",
				                          s, v);
		} else if (strcmp(s, "--path") == 0) {
			if (strcmp(v, "coarse") != 0 && strcmp(v, "fine") != 0)
				return sb_cli_usage_error("backtest", usage_text,
				                          "--path '%s': expected coarse or fine", v);
			a->run.path_trades = v[0] == 'c' ? SB_BT_PATH_COARSE : SB_BT_PATH_FINE;
		} else if (strcmp(s, "--fill") == 0) {
			bool through = strcmp(v, sim_fill_model_name(SIM_FILL_THROUGH)) == 0;
			if (!through && strcmp(v, sim_fill_model_name(SIM_FILL_TOUCH)) != 0)
				return sb_cli_usage_error("backtest", usage_text,
				                          "--fill '%s': expected touch or through", v);
			a->run.fill = through ? SIM_FILL_THROUGH : SIM_FILL_TOUCH;
		} else if (strcmp(s, "--balance") == 0) {
			a->run.balance = v;
		} else if (strcmp(s, "--log") == 0) {
			a->run.log_path = v;
		} else if (strcmp(s, "--exchange-info") == 0) {
			a->run.exchange_info = v;
		} else if (strcmp(s, "--report") == 0) {
			a->report = v;
		} else if (strcmp(s, "--set") == 0 || strcmp(s, "--rank") == 0 || strcmp(s, "--jobs") == 0) {
			char err[256];
			if (!sb_cmd_backtest_sweep_opt(s, v, &a->sweep, err, sizeof err))
				return sb_cli_usage_error("backtest", usage_text, "%s", err);
		} else {
			a->run.db_path = v;
		}
	}
	if (!a->config)
		return sb_cli_usage_error("backtest", usage_text, "--config FILE is required");
	if (a->npaths == 0)
		return sb_cli_usage_error("backtest", usage_text, "--data PATH is required");
	if (a->sweep.nsets == 0 && (a->sweep.rank || a->sweep.jobs))
		return sb_cli_usage_error("backtest", usage_text, "%s is for a sweep: it needs --set",
		                          a->sweep.rank ? "--rank" : "--jobs");
	if (a->sweep.nsets > 0 && a->run.db_path)
		return sb_cli_usage_error("backtest", usage_text,
		                          "--db keeps one run's database; a sweep's runs use temporary ones");
	if (a->sweep.nsets > 0 && (a->report || a->run.log_path))
		return sb_cli_usage_error("backtest", usage_text,
		                          "%s is one run's; a sweep prints its runs ranked instead",
		                          a->report ? "--report" : "--log");
	if (a->run.from_ms >= a->run.to_ms)
		return sb_cli_usage_error("backtest", usage_text, "--from must come before --to");
	char err[256];
	if (a->run.balance && sb_bt_balance_check(a->run.balance, err, sizeof err) != SB_OK)
		return sb_cli_usage_error("backtest", usage_text, "%s", err);
	return SB_EXIT_OK;
}

int sb_cmd_backtest(int argc, char **argv)
{
	static struct sb_cli_backtest_args a; /* large: not on the stack */
	int rc = sb_cli_backtest_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	struct sb_config cfg;
	sb_config_init(&cfg);
	if (sb_config_load(&cfg, a.config, true, environ, stderr) != SB_OK) {
		fputs("spotbot backtest: configuration refused\n", stderr);
		sb_config_fini(&cfg);
		return SB_EXIT_USAGE;
	}
	const char *secrets[8];
	size_t ns = sb_config_secrets(&cfg, secrets, sizeof secrets / sizeof secrets[0]);
	for (size_t i = 0; i < ns && i < sizeof secrets / sizeof secrets[0]; i++)
		(void)sb_log_add_secret(secrets[i]);
	a.run.cfg = &cfg;
	a.run.paths = a.paths;
	a.run.npaths = a.npaths;
	a.run.notes = stderr;
	if (a.sweep.nsets > 0) {
		rc = sb_cmd_backtest_sweep(&a.run, &a.sweep, a.json);
		sb_config_fini(&cfg);
		return rc;
	}
	/* Created before the run: a report path that cannot be written fails at once. */
	FILE *html = a.report ? fopen(a.report, "w") : NULL;
	if (a.report && !html) {
		fprintf(stderr, "spotbot backtest: --report %s: %s\n", a.report, strerror(errno));
		sb_config_fini(&cfg);
		return SB_EXIT_USAGE;
	}
	struct sb_bt_report rep;
	char err[1024];
	sb_err e = sb_bt_run(&a.run, &rep, err, sizeof err);
	if (e == SB_OK) {
		if (a.json)
			sb_bt_report_json(&rep, stdout);
		else
			sb_bt_report_table(&rep, stdout);
		if (html)
			sb_bt_report_html(&rep, html);
		sb_bt_report_fini(&rep);
	} else {
		fprintf(stderr, "spotbot backtest: %s\n", err);
	}
	sb_config_fini(&cfg);
	bool unwritten = html && ferror(html) != 0;
	if (html && fclose(html) != 0)
		unwritten = true;
	if (unwritten && e == SB_OK) {
		fprintf(stderr, "spotbot backtest: --report %s: cannot write it\n", a.report);
		return SB_EXIT_FAILURE;
	}
	if (html && e != SB_OK)
		(void)unlink(a.report);
	if (e == SB_OK)
		return SB_EXIT_OK;
	return sb_bt_run_user_error(e) ? SB_EXIT_USAGE : SB_EXIT_FAILURE;
}

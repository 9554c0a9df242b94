/*
 * The parsers of the read-only commands' command lines (cli/args.h): status, positions, history, orders,
 * pairs [list], pnl, events, backup, doctor, data download, config and run. What each accepts lands in its
 * struct (a symbol upper-cased, a limit, a window, a status, a position id); what it refuses is refused
 * with exit 2 and a message that names the option, on stderr with the usage; --help prints the usage on
 * stdout and answers -1; and a parser can be called again in the same process with the same answer.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"

#define NOW_MS  1790000000000LL /* 2026-09-21T14:13:20Z */
#define HOUR_MS 3600000LL
#define DAY_MS  (24 * HOUR_MS)

/* An argv the parser may permute (getopt does) and write to (data upper-cases its SYMBOL). */
#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(v)   (argc_of(v))

static int argc_of(char **argv)
{
	int n = 0;
	while (argv[n])
		n++;
	return n;
}

/* What the last parse printed; the parsers write to stdout only for --help. */
static char *err_text, *out_text;
static size_t err_len, out_len;
static FILE *saved_err, *saved_out;

static void capture_begin(void)
{
	free(err_text);
	free(out_text);
	err_text = out_text = NULL;
	saved_err = stderr;
	saved_out = stdout;
	stderr = open_memstream(&err_text, &err_len);
	stdout = open_memstream(&out_text, &out_len);
	cr_assert(stderr && stdout);
}

static void capture_end(void)
{
	fclose(stderr);
	fclose(stdout);
	stderr = saved_err;
	stdout = saved_out;
}

typedef int (*view_fn)(int, char **, int64_t, struct sb_cli_view_args *);

static int view(view_fn parse, char **argv, struct sb_cli_view_args *a)
{
	capture_begin();
	int rc = parse(argc_of(argv), argv, NOW_MS, a);
	capture_end();
	return rc;
}

/* A refusal: exit 2, the message on stderr with the command's usage, nothing on stdout. */
static void assert_refused(int rc, const char *cmd, const char *msg)
{
	char head[64];
	snprintf(head, sizeof head, "spotbot %s: ", cmd);
	cr_assert_eq(rc, SB_EXIT_USAGE, "rc %d, stderr: %s", rc, err_text);
	cr_assert(strncmp(err_text, head, strlen(head)) == 0, "stderr: %s", err_text);
	cr_assert(strstr(err_text, msg), "'%s' not in: %s", msg, err_text);
	cr_assert(strstr(err_text, "usage: spotbot"), "no usage in: %s", err_text);
	cr_assert_eq(out_len, 0, "stdout: %s", out_text);
}

static void assert_help(int rc, const char *usage_head)
{
	cr_assert_eq(rc, -1);
	cr_assert(strncmp(out_text, usage_head, strlen(usage_head)) == 0, "stdout: %s", out_text);
	cr_assert_eq(err_len, 0, "stderr: %s", err_text);
}

/* ---- views --------------------------------------------------------------------------------------- */

Test(cli_args, positions_defaults_are_every_position_100_rows_table)
{
	struct sb_cli_view_args a;
	cr_assert_eq(view(sb_cli_positions_parse, ARGV("positions"), &a), SB_EXIT_OK);
	cr_assert_eq(a.which, SB_STORE_LIST_ALL);
	cr_assert_eq(a.limit, SB_CLI_VIEW_LIMIT);
	cr_assert_str_empty(a.symbol);
	cr_assert(!a.json && a.config == NULL);
}

Test(cli_args, positions_open_symbol_limit_json_config)
{
	struct sb_cli_view_args a;
	int rc = view(
	    sb_cli_positions_parse,
	    ARGV("positions", "--open", "--symbol", "btcusdt", "--limit=20", "--json", "--config", "bot.env"),
	    &a);
	cr_assert_eq(rc, SB_EXIT_OK, "stderr: %s", err_text);
	cr_assert_eq(a.which, SB_STORE_LIST_OPEN);
	cr_assert_str_eq(a.symbol, "BTCUSDT");
	cr_assert_eq(a.limit, 20);
	cr_assert(a.json);
	cr_assert_str_eq(a.config, "bot.env");
}

Test(cli_args, positions_limit_out_of_bounds_is_refused_naming_limit)
{
	struct sb_cli_view_args a;
	const char *bad[] = {"0", "10001", "-1", "5x", ""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char arg[16];
		snprintf(arg, sizeof arg, "%s", bad[i]);
		int rc = view(sb_cli_positions_parse, ARGV("positions", "--limit", arg), &a);
		assert_refused(rc, "positions", "--limit must be a whole number from 1 to 10000");
	}
	cr_assert_eq(view(sb_cli_positions_parse, ARGV("positions", "--limit", "10000"), &a), SB_EXIT_OK);
	cr_assert_eq(a.limit, 10000);
}

Test(cli_args, positions_refuses_an_option_it_does_not_take)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_positions_parse, ARGV("positions", "--since", "2h"), &a);
	assert_refused(rc, "positions", "unknown option '--since'");
	rc = view(sb_cli_positions_parse, ARGV("positions", "-x"), &a);
	assert_refused(rc, "positions", "unknown option '-x'");
}

Test(cli_args, positions_symbol_with_a_space_is_refused)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_positions_parse, ARGV("positions", "--symbol", "BTC USDT"), &a);
	assert_refused(rc, "positions", "--symbol 'BTC USDT' contains a space or control character");
	rc = view(sb_cli_positions_parse, ARGV("positions", "--symbol"), &a);
	assert_refused(rc, "positions", "--symbol needs a value");
}

Test(cli_args, positions_help_prints_usage_on_stdout)
{
	struct sb_cli_view_args a;
	assert_help(view(sb_cli_positions_parse, ARGV("positions", "--help"), &a),
	            "usage: spotbot positions");
}

Test(cli_args, a_parser_called_again_starts_afresh)
{
	struct sb_cli_view_args a;
	cr_assert_eq(view(sb_cli_positions_parse, ARGV("positions", "--open", "stray"), &a), SB_EXIT_USAGE);
	cr_assert_eq(view(sb_cli_positions_parse, ARGV("positions", "--closed"), &a), SB_EXIT_OK);
	cr_assert_eq(a.which, SB_STORE_LIST_CLOSED);
	cr_assert_eq(view(sb_cli_positions_parse, ARGV("positions"), &a), SB_EXIT_OK);
	cr_assert_eq(a.which, SB_STORE_LIST_ALL);
}

Test(cli_args, history_window_from_a_date_and_an_age)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_history_parse, ARGV("history", "--since", "2026-09-01", "--until", "2h"), &a);
	cr_assert_eq(rc, SB_EXIT_OK, "stderr: %s", err_text);
	cr_assert_eq(a.from_ms, 1788220800000LL); /* 2026-09-01T00:00:00Z */
	cr_assert_eq(a.to_ms, NOW_MS - 2 * HOUR_MS);
}

Test(cli_args, history_since_after_until_is_refused)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_history_parse, ARGV("history", "--since", "1h", "--until", "2h"), &a);
	assert_refused(rc, "history", "--until must be later than --since");
	rc = view(sb_cli_history_parse, ARGV("history", "--since", "2d", "--until", "2d"), &a);
	assert_refused(rc, "history", "--until must be later than --since");
}

Test(cli_args, history_since_that_is_not_a_time_is_refused_naming_it)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_history_parse, ARGV("history", "--since", "yesterday"), &a);
	assert_refused(rc, "history", "--since 'yesterday' is not a time");
	rc = view(sb_cli_history_parse, ARGV("history", "--until", "99999999d"), &a);
	assert_refused(rc, "history", "--until '99999999d' is not a time");
}

Test(cli_args, orders_status_in_any_case_position_and_open)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_orders_parse,
	              ARGV("orders", "--status", "partially_filled", "--position", "42", "--open"), &a);
	cr_assert_eq(rc, SB_EXIT_OK, "stderr: %s", err_text);
	cr_assert(a.by_status);
	cr_assert_eq(a.status, SB_ORDER_PARTIALLY_FILLED);
	cr_assert_eq(a.position_id, 42);
	cr_assert_eq(a.which, SB_STORE_LIST_OPEN);
}

Test(cli_args, orders_unknown_status_and_position_zero_are_refused)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_orders_parse, ARGV("orders", "--status", "DONE"), &a);
	assert_refused(rc, "orders", "--status 'DONE' is not an order status");
	rc = view(sb_cli_orders_parse, ARGV("orders", "--position", "0"), &a);
	assert_refused(rc, "orders", "--position must be a position id (a whole number >= 1)");
	rc = view(sb_cli_orders_parse, ARGV("orders", "--closed"), &a);
	assert_refused(rc, "orders", "unknown option '--closed'");
}

Test(cli_args, events_limit_bound_and_kind)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_events_parse, ARGV("events", "--limit", "100000", "--kind", "order.intent"), &a);
	cr_assert_eq(rc, SB_EXIT_OK, "stderr: %s", err_text);
	cr_assert_eq(a.limit, 100000);
	cr_assert_str_eq(a.kind, "order.intent");
	rc = view(sb_cli_events_parse, ARGV("events", "--limit", "100001"), &a);
	assert_refused(rc, "events", "--limit must be a whole number from 1 to 100000");
	rc = view(sb_cli_events_parse, ARGV("events", "--kind", ""), &a);
	assert_refused(rc, "events", "--kind must be 1 to 47 bytes");
}

Test(cli_args, pnl_by_picks_one_table)
{
	struct sb_cli_view_args a;
	cr_assert_eq(view(sb_cli_pnl_parse, ARGV("pnl"), &a), SB_EXIT_OK);
	cr_assert(a.by_pair && a.by_day);
	cr_assert_eq(view(sb_cli_pnl_parse, ARGV("pnl", "--by", "day"), &a), SB_EXIT_OK);
	cr_assert(!a.by_pair && a.by_day);
	cr_assert_eq(view(sb_cli_pnl_parse, ARGV("pnl", "--by", "day", "--by=pair"), &a), SB_EXIT_OK);
	cr_assert(a.by_pair && !a.by_day);
	int rc = view(sb_cli_pnl_parse, ARGV("pnl", "--by", "week"), &a);
	assert_refused(rc, "pnl", "--by must be 'pair' or 'day', not 'week'");
}

Test(cli_args, pairs_list_word_and_enabled)
{
	struct sb_cli_view_args a;
	cr_assert_eq(view(sb_cli_pairs_list_parse, ARGV("pairs", "list", "--enabled"), &a), SB_EXIT_OK);
	cr_assert(a.enabled_only);
	int rc = view(sb_cli_pairs_list_parse, ARGV("pairs", "list", "extra"), &a);
	assert_refused(rc, "pairs", "unexpected argument 'extra'");
}

Test(cli_args, status_refuses_arguments_values_and_a_second_config)
{
	struct sb_cli_view_args a;
	int rc = view(sb_cli_status_parse, ARGV("status", "now"), &a);
	assert_refused(rc, "status", "unexpected argument 'now'");
	rc = view(sb_cli_status_parse, ARGV("status", "--json=1"), &a);
	assert_refused(rc, "status", "'--json=1': this option takes no value");
	rc = view(sb_cli_status_parse, ARGV("status", "--config", "a.env", "--config", "b.env"), &a);
	assert_refused(rc, "status", "--config given twice");
	rc = view(sb_cli_status_parse, ARGV("status", "--config="), &a);
	assert_refused(rc, "status", "--config needs a file name");
	assert_help(view(sb_cli_status_parse, ARGV("status", "--help"), &a), "usage: spotbot status");
}

/* ---- backup, doctor, data, run ------------------------------------------------------------------- */

Test(cli_args, backup_takes_one_destination)
{
	struct sb_cli_backup_args a;
	capture_begin();
	int ok = sb_cli_backup_parse(4, ARGV("backup", "--json", "--config=bot.env", "copy.db"), &a);
	int none = sb_cli_backup_parse(2, ARGV("backup", "--json"), &a);
	capture_end();
	cr_assert_eq(ok, SB_EXIT_OK);
	cr_assert_eq(none, SB_EXIT_USAGE);
	cr_assert(strstr(err_text, "spotbot backup: which file should the backup go to?"), "%s", err_text);
	capture_begin();
	int two = sb_cli_backup_parse(3, ARGV("backup", "a.db", "b.db"), &a);
	capture_end();
	assert_refused(two, "backup", "unexpected argument 'b.db'");
	capture_begin();
	cr_assert_eq(sb_cli_backup_parse(2, ARGV("backup", "copy.db"), &a), SB_EXIT_OK);
	capture_end();
	cr_assert_str_eq(a.dst, "copy.db");
	cr_assert(!a.json && !a.config);
}

Test(cli_args, restore_takes_one_backup)
{
	struct sb_cli_backup_args a;
	capture_begin();
	int none = sb_cli_restore_parse(2, ARGV("restore", "--json"), &a);
	capture_end();
	assert_refused(none, "restore", "which backup should be restored?");
	capture_begin();
	int two = sb_cli_restore_parse(3, ARGV("restore", "a.db", "b.db"), &a);
	capture_end();
	assert_refused(two, "restore", "unexpected argument 'b.db'");
	capture_begin();
	cr_assert_eq(sb_cli_restore_parse(4, ARGV("restore", "--json", "--config=bot.env", "copy.db"), &a),
	             SB_EXIT_OK);
	capture_end();
	cr_assert_str_eq(a.dst, "copy.db");
	cr_assert(a.json);
	cr_assert_str_eq(a.config, "bot.env");
	capture_begin();
	int help = sb_cli_restore_parse(2, ARGV("restore", "--help"), &a);
	capture_end();
	assert_help(help, "usage: spotbot restore");
}

Test(cli_args, doctor_refuses_a_second_config_and_arguments)
{
	struct sb_cli_doctor_args a;
	capture_begin();
	int rc = sb_cli_doctor_parse(5, ARGV("doctor", "--config", "a.env", "--config", "b.env"), &a);
	capture_end();
	assert_refused(rc, "doctor", "--config needs one file name");
	capture_begin();
	rc = sb_cli_doctor_parse(2, ARGV("doctor", "now"), &a);
	capture_end();
	assert_refused(rc, "doctor", "unexpected argument 'now'");
	capture_begin();
	rc = sb_cli_doctor_parse(3, ARGV("doctor", "--json", "--config=x.env"), &a);
	capture_end();
	cr_assert_eq(rc, SB_EXIT_OK);
	cr_assert(a.json);
	cr_assert_str_eq(a.config, "x.env");
}

Test(cli_args, data_download_takes_four_arguments_and_upper_cases_the_symbol)
{
	struct sb_cli_data_args a;
	char sym[] = "btcusdt";
	char **argv = ARGV("data", "download", sym, "1m", "2024-01", "2024-03", "--dir", "k", "--json");
	capture_begin();
	int rc = sb_cli_data_parse(ARGC(argv), argv, &a);
	capture_end();
	cr_assert_eq(rc, SB_EXIT_OK, "stderr: %s", err_text);
	cr_assert_str_eq(a.rq.symbol, "BTCUSDT");
	cr_assert_str_eq(a.rq.interval, "1m");
	cr_assert_str_eq(a.rq.from, "2024-01");
	cr_assert_str_eq(a.rq.to, "2024-03");
	cr_assert_str_eq(a.rq.dir, "k");
	cr_assert_str_eq(a.rq.base_url, SB_DL_DEFAULT_BASE);
	cr_assert(a.json);
	capture_begin();
	rc = sb_cli_data_parse(5, ARGV("data", "download", "BTCUSDT", "1m", "2024-01"), &a);
	capture_end();
	assert_refused(rc, "data download", "expected SYMBOL INTERVAL FROM TO, got 3 arguments");
	capture_begin();
	rc = sb_cli_data_parse(1, ARGV("data"), &a);
	capture_end();
	assert_refused(rc, "data", "which data command? (download)");
	capture_begin();
	rc = sb_cli_data_parse(2, ARGV("data", "--help"), &a);
	capture_end();
	assert_help(rc, "usage: spotbot data download");
}

Test(cli_args, run_config_human_and_refusals)
{
	struct sb_cli_run_args a;
	capture_begin();
	int rc = sb_cli_run_parse(4, ARGV("run", "--config", "bot.env", "--human"), &a);
	capture_end();
	cr_assert_eq(rc, SB_EXIT_OK);
	cr_assert_str_eq(a.config, "bot.env");
	cr_assert(a.human);
	capture_begin();
	rc = sb_cli_run_parse(2, ARGV("run", "--config="), &a);
	capture_end();
	assert_refused(rc, "run", "--config needs one file name");
	capture_begin();
	rc = sb_cli_run_parse(2, ARGV("run", "--json"), &a);
	capture_end();
	assert_refused(rc, "run", "unknown argument '--json'");
	capture_begin();
	rc = sb_cli_run_parse(2, ARGV("run", "--help"), &a);
	capture_end();
	assert_help(rc, "usage: spotbot run");
}

Test(cli_args, config_one_action_repeated_or_refused_when_another)
{
	struct sb_cli_config_args a;
	capture_begin();
	int rc = sb_cli_config_parse(4, ARGV("config", "--show", "--config=bot.env", "--show"), &a);
	capture_end();
	cr_assert_eq(rc, SB_EXIT_OK, "stderr: %s", err_text);
	cr_assert_eq(a.action, SB_CLI_CONFIG_SHOW);
	cr_assert_str_eq(a.config, "bot.env");
	capture_begin();
	rc = sb_cli_config_parse(1, ARGV("config"), &a);
	capture_end();
	cr_assert_eq(rc, SB_EXIT_OK);
	cr_assert_eq(a.action, SB_CLI_CONFIG_CHECK);
	capture_begin();
	rc = sb_cli_config_parse(3, ARGV("config", "--example", "--markdown"), &a);
	capture_end();
	assert_refused(rc, "config", "--markdown conflicts with an earlier action");
	capture_begin();
	rc = sb_cli_config_parse(2, ARGV("config", "--json"), &a);
	capture_end();
	assert_refused(rc, "config", "unknown argument '--json'");
}

Test(cli_args, every_command_takes_dash_h_for_help_as_run_does)
{
	struct sb_cli_view_args a;
	assert_help(view(sb_cli_status_parse, ARGV("status", "-h"), &a), "usage: spotbot status");
	assert_help(view(sb_cli_events_parse, ARGV("events", "-h"), &a), "usage: spotbot events");
	struct sb_cli_backup_args b;
	capture_begin();
	int rc = sb_cli_backup_parse(2, ARGV("backup", "-h"), &b);
	capture_end();
	assert_help(rc, "usage: spotbot backup");
	struct sb_cli_doctor_args d;
	capture_begin();
	rc = sb_cli_doctor_parse(2, ARGV("doctor", "-h"), &d);
	capture_end();
	assert_help(rc, "usage: spotbot doctor");
	struct sb_cli_data_args x;
	capture_begin();
	rc = sb_cli_data_parse(2, ARGV("data", "-h"), &x);
	capture_end();
	assert_help(rc, "usage: spotbot data download");
}

Test(cli_args, a_bad_letter_among_short_options_is_named)
{
	struct sb_cli_view_args a;
	assert_refused(view(sb_cli_positions_parse, ARGV("positions", "-xh"), &a), "positions",
	               "unknown option '-x'");
	struct sb_cli_backup_args b;
	capture_begin();
	int rc = sb_cli_backup_parse(3, ARGV("backup", "-xy", "copy.db"), &b);
	capture_end();
	assert_refused(rc, "backup", "unknown option '-x'");
	struct sb_cli_doctor_args d;
	capture_begin();
	rc = sb_cli_doctor_parse(2, ARGV("doctor", "--json=1"), &d);
	capture_end();
	assert_refused(rc, "doctor", "'--json=1': this option takes no value");
}

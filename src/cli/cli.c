/*
 * cli.c - subcommand dispatch for the spotbot program.
 */
#include "cli/cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;                  /* what the user types */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	const char *summary;               /* one line for `spotbot help` */
};

static int cmd_help(int argc, char **argv);
static int cmd_version(int argc, char **argv);

static const struct command commands[] = {
    {"run", sb_cmd_run, "run the trading daemon"},
    {"status", sb_cmd_status, "run state, connectivity, exposure and counts"},
    {"positions", sb_cmd_positions, "open and closed positions with duration, cost, target and profit"},
    {"orders", sb_cmd_orders, "orders and their states"},
    {"pairs", sb_cmd_pairs, "list, add, set, enable, disable or remove trade pairs"},
    {"sell", sb_cmd_sell, "sell a position now at market"},
    {"reprice", sb_cmd_reprice, "move a position's limit sell to another price"},
    {"cancel", sb_cmd_cancel, "cancel a position's buy"},
    {"abandon", sb_cmd_abandon, "stop managing a position without touching the exchange"},
    {"pause", sb_cmd_pause, "pause trading (all pairs or one)"},
    {"resume", sb_cmd_resume, "resume trading (all pairs or one)"},
    {"history", sb_cmd_history, "finished cycles"},
    {"pnl", sb_cmd_pnl, "realised profit by pair and by day"},
    {"events", sb_cmd_events, "the events log"},
    {"backup", sb_cmd_backup, "a consistent online copy of the database"},
    {"restore", sb_cmd_restore, "put a backup back in place of the database (daemon stopped)"},
    {"doctor", sb_cmd_doctor, "check configuration, permissions, clock, API key, database and disk"},
    {"backtest", sb_cmd_backtest, "run the strategy of PAIRS on kline files against an in-process exchange"},
    {"data", sb_cmd_data, "download Binance kline files for a backtest, verified by checksum"},
    {"config", sb_cmd_config, "check the configuration, print it (secrets redacted) or print .env.example"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help, or a command's (help COMMAND)"},
};

static void usage(FILE *f)
{
	fputs("usage: spotbot <command> [options]\n"
	      "       spotbot <command> --help\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nexit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 daemon not running,\n"
	      "4 action still under way at --timeout, 5 data download: files not published\n",
	      f);
}

/* `spotbot help`: the list of commands; `spotbot help COMMAND`: what `spotbot COMMAND --help` prints. */
static int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		usage(stdout);
		return SB_EXIT_OK;
	}
	if (argc > 2)
		return sb_cli_usage_error("help", "usage: spotbot help [<command>]\n", "one command at most");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		if (strcmp(argv[1], commands[i].name) != 0)
			continue;
		if (commands[i].run == cmd_help || commands[i].run == cmd_version)
			return commands[i].run(1, argv + 1);
		char opt[] = "--help";
		char *help_argv[] = {argv[1], opt, NULL};
		return commands[i].run(2, help_argv);
	}
	fprintf(stderr, "spotbot help: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return SB_EXIT_USAGE;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("spotbot %s\n", SB_VERSION);
	return SB_EXIT_OK;
}

int sb_cli_unavailable(const char *command)
{
	fprintf(stderr, "spotbot %s: not available in this build yet\n", command);
	return SB_EXIT_FAILURE;
}

int sb_cli_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return SB_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cmd_help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0)
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "spotbot: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return SB_EXIT_USAGE;
}

const char *sb_cli_bad_option(char *const *argv, char *buf, size_t cap)
{
	const char *arg = argv[optind - 1];
	bool long_opt = strncmp(arg, "--", 2) == 0;
	/* A long option given a value it does not take ("--json=1") lands here too, with optopt set. */
	if (long_opt && strchr(arg, '='))
		snprintf(buf, cap, "'%s': this option takes no value", arg);
	else if (long_opt || !optopt)
		snprintf(buf, cap, "unknown option '%s'", arg);
	else
		snprintf(buf, cap, "unknown option '-%c'", optopt);
	return buf;
}

int sb_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "spotbot %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fputs(usage, stderr);
	return SB_EXIT_USAGE;
}

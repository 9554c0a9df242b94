/*
 * cmd_config.c - `spotbot config`: check the configuration (the default), print it with secrets redacted,
 * or print the generated .env.example or the Markdown reference table. The check is the daemon's own
 * (sb_config_load, then sb_bot_check_config), so what it accepts `spotbot run` starts with. A bad
 * configuration or bad arguments exit 2, so scripts and service managers can tell them from a runtime
 * failure.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "spotbot/bot.h"
#include "spotbot/config.h"

extern char **environ;

static void usage(FILE *f)
{
	fputs("usage: spotbot config [--config FILE] [--check | --show | --example | --markdown]\n"
	      "  --config FILE  read FILE instead of ./.env (it must then exist)\n"
	      "  --check        validate the configuration as `spotbot run` does (default)\n"
	      "  --show         print the resolved configuration, secrets redacted\n"
	      "  --example      print .env.example, generated from the options table\n"
	      "  --markdown     print the options table of docs/configuration.md\n",
	      f);
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	fputs("spotbot config: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	usage(stderr);
	return SB_EXIT_USAGE;
}

int sb_cli_config_parse(int argc, char **argv, struct sb_cli_config_args *a)
{
	static const char *const names[] = {
	    [SB_CLI_CONFIG_CHECK] = "--check",
	    [SB_CLI_CONFIG_SHOW] = "--show",
	    [SB_CLI_CONFIG_EXAMPLE] = "--example",
	    [SB_CLI_CONFIG_MARKDOWN] = "--markdown",
	};
	bool have_action = false;
	memset(a, 0, sizeof *a);
	a->action = SB_CLI_CONFIG_CHECK;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		size_t act = 0;
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return -1;
		} else if (strcmp(arg, "--config") == 0 || strncmp(arg, "--config=", 9) == 0) {
			const char *v = arg[8] == '=' ? arg + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || !*v)
				return bad_usage("%s needs a file name", "--config");
			if (a->config)
				return bad_usage("%s given twice", "--config");
			a->config = v;
			continue;
		}
		while (act < sizeof names / sizeof names[0] && strcmp(arg, names[act]) != 0)
			act++;
		if (act == sizeof names / sizeof names[0])
			return bad_usage("unknown argument '%s'", arg);
		if (have_action && act != a->action)
			return bad_usage("%s conflicts with an earlier action", arg);
		a->action = (enum sb_cli_config_action)act;
		have_action = true;
	}
	return SB_EXIT_OK;
}

int sb_cmd_config(int argc, char **argv)
{
	struct sb_cli_config_args a;
	struct sb_config cfg;
	sb_err err;
	int rc = sb_cli_config_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	const char *path = a.config;
	enum sb_cli_config_action action = a.action;
	if (action == SB_CLI_CONFIG_EXAMPLE) {
		sb_config_write_example(stdout);
		return SB_EXIT_OK;
	}
	if (action == SB_CLI_CONFIG_MARKDOWN) {
		sb_config_write_markdown(stdout);
		return SB_EXIT_OK;
	}
	sb_config_init(&cfg);
	err = sb_config_load(&cfg, path, path != NULL, environ, stderr);
	if (err == SB_OK)
		err = sb_bot_check_config(&cfg, stderr);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot config: %s\n", sb_strerror(err));
		sb_config_fini(&cfg);
		return SB_EXIT_USAGE;
	}
	if (action == SB_CLI_CONFIG_SHOW)
		sb_config_print(&cfg, stdout);
	else if (cfg.path)
		printf("configuration OK (%s)\n", cfg.path);
	else
		printf("configuration OK (%s not found: defaults and environment)\n", SB_CONFIG_DEFAULT_PATH);
	sb_config_fini(&cfg);
	return SB_EXIT_OK;
}

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

#include "cli/cli.h"
#include "spotbot/bot.h"
#include "spotbot/config.h"

extern char **environ;

enum action {
	ACTION_CHECK,
	ACTION_SHOW,
	ACTION_EXAMPLE,
	ACTION_MARKDOWN,
};

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

int sb_cmd_config(int argc, char **argv)
{
	const char *path = NULL;
	enum action action = ACTION_CHECK;
	bool have_action = false;
	struct sb_config cfg;
	sb_err err;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		enum action act;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			return SB_EXIT_OK;
		} else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || !*v)
				return bad_usage("%s needs a file name", "--config");
			if (path)
				return bad_usage("%s given twice", "--config");
			path = v;
			continue;
		} else if (strcmp(a, "--check") == 0) {
			act = ACTION_CHECK;
		} else if (strcmp(a, "--show") == 0) {
			act = ACTION_SHOW;
		} else if (strcmp(a, "--example") == 0) {
			act = ACTION_EXAMPLE;
		} else if (strcmp(a, "--markdown") == 0) {
			act = ACTION_MARKDOWN;
		} else {
			return bad_usage("unknown argument '%s'", a);
		}
		if (have_action && act != action)
			return bad_usage("%s conflicts with an earlier action", a);
		action = act;
		have_action = true;
	}
	if (action == ACTION_EXAMPLE) {
		sb_config_write_example(stdout);
		return SB_EXIT_OK;
	}
	if (action == ACTION_MARKDOWN) {
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
	if (action == ACTION_SHOW)
		sb_config_print(&cfg, stdout);
	else if (cfg.path)
		printf("configuration OK (%s)\n", cfg.path);
	else
		printf("configuration OK (%s not found: defaults and environment)\n", SB_CONFIG_DEFAULT_PATH);
	sb_config_fini(&cfg);
	return SB_EXIT_OK;
}

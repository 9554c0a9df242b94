/*
 * cmd_run.c - `spotbot run [--config FILE] [--human]`: loads the configuration, registers its secrets with
 * the logger before anything can be logged, and runs the trading daemon until SIGINT or SIGTERM (SIGHUP
 * reopens its log files).
 * --human prints one readable line per buy, fill, sell and finished cycle on stdout (the demo uses it).
 *
 * A refusal to start always reaches standard error, whatever LOG_STDERR says: the configuration's problems
 * are written there by the loader and the daemon's own check, a database held by another daemon or a log
 * that cannot be opened is said there in full, and any later failure ends with one line naming the error
 * and the log file that says more.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "spotbot/bot.h"
#include "spotbot/config.h"
#include "spotbot/log.h"

extern char **environ;

static void usage(FILE *f)
{
	fputs("usage: spotbot run [--config FILE] [--human]\n"
	      "  --config FILE  read FILE instead of ./.env (it must then exist)\n"
	      "  --human        print a readable line per buy, fill, sell and finished cycle on stdout\n",
	      f);
}

int sb_cli_run_parse(int argc, char **argv, struct sb_cli_run_args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return -1;
		} else if (strcmp(arg, "--config") == 0 || strncmp(arg, "--config=", 9) == 0) {
			const char *v = arg[8] == '=' ? arg + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || !*v || a->config) {
				fputs("spotbot run: --config needs one file name\n", stderr);
				usage(stderr);
				return SB_EXIT_USAGE;
			}
			a->config = v;
		} else if (strcmp(arg, "--human") == 0) {
			a->human = true;
		} else {
			fprintf(stderr, "spotbot run: unknown argument '%s'\n", arg);
			usage(stderr);
			return SB_EXIT_USAGE;
		}
	}
	return SB_EXIT_OK;
}

int sb_cmd_run(int argc, char **argv)
{
	struct sb_cli_run_args a;
	int rc = sb_cli_run_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	const char *path = a.config;
	struct sb_config cfg;
	sb_config_init(&cfg);
	sb_err err = sb_config_load(&cfg, path, path != NULL, environ, stderr);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot run: configuration refused (%s)\n", sb_strerror(err));
		sb_config_fini(&cfg);
		return SB_EXIT_USAGE;
	}
	sb_config_scrub_env();
	const char *secrets[8];
	size_t ns = sb_config_secrets(&cfg, secrets, sizeof secrets / sizeof secrets[0]);
	for (size_t i = 0; i < ns && i < sizeof secrets / sizeof secrets[0]; i++)
		(void)sb_log_add_secret(secrets[i]);
	/* A failure before the log was open (the database's lock, the log itself) is already on stderr in
	 * full; pointing at the log would send the operator to a file that does not say it. */
	bool on_tty = false;
	struct sb_bot_opts opts = {.human = a.human ? stdout : NULL, .on_tty = &on_tty};
	err = sb_bot_run(&cfg, &opts);
	if (err == SB_ERR_CONFIG)
		fprintf(stderr, "spotbot run: configuration refused (%s)\n", sb_strerror(err));
	else if (err != SB_OK && !on_tty && cfg.log_dir[0])
		fprintf(stderr, "spotbot run: ended with an error: %s; %s/spotbot.log says why\n",
		        sb_strerror(err), cfg.log_dir);
	else if (err != SB_OK && !on_tty)
		fprintf(stderr, "spotbot run: ended with an error: %s; the log lines above say why\n",
		        sb_strerror(err));
	sb_config_fini(&cfg);
	/* Refused to start: a configuration it cannot trade with, or a database another daemon holds. */
	if (err == SB_ERR_CONFIG || err == SB_ERR_IN_USE)
		return SB_EXIT_USAGE;
	return err == SB_OK ? SB_EXIT_OK : SB_EXIT_FAILURE;
}

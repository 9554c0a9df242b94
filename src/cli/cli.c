/*
 * cli.c - subcommand dispatch for the spotbot program.
 */
#include "cli/cli.h"

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
    {"config", sb_cmd_config, "check the configuration, print it (secrets redacted) or print .env.example"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "show this help"},
};

static void usage(FILE *f)
{
	fputs("usage: spotbot <command> [options]\n\ncommands:\n", f);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nexit codes: 0 ok, 1 failure, 2 usage or configuration error, 3 daemon not running\n", f);
}

static int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	usage(stdout);
	return SB_EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("spotbot %s\n", SB_VERSION);
	return SB_EXIT_OK;
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

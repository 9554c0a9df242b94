/*
 * cli.h - the spotbot command line: one table of subcommands, each a function taking argc/argv
 * after the command name. Exit codes are shared by every command (documented in docs/cli.md).
 */
#ifndef SPOTBOT_CLI_H
#define SPOTBOT_CLI_H

enum sb_exit {
	SB_EXIT_OK = 0,        /* success */
	SB_EXIT_FAILURE = 1,   /* the command ran and failed */
	SB_EXIT_USAGE = 2,     /* bad arguments or bad configuration */
	SB_EXIT_NO_DAEMON = 3, /* the command needs the daemon and it is not running */
};

/* Runs the command named by argv[1]; returns an enum sb_exit value. */
int sb_cli_main(int argc, char **argv);

/* Subcommands; argv[0] is the command name. */
int sb_cmd_config(int argc, char **argv);

#endif

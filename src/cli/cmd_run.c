/*
 * cmd_run.c - `spotbot run`, the trading daemon (placeholder until it lands).
 */
#include "cli/cli.h"

int sb_cmd_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("run");
}

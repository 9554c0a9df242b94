/*
 * cmd_config.c - `spotbot config`: placeholder until the configuration module lands.
 */
#include "cli/cli.h"

#include <stdio.h>

int sb_cmd_config(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("spotbot config: not available in this build\n", stderr);
	return SB_EXIT_FAILURE;
}

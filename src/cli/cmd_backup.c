/*
 * cmd_backup.c - `spotbot backup PATH` (placeholder until it lands).
 */
#include "cli/cli.h"

int sb_cmd_backup(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("backup");
}

/*
 * cmd_doctor.c - `spotbot doctor` (placeholder until it lands).
 */
#include "cli/cli.h"

int sb_cmd_doctor(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("doctor");
}

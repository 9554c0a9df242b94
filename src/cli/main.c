/*
 * spotbot - entry point: dispatches to the subcommands in src/cli.
 */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return sb_cli_main(argc, argv);
}

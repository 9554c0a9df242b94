/*
 * spotbot - entry point: makes what it creates private, then dispatches to the subcommands in src/cli.
 */
#include "cli/cli.h"
#include "spotbot/fsperm.h"

int main(int argc, char **argv)
{
	sb_fsperm_private(); /* every file spotbot creates is its user's alone (docs/operations.md) */
	return sb_cli_main(argc, argv);
}

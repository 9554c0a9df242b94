/*
 * cmd_read.c - read-only views of the database (placeholder until it lands).
 */
#include "cli/cli.h"

int sb_cmd_status(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("status");
}

int sb_cmd_positions(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("positions");
}

int sb_cmd_orders(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("orders");
}

int sb_cmd_pairs(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("pairs");
}

int sb_cmd_history(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("history");
}

int sb_cmd_pnl(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("pnl");
}

int sb_cmd_events(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("events");
}

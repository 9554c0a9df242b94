/*
 * cmd_act.c - manual actions through the control API (placeholder until it lands).
 */
#include "cli/cli.h"

int sb_cmd_sell(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("sell");
}

int sb_cmd_cancel(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("cancel");
}

int sb_cmd_abandon(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("abandon");
}

int sb_cmd_pause(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("pause");
}

int sb_cmd_resume(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return sb_cli_unavailable("resume");
}

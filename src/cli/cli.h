/*
 * cli.h - the spotbot command line: one table of subcommands, each a function taking argc/argv
 * after the command name. Exit codes are shared by every command (documented in docs/cli.md).
 */
#ifndef SPOTBOT_CLI_H
#define SPOTBOT_CLI_H

#include <stddef.h>

struct sb_config;

enum sb_exit {
	SB_EXIT_OK = 0,        /* success */
	SB_EXIT_FAILURE = 1,   /* the command ran and failed */
	SB_EXIT_USAGE = 2,     /* bad arguments or bad configuration */
	SB_EXIT_NO_DAEMON = 3, /* the command needs the daemon and it is not running */
	SB_EXIT_PENDING = 4,   /* an action was accepted but had not ended when --timeout passed */
	SB_EXIT_MISSING = 5,   /* data download: some files are not published (404), the rest are present */
};

/* Runs the command named by argv[1]; returns an enum sb_exit value. */
int sb_cli_main(int argc, char **argv);

/* Subcommands; argv[0] is the command name. */
int sb_cmd_config(int argc, char **argv);
int sb_cmd_run(int argc, char **argv); /* cmd_run.c: the daemon */
/* Read-only views of the database (shared parts in cmd_read.c). */
int sb_cmd_status(int argc, char **argv);    /* cmd_status.c */
int sb_cmd_positions(int argc, char **argv); /* cmd_positions.c, with history and orders */
int sb_cmd_history(int argc, char **argv);
int sb_cmd_orders(int argc, char **argv);
int sb_cmd_pairs(int argc, char **argv); /* cmd_report.c, with pnl and events */
int sb_cmd_pnl(int argc, char **argv);
int sb_cmd_events(int argc, char **argv);
/* cmd_pairs.c: pairs add|set|enable|disable through the control API; argv[0] is the subcommand. */
int sb_cmd_pairs_act(int argc, char **argv);
int sb_cmd_backup(int argc, char **argv);   /* cmd_backup.c */
int sb_cmd_restore(int argc, char **argv);  /* cmd_restore.c */
int sb_cmd_doctor(int argc, char **argv);   /* cmd_doctor.c */
int sb_cmd_data(int argc, char **argv);     /* cmd_data.c: data download */
int sb_cmd_backtest(int argc, char **argv); /* cmd_backtest.c */
int sb_cmd_sell(int argc, char **argv);     /* cmd_act.c: manual actions through the control API */
int sb_cmd_cancel(int argc, char **argv);
int sb_cmd_abandon(int argc, char **argv);
int sb_cmd_reprice(int argc, char **argv);
int sb_cmd_pause(int argc, char **argv);
int sb_cmd_resume(int argc, char **argv);

/*
 * cmd_act.c: POSTs body (JSON; NULL sends an empty body) to the daemon's control API at path, with the bearer
 * token of cfg. SB_EXIT_OK when the daemon answered, whatever the status: *status and *answer (the body,
 * NUL-terminated, the caller's to free; may be NULL). SB_EXIT_NO_DAEMON when nothing answers at
 * CONTROL_LISTEN, SB_EXIT_FAILURE when the request failed otherwise; the reason is printed then, prefixed
 * with "spotbot <cmd>:".
 */
int sb_cli_control_post(const char *cmd, const struct sb_config *cfg, const char *path, const char *body,
                        long *status, char **answer);
/* The same as a GET without a body; cmd NULL prints nothing on failure. */
int sb_cli_control_get(const char *cmd, const struct sb_config *cfg, const char *path, long *status,
                       char **answer);
/* The running daemon's answer to GET path when it is 200 with a JSON object or array (the caller deletes
 * it); NULL when no daemon answers so, and nothing is printed then. */
struct cJSON *sb_cli_control_get_json(const struct sb_config *cfg, const char *path);
/* Prints why the daemon refused a request: the "error" text of its JSON answer, or a hint for 401. */
void sb_cli_control_error(const char *cmd, long status, const char *body);

/* Upper-cases the ASCII letters of a symbol typed on the command line, in place ("algousdt" is ALGOUSDT):
 * every command that acts takes symbols case-insensitively, as the read-only views do. Returns s. */
char *sb_cli_symbol_upper(char *s);

/* Prints "spotbot CMD: <message>" and the command's usage on stderr; returns SB_EXIT_USAGE. */
int sb_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* getopt_long's '?' for the option it just read, as a message in buf: "unknown option '--x'", "unknown
 * option '-x'" (also inside "-xy"), or "'--json=1': this option takes no value". Returns buf. */
const char *sb_cli_bad_option(char *const *argv, char *buf, size_t cap);

/* For commands not in this build yet: says so on stderr and returns SB_EXIT_FAILURE. */
int sb_cli_unavailable(const char *command);

#endif

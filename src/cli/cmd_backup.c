/*
 * cmd_backup.c - `spotbot backup PATH`: a consistent copy of the database, taken online.
 *
 * The copy goes through the store's backup operation (SQLite's online backup), so it is consistent even
 * while the daemon keeps writing, and the database is opened read-only, so the backup can never disturb
 * it. An existing PATH is refused: a backup never overwrites anything, least of all an older backup. The
 * copy is then opened and its integrity checked, so "backup written" means a database that will open.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "spotbot/config.h"
#include "spotbot/store.h"

extern char **environ;

static const char usage_text[] =
    "usage: spotbot backup PATH [--json] [--config FILE]\n"
    "  writes a consistent copy of the database (DATABASE_PATH) to PATH, which must not exist\n"
    "  --config FILE  read FILE instead of ./.env\n"
    "  --json         print the result as JSON\n";

/* Opens the copy and checks it; SB_OK when sound, else the reason in msg. */
static sb_err verify_copy(const char *path, char *msg, size_t cap)
{
	struct sb_store *copy = NULL;
	struct sb_store_opts opts = {.readonly = true, .no_create = true};
	sb_err e = sb_store_open_sqlite(path, &opts, &copy, msg, cap);
	if (e == SB_OK)
		e = sb_store_check(copy, msg, cap);
	sb_store_close(copy);
	return e;
}

static int print_result(bool json, const char *src, const char *dst, long long bytes)
{
	if (!json) {
		printf("backup of %s written to %s (%lld bytes, integrity ok)\n", src, dst, bytes);
		return SB_EXIT_OK;
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "source", src);
	cJSON_AddStringToObject(doc, "path", dst);
	cJSON_AddNumberToObject(doc, "bytes", (double)bytes);
	cJSON_AddStringToObject(doc, "integrity", "ok");
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	puts(text);
	cJSON_free(text);
	return SB_EXIT_OK;
}

/* Loads the configuration, copies the database to dst and checks the copy. Returns the exit code. */
static int run_backup(const char *config, const char *dst, bool json)
{
	struct sb_config cfg;
	struct sb_store *st = NULL;
	char msg[SB_STORE_ERRMSG_MAX] = "";
	struct stat sb;
	int rc = SB_EXIT_FAILURE;
	sb_config_init(&cfg);
	sb_err e = sb_config_load(&cfg, config, config != NULL, environ, stderr);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot backup: configuration: %s\n", sb_strerror(e));
		rc = SB_EXIT_USAGE;
		goto out;
	}
	struct sb_store_opts opts = {.readonly = true, .no_create = true};
	e = sb_store_open_sqlite(cfg.database_path, &opts, &st, msg, sizeof msg);
	if (e == SB_ERR_NOT_FOUND) {
		fprintf(stderr, "spotbot backup: no database at %s (DATABASE_PATH)\n", cfg.database_path);
		goto out;
	}
	if (e != SB_OK) {
		fprintf(stderr, "spotbot backup: cannot open %s: %s\n", cfg.database_path,
		        msg[0] ? msg : sb_strerror(e));
		goto out;
	}
	e = sb_store_backup(st, dst);
	if (e != SB_OK) {
		const char *why = sb_store_last_error(st);
		fprintf(stderr, "spotbot backup: %s\n", why && *why ? why : sb_strerror(e));
		goto out;
	}
	/* Trading history is private: the copy is for its owner only, whatever the umask. */
	if (chmod(dst, 0600) != 0)
		fprintf(stderr, "spotbot backup: warning: cannot chmod 600 %s: %s\n", dst, strerror(errno));
	e = verify_copy(dst, msg, sizeof msg);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot backup: the copy at %s fails its integrity check: %s\n", dst,
		        msg[0] ? msg : sb_strerror(e));
		goto out;
	}
	rc = print_result(json, cfg.database_path, dst, stat(dst, &sb) == 0 ? (long long)sb.st_size : -1);
out:
	sb_store_close(st);
	sb_config_fini(&cfg);
	return rc;
}

int sb_cli_file_parse(int argc, char **argv, const struct sb_cli_file_cmd *cmd, struct sb_cli_backup_args *a)
{
	static const struct option longs[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	memset(a, 0, sizeof *a);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (!*optarg)
				return sb_cli_usage_error(cmd->name, cmd->usage,
				                          "--config needs a file name");
			if (a->config)
				return sb_cli_usage_error(cmd->name, cmd->usage, "--config given twice");
			a->config = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			fputs(cmd->usage, stdout);
			return -1;
		case ':':
			return sb_cli_usage_error(cmd->name, cmd->usage, "%s needs a value",
			                          argv[optind - 1]);
		default: {
			char why[300];
			return sb_cli_usage_error(cmd->name, cmd->usage, "%s",
			                          sb_cli_bad_option(argv, why, sizeof why));
		}
		}
	}
	if (optind >= argc)
		return sb_cli_usage_error(cmd->name, cmd->usage, "%s", cmd->missing);
	if (optind + 1 < argc)
		return sb_cli_usage_error(cmd->name, cmd->usage, "unexpected argument '%s'",
		                          argv[optind + 1]);
	a->dst = argv[optind];
	if (!*a->dst)
		return sb_cli_usage_error(cmd->name, cmd->usage, "the file name is empty");
	return SB_EXIT_OK;
}

int sb_cli_backup_parse(int argc, char **argv, struct sb_cli_backup_args *a)
{
	static const struct sb_cli_file_cmd cmd = {"backup", usage_text,
	                                           "which file should the backup go to?"};
	return sb_cli_file_parse(argc, argv, &cmd, a);
}

int sb_cmd_backup(int argc, char **argv)
{
	struct sb_cli_backup_args a;
	struct stat sb;
	int rc = sb_cli_backup_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	/* Checked here too, before any work, so the refusal does not depend on the database being readable.
	 */
	if (lstat(a.dst, &sb) == 0) {
		fprintf(stderr, "spotbot backup: %s already exists; a backup never overwrites\n", a.dst);
		return SB_EXIT_FAILURE;
	}
	return run_backup(a.config, a.dst, a.json);
}

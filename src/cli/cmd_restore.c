/*
 * cmd_restore.c - `spotbot restore BACKUP`: puts a backup back in place of the database, safely.
 *
 * The daemon must be stopped: the database's lock is taken for the whole restore, so a running daemon
 * makes it refuse and a daemon started meanwhile waits for nothing (it refuses too). The backup is
 * copied next to the database, the copy opened (which migrates an older schema and refuses a newer one)
 * and its integrity checked; only then does a rename put it in place, so the database is at every moment
 * either the old one or the whole restored one.
 *
 * A restored database would hand out again the position ids and order attempts it handed out after the
 * backup was taken, and the exchange has seen the clientOrderIds made from them. The copy therefore gets
 * a clientOrderId epoch (coid.h) above both the replaced database's and the backup's before it is put in
 * place: every id the daemon makes after the restore differs from every id made before it. A database
 * copied back by hand keeps its old epoch; restore is the supported way.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"
#include "spotbot/config.h"
#include "spotbot/store.h"
#include "spotbot/store_lock.h"

extern char **environ;

static const char usage_text[] =
    "usage: spotbot restore BACKUP [--json] [--config FILE]\n"
    "  replaces the database (DATABASE_PATH) with BACKUP, a file written by `spotbot backup`;\n"
    "  the daemon must be stopped. The restored database gets a new clientOrderId epoch, so no\n"
    "  order id the exchange has already seen is used again.\n"
    "  --config FILE  read FILE instead of ./.env\n"
    "  --json         print the result as JSON\n";

int sb_cli_restore_parse(int argc, char **argv, struct sb_cli_backup_args *a)
{
	static const struct sb_cli_file_cmd cmd = {"restore", usage_text, "which backup should be restored?"};
	return sb_cli_file_parse(argc, argv, &cmd, a);
}

/* path + suffix, allocated. */
static char *suffixed(const char *path, const char *suffix)
{
	size_t n = strlen(path) + strlen(suffix) + 1;
	char *s = sb_xmalloc(n);
	snprintf(s, n, "%s%s", path, suffix);
	return s;
}

/* Copies src to the new file dst (mode 0600) and syncs it; false with a message on stderr. */
static bool copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "spotbot restore: cannot open %s: %s\n", src, strerror(errno));
		return false;
	}
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		fprintf(stderr, "spotbot restore: cannot create %s: %s\n", dst, strerror(errno));
		close(in);
		return false;
	}
	char buf[65536];
	ssize_t n;
	bool ok = true;
	while (ok && (n = read(in, buf, sizeof buf)) != 0) {
		if (n < 0) {
			ok = errno == EINTR;
			continue;
		}
		for (ssize_t off = 0; ok && off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno != EINTR)
				ok = false;
			else if (w > 0)
				off += w;
		}
	}
	if (ok && fsync(out) != 0)
		ok = false;
	if (!ok)
		fprintf(stderr, "spotbot restore: copying %s to %s: %s\n", src, dst, strerror(errno));
	close(in);
	close(out);
	return ok;
}

/* The epoch of the database at path, 0 when there is none; false with a message when it cannot be read.
 * Read without opening it as a store, so a database a newer spotbot migrated (a rollback) is no obstacle. */
static bool current_epoch(const char *path, unsigned *epoch)
{
	char buf[32], msg[SB_STORE_ERRMSG_MAX] = "";
	int64_t v = 0;
	*epoch = 0;
	sb_err e = sb_store_peek_state(path, SB_STORE_KEY_COID_EPOCH, buf, sizeof buf, msg, sizeof msg);
	if (e == SB_ERR_NOT_FOUND)
		return true;
	if (e == SB_OK && (!sb_parse_i64_str(buf, 0, SB_COID_EPOCH_MAX, &v)))
		snprintf(msg, sizeof msg, "%s \"%s\" is not an epoch", SB_STORE_KEY_COID_EPOCH, buf);
	if (e != SB_OK || msg[0]) {
		fprintf(stderr,
		        "spotbot restore: cannot read the database %s it would replace: %s\n"
		        "(move it aside by hand if it is damaged beyond use)\n",
		        path, msg[0] ? msg : sb_strerror(e));
		return false;
	}
	*epoch = (unsigned)v;
	return true;
}

/* Opens the copy at tmp (migrating it), checks it and gives it an epoch above floor and its own. */
static bool prepare_copy(const char *backup, const char *tmp, unsigned floor, unsigned *epoch)
{
	struct sb_store *st = NULL;
	char msg[SB_STORE_ERRMSG_MAX] = "";
	struct sb_store_opts opts = {.no_create = true};
	unsigned own = 0;
	sb_err e = sb_store_open_sqlite(tmp, &opts, &st, msg, sizeof msg);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot restore: %s cannot be opened: %s\n", backup,
		        msg[0] ? msg : sb_strerror(e));
		return false;
	}
	e = sb_store_check(st, msg, sizeof msg);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot restore: %s fails its integrity check: %s\n", backup,
		        msg[0] ? msg : sb_strerror(e));
		sb_store_close(st);
		return false;
	}
	e = sb_store_coid_epoch(st, &own);
	*epoch = (own > floor ? own : floor) + 1;
	if (e == SB_OK && *epoch > SB_COID_EPOCH_MAX)
		e = SB_ERR_RANGE;
	if (e == SB_OK)
		e = sb_store_state_set_int(st, SB_STORE_KEY_COID_EPOCH, *epoch, sb_clock_wall_ms(), NULL);
	if (e != SB_OK) {
		const char *why = sb_store_last_error(st);
		fprintf(stderr, "spotbot restore: cannot set the clientOrderId epoch of the copy: %s\n",
		        why && *why ? why : sb_strerror(e));
	}
	sb_store_close(st);
	return e == SB_OK;
}

/* Puts tmp in place of path: the old database's log files go first, so none is applied to the copy. */
static bool put_in_place(const char *tmp, const char *path)
{
	static const char *const logs[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++) {
		char *f = suffixed(path, logs[i]);
		int rc = unlink(f);
		int err = errno;
		free(f);
		if (rc != 0 && err != ENOENT) {
			fprintf(stderr, "spotbot restore: cannot remove %s%s: %s\n", path, logs[i],
			        strerror(err));
			return false;
		}
	}
	if (rename(tmp, path) != 0) {
		fprintf(stderr, "spotbot restore: cannot rename %s to %s: %s\n", tmp, path, strerror(errno));
		return false;
	}
	/* The rename itself reaches the disk with its directory. */
	char *dir = sb_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir ? 1 : 0] = '\0';
	int fd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0)
		fprintf(stderr, "spotbot restore: warning: cannot sync the directory of %s: %s\n", path,
		        strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dir);
	return true;
}

static void print_result(bool json, const char *backup, const char *path, unsigned epoch)
{
	if (!json) {
		printf("restored %s to %s (integrity ok, clientOrderId epoch %u)\n", backup, path, epoch);
		return;
	}
	cJSON *doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "backup", backup);
	cJSON_AddStringToObject(doc, "path", path);
	cJSON_AddStringToObject(doc, "integrity", "ok");
	cJSON_AddNumberToObject(doc, "coid_epoch", epoch);
	char *text = cJSON_Print(doc);
	cJSON_Delete(doc);
	puts(text);
	cJSON_free(text);
}

/* With the lock held: the copy, its checks and the rename. Returns the exit code. */
static int restore_locked(const char *backup, const char *path, bool json)
{
	unsigned floor = 0, epoch = 0;
	if (!current_epoch(path, &floor))
		return SB_EXIT_FAILURE;
	char *tmp = suffixed(path, ".restoring");
	/* Left by an interrupted restore: never in use, since the lock is ours. */
	(void)unlink(tmp);
	bool ok =
	    copy_file(backup, tmp) && prepare_copy(backup, tmp, floor, &epoch) && put_in_place(tmp, path);
	if (!ok)
		(void)unlink(tmp);
	free(tmp);
	if (!ok)
		return SB_EXIT_FAILURE;
	print_result(json, backup, path, epoch);
	return SB_EXIT_OK;
}

static int run_restore(const char *config, const char *backup, bool json)
{
	struct sb_config cfg;
	struct sb_store_lock *lock = NULL;
	char msg[SB_STORE_ERRMSG_MAX] = "";
	int rc = SB_EXIT_FAILURE;
	sb_config_init(&cfg);
	sb_err e = sb_config_load(&cfg, config, config != NULL, environ, stderr);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot restore: configuration: %s\n", sb_strerror(e));
		rc = SB_EXIT_USAGE;
		goto out;
	}
	e = sb_store_lock_take(cfg.database_path, &lock, msg, sizeof msg);
	if (e == SB_ERR_IN_USE) {
		fprintf(stderr, "spotbot restore: %s; stop the daemon first\n", msg);
		goto out;
	}
	if (e != SB_OK) {
		fprintf(stderr, "spotbot restore: %s\n", msg[0] ? msg : sb_strerror(e));
		goto out;
	}
	rc = restore_locked(backup, cfg.database_path, json);
out:
	sb_store_lock_release(lock);
	sb_config_fini(&cfg);
	return rc;
}

int sb_cmd_restore(int argc, char **argv)
{
	struct sb_cli_backup_args a;
	struct stat sb;
	int rc = sb_cli_restore_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	if (stat(a.dst, &sb) != 0) {
		fprintf(stderr, "spotbot restore: cannot read the backup %s: %s\n", a.dst, strerror(errno));
		return SB_EXIT_FAILURE;
	}
	if (!S_ISREG(sb.st_mode)) {
		fprintf(stderr, "spotbot restore: the backup %s is not a regular file\n", a.dst);
		return SB_EXIT_FAILURE;
	}
	return run_restore(a.config, a.dst, a.json);
}

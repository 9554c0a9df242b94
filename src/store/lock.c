/*
 * lock.c - the database's exclusive lock (store_lock.h): flock(2) on DATABASE_PATH.lock with the holder's
 * pid written into the file.
 *
 * flock and not fcntl: an fcntl lock belongs to the process and vanishes when any descriptor of the file
 * is closed anywhere in it, while an flock belongs to this one open file description. The descriptor is
 * close-on-exec, so a child never inherits (and never prolongs) the lock.
 */
#include "spotbot/store_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/parse.h"
#include "spotbot/alloc.h"

#define LOCK_SUFFIX ".lock"

struct sb_store_lock {
	int fd; /* the locked file; -1 for ":memory:" */
};

/* The pid written in the lock file by its holder; 0 when it cannot be read (not written yet). */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	int64_t pid; /* the digits before the newline the holder writes after them */
	if (!sb_parse_i64(buf, strspn(buf, "0123456789"), 1, LONG_MAX, &pid))
		return 0;
	return (long)pid;
}

/* Replaces the file's content with our pid. */
static int write_pid(int fd)
{
	char buf[32];
	int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0)
		return -1;
	return pwrite(fd, buf, (size_t)len, 0) == len ? 0 : -1;
}

sb_err sb_store_lock_take(const char *db_path, struct sb_store_lock **out, char *msg, size_t cap)
{
	if (!db_path || !db_path[0] || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	if (strcmp(db_path, ":memory:") == 0) {
		*out = sb_xcalloc(1, sizeof **out);
		(*out)->fd = -1;
		return SB_OK;
	}
	size_t len = strlen(db_path) + sizeof LOCK_SUFFIX;
	char *path = sb_xmalloc(len);
	snprintf(path, len, "%s%s", db_path, LOCK_SUFFIX);
	sb_err err = SB_OK;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(msg, cap, "cannot open the lock file %s: %s", path, strerror(errno));
		err = SB_ERR_IO;
	} else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			long pid = holder_pid(fd);
			if (pid > 0)
				snprintf(msg, cap, "database %s is in use by spotbot pid %ld", db_path, pid);
			else
				snprintf(msg, cap, "database %s is in use by another spotbot", db_path);
			err = SB_ERR_IN_USE;
		} else {
			snprintf(msg, cap, "cannot lock %s: %s", path, strerror(errno));
			err = SB_ERR_IO;
		}
	} else if (write_pid(fd) != 0) {
		snprintf(msg, cap, "cannot write the lock file %s: %s", path, strerror(errno));
		err = SB_ERR_IO;
	}
	free(path);
	if (err != SB_OK) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	*out = sb_xcalloc(1, sizeof **out);
	(*out)->fd = fd;
	return SB_OK;
}

void sb_store_lock_release(struct sb_store_lock *l)
{
	if (!l)
		return;
	if (l->fd >= 0)
		close(l->fd); /* closing the only descriptor releases the flock */
	free(l);
}

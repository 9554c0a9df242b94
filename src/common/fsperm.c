/*
 * fsperm.c - private files and trustworthy directories (spotbot/fsperm.h). The umask makes every file the
 * programs create 0600 and every directory 0700 (the database and its -wal/-shm, backups, logs and their
 * rotations, the error log, the control socket, spotsim's state file), whatever code creates them. The
 * directory check runs before the daemon opens anything, so a refusal leaves no file behind.
 */
#include "spotbot/fsperm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void sb_fsperm_private(void)
{
	(void)umask(077);
}

/* Drops the last component of p in place ("a/b" -> "a", "b" -> ".", "/b" -> "/"). */
static void parent(char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = '\0';
	char *slash = strrchr(p, '/');
	if (!slash)
		snprintf(p, 2, ".");
	else if (slash == p)
		p[1] = '\0';
	else
		*slash = '\0';
}

sb_err sb_fsperm_check_dir(const char *path, bool dir_of_path, char *why, size_t cap)
{
	char dir[PATH_MAX];
	if (!path || !path[0] || strlen(path) >= sizeof dir) {
		snprintf(why, cap, "no usable path");
		return SB_ERR_INVALID;
	}
	memcpy(dir, path, strlen(path) + 1);
	if (dir_of_path)
		parent(dir);
	struct stat st;
	bool missing = false;
	/* A directory still to be made (0700, by this user) is as safe as the one it will be made in, where a
	 * sticky bit keeps others from replacing it. */
	while (stat(dir, &st) != 0) {
		if (errno != ENOENT || strcmp(dir, "/") == 0 || strcmp(dir, ".") == 0) {
			snprintf(why, cap, "%s: %s", dir, strerror(errno));
			return SB_ERR_IO;
		}
		missing = true;
		parent(dir);
	}
	if ((st.st_mode & S_IWOTH) && !(missing && (st.st_mode & S_ISVTX))) {
		snprintf(
		    why, cap,
		    "directory %s is writable by anyone (mode %04o): use a directory only its user can write",
		    dir, (unsigned)(st.st_mode & 07777));
		return SB_ERR_PERM;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		snprintf(why, cap, "directory %s belongs to user %u, not to this user (%u) or root", dir,
		         (unsigned)st.st_uid, (unsigned)geteuid());
		return SB_ERR_PERM;
	}
	return SB_OK;
}

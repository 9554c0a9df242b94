/*
 * fsperm.h - who may touch the files spotbot and spotsim keep. Both programs create everything private to
 * their user (a 077 umask: files 0600, directories 0700), and refuse to keep the database or the logs in a
 * directory somebody else could swap files in: one writable by anyone, or owned by another user.
 */
#ifndef SPOTBOT_FSPERM_H
#define SPOTBOT_FSPERM_H

#include <stdbool.h>
#include <stddef.h>

#include "spotbot/error.h"

/* Sets the process's umask to 077, so every file and directory it creates is its user's alone. */
void sb_fsperm_private(void);

/*
 * Checks the directory that holds path (dir_of_path true: the database file) or path itself (false: the
 * log directory); a directory that does not exist yet is judged by its nearest existing ancestor, where it
 * will be created. SB_ERR_PERM with the reason in why (cap bytes) when the directory is writable by
 * others (sticky or not: anyone could create the database's -wal file first) or owned by a user who is
 * neither this one nor root.
 */
sb_err sb_fsperm_check_dir(const char *path, bool dir_of_path, char *why, size_t cap);

#endif

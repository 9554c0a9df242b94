/*
 * test_store_lock.c - the database's exclusive lock: a second taker is refused with the holder's pid in
 * the message (flock is per open file, so a second descriptor in this very process is refused like
 * another daemon), a released lock can be taken again, a child killed with SIGKILL leaves no stale lock,
 * and a lock file that cannot be created is an I/O error that names it.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spotbot/store_lock.h"

static char dir[64];
static char db_path[128];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sb_lock_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db_path, sizeof db_path, "%s/spotbot.db", dir);
}

static void teardown(void)
{
	char p[200];
	snprintf(p, sizeof p, "%s.lock", db_path);
	unlink(p);
	rmdir(dir);
}

TestSuite(store_lock, .init = setup, .fini = teardown);

Test(store_lock, a_second_taker_is_refused_with_the_holders_pid_until_release)
{
	struct sb_store_lock *a = NULL, *b = NULL;
	char msg[512];
	cr_assert_eq(sb_store_lock_take(db_path, &a, msg, sizeof msg), SB_OK, "%s", msg);
	cr_assert_eq(sb_store_lock_take(db_path, &b, msg, sizeof msg), SB_ERR_IN_USE);
	cr_assert_null(b);
	char want[256];
	snprintf(want, sizeof want, "database %s is in use by spotbot pid %ld", db_path, (long)getpid());
	cr_assert_str_eq(msg, want);
	sb_store_lock_release(a);
	cr_assert_eq(sb_store_lock_take(db_path, &b, msg, sizeof msg), SB_OK, "%s", msg);
	sb_store_lock_release(b);
	sb_store_lock_release(NULL);
}

Test(store_lock, a_killed_holder_leaves_no_stale_lock)
{
	int ready[2];
	cr_assert_eq(pipe(ready), 0);
	pid_t child = fork();
	cr_assert_geq(child, 0);
	if (child == 0) {
		struct sb_store_lock *l = NULL;
		char m[512];
		if (sb_store_lock_take(db_path, &l, m, sizeof m) != SB_OK)
			_exit(1);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c;
	cr_assert_eq(read(ready[0], &c, 1), 1, "the child holds the lock");
	struct sb_store_lock *l = NULL;
	char msg[512], want[256];
	cr_assert_eq(sb_store_lock_take(db_path, &l, msg, sizeof msg), SB_ERR_IN_USE);
	snprintf(want, sizeof want, "pid %ld", (long)child);
	cr_assert(strstr(msg, want), "%s", msg);
	kill(child, SIGKILL);
	cr_assert_eq(waitpid(child, NULL, 0), child);
	cr_assert_eq(sb_store_lock_take(db_path, &l, msg, sizeof msg), SB_OK, "%s", msg);
	sb_store_lock_release(l);
	close(ready[0]);
	close(ready[1]);
}

Test(store_lock, a_lock_file_that_cannot_be_created_is_named)
{
	struct sb_store_lock *l = NULL;
	char msg[512];
	cr_assert_eq(sb_store_lock_take("/nonexistent-dir/spotbot.db", &l, msg, sizeof msg), SB_ERR_IO);
	cr_assert(strstr(msg, "/nonexistent-dir/spotbot.db.lock"), "%s", msg);
	cr_assert_eq(sb_store_lock_take(":memory:", &l, msg, sizeof msg), SB_OK);
	sb_store_lock_release(l);
}

/*
 * test_bot_door.c - what the daemon keeps to itself, checked from outside the process against spotsim over
 * loopback: the files it creates are 0600 (directories 0700), spotsim's state file too; a database or log
 * directory others can write to is refused; running as root is warned about; the API secret and the
 * control token appear in no log, no metric and not in the process's environment; the daemon cannot be
 * dumped.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN    "door-test-token-4d1c"
#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"

TestSuite(bot_door, .fini = bt_cleanup, .timeout = 120);

/* The permission bits of path; -1 when it does not exist. */
static int mode_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

static void expect_private(const char *name, bool must_exist, int want)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", T.dir, name);
	int m = mode_of(path);
	if (m < 0 && !must_exist)
		return;
	cr_assert_eq(m, want, "%s: mode %04o, want %04o", name, (unsigned)m, (unsigned)want);
}

/* Whether the file at path holds needle anywhere (binary-safe). */
static bool file_has(const char *path, const char *needle)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	return memmem(buf, n, needle, strlen(needle)) != NULL;
}

/* Whether any file in dir holds needle; the first such file into hit. */
static bool dir_has(const char *dir, const char *needle, char *hit, size_t cap)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	bool found = false;
	for (struct dirent *e; !found && (e = readdir(d));) {
		char path[900];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && file_has(path, needle)) {
			snprintf(hit, cap, "%s", path);
			found = true;
		}
	}
	closedir(d);
	return found;
}

Test(bot_door, files_are_private_and_secrets_stay_out_of_logs_metrics_and_the_environment)
{
	char state[400];
	snprintf(state, sizeof state, "/tmp/sbdoor-state.%d.json", (int)getpid());
	unlink(state);
	bt_start_sim((const char *const[]){"--state", state, NULL});
	bt_write_env(PAIR_BTC, "CONTROL_TOKEN=" TOKEN);
	/* The secret comes through the environment, as a systemd EnvironmentFile would give it. */
	setenv("BINANCE_API_KEY", KEY, 1);
	setenv("BINANCE_API_SECRET", SECRET, 1);
	bt_start_bot();
	unsetenv("BINANCE_API_SECRET");
	unsetenv("BINANCE_API_KEY");
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);

	char backup[400];
	snprintf(backup, sizeof backup, "%s/backup.db", T.dir);
	cr_assert_eq(CLI("backup", backup), 0, "backup: %s", CLI_RUN.err);

	expect_private("bot.db", true, 0600);
	expect_private("bot.db-wal", false, 0600);
	expect_private("bot.db-shm", false, 0600);
	expect_private("backup.db", true, 0600);
	expect_private("logs", true, 0700);
	expect_private("logs/spotbot.log", true, 0600);
	expect_private("logs/spotbot.error.log", geteuid() == 0, 0600);
	cr_assert_eq(mode_of(state), 0600, "spotsim's state file: %04o", (unsigned)mode_of(state));
	if (geteuid() == 0)
		cr_assert(bt_log_has("running as root", 5000), "running as root is warned about");

	/* Not in the environment the kernel shows for the process (and children would inherit). */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/environ", (int)T.bot);
	cr_assert(file_has(path, "BINANCE_API_KEY="), "the environment is readable");
	cr_assert(!file_has(path, SECRET), "the API secret is wiped from the environment");

	cr_assert(ctl("GET", "/metrics", TOKEN, &r));
	cr_assert_eq(r.status, 200);
	cr_assert(!strstr(r.body, SECRET) && !strstr(r.body, TOKEN), "no secret in the metrics");
	cr_assert(ctl("GET", "/status", TOKEN, &r));
	cr_assert(!strstr(r.body, SECRET) && !strstr(r.body, TOKEN), "no secret in the status");
	cr_assert(ctl("POST", "/pause", "a-wrong-" TOKEN, &r));
	cr_assert_eq(r.status, 401);
	cr_assert(!strstr(r.body, TOKEN), "a refusal does not echo the token: %s", r.body);

	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
	char logs[400], hit[900] = "";
	snprintf(logs, sizeof logs, "%s/logs", T.dir);
	cr_assert(!dir_has(logs, SECRET, hit, sizeof hit), "the API secret is in %s", hit);
	cr_assert(!dir_has(logs, TOKEN, hit, sizeof hit), "the control token is in %s", hit);
	cr_assert(!dir_has(T.dir, SECRET, hit, sizeof hit) || strstr(hit, ".env"), "secret in %s", hit);
	sbt_proc_stop(&T.sim, SIGTERM, 5000);
	unlink(state);
}

Test(bot_door, the_daemon_cannot_be_dumped)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "CONTROL_TOKEN=" TOKEN);
	/* As root, run it as nobody: /proc/PID is then root's only because the process is not dumpable. */
	uid_t uid = geteuid() == 0 ? 65534 : geteuid();
	if (geteuid() == 0) {
		char cmd[600];
		snprintf(cmd, sizeof cmd, "chown -R %u:%u '%s'", (unsigned)uid, (unsigned)uid, T.dir);
		cr_assert_eq(system(cmd), 0);
	}
	char prog[512];
	sbt_program("spotbot", prog, sizeof prog);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(uid) != 0 || setuid(uid) != 0))
			_exit(126);
		char out[400];
		snprintf(out, sizeof out, "%s/bot.out", T.dir);
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(prog, prog, "run", "--config", T.env, (char *)NULL);
		_exit(127);
	}
	T.bot = pid;
	struct ctl_resp r;
	cr_assert(ctl_wait("/health/live", 200, NULL, 20000, &r), "the daemon runs as uid %u", (unsigned)uid);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_uid, 0, "/proc/%d belongs to root, not to the daemon's user %u: not dumpable",
	             (int)pid, (unsigned)uid);
	cr_assert_neq(uid, 0);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(bot_door, a_directory_others_can_write_is_refused)
{
	bt_start_sim(NULL);
	char shared[400];
	snprintf(shared, sizeof shared, "%s/shared", T.dir);
	cr_assert_eq(mkdir(shared, 0700), 0);
	cr_assert_eq(chmod(shared, 0777), 0);
	char db[600];
	snprintf(db, sizeof db, "%s/bot.db", shared);
	bt_write_env(PAIR_BTC, "");
	setenv("DATABASE_PATH", db, 1); /* the environment overrides the .env */
	bt_start_bot();
	int rc = bt_stop_bot(0, 20000);
	cr_assert_eq(rc, 2, "refused with exit 2, got %d", rc);
	char out[400];
	snprintf(out, sizeof out, "%s/bot.out", T.dir);
	cr_assert(file_has(out, "writable by anyone"), "the refusal names the reason");
	cr_assert(file_has(out, shared), "and the directory");
	cr_assert_eq(mode_of(db), -1, "no database was created there");
	cr_assert_eq(CLI("doctor", "--json"), 1, "doctor fails it: %s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "\"directories\""), "%s", CLI_RUN.out);
	unsetenv("DATABASE_PATH");
}

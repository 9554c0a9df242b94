/*
 * test_bot_logs.c - the daemon's log for the way services run, against spotsim over loopback: SIGHUP
 * after logrotate moved the files away makes the daemon write new files at the original paths while the
 * moved ones stop growing, and it goes on answering and trading; logrotate itself, with the shipped
 * contrib/logrotate/spotbot pointed at the test's directory, rotates a running daemon's files the same way;
 * with LOG_DIR empty it writes no file at all and every line, errors included, goes to stderr as one JSON
 * object per line.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <grp.h>
#include <pwd.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define WAIT_MS 20000
#define PAIR    "BTCUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,max_positions=4"

static void wait_healthy(void)
{
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, WAIT_MS, &r), "the daemon trades: %ld %s", r.status, r.body);
}

/* T.dir/name into out. */
static const char *in_dir(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", T.dir, name);
	return out;
}

/* Size of a file, -1 when it does not exist. */
static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* How many times the file at path holds needle. */
static size_t file_count(const char *path, const char *needle)
{
	static char text[1 << 20];
	ctl_slurp(path, text, sizeof text);
	size_t n = 0;
	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static bool file_has(const char *path, const char *needle)
{
	return file_count(path, needle) > 0;
}

TestSuite(bot_logs, .fini = bt_cleanup, .timeout = 120);

Test(bot_logs, sighup_reopens_the_log_files_at_their_paths_and_the_daemon_goes_on)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR, "");
	bt_start_bot();
	wait_healthy();

	/* logrotate's create mode: the files are renamed, the daemon still holds them open. */
	char main_log[400], err_log[400], main_old[400], err_old[400];
	in_dir("logs/spotbot.log", main_log, sizeof main_log);
	in_dir("logs/spotbot.error.log", err_log, sizeof err_log);
	in_dir("logs/spotbot.log.1", main_old, sizeof main_old);
	in_dir("logs/spotbot.error.log.1", err_old, sizeof err_old);
	cr_assert_eq(rename(main_log, main_old), 0);
	cr_assert_eq(rename(err_log, err_old), 0);
	cr_assert_eq(file_size(main_log), -1);

	cr_assert_eq(kill(T.bot, SIGHUP), 0);
	SBT_WAIT_UNTIL(file_has(main_log, "SIGHUP: log files reopened"), WAIT_MS,
	               "the reopen line in a new %s", main_log);
	cr_assert_geq(file_size(err_log), 0, "the error log is open again at its path");
	cr_assert_not(file_has(main_old, "SIGHUP"), "the reopen line went to the new file only");
	long long main_moved = file_size(main_old), err_moved = file_size(err_old);
	long long main_new = file_size(main_log);

	/* The daemon goes on: it answers, acts on the kill switch, and logs that into the new file. */
	wait_healthy();
	struct ctl_resp r;
	cr_assert(ctl("POST", "/pause", NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(bt_wait(bt_state_is, "paused", WAIT_MS), "the kill switch reached the database");
	SBT_WAIT_UNTIL(file_size(main_log) > main_new, WAIT_MS, "new lines in %s", main_log);
	cr_assert(ctl("POST", "/resume", NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(bt_wait(bt_state_is, "trading", WAIT_MS), "trading again");
	wait_healthy();
	cr_assert(bt_running(), "SIGHUP did not end the daemon");

	/* A second SIGHUP with nothing moved keeps appending to the same files. */
	long long before = file_size(main_log);
	cr_assert_eq(kill(T.bot, SIGHUP), 0);
	SBT_WAIT_UNTIL(file_size(main_log) > before, WAIT_MS, "the second reopen line");
	SBT_WAIT_UNTIL(file_count(main_log, "SIGHUP: log files reopened") == 2, WAIT_MS,
	               "both reopen lines in one file: appended to, not truncated");
	cr_assert_eq(file_size(main_old), main_moved, "the moved log stopped growing");
	cr_assert_eq(file_size(err_old), err_moved, "the moved error log stopped growing");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	cr_assert(file_has(main_log, "spotbot stopped"));
	cr_assert_eq(file_size(main_old), main_moved, "the moved log stopped growing");
}

/* Replaces every from in text (cap bytes) by to. */
static void replace_all(char *text, size_t cap, const char *from, const char *to)
{
	static char out[16384];
	size_t o = 0, fl = strlen(from), tl = strlen(to);
	for (const char *p = text; *p;) {
		bool hit = strncmp(p, from, fl) == 0;
		size_t n = hit ? tl : 1;
		cr_assert_lt(o + n, sizeof out);
		memcpy(out + o, hit ? to : p, n);
		o += n;
		p += hit ? fl : 1;
	}
	out[o] = '\0';
	cr_assert_lt(o, cap);
	memcpy(text, out, o + 1);
}

/* The shipped snippet for the test's log directory, this user, and a kill -HUP of the daemon for systemctl.
 */
static void write_logrotate_conf(const char *path)
{
	static char conf[16384];
	char src[512], who[256], hup[64], logs[320];
	ctl_slurp(sbt_source_path("contrib/logrotate/spotbot", src, sizeof src), conf, sizeof conf);
	cr_assert(strstr(conf, "/var/log/spotbot/spotbot.log "), "the snippet names the log: %s", conf);
	const char *sysd = "systemctl kill --signal=HUP --kill-whom=main spotbot.service";
	cr_assert(strstr(conf, sysd), "the snippet signals the unit: %s", conf);
	struct passwd *pw = getpwuid(getuid());
	struct group *gr = getgrgid(getgid());
	cr_assert(pw && gr);
	snprintf(who, sizeof who, "%s %s", pw->pw_name, gr->gr_name);
	snprintf(hup, sizeof hup, "kill -HUP %ld", (long)T.bot);
	in_dir("logs", logs, sizeof logs);
	replace_all(conf, sizeof conf, "/var/log/spotbot", logs);
	replace_all(conf, sizeof conf, "spotbot spotbot", who);
	replace_all(conf, sizeof conf, sysd, hup);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fputs(conf, f);
	fclose(f);
	cr_assert_eq(chmod(path, 0644), 0);
}

/* Runs logrotate with args on the test's state file; returns its exit code, its output in out. */
static int logrotate(const char *conf, const char *flag, char *out, size_t cap)
{
	const char *prog =
	    access("/usr/sbin/logrotate", X_OK) == 0 ? "/usr/sbin/logrotate" : "/usr/bin/logrotate";
	cr_assert_eq(access(prog, X_OK), 0, "logrotate is installed (scripts/install-deps.sh installs it)");
	char state[400], o[400], e[400];
	in_dir("logrotate.state", state, sizeof state);
	const char *argv[] = {prog, flag, "-s", state, conf, NULL};
	int status = sbt_run(argv, NULL, in_dir("logrotate.out", o, sizeof o),
	                     in_dir("logrotate.err", e, sizeof e), 30);
	cr_assert(WIFEXITED(status));
	ctl_slurp(e, out, cap);
	return WEXITSTATUS(status);
}

Test(bot_logs, the_shipped_logrotate_snippet_rotates_a_running_daemon)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR, "");
	bt_start_bot();
	wait_healthy();
	char conf[400], main_log[400], logs[400];
	static char out[65536];
	write_logrotate_conf(in_dir("logrotate.conf", conf, sizeof conf));
	in_dir("logs/spotbot.log", main_log, sizeof main_log);
	in_dir("logs", logs, sizeof logs);

	/* Dry run: the snippet parses and would rotate the main log. */
	cr_assert_eq(logrotate(conf, "-d", out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "rotating pattern"), "%s", out);
	cr_assert_null(strstr(out, "error:"), "%s", out);
	cr_assert_eq(file_count(main_log, "SIGHUP"), 0, "the dry run signalled nothing");

	/* Forced now (weekly would wait): the file moves to spotbot.log-DATE, a new one is made, the daemon
	 * is told and writes there. */
	char dated[440], stamp[16];
	time_t now = time(NULL);
	struct tm tm;
	cr_assert(localtime_r(&now, &tm));
	strftime(stamp, sizeof stamp, "%Y%m%d", &tm);
	cr_assert_eq(logrotate(conf, "-f", out, sizeof out), 0, "%s", out);
	snprintf(dated, sizeof dated, "%s/spotbot.log-%s", logs, stamp);
	cr_assert_geq(file_size(dated), 1, "%s holds the rotated lines", dated);
	cr_assert(file_has(dated, "spotbot starting"));
	struct stat st;
	cr_assert_eq(stat(main_log, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0640, "logrotate created the new file with the snippet's mode");
	SBT_WAIT_UNTIL(file_has(main_log, "SIGHUP: log files reopened"), WAIT_MS,
	               "the daemon writes to the new file");
	long long moved = file_size(dated);
	struct ctl_resp r;
	cr_assert(ctl("POST", "/pause", NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(bt_wait(bt_state_is, "paused", WAIT_MS));
	wait_healthy();
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	cr_assert(file_has(main_log, "spotbot stopped"));
	cr_assert_eq(file_size(dated), moved, "the rotated file stopped growing");
}

/* Checks every line of text is one JSON object with the logger's four fields; returns how many. */
static size_t json_lines(char *text, const char **first_warn)
{
	size_t n = 0;
	*first_warn = NULL;
	for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		cJSON *j = cJSON_Parse(line);
		cr_assert(cJSON_IsObject(j), "a line of stderr is not a JSON object: %s", line);
		static const char *const keys[] = {"ts", "level", "component", "msg"};
		for (size_t k = 0; k < 4; k++)
			cr_assert(cJSON_IsString(cJSON_GetObjectItem(j, keys[k])), "no %s in %s", keys[k],
			          line);
		const char *level = cJSON_GetObjectItem(j, "level")->valuestring;
		if (!*first_warn && (strcmp(level, "warn") == 0 || strcmp(level, "error") == 0))
			*first_warn = line;
		cJSON_Delete(j);
		n++;
	}
	return n;
}

Test(bot_logs, an_empty_log_dir_writes_json_lines_to_stderr_and_no_file)
{
	bt_start_sim(NULL);
	/* The environment wins over the file's LOG_DIR and LOG_STDERR, as in a container. */
	bt_write_env(PAIR, "");
	cr_assert_eq(setenv("LOG_DIR", "", 1), 0);
	cr_assert_eq(setenv("LOG_STDERR", "true", 1), 0);
	bt_start_bot_err("bot.err");
	unsetenv("LOG_DIR");
	unsetenv("LOG_STDERR");
	wait_healthy();
	cr_assert_eq(kill(T.bot, SIGHUP), 0);
	char err[400];
	in_dir("bot.err", err, sizeof err);
	SBT_WAIT_UNTIL(file_has(err, "SIGHUP: no log files to reopen"), WAIT_MS, "the SIGHUP line on stderr");
	wait_healthy();
	/* A dropped connection is a warning: what the error log takes goes to stderr too. */
	bt_post("/sim/fault?name=drop_ws");
	SBT_WAIT_UNTIL(file_has(err, "\"level\":\"warn\""), WAIT_MS, "a warning on stderr");
	wait_healthy();
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);

	char logs[400];
	cr_assert_eq(file_size(in_dir("logs", logs, sizeof logs)), -1, "no log directory was made");
	static char text[1 << 20];
	ctl_slurp(err, text, sizeof text);
	cr_assert(strstr(text, "\"msg\":\"spotbot starting in paper mode, version " SB_VERSION "\""),
	          "%.2000s", text);
	cr_assert(strstr(text, "\"msg\":\"spotbot stopped\""), "%.2000s", text);
	const char *warn;
	size_t n = json_lines(text, &warn);
	cr_assert_gt(n, 5, "the daemon's lines are on stderr");
	cr_assert_not_null(warn);
}

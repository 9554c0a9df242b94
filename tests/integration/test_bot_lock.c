/*
 * test_bot_lock.c - one daemon per database, against spotsim over loopback: a second `spotbot run` on the
 * same DATABASE_PATH (with its own control address and log directory) exits 2 naming the first one's pid
 * and writes nothing, while the first keeps trading with its run state untouched; once the first has
 * stopped, and again after a kill -9, a new daemon starts on the same database.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define WAIT_MS 20000
#define PAIR    "BTCUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,max_positions=4"

/* A second configuration: the same database and exchange, its own control socket and log directory. */
static void write_second_env(char *path, size_t cap)
{
	snprintf(path, cap, "%s/second.env", T.dir);
	FILE *f = fopen(path, "w");
	cr_assert(f);
	fprintf(f,
	        "MODE=paper\nBINANCE_REST_URL=http://127.0.0.1:%d\nBINANCE_STREAM_URL=ws://127.0.0.1:%d\n"
	        "BINANCE_WSAPI_URL=ws://127.0.0.1:%d/ws-api/v3\nDATABASE_PATH=%s\nLOG_DIR=%s/logs2\n"
	        "LOG_STDERR=false\nCONTROL_LISTEN=unix:%s/control2.sock\nPAIRS=%s\n",
	        T.sim.port, T.sim.port, T.sim.port, T.db, T.dir, T.dir, PAIR);
	fclose(f);
	cr_assert_eq(chmod(path, 0600), 0);
}

static void wait_healthy(void)
{
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, WAIT_MS, &r), "the daemon trades: %ld %s", r.status, r.body);
}

static size_t count_events(const char *kind)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	struct sb_store_event_filter f = {.kind = kind};
	cr_assert_eq(sb_store_event_list(st, &f, &rows, &n), SB_OK);
	sb_store_events_free(rows, n);
	sb_store_close(st);
	return n;
}

TestSuite(bot_lock, .fini = bt_cleanup, .timeout = 120);

Test(bot_lock, a_second_daemon_is_refused_and_a_new_one_starts_after_a_stop_or_a_crash)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR, "");
	bt_start_bot();
	wait_healthy();
	pid_t first = T.bot;
	size_t run_states = count_events("run_state");

	char env2[400], out[400], err[400], prog[512], text[4096];
	write_second_env(env2, sizeof env2);
	snprintf(out, sizeof out, "%s/second.out", T.dir);
	snprintf(err, sizeof err, "%s/second.err", T.dir);
	const char *argv[] = {sbt_program("spotbot", prog, sizeof prog), "run", "--config", env2, NULL};
	int status = sbt_run(argv, NULL, out, err, 30);
	cr_assert(WIFEXITED(status), "the second daemon exits by itself");
	cr_assert_eq(WEXITSTATUS(status), 2, "the second daemon is refused");
	ctl_slurp(err, text, sizeof text);
	char want[512];
	snprintf(want, sizeof want, "database %s is in use by spotbot pid %ld", T.db, (long)first);
	cr_assert(strstr(text, want), "stderr names the holder: %s", text);
	cr_assert_null(strstr(text, "says why"), "no pointer to a log it never opened: %s", text);

	/* It wrote nothing: no log, no control socket, no run state of its own. */
	char path[400];
	struct stat sb;
	snprintf(path, sizeof path, "%s/logs2", T.dir);
	cr_assert_neq(stat(path, &sb), 0, "the second daemon opened no log");
	snprintf(path, sizeof path, "%s/control2.sock", T.dir);
	cr_assert_neq(stat(path, &sb), 0, "the second daemon listened nowhere");
	cr_assert_eq(count_events("run_state"), run_states, "no run state was written");
	cr_assert(bt_wait(bt_state_is, "trading", 1000), "run_state is still the first daemon's");

	/* The first one goes on trading: a cycle's buy reaches the exchange. */
	SBT_WAIT_UNTIL(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"orderId\"") > 0, WAIT_MS,
	               "the first daemon to place a buy");
	cr_assert_eq(waitpid(first, NULL, WNOHANG), 0, "the first daemon still runs");
	wait_healthy();

	/* Stopped cleanly: the next daemon starts. */
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	bt_start_bot();
	wait_healthy();

	/* Killed: the kernel released the lock with the process, so nothing stale is left behind. */
	cr_assert_eq(bt_stop_bot(SIGKILL, 10000), 128 + SIGKILL);
	bt_start_bot();
	wait_healthy();
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/*
 * test_bot_util.h - shared helpers of the daemon's integration tests: spotsim and `spotbot run` as child
 * processes on loopback, a generated .env (mode 600), the market driven with POST /sim/price, and waits
 * that poll the daemon's database (read-only) against deadlines instead of sleeping.
 */
#ifndef TEST_BOT_UTIL_H
#define TEST_BOT_UTIL_H

#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_wait.h"
#include "spotbot/clock.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

/* Helpers each test file may or may not use. */
#define BT_FN static __attribute__((unused))

#define KEY    "spotsim-demo-key"
#define SECRET "spotsim-demo-secret"

struct bt {
	struct sbt_proc sim; /* spotsim */
	pid_t bot;           /* spotbot run; 0 when not running */
	char dir[256];       /* temporary directory: .env, database, logs */
	char env[320];       /* the .env path */
	char db[320];        /* the database path */
};

static struct bt T;

/* Starts spotsim with a nearly frozen market (the tests move it) plus extra arguments. */
BT_FN void bt_start_sim(const char *const *extra)
{
	const char *args[16] = {"--speed", "0.01", "--seed", "5", "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT"};
	size_t n = 6;
	for (size_t i = 0; extra && extra[i] && n < 15; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	cr_assert(sbt_spotsim_start(&T.sim, args), "spotsim starts");
	snprintf(T.dir, sizeof T.dir, "/tmp/sbbot.XXXXXX");
	cr_assert(mkdtemp(T.dir));
	snprintf(T.env, sizeof T.env, "%s/.env", T.dir);
	snprintf(T.db, sizeof T.db, "%s/bot.db", T.dir);
}

/* Writes the .env for spotsim's port with PAIRS and extra lines ("" for none). */
BT_FN void bt_write_env(const char *pairs, const char *extra)
{
	FILE *f = fopen(T.env, "w");
	cr_assert(f);
	fprintf(f,
	        "MODE=paper\nBINANCE_REST_URL=http://127.0.0.1:%d\nBINANCE_STREAM_URL=ws://127.0.0.1:%d\n"
	        "BINANCE_WSAPI_URL=ws://127.0.0.1:%d/ws-api/v3\nDATABASE_PATH=%s\nLOG_DIR=%s/logs\n"
	        "LOG_STDERR=false\nLOG_LEVEL=debug\nCONTROL_LISTEN=unix:%s/control.sock\nPAIRS=%s\n%s\n",
	        T.sim.port, T.sim.port, T.sim.port, T.db, T.dir, T.dir, pairs, extra);
	fclose(f);
	cr_assert_eq(chmod(T.env, 0600), 0);
}

/* Starts `spotbot run --human` with stdout in T.dir/bot.out and stderr in T.dir/<err_name> (bot.out too
 * when err_name is NULL). */
BT_FN void bt_start_bot_err(const char *err_name)
{
	char prog[512];
	sbt_program("spotbot", prog, sizeof prog);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		char out[400], err[400];
		snprintf(out, sizeof out, "%s/bot.out", T.dir);
		snprintf(err, sizeof err, "%s/%s", T.dir, err_name ? err_name : "bot.out");
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int efd = err_name ? open(err, O_WRONLY | O_CREAT | O_APPEND, 0600) : fd;
		if (fd >= 0)
			dup2(fd, 1);
		if (efd >= 0)
			dup2(efd, 2);
		execl(prog, prog, "run", "--config", T.env, "--human", (char *)NULL);
		_exit(127);
	}
	T.bot = pid;
}

BT_FN void bt_start_bot(void)
{
	bt_start_bot_err(NULL);
}

/* Stops the daemon with sig and returns its exit status (128+n when killed by signal n), or -1 when it did
 * not exit within timeout_ms (it is then killed). */
BT_FN int bt_stop_bot(int sig, int timeout_ms)
{
	if (T.bot <= 0)
		return -1;
	kill(T.bot, sig);
	int status = 0;
	bool exited = sbt_reap(T.bot, timeout_ms, &status);
	if (!exited) {
		kill(T.bot, SIGKILL);
		waitpid(T.bot, &status, 0);
	}
	T.bot = 0;
	return exited ? sbt_exit_code(status) : -1;
}

/* True while the daemon runs; once it has exited, reaps it and clears T.bot. */
BT_FN bool bt_running(void)
{
	if (T.bot <= 0)
		return false;
	if (waitpid(T.bot, NULL, WNOHANG) != T.bot)
		return true;
	T.bot = 0;
	return false;
}

BT_FN void bt_cleanup(void)
{
	if (T.bot > 0)
		bt_stop_bot(SIGKILL, 2000);
	if (T.sim.pid > 0)
		sbt_proc_stop(&T.sim, SIGTERM, 5000);
	if (getenv("SB_KEEP_TEST_DIR") == NULL && T.dir[0]) {
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", T.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", T.dir);
	}
	memset(&T, 0, sizeof T);
}

BT_FN void bt_post(const char *path)
{
	struct sbt_response r;
	cr_assert(sbt_http(T.sim.port, "POST", path, NULL, NULL, &r), "POST %s", path);
	cr_assert_eq(r.status, 200, "POST %s: %ld %s", path, r.status, r.body);
	sbt_response_free(&r);
}

BT_FN void bt_set_price(const char *symbol, sb_dec price)
{
	char p[SB_DEC_STRLEN], path[128];
	sb_dec_format_trim(price, p, sizeof p);
	snprintf(path, sizeof path, "/sim/price?symbol=%s&price=%s", symbol, p);
	bt_post(path);
}

/* p * factor rounded (mode) to BTCUSDT's tick in spotsim's catalogue, 0.01: a price to move the market to. */
BT_FN sb_dec bt_scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, SB_DEC_C(0, 1000000), mode, &r), SB_OK);
	return r;
}

BT_FN void bt_fault(const char *name, const char *value)
{
	char path[128];
	snprintf(path, sizeof path, "/sim/fault?name=%s%s%s", name, value ? "&value=" : "",
	         value ? value : "");
	bt_post(path);
}

/* Opens the database read-only (NULL while it does not exist yet). */
BT_FN struct sb_store *bt_db(void)
{
	struct sb_store *st = NULL;
	struct sb_store_opts o = {.readonly = true, .no_create = true};
	if (sb_store_open_sqlite(T.db, &o, &st, NULL, 0) != SB_OK)
		return NULL;
	return st;
}

typedef bool (*bt_pred)(struct sb_store *st, void *arg);

/* A database predicate being waited for (bt_wait). */
struct bt_wait_q {
	bt_pred pred; /* the predicate */
	void *arg;    /* its argument */
	bool died;    /* the daemon exited first */
};

BT_FN bool bt_wait_check(void *arg)
{
	struct bt_wait_q *q = arg;
	struct sb_store *st = bt_db();
	bool ok = st && q->pred(st, q->arg);
	sb_store_close(st);
	q->died = !ok && T.bot > 0 && !bt_running();
	return ok || q->died;
}

/* Waits up to ms until pred holds on the daemon's database; false at the deadline or once the daemon (if
 * one was started) has exited. */
BT_FN bool bt_wait(bt_pred pred, void *arg, int ms)
{
	struct bt_wait_q q = {.pred = pred, .arg = arg};
	return sbt_poll(bt_wait_check, &q, ms, 0) && !q.died;
}

/* The order of position pos with leg ('b', 's', 'x') and attempt, into *out. */
struct bt_order_q {
	int64_t pos;                /* position id */
	char leg;                   /* b, s, x */
	enum sb_order_state status; /* wanted status */
	bool any_status;            /* ignore status */
	struct sb_store_order out;  /* found */
};

BT_FN bool bt_has_order(struct sb_store *st, void *arg)
{
	struct bt_order_q *q = arg;
	char coid[64];
	snprintf(coid, sizeof coid, "sb-main-%" PRId64 "-%c0", q->pos, q->leg);
	if (sb_store_order_get(st, coid, &q->out) != SB_OK)
		return false;
	return q->any_status || q->out.status == q->status;
}

struct bt_pos_q {
	int64_t id;                   /* position id */
	enum sb_position_state state; /* wanted state */
	struct sb_store_position out; /* found */
};

BT_FN bool bt_pos_in(struct sb_store *st, void *arg)
{
	struct bt_pos_q *q = arg;
	return sb_store_position_get(st, q->id, &q->out) == SB_OK && q->out.state == q->state;
}

BT_FN bool bt_state_is(struct sb_store *st, void *arg)
{
	char v[64];
	return sb_store_state_get(st, SB_STORE_KEY_RUN_STATE, v, sizeof v) == SB_OK && strcmp(v, arg) == 0;
}

/* Waits for position pos to reach state; returns its row. */
BT_FN struct sb_store_position bt_wait_pos(int64_t pos, enum sb_position_state state, int ms)
{
	struct bt_pos_q q = {.id = pos, .state = state};
	cr_assert(bt_wait(bt_pos_in, &q, ms), "position %" PRId64 " reaches %s (is %s)", pos,
	          sb_position_state_name(state), sb_position_state_name(q.out.state));
	return q.out;
}

BT_FN struct sb_store_order bt_wait_order(int64_t pos, char leg, enum sb_order_state status, int ms)
{
	struct bt_order_q q = {.pos = pos, .leg = leg, .status = status};
	cr_assert(bt_wait(bt_has_order, &q, ms), "order %" PRId64 "-%c0 reaches %s (is %s)", pos, leg,
	          sb_order_state_name(status), sb_order_state_name(q.out.status));
	return q.out;
}

/* Rows of a signed GET (allOrders, myTrades) counted by occurrences of key in the body. */
BT_FN int bt_count(const char *path, const char *params, const char *key)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "GET", path, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
	int n = 0;
	for (const char *p = r.body; (p = strstr(p, key)) != NULL; p += strlen(key))
		n++;
	sbt_response_free(&r);
	return n;
}

/* A signed GET (allOrders, myTrades, account), answered 200 and parsed (the caller deletes it). */
BT_FN cJSON *bt_signed_get(const char *path, const char *params)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "GET", path, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
	cJSON *j = cJSON_Parse(r.body);
	sbt_response_free(&r);
	cr_assert(j, "%s answers JSON", path);
	return j;
}

/* A decimal string member of o, which must be there. */
BT_FN sb_dec bt_json_dec(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	cr_assert(cJSON_IsString(v), "%s is a string", name);
	sb_dec d = 0;
	cr_assert_eq(sb_dec_parse(v->valuestring, strlen(v->valuestring), &d), SB_OK);
	return d;
}

/* Events of kind about symbol whose detail contains needle (NULL: any detail). */
BT_FN size_t bt_count_events(const char *kind, const char *symbol, const char *needle)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_event *rows = NULL;
	size_t n = 0, k = 0;
	struct sb_store_event_filter f = {.kind = kind};
	cr_assert_eq(sb_store_event_list(st, &f, &rows, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		k += strcmp(rows[i].symbol, symbol) == 0 &&
		     (!needle || strstr(rows[i].detail, needle) != NULL);
	sb_store_events_free(rows, n);
	sb_store_close(st);
	return k;
}

/* Sum of a decimal column over the fills of one order. */
BT_FN void bt_fills(struct sb_store *st, const char *coid, sb_dec *qty, sb_dec *quote, sb_dec *commission,
                    size_t *n)
{
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sb_store_fill_list(st, coid, &rows, n), SB_OK);
	*qty = *quote = *commission = 0;
	for (size_t i = 0; i < *n; i++) {
		*qty += rows[i].qty;
		*quote += rows[i].quote_qty;
		*commission += rows[i].commission;
	}
	free(rows);
}

/* A line of a log file holding a string (bt_log_file_has). */
struct bt_log_q {
	char path[400];     /* the file */
	const char *needle; /* the string */
};

BT_FN bool bt_log_check(void *arg)
{
	struct bt_log_q *q = arg;
	char line[1 << 16];
	FILE *f = fopen(q->path, "r");
	bool found = false;
	if (f) {
		while (!found && fgets(line, sizeof line, f))
			found = strstr(line, q->needle) != NULL;
		fclose(f);
	}
	return found;
}

/* Waits up to ms until the daemon's log file name (under LOG_DIR: "spotbot.log", "spotbot.error.log")
 * contains needle. */
BT_FN bool bt_log_file_has(const char *name, const char *needle, int ms)
{
	struct bt_log_q q = {.needle = needle};
	snprintf(q.path, sizeof q.path, "%s/logs/%s", T.dir, name);
	return sbt_poll(bt_log_check, &q, ms, 0);
}

/* Waits up to ms until the daemon's log contains needle. */
BT_FN bool bt_log_has(const char *needle, int ms)
{
	return bt_log_file_has("spotbot.log", needle, ms);
}

#endif

/*
 * spotsim as a paper-trading venue, over real loopback sockets: the state file (--state) keeps the
 * account, its orders and its trades through a SIGTERM and a kill -9, with ids that continue; a replay
 * of a symbol no list has gets rules derived from its file; each --replay-end mode does what it
 * says at the end of the file; and --fill decides which resting orders a replayed candle fills.
 * Everything is checked against spotsim's own REST answers.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_sim.h"
#include "sbtest_wait.h"

#define KEY    "venue-key"
#define SECRET "venue-secret"
#define ACCT   KEY ":" SECRET ":USDT=100000,BTC=2"

/* The excerpt's four candles: the replay opens at 3.958 and closes at 3.965. */
#define EXCERPT    "tests/data/klines/DOTUSDT-1m-2024-11-excerpt.csv"
#define LAST_CLOSE 3.965

/* The programs a test started; the suite's fini kills what a failed test left running. */
static struct sbt_proc sim, other;

static void reap(void)
{
	if (sim.pid > 0)
		sbt_proc_stop(&sim, SIGKILL, 5000);
	if (other.pid > 0)
		sbt_proc_stop(&other, SIGKILL, 5000);
}

TestSuite(spotsim_venue, .fini = reap);

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	nanosleep(&ts, NULL);
}

/* A signed GET (or other method) that must answer 200; the parsed body (the caller's). */
static cJSON *signed_json(int port, const char *method, const char *path, const char *params)
{
	struct sbt_response r;
	cr_assert(sbt_signed(port, method, path, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s %s?%s: %ld %s", method, path, params, r.status, r.body);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	return j;
}

static cJSON *public_json(int port, const char *path)
{
	struct sbt_response r;
	cr_assert(sbt_http(port, "GET", path, NULL, NULL, &r));
	cr_assert_eq(r.status, 200, "GET %s: %ld %s", path, r.status, r.body);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	return j;
}

/* The account's balances as one string ("USDT:free:locked,..."), for comparing across restarts. */
static void balances(int port, char *out, size_t cap)
{
	cJSON *a = signed_json(port, "GET", "/api/v3/account", "");
	const cJSON *b;
	size_t n = 0;
	out[0] = '\0';
	cJSON_ArrayForEach(b, sbt_jfield(a, "balances")) n += (size_t)snprintf(
	    out + n, cap - n, "%s:%s:%s,", sbt_jstr(b, "asset"), sbt_jstr(b, "free"), sbt_jstr(b, "locked"));
	cJSON_Delete(a);
}

/* The account's BTCUSDT trades as "id:orderId:price:qty:commission,...". */
static void trades(int port, char *out, size_t cap)
{
	cJSON *t = signed_json(port, "GET", "/api/v3/myTrades", "symbol=BTCUSDT");
	const cJSON *it;
	size_t n = 0;
	out[0] = '\0';
	cJSON_ArrayForEach(it, t) n += (size_t)snprintf(
	    out + n, cap - n, "%.0f:%.0f:%s:%s:%s,", sbt_jnum(it, "id"), sbt_jnum(it, "orderId"),
	    sbt_jstr(it, "price"), sbt_jstr(it, "qty"), sbt_jstr(it, "commission"));
	cJSON_Delete(t);
}

/* What a client sees of its venue: balances, the kept order, trades, the open orders. */
struct seen {
	char balances[1024];  /* see balances() */
	char trades[4096];    /* see trades() */
	long long kept_id;    /* orderId of clientOrderId "keep-1" */
	char kept_status[32]; /* its status */
	int open_orders;      /* open BTCUSDT orders */
	long long max_trade;  /* highest trade id of the account */
};

static void look(int port, struct seen *s)
{
	balances(port, s->balances, sizeof s->balances);
	trades(port, s->trades, sizeof s->trades);
	cJSON *o = signed_json(port, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=keep-1");
	s->kept_id = (long long)sbt_jnum(o, "orderId");
	snprintf(s->kept_status, sizeof s->kept_status, "%s", sbt_jstr(o, "status"));
	cJSON_Delete(o);
	cJSON *open = signed_json(port, "GET", "/api/v3/openOrders", "symbol=BTCUSDT");
	s->open_orders = cJSON_GetArraySize(open);
	cJSON_Delete(open);
	cJSON *t = signed_json(port, "GET", "/api/v3/myTrades", "symbol=BTCUSDT");
	s->max_trade = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, t)
	{
		long long id = (long long)sbt_jnum(it, "id");
		s->max_trade = id > s->max_trade ? id : s->max_trade;
	}
	cJSON_Delete(t);
}

static void expect_same(const struct seen *before, const struct seen *after, const char *when)
{
	cr_assert_str_eq(after->balances, before->balances, "balances after %s", when);
	cr_assert_str_eq(after->trades, before->trades, "myTrades after %s", when);
	cr_assert_eq(after->kept_id, before->kept_id, "orderId of keep-1 after %s", when);
	cr_assert_str_eq(after->kept_status, "NEW", "keep-1 after %s", when);
	cr_assert_eq(after->open_orders, before->open_orders, "open orders after %s", when);
}

static void start_with_state(struct sbt_proc *p, const char *state)
{
	const char *const args[] = {"--account", ACCT, "--symbols", "BTCUSDT", "--state", state, NULL};
	cr_assert(sbt_spotsim_start(p, args));
}

/* A market sell of 0.01 BTC: a trade now. Returns its orderId. */
static long long market_sell(int port)
{
	return sbt_sim_order(port, KEY, SECRET, "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=0.01");
}

Test(spotsim_venue, state_survives_sigterm_and_kill_9_with_ids_that_continue, .timeout = 90)
{
	char dir[] = "/tmp/spotsim-venue-XXXXXX", state[128];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof state, "%s/state.json", dir);
	struct seen before, after;

	start_with_state(&sim, state);
	long long kept = sbt_sim_resting_buy(sim.port, KEY, SECRET, "keep-1");
	long long sold = market_sell(sim.port);
	sbt_sim_resting_buy(sim.port, KEY, SECRET, "keep-2");
	look(sim.port, &before);
	cr_assert_eq(before.kept_id, kept);
	cr_assert_eq(before.open_orders, 2);
	cr_assert_neq(before.trades[0], '\0', "the market sell traded");
	struct stat st;
	cr_assert_eq(stat(state, &st), 0, "the state file exists");
	cr_assert_eq(st.st_mode & 0777, 0600, "the state file is private: mode %o", st.st_mode & 0777);

	/* A crash: nothing gets to run at exit, so what is on disk is what was written before each answer. */
	cr_assert_eq(sbt_proc_stop(&sim, SIGKILL, 5000), 128 + SIGKILL);
	start_with_state(&sim, state);
	look(sim.port, &after);
	expect_same(&before, &after, "kill -9");
	long long next = sbt_sim_resting_buy(sim.port, KEY, SECRET, "after-crash");
	cr_assert_gt(next, sold, "orderIds continue after a restart (%lld after %lld)", next, sold);
	market_sell(sim.port);
	look(sim.port, &before);
	cr_assert_gt(before.max_trade, after.max_trade, "trade ids continue after a restart");
	cr_assert_eq(before.open_orders, 3);

	/* A clean stop and start. */
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
	start_with_state(&sim, state);
	look(sim.port, &after);
	expect_same(&before, &after, "SIGTERM");
	cJSON *o =
	    signed_json(sim.port, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=after-crash");
	cr_assert_eq((long long)sbt_jnum(o, "orderId"), next);
	cJSON_Delete(o);
	/* A cancel after the restart releases the restored lock exactly. */
	o = signed_json(sim.port, "DELETE", "/api/v3/openOrders", "symbol=BTCUSDT");
	cJSON_Delete(o);
	cJSON *a = signed_json(sim.port, "GET", "/api/v3/account", "");
	const cJSON *b;
	cJSON_ArrayForEach(b, sbt_jfield(a, "balances")) cr_assert_str_eq(
	    sbt_jstr(b, "locked"), "0.00000000", "%s locked after cancelling all", sbt_jstr(b, "asset"));
	cJSON_Delete(a);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", state);
	cr_assert_neq(access(tmp, F_OK), 0, "no temporary file is left behind");
	unlink(state);
	rmdir(dir);
}

Test(spotsim_venue, a_damaged_state_file_stops_spotsim_with_the_reason, .timeout = 30)
{
	char dir[] = "/tmp/spotsim-venue-XXXXXX", state[128], out[160], err[160], bin[512];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(state, sizeof state, "%s/state.json", dir);
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(err, sizeof err, "%s/err", dir);
	FILE *f = fopen(state, "w");
	cr_assert_not_null(f);
	fputs("{\"format\":\"spotsim-state\",\"version\":1,\"symbols\":[],\"accounts\":[{\"key\":", f);
	fclose(f);
	const char *const argv[] = {
	    sbt_program("spotsim", bin, sizeof bin), "--listen", "127.0.0.1:0", "--state", state, NULL};
	int status = sbt_run(argv, NULL, out, err, 20);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2, "exit status %d", status);
	char text[2048] = "";
	f = fopen(err, "r");
	cr_assert_not_null(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	cr_assert_not_null(strstr(text, "--state"), "%s", text);
	cr_assert_not_null(strstr(text, "not JSON"), "%s", text);
	unlink(state);
	unlink(out);
	unlink(err);
	rmdir(dir);
}

/* ---- replays ----------------------------------------------------------------------------------- */

static void start_replay_of(struct sbt_proc *p, const char *file, const char *end)
{
	char path[512], spec[600];
	snprintf(spec, sizeof spec, "NEWCOINUSDT=%s", sbt_source_path(file, path, sizeof path));
	const char *const args[] = {"--replay", spec, "--speed", "100000", "--replay-end", end, NULL};
	cr_assert(sbt_spotsim_start(p, args));
}

static void start_replay(struct sbt_proc *p, const char *end)
{
	start_replay_of(p, EXCERPT, end);
}

/* The id and price of the newest public NEWCOINUSDT trade. */
static long long last_trade(int port, double *price)
{
	cJSON *t = public_json(port, "/api/v3/trades?symbol=NEWCOINUSDT&limit=1");
	cr_assert_eq(cJSON_GetArraySize(t), 1);
	long long id = (long long)sbt_jnum(cJSON_GetArrayItem(t, 0), "id");
	if (price)
		*price = sbt_jdec(cJSON_GetArrayItem(t, 0), "price");
	cJSON_Delete(t);
	return id;
}

/* The newest trade's id, and whether it is the one seen at the check before (wait_quiet). */
struct quiet_q {
	int port;      /* spotsim */
	double *price; /* the newest trade's price, or NULL */
	long long id;  /* the newest trade's id; -1 before the first check */
};

static bool quiet_check(void *arg)
{
	struct quiet_q *q = arg;
	long long again = last_trade(q->port, q->price);
	bool same = again == q->id;
	q->id = again;
	return same;
}

/* Polls until the newest trade's id stays the same over window_ms (or the deadline passes); returns it. */
static long long wait_quiet(int port, int window_ms, int timeout_ms, double *price)
{
	struct quiet_q q = {.port = port, .price = price, .id = -1};
	(void)sbt_poll(quiet_check, &q, timeout_ms, window_ms);
	return q.id;
}

Test(spotsim_venue, replay_of_an_unlisted_symbol_gets_rules_from_its_file, .timeout = 30)
{
	start_replay(&sim, "hold");
	cJSON *info = public_json(sim.port, "/api/v3/exchangeInfo?symbol=NEWCOINUSDT");
	const cJSON *s = cJSON_GetArrayItem(sbt_jfield(info, "symbols"), 0);
	cr_assert_str_eq(sbt_jstr(s, "baseAsset"), "NEWCOIN");
	cr_assert_str_eq(sbt_jstr(s, "quoteAsset"), "USDT");
	const cJSON *f;
	int seen = 0;
	cJSON_ArrayForEach(f, sbt_jfield(s, "filters"))
	{
		if (strcmp(sbt_jstr(f, "filterType"), "PRICE_FILTER") == 0) {
			cr_assert_str_eq(sbt_jstr(f, "tickSize"), "0.00100000",
			                 "the file's prices have 3 places");
			seen++;
		}
		if (strcmp(sbt_jstr(f, "filterType"), "LOT_SIZE") == 0) {
			cr_assert_str_eq(sbt_jstr(f, "stepSize"), "0.10000000", "its volumes have 1 place");
			seen++;
		}
	}
	cr_assert_eq(seen, 2, "PRICE_FILTER and LOT_SIZE are served");
	cJSON_Delete(info);
	/* Its market starts at the file's first price: the first candle spotsim built opens there. */
	cJSON *k = public_json(sim.port, "/api/v3/klines?symbol=NEWCOINUSDT&interval=1d&limit=1");
	const cJSON *day = cJSON_GetArrayItem(k, 0);
	cr_assert(cJSON_IsArray(day));
	cr_assert_str_eq(cJSON_GetArrayItem(day, 1)->valuestring, "3.95800000", "opens at the first price");
	cJSON_Delete(k);
	/* And it trades: a market buy fills. */
	long long id = sbt_sim_order(sim.port, "spotsim-demo-key", "spotsim-demo-secret",
	                             "symbol=NEWCOINUSDT&side=BUY&type=MARKET&quantity=10");
	cr_assert_gt(id, 0);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
}

Test(spotsim_venue, replay_end_hold_keeps_the_last_price, .timeout = 30)
{
	double price = 0;
	start_replay(&sim, "hold");
	long long id = wait_quiet(sim.port, 300, 10000, &price);
	cr_assert_float_eq(price, LAST_CLOSE, 1e-9, "the market holds the last close");
	/* 300 ms at this speed is 8 hours of market time: a looping replay would have gone on. */
	pause_ms(300);
	cr_assert_eq(last_trade(sim.port, NULL), id, "no trade after the end");
	cJSON *p = public_json(sim.port, "/api/v3/ticker/price?symbol=NEWCOINUSDT");
	cr_assert_float_eq(sbt_jdec(p, "price"), LAST_CLOSE, 1e-9);
	cJSON_Delete(p);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim keeps serving until told to stop");
}

Test(spotsim_venue, replay_of_a_data_binance_vision_zip_archive, .timeout = 30)
{
	/* The archive as downloaded, 120 candles inside: the market ends on the last one's close. */
	double price = 0;
	start_replay_of(&sim, "tests/data/klines/LINKUSDT-1m-2023-02.zip", "hold");
	wait_quiet(sim.port, 300, 10000, &price);
	cr_assert_float_eq(price, 6.968, 1e-9, "the market holds the archive's last close");
	cJSON *info = public_json(sim.port, "/api/v3/exchangeInfo?symbol=NEWCOINUSDT");
	cr_assert_eq(cJSON_GetArraySize(sbt_jfield(info, "symbols")), 1);
	cJSON_Delete(info);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
}

Test(spotsim_venue, replay_end_loop_starts_again_with_ids_that_continue, .timeout = 30)
{
	start_replay(&other, "hold");
	long long one_pass = wait_quiet(other.port, 300, 10000, NULL);
	cr_assert_eq(sbt_proc_stop(&other, SIGTERM, 5000), 0);
	start_replay(&sim, "loop");
	long long id = 0;
	SBT_WAIT_UNTIL_EVERY((id = last_trade(sim.port, NULL)) >= 3 * one_pass, 10000, 20,
	                     "three passes of %lld trades (at %lld)", one_pass, id);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
}

Test(spotsim_venue, replay_end_stop_shuts_spotsim_down, .timeout = 30)
{
	start_replay(&sim, "stop");
	/* Signal 0 sends nothing: this waits for spotsim to exit on its own. */
	cr_assert_eq(sbt_proc_stop(&sim, 0, 10000), 0, "spotsim exits 0 once its replay has ended");
}

/* ---- the fill model (--fill) ------------------------------------------------------------------------ */

/* A flat first candle at 10.05, then after an hour (10 s at --speed 360) one with low 9.90 and high 10.20. */
static const char fill_klines[] =
    "1675209600000,10.05,10.05,10.05,10.05,100.0,1675209659999,1005.0,1,50.0,502.5,0\n"
    "1675213200000,10.05,10.20,9.90,10.10,1000.0,1675213259999,10050.0,300,500.0,5025.0,0\n";

static const char *status_of(int port, const char *coid)
{
	static char out[4][32];
	static int next;
	char params[128];
	snprintf(params, sizeof params, "symbol=NEWCOINUSDT&origClientOrderId=%s", coid);
	cJSON *o = signed_json(port, "GET", "/api/v3/order", params);
	char *s = out[next++ % 4];
	snprintf(s, sizeof out[0], "%s", sbt_jstr(o, "status"));
	cJSON_Delete(o);
	return s;
}

/* Replays fill_klines under model with four orders resting before the second candle: a buy at its low
 * and one a tick above, a sell at its high and one a tick below; their statuses once it has played. */
static void replay_fill(const char *file, const char *model, const char *st[4])
{
	char spec[600];
	snprintf(spec, sizeof spec, "NEWCOINUSDT=%s", file);
	const char *const args[] = {
	    "--replay", spec,     "--speed", "360",       "--replay-end",
	    "hold",     "--fill", model,     "--account", KEY ":" SECRET ":USDT=1000,NEWCOIN=10",
	    NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	static const char *const orders[] = {"side=BUY&price=9.90&newClientOrderId=buy-low",
	                                     "side=BUY&price=9.91&newClientOrderId=buy-in",
	                                     "side=SELL&price=10.20&newClientOrderId=sell-high",
	                                     "side=SELL&price=10.19&newClientOrderId=sell-in"};
	for (size_t i = 0; i < 4; i++) {
		char params[256];
		snprintf(params, sizeof params, "symbol=NEWCOINUSDT&type=LIMIT&timeInForce=GTC&quantity=1&%s",
		         orders[i]);
		cr_assert_gt(sbt_sim_order(sim.port, KEY, SECRET, params), 0);
	}
	cr_assert_eq(last_trade(sim.port, NULL), 1, "the orders rest before the second candle trades");
	/* Polled four times a second, well within the request weight a minute allows. */
	SBT_WAIT_UNTIL_EVERY(last_trade(sim.port, NULL) > 1, 30000, 250, "the second candle");
	wait_quiet(sim.port, 500, 10000, NULL);
	static const char *const coids[] = {"buy-low", "buy-in", "sell-high", "sell-in"};
	for (size_t i = 0; i < 4; i++)
		st[i] = status_of(sim.port, coids[i]);
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
}

Test(spotsim_venue, fill_through_leaves_the_orders_at_a_candles_extremes_that_touch_fills, .timeout = 90)
{
	char dir[] = "/tmp/spotsim-fill-XXXXXX", file[128];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(file, sizeof file, "%s/NEWCOINUSDT-1m-2023-02.csv", dir);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fputs(fill_klines, f);
	fclose(f);
	const char *st[4];
	replay_fill(file, "touch", st);
	cr_assert_str_eq(st[0], "FILLED", "touch: a buy at the low fills");
	cr_assert_str_eq(st[1], "FILLED");
	cr_assert_str_eq(st[2], "FILLED", "touch: a sell at the high fills");
	cr_assert_str_eq(st[3], "FILLED");
	replay_fill(file, "through", st);
	cr_assert_str_eq(st[0], "NEW", "through: nothing traded below the low");
	cr_assert_str_eq(st[1], "FILLED", "the low traded below this buy");
	cr_assert_str_eq(st[2], "NEW", "through: nothing traded above the high");
	cr_assert_str_eq(st[3], "FILLED", "the high traded above this sell");
	unlink(file);
	rmdir(dir);
}

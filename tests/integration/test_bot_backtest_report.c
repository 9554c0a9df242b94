/*
 * test_bot_backtest_report.c - the real `spotbot backtest --report` on real kline excerpts
 * (tests/data/klines/set), its page opened in a real headless browser (Debian's chromium): the page loads
 * with no console message, its own check finds every chart drawn with points and the pairs' fills as
 * markers, and a screenshot is taken. The figures behind it are checked against the exchange's ledger
 * (the end balances) and the data's prices: equity at the end, the holding it is set against, the time
 * in the market from the run's own positions. The same run writes the same bytes; a report path that
 * cannot be written is refused before the run.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_dec.h"
#include "spotbot/clock.h"
#include "spotbot/store.h"

#define PAIRS                                                                                                \
	"PAIRS=LINKUSDT:quote=20,profit=0.1%%;DOTUSDT:quote=20,profit=0.2%%;LTCUSDT:quote=20,profit=0.2%%\n"
#define CHROMIUM_DEFAULT "/usr/bin/chromium"

static struct {
	char dir[256];   /* the test's directory */
	char env[300];   /* its configuration */
	char out[300];   /* stdout of the last run */
	char err[300];   /* stderr of the last run */
	char db[300];    /* --db */
	char html[300];  /* --report */
	char data[1024]; /* the kline excerpts */
} T;

static void write_file(const char *path, const char *text)
{
	cr_assert(sbt_write_file(path, text), "%s", path);
}

static void setup(void)
{
	snprintf(T.dir, sizeof T.dir, "/tmp/sbt-btreport-XXXXXX");
	cr_assert_not_null(mkdtemp(T.dir));
	snprintf(T.env, sizeof T.env, "%s/bt.env", T.dir);
	snprintf(T.out, sizeof T.out, "%s/out", T.dir);
	snprintf(T.err, sizeof T.err, "%s/err", T.dir);
	snprintf(T.db, sizeof T.db, "%s/run.db", T.dir);
	snprintf(T.html, sizeof T.html, "%s/report.html", T.dir);
	char text[1024];
	snprintf(text, sizeof text, "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\n" PAIRS, T.dir, T.dir);
	write_file(T.env, text);
	sbt_source_path("tests/data/klines/set", T.data, sizeof T.data);
}

static void teardown(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", T.dir);
	(void)system(cmd);
}

TestSuite(bot_backtest_report, .init = setup, .fini = teardown);

/* Runs spotbot backtest --config with args (NULL-terminated); returns its exit code. */
static int backtest(const char *const *args)
{
	char prog[1024];
	const char *argv[32] = {sbt_program("spotbot", prog, sizeof prog), "backtest", "--config", T.env};
	size_t n = 4;
	for (size_t i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	int status = sbt_run(argv, NULL, T.out, T.err, 120);
	cr_assert(WIFEXITED(status), "spotbot did not exit normally (status %d)", status);
	return WEXITSTATUS(status);
}

/* The browser: SB_CHROMIUM or Debian's; the test fails, saying how to get it, when it is missing. */
static const char *chromium(void)
{
	const char *c = getenv("SB_CHROMIUM");
	c = c && *c ? c : CHROMIUM_DEFAULT;
	cr_assert(
	    access(c, X_OK) == 0,
	    "%s is missing: this test opens the HTML report in a real browser; install Debian's chromium "
	    "(apt-get install chromium, as scripts/install-deps.sh does) or set SB_CHROMIUM",
	    c);
	return c;
}

/* Opens page in headless chromium with flag (--dump-dom, --screenshot=...): its stdout, stderr files. */
static void browse(const char *page, const char *flag, const char *out, const char *err)
{
	char profile[320], url[400];
	snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium", T.dir);
	snprintf(url, sizeof url, "file://%s", page);
	const char *argv[] = {chromium(),
	                      "--headless",
	                      "--no-sandbox",
	                      "--disable-gpu",
	                      "--enable-logging=stderr",
	                      "--v=0",
	                      profile,
	                      "--window-size=1400,2000",
	                      flag,
	                      url,
	                      NULL};
	int status = sbt_run(argv, NULL, out, err, 90);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "chromium failed (status %d): %s", status,
	          sbt_read_file(err));
}

/* The console lines of a browser's log (chromium writes each console message as "...:CONSOLE(line)]"). */
static bool console_said(const char *log)
{
	return strstr(log, ":CONSOLE") != NULL;
}

static sb_dec dec_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsString(v), "%s is a decimal string", key);
	return D(v->valuestring);
}

static int64_t int_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsNumber(v), "%s is a number", key);
	return (int64_t)v->valuedouble;
}

/* Fills in the run's database. */
static int64_t db_fills(struct sb_store *st)
{
	struct sb_store_order *orders = NULL;
	size_t no = 0;
	int64_t n = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &orders, &no), SB_OK);
	for (size_t i = 0; i < no; i++) {
		struct sb_store_fill *fills = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, orders[i].client_order_id, &fills, &nf), SB_OK);
		n += (int64_t)nf;
		free(fills);
	}
	free(orders);
	return n;
}

/* The sum of "(N fill[s])" in the markers' tooltips of page. */
static int64_t marked_fills(const char *page)
{
	int64_t sum = 0;
	for (const char *p = page; (p = strstr(p, " fill")) != NULL; p++) {
		const char *q = p;
		while (q > page && q[-1] >= '0' && q[-1] <= '9')
			q--;
		if (q > page && q[-1] == '(' && q < p)
			sum += strtoll(q, NULL, 10);
	}
	return sum;
}

Test(bot_backtest_report, the_report_loads_in_a_real_browser_with_its_curves_and_markers_and_no_error)
{
	(void)chromium();
	/* The console is really read: a page that logs is seen to. */
	char probe[320], dom[320], log[320], shot[320], shot_arg[340];
	snprintf(probe, sizeof probe, "%s/probe.html", T.dir);
	snprintf(dom, sizeof dom, "%s/dom.html", T.dir);
	snprintf(log, sizeof log, "%s/chromium.log", T.dir);
	write_file(probe,
	           "<!DOCTYPE html><html><body><script>console.error('probe')</script></body></html>\n");
	browse(probe, "--dump-dom", dom, log);
	char *text = sbt_read_file(log);
	cr_assert(console_said(text), "chromium's log shows console messages: %s", text);
	free(text);

	const char *args[] = {"--data", T.data, "--db", T.db, "--report", T.html, NULL};
	cr_assert_eq(backtest(args), 0, "%s", sbt_read_file(T.err));
	browse(T.html, "--dump-dom", dom, log);
	text = sbt_read_file(log);
	cr_assert_not(console_said(text), "the report logs nothing in the browser's console: %s", text);
	free(text);
	char *page = sbt_read_file(dom);
	const char *check = strstr(page, "data-check=\"");
	cr_assert_not_null(check, "the report's check ran in the browser");
	int charts = 0, points = 0, marks = 0;
	cr_assert_eq(
	    sscanf(check, "data-check=\"ok charts=%d points=%d marks=%d\"", &charts, &points, &marks), 3,
	    "every chart has points: %.80s", check);
	cr_assert_eq(charts, 6, "equity, against holding, three pairs' prices, the holding times");
	cr_assert_gt(points, 300, "the pairs' 380 candles and the equity are drawn");
	cr_assert_gt(marks, 0);
	/* Every fill of the run's database is behind one marker. */
	struct sb_store *st = NULL;
	struct sb_store_opts so = {.readonly = true};
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, &so, &st, why, sizeof why), SB_OK, "%s", why);
	int64_t fills = db_fills(st);
	sb_store_close(st);
	cr_assert_gt(fills, 0);
	cr_assert_eq(marked_fills(page), fills, "the markers carry every fill");
	cr_assert_leq(marks, fills);
	free(page);

	snprintf(shot, sizeof shot, "%s/report.png", T.dir);
	snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", shot);
	browse(T.html, shot_arg, dom, log);
	char *png = sbt_read_file(shot);
	cr_assert(memcmp(png, "\x89PNG", 4) == 0, "a screenshot was taken");
	free(png);
	struct stat sb;
	cr_assert_eq(stat(shot, &sb), 0);
	cr_assert_gt(sb.st_size, 20000, "the screenshot is a drawn page, not a blank one");
}

static int by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Time within [from, to) that at least one of the database's positions of symbol (NULL: all) held base,
 * the naive way: cut the window at every position's ends and add each piece some position covers. */
static int64_t covered(struct sb_store *st, const char *symbol, int64_t from, int64_t to)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL, .symbol = symbol};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	int64_t *cut = malloc((2 * n + 2) * sizeof *cut);
	size_t nc = 0;
	cut[nc++] = from;
	cut[nc++] = to;
	for (size_t i = 0; i < n; i++) {
		/* Base is held from the first buy fill, and not before the position was created. */
		if (rows[i].opened_ms && rows[i].opened_ms < rows[i].created_ms)
			rows[i].opened_ms = rows[i].created_ms;
		if (rows[i].opened_ms > from && rows[i].opened_ms < to)
			cut[nc++] = rows[i].opened_ms;
		if (rows[i].closed_ms > from && rows[i].closed_ms < to)
			cut[nc++] = rows[i].closed_ms;
	}
	qsort(cut, nc, sizeof *cut, by_value);
	int64_t sum = 0;
	for (size_t k = 0; k + 1 < nc; k++) {
		bool held = false;
		for (size_t i = 0; i < n && !held; i++)
			held = rows[i].opened_ms && rows[i].buy_qty > 0 && rows[i].opened_ms <= cut[k] &&
			       (!rows[i].closed_ms || cut[k] < rows[i].closed_ms);
		sum += held ? cut[k + 1] - cut[k] : 0;
	}
	free(cut);
	free(rows);
	return sum;
}

Test(bot_backtest_report, equity_holding_and_time_in_the_market_agree_with_the_ledger_and_the_data)
{
	const char *args[] = {"--data", T.data, "--db", T.db, "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", sbt_read_file(T.err));
	cJSON *j = cJSON_Parse(sbt_read_file(T.out));
	cr_assert_not_null(j);
	const cJSON *eq = cJSON_GetObjectItemCaseSensitive(j, "equity");
	const cJSON *bal = cJSON_GetObjectItemCaseSensitive(j, "balances");
	const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(j, "pairs"), *p;
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "total");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(eq, "asset")->valuestring, "USDT");

	/* Equity at the end: the ledger's end balances at each pair's last close. */
	sb_dec want = dec_of(cJSON_GetObjectItemCaseSensitive(bal, "USDT"), "end");
	/* Holding: 10000 USDT split over the three pairs, bought at each first open, held to its last close.
	 */
	sb_dec share = 0, rest = 0, holding = 0;
	cr_assert_eq(sb_dec_div(D("10000"), D("3"), SB_ROUND_DOWN, &share), SB_OK);
	rest = D("10000") - 3 * share;
	holding = rest;
	cJSON_ArrayForEach(p, pairs)
	{
		const char *sym = cJSON_GetObjectItemCaseSensitive(p, "symbol")->valuestring;
		char base[16];
		snprintf(base, sizeof base, "%.*s", (int)(strlen(sym) - 4), sym);
		sb_dec held = dec_of(cJSON_GetObjectItemCaseSensitive(bal, base), "end"), v = 0, q = 0;
		cr_assert_eq(sb_dec_mul(held, dec_of(p, "last_price"), SB_ROUND_DOWN, &v), SB_OK);
		want += v;
		cr_assert_eq(sb_dec_div(share, dec_of(p, "first_price"), SB_ROUND_DOWN, &q), SB_OK);
		cr_assert_eq(sb_dec_mul(q, dec_of(p, "last_price"), SB_ROUND_DOWN, &v), SB_OK);
		holding += v;
	}
	cr_assert_eq(dec_of(eq, "end"), want, "equity is the ledger's balances at the last closes");
	cr_assert_eq(dec_of(eq, "start"), D("10000"));
	cr_assert_eq(dec_of(eq, "holding_end"), holding);
	cr_assert_eq(dec_of(total, "vs_hold"), want - holding);
	/* The pairs' results (realised, open positions and dust at the last closes) are the equity's change:
	 * every commission here is paid in a pair's base or in USDT. */
	cr_assert_eq(dec_of(total, "profit"), want - D("10000"));
	/* The largest drawdown falls from a peak no lower than the start, and is no smaller than the fall
	 * from the start to the end. */
	sb_dec dd = dec_of(eq, "max_drawdown"), peak = dec_of(eq, "drawdown_peak");
	cr_assert_geq(peak, D("10000"));
	cr_assert_leq(dd, peak);
	cr_assert_lt(want, D("10000"), "these excerpts end with the account below its start");
	cr_assert_geq(dd, D("10000") - want);
	cr_assert_eq(dec_of(eq, "max_drawdown_pct"), dec_of(total, "max_drawdown_pct"));

	/* Time in the market from the run's own positions, over the window of the JSON. */
	struct sb_store *st = NULL;
	struct sb_store_opts so = {.readonly = true};
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, &so, &st, why, sizeof why), SB_OK, "%s", why);
	int64_t from = 0, to = 0;
	cr_assert_eq(
	    sb_clock_parse_rfc3339_ms(cJSON_GetObjectItemCaseSensitive(j, "from")->valuestring, 24, &from),
	    SB_OK);
	cr_assert_eq(
	    sb_clock_parse_rfc3339_ms(cJSON_GetObjectItemCaseSensitive(j, "to")->valuestring, 24, &to),
	    SB_OK);
	cJSON_ArrayForEach(p, pairs)
	{
		const char *sym = cJSON_GetObjectItemCaseSensitive(p, "symbol")->valuestring;
		cr_assert_eq(int_of(p, "time_in_market_ms"), covered(st, sym, from, to + 1), "%s", sym);
	}
	cr_assert_eq(int_of(total, "time_in_market_ms"), covered(st, NULL, from, to + 1));
	sb_store_close(st);
	cJSON_Delete(j);
}

Test(bot_backtest_report, the_same_run_writes_the_same_bytes)
{
	const char *args[] = {"--data", T.data, "--json", "--report", T.html, NULL};
	cr_assert_eq(backtest(args), 0, "%s", sbt_read_file(T.err));
	char *first = sbt_read_file(T.html);
	cr_assert_gt(strlen(first), 1000);
	cr_assert_not_null(strstr(first, "<svg class=\"chart\" id=\"equity\""));
	cr_assert_eq(backtest(args), 0, "%s", sbt_read_file(T.err));
	char *second = sbt_read_file(T.html);
	cr_assert(strcmp(first, second) == 0, "byte-identical reports");
	free(first);
	free(second);
}

Test(bot_backtest_report, a_report_that_cannot_be_written_is_refused_before_the_run)
{
	const char *args[] = {"--data", T.data, "--report", "/nonexistent/dir/report.html", NULL};
	cr_assert_eq(backtest(args), 2, "%s", sbt_read_file(T.err));
	cr_assert_not_null(strstr(sbt_read_file(T.err), "--report /nonexistent/dir/report.html"), "%s",
	                   sbt_read_file(T.err));
	cr_assert_str_eq(sbt_read_file(T.out), "", "nothing ran");
}

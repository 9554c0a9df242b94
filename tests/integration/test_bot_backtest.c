/*
 * test_bot_backtest.c - the real `spotbot backtest` on real kline excerpts (tests/data/klines/set):
 * its JSON against the run's own database (--db), the books of that database against the balances it
 * reports, byte-identical results from the same inputs, the clear refusals of bad arguments and
 * bad data (exit 2, the file and line named), the fill models against the candles themselves, and what
 * a run prints on standard error and keeps in its log.
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
#include "spotbot/kline_set.h"
#include "spotbot/store.h"

#define PAIRS                                                                                                \
	"PAIRS=LINKUSDT:quote=20,profit=0.1%%;DOTUSDT:quote=20,profit=0.2%%;LTCUSDT:quote=20,profit=0.2%%\n"

static struct {
	char dir[256];   /* the test's directory */
	char env[300];   /* its configuration */
	char out[300];   /* stdout of the last run */
	char err[300];   /* stderr of the last run */
	char db[300];    /* --db */
	char data[1024]; /* the kline excerpts */
} T;

static const char *slurp(const char *path)
{
	static char buf[2][262144];
	static int slot;
	char *b = buf[slot++ % 2];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(b, 1, sizeof buf[0] - 1, f) : 0;
	if (f)
		fclose(f);
	b[n] = '\0';
	return b;
}

static void write_file(const char *path, const char *text)
{
	cr_assert(sbt_write_file(path, text), "%s", path);
}

/* A configuration whose DATABASE_PATH must never be created by a backtest. */
static void setup(void)
{
	snprintf(T.dir, sizeof T.dir, "/tmp/sbt-backtest-XXXXXX");
	cr_assert_not_null(mkdtemp(T.dir));
	snprintf(T.env, sizeof T.env, "%s/bt.env", T.dir);
	snprintf(T.out, sizeof T.out, "%s/out", T.dir);
	snprintf(T.err, sizeof T.err, "%s/err", T.dir);
	snprintf(T.db, sizeof T.db, "%s/run.db", T.dir);
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

TestSuite(bot_backtest, .init = setup, .fini = teardown);

/* Runs spotbot backtest with args (NULL-terminated) after --config; returns its exit code. */
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

/* Realised profit and count of the database's closed positions of symbol (NULL: all). */
static sb_dec closed_profit(struct sb_store *st, const char *symbol, int64_t *count)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_CLOSED, .symbol = symbol};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	sb_dec sum = 0;
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].state != SB_POSITION_CLOSED)
			continue;
		sum += rows[i].realised_profit;
		(*count)++;
	}
	free(rows);
	return sum;
}

/* Moves amount of asset in the sums (asset names and amounts side by side, n used). */
static void credit(char assets[][SB_ASSET_MAX], sb_dec *sums, size_t *n, const char *asset, sb_dec amount)
{
	size_t i = 0;
	while (i < *n && strcmp(assets[i], asset) != 0)
		i++;
	if (i == *n) {
		snprintf(assets[i], SB_ASSET_MAX, "%s", asset);
		sums[i] = 0;
		(*n)++;
	}
	sums[i] += amount;
}

/*
 * Start balances plus every fill of the database (its base and quote, less its commission in whatever
 * asset it was paid) are the end balances the command reports from the exchange's ledger, to the last
 * unit. Returns the number of fills.
 */
static size_t books_explain_balances(const cJSON *j, struct sb_store *st)
{
	char assets[16][SB_ASSET_MAX];
	sb_dec sums[16];
	size_t na = 0;
	const cJSON *bal = cJSON_GetObjectItemCaseSensitive(j, "balances"), *b;
	cJSON_ArrayForEach(b, bal) credit(assets, sums, &na, b->string, dec_of(b, "start"));
	struct sb_store_order *orders = NULL;
	size_t no = 0, nfills = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &orders, &no), SB_OK);
	for (size_t i = 0; i < no; i++) {
		struct sb_store_fill *fills = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, orders[i].client_order_id, &fills, &nf), SB_OK);
		char base[SB_ASSET_MAX];
		size_t len = strlen(orders[i].symbol);
		cr_assert(len > 4 && strcmp(orders[i].symbol + len - 4, "USDT") == 0);
		snprintf(base, sizeof base, "%.*s", (int)(len - 4), orders[i].symbol);
		sb_dec sign = orders[i].side == SB_SIDE_BUY ? 1 : -1;
		for (size_t k = 0; k < nf; k++) {
			credit(assets, sums, &na, base, sign * fills[k].qty);
			credit(assets, sums, &na, "USDT", -sign * fills[k].quote_qty);
			if (fills[k].commission_asset[0])
				credit(assets, sums, &na, fills[k].commission_asset, -fills[k].commission);
		}
		nfills += nf;
		free(fills);
	}
	free(orders);
	cr_assert_gt(nfills, 0);
	for (size_t i = 0; i < na; i++) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(bal, assets[i]);
		cr_assert_not_null(e, "%s is reported", assets[i]);
		cr_assert_eq(dec_of(e, "end"), sums[i], "%s: the fills explain the end balance", assets[i]);
	}
	return nfills;
}

Test(bot_backtest, results_come_from_the_database_and_the_books_explain_the_balances)
{
	const char *args[] = {"--data", T.data, "--db", T.db, "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	char live[300];
	snprintf(live, sizeof live, "%s/live.db", T.dir);
	cr_assert_neq(access(live, F_OK), 0, "the live DATABASE_PATH was never opened");
	cJSON *j = cJSON_Parse(slurp(T.out));
	cr_assert_not_null(j, "one JSON object: %s", slurp(T.out));
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "total");
	cr_assert_gt(int_of(total, "cycles"), 0, "a moving market gives finished cycles");

	struct sb_store *st = NULL;
	struct sb_store_opts so = {.readonly = true};
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, &so, &st, why, sizeof why), SB_OK, "%s", why);
	int64_t count = 0;
	cr_assert_eq(dec_of(total, "realized_profit"), closed_profit(st, NULL, &count));
	cr_assert_eq(int_of(total, "cycles"), count);
	const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(j, "pairs"), *p;
	cr_assert_eq(cJSON_GetArraySize(pairs), 3);
	cJSON_ArrayForEach(p, pairs)
	{
		const char *sym = cJSON_GetObjectItemCaseSensitive(p, "symbol")->valuestring;
		cr_assert_eq(dec_of(p, "realized_profit"), closed_profit(st, sym, &count), "%s", sym);
		cr_assert_eq(int_of(p, "cycles"), count, "%s", sym);
	}

	books_explain_balances(j, st);
	sb_store_close(st);
	cJSON_Delete(j);
}

Test(bot_backtest, the_same_inputs_give_byte_identical_json)
{
	const char *args[] = {"--data", T.data, "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	char first[262144];
	snprintf(first, sizeof first, "%s", slurp(T.out));
	cr_assert_gt(strlen(first), 10);
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.out), first);
}

Test(bot_backtest, a_window_and_a_balance_are_obeyed)
{
	const char *args[] = {"--data",     T.data,      "--from",         "2023-02-02", "--to",
	                      "2023-02-02", "--balance", "USDT=500,BNB=1", "--json",     NULL};
	char text[1024];
	snprintf(text, sizeof text,
	         "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=LINKUSDT:quote=20\n", T.dir, T.dir);
	write_file(T.env, text);
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cr_assert(strstr(slurp(T.err), "the data of DOTUSDT is ignored: it is not in PAIRS") != NULL, "%s",
	          slurp(T.err));
	cJSON *j = cJSON_Parse(slurp(T.out));
	cr_assert_not_null(j);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(j, "from")->valuestring,
	                 "2023-02-02T00:00:00.000Z");
	const cJSON *bal = cJSON_GetObjectItemCaseSensitive(j, "balances");
	cr_assert_eq(dec_of(cJSON_GetObjectItemCaseSensitive(bal, "USDT"), "start"), D("500"));
	cr_assert_eq(dec_of(cJSON_GetObjectItemCaseSensitive(bal, "BNB"), "start"), D("1"));
	cJSON_Delete(j);
}

/* Runs with args and expects exit 2 with want in its standard error. */
static void refused(const char *const *args, const char *want)
{
	cr_assert_eq(backtest(args), 2, "%s", slurp(T.err));
	cr_assert(strstr(slurp(T.err), want) != NULL, "'%s' not in: %s", want, slurp(T.err));
	cr_assert_str_eq(slurp(T.out), "");
}

Test(bot_backtest, bad_arguments_exit_2_naming_what_is_wrong)
{
	refused((const char *[]){NULL}, "--data PATH is required");
	refused((const char *[]){"--data", T.data, "--bogus", NULL}, "unknown argument '--bogus'");
	refused((const char *[]){"--data", T.data, "--from", "2023-13-01", NULL}, "--from '2023-13-01'");
	refused((const char *[]){"--data", T.data, "--balance", "USDT=ten", NULL}, "'USDT=ten'");
	refused((const char *[]){"--data", T.data, "--from", "2023-03-01", "--to", "2023-02-01", NULL},
	        "--from must come before --to");
	refused((const char *[]){"--data", "/nonexistent/LINKUSDT-1m-2023-02.csv", NULL},
	        "/nonexistent/LINKUSDT-1m-2023-02.csv");
	/* From December 2024 the files hold LTCUSDT's candles only: DOTUSDT's month (the first pair) and
	 * LINKUSDT's are before it. */
	refused((const char *[]){"--data", T.data, "--from", "2024-12-01", NULL},
	        "PAIRS: DOTUSDT has no candle between --from and --to");
}

Test(bot_backtest, bad_data_exits_2_naming_the_file_and_line)
{
	char path[400];
	snprintf(path, sizeof path, "%s/LINKUSDT-1m-2023-02.csv", T.dir);
	write_file(path,
	           "1675209600000,6.949,6.959,6.947,6.957,30020.25,1675209659999,208718.48852,471,10610.28,"
	           "73780.89351,0\n"
	           "1675209660000,6.956,6.960,6.947,6.948,55955.55,1675209719999,389026.85814,541,13344.03,"
	           "92782.75858,0\n"
	           "1675209720000,6.948,oops,6.948,6.967,28273.40,1675209779999,196792.49572,448,15513.98,"
	           "107984.30761,0\n");
	char want[450];
	snprintf(want, sizeof want, "%s:3", path);
	char text[1024];
	snprintf(text, sizeof text,
	         "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=LINKUSDT:quote=20\n", T.dir, T.dir);
	write_file(T.env, text);
	refused((const char *[]){"--data", path, NULL}, want);
	/* A pair of PAIRS without data. */
	snprintf(
	    text, sizeof text,
	    "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=LINKUSDT:quote=20;BTCUSDT:quote=20\n",
	    T.dir, T.dir);
	write_file(T.env, text);
	refused((const char *[]){"--data", T.data, NULL}, "PAIRS: BTCUSDT has no data in the files given");
	/* A pair no list has, whose rules cannot be derived: its name ends in no known quote asset. */
	snprintf(path, sizeof path, "%s/AVAXQQQ-1m-2023-02.csv", T.dir);
	write_file(path,
	           "1675209600000,6.949,6.959,6.947,6.957,30020.25,1675209659999,208718.48852,471,10610.28,"
	           "73780.89351,0\n");
	snprintf(text, sizeof text,
	         "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=AVAXQQQ:quote=20\n", T.dir, T.dir);
	write_file(T.env, text);
	refused((const char *[]){"--data", path, NULL}, "AVAXQQQ: cannot tell its quote asset");
}

/* ---- the fill model ----------------------------------------------------------------------------------- */

#define CANDLES_MAX 1024

/* Candles, as the backtest reads them. */
static struct {
	char symbol[CANDLES_MAX][SB_KLINE_SYMBOL_MAX + 1]; /* each candle's symbol */
	struct sb_kline k[CANDLES_MAX];                    /* the candles */
	size_t n;                                          /* in use */
} C;

/* Loads the candles of path (a kline file or directory). */
static void load_candles(const char *path)
{
	const char *paths[] = {path};
	struct sb_kline_set *set = NULL;
	char why[512];
	cr_assert_eq(sb_kline_set_open(paths, 1, 0, INT64_MAX, &set, why, sizeof why), SB_OK, "%s", why);
	C.n = 0;
	for (;;) {
		size_t sym = 0;
		bool done = false;
		cr_assert_lt(C.n, CANDLES_MAX);
		cr_assert_eq(sb_kline_set_next(set, &sym, &C.k[C.n], &done), SB_OK, "%s",
		             sb_kline_set_error(set));
		if (done)
			break;
		snprintf(C.symbol[C.n++], sizeof C.symbol[0], "%s", sb_kline_set_symbol(set, sym));
	}
	sb_kline_set_free(set);
}

static const struct sb_kline *candle_at(const char *symbol, int64_t ms)
{
	for (size_t i = 0; i < C.n; i++)
		if (strcmp(C.symbol[i], symbol) == 0 && C.k[i].open_time <= ms && ms <= C.k[i].close_time)
			return &C.k[i];
	cr_assert_fail("no %s candle at %lld", symbol, (long long)ms);
	return NULL;
}

/* Checks every maker fill of the database db against its minute's candle (a buy filled at or above the
 * low, a sell at or below the high) and counts those the market only touched: a buy at the low, a sell at
 * the high. */
static size_t maker_fills_at_extremes(const char *db, size_t *makers)
{
	struct sb_store *st = NULL;
	struct sb_store_opts so = {.readonly = true};
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(db, &so, &st, why, sizeof why), SB_OK, "%s", why);
	struct sb_store_order *orders = NULL;
	size_t no = 0, touched = 0;
	*makers = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &orders, &no), SB_OK);
	for (size_t i = 0; i < no; i++) {
		struct sb_store_fill *fills = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, orders[i].client_order_id, &fills, &nf), SB_OK);
		for (size_t k = 0; k < nf; k++) {
			if (!fills[k].is_maker)
				continue;
			const struct sb_kline *c = candle_at(fills[k].symbol, fills[k].time_ms);
			bool buy = orders[i].side == SB_SIDE_BUY;
			cr_assert(buy ? fills[k].price >= c->low : fills[k].price <= c->high,
			          "%s: a maker fill the candle never reached", orders[i].client_order_id);
			touched += buy ? fills[k].price == c->low : fills[k].price == c->high;
			(*makers)++;
		}
		free(fills);
	}
	free(orders);
	sb_store_close(st);
	return touched;
}

Test(bot_backtest, fill_through_fills_resting_orders_only_where_the_market_traded_beyond_them)
{
	load_candles(T.data);
	const char *touch[] = {"--data", T.data, "--db", T.db, "--fill", "touch", NULL};
	cr_assert_eq(backtest(touch), 0, "%s", slurp(T.err));
	size_t makers = 0;
	cr_assert_gt(maker_fills_at_extremes(T.db, &makers), 0,
	             "with touch, some resting orders fill where the market only touched their price");
	char db[400];
	snprintf(db, sizeof db, "%s/through.db", T.dir);
	const char *through[] = {"--data", T.data, "--db", db, "--fill", "through", NULL};
	cr_assert_eq(backtest(through), 0, "%s", slurp(T.err));
	cr_assert_eq(maker_fills_at_extremes(db, &makers), 0,
	             "with through, no resting order fills at a candle's extreme");
	cr_assert_gt(makers, 0, "resting orders still fill where the market passes them");
	refused((const char *[]){"--data", T.data, "--fill", "cross", NULL},
	        "--fill 'cross': expected touch or through");
}

/* ---- what a backtest says on standard error ---------------------------------------------------------- */

#define NOTE_LTC "spotbot backtest: the data of LTCUSDT is ignored: it is not in PAIRS\n"

/* Two pairs whose data start 21 months apart (LINKUSDT in 2023-02, DOTUSDT in 2024-11): before the later
 * one's first candle its market has no price, which is a wait, not a warning. */
static void two_pairs(void)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\n"
	         "PAIRS=LINKUSDT:quote=20,profit=0.1%%;DOTUSDT:quote=20,profit=0.2%%\n",
	         T.dir, T.dir);
	write_file(T.env, text);
}

/* Lines of the log file at path, each checked to be a JSON object stamped within [from, to) of market
 * time; counts its warnings and those stamped at or after mid. */
static size_t log_lines(const char *path, const char *from, const char *mid, const char *to, size_t *warns,
                        size_t *late)
{
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s exists", path);
	char line[65536];
	size_t n = 0;
	*warns = *late = 0;
	while (fgets(line, sizeof line, f)) {
		cJSON *j = cJSON_Parse(line);
		cr_assert_not_null(j, "a JSON line: %s", line);
		const char *ts = cJSON_GetObjectItemCaseSensitive(j, "ts")->valuestring;
		cr_assert(strcmp(ts, from) >= 0 && strcmp(ts, to) < 0, "%s is market time: %s", ts, line);
		*late += strcmp(ts, mid) >= 0;
		*warns += strcmp(cJSON_GetObjectItemCaseSensitive(j, "level")->valuestring, "warn") == 0;
		cJSON_Delete(j);
		n++;
	}
	fclose(f);
	return n;
}

Test(bot_backtest, a_clean_run_prints_only_its_notes_and_keeps_its_log_on_market_time)
{
	two_pairs();
	const char *args[] = {"--data", T.data, "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.err), NOTE_LTC, "nothing on stderr but the documented note");

	char log[400];
	snprintf(log, sizeof log, "%s/bt.log", T.dir);
	const char *logged[] = {"--data", T.data, "--log", log, "--json", NULL};
	cr_assert_eq(backtest(logged), 0, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.err), NOTE_LTC);
	size_t warns = 0, late = 0;
	cr_assert_gt(log_lines(log, "2023-02-01T00:00:00.000Z", "2024-11-01", "2024-11-02", &warns, &late),
	             10, "the daemon's log is in the file");
	cr_assert_eq(warns, 0, "a clean run warns about nothing");
	cr_assert_gt(late, 0, "DOTUSDT traded in its own month");
}

Test(bot_backtest, the_daemons_warnings_are_summarised_in_one_line)
{
	two_pairs();
	/* 10 USDT cannot pay for a 20 USDT buy: the exchange rejects each, and the daemon warns. */
	const char *args[] = {"--data", T.data, "--balance", "USDT=10", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	const char *err = slurp(T.err);
	unsigned long n = 0;
	const char *line = strstr(err, "spotbot backtest: the daemon logged ");
	cr_assert_not_null(line, "%s", err);
	cr_assert_eq(sscanf(line, "spotbot backtest: the daemon logged %lu warnings", &n), 1, "%s", err);
	cr_assert_gt(n, 0);
	cr_assert(strstr(line, "(--log FILE keeps its log)\n"), "%s", err);

	char log[400], want[500];
	snprintf(log, sizeof log, "%s/bt.log", T.dir);
	const char *logged[] = {"--data", T.data, "--balance", "USDT=10", "--log", log, NULL};
	cr_assert_eq(backtest(logged), 0, "%s", slurp(T.err));
	snprintf(want, sizeof want, "the daemon logged %lu warnings and 0 errors: see %s\n", n, log);
	cr_assert(strstr(slurp(T.err), want), "'%s' not in %s", want, slurp(T.err));
	size_t warns = 0, late = 0;
	log_lines(log, "2023-02-01T00:00:00.000Z", "2024-11-01", "2024-11-02", &warns, &late);
	cr_assert_eq(warns, n, "each warning counted is in the log");
	refused((const char *[]){"--data", T.data, "--log", "/nonexistent/bt.log", NULL},
	        "--log /nonexistent/bt.log");
}

/* ---- symbols outside spotsim's catalogue ------------------------------------------------------------- */

/* NEWCOINUSDT's rules in an exchangeInfo document: a tick of 0.0001, finer than its data's prices show. */
static const char new_coin_info[] =
    "{\"timezone\":\"UTC\",\"serverTime\":1675209600000,\"rateLimits\":[],\"exchangeFilters\":[],"
    "\"symbols\":[{\"symbol\":\"NEWCOINUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"NEWCOIN\","
    "\"baseAssetPrecision\":8,\"quoteAsset\":\"USDT\",\"quotePrecision\":8,\"quoteAssetPrecision\":8,"
    "\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],\"icebergAllowed\":true,\"ocoAllowed\":true,"
    "\"quoteOrderQtyMarketAllowed\":true,\"isSpotTradingAllowed\":true,\"filters\":["
    "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.00010000\",\"maxPrice\":\"1000.00000000\","
    "\"tickSize\":\"0.00010000\"},"
    "{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.00100000\",\"maxQty\":\"900000.00000000\","
    "\"stepSize\":\"0.00100000\"},"
    "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\",\"applyMinToMarket\":true,"
    "\"maxNotional\":\"9000000.00000000\",\"applyMaxToMarket\":false,\"avgPriceMins\":5},"
    "{\"filterType\":\"MAX_NUM_ORDERS\",\"maxNumOrders\":200}],\"permissions\":[],"
    "\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\","
    "\"allowedSelfTradePreventionModes\":[\"EXPIRE_TAKER\",\"EXPIRE_MAKER\",\"EXPIRE_BOTH\"]}]}";

/* Fills of the database db, and how many are priced off the grid step (the exchange accepted a price
 * that is not a multiple of it). */
static size_t fills_off_grid(const char *db, sb_dec step, size_t *nfills)
{
	struct sb_store *st = NULL;
	struct sb_store_opts so = {.readonly = true};
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(db, &so, &st, why, sizeof why), SB_OK, "%s", why);
	struct sb_store_order *orders = NULL;
	size_t no = 0, off = 0;
	*nfills = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &orders, &no), SB_OK);
	for (size_t i = 0; i < no; i++) {
		struct sb_store_fill *fills = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, orders[i].client_order_id, &fills, &nf), SB_OK);
		for (size_t k = 0; k < nf; k++)
			off += fills[k].price % step != 0;
		*nfills += nf;
		free(fills);
	}
	free(orders);
	sb_store_close(st);
	return off;
}

Test(bot_backtest, a_symbol_outside_the_catalogue_trades_on_rules_derived_from_its_data_or_given)
{
	/* A real excerpt under a name spotsim has never heard of. */
	char src[512], path[400], text[1024];
	sbt_source_path("tests/data/klines/set/LINKUSDT-1m-2023-02-02.csv", src, sizeof src);
	snprintf(path, sizeof path, "%s/NEWCOINUSDT-1m-2023-02-02.csv", T.dir);
	write_file(path, slurp(src));
	snprintf(
	    text, sizeof text,
	    "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=NEWCOINUSDT:quote=20,profit=0.1%%\n",
	    T.dir, T.dir);
	write_file(T.env, text);
	const char *derived[] = {"--data", path, "--db", T.db, NULL};
	cr_assert_eq(backtest(derived), 0, "%s", slurp(T.err));
	cr_assert_str_eq(
	    slurp(T.err),
	    "spotbot backtest: rules of NEWCOINUSDT derived from its data: tick 0.001, step 0.01 "
	    "(an approximation; --exchange-info FILE.json gives the real ones)\n");
	size_t n = 0;
	cr_assert_eq(fills_off_grid(T.db, D("0.001"), &n), 0, "every price on the derived tick");
	cr_assert_gt(n, 0, "it traded");

	refused((const char *[]){"--data", path, "--exchange-info", "/nonexistent/info.json", NULL},
	        "--exchange-info /nonexistent/info.json: cannot open");
	char info[400], db[400];
	snprintf(info, sizeof info, "%s/exchangeInfo.json", T.dir);
	write_file(info, new_coin_info);
	snprintf(db, sizeof db, "%s/given.db", T.dir);
	const char *given[] = {"--data", path, "--exchange-info", info, "--db", db, NULL};
	cr_assert_eq(backtest(given), 0, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.err), "", "real rules need no note");
	cr_assert_gt(fills_off_grid(db, D("0.001"), &n), 0, "the sells use the finer tick of the document");
	cr_assert_eq(fills_off_grid(db, D("0.0001"), &n), 0);
}

/* ---- commission in BNB -------------------------------------------------------------------------------- */

Test(bot_backtest, bnb_fees_pay_commission_in_bnb_valued_at_the_bnb_data_and_the_books_still_balance)
{
	char text[1024], link1[400], link2[400], bnb[400];
	snprintf(text, sizeof text,
	         "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=LINKUSDT:quote=20,profit=0.1%%\n",
	         T.dir, T.dir);
	write_file(T.env, text);
	sbt_source_path("tests/data/klines/set/LINKUSDT-1m-2023-02-01.zip", link1, sizeof link1);
	sbt_source_path("tests/data/klines/set/LINKUSDT-1m-2023-02-02.csv", link2, sizeof link2);
	sbt_source_path("tests/data/klines/bnb", bnb, sizeof bnb);
	refused(
	    (const char *[]){"--data", link1, link2, "--bnb-fees", NULL},
	    "--bnb-fees: BNB commission on LINKUSDT is valued at BNBUSDT, and the data has no BNBUSDT: give "
	    "its kline files with --data too (BNBUSDT-1m-YYYY-MM.zip");
	const char *args[] = {"--data",           link1,  link2, bnb,      "--bnb-fees", "--balance",
	                      "USDT=10000,BNB=5", "--db", T.db,  "--json", NULL};
	cr_assert_eq(backtest(args), 0, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.err), "", "BNBUSDT's data prices BNB: no note that it is ignored");
	cJSON *j = cJSON_Parse(slurp(T.out));
	cr_assert_not_null(j, "%s", slurp(T.out));
	const cJSON *pairs = cJSON_GetObjectItemCaseSensitive(j, "pairs");
	cr_assert_eq(cJSON_GetArraySize(pairs), 1, "BNBUSDT is listed, not traded");

	/* BNB's price range in its data. */
	load_candles(bnb);
	sb_dec lo = C.k[0].low, hi = C.k[0].high;
	for (size_t i = 0; i < C.n; i++) {
		lo = C.k[i].low < lo ? C.k[i].low : lo;
		hi = C.k[i].high > hi ? C.k[i].high : hi;
	}

	struct sb_store *st = NULL;
	struct sb_store_opts so = {.readonly = true};
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, &so, &st, why, sizeof why), SB_OK, "%s", why);
	cr_assert_gt(books_explain_balances(j, st), 0, "the fills explain every balance, BNB's included");
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_CLOSED, .symbol = "LINKUSDT"};
	struct sb_store_position *rows = NULL;
	size_t n = 0, closed = 0, before_bnb = 0;
	cr_assert_eq(sb_store_position_list(st, &f, &rows, &n), SB_OK);
	for (size_t i = 0; i < n; i++) {
		if (rows[i].state != SB_POSITION_CLOSED)
			continue;
		struct sb_store_order_filter of = {.position_id = rows[i].id};
		struct sb_store_order *orders = NULL;
		size_t no = 0;
		cr_assert_eq(sb_store_order_list(st, &of, &orders, &no), SB_OK);
		char coid[64] = "";
		for (size_t k = 0; k < no; k++)
			if (orders[k].side == SB_SIDE_BUY)
				snprintf(coid, sizeof coid, "%s", orders[k].client_order_id);
		free(orders);
		struct sb_store_fill *fills = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, coid, &fills, &nf), SB_OK);
		cr_assert_gt(nf, 0, "the buy of position %lld has fills", (long long)rows[i].id);
		sb_dec spent = 0, bnb_paid = 0;
		bool in_bnb = true;
		for (size_t k = 0; k < nf; k++) {
			/* Before BNBUSDT's first candle BNB has no price: commission is taken in LINK. */
			bool early = fills[k].time_ms < C.k[0].open_time;
			cr_assert_str_eq(fills[k].commission_asset, early ? "LINK" : "BNB", "%s", coid);
			in_bnb &= !early;
			spent += fills[k].quote_qty;
			bnb_paid += fills[k].commission;
		}
		free(fills);
		if (!in_bnb) {
			before_bnb++;
			continue;
		}
		cr_assert_eq(rows[i].base_received, rows[i].buy_qty,
		             "a BNB commission leaves the LINK bought whole");
		/* The cost: what was spent plus the BNB commission at a BNBUSDT price of its data. */
		sb_dec fee = rows[i].cost_quote - spent, at_lo = 0, at_hi = 0;
		cr_assert_eq(sb_dec_mul(bnb_paid, lo, SB_ROUND_DOWN, &at_lo), SB_OK);
		cr_assert_eq(sb_dec_mul(bnb_paid, hi, SB_ROUND_UP, &at_hi), SB_OK);
		cr_assert(fee >= at_lo && fee <= at_hi + (sb_dec)nf,
		          "position %lld: fee %lld not within [%lld, %lld]", (long long)rows[i].id,
		          (long long)fee, (long long)at_lo, (long long)at_hi);
		/* The sell price pays the sell fee and 0.1% on that cost. */
		sb_dec gross = 0, net = 0, need = 0;
		cr_assert_eq(sb_dec_mul(rows[i].sell_price_target, rows[i].sell_qty, SB_ROUND_DOWN, &gross),
		             SB_OK);
		cr_assert_eq(sb_dec_mul(gross, D("0.999"), SB_ROUND_DOWN, &net), SB_OK);
		cr_assert_eq(sb_dec_mul(rows[i].cost_quote, D("1.001"), SB_ROUND_UP, &need), SB_OK);
		cr_assert_geq(net, need, "position %lld: the sell covers the BNB-valued cost",
		              (long long)rows[i].id);
		cr_assert_gt(rows[i].realised_profit, 0);
		closed++;
	}
	free(rows);
	cr_assert_gt(closed, 2, "several cycles paid their commission in BNB");
	cr_assert_gt(before_bnb, 0, "and one before BNB had a price");
	sb_store_close(st);
	cJSON_Delete(j);
}

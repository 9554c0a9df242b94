/*
 * bench_backtest.c - `spotbot backtest` end to end (sb_bt_run: the daemon's strategy, order manager and
 * store against spotsim's exchange in the process, on the virtual clock), each run in a child process so
 * that its wall time, CPU time and peak resident memory are its own. Three workloads:
 *
 *   year    50 pairs x one year of 1-minute candles (26 M candles), synthetic: a random walk per pair from
 *           a fixed seed, written first (not timed) as data.binance.vision monthly .zip files in a
 *           temporary directory, with an exchangeInfo document listing the 50 symbols;
 *   month   10 pairs x one month of real 1-minute candles: one data.binance.vision month file (by default
 *           ../shared/data/LINKUSDT-1m-2023-02.csv.gz beside the source tree; SB_BENCH_KLINES names
 *           another) under ten catalogue symbols, each pair trading on its own book;
 *   events  events per second through the whole engine (market event -> decision -> order -> fill ->
 *           store) on a synthetic month of 10 pairs trading often (cycles of minutes), with the run's
 *           database a temporary SQLite file (not durable) and then in memory.
 *
 * Usage: bench_backtest [year] [month] [events]   (all three when none is named; SB_BENCH_MONTHS=N
 * shortens the year to N months, to profile it). Not a test.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "backtest/bt_run.h"
#include "spotbot/config.h"
#include "spotbot/log.h"

#ifndef SB_SOURCE_DIR
#define SB_SOURCE_DIR "."
#endif

#define YEAR_PAIRS   50
#define MONTH_PAIRS  10
#define EVENTS_PAIRS 10
#define SYNTH_YEAR   2025                   /* the synthetic candles' year */
#define SYNTH_T0     INT64_C(1735689600000) /* 2025-01-01T00:00:00Z */
#define TICKS        10000                  /* price ticks per unit: 4 decimals */

extern char **environ;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_backtest: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* ---- synthetic candles ------------------------------------------------------------------------------ */

/* One pair's random walk: its generator and its last close, in ticks. */
struct walk {
	uint64_t rng;  /* xorshift64 state */
	int64_t close; /* last close, ticks */
};

static uint64_t next_rand(struct walk *w)
{
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return w->rng;
}

static char *put_int(char *p, int64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* v / 10^places with exactly places decimals (v >= 0). */
static char *put_fixed(char *p, int64_t v, int places)
{
	int64_t scale = 1;
	for (int i = 0; i < places; i++)
		scale *= 10;
	p = put_int(p, v / scale);
	*p++ = '.';
	int64_t frac = v % scale;
	for (int64_t d = scale / 10; d > 0; d /= 10) {
		*p++ = (char)('0' + frac / d);
		frac %= d;
	}
	return p;
}

/* One candle opening at t: the close moves up to 0.1% either way, the extremes reach a little beyond the
 * body, the volume is random; a CSV line as data.binance.vision writes it. */
static char *candle_line(char *p, struct walk *w, int64_t t)
{
	int64_t open = w->close, room = open / 1000 + 1;
	int64_t close = open + (int64_t)(next_rand(w) % (uint64_t)(2 * room + 1)) - room;
	if (close < TICKS)
		close = TICKS + (TICKS - close);
	int64_t high = (open > close ? open : close) + (int64_t)(next_rand(w) % (uint64_t)(room / 2 + 1));
	int64_t low = (open < close ? open : close) - (int64_t)(next_rand(w) % (uint64_t)(room / 2 + 1));
	int64_t vol = 100000 + (int64_t)(next_rand(w) % 500000); /* hundredths */
	w->close = close;
	p = put_int(p, t);
	*p++ = ',';
	p = put_fixed(p, open, 4);
	*p++ = ',';
	p = put_fixed(p, high, 4);
	*p++ = ',';
	p = put_fixed(p, low, 4);
	*p++ = ',';
	p = put_fixed(p, close, 4);
	*p++ = ',';
	p = put_fixed(p, vol, 2);
	*p++ = ',';
	p = put_int(p, t + 59999);
	*p++ = ',';
	p = put_int(p, vol / 100 * close / TICKS);
	*p++ = ',';
	p = put_int(p, 50 + (int64_t)(next_rand(w) % 500));
	*p++ = ',';
	p = put_fixed(p, vol / 2, 2);
	*p++ = ',';
	p = put_int(p, vol / 200 * close / TICKS);
	memcpy(p, ",0\n", 3);
	return p + 3;
}

/* The synthetic base asset of pair: "AAX", "BAX", ... (names that differ early, as real ones do). */
static void synth_base(char *buf, size_t cap, int pair)
{
	snprintf(buf, cap, "%c%cX", 'A' + pair % 26, 'A' + pair / 26 % 26);
}

static void synth_symbol(char *buf, size_t cap, int pair)
{
	char base[8];
	synth_base(base, sizeof base, pair);
	snprintf(buf, cap, "%sUSDT", base);
}

/* Writes dir/SYMBOL-1m-YYYY-MM.zip for the month starting at t0 with days days. */
static void write_month(const char *dir, int pair, int month, int64_t t0, int days, struct walk *w)
{
	size_t rows = (size_t)days * 1440;
	char *csv = malloc(rows * 128), *p = csv;
	if (!csv)
		die("out of memory");
	for (size_t i = 0; i < rows; i++)
		p = candle_line(p, w, t0 + (int64_t)i * 60000);
	char sym[16], member[64], path[512];
	synth_symbol(sym, sizeof sym, pair);
	snprintf(member, sizeof member, "%s-1m-%d-%02d.csv", sym, SYNTH_YEAR, month);
	snprintf(path, sizeof path, "%s/%s-1m-%d-%02d.zip", dir, sym, SYNTH_YEAR, month);
	int err = 0;
	zip_t *za = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
	zip_source_t *src = za ? zip_source_buffer(za, csv, (zip_uint64_t)(p - csv), 0) : NULL;
	zip_int64_t idx = src ? zip_file_add(za, member, src, ZIP_FL_OVERWRITE) : -1;
	if (idx < 0 || zip_set_file_compression(za, (zip_uint64_t)idx, ZIP_CM_DEFLATE, 1) < 0 ||
	    zip_close(za) != 0) {
		fprintf(stderr, "bench_backtest: cannot write %s\n", path);
		exit(1);
	}
	free(csv);
}

/* The pairs [first, last) for months months from January of SYNTH_YEAR. */
static void write_pairs(const char *dir, int first, int last, int months)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	for (int pair = first; pair < last; pair++) {
		struct walk w = {.rng = UINT64_C(0x9E3779B97F4A7C15) * (uint64_t)(pair + 1),
		                 .close = 10 * TICKS};
		int64_t t0 = SYNTH_T0;
		for (int m = 0; m < months; m++) {
			write_month(dir, pair, m + 1, t0, mdays[m], &w);
			t0 += (int64_t)mdays[m] * 86400000;
		}
	}
}

/* The files of npairs pairs for months months, written by two processes (one per core). */
static void generate(const char *dir, int npairs, int months)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		write_pairs(dir, 0, npairs / 2, months);
		_exit(0);
	}
	write_pairs(dir, npairs / 2, npairs, months);
	int status = 0;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_backtest: the generator failed\n");
		exit(1);
	}
}

/* An exchangeInfo document listing the synthetic symbols (tick 0.0001, step 0.01, notional 5). */
static void write_exchange_info(const char *path, int npairs)
{
	FILE *f = fopen(path, "w");
	if (!f)
		die(path);
	fputs("{\"timezone\":\"UTC\",\"serverTime\":1735689600000,\"rateLimits\":[],\"exchangeFilters\":[],"
	      "\"symbols\":[",
	      f);
	for (int i = 0; i < npairs; i++) {
		char sym[16], base[8];
		synth_symbol(sym, sizeof sym, i);
		synth_base(base, sizeof base, i);
		fprintf(
		    f,
		    "%s{\"symbol\":\"%s\",\"status\":\"TRADING\",\"baseAsset\":\"%s\","
		    "\"baseAssetPrecision\":8,\"quoteAsset\":\"USDT\",\"quotePrecision\":8,"
		    "\"quoteAssetPrecision\":8,\"baseCommissionPrecision\":8,\"quoteCommissionPrecision\":8,"
		    "\"orderTypes\":[\"LIMIT\",\"LIMIT_MAKER\",\"MARKET\"],\"icebergAllowed\":true,"
		    "\"ocoAllowed\":false,\"quoteOrderQtyMarketAllowed\":true,\"allowTrailingStop\":false,"
		    "\"cancelReplaceAllowed\":true,\"isSpotTradingAllowed\":true,"
		    "\"isMarginTradingAllowed\":false,\"filters\":["
		    "{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.00010000\","
		    "\"maxPrice\":\"100000.00000000\",\"tickSize\":\"0.00010000\"},"
		    "{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.01000000\",\"maxQty\":\"9000000.00000000\","
		    "\"stepSize\":\"0.01000000\"},"
		    "{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5.00000000\",\"applyMinToMarket\":true,"
		    "\"maxNotional\":\"9000000.00000000\",\"applyMaxToMarket\":false,\"avgPriceMins\":5}],"
		    "\"permissions\":[],\"permissionSets\":[[\"SPOT\"]],"
		    "\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\","
		    "\"allowedSelfTradePreventionModes\":[\"EXPIRE_TAKER\",\"EXPIRE_MAKER\",\"EXPIRE_BOTH\"]}",
		    i ? "," : "", sym, base);
	}
	fputs("]}\n", f);
	if (fclose(f) != 0)
		die(path);
}

/* ---- one run ------------------------------------------------------------------------------------------ */

/* What a run reports back to the parent through a pipe. */
struct outcome {
	sb_err err;             /* sb_bt_run's result */
	int64_t candles;        /* candles fed */
	int64_t cycles;         /* cycles closed */
	char profit[40];        /* realised profit, total */
	struct sb_bt_work work; /* what it took */
};

/* Loads the configuration of PAIRS (written to dir/bench.env, mode 0600). */
static void load_config(struct sb_config *cfg, const char *dir, const char *pairs)
{
	char path[512];
	snprintf(path, sizeof path, "%s/bench.env", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		die(path);
	fprintf(f, "MODE=paper\nDATABASE_PATH=%s/live.db\nLOG_DIR=%s\nPAIRS=%s\n", dir, dir, pairs);
	if (fclose(f) != 0 || chmod(path, 0600) != 0)
		die(path);
	sb_config_init(cfg);
	if (sb_config_load(cfg, path, true, environ, stderr) != SB_OK) {
		fprintf(stderr, "bench_backtest: the configuration is refused\n");
		exit(1);
	}
}

/* Runs the backtest in a child and prints its figures under name. */
static struct outcome run(const char *name, const char *dir, const char *pairs, const char *data,
                          const char *exchange_info, const char *db)
{
	int fds[2];
	if (pipe(fds) != 0)
		die("pipe");
	fflush(stdout);
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(fds[0]);
		sb_log_set_level(SB_LOG_ERROR);
		static struct sb_config cfg;
		load_config(&cfg, dir, pairs);
		const char *paths[] = {data};
		struct sb_bt_run_opts o = {.cfg = &cfg,
		                           .paths = paths,
		                           .npaths = 1,
		                           .to_ms = INT64_MAX,
		                           .db_path = db,
		                           .exchange_info = exchange_info,
		                           .path_trades = SB_BT_PATH_COARSE};
		struct sb_bt_report rep;
		char err[1024];
		struct outcome out = {.err = sb_bt_run(&o, &rep, err, sizeof err)};
		if (out.err == SB_OK) {
			out.candles = rep.candles;
			out.cycles = rep.total.cycles;
			sb_dec_format_trim(rep.total.realized_profit, out.profit, sizeof out.profit);
			out.work = rep.work;
			sb_bt_report_fini(&rep);
		} else {
			fprintf(stderr, "bench_backtest: %s: %s\n", name, err);
		}
		ssize_t w = write(fds[1], &out, sizeof out);
		_exit(w == (ssize_t)sizeof out ? 0 : 1);
	}
	close(fds[1]);
	struct outcome out = {.err = SB_ERR_IO};
	if (read(fds[0], &out, sizeof out) != (ssize_t)sizeof out)
		out.err = SB_ERR_IO;
	close(fds[0]);
	int status = 0;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0)
		die("wait4");
	double wall = now_s() - t0;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	if (out.err != SB_OK) {
		printf("%-28s failed (%s)\n", name, sb_strerror(out.err));
		return out;
	}
	printf("%-28s %9" PRId64 " candles  %6.1f s wall  %6.1f s cpu  %4ld MB peak RSS  %7.0f candles/s  "
	       "%6" PRId64 " cycles  profit %s\n",
	       name, out.candles, wall, cpu, ru.ru_maxrss / 1024, (double)out.candles / wall, out.cycles,
	       out.profit);
	double events = (double)(out.work.market_events + out.work.exec_reports);
	printf("%-28s %9.0f events/s (%" PRIu64 " market events, %" PRIu64 " execution reports), %.0f "
	       "requests/s, %.0f commits/s\n",
	       "", events / wall, out.work.market_events, out.work.exec_reports,
	       (double)out.work.requests / wall, (double)out.work.commits / wall);
	fflush(stdout);
	return out;
}

/* ---- the workloads ------------------------------------------------------------------------------------ */

static void synthetic_pairs(char *buf, size_t cap, int npairs, const char *settings)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < npairs && len < cap; i++) {
		char sym[16];
		synth_symbol(sym, sizeof sym, i);
		len += (size_t)snprintf(buf + len, cap - len, "%s%s:%s", i ? ";" : "", sym, settings);
	}
}

/* SB_BENCH_MONTHS=N shortens the year to its first N months (to profile it). */
static int year_months(void)
{
	const char *env = getenv("SB_BENCH_MONTHS");
	char *end = NULL;
	long long n = env ? strtoll(env, &end, 10) : 12;
	return env && (*end || n < 1 || n > 12) ? 12 : (int)n;
}

static void bench_year(const char *tmp)
{
	char dir[512], info[600], pairs[4096], name[64];
	int months = year_months();
	snprintf(dir, sizeof dir, "%s/year", tmp);
	if (mkdir(dir, 0700) != 0)
		die(dir);
	double t0 = now_s();
	generate(dir, YEAR_PAIRS, months);
	snprintf(info, sizeof info, "%s/exchangeinfo.json", tmp);
	write_exchange_info(info, YEAR_PAIRS);
	printf("%-28s %d pairs x %d months written in %.1f s\n", "year: data", YEAR_PAIRS, months,
	       now_s() - t0);
	fflush(stdout);
	synthetic_pairs(pairs, sizeof pairs, YEAR_PAIRS, "quote=20,profit=0.3%");
	snprintf(name, sizeof name, "year: %d pairs x %d months", YEAR_PAIRS, months);
	run(name, tmp, pairs, dir, info, NULL);
}

/* The month file to trade: SB_BENCH_KLINES, else the shared LINKUSDT month beside the source tree. */
static const char *month_file(void)
{
	const char *env = getenv("SB_BENCH_KLINES");
	static const char *const dflt = SB_SOURCE_DIR "/../shared/data/LINKUSDT-1m-2023-02.csv.gz";
	const char *p = env && *env ? env : dflt;
	return access(p, R_OK) == 0 ? p : NULL;
}

static void bench_month(const char *tmp)
{
	static const char *const syms[MONTH_PAIRS] = {"BTCUSDT",  "ETHUSDT", "BNBUSDT",  "SOLUSDT",
	                                              "XRPUSDT",  "ADAUSDT", "DOGEUSDT", "LTCUSDT",
	                                              "LINKUSDT", "DOTUSDT"};
	const char *file = month_file();
	if (!file) {
		printf("%-28s skipped: set SB_BENCH_KLINES to a data.binance.vision 1-minute month file\n",
		       "month");
		return;
	}
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	const char *tail = strchr(base, '-'); /* "-1m-2023-02.csv.gz" */
	char dir[512], pairs[2048], link[700];
	snprintf(dir, sizeof dir, "%s/month", tmp);
	if (!tail || mkdir(dir, 0700) != 0)
		die(dir);
	size_t len = 0;
	for (int i = 0; i < MONTH_PAIRS; i++) {
		snprintf(link, sizeof link, "%s/%s%s", dir, syms[i], tail);
		if (symlink(file, link) != 0)
			die(link);
		len += (size_t)snprintf(pairs + len, sizeof pairs - len, "%s%s:quote=20,profit=0.3%%",
		                        i ? ";" : "", syms[i]);
	}
	char name[64];
	snprintf(name, sizeof name, "month: 10 x %.12s", base);
	run(name, tmp, pairs, dir, NULL, NULL);
}

static void bench_events(const char *tmp)
{
	char dir[512], info[600], pairs[2048], memory[] = ":memory:";
	snprintf(dir, sizeof dir, "%s/events", tmp);
	if (mkdir(dir, 0700) != 0)
		die(dir);
	generate(dir, EVENTS_PAIRS, 1);
	snprintf(info, sizeof info, "%s/exchangeinfo-events.json", tmp);
	write_exchange_info(info, EVENTS_PAIRS);
	synthetic_pairs(
	    pairs, sizeof pairs, EVENTS_PAIRS,
	    "quote=20,profit=0.1%,buy_offset=0,buy_timeout=5m,max_duration=15m,max_duration_sell=true");
	run("events: store in a file", tmp, pairs, dir, info, NULL);
	run("events: store in memory", tmp, pairs, dir, info, memory);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	if (remove(path) != 0)
		fprintf(stderr, "bench_backtest: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

/* Removes the benchmark's directory and everything written in it. */
static void remove_tree(const char *tmp)
{
	nftw(tmp, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
	bool year = argc == 1, month = argc == 1, events = argc == 1;
	for (int i = 1; i < argc; i++) {
		year |= strcmp(argv[i], "year") == 0;
		month |= strcmp(argv[i], "month") == 0;
		events |= strcmp(argv[i], "events") == 0;
		if (strcmp(argv[i], "year") != 0 && strcmp(argv[i], "month") != 0 &&
		    strcmp(argv[i], "events") != 0) {
			fprintf(stderr, "usage: bench_backtest [year] [month] [events]\n");
			return 2;
		}
	}
	const char *t = getenv("TMPDIR");
	char tmp[256];
	snprintf(tmp, sizeof tmp, "%s/bench_backtest_XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(tmp))
		die("mkdtemp");
	if (events)
		bench_events(tmp);
	if (month)
		bench_month(tmp);
	if (year)
		bench_year(tmp);
	remove_tree(tmp);
	return 0;
}

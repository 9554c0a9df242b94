/*
 * Tests for the kline file set: data.binance.vision names matched to symbols and periods, directories
 * expanded, several symbols merged in time order (checked against a naive sort of every row), the
 * from/to window, and every refusal naming the file (and line) that caused it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/data_int.h"
#include "spotbot/kline.h"
#include "spotbot/kline_set.h"

static const char *data_path(const char *name)
{
	static char buf[4][1024];
	static int slot;
	const char *root = getenv("SB_SOURCE_DIR");
	char *out = buf[slot++ % 4];
	snprintf(out, sizeof buf[0], "%s/tests/data/klines/%s", root ? root : ".", name);
	return out;
}

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/kline_set_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
	cr_assert_eq(system(cmd), 0);
}

/* Writes n rows of one interval_ms apart from t0 into tmpdir/name; prices carry the row number. */
static void write_rows(const char *name, long long t0, long long interval_ms, int n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (int i = 0; i < n; i++) {
		long long t = t0 + i * interval_ms;
		fprintf(f, "%lld,%d,%d,%d,%d,1,%lld,1,1,1,1,0\n", t, i + 1, i + 1, i + 1, i + 1,
		        t + interval_ms - 1);
	}
	fclose(f);
}

struct got {
	char symbol[24];     /* the row's symbol */
	long long open_time; /* its open time */
};

/* Reads the whole set into rows (cap entries); returns the count, failing the test on an error. */
static size_t read_set(struct sb_kline_set *s, struct got *rows, size_t cap)
{
	size_t n = 0;
	for (;;) {
		size_t sym;
		struct sb_kline k;
		bool done;
		cr_assert_eq(sb_kline_set_next(s, &sym, &k, &done), SB_OK, "%s", sb_kline_set_error(s));
		if (done)
			return n;
		cr_assert_lt(n, cap);
		snprintf(rows[n].symbol, sizeof rows[n].symbol, "%s", sb_kline_set_symbol(s, sym));
		rows[n++].open_time = k.open_time;
	}
}

static int by_time_then_symbol(const void *a, const void *b)
{
	const struct got *x = a, *y = b;
	if (x->open_time != y->open_time)
		return x->open_time < y->open_time ? -1 : 1;
	return strcmp(x->symbol, y->symbol);
}

Test(kline_set, names_say_symbol_interval_and_period)
{
	struct sb_kline_name n;
	cr_assert_eq(sb_kline_name_parse("BTCUSDT-1m-2024-01.zip", &n), SB_OK);
	cr_assert_str_eq(n.symbol, "BTCUSDT");
	cr_assert_str_eq(n.interval, "1m");
	cr_assert_eq(n.year, 2024);
	cr_assert_eq(n.month, 1);
	cr_assert_eq(n.day, 0);
	cr_assert_eq(n.start_ms, 1704067200000LL);
	cr_assert_eq(n.end_ms, 1706745600000LL);
	cr_assert_eq(sb_kline_name_parse("ETHBTC-12h-2024-02-29.csv.gz", &n), SB_OK);
	cr_assert_str_eq(n.interval, "12h");
	cr_assert_eq(n.day, 29);
	cr_assert_eq(n.start_ms, 1709164800000LL);
	cr_assert_eq(n.end_ms - n.start_ms, 86400000LL);
	cr_assert_eq(sb_kline_name_parse("1INCHUSDT-1mo-2023-12.csv", &n), SB_OK);
	cr_assert_eq(n.end_ms, 1704067200000LL);
	static const char *const bad[] = {
	    "BTCUSDT-1m-2024-01.zip.CHECKSUM",
	    "BTCUSDT-1m-2024-01.tar",
	    "btcusdt-1m-2024-01.zip",
	    "BTCUSDT-2m-2024-01.zip",
	    "BTCUSDT-1m-2024-13.zip",
	    "BTCUSDT-1m-2023-02-29.zip",
	    "BTCUSDT-1m-2024-1.zip",
	    "BTCUSDT-1m-24-01.zip",
	    "BTCUSDT-1m-2024-01-01-x.zip",
	    "-1m-2024-01.zip",
	    "BTCUSDT-1m.zip",
	    "LINKUSDT-1m-2023-02-header.csv",
	    "",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(sb_kline_name_parse(bad[i], &n), SB_ERR_PARSE, "\"%s\" accepted", bad[i]);
}

Test(kline_set, a_directory_is_every_kline_file_in_it_in_time_order)
{
	const char *paths[] = {data_path("set")};
	struct sb_kline_set *s = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_set_open(paths, 1, 0, INT64_MAX, &s, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_kline_set_symbols(s), 3);
	cr_assert_str_eq(sb_kline_set_symbol(s, 0), "DOTUSDT");
	cr_assert_str_eq(sb_kline_set_symbol(s, 1), "LINKUSDT");
	cr_assert_str_eq(sb_kline_set_symbol(s, 2), "LTCUSDT");
	cr_assert_str_eq(sb_kline_set_interval(s, 1), "1m");
	static struct got rows[500];
	size_t n = read_set(s, rows, 500);
	/* zip (120 rows) then csv with header (60) for LINKUSDT, gzip for DOTUSDT, zip with us for LTC. */
	cr_assert_eq(n, 380);
	cr_assert_str_eq(rows[0].symbol, "LINKUSDT");
	cr_assert_eq(rows[0].open_time, 1675209600000LL);
	cr_assert_str_eq(rows[119].symbol, "LINKUSDT");
	cr_assert_eq(rows[120].open_time, 1675209600000LL + 86400000);
	cr_assert_str_eq(rows[180].symbol, "DOTUSDT");
	cr_assert_str_eq(rows[280].symbol, "LTCUSDT");
	cr_assert_eq(rows[280].open_time, 1769904000000LL);
	for (size_t i = 1; i < n; i++)
		cr_assert_leq(rows[i - 1].open_time, rows[i].open_time, "row %zu", i);
	sb_kline_set_free(s);
}

Test(kline_set, symbols_are_merged_by_open_time_as_a_full_sort_would_order_them)
{
	make_tmpdir();
	long long day = 1704067200000LL; /* 2024-01-01 */
	write_rows("BBBUSDT-1m-2024-01-01.csv", day, 60000, 1440);
	write_rows("BBBUSDT-1m-2024-01-02.csv", day + 86400000, 60000, 30);
	write_rows("AAAUSDT-3m-2024-01-01.csv", day + 60000, 180000, 480);
	write_rows("CCCBTC-1h-2024-01.csv", day, 3600000, 30);
	write_rows("unrelated.csv", day, 60000, 3);
	const char *paths[] = {tmpdir};
	struct sb_kline_set *s = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_set_open(paths, 1, 0, INT64_MAX, &s, err, sizeof err), SB_OK, "%s", err);
	static struct got rows[3000], want[3000];
	size_t n = read_set(s, rows, 3000);
	cr_assert_eq(n, 1440 + 30 + 480 + 30);
	memcpy(want, rows, n * sizeof *rows);
	qsort(want, n, sizeof *want, by_time_then_symbol);
	for (size_t i = 0; i < n; i++)
		cr_assert(strcmp(rows[i].symbol, want[i].symbol) == 0 &&
		              rows[i].open_time == want[i].open_time,
		          "row %zu: %s %lld, a full sort gives %s %lld", i, rows[i].symbol, rows[i].open_time,
		          want[i].symbol, want[i].open_time);
	/* Equal open times: the symbol first in alphabetical order comes first. */
	cr_assert_str_eq(rows[0].symbol, "BBBUSDT");
	cr_assert_str_eq(rows[1].symbol, "CCCBTC");
	cr_assert_str_eq(rows[2].symbol, "AAAUSDT");
	sb_kline_set_free(s);
	remove_tmpdir();
}

Test(kline_set, only_candles_inside_the_window_are_given)
{
	make_tmpdir();
	long long day = 1704067200000LL;
	write_rows("BBBUSDT-1m-2024-01-01.csv", day, 60000, 1440);
	write_rows("BBBUSDT-1m-2024-01-02.csv", day + 86400000, 60000, 1440);
	/* A file wholly outside the window is never opened: this one would fail if it were. */
	write_rows("BBBUSDT-1m-2024-01-05.csv", day, 60000, 2);
	const char *paths[] = {tmpdir};
	struct sb_kline_set *s = NULL;
	char err[SB_KLINE_ERR_MAX];
	long long from = day + 86400000 - 600000, to = day + 86400000 + 600000;
	cr_assert_eq(sb_kline_set_open(paths, 1, from, to, &s, err, sizeof err), SB_OK, "%s", err);
	static struct got rows[100];
	size_t n = read_set(s, rows, 100);
	cr_assert_eq(n, 20);
	cr_assert_eq(rows[0].open_time, from);
	cr_assert_eq(rows[19].open_time, to - 60000);
	sb_kline_set_free(s);
	remove_tmpdir();
}

/* Opens paths and reads until an error; returns the message (static). */
static const char *set_error(const char *const *paths, size_t n)
{
	static char err[SB_KLINE_ERR_MAX];
	struct sb_kline_set *s = NULL;
	err[0] = '\0';
	if (sb_kline_set_open(paths, n, 0, INT64_MAX, &s, err, sizeof err) != SB_OK)
		return err;
	for (;;) {
		size_t sym;
		struct sb_kline k;
		bool done;
		sb_err e = sb_kline_set_next(s, &sym, &k, &done);
		if (e != SB_OK) {
			snprintf(err, sizeof err, "%s", sb_kline_set_error(s));
			break;
		}
		cr_assert_not(done, "the set read to its end without an error");
	}
	sb_kline_set_free(s);
	return err;
}

static void assert_starts(const char *msg, const char *path, const char *rest)
{
	char want[1200];
	snprintf(want, sizeof want, "%s%s", path, rest);
	cr_assert_eq(strncmp(msg, want, strlen(want)), 0, "\"%s\" does not start with \"%s\"", msg, want);
}

Test(kline_set, refusals_name_the_path_at_fault)
{
	make_tmpdir();
	char a[300], b[300], c[300];
	long long day = 1675209600000LL; /* 2023-02-01 */
	write_rows("LINKUSDT-1m-2023-02.csv", day, 60000, 10);
	write_rows("LINKUSDT-1m-2023-02-03.csv", day + 2 * 86400000, 60000, 10);
	snprintf(a, sizeof a, "%s/LINKUSDT-1m-2023-02.csv", tmpdir);
	snprintf(b, sizeof b, "%s/LINKUSDT-1m-2023-02-03.csv", tmpdir);
	const char *overlap[] = {a, b};
	cr_assert(strstr(set_error(overlap, 2), "cover the same time") != NULL, "%s", set_error(overlap, 2));
	assert_starts(set_error(overlap, 2), a, " and ");

	const char *missing[] = {data_path("set/BTCUSDT-1m-2024-01.zip")};
	assert_starts(set_error(missing, 1), missing[0], ": No such file or directory");
	const char *badname[] = {data_path("LINKUSDT-1m-2023-02-header.csv")};
	assert_starts(set_error(badname, 1), badname[0], ": the name does not say what it holds");

	write_rows("LINKUSDT-5m-2023-03.csv", day + 28LL * 86400000, 300000, 10);
	snprintf(c, sizeof c, "%s/LINKUSDT-5m-2023-03.csv", tmpdir);
	const char *intervals[] = {a, c};
	assert_starts(set_error(intervals, 2), c, ": LINKUSDT is already read at interval 1m");

	char empty[300];
	snprintf(empty, sizeof empty, "%s/empty", tmpdir);
	cr_assert_eq(mkdir(empty, 0700), 0);
	const char *nothing[] = {empty};
	assert_starts(set_error(nothing, 1), empty, ": no kline files in the directory");
	remove_tmpdir();
}

Test(kline_set, a_bad_file_in_the_stream_is_named_with_its_line)
{
	make_tmpdir();
	long long day = 1675209600000LL;
	write_rows("LINKUSDT-1m-2023-02-01.csv", day, 60000, 10);
	/* The second day's file starts inside the first day: it does not continue it. */
	write_rows("LINKUSDT-1m-2023-02-02.csv", day + 300000, 60000, 10);
	write_rows("DOTUSDT-1m-2023-02-01.csv", day, 60000, 10);
	char path[300], cmd[700];
	snprintf(path, sizeof path, "%s/LINKUSDT-1m-2023-02-02.csv", tmpdir);
	const char *dir[] = {tmpdir};
	assert_starts(set_error(dir, 1), path,
	              ":1: open_time 1675209900000 is not after the previous row's 1675210140000");

	/* A zip with a bad row, and a damaged zip, under good names. */
	snprintf(cmd, sizeof cmd,
	         "rm %s %s/LINKUSDT-1m-2023-02-01.csv && cp %s %s/LINKUSDT-1m-2023-02-02.zip", path, tmpdir,
	         data_path("bad-row.zip"), tmpdir);
	cr_assert_eq(system(cmd), 0);
	snprintf(path, sizeof path, "%s/LINKUSDT-1m-2023-02-02.zip", tmpdir);
	assert_starts(set_error(dir, 1), path, ":5: column 3 (high): not a decimal");
	snprintf(cmd, sizeof cmd, "cp %s %s", data_path("bad-truncated.zip"), path);
	cr_assert_eq(system(cmd), 0);
	assert_starts(set_error(dir, 1), path, ": not a readable zip archive (truncated?)");
	remove_tmpdir();
}

/* ---- read ahead on a thread ------------------------------------------------------------------------- */

/* Every candle of the set of paths (n), the end or the error: with read_ahead, on the set's thread. */
struct stream {
	size_t n;                   /* candles given */
	struct got rows[4000];      /* their symbols and open times */
	long long sum;              /* the sum of their closes' units, to compare the candles themselves */
	sb_err end;                 /* what ended the stream: SB_OK (done) or the error */
	char err[SB_KLINE_ERR_MAX]; /* the error's message */
};

static void stream(const char *const *paths, size_t n, bool read_ahead, struct stream *out)
{
	memset(out, 0, sizeof *out);
	struct sb_kline_set *s = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_set_open(paths, n, 0, INT64_MAX, &s, err, sizeof err), SB_OK, "%s", err);
	if (read_ahead)
		cr_assert_eq(sb_kline_set_read_ahead(s), SB_OK);
	for (;;) {
		size_t sym;
		struct sb_kline k;
		bool done = false;
		out->end = sb_kline_set_next(s, &sym, &k, &done);
		if (out->end != SB_OK || done)
			break;
		cr_assert_lt(out->n, 4000);
		snprintf(out->rows[out->n].symbol, sizeof out->rows[0].symbol, "%s",
		         sb_kline_set_symbol(s, sym));
		out->rows[out->n++].open_time = k.open_time;
		out->sum += k.close / SB_DEC_SCALE;
	}
	snprintf(out->err, sizeof out->err, "%s", sb_kline_set_error(s));
	size_t sym;
	struct sb_kline k;
	bool done = false;
	cr_assert_eq(sb_kline_set_next(s, &sym, &k, &done), out->end, "the end stays where it is");
	sb_kline_set_free(s);
}

static void assert_same(const struct stream *a, const struct stream *b)
{
	cr_assert_eq(a->n, b->n, "%zu candles read ahead, %zu without", a->n, b->n);
	cr_assert_eq(memcmp(a->rows, b->rows, a->n * sizeof a->rows[0]), 0, "in the same order");
	cr_assert_eq(a->sum, b->sum, "the same candles");
	cr_assert_eq(a->end, b->end);
	cr_assert_str_eq(a->err, b->err);
}

Test(kline_set, read_ahead_gives_the_same_stream_its_end_and_its_errors)
{
	make_tmpdir();
	long long day = 1704067200000LL; /* 2024-01-01: 3 blocks of the thread and a part */
	write_rows("BBBUSDT-1m-2024-01-01.csv", day, 60000, 1440);
	write_rows("AAAUSDT-3m-2024-01-01.csv", day + 60000, 180000, 480);
	write_rows("CCCBTC-1m-2024-01-01.csv", day, 60000, 1440);
	static struct stream with, without;
	const char *dir[] = {tmpdir};
	stream(dir, 1, true, &with);
	stream(dir, 1, false, &without);
	cr_assert_eq(without.n, 1440 + 480 + 1440);
	cr_assert_eq(without.end, SB_OK);
	assert_same(&with, &without);

	/* A file that stops being a kline file after 1500 candles of the stream. */
	char path[300];
	snprintf(path, sizeof path, "%s/BBBUSDT-1m-2024-01-02.csv", tmpdir);
	write_rows("BBBUSDT-1m-2024-01-02.csv", day + 86400000, 60000, 10);
	FILE *f = fopen(path, "a");
	cr_assert_not_null(f);
	fputs("not,a,row\n", f);
	fclose(f);
	stream(dir, 1, true, &with);
	stream(dir, 1, false, &without);
	cr_assert_neq(without.end, SB_OK);
	cr_assert(strstr(without.err, "BBBUSDT-1m-2024-01-02.csv:11:") != NULL, "%s", without.err);
	assert_same(&with, &without);
	remove_tmpdir();
}

Test(kline_set, a_set_read_ahead_is_freed_midway_and_read_ahead_comes_first)
{
	make_tmpdir();
	write_rows("BBBUSDT-1m-2024-01-01.csv", 1704067200000LL, 60000, 1440);
	const char *dir[] = {tmpdir};
	struct sb_kline_set *s = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_set_open(dir, 1, 0, INT64_MAX, &s, err, sizeof err), SB_OK, "%s", err);
	size_t sym;
	struct sb_kline k;
	bool done;
	cr_assert_eq(sb_kline_set_next(s, &sym, &k, &done), SB_OK);
	cr_assert_eq(sb_kline_set_read_ahead(s), SB_ERR_STATE, "after the first candle it is too late");
	sb_kline_set_free(s);
	cr_assert_eq(sb_kline_set_open(dir, 1, 0, INT64_MAX, &s, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_kline_set_read_ahead(s), SB_OK);
	cr_assert_eq(sb_kline_set_read_ahead(s), SB_ERR_INVALID, "once");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sb_kline_set_next(s, &sym, &k, &done), SB_OK);
	cr_assert_eq(k.open_time, 1704067200000LL + 2 * 60000);
	sb_kline_set_free(s); /* the thread is stopped with candles still ahead */
	remove_tmpdir();
}

/* A stream of n candles numbered from 0, then its end or, with fail, SB_ERR_PARSE. */
struct counted {
	size_t given, n; /* candles given so far, and in all */
	bool fail;       /* end with an error instead of done */
};

static sb_err counted_next(void *ctx, size_t *sym, struct sb_kline *row, bool *done)
{
	struct counted *c = ctx;
	if (c->given == c->n) {
		*done = !c->fail;
		return c->fail ? SB_ERR_PARSE : SB_OK;
	}
	memset(row, 0, sizeof *row);
	row->open_time = (int64_t)c->given;
	*sym = c->given++ % 3;
	*done = false;
	return SB_OK;
}

/* Reads a read-ahead of c to its end; the count of candles in order, the end's result in *end. */
static size_t drain(struct counted *c, sb_err *end)
{
	struct sb__kline_ahead *a = NULL;
	cr_assert_eq(sb__kline_ahead_start(counted_next, c, &a), SB_OK);
	size_t got = 0;
	for (;;) {
		size_t sym = 99;
		struct sb_kline row;
		bool done = false;
		sb_err e = sb__kline_ahead_next(a, &sym, &row, &done);
		if (e != SB_OK || done) {
			*end = e;
			/* The end stays where it is. */
			cr_assert_eq(sb__kline_ahead_next(a, &sym, &row, &done), e);
			break;
		}
		cr_assert_eq(row.open_time, (int64_t)got, "candle %zu came out of order", got);
		cr_assert_eq(sym, got % 3);
		got++;
	}
	sb__kline_ahead_free(a);
	return got;
}

Test(kline_ahead, reads_any_stream_ahead_in_its_order_to_its_end_or_error)
{
	struct counted ok = {.n = 5000};
	sb_err end = SB_ERR_INVALID;
	cr_assert_eq(drain(&ok, &end), 5000);
	cr_assert_eq(end, SB_OK);

	struct counted bad = {.n = 1500, .fail = true};
	cr_assert_eq(drain(&bad, &end), 1500);
	cr_assert_eq(end, SB_ERR_PARSE);

	struct counted none = {.n = 0};
	cr_assert_eq(drain(&none, &end), 0);
	cr_assert_eq(end, SB_OK);
}

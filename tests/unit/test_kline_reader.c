/*
 * Tests for the kline file reader: the zip archives data.binance.vision publishes read like the plain and
 * gzip files (header or not, ms or us), and every damaged archive or bad row is refused with a message
 * that names the file (and the line within the CSV when there is one).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/kline_reader.h"

static const char *data_path(const char *name)
{
	static char buf[4][1024];
	static int slot;
	const char *root = getenv("SB_SOURCE_DIR");
	char *out = buf[slot++ % 4];
	snprintf(out, sizeof buf[0], "%s/tests/data/klines/%s", root ? root : ".", name);
	return out;
}

/* Reads every row of path into rows (cap entries); returns the count, failing the test on an error. */
static size_t read_all(const char *path, struct sb_kline *rows, size_t cap)
{
	struct sb_kline_reader *r = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_reader_open(path, &r, err, sizeof err), SB_OK, "%s", err);
	size_t n = 0;
	for (;;) {
		struct sb_kline k;
		bool done;
		sb_err e = sb_kline_reader_next(r, &k, &done);
		cr_assert_eq(e, SB_OK, "%s", sb_kline_reader_error(r));
		if (done)
			break;
		cr_assert_lt(n, cap);
		rows[n++] = k;
	}
	sb_kline_reader_free(r);
	return n;
}

/* Reads path until the reader fails; returns the error and its message in msg. */
static sb_err read_error(const char *path, char *msg, size_t cap)
{
	struct sb_kline_reader *r = NULL;
	sb_err e = sb_kline_reader_open(path, &r, msg, cap);
	if (e != SB_OK)
		return e;
	for (;;) {
		struct sb_kline k;
		bool done;
		e = sb_kline_reader_next(r, &k, &done);
		if (e != SB_OK || done)
			break;
	}
	snprintf(msg, cap, "%s", sb_kline_reader_error(r));
	sb_kline_reader_free(r);
	return e;
}

Test(kline_reader, zip_archive_reads_the_same_rows_as_the_plain_csv)
{
	static struct sb_kline a[400], b[400];
	size_t na = read_all(data_path("LINKUSDT-1m-2023-02.zip"), a, 400);
	size_t nb = read_all(data_path("LINKUSDT-1m-2023-02.csv"), b, 400);
	cr_assert_eq(na, 120);
	cr_assert_eq(nb, 300);
	cr_assert_eq(memcmp(a, b, na * sizeof *a), 0);
	cr_assert_eq(a[0].open_time, 1675209600000LL);
	cr_assert_eq(a[0].open, SB_DEC_C(6, 94900000));
}

Test(kline_reader, zip_with_header_and_microseconds)
{
	static struct sb_kline rows[200];
	size_t n = read_all(data_path("set/LTCUSDT-1m-2026-02.zip"), rows, 200);
	cr_assert_eq(n, 100);
	cr_assert_eq(rows[0].open_time, 1769904000000LL);
	cr_assert_eq(rows[0].close_time, 1769904059999LL);
	cr_assert_eq(rows[0].open, SB_DEC_C(59, 49000000));
	cr_assert_eq(rows[99].open_time, 1769904000000LL + 99 * 60000);
}

Test(kline_reader, gzip_without_header_and_plain_with_header)
{
	static struct sb_kline rows[200];
	cr_assert_eq(read_all(data_path("set/DOTUSDT-1m-2024-11.csv.gz"), rows, 200), 100);
	cr_assert_eq(rows[0].open_time, 1730419200000LL);
	cr_assert_eq(rows[0].volume, SB_DEC_C(45103, 80000000));
	cr_assert_eq(read_all(data_path("set/LINKUSDT-1m-2023-02-02.csv"), rows, 200), 60);
	cr_assert_eq(rows[0].open_time, 1675209600000LL + 86400000);
}

Test(kline_reader, every_damaged_file_is_named_in_its_error)
{
	static const struct {
		const char *file;
		sb_err code;
		const char *at;  /* what follows the path */
		const char *why; /* part of the reason */
	} cases[] = {
	    {"bad-truncated.zip", SB_ERR_IO, ": ", "not a readable zip archive (truncated?)"},
	    {"bad-two-csv.zip", SB_ERR_IO, ": ", "the archive holds 2 .csv files, expected one"},
	    {"bad-row.zip", SB_ERR_PARSE, ":5: ", "column 3 (high): not a decimal: \"6.9y\""},
	    {"bad-damaged.zip", SB_ERR_IO, ":", "error"},
	    {"no-such-file.zip", SB_ERR_IO, ": ", "not a readable zip archive"},
	    {"no-such-file.csv", SB_ERR_IO, ": ", "cannot open"},
	    {"header-only.csv", SB_ERR_PARSE, ":1: ", "no kline rows"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = data_path(cases[i].file);
		char msg[SB_KLINE_ERR_MAX] = "", prefix[1100];
		sb_err e = read_error(path, msg, sizeof msg);
		cr_assert_eq(e, cases[i].code, "%s: got %s (%s)", cases[i].file, sb_errname(e), msg);
		snprintf(prefix, sizeof prefix, "%s%s", path, cases[i].at);
		cr_assert_eq(strncmp(msg, prefix, strlen(prefix)), 0, "\"%s\" does not start with \"%s\"",
		             msg, prefix);
		cr_assert(strstr(msg, cases[i].why) != NULL, "\"%s\" lacks \"%s\"", msg, cases[i].why);
	}
}

Test(kline_reader, rows_must_come_after_the_previous_file)
{
	struct sb_kline_reader *r = NULL;
	char err[SB_KLINE_ERR_MAX];
	const char *path = data_path("LINKUSDT-1m-2023-02.zip");
	cr_assert_eq(sb_kline_reader_open(path, &r, err, sizeof err), SB_OK, "%s", err);
	sb_kline_reader_after(r, 1675209600000LL);
	struct sb_kline k;
	bool done;
	cr_assert_eq(sb_kline_reader_next(r, &k, &done), SB_ERR_RANGE);
	char want[1200];
	snprintf(want, sizeof want,
	         "%s:1: open_time 1675209600000 is not after the previous row's 1675209600000", path);
	cr_assert_str_eq(sb_kline_reader_error(r), want);
	/* The reader stays in error. */
	cr_assert_eq(sb_kline_reader_next(r, &k, &done), SB_ERR_RANGE);
	sb_kline_reader_free(r);
}

Test(kline_reader, a_long_file_streams_through_one_small_buffer)
{
	/* 20,000 rows (about 1.4 MB) from memory: each row is handed out as it is cut, in order. */
	size_t cap = 20000 * 96, len = 0;
	char *csv = malloc(cap);
	for (int i = 0; i < 20000; i++) {
		long long t = 1600000000000LL + (long long)i * 60000;
		len += (size_t)snprintf(csv + len, cap - len, "%lld,1.5,2,1,1.5,%d.25,%lld,3,4,1,1,0\r\n", t,
		                        i, t + 59999);
	}
	struct sb_kline_reader *r = NULL;
	cr_assert_eq(sb_kline_reader_open_buffer("mem.csv", csv, len, &r), SB_OK);
	struct sb_kline k;
	bool done;
	for (int i = 0; i < 20000; i++) {
		cr_assert_eq(sb_kline_reader_next(r, &k, &done), SB_OK, "%s", sb_kline_reader_error(r));
		cr_assert_not(done);
		cr_assert_eq(k.volume, SB_DEC_C(i, 25000000));
		cr_assert_eq(sb_kline_reader_line(r), (uint64_t)i + 1);
	}
	cr_assert_eq(sb_kline_reader_next(r, &k, &done), SB_OK);
	cr_assert(done);
	sb_kline_reader_free(r);
	free(csv);
}

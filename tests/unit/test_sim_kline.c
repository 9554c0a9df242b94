/*
 * Tests for the kline CSV reader: every layout variant of Binance's files (header or not, ms or us
 * timestamps, plain or gzip, CRLF), every validation error with its FILE:LINE message, and the line
 * splitter across read-chunk boundaries.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "sim/kline.h"

static const char *data_path(const char *name)
{
	static char buf[4][1024];
	static int slot;
	const char *root = getenv("SB_SOURCE_DIR");
	char *out = buf[slot++ % 4];
	snprintf(out, sizeof buf[0], "%s/tests/data/klines/%s", root ? root : ".", name);
	return out;
}

static struct sim_kline_series load_ok(const char *name)
{
	struct sim_kline_series s = {0};
	char err[512];
	sb_err e = sim_kline_load_file(data_path(name), &s, err, sizeof err);
	cr_assert_eq(e, SB_OK, "%s: %s", name, err);
	return s;
}

Test(sim_kline, parses_a_row_exactly)
{
	const char *line =
	    "1675209600000,6.949,6.959,6.947,6.957,30020.25,1675209659999,208718.48852,471,10610.28,"
	    "73780.89351,0\r\n";
	struct sb_kline k;
	char why[200];
	cr_assert_eq(sb_kline_parse_row(line, strlen(line), &k, why, sizeof why), SB_OK, "%s", why);
	cr_assert_eq(k.open_time, 1675209600000LL);
	cr_assert_eq(k.close_time, 1675209659999LL);
	cr_assert_eq(k.open, SB_DEC_C(6, 94900000));
	cr_assert_eq(k.high, SB_DEC_C(6, 95900000));
	cr_assert_eq(k.low, SB_DEC_C(6, 94700000));
	cr_assert_eq(k.close, SB_DEC_C(6, 95700000));
	cr_assert_eq(k.volume, SB_DEC_C(30020, 25000000));
	cr_assert_eq(k.quote_volume, SB_DEC_C(208718, 48852000));
	cr_assert_eq(k.trades, 471);
	cr_assert_eq(k.taker_buy_volume, SB_DEC_C(10610, 28000000));
	cr_assert_eq(k.taker_buy_quote_volume, SB_DEC_C(73780, 89351000));
}

Test(sim_kline, microsecond_timestamps_become_milliseconds)
{
	const char *line =
	    "1769904000000000,59.49,59.49,59.42,59.45,1554.932,1769904059999999,92449.80017,442,832.674,"
	    "49507.33217,0";
	struct sb_kline k;
	cr_assert_eq(sb_kline_parse_row(line, strlen(line), &k, NULL, 0), SB_OK);
	cr_assert_eq(k.open_time, 1769904000000LL);
	cr_assert_eq(k.close_time, 1769904059999LL);
	/* The threshold: 99999999999999 is still ms (year 5138), 100000000000000 is us (1973). */
	const char *edge = "99999999999999,1,1,1,1,1,99999999999999,1,1,1,1,0";
	cr_assert_eq(sb_kline_parse_row(edge, strlen(edge), &k, NULL, 0), SB_OK);
	cr_assert_eq(k.open_time, 99999999999999LL);
	const char *edge_us = "100000000000000,1,1,1,1,1,100000000000000,1,1,1,1,0";
	cr_assert_eq(sb_kline_parse_row(edge_us, strlen(edge_us), &k, NULL, 0), SB_OK);
	cr_assert_eq(k.open_time, 100000000000LL);
}

Test(sim_kline, row_errors_say_what_is_wrong)
{
	static const struct {
		const char *line;
		sb_err code;
		const char *why;
	} cases[] = {
	    {"1,1,1,1,1,1,2,1,1,1,1", SB_ERR_PARSE, "expected 12 columns, found 11"},
	    {"1,1,1,1,1,1,2,1,1,1,1,0,0", SB_ERR_PARSE, "expected 12 columns, found 13"},
	    {"", SB_ERR_PARSE, "expected 12 columns, found 1"},
	    {"x1,1,1,1,1,1,2,1,1,1,1,0", SB_ERR_PARSE, "column 1 (open_time): not a timestamp: \"x1\""},
	    {"-5,1,1,1,1,1,2,1,1,1,1,0", SB_ERR_PARSE, "column 1 (open_time): not a timestamp: \"-5\""},
	    {"0,1,1,1,1,1,2,1,1,1,1,0", SB_ERR_RANGE, "column 1 (open_time): timestamp 0 out of range"},
	    {"1,1.5e3,1,1,1,1,2,1,1,1,1,0", SB_ERR_PARSE, "column 2 (open): not a decimal: \"1.5e3\""},
	    {"1,1,,1,1,1,2,1,1,1,1,0", SB_ERR_PARSE, "column 3 (high): not a decimal: \"\""},
	    {"1,1,1,1,1,1.123456789,2,1,1,1,1,0", SB_ERR_PRECISION,
	     "column 6 (volume): more than 8 decimal places: \"1.123456789\""},
	    {"1,1,1,1,1,-1,2,1,1,1,1,0", SB_ERR_RANGE, "column 6 (volume): must not be negative: \"-1\""},
	    {"1,1,1,1,1,1,2,1,1.5,1,1,0", SB_ERR_PARSE, "column 9 (number_of_trades): not a count: \"1.5\""},
	    {"1,1,1,1,1,1,2,1,1,1,x,0", SB_ERR_PARSE, "column 11 (taker_buy_quote_volume): not a decimal"},
	    {"1,1,1,2,1,1,2,1,1,1,1,0", SB_ERR_RANGE, "low 2 is above high 1"},
	    {"1,3,2,1,1,1,2,1,1,1,1,0", SB_ERR_RANGE, "open 3 is outside low..high"},
	    {"1,1,2,1,0.5,1,2,1,1,1,1,0", SB_ERR_RANGE, "close 0.5 is outside low..high"},
	    {"5,1,1,1,1,1,4,1,1,1,1,0", SB_ERR_RANGE, "close_time 4 is before open_time 5"},
	    {"1,1,1,1,1,1,2,1,1,1,1\x01\x7f,0,0", SB_ERR_PARSE, "found 13"},
	    {"1,1,1,1,1,1,2,1,1,1,1\x01\x7f\"xx,0", SB_ERR_PARSE, "\"1???xx\""},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sb_kline k;
		char why[200] = "";
		sb_err e = sb_kline_parse_row(cases[i].line, strlen(cases[i].line), &k, why, sizeof why);
		cr_assert_eq(e, cases[i].code, "case %zu: got %s (%s)", i, sb_errname(e), why);
		cr_assert(strstr(why, cases[i].why) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, why,
		          cases[i].why);
	}
}

Test(sim_kline, long_fields_are_quoted_truncated)
{
	char line[400];
	memset(line, '7', sizeof line);
	memcpy(line, "1,", 2);
	line[100] = 'x';
	memcpy(line + 200, ",1,1,1,1,2,1,1,1,1,0", 20);
	struct sb_kline k;
	char why[100];
	cr_assert_eq(sb_kline_parse_row(line, 220, &k, why, sizeof why), SB_ERR_PARSE);
	cr_assert(strstr(why, "column 2 (open): not a decimal: \"777777777777777777777777...\"") != NULL,
	          "%s", why);
	/* A tiny message buffer truncates but stays terminated. */
	char tiny[8];
	cr_assert_eq(sb_kline_parse_row(line, 220, &k, tiny, sizeof tiny), SB_ERR_PARSE);
	cr_assert_eq(strlen(tiny), 7);
}

Test(sim_kline, plain_file_without_header)
{
	struct sim_kline_series s = load_ok("LINKUSDT-1m-2023-02.csv");
	cr_assert_eq(s.count, 300);
	cr_assert_eq(s.rows[0].open_time, 1675209600000LL);
	cr_assert_eq(s.rows[0].open, SB_DEC_C(6, 94900000));
	cr_assert_eq(s.rows[299].open_time, 1675209600000LL + 299 * 60000);
	for (size_t i = 1; i < s.count; i++)
		cr_assert_eq(s.rows[i].open_time - s.rows[i - 1].open_time, 60000);
	sim_kline_series_fini(&s);
	cr_assert_null(s.rows);
	cr_assert_eq(s.count, 0);
}

Test(sim_kline, header_row_is_skipped_and_rows_are_identical)
{
	struct sim_kline_series a = load_ok("LINKUSDT-1m-2023-02.csv");
	struct sim_kline_series b = load_ok("LINKUSDT-1m-2023-02-header.csv");
	cr_assert_eq(a.count, b.count);
	cr_assert_eq(memcmp(a.rows, b.rows, a.count * sizeof *a.rows), 0);
	sim_kline_series_fini(&a);
	sim_kline_series_fini(&b);
}

Test(sim_kline, gzip_file_with_microseconds)
{
	struct sim_kline_series s = load_ok("LTCUSDT-1m-2026-02-us.csv.gz");
	cr_assert_eq(s.count, 300);
	cr_assert_eq(s.rows[0].open_time, 1769904000000LL);
	cr_assert_eq(s.rows[0].close_time, 1769904059999LL);
	cr_assert_eq(s.rows[0].open, SB_DEC_C(59, 49000000));
	cr_assert_eq(s.rows[0].low, SB_DEC_C(59, 42000000));
	cr_assert_eq(s.rows[0].volume, SB_DEC_C(1554, 93200000));
	cr_assert_eq(s.rows[299].open_time, 1769904000000LL + 299 * 60000);
	sim_kline_series_fini(&s);
}

Test(sim_kline, file_switching_from_ms_to_us_with_crlf)
{
	struct sim_kline_series s = load_ok("mixed-ms-us-crlf.csv");
	cr_assert_eq(s.count, 10);
	for (size_t i = 0; i < s.count; i++) {
		cr_assert_eq(s.rows[i].open_time, 1675209600000LL + (int64_t)i * 60000, "row %zu", i);
		cr_assert_eq(s.rows[i].close_time, s.rows[i].open_time + 59999, "row %zu", i);
	}
	sim_kline_series_fini(&s);
}

Test(sim_kline, every_file_error_names_file_and_line)
{
	static const struct {
		const char *file;
		sb_err code;
		int line;
		const char *why;
	} cases[] = {
	    {"bad-columns.csv", SB_ERR_PARSE, 5, "expected 12 columns, found 10"},
	    {"bad-decimal.csv", SB_ERR_PARSE, 4, "column 2 (open): not a decimal: \"6.9x5\""},
	    {"bad-low-above-open.csv", SB_ERR_RANGE, 4, "open 6.94 is outside low..high"},
	    {"bad-time-order.csv", SB_ERR_RANGE, 5,
	     "open_time 1675209660000 is not after the previous row's 1675209780000"},
	    {"bad-negative-volume.csv", SB_ERR_RANGE, 3,
	     "column 6 (volume): must not be negative: \"-12.5\""},
	    {"bad-late-header.csv", SB_ERR_PARSE, 3, "column 1 (open_time): not a timestamp: \"open_time\""},
	    {"header-only.csv", SB_ERR_PARSE, 1, "no kline rows"},
	    {"empty.csv", SB_ERR_PARSE, 1, "no kline rows"},
	    {"bad-truncated.csv.gz", SB_ERR_IO, -1, "read error: unexpected end of file"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *path = data_path(cases[i].file);
		struct sim_kline_series s = {0};
		char err[512] = "", prefix[1100];
		sb_err e = sim_kline_load_file(path, &s, err, sizeof err);
		cr_assert_eq(e, cases[i].code, "%s: got %s (%s)", cases[i].file, sb_errname(e), err);
		if (cases[i].line > 0)
			snprintf(prefix, sizeof prefix, "%s:%d: ", path, cases[i].line);
		else
			snprintf(prefix, sizeof prefix, "%s:", path);
		cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "\"%s\" does not start with \"%s\"",
		             err, prefix);
		cr_assert(strstr(err, cases[i].why) != NULL, "\"%s\" lacks \"%s\"", err, cases[i].why);
		sim_kline_series_fini(&s);
	}
}

Test(sim_kline, truncated_gzip_reports_the_line_after_the_last_complete_one)
{
	struct sim_kline_series s = {0};
	char err[512];
	const char *path = data_path("bad-truncated.csv.gz");
	cr_assert_eq(sim_kline_load_file(path, &s, err, sizeof err), SB_ERR_IO);
	/* The complete lines before the cut were read, and the message points just past them. */
	cr_assert_gt(s.count, 10);
	char prefix[1100];
	snprintf(prefix, sizeof prefix, "%s:%zu: ", path, s.count + 1);
	cr_assert_eq(strncmp(err, prefix, strlen(prefix)), 0, "%s", err);
	sim_kline_series_fini(&s);
}

Test(sim_kline, missing_file_is_an_io_error_naming_it)
{
	struct sim_kline_series s = {0};
	char err[512];
	const char *path = data_path("no-such-file.csv");
	cr_assert_eq(sim_kline_load_file(path, &s, err, sizeof err), SB_ERR_IO);
	cr_assert(strstr(err, path) == err, "%s", err);
	cr_assert(strstr(err, "cannot open") != NULL, "%s", err);
}

Test(sim_kline, buffer_loader_handles_bom_blank_lines_and_last_line_without_newline)
{
	const char *csv = "\xEF\xBB\xBFopen_time,open,high,low,close,volume,close_time,a,b,c,d,e\r\n"
	                  "\r\n"
	                  "60000,1,2,0.5,1.5,10,119999,1,3,1,1,0\n"
	                  "\n"
	                  "120000,1.5,1.5,1.5,1.5,0,179999,0,0,0,0,0";
	struct sim_kline_series s = {0};
	char err[200];
	cr_assert_eq(sim_kline_load_buffer("mem", csv, strlen(csv), &s, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(s.count, 2);
	cr_assert_eq(s.rows[1].open_time, 120000);
	cr_assert_eq(s.rows[1].volume, 0);
	sim_kline_series_fini(&s);
}

Test(sim_kline, overlong_line_is_rejected_with_its_line_number)
{
	char *csv = malloc(4000);
	int n = snprintf(csv, 4000, "60000,1,1,1,1,1,119999,1,1,1,1,0\n120000,1,1,1,1,1,179999,1,1,1,1,");
	memset(csv + n, '0', 2000);
	struct sim_kline_series s = {0};
	char err[200];
	cr_assert_eq(sim_kline_load_buffer("long.csv", csv, (size_t)n + 2000, &s, err, sizeof err),
	             SB_ERR_TOO_LONG);
	cr_assert_str_eq(err, "long.csv:2: line longer than 1024 bytes");
	sim_kline_series_fini(&s);
	free(csv);
}

Test(sim_kline, consecutive_loads_append_and_must_continue_in_time)
{
	struct sim_kline_series s = load_ok("LINKUSDT-1m-2023-02.csv");
	char err[512];
	const char *path = data_path("LINKUSDT-1m-2023-02.csv");
	cr_assert_eq(sim_kline_load_file(path, &s, err, sizeof err), SB_ERR_RANGE);
	cr_assert(strstr(err, ":1: open_time 1675209600000 is not after") != NULL, "%s", err);
	sim_kline_series_fini(&s);
	struct sim_kline_series t = load_ok("LINKUSDT-1m-2023-02.csv");
	cr_assert_eq(sim_kline_load_file(data_path("LTCUSDT-1m-2026-02-us.csv.gz"), &t, err, sizeof err),
	             SB_OK, "%s", err);
	cr_assert_eq(t.count, 600);
	sim_kline_series_fini(&t);
}

/* Writes n generated rows (some over 1000 bytes apart from chunk edges) as plain and gzip files. */
static char *generated_csv(size_t n, size_t *len)
{
	char *buf = malloc(n * 128);
	size_t off = 0;
	for (size_t i = 0; i < n; i++) {
		long long t = 1600000000000LL + (long long)i * 60000;
		off += (size_t)snprintf(
		    buf + off, 128, "%lld,%zu.5,%zu.9,%zu.1,%zu.25,%zu.123,%lld,1.1,%zu,0.5,0.6,0\n", t,
		    100 + i % 7, 100 + i % 7, 100 + i % 7, 100 + i % 7, i, t + 59999, i % 900);
	}
	*len = off;
	return buf;
}

Test(sim_kline, lines_straddling_read_chunks_parse_the_same_as_one_buffer)
{
	size_t len;
	char *csv = generated_csv(5000, &len);
	cr_assert_gt(len, 3 * 64 * 1024);
	char plain[] = "/tmp/sim_kline_XXXXXX";
	int fd = mkstemp(plain);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, csv, len), (ssize_t)len);
	close(fd);
	char gzpath[64];
	snprintf(gzpath, sizeof gzpath, "%s.gz", plain);
	gzFile gz = gzopen(gzpath, "wb");
	cr_assert_eq(gzwrite(gz, csv, (unsigned)len), (int)len);
	gzclose(gz);

	struct sim_kline_series a = {0}, b = {0}, c = {0};
	char err[256];
	cr_assert_eq(sim_kline_load_buffer("mem", csv, len, &a, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sim_kline_load_file(plain, &b, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sim_kline_load_file(gzpath, &c, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(a.count, 5000);
	cr_assert_eq(b.count, 5000);
	cr_assert_eq(c.count, 5000);
	cr_assert_eq(memcmp(a.rows, b.rows, a.count * sizeof *a.rows), 0);
	cr_assert_eq(memcmp(a.rows, c.rows, a.count * sizeof *a.rows), 0);
	cr_assert_eq(a.rows[4999].volume, SB_DEC_C(4999, 12300000));
	sim_kline_series_fini(&a);
	sim_kline_series_fini(&b);
	sim_kline_series_fini(&c);
	unlink(plain);
	unlink(gzpath);
	free(csv);
}

Test(sim_kline, header_detection)
{
	cr_assert(sb_kline_is_header("open_time,open", 14));
	cr_assert(sb_kline_is_header("Open", 4));
	cr_assert_not(sb_kline_is_header("1675209600000,6.9", 17));
	cr_assert_not(sb_kline_is_header("", 0));
	cr_assert_not(sb_kline_is_header(",x", 2));
}

Test(sim_kline, zip_archive_from_data_binance_vision_loads_like_the_csv)
{
	struct sim_kline_series z = load_ok("LINKUSDT-1m-2023-02.zip");
	struct sim_kline_series c = load_ok("LINKUSDT-1m-2023-02.csv");
	cr_assert_eq(z.count, 120);
	cr_assert_eq(memcmp(z.rows, c.rows, z.count * sizeof *z.rows), 0);
	sim_kline_series_fini(&z);
	sim_kline_series_fini(&c);
	struct sim_kline_series s = {0};
	char err[512];
	const char *path = data_path("bad-truncated.zip");
	cr_assert_eq(sim_kline_load_file(path, &s, err, sizeof err), SB_ERR_IO);
	cr_assert(strstr(err, path) == err, "%s", err);
	sim_kline_series_fini(&s);
}

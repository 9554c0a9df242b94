/*
 * `spotbot data download` against a local server laid out like data.binance.vision (tests/data/vision):
 * a good month and good days are kept byte for byte and read back by the kline reader; a file whose
 * published checksum does not match is not kept; a file already complete is not asked for again; a file
 * not published is a 404 naming its URL with exit code 5; a server that cannot be reached is a failure
 * naming the URL. Every check looks at the files on disk and at the server's own request log.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_httpd.h"
#include "spotbot/kline_reader.h"
#include "spotbot/kline_set.h"

#define MONTHLY "/data/spot/monthly/klines/LINKUSDT/1m/"
#define DAILY   "/data/spot/daily/klines/LINKUSDT/1m/"

static struct {
	char dir[64];        /* the test's temporary directory */
	char data[128];      /* where downloads go */
	char log[128];       /* the server's request log */
	char out[128];       /* spotbot's stdout */
	char err[128];       /* spotbot's stderr */
	char base[64];       /* http://127.0.0.1:PORT */
	struct sbt_proc srv; /* the server */
} T;

static void setup(void)
{
	snprintf(T.dir, sizeof T.dir, "/tmp/data_dl_XXXXXX");
	cr_assert_not_null(mkdtemp(T.dir));
	snprintf(T.data, sizeof T.data, "%s/klines", T.dir);
	snprintf(T.log, sizeof T.log, "%s/requests.log", T.dir);
	snprintf(T.out, sizeof T.out, "%s/stdout", T.dir);
	snprintf(T.err, sizeof T.err, "%s/stderr", T.dir);
	char root[1024];
	cr_assert(sbt_httpd_start(&T.srv, sbt_source_path("tests/data/vision", root, sizeof root), T.log));
	snprintf(T.base, sizeof T.base, "http://127.0.0.1:%d", T.srv.port);
}

static void teardown(void)
{
	sbt_proc_stop(&T.srv, SIGTERM, 2000);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", T.dir);
	cr_assert_eq(system(cmd), 0);
}

/* Runs spotbot data download SYMBOL 1m FROM TO --dir T.data --base-url base [json]; returns its exit code. */
static int download_as(const char *base, const char *from, const char *to, const char *json)
{
	char prog[1024];
	const char *argv[] = {sbt_program("spotbot", prog, sizeof prog),
	                      "data",
	                      "download",
	                      "linkusdt",
	                      "1m",
	                      from,
	                      to,
	                      "--dir",
	                      T.data,
	                      "--base-url",
	                      base,
	                      json,
	                      NULL};
	int status = sbt_run(argv, NULL, T.out, T.err, 60);
	cr_assert(WIFEXITED(status), "spotbot did not exit normally (status %d)", status);
	return WEXITSTATUS(status);
}

/* The whole content of path (NUL-terminated, static, up to 64 KiB); "" when absent. */
static int download(const char *base, const char *from, const char *to)
{
	return download_as(base, from, to, NULL);
}

static const char *slurp(const char *path)
{
	static char buf[2][65536];
	static int slot;
	char *b = buf[slot++ % 2];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(b, 1, sizeof buf[0] - 1, f) : 0;
	if (f)
		fclose(f);
	b[n] = '\0';
	return b;
}

static bool same_file(const char *a, const char *b)
{
	char cmd[2200];
	snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
	return system(cmd) == 0;
}

static const char *published(const char *rel)
{
	static char buf[2][1024];
	static int slot;
	char r[512];
	snprintf(r, sizeof r, "tests/data/vision%s", rel);
	return sbt_source_path(r, buf[slot++ % 2], sizeof buf[0]);
}

static const char *local(const char *name)
{
	static char buf[2][256];
	static int slot;
	char *b = buf[slot++ % 2];
	snprintf(b, sizeof buf[0], "%s/%s", T.data, name);
	return b;
}

static size_t count_rows(const char *path)
{
	struct sb_kline_reader *r = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_reader_open(path, &r, err, sizeof err), SB_OK, "%s", err);
	size_t n = 0;
	for (;;) {
		struct sb_kline k;
		bool done;
		cr_assert_eq(sb_kline_reader_next(r, &k, &done), SB_OK, "%s", sb_kline_reader_error(r));
		if (done)
			break;
		n++;
	}
	sb_kline_reader_free(r);
	return n;
}

static void assert_no_part_files(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ls -a %s | grep -q part", T.data);
	cr_assert_neq(system(cmd), 0, "a .part file was left in %s", T.data);
}

TestSuite(data_download, .init = setup, .fini = teardown, .timeout = 120);

Test(data_download, a_month_is_kept_byte_for_byte_with_its_checksum)
{
	cr_assert_eq(download(T.base, "2023-02", "2023-02"), 0, "%s", slurp(T.err));
	const char *zip = local("LINKUSDT-1m-2023-02.zip");
	cr_assert(same_file(zip, published(MONTHLY "LINKUSDT-1m-2023-02.zip")));
	cr_assert(same_file(local("LINKUSDT-1m-2023-02.zip.CHECKSUM"),
	                    published(MONTHLY "LINKUSDT-1m-2023-02.zip.CHECKSUM")));
	cr_assert_eq(count_rows(zip), 120);
	assert_no_part_files();
	cr_assert(strstr(slurp(T.err), "[1/1] LINKUSDT-1m-2023-02.zip: downloaded") != NULL, "%s",
	          slurp(T.err));
	cr_assert(strstr(slurp(T.out), "1 downloaded, 0 already complete") != NULL, "%s", slurp(T.out));
}

Test(data_download, days_come_from_the_daily_layout)
{
	cr_assert_eq(download(T.base, "2023-02-01", "2023-02-02"), 0, "%s", slurp(T.err));
	cr_assert(
	    same_file(local("LINKUSDT-1m-2023-02-01.zip"), published(DAILY "LINKUSDT-1m-2023-02-01.zip")));
	cr_assert(
	    same_file(local("LINKUSDT-1m-2023-02-02.zip"), published(DAILY "LINKUSDT-1m-2023-02-02.zip")));
	cr_assert_eq(count_rows(local("LINKUSDT-1m-2023-02-02.zip")), 60);
	/* The directory, checksum files and all, is what a backtest reads: both days, in order. */
	const char *paths[] = {T.data};
	struct sb_kline_set *set = NULL;
	char err[SB_KLINE_ERR_MAX];
	cr_assert_eq(sb_kline_set_open(paths, 1, 0, INT64_MAX, &set, err, sizeof err), SB_OK, "%s", err);
	size_t rows = 0, sym;
	struct sb_kline k;
	bool done;
	while (sb_kline_set_next(set, &sym, &k, &done) == SB_OK && !done)
		rows++;
	cr_assert_str_eq(sb_kline_set_error(set), "");
	cr_assert_eq(rows, 180);
	cr_assert_eq(sb_kline_set_symbols(set), 1);
	sb_kline_set_free(set);
	const char *log = slurp(T.log);
	cr_assert(strstr(log, "GET " DAILY "LINKUSDT-1m-2023-02-01.zip.CHECKSUM\n") != NULL, "%s", log);
	cr_assert(strstr(log, "GET " DAILY "LINKUSDT-1m-2023-02-02.zip\n") != NULL, "%s", log);
}

Test(data_download, a_checksum_mismatch_is_an_error_and_the_file_is_not_kept)
{
	cr_assert_eq(download(T.base, "2023-02", "2023-03"), 1, "%s", slurp(T.err));
	struct stat st;
	cr_assert_neq(stat(local("LINKUSDT-1m-2023-03.zip"), &st), 0, "the mismatching file was kept");
	cr_assert_neq(stat(local("LINKUSDT-1m-2023-03.zip.CHECKSUM"), &st), 0);
	cr_assert_eq(stat(local("LINKUSDT-1m-2023-02.zip"), &st), 0, "the good month was not kept");
	assert_no_part_files();
	char want[256];
	snprintf(want, sizeof want, "%s" MONTHLY "LINKUSDT-1m-2023-03.zip: checksum mismatch", T.base);
	cr_assert(strstr(slurp(T.err), want) != NULL, "%s", slurp(T.err));
}

Test(data_download, a_file_already_complete_is_not_fetched_again)
{
	cr_assert_eq(download(T.base, "2023-02", "2023-02"), 0, "%s", slurp(T.err));
	cr_assert_eq(truncate(T.log, 0), 0);
	cr_assert_eq(download(T.base, "2023-02", "2023-02"), 0, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.log), "", "the server was asked again: %s", slurp(T.log));
	cr_assert(strstr(slurp(T.err), "LINKUSDT-1m-2023-02.zip: already complete") != NULL, "%s",
	          slurp(T.err));
	cr_assert(strstr(slurp(T.out), "0 downloaded, 1 already complete") != NULL, "%s", slurp(T.out));

	/* A damaged copy does not count as complete: it is fetched again and replaced. */
	FILE *f = fopen(local("LINKUSDT-1m-2023-02.zip"), "r+b");
	cr_assert_not_null(f);
	fputs("damage", f);
	fclose(f);
	cr_assert_eq(download(T.base, "2023-02", "2023-02"), 0, "%s", slurp(T.err));
	cr_assert(same_file(local("LINKUSDT-1m-2023-02.zip"), published(MONTHLY "LINKUSDT-1m-2023-02.zip")));
	cr_assert(strstr(slurp(T.log), "GET " MONTHLY "LINKUSDT-1m-2023-02.zip\n") != NULL, "%s",
	          slurp(T.log));
}

Test(data_download, a_file_downloaded_by_hand_is_checked_not_fetched)
{
	char cmd[2200];
	cr_assert_eq(mkdir(T.data, 0755), 0);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", published(MONTHLY "LINKUSDT-1m-2023-02.zip"),
	         local("LINKUSDT-1m-2023-02.zip"));
	cr_assert_eq(system(cmd), 0);
	cr_assert_eq(download(T.base, "2023-02", "2023-02"), 0, "%s", slurp(T.err));
	const char *log = slurp(T.log);
	cr_assert_str_eq(log, "GET " MONTHLY "LINKUSDT-1m-2023-02.zip.CHECKSUM\n", "%s", log);
	cr_assert(same_file(local("LINKUSDT-1m-2023-02.zip.CHECKSUM"),
	                    published(MONTHLY "LINKUSDT-1m-2023-02.zip.CHECKSUM")));
	cr_assert(strstr(slurp(T.err), "already complete") != NULL, "%s", slurp(T.err));
}

Test(data_download, a_month_not_published_is_a_404_naming_its_url)
{
	cr_assert_eq(download(T.base, "2023-01", "2023-02"), 5, "%s", slurp(T.err));
	char want[256];
	snprintf(want, sizeof want, "%s" MONTHLY "LINKUSDT-1m-2023-01.zip.CHECKSUM: not published (HTTP 404)",
	         T.base);
	cr_assert(strstr(slurp(T.err), want) != NULL, "%s", slurp(T.err));
	struct stat st;
	cr_assert_neq(stat(local("LINKUSDT-1m-2023-01.zip"), &st), 0);
	/* The month after the missing one is still fetched. */
	cr_assert(same_file(local("LINKUSDT-1m-2023-02.zip"), published(MONTHLY "LINKUSDT-1m-2023-02.zip")));
	cr_assert(strstr(slurp(T.out), "1 downloaded, 0 already complete, 1 not published, 0 failed") != NULL,
	          "%s", slurp(T.out));
}

Test(data_download, json_reports_every_file)
{
	cr_assert_eq(download_as(T.base, "2023-01", "2023-03", "--json"), 1, "%s", slurp(T.err));
	cJSON *doc = cJSON_Parse(slurp(T.out));
	cr_assert_not_null(doc, "not JSON: %s", slurp(T.out));
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "planned")->valueint, 3);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "downloaded")->valueint, 1);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "not_published")->valueint, 1);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "failed")->valueint, 1);
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(doc, "files");
	cr_assert_eq(cJSON_GetArraySize(files), 3);
	static const char *const want[] = {"not_published", "downloaded", "failed"};
	for (int i = 0; i < 3; i++) {
		const cJSON *f = cJSON_GetArrayItem(files, i);
		cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "status")->valuestring, want[i]);
	}
	const cJSON *ok = cJSON_GetArrayItem(files, 1);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(ok, "name")->valuestring,
	                 "LINKUSDT-1m-2023-02.zip");
	struct stat st;
	cr_assert_eq(stat(local("LINKUSDT-1m-2023-02.zip"), &st), 0);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(ok, "bytes")->valuedouble, (double)st.st_size);
	cr_assert(strstr(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(files, 2), "error")->valuestring,
	                 "checksum mismatch") != NULL);
	cJSON_Delete(doc);
}

Test(data_download, an_unreachable_server_is_a_failure_naming_the_url)
{
	/* A port that was just free: nothing listens there. */
	struct sbt_proc gone;
	cr_assert(sbt_httpd_start(&gone, "/nonexistent", "/dev/null"));
	int port = gone.port;
	sbt_proc_stop(&gone, SIGTERM, 2000);
	char base[64];
	snprintf(base, sizeof base, "http://127.0.0.1:%d", port);
	cr_assert_eq(download(base, "2023-02", "2023-04"), 1, "%s", slurp(T.err));
	char want[256];
	snprintf(want, sizeof want, "%s" MONTHLY "LINKUSDT-1m-2023-02.zip.CHECKSUM: ", base);
	cr_assert(strstr(slurp(T.err), want) != NULL, "%s", slurp(T.err));
	cr_assert(strstr(slurp(T.err), "the 2 files after it were not tried") != NULL, "%s", slurp(T.err));
}

Test(data_download, bad_arguments_are_usage_errors)
{
	cr_assert_eq(download(T.base, "2023-03", "2023-02"), 2);
	cr_assert(strstr(slurp(T.err), "FROM 2023-03 is after TO 2023-02") != NULL, "%s", slurp(T.err));
	cr_assert_eq(download(T.base, "2023-02", "2023-02-03"), 2);
	cr_assert(strstr(slurp(T.err), "both be months") != NULL, "%s", slurp(T.err));
	cr_assert_eq(download(T.base, "2023-02-30", "2023-03-01"), 2);
	cr_assert(strstr(slurp(T.err), "'2023-02-30' is not a date") != NULL, "%s", slurp(T.err));
	cr_assert_eq(download("ftp://example", "2023-02", "2023-02"), 2);
	cr_assert(strstr(slurp(T.err), "must start with http:// or https://") != NULL, "%s", slurp(T.err));
	cr_assert_str_eq(slurp(T.log), "");
}

/*
 * Tests for log.c: every line parses back as JSON with typed fields, level filtering and the error log,
 * rotation without loss, redaction, escaping of hostile bytes (against a naive UTF-8 reference on random
 * input), and survival of a full disk or an unusable directory. Each test runs in its own process, so the
 * process-wide logger starts fresh every time.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spotbot/clock.h"
#include "spotbot/log.h"

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sb_log_XXXXXX");
	cr_assert_not_null(mkdtemp(tmpdir));
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void remove_tmpdir(void)
{
	sb_log_close();
	if (tmpdir[0])
		nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(log, .init = make_tmpdir, .fini = remove_tmpdir);

static char *path_in(const char *name)
{
	static char buf[4][256];
	static int next;
	char *p = buf[next++ % 4];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

/* The whole file, NUL-terminated; "" for a missing file. The caller frees it. */
static char *slurp(const char *path, size_t *len_out)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);
	if (f) {
		size_t n;
		while ((n = fread(buf + len, 1, cap - len, f)) > 0) {
			len += n;
			if (len == cap)
				buf = realloc(buf, (cap *= 2) + 1);
		}
		fclose(f);
	}
	buf[len] = '\0';
	if (len_out)
		*len_out = len;
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static uint64_t file_size(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s missing", path);
	return (uint64_t)st.st_size;
}

/* Redirects fd 2 into a file until stderr_end(), which returns what was written (caller frees). */
static int saved_stderr = -1;
static void stderr_begin(void)
{
	fflush(stderr);
	int fd = open(path_in("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_geq(fd, 0);
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static char *stderr_end(void)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	char *s = slurp(path_in("stderr.txt"), NULL);
	unlink(path_in("stderr.txt"));
	return s;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static size_t count_substr(const char *s, const char *needle)
{
	size_t n = 0;
	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Line i (0-based) of text, parsed; fails the test when it is not a JSON object. Caller deletes it. */
static cJSON *parse_line(const char *text, size_t i)
{
	const char *p = text;
	for (size_t k = 0; k < i; k++) {
		p = strchr(p, '\n');
		cr_assert_not_null(p, "no line %zu", i);
		p++;
	}
	const char *end = strchr(p, '\n');
	cr_assert_not_null(end, "line %zu has no newline", i);
	cJSON *j = cJSON_ParseWithLength(p, (size_t)(end - p));
	cr_assert_not_null(j, "line %zu is not JSON: %.*s", i, (int)(end - p), p);
	cr_assert(cJSON_IsObject(j));
	return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsString(v), "key %s is not a string", key);
	return v->valuestring;
}

static double jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert(cJSON_IsNumber(v), "key %s is not a number", key);
	return v->valuedouble;
}

/* An integral JSON number as int64 (valuedouble, checked integral and below 2^53, never valueint). */
static int64_t jint(const cJSON *o, const char *key)
{
	double d = jnum(o, key);
	cr_assert(d > -9007199254740992.0 && d < 9007199254740992.0, "%s out of range", key);
	int64_t i = (int64_t)d;
	cr_assert((double)i <= d && (double)i >= d, "%s is not integral", key);
	return i;
}

static struct sb_log_opts opts_in_tmp(void)
{
	struct sb_log_opts o = {.dir = tmpdir, .name = "spotbot.log", .level = SB_LOG_DEBUG};
	return o;
}

Test(log, line_is_one_json_object_with_typed_fields)
{
	struct sb_log_opts o = opts_in_tmp();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	int64_t before = sb_clock_wall_ms();
	sb_log_info("order",
	            SB_FIELDS(SB_F_STR("symbol", "BTCUSDT"), SB_F_INT("order_id", INT64_C(123456789012)),
	                      SB_F_INT("neg", -7), SB_F_UINT("count", 42u),
	                      SB_F_DEC("price", SB_DEC_C(25, 35190000)), SB_F_DEC("qty", SB_DEC_C(0, 100000)),
	                      SB_F_BOOL("maker", true), SB_F_BOOL("retry", false),
	                      SB_F_DBL("latency_ms", 1.25), SB_F_ERR(SB_ERR_TIMEOUT), SB_F_ERRNO(28),
	                      SB_F_STRN("raw", "abcdef", 3), SB_F_STR("none", NULL)),
	            "placed buy %s at %d", "c-42", 7);
	int64_t after = sb_clock_wall_ms();
	sb_log_close();

	size_t len;
	char *text = slurp(path_in("spotbot.log"), &len);
	cr_assert_eq(count_lines(text), 1);
	cr_assert_eq(text[len - 1], '\n');
	cJSON *j = parse_line(text, 0);
	const char *ts = jstr(j, "ts");
	cr_assert_eq(strlen(ts), SB_CLOCK_RFC3339_MS_LEN);
	cr_assert_eq(ts[10], 'T');
	cr_assert_eq(ts[23], 'Z');
	int64_t ms;
	cr_assert_eq(sb_clock_parse_rfc3339_ms(ts, strlen(ts), &ms), SB_OK);
	cr_assert(ms >= before && ms <= after, "ts %s outside [%lld,%lld]", ts, (long long)before,
	          (long long)after);
	cr_assert_str_eq(jstr(j, "level"), "info");
	cr_assert_str_eq(jstr(j, "component"), "order");
	cr_assert_str_eq(jstr(j, "msg"), "placed buy c-42 at 7");
	cr_assert_str_eq(jstr(j, "symbol"), "BTCUSDT");
	cr_assert_eq(jint(j, "order_id"), INT64_C(123456789012));
	cr_assert_eq(jint(j, "neg"), -7);
	cr_assert_eq(jint(j, "count"), 42);
	cr_assert_str_eq(jstr(j, "price"), "25.3519");
	cr_assert_str_eq(jstr(j, "qty"), "0.001");
	cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "maker")));
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "retry")));
	cr_assert_float_eq(jnum(j, "latency_ms"), 1.25, 1e-12);
	cr_assert_str_eq(jstr(j, "error"), "SB_ERR_TIMEOUT");
	cr_assert_str_eq(jstr(j, "errno"), "No space left on device");
	cr_assert_str_eq(jstr(j, "raw"), "abc");
	cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "none")));
	/* The keys come in a fixed order: header first, then the fields as given. */
	cr_assert_eq(strncmp(text, "{\"ts\":\"", 7), 0);
	cr_assert_not_null(strstr(text, "\",\"level\":\"info\",\"component\":\"order\",\"msg\":\"placed"));
	cJSON_Delete(j);
	free(text);
}

Test(log, reserved_keys_and_non_finite_metrics_stay_valid)
{
	struct sb_log_opts o = opts_in_tmp();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	double zero = 0.0;
	sb_log_info("t",
	            SB_FIELDS(SB_F_STR("msg", "field"), SB_F_STR("level", "x"), SB_F_DBL("nan", zero / zero),
	                      SB_F_DBL("inf", 1.0 / zero), SB_F_STR(NULL, "nokey")),
	            "the message");
	char *text = slurp(path_in("spotbot.log"), NULL);
	cJSON *j = parse_line(text, 0);
	cr_assert_str_eq(jstr(j, "msg"), "the message");
	cr_assert_str_eq(jstr(j, "level"), "info");
	cr_assert_str_eq(jstr(j, "_msg"), "field");
	cr_assert_str_eq(jstr(j, "_level"), "x");
	cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "nan")));
	cr_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "inf")));
	cr_assert_str_eq(jstr(j, "_"), "nokey");
	cr_assert_eq(count_substr(text, "\"msg\":"), 1);
	cJSON_Delete(j);
	free(text);
}

Test(log, level_filters_lines_and_error_log_takes_warn_and_above)
{
	struct sb_log_opts o = opts_in_tmp();
	o.level = SB_LOG_INFO;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	sb_log_debug("t", SB_NOFIELDS, "d");
	sb_log_info("t", SB_NOFIELDS, "i");
	sb_log_warn("t", SB_NOFIELDS, "w");
	sb_log_error("t", SB_NOFIELDS, "e");
	sb_log_close();
	char *all = slurp(path_in("spotbot.log"), NULL);
	char *err = slurp(path_in("spotbot.error.log"), NULL);
	cr_assert_eq(count_lines(all), 3);
	cr_assert_eq(count_lines(err), 2);
	const char *want_all[] = {"info", "warn", "error"};
	for (size_t i = 0; i < 3; i++) {
		cJSON *j = parse_line(all, i);
		cr_assert_str_eq(jstr(j, "level"), want_all[i]);
		cJSON_Delete(j);
	}
	for (size_t i = 0; i < 2; i++) {
		cJSON *j = parse_line(err, i);
		cr_assert_str_eq(jstr(j, "level"), want_all[i + 1]);
		cJSON_Delete(j);
	}
	free(all);
	free(err);
}

Test(log, level_above_warn_also_filters_the_error_log_and_can_change_at_runtime)
{
	struct sb_log_opts o = opts_in_tmp();
	o.level = SB_LOG_ERROR;
	o.error_name = "errors.jsonl";
	cr_assert_eq(sb_log_open(&o), SB_OK);
	sb_log_warn("t", SB_NOFIELDS, "w1");
	sb_log_error("t", SB_NOFIELDS, "e1");
	sb_log_set_level(SB_LOG_DEBUG);
	sb_log_debug("t", SB_NOFIELDS, "d2");
	sb_log_warn("t", SB_NOFIELDS, "w2");
	sb_log_close();
	char *all = slurp(path_in("spotbot.log"), NULL);
	char *err = slurp(path_in("errors.jsonl"), NULL);
	cr_assert_eq(count_lines(all), 3);
	cr_assert_null(strstr(all, "w1"));
	cr_assert_not_null(strstr(all, "d2"));
	cr_assert_eq(count_lines(err), 2);
	cr_assert_not_null(strstr(err, "e1"));
	cr_assert_not_null(strstr(err, "w2"));
	cr_assert_not(exists(path_in("spotbot.error.log")));
	free(all);
	free(err);
}

Test(log, filtered_level_evaluates_no_arguments)
{
	int field_calls = 0, arg_calls = 0;
	sb_log_debug("t", SB_FIELDS(SB_F_INT("n", ++field_calls)), "%d", ++arg_calls);
	cr_assert_eq(field_calls, 0);
	cr_assert_eq(arg_calls, 0);
	cr_assert(!sb_log_enabled(SB_LOG_DEBUG));
	cr_assert(sb_log_enabled(SB_LOG_INFO));
}

Test(log, level_names_parse_and_print)
{
	enum sb_log_level l;
	cr_assert_eq(sb_log_level_parse("debug", &l), SB_OK);
	cr_assert_eq(l, SB_LOG_DEBUG);
	cr_assert_eq(sb_log_level_parse("INFO", &l), SB_OK);
	cr_assert_eq(l, SB_LOG_INFO);
	cr_assert_eq(sb_log_level_parse("Warning", &l), SB_OK);
	cr_assert_eq(l, SB_LOG_WARN);
	cr_assert_eq(sb_log_level_parse("error", &l), SB_OK);
	cr_assert_eq(l, SB_LOG_ERROR);
	l = SB_LOG_INFO;
	cr_assert_eq(sb_log_level_parse("fatal", &l), SB_ERR_PARSE);
	cr_assert_eq(sb_log_level_parse("", &l), SB_ERR_PARSE);
	cr_assert_eq(sb_log_level_parse(NULL, &l), SB_ERR_INVALID);
	cr_assert_eq(l, SB_LOG_INFO);
	cr_assert_str_eq(sb_log_level_name(SB_LOG_WARN), "warn");
	cr_assert_str_eq(sb_log_level_name((enum sb_log_level)9), "unknown");
}

Test(log, open_rejects_bad_options)
{
	struct sb_log_opts o = opts_in_tmp();
	cr_assert_eq(sb_log_open(NULL), SB_ERR_INVALID);
	o.name = "a/b.log";
	cr_assert_eq(sb_log_open(&o), SB_ERR_INVALID);
	o.name = "";
	cr_assert_eq(sb_log_open(&o), SB_ERR_INVALID);
	o.name = "x.log";
	o.error_name = "x.log";
	cr_assert_eq(sb_log_open(&o), SB_ERR_INVALID);
	o.error_name = NULL;
	o.keep = SB_LOG_KEEP_MAX + 1;
	cr_assert_eq(sb_log_open(&o), SB_ERR_INVALID);
	char longdir[PATH_MAX + 10];
	memset(longdir, 'd', sizeof(longdir) - 1);
	longdir[sizeof(longdir) - 1] = '\0';
	o.keep = 1;
	o.dir = longdir;
	cr_assert_eq(sb_log_open(&o), SB_ERR_TOO_LONG);
}

Test(log, before_open_lines_go_to_stderr_at_info)
{
	stderr_begin();
	sb_log_debug("boot", SB_NOFIELDS, "hidden");
	sb_log_info("boot", SB_FIELDS(SB_F_INT("n", 1)), "starting");
	char *out = stderr_end();
	cr_assert_eq(count_lines(out), 1);
	cJSON *j = parse_line(out, 0);
	cr_assert_str_eq(jstr(j, "msg"), "starting");
	cr_assert_str_eq(jstr(j, "component"), "boot");
	cJSON_Delete(j);
	free(out);
}

Test(log, to_stderr_echoes_every_line_once)
{
	struct sb_log_opts o = opts_in_tmp();
	o.to_stderr = true;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	stderr_begin();
	sb_log_info("t", SB_NOFIELDS, "one");
	sb_log_error("t", SB_NOFIELDS, "two");
	char *out = stderr_end();
	char *file = slurp(path_in("spotbot.log"), NULL);
	cr_assert_str_eq(out, file);
	cr_assert_eq(count_lines(out), 2);
	free(out);
	free(file);
}

Test(log, discard_writes_nowhere_and_counts_lines_by_level_until_the_next_open)
{
	struct sb_log_opts o = opts_in_tmp();
	o.discard = true;
	o.to_stderr = true;
	o.level = SB_LOG_WARN;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	stderr_begin();
	sb_log_info("t", SB_NOFIELDS, "filtered");
	sb_log_warn("t", SB_NOFIELDS, "one");
	sb_log_warn("t", SB_NOFIELDS, "two");
	sb_log_error("t", SB_NOFIELDS, "three");
	char *out = stderr_end();
	cr_assert_str_eq(out, "", "nothing on stderr");
	free(out);
	cr_assert(!exists(path_in("spotbot.log")), "and no file");
	cr_assert_eq(sb_log_count(SB_LOG_INFO), 0, "a filtered line is not counted");
	cr_assert_eq(sb_log_count(SB_LOG_WARN), 2);
	cr_assert_eq(sb_log_count(SB_LOG_ERROR), 1);
	sb_log_close();
	cr_assert_eq(sb_log_count(SB_LOG_WARN), 2, "closing keeps the counts");
	o.discard = false;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	cr_assert_eq(sb_log_count(SB_LOG_WARN), 0, "opening starts them again");
	sb_log_warn("t", SB_NOFIELDS, "kept");
	cr_assert_eq(sb_log_count(SB_LOG_WARN), 1);
	char *file = slurp(path_in("spotbot.log"), NULL);
	cr_assert_eq(count_lines(file), 1);
	free(file);
}

static int64_t market_ms(void *user)
{
	return *(const int64_t *)user;
}

Test(log, a_clock_of_the_callers_stamps_the_lines)
{
	cr_assert_eq(sb_log_open(&(struct sb_log_opts){.dir = tmpdir, .name = "spotbot.log"}), SB_OK);
	int64_t market = INT64_C(1675209600000); /* 2023-02-01T00:00:00Z */
	sb_log_set_clock(market_ms, &market);
	sb_log_info("t", SB_NOFIELDS, "then");
	market += 61001;
	sb_log_info("t", SB_NOFIELDS, "a minute later");
	sb_log_set_clock(NULL, NULL);
	sb_log_info("t", SB_NOFIELDS, "now");
	char *file = slurp(path_in("spotbot.log"), NULL);
	cJSON *j = parse_line(file, 0);
	cr_assert_str_eq(jstr(j, "ts"), "2023-02-01T00:00:00.000Z");
	cJSON_Delete(j);
	j = parse_line(file, 1);
	cr_assert_str_eq(jstr(j, "ts"), "2023-02-01T00:01:01.001Z");
	cJSON_Delete(j);
	j = parse_line(file, 2);
	cr_assert_neq(strncmp(jstr(j, "ts"), "2023", 4), 0, "the wall clock again");
	cJSON_Delete(j);
	free(file);
}

/* Parses every line of a file and appends its "seq" field to seqs. */
static void collect_seqs(const char *path, long *seqs, size_t *n, uint64_t max_bytes, size_t *first_line_len)
{
	size_t len;
	char *text = slurp(path, &len);
	size_t lines = count_lines(text);
	*first_line_len = len ? (size_t)(strchr(text, '\n') - text + 1) : 0;
	for (size_t i = 0; i < lines; i++) {
		cJSON *j = parse_line(text, i);
		seqs[(*n)++] = (long)jint(j, "seq");
		cJSON_Delete(j);
	}
	cr_assert_leq(len, max_bytes, "%s has %zu bytes, limit %llu", path, len,
	              (unsigned long long)max_bytes);
	free(text);
}

Test(log, rotation_keeps_n_files_and_loses_no_line_until_the_oldest_drop)
{
	struct sb_log_opts o = opts_in_tmp();
	o.max_bytes = 2000;
	o.keep = 3;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	const long total = 500;
	for (long i = 0; i < total; i++)
		sb_log_info("rot",
		            SB_FIELDS(SB_F_INT("seq", i), SB_F_STR("pad", i % 7 ? "x" : "a longer value")),
		            "line %ld", i);
	sb_log_close();

	cr_assert(exists(path_in("spotbot.log")));
	cr_assert(exists(path_in("spotbot.log.1")));
	cr_assert(exists(path_in("spotbot.log.2")));
	cr_assert(exists(path_in("spotbot.log.3")));
	cr_assert_not(exists(path_in("spotbot.log.4")));

	/* Oldest to newest, the kept files hold one contiguous run of sequence numbers ending at the last
	 * line. */
	const char *order[] = {"spotbot.log.3", "spotbot.log.2", "spotbot.log.1", "spotbot.log"};
	long seqs[2000];
	size_t n = 0, first_len[4];
	for (int f = 0; f < 4; f++)
		collect_seqs(path_in(order[f]), seqs, &n, o.max_bytes, &first_len[f]);
	cr_assert_gt(n, 20);
	cr_assert_lt(n, (size_t)total, "nothing was dropped: rotation did not happen often enough");
	cr_assert_eq(seqs[n - 1], total - 1);
	for (size_t i = 1; i < n; i++)
		cr_assert_eq(seqs[i], seqs[i - 1] + 1, "seq %ld follows %ld", seqs[i], seqs[i - 1]);
	/* Each rotated file was rotated only because the next line would not fit. */
	for (int f = 0; f < 3; f++)
		cr_assert_gt(file_size(path_in(order[f])) + first_len[f + 1], o.max_bytes);
}

Test(log, error_log_rotates_the_same_way)
{
	struct sb_log_opts o = opts_in_tmp();
	o.max_bytes = 1000;
	o.keep = 2;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	for (long i = 0; i < 200; i++)
		sb_log_warn("rot", SB_FIELDS(SB_F_INT("seq", i)), "warning %ld", i);
	sb_log_close();
	cr_assert(exists(path_in("spotbot.error.log.2")));
	cr_assert_not(exists(path_in("spotbot.error.log.3")));
	const char *order[] = {"spotbot.error.log.2", "spotbot.error.log.1", "spotbot.error.log"};
	long seqs[400];
	size_t n = 0, first_len;
	for (int f = 0; f < 3; f++)
		collect_seqs(path_in(order[f]), seqs, &n, o.max_bytes, &first_len);
	cr_assert_eq(seqs[n - 1], 199);
	for (size_t i = 1; i < n; i++)
		cr_assert_eq(seqs[i], seqs[i - 1] + 1);
}

Test(log, line_longer_than_the_limit_is_written_whole_in_its_own_file)
{
	struct sb_log_opts o = opts_in_tmp();
	o.max_bytes = 300;
	o.keep = 2;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	char big[1001];
	memset(big, 'b', 1000);
	big[1000] = '\0';
	sb_log_info("t", SB_NOFIELDS, "small 1");
	sb_log_info("t", SB_NOFIELDS, "%s", big);
	sb_log_info("t", SB_NOFIELDS, "small 2");
	sb_log_close();
	char *older = slurp(path_in("spotbot.log.2"), NULL);
	char *mid = slurp(path_in("spotbot.log.1"), NULL);
	char *cur = slurp(path_in("spotbot.log"), NULL);
	cr_assert_not_null(strstr(older, "small 1"));
	cr_assert_eq(count_lines(mid), 1);
	cJSON *j = parse_line(mid, 0);
	cr_assert_str_eq(jstr(j, "msg"), big);
	cr_assert_not_null(strstr(cur, "small 2"));
	cJSON_Delete(j);
	free(older);
	free(mid);
	free(cur);
}

Test(log, reopen_appends_and_counts_the_existing_size)
{
	FILE *f = fopen(path_in("spotbot.log"), "w");
	for (int i = 0; i < 9; i++)
		fputs(
		    "{\"old\":\"line padded out to one hundred bytes...................................\"}\n",
		    f);
	fclose(f);
	uint64_t before = file_size(path_in("spotbot.log"));
	struct sb_log_opts o = opts_in_tmp();
	o.max_bytes = before + 50;
	o.keep = 1;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	sb_log_info("t", SB_NOFIELDS, "this line is longer than fifty bytes once it is JSON");
	sb_log_close();
	cr_assert_eq(file_size(path_in("spotbot.log.1")), before);
	char *cur = slurp(path_in("spotbot.log"), NULL);
	cr_assert_eq(count_lines(cur), 1);
	free(cur);
}

Test(log, keep_zero_starts_the_file_over)
{
	struct sb_log_opts o = opts_in_tmp();
	o.max_bytes = 500;
	o.keep = 0;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	for (int i = 0; i < 50; i++)
		sb_log_info("t", SB_FIELDS(SB_F_INT("seq", i)), "line %d", i);
	sb_log_close();
	cr_assert_not(exists(path_in("spotbot.log.1")));
	cr_assert_leq(file_size(path_in("spotbot.log")), 500);
	char *cur = slurp(path_in("spotbot.log"), NULL);
	cr_assert_not_null(strstr(cur, "\"line 49\""));
	free(cur);
}

Test(log, reopen_after_an_external_move_starts_a_new_file)
{
	struct sb_log_opts o = opts_in_tmp();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	sb_log_info("t", SB_NOFIELDS, "before");
	cr_assert_eq(rename(path_in("spotbot.log"), path_in("moved.log")), 0);
	sb_log_reopen();
	sb_log_info("t", SB_NOFIELDS, "after");
	sb_log_close();
	char *moved = slurp(path_in("moved.log"), NULL);
	char *cur = slurp(path_in("spotbot.log"), NULL);
	cr_assert_eq(count_lines(moved), 1);
	cr_assert_not_null(strstr(moved, "before"));
	cr_assert_eq(count_lines(cur), 1);
	cr_assert_not_null(strstr(cur, "after"));
	free(moved);
	free(cur);
}

Test(log, size_rotation_after_a_reopen_counts_the_new_file_only)
{
	struct sb_log_opts o = opts_in_tmp();
	o.max_bytes = 1000;
	o.keep = 2;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	while (file_size(path_in("spotbot.log")) < 800)
		sb_log_info("t", SB_NOFIELDS, "old");
	cr_assert_eq(rename(path_in("spotbot.log"), path_in("moved.log")), 0);
	sb_log_reopen();
	/* The old file's size no longer counts: the new one fills to the limit before it rotates. */
	while (file_size(path_in("spotbot.log")) < 800)
		sb_log_info("t", SB_NOFIELDS, "new");
	cr_assert_not(exists(path_in("spotbot.log.1")));
	for (int i = 0; i < 10; i++)
		sb_log_info("t", SB_NOFIELDS, "next");
	sb_log_close();
	cr_assert(exists(path_in("spotbot.log.1")), "the reopened file rotates at max_bytes");
	cr_assert_leq(file_size(path_in("spotbot.log.1")), 1000);
	char *rotated = slurp(path_in("spotbot.log.1"), NULL);
	cr_assert_null(strstr(rotated, "\"old\""), "the moved file's lines stay in the moved file");
	free(rotated);
}

/* Every file in the temp dir plus captured stderr, concatenated; for "never appears anywhere" checks. */
static char *everything(const char *captured)
{
	const char *names[] = {"spotbot.log", "spotbot.error.log", "spotbot.log.1", "spotbot.error.log.1"};
	size_t total = strlen(captured) + 1;
	char *parts[4];
	for (int i = 0; i < 4; i++) {
		parts[i] = slurp(path_in(names[i]), NULL);
		total += strlen(parts[i]);
	}
	char *all = malloc(total);
	size_t at = strlen(captured);
	memcpy(all, captured, at);
	for (int i = 0; i < 4; i++) {
		size_t n = strlen(parts[i]);
		memcpy(all + at, parts[i], n);
		at += n;
		free(parts[i]);
	}
	all[at] = '\0';
	return all;
}

Test(log, secrets_are_redacted_in_message_fields_and_stderr)
{
	const char *secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
	cr_assert_eq(sb_log_add_secret(secret), SB_OK);
	cr_assert_eq(sb_log_add_secret(secret), SB_OK); /* twice is harmless */
	cr_assert_eq(sb_log_add_secret("abc"), SB_OK);  /* too short: ignored */
	cr_assert_eq(sb_log_add_secret(""), SB_OK);
	cr_assert_eq(sb_log_add_secret(NULL), SB_OK);
	cr_assert_eq(
	    sb_log_add_secret("listenKey-pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"),
	    SB_OK);
	struct sb_log_opts o = opts_in_tmp();
	o.to_stderr = true;
	o.max_bytes = 600;
	o.keep = 1;
	cr_assert_eq(sb_log_open(&o), SB_OK);
	stderr_begin();
	char url[256];
	snprintf(url, sizeof(url), "https://api/x?signature=1&apiSecret=%s&t=1", secret);
	sb_log_warn(
	    "rest",
	    SB_FIELDS(SB_F_STR("url", url), SB_F_STRN("body", secret, strlen(secret)), SB_F_STR(secret, "k")),
	    "request %s failed; key %s%s", url, secret, secret);
	sb_log_info(
	    "ws",
	    SB_FIELDS(SB_F_STR("stream",
	                       "listenKey-pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1")),
	    "abc stays");
	char *out = stderr_end();
	sb_log_close();
	char *all = everything(out);
	cr_assert_null(strstr(all, secret));
	cr_assert_null(strstr(all, "NhqPtmdS"));
	cr_assert_null(strstr(all, "pqia91ma"));
	cr_assert_geq(count_substr(all, "<redacted>"), 8);
	cJSON *j = parse_line(out, 0);
	cr_assert_str_eq(jstr(j, "body"), "<redacted>");
	cr_assert_str_eq(jstr(j, "url"), "https://api/x?signature=1&apiSecret=<redacted>&t=1");
	cr_assert_str_eq(
	    jstr(j, "msg"),
	    "request https://api/x?signature=1&apiSecret=<redacted>&t=1 failed; key <redacted><redacted>");
	cJSON_Delete(j);
	j = parse_line(out, 1);
	cr_assert_str_eq(jstr(j, "msg"), "abc stays");
	cJSON_Delete(j);
	free(all);
	free(out);
}

Test(log, a_secret_cut_by_truncation_leaves_no_prefix_behind)
{
	cr_assert_eq(sb_log_add_secret("ZQXJ-very-secret-value"), SB_OK);
	stderr_begin();
	char *msg = malloc(SB_LOG_MSG_MAX + 100);
	memset(msg, 'a', SB_LOG_MSG_MAX - 6);
	snprintf(msg + SB_LOG_MSG_MAX - 6, 100, "%s", "ZQXJ-very-secret-value and more");
	sb_log_info("t", SB_NOFIELDS, "%s", msg);
	char field[SB_LOG_FIELD_MAX + 100];
	memset(field, 'f', SB_LOG_FIELD_MAX - 3);
	snprintf(field + SB_LOG_FIELD_MAX - 3, 100, "%s", "ZQXJ-very-secret-value");
	sb_log_info("t", SB_FIELDS(SB_F_STR("f", field)), "short");
	char *out = stderr_end();
	cr_assert_null(strstr(out, "ZQX"), "a prefix of the secret survived the cut");
	cJSON *j = parse_line(out, 0);
	const char *m = jstr(j, "msg");
	cr_assert_not_null(strstr(m, "[truncated from"));
	cr_assert_leq(strlen(m), SB_LOG_MSG_MAX + 40);
	cJSON_Delete(j);
	j = parse_line(out, 1);
	cr_assert_not_null(strstr(jstr(j, "f"), "[truncated from 4115 bytes]"));
	cJSON_Delete(j);
	free(msg);
	free(out);
}

Test(log, long_message_is_truncated_with_a_marker)
{
	stderr_begin();
	size_t n = 3 * SB_LOG_MSG_MAX;
	char *msg = malloc(n + 1);
	for (size_t i = 0; i < n; i++)
		msg[i] = "\"\\\n\x01"[i % 4]; /* the worst case for escaping */
	msg[n] = '\0';
	sb_log_info("t", SB_NOFIELDS, "%s", msg);
	char *out = stderr_end();
	cr_assert_eq(count_lines(out), 1);
	cr_assert_lt(strlen(out), SB_LOG_LINE_MAX);
	cJSON *j = parse_line(out, 0);
	const char *m = jstr(j, "msg");
	char want_tail[64];
	snprintf(want_tail, sizeof(want_tail), "...[truncated from %zu bytes]", n);
	cr_assert_eq(strlen(m), SB_LOG_MSG_MAX + strlen(want_tail));
	cr_assert_str_eq(m + SB_LOG_MSG_MAX, want_tail);
	cr_assert_eq(memcmp(m, msg, SB_LOG_MSG_MAX), 0);
	cJSON_Delete(j);
	free(msg);
	free(out);
}

Test(log, fields_that_do_not_fit_are_dropped_whole_and_counted)
{
	stderr_begin();
	static char big[SB_LOG_FIELD_MAX + 1];
	memset(big, '\x02', SB_LOG_FIELD_MAX); /* 6 bytes each once escaped: 24 KiB per field */
	sb_log_info("t",
	            SB_FIELDS(SB_F_STR("a", big), SB_F_STR("b", big), SB_F_STR("c", big), SB_F_STR("d", big),
	                      SB_F_STR("e", big), SB_F_STR("f", big), SB_F_STR("g", big),
	                      SB_F_INT("small", 1)),
	            "%s", "x");
	char *out = stderr_end();
	cr_assert_lt(strlen(out), SB_LOG_LINE_MAX + 1);
	cJSON *j = parse_line(out, 0);
	cr_assert_geq(jint(j, "log_dropped_fields"), 1);
	cr_assert_eq(jint(j, "small"), 1);
	cr_assert_eq(strlen(jstr(j, "a")), SB_LOG_FIELD_MAX);
	cJSON_Delete(j);
	free(out);
}

Test(log, quotes_backslashes_and_control_characters_are_escaped)
{
	stderr_begin();
	sb_log_info("comp\"\n", SB_FIELDS(SB_F_STR("k\"ey", "v\\al\r\n"), SB_F_STRN("nul", "a\0b", 3)),
	            "q\" b\\ n\n t\t c\x01 d\x1f e\x7f f\b g\f end");
	char *out = stderr_end();
	cr_assert_eq(count_lines(out), 1);
	cr_assert_not_null(strstr(out, "\\u0001"));
	cr_assert_not_null(strstr(out, "\\u001f"));
	cr_assert_not_null(strstr(out, "\\u007f"));
	cr_assert_not_null(strstr(out, "a\\u0000b"));
	cJSON *j = parse_line(out, 0);
	cr_assert_str_eq(jstr(j, "msg"), "q\" b\\ n\n t\t c\x01 d\x1f e\x7f f\b g\f end");
	cr_assert_str_eq(jstr(j, "component"), "comp\"\n");
	cr_assert_str_eq(jstr(j, "k\"ey"), "v\\al\r\n");
	cJSON_Delete(j);
	free(out);
}

Test(log, invalid_utf8_is_replaced_and_valid_utf8_kept)
{
	stderr_begin();
	sb_log_info(
	    "t", SB_NOFIELDS, "%s",
	    "ok \xE2\x82\xAC \xF0\x9F\x98\x80 | bad \xFF \xC3 \xC0\xAF \xED\xA0\x80 \xF4\x90\x80\x80 \xE2\x82 end");
	char *out = stderr_end();
	cJSON *j = parse_line(out, 0);
	cr_assert_str_eq(jstr(j, "msg"),
	                 "ok \xE2\x82\xAC \xF0\x9F\x98\x80 | bad \xEF\xBF\xBD \xEF\xBF\xBD "
	                 "\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD "
	                 "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end");
	cJSON_Delete(j);
	free(out);
}

/* Naive reference: decode one code point the long way; 0 when the bytes at p are not valid UTF-8. */
static size_t ref_utf8(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xE0) == 0xC0) {
		len = 2;
		cp = p[0] & 0x1F;
	} else if ((p[0] & 0xF0) == 0xE0) {
		len = 3;
		cp = p[0] & 0x0F;
	} else if ((p[0] & 0xF8) == 0xF0) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

/* The expected decoded string: invalid bytes become U+FFFD one byte at a time. */
static size_t ref_repair(const unsigned char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		size_t l = ref_utf8(in + i, n - i);
		if (l == 0) {
			memcpy(out + o, "\xEF\xBF\xBD", 3);
			o += 3;
			i++;
		} else {
			memcpy(out + o, in + i, l);
			o += l;
			i += l;
		}
	}
	out[o] = '\0';
	return o;
}

static bool ref_valid_utf8(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t l = ref_utf8((const unsigned char *)s + i, n - i);
		if (l == 0)
			return false;
		i += l;
	}
	return true;
}

Test(log, random_bytes_always_give_valid_json_in_valid_utf8)
{
	srand(42);
	cr_assert_eq(sb_log_add_secret("\xC3\xA9t\xC3\xA9!"),
	             SB_OK); /* redaction must not disturb the repair */
	for (int round = 0; round < 400; round++) {
		unsigned char in[200];
		size_t n = (size_t)(rand() % 199) + 1;
		for (size_t i = 0; i < n; i++) {
			int r = rand() % 10;
			/* Mostly bytes near UTF-8 boundaries, some ASCII, never NUL (cJSON strings stop
			 * there). */
			in[i] = (unsigned char)(r < 3   ? 0x80 + rand() % 0x80
			                        : r < 6 ? 0xC0 + rand() % 0x40
			                                : 1 + rand() % 0x7F);
		}
		in[n] = '\0';
		char want[700];
		ref_repair(in, n, want);
		stderr_begin();
		sb_log_info("fuzz", SB_FIELDS(SB_F_STRN("raw", (const char *)in, n)), "%s", (const char *)in);
		char *out = stderr_end();
		cr_assert(ref_valid_utf8(out, strlen(out)), "round %d: output is not UTF-8", round);
		cr_assert_eq(count_lines(out), 1, "round %d", round);
		cJSON *j = parse_line(out, 0);
		if (!strstr(out, "<redacted>")) {
			cr_assert_str_eq(jstr(j, "msg"), want, "round %d", round);
			cr_assert_str_eq(jstr(j, "raw"), want, "round %d", round);
		}
		cJSON_Delete(j);
		free(out);
	}
}

Test(log, full_disk_falls_back_to_stderr_with_one_notice)
{
	cr_assert_eq(symlink("/dev/full", path_in("spotbot.log")), 0);
	struct sb_log_opts o = opts_in_tmp();
	stderr_begin();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	for (int i = 0; i < 10; i++)
		sb_log_info("t", SB_FIELDS(SB_F_INT("seq", i)), "line %d", i);
	sb_log_warn("t", SB_NOFIELDS, "a warning");
	cr_assert(sb_log_degraded());
	char *out = stderr_end();
	cr_assert_eq(count_substr(out, "\"component\":\"log\""), 1, "%s", out);
	cr_assert_eq(count_lines(out), 12); /* the notice and every line, each once */
	cJSON *notice = parse_line(out, 0);
	cr_assert_str_eq(jstr(notice, "component"), "log");
	cr_assert_str_eq(jstr(notice, "level"), "error");
	cr_assert_str_eq(jstr(notice, "path"), path_in("spotbot.log"));
	cr_assert_str_eq(jstr(notice, "errno"), "No space left on device");
	cr_assert_not_null(strstr(jstr(notice, "msg"), path_in("spotbot.log")));
	cr_assert_not_null(strstr(jstr(notice, "msg"), "No space left on device"));
	cJSON_Delete(notice);
	for (int i = 0; i < 10; i++) {
		char want[32];
		snprintf(want, sizeof(want), "\"msg\":\"line %d\"", i);
		cr_assert_eq(count_substr(out, want), 1, "%s", want);
	}
	/* The error log is a separate file and kept working. */
	char *err = slurp(path_in("spotbot.error.log"), NULL);
	cr_assert_eq(count_lines(err), 1);
	cr_assert_not_null(strstr(err, "a warning"));
	free(err);
	free(out);
}

Test(log, failed_retries_on_a_still_full_disk_stay_quiet)
{
	cr_assert_eq(symlink("/dev/full", path_in("spotbot.log")), 0);
	struct sb_log_opts o = opts_in_tmp();
	o.retry_ms = 1;
	stderr_begin();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	/* Log for 30 ms of monotonic time, so dozens of reopen-and-write retries fail (bounded, no sleeping).
	 */
	uint64_t end = sb_clock_mono_ms() + 30;
	int lines = 0;
	for (; sb_clock_mono_ms() < end; lines++)
		sb_log_info("t", SB_FIELDS(SB_F_INT("seq", lines)), "line %d", lines);
	char *out = stderr_end();
	cr_assert(sb_log_degraded());
	cr_assert_eq(count_substr(out, "\"component\":\"log\""), 1);
	cr_assert_eq(count_lines(out), (size_t)lines + 1);
	free(out);
}

Test(log, a_write_cut_short_leaves_only_whole_lines_in_the_file)
{
	struct sb_log_opts o = opts_in_tmp();
	o.error_name = "";
	cr_assert_eq(sb_log_open(&o), SB_OK);
	/* A file size limit makes the kernel write part of the line that crosses it: a short write. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit rl = {.rlim_cur = 5000, .rlim_max = RLIM_INFINITY};
	stderr_begin();
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
	int i = 0;
	for (; i < 1000 && !sb_log_degraded(); i++)
		sb_log_info("t", SB_FIELDS(SB_F_INT("seq", i)), "line %d of a log that fills its file", i);
	char *out = stderr_end();
	cr_assert(sb_log_degraded());
	size_t len;
	char *file = slurp(path_in("spotbot.log"), &len);
	cr_assert_gt(len, 4000);
	cr_assert_leq(len, 5000);
	cr_assert_eq(file[len - 1], '\n', "the file ends in a partial line");
	size_t n = count_lines(file);
	for (size_t k = 0; k < n; k++) {
		cJSON *j = parse_line(file, k);
		cr_assert_eq(jint(j, "seq"), (int64_t)k);
		cJSON_Delete(j);
	}
	/* The line that did not fit went to stderr, after the notice. */
	cr_assert_eq((size_t)i, n + 1);
	cJSON *j = parse_line(out, 1);
	cr_assert_eq(jint(j, "seq"), (int64_t)n);
	cJSON_Delete(j);
	free(file);
	free(out);
}

Test(log, log_file_is_used_again_once_it_works)
{
	cr_assert_eq(symlink("/dev/full", path_in("spotbot.log")), 0);
	struct sb_log_opts o = opts_in_tmp();
	o.retry_ms = 1;
	stderr_begin();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	sb_log_info("t", SB_NOFIELDS, "lost to stderr");
	cr_assert(sb_log_degraded());
	cr_assert_eq(unlink(path_in("spotbot.log")), 0); /* space again */
	/* Retries are timed by the monotonic clock; keep logging until one is due (bounded, no sleeping). */
	uint64_t deadline = sb_clock_mono_ms() + 5000;
	int i = 0;
	while (sb_log_degraded() && sb_clock_mono_ms() < deadline)
		sb_log_info("t", SB_FIELDS(SB_F_INT("i", i++)), "retrying");
	cr_assert_not(sb_log_degraded());
	sb_log_info("t", SB_NOFIELDS, "back in the file");
	char *out = stderr_end();
	char *file = slurp(path_in("spotbot.log"), NULL);
	cr_assert_eq(count_substr(out, "\"errno\":\"No space left on device\""), 1);
	cr_assert_not_null(strstr(file, "works again"));
	cr_assert_not_null(strstr(file, "back in the file"));
	cr_assert_null(strstr(file, "lost to stderr"));
	cr_assert_not_null(strstr(out, "lost to stderr"));
	for (size_t k = 0; k < count_lines(file); k++)
		cJSON_Delete(parse_line(file, k));
	free(out);
	free(file);
}

Test(log, unusable_directory_falls_back_to_stderr_and_keeps_logging)
{
	FILE *f = fopen(path_in("plainfile"), "w");
	fclose(f);
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/logs", path_in("plainfile"));
	struct sb_log_opts o = opts_in_tmp();
	o.dir = dir;
	stderr_begin();
	cr_assert_eq(sb_log_open(&o), SB_OK);
	for (int i = 0; i < 5; i++)
		sb_log_warn("t", SB_NOFIELDS, "still here %d", i);
	sb_log_reopen(); /* a retry that fails again stays quiet */
	sb_log_info("t", SB_NOFIELDS, "after reopen");
	cr_assert(sb_log_degraded());
	char *out = stderr_end();
	cr_assert_eq(count_substr(out, "\"component\":\"log\""), 1, "%s", out);
	cr_assert_eq(count_lines(out), 7);
	for (int i = 0; i < 5; i++) {
		char want[32];
		snprintf(want, sizeof(want), "still here %d", i);
		cr_assert_eq(count_substr(out, want), 1, "%s", want); /* once, though both files failed */
	}
	cJSON *notice = parse_line(out, 0);
	cr_assert_str_eq(jstr(notice, "path"), dir);
	cr_assert_str_eq(jstr(notice, "errno"), "Not a directory");
	cr_assert_not_null(strstr(jstr(notice, "msg"), dir));
	cJSON_Delete(notice);
	free(out);
}

Test(log, missing_directory_is_created)
{
	struct sb_log_opts o = opts_in_tmp();
	o.dir = path_in("a/b/c");
	cr_assert_eq(sb_log_open(&o), SB_OK);
	sb_log_info("t", SB_NOFIELDS, "hello");
	sb_log_close();
	char *text = slurp(path_in("a/b/c/spotbot.log"), NULL);
	cr_assert_eq(count_lines(text), 1);
	free(text);
}

/*
 * Tests for the configuration module (src/common/config*.c): every value type with its bounds, the .env
 * syntax, every error message with its FILE:LINE and key, the environment winning over the file, the
 * permission check, MODE rules, redaction of secrets, and agreement of .env.example and the docs with the
 * options table.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cli/cli.h"
#include "common/config_int.h"
#include "sbtest_keys.h"
#include "spotbot/bot.h"
#include "spotbot/config.h"

static char *const no_env[] = {NULL};

/* Captured error output of one load. */
struct result {
	sb_err err;    /* what the load returned */
	char *errors;  /* everything written to the error stream (malloc'd) */
	size_t nlines; /* number of lines in errors */
};

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* Loads text as if it were the file `name`, with env over it. */
static struct result load_text(struct sb_config *cfg, const char *name, const char *text, size_t len,
                               char *const *env)
{
	struct result r;
	size_t size;
	FILE *f = open_memstream(&r.errors, &size);
	cr_assert_not_null(f);
	r.err = sb_config_load_buffer(cfg, name, text, len, env, f);
	fclose(f);
	r.nlines = count_lines(r.errors);
	return r;
}

static struct result load_str(struct sb_config *cfg, const char *text, char *const *env)
{
	return load_text(cfg, "t.env", text, strlen(text), env);
}

static const char *source_dir(void)
{
	const char *d = getenv("SB_SOURCE_DIR");
	return d && *d ? d : ".";
}

/* Reads a whole file into a malloc'd NUL-terminated buffer. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* Loads tests/data/config/<name> through the buffer entry point (git does not keep mode 0600). */
static struct result load_data(struct sb_config *cfg, const char *name, char *const *env)
{
	char path[4096];
	size_t len;
	snprintf(path, sizeof path, "%s/tests/data/config/%s", source_dir(), name);
	char *text = read_file(path, &len);
	struct result r = load_text(cfg, name, text, len, env);
	free(text);
	return r;
}

static void assert_ok(const struct result *r)
{
	cr_assert_eq(r->err, SB_OK, "load failed:\n%s", r->errors);
	cr_assert_eq(r->nlines, 0);
}

/* Loads one KEY=VALUE line and expects exactly one error line equal to want. */
static void expect_error(const char *line, const char *want)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, line, no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG, "%s was accepted", line);
	cr_assert_eq(r.nlines, 1, "for %s:\n%s", line, r.errors);
	cr_assert_str_eq(r.errors, want);
	free(r.errors);
	sb_config_fini(&cfg);
}

/* A fresh private directory for tests that touch the file system. */
static char *temp_dir(void)
{
	char *d = strdup("/tmp/sb_config_XXXXXX");
	cr_assert_not_null(mkdtemp(d));
	return d;
}

static char *write_temp(const char *dir, const char *name, const char *text, mode_t mode)
{
	size_t cap = strlen(dir) + strlen(name) + 2;
	char *path = malloc(cap);
	snprintf(path, cap, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert(fd >= 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	cr_assert_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* ---- defaults and the table ---- */

Test(config, defaults_are_the_documented_paper_setup)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	cr_assert_eq(cfg.mode, SB_MODE_PAPER);
	cr_assert_str_eq(cfg.binance_api_key, "spotsim-demo-key");
	cr_assert_str_eq(cfg.binance_api_secret, "spotsim-demo-secret");
	cr_assert_str_eq(cfg.binance_rest_url, "http://127.0.0.1:9090");
	cr_assert_str_eq(cfg.binance_stream_url, "ws://127.0.0.1:9090");
	cr_assert_str_eq(cfg.binance_wsapi_url, "ws://127.0.0.1:9090/ws-api/v3");
	cr_assert_str_eq(cfg.binance_ca_file, "");
	cr_assert_eq(cfg.recv_window_ms, 5000);
	cr_assert_str_eq(cfg.database_path, "./spotbot.db");
	cr_assert_str_eq(cfg.log_dir, "./logs");
	cr_assert_eq(cfg.log_level, SB_CONFIG_LOG_INFO);
	cr_assert_eq(cfg.log_max_bytes, 10 * 1024 * 1024);
	cr_assert_eq(cfg.log_keep, 5);
	cr_assert_eq(cfg.log_stderr, true);
	cr_assert_str_eq(cfg.control_listen, "127.0.0.1:8089");
	cr_assert_str_eq(cfg.control_token, "");
	cr_assert_str_eq(cfg.pairs, "");
	cr_assert_str_eq(cfg.alert_webhook_url, "");
	cr_assert_eq(cfg.alert_webhook_format, SB_CONFIG_ALERT_GENERIC);
	cr_assert_eq(cfg.allow_insecure_config, false);
	cr_assert_null(cfg.path);
	sb_config_fini(&cfg);
	sb_config_fini(&cfg); /* harmless twice */
	sb_config_fini(NULL);
}

Test(config, table_rows_are_consistent)
{
	size_t n;
	const struct sb_option *opts = sb_config_options(&n);
	cr_assert_geq(n, 20);
	for (size_t i = 0; i < n; i++) {
		const struct sb_option *o = &opts[i];
		union sb__config_value v;
		char why[256];
		cr_assert_eq(sb_config_option(o->name), o);
		cr_assert_gt(strlen(o->help), 10, "%s has no help", o->name);
		cr_assert_eq(o->type == SB_OPT_ENUM, o->names != NULL, "%s", o->name);
		cr_assert_eq(sb__config_parse(o, o->def, strlen(o->def), &v, why, sizeof why), SB_OK,
		             "%s: %s", o->name, why);
		if (sb__config_is_string(o))
			free(v.s);
		if (o->def_live) {
			cr_assert(o->flags & SB_OPT_BY_MODE);
			cr_assert_eq(
			    sb__config_parse(o, o->def_live, strlen(o->def_live), &v, why, sizeof why), SB_OK,
			    "%s: %s", o->name, why);
			free(v.s);
		}
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(o->name, opts[j].name);
	}
	cr_assert_null(sb_config_option("mode"));
	cr_assert_null(sb_config_option(NULL));
}

/* ---- value types ---- */

/* Parses v as a value of a synthetic option of the given type and bounds. */
static sb_err parse_as(enum sb_opt_type type, int64_t lo, int64_t hi, const char *v, int64_t *out, char *why)
{
	struct sb_option o = {"X", type, 0, "", NULL, lo, hi, NULL, 0, "test"};
	union sb__config_value val;
	sb_err err = sb__config_parse(&o, v, strlen(v), &val, why, 256);
	if (err == SB_OK && out)
		*out = type == SB_OPT_BOOL ? (int64_t)val.b : val.i;
	if (err == SB_OK && sb__config_is_string(&o))
		free(val.s);
	return err;
}

Test(config, int_parses_signed_decimal_and_enforces_bounds)
{
	int64_t v;
	char why[256];
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "-42", &v, why), SB_OK);
	cr_assert_eq(v, -42);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "+7", &v, why), SB_OK);
	cr_assert_eq(v, 7);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "9223372036854775807", &v, why), SB_OK);
	cr_assert_eq(v, INT64_MAX);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "9223372036854775808", &v, why), SB_ERR_PARSE);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, " 5", &v, why), SB_ERR_PARSE);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "5 ", &v, why), SB_ERR_PARSE);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "0x10", &v, why), SB_ERR_PARSE);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 0, "-", &v, why), SB_ERR_PARSE);
	cr_assert_str_eq(why, "not an integer");
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 10, "10", &v, why), SB_OK);
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 10, "11", &v, why), SB_ERR_RANGE);
	cr_assert_str_eq(why, "out of range 1..10");
	cr_assert_eq(parse_as(SB_OPT_INT, 1, 10, "0", &v, why), SB_ERR_RANGE);

	expect_error("RECV_WINDOW_MS=60001\n",
	             "t.env:1: RECV_WINDOW_MS: out of range 1..60000 (got '60001')\n");
	expect_error("LOG_KEEP=3.5", "t.env:1: LOG_KEEP: not an integer (got '3.5')\n");
}

Test(config, bool_accepts_the_six_spellings_in_any_case)
{
	const char *yes[] = {"1", "true", "TRUE", "yes", "Yes", "on"};
	const char *no[] = {"0", "false", "False", "no", "NO", "off"};
	int64_t v;
	char why[256];
	for (size_t i = 0; i < 6; i++) {
		cr_assert_eq(parse_as(SB_OPT_BOOL, 1, 0, yes[i], &v, why), SB_OK);
		cr_assert_eq(v, 1, "%s", yes[i]);
		cr_assert_eq(parse_as(SB_OPT_BOOL, 1, 0, no[i], &v, why), SB_OK);
		cr_assert_eq(v, 0, "%s", no[i]);
	}
	cr_assert_eq(parse_as(SB_OPT_BOOL, 1, 0, "2", &v, why), SB_ERR_PARSE);
	cr_assert_eq(parse_as(SB_OPT_BOOL, 1, 0, "truee", &v, why), SB_ERR_PARSE);
	expect_error(
	    "LOG_STDERR=y",
	    "t.env:1: LOG_STDERR: not a boolean (use 1/0, true/false, yes/no or on/off) (got 'y')\n");
}

Test(config, enum_matches_names_and_lists_them_on_error)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "LOG_LEVEL=WARN\nALERT_WEBHOOK_FORMAT=telegram\n", no_env);
	assert_ok(&r);
	cr_assert_eq(cfg.log_level, SB_CONFIG_LOG_WARN);
	cr_assert_eq(cfg.alert_webhook_format, SB_CONFIG_ALERT_TELEGRAM);
	free(r.errors);
	sb_config_fini(&cfg);
	expect_error("MODE=real", "t.env:1: MODE: must be one of paper, live (got 'real')\n");
	expect_error(
	    "ALERT_WEBHOOK_FORMAT=teams",
	    "t.env:1: ALERT_WEBHOOK_FORMAT: must be one of generic, slack, discord, telegram (got 'teams')\n");
}

Test(config, duration_units_and_bare_seconds)
{
	int64_t v;
	char why[256];
	struct {
		const char *text;
		int64_t ms;
	} ok[] = {{"500ms", 500},   {"60s", 60000}, {"5m", 300000}, {"2h", 7200000},
	          {"1d", 86400000}, {"30", 30000},  {"0", 0}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		cr_assert_eq(parse_as(SB_OPT_DURATION, 1, 0, ok[i].text, &v, why), SB_OK, "%s", ok[i].text);
		cr_assert_eq(v, ok[i].ms, "%s", ok[i].text);
	}
	const char *bad[] = {"", "s", "5 s", "5S", "1.5s", "-1s", "5w", "5mss", "106751991167301d"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_neq(parse_as(SB_OPT_DURATION, 1, 0, bad[i], &v, why), SB_OK, "%s accepted", bad[i]);
	cr_assert_eq(parse_as(SB_OPT_DURATION, 1000, 3600000, "999ms", &v, why), SB_ERR_RANGE);
	cr_assert_str_eq(why, "out of range 1s..1h");
	cr_assert_eq(parse_as(SB_OPT_DURATION, 1000, 3600000, "1h", &v, why), SB_OK);
	cr_assert_eq(parse_as(SB_OPT_DURATION, 1000, 3600000, "61m", &v, why), SB_ERR_RANGE);
}

Test(config, size_units_are_binary_multiples_and_bounded)
{
	int64_t v;
	char why[256];
	struct {
		const char *text;
		int64_t bytes;
	} ok[] = {{"65536", 65536},  {"64k", 65536},     {"64K", 65536},
	          {"10M", 10485760}, {"1G", 1073741824}, {"1g", 1073741824}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		cr_assert_eq(parse_as(SB_OPT_SIZE, 1, 0, ok[i].text, &v, why), SB_OK, "%s", ok[i].text);
		cr_assert_eq(v, ok[i].bytes, "%s", ok[i].text);
	}
	const char *bad[] = {"k", "10MB", "1.5M", "-1k", "10T", "99999999999G"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_neq(parse_as(SB_OPT_SIZE, 1, 0, bad[i], &v, why), SB_OK, "%s accepted", bad[i]);

	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "LOG_MAX_BYTES=1G\n", no_env);
	assert_ok(&r);
	cr_assert_eq(cfg.log_max_bytes, 1073741824);
	free(r.errors);
	sb_config_fini(&cfg);
	expect_error("LOG_MAX_BYTES=65535", "t.env:1: LOG_MAX_BYTES: out of range 64k..1G (got '65535')\n");
	expect_error("LOG_MAX_BYTES=1025M", "t.env:1: LOG_MAX_BYTES: out of range 64k..1G (got '1025M')\n");
	expect_error("LOG_MAX_BYTES=10MB",
	             "t.env:1: LOG_MAX_BYTES: not a size (use e.g. 65536, 64k, 10M, 1G) (got '10MB')\n");
}

Test(config, decimal_uses_sb_dec_with_bounds)
{
	int64_t v;
	char why[256];
	cr_assert_eq(parse_as(SB_OPT_DECIMAL, 0, SB_DEC_ONE, "0.005", &v, why), SB_OK);
	cr_assert_eq(v, SB_DEC_C(0, 500000));
	cr_assert_eq(parse_as(SB_OPT_DECIMAL, 0, SB_DEC_ONE, "1.00000001", &v, why), SB_ERR_RANGE);
	cr_assert_str_eq(why, "out of range 0..1");
	cr_assert_eq(parse_as(SB_OPT_DECIMAL, 0, SB_DEC_ONE, "-0.1", &v, why), SB_ERR_RANGE);
	cr_assert_eq(parse_as(SB_OPT_DECIMAL, 0, SB_DEC_ONE, "1e-3", &v, why), SB_ERR_PARSE);
	cr_assert_eq(parse_as(SB_OPT_DECIMAL, 0, SB_DEC_ONE, "0.123456789", &v, why), SB_ERR_PRECISION);
	cr_assert_str_eq(why, "more than 8 decimal places");
}

Test(config, url_needs_a_known_scheme_and_a_host)
{
	char why[256];
	const char *ok[] = {"http://127.0.0.1:9090", "https://api.binance.com", "ws://[::1]:9090/ws",
	                    "wss://user:pw@host.example:443/path?q=1", "HTTPS://Example.com"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert_eq(parse_as(SB_OPT_URL, 1, 0, ok[i], NULL, why), SB_OK, "%s: %s", ok[i], why);
	const char *bad[] = {"ftp://host",    "127.0.0.1:9090",    "http://",       "http:///path",
	                     "http://host:0", "http://host:65536", "http://host:x", "http://ho st",
	                     "http://[::1",   "https://host\t"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_neq(parse_as(SB_OPT_URL, 1, 0, bad[i], NULL, why), SB_OK, "%s accepted", bad[i]);
	expect_error(
	    "BINANCE_REST_URL=http://",
	    "t.env:1: BINANCE_REST_URL: has no valid host[:port] after the scheme (got 'http://')\n");
	expect_error("BINANCE_STREAM_URL=", "t.env:1: BINANCE_STREAM_URL: must not be empty\n");
}

Test(config, each_url_takes_the_schemes_its_client_speaks)
{
	/* A stream URL its WebSocket client cannot open was accepted, then the stream never started. */
	expect_error(
	    "BINANCE_STREAM_URL=http://127.0.0.1:9090",
	    "t.env:1: BINANCE_STREAM_URL: must start with ws:// or wss:// (got 'http://127.0.0.1:9090')\n");
	expect_error("BINANCE_WSAPI_URL=https://127.0.0.1:9090/ws-api/v3",
	             "t.env:1: BINANCE_WSAPI_URL: must start with ws:// or wss:// (got "
	             "'https://127.0.0.1:9090/ws-api/v3')\n");
	expect_error(
	    "BINANCE_REST_URL=WS://127.0.0.1:9090",
	    "t.env:1: BINANCE_REST_URL: must start with http:// or https:// (got 'WS://127.0.0.1:9090')\n");
	expect_error("ALERT_WEBHOOK_URL=wss://hooks.example/x",
	             "t.env:1: ALERT_WEBHOOK_URL: must start with http:// or https:// (value not shown: "
	             "ALERT_WEBHOOK_URL is secret)\n");
}

Test(config, listen_accepts_host_port_v6_and_unix_paths)
{
	char why[256];
	const char *ok[] = {"127.0.0.1:8089", "0.0.0.0:1", "localhost:65535", "[::1]:8089",
	                    "unix:/run/spotbot.sock"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_assert_eq(parse_as(SB_OPT_LISTEN, 1, 0, ok[i], NULL, why), SB_OK, "%s: %s", ok[i], why);
	const char *bad[] = {"localhost", ":8089", "host:0", "host:65536",         "host:",
	                     "::1:80",    "[::1]", "unix:",  "unix:relative.sock", "unix:/",
	                     "host:80 "};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_neq(parse_as(SB_OPT_LISTEN, 1, 0, bad[i], NULL, why), SB_OK, "%s accepted", bad[i]);
	char longpath[200] = "unix:/";
	memset(longpath + 6, 'a', 150);
	cr_assert_eq(parse_as(SB_OPT_LISTEN, 1, 0, longpath, NULL, why), SB_ERR_PARSE);
	expect_error("CONTROL_LISTEN=8089",
	             "t.env:1: CONTROL_LISTEN: not a listen address (use host:port with port "
	             "1..65535, [v6]:port or unix:/path) (got '8089')\n");
}

/* ---- .env syntax ---- */

Test(config, dotenv_syntax_quotes_comments_export_and_blanks)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_data(&cfg, "good.env", no_env);
	assert_ok(&r);
	cr_assert_eq(cfg.log_level, SB_CONFIG_LOG_DEBUG);
	cr_assert_eq(cfg.recv_window_ms, 6000);
	cr_assert_str_eq(cfg.database_path, "/var/lib/spotbot/bot #1.db");
	cr_assert_str_eq(cfg.log_dir, "/var/log/spot\"bot\\");
	cr_assert_eq(cfg.log_max_bytes, 65536);
	cr_assert_eq(cfg.log_keep, 100);
	cr_assert_eq(cfg.log_stderr, false);
	cr_assert_str_eq(cfg.control_listen, "unix:/run/spotbot.sock");
	cr_assert_str_eq(cfg.control_token, "tok#en-kept-because-no-blank-before-hash");
	cr_assert_str_eq(cfg.pairs,
	                 "BTCUSDT:quote=20,profit=0.5%;ETHUSDT:quote=15,profit=0.8%,buy_timeout=60s");
	cr_assert_str_eq(cfg.alert_webhook_url, "https://hooks.slack.example/services/T000/B000/XXXX");
	cr_assert_eq(cfg.alert_webhook_format, SB_CONFIG_ALERT_SLACK);
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, single_quotes_are_literal_and_double_quotes_unescape)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg,
	                           "PAIRS='a \\n \"b\" # not a comment'  # a comment\n"
	                           "LOG_DIR=\"line1\\nline2 'q' # kept\"\n"
	                           "DATABASE_PATH=   x y   \t# comment\n"
	                           "export\tBINANCE_CA_FILE=\"\"\n"
	                           "\t# indented comment\n"
	                           "   \n"
	                           "CONTROL_TOKEN=a=b=c\n",
	                           no_env);
	assert_ok(&r);
	cr_assert_str_eq(cfg.pairs, "a \\n \"b\" # not a comment");
	cr_assert_str_eq(cfg.log_dir, "line1\nline2 'q' # kept");
	cr_assert_str_eq(cfg.database_path, "x y");
	cr_assert_str_eq(cfg.binance_ca_file, "");
	cr_assert_str_eq(cfg.control_token, "a=b=c");
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, crlf_line_endings_and_missing_final_newline_are_accepted)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_data(&cfg, "crlf.env", no_env);
	assert_ok(&r);
	cr_assert_eq(cfg.log_keep, 7);
	free(r.errors);
	r = load_str(&cfg, "LOG_KEEP=9", no_env);
	assert_ok(&r);
	cr_assert_eq(cfg.log_keep, 9);
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, quoting_errors_name_line_and_key)
{
	expect_error("\n\nPAIRS=\"abc", "t.env:3: PAIRS: unterminated double quote\n");
	expect_error("PAIRS='abc", "t.env:1: PAIRS: unterminated single quote\n");
	expect_error("PAIRS=\"abc\\\"", "t.env:1: PAIRS: unterminated double quote\n");
	expect_error("PAIRS=\"a\\tb\"",
	             "t.env:1: PAIRS: unsupported escape in double quotes (only \\\" \\\\ and \\n)\n");
	expect_error("PAIRS='a' b", "t.env:1: PAIRS: unexpected text after the closing quote\n");
	expect_error("PAIRS=\"a\"b", "t.env:1: PAIRS: unexpected text after the closing quote\n");
}

Test(config, malformed_lines_are_reported_without_echoing_them)
{
	expect_error("# ok\nsecretvalue-without-equals\n", "t.env:2: expected KEY=VALUE\n");
	expect_error("BAD KEY=secretvalue\n",
	             "t.env:1: invalid key (letters, digits and '_', not starting with a digit)\n");
	expect_error("9LIVES=1\n",
	             "t.env:1: invalid key (letters, digits and '_', not starting with a digit)\n");
	expect_error("=value\n",
	             "t.env:1: invalid key (letters, digits and '_', not starting with a digit)\n");
	expect_error("BINANCE_API_SECRTE=s3cr3t-value\n", "t.env:1: BINANCE_API_SECRTE: unknown key\n");
	expect_error("Log_Level=debug\n", "t.env:1: Log_Level: unknown key (did you mean LOG_LEVEL?)\n");
	expect_error("exportMODE=live\n", "t.env:1: exportMODE: unknown key\n");
}

Test(config, long_lines_and_nul_bytes_are_errors_naming_the_line)
{
	char *text = malloc(SB_CONFIG_MAX_LINE + 64);
	size_t n = (size_t)snprintf(text, SB_CONFIG_MAX_LINE + 64, "MODE=paper\nPAIRS=");
	memset(text + n, 'A', SB_CONFIG_MAX_LINE);
	n += SB_CONFIG_MAX_LINE;
	n += (size_t)snprintf(text + n, SB_CONFIG_MAX_LINE + 64 - n, "\nLOG_KEEP=3\n");
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_text(&cfg, "t.env", text, n, no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(r.errors, "t.env:2: line longer than 4096 bytes\n");
	cr_assert_eq(cfg.log_keep, 3, "the lines after a long one are still read");
	free(r.errors);

	/* Exactly 4096 bytes is accepted. */
	n = (size_t)snprintf(text, SB_CONFIG_MAX_LINE + 64, "PAIRS=");
	memset(text + n, 'B', SB_CONFIG_MAX_LINE - n);
	r = load_text(&cfg, "t.env", text, SB_CONFIG_MAX_LINE, no_env);
	assert_ok(&r);
	cr_assert_eq(strlen(cfg.pairs), SB_CONFIG_MAX_LINE - 6);
	free(r.errors);
	free(text);

	static const char nul[] = "LOG_KEEP=4\nPAIRS=a\0b\nLOG_KEEP=5\n";
	r = load_text(&cfg, "t.env", nul, sizeof nul - 1, no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(
	    r.errors, "t.env:2: NUL byte in line\nt.env:3: LOG_KEEP: duplicate key; first set on line 1\n");
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, duplicate_key_names_both_lines_and_keeps_the_first)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "LOG_KEEP=3\n\n# x\nexport LOG_KEEP=4\n", no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(r.errors, "t.env:4: LOG_KEEP: duplicate key; first set on line 1\n");
	cr_assert_eq(cfg.log_keep, 3);
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, every_error_of_a_file_is_reported_not_just_the_first)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_data(&cfg, "bad.env", no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	const char *want[] = {
	    "bad.env:2: RECV_WINDOW_MS: out of range 1..60000 (got '0')\n",
	    "bad.env:3: LOG_KEEP: not an integer (got 'ten')\n",
	    "bad.env:4: LOG_STDERR: not a boolean (use 1/0, true/false, yes/no or on/off) (got 'maybe')\n",
	    "bad.env:5: LOG_LEVEL: must be one of debug, info, warn, error (got 'verbose')\n",
	    "bad.env:6: LOG_MAX_BYTES: out of range 64k..1G (got '2G')\n",
	    "bad.env:8: MODE: duplicate key; first set on line 7\n",
	    "bad.env:9: NOT_AN_OPTION: unknown key\n",
	    "bad.env:10: invalid key (letters, digits and '_', not starting with a digit)\n",
	    "bad.env:11: expected KEY=VALUE\n",
	    "bad.env:12: BINANCE_REST_URL: must start with http://, https://, ws:// or wss:// (got 'ftp://127.0.0.1')\n",
	    "bad.env:13: CONTROL_LISTEN: not a listen address (use host:port with port 1..65535, [v6]:port or "
	    "unix:/path) (got 'localhost')\n",
	    "bad.env:14: ALERT_WEBHOOK_URL: must start with http://, https://, ws:// or wss:// (value not shown: "
	    "ALERT_WEBHOOK_URL is secret)\n",
	    "bad.env:15: DATABASE_PATH: unterminated double quote\n",
	    "bad.env:16: LOG_DIR: unexpected text after the closing quote\n",
	    "bad.env:17: ALLOW_INSECURE_CONFIG: is only read from the environment (the file cannot vouch for its "
	    "own permissions)\n",
	    "bad.env:18: log_keep: unknown key (did you mean LOG_KEEP?)\n",
	};
	size_t n = sizeof want / sizeof want[0];
	char *p = r.errors;
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(strncmp(p, want[i], strlen(want[i])), 0, "line %zu: want\n%sgot\n%s", i, want[i],
		             p);
		p += strlen(want[i]);
	}
	cr_assert_str_eq(p, "");
	cr_assert_eq(r.nlines, n);
	cr_assert_null(strstr(r.errors, "hunter2"), "an unknown key's value was echoed");
	cr_assert_null(strstr(r.errors, "supersecret"), "a secret was echoed");
	cr_assert_eq(cfg.allow_insecure_config, false);
	free(r.errors);
	sb_config_fini(&cfg);
}

/* ---- environment ---- */

Test(config, environment_overrides_the_file_and_unknown_variables_are_ignored)
{
	char *env[] = {"PATH=/usr/bin",      "LOG_LEVEL=error", "HOME=/root",
	               "SOMETHING_ELSE=x y", "LOG_KEEP=8",      "LOG_KEEP=9",
	               "NOEQUALS",           "PAIRS= spaced ",  NULL};
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "LOG_LEVEL=debug\nLOG_KEEP=2\nLOG_DIR=/tmp/x\n", env);
	assert_ok(&r);
	cr_assert_eq(cfg.log_level, SB_CONFIG_LOG_ERROR);
	cr_assert_eq(cfg.log_keep, 8, "the first of duplicate environment entries wins, as with getenv");
	cr_assert_str_eq(cfg.log_dir, "/tmp/x");
	cr_assert_str_eq(cfg.pairs, " spaced ", "environment values are taken literally");
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, environment_errors_say_environment)
{
	char *env[] = {"LOG_KEEP=0", "CONTROL_TOKEN=", "ALERT_WEBHOOK_URL=not-a-url-SECRETTOKEN",
	               "MODE=", NULL};
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_text(&cfg, NULL, NULL, 0, env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(r.errors,
	                 "environment: LOG_KEEP: out of range 1..100 (got '0')\n"
	                 "environment: ALERT_WEBHOOK_URL: must start with http://, https://, ws:// or wss:// "
	                 "(value not shown: ALERT_WEBHOOK_URL is secret)\n"
	                 "environment: MODE: must not be empty\n");
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, overlong_environment_value_is_an_error)
{
	char *big = malloc(SB_CONFIG_MAX_LINE + 16);
	memcpy(big, "PAIRS=", 6);
	memset(big + 6, 'x', SB_CONFIG_MAX_LINE + 1);
	big[6 + SB_CONFIG_MAX_LINE + 1] = '\0';
	char *env[] = {big, NULL};
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_text(&cfg, NULL, NULL, 0, env);
	cr_assert_str_eq(r.errors, "environment: PAIRS: value longer than 4096 bytes\n");
	free(r.errors);
	free(big);
	sb_config_fini(&cfg);
}

/* ---- MODE rules ---- */

Test(config, live_mode_requires_key_and_secret)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "# live\nMODE=live\n", no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(r.errors,
	                 "t.env: BINANCE_API_KEY: required when MODE=live (MODE=live from t.env:2)\n"
	                 "t.env: BINANCE_API_SECRET: required when MODE=live unless "
	                 "BINANCE_PRIVATE_KEY_FILE is set (MODE=live from t.env:2)\n");
	free(r.errors);
	sb_config_fini(&cfg);

	char *env[] = {"MODE=live", "BINANCE_API_KEY=k", NULL};
	sb_config_init(&cfg);
	r = load_text(&cfg, NULL, NULL, 0, env);
	cr_assert_str_eq(
	    r.errors,
	    "environment: BINANCE_API_SECRET: required when MODE=live unless BINANCE_PRIVATE_KEY_FILE is "
	    "set (MODE=live from the environment)\n");
	free(r.errors);
	sb_config_fini(&cfg);

	/* An explicitly empty key is an error in either mode. */
	expect_error("BINANCE_API_KEY=", "t.env:1: BINANCE_API_KEY: must not be empty\n");
}

Test(config, paper_mode_wants_the_api_key_and_its_secret_together)
{
	expect_error(
	    "BINANCE_API_KEY=my-key\n",
	    "t.env:1: BINANCE_API_KEY: set without BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE; in "
	    "paper mode give the key together with its secret or key file, or neither to use spotsim's "
	    "demo account\n");
	expect_error("MODE=paper\nBINANCE_API_SECRET=my-secret\n",
	             "t.env:2: BINANCE_API_SECRET: set without BINANCE_API_KEY; in paper mode give the key "
	             "together with its secret or key file, or neither to use spotsim's demo account\n");
	/* From the environment, the message says so. */
	struct sb_config cfg;
	char *env[] = {"BINANCE_API_KEY=my-key", NULL};
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "", env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_eq(strncmp(r.errors, "environment: BINANCE_API_KEY: set without", 41), 0, "%s", r.errors);
	cr_assert_null(strstr(r.errors, "my-key"), "a secret leaked: %s", r.errors);
	free(r.errors);
	sb_config_fini(&cfg);
	/* Both halves, or neither (the demo account), load. */
	sb_config_init(&cfg);
	r = load_str(&cfg, "BINANCE_API_KEY=my-key\nBINANCE_API_SECRET=my-secret\n", no_env);
	assert_ok(&r);
	free(r.errors);
	cr_assert_str_eq(cfg.binance_api_secret, "my-secret");
	sb_config_fini(&cfg);
	sb_config_init(&cfg);
	r = load_str(&cfg, "MODE=paper\n", no_env);
	assert_ok(&r);
	free(r.errors);
	cr_assert_str_eq(cfg.binance_api_key, "spotsim-demo-key");
	cr_assert_str_eq(cfg.binance_api_secret, "spotsim-demo-secret");
	sb_config_fini(&cfg);
}

Test(config, live_mode_uses_the_real_exchange_urls_by_default)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_data(&cfg, "live.env", no_env);
	assert_ok(&r);
	cr_assert_eq(cfg.mode, SB_MODE_LIVE);
	cr_assert_str_eq(cfg.binance_api_key, "live-key-AAAAAAAAAAAAAAAAAAAA");
	cr_assert_str_eq(cfg.binance_rest_url, "https://api.binance.com");
	cr_assert_str_eq(cfg.binance_stream_url, "wss://stream.binance.com:9443");
	cr_assert_str_eq(cfg.binance_wsapi_url, "wss://ws-api.binance.com:443/ws-api/v3");
	free(r.errors);
	sb_config_fini(&cfg);

	/* An explicit URL is kept in live mode, e.g. spotsim behind TLS. */
	char *env[] = {"BINANCE_REST_URL=https://127.0.0.1:9443", NULL};
	sb_config_init(&cfg);
	r = load_data(&cfg, "live.env", env);
	assert_ok(&r);
	cr_assert_str_eq(cfg.binance_rest_url, "https://127.0.0.1:9443");
	cr_assert_str_eq(cfg.binance_stream_url, "wss://stream.binance.com:9443");
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, paper_mode_rejects_binance_com_urls)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	char *env[] = {"BINANCE_STREAM_URL=wss://stream.binance.com:9443", NULL};
	struct result r = load_data(&cfg, "paper-binance.env", env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(
	    r.errors, "paper-binance.env:2: BINANCE_REST_URL: points at api.binance.com, but MODE=paper "
	              "must never reach the real exchange\n"
	              "environment: BINANCE_STREAM_URL: points at stream.binance.com, but MODE=paper must "
	              "never reach the real exchange\n"
	              "paper-binance.env:3: BINANCE_WSAPI_URL: points at WS-API.Binance.COM., but MODE=paper "
	              "must never reach the real exchange\n");
	free(r.errors);
	sb_config_fini(&cfg);

	cr_assert(sb__config_is_binance_host("binance.com", 11));
	cr_assert(sb__config_is_binance_host("demo-api.binance.com", 20));
	cr_assert_not(sb__config_is_binance_host("notbinance.com", 14));
	cr_assert_not(sb__config_is_binance_host("binance.com.example", 19));
	cr_assert_not(sb__config_is_binance_host("testnet.binance.vision", 22));
	const char *host;
	size_t hl;
	sb__config_url_host("https://binance.com@127.0.0.1:9090/x", &host, &hl);
	cr_assert_eq(hl, 9);
	cr_assert_eq(strncmp(host, "127.0.0.1", 9), 0);
	sb__config_url_host("ws://[::1]:9090", &host, &hl);
	cr_assert_eq(strncmp(host, "[::1]", hl), 0);

	/* Loopback spotsim and the testnet are fine in paper mode. */
	sb_config_init(&cfg);
	r = load_str(&cfg, "BINANCE_REST_URL=https://testnet.binance.vision\n", no_env);
	assert_ok(&r);
	free(r.errors);
	sb_config_fini(&cfg);
}

/* The host of url as the paper-mode guard sees it: true when it is refused as a Binance production host. */
static bool guard_refuses(const char *url)
{
	const char *host;
	size_t hl;
	sb__config_url_host(url, &host, &hl);
	return sb__config_is_binance_host(host, hl);
}

Test(config, paper_mode_guard_refuses_every_binance_production_host)
{
	static const char *const refused[] = {
	    "https://api.binance.com", "https://api1.binance.com", "https://api2.binance.com",
	    "https://api3.binance.com", "https://api4.binance.com", "https://api-gcp.binance.com",
	    "wss://stream.binance.com:9443", "wss://ws-api.binance.com:443/ws-api/v3",
	    "wss://stream-sbe.binance.com", "https://demo-api.binance.com/api", "https://binance.com",
	    "https://api.binance.us", "wss://stream.binance.us:9443", "https://binance.us",
	    "https://data-api.binance.vision", "wss://data-stream.binance.vision",
	    /* case, trailing dots, ports, user info, escapes */
	    "https://API.Binance.COM.", "https://api.binance.com..:443/api", "HTTPS://Api.Binance.Us.:8443",
	    "https://127.0.0.1@api.binance.us", "https://user:pw@api.binance.com:443/x",
	    "https://api.binance%2ecom", "https://api%2Ebinance.us/", NULL};
	for (size_t i = 0; refused[i]; i++)
		cr_assert(guard_refuses(refused[i]), "%s must be refused in paper mode", refused[i]);
	static const char *const allowed[] = {"https://testnet.binance.vision",
	                                      "https://api1.testnet.binance.vision",
	                                      "wss://stream.testnet.binance.vision:9443",
	                                      "wss://ws-api.testnet.binance.vision/ws-api/v3",
	                                      "https://TESTNET.Binance.Vision.",
	                                      "http://127.0.0.1:9090",
	                                      "ws://[::1]:9090",
	                                      "https://binance.com@127.0.0.1:9090/x",
	                                      "https://notbinance.com",
	                                      "https://binance.us.example",
	                                      "https://mybinance.vision",
	                                      "https://binance.com.example",
	                                      "http://localhost:9090",
	                                      NULL};
	for (size_t i = 0; allowed[i]; i++)
		cr_assert_not(guard_refuses(allowed[i]), "%s must be allowed in paper mode", allowed[i]);

	/* Through the loader: the option and the host are named, and nothing loads. */
	struct sb_config cfg;
	sb_config_init(&cfg);
	char *env[] = {"BINANCE_WSAPI_URL=wss://ws-api.binance.us/ws-api/v3", NULL};
	struct result r = load_str(&cfg, "BINANCE_REST_URL=https://data-api.binance.vision\n", env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(r.errors,
	                 "t.env:1: BINANCE_REST_URL: points at data-api.binance.vision, but MODE=paper must "
	                 "never reach the real exchange\n"
	                 "environment: BINANCE_WSAPI_URL: points at ws-api.binance.us, but MODE=paper must "
	                 "never reach the real exchange\n");
	free(r.errors);
	sb_config_fini(&cfg);

	/* Live mode takes them. */
	sb_config_init(&cfg);
	r = load_str(
	    &cfg,
	    "MODE=live\nBINANCE_API_KEY=k\nBINANCE_API_SECRET=s\nBINANCE_REST_URL=https://api.binance.us\n",
	    no_env);
	assert_ok(&r);
	free(r.errors);
	sb_config_fini(&cfg);
}

Test(config, an_empty_log_dir_logs_to_stderr_only_and_refuses_what_needs_files)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, "LOG_DIR=\n", no_env);
	assert_ok(&r);
	cr_assert_str_eq(cfg.log_dir, "");
	cr_assert(cfg.log_stderr);
	free(r.errors);
	sb_config_fini(&cfg);

	sb_config_init(&cfg);
	char *env[] = {"LOG_KEEP=3", NULL};
	r = load_str(&cfg, "LOG_DIR=\nLOG_STDERR=false\nLOG_MAX_BYTES=1M\n", env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_str_eq(
	    r.errors, "t.env:2: LOG_STDERR: false while LOG_DIR is empty (no log files) would write no log "
	              "at all; set LOG_STDERR=true or a LOG_DIR\n"
	              "t.env:3: LOG_MAX_BYTES: set while LOG_DIR is empty: there are no log files to "
	              "rotate; remove it or set a LOG_DIR\n"
	              "environment: LOG_KEEP: set while LOG_DIR is empty: there are no log files to rotate; "
	              "remove it or set a LOG_DIR\n");
	free(r.errors);
	sb_config_fini(&cfg);

	/* With a directory the same settings are fine. */
	sb_config_init(&cfg);
	r = load_str(&cfg, "LOG_DIR=/tmp/x\nLOG_STDERR=false\nLOG_MAX_BYTES=1M\n", env);
	assert_ok(&r);
	free(r.errors);
	sb_config_fini(&cfg);
}

/* ---- files and permissions ---- */

Test(config, private_file_is_read_and_its_path_recorded)
{
	char *dir = temp_dir();
	char *path = write_temp(dir, "env", "LOG_KEEP=11\n", 0600);
	struct sb_config cfg;
	sb_config_init(&cfg);
	cr_assert_eq(sb_config_load(&cfg, path, true, no_env, stderr), SB_OK);
	cr_assert_eq(cfg.log_keep, 11);
	cr_assert_str_eq(cfg.path, path);
	sb_config_fini(&cfg);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static sb_err load_path(const char *path, bool explicit_path, char *const *env, char **errors)
{
	struct sb_config cfg;
	size_t size;
	FILE *f = open_memstream(errors, &size);
	sb_config_init(&cfg);
	sb_err err = sb_config_load(&cfg, path, explicit_path, env, f);
	fclose(f);
	sb_config_fini(&cfg);
	return err;
}

Test(config, group_or_world_accessible_file_is_refused_unless_the_environment_allows)
{
	char *dir = temp_dir();
	char *path = write_temp(dir, "env", "CONTROL_TOKEN=tok-SECRET\n", 0644);
	char *errors, want[1024];
	cr_assert_eq(load_path(path, true, no_env, &errors), SB_ERR_PERM);
	snprintf(want, sizeof want,
	         "%s: permissions 0644 let group or others access it; run chmod 600 %s (or set "
	         "ALLOW_INSECURE_CONFIG=1 in the environment to accept it)\n",
	         path, path);
	cr_assert_str_eq(errors, want);
	free(errors);

	char *allow[] = {"ALLOW_INSECURE_CONFIG=1", NULL};
	cr_assert_eq(load_path(path, true, allow, &errors), SB_OK, "%s", errors);
	free(errors);
	char *deny[] = {"ALLOW_INSECURE_CONFIG=0", NULL};
	cr_assert_eq(load_path(path, true, deny, &errors), SB_ERR_PERM);
	free(errors);

	/* Any group or other bit counts, even write-only or execute. */
	mode_t modes[] = {0640, 0604, 0620, 0601, 0610, 0660};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		cr_assert_eq(chmod(path, modes[i]), 0);
		cr_assert_eq(load_path(path, true, no_env, &errors), SB_ERR_PERM, "mode %o", modes[i]);
		free(errors);
	}
	cr_assert_eq(chmod(path, 0600), 0);
	cr_assert_eq(load_path(path, true, no_env, &errors), SB_OK);
	free(errors);
	cr_assert_eq(chmod(path, 0400), 0);
	cr_assert_eq(load_path(path, true, no_env, &errors), SB_OK);
	free(errors);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(config, allow_insecure_in_the_file_itself_does_not_count)
{
	char *dir = temp_dir();
	char *path = write_temp(dir, "env", "ALLOW_INSECURE_CONFIG=1\n", 0644);
	char *errors;
	cr_assert_eq(load_path(path, true, no_env, &errors), SB_ERR_PERM);
	free(errors);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(config, missing_file_is_an_error_only_when_named_explicitly)
{
	char *dir = temp_dir();
	char path[512], *errors, want[1024];
	snprintf(path, sizeof path, "%s/absent.env", dir);
	cr_assert_eq(load_path(path, true, no_env, &errors), SB_ERR_CONFIG);
	snprintf(want, sizeof want, "%s: cannot open: %s\n", path, strerror(ENOENT));
	cr_assert_str_eq(errors, want);
	free(errors);
	cr_assert_eq(load_path(path, false, no_env, &errors), SB_OK);
	cr_assert_str_eq(errors, "");
	free(errors);

	/* The default ./.env: absent is fine, present is read. */
	cr_assert_eq(chdir(dir), 0);
	struct sb_config cfg;
	sb_config_init(&cfg);
	cr_assert_eq(sb_config_load(&cfg, NULL, true, no_env, stderr), SB_OK);
	cr_assert_null(cfg.path);
	char *dotenv = write_temp(dir, ".env", "LOG_KEEP=12\n", 0600);
	cr_assert_eq(sb_config_load(&cfg, NULL, false, no_env, stderr), SB_OK);
	cr_assert_str_eq(cfg.path, "./.env");
	cr_assert_eq(cfg.log_keep, 12);
	sb_config_fini(&cfg);

	/* A directory is not a configuration file. */
	cr_assert_eq(load_path(dir, true, no_env, &errors), SB_ERR_CONFIG);
	snprintf(want, sizeof want, "%s: not a regular file\n", dir);
	cr_assert_str_eq(errors, want);
	free(errors);
	unlink(dotenv);
	rmdir(dir);
	free(dotenv);
	free(dir);
}

/* ---- secrets ---- */

static char *print_config(const struct sb_config *cfg)
{
	char *text;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	sb_config_print(cfg, f);
	fclose(f);
	return text;
}

Test(config, secrets_never_appear_in_errors_or_printed_config)
{
	static const char *const secrets[] = {"KEYVALUE-1111", "SECRETVALUE-2222", "TOKENVALUE-3333",
	                                      "https://hooks.example/WEBHOOK-4444"};
	char *env[] = {"MODE=live", "BINANCE_API_KEY=KEYVALUE-1111", "BINANCE_API_SECRET=SECRETVALUE-2222",
	               NULL};
	struct sb_config cfg;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg,
	                           "CONTROL_TOKEN=TOKENVALUE-3333\n"
	                           "ALERT_WEBHOOK_URL=https://hooks.example/WEBHOOK-4444\n",
	                           env);
	assert_ok(&r);
	free(r.errors);
	char *shown = print_config(&cfg);
	for (size_t i = 0; i < 4; i++)
		cr_assert_null(strstr(shown, secrets[i]), "%s printed", secrets[i]);
	cr_assert_not_null(strstr(shown, "BINANCE_API_KEY=<redacted>\n"));
	cr_assert_not_null(strstr(shown, "CONTROL_TOKEN=<redacted>\n"));
	cr_assert_not_null(strstr(shown, "ALERT_WEBHOOK_URL=<redacted>\n"));
	cr_assert_not_null(strstr(shown, "MODE=live\n"));
	free(shown);

	const char *out[8];
	cr_assert_eq(sb_config_secrets(&cfg, out, 8), 4);
	for (size_t i = 0; i < 4; i++) {
		bool found = false;
		for (size_t j = 0; j < 4; j++)
			found |= strcmp(out[j], secrets[i]) == 0;
		cr_assert(found, "%s not listed", secrets[i]);
	}
	cr_assert_eq(sb_config_secrets(&cfg, out, 1), 4, "the count is the total even when max is smaller");
	sb_config_fini(&cfg);

	/* Unset secrets print empty and are not listed. */
	sb_config_init(&cfg);
	shown = print_config(&cfg);
	cr_assert_not_null(strstr(shown, "CONTROL_TOKEN=\n"));
	cr_assert_eq(sb_config_secrets(&cfg, out, 8), 2, "only the demo key and secret");
	free(shown);
	sb_config_fini(&cfg);
}

Test(config, secret_values_are_kept_out_of_every_error_kind)
{
	/* Each line is wrong in a different way; none of the messages may carry the value. */
	const char *lines[] = {
	    "ALERT_WEBHOOK_URL=SECRETXYZ\n",
	    "ALERT_WEBHOOK_URL=\"SECRETXYZ\n",
	    "CONTROL_TOKEN=\"SECRETXYZ\\q\"\n",
	    "CONTROL_TOKEN='SECRETXYZ' SECRETXYZ\n",
	    "CONTROL_TOKEN=a\nCONTROL_TOKEN=SECRETXYZ\n",
	    "control_token=SECRETXYZ\n",
	    "CONTROL TOKEN=SECRETXYZ\n",
	    "SECRETXYZ\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct sb_config cfg;
		sb_config_init(&cfg);
		struct result r = load_str(&cfg, lines[i], no_env);
		cr_assert_eq(r.err, SB_ERR_CONFIG, "%s", lines[i]);
		cr_assert_null(strstr(r.errors, "SECRETXYZ"), "leaked: %s", r.errors);
		free(r.errors);
		sb_config_fini(&cfg);
	}
}

/* ---- the Ed25519 key file ---- */

/* A temporary directory with a fresh Ed25519 key pair: <dir>/key.pem (mode) and <dir>/key.pub.pem. */
struct keydir {
	char *dir;      /* the directory (malloc'd) */
	char priv[512]; /* private key PEM */
	char pub[512];  /* public key PEM */
};

static struct keydir make_keydir(mode_t mode)
{
	struct keydir k = {.dir = temp_dir()};
	snprintf(k.priv, sizeof k.priv, "%s/key.pem", k.dir);
	snprintf(k.pub, sizeof k.pub, "%s/key.pub.pem", k.dir);
	cr_assert(sbt_ed25519_keypair(k.priv, k.pub, mode));
	return k;
}

static void remove_keydir(struct keydir *k)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->dir);
	cr_assert_eq(system(cmd), 0);
	free(k->dir);
}

/* The API key a paper-mode test gives with its key file: paper mode wants both halves or neither. */
#define PAPER_KEY "BINANCE_API_KEY=ed-key-0\n"

/* Loads text as t.env with env plus BINANCE_PRIVATE_KEY_FILE=path in the environment. */
static struct result load_with_key(struct sb_config *cfg, const char *text, const char *path,
                                   const char *extra_env)
{
	char var[600];
	snprintf(var, sizeof var, "BINANCE_PRIVATE_KEY_FILE=%s", path);
	char *env[] = {var, (char *)extra_env, NULL};
	sb_config_init(cfg);
	return load_str(cfg, text, env);
}

Test(config, ed25519_key_file_replaces_the_secret_in_paper_and_live_mode)
{
	struct keydir k = make_keydir(0600);
	struct sb_config cfg;
	/* Paper mode: the demo secret is not applied next to a key file. */
	struct result r = load_with_key(&cfg, PAPER_KEY, k.priv, NULL);
	assert_ok(&r);
	free(r.errors);
	cr_assert_str_eq(cfg.binance_private_key_file, k.priv);
	cr_assert_str_eq(cfg.binance_api_secret, "");
	cr_assert_str_eq(cfg.binance_api_key, "ed-key-0");
	sb_config_fini(&cfg);

	/* Live mode: a key and the key file are enough. */
	r = load_with_key(&cfg, "MODE=live\nBINANCE_API_KEY=ed-key-1\n", k.priv, NULL);
	assert_ok(&r);
	free(r.errors);
	cr_assert_str_eq(cfg.binance_api_secret, "");

	/* The path is a secret: redacted by --show and handed to the logger, the empty secret is not. */
	char *shown = print_config(&cfg);
	cr_assert_null(strstr(shown, k.priv), "%s", shown);
	cr_assert_not_null(strstr(shown, "BINANCE_PRIVATE_KEY_FILE=<redacted>\n"));
	cr_assert_not_null(strstr(shown, "BINANCE_API_SECRET=\n"));
	free(shown);
	const char *out[8];
	cr_assert_eq(sb_config_secrets(&cfg, out, 8), 2);
	cr_assert_str_eq(out[0], "ed-key-1");
	cr_assert_str_eq(out[1], k.priv);
	sb_config_fini(&cfg);

	/* An explicitly empty key file means none: paper defaults stay. */
	sb_config_init(&cfg);
	r = load_str(&cfg, "BINANCE_PRIVATE_KEY_FILE=\n", no_env);
	assert_ok(&r);
	free(r.errors);
	cr_assert_str_eq(cfg.binance_api_secret, "spotsim-demo-secret");
	sb_config_fini(&cfg);
	remove_keydir(&k);
}

Test(config, key_file_and_secret_together_are_refused_in_either_mode)
{
	struct keydir k = make_keydir(0600);
	struct sb_config cfg;
	char text[800];
	const char *modes[] = {"paper", "live"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(
		    text, sizeof text,
		    "MODE=%s\nBINANCE_API_KEY=k\nBINANCE_API_SECRET=SECRETXYZ\nBINANCE_PRIVATE_KEY_FILE=%s\n",
		    modes[i], k.priv);
		sb_config_init(&cfg);
		struct result r = load_str(&cfg, text, no_env);
		cr_assert_eq(r.err, SB_ERR_CONFIG, "%s", modes[i]);
		cr_assert_str_eq(
		    r.errors, "t.env:4: BINANCE_PRIVATE_KEY_FILE: set together with BINANCE_API_SECRET; give "
		              "exactly one of them (the Ed25519 key file or the HMAC secret)\n");
		free(r.errors);
		sb_config_fini(&cfg);
	}
	/* The secret from the environment, the key file from the file: still both. */
	snprintf(text, sizeof text, "BINANCE_PRIVATE_KEY_FILE=%s\n", k.priv);
	char *env[] = {"BINANCE_API_SECRET=SECRETXYZ", NULL};
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, text, env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	cr_assert_not_null(strstr(r.errors, "t.env:1: BINANCE_PRIVATE_KEY_FILE: set together with"));
	cr_assert_null(strstr(r.errors, "SECRETXYZ"));
	free(r.errors);
	sb_config_fini(&cfg);
	remove_keydir(&k);
}

Test(config, unreadable_key_file_is_an_error_naming_the_option_and_the_file)
{
	struct keydir k = make_keydir(0600);
	struct sb_config cfg;
	char path[600], want[1600];

	snprintf(path, sizeof path, "%s/absent.pem", k.dir);
	struct result r = load_with_key(&cfg, PAPER_KEY, path, NULL);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	snprintf(want, sizeof want,
	         "environment: BINANCE_PRIVATE_KEY_FILE: cannot open %s: No such file or directory\n", path);
	cr_assert_str_eq(r.errors, want);
	free(r.errors);
	sb_config_fini(&cfg);

	/* A directory opens but is not a key. */
	r = load_with_key(&cfg, PAPER_KEY, k.dir, NULL);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	snprintf(want, sizeof want, "environment: BINANCE_PRIVATE_KEY_FILE: %s is not a regular file\n",
	         k.dir);
	cr_assert_str_eq(r.errors, want);
	free(r.errors);
	sb_config_fini(&cfg);

	/* Mode 000 is unreadable for anyone but root (tests may run as root, where it opens). */
	if (geteuid() != 0) {
		cr_assert_eq(chmod(k.priv, 0), 0);
		r = load_with_key(&cfg, PAPER_KEY, k.priv, NULL);
		cr_assert_eq(r.err, SB_ERR_CONFIG);
		snprintf(want, sizeof want,
		         "environment: BINANCE_PRIVATE_KEY_FILE: cannot open %s: Permission denied\n",
		         k.priv);
		cr_assert_str_eq(r.errors, want);
		free(r.errors);
		sb_config_fini(&cfg);
	}
	remove_keydir(&k);
}

Test(config, group_or_world_accessible_key_file_is_refused_unless_the_environment_allows)
{
	struct keydir k = make_keydir(0640);
	struct sb_config cfg;
	char text[700], want[1600];
	snprintf(text, sizeof text, "# key\nBINANCE_PRIVATE_KEY_FILE=%s\n" PAPER_KEY, k.priv);
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, text, no_env);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	snprintf(want, sizeof want,
	         "t.env:2: BINANCE_PRIVATE_KEY_FILE: %s: permissions 0640 let group or others access it; "
	         "run chmod 600 %s (or set ALLOW_INSECURE_CONFIG=1 in the environment to accept it)\n",
	         k.priv, k.priv);
	cr_assert_str_eq(r.errors, want);
	free(r.errors);
	sb_config_fini(&cfg);

	/* Every group or other bit counts; ALLOW_INSECURE_CONFIG=1 in the environment accepts them. */
	mode_t modes[] = {0644, 0604, 0620, 0601, 0610, 0660};
	char *allow[] = {"ALLOW_INSECURE_CONFIG=1", NULL};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		cr_assert_eq(chmod(k.priv, modes[i]), 0);
		sb_config_init(&cfg);
		r = load_str(&cfg, text, no_env);
		cr_assert_eq(r.err, SB_ERR_CONFIG, "mode %o", modes[i]);
		free(r.errors);
		sb_config_fini(&cfg);
		sb_config_init(&cfg);
		r = load_str(&cfg, text, allow);
		assert_ok(&r);
		free(r.errors);
		sb_config_fini(&cfg);
	}
	cr_assert_eq(chmod(k.priv, 0400), 0);
	sb_config_init(&cfg);
	r = load_str(&cfg, text, no_env);
	assert_ok(&r);
	free(r.errors);
	sb_config_fini(&cfg);
	remove_keydir(&k);
}

Test(config, key_file_must_hold_an_unencrypted_ed25519_private_key)
{
	struct keydir k = make_keydir(0600);
	struct sb_config cfg;
	char want[1600];

	/* The public half is not a private key. */
	struct result r = load_with_key(&cfg, PAPER_KEY, k.pub, NULL);
	cr_assert_eq(r.err, SB_ERR_CONFIG);
	snprintf(want, sizeof want,
	         "environment: BINANCE_PRIVATE_KEY_FILE: %s is not an unencrypted PKCS#8 PEM private key "
	         "(BEGIN PRIVATE KEY)\n",
	         k.pub);
	cr_assert_str_eq(r.errors, want);
	free(r.errors);
	sb_config_fini(&cfg);

	/* An EC private key is a private key of the wrong type. */
	char ec[600];
	snprintf(ec, sizeof ec, "%s/ec.pem", k.dir);
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	cr_assert_not_null(key);
	FILE *f = fopen(ec, "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(key);
	cr_assert_eq(chmod(ec, 0600), 0);
	r = load_with_key(&cfg, PAPER_KEY, ec, NULL);
	snprintf(want, sizeof want,
	         "environment: BINANCE_PRIVATE_KEY_FILE: %s holds a private key, but not an Ed25519 one\n",
	         ec);
	cr_assert_str_eq(r.errors, want);
	free(r.errors);
	sb_config_fini(&cfg);

	/* Text that is no PEM at all, and an empty file. */
	char *junk = write_temp(k.dir, "junk.pem", "not a key\n", 0600);
	char *empty = write_temp(k.dir, "empty.pem", "", 0600);
	const char *bad[] = {junk, empty};
	for (size_t i = 0; i < 2; i++) {
		r = load_with_key(&cfg, PAPER_KEY, bad[i], NULL);
		cr_assert_eq(r.err, SB_ERR_CONFIG);
		cr_assert_not_null(strstr(r.errors, "is not an unencrypted PKCS#8 PEM private key"), "%s",
		                   r.errors);
		free(r.errors);
		sb_config_fini(&cfg);
	}
	free(junk);
	free(empty);
	remove_keydir(&k);
}

/* ---- printing, example and docs ---- */

Test(config, printed_config_reads_back_to_the_same_values)
{
	struct sb_config a, b;
	sb_config_init(&a);
	struct result r = load_str(&a,
	                           "PAIRS=\"x #y 'q' \\\"z\\\" \\\\ \\n end\"\n"
	                           "LOG_DIR='/a b/#c'\n"
	                           "DATABASE_PATH=\"it's\"\n"
	                           "LOG_MAX_BYTES=65537\nLOG_LEVEL=warn\nLOG_STDERR=no\n",
	                           no_env);
	assert_ok(&r);
	free(r.errors);
	char *shown = print_config(&a);
	sb_config_init(&b);
	r = load_str(&b, shown, no_env);
	/* The redacted secrets come back as the literal text "<redacted>"; compare the rest. */
	assert_ok(&r);
	free(r.errors);
	cr_assert_str_eq(b.pairs, "x #y 'q' \"z\" \\ \n end");
	cr_assert_str_eq(b.log_dir, "/a b/#c");
	cr_assert_str_eq(b.database_path, "it's");
	cr_assert_eq(b.log_max_bytes, 65537);
	cr_assert_eq(b.log_level, SB_CONFIG_LOG_WARN);
	cr_assert_eq(b.log_stderr, false);
	cr_assert_str_eq(b.binance_api_key, "<redacted>");
	free(shown);
	sb_config_fini(&a);
	sb_config_fini(&b);
}

static char *generated(void (*write)(FILE *))
{
	char *text;
	size_t size;
	FILE *f = open_memstream(&text, &size);
	write(f);
	fclose(f);
	return text;
}

Test(config, committed_env_example_matches_the_table)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/.env.example", source_dir());
	char *committed = read_file(path, NULL);
	char *gen = generated(sb_config_write_example);
	cr_assert_str_eq(committed, gen, ".env.example is stale: run `make env-example`");
	free(committed);
	free(gen);
}

Test(config, docs_contain_the_generated_table_verbatim)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/docs/configuration.md", source_dir());
	char *doc = read_file(path, NULL);
	char *table = generated(sb_config_write_markdown);
	cr_assert_not_null(
	    strstr(doc, table),
	    "docs/configuration.md lacks the current table: paste `spotbot config --markdown`");
	free(doc);
	free(table);
}

Test(config, example_loads_cleanly_and_uncommented_gives_the_defaults)
{
	char *ex = generated(sb_config_write_example);
	struct sb_config def, cfg;
	sb_config_init(&def);
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, ex, no_env);
	assert_ok(&r);
	free(r.errors);

	/* Uncomment every "# KEY=" line: the result must equal the defaults. */
	size_t n;
	const struct sb_option *opts = sb_config_options(&n);
	char *un = malloc(strlen(ex) + 1), *o = un;
	size_t uncommented = 0;
	for (char *line = ex; *line;) {
		char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) + 1 : strlen(line);
		bool is_setting = false;
		for (size_t i = 0; i < n; i++) {
			size_t kl = strlen(opts[i].name);
			if (strncmp(line, "# ", 2) == 0 && strncmp(line + 2, opts[i].name, kl) == 0 &&
			    line[2 + kl] == '=')
				is_setting = true;
		}
		if (is_setting) {
			memcpy(o, line + 2, len - 2);
			o += len - 2;
			uncommented++;
		}
		line += len;
	}
	*o = '\0';
	cr_assert_eq(uncommented, n - 1, "every option but the environment-only one has a setting line");
	sb_config_fini(&cfg);
	sb_config_init(&cfg);
	r = load_str(&cfg, un, no_env);
	assert_ok(&r);
	free(r.errors);
	char *a = print_config(&def), *b = print_config(&cfg);
	cr_assert_str_eq(a, b);
	cr_assert_str_eq(cfg.binance_api_key, def.binance_api_key);
	free(a);
	free(b);
	free(un);
	free(ex);
	sb_config_fini(&def);
	sb_config_fini(&cfg);
}

/* ---- the CLI ---- */

static int run_cli(const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {"config", (char *)a1, (char *)a2, (char *)a3, NULL};
	int argc = 1 + (a1 != NULL) + (a2 != NULL) + (a3 != NULL);
	return sb_cmd_config(argc, argv);
}

Test(config, cli_rejects_bad_arguments_with_exit_2)
{
	cr_redirect_stderr();
	cr_assert_eq(run_cli("--bogus", NULL, NULL), SB_EXIT_USAGE);
	cr_assert_eq(run_cli("--config", NULL, NULL), SB_EXIT_USAGE);
	cr_assert_eq(run_cli("--show", "--example", NULL), SB_EXIT_USAGE);
	cr_assert_eq(run_cli("--config", "/nonexistent/spotbot.env", NULL), SB_EXIT_USAGE);
}

Test(config, cli_check_reports_errors_and_exits_2)
{
	char *dir = temp_dir();
	char *path = write_temp(dir, "env", "LOG_KEEP=0\nMODE=live\n", 0600);
	unsetenv("BINANCE_API_KEY");
	unsetenv("BINANCE_API_SECRET");
	unsetenv("BINANCE_PRIVATE_KEY_FILE");
	cr_redirect_stderr();
	cr_assert_eq(run_cli("--config", path, "--check"), SB_EXIT_USAGE);
	fflush(stderr);
	char want[2048];
	snprintf(want, sizeof want,
	         "%s:1: LOG_KEEP: out of range 1..100 (got '0')\n"
	         "%s: BINANCE_API_KEY: required when MODE=live (MODE=live from %s:2)\n"
	         "%s: BINANCE_API_SECRET: required when MODE=live unless BINANCE_PRIVATE_KEY_FILE is set "
	         "(MODE=live from %s:2)\n"
	         "spotbot config: invalid configuration\n",
	         path, path, path, path, path);
	cr_assert_stderr_eq_str(want);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(config, cli_check_ok_names_the_file)
{
	char *dir = temp_dir();
	char *path = write_temp(dir, "env", "LOG_KEEP=2\n", 0600);
	char want[1024];
	cr_redirect_stdout();
	cr_assert_eq(run_cli("--config", path, NULL), SB_EXIT_OK);
	fflush(stdout);
	snprintf(want, sizeof want, "configuration OK (%s)\n", path);
	cr_assert_stdout_eq_str(want);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* ---- the daemon's own check, shared by run, config --check and doctor ---- */

/* Loads text (which must load cleanly) and runs sb_bot_check_config on it; *lines receives its output. */
static sb_err daemon_check(const char *text, char **lines)
{
	struct sb_config cfg;
	size_t size;
	sb_config_init(&cfg);
	struct result r = load_str(&cfg, text, no_env);
	assert_ok(&r);
	free(r.errors);
	FILE *f = open_memstream(lines, &size);
	cr_assert_not_null(f);
	sb_err e = sb_bot_check_config(&cfg, f);
	fclose(f);
	sb_config_fini(&cfg);
	return e;
}

Test(config, daemon_check_refuses_what_run_refuses_and_names_it)
{
	static const struct {
		const char *text; /* a .env that loads */
		const char *want; /* the check's output */
	} bad[] = {
	    {"PAIRS=BTCUSDT:quote=20,profit=-0.5%\n",
	     "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '-0.5%'\n"},
	    {"PAIRS=BTCUSDT:quote=20,profit=0.5\n",
	     "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '0.5' (did you mean 0.5%?)\n"},
	    {"PAIRS=BTCUSDT:quote=abc\n",
	     "PAIRS: BTCUSDT: quote: expected a decimal number like 20, got 'abc'\n"},
	    {"PAIRS=BTCUSDT\n", "PAIRS: BTCUSDT: quote: required\n"},
	    {"ORDER_TAG=Main\n", "ORDER_TAG: must be 1 to 8 of a-z and 0-9 (got 'Main')\n"},
	    {"ORDER_TAG=ninechars\n", "ORDER_TAG: must be 1 to 8 of a-z and 0-9 (got 'ninechars')\n"},
	    {"ORDER_TAG=my-bot\n", "ORDER_TAG: must be 1 to 8 of a-z and 0-9 (got 'my-bot')\n"},
	    {"CONTROL_LISTEN=0.0.0.0:8089\n",
	     "CONTROL_LISTEN 0.0.0.0:8089 is not a loopback address: set CONTROL_TOKEN or listen on 127.0.0.1 "
	     "or a unix socket\n"},
	    /* Every problem is reported, not only the first. */
	    {"ORDER_TAG=X\nPAIRS=ETHUSDT:quote=1,profit=2\n",
	     "ORDER_TAG: must be 1 to 8 of a-z and 0-9 (got 'X')\n"
	     "PAIRS: ETHUSDT: profit: expected a percentage like 0.5%, got '2' (did you mean 2%?)\n"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *lines = NULL;
		cr_assert_eq(daemon_check(bad[i].text, &lines), SB_ERR_CONFIG, "%s passed", bad[i].text);
		cr_assert_str_eq(lines, bad[i].want, "for %s", bad[i].text);
		free(lines);
	}
	static const char *const good[] = {
	    "",
	    "PAIRS=BTCUSDT:quote=20,profit=0.5%;ETHUSDT:quote=15,profit=0.8%,buy_timeout=60s\n",
	    "ORDER_TAG=bot2\nCONTROL_LISTEN=0.0.0.0:8089\nCONTROL_TOKEN=tok-1234\n",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char *lines = NULL;
		cr_assert_eq(daemon_check(good[i], &lines), SB_OK, "%s: %s", good[i], lines);
		cr_assert_str_empty(lines);
		free(lines);
	}
	cr_assert_eq(sb_bot_check_config(NULL, NULL), SB_ERR_INVALID);
}

Test(config, cli_check_runs_the_daemons_check)
{
	char *dir = temp_dir();
	char *path = write_temp(dir, "env", "PAIRS=BTCUSDT:quote=20,profit=0.5\nORDER_TAG=Main\n", 0600);
	cr_redirect_stderr();
	cr_assert_eq(run_cli("--config", path, "--check"), SB_EXIT_USAGE);
	fflush(stderr);
	cr_assert_stderr_eq_str(
	    "ORDER_TAG: must be 1 to 8 of a-z and 0-9 (got 'Main')\n"
	    "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '0.5' (did you mean 0.5%?)\n"
	    "spotbot config: invalid configuration\n");
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

Test(config, cli_show_redacts_secrets_from_the_environment)
{
	setenv("CONTROL_TOKEN", "ENV-TOKEN-5555", 1);
	setenv("LOG_LEVEL", "warn", 1);
	char *dir = temp_dir();
	cr_assert_eq(chdir(dir), 0);
	cr_redirect_stdout();
	cr_assert_eq(run_cli("--show", NULL, NULL), SB_EXIT_OK);
	fflush(stdout);
	FILE *out = cr_get_redirected_stdout();
	char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, out);
	buf[n] = '\0';
	cr_assert_null(strstr(buf, "ENV-TOKEN-5555"));
	cr_assert_not_null(strstr(buf, "CONTROL_TOKEN=<redacted>\n"));
	cr_assert_not_null(strstr(buf, "LOG_LEVEL=warn\n"));
	cr_assert_not_null(strstr(buf, "# (environment only) ALLOW_INSECURE_CONFIG=false\n"));
	rmdir(dir);
	free(dir);
}

Test(config, cli_example_and_markdown_print_the_generated_text)
{
	char *ex = generated(sb_config_write_example);
	cr_redirect_stdout();
	cr_assert_eq(run_cli("--example", NULL, NULL), SB_EXIT_OK);
	fflush(stdout);
	cr_assert_stdout_eq_str(ex);
	free(ex);
}

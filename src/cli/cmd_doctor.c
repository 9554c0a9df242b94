/*
 * cmd_doctor.c - `spotbot doctor`: checks what a trading daemon needs before it is trusted with money,
 * each reported as OK or FAIL with a hint that says what to do.
 *
 * The checks, in order: the .env file's permissions (it holds the API secret), the configuration (loaded
 * and checked exactly as `spotbot run` does), the database's integrity, free disk space where the
 * database and the logs are written, the clock against the exchange's (signed requests are refused when
 * it is off by a second), and the API key: a signed account request must succeed and the account must be
 * allowed to trade. The request is signed the way the daemon signs, with the Ed25519 key file when one is
 * configured, else the HMAC secret, and the check says which key type is in use. Nothing is changed
 * anywhere: the database is opened read-only and the exchange only answers two GET requests.
 *
 * Exit codes: 0 when every check passed, 2 when the configuration itself is invalid, 1 for any other
 * failed check.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/table.h"
#include "spotbot/alloc.h"
#include "spotbot/binance.h"
#include "spotbot/bot.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/http_client.h"
#include "spotbot/query.h"
#include "spotbot/sign.h"
#include "spotbot/store.h"

extern char **environ;

#define DOCTOR_CHECKS_MAX 10                           /* checks one run makes */
#define DOCTOR_TEXT_MAX   1024                         /* detail or hint of one check, with its NUL */
#define DISK_FREE_MIN     (INT64_C(100) * 1024 * 1024) /* less free space than this fails */
#define CLOCK_SKEW_MAX_MS 1000                         /* Binance refuses timestamps 1 s ahead */
#define HTTP_TIMEOUT_MS   10000u                       /* per exchange request */
#define HTTP_BODY_MAX     SB_BN_MSG_MAX                /* largest response read */

enum status {
	CHECK_OK,   /* passed */
	CHECK_FAIL, /* failed: the hint says what to do */
	CHECK_SKIP, /* could not run because an earlier check failed */
	CHECK_WARN, /* passed, but something deserves a look: the hint says what */
};

struct check {
	const char *id;               /* stable name for --json: "api_key" */
	const char *title;            /* for people: "API key" */
	enum status status;           /* outcome */
	char detail[DOCTOR_TEXT_MAX]; /* what was found */
	char hint[DOCTOR_TEXT_MAX];   /* what to do about a failure; "" when none */
};

struct doctor {
	struct check checks[DOCTOR_CHECKS_MAX]; /* in the order they ran */
	size_t n;                               /* checks used */
	const char *config_path;                /* --config FILE, or NULL for ./.env */
	struct sb_config cfg;                   /* loaded by check_config */
	bool cfg_ok;                            /* cfg can be used by the later checks */
	int64_t skew_ms;                        /* exchange time minus ours, when measured */
};

static struct check *add(struct doctor *d, const char *id, const char *title)
{
	struct check *c = &d->checks[d->n < DOCTOR_CHECKS_MAX ? d->n++ : DOCTOR_CHECKS_MAX - 1];
	memset(c, 0, sizeof *c);
	c->id = id;
	c->title = title;
	return c;
}

static void set(struct check *c, enum status st, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void set(struct check *c, enum status st, const char *hint, const char *fmt, ...)
{
	va_list ap;
	c->status = st;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	snprintf(c->hint, sizeof c->hint, "%s", hint ? hint : "");
}

/* ---- configuration ------------------------------------------------------------------------------- */

static void check_env_permissions(struct doctor *d)
{
	struct check *c = add(d, "env_permissions", ".env permissions");
	const char *path = d->config_path ? d->config_path : SB_CONFIG_DEFAULT_PATH;
	struct stat sb;
	char hint[DOCTOR_TEXT_MAX];
	if (stat(path, &sb) != 0) {
		if (d->config_path)
			set(c, CHECK_FAIL, "give --config an existing file", "%s: %s", path, strerror(errno));
		else
			set(c, CHECK_OK, NULL, "no %s: defaults and environment only", path);
		return;
	}
	if ((sb.st_mode & 077) != 0) {
		snprintf(hint, sizeof hint, "chmod 600 %s (it holds the API secret)", path);
		set(c, CHECK_FAIL, hint, "%s is accessible to group or others (mode %03o)", path,
		    (unsigned)(sb.st_mode & 0777));
		return;
	}
	set(c, CHECK_OK, NULL, "%s is private (mode %03o)", path, (unsigned)(sb.st_mode & 0777));
}

/* The first line of text, at most cap - 1 bytes, into out. */
static void first_line(const char *text, char *out, size_t cap)
{
	size_t len = strcspn(text, "\n");
	if (len >= cap)
		len = cap - 1;
	memcpy(out, text, len);
	out[len] = '\0';
}

/*
 * Loads the configuration and checks it as the daemon does (sb_bot_check_config), collecting the error
 * lines. A file refused only for its permissions is loaded again as if ALLOW_INSECURE_CONFIG were set, so
 * the other checks can still run; the permission check has already failed for it.
 */
static void check_config(struct doctor *d)
{
	struct check *c = add(d, "config", "configuration");
	char *errs = NULL, line[DOCTOR_TEXT_MAX];
	size_t errs_len = 0;
	FILE *mem = open_memstream(&errs, &errs_len);
	sb_config_init(&d->cfg);
	sb_err e =
	    sb_config_load(&d->cfg, d->config_path, d->config_path != NULL, environ, mem ? mem : stderr);
	if (e == SB_ERR_PERM) {
		size_t n = 0;
		while (environ && environ[n])
			n++;
		char **env = sb_xcalloc(n + 2, sizeof *env);
		memcpy(env, environ, n * sizeof *env);
		static char allow[] = "ALLOW_INSECURE_CONFIG=1";
		env[n] = allow;
		sb_config_fini(&d->cfg);
		sb_config_init(&d->cfg);
		sb_err again =
		    sb_config_load(&d->cfg, d->config_path, d->config_path != NULL, env, mem ? mem : stderr);
		free(env);
		if (again == SB_OK)
			again = sb_bot_check_config(&d->cfg, mem ? mem : stderr);
		if (mem)
			fflush(mem);
		if (again == SB_OK) {
			d->cfg_ok = true;
			set(c, CHECK_FAIL,
			    "make the file private (see above), or export ALLOW_INSECURE_CONFIG=1",
			    "refused: the file is accessible to group or others");
			goto out;
		}
		e = again;
	} else if (e == SB_OK) {
		e = sb_bot_check_config(&d->cfg, mem ? mem : stderr);
	}
	if (mem)
		fflush(mem);
	if (e != SB_OK) {
		first_line(errs && *errs ? errs : sb_strerror(e), line, sizeof line);
		set(c, CHECK_FAIL,
		    "run `spotbot config` for every problem; docs/configuration.md explains each option",
		    "%s", line);
		goto out;
	}
	d->cfg_ok = true;
	set(c, CHECK_OK, NULL, "valid (%s, %s mode)", d->cfg.path ? d->cfg.path : "defaults and environment",
	    sb_mode_name(d->cfg.mode));
out:
	if (mem)
		fclose(mem);
	free(errs);
}

/* ---- who runs it, and where it writes ----------------------------------------------------------- */

static void check_user(struct doctor *d)
{
	struct check *c = add(d, "user", "user");
	if (geteuid() == 0)
		set(c, CHECK_WARN, "run spotbot as its own unprivileged user (the systemd unit does)",
		    "running as root");
	else
		set(c, CHECK_OK, NULL, "uid %u", (unsigned)geteuid());
}

static void check_dirs(struct doctor *d)
{
	struct check *c = add(d, "directories", "directories");
	char *errs = NULL, line[DOCTOR_TEXT_MAX];
	size_t elen = 0;
	FILE *mem = open_memstream(&errs, &elen);
	sb_err e = sb_bot_check_dirs(&d->cfg, mem ? mem : stderr);
	if (mem)
		fclose(mem);
	if (e != SB_OK) {
		first_line(errs && *errs ? errs : sb_strerror(e), line, sizeof line);
		set(c, CHECK_FAIL, "chmod o-w the directory, or move the files to one only this user writes",
		    "%s", line);
	} else {
		set(c, CHECK_OK, NULL, "the database and log directories are writable only by their owner");
	}
	free(errs);
}

/* ---- database and disk --------------------------------------------------------------------------- */

/* The directory path lives in, into buf ("." for a bare file name). */
static const char *dir_of(const char *path, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", path);
	return dirname(buf);
}

static void check_database(struct doctor *d)
{
	struct check *c = add(d, "database", "database");
	const char *path = d->cfg.database_path;
	char dir[4096], msg[SB_STORE_ERRMSG_MAX] = "", hint[DOCTOR_TEXT_MAX];
	struct stat sb;
	if (stat(path, &sb) != 0) {
		dir_of(path, dir, sizeof dir);
		if (access(dir, W_OK) == 0) {
			set(c, CHECK_OK, NULL, "%s does not exist yet; `spotbot run` creates it", path);
		} else {
			snprintf(hint, sizeof hint, "create %.900s or set DATABASE_PATH to a writable place",
			         dir);
			set(c, CHECK_FAIL, hint, "%s does not exist and %s is not a writable directory", path,
			    dir);
		}
		return;
	}
	struct sb_store *st = NULL;
	struct sb_store_opts opts = {.readonly = true, .no_create = true};
	sb_err e = sb_store_open_sqlite(path, &opts, &st, msg, sizeof msg);
	if (e == SB_OK)
		e = sb_store_check(st, msg, sizeof msg);
	sb_store_close(st);
	if (e == SB_ERR_DB_READONLY) {
		/* An older schema after an upgrade: the daemon's next start migrates it. */
		set(c, CHECK_WARN,
		    "the next `spotbot run` migrates it; take a backup first (`spotbot backup`), see "
		    "docs/operations.md#upgrading",
		    "%s: %s", path, msg[0] ? msg : sb_strerror(e));
		return;
	}
	if (e == SB_ERR_UNSUPPORTED) {
		set(c, CHECK_FAIL, "see docs/operations.md#upgrading", "%s: %s", path,
		    msg[0] ? msg : sb_strerror(e));
		return;
	}
	if (e != SB_OK) {
		set(c, CHECK_FAIL,
		    "stop the daemon and restore the newest backup (`spotbot backup` makes them, `spotbot restore` "
		    "puts one back); see docs/database.md",
		    "%s: %s", path, msg[0] ? msg : sb_strerror(e));
		return;
	}
	set(c, CHECK_OK, NULL, "%s: integrity ok", path);
}

/* Bytes free for unprivileged writers on the file system holding path, or of its nearest existing
 * ancestor when path does not exist yet. */
static bool free_bytes(const char *path, int64_t *out, char *where, size_t cap)
{
	char buf[4096];
	struct statvfs vfs;
	snprintf(buf, sizeof buf, "%s", path);
	for (int depth = 0; depth < 64; depth++) {
		if (statvfs(buf, &vfs) == 0) {
			snprintf(where, cap, "%s", buf);
			*out = (int64_t)(vfs.f_bavail * vfs.f_frsize);
			return true;
		}
		if (errno != ENOENT || strcmp(buf, "/") == 0 || strcmp(buf, ".") == 0)
			return false;
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s", buf);
		snprintf(buf, sizeof buf, "%s", dirname(tmp));
	}
	return false;
}

static void human_bytes(int64_t n, char *buf, size_t cap)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	size_t u = 0;
	int64_t whole = n, tenths = 0;
	while (whole >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		tenths = (whole % 1024) * 10 / 1024;
		whole /= 1024;
		u++;
	}
	snprintf(buf, cap, "%" PRId64 ".%" PRId64 " %s", whole, tenths, units[u]);
}

static void check_disk(struct doctor *d, const char *id, const char *title, const char *path, const char *key)
{
	struct check *c = add(d, id, title);
	char where[4096], amount[32], hint[DOCTOR_TEXT_MAX];
	int64_t avail;
	if (!free_bytes(path, &avail, where, sizeof where)) {
		snprintf(hint, sizeof hint, "check %s", key);
		set(c, CHECK_FAIL, hint, "cannot measure free space at %s: %s", path, strerror(errno));
		return;
	}
	human_bytes(avail, amount, sizeof amount);
	if (avail < DISK_FREE_MIN) {
		snprintf(hint, sizeof hint, "free some space or move %s to a larger file system", key);
		set(c, CHECK_FAIL, hint, "only %s free at %s (at least 100 MiB wanted)", amount, where);
		return;
	}
	set(c, CHECK_OK, NULL, "%s free at %s", amount, where);
}

/* ---- the exchange -------------------------------------------------------------------------------- */

struct body {
	char *data; /* received bytes, NUL-terminated (owned) */
	size_t len; /* bytes in data */
};

/*
 * GET base + path_query with an optional API key header. On a transport failure returns false with the
 * reason in err; otherwise the status and body (the caller frees body->data).
 */
static bool http_get(const struct sb_config *cfg, const char *path_query, const char *api_key, long *status,
                     struct body *body, char *err, size_t cap)
{
	char url[8192], header[512];
	memset(body, 0, sizeof *body);
	snprintf(url, sizeof url, "%s%s", cfg->binance_rest_url, path_query);
	struct sb_http_opts ho = {.ca_file = cfg->binance_ca_file[0] ? cfg->binance_ca_file : NULL,
	                          .timeout_ms = HTTP_TIMEOUT_MS,
	                          .max_body = HTTP_BODY_MAX,
	                          .max_in_flight = 1};
	struct sb_http_req req = {.method = SB_HTTP_GET, .url = url};
	if (api_key) {
		snprintf(header, sizeof header, "X-MBX-APIKEY: %s", api_key);
		req.headers[req.nheaders++] = header;
	}
	struct sb_http_fetched f;
	if (sb_http_fetch(&ho, &req, &f) != SB_OK) {
		snprintf(err, cap, "%s", f.err == SB_ERR_TOO_LONG ? "response too large" : f.errmsg);
		sb_http_fetched_free(&f);
		return false;
	}
	*status = f.status;
	body->data = f.body;
	body->len = f.body_len;
	return true;
}

/* A 2xx status: the answer itself, not an error. */
static bool rest_ok(int http_status)
{
	return http_status >= 200 && http_status < 300;
}

/* Describes a REST answer that could not be read (e from a sb_bn_*_parse) in detail. */
static void rest_detail(sb_err e, const struct sb_bn_api_error *api, const char *err, char *detail,
                        size_t cap)
{
	if (!rest_ok(api->http_status))
		snprintf(detail, cap, "HTTP %d, code %" PRId64 ": %s", api->http_status, api->code, api->msg);
	else
		snprintf(detail, cap, "%s", err[0] ? err : sb_strerror(e));
}

static void check_clock(struct doctor *d, bool *reachable)
{
	struct check *c = add(d, "clock", "clock skew");
	char err[512] = "", detail[512] = "", hint[DOCTOR_TEXT_MAX];
	struct body b;
	struct sb_bn_api_error api = {0};
	long status = 0;
	int64_t server = 0;
	*reachable = false;
	int64_t t0 = sb_clock_wall_ms();
	bool ok = http_get(&d->cfg, "/api/v3/time", NULL, &status, &b, err, sizeof err);
	int64_t t1 = sb_clock_wall_ms();
	if (!ok) {
		snprintf(hint, sizeof hint, "check BINANCE_REST_URL (%s)%s and the network",
		         d->cfg.binance_rest_url,
		         d->cfg.mode == SB_MODE_PAPER ? ", and that spotsim is running" : "");
		set(c, CHECK_FAIL, hint, "cannot reach the exchange: %s", err);
		return;
	}
	*reachable = true;
	sb_err e =
	    sb_bn_server_time_parse(b.data ? b.data : "", b.len, (int)status, &server, &api, err, sizeof err);
	free(b.data);
	if (e != SB_OK) {
		rest_detail(e, &api, err, detail, sizeof detail);
		set(c, CHECK_FAIL, "is BINANCE_REST_URL a Binance-compatible REST API?",
		    "GET /api/v3/time: %s", detail);
		return;
	}
	/* The server read its clock somewhere in the round trip; the middle is the best guess. */
	d->skew_ms = server - (t0 + (t1 - t0) / 2);
	int64_t abs_skew = d->skew_ms < 0 ? -d->skew_ms : d->skew_ms;
	if (abs_skew > CLOCK_SKEW_MAX_MS) {
		set(c, CHECK_FAIL, "synchronise the system clock (chrony, systemd-timesyncd or ntpd)",
		    "this machine is %" PRId64 " ms %s the exchange (round trip %" PRId64 " ms)", abs_skew,
		    d->skew_ms > 0 ? "behind" : "ahead of", t1 - t0);
		return;
	}
	set(c, CHECK_OK, NULL, "this machine is %" PRId64 " ms %s the exchange (round trip %" PRId64 " ms)",
	    abs_skew, d->skew_ms > 0 ? "behind" : "ahead of", t1 - t0);
}

/* The option that signs requests: the Ed25519 key file when one is configured, else the HMAC secret. */
static bool uses_ed25519(const struct sb_config *cfg)
{
	return cfg->binance_private_key_file[0] != '\0';
}

static const char *api_hint(const struct sb_config *cfg, int64_t code)
{
	switch (code) {
	case -1021:
		return "the request's timestamp was refused: synchronise the clock, or raise RECV_WINDOW_MS";
	case -1022:
		return uses_ed25519(cfg) ? "the key in BINANCE_PRIVATE_KEY_FILE does not belong to "
		                           "BINANCE_API_KEY: register its public key and use the API key "
		                           "the exchange gives for it"
		                         : "BINANCE_API_SECRET does not belong to BINANCE_API_KEY";
	case -2014:
	case -2015:
		return "check BINANCE_API_KEY, the key's IP restrictions and that it may read the account";
	default:
		return uses_ed25519(cfg) ? "check BINANCE_API_KEY and BINANCE_PRIVATE_KEY_FILE"
		                         : "check BINANCE_API_KEY and BINANCE_API_SECRET";
	}
}

/* Builds "timestamp=...&recvWindow=...&signature=..." for the account request into q. */
static sb_err signed_query(const struct sb_config *cfg, char *q, size_t cap)
{
	struct sb_signer *s = NULL;
	struct sb_query_builder b;
	char sig[SB_SIGN_MAX];
	size_t len = 0;
	if (uses_ed25519(cfg))
		SB_TRY(sb_signer_new_ed25519_file(cfg->binance_private_key_file, &s));
	else
		SB_TRY(sb_signer_new_hmac(cfg->binance_api_secret, strlen(cfg->binance_api_secret), &s));
	sb_query_builder_init(&b, q, cap);
	sb_err e = sb_query_builder_add_i64(&b, "recvWindow", cfg->recv_window_ms);
	if (e == SB_OK)
		e = sb_query_builder_add_i64(&b, "timestamp", sb_clock_wall_ms());
	if (e == SB_OK)
		e = sb_signer_sign(s, b.buf, b.len, sig, sizeof sig, &len);
	if (e == SB_OK)
		e = sb_query_builder_add(&b, "signature", sig, len);
	sb_signer_free(s);
	return e;
}

static void check_api_key(struct doctor *d)
{
	struct check *c = add(d, "api_key", "API key");
	char q[1024], path[1200], err[512] = "", detail[512] = "";
	struct body b;
	struct sb_bn_api_error api = {0};
	struct sb_bn_account acct = {0};
	long status = 0;
	bool ed25519 = uses_ed25519(&d->cfg);
	const char *kind = ed25519 ? "Ed25519" : "HMAC";
	if (!d->cfg.binance_api_key[0] || (!ed25519 && !d->cfg.binance_api_secret[0])) {
		set(c, CHECK_FAIL, "set BINANCE_API_KEY and BINANCE_API_SECRET or BINANCE_PRIVATE_KEY_FILE",
		    "no API key or secret configured");
		return;
	}
	sb_err e = signed_query(&d->cfg, q, sizeof q);
	if (e != SB_OK) {
		set(c, CHECK_FAIL, ed25519 ? "check BINANCE_PRIVATE_KEY_FILE" : "check BINANCE_API_SECRET",
		    "cannot sign a request with the %s key: %s", kind, sb_strerror(e));
		return;
	}
	snprintf(path, sizeof path, "/api/v3/account?%s", q);
	if (!http_get(&d->cfg, path, d->cfg.binance_api_key, &status, &b, err, sizeof err)) {
		set(c, CHECK_FAIL, "check BINANCE_REST_URL and the network", "GET /api/v3/account: %s", err);
		return;
	}
	e = sb_bn_account_parse(b.data ? b.data : "", b.len, (int)status, &acct, &api, err, sizeof err);
	free(b.data);
	if (e != SB_OK) {
		rest_detail(e, &api, err, detail, sizeof detail);
		if (!rest_ok(api.http_status))
			set(c, CHECK_FAIL, api_hint(&d->cfg, api.code), "the exchange refused the %s key: %s",
			    kind, detail);
		else
			set(c, CHECK_FAIL, "is BINANCE_REST_URL a Binance-compatible REST API?",
			    "GET /api/v3/account: %s", detail);
		return;
	}
	if (!acct.can_trade)
		set(c, CHECK_FAIL, "enable spot trading for this key in the exchange's API management",
		    "the %s key works but the account may not trade (canTrade false)", kind);
	else
		set(c, CHECK_OK, NULL, "%s key accepted; the %s account may trade (%zu balances)", kind,
		    acct.account_type[0] ? acct.account_type : "exchange", acct.n_balances);
	sb_bn_account_fini(&acct);
}

/* ---- report -------------------------------------------------------------------------------------- */

static const char *status_name(enum status s)
{
	return s == CHECK_OK ? "OK" : s == CHECK_FAIL ? "FAIL" : s == CHECK_WARN ? "WARN" : "SKIP";
}

static int report(const struct doctor *d, bool json)
{
	bool failed = false;
	for (size_t i = 0; i < d->n; i++)
		failed |= d->checks[i].status == CHECK_FAIL;
	if (json) {
		cJSON *doc = cJSON_CreateObject();
		cJSON_AddBoolToObject(doc, "ok", !failed);
		cJSON *arr = cJSON_AddArrayToObject(doc, "checks");
		for (size_t i = 0; i < d->n; i++) {
			const struct check *c = &d->checks[i];
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "check", c->id);
			cJSON_AddStringToObject(o, "status", status_name(c->status));
			cJSON_AddStringToObject(o, "detail", c->detail);
			if (c->hint[0])
				cJSON_AddStringToObject(o, "hint", c->hint);
			else
				cJSON_AddNullToObject(o, "hint");
			cJSON_AddItemToArray(arr, o);
		}
		char *text = cJSON_Print(doc);
		cJSON_Delete(doc);
		puts(text);
		cJSON_free(text);
	} else {
		bool color = sb_table_color_for(stdout);
		char paint[64];
		for (size_t i = 0; i < d->n; i++) {
			const struct check *c = &d->checks[i];
			enum sb_table_color col = c->status == CHECK_OK     ? SB_TABLE_GREEN
			                          : c->status == CHECK_FAIL ? SB_TABLE_RED
			                          : c->status == CHECK_WARN ? SB_TABLE_YELLOW
			                                                    : SB_TABLE_DIM;
			/* Pad by hand: the colour codes must not count towards the width. */
			const char *name = status_name(c->status);
			printf("%s%*s  %-18s %s\n", sb_table_paint(name, col, color, paint, sizeof paint),
			       (int)(4 - strlen(name)), "", c->title, c->detail);
			if (c->hint[0])
				printf("      %-18s hint: %s\n", "", c->hint);
		}
	}
	if (!d->cfg_ok)
		return SB_EXIT_USAGE;
	return failed ? SB_EXIT_FAILURE : SB_EXIT_OK;
}

static const char usage_text[] =
    "usage: spotbot doctor [--json] [--config FILE]\n"
    "  checks .env permissions, the configuration, the database, free disk space, the clock against the\n"
    "  exchange and the API key; prints OK or FAIL for each with a hint\n"
    "  --config FILE  read FILE instead of ./.env\n"
    "  --json         print the checks as JSON\n"
    "  exit codes: 0 all OK, 1 a check failed, 2 bad arguments or an invalid configuration\n";

int sb_cli_doctor_parse(int argc, char **argv, struct sb_cli_doctor_args *a)
{
	static const struct option longs[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;
	memset(a, 0, sizeof *a);
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":h", longs, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (!*optarg || a->config)
				return sb_cli_usage_error("doctor", usage_text,
				                          "--config needs one file name");
			a->config = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return -1;
		case ':':
			return sb_cli_usage_error("doctor", usage_text, "%s needs a value", argv[optind - 1]);
		default: {
			char why[300];
			return sb_cli_usage_error("doctor", usage_text, "%s",
			                          sb_cli_bad_option(argv, why, sizeof why));
		}
		}
	}
	if (optind < argc)
		return sb_cli_usage_error("doctor", usage_text, "unexpected argument '%s'", argv[optind]);
	return SB_EXIT_OK;
}

int sb_cmd_doctor(int argc, char **argv)
{
	struct sb_cli_doctor_args a;
	struct doctor d;
	int rc = sb_cli_doctor_parse(argc, argv, &a);
	if (rc != SB_EXIT_OK)
		return rc < 0 ? SB_EXIT_OK : rc;
	memset(&d, 0, sizeof d);
	d.config_path = a.config;
	check_env_permissions(&d);
	check_user(&d);
	check_config(&d);
	if (d.cfg_ok) {
		bool reachable;
		check_dirs(&d);
		check_database(&d);
		check_disk(&d, "disk_database", "disk (database)", d.cfg.database_path, "DATABASE_PATH");
		if (d.cfg.log_dir[0])
			check_disk(&d, "disk_logs", "disk (logs)", d.cfg.log_dir, "LOG_DIR");
		else
			set(add(&d, "disk_logs", "disk (logs)"), CHECK_OK, NULL,
			    "no log files: LOG_DIR is empty, the log goes to stderr");
		check_clock(&d, &reachable);
		if (reachable)
			check_api_key(&d);
		else
			set(add(&d, "api_key", "API key"), CHECK_SKIP, NULL,
			    "the exchange cannot be reached");
	} else {
		static const char *const ids[][2] = {{"directories", "directories"},
		                                     {"database", "database"},
		                                     {"disk_database", "disk (database)"},
		                                     {"disk_logs", "disk (logs)"},
		                                     {"clock", "clock skew"},
		                                     {"api_key", "API key"}};
		for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
			set(add(&d, ids[i][0], ids[i][1]), CHECK_SKIP, NULL, "the configuration is invalid");
	}
	rc = report(&d, a.json);
	sb_config_fini(&d.cfg);
	return rc;
}

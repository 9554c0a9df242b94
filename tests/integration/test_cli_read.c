/*
 * The read-only commands, backup and doctor, run as the real spotbot program against a temporary
 * database filled through the store API and a private .env pointing at it: the tables and the --json
 * documents (fields, decimal strings, times, order), filters, exit codes for bad arguments and a missing
 * database, backup's copy and its refusal to overwrite, doctor against a running spotsim with the
 * right and a wrong API secret, and `config --check`, `doctor` and `run` agreeing on what is wrong with a
 * configuration (with LOG_STDERR=false, run's reason still reaches standard error).
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/store.h"

extern char **environ;

static struct {
	char dir[256];    /* temporary directory of this test */
	char env[320];    /* its .env */
	char db[320];     /* its database */
	int64_t t0;       /* 2026-01-15T10:00:00Z */
	int control_port; /* CONTROL_LISTEN's port, where nothing listens unless a test opens it */
	char *out, *err;  /* the last run's stdout and stderr (owned) */
} T;

#define HOUR_MS (3600 * INT64_C(1000))
#define DAY_MS  (24 * HOUR_MS)

/* ---- running spotbot ---------------------------------------------------------------------------- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot read %s", path);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int ch;
	while ((ch = fgetc(f)) != EOF) {
		if (len + 2 > cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
		}
		buf[len++] = (char)ch;
	}
	fclose(f);
	if (!buf)
		buf = malloc(1);
	buf[len] = '\0';
	return buf;
}

/* The environment for the child: ours without configuration options or colour switches, so only the
 * test's .env (and extra, e.g. "CLICOLOR_FORCE=1") decide. */
static char **child_env(const char *extra)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 2, sizeof *env);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char name[128];
		size_t len = strcspn(environ[i], "=");
		if (len >= sizeof name)
			continue;
		memcpy(name, environ[i], len);
		name[len] = '\0';
		if (sb_config_option(name) || strcmp(name, "CLICOLOR_FORCE") == 0 ||
		    strcmp(name, "NO_COLOR") == 0)
			continue;
		env[k++] = environ[i];
	}
	if (extra)
		env[k++] = (char *)extra;
	env[k] = NULL;
	return env;
}

/* Runs `spotbot args...` (NULL-terminated) with stdout and stderr captured into T.out and T.err; returns
 * its exit status. The child is killed by SIGALRM if it runs for more than 60 s. */
static int run_env(const char *extra_env, const char *const *args)
{
	char prog[512], outp[400], errp[400];
	const char *argv[32];
	size_t n = 0;
	argv[n++] = sbt_program("spotbot", prog, sizeof prog);
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	snprintf(outp, sizeof outp, "%s/stdout", T.dir);
	snprintf(errp, sizeof errp, "%s/stderr", T.dir);
	char **env = child_env(extra_env);
	int status = sbt_run(argv, env, outp, errp, 60);
	free(env);
	cr_assert_neq(status, -1, "spotbot runs");
	free(T.out);
	free(T.err);
	T.out = slurp(outp);
	T.err = slurp(errp);
	cr_assert(WIFEXITED(status), "spotbot died by signal %d; stderr:\n%s", WTERMSIG(status), T.err);
	return WEXITSTATUS(status);
}

#define RUN(...) run_env(NULL, (const char *const[]){__VA_ARGS__, NULL})

/* Runs a command with --json and --config, expects exit 0 and returns the parsed document. */
static cJSON *run_json(const char *const *args)
{
	const char *argv[32];
	size_t n = 0;
	for (size_t i = 0; args[i] && n < 28; i++)
		argv[n++] = args[i];
	argv[n++] = "--json";
	argv[n++] = "--config";
	argv[n++] = T.env;
	argv[n] = NULL;
	int rc = run_env(NULL, argv);
	cr_assert_eq(rc, 0, "%s --json exited %d; stderr:\n%s", args[0], rc, T.err);
	cJSON *doc = cJSON_Parse(T.out);
	cr_assert_not_null(doc, "not JSON:\n%s", T.out);
	return doc;
}

#define JSON(...) run_json((const char *const[]){__VA_ARGS__, NULL})

static const cJSON *get(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	cr_assert_not_null(v, "no \"%s\" in %s", key, cJSON_PrintUnformatted(o));
	return v;
}

static void expect_str(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = get(o, key);
	cr_assert(cJSON_IsString(v), "\"%s\" is not a string", key);
	cr_assert_str_eq(v->valuestring, want, "\"%s\"", key);
}

/* JSON numbers here are integers (ids, counts, seconds), exact in a double below 2^53. */
static void expect_num(const cJSON *o, const char *key, int64_t want)
{
	const cJSON *v = get(o, key);
	cr_assert(cJSON_IsNumber(v), "\"%s\" is not a number", key);
	cr_assert_eq((int64_t)v->valuedouble, want, "\"%s\": %.0f, want %lld", key, v->valuedouble,
	             (long long)want);
}

static void expect_null(const cJSON *o, const char *key)
{
	cr_assert(cJSON_IsNull(get(o, key)), "\"%s\" is not null", key);
}

static void expect_bool(const cJSON *o, const char *key, bool want)
{
	const cJSON *v = get(o, key);
	cr_assert(cJSON_IsBool(v), "\"%s\" is not a boolean", key);
	cr_assert_eq(cJSON_IsTrue(v), want, "\"%s\"", key);
}

/* The element of arr whose key is the number id. */
static const cJSON *by_id(const cJSON *arr, const char *key, int64_t id)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, key);
		if (cJSON_IsNumber(v) && (int64_t)v->valuedouble == id)
			return it;
	}
	cr_assert_fail("no element with %s %lld", key, (long long)id);
	return NULL;
}

static const cJSON *by_str(const cJSON *arr, const char *key, const char *want)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, key);
		if (cJSON_IsString(v) && strcmp(v->valuestring, want) == 0)
			return it;
	}
	cr_assert_fail("no element with %s %s", key, want);
	return NULL;
}

/* The line of text containing needle (copied into buf), or fails. */
static const char *line_with(const char *text, const char *needle, char *buf, size_t cap)
{
	const char *hit = strstr(text, needle);
	cr_assert_not_null(hit, "no line with '%s' in:\n%s", needle, text);
	const char *start = hit;
	while (start > text && start[-1] != '\n')
		start--;
	size_t len = strcspn(start, "\n");
	cr_assert_lt(len, cap);
	memcpy(buf, start, len);
	buf[len] = '\0';
	return buf;
}

/* Offset of needle in the line, for checking that a column starts at the same place in every row. */
static long column(const char *line, const char *needle)
{
	const char *p = strstr(line, needle);
	cr_assert_not_null(p, "'%s' not in '%s'", needle, line);
	return p - line;
}

/* ---- the fixture ---------------------------------------------------------------------------------- */

static sb_dec dec(const char *s)
{
	sb_dec v = 0;
	cr_assert_eq(sb_dec_parse_cstr(s, &v), SB_OK, "%s", s);
	return v;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void write_env(const char *extra)
{
	FILE *f = fopen(T.env, "w");
	cr_assert_not_null(f);
	fprintf(f, "DATABASE_PATH=%s\nLOG_DIR=%s/logs\nCONTROL_LISTEN=127.0.0.1:%d\n%s", T.db, T.dir,
	        T.control_port, extra ? extra : "");
	fclose(f);
	cr_assert_eq(chmod(T.env, 0600), 0);
}

static void add_pair(struct sb_store *st, const char *symbol, bool enabled, const char *quote)
{
	struct sb_store_pair p = {.enabled = enabled,
	                          .quote_per_cycle = dec(quote),
	                          .max_positions = 2,
	                          .buy_mode = SB_STORE_BUY_LIMIT,
	                          .buy_offset = dec("0.001"),
	                          .buy_timeout_ms = 60000,
	                          .target_profit = dec("0.005"),
	                          .cooldown_ms = 30000,
	                          .updated_ms = T.t0};
	snprintf(p.symbol, sizeof p.symbol, "%s", symbol);
	cr_assert_eq(sb_store_pair_upsert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
}

static int64_t add_position(struct sb_store *st, struct sb_store_position *p)
{
	cr_assert_eq(sb_store_position_insert(st, p, NULL), SB_OK, "%s", sb_store_last_error(st));
	return p->id;
}

/* Writes the order as an intent, then (when its status is another) updates it to that status. */
static void add_order(struct sb_store *st, const struct sb_store_order *o)
{
	struct sb_store_order intent = *o;
	intent.status = SB_ORDER_PENDING_NEW;
	intent.exchange_order_id = 0;
	intent.executed_qty = 0;
	intent.cumm_quote_qty = 0;
	cr_assert_eq(sb_store_order_insert_intent(st, &intent, NULL, NULL), SB_OK, "%s",
	             sb_store_last_error(st));
	if (o->status != SB_ORDER_PENDING_NEW)
		cr_assert_eq(sb_store_order_update(st, o, NULL, NULL), SB_OK, "%s", sb_store_last_error(st));
}

static void add_event(struct sb_store *st, int64_t t, const char *kind, const char *symbol, int64_t pos,
                      const char *coid, const char *detail)
{
	struct sb_store_event ev = {.time_ms = t, .position_id = pos, .detail = detail};
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
	snprintf(ev.client_order_id, sizeof ev.client_order_id, "%s", coid);
	cr_assert_eq(sb_store_event_append(st, &ev, NULL), SB_OK, "%s", sb_store_last_error(st));
}

/*
 * Pairs BTCUSDT (enabled) and ETHUSDT (disabled); positions 1 BTCUSDT CLOSED (+0.19524, held 2h 03m on
 * 2026-01-15), 2 BTCUSDT HOLDING (cost 20.02), 3 ETHUSDT CLOSED (-0.615 on 2026-01-16), 4 ETHUSDT BUYING;
 * five orders of which one (sb-4-b) is open; five events; run_state and the last stream event.
 */
static void fill_database(void)
{
	struct sb_store *st = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, NULL, &st, err, sizeof err), SB_OK, "%s", err);
	add_pair(st, "BTCUSDT", true, "25");
	add_pair(st, "ETHUSDT", false, "15");

	struct sb_store_position p1 = {.symbol = "BTCUSDT",
	                               .state = SB_POSITION_CLOSED,
	                               .created_ms = T.t0 - 1000,
	                               .updated_ms = T.t0 + 2 * HOUR_MS + 3 * 60000,
	                               .opened_ms = T.t0,
	                               .closed_ms = T.t0 + 2 * HOUR_MS + 3 * 60000,
	                               .buy_qty = dec("0.001"),
	                               .cost_quote = dec("25.025"),
	                               .base_received = dec("0.000999"),
	                               .sell_qty = dec("0.00099"),
	                               .sold_qty = dec("0.00099"),
	                               .sell_price_target = dec("25500.5"),
	                               .proceeds = dec("25.245495"),
	                               .realised_profit = dec("0.19524"),
	                               .commissions = {{"BTC", 100}, {"USDT", 2500000}}};
	cr_assert_eq(add_position(st, &p1), 1);
	struct sb_store_position p2 = {.symbol = "BTCUSDT",
	                               .state = SB_POSITION_HOLDING,
	                               .created_ms = T.t0 + DAY_MS,
	                               .updated_ms = T.t0 + DAY_MS,
	                               .opened_ms = T.t0 + DAY_MS,
	                               .buy_qty = dec("0.0008"),
	                               .cost_quote = dec("20.02"),
	                               .base_received = dec("0.0008")};
	cr_assert_eq(add_position(st, &p2), 2);
	struct sb_store_position p3 = {.symbol = "ETHUSDT",
	                               .state = SB_POSITION_CLOSED,
	                               .created_ms = T.t0 + DAY_MS,
	                               .updated_ms = T.t0 + DAY_MS + HOUR_MS / 2,
	                               .opened_ms = T.t0 + DAY_MS,
	                               .closed_ms = T.t0 + DAY_MS + HOUR_MS / 2,
	                               .buy_qty = dec("0.005"),
	                               .cost_quote = dec("15"),
	                               .base_received = dec("0.005"),
	                               .sell_qty = dec("0.005"),
	                               .sold_qty = dec("0.005"),
	                               .sell_price_target = dec("2880"),
	                               .proceeds = dec("14.4"),
	                               .realised_profit = -dec("0.615")};
	cr_assert_eq(add_position(st, &p3), 3);
	struct sb_store_position p4 = {.symbol = "ETHUSDT",
	                               .state = SB_POSITION_BUYING,
	                               .created_ms = T.t0 + 2 * DAY_MS,
	                               .updated_ms = T.t0 + 2 * DAY_MS};
	cr_assert_eq(add_position(st, &p4), 4);

	struct sb_store_order o = {.client_order_id = "sb-1-b",
	                           .exchange_order_id = 1001,
	                           .position_id = 1,
	                           .symbol = "BTCUSDT",
	                           .side = SB_SIDE_BUY,
	                           .type = SB_ORDER_LIMIT,
	                           .tif = SB_TIF_GTC,
	                           .price = dec("25000"),
	                           .orig_qty = dec("0.001"),
	                           .executed_qty = dec("0.001"),
	                           .cumm_quote_qty = dec("25"),
	                           .status = SB_ORDER_FILLED,
	                           .created_ms = T.t0 - 1000,
	                           .updated_ms = T.t0};
	add_order(st, &o);
	struct sb_store_order s1 = o;
	snprintf(s1.client_order_id, sizeof s1.client_order_id, "sb-1-s");
	s1.exchange_order_id = 1002;
	s1.side = SB_SIDE_SELL;
	s1.price = dec("25500.5");
	s1.orig_qty = s1.executed_qty = dec("0.00099");
	s1.cumm_quote_qty = dec("25.245495");
	s1.created_ms = T.t0 + 1000;
	s1.updated_ms = T.t0 + 2 * HOUR_MS + 3 * 60000;
	add_order(st, &s1);
	struct sb_store_order b2 = {.client_order_id = "sb-2-b",
	                            .exchange_order_id = 1003,
	                            .position_id = 2,
	                            .symbol = "BTCUSDT",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_MARKET,
	                            .tif = SB_TIF_NONE,
	                            .quote_qty = dec("20"),
	                            .executed_qty = dec("0.0008"),
	                            .cumm_quote_qty = dec("20"),
	                            .status = SB_ORDER_FILLED,
	                            .created_ms = T.t0 + DAY_MS - 500,
	                            .updated_ms = T.t0 + DAY_MS};
	add_order(st, &b2);
	struct sb_store_order b3 = o;
	snprintf(b3.client_order_id, sizeof b3.client_order_id, "sb-3-b");
	snprintf(b3.symbol, sizeof b3.symbol, "ETHUSDT");
	b3.exchange_order_id = 1005;
	b3.position_id = 3;
	b3.price = dec("3000");
	b3.orig_qty = b3.executed_qty = dec("0.005");
	b3.cumm_quote_qty = dec("15");
	b3.created_ms = T.t0 + DAY_MS - 100;
	b3.updated_ms = T.t0 + DAY_MS;
	add_order(st, &b3);
	struct sb_store_order b4 = b3;
	snprintf(b4.client_order_id, sizeof b4.client_order_id, "sb-4-b");
	b4.exchange_order_id = 1004;
	b4.position_id = 4;
	b4.price = dec("2990.01");
	b4.executed_qty = 0;
	b4.cumm_quote_qty = 0;
	b4.status = SB_ORDER_NEW;
	b4.created_ms = T.t0 + 2 * DAY_MS;
	b4.updated_ms = T.t0 + 2 * DAY_MS;
	add_order(st, &b4);

	add_event(st, T.t0, "order.intent", "BTCUSDT", 1, "sb-1-b", "{\"price\":\"25000\"}");
	add_event(st, T.t0 + 60000, "fill", "BTCUSDT", 1, "sb-1-b", "{\"qty\":\"0.001\",\"trade_id\":77}");
	add_event(st, T.t0 + 120000, "position.closed", "BTCUSDT", 1, "", NULL);
	add_event(st, T.t0 + 180000, "pause", "", 0, "", "{\"by\":\"cli\"}");
	add_event(st, T.t0 + 240000, "resume", "", 0, "", NULL);

	cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_RUN_STATE, "stopped", T.t0, NULL), SB_OK);
	cr_assert_eq(sb_store_state_set_int(st, SB_STORE_KEY_LAST_STREAM_MS, T.t0 + 2 * DAY_MS, T.t0, NULL),
	             SB_OK);
	sb_store_close(st);
}

static void setup(void)
{
	const char *iso = "2026-01-15T10:00:00Z";
	memset(&T, 0, sizeof T);
	snprintf(T.dir, sizeof T.dir, "/tmp/sb-cli-XXXXXX");
	cr_assert_not_null(mkdtemp(T.dir));
	snprintf(T.env, sizeof T.env, "%s/test.env", T.dir);
	snprintf(T.db, sizeof T.db, "%s/spotbot.db", T.dir);
	cr_assert_eq(sb_clock_parse_rfc3339_ms(iso, strlen(iso), &T.t0), SB_OK);
	T.control_port = free_port();
	write_env(NULL);
	fill_database();
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	free(T.out);
	free(T.err);
	T.out = T.err = NULL;
	if (T.dir[0])
		nftw(T.dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(cli_read, .init = setup, .fini = teardown, .timeout = 120);

/* ---- positions and history ---------------------------------------------------------------------- */

Test(cli_read, positions_json_has_every_field_with_decimal_strings)
{
	cJSON *doc = JSON("positions");
	cr_assert(cJSON_IsArray(doc));
	cr_assert_eq(cJSON_GetArraySize(doc), 4);
	/* Newest first. */
	expect_num(cJSON_GetArrayItem(doc, 0), "id", 4);
	expect_num(cJSON_GetArrayItem(doc, 3), "id", 1);
	const cJSON *p = by_id(doc, "id", 1);
	expect_str(p, "symbol", "BTCUSDT");
	expect_str(p, "state", "CLOSED");
	expect_num(p, "cycle", 1);
	expect_str(p, "opened_at", "2026-01-15T10:00:00.000Z");
	expect_str(p, "closed_at", "2026-01-15T12:03:00.000Z");
	expect_num(p, "held_seconds", 7380);
	expect_str(p, "buy_qty", "0.001");
	expect_str(p, "cost_quote", "25.025");
	expect_str(p, "sell_price", "25500.5");
	expect_str(p, "proceeds_quote", "25.245495");
	expect_str(p, "realized_profit_quote", "0.19524");
	expect_bool(p, "open", false);
	const cJSON *fees = get(p, "commissions");
	cr_assert_eq(cJSON_GetArraySize(fees), 2);
	expect_str(by_str(fees, "asset", "USDT"), "amount", "0.025");
	expect_str(by_str(fees, "asset", "BTC"), "amount", "0.000001");
	p = by_id(doc, "id", 2);
	expect_str(p, "state", "HOLDING");
	expect_null(p, "closed_at");
	expect_null(p, "sell_price");
	expect_null(p, "realized_profit_quote");
	expect_num(p, "cycle", 2);
	/* Still held: from its buy until now, which is after the fixture's dates. */
	cr_assert_gt(get(p, "held_seconds")->valuedouble, 86400.0);
	p = by_id(doc, "id", 4);
	expect_null(p, "opened_at");
	expect_null(p, "held_seconds");
	expect_str(p, "cost_quote", "0");
	p = by_id(doc, "id", 3);
	expect_str(p, "realized_profit_quote", "-0.615");
	cJSON_Delete(doc);
}

Test(cli_read, positions_table_is_aligned_plain_text)
{
	char head[512], row1[512], row2[512];
	cr_assert_eq(RUN("positions", "--config", T.env), 0, "%s", T.err);
	cr_assert_null(strchr(T.out, '\x1b'), "colour codes in output to a file");
	line_with(T.out, "SYMBOL", head, sizeof head);
	line_with(T.out, "25.025", row1, sizeof row1);
	line_with(T.out, "HOLDING", row2, sizeof row2);
	cr_assert_not_null(strstr(row1, "CLOSED"));
	cr_assert_not_null(strstr(row1, "2026-01-15T10:00:00Z"));
	cr_assert_not_null(strstr(row1, "2h 03m"));
	cr_assert_not_null(strstr(row1, "25500.5"));
	cr_assert_not_null(strstr(row1, "0.19524"));
	cr_assert_eq(column(head, "SYMBOL"), column(row1, "BTCUSDT"));
	cr_assert_eq(column(head, "SYMBOL"), column(row2, "BTCUSDT"));
	cr_assert_eq(column(head, "STATE"), column(row1, "CLOSED"));
	cr_assert_eq(column(head, "STATE"), column(row2, "HOLDING"));
	/* Right-aligned numbers end where their header ends. */
	cr_assert_eq(column(head, "COST") + 4, column(row1, "25.025") + 6);
	cr_assert_eq(column(head, "COST") + 4, column(row2, "20.02") + 5);
	for (const char *l = T.out; *l; l = strchr(l, '\n') + 1)
		cr_assert_neq(l[strcspn(l, "\n") - 1], ' ', "a line ends in a space");
}

Test(cli_read, positions_filters_by_state_and_symbol)
{
	cJSON *doc = JSON("positions", "--open");
	cr_assert_eq(cJSON_GetArraySize(doc), 2);
	by_id(doc, "id", 2);
	by_id(doc, "id", 4);
	cJSON_Delete(doc);
	doc = JSON("positions", "--symbol", "ethusdt");
	cr_assert_eq(cJSON_GetArraySize(doc), 2);
	by_id(doc, "id", 3);
	by_id(doc, "id", 4);
	cJSON_Delete(doc);
	doc = JSON("positions", "--closed", "--limit", "1");
	cr_assert_eq(cJSON_GetArraySize(doc), 1);
	expect_num(cJSON_GetArrayItem(doc, 0), "id", 3);
	cJSON_Delete(doc);
}

static struct sb_store *open_db(void)
{
	struct sb_store *st = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, NULL, &st, err, sizeof err), SB_OK, "%s", err);
	return st;
}

/* Sets position id's exit reason and alert as this build writes them. */
static void set_exit(struct sb_store *st, int64_t id, enum sb_position_exit exit, bool alerted)
{
	struct sb_store_position p;
	cr_assert_eq(sb_store_position_get(st, id, &p), SB_OK);
	p.exit = exit;
	p.duration_alerted = alerted;
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
}

/* Schema 4 kept a position's exit reason and its max-duration alert as tokens in its notes; opening such a
 * file moves them into their columns, and `positions` shows the same exit as before. */
Test(cli_read, exit_reasons_kept_in_notes_by_schema_4_migrate_into_columns_and_show_the_same)
{
	struct sb_store *st = open_db();
	set_exit(st, 1, SB_EXIT_STOP_LOSS, true);
	set_exit(st, 3, SB_EXIT_TARGET, false);
	sb_store_close(st);
	cJSON *before = JSON("positions");
	expect_str(by_id(before, "id", 1), "exit", "stop_loss");
	expect_str(by_id(before, "id", 3), "exit", "target");

	/* The same rows as a schema-4 build wrote them. */
	st = open_db();
	cr_assert_eq(sb_store_exec(st, "ALTER TABLE positions DROP COLUMN exit_reason;"
	                               "ALTER TABLE positions DROP COLUMN alerted;"
	                               "UPDATE positions SET notes = 'exit=STOP_LOSS,alerted' WHERE id = 1;"
	                               "UPDATE positions SET notes = 'exit=NONE' WHERE id = 2;"
	                               "UPDATE positions SET notes = 'exit=TARGET,kept by hand' WHERE id = 3;"
	                               "UPDATE system_state SET value = '4' WHERE key = 'schema_version'"),
	             SB_OK, "%s", sb_store_last_error(st));
	sb_store_close(st);

	st = open_db(); /* migrates */
	int64_t v = 0;
	cr_assert_eq(sb_store_state_get_int(st, SB_STORE_KEY_SCHEMA_VERSION, &v), SB_OK);
	cr_assert_eq(v, SB_STORE_SCHEMA_VERSION);
	struct sb_store_position p;
	cr_assert_eq(sb_store_position_get(st, 1, &p), SB_OK);
	cr_assert_eq(p.exit, SB_EXIT_STOP_LOSS);
	cr_assert(p.duration_alerted, "the alert moved into its column");
	cr_assert_str_eq(p.notes, "", "and out of the notes");
	cr_assert_eq(sb_store_position_get(st, 2, &p), SB_OK);
	cr_assert_eq(p.exit, SB_EXIT_NONE);
	cr_assert_not(p.duration_alerted);
	cr_assert_str_eq(p.notes, "");
	cr_assert_eq(sb_store_position_get(st, 3, &p), SB_OK);
	cr_assert_eq(p.exit, SB_EXIT_TARGET);
	cr_assert_not(p.duration_alerted);
	cr_assert_str_eq(p.notes, "kept by hand", "other text stays");
	sb_store_close(st);

	cJSON *after = JSON("positions");
	cr_assert_eq(cJSON_GetArraySize(after), cJSON_GetArraySize(before));
	for (int64_t id = 1; id <= 4; id++) {
		const cJSON *b = get(by_id(before, "id", id), "exit"),
		            *a = get(by_id(after, "id", id), "exit");
		cr_assert(cJSON_Compare(a, b, true), "position %lld: exit %s before, %s after", (long long)id,
		          cJSON_PrintUnformatted(b), cJSON_PrintUnformatted(a));
	}
	cJSON_Delete(before);
	cJSON_Delete(after);
}

Test(cli_read, history_lists_closed_cycles_with_their_total)
{
	cJSON *doc = JSON("history");
	cr_assert_eq(cJSON_GetArraySize(doc), 2);
	expect_num(cJSON_GetArrayItem(doc, 0), "id", 3);
	expect_num(cJSON_GetArrayItem(doc, 1), "id", 1);
	cJSON_Delete(doc);
	doc = JSON("history", "--since", "2026-01-16");
	cr_assert_eq(cJSON_GetArraySize(doc), 1);
	expect_num(cJSON_GetArrayItem(doc, 0), "id", 3);
	cJSON_Delete(doc);
	cr_assert_eq(RUN("history", "--config", T.env), 0, "%s", T.err);
	cr_assert_not_null(strstr(T.out, "2 cycles, realised profit -0.41976\n"), "%s", T.out);
	cr_assert_not_null(strstr(T.out, "2026-01-15T12:03:00Z"), "%s", T.out);
}

/* ---- orders, pairs, pnl, events ------------------------------------------------------------------ */

Test(cli_read, orders_json_has_ids_amounts_and_status)
{
	cJSON *doc = JSON("orders");
	cr_assert_eq(cJSON_GetArraySize(doc), 5);
	expect_str(cJSON_GetArrayItem(doc, 0), "client_order_id", "sb-4-b"); /* newest first */
	const cJSON *o = by_str(doc, "client_order_id", "sb-1-b");
	expect_num(o, "exchange_order_id", 1001);
	expect_num(o, "position_id", 1);
	expect_str(o, "symbol", "BTCUSDT");
	expect_str(o, "side", "BUY");
	expect_str(o, "type", "LIMIT");
	expect_str(o, "time_in_force", "GTC");
	expect_str(o, "price", "25000");
	expect_str(o, "orig_qty", "0.001");
	expect_str(o, "executed_qty", "0.001");
	expect_str(o, "cumm_quote_qty", "25");
	expect_str(o, "status", "FILLED");
	expect_null(o, "last_error");
	o = by_str(doc, "client_order_id", "sb-2-b");
	expect_str(o, "type", "MARKET");
	expect_null(o, "time_in_force");
	expect_str(o, "quote_qty", "20");
	expect_str(o, "orig_qty", "0");
	o = by_str(doc, "client_order_id", "sb-1-s");
	expect_str(o, "side", "SELL");
	expect_str(o, "price", "25500.5");
	cJSON_Delete(doc);
	doc = JSON("orders", "--open");
	cr_assert_eq(cJSON_GetArraySize(doc), 1);
	expect_str(cJSON_GetArrayItem(doc, 0), "status", "NEW");
	expect_str(cJSON_GetArrayItem(doc, 0), "price", "2990.01");
	cJSON_Delete(doc);
	doc = JSON("orders", "--position", "1");
	cr_assert_eq(cJSON_GetArraySize(doc), 2);
	cJSON_Delete(doc);
	doc = JSON("orders", "--status", "FILLED", "--symbol", "BTCUSDT");
	cr_assert_eq(cJSON_GetArraySize(doc), 3);
	cJSON_Delete(doc);
	doc = JSON("orders", "--status", "filled", "--symbol", "btcusdt");
	cr_assert_eq(cJSON_GetArraySize(doc), 3, "--status takes any case, like --symbol");
	cJSON_Delete(doc);
}

Test(cli_read, orders_table_shows_ids_and_status)
{
	char head[512], row[512];
	cr_assert_eq(RUN("orders", "--config", T.env), 0, "%s", T.err);
	line_with(T.out, "CLIENT ORDER ID", head, sizeof head);
	line_with(T.out, "sb-4-b", row, sizeof row);
	cr_assert_not_null(strstr(row, "1004"));
	cr_assert_not_null(strstr(row, "2990.01"));
	cr_assert_eq(column(head, "STATUS"), column(row, "NEW"));
	line_with(T.out, "sb-2-b", row, sizeof row);
	cr_assert_not_null(strstr(row, "20 quote"), "%s", row);
}

Test(cli_read, pairs_lists_configuration)
{
	cJSON *doc = JSON("pairs");
	cr_assert_eq(cJSON_GetArraySize(doc), 2);
	const cJSON *p = by_str(doc, "symbol", "BTCUSDT");
	expect_bool(p, "enabled", true);
	expect_str(p, "quote_per_cycle", "25");
	expect_str(p, "target_profit", "0.005");
	expect_str(p, "buy_offset", "0.001");
	expect_num(p, "buy_timeout_seconds", 60);
	expect_null(p, "stop_loss");
	expect_bool(by_str(doc, "symbol", "ETHUSDT"), "enabled", false);
	cJSON_Delete(doc);
	doc = JSON("pairs", "list", "--enabled");
	cr_assert_eq(cJSON_GetArraySize(doc), 1);
	cJSON_Delete(doc);
	char row[512];
	cr_assert_eq(RUN("pairs", "--config", T.env), 0, "%s", T.err);
	line_with(T.out, "BTCUSDT", row, sizeof row);
	cr_assert_not_null(strstr(row, "0.5%"), "%s", row);
	cr_assert_not_null(strstr(row, "yes"), "%s", row);
	/* Changes go through the daemon (test_control_pairs.c); a missing quote= is refused before that. */
	cr_assert_eq(RUN("pairs", "add", "SOLUSDT", "--config", T.env), 2);
}

Test(cli_read, pnl_by_pair_and_by_day)
{
	cJSON *doc = JSON("pnl");
	const cJSON *pairs = get(doc, "by_pair"), *days = get(doc, "by_day"), *tot = get(doc, "total");
	cr_assert_eq(cJSON_GetArraySize(pairs), 2);
	expect_str(by_str(pairs, "symbol", "BTCUSDT"), "realized_profit_quote", "0.19524");
	expect_str(by_str(pairs, "symbol", "ETHUSDT"), "realized_profit_quote", "-0.615");
	expect_num(by_str(pairs, "symbol", "BTCUSDT"), "wins", 1);
	cr_assert_eq(cJSON_GetArraySize(days), 2);
	expect_str(cJSON_GetArrayItem(days, 0), "day", "2026-01-15");
	expect_str(cJSON_GetArrayItem(days, 1), "day", "2026-01-16");
	expect_str(cJSON_GetArrayItem(days, 1), "cost_quote", "15");
	expect_num(tot, "cycles", 2);
	expect_str(tot, "realized_profit_quote", "-0.41976");
	expect_str(tot, "cost_quote", "40.025");
	cJSON_Delete(doc);
	doc = JSON("pnl", "--by", "day", "--until", "2026-01-16");
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(doc, "by_pair"));
	cr_assert_eq(cJSON_GetArraySize(get(doc, "by_day")), 1);
	cJSON_Delete(doc);
	cr_assert_eq(RUN("pnl", "--config", T.env), 0, "%s", T.err);
	char row[512];
	line_with(T.out, "2026-01-16", row, sizeof row);
	cr_assert_not_null(strstr(row, "-0.615"));
	cr_assert_not_null(strstr(T.out, "realised profit -0.41976"), "%s", T.out);
}

Test(cli_read, events_newest_first_limited_and_filtered)
{
	cJSON *doc = JSON("events");
	cr_assert_eq(cJSON_GetArraySize(doc), 5);
	const cJSON *e = cJSON_GetArrayItem(doc, 1);
	expect_str(e, "kind", "fill");
	expect_str(e, "time", "2026-01-15T10:01:00.000Z");
	expect_str(e, "client_order_id", "sb-1-b");
	expect_num(e, "position_id", 1);
	expect_num(get(e, "detail"), "trade_id", 77);
	expect_null(cJSON_GetArrayItem(doc, 3), "symbol");
	cJSON_Delete(doc);
	/* --limit keeps the newest, still oldest first. */
	doc = JSON("events", "--limit", "2");
	cr_assert_eq(cJSON_GetArraySize(doc), 2);
	expect_str(cJSON_GetArrayItem(doc, 0), "kind", "pause");
	expect_str(cJSON_GetArrayItem(doc, 1), "kind", "resume");
	cJSON_Delete(doc);
	doc = JSON("events", "--since", "2026-01-15T10:02:00Z");
	cr_assert_eq(cJSON_GetArraySize(doc), 3);
	expect_str(cJSON_GetArrayItem(doc, 0), "kind", "position.closed");
	cJSON_Delete(doc);
	doc = JSON("events", "--kind", "fill");
	cr_assert_eq(cJSON_GetArraySize(doc), 1);
	cJSON_Delete(doc);
	char row[512];
	cr_assert_eq(RUN("events", "--config", T.env), 0, "%s", T.err);
	line_with(T.out, "pause", row, sizeof row);
	cr_assert_not_null(strstr(row, "2026-01-15T10:03:00Z"));
	cr_assert_not_null(strstr(row, "{\"by\":\"cli\"}"));
}

Test(cli_read, events_kind_filter_takes_the_documented_spelling_in_either_case)
{
	/* An event as builds before schema 4 spelt it, then the daemon's start migrates the database. */
	struct sb_store *st = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(T.db, NULL, &st, err, sizeof err), SB_OK, "%s", err);
	add_event(st, T.t0 + 300000, "position.CLOSED", "ETHUSDT", 3, "", NULL);
	cr_assert_eq(sb_store_exec(st, "ALTER TABLE positions DROP COLUMN exit_reason;"
	                               "ALTER TABLE positions DROP COLUMN alerted;"
	                               "UPDATE system_state SET value = '3' WHERE key = 'schema_version'"),
	             SB_OK, "%s", sb_store_last_error(st));
	sb_store_close(st);
	cr_assert_eq(sb_store_open_sqlite(T.db, NULL, &st, err, sizeof err), SB_OK, "%s", err);
	sb_store_close(st);

	const char *spellings[] = {"position.closed", "POSITION.CLOSED", "Position.Closed"};
	for (size_t i = 0; i < 3; i++) {
		cJSON *doc = JSON("events", "--kind", spellings[i]);
		cr_assert_eq(cJSON_GetArraySize(doc), 2, "--kind %s", spellings[i]);
		expect_str(cJSON_GetArrayItem(doc, 0), "symbol", "BTCUSDT");
		expect_str(cJSON_GetArrayItem(doc, 1), "symbol", "ETHUSDT");
		expect_str(cJSON_GetArrayItem(doc, 1), "kind", "position.closed");
		cJSON_Delete(doc);
	}
	/* The help names the kinds as they are stored. */
	cr_assert_eq(RUN("events", "--help"), 0);
	cr_assert_not_null(strstr(T.out, "position.closed"), "%s", T.out);
}

/* ---- status --------------------------------------------------------------------------------------- */

Test(cli_read, status_reports_database_state_and_no_daemon)
{
	cJSON *doc = JSON("status");
	expect_bool(get(doc, "daemon"), "running", false);
	expect_str(doc, "run_state", "stopped");
	expect_str(doc, "last_stream_event_at", "2026-01-17T10:00:00.000Z");
	expect_num(get(doc, "pairs"), "total", 2);
	expect_num(get(doc, "pairs"), "enabled", 1);
	expect_num(get(doc, "positions"), "open", 2);
	expect_num(get(doc, "positions"), "HOLDING", 1);
	expect_num(get(doc, "positions"), "BUYING", 1);
	expect_num(get(doc, "positions"), "closed_cycles", 2);
	expect_str(doc, "exposure_quote", "20.02");
	expect_str(doc, "realized_profit_quote", "-0.41976");
	expect_num(doc, "open_orders", 1);
	expect_num(get(doc, "database"), "schema_version", SB_STORE_SCHEMA_VERSION);
	cJSON_Delete(doc);
	cr_assert_eq(RUN("status", "--config", T.env), 0, "%s", T.err);
	cr_assert_not_null(strstr(T.out, "not running"), "%s", T.out);
	cr_assert_not_null(strstr(T.out, "exposure        20.02"), "%s", T.out);
}

Test(cli_read, status_shows_the_mode_and_the_kill_switch_as_yes_or_no)
{
	cJSON *doc = JSON("status");
	expect_str(doc, "mode", "paper");
	expect_bool(doc, "paused", false);
	cJSON_Delete(doc);
	cr_assert_eq(RUN("status", "--config", T.env), 0, "%s", T.err);
	cr_assert_not_null(strstr(T.out, "mode            paper (configured)\n"), "%s", T.out);
	cr_assert_not_null(strstr(T.out, "paused          no\n"), "%s", T.out);
	cr_assert_null(strstr(T.out, "(live)"), "live reads like MODE=live: %s", T.out);

	/* The kill switch as the daemon records it ("1"), shown as yes, and "0" as no. */
	const char *recorded[] = {"1", "0"};
	for (size_t i = 0; i < 2; i++) {
		struct sb_store *st = NULL;
		char err[256];
		cr_assert_eq(sb_store_open_sqlite(T.db, NULL, &st, err, sizeof err), SB_OK, "%s", err);
		cr_assert_eq(sb_store_state_set(st, SB_STORE_KEY_PAUSED, recorded[i], T.t0, NULL), SB_OK);
		sb_store_close(st);
		doc = JSON("status");
		expect_bool(doc, "paused", i == 0);
		cJSON_Delete(doc);
		cr_assert_eq(RUN("status", "--config", T.env), 0, "%s", T.err);
		cr_assert_not_null(strstr(T.out, i == 0 ? "paused          yes\n" : "paused          no\n"),
		                   "%s", T.out);
	}
}

Test(cli_read, status_sees_a_listener_at_the_control_address)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons((uint16_t)T.control_port),
	                        .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	cr_assert_eq(listen(fd, 4), 0);
	cJSON *doc = JSON("status");
	expect_bool(get(doc, "daemon"), "running", true);
	cJSON_Delete(doc);
	close(fd);
}

Test(cli_read, colour_only_when_forced)
{
	cr_assert_eq(run_env("CLICOLOR_FORCE=1", (const char *const[]){"history", "--config", T.env, NULL}),
	             0);
	cr_assert_not_null(strstr(T.out, "\x1b[31m-0.615\x1b[0m"), "%s", T.out);
	cr_assert_not_null(strstr(T.out, "\x1b[32m0.19524\x1b[0m"), "%s", T.out);
	cr_assert_eq(
	    run_env("CLICOLOR_FORCE=1", (const char *const[]){"history", "--json", "--config", T.env, NULL}),
	    0);
	cr_assert_null(strchr(T.out, '\x1b'), "colour in JSON");
}

/* ---- errors --------------------------------------------------------------------------------------- */

static void expect_usage_error(const char *const *args, const char *message)
{
	int rc = run_env(NULL, args);
	cr_assert_eq(rc, 2, "%s exited %d", args[0], rc);
	cr_assert_not_null(strstr(T.err, message), "stderr:\n%s", T.err);
	/* One line of error, then the command's usage. */
	const char *nl = strchr(T.err, '\n');
	cr_assert_not_null(nl);
	cr_assert_eq(strncmp(nl + 1, "usage: spotbot ", 15), 0, "stderr:\n%s", T.err);
	cr_assert_str_empty(T.out);
}

Test(cli_read, bad_arguments_exit_2_with_the_usage)
{
	expect_usage_error((const char *const[]){"positions", "--bogus", NULL}, "unknown option '--bogus'");
	expect_usage_error((const char *const[]){"positions", "--limit", "0", "--config", T.env, NULL},
	                   "--limit");
	expect_usage_error((const char *const[]){"orders", "--status", "DONE", NULL}, "not an order status");
	expect_usage_error((const char *const[]){"orders", "--position", "x1", NULL}, "--position");
	expect_usage_error((const char *const[]){"events", "--since", "yesterday", NULL}, "is not a time");
	expect_usage_error((const char *const[]){"events", "--limit", NULL}, "--limit needs a value");
	expect_usage_error((const char *const[]){"history", "extra", NULL}, "unexpected argument 'extra'");
	expect_usage_error((const char *const[]){"pnl", "--by", "week", NULL}, "--by must be");
	expect_usage_error((const char *const[]){"status", "-x", NULL}, "unknown option '-x'");
	expect_usage_error((const char *const[]){"status", "--json=yes", NULL}, "takes no value");
	expect_usage_error((const char *const[]){"pairs", "--json", "frobnicate", NULL},
	                   "unexpected argument");
	expect_usage_error((const char *const[]){"backup", NULL}, "which file");
	expect_usage_error((const char *const[]){"doctor", "--nope", NULL}, "unknown option");
}

/* Whole-number options take digits only: a sign or a blank that strtoll used to skip is refused. */
Test(cli_read, number_options_take_digits_only)
{
	expect_usage_error((const char *const[]){"positions", "--limit", "+2", "--config", T.env, NULL},
	                   "--limit must be a whole number");
	expect_usage_error((const char *const[]){"events", "--limit", " 2", "--config", T.env, NULL},
	                   "--limit must be a whole number");
	expect_usage_error((const char *const[]){"orders", "--position", "+1", "--config", T.env, NULL},
	                   "--position");
}

Test(cli_read, help_prints_usage_and_exits_0)
{
	cr_assert_eq(RUN("positions", "--help"), 0);
	cr_assert_eq(strncmp(T.out, "usage: spotbot positions", 24), 0, "%s", T.out);
}

Test(cli_read, missing_database_exits_1_with_a_clear_message)
{
	cr_assert_eq(unlink(T.db), 0);
	const char *cmds[] = {"status", "positions", "orders", "pairs", "history", "pnl", "events"};
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		cr_assert_eq(RUN(cmds[i], "--config", T.env), 1, "%s", cmds[i]);
		cr_assert_not_null(strstr(T.err, "no database at"), "%s: %s", cmds[i], T.err);
		cr_assert_not_null(strstr(T.err, T.db), "%s: %s", cmds[i], T.err);
	}
	/* The read-only commands never create it. */
	struct stat sb;
	cr_assert_neq(stat(T.db, &sb), 0);
}

Test(cli_read, bad_configuration_exits_2)
{
	cr_assert_eq(chmod(T.env, 0644), 0);
	cr_assert_eq(RUN("positions", "--config", T.env), 2);
	cr_assert_not_null(strstr(T.err, "configuration"), "%s", T.err);
}

/* ---- backup --------------------------------------------------------------------------------------- */

Test(cli_read, backup_copies_every_row_and_never_overwrites)
{
	char copy[400];
	snprintf(copy, sizeof copy, "%s/copy.db", T.dir);
	cr_assert_eq(RUN("backup", copy, "--config", T.env), 0, "%s", T.err);
	cr_assert_not_null(strstr(T.out, copy), "%s", T.out);
	struct stat sb;
	cr_assert_eq(stat(copy, &sb), 0);
	cr_assert_eq(sb.st_mode & 0777, 0600);

	struct sb_store *st = NULL;
	struct sb_store_opts ro = {.readonly = true, .no_create = true};
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(copy, &ro, &st, err, sizeof err), SB_OK, "%s", err);
	struct sb_store_position *pos = NULL;
	struct sb_store_order *ord = NULL;
	struct sb_store_event *ev = NULL;
	size_t npos = 0, nord = 0, nev = 0;
	cr_assert_eq(sb_store_position_list(st, NULL, &pos, &npos), SB_OK);
	cr_assert_eq(sb_store_order_list(st, NULL, &ord, &nord), SB_OK);
	cr_assert_eq(sb_store_event_list(st, NULL, &ev, &nev), SB_OK);
	cr_assert_eq(npos, 4);
	cr_assert_eq(nord, 5);
	cr_assert_eq(nev, 5);
	cr_assert_eq(pos[3].realised_profit, SB_DEC_C(0, 19524000));
	free(pos);
	free(ord);
	sb_store_events_free(ev, nev);
	sb_store_close(st);

	/* A second backup to the same path is refused and leaves the first intact. */
	cr_assert_eq(RUN("backup", copy, "--config", T.env), 1);
	cr_assert_not_null(strstr(T.err, "already exists"), "%s", T.err);
	struct stat again;
	cr_assert_eq(stat(copy, &again), 0);
	cr_assert_eq(again.st_mtime, sb.st_mtime);
	cr_assert_eq(again.st_size, sb.st_size);

	char json_copy[400];
	snprintf(json_copy, sizeof json_copy, "%s/copy2.db", T.dir);
	cJSON *doc = JSON("backup", json_copy);
	expect_str(doc, "path", json_copy);
	expect_str(doc, "integrity", "ok");
	cJSON_Delete(doc);
}

Test(cli_read, backup_without_a_database_exits_1)
{
	char copy[400];
	snprintf(copy, sizeof copy, "%s/copy.db", T.dir);
	cr_assert_eq(unlink(T.db), 0);
	cr_assert_eq(RUN("backup", copy, "--config", T.env), 1);
	cr_assert_not_null(strstr(T.err, "no database at"), "%s", T.err);
}

/* ---- doctor --------------------------------------------------------------------------------------- */

static const cJSON *check_named(const cJSON *doc, const char *id)
{
	return by_str(get(doc, "checks"), "check", id);
}

Test(cli_read, doctor_all_ok_against_spotsim_and_fails_a_wrong_secret)
{
	struct sbt_proc sim;
	cr_assert(sbt_spotsim_start(&sim, NULL));
	char extra[256];
	snprintf(extra, sizeof extra, "BINANCE_REST_URL=http://127.0.0.1:%d\n", sim.port);
	write_env(extra);

	int rc = run_env(NULL, (const char *const[]){"doctor", "--json", "--config", T.env, NULL});
	cJSON *doc = cJSON_Parse(T.out);
	cr_assert_not_null(doc, "%s", T.out);
	cr_assert_eq(rc, 0, "doctor exited %d:\n%s", rc, T.out);
	expect_bool(doc, "ok", true);
	const char *ids[] = {"env_permissions", "config", "database", "disk_database",
	                     "disk_logs",       "clock",  "api_key"};
	for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
		expect_str(check_named(doc, ids[i]), "status", "OK");
	cJSON_Delete(doc);

	cr_assert_eq(RUN("doctor", "--config", T.env), 0, "%s", T.out);
	char row[512];
	line_with(T.out, "API key", row, sizeof row);
	cr_assert_eq(strncmp(row, "OK ", 3), 0, "%s", row);

	snprintf(extra, sizeof extra,
	         "BINANCE_REST_URL=http://127.0.0.1:%d\nBINANCE_API_KEY=spotsim-demo-key\n"
	         "BINANCE_API_SECRET=not-the-secret\n",
	         sim.port);
	write_env(extra);
	rc = run_env(NULL, (const char *const[]){"doctor", "--json", "--config", T.env, NULL});
	doc = cJSON_Parse(T.out);
	cr_assert_not_null(doc, "%s", T.out);
	cr_assert_eq(rc, 1);
	expect_bool(doc, "ok", false);
	const cJSON *key = check_named(doc, "api_key");
	expect_str(key, "status", "FAIL");
	cr_assert_not_null(strstr(get(key, "detail")->valuestring, "-1022"));
	cr_assert_not_null(strstr(get(key, "hint")->valuestring, "BINANCE_API_SECRET"));
	expect_str(check_named(doc, "clock"), "status", "OK");
	cJSON_Delete(doc);

	cr_assert_eq(RUN("doctor", "--config", T.env), 1);
	line_with(T.out, "API key", row, sizeof row);
	cr_assert_eq(strncmp(row, "FAIL ", 5), 0, "%s", row);
	cr_assert_not_null(strstr(T.out, "hint: BINANCE_API_SECRET"), "%s", T.out);
	sbt_proc_stop(&sim, SIGTERM, 5000);
}

Test(cli_read, doctor_fails_an_unreachable_exchange_and_a_shared_env)
{
	char extra[256];
	snprintf(extra, sizeof extra, "BINANCE_REST_URL=http://127.0.0.1:%d\n", free_port());
	write_env(extra);
	cr_assert_eq(chmod(T.env, 0640), 0);
	int rc = run_env(NULL, (const char *const[]){"doctor", "--json", "--config", T.env, NULL});
	cJSON *doc = cJSON_Parse(T.out);
	cr_assert_not_null(doc, "%s", T.out);
	cr_assert_eq(rc, 1);
	expect_str(check_named(doc, "env_permissions"), "status", "FAIL");
	cr_assert_not_null(
	    strstr(get(check_named(doc, "env_permissions"), "hint")->valuestring, "chmod 600"));
	expect_str(check_named(doc, "database"), "status", "OK");
	expect_str(check_named(doc, "clock"), "status", "FAIL");
	expect_str(check_named(doc, "api_key"), "status", "SKIP");
	cJSON_Delete(doc);
}

Test(cli_read, doctor_invalid_configuration_exits_2)
{
	write_env("RECV_WINDOW_MS=999999\n");
	int rc = run_env(NULL, (const char *const[]){"doctor", "--json", "--config", T.env, NULL});
	cJSON *doc = cJSON_Parse(T.out);
	cr_assert_not_null(doc, "%s", T.out);
	cr_assert_eq(rc, 2);
	const cJSON *cfg = check_named(doc, "config");
	expect_str(cfg, "status", "FAIL");
	cr_assert_not_null(strstr(get(cfg, "detail")->valuestring, "RECV_WINDOW_MS"));
	expect_str(check_named(doc, "api_key"), "status", "SKIP");
	cJSON_Delete(doc);
}

/* ---- config --check, doctor and run agree ----------------------------------------------------------- */

Test(cli_read, config_check_doctor_and_run_refuse_the_same_configurations)
{
	static const struct {
		const char *line; /* the bad line, added to the fixture's .env */
		const char *why;  /* what every command must say about it */
	} bad[] = {
	    {"PAIRS=BTCUSDT:quote=20,profit=-0.5%",
	     "PAIRS: BTCUSDT: profit: must be above 0%, below 100%, got '-0.5%'"},
	    {"PAIRS=BTCUSDT:quote=20,profit=0.5",
	     "PAIRS: BTCUSDT: profit: expected a percentage like 0.5%, got '0.5' (did you mean 0.5%?)"},
	    {"PAIRS=BTCUSDT:quote=abc",
	     "PAIRS: BTCUSDT: quote: expected a decimal number like 20, got 'abc'"},
	    {"ORDER_TAG=Main", "ORDER_TAG: must be 1 to 8 of a-z and 0-9 (got 'Main')"},
	    {"BINANCE_API_KEY=my-own-key", "BINANCE_API_KEY: set without BINANCE_API_SECRET"},
	    {"BINANCE_REST_URL=https://API.Binance.US.:443/api",
	     "BINANCE_REST_URL: points at API.Binance.US., but MODE=paper must never reach the real exchange"},
	};
	char extra[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(extra, sizeof extra, "LOG_STDERR=false\n%s\n", bad[i].line);
		write_env(extra);
		int rc = RUN("config", "--check", "--config", T.env);
		cr_assert_eq(rc, 2, "config --check with %s exited %d", bad[i].line, rc);
		cr_assert_not_null(strstr(T.err, bad[i].why), "config --check, %s:\n%s", bad[i].line, T.err);

		rc = run_env(NULL, (const char *const[]){"doctor", "--json", "--config", T.env, NULL});
		cr_assert_eq(rc, 2, "doctor with %s exited %d", bad[i].line, rc);
		cJSON *doc = cJSON_Parse(T.out);
		cr_assert_not_null(doc, "%s", T.out);
		const cJSON *cfg = check_named(doc, "config");
		expect_str(cfg, "status", "FAIL");
		cr_assert_not_null(strstr(get(cfg, "detail")->valuestring, bad[i].why), "doctor, %s: %s",
		                   bad[i].line, get(cfg, "detail")->valuestring);
		cJSON_Delete(doc);

		/* run refuses before it opens the log or the database, and says why on stderr. */
		rc = RUN("run", "--config", T.env);
		cr_assert_eq(rc, 2, "run with %s exited %d", bad[i].line, rc);
		cr_assert_not_null(strstr(T.err, bad[i].why), "run, %s:\n%s", bad[i].line, T.err);
		cr_assert_not_null(strstr(T.err, "spotbot run: configuration refused"), "%s", T.err);
	}
	/* The fixture's own configuration passes all three checks' configuration part. */
	write_env("LOG_STDERR=false\nPAIRS=BTCUSDT:quote=20,profit=0.5%\n");
	cr_assert_eq(RUN("config", "--check", "--config", T.env), 0, "%s", T.err);
}

/* Writes the fixture's .env with LOG_STDERR=false and DATABASE_PATH=db, and runs `spotbot run` on it. */
static int run_with_database(const char *db)
{
	FILE *f = fopen(T.env, "w");
	cr_assert_not_null(f);
	fprintf(f, "LOG_DIR=%s/logs\nCONTROL_LISTEN=127.0.0.1:%d\nLOG_STDERR=false\nDATABASE_PATH=%s\n",
	        T.dir, T.control_port, db);
	fclose(f);
	cr_assert_eq(chmod(T.env, 0600), 0);
	cr_assert_eq(RUN("config", "--check", "--config", T.env), 0, "%s", T.err);
	return RUN("run", "--config", T.env);
}

Test(cli_read, run_that_cannot_start_says_so_on_stderr_with_log_stderr_false)
{
	/* A database that cannot be opened (a directory): the daemon fails after the log opened. */
	char db[400], want[512];
	snprintf(db, sizeof db, "%s/dbdir", T.dir);
	cr_assert_eq(mkdir(db, 0700), 0);
	int rc = run_with_database(db);
	cr_assert_eq(rc, 1, "run exited %d:\n%s", rc, T.err);
	snprintf(want, sizeof want, "; %s/logs/spotbot.log says why\n", T.dir);
	cr_assert_not_null(strstr(T.err, "spotbot run: ended with an error: "), "%s", T.err);
	cr_assert_not_null(strstr(T.err, want), "%s", T.err);
	/* A database in a directory that does not exist: its lock fails before the log is open, so stderr
	 * says it all and points at no log. */
	snprintf(db, sizeof db, "%s/no/such/dir/bot.db", T.dir);
	rc = run_with_database(db);
	cr_assert_eq(rc, 1, "run exited %d:\n%s", rc, T.err);
	snprintf(want, sizeof want, "spotbot: cannot open the lock file %s.lock: No such file or directory\n",
	         db);
	cr_assert_str_eq(T.err, want);
}

/*
 * cmd_status.c - `spotbot status`: the run state the daemon recorded, whether something answers at
 * CONTROL_LISTEN, the trading mode, pairs, open positions and orders, exposure and realised profit, from
 * the database. While the daemon runs, its run state, mode, kill switch and streams come from the daemon
 * itself (GET /status) and the text says "reported by the daemon"; the kill switch reads yes or no
 * whichever source it comes from.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/read.h"
#include "cli/table.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

#define PROBE_TIMEOUT_MS 500 /* how long status waits for the control address to accept */

/* ---- status -------------------------------------------------------------------------------------- */

/* Connects to fd's address with a time limit; true when the connection was accepted. */
static bool connect_within(int fd, const struct sockaddr *addr, socklen_t len, int timeout_ms)
{
	int flags = fcntl(fd, F_GETFL, 0);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return false;
	if (connect(fd, addr, len) == 0)
		return true;
	if (errno != EINPROGRESS)
		return false;
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	int soerr = 0;
	socklen_t sl = sizeof soerr;
	return getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0;
}

/*
 * Whether something accepts connections at the control address (CONTROL_LISTEN: host:port, [v6]:port or
 * unix:/path). Until the control API answers requests, an accepted connection is what "running" means.
 */
static bool daemon_reachable(const char *listen, int timeout_ms)
{
	if (strncmp(listen, "unix:", 5) == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};
		if (strlen(listen + 5) >= sizeof sun.sun_path)
			return false;
		memcpy(sun.sun_path, listen + 5, strlen(listen + 5) + 1);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return false;
		bool ok = connect_within(fd, (struct sockaddr *)&sun, sizeof sun, timeout_ms);
		close(fd);
		return ok;
	}
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return false;
	const char *h = listen;
	size_t hlen = (size_t)(colon - listen);
	if (hlen >= 2 && h[0] == '[' && h[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC}, *res = NULL;
	if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res) != 0)
		return false;
	bool ok = false;
	for (struct addrinfo *ai = res; ai && !ok; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		ok = connect_within(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms);
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

/* What status gathers from the database. */
struct status {
	bool running;                                   /* something accepts at CONTROL_LISTEN */
	char run_state[SB_STORE_VALUE_MAX];             /* system_state run_state; "" = never recorded */
	char paused[SB_STORE_VALUE_MAX];                /* system_state paused; "" = never recorded */
	int64_t last_stream_ms;                         /* last stream event; 0 = never */
	int64_t schema;                                 /* schema version */
	size_t pairs, pairs_enabled;                    /* configured trade pairs */
	size_t open_by_state[SB_POSITION_STATE__COUNT]; /* open positions per state */
	size_t open_positions;                          /* all open positions */
	sb_dec exposure;                                /* sum of the open positions' cost */
	size_t open_orders;                             /* orders not in a final status */
	struct sb_store_pnl closed;                     /* CLOSED cycles, wins and realised profit */
	cJSON *live;                                    /* the running daemon's GET /status; NULL when none */
};

/* The running daemon's own view (GET /status), or NULL when it does not answer with one. */
static cJSON *live_status(const struct sb_config *cfg)
{
	cJSON *j = sb_cli_control_get_json(cfg, "/status");
	if (j && !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

/* A stream's line from the daemon's view: "up, last event 1.2 s ago, 0 reconnects". */
static void stream_line(const struct ctx *c, const cJSON *streams, const char *name)
{
	char key[64], paint[128], age[64];
	const cJSON *up = cJSON_GetObjectItemCaseSensitive(streams, name);
	snprintf(key, sizeof key, "%s_event_age_ms", name);
	const cJSON *ms = cJSON_GetObjectItemCaseSensitive(streams, key);
	snprintf(key, sizeof key, "%s_reconnects", name);
	const cJSON *rc = cJSON_GetObjectItemCaseSensitive(streams, key);
	bool ok = cJSON_IsTrue(up);
	printf("%-6s stream   %s", name,
	       sb_table_paint(ok ? "up" : "down", ok ? SB_TABLE_GREEN : SB_TABLE_RED, c->color, paint,
	                      sizeof paint));
	if (cJSON_IsNumber(ms))
		printf(", last event %s ago", sb_table_duration((int64_t)ms->valuedouble, age, sizeof age));
	else
		printf(", no event yet");
	if (cJSON_IsNumber(rc)) {
		long long n = (long long)rc->valuedouble;
		printf(", %lld reconnect%s", n, n == 1 ? "" : "s");
	}
	putchar('\n');
}

/* The daemon's REST budget: "weight 86 used this minute, 0 rate-limited answers" (paused or banned in
 * red). */
static void rest_line(const struct ctx *c, const cJSON *rest)
{
	char paint[128];
	const cJSON *used = cJSON_GetObjectItemCaseSensitive(rest, "used_weight_1m");
	const cJSON *n429 = cJSON_GetObjectItemCaseSensitive(rest, "responses_429");
	const cJSON *n418 = cJSON_GetObjectItemCaseSensitive(rest, "responses_418");
	long long limited = (long long)((cJSON_IsNumber(n429) ? n429->valuedouble : 0) +
	                                (cJSON_IsNumber(n418) ? n418->valuedouble : 0));
	printf("REST weight     %lld used this minute, %lld rate-limited answer%s",
	       cJSON_IsNumber(used) ? (long long)used->valuedouble : 0LL, limited, limited == 1 ? "" : "s");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rest, "banned")))
		printf(", %s", sb_table_paint("banned (418)", SB_TABLE_RED, c->color, paint, sizeof paint));
	else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rest, "paused")))
		printf(", %s", sb_table_paint("paused (429)", SB_TABLE_RED, c->color, paint, sizeof paint));
	putchar('\n');
}

/* An optional system_state text: a missing key is "". */
static sb_err state_text(struct sb_store *st, const char *key, char *buf, size_t cap)
{
	sb_err e = sb_store_state_get(st, key, buf, cap);
	if (e == SB_ERR_NOT_FOUND) {
		buf[0] = '\0';
		return SB_OK;
	}
	return e;
}

static sb_err status_gather(struct ctx *c, struct status *s)
{
	struct sb_store_pair *pairs = NULL;
	struct sb_store_position *pos = NULL;
	struct sb_store_order *orders = NULL;
	struct sb_store_pnl *pnl = NULL;
	size_t n;
	sb_err e;
	memset(s, 0, sizeof *s);
	s->running = daemon_reachable(c->cfg.control_listen, PROBE_TIMEOUT_MS);
	if (s->running)
		s->live = live_status(&c->cfg);
	SB_TRY(state_text(c->st, SB_STORE_KEY_RUN_STATE, s->run_state, sizeof s->run_state));
	SB_TRY(state_text(c->st, SB_STORE_KEY_PAUSED, s->paused, sizeof s->paused));
	e = sb_store_state_get_int(c->st, SB_STORE_KEY_LAST_STREAM_MS, &s->last_stream_ms);
	if (e != SB_OK && e != SB_ERR_NOT_FOUND)
		return e;
	e = sb_store_state_get_int(c->st, SB_STORE_KEY_SCHEMA_VERSION, &s->schema);
	if (e != SB_OK && e != SB_ERR_NOT_FOUND)
		return e;
	SB_TRY(sb_store_pair_list(c->st, false, &pairs, &s->pairs));
	for (size_t i = 0; i < s->pairs; i++)
		s->pairs_enabled += pairs[i].enabled;
	free(pairs);
	struct sb_store_pos_filter pf = {.which = SB_STORE_LIST_OPEN};
	SB_TRY(sb_store_position_list(c->st, &pf, &pos, &s->open_positions));
	e = SB_OK;
	for (size_t i = 0; i < s->open_positions && e == SB_OK; i++) {
		s->open_by_state[pos[i].state]++;
		e = sb_dec_add(s->exposure, pos[i].cost_quote, &s->exposure);
	}
	free(pos);
	if (e == SB_OK)
		e = sb_store_order_list_open(c->st, &orders, &s->open_orders);
	free(orders);
	if (e == SB_OK)
		e = sb_store_pnl_by_pair(c->st, 0, 0, &pnl, &n);
	if (e == SB_OK && !read_pnl_total(pnl, n, &s->closed))
		e = SB_ERR_OVERFLOW;
	free(pnl);
	return e;
}

/* The trading mode: the running daemon's when it reports one, else the configuration's. *from_daemon
 * says which. */
static const char *status_mode(const struct ctx *c, const struct status *s, bool *from_daemon)
{
	const cJSON *m = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "mode") : NULL;
	*from_daemon = cJSON_IsString(m);
	return *from_daemon ? m->valuestring : sb_mode_name(c->cfg.mode);
}

/* The kill switch: the running daemon's when it reports it, else the value recorded in system_state
 * ("1" paused, "0" or never recorded not). */
static bool status_paused(const struct status *s)
{
	const cJSON *p = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "paused") : NULL;
	if (cJSON_IsBool(p))
		return cJSON_IsTrue(p);
	return strcmp(s->paused, "1") == 0;
}

static int status_json(const struct ctx *c, const struct status *s)
{
	cJSON *doc = cJSON_CreateObject();
	cJSON *d = cJSON_AddObjectToObject(doc, "daemon");
	cJSON_AddBoolToObject(d, "running", s->running);
	cJSON_AddStringToObject(d, "control_listen", c->cfg.control_listen);
	const cJSON *v = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "version") : NULL;
	if (cJSON_IsString(v))
		cJSON_AddStringToObject(d, "version", v->valuestring);
	else
		cJSON_AddNullToObject(d, "version");
	cJSON_AddStringToObject(doc, "version", SB_VERSION);
	bool mode_live;
	cJSON_AddStringToObject(doc, "mode", status_mode(c, s, &mode_live));
	read_json_str_or_null(doc, "run_state", s->run_state);
	cJSON_AddBoolToObject(doc, "paused", status_paused(s));
	read_json_time(doc, "last_stream_event_at", s->last_stream_ms);
	cJSON *db = cJSON_AddObjectToObject(doc, "database");
	cJSON_AddStringToObject(db, "path", c->cfg.database_path);
	read_json_int(db, "schema_version", s->schema);
	cJSON *p = cJSON_AddObjectToObject(doc, "pairs");
	read_json_int(p, "total", (int64_t)s->pairs);
	read_json_int(p, "enabled", (int64_t)s->pairs_enabled);
	cJSON *pos = cJSON_AddObjectToObject(doc, "positions");
	read_json_int(pos, "open", (int64_t)s->open_positions);
	for (int st = SB_POSITION_BUYING; st <= SB_POSITION_SELLING; st++)
		read_json_int(pos, sb_position_state_name((enum sb_position_state)st),
		              (int64_t)s->open_by_state[st]);
	read_json_int(pos, "closed_cycles", s->closed.positions);
	read_json_int(pos, "wins", s->closed.wins);
	read_json_dec(doc, "exposure_quote", s->exposure);
	read_json_dec(doc, "realized_profit_quote", s->closed.profit);
	read_json_int(doc, "open_orders", (int64_t)s->open_orders);
	if (s->live)
		cJSON_AddItemReferenceToObject(doc, "live", s->live);
	else
		cJSON_AddNullToObject(doc, "live");
	return read_json_print(doc);
}

static void status_text(const struct ctx *c, const struct status *s)
{
	char a[64], b[SB_DEC_STRLEN], paint[128];
	bool mode_live;
	const char *mode = status_mode(c, s, &mode_live);
	if (s->running)
		printf("daemon          %s (%s)\n",
		       sb_table_paint("running", SB_TABLE_GREEN, c->color, paint, sizeof paint),
		       c->cfg.control_listen);
	else
		printf("daemon          %s (nothing accepts at %s)\n",
		       sb_table_paint("not running", SB_TABLE_RED, c->color, paint, sizeof paint),
		       c->cfg.control_listen);
	const cJSON *v = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "version") : NULL;
	if (cJSON_IsString(v))
		printf("version         %s (reported by the daemon; this program is %s)\n", v->valuestring,
		       SB_VERSION);
	else
		printf("version         %s (this program)\n", SB_VERSION);
	printf("mode            %s%s\n", mode, mode_live ? " (reported by the daemon)" : " (configured)");
	const cJSON *st = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "state") : NULL;
	if (cJSON_IsString(st))
		printf("run state       %s (reported by the daemon)\n", st->valuestring);
	else
		printf("run state       %s\n", s->run_state[0] ? s->run_state : "never recorded");
	const cJSON *streams = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "streams") : NULL;
	if (cJSON_IsObject(streams)) {
		stream_line(c, streams, "market");
		stream_line(c, streams, "user");
	}
	const cJSON *rest = s->live ? cJSON_GetObjectItemCaseSensitive(s->live, "rest") : NULL;
	if (cJSON_IsObject(rest))
		rest_line(c, rest);
	printf("paused          %s\n", status_paused(s) ? "yes" : "no");
	if (s->last_stream_ms)
		printf("last stream     %s (%s ago)\n", sb_table_time(s->last_stream_ms, a, sizeof a),
		       sb_table_duration(c->now_ms - s->last_stream_ms, paint, sizeof paint));
	else
		printf("last stream     never\n");
	printf("database        %s (schema %" PRId64 ")\n", c->cfg.database_path, s->schema);
	printf("pairs           %zu (%zu enabled)\n", s->pairs, s->pairs_enabled);
	printf("open positions  %zu (BUYING %zu, HOLDING %zu, SELLING %zu)\n", s->open_positions,
	       s->open_by_state[SB_POSITION_BUYING], s->open_by_state[SB_POSITION_HOLDING],
	       s->open_by_state[SB_POSITION_SELLING]);
	printf("exposure        %s (cost of the open positions)\n", sb_table_dec(s->exposure, b, sizeof b));
	printf("open orders     %zu\n", s->open_orders);
	printf("closed cycles   %" PRId64 " (%" PRId64 " won), realised profit %s\n", s->closed.positions,
	       s->closed.wins,
	       sb_table_paint(sb_table_dec(s->closed.profit, b, sizeof b),
	                      sb_table_sign_color(s->closed.profit), c->color, paint, sizeof paint));
}

static const char status_usage[] =
    "usage: spotbot status [--json] [--config FILE]\n"
    "  what the database records, and whether the daemon is running\n" COMMON_USAGE;

int sb_cli_status_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {COMMON_LONG_OPTS, READ_OPT_END};
	static const struct read_view v = {"status", status_usage, longs, 0, false};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_status(int argc, char **argv)
{
	struct sb_cli_view_args a;
	struct ctx c;
	struct status s;
	int rc = read_ctx_start(&c, "status", sb_cli_status_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = read_open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = status_gather(&c, &s);
		if (e != SB_OK)
			rc = read_store_fail(&c, "the database", e);
		else if (c.json)
			rc = status_json(&c, &s);
		else
			status_text(&c, &s);
		cJSON_Delete(s.live);
	}
	read_ctx_fini(&c);
	return rc;
}

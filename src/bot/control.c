/*
 * control.c - the daemon's control API (docs/control-api.md): its route table and the one function that
 * walks it, the kill switch and pair pause actions, and the API's life cycle. The listener is
 * control_http.c's, on the daemon's own lws context, so requests are answered on the trading loop itself
 * and every view is the daemon's live memory, not a second reader of the database; the views are
 * control_views.c's, the pair edits control_pairs.c's and the manual actions on positions
 * control_manual.c's.
 *
 * When CONTROL_TOKEN is set every request but GET /health/live needs "Authorization: Bearer CONTROL_TOKEN";
 * CONTROL_OPEN_MONITORING opens /metrics and /health(/ready) to scrapers as well. Without a token the
 * listener must be loopback or a unix socket (control_listen.c, checked at start-up).
 */
#include "bot/control.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/control_int.h"
#include "spotbot/alloc.h"
#include "spotbot/log.h"

struct bot_control {
	struct sb_bot *b;              /* the daemon */
	struct control_http *http;     /* the listener; NULL before control_start */
	struct control_manual *manual; /* manual actions on positions (control_manual.c) */
	struct control_deferred *adds; /* pair additions waiting for the exchange (control_pairs.c) */
};

/* ---- actions ------------------------------------------------------------------------------------ */

sb_err control_set_paused(struct sb_bot *b, bool paused)
{
	int64_t now = bot_now_ms(b);
	struct sb_store_event ev = {.time_ms = now, .detail = "{\"source\":\"control\"}"};
	snprintf(ev.kind, sizeof ev.kind, "%s", paused ? "pause" : "resume");
	sb_err err = sb_store_state_set(b->st, SB_STORE_KEY_PAUSED, paused ? "1" : "0", now, &ev);
	if (err != SB_OK) {
		bot_degrade(b, err, "write the kill switch");
		return err;
	}
	bot_set_paused(b, paused, "control API");
	return SB_OK;
}

static void set_paused(struct sb_bot *b, bool paused, struct control_reply *r)
{
	if (control_set_paused(b, paused) != SB_OK) {
		control_reply_error(r, 500, "the database could not be written");
		return;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "paused", paused);
	cJSON_AddStringToObject(j, "state", bot_state_name(b->state));
	control_reply_json(r, 200, j);
}

static void set_pair_enabled(struct sb_bot *b, const char *symbol, bool enabled, struct control_reply *r)
{
	const char *why = NULL;
	int status = control_pair_enable(b, symbol, enabled, &why);
	if (status != 200) {
		control_reply_error(r, status, why);
		return;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "symbol", symbol);
	cJSON_AddBoolToObject(j, "paused", !enabled);
	control_reply_json(r, 200, j);
}

/* ---- routes ------------------------------------------------------------------------------------- */

/* The id of "/positions/ID/<rest>", when the path is exactly that; false otherwise. */
static bool position_path(const char *p, const char *rest, int64_t *id)
{
	static const char prefix[] = "/positions/";
	size_t n = strlen(p), tail = strlen(rest);
	if (strncmp(p, prefix, sizeof prefix - 1) != 0 || n <= sizeof prefix - 1 + tail + 1 ||
	    p[n - tail - 1] != '/' || strcmp(p + n - tail, rest) != 0)
		return false;
	return control_parse_id(p + sizeof prefix - 1, n - (sizeof prefix - 1) - tail - 1, id);
}

/* GET /positions/ID/outcome: how the manual action on the position stands or ended. */
static void get_outcome(struct bot_control *c, struct control_conn *conn, const struct control_request *q,
                        struct control_deferred **pending, struct control_reply *r)
{
	(void)conn, (void)pending;
	int64_t id = 0;
	if (!position_path(q->path, "outcome", &id)) {
		control_reply_error(r, 404, "not found");
		return;
	}
	cJSON *answer = NULL;
	int status = control_manual_outcome(c->manual, id, &answer);
	control_reply_json(r, status, answer);
}

/* POST /pause and /resume: the kill switch, or with ?symbol= one pair. */
static void post_pause(struct bot_control *c, struct control_conn *conn, const struct control_request *q,
                       struct control_deferred **pending, struct control_reply *r)
{
	(void)conn, (void)pending;
	bool pause = strcmp(q->path, "/pause") == 0;
	if (q->symbol[0])
		set_pair_enabled(c->b, q->symbol, !pause, r);
	else
		set_paused(c->b, pause, r);
}

/* POST /pairs and /pairs/SYMBOL(/enable|/disable|/remove): control_pairs.c, which may defer its answer. */
static void post_pairs(struct bot_control *c, struct control_conn *conn, const struct control_request *q,
                       struct control_deferred **pending, struct control_reply *r)
{
	cJSON *answer = NULL;
	int status =
	    control_pairs_post(c->b, conn, q->path, q->body, q->body_len, &c->adds, pending, &answer);
	if (status > 0)
		control_reply_json(r, status, answer);
	else if (status < 0)
		control_reply_error(r, 404, "not found");
}

/* POST /positions/ID/sell|cancel|abandon|reprice: control_manual.c. */
static void post_position(struct bot_control *c, struct control_conn *conn, const struct control_request *q,
                          struct control_deferred **pending, struct control_reply *r)
{
	(void)conn, (void)pending;
	static const char *const actions[] = {"sell", "cancel", "abandon", "reprice"};
	for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
		int64_t id = 0;
		if (!position_path(q->path, actions[i], &id))
			continue;
		cJSON *answer = NULL;
		int status = control_manual_post(c->manual, id, actions[i], q->price, q->force, &answer);
		control_reply_json(r, status, answer);
		return;
	}
	control_reply_error(r, 404, "not found");
}

/* Every route of the API, first match wins. A prefix row's handler answers 404 for what it does not serve. */
static const struct control_route routes[] = {
    {CONTROL_GET, "/status", false, CONTROL_ACCESS_TOKEN, control_view_status, NULL, "status"},
    {CONTROL_GET, "/positions", false, CONTROL_ACCESS_TOKEN, control_view_positions, NULL, "positions"},
    {CONTROL_GET, "/orders", false, CONTROL_ACCESS_TOKEN, control_view_orders, NULL, "orders"},
    {CONTROL_GET, "/pairs", false, CONTROL_ACCESS_TOKEN, control_view_pairs, NULL, "pairs"},
    {CONTROL_GET, "/events", false, CONTROL_ACCESS_TOKEN, control_view_events, NULL, "events"},
    {CONTROL_GET, "/health", false, CONTROL_ACCESS_MONITORING, control_view_health, NULL, "health"},
    {CONTROL_GET, "/health/ready", false, CONTROL_ACCESS_MONITORING, control_view_health, NULL, "health"},
    {CONTROL_GET, "/health/live", false, CONTROL_ACCESS_OPEN, control_view_live, NULL, "live"},
    {CONTROL_GET, "/metrics", false, CONTROL_ACCESS_MONITORING, control_view_metrics, NULL, "metrics"},
    {CONTROL_GET, "/positions/", true, CONTROL_ACCESS_TOKEN, NULL, get_outcome, "outcome"},
    {CONTROL_POST, "/pause", false, CONTROL_ACCESS_TOKEN, NULL, post_pause, "pause"},
    {CONTROL_POST, "/resume", false, CONTROL_ACCESS_TOKEN, NULL, post_pause, "resume"},
    {CONTROL_POST, "/pairs", true, CONTROL_ACCESS_TOKEN, NULL, post_pairs, "pair edit"},
    {CONTROL_POST, "/positions/", true, CONTROL_ACCESS_TOKEN, NULL, post_position, "manual action"},
};

const struct control_route *control_route_find(enum control_method method, const char *path)
{
	for (size_t i = 0; path && i < sizeof routes / sizeof routes[0]; i++) {
		const struct control_route *rt = &routes[i];
		if (rt->method != method)
			continue;
		if (rt->prefix ? strncmp(path, rt->path, strlen(rt->path)) == 0 : strcmp(path, rt->path) == 0)
			return rt;
	}
	return NULL;
}

/* Whether q may be answered on rt: the token, unless the route is open to anyone (liveness, monitoring if
 * opened). A path no route serves needs the token too, so that its 404 says nothing to a stranger. */
static bool allowed(const struct bot_control *c, const struct control_route *rt,
                    const struct control_request *q)
{
	if (rt && rt->access == CONTROL_ACCESS_OPEN)
		return true;
	if (rt && rt->access == CONTROL_ACCESS_MONITORING && c->b->cfg->control_open_monitoring)
		return true;
	return control_request_authorised(q, c->b->cfg->control_token);
}

void control_route(struct bot_control *c, struct control_conn *conn, const struct control_request *q,
                   struct control_deferred **pending, struct control_reply *r)
{
	const struct control_route *rt = control_route_find(q->method, q->path);
	if (!allowed(c, rt, q))
		control_reply_error(r, 401, "a valid bearer token is required");
	else if (q->method == CONTROL_OTHER)
		control_reply_error(r, 405, "method not allowed");
	else if (q->method == CONTROL_POST && (c->b->closed || bot_is_stopping(c->b)))
		control_reply_error(r, 503, "stopping");
	else if (q->method == CONTROL_POST && q->deadline_ms > 0 && bot_now_ms(c->b) > q->deadline_ms)
		/* The client has given up by now (the daemon was held up: a locked database, a stall): what
		 * it was told failed must not happen behind its back. */
		control_reply_error(r, 504,
		                    "the request's deadline passed before the daemon could act on it: "
		                    "nothing was done");
	else if (!rt)
		control_reply_error(r, 404, "not found");
	else if (rt->view)
		rt->view(c->b, q, r);
	else
		rt->fn(c, conn, q, pending, r);
}

/* The listener's handler (control_http.h). */
static void handle(void *user, struct control_conn *conn, const struct control_request *q,
                   struct control_deferred **pending, struct control_reply *r)
{
	control_route(user, conn, q, pending, r);
}

/* ---- life cycle -------------------------------------------------------------------------------- */

struct bot_control *control_new(struct sb_bot *b)
{
	struct bot_control *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->manual = control_manual_new(b);
	return c;
}

sb_err control_start(struct sb_bot *b, struct bot_control **out)
{
	if (!b || !b->ws || !out)
		return SB_ERR_INVALID;
	struct control_listen l;
	if (control_listen_parse(b->cfg->control_listen, &l) != SB_OK)
		return SB_ERR_CONFIG;
	struct bot_control *c = control_new(b);
	sb_err err = control_http_start(b->ws, &l, handle, c, &c->http);
	if (err != SB_OK) {
		control_free(c);
		return err;
	}
	sb_log_info("control", SB_FIELDS(SB_F_STR("listen", b->cfg->control_listen)),
	            "control API listening on %s", b->cfg->control_listen);
	*out = c;
	return SB_OK;
}

void control_tick(struct bot_control *c, int64_t now_ms)
{
	if (c)
		control_manual_tick(c->manual, now_ms);
}

void control_free(struct bot_control *c)
{
	if (!c)
		return;
	control_manual_free(c->manual);
	control_deferred_forget(&c->adds);
	control_http_stop(c->http);
	free(c);
}

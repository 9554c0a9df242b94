/*
 * control.c - the daemon's control API (docs/control-api.md): an HTTP listener added as one more vhost to
 * the daemon's lws context, so requests are answered on the trading loop itself and every view is the
 * daemon's live memory, not a second reader of the database.
 *
 * When CONTROL_TOKEN is set every request but GET /health/live needs "Authorization: Bearer CONTROL_TOKEN";
 * CONTROL_OPEN_MONITORING opens /metrics and /health(/ready) to scrapers as well. Without a token the
 * listener must be loopback or a unix socket (checked at start-up). control_request.c parses each request
 * and enforces the size limits; this file bounds the connections (CONTROL_CONN_MAX, refused with a 503
 * beyond it) and how long a client may take (CONTROL_CLIENT_TIMEOUT_S). POST bodies (JSON, for the pair
 * edits of control_pairs.c) are read up to CONTROL_BODY_MAX; an answer that waits for the exchange is written
 * once the connection is writable again.
 *
 * The manual actions on positions (sell, reprice, cancel, abandon, and how they ended) are
 * control_manual.c's; this file routes them.
 */
#include "bot/control.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "bot/bot_int.h"
#include "bot/control_request.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"
#include "spotbot/metrics.h"
#include "spotbot/ws_client.h"

#define CONTROL_EVENTS_MAX       200 /* events returned by GET /events */
#define CONTROL_CONN_MAX         64  /* open connections at once; one more is answered 503 and closed */
#define CONTROL_CLIENT_TIMEOUT_S 5   /* a client that has not sent its whole request by then is dropped */

struct bot_control {
	struct sb_bot *b;              /* the daemon */
	struct lws_vhost *vh;          /* the listening vhost */
	struct control_manual *manual; /* manual actions on positions (control_manual.c) */
	char unix_path[108];           /* the socket file to remove at the end; "" for TCP */
	char iface[256];               /* lws keeps a pointer to the interface name */
	struct control_deferred *adds; /* pair additions waiting for the exchange (control_pairs.c) */
	unsigned conns;                /* connections open now (bounded by CONTROL_CONN_MAX) */
};

/* One connection's request, as lws hands it over piece by piece. */
struct control_pss {
	char method[8];                    /* "GET", "POST" or "" for anything else */
	char path[CONTROL_PATH_MAX + 2];   /* the request path (one byte over the maximum: too long) */
	size_t path_len;                   /* its length */
	char query[CONTROL_QUERY_MAX + 2]; /* the query string, fragments joined by '&' */
	size_t query_len;                  /* its length (CONTROL_QUERY_MAX + 1: too long) */
	char auth[CONTROL_HEADER_MAX + 1]; /* the Authorization header */
	int auth_len;                      /* its length; -1 when absent */
	uint64_t body;                     /* body bytes seen */
	char data[CONTROL_BODY_MAX + 1];   /* the body, when it fits */
	struct control_request req;        /* the parsed request (control_request.c) */
	struct control_deferred *pending;  /* the answer waits for the exchange (control_pairs.c) */
};

struct reply {
	int status;       /* HTTP status */
	const char *type; /* content type; NULL: JSON */
	char *body;       /* owned */
	size_t len;       /* bytes */
};

/* ---- configuration --------------------------------------------------------------------------------- */

bool control_listen_is_local(const char *listen)
{
	if (!listen)
		return false;
	if (strncmp(listen, "unix:", 5) == 0)
		return true;
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return false;
	size_t hl = (size_t)(colon - listen);
	if (hl == 9 && strncmp(listen, "localhost", 9) == 0)
		return true;
	if (hl == 5 && strncmp(listen, "[::1]", 5) == 0)
		return true;
	return hl >= 4 && strncmp(listen, "127.", 4) == 0;
}

/* Splits host:port into iface and port (0 for a unix socket, whose path goes to iface). */
static sb_err parse_listen(const char *listen, char *iface, size_t cap, int *port, bool *unix_sock)
{
	*unix_sock = false;
	*port = 0;
	if (strncmp(listen, "unix:", 5) == 0) {
		const char *p = listen + 5;
		if (!*p || strlen(p) >= 108 || strlen(p) >= cap)
			return SB_ERR_CONFIG;
		snprintf(iface, cap, "%s", p);
		*unix_sock = true;
		return SB_OK;
	}
	const char *colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return SB_ERR_CONFIG;
	const char *h = listen;
	size_t hl = (size_t)(colon - listen);
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= cap)
		return SB_ERR_CONFIG;
	memcpy(iface, h, hl);
	iface[hl] = '\0';
	char *end = NULL;
	errno = 0;
	long long p = strtoll(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p <= 0 || p > 65535)
		return SB_ERR_CONFIG;
	*port = (int)p;
	return SB_OK;
}

sb_err control_check_config(const struct sb_config *cfg, char *msg, size_t cap)
{
	char iface[256];
	int port;
	bool us;
	if (!cfg || !cfg->control_listen ||
	    parse_listen(cfg->control_listen, iface, sizeof iface, &port, &us) != SB_OK) {
		snprintf(msg, cap, "CONTROL_LISTEN must be host:port or unix:/path");
		return SB_ERR_CONFIG;
	}
	if (!control_listen_is_local(cfg->control_listen) &&
	    (!cfg->control_token || !cfg->control_token[0])) {
		snprintf(
		    msg, cap,
		    "CONTROL_LISTEN %s is not a loopback address: set CONTROL_TOKEN or listen on 127.0.0.1 "
		    "or a unix socket",
		    cfg->control_listen);
		return SB_ERR_CONFIG;
	}
	return SB_OK;
}

/* ---- replies -------------------------------------------------------------------------------------- */

static void reply_json(struct reply *r, int status, cJSON *j)
{
	r->status = status;
	r->type = NULL;
	r->body = cJSON_PrintUnformatted(j);
	if (!r->body)
		abort(); /* cJSON fails only when out of memory */
	r->len = strlen(r->body);
	cJSON_Delete(j);
}

static void reply_error(struct reply *r, int status, const char *msg)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "error", msg);
	reply_json(r, status, j);
}

static void add_dec(cJSON *o, const char *name, sb_dec v)
{
	char s[SB_DEC_STRLEN];
	sb_dec_format_trim(v, s, sizeof s);
	cJSON_AddStringToObject(o, name, s);
}

/* ---- views -------------------------------------------------------------------------------------- */

/* now - at in ms, or null when at is 0 (never). */
static void add_age(cJSON *o, const char *name, int64_t at, int64_t now)
{
	if (at > 0)
		cJSON_AddNumberToObject(o, name, (double)(now > at ? now - at : 0));
	else
		cJSON_AddNullToObject(o, name);
}

/*
 * What the position would net if what remains were sold at the current bid now (its sells so far
 * included), fees counted as the profit calculator counts them. False when it cannot be valued (no bid,
 * no rules, nothing bought yet).
 */
static bool unrealised(const struct sb_bot *b, const struct bot_pos *bp, sb_dec *out)
{
	const struct bot_pair *pr = bp->pair;
	if (!pr->have_rules || !pr->top_ms || pr->top.bid <= 0 || bp->nbuys == 0 ||
	    (bp->p.state != SB_POSITION_HOLDING && bp->p.state != SB_POSITION_SELLING))
		return false;
	struct sb_fill *sells = sb_xcalloc(bp->nsells + 1, sizeof *sells);
	size_t n = bp->nsells;
	if (n)
		memcpy(sells, bp->sells, n * sizeof *sells);
	sb_dec rem = sb_position_remaining(&bp->p), quote = 0, fee = 0;
	bool ok = true;
	if (rem > 0) {
		ok = sb_dec_mul(pr->top.bid, rem, SB_ROUND_DOWN, &quote) == SB_OK &&
		     sb_dec_mul(quote, pr->sell_fee, SB_ROUND_UP, &fee) == SB_OK;
		struct sb_fill *m = &sells[n++];
		*m = (struct sb_fill){.price = pr->top.bid,
		                      .qty = rem,
		                      .quote_qty = quote,
		                      .commission = fee,
		                      .trade_id = INT64_MAX};
		snprintf(m->commission_asset, sizeof m->commission_asset, "%s", pr->rules.quote_asset);
	}
	struct sb_cycle_result res;
	ok = ok &&
	     sb_profit_cycle(&pr->rules, bp->buys, bp->nbuys, sells, n, bot_bnb_price(b, pr), &res) == SB_OK;
	free(sells);
	if (ok)
		*out = res.net_profit;
	return ok;
}

static void view_status(struct sb_bot *b, struct reply *r)
{
	int64_t now = bot_now_ms(b);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "state", bot_state_name(b->state));
	cJSON_AddBoolToObject(j, "paused", b->paused);
	cJSON_AddBoolToObject(j, "degraded", b->degraded);
	cJSON_AddStringToObject(j, "mode", sb_mode_name(b->cfg->mode));
	cJSON *s = cJSON_AddObjectToObject(j, "streams");
	cJSON_AddBoolToObject(s, "market", sb_exchange_market_synced(b->ex));
	cJSON_AddBoolToObject(s, "user", sb_exchange_user_subscribed(b->ex));
	struct sb_exchange_stats xs;
	sb_exchange_stats(b->ex, &xs);
	const struct sb_bn_market_stream_stats ms = xs.market;
	const struct sb_bn_user_stream_stats us = xs.user;
	add_age(s, "market_event_age_ms", ms.last_ms, now);
	add_age(s, "user_event_age_ms", us.last_event_ms, now);
	cJSON_AddNumberToObject(s, "market_reconnects", (double)ms.reconnects);
	cJSON_AddNumberToObject(s, "user_reconnects", (double)us.reconnects);
	int64_t newest = 0;
	size_t open = 0, pairs = 0;
	cJSON *unlisted = cJSON_CreateArray();
	for (size_t i = 0; i < b->npairs; i++) {
		if (b->pairs[i].removed)
			continue;
		pairs++;
		if (b->pairs[i].top_ms > newest)
			newest = b->pairs[i].top_ms;
		open += bot_pair_open_count(&b->pairs[i]);
		if (b->pairs[i].unlisted)
			cJSON_AddItemToArray(unlisted, cJSON_CreateString(b->pairs[i].cfg.symbol));
	}
	if (newest)
		cJSON_AddNumberToObject(j, "last_price_age_ms", (double)(now - newest));
	else
		cJSON_AddNullToObject(j, "last_price_age_ms");
	add_dec(j, "exposure", bot_exposure(b));
	add_dec(j, "max_exposure", b->cfg->max_exposure);
	cJSON_AddNumberToObject(j, "pairs", (double)pairs);
	cJSON_AddItemToObject(j, "unlisted_pairs", unlisted);
	cJSON_AddNumberToObject(j, "open_positions", (double)open);
	cJSON_AddNumberToObject(j, "inflight_requests", (double)b->inflight);
	/* The BNB price each quote asset's BNB commission is valued at (null: not known yet, or no market).
	 */
	cJSON *bnb = cJSON_AddObjectToObject(j, "bnb_prices");
	for (size_t i = 0; i < b->bnb.n; i++) {
		const struct sb_bnb_quote *q = &b->bnb.q[i];
		if (q->price > 0)
			add_dec(bnb, q->asset, q->price);
		else
			cJSON_AddNullToObject(bnb, q->asset);
	}
	reply_json(r, 200, j);
}

static void add_order(cJSON *arr, const struct bot_order *o)
{
	if (!o->present)
		return;
	cJSON *x = cJSON_CreateObject();
	cJSON_AddStringToObject(x, "client_order_id", o->row.client_order_id);
	cJSON_AddStringToObject(x, "symbol", o->row.symbol);
	cJSON_AddStringToObject(x, "side", o->row.side == SB_SIDE_BUY ? "BUY" : "SELL");
	cJSON_AddStringToObject(x, "type", o->row.type == SB_ORDER_MARKET ? "MARKET" : "LIMIT");
	cJSON_AddStringToObject(x, "status", sb_order_state_name(o->row.status));
	add_dec(x, "price", o->row.price);
	add_dec(x, "qty", o->row.orig_qty);
	add_dec(x, "filled", o->filled);
	cJSON_AddBoolToObject(x, "open", sb_order_state_is_open(o->sm.state));
	cJSON_AddItemToArray(arr, x);
}

static void view_positions(struct sb_bot *b, struct reply *r, bool orders)
{
	int64_t now = bot_now_ms(b);
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < b->npairs; i++) {
		for (struct bot_pos *bp = b->pairs[i].positions; bp; bp = bp->next) {
			if (orders) {
				add_order(arr, &bp->buy);
				add_order(arr, &bp->sell);
				continue;
			}
			cJSON *x = cJSON_CreateObject();
			cJSON_AddNumberToObject(x, "id", (double)bp->p.id);
			cJSON_AddStringToObject(x, "symbol", bp->p.symbol);
			cJSON_AddStringToObject(x, "state", sb_position_state_name(bp->p.state));
			add_dec(x, "buy_qty", bp->p.buy_qty);
			add_dec(x, "buy_quote", bp->p.buy_quote);
			add_dec(x, "sell_qty", bp->p.sell_qty);
			add_dec(x, "remaining", sb_position_remaining(&bp->p));
			add_dec(x, "target_price", bp->p.target_price);
			add_dec(x, "cost_quote", bp->p.cost_quote);
			cJSON_AddNumberToObject(x, "created_ms", (double)bp->p.created_ms);
			if (bp->p.opened_ms) {
				cJSON_AddNumberToObject(x, "opened_ms", (double)bp->p.opened_ms);
				cJSON_AddNumberToObject(x, "held_ms", (double)(now - bp->p.opened_ms));
			}
			sb_dec u = 0;
			if (unrealised(b, bp, &u))
				add_dec(x, "unrealised_profit", u);
			else
				cJSON_AddNullToObject(x, "unrealised_profit");
			cJSON_AddItemToArray(arr, x);
		}
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, orders ? "orders" : "positions", arr);
	reply_json(r, 200, j);
}

static void view_pairs(struct sb_bot *b, struct reply *r)
{
	cJSON *arr = cJSON_CreateArray();
	int64_t now = bot_now_ms(b);
	for (size_t i = 0; i < b->npairs; i++) {
		const struct bot_pair *pr = &b->pairs[i];
		if (pr->removed)
			continue;
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "symbol", pr->cfg.symbol);
		cJSON_AddBoolToObject(x, "enabled", pr->cfg.enabled);
		cJSON_AddBoolToObject(x, "listed", pr->have_rules);
		cJSON_AddStringToObject(x, "state", bot_pair_state(pr));
		add_dec(x, "quote_per_cycle", pr->cfg.quote);
		cJSON_AddNumberToObject(x, "max_positions", (double)pr->cfg.max_positions);
		cJSON_AddNumberToObject(x, "open_positions", (double)bot_pair_open_count(pr));
		control_pair_settings(&pr->cfg, x);
		if (pr->top_ms) {
			add_dec(x, "bid", pr->top.bid);
			add_dec(x, "ask", pr->top.ask);
			cJSON_AddNumberToObject(x, "price_age_ms", (double)(now - pr->top_ms));
		}
		cJSON_AddItemToArray(arr, x);
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, "pairs", arr);
	reply_json(r, 200, j);
}

/* Events oldest first, CONTROL_EVENTS_MAX at a time; ?after=ID pages on (tailing). */
static void view_events(struct sb_bot *b, int64_t after, struct reply *r)
{
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	struct sb_store_event_filter q = {.after_id = after, .limit = CONTROL_EVENTS_MAX};
	sb_err err = sb_store_event_list(b->st, &q, &rows, &n);
	if (err != SB_OK) {
		reply_error(r, 500, sb_strerror(err));
		return;
	}
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "id", (double)rows[i].id);
		cJSON_AddNumberToObject(x, "time_ms", (double)rows[i].time_ms);
		cJSON_AddStringToObject(x, "kind", rows[i].kind);
		if (rows[i].symbol[0])
			cJSON_AddStringToObject(x, "symbol", rows[i].symbol);
		if (rows[i].position_id)
			cJSON_AddNumberToObject(x, "position_id", (double)rows[i].position_id);
		cJSON *d = rows[i].detail ? cJSON_Parse(rows[i].detail) : NULL;
		if (d)
			cJSON_AddItemToObject(x, "detail", d);
		cJSON_AddItemToArray(arr, x);
	}
	sb_store_events_free(rows, n);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddItemToObject(j, "events", arr);
	reply_json(r, 200, j);
}

/* Liveness: the loop answered, so the process is not stuck; the run state is only reported. */
static void view_live(struct sb_bot *b, struct reply *r)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "alive", true);
	cJSON_AddStringToObject(j, "state", bot_state_name(b->state));
	reply_json(r, 200, j);
}

static void view_health(struct sb_bot *b, struct reply *r)
{
	const char *why = NULL;
	if (b->state != BOT_TRADING && b->state != BOT_PAUSED)
		why = bot_state_name(b->state);
	else if (!sb_exchange_market_synced(b->ex))
		why = "market stream down";
	else if (!sb_exchange_user_subscribed(b->ex))
		why = "user data stream down";
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "state", bot_state_name(b->state));
	cJSON_AddBoolToObject(j, "healthy", why == NULL);
	if (why)
		cJSON_AddStringToObject(j, "reason", why);
	reply_json(r, why ? 503 : 200, j);
}

static void view_metrics(struct bot_control *c, struct reply *r)
{
	char *out = NULL;
	size_t len = 0;
	struct sb_metrics *m = monitor_metrics(c->b);
	if (!m || sb_metrics_render(m, &out, &len) != SB_OK) {
		reply_error(r, 500, "metrics could not be rendered");
		return;
	}
	r->status = 200;
	r->type = SB_METRICS_CONTENT_TYPE;
	r->body = out;
	r->len = len;
}

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

static void set_paused(struct sb_bot *b, bool paused, struct reply *r)
{
	if (control_set_paused(b, paused) != SB_OK) {
		reply_error(r, 500, "the database could not be written");
		return;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "paused", paused);
	cJSON_AddStringToObject(j, "state", bot_state_name(b->state));
	reply_json(r, 200, j);
}

static void set_pair_enabled(struct sb_bot *b, const char *symbol, bool enabled, struct reply *r)
{
	const char *why = NULL;
	int status = control_pair_enable(b, symbol, enabled, &why);
	if (status != 200) {
		reply_error(r, status, why);
		return;
	}
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "symbol", symbol);
	cJSON_AddBoolToObject(j, "paused", !enabled);
	reply_json(r, 200, j);
}

void control_tick(struct bot_control *c, int64_t now_ms)
{
	if (c)
		control_manual_tick(c->manual, now_ms);
}

/* ---- routing ----------------------------------------------------------------------------------- */

/* "/positions/ID/outcome", with the id into *id. */
static bool position_outcome_path(const char *p, int64_t *id)
{
	static const char prefix[] = "/positions/", suffix[] = "/outcome";
	size_t n = strlen(p);
	if (strncmp(p, prefix, sizeof prefix - 1) != 0 || n <= sizeof prefix - 1 + sizeof suffix - 1 ||
	    strcmp(p + n - (sizeof suffix - 1), suffix) != 0)
		return false;
	return control_parse_id(p + sizeof prefix - 1, n - (sizeof prefix - 1) - (sizeof suffix - 1), id);
}

/* Whether q may be answered: the token, unless the path is open to anyone (liveness, monitoring if opened).
 */
static bool allowed(const struct bot_control *c, const struct control_request *q)
{
	if (q->method == CONTROL_GET && strcmp(q->path, "/health/live") == 0)
		return true;
	if (q->method == CONTROL_GET && c->b->cfg->control_open_monitoring &&
	    control_request_is_monitoring(q->path))
		return true;
	return control_request_authorised(q, c->b->cfg->control_token);
}

/* Fills r, or leaves r->status 0 when the answer is deferred (*pending). */
static void route(struct bot_control *c, struct lws *wsi, const struct control_request *q,
                  struct control_deferred **pending, struct reply *r)
{
	struct sb_bot *b = c->b;
	const char *p = q->path;
	if (!allowed(c, q)) {
		reply_error(r, 401, "a valid bearer token is required");
		return;
	}
	if (q->method == CONTROL_OTHER) {
		reply_error(r, 405, "method not allowed");
		return;
	}
	if (q->method == CONTROL_GET) {
		int64_t pid = 0;
		if (position_outcome_path(p, &pid)) {
			cJSON *answer = NULL;
			int status = control_manual_outcome(c->manual, pid, &answer);
			reply_json(r, status, answer);
		} else if (strcmp(p, "/status") == 0)
			view_status(b, r);
		else if (strcmp(p, "/positions") == 0)
			view_positions(b, r, false);
		else if (strcmp(p, "/orders") == 0)
			view_positions(b, r, true);
		else if (strcmp(p, "/pairs") == 0)
			view_pairs(b, r);
		else if (strcmp(p, "/events") == 0)
			view_events(b, q->after, r);
		else if (strcmp(p, "/health") == 0 || strcmp(p, "/health/ready") == 0)
			view_health(b, r);
		else if (strcmp(p, "/health/live") == 0)
			view_live(b, r);
		else if (strcmp(p, "/metrics") == 0)
			view_metrics(c, r);
		else
			reply_error(r, 404, "not found");
		return;
	}
	if (b->closed || b->stopping) {
		reply_error(r, 503, "stopping");
		return;
	}
	if (strcmp(p, "/pause") == 0 || strcmp(p, "/resume") == 0) {
		bool pause = strcmp(p, "/pause") == 0;
		if (q->symbol[0])
			set_pair_enabled(b, q->symbol, !pause, r);
		else
			set_paused(b, pause, r);
		return;
	}
	cJSON *answer = NULL;
	int status = control_pairs_post(b, wsi, p, q->body, q->body_len, &c->adds, pending, &answer);
	if (status > 0)
		reply_json(r, status, answer);
	if (status >= 0)
		return;
	static const char prefix[] = "/positions/";
	if (strncmp(p, prefix, sizeof prefix - 1) == 0) {
		const char *id = p + sizeof prefix - 1;
		const char *slash = strchr(id, '/');
		int64_t pid = 0;
		if (slash && control_parse_id(id, (size_t)(slash - id), &pid) &&
		    (strcmp(slash + 1, "sell") == 0 || strcmp(slash + 1, "cancel") == 0 ||
		     strcmp(slash + 1, "abandon") == 0 || strcmp(slash + 1, "reprice") == 0)) {
			answer = NULL;
			status = control_manual_post(c->manual, pid, slash + 1, q->price, q->force, &answer);
			reply_json(r, status, answer);
			return;
		}
	}
	reply_error(r, 404, "not found");
}

/* Writes r (and frees its body); the return value is the lws callback's. */
static int send_reply(struct lws *wsi, struct reply r)
{
	unsigned char hdr[LWS_PRE + 1024];
	unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
	int rc = -1;
	if (lws_add_http_common_headers(wsi, (unsigned)r.status, r.type ? r.type : "application/json",
	                                (lws_filepos_t)r.len, &p, end) == 0 &&
	    lws_finalize_write_http_header(wsi, start, &p, end) == 0) {
		rc = 0;
		if (r.len) {
			unsigned char *buf = sb_xmalloc(LWS_PRE + r.len);
			memcpy(buf + LWS_PRE, r.body, r.len);
			if (lws_write(wsi, buf + LWS_PRE, r.len, LWS_WRITE_HTTP_FINAL) < 0)
				rc = -1;
			free(buf);
		}
	}
	free(r.body);
	if (rc)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* Parses what q gathered (control_request.c) and answers it, or refuses it with the parser's status. */
static int respond(struct lws *wsi, struct bot_control *c, struct control_pss *q)
{
	struct control_raw raw = {
	    .method = q->method,
	    .method_len = strlen(q->method),
	    .path = q->path,
	    .path_len = q->path_len,
	    .query = q->query,
	    .query_len = q->query_len,
	    .auth = q->auth_len >= 0 ? q->auth : NULL,
	    .auth_len = q->auth_len >= 0 ? (size_t)q->auth_len : 0,
	    .body = q->data,
	    .body_len = q->body > CONTROL_BODY_MAX ? CONTROL_BODY_MAX : (size_t)q->body,
	    .body_declared = q->body,
	};
	char why[160];
	struct reply r = {0};
	int status = control_request_parse(&raw, &q->req, why, sizeof why);
	if (status)
		reply_error(&r, status, why);
	else
		route(c, wsi, &q->req, &q->pending, &r);
	if (r.status == 0)
		return 0; /* deferred: HTTP_WRITEABLE answers */
	return send_reply(wsi, r);
}

/*
 * Copies header h into buf (cap bytes) and returns its length; a header longer than cap - 2 comes back as
 * cap - 1 (the parser refuses it by its length), an absent one as -1.
 */
static int copy_header(struct lws *wsi, enum lws_token_indexes h, char *buf, size_t cap)
{
	int total = lws_hdr_total_length(wsi, h);
	buf[0] = '\0';
	if (total <= 0)
		return -1;
	if ((size_t)total > cap - 2)
		return (int)cap - 1;
	int n = lws_hdr_copy(wsi, buf, (int)cap, h);
	return n < 0 ? (int)cap - 1 : n;
}

/*
 * The query string into buf (cap bytes): lws keeps each "k=v" as a fragment, joined here with '&'. A query
 * longer than cap - 2 comes back as cap - 1 bytes long (the parser refuses it by its length).
 */
static size_t copy_query(struct lws *wsi, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > (int)cap - 2)
		return cap - 1;
	for (int i = 0;; i++) {
		char frag[CONTROL_QUERY_MAX + 2];
		int n = lws_hdr_copy_fragment(wsi, frag, (int)sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (used + (used > 0) + (size_t)n > cap - 2)
			return cap - 1;
		if (used > 0)
			buf[used++] = '&';
		memcpy(buf + used, frag, (size_t)n);
		used += (size_t)n;
		buf[used] = '\0';
	}
	return used;
}

/* Takes the request line and headers from lws into q; returns true when a body follows. */
static bool gather(struct lws *wsi, struct control_pss *q, const char *path)
{
	struct control_deferred *pending = q->pending;
	memset(q, 0, sizeof *q);
	q->pending = pending;
	bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	if (post || lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		snprintf(q->method, sizeof q->method, "%s", post ? "POST" : "GET");
	size_t n = path ? strlen(path) : 0;
	q->path_len = n > CONTROL_PATH_MAX + 1 ? CONTROL_PATH_MAX + 1 : n;
	memcpy(q->path, path ? path : "", q->path_len);
	q->query_len = copy_query(wsi, q->query, sizeof q->query);
	q->auth_len = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, q->auth, sizeof q->auth);
	char cl[32];
	return post && copy_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl) > 0 &&
	       strcmp(cl, "0") != 0;
}

/*
 * A connection beyond CONTROL_CONN_MAX: a 503 written straight to the fresh socket (no request has been
 * read, and lws has no connection object for it yet), which lws then closes.
 */
static void refuse_busy(int fd)
{
	static const char body[] = "{\"error\":\"too many control connections\"}";
	char msg[256];
	int n = snprintf(msg, sizeof msg,
	                 "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	                 sizeof body - 1, body);
	if (n > 0 && (size_t)n < sizeof msg)
		(void)!send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static int cb_control(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct control_pss *q = user;
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct bot_control *c = vh ? lws_vhost_user(vh) : NULL;
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		if (c && c->conns >= CONTROL_CONN_MAX) {
			refuse_busy((int)(intptr_t)in);
			return 1;
		}
		return 0;
	case LWS_CALLBACK_WSI_CREATE: /* every accepted connection, before it has sent anything */
		if (c)
			c->conns++;
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (c && c->conns > 0)
			c->conns--;
		break;
	case LWS_CALLBACK_HTTP:
		if (!c || !q)
			return -1;
		if (gather(wsi, q, in)) {
			lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, CONTROL_CLIENT_TIMEOUT_S);
			return 0; /* the body follows */
		}
		return respond(wsi, c, q);
	case LWS_CALLBACK_HTTP_BODY:
		/* Past the maximum the rest is counted and dropped: the answer is a 413, not a closed
		 * connection. */
		if (q && in && q->body + len <= CONTROL_BODY_MAX) {
			memcpy(q->data + q->body, in, len);
			q->data[q->body + len] = '\0';
		}
		if (q)
			q->body += len;
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!c || !q)
			return -1;
		return respond(wsi, c, q);
	case LWS_CALLBACK_HTTP_WRITEABLE: {
		cJSON *answer = NULL;
		int status = q && q->pending ? control_deferred_take(q->pending, &answer) : 0;
		if (status == 0)
			return 0;
		q->pending = NULL;
		struct reply r = {0};
		reply_json(&r, status, answer);
		return send_reply(wsi, r);
	}
	case LWS_CALLBACK_CLOSED_HTTP:
		if (q && q->pending) {
			control_deferred_detach(q->pending);
			q->pending = NULL;
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols control_protocols[] = {
    {"http", cb_control, sizeof(struct control_pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- life cycle -------------------------------------------------------------------------------- */

/* True when a process accepts connections on the unix socket path (a daemon already running). */
static bool unix_live(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n >= sizeof sun.sun_path)
		return false;
	memcpy(sun.sun_path, path, n + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool live = connect(fd, (struct sockaddr *)&sun, sizeof sun) == 0;
	close(fd);
	return live;
}

/*
 * True when an IPv4 host:port can be bound. A failed bind inside lws on a foreign loop is hard to undo
 * cleanly, so a taken port is found out here first, with the SO_REUSEADDR lws uses. Other host forms are
 * left to lws.
 */
static bool port_free(const char *host, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, &sa.sin_addr) != 1)
		return true;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

sb_err control_check_address(const struct sb_config *cfg, char *msg, size_t cap)
{
	char iface[256];
	int port = 0;
	bool unix_sock = false;
	if (!cfg || !cfg->control_listen ||
	    parse_listen(cfg->control_listen, iface, sizeof iface, &port, &unix_sock) != SB_OK)
		return SB_ERR_CONFIG;
	if (unix_sock ? unix_live(iface) : !port_free(iface, port)) {
		snprintf(msg, cap, "CONTROL_LISTEN %s is in use: is another spotbot running?",
		         cfg->control_listen);
		return SB_ERR_IO;
	}
	return SB_OK;
}

sb_err control_start(struct sb_bot *b, struct bot_control **out)
{
	if (!b || !b->ws || !out)
		return SB_ERR_INVALID;
	struct bot_control *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->manual = control_manual_new(b);
	int port = 0;
	bool unix_sock = false;
	if (parse_listen(b->cfg->control_listen, c->iface, sizeof c->iface, &port, &unix_sock) != SB_OK) {
		control_free(c);
		return SB_ERR_CONFIG;
	}
	if (unix_sock ? unix_live(c->iface) : !port_free(c->iface, port)) {
		control_free(c);
		return SB_ERR_IO;
	}
	if (unix_sock) {
		struct stat sbuf;
		/* A socket file left by a daemon that did not stop cleanly would make the bind fail. */
		if (lstat(c->iface, &sbuf) == 0 && S_ISSOCK(sbuf.st_mode))
			(void)unlink(c->iface);
		memcpy(c->unix_path, c->iface, strlen(c->iface) + 1); /* parse_listen kept it under 108 */
	}
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = unix_sock ? 0 : port;
	info.iface = c->iface;
	info.protocols = control_protocols;
	info.vhost_name = "control";
	/* A client holding a connection without finishing its request headers is dropped after this (lws
	 * would wait 10 s); the body has as long again (LWS_CALLBACK_HTTP). */
	info.timeout_secs_ah_idle = CONTROL_CLIENT_TIMEOUT_S;
	info.timeout_secs = CONTROL_CLIENT_TIMEOUT_S;
	info.user = c;
	info.options = unix_sock ? LWS_SERVER_OPTION_UNIX_SOCK : 0;
	c->vh = lws_create_vhost(sb_ws_ctx_lws(b->ws), &info);
	if (!c->vh) {
		control_free(c);
		return SB_ERR_IO;
	}
	sb_log_info("control", SB_FIELDS(SB_F_STR("listen", b->cfg->control_listen)),
	            "control API listening on %s", b->cfg->control_listen);
	*out = c;
	return SB_OK;
}

void control_free(struct bot_control *c)
{
	if (!c)
		return;
	control_manual_free(c->manual);
	control_deferred_forget(&c->adds);
	if (c->unix_path[0])
		(void)unlink(c->unix_path);
	free(c);
}

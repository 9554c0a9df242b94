/*
 * control_pairs.c - trade pair editing through the control API (docs/control-api.md): add a pair at run
 * time, change a pair's settings, enable or disable it, remove it.
 *
 * Settings arrive as strings in the PAIRS syntax ("profit":"0.8%") and go through sb_pair_set and
 * sb_pair_validate, so the API, the PAIRS setting and the CLI accept exactly the same values with the same
 * error texts. Every change is written to trade_pairs with its event before memory adopts it.
 *
 * An addition asks the exchange about the symbol first and answers the HTTP request when exchangeInfo
 * answers: nothing is persisted for a symbol the exchange does not list. The operation (struct
 * control_deferred) outlives the connection if the client goes away, and is settled without touching the
 * connection once the daemon has begun to close.
 *
 * A pair is removed only while the database holds no open position of it; its history (positions,
 * orders, fills, events) stays. The daemon's pairs live in one array of SB_PAIRS_MAX slots allocated at
 * start-up (positions and metrics keep pointers into it), so nothing ever moves: an addition takes the
 * next slot, or the slot its symbol had before it was removed, and a removed pair's slot is only marked.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/control.h"
#include "bot/control_http.h"
#include "common/json_out.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define PAIRS_MSG_MAX 320 /* an error answer's text */

struct control_deferred {
	struct sb_bot *b;               /* the daemon */
	struct control_conn *conn;      /* the waiting connection; NULL once the client went away */
	struct control_deferred **adds; /* the list it is on while the exchange is asked; NULL off it */
	struct control_deferred *next;  /* next on that list */
	struct sb_pair_cfg cfg;         /* the pair to add */
	bool done;                      /* the answer is ready */
	int status;                     /* its HTTP status */
	cJSON *answer;                  /* its body (owned) */
};

/* Commission request of an added pair. */
struct fee_call {
	struct sb_bot *b;           /* the daemon */
	char symbol[SB_SYMBOL_MAX]; /* the pair */
};

/* ---- answers ---------------------------------------------------------------------------------------- */

static int fail(int status, const char *msg, cJSON **out)
{
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "error", msg);
	return status;
}

void control_pair_settings(const struct sb_pair_cfg *c, cJSON *o)
{
	size_t n = 0;
	const struct sb_pair_key *keys = sb_pair_keys(&n);
	cJSON *s = cJSON_AddObjectToObject(o, "settings");
	for (size_t i = 0; i < n; i++) {
		char v[64];
		if (sb_pair_format_value(c, &keys[i], v, sizeof v) == SB_OK)
			cJSON_AddStringToObject(s, keys[i].name, v);
	}
}

static cJSON *pair_json(const struct bot_pair *pr)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "symbol", pr->cfg.symbol);
	cJSON_AddBoolToObject(j, "enabled", pr->cfg.enabled);
	cJSON_AddBoolToObject(j, "listed", pr->have_rules);
	cJSON_AddStringToObject(j, "state", bot_pair_state(pr));
	control_pair_settings(&pr->cfg, j);
	return j;
}

/* ---- request bodies --------------------------------------------------------------------------------- */

/* Parses body as a JSON object whose members are all named in allowed; 400 with the reason otherwise. */
static int parse_body(const char *body, size_t len, const char *const *allowed, cJSON **doc, cJSON **out)
{
	char msg[PAIRS_MSG_MAX];
	*doc = NULL;
	if (!body || len == 0)
		return fail(400, "a JSON body is required", out);
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (!j) {
		size_t at = end && end >= body && end <= body + len ? (size_t)(end - body) : 0;
		snprintf(msg, sizeof msg, "the body is not valid JSON (at byte %zu)", at);
		return fail(400, msg, out);
	}
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return fail(400, "the body must be a JSON object", out);
	}
	for (const cJSON *m = j->child; m; m = m->next) {
		bool known = false;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = m->string && strcmp(m->string, allowed[i]) == 0;
		if (!known) {
			snprintf(msg, sizeof msg, "unknown field '%.64s'", m->string ? m->string : "");
			cJSON_Delete(j);
			return fail(400, msg, out);
		}
	}
	*doc = j;
	return 0;
}

/*
 * Applies the members of settings (an object of strings) to c through sb_pair_set. Returns 0, or 400 for
 * a malformed settings member and 422 with the pairs.h text for a value it refuses. When changed is given,
 * every key whose value differs gets {"from":..., "to":...} in it.
 */
static int apply_settings(const cJSON *settings, struct sb_pair_cfg *c, cJSON *changed, cJSON **out)
{
	char msg[PAIRS_MSG_MAX];
	if (!settings)
		return 0;
	if (!cJSON_IsObject(settings))
		return fail(400, "settings must be an object of strings like {\"profit\":\"0.8%\"}", out);
	for (const cJSON *m = settings->child; m; m = m->next) {
		const char *key = m->string ? m->string : "";
		if (!cJSON_IsString(m) || !m->valuestring) {
			snprintf(msg, sizeof msg,
			         "settings.%.64s must be a string in the PAIRS syntax (\"0.8%%\")", key);
			return fail(400, msg, out);
		}
		const struct sb_pair_key *k = sb_pair_key_find(key, strlen(key));
		char before[64] = "", after[64] = "";
		if (k)
			(void)sb_pair_format_value(c, k, before, sizeof before);
		char err[SB_PAIRS_ERR_MAX];
		if (sb_pair_set(c, key, strlen(key), m->valuestring, strlen(m->valuestring), err,
		                sizeof err) != SB_OK)
			return fail(422, err, out);
		(void)sb_pair_format_value(c, k, after, sizeof after);
		if (changed && strcmp(before, after) != 0) {
			cJSON_DeleteItemFromObjectCaseSensitive(changed, key);
			cJSON *x = cJSON_AddObjectToObject(changed, key);
			cJSON_AddStringToObject(x, "from", before);
			cJSON_AddStringToObject(x, "to", after);
		}
	}
	return 0;
}

/* ---- enable / disable ------------------------------------------------------------------------------- */

int control_pair_enable(struct sb_bot *b, const char *symbol, bool enabled, const char **why)
{
	struct bot_pair *pr = bot_pair_find(b, symbol);
	if (!pr) {
		*why = "no such pair";
		return 404;
	}
	struct sb_store_pair row;
	sb_err err = sb_store_pair_get(b->st, symbol, &row);
	if (err == SB_OK) {
		int64_t now = bot_now_ms(b);
		row.enabled = enabled;
		row.updated_ms = now;
		struct sb_store_event ev = {.time_ms = now, .detail = "{\"source\":\"control\"}"};
		snprintf(ev.kind, sizeof ev.kind, "%s", enabled ? "pair.resume" : "pair.pause");
		snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
		err = sb_store_pair_upsert(b->st, &row, &ev);
	}
	if (err != SB_OK) {
		*why = "the pair could not be written";
		return 500;
	}
	pr->cfg.enabled = enabled;
	sb_log_info("control", SB_FIELDS(SB_F_STR("symbol", symbol), SB_F_BOOL("enabled", enabled)), "%s %s",
	            enabled ? "resumed" : "paused", symbol);
	return 200;
}

static int enable(struct sb_bot *b, const char *symbol, bool enabled, cJSON **out)
{
	const char *why = NULL;
	int status = control_pair_enable(b, symbol, enabled, &why);
	if (status != 200)
		return fail(status, why, out);
	*out = pair_json(bot_pair_find(b, symbol));
	return 200;
}

/* ---- removal ---------------------------------------------------------------------------------------- */

/* Open positions of symbol as the database has them (also before the daemon has loaded its positions). */
static sb_err open_positions(struct sb_bot *b, const char *symbol, size_t *n)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN, .symbol = symbol};
	struct sb_store_position *rows = NULL;
	sb_err err = sb_store_position_list(b->st, &f, &rows, n);
	free(rows);
	return err;
}

/* POST /pairs/SYMBOL/remove: refused while a position of the pair is open. */
static int pair_remove(struct sb_bot *b, const char *symbol, cJSON **out)
{
	char msg[PAIRS_MSG_MAX];
	struct bot_pair *pr = bot_pair_find(b, symbol);
	if (!pr)
		return fail(404, "no such pair", out);
	size_t open = 0;
	if (open_positions(b, symbol, &open) != SB_OK)
		return fail(500, "the open positions could not be read", out);
	if (open > 0 || bot_pair_open_count(pr) > 0) {
		snprintf(msg, sizeof msg,
		         "%s has %zu open position%s: sell, cancel or abandon %s first, or disable the pair",
		         symbol, open, open == 1 ? "" : "s", open == 1 ? "it" : "them");
		return fail(409, msg, out);
	}
	struct sb_store_event ev = {.time_ms = bot_now_ms(b), .detail = "{\"source\":\"control\"}"};
	snprintf(ev.kind, sizeof ev.kind, "pair.removed");
	snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
	if (sb_store_pair_delete(b->st, symbol, &ev) != SB_OK)
		return fail(500, "the pair could not be written", out);
	if (pr->have_rules)
		(void)sb_exchange_market_remove(b->ex, symbol);
	pr->removed = true;
	pr->have_rules = false;
	pr->cfg.enabled = false;
	sb_log_info("control", SB_FIELDS(SB_F_STR("symbol", symbol)), "pair %s removed", symbol);
	bot_human(b, "%-8s removed", symbol);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "symbol", symbol);
	cJSON_AddBoolToObject(*out, "removed", true);
	return 200;
}

/* ---- settings --------------------------------------------------------------------------------------- */

/* POST /pairs/SYMBOL {"settings":{...}}: the keys given, all or nothing. */
static int update(struct sb_bot *b, const char *symbol, const char *body, size_t len, cJSON **out)
{
	static const char *const allowed[] = {"settings", NULL};
	struct bot_pair *pr = bot_pair_find(b, symbol);
	if (!pr)
		return fail(404, "no such pair", out);
	cJSON *doc = NULL;
	int status = parse_body(body, len, allowed, &doc, out);
	if (status)
		return status;
	const cJSON *settings = cJSON_GetObjectItemCaseSensitive(doc, "settings");
	struct sb_pair_cfg c = pr->cfg;
	cJSON *changed = cJSON_CreateObject();
	char err[SB_PAIRS_ERR_MAX];
	if (!cJSON_IsObject(settings) || !settings->child)
		status = fail(
		    400, "settings must name at least one key, like {\"settings\":{\"profit\":\"0.8%\"}}",
		    out);
	else
		status = apply_settings(settings, &c, changed, out);
	if (status == 0 && sb_pair_validate(&c, err, sizeof err) != SB_OK)
		status = fail(422, err, out);
	if (status == 0 && changed->child) {
		int64_t now = bot_now_ms(b);
		struct sb_store_pair row;
		bot_pair_to_row(&c, now, &row);
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "source", "control");
		cJSON_AddItemReferenceToObject(d, "changed", changed);
		char *detail = cJSON_PrintUnformatted(d);
		cJSON_Delete(d);
		struct sb_store_event ev = {.time_ms = now, .detail = detail};
		snprintf(ev.kind, sizeof ev.kind, "pair.updated");
		snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
		sb_err e = detail ? sb_store_pair_upsert(b->st, &row, &ev) : SB_ERR_NOMEM;
		if (e == SB_OK) {
			pr->cfg = c;
			sb_log_info("control",
			            SB_FIELDS(SB_F_STR("symbol", symbol), SB_F_STR("changed", detail)),
			            "pair %s updated", symbol);
			bot_human(b, "%-8s settings changed", symbol);
		} else {
			status = fail(500, "the pair could not be written", out);
		}
		free(detail);
	}
	if (status == 0) {
		*out = pair_json(pr);
		cJSON_AddItemToObject(*out, "changed", changed);
		changed = NULL;
		status = 200;
	}
	cJSON_Delete(changed);
	cJSON_Delete(doc);
	return status;
}

/* ---- addition --------------------------------------------------------------------------------------- */

static void unlink_add(struct control_deferred *d)
{
	if (!d->adds)
		return;
	for (struct control_deferred **pp = d->adds; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			break;
		}
	d->adds = NULL;
	d->next = NULL;
}

static void on_fees(void *user, const struct sb_bn_rest_result *res, struct sb_bn_commission *cm)
{
	struct fee_call *fc = user;
	struct sb_bot *b = fc->b;
	b->inflight--;
	if (!b->closed)
		bot_pair_fees(b, fc->symbol, res, cm);
	free(fc);
}

/* The pair.added event's detail: {"source":"control","pair":"<the pair in the PAIRS syntax>"}. */
static void added_detail(const char *text, struct sb_buf *out)
{
	sb_buf_putc(out, '{');
	sb_json_key(out, "source");
	sb_json_str(out, "control");
	sb_buf_putc(out, ',');
	sb_json_key(out, "pair");
	sb_json_str(out, text);
	sb_buf_putc(out, '}');
}

/* The pair is listed: persist it, then trade it (rules, commission, market stream). */
static int adopt(struct sb_bot *b, const struct sb_pair_cfg *cfg, const struct sb_symbol_rules *rules,
                 cJSON **out)
{
	char msg[PAIRS_MSG_MAX];
	if (bot_pair_find(b, cfg->symbol)) {
		snprintf(msg, sizeof msg, "%s is already a trade pair", cfg->symbol);
		return fail(409, msg, out);
	}
	/* A symbol removed earlier gets its old slot back (its metrics series point there). */
	struct bot_pair *pr = NULL;
	for (size_t i = 0; i < b->npairs && !pr; i++)
		if (b->pairs[i].removed && strcmp(b->pairs[i].cfg.symbol, cfg->symbol) == 0)
			pr = &b->pairs[i];
	if (!pr && b->npairs >= SB_PAIRS_MAX) {
		snprintf(msg, sizeof msg,
		         "at most %d trade pairs: remove or disable one, or change its settings instead",
		         SB_PAIRS_MAX);
		return fail(409, msg, out);
	}
	int64_t now = bot_now_ms(b);
	struct sb_store_pair row;
	bot_pair_to_row(cfg, now, &row);
	char text[1024] = "";
	(void)sb_pair_format(cfg, false, text, sizeof text, NULL);
	struct sb_buf detail = {0};
	added_detail(text, &detail);
	struct sb_store_event ev = {.time_ms = now, .detail = sb_buf_str(&detail)};
	snprintf(ev.kind, sizeof ev.kind, "pair.added");
	snprintf(ev.symbol, sizeof ev.symbol, "%s", cfg->symbol);
	sb_err err = sb_store_pair_upsert(b->st, &row, &ev);
	sb_buf_fini(&detail);
	if (err != SB_OK)
		return fail(500, "the pair could not be written", out);
	if (!pr)
		pr = &b->pairs[b->npairs++];
	memset(pr, 0, sizeof *pr);
	pr->cfg = *cfg;
	pr->rules = *rules;
	pr->have_rules = true;
	pr->sell_fee = BOT_FEE_DEFAULT;
	sb_err e = sb_exchange_market_add(b->ex, cfg->symbol);
	if (e != SB_OK)
		sb_log_error("control", SB_FIELDS(SB_F_STR("symbol", cfg->symbol), SB_F_ERR(e)),
		             "the market stream of %s could not be added: its prices come by REST",
		             cfg->symbol);
	struct fee_call *fc = sb_xcalloc(1, sizeof *fc);
	fc->b = b;
	snprintf(fc->symbol, sizeof fc->symbol, "%s", cfg->symbol);
	if (b->ex && sb_exchange_commission(b->ex, fc->symbol, on_fees, fc) == SB_OK)
		b->inflight++;
	else
		free(fc);
	sb_log_info("control", SB_FIELDS(SB_F_STR("symbol", cfg->symbol), SB_F_STR("pair", text)),
	            "pair %s added", cfg->symbol);
	bot_human(b, "%-8s added as a trade pair", cfg->symbol);
	*out = pair_json(pr);
	return 201;
}

/* The answer is ready: hand it to the waiting connection, or drop it when nobody waits. */
static void settle(struct control_deferred *d, int status, cJSON *answer)
{
	if (!d->conn) {
		cJSON_Delete(answer);
		free(d);
		return;
	}
	d->done = true;
	d->status = status;
	d->answer = answer;
	/* Once closing has begun the connection is left alone; the connection's close detaches and frees d.
	 */
	if (!d->b->closed)
		control_http_wake(d->conn);
}

static void on_info(void *user, const struct sb_bn_rest_result *res, struct sb_bn_exchange_info *info)
{
	struct control_deferred *d = user;
	struct sb_bot *b = d->b;
	b->inflight--;
	unlink_add(d);
	cJSON *out = NULL;
	char msg[PAIRS_MSG_MAX];
	int status;
	const struct sb_symbol_rules *r =
	    res->err == SB_OK && info ? sb_bn_exchange_info_symbol(info, d->cfg.symbol) : NULL;
	if (b->closed || bot_is_stopping(b)) {
		status = fail(503, "the daemon is stopping", &out);
	} else if (r) {
		status = adopt(b, &d->cfg, r, &out);
	} else if (res->err == SB_OK || (res->err == SB_ERR_EXCHANGE && res->api.code == -1121)) {
		snprintf(msg, sizeof msg, "%s is not listed by the exchange", d->cfg.symbol);
		status = fail(422, msg, &out);
	} else {
		snprintf(msg, sizeof msg, "the exchange could not be asked about %s: %.200s", d->cfg.symbol,
		         res->api.msg[0]  ? res->api.msg
		         : res->detail[0] ? res->detail
		                          : sb_strerror(res->err));
		status = fail(502, msg, &out);
	}
	settle(d, status, out);
}

static size_t count_adds(struct control_deferred *const *adds)
{
	size_t n = 0;
	for (const struct control_deferred *d = *adds; d; d = d->next)
		n++;
	return n;
}

/* POST /pairs {"symbol":"ETHUSDT","settings":{...}}: checked here, then by the exchange. */
static int add(struct sb_bot *b, struct control_conn *conn, const char *body, size_t len,
               struct control_deferred **adds, struct control_deferred **pending, cJSON **out)
{
	static const char *const allowed[] = {"symbol", "settings", NULL};
	char msg[PAIRS_MSG_MAX], err[SB_PAIRS_ERR_MAX];
	cJSON *doc = NULL;
	int status = parse_body(body, len, allowed, &doc, out);
	if (status)
		return status;
	struct sb_pair_cfg c;
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(doc, "symbol");
	if (!cJSON_IsString(sym) || !sym->valuestring) {
		status = fail(400, "symbol: a string like \"ETHUSDT\" is required", out);
	} else if (sb_pair_init(&c, sym->valuestring, strlen(sym->valuestring)) != SB_OK) {
		snprintf(msg, sizeof msg, "symbol: '%.40s' is not a symbol (A-Z and 0-9, like ETHUSDT)",
		         sym->valuestring);
		status = fail(422, msg, out);
	} else {
		status = apply_settings(cJSON_GetObjectItemCaseSensitive(doc, "settings"), &c, NULL, out);
		if (status == 0 && sb_pair_validate(&c, err, sizeof err) != SB_OK)
			status = fail(422, err, out);
	}
	cJSON_Delete(doc);
	if (status)
		return status;
	bool waiting = false;
	for (const struct control_deferred *d = *adds; d && !waiting; d = d->next)
		waiting = strcmp(d->cfg.symbol, c.symbol) == 0;
	if (bot_pair_find(b, c.symbol) || waiting) {
		snprintf(msg, sizeof msg, "%s is already a trade pair%s", c.symbol,
		         waiting ? " (being added)" : "");
		return fail(409, msg, out);
	}
	if (b->npairs + count_adds(adds) >= SB_PAIRS_MAX) {
		snprintf(msg, sizeof msg,
		         "at most %d trade pairs: remove or disable one, or change its settings instead",
		         SB_PAIRS_MAX);
		return fail(409, msg, out);
	}
	if (!bot_may_trade(b) || !b->ex) {
		snprintf(msg, sizeof msg, "the daemon is %s: pairs can be added once it trades",
		         bot_state_name(b->state));
		return fail(503, msg, out);
	}
	struct control_deferred *d = sb_xcalloc(1, sizeof *d);
	d->b = b;
	d->conn = conn;
	d->cfg = c;
	const char *syms[1] = {d->cfg.symbol};
	sb_err e = sb_exchange_exchange_info(b->ex, syms, 1, on_info, d);
	if (e != SB_OK) {
		free(d);
		snprintf(msg, sizeof msg, "the exchange could not be asked about %s: %s", c.symbol,
		         sb_strerror(e));
		return fail(502, msg, out);
	}
	b->inflight++;
	sb_log_info("control", SB_FIELDS(SB_F_STR("symbol", c.symbol)),
	            "asking the exchange about %s before adding it", c.symbol);
	d->adds = adds;
	d->next = *adds;
	*adds = d;
	*pending = d;
	return 0;
}

/* ---- the deferred answer ---------------------------------------------------------------------------- */

int control_deferred_take(struct control_deferred *d, cJSON **out)
{
	if (!d || !d->done)
		return 0;
	int status = d->status;
	*out = d->answer;
	free(d);
	return status;
}

void control_deferred_detach(struct control_deferred *d)
{
	if (!d)
		return;
	if (d->done) {
		cJSON_Delete(d->answer);
		free(d);
		return;
	}
	d->conn = NULL; /* on_info completes the addition and frees d */
}

void control_deferred_forget(struct control_deferred **adds)
{
	while (adds && *adds)
		unlink_add(*adds);
}

/* ---- routing ---------------------------------------------------------------------------------------- */

int control_pairs_post(struct sb_bot *b, struct control_conn *conn, const char *path, const char *body,
                       size_t len, struct control_deferred **adds, struct control_deferred **pending,
                       cJSON **out)
{
	static const char prefix[] = "/pairs/";
	*out = NULL;
	if (strcmp(path, "/pairs") == 0)
		return add(b, conn, body, len, adds, pending, out);
	if (strncmp(path, prefix, sizeof prefix - 1) != 0)
		return -1;
	const char *sym = path + sizeof prefix - 1;
	const char *slash = strchr(sym, '/');
	size_t n = slash ? (size_t)(slash - sym) : strlen(sym);
	char symbol[SB_SYMBOL_MAX];
	if (n == 0 || n >= sizeof symbol)
		return fail(404, "no such pair", out);
	memcpy(symbol, sym, n);
	symbol[n] = '\0';
	if (!slash)
		return update(b, symbol, body, len, out);
	if (strcmp(slash, "/enable") == 0 || strcmp(slash, "/disable") == 0)
		return enable(b, symbol, strcmp(slash, "/enable") == 0, out);
	if (strcmp(slash, "/remove") == 0)
		return pair_remove(b, symbol, out);
	return fail(404, "not found", out);
}

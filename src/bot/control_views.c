/*
 * control_views.c - the control API's read-only views (docs/control-api.md): the run state, positions,
 * orders, pairs, events, the health checks and the metrics, each built from the daemon's live memory (the
 * events from the store), as JSON into a struct control_reply; and the two reply helpers every part of the
 * control API answers with.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/control_int.h"
#include "bot/metrics.h"
#include "spotbot/alloc.h"

#define CONTROL_EVENTS_MAX 200 /* events returned by GET /events */

/* ---- replies -------------------------------------------------------------------------------------- */

void control_reply_json(struct control_reply *r, int status, cJSON *j)
{
	r->status = status;
	r->type = NULL;
	r->body = cJSON_PrintUnformatted(j);
	if (!r->body)
		abort(); /* cJSON fails only when out of memory */
	r->len = strlen(r->body);
	cJSON_Delete(j);
}

void control_reply_error(struct control_reply *r, int status, const char *msg)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "error", msg);
	control_reply_json(r, status, j);
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

/* The REST budget as the exchange reports it: the weight used this minute (its X-MBX-USED-WEIGHT-1M),
 * what is out, and the rate-limit answers so far. */
static void add_rest(cJSON *j, const struct sb_bn_rest_stats *st)
{
	cJSON *o = cJSON_AddObjectToObject(j, "rest");
	cJSON_AddNumberToObject(o, "used_weight_1m", (double)st->used_weight);
	cJSON_AddNumberToObject(o, "soft_limit", BOT_WEIGHT_SOFT);
	cJSON_AddNumberToObject(o, "in_flight", (double)st->in_flight);
	cJSON_AddNumberToObject(o, "requests", (double)st->requests);
	cJSON_AddNumberToObject(o, "responses_429", (double)st->n_429);
	cJSON_AddNumberToObject(o, "responses_418", (double)st->n_418);
	cJSON_AddBoolToObject(o, "paused", st->paused);
	cJSON_AddBoolToObject(o, "banned", st->banned);
}

void control_view_status(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
	int64_t now = bot_now_ms(b);
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "version", SB_VERSION);
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
	add_rest(j, &xs.rest);
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
	control_reply_json(r, 200, j);
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

static void positions(struct sb_bot *b, bool orders, struct control_reply *r)
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
	control_reply_json(r, 200, j);
}

void control_view_positions(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
	positions(b, false, r);
}

void control_view_orders(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
	positions(b, true, r);
}

void control_view_pairs(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
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
	control_reply_json(r, 200, j);
}

/* Events oldest first, CONTROL_EVENTS_MAX at a time; ?after=ID pages on (tailing). */
void control_view_events(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	struct sb_store_event_filter q = {.after_id = req->after, .limit = CONTROL_EVENTS_MAX};
	sb_err err = sb_store_event_list(b->st, &q, &rows, &n);
	if (err != SB_OK) {
		control_reply_error(r, 500, sb_strerror(err));
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
	control_reply_json(r, 200, j);
}

/* Liveness: the loop answered, so the process is not stuck; the run state is only reported. */
void control_view_live(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "alive", true);
	cJSON_AddStringToObject(j, "state", bot_state_name(b->state));
	control_reply_json(r, 200, j);
}

void control_view_health(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
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
	control_reply_json(r, why ? 503 : 200, j);
}

void control_view_metrics(struct sb_bot *b, const struct control_request *req, struct control_reply *r)
{
	(void)req;
	char *out = NULL;
	size_t len = 0;
	struct sb_metrics *m = monitor_metrics(b);
	if (!m || sb_metrics_render(m, &out, &len) != SB_OK) {
		control_reply_error(r, 500, "metrics could not be rendered");
		return;
	}
	r->status = 200;
	r->type = SB_METRICS_CONTENT_TYPE;
	r->body = out;
	r->len = len;
}

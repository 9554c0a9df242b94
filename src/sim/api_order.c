/*
 * api_order.c - spotsim's order methods: place, test, query, cancel, cancel-replace, open orders and
 * order history, with Binance's checks before the engine (symbol status, filters, order-rate limits),
 * error codes and response shapes (binance-spot-api.md §4, §6). Every method that places or cancels goes
 * through the same parameter, filter, engine and rendering functions, so cancel-replace's halves behave
 * exactly as order.cancel and order.place do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/api_int.h"
#include "sim/api_params.h"
#include "sim/api_render.h"
#include "spotbot/alloc.h"

#define ORDER_LIST_MAX 1000 /* largest page of openOrders / allOrders */

/* ---- checks before the engine -------------------------------------------------------------------- */

/* Symbol status and filters: what Binance checks of the order itself before the engine. */
static bool check_filters(struct sim_api_reply *r, const struct sim_new_order *o)
{
	if (o->sym->rules.status != SB_SYMBOL_TRADING) {
		sim_api_error(r, 400, -2010, "Market is closed.");
		return false;
	}
	enum sb_filter failed = SB_FILTER_NONE;
	sb_err e = sb_rules_validate(&o->sym->rules, &o->spec, &failed);
	if (e == SB_ERR_FILTER) {
		sim_api_error(r, 400, -1013, "Filter failure: %s", sb_filter_name(failed));
		return false;
	}
	if (e == SB_ERR_UNSUPPORTED) {
		sim_api_error(r, 400, -1116, "Invalid orderType.");
		return false;
	}
	if (e) {
		sim_api_error(r, 400, -1013, "Invalid quantity.");
		return false;
	}
	return true;
}

/* The account's order-rate limits (ORDERS per 10 s and per day), rolling the windows forward first. */
static bool check_rate(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_account *a = c->account;
	if (c->now_ms - a->orders_10s_start >= 10000) {
		a->orders_10s_start = c->now_ms - c->now_ms % 10000;
		a->orders_10s = 0;
	}
	if (c->now_ms - a->orders_1d_start >= 86400000) {
		a->orders_1d_start = c->now_ms - c->now_ms % 86400000;
		a->orders_1d = 0;
	}
	if (a->orders_10s >= c->ex->order_limit_10s) {
		r->retry_after = (uint32_t)((a->orders_10s_start + 10000 - c->now_ms + 999) / 1000);
		sim_api_error(r, 429, -1015, "Too many new orders; current limit is %u orders per 10 SECOND.",
		              c->ex->order_limit_10s);
		return false;
	}
	if (a->orders_1d >= c->ex->order_limit_1d) {
		sim_api_error(r, 429, -1015, "Too many new orders; current limit is %u orders per DAY.",
		              c->ex->order_limit_1d);
		return false;
	}
	return true;
}

/* Everything checked before the engine: symbol status, filters, order-rate limits. */
static bool check_order(struct sim_api_call *c, struct sim_api_reply *r, const struct sim_new_order *o)
{
	return check_filters(r, o) && check_rate(c, r);
}

/* One more order in the account's order-rate windows (X-MBX-ORDER-COUNT-*). */
static void count_order(struct sim_api_call *c, struct sim_api_reply *r)
{
	c->account->orders_10s++;
	c->account->orders_1d++;
	r->order = true;
}

static const char unknown_msg[] =
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.";

/*
 * Sends a parsed and checked order to the engine with its funds, appending what happened to res (which
 * may already hold a cancel's events). False with the engine's refusal in r: -2010 (balance, duplicate
 * clientOrderId, LIMIT_MAKER that would match) or MAX_NUM_ORDERS; nothing changes then.
 */
static bool execute_order(struct sim_api_call *c, struct sim_api_reply *r, const struct sim_new_order *o,
                          struct sim_book_result *res)
{
	struct sim_exchange *ex = c->ex;
	sb_dec bnb = sim_exchange_bnb_price(ex, o->sym);
	sb_err e = sim_ledger_place(ex->ledger, o->sym->book, &o->req, bnb, res);
	if (e == SB_ERR_EXCHANGE) {
		if (res->reject == SIM_REJECT_TOO_MANY_ORDERS)
			sim_api_error(r, 400, -1013, "Filter failure: MAX_NUM_ORDERS");
		else
			sim_api_error(r, 400, -2010, "%s", sim_book_reject_msg(res->reject));
		return false;
	}
	if (e) {
		sim_api_error(r, 500, -1000, "An unknown error occurred while processing the request.");
		return false;
	}
	return true;
}

void sim_api_order_place(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_new_order o;
	if (!sim_api_parse_order(c, r, &o) || !check_order(c, r, &o))
		return;
	c->ex->order_requests[c->ws]++;
	if (c->ex->faults.order_5xx_before) {
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	struct sim_exchange *ex = c->ex;
	struct sim_book_result *res = &ex->scratch;
	sim_book_result_clear(res);
	if (!execute_order(c, r, &o, res))
		return;
	count_order(c, r);
	r->weight = 0; /* a successful placement costs no weight (2026-04-02) */
	const struct sim_book_order *placed = sim_book_find(o.sym->book, res->order_id);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	if (placed)
		sim_api_render_placed(&b, o.sym, placed, o.resp_type, res);
	sim_exchange_settled(ex, o.sym, res);
	if (ex->faults.order_5xx_after) {
		sb_buf_fini(&b);
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	sim_api_reply_buf(r, &b);
}

void sim_api_order_test(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_new_order o;
	if (!sim_api_parse_order(c, r, &o) || !check_order(c, r, &o))
		return;
	char buf[16];
	const char *v = sim_api_param(c, "computeCommissionRates", buf, sizeof buf);
	if (!v || strcmp(v, "true") != 0) {
		r->json = sb_xstrdup("{}");
		return;
	}
	r->weight = 20;
	sb_dec maker, taker;
	sim_ledger_rates(c->ex->ledger, c->account->id, &maker, &taker);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "{\"standardCommissionForOrder\":{\"maker\":");
	sb_json_dec(&b, maker);
	sb_buf_printf(&b, ",\"taker\":");
	sb_json_dec(&b, taker);
	sb_buf_printf(
	    &b,
	    "},\"specialCommissionForOrder\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\"},"
	    "\"taxCommissionForOrder\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\"},"
	    "\"discount\":{\"enabledForAccount\":%s,\"enabledForSymbol\":true,\"discountAsset\":\"BNB\","
	    "\"discount\":\"0.25000000\"}}",
	    sim_ledger_bnb_fees(c->ex->ledger, c->account->id) ? "true" : "false");
	sim_api_reply_buf(r, &b);
}

/* ---- finding and canceling orders ---------------------------------------------------------------- */

/* The account's order on s that ref names; errors with -2039 (id and client id disagree) or
 * unknown_code (-2013 query, -2011 cancel). */
static struct sim_book_order *lookup(struct sim_api_call *c, struct sim_api_reply *r, struct sim_symbol *s,
                                     const struct sim_order_ref *ref, int unknown_code,
                                     const char *unknown_text)
{
	struct sim_book_order *o = NULL;
	if (ref->has_id) {
		o = sim_book_find(s->book, (uint64_t)ref->id);
		if (o && o->account != c->account->id)
			o = NULL;
		if (o && ref->orig[0] && strcmp(o->client_id, ref->orig) != 0) {
			sim_api_error(r, 400, -2039, "Client order ID is not correct for this order ID.");
			return NULL;
		}
	} else {
		o = sim_book_find_client(s->book, c->account->id, ref->orig, strlen(ref->orig));
	}
	if (!o)
		sim_api_error(r, 400, unknown_code, "%s", unknown_text);
	return o;
}

/* The account's order named by orderId or origClientOrderId. */
static struct sim_book_order *find_order(struct sim_api_call *c, struct sim_api_reply *r,
                                         struct sim_symbol *s, int unknown_code, const char *unknown_text)
{
	struct sim_order_ref ref;
	if (!sim_api_order_ref(c, r, "orderId", "origClientOrderId", &ref))
		return NULL;
	return lookup(c, r, s, &ref, unknown_code, unknown_text);
}

void sim_api_order_status(struct sim_api_call *c, struct sim_api_reply *r)
{
	c->ex->weight.queries++;
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	if (!s)
		return;
	struct sim_book_order *o = find_order(c, r, s, -2013, "Order does not exist.");
	if (!o)
		return;
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sim_api_render_query(&b, s, o);
	sim_api_reply_buf(r, &b);
}

static bool is_open(const struct sim_book_order *o)
{
	return o->status == SB_ORDER_NEW || o->status == SB_ORDER_PARTIALLY_FILLED;
}

/*
 * Cancels o (the account's order on s) with its funds released, appending the CANCELED event to res,
 * and renders Binance's cancel response into b with cancel_id as the cancel's clientOrderId (NULL or
 * "": generated). False with -2011 in r when the order is no longer open.
 */
static bool cancel_order(struct sim_api_call *c, struct sim_api_reply *r, struct sim_symbol *s,
                         struct sim_book_order *o, const char *cancel_id, struct sim_book_result *res,
                         struct sb_buf *b)
{
	if (!is_open(o)) {
		sim_api_error(r, 400, -2011, "Unknown order sent.");
		return false;
	}
	char gen[48];
	if (!cancel_id || !*cancel_id) {
		snprintf(gen, sizeof gen, "cancel-%llu", (unsigned long long)o->id);
		cancel_id = gen;
	}
	uint64_t id = o->id;
	if (sim_ledger_cancel(c->ex->ledger, s->book, id, c->now_ms, res) != SB_OK) {
		sim_api_error(r, 400, -2011, "Unknown order sent.");
		return false;
	}
	o = sim_book_find(s->book, id);
	if (o)
		sim_api_render_canceled(b, s, o, cancel_id);
	return true;
}

void sim_api_order_cancel(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	if (!s)
		return;
	struct sim_book_order *o = find_order(c, r, s, -2011, "Unknown order sent.");
	if (!o)
		return;
	char cancel_id[64];
	const char *v = sim_api_param(c, "newClientOrderId", cancel_id, sizeof cancel_id);
	struct sim_book_result *res = &c->ex->scratch;
	sim_book_result_clear(res);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	if (!cancel_order(c, r, s, o, v, res, &b)) {
		sb_buf_fini(&b);
		return;
	}
	sim_exchange_settled(c->ex, s, res);
	r->weight = 0;
	sim_api_reply_buf(r, &b);
}

/* ---- cancel-replace ------------------------------------------------------------------------------ */

enum replace_mode { REPLACE_STOP_ON_FAILURE, REPLACE_ALLOW_FAILURE };
enum limit_mode { LIMIT_DO_NOTHING, LIMIT_CANCEL_ONLY };

/* A cancel-replace request's parameters, checked. */
struct cancel_replace {
	struct sim_symbol *sym;                /* the symbol */
	int mode;                              /* cancelReplaceMode (enum replace_mode) */
	int limit_mode;                        /* orderRateLimitExceededMode (enum limit_mode) */
	struct sim_order_ref ref;              /* the order to cancel */
	char cancel_id[SIM_CLIENT_ID_MAX + 1]; /* cancelNewClientOrderId, "" when absent */
	struct sim_new_order order;            /* the new order */
};

/* What each half of a cancel-replace did. */
struct halves {
	bool cancel_ok;            /* the old order was canceled */
	bool attempted;            /* the new order was tried */
	bool new_ok;               /* the new order was placed */
	struct sim_api_reply cr;   /* the cancel's error */
	struct sim_api_reply nr;   /* the new order's error */
	struct sb_buf cancel_json; /* the cancel's response */
	struct sb_buf new_json;    /* the new order's response */
};

static bool parse_cancel_replace(struct sim_api_call *c, struct sim_api_reply *r, struct cancel_replace *x)
{
	static const char *const modes[] = {"STOP_ON_FAILURE", "ALLOW_FAILURE"};
	static const char *const limit_modes[] = {"DO_NOTHING", "CANCEL_ONLY"};
	memset(x, 0, sizeof *x);
	x->sym = sim_api_need_symbol(c, r);
	if (!x->sym ||
	    !sim_api_one_of(
	        c, r, "cancelReplaceMode", modes, 2, -1100,
	        "Illegal characters found in parameter 'cancelReplaceMode'; legal range is 'STOP_ON_FAILURE, ALLOW_FAILURE'.",
	        &x->mode))
		return false;
	char buf[32];
	const char *v = sim_api_param(c, "orderRateLimitExceededMode", buf, sizeof buf);
	if (v && *v &&
	    !sim_api_one_of(
	        c, r, "orderRateLimitExceededMode", limit_modes, 2, -1100,
	        "Illegal characters found in parameter 'orderRateLimitExceededMode'; legal range is 'DO_NOTHING, CANCEL_ONLY'.",
	        &x->limit_mode))
		return false;
	return sim_api_order_ref(c, r, "cancelOrderId", "cancelOrigClientOrderId", &x->ref) &&
	       sim_api_client_id_param(c, r, "cancelNewClientOrderId", x->cancel_id) &&
	       sim_api_parse_order(c, r, &x->order);
}

/*
 * Runs both halves into one book result: the cancel, then (when it succeeded or the mode allows the
 * failure) the new order, refused with *limit when the order-rate limit is reached (NULL: it is not).
 */
static void run_halves(struct sim_api_call *c, const struct cancel_replace *x,
                       const struct sim_api_reply *limit, struct halves *h)
{
	struct sim_symbol *s = x->sym;
	struct sim_book_result *res = &c->ex->scratch;
	sim_book_result_clear(res);
	struct sim_book_order *old = lookup(c, &h->cr, s, &x->ref, -2011, "Unknown order sent.");
	h->cancel_ok = old && cancel_order(c, &h->cr, s, old, x->cancel_id, res, &h->cancel_json);
	h->attempted = h->cancel_ok || x->mode == REPLACE_ALLOW_FAILURE;
	if (h->attempted && limit) {
		h->nr = *limit;
	} else if (h->attempted) {
		struct sim_new_order o = x->order;
		o.spec.open_orders = (int64_t)sim_book_open_count(s->book, c->account->id);
		h->new_ok = check_filters(&h->nr, &o) && execute_order(c, &h->nr, &o, res);
		const struct sim_book_order *placed =
		    h->new_ok ? sim_book_find(s->book, res->order_id) : NULL;
		if (placed)
			sim_api_render_placed(&h->new_json, s, placed, o.resp_type, res);
	}
	sim_exchange_settled(c->ex, s, res);
}

/* {"cancelResult":...,"newOrderResult":...,"cancelResponse":...,"newOrderResponse":...} */
static void render_halves(struct sb_buf *b, const struct halves *h)
{
	sb_buf_printf(b, "{\"cancelResult\":\"%s\",\"newOrderResult\":\"%s\",\"cancelResponse\":",
	              h->cancel_ok ? "SUCCESS" : "FAILURE",
	              h->new_ok      ? "SUCCESS"
	              : h->attempted ? "FAILURE"
	                             : "NOT_ATTEMPTED");
	if (h->cancel_ok)
		sb_buf_put(b, h->cancel_json.p, h->cancel_json.len);
	else
		sim_api_render_error(b, &h->cr);
	sb_buf_puts(b, ",\"newOrderResponse\":");
	if (h->new_ok)
		sb_buf_put(b, h->new_json.p, h->new_json.len);
	else if (h->attempted)
		sim_api_render_error(b, &h->nr);
	else
		sb_buf_puts(b, "null");
	sb_buf_puts(b, "}");
}

/* Both halves succeeded: 200; one failed: 409 -2021; both: 400 -2022, with what each did as "data". */
static void reply_halves(struct sim_api_call *c, struct sim_api_reply *r, const struct halves *h)
{
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	render_halves(&b, h);
	if (c->ex->faults.order_5xx_after) {
		sb_buf_fini(&b);
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	if (h->cancel_ok && h->new_ok) {
		sim_api_reply_buf(r, &b);
		return;
	}
	if (h->cancel_ok || h->new_ok)
		sim_api_error(r, 409, -2021, "Order cancel-replace partially failed.");
	else
		sim_api_error(r, 400, -2022, "Order cancel-replace failed.");
	r->data = sb_buf_take(&b);
}

/*
 * POST /api/v3/order/cancelReplace, order.cancelReplace (binance-spot-api.md §4, §9). Parameter errors
 * of either half are plain errors and nothing happens. Then the old order is canceled; in
 * STOP_ON_FAILURE mode a failed cancel leaves the new order NOT_ATTEMPTED, in ALLOW_FAILURE mode the new
 * order is tried anyway. The new order goes through the same filters and engine as order.place, after
 * the cancel, so it may use the funds and the open-order slot the old order held. Both halves land in
 * one book result: the user streams get CANCELED, then NEW (and TRADE...), then one account position.
 * Both succeeded: 200 with both responses. One failed: 409 -2021; both failed (or the cancel failed
 * and the new order was not attempted): 400 -2022; either with a "data" object saying what each half
 * did. The request is weight 1 and counts as one order whatever the outcome, unless the order-rate
 * limit is already reached: then orderRateLimitExceededMode DO_NOTHING (default) answers 429 -1015 and
 * does nothing, CANCEL_ONLY cancels and fails the new order with -1015.
 */
void sim_api_order_cancel_replace(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct cancel_replace x;
	if (!parse_cancel_replace(c, r, &x))
		return;
	struct sim_api_reply limit = {0}; /* the order-rate refusal, when the limit is reached */
	bool over = !check_rate(c, &limit);
	if (over && x.limit_mode == LIMIT_DO_NOTHING) {
		r->retry_after = limit.retry_after;
		sim_api_error(r, limit.status, limit.code, "%s", limit.msg);
		return;
	}
	if (c->ex->faults.order_5xx_before) {
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	if (!over)
		count_order(c, r); /* NOT_ATTEMPTED and failed new orders count too */
	struct halves h = {0};
	sb_buf_init(&h.cancel_json, SB_JSON_MAX);
	sb_buf_init(&h.new_json, SB_JSON_MAX);
	run_halves(c, &x, over ? &limit : NULL, &h);
	reply_halves(c, r, &h);
	sb_buf_fini(&h.cancel_json);
	sb_buf_fini(&h.new_json);
}

void sim_api_open_orders(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[64];
	const char *name = sim_api_param(c, "symbol", buf, sizeof buf);
	struct sim_symbol *only = NULL;
	if (name && *name) {
		only = sim_exchange_symbol(c->ex, name, strlen(name));
		if (!only) {
			sim_api_error(r, 400, -1121, "Invalid symbol.");
			return;
		}
	} else {
		r->weight = 80;
	}
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	const struct sim_book_order *list[ORDER_LIST_MAX];
	for (size_t i = 0; i < c->ex->nsymbols; i++) {
		struct sim_symbol *s = &c->ex->symbols[i];
		if (only && s != only)
			continue;
		size_t n = sim_book_open_orders(s->book, c->account->id, list, ORDER_LIST_MAX);
		for (size_t j = 0; j < n && j < ORDER_LIST_MAX; j++) {
			sim_api_render_query(&b, s, list[j]);
			sb_buf_printf(&b, ",");
		}
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	sim_api_reply_buf(r, &b);
}

void sim_api_cancel_open_orders(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	if (!s)
		return;
	const struct sim_book_order *list[ORDER_LIST_MAX];
	size_t n = sim_book_open_orders(s->book, c->account->id, list, ORDER_LIST_MAX);
	if (n == 0) {
		sim_api_error(r, 400, -2011, "Unknown order sent.");
		return;
	}
	uint64_t ids[ORDER_LIST_MAX];
	size_t nids = n < ORDER_LIST_MAX ? n : ORDER_LIST_MAX;
	for (size_t i = 0; i < nids; i++)
		ids[i] = list[i]->id;
	struct sim_book_result *res = &c->ex->scratch;
	sim_book_result_clear(res);
	sim_ledger_cancel_all(c->ex->ledger, s->book, c->account->id, c->now_ms, res);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t i = 0; i < nids; i++) {
		const struct sim_book_order *o = sim_book_find(s->book, ids[i]);
		if (!o)
			continue;
		char cid[48];
		snprintf(cid, sizeof cid, "cancel-%llu", (unsigned long long)o->id);
		sim_api_render_canceled(&b, s, o, cid);
		sb_buf_printf(&b, ",");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	sim_exchange_settled(c->ex, s, res);
	sim_api_reply_buf(r, &b);
}

/* Which orders allOrders lists. */
struct order_window {
	bool has_from, has_start, has_end; /* orderId, startTime, endTime were sent */
	int64_t from, start, end;          /* their values */
	int64_t limit;                     /* at most this many */
};

static bool in_window(const struct sim_book_order *o, uint32_t account, const struct order_window *w)
{
	return o && o->account == account && (!w->has_start || o->time >= w->start) &&
	       (!w->has_end || o->time <= w->end);
}

/* The account's orders on s in w, oldest first: upward from orderId, else the latest `limit`. */
static size_t window_orders(const struct sim_symbol *s, uint32_t account, const struct order_window *w,
                            const struct sim_book_order **found)
{
	uint64_t last = sim_book_last_order_id(s->book);
	size_t n = 0;
	if (w->has_from) {
		for (uint64_t id = w->from > 0 ? (uint64_t)w->from : 1; id <= last && n < (size_t)w->limit;
		     id++) {
			const struct sim_book_order *o = sim_book_find(s->book, id);
			if (in_window(o, account, w))
				found[n++] = o;
		}
		return n;
	}
	for (uint64_t id = last; id >= 1 && n < (size_t)w->limit; id--) {
		const struct sim_book_order *o = sim_book_find(s->book, id);
		if (in_window(o, account, w))
			found[n++] = o;
	}
	for (size_t i = 0; i < n / 2; i++) { /* oldest first, as Binance lists them */
		const struct sim_book_order *t = found[i];
		found[i] = found[n - 1 - i];
		found[n - 1 - i] = t;
	}
	return n;
}

void sim_api_all_orders(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	struct order_window w;
	if (!s || !sim_api_int_param(c, r, "orderId", &w.has_from, &w.from) ||
	    !sim_api_int_param(c, r, "startTime", &w.has_start, &w.start) ||
	    !sim_api_int_param(c, r, "endTime", &w.has_end, &w.end) ||
	    !sim_api_limit_param(c, r, 500, ORDER_LIST_MAX, &w.limit))
		return;
	const struct sim_book_order *found[ORDER_LIST_MAX];
	size_t n = window_orders(s, c->account->id, &w, found);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t i = 0; i < n; i++) {
		sim_api_render_query(&b, s, found[i]);
		sb_buf_printf(&b, ",");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	sim_api_reply_buf(r, &b);
}

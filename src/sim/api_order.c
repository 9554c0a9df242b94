/*
 * api_order.c - spotsim's order and account methods: place, test, query, cancel, cancel-replace, open
 * orders, order and trade history, balances and commission rates, with Binance's parameter rules, error
 * codes and response shapes (binance-spot-api.md §4, §6). Every method that places or cancels goes
 * through the same parsing, filter, engine and rendering functions, so cancel-replace's halves behave
 * exactly as order.cancel and order.place do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/api_int.h"
#include "spotbot/alloc.h"
#include "spotbot/query.h"

#define ORDER_LIST_MAX 1000 /* largest page of openOrders / allOrders / myTrades */

/* ---- parameters ---------------------------------------------------------------------------------- */

static const char *need(struct sim_api_call *c, struct sim_api_reply *r, const char *name, char *buf,
                        size_t cap)
{
	const char *v = sim_api_param(c, name, buf, cap);
	if (!v || !*v) {
		sim_api_error(r, 400, -1102,
		              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
		return NULL;
	}
	return v;
}

static struct sim_symbol *need_symbol(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[64];
	const char *v = need(c, r, "symbol", buf, sizeof buf);
	if (!v)
		return NULL;
	struct sim_symbol *s = sim_exchange_symbol(c->ex, v, strlen(v));
	if (!s)
		sim_api_error(r, 400, -1121, "Invalid symbol.");
	return s;
}

/* A decimal parameter: absent → *present false; malformed → -1100; too many places → -1111. */
static bool dec_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                      sb_dec *out)
{
	char buf[64];
	const char *v = sim_api_param(c, name, buf, sizeof buf);
	*present = v && *v;
	*out = 0;
	if (!*present)
		return true;
	sb_err e = sb_dec_parse_nonneg(v, strlen(v), out);
	if (e == SB_ERR_PRECISION) {
		sim_api_error(r, 400, -1111, "Parameter '%s' has too much precision.", name);
		return false;
	}
	if (e) {
		sim_api_error(
		    r, 400, -1100,
		    "Illegal characters found in parameter '%s'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
		    name);
		return false;
	}
	return true;
}

/* An integer parameter (ids, times, limits). */
static bool int_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                      int64_t *out)
{
	char buf[32];
	const char *v = sim_api_param(c, name, buf, sizeof buf);
	*present = v && *v;
	*out = 0;
	if (!*present)
		return true;
	int64_t n = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10) {
			sim_api_error(
			    r, 400, -1100,
			    "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.",
			    name);
			return false;
		}
		n = n * 10 + (*p - '0');
	}
	*out = n;
	return true;
}

static bool limit_param(struct sim_api_call *c, struct sim_api_reply *r, int64_t def, int64_t max,
                        int64_t *out)
{
	bool present;
	if (!int_param(c, r, "limit", &present, out))
		return false;
	if (!present)
		*out = def;
	if (*out < 1 || *out > max) {
		sim_api_error(r, 400, -1100,
		              "Illegal characters found in parameter 'limit'; legal range is '1-%lld'.",
		              (long long)max);
		return false;
	}
	return true;
}

static bool valid_client_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > SIM_CLIENT_ID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == ':' || *s == '/' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* ---- rendering ----------------------------------------------------------------------------------- */

static const char *tif_name(const struct sim_book_order *o)
{
	return sb_tif_name(o->tif);
}

/* The fields every order shape shares, up to and including "side". */
static void order_core(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o)
{
	sb_buf_printf(b, "\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b,
	              ",\"orderId\":%llu,\"orderListId\":-1,\"clientOrderId\":", (unsigned long long)o->id);
	sb_json_str(b, o->client_id);
}

static void order_amounts(struct sb_buf *b, const struct sim_book_order *o)
{
	sb_buf_printf(b, ",\"price\":");
	sb_json_dec(b, o->price);
	sb_buf_printf(b, ",\"origQty\":");
	sb_json_dec(b, o->orig_qty);
	sb_buf_printf(b, ",\"executedQty\":");
	sb_json_dec(b, o->executed_qty);
}

/* The STP fields of an order that self-trade prevention took quantity from. */
static void order_prevented(struct sb_buf *b, const struct sim_book_order *o)
{
	if (o->prevented_qty <= 0)
		return;
	sb_buf_printf(b,
	              ",\"preventedMatchId\":%lld,\"preventedQuantity\":", (long long)o->prevented_match_id);
	sb_json_dec(b, o->prevented_qty);
}

/* GET /api/v3/order and the lists. */
static void render_query(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o)
{
	sb_buf_printf(b, "{");
	order_core(b, s, o);
	order_amounts(b, o);
	sb_buf_printf(b, ",\"cummulativeQuoteQty\":");
	sb_json_dec(b, o->cum_quote_qty);
	sb_buf_printf(b, ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\"",
	              sb_order_state_name(o->status), tif_name(o), sb_order_type_name(o->type),
	              sb_side_name(o->side));
	sb_buf_printf(b,
	              ",\"stopPrice\":\"0.00000000\",\"icebergQty\":\"0.00000000\",\"time\":%lld,"
	              "\"updateTime\":%lld,\"isWorking\":true,\"workingTime\":%lld,\"origQuoteOrderQty\":",
	              (long long)o->time, (long long)o->update_time, (long long)o->working_time);
	sb_json_dec(b, o->orig_quote_qty);
	sb_buf_printf(b, ",\"selfTradePreventionMode\":\"%s\"", sim_stp_name(o->stp));
	order_prevented(b, o);
	sb_buf_printf(b, "}");
}

/* takerPreventedQuantity and makerPreventedQuantity of a prevented match, each when non-zero. */
static void prevented_quantities(struct sb_buf *b, const struct sim_book_prevented *pm)
{
	if (pm->taker_qty > 0) {
		sb_buf_printf(b, ",\"takerPreventedQuantity\":");
		sb_json_dec(b, pm->taker_qty);
	}
	if (pm->maker_qty > 0) {
		sb_buf_printf(b, ",\"makerPreventedQuantity\":");
		sb_json_dec(b, pm->maker_qty);
	}
}

/* The FULL response's preventedMatches: the prevented matches of the taker o in res. */
static void render_prevented_matches(struct sb_buf *b, const struct sim_book_order *o,
                                     const struct sim_book_result *res)
{
	sb_buf_printf(b, ",\"preventedMatches\":[");
	for (size_t i = 0; i < res->n_prevented; i++) {
		const struct sim_book_prevented *pm = &res->prevented[i];
		if (pm->taker_order_id != o->id)
			continue;
		sb_buf_printf(b, "{\"preventedMatchId\":%lld,\"makerOrderId\":%llu,\"price\":",
		              (long long)pm->id, (unsigned long long)pm->maker_order_id);
		sb_json_dec(b, pm->price);
		prevented_quantities(b, pm);
		sb_buf_printf(b, "},");
	}
	sb_buf_trim(b, ',');
	sb_buf_printf(b, "]");
}

/* POST /api/v3/order in ACK, RESULT or FULL form; fills are the order's fills in res. */
static void render_placed(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o,
                          const char *resp_type, const struct sim_book_result *res)
{
	sb_buf_printf(b, "{");
	order_core(b, s, o);
	sb_buf_printf(b, ",\"transactTime\":%lld", (long long)o->time);
	if (strcmp(resp_type, "ACK") == 0) {
		sb_buf_printf(b, "}");
		return;
	}
	order_amounts(b, o);
	sb_buf_printf(b, ",\"origQuoteOrderQty\":");
	sb_json_dec(b, o->orig_quote_qty);
	sb_buf_printf(b, ",\"cummulativeQuoteQty\":");
	sb_json_dec(b, o->cum_quote_qty);
	sb_buf_printf(b,
	              ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\","
	              "\"workingTime\":%lld,\"selfTradePreventionMode\":\"%s\"",
	              sb_order_state_name(o->status), tif_name(o), sb_order_type_name(o->type),
	              sb_side_name(o->side), (long long)o->working_time, sim_stp_name(o->stp));
	order_prevented(b, o);
	if (o->expiry != SIM_EXPIRY_NONE)
		sb_buf_printf(b, ",\"expiryReason\":\"%s\"", sim_book_expiry_name(o->expiry));
	if (strcmp(resp_type, "FULL") == 0) {
		sb_buf_printf(b, ",\"fills\":[");
		for (size_t i = 0; i < res->n_fills; i++) {
			const struct sim_book_fill *f = &res->fills[i];
			bool buyer = f->buyer_order_id == o->id;
			if (!buyer && f->seller_order_id != o->id)
				continue;
			sb_buf_printf(b, "{\"price\":");
			sb_json_dec(b, f->price);
			sb_buf_printf(b, ",\"qty\":");
			sb_json_dec(b, f->qty);
			sb_buf_printf(b, ",\"commission\":");
			sb_json_dec(b, buyer ? f->buyer_commission : f->seller_commission);
			sb_buf_printf(b, ",\"commissionAsset\":");
			sb_json_str(b, buyer ? f->buyer_commission_asset : f->seller_commission_asset);
			sb_buf_printf(b, ",\"tradeId\":%lld},", (long long)f->trade_id);
		}
		sb_buf_trim(b, ',');
		sb_buf_printf(b, "]");
		if (res->n_prevented > 0)
			render_prevented_matches(b, o, res);
	}
	sb_buf_printf(b, "}");
}

/* DELETE /api/v3/order. */
static void render_canceled(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o,
                            const char *cancel_id)
{
	sb_buf_printf(b, "{\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b, ",\"origClientOrderId\":");
	sb_json_str(b, o->client_id);
	sb_buf_printf(b,
	              ",\"orderId\":%llu,\"orderListId\":-1,\"clientOrderId\":", (unsigned long long)o->id);
	sb_json_str(b, cancel_id);
	sb_buf_printf(b, ",\"transactTime\":%lld", (long long)o->update_time);
	order_amounts(b, o);
	sb_buf_printf(b, ",\"origQuoteOrderQty\":");
	sb_json_dec(b, o->orig_quote_qty);
	sb_buf_printf(b, ",\"cummulativeQuoteQty\":");
	sb_json_dec(b, o->cum_quote_qty);
	sb_buf_printf(b,
	              ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\","
	              "\"selfTradePreventionMode\":\"%s\"",
	              sb_order_state_name(o->status), tif_name(o), sb_order_type_name(o->type),
	              sb_side_name(o->side), sim_stp_name(o->stp));
	order_prevented(b, o);
	sb_buf_printf(b, "}");
}

static void reply_json(struct sim_api_reply *r, struct sb_buf *b)
{
	if (b->overflow) {
		sb_buf_fini(b);
		sim_api_error(r, 400, -1000, "Response too large.");
		return;
	}
	r->status = 200;
	r->json = sb_buf_take(b);
}

/* ---- placing ------------------------------------------------------------------------------------- */

struct new_order {
	struct sim_symbol *sym;                /* the symbol */
	struct sim_book_req req;               /* what goes to the book */
	char client_id[SIM_CLIENT_ID_MAX + 1]; /* newClientOrderId, "" when absent */
	char resp_type[8];                     /* ACK, RESULT or FULL */
	struct sb_order_spec spec;             /* what the filters check */
};

static bool parse_enum(struct sim_api_call *c, struct sim_api_reply *r, const char *name,
                       const char *const *names, size_t n, int code, const char *bad_msg, int *out)
{
	char buf[32];
	const char *v = need(c, r, name, buf, sizeof buf);
	if (!v)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) {
			*out = (int)i;
			return true;
		}
	sim_api_error(r, 400, code, "%s", bad_msg);
	return false;
}

static bool not_required(struct sim_api_call *c, struct sim_api_reply *r, const char *name)
{
	char buf[64];
	const char *v = sim_api_param(c, name, buf, sizeof buf);
	if (v && *v) {
		sim_api_error(r, 400, -1106, "Parameter '%s' sent when not required.", name);
		return false;
	}
	return true;
}

/* selfTradePreventionMode: the symbol's default when absent; -1100 for an unknown mode, -1013 for one the
 * symbol does not allow. */
static bool parse_stp(struct sim_api_call *c, struct sim_api_reply *r, const struct sim_symbol *s,
                      enum sim_stp_mode *out)
{
	char buf[SB_QUERY_MAX_LEN + 1]; /* any value that was sent is read, so a long one is refused too */
	const char *v = sim_api_param(c, "selfTradePreventionMode", buf, sizeof buf);
	*out = s->stp.def;
	if (!v || !*v)
		return true;
	if (sim_stp_parse(v, strlen(v), out) != SB_OK) {
		sim_api_error(
		    r, 400, -1100,
		    "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is "
		    "'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH, DECREMENT, TRANSFER'.");
		return false;
	}
	if (!sim_stp_allowed(&s->stp, *out)) {
		sim_api_error(r, 400, -1013,
		              "This symbol does not allow the specified self-trade prevention mode.");
		return false;
	}
	return true;
}

/* Reads and checks an order's parameters, as Binance does before the matching engine. */
static bool parse_order(struct sim_api_call *c, struct sim_api_reply *r, struct new_order *o)
{
	static const char *const sides[] = {"BUY", "SELL"};
	static const char *const types[] = {"LIMIT", "MARKET", "LIMIT_MAKER"};
	static const char *const tifs[] = {"GTC", "IOC", "FOK"};
	memset(o, 0, sizeof *o);
	o->sym = need_symbol(c, r);
	if (!o->sym)
		return false;
	int side, type, tif = 0;
	if (!parse_enum(c, r, "side", sides, 2, -1117, "Invalid side.", &side))
		return false;
	char tbuf[32];
	const char *tv = sim_api_param(c, "type", tbuf, sizeof tbuf);
	enum sb_order_type any;
	if (tv && *tv && sb_order_type_parse(tv, strlen(tv), &any) == SB_OK && any != SB_ORDER_LIMIT &&
	    any != SB_ORDER_MARKET && any != SB_ORDER_LIMIT_MAKER) {
		sim_api_error(r, 400, -1116, "Invalid orderType.");
		return false; /* stop and take-profit orders are not simulated */
	}
	if (!parse_enum(c, r, "type", types, 3, -1116, "Invalid orderType.", &type))
		return false;
	bool has_qty, has_quote, has_price;
	sb_dec qty, quote, price;
	if (!dec_param(c, r, "quantity", &has_qty, &qty) ||
	    !dec_param(c, r, "quoteOrderQty", &has_quote, &quote) ||
	    !dec_param(c, r, "price", &has_price, &price))
		return false;
	if (type == 1) { /* MARKET */
		if (!not_required(c, r, "timeInForce") || !not_required(c, r, "price"))
			return false;
		if (has_qty == has_quote) {
			sim_api_error(
			    r, 400, -1102,
			    has_qty
			        ? "Parameter 'quantity' or 'quoteOrderQty' must be sent, but not both."
			        : "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
			return false;
		}
	} else {
		if (type == 0 &&
		    !parse_enum(c, r, "timeInForce", tifs, 3, -1115, "Invalid timeInForce.", &tif))
			return false;
		if (type == 2 && !not_required(c, r, "timeInForce"))
			return false;
		if (!has_qty || !has_price) {
			sim_api_error(r, 400, -1102,
			              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
			              has_qty ? "price" : "quantity");
			return false;
		}
		if (!not_required(c, r, "quoteOrderQty"))
			return false;
	}
	if ((has_qty && qty == 0) || (has_price && price == 0) || (has_quote && quote == 0)) {
		sim_api_error(r, 400, -1013, "Invalid quantity.");
		return false;
	}
	char cid[64];
	const char *v = sim_api_param(c, "newClientOrderId", cid, sizeof cid);
	if (v && *v) {
		if (!valid_client_id(v)) {
			sim_api_error(
			    r, 400, -1100,
			    "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
			return false;
		}
		snprintf(o->client_id, sizeof o->client_id, "%s", v);
	}
	char rt[16];
	v = sim_api_param(c, "newOrderRespType", rt, sizeof rt);
	if (v && *v) {
		if (strcmp(v, "ACK") != 0 && strcmp(v, "RESULT") != 0 && strcmp(v, "FULL") != 0) {
			sim_api_error(r, 400, -1100,
			              "Illegal characters found in parameter 'newOrderRespType'.");
			return false;
		}
		snprintf(o->resp_type, sizeof o->resp_type, "%s", v);
	} else {
		snprintf(o->resp_type, sizeof o->resp_type, "%s", type == 2 ? "ACK" : "FULL");
	}
	enum sim_stp_mode stp;
	if (!parse_stp(c, r, o->sym, &stp))
		return false;
	o->req = (struct sim_book_req){
	    .account = c->account->id,
	    .side = side == 0 ? SB_SIDE_BUY : SB_SIDE_SELL,
	    .type = type == 0   ? SB_ORDER_LIMIT
	            : type == 1 ? SB_ORDER_MARKET
	                        : SB_ORDER_LIMIT_MAKER,
	    .tif = tif == 0   ? SB_TIF_GTC
	           : tif == 1 ? SB_TIF_IOC
	                      : SB_TIF_FOK,
	    .price = type == 1 ? 0 : price,
	    .qty = qty,
	    .quote_qty = quote,
	    .step = o->sym->rules.lot.step_size,
	    .client_id = o->client_id[0] ? o->client_id : NULL,
	    .client_id_len = strlen(o->client_id),
	    .time = c->now_ms,
	    .stp = stp,
	};
	o->spec = (struct sb_order_spec){
	    .side = side == 0 ? SB_SIDE_BUY : SB_SIDE_SELL,
	    .type = type == 0   ? SB_ORDER_LIMIT
	            : type == 1 ? SB_ORDER_MARKET
	                        : SB_ORDER_LIMIT_MAKER,
	    .price = type == 1 ? 0 : price,
	    .quantity = qty,
	    .quote_order_qty = quote,
	    .ref_price = o->sym->ref_price,
	    .open_orders = (int64_t)sim_book_open_count(o->sym->book, c->account->id),
	};
	return true;
}

/* Symbol status and filters: what Binance checks of the order itself before the engine. */
static bool check_filters(struct sim_api_reply *r, const struct new_order *o)
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
static bool check_order(struct sim_api_call *c, struct sim_api_reply *r, const struct new_order *o)
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
static bool execute_order(struct sim_api_call *c, struct sim_api_reply *r, const struct new_order *o,
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
	struct new_order o;
	if (!parse_order(c, r, &o) || !check_order(c, r, &o))
		return;
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
		render_placed(&b, o.sym, placed, o.resp_type, res);
	sim_exchange_settled(ex, o.sym, res);
	if (ex->faults.order_5xx_after) {
		sb_buf_fini(&b);
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	reply_json(r, &b);
}

void sim_api_order_test(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct new_order o;
	if (!parse_order(c, r, &o) || !check_order(c, r, &o))
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
	reply_json(r, &b);
}

/* ---- finding and canceling orders ---------------------------------------------------------------- */

/* An order as a request names it: by id, by client order id, or both. */
struct order_ref {
	bool has_id;   /* an id was sent */
	int64_t id;    /* orderId (cancelOrderId) */
	char orig[64]; /* origClientOrderId (cancelOrigClientOrderId), "" when absent */
};

/* Reads an order reference from the parameters id_name and orig_name; -1102 when both are missing. */
static bool parse_ref(struct sim_api_call *c, struct sim_api_reply *r, const char *id_name,
                      const char *orig_name, struct order_ref *ref)
{
	memset(ref, 0, sizeof *ref);
	if (!int_param(c, r, id_name, &ref->has_id, &ref->id))
		return false;
	if (!sim_api_param(c, orig_name, ref->orig, sizeof ref->orig))
		ref->orig[0] = '\0';
	if (!ref->has_id && !ref->orig[0]) {
		sim_api_error(r, 400, -1102, "Param '%s' or '%s' must be sent, but both were empty/null!",
		              orig_name, id_name);
		return false;
	}
	return true;
}

/* The account's order on s that ref names; errors with -2039 (id and client id disagree) or
 * unknown_code (-2013 query, -2011 cancel). */
static struct sim_book_order *lookup(struct sim_api_call *c, struct sim_api_reply *r, struct sim_symbol *s,
                                     const struct order_ref *ref, int unknown_code, const char *unknown_text)
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
	struct order_ref ref;
	if (!parse_ref(c, r, "orderId", "origClientOrderId", &ref))
		return NULL;
	return lookup(c, r, s, &ref, unknown_code, unknown_text);
}

void sim_api_order_status(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
	if (!s)
		return;
	struct sim_book_order *o = find_order(c, r, s, -2013, "Order does not exist.");
	if (!o)
		return;
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	render_query(&b, s, o);
	reply_json(r, &b);
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
		render_canceled(b, s, o, cancel_id);
	return true;
}

void sim_api_order_cancel(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
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
	reply_json(r, &b);
}

/* ---- cancel-replace ------------------------------------------------------------------------------ */

/* {"code":...,"msg":...}: one half's error inside a cancel-replace failure. */
static void render_error(struct sb_buf *b, const struct sim_api_reply *e)
{
	sb_buf_printf(b, "{\"code\":%d,\"msg\":", e->code);
	sb_json_str(b, e->msg);
	sb_buf_puts(b, "}");
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
	static const char *const modes[] = {"STOP_ON_FAILURE", "ALLOW_FAILURE"};
	static const char *const limit_modes[] = {"DO_NOTHING", "CANCEL_ONLY"};
	struct sim_symbol *s = need_symbol(c, r);
	if (!s)
		return;
	int mode, limit_mode = 0;
	if (!parse_enum(
	        c, r, "cancelReplaceMode", modes, 2, -1100,
	        "Illegal characters found in parameter 'cancelReplaceMode'; legal range is 'STOP_ON_FAILURE, ALLOW_FAILURE'.",
	        &mode))
		return;
	char buf[32];
	const char *v = sim_api_param(c, "orderRateLimitExceededMode", buf, sizeof buf);
	if (v && *v &&
	    !parse_enum(
	        c, r, "orderRateLimitExceededMode", limit_modes, 2, -1100,
	        "Illegal characters found in parameter 'orderRateLimitExceededMode'; legal range is 'DO_NOTHING, CANCEL_ONLY'.",
	        &limit_mode))
		return;
	struct order_ref ref;
	if (!parse_ref(c, r, "cancelOrderId", "cancelOrigClientOrderId", &ref))
		return;
	char cancel_id[64];
	v = sim_api_param(c, "cancelNewClientOrderId", cancel_id, sizeof cancel_id);
	if (v && *v && !valid_client_id(v)) {
		sim_api_error(
		    r, 400, -1100,
		    "Illegal characters found in parameter 'cancelNewClientOrderId'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.");
		return;
	}
	struct new_order o;
	if (!parse_order(c, r, &o))
		return;
	struct sim_api_reply limit = {0};
	bool over = !check_rate(c, &limit);
	if (over && limit_mode == 0) {
		r->retry_after = limit.retry_after;
		sim_api_error(r, limit.status, limit.code, "%s", limit.msg);
		return;
	}
	struct sim_exchange *ex = c->ex;
	if (ex->faults.order_5xx_before) {
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	if (!over)
		count_order(c, r); /* NOT_ATTEMPTED and failed new orders count too */

	struct sim_book_result *res = &ex->scratch;
	sim_book_result_clear(res);
	struct sim_api_reply cr = {0}, nr = {0}; /* each half's error */
	struct sb_buf cj, nj;                    /* each half's response */
	sb_buf_init(&cj, SB_JSON_MAX);
	sb_buf_init(&nj, SB_JSON_MAX);
	struct sim_book_order *old = lookup(c, &cr, s, &ref, -2011, "Unknown order sent.");
	bool cancel_ok = old && cancel_order(c, &cr, s, old, v, res, &cj);
	bool attempted = cancel_ok || mode == 1, new_ok = false;
	if (attempted && over) {
		nr = limit;
	} else if (attempted) {
		o.spec.open_orders = (int64_t)sim_book_open_count(s->book, c->account->id);
		new_ok = check_filters(&nr, &o) && execute_order(c, &nr, &o, res);
		const struct sim_book_order *placed = new_ok ? sim_book_find(s->book, res->order_id) : NULL;
		if (placed)
			render_placed(&nj, s, placed, o.resp_type, res);
	}
	sim_exchange_settled(ex, s, res);

	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "{\"cancelResult\":\"%s\",\"newOrderResult\":\"%s\",\"cancelResponse\":",
	              cancel_ok ? "SUCCESS" : "FAILURE",
	              new_ok      ? "SUCCESS"
	              : attempted ? "FAILURE"
	                          : "NOT_ATTEMPTED");
	if (cancel_ok)
		sb_buf_put(&b, cj.p, cj.len);
	else
		render_error(&b, &cr);
	sb_buf_puts(&b, ",\"newOrderResponse\":");
	if (new_ok)
		sb_buf_put(&b, nj.p, nj.len);
	else if (attempted)
		render_error(&b, &nr);
	else
		sb_buf_puts(&b, "null");
	sb_buf_puts(&b, "}");
	sb_buf_fini(&cj);
	sb_buf_fini(&nj);
	if (ex->faults.order_5xx_after) {
		sb_buf_fini(&b);
		sim_api_error(r, 503, -1007, unknown_msg);
		return;
	}
	if (cancel_ok && new_ok) {
		reply_json(r, &b);
		return;
	}
	if (cancel_ok || new_ok)
		sim_api_error(r, 409, -2021, "Order cancel-replace partially failed.");
	else
		sim_api_error(r, 400, -2022, "Order cancel-replace failed.");
	r->data = sb_buf_take(&b);
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
			render_query(&b, s, list[j]);
			sb_buf_printf(&b, ",");
		}
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	reply_json(r, &b);
}

void sim_api_cancel_open_orders(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
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
		render_canceled(&b, s, o, cid);
		sb_buf_printf(&b, ",");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	sim_exchange_settled(c->ex, s, res);
	reply_json(r, &b);
}

void sim_api_all_orders(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
	if (!s)
		return;
	bool has_from, has_start, has_end;
	int64_t from, start, end, limit;
	if (!int_param(c, r, "orderId", &has_from, &from) ||
	    !int_param(c, r, "startTime", &has_start, &start) ||
	    !int_param(c, r, "endTime", &has_end, &end) || !limit_param(c, r, 500, 1000, &limit))
		return;
	/* Walk ids: upward from orderId, else downward from the newest to find the latest `limit`. */
	uint64_t last = sim_book_last_order_id(s->book);
	const struct sim_book_order *found[1000];
	size_t n = 0;
	if (has_from) {
		for (uint64_t id = from > 0 ? (uint64_t)from : 1; id <= last && n < (size_t)limit; id++) {
			const struct sim_book_order *o = sim_book_find(s->book, id);
			if (o && o->account == c->account->id && (!has_start || o->time >= start) &&
			    (!has_end || o->time <= end))
				found[n++] = o;
		}
	} else {
		for (uint64_t id = last; id >= 1 && n < (size_t)limit; id--) {
			const struct sim_book_order *o = sim_book_find(s->book, id);
			if (o && o->account == c->account->id && (!has_start || o->time >= start) &&
			    (!has_end || o->time <= end))
				found[n++] = o;
		}
		/* Oldest first, as Binance lists them. */
		for (size_t i = 0; i < n / 2; i++) {
			const struct sim_book_order *t = found[i];
			found[i] = found[n - 1 - i];
			found[n - 1 - i] = t;
		}
	}
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t i = 0; i < n; i++) {
		render_query(&b, s, found[i]);
		sb_buf_printf(&b, ",");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	reply_json(r, &b);
}

static void render_trade(struct sb_buf *b, const struct sim_symbol *s, const struct sim_trade_rec *t)
{
	sb_buf_printf(b, "{\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b, ",\"id\":%lld,\"orderId\":%llu,\"orderListId\":-1,\"price\":", (long long)t->id,
	              (unsigned long long)t->order_id);
	sb_json_dec(b, t->price);
	sb_buf_printf(b, ",\"qty\":");
	sb_json_dec(b, t->qty);
	sb_buf_printf(b, ",\"quoteQty\":");
	sb_json_dec(b, t->quote_qty);
	sb_buf_printf(b, ",\"commission\":");
	sb_json_dec(b, t->commission);
	sb_buf_printf(b, ",\"commissionAsset\":");
	sb_json_str(b, t->commission_asset[0] ? t->commission_asset : s->rules.quote_asset);
	sb_buf_printf(b, ",\"time\":%lld,\"isBuyer\":%s,\"isMaker\":%s,\"isBestMatch\":true}",
	              (long long)t->time, t->is_buyer ? "true" : "false", t->is_maker ? "true" : "false");
}

void sim_api_my_trades(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
	if (!s)
		return;
	bool has_order, has_start, has_end, has_from;
	int64_t order_id, start, end, from, limit;
	if (!int_param(c, r, "orderId", &has_order, &order_id) ||
	    !int_param(c, r, "startTime", &has_start, &start) ||
	    !int_param(c, r, "endTime", &has_end, &end) || !int_param(c, r, "fromId", &has_from, &from) ||
	    !limit_param(c, r, 500, 1000, &limit))
		return;
	if (has_order)
		r->weight = 5;
	const struct sim_account *a = c->account;
	/* The ring holds trades oldest first from (next - ntrades); keep the matching ones. With fromId the
	 * first `limit` from that id, otherwise the most recent `limit`. */
	size_t first = (a->trades_next + SIM_TRADES_PER_ACCOUNT - a->ntrades) % SIM_TRADES_PER_ACCOUNT;
	const struct sim_trade_rec *match[1000];
	size_t n = 0;
	for (size_t k = 0; k < a->ntrades; k++) {
		const struct sim_trade_rec *t = &a->trades[(first + k) % SIM_TRADES_PER_ACCOUNT];
		if (t->symbol != s->index || (has_order && t->order_id != (uint64_t)order_id) ||
		    (has_start && t->time < start) || (has_end && t->time > end) ||
		    (has_from && t->id < from))
			continue;
		if (n == (size_t)limit) {
			if (has_from)
				break;
			memmove(match, match + 1, (n - 1) * sizeof match[0]);
			n--;
		}
		match[n++] = t;
	}
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t i = 0; i < n; i++) {
		render_trade(&b, s, match[i]);
		sb_buf_printf(&b, ",");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	reply_json(r, &b);
}

static void render_prevented(struct sb_buf *b, const struct sim_symbol *s,
                             const struct sim_book_prevented *pm)
{
	sb_buf_printf(b, "{\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b,
	              ",\"preventedMatchId\":%lld,\"takerOrderId\":%llu,\"makerSymbol\":", (long long)pm->id,
	              (unsigned long long)pm->taker_order_id);
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(
	    b, ",\"makerOrderId\":%llu,\"tradeGroupId\":-1,\"selfTradePreventionMode\":\"%s\",\"price\":",
	    (unsigned long long)pm->maker_order_id, sim_stp_name(pm->mode));
	sb_json_dec(b, pm->price);
	prevented_quantities(b, pm);
	sb_buf_printf(b, ",\"transactTime\":%lld}", (long long)pm->time);
}

/*
 * GET /api/v3/myPreventedMatches (myPreventedMatches): symbol with preventedMatchId (weight 2), or with
 * orderId (weight 20; the matches the order took part in, from fromPreventedMatchId on, at most limit).
 * Any other combination is -1128.
 */
void sim_api_my_prevented_matches(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
	if (!s)
		return;
	bool has_id, has_order, has_from;
	int64_t id, order_id, from, limit;
	if (!int_param(c, r, "preventedMatchId", &has_id, &id) ||
	    !int_param(c, r, "orderId", &has_order, &order_id) ||
	    !int_param(c, r, "fromPreventedMatchId", &has_from, &from) ||
	    !limit_param(c, r, 500, 1000, &limit))
		return;
	if (has_id == has_order || (has_from && !has_order)) {
		sim_api_error(r, 400, -1128, "Combination of optional parameters invalid.");
		return;
	}
	if (has_id)
		r->weight = 2;
	const struct sim_account *a = c->account;
	size_t first =
	    (a->prevented_next + SIM_PREVENTED_PER_ACCOUNT - a->nprevented) % SIM_PREVENTED_PER_ACCOUNT;
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t k = 0, n = 0; k < a->nprevented && n < (size_t)limit; k++) {
		const struct sim_prevented_rec *p = &a->prevented[(first + k) % SIM_PREVENTED_PER_ACCOUNT];
		const struct sim_book_prevented *pm = &p->pm;
		bool of_order =
		    pm->taker_order_id == (uint64_t)order_id || pm->maker_order_id == (uint64_t)order_id;
		if (p->symbol != s->index || (has_id && pm->id != id) || (has_order && !of_order) ||
		    (has_from && pm->id < from))
			continue;
		render_prevented(&b, s, pm);
		sb_buf_printf(&b, ",");
		n++;
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	reply_json(r, &b);
}

/* ---- the account --------------------------------------------------------------------------------- */

void sim_api_account(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[16];
	const char *v = sim_api_param(c, "omitZeroBalances", buf, sizeof buf);
	bool omit = v && strcmp(v, "true") == 0;
	sb_dec maker, taker;
	sim_ledger_rates(c->ex->ledger, c->account->id, &maker, &taker);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	/* The integer commissions are in basis points. */
	sb_buf_printf(&b,
	              "{\"makerCommission\":%lld,\"takerCommission\":%lld,\"buyerCommission\":0,"
	              "\"sellerCommission\":0,\"commissionRates\":{\"maker\":",
	              (long long)(maker / 10000), (long long)(taker / 10000));
	sb_json_dec(&b, maker);
	sb_buf_printf(&b, ",\"taker\":");
	sb_json_dec(&b, taker);
	sb_buf_printf(&b,
	              ",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},\"canTrade\":true,"
	              "\"canWithdraw\":true,\"canDeposit\":true,\"brokered\":false,"
	              "\"requireSelfTradePrevention\":false,\"preventSor\":false,\"updateTime\":%lld,"
	              "\"accountType\":\"SPOT\",\"balances\":[",
	              (long long)c->now_ms);
	const struct sim_ledger_asset *assets;
	size_t n = 0;
	sim_ledger_balances(c->ex->ledger, c->account->id, &assets, &n);
	for (size_t i = 0; i < n; i++) {
		if (omit && assets[i].free == 0 && assets[i].locked == 0)
			continue;
		sb_buf_printf(&b, "{\"asset\":");
		sb_json_str(&b, assets[i].asset);
		sb_buf_printf(&b, ",\"free\":");
		sb_json_dec(&b, assets[i].free);
		sb_buf_printf(&b, ",\"locked\":");
		sb_json_dec(&b, assets[i].locked);
		sb_buf_printf(&b, "},");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "],\"permissions\":[\"SPOT\"],\"uid\":%u}", 354937868u + c->account->id);
	reply_json(r, &b);
}

void sim_api_account_commission(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = need_symbol(c, r);
	if (!s)
		return;
	sb_dec maker, taker;
	sim_ledger_rates(c->ex->ledger, c->account->id, &maker, &taker);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "{\"symbol\":");
	sb_json_str(&b, s->rules.symbol);
	sb_buf_printf(&b, ",\"standardCommission\":{\"maker\":");
	sb_json_dec(&b, maker);
	sb_buf_printf(&b, ",\"taker\":");
	sb_json_dec(&b, taker);
	sb_buf_printf(
	    &b,
	    ",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
	    "\"specialCommission\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
	    "\"taxCommission\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
	    "\"discount\":{\"enabledForAccount\":%s,\"enabledForSymbol\":true,\"discountAsset\":\"BNB\","
	    "\"discount\":\"0.75000000\"}}",
	    sim_ledger_bnb_fees(c->ex->ledger, c->account->id) ? "true" : "false");
	reply_json(r, &b);
}

void sim_api_rate_limit_order(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(
	    &b,
	    "[{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":%u,\"count\":%u},"
	    "{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":%u,\"count\":%u}]",
	    c->ex->order_limit_10s, c->account->orders_10s, c->ex->order_limit_1d, c->account->orders_1d);
	reply_json(r, &b);
}

/*
 * rest_build.c - the pure half of the Binance REST client: one builder per endpoint that turns typed
 * arguments into method, path, encoded parameters and weight; signing of the exact bytes that are sent;
 * the server-time offset; and the request-weight gate. No I/O here, so every decision can be tested with
 * fixed inputs (rest_api.c runs them on the loop).
 */
#include <string.h>

#include "exchange/rest_build.h"
#include "spotbot/query.h"
#include "spotbot/sign.h"

static void call_init(struct sb_bn_rest_call *c, enum sb_http_method m, const char *path, bool is_signed,
                      int64_t weight)
{
	memset(c, 0, sizeof *c);
	c->method = m;
	c->path = path;
	c->is_signed = is_signed;
	c->weight = weight;
}

static bool nonempty(const char *s)
{
	return s && *s;
}

/* The builders below append through one builder and record its length at the end. */
struct params {
	struct sb_query_builder b; /* writes into the call's params */
	sb_err err;                /* first failure; later appends are skipped */
};

static void p_begin(struct params *p, struct sb_bn_rest_call *c)
{
	sb_query_builder_init(&p->b, c->params, sizeof c->params);
	p->err = SB_OK;
}

static void p_str(struct params *p, const char *k, const char *v)
{
	if (!p->err)
		p->err = sb_query_builder_add_str(&p->b, k, v);
}

static void p_i64(struct params *p, const char *k, int64_t v)
{
	if (!p->err)
		p->err = sb_query_builder_add_i64(&p->b, k, v);
}

/* An optional integer: sent only when not SB_BN_REST_NONE (any negative value). */
static void p_opt(struct params *p, const char *k, int64_t v)
{
	if (v >= 0)
		p_i64(p, k, v);
}

static void p_dec(struct params *p, const char *k, sb_dec v)
{
	char buf[48];
	if (sb_dec_format_trim(v, buf, sizeof buf) == 0) {
		if (!p->err)
			p->err = SB_ERR_RANGE;
		return;
	}
	p_str(p, k, buf);
}

static sb_err p_end(struct params *p, struct sb_bn_rest_call *c)
{
	c->params_len = p->err ? 0 : p->b.len;
	if (p->err)
		c->params[0] = '\0';
	return p->err;
}

sb_err sb_bn_rest_build_time(struct sb_bn_rest_call *c)
{
	if (!c)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/time", false, 1);
	return SB_OK;
}

/* symbols=["A","B"] as JSON, which the builder then percent-encodes as Binance asks. */
static sb_err symbols_json(const char *const *symbols, size_t n, char *out, size_t cap)
{
	size_t len = 0;
	out[len++] = '[';
	for (size_t i = 0; i < n; i++) {
		if (!nonempty(symbols[i]) || strpbrk(symbols[i], "\"\\"))
			return SB_ERR_INVALID;
		size_t sl = strlen(symbols[i]);
		if (len + sl + 4 >= cap)
			return SB_ERR_TOO_LONG;
		if (i)
			out[len++] = ',';
		out[len++] = '"';
		memcpy(out + len, symbols[i], sl);
		len += sl;
		out[len++] = '"';
	}
	out[len++] = ']';
	out[len] = '\0';
	return SB_OK;
}

sb_err sb_bn_rest_build_exchange_info(const char *const *symbols, size_t n, struct sb_bn_rest_call *c)
{
	if (!c || (n && !symbols) || n > SB_BN_REST_SYMBOLS_MAX)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/exchangeInfo", false, 20);
	struct params p;
	p_begin(&p, c);
	if (n == 1) {
		if (!nonempty(symbols[0]))
			return SB_ERR_INVALID;
		p_str(&p, "symbol", symbols[0]);
	} else if (n > 1) {
		char json[SB_BN_REST_PARAMS_MAX];
		sb_err e = symbols_json(symbols, n, json, sizeof json);
		if (e)
			return e;
		p_str(&p, "symbols", json);
	}
	return p_end(&p, c);
}

sb_err sb_bn_rest_build_book_ticker(const char *symbol, struct sb_bn_rest_call *c)
{
	if (!c || (symbol && !*symbol))
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/ticker/bookTicker", false, symbol ? 2 : 4);
	struct params p;
	p_begin(&p, c);
	if (symbol)
		p_str(&p, "symbol", symbol);
	return p_end(&p, c);
}

sb_err sb_bn_rest_build_klines(const char *symbol, const char *interval, int64_t start_ms, int64_t end_ms,
                               int64_t limit, struct sb_bn_rest_call *c)
{
	if (!c || !nonempty(symbol) || !nonempty(interval) || limit == 0 || limit > 1000)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/klines", false, 2);
	struct params p;
	p_begin(&p, c);
	p_str(&p, "symbol", symbol);
	p_str(&p, "interval", interval);
	p_opt(&p, "startTime", start_ms);
	p_opt(&p, "endTime", end_ms);
	p_opt(&p, "limit", limit);
	return p_end(&p, c);
}

sb_err sb_bn_rest_build_account(bool omit_zero, struct sb_bn_rest_call *c)
{
	if (!c)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/account", true, 20);
	struct params p;
	p_begin(&p, c);
	if (omit_zero)
		p_str(&p, "omitZeroBalances", "true");
	return p_end(&p, c);
}

sb_err sb_bn_rest_build_commission(const char *symbol, struct sb_bn_rest_call *c)
{
	if (!c || !nonempty(symbol))
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/account/commission", true, 20);
	struct params p;
	p_begin(&p, c);
	p_str(&p, "symbol", symbol);
	return p_end(&p, c);
}

static const char *const resp_names[] = {"FULL", "RESULT", "ACK"};

sb_err sb_bn_rest_order_check(const struct sb_bn_new_order *o)
{
	if (!o || !nonempty(o->symbol) || (unsigned)o->side > SB_SIDE_SELL ||
	    (unsigned)o->resp_type > SB_BN_RESP_DEFAULT || (unsigned)o->tif > SB_TIF_FOK ||
	    (unsigned)o->stp_mode >= SB_STP__COUNT)
		return SB_ERR_INVALID;
	if (o->client_order_id &&
	    (!*o->client_order_id || strlen(o->client_order_id) > SB_BN_REST_CLIENT_ID_LEN))
		return SB_ERR_INVALID;
	if (o->quantity < 0 || o->quote_order_qty < 0 || o->price < 0)
		return SB_ERR_INVALID;
	switch (o->type) {
	case SB_ORDER_LIMIT:
	case SB_ORDER_LIMIT_MAKER:
		return o->quantity > 0 && o->price > 0 && o->quote_order_qty == 0 ? SB_OK : SB_ERR_INVALID;
	case SB_ORDER_MARKET:
		return (o->quantity > 0) != (o->quote_order_qty > 0) && o->price == 0 ? SB_OK
		                                                                      : SB_ERR_INVALID;
	default:
		return (unsigned)o->type < SB_ORDER__COUNT ? SB_ERR_UNSUPPORTED : SB_ERR_INVALID;
	}
}

enum sb_bn_order_shape sb_bn_rest_place_shape(const struct sb_bn_new_order *o)
{
	switch (o->resp_type) {
	case SB_BN_RESP_RESULT:
		return SB_BN_ORDER_RESULT;
	case SB_BN_RESP_ACK:
		return SB_BN_ORDER_ACK;
	case SB_BN_RESP_DEFAULT:
		return o->type == SB_ORDER_LIMIT_MAKER ? SB_BN_ORDER_ACK : SB_BN_ORDER_FULL;
	default:
		return SB_BN_ORDER_FULL;
	}
}

sb_err sb_bn_rest_build_order_place(const struct sb_bn_new_order *o, struct sb_bn_rest_call *c)
{
	if (!c)
		return SB_ERR_INVALID;
	sb_err e = sb_bn_rest_order_check(o);
	if (e)
		return e;
	call_init(c, SB_HTTP_POST, "/api/v3/order", true, 1);
	c->is_order = true;
	struct params p;
	p_begin(&p, c);
	/* Binance's documented order, so its published signature vector comes out of this builder. */
	p_str(&p, "symbol", o->symbol);
	p_str(&p, "side", sb_side_name(o->side));
	p_str(&p, "type", sb_order_type_name(o->type));
	if (o->type == SB_ORDER_LIMIT)
		p_str(&p, "timeInForce", sb_tif_name(o->tif));
	if (o->quantity > 0)
		p_dec(&p, "quantity", o->quantity);
	if (o->quote_order_qty > 0)
		p_dec(&p, "quoteOrderQty", o->quote_order_qty);
	if (o->price > 0)
		p_dec(&p, "price", o->price);
	if (o->client_order_id)
		p_str(&p, "newClientOrderId", o->client_order_id);
	if (o->resp_type != SB_BN_RESP_DEFAULT)
		p_str(&p, "newOrderRespType", resp_names[o->resp_type]);
	if (o->stp_mode != SB_STP_DEFAULT)
		p_str(&p, "selfTradePreventionMode", sb_stp_mode_name(o->stp_mode));
	return p_end(&p, c);
}

/* symbol plus orderId or origClientOrderId, for query and cancel. */
static sb_err order_ref(const char *symbol, int64_t order_id, const char *client_order_id,
                        struct sb_bn_rest_call *c)
{
	if (!nonempty(symbol) || (client_order_id ? !*client_order_id : order_id < 0))
		return SB_ERR_INVALID;
	struct params p;
	p_begin(&p, c);
	p_str(&p, "symbol", symbol);
	if (client_order_id)
		p_str(&p, "origClientOrderId", client_order_id);
	else
		p_i64(&p, "orderId", order_id);
	return p_end(&p, c);
}

sb_err sb_bn_rest_build_order_query(const char *symbol, int64_t order_id, const char *client_order_id,
                                    struct sb_bn_rest_call *c)
{
	if (!c)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/order", true, 4);
	return order_ref(symbol, order_id, client_order_id, c);
}

sb_err sb_bn_rest_build_order_cancel(const char *symbol, int64_t order_id, const char *client_order_id,
                                     struct sb_bn_rest_call *c)
{
	if (!c)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_DELETE, "/api/v3/order", true, 1);
	c->is_order = true;
	return order_ref(symbol, order_id, client_order_id, c);
}

sb_err sb_bn_rest_build_open_orders(const char *symbol, struct sb_bn_rest_call *c)
{
	if (!c || (symbol && !*symbol))
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/openOrders", true, symbol ? 6 : 80);
	struct params p;
	p_begin(&p, c);
	if (symbol)
		p_str(&p, "symbol", symbol);
	return p_end(&p, c);
}

static bool filter_ok(const struct sb_bn_rest_filter *f)
{
	return f && nonempty(f->symbol) && f->limit != 0 && f->limit <= 1000;
}

sb_err sb_bn_rest_build_all_orders(const struct sb_bn_rest_filter *f, struct sb_bn_rest_call *c)
{
	if (!c || !filter_ok(f) || f->from_id >= 0)
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/allOrders", true, 20);
	struct params p;
	p_begin(&p, c);
	p_str(&p, "symbol", f->symbol);
	p_opt(&p, "orderId", f->order_id);
	p_opt(&p, "startTime", f->start_time);
	p_opt(&p, "endTime", f->end_time);
	p_opt(&p, "limit", f->limit);
	return p_end(&p, c);
}

sb_err sb_bn_rest_build_my_trades(const struct sb_bn_rest_filter *f, struct sb_bn_rest_call *c)
{
	if (!c || !filter_ok(f))
		return SB_ERR_INVALID;
	/* Binance refuses fromId together with a time range (-1128). */
	if (f->from_id >= 0 && (f->start_time >= 0 || f->end_time >= 0))
		return SB_ERR_INVALID;
	call_init(c, SB_HTTP_GET, "/api/v3/myTrades", true, f->order_id >= 0 ? 5 : 20);
	struct params p;
	p_begin(&p, c);
	p_str(&p, "symbol", f->symbol);
	p_opt(&p, "orderId", f->order_id);
	p_opt(&p, "fromId", f->from_id);
	p_opt(&p, "startTime", f->start_time);
	p_opt(&p, "endTime", f->end_time);
	p_opt(&p, "limit", f->limit);
	return p_end(&p, c);
}

void sb_bn_rest_filter_init(struct sb_bn_rest_filter *f, const char *symbol)
{
	if (!f)
		return;
	f->symbol = symbol;
	f->order_id = SB_BN_REST_NONE;
	f->from_id = SB_BN_REST_NONE;
	f->start_time = SB_BN_REST_NONE;
	f->end_time = SB_BN_REST_NONE;
	f->limit = SB_BN_REST_NONE;
}

sb_err sb_bn_rest_sign(const struct sb_bn_rest_call *c, struct sb_signer *signer, uint32_t recv_window_ms,
                       int64_t timestamp_ms, char *out, size_t cap, size_t *len)
{
	if (!c || !out || cap == 0 || c->params_len >= sizeof c->params)
		return SB_ERR_INVALID;
	out[0] = '\0';
	if (len)
		*len = 0;
	if (c->is_signed && !signer)
		return SB_ERR_PERM;
	if (c->params_len >= cap)
		return SB_ERR_TOO_LONG;
	memcpy(out, c->params, c->params_len);
	out[c->params_len] = '\0';
	struct sb_query_builder b = {.buf = out, .cap = cap, .len = c->params_len};
	sb_err e = SB_OK;
	if (c->is_signed) {
		char sig[SB_SIGN_MAX];
		e = sb_query_builder_add_i64(&b, "recvWindow", recv_window_ms);
		if (!e)
			e = sb_query_builder_add_i64(&b, "timestamp", timestamp_ms);
		if (!e)
			e = sb_signer_sign(signer, b.buf, b.len, sig, sizeof sig, NULL);
		if (!e)
			e = sb_query_builder_add_str(&b, "signature", sig);
	}
	if (e) {
		out[0] = '\0';
		return e;
	}
	if (len)
		*len = b.len;
	return SB_OK;
}

int64_t sb_bn_rest_offset_ms(int64_t sent_us, int64_t recv_us, int64_t server_ms)
{
	int64_t mid_us = sent_us + (recv_us - sent_us) / 2;
	int64_t d_us = server_ms * 1000 - mid_us;
	/* Round half away from zero, so a skew of -2.5 ms is -3 as +2.5 is +3. */
	return d_us >= 0 ? (d_us + 500) / 1000 : -((-d_us + 500) / 1000);
}

void sb_bn_weight_gate_init(struct sb_bn_weight_gate *g, int64_t limit, unsigned margin_pct)
{
	memset(g, 0, sizeof *g);
	g->limit = limit > 0 ? limit : SB_BN_REST_WEIGHT_LIMIT;
	g->margin_pct = margin_pct && margin_pct <= 100 ? margin_pct : SB_BN_REST_MARGIN_PCT;
}

static int64_t minute_of(int64_t ms)
{
	return ms - ((ms % 60000) + 60000) % 60000;
}

void sb_bn_weight_gate_observe(struct sb_bn_weight_gate *g, int64_t now_ms, int64_t used)
{
	if (used < 0)
		return;
	int64_t m = minute_of(now_ms);
	/* Answers can arrive out of order: within a minute the count only grows, and a late answer from a
	 * minute already left behind says nothing about this one. */
	if (m > g->minute) {
		g->minute = m;
		g->used = used;
	} else if (m == g->minute && used > g->used) {
		g->used = used;
	}
}

int64_t sb_bn_weight_gate_wait(const struct sb_bn_weight_gate *g, int64_t now_ms, int64_t w)
{
	int64_t m = minute_of(now_ms);
	int64_t used = m == g->minute ? g->used : 0;
	int64_t budget = g->limit * (int64_t)g->margin_pct / 100;
	if (used + g->in_flight == 0 || used + g->in_flight + w <= budget)
		return 0;
	/* A little past the boundary, so the server has surely rolled over too. */
	return m + 60000 - now_ms + 50;
}

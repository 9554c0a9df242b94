/*
 * codec.c - Binance's streamed messages into typed structs: market stream frames, user data events and
 * WebSocket API responses, plus the first step of every REST response (error body or result document).
 *
 * Frames are classified by their shape, the way Binance sends them: a combined-stream envelope has
 * "stream" and "data", an event has "e", a bookTicker has none of these but "u" and "s", a control reply
 * has "result", an error has "code" or "error". Each typed parser then demands every field the bot relies
 * on and ignores the rest, so fields Binance adds later never break the bot but a field it drops does not
 * go unnoticed. The REST result parsers live in codec_rest.c.
 */
#include <stdio.h>
#include <string.h>

#include "exchange/codec_fast.h"
#include "exchange/codec_int.h"

/* ---- shared pieces --------------------------------------------------------------------------------- */

/* A request id: integer, string or null; absent counts as null. */
static sb_err parse_id(struct sb_bn__ctx *c, const cJSON *o, struct sb_bn_id *id)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, "id");
	memset(id, 0, sizeof *id);
	if (!it || cJSON_IsNull(it)) {
		id->kind = SB_BN_ID_NULL;
		return SB_OK;
	}
	if (cJSON_IsString(it)) {
		id->kind = SB_BN_ID_STR;
		return sb_bn__str(c, o, "id", true, id->str, sizeof id->str);
	}
	id->kind = SB_BN_ID_NUM;
	return sb_bn__id(c, o, "id", &id->num);
}

sb_err sb_bn_rate_limits_from_json(const struct cJSON *arr, struct sb_bn_rate_limit *out, size_t cap,
                                   size_t *n, char *err, size_t errcap)
{
	static const char *const types[] = {"REQUEST_WEIGHT", "ORDERS", "RAW_REQUESTS"};
	static const char *const intervals[] = {"SECOND", "MINUTE", "HOUR", "DAY"};
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "rateLimits");
	if (!n || (!out && cap > 0))
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	*n = 0;
	if (!cJSON_IsArray(arr))
		return sb_bn__fail(&c, SB_ERR_PARSE, NULL, "not an array");
	char prefix[32];
	size_t i = 0;
	const cJSON *el;
	cJSON_ArrayForEach(el, arr)
	{
		if (i == cap)
			break;
		snprintf(prefix, sizeof prefix, "[%zu].", i);
		c.prefix = prefix;
		if (!cJSON_IsObject(el))
			return sb_bn__fail(&c, SB_ERR_PARSE, NULL, "element %zu is not an object", i);
		struct sb_bn_rate_limit *r = &out[i];
		int v = 0;
		/* Unknown kinds are kept as OTHER: see enum sb_bn_limit_type. */
		if (sb_bn__enum(&c, el, "rateLimitType", types, 3, &v) == SB_OK)
			r->type = (enum sb_bn_limit_type)v;
		else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(el, "rateLimitType")))
			r->type = SB_BN_LIMIT_OTHER;
		else
			return SB_ERR_PARSE;
		if (sb_bn__enum(&c, el, "interval", intervals, 4, &v) == SB_OK)
			r->interval = (enum sb_bn_limit_interval)v;
		else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(el, "interval")))
			r->interval = SB_BN_INTERVAL_OTHER;
		else
			return SB_ERR_PARSE;
		SB_TRY(sb_bn__int(&c, el, "intervalNum", 0, SB_BN__INT_MAX, &r->interval_num));
		SB_TRY(sb_bn__int(&c, el, "limit", 0, SB_BN__INT_MAX, &r->limit));
		SB_TRY(sb_bn__int_opt(&c, el, "count", 0, SB_BN__INT_MAX, -1, &r->count));
		i++;
	}
	if (err && errcap > 0)
		err[0] = '\0'; /* an OTHER kind above may have left a message behind */
	*n = i;
	return SB_OK;
}

sb_err sb_bn_api_error_class(const struct sb_bn_api_error *e)
{
	if (!e)
		return SB_ERR_INVALID;
	if (e->http_status >= 500 || e->code == -1006 || e->code == -1007)
		return SB_ERR_UNKNOWN_OUTCOME;
	if (e->http_status == 418 || e->http_status == 429 || e->code == -1003 || e->code == -1015)
		return SB_ERR_RATE_LIMIT;
	if (e->http_status >= 200 && e->http_status < 300 && e->code == 0)
		return SB_OK;
	return SB_ERR_EXCHANGE;
}

/* ---- market stream frames ------------------------------------------------------------------------- */

static sb_err parse_book_ticker(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_book_ticker *t)
{
	c->what = "bookTicker";
	sb_bn__index(c, d);
	SB_TRY(sb_bn__id(c, d, "u", &t->update_id));
	SB_TRY(sb_bn__str(c, d, "s", false, t->symbol, sizeof t->symbol));
	SB_TRY(sb_bn__dec(c, d, "b", &t->bid_price));
	SB_TRY(sb_bn__dec(c, d, "B", &t->bid_qty));
	SB_TRY(sb_bn__dec(c, d, "a", &t->ask_price));
	return sb_bn__dec(c, d, "A", &t->ask_qty);
}

static sb_err parse_trade(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_trade *t)
{
	c->what = "trade";
	sb_bn__index(c, d);
	SB_TRY(sb_bn__time(c, d, "E", &t->event_time));
	SB_TRY(sb_bn__str(c, d, "s", false, t->symbol, sizeof t->symbol));
	SB_TRY(sb_bn__id(c, d, "t", &t->trade_id));
	SB_TRY(sb_bn__dec(c, d, "p", &t->price));
	SB_TRY(sb_bn__dec(c, d, "q", &t->qty));
	SB_TRY(sb_bn__time(c, d, "T", &t->trade_time));
	return sb_bn__bool(c, d, "m", &t->buyer_maker);
}

static sb_err parse_agg_trade(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_agg_trade *t)
{
	c->what = "aggTrade";
	sb_bn__index(c, d);
	SB_TRY(sb_bn__time(c, d, "E", &t->event_time));
	SB_TRY(sb_bn__str(c, d, "s", false, t->symbol, sizeof t->symbol));
	SB_TRY(sb_bn__id(c, d, "a", &t->agg_id));
	SB_TRY(sb_bn__dec(c, d, "p", &t->price));
	SB_TRY(sb_bn__dec(c, d, "q", &t->qty));
	SB_TRY(sb_bn__id(c, d, "f", &t->first_trade_id));
	SB_TRY(sb_bn__id(c, d, "l", &t->last_trade_id));
	SB_TRY(sb_bn__time(c, d, "T", &t->trade_time));
	return sb_bn__bool(c, d, "m", &t->buyer_maker);
}

static sb_err parse_kline(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_kline *k)
{
	c->what = "kline";
	SB_TRY(sb_bn__time(c, d, "E", &k->event_time));
	SB_TRY(sb_bn__str(c, d, "s", false, k->symbol, sizeof k->symbol));
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(d, "k");
	if (!o)
		return sb_bn__fail(c, SB_ERR_PARSE, "k", "missing");
	if (!cJSON_IsObject(o))
		return sb_bn__fail(c, SB_ERR_PARSE, "k", "not an object");
	c->prefix = "k.";
	sb_bn__index(c, o);
	struct sb_bn_candle *cd = &k->candle;
	SB_TRY(sb_bn__time(c, o, "t", &cd->open_time));
	SB_TRY(sb_bn__time(c, o, "T", &cd->close_time));
	SB_TRY(sb_bn__str(c, o, "i", false, k->interval, sizeof k->interval));
	SB_TRY(sb_bn__id(c, o, "f", &k->first_trade_id));
	SB_TRY(sb_bn__id(c, o, "L", &k->last_trade_id));
	SB_TRY(sb_bn__dec(c, o, "o", &cd->open));
	SB_TRY(sb_bn__dec(c, o, "c", &cd->close));
	SB_TRY(sb_bn__dec(c, o, "h", &cd->high));
	SB_TRY(sb_bn__dec(c, o, "l", &cd->low));
	SB_TRY(sb_bn__dec(c, o, "v", &cd->volume));
	SB_TRY(sb_bn__int(c, o, "n", 0, SB_BN__INT_MAX, &cd->trades));
	SB_TRY(sb_bn__bool(c, o, "x", &k->closed));
	SB_TRY(sb_bn__dec(c, o, "q", &cd->quote_volume));
	SB_TRY(sb_bn__dec(c, o, "V", &cd->taker_buy_base));
	SB_TRY(sb_bn__dec(c, o, "Q", &cd->taker_buy_quote));
	c->prefix = "";
	return SB_OK;
}

static sb_err parse_mini_ticker(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_mini_ticker *t)
{
	c->what = "24hrMiniTicker";
	sb_bn__index(c, d);
	SB_TRY(sb_bn__time(c, d, "E", &t->event_time));
	SB_TRY(sb_bn__str(c, d, "s", false, t->symbol, sizeof t->symbol));
	SB_TRY(sb_bn__dec(c, d, "c", &t->close));
	SB_TRY(sb_bn__dec(c, d, "o", &t->open));
	SB_TRY(sb_bn__dec(c, d, "h", &t->high));
	SB_TRY(sb_bn__dec(c, d, "l", &t->low));
	SB_TRY(sb_bn__dec(c, d, "v", &t->volume));
	return sb_bn__dec(c, d, "q", &t->quote_volume);
}

static sb_err parse_control_reply(struct sb_bn__ctx *c, const cJSON *root, struct sb_bn_control_reply *r)
{
	c->what = "control reply";
	if (!cJSON_GetObjectItemCaseSensitive(root, "id"))
		return sb_bn__fail(c, SB_ERR_PARSE, "id", "missing");
	SB_TRY(parse_id(c, root, &r->id));
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(root, "result");
	if (cJSON_IsNull(res)) {
		r->kind = SB_BN_RESULT_NULL;
	} else if (cJSON_IsTrue(res)) {
		r->kind = SB_BN_RESULT_TRUE;
	} else if (cJSON_IsFalse(res)) {
		r->kind = SB_BN_RESULT_FALSE;
	} else if (cJSON_IsArray(res)) {
		r->kind = SB_BN_RESULT_ARRAY;
		r->result_count = (size_t)cJSON_GetArraySize(res);
	} else {
		r->kind = SB_BN_RESULT_OTHER;
	}
	return SB_OK;
}

/* {"code":2,"msg":"...","id":1} as documented, or {"error":{"code":2,"msg":"..."},"id":1}. */
static sb_err parse_control_error(struct sb_bn__ctx *c, const cJSON *root, struct sb_bn_control_error *e)
{
	c->what = "control error";
	SB_TRY(parse_id(c, root, &e->id));
	const cJSON *body = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (body) {
		if (!cJSON_IsObject(body))
			return sb_bn__fail(c, SB_ERR_PARSE, "error", "not an object");
		c->prefix = "error.";
	} else {
		body = root;
	}
	SB_TRY(sb_bn__int(c, body, "code", -SB_BN__INT_MAX, SB_BN__INT_MAX, &e->code));
	SB_TRY(sb_bn__text(c, body, "msg", e->msg, sizeof e->msg));
	c->prefix = "";
	return SB_OK;
}

/* Dispatches a payload that carries "e". */
static sb_err market_event(struct sb_bn__ctx *c, const cJSON *d, const cJSON *type,
                           struct sb_bn_market_msg *m)
{
	if (!cJSON_IsString(type) || !type->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, "e", "not a string");
	const char *t = type->valuestring;
	if (strcmp(t, "trade") == 0) {
		m->kind = SB_BN_MKT_TRADE;
		return parse_trade(c, d, &m->u.trade);
	}
	if (strcmp(t, "aggTrade") == 0) {
		m->kind = SB_BN_MKT_AGG_TRADE;
		return parse_agg_trade(c, d, &m->u.agg_trade);
	}
	if (strcmp(t, "kline") == 0) {
		m->kind = SB_BN_MKT_KLINE;
		return parse_kline(c, d, &m->u.kline);
	}
	if (strcmp(t, "24hrMiniTicker") == 0) {
		m->kind = SB_BN_MKT_MINI_TICKER;
		return parse_mini_ticker(c, d, &m->u.mini_ticker);
	}
	if (strcmp(t, "serverShutdown") == 0) {
		m->kind = SB_BN_MKT_SERVER_SHUTDOWN;
		c->what = "serverShutdown";
		return sb_bn__time(c, d, "E", &m->u.shutdown_time);
	}
	return sb_bn__fail(c, SB_ERR_UNSUPPORTED, "e", "event type \"%.40s\" is not supported", t);
}

static sb_err market_from_json(struct sb_bn__ctx *c, const cJSON *root, struct sb_bn_market_msg *m)
{
	if (cJSON_IsArray(root))
		return sb_bn__fail(c, SB_ERR_UNSUPPORTED, NULL,
		                   "array frames (!miniTicker@arr) are not supported");
	if (!cJSON_IsObject(root))
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "not a JSON object");
	const cJSON *d = root;
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	if (data && cJSON_GetObjectItemCaseSensitive(root, "stream")) {
		SB_TRY(sb_bn__str(c, root, "stream", false, m->stream, sizeof m->stream));
		if (cJSON_IsArray(data))
			return sb_bn__fail(c, SB_ERR_UNSUPPORTED, "data", "array payloads are not supported");
		if (!cJSON_IsObject(data))
			return sb_bn__fail(c, SB_ERR_PARSE, "data", "not an object");
		d = data;
	}
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "e");
	if (type)
		return market_event(c, d, type, m);
	if (d == root && cJSON_GetObjectItemCaseSensitive(root, "result")) {
		m->kind = SB_BN_MKT_CONTROL_REPLY;
		return parse_control_reply(c, root, &m->u.reply);
	}
	if (d == root && (cJSON_GetObjectItemCaseSensitive(root, "code") ||
	                  cJSON_GetObjectItemCaseSensitive(root, "error"))) {
		m->kind = SB_BN_MKT_CONTROL_ERROR;
		return parse_control_error(c, root, &m->u.error);
	}
	if (cJSON_GetObjectItemCaseSensitive(d, "u") && cJSON_GetObjectItemCaseSensitive(d, "s")) {
		m->kind = SB_BN_MKT_BOOK_TICKER;
		return parse_book_ticker(c, d, &m->u.book_ticker);
	}
	return sb_bn__fail(c, SB_ERR_PARSE, NULL, "not a recognised market frame");
}

sb_err sb_bn__market_tree(const char *frame, size_t len, struct sb_bn_market_msg *out, char *err,
                          size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "market frame");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	cJSON *doc;
	SB_TRY(sb_bn__parse_doc(&c, frame, len, SB_BN_MSG_MAX, &doc));
	sb_err e = market_from_json(&c, doc, out);
	cJSON_Delete(doc);
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

/* A bookTicker is read without a tree when it can be (codec_fast.c); anything else, errors included, by
 * the tree. */
sb_err sb_bn_market_parse(const char *frame, size_t len, struct sb_bn_market_msg *out, char *err,
                          size_t errcap)
{
	if (sb_bn__market_fast(frame, len, out)) {
		if (err && errcap > 0)
			err[0] = '\0';
		return SB_OK;
	}
	return sb_bn__market_tree(frame, len, out, err, errcap);
}

/* ---- user data events ----------------------------------------------------------------------------- */

static sb_err parse_exec_report(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_exec_report *r)
{
	c->what = "executionReport";
	sb_bn__index(c, d);
	SB_TRY(sb_bn__time(c, d, "E", &r->event_time));
	SB_TRY(sb_bn__str(c, d, "s", false, r->symbol, sizeof r->symbol));
	SB_TRY(sb_bn__str(c, d, "c", false, r->client_order_id, sizeof r->client_order_id));
	SB_TRY(sb_bn__side(c, d, "S", &r->side));
	SB_TRY(sb_bn__order_type(c, d, "o", &r->type));
	SB_TRY(sb_bn__tif(c, d, "f", &r->tif));
	SB_TRY(sb_bn__dec(c, d, "q", &r->qty));
	SB_TRY(sb_bn__dec(c, d, "p", &r->price));
	SB_TRY(sb_bn__dec(c, d, "P", &r->stop_price));
	SB_TRY(sb_bn__dec_opt(c, d, "F", &r->iceberg_qty));
	SB_TRY(sb_bn__id(c, d, "g", &r->order_list_id));
	SB_TRY(sb_bn__str(c, d, "C", true, r->orig_client_order_id, sizeof r->orig_client_order_id));
	SB_TRY(sb_bn__exec_type(c, d, "x", &r->exec_type));
	SB_TRY(sb_bn__status(c, d, "X", &r->status));
	SB_TRY(sb_bn__reject(c, d, "r", &r->reject_reason));
	SB_TRY(sb_bn__id(c, d, "i", &r->order_id));
	SB_TRY(sb_bn__dec(c, d, "l", &r->last_qty));
	SB_TRY(sb_bn__dec(c, d, "z", &r->cum_qty));
	SB_TRY(sb_bn__dec(c, d, "L", &r->last_price));
	SB_TRY(sb_bn__dec(c, d, "n", &r->commission));
	const cJSON *n = sb_bn__find(c, d, "N");
	if (!n)
		return sb_bn__fail(c, SB_ERR_PARSE, "N", "missing");
	if (!cJSON_IsNull(n)) /* null until the order has a fill */
		SB_TRY(sb_bn__str(c, d, "N", true, r->commission_asset, sizeof r->commission_asset));
	SB_TRY(sb_bn__time(c, d, "T", &r->transact_time));
	SB_TRY(sb_bn__id(c, d, "t", &r->trade_id));
	SB_TRY(sb_bn__id(c, d, "I", &r->execution_id));
	SB_TRY(sb_bn__bool(c, d, "w", &r->on_book));
	SB_TRY(sb_bn__bool(c, d, "m", &r->maker));
	SB_TRY(sb_bn__time(c, d, "O", &r->create_time));
	SB_TRY(sb_bn__dec(c, d, "Z", &r->cum_quote_qty));
	SB_TRY(sb_bn__dec(c, d, "Y", &r->last_quote_qty));
	SB_TRY(sb_bn__dec(c, d, "Q", &r->quote_order_qty));
	/* W appears only once the order has worked on the book. */
	SB_TRY(sb_bn__int_opt(c, d, "W", 0, SB_BN__INT_MAX, -1, &r->working_time));
	SB_TRY(sb_bn__str(c, d, "V", false, r->stp_mode, sizeof r->stp_mode));
	/* v and A appear when self-trade prevention expired (part of) the order. */
	SB_TRY(sb_bn__int_opt(c, d, "v", 0, SB_BN__INT_MAX, -1, &r->prevented_match_id));
	SB_TRY(sb_bn__dec_opt(c, d, "A", &r->prevented_qty));
	SB_TRY(sb_bn__str_opt(c, d, "eR", r->expiry_reason, sizeof r->expiry_reason));
	/* A fill is applied once, by its trade id: a TRADE without one could never be deduplicated. */
	if (r->exec_type == SB_BN_EXEC_TRADE && r->trade_id < 0)
		return sb_bn__fail(c, SB_ERR_PARSE, "t", "TRADE without a trade id (%lld)",
		                   (long long)r->trade_id);
	return SB_OK;
}

static sb_err parse_account_position(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_account_position *p)
{
	c->what = "outboundAccountPosition";
	SB_TRY(sb_bn__time(c, d, "u", &p->update_time));
	const cJSON *arr;
	size_t n;
	SB_TRY(sb_bn__array(c, d, "B", SB_BN_EVENT_BALANCES_MAX, &arr, &n));
	char prefix[32];
	size_t i = 0;
	const cJSON *el;
	cJSON_ArrayForEach(el, arr)
	{
		snprintf(prefix, sizeof prefix, "B[%zu].", i);
		c->prefix = prefix;
		if (!cJSON_IsObject(el))
			return sb_bn__fail(c, SB_ERR_PARSE, NULL, "B[%zu] is not an object", i);
		struct sb_bn_balance *b = &p->balances[i];
		SB_TRY(sb_bn__str(c, el, "a", false, b->asset, sizeof b->asset));
		SB_TRY(sb_bn__dec(c, el, "f", &b->free));
		SB_TRY(sb_bn__dec(c, el, "l", &b->locked));
		i++;
	}
	c->prefix = "";
	p->n_balances = i;
	return SB_OK;
}

static sb_err parse_delta(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_balance_delta *b)
{
	SB_TRY(sb_bn__str(c, d, "a", false, b->asset, sizeof b->asset));
	SB_TRY(sb_bn__dec_signed(c, d, "d", &b->delta));
	return sb_bn__time(c, d, "T", &b->clear_time);
}

/* Dispatches an event object (the envelope's "event", or a bare event). */
static sb_err user_event(struct sb_bn__ctx *c, const cJSON *d, struct sb_bn_user_event *ev)
{
	if (!cJSON_IsObject(d))
		return sb_bn__fail(c, SB_ERR_PARSE, "event", "not an object");
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(d, "e");
	if (!type)
		return sb_bn__fail(c, SB_ERR_PARSE, "e", "missing");
	if (!cJSON_IsString(type) || !type->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, "e", "not a string");
	const char *t = type->valuestring;
	c->what = t;
	if (strcmp(t, "executionReport") == 0) {
		ev->kind = SB_BN_USER_EXEC_REPORT;
		SB_TRY(parse_exec_report(c, d, &ev->u.exec));
		ev->event_time = ev->u.exec.event_time;
		return SB_OK;
	}
	if (strcmp(t, "outboundAccountPosition") == 0) {
		ev->kind = SB_BN_USER_ACCOUNT_POSITION;
		SB_TRY(sb_bn__time(c, d, "E", &ev->event_time));
		return parse_account_position(c, d, &ev->u.position);
	}
	if (strcmp(t, "balanceUpdate") == 0 || strcmp(t, "externalLockUpdate") == 0) {
		ev->kind = t[0] == 'b' ? SB_BN_USER_BALANCE_UPDATE : SB_BN_USER_EXTERNAL_LOCK;
		SB_TRY(sb_bn__time(c, d, "E", &ev->event_time));
		return parse_delta(c, d, &ev->u.delta);
	}
	if (strcmp(t, "eventStreamTerminated") == 0 || strcmp(t, "serverShutdown") == 0) {
		ev->kind = t[0] == 'e' ? SB_BN_USER_STREAM_TERMINATED : SB_BN_USER_SERVER_SHUTDOWN;
		return sb_bn__time(c, d, "E", &ev->event_time);
	}
	if (strcmp(t, "listenKeyExpired") == 0) {
		ev->kind = SB_BN_USER_LISTEN_KEY_EXPIRED;
		SB_TRY(sb_bn__time(c, d, "E", &ev->event_time));
		return sb_bn__str(c, d, "listenKey", false, ev->u.listen_key, sizeof ev->u.listen_key);
	}
	c->what = "user event";
	return sb_bn__fail(c, SB_ERR_UNSUPPORTED, "e", "event type \"%.40s\" is not supported", t);
}

static sb_err user_from_json(struct sb_bn__ctx *c, const cJSON *root, struct sb_bn_user_event *ev)
{
	if (!cJSON_IsObject(root))
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "not a JSON object");
	ev->subscription_id = -1;
	const cJSON *inner = cJSON_GetObjectItemCaseSensitive(root, "event");
	if (!inner)
		return user_event(c, root, ev); /* legacy listenKey stream: no envelope */
	SB_TRY(sb_bn__int_opt(c, root, "subscriptionId", 0, SB_BN__INT_MAX, -1, &ev->subscription_id));
	return user_event(c, inner, ev);
}

sb_err sb_bn_user_event_from_json(const struct cJSON *obj, struct sb_bn_user_event *out, char *err,
                                  size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "user event");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	sb_err e = user_from_json(&c, obj, out);
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

sb_err sb_bn__user_tree(const char *frame, size_t len, struct sb_bn_user_event *out, char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "user event");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	cJSON *doc;
	SB_TRY(sb_bn__parse_doc(&c, frame, len, SB_BN_MSG_MAX, &doc));
	sb_err e = sb_bn_user_event_from_json(doc, out, err, errcap);
	cJSON_Delete(doc);
	return e;
}

/* An executionReport is read without a tree when it can be; anything else by the tree. */
sb_err sb_bn_user_event_parse(const char *frame, size_t len, struct sb_bn_user_event *out, char *err,
                              size_t errcap)
{
	if (sb_bn__user_fast(frame, len, false, out)) {
		if (err && errcap > 0)
			err[0] = '\0';
		return SB_OK;
	}
	return sb_bn__user_tree(frame, len, out, err, errcap);
}

sb_err sb_bn_exec_report_fill(const struct sb_bn_exec_report *r, struct sb_fill *out)
{
	if (!r || !out)
		return SB_ERR_INVALID;
	if (r->exec_type != SB_BN_EXEC_TRADE || r->trade_id < 0)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	out->price = r->last_price;
	out->qty = r->last_qty;
	out->quote_qty = r->last_quote_qty;
	out->commission = r->commission;
	memcpy(out->commission_asset, r->commission_asset, sizeof out->commission_asset);
	out->trade_id = r->trade_id;
	return SB_OK;
}

/* ---- WebSocket API responses ---------------------------------------------------------------------- */

static sb_err ws_error(struct sb_bn__ctx *c, const cJSON *root, struct sb_bn_ws_response *r)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	if (!e)
		return sb_bn__fail(c, SB_ERR_PARSE, "error", "missing on status %d", r->status);
	if (!cJSON_IsObject(e))
		return sb_bn__fail(c, SB_ERR_PARSE, "error", "not an object");
	c->prefix = "error.";
	SB_TRY(sb_bn__int(c, e, "code", -SB_BN__INT_MAX, SB_BN__INT_MAX, &r->error.code));
	SB_TRY(sb_bn__text(c, e, "msg", r->error.msg, sizeof r->error.msg));
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(e, "data");
	if (cJSON_IsObject(data)) {
		c->prefix = "error.data.";
		SB_TRY(
		    sb_bn__int_opt(c, data, "retryAfter", 0, SB_BN__INT_MAX, -1, &r->error.retry_after_ms));
	}
	c->prefix = "";
	return SB_OK;
}

static sb_err ws_response(struct sb_bn__ctx *c, const cJSON *root, struct sb_bn_ws_response *r)
{
	if (!cJSON_IsObject(root))
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "not a JSON object");
	if (!cJSON_GetObjectItemCaseSensitive(root, "id"))
		return sb_bn__fail(c, SB_ERR_PARSE, "id", "missing");
	SB_TRY(parse_id(c, root, &r->id));
	int64_t status;
	SB_TRY(sb_bn__int(c, root, "status", 100, 599, &status));
	r->status = (int)status;
	r->error.http_status = r->status;
	r->error.retry_after_ms = -1;
	if (status >= 200 && status < 300) {
		r->result = cJSON_GetObjectItemCaseSensitive(root, "result");
		if (!r->result)
			return sb_bn__fail(c, SB_ERR_PARSE, "result", "missing on status %d", r->status);
		r->ok = true;
	} else {
		SB_TRY(ws_error(c, root, r));
	}
	const cJSON *limits = cJSON_GetObjectItemCaseSensitive(root, "rateLimits");
	if (limits) {
		char sub[SB_BN_TEXT_MAX];
		sb_err e = sb_bn_rate_limits_from_json(limits, r->rate_limits, SB_BN_RATE_LIMITS_MAX,
		                                       &r->n_rate_limits, sub, sizeof sub);
		if (e != SB_OK)
			return sb_bn__fail(c, e, NULL, "%s", sub);
	}
	return SB_OK;
}

sb_err sb_bn_ws_response_parse(const char *frame, size_t len, struct sb_bn_ws_response *out, char *err,
                               size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "WebSocket API response");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	cJSON *doc;
	SB_TRY(sb_bn__parse_doc(&c, frame, len, SB_BN_MSG_MAX, &doc));
	sb_err e = ws_response(&c, doc, out);
	if (e != SB_OK) {
		cJSON_Delete(doc);
		memset(out, 0, sizeof *out);
		return e;
	}
	out->doc = doc;
	return SB_OK;
}

void sb_bn_ws_response_fini(struct sb_bn_ws_response *r)
{
	if (!r)
		return;
	cJSON_Delete(r->doc);
	memset(r, 0, sizeof *r);
}

sb_err sb_bn__ws_frame_tree(const char *frame, size_t len, struct sb_bn_ws_frame *out, char *err,
                            size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "WebSocket API frame");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	cJSON *doc;
	SB_TRY(sb_bn__parse_doc(&c, frame, len, SB_BN_MSG_MAX, &doc));
	sb_err e;
	if (cJSON_IsObject(doc) && cJSON_GetObjectItemCaseSensitive(doc, "event") &&
	    !cJSON_GetObjectItemCaseSensitive(doc, "status")) {
		out->kind = SB_BN_WS_EVENT;
		c.what = "user event";
		e = user_from_json(&c, doc, &out->event);
		cJSON_Delete(doc);
	} else {
		out->kind = SB_BN_WS_RESPONSE;
		c.what = "WebSocket API response";
		e = ws_response(&c, doc, &out->response);
		if (e == SB_OK)
			out->response.doc = doc;
		else
			cJSON_Delete(doc);
	}
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

/* An executionReport event is read without a tree when it can be; responses and the rest by the tree. */
sb_err sb_bn_ws_frame_parse(const char *frame, size_t len, struct sb_bn_ws_frame *out, char *err,
                            size_t errcap)
{
	if (out)
		memset(out, 0, sizeof *out);
	if (out && sb_bn__user_fast(frame, len, true, &out->event)) {
		out->kind = SB_BN_WS_EVENT;
		if (err && errcap > 0)
			err[0] = '\0';
		return SB_OK;
	}
	return sb_bn__ws_frame_tree(frame, len, out, err, errcap);
}

void sb_bn_ws_frame_fini(struct sb_bn_ws_frame *f)
{
	if (!f)
		return;
	sb_bn_ws_response_fini(&f->response);
	memset(f, 0, sizeof *f);
}

/* ---- REST: error body or result document ---------------------------------------------------------- */

/* Keeps the start of a non-JSON error body (a proxy's HTML page, a WAF notice) printable for logs. */
static void body_excerpt(const char *body, size_t len, char *buf, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < len && n + 1 < cap; i++) {
		unsigned char ch = (unsigned char)body[i];
		buf[n++] = ch >= 0x20 && ch < 0x7f ? (char)ch : ' ';
	}
	buf[n] = '\0';
}

sb_err sb_bn_rest_parse(const char *body, size_t len, size_t max, int http_status, struct cJSON **doc,
                        struct sb_bn_api_error *api, char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "REST response");
	if (!doc || !api)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	*doc = NULL;
	memset(api, 0, sizeof *api);
	api->http_status = http_status;
	api->retry_after_ms = -1;
	if (http_status >= 200 && http_status < 300)
		return sb_bn__parse_doc(&c, body, len, max, doc);

	cJSON *e = NULL;
	struct sb_bn__ctx quiet;
	sb_bn__ctx_init(&quiet, NULL, 0, "REST error");
	if (body && sb_bn__parse_doc(&quiet, body, len, max, &e) == SB_OK && cJSON_IsObject(e) &&
	    sb_bn__int(&quiet, e, "code", -SB_BN__INT_MAX, SB_BN__INT_MAX, &api->code) == SB_OK) {
		if (sb_bn__text(&quiet, e, "msg", api->msg, sizeof api->msg) != SB_OK)
			api->msg[0] = '\0';
	} else if (body) {
		api->code = 0;
		body_excerpt(body, len, api->msg, sizeof api->msg);
	}
	cJSON_Delete(e);
	sb_err cls = sb_bn_api_error_class(api);
	if (cls == SB_OK)
		cls = SB_ERR_EXCHANGE; /* a non-2xx status is never a success */
	return sb_bn__fail(&c, cls, NULL, "HTTP %d, code %lld: %.120s", http_status, (long long)api->code,
	                   api->msg);
}

void sb_bn_doc_free(struct cJSON *doc)
{
	cJSON_Delete(doc);
}

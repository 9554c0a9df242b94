/*
 * codec_rest.c - REST results (and the WebSocket API results that mirror them) into typed structs: orders
 * in their ACK/RESULT/FULL/query/cancel shapes, trades, the account and its commission rates, tickers,
 * klines and exchangeInfo.
 *
 * Each parser takes the already parsed result (a REST body from sb_bn_rest_parse, or a WebSocket API
 * response's "result") so the two transports share one reading of every shape. List results are heap
 * arrays sized from the JSON array, capped by the SB_BN_*_MAX constants, and owned by the result struct.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_json.h"
#include "exchange/codec_int.h"
#include "spotbot/alloc.h"

/* Runs fn over every element of an array into a fresh heap array of n elements of size sz. The element's
 * path ("[3].") becomes the message prefix. On error the array is freed and *items is NULL. */
typedef sb_err (*elem_fn)(struct sb_bn__ctx *c, const cJSON *el, void *out);

static sb_err parse_list(struct sb_bn__ctx *c, const cJSON *arr, size_t max, size_t sz, elem_fn fn,
                         void (*fini)(void *), void **items, size_t *n)
{
	*items = NULL;
	*n = 0;
	if (!cJSON_IsArray(arr))
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "not an array");
	int size = cJSON_GetArraySize(arr);
	if (size < 0 || (size_t)size > max)
		return sb_bn__fail(c, SB_ERR_TOO_LONG, NULL, "more than %zu elements", max);
	if (size == 0)
		return SB_OK;
	unsigned char *buf = sb_xcalloc((size_t)size, sz);
	char prefix[32];
	const char *outer = c->prefix;
	size_t i = 0;
	const cJSON *el;
	sb_err e = SB_OK;
	cJSON_ArrayForEach(el, arr)
	{
		snprintf(prefix, sizeof prefix, "%.16s[%zu].", outer, i);
		c->prefix = prefix;
		e = fn(c, el, buf + i * sz);
		c->prefix = outer;
		if (e != SB_OK)
			break;
		i++;
	}
	if (e != SB_OK) {
		/* Elements before the failing one are complete and may own memory. */
		for (size_t j = 0; fini && j <= i && j < (size_t)size; j++)
			fini(buf + j * sz);
		free(buf);
		return e;
	}
	*items = buf;
	*n = i;
	return SB_OK;
}

/* The current path without its trailing dot, for messages about a whole element: "fills[2]". */
static int path_len(const struct sb_bn__ctx *c)
{
	size_t n = strlen(c->prefix);
	return (int)(n > 0 ? n - 1 : 0);
}

static sb_err need_object(struct sb_bn__ctx *c, const cJSON *o)
{
	if (!cJSON_IsObject(o))
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "%.*s%snot an object", path_len(c), c->prefix,
		                   *c->prefix ? " is " : "");
	return SB_OK;
}

sb_err sb_bn_server_time_from_json(const struct cJSON *obj, int64_t *ms, char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "time");
	if (!ms)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	SB_TRY(need_object(&c, obj));
	return sb_bn__time(&c, obj, "serverTime", ms);
}

/* ---- orders ----------------------------------------------------------------------------------------- */

static sb_err parse_fill(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	struct sb_fill *f = out;
	SB_TRY(need_object(c, el));
	SB_TRY(sb_bn__dec(c, el, "price", &f->price));
	SB_TRY(sb_bn__dec(c, el, "qty", &f->qty));
	SB_TRY(sb_bn__dec(c, el, "commission", &f->commission));
	SB_TRY(sb_bn__str(c, el, "commissionAsset", true, f->commission_asset, sizeof f->commission_asset));
	return sb_bn__id(c, el, "tradeId", &f->trade_id);
}

static sb_err order_details(struct sb_bn__ctx *c, const cJSON *o, struct sb_bn_order *r)
{
	SB_TRY(sb_bn__dec(c, o, "price", &r->price));
	SB_TRY(sb_bn__dec(c, o, "origQty", &r->orig_qty));
	SB_TRY(sb_bn__dec(c, o, "executedQty", &r->executed_qty));
	SB_TRY(sb_bn__dec(c, o, "cummulativeQuoteQty", &r->cum_quote_qty));
	SB_TRY(sb_bn__dec_opt(c, o, "origQuoteOrderQty", &r->orig_quote_order_qty));
	SB_TRY(sb_bn__dec_opt(c, o, "stopPrice", &r->stop_price));
	SB_TRY(sb_bn__dec_opt(c, o, "icebergQty", &r->iceberg_qty));
	SB_TRY(sb_bn__status(c, o, "status", &r->status));
	SB_TRY(sb_bn__tif(c, o, "timeInForce", &r->tif));
	SB_TRY(sb_bn__order_type(c, o, "type", &r->type));
	SB_TRY(sb_bn__side(c, o, "side", &r->side));
	SB_TRY(sb_bn__int_opt(c, o, "workingTime", 0, SB_BN__INT_MAX, -1, &r->working_time));
	SB_TRY(sb_bn__str_opt(c, o, "selfTradePreventionMode", r->stp_mode, sizeof r->stp_mode));
	SB_TRY(sb_bn__int_opt(c, o, "preventedMatchId", 0, SB_BN__INT_MAX, -1, &r->prevented_match_id));
	SB_TRY(sb_bn__dec_opt(c, o, "preventedQuantity", &r->prevented_qty));
	return sb_bn__str_opt(c, o, "expiryReason", r->expiry_reason, sizeof r->expiry_reason);
}

static sb_err parse_order(struct sb_bn__ctx *c, const cJSON *o, enum sb_bn_order_shape shape,
                          struct sb_bn_order *r)
{
	SB_TRY(need_object(c, o));
	r->shape = shape;
	r->transact_time = r->working_time = r->time = r->update_time = r->prevented_match_id = -1;
	SB_TRY(sb_bn__str(c, o, "symbol", false, r->symbol, sizeof r->symbol));
	SB_TRY(sb_bn__id(c, o, "orderId", &r->order_id));
	SB_TRY(sb_bn__int_opt(c, o, "orderListId", -SB_BN__INT_MAX, SB_BN__INT_MAX, -1, &r->order_list_id));
	SB_TRY(sb_bn__str(c, o, "clientOrderId", false, r->client_order_id, sizeof r->client_order_id));
	if (shape == SB_BN_ORDER_CANCEL)
		SB_TRY(sb_bn__str(c, o, "origClientOrderId", false, r->orig_client_order_id,
		                  sizeof r->orig_client_order_id));
	if (shape != SB_BN_ORDER_QUERY)
		SB_TRY(sb_bn__time(c, o, "transactTime", &r->transact_time));
	if (shape == SB_BN_ORDER_ACK)
		return SB_OK;
	SB_TRY(order_details(c, o, r));
	if (shape == SB_BN_ORDER_QUERY) {
		SB_TRY(sb_bn__time(c, o, "time", &r->time));
		SB_TRY(sb_bn__time(c, o, "updateTime", &r->update_time));
		SB_TRY(sb_bn__bool(c, o, "isWorking", &r->is_working));
	}
	if (shape != SB_BN_ORDER_FULL)
		return SB_OK;
	const cJSON *fills;
	size_t n;
	SB_TRY(sb_bn__array(c, o, "fills", SB_BN_FILLS_MAX, &fills, &n));
	const char *outer = c->prefix;
	c->prefix = "fills";
	void *items;
	sb_err e =
	    parse_list(c, fills, SB_BN_FILLS_MAX, sizeof(struct sb_fill), parse_fill, NULL, &items, &n);
	c->prefix = outer;
	if (e != SB_OK)
		return e;
	r->fills = items;
	r->n_fills = n;
	return SB_OK;
}

sb_err sb_bn_order_from_json(const struct cJSON *obj, enum sb_bn_order_shape shape, struct sb_bn_order *out,
                             char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap,
	                shape == SB_BN_ORDER_CANCEL  ? "cancel"
	                : shape == SB_BN_ORDER_QUERY ? "order query"
	                                             : "order");
	if (!out || shape > SB_BN_ORDER_CANCEL)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output or bad shape");
	memset(out, 0, sizeof *out);
	sb_err e = parse_order(&c, obj, shape, out);
	if (e != SB_OK)
		sb_bn_order_fini(out);
	return e;
}

void sb_bn_order_fini(struct sb_bn_order *o)
{
	if (!o)
		return;
	free(o->fills);
	memset(o, 0, sizeof *o);
}

static sb_err list_order(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	return parse_order(c, el, SB_BN_ORDER_QUERY, out);
}

static void fini_order(void *o)
{
	sb_bn_order_fini(o);
}

sb_err sb_bn_order_list_from_json(const struct cJSON *arr, struct sb_bn_order_list *out, char *err,
                                  size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "orders");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	void *items;
	SB_TRY(parse_list(&c, arr, SB_BN_ROWS_MAX, sizeof(struct sb_bn_order), list_order, fini_order, &items,
	                  &out->n));
	out->items = items;
	return SB_OK;
}

void sb_bn_order_list_fini(struct sb_bn_order_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		sb_bn_order_fini(&l->items[i]);
	free(l->items);
	memset(l, 0, sizeof *l);
}

/* ---- trades ----------------------------------------------------------------------------------------- */

static sb_err parse_my_trade(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	struct sb_bn_my_trade *t = out;
	SB_TRY(need_object(c, el));
	SB_TRY(sb_bn__str(c, el, "symbol", false, t->symbol, sizeof t->symbol));
	SB_TRY(sb_bn__id(c, el, "id", &t->id));
	SB_TRY(sb_bn__id(c, el, "orderId", &t->order_id));
	SB_TRY(sb_bn__int_opt(c, el, "orderListId", -SB_BN__INT_MAX, SB_BN__INT_MAX, -1, &t->order_list_id));
	SB_TRY(sb_bn__dec(c, el, "price", &t->price));
	SB_TRY(sb_bn__dec(c, el, "qty", &t->qty));
	SB_TRY(sb_bn__dec(c, el, "quoteQty", &t->quote_qty));
	SB_TRY(sb_bn__dec(c, el, "commission", &t->commission));
	SB_TRY(sb_bn__str(c, el, "commissionAsset", true, t->commission_asset, sizeof t->commission_asset));
	SB_TRY(sb_bn__time(c, el, "time", &t->time));
	SB_TRY(sb_bn__bool(c, el, "isBuyer", &t->is_buyer));
	SB_TRY(sb_bn__bool(c, el, "isMaker", &t->is_maker));
	if (cJSON_GetObjectItemCaseSensitive(el, "isBestMatch"))
		SB_TRY(sb_bn__bool(c, el, "isBestMatch", &t->is_best_match));
	return SB_OK;
}

sb_err sb_bn_my_trades_from_json(const struct cJSON *arr, struct sb_bn_my_trades *out, char *err,
                                 size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "myTrades");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	void *items;
	SB_TRY(parse_list(&c, arr, SB_BN_ROWS_MAX, sizeof(struct sb_bn_my_trade), parse_my_trade, NULL,
	                  &items, &out->n));
	out->items = items;
	return SB_OK;
}

void sb_bn_my_trades_fini(struct sb_bn_my_trades *t)
{
	if (!t)
		return;
	free(t->items);
	memset(t, 0, sizeof *t);
}

void sb_bn_my_trade_fill(const struct sb_bn_my_trade *t, struct sb_fill *out)
{
	memset(out, 0, sizeof *out);
	out->price = t->price;
	out->qty = t->qty;
	out->quote_qty = t->quote_qty;
	out->commission = t->commission;
	memcpy(out->commission_asset, t->commission_asset, sizeof out->commission_asset);
	out->trade_id = t->id;
}

/* ---- account ---------------------------------------------------------------------------------------- */

static sb_err parse_rates(struct sb_bn__ctx *c, const cJSON *o, const char *key,
                          struct sb_bn_commission_rates *r)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!it)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "missing");
	if (!cJSON_IsObject(it))
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not an object");
	char prefix[48];
	snprintf(prefix, sizeof prefix, "%s.", key);
	c->prefix = prefix;
	SB_TRY(sb_bn__dec(c, it, "maker", &r->maker));
	SB_TRY(sb_bn__dec(c, it, "taker", &r->taker));
	SB_TRY(sb_bn__dec(c, it, "buyer", &r->buyer));
	SB_TRY(sb_bn__dec(c, it, "seller", &r->seller));
	c->prefix = "";
	return SB_OK;
}

static sb_err parse_balance(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	struct sb_bn_balance *b = out;
	SB_TRY(need_object(c, el));
	SB_TRY(sb_bn__str(c, el, "asset", false, b->asset, sizeof b->asset));
	SB_TRY(sb_bn__dec(c, el, "free", &b->free));
	return sb_bn__dec(c, el, "locked", &b->locked);
}

static sb_err parse_account(struct sb_bn__ctx *c, const cJSON *o, struct sb_bn_account *a)
{
	SB_TRY(need_object(c, o));
	SB_TRY(sb_bn__int(c, o, "makerCommission", 0, 10000, &a->maker_commission));
	SB_TRY(sb_bn__int(c, o, "takerCommission", 0, 10000, &a->taker_commission));
	SB_TRY(sb_bn__int(c, o, "buyerCommission", 0, 10000, &a->buyer_commission));
	SB_TRY(sb_bn__int(c, o, "sellerCommission", 0, 10000, &a->seller_commission));
	SB_TRY(parse_rates(c, o, "commissionRates", &a->rates));
	SB_TRY(sb_bn__bool(c, o, "canTrade", &a->can_trade));
	SB_TRY(sb_bn__bool(c, o, "canWithdraw", &a->can_withdraw));
	SB_TRY(sb_bn__bool(c, o, "canDeposit", &a->can_deposit));
	SB_TRY(sb_bn__time(c, o, "updateTime", &a->update_time));
	SB_TRY(sb_bn__str(c, o, "accountType", false, a->account_type, sizeof a->account_type));
	SB_TRY(sb_bn__int_opt(c, o, "uid", 0, SB_BN__INT_MAX, -1, &a->uid));
	const cJSON *arr;
	size_t n;
	SB_TRY(sb_bn__array(c, o, "balances", SB_BN_BALANCES_MAX, &arr, &n));
	c->prefix = "balances";
	void *items;
	SB_TRY(parse_list(c, arr, SB_BN_BALANCES_MAX, sizeof(struct sb_bn_balance), parse_balance, NULL,
	                  &items, &a->n_balances));
	c->prefix = "";
	a->balances = items;
	return SB_OK;
}

sb_err sb_bn_account_from_json(const struct cJSON *obj, struct sb_bn_account *out, char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "account");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	sb_err e = parse_account(&c, obj, out);
	if (e != SB_OK)
		sb_bn_account_fini(out);
	return e;
}

void sb_bn_account_fini(struct sb_bn_account *a)
{
	if (!a)
		return;
	free(a->balances);
	memset(a, 0, sizeof *a);
}

const struct sb_bn_balance *sb_bn_account_balance(const struct sb_bn_account *a, const char *asset)
{
	if (!a || !asset)
		return NULL;
	for (size_t i = 0; i < a->n_balances; i++)
		if (strcmp(a->balances[i].asset, asset) == 0)
			return &a->balances[i];
	return NULL;
}

static sb_err parse_commission(struct sb_bn__ctx *c, const cJSON *o, struct sb_bn_commission *m)
{
	SB_TRY(need_object(c, o));
	SB_TRY(sb_bn__str(c, o, "symbol", false, m->symbol, sizeof m->symbol));
	SB_TRY(parse_rates(c, o, "standardCommission", &m->standard));
	SB_TRY(parse_rates(c, o, "taxCommission", &m->tax));
	if (cJSON_GetObjectItemCaseSensitive(o, "specialCommission")) {
		SB_TRY(parse_rates(c, o, "specialCommission", &m->special));
		m->has_special = true;
	}
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "discount");
	if (!d)
		return sb_bn__fail(c, SB_ERR_PARSE, "discount", "missing");
	if (!cJSON_IsObject(d))
		return sb_bn__fail(c, SB_ERR_PARSE, "discount", "not an object");
	c->prefix = "discount.";
	SB_TRY(sb_bn__bool(c, d, "enabledForAccount", &m->discount_for_account));
	SB_TRY(sb_bn__bool(c, d, "enabledForSymbol", &m->discount_for_symbol));
	SB_TRY(sb_bn__str(c, d, "discountAsset", true, m->discount_asset, sizeof m->discount_asset));
	SB_TRY(sb_bn__dec(c, d, "discount", &m->discount));
	c->prefix = "";
	return SB_OK;
}

sb_err sb_bn_commission_from_json(const struct cJSON *obj, struct sb_bn_commission *out, char *err,
                                  size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "account/commission");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	sb_err e = parse_commission(&c, obj, out);
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

/* ---- market data ------------------------------------------------------------------------------------ */

/* A ticker endpoint answers one object for ?symbol= and an array otherwise; both become a list. */
static sb_err object_or_list(struct sb_bn__ctx *c, const cJSON *v, size_t sz, elem_fn fn, void **items,
                             size_t *n)
{
	if (cJSON_IsObject(v)) {
		*items = sb_xcalloc(1, sz);
		sb_err e = fn(c, v, *items);
		if (e != SB_OK) {
			free(*items);
			*items = NULL;
			return e;
		}
		*n = 1;
		return SB_OK;
	}
	return parse_list(c, v, SB_BN_ROWS_MAX, sz, fn, NULL, items, n);
}

static sb_err parse_rest_book_ticker(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	struct sb_bn_book_ticker *t = out;
	SB_TRY(need_object(c, el));
	t->update_id = -1;
	SB_TRY(sb_bn__str(c, el, "symbol", false, t->symbol, sizeof t->symbol));
	SB_TRY(sb_bn__dec(c, el, "bidPrice", &t->bid_price));
	SB_TRY(sb_bn__dec(c, el, "bidQty", &t->bid_qty));
	SB_TRY(sb_bn__dec(c, el, "askPrice", &t->ask_price));
	return sb_bn__dec(c, el, "askQty", &t->ask_qty);
}

sb_err sb_bn_book_tickers_from_json(const struct cJSON *v, struct sb_bn_book_tickers *out, char *err,
                                    size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "ticker/bookTicker");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	void *items;
	SB_TRY(
	    object_or_list(&c, v, sizeof(struct sb_bn_book_ticker), parse_rest_book_ticker, &items, &out->n));
	out->items = items;
	return SB_OK;
}

void sb_bn_book_tickers_fini(struct sb_bn_book_tickers *t)
{
	if (!t)
		return;
	free(t->items);
	memset(t, 0, sizeof *t);
}

static sb_err parse_price(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	struct sb_bn_price *p = out;
	SB_TRY(need_object(c, el));
	SB_TRY(sb_bn__str(c, el, "symbol", false, p->symbol, sizeof p->symbol));
	return sb_bn__dec(c, el, "price", &p->price);
}

sb_err sb_bn_prices_from_json(const struct cJSON *v, struct sb_bn_prices *out, char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "ticker/price");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	void *items;
	SB_TRY(object_or_list(&c, v, sizeof(struct sb_bn_price), parse_price, &items, &out->n));
	out->items = items;
	return SB_OK;
}

void sb_bn_prices_fini(struct sb_bn_prices *p)
{
	if (!p)
		return;
	free(p->items);
	memset(p, 0, sizeof *p);
}

/* One klines row: [openTime,"o","h","l","c","v",closeTime,"quoteVolume",trades,"takerBase","takerQuote",..].
 */
static sb_err parse_candle(struct sb_bn__ctx *c, const cJSON *row, void *out)
{
	struct sb_bn_candle *k = out;
	if (!cJSON_IsArray(row))
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "row %.*s is not an array", path_len(c), c->prefix);
	if (cJSON_GetArraySize(row) < 11)
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "row %.*s has %d elements, not 12", path_len(c),
		                   c->prefix, cJSON_GetArraySize(row));
	static const int dec_at[] = {1, 2, 3, 4, 5, 7, 9, 10};
	sb_dec *dec_to[] = {&k->open,           &k->high,           &k->low,
	                    &k->close,          &k->volume,         &k->quote_volume,
	                    &k->taker_buy_base, &k->taker_buy_quote};
	char name[16];
	for (size_t i = 0; i < sizeof dec_at / sizeof dec_at[0]; i++) {
		snprintf(name, sizeof name, "%d", dec_at[i]);
		SB_TRY(sb_bn__dec_item(c, cJSON_GetArrayItem(row, dec_at[i]), name, dec_to[i]));
	}
	SB_TRY(sb_bn__int_item(c, cJSON_GetArrayItem(row, 0), "0", 0, SB_BN__INT_MAX, &k->open_time));
	SB_TRY(sb_bn__int_item(c, cJSON_GetArrayItem(row, 6), "6", 0, SB_BN__INT_MAX, &k->close_time));
	return sb_bn__int_item(c, cJSON_GetArrayItem(row, 8), "8", 0, SB_BN__INT_MAX, &k->trades);
}

sb_err sb_bn_candles_from_json(const struct cJSON *arr, struct sb_bn_candles *out, char *err, size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "klines");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	void *items;
	SB_TRY(parse_list(&c, arr, SB_BN_ROWS_MAX, sizeof(struct sb_bn_candle), parse_candle, NULL, &items,
	                  &out->n));
	out->items = items;
	return SB_OK;
}

void sb_bn_candles_fini(struct sb_bn_candles *k)
{
	if (!k)
		return;
	free(k->items);
	memset(k, 0, sizeof *k);
}

/* ---- exchangeInfo ----------------------------------------------------------------------------------- */

static sb_err parse_symbol(struct sb_bn__ctx *c, const cJSON *el, void *out)
{
	char sub[SB_BN_TEXT_MAX];
	sb_err e = sb_rules_from_json(el, out, sub, sizeof sub);
	if (e != SB_OK)
		return sb_bn__fail(c, e, NULL, "%.*s: %s", path_len(c), c->prefix, sub);
	return SB_OK;
}

static sb_err parse_exchange_info(struct sb_bn__ctx *c, const cJSON *o, struct sb_bn_exchange_info *x)
{
	SB_TRY(need_object(c, o));
	SB_TRY(sb_bn__time(c, o, "serverTime", &x->server_time));
	const cJSON *limits;
	size_t n;
	SB_TRY(sb_bn__array(c, o, "rateLimits", SIZE_MAX, &limits, &n));
	char sub[SB_BN_TEXT_MAX];
	sb_err e = sb_bn_rate_limits_from_json(limits, x->rate_limits, SB_BN_RATE_LIMITS_MAX,
	                                       &x->n_rate_limits, sub, sizeof sub);
	if (e != SB_OK)
		return sb_bn__fail(c, e, NULL, "%s", sub);
	const cJSON *symbols;
	SB_TRY(sb_bn__array(c, o, "symbols", SB_BN_SYMBOLS_MAX, &symbols, &n));
	void *items;
	c->prefix = "symbols";
	SB_TRY(parse_list(c, symbols, SB_BN_SYMBOLS_MAX, sizeof(struct sb_symbol_rules), parse_symbol, NULL,
	                  &items, &x->n_symbols));
	x->symbols = items;
	return SB_OK;
}

sb_err sb_bn_exchange_info_from_json(const struct cJSON *obj, struct sb_bn_exchange_info *out, char *err,
                                     size_t errcap)
{
	struct sb_bn__ctx c;
	sb_bn__ctx_init(&c, err, errcap, "exchangeInfo");
	if (!out)
		return sb_bn__fail(&c, SB_ERR_INVALID, NULL, "no output");
	memset(out, 0, sizeof *out);
	sb_err e = parse_exchange_info(&c, obj, out);
	if (e != SB_OK)
		sb_bn_exchange_info_fini(out);
	return e;
}

void sb_bn_exchange_info_fini(struct sb_bn_exchange_info *x)
{
	if (!x)
		return;
	free(x->symbols);
	memset(x, 0, sizeof *x);
}

const struct sb_symbol_rules *sb_bn_exchange_info_symbol(const struct sb_bn_exchange_info *x,
                                                         const char *symbol)
{
	if (!x || !symbol)
		return NULL;
	for (size_t i = 0; i < x->n_symbols; i++)
		if (strcmp(x->symbols[i].symbol, symbol) == 0)
			return &x->symbols[i];
	return NULL;
}

/* A parser of one message from a parsed document, as the text-level parsers below take it. */
typedef sb_err (*doc_reader)(const cJSON *doc, void *out, char *err, size_t errcap);

static sb_err read_time(const cJSON *doc, void *out, char *err, size_t errcap)
{
	return sb_bn_server_time_from_json(doc, out, err, errcap);
}

static sb_err read_account(const cJSON *doc, void *out, char *err, size_t errcap)
{
	return sb_bn_account_from_json(doc, out, err, errcap);
}

/* A whole REST answer: its document (or the exchange's error), then its message through read. */
static sb_err read_answer(const char *body, size_t len, int http_status, doc_reader read, void *out,
                          struct sb_bn_api_error *api, char *err, size_t errcap)
{
	cJSON *doc = NULL;
	SB_TRY(sb_bn_rest_parse(body, len, SB_BN_MSG_MAX, http_status, &doc, api, err, errcap));
	sb_err e = read(doc, out, err, errcap);
	cJSON_Delete(doc);
	return e;
}

sb_err sb_bn_server_time_parse(const char *body, size_t len, int http_status, int64_t *ms,
                               struct sb_bn_api_error *api, char *err, size_t errcap)
{
	return read_answer(body, len, http_status, read_time, ms, api, err, errcap);
}

sb_err sb_bn_account_parse(const char *body, size_t len, int http_status, struct sb_bn_account *out,
                           struct sb_bn_api_error *api, char *err, size_t errcap)
{
	return read_answer(body, len, http_status, read_account, out, api, err, errcap);
}

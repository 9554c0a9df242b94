/*
 * rules_json.c - reads a symbol's rules from Binance's exchangeInfo JSON.
 *
 * exchangeInfo is large, changes without notice and is the source of every limit the bot obeys, so the
 * parser is strict about what it uses (every field of a known filter must be present and well formed, and
 * the message says which one was not) and lenient about what it does not (unknown filter types, order
 * types and top-level fields are ignored).
 */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/rules_json.h"

/* Error context: where in the document a field is, for the message. */
struct ctx {
	char *err;         /* caller's message buffer, may be NULL */
	size_t errcap;     /* its size */
	const char *where; /* "symbol BTCUSDT" or "filters[2] LOT_SIZE" */
};

__attribute__((format(printf, 3, 4))) static sb_err fail(struct ctx *c, sb_err e, const char *fmt, ...)
{
	if (c->err && c->errcap > 0) {
		int n = snprintf(c->err, c->errcap, "%s: ", c->where);
		if (n >= 0 && (size_t)n < c->errcap) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return e;
}

static sb_err get_dec(struct ctx *c, const cJSON *obj, const char *key, sb_dec *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it)
		return fail(c, SB_ERR_PARSE, "missing %s", key);
	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(c, SB_ERR_PARSE, "%s is not a decimal string", key);
	sb_err e = sb_dec_parse_nonneg(it->valuestring, strlen(it->valuestring), out);
	if (e != SB_OK)
		return fail(c, e, "%s \"%.40s\": %s", key, it->valuestring, sb_strerror(e));
	return SB_OK;
}

static sb_err get_bool(struct ctx *c, const cJSON *obj, const char *key, bool *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it)
		return fail(c, SB_ERR_PARSE, "missing %s", key);
	if (!cJSON_IsBool(it))
		return fail(c, SB_ERR_PARSE, "%s is not a boolean", key);
	*out = cJSON_IsTrue(it);
	return SB_OK;
}

/* An integral JSON number in [lo, hi]; hi is below 2^53 so valuedouble is exact. */
static sb_err get_int(struct ctx *c, const cJSON *obj, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it)
		return fail(c, SB_ERR_PARSE, "missing %s", key);
	if (!cJSON_IsNumber(it))
		return fail(c, SB_ERR_PARSE, "%s is not a number", key);
	double d = it->valuedouble;
	int64_t v = 0;
	if (d >= (double)lo && d <= (double)hi)
		v = (int64_t)d;
	/* NaN and out-of-range values fail the first test; fractions fail the second. */
	if (!(d >= (double)lo && d <= (double)hi) || (double)v < d || (double)v > d)
		return fail(c, SB_ERR_RANGE, "%s is not an integer in [%lld, %lld]", key, (long long)lo,
		            (long long)hi);
	*out = v;
	return SB_OK;
}

/* A NUL-free string of 1..cap-1 bytes copied into buf. */
static sb_err get_str(struct ctx *c, const cJSON *obj, const char *key, char *buf, size_t cap)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (!it)
		return fail(c, SB_ERR_PARSE, "missing %s", key);
	if (!cJSON_IsString(it) || !it->valuestring)
		return fail(c, SB_ERR_PARSE, "%s is not a string", key);
	size_t n = strlen(it->valuestring);
	if (n == 0)
		return fail(c, SB_ERR_PARSE, "%s is empty", key);
	if (n >= cap)
		return fail(c, SB_ERR_TOO_LONG, "%s is longer than %zu bytes", key, cap - 1);
	memcpy(buf, it->valuestring, n);
	buf[n] = '\0';
	return SB_OK;
}

/* min <= max unless max is 0 (no maximum). */
static sb_err check_bounds(struct ctx *c, sb_dec min, sb_dec max, const char *min_key, const char *max_key)
{
	if (max != 0 && min > max)
		return fail(c, SB_ERR_PARSE, "%s exceeds %s", min_key, max_key);
	return SB_OK;
}

static sb_err parse_price(struct ctx *c, const cJSON *f, struct sb_price_filter *p)
{
	SB_TRY(get_dec(c, f, "minPrice", &p->min_price));
	SB_TRY(get_dec(c, f, "maxPrice", &p->max_price));
	SB_TRY(get_dec(c, f, "tickSize", &p->tick_size));
	return check_bounds(c, p->min_price, p->max_price, "minPrice", "maxPrice");
}

static sb_err parse_lot(struct ctx *c, const cJSON *f, struct sb_lot_filter *l)
{
	SB_TRY(get_dec(c, f, "minQty", &l->min_qty));
	SB_TRY(get_dec(c, f, "maxQty", &l->max_qty));
	SB_TRY(get_dec(c, f, "stepSize", &l->step_size));
	return check_bounds(c, l->min_qty, l->max_qty, "minQty", "maxQty");
}

#define AVG_MINS_MAX INT64_C(1000000) /* avgPriceMins is minutes; real values are 0..5 */

static sb_err parse_percent(struct ctx *c, const cJSON *f, struct sb_percent_filter *p)
{
	SB_TRY(get_dec(c, f, "multiplierUp", &p->multiplier_up));
	SB_TRY(get_dec(c, f, "multiplierDown", &p->multiplier_down));
	SB_TRY(get_int(c, f, "avgPriceMins", 0, AVG_MINS_MAX, &p->avg_price_mins));
	return check_bounds(c, p->multiplier_down, p->multiplier_up, "multiplierDown", "multiplierUp");
}

static sb_err parse_percent_side(struct ctx *c, const cJSON *f, struct sb_percent_side_filter *p)
{
	SB_TRY(get_dec(c, f, "bidMultiplierUp", &p->bid_multiplier_up));
	SB_TRY(get_dec(c, f, "bidMultiplierDown", &p->bid_multiplier_down));
	SB_TRY(get_dec(c, f, "askMultiplierUp", &p->ask_multiplier_up));
	SB_TRY(get_dec(c, f, "askMultiplierDown", &p->ask_multiplier_down));
	SB_TRY(get_int(c, f, "avgPriceMins", 0, AVG_MINS_MAX, &p->avg_price_mins));
	SB_TRY(check_bounds(c, p->bid_multiplier_down, p->bid_multiplier_up, "bidMultiplierDown",
	                    "bidMultiplierUp"));
	return check_bounds(c, p->ask_multiplier_down, p->ask_multiplier_up, "askMultiplierDown",
	                    "askMultiplierUp");
}

static sb_err parse_min_notional(struct ctx *c, const cJSON *f, struct sb_min_notional_filter *m)
{
	SB_TRY(get_dec(c, f, "minNotional", &m->min_notional));
	SB_TRY(get_bool(c, f, "applyToMarket", &m->apply_to_market));
	return get_int(c, f, "avgPriceMins", 0, AVG_MINS_MAX, &m->avg_price_mins);
}

static sb_err parse_notional(struct ctx *c, const cJSON *f, struct sb_notional_filter *n)
{
	SB_TRY(get_dec(c, f, "minNotional", &n->min_notional));
	SB_TRY(get_bool(c, f, "applyMinToMarket", &n->apply_min_to_market));
	SB_TRY(get_dec(c, f, "maxNotional", &n->max_notional));
	SB_TRY(get_bool(c, f, "applyMaxToMarket", &n->apply_max_to_market));
	SB_TRY(get_int(c, f, "avgPriceMins", 0, AVG_MINS_MAX, &n->avg_price_mins));
	return check_bounds(c, n->min_notional, n->max_notional, "minNotional", "maxNotional");
}

/* Dispatches one filter object by its filterType; *present is the slot's "seen" flag. */
static sb_err parse_filter(struct ctx *c, const cJSON *f, struct sb_symbol_rules *r)
{
	if (!cJSON_IsObject(f))
		return fail(c, SB_ERR_PARSE, "not an object");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "filterType");
	if (!cJSON_IsString(t) || !t->valuestring)
		return fail(c, SB_ERR_PARSE, "missing filterType");
	const char *type = t->valuestring;
	bool *present = NULL;
	sb_err e = SB_OK;
	if (strcmp(type, "PRICE_FILTER") == 0) {
		present = &r->price.present;
		if (!*present)
			e = parse_price(c, f, &r->price);
	} else if (strcmp(type, "LOT_SIZE") == 0) {
		present = &r->lot.present;
		if (!*present)
			e = parse_lot(c, f, &r->lot);
	} else if (strcmp(type, "MARKET_LOT_SIZE") == 0) {
		present = &r->market_lot.present;
		if (!*present)
			e = parse_lot(c, f, &r->market_lot);
	} else if (strcmp(type, "PERCENT_PRICE") == 0) {
		present = &r->percent.present;
		if (!*present)
			e = parse_percent(c, f, &r->percent);
	} else if (strcmp(type, "PERCENT_PRICE_BY_SIDE") == 0) {
		present = &r->percent_side.present;
		if (!*present)
			e = parse_percent_side(c, f, &r->percent_side);
	} else if (strcmp(type, "MIN_NOTIONAL") == 0) {
		present = &r->min_notional.present;
		if (!*present)
			e = parse_min_notional(c, f, &r->min_notional);
	} else if (strcmp(type, "NOTIONAL") == 0) {
		present = &r->notional.present;
		if (!*present)
			e = parse_notional(c, f, &r->notional);
	} else if (strcmp(type, "MAX_NUM_ORDERS") == 0) {
		present = &r->has_max_num_orders;
		if (!*present)
			e = get_int(c, f, "maxNumOrders", 0, INT64_C(1) << 40, &r->max_num_orders);
	} else {
		return SB_OK; /* ICEBERG_PARTS, TRAILING_DELTA, MAX_POSITION, ...: not ours to enforce */
	}
	if (*present)
		return fail(c, SB_ERR_PARSE, "duplicate filter");
	if (e == SB_OK)
		*present = true;
	return e;
}

static sb_err parse_filters(struct ctx *c, const cJSON *sym, struct sb_symbol_rules *r)
{
	const cJSON *filters = cJSON_GetObjectItemCaseSensitive(sym, "filters");
	if (!filters)
		return fail(c, SB_ERR_PARSE, "missing filters");
	if (!cJSON_IsArray(filters))
		return fail(c, SB_ERR_PARSE, "filters is not an array");
	const char *outer = c->where;
	char where[SB_SYMBOL_MAX + 128];
	int i = 0;
	const cJSON *f;
	cJSON_ArrayForEach(f, filters)
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "filterType");
		snprintf(where, sizeof where, "%s filters[%d] %.32s", outer, i,
		         cJSON_IsString(t) && t->valuestring ? t->valuestring : "?");
		c->where = where;
		sb_err e = parse_filter(c, f, r);
		c->where = outer;
		if (e != SB_OK)
			return e;
		i++;
	}
	return SB_OK;
}

static sb_err parse_status(struct ctx *c, const cJSON *sym, enum sb_symbol_status *out)
{
	static const struct {
		const char *name;
		enum sb_symbol_status status;
	} map[] = {
	    {"TRADING", SB_SYMBOL_TRADING}, {"END_OF_DAY", SB_SYMBOL_END_OF_DAY},   {"HALT", SB_SYMBOL_HALT},
	    {"BREAK", SB_SYMBOL_BREAK},     {"CANCEL_ONLY", SB_SYMBOL_CANCEL_ONLY},
	};
	char buf[32];
	SB_TRY(get_str(c, sym, "status", buf, sizeof buf));
	*out = SB_SYMBOL_OTHER;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(buf, map[i].name) == 0)
			*out = map[i].status;
	return SB_OK;
}

/* A precision field: an integer 0..8; default when absent (older documents lack some of them). */
static sb_err get_precision(struct ctx *c, const cJSON *sym, const char *key, int dflt, int *out)
{
	if (!cJSON_GetObjectItemCaseSensitive(sym, key)) {
		if (dflt < 0)
			return fail(c, SB_ERR_PARSE, "missing %s", key);
		*out = dflt;
		return SB_OK;
	}
	int64_t v;
	SB_TRY(get_int(c, sym, key, 0, SB_DEC_PLACES, &v));
	*out = (int)v;
	return SB_OK;
}

static sb_err parse_order_types(struct ctx *c, const cJSON *sym, struct sb_symbol_rules *r)
{
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(sym, "orderTypes");
	if (!types)
		return fail(c, SB_ERR_PARSE, "missing orderTypes");
	if (!cJSON_IsArray(types))
		return fail(c, SB_ERR_PARSE, "orderTypes is not an array");
	const cJSON *t;
	cJSON_ArrayForEach(t, types)
	{
		if (!cJSON_IsString(t) || !t->valuestring)
			return fail(c, SB_ERR_PARSE, "orderTypes holds a non-string");
		enum sb_order_type ot;
		if (sb_order_type_parse(t->valuestring, strlen(t->valuestring), &ot) == SB_OK)
			r->order_types |= 1u << (unsigned)ot;
	}
	return SB_OK;
}

/* defaultSelfTradePreventionMode and allowedSelfTradePreventionModes, both optional (older documents lack
 * them); a mode this build does not know is skipped, so a new one cannot make a symbol unreadable. */
static sb_err parse_stp(struct ctx *c, const cJSON *sym, struct sb_symbol_rules *r)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(sym, "defaultSelfTradePreventionMode");
	if (d) {
		if (!cJSON_IsString(d) || !d->valuestring)
			return fail(c, SB_ERR_PARSE, "defaultSelfTradePreventionMode is not a string");
		if (sb_stp_mode_parse(d->valuestring, strlen(d->valuestring), &r->stp_default) != SB_OK)
			r->stp_default = SB_STP_DEFAULT;
	}
	const cJSON *modes = cJSON_GetObjectItemCaseSensitive(sym, "allowedSelfTradePreventionModes");
	if (!modes)
		return SB_OK;
	if (!cJSON_IsArray(modes))
		return fail(c, SB_ERR_PARSE, "allowedSelfTradePreventionModes is not an array");
	const cJSON *m;
	cJSON_ArrayForEach(m, modes)
	{
		if (!cJSON_IsString(m) || !m->valuestring)
			return fail(c, SB_ERR_PARSE, "allowedSelfTradePreventionModes holds a non-string");
		enum sb_stp_mode mode;
		if (sb_stp_mode_parse(m->valuestring, strlen(m->valuestring), &mode) == SB_OK)
			r->stp_allowed |= 1u << (unsigned)mode;
	}
	return SB_OK;
}

static sb_err parse_symbol(struct ctx *c, const cJSON *sym, struct sb_symbol_rules *r)
{
	if (!cJSON_IsObject(sym))
		return fail(c, SB_ERR_PARSE, "not an object");
	SB_TRY(get_str(c, sym, "symbol", r->symbol, sizeof r->symbol));
	char where[SB_SYMBOL_MAX + 16];
	snprintf(where, sizeof where, "symbol %s", r->symbol);
	c->where = where;
	SB_TRY(parse_status(c, sym, &r->status));
	SB_TRY(get_str(c, sym, "baseAsset", r->base_asset, sizeof r->base_asset));
	SB_TRY(get_str(c, sym, "quoteAsset", r->quote_asset, sizeof r->quote_asset));
	SB_TRY(get_precision(c, sym, "baseAssetPrecision", -1, &r->base_precision));
	/* quotePrecision is the deprecated spelling of quoteAssetPrecision; accept either. */
	if (cJSON_GetObjectItemCaseSensitive(sym, "quoteAssetPrecision"))
		SB_TRY(get_precision(c, sym, "quoteAssetPrecision", -1, &r->quote_precision));
	else
		SB_TRY(get_precision(c, sym, "quotePrecision", -1, &r->quote_precision));
	SB_TRY(
	    get_precision(c, sym, "baseCommissionPrecision", SB_DEC_PLACES, &r->base_commission_precision));
	SB_TRY(
	    get_precision(c, sym, "quoteCommissionPrecision", SB_DEC_PLACES, &r->quote_commission_precision));
	SB_TRY(parse_order_types(c, sym, r));
	const cJSON *q = cJSON_GetObjectItemCaseSensitive(sym, "quoteOrderQtyMarketAllowed");
	if (q)
		SB_TRY(get_bool(c, sym, "quoteOrderQtyMarketAllowed", &r->quote_order_qty_market));
	SB_TRY(parse_stp(c, sym, r));
	return parse_filters(c, sym, r);
}

sb_err sb_rules_from_json(const struct cJSON *symbol, struct sb_symbol_rules *out, char *err, size_t errcap)
{
	if (err && errcap > 0)
		err[0] = '\0';
	if (!out)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	struct ctx c = {.err = err, .errcap = errcap, .where = "symbol"};
	if (!symbol)
		return fail(&c, SB_ERR_INVALID, "no symbol object");
	sb_err e = parse_symbol(&c, symbol, out);
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

sb_err sb_rules_find_symbol(const struct cJSON *doc, const char *name, const struct cJSON **out)
{
	if (!doc || !name || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	const cJSON *symbols = cJSON_GetObjectItemCaseSensitive(doc, "symbols");
	if (!cJSON_IsArray(symbols))
		return SB_ERR_PARSE;
	const cJSON *s;
	cJSON_ArrayForEach(s, symbols)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "symbol");
		if (cJSON_IsString(n) && n->valuestring && strcmp(n->valuestring, name) == 0) {
			*out = s;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

sb_err sb_rules_parse_exchange_info(const char *json, size_t len, const char *name,
                                    struct sb_symbol_rules *out, char *err, size_t errcap)
{
	if (err && errcap > 0)
		err[0] = '\0';
	if (!json || !name || !out)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	struct ctx c = {.err = err, .errcap = errcap, .where = "exchangeInfo"};
	if (len > SB_RULES_DOC_MAX)
		return fail(&c, SB_ERR_TOO_LONG, "document of %zu bytes", len);
	cJSON *doc = cJSON_ParseWithLength(json, len);
	if (!doc)
		return fail(&c, SB_ERR_PARSE, "not valid JSON");
	const cJSON *sym;
	sb_err e = sb_rules_find_symbol(doc, name, &sym);
	if (e == SB_ERR_PARSE)
		fail(&c, e, "no symbols array");
	else if (e == SB_ERR_NOT_FOUND)
		fail(&c, e, "symbol %.64s not listed", name);
	else
		e = sb_rules_from_json(sym, out, err, errcap);
	cJSON_Delete(doc);
	return e;
}

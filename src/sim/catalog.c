/*
 * catalog.c - spotsim's built-in symbol catalogue (see catalog.h). Filters follow what Binance
 * listed for these pairs in 2024-2026 (binance-spot-api.md §4: BTCUSDT tick 0.01, step 0.00001,
 * NOTIONAL 5, PERCENT_PRICE_BY_SIDE 5 / 0.2).
 */
#include "sim/catalog.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

struct entry {
	const char *symbol;       /* pair name */
	const char *base;         /* base asset */
	const char *quote;        /* quote asset */
	const char *tick;         /* PRICE_FILTER tickSize */
	const char *step;         /* LOT_SIZE stepSize (also minQty) */
	const char *max_qty;      /* LOT_SIZE maxQty */
	const char *min_notional; /* NOTIONAL minNotional */
	const char *start;        /* synthetic market's first price */
};

#define MAX_PRICE "1000000.00000000" /* PRICE_FILTER maxPrice of the catalogue's symbols */

static const struct entry entries[] = {
    {"BTCUSDT", "BTC", "USDT", "0.01000000", "0.00001000", "9000.00000000", "5.00000000", "60000.00"},
    {"ETHUSDT", "ETH", "USDT", "0.01000000", "0.00010000", "9000.00000000", "5.00000000", "3000.00"},
    {"BNBUSDT", "BNB", "USDT", "0.01000000", "0.00100000", "9000.00000000", "5.00000000", "600.00"},
    {"SOLUSDT", "SOL", "USDT", "0.01000000", "0.00100000", "9000.00000000", "5.00000000", "150.00"},
    {"XRPUSDT", "XRP", "USDT", "0.00010000", "0.10000000", "9000000.00000000", "5.00000000", "0.6000"},
    {"ADAUSDT", "ADA", "USDT", "0.00010000", "0.10000000", "9000000.00000000", "5.00000000", "0.4500"},
    {"DOGEUSDT", "DOGE", "USDT", "0.00001000", "1.00000000", "9000000.00000000", "1.00000000", "0.15000"},
    {"LTCUSDT", "LTC", "USDT", "0.01000000", "0.00100000", "90000.00000000", "5.00000000", "80.00"},
    {"LINKUSDT", "LINK", "USDT", "0.01000000", "0.01000000", "90000.00000000", "5.00000000", "15.00"},
    {"DOTUSDT", "DOT", "USDT", "0.00100000", "0.01000000", "90000.00000000", "5.00000000", "6.000"},
    {"PEPEUSDT", "PEPE", "USDT", "0.00000001", "1.00000000", "92141578125.00000000", "1.00000000",
     "0.00001000"},
    {"SHIBUSDT", "SHIB", "USDT", "0.00000001", "1.00000000", "92141578125.00000000", "5.00000000",
     "0.00002000"},
    {"ETHBTC", "ETH", "BTC", "0.00001000", "0.00010000", "100000.00000000", "0.00010000", "0.05000"},
    {"BNBBTC", "BNB", "BTC", "0.00000100", "0.00100000", "100000.00000000", "0.00010000", "0.010000"},
    {"ETHBNB", "ETH", "BNB", "0.00010000", "0.00010000", "100000.00000000", "0.01000000", "5.0000"},
};

static const struct entry *find(const char *name)
{
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++)
		if (strcmp(entries[i].symbol, name) == 0)
			return &entries[i];
	return NULL;
}

static cJSON *filter(const char *type)
{
	cJSON *f = cJSON_CreateObject();
	cJSON_AddStringToObject(f, "filterType", type);
	return f;
}

static cJSON *filters(const struct entry *e, const char *max_price)
{
	cJSON *a = cJSON_CreateArray();
	cJSON *f = filter("PRICE_FILTER");
	cJSON_AddStringToObject(f, "minPrice", e->tick);
	cJSON_AddStringToObject(f, "maxPrice", max_price);
	cJSON_AddStringToObject(f, "tickSize", e->tick);
	cJSON_AddItemToArray(a, f);
	f = filter("LOT_SIZE");
	cJSON_AddStringToObject(f, "minQty", e->step);
	cJSON_AddStringToObject(f, "maxQty", e->max_qty);
	cJSON_AddStringToObject(f, "stepSize", e->step);
	cJSON_AddItemToArray(a, f);
	f = filter("ICEBERG_PARTS");
	cJSON_AddNumberToObject(f, "limit", 100);
	cJSON_AddItemToArray(a, f);
	f = filter("MARKET_LOT_SIZE");
	cJSON_AddStringToObject(f, "minQty", "0.00000000");
	cJSON_AddStringToObject(f, "maxQty", e->max_qty);
	cJSON_AddStringToObject(f, "stepSize", "0.00000000");
	cJSON_AddItemToArray(a, f);
	f = filter("PERCENT_PRICE_BY_SIDE");
	cJSON_AddStringToObject(f, "bidMultiplierUp", "5");
	cJSON_AddStringToObject(f, "bidMultiplierDown", "0.2");
	cJSON_AddStringToObject(f, "askMultiplierUp", "5");
	cJSON_AddStringToObject(f, "askMultiplierDown", "0.2");
	cJSON_AddNumberToObject(f, "avgPriceMins", 5);
	cJSON_AddItemToArray(a, f);
	f = filter("NOTIONAL");
	cJSON_AddStringToObject(f, "minNotional", e->min_notional);
	cJSON_AddBoolToObject(f, "applyMinToMarket", 1);
	cJSON_AddStringToObject(f, "maxNotional", "9000000.00000000");
	cJSON_AddBoolToObject(f, "applyMaxToMarket", 0);
	cJSON_AddNumberToObject(f, "avgPriceMins", 5);
	cJSON_AddItemToArray(a, f);
	f = filter("MAX_NUM_ORDERS");
	cJSON_AddNumberToObject(f, "maxNumOrders", 200);
	cJSON_AddItemToArray(a, f);
	f = filter("MAX_NUM_ALGO_ORDERS");
	cJSON_AddNumberToObject(f, "maxNumAlgoOrders", 5);
	cJSON_AddItemToArray(a, f);
	return a;
}

static cJSON *symbol_info(const struct entry *e, const char *max_price)
{
	/* Only what spotsim simulates is advertised, so clients do not offer the rest. */
	static const char *const types[] = {"LIMIT", "LIMIT_MAKER", "MARKET"};
	cJSON *s = cJSON_CreateObject();
	cJSON_AddStringToObject(s, "symbol", e->symbol);
	cJSON_AddStringToObject(s, "status", "TRADING");
	cJSON_AddStringToObject(s, "baseAsset", e->base);
	cJSON_AddNumberToObject(s, "baseAssetPrecision", 8);
	cJSON_AddStringToObject(s, "quoteAsset", e->quote);
	cJSON_AddNumberToObject(s, "quotePrecision", 8);
	cJSON_AddNumberToObject(s, "quoteAssetPrecision", 8);
	cJSON_AddNumberToObject(s, "baseCommissionPrecision", 8);
	cJSON_AddNumberToObject(s, "quoteCommissionPrecision", 8);
	cJSON_AddItemToObject(s, "orderTypes",
	                      cJSON_CreateStringArray(types, (int)(sizeof types / sizeof types[0])));
	cJSON_AddBoolToObject(s, "icebergAllowed", 0);
	cJSON_AddBoolToObject(s, "ocoAllowed", 0);
	cJSON_AddBoolToObject(s, "otoAllowed", 0);
	cJSON_AddBoolToObject(s, "opoAllowed", 0);
	cJSON_AddBoolToObject(s, "quoteOrderQtyMarketAllowed", 1);
	cJSON_AddBoolToObject(s, "allowTrailingStop", 0);
	cJSON_AddBoolToObject(s, "cancelReplaceAllowed", 1);
	cJSON_AddBoolToObject(s, "amendAllowed", 0);
	cJSON_AddBoolToObject(s, "pegInstructionsAllowed", 0);
	cJSON_AddBoolToObject(s, "isSpotTradingAllowed", 1);
	cJSON_AddBoolToObject(s, "isMarginTradingAllowed", 0);
	cJSON_AddItemToObject(s, "filters", filters(e, max_price));
	cJSON_AddItemToObject(s, "permissions", cJSON_CreateArray());
	cJSON *sets = cJSON_CreateArray();
	const char *spot[] = {"SPOT"};
	cJSON_AddItemToArray(sets, cJSON_CreateStringArray(spot, 1));
	cJSON_AddItemToObject(s, "permissionSets", sets);
	/* EXPIRE_MAKER is what Binance's spot symbols default to. NONE is allowed too (production lists only
	 * the four preventing modes), so a client can let its own orders trade with each other on purpose. */
	cJSON_AddStringToObject(s, "defaultSelfTradePreventionMode", "EXPIRE_MAKER");
	const char *stp[] = {"NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"};
	cJSON_AddItemToObject(s, "allowedSelfTradePreventionModes",
	                      cJSON_CreateStringArray(stp, (int)(sizeof stp / sizeof stp[0])));
	return s;
}

sb_err sim_catalog_symbol(const char *name, cJSON **info, sb_dec *start_price)
{
	const struct entry *e = find(name);
	if (!e)
		return SB_ERR_NOT_FOUND;
	*info = symbol_info(e, MAX_PRICE);
	return sb_dec_parse_cstr(e->start, start_price);
}

sb_err sim_catalog_start_price(const char *name, sb_dec *start_price)
{
	const struct entry *e = find(name);
	return e ? sb_dec_parse_cstr(e->start, start_price) : SB_ERR_NOT_FOUND;
}

cJSON *sim_catalog_make(const struct sim_catalog_rules *r)
{
	char tick[SB_DEC_STRLEN], step[SB_DEC_STRLEN], notional[SB_DEC_STRLEN], max_price[SB_DEC_STRLEN];
	sb_dec_format(r->tick, tick, sizeof tick);
	sb_dec_format(r->step, step, sizeof step);
	sb_dec_format(r->min_notional, notional, sizeof notional);
	sb_dec_format(r->max_price, max_price, sizeof max_price);
	struct entry e = {r->symbol, r->base, r->quote, tick, step, "92141578125.00000000", notional, "0"};
	return symbol_info(&e, max_price);
}

static void add_limit(cJSON *a, const char *type, const char *interval, int num, int limit)
{
	cJSON *l = cJSON_CreateObject();
	cJSON_AddStringToObject(l, "rateLimitType", type);
	cJSON_AddStringToObject(l, "interval", interval);
	cJSON_AddNumberToObject(l, "intervalNum", num);
	cJSON_AddNumberToObject(l, "limit", limit);
	cJSON_AddItemToArray(a, l);
}

cJSON *sim_catalog_rate_limits(void)
{
	cJSON *a = cJSON_CreateArray();
	add_limit(a, "REQUEST_WEIGHT", "MINUTE", 1, 6000);
	add_limit(a, "ORDERS", "SECOND", 10, 100);
	add_limit(a, "ORDERS", "DAY", 1, 200000);
	add_limit(a, "RAW_REQUESTS", "MINUTE", 5, 300000);
	return a;
}

void sim_catalog_names(char *buf, size_t cap)
{
	size_t n = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof entries / sizeof entries[0] && n < cap; i++)
		n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "", entries[i].symbol);
}

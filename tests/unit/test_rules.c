/*
 * test_rules.c - symbol rules: parsing recorded exchangeInfo documents, every filter of the order check
 * with its Binance semantics (0-disabled bounds, MARKET-only behaviour), and tick/step rounding.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_json.h"

#define D(s) dec(s)

static sb_dec dec(const char *s)
{
	sb_dec v;
	cr_assert_eq(sb_dec_parse_cstr(s, &v), SB_OK, "bad decimal literal %s", s);
	return v;
}

/* Reads tests/data/exchangeinfo/<name> from the source tree; caller frees. */
static char *read_data(const char *name, size_t *len)
{
	const char *root = getenv("SB_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/exchangeinfo/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static struct sb_symbol_rules load(const char *file, const char *symbol)
{
	size_t len;
	char *json = read_data(file, &len);
	struct sb_symbol_rules r;
	char err[256];
	sb_err e = sb_rules_parse_exchange_info(json, len, symbol, &r, err, sizeof err);
	free(json);
	cr_assert_eq(e, SB_OK, "%s: %s (%s)", symbol, sb_errname(e), err);
	return r;
}

/* ---- parsing ---------------------------------------------------------------------------------------- */

Test(rules, parses_btcusdt_from_recorded_exchange_info)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	cr_assert_str_eq(r.symbol, "BTCUSDT");
	cr_assert_eq(r.status, SB_SYMBOL_TRADING);
	cr_assert_str_eq(r.base_asset, "BTC");
	cr_assert_str_eq(r.quote_asset, "USDT");
	cr_assert_eq(r.base_precision, 8);
	cr_assert_eq(r.quote_precision, 8);
	cr_assert_eq(r.base_commission_precision, 8);
	cr_assert(r.quote_order_qty_market);
	cr_assert(sb_rules_allows_type(&r, SB_ORDER_LIMIT));
	cr_assert(sb_rules_allows_type(&r, SB_ORDER_MARKET));
	cr_assert(sb_rules_allows_type(&r, SB_ORDER_LIMIT_MAKER));
	cr_assert(sb_rules_allows_type(&r, SB_ORDER_TAKE_PROFIT_LIMIT));
	cr_assert(r.price.present);
	cr_assert_eq(r.price.min_price, SB_DEC_C(0, 1000000));
	cr_assert_eq(r.price.max_price, SB_DEC_C(1000000, 0));
	cr_assert_eq(r.price.tick_size, SB_DEC_C(0, 1000000));
	cr_assert(r.lot.present);
	cr_assert_eq(r.lot.min_qty, SB_DEC_C(0, 1000));
	cr_assert_eq(r.lot.max_qty, SB_DEC_C(9000, 0));
	cr_assert_eq(r.lot.step_size, SB_DEC_C(0, 1000));
	cr_assert(r.market_lot.present);
	cr_assert_eq(r.market_lot.min_qty, 0);
	cr_assert_eq(r.market_lot.max_qty, SB_DEC_C(92, 51463867));
	cr_assert_eq(r.market_lot.step_size, 0);
	cr_assert_not(r.percent.present);
	cr_assert(r.percent_side.present);
	cr_assert_eq(r.percent_side.bid_multiplier_up, SB_DEC_C(5, 0));
	cr_assert_eq(r.percent_side.bid_multiplier_down, SB_DEC_C(0, 20000000));
	cr_assert_eq(r.percent_side.ask_multiplier_up, SB_DEC_C(5, 0));
	cr_assert_eq(r.percent_side.ask_multiplier_down, SB_DEC_C(0, 20000000));
	cr_assert_eq(r.percent_side.avg_price_mins, 5);
	cr_assert_not(r.min_notional.present);
	cr_assert(r.notional.present);
	cr_assert_eq(r.notional.min_notional, SB_DEC_C(5, 0));
	cr_assert_eq(r.notional.max_notional, SB_DEC_C(9000000, 0));
	cr_assert(r.notional.apply_min_to_market);
	cr_assert_not(r.notional.apply_max_to_market);
	cr_assert(r.has_max_num_orders);
	cr_assert_eq(r.max_num_orders, 200);
}

Test(rules, parses_eth_bnb_and_memecoin_symbols)
{
	struct sb_symbol_rules eth = load("spot_usdt.json", "ETHUSDT");
	cr_assert_eq(eth.lot.step_size, SB_DEC_C(0, 10000));
	cr_assert_eq(eth.price.tick_size, SB_DEC_C(0, 1000000));

	struct sb_symbol_rules bnb = load("spot_usdt.json", "BNBUSDT");
	cr_assert_str_eq(bnb.base_asset, "BNB");
	cr_assert_eq(bnb.lot.step_size, SB_DEC_C(0, 100000));
	cr_assert_eq(bnb.price.max_price, SB_DEC_C(100000, 0));

	struct sb_symbol_rules pepe = load("spot_usdt.json", "PEPEUSDT");
	cr_assert_eq(pepe.price.tick_size, 1);
	cr_assert_eq(pepe.price.min_price, 1);
	cr_assert_eq(pepe.lot.step_size, SB_DEC_ONE);
	cr_assert_eq(pepe.lot.min_qty, SB_DEC_ONE);
	cr_assert_eq(pepe.lot.max_qty, SB_DEC_C(92141578, 0));
	cr_assert_eq(pepe.market_lot.max_qty, SB_DEC_C(5372413924, 0));
	cr_assert_eq(pepe.notional.min_notional, SB_DEC_ONE);
	cr_assert_eq(pepe.base_precision, 2);

	struct sb_symbol_rules ethbnb = load("spot_usdt.json", "ETHBNB");
	cr_assert_str_eq(ethbnb.quote_asset, "BNB");
	cr_assert_eq(ethbnb.notional.min_notional, SB_DEC_C(0, 1000000));
}

Test(rules, keeps_a_non_trading_status)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "LUNAUSDT");
	cr_assert_eq(r.status, SB_SYMBOL_BREAK);
	cr_assert_str_eq(sb_symbol_status_name(r.status), "BREAK");
}

Test(rules, parses_legacy_symbol_with_min_notional_and_percent_price)
{
	struct sb_symbol_rules r = load("legacy_min_notional.json", "LTCBTC");
	cr_assert_str_eq(r.quote_asset, "BTC");
	cr_assert_eq(r.quote_precision, 8, "quotePrecision is accepted when quoteAssetPrecision is absent");
	cr_assert_eq(r.quote_commission_precision, 8, "absent commission precision defaults to 8");
	cr_assert_not(r.quote_order_qty_market);
	cr_assert_not(sb_rules_allows_type(&r, SB_ORDER_STOP_LOSS));
	cr_assert(sb_rules_allows_type(&r, SB_ORDER_STOP_LOSS_LIMIT));
	cr_assert(r.min_notional.present);
	cr_assert_eq(r.min_notional.min_notional, SB_DEC_C(0, 10000));
	cr_assert(r.min_notional.apply_to_market);
	cr_assert_not(r.notional.present);
	cr_assert(r.percent.present);
	cr_assert_eq(r.percent.multiplier_up, SB_DEC_C(5, 0));
	cr_assert_eq(r.percent.multiplier_down, SB_DEC_C(0, 20000000));
	cr_assert_not(r.percent_side.present);
	cr_assert_eq(r.price.tick_size, 100);
}

Test(rules, unknown_symbol_is_not_found)
{
	size_t len;
	char *json = read_data("spot_usdt.json", &len);
	struct sb_symbol_rules r;
	char err[128];
	cr_assert_eq(sb_rules_parse_exchange_info(json, len, "DOGEUSDT", &r, err, sizeof err),
	             SB_ERR_NOT_FOUND);
	cr_assert(strstr(err, "DOGEUSDT") != NULL, "%s", err);
	free(json);
}

Test(rules, find_symbol_borrows_from_the_document)
{
	size_t len;
	char *json = read_data("spot_usdt.json", &len);
	cJSON *doc = cJSON_ParseWithLength(json, len);
	const cJSON *sym = NULL;
	cr_assert_eq(sb_rules_find_symbol(doc, "PEPEUSDT", &sym), SB_OK);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(sym, "baseAsset")->valuestring, "PEPE");
	cr_assert_eq(sb_rules_find_symbol(doc, "pepeusdt", &sym), SB_ERR_NOT_FOUND, "symbol match is exact");
	cJSON *arr = cJSON_CreateArray();
	cr_assert_eq(sb_rules_find_symbol(arr, "BTCUSDT", &sym), SB_ERR_PARSE);
	cJSON_Delete(arr);
	cJSON_Delete(doc);
	free(json);
}

/* A minimal valid symbol; each malformed case below breaks exactly one thing in it. */
#define SYMBOL_HEAD                                                                                          \
	"{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"BTC\",\"baseAssetPrecision\":8,"     \
	"\"quoteAsset\":\"USDT\",\"quoteAssetPrecision\":8,\"orderTypes\":[\"LIMIT\",\"MARKET\"],"
#define PRICE_OK                                                                                             \
	"{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01\",\"maxPrice\":\"0\",\"tickSize\":\"0.01\"}"

static sb_err parse_symbol_text(const char *text, struct sb_symbol_rules *r, char *err, size_t cap)
{
	cJSON *sym = cJSON_Parse(text);
	cr_assert_not_null(sym, "test JSON must be valid: %s", text);
	sb_err e = sb_rules_from_json(sym, r, err, cap);
	cJSON_Delete(sym);
	return e;
}

static void expect_error(const char *text, sb_err want, const char *needle1, const char *needle2)
{
	struct sb_symbol_rules r;
	char err[256];
	sb_err e = parse_symbol_text(text, &r, err, sizeof err);
	cr_assert_eq(e, want, "got %s want %s (%s) for %s", sb_errname(e), sb_errname(want), err, text);
	cr_assert(strstr(err, needle1) != NULL, "message '%s' lacks '%s'", err, needle1);
	cr_assert(strstr(err, needle2) != NULL, "message '%s' lacks '%s'", err, needle2);
	cr_assert_eq(r.symbol[0], '\0', "output is zeroed on error");
}

Test(rules, minimal_symbol_parses_and_unknown_filters_are_ignored)
{
	struct sb_symbol_rules r;
	char err[256];
	const char *text =
	    SYMBOL_HEAD "\"filters\":[" PRICE_OK ",{\"filterType\":\"MAX_POSITION\",\"maxPosition\":"
	                "\"10\"},{\"filterType\":\"SOMETHING_NEW\",\"x\":[1,2]}]}";
	cr_assert_eq(parse_symbol_text(text, &r, err, sizeof err), SB_OK, "%s", err);
	cr_assert(r.price.present);
	cr_assert_eq(r.price.max_price, 0);
	cr_assert_not(r.lot.present);
	cr_assert_not(r.quote_order_qty_market, "absent quoteOrderQtyMarketAllowed means not allowed");
}

Test(rules, reports_the_missing_or_malformed_field)
{
	expect_error(
	    SYMBOL_HEAD
	    "\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.01\",\"maxPrice\":\"1\"}]}",
	    SB_ERR_PARSE, "PRICE_FILTER", "missing tickSize");
	expect_error(SYMBOL_HEAD "\"filters\":[" PRICE_OK
	                         ",{\"filterType\":\"LOT_SIZE\",\"minQty\":0.1,\"maxQty\":\"1\","
	                         "\"stepSize\":\"0.1\"}]}",
	             SB_ERR_PARSE, "filters[1] LOT_SIZE", "minQty is not a decimal string");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"-0.1\",\"maxQty\":\"1\","
	             "\"stepSize\":\"0.1\"}]}",
	             SB_ERR_RANGE, "LOT_SIZE", "minQty");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"1e-8\",\"maxQty\":\"1\","
	             "\"stepSize\":\"0.1\"}]}",
	             SB_ERR_PARSE, "LOT_SIZE", "minQty \"1e-8\"");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"0.000000001\",\"maxQty\":\"1\","
	             "\"stepSize\":\"0.1\"}]}",
	             SB_ERR_PRECISION, "LOT_SIZE", "minQty");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"LOT_SIZE\",\"minQty\":\"2\",\"maxQty\":\"1\","
	             "\"stepSize\":\"0.1\"}]}",
	             SB_ERR_PARSE, "LOT_SIZE", "minQty exceeds maxQty");
	expect_error(SYMBOL_HEAD "\"filters\":[" PRICE_OK "," PRICE_OK "]}", SB_ERR_PARSE,
	             "filters[1] PRICE_FILTER", "duplicate filter");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"NOTIONAL\",\"minNotional\":\"5\",\"applyMinToMarket\":1,"
	             "\"maxNotional\":\"0\",\"applyMaxToMarket\":false,\"avgPriceMins\":5}]}",
	             SB_ERR_PARSE, "NOTIONAL", "applyMinToMarket is not a boolean");
	expect_error(
	    SYMBOL_HEAD
	    "\"filters\":[{\"filterType\":\"MIN_NOTIONAL\",\"minNotional\":\"5\",\"applyToMarket\":true,"
	    "\"avgPriceMins\":2.5}]}",
	    SB_ERR_RANGE, "MIN_NOTIONAL", "avgPriceMins is not an integer");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"MAX_NUM_ORDERS\",\"maxNumOrders\":\"200\"}]}",
	             SB_ERR_PARSE, "MAX_NUM_ORDERS", "maxNumOrders is not a number");
	expect_error(SYMBOL_HEAD
	             "\"filters\":[{\"filterType\":\"PERCENT_PRICE_BY_SIDE\",\"bidMultiplierUp\":\"5\","
	             "\"bidMultiplierDown\":\"0.2\",\"askMultiplierUp\":\"5\",\"avgPriceMins\":5}]}",
	             SB_ERR_PARSE, "PERCENT_PRICE_BY_SIDE", "missing askMultiplierDown");
	expect_error(SYMBOL_HEAD "\"filters\":[{\"minPrice\":\"1\"}]}", SB_ERR_PARSE, "filters[0]",
	             "missing filterType");
	expect_error(SYMBOL_HEAD "\"filters\":{}}", SB_ERR_PARSE, "symbol BTCUSDT",
	             "filters is not an array");
	expect_error(SYMBOL_HEAD "\"x\":1}", SB_ERR_PARSE, "symbol BTCUSDT", "missing filters");
	expect_error("{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"quoteAsset\":\"USDT\",\"filters\":[]}",
	             SB_ERR_PARSE, "symbol BTCUSDT", "missing baseAsset");
	expect_error("{\"status\":\"TRADING\"}", SB_ERR_PARSE, "symbol", "missing symbol");
	expect_error(
	    "{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"BTC\",\"baseAssetPrecision\":9,"
	    "\"quoteAsset\":\"USDT\",\"quoteAssetPrecision\":8,\"orderTypes\":[],\"filters\":[]}",
	    SB_ERR_RANGE, "symbol BTCUSDT", "baseAssetPrecision");
	expect_error(
	    "{\"symbol\":\"BTCUSDT\",\"status\":\"TRADING\",\"baseAsset\":\"BTC\",\"baseAssetPrecision\":8,"
	    "\"quoteAsset\":\"USDT\",\"quoteAssetPrecision\":8,\"orderTypes\":[\"LIMIT\",7],\"filters\":[]}",
	    SB_ERR_PARSE, "symbol BTCUSDT", "orderTypes");
	expect_error(
	    "{\"symbol\":\"AN_ABSURDLY_LONG_SYMBOL_NAME_THAT_NO_EXCHANGE_WOULD_EVER_LIST_ANYWHERE\"}",
	    SB_ERR_TOO_LONG, "symbol", "longer than");
}

Test(rules, self_trade_prevention_modes_of_a_production_symbol)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	cr_assert_eq(r.stp_default, SB_STP_EXPIRE_MAKER);
	cr_assert(sb_rules_allows_stp(&r, SB_STP_EXPIRE_TAKER));
	cr_assert(sb_rules_allows_stp(&r, SB_STP_EXPIRE_MAKER));
	cr_assert(sb_rules_allows_stp(&r, SB_STP_EXPIRE_BOTH));
	cr_assert(sb_rules_allows_stp(&r, SB_STP_DECREMENT));
	cr_assert_not(sb_rules_allows_stp(&r, SB_STP_NONE));
	cr_assert_not(sb_rules_allows_stp(&r, SB_STP_TRANSFER));
	cr_assert_not(sb_rules_allows_stp(&r, SB_STP_DEFAULT), "not sending one is no mode");
}

Test(rules, self_trade_prevention_fields_are_optional_and_new_modes_ignored)
{
	struct sb_symbol_rules r;
	char err[256];
	cr_assert_eq(parse_symbol_text(SYMBOL_HEAD "\"filters\":[]}", &r, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(r.stp_default, SB_STP_DEFAULT);
	cr_assert_eq(r.stp_allowed, 0u);
	cr_assert_not(sb_rules_allows_stp(&r, SB_STP_EXPIRE_TAKER));
	cr_assert_eq(parse_symbol_text(SYMBOL_HEAD
	                               "\"defaultSelfTradePreventionMode\":\"NONE\","
	                               "\"allowedSelfTradePreventionModes\":[\"NONE\",\"SOMETHING_NEW\"],"
	                               "\"filters\":[]}",
	                               &r, err, sizeof err),
	             SB_OK, "%s", err);
	cr_assert_eq(r.stp_default, SB_STP_NONE);
	cr_assert_eq(r.stp_allowed, 1u << SB_STP_NONE);
	expect_error(SYMBOL_HEAD "\"allowedSelfTradePreventionModes\":\"NONE\",\"filters\":[]}", SB_ERR_PARSE,
	             "symbol BTCUSDT", "allowedSelfTradePreventionModes is not an array");
	expect_error(SYMBOL_HEAD "\"defaultSelfTradePreventionMode\":1,\"filters\":[]}", SB_ERR_PARSE,
	             "symbol BTCUSDT", "defaultSelfTradePreventionMode is not a string");
	enum sb_stp_mode m;
	cr_assert_eq(sb_stp_mode_parse("EXPIRE_TAKER", 12, &m), SB_OK);
	cr_assert_eq(m, SB_STP_EXPIRE_TAKER);
	cr_assert_eq(sb_stp_mode_parse("DEFAULT", 7, &m), SB_ERR_NOT_FOUND, "never a name on the wire");
	cr_assert_str_eq(sb_stp_mode_name(SB_STP_EXPIRE_MAKER), "EXPIRE_MAKER");
}

Test(rules, unknown_status_is_kept_as_other)
{
	struct sb_symbol_rules r;
	char err[256];
	const char *text =
	    "{\"symbol\":\"BTCUSDT\",\"status\":\"AUCTION_MATCH\",\"baseAsset\":\"BTC\",\"baseAssetPrecision\":8,"
	    "\"quoteAsset\":\"USDT\",\"quoteAssetPrecision\":8,\"orderTypes\":[\"LIMIT\",\"OTO\"],"
	    "\"filters\":[]}";
	cr_assert_eq(parse_symbol_text(text, &r, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(r.status, SB_SYMBOL_OTHER);
	cr_assert_eq(r.order_types, 1u << SB_ORDER_LIMIT, "unknown order types are ignored");
}

Test(rules, invalid_documents_are_errors_not_crashes)
{
	struct sb_symbol_rules r;
	char err[64];
	cr_assert_eq(sb_rules_parse_exchange_info("{\"symbols\":[", 12, "BTCUSDT", &r, err, sizeof err),
	             SB_ERR_PARSE);
	cr_assert_eq(sb_rules_parse_exchange_info("{}", 2, "BTCUSDT", &r, err, sizeof err), SB_ERR_PARSE);
	cr_assert_eq(
	    sb_rules_parse_exchange_info("{\"symbols\":[1,\"x\",{}]}", 22, "BTCUSDT", &r, err, sizeof err),
	    SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_rules_from_json(NULL, &r, err, sizeof err), SB_ERR_INVALID);
	/* A tiny error buffer truncates the message, never overflows it. */
	char tiny[8];
	cr_assert_eq(sb_rules_parse_exchange_info("{}", 2, "BTCUSDT", &r, tiny, sizeof tiny), SB_ERR_PARSE);
	cr_assert_lt(strlen(tiny), sizeof tiny);
}

/* ---- names ------------------------------------------------------------------------------------------ */

Test(rules, filter_names_match_binance)
{
	cr_assert_str_eq(sb_filter_name(SB_FILTER_PRICE_FILTER), "PRICE_FILTER");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_PERCENT_PRICE), "PERCENT_PRICE");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_PERCENT_PRICE_BY_SIDE), "PERCENT_PRICE_BY_SIDE");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_LOT_SIZE), "LOT_SIZE");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_MARKET_LOT_SIZE), "MARKET_LOT_SIZE");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_MIN_NOTIONAL), "MIN_NOTIONAL");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_NOTIONAL), "NOTIONAL");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_MAX_NUM_ORDERS), "MAX_NUM_ORDERS");
	cr_assert_str_eq(sb_filter_name(SB_FILTER_NONE), "NONE");
	cr_assert_str_eq(sb_filter_name((enum sb_filter)99), "UNKNOWN");
	enum sb_order_type t;
	cr_assert_eq(sb_order_type_parse("LIMIT_MAKER", 11, &t), SB_OK);
	cr_assert_eq(t, SB_ORDER_LIMIT_MAKER);
	cr_assert_eq(sb_order_type_parse("LIMIT_MAKERX", 12, &t), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_order_type_parse("LIMIT", 4, &t), SB_ERR_NOT_FOUND);
	cr_assert_str_eq(sb_order_type_name(SB_ORDER_MARKET), "MARKET");
	cr_assert_str_eq(sb_side_name(SB_SIDE_SELL), "SELL");
}

/* ---- validate --------------------------------------------------------------------------------------- */

static enum sb_filter check(const struct sb_symbol_rules *r, enum sb_side side, enum sb_order_type type,
                            const char *price, const char *qty, const char *quote, const char *ref,
                            int64_t open)
{
	struct sb_order_spec o = {
	    .side = side,
	    .type = type,
	    .price = price ? D(price) : 0,
	    .quantity = qty ? D(qty) : 0,
	    .quote_order_qty = quote ? D(quote) : 0,
	    .ref_price = ref ? D(ref) : 0,
	    .open_orders = open,
	};
	enum sb_filter f = SB_FILTER__COUNT;
	sb_err e = sb_rules_validate(r, &o, &f);
	cr_assert(e == SB_OK || e == SB_ERR_FILTER, "unexpected %s", sb_errname(e));
	cr_assert_eq(e == SB_OK, f == SB_FILTER_NONE);
	return f;
}

#define BUY  SB_SIDE_BUY
#define SELL SB_SIDE_SELL
#define LIM  SB_ORDER_LIMIT
#define MKT  SB_ORDER_MARKET
#define LMK  SB_ORDER_LIMIT_MAKER

Test(validate, btcusdt_limit_orders_pass_and_fail_on_the_right_filter)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	/* 0.001 @ 50000 = 50 USDT: fine. */
	cr_assert_eq(check(&r, BUY, LIM, "50000.00", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, SELL, LMK, "50000.01", "0.00001", NULL, "50000", 199), SB_FILTER_NOTIONAL,
	             "0.00001 * 50000.01 = 0.50 < 5");
	/* PRICE_FILTER: off-tick, below min, above max. */
	cr_assert_eq(check(&r, BUY, LIM, "50000.005", "0.001", NULL, "50000", 0), SB_FILTER_PRICE_FILTER);
	cr_assert_eq(check(&r, BUY, LIM, "0.001", "10000", NULL, NULL, 0), SB_FILTER_PRICE_FILTER);
	cr_assert_eq(check(&r, SELL, LIM, "1000000.01", "0.001", NULL, NULL, 0), SB_FILTER_PRICE_FILTER);
	cr_assert_eq(check(&r, SELL, LIM, "1000000.00", "0.001", NULL, NULL, 0), SB_FILTER_NONE,
	             "max is inclusive");
	/* LOT_SIZE: below min, off-step, above max. */
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.000009", NULL, NULL, 0), SB_FILTER_LOT_SIZE);
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.000015", NULL, NULL, 0), SB_FILTER_LOT_SIZE);
	cr_assert_eq(check(&r, BUY, LIM, "0.01", "9000.00001", NULL, NULL, 0), SB_FILTER_LOT_SIZE);
	cr_assert_eq(check(&r, BUY, LIM, "0.01", "9000", NULL, NULL, 0), SB_FILTER_NONE, "90 USDT at maxQty");
	/* NOTIONAL: 5 exactly passes, one tick less fails; above 9,000,000 fails. */
	cr_assert_eq(check(&r, BUY, LIM, "50000.00", "0.0001", NULL, NULL, 0), SB_FILTER_NONE,
	             "notional 5.00");
	cr_assert_eq(check(&r, BUY, LIM, "49999.99", "0.0001", NULL, NULL, 0), SB_FILTER_NOTIONAL,
	             "notional 4.999999 < 5");
	cr_assert_eq(check(&r, BUY, LIM, "1000000", "9", NULL, NULL, 0), SB_FILTER_NONE,
	             "notional 9,000,000");
	cr_assert_eq(check(&r, BUY, LIM, "1000000", "9.00001", NULL, NULL, 0), SB_FILTER_NOTIONAL);
	/* MAX_NUM_ORDERS: 199 open plus this one is 200, allowed; 200 open refuses the 201st. */
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.001", NULL, NULL, 199), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.001", NULL, NULL, 200), SB_FILTER_MAX_NUM_ORDERS);
	cr_assert_eq(check(&r, BUY, MKT, NULL, "0.001", NULL, "50000", 200), SB_FILTER_MAX_NUM_ORDERS);
}

Test(validate, percent_price_by_side_uses_bid_for_buy_and_ask_for_sell)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	r.percent_side.bid_multiplier_up = D("1.05");
	r.percent_side.bid_multiplier_down = D("0.5");
	r.percent_side.ask_multiplier_up = D("2");
	r.percent_side.ask_multiplier_down = D("0.95");
	/* ref 50000: BUY band [25000, 52500], SELL band [47500, 100000]. */
	cr_assert_eq(check(&r, BUY, LIM, "52500.00", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "52500.01", "0.001", NULL, "50000", 0),
	             SB_FILTER_PERCENT_PRICE_BY_SIDE);
	cr_assert_eq(check(&r, BUY, LIM, "25000.00", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "24999.99", "0.001", NULL, "50000", 0),
	             SB_FILTER_PERCENT_PRICE_BY_SIDE);
	cr_assert_eq(check(&r, SELL, LIM, "52500.01", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, SELL, LIM, "100000.00", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, SELL, LIM, "100000.01", "0.001", NULL, "50000", 0),
	             SB_FILTER_PERCENT_PRICE_BY_SIDE);
	cr_assert_eq(check(&r, SELL, LIM, "47500.00", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, SELL, LIM, "47499.99", "0.001", NULL, "50000", 0),
	             SB_FILTER_PERCENT_PRICE_BY_SIDE);
	/* Unknown reference price: the band cannot be checked and is skipped. */
	cr_assert_eq(check(&r, SELL, LIM, "47499.99", "0.001", NULL, NULL, 0), SB_FILTER_NONE);
	/* An up multiplier of 0 disables the upper bound only. */
	r.percent_side.ask_multiplier_up = 0;
	cr_assert_eq(check(&r, SELL, LIM, "999999.99", "0.001", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, SELL, LIM, "47499.99", "0.001", NULL, "50000", 0),
	             SB_FILTER_PERCENT_PRICE_BY_SIDE);
}

Test(validate, legacy_percent_price_and_min_notional)
{
	struct sb_symbol_rules r = load("legacy_min_notional.json", "LTCBTC");
	/* ref 0.01 BTC: band [0.002, 0.05]. */
	cr_assert_eq(check(&r, BUY, LIM, "0.050000", "1", NULL, "0.01", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "0.050001", "1", NULL, "0.01", 0), SB_FILTER_PERCENT_PRICE);
	cr_assert_eq(check(&r, SELL, LIM, "0.001999", "1", NULL, "0.01", 0), SB_FILTER_PERCENT_PRICE);
	/* MIN_NOTIONAL 0.0001 BTC: 0.01 * 0.01 = 0.0001 passes, 0.009 fails. */
	cr_assert_eq(check(&r, BUY, LIM, "0.010000", "0.01", NULL, "0.01", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "0.010000", "0.009", NULL, "0.01", 0), SB_FILTER_MIN_NOTIONAL);
	/* applyToMarket: the MARKET order is checked at the reference price. */
	cr_assert_eq(check(&r, SELL, MKT, NULL, "0.009", NULL, "0.01", 0), SB_FILTER_MIN_NOTIONAL);
	cr_assert_eq(check(&r, SELL, MKT, NULL, "0.01", NULL, "0.01", 0), SB_FILTER_NONE);
	r.min_notional.apply_to_market = false;
	cr_assert_eq(check(&r, SELL, MKT, NULL, "0.009", NULL, "0.01", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "0.010000", "0.009", NULL, "0.01", 0), SB_FILTER_MIN_NOTIONAL,
	             "limit orders are checked regardless of applyToMarket");
}

Test(validate, zero_disables_each_price_filter_bound)
{
	struct sb_symbol_rules r = {0};
	r.order_types = 1u << SB_ORDER_LIMIT;
	r.price.present = true;
	r.price.min_price = D("1");
	r.price.max_price = D("10");
	r.price.tick_size = D("0.5");
	cr_assert_eq(check(&r, BUY, LIM, "0.5", "1", NULL, NULL, 0), SB_FILTER_PRICE_FILTER);
	cr_assert_eq(check(&r, BUY, LIM, "10.5", "1", NULL, NULL, 0), SB_FILTER_PRICE_FILTER);
	cr_assert_eq(check(&r, BUY, LIM, "1.25", "1", NULL, NULL, 0), SB_FILTER_PRICE_FILTER);
	r.price.min_price = 0;
	cr_assert_eq(check(&r, BUY, LIM, "0.5", "1", NULL, NULL, 0), SB_FILTER_NONE);
	r.price.max_price = 0;
	cr_assert_eq(check(&r, BUY, LIM, "1000000.5", "1", NULL, NULL, 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "1.25", "1", NULL, NULL, 0), SB_FILTER_PRICE_FILTER,
	             "tick still on");
	r.price.tick_size = 0;
	cr_assert_eq(check(&r, BUY, LIM, "1.23456789", "1", NULL, NULL, 0), SB_FILTER_NONE);
	/* LOT_SIZE: a step of 0 and a max of 0 are no checks either. */
	r.lot = (struct sb_lot_filter){.present = true, .min_qty = D("0.1"), .max_qty = 0, .step_size = 0};
	cr_assert_eq(check(&r, BUY, LIM, "1", "123456.12345678", NULL, NULL, 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "1", "0.09999999", NULL, NULL, 0), SB_FILTER_LOT_SIZE);
	/* NOTIONAL with a max of 0: no upper bound. */
	r.notional = (struct sb_notional_filter){.present = true, .min_notional = D("1"), .max_notional = 0};
	cr_assert_eq(check(&r, BUY, LIM, "1000", "80000000", NULL, NULL, 0), SB_FILTER_NONE);
	/* No filters at all: anything well formed passes. */
	struct sb_symbol_rules bare = {.order_types = 1u << SB_ORDER_LIMIT};
	cr_assert_eq(check(&bare, SELL, LIM, "0.00000001", "0.00000001", NULL, NULL, 1000000),
	             SB_FILTER_NONE);
}

Test(validate, market_orders_use_market_lot_size_as_well_as_lot_size)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	/* MARKET_LOT_SIZE max 92.51463867, step 0 (no step check); LOT_SIZE still applies with its step. */
	cr_assert_eq(check(&r, SELL, MKT, NULL, "92.5", NULL, "50000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, SELL, MKT, NULL, "92.52", NULL, "50000", 0), SB_FILTER_MARKET_LOT_SIZE);
	cr_assert_eq(check(&r, SELL, LIM, "50000", "92.52", NULL, "50000", 0), SB_FILTER_NONE,
	             "limit orders ignore MARKET_LOT_SIZE");
	cr_assert_eq(check(&r, SELL, MKT, NULL, "0.000015", NULL, "50000", 0), SB_FILTER_LOT_SIZE,
	             "LOT_SIZE step applies to MARKET too");
	/* A MARKET_LOT_SIZE step, when set, is checked on MARKET orders only. */
	r.market_lot.step_size = D("0.001");
	cr_assert_eq(check(&r, SELL, MKT, NULL, "0.00101", NULL, "50000", 0), SB_FILTER_MARKET_LOT_SIZE);
	cr_assert_eq(check(&r, SELL, LIM, "50000", "0.00101", NULL, NULL, 0), SB_FILTER_NONE);
	r.market_lot.min_qty = D("0.01");
	cr_assert_eq(check(&r, SELL, MKT, NULL, "0.005", NULL, "50000", 0), SB_FILTER_MARKET_LOT_SIZE);
}

Test(validate, market_notional_uses_reference_price_and_apply_flags)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	/* applyMinToMarket true: 0.00009 * 50000 = 4.5 < 5 fails; the price filter is not consulted. */
	cr_assert_eq(check(&r, BUY, MKT, NULL, "0.00009", NULL, "50000", 0), SB_FILTER_NOTIONAL);
	cr_assert_eq(check(&r, BUY, MKT, NULL, "0.0001", NULL, "50000", 0), SB_FILTER_NONE);
	/* No reference price: the notional is unknown, so not checked. */
	cr_assert_eq(check(&r, BUY, MKT, NULL, "0.00009", NULL, NULL, 0), SB_FILTER_NONE);
	/* applyMaxToMarket false: a 10,000,000 notional MARKET passes; a LIMIT does not. */
	cr_assert_eq(check(&r, BUY, MKT, NULL, "90", NULL, "111111.12", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, LIM, "111111.12", "90", NULL, NULL, 0), SB_FILTER_NOTIONAL);
	r.notional.apply_max_to_market = true;
	cr_assert_eq(check(&r, BUY, MKT, NULL, "90", NULL, "111111.12", 0), SB_FILTER_NOTIONAL);
	r.notional.apply_min_to_market = false;
	cr_assert_eq(check(&r, BUY, MKT, NULL, "0.00009", NULL, "50000", 0), SB_FILTER_NONE);
}

Test(validate, market_by_quote_order_qty)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	/* quoteOrderQty is the notional: 4.99 fails, 5 passes, with or without a reference price. */
	cr_assert_eq(check(&r, BUY, MKT, NULL, NULL, "4.99", "50000", 0), SB_FILTER_NOTIONAL);
	cr_assert_eq(check(&r, BUY, MKT, NULL, NULL, "4.99", NULL, 0), SB_FILTER_NOTIONAL);
	cr_assert_eq(check(&r, BUY, MKT, NULL, NULL, "5", "50000", 0), SB_FILTER_NONE);
	/* The implied quantity is 10 USDT / 1,000,000 = 0.00001 -> passes LOT_SIZE min; at 2,000,000 it is
	 * 0.000005, floored to 0 -> LOT_SIZE. */
	cr_assert_eq(check(&r, BUY, MKT, NULL, NULL, "10", "1000000", 0), SB_FILTER_NONE);
	cr_assert_eq(check(&r, BUY, MKT, NULL, NULL, "10", "2000000", 0), SB_FILTER_LOT_SIZE);
	/* The implied quantity 5,000,000 / 50,000 = 100 exceeds MARKET_LOT_SIZE's 92.51 but not LOT_SIZE. */
	cr_assert_eq(check(&r, BUY, MKT, NULL, NULL, "5000000", "50000", 0), SB_FILTER_MARKET_LOT_SIZE);
}

Test(validate, malformed_or_disallowed_orders_are_not_filter_failures)
{
	struct sb_symbol_rules r = load("legacy_min_notional.json", "LTCBTC");
	enum sb_filter f;
	struct sb_order_spec o = {
	    .side = SB_SIDE_BUY, .type = SB_ORDER_MARKET, .quote_order_qty = D("1"), .ref_price = D("0.01")};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_UNSUPPORTED,
	             "quoteOrderQtyMarketAllowed is false");
	cr_assert_eq(f, SB_FILTER_NONE);
	o = (struct sb_order_spec){
	    .side = SB_SIDE_BUY, .type = SB_ORDER_STOP_LOSS, .price = D("1"), .quantity = D("1")};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_INVALID,
	             "only LIMIT, MARKET, LIMIT_MAKER are checked");
	o = (struct sb_order_spec){
	    .side = SB_SIDE_BUY, .type = SB_ORDER_LIMIT, .price = 0, .quantity = D("1")};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_INVALID, "a limit order needs a price");
	o = (struct sb_order_spec){
	    .side = SB_SIDE_BUY, .type = SB_ORDER_MARKET, .quantity = D("1"), .quote_order_qty = D("1")};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_INVALID,
	             "quantity and quoteOrderQty are exclusive");
	o = (struct sb_order_spec){.side = SB_SIDE_BUY, .type = SB_ORDER_MARKET};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_INVALID, "one of them is required");
	o = (struct sb_order_spec){
	    .side = SB_SIDE_BUY, .type = SB_ORDER_LIMIT, .price = D("1"), .quantity = -1};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_INVALID);
	r.order_types &= ~(1u << SB_ORDER_LIMIT_MAKER);
	o = (struct sb_order_spec){
	    .side = SB_SIDE_BUY, .type = SB_ORDER_LIMIT_MAKER, .price = D("0.01"), .quantity = D("1")};
	cr_assert_eq(sb_rules_validate(&r, &o, &f), SB_ERR_UNSUPPORTED);
	cr_assert_eq(sb_rules_validate(NULL, &o, &f), SB_ERR_INVALID);
}

Test(validate, checks_filters_in_the_documented_order)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	/* Off-tick price, off-step quantity, tiny notional, too many orders: PRICE_FILTER is reported. */
	cr_assert_eq(check(&r, BUY, LIM, "0.015", "0.000015", NULL, "50000", 500), SB_FILTER_PRICE_FILTER);
	/* Fix the price (but out of band): PERCENT_PRICE_BY_SIDE next. */
	cr_assert_eq(check(&r, BUY, LIM, "0.01", "0.000015", NULL, "50000", 500),
	             SB_FILTER_PERCENT_PRICE_BY_SIDE);
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.000015", NULL, "50000", 500), SB_FILTER_LOT_SIZE);
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.00001", NULL, "50000", 500), SB_FILTER_NOTIONAL);
	cr_assert_eq(check(&r, BUY, LIM, "50000", "0.001", NULL, "50000", 500), SB_FILTER_MAX_NUM_ORDERS);
}

/* ---- rounding --------------------------------------------------------------------------------------- */

Test(rounding, price_rounds_down_for_buys_and_up_for_sells)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	sb_dec out;
	cr_assert_eq(sb_rules_round_price(&r, SB_SIDE_BUY, D("50000.019"), &out), SB_OK);
	cr_assert_eq(out, D("50000.01"));
	cr_assert_eq(sb_rules_round_price(&r, SB_SIDE_SELL, D("50000.011"), &out), SB_OK);
	cr_assert_eq(out, D("50000.02"));
	cr_assert_eq(sb_rules_round_price(&r, SB_SIDE_SELL, D("50000.01"), &out), SB_OK);
	cr_assert_eq(out, D("50000.01"), "an aligned price is unchanged");
	struct sb_symbol_rules pepe = load("spot_usdt.json", "PEPEUSDT");
	cr_assert_eq(sb_rules_round_price(&pepe, SB_SIDE_SELL, D("0.00001234"), &out), SB_OK);
	cr_assert_eq(out, D("0.00001234"), "tick 1e-8 is the decimal's own resolution");
	r.price.tick_size = 0;
	cr_assert_eq(sb_rules_round_price(&r, SB_SIDE_SELL, D("1.23456789"), &out), SB_OK);
	cr_assert_eq(out, D("1.23456789"));
	cr_assert_eq(sb_rules_round_price(&r, SB_SIDE_SELL, -1, &out), SB_ERR_INVALID);
}

Test(rounding, quantity_floors_to_lot_step_and_market_step)
{
	struct sb_symbol_rules r = load("spot_usdt.json", "BTCUSDT");
	sb_dec out;
	cr_assert_eq(sb_rules_round_qty(&r, SB_ORDER_LIMIT, D("0.000999"), &out), SB_OK);
	cr_assert_eq(out, D("0.00099"));
	cr_assert_eq(sb_rules_round_qty(&r, SB_ORDER_MARKET, D("0.000999"), &out), SB_OK);
	cr_assert_eq(out, D("0.00099"), "MARKET_LOT_SIZE step 0 adds nothing");
	r.market_lot.step_size = D("0.001");
	cr_assert_eq(sb_rules_round_qty(&r, SB_ORDER_MARKET, D("0.002999"), &out), SB_OK);
	cr_assert_eq(out, D("0.002"));
	cr_assert_eq(sb_rules_round_qty(&r, SB_ORDER_LIMIT, D("0.002999"), &out), SB_OK);
	cr_assert_eq(out, D("0.00299"));
	/* Steps that do not divide each other: the result is a multiple of both (lcm 0.0006). */
	r.lot.step_size = D("0.0002");
	r.market_lot.step_size = D("0.0003");
	cr_assert_eq(sb_rules_round_qty(&r, SB_ORDER_MARKET, D("0.0011"), &out), SB_OK);
	cr_assert_eq(out, D("0.0006"));
	struct sb_symbol_rules pepe = load("spot_usdt.json", "PEPEUSDT");
	cr_assert_eq(sb_rules_round_qty(&pepe, SB_ORDER_LIMIT, D("123456.999"), &out), SB_OK);
	cr_assert_eq(out, D("123456"));
	cr_assert_eq(sb_rules_round_qty(&pepe, SB_ORDER_LIMIT, -1, &out), SB_ERR_INVALID);
}

/* Reference for the exact notional comparison: with the price in cents and the quantity in units of
 * 0.00001, the notional in units of 1e-7 is the plain integer product, so both must agree everywhere. */
Test(validate, notional_comparison_agrees_with_integer_reference)
{
	struct sb_symbol_rules r = {.order_types = 1u << SB_ORDER_LIMIT};
	r.notional =
	    (struct sb_notional_filter){.present = true, .min_notional = D("5"), .max_notional = D("7")};
	srand(12345);
	for (int i = 0; i < 20000; i++) {
		/* price in units of 0.01, qty in units of 0.00001: the notional in units of 1e-7 is their
		 * product. */
		int64_t p = 1 + rand() % 2000000, q = 1 + rand() % 100;
		char ps[32], qs[32];
		snprintf(ps, sizeof ps, "%lld.%02lld", (long long)(p / 100), (long long)(p % 100));
		snprintf(qs, sizeof qs, "0.%05lld", (long long)q);
		__int128 n = (__int128)p * q; /* notional * 10^7 */
		bool ok = n >= 50000000 && n <= 70000000;
		enum sb_filter f = check(&r, BUY, LIM, ps, qs, NULL, NULL, 0);
		cr_assert_eq(f == SB_FILTER_NONE, ok, "%s * %s", ps, qs);
	}
}

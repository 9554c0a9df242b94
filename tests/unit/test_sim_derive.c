/*
 * test_sim_derive.c - rules derived from a kline file for a replayed symbol no list has: the grid from
 * the file's decimals, the assets from the name, and the exchangeInfo object the rules parser reads.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <string.h>

#include "core/rules_json.h"
#include "sbtest_dec.h"
#include "sim/derive.h"

static struct sb_kline row(const char *open, const char *high, const char *low, const char *close,
                           const char *volume)
{
	struct sb_kline k = {.open = D(open),
	                     .high = D(high),
	                     .low = D(low),
	                     .close = D(close),
	                     .volume = D(volume),
	                     .taker_buy_volume = D("0")};
	return k;
}

Test(sim_derive, tick_and_step_are_the_finest_decimals_the_file_uses)
{
	struct sb_kline rows[] = {
	    row("3.95800000", "3.95900000", "3.956", "3.958", "45103.80000000"),
	    row("3.958", "3.962", "3.95", "3.9615", "6864.25"),
	};
	sb_dec tick, step;
	sim_derive_grid(rows, 2, &tick, &step);
	cr_assert_eq(tick, D("0.0001"), "3.9615 has four places; trailing zeros do not count");
	cr_assert_eq(step, D("0.01"));
}

Test(sim_derive, whole_prices_and_volumes_give_a_grid_of_one)
{
	struct sb_kline rows[] = {row("60000", "60010", "59990", "60005", "12")};
	sb_dec tick, step;
	sim_derive_grid(rows, 1, &tick, &step);
	cr_assert_eq(tick, D("1"));
	cr_assert_eq(step, D("1"));
}

Test(sim_derive, the_quote_asset_is_the_longest_known_suffix)
{
	static const struct {
		const char *symbol, *base, *quote;
	} cases[] = {
	    {"NEWCOINUSDT", "NEWCOIN", "USDT"}, {"ETHBTC", "ETH", "BTC"}, {"SOLFDUSD", "SOL", "FDUSD"},
	    {"PEPEUSDC", "PEPE", "USDC"},       {"ADABNB", "ADA", "BNB"}, {"BTCTUSD", "BTC", "TUSD"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char base[SB_SYMBOL_MAX], quote[SB_SYMBOL_MAX];
		cr_assert_eq(sim_derive_assets(cases[i].symbol, base, quote), SB_OK, "%s", cases[i].symbol);
		cr_assert_str_eq(base, cases[i].base, "%s", cases[i].symbol);
		cr_assert_str_eq(quote, cases[i].quote, "%s", cases[i].symbol);
	}
	char base[SB_SYMBOL_MAX], quote[SB_SYMBOL_MAX];
	cr_assert_eq(sim_derive_assets("NEWCOIN", base, quote), SB_ERR_NOT_FOUND);
	cr_assert_eq(sim_derive_assets("USDT", base, quote), SB_ERR_NOT_FOUND, "nothing left for a base");
}

/* The rules sb_rules_from_json reads from the derived object. */
static struct sb_symbol_rules derived(const char *symbol, struct sb_kline *rows, size_t n)
{
	cJSON *info = NULL;
	char why[256] = "";
	cr_assert_eq(sim_derive_symbol(symbol, rows, n, &info, why, sizeof why), SB_OK, "%s", why);
	struct sb_symbol_rules r;
	cr_assert_eq(sb_rules_from_json(info, &r, why, sizeof why), SB_OK, "%s", why);
	cJSON_Delete(info);
	return r;
}

Test(sim_derive, the_symbol_object_reads_back_as_its_rules)
{
	struct sb_kline rows[] = {row("3.958", "3.962", "3.956", "3.961", "6864.2")};
	struct sb_symbol_rules r = derived("NEWCOINUSDT", rows, 1);
	cr_assert_str_eq(r.symbol, "NEWCOINUSDT");
	cr_assert_str_eq(r.base_asset, "NEWCOIN");
	cr_assert_str_eq(r.quote_asset, "USDT");
	cr_assert_eq(r.price.tick_size, D("0.001"));
	cr_assert_eq(r.lot.step_size, D("0.1"));
	cr_assert_eq(r.lot.min_qty, D("0.1"));
	cr_assert_eq(r.notional.min_notional, D("5"), "a dollar quote has Binance's usual 5");
	cr_assert_geq(r.price.max_price, D("39.62"), "room for ten times the highest price");
}

Test(sim_derive, a_btc_quote_gets_a_small_minimum_and_a_high_price_room)
{
	struct sb_kline rows[] = {row("200000.5", "250000.5", "199000", "240000", "1.5")};
	struct sb_symbol_rules r = derived("XYZBTC", rows, 1);
	cr_assert_eq(r.notional.min_notional, D("0.0001"));
	cr_assert_geq(r.price.max_price, D("2500005"), "ten times the highest price");
}

Test(sim_derive, prices_too_high_for_ten_times_still_fit_under_max_price)
{
	struct sb_kline rows[] = {row("60000000000", "60000000001", "59999999999", "60000000000", "1")};
	struct sb_symbol_rules r = derived("BIGUSDT", rows, 1);
	cr_assert_geq(r.price.max_price, D("60000000001"), "the file's highest price must stay tradable");
	cr_assert_eq(r.price.max_price % r.price.tick_size, 0);
}

Test(sim_derive, a_base_asset_too_long_for_an_asset_name_is_refused_with_the_reason)
{
	struct sb_kline rows[] = {row("1", "1", "1", "1", "1")};
	cJSON *info = NULL;
	char why[256] = "";
	cr_assert_eq(
	    sim_derive_symbol("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789USDT", rows, 1, &info, why, sizeof why),
	    SB_ERR_TOO_LONG);
	cr_assert_not_null(strstr(why, "base asset"), "%s", why);
	cr_assert_null(info);
	cr_assert_eq(
	    sim_derive_symbol("ABCDEFGHIJKLMNOPQRSTUVWXYZ01234USDT", rows, 1, &info, why, sizeof why), SB_OK,
	    "%s", why);
	struct sb_symbol_rules r;
	cr_assert_eq(sb_rules_from_json(info, &r, why, sizeof why), SB_OK, "31 bytes is an asset name: %s",
	             why);
	cJSON_Delete(info);
}

Test(sim_derive, no_klines_or_no_quote_asset_is_refused_with_the_reason)
{
	struct sb_kline rows[] = {row("1", "1", "1", "1", "1")};
	cJSON *info = NULL;
	char why[256] = "";
	cr_assert_neq(sim_derive_symbol("NEWCOINUSDT", rows, 0, &info, why, sizeof why), SB_OK);
	cr_assert_not_null(strstr(why, "no klines"), "%s", why);
	cr_assert_neq(sim_derive_symbol("NEWCOIN", rows, 1, &info, why, sizeof why), SB_OK);
	cr_assert_not_null(strstr(why, "quote asset"), "%s", why);
	cr_assert_null(info);
}

Test(sim_derive, klines_taken_one_at_a_time_derive_what_the_whole_file_does)
{
	struct sb_kline rows[] = {
	    row("3.958", "3.962", "3.956", "3.961", "6864.2"),
	    row("3.961", "41.5", "3.9605", "4.1", "12.25"),
	};
	struct sim_derive d = {0};
	for (size_t i = 0; i < 2; i++)
		sim_derive_add(&d, &rows[i]);
	cr_assert_eq(d.count, 2);
	cr_assert_eq(d.high, D("41.5"));
	sb_dec tick, step, gt, gs;
	sim_derive_sizes(&d, &tick, &step);
	sim_derive_grid(rows, 2, &gt, &gs);
	cr_assert_eq(tick, D("0.0001"));
	cr_assert_eq(step, D("0.01"));
	cr_assert_eq(tick, gt);
	cr_assert_eq(step, gs);
	cJSON *streamed = NULL, *whole = NULL;
	char why[256] = "";
	cr_assert_eq(sim_derive_info("NEWCOINUSDT", &d, &streamed, why, sizeof why), SB_OK, "%s", why);
	cr_assert_eq(sim_derive_symbol("NEWCOINUSDT", rows, 2, &whole, why, sizeof why), SB_OK, "%s", why);
	cr_assert(cJSON_Compare(streamed, whole, true), "the same exchangeInfo object");
	cJSON_Delete(streamed);
	cJSON_Delete(whole);
	struct sim_derive none = {0};
	cr_assert_eq(sim_derive_info("NEWCOINUSDT", &none, &streamed, why, sizeof why), SB_ERR_PARSE);
	cr_assert_not_null(strstr(why, "no klines"), "%s", why);
}

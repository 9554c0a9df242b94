/*
 * test_profit.c - the profit calculator on worked examples computed by hand (in the comments), its
 * refusals (dust, filters, implausible rates), and a property test that checks every computed sell
 * price with exact 128-bit arithmetic written independently of the implementation.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "spotbot/profit.h"

/* Hand-built rules like the recorded exchangeInfo (tests/data/exchangeinfo/spot_usdt.json), without a
 * LOT_SIZE maximum so that large memecoin quantities are sellable in one order. */
static struct sb_symbol_rules usdt_rules(const char *sym, const char *base, const char *tick,
                                         const char *step, const char *max_price, const char *min_notional)
{
	struct sb_symbol_rules r = {0};
	snprintf(r.symbol, sizeof r.symbol, "%s", sym);
	snprintf(r.base_asset, sizeof r.base_asset, "%s", base);
	snprintf(r.quote_asset, sizeof r.quote_asset, "USDT");
	r.order_types = 1u << SB_ORDER_LIMIT | 1u << SB_ORDER_MARKET | 1u << SB_ORDER_LIMIT_MAKER;
	r.price = (struct sb_price_filter){
	    .present = true, .min_price = D(tick), .max_price = D(max_price), .tick_size = D(tick)};
	r.lot =
	    (struct sb_lot_filter){.present = true, .min_qty = D(step), .max_qty = 0, .step_size = D(step)};
	r.notional = (struct sb_notional_filter){.present = true,
	                                         .min_notional = D(min_notional),
	                                         .max_notional = D("9000000"),
	                                         .apply_min_to_market = true};
	r.percent_side = (struct sb_percent_side_filter){.present = true,
	                                                 .bid_multiplier_up = D("5"),
	                                                 .bid_multiplier_down = D("0.2"),
	                                                 .ask_multiplier_up = D("5"),
	                                                 .ask_multiplier_down = D("0.2")};
	r.has_max_num_orders = true;
	r.max_num_orders = 200;
	return r;
}

static struct sb_symbol_rules btcusdt(void)
{
	return usdt_rules("BTCUSDT", "BTC", "0.01", "0.00001", "1000000", "5");
}

static const struct sb_profit_params std_params = {
    .sell_fee_rate = SB_DEC_C(0, 100000), /* 0.1% */
    .target_profit = SB_DEC_C(0, 500000), /* 0.5% */
};

/* ---- worked examples -------------------------------------------------------------------------------- */

Test(profit, btc_commission_in_base)
{
	/*
	 * Buy 0.00100 BTC @ 50000.00 = 50.00 USDT; commission 0.1% = 0.000001 BTC taken from the BTC.
	 * received = 0.001 - 0.000001 = 0.000999 -> sellable (step 0.00001) 0.00099, dust 0.000009.
	 * cost = 50.00; must net 50.00 * 1.005 = 50.25.
	 * s >= 50.25 / (0.00099 * 0.999) = 50.25 / 0.00098901 = 50808.3841...  -> tick 0.01 up: 50808.39.
	 * Check: 0.00099 * 50808.39 * 0.999 = 50.2500057939 >= 50.25; at 50808.38: 50.2499959038 < 50.25.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.00100", "50.00", "0.000001", "BTC", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_OK);
	cr_assert_eq(p.buy.qty_bought, D("0.001"));
	cr_assert_eq(p.buy.base_commission, D("0.000001"));
	cr_assert_eq(p.buy.base_received, D("0.000999"));
	cr_assert_eq(p.buy.quote_spent, D("50"));
	cr_assert_eq(p.buy.fee_quote, 0);
	cr_assert_eq(p.buy.cost_quote, D("50"));
	cr_assert_eq(p.buy.avg_price, D("50000"));
	cr_assert_eq(p.sell_qty, D("0.00099"));
	cr_assert_eq(p.dust, D("0.000009"));
	cr_assert_eq(p.target_net, D("50.25"));
	cr_assert_eq(p.min_sell_price, D("50808.39"));
	/* 0.00099 * 50808.39 = 50.3003061; * 0.999 = 50.2500057939 -> floor 50.25000579. */
	cr_assert_eq(p.expected_net, D("50.25000579"));
	cr_assert_eq(p.rejected_by, SB_FILTER_NONE);
}

Test(profit, btc_commission_in_quote)
{
	/*
	 * Buy 0.001 BTC @ 50000.00, commission 0.05 USDT: received 0.001 (sellable 0.001, no dust),
	 * cost 50.05; must net 50.05 * 1.005 = 50.30025.
	 * s >= 50.30025 / (0.001 * 0.999) = 50350.6006... -> 50350.61.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.001", "50", "0.05", "USDT", 7);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_OK);
	cr_assert_eq(p.buy.base_received, D("0.001"));
	cr_assert_eq(p.buy.fee_quote, D("0.05"));
	cr_assert_eq(p.buy.cost_quote, D("50.05"));
	cr_assert_eq(p.sell_qty, D("0.001"));
	cr_assert_eq(p.dust, 0);
	cr_assert_eq(p.target_net, D("50.30025"));
	cr_assert_eq(p.min_sell_price, D("50350.61"));
}

Test(profit, btc_commission_in_bnb)
{
	/*
	 * Buy 0.001 BTC @ 50000.00, commission 0.0000625 BNB (0.075%) with BNB at 600.00 USDT:
	 * fee = 0.0375 USDT, cost 50.0375, received 0.001.
	 * s >= 50.0375 * 1.005 / 0.000999 = 50.2876875 / 0.000999 = 50338.0255... -> 50338.03.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.001", "50", "0.0000625", "BNB", 9);
	struct sb_profit_params pp = std_params;
	pp.bnb_price = D("600");
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_OK);
	cr_assert_eq(p.buy.fee_quote, D("0.0375"));
	cr_assert_eq(p.buy.cost_quote, D("50.0375"));
	cr_assert_eq(p.sell_qty, D("0.001"));
	cr_assert_eq(p.min_sell_price, D("50338.03"));
	/* Without the BNB price the BNB commission cannot be valued. */
	pp.bnb_price = 0;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_ERR_INVALID);
	cr_assert_eq(p.min_sell_price, 0, "output zeroed on error");
}

Test(profit, bnb_commission_on_bnbusdt_counts_as_base)
{
	/* On BNBUSDT the BNB commission comes out of the bought BNB: no BNB price is needed.
	 * Buy 1.000 BNB @ 600.00, commission 0.00075 BNB -> received 0.99925 -> sellable (step 0.001) 0.999,
	 * dust 0.00025. s >= 600 * 1.005 / (0.999 * 0.999) = 603 / 0.998001 = 604.2078... -> 604.21. */
	struct sb_symbol_rules r = usdt_rules("BNBUSDT", "BNB", "0.01", "0.001", "100000", "5");
	struct sb_fill f = fill("600.00", "1.000", "600", "0.00075", "BNB", 3);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_OK);
	cr_assert_eq(p.buy.base_received, D("0.99925"));
	cr_assert_eq(p.sell_qty, D("0.999"));
	cr_assert_eq(p.dust, D("0.00025"));
	cr_assert_eq(p.min_sell_price, D("604.21"));
}

Test(profit, memecoin_with_tiny_tick_and_unit_step)
{
	/*
	 * PEPEUSDT, tick 0.00000001, step 1. Buy 1,234,567 PEPE @ 0.00001234 = 15.23455678 USDT,
	 * commission 0.1% = 1234.567 PEPE -> received 1,233,332.433 -> sellable 1,233,332, dust 0.433.
	 * s >= 15.23455678 * 1.005 / (1233332 * 0.999) = 15.3107295639 / 1232098.668 = 0.0000124265...
	 *   -> 0.00001243.
	 */
	struct sb_symbol_rules r = usdt_rules("PEPEUSDT", "PEPE", "0.00000001", "1", "1", "1");
	struct sb_fill f = fill("0.00001234", "1234567", "15.23455678", "1234.567", "PEPE", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_OK);
	cr_assert_eq(p.buy.base_received, D("1233332.433"));
	cr_assert_eq(p.sell_qty, D("1233332"));
	cr_assert_eq(p.dust, D("0.433"));
	cr_assert_eq(p.min_sell_price, D("0.00001243"));
}

Test(profit, several_partial_fills_at_different_prices)
{
	/*
	 * Fills: 0.0004 @ 50000.00 (20.000), 0.0003 @ 50010.00 (15.003), 0.0003 @ 50020.00 (15.006),
	 * each with 0.1% commission in BTC: total 0.001 BTC for 50.009 USDT, commission 0.000001 BTC.
	 * received 0.000999 -> sellable 0.00099. avg price 50009.
	 * s >= 50.009 * 1.005 / 0.00098901 = 50.259045 / 0.00098901 = 50817.5296... -> 50817.53.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f[] = {
	    fill("50000.00", "0.0004", "20", "0.0000004", "BTC", 100),
	    fill("50010.00", "0.0003", "15.003", "0.0000003", "BTC", 101),
	    fill("50020.00", "0.0003", "0", "0.0000003", "BTC", 102), /* quote not reported: price * qty */
	};
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, f, 3, &std_params, &p), SB_OK);
	cr_assert_eq(p.buy.qty_bought, D("0.001"));
	cr_assert_eq(p.buy.quote_spent, D("50.009"));
	cr_assert_eq(p.buy.avg_price, D("50009"));
	cr_assert_eq(p.sell_qty, D("0.00099"));
	cr_assert_eq(p.min_sell_price, D("50817.53"));
}

Test(profit, zero_target_only_covers_the_fees)
{
	/* t = 0: s >= 50 / 0.00098901 = 50555.6061... -> 50555.61. */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.00100", "50.00", "0.000001", "BTC", 1);
	struct sb_profit_params pp = std_params;
	pp.target_profit = 0;
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_OK);
	cr_assert_eq(p.min_sell_price, D("50555.61"));
}

/* ---- dust and filters ------------------------------------------------------------------------------- */

Test(profit, received_below_step_is_all_dust)
{
	/* 0.00001 BTC bought, 0.00000001 commission: 0.00000999 received, below the 0.00001 step. */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.00001", "0.5", "0.00000001", "BTC", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_ERR_DUST);
	cr_assert_eq(p.rejected_by, SB_FILTER_LOT_SIZE);
	cr_assert_eq(p.sell_qty, 0);
	cr_assert_eq(p.dust, D("0.00000999"));
	cr_assert_eq(p.buy.cost_quote, D("0.5"), "the cost is still reported");
}

Test(profit, partial_buy_below_min_notional_is_all_dust)
{
	/*
	 * A buy cancelled after a partial fill of 0.00004 BTC @ 50000 (2 USDT): received 0.00003996,
	 * sellable 0.00003, s = 67067.07, notional 0.00003 * 67067.07 = 2.01 < 5 -> NOTIONAL: all dust.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.00004", "2", "0.00000004", "BTC", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_ERR_DUST);
	cr_assert_eq(p.rejected_by, SB_FILTER_NOTIONAL);
	cr_assert_eq(p.min_sell_price, D("67067.07"));
	cr_assert_eq(p.sell_qty, 0);
	cr_assert_eq(p.dust, D("0.00003996"));
}

Test(profit, legacy_min_notional_dust)
{
	/* LTCBTC: tick 0.000001, step 0.001, MIN_NOTIONAL 0.0001 BTC. Buy 0.005 LTC @ 0.01 (0.00005 BTC),
	 * commission 0.000005 LTC: sellable 0.004 @ 0.012576 = 0.0000503 BTC < 0.0001. */
	struct sb_symbol_rules r = {0};
	snprintf(r.base_asset, sizeof r.base_asset, "LTC");
	snprintf(r.quote_asset, sizeof r.quote_asset, "BTC");
	r.order_types = 1u << SB_ORDER_LIMIT;
	r.price = (struct sb_price_filter){.present = true,
	                                   .min_price = D("0.000001"),
	                                   .max_price = D("100000"),
	                                   .tick_size = D("0.000001")};
	r.lot = (struct sb_lot_filter){
	    .present = true, .min_qty = D("0.001"), .max_qty = D("100000"), .step_size = D("0.001")};
	r.min_notional = (struct sb_min_notional_filter){.present = true, .min_notional = D("0.0001")};
	struct sb_fill f = fill("0.010000", "0.005", "0.00005", "0.000005", "LTC", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_ERR_DUST);
	cr_assert_eq(p.rejected_by, SB_FILTER_MIN_NOTIONAL);
	cr_assert_eq(p.min_sell_price, D("0.012576"));
	cr_assert_eq(p.dust, D("0.004995"));
}

Test(profit, price_above_max_price_is_a_filter_failure)
{
	/* BNBUSDT maxPrice 100000: bought at 99990 with 0.1% in BNB, s = 99990 * 1.005 / 0.998001 =
	 * 100691.24. */
	struct sb_symbol_rules r = usdt_rules("BNBUSDT", "BNB", "0.01", "0.001", "100000", "5");
	struct sb_fill f = fill("99990.00", "1", "99990", "0.001", "BNB", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_ERR_FILTER);
	cr_assert_eq(p.rejected_by, SB_FILTER_PRICE_FILTER);
	cr_assert_eq(p.min_sell_price, D("100691.24"));
	cr_assert_eq(p.sell_qty, D("0.999"));
}

Test(profit, outside_the_percent_band_is_reported_with_a_reference_price)
{
	/* The market crashed to 10000: the 50808.39 sell is above 5 x 10000 and would be refused now. */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.00100", "50.00", "0.000001", "BTC", 1);
	struct sb_profit_params pp = std_params;
	pp.ref_price = D("10000");
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_ERR_FILTER);
	cr_assert_eq(p.rejected_by, SB_FILTER_PERCENT_PRICE_BY_SIDE);
	cr_assert_eq(p.min_sell_price, D("50808.39"));
	pp.ref_price = D("50000");
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_OK);
}

Test(profit, price_below_min_price_is_raised_to_it)
{
	struct sb_symbol_rules r = btcusdt();
	r.price.min_price = D("60000");
	struct sb_fill f = fill("50000.00", "0.00100", "50.00", "0.000001", "BTC", 1);
	struct sb_sell_plan p;
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &std_params, &p), SB_OK);
	cr_assert_eq(p.min_sell_price, D("60000"));
}

/* ---- refusals --------------------------------------------------------------------------------------- */

Test(profit, implausible_fee_rates_and_targets_are_refused)
{
	cr_assert_eq(sb_profit_check_fee(0), SB_OK);
	cr_assert_eq(sb_profit_check_fee(D("0.0199999")), SB_OK);
	cr_assert_eq(sb_profit_check_fee(D("0.02")), SB_ERR_SUSPICIOUS);
	cr_assert_eq(sb_profit_check_fee(D("0.1")), SB_ERR_SUSPICIOUS);
	cr_assert_eq(sb_profit_check_fee(D("-0.00000001")), SB_ERR_SUSPICIOUS);
	cr_assert_eq(sb_profit_check_target(0), SB_OK);
	cr_assert_eq(sb_profit_check_target(D("0.99999999")), SB_OK);
	cr_assert_eq(sb_profit_check_target(D("1")), SB_ERR_SUSPICIOUS);
	cr_assert_eq(sb_profit_check_target(D("5")), SB_ERR_SUSPICIOUS, "5 meant as 5%");
	cr_assert_eq(sb_profit_check_target(D("-0.001")), SB_ERR_RANGE);

	struct sb_symbol_rules r = btcusdt();
	struct sb_fill f = fill("50000.00", "0.00100", "50.00", "0.000001", "BTC", 1);
	struct sb_profit_params pp = std_params;
	struct sb_sell_plan p;
	pp.sell_fee_rate = D("0.02");
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_ERR_SUSPICIOUS);
	pp = std_params;
	pp.target_profit = D("-0.01");
	cr_assert_eq(sb_profit_plan_sell(&r, &f, 1, &pp, &p), SB_ERR_RANGE);
}

Test(profit, inconsistent_fills_are_refused)
{
	struct sb_symbol_rules r = btcusdt();
	struct sb_buy_cost b;
	struct sb_fill two[] = {fill("50000", "0.001", "50", "0", "", 5),
	                        fill("50000", "0.001", "50", "0", "", 5)};
	cr_assert_eq(sb_profit_buy_cost(&r, two, 2, 0, &b), SB_ERR_INVALID, "a trade id counted twice");
	struct sb_fill f = fill("50000", "0.001", "50.01", "0", "", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, 0, &b), SB_ERR_SUSPICIOUS, "quote is not price * qty");
	f = fill("50000", "0.001", "50", "0.00002", "BTC", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, 0, &b), SB_ERR_SUSPICIOUS, "a 2% commission");
	f = fill("50000", "0.001", "50", "1", "USDT", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, 0, &b), SB_ERR_SUSPICIOUS, "a 2% commission in quote");
	f = fill("50000", "0.001", "50", "0.01", "BNB", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, D("600"), &b), SB_ERR_SUSPICIOUS, "6 USDT of BNB on 50");
	f = fill("50000", "0.001", "50", "0.01", "ETH", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, 0, &b), SB_ERR_UNSUPPORTED, "commission in a third asset");
	f = fill("50000", "0", "0", "0", "", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, 0, &b), SB_ERR_INVALID);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 0, 0, &b), SB_ERR_INVALID, "no fills");
	f = fill("50000", "0.001", "50", "0", "BNB", 1);
	cr_assert_eq(sb_profit_buy_cost(&r, &f, 1, 0, &b), SB_OK, "a zero BNB commission needs no BNB price");
	cr_assert_eq(b.cost_quote, D("50"));
}

/* ---- realised profit -------------------------------------------------------------------------------- */

Test(profit, cycle_net_profit_from_real_fills)
{
	/*
	 * Buy as in btc_commission_in_base (cost 50.00), sell 0.00099 @ 50808.39 = 50.3003061 USDT with
	 * commission 0.05030031 USDT: net proceeds 50.25000579, profit 0.25000579 = 0.50001158% of cost
	 * (ratio 0.0050001158 -> 0.00500012 half-even).
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill buy = fill("50000.00", "0.00100", "50.00", "0.000001", "BTC", 1);
	struct sb_fill sell = fill("50808.39", "0.00099", "50.3003061", "0.05030031", "USDT", 2);
	struct sb_cycle_result c;
	cr_assert_eq(sb_profit_cycle(&r, &buy, 1, &sell, 1, 0, &c), SB_OK);
	cr_assert_eq(c.qty_sold, D("0.00099"));
	cr_assert_eq(c.proceeds, D("50.3003061"));
	cr_assert_eq(c.sell_fee_quote, D("0.05030031"));
	cr_assert_eq(c.net_proceeds, D("50.25000579"));
	cr_assert_eq(c.net_profit, D("0.25000579"));
	cr_assert_eq(c.profit_ratio, D("0.00500012"));
	cr_assert_geq(c.net_profit, D("0.25"), "the target of 0.5% on 50 is met");
}

Test(profit, cycle_with_bnb_and_base_sell_commissions_and_a_loss)
{
	/*
	 * Buy 0.001 @ 50000 (BNB commission 0.0000625 at 600 = 0.0375): cost 50.0375.
	 * Sell in two fills: 0.0005 @ 49000 = 24.5 (commission 0.00004 BNB at 600 = 0.024 USDT) and
	 * 0.0005 @ 48000 = 24 (commission 0.0000005 BTC valued at 48000 = 0.024 USDT).
	 * Proceeds 48.5, fees 0.048, net 48.452, profit 48.452 - 50.0375 = -1.5855.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_fill buy = fill("50000", "0.001", "50", "0.0000625", "BNB", 1);
	struct sb_fill sells[] = {fill("49000", "0.0005", "24.5", "0.00004", "BNB", 2),
	                          fill("48000", "0.0005", "24", "0.0000005", "BTC", 3)};
	struct sb_cycle_result c;
	cr_assert_eq(sb_profit_cycle(&r, &buy, 1, sells, 2, D("600"), &c), SB_OK);
	cr_assert_eq(c.buy.cost_quote, D("50.0375"));
	cr_assert_eq(c.proceeds, D("48.5"));
	cr_assert_eq(c.sell_fee_quote, D("0.048"));
	cr_assert_eq(c.net_profit, D("-1.5855"));
	/* -1.5855 / 50.0375 = -0.031686235323... -> -0.03168624 */
	cr_assert_eq(c.profit_ratio, D("-0.03168624"));
	/* Nothing sold yet: the whole cost is the loss. */
	cr_assert_eq(sb_profit_cycle(&r, &buy, 1, NULL, 0, D("600"), &c), SB_OK);
	cr_assert_eq(c.net_profit, D("-50.0375"));
	cr_assert_eq(sb_profit_cycle(&r, &buy, 1, sells, 2, 0, &c), SB_ERR_INVALID, "BNB price needed");
}

/* ---- property test ---------------------------------------------------------------------------------- */

__extension__ typedef __int128 i128;

static uint64_t rng_state = 0x5eed5eed12345678ULL;

static uint64_t rnd(uint64_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state % n;
}

static int64_t pow10i(unsigned k)
{
	int64_t v = 1;
	while (k--)
		v *= 10;
	return v;
}

static i128 ceil_div(i128 a, i128 b)
{
	return (a + b - 1) / b;
}

/* Exact: does selling q at s with fee f net at least c * (1 + t)? Raw scaled integers throughout:
 * q*s*(10^8 - f) / 10^24 >= c*(10^8 + t) / 10^16. */
static bool pays(int64_t q, int64_t s, int64_t f, int64_t c, int64_t t)
{
	const i128 e8 = 100000000;
	return (i128)q * s * (e8 - f) >= (i128)c * (e8 + t) * e8;
}

Test(profit, property_min_sell_price_is_exact_over_random_cases)
{
	const i128 e8 = 100000000;
	int ok = 0, dust = 0;
	for (int iter = 0; iter < 20000; iter++) {
		struct sb_symbol_rules r = {0};
		snprintf(r.base_asset, sizeof r.base_asset, "XYZ");
		snprintf(r.quote_asset, sizeof r.quote_asset, "USDT");
		r.order_types = 1u << SB_ORDER_LIMIT;
		int64_t tick = pow10i((unsigned)rnd(9)), step = pow10i((unsigned)rnd(9));
		r.price = (struct sb_price_filter){.present = true, .tick_size = tick};
		r.lot = (struct sb_lot_filter){.present = true, .min_qty = step, .step_size = step};
		struct sb_fill fills[5];
		size_t n = 1 + rnd(5);
		int64_t bnb = 1 + (int64_t)rnd(1000) * e8;
		/* Independent reference sums. */
		i128 qty_sum = 0, base_comm = 0, cost = 0;
		for (size_t i = 0; i < n; i++) {
			struct sb_fill *f = &fills[i];
			memset(f, 0, sizeof *f);
			f->trade_id = (int64_t)i + 1;
			f->price = tick * (1 + (int64_t)rnd(1000000));
			f->qty = step * (1 + (int64_t)rnd(1000000));
			i128 exact = (i128)f->price * f->qty;     /* quote * 10^16 */
			if (exact > (i128)1000000000 * e8 * e8) { /* keep each fill under 1e9 quote */
				f->qty = step;
				exact = (i128)f->price * f->qty;
			}
			i128 qfloor = exact / e8, qceil = ceil_div(exact, e8);
			int mode = (int)rnd(3);
			f->quote_qty = (int64_t)(mode == 0 ? qfloor : mode == 1 ? qceil : 0);
			/* An unreported quote (0, also a floor of 0) counts as price * qty rounded up. */
			i128 quote = mode == 0 && qfloor > 0 ? qfloor : qceil;
			int64_t rate = (int64_t)rnd(150001); /* up to 0.15% */
			switch (rnd(4)) {
			case 0:
				break;
			case 1:
				f->commission = (int64_t)((i128)f->qty * rate / e8);
				snprintf(f->commission_asset, sizeof f->commission_asset, "XYZ");
				base_comm += f->commission;
				break;
			case 2:
				f->commission = (int64_t)(quote * rate / e8);
				snprintf(f->commission_asset, sizeof f->commission_asset, "USDT");
				cost += f->commission;
				break;
			default:
				f->commission = (int64_t)(quote * rate / bnb);
				snprintf(f->commission_asset, sizeof f->commission_asset, "BNB");
				cost += ceil_div((i128)f->commission * bnb, e8);
				break;
			}
			qty_sum += f->qty;
			cost += quote;
		}
		struct sb_profit_params pp = {.bnb_price = bnb,
		                              .sell_fee_rate = (int64_t)rnd(2000000),   /* [0, 2%) */
		                              .target_profit = (int64_t)rnd(10000001)}; /* [0, 10%] */
		struct sb_sell_plan p;
		sb_err e = sb_profit_plan_sell(&r, fills, n, &pp, &p);
		i128 received = qty_sum - base_comm;
		i128 sellable = received / step * step;
		cr_assert_eq((i128)p.buy.base_received, received, "iter %d", iter);
		cr_assert_eq((i128)p.buy.cost_quote, cost, "iter %d", iter);
		if (sellable == 0) {
			cr_assert_eq(e, SB_ERR_DUST, "iter %d", iter);
			cr_assert_eq((i128)p.dust, received);
			dust++;
			continue;
		}
		cr_assert_eq(e, SB_OK, "iter %d: %s", iter, sb_errname(e));
		cr_assert_eq((i128)p.sell_qty, sellable);
		cr_assert_eq((i128)p.dust, received - sellable);
		cr_assert_eq(p.min_sell_price % tick, 0, "iter %d: tick-aligned", iter);
		cr_assert(
		    pays(p.sell_qty, p.min_sell_price, pp.sell_fee_rate, p.buy.cost_quote, pp.target_profit),
		    "iter %d: the computed price pays the target", iter);
		if (p.min_sell_price > tick)
			cr_assert_not(pays(p.sell_qty, p.min_sell_price - tick, pp.sell_fee_rate,
			                   p.buy.cost_quote, pp.target_profit),
			              "iter %d: one tick lower still pays: not minimal", iter);
		ok++;
	}
	cr_assert_gt(ok, 15000, "most random cases must be sellable (ok %d, dust %d)", ok, dust);
}

/*
 * test_position.c - the position state machine and its accounting: partial buy fills with commission in
 * base, quote and BNB (exact sums), the cycle to CLOSED with the realised profit worked out by hand,
 * cancellation, partial sells followed by a market exit, abandon, held duration and the names.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sbtest_dec.h"
#include "spotbot/position.h"

/* BTCUSDT: tick 0.01, step 0.00001, minimum notional 5. */
static struct sb_symbol_rules btcusdt(void)
{
	struct sb_symbol_rules r = {0};
	snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
	snprintf(r.base_asset, sizeof r.base_asset, "BTC");
	snprintf(r.quote_asset, sizeof r.quote_asset, "USDT");
	r.status = SB_SYMBOL_TRADING;
	r.order_types = 1u << SB_ORDER_LIMIT | 1u << SB_ORDER_MARKET;
	r.price = (struct sb_price_filter){.present = true, .min_price = D("0.01"), .tick_size = D("0.01")};
	r.lot = (struct sb_lot_filter){.present = true, .min_qty = D("0.00001"), .step_size = D("0.00001")};
	r.notional = (struct sb_notional_filter){.present = true, .min_notional = D("5")};
	return r;
}

static struct sb_position new_position(void)
{
	struct sb_position p;
	cr_assert_eq(sb_position_init(&p, 42, "BTCUSDT", "BTC", "USDT", 1000), SB_OK);
	return p;
}

Test(position, init_starts_buying)
{
	struct sb_position p = new_position();
	cr_assert_eq(p.state, SB_POSITION_BUYING);
	cr_assert_eq(p.id, 42);
	cr_assert_str_eq(p.symbol, "BTCUSDT");
	cr_assert_eq(p.created_ms, 1000);
	cr_assert_eq(p.opened_ms, 0);
	cr_assert_eq(sb_position_init(&p, 0, "BTCUSDT", "BTC", "USDT", 1), SB_ERR_INVALID);
	cr_assert_eq(sb_position_init(&p, 1, "", "BTC", "USDT", 1), SB_ERR_INVALID);
	char huge[100];
	memset(huge, 'A', sizeof huge - 1);
	huge[99] = '\0';
	cr_assert_eq(sb_position_init(&p, 1, huge, "BTC", "USDT", 1), SB_ERR_INVALID);
	cr_assert_eq(p.id, 0, "zeroed on error");
}

Test(position, transition_table)
{
	const enum sb_position_state B = SB_POSITION_BUYING, H = SB_POSITION_HOLDING, S = SB_POSITION_SELLING,
	                             C = SB_POSITION_CLOSED, X = SB_POSITION_CANCELED,
	                             A = SB_POSITION_ABANDONED;
	struct {
		enum sb_position_state from, to;
	} legal[] = {{B, H}, {B, X}, {B, A}, {H, S}, {H, A}, {S, H}, {S, C}, {S, A}};
	for (int f = 0; f < SB_POSITION_STATE__COUNT; f++)
		for (int t = 0; t < SB_POSITION_STATE__COUNT; t++) {
			bool want = false;
			for (size_t i = 0; i < sizeof legal / sizeof legal[0]; i++)
				want |= legal[i].from == (enum sb_position_state)f &&
				        legal[i].to == (enum sb_position_state)t;
			cr_assert_eq(sb_position_can((enum sb_position_state)f, (enum sb_position_state)t),
			             want, "%s -> %s", sb_position_state_name((enum sb_position_state)f),
			             sb_position_state_name((enum sb_position_state)t));
			struct sb_position p = new_position();
			p.state = (enum sb_position_state)f;
			sb_err err = sb_position_transition(&p, (enum sb_position_state)t, 5000);
			cr_assert_eq(err, want ? SB_OK : SB_ERR_STATE);
			cr_assert_eq(p.state, want ? t : f);
			cr_assert_eq(p.ended_ms, want && sb_position_state_is_final((enum sb_position_state)t)
			                             ? 5000
			                             : 0);
		}
}

Test(position, partial_buy_fills_with_base_commission)
{
	/* 0.0006 @ 50000 = 30 and 0.0004 @ 49990 = 19.996, 0.1% taken in BTC each time. */
	struct sb_position p = new_position();
	struct sb_fill f1 = fill("50000", "0.0006", "30", "0.0000006", "BTC", 101);
	struct sb_fill f2 = fill("49990", "0.0004", "19.996", "0.0000004", "BTC", 102);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f1, 10000), SB_OK);
	cr_assert_eq(p.opened_ms, 10000, "duration counts from the first fill");
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f2, 12000), SB_OK);
	cr_assert_eq(p.opened_ms, 10000);
	cr_assert_eq(p.buy_qty, D("0.001"));
	cr_assert_eq(p.buy_quote, D("49.996"));
	cr_assert_eq(p.buy_fee.base, D("0.000001"));
	cr_assert_eq(p.buy_fee.quote, 0);
	cr_assert_eq(p.buy_fills, 2);
	cr_assert_eq(sb_position_remaining(&p), D("0.000999"));
	/* The same trade again changes nothing. */
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f1, 10000), SB_ERR_EXISTS);
	cr_assert_eq(p.buy_qty, D("0.001"));
	cr_assert_eq(p.buy_fills, 2);
}

Test(position, commission_in_quote_bnb_and_other_assets_is_kept_apart)
{
	struct sb_position p = new_position();
	struct sb_fill fq = fill("50000", "0.0005", "25", "0.025", "USDT", 1);
	struct sb_fill fb = fill("50000", "0.0003", "0", "0.00001875", "BNB", 2); /* quote 0: price * qty */
	struct sb_fill fo = fill("50000", "0.0002", "10", "0.001", "ETH", 3);
	struct sb_fill fz = fill("50000", "0.0001", "5", "0", "", 4);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &fq, 1), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &fb, 2), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &fo, 3), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &fz, 4), SB_OK);
	cr_assert_eq(p.buy_qty, D("0.0011"));
	cr_assert_eq(p.buy_quote, D("55"), "25 + 15 + 10 + 5");
	cr_assert_eq(p.buy_fee.quote, D("0.025"));
	cr_assert_eq(p.buy_fee.bnb, D("0.00001875"));
	cr_assert_eq(p.buy_fee.other, D("0.001"));
	cr_assert_eq(p.buy_fee.base, 0);
	cr_assert_eq(sb_position_remaining(&p), D("0.0011"), "nothing taken from the coins");
}

Test(position, bnb_is_base_on_a_bnb_pair)
{
	struct sb_position p;
	cr_assert_eq(sb_position_init(&p, 1, "BNBUSDT", "BNB", "USDT", 0), SB_OK);
	struct sb_fill f = fill("600", "1", "600", "0.001", "BNB", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 1), SB_OK);
	cr_assert_eq(p.buy_fee.base, D("0.001"));
	cr_assert_eq(p.buy_fee.bnb, 0);
	cr_assert_eq(sb_position_remaining(&p), D("0.999"));
}

Test(position, bad_fills_change_nothing)
{
	struct sb_position p = new_position();
	struct sb_fill f = fill("50000", "0", "0", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 1), SB_ERR_INVALID);
	f = fill("0", "0.1", "0", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 1), SB_ERR_INVALID);
	f = fill("1", "0.1", "0.1", "-0.1", "BTC", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 1), SB_ERR_INVALID);
	f = fill("90000000000", "90000000000", "0", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 1), SB_ERR_OVERFLOW);
	cr_assert_eq(p.buy_qty, 0);
	cr_assert_eq(p.buy_fills, 0);
	cr_assert_eq(p.opened_ms, 0);
	/* Sell fills are refused while buying. */
	f = fill("1", "0.1", "0.1", "0", "", 1);
	cr_assert_eq(sb_position_apply_sell_fill(&p, &f, 1), SB_ERR_STATE);
}

Test(position, out_of_order_fills_open_at_the_earliest_trade)
{
	struct sb_position p = new_position();
	struct sb_fill f2 = fill("50000", "0.0004", "20", "0", "", 2);
	struct sb_fill f1 = fill("50000", "0.0006", "30", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f2, 12000), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f1, 10000), SB_OK);
	cr_assert_eq(p.opened_ms, 10000);
}

Test(position, buy_ended_needs_every_fill)
{
	struct sb_position p = new_position();
	struct sb_fill f1 = fill("50000", "0.0006", "30", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f1, 10), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.001"), 20), SB_ERR_NOT_FOUND, "a fill is missing");
	cr_assert_eq(p.state, SB_POSITION_BUYING);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.0005"), 20), SB_ERR_INVALID,
	             "more applied than executed");
	/* A partly filled buy cancelled at its timeout continues with what it got. */
	cr_assert_eq(sb_position_buy_ended(&p, D("0.0006"), 20), SB_OK);
	cr_assert_eq(p.state, SB_POSITION_HOLDING);
	cr_assert_eq(p.ended_ms, 0);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.0006"), 20), SB_ERR_STATE);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f1, 10), SB_ERR_STATE, "no buys after the buy ended");
}

Test(position, buy_ended_without_fills_is_canceled)
{
	struct sb_position p = new_position();
	cr_assert_eq(sb_position_buy_ended(&p, 0, 7000), SB_OK);
	cr_assert_eq(p.state, SB_POSITION_CANCELED);
	cr_assert_eq(p.ended_ms, 7000);
	cr_assert_eq(sb_position_held_ms(&p, 9000), 0, "never held");
}

Test(position, full_cycle_closes_with_the_realised_profit)
{
	/*
	 * Buy as in partial_buy_fills_with_base_commission: cost 49.996, received 0.000999.
	 * Plan: sellable 0.00099 (dust 0.000009), must net 49.996 * 1.005 = 50.24598;
	 * s >= 50.24598 / (0.00099 * 0.999) = 50804.3194... -> 50804.32.
	 * Sell 0.00099 @ 50804.32 = 50.2962768, commission 0.05029628 USDT: net 50.24598052,
	 * profit 0.24998052 = 0.50000104% -> ratio 0.00500001.
	 */
	struct sb_symbol_rules r = btcusdt();
	struct sb_position p = new_position();
	struct sb_fill buys[] = {fill("50000", "0.0006", "30", "0.0000006", "BTC", 101),
	                         fill("49990", "0.0004", "19.996", "0.0000004", "BTC", 102)};
	cr_assert_eq(sb_position_apply_buy_fill(&p, &buys[0], 10000), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &buys[1], 12000), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.001"), 12001), SB_OK);

	struct sb_profit_params pp = {.sell_fee_rate = D("0.001"), .target_profit = D("0.005")};
	struct sb_sell_plan plan;
	cr_assert_eq(sb_profit_plan_sell(&r, buys, 2, &pp, &plan), SB_OK);
	cr_assert_eq(sb_position_set_plan(&p, &plan), SB_OK);
	cr_assert_eq(p.cost_quote, D("49.996"));
	cr_assert_eq(p.target_price, D("50804.32"));
	cr_assert_eq(p.dust, D("0.000009"));
	cr_assert_eq(plan.sell_qty, D("0.00099"));

	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_TARGET, plan.min_sell_price, plan.sell_qty, 12002),
	             SB_OK);
	cr_assert_eq(p.state, SB_POSITION_SELLING);
	cr_assert_eq(p.exit, SB_EXIT_TARGET);
	cr_assert_eq(sb_position_set_plan(&p, &plan), SB_ERR_STATE);

	struct sb_fill sells[] = {fill("50804.32", "0.0004", "20.321728", "0.02032173", "USDT", 201),
	                          fill("50804.32", "0.00059", "29.9745488", "0.02997455", "USDT", 202)};
	cr_assert_eq(sb_position_apply_sell_fill(&p, &sells[0], 20000), SB_OK);
	cr_assert_eq(sb_position_apply_sell_fill(&p, &sells[0], 20000), SB_ERR_EXISTS);
	cr_assert_eq(sb_position_apply_sell_fill(&p, &sells[1], 21000), SB_OK);
	cr_assert_eq(p.sell_qty, D("0.00099"));
	cr_assert_eq(p.sell_quote, D("50.2962768"));
	cr_assert_eq(p.sell_fee.quote, D("0.05029628"));

	/* Fills that do not add up to what was applied are refused. */
	cr_assert_eq(sb_position_close(&p, &r, buys, 1, sells, 2, 0, 21001), SB_ERR_INVALID);
	cr_assert_eq(sb_position_close(&p, &r, buys, 2, sells, 1, 0, 21001), SB_ERR_INVALID);
	cr_assert_eq(p.state, SB_POSITION_SELLING);

	cr_assert_eq(sb_position_close(&p, &r, buys, 2, sells, 2, 0, 21001), SB_OK);
	cr_assert_eq(p.state, SB_POSITION_CLOSED);
	cr_assert_eq(p.realized_profit, D("0.24998052"));
	cr_assert_eq(p.profit_ratio, D("0.00500001"));
	cr_assert_eq(p.cost_quote, D("49.996"));
	cr_assert_eq(p.dust, D("0.000009"));
	cr_assert_eq(p.ended_ms, 21001);
	cr_assert_eq(sb_position_held_ms(&p, 99999), 11001, "first fill to close");
}

Test(position, sell_cannot_exceed_what_was_received)
{
	struct sb_position p = new_position();
	struct sb_fill b = fill("50000", "0.001", "50", "0.000001", "BTC", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &b, 1), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.001"), 2), SB_OK);
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_TARGET, D("51000"), D("0.001"), 3), SB_ERR_RANGE);
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_TARGET, 0, D("0.0009"), 3), SB_ERR_INVALID,
	             "no price");
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_NONE, D("51000"), D("0.0009"), 3), SB_ERR_INVALID);
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_TARGET, D("51000"), D("0.00099"), 3), SB_OK);
	struct sb_fill s = fill("51000", "0.001", "51", "0", "", 2);
	cr_assert_eq(sb_position_apply_sell_fill(&p, &s, 4), SB_ERR_RANGE);
	cr_assert_eq(p.sell_qty, 0);
}

Test(position, partial_sell_then_market_exit)
{
	/* The limit sell fills 0.0004 of 0.00099, is cancelled for a stop-loss, the rest leaves at market. */
	struct sb_symbol_rules r = btcusdt();
	struct sb_position p = new_position();
	struct sb_fill buy = fill("50000", "0.001", "50", "0.000001", "BTC", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &buy, 1000), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.001"), 1001), SB_OK);
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_TARGET, D("50808.39"), D("0.00099"), 1002), SB_OK);
	struct sb_fill s1 = fill("50808.39", "0.0004", "20.323356", "0.02032336", "USDT", 2);
	cr_assert_eq(sb_position_apply_sell_fill(&p, &s1, 2000), SB_OK);
	cr_assert_eq(sb_position_sell_ended(&p, D("0.0005"), 3000), SB_ERR_NOT_FOUND,
	             "a sell fill is missing");
	cr_assert_eq(sb_position_sell_ended(&p, D("0.0004"), 3000), SB_OK);
	cr_assert_eq(p.state, SB_POSITION_HOLDING);
	cr_assert_eq(sb_position_remaining(&p), D("0.000599"));
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_STOP_LOSS, 0, D("0.00059"), 3001), SB_OK);
	cr_assert_eq(p.exit, SB_EXIT_STOP_LOSS);
	struct sb_fill s2 = fill("45000", "0.00059", "26.55", "0.02655", "USDT", 3);
	cr_assert_eq(sb_position_apply_sell_fill(&p, &s2, 3500), SB_OK);
	struct sb_fill sells[] = {s1, s2};
	cr_assert_eq(sb_position_close(&p, &r, &buy, 1, sells, 2, 0, 3600), SB_OK);
	/* proceeds 20.323356 + 26.55 = 46.873356, fees 0.04687336, net 46.82648264, cost 50. */
	cr_assert_eq(p.realized_profit, D("-3.17351736"));
	cr_assert_eq(p.dust, D("0.000009"));
	cr_assert_eq(p.state, SB_POSITION_CLOSED);
}

Test(position, close_requires_a_sold_quantity)
{
	struct sb_symbol_rules r = btcusdt();
	struct sb_position p = new_position();
	struct sb_fill buy = fill("50000", "0.001", "50", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &buy, 1), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.001"), 2), SB_OK);
	cr_assert_eq(sb_position_close(&p, &r, &buy, 1, NULL, 0, 0, 3), SB_ERR_STATE, "HOLDING cannot close");
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_MANUAL, 0, D("0.001"), 3), SB_OK);
	cr_assert_eq(sb_position_close(&p, &r, &buy, 1, NULL, 0, 0, 4), SB_ERR_STATE, "nothing sold yet");
}

Test(position, abandon_from_every_open_state)
{
	/* The state machine allows it from BUYING and SELLING (by hand, the order manager having ended the
	 * orders first); an ended position cannot be abandoned. */
	struct sb_position p = new_position();
	cr_assert_eq(sb_position_abandon(&p, false, 5), SB_OK, "BUYING");
	cr_assert_eq(p.state, SB_POSITION_ABANDONED);
	cr_assert_eq(sb_position_abandon(&p, false, 6), SB_ERR_STATE, "ended");
	p = new_position();
	struct sb_fill buy = fill("50000", "0.00005", "2.5", "0.00000005", "BTC", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &buy, 1), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, D("0.00005"), 2), SB_OK);
	cr_assert_eq(sb_position_abandon(&p, true, 9), SB_OK);
	cr_assert_eq(p.state, SB_POSITION_ABANDONED);
	cr_assert_eq(p.dust, D("0.00004995"));
	cr_assert_eq(p.ended_ms, 9);
	cr_assert_eq(sb_position_abandon(&p, true, 10), SB_ERR_STATE);
}

Test(position, held_duration)
{
	struct sb_position p = new_position();
	cr_assert_eq(sb_position_held_ms(&p, 50000), 0, "not held before the first fill");
	struct sb_fill f = fill("1", "1", "1", "0", "", 1);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 20000), SB_OK);
	cr_assert_eq(sb_position_held_ms(&p, 50000), 30000);
	cr_assert_eq(sb_position_held_ms(&p, 10000), 0, "a clock before the fill");
}

Test(position, names_round_trip)
{
	const char *want[] = {"BUYING", "HOLDING", "SELLING", "CLOSED", "CANCELED", "ABANDONED"};
	for (int s = 0; s < SB_POSITION_STATE__COUNT; s++) {
		const char *n = sb_position_state_name((enum sb_position_state)s);
		cr_assert_str_eq(n, want[s]);
		enum sb_position_state back;
		cr_assert_eq(sb_position_state_parse(n, strlen(n), &back), SB_OK);
		cr_assert_eq(back, s);
	}
	enum sb_position_state x;
	cr_assert_eq(sb_position_state_parse("closed", 6, &x), SB_ERR_NOT_FOUND);
	cr_assert_str_eq(sb_position_state_name(SB_POSITION_STATE__COUNT), "INVALID");
	for (int e = 0; e < SB_EXIT__COUNT; e++) {
		const char *n = sb_position_exit_name((enum sb_position_exit)e);
		enum sb_position_exit back;
		cr_assert_eq(sb_position_exit_parse(n, strlen(n), &back), SB_OK);
		cr_assert_eq(back, e);
	}
	cr_assert_str_eq(sb_position_exit_name(SB_EXIT_STOP_LOSS), "STOP_LOSS");
}

Test(position, stored_exit_names_keep_their_meaning)
{
	/* Rows written by earlier versions carry these names in their notes ("exit=STOP_LOSS"). */
	static const struct {
		const char *name;
		enum sb_position_exit e;
	} v[] = {{"NONE", SB_EXIT_NONE},
	         {"TARGET", SB_EXIT_TARGET},
	         {"STOP_LOSS", SB_EXIT_STOP_LOSS},
	         {"MAX_DURATION", SB_EXIT_MAX_DURATION},
	         {"MANUAL", SB_EXIT_MANUAL}};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		enum sb_position_exit got = SB_EXIT__COUNT;
		cr_assert_eq(sb_position_exit_parse(v[i].name, strlen(v[i].name), &got), SB_OK);
		cr_assert_eq(got, v[i].e, "%s", v[i].name);
	}
	enum sb_position_exit x;
	cr_assert_eq(sb_position_exit_parse("manual", 6, &x), SB_ERR_NOT_FOUND);
}

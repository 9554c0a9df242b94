/*
 * test_strategy.c - the per-pair decisions on worked scenarios (opening a position, a buy timeout with a
 * partial fill followed by the sell, stop-loss at its exact boundary, max duration alert and sell, dust,
 * cooldown, max concurrent positions, pause, halt, exposure) and the price validator and guard.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sbtest_rules.h"
#include "spotbot/strategy.h"

static struct sb_symbol_rules rules;
static struct sb_pair_cfg cfg;
static struct sb_strategy_input in;
static struct sb_action act[16];
static struct sb_strategy_result res;

static void setup(const char *settings)
{
	rules = sbt_rules_btcusdt();
	cfg = sbt_pair(settings);
	memset(&in, 0, sizeof in);
	in.cfg = &cfg;
	in.rules = &rules;
	in.have_price = true;
	in.bid = D("50000");
	in.ask = D("50001");
	in.now_ms = 1000000;
	in.sell_fee_rate = D("0.001");
}

static void decide(void)
{
	cr_assert_eq(sb_strategy_decide(&in, act, 16, &res), SB_OK);
}

/* A position that has bought 0.001 BTC @ 50000 for 50 USDT (0.000001 BTC commission). */
static struct sb_fill held_fill[1];
static struct sb_position held;
static struct sb_strategy_position sp;

static void hold(int64_t opened_ms)
{
	held_fill[0] = fill("50000", "0.001", "50", "0.000001", "BTC", 1);
	cr_assert_eq(sb_position_init(&held, 7, "BTCUSDT", "BTC", "USDT", opened_ms - 10), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&held, &held_fill[0], opened_ms), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&held, D("0.001"), opened_ms + 1), SB_OK);
	sp = (struct sb_strategy_position){.pos = &held, .buy_fills = held_fill, .nbuy_fills = 1};
	in.positions = &sp;
	in.npositions = 1;
}

/* ---- opening ------------------------------------------------------------------------------------------ */

Test(strategy, opens_a_limit_buy_below_the_bid)
{
	/* 50000 * (1 - 0.1%) = 49950.00; 20 / 49950 = 0.00040040... -> 0.0004 (notional 19.98). */
	setup("BTCUSDT:quote=20");
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_OPEN);
	cr_assert_eq(act[0].reason, SB_WHY_NEW_CYCLE);
	cr_assert_eq(act[0].type, SB_ORDER_LIMIT);
	cr_assert_eq(act[0].price, D("49950"));
	cr_assert_eq(act[0].qty, D("0.0004"));
	cr_assert_eq(act[0].quote_qty, 0);
}

Test(strategy, limit_price_rounds_down_to_the_tick)
{
	/* 50000.37 * 0.9975 = 49875.369075 -> 49875.36. */
	setup("BTCUSDT:quote=20,buy_offset=0.25%");
	in.bid = D("50000.37");
	in.ask = D("50000.38");
	decide();
	cr_assert_eq(act[0].price, D("49875.36"));
}

Test(strategy, opens_a_market_buy_by_quote_amount)
{
	setup("BTCUSDT:quote=20,buy_mode=market");
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
	cr_assert_eq(act[0].type, SB_ORDER_MARKET);
	cr_assert_eq(act[0].quote_qty, D("20"));
	cr_assert_eq(act[0].qty, 0);
	cr_assert_eq(act[0].price, 0);
	/* Without quoteOrderQty: 20 / 50001 = 0.00039999... -> 0.00039. */
	rules.quote_order_qty_market = false;
	decide();
	cr_assert_eq(act[0].qty, D("0.00039"));
	cr_assert_eq(act[0].quote_qty, 0);
}

Test(strategy, quote_below_the_minimum_notional_opens_nothing)
{
	setup("BTCUSDT:quote=1");
	decide();
	cr_assert_eq(res.n, 0);
	cr_assert_eq(res.open, SB_OPEN_TOO_SMALL);
	cr_assert_eq(res.filter, SB_FILTER_NOTIONAL);
	setup("BTCUSDT:quote=0.0001");
	decide();
	cr_assert_eq(res.open, SB_OPEN_TOO_SMALL, "rounds to zero");
}

Test(strategy, reasons_for_not_opening)
{
	setup("BTCUSDT:quote=20");
	in.global.halted = true;
	decide();
	cr_assert_eq(res.open, SB_OPEN_HALTED);
	setup("BTCUSDT:quote=20,enabled=false");
	decide();
	cr_assert_eq(res.open, SB_OPEN_DISABLED);
	setup("BTCUSDT:quote=20");
	in.global.paused = true;
	decide();
	cr_assert_eq(res.open, SB_OPEN_PAUSED, "kill switch");
	setup("BTCUSDT:quote=20");
	in.global.pair_paused = true;
	decide();
	cr_assert_eq(res.open, SB_OPEN_PAUSED);
	setup("BTCUSDT:quote=20");
	rules.status = SB_SYMBOL_HALT;
	decide();
	cr_assert_eq(res.open, SB_OPEN_NOT_TRADING);
	setup("BTCUSDT:quote=20");
	in.have_price = false;
	decide();
	cr_assert_eq(res.open, SB_OPEN_NO_PRICE);
	cr_assert_eq(res.n, 0);
	cr_assert_str_eq(sb_open_block_name(SB_OPEN_NO_PRICE), "NO_PRICE");
}

Test(strategy, max_concurrent_positions)
{
	setup("BTCUSDT:quote=20,max_positions=2");
	hold(1000);
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK, "one of two open");
	struct sb_strategy_position two[2] = {sp, sp};
	in.positions = two;
	in.npositions = 2;
	decide();
	cr_assert_eq(res.open, SB_OPEN_MAX_POSITIONS);
	for (size_t i = 0; i < res.n; i++)
		cr_assert_neq(act[i].kind, SB_ACT_OPEN);
}

Test(strategy, cooldown_since_the_last_cycle)
{
	setup("BTCUSDT:quote=20,cooldown=5m");
	in.last_ended_ms = in.now_ms - 299999;
	decide();
	cr_assert_eq(res.open, SB_OPEN_COOLDOWN);
	cr_assert_eq(res.n, 0);
	in.last_ended_ms = in.now_ms - 300000;
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
	/* The newest open position counts too: no burst of buys at one price. */
	setup("BTCUSDT:quote=20,cooldown=1m,max_positions=3");
	hold(in.now_ms - 1000);
	decide();
	cr_assert_eq(res.open, SB_OPEN_COOLDOWN);
}

Test(strategy, stop_loss_within_fees_and_spread_opens_no_cycle)
{
	/* 0.1% fee each way plus a 1-in-50001 spread: 0.002 + 0.00002 (rounded up) = 0.00202. */
	sb_dec min = 0;
	cr_assert_eq(sb_strategy_min_stop_loss(D("0.001"), D("50000"), D("50001"), &min), SB_OK);
	cr_assert_eq(min, D("0.00202"));
	setup("BTCUSDT:quote=20,stop_loss=0.1%");
	decide();
	cr_assert_eq(res.open, SB_OPEN_STOP_LOSS_TIGHT);
	cr_assert_eq(res.n, 0, "no buy");
	cr_assert_eq(res.min_stop_loss, D("0.00202"));
	/* At the line exactly it is still refused; just above it opens. */
	setup("BTCUSDT:quote=20,stop_loss=0.202%");
	decide();
	cr_assert_eq(res.open, SB_OPEN_STOP_LOSS_TIGHT);
	setup("BTCUSDT:quote=20,stop_loss=0.203%");
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
	/* A wider spread moves the line: 0.5% stop-loss with a 1% spread. */
	setup("BTCUSDT:quote=20,stop_loss=0.5%");
	in.bid = D("49500");
	in.ask = D("50000");
	decide();
	cr_assert_eq(res.open, SB_OPEN_STOP_LOSS_TIGHT);
	cr_assert_eq(res.min_stop_loss, D("0.012"));
	/* No stop-loss: nothing to refuse; bad quotes are refused by the function. */
	setup("BTCUSDT:quote=20");
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
	cr_assert_eq(sb_strategy_min_stop_loss(D("0.001"), D("5"), D("5"), &min), SB_ERR_INVALID);
	cr_assert_eq(sb_strategy_min_stop_loss(D("0.001"), 0, D("5"), &min), SB_ERR_INVALID);
	cr_assert_eq(sb_strategy_min_stop_loss(D("1"), D("4"), D("5"), &min), SB_ERR_INVALID);
	cr_assert_str_eq(sb_open_block_name(SB_OPEN_STOP_LOSS_TIGHT), "STOP_LOSS_TIGHT");
}

Test(strategy, stop_loss_exit_starts_its_own_cooldown)
{
	/* The default is 30 minutes, whatever the cycle cooldown. */
	setup("BTCUSDT:quote=20,stop_loss=5%");
	cr_assert_eq(cfg.stop_loss_cooldown_ms, 30 * 60 * 1000);
	in.last_ended_ms = in.now_ms - 1000;
	in.last_stop_loss_ms = in.now_ms - 1000;
	decide();
	cr_assert_eq(res.open, SB_OPEN_STOP_LOSS_COOLDOWN);
	cr_assert_eq(res.n, 0);
	in.last_stop_loss_ms = in.now_ms - 30 * 60 * 1000;
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
	/* The longer of the two applies. */
	setup("BTCUSDT:quote=20,stop_loss=5%,cooldown=1h,stop_loss_cooldown=1m");
	in.last_ended_ms = in.last_stop_loss_ms = in.now_ms - 120000;
	decide();
	cr_assert_eq(res.open, SB_OPEN_COOLDOWN);
	setup("BTCUSDT:quote=20,stop_loss=5%,stop_loss_cooldown=0");
	in.last_ended_ms = in.last_stop_loss_ms = in.now_ms - 1;
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK);
}

Test(strategy, exposure_limit)
{
	setup("BTCUSDT:quote=20");
	in.global.exposure = D("80");
	in.global.exposure_limit = D("100");
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK, "80 + 20 = 100 is within");
	in.global.exposure = D("80.01");
	decide();
	cr_assert_eq(res.open, SB_OPEN_EXPOSURE);
	in.global.exposure_limit = 0;
	decide();
	cr_assert_eq(res.open, SB_OPEN_OK, "no limit");
}

/* ---- the buy timeout with a partial fill, then the sell ------------------------------------------------ */

Test(strategy, timeout_with_partial_fill_cancels_then_sells_what_was_bought)
{
	setup("BTCUSDT:quote=20,buy_timeout=60s");
	struct sb_position p;
	struct sb_order_sm buy;
	cr_assert_eq(sb_position_init(&p, 9, "BTCUSDT", "BTC", "USDT", 0), SB_OK);
	sb_order_sm_init(&buy, D("0.0004"), 0);
	struct sb_order_event ack = {.kind = SB_ORDER_EV_ACK, .status = SB_ORDER_NEW, .time_ms = 5};
	cr_assert_eq(sb_order_apply(&buy, &ack), SB_OK);
	struct sb_fill f = fill("49950", "0.0002", "9.99", "0.0000002", "BTC", 11);
	struct sb_order_event part = {.kind = SB_ORDER_EV_REPORT,
	                              .status = SB_ORDER_PARTIALLY_FILLED,
	                              .executed_qty = D("0.0002"),
	                              .time_ms = 30000};
	cr_assert_eq(sb_order_apply(&buy, &part), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&p, &f, 30000), SB_OK);
	sp = (struct sb_strategy_position){.pos = &p, .buy = &buy, .buy_fills = &f, .nbuy_fills = 1};
	in.positions = &sp;
	in.npositions = 1;

	in.now_ms = 59999;
	decide();
	cr_assert_eq(res.n, 0, "not yet");
	cr_assert_eq(res.open, SB_OPEN_MAX_POSITIONS);

	in.now_ms = 60000;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_CANCEL_BUY);
	cr_assert_eq(act[0].reason, SB_WHY_BUY_TIMEOUT);
	cr_assert_eq(act[0].position_id, 9);

	/* The engine records the request: it is not decided again. */
	struct sb_order_event req = {.kind = SB_ORDER_EV_CANCEL_REQUESTED, .time_ms = 60000};
	cr_assert_eq(sb_order_apply(&buy, &req), SB_OK);
	in.now_ms = 61000;
	decide();
	cr_assert_eq(res.n, 0);

	/* Cancelled with 0.0002 executed: the position continues with it. */
	struct sb_order_event canceled = {.kind = SB_ORDER_EV_REPORT,
	                                  .status = SB_ORDER_CANCELED,
	                                  .executed_qty = D("0.0002"),
	                                  .time_ms = 61500};
	cr_assert_eq(sb_order_apply(&buy, &canceled), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&p, buy.executed_qty, 61500), SB_OK);
	cr_assert_eq(p.state, SB_POSITION_HOLDING);
	sp.buy = NULL;

	/*
	 * Received 0.0002 - 0.0000002 = 0.0001998 -> sell 0.00019 (dust 0.0000098); cost 9.99 must net
	 * 10.03995: s >= 10.03995 / (0.00019 * 0.999) = 52894.7368... -> 52894.74.
	 */
	in.now_ms = 62000;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_PLACE_SELL);
	cr_assert_eq(act[0].reason, SB_WHY_TARGET);
	cr_assert_eq(act[0].type, SB_ORDER_LIMIT);
	cr_assert_eq(act[0].price, D("52894.74"));
	cr_assert_eq(act[0].qty, D("0.00019"));
	cr_assert_eq(act[0].plan.dust, D("0.0000098"));
	cr_assert_eq(act[0].plan.buy.cost_quote, D("9.99"));

	/* The engine places it: SELLING, and nothing more to decide. */
	cr_assert_eq(sb_position_set_plan(&p, &act[0].plan), SB_OK);
	cr_assert_eq(sb_position_sell_placed(&p, SB_EXIT_TARGET, act[0].price, act[0].qty, 62000), SB_OK);
	decide();
	cr_assert_eq(res.n, 0);
}

/* Position 9 with a working buy of 0.0004 of which 0.0002 filled at 49950 at 30000 ms. */
static struct sb_position part_pos;
static struct sb_order_sm part_buy;
static struct sb_fill part_fill;

static void partly_bought(void)
{
	cr_assert_eq(sb_position_init(&part_pos, 9, "BTCUSDT", "BTC", "USDT", 0), SB_OK);
	sb_order_sm_init(&part_buy, D("0.0004"), 0);
	struct sb_order_event ack = {.kind = SB_ORDER_EV_ACK, .status = SB_ORDER_NEW, .time_ms = 5};
	cr_assert_eq(sb_order_apply(&part_buy, &ack), SB_OK);
	part_fill = fill("49950", "0.0002", "9.99", "0.0000002", "BTC", 11);
	struct sb_order_event part = {.kind = SB_ORDER_EV_REPORT,
	                              .status = SB_ORDER_PARTIALLY_FILLED,
	                              .executed_qty = D("0.0002"),
	                              .time_ms = 30000};
	cr_assert_eq(sb_order_apply(&part_buy, &part), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&part_pos, &part_fill, 30000), SB_OK);
	sp = (struct sb_strategy_position){
	    .pos = &part_pos, .buy = &part_buy, .buy_fills = &part_fill, .nbuy_fills = 1};
	in.positions = &sp;
	in.npositions = 1;
}

Test(strategy, stop_loss_guards_a_partly_filled_buy)
{
	setup("BTCUSDT:quote=20,buy_timeout=1h,stop_loss=5%");
	partly_bought();
	in.now_ms = 40000;
	decide();
	cr_assert_eq(res.n, 0, "at 50000 the stop is far");
	in.bid = D("40000");
	in.ask = D("40000.01");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_CANCEL_BUY, "the rest of the buy goes first");
	cr_assert_eq(act[0].reason, SB_WHY_STOP_LOSS);
	/* Cancelled: the position holds what it bought, and the stop-loss sells it. */
	struct sb_order_event canceled = {.kind = SB_ORDER_EV_REPORT,
	                                  .status = SB_ORDER_CANCELED,
	                                  .executed_qty = D("0.0002"),
	                                  .time_ms = 40001};
	cr_assert_eq(sb_order_apply(&part_buy, &canceled), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&part_pos, part_buy.executed_qty, 40001), SB_OK);
	sp.buy = NULL;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_MARKET_SELL);
	cr_assert_eq(act[0].reason, SB_WHY_STOP_LOSS);
	cr_assert_eq(act[0].qty, D("0.00019"));
}

Test(strategy, max_duration_counts_from_the_first_fill_of_a_working_buy)
{
	setup("BTCUSDT:quote=20,buy_timeout=1h,max_duration=60s");
	partly_bought();
	in.now_ms = 89999;
	decide();
	cr_assert_eq(res.n, 0, "held 59.999 s");
	in.now_ms = 90000;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_ALERT);
	cr_assert_eq(act[0].reason, SB_WHY_MAX_DURATION);
	cr_assert_eq(act[0].held_ms, 60000);
	part_pos.duration_alerted = true;
	decide();
	cr_assert_eq(res.n, 0, "alerted once; no sell without max_duration_sell");
	setup("BTCUSDT:quote=20,buy_timeout=1h,max_duration=60s,max_duration_sell=true");
	partly_bought();
	part_pos.duration_alerted = true;
	in.now_ms = 90000;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_CANCEL_BUY);
	cr_assert_eq(act[0].reason, SB_WHY_MAX_DURATION);
}

Test(strategy, unsettled_or_ended_buys_are_left_to_the_engine)
{
	setup("BTCUSDT:quote=20,buy_timeout=60s");
	struct sb_position p;
	struct sb_order_sm buy;
	cr_assert_eq(sb_position_init(&p, 9, "BTCUSDT", "BTC", "USDT", 0), SB_OK);
	sp = (struct sb_strategy_position){.pos = &p, .buy = &buy};
	in.positions = &sp;
	in.npositions = 1;
	in.now_ms = 3600000;
	enum sb_order_state states[] = {SB_ORDER_PENDING_NEW, SB_ORDER_UNKNOWN, SB_ORDER_FILLED,
	                                SB_ORDER_CANCELED};
	for (size_t i = 0; i < 4; i++) {
		sb_order_sm_init(&buy, D("0.0004"), 0);
		buy.state = states[i];
		decide();
		cr_assert_eq(res.n, 0, "%s", sb_order_state_name(states[i]));
	}
	sp.buy = NULL;
	decide();
	cr_assert_eq(res.n, 0, "no order known yet");
}

/* ---- stop-loss ---------------------------------------------------------------------------------------- */

Test(strategy, stop_loss_triggers_at_exactly_its_price)
{
	/* Cost 50, received 0.000999, stop 5%: sell when bid * 0.000999 <= 47.5, i.e. bid <= 47547.5475... */
	setup("BTCUSDT:quote=20,stop_loss=5%");
	hold(1000);
	in.bid = D("47547.55");
	in.ask = D("47547.56");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_PLACE_SELL, "47547.55 * 0.000999 = 47.50000245 > 47.5");
	in.bid = D("47547.54");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_MARKET_SELL);
	cr_assert_eq(act[0].reason, SB_WHY_STOP_LOSS);
	cr_assert_eq(act[0].type, SB_ORDER_MARKET);
	cr_assert_eq(act[0].qty, D("0.00099"), "what remains, floored to the step");
	cr_assert_eq(act[0].position_id, 7);
}

Test(strategy, stop_loss_cancels_a_working_limit_sell_first)
{
	setup("BTCUSDT:quote=20,stop_loss=5%");
	hold(1000);
	cr_assert_eq(sb_position_sell_placed(&held, SB_EXIT_TARGET, D("50808.39"), D("0.00099"), 2000),
	             SB_OK);
	struct sb_order_sm sell;
	sb_order_sm_init(&sell, D("0.00099"), 2000);
	struct sb_order_event ack = {.kind = SB_ORDER_EV_ACK, .status = SB_ORDER_NEW, .time_ms = 2001};
	cr_assert_eq(sb_order_apply(&sell, &ack), SB_OK);
	sp.sell = &sell;
	in.bid = D("40000");
	in.ask = D("40000.01");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_CANCEL_SELL);
	cr_assert_eq(act[0].reason, SB_WHY_STOP_LOSS);
	struct sb_order_event req = {.kind = SB_ORDER_EV_CANCEL_REQUESTED, .time_ms = 2002};
	cr_assert_eq(sb_order_apply(&sell, &req), SB_OK);
	decide();
	cr_assert_eq(res.n, 0, "the cancel is under way");
	/* Cancelled unfilled: back to HOLDING, then the market sell. */
	cr_assert_eq(sb_position_sell_ended(&held, 0, 2003), SB_OK);
	sp.sell = NULL;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_MARKET_SELL);
	cr_assert_eq(sb_position_sell_placed(&held, SB_EXIT_STOP_LOSS, 0, act[0].qty, 2004), SB_OK);
	decide();
	cr_assert_eq(res.n, 0, "a market exit under way is not repeated");
}

Test(strategy, stop_loss_larger_than_one_market_order_sells_in_parts)
{
	/* MARKET_LOT_SIZE allows 0.0005 per market order; the position can sell 0.00099. */
	setup("BTCUSDT:quote=20,stop_loss=5%");
	rules.market_lot = (struct sb_lot_filter){.present = true, .max_qty = D("0.0005")};
	hold(1000);
	in.bid = D("40000");
	in.ask = D("40000.01");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_MARKET_SELL, "one market order's worth, not a refusal");
	cr_assert_eq(act[0].reason, SB_WHY_STOP_LOSS);
	cr_assert_eq(act[0].qty, D("0.0005"));
	cr_assert_eq(sb_position_sell_placed(&held, SB_EXIT_STOP_LOSS, 0, act[0].qty, 2000), SB_OK);
	struct sb_fill part = fill("40000", "0.0005", "20", "0.02", "USDT", 2);
	cr_assert_eq(sb_position_apply_sell_fill(&held, &part, 2001), SB_OK);
	cr_assert(sb_strategy_exit_goes_on(&rules, &held, in.bid), "0.000499 remains: the exit goes on");
	cr_assert_eq(sb_position_sell_ended(&held, D("0.0005"), 2002), SB_OK);
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_MARKET_SELL);
	cr_assert_eq(act[0].qty, D("0.00049"), "the rest, floored to the step");
	cr_assert_eq(sb_position_sell_placed(&held, SB_EXIT_STOP_LOSS, 0, act[0].qty, 2003), SB_OK);
	struct sb_fill rest = fill("40000", "0.00049", "19.6", "0.0196", "USDT", 3);
	cr_assert_eq(sb_position_apply_sell_fill(&held, &rest, 2004), SB_OK);
	cr_assert_not(sb_strategy_exit_goes_on(&rules, &held, in.bid), "0.000009 is dust: the exit is done");
	/* A limit sell's fill never goes on: its quantity was the whole sellable amount. */
	held.exit = SB_EXIT_TARGET;
	cr_assert_not(sb_strategy_exit_goes_on(&rules, &held, in.bid));
}

Test(strategy, a_decided_stop_loss_exit_goes_on_when_the_bid_comes_back)
{
	setup("BTCUSDT:quote=20,stop_loss=5%");
	hold(1000);
	/* The limit sell was cancelled for the stop-loss; the bid is back above the line by the time the
	 * position holds again. */
	sp.exit_due = SB_WHY_STOP_LOSS;
	in.bid = D("50000");
	in.ask = D("50000.01");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_MARKET_SELL, "no new limit sell");
	cr_assert_eq(act[0].reason, SB_WHY_STOP_LOSS);
	sp.exit_due = SB_WHY_TARGET;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_PLACE_SELL, "without a decided exit the bid decides");
}

Test(strategy, no_stop_loss_without_a_price)
{
	setup("BTCUSDT:quote=20,stop_loss=5%");
	hold(1000);
	in.have_price = false;
	in.bid = D("1");
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_PLACE_SELL, "the target sell does not need a price");
}

/* ---- max duration ------------------------------------------------------------------------------------- */

Test(strategy, max_duration_alerts_once)
{
	setup("BTCUSDT:quote=20,max_duration=1h");
	hold(1000);
	cr_assert_eq(sb_position_sell_placed(&held, SB_EXIT_TARGET, D("50808.39"), D("0.00099"), 2000),
	             SB_OK);
	in.now_ms = 1000 + 3600000 - 1;
	decide();
	cr_assert_eq(res.n, 0);
	in.now_ms = 1000 + 3600000;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_ALERT);
	cr_assert_eq(act[0].reason, SB_WHY_MAX_DURATION);
	cr_assert_eq(act[0].held_ms, 3600000);
	held.duration_alerted = true;
	decide();
	cr_assert_eq(res.n, 0, "alerted already; no sale configured");
}

Test(strategy, max_duration_sells_at_market_when_configured)
{
	setup("BTCUSDT:quote=20,max_duration=1h,max_duration_sell=true");
	hold(1000);
	in.now_ms = 1000 + 3600000;
	decide();
	cr_assert_eq(res.n, 2);
	cr_assert_eq(act[0].kind, SB_ACT_ALERT);
	cr_assert_eq(act[1].kind, SB_ACT_MARKET_SELL);
	cr_assert_eq(act[1].reason, SB_WHY_MAX_DURATION);
	cr_assert_eq(act[1].qty, D("0.00099"));
	/* With a working limit sell: cancel it first. */
	cr_assert_eq(sb_position_sell_placed(&held, SB_EXIT_TARGET, D("50808.39"), D("0.00099"), 2000),
	             SB_OK);
	struct sb_order_sm sell;
	sb_order_sm_init(&sell, D("0.00099"), 2000);
	sell.state = SB_ORDER_PARTIALLY_FILLED;
	sell.executed_qty = D("0.0001");
	sp.sell = &sell;
	held.duration_alerted = true;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_CANCEL_SELL);
	cr_assert_eq(act[0].reason, SB_WHY_MAX_DURATION);
}

/* ---- dust, refusals, halt ----------------------------------------------------------------------------- */

Test(strategy, a_position_of_dust_is_abandoned)
{
	/* 0.00005 BTC @ 50000 = 2.5 USDT: below the minimum notional of 5 at any profitable price. */
	setup("BTCUSDT:quote=20");
	held_fill[0] = fill("50000", "0.00005", "2.5", "0", "", 1);
	cr_assert_eq(sb_position_init(&held, 3, "BTCUSDT", "BTC", "USDT", 0), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&held, &held_fill[0], 10), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&held, D("0.00005"), 11), SB_OK);
	sp = (struct sb_strategy_position){.pos = &held, .buy_fills = held_fill, .nbuy_fills = 1};
	in.positions = &sp;
	in.npositions = 1;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_ABANDON);
	cr_assert_eq(act[0].reason, SB_WHY_DUST);
	cr_assert_eq(act[0].qty, D("0.00005"));
	cr_assert_eq(res.open, SB_OPEN_MAX_POSITIONS, "still open until the engine abandons it");
	/* A stop-loss exit of dust is abandoned the same way. */
	setup("BTCUSDT:quote=20,stop_loss=1%");
	in.positions = &sp;
	in.npositions = 1;
	in.bid = D("40000");
	decide();
	cr_assert_eq(act[0].kind, SB_ACT_ABANDON);
}

Test(strategy, refused_sell_raises_an_alert)
{
	/* BNB commission without a BNB price cannot be valued: the plan is refused. */
	setup("BTCUSDT:quote=20");
	held_fill[0] = fill("50000", "0.001", "50", "0.0000625", "BNB", 1);
	cr_assert_eq(sb_position_init(&held, 4, "BTCUSDT", "BTC", "USDT", 0), SB_OK);
	cr_assert_eq(sb_position_apply_buy_fill(&held, &held_fill[0], 10), SB_OK);
	cr_assert_eq(sb_position_buy_ended(&held, D("0.001"), 11), SB_OK);
	sp = (struct sb_strategy_position){.pos = &held, .buy_fills = held_fill, .nbuy_fills = 1};
	in.positions = &sp;
	in.npositions = 1;
	decide();
	cr_assert_eq(act[0].kind, SB_ACT_ALERT);
	cr_assert_eq(act[0].reason, SB_WHY_SELL_REFUSED);
	cr_assert_eq(act[0].error, SB_ERR_INVALID);
	in.bnb_price = D("600");
	decide();
	cr_assert_eq(act[0].kind, SB_ACT_PLACE_SELL);
	cr_assert_eq(act[0].price, D("50338.03"), "as in test_profit's BNB example");
}

Test(strategy, halted_sends_nothing_but_alerts)
{
	setup("BTCUSDT:quote=20,stop_loss=5%,max_duration=1h,max_duration_sell=true");
	hold(1000);
	in.global.halted = true;
	in.bid = D("40000");
	in.now_ms = 1000 + 3600000;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_ALERT);
	cr_assert_eq(res.open, SB_OPEN_HALTED);
}

Test(strategy, paused_pairs_still_manage_open_positions)
{
	setup("BTCUSDT:quote=20,max_positions=2");
	hold(1000);
	in.global.paused = true;
	decide();
	cr_assert_eq(res.n, 1);
	cr_assert_eq(act[0].kind, SB_ACT_PLACE_SELL);
	cr_assert_eq(res.open, SB_OPEN_PAUSED);
}

Test(strategy, output_capacity_and_bad_input)
{
	setup("BTCUSDT:quote=20,max_positions=2");
	hold(1000);
	cr_assert_eq(sb_strategy_decide(&in, act, 1, &res), SB_ERR_TOO_LONG, "a sell and an open need two");
	cr_assert_eq(res.n, 1);
	cr_assert_eq(sb_strategy_decide(&in, act, SB_STRATEGY_ACTIONS(1), &res), SB_OK);
	cr_assert_eq(res.n, 2);
	in.cfg = NULL;
	cr_assert_eq(sb_strategy_decide(&in, act, 16, &res), SB_ERR_INVALID);
	cr_assert_eq(sb_strategy_decide(NULL, act, 16, &res), SB_ERR_INVALID);
	cr_assert_eq(sb_strategy_decide(&in, act, 16, NULL), SB_ERR_INVALID);
}

Test(strategy, names)
{
	cr_assert_str_eq(sb_action_kind_name(SB_ACT_MARKET_SELL), "MARKET_SELL");
	cr_assert_str_eq(sb_action_reason_name(SB_WHY_STOP_LOSS), "STOP_LOSS");
	cr_assert_str_eq(sb_open_block_name(SB_OPEN_FILTER), "FILTER");
	cr_assert_str_eq(sb_price_verdict_name(SB_PRICE_JUMP), "JUMP");
	cr_assert_str_eq(sb_action_kind_name((enum sb_action_kind)99), "INVALID");
}

Test(strategy, manual_reason_has_its_own_name_after_the_older_ones)
{
	/* Names are logged and stored in events: the older ones keep their values and spelling. */
	cr_assert_str_eq(sb_action_reason_name(SB_WHY_DUST), "DUST");
	cr_assert_str_eq(sb_action_reason_name(SB_WHY_MANUAL), "MANUAL");
	cr_assert_gt((int)SB_WHY_MANUAL, (int)SB_WHY_DUST);
	cr_assert_str_eq(sb_action_reason_name((enum sb_action_reason)(SB_WHY_MANUAL + 1)), "INVALID");
}

/* ---- prices ------------------------------------------------------------------------------------------- */

static struct sb_book_top top(const char *bid, const char *ask, int64_t t)
{
	return (struct sb_book_top){.bid = D(bid), .ask = D(ask), .time_ms = t};
}

Test(strategy, price_validator_cases)
{
	struct sb_price_limits lim = {.max_age_ms = 5000, .max_jump = D("0.1")};
	struct sb_book_top last = top("100", "101", 0);
	struct sb_book_top q;
	q = top("100.5", "101.5", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_OK);
	cr_assert_eq(sb_price_check(&lim, &q, NULL, 10000), SB_PRICE_OK);
	q = top("0", "101", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_NONPOSITIVE);
	q = top("100", "-1", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_NONPOSITIVE);
	cr_assert_eq(sb_price_check(&lim, NULL, &last, 10000), SB_PRICE_NONPOSITIVE);
	q = top("101", "101", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_CROSSED);
	q = top("102", "101", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_CROSSED);
	q = top("100", "101", 5000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_OK, "exactly max_age old");
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10001), SB_PRICE_STALE);
	q = top("110", "110.5", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_OK, "exactly 10% is within");
	q = top("110.00000001", "110.5", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_JUMP);
	q = top("90", "90.9", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_OK, "exactly -10% on both sides");
	q = top("100", "111.2", 10000);
	cr_assert_eq(sb_price_check(&lim, &q, &last, 10000), SB_PRICE_JUMP, "the ask alone jumped");
	struct sb_price_limits none = {0};
	q = top("1000", "1001", 0);
	cr_assert_eq(sb_price_check(&none, &q, &last, 99999999), SB_PRICE_OK, "checks off");
}

Test(strategy, price_guard_accepts_a_confirmed_new_level)
{
	struct sb_price_limits lim = {.max_age_ms = 0, .max_jump = D("0.05"), .confirm_jump = 2};
	struct sb_price_guard g = {0};
	struct sb_book_top q = top("100", "101", 1);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 1), SB_PRICE_OK);
	q = top("120", "121", 2);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 2), SB_PRICE_JUMP, "candidate");
	q = top("100.5", "101.5", 3);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 3), SB_PRICE_OK, "back to the level");
	cr_assert_eq(g.confirmations, 0, "the candidate is forgotten");
	q = top("120", "121", 4);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 4), SB_PRICE_JUMP);
	q = top("121", "122", 5);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 5), SB_PRICE_JUMP, "one confirmation");
	q = top("150", "151", 6);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 6), SB_PRICE_JUMP, "disagrees: a new candidate");
	q = top("151", "152", 7);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 7), SB_PRICE_JUMP);
	q = top("150.5", "151.5", 8);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 8), SB_PRICE_OK, "confirmed twice");
	cr_assert_eq(g.last.bid, D("150.5"));
	q = top("150", "151", 9);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 9), SB_PRICE_OK, "the new level is the reference");
	/* Without confirmation a jump is refused for good. */
	lim.confirm_jump = 0;
	for (int i = 0; i < 10; i++) {
		q = top("300", "301", 10 + i);
		cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 10 + i), SB_PRICE_JUMP);
	}
	/* A crossed book is refused and does not disturb the guard. */
	q = top("151", "150", 30);
	cr_assert_eq(sb_price_guard_offer(&g, &lim, &q, 30), SB_PRICE_CROSSED);
	cr_assert_eq(g.last.bid, D("150"));
}

/* ---- when the decision can change by time alone
 * ------------------------------------------------------------ */

/* The decision at in.now_ms, to compare with another time's (ALERT's held_ms follows the clock). */
struct decision {
	struct sb_strategy_result res; /* what decide returned */
	struct sb_action act[16];      /* its actions */
};

static struct decision decide_at(int64_t t)
{
	struct decision d;
	memset(&d, 0, sizeof d);
	int64_t keep = in.now_ms;
	in.now_ms = t;
	cr_assert_eq(sb_strategy_decide(&in, d.act, 16, &d.res), SB_OK);
	in.now_ms = keep;
	for (size_t i = 0; i < d.res.n; i++)
		d.act[i].held_ms = 0;
	return d;
}

/* Every time from now up to (not including) due decides as now does. */
static void same_until(int64_t due, uint64_t *seed, const char *what)
{
	struct decision at_now = decide_at(in.now_ms);
	int64_t last = due == INT64_MAX ? in.now_ms + 86400000 : due - 1;
	for (int k = 0; k < 8; k++) {
		*seed = *seed * 6364136223846793005u + 1442695040888963407u;
		int64_t t = k == 0   ? in.now_ms + 1
		            : k == 1 ? last
		                     : in.now_ms + (int64_t)(*seed >> 33) % (last - in.now_ms + 1);
		if (t <= in.now_ms || t > last)
			continue;
		struct decision d = decide_at(t);
		cr_assert_eq(memcmp(&d.res, &at_now.res, sizeof d.res), 0,
		             "%s: the result differs at now + %lld ms", what, (long long)(t - in.now_ms));
		cr_assert_eq(memcmp(d.act, at_now.act, sizeof d.act), 0,
		             "%s: the actions differ at now + %lld ms", what, (long long)(t - in.now_ms));
	}
}

Test(strategy, next_due_names_each_threshold_of_the_clock)
{
	setup("BTCUSDT:quote=20,buy_timeout=1h,max_duration=2h,cooldown=5m");
	in.now_ms = 40000;
	partly_bought(); /* created at 0, first fill at 30000 */
	cr_assert_eq(sb_strategy_next_due(&in), 3600000, "the buy's timeout");
	in.now_ms = 3600000;
	cr_assert_eq(sb_strategy_next_due(&in), 30000 + 7200000, "then its max_duration from the first fill");
	setup("BTCUSDT:quote=20,cooldown=5m");
	in.last_ended_ms = in.now_ms - 1000;
	cr_assert_eq(sb_strategy_next_due(&in), in.last_ended_ms + 300000, "the cooldown's end");
	setup("BTCUSDT:quote=20,stop_loss=5%,cooldown=0");
	in.last_ended_ms = in.last_stop_loss_ms = in.now_ms - 1000;
	cr_assert_eq(sb_strategy_next_due(&in), in.last_stop_loss_ms + 30 * 60 * 1000,
	             "the stop-loss cooldown's");
	setup("BTCUSDT:quote=20");
	hold(1000);
	cr_assert_eq(sb_strategy_next_due(&in), INT64_MAX,
	             "a held position with no max_duration waits on prices");
	cr_assert_eq(sb_strategy_next_due(NULL), INT64_MAX);
}

Test(strategy, the_decision_stays_the_same_until_next_due)
{
	static const char *const settings[] = {
	    "BTCUSDT:quote=20,buy_timeout=1h,max_duration=2h,cooldown=5m",
	    "BTCUSDT:quote=20,buy_timeout=90s,max_duration=10m,max_duration_sell=true,stop_loss=5%",
	    "BTCUSDT:quote=20,cooldown=1m,max_positions=3,stop_loss=2%,stop_loss_cooldown=7m",
	    "BTCUSDT:quote=20,max_duration=30m,cooldown=0,max_positions=2",
	};
	uint64_t seed = 42;
	for (size_t s = 0; s < sizeof settings / sizeof settings[0]; s++) {
		for (int round = 0; round < 200; round++) {
			setup(settings[s]);
			seed = seed * 6364136223846793005u + 1442695040888963407u;
			int shape = (int)(seed >> 60) % 3;
			if (shape == 0)
				partly_bought();
			else if (shape == 1)
				hold(1000);
			in.now_ms = 1000 + (int64_t)(seed >> 40) % 9000000;
			in.last_ended_ms = (seed >> 20) % 2 ? in.now_ms - (int64_t)(seed >> 44) % 600000 : 0;
			in.last_stop_loss_ms = (seed >> 21) % 2 ? in.last_ended_ms : 0;
			if (in.last_ended_ms < 0)
				in.last_ended_ms = in.last_stop_loss_ms = 0;
			char what[160];
			snprintf(what, sizeof what, "%s, shape %d, now %lld", settings[s], shape,
			         (long long)in.now_ms);
			int64_t due = sb_strategy_next_due(&in);
			cr_assert_gt(due, in.now_ms, "%s: due lies after now", what);
			same_until(due, &seed, what);
		}
	}
}

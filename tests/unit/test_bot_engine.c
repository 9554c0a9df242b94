/*
 * test_bot_engine.c - the strategy tick and the decisions prices drive (src/bot/engine.c with prices.c), in
 * the daemon built by sbtest_bot on the scripted exchange and the virtual clock: a cycle opens only on a
 * fresh validated price while the daemon may trade, within max_positions and the quote budget; a buy
 * times out at its virtual time; stop-loss and max_duration leave at market; a stop-loss cools the pair
 * down; a pair without rules never trades. Every check is on what the exchange was asked and what the
 * store holds.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_bot.h"
#include "sbtest_dec.h"
#include "spotbot/coid.h"

static struct sbt_bot tb;
static struct sbt_fakex *fx;

/* The daemon for pairs (and settings, NULL-terminated, or NULL) on the fake. */
static void begin(const char *pairs, const char *const *settings)
{
	sbt_bot_init(&tb, pairs, settings, 0);
	fx = sbt_bot_fake(&tb);
}

static void teardown(void)
{
	sbt_bot_fini(&tb);
}

TestSuite(bot_engine, .fini = teardown);

/* Orders placed on side (of symbol, NULL: any). */
static size_t placed(enum sb_side side, const char *symbol)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n; i++)
		n += fx->req[i].kind == SBT_FX_PLACE && fx->req[i].order.side == side &&
		     (!symbol || strcmp(fx->req[i].symbol, symbol) == 0);
	return n;
}

/* Index of the last PLACE request, which must be a buy of symbol at price. */
static size_t last_buy(const char *symbol, const char *price)
{
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(i, 0, "an order was placed");
	cr_assert_eq(fx->req[i].order.side, SB_SIDE_BUY);
	cr_assert_str_eq(fx->req[i].symbol, symbol);
	cr_assert_eq(fx->req[i].order.price, D(price),
	             "the buy is at the bid of the quote it was decided on");
	return (size_t)i;
}

Test(bot_engine, a_cycle_opens_only_on_a_fresh_validated_price)
{
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=2,cooldown=0s", NULL);
	sbt_bot_trading(&tb);

	/* No price at all: the ticks decide nothing but ask the exchange for one. */
	sbt_bot_advance(&tb, 3000);
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "no buy without a price");
	int tk = sbt_fakex_last(fx, SBT_FX_TICKER);
	cr_assert_geq(tk, 0, "the missing price is asked for over REST");

	/* Quotes the validator refuses: crossed, not positive, and a crossed REST answer. */
	sbt_fakex_book(fx, "BTCUSDT", "50000", "49999.99");
	sbt_fakex_book(fx, "BTCUSDT", "0", "50000");
	for (size_t i = 0; i < fx->n; i++)
		if (fx->req[i].kind == SBT_FX_TICKER && strcmp(fx->req[i].symbol, "BTCUSDT") == 0 &&
		    !fx->req[i].answered)
			sbt_fakex_answer_ticker(fx, i, "50001", "50000");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "no buy on a refused quote");
	cr_assert_eq(sbt_bot_events_of(&tb, "price.refused", NULL), 1,
	             "the run of refusals is recorded once");

	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "a valid quote opens a cycle");
	last_buy("BTCUSDT", "50000");

	/* A jump beyond PRICE_MAX_JUMP (5%) is refused: no second cycle on it, one on the next sane quote. */
	sbt_fakex_book(fx, "BTCUSDT", "60000", "60000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "no buy on a jumped quote");
	sbt_fakex_book(fx, "BTCUSDT", "50010", "50010.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 2);
	last_buy("BTCUSDT", "50010");
	cr_assert_eq(sbt_bot_events_of(&tb, "price.refused", NULL), 2);
}

Test(bot_engine, a_stale_price_opens_no_cycle_until_a_fresh_one_arrives)
{
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=2,cooldown=15s", NULL);
	sbt_bot_trading(&tb);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b1 = last_buy("BTCUSDT", "50000");
	sbt_bot_ack(&tb, b1);

	/* The cooldown ends at 15 s; the quote went stale at 10 s (PRICE_MAX_AGE): nothing opens. */
	sbt_bot_advance_to(&tb, 15000);
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "no cycle on a stale price");

	/* The REST fallback asked for a price once the stream's went stale; its answer is fresh. */
	int tk = sbt_fakex_last(fx, SBT_FX_TICKER);
	cr_assert_geq(tk, 0);
	cr_assert_str_eq(fx->req[tk].symbol, "BTCUSDT");
	cr_assert_gt(tb.sent[tk].mono_ms, 10000, "asked for once the price was stale");
	sbt_fakex_answer_ticker(fx, (size_t)tk, "49000", "49000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 2, "the fresh REST price opens the next cycle");
	size_t b2 = last_buy("BTCUSDT", "49000");
	cr_assert_eq(tb.sent[b2].mono_ms, 15000);
}

Test(bot_engine, no_cycle_before_the_start_up_reconciliation_succeeds)
{
	begin("BTCUSDT:quote=20,buy_offset=0", NULL);
	sbt_bot_start_reconciling(&tb, NULL);

	/* Rules and a fresh price are there, the reconciliation is not: nothing is sent, then it fails. */
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	sbt_bot_advance(&tb, 2000);
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "no buy while reconciling");
	int l = sbt_fakex_last(fx, SBT_FX_OPEN_ORDERS);
	cr_assert_geq(l, 0, "the open orders are listed");
	sbt_fakex_fail(fx, (size_t)l, SB_ERR_TIMEOUT, 0);
	cr_assert_eq(tb.b->state, BOT_RECONCILING, "a failed reconciliation is no start");
	char buf[SB_STORE_VALUE_MAX];
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), "reconciling");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "no buy after it failed");

	/* It is tried again after BOT_STARTUP_RETRY; once it succeeds the daemon trades. */
	sbt_bot_advance(&tb, BOT_STARTUP_RETRY);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 2, "the reconciliation was retried");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0);
	sbt_bot_no_open_orders(&tb);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), "trading");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "the first cycle opens once trading");
}

/* The kill switch as `spotbot pause` and `resume` write it. */
Test(bot_engine, no_cycle_while_the_kill_switch_is_on)
{
	begin("BTCUSDT:quote=20,buy_offset=0", NULL);
	sbt_bot_trading(&tb);
	sbt_bot_set_paused(&tb, true);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(tb.b->state, BOT_PAUSED, "the tick read the kill switch from the database");
	char buf[SB_STORE_VALUE_MAX];
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), "paused");
	for (int s = 0; s < 20; s++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_bot_advance(&tb, 1000);
	}
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "twenty seconds of fresh prices, no buy");

	sbt_bot_set_paused(&tb, false);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "resumed: the tick opens a cycle on the fresh price");
}

Test(bot_engine, a_failed_database_write_stops_every_order_until_restart)
{
	begin("BTCUSDT:quote=20,buy_offset=0", NULL);
	sbt_bot_trading(&tb);
	sbt_bot_sql(
	    &tb,
	    "CREATE TRIGGER refuse BEFORE INSERT ON positions BEGIN SELECT RAISE(ABORT, 'disk full'); END");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "the position could not be written: no buy");
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	char buf[SB_STORE_VALUE_MAX];
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), "degraded");

	/* The database works again: the daemon stays degraded, and sends nothing, until it is restarted. */
	sbt_bot_sql(&tb, "DROP TRIGGER refuse");
	for (int s = 0; s < 5; s++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_bot_advance(&tb, 1000);
	}
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 0, "still no buy");
	cr_assert_eq(sbt_bot_positions_in(&tb, SB_POSITION_BUYING), 0);
	sbt_bot_restart(&tb);
	fx = tb.fx;
	sbt_bot_start(&tb, NULL);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "the restarted daemon trades");
}

Test(bot_engine, max_positions_caps_the_open_cycles_of_a_pair)
{
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=2,cooldown=0s", NULL);
	sbt_bot_trading(&tb);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b1 = last_buy("BTCUSDT", "50000");
	sbt_bot_ack(&tb, b1);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	sbt_bot_ack(&tb, last_buy("BTCUSDT", "50000"));
	for (int s = 0; s < 5; s++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_bot_advance(&tb, 1000);
	}
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 2, "two open cycles at most");
	cr_assert_eq(sbt_bot_positions_in(&tb, SB_POSITION_BUYING), 2);

	/* The exchange cancels the first buy unfilled: its position ends and makes room for a new one. */
	sbt_bot_report(&tb, b1, SB_ORDER_CANCELED, "0", "0");
	cr_assert_eq(sbt_bot_positions_in(&tb, SB_POSITION_CANCELED), 1);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 3, "a third cycle once one ended");
	cr_assert_eq(sbt_bot_positions_in(&tb, SB_POSITION_BUYING), 2);
}

/* The quote a buy commits: its price times its quantity. */
static sb_dec buy_quote(size_t i)
{
	sb_dec q = 0;
	cr_assert_eq(sb_dec_mul(fx->req[i].order.price, fx->req[i].order.quantity, SB_ROUND_UP, &q), SB_OK);
	return q;
}

Test(bot_engine, the_quote_budget_caps_what_the_open_cycles_of_every_pair_commit)
{
	const char *settings[] = {"MAX_EXPOSURE=50", NULL};
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=3,cooldown=0s;"
	      "ETHUSDT:quote=20,buy_offset=0,max_positions=3,cooldown=0s",
	      settings);
	sbt_bot_trading(&tb);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b1 = last_buy("BTCUSDT", "50000");
	sbt_bot_ack(&tb, b1);
	sbt_fakex_book(fx, "ETHUSDT", "3000", "3000.01");
	size_t e1 = last_buy("ETHUSDT", "3000");
	sbt_bot_ack(&tb, e1);
	cr_assert_eq(buy_quote(b1), D("20"), "0.0004 BTC at 50000: the whole quote");
	cr_assert_eq(buy_quote(e1), D("19.98"), "0.00666 ETH at 3000: as much as the step allows within it");

	/* 40 committed: another 20 would pass MAX_EXPOSURE (50) on either pair. */
	for (int s = 0; s < 3; s++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_fakex_book(fx, "ETHUSDT", "3000", "3000.01");
		sbt_bot_advance(&tb, 1000);
	}
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 2, "no third cycle beyond the budget");

	/* A bought position still commits its cost; an ended one frees its share of the budget. */
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 501);
	sbt_bot_trade(&tb, b1, &f, "0.0004", "20", SB_ORDER_FILLED);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 2, "the filled buy's cost still counts");
	sbt_bot_report(&tb, e1, SB_ORDER_CANCELED, "0", "0");
	sbt_fakex_book(fx, "ETHUSDT", "3000", "3000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 3, "room again once the ETH cycle ended");
	cr_assert_eq(placed(SB_SIDE_BUY, "ETHUSDT"), 2);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 3, "and only for one cycle");
}

Test(bot_engine, buy_timeout_cancels_at_the_virtual_time_it_is_due_and_keeps_what_filled)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,buy_timeout=30s", NULL);
	sbt_bot_trading(&tb);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_buy("BTCUSDT", "50000");
	sbt_bot_ack(&tb, b);
	sbt_bot_advance_to(&tb, 10000);
	struct sb_fill f = fill("50000", "0.0002", "10", "0.0000002", "BTC", 601);
	sbt_bot_trade(&tb, b, &f, "0.0002", "10", SB_ORDER_PARTIALLY_FILLED);

	sbt_bot_advance_to(&tb, 29999);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 0, "no cancel before the timeout");
	uint64_t t0 = sb_clock_mono_ms();
	sbt_bot_advance_to(&tb, 30000);
	cr_assert_lt(sb_clock_mono_ms() - t0, 10000, "30 s of the daemon's time take no real time");
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the buy is cancelled when its timeout passes");
	cr_assert_str_eq(fx->req[c].coid, fx->req[b].coid);
	cr_assert_eq(tb.sent[c].mono_ms, 30000, "at 30 s of the daemon's time");
	cr_assert_eq(tb.sent[c].row.status, SB_ORDER_PENDING_CANCEL, "the cancel was recorded first");
	sbt_bot_advance(&tb, 5000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1, "and asked once");

	/* Cancelled with half of it filled: the position goes on with what it holds and sells it. */
	sbt_bot_answer_about(&tb, (size_t)c, SB_ORDER_CANCELED, "0.0002", "10");
	int64_t pos = sbt_bot_order(&tb, fx->req[b].coid).position_id;
	cr_assert_eq(sbt_bot_order(&tb, fx->req[b].coid).status, SB_ORDER_CANCELED);
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);
	int s = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(fx->req[s].order.side, SB_SIDE_SELL);
	cr_assert_eq(fx->req[s].order.quantity, D("0.00019"), "0.0002 less its commission, to the step");
	cr_assert(sbt_bot_pays(D("0.00019"), fx->req[s].order.price, D("10"), "0.001", "0.005"));
}

/* A cycle bought in full at 50000 (commission 0.0000004 BTC) with its limit sell acknowledged; returns the
 * sell's request. */
static size_t bought_and_selling(void)
{
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_buy("BTCUSDT", "50000");
	sbt_bot_ack(&tb, b);
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 701);
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	int s = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(fx->req[s].order.side, SB_SIDE_SELL, "the sell followed the buy");
	cr_assert_eq(fx->req[s].order.type, SB_ORDER_LIMIT);
	sbt_bot_ack(&tb, (size_t)s);
	return (size_t)s;
}

/* The market exit that followed the cancel of the limit sell: a MARKET SELL of 0.00039, its intent
 * (exit leg) durable before it went out; returns its request. */
static size_t market_exit(void)
{
	int m = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(fx->req[m].order.type, SB_ORDER_MARKET, "a market sell followed");
	cr_assert_eq(fx->req[m].order.side, SB_SIDE_SELL);
	cr_assert_eq(fx->req[m].order.quantity, D("0.00039"), "what is held, to the step");
	struct sb_coid id;
	cr_assert_eq(sb_coid_parse(fx->req[m].coid, strlen(fx->req[m].coid), &id), SB_OK);
	cr_assert_eq(id.leg, SB_COID_EXIT);
	cr_assert(tb.sent[m].stored && tb.sent[m].row.status == SB_ORDER_PENDING_NEW);
	return (size_t)m;
}

/* Position pos was closed by a sell placed as exit. */
static void assert_closed_by(int64_t pos, enum sb_position_exit exit)
{
	struct sb_store_position p = sbt_bot_position(&tb, pos);
	cr_assert_eq(p.state, SB_POSITION_CLOSED);
	cr_assert_eq(p.exit, exit, "closed by %s: %s", sb_position_exit_name(exit),
	             sb_position_exit_name(p.exit));
}

Test(bot_engine, stop_loss_leaves_at_market_and_cools_the_pair_down)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,stop_loss=1%,stop_loss_cooldown=10m,cooldown=0s",
	      NULL);
	sbt_bot_trading(&tb);
	size_t s = bought_and_selling();
	int64_t pos = sbt_bot_order(&tb, fx->req[s].coid).position_id;

	/* 0.0003996 BTC received for 20 USDT: the stop is where bid * 0.0003996 <= 20 * 0.99, a bid of
	 * 49549.5495... A tick above it holds; at it the limit sell is cancelled for a market exit. */
	sbt_fakex_book(fx, "BTCUSDT", "49549.55", "49549.56");
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 0, "above the stop-loss");
	sbt_fakex_book(fx, "BTCUSDT", "49549.54", "49549.55");
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the stop-loss cancels the limit sell");
	cr_assert_str_eq(fx->req[c].coid, fx->req[s].coid);
	cr_assert_eq(tb.sent[c].row.status, SB_ORDER_PENDING_CANCEL);

	/* The price comes back before the cancel is answered: the exit decided goes on all the same. */
	sbt_fakex_book(fx, "BTCUSDT", "49700", "49700.01");
	sbt_bot_answer_about(&tb, (size_t)c, SB_ORDER_CANCELED, "0", "0");
	sbt_bot_advance(&tb, 1000);
	size_t m = market_exit();
	sbt_bot_ack(&tb, m);
	struct sb_fill f = fill("49690", "0.00039", "19.3791", "0.0193791", "USDT", 702);
	sbt_bot_trade(&tb, m, &f, "0.00039", "19.3791", SB_ORDER_FILLED);
	assert_closed_by(pos, SB_EXIT_STOP_LOSS);
	cr_assert_lt(sbt_bot_position(&tb, pos).realised_profit, 0, "a loss");
	uint64_t closed = sbt_bot_mono(&tb);

	/* stop_loss_cooldown: no new cycle for ten minutes after the exit, though cooldown is 0. */
	sbt_bot_advance_to(&tb, closed + 600000 - 1);
	sbt_fakex_book(fx, "BTCUSDT", "49700", "49700.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 1, "no buy within the stop-loss cooldown");
	sbt_bot_advance(&tb, 1);
	sbt_fakex_book(fx, "BTCUSDT", "49700", "49700.01");
	cr_assert_eq(placed(SB_SIDE_BUY, NULL), 2, "a new cycle once it has passed");
	cr_assert_eq(tb.sent[last_buy("BTCUSDT", "49700")].mono_ms, closed + 600000);
}

/* strategy.md: while the buy still works, a stop-loss cancels the rest of it first and then sells what was
 * bought; once decided, the exit goes on even if the bid is back above the line when the cancel completes. */
Test(bot_engine, a_stop_loss_while_buying_cancels_the_rest_and_sells_at_market_though_the_bid_recovers)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,stop_loss=1%", NULL);
	sbt_bot_trading(&tb);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_buy("BTCUSDT", "50000");
	int64_t pos = sbt_bot_order(&tb, fx->req[b].coid).position_id;
	sbt_bot_ack(&tb, b);
	struct sb_fill f = fill("50000", "0.0002", "10", "0.0000002", "BTC", 801);
	sbt_bot_trade(&tb, b, &f, "0.0002", "10", SB_ORDER_PARTIALLY_FILLED);

	/* 0.0001998 received for 10 USDT: the line is a bid of 49549.5495... */
	sbt_fakex_book(fx, "BTCUSDT", "49549.54", "49549.55");
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the stop-loss cancels the rest of the buy");
	cr_assert_str_eq(fx->req[c].coid, fx->req[b].coid);
	sbt_fakex_book(fx, "BTCUSDT", "49800", "49800.01");
	sbt_bot_answer_about(&tb, (size_t)c, SB_ORDER_CANCELED, "0.0002", "10");
	sbt_bot_advance(&tb, 1000);
	int m = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(fx->req[m].order.side, SB_SIDE_SELL, "what was bought is sold");
	cr_assert_eq(fx->req[m].order.type, SB_ORDER_MARKET, "at market, the exit decided");
	cr_assert_eq(fx->req[m].order.quantity, D("0.00019"));
	cr_assert_eq(placed(SB_SIDE_SELL, NULL), 1, "no limit sell first");
	sbt_bot_ack(&tb, (size_t)m);
	struct sb_fill sf = fill("49800", "0.00019", "9.462", "0.009462", "USDT", 802);
	sbt_bot_trade(&tb, (size_t)m, &sf, "0.00019", "9.462", SB_ORDER_FILLED);
	assert_closed_by(pos, SB_EXIT_STOP_LOSS);
}

Test(bot_engine, max_duration_alerts_once_then_leaves_at_market)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,max_duration=1h,max_duration_sell=true", NULL);
	sbt_bot_trading(&tb);
	size_t s = bought_and_selling();
	int64_t pos = sbt_bot_order(&tb, fx->req[s].coid).position_id;

	sbt_bot_advance_to(&tb, 3600000 - 1);
	sbt_fakex_book(fx, "BTCUSDT", "50100", "50100.01");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 0, "held less than max_duration");
	cr_assert_eq(sbt_bot_events_of(&tb, "alert", NULL), 0);
	sbt_bot_advance_to(&tb, 3600000);
	cr_assert_eq(sbt_bot_events_of(&tb, "alert", NULL), 1, "held for max_duration: alerted");
	cr_assert(sbt_bot_position(&tb, pos).duration_alerted, "and remembered");
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the limit sell is cancelled for the exit");
	cr_assert_eq(tb.sent[c].mono_ms, 3600000, "at the hour of the daemon's time");

	sbt_bot_answer_about(&tb, (size_t)c, SB_ORDER_CANCELED, "0", "0");
	sbt_fakex_book(fx, "BTCUSDT", "50100", "50100.01");
	size_t m = market_exit();
	sbt_bot_ack(&tb, m);
	sbt_bot_advance(&tb, 3000);
	cr_assert_eq(sbt_bot_events_of(&tb, "alert", NULL), 1, "alerted once");
	struct sb_fill f = fill("50100", "0.00039", "19.539", "0.019539", "USDT", 703);
	sbt_bot_trade(&tb, m, &f, "0.00039", "19.539", SB_ORDER_FILLED);
	assert_closed_by(pos, SB_EXIT_MAX_DURATION);
}

Test(bot_engine, a_pair_the_exchange_does_not_list_never_trades)
{
	begin("BTCUSDT:quote=20,buy_offset=0;ETHUSDT:quote=20,buy_offset=0", NULL);
	sbt_bot_start(&tb, "BTCUSDT");
	cr_assert_str_eq(bot_pair_state(&tb.b->pairs[1]), "unlisted");
	cr_assert_eq(sbt_bot_events_of(&tb, "pair.unlisted", NULL), 1, "recorded by name");
	for (int s = 0; s < 5; s++) {
		sbt_fakex_book(fx, "ETHUSDT", "3000", "3000.01");
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_bot_advance(&tb, 1000);
	}
	cr_assert_eq(placed(SB_SIDE_BUY, "BTCUSDT"), 1, "the listed pair trades");
	for (size_t i = 0; i < fx->n; i++)
		cr_assert_str_neq(fx->req[i].symbol, "ETHUSDT", "request %zu is about the unlisted pair", i);
}

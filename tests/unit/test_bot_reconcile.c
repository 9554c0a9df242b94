/*
 * test_bot_reconcile.c - start-up reconciliation (src/bot/reconcile.c with the order manager's queries and
 * backfills) in the daemon built by sbtest_bot: a first daemon leaves orders in the database, the process
 * stops without warning, the exchange moves on meanwhile, and a new daemon on the same database settles
 * with the exchange before it trades. Every check is on what the exchange was asked and what the store
 * holds.
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

/* The first daemon for pairs on the fake, trading. */
static void begin(const char *pairs)
{
	sbt_bot_init(&tb, pairs, NULL, 0);
	fx = sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
}

static void teardown(void)
{
	sbt_bot_fini(&tb);
}

TestSuite(bot_reconcile, .fini = teardown);

/* The process stops and a new daemon starts on its database, up to its reconciliation. */
static void restart_reconciling(void)
{
	sbt_bot_restart(&tb);
	fx = tb.fx;
	sbt_bot_start_reconciling(&tb, NULL);
}

/* The last request of kind, which must be about coid (QUERY); its index. */
static size_t asked(enum sbt_fakex_kind kind, const char *coid)
{
	int i = sbt_fakex_last(fx, kind);
	cr_assert_geq(i, 0, "the request was made");
	if (coid)
		cr_assert_str_eq(fx->req[i].coid, coid);
	return (size_t)i;
}

/* Requests of kind about coid. */
static size_t asked_about(enum sbt_fakex_kind kind, const char *coid)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n; i++)
		n += fx->req[i].kind == kind && strcmp(fx->req[i].coid, coid) == 0;
	return n;
}

/* The exchange's answer to query q: the order it knows under q's clientOrderId. */
static void answer_query(size_t q, int64_t order_id, enum sb_order_state st, const char *executed,
                         const char *quote)
{
	struct sb_bn_order o =
	    sbt_fakex_order(&fx->req[q], order_id, st, D(executed), D(quote), sbt_bot_now(&tb));
	sbt_fakex_answer_order(fx, q, SB_OK, 0, &o);
}

/* Answers myTrades request t with the trades fills of a buy order. */
static void answer_buy_trades(size_t t, const struct sbt_fakex_req *buy, int64_t order_id,
                              const struct sb_fill *f, size_t n)
{
	struct sb_bn_my_trade rows[4];
	cr_assert_leq(n, 4);
	for (size_t i = 0; i < n; i++)
		rows[i] = sbt_fakex_my_trade(buy, order_id, &f[i], sbt_bot_now(&tb));
	struct sb_bn_my_trades trades = {.items = rows, .n = n};
	sbt_fakex_answer_trades(fx, t, &trades);
}

Test(bot_reconcile, an_open_order_with_our_prefix_the_database_lacks_is_reported_and_left_alone)
{
	begin("BTCUSDT:quote=20,buy_offset=0");
	restart_reconciling();
	size_t l = asked(SBT_FX_OPEN_ORDERS, NULL);
	cr_assert_str_eq(fx->req[l].symbol, "BTCUSDT");

	/* Ours but unknown, someone's placed by hand, and another instance's. */
	const char *coids[3] = {"sb-main-999-b0", "web_8b1c2f", "sb-other-5-b0"};
	struct sbt_fakex_req r = {.kind = SBT_FX_PLACE,
	                          .order = {.side = SB_SIDE_BUY, .type = SB_ORDER_LIMIT}};
	snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
	struct sb_bn_order items[3];
	for (size_t i = 0; i < 3; i++) {
		snprintf(r.coid, sizeof r.coid, "%s", coids[i]);
		items[i] = sbt_fakex_order(&r, 7000 + (int64_t)i, SB_ORDER_NEW, 0, 0, sbt_bot_now(&tb));
	}
	struct sb_bn_order_list list = {.items = items, .n = 3};
	size_t before = fx->n;
	sbt_fakex_answer_orders(fx, l, &list);
	cr_assert_eq(tb.b->state, BOT_TRADING, "a foreign order does not hold the start back");
	cr_assert_eq(fx->n, before, "nothing is sent about any of them");
	cr_assert_eq(sbt_bot_events_of(&tb, "order.foreign", coids[0]), 1, "ours is reported");
	cr_assert_eq(sbt_bot_events_of(&tb, "order.foreign", NULL), 1, "the others are not ours to report");
	struct sb_store_order row;
	cr_assert_eq(sb_store_order_get(tb.b->st, coids[0], &row), SB_ERR_NOT_FOUND, "nor adopted");

	/* The daemon trades beside it. */
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	int p = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(p, 0);
	cr_assert_str_eq(fx->req[p].coid, "sb-main-1-b0");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 0);
}

Test(bot_reconcile, an_order_filled_while_the_daemon_was_down_has_its_fills_applied_once)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	struct sbt_fakex_req buy = fx->req[b];
	int64_t id = sbt_bot_order_id(b);
	int64_t pos = sbt_bot_order(&tb, buy.coid).position_id;
	sbt_bot_ack(&tb, b);
	struct sb_fill f[2] = {fill("50000", "0.0001", "5", "0.0000001", "BTC", 2001),
	                       fill("50000", "0.0003", "15", "0.0000003", "BTC", 2002)};
	sbt_bot_trade(&tb, b, &f[0], "0.0001", "5", SB_ORDER_PARTIALLY_FILLED);

	/* Down while the rest filled: missing from the open orders, it is queried and found FILLED, its
	 * trades are fetched, the one already recorded is not applied again. */
	restart_reconciling();
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "the open orders are listed first");
	sbt_bot_no_open_orders(&tb);
	size_t q = asked(SBT_FX_QUERY, buy.coid);
	answer_query(q, id, SB_ORDER_FILLED, "0.0004", "20");
	cr_assert_eq(sbt_bot_order(&tb, buy.coid).status, SB_ORDER_FILLED);
	size_t t = asked(SBT_FX_MY_TRADES, NULL);
	cr_assert_eq(fx->req[t].order_id, id, "the order's trades are fetched");
	answer_buy_trades(t, &buy, id, f, 2);
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sbt_bot_fills(&tb, buy.coid, &rows), 2, "the missed fill was added once");
	free(rows);
	cr_assert_eq(sbt_bot_events_of(&tb, "fill", buy.coid), 2);
	cr_assert_eq(sbt_bot_position(&tb, pos).buy_qty, D("0.0004"));

	/* The query's answer ended the reconciliation; the position moved on once its fills were complete. */
	cr_assert_eq(tb.b->state, BOT_TRADING);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "one sell");
	int s = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(s, 0, "the sell is placed once trading");
	cr_assert_eq(fx->req[s].order.side, SB_SIDE_SELL);
	cr_assert_eq(fx->req[s].order.quantity, D("0.00039"), "of everything bought, its commission less");
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);

	/* The stream's late report of the trade changes nothing. */
	struct sb_bn_user_event ev =
	    sbt_fakex_report(&buy, id, SB_ORDER_FILLED, &f[1], D("0.0004"), D("20"), sbt_bot_now(&tb));
	sbt_fakex_user(fx, &ev);
	cr_assert_eq(sbt_bot_events_of(&tb, "fill", buy.coid), 2);
	cr_assert_eq(sbt_bot_position(&tb, pos).buy_qty, D("0.0004"));
}

Test(bot_reconcile, orders_of_unknown_outcome_are_settled_by_query)
{
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=2,cooldown=0s");
	/* One buy's answer was lost; the daemon died before the other's came. */
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t a = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	sbt_fakex_answer_order(fx, a, SB_ERR_UNKNOWN_OUTCOME, 0, NULL);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_neq(a, b);
	char ca[SB_BN_CLIENT_ID_MAX], cb[SB_BN_CLIENT_ID_MAX];
	snprintf(ca, sizeof ca, "%s", fx->req[a].coid);
	snprintf(cb, sizeof cb, "%s", fx->req[b].coid);
	cr_assert_eq(sbt_bot_order(&tb, ca).status, SB_ORDER_UNKNOWN);
	cr_assert_eq(sbt_bot_order(&tb, cb).status, SB_ORDER_PENDING_NEW);

	/* The exchange has the first, resting; it never received the second. The open-orders list shows the
	 * first in another state than the database's, and lacks the second: both are queried. */
	restart_reconciling();
	size_t l = asked(SBT_FX_OPEN_ORDERS, NULL);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "the open orders are listed first");
	struct sbt_fakex_req r = {.kind = SBT_FX_PLACE,
	                          .order = {.side = SB_SIDE_BUY, .type = SB_ORDER_LIMIT}};
	snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
	snprintf(r.coid, sizeof r.coid, "%s", ca);
	struct sb_bn_order open = sbt_fakex_order(&r, 5001, SB_ORDER_NEW, 0, 0, sbt_bot_now(&tb));
	struct sb_bn_order_list list = {.items = &open, .n = 1};
	sbt_fakex_answer_orders(fx, l, &list);
	cr_assert_eq(sbt_bot_events_of(&tb, "order.foreign", NULL), 0, "the listed one is known");
	cr_assert_eq(asked_about(SBT_FX_QUERY, ca), 1, "each is queried by its clientOrderId");
	cr_assert_eq(asked_about(SBT_FX_QUERY, cb), 1);
	for (size_t i = 0; i < fx->n; i++) {
		if (fx->req[i].kind != SBT_FX_QUERY)
			continue;
		if (strcmp(fx->req[i].coid, ca) == 0)
			answer_query(i, 5001, SB_ORDER_NEW, "0", "0");
		else
			sbt_fakex_answer_order(fx, i, SB_ERR_EXCHANGE, -2013, NULL);
	}
	struct sb_store_order ra = sbt_bot_order(&tb, ca), rb = sbt_bot_order(&tb, cb);
	cr_assert_eq(ra.status, SB_ORDER_NEW, "the found order is adopted");
	cr_assert_eq(ra.exchange_order_id, 5001);
	cr_assert_eq(rb.status, SB_ORDER_NEVER_SENT, "the other was never sent");
	cr_assert_eq(sbt_bot_position(&tb, rb.position_id).state, SB_POSITION_CANCELED);
	cr_assert_eq(sbt_bot_position(&tb, ra.position_id).state, SB_POSITION_BUYING);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "neither is placed again");

	/* The slot of the one never sent is free: a new cycle, under a new position. */
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	int p = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(p, 0);
	cr_assert_str_eq(fx->req[p].coid, "sb-main-3-b0");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1);
}

Test(bot_reconcile, an_acknowledged_order_the_exchange_forgot_ends_lost_with_its_fills)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	struct sbt_fakex_req buy = fx->req[b];
	int64_t id = sbt_bot_order_id(b);
	int64_t pos = sbt_bot_order(&tb, buy.coid).position_id;
	sbt_bot_ack(&tb, b);
	struct sb_fill f[2] = {fill("50000", "0.0002", "10", "0.0000002", "BTC", 3001),
	                       fill("50000", "0.0001", "5", "0.0000001", "BTC", 3002)};
	sbt_bot_trade(&tb, b, &f[0], "0.0002", "10", SB_ORDER_PARTIALLY_FILLED);

	/* The exchange lost its state while the daemon was down: -2013 for an order it acknowledged. Its
	 * trades are fetched once more (one more had happened), then it ends LOST with what they explain. */
	restart_reconciling();
	sbt_bot_no_open_orders(&tb);
	size_t q = asked(SBT_FX_QUERY, buy.coid);
	sbt_fakex_answer_order(fx, q, SB_ERR_EXCHANGE, -2013, NULL);
	size_t t = asked(SBT_FX_MY_TRADES, NULL);
	cr_assert_eq(fx->req[t].order_id, id);
	answer_buy_trades(t, &buy, id, f, 2);
	struct sb_store_order row = sbt_bot_order(&tb, buy.coid);
	cr_assert_eq(row.status, SB_ORDER_LOST);
	cr_assert_eq(row.executed_qty, D("0.0003"), "what its trades explain");
	cr_assert_str_eq(row.last_error, "-2013 the exchange no longer knows this order");
	cr_assert_eq(sbt_bot_position(&tb, pos).buy_qty, D("0.0003"));

	sbt_bot_no_open_orders(&tb);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	sbt_bot_advance(&tb, 60000);
	cr_assert_eq(asked_about(SBT_FX_QUERY, buy.coid), 1, "never queried again");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_MY_TRADES), 1);
	int s = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(s, 0, "the position sells what was bought");
	cr_assert_eq(fx->req[s].order.side, SB_SIDE_SELL);
	cr_assert_eq(fx->req[s].order.quantity, D("0.00029"));
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);
}

Test(bot_reconcile, the_kill_switch_persisted_as_paused_is_obeyed_after_the_restart)
{
	begin("BTCUSDT:quote=20,buy_offset=0");
	/* `spotbot pause` wrote it; the daemon stopped before its next tick read it. */
	sbt_bot_set_paused(&tb, true);
	sbt_bot_restart(&tb);
	fx = tb.fx;
	sbt_bot_start(&tb, NULL);
	cr_assert_eq(tb.b->state, BOT_PAUSED, "started paused");
	char buf[SB_STORE_VALUE_MAX];
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_RUN_STATE, buf, sizeof buf), "paused");
	for (int s = 0; s < 60; s++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		sbt_bot_advance(&tb, 1000);
	}
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "a minute of fresh prices: nothing placed");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 0);
	cr_assert_eq(sbt_bot_positions_in(&tb, SB_POSITION_BUYING), 0);

	/* `spotbot resume`: the next tick trades. */
	sbt_bot_set_paused(&tb, false);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1);
}

/*
 * Two positions of a pair come back from the database: the newer one's buy filled and its fill was
 * committed, but its move to HOLDING was not (the process died between the two writes: here a trigger
 * refuses that write, the daemon degrades and is restarted); the older one holds only dust after a sell
 * that was partly filled and then cancelled. The first tick settles the newer one, which runs the
 * strategy for the pair: it sells the newer one and abandons the older one in the same decision, and the
 * older one's memory lasts until the step's reap.
 */
Test(bot_reconcile, a_position_settled_at_the_first_tick_may_end_another_of_the_pair)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,max_positions=2,cooldown=0s");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b1 = (size_t)sbt_fakex_last(fx, SBT_FX_PLACE);
	int64_t p1 = sbt_bot_order(&tb, fx->req[b1].coid).position_id;
	sbt_bot_ack(&tb, b1);
	struct sb_fill f1 = fill("50000", "0.0004", "20", "0.0000004", "BTC", 4001);
	sbt_bot_trade(&tb, b1, &f1, "0.0004", "20", SB_ORDER_FILLED);
	/* The decision after the fill sells it and, with room for two, opens a second cycle. */
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 3);
	size_t s1 = (size_t)sbt_fakex_nth(fx, SBT_FX_PLACE, 1),
	       b2 = (size_t)sbt_fakex_nth(fx, SBT_FX_PLACE, 2);
	cr_assert_eq(fx->req[s1].order.side, SB_SIDE_SELL);
	cr_assert_eq(fx->req[b2].order.side, SB_SIDE_BUY);
	sbt_bot_ack(&tb, s1);
	int64_t p2 = sbt_bot_order(&tb, fx->req[b2].coid).position_id;
	sbt_bot_ack(&tb, b2);

	/* 0.00038 of the first sell fills, the rest is cancelled: 0.0000196 is left, below the minimum. The
	 * process dies before the step after that dispatch could abandon the dust: the step is held. */
	tb.hold_step = true;
	struct sb_fill sf = {.price = fx->req[s1].order.price, .qty = D("0.00038"), .trade_id = 4002};
	cr_assert_eq(sb_dec_mul(sf.price, sf.qty, SB_ROUND_DOWN, &sf.quote_qty), SB_OK);
	char q[SB_DEC_STRLEN];
	sb_dec_format_trim(sf.quote_qty, q, sizeof q);
	sbt_bot_trade(&tb, s1, &sf, "0.00038", q, SB_ORDER_PARTIALLY_FILLED);
	sbt_bot_report(&tb, s1, SB_ORDER_CANCELED, "0.00038", q);
	cr_assert_eq(sbt_bot_position(&tb, p1).state, SB_POSITION_HOLDING);

	sbt_bot_sql(&tb, "CREATE TRIGGER crash BEFORE UPDATE ON positions WHEN OLD.state = 'BUYING' AND "
	                 "NEW.state = 'HOLDING' BEGIN SELECT RAISE(ABORT, 'crashed'); END");
	struct sb_fill f2 = fill("50000", "0.0004", "20", "0.0000004", "BTC", 4003);
	sbt_bot_trade(&tb, b2, &f2, "0.0004", "20", SB_ORDER_FILLED);
	cr_assert_eq(sbt_bot_order(&tb, fx->req[b2].coid).status, SB_ORDER_FILLED, "the fill is committed");
	cr_assert_eq(sbt_bot_position(&tb, p2).state, SB_POSITION_BUYING, "the move to HOLDING is not");
	cr_assert_eq(tb.b->state, BOT_DEGRADED);
	sbt_bot_sql(&tb, "DROP TRIGGER crash");

	sbt_bot_restart(&tb);
	tb.hold_step = false;
	fx = tb.fx;
	sbt_bot_start(&tb, NULL);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "every order is final");
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(sbt_bot_position(&tb, p1).state, SB_POSITION_ABANDONED, "the dust is abandoned");
	cr_assert_eq(sbt_bot_position(&tb, p2).state, SB_POSITION_SELLING, "the bought one sells");
	int s2 = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(s2, 0);
	cr_assert_eq(fx->req[s2].order.quantity, D("0.00039"));
	sbt_bot_advance(&tb, 5000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "and nothing else is sent");
}

/* A resting buy as its PLACE request was made (kept across a restart, which starts a new fake). */
struct resting {
	struct sbt_fakex_req req; /* the PLACE request */
	int64_t order_id;         /* the exchange's id it was acknowledged with */
};

/* n acknowledged resting buys of BTCUSDT (one position each), into out. */
static void resting_buys(size_t n, struct resting *out)
{
	int last = -1;
	for (size_t k = 0; k < n; k++) {
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		int p = sbt_fakex_last(fx, SBT_FX_PLACE);
		cr_assert_gt(p, last, "buy %zu is placed", k);
		last = p;
		out[k] = (struct resting){.req = fx->req[p], .order_id = sbt_bot_order_id((size_t)p)};
		sbt_bot_ack(&tb, (size_t)p);
	}
}

/* The open-orders list of the buys idx[0..n) as the exchange shows them resting. */
static void answer_resting(size_t l, const struct resting *r, size_t n)
{
	struct sb_bn_order items[16];
	cr_assert_leq(n, 16);
	for (size_t k = 0; k < n; k++)
		items[k] = sbt_fakex_order(&r[k].req, r[k].order_id, SB_ORDER_NEW, 0, 0, sbt_bot_now(&tb));
	struct sb_bn_order_list list = {.items = items, .n = n};
	sbt_fakex_answer_orders(fx, l, &list);
}

Test(bot_reconcile, a_restart_whose_orders_all_rest_costs_one_list_and_no_query)
{
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=6,cooldown=0s");
	struct resting idx[6];
	resting_buys(6, idx);
	restart_reconciling();
	size_t before = fx->n;
	size_t l = asked(SBT_FX_OPEN_ORDERS, NULL);
	answer_resting(l, idx, 6);
	cr_assert_eq(tb.b->state, BOT_TRADING, "the list explains every order: the daemon trades");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "no order is queried");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 1, "one list");
	cr_assert_eq(fx->n, before, "nothing else is asked");
}

Test(bot_reconcile, orders_missing_from_the_list_are_queried_a_few_at_a_time_before_trading)
{
	begin("BTCUSDT:quote=20,buy_offset=0,max_positions=12,cooldown=0s");
	struct resting idx[12];
	resting_buys(12, idx);
	restart_reconciling();
	size_t l = asked(SBT_FX_OPEN_ORDERS, NULL);
	/* Two still rest; ten ended while the daemon was down. */
	answer_resting(l, idx, 2);
	/* The daemon's REST calls out stay under the bound (its price requests count too). */
	size_t first = sbt_fakex_count(fx, SBT_FX_QUERY);
	cr_assert(first > 0 && first <= BOT_RECHECK_INFLIGHT, "a few at a time: %zu", first);
	cr_assert_leq(tb.b->inflight, BOT_RECHECK_INFLIGHT);
	for (size_t k = 0; k < 2; k++)
		cr_assert_eq(asked_about(SBT_FX_QUERY, idx[k].req.coid), 0, "a listed order is not asked");
	/* Each answer sends the next; the daemon trades once the last is answered. */
	for (size_t done = 0; done < 10; done++) {
		cr_assert_eq(tb.b->state, BOT_RECONCILING, "still reconciling after %zu answers", done);
		int q = sbt_fakex_nth(fx, SBT_FX_QUERY, done);
		cr_assert_geq(q, 0, "query %zu was sent", done);
		struct sb_bn_order o =
		    sbt_fakex_order(&fx->req[q], 0, SB_ORDER_CANCELED, 0, 0, sbt_bot_now(&tb));
		for (size_t k = 0; k < 12; k++)
			if (strcmp(idx[k].req.coid, fx->req[q].coid) == 0)
				o.order_id = idx[k].order_id;
		sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &o);
		cr_assert_leq(tb.b->inflight, BOT_RECHECK_INFLIGHT, "never more than the bound out");
	}
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 10, "each missing order queried once");
	cr_assert_eq(tb.b->state, BOT_TRADING);
	for (size_t k = 2; k < 12; k++)
		cr_assert_eq(sbt_bot_order(&tb, idx[k].req.coid).status, SB_ORDER_CANCELED);
}

Test(bot_reconcile, a_quiet_stream_lists_only_with_orders_out_and_not_under_a_high_weight)
{
	begin("BTCUSDT:quote=20,buy_offset=0");
	/* No order on the exchange: a quiet stream costs nothing. */
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SILENT);
	cr_assert_eq(fx->n, 0, "nothing to check");
	struct resting idx[1];
	resting_buys(1, idx);
	/* Above the soft limit the quiet-stream check waits; a resubscription's does not. */
	fx->used_weight = BOT_WEIGHT_SOFT + 1;
	size_t before = fx->n;
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SILENT);
	cr_assert_eq(fx->n, before, "not urgent: skipped");
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SUBSCRIBED);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 1, "events may be lost: listed");
	/* Filled while unseen: missing from the list. At run time its query waits while the weight is high,
	 * and goes once it falls. */
	sbt_bot_no_open_orders(&tb);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "held back by the weight");
	fx->used_weight = 0;
	sbt_bot_advance(&tb, 1000);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0, "queried once the weight allows");
	cr_assert_str_eq(fx->req[q].coid, idx[0].req.coid);
}

Test(bot_reconcile, a_quiet_stream_check_that_waited_or_whose_list_failed_is_owed_until_a_list_comes)
{
	begin("BTCUSDT:quote=20,buy_offset=0");
	struct resting idx[1];
	resting_buys(1, idx);
	/* A second silence while the first one's list is out: that list may predate the event that went
	 * missing, so the check is owed, not dropped. */
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SILENT);
	size_t l1 = asked(SBT_FX_OPEN_ORDERS, NULL);
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SILENT);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 1, "waits for the list out");
	answer_resting(l1, idx, 1);
	sbt_bot_advance(&tb, 6000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 2, "the owed check lists again");
	/* A list that fails at run time is tried again, until one comes. */
	size_t l2 = asked(SBT_FX_OPEN_ORDERS, NULL);
	sbt_fakex_fail(fx, l2, SB_ERR_TIMEOUT, 0);
	sbt_bot_advance(&tb, 6000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 3, "a failed list is owed");
	/* Filled while unseen: missing from the list that came, and queried. */
	sbt_bot_no_open_orders(&tb);
	sbt_bot_advance(&tb, 1000);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0, "the order the list does not explain is queried");
	cr_assert_str_eq(fx->req[q].coid, idx[0].req.coid);
	sbt_bot_advance(&tb, 30000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_OPEN_ORDERS), 3, "nothing owed once a list came");
}

Test(bot_reconcile, commission_rates_read_within_the_hour_are_not_asked_again_at_a_restart)
{
	sbt_bot_init(&tb, "BTCUSDT:quote=20;ETHUSDT:quote=20", NULL, 0);
	fx = sbt_bot_fake(&tb);
	sbt_bot_start_reconciling(&tb, NULL);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_COMMISSION), 2, "the first start asks for each pair's");
	sbt_bot_no_open_orders(&tb);

	/* Kept one pair a second once trading. */
	char kept[SB_STORE_VALUE_MAX];
	sbt_bot_advance(&tb, 2000);
	cr_assert_eq(sb_store_state_get(tb.b->st, "fees:BTCUSDT", kept, sizeof kept), SB_OK, "kept");
	cr_assert_eq(sb_store_state_get(tb.b->st, "fees:ETHUSDT", kept, sizeof kept), SB_OK, "kept");
	/* As if the account's rates had been 0.075% with the BNB discount when they were read. */
	char v[64];
	snprintf(v, sizeof v, "%lld 75000 1", (long long)sbt_bot_now(&tb));
	cr_assert_eq(sb_store_state_set(tb.b->st, "fees:BTCUSDT", v, sbt_bot_now(&tb), NULL), SB_OK);

	/* A crash and a restart a minute later: the rates read are used, nothing is asked. */
	sbt_bot_advance(&tb, 58000);
	restart_reconciling();
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_COMMISSION), 0, "kept from the reading a minute ago");
	struct bot_pair *pr = bot_pair_find(tb.b, "BTCUSDT");
	cr_assert_eq(pr->sell_fee, D("0.00075"), "the kept sell fee");
	cr_assert(pr->bnb_discount, "and the kept BNB discount");
	sbt_bot_no_open_orders(&tb);
	cr_assert_eq(tb.b->state, BOT_TRADING);

	/* An hour after the reading they are asked for again. */
	sbt_bot_advance(&tb, BOT_FEES_KEEP_MS);
	restart_reconciling();
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_COMMISSION), 2, "read again after BOT_FEES_KEEP_MS");
}

/*
 * test_sim_book.c - the matching engine: worked cases with exact numbers, and the engine against a
 * deliberately naive reference matcher (every fill, event and order state) on random order streams.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sim/book.h"

static struct sim_book_req limit(uint32_t acct, enum sb_side side, const char *price, const char *qty,
                                 enum sb_tif tif)
{
	struct sim_book_req r = {
	    .account = acct, .side = side, .type = SB_ORDER_LIMIT, .tif = tif, .time = 1000};
	r.price = D(price);
	r.qty = D(qty);
	return r;
}

static struct sim_book *mkbook(void)
{
	struct sim_book *b = NULL;
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", 0, 0, &b), SB_OK);
	return b;
}

/* Under the through model a trade or a quote at a resting order's price does not fill it; one beyond it
 * does, and a quote level at its price is taken by the queue ahead of it, so the book never locks. */
Test(sim_book, fill_through_needs_the_market_beyond_the_orders_price)
{
	struct sim_book *b = mkbook();
	sim_book_set_fill(b, SIM_FILL_THROUGH);
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q = limit(7, SB_SIDE_BUY, "100.00", "1.000", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	uint64_t id = r.order_id;

	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_market_trade(b, D("100"), D("5"), 2000, &r), SB_OK);
	cr_assert_eq(r.n_fills, 0, "a trade at the price only touches it");
	struct sim_book_level asks[] = {{D("100"), D("5")}, {D("100.01"), D("5")}}, best;
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 2, 2001, &r), SB_OK);
	cr_assert_eq(r.n_fills, 0, "an ask at the price only touches it");
	cr_assert(sim_book_best(b, SB_SIDE_SELL, &best));
	cr_assert_eq(best.price, D("100.01"), "the ask at 100 went to the queue ahead: no locked book");
	cr_assert(sim_book_best(b, SB_SIDE_BUY, &best));
	cr_assert_eq(best.price, D("100"));

	cr_assert_eq(sim_book_market_trade(b, D("99.99"), D("0.4"), 3000, &r), SB_OK);
	cr_assert_eq(r.n_fills, 1, "a trade below the buy fills it");
	cr_assert_eq(r.fills[0].price, D("100"), "at its own price");
	cr_assert_eq(r.fills[0].qty, D("0.4"));
	sim_book_result_clear(&r);
	struct sim_book_level lower[] = {{D("99.99"), D("5")}};
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, lower, 1, 3001, &r), SB_OK);
	cr_assert_eq(r.n_fills, 1, "so does an ask below it");
	cr_assert_eq(r.fills[0].qty, D("0.6"));
	cr_assert_eq(sim_book_find(b, id)->status, SB_ORDER_FILLED);

	/* The same trade at the price fills with the default model. */
	struct sim_book *t = mkbook();
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_place(t, &q, &r), SB_OK);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_market_trade(t, D("100"), D("5"), 2000, &r), SB_OK);
	cr_assert_eq(r.n_fills, 1, "touch: a trade at the price fills it");
	sim_book_result_fini(&r);
	sim_book_free(t);
	sim_book_free(b);
}

Test(sim_book, gtc_rests_then_market_trade_fills_partially_by_volume)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q = limit(7, SB_SIDE_BUY, "100.00", "1.000", SB_TIF_GTC);
	q.client_id = "abc";
	q.client_id_len = 3;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	uint64_t id = r.order_id;
	cr_assert_eq(r.n_events, 1);
	cr_assert_eq(r.events[0].exec, SIM_EXEC_NEW);
	cr_assert_eq(r.n_fills, 0);

	/* A market trade at 100.50 does not reach a bid at 100. */
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_market_trade(b, D("100.50"), D("5"), 2000, &r), SB_OK);
	cr_assert_eq(r.n_fills, 0);

	/* At 99.90 with only 0.3 traded: the bid fills 0.3 as maker at its own 100.00. */
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_market_trade(b, D("99.90"), D("0.3"), 3000, &r), SB_OK);
	cr_assert_eq(r.n_fills, 1);
	cr_assert_eq(r.fills[0].price, D("100"));
	cr_assert_eq(r.fills[0].qty, D("0.3"));
	cr_assert_eq(r.fills[0].quote_qty, D("30"));
	cr_assert_eq(r.fills[0].maker_order_id, id);
	cr_assert_eq(r.fills[0].taker_order_id, 0);
	cr_assert(r.fills[0].buyer_is_maker);
	cr_assert_eq(r.fills[0].trade_id, 1);
	cr_assert_eq(r.fills[0].time, 3000);
	cr_assert_eq(r.n_events, 1);
	cr_assert_eq(r.events[0].status, SB_ORDER_PARTIALLY_FILLED);
	cr_assert(r.events[0].is_maker);
	cr_assert_eq(r.events[0].executed_qty, D("0.3"));

	/* Another 2.0 at 100: only the 0.7 left fills, and the order is done. */
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_market_trade(b, D("100"), D("2"), 4000, &r), SB_OK);
	cr_assert_eq(r.n_fills, 1);
	cr_assert_eq(r.fills[0].qty, D("0.7"));
	cr_assert_eq(r.fills[0].trade_id, 2);
	const struct sim_book_order *o = sim_book_find(b, id);
	cr_assert_eq(o->status, SB_ORDER_FILLED);
	cr_assert_eq(o->executed_qty, D("1"));
	cr_assert_eq(o->cum_quote_qty, D("100"));
	cr_assert_eq(o->update_time, 4000);
	cr_assert_eq(sim_book_open_count(b, 7), 0);
	cr_assert_eq(sim_book_find_client(b, 7, "abc", 3), o);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, market_trade_shares_volume_best_price_then_time)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req a = limit(1, SB_SIDE_SELL, "101", "1", SB_TIF_GTC);
	struct sim_book_req c = limit(2, SB_SIDE_SELL, "100", "1", SB_TIF_GTC);
	struct sim_book_req d = limit(3, SB_SIDE_SELL, "100", "1", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &a, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &c, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &d, &r), SB_OK);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_market_trade(b, D("101"), D("1.5"), 5, &r), SB_OK);
	cr_assert_eq(r.n_fills, 2);
	cr_assert_eq(r.fills[0].maker_order_id, 2); /* 100, older */
	cr_assert_eq(r.fills[0].qty, D("1"));
	cr_assert_eq(r.fills[1].maker_order_id, 3); /* 100, newer */
	cr_assert_eq(r.fills[1].qty, D("0.5"));
	cr_assert_eq(r.fills[1].price, D("100"));
	cr_assert(!r.fills[1].buyer_is_maker);
	cr_assert_eq(sim_book_find(b, 1)->executed_qty, 0);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, fok_not_fillable_expires_without_fills)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_level asks[] = {{D("100"), D("0.5")}, {D("101"), D("0.4")}};
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 2, 1, &r), SB_OK);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "101", "1", SB_TIF_FOK);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(r.n_fills, 0);
	cr_assert_eq(r.n_events, 2);
	cr_assert_eq(r.events[0].exec, SIM_EXEC_NEW);
	cr_assert_eq(r.events[1].exec, SIM_EXEC_EXPIRED);
	cr_assert_eq(r.events[1].expiry, SIM_EXPIRY_UNFILLED_FOK);
	cr_assert_eq(sim_book_find(b, r.order_id)->status, SB_ORDER_EXPIRED);
	cr_assert_str_eq(sim_book_expiry_name(r.events[1].expiry), "UNFILLED_FOK_ORDER_EXPIRED");
	/* 0.9 is fillable across both levels. */
	sim_book_result_clear(&r);
	q.qty = D("0.9");
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(r.n_fills, 2);
	cr_assert_eq(sim_book_find(b, r.order_id)->status, SB_ORDER_FILLED);
	cr_assert_eq(sim_book_find(b, r.order_id)->cum_quote_qty, D("90.4"));
	struct sim_book_level best;
	cr_assert(!sim_book_best(b, SB_SIDE_SELL, &best)); /* the ladder was consumed */
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, ioc_remainder_expires)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req s = limit(2, SB_SIDE_SELL, "99.5", "0.25", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &s, &r), SB_OK);
	struct sim_book_level asks[] = {{D("100"), D("0.5")}, {D("100.5"), D("3")}};
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 2, 1, &r), SB_OK);
	sim_book_result_clear(&r);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "100", "1", SB_TIF_IOC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(r.n_fills, 2);
	cr_assert_eq(r.fills[0].price, D("99.5")); /* the user's better ask first */
	cr_assert_eq(r.fills[0].maker_order_id, 1);
	cr_assert_eq(r.fills[1].price, D("100"));
	cr_assert_eq(r.fills[1].maker_order_id, 0);
	/* NEW, TRADE (taker), TRADE (maker), TRADE (taker), EXPIRED */
	cr_assert_eq(r.n_events, 5);
	cr_assert_eq(r.events[1].order_id, r.order_id);
	cr_assert_eq(r.events[2].order_id, 1);
	cr_assert_eq(r.events[2].status, SB_ORDER_FILLED);
	cr_assert_eq(r.events[3].status, SB_ORDER_PARTIALLY_FILLED);
	cr_assert_eq(r.events[4].exec, SIM_EXEC_EXPIRED);
	cr_assert_eq(r.events[4].expiry, SIM_EXPIRY_UNFILLED_IOC);
	const struct sim_book_order *o = sim_book_find(b, r.order_id);
	cr_assert_eq(o->status, SB_ORDER_EXPIRED);
	cr_assert_eq(o->executed_qty, D("0.75"));
	cr_assert_eq(o->cum_quote_qty, D("74.875"));
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, market_quote_qty_floors_each_fill_to_step)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_level asks[] = {{D("30000"), D("0.002")}, {D("30010"), D("1")}};
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 2, 1, &r), SB_OK);
	struct sim_book_req q = {.account = 1, .side = SB_SIDE_BUY, .type = SB_ORDER_MARKET, .time = 9};
	q.quote_qty = D("100");
	q.step = D("0.00001");
	struct sim_book_estimate pv;
	cr_assert_eq(sim_book_preview(b, &q, &pv), SB_OK);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	/* 0.002 at 30000 = 60; 40 left buys floor(40/30010 = 0.001332889) to 0.00001 = 0.00133 for 39.9133.
	 */
	cr_assert_eq(r.n_fills, 2);
	cr_assert_eq(r.fills[0].qty, D("0.002"));
	cr_assert_eq(r.fills[0].quote_qty, D("60"));
	cr_assert_eq(r.fills[1].qty, D("0.00133"));
	cr_assert_eq(r.fills[1].quote_qty, D("39.9133"));
	const struct sim_book_order *o = sim_book_find(b, r.order_id);
	cr_assert_eq(o->status, SB_ORDER_FILLED);
	cr_assert_eq(o->orig_qty, D("0.00333"));
	cr_assert_eq(o->executed_qty, D("0.00333"));
	cr_assert_eq(o->orig_quote_qty, D("100"));
	cr_assert_eq(o->cum_quote_qty, D("99.9133"));
	cr_assert_eq(pv.quote, o->cum_quote_qty);
	cr_assert_eq(pv.qty, o->executed_qty);
	cr_assert_eq(r.events[r.n_events - 1].exec, SIM_EXEC_TRADE);
	cr_assert_eq(r.events[r.n_events - 1].status, SB_ORDER_FILLED);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, market_runs_out_of_liquidity_and_expires)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_level bids[] = {{D("99"), D("0.5")}};
	cr_assert_eq(sim_book_set_quotes(b, bids, 1, NULL, 0, 1, &r), SB_OK);
	struct sim_book_req q = {.account = 1, .side = SB_SIDE_SELL, .type = SB_ORDER_MARKET, .time = 9};
	q.qty = D("2");
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	const struct sim_book_order *o = sim_book_find(b, r.order_id);
	cr_assert_eq(o->status, SB_ORDER_EXPIRED);
	cr_assert_eq(o->expiry, SIM_EXPIRY_INSUFFICIENT_LIQUIDITY);
	cr_assert_eq(o->executed_qty, D("0.5"));
	cr_assert_eq(r.fills[0].buyer_account, SIM_ACCOUNT_MARKET);
	cr_assert(r.fills[0].buyer_is_maker);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, limit_maker_that_would_match_is_rejected)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_level asks[] = {{D("100"), D("1")}};
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 1, 1, &r), SB_OK);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "100", "1", SB_TIF_GTC);
	q.type = SB_ORDER_LIMIT_MAKER;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_EXCHANGE);
	cr_assert_eq(r.reject, SIM_REJECT_WOULD_MATCH);
	cr_assert_eq(r.order_id, 0);
	cr_assert_eq(r.n_events, 0);
	cr_assert_str_eq(sim_book_reject_msg(r.reject), "Order would immediately match and take.");
	q.price = D("99.99");
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(sim_book_find(b, r.order_id)->status, SB_ORDER_NEW);
	cr_assert_eq(sim_book_find(b, r.order_id)->tif, SB_TIF_GTC);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, duplicate_client_order_id_among_open_orders)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "90", "1", SB_TIF_GTC);
	q.client_id = "dup-1";
	q.client_id_len = 5;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	uint64_t first = r.order_id;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_EXCHANGE);
	cr_assert_eq(r.reject, SIM_REJECT_DUPLICATE);
	cr_assert_str_eq(sim_book_reject_msg(r.reject), "Duplicate order sent.");
	/* Another account may use the same id. */
	q.account = 2;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	/* Once the first is closed its id is free again, and lookup prefers the open order. */
	cr_assert_eq(sim_book_cancel(b, first, 5, &r), SB_OK);
	q.account = 1;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(sim_book_find_client(b, 1, "dup-1", 5)->id, r.order_id);
	cr_assert_eq(sim_book_find_client(b, 3, "dup-1", 5), NULL);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, cancel_of_unknown_or_closed_order_is_not_found)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	cr_assert_eq(sim_book_cancel(b, 42, 1, &r), SB_ERR_NOT_FOUND);
	struct sim_book_req q = limit(1, SB_SIDE_SELL, "100", "1", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_cancel(b, 1, 77, &r), SB_OK);
	cr_assert_eq(r.n_events, 1);
	cr_assert_eq(r.events[0].exec, SIM_EXEC_CANCELED);
	cr_assert_eq(r.events[0].status, SB_ORDER_CANCELED);
	cr_assert_eq(sim_book_find(b, 1)->update_time, 77);
	cr_assert_eq(sim_book_cancel(b, 1, 78, &r), SB_ERR_NOT_FOUND);
	cr_assert_eq(sim_book_open_count(b, SIM_ACCOUNT_MARKET), 0);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, quotes_crossing_a_resting_order_fill_it_up_to_quoted_qty)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "100", "2", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	struct sim_book_level asks[] = {{D("100.5"), D("9")}, {D("99.8"), D("0.5")}, {D("100"), D("0.7")}};
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 3, 50, &r), SB_OK);
	cr_assert_eq(r.n_fills, 2);
	cr_assert_eq(r.fills[0].price, D("100")); /* at the order's own price */
	cr_assert_eq(r.fills[0].qty, D("0.5"));
	cr_assert_eq(r.fills[1].qty, D("0.7"));
	cr_assert_eq(sim_book_find(b, 1)->executed_qty, D("1.2"));
	struct sim_book_level lv[4];
	cr_assert_eq(sim_book_depth(b, SB_SIDE_SELL, lv, 4), 1);
	cr_assert_eq(lv[0].price, D("100.5"));
	cr_assert_eq(sim_book_depth(b, SB_SIDE_BUY, lv, 4), 1);
	cr_assert_eq(lv[0].qty, D("0.8"));
	/* Bad levels leave the book untouched. */
	struct sim_book_level bad[] = {{D("100"), 0}};
	cr_assert_eq(sim_book_set_quotes(b, bad, 1, NULL, 0, 51, &r), SB_ERR_INVALID);
	cr_assert_eq(sim_book_depth(b, SB_SIDE_SELL, lv, 4), 1);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, open_order_cap_rejects_resting_orders_only)
{
	struct sim_book *b = NULL;
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", 2, 4, &b), SB_OK);
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "90", "1", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_EXCHANGE);
	cr_assert_eq(r.reject, SIM_REJECT_TOO_MANY_ORDERS);
	q.tif = SB_TIF_IOC;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	/* Closed orders beyond max_closed are evicted by the next mutating call. */
	for (int i = 0; i < 6; i++)
		cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(sim_book_cancel(b, 999, 1, &r), SB_ERR_NOT_FOUND);
	cr_assert_eq(sim_book_find(b, 3), NULL);
	cr_assert_neq(sim_book_find(b, 9), NULL);
	cr_assert_neq(sim_book_find(b, 1), NULL); /* open orders stay */
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, cancel_all_oldest_first)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q1 = limit(1, SB_SIDE_SELL, "110", "1", SB_TIF_GTC);
	struct sim_book_req q2 = limit(1, SB_SIDE_BUY, "90", "1", SB_TIF_GTC);
	struct sim_book_req q3 = limit(2, SB_SIDE_BUY, "91", "1", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q1, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &q2, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &q3, &r), SB_OK);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_cancel_all(b, 1, 5, &r), SB_OK);
	cr_assert_eq(r.n_events, 2);
	cr_assert_eq(r.events[0].order_id, 1);
	cr_assert_eq(r.events[1].order_id, 2);
	cr_assert_eq(sim_book_open_count(b, SIM_ACCOUNT_MARKET), 1);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, depth_merges_user_orders_and_ladder_by_price)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q1 = limit(1, SB_SIDE_BUY, "99.5", "1", SB_TIF_GTC);
	struct sim_book_req q2 = limit(2, SB_SIDE_BUY, "99.7", "0.2", SB_TIF_GTC);
	struct sim_book_req q3 = limit(3, SB_SIDE_BUY, "99.5", "0.3", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q1, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &q2, &r), SB_OK);
	cr_assert_eq(sim_book_place(b, &q3, &r), SB_OK);
	struct sim_book_level bids[] = {{D("99.6"), D("2")}, {D("99.5"), D("4")}};
	cr_assert_eq(sim_book_set_quotes(b, bids, 2, NULL, 0, 1, &r), SB_OK);
	struct sim_book_level lv[8];
	cr_assert_eq(sim_book_depth(b, SB_SIDE_BUY, lv, 8), 3);
	cr_assert(lv[0].price == D("99.7") && lv[0].qty == D("0.2"));
	cr_assert(lv[1].price == D("99.6") && lv[1].qty == D("2"));
	cr_assert(lv[2].price == D("99.5") && lv[2].qty == D("5.3"));
	cr_assert_eq(sim_book_depth(b, SB_SIDE_BUY, lv, 2), 2);
	cr_assert_eq(sim_book_depth(b, SB_SIDE_SELL, lv, 8), 0);
	const struct sim_book_order *open[4];
	cr_assert_eq(sim_book_open_orders(b, SIM_ACCOUNT_MARKET, open, 4), 3);
	cr_assert_eq(open[0]->id, 2); /* best first, then time */
	cr_assert_eq(open[1]->id, 1);
	cr_assert_eq(open[2]->id, 3);
	/* A SELL at 99.5 takes the user's 99.7 first, then the ladder's 99.6, then users at 99.5 before the
	 * ladder at the same price. */
	struct sim_book_req s = limit(4, SB_SIDE_SELL, "99.5", "3.5", SB_TIF_IOC);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_place(b, &s, &r), SB_OK);
	cr_assert_eq(r.n_fills, 4);
	cr_assert(r.fills[0].maker_order_id == 2 && r.fills[0].qty == D("0.2"));
	cr_assert(r.fills[1].maker_order_id == 0 && r.fills[1].qty == D("2") &&
	          r.fills[1].price == D("99.6"));
	cr_assert(r.fills[2].maker_order_id == 1 && r.fills[2].qty == D("1"));
	cr_assert(r.fills[3].maker_order_id == 3 && r.fills[3].qty == D("0.3"));
	cr_assert(r.fills[0].buyer_is_maker && r.fills[1].buyer_is_maker);
	cr_assert_eq(sim_book_find(b, r.order_id)->status, SB_ORDER_FILLED);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, market_sell_by_quote_collects_at_most_the_quote)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_level bids[] = {{D("250"), D("0.1")}, {D("249"), D("10")}};
	cr_assert_eq(sim_book_set_quotes(b, bids, 2, NULL, 0, 1, &r), SB_OK);
	struct sim_book_req q = {.account = 1, .side = SB_SIDE_SELL, .type = SB_ORDER_MARKET, .time = 2};
	q.quote_qty = D("50");
	q.step = D("0.001");
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	/* 0.1 at 250 = 25; 25 left at 249 = 0.100401.. -> 0.1 for 24.9. */
	cr_assert_eq(r.n_fills, 2);
	cr_assert_eq(r.fills[1].qty, D("0.1"));
	cr_assert_eq(r.fills[1].quote_qty, D("24.9"));
	const struct sim_book_order *o = sim_book_find(b, r.order_id);
	cr_assert_eq(o->status, SB_ORDER_FILLED);
	cr_assert_eq(o->cum_quote_qty, D("49.9"));
	cr_assert_str_eq(sb_order_type_name(o->type), "MARKET");
	cr_assert_str_eq(sb_side_name(o->side), "SELL");
	cr_assert_str_eq(sb_tif_name(o->tif), "GTC");
	/* A quote that cannot buy one step at the best price expires untouched. */
	q.side = SB_SIDE_BUY;
	q.quote_qty = D("0.01");
	struct sim_book_level asks[] = {{D("30000"), D("1")}};
	cr_assert_eq(sim_book_set_quotes(b, NULL, 0, asks, 1, 3, &r), SB_OK);
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_OK);
	cr_assert_eq(r.n_fills, 0);
	cr_assert_eq(sim_book_find(b, r.order_id)->status, SB_ORDER_EXPIRED);
	cr_assert_str_eq(sb_order_state_name(SB_ORDER_EXPIRED), "EXPIRED");
	sim_book_result_fini(&r);
	sim_book_free(b);
}

Test(sim_book, malformed_requests_are_invalid)
{
	struct sim_book *b = mkbook();
	struct sim_book_result r;
	sim_book_result_init(&r);
	struct sim_book_req q = limit(1, SB_SIDE_BUY, "100", "1", SB_TIF_GTC);
	q.account = SIM_ACCOUNT_MARKET;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_INVALID);
	q = limit(1, SB_SIDE_BUY, "0", "1", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_INVALID);
	q = limit(1, SB_SIDE_BUY, "90000000000", "10", SB_TIF_GTC);
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_OVERFLOW);
	q = (struct sim_book_req){.account = 1, .side = SB_SIDE_BUY, .type = SB_ORDER_MARKET};
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_INVALID); /* neither qty nor quote */
	q.qty = D("1");
	q.quote_qty = D("1");
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_INVALID); /* both */
	q = limit(1, SB_SIDE_BUY, "100", "1", SB_TIF_GTC);
	q.client_id = "0123456789012345678901234567890123456";
	q.client_id_len = 37;
	cr_assert_eq(sim_book_place(b, &q, &r), SB_ERR_INVALID);
	cr_assert_eq(r.n_events, 0);
	struct sim_book *bad = NULL;
	cr_assert_eq(sim_book_new("", "BTC", "USDT", 0, 0, &bad), SB_ERR_INVALID);
	sim_book_free(NULL);
	sim_book_result_fini(&r);
	sim_book_free(b);
}

/* ------------------------------------------------------------------------------------------------ */
/* The reference: every order in one array, every lookup a linear scan, every best price a full scan. */

struct ref_order {
	uint64_t id;
	uint32_t account;
	enum sb_side side;
	enum sb_order_type type;
	enum sb_tif tif;
	sb_dec price, orig, quote_qty, exec, cum;
	enum sb_order_state status;
	enum sim_book_expiry expiry;
	bool on_book;
	char cid[SIM_CLIENT_ID_MAX + 1];
};

struct ref_fill {
	int64_t trade_id;
	sb_dec price, qty, quote;
	uint64_t maker, taker;
	uint32_t buyer, seller;
	bool bim;
};

struct ref_event {
	uint64_t order_id;
	enum sim_book_exec exec;
	enum sb_order_state status;
	sb_dec exec_qty, cum;
	int64_t trade_id;
};

struct ref {
	struct ref_order *o;
	size_t n;
	struct sim_book_level bids[SIM_BOOK_MAX_LEVELS], asks[SIM_BOOK_MAX_LEVELS];
	size_t nb, na;
	int64_t next_trade;
	size_t max_open;
	struct ref_fill fills[4096];
	size_t nf;
	struct ref_event ev[8192];
	size_t ne;
};

static struct ref_order *ref_get(struct ref *R, uint64_t id)
{
	return id >= 1 && id <= R->n ? &R->o[id - 1] : NULL;
}

static void ref_event(struct ref *R, const struct ref_order *o, enum sim_book_exec x, int64_t tid)
{
	cr_assert_lt(R->ne, 8192);
	R->ev[R->ne++] = (struct ref_event){o->id, x, o->status, o->exec, o->cum, tid};
}

static bool ref_better(enum sb_side s, sb_dec a, sb_dec b)
{
	return s == SB_SIDE_BUY ? a > b : a < b;
}

/* Best open order on side s, by price then id. */
static struct ref_order *ref_best(struct ref *R, enum sb_side s)
{
	struct ref_order *best = NULL;
	for (size_t i = 0; i < R->n; i++) {
		struct ref_order *o = &R->o[i];
		if (!o->on_book || o->side != s)
			continue;
		if (!best || ref_better(s, o->price, best->price) ||
		    (o->price == best->price && o->id < best->id))
			best = o;
	}
	return best;
}

/* Best ladder level with quantity on side s. */
static struct sim_book_level *ref_best_level(struct ref *R, enum sb_side s)
{
	struct sim_book_level *lv = s == SB_SIDE_BUY ? R->bids : R->asks, *best = NULL;
	size_t n = s == SB_SIDE_BUY ? R->nb : R->na;
	for (size_t i = 0; i < n; i++)
		if (lv[i].qty > 0 && (!best || ref_better(s, lv[i].price, best->price)))
			best = &lv[i];
	return best;
}

static size_t ref_open(struct ref *R)
{
	size_t n = 0;
	for (size_t i = 0; i < R->n; i++)
		n += R->o[i].on_book;
	return n;
}

static void ref_fill_order(struct ref_order *o, sb_dec q, sb_dec cost)
{
	o->exec += q;
	o->cum += cost;
	o->status = o->exec == o->orig ? SB_ORDER_FILLED : SB_ORDER_PARTIALLY_FILLED;
	if (o->status == SB_ORDER_FILLED)
		o->on_book = false;
}

static void ref_exec(struct ref *R, struct ref_order *maker, struct ref_order *taker, enum sb_side tside,
                     sb_dec p, sb_dec q)
{
	sb_dec cost;
	cr_assert_eq(sb_dec_mul(p, q, SB_ROUND_DOWN, &cost), SB_OK);
	if (maker)
		ref_fill_order(maker, q, cost);
	if (taker)
		ref_fill_order(taker, q, cost);
	struct ref_order *buyer = tside == SB_SIDE_BUY ? taker : maker;
	struct ref_order *seller = tside == SB_SIDE_BUY ? maker : taker;
	int64_t tid = R->next_trade++;
	cr_assert_lt(R->nf, 4096);
	R->fills[R->nf++] = (struct ref_fill){tid,
	                                      p,
	                                      q,
	                                      cost,
	                                      maker ? maker->id : 0,
	                                      taker ? taker->id : 0,
	                                      buyer ? buyer->account : 0,
	                                      seller ? seller->account : 0,
	                                      tside == SB_SIDE_SELL};
	if (taker)
		ref_event(R, taker, SIM_EXEC_TRADE, tid);
	if (maker)
		ref_event(R, maker, SIM_EXEC_TRADE, tid);
}

/* Sums what crosses limit on the other side (FOK). */
static sb_dec ref_crossing_qty(struct ref *R, enum sb_side s, sb_dec limit)
{
	enum sb_side opp = s == SB_SIDE_BUY ? SB_SIDE_SELL : SB_SIDE_BUY;
	sb_dec sum = 0;
	for (size_t i = 0; i < R->n; i++)
		if (R->o[i].on_book && R->o[i].side == opp && !ref_better(opp, limit, R->o[i].price))
			sum += R->o[i].orig - R->o[i].exec;
	struct sim_book_level *lv = opp == SB_SIDE_BUY ? R->bids : R->asks;
	size_t n = opp == SB_SIDE_BUY ? R->nb : R->na;
	for (size_t i = 0; i < n; i++)
		if (lv[i].qty > 0 && !ref_better(opp, limit, lv[i].price))
			sum += lv[i].qty;
	return sum;
}

static void ref_expire(struct ref *R, struct ref_order *o, enum sim_book_expiry why)
{
	o->status = SB_ORDER_EXPIRED;
	o->expiry = why;
	ref_event(R, o, SIM_EXEC_EXPIRED, -1);
}

/* Returns the reject reason, SIM_REJECT_NONE when the order was created. */
static enum sim_book_reject ref_place(struct ref *R, const struct sim_book_req *q)
{
	enum sb_side opp = q->side == SB_SIDE_BUY ? SB_SIDE_SELL : SB_SIDE_BUY;
	for (size_t i = 0; i < R->n; i++)
		if (q->client_id_len && R->o[i].on_book && R->o[i].account == q->account &&
		    strlen(R->o[i].cid) == q->client_id_len &&
		    !memcmp(R->o[i].cid, q->client_id, q->client_id_len))
			return SIM_REJECT_DUPLICATE;
	bool rests = q->type == SB_ORDER_LIMIT_MAKER || (q->type == SB_ORDER_LIMIT && q->tif == SB_TIF_GTC);
	if (rests && ref_open(R) >= R->max_open)
		return SIM_REJECT_TOO_MANY_ORDERS;
	if (q->type == SB_ORDER_LIMIT_MAKER && ref_crossing_qty(R, q->side, q->price) > 0)
		return SIM_REJECT_WOULD_MATCH;
	R->o = realloc(R->o, (R->n + 1) * sizeof(*R->o));
	struct ref_order *o = &R->o[R->n++];
	memset(o, 0, sizeof(*o));
	o->id = R->n;
	o->account = q->account;
	o->side = q->side;
	o->type = q->type;
	o->tif = q->type == SB_ORDER_LIMIT ? q->tif : SB_TIF_GTC;
	o->price = q->price;
	o->orig = q->qty;
	o->quote_qty = q->type == SB_ORDER_MARKET ? q->quote_qty : 0;
	if (q->client_id_len)
		memcpy(o->cid, q->client_id, q->client_id_len);
	o->status = SB_ORDER_NEW;
	ref_event(R, o, SIM_EXEC_NEW, -1);
	if (q->type == SB_ORDER_LIMIT && q->tif == SB_TIF_FOK &&
	    ref_crossing_qty(R, q->side, q->price) < q->qty) {
		ref_expire(R, o, SIM_EXPIRY_UNFILLED_FOK);
		return SIM_REJECT_NONE;
	}
	if (q->type == SB_ORDER_LIMIT_MAKER) {
		o->on_book = true;
		return SIM_REJECT_NONE;
	}
	bool by_quote = q->type == SB_ORDER_MARKET && q->quote_qty > 0;
	sb_dec quote_left = q->quote_qty;
	int why = 0; /* 0 complete, 1 price, 2 liquidity */
	for (;;) {
		if (by_quote ? quote_left == 0 : o->exec == o->orig)
			break;
		struct ref_order *u = ref_best(R, opp);
		struct sim_book_level *l = ref_best_level(R, opp);
		if (!u && !l) {
			why = 2;
			break;
		}
		bool use_u = u && (!l || !ref_better(opp, l->price, u->price));
		sb_dec p = use_u ? u->price : l->price;
		sb_dec avail = use_u ? u->orig - u->exec : l->qty;
		if (q->type != SB_ORDER_MARKET && ref_better(opp, q->price, p)) {
			why = 1;
			break;
		}
		sb_dec want;
		bool last = false;
		if (by_quote) {
			cr_assert_eq(sb_dec_div(quote_left, p, SB_ROUND_DOWN, &want), SB_OK);
			cr_assert_eq(sb_dec_round_to(want, q->step, SB_ROUND_DOWN, &want), SB_OK);
			if (want == 0)
				break;
			last = want < avail;
		} else {
			want = o->orig - o->exec;
		}
		sb_dec x = want < avail ? want : avail;
		sb_dec before = o->cum;
		ref_exec(R, use_u ? u : NULL, o, q->side, p, x);
		if (!use_u)
			l->qty -= x;
		quote_left -= o->cum - before;
		if (last)
			break;
	}
	if (by_quote) {
		o->orig = o->exec;
		if (o->exec > 0 && why == 0) {
			o->status = SB_ORDER_FILLED;
			for (size_t i = R->ne; i-- > 0;)
				if (R->ev[i].order_id == o->id && R->ev[i].exec == SIM_EXEC_TRADE) {
					R->ev[i].status = SB_ORDER_FILLED;
					break;
				}
		} else {
			ref_expire(R, o, why == 2 ? SIM_EXPIRY_INSUFFICIENT_LIQUIDITY : SIM_EXPIRY_NONE);
		}
	} else if (o->status != SB_ORDER_FILLED) {
		if (q->type == SB_ORDER_MARKET)
			ref_expire(R, o, SIM_EXPIRY_INSUFFICIENT_LIQUIDITY);
		else if (q->tif == SB_TIF_IOC)
			ref_expire(R, o, SIM_EXPIRY_UNFILLED_IOC);
		else if (q->tif == SB_TIF_FOK)
			ref_expire(R, o, SIM_EXPIRY_UNFILLED_FOK);
		else
			o->on_book = true;
	}
	return SIM_REJECT_NONE;
}

static bool ref_cancel(struct ref *R, uint64_t id)
{
	struct ref_order *o = ref_get(R, id);
	if (!o || !o->on_book)
		return false;
	o->on_book = false;
	o->status = SB_ORDER_CANCELED;
	ref_event(R, o, SIM_EXEC_CANCELED, -1);
	return true;
}

static void ref_market_trade(struct ref *R, sb_dec price, sb_dec vol)
{
	for (int s = 0; s < 2; s++) {
		enum sb_side side = s == 0 ? SB_SIDE_BUY : SB_SIDE_SELL;
		struct ref_order *o;
		while (vol > 0 && (o = ref_best(R, side)) && !ref_better(side, price, o->price)) {
			sb_dec x = o->orig - o->exec < vol ? o->orig - o->exec : vol;
			ref_exec(R, o, NULL, side == SB_SIDE_BUY ? SB_SIDE_SELL : SB_SIDE_BUY, o->price, x);
			vol -= x;
		}
	}
}

static void ref_quotes(struct ref *R, const struct sim_book_level *b, size_t nb,
                       const struct sim_book_level *a, size_t na)
{
	memcpy(R->bids, b, nb * sizeof(*b));
	memcpy(R->asks, a, na * sizeof(*a));
	R->nb = nb;
	R->na = na;
	for (int s = 0; s < 2; s++) {
		enum sb_side side = s == 0 ? SB_SIDE_BUY : SB_SIDE_SELL;
		enum sb_side opp = s == 0 ? SB_SIDE_SELL : SB_SIDE_BUY;
		struct ref_order *o;
		struct sim_book_level *l;
		while ((o = ref_best(R, side)) && (l = ref_best_level(R, opp)) &&
		       !ref_better(side, l->price, o->price)) {
			sb_dec x = o->orig - o->exec < l->qty ? o->orig - o->exec : l->qty;
			ref_exec(R, o, NULL, opp, o->price, x);
			l->qty -= x;
		}
	}
}

/* ---- random streams ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int64_t rnd_in(int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

/* The symbol's grid: see run_stream's callers. */
static sb_dec TICK, STEP, QUOTE_UNIT;

static const char *const cids[] = {"a", "b", "c", "d", "e", "f", "g", "h"};

static struct sim_book_req random_order(sb_dec mid)
{
	struct sim_book_req q = {0};
	q.account = (uint32_t)rnd_in(1, 4);
	q.side = rnd() % 2 ? SB_SIDE_BUY : SB_SIDE_SELL;
	int k = (int)rnd_in(0, 99);
	q.type = k < 60 ? SB_ORDER_LIMIT : k < 85 ? SB_ORDER_MARKET : SB_ORDER_LIMIT_MAKER;
	q.tif = (enum sb_tif)rnd_in(0, 2);
	if (q.type != SB_ORDER_MARKET) {
		q.price = mid + rnd_in(-8, 8) * TICK;
		q.qty = rnd_in(1, 2000) * STEP;
	} else if (rnd() % 2) {
		q.qty = rnd_in(1, 3000) * STEP;
	} else {
		q.quote_qty = rnd_in(1, 40000) * QUOTE_UNIT;
		q.step = rnd() % 4 ? STEP : 0;
	}
	if (rnd() % 3) {
		const char *c = cids[rnd() % 8];
		q.client_id = c;
		q.client_id_len = strlen(c);
	}
	q.time = 1;
	return q;
}

static size_t random_levels(enum sb_side side, sb_dec mid, struct sim_book_level *lv)
{
	size_t n = (size_t)rnd_in(0, 6);
	for (size_t i = 0; i < n; i++) {
		/* Distinct prices, in shuffled order so the book's sorting is exercised. */
		int64_t k = (int64_t)((i * 5 + 3) % 7) + 1;
		lv[i].price = side == SB_SIDE_BUY ? mid - k * TICK : mid + k * TICK;
		lv[i].qty = rnd_in(1, 1500) * STEP;
	}
	return n;
}

static void compare_result(struct ref *R, struct sim_book *b, const struct sim_book_result *r, int step)
{
	cr_assert_eq(r->n_fills, R->nf, "step %d: %zu fills, reference %zu", step, r->n_fills, R->nf);
	for (size_t i = 0; i < R->nf; i++) {
		const struct sim_book_fill *f = &r->fills[i];
		const struct ref_fill *g = &R->fills[i];
		cr_assert(f->trade_id == g->trade_id && f->price == g->price && f->qty == g->qty &&
		              f->quote_qty == g->quote && f->maker_order_id == g->maker &&
		              f->taker_order_id == g->taker && f->buyer_account == g->buyer &&
		              f->seller_account == g->seller && f->buyer_is_maker == g->bim,
		          "step %d fill %zu differs", step, i);
	}
	cr_assert_eq(r->n_events, R->ne, "step %d: %zu events, reference %zu", step, r->n_events, R->ne);
	for (size_t i = 0; i < R->ne; i++) {
		const struct sim_book_event *e = &r->events[i];
		const struct ref_event *g = &R->ev[i];
		cr_assert(e->order_id == g->order_id && e->exec == g->exec && e->status == g->status &&
		              e->executed_qty == g->exec_qty && e->cum_quote_qty == g->cum &&
		              e->trade_id == g->trade_id,
		          "step %d event %zu differs", step, i);
		const struct sim_book_order *o = sim_book_find(b, e->order_id);
		const struct ref_order *p = ref_get(R, e->order_id);
		cr_assert_not_null(o);
		cr_assert(o->status == p->status && o->executed_qty == p->exec &&
		              o->cum_quote_qty == p->cum && o->orig_qty == p->orig &&
		              o->expiry == p->expiry && o->account == p->account && o->tif == p->tif,
		          "step %d order %llu state differs", step, (unsigned long long)o->id);
	}
}

static void run_stream(uint64_t seed, int steps, uint32_t max_open, uint32_t max_closed, sb_dec mid,
                       sb_dec tick, sb_dec step_size, sb_dec quote_unit)
{
	TICK = tick;
	STEP = step_size;
	QUOTE_UNIT = quote_unit;
	struct sim_book *b = NULL;
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", max_open, max_closed, &b), SB_OK);
	struct ref *R = calloc(1, sizeof(*R));
	R->next_trade = 1;
	R->max_open = max_open;
	struct sim_book_result r;
	sim_book_result_init(&r);
	rng_state = seed;
	size_t n_fills = 0, n_rejects = 0;
	for (int step = 0; step < steps; step++) {
		sim_book_result_clear(&r);
		R->nf = R->ne = 0;
		int k = (int)rnd_in(0, 99);
		if (k < 55) {
			struct sim_book_req q = random_order(mid);
			enum sim_book_reject want = ref_place(R, &q);
			sb_err err = sim_book_place(b, &q, &r);
			cr_assert_eq(r.reject, want, "step %d: reject %d, reference %d", step, r.reject,
			             want);
			cr_assert_eq(err, want == SIM_REJECT_NONE ? SB_OK : SB_ERR_EXCHANGE);
			n_rejects += want != SIM_REJECT_NONE;
		} else if (k < 70) {
			uint64_t id = (uint64_t)rnd_in(1, (int64_t)R->n + 2);
			bool ok = ref_cancel(R, id);
			cr_assert_eq(sim_book_cancel(b, id, 1, &r), ok ? SB_OK : SB_ERR_NOT_FOUND, "step %d",
			             step);
		} else if (k < 85) {
			sb_dec p = mid + rnd_in(-6, 6) * TICK, v = rnd_in(0, 800) * STEP;
			ref_market_trade(R, p, v);
			cr_assert_eq(sim_book_market_trade(b, p, v, 1, &r), SB_OK);
		} else {
			mid += rnd_in(-3, 3) * TICK;
			struct sim_book_level bl[8], al[8];
			size_t nb = random_levels(SB_SIDE_BUY, mid, bl),
			       na = random_levels(SB_SIDE_SELL, mid, al);
			ref_quotes(R, bl, nb, al, na);
			cr_assert_eq(sim_book_set_quotes(b, bl, nb, al, na, 1, &r), SB_OK);
		}
		compare_result(R, b, &r, step);
		n_fills += r.n_fills;
		cr_assert_eq(sim_book_open_count(b, SIM_ACCOUNT_MARKET), ref_open(R), "step %d", step);
	}
	/* Final state: every open order agrees; closed ones too as far as the book still holds them. */
	sim_book_result_clear(&r);
	cr_assert_eq(sim_book_cancel(b, UINT64_MAX, 1, &r), SB_ERR_NOT_FOUND); /* evicts */
	size_t found_closed = 0;
	for (size_t i = 0; i < R->n; i++) {
		const struct ref_order *p = &R->o[i];
		const struct sim_book_order *o = sim_book_find(b, p->id);
		if (!p->on_book && !o)
			continue;
		cr_assert_not_null(o, "order %zu missing", i + 1);
		found_closed += !p->on_book;
		cr_assert(o->status == p->status && o->executed_qty == p->exec && o->cum_quote_qty == p->cum,
		          "order %llu final state differs", (unsigned long long)p->id);
		if (p->cid[0])
			cr_assert_not_null(sim_book_find_client(b, p->account, p->cid, strlen(p->cid)));
	}
	cr_assert_leq(found_closed, max_closed);
	cr_assert_gt(n_fills, (size_t)steps / 4, "the stream should trade a lot (%zu fills)", n_fills);
	cr_assert_gt(n_rejects, 0);
	sim_book_result_fini(&r);
	sim_book_free(b);
	free(R->o);
	free(R);
}

Test(sim_book, matches_naive_reference_on_random_streams)
{
	run_stream(0x5eed1234abcdULL, 6000, 400, 100000, SB_DEC_C(100, 0), SB_DEC_C(0, 1000000),
	           SB_DEC_C(0, 100000), SB_DEC_C(0, 1000000));
}

Test(sim_book, matches_reference_with_small_caps_and_eviction)
{
	run_stream(0x0badcafe77ULL, 4000, 40, 64, SB_DEC_C(100, 0), SB_DEC_C(0, 1000000), SB_DEC_C(0, 100000),
	           SB_DEC_C(0, 1000000));
}

/* Tick 1e-8 and step 0.01 around 0.00123457: products need rounding and quote orders hit the step floor. */
Test(sim_book, matches_reference_on_a_low_priced_symbol)
{
	run_stream(0x10751de5ULL, 5000, 400, 100000, SB_DEC_C(0, 123457), 1, SB_DEC_C(0, 1000000), 7);
}

/*
 * test_sim_userdata.c - the user-data events spotsim publishes after a real book and ledger run:
 * executionReport text field for field as Binance sends it (NEW, partial and full TRADE with the
 * commission in the base asset or in BNB, CANCELED, EXPIRED with its reason), and the
 * outboundAccountPosition that follows, with the ledger's balances of the assets that moved; and the
 * TRADE_PREVENTION report of an order expired by self-trade prevention (v, A, B, u, U, V).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sim/exchange.h"

#define MAX_EVENTS 32

struct captured {
	uint32_t account[MAX_EVENTS]; /* who each event went to */
	char *json[MAX_EVENTS];       /* its text */
	size_t n;                     /* events captured */
};

struct fx {
	struct sim_exchange ex;
	struct sim_symbol sym;
	struct sim_book_result r;
	struct captured cap;
	uint32_t a, b; /* accounts under test */
};

static struct fx f;

static void on_user(void *ctx, uint32_t account, const char *json, size_t len)
{
	struct captured *c = ctx;
	cr_assert_lt(c->n, MAX_EVENTS);
	cr_assert_eq(strlen(json), len, "length passed with the event matches its text");
	c->account[c->n] = account;
	c->json[c->n] = strndup(json, len);
	c->n++;
}

static void setup(void)
{
	memset(&f, 0, sizeof f);
	cr_assert_eq(sim_ledger_new(&f.ex.ledger), SB_OK);
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", 0, 0, &f.sym.book), SB_OK);
	sim_book_result_init(&f.r);
	f.ex.hooks.ctx = &f.cap;
	f.ex.hooks.user = on_user;
	cr_assert_eq(sim_ledger_add_account(f.ex.ledger, "key-a", &f.a), SB_OK);
	cr_assert_eq(sim_ledger_add_account(f.ex.ledger, "key-b", &f.b), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.ex.ledger, f.a, "USDT", D("1000")), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.ex.ledger, f.b, "BTC", D("2")), SB_OK);
}

static void teardown(void)
{
	for (size_t i = 0; i < f.cap.n; i++)
		free(f.cap.json[i]);
	sim_book_result_fini(&f.r);
	sim_book_free(f.sym.book);
	sim_ledger_free(f.ex.ledger);
}

/* Publishes what the last call left in the result, then empties it. */
static void publish(void)
{
	sim_exchange_publish(&f.ex, &f.sym, &f.r);
	sim_book_result_clear(&f.r);
}

static void asks(const char *p1, const char *q1, const char *p2, const char *q2, int64_t time)
{
	struct sim_book_level lv[2] = {{D(p1), D(q1)}, {p2 ? D(p2) : 0, q2 ? D(q2) : 0}};
	cr_assert_eq(sim_ledger_set_quotes(f.ex.ledger, f.sym.book, NULL, 0, lv, p2 ? 2 : 1, time, 0, &f.r),
	             SB_OK);
	publish();
}

static void place(uint32_t acct, enum sb_side side, enum sb_order_type type, enum sb_tif tif,
                  const char *price, const char *qty, const char *cid, int64_t time, sb_dec bnb_price)
{
	struct sim_book_req q = {.account = acct, .side = side, .type = type, .tif = tif, .time = time};
	q.price = price ? D(price) : 0;
	q.qty = D(qty);
	q.client_id = cid;
	q.client_id_len = strlen(cid);
	cr_assert_eq(sim_ledger_place(f.ex.ledger, f.sym.book, &q, bnb_price, &f.r), SB_OK);
	publish();
}

static void expect(size_t i, uint32_t account, const char *json)
{
	cr_assert_lt(i, f.cap.n, "event %zu was published (got %zu)", i, f.cap.n);
	cr_assert_eq(f.cap.account[i], account, "event %zu goes to account %u", i, account);
	cr_assert_str_eq(f.cap.json[i], json, "event %zu: %s", i, f.cap.json[i]);
}

TestSuite(sim_userdata, .init = setup, .fini = teardown);

Test(sim_userdata, new_limit_order_reports_new_then_locked_quote)
{
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "1", "myOrder1", 1700000000000, 0);
	cr_assert_eq(f.cap.n, 2);
	expect(
	    0, f.a,
	    "{\"e\":\"executionReport\",\"E\":1700000000000,\"s\":\"BTCUSDT\",\"c\":\"myOrder1\",\"S\":\"BUY\","
	    "\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\","
	    "\"F\":\"0.00000000\",\"g\":-1,\"C\":\"\",\"x\":\"NEW\",\"X\":\"NEW\",\"r\":\"NONE\",\"i\":1,"
	    "\"l\":\"0.00000000\",\"z\":\"0.00000000\",\"L\":\"0.00000000\",\"n\":\"0\",\"N\":null,"
	    "\"T\":1700000000000,\"t\":-1,\"I\":1,\"w\":true,\"m\":false,\"M\":false,\"O\":1700000000000,"
	    "\"Z\":\"0.00000000\",\"Y\":\"0.00000000\",\"Q\":\"0.00000000\",\"W\":1700000000000,\"V\":\"NONE\"}");
	expect(1, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":1700000000000,\"u\":1700000000000,\"B\":["
	       "{\"a\":\"USDT\",\"f\":\"900.00000000\",\"l\":\"100.00000000\"}]}");
}

Test(sim_userdata, taker_fills_partly_then_fully_with_commission_in_base)
{
	asks("100", "0.4", "101", "1", 5);
	cr_assert_eq(f.cap.n, 0, "quotes alone publish nothing");
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_GTC, "101", "1", "buy-1", 1000, 0);
	cr_assert_eq(f.cap.n, 4);
	expect(
	    0, f.a,
	    "{\"e\":\"executionReport\",\"E\":1000,\"s\":\"BTCUSDT\",\"c\":\"buy-1\",\"S\":\"BUY\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"101.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"NEW\",\"X\":\"NEW\",\"r\":\"NONE\",\"i\":1,\"l\":\"0.00000000\","
	    "\"z\":\"0.00000000\",\"L\":\"0.00000000\",\"n\":\"0\",\"N\":null,\"T\":1000,\"t\":-1,\"I\":1,"
	    "\"w\":true,\"m\":false,\"M\":false,\"O\":1000,\"Z\":\"0.00000000\",\"Y\":\"0.00000000\","
	    "\"Q\":\"0.00000000\",\"W\":1000,\"V\":\"NONE\"}");
	expect(
	    1, f.a,
	    "{\"e\":\"executionReport\",\"E\":1000,\"s\":\"BTCUSDT\",\"c\":\"buy-1\",\"S\":\"BUY\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"101.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":1,"
	    "\"l\":\"0.40000000\",\"z\":\"0.40000000\",\"L\":\"100.00000000\",\"n\":\"0.00040000\",\"N\":\"BTC\","
	    "\"T\":1000,\"t\":1,\"I\":2,\"w\":true,\"m\":false,\"M\":true,\"O\":1000,\"Z\":\"40.00000000\","
	    "\"Y\":\"40.00000000\",\"Q\":\"0.00000000\",\"W\":1000,\"V\":\"NONE\"}");
	expect(
	    2, f.a,
	    "{\"e\":\"executionReport\",\"E\":1000,\"s\":\"BTCUSDT\",\"c\":\"buy-1\",\"S\":\"BUY\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"101.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"TRADE\",\"X\":\"FILLED\",\"r\":\"NONE\",\"i\":1,\"l\":\"0.60000000\","
	    "\"z\":\"1.00000000\",\"L\":\"101.00000000\",\"n\":\"0.00060000\",\"N\":\"BTC\",\"T\":1000,\"t\":2,"
	    "\"I\":3,\"w\":false,\"m\":false,\"M\":true,\"O\":1000,\"Z\":\"100.60000000\",\"Y\":\"60.60000000\","
	    "\"Q\":\"0.00000000\",\"W\":1000,\"V\":\"NONE\"}");
	/* 1000 - 40 - 60.6 USDT, the lock's leftover 0.4 released; 1 BTC less 0.001 commission. */
	expect(3, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":1000,\"u\":1000,\"B\":["
	       "{\"a\":\"USDT\",\"f\":\"899.40000000\",\"l\":\"0.00000000\"},"
	       "{\"a\":\"BTC\",\"f\":\"0.99900000\",\"l\":\"0.00000000\"}]}");
}

Test(sim_userdata, maker_and_taker_each_get_their_reports_and_position)
{
	place(f.b, SB_SIDE_SELL, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "1", "sell-b", 2000, 0);
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "0.25", "buy-a", 3000, 0);
	/* b: NEW, position; a: NEW, TRADE; b: TRADE (maker); then a's and b's positions. */
	cr_assert_eq(f.cap.n, 7);
	cr_assert_eq(f.cap.account[2], f.a);
	cr_assert_eq(f.cap.account[3], f.a);
	cr_assert(strstr(f.cap.json[3], "\"x\":\"TRADE\",\"X\":\"FILLED\""));
	cr_assert(strstr(f.cap.json[3], "\"m\":false"));
	expect(
	    4, f.b,
	    "{\"e\":\"executionReport\",\"E\":3000,\"s\":\"BTCUSDT\",\"c\":\"sell-b\",\"S\":\"SELL\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":1,"
	    "\"l\":\"0.25000000\",\"z\":\"0.25000000\",\"L\":\"100.00000000\",\"n\":\"0.02500000\",\"N\":\"USDT\","
	    "\"T\":3000,\"t\":1,\"I\":4,\"w\":true,\"m\":true,\"M\":true,\"O\":2000,\"Z\":\"25.00000000\","
	    "\"Y\":\"25.00000000\",\"Q\":\"0.00000000\",\"W\":2000,\"V\":\"NONE\"}");
	expect(5, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":3000,\"u\":3000,\"B\":["
	       "{\"a\":\"USDT\",\"f\":\"975.00000000\",\"l\":\"0.00000000\"},"
	       "{\"a\":\"BTC\",\"f\":\"0.24975000\",\"l\":\"0.00000000\"}]}");
	/* The seller's BTC stays locked for the rest of its order; its USDT is net of commission. */
	expect(6, f.b,
	       "{\"e\":\"outboundAccountPosition\",\"E\":3000,\"u\":3000,\"B\":["
	       "{\"a\":\"BTC\",\"f\":\"1.00000000\",\"l\":\"0.75000000\"},"
	       "{\"a\":\"USDT\",\"f\":\"24.97500000\",\"l\":\"0.00000000\"}]}");
}

Test(sim_userdata, commission_in_bnb_is_reported_and_listed_in_the_position)
{
	cr_assert_eq(sim_ledger_set_bnb_fees(f.ex.ledger, f.a, true), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.ex.ledger, f.a, "BNB", D("1")), SB_OK);
	asks("100", "2", NULL, NULL, 5);
	/* 100 USDT of quote at 0.1% * 0.75 = 0.075 USDT, at 10 USDT per BNB: 0.0075 BNB. */
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "1", "bnb-1", 4000, D("10"));
	cr_assert_eq(f.cap.n, 3);
	expect(
	    1, f.a,
	    "{\"e\":\"executionReport\",\"E\":4000,\"s\":\"BTCUSDT\",\"c\":\"bnb-1\",\"S\":\"BUY\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"TRADE\",\"X\":\"FILLED\",\"r\":\"NONE\",\"i\":1,\"l\":\"1.00000000\","
	    "\"z\":\"1.00000000\",\"L\":\"100.00000000\",\"n\":\"0.00750000\",\"N\":\"BNB\",\"T\":4000,\"t\":1,"
	    "\"I\":2,\"w\":false,\"m\":false,\"M\":true,\"O\":4000,\"Z\":\"100.00000000\",\"Y\":\"100.00000000\","
	    "\"Q\":\"0.00000000\",\"W\":4000,\"V\":\"NONE\"}");
	expect(2, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":4000,\"u\":4000,\"B\":["
	       "{\"a\":\"USDT\",\"f\":\"900.00000000\",\"l\":\"0.00000000\"},"
	       "{\"a\":\"BTC\",\"f\":\"1.00000000\",\"l\":\"0.00000000\"},"
	       "{\"a\":\"BNB\",\"f\":\"0.99250000\",\"l\":\"0.00000000\"}]}");
}

Test(sim_userdata, cancel_reports_cancel_id_and_original_id_then_unlock)
{
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "1", "to-cancel", 5000, 0);
	cr_assert_eq(sim_ledger_cancel(f.ex.ledger, f.sym.book, 1, 6000, &f.r), SB_OK);
	publish();
	cr_assert_eq(f.cap.n, 4);
	expect(
	    2, f.a,
	    "{\"e\":\"executionReport\",\"E\":6000,\"s\":\"BTCUSDT\",\"c\":\"sim-cxl-2\",\"S\":\"BUY\","
	    "\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\","
	    "\"F\":\"0.00000000\",\"g\":-1,\"C\":\"to-cancel\",\"x\":\"CANCELED\",\"X\":\"CANCELED\","
	    "\"r\":\"NONE\",\"i\":1,\"l\":\"0.00000000\",\"z\":\"0.00000000\",\"L\":\"0.00000000\",\"n\":\"0\","
	    "\"N\":null,\"T\":6000,\"t\":-1,\"I\":2,\"w\":false,\"m\":false,\"M\":false,\"O\":5000,"
	    "\"Z\":\"0.00000000\",\"Y\":\"0.00000000\",\"Q\":\"0.00000000\",\"W\":5000,\"V\":\"NONE\"}");
	expect(3, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":6000,\"u\":6000,\"B\":["
	       "{\"a\":\"USDT\",\"f\":\"1000.00000000\",\"l\":\"0.00000000\"}]}");
}

Test(sim_userdata, ioc_remainder_expires_with_its_reason)
{
	asks("100", "0.4", NULL, NULL, 5);
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_IOC, "100", "1", "ioc-1", 7000, 0);
	cr_assert_eq(f.cap.n, 4);
	cr_assert(strstr(f.cap.json[0], "\"f\":\"IOC\""));
	cr_assert(strstr(f.cap.json[1], "\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\""));
	expect(
	    2, f.a,
	    "{\"e\":\"executionReport\",\"E\":7000,\"s\":\"BTCUSDT\",\"c\":\"ioc-1\",\"S\":\"BUY\",\"o\":\"LIMIT\","
	    "\"f\":\"IOC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"EXPIRED\",\"X\":\"EXPIRED\",\"r\":\"NONE\",\"i\":1,\"l\":\"0.00000000\","
	    "\"z\":\"0.40000000\",\"L\":\"0.00000000\",\"n\":\"0\",\"N\":null,\"T\":7000,\"t\":-1,\"I\":3,"
	    "\"w\":false,\"m\":false,\"M\":false,\"O\":7000,\"Z\":\"40.00000000\",\"Y\":\"0.00000000\","
	    "\"Q\":\"0.00000000\",\"W\":7000,\"V\":\"NONE\",\"eR\":\"UNFILLED_IOC_QUANTITY_EXPIRED\"}");
	expect(3, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":7000,\"u\":7000,\"B\":["
	       "{\"a\":\"USDT\",\"f\":\"960.00000000\",\"l\":\"0.00000000\"},"
	       "{\"a\":\"BTC\",\"f\":\"0.39960000\",\"l\":\"0.00000000\"}]}");
}

Test(sim_userdata, market_sell_out_of_liquidity_expires_insufficient_liquidity)
{
	struct sim_book_level bid = {D("50"), D("0.5")};
	cr_assert_eq(sim_ledger_set_quotes(f.ex.ledger, f.sym.book, &bid, 1, NULL, 0, 5, 0, &f.r), SB_OK);
	sim_book_result_clear(&f.r);
	place(f.b, SB_SIDE_SELL, SB_ORDER_MARKET, SB_TIF_GTC, NULL, "1", "mkt-1", 8000, 0);
	cr_assert_eq(f.cap.n, 4);
	cr_assert(strstr(f.cap.json[0],
	                 "\"o\":\"MARKET\",\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"0.00000000\""));
	cr_assert(strstr(f.cap.json[2], "\"x\":\"EXPIRED\",\"X\":\"EXPIRED\""));
	cr_assert(strstr(f.cap.json[2], "\"eR\":\"INSUFFICIENT_LIQUIDITY\"}"));
	expect(3, f.b,
	       "{\"e\":\"outboundAccountPosition\",\"E\":8000,\"u\":8000,\"B\":["
	       "{\"a\":\"BTC\",\"f\":\"1.50000000\",\"l\":\"0.00000000\"},"
	       "{\"a\":\"USDT\",\"f\":\"24.97500000\",\"l\":\"0.00000000\"}]}");
}

Test(sim_userdata, market_and_fee_accounts_get_nothing)
{
	place(f.b, SB_SIDE_SELL, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "1", "s", 1, 0);
	f.cap.n = 0;
	free(f.cap.json[0]);
	free(f.cap.json[1]);
	/* The feed's market trade fills b's order as maker; the market side has no reports. */
	cr_assert_eq(sim_ledger_market_trade(f.ex.ledger, f.sym.book, D("101"), D("0.5"), 9000, 0, &f.r),
	             SB_OK);
	publish();
	cr_assert_eq(f.cap.n, 2);
	cr_assert_eq(f.cap.account[0], f.b);
	cr_assert(strstr(f.cap.json[0], "\"m\":true"));
	cr_assert_eq(f.cap.account[1], f.b);
}

Test(sim_userdata, self_trade_prevention_reports_the_expired_maker)
{
	cr_assert_eq(sim_ledger_deposit(f.ex.ledger, f.a, "BTC", D("1")), SB_OK);
	place(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, SB_TIF_GTC, "100", "1", "mk", 1000, 0);
	struct sim_book_req q = {.account = f.a,
	                         .side = SB_SIDE_SELL,
	                         .type = SB_ORDER_LIMIT,
	                         .price = D("100"),
	                         .qty = D("1"),
	                         .client_id = "tk",
	                         .client_id_len = 2,
	                         .time = 2000,
	                         .stp = SIM_STP_EXPIRE_MAKER};
	cr_assert_eq(sim_ledger_place(f.ex.ledger, f.sym.book, &q, 0, &f.r), SB_OK);
	publish();
	cr_assert_eq(f.cap.n, 5, "NEW and position, then NEW, TRADE_PREVENTION and position");
	expect(
	    2, f.a,
	    "{\"e\":\"executionReport\",\"E\":2000,\"s\":\"BTCUSDT\",\"c\":\"tk\",\"S\":\"SELL\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"NEW\",\"X\":\"NEW\",\"r\":\"NONE\",\"i\":2,\"l\":\"0.00000000\","
	    "\"z\":\"0.00000000\",\"L\":\"0.00000000\",\"n\":\"0\",\"N\":null,\"T\":2000,\"t\":-1,\"I\":2,"
	    "\"w\":true,\"m\":false,\"M\":false,\"O\":2000,\"Z\":\"0.00000000\",\"Y\":\"0.00000000\","
	    "\"Q\":\"0.00000000\",\"W\":2000,\"V\":\"EXPIRE_MAKER\"}");
	expect(
	    3, f.a,
	    "{\"e\":\"executionReport\",\"E\":2000,\"s\":\"BTCUSDT\",\"c\":\"mk\",\"S\":\"BUY\",\"o\":\"LIMIT\","
	    "\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":\"100.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\","
	    "\"g\":-1,\"C\":\"\",\"x\":\"TRADE_PREVENTION\",\"X\":\"EXPIRED_IN_MATCH\",\"r\":\"NONE\",\"i\":1,"
	    "\"l\":\"0.00000000\",\"z\":\"0.00000000\",\"L\":\"0.00000000\",\"n\":\"0\",\"N\":null,\"T\":2000,"
	    "\"t\":-1,\"v\":0,\"I\":3,\"w\":false,\"m\":false,\"M\":false,\"O\":1000,\"Z\":\"0.00000000\","
	    "\"Y\":\"0.00000000\",\"Q\":\"0.00000000\",\"W\":1000,\"V\":\"NONE\",\"A\":\"1.00000000\","
	    "\"B\":\"1.00000000\",\"u\":-1,\"U\":2}");
	expect(4, f.a,
	       "{\"e\":\"outboundAccountPosition\",\"E\":2000,\"u\":2000,\"B\":["
	       "{\"a\":\"BTC\",\"f\":\"0.00000000\",\"l\":\"1.00000000\"},"
	       "{\"a\":\"USDT\",\"f\":\"1000.00000000\",\"l\":\"0.00000000\"}]}");
}

/*
 * test_sim_ledger.c - accounts and settlement: worked commission cases with exact numbers (base, quote,
 * BNB), locks and their release, insufficient balance, and invariants over random order streams: no
 * balance below zero, every asset conserved across all accounts, locks equal to what open orders hold.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sim/ledger.h"

struct fx {
	struct sim_ledger *l;
	struct sim_book *b;
	struct sim_book_result r;
	uint32_t a; /* the account under test */
};

static void fx_init(struct fx *f)
{
	cr_assert_eq(sim_ledger_new(&f->l), SB_OK);
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", 0, 0, &f->b), SB_OK);
	sim_book_result_init(&f->r);
	cr_assert_eq(sim_ledger_add_account(f->l, "key-a", &f->a), SB_OK);
}

static void fx_fini(struct fx *f)
{
	sim_book_result_fini(&f->r);
	sim_book_free(f->b);
	sim_ledger_free(f->l);
}

static void expect(struct fx *f, uint32_t id, const char *asset, const char *free_s, const char *locked_s)
{
	struct sim_ledger_asset b;
	cr_assert_eq(sim_ledger_balance(f->l, id, asset, &b), SB_OK);
	cr_assert_eq(b.free, D(free_s), "account %u %s free %lld, want %s", id, asset, (long long)b.free,
	             free_s);
	cr_assert_eq(b.locked, D(locked_s), "account %u %s locked %lld, want %s", id, asset,
	             (long long)b.locked, locked_s);
}

static void asks(struct fx *f, const char *price, const char *qty)
{
	struct sim_book_level lv = {D(price), D(qty)};
	cr_assert_eq(sim_ledger_set_quotes(f->l, f->b, NULL, 0, &lv, 1, 1, 0, &f->r), SB_OK);
}

static struct sim_book_req req(uint32_t acct, enum sb_side side, enum sb_order_type type, const char *price,
                               const char *qty)
{
	struct sim_book_req q = {.account = acct, .side = side, .type = type, .time = 10};
	q.price = D(price);
	q.qty = D(qty);
	return q;
}

Test(sim_ledger, accounts_by_api_key)
{
	struct fx f;
	fx_init(&f);
	uint32_t id;
	cr_assert_eq(f.a, 2);
	cr_assert_eq(sim_ledger_add_account(f.l, "key-a", &id), SB_ERR_EXISTS);
	cr_assert_eq(sim_ledger_find(f.l, "key-a", 5, &id), SB_OK);
	cr_assert_eq(id, f.a);
	cr_assert_eq(sim_ledger_find(f.l, "key-b", 5, &id), SB_ERR_NOT_FOUND);
	sb_dec m, t;
	cr_assert_eq(sim_ledger_rates(f.l, f.a, &m, &t), SB_OK);
	cr_assert_eq(m, D("0.001"));
	cr_assert_eq(t, D("0.001"));
	cr_assert_eq(sim_ledger_set_rates(f.l, f.a, D("1"), 0), SB_ERR_RANGE);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("10")), SB_OK);
	cr_assert_eq(sim_ledger_withdraw(f.l, f.a, "USDT", D("10.5")), SB_ERR_RANGE);
	cr_assert_eq(sim_ledger_withdraw(f.l, f.a, "USDT", D("4")), SB_OK);
	expect(&f, f.a, "USDT", "6", "0");
	expect(&f, f.a, "ETH", "0", "0");
	/* Many accounts: ids stay dense and balances survive the table growing. */
	for (int i = 0; i < 100; i++) {
		char key[16];
		snprintf(key, sizeof(key), "many-%d", i);
		cr_assert_eq(sim_ledger_add_account(f.l, key, &id), SB_OK);
		cr_assert_eq(id, (uint32_t)i + 3);
		cr_assert_eq(sim_ledger_deposit(f.l, id, "BTC", (i + 1) * SB_DEC_ONE), SB_OK);
	}
	cr_assert_eq(sim_ledger_count(f.l), 103);
	cr_assert_eq(sim_ledger_find(f.l, "many-41", 7, &id), SB_OK);
	expect(&f, id, "BTC", "42", "0");
	expect(&f, f.a, "USDT", "6", "0");
	fx_fini(&f);
}

Test(sim_ledger, taker_buy_pays_commission_in_base)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("1000")), SB_OK);
	asks(&f, "100", "5");
	struct sim_book_req q = req(f.a, SB_SIDE_BUY, SB_ORDER_MARKET, "0", "1.5");
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	cr_assert_eq(f.r.n_fills, 1);
	cr_assert_eq(f.r.fills[0].buyer_commission, D("0.0015"));
	cr_assert_str_eq(f.r.fills[0].buyer_commission_asset, "BTC");
	cr_assert_eq(f.r.events[1].commission, D("0.0015"));
	cr_assert_str_eq(f.r.events[1].commission_asset, "BTC");
	expect(&f, f.a, "BTC", "1.4985", "0");
	expect(&f, f.a, "USDT", "850", "0");
	expect(&f, SIM_LEDGER_FEES, "BTC", "0.0015", "0");
	expect(&f, SIM_LEDGER_MARKET, "BTC", "-1.5", "0");
	expect(&f, SIM_LEDGER_MARKET, "USDT", "150", "0");
	fx_fini(&f);
}

Test(sim_ledger, maker_sell_pays_commission_in_quote_and_unlocks)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "BTC", D("2")), SB_OK);
	cr_assert_eq(sim_ledger_set_rates(f.l, f.a, D("0.0002"), D("0.0004")), SB_OK);
	struct sim_book_req q = req(f.a, SB_SIDE_SELL, SB_ORDER_LIMIT, "30123.45", "1.2");
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	uint64_t id = f.r.order_id;
	expect(&f, f.a, "BTC", "0.8", "1.2");
	/* A small market trade fills 0.25 as maker: 7530.8625 quote, 0.02% = 1.5061725 -> 1.50617250. */
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_market_trade(f.l, f.b, D("30150"), D("0.25"), 2, 0, &f.r), SB_OK);
	cr_assert_eq(f.r.n_fills, 1);
	cr_assert_eq(f.r.fills[0].quote_qty, D("7530.8625"));
	cr_assert_eq(f.r.fills[0].seller_commission, D("1.5061725"));
	cr_assert_str_eq(f.r.fills[0].seller_commission_asset, "USDT");
	cr_assert(f.r.events[0].is_maker);
	expect(&f, f.a, "BTC", "0.8", "0.95");
	expect(&f, f.a, "USDT", "7529.3563275", "0");
	expect(&f, SIM_LEDGER_FEES, "USDT", "1.5061725", "0");
	/* Cancel returns the rest. */
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_cancel(f.l, f.b, id, 3, &f.r), SB_OK);
	expect(&f, f.a, "BTC", "1.75", "0");
	cr_assert_eq(sim_ledger_cancel(f.l, f.b, id, 4, &f.r), SB_ERR_NOT_FOUND);
	fx_fini(&f);
}

Test(sim_ledger, commission_in_bnb_with_discount)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("31000")), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "BNB", D("1")), SB_OK);
	cr_assert_eq(sim_ledger_set_bnb_fees(f.l, f.a, true), SB_OK);
	asks(&f, "30000", "5");
	struct sim_book_req q = req(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, "30000", "1");
	sim_book_result_clear(&f.r);
	/* 30000 quote * 0.001 * 0.75 = 22.5 USDT = 0.09 BNB at 250. */
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, D("250"), &f.r), SB_OK);
	cr_assert_eq(f.r.fills[0].buyer_commission, D("0.09"));
	cr_assert_str_eq(f.r.fills[0].buyer_commission_asset, "BNB");
	expect(&f, f.a, "BTC", "1", "0");
	expect(&f, f.a, "BNB", "0.91", "0");
	expect(&f, f.a, "USDT", "1000", "0");
	expect(&f, SIM_LEDGER_FEES, "BNB", "0.09", "0");
	/* Not enough BNB for the next one (0.09 > 0.05): back to the base asset. */
	cr_assert_eq(sim_ledger_withdraw(f.l, f.a, "BNB", D("0.86")), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("29000")), SB_OK);
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, D("250"), &f.r), SB_OK);
	cr_assert_eq(f.r.fills[0].buyer_commission, D("0.001"));
	cr_assert_str_eq(f.r.fills[0].buyer_commission_asset, "BTC");
	expect(&f, f.a, "BTC", "1.999", "0");
	expect(&f, f.a, "BNB", "0.05", "0");
	/* Without a BNB price, never BNB. */
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "BNB", D("10")), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("30000")), SB_OK);
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	cr_assert_str_eq(f.r.fills[0].buyer_commission_asset, "BTC");
	fx_fini(&f);
}

Test(sim_ledger, buy_below_limit_releases_the_difference)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("1000")), SB_OK);
	asks(&f, "100", "1");
	struct sim_book_req q = req(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, "101", "2");
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	/* Locked 202, spent 100 on 1 at 100; the rest (1 at 101) needs 101: 1 comes back. */
	expect(&f, f.a, "USDT", "799", "101");
	expect(&f, f.a, "BTC", "0.999", "0");
	cr_assert_eq(sim_book_find(f.b, f.r.order_id)->locked, D("101"));
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_market_trade(f.l, f.b, D("100.5"), D("3"), 2, 0, &f.r), SB_OK);
	expect(&f, f.a, "USDT", "799", "0");
	expect(&f, f.a, "BTC", "1.998", "0");
	fx_fini(&f);
}

Test(sim_ledger, insufficient_balance_rejects_and_changes_nothing)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("100")), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "BTC", D("0.5")), SB_OK);
	struct sim_book_req q = req(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, "100.01", "1");
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_ERR_EXCHANGE);
	cr_assert_eq(f.r.reject, SIM_REJECT_INSUFFICIENT_BALANCE);
	cr_assert_str_eq(sim_book_reject_msg(f.r.reject),
	                 "Account has insufficient balance for requested action.");
	q = req(f.a, SB_SIDE_SELL, SB_ORDER_MARKET, "0", "0.50000001");
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_ERR_EXCHANGE);
	/* A MARKET BUY is bounded by what the ladder can deliver: 0.6 at 150 = 90 fits 100. */
	asks(&f, "150", "0.6");
	q = req(f.a, SB_SIDE_BUY, SB_ORDER_MARKET, "0", "2");
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	cr_assert_eq(sim_book_find(f.b, f.r.order_id)->status, SB_ORDER_EXPIRED);
	expect(&f, f.a, "USDT", "10", "0");
	asks(&f, "150", "1");
	q = req(f.a, SB_SIDE_BUY, SB_ORDER_MARKET, "0", "0.1");
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_ERR_EXCHANGE);
	/* By quote: spends what the account allows. */
	q = req(f.a, SB_SIDE_BUY, SB_ORDER_MARKET, "0", "0");
	q.quote_qty = D("10");
	q.step = D("0.001");
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	cr_assert_eq(f.r.fills[0].qty, D("0.066"));
	expect(&f, f.a, "USDT", "0.1", "0");
	fx_fini(&f);
}

Test(sim_ledger, rejected_limit_maker_and_duplicate_leave_balances_alone)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("1000")), SB_OK);
	asks(&f, "100", "1");
	struct sim_book_req q = req(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT_MAKER, "100", "1");
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_ERR_EXCHANGE);
	cr_assert_eq(f.r.reject, SIM_REJECT_WOULD_MATCH);
	expect(&f, f.a, "USDT", "1000", "0");
	q.price = D("99");
	q.client_id = "x1";
	q.client_id_len = 2;
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_ERR_EXCHANGE);
	cr_assert_eq(f.r.reject, SIM_REJECT_DUPLICATE);
	expect(&f, f.a, "USDT", "901", "99");
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_cancel_all(f.l, f.b, f.a, 5, &f.r), SB_OK);
	expect(&f, f.a, "USDT", "1000", "0");
	fx_fini(&f);
}

Test(sim_ledger, self_trade_conserves_and_charges_both_sides)
{
	struct fx f;
	fx_init(&f);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "USDT", D("1000")), SB_OK);
	cr_assert_eq(sim_ledger_deposit(f.l, f.a, "BTC", D("1")), SB_OK);
	struct sim_book_req s = req(f.a, SB_SIDE_SELL, SB_ORDER_LIMIT, "100", "1");
	struct sim_book_req b = req(f.a, SB_SIDE_BUY, SB_ORDER_LIMIT, "100", "1");
	cr_assert_eq(sim_ledger_place(f.l, f.b, &s, 0, &f.r), SB_OK);
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &b, 0, &f.r), SB_OK);
	expect(&f, f.a, "BTC", "0.999", "0");
	expect(&f, f.a, "USDT", "999.9", "0");
	expect(&f, SIM_LEDGER_FEES, "BTC", "0.001", "0");
	expect(&f, SIM_LEDGER_FEES, "USDT", "0.1", "0");
	fx_fini(&f);
}

/* ------------------------------------------------------------------------------------------------ */
/* Invariants over random streams. */

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

/* Grid of the symbol under test: a BTCUSDT-like one where every product is exact, and a low-priced one
 * (tick 1e-8, step 0.01) where price * qty needs rounding. */
static sb_dec TICK, STEP, QUOTE_UNIT;
#define N_USERS 4

static const char *const assets[] = {"BTC", "USDT", "BNB"};

static void check_invariants(struct sim_ledger *l, struct sim_book *b, const sb_dec *totals, int step)
{
	for (uint32_t id = 1; id < sim_ledger_count(l); id++) {
		const struct sim_ledger_asset *bal;
		size_t n;
		cr_assert_eq(sim_ledger_balances(l, id, &bal, &n), SB_OK);
		for (size_t i = 0; i < n; i++)
			cr_assert(bal[i].free >= 0 && bal[i].locked >= 0, "step %d: account %u %s negative",
			          step, id, bal[i].asset);
	}
	for (size_t a = 0; a < 3; a++) {
		sb_dec t;
		cr_assert_eq(sim_ledger_total(l, assets[a], &t), SB_OK);
		cr_assert_eq(t, totals[a], "step %d: %s total %lld, was %lld", step, assets[a], (long long)t,
		             (long long)totals[a]);
	}
	/* Each account's locked BTC and USDT equal what its open orders hold. */
	const struct sim_book_order *open[1024];
	for (uint32_t id = 2; id < sim_ledger_count(l); id++) {
		size_t n = sim_book_open_orders(b, id, open, 1024);
		cr_assert_leq(n, 1024);
		sb_dec held[2] = {0, 0};
		for (size_t i = 0; i < n; i++)
			held[open[i]->side == SB_SIDE_BUY] += open[i]->locked;
		struct sim_ledger_asset btc, usdt;
		sim_ledger_balance(l, id, "BTC", &btc);
		sim_ledger_balance(l, id, "USDT", &usdt);
		cr_assert_eq(btc.locked, held[0], "step %d: account %u BTC locked %lld, orders hold %lld",
		             step, id, (long long)btc.locked, (long long)held[0]);
		cr_assert_eq(usdt.locked, held[1], "step %d: account %u USDT locked", step, id);
	}
}

/* One random stream; with stp, every order gets a random selfTradePreventionMode. */
static void run_ledger_stream(uint64_t seed, int steps, sb_dec mid, sb_dec tick, sb_dec step_size,
                              sb_dec quote_unit, bool stp)
{
	TICK = tick;
	STEP = step_size;
	QUOTE_UNIT = quote_unit;
	struct sim_ledger *l;
	struct sim_book *b;
	struct sim_book_result r;
	cr_assert_eq(sim_ledger_new(&l), SB_OK);
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", 300, 2000, &b), SB_OK);
	sim_book_result_init(&r);
	rng_state = seed;
	uint32_t ids[N_USERS];
	const char *keys[N_USERS] = {"k0", "k1", "k2", "k3"};
	for (int i = 0; i < N_USERS; i++) {
		cr_assert_eq(sim_ledger_add_account(l, keys[i], &ids[i]), SB_OK);
		/* Account 0 is poor so that insufficient balance happens; 1 and 3 pay in BNB. */
		cr_assert_eq(
		    sim_ledger_deposit(l, ids[i], "BTC", i == 0 ? SB_DEC_C(0, 50000000) : SB_DEC_C(40, 0)),
		    SB_OK);
		cr_assert_eq(
		    sim_ledger_deposit(l, ids[i], "USDT", i == 0 ? SB_DEC_C(80, 0) : SB_DEC_C(100000, 0)),
		    SB_OK);
		cr_assert_eq(sim_ledger_deposit(l, ids[i], "BNB", SB_DEC_C(0, 20000000) * (i + 1)), SB_OK);
		cr_assert_eq(sim_ledger_set_bnb_fees(l, ids[i], i % 2 == 1), SB_OK);
		cr_assert_eq(
		    sim_ledger_set_rates(l, ids[i], SB_DEC_C(0, 20000 * i), SB_DEC_C(0, 75000 + 10000 * i)),
		    SB_OK);
	}
	sb_dec totals[3];
	for (size_t a = 0; a < 3; a++)
		cr_assert_eq(sim_ledger_total(l, assets[a], &totals[a]), SB_OK);
	sb_dec bnb_price = SB_DEC_C(3, 33333333);
	size_t fills = 0, bnb_fees = 0, insufficient = 0, prevented = 0;
	for (int step = 0; step < steps; step++) {
		sim_book_result_clear(&r);
		int k = (int)rnd_in(0, 99);
		sb_err err;
		if (k < 55) {
			struct sim_book_req q = {.account = ids[rnd() % N_USERS], .time = step};
			q.side = rnd() % 2 ? SB_SIDE_BUY : SB_SIDE_SELL;
			int t = (int)rnd_in(0, 99);
			q.type = t < 60 ? SB_ORDER_LIMIT : t < 85 ? SB_ORDER_MARKET : SB_ORDER_LIMIT_MAKER;
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
			if (stp)
				q.stp = (enum sim_stp_mode)rnd_in(0, SIM_STP_COUNT - 1);
			err = sim_ledger_place(l, b, &q, rnd() % 5 ? bnb_price : 0, &r);
			cr_assert(err == SB_OK || err == SB_ERR_EXCHANGE, "step %d: %s", step,
			          sb_errname(err));
			insufficient += r.reject == SIM_REJECT_INSUFFICIENT_BALANCE;
		} else if (k < 68) {
			uint64_t id = (uint64_t)rnd_in(1, (int64_t)step + 2);
			err = sim_ledger_cancel(l, b, id, step, &r);
			cr_assert(err == SB_OK || err == SB_ERR_NOT_FOUND);
		} else if (k < 70) {
			err = sim_ledger_cancel_all(l, b, ids[rnd() % N_USERS], step, &r);
			cr_assert_eq(err, SB_OK);
		} else if (k < 85) {
			err = sim_ledger_market_trade(l, b, mid + rnd_in(-6, 6) * TICK, rnd_in(0, 800) * STEP,
			                              step, bnb_price, &r);
			cr_assert_eq(err, SB_OK);
		} else {
			mid += rnd_in(-3, 3) * TICK;
			struct sim_book_level bl[6], al[6];
			size_t nb = (size_t)rnd_in(0, 6), na = (size_t)rnd_in(0, 6);
			for (size_t i = 0; i < nb; i++)
				bl[i] = (struct sim_book_level){mid - (int64_t)(i + 1) * TICK,
				                                rnd_in(1, 1500) * STEP};
			for (size_t i = 0; i < na; i++)
				al[i] = (struct sim_book_level){mid + (int64_t)(i + 1) * TICK,
				                                rnd_in(1, 1500) * STEP};
			err = sim_ledger_set_quotes(l, b, bl, nb, al, na, step, bnb_price, &r);
			cr_assert_eq(err, SB_OK);
		}
		/* The market account trades with users, so its side of every fill is counted in the totals.
		 */
		for (size_t i = 0; i < r.n_fills; i++) {
			cr_assert_geq(r.fills[i].buyer_commission, 0);
			cr_assert_geq(r.fills[i].seller_commission, 0);
			bnb_fees += !strcmp(r.fills[i].buyer_commission_asset, "BNB") +
			            !strcmp(r.fills[i].seller_commission_asset, "BNB");
		}
		fills += r.n_fills;
		prevented += r.n_prevented;
		check_invariants(l, b, totals, step);
	}
	for (int i = 0; i < N_USERS; i++) {
		sim_book_result_clear(&r);
		cr_assert_eq(sim_ledger_cancel_all(l, b, ids[i], steps, &r), SB_OK);
	}
	check_invariants(l, b, totals, steps);
	for (uint32_t id = 0; id < sim_ledger_count(l); id++)
		for (size_t a = 0; a < 3; a++) {
			struct sim_ledger_asset bal;
			sim_ledger_balance(l, id, assets[a], &bal);
			cr_assert_eq(bal.locked, 0, "account %u %s still locked with no open orders", id,
			             assets[a]);
		}
	cr_assert_gt(fills, (size_t)steps / 4);
	cr_assert_gt(bnb_fees, 0);
	cr_assert_gt(insufficient, 0);
	cr_assert(stp ? prevented > 0 : prevented == 0, "%zu prevented matches", prevented);
	sim_book_result_fini(&r);
	sim_book_free(b);
	sim_ledger_free(l);
}

Test(sim_ledger, random_streams_keep_balances_conserved_and_nonnegative)
{
	run_ledger_stream(0x1edc0ffee5ULL, 5000, SB_DEC_C(100, 0), SB_DEC_C(0, 1000000), SB_DEC_C(0, 100000),
	                  SB_DEC_C(0, 1000000), false);
}

Test(sim_ledger, random_streams_with_self_trade_prevention)
{
	run_ledger_stream(0x57b5eed1ULL, 5000, SB_DEC_C(100, 0), SB_DEC_C(0, 1000000), SB_DEC_C(0, 100000),
	                  SB_DEC_C(0, 1000000), true);
}

Test(sim_ledger, random_streams_low_price_with_rounding)
{
	run_ledger_stream(0xfeedbeef42ULL, 5000, SB_DEC_C(0, 123457), 1, SB_DEC_C(0, 1000000), 7, false);
}

Test(sim_ledger, random_streams_low_price_with_self_trade_prevention)
{
	run_ledger_stream(0xbadf00d5ULL, 5000, SB_DEC_C(0, 123457), 1, SB_DEC_C(0, 1000000), 7, true);
}

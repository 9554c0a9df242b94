/*
 * test_sim_stp.c - self-trade prevention in spotsim's engine, through the ledger so that balances are
 * checked too: each mode on Binance's own worked examples (the STP FAQ's scenarios) - who expires, the
 * prevented quantities and match ids, the TRADE_PREVENTION events - NONE trading with one trade id on
 * both sides, and after each, balances exact to the last unit with every lock released or trimmed.
 * Also the STP vocabulary: mode names and a symbol's settings read from exchangeInfo.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sim/ledger.h"
#include "sim/stp.h"

struct fx {
	struct sim_ledger *l;
	struct sim_book *b;
	struct sim_book_result r;
	uint32_t a;       /* the account under test */
	uint32_t other;   /* another account */
	sb_dec totals[2]; /* BTC and USDT over all accounts at the start */
};

static const char *const assets[] = {"BTC", "USDT"};

static void fx_init(struct fx *f)
{
	memset(f, 0, sizeof *f);
	cr_assert_eq(sim_ledger_new(&f->l), SB_OK);
	cr_assert_eq(sim_book_new("BTCUSDT", "BTC", "USDT", 0, 0, &f->b), SB_OK);
	sim_book_result_init(&f->r);
	cr_assert_eq(sim_ledger_add_account(f->l, "key-a", &f->a), SB_OK);
	cr_assert_eq(sim_ledger_add_account(f->l, "key-b", &f->other), SB_OK);
	for (int i = 0; i < 2; i++) {
		uint32_t id = i ? f->other : f->a;
		cr_assert_eq(sim_ledger_deposit(f->l, id, "USDT", D("100")), SB_OK);
		cr_assert_eq(sim_ledger_deposit(f->l, id, "BTC", D("10")), SB_OK);
	}
	for (int i = 0; i < 2; i++)
		cr_assert_eq(sim_ledger_total(f->l, assets[i], &f->totals[i]), SB_OK);
}

/* Nothing was created or destroyed, and no balance is negative. */
static void fx_fini(struct fx *f)
{
	for (int i = 0; i < 2; i++) {
		sb_dec t;
		cr_assert_eq(sim_ledger_total(f->l, assets[i], &t), SB_OK);
		cr_assert_eq(t, f->totals[i], "%s total changed", assets[i]);
	}
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

/* Places a LIMIT GTC order (or MARKET when price is NULL) and returns its id; res holds what happened. */
static uint64_t place(struct fx *f, uint32_t acct, enum sb_side side, const char *price, const char *qty,
                      enum sim_stp_mode stp)
{
	struct sim_book_req q = {.account = acct, .side = side, .time = 10, .stp = stp};
	q.type = price ? SB_ORDER_LIMIT : SB_ORDER_MARKET;
	q.price = price ? D(price) : 0;
	q.qty = D(qty);
	sim_book_result_clear(&f->r);
	cr_assert_eq(sim_ledger_place(f->l, f->b, &q, 0, &f->r), SB_OK);
	return f->r.order_id;
}

static const struct sim_book_order *order(struct fx *f, uint64_t id)
{
	const struct sim_book_order *o = sim_book_find(f->b, id);
	cr_assert_not_null(o, "order %llu unknown", (unsigned long long)id);
	return o;
}

/* The order's status and quantities. */
static void expect_order(struct fx *f, uint64_t id, enum sb_order_state status, const char *executed,
                         const char *prevented)
{
	const struct sim_book_order *o = order(f, id);
	cr_assert_eq(o->status, status, "order %llu is %s", (unsigned long long)id,
	             sb_order_state_name(o->status));
	cr_assert_eq(o->executed_qty, D(executed), "order %llu executed", (unsigned long long)id);
	cr_assert_eq(o->prevented_qty, D(prevented), "order %llu prevented", (unsigned long long)id);
}

/* The one TRADE_PREVENTION event of order id in the last result. */
static const struct sim_book_event *prevention_event(struct fx *f, uint64_t id)
{
	const struct sim_book_event *found = NULL;
	for (size_t i = 0; i < f->r.n_events; i++) {
		const struct sim_book_event *e = &f->r.events[i];
		if (e->order_id == id && e->exec == SIM_EXEC_TRADE_PREVENTION) {
			cr_assert_null(found, "two prevention events for order %llu", (unsigned long long)id);
			found = e;
		}
	}
	cr_assert_not_null(found, "no prevention event for order %llu", (unsigned long long)id);
	return found;
}

static void expect_event(struct fx *f, uint64_t id, enum sb_order_state status, int64_t match_id,
                         const char *last, const char *total, uint64_t counter)
{
	const struct sim_book_event *e = prevention_event(f, id);
	cr_assert_eq(e->status, status);
	cr_assert_eq(e->prevented_match_id, match_id);
	cr_assert_eq(e->last_prevented_qty, D(last));
	cr_assert_eq(e->prevented_qty, D(total));
	cr_assert_eq(e->counter_order_id, counter);
	cr_assert_eq(e->trade_id, -1);
}

static size_t count_exec(struct fx *f, uint64_t id, enum sim_book_exec exec)
{
	size_t n = 0;
	for (size_t i = 0; i < f->r.n_events; i++)
		n += f->r.events[i].order_id == id && f->r.events[i].exec == exec;
	return n;
}

/* Binance's STP FAQ scenarios B and C: three resting buys, then a sell that would take all three. */
static void three_makers(struct fx *f, uint64_t m[3])
{
	m[0] = place(f, f->a, SB_SIDE_BUY, "1.2", "1.2", SIM_STP_NONE);
	m[1] = place(f, f->a, SB_SIDE_BUY, "1.1", "1.3", SIM_STP_NONE);
	m[2] = place(f, f->a, SB_SIDE_BUY, "1", "8.1", SIM_STP_NONE);
	expect(f, f->a, "USDT", "89.03", "10.97");
}

Test(sim_stp, none_lets_the_self_trade_execute_with_one_trade_id)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "1", "1", SIM_STP_EXPIRE_MAKER);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "1", "1", SIM_STP_NONE);
	cr_assert_eq(f.r.n_fills, 1);
	cr_assert_eq(f.r.n_prevented, 0);
	const struct sim_book_fill *fl = &f.r.fills[0];
	cr_assert_eq(fl->buyer_account, f.a);
	cr_assert_eq(fl->seller_account, f.a);
	int64_t ids[2] = {-1, -1};
	for (size_t i = 0; i < f.r.n_events; i++) {
		const struct sim_book_event *e = &f.r.events[i];
		if (e->exec == SIM_EXEC_TRADE)
			ids[e->order_id == maker] = e->trade_id;
	}
	cr_assert_eq(ids[0], fl->trade_id, "the taker's report carries the trade id");
	cr_assert_eq(ids[1], fl->trade_id, "the maker's report carries the same trade id");
	expect_order(&f, maker, SB_ORDER_FILLED, "1", "0");
	expect_order(&f, taker, SB_ORDER_FILLED, "1", "0");
	/* Bought 1 BTC (0.001 commission in BTC) and sold 1 BTC (0.001 USDT commission). */
	expect(&f, f.a, "BTC", "9.999", "0");
	expect(&f, f.a, "USDT", "99.999", "0");
	expect(&f, SIM_LEDGER_FEES, "BTC", "0.001", "0");
	expect(&f, SIM_LEDGER_FEES, "USDT", "0.001", "0");
	fx_fini(&f);
}

Test(sim_stp, expire_maker_expires_every_own_resting_order_and_the_taker_rests)
{
	struct fx f;
	fx_init(&f);
	uint64_t m[3];
	three_makers(&f, m);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "1", "3", SIM_STP_EXPIRE_MAKER);
	cr_assert_eq(f.r.n_fills, 0);
	cr_assert_eq(f.r.n_prevented, 3);
	const char *qty[3] = {"1.2", "1.3", "8.1"};
	for (int i = 0; i < 3; i++) {
		expect_order(&f, m[i], SB_ORDER_EXPIRED_IN_MATCH, "0", qty[i]);
		expect_event(&f, m[i], SB_ORDER_EXPIRED_IN_MATCH, i, qty[i], qty[i], taker);
		cr_assert_eq(f.r.prevented[i].maker_order_id, m[i]);
		cr_assert_eq(f.r.prevented[i].maker_qty, D(qty[i]));
		cr_assert_eq(f.r.prevented[i].taker_qty, 0);
		cr_assert_eq(f.r.prevented[i].mode, SIM_STP_EXPIRE_MAKER);
	}
	cr_assert_eq(count_exec(&f, taker, SIM_EXEC_TRADE_PREVENTION), 0, "the taker lost nothing");
	expect_order(&f, taker, SB_ORDER_NEW, "0", "0");
	cr_assert_eq(sim_book_open_count(f.b, f.a), 1);
	expect(&f, f.a, "USDT", "100", "0");
	expect(&f, f.a, "BTC", "7", "3");
	fx_fini(&f);
}

Test(sim_stp, expire_taker_expires_the_incoming_order_and_keeps_the_book)
{
	struct fx f;
	fx_init(&f);
	uint64_t m[3];
	three_makers(&f, m);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "1", "3", SIM_STP_EXPIRE_TAKER);
	cr_assert_eq(f.r.n_fills, 0);
	cr_assert_eq(f.r.n_prevented, 1);
	expect_order(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, "0", "3");
	expect_event(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, 0, "3", "3", m[0]);
	cr_assert_eq(f.r.prevented[0].taker_qty, D("3"));
	cr_assert_eq(f.r.prevented[0].maker_qty, 0);
	cr_assert_eq(f.r.prevented[0].price, D("1.2"));
	for (int i = 0; i < 3; i++) {
		expect_order(&f, m[i], SB_ORDER_NEW, "0", "0");
		cr_assert_eq(count_exec(&f, m[i], SIM_EXEC_TRADE_PREVENTION), 0);
	}
	expect(&f, f.a, "USDT", "89.03", "10.97");
	expect(&f, f.a, "BTC", "10", "0");
	fx_fini(&f);
}

Test(sim_stp, expire_both_expires_taker_and_maker_in_one_prevented_match)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "1", "1", SIM_STP_NONE);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "1", "3", SIM_STP_EXPIRE_BOTH);
	cr_assert_eq(f.r.n_fills, 0);
	cr_assert_eq(f.r.n_prevented, 1);
	expect_order(&f, maker, SB_ORDER_EXPIRED_IN_MATCH, "0", "1");
	expect_order(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, "0", "3");
	expect_event(&f, maker, SB_ORDER_EXPIRED_IN_MATCH, 0, "1", "1", taker);
	expect_event(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, 0, "3", "3", maker);
	expect(&f, f.a, "USDT", "100", "0");
	expect(&f, f.a, "BTC", "10", "0");
	fx_fini(&f);
}

Test(sim_stp, decrement_expires_the_smaller_order_and_shrinks_the_larger)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "2", "6", SIM_STP_NONE);
	expect(&f, f.a, "USDT", "88", "12");
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "2", "2", SIM_STP_DECREMENT);
	cr_assert_eq(f.r.n_fills, 0);
	expect_order(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, "0", "2");
	expect_order(&f, maker, SB_ORDER_NEW, "0", "2");
	expect_event(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, 0, "2", "2", maker);
	expect_event(&f, maker, SB_ORDER_NEW, 0, "2", "2", taker);
	/* The maker needs 4 * 2 USDT now: the rest of its lock comes back at once. */
	expect(&f, f.a, "USDT", "92", "8");
	expect(&f, f.a, "BTC", "10", "0");
	struct sim_book_level best;
	cr_assert(sim_book_best(f.b, SB_SIDE_BUY, &best));
	cr_assert_eq(best.qty, D("4"), "the book shows what the maker can still buy");
	/* Another account sells into what is left: the maker ends FILLED with 4 executed. */
	place(&f, f.other, SB_SIDE_SELL, "2", "5", SIM_STP_DECREMENT);
	cr_assert_eq(f.r.n_fills, 1);
	cr_assert_eq(f.r.fills[0].qty, D("4"));
	expect_order(&f, maker, SB_ORDER_FILLED, "4", "2");
	expect(&f, f.a, "USDT", "92", "0");
	expect(&f, f.a, "BTC", "13.996", "0");
	fx_fini(&f);
}

Test(sim_stp, decrement_with_the_larger_taker_rests_what_is_left)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "2", "2", SIM_STP_NONE);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "2", "6", SIM_STP_DECREMENT);
	expect_order(&f, maker, SB_ORDER_EXPIRED_IN_MATCH, "0", "2");
	expect_order(&f, taker, SB_ORDER_NEW, "0", "2");
	expect_event(&f, taker, SB_ORDER_NEW, 0, "2", "2", maker);
	expect(&f, f.a, "USDT", "100", "0");
	expect(&f, f.a, "BTC", "6", "4");
	struct sim_book_level best;
	cr_assert(sim_book_best(f.b, SB_SIDE_SELL, &best));
	cr_assert_eq(best.qty, D("4"));
	fx_fini(&f);
}

Test(sim_stp, expire_maker_then_trades_with_another_account_behind_it)
{
	struct fx f;
	fx_init(&f);
	uint64_t own = place(&f, f.a, SB_SIDE_BUY, "1.1", "1", SIM_STP_NONE);
	uint64_t theirs = place(&f, f.other, SB_SIDE_BUY, "1", "1", SIM_STP_NONE);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, "1", "2", SIM_STP_EXPIRE_MAKER);
	expect_order(&f, own, SB_ORDER_EXPIRED_IN_MATCH, "0", "1");
	expect_order(&f, theirs, SB_ORDER_FILLED, "1", "0");
	expect_order(&f, taker, SB_ORDER_PARTIALLY_FILLED, "1", "0");
	cr_assert_eq(f.r.n_fills, 1);
	cr_assert_eq(f.r.fills[0].seller_account, f.a);
	cr_assert_eq(f.r.fills[0].buyer_account, f.other);
	/* a: sold 1 at 1 (0.001 commission), 1 BTC still offered; b: bought 1 (0.001 BTC commission). */
	expect(&f, f.a, "USDT", "100.999", "0");
	expect(&f, f.a, "BTC", "8", "1");
	expect(&f, f.other, "USDT", "99", "0");
	expect(&f, f.other, "BTC", "10.999", "0");
	fx_fini(&f);
}

Test(sim_stp, market_order_expire_maker_expires_for_lack_of_liquidity)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "1", "1", SIM_STP_NONE);
	uint64_t taker = place(&f, f.a, SB_SIDE_SELL, NULL, "1", SIM_STP_EXPIRE_MAKER);
	expect_order(&f, maker, SB_ORDER_EXPIRED_IN_MATCH, "0", "1");
	expect_order(&f, taker, SB_ORDER_EXPIRED, "0", "0");
	cr_assert_eq(order(&f, taker)->expiry, SIM_EXPIRY_INSUFFICIENT_LIQUIDITY);
	expect(&f, f.a, "USDT", "100", "0");
	expect(&f, f.a, "BTC", "10", "0");
	fx_fini(&f);
}

Test(sim_stp, quote_market_order_decrement_counts_in_base_at_the_maker_price)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_SELL, "100", "1", SIM_STP_NONE);
	struct sim_book_req q = {.account = f.a,
	                         .side = SB_SIDE_BUY,
	                         .type = SB_ORDER_MARKET,
	                         .quote_qty = D("50"),
	                         .step = D("0.001"),
	                         .time = 11,
	                         .stp = SIM_STP_DECREMENT};
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	uint64_t taker = f.r.order_id;
	expect_order(&f, taker, SB_ORDER_EXPIRED_IN_MATCH, "0", "0.5");
	cr_assert_eq(order(&f, taker)->orig_qty, D("0.5"));
	expect_order(&f, maker, SB_ORDER_NEW, "0", "0.5");
	expect(&f, f.a, "USDT", "100", "0");
	expect(&f, f.a, "BTC", "9.5", "0.5");
	fx_fini(&f);
}

Test(sim_stp, fok_that_would_meet_its_own_order_expires_unfilled)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "1", "1", SIM_STP_NONE);
	struct sim_book_req q = {.account = f.a,
	                         .side = SB_SIDE_SELL,
	                         .type = SB_ORDER_LIMIT,
	                         .tif = SB_TIF_FOK,
	                         .price = D("1"),
	                         .qty = D("1"),
	                         .time = 11,
	                         .stp = SIM_STP_EXPIRE_TAKER};
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_place(f.l, f.b, &q, 0, &f.r), SB_OK);
	expect_order(&f, f.r.order_id, SB_ORDER_EXPIRED, "0", "0");
	cr_assert_eq(order(&f, f.r.order_id)->expiry, SIM_EXPIRY_UNFILLED_FOK);
	expect_order(&f, maker, SB_ORDER_NEW, "0", "0");
	expect(&f, f.a, "BTC", "10", "0");
	fx_fini(&f);
}

Test(sim_stp, market_feed_fills_resting_orders_without_prevention)
{
	struct fx f;
	fx_init(&f);
	uint64_t maker = place(&f, f.a, SB_SIDE_BUY, "1", "1", SIM_STP_EXPIRE_BOTH);
	sim_book_result_clear(&f.r);
	cr_assert_eq(sim_ledger_market_trade(f.l, f.b, D("1"), D("5"), 12, 0, &f.r), SB_OK);
	expect_order(&f, maker, SB_ORDER_FILLED, "1", "0");
	cr_assert_eq(f.r.n_prevented, 0);
	fx_fini(&f);
}

/* ---- vocabulary ---- */

Test(sim_stp, names_round_trip)
{
	for (int m = 0; m < SIM_STP_COUNT; m++) {
		enum sim_stp_mode back;
		const char *n = sim_stp_name((enum sim_stp_mode)m);
		cr_assert_eq(sim_stp_parse(n, strlen(n), &back), SB_OK);
		cr_assert_eq((int)back, m);
	}
	enum sim_stp_mode back;
	cr_assert_eq(sim_stp_parse("expire_maker", 12, &back), SB_ERR_INVALID);
	cr_assert_eq(sim_stp_parse("EXPIRE", 6, &back), SB_ERR_INVALID);
	cr_assert_str_eq(sb_order_state_name(SB_ORDER_EXPIRED_IN_MATCH), "EXPIRED_IN_MATCH");
	cr_assert_str_eq(sim_book_exec_name(SIM_EXEC_TRADE_PREVENTION), "TRADE_PREVENTION");
}

static sb_err from_text(const char *json, struct sim_stp_config *cfg, char *msg, size_t cap)
{
	cJSON *info = cJSON_Parse(json);
	cr_assert_not_null(info);
	sb_err e = sim_stp_from_info(info, cfg, msg, cap);
	cJSON_Delete(info);
	return e;
}

Test(sim_stp, symbol_settings_from_exchange_info)
{
	struct sim_stp_config cfg;
	char msg[128];
	cr_assert_eq(from_text("{\"defaultSelfTradePreventionMode\":\"EXPIRE_MAKER\","
	                       "\"allowedSelfTradePreventionModes\":[\"EXPIRE_TAKER\",\"EXPIRE_MAKER\","
	                       "\"EXPIRE_BOTH\",\"DECREMENT\"]}",
	                       &cfg, msg, sizeof msg),
	             SB_OK);
	cr_assert_eq(cfg.def, SIM_STP_EXPIRE_MAKER);
	cr_assert(sim_stp_allowed(&cfg, SIM_STP_DECREMENT));
	cr_assert_not(sim_stp_allowed(&cfg, SIM_STP_NONE));
	cr_assert_not(sim_stp_allowed(&cfg, SIM_STP_TRANSFER));
	/* A symbol from before STP: NONE, and only NONE. */
	cr_assert_eq(from_text("{\"symbol\":\"X\"}", &cfg, msg, sizeof msg), SB_OK);
	cr_assert_eq(cfg.def, SIM_STP_NONE);
	cr_assert(sim_stp_allowed(&cfg, SIM_STP_NONE));
	cr_assert_not(sim_stp_allowed(&cfg, SIM_STP_EXPIRE_MAKER));
	/* The default is usable even when the allowed list leaves it out. */
	cr_assert_eq(from_text("{\"defaultSelfTradePreventionMode\":\"NONE\","
	                       "\"allowedSelfTradePreventionModes\":[\"EXPIRE_MAKER\"]}",
	                       &cfg, msg, sizeof msg),
	             SB_OK);
	cr_assert(sim_stp_allowed(&cfg, SIM_STP_NONE));
	cr_assert_eq(
	    from_text("{\"defaultSelfTradePreventionMode\":\"EXPIRE_SOMETIMES\"}", &cfg, msg, sizeof msg),
	    SB_ERR_PARSE);
	cr_assert(strstr(msg, "defaultSelfTradePreventionMode") && strstr(msg, "EXPIRE_SOMETIMES"), "%s",
	          msg);
	cr_assert_eq(from_text("{\"allowedSelfTradePreventionModes\":\"NONE\"}", &cfg, msg, sizeof msg),
	             SB_ERR_PARSE);
	cr_assert(strstr(msg, "allowedSelfTradePreventionModes"), "%s", msg);
	cr_assert_eq(from_text("{\"allowedSelfTradePreventionModes\":[7]}", &cfg, msg, sizeof msg),
	             SB_ERR_PARSE);
}

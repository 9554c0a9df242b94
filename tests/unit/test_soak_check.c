/*
 * test_soak_check.c - the chaos soak's invariant checker (tests/soak/soak_check.c) on a database written
 * through the store API: one closed cycle that agrees with the exchange's records passes, and each kind
 * of disagreement the soak must catch (an order missing or different, a clientOrderId used twice, one
 * unit of a balance unexplained, a wrong realised profit, a buy inside a paused window, an order left
 * pending after the faults stopped, a position limit exceeded) is reported as a violation.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "soak_check.h"
#include "spotbot/store.h"

static char dir[64], db[128];

/* The exchange's side of the cycle, each test changes a copy. */
static struct soak_xorder xorders[2];
static struct soak_asset start[2], now[2];
static struct soak_limit limits[1];
static struct soak_records rec;

#define BUY_TIME  1764000001000
#define SELL_TIME 1764000005000

static struct sb_store_order order(const char *coid, int64_t pos, enum sb_side side, sb_dec price, sb_dec qty)
{
	struct sb_store_order o = {.position_id = pos,
	                           .side = side,
	                           .type = SB_ORDER_LIMIT,
	                           .tif = SB_TIF_GTC,
	                           .price = price,
	                           .orig_qty = qty,
	                           .status = SB_ORDER_PENDING_NEW,
	                           .created_ms = BUY_TIME,
	                           .updated_ms = BUY_TIME};
	snprintf(o.client_order_id, sizeof o.client_order_id, "%s", coid);
	snprintf(o.symbol, sizeof o.symbol, "BTCUSDT");
	return o;
}

/* The order placed (orderId id) and filled by one trade with its commission. */
static void fill(struct sb_store *st, struct sb_store_order *o, int64_t id, int64_t trade, sb_dec quote,
                 sb_dec fee, const char *fee_asset)
{
	cr_assert_eq(sb_store_order_insert_intent(st, o, NULL, NULL), SB_OK, "%s", sb_store_last_error(st));
	o->status = SB_ORDER_NEW;
	o->exchange_order_id = id;
	cr_assert_eq(sb_store_order_update(st, o, NULL, NULL), SB_OK);
	struct sb_store_fill f = {.symbol = "BTCUSDT",
	                          .trade_id = trade,
	                          .price = o->price,
	                          .qty = o->orig_qty,
	                          .quote_qty = quote,
	                          .commission = fee,
	                          .time_ms = BUY_TIME};
	snprintf(f.client_order_id, sizeof f.client_order_id, "%s", o->client_order_id);
	snprintf(f.commission_asset, sizeof f.commission_asset, "%s", fee_asset);
	o->executed_qty = o->orig_qty;
	o->cumm_quote_qty = quote;
	o->status = SB_ORDER_FILLED;
	cr_assert_eq(sb_store_fill_apply(st, &f, o, NULL, NULL), SB_OK, "%s", sb_store_last_error(st));
}

static void xorder(struct soak_xorder *x, const char *coid, int64_t id, bool buy, sb_dec executed, int64_t t)
{
	*x = (struct soak_xorder){.order_id = id, .buy = buy, .executed_qty = executed, .time_ms = t};
	snprintf(x->symbol, sizeof x->symbol, "BTCUSDT");
	snprintf(x->coid, sizeof x->coid, "%s", coid);
	snprintf(x->status, sizeof x->status, "FILLED");
}

/*
 * One cycle: buy 0.001 BTC at 50000 (50 USDT, commission 0.000001 BTC), sell 0.000999 at 51000 (50.949
 * USDT, commission 0.050949 USDT): realised profit 50.949 - 0.050949 - 50 = 0.898051. The account started
 * with 1000 USDT and holds 1000.898051 USDT and no BTC.
 */
static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sb_soakcheck_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/bot.db", dir);
	struct sb_store *st = NULL;
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &st, NULL, 0), SB_OK);
	struct sb_store_position p = {.state = SB_POSITION_BUYING, .created_ms = BUY_TIME};
	snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
	struct sb_store_order b =
	    order("sb-main-1-b0", p.id, SB_SIDE_BUY, SB_DEC_C(50000, 0), SB_DEC_C(0, 100000));
	fill(st, &b, 11, 101, SB_DEC_C(50, 0), SB_DEC_C(0, 100), "BTC");
	struct sb_store_order s =
	    order("sb-main-1-s0", p.id, SB_SIDE_SELL, SB_DEC_C(51000, 0), SB_DEC_C(0, 99900));
	fill(st, &s, 12, 102, SB_DEC_C(50, 94900000), SB_DEC_C(0, 5094900), "USDT");
	p.state = SB_POSITION_CLOSED;
	p.closed_ms = SELL_TIME;
	p.realised_profit = SB_DEC_C(0, 89805100);
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK);
	sb_store_close(st);

	xorder(&xorders[0], "sb-main-1-b0", 11, true, SB_DEC_C(0, 100000), BUY_TIME);
	xorder(&xorders[1], "sb-main-1-s0", 12, false, SB_DEC_C(0, 99900), SELL_TIME);
	start[0] = (struct soak_asset){.asset = "USDT", .total = SB_DEC_C(1000, 0)};
	start[1] = (struct soak_asset){.asset = "BTC", .total = 0};
	now[0] = (struct soak_asset){.asset = "USDT", .total = SB_DEC_C(1000, 89805100)};
	now[1] = (struct soak_asset){.asset = "BTC", .total = 0};
	limits[0] = (struct soak_limit){.symbol = "BTCUSDT", .max_positions = 1};
	rec = (struct soak_records){.orders = xorders,
	                            .norders = 2,
	                            .start = start,
	                            .nstart = 2,
	                            .now = now,
	                            .nnow = 2,
	                            .window_margin_ms = 1000,
	                            .limits = limits,
	                            .nlimits = 1,
	                            .max_exposure = SB_DEC_C(100, 0),
	                            .settled = true};
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(soak_check, .init = setup, .fini = teardown);

/* Runs the checker and expects exactly one violation containing needle (none when needle is NULL). */
static void expect(const char *needle)
{
	static struct soak_violations v;
	cr_assert(soak_check(&rec, db, &v), "%s", v.n ? v.what[0] : "");
	cr_assert_gt(v.checks, 10, "the checks are counted");
	if (!needle) {
		cr_assert_eq(v.n, 0, "no violation: %s", v.n ? v.what[0] : "");
		return;
	}
	cr_assert_eq(v.n, 1, "one violation, got %zu: %s", v.n, v.n ? v.what[0] : "");
	cr_assert_not_null(strstr(v.what[0], needle), "%s names %s", v.what[0], needle);
}

Test(soak_check, books_that_agree_with_the_exchange_pass)
{
	expect(NULL);
}

Test(soak_check, one_unit_of_a_balance_unexplained_is_a_violation)
{
	now[0].total += 1;
	expect("USDT: start plus the database's fills is 1000.898051, the exchange holds 1000.89805101");
}

Test(soak_check, an_exchange_order_missing_from_the_database_is_a_violation)
{
	struct soak_xorder more[3] = {xorders[0], xorders[1]};
	xorder(&more[2], "sb-main-2-b0", 13, true, 0, SELL_TIME);
	snprintf(more[2].status, sizeof more[2].status, "NEW");
	rec.orders = more;
	rec.norders = 3;
	expect("exchange order sb-main-2-b0 (BTCUSDT #13, NEW) is not in the database");
}

Test(soak_check, a_different_status_or_executed_quantity_is_a_violation)
{
	snprintf(xorders[1].status, sizeof xorders[1].status, "PARTIALLY_FILLED");
	expect("order sb-main-1-s0: database status FILLED, exchange status PARTIALLY_FILLED");
	snprintf(xorders[1].status, sizeof xorders[1].status, "FILLED");
	xorders[0].executed_qty -= 1;
	expect("order sb-main-1-b0: database executed 0.001, exchange executed 0.00099999");
}

Test(soak_check, a_client_order_id_used_twice_is_a_violation)
{
	struct soak_xorder more[3] = {xorders[0], xorders[1], xorders[1]};
	more[2].order_id = 14;
	rec.orders = more;
	rec.norders = 3;
	static struct soak_violations v;
	cr_assert(soak_check(&rec, db, &v));
	cr_assert_eq(v.n, 2, "the duplicate, and its orderId differs from the database's");
	cr_assert_str_eq(v.what[0],
	                 "clientOrderId sb-main-1-s0 used twice on the exchange (orders 12 and 14)");
	cr_assert_str_eq(v.what[1], "order sb-main-1-s0: database orderId 12, exchange orderId 14");
}

Test(soak_check, a_database_order_not_on_the_exchange_is_a_violation)
{
	rec.orders = xorders;
	rec.norders = 1; /* the sell is gone from the exchange's records */
	static struct soak_violations v;
	cr_assert(soak_check(&rec, db, &v));
	cr_assert_geq(v.n, 1);
	cr_assert_not_null(strstr(v.what[0], "database order sb-main-1-s0 (FILLED) is not on the exchange"),
	                   "%s", v.what[0]);
}

Test(soak_check, a_realised_profit_the_fills_do_not_explain_is_a_violation)
{
	struct sb_store *st = NULL;
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &st, NULL, 0), SB_OK);
	struct sb_store_position p;
	cr_assert_eq(sb_store_position_get(st, 1, &p), SB_OK);
	p.realised_profit += 1;
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK);
	sb_store_close(st);
	expect("position 1 (BTCUSDT): realised profit 0.89805101, its fills say 0.898051");
}

Test(soak_check, a_buy_inside_a_paused_window_is_a_violation_outside_its_margins_only)
{
	struct soak_window w = {.symbol = "", .from_ms = BUY_TIME - 500, .to_ms = BUY_TIME + 10000};
	rec.windows = &w;
	rec.nwindows = 1;
	expect(NULL); /* within the margin after the pause: a request already on its way */
	w.from_ms = BUY_TIME - 5000;
	expect("buy sb-main-1-b0 reached the exchange at 1764000001000, while the bot was paused");
	snprintf(w.symbol, sizeof w.symbol, "ETHUSDT");
	expect(NULL); /* another pair's window */
	snprintf(w.symbol, sizeof w.symbol, "BTCUSDT");
	w.to_ms = 0; /* still paused */
	expect("while BTCUSDT was paused");
}

Test(soak_check, an_order_still_pending_after_the_faults_stopped_is_a_violation)
{
	struct sb_store *st = NULL;
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &st, NULL, 0), SB_OK);
	struct sb_store_position p = {.state = SB_POSITION_BUYING, .created_ms = SELL_TIME};
	snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
	struct sb_store_order b =
	    order("sb-main-2-b0", p.id, SB_SIDE_BUY, SB_DEC_C(50000, 0), SB_DEC_C(0, 100000));
	cr_assert_eq(sb_store_order_insert_intent(st, &b, NULL, NULL), SB_OK);
	sb_store_close(st);
	rec.settled = false;
	expect(NULL); /* not yet known either way while faults may be on */
	rec.settled = true;
	static struct soak_violations v;
	cr_assert(soak_check(&rec, db, &v));
	cr_assert_eq(v.n, 2, "not on the exchange, and still pending: %s", v.what[0]);
	cr_assert_not_null(
	    strstr(v.what[1], "order sb-main-2-b0 is still PENDING_NEW after the faults stopped"), "%s",
	    v.what[1]);
}

/* Position 1 closed before position 2 was created: never more than one open at a time. */
Test(soak_check, positions_one_after_the_other_keep_max_positions)
{
	struct sb_store *st = NULL;
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &st, NULL, 0), SB_OK);
	struct sb_store_position p = {
	    .state = SB_POSITION_HOLDING, .created_ms = SELL_TIME + 1, .cost_quote = SB_DEC_C(20, 0)};
	snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
	sb_store_close(st);
	rec.settled = false;
	expect(NULL);
}

Test(soak_check, more_open_positions_than_max_positions_or_exposure_allow_is_a_violation)
{
	struct sb_store *st = NULL;
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &st, NULL, 0), SB_OK);
	for (int i = 0; i < 2; i++) {
		struct sb_store_position p = {
		    .state = SB_POSITION_HOLDING, .created_ms = SELL_TIME + i, .cost_quote = SB_DEC_C(60, 0)};
		snprintf(p.symbol, sizeof p.symbol, "BTCUSDT");
		cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK);
	}
	sb_store_close(st);
	rec.settled = false;
	static struct soak_violations v;
	cr_assert(soak_check(&rec, db, &v));
	cr_assert_eq(v.n, 2, "%s", v.what[0]);
	cr_assert_str_eq(v.what[0],
	                 "BTCUSDT had 2 open positions when position 3 was created, max_positions is 1");
	cr_assert_str_eq(v.what[1], "open positions commit 120, MAX_EXPOSURE is 100");
}

/*
 * test_sim_check.c - the simulation's invariant checker (tests/sim/sim_check.h) on worlds built by hand: a
 * consistent world passes, and each invariant, broken alone, is reported by the check that owns it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sim_check.h"

/* A consistent world: one filled buy and its filled sell, the position closed, the balances explained. */
static struct simc_xorder xs[2];
static struct simc_dorder ds[2];
static struct simc_asset as[2];
static struct simc_closed cs[1];
static struct simc_position ps[1];
static struct simc_send ss[1];
static struct simc_world w;
static char last[512]; /* the last violation reported */

static void world(void)
{
	memset(xs, 0, sizeof xs);
	memset(ds, 0, sizeof ds);
	const char *coids[2] = {"sb-main-1-b0", "sb-main-1-s0"};
	for (int i = 0; i < 2; i++) {
		snprintf(xs[i].coid, sizeof xs[i].coid, "%s", coids[i]);
		snprintf(xs[i].symbol, sizeof xs[i].symbol, "BTCUSDT");
		xs[i].status = SB_ORDER_FILLED;
		xs[i].final = true;
		xs[i].executed = D("0.001");
		snprintf(ds[i].coid, sizeof ds[i].coid, "%s", coids[i]);
		snprintf(ds[i].symbol, sizeof ds[i].symbol, "BTCUSDT");
		ds[i].status = SB_ORDER_FILLED;
		ds[i].executed = ds[i].filled = D("0.001");
	}
	as[0] = (struct simc_asset){.asset = "USDT", .ledger_delta = D("0.4"), .fills_delta = D("0.4")};
	as[1] = (struct simc_asset){.asset = "BTC", .ledger_delta = 0, .fills_delta = 0};
	cs[0] = (struct simc_closed){.id = 1, .stored = D("0.4"), .from_trades = D("0.4"), .computed = true};
	ps[0] = (struct simc_position){.id = 1, .state = SB_POSITION_CLOSED};
	ss[0] = (struct simc_send){.coid = "sb-main-1-b0",
	                           .new_cycle = true,
	                           .pair_enabled = true,
	                           .open_in_pair = 1,
	                           .max_positions = 1,
	                           .exposure = D("50"),
	                           .max_exposure = D("100")};
	w = (struct simc_world){.x = xs,
	                        .nx = 2,
	                        .d = ds,
	                        .nd = 2,
	                        .assets = as,
	                        .nassets = 2,
	                        .closed = cs,
	                        .nclosed = 1,
	                        .pos = ps,
	                        .npos = 1,
	                        .sends = ss,
	                        .nsends = 1};
	last[0] = '\0';
}

TestSuite(sim_check, .init = world);

static void keep(void *user, const char *text)
{
	(void)user;
	snprintf(last, sizeof last, "%s", text);
}

static uint64_t running(void)
{
	struct simc_report r = {.violation = keep};
	uint64_t n = simc_check_running(&w, &r);
	cr_assert_eq(n, r.violations);
	cr_assert_gt(r.checks, 0);
	return n;
}

static uint64_t settled(void)
{
	struct simc_report r = {.violation = keep};
	return simc_check_settled(&w, &r);
}

Test(sim_check, a_consistent_world_passes)
{
	cr_assert_eq(running(), 0, "%s", last);
	cr_assert_eq(settled(), 0, "%s", last);
}

Test(sim_check, an_exchange_order_missing_from_the_database)
{
	snprintf(xs[1].coid, sizeof xs[1].coid, "foreign-1");
	cr_assert_eq(running(), 1);
	cr_assert(strstr(last, "foreign-1 of BTCUSDT is on the exchange but not in the database"), "%s",
	          last);
}

Test(sim_check, a_client_order_id_used_twice)
{
	snprintf(xs[1].coid, sizeof xs[1].coid, "%s", xs[0].coid);
	cr_assert_geq(running(), 1);
	cr_assert(strstr(last, "used by two orders") || strstr(last, "not in the database"), "%s", last);
}

Test(sim_check, more_executed_in_the_database_than_on_the_exchange)
{
	ds[0].executed = ds[0].filled = D("0.002");
	cr_assert_eq(running(), 2);
}

Test(sim_check, a_realised_profit_its_trades_do_not_give)
{
	cs[0].stored = D("0.5");
	cr_assert_eq(running(), 1);
	cr_assert(strstr(last, "realised profit 0.5 in the database, 0.4 from its trades"), "%s", last);
	cs[0].trades_missing = true;
	cr_assert_eq(running(), 0, "nothing to compare with when the exchange dropped its trades");
}

Test(sim_check, a_cycle_opened_while_paused_disabled_or_beyond_the_limits)
{
	ss[0].paused = true;
	cr_assert_eq(running(), 1);
	cr_assert(strstr(last, "while the bot was paused"), "%s", last);
	ss[0].paused = false;
	ss[0].pair_enabled = false;
	cr_assert_eq(running(), 1);
	ss[0].pair_enabled = true;
	ss[0].open_in_pair = 2;
	cr_assert_eq(running(), 1);
	cr_assert(strstr(last, "max_positions is 1"), "%s", last);
	ss[0].open_in_pair = 1;
	ss[0].exposure = D("100.01");
	cr_assert_eq(running(), 1);
	cr_assert(strstr(last, "MAX_EXPOSURE is 100"), "%s", last);
	ss[0].new_cycle = false;
	cr_assert_eq(running(), 0, "a sell or a later buy of a position opens no cycle");
}

Test(sim_check, a_status_or_quantity_that_differs_once_settled)
{
	ds[1].status = SB_ORDER_NEW;
	cr_assert_eq(running(), 0, "a lagging status is no violation while faults go on");
	cr_assert_eq(settled(), 1, "%s", last);
	cr_assert(strstr(last, "sb-main-1-s0 is NEW in the database and FILLED on the exchange"), "%s", last);
	ds[1].status = SB_ORDER_FILLED;
	ds[1].filled = D("0.0005");
	cr_assert_eq(settled(), 1);
	cr_assert(strstr(last, "its fills add up to 0.0005, the exchange executed 0.001"), "%s", last);
}

Test(sim_check, a_forgotten_order_may_end_lost)
{
	xs[1].status = SB_ORDER_CANCELED;
	xs[1].executed = 0;
	ds[1].status = SB_ORDER_LOST;
	ds[1].executed = ds[1].filled = 0;
	cr_assert_eq(settled(), 1, "LOST for an order the exchange still knows");
	xs[1].forgotten = true;
	cr_assert_eq(settled(), 0, "%s", last);
	ds[1].status = SB_ORDER_NEVER_SENT;
	cr_assert_eq(settled(), 0, "the exchange said it never had it: %s", last);
	xs[1].forgotten = false;
	cr_assert_eq(settled(), 2, "NEVER_SENT for an order the exchange still knows");
}

Test(sim_check, a_database_order_the_exchange_never_had)
{
	snprintf(ds[1].coid, sizeof ds[1].coid, "sb-main-2-b0");
	w.nx = 1;
	cr_assert_geq(settled(), 1);
	ds[1].status = SB_ORDER_NEVER_SENT;
	ds[1].executed = ds[1].filled = 0;
	cr_assert_eq(settled(), 0, "%s", last);
	w.nx = 2;
	snprintf(xs[1].coid, sizeof xs[1].coid, "sb-main-2-b0");
	cr_assert_geq(settled(), 1);
	cr_assert(strstr(last, "sb-main-2-b0 is NEVER_SENT in the database but on the exchange"), "%s", last);
}

Test(sim_check, a_transitional_order_or_a_stuck_position_once_settled)
{
	ds[0].status = xs[0].status = SB_ORDER_NEW;
	ds[0].status = SB_ORDER_UNKNOWN;
	cr_assert_geq(settled(), 1);
	cr_assert(strstr(last, "still UNKNOWN") || strstr(last, "UNKNOWN in the database"), "%s", last);
	world();
	ps[0].state = SB_POSITION_HOLDING;
	cr_assert_eq(settled(), 1);
	ps[0].state = SB_POSITION_SELLING;
	cr_assert_eq(settled(), 1, "SELLING without an open order");
	ps[0].order_open = true;
	cr_assert_eq(settled(), 0, "%s", last);
}

Test(sim_check, balances_the_fills_do_not_explain)
{
	as[1].ledger_delta = D("0.00000001");
	cr_assert_eq(running(), 0, "balances are compared once settled");
	cr_assert_eq(settled(), 1);
	cr_assert(strstr(last, "BTC changed by 0.00000001 on the ledger; the database's fills say 0"), "%s",
	          last);
}

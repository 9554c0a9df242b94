/*
 * test_backtest_report.c - a backtest's figures from a database's positions (backtest/bt_report.h):
 * cycles, wins, losses and realised profit from closed positions only, holds from the first buy fill to
 * the close, open positions valued at the last price, commissions per asset, the total over the pairs,
 * and the JSON's amounts as exact decimal strings.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_report.h"
#include "sbtest_dec.h"

static struct sb_store *st;

static void setup(void)
{
	char why[256];
	cr_assert_eq(sb_store_open_sqlite(":memory:", NULL, &st, why, sizeof why), SB_OK, "%s", why);
}

static void teardown(void)
{
	sb_store_close(st);
}

TestSuite(backtest_report, .init = setup, .fini = teardown);

/* A position of symbol in state, bought at opened and ended at closed, with profit and a commission. */
static void position(const char *symbol, enum sb_store_pos_state state, int64_t opened, int64_t closed,
                     const char *profit, const char *fee_asset, const char *fee)
{
	struct sb_store_position p = {
	    .state = SB_STORE_POS_BUYING, .created_ms = opened, .updated_ms = opened};
	snprintf(p.symbol, sizeof p.symbol, "%s", symbol);
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	p.state = state;
	p.opened_ms = state == SB_STORE_POS_CANCELED ? 0 : opened;
	p.closed_ms = closed;
	p.buy_qty = p.base_received = state == SB_STORE_POS_CANCELED ? 0 : D("2");
	p.sold_qty = state == SB_STORE_POS_CLOSED ? D("2") : 0;
	p.realised_profit = D(profit);
	snprintf(p.commissions[0].asset, sizeof p.commissions[0].asset, "%s", fee_asset);
	p.commissions[0].amount = D(fee);
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
}

Test(backtest_report, closed_positions_make_the_cycles_and_open_ones_are_valued_at_the_last_price)
{
	position("LINKUSDT", SB_STORE_POS_CLOSED, 1000, 61000, "0.25", "USDT", "0.01");
	position("LINKUSDT", SB_STORE_POS_CLOSED, 100000, 280000, "-0.1", "USDT", "0.02");
	position("LINKUSDT", SB_STORE_POS_CANCELED, 300000, 310000, "0", "USDT", "0");
	position("LINKUSDT", SB_STORE_POS_HOLDING, 400000, 0, "0", "LINK", "0.002");
	position("DOTUSDT", SB_STORE_POS_CLOSED, 0, 30000, "1.5", "USDT", "0.03");

	struct sb_bt_report r = {.from_ms = 0, .to_ms = 3599999, .candles = 60};
	r.pairs = calloc(2, sizeof *r.pairs);
	r.npairs = 2;
	cr_assert_eq(sb_bt_report_pair(st, "LINKUSDT", D("7.5"), &r.pairs[0]), SB_OK);
	cr_assert_eq(sb_bt_report_pair(st, "DOTUSDT", D("4"), &r.pairs[1]), SB_OK);
	const struct sb_bt_pair_report *link = &r.pairs[0];
	cr_assert_eq(link->cycles, 2);
	cr_assert_eq(link->wins, 1);
	cr_assert_eq(link->losses, 1);
	cr_assert_eq(link->realized_profit, D("0.15"));
	cr_assert_eq(link->hold_total_ms, 60000 + 180000);
	cr_assert_eq(link->hold_max_ms, 180000);
	cr_assert_eq(link->open, 1);
	cr_assert_eq(link->open_qty, D("2"));
	cr_assert_eq(link->open_value, D("15"));
	cr_assert_str_eq(link->fees[0].asset, "USDT");
	cr_assert_eq(link->fees[0].amount, D("0.03"));
	cr_assert_str_eq(link->fees[1].asset, "LINK");
	cr_assert_eq(link->fees[1].amount, D("0.002"));
	/* A position closed without its first buy fill's time has no hold to count. */
	cr_assert_eq(r.pairs[1].hold_total_ms, 0);

	sb_bt_report_total(&r);
	cr_assert_eq(r.total.cycles, 3);
	cr_assert_eq(r.total.realized_profit, D("1.65"));
	cr_assert_eq(r.total.hold_max_ms, 180000);
	cr_assert_eq(r.total.fees[0].amount, D("0.06"));

	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	sb_bt_report_json(&r, f);
	fclose(f);
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j, "%s", buf);
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(j, "total");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(total, "realized_profit")->valuestring, "1.65");
	const cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "pairs"), 0);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p0, "symbol")->valuestring, "LINKUSDT");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p0, "realized_profit")->valuestring, "0.15");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p0, "open_value")->valuestring, "15");
	cJSON_Delete(j);
	sb_bt_report_fini(&r);
}

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

#include "backtest/bt_fills.h"
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
static void position(const char *symbol, enum sb_position_state state, int64_t opened, int64_t closed,
                     const char *profit, const char *fee_asset, const char *fee)
{
	struct sb_store_position p = {
	    .state = SB_POSITION_BUYING, .created_ms = opened, .updated_ms = opened};
	snprintf(p.symbol, sizeof p.symbol, "%s", symbol);
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	p.state = state;
	p.opened_ms = state == SB_POSITION_CANCELED ? 0 : opened;
	p.closed_ms = closed;
	p.buy_qty = p.base_received = state == SB_POSITION_CANCELED ? 0 : D("2");
	p.sold_qty = state == SB_POSITION_CLOSED ? D("2") : 0;
	p.realised_profit = D(profit);
	snprintf(p.commissions[0].asset, sizeof p.commissions[0].asset, "%s", fee_asset);
	p.commissions[0].amount = D(fee);
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
}

Test(backtest_report, closed_positions_make_the_cycles_and_open_ones_are_valued_at_the_last_price)
{
	position("LINKUSDT", SB_POSITION_CLOSED, 1000, 61000, "0.25", "USDT", "0.01");
	position("LINKUSDT", SB_POSITION_CLOSED, 100000, 280000, "-0.1", "USDT", "0.02");
	position("LINKUSDT", SB_POSITION_CANCELED, 300000, 310000, "0", "USDT", "0");
	position("LINKUSDT", SB_POSITION_HOLDING, 400000, 0, "0", "LINK", "0.002");
	position("DOTUSDT", SB_POSITION_CLOSED, 0, 30000, "1.5", "USDT", "0.03");

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

/* A position of symbol held over [opened, closed) (closed 0: still open) that cost cost and made profit. */
static void held(const char *symbol, int64_t opened, int64_t closed, const char *cost, const char *profit)
{
	struct sb_store_position p = {
	    .state = SB_POSITION_BUYING, .created_ms = opened, .updated_ms = opened};
	snprintf(p.symbol, sizeof p.symbol, "%s", symbol);
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	p.state = closed ? SB_POSITION_CLOSED : SB_POSITION_HOLDING;
	p.opened_ms = opened;
	p.closed_ms = closed;
	p.buy_qty = p.base_received = D("2");
	p.sold_qty = closed ? D("2") : 0;
	p.cost_quote = D(cost);
	p.realised_profit = D(profit);
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
}

Test(backtest_report, time_in_the_market_commitment_and_the_result_against_holding)
{
	/* An hour's window from T0. LINK: two overlapping cycles, then one still open; DOT: one cycle. */
	const int64_t T0 = 1000000;
	held("LINKUSDT", T0, T0 + 600000, "20", "0.5");
	held("LINKUSDT", T0 + 300000, T0 + 900000, "30", "-0.2");
	held("LINKUSDT", T0 + 3000000, 0, "20", "0");
	held("DOTUSDT", T0 + 1200000, T0 + 2400000, "10", "0.1");
	struct sb_bt_report r = {.from_ms = T0, .to_ms = T0 + 3599999, .candles = 60};
	r.pairs = calloc(2, sizeof *r.pairs);
	r.npairs = 2;
	cr_assert_eq(sb_bt_report_pair(st, "LINKUSDT", D("9"), &r.pairs[0]), SB_OK);
	cr_assert_eq(sb_bt_report_pair(st, "DOTUSDT", D("5"), &r.pairs[1]), SB_OK);
	r.pairs[0].first_price = D("10");
	r.pairs[1].first_price = D("4");
	r.equity_start = D("1000");
	r.equity_end = D("990");
	r.holding_end = D("1010");
	sb_bt_report_total(&r);

	const struct sb_bt_pair_report *link = &r.pairs[0], *dot = &r.pairs[1];
	/* LINK holds over T0 + [0, 900000) and T0 + [3000000, 3600000): 1.5 of the 3.6 million ms. */
	cr_assert_eq(link->market_ms, 1500000);
	cr_assert_eq(link->market_pct, D("41.67"));
	cr_assert_eq(link->committed, D("50"), "20 and 30 were in the market together");
	/* Its result: 0.5 - 0.2 realised, and the open 2 LINK worth 18 that cost 20. */
	cr_assert_eq(link->profit, D("-1.7"));
	/* Holding: 50 bought at 10 and worth 9 at the end lost 5; the bot lost 1.7, 3.3 better. */
	cr_assert_eq(link->hold_profit, D("-5"));
	cr_assert_eq(link->vs_hold, D("3.3"));
	cr_assert_eq(dot->market_pct, D("33.33"));
	cr_assert_eq(dot->hold_profit, D("2.5"), "10 at 4, worth 5");
	cr_assert_eq(dot->vs_hold, D("-2.4"));
	/* Together: [0, 900000), [1200000, 2400000) and [3000000, 3600000). */
	cr_assert_eq(r.total.market_ms, 2700000);
	cr_assert_eq(r.total.market_pct, D("75"));
	cr_assert_eq(r.total.committed, D("50"));
	cr_assert_eq(r.total.profit, D("-1.6"));
	/* In total the account's equity is set against the start split over the pairs and held. */
	cr_assert_eq(r.total.hold_profit, D("10"));
	cr_assert_eq(r.total.vs_hold, D("-20"));
	/* The holds: two of 10 minutes and one of 20. */
	cr_assert_eq(r.total.holds[2], 2, "5m-15m");
	cr_assert_eq(r.total.holds[3], 1, "15m-1h");
	cr_assert_str_eq(sb_bt_hold_bin_label(3), "15m-1h");

	char buf[8192] = "";
	FILE *f = fmemopen(buf, sizeof buf - 1, "w");
	sb_bt_report_json(&r, f);
	fclose(f);
	cJSON *j = cJSON_Parse(buf);
	cr_assert_not_null(j, "%s", buf);
	const cJSON *p0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "pairs"), 0);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p0, "time_in_market_pct")->valuestring, "41.67");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p0, "vs_hold")->valuestring, "3.3");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(p0, "committed")->valuestring, "50");
	const cJSON *bins = cJSON_GetObjectItemCaseSensitive(p0, "holds");
	cr_assert_eq(cJSON_GetArraySize(bins), 10);
	const cJSON *bin = cJSON_GetArrayItem(bins, 2);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(bin, "bin")->valuestring, "5m-15m");
	cr_assert_eq((int64_t)cJSON_GetObjectItemCaseSensitive(bin, "from_ms")->valuedouble, 300000);
	cr_assert_eq((int64_t)cJSON_GetObjectItemCaseSensitive(bin, "cycles")->valuedouble, 2);
	const cJSON *eq = cJSON_GetObjectItemCaseSensitive(j, "equity");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(eq, "end")->valuestring, "990");
	cJSON_Delete(j);
	sb_bt_report_fini(&r);
}

Test(backtest_report, a_pairs_drawdown_follows_its_fills_along_its_prices)
{
	static struct sb_bt_series px;
	sb_bt_series_init(&px);
	sb_bt_series_add(&px, 0, D("10"), D("10"), D("10"));
	sb_bt_series_add(&px, 60000, D("8"), D("10"), D("9"));
	sb_bt_series_add(&px, 120000, D("11"), D("11"), D("11"));
	/* 2 bought for 20 in the first minute; sold for 22 in the third. */
	struct sb_bt_fill f[] = {
	    {.time_ms = 30000,
	     .trade_id = 1,
	     .buy = true,
	     .qty = D("2"),
	     .quote_qty = D("20"),
	     .base_delta = D("2"),
	     .quote_delta = D("-20")},
	    {.time_ms = 150000,
	     .trade_id = 2,
	     .buy = false,
	     .qty = D("2"),
	     .quote_qty = D("22"),
	     .base_delta = D("-2"),
	     .quote_delta = D("22")},
	};
	struct sb_bt_drawdown dd = sb_bt_fills_drawdown(f, 2, &px);
	/* The second minute's low: -20 + 2 * 8 = -4 under the peak of 0 (before a trade). */
	cr_assert_eq(dd.amount, D("4"));
	cr_assert_eq(dd.peak, 0);
	cr_assert_eq(dd.trough_ms, 60000);
}

Test(backtest_report, fills_close_in_time_become_one_marker_at_their_average_price)
{
	struct sb_bt_fill f[] = {
	    {.time_ms = 30000, .buy = true, .qty = D("2"), .quote_qty = D("20")},
	    {.time_ms = 30050, .buy = true, .qty = D("1"), .quote_qty = D("9")},
	    {.time_ms = 30100, .buy = false, .qty = D("3"), .quote_qty = D("33")},
	    {.time_ms = 150000, .buy = false, .qty = D("1"), .quote_qty = D("11")},
	};
	size_t n = 0;
	struct sb_bt_mark *m = sb_bt_fills_marks(f, 4, 0, 180000, &n);
	cr_assert_eq(n, 3, "the two buys merge; the sells are apart");
	cr_assert(m[0].buy);
	cr_assert_eq(m[0].fills, 2);
	cr_assert_eq(m[0].time_ms, 30000);
	cr_assert_eq(m[0].qty, D("3"));
	cr_assert_eq(m[0].price, D("9.66666667"), "29 / 3, rounded half-even");
	cr_assert_not(m[1].buy);
	cr_assert_eq(m[1].price, D("11"));
	cr_assert_eq(m[2].time_ms, 150000);
	free(m);
}

Test(backtest_report, the_base_a_closed_position_left_counts_in_the_pairs_result)
{
	/* Bought 2, sold 1.99 (the rest below the step): the 0.01 left is worth 0.09 at the last price 9. */
	struct sb_store_position p = {.state = SB_POSITION_BUYING, .created_ms = 1000, .updated_ms = 1000};
	snprintf(p.symbol, sizeof p.symbol, "LINKUSDT");
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	p.state = SB_POSITION_CLOSED;
	p.opened_ms = 1000;
	p.closed_ms = 61000;
	p.buy_qty = p.base_received = D("2");
	p.sold_qty = D("1.99");
	p.realised_profit = D("0.3");
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	struct sb_bt_report r = {.from_ms = 1000, .to_ms = 120999};
	r.pairs = calloc(1, sizeof *r.pairs);
	r.npairs = 1;
	cr_assert_eq(sb_bt_report_pair(st, "LINKUSDT", D("9"), &r.pairs[0]), SB_OK);
	sb_bt_report_total(&r);
	cr_assert_eq(r.pairs[0].dust_value, D("0.09"));
	cr_assert_eq(r.pairs[0].profit, D("0.39"));
	cr_assert_eq(r.pairs[0].open, 0, "dust is no open position");
	cr_assert_eq(r.total.profit, D("0.39"));
	sb_bt_report_fini(&r);
}

Test(backtest_report, a_position_holds_base_from_its_creation_at_the_earliest)
{
	/* The first cycle closes at 45 s; the next is created then, its buy stamped with the market's last
	 * trade at 30 s. They never held base together: the commitment is one cycle's. */
	const int64_t T0 = 1000000;
	held("LINKUSDT", T0, T0 + 45000, "20", "0.1");
	struct sb_store_position p = {
	    .state = SB_POSITION_BUYING, .created_ms = T0 + 45000, .updated_ms = T0 + 45000};
	snprintf(p.symbol, sizeof p.symbol, "LINKUSDT");
	cr_assert_eq(sb_store_position_insert(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	p.state = SB_POSITION_CLOSED;
	p.opened_ms = T0 + 30000;
	p.closed_ms = T0 + 90000;
	p.buy_qty = p.base_received = p.sold_qty = D("2");
	p.cost_quote = D("20");
	cr_assert_eq(sb_store_position_update(st, &p, NULL), SB_OK, "%s", sb_store_last_error(st));
	struct sb_bt_report r = {.from_ms = T0, .to_ms = T0 + 119999};
	r.pairs = calloc(1, sizeof *r.pairs);
	r.npairs = 1;
	cr_assert_eq(sb_bt_report_pair(st, "LINKUSDT", D("9"), &r.pairs[0]), SB_OK);
	sb_bt_report_total(&r);
	cr_assert_eq(r.pairs[0].committed, D("20"));
	cr_assert_eq(r.pairs[0].market_ms, 90000);
	sb_bt_report_fini(&r);
}

Test(backtest_report, more_positions_than_one_listing_holds_are_all_counted)
{
	/* One listing holds SB_STORE_LIST_MAX rows: a busy strategy over a year has more. */
	const int64_t n = SB_STORE_LIST_MAX * 2 + 7;
	for (int64_t i = 0; i < n; i++)
		position("LINKUSDT", SB_POSITION_CLOSED, i * 1000, i * 1000 + 500, "0.01", "USDT", "0.001");

	struct sb_store_position *rows = NULL;
	size_t got = 0;
	cr_assert_eq(sb_bt_positions(st, "LINKUSDT", &rows, &got), SB_OK);
	cr_assert_eq(got, (size_t)n, "every position, page after page");
	for (size_t i = 1; i < got; i++)
		cr_assert_lt(rows[i].id, rows[i - 1].id, "newest first, none twice");
	free(rows);

	struct sb_bt_pair_report pr = {0};
	cr_assert_eq(sb_bt_report_pair(st, "LINKUSDT", D("7"), &pr), SB_OK);
	cr_assert_eq(pr.cycles, n);
	cr_assert_eq(pr.realized_profit, D("0.01") * n);
	cr_assert_eq(pr.hold_max_ms, 500);
	free(pr.spans);
}

/*
 * test_backtest_rank.c - a sweep's ranking and JSON (backtest/bt_rank.h) over runs' own JSON: higher or
 * lower is better as the measure says, equal runs in grid order, only runs that are done are ranked, fees
 * valued in the quote asset, and the sweep's JSON with the runs ranked and the rest in grid order.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_rank.h"
#include "sbtest_dec.h"

static struct sb_bt_grid g;
static struct sb_bt_sweep sw;

/* A run's JSON as sb_bt_report_json writes it, with the figures that matter here. */
static cJSON *report(int cycles, const char *profit, const char *link_fee, const char *usdt_fee)
{
	char text[1024];
	snprintf(
	    text, sizeof text,
	    "{\"from\":\"2023-02-01T00:00:00.000Z\",\"to\":\"2023-02-02T00:00:00.000Z\",\"candles\":1440,"
	    "\"total\":{\"cycles\":%d,\"wins\":%d,\"losses\":0,\"realized_profit\":\"%s\","
	    "\"hold_avg_ms\":60000,\"hold_max_ms\":60000,\"open_positions\":0,\"open_value\":\"0\"},"
	    "\"pairs\":[{\"symbol\":\"LINKUSDT\",\"fees\":{\"LINK\":\"%s\",\"USDT\":\"%s\",\"BNB\":\"1\"},"
	    "\"last_price\":\"7.5\"}]}",
	    cycles, cycles, profit, link_fee, usdt_fee);
	cJSON *j = cJSON_Parse(text);
	cr_assert_not_null(j);
	return j;
}

/* A grid of n profits on LINKUSDT, every point waiting for its outcome. */
static void grid(const char *set, size_t n)
{
	char err[SB_BT_GRID_ERR_MAX];
	cr_assert_eq(sb_bt_grid_init(&g, "LINKUSDT:quote=20", err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_bt_grid_add(&g, set, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(g.npoints, n);
	sw.npoints = n;
	sw.points = calloc(n, sizeof *sw.points);
	cr_assert_not_null(sw.points);
}

static void done(size_t point, cJSON *r)
{
	sw.points[point].state = SB_BT_POINT_DONE;
	sw.points[point].report = r;
}

static void teardown(void)
{
	sb_bt_sweep_fini(&sw);
	sb_bt_grid_fini(&g);
}

TestSuite(backtest_rank, .fini = teardown);

static void ranks(const char *measure, const size_t *want, size_t n)
{
	size_t order[8];
	const struct sb_bt_measure *m = sb_bt_measure_find(measure);
	cr_assert_not_null(m, "%s", measure);
	cr_assert_eq(sb_bt_rank(&sw, m, order), n);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(order[i], want[i], "%s: place %zu is point %zu, not %zu", measure, i, want[i],
		             order[i]);
}

Test(backtest_rank, the_best_run_first_and_equal_runs_in_grid_order)
{
	grid("profit=1%,2%,3%,4%,5%", 5);
	done(0, report(3, "0.5", "0", "0"));
	done(1, report(5, "1.25", "0", "0"));
	done(2, report(3, "-0.5", "0", "0"));
	done(3, report(5, "1.25", "0", "0"));
	done(4, report(4, "0.5", "0", "0"));
	ranks("realized_profit", (size_t[]){1, 3, 0, 4, 2}, 5);
	ranks("cycles", (size_t[]){1, 3, 4, 0, 2}, 5);
	/* Every run has 0 losses: grid order. */
	ranks("losses", (size_t[]){0, 1, 2, 3, 4}, 5);
}

Test(backtest_rank, lower_is_better_where_the_measure_says_so_and_fees_are_valued_in_the_quote)
{
	grid("profit=1%,2%,3%", 3);
	/* LINK at the last price 7.5 plus USDT; BNB is neither LINKUSDT's base nor its quote. */
	done(0, report(1, "0", "0.01", "0.1"));  /* 0.075 + 0.1 = 0.175 */
	done(1, report(1, "0", "0.02", "0.02")); /* 0.15 + 0.02 = 0.17 */
	done(2, report(1, "0", "0", "0.2"));     /* 0.2 */
	const struct sb_bt_measure *fees = sb_bt_measure_find("fees");
	cr_assert_not_null(fees);
	cr_assert_not(fees->higher);
	cr_assert_eq(sb_bt_measure_value(fees, sw.points[0].report), D("0.175"));
	ranks("fees", (size_t[]){1, 0, 2}, 3);
}

Test(backtest_rank, runs_not_done_are_not_ranked)
{
	grid("profit=1%,2%,3%", 3);
	done(1, report(1, "0.1", "0", "0"));
	sw.points[0].state = SB_BT_POINT_FAILED;
	sw.points[2].state = SB_BT_POINT_REFUSED;
	ranks("realized_profit", (size_t[]){1}, 1);
}

Test(backtest_rank, every_measure_has_a_name_a_direction_and_a_heading)
{
	size_t n;
	const struct sb_bt_measure *m = sb_bt_measures(&n);
	cr_assert_geq(n, 5);
	cr_assert_str_eq(m[0].name, SB_BT_RANK_DEFAULT);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(sb_bt_measure_find(m[i].name), &m[i]);
		cr_assert(m[i].head && m[i].help && m[i].help[0]);
	}
	cr_assert_null(sb_bt_measure_find("speed"));
}

Test(backtest_rank, the_json_has_the_runs_ranked_and_the_rest_in_grid_order)
{
	grid("profit=1%,2%,3%,4%", 4);
	done(1, report(1, "0.1", "0", "0"));
	done(3, report(2, "0.2", "0", "0"));
	sw.points[0].state = SB_BT_POINT_REFUSED;
	snprintf(sw.points[0].reason, sizeof sw.points[0].reason, "ORDER_TAG: bad");
	sw.points[2].state = SB_BT_POINT_FAILED;
	snprintf(sw.points[2].reason, sizeof sw.points[2].reason, "killed by signal 9 (Killed)");
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	sb_bt_rank_json(&sw, &g, sb_bt_measure_find("realized_profit"), f);
	fclose(f);
	cr_assert_str_eq(
	    text,
	    "{\"rank\":\"realized_profit\",\"better\":\"higher\",\"points\":4,\"from\":\"2023-02-01T00:00:00.000Z\","
	    "\"to\":\"2023-02-02T00:00:00.000Z\",\"candles\":1440,\"runs\":["
	    "{\"point\":4,\"settings\":{\"profit\":\"4%\"},\"total\":{\"cycles\":2,\"wins\":2,\"losses\":0,"
	    "\"realized_profit\":\"0.2\",\"hold_avg_ms\":60000,\"hold_max_ms\":60000,\"open_positions\":0,"
	    "\"open_value\":\"0\"},\"pairs\":[{\"symbol\":\"LINKUSDT\",\"fees\":{\"LINK\":\"0\",\"USDT\":\"0\","
	    "\"BNB\":\"1\"},\"last_price\":\"7.5\"}]},"
	    "{\"point\":2,\"settings\":{\"profit\":\"2%\"},\"total\":{\"cycles\":1,\"wins\":1,\"losses\":0,"
	    "\"realized_profit\":\"0.1\",\"hold_avg_ms\":60000,\"hold_max_ms\":60000,\"open_positions\":0,"
	    "\"open_value\":\"0\"},\"pairs\":[{\"symbol\":\"LINKUSDT\",\"fees\":{\"LINK\":\"0\",\"USDT\":\"0\","
	    "\"BNB\":\"1\"},\"last_price\":\"7.5\"}]}],"
	    "\"not_ranked\":[{\"point\":1,\"settings\":{\"profit\":\"1%\"},\"state\":\"refused\","
	    "\"reason\":\"ORDER_TAG: bad\"},{\"point\":3,\"settings\":{\"profit\":\"3%\"},\"state\":\"failed\","
	    "\"reason\":\"killed by signal 9 (Killed)\"}]}\n");
	free(text);
}

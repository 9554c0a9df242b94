/*
 * test_backtest_grid.c - a sweep's grid (backtest/bt_grid.h): --set arguments checked by the pairs parser
 * and kept as its formatter writes them, points in grid order (the first --set slowest), each point's
 * PAIRS value with its settings on every pair or on the one named, and the refusals, each naming what is
 * wrong and leaving the grid as it was.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_grid.h"
#include "sbtest_dec.h"

#define BASE "LINKUSDT:quote=20,profit=0.1%;DOTUSDT:quote=15"

static struct sb_bt_grid g;
static char err[SB_BT_GRID_ERR_MAX];

static void setup(void)
{
	cr_assert_eq(sb_bt_grid_init(&g, BASE, err, sizeof err), SB_OK, "%s", err);
}

static void teardown(void)
{
	sb_bt_grid_fini(&g);
}

TestSuite(backtest_grid, .init = setup, .fini = teardown);

static void add(const char *arg)
{
	cr_assert_eq(sb_bt_grid_add(&g, arg, err, sizeof err), SB_OK, "%s: %s", arg, err);
}

/* The PAIRS of point, parsed back. */
static void point_pairs(size_t point, struct sb_pairs *out)
{
	char *text = NULL;
	cr_assert_eq(sb_bt_grid_pairs(&g, point, &text, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_pairs_parse(text, strlen(text), out, err, sizeof err), SB_OK, "%s: %s", text, err);
	free(text);
}

Test(backtest_grid, points_are_in_grid_order_the_first_set_slowest)
{
	add("profit=0.2%,0.3%,0.5%");
	add("stop_loss=0,2%");
	cr_assert_eq(g.npoints, 6);
	cr_assert_eq(g.naxes, 2);
	static const char *const want[6][2] = {{"0.2%", "off"}, {"0.2%", "2%"},  {"0.3%", "off"},
	                                       {"0.3%", "2%"},  {"0.5%", "off"}, {"0.5%", "2%"}};
	for (size_t p = 0; p < 6; p++)
		for (size_t a = 0; a < 2; a++)
			cr_assert_str_eq(sb_bt_grid_value(&g, p, a), want[p][a], "point %zu axis %zu", p, a);
}

Test(backtest_grid, values_are_kept_as_the_pairs_formatter_writes_them)
{
	add(" stop_loss = 0 , 1.50% ");
	add("buy_timeout=60s,2h");
	cr_assert_str_eq(g.axes[0].name, "stop_loss");
	cr_assert_str_eq(sb_bt_grid_value(&g, 0, 0), "off");
	cr_assert_str_eq(sb_bt_grid_value(&g, 2, 0), "1.5%");
	cr_assert_str_eq(sb_bt_grid_value(&g, 0, 1), "1m");
	cr_assert_str_eq(sb_bt_grid_value(&g, 1, 1), "2h");
}

Test(backtest_grid, a_point_sets_its_values_on_every_pair_or_on_the_one_named)
{
	static struct sb_pairs ps;
	add("profit=1%,2%");
	add("dotusdt:max_positions=3"); /* symbols are taken in any case, as by every command */
	cr_assert_str_eq(g.axes[1].name, "DOTUSDT:max_positions");
	point_pairs(1, &ps);
	cr_assert_eq(ps.n, 2);
	cr_assert_str_eq(ps.pair[0].symbol, "LINKUSDT", "the pairs keep their order");
	cr_assert_eq(ps.pair[0].profit, D("0.02"));
	cr_assert_eq(ps.pair[1].profit, D("0.02"));
	cr_assert_eq(ps.pair[0].max_positions, 1, "LINKUSDT keeps its own");
	cr_assert_eq(ps.pair[1].max_positions, 3);
	cr_assert_eq(ps.pair[0].quote, D("20"), "what no --set names stays as PAIRS has it");
	cr_assert_eq(ps.pair[1].quote, D("15"));
	point_pairs(0, &ps);
	cr_assert_eq(ps.pair[0].profit, D("0.01"));
}

/* Adding arg fails with code and a message containing want; the grid is unchanged. */
static void refused(const char *arg, sb_err code, const char *want)
{
	size_t naxes = g.naxes, npoints = g.npoints;
	cr_assert_eq(sb_bt_grid_add(&g, arg, err, sizeof err), code, "%s: %s", arg, err);
	cr_assert(strstr(err, want) != NULL, "'%s' not in '%s'", want, err);
	cr_assert_eq(g.naxes, naxes);
	cr_assert_eq(g.npoints, npoints);
}

Test(backtest_grid, wrong_keys_values_and_repeats_are_refused_naming_them)
{
	add("profit=1%");
	refused("proft=1%", SB_ERR_NOT_FOUND, "--set proft: unknown key (a PAIRS setting: enabled, quote,");
	refused("stop_loss=1%,1", SB_ERR_PARSE,
	        "--set stop_loss: expected a percentage like 0.5%, got '1' (did you mean 1%?)");
	refused("max_positions=0", SB_ERR_RANGE, "--set max_positions: must be 1 to 100, got '0'");
	refused("DOTUSDT:quote=ten", SB_ERR_PARSE, "--set DOTUSDT:quote: expected a decimal number");
	refused("BTCUSDT:quote=10", SB_ERR_NOT_FOUND, "--set BTCUSDT:quote: BTCUSDT is not in PAIRS");
	refused(" :quote=10", SB_ERR_PARSE, "--set :quote: expected a symbol before ':'");
	refused("quote=10,20,10.0", SB_ERR_EXISTS, "--set quote: 10 is given twice");
	refused("profit=2%", SB_ERR_EXISTS, "--set profit: profit is already swept by --set profit");
	refused("LINKUSDT:profit=2%", SB_ERR_EXISTS, "profit is already swept by --set profit");
	refused("cooldown=1m,", SB_ERR_PARSE, "--set cooldown: an empty value");
	refused("cooldown", SB_ERR_PARSE, "--set 'cooldown': expected [SYMBOL:]key=value,value...");
	refused("=1m", SB_ERR_PARSE, "expected [SYMBOL:]key=value");
	add("LINKUSDT:cooldown=1m");
	add("DOTUSDT:cooldown=2m");
	refused("cooldown=3m", SB_ERR_EXISTS,
	        "--set cooldown: cooldown is already swept by --set LINKUSDT:cooldown");
}

Test(backtest_grid, the_grid_has_at_most_1000_points)
{
	add("quote=1,2,3,4,5,6,7,8,9,10");
	add("profit=1%,2%,3%,4%,5%,6%,7%,8%,9%,10%");
	add("max_positions=1,2,3,4,5,6,7,8,9,10");
	cr_assert_eq(g.npoints, 1000);
	refused("cooldown=0s,1m", SB_ERR_TOO_LONG,
	        "--set cooldown: the grid would have 2000 points, more than 1000");
}

Test(backtest_grid, a_grid_on_empty_pairs_has_nothing_to_set)
{
	sb_bt_grid_fini(&g);
	cr_assert_eq(sb_bt_grid_init(&g, "", err, sizeof err), SB_OK);
	refused("profit=1%", SB_ERR_PARSE, "PAIRS is empty");
}

Test(backtest_grid, pairs_that_do_not_parse_are_the_configuration_s_error)
{
	sb_bt_grid_fini(&g);
	cr_assert_eq(sb_bt_grid_init(&g, "LINKUSDT:profit=1%", err, sizeof err), SB_ERR_CONFIG);
	cr_assert_str_eq(err, "PAIRS: LINKUSDT: quote: required");
}

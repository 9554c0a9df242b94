/*
 * sbtest_rules.c - the rules and pair settings of sbtest_rules.h.
 */
#include "sbtest_rules.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"

struct sb_symbol_rules sbt_rules_btcusdt(void)
{
	struct sb_symbol_rules r = {0};
	snprintf(r.symbol, sizeof r.symbol, "BTCUSDT");
	snprintf(r.base_asset, sizeof r.base_asset, "BTC");
	snprintf(r.quote_asset, sizeof r.quote_asset, "USDT");
	r.status = SB_SYMBOL_TRADING;
	r.base_precision = 8;
	r.quote_precision = 8;
	r.order_types = 1u << SB_ORDER_LIMIT | 1u << SB_ORDER_MARKET;
	r.quote_order_qty_market = true;
	r.price = (struct sb_price_filter){.present = true, .min_price = D("0.01"), .tick_size = D("0.01")};
	r.lot = (struct sb_lot_filter){.present = true, .min_qty = D("0.00001"), .step_size = D("0.00001")};
	r.notional =
	    (struct sb_notional_filter){.present = true, .min_notional = D("5"), .apply_min_to_market = true};
	return r;
}

struct sb_pair_cfg sbt_pair(const char *settings)
{
	struct sb_pairs *ps = malloc(sizeof *ps);
	cr_assert_not_null(ps);
	char err[SB_PAIRS_ERR_MAX];
	cr_assert_eq(sb_pairs_parse(settings, strlen(settings), ps, err, sizeof err), SB_OK, "%s", err);
	struct sb_pair_cfg c = ps->pair[0];
	free(ps);
	return c;
}

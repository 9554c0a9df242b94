/*
 * profit.h - what a buy really cost, the lowest sell price that pays both fees and the profit target,
 * what can actually be sold (and what is dust), and the realised profit of a finished cycle.
 *
 * Everything is computed from the exchange's real fills, never from the order's intended quantity: on a
 * buy the commission is usually taken from the bought asset, so less is received than was ordered.
 * docs/profit.md explains the formulas with a worked example.
 */
#ifndef SPOTBOT_PROFIT_H
#define SPOTBOT_PROFIT_H

#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/rules.h"

/* Fee rates at or above this (2%) are refused as implausible: Binance's highest standard rate is 0.1%. */
#define SB_PROFIT_FEE_MAX SB_DEC_C(0, 2000000)
/* Profit targets at or above this (100%) are refused as implausible: most likely a percent typed as a
 * fraction ("5" meaning 5%). */
#define SB_PROFIT_TARGET_MAX SB_DEC_ONE

/* One trade of an order, as reported by the exchange. */
struct sb_fill {
	sb_dec price;                        /* trade price, quote per base */
	sb_dec qty;                          /* base quantity traded */
	sb_dec quote_qty;                    /* quote amount traded; 0 = not reported, use price * qty */
	sb_dec commission;                   /* commission amount, in commission_asset */
	char commission_asset[SB_ASSET_MAX]; /* "BTC", "USDT", "BNB"; may be "" when commission is 0 */
	int64_t trade_id;                    /* exchange trade id, unique per symbol */
};

/* Inputs beyond the fills and the symbol's rules. */
struct sb_profit_params {
	sb_dec bnb_price;     /* quote per BNB, to value commission paid in BNB; 0 = unknown */
	sb_dec sell_fee_rate; /* fee rate of the sell, 0.001 = 0.1%; must be in [0, 2%) */
	sb_dec target_profit; /* wanted profit on cost, 0.005 = 0.5%; must be in [0, 100%) */
	sb_dec ref_price;     /* current average/reference price for the percent filters; 0 = skip them */
};

/* What a buy's fills add up to. */
struct sb_buy_cost {
	sb_dec qty_bought;      /* sum of fill quantities */
	sb_dec base_commission; /* commission taken from the bought (base) asset */
	sb_dec base_received;   /* qty_bought - base_commission: what the account really gained */
	sb_dec quote_spent;     /* sum of fill quote amounts */
	sb_dec fee_quote;       /* commission paid in quote plus BNB commission valued in quote */
	sb_dec cost_quote;      /* quote_spent + fee_quote: what the position cost */
	sb_dec avg_price;       /* quote_spent / qty_bought, rounded half-even (informational) */
};

/* The sell that closes a position at the minimum profit. */
struct sb_sell_plan {
	struct sb_buy_cost buy;     /* the buy it is based on */
	sb_dec sell_qty;            /* base_received floored to the step: what can be sold */
	sb_dec dust;                /* base_received - sell_qty: left over, never sold */
	sb_dec target_net;          /* cost_quote * (1 + target), the least the sell must net (rounded up) */
	sb_dec min_sell_price;      /* smallest tick-aligned price reaching target_net after the sell fee */
	sb_dec expected_net;        /* sell_qty * min_sell_price * (1 - fee), rounded down */
	enum sb_filter rejected_by; /* when the plan returns SB_ERR_FILTER or SB_ERR_DUST: which filter */
};

/* The realised result of a finished buy + sell cycle. */
struct sb_cycle_result {
	struct sb_buy_cost buy; /* what the buy cost */
	sb_dec qty_sold;        /* sum of sell fill quantities */
	sb_dec proceeds;        /* sum of sell fill quote amounts */
	sb_dec sell_fee_quote;  /* sell commission in quote (BNB valued, base valued at the fill price) */
	sb_dec net_proceeds;    /* proceeds - sell_fee_quote */
	sb_dec net_profit;      /* net_proceeds - cost_quote; negative for a loss */
	sb_dec profit_ratio;    /* net_profit / cost_quote, rounded half-even; 0 when cost is 0 */
};

/*
 * Adds up a buy's fills. Commission in the base asset reduces what was received; commission in the quote
 * asset, or in BNB valued at bnb_price (rounded up), adds to the cost; a base asset that is BNB counts as
 * base. Errors: SB_ERR_INVALID for no fills, a negative or zero quantity/price, a duplicate trade id or a
 * BNB commission without bnb_price; SB_ERR_UNSUPPORTED for commission in any other asset;
 * SB_ERR_SUSPICIOUS for a quote amount that is not price * qty, or a commission of 2% or more of its fill;
 * SB_ERR_OVERFLOW. On error *out is zeroed.
 */
sb_err sb_profit_buy_cost(const struct sb_symbol_rules *rules, const struct sb_fill *fills, size_t n,
                          sb_dec bnb_price, struct sb_buy_cost *out);

/*
 * Plans the sell of a bought position: sellable quantity, dust, and the minimum sell price
 * s = the smallest tick-aligned price with sell_qty * s * (1 - fee) >= cost_quote * (1 + target),
 * computed exactly (one rounding up of the exact rational, then up to the tick), raised to PRICE_FILTER's
 * minPrice when below it. Then the sell is checked with sb_rules_validate():
 *  - SB_ERR_DUST when nothing can be sold: sell_qty is 0, below LOT_SIZE minQty, or its notional at the
 *    minimum price is below MIN_NOTIONAL/NOTIONAL's minimum (rejected_by names the filter; the whole
 *    received quantity is then reported as dust);
 *  - SB_ERR_FILTER when another filter would reject it (price above maxPrice, quantity above maxQty,
 *    notional above maxNotional, outside the percent band at ref_price): rejected_by names it.
 * In both cases *out is filled in. A fee rate or target refused by sb_profit_check_fee/_target, and other
 * errors as sb_profit_buy_cost, leave *out zeroed.
 */
sb_err sb_profit_plan_sell(const struct sb_symbol_rules *rules, const struct sb_fill *fills, size_t n,
                           const struct sb_profit_params *params, struct sb_sell_plan *out);

/*
 * The realised profit of a cycle from its real buy and sell fills. Sell commission in quote is subtracted,
 * in BNB valued at bnb_price, in base valued at that fill's price (both rounded up). Errors as
 * sb_profit_buy_cost (the sell fills may be empty: a cycle abandoned with nothing sold has proceeds 0).
 */
sb_err sb_profit_cycle(const struct sb_symbol_rules *rules, const struct sb_fill *buys, size_t nbuys,
                       const struct sb_fill *sells, size_t nsells, sb_dec bnb_price,
                       struct sb_cycle_result *out);

/* Checks a fee rate: SB_ERR_SUSPICIOUS when negative or at or above SB_PROFIT_FEE_MAX. */
sb_err sb_profit_check_fee(sb_dec rate);

/* Checks a profit target: SB_ERR_RANGE when negative, SB_ERR_SUSPICIOUS at or above SB_PROFIT_TARGET_MAX. */
sb_err sb_profit_check_target(sb_dec target);

#endif

/*
 * profit.c - the profit calculator: a buy's real cost, the minimum profitable sell, dust, realised profit.
 *
 * The minimum sell price is the smallest tick-aligned s with q * s * (1 - f) >= c * (1 + t). In raw
 * scaled integers (Q, S, C, and F' = 10^8 - f, T' = 10^8 + t) that is Q * S * F' >= C * T' * 10^8, so
 * S = ceil(C * T' * 10^8 / (Q * F')) is computed with one rounding of the exact rational (both sides fit
 * in 128 bits: C * T' * 10^8 < 2^118, Q * F' < 2^90), then rounded up to the tick and checked again with
 * the exact inequality. Costs are rounded against the bot (up), proceeds in its favour never.
 */
#include "spotbot/profit.h"

#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;

#define BNB "BNB"

/* A non-negative decimal widened to 128 bits (through uint64_t, which keeps -Wsign-conversion quiet). */
static inline u128 wide(int64_t v)
{
	return (u128)(uint64_t)v;
}

sb_err sb_profit_check_fee(sb_dec rate)
{
	if (rate < 0 || rate >= SB_PROFIT_FEE_MAX)
		return SB_ERR_SUSPICIOUS;
	return SB_OK;
}

sb_err sb_profit_check_target(sb_dec target)
{
	if (target < 0)
		return SB_ERR_RANGE;
	if (target >= SB_PROFIT_TARGET_MAX)
		return SB_ERR_SUSPICIOUS;
	return SB_OK;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* SB_ERR_INVALID when two fills share a trade id: a fill counted twice would be money counted twice. */
static sb_err check_unique_ids(const struct sb_fill *fills, size_t n)
{
	if (n < 2)
		return SB_OK;
	int64_t *ids = sb_xmalloc(n * sizeof *ids);
	for (size_t i = 0; i < n; i++)
		ids[i] = fills[i].trade_id;
	qsort(ids, n, sizeof *ids, cmp_i64);
	sb_err e = SB_OK;
	for (size_t i = 1; i < n; i++)
		if (ids[i] == ids[i - 1])
			e = SB_ERR_INVALID;
	free(ids);
	return e;
}

/* The fill's quote amount: as reported, which must lie between floor and ceil of price * qty (any
 * rounding the exchange may use), or price * qty rounded with mode when not reported. */
static sb_err fill_quote(const struct sb_fill *f, enum sb_round mode, sb_dec *out)
{
	sb_dec lo, hi;
	SB_TRY(sb_dec_mul(f->price, f->qty, SB_ROUND_DOWN, &lo));
	SB_TRY(sb_dec_mul(f->price, f->qty, SB_ROUND_UP, &hi));
	if (f->quote_qty == 0) {
		*out = mode == SB_ROUND_UP ? hi : lo;
		return SB_OK;
	}
	if (f->quote_qty < lo || f->quote_qty > hi)
		return SB_ERR_SUSPICIOUS;
	*out = f->quote_qty;
	return SB_OK;
}

/* SB_ERR_SUSPICIOUS when fee >= 2% of amount (compared exactly). */
static sb_err check_share(sb_dec fee, sb_dec amount)
{
	if ((i128)fee * SB_DEC_SCALE >= (i128)amount * SB_PROFIT_FEE_MAX && fee > 0)
		return SB_ERR_SUSPICIOUS;
	return SB_OK;
}

static bool asset_is(const struct sb_fill *f, const char *asset)
{
	return strncmp(f->commission_asset, asset, SB_ASSET_MAX) == 0;
}

/* Where a fill's commission went. */
enum fee_kind {
	FEE_NONE,  /* zero commission */
	FEE_BASE,  /* in the base asset */
	FEE_QUOTE, /* in the quote asset */
	FEE_BNB,   /* in BNB, which is neither */
};

static sb_err classify(const struct sb_symbol_rules *r, const struct sb_fill *f, sb_dec bnb_price,
                       enum fee_kind *kind)
{
	if (f->commission < 0)
		return SB_ERR_INVALID;
	if (f->commission == 0)
		*kind = FEE_NONE;
	else if (asset_is(f, r->base_asset))
		*kind = FEE_BASE;
	else if (asset_is(f, r->quote_asset))
		*kind = FEE_QUOTE;
	else if (asset_is(f, BNB))
		*kind = FEE_BNB;
	else
		return SB_ERR_UNSUPPORTED;
	if (*kind == FEE_BNB && bnb_price <= 0)
		return SB_ERR_INVALID;
	return SB_OK;
}

/* The fill's commission in quote (rounded up) for quote and BNB commissions; base commissions are valued
 * at the fill price only when value_base is set (sells), else they are left to the caller. */
static sb_err fee_in_quote(const struct sb_fill *f, enum fee_kind kind, sb_dec bnb_price, sb_dec quote,
                           bool value_base, sb_dec *out)
{
	*out = 0;
	switch (kind) {
	case FEE_NONE:
		return SB_OK;
	case FEE_BASE:
		SB_TRY(check_share(f->commission, f->qty));
		if (value_base)
			SB_TRY(sb_dec_mul(f->commission, f->price, SB_ROUND_UP, out));
		return SB_OK;
	case FEE_QUOTE:
		*out = f->commission;
		break;
	case FEE_BNB:
		SB_TRY(sb_dec_mul(f->commission, bnb_price, SB_ROUND_UP, out));
		break;
	}
	return check_share(*out, quote);
}

static sb_err sum_buy(const struct sb_symbol_rules *r, const struct sb_fill *fills, size_t n,
                      sb_dec bnb_price, struct sb_buy_cost *b)
{
	for (size_t i = 0; i < n; i++) {
		const struct sb_fill *f = &fills[i];
		if (f->price <= 0 || f->qty <= 0 || f->quote_qty < 0)
			return SB_ERR_INVALID;
		enum fee_kind kind;
		SB_TRY(classify(r, f, bnb_price, &kind));
		sb_dec quote, fee;
		SB_TRY(fill_quote(f, SB_ROUND_UP, &quote));
		SB_TRY(fee_in_quote(f, kind, bnb_price, quote, false, &fee));
		SB_TRY(sb_dec_add(b->qty_bought, f->qty, &b->qty_bought));
		if (kind == FEE_BASE)
			SB_TRY(sb_dec_add(b->base_commission, f->commission, &b->base_commission));
		SB_TRY(sb_dec_add(b->quote_spent, quote, &b->quote_spent));
		SB_TRY(sb_dec_add(b->fee_quote, fee, &b->fee_quote));
	}
	SB_TRY(sb_dec_sub(b->qty_bought, b->base_commission, &b->base_received));
	SB_TRY(sb_dec_add(b->quote_spent, b->fee_quote, &b->cost_quote));
	return sb_dec_div(b->quote_spent, b->qty_bought, SB_ROUND_HALF_EVEN, &b->avg_price);
}

sb_err sb_profit_buy_cost(const struct sb_symbol_rules *rules, const struct sb_fill *fills, size_t n,
                          sb_dec bnb_price, struct sb_buy_cost *out)
{
	if (!out)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (!rules || !fills || n == 0 || bnb_price < 0)
		return SB_ERR_INVALID;
	sb_err e = check_unique_ids(fills, n);
	if (e == SB_OK)
		e = sum_buy(rules, fills, n, bnb_price, out);
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

/* Exact test of Q * S * F' >= need, where need = ceil(C * T' * 10^8 / F') is precomputed: for integers,
 * Q * S * F' >= M holds exactly when Q * S >= ceil(M / F'). */
static bool covers(sb_dec q, sb_dec s, u128 need)
{
	return wide(q) * wide(s) >= need;
}

/* floor(x * f / 10^16) for x < 2^126 and f <= 10^8, exactly, without overflowing 128 bits. */
static sb_err scaled_floor(u128 x, sb_dec f, sb_dec *out)
{
	const u128 s16 = wide(SB_DEC_SCALE) * wide(SB_DEC_SCALE);
	u128 hi = x / s16, lo = x % s16;
	u128 v = hi * wide(f) + lo * wide(f) / s16;
	if (hi > wide(SB_DEC_MAX) || v > wide(SB_DEC_MAX))
		return SB_ERR_OVERFLOW;
	*out = (sb_dec)v;
	return SB_OK;
}

/* The smallest tick-aligned price s with q * s * (1 - fee) >= cost * (1 + target); see the file header. */
static sb_err min_price(sb_dec q, sb_dec cost, sb_dec fee, sb_dec target, sb_dec tick, sb_dec *out)
{
	if (q <= 0 || cost < 0)
		return SB_ERR_INVALID;
	u128 fp = wide(SB_DEC_SCALE - fee);    /* F' > 0: fee < 2% */
	u128 tp = wide(SB_DEC_SCALE + target); /* T' < 2 * 10^8 */
	u128 m = wide(cost) * tp * wide(SB_DEC_SCALE);
	u128 d = wide(q) * fp;
	u128 s = (m + d - 1) / d;
	if (tick <= 0)
		tick = 1; /* no tick: the decimal's own resolution */
	s = (s + wide(tick) - 1) / wide(tick) * wide(tick);
	u128 need = (m + fp - 1) / fp;
	/* The exact computation makes this loop a no-op; it stays as the guard the design asks for. */
	while (s <= wide(SB_DEC_MAX) && !covers(q, (sb_dec)s, need))
		s += wide(tick);
	if (s > wide(SB_DEC_MAX))
		return SB_ERR_OVERFLOW;
	*out = (sb_dec)s;
	return SB_OK;
}

/* The whole position is dust: nothing is sold, everything received stays. */
static sb_err dust(struct sb_sell_plan *p, enum sb_filter f)
{
	p->rejected_by = f;
	p->sell_qty = 0;
	p->dust = p->buy.base_received;
	p->expected_net = 0;
	return SB_ERR_DUST;
}

/* Notional of the planned sell is below MIN_NOTIONAL's or NOTIONAL's minimum: which one, or NONE. */
static enum sb_filter notional_short(const struct sb_symbol_rules *r, sb_dec q, sb_dec s)
{
	i128 notional = (i128)q * (i128)s;
	if (r->min_notional.present && notional < (i128)r->min_notional.min_notional * SB_DEC_SCALE)
		return SB_FILTER_MIN_NOTIONAL;
	if (r->notional.present && notional < (i128)r->notional.min_notional * SB_DEC_SCALE)
		return SB_FILTER_NOTIONAL;
	return SB_FILTER_NONE;
}

static sb_err plan(const struct sb_symbol_rules *r, const struct sb_profit_params *pp, struct sb_sell_plan *p)
{
	const struct sb_buy_cost *b = &p->buy;
	SB_TRY(sb_rules_round_qty(r, SB_ORDER_LIMIT, b->base_received, &p->sell_qty));
	SB_TRY(sb_dec_sub(b->base_received, p->sell_qty, &p->dust));
	SB_TRY(sb_dec_mul(b->cost_quote, SB_DEC_SCALE + pp->target_profit, SB_ROUND_UP, &p->target_net));
	if (p->sell_qty == 0)
		return dust(p, SB_FILTER_LOT_SIZE);
	if (r->lot.present && p->sell_qty < r->lot.min_qty)
		return dust(p, SB_FILTER_LOT_SIZE);
	sb_dec tick = r->price.present ? r->price.tick_size : 0;
	SB_TRY(min_price(p->sell_qty, b->cost_quote, pp->sell_fee_rate, pp->target_profit, tick,
	                 &p->min_sell_price));
	if (r->price.present && p->min_sell_price < r->price.min_price)
		SB_TRY(sb_dec_round_to(r->price.min_price, tick, SB_ROUND_UP, &p->min_sell_price));
	SB_TRY(scaled_floor(wide(p->sell_qty) * wide(p->min_sell_price), SB_DEC_SCALE - pp->sell_fee_rate,
	                    &p->expected_net));
	enum sb_filter short_by = notional_short(r, p->sell_qty, p->min_sell_price);
	if (short_by != SB_FILTER_NONE)
		return dust(p, short_by);
	struct sb_order_spec o = {
	    .side = SB_SIDE_SELL,
	    .type = SB_ORDER_LIMIT,
	    .price = p->min_sell_price,
	    .quantity = p->sell_qty,
	    .ref_price = pp->ref_price,
	};
	return sb_rules_validate(r, &o, &p->rejected_by);
}

sb_err sb_profit_plan_sell(const struct sb_symbol_rules *rules, const struct sb_fill *fills, size_t n,
                           const struct sb_profit_params *params, struct sb_sell_plan *out)
{
	if (!out)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (!rules || !params || params->ref_price < 0)
		return SB_ERR_INVALID;
	SB_TRY(sb_profit_check_fee(params->sell_fee_rate));
	SB_TRY(sb_profit_check_target(params->target_profit));
	SB_TRY(sb_profit_buy_cost(rules, fills, n, params->bnb_price, &out->buy));
	sb_err e = plan(rules, params, out);
	if (e != SB_OK && e != SB_ERR_DUST && e != SB_ERR_FILTER && e != SB_ERR_UNSUPPORTED)
		memset(out, 0, sizeof *out);
	return e;
}

static sb_err sum_sells(const struct sb_symbol_rules *r, const struct sb_fill *fills, size_t n,
                        sb_dec bnb_price, struct sb_cycle_result *c)
{
	for (size_t i = 0; i < n; i++) {
		const struct sb_fill *f = &fills[i];
		if (f->price <= 0 || f->qty <= 0 || f->quote_qty < 0)
			return SB_ERR_INVALID;
		enum fee_kind kind;
		SB_TRY(classify(r, f, bnb_price, &kind));
		sb_dec quote, fee;
		SB_TRY(fill_quote(f, SB_ROUND_DOWN, &quote));
		SB_TRY(fee_in_quote(f, kind, bnb_price, quote, true, &fee));
		SB_TRY(sb_dec_add(c->qty_sold, f->qty, &c->qty_sold));
		SB_TRY(sb_dec_add(c->proceeds, quote, &c->proceeds));
		SB_TRY(sb_dec_add(c->sell_fee_quote, fee, &c->sell_fee_quote));
	}
	SB_TRY(sb_dec_sub(c->proceeds, c->sell_fee_quote, &c->net_proceeds));
	SB_TRY(sb_dec_sub(c->net_proceeds, c->buy.cost_quote, &c->net_profit));
	if (c->buy.cost_quote > 0)
		SB_TRY(sb_dec_div(c->net_profit, c->buy.cost_quote, SB_ROUND_HALF_EVEN, &c->profit_ratio));
	return SB_OK;
}

sb_err sb_profit_cycle(const struct sb_symbol_rules *rules, const struct sb_fill *buys, size_t nbuys,
                       const struct sb_fill *sells, size_t nsells, sb_dec bnb_price,
                       struct sb_cycle_result *out)
{
	if (!out)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (!rules || (nsells > 0 && !sells))
		return SB_ERR_INVALID;
	sb_err e = sb_profit_buy_cost(rules, buys, nbuys, bnb_price, &out->buy);
	if (e == SB_OK)
		e = check_unique_ids(sells, nsells);
	if (e == SB_OK)
		e = sum_sells(rules, sells, nsells, bnb_price, out);
	if (e != SB_OK)
		memset(out, 0, sizeof *out);
	return e;
}

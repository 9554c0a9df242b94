/*
 * rules.c - symbol filters: the exact order check shared by the bot and spotsim, and price/quantity
 * rounding to a symbol's tick and step.
 *
 * Every comparison of a product (price * qty, ref * multiplier) is done on the exact 128-bit product of
 * the raw scaled integers, so no rounding can let an order through that Binance would refuse, or the
 * other way round.
 */
#include "spotbot/rules.h"

#include <string.h>

__extension__ typedef __int128 i128;

static const char *const filter_names[SB_FILTER__COUNT] = {
    [SB_FILTER_NONE] = "NONE",
    [SB_FILTER_PRICE_FILTER] = "PRICE_FILTER",
    [SB_FILTER_PERCENT_PRICE] = "PERCENT_PRICE",
    [SB_FILTER_PERCENT_PRICE_BY_SIDE] = "PERCENT_PRICE_BY_SIDE",
    [SB_FILTER_LOT_SIZE] = "LOT_SIZE",
    [SB_FILTER_MARKET_LOT_SIZE] = "MARKET_LOT_SIZE",
    [SB_FILTER_MIN_NOTIONAL] = "MIN_NOTIONAL",
    [SB_FILTER_NOTIONAL] = "NOTIONAL",
    [SB_FILTER_MAX_NUM_ORDERS] = "MAX_NUM_ORDERS",
};

static const char *const type_names[SB_ORDER__COUNT] = {
    [SB_ORDER_LIMIT] = "LIMIT",
    [SB_ORDER_MARKET] = "MARKET",
    [SB_ORDER_LIMIT_MAKER] = "LIMIT_MAKER",
    [SB_ORDER_STOP_LOSS] = "STOP_LOSS",
    [SB_ORDER_STOP_LOSS_LIMIT] = "STOP_LOSS_LIMIT",
    [SB_ORDER_TAKE_PROFIT] = "TAKE_PROFIT",
    [SB_ORDER_TAKE_PROFIT_LIMIT] = "TAKE_PROFIT_LIMIT",
};

const char *sb_filter_name(enum sb_filter f)
{
	if ((unsigned)f >= SB_FILTER__COUNT)
		return "UNKNOWN";
	return filter_names[f];
}

const char *sb_order_type_name(enum sb_order_type t)
{
	if ((unsigned)t >= SB_ORDER__COUNT)
		return "UNKNOWN";
	return type_names[t];
}

sb_err sb_order_type_parse(const char *s, size_t len, enum sb_order_type *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (unsigned i = 0; i < SB_ORDER__COUNT; i++) {
		if (strlen(type_names[i]) == len && memcmp(type_names[i], s, len) == 0) {
			*out = (enum sb_order_type)i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

const char *sb_side_name(enum sb_side side)
{
	return side == SB_SIDE_BUY ? "BUY" : side == SB_SIDE_SELL ? "SELL" : "UNKNOWN";
}

sb_err sb_side_parse(const char *s, size_t len, enum sb_side *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	if (len == 3 && memcmp(s, "BUY", 3) == 0)
		*out = SB_SIDE_BUY;
	else if (len == 4 && memcmp(s, "SELL", 4) == 0)
		*out = SB_SIDE_SELL;
	else
		return SB_ERR_NOT_FOUND;
	return SB_OK;
}

const char *sb_symbol_status_name(enum sb_symbol_status s)
{
	switch (s) {
	case SB_SYMBOL_TRADING:
		return "TRADING";
	case SB_SYMBOL_END_OF_DAY:
		return "END_OF_DAY";
	case SB_SYMBOL_HALT:
		return "HALT";
	case SB_SYMBOL_BREAK:
		return "BREAK";
	case SB_SYMBOL_CANCEL_ONLY:
		return "CANCEL_ONLY";
	case SB_SYMBOL_OTHER:
		break;
	}
	return "OTHER";
}

static const char *const stp_names[SB_STP__COUNT] = {
    [SB_STP_DEFAULT] = "DEFAULT",           [SB_STP_NONE] = "NONE",
    [SB_STP_EXPIRE_TAKER] = "EXPIRE_TAKER", [SB_STP_EXPIRE_MAKER] = "EXPIRE_MAKER",
    [SB_STP_EXPIRE_BOTH] = "EXPIRE_BOTH",   [SB_STP_DECREMENT] = "DECREMENT",
    [SB_STP_TRANSFER] = "TRANSFER",
};

const char *sb_stp_mode_name(enum sb_stp_mode m)
{
	if ((unsigned)m >= SB_STP__COUNT)
		return "UNKNOWN";
	return stp_names[m];
}

sb_err sb_stp_mode_parse(const char *s, size_t len, enum sb_stp_mode *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (unsigned i = SB_STP_NONE; i < SB_STP__COUNT; i++) {
		if (strlen(stp_names[i]) == len && memcmp(stp_names[i], s, len) == 0) {
			*out = (enum sb_stp_mode)i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

bool sb_rules_allows_stp(const struct sb_symbol_rules *r, enum sb_stp_mode m)
{
	if (!r || m == SB_STP_DEFAULT || (unsigned)m >= SB_STP__COUNT)
		return false;
	return (r->stp_allowed & (1u << (unsigned)m)) != 0;
}

bool sb_rules_allows_type(const struct sb_symbol_rules *r, enum sb_order_type t)
{
	if (!r || (unsigned)t >= SB_ORDER__COUNT)
		return false;
	return (r->order_types & (1u << (unsigned)t)) != 0;
}

/* Sign of a * b - c for decimals a, b, c, exactly: a * b is scaled by 10^16, c by 10^8. */
static int cmp_product(sb_dec a, sb_dec b, sb_dec c)
{
	i128 lhs = (i128)a * (i128)b;
	i128 rhs = (i128)c * (i128)SB_DEC_SCALE;
	return (lhs > rhs) - (lhs < rhs);
}

/* True when price lies within [ref * down, ref * up]; an up of 0 means no upper bound. */
static bool within_percent(sb_dec price, sb_dec ref, sb_dec down, sb_dec up)
{
	if (cmp_product(ref, down, price) > 0)
		return false;
	if (up != 0 && cmp_product(ref, up, price) < 0)
		return false;
	return true;
}

static bool lot_ok(const struct sb_lot_filter *f, sb_dec qty, bool check_step)
{
	if (!f->present)
		return true;
	if (qty < f->min_qty)
		return false;
	if (f->max_qty != 0 && qty > f->max_qty)
		return false;
	if (check_step && !sb_dec_is_multiple(qty, f->step_size))
		return false;
	return true;
}

static bool price_ok(const struct sb_price_filter *f, sb_dec price)
{
	if (!f->present)
		return true;
	if (f->min_price != 0 && price < f->min_price)
		return false;
	if (f->max_price != 0 && price > f->max_price)
		return false;
	return sb_dec_is_multiple(price, f->tick_size);
}

static sb_err check_spec(const struct sb_symbol_rules *r, const struct sb_order_spec *o)
{
	if (o->quantity < 0 || o->quote_order_qty < 0 || o->ref_price < 0 || o->open_orders < 0)
		return SB_ERR_INVALID;
	if (o->side != SB_SIDE_BUY && o->side != SB_SIDE_SELL)
		return SB_ERR_INVALID;
	switch (o->type) {
	case SB_ORDER_LIMIT:
	case SB_ORDER_LIMIT_MAKER:
		if (o->price <= 0 || o->quantity == 0 || o->quote_order_qty != 0)
			return SB_ERR_INVALID;
		break;
	case SB_ORDER_MARKET:
		if ((o->quantity == 0) == (o->quote_order_qty == 0))
			return SB_ERR_INVALID;
		if (o->quote_order_qty != 0 && !r->quote_order_qty_market)
			return SB_ERR_UNSUPPORTED;
		break;
	default:
		return SB_ERR_INVALID;
	}
	if (!sb_rules_allows_type(r, o->type))
		return SB_ERR_UNSUPPORTED;
	return SB_OK;
}

/* The MARKET order's quantity for the lot checks, and whether its step must be checked: a quantity given
 * by the user is checked as is; one implied by quoteOrderQty is floored first, as the engine does. */
static bool market_qty(const struct sb_symbol_rules *r, const struct sb_order_spec *o, sb_dec *qty,
                       bool *check_step)
{
	*check_step = true;
	if (o->quote_order_qty == 0) {
		*qty = o->quantity;
		return true;
	}
	if (o->ref_price == 0)
		return false;
	sb_dec implied;
	if (sb_dec_div(o->quote_order_qty, o->ref_price, SB_ROUND_DOWN, &implied) != SB_OK)
		implied = SB_DEC_MAX;
	if (sb_rules_round_qty(r, SB_ORDER_MARKET, implied, qty) != SB_OK)
		*qty = implied;
	*check_step = false;
	return true;
}

/* Notional checks. For limit orders the notional is price * qty; for MARKET orders it is quoteOrderQty,
 * or ref * qty, and each bound applies only when its apply-to-market flag says so. */
static enum sb_filter check_notional(const struct sb_symbol_rules *r, const struct sb_order_spec *o)
{
	bool market = o->type == SB_ORDER_MARKET;
	sb_dec px = market ? o->ref_price : o->price;
	sb_dec qty = o->quantity;
	if (market && o->quote_order_qty != 0) {
		/* notional = quoteOrderQty, written as quoteOrderQty * 1 for the exact comparison */
		px = o->quote_order_qty;
		qty = SB_DEC_ONE;
	} else if (market && o->ref_price == 0) {
		return SB_FILTER_NONE; /* no reference price: the notional is unknown */
	}
	const struct sb_min_notional_filter *mn = &r->min_notional;
	if (mn->present && (!market || mn->apply_to_market) && cmp_product(px, qty, mn->min_notional) < 0)
		return SB_FILTER_MIN_NOTIONAL;
	const struct sb_notional_filter *n = &r->notional;
	if (n->present) {
		if ((!market || n->apply_min_to_market) && cmp_product(px, qty, n->min_notional) < 0)
			return SB_FILTER_NOTIONAL;
		if (n->max_notional != 0 && (!market || n->apply_max_to_market) &&
		    cmp_product(px, qty, n->max_notional) > 0)
			return SB_FILTER_NOTIONAL;
	}
	return SB_FILTER_NONE;
}

static enum sb_filter first_failure(const struct sb_symbol_rules *r, const struct sb_order_spec *o)
{
	bool market = o->type == SB_ORDER_MARKET;
	if (!market) {
		if (!price_ok(&r->price, o->price))
			return SB_FILTER_PRICE_FILTER;
		const struct sb_percent_filter *p = &r->percent;
		if (p->present && o->ref_price != 0 &&
		    !within_percent(o->price, o->ref_price, p->multiplier_down, p->multiplier_up))
			return SB_FILTER_PERCENT_PRICE;
		const struct sb_percent_side_filter *ps = &r->percent_side;
		bool buy = o->side == SB_SIDE_BUY;
		if (ps->present && o->ref_price != 0 &&
		    !within_percent(o->price, o->ref_price,
		                    buy ? ps->bid_multiplier_down : ps->ask_multiplier_down,
		                    buy ? ps->bid_multiplier_up : ps->ask_multiplier_up))
			return SB_FILTER_PERCENT_PRICE_BY_SIDE;
		if (!lot_ok(&r->lot, o->quantity, true))
			return SB_FILTER_LOT_SIZE;
	} else {
		sb_dec qty;
		bool step;
		if (market_qty(r, o, &qty, &step)) {
			if (!lot_ok(&r->lot, qty, step))
				return SB_FILTER_LOT_SIZE;
			if (!lot_ok(&r->market_lot, qty, step))
				return SB_FILTER_MARKET_LOT_SIZE;
		}
	}
	enum sb_filter nf = check_notional(r, o);
	if (nf != SB_FILTER_NONE)
		return nf;
	if (r->has_max_num_orders && o->open_orders >= r->max_num_orders)
		return SB_FILTER_MAX_NUM_ORDERS;
	return SB_FILTER_NONE;
}

sb_err sb_rules_validate(const struct sb_symbol_rules *r, const struct sb_order_spec *o,
                         enum sb_filter *failed)
{
	if (!failed)
		return SB_ERR_INVALID;
	*failed = SB_FILTER_NONE;
	if (!r || !o)
		return SB_ERR_INVALID;
	sb_err e = check_spec(r, o);
	if (e != SB_OK)
		return e;
	*failed = first_failure(r, o);
	return *failed == SB_FILTER_NONE ? SB_OK : SB_ERR_FILTER;
}

sb_err sb_rules_round_price(const struct sb_symbol_rules *r, enum sb_side side, sb_dec price, sb_dec *out)
{
	if (!r || !out || price < 0 || (side != SB_SIDE_BUY && side != SB_SIDE_SELL))
		return SB_ERR_INVALID;
	sb_dec tick = r->price.present ? r->price.tick_size : 0;
	return sb_dec_round_to(price, tick, side == SB_SIDE_BUY ? SB_ROUND_DOWN : SB_ROUND_UP, out);
}

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b != 0) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

sb_err sb_rules_round_qty(const struct sb_symbol_rules *r, enum sb_order_type type, sb_dec qty, sb_dec *out)
{
	if (!r || !out || qty < 0)
		return SB_ERR_INVALID;
	sb_dec step = r->lot.present ? r->lot.step_size : 0;
	sb_dec mstep = type == SB_ORDER_MARKET && r->market_lot.present ? r->market_lot.step_size : 0;
	if (step < 0 || mstep < 0)
		return SB_ERR_INVALID;
	if (step == 0) {
		step = mstep;
	} else if (mstep != 0) {
		/* A multiple of both steps is a multiple of their least common multiple. Real steps are
		 * powers of ten, where this is just the larger one. */
		i128 lcm = (i128)(step / gcd64(step, mstep)) * (i128)mstep;
		if (lcm > (i128)SB_DEC_MAX) {
			*out = 0;
			return SB_OK;
		}
		step = (sb_dec)lcm;
	}
	return sb_dec_round_to(qty, step, SB_ROUND_DOWN, out);
}

/*
 * strategy.c - the price validator and the per-pair decisions (see strategy.h).
 *
 * Comparisons of money are done exactly in 128 bits (a * b against c * d), never on rounded products,
 * so a stop-loss or a jump limit triggers at exactly the price the settings describe.
 */
#include "spotbot/strategy.h"

#include <string.h>

__extension__ typedef __int128 i128;

/* ---- names -------------------------------------------------------------------------------------------- */

const char *sb_price_verdict_name(enum sb_price_verdict v)
{
	static const char *const names[] = {"OK", "NONPOSITIVE", "CROSSED", "STALE", "JUMP"};
	return (unsigned)v < sizeof names / sizeof names[0] ? names[v] : "INVALID";
}

const char *sb_action_kind_name(enum sb_action_kind k)
{
	static const char *const names[] = {"OPEN",        "CANCEL_BUY", "PLACE_SELL", "CANCEL_SELL",
	                                    "MARKET_SELL", "ALERT",      "ABANDON"};
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "INVALID";
}

const char *sb_action_reason_name(enum sb_action_reason r)
{
	static const char *const names[] = {"NEW_CYCLE",    "BUY_TIMEOUT",  "TARGET", "STOP_LOSS",
	                                    "MAX_DURATION", "SELL_REFUSED", "DUST",   "MANUAL"};
	return (unsigned)r < sizeof names / sizeof names[0] ? names[r] : "INVALID";
}

const char *sb_open_block_name(enum sb_open_block b)
{
	static const char *const names[] = {
	    "OK",       "HALTED",          "DISABLED",          "PAUSED",   "NOT_TRADING",
	    "NO_PRICE", "MAX_POSITIONS",   "COOLDOWN",          "EXPOSURE", "TOO_SMALL",
	    "FILTER",   "STOP_LOSS_TIGHT", "STOP_LOSS_COOLDOWN"};
	return (unsigned)b < sizeof names / sizeof names[0] ? names[b] : "INVALID";
}

/* ---- prices ------------------------------------------------------------------------------------------- */

/* |p - ref| > ref * jump, exactly. */
static bool jumped(sb_dec p, sb_dec ref, sb_dec jump)
{
	i128 diff = (i128)p - (i128)ref;
	if (diff < 0)
		diff = -diff;
	return diff * (i128)SB_DEC_SCALE > (i128)ref * (i128)jump;
}

static bool jumped_top(const struct sb_book_top *q, const struct sb_book_top *ref, sb_dec jump)
{
	return jumped(q->bid, ref->bid, jump) || jumped(q->ask, ref->ask, jump);
}

enum sb_price_verdict sb_price_check(const struct sb_price_limits *lim, const struct sb_book_top *q,
                                     const struct sb_book_top *last, int64_t now_ms)
{
	if (!q || q->bid <= 0 || q->ask <= 0)
		return SB_PRICE_NONPOSITIVE;
	if (q->bid >= q->ask)
		return SB_PRICE_CROSSED;
	if (lim && lim->max_age_ms > 0 && now_ms - q->time_ms > lim->max_age_ms)
		return SB_PRICE_STALE;
	if (lim && lim->max_jump > 0 && last && last->bid > 0 && last->ask > 0 &&
	    jumped_top(q, last, lim->max_jump))
		return SB_PRICE_JUMP;
	return SB_PRICE_OK;
}

enum sb_price_verdict sb_price_guard_offer(struct sb_price_guard *g, const struct sb_price_limits *lim,
                                           const struct sb_book_top *q, int64_t now_ms)
{
	if (!g)
		return sb_price_check(lim, q, NULL, now_ms);
	enum sb_price_verdict v = sb_price_check(lim, q, g->have_last ? &g->last : NULL, now_ms);
	if (v == SB_PRICE_OK) {
		g->last = *q;
		g->have_last = true;
		g->confirmations = 0;
		return v;
	}
	if (v != SB_PRICE_JUMP || !lim || lim->confirm_jump == 0)
		return v;
	/* A jump: start or continue confirming the new level. */
	if (g->confirmations > 0 && !jumped_top(q, &g->candidate, lim->max_jump)) {
		if (++g->confirmations > lim->confirm_jump) {
			g->last = *q;
			g->confirmations = 0;
			return SB_PRICE_OK;
		}
	} else {
		g->candidate = *q;
		g->confirmations = 1;
	}
	return v;
}

/* ---- decisions ---------------------------------------------------------------------------------------- */

struct out {
	struct sb_action *v; /* the caller's array */
	size_t cap;          /* its size */
	size_t n;            /* actions written */
	bool full;           /* an action did not fit */
};

static struct sb_action *emit(struct out *o, enum sb_action_kind kind, enum sb_action_reason reason,
                              int64_t position_id)
{
	if (o->n == o->cap) {
		o->full = true;
		return NULL;
	}
	struct sb_action *a = &o->v[o->n++];
	memset(a, 0, sizeof *a);
	a->kind = kind;
	a->reason = reason;
	a->position_id = position_id;
	return a;
}

/* bid * received <= cost * (1 - stop): the bid values what is held at or below the stop-loss line. */
static bool stop_hit(const struct sb_strategy_input *in, const struct sb_strategy_position *sp)
{
	const struct sb_position *p = sp->pos;
	sb_dec stop = in->cfg->stop_loss;
	if (!in->have_price || stop <= 0)
		return false;
	sb_dec cost = p->cost_quote;
	if (cost <= 0 && sp->buy_fills && sp->nbuy_fills) {
		struct sb_buy_cost bc;
		if (sb_profit_buy_cost(in->rules, sp->buy_fills, sp->nbuy_fills, in->bnb_price, &bc) == SB_OK)
			cost = bc.cost_quote;
	}
	sb_dec received = p->buy_qty - p->buy_fee.base;
	if (cost <= 0 || received <= 0)
		return false;
	return (i128)in->bid * (i128)received <= (i128)cost * (i128)(SB_DEC_ONE - stop);
}

/* True when a filter refused qty because it is below a minimum (dust), rather than above a maximum. */
static bool below_minimum(const struct sb_symbol_rules *r, enum sb_filter failed, sb_dec qty, sb_dec price)
{
	switch (failed) {
	case SB_FILTER_LOT_SIZE:
		return qty < r->lot.min_qty;
	case SB_FILTER_MARKET_LOT_SIZE:
		return qty < r->market_lot.min_qty;
	case SB_FILTER_MIN_NOTIONAL:
		return true;
	case SB_FILTER_NOTIONAL:
		return (i128)qty * (i128)price < (i128)r->notional.min_notional * (i128)SB_DEC_SCALE;
	default:
		return false;
	}
}

/*
 * The next market sell of a market exit: what remains, floored to the step and capped at MARKET_LOT_SIZE's
 * maxQty, validated at the bid. A position larger than one market order may be is sold in several orders,
 * one after the other, rather than not at all. SB_ERR_DUST when what remains cannot be sold; SB_ERR_FILTER
 * with *failed for any other refusal.
 */
static sb_err exit_order(const struct sb_symbol_rules *r, sb_dec remaining, sb_dec bid, sb_dec *qty,
                         enum sb_filter *failed)
{
	*failed = SB_FILTER_NONE;
	sb_err err = sb_rules_round_qty(r, SB_ORDER_MARKET, remaining, qty);
	if (err != SB_OK)
		return err;
	if (*qty == 0)
		return SB_ERR_DUST;
	struct sb_order_spec spec = {
	    .side = SB_SIDE_SELL, .type = SB_ORDER_MARKET, .quantity = *qty, .ref_price = bid};
	err = sb_rules_validate(r, &spec, failed);
	if (err == SB_ERR_FILTER && *failed == SB_FILTER_MARKET_LOT_SIZE && r->market_lot.max_qty > 0 &&
	    *qty > r->market_lot.max_qty) {
		err = sb_rules_round_qty(r, SB_ORDER_MARKET, r->market_lot.max_qty, &spec.quantity);
		if (err != SB_OK)
			return err;
		if (spec.quantity > 0) {
			*qty = spec.quantity;
			err = sb_rules_validate(r, &spec, failed);
		}
	}
	if (err == SB_ERR_FILTER && below_minimum(r, *failed, *qty, bid))
		return SB_ERR_DUST;
	return err;
}

bool sb_strategy_exit_goes_on(const struct sb_symbol_rules *rules, const struct sb_position *p, sb_dec bid)
{
	if (!rules || !p || (p->exit != SB_EXIT_STOP_LOSS && p->exit != SB_EXIT_MAX_DURATION))
		return false;
	sb_dec qty;
	enum sb_filter failed;
	return exit_order(rules, sb_position_remaining(p), bid, &qty, &failed) != SB_ERR_DUST;
}

/* A market sell of what remains (or of one market order's worth), or ABANDON when that is dust. */
static void market_exit(const struct sb_strategy_input *in, const struct sb_position *p,
                        enum sb_action_reason why, struct out *o)
{
	sb_dec qty = 0;
	enum sb_filter failed = SB_FILTER_NONE;
	sb_err err =
	    exit_order(in->rules, sb_position_remaining(p), in->have_price ? in->bid : 0, &qty, &failed);
	if (err == SB_ERR_DUST) {
		struct sb_action *a = emit(o, SB_ACT_ABANDON, SB_WHY_DUST, p->id);
		if (a) {
			a->filter = failed;
			a->qty = sb_position_remaining(p);
		}
		return;
	}
	if (err != SB_OK) {
		struct sb_action *a = emit(o, SB_ACT_ALERT, SB_WHY_SELL_REFUSED, p->id);
		if (a) {
			a->error = err;
			a->filter = failed;
		}
		return;
	}
	struct sb_action *a = emit(o, SB_ACT_MARKET_SELL, why, p->id);
	if (a) {
		a->type = SB_ORDER_MARKET;
		a->qty = qty;
	}
}

/* The LIMIT SELL of a HOLDING position at the minimum profitable price. */
static void place_sell(const struct sb_strategy_input *in, const struct sb_strategy_position *sp,
                       struct out *o)
{
	const struct sb_position *p = sp->pos;
	struct sb_profit_params params = {.bnb_price = in->bnb_price,
	                                  .sell_fee_rate = in->sell_fee_rate,
	                                  .target_profit = in->cfg->profit,
	                                  .ref_price = in->have_price ? in->bid : 0};
	struct sb_sell_plan plan;
	sb_err err = sb_profit_plan_sell(in->rules, sp->buy_fills, sp->nbuy_fills, &params, &plan);
	sb_dec qty = plan.sell_qty;
	enum sb_filter failed = plan.rejected_by;
	if (err == SB_OK && p->sell_qty > 0) {
		/* Part was sold by an earlier sell: offer the rest at the same price. */
		err = sb_rules_round_qty(in->rules, SB_ORDER_LIMIT, sb_position_remaining(p), &qty);
		if (err == SB_OK && qty == 0)
			err = SB_ERR_DUST;
		if (err == SB_OK) {
			struct sb_order_spec spec = {.side = SB_SIDE_SELL,
			                             .type = SB_ORDER_LIMIT,
			                             .price = plan.min_sell_price,
			                             .quantity = qty,
			                             .ref_price = params.ref_price};
			err = sb_rules_validate(in->rules, &spec, &failed);
			if (err == SB_ERR_FILTER &&
			    below_minimum(in->rules, failed, qty, plan.min_sell_price))
				err = SB_ERR_DUST;
		}
	}
	if (err == SB_ERR_DUST) {
		struct sb_action *a = emit(o, SB_ACT_ABANDON, SB_WHY_DUST, p->id);
		if (a) {
			a->filter = failed;
			a->qty = sb_position_remaining(p);
		}
		return;
	}
	if (err != SB_OK) {
		struct sb_action *a = emit(o, SB_ACT_ALERT, SB_WHY_SELL_REFUSED, p->id);
		if (a) {
			a->error = err;
			a->filter = failed;
		}
		return;
	}
	struct sb_action *a = emit(o, SB_ACT_PLACE_SELL, SB_WHY_TARGET, p->id);
	if (a) {
		a->type = SB_ORDER_LIMIT;
		a->price = plan.min_sell_price;
		a->qty = qty;
		a->plan = plan;
	}
}

/*
 * A working buy is cancelled at its timeout. Once part of it has filled the position holds coins, so the
 * stop-loss and the maximum duration guard it as they guard a bought position: the alert is raised, and an
 * exit first cancels the rest of the buy (the position then holds, and the exit follows from there).
 */
static void decide_buying(const struct sb_strategy_input *in, const struct sb_strategy_position *sp,
                          struct out *o)
{
	const struct sb_position *p = sp->pos;
	const struct sb_order_sm *b = sp->buy;
	if (in->global.halted || !b || !sb_order_state_is_open(b->state) || b->cancel_requested)
		return;
	if (in->now_ms - p->created_ms >= in->cfg->buy_timeout_ms) {
		emit(o, SB_ACT_CANCEL_BUY, SB_WHY_BUY_TIMEOUT, p->id);
		return;
	}
	if (p->buy_qty <= 0)
		return;
	const struct sb_pair_cfg *c = in->cfg;
	int64_t held = sb_position_held_ms(p, in->now_ms);
	bool too_long = c->max_duration_ms > 0 && held >= c->max_duration_ms;
	if (too_long && !p->duration_alerted) {
		struct sb_action *a = emit(o, SB_ACT_ALERT, SB_WHY_MAX_DURATION, p->id);
		if (a)
			a->held_ms = held;
	}
	if (stop_hit(in, sp))
		emit(o, SB_ACT_CANCEL_BUY, SB_WHY_STOP_LOSS, p->id);
	else if (too_long && c->max_duration_sell)
		emit(o, SB_ACT_CANCEL_BUY, SB_WHY_MAX_DURATION, p->id);
}

static void decide_held(const struct sb_strategy_input *in, const struct sb_strategy_position *sp,
                        struct out *o)
{
	const struct sb_position *p = sp->pos;
	const struct sb_pair_cfg *c = in->cfg;
	bool exit_duration = false;
	int64_t held = sb_position_held_ms(p, in->now_ms);
	if (c->max_duration_ms > 0 && held >= c->max_duration_ms) {
		if (!p->duration_alerted) {
			struct sb_action *a = emit(o, SB_ACT_ALERT, SB_WHY_MAX_DURATION, p->id);
			if (a)
				a->held_ms = held;
		}
		exit_duration = c->max_duration_sell;
	}
	enum sb_action_reason why = SB_WHY_TARGET;
	if (stop_hit(in, sp))
		why = SB_WHY_STOP_LOSS;
	else if (exit_duration)
		why = SB_WHY_MAX_DURATION;
	else if (sp->exit_due == SB_WHY_STOP_LOSS || sp->exit_due == SB_WHY_MAX_DURATION)
		why =
		    sp->exit_due; /* decided: a bid back above the line must not bring the limit sell back */
	if (in->global.halted)
		return;
	if (p->state == SB_POSITION_SELLING) {
		/* A market exit is already under way, or the limit sell simply works on. */
		if (why == SB_WHY_TARGET || p->exit != SB_EXIT_TARGET)
			return;
		const struct sb_order_sm *s = sp->sell;
		if (s && sb_order_state_is_open(s->state) && !s->cancel_requested)
			emit(o, SB_ACT_CANCEL_SELL, why, p->id);
		return;
	}
	if (why != SB_WHY_TARGET)
		market_exit(in, p, why, o);
	else
		place_sell(in, sp, o);
}

/* LIMIT: bid * (1 - offset) down to the tick, quote / price down to the step. MARKET: quoteOrderQty. */
static void open_position(const struct sb_strategy_input *in, struct out *o, struct sb_strategy_result *res)
{
	const struct sb_pair_cfg *c = in->cfg;
	const struct sb_symbol_rules *r = in->rules;
	struct sb_order_spec spec = {.side = SB_SIDE_BUY};
	sb_dec mid;
	if (sb_dec_add(in->bid / 2, in->ask / 2, &mid) != SB_OK)
		mid = in->bid;
	spec.ref_price = mid;
	sb_err err;
	if (c->buy_mode == SB_BUY_LIMIT) {
		sb_dec raw;
		spec.type = SB_ORDER_LIMIT;
		err = sb_dec_mul(in->bid, SB_DEC_ONE - c->buy_offset, SB_ROUND_DOWN, &raw);
		if (err == SB_OK)
			err = sb_rules_round_price(r, SB_SIDE_BUY, raw, &spec.price);
		if (err == SB_OK && spec.price <= 0)
			err = SB_ERR_RANGE;
		if (err == SB_OK)
			err = sb_dec_div(c->quote, spec.price, SB_ROUND_DOWN, &raw);
		if (err == SB_OK)
			err = sb_rules_round_qty(r, SB_ORDER_LIMIT, raw, &spec.quantity);
	} else {
		spec.type = SB_ORDER_MARKET;
		spec.ref_price = in->ask;
		if (r->quote_order_qty_market) {
			sb_dec step = 1;
			for (int i = r->quote_precision; i < SB_DEC_PLACES; i++)
				step *= 10;
			err = sb_dec_round_to(c->quote, step, SB_ROUND_DOWN, &spec.quote_order_qty);
			if (err == SB_OK && spec.quote_order_qty == 0)
				err = SB_ERR_RANGE;
		} else {
			sb_dec raw;
			err = sb_dec_div(c->quote, in->ask, SB_ROUND_DOWN, &raw);
			if (err == SB_OK)
				err = sb_rules_round_qty(r, SB_ORDER_MARKET, raw, &spec.quantity);
		}
	}
	if (err != SB_OK || (spec.quantity == 0 && spec.quote_order_qty == 0)) {
		res->open = SB_OPEN_TOO_SMALL;
		return;
	}
	enum sb_filter failed = SB_FILTER_NONE;
	err = sb_rules_validate(r, &spec, &failed);
	if (err != SB_OK) {
		sb_dec at = spec.type == SB_ORDER_LIMIT ? spec.price : in->ask;
		bool small = err == SB_ERR_FILTER &&
		             (spec.quote_order_qty > 0
		                  ? failed == SB_FILTER_MIN_NOTIONAL || failed == SB_FILTER_NOTIONAL
		                  : below_minimum(r, failed, spec.quantity, at));
		res->open = small ? SB_OPEN_TOO_SMALL : SB_OPEN_FILTER;
		res->filter = failed;
		return;
	}
	struct sb_action *a = emit(o, SB_ACT_OPEN, SB_WHY_NEW_CYCLE, 0);
	if (!a)
		return;
	a->type = spec.type;
	a->price = spec.type == SB_ORDER_LIMIT ? spec.price : 0;
	a->qty = spec.quantity;
	a->quote_qty = spec.quote_order_qty;
	res->open = SB_OPEN_OK;
}

sb_err sb_strategy_min_stop_loss(sb_dec fee_rate, sb_dec bid, sb_dec ask, sb_dec *out)
{
	if (!out || fee_rate < 0 || fee_rate >= SB_DEC_ONE || bid <= 0 || ask <= 0 || bid >= ask)
		return SB_ERR_INVALID;
	sb_dec spread = 0;
	sb_err err = sb_dec_div(ask - bid, ask, SB_ROUND_UP, &spread);
	if (err != SB_OK)
		return err;
	*out = fee_rate * 2 + spread; /* each below 1: no overflow */
	return SB_OK;
}

/* A stop_loss the fees and the spread already reach: every new position would be stopped out at once. */
static bool stop_loss_tight(const struct sb_strategy_input *in, sb_dec *min)
{
	*min = 0;
	if (in->cfg->stop_loss <= 0 ||
	    sb_strategy_min_stop_loss(in->sell_fee_rate, in->bid, in->ask, min) != SB_OK)
		return false;
	return in->cfg->stop_loss <= *min;
}

/* Why a new position may not be opened now, or SB_OPEN_OK (*min_stop set for STOP_LOSS_TIGHT). */
static enum sb_open_block may_open(const struct sb_strategy_input *in, sb_dec *min_stop)
{
	const struct sb_pair_cfg *c = in->cfg;
	if (in->global.halted)
		return SB_OPEN_HALTED;
	if (!c->enabled)
		return SB_OPEN_DISABLED;
	if (in->global.paused || in->global.pair_paused)
		return SB_OPEN_PAUSED;
	if (in->rules->status != SB_SYMBOL_TRADING)
		return SB_OPEN_NOT_TRADING;
	if (!in->have_price || in->bid <= 0 || in->ask <= 0)
		return SB_OPEN_NO_PRICE;
	if ((int64_t)in->npositions >= c->max_positions)
		return SB_OPEN_MAX_POSITIONS;
	int64_t last = in->last_ended_ms;
	for (size_t i = 0; i < in->npositions; i++)
		if (in->positions[i].pos->created_ms > last)
			last = in->positions[i].pos->created_ms;
	if (last > 0 && in->now_ms - last < c->cooldown_ms)
		return SB_OPEN_COOLDOWN;
	if (in->last_stop_loss_ms > 0 && in->now_ms - in->last_stop_loss_ms < c->stop_loss_cooldown_ms)
		return SB_OPEN_STOP_LOSS_COOLDOWN;
	if (stop_loss_tight(in, min_stop))
		return SB_OPEN_STOP_LOSS_TIGHT;
	if (in->global.exposure_limit > 0 &&
	    (i128)in->global.exposure + (i128)c->quote > (i128)in->global.exposure_limit)
		return SB_OPEN_EXPOSURE;
	return SB_OPEN_OK;
}

/* t when it lies after now and before due, else due. */
static int64_t sooner(int64_t due, int64_t t, int64_t now)
{
	return t > now && t < due ? t : due;
}

/* Every comparison with now_ms above is one of these four thresholds; a position's other conditions
 * (stop-loss, target) follow the price, not the clock. */
int64_t sb_strategy_next_due(const struct sb_strategy_input *in)
{
	if (!in || !in->cfg || (in->npositions && !in->positions))
		return INT64_MAX;
	const struct sb_pair_cfg *c = in->cfg;
	int64_t now = in->now_ms, due = INT64_MAX, last = in->last_ended_ms;
	for (size_t i = 0; i < in->npositions; i++) {
		const struct sb_position *p = in->positions[i].pos;
		if (!p)
			continue;
		if (p->state == SB_POSITION_BUYING)
			due = sooner(due, p->created_ms + c->buy_timeout_ms, now);
		if (c->max_duration_ms > 0 && p->opened_ms > 0 && p->ended_ms == 0)
			due = sooner(due, p->opened_ms + c->max_duration_ms, now);
		if (p->created_ms > last)
			last = p->created_ms;
	}
	if (last > 0)
		due = sooner(due, last + c->cooldown_ms, now);
	if (in->last_stop_loss_ms > 0)
		due = sooner(due, in->last_stop_loss_ms + c->stop_loss_cooldown_ms, now);
	return due;
}

sb_err sb_strategy_decide(const struct sb_strategy_input *in, struct sb_action *out, size_t cap,
                          struct sb_strategy_result *res)
{
	if (!res)
		return SB_ERR_INVALID;
	memset(res, 0, sizeof *res);
	if (!in || !in->cfg || !in->rules || (in->npositions && !in->positions) || (cap && !out))
		return SB_ERR_INVALID;
	for (size_t i = 0; i < in->npositions; i++)
		if (!in->positions[i].pos)
			return SB_ERR_INVALID;
	struct out o = {.v = out, .cap = cap};
	for (size_t i = 0; i < in->npositions; i++) {
		const struct sb_strategy_position *sp = &in->positions[i];
		switch (sp->pos->state) {
		case SB_POSITION_BUYING:
			decide_buying(in, sp, &o);
			break;
		case SB_POSITION_HOLDING:
		case SB_POSITION_SELLING:
			decide_held(in, sp, &o);
			break;
		default:
			break; /* ended positions need nothing */
		}
	}
	res->open = may_open(in, &res->min_stop_loss);
	if (res->open == SB_OPEN_OK)
		open_position(in, &o, res);
	res->n = o.n;
	return o.full ? SB_ERR_TOO_LONG : SB_OK;
}

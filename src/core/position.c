/*
 * position.c - the position state machine and the accounting of its fills (see position.h).
 *
 * Every state change goes through sb_position_transition(), which owns the table of legal moves; the
 * other functions check their own preconditions (quantities add up, fills are not missing) before they
 * ask it, and change nothing when anything fails, so a caller can apply an event inside a database
 * transaction and roll both back together.
 */
#include "spotbot/position.h"

#include <string.h>

static const char *const state_names[SB_POSITION_STATE__COUNT] = {
    [SB_POSITION_BUYING] = "BUYING",     [SB_POSITION_HOLDING] = "HOLDING",
    [SB_POSITION_SELLING] = "SELLING",   [SB_POSITION_CLOSED] = "CLOSED",
    [SB_POSITION_CANCELED] = "CANCELED", [SB_POSITION_ABANDONED] = "ABANDONED",
};

static const char *const exit_names[SB_EXIT__COUNT] = {
    [SB_EXIT_NONE] = "NONE",           [SB_EXIT_TARGET] = "TARGET",
    [SB_EXIT_STOP_LOSS] = "STOP_LOSS", [SB_EXIT_MAX_DURATION] = "MAX_DURATION",
    [SB_EXIT_MANUAL] = "MANUAL",
};

const char *sb_position_state_name(enum sb_position_state s)
{
	if ((unsigned)s >= SB_POSITION_STATE__COUNT)
		return "INVALID";
	return state_names[s];
}

const char *sb_position_exit_name(enum sb_position_exit e)
{
	if ((unsigned)e >= SB_EXIT__COUNT)
		return "INVALID";
	return exit_names[e];
}

static int find_name(const char *const *names, unsigned n, const char *s, size_t len)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < n; i++)
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0)
			return (int)i;
	return -1;
}

sb_err sb_position_state_parse(const char *s, size_t len, enum sb_position_state *out)
{
	int i = find_name(state_names, SB_POSITION_STATE__COUNT, s, len);
	if (!out)
		return SB_ERR_INVALID;
	if (i < 0)
		return SB_ERR_NOT_FOUND;
	*out = (enum sb_position_state)i;
	return SB_OK;
}

sb_err sb_position_exit_parse(const char *s, size_t len, enum sb_position_exit *out)
{
	int i = find_name(exit_names, SB_EXIT__COUNT, s, len);
	if (!out)
		return SB_ERR_INVALID;
	if (i < 0)
		return SB_ERR_NOT_FOUND;
	*out = (enum sb_position_exit)i;
	return SB_OK;
}

bool sb_position_state_is_final(enum sb_position_state s)
{
	return s == SB_POSITION_CLOSED || s == SB_POSITION_CANCELED || s == SB_POSITION_ABANDONED;
}

bool sb_position_state_is_open(enum sb_position_state s)
{
	return s == SB_POSITION_BUYING || s == SB_POSITION_HOLDING || s == SB_POSITION_SELLING;
}

bool sb_position_can(enum sb_position_state from, enum sb_position_state to)
{
	switch (from) {
	case SB_POSITION_BUYING:
		/* ABANDONED: by hand, once the buy has ended (its fills may still be missing). */
		return to == SB_POSITION_HOLDING || to == SB_POSITION_CANCELED || to == SB_POSITION_ABANDONED;
	case SB_POSITION_HOLDING:
		return to == SB_POSITION_SELLING || to == SB_POSITION_ABANDONED;
	case SB_POSITION_SELLING:
		/* ABANDONED: by hand, once the sell has ended without closing the position. */
		return to == SB_POSITION_HOLDING || to == SB_POSITION_CLOSED || to == SB_POSITION_ABANDONED;
	default:
		return false;
	}
}

sb_err sb_position_transition(struct sb_position *p, enum sb_position_state to, int64_t now_ms)
{
	if (!p || (unsigned)to >= SB_POSITION_STATE__COUNT)
		return SB_ERR_INVALID;
	if (!sb_position_can(p->state, to))
		return SB_ERR_STATE;
	p->state = to;
	if (sb_position_state_is_final(to))
		p->ended_ms = now_ms;
	return SB_OK;
}

static bool copy_name(char *dst, size_t cap, const char *src)
{
	size_t n;
	if (!src || (n = strnlen(src, cap)) == 0 || n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

sb_err sb_position_init(struct sb_position *p, int64_t id, const char *symbol, const char *base_asset,
                        const char *quote_asset, int64_t now_ms)
{
	if (!p)
		return SB_ERR_INVALID;
	memset(p, 0, sizeof *p);
	if (id <= 0 || !copy_name(p->symbol, sizeof p->symbol, symbol) ||
	    !copy_name(p->base_asset, sizeof p->base_asset, base_asset) ||
	    !copy_name(p->quote_asset, sizeof p->quote_asset, quote_asset)) {
		memset(p, 0, sizeof *p);
		return SB_ERR_INVALID;
	}
	p->id = id;
	p->state = SB_POSITION_BUYING;
	p->created_ms = now_ms;
	return SB_OK;
}

static bool seen(const int64_t *recent, int64_t trade_id)
{
	if (trade_id <= 0)
		return false; /* no id: the store is the only judge */
	for (size_t i = 0; i < SB_POSITION_RECENT_TRADES; i++)
		if (recent[i] == trade_id)
			return true;
	return false;
}

static void remember(int64_t *recent, size_t count, int64_t trade_id)
{
	recent[count % SB_POSITION_RECENT_TRADES] = trade_id;
}

/* Adds a fill to the running totals of one side; totals are only written when every sum fits. */
static sb_err accumulate(const struct sb_position *p, const struct sb_fill *f, sb_dec *qty, sb_dec *quote,
                         struct sb_commission *fee)
{
	sb_dec q = f->quote_qty;
	if (f->qty <= 0 || f->price <= 0 || f->quote_qty < 0 || f->commission < 0)
		return SB_ERR_INVALID;
	if (q == 0) {
		sb_err err = sb_dec_mul(f->price, f->qty, SB_ROUND_HALF_EVEN, &q);
		if (err != SB_OK)
			return err;
	}
	sb_dec nqty, nquote;
	struct sb_commission nfee = *fee;
	sb_dec *slot = &nfee.other;
	if (strcmp(f->commission_asset, p->base_asset) == 0)
		slot = &nfee.base;
	else if (strcmp(f->commission_asset, p->quote_asset) == 0)
		slot = &nfee.quote;
	else if (strcmp(f->commission_asset, "BNB") == 0)
		slot = &nfee.bnb;
	else if (f->commission == 0)
		slot = NULL; /* "" or any asset: nothing to add */
	if (sb_dec_add(*qty, f->qty, &nqty) != SB_OK || sb_dec_add(*quote, q, &nquote) != SB_OK ||
	    (slot && sb_dec_add(*slot, f->commission, slot) != SB_OK))
		return SB_ERR_OVERFLOW;
	*qty = nqty;
	*quote = nquote;
	*fee = nfee;
	return SB_OK;
}

sb_err sb_position_apply_buy_fill(struct sb_position *p, const struct sb_fill *f, int64_t time_ms)
{
	if (!p || !f)
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_BUYING)
		return SB_ERR_STATE;
	if (seen(p->recent_buy_trades, f->trade_id))
		return SB_ERR_EXISTS;
	sb_err err = accumulate(p, f, &p->buy_qty, &p->buy_quote, &p->buy_fee);
	if (err != SB_OK)
		return err;
	remember(p->recent_buy_trades, p->buy_fills, f->trade_id);
	if (p->buy_fills == 0 || time_ms < p->opened_ms)
		p->opened_ms = time_ms; /* the first trade, even when fills arrive out of order */
	p->buy_fills++;
	return SB_OK;
}

/* What the account gained from the buy: bought minus the commission taken from it. */
static sb_dec received(const struct sb_position *p)
{
	return p->buy_qty - p->buy_fee.base;
}

sb_dec sb_position_remaining(const struct sb_position *p)
{
	if (!p)
		return 0;
	sb_dec r = received(p) - p->sell_qty - p->sell_fee.base;
	return r > 0 ? r : 0;
}

/* Compares what an ended order executed with what the position has applied. */
static sb_err check_executed(sb_dec applied, sb_dec order_executed)
{
	if (order_executed < 0)
		return SB_ERR_INVALID;
	if (applied < order_executed)
		return SB_ERR_NOT_FOUND;
	if (applied > order_executed)
		return SB_ERR_INVALID;
	return SB_OK;
}

sb_err sb_position_buy_ended(struct sb_position *p, sb_dec order_executed, int64_t now_ms)
{
	if (!p)
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_BUYING)
		return SB_ERR_STATE;
	sb_err err = check_executed(p->buy_qty, order_executed);
	if (err != SB_OK)
		return err;
	return sb_position_transition(p, p->buy_qty > 0 ? SB_POSITION_HOLDING : SB_POSITION_CANCELED, now_ms);
}

sb_err sb_position_set_plan(struct sb_position *p, const struct sb_sell_plan *plan)
{
	if (!p || !plan)
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_HOLDING)
		return SB_ERR_STATE;
	p->cost_quote = plan->buy.cost_quote;
	p->target_price = plan->min_sell_price;
	p->dust = plan->dust;
	return SB_OK;
}

sb_err sb_position_sell_placed(struct sb_position *p, enum sb_position_exit exit, sb_dec price, sb_dec qty,
                               int64_t now_ms)
{
	if (!p || qty <= 0 || price < 0 || exit == SB_EXIT_NONE || (unsigned)exit >= SB_EXIT__COUNT ||
	    (exit == SB_EXIT_TARGET && price == 0))
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_HOLDING)
		return SB_ERR_STATE;
	if (qty > sb_position_remaining(p))
		return SB_ERR_RANGE;
	sb_err err = sb_position_transition(p, SB_POSITION_SELLING, now_ms);
	if (err != SB_OK)
		return err;
	p->exit = exit;
	p->planned_qty = qty;
	p->sell_placed_ms = now_ms;
	if (exit == SB_EXIT_TARGET)
		p->target_price = price;
	return SB_OK;
}

sb_err sb_position_apply_sell_fill(struct sb_position *p, const struct sb_fill *f, int64_t time_ms)
{
	(void)time_ms; /* the sell's time is kept by the fill row; the position ends at close */
	if (!p || !f)
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_SELLING)
		return SB_ERR_STATE;
	if (seen(p->recent_sell_trades, f->trade_id))
		return SB_ERR_EXISTS;
	struct sb_position next = *p;
	sb_err err = accumulate(&next, f, &next.sell_qty, &next.sell_quote, &next.sell_fee);
	if (err != SB_OK)
		return err;
	if (next.sell_qty + next.sell_fee.base > received(&next))
		return SB_ERR_RANGE;
	remember(next.recent_sell_trades, next.sell_fills, f->trade_id);
	next.sell_fills++;
	*p = next;
	return SB_OK;
}

/* Every sell of a position belongs to one of its sell orders and every earlier one has ended, so the
 * sells applied must cover at least what this order executed; less means its fills are still missing. */
sb_err sb_position_sell_ended(struct sb_position *p, sb_dec order_executed, int64_t now_ms)
{
	if (!p || order_executed < 0)
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_SELLING)
		return SB_ERR_STATE;
	if (p->sell_qty < order_executed)
		return SB_ERR_NOT_FOUND;
	sb_err err = sb_position_transition(p, SB_POSITION_HOLDING, now_ms);
	if (err != SB_OK)
		return err;
	p->planned_qty = 0;
	p->sell_placed_ms = 0;
	return SB_OK;
}

/* Sums fill quantities (SB_ERR_OVERFLOW when they do not fit). */
static sb_err sum_qty(const struct sb_fill *f, size_t n, sb_dec *out)
{
	sb_dec s = 0;
	for (size_t i = 0; i < n; i++)
		if (sb_dec_add(s, f[i].qty, &s) != SB_OK)
			return SB_ERR_OVERFLOW;
	*out = s;
	return SB_OK;
}

sb_err sb_position_close(struct sb_position *p, const struct sb_symbol_rules *rules,
                         const struct sb_fill *buys, size_t nb, const struct sb_fill *sells, size_t ns,
                         sb_dec bnb_price, int64_t now_ms)
{
	if (!p || !rules || !buys || nb == 0 || (ns > 0 && !sells))
		return SB_ERR_INVALID;
	if (p->state != SB_POSITION_SELLING)
		return SB_ERR_STATE;
	if (p->sell_qty <= 0)
		return SB_ERR_STATE; /* nothing was sold: the sell did not fill */
	sb_dec bq, sq;
	if (sum_qty(buys, nb, &bq) != SB_OK || sum_qty(sells, ns, &sq) != SB_OK)
		return SB_ERR_OVERFLOW;
	if (bq != p->buy_qty || sq != p->sell_qty || nb != p->buy_fills || ns != p->sell_fills)
		return SB_ERR_INVALID;
	struct sb_cycle_result c;
	sb_err err = sb_profit_cycle(rules, buys, nb, sells, ns, bnb_price, &c);
	if (err != SB_OK)
		return err;
	err = sb_position_transition(p, SB_POSITION_CLOSED, now_ms);
	if (err != SB_OK)
		return err;
	p->cost_quote = c.buy.cost_quote;
	p->realized_profit = c.net_profit;
	p->profit_ratio = c.profit_ratio;
	p->dust = sb_position_remaining(p);
	return SB_OK;
}

sb_err sb_position_abandon(struct sb_position *p, bool dust_only, int64_t now_ms)
{
	if (!p)
		return SB_ERR_INVALID;
	sb_err err = sb_position_transition(p, SB_POSITION_ABANDONED, now_ms);
	if (err != SB_OK)
		return err;
	if (dust_only)
		p->dust = sb_position_remaining(p);
	return SB_OK;
}

int64_t sb_position_held_ms(const struct sb_position *p, int64_t now_ms)
{
	if (!p || p->opened_ms == 0)
		return 0;
	int64_t end = p->ended_ms ? p->ended_ms : now_ms;
	return end > p->opened_ms ? end - p->opened_ms : 0;
}

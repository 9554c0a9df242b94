/*
 * model.c - the daemon's memory of its pairs, as every other part of the daemon reads it: the time on the
 * daemon's clock, a pair by its symbol and what it is doing, its settings as a trade_pairs row, its
 * commission rates, its open positions counted and the quote they hold, and the mark that asks the next
 * step for a decision about it. Pairs are found by hash (every market event looks one up), and the quote
 * held is a running total that each change of a position adjusts by its own difference (bot_pos_exposure),
 * so a decision reads it without walking every position of every pair.
 *
 * It is the ground floor of src/bot: it calls nothing else of the daemon, so the monitor, the price and
 * order managers, the strategy step and the control API can all stand on it without calling up into the
 * lifecycle (bot.c). An event that changes what the strategy sees marks the pair here; engine.c's step
 * decides each marked pair once, after the dispatch.
 */
#include <stddef.h>
#include <string.h>

#include "bot/bot_int.h"
#include "common/name_index.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

int64_t bot_now_ms(const struct sb_bot *b)
{
	return sb_clock_now_wall_ms(b->clock);
}

struct bot_pair *bot_pair_find(struct sb_bot *b, const char *symbol)
{
	/* Every market event looks its pair up, so by hash; slots are indexed as they come into use. */
	struct bot_pair_index *x = &b->pairix;
	if (!x->ix.cap || x->indexed > b->npairs) {
		sb_name_index_init(&x->ix, x->slot, BOT_PAIR_SLOTS);
		x->indexed = 0;
	}
	for (; x->indexed < b->npairs; x->indexed++)
		(void)sb_name_index_put(&x->ix, b->pairs[x->indexed].cfg.symbol, x->indexed);
	size_t i = sb_name_index_find(&x->ix, symbol, b->pairs, sizeof *b->pairs,
	                              offsetof(struct bot_pair, cfg.symbol));
	return i != SB_NAME_INDEX_NONE && !b->pairs[i].removed ? &b->pairs[i] : NULL;
}

const char *bot_pair_state(const struct bot_pair *pr)
{
	if (pr->unlisted)
		return "unlisted";
	if (!pr->cfg.enabled)
		return "disabled";
	return pr->have_rules ? "active" : "waiting";
}

void bot_pair_mark(struct sb_bot *b, struct bot_pair *pr)
{
	if (pr->decide)
		return;
	pr->decide = true;
	b->marked++;
}

void bot_pair_to_row(const struct sb_pair_cfg *c, int64_t now, struct sb_store_pair *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->symbol, sizeof r->symbol, "%s", c->symbol);
	r->enabled = c->enabled;
	r->quote_per_cycle = c->quote;
	r->max_positions = (int32_t)c->max_positions;
	r->buy_mode = c->buy_mode == SB_BUY_MARKET ? SB_STORE_BUY_MARKET : SB_STORE_BUY_LIMIT;
	r->buy_offset = c->buy_offset;
	r->buy_timeout_ms = c->buy_timeout_ms;
	r->target_profit = c->profit;
	r->has_stop_loss = c->stop_loss > 0;
	r->stop_loss = c->stop_loss;
	r->max_duration_ms = c->max_duration_ms;
	r->sell_market_on_max_duration = c->max_duration_sell;
	r->cooldown_ms = c->cooldown_ms;
	r->stop_loss_cooldown_ms = c->stop_loss_cooldown_ms;
	r->updated_ms = now;
}

void bot_pair_fees(struct sb_bot *b, const char *symbol, const struct sb_bn_rest_result *res,
                   const struct sb_bn_commission *cm)
{
	struct bot_pair *pr = bot_pair_find(b, symbol);
	if (!pr)
		return;
	if (res->err != SB_OK || !cm) {
		/* Not fatal: the standard 0.1% is assumed, which is Binance's highest standard rate. */
		sb_log_warn("bot", SB_FIELDS(SB_F_STR("symbol", symbol), BOT_F_REST(res)),
		            "commission rates of %s unavailable (%s), assuming 0.1%%", symbol,
		            BOT_REST_WHY(res));
		return;
	}
	sb_dec m = cm->standard.maker, t = cm->standard.taker;
	pr->sell_fee = m > t ? m : t;
	pr->bnb_discount = cm->discount_for_account && cm->discount_for_symbol;
	if (sb_profit_check_fee(pr->sell_fee) != SB_OK)
		pr->sell_fee = BOT_FEE_DEFAULT;
	sb_log_info("bot", SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_DEC("sell_fee", pr->sell_fee)),
	            "commission rates of %s loaded", pr->cfg.symbol);
}

size_t bot_pair_open_count(const struct bot_pair *pr)
{
	size_t n = 0;
	for (const struct bot_pos *bp = pr->positions; bp; bp = bp->next)
		n++;
	return n;
}

/* What bp commits: its buy's quote while it buys, else what it cost (or spent so far). */
static sb_dec pos_exposure(const struct bot_pos *bp)
{
	sb_dec v = 0;
	if (bp->p.state == SB_POSITION_BUYING && bp->buy.present) {
		if (bp->buy.row.quote_qty > 0)
			v = bp->buy.row.quote_qty;
		else if (sb_dec_mul(bp->buy.row.price, bp->buy.row.orig_qty, SB_ROUND_UP, &v) != SB_OK)
			v = 0;
	} else {
		v = bp->p.cost_quote > 0 ? bp->p.cost_quote : bp->p.buy_quote;
	}
	return v;
}

static sb_dec clamp(bot_i128 sum)
{
	return sum > SB_DEC_MAX ? SB_DEC_MAX : (sb_dec)sum;
}

void bot_pos_exposure(struct sb_bot *b, struct bot_pos *bp)
{
	sb_dec v = bp->ended ? 0 : pos_exposure(bp);
	b->exposure += (bot_i128)v - bp->exposure;
	bp->exposure = v;
}

void bot_exposure_reset(struct sb_bot *b)
{
	b->exposure = 0;
}

sb_dec bot_exposure(const struct sb_bot *b)
{
	return clamp(b->exposure);
}

sb_dec bot_exposure_recount(const struct sb_bot *b)
{
	bot_i128 sum = 0;
	for (size_t i = 0; i < b->npairs; i++)
		for (const struct bot_pos *bp = b->pairs[i].positions; bp; bp = bp->next)
			sum += pos_exposure(bp);
	return clamp(sum);
}

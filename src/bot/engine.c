/*
 * engine.c - the strategy step: after each dispatch of events, and once a second, hands each marked pair's
 * settings, rules, open positions and price to sb_strategy_decide() and carries out the actions it returns
 * through the order manager, then frees the positions that ended meanwhile. Decisions are pure;
 * everything that must not happen twice (a cancel in flight, a sell placed) is visible in the input, so
 * deciding often is harmless.
 *
 * The events themselves decide nothing: the price manager marks a pair when it accepts a quote, the order
 * manager when a position moves on (bot_pair_mark). The step runs after the dispatch: from the loop's
 * check handle in `run` (bot.c), from the exchange's dispatched callback after each batch of the
 * in-process exchange's pump, and from the tick, which marks every pair. However many events marked a
 * pair, it is decided once per step; a mark the step's own actions set waits for the next one.
 *
 * One decision comes earlier: when a buy's fill completes a position, the order manager decides that
 * position at once (engine_decide_position), inside the fill's store transaction, so its sell is committed
 * with the fill and sent right after. The pair stays marked; the step decides it again, which changes
 * nothing for a position whose sell is out.
 */
#include <assert.h>
#include <inttypes.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/detail.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

/* A position with a request out, or paused after a refusal, takes no new action now. A buy the stream
 * reported ended before its placement was answered (a market buy's executionReport outrunning the answer)
 * holds nothing up: the answer can only confirm it, so the sell of a position it bought goes at once. */
static bool busy(const struct bot_pos *bp, int64_t now_ms)
{
	bool buy_out = bp->buy.inflight && !sb_order_state_is_final(bp->buy.sm.state);
	return buy_out || bp->sell.inflight || bp->backfill_inflight || now_ms < bp->retry_at_ms;
}

/*
 * A sell refused because the position's BNB commission has no price in the pair's quote asset. While the
 * first BNB price request is unanswered this is only a wait (start-up, a pair just added): no alert, the
 * next tick tries again. Once the price is known to be unavailable it says so plainly in the log (once a
 * minute, like the alert that follows). True when the alert is to be left out.
 */
static bool bnb_unpriced(struct sb_bot *b, const struct bot_pair *pr, struct bot_pos *bp,
                         const struct sb_action *a, int64_t now_ms)
{
	if (a->reason != SB_WHY_SELL_REFUSED || a->error != SB_ERR_INVALID || bp->p.buy_fee.bnb <= 0 ||
	    bot_bnb_price(b, pr) > 0)
		return false;
	if (bot_bnb_awaited(b, pr))
		return true;
	if (bp->alert_at_ms + 60000 <= now_ms)
		sb_log_warn("engine",
		            SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_INT("position", bp->p.id),
		                      SB_F_STR("quote", pr->rules.quote_asset)),
		            "position %" PRId64
		            " of %s paid its commission in BNB and BNB has no price in %s: "
		            "no sell price can be computed, the position is held until one is known",
		            bp->p.id, pr->cfg.symbol, pr->rules.quote_asset);
	return false;
}

/*
 * A stop_loss the round-trip fee and the spread already reach would turn every cycle into an immediate
 * stop-loss exit, so the strategy opens none; the operator hears it once (error log, alert, event) with the
 * smallest workable value, until the pair may open again.
 */
static void report_stop_loss(struct sb_bot *b, struct bot_pair *pr, const struct sb_strategy_result *res)
{
	if (res->open == SB_OPEN_OK)
		pr->stop_loss_refused = 0;
	if (res->open != SB_OPEN_STOP_LOSS_TIGHT || pr->stop_loss_refused == pr->cfg.stop_loss)
		return;
	pr->stop_loss_refused = pr->cfg.stop_loss;
	char have[SB_DEC_STRLEN], need[SB_DEC_STRLEN], pct[SB_DEC_STRLEN + 1], key[SB_ALERTS_KEY_MAX];
	/* Named to 0.01%, rounded up past the limit, so the value given is one that works. */
	sb_dec need_pct = 0;
	if (sb_dec_round_to((res->min_stop_loss + 1) * 100, SB_DEC_C(0, 1000000), SB_ROUND_UP, &need_pct) !=
	    SB_OK)
		need_pct = res->min_stop_loss * 100;
	sb_dec_format_trim(need_pct, need, sizeof need);
	sb_dec_format_trim(pr->cfg.stop_loss * 100, have, sizeof have);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "reason", "STOP_LOSS_TIGHT");
	snprintf(pct, sizeof pct, "%s%%", have);
	detail_str(&d, "stop_loss", pct);
	snprintf(pct, sizeof pct, "%s%%", need);
	detail_str(&d, "min_stop_loss", pct);
	bot_event(b, "pair.stop_loss_refused", pr->cfg.symbol, 0, NULL, detail_end(&d));
	detail_fini(&d);
	sb_log_error("engine",
	             SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_DEC("stop_loss", pr->cfg.stop_loss),
	                       SB_F_DEC("min_stop_loss", res->min_stop_loss)),
	             "%s: stop_loss=%s%% is at or below the round-trip fee plus the spread; no new cycle "
	             "until stop_loss is at least %s%% (spotbot pairs set %s stop_loss=%s%%)",
	             pr->cfg.symbol, have, need, pr->cfg.symbol, need);
	snprintf(key, sizeof key, "stop_loss_tight:%s", pr->cfg.symbol);
	monitor_alert(b, SB_ALERT_STOP_LOSS, SB_ALERT_WARNING, pr->cfg.symbol, key,
	              "%s opens no new cycle: stop_loss=%s%% is within the fees and the spread; set it to "
	              "at least %s%%",
	              pr->cfg.symbol, have, need);
	bot_human(b, "%-8s no new cycle: stop_loss %s%% is within fees + spread (needs >= %s%%)",
	          pr->cfg.symbol, have, need);
}

/* The smallest notional the symbol's filters ask of an order, 0 when none does. */
static sb_dec min_notional(const struct sb_symbol_rules *r)
{
	sb_dec m = r->min_notional.present ? r->min_notional.min_notional : 0;
	if (r->notional.present && r->notional.min_notional > m)
		m = r->notional.min_notional;
	return m;
}

/*
 * A buy the symbol's filters refuse (a quote below the minimum notional, say) is never sent, so the pair
 * would simply never trade; the operator hears it once per quote and buy_offset (error log, alert, event),
 * and again after a buy has gone out and the refusal comes back.
 */
static void report_buy_refused(struct sb_bot *b, struct bot_pair *pr, const struct sb_strategy_result *res)
{
	if (res->open == SB_OPEN_OK)
		pr->buy_refused = 0;
	if ((res->open != SB_OPEN_TOO_SMALL && res->open != SB_OPEN_FILTER) ||
	    (pr->buy_refused == pr->cfg.quote && pr->buy_refused_offset == pr->cfg.buy_offset))
		return;
	pr->buy_refused = pr->cfg.quote;
	pr->buy_refused_offset = pr->cfg.buy_offset;
	const char *filter = res->filter != SB_FILTER_NONE ? sb_filter_name(res->filter) : "LOT_SIZE";
	char quote[SB_DEC_STRLEN], min[SB_DEC_STRLEN] = "", why[160], key[SB_ALERTS_KEY_MAX];
	sb_dec_format_trim(pr->cfg.quote, quote, sizeof quote);
	sb_dec m = min_notional(&pr->rules);
	if (res->open == SB_OPEN_TOO_SMALL && m > 0 &&
	    (res->filter == SB_FILTER_NONE || res->filter == SB_FILTER_NOTIONAL ||
	     res->filter == SB_FILTER_MIN_NOTIONAL)) {
		/* A quantity that rounds to nothing is below the minimum notional too: name that one. */
		if (res->filter == SB_FILTER_NONE)
			filter = pr->rules.notional.present && pr->rules.notional.min_notional == m
			             ? sb_filter_name(SB_FILTER_NOTIONAL)
			             : sb_filter_name(SB_FILTER_MIN_NOTIONAL);
		sb_dec_format_trim(m, min, sizeof min);
	}
	if (min[0])
		snprintf(why, sizeof why, "quote=%s %s the exchange's %s minimum of %s %s", quote,
		         pr->cfg.quote < m ? "is below" : "buys, rounded to the tick and step, less than",
		         filter, min, pr->rules.quote_asset);
	else if (res->open == SB_OPEN_TOO_SMALL)
		snprintf(why, sizeof why, "quote=%s buys less than the exchange's %s filter allows", quote,
		         filter);
	else
		snprintf(why, sizeof why, "the exchange's %s filter refuses its buy order (quote=%s)", filter,
		         quote);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "reason", res->open == SB_OPEN_TOO_SMALL ? "TOO_SMALL" : "FILTER");
	detail_str(&d, "filter", filter);
	detail_str(&d, "quote", quote);
	if (min[0])
		detail_str(&d, "min_notional", min);
	bot_event(b, "pair.buy_refused", pr->cfg.symbol, 0, NULL, detail_end(&d));
	detail_fini(&d);
	sb_log_error("engine",
	             SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_STR("filter", filter),
	                       SB_F_DEC("quote", pr->cfg.quote)),
	             "%s opens no new cycle: %s; nothing is sent until it is changed (spotbot pairs set %s "
	             "%s=...)",
	             pr->cfg.symbol, why, pr->cfg.symbol,
	             res->open == SB_OPEN_TOO_SMALL ? "quote" : "buy_offset");
	snprintf(key, sizeof key, "buy_refused:%s", pr->cfg.symbol);
	monitor_alert(b, SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, pr->cfg.symbol, key,
	              "%s opens no new cycle: %s", pr->cfg.symbol, why);
	bot_human(b, "%-8s no new cycle: %s", pr->cfg.symbol, why);
}

/* What the strategy decides pr on now: its open positions into sp (owners: their bot_pos, both
 * BOT_OPEN_MAX entries) and everything else into in. */
static void strategy_input(const struct sb_bot *b, const struct bot_pair *pr, int64_t now_ms,
                           struct sb_strategy_position *sp, struct bot_pos **owners,
                           struct sb_strategy_input *in)
{
	size_t n = 0;
	for (struct bot_pos *bp = pr->positions; bp && n < BOT_OPEN_MAX; bp = bp->next) {
		sp[n] = (struct sb_strategy_position){
		    .pos = &bp->p,
		    .buy = bp->p.state == SB_POSITION_BUYING && bp->buy.present ? &bp->buy.sm : NULL,
		    .sell = bp->p.state == SB_POSITION_SELLING && bp->sell.present ? &bp->sell.sm : NULL,
		    .buy_fills = bp->buys,
		    .nbuy_fills = bp->nbuys,
		    .exit_due = bp->exit_due};
		owners[n++] = bp;
	}
	bool fresh = prices_fresh(b, pr, now_ms);
	sb_dec limit = b->cfg->max_exposure;
	*in = (struct sb_strategy_input){.cfg = &pr->cfg,
	                                 .rules = &pr->rules,
	                                 .positions = sp,
	                                 .npositions = n,
	                                 .have_price = fresh,
	                                 .bid = fresh ? pr->top.bid : 0,
	                                 .ask = fresh ? pr->top.ask : 0,
	                                 .now_ms = now_ms,
	                                 .last_ended_ms = pr->last_ended_ms,
	                                 .last_stop_loss_ms = pr->last_stop_loss_ms,
	                                 .sell_fee_rate = pr->sell_fee,
	                                 .bnb_price = bot_bnb_price(b, pr),
	                                 .global = {.paused = b->paused,
	                                            .halted = !bot_may_trade(b),
	                                            .exposure = limit > 0 ? bot_exposure(b) : 0,
	                                            .exposure_limit = limit}};
}

/* Decides pr and carries out its actions: all of them, or (only not NULL) those for that position alone. */
static void decide(struct sb_bot *b, struct bot_pair *pr, const struct bot_pos *only, int64_t now_ms)
{
	if (b->closed || !pr->have_rules || b->state == BOT_STARTING || b->state == BOT_RECONCILING)
		return;
	struct sb_strategy_position sp[BOT_OPEN_MAX];
	struct bot_pos *owners[BOT_OPEN_MAX];
	struct sb_strategy_input in;
	strategy_input(b, pr, now_ms, sp, owners, &in);
	b->decisions++;
	size_t n = in.npositions;
	struct sb_action acts[SB_STRATEGY_ACTIONS(BOT_OPEN_MAX)];
	struct sb_strategy_result res;
	sb_err err = sb_strategy_decide(&in, acts, sizeof acts / sizeof acts[0], &res);
	if (err != SB_OK && err != SB_ERR_TOO_LONG) {
		sb_log_error("engine", SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_ERR(err)),
		             "decision failed");
		return;
	}
	report_stop_loss(b, pr, &res);
	report_buy_refused(b, pr, &res);
	for (size_t i = 0; i < res.n; i++) {
		const struct sb_action *a = &acts[i];
		struct bot_pos *bp = NULL;
		for (size_t k = 0; k < n && !bp; k++)
			if (owners[k]->p.id == a->position_id)
				bp = owners[k];
		if (only && bp != only)
			continue;
		if (a->kind != SB_ACT_OPEN && (!bp || (a->kind != SB_ACT_ALERT && busy(bp, now_ms))))
			continue;
		/* A new cycle waits for the user data stream, so its fills are followed as they happen;
		 * positions already open are still managed (their orders settle by query meanwhile). */
		if (a->kind == SB_ACT_OPEN && !sb_exchange_user_subscribed(b->ex))
			continue;
		/* After a rejected buy the pair waits before it tries a new cycle (orders.c, rejected_wait).
		 */
		if (a->kind == SB_ACT_OPEN && now_ms < pr->open_at_ms)
			continue;
		if (b->degraded || b->closed)
			return;
		switch (a->kind) {
		case SB_ACT_OPEN:
			orders_open(b, pr, a, now_ms);
			break;
		case SB_ACT_CANCEL_BUY:
			/* An exit decided while the buy still works goes on at market once the rest of the
			 * buy is off the book, as after a limit sell's cancel below: a bid back above the
			 * stop-loss line by then must not turn it into a limit sell at the target. */
			if (a->reason == SB_WHY_STOP_LOSS || a->reason == SB_WHY_MAX_DURATION)
				bp->exit_due = a->reason;
			orders_cancel(b, bp, &bp->buy,
			              a->reason == SB_WHY_BUY_TIMEOUT ? "buy timeout"
			                                              : sb_action_reason_name(a->reason));
			break;
		case SB_ACT_PLACE_SELL:
			orders_place_sell(b, bp, a, now_ms);
			break;
		case SB_ACT_CANCEL_SELL:
			/* The market exit goes on once the sell is off the book, wherever the bid is by then.
			 */
			bp->exit_due = a->reason;
			orders_cancel(b, bp, &bp->sell, sb_action_reason_name(a->reason));
			break;
		case SB_ACT_MARKET_SELL:
			orders_market_sell(b, bp, a, now_ms);
			break;
		case SB_ACT_ALERT:
			if (bnb_unpriced(b, pr, bp, a, now_ms))
				break;
			orders_alert(b, bp, a, now_ms);
			break;
		case SB_ACT_ABANDON:
			orders_abandon(b, bp, now_ms);
			break;
		}
		/* An action may have ended a position (abandon): it left the pair (its memory waits for the
		 * reap), so the rest of this plan is stale; the end marked the pair for the next step. */
		if (a->kind == SB_ACT_ABANDON)
			return;
	}
}

void engine_decide(struct sb_bot *b, struct bot_pair *pr, int64_t now_ms)
{
	decide(b, pr, NULL, now_ms);
}

void engine_decide_position(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms)
{
	decide(b, bp->pair, bp, now_ms);
}

/* Decides each marked pair at now_ms, once, then frees the positions that ended. */
static void step_at(struct sb_bot *b, int64_t now_ms)
{
	for (size_t i = 0; i < b->npairs && b->marked > 0 && !b->closed; i++) {
		struct bot_pair *pr = &b->pairs[i];
		if (!pr->decide)
			continue;
		pr->decide = false;
		b->marked--;
		engine_decide(b, pr, now_ms);
		if (pr->quote_ns) {
			monitor_decision_latency(b, sb_clock_mono_ns() - pr->quote_ns);
			pr->quote_ns = 0;
		}
	}
	orders_reap(b);
	/* Debug builds: the running total of the exposure still equals the positions it sums. */
	assert(bot_exposure(b) == bot_exposure_recount(b));
}

void engine_step(struct sb_bot *b)
{
	if (b->marked > 0 || b->reap) {
		b->tick_idle_until = 0; /* what changed may give the tick work again (tick_due.c) */
		step_at(b, bot_now_ms(b));
	}
}

void engine_on_dispatched(void *user)
{
	engine_step(user);
}

/* Besides the strategy's own thresholds, engine_decide holds actions back until a refused position's
 * retry_at_ms and a pair's open_at_ms: both end by time alone. Freshness is the price manager's. */
int64_t engine_next_due(const struct sb_bot *b, const struct bot_pair *pr, int64_t now_ms)
{
	if (b->closed || !pr->have_rules || b->state == BOT_STARTING || b->state == BOT_RECONCILING)
		return INT64_MAX;
	struct sb_strategy_position sp[BOT_OPEN_MAX];
	struct bot_pos *owners[BOT_OPEN_MAX];
	struct sb_strategy_input in;
	strategy_input(b, pr, now_ms, sp, owners, &in);
	int64_t due = bot_sooner(sb_strategy_next_due(&in), pr->open_at_ms, now_ms);
	for (size_t i = 0; i < in.npositions; i++)
		due = bot_sooner(due, owners[i]->retry_at_ms, now_ms);
	return due;
}

void engine_tick(struct sb_bot *b, int64_t now_ms)
{
	for (size_t i = 0; i < b->npairs; i++)
		bot_pair_mark(b, &b->pairs[i]);
	step_at(b, now_ms);
}

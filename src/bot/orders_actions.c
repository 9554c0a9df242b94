/*
 * orders_actions.c - the order manager's actions, as the strategy and the control API ask for them: a new
 * cycle with its buy, the limit sell at the target and the market exits, abandoning a position, and
 * alerts. Each writes its intent (order row, position, event) in one transaction before the request goes
 * out through orders.c. A sell decided for a position a buy's fill has just bought joins that fill's
 * transaction instead (b->txn) and leaves once it commits (orders.c, fill_txn_end). An action that ends a
 * position (abandon) hands it to orders.c's reap list: the caller may still read it until the step after the
 * dispatch frees it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/detail.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"
#include "spotbot/log.h"

static void order_row(struct sb_bot *b, const struct bot_pos *bp, enum sb_coid_leg leg, unsigned attempt,
                      const struct sb_action *a, enum sb_side side, int64_t now, struct sb_store_order *r)
{
	memset(r, 0, sizeof *r);
	(void)sb_coid_format_epoch(b->tag, b->coid_epoch, bp->p.id, leg, attempt, r->client_order_id,
	                           sizeof r->client_order_id, NULL);
	r->position_id = bp->p.id;
	snprintf(r->symbol, sizeof r->symbol, "%s", bp->p.symbol);
	r->side = side;
	r->type = a->type;
	r->tif = a->type == SB_ORDER_LIMIT ? SB_TIF_GTC : SB_TIF_NONE;
	r->price = a->type == SB_ORDER_LIMIT ? a->price : 0;
	r->orig_qty = a->qty;
	r->quote_qty = a->quote_qty;
	r->status = SB_ORDER_PENDING_NEW;
	r->created_ms = now;
	r->updated_ms = now;
}

static const char *intent_detail(const struct sb_store_order *r, struct sb_buf *d)
{
	detail_init(d);
	detail_str(d, "side", sb_side_name(r->side));
	detail_str(d, "type", sb_order_type_name(r->type));
	detail_dec(d, "price", r->price);
	detail_dec(d, "qty", r->orig_qty);
	detail_dec(d, "quote_qty", r->quote_qty);
	return detail_end(d);
}

void orders_open(struct sb_bot *b, struct bot_pair *pr, const struct sb_action *a, int64_t now_ms)
{
	struct sb_store_position row = {
	    .state = SB_POSITION_BUYING, .created_ms = now_ms, .updated_ms = now_ms};
	snprintf(row.symbol, sizeof row.symbol, "%s", pr->cfg.symbol);
	struct sb_store_event ev = {.time_ms = now_ms, .detail = "{\"reason\":\"NEW_CYCLE\"}"};
	snprintf(ev.kind, sizeof ev.kind, "position.buying");
	snprintf(ev.symbol, sizeof ev.symbol, "%s", pr->cfg.symbol);
	sb_err err = sb_store_position_insert(b->st, &row, &ev);
	if (err != SB_OK) {
		bot_degrade(b, err, "open a position");
		return;
	}
	struct bot_pos *bp = sb_xcalloc(1, sizeof *bp);
	bp->pair = pr;
	bp->cycle = row.cycle;
	if (sb_position_init(&bp->p, row.id, pr->cfg.symbol, pr->rules.base_asset, pr->rules.quote_asset,
	                     now_ms) != SB_OK) {
		orders_pos_free(bp);
		return;
	}
	bp->next = pr->positions;
	pr->positions = bp;
	struct sb_store_order r;
	order_row(b, bp, SB_COID_BUY, 0, a, SB_SIDE_BUY, now_ms, &r);
	bot_crashpoint(BOT_CRASH_BEFORE_INTENT_COMMIT);
	struct sb_buf d;
	struct sb_store_event oe = {
	    .time_ms = now_ms, .position_id = row.id, .detail = intent_detail(&r, &d)};
	snprintf(oe.kind, sizeof oe.kind, "order.intent");
	snprintf(oe.symbol, sizeof oe.symbol, "%s", r.symbol);
	snprintf(oe.client_order_id, sizeof oe.client_order_id, "%s", r.client_order_id);
	err = sb_store_order_insert_intent(b->st, &r, NULL, &oe);
	detail_fini(&d);
	if (err != SB_OK) {
		bot_degrade(b, err, "write a buy intent");
		return;
	}
	bot_crashpoint(BOT_CRASH_AFTER_INTENT_COMMIT);
	bp->buy.present = true;
	bp->buy.row = r;
	sb_order_sm_init(&bp->buy.sm, r.orig_qty, now_ms);
	bot_pos_exposure(b, bp);
	char s[2][SB_DEC_STRLEN];
	sb_dec_format_trim(r.orig_qty, s[0], sizeof s[0]);
	sb_dec_format_trim(r.price, s[1], sizeof s[1]);
	if (r.type == SB_ORDER_LIMIT)
		bot_human(b, "%-8s #%-4" PRId64 " buy  %s @ %s (limit, cycle %" PRId64 ")", r.symbol, row.id,
		          s[0], s[1], row.cycle);
	else
		bot_human(b, "%-8s #%-4" PRId64 " buy  at market (cycle %" PRId64 ")", r.symbol, row.id,
		          row.cycle);
	orders_send(b, bp, &bp->buy);
}

/* A market exit the strategy took on its own is worth telling the operator about. */
static void exit_alert(struct sb_bot *b, const struct bot_pos *bp, enum sb_position_exit exit,
                       const char *qty)
{
	char key[SB_ALERTS_KEY_MAX];
	if (exit == SB_EXIT_STOP_LOSS) {
		snprintf(key, sizeof key, "stop_loss:%s:%" PRId64, bp->p.symbol, bp->p.id);
		monitor_alert(b, SB_ALERT_STOP_LOSS, SB_ALERT_WARNING, bp->p.symbol, key,
		              "position %" PRId64 " of %s hit its stop-loss: selling %s at market", bp->p.id,
		              bp->p.symbol, qty);
	} else if (exit == SB_EXIT_MAX_DURATION) {
		snprintf(key, sizeof key, "position_held:%s:%" PRId64, bp->p.symbol, bp->p.id);
		monitor_alert(b, SB_ALERT_POSITION_HELD, SB_ALERT_WARNING, bp->p.symbol, key,
		              "position %" PRId64
		              " of %s held longer than max_duration: selling %s at market",
		              bp->p.id, bp->p.symbol, qty);
	}
}

static void place_exit(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a,
                       enum sb_position_exit exit, int64_t now)
{
	struct sb_position p = bp->p;
	sb_err err = SB_OK;
	if (exit == SB_EXIT_TARGET && p.sell_qty == 0)
		err = sb_position_set_plan(&p, &a->plan);
	if (err == SB_OK)
		err =
		    sb_position_sell_placed(&p, exit, a->type == SB_ORDER_LIMIT ? a->price : 0, a->qty, now);
	if (err != SB_OK) {
		sb_log_error("order", SB_FIELDS(SB_F_INT("position", p.id), SB_F_ERR(err)),
		             "sell of position %" PRId64 " refused by its state machine", p.id);
		bp->retry_at_ms = now + BOT_RETRY_MS;
		return;
	}
	bool limit = exit == SB_EXIT_TARGET;
	unsigned *attempt = limit ? &bp->sell_attempt : &bp->exit_attempt;
	struct sb_store_order r;
	order_row(b, bp, limit ? SB_COID_SELL : SB_COID_EXIT, *attempt, a, SB_SIDE_SELL, now, &r);
	struct sb_store_position prow;
	orders_pos_row(bp, &p, now, &prow);
	struct sb_buf d;
	struct sb_store_event oe = {.time_ms = now, .position_id = p.id, .detail = intent_detail(&r, &d)};
	snprintf(oe.kind, sizeof oe.kind, "order.intent");
	snprintf(oe.symbol, sizeof oe.symbol, "%s", r.symbol);
	snprintf(oe.client_order_id, sizeof oe.client_order_id, "%s", r.client_order_id);
	err = sb_store_order_insert_intent(b->st, &r, &prow, &oe);
	detail_fini(&d);
	if (err == SB_ERR_EXISTS) {
		(*attempt)++;
		return;
	}
	if (err != SB_OK) {
		bot_degrade(b, err, "write a sell intent");
		return;
	}
	if (!b->txn)
		bot_crashpoint(BOT_CRASH_AFTER_SELL_INTENT_COMMIT);
	(*attempt)++;
	bp->p = p;
	bot_pos_exposure(b, bp);
	bp->exit_due = SB_WHY_TARGET; /* a decided exit is under way (or a price set by hand replaced it) */
	memset(&bp->sell, 0, sizeof bp->sell);
	bp->sell.present = true;
	bp->sell.row = r;
	sb_order_sm_init(&bp->sell.sm, r.orig_qty, now);
	char s[2][SB_DEC_STRLEN], pct[SB_DEC_STRLEN];
	sb_dec_format_trim(r.orig_qty, s[0], sizeof s[0]);
	sb_dec_format_trim(r.price, s[1], sizeof s[1]);
	exit_alert(b, bp, exit, s[0]);
	if (limit && a->reason == SB_WHY_MANUAL)
		bot_human(b, "%-8s #%-4" PRId64 " sell %s @ %s (price set by hand)", r.symbol, p.id, s[0],
		          s[1]);
	else if (limit)
		bot_human(
		    b, "%-8s #%-4" PRId64 " sell %s @ %s (target +%s%%)", r.symbol, p.id, s[0], s[1],
		    (sb_dec_format_places(bp->pair->cfg.profit * 100, 2, SB_ROUND_HALF_EVEN, pct, sizeof pct),
		     pct));
	else
		bot_human(b, "%-8s #%-4" PRId64 " sell %s at market (%s)", r.symbol, p.id, s[0],
		          sb_position_exit_name(exit));
	/* Inside a buy's fill transaction the sell leaves once that commits (orders.c, fill_txn_end). */
	if (b->txn)
		bp->sell.unsent = true;
	else
		orders_send_sell(b, bp);
}

void orders_send_sell(struct sb_bot *b, struct bot_pos *bp)
{
	orders_send(b, bp, &bp->sell);
	if (!bp->fill_ns)
		return;
	uint64_t us = (sb_clock_now_mono_ns(b->clock) - bp->fill_ns) / 1000;
	bp->fill_ns = 0;
	b->sell_latency_n++;
	b->sell_latency_sum_us += us;
	if (us > b->sell_latency_max_us)
		b->sell_latency_max_us = us;
	monitor_fill_to_sell(b, bp->pair, us);
	const char *coid = bp->sell.row.client_order_id;
	sb_log_info("order",
	            SB_FIELDS(SB_F_STR("coid", coid), SB_F_UINT("fill_to_sell_us", us),
	                      SB_F_UINT("max_us", b->sell_latency_max_us)),
	            "sell %s sent %" PRIu64 " us after the buy's last fill (committed first)", coid, us);
	bot_human(b, "%-8s #%-4" PRId64 " fill -> sell request in %.2f ms", bp->p.symbol, bp->p.id,
	          (double)us / 1000.0);
}

void orders_place_sell(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a, int64_t now_ms)
{
	place_exit(b, bp, a, SB_EXIT_TARGET, now_ms);
}

void orders_market_sell(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a, int64_t now_ms)
{
	enum sb_position_exit exit = SB_EXIT_MAX_DURATION;
	if (a->reason == SB_WHY_STOP_LOSS)
		exit = SB_EXIT_STOP_LOSS;
	else if (a->reason == SB_WHY_MANUAL)
		exit = SB_EXIT_MANUAL;
	place_exit(b, bp, a, exit, now_ms);
}

void orders_abandon(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms)
{
	struct sb_position p = bp->p;
	if (sb_position_abandon(&p, true, now_ms) != SB_OK)
		return;
	char s[SB_DEC_STRLEN];
	sb_dec_format_trim(p.dust, s, sizeof s);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "reason", "DUST");
	detail_str(&d, "dust", s);
	sb_err err = orders_commit_position(b, bp, &p, "position.abandoned", detail_end(&d));
	detail_fini(&d);
	if (err != SB_OK)
		return;
	bot_human(b, "%-8s #%-4" PRId64 " abandoned: only dust (%s) left", p.symbol, p.id, s);
	orders_pos_remove(b, bp, now_ms, true);
}

/* Whether o may still be working on the exchange (on the book, or not yet settled by a query). */
static bool order_working(const struct bot_order *o)
{
	return o->present && !sb_order_state_is_final(o->sm.state);
}

sb_err orders_abandon_manual(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms)
{
	if (!b || !bp)
		return SB_ERR_INVALID;
	if (sb_position_state_is_final(bp->p.state) || bp->buy.inflight || bp->sell.inflight ||
	    bp->backfill_inflight || order_working(&bp->buy) || order_working(&bp->sell))
		return SB_ERR_STATE;
	struct sb_position p = bp->p;
	sb_err err = sb_position_abandon(&p, false, now_ms);
	if (err != SB_OK)
		return err;
	/* As commit_position, with the notes saying the coins were kept by hand. */
	struct sb_store_position prow;
	orders_pos_row(bp, &p, now_ms, &prow);
	snprintf(prow.notes, sizeof prow.notes, "abandoned by hand");
	struct sb_store_event ev = {
	    .time_ms = now_ms, .position_id = p.id, .detail = "{\"reason\":\"MANUAL\"}"};
	snprintf(ev.kind, sizeof ev.kind, "position.abandoned");
	snprintf(ev.symbol, sizeof ev.symbol, "%s", p.symbol);
	err = sb_store_position_update(b->st, &prow, &ev);
	if (err != SB_OK) {
		bot_degrade(b, err, "record a position change");
		return err;
	}
	bp->p = p;
	bot_pos_exposure(b, bp);
	sb_log_info("order", SB_FIELDS(SB_F_INT("position", p.id), SB_F_STR("symbol", p.symbol)),
	            "position %" PRId64 " abandoned by hand", p.id);
	bot_human(b, "%-8s #%-4" PRId64 " abandoned by hand", p.symbol, p.id);
	orders_pos_remove(b, bp, now_ms, true);
	return SB_OK;
}

sb_err orders_sell_plan(const struct sb_bot *b, const struct bot_pos *bp, struct sb_sell_plan *out)
{
	if (!b || !bp || !out)
		return SB_ERR_INVALID;
	const struct bot_pair *pr = bp->pair;
	if (!pr->have_rules)
		return SB_ERR_STATE;
	/* The same inputs the strategy plans its sell with; no reference price: the percent filters are
	 * the caller's to check at its own price. */
	struct sb_profit_params params = {.bnb_price = bot_bnb_price(b, pr),
	                                  .sell_fee_rate = pr->sell_fee,
	                                  .target_profit = pr->cfg.profit};
	sb_err err = sb_profit_plan_sell(&pr->rules, bp->buys, bp->nbuys, &params, out);
	if ((err == SB_ERR_FILTER || err == SB_ERR_DUST) && out->min_sell_price > 0)
		err = SB_OK; /* the price is known; whether the order passes is checked at its own price */
	return err;
}

void orders_alert(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a, int64_t now_ms)
{
	struct sb_buf d;
	detail_init(&d);
	if (a->reason == SB_WHY_MAX_DURATION) {
		struct sb_position p = bp->p;
		p.duration_alerted = true;
		detail_str(&d, "reason", "MAX_DURATION");
		detail_i64(&d, "held_ms", a->held_ms);
		sb_err err = orders_commit_position(b, bp, &p, "alert", detail_end(&d));
		detail_fini(&d);
		if (err != SB_OK)
			return;
		char key[SB_ALERTS_KEY_MAX], held[32];
		snprintf(key, sizeof key, "position_held:%s:%" PRId64, p.symbol, p.id);
		orders_fmt_duration(a->held_ms, held, sizeof held);
		monitor_alert(b, SB_ALERT_POSITION_HELD, SB_ALERT_WARNING, p.symbol, key,
		              "position %" PRId64 " of %s held for %s, longer than its max_duration", p.id,
		              p.symbol, held);
		bot_human(b, "%-8s #%-4" PRId64 " ALERT held longer than max_duration", p.symbol, p.id);
		return;
	}
	bp->retry_at_ms = now_ms + BOT_RETRY_MS;
	if (bp->alert_at_ms + 60000 > now_ms)
		return;
	bp->alert_at_ms = now_ms;
	detail_str(&d, "reason", sb_action_reason_name(a->reason));
	detail_str(&d, "error", sb_errname(a->error));
	detail_str(&d, "filter", sb_filter_name(a->filter));
	bot_event(b, "alert", bp->p.symbol, bp->p.id, NULL, detail_end(&d));
	detail_fini(&d);
	char key[SB_ALERTS_KEY_MAX];
	snprintf(key, sizeof key, "sell_refused:%s:%" PRId64, bp->p.symbol, bp->p.id);
	monitor_alert(b, SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, bp->p.symbol, key,
	              "position %" PRId64 " of %s: the sell cannot be placed (%s, %s, filter %s); retrying",
	              bp->p.id, bp->p.symbol, sb_action_reason_name(a->reason), sb_errname(a->error),
	              sb_filter_name(a->filter));
}

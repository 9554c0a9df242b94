/*
 * orders.c - the order manager: intents committed before they are sent, placement answers, execution
 * reports and queries applied to the order and position state machines, one transaction per event.
 *
 * Every change is made on copies of the order machine and the position, committed to the store (the
 * fill, the order and the position in one transaction), and only then adopted in memory, so memory never
 * runs ahead of the database. A buy's fill is the one exception to one commit per change: the fill, the
 * position's move to HOLDING when it completes the buy, and the sell decided for it at once are written
 * in one store transaction and committed together (one fsync on the way from the fill to the sell), and
 * the sell leaves only after that commit; memory adopts each write as it is made, and a failed commit
 * degrades the daemon. A fill is identified by its order and its trade id: the two orders of a
 * self-trade carry the same trade id. A fill seen twice (stream and REST) is refused by the position's
 * memory (per side, where a trade id is unique: two orders of one side never trade with each other), by
 * the store's unique index on (symbol, order, trade id), and myTrades rows are matched to the order by its
 * orderId; a duplicate changes nothing. An order whose outcome is unknown (timeout, 5xx, an unsent
 * request) is settled by a query by clientOrderId, retried with back-off; an ended order whose fills are
 * missing has them fetched from myTrades before its position moves on. An acknowledged order the exchange
 * no longer knows (-2013) has its trades fetched once more and then ends LOST, so its position is
 * settled, never queried forever. Orders carry a self-trade prevention mode chosen so that an exit never
 * yields to an entry (docs/strategy.md).
 *
 * Nothing here decides: a position that moves on (bought, holding again, ended) marks its pair, and the
 * strategy step after the dispatch (engine.c) places what follows. The position a buy's fill has just
 * bought is the exception: its pair is decided for it alone inside the fill's transaction
 * (engine_decide_position), so its sell is committed with the fill. An ended position is unlinked from its
 * pair at once but freed only from the reap list by that step, so no caller up the stack is left holding
 * freed memory.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/detail.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"
#include "spotbot/log.h"

/* Context of one REST call about one order. */
struct order_call {
	struct sb_bot *b;                  /* the daemon */
	int64_t pos_id;                    /* the position */
	char coid[SB_STORE_CLIENT_ID_MAX]; /* the order */
	bool step;                         /* counts in b->step_pending (start-up reconciliation) */
};

/* ---- conversions ----------------------------------------------------------------------------------------
 */

static enum sb_order_state store_status(const struct sb_order_sm *sm)
{
	if (sm->cancel_requested && sb_order_state_is_open(sm->state))
		return SB_ORDER_PENDING_CANCEL;
	return sm->state;
}

static void sm_from_row(const struct sb_store_order *r, struct sb_order_sm *sm)
{
	memset(sm, 0, sizeof *sm);
	switch (r->status) {
	case SB_ORDER_PENDING_CANCEL:
		sm->state = r->executed_qty > 0 ? SB_ORDER_PARTIALLY_FILLED : SB_ORDER_NEW;
		sm->cancel_requested = true;
		break;
	default:
		sm->state = r->status;
	}
	sm->orig_qty = r->orig_qty;
	sm->executed_qty = r->executed_qty;
	sm->cum_quote_qty = r->cumm_quote_qty;
	sm->exchange_id = r->exchange_order_id;
	sm->updated_ms = r->updated_ms;
}

static void row_from_sm(struct sb_store_order *r, const struct sb_order_sm *sm, int64_t now)
{
	r->status = store_status(sm);
	r->exchange_order_id = sm->exchange_id;
	r->executed_qty = sm->executed_qty;
	r->cumm_quote_qty = sm->cum_quote_qty;
	r->updated_ms = now;
}

static void add_commission(struct sb_store_position *r, const char *asset, sb_dec amount)
{
	if (amount == 0 || !asset[0])
		return;
	for (size_t i = 0; i < SB_STORE_COMMISSIONS_MAX; i++) {
		struct sb_store_commission *c = &r->commissions[i];
		if (c->asset[0] && strcmp(c->asset, asset) != 0)
			continue;
		snprintf(c->asset, sizeof c->asset, "%s", asset);
		c->amount += amount;
		return;
	}
}

void orders_pos_row(const struct bot_pos *bp, const struct sb_position *p, int64_t now,
                    struct sb_store_position *r)
{
	memset(r, 0, sizeof *r);
	r->id = p->id;
	snprintf(r->symbol, sizeof r->symbol, "%s", p->symbol);
	r->cycle = bp->cycle;
	r->state = p->state;
	r->created_ms = p->created_ms;
	r->updated_ms = now;
	r->opened_ms = p->opened_ms;
	r->closed_ms = p->ended_ms;
	r->buy_qty = p->buy_qty;
	r->cost_quote = p->cost_quote > 0 ? p->cost_quote : p->buy_quote + p->buy_fee.quote;
	r->base_received = p->buy_qty - p->buy_fee.base;
	r->sell_qty = p->planned_qty;
	r->sold_qty = p->sell_qty;
	r->sell_price_target = p->target_price;
	r->proceeds = p->sell_quote;
	r->realised_profit = p->realized_profit;
	r->dust_qty = p->dust;
	add_commission(r, p->base_asset, p->buy_fee.base + p->sell_fee.base);
	add_commission(r, p->quote_asset, p->buy_fee.quote + p->sell_fee.quote);
	add_commission(r, "BNB", p->buy_fee.bnb + p->sell_fee.bnb);
	r->exit = p->exit;
	r->duration_alerted = p->duration_alerted;
}

static struct sb_fill fill_of(const struct sb_store_fill *f)
{
	struct sb_fill x = {.price = f->price,
	                    .qty = f->qty,
	                    .quote_qty = f->quote_qty,
	                    .commission = f->commission,
	                    .trade_id = f->trade_id};
	snprintf(x.commission_asset, sizeof x.commission_asset, "%s", f->commission_asset);
	return x;
}

/* ---- the in-memory model ----------------------------------------------------------------------------- */

struct bot_pos *orders_pos_find(struct sb_bot *b, int64_t id)
{
	for (size_t i = 0; i < b->npairs; i++)
		for (struct bot_pos *bp = b->pairs[i].positions; bp; bp = bp->next)
			if (bp->p.id == id)
				return bp;
	return NULL;
}

struct bot_order *orders_find(struct bot_pos *bp, const char *coid)
{
	if (bp->buy.present && strcmp(bp->buy.row.client_order_id, coid) == 0)
		return &bp->buy;
	if (bp->sell.present && strcmp(bp->sell.row.client_order_id, coid) == 0)
		return &bp->sell;
	return NULL;
}

static bool fill_known(const struct bot_pos *bp, enum sb_side side, int64_t trade_id)
{
	const struct sb_fill *v = side == SB_SIDE_BUY ? bp->buys : bp->sells;
	size_t n = side == SB_SIDE_BUY ? bp->nbuys : bp->nsells;
	for (size_t i = 0; i < n; i++)
		if (v[i].trade_id == trade_id)
			return true;
	return false;
}

static void fill_push(struct bot_pos *bp, enum sb_side side, const struct sb_fill *f)
{
	struct sb_fill **v = side == SB_SIDE_BUY ? &bp->buys : &bp->sells;
	size_t *n = side == SB_SIDE_BUY ? &bp->nbuys : &bp->nsells;
	if (*n >= BOT_FILLS_MAX)
		return;
	*v = sb_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = *f;
}

void orders_pos_free(struct bot_pos *bp)
{
	if (!bp)
		return;
	free(bp->buys);
	free(bp->sells);
	free(bp);
}

/*
 * Drops an ended position from its pair; cooldown: its end starts the pair's cooldown. Its memory is not
 * freed here: callers up the stack (the dispatch that ended it, the strategy's action loop, a manual
 * action) may still hold it, so it waits on the reap list until the step after the dispatch.
 */
void orders_pos_remove(struct sb_bot *b, struct bot_pos *bp, int64_t now, bool cooldown)
{
	struct bot_pair *pr = bp->pair;
	for (struct bot_pos **pp = &pr->positions; *pp; pp = &(*pp)->next) {
		if (*pp == bp) {
			*pp = bp->next;
			break;
		}
	}
	if (cooldown)
		pr->last_ended_ms = now;
	if (cooldown && bp->p.exit == SB_EXIT_STOP_LOSS)
		pr->last_stop_loss_ms = now;
	bp->ended = true;
	bot_pos_exposure(b, bp);
	bp->next = b->reap;
	b->reap = bp;
	bot_pair_mark(b, pr);
}

/* Frees a list of positions linked by next. */
static void free_list(struct bot_pos *bp)
{
	while (bp) {
		struct bot_pos *next = bp->next;
		orders_pos_free(bp);
		bp = next;
	}
}

void orders_reap(struct sb_bot *b)
{
	struct bot_pos *list = b->reap;
	b->reap = NULL;
	free_list(list);
}

void orders_free_all(struct sb_bot *b)
{
	for (size_t i = 0; i < b->npairs; i++) {
		free_list(b->pairs[i].positions);
		b->pairs[i].positions = NULL;
	}
	orders_reap(b);
	bot_exposure_reset(b);
}

/* ---- loading ------------------------------------------------------------------------------------------ */

/* Loads one order row into its slot of bp, with its fills. */
static sb_err load_order(struct sb_bot *b, struct bot_pos *bp, const struct sb_store_order *r,
                         struct sb_store_fill **bfills, size_t *nb, struct sb_store_fill **sfills, size_t *ns)
{
	struct sb_coid id;
	if (sb_coid_parse(r->client_order_id, strlen(r->client_order_id), &id) != SB_OK)
		return SB_OK;
	struct bot_order *slot = NULL;
	if (id.leg == SB_COID_BUY) {
		if (!bp->buy.present)
			slot = &bp->buy;
	} else {
		unsigned *next = id.leg == SB_COID_SELL ? &bp->sell_attempt : &bp->exit_attempt;
		if (id.attempt + 1 > *next)
			*next = id.attempt + 1;
		if (!bp->sell.present || r->created_ms > bp->sell.row.created_ms)
			slot = &bp->sell;
	}
	struct sb_store_fill *rows = NULL;
	size_t n = 0;
	sb_err err = sb_store_fill_list(b->st, r->client_order_id, &rows, &n);
	if (err != SB_OK)
		return err;
	sb_dec filled = 0, filled_quote = 0;
	for (size_t i = 0; i < n; i++) {
		struct sb_store_fill **v = r->side == SB_SIDE_BUY ? bfills : sfills;
		size_t *cnt = r->side == SB_SIDE_BUY ? nb : ns;
		*v = sb_xrealloc(*v, (*cnt + 1) * sizeof **v);
		(*v)[(*cnt)++] = rows[i];
		filled += rows[i].qty;
		filled_quote += rows[i].quote_qty;
	}
	free(rows);
	if (slot) {
		memset(slot, 0, sizeof *slot);
		slot->present = true;
		slot->row = *r;
		sm_from_row(r, &slot->sm);
		slot->filled = filled;
		slot->filled_quote = filled_quote;
		slot->unknown_outcome = sb_order_state_is_unsettled(slot->sm.state);
		/* Anything not known to be settled is queried during reconciliation. */
		if (!sb_order_state_is_final(slot->sm.state))
			slot->query_at_ms = 0;
	}
	return SB_OK;
}

static int cmp_fill_time(const void *a, const void *b)
{
	const struct sb_store_fill *x = a, *y = b;
	if (x->time_ms != y->time_ms)
		return x->time_ms < y->time_ms ? -1 : 1;
	return x->trade_id < y->trade_id ? -1 : x->trade_id > y->trade_id;
}

static sb_err load_position(struct sb_bot *b, struct bot_pair *pr, const struct sb_store_position *row)
{
	struct bot_pos *bp = sb_xcalloc(1, sizeof *bp);
	bp->pair = pr;
	bp->cycle = row->cycle;
	sb_err err = sb_position_init(&bp->p, row->id, row->symbol, pr->rules.base_asset,
	                              pr->rules.quote_asset, row->created_ms);
	if (err != SB_OK) {
		orders_pos_free(bp);
		return err;
	}
	struct sb_store_order_filter f = {.position_id = row->id};
	struct sb_store_order *orders = NULL;
	size_t n = 0;
	err = sb_store_order_list(b->st, &f, &orders, &n);
	struct sb_store_fill *bf = NULL, *sf = NULL;
	size_t nb = 0, ns = 0;
	for (size_t i = 0; err == SB_OK && i < n; i++)
		err = load_order(b, bp, &orders[i], &bf, &nb, &sf, &ns);
	free(orders);
	if (err == SB_OK) {
		if (nb > 1)
			qsort(bf, nb, sizeof *bf, cmp_fill_time);
		if (ns > 1)
			qsort(sf, ns, sizeof *sf, cmp_fill_time);
		for (size_t i = 0; i < nb; i++) {
			struct sb_fill x = fill_of(&bf[i]);
			if (sb_position_apply_buy_fill(&bp->p, &x, bf[i].time_ms) == SB_OK)
				fill_push(bp, SB_SIDE_BUY, &x);
		}
		enum sb_position_state st = row->state;
		bp->p.state = SB_POSITION_SELLING;
		for (size_t i = 0; i < ns; i++) {
			struct sb_fill x = fill_of(&sf[i]);
			if (sb_position_apply_sell_fill(&bp->p, &x, sf[i].time_ms) == SB_OK)
				fill_push(bp, SB_SIDE_SELL, &x);
		}
		bp->p.state = st;
		bp->p.opened_ms = row->opened_ms;
		bp->p.cost_quote = row->sell_price_target > 0 ? row->cost_quote : 0;
		bp->p.target_price = row->sell_price_target;
		bp->p.planned_qty = row->sell_qty;
		bp->p.dust = row->dust_qty;
		bp->p.exit = row->exit;
		bp->p.duration_alerted = row->duration_alerted;
		if (st == SB_POSITION_SELLING)
			bp->p.sell_placed_ms = row->updated_ms;
		/* A sell slot holding an ended order of a HOLDING position is history, not the current sell.
		 */
		if (st != SB_POSITION_SELLING && bp->sell.present &&
		    sb_order_state_is_final(bp->sell.sm.state))
			bp->sell.present = false;
	}
	free(bf);
	free(sf);
	if (err != SB_OK) {
		orders_pos_free(bp);
		return err;
	}
	bp->next = pr->positions;
	pr->positions = bp;
	bot_pos_exposure(b, bp);
	return SB_OK;
}

sb_err orders_load(struct sb_bot *b)
{
	orders_free_all(b);
	SB_TRY(sb_store_coid_epoch(b->st, &b->coid_epoch));
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	sb_err err = sb_store_position_list(b->st, &f, &rows, &n);
	if (err != SB_OK)
		return err;
	size_t loaded = 0;
	/* Oldest first, so each pair's list ends up newest first. */
	for (size_t i = n; err == SB_OK && i-- > 0;) {
		struct bot_pair *pr = bot_pair_find(b, rows[i].symbol);
		if (!pr || !pr->have_rules) {
			sb_log_warn(
			    "order",
			    SB_FIELDS(SB_F_STR("symbol", rows[i].symbol), SB_F_INT("position", rows[i].id)),
			    "open position %" PRId64
			    " of %s is not managed: the pair is not configured or not "
			    "listed",
			    rows[i].id, rows[i].symbol);
			continue;
		}
		err = load_position(b, pr, &rows[i]);
		loaded++;
	}
	free(rows);
	if (err == SB_OK)
		sb_log_info("order", SB_FIELDS(SB_F_UINT("positions", loaded)), "loaded %zu open positions",
		            loaded);
	return err;
}

/* ---- applying events ---------------------------------------------------------------------------------- */

static void dec_str(sb_dec v, char *buf, size_t cap)
{
	sb_dec_format_trim(v, buf, cap);
}

/* The metrics outcome of a final order state (NEVER_SENT: it was never placed, counted as rejected). */
static enum mon_outcome outcome_of(enum sb_order_state s)
{
	switch (s) {
	case SB_ORDER_FILLED:
		return MON_ORDER_FILLED;
	case SB_ORDER_CANCELED:
		return MON_ORDER_CANCELED;
	case SB_ORDER_EXPIRED:
	case SB_ORDER_EXPIRED_IN_MATCH:
		return MON_ORDER_EXPIRED;
	case SB_ORDER_LOST:
		return MON_ORDER_LOST;
	default:
		return MON_ORDER_REJECTED;
	}
}

/* The event of a fill: kind "fill" and the fill's price, quantity and the order's totals after it. */
static void fill_detail(struct sb_buf *d, struct sb_store_event *sev, const char *source, enum sb_side side,
                        const struct sb_fill *f, const struct sb_order_sm *sm)
{
	snprintf(sev->kind, sizeof sev->kind, "fill");
	detail_str(d, "source", source);
	detail_str(d, "side", sb_side_name(side));
	detail_i64(d, "trade_id", f->trade_id);
	detail_dec(d, "price", f->price);
	detail_dec(d, "qty", f->qty);
	detail_str(d, "status", sb_order_state_name(sm->state));
	detail_dec(d, "executed", sm->executed_qty);
	detail_dec(d, "cum_quote", sm->cum_quote_qty);
}

/* The event of an order update without a fill: kind "order.<state>" and the order's totals. */
static void update_detail(struct sb_buf *d, struct sb_store_event *sev, const char *source,
                          const struct sb_order_event *ev, const struct sb_order_sm *sm)
{
	/* Event kinds are lowercase ("order.filled"); state names are stored upper case. */
	int k = snprintf(sev->kind, sizeof sev->kind, "order.");
	for (const char *c = sb_order_state_name(sm->state); *c && (size_t)k + 1 < sizeof sev->kind; c++)
		sev->kind[k++] = (char)tolower((unsigned char)*c);
	sev->kind[k] = '\0';
	detail_str(d, "source", source);
	detail_str(d, "event", ev ? sb_order_event_name(ev->kind) : "FILL");
	detail_str(d, "status", sb_order_state_name(sm->state));
	detail_dec(d, "executed", sm->executed_qty);
	detail_dec(d, "cum_quote", sm->cum_quote_qty);
	detail_i64(d, "order_id", sm->exchange_id);
}

/*
 * Records the order row with its event, and the fill with the position when *with_fill. A fill recorded
 * before (a restart lost the memory of it) clears *with_fill: the order row may still move on, and when it
 * did not either there is nothing to record (SB_ERR_EXISTS).
 */
static sb_err record(struct sb_bot *b, const struct sb_store_fill *fill, struct sb_store_order *row,
                     const struct sb_store_position *prow, const struct sb_store_event *sev, bool changed,
                     bool *with_fill)
{
	if (!*with_fill)
		return sb_store_order_update(b->st, row, NULL, sev);
	struct sb_store_fill sf = *fill;
	snprintf(sf.client_order_id, sizeof sf.client_order_id, "%s", row->client_order_id);
	sb_err err = sb_store_fill_apply(b->st, &sf, row, prow, sev);
	if (err != SB_ERR_EXISTS)
		return err;
	*with_fill = false;
	return changed ? sb_store_order_update(b->st, row, NULL, sev) : SB_ERR_EXISTS;
}

/*
 * Applies an order event (ev may be NULL: a fill only) and a fill (may be NULL) to order o of bp: copies,
 * one transaction, then adoption. SB_OK when committed or when there was nothing new.
 */
static sb_err apply(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o,
                    const struct sb_order_event *ev, const struct sb_store_fill *fill, const char *source)
{
	int64_t now = bot_now_ms(b);
	struct sb_order_sm sm = o->sm;
	bool changed = false;
	if (ev) {
		sb_err e = sb_order_apply(&sm, ev);
		if (e == SB_OK) {
			changed = true;
		} else if (e != SB_ERR_EXISTS) {
			sb_log_info("order",
			            SB_FIELDS(SB_F_STR("coid", o->row.client_order_id), SB_F_ERR(e),
			                      SB_F_STR("event", sb_order_event_name(ev->kind)),
			                      SB_F_STR("state", sb_order_state_name(o->sm.state)),
			                      SB_F_STR("source", source)),
			            "order event %s ignored in state %s", sb_order_event_name(ev->kind),
			            sb_order_state_name(o->sm.state));
			if (!fill)
				return e;
		}
	}
	if (sm.state == SB_ORDER_NEVER_SENT && o->sm.state != SB_ORDER_NEVER_SENT)
		changed = true;
	struct sb_position p = bp->p;
	bool with_fill = false;
	struct sb_fill f;
	enum sb_side side = o->row.side;
	if (fill && !fill_known(bp, side, fill->trade_id)) {
		f = fill_of(fill);
		sb_err e = side == SB_SIDE_BUY ? sb_position_apply_buy_fill(&p, &f, fill->time_ms)
		                               : sb_position_apply_sell_fill(&p, &f, fill->time_ms);
		if (e == SB_OK)
			with_fill = true;
		else if (e != SB_ERR_EXISTS)
			sb_log_error("order",
			             SB_FIELDS(SB_F_STR("coid", o->row.client_order_id),
			                       SB_F_INT("trade_id", fill->trade_id), SB_F_ERR(e),
			                       SB_F_STR("position_state", sb_position_state_name(p.state))),
			             "fill %" PRId64 " refused by position %" PRId64, fill->trade_id, p.id);
	}
	if (!changed && !with_fill)
		return SB_OK;
	struct sb_store_order row = o->row;
	row_from_sm(&row, &sm, now);
	struct sb_store_position prow;
	orders_pos_row(bp, &p, now, &prow);
	struct sb_store_event sev = {.time_ms = now, .position_id = p.id};
	snprintf(sev.symbol, sizeof sev.symbol, "%s", p.symbol);
	snprintf(sev.client_order_id, sizeof sev.client_order_id, "%s", row.client_order_id);
	struct sb_buf d;
	detail_init(&d);
	if (with_fill)
		fill_detail(&d, &sev, source, side, &f, &sm);
	else
		update_detail(&d, &sev, source, ev, &sm);
	sev.detail = detail_end(&d);
	sb_err err = record(b, fill, &row, &prow, &sev, changed, &with_fill);
	detail_fini(&d);
	if (err == SB_ERR_EXISTS)
		return SB_OK;
	if (err != SB_OK) {
		bot_degrade(b, err, "record an order update");
		return err;
	}
	if (with_fill && side == SB_SIDE_BUY && !b->txn)
		bot_crashpoint(BOT_CRASH_AFTER_FILL_COMMIT);
	if (sb_order_state_is_final(sm.state) && !sb_order_state_is_final(o->sm.state))
		monitor_order(b, bp->pair, side, outcome_of(sm.state));
	if (with_fill)
		monitor_fill(b, bp->pair, side);
	o->sm = sm;
	o->row = row;
	if (with_fill) {
		bp->p = p;
		o->filled += f.qty;
		o->filled_quote += f.quote_qty;
		fill_push(bp, side, &f);
		char s[4][SB_DEC_STRLEN];
		dec_str(sm.executed_qty, s[0], sizeof s[0]);
		dec_str(f.price, s[2], sizeof s[2]);
		dec_str(f.qty, s[3], sizeof s[3]);
		bot_human(b, "%-8s #%-4" PRId64 " %s filled %s @ %s (%s of %s)", p.symbol, p.id,
		          side == SB_SIDE_BUY ? "buy " : "sell", s[3], s[2], s[0],
		          row.orig_qty > 0 ? (dec_str(row.orig_qty, s[1], sizeof s[1]), s[1])
		                           : "quote amount");
	}
	bot_pos_exposure(b, bp);
	return SB_OK;
}

/* ---- a buy's fill and its sell: one commit ------------------------------------------------------------ */

/*
 * Opens the transaction the writes after a buy's fill join (apply, settle_buying, the sell's intent), so
 * the fill with its order and event, the position's move to HOLDING and the sell intent with the position
 * SELLING are committed together, with one durable commit. False when none is opened: a sell fill, one
 * already open, or a store that cannot begin one (then every write commits, or fails, on its own).
 */
static bool fill_txn_begin(struct sb_bot *b, const struct bot_order *o)
{
	if (o->row.side != SB_SIDE_BUY || b->txn || b->degraded || b->closed)
		return false;
	if (sb_store_begin(b->st) != SB_OK)
		return false;
	b->txn = true;
	return true;
}

/*
 * Ends the transaction of a buy's fill: a position the fill bought (was: its state before) has its sell
 * decided now, inside it; then the commit, and only once it is durable the sell leaves ("persist before
 * you act"). Memory took each write as it was made; should the commit fail, it holds what the database
 * does not: the daemon degrades (no order goes out until a restart reloads the database) and the sell
 * stays unsent.
 */
static void fill_txn_end(struct sb_bot *b, struct bot_pos *bp, enum sb_position_state was)
{
	if (was == SB_POSITION_BUYING && bp->p.state == SB_POSITION_HOLDING && !bp->ended)
		engine_decide_position(b, bp, bot_now_ms(b));
	bot_crashpoint(BOT_CRASH_BEFORE_FILL_COMMIT);
	b->txn = false;
	bool unsent = bp->sell.unsent;
	bp->sell.unsent = false;
	sb_err err = sb_store_commit(b->st);
	if (err != SB_OK) {
		bot_degrade(b, err, "record a buy's fill and its sell");
		return;
	}
	bot_crashpoint(BOT_CRASH_AFTER_FILL_COMMIT);
	if (unsent && !b->degraded && !b->closed)
		orders_send_sell(b, bp);
}

/* ---- REST calls ---------------------------------------------------------------------------------------- */

static struct order_call *call_new(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o)
{
	struct order_call *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->pos_id = bp->p.id;
	snprintf(c->coid, sizeof c->coid, "%s", o->row.client_order_id);
	return c;
}

/* Finds the call's order again; NULL when the daemon is closing or the position is gone. */
static struct bot_order *call_enter(struct order_call *c, struct bot_pos **bpp)
{
	struct sb_bot *b = c->b;
	b->inflight--;
	if (b->closed)
		return NULL;
	struct bot_pos *bp = orders_pos_find(b, c->pos_id);
	struct bot_order *o = bp ? orders_find(bp, c->coid) : NULL;
	if (o)
		o->inflight = false;
	*bpp = bp;
	return o;
}

static void set_error(struct bot_order *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the last error text of an order (cut to fit), written with its next update. */
static void set_error(struct bot_order *o, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->row.last_error, sizeof o->row.last_error, fmt, ap);
	va_end(ap);
}

static bool is_duplicate(const struct sb_bn_rest_result *res)
{
	return res->api.code == -2010 && strstr(res->api.msg, "uplicate") != NULL;
}

/*
 * How long after a rejected order its next attempt waits: BOT_RETRY_MS, doubled with every rejection in a
 * row (the position's sells, or the pair's buys), at most BOT_RETRY_MAX_MS. A rejection the exchange
 * repeats (a balance that does not cover the order, coins sold elsewhere) is then retried ever more rarely
 * instead of every few seconds; and a rejected buy, whose position ends at once, does not start a new cycle
 * (sending the same buy again) at the next decision: new cycles of the pair wait as long.
 */
static int64_t rejected_wait(struct bot_pos *bp, enum sb_side side, int64_t now)
{
	unsigned *n = side == SB_SIDE_BUY ? &bp->pair->rejected : &bp->rejected;
	int64_t wait = BOT_RETRY_MS;
	for (unsigned i = 0; i < *n && wait < BOT_RETRY_MAX_MS; i++)
		wait *= 2;
	if (wait > BOT_RETRY_MAX_MS)
		wait = BOT_RETRY_MAX_MS;
	(*n)++;
	if (side == SB_SIDE_BUY)
		bp->pair->open_at_ms = now + wait;
	return wait;
}

static void on_placed(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	struct order_call *c = user;
	struct sb_bot *b = c->b;
	struct bot_pos *bp = NULL;
	struct bot_order *o = call_enter(c, &bp);
	if (!o) {
		free(c);
		return;
	}
	/* Held on the stack from here: a crash point that returns to a simulation by longjmp leaks nothing.
	 */
	struct order_call call = *c;
	free(c);
	c = &call;
	bot_crashpoint(o->row.side == SB_SIDE_BUY ? BOT_CRASH_AFTER_SEND : BOT_CRASH_AFTER_SELL_SEND);
	int64_t now = bot_now_ms(b);
	enum sb_position_state was = bp->p.state;
	bool txn = false;
	if (res->err == SB_OK && order) {
		txn = order->n_fills > 0 && fill_txn_begin(b, o);
		/* A buy that met the account's own order is no accepted one (see settle_buying). */
		if (o->row.side == SB_SIDE_BUY && order->status != SB_ORDER_EXPIRED_IN_MATCH)
			bp->pair->rejected = 0;
		else
			bp->rejected = 0;
		enum sb_order_state st =
		    sb_order_status_reportable(order->status) == SB_OK ? order->status : SB_ORDER_NEW;
		sb_dec cum = 0, cumq = 0;
		for (size_t i = 0; i < order->n_fills; i++) {
			const struct sb_fill *x = &order->fills[i];
			bool last = i + 1 == order->n_fills;
			/* A FULL response's fills carry no quote amount: store price * qty, rounded as the
			 * profit calculator values a missing amount (costs up, proceeds down), so the row
			 * agrees with the exchange's myTrades and a recovered position values it the same. */
			sb_dec quote = x->quote_qty;
			if (quote <= 0 && sb_dec_mul(x->price, x->qty,
			                             o->row.side == SB_SIDE_BUY ? SB_ROUND_UP : SB_ROUND_DOWN,
			                             &quote) != SB_OK)
				quote = 0;
			cum += x->qty;
			cumq += quote;
			struct sb_order_event ev = {.kind = SB_ORDER_EV_ACK,
			                            .status = last ? st : SB_ORDER_PARTIALLY_FILLED,
			                            .executed_qty = last ? order->executed_qty : cum,
			                            .cum_quote_qty = last ? order->cum_quote_qty : cumq,
			                            .exchange_id = order->order_id,
			                            .time_ms = now};
			struct sb_store_fill sf = {.trade_id = x->trade_id,
			                           .price = x->price,
			                           .qty = x->qty,
			                           .quote_qty = quote,
			                           .commission = x->commission,
			                           .time_ms =
			                               order->transact_time > 0 ? order->transact_time : now};
			snprintf(sf.symbol, sizeof sf.symbol, "%s", o->row.symbol);
			snprintf(sf.commission_asset, sizeof sf.commission_asset, "%s", x->commission_asset);
			if (o->row.side == SB_SIDE_BUY)
				bp->fill_ns = sb_clock_now_mono_ns(b->clock);
			if (apply(b, bp, o, &ev, &sf, "response") != SB_OK && b->degraded)
				break;
		}
		if (order->n_fills == 0) {
			struct sb_order_event ev = {.kind = SB_ORDER_EV_ACK,
			                            .status = st,
			                            .executed_qty = order->executed_qty,
			                            .cum_quote_qty = order->cum_quote_qty,
			                            .exchange_id = order->order_id,
			                            .time_ms = now};
			(void)apply(b, bp, o, &ev, NULL, "response");
		}
	} else if (res->err == SB_ERR_SHUTDOWN) {
		/* Left PENDING_NEW: the next start queries it. */
	} else if (res->err == SB_ERR_EXCHANGE && !is_duplicate(res)) {
		struct sb_order_event ev = {.kind = SB_ORDER_EV_SEND_REJECTED, .time_ms = now};
		sb_log_warn("order",
		            SB_FIELDS(SB_F_STR("coid", c->coid), SB_F_INT("code", res->api.code),
		                      SB_F_STR("exchange_msg", res->api.msg)),
		            "order %s rejected: %" PRId64 " %s", c->coid, res->api.code, res->api.msg);
		bot_human(b, "%-8s #%-4" PRId64 " order rejected: %s", bp->p.symbol, bp->p.id, res->api.msg);
		set_error(o, "%" PRId64 " %s", res->api.code, res->api.msg);
		(void)apply(b, bp, o, &ev, NULL, "response");
		bp->retry_at_ms = now + rejected_wait(bp, o->row.side, now);
	} else {
		struct sb_order_event ev = {.kind = SB_ORDER_EV_SEND_UNKNOWN, .time_ms = now};
		sb_log_warn("order",
		            SB_FIELDS(SB_F_STR("coid", c->coid), SB_F_ERR(res->err),
		                      SB_F_INT("code", res->api.code), SB_F_STR("detail", res->detail)),
		            "order %s outcome unknown (%s): settling it by query", c->coid,
		            sb_errname(res->err));
		set_error(o, "%s %s", sb_errname(res->err), res->api.msg);
		(void)apply(b, bp, o, &ev, NULL, "response");
		/* Even when a stream report already told its state, the answer was lost: the query settles
		 * it. */
		o->unknown_outcome = true;
		o->query_at_ms = now + 300;
		o->query_tries = 0;
	}
	orders_settle(b, bp);
	if (txn)
		fill_txn_end(b, bp, was);
}

/* Self-trade prevention, chosen so that an exit never yields to an entry: a BUY expires itself
 * (EXPIRE_TAKER) rather than consume one of the bot's own resting sells, a SELL expires the bot's own
 * resting buy (EXPIRE_MAKER) and goes on into the book. A symbol that does not allow the mode gets none, so
 * its default applies; that is logged once per pair and side. */
static enum sb_stp_mode stp_mode(struct bot_pair *pr, enum sb_side side)
{
	enum sb_stp_mode m = side == SB_SIDE_BUY ? SB_STP_EXPIRE_TAKER : SB_STP_EXPIRE_MAKER;
	if (sb_rules_allows_stp(&pr->rules, m))
		return m;
	if (!pr->stp_noted[side]) {
		pr->stp_noted[side] = true;
		sb_log_warn(
		    "order",
		    SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_STR("side", sb_side_name(side)),
		              SB_F_STR("stp_mode", sb_stp_mode_name(m)),
		              SB_F_STR("default", sb_stp_mode_name(pr->rules.stp_default))),
		    "%s does not allow self-trade prevention mode %s: %s orders are sent without one "
		    "and get the symbol's default (%s)",
		    pr->cfg.symbol, sb_stp_mode_name(m), sb_side_name(side),
		    pr->rules.stp_default == SB_STP_DEFAULT ? "not stated"
		                                            : sb_stp_mode_name(pr->rules.stp_default));
	}
	return SB_STP_DEFAULT;
}

void orders_send(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o)
{
	const struct sb_store_order *r = &o->row;
	struct sb_bn_new_order no = {.symbol = r->symbol,
	                             .side = r->side,
	                             .type = r->type,
	                             .tif = SB_TIF_GTC,
	                             .quantity = r->orig_qty,
	                             .quote_order_qty = r->quote_qty,
	                             .price = r->type == SB_ORDER_MARKET ? 0 : r->price,
	                             .client_order_id = r->client_order_id,
	                             .resp_type = SB_BN_RESP_FULL,
	                             .stp_mode = stp_mode(bp->pair, r->side)};
	struct order_call *c = call_new(b, bp, o);
	sb_err err = b->ex ? sb_exchange_order_place(b->ex, &no, on_placed, c) : SB_ERR_SHUTDOWN;
	if (err != SB_OK) {
		free(c);
		/* Not sent: the query will find nothing and settle it as NEVER_SENT. */
		struct sb_order_event ev = {.kind = SB_ORDER_EV_SEND_UNKNOWN, .time_ms = bot_now_ms(b)};
		sb_log_warn("order", SB_FIELDS(SB_F_STR("coid", r->client_order_id), SB_F_ERR(err)),
		            "order %s could not be sent", r->client_order_id);
		(void)apply(b, bp, o, &ev, NULL, "send");
		o->unknown_outcome = true;
		o->query_at_ms = bot_now_ms(b) + 1000;
		return;
	}
	o->inflight = true;
	b->inflight++;
	monitor_order(b, bp->pair, r->side, MON_ORDER_PLACED);
}

static void on_cancelled(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	struct order_call *c = user;
	struct sb_bot *b = c->b;
	struct bot_pos *bp = NULL;
	struct bot_order *o = call_enter(c, &bp);
	free(c);
	if (!o)
		return;
	int64_t now = bot_now_ms(b);
	if (res->err == SB_OK && order && sb_order_status_reportable(order->status) == SB_OK) {
		struct sb_order_event ev = {.kind = SB_ORDER_EV_REPORT,
		                            .status = order->status,
		                            .executed_qty = order->executed_qty,
		                            .cum_quote_qty = order->cum_quote_qty,
		                            .exchange_id = order->order_id,
		                            .time_ms = now};
		(void)apply(b, bp, o, &ev, NULL, "cancel");
	} else if (res->err != SB_ERR_SHUTDOWN) {
		struct sb_order_event ev = {.kind = SB_ORDER_EV_CANCEL_FAILED, .time_ms = now};
		sb_log_warn("order",
		            SB_FIELDS(SB_F_STR("coid", o->row.client_order_id), SB_F_ERR(res->err),
		                      SB_F_INT("code", res->api.code),
		                      SB_F_STR("exchange_msg", res->api.msg)),
		            "cancel of %s failed: querying it", o->row.client_order_id);
		(void)apply(b, bp, o, &ev, NULL, "cancel");
		o->query_at_ms = now;
	}
	orders_settle(b, bp);
}

void orders_cancel(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, const char *why)
{
	if (!b->ex || o->inflight || b->degraded)
		return;
	struct sb_order_event ev = {.kind = SB_ORDER_EV_CANCEL_REQUESTED, .time_ms = bot_now_ms(b)};
	if (apply(b, bp, o, &ev, NULL, why) != SB_OK)
		return;
	struct order_call *c = call_new(b, bp, o);
	if (sb_exchange_order_cancel(b->ex, o->row.symbol, o->row.client_order_id, on_cancelled, c) !=
	    SB_OK) {
		free(c);
		struct sb_order_event fe = {.kind = SB_ORDER_EV_CANCEL_FAILED, .time_ms = bot_now_ms(b)};
		(void)apply(b, bp, o, &fe, NULL, why);
		return;
	}
	o->inflight = true;
	b->inflight++;
	bot_human(b, "%-8s #%-4" PRId64 " cancel %s (%s)", bp->p.symbol, bp->p.id,
	          o->row.side == SB_SIDE_BUY ? "buy" : "sell", why);
}

/*
 * What a conclusive query (found, or -2013 for an order never acknowledged) taught, counted as a
 * reconciliation finding: an order whose placement answer was lost is settled_unknown whether or not a
 * stream report told its state first (the query is what settles it for certain); an acknowledged order
 * that changed without a stream event is missed_update.
 */
static void query_finding(struct sb_bot *b, struct bot_order *o, const struct sb_order_sm *was)
{
	if (o->unknown_outcome) {
		o->unknown_outcome = false;
		monitor_finding(b, MON_FIND_SETTLED_UNKNOWN, o->row.symbol, o->row.client_order_id);
		return;
	}
	if (o->sm.state == was->state && o->sm.executed_qty == was->executed_qty)
		return;
	bool acked = was->state == SB_ORDER_NEW || was->state == SB_ORDER_PARTIALLY_FILLED;
	monitor_finding(b, acked ? MON_FIND_MISSED_UPDATE : MON_FIND_SETTLED_UNKNOWN, o->row.symbol,
	                o->row.client_order_id);
}

/* The order ends LOST with what its fills on record explain, counted and alerted. */
static void declare_lost(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o)
{
	o->lost_pending = false;
	struct sb_order_event ev = {.kind = SB_ORDER_EV_QUERY_NOT_FOUND,
	                            .executed_qty = o->filled,
	                            .cum_quote_qty = o->filled_quote,
	                            .time_ms = bot_now_ms(b)};
	set_error(o, "-2013 the exchange no longer knows this order");
	if (apply(b, bp, o, &ev, NULL, "query") != SB_OK || o->sm.state != SB_ORDER_LOST)
		return;
	char filled[SB_DEC_STRLEN];
	dec_str(o->filled, filled, sizeof filled);
	sb_log_warn("order",
	            SB_FIELDS(SB_F_STR("symbol", o->row.symbol), SB_F_STR("coid", o->row.client_order_id),
	                      SB_F_INT("order_id", o->sm.exchange_id), SB_F_INT("position", bp->p.id),
	                      SB_F_DEC("filled", o->filled)),
	            "order %s (orderId %" PRId64 ") is unknown to the exchange that acknowledged it: "
	            "marked LOST with %s filled",
	            o->row.client_order_id, o->sm.exchange_id, filled);
	monitor_finding(b, MON_FIND_LOST_ORDER, o->row.symbol, o->row.client_order_id);
}

/* A cancel asked for before a restart (or a stop) and never answered, found by a query with the order
 * still working and no request of its own out: it did not take effect, so it is forgotten and the
 * strategy decides the order again (a stop-loss exit cancels it anew). */
static void forget_cancel(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, int64_t now)
{
	if (!o->sm.cancel_requested || !sb_order_state_is_open(o->sm.state) || o->inflight)
		return;
	struct sb_order_event ev = {.kind = SB_ORDER_EV_CANCEL_FAILED, .time_ms = now};
	if (apply(b, bp, o, &ev, NULL, "query") == SB_OK)
		bot_pair_mark(b, bp->pair);
}

static void on_queried(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	struct order_call *c = user;
	struct sb_bot *b = c->b;
	bool step = c->step;
	struct bot_pos *bp = NULL;
	struct bot_order *o = call_enter(c, &bp);
	if (step && !b->closed)
		b->step_pending--;
	free(c);
	if (o) {
		int64_t now = bot_now_ms(b);
		if (res->err == SB_OK && order && sb_order_status_reportable(order->status) == SB_OK) {
			struct sb_order_event ev = {.kind = SB_ORDER_EV_QUERY_FOUND,
			                            .status = order->status,
			                            .executed_qty = order->executed_qty,
			                            .cum_quote_qty = order->cum_quote_qty,
			                            .exchange_id = order->order_id,
			                            .time_ms = now};
			struct sb_order_sm was = o->sm;
			(void)apply(b, bp, o, &ev, NULL, "query");
			query_finding(b, o, &was);
			o->query_at_ms = 0;
			o->query_tries = 0;
			forget_cancel(b, bp, o, now);
		} else if (res->err == SB_ERR_EXCHANGE && res->api.code == -2013 &&
		           sb_order_state_is_open(o->sm.state)) {
			/* Acknowledged, now forgotten: its trades may outlive it; fetched before it ends. */
			o->query_at_ms = 0;
			o->query_tries = 0;
			o->lost_pending = true;
		} else if (res->err == SB_ERR_EXCHANGE && res->api.code == -2013) {
			struct sb_order_event ev = {.kind = SB_ORDER_EV_QUERY_NOT_FOUND, .time_ms = now};
			struct sb_order_sm was = o->sm;
			(void)apply(b, bp, o, &ev, NULL, "query");
			query_finding(b, o, &was);
			o->query_at_ms = 0;
			o->query_tries = 0;
			if (o->sm.state == SB_ORDER_NEVER_SENT)
				bp->retry_at_ms = now + BOT_RETRY_MS;
		} else if (res->err != SB_ERR_SHUTDOWN) {
			int64_t delay = 500;
			for (unsigned i = 0; i < o->query_tries && delay < BOT_QUERY_MAX_MS; i++)
				delay *= 2;
			if (delay > BOT_QUERY_MAX_MS)
				delay = BOT_QUERY_MAX_MS;
			o->query_tries++;
			o->query_at_ms = now + delay;
			if (step)
				b->step_failed = true;
			sb_log_warn("order",
			            SB_FIELDS(SB_F_STR("coid", o->row.client_order_id), SB_F_ERR(res->err),
			                      SB_F_INT("retry_ms", delay)),
			            "query of %s failed; retrying in %" PRId64 " ms", o->row.client_order_id,
			            delay);
		}
		orders_settle(b, bp);
	} else if (step && !b->closed && res->err != SB_OK) {
		b->step_failed = true;
	}
	/* A reconciliation's queued queries go out as answers come back. */
	reconcile_pump(b);
	if (step && !b->closed && b->step_pending == 0 && b->step_done)
		b->step_done(b);
}

void orders_query(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, bool step)
{
	if (!b->ex || o->inflight)
		return;
	struct order_call *c = call_new(b, bp, o);
	c->step = step;
	if (sb_exchange_order_query(b->ex, o->row.symbol, o->row.client_order_id, on_queried, c) != SB_OK) {
		free(c);
		if (step)
			b->step_failed = true;
		return;
	}
	o->inflight = true;
	b->inflight++;
	if (step)
		b->step_pending++;
}

static void on_trades(void *user, const struct sb_bn_rest_result *res, struct sb_bn_my_trades *t)
{
	struct order_call *c = user;
	struct sb_bot *b = c->b;
	b->inflight--;
	struct bot_pos *bp = b->closed ? NULL : orders_pos_find(b, c->pos_id);
	struct bot_order *o = bp ? orders_find(bp, c->coid) : NULL;
	free(c);
	if (!bp)
		return;
	bp->backfill_inflight = false;
	if (!o)
		return;
	if (res->err != SB_OK || !t) {
		sb_log_warn("order", SB_FIELDS(SB_F_STR("coid", o->row.client_order_id), SB_F_ERR(res->err)),
		            "myTrades for %s failed", o->row.client_order_id);
		return;
	}
	size_t added = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct sb_bn_my_trade *tr = &t->items[i];
		/* The order's own trades: by its orderId and its side (of a self-trade, myTrades lists both).
		 */
		if (tr->order_id != o->sm.exchange_id || tr->is_buyer != (o->row.side == SB_SIDE_BUY) ||
		    fill_known(bp, o->row.side, tr->id))
			continue;
		struct sb_store_fill sf = {.trade_id = tr->id,
		                           .price = tr->price,
		                           .qty = tr->qty,
		                           .quote_qty = tr->quote_qty,
		                           .commission = tr->commission,
		                           .is_maker = tr->is_maker,
		                           .time_ms = tr->time};
		snprintf(sf.symbol, sizeof sf.symbol, "%s", tr->symbol);
		snprintf(sf.commission_asset, sizeof sf.commission_asset, "%s", tr->commission_asset);
		if (apply(b, bp, o, NULL, &sf, "backfill") != SB_OK)
			break;
		added++;
	}
	if (added)
		sb_log_info("order",
		            SB_FIELDS(SB_F_STR("coid", o->row.client_order_id), SB_F_UINT("fills", added)),
		            "backfilled %zu missed fills of %s", added, o->row.client_order_id);
	if (o->lost_pending && !b->degraded)
		declare_lost(b, bp, o);
	orders_settle(b, bp);
}

static void backfill(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, int64_t now)
{
	if (!b->ex || bp->backfill_inflight || now < bp->backfill_at_ms || o->inflight)
		return;
	if (o->sm.exchange_id == 0) {
		orders_query(b, bp, o, false);
		return;
	}
	struct order_call *c = call_new(b, bp, o);
	if (sb_exchange_my_trades(b->ex, o->row.symbol, o->sm.exchange_id, on_trades, c) != SB_OK) {
		free(c);
		return;
	}
	b->inflight++;
	bp->backfill_inflight = true;
	bp->backfill_at_ms = now + 2000;
}

/* ---- user stream -------------------------------------------------------------------------------------- */

void orders_on_user(void *user, const struct sb_bn_user_event *ev)
{
	struct sb_bot *b = user;
	if (b->closed || ev->kind != SB_BN_USER_EXEC_REPORT)
		return;
	uint64_t t0 = sb_clock_now_mono_ns(b->clock);
	const struct sb_bn_exec_report *r = &ev->u.exec;
	const char *coid = r->exec_type == SB_BN_EXEC_CANCELED && r->orig_client_order_id[0]
	                       ? r->orig_client_order_id
	                       : r->client_order_id;
	struct sb_coid id;
	if (sb_coid_parse(coid, strlen(coid), &id) != SB_OK || strcmp(id.tag, b->tag) != 0)
		return;
	struct bot_pos *bp = orders_pos_find(b, id.position_id);
	struct bot_order *o = bp ? orders_find(bp, coid) : NULL;
	if (!o) {
		sb_log_debug("order", SB_FIELDS(SB_F_STR("coid", coid)), "report for %s, not an open order",
		             coid);
		return;
	}
	bool have_status = sb_order_status_reportable(r->status) == SB_OK;
	struct sb_order_event oe = {.kind = SB_ORDER_EV_REPORT,
	                            .status = have_status ? r->status : SB_ORDER_NEW,
	                            .executed_qty = r->cum_qty,
	                            .cum_quote_qty = r->cum_quote_qty,
	                            .exchange_id = r->order_id,
	                            .time_ms = ev->event_time};
	struct sb_store_fill sf;
	bool fill = false;
	if (r->exec_type == SB_BN_EXEC_TRADE) {
		struct sb_fill x;
		if (sb_bn_exec_report_fill(r, &x) == SB_OK) {
			memset(&sf, 0, sizeof sf);
			snprintf(sf.symbol, sizeof sf.symbol, "%s", r->symbol);
			sf.trade_id = x.trade_id;
			sf.price = x.price;
			sf.qty = x.qty;
			sf.quote_qty = x.quote_qty;
			sf.commission = x.commission;
			snprintf(sf.commission_asset, sizeof sf.commission_asset, "%s", x.commission_asset);
			sf.is_maker = r->maker;
			sf.time_ms = r->transact_time;
			fill = true;
			if (o->row.side == SB_SIDE_BUY)
				bp->fill_ns = t0;
		}
	}
	if (!have_status && !fill)
		return;
	enum sb_position_state was = bp->p.state;
	bool txn = fill && fill_txn_begin(b, o);
	(void)apply(b, bp, o, have_status ? &oe : NULL, fill ? &sf : NULL, "stream");
	orders_settle(b, bp);
	if (txn)
		fill_txn_end(b, bp, was);
}

void orders_on_user_link(void *user, enum sb_bn_link state)
{
	(void)user;
	sb_log_info("order", SB_FIELDS(SB_F_STR("link", sb_bn_link_name(state))), "user data stream %s",
	            sb_bn_link_name(state));
}

/* ---- position transitions ----------------------------------------------------------------------------- */

sb_err orders_commit_position(struct sb_bot *b, struct bot_pos *bp, const struct sb_position *p,
                              const char *kind, const char *detail)
{
	int64_t now = bot_now_ms(b);
	struct sb_store_position prow;
	orders_pos_row(bp, p, now, &prow);
	struct sb_store_event ev = {.time_ms = now, .position_id = p->id, .detail = detail};
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.symbol, sizeof ev.symbol, "%s", p->symbol);
	sb_err err = sb_store_position_update(b->st, &prow, &ev);
	if (err != SB_OK) {
		bot_degrade(b, err, "record a position change");
		return err;
	}
	bp->p = *p;
	bot_pos_exposure(b, bp);
	return SB_OK;
}

void orders_fmt_duration(int64_t ms, char *buf, size_t cap)
{
	if (ms < 60000)
		snprintf(buf, cap, "%" PRId64 ".%01" PRId64 " s", ms / 1000, (ms % 1000) / 100);
	else if (ms < 3600000)
		snprintf(buf, cap, "%" PRId64 " min %" PRId64 " s", ms / 60000, (ms % 60000) / 1000);
	else
		snprintf(buf, cap, "%" PRId64 " h %" PRId64 " min", ms / 3600000, (ms % 3600000) / 60000);
}

/* Why an order ended the way it did, for the position's event; "" when its status says it all. */
static const char *end_reason(enum sb_order_state s)
{
	switch (s) {
	case SB_ORDER_EXPIRED_IN_MATCH:
		return "self-trade prevention expired it when it met another order of this account";
	case SB_ORDER_LOST:
		return "the exchange no longer knows it (it restarted without its state, or archived it)";
	default:
		return "";
	}
}

static void settle_buying(struct sb_bot *b, struct bot_pos *bp, int64_t now)
{
	struct sb_position p = bp->p;
	if (!bp->buy.present) {
		/* The process stopped between writing the position and its buy intent: nothing was sent. */
		if (sb_position_transition(&p, SB_POSITION_CANCELED, now) == SB_OK &&
		    orders_commit_position(b, bp, &p, "position.canceled",
		                           "{\"reason\":\"no buy order was written\"}") == SB_OK)
			orders_pos_remove(b, bp, now, false);
		return;
	}
	if (!sb_order_state_is_final(bp->buy.sm.state))
		return;
	sb_err err = sb_position_buy_ended(&p, bp->buy.sm.executed_qty, now);
	if (err == SB_ERR_NOT_FOUND) {
		backfill(b, bp, &bp->buy, now);
		return;
	}
	if (err != SB_OK) {
		sb_log_error("order", SB_FIELDS(SB_F_INT("position", p.id), SB_F_ERR(err)),
		             "buy of position %" PRId64 " ended but the position cannot move on", p.id);
		return;
	}
	char s[3][SB_DEC_STRLEN];
	dec_str(p.buy_qty, s[0], sizeof s[0]);
	dec_str(p.buy_quote, s[1], sizeof s[1]);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "buy_status", sb_order_state_name(bp->buy.sm.state));
	detail_str(&d, "bought", s[0]);
	detail_str(&d, "spent", s[1]);
	detail_str(&d, "reason", end_reason(bp->buy.sm.state));
	err = orders_commit_position(
	    b, bp, &p, p.state == SB_POSITION_CANCELED ? "position.canceled" : "position.holding",
	    detail_end(&d));
	detail_fini(&d);
	if (err != SB_OK)
		return;
	if (p.state == SB_POSITION_CANCELED) {
		bot_human(b, "%-8s #%-4" PRId64 " buy ended unfilled (%s)", p.symbol, p.id,
		          sb_order_state_name(bp->buy.sm.state));
		/* A buy that never reached the exchange (a crash before its request) is no cycle to cool
		 * down from: the next one starts at once. One that self-trade prevention expired before
		 * anything filled met the account's own order, which the same buy sent again would meet
		 * again: new cycles of the pair wait as after a rejection, longer each time in a row. */
		if (bp->buy.sm.state == SB_ORDER_EXPIRED_IN_MATCH)
			(void)rejected_wait(bp, SB_SIDE_BUY, now);
		orders_pos_remove(b, bp, now, bp->buy.sm.state != SB_ORDER_NEVER_SENT);
		return;
	}
	dec_str(p.buy_quote / 1, s[2], sizeof s[2]);
	bot_human(b, "%-8s #%-4" PRId64 " bought %s for %s %s", p.symbol, p.id, s[0], s[1],
	          bp->pair->rules.quote_asset);
}

/*
 * A sell that ended closes the position or frees its slot for the next sell. Not while a request on it is
 * still out: a stream report can end the order before the answer to its cancel arrives, and that answer
 * finds its order by the slot (call_enter) to clear the in-flight mark; a slot freed first would leave the
 * mark set, and the position busy, for good.
 */
static void settle_selling(struct sb_bot *b, struct bot_pos *bp, int64_t now)
{
	struct bot_order *o = &bp->sell;
	/* A final report can outrun the answer to our own request (the stream reports a cancel before the
	 * DELETE answers): the order is settled once that answer is in, which settles it again. Retiring it
	 * earlier would leave its in-flight mark on the slot, and the position busy for ever. */
	if (!o->present || o->inflight || !sb_order_state_is_final(o->sm.state))
		return;
	if (o->filled < o->sm.executed_qty) {
		backfill(b, bp, o, now);
		return;
	}
	struct sb_position p = bp->p;
	/* A market exit larger than one market order may be sells in parts: after each part the position
	 * holds again and the strategy sends the next one. */
	sb_dec bid = prices_fresh(b, bp->pair, now) ? bp->pair->top.bid : 0;
	bool in_parts = o->sm.state == SB_ORDER_FILLED && sb_strategy_exit_goes_on(&bp->pair->rules, &p, bid);
	if (o->sm.state == SB_ORDER_FILLED && !in_parts) {
		sb_err err = sb_position_close(&p, &bp->pair->rules, bp->buys, bp->nbuys, bp->sells,
		                               bp->nsells, bot_bnb_price(b, bp->pair), now);
		if (err != SB_OK) {
			if (bp->alert_at_ms + 60000 <= now) {
				bp->alert_at_ms = now;
				sb_log_error(
				    "order", SB_FIELDS(SB_F_INT("position", p.id), SB_F_ERR(err)),
				    "position %" PRId64 " sold but its profit cannot be computed yet", p.id);
			}
			return;
		}
		int64_t held = sb_position_held_ms(&p, now);
		char s[3][SB_DEC_STRLEN], dur[48];
		dec_str(p.realized_profit, s[0], sizeof s[0]);
		sb_dec pct = 0;
		(void)sb_dec_mul(p.profit_ratio, SB_DEC_C(100, 0), SB_ROUND_HALF_EVEN, &pct);
		sb_dec_format_places(pct, 3, SB_ROUND_HALF_EVEN, s[1], sizeof s[1]);
		struct sb_buf d;
		detail_init(&d);
		detail_str(&d, "profit", s[0]);
		detail_str(&d, "profit_pct", s[1]);
		detail_dec(&d, "cost", p.cost_quote);
		detail_i64(&d, "held_ms", held);
		detail_str(&d, "exit", sb_position_exit_name(p.exit));
		err = orders_commit_position(b, bp, &p, "position.closed", detail_end(&d));
		detail_fini(&d);
		if (err != SB_OK)
			return;
		orders_fmt_duration(held, dur, sizeof dur);
		sb_log_info("order",
		            SB_FIELDS(SB_F_STR("symbol", p.symbol), SB_F_INT("position", p.id),
		                      SB_F_DEC("profit", p.realized_profit), SB_F_INT("held_ms", held)),
		            "cycle %" PRId64 " of %s closed: profit %s in %s", bp->cycle, p.symbol, s[0],
		            dur);
		bot_human(b, "%-8s #%-4" PRId64 " DONE  cycle %" PRId64 ": profit %s%s %s (%s%%) in %s [%s]",
		          p.symbol, p.id, bp->cycle, p.realized_profit >= 0 ? "+" : "", s[0],
		          bp->pair->rules.quote_asset, s[1], dur, sb_position_exit_name(p.exit));
		orders_pos_remove(b, bp, now, true);
		return;
	}
	sb_err err = sb_position_sell_ended(&p, p.sell_qty, now);
	if (err != SB_OK) {
		sb_log_error("order", SB_FIELDS(SB_F_INT("position", p.id), SB_F_ERR(err)),
		             "sell of position %" PRId64 " ended but the position cannot move on", p.id);
		return;
	}
	char reason[256];
	if (in_parts) {
		char rest[SB_DEC_STRLEN];
		dec_str(sb_position_remaining(&p), rest, sizeof rest);
		snprintf(reason, sizeof reason, "sold in parts: %s remains to sell", rest);
	} else {
		snprintf(reason, sizeof reason, "%s%s", end_reason(o->sm.state),
		         end_reason(o->sm.state)[0] ? ": the position is sold again" : "");
	}
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "sell_status", sb_order_state_name(o->sm.state));
	detail_str(&d, "reason", reason);
	err = orders_commit_position(b, bp, &p, "position.holding", detail_end(&d));
	detail_fini(&d);
	if (err != SB_OK)
		return;
	if (end_reason(o->sm.state)[0])
		bot_human(b, "%-8s #%-4" PRId64 " sell %s: selling again", p.symbol, p.id,
		          sb_order_state_name(o->sm.state));
	o->present = false;
}

/* An order the exchange forgot: its trades are fetched once more (throttled like any backfill), and the
 * answer ends it LOST (on_trades); without an exchange id there is nothing to fetch. True while waiting
 * for that answer: the position does not move on before it. */
static bool lost_check(struct sb_bot *b, struct bot_pos *bp, int64_t now)
{
	struct bot_order *os[2] = {&bp->buy, &bp->sell};
	for (int k = 0; k < 2; k++) {
		struct bot_order *o = os[k];
		if (!o->present || !o->lost_pending || o->inflight)
			continue;
		if (o->sm.exchange_id != 0) {
			backfill(b, bp, o, now);
			return true;
		}
		declare_lost(b, bp, o);
	}
	return false;
}

void orders_settle(struct sb_bot *b, struct bot_pos *bp)
{
	if (!bp || bp->ended || b->closed || b->degraded)
		return;
	int64_t now = bot_now_ms(b);
	if (lost_check(b, bp, now))
		return;
	enum sb_position_state was = bp->p.state;
	if (was == SB_POSITION_BUYING)
		settle_buying(b, bp, now);
	else if (was == SB_POSITION_SELLING)
		settle_selling(b, bp, now);
	/* Bought (a sell to place), holding again (the next sell or exit), or ended (room for a new cycle):
	 * the strategy decides at the step after this dispatch. */
	if (bp->p.state != was)
		bot_pair_mark(b, bp->pair);
}

/* Due settle queries of bp, then its settlement. */
static void tick_position(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms)
{
	struct bot_order *os[2] = {&bp->buy, &bp->sell};
	for (int k = 0; k < 2; k++)
		if (os[k]->present && os[k]->query_at_ms > 0 && os[k]->query_at_ms <= now_ms)
			orders_query(b, bp, os[k], false);
	if (b->state != BOT_STARTING)
		orders_settle(b, bp);
}

void orders_tick(struct sb_bot *b, int64_t now_ms)
{
	if (b->closed)
		return;
	/* Rechecks a high weight held back, and a reconciliation owed. */
	reconcile_pump(b);
	reconcile_tick(b, now_ms);
	for (size_t i = 0; i < b->npairs; i++) {
		/* Settling a position may end it, and an ended position's next is the reap list's: the
		 * positions are taken by id first, and each is looked up again in its pair before its turn.
		 */
		int64_t ids[BOT_OPEN_MAX];
		size_t n = 0;
		for (struct bot_pos *bp = b->pairs[i].positions; bp && n < BOT_OPEN_MAX; bp = bp->next)
			ids[n++] = bp->p.id;
		for (size_t k = 0; k < n; k++) {
			struct bot_pos *bp = b->pairs[i].positions;
			while (bp && bp->p.id != ids[k])
				bp = bp->next;
			if (bp)
				tick_position(b, bp, now_ms);
		}
	}
}

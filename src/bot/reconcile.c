/*
 * reconcile.c - settling the database with the exchange: at start-up before any trading, and whenever
 * the user data stream may have missed events (a resubscription, a probe unanswered, a silent stream).
 *
 * A reconciliation first lists the exchange's open orders: one request for every symbol (weight 80) when
 * that is cheaper than one per symbol (weight 6 each), else one per symbol concerned. An order the list
 * shows in the state the database holds is explained and costs nothing more; only the others (missing
 * from the list: filled, cancelled or expired meanwhile, or never received; or listed in another state)
 * are queried by their clientOrderId, a few at a time (BOT_RECHECK_INFLIGHT), the rest queued until
 * answers come back. So a restart with thousands of resting orders costs one request, and a quiet stream
 * whose orders rest untouched costs one request per silence and no per-order query.
 *
 * What a query teaches is the order manager's: PENDING_NEW and UNKNOWN are adopted when found and become
 * NEVER_SENT when the exchange has never heard of them; an acknowledged order the exchange no longer knows
 * ends LOST once its trades were fetched; fills missed while the bot was away are fetched from myTrades
 * before the position moves on. An open order with this instance's prefix that the database does not know
 * is reported (logged and recorded as an event), never touched.
 *
 * The quiet-stream reconciliation is the one check that is not urgent: it waits while the weight used
 * this minute is above BOT_WEIGHT_SOFT or another reconciliation is still listing, and costs nothing when
 * no order waits on the exchange. Waiting is never forgetting: a reconciliation asked for and not started
 * then, or one whose list could not be had, is owed and started again RECON_RETRY_MS later (the tick,
 * reconcile_tick), until one has listed: the list in flight may predate the event that went missing.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/detail.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"
#include "spotbot/log.h"

#define LIST_ALL_WEIGHT 80   /* openOrders without a symbol */
#define LIST_ONE_WEIGHT 6    /* openOrders of one symbol */
#define RECON_RETRY_MS  5000 /* an owed reconciliation is tried again this much later */

struct open_call {
	struct sb_bot *b;           /* the daemon */
	uint32_t run;               /* the reconciliation it belongs to */
	char symbol[SB_SYMBOL_MAX]; /* the pair listed; "" for every symbol */
	bool step;                  /* part of the start-up reconciliation */
};

/* An order the reconciliation may have to ask about: present, not known final, no request out. */
static bool unsettled(const struct bot_order *o)
{
	return o->present && !o->inflight && !o->lost_pending && !sb_order_state_is_final(o->sm.state);
}

static bool pair_unsettled(const struct bot_pair *pr)
{
	for (const struct bot_pos *bp = pr->positions; bp; bp = bp->next)
		if (unsettled(&bp->buy) || unsettled(&bp->sell))
			return true;
	return false;
}

/* The order named coid in memory, or NULL. */
static struct bot_order *find_order(struct sb_bot *b, const char *symbol, const char *coid)
{
	struct sb_coid id;
	if (sb_coid_parse(coid, strlen(coid), &id) != SB_OK)
		return NULL;
	struct bot_pair *pr = bot_pair_find(b, symbol);
	for (struct bot_pos *bp = pr ? pr->positions : NULL; bp; bp = bp->next)
		if (bp->p.id == id.position_id)
			return orders_find(bp, coid);
	return NULL;
}

static bool in_store(struct sb_bot *b, const char *coid)
{
	struct sb_store_order row;
	return b->st && sb_store_order_get(b->st, coid, &row) == SB_OK;
}

static void report_foreign(struct sb_bot *b, const struct sb_bn_order *o)
{
	struct sb_buf d;
	detail_init(&d);
	detail_i64(&d, "order_id", o->order_id);
	detail_str(&d, "status", sb_order_state_name(o->status));
	detail_str(&d, "side", sb_side_name(o->side));
	sb_log_warn("reconcile",
	            SB_FIELDS(SB_F_STR("symbol", o->symbol), SB_F_STR("coid", o->client_order_id),
	                      SB_F_INT("order_id", o->order_id)),
	            "open order %s on the exchange carries this instance's prefix but is not in the "
	            "database: left alone, please check it",
	            o->client_order_id);
	bot_event(b, "order.foreign", o->symbol, 0, o->client_order_id, detail_end(&d));
	detail_fini(&d);
	monitor_finding(b, MON_FIND_FOREIGN_ORDER, o->symbol, o->client_order_id);
}

/* Marks the orders the list shows as the database holds them; reports ours it does not know. */
static void take_list(struct sb_bot *b, uint32_t run, const struct sb_bn_order_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct sb_bn_order *x = &l->items[i];
		if (!sb_coid_is_ours(x->client_order_id, strlen(x->client_order_id), b->tag))
			continue;
		struct bot_order *o = find_order(b, x->symbol, x->client_order_id);
		/* A cancel still pending in the database is not explained by a working order: the query
		 * settles whether it took effect. */
		if (o && o->sm.state == x->status && o->sm.executed_qty == x->executed_qty &&
		    !o->sm.cancel_requested)
			o->listed_run = run;
		else if (!o && !in_store(b, x->client_order_id))
			report_foreign(b, x);
	}
}

/* After the run's lists: every unsettled order of a listed pair that no list explained is queued. */
static void queue_unexplained(struct sb_bot *b)
{
	size_t n = 0;
	for (size_t i = 0; i < b->npairs; i++) {
		struct bot_pair *pr = &b->pairs[i];
		if (!b->recon_all && pr->listed_run != b->recon_run)
			continue;
		for (struct bot_pos *bp = pr->positions; bp; bp = bp->next) {
			struct bot_order *os[2] = {&bp->buy, &bp->sell};
			for (int k = 0; k < 2; k++) {
				if (!unsettled(os[k]) || os[k]->listed_run == b->recon_run || os[k]->recheck)
					continue;
				os[k]->recheck = true;
				n++;
			}
		}
	}
	b->recon_queued += n;
	/* The start-up waits for each of them: they count in step_pending until sent (reconcile_pump). */
	if (b->recon_step)
		b->step_pending += (int)n;
	sb_log_info("reconcile", SB_FIELDS(SB_F_UINT("queries", n)),
	            "open orders listed: %zu orders to query", n);
}

/* A reconciliation is owed: tried again by the tick RECON_RETRY_MS from now (an earlier debt stands). */
static void owe(struct sb_bot *b)
{
	int64_t at = bot_now_ms(b) + RECON_RETRY_MS;
	if (b->recon_owed_at == 0 || at < b->recon_owed_at)
		b->recon_owed_at = at;
	b->tick_idle_until = 0; /* the tick's idle time was set without it (tick_due.c) */
}

static void on_open_orders(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order_list *l)
{
	struct open_call *c = user;
	struct sb_bot *b = c->b;
	b->inflight--;
	if (b->closed) {
		free(c);
		return;
	}
	bool step = c->step, current = c->run == b->recon_run;
	if (step)
		b->step_pending--;
	if (current)
		b->recon_lists--;
	if (res->err != SB_OK || !l) {
		sb_log_warn("reconcile", SB_FIELDS(SB_F_STR("symbol", c->symbol), BOT_F_REST(res)),
		            "open orders of %s could not be listed: %s",
		            c->symbol[0] ? c->symbol : "every symbol", BOT_REST_WHY(res));
		if (step)
			b->step_failed = true;
		else
			owe(b);
	} else if (current) {
		take_list(b, c->run, l);
		struct bot_pair *pr = c->symbol[0] ? bot_pair_find(b, c->symbol) : NULL;
		if (pr)
			pr->listed_run = c->run;
		else if (!c->symbol[0])
			b->recon_all = true;
	}
	free(c);
	if (current && b->recon_lists == 0 && !(step && b->step_failed)) {
		queue_unexplained(b);
		reconcile_pump(b);
	}
	if (step && b->step_pending == 0 && b->step_done)
		b->step_done(b);
}

/* Lists the open orders of symbol ("" for every symbol) for the current run. */
static void list_open(struct sb_bot *b, const char *symbol, bool step)
{
	struct open_call *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->run = b->recon_run;
	c->step = step;
	snprintf(c->symbol, sizeof c->symbol, "%s", symbol);
	if (!b->ex || sb_exchange_open_orders(b->ex, symbol[0] ? symbol : NULL, on_open_orders, c) != SB_OK) {
		free(c);
		if (step)
			b->step_failed = true;
		return;
	}
	b->inflight++;
	b->recon_lists++;
	if (step)
		b->step_pending++;
}

/* Starts a reconciliation: the lists of every listed pair (all: the start-up's, which also reports
 * foreign orders on every pair) or of the pairs with unsettled orders. How many lists went out. */
static size_t run_lists(struct sb_bot *b, bool step, bool all)
{
	b->recon_run++;
	b->recon_step = step;
	b->recon_all = false;
	b->recon_lists = 0;
	size_t n = 0;
	for (size_t i = 0; i < b->npairs; i++)
		n += b->pairs[i].have_rules && (all || pair_unsettled(&b->pairs[i]));
	if (n == 0)
		return 0;
	if (n * LIST_ONE_WEIGHT > LIST_ALL_WEIGHT) {
		list_open(b, "", step);
		return 1;
	}
	for (size_t i = 0; i < b->npairs; i++)
		if (b->pairs[i].have_rules && (all || pair_unsettled(&b->pairs[i])))
			list_open(b, b->pairs[i].cfg.symbol, step);
	return n;
}

/* The next queued recheck, or NULL (the queue's count corrected when it ran dry). */
static struct bot_order *next_recheck(struct sb_bot *b, struct bot_pos **bpp)
{
	for (size_t i = 0; i < b->npairs; i++)
		for (struct bot_pos *bp = b->pairs[i].positions; bp; bp = bp->next) {
			struct bot_order *os[2] = {&bp->buy, &bp->sell};
			for (int k = 0; k < 2; k++)
				if (os[k]->present && os[k]->recheck) {
					*bpp = bp;
					return os[k];
				}
		}
	return NULL;
}

void reconcile_pump(struct sb_bot *b)
{
	if (b->closed || !b->ex)
		return;
	while (b->recon_queued > 0 && b->inflight < BOT_RECHECK_INFLIGHT) {
		/* At run time a recheck is not urgent: it waits while the minute's weight is high. */
		struct sb_exchange_stats xs;
		sb_exchange_stats(b->ex, &xs);
		if (!b->recon_step && xs.rest.used_weight > BOT_WEIGHT_SOFT)
			return;
		struct bot_pos *bp = NULL;
		struct bot_order *o = next_recheck(b, &bp);
		if (!o) {
			/* Its positions ended meanwhile: nothing left to ask about. */
			if (b->recon_step)
				b->step_pending -= (int)b->recon_queued;
			b->recon_queued = 0;
			b->recon_step = false;
			return;
		}
		o->recheck = false;
		b->recon_queued--;
		if (b->recon_step)
			b->step_pending--;
		if (!o->inflight && !sb_order_state_is_final(o->sm.state))
			orders_query(b, bp, o, b->recon_step);
		if (b->recon_queued == 0)
			b->recon_step = false;
	}
}

/* Drops the rechecks a previous reconciliation left queued (a new one decides afresh). Never the
 * start-up's: it ends only once its queue is sent, and no other starts before it ends. */
static void drop_queue(struct sb_bot *b)
{
	struct bot_pos *bp = NULL;
	struct bot_order *o;
	while ((o = next_recheck(b, &bp)) != NULL)
		o->recheck = false;
	b->recon_queued = 0;
	b->recon_step = false;
}

void reconcile_startup(struct sb_bot *b)
{
	sb_err err = orders_load(b);
	if (err != SB_OK) {
		bot_degrade(b, err, "load the open positions");
		return;
	}
	monitor_reconcile(b, MON_RECON_STARTUP);
	drop_queue(b);
	size_t lists = run_lists(b, true, true);
	sb_log_info("reconcile", SB_FIELDS(SB_F_UINT("lists", lists)),
	            "reconciling: %zu open-orders lists for %zu pairs", lists, b->npairs);
}

/* Starts a run-time reconciliation for why, or owes it while it must wait. */
static void start(struct sb_bot *b, enum sb_bn_reconcile_reason why)
{
	if (why == SB_BN_RECONCILE_SILENT) {
		/* Not urgent: it waits while the minute's weight is high and while the previous
		 * reconciliation is still listing (its list may predate what went missing). */
		struct sb_exchange_stats xs;
		sb_exchange_stats(b->ex, &xs);
		if (b->recon_lists > 0 || xs.rest.used_weight > BOT_WEIGHT_SOFT) {
			owe(b);
			return;
		}
	}
	b->recon_owed_at = 0;
	drop_queue(b);
	size_t lists = run_lists(b, false, false);
	if (lists == 0)
		return;
	monitor_reconcile(b, MON_RECON_STREAM);
	sb_log_info("reconcile",
	            SB_FIELDS(SB_F_STR("why", sb_bn_reconcile_reason_name(why)), SB_F_UINT("lists", lists)),
	            "reconciling with REST (%s): %zu open-orders lists", sb_bn_reconcile_reason_name(why),
	            lists);
}

/* Whether a run-time reconciliation may start now. */
static bool may_start(const struct sb_bot *b)
{
	return !b->closed && !bot_is_stopping(b) && b->state != BOT_STARTING && b->state != BOT_RECONCILING;
}

void reconcile_on_request(void *user, enum sb_bn_reconcile_reason why)
{
	struct sb_bot *b = user;
	if (may_start(b))
		start(b, why);
}

void reconcile_tick(struct sb_bot *b, int64_t now_ms)
{
	if (b->recon_owed_at != 0 && now_ms >= b->recon_owed_at && may_start(b))
		start(b, SB_BN_RECONCILE_SILENT);
}

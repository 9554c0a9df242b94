/*
 * reconcile.c - settling the database with the exchange: at start-up before any trading, and whenever
 * the user data stream may have missed events (a resubscription, a silent stream).
 *
 * Every order the database does not know to be final is queried by its clientOrderId: PENDING_NEW and
 * UNKNOWN are adopted when found and become NEVER_SENT when the exchange has never heard of them; an
 * acknowledged order the exchange no longer knows ends LOST once its trades were fetched (never queried
 * again); fills missed while the bot was away are then fetched from myTrades by the order manager before
 * the position moves on. The exchange's open orders are listed per pair: one with this instance's prefix that
 * the database does not know is reported (logged and recorded as an event), never touched.
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

struct open_call {
	struct sb_bot *b;           /* the daemon */
	char symbol[SB_SYMBOL_MAX]; /* the pair listed */
	bool step;                  /* part of the start-up reconciliation */
};

static bool known(struct sb_bot *b, const char *coid)
{
	struct sb_coid id;
	if (sb_coid_parse(coid, strlen(coid), &id) != SB_OK)
		return false;
	struct bot_pos *bp = orders_pos_find(b, id.position_id);
	if (bp && orders_find(bp, coid))
		return true;
	struct sb_store_order row;
	return b->st && sb_store_order_get(b->st, coid, &row) == SB_OK;
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
	if (c->step)
		b->step_pending--;
	if (res->err != SB_OK || !l) {
		sb_log_warn("reconcile", SB_FIELDS(SB_F_STR("symbol", c->symbol), BOT_F_REST(res)),
		            "open orders of %s could not be listed: %s", c->symbol, BOT_REST_WHY(res));
		if (c->step)
			b->step_failed = true;
	} else {
		for (size_t i = 0; i < l->n; i++) {
			const struct sb_bn_order *o = &l->items[i];
			if (!sb_coid_is_ours(o->client_order_id, strlen(o->client_order_id), b->tag) ||
			    known(b, o->client_order_id))
				continue;
			struct sb_buf d;
			detail_init(&d);
			detail_i64(&d, "order_id", o->order_id);
			detail_str(&d, "status", sb_order_state_name(o->status));
			detail_str(&d, "side", sb_side_name(o->side));
			sb_log_warn(
			    "reconcile",
			    SB_FIELDS(SB_F_STR("symbol", c->symbol), SB_F_STR("coid", o->client_order_id),
			              SB_F_INT("order_id", o->order_id)),
			    "open order %s on the exchange carries this instance's prefix but is not in the "
			    "database: left alone, please check it",
			    o->client_order_id);
			bot_event(b, "order.foreign", c->symbol, 0, o->client_order_id, detail_end(&d));
			detail_fini(&d);
			monitor_finding(b, MON_FIND_FOREIGN_ORDER, c->symbol, o->client_order_id);
		}
	}
	bool step = c->step;
	free(c);
	if (step && b->step_pending == 0 && b->step_done)
		b->step_done(b);
}

static void list_open(struct sb_bot *b, const char *symbol, bool step)
{
	struct open_call *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->step = step;
	snprintf(c->symbol, sizeof c->symbol, "%s", symbol);
	if (!b->ex || sb_exchange_open_orders(b->ex, symbol, on_open_orders, c) != SB_OK) {
		free(c);
		if (step)
			b->step_failed = true;
		return;
	}
	b->inflight++;
	if (step)
		b->step_pending++;
}

/* Queries every order not known to be final (and not already being asked about). */
static size_t query_unsettled(struct sb_bot *b, bool step)
{
	size_t n = 0;
	for (size_t i = 0; i < b->npairs; i++) {
		for (struct bot_pos *bp = b->pairs[i].positions; bp; bp = bp->next) {
			struct bot_order *os[2] = {&bp->buy, &bp->sell};
			for (int k = 0; k < 2; k++) {
				struct bot_order *o = os[k];
				if (!o->present || o->inflight || o->lost_pending ||
				    sb_order_state_is_final(o->sm.state))
					continue;
				orders_query(b, bp, o, step);
				n++;
			}
		}
	}
	return n;
}

void reconcile_startup(struct sb_bot *b)
{
	sb_err err = orders_load(b);
	if (err != SB_OK) {
		bot_degrade(b, err, "load the open positions");
		return;
	}
	monitor_reconcile(b, MON_RECON_STARTUP);
	size_t q = query_unsettled(b, true);
	for (size_t i = 0; i < b->npairs; i++)
		if (b->pairs[i].have_rules)
			list_open(b, b->pairs[i].cfg.symbol, true);
	sb_log_info("reconcile", SB_FIELDS(SB_F_UINT("queries", q)),
	            "reconciling: %zu orders to query, %zu pairs to list", q, b->npairs);
}

void reconcile_on_request(void *user, enum sb_bn_reconcile_reason why)
{
	struct sb_bot *b = user;
	if (b->closed || bot_is_stopping(b) || b->state == BOT_STARTING || b->state == BOT_RECONCILING)
		return;
	monitor_reconcile(b, MON_RECON_STREAM);
	size_t q = query_unsettled(b, false);
	for (size_t i = 0; i < b->npairs; i++)
		if (b->pairs[i].have_rules)
			list_open(b, b->pairs[i].cfg.symbol, false);
	sb_log_info("reconcile",
	            SB_FIELDS(SB_F_STR("why", sb_bn_reconcile_reason_name(why)), SB_F_UINT("queries", q)),
	            "reconciling with REST (%s): %zu orders queried", sb_bn_reconcile_reason_name(why), q);
}

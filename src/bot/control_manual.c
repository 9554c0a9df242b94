/*
 * control_manual.c - the manual actions on one open position that the control API serves (POST
 * /positions/ID/sell|reprice|cancel|abandon) and how each of them ended (GET /positions/ID/outcome).
 *
 * Every position that has not ended can be taken to an end by hand, whatever its state and whatever the
 * state of its orders (docs/control-api.md has the table). A request is checked first (the position's
 * state, the exchange's filters for the order it will place) and refused with a 409 or 422 that names the
 * state and the action that would work, before anything is sent. An accepted request becomes a job: a
 * small state machine that fences the position off from the strategy (its retry_at_ms is pushed far
 * out), cancels what works on the exchange (the buy, the limit sell) or waits for the order manager to
 * settle an order it is unsure of (PENDING_NEW, UNKNOWN, fills still missing), then does its part through
 * the order manager: a market sell of what was bought, a limit sell at the user's price, the end of the
 * buy, or the position recorded ABANDONED with what it bought. A job that placed an order waits for the
 * order's outcome; how the job ended is kept for the outcome view, so the CLI can report it.
 *
 * A job's progress is an explicit state machine (enum control_job_state, control_job_apply): CLEARING while
 * the position's orders are cancelled or settled, ACTING once nothing works on the exchange for it,
 * WATCHING while its own order (or the market exit it follows) works, ENDED when it has done what it can.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/control.h"
#include "bot/control_int.h"
#include "common/json_out.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define MANUAL_JOBS_MAX     64                /* manual actions under way at once */
#define MANUAL_OUTCOMES_MAX 64                /* ended actions remembered for the outcome view */
#define MANUAL_FENCE_MS     (3600LL * 1000LL) /* how far a manual action pushes the strategy away */

/* What a manual action does once nothing works on the exchange for its position any more. */
enum job_kind {
	JOB_SELL,    /* sell what was bought at market */
	JOB_REPRICE, /* place a limit sell of what remains at price */
	JOB_CANCEL,  /* end the buy; the position continues with what it bought (or ends CANCELED) */
	JOB_ABANDON, /* record the position ABANDONED with what it bought; the coins stay in the account */
	JOB__COUNT
};

static const char *const job_names[JOB__COUNT] = {"sell", "reprice", "cancel", "abandon"};

struct job {
	int64_t id;                        /* the position */
	char symbol[SB_SYMBOL_MAX];        /* its symbol, for the events */
	enum job_kind kind;                /* what to do */
	sb_dec price;                      /* JOB_REPRICE: the limit price, on the tick */
	struct sb_sell_plan plan;          /* JOB_REPRICE: the position's sell plan when asked */
	char coid[SB_STORE_CLIENT_ID_MAX]; /* the order the job placed or follows; "" before WATCHING */
	int64_t started_ms;                /* when it was accepted */
	enum control_job_state state;      /* where it stands; a new job starts CLEARING */
};

/* How a manual action ended. */
struct outcome {
	int64_t id;                        /* the position; 0 = free slot */
	enum job_kind kind;                /* the action */
	bool ok;                           /* it did what was asked */
	char detail[240];                  /* what happened, in words */
	char coid[SB_STORE_CLIENT_ID_MAX]; /* the order it placed or followed; "" none */
	int64_t ended_ms;                  /* when */
};

struct control_manual {
	struct sb_bot *b;                             /* the daemon */
	struct job jobs[MANUAL_JOBS_MAX];             /* actions under way */
	size_t njobs;                                 /* entries */
	struct outcome outcomes[MANUAL_OUTCOMES_MAX]; /* ended actions, a ring */
	size_t next_outcome;                          /* the ring's next slot */
};

struct control_manual *control_manual_new(struct sb_bot *b)
{
	struct control_manual *m = sb_xcalloc(1, sizeof *m);
	m->b = b;
	return m;
}

void control_manual_free(struct control_manual *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->njobs; i++) {
		struct bot_pos *bp = orders_pos_find(m->b, m->jobs[i].id);
		if (bp)
			bp->retry_at_ms = 0;
	}
	free(m);
}

/* ---- the job machine ----------------------------------------------------------------------------- */

#define JOB_ILLEGAL CONTROL_JOB__COUNT /* no transition */

/* The state each event takes each state to. */
static const enum control_job_state job_next[CONTROL_JOB__COUNT][CONTROL_JOB_EVENT__COUNT] = {
    [CONTROL_JOB_CLEARING] =
        {
            [CONTROL_JOB_WORKING] = CONTROL_JOB_CLEARING,
            [CONTROL_JOB_CLEARED] = CONTROL_JOB_ACTING,
            [CONTROL_JOB_FOLLOW] = CONTROL_JOB_WATCHING,
            [CONTROL_JOB_PLACED] = JOB_ILLEGAL,
            [CONTROL_JOB_END] = CONTROL_JOB_ENDED,
        },
    /* Acting waits (the buy's fills still being fetched, a placement to retry); meanwhile an order may
     * work again, or a market exit begin. */
    [CONTROL_JOB_ACTING] =
        {
            [CONTROL_JOB_WORKING] = CONTROL_JOB_CLEARING,
            [CONTROL_JOB_CLEARED] = CONTROL_JOB_ACTING,
            [CONTROL_JOB_FOLLOW] = CONTROL_JOB_WATCHING,
            [CONTROL_JOB_PLACED] = CONTROL_JOB_WATCHING,
            [CONTROL_JOB_END] = CONTROL_JOB_ENDED,
        },
    [CONTROL_JOB_WATCHING] =
        {
            [CONTROL_JOB_WORKING] = JOB_ILLEGAL,
            [CONTROL_JOB_CLEARED] = JOB_ILLEGAL,
            [CONTROL_JOB_FOLLOW] = JOB_ILLEGAL,
            [CONTROL_JOB_PLACED] = JOB_ILLEGAL,
            [CONTROL_JOB_END] = CONTROL_JOB_ENDED,
        },
    [CONTROL_JOB_ENDED] =
        {
            [CONTROL_JOB_WORKING] = JOB_ILLEGAL,
            [CONTROL_JOB_CLEARED] = JOB_ILLEGAL,
            [CONTROL_JOB_FOLLOW] = JOB_ILLEGAL,
            [CONTROL_JOB_PLACED] = JOB_ILLEGAL,
            [CONTROL_JOB_END] = JOB_ILLEGAL,
        },
};

sb_err control_job_apply(enum control_job_state *s, enum control_job_event ev)
{
	if (!s || (unsigned)*s >= CONTROL_JOB__COUNT || (unsigned)ev >= CONTROL_JOB_EVENT__COUNT)
		return SB_ERR_INVALID;
	enum control_job_state next = job_next[*s][ev];
	if (next == JOB_ILLEGAL)
		return SB_ERR_STATE;
	*s = next;
	return SB_OK;
}

const char *control_job_state_name(enum control_job_state s)
{
	static const char *const names[CONTROL_JOB__COUNT] = {"clearing", "acting", "watching", "ended"};
	return (unsigned)s < CONTROL_JOB__COUNT ? names[s] : "?";
}

/* Moves job j on by ev. An illegal move is a bug in this file: it is logged and the job left where it is. */
static void job_move(struct job *j, enum control_job_event ev)
{
	enum control_job_state from = j->state;
	if (control_job_apply(&j->state, ev) != SB_OK)
		sb_log_error("control", SB_FIELDS(SB_F_INT("position", j->id)),
		             "manual %s of position %" PRId64 ": no move from %s on event %d",
		             job_names[j->kind], j->id, control_job_state_name(from), (int)ev);
}

/* ---- answers ------------------------------------------------------------------------------------ */

__attribute__((format(printf, 3, 4))) static int refuse(cJSON **out, int status, const char *fmt, ...)
{
	char msg[320];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	*out = cJSON_CreateObject();
	cJSON_AddStringToObject(*out, "error", msg);
	return status;
}

/* As refuse, for a refusal that force=1 lifts: the parts are given too, so the CLI can name --force. */
static int refuse_unless_forced(cJSON **out, const char *reason, const char *does)
{
	refuse(out, 409, "%s; force=1 %s", reason, does);
	cJSON_AddStringToObject(*out, "reason", reason);
	cJSON_AddStringToObject(*out, "override", "force");
	cJSON_AddStringToObject(*out, "override_does", does);
	return 409;
}

static void add_dec(cJSON *o, const char *name, sb_dec v)
{
	char s[SB_DEC_STRLEN];
	sb_dec_format_trim(v, s, sizeof s);
	cJSON_AddStringToObject(o, name, s);
}

/* The position's state in words, with its buy's state while it buys ("BUYING (buy UNKNOWN)"). */
static void state_words(const struct bot_pos *bp, char *buf, size_t cap)
{
	const char *s = sb_position_state_name(bp->p.state);
	if (bp->p.state == SB_POSITION_BUYING && bp->buy.present)
		snprintf(buf, cap, "%s (buy %s)", s, sb_order_state_name(bp->buy.sm.state));
	else if (bp->p.state == SB_POSITION_SELLING && bp->sell.present)
		snprintf(buf, cap, "%s (%s sell %s)", s,
		         bp->sell.row.type == SB_ORDER_MARKET ? "market" : "limit",
		         sb_order_state_name(bp->sell.sm.state));
	else
		snprintf(buf, cap, "%s", s);
}

/* ---- checks --------------------------------------------------------------------------------------- */

static bool pos_busy(const struct bot_pos *bp)
{
	return bp->buy.inflight || bp->sell.inflight || bp->backfill_inflight;
}

/* The base the position holds and has not sold (what it received so far, while it still buys). */
static sb_dec holding(const struct bot_pos *bp)
{
	return sb_position_remaining(&bp->p);
}

/*
 * Checks an order of what bp holds (floored to the step of type) against the exchange's filters, the
 * percent and notional ones at the current bid. 0 with *qty set when it passes; else the HTTP status to
 * answer (422 a filter refuses it, 409 nothing sellable is left) with the reason in msg.
 */
static int sell_check(const struct sb_bot *b, const struct bot_pos *bp, enum sb_order_type type, sb_dec price,
                      sb_dec *qty, char *msg, size_t cap)
{
	const struct bot_pair *pr = bp->pair;
	sb_dec have = holding(bp), q = 0;
	if (!pr->have_rules) {
		snprintf(msg, cap, "the exchange's rules for %s are not loaded yet; try again", bp->p.symbol);
		return 409;
	}
	if (sb_rules_round_qty(&pr->rules, type, have, &q) != SB_OK || q <= 0) {
		snprintf(msg, cap, "nothing sellable is left (below the %s step)",
		         type == SB_ORDER_MARKET && pr->rules.market_lot.present ? "MARKET_LOT_SIZE"
		                                                                 : "LOT_SIZE");
		return 409;
	}
	bool fresh = prices_fresh(b, pr, bot_now_ms(b));
	struct sb_order_spec spec = {.side = SB_SIDE_SELL,
	                             .type = type,
	                             .price = type == SB_ORDER_LIMIT ? price : 0,
	                             .quantity = q,
	                             .ref_price = fresh ? pr->top.bid : 0};
	enum sb_filter failed = SB_FILTER_NONE;
	sb_err err = sb_rules_validate(&pr->rules, &spec, &failed);
	char s[2][SB_DEC_STRLEN];
	sb_dec_format_trim(q, s[0], sizeof s[0]);
	if (err == SB_ERR_FILTER && failed == SB_FILTER_MARKET_LOT_SIZE && q > pr->rules.market_lot.max_qty) {
		sb_dec_format_trim(pr->rules.market_lot.max_qty, s[1], sizeof s[1]);
		snprintf(msg, cap,
		         "the exchange's MARKET_LOT_SIZE filter allows at most %s per market order and the "
		         "position holds %s; nothing was sent: sell it with a limit order (reprice)",
		         s[1], s[0]);
		return 422;
	}
	if (err == SB_ERR_FILTER) {
		snprintf(msg, cap, "the exchange's %s filter refuses a %s sell of %s%s; nothing was sent",
		         sb_filter_name(failed), type == SB_ORDER_MARKET ? "market" : "limit", s[0],
		         type == SB_ORDER_MARKET ? "" : " at this price");
		return 422;
	}
	if (err != SB_OK) {
		snprintf(msg, cap, "the sell is refused: %s", sb_strerror(err));
		return 422;
	}
	*qty = q;
	return 0;
}

/* ---- jobs ----------------------------------------------------------------------------------------- */

static struct job *job_find(struct control_manual *m, int64_t id)
{
	for (size_t i = 0; i < m->njobs; i++)
		if (m->jobs[i].id == id)
			return &m->jobs[i];
	return NULL;
}

/* The detail of a manual.*_done or _failed event: {"action":"sell","ok":true,"detail":"..."}. */
static void end_detail(const struct outcome *o, struct sb_buf *out)
{
	sb_buf_putc(out, '{');
	sb_json_key(out, "action");
	sb_json_str(out, job_names[o->kind]);
	sb_buf_putc(out, ',');
	sb_json_key(out, "ok");
	sb_json_bool(out, o->ok);
	sb_buf_putc(out, ',');
	sb_json_key(out, "detail");
	sb_json_str(out, o->detail);
	sb_buf_putc(out, '}');
}

/* Records how job j ended (an event, the log, the outcome view) and lets the strategy at the position. */
__attribute__((format(printf, 4, 5))) static void job_end(struct control_manual *m, struct job *j, bool ok,
                                                          const char *fmt, ...)
{
	job_move(j, CONTROL_JOB_END);
	struct outcome *o = &m->outcomes[m->next_outcome];
	m->next_outcome = (m->next_outcome + 1) % MANUAL_OUTCOMES_MAX;
	*o = (struct outcome){.id = j->id, .kind = j->kind, .ok = ok, .ended_ms = bot_now_ms(m->b)};
	snprintf(o->coid, sizeof o->coid, "%s", j->coid);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof o->detail, fmt, ap);
	va_end(ap);
	struct bot_pos *bp = orders_pos_find(m->b, j->id);
	if (bp)
		bp->retry_at_ms = 0;
	struct sb_buf detail = {0};
	end_detail(o, &detail);
	char kind[64];
	snprintf(kind, sizeof kind, "manual.%s_%s", job_names[j->kind], ok ? "done" : "failed");
	bot_event(m->b, kind, j->symbol, j->id, j->coid[0] ? j->coid : NULL, sb_buf_str(&detail));
	sb_buf_fini(&detail);
	if (ok)
		sb_log_info("control",
		            SB_FIELDS(SB_F_INT("position", j->id), SB_F_STR("action", job_names[j->kind])),
		            "manual %s of position %" PRId64 ": %s", job_names[j->kind], j->id, o->detail);
	else
		sb_log_warn(
		    "control", SB_FIELDS(SB_F_INT("position", j->id), SB_F_STR("action", job_names[j->kind])),
		    "manual %s of position %" PRId64 " failed: %s", job_names[j->kind], j->id, o->detail);
	bot_human(m->b, "#%-4" PRId64 " manual %s %s: %s", j->id, job_names[j->kind], ok ? "done" : "FAILED",
	          o->detail);
}

/* The position of j has ended: its final state is in the store. */
static void job_position_ended(struct control_manual *m, struct job *j)
{
	struct sb_store_position row;
	if (sb_store_position_get(m->b->st, j->id, &row) != SB_OK) {
		job_end(m, j, false, "the position is gone and its record could not be read");
		return;
	}
	const char *st = sb_position_state_name(row.state);
	char s[2][SB_DEC_STRLEN];
	sb_dec_format_trim(row.sold_qty, s[0], sizeof s[0]);
	sb_dec_format_trim(row.proceeds, s[1], sizeof s[1]);
	if (row.state == SB_POSITION_CLOSED)
		job_end(m, j, j->kind != JOB_ABANDON, "position %s: sold %s for %s", st, s[0], s[1]);
	else if (row.state == SB_POSITION_CANCELED)
		job_end(m, j, true, "position %s: the buy ended without any fill, nothing to sell", st);
	else
		job_end(m, j, j->kind == JOB_ABANDON, "position %s (%s)", st, row.notes);
}

/*
 * Cancels o when it works on the exchange. True when nothing of o works any more; false while it is being
 * cancelled or the order manager settles it (an order that may exist is queried, never assumed gone).
 */
static bool clear_order(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, const char *why)
{
	if (!o->present || sb_order_state_is_final(o->sm.state))
		return true;
	/* A query due (a cancel refused, an answer lost) says first whether there is still something to
	 * cancel: a second cancel before it would meet the same refusal. */
	if (sb_order_state_is_open(o->sm.state) && !o->sm.cancel_requested && o->query_at_ms == 0)
		orders_cancel(b, bp, o, why);
	return false;
}

/* Says how job j's order ended once it has (status the stored name, executed what it sold); false while
 * it still works or has filled (the position closes next). */
static bool order_ended(struct control_manual *m, struct job *j, bool final, bool filled, const char *status,
                        sb_dec executed, const char *error)
{
	if (!final || filled)
		return false;
	char qty[SB_DEC_STRLEN];
	sb_dec_format_trim(executed, qty, sizeof qty);
	job_end(m, j, false, "the %s sell %s ended %s after selling %s%s%s",
	        j->kind == JOB_SELL ? "market" : "limit", j->coid, status, qty, error[0] ? ": " : "", error);
	return true;
}

/* WATCHING: the job ends once its order has (a re-price once its limit sell works). */
static void job_watch(struct control_manual *m, struct job *j, struct bot_pos *bp)
{
	const struct bot_order *o = &bp->sell;
	struct sb_store_order row;
	if (!o->present || strcmp(o->row.client_order_id, j->coid) != 0) {
		/* It has ended and left the position's memory (the position holds again). */
		if (sb_store_order_get(m->b->st, j->coid, &row) != SB_OK) {
			job_end(m, j, false, "the order %s cannot be found", j->coid);
			return;
		}
		(void)order_ended(m, j, true, row.status == SB_ORDER_FILLED, sb_order_state_name(row.status),
		                  row.executed_qty, row.last_error);
		return;
	}
	if (j->kind == JOB_REPRICE && sb_order_state_is_open(o->sm.state)) {
		char qty[SB_DEC_STRLEN], price[SB_DEC_STRLEN];
		sb_dec_format_trim(o->row.orig_qty, qty, sizeof qty);
		sb_dec_format_trim(o->row.price, price, sizeof price);
		job_end(m, j, true, "the limit sell of %s works at %s", qty, price);
		return;
	}
	(void)order_ended(m, j, sb_order_state_is_final(o->sm.state), o->sm.state == SB_ORDER_FILLED,
	                  sb_order_state_name(o->sm.state), o->sm.executed_qty, o->row.last_error);
}

/*
 * CLEARING (and ACTING, which checks again): cancels the position's working orders for j. Returns what it
 * found: CLEARED (nothing works on the exchange), WORKING (an order is being cancelled or settled), FOLLOW
 * (a market exit works: a manual sell follows it, j->coid), or END (the job cannot go on and has ended).
 */
static enum control_job_event job_clear(struct control_manual *m, struct job *j, struct bot_pos *bp)
{
	struct sb_bot *b = m->b;
	const char *why = j->kind == JOB_CANCEL    ? "manual"
	                  : j->kind == JOB_SELL    ? "manual sell"
	                  : j->kind == JOB_REPRICE ? "manual reprice"
	                                           : "manual abandon";
	if (bp->p.state == SB_POSITION_BUYING)
		return clear_order(b, bp, &bp->buy, why) ? CONTROL_JOB_CLEARED : CONTROL_JOB_WORKING;
	if (bp->p.state != SB_POSITION_SELLING || !bp->sell.present)
		return CONTROL_JOB_CLEARED;
	bool market = bp->sell.row.type == SB_ORDER_MARKET || bp->p.exit != SB_EXIT_TARGET;
	if (market && !sb_order_state_is_final(bp->sell.sm.state) && j->kind == JOB_SELL) {
		/* Already leaving at market: the manual sell follows that order. */
		snprintf(j->coid, sizeof j->coid, "%s", bp->sell.row.client_order_id);
		return CONTROL_JOB_FOLLOW;
	}
	if (market && !sb_order_state_is_final(bp->sell.sm.state) && j->kind == JOB_REPRICE) {
		job_end(m, j, false, "a market exit is under way; there is no limit sell to re-price");
		return CONTROL_JOB_END;
	}
	return clear_order(b, bp, &bp->sell, why) ? CONTROL_JOB_CLEARED : CONTROL_JOB_WORKING;
}

/* The order job j places now that its position holds its coins; false with the job ended when it cannot. */
static bool job_action(struct control_manual *m, struct job *j, const struct bot_pos *bp, struct sb_action *a)
{
	sb_dec qty = 0;
	char why[320];
	enum sb_order_type type = j->kind == JOB_SELL ? SB_ORDER_MARKET : SB_ORDER_LIMIT;
	if (sell_check(m->b, bp, type, j->price, &qty, why, sizeof why) != 0) {
		/* What remains changed (a fill before the cancel), or the market moved. */
		job_end(m, j, false, "%s", why);
		return false;
	}
	*a = (struct sb_action){.kind = j->kind == JOB_SELL ? SB_ACT_MARKET_SELL : SB_ACT_PLACE_SELL,
	                        .reason = SB_WHY_MANUAL,
	                        .position_id = j->id,
	                        .type = type,
	                        .price = j->kind == JOB_SELL ? 0 : j->price,
	                        .qty = qty,
	                        .plan = j->plan};
	return true;
}

/* ACTING: nothing works on the exchange for the position any more, so j does its part: it ends, or places
 * its order (WATCHING), or waits for the position to hold its coins. */
static void job_act(struct control_manual *m, struct job *j, struct bot_pos *bp, int64_t now)
{
	struct sb_bot *b = m->b;
	char s[SB_DEC_STRLEN];
	sb_dec_format_trim(bp->p.buy_qty, s, sizeof s);
	if (j->kind == JOB_CANCEL) {
		job_end(m, j, true, "the buy has ended (%s) with %s bought; the position is %s",
		        bp->buy.present ? sb_order_state_name(bp->buy.sm.state) : "none", s,
		        sb_position_state_name(bp->p.state));
		return;
	}
	if (j->kind == JOB_ABANDON) {
		sb_err err = orders_abandon_manual(b, bp, now);
		if (err != SB_OK) {
			job_end(m, j, false, "the position could not be abandoned: %s", sb_strerror(err));
			return;
		}
		job_end(m, j, true, "position ABANDONED with %s bought; the coins stay in the account", s);
		return;
	}
	if (bp->p.state != SB_POSITION_HOLDING)
		return; /* the buy ended but its fills are still being fetched */
	struct sb_action a;
	if (!job_action(m, j, bp, &a))
		return;
	if (j->kind == JOB_SELL)
		orders_market_sell(b, bp, &a, now);
	else
		orders_place_sell(b, bp, &a, now);
	if (bp->p.state != SB_POSITION_SELLING)
		return; /* not written (a retry): the next tick tries again */
	snprintf(j->coid, sizeof j->coid, "%s", bp->sell.row.client_order_id);
	job_move(j, CONTROL_JOB_PLACED);
}

/* Moves job j on as far as it can go now; j->state says where it stands (ENDED: finished). */
static void job_step(struct control_manual *m, struct job *j, int64_t now)
{
	struct sb_bot *b = m->b;
	struct bot_pos *bp = orders_pos_find(b, j->id);
	if (!bp) {
		job_position_ended(m, j);
		return;
	}
	bp->retry_at_ms = now + MANUAL_FENCE_MS;
	if (pos_busy(bp) || !bot_may_trade(b))
		return;
	if (j->state == CONTROL_JOB_WATCHING) {
		job_watch(m, j, bp);
		return;
	}
	enum control_job_event ev = job_clear(m, j, bp);
	if (ev == CONTROL_JOB_END)
		return; /* job_end has moved it already */
	job_move(j, ev);
	/* An order placed now is watched from the next step on; a market exit followed, at once. */
	if (ev == CONTROL_JOB_CLEARED)
		job_act(m, j, bp, now);
	else if (ev == CONTROL_JOB_FOLLOW)
		job_watch(m, j, bp);
}

void control_manual_tick(struct control_manual *m, int64_t now_ms)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->njobs;) {
		struct job *j = &m->jobs[i];
		job_step(m, j, now_ms);
		if (j->state == CONTROL_JOB_ENDED)
			m->jobs[i] = m->jobs[--m->njobs];
		else
			i++;
	}
}

/* ---- requests ------------------------------------------------------------------------------------- */

/* Which actions work on bp now, for a refusal ("sell or abandon it"). */
static const char *what_works(const struct bot_pos *bp)
{
	switch (bp->p.state) {
	case SB_POSITION_BUYING:
		return "cancel, sell or abandon it";
	case SB_POSITION_HOLDING:
		return "sell, reprice or abandon it";
	default:
		return bp->sell.present && bp->sell.row.type == SB_ORDER_LIMIT && bp->p.exit == SB_EXIT_TARGET
		           ? "sell, reprice or abandon it"
		           : "wait for the market sell, or abandon it";
	}
}

/* Starts job j (the intent is an event first); 202 with the answer in *out. */
static int job_start(struct control_manual *m, struct bot_pos *bp, const struct job *want, cJSON *answer,
                     cJSON **out)
{
	struct sb_bot *b = m->b;
	struct job *j = job_find(m, bp->p.id);
	if (!j && m->njobs == MANUAL_JOBS_MAX) {
		cJSON_Delete(answer);
		return refuse(out, 503, "too many manual actions under way");
	}
	char *detail = cJSON_PrintUnformatted(answer);
	char kind[32];
	snprintf(kind, sizeof kind, "manual.%s", job_names[want->kind]);
	bot_event(b, kind, bp->p.symbol, bp->p.id, NULL, detail);
	free(detail);
	if (b->degraded) {
		cJSON_Delete(answer);
		return refuse(out, 500, "the database could not be written");
	}
	if (!j)
		j = &m->jobs[m->njobs++];
	*j = *want;
	snprintf(j->symbol, sizeof j->symbol, "%s", bp->p.symbol);
	j->started_ms = bot_now_ms(b);
	bot_human(b, "%-8s #%-4" PRId64 " manual %s accepted", bp->p.symbol, bp->p.id, job_names[j->kind]);
	control_manual_tick(m, bot_now_ms(b));
	cJSON_AddBoolToObject(answer, "accepted", true);
	*out = answer;
	return 202;
}

static cJSON *answer_new(int64_t id, enum job_kind kind)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)id);
	cJSON_AddStringToObject(o, "action", job_names[kind]);
	return o;
}

static int post_sell(struct control_manual *m, struct bot_pos *bp, cJSON **out)
{
	struct job *j = job_find(m, bp->p.id);
	if (j && j->kind == JOB_SELL)
		return job_start(m, bp, j, answer_new(bp->p.id, JOB_SELL), out);
	if (j && j->kind == JOB_ABANDON)
		return refuse(out, 409, "position %" PRId64 " is being abandoned", bp->p.id);
	/* What was bought so far must be sellable at market (BUYING with nothing bought yet: the rest of
	 * the buy is cancelled and the position ends CANCELED, so there is nothing to check). */
	if (bp->p.state != SB_POSITION_BUYING || holding(bp) > 0) {
		char msg[320];
		sb_dec qty = 0;
		int status = sell_check(m->b, bp, SB_ORDER_MARKET, 0, &qty, msg, sizeof msg);
		if (status)
			return refuse(out, status, "%s", msg);
	}
	/* A sell at market overrides a re-price or a cancel still under way. */
	struct job want = {.id = bp->p.id, .kind = JOB_SELL};
	return job_start(m, bp, &want, answer_new(bp->p.id, JOB_SELL), out);
}

/* The answer to an accepted re-price: the old limit price (null when holding), the new one, the minimum
 * profitable price (min NULL: it could not be computed) and whether force was given. */
static cJSON *reprice_answer(const struct bot_pos *bp, bool selling_limit, const char *price, const char *min,
                             bool force)
{
	cJSON *a = answer_new(bp->p.id, JOB_REPRICE);
	if (selling_limit)
		add_dec(a, "old", bp->sell.row.price);
	else
		cJSON_AddNullToObject(a, "old");
	cJSON_AddStringToObject(a, "new", price);
	cJSON_AddStringToObject(a, "price", price);
	if (min) {
		cJSON_AddStringToObject(a, "min", min);
		cJSON_AddStringToObject(a, "min_price", min);
	} else {
		cJSON_AddNullToObject(a, "min_price");
	}
	cJSON_AddBoolToObject(a, "force", force);
	return a;
}

static int post_reprice(struct control_manual *m, struct bot_pos *bp, const char *text, bool force,
                        cJSON **out)
{
	struct sb_bot *b = m->b;
	int64_t id = bp->p.id;
	char st[64];
	state_words(bp, st, sizeof st);
	struct job *j = job_find(m, id);
	if (j && j->kind != JOB_REPRICE)
		return refuse(out, 409, "a manual %s of position %" PRId64 " is under way",
		              job_names[j->kind], id);
	bool selling_limit = bp->p.state == SB_POSITION_SELLING && bp->p.exit == SB_EXIT_TARGET &&
	                     bp->sell.present && bp->sell.row.type == SB_ORDER_LIMIT;
	if (bp->p.state != SB_POSITION_HOLDING && !selling_limit)
		return refuse(out, 409, "position %" PRId64 " is %s: there is no limit sell to re-price; %s",
		              id, st, what_works(bp));
	if (!j && selling_limit && bp->sell.sm.cancel_requested)
		return refuse(out, 409,
		              "the limit sell is being cancelled (a market exit may follow); try again");
	sb_dec raw = 0, price = 0;
	if (!text || !text[0] || sb_dec_parse(text, strlen(text), &raw) != SB_OK || raw <= 0)
		return refuse(out, 400, "price=P is required: a positive decimal");
	if (!bp->pair->have_rules ||
	    sb_rules_round_price(&bp->pair->rules, SB_SIDE_SELL, raw, &price) != SB_OK || price <= 0)
		return refuse(out, 422, "the price cannot be put on the symbol's tick");
	char msg[320];
	sb_dec qty = 0;
	int status = sell_check(b, bp, SB_ORDER_LIMIT, price, &qty, msg, sizeof msg);
	if (status)
		return refuse(out, status, "%s", msg);
	struct sb_sell_plan plan;
	memset(&plan, 0, sizeof plan);
	sb_err err = orders_sell_plan(b, bp, &plan);
	char s[2][SB_DEC_STRLEN];
	sb_dec_format_trim(price, s[0], sizeof s[0]);
	sb_dec_format_trim(plan.min_sell_price, s[1], sizeof s[1]);
	if (!force && err != SB_OK) {
		snprintf(msg, sizeof msg, "the minimum profitable price cannot be computed (%s)",
		         sb_errname(err));
		return refuse_unless_forced(out, msg, "sells anyway");
	}
	if (!force && price < plan.min_sell_price) {
		snprintf(msg, sizeof msg, "%s is below the minimum profitable price %s", s[0], s[1]);
		return refuse_unless_forced(out, msg, "sells at a loss");
	}
	cJSON *a = reprice_answer(bp, selling_limit, s[0], err == SB_OK ? s[1] : NULL, force);
	sb_log_info("control",
	            SB_FIELDS(SB_F_INT("position", id), SB_F_STR("symbol", bp->p.symbol),
	                      SB_F_DEC("price", price), SB_F_BOOL("force", force)),
	            "position %" PRId64 ": sell re-priced by hand to %s", id, s[0]);
	struct job want = {.id = id, .kind = JOB_REPRICE, .price = price, .plan = plan};
	return job_start(m, bp, &want, a, out);
}

static int post_cancel(struct control_manual *m, struct bot_pos *bp, cJSON **out)
{
	char st[64];
	state_words(bp, st, sizeof st);
	struct job *j = job_find(m, bp->p.id);
	if (j && j->kind != JOB_CANCEL)
		return refuse(out, 409, "a manual %s of position %" PRId64 " is under way",
		              job_names[j->kind], bp->p.id);
	if (bp->p.state != SB_POSITION_BUYING)
		return refuse(out, 409, "position %" PRId64 " is %s: it has no buy to cancel; %s", bp->p.id,
		              st, what_works(bp));
	if (bp->buy.present && sb_order_state_is_final(bp->buy.sm.state))
		return refuse(out, 409,
		              "position %" PRId64
		              " is %s: its buy has ended and its fills are being fetched; "
		              "nothing to cancel: sell or abandon it",
		              bp->p.id, st);
	struct job want = {.id = bp->p.id, .kind = JOB_CANCEL};
	return job_start(m, bp, &want, answer_new(bp->p.id, JOB_CANCEL), out);
}

static int post_abandon(struct control_manual *m, struct bot_pos *bp, cJSON **out)
{
	/* Abandon is the way out of every state: it overrides whatever else is under way. */
	struct job want = {.id = bp->p.id, .kind = JOB_ABANDON};
	return job_start(m, bp, &want, answer_new(bp->p.id, JOB_ABANDON), out);
}

/* A position the daemon no longer holds: 409 naming its final state, or 404. */
static int not_open(struct control_manual *m, int64_t id, const char *action, cJSON **out)
{
	struct sb_store_position row;
	if (sb_store_position_get(m->b->st, id, &row) != SB_OK)
		return refuse(out, 404, "no such open position");
	return refuse(out, 409, "position %" PRId64 " is %s: it has ended, there is nothing to %s", id,
	              sb_position_state_name(row.state), action);
}

int control_manual_post(struct control_manual *m, int64_t id, const char *action, const char *price,
                        bool force, cJSON **out)
{
	struct sb_bot *b = m->b;
	struct bot_pos *bp = orders_pos_find(b, id);
	if (!bp)
		return not_open(m, id, action, out);
	if (!bot_may_trade(b))
		return refuse(out, 409, "the daemon is not trading now");
	if (strcmp(action, "sell") == 0)
		return post_sell(m, bp, out);
	if (strcmp(action, "reprice") == 0)
		return post_reprice(m, bp, price, force, out);
	if (strcmp(action, "cancel") == 0)
		return post_cancel(m, bp, out);
	return post_abandon(m, bp, out);
}

/* The newest ended action on position id, or NULL. */
static const struct outcome *outcome_find(const struct control_manual *m, int64_t id)
{
	for (size_t k = 0; k < MANUAL_OUTCOMES_MAX; k++) {
		const struct outcome *x =
		    &m->outcomes[(m->next_outcome + MANUAL_OUTCOMES_MAX - 1 - k) % MANUAL_OUTCOMES_MAX];
		if (x->id == id)
			return x;
	}
	return NULL;
}

/* The order coid as the store has it, as "order" of r (nothing when there is none). */
static void add_order(struct sb_bot *b, cJSON *r, const char *coid)
{
	struct sb_store_order ord;
	if (!coid[0] || sb_store_order_get(b->st, coid, &ord) != SB_OK)
		return;
	cJSON *x = cJSON_AddObjectToObject(r, "order");
	cJSON_AddStringToObject(x, "client_order_id", ord.client_order_id);
	cJSON_AddStringToObject(x, "type", sb_order_type_name(ord.type));
	cJSON_AddStringToObject(x, "status", sb_order_state_name(ord.status));
	add_dec(x, "orig_qty", ord.orig_qty);
	add_dec(x, "executed_qty", ord.executed_qty);
	add_dec(x, "cumm_quote_qty", ord.cumm_quote_qty);
	if (ord.last_error[0])
		cJSON_AddStringToObject(x, "last_error", ord.last_error);
	else
		cJSON_AddNullToObject(x, "last_error");
}

int control_manual_outcome(struct control_manual *m, int64_t id, cJSON **out)
{
	struct sb_bot *b = m->b;
	control_manual_tick(m, bot_now_ms(b)); /* what has happened since the last tick counts */
	const struct job *j = job_find(m, id);
	const struct outcome *o = j ? NULL : outcome_find(m, id);
	if (!j && !o)
		return refuse(out, 404, "no manual action on position %" PRId64 " since the daemon started",
		              id);
	cJSON *r = answer_new(id, j ? j->kind : o->kind);
	cJSON_AddBoolToObject(r, "done", j == NULL);
	struct bot_pos *bp = orders_pos_find(b, id);
	struct sb_store_position row;
	char st[64] = "";
	if (bp)
		state_words(bp, st, sizeof st);
	else if (sb_store_position_get(b->st, id, &row) == SB_OK)
		snprintf(st, sizeof st, "%s", sb_position_state_name(row.state));
	cJSON_AddStringToObject(r, "state", st);
	if (j) {
		add_order(b, r, j->coid);
	} else {
		cJSON_AddBoolToObject(r, "ok", o->ok);
		cJSON_AddStringToObject(r, "detail", o->detail);
		add_order(b, r, o->coid);
	}
	*out = r;
	return 200;
}

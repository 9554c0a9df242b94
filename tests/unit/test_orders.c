/*
 * test_orders.c - the order state machine: every legal transition, a sample of illegal ones, duplicates
 * and out-of-order reports, the settling of UNKNOWN by queries, and the state names.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "spotbot/orders.h"

#define Q(units, frac) SB_DEC_C(units, frac)
#define ONE            SB_DEC_ONE
#define HALF           SB_DEC_C(0, 50000000)

static struct sb_order_sm sm(enum sb_order_state s, sb_dec executed)
{
	struct sb_order_sm o;
	sb_order_sm_init(&o, ONE, 1000);
	o.state = s;
	o.executed_qty = executed;
	return o;
}

static struct sb_order_event report(enum sb_order_state status, sb_dec executed)
{
	return (struct sb_order_event){
	    .kind = SB_ORDER_EV_REPORT, .status = status, .executed_qty = executed, .time_ms = 2000};
}

static struct sb_order_event ev(enum sb_order_event_kind kind)
{
	return (struct sb_order_event){.kind = kind, .time_ms = 2000};
}

struct row {
	enum sb_order_state from;
	sb_dec from_qty;
	enum sb_order_state status;
	sb_dec qty;
	sb_err want;
	enum sb_order_state to; /* state afterwards */
};

#define PN SB_ORDER_PENDING_NEW
#define NW SB_ORDER_NEW
#define PF SB_ORDER_PARTIALLY_FILLED
#define FI SB_ORDER_FILLED
#define CA SB_ORDER_CANCELED
#define RE SB_ORDER_REJECTED
#define EX SB_ORDER_EXPIRED
#define UN SB_ORDER_UNKNOWN
#define NS SB_ORDER_NEVER_SENT
#define EM SB_ORDER_EXPIRED_IN_MATCH
#define LO SB_ORDER_LOST

/* Every legal report transition, and the illegal ones next to them. */
static const struct row rows[] = {
    /* from PENDING_NEW and UNKNOWN: any exchange status */
    {PN, 0, NW, 0, SB_OK, NW},
    {PN, 0, PF, HALF, SB_OK, PF},
    {PN, 0, FI, ONE, SB_OK, FI},
    {PN, 0, CA, 0, SB_OK, CA},
    {PN, 0, RE, 0, SB_OK, RE},
    {PN, 0, EX, HALF, SB_OK, EX},
    {UN, 0, NW, 0, SB_OK, NW},
    {UN, 0, PF, HALF, SB_OK, PF},
    {UN, 0, FI, ONE, SB_OK, FI},
    {UN, 0, CA, 0, SB_OK, CA},
    {UN, 0, RE, 0, SB_OK, RE},
    {UN, 0, EX, 0, SB_OK, EX},
    /* from NEW */
    {NW, 0, NW, 0, SB_ERR_EXISTS, NW},
    {NW, 0, PF, HALF, SB_OK, PF},
    {NW, 0, FI, ONE, SB_OK, FI},
    {NW, 0, CA, 0, SB_OK, CA},
    {NW, 0, EX, 0, SB_OK, EX},
    {NW, 0, RE, 0, SB_OK, RE},
    /* from PARTIALLY_FILLED */
    {PF, HALF, PF, Q(0, 70000000), SB_OK, PF},
    {PF, HALF, PF, HALF, SB_ERR_EXISTS, PF},
    {PF, HALF, PF, Q(0, 30000000), SB_ERR_EXISTS, PF}, /* older report */
    {PF, HALF, NW, 0, SB_ERR_EXISTS, PF},              /* older report */
    {PF, HALF, FI, ONE, SB_OK, FI},
    {PF, HALF, CA, HALF, SB_OK, CA},
    {PF, HALF, CA, Q(0, 60000000), SB_OK, CA}, /* cancel report counting one more fill */
    {PF, HALF, EX, HALF, SB_OK, EX},
    {PF, HALF, RE, 0, SB_ERR_EXISTS, PF}, /* a rejection can only be older than a fill */
    /* ended orders: only the same end repeats */
    {FI, ONE, FI, ONE, SB_ERR_EXISTS, FI},
    {FI, ONE, NW, 0, SB_ERR_STATE, FI},
    {FI, ONE, PF, HALF, SB_ERR_STATE, FI},
    {FI, ONE, CA, ONE, SB_ERR_STATE, FI},
    {FI, ONE, EX, ONE, SB_ERR_STATE, FI},
    {CA, HALF, CA, HALF, SB_ERR_EXISTS, CA},
    {CA, HALF, CA, Q(0, 40000000), SB_ERR_EXISTS, CA},
    {CA, HALF, CA, Q(0, 60000000), SB_OK, CA}, /* a late count of fills is adopted, never lost */
    {CA, HALF, FI, ONE, SB_ERR_STATE, CA},
    {CA, 0, NW, 0, SB_ERR_STATE, CA},
    {CA, HALF, PF, HALF, SB_ERR_STATE, CA},
    {RE, 0, RE, 0, SB_ERR_EXISTS, RE},
    {RE, 0, NW, 0, SB_ERR_STATE, RE},
    {RE, 0, FI, ONE, SB_ERR_STATE, RE},
    {EX, HALF, EX, HALF, SB_ERR_EXISTS, EX},
    {EX, HALF, FI, ONE, SB_ERR_STATE, EX},
    /* EXPIRED_IN_MATCH (self-trade prevention): from any working state, with or without fills */
    {PN, 0, EM, 0, SB_OK, EM},
    {UN, 0, EM, HALF, SB_OK, EM},
    {NW, 0, EM, 0, SB_OK, EM},
    {PF, HALF, EM, HALF, SB_OK, EM},
    {PF, HALF, EM, Q(0, 70000000), SB_OK, EM}, /* its report counting one more fill */
    {EM, HALF, EM, HALF, SB_ERR_EXISTS, EM},
    {EM, 0, FI, ONE, SB_ERR_STATE, EM},
    {EM, HALF, EX, HALF, SB_ERR_STATE, EM},
    {FI, ONE, EM, ONE, SB_ERR_STATE, FI},
    {EX, HALF, EM, HALF, SB_ERR_STATE, EX},
    /* NEVER_SENT and LOST: the exchange knew it after all, adopted */
    {LO, 0, CA, 0, SB_OK, CA},
    {LO, HALF, FI, ONE, SB_OK, FI},
    {NS, 0, NW, 0, SB_OK, NW},
    {NS, 0, FI, ONE, SB_OK, FI},
    /* malformed reports */
    {NW, 0, NW, HALF, SB_ERR_INVALID, NW},    /* NEW with a fill */
    {NW, 0, PF, 0, SB_ERR_INVALID, NW},       /* partial without a fill */
    {NW, 0, FI, 0, SB_ERR_INVALID, NW},       /* filled without a fill */
    {NW, 0, RE, HALF, SB_ERR_INVALID, NW},    /* rejected with a fill */
    {NW, 0, FI, 2 * ONE, SB_ERR_INVALID, NW}, /* more than ordered */
    {NW, 0, PF, -HALF, SB_ERR_INVALID, NW},
    {NW, 0, PN, 0, SB_ERR_INVALID, NW}, /* the bot's own words are not exchange statuses */
    {NW, 0, UN, 0, SB_ERR_INVALID, NW},
    {NW, 0, NS, 0, SB_ERR_INVALID, NW},
    {NW, 0, LO, 0, SB_ERR_INVALID, NW},
};

Test(orders, report_transition_table)
{
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		const struct row *r = &rows[i];
		struct sb_order_sm o = sm(r->from, r->from_qty);
		struct sb_order_sm before = o;
		struct sb_order_event e = report(r->status, r->qty);
		sb_err got = sb_order_apply(&o, &e);
		cr_assert_eq(got, r->want, "row %zu: %s(%lld) + %s(%lld): got %s, want %s", i,
		             sb_order_state_name(r->from), (long long)r->from_qty,
		             sb_order_state_name(r->status), (long long)r->qty, sb_errname(got),
		             sb_errname(r->want));
		cr_assert_eq(o.state, r->to, "row %zu: state %s, want %s", i, sb_order_state_name(o.state),
		             sb_order_state_name(r->to));
		if (got == SB_OK) {
			cr_assert_eq(o.executed_qty, r->qty, "row %zu", i);
			cr_assert_eq(o.updated_ms, 2000, "row %zu", i);
		} else {
			cr_assert(memcmp(&o, &before, sizeof o) == 0, "row %zu: unchanged on %s", i,
			          sb_errname(got));
		}
	}
}

Test(orders, same_report_from_every_source_is_one_transition)
{
	/* The ack, the stream report and a query all say the same thing: only the first changes anything. */
	struct sb_order_sm o;
	sb_order_sm_init(&o, ONE, 1);
	struct sb_order_event e = report(SB_ORDER_NEW, 0);
	e.kind = SB_ORDER_EV_ACK;
	e.exchange_id = 77;
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	cr_assert_eq(o.exchange_id, 77);
	e.kind = SB_ORDER_EV_REPORT;
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS);
	e.kind = SB_ORDER_EV_QUERY_FOUND;
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS);
	cr_assert_eq(o.state, SB_ORDER_NEW);
}

Test(orders, stream_before_ack_then_late_ack_changes_nothing)
{
	struct sb_order_sm o;
	sb_order_sm_init(&o, ONE, 1);
	struct sb_order_event fill = report(SB_ORDER_FILLED, ONE);
	fill.cum_quote_qty = SB_DEC_C(50000, 0);
	cr_assert_eq(sb_order_apply(&o, &fill), SB_OK);
	struct sb_order_event ack = report(SB_ORDER_NEW, 0);
	ack.kind = SB_ORDER_EV_ACK;
	cr_assert_eq(sb_order_apply(&o, &ack), SB_ERR_STATE, "FILLED -> NEW is illegal");
	cr_assert_eq(o.state, SB_ORDER_FILLED);
	cr_assert_eq(o.executed_qty, ONE);
	cr_assert_eq(o.cum_quote_qty, SB_DEC_C(50000, 0));
}

Test(orders, executed_quantity_never_decreases_over_shuffled_reports)
{
	/* Reports of 0.1, 0.2, ..., 1.0 executed, delivered in a scrambled order, twice each: the order ends
	 * FILLED with 1.0, and every report that is not newer is reported as nothing new. */
	int order[] = {3, 1, 2, 5, 4, 7, 6, 9, 8, 10, 2, 10, 5};
	struct sb_order_sm o;
	sb_order_sm_init(&o, ONE, 1);
	sb_dec high = 0;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		sb_dec q = (sb_dec)order[i] * SB_DEC_C(0, 10000000);
		struct sb_order_event e =
		    report(order[i] == 10 ? SB_ORDER_FILLED : SB_ORDER_PARTIALLY_FILLED, q);
		sb_err err = sb_order_apply(&o, &e);
		if (q > high) {
			cr_assert_eq(err, SB_OK, "step %zu", i);
			high = q;
		} else {
			cr_assert(err == SB_ERR_EXISTS || err == SB_ERR_STATE, "step %zu: %s", i,
			          sb_errname(err));
		}
		cr_assert_eq(o.executed_qty, high);
	}
	cr_assert_eq(o.state, SB_ORDER_FILLED);
}

Test(orders, timeout_then_query_found_adopts_the_exchange_status)
{
	struct sb_order_sm o;
	sb_order_sm_init(&o, ONE, 1);
	struct sb_order_event t = ev(SB_ORDER_EV_SEND_UNKNOWN);
	cr_assert_eq(sb_order_apply(&o, &t), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_UNKNOWN);
	cr_assert(sb_order_state_is_unsettled(o.state));
	cr_assert_eq(sb_order_apply(&o, &t), SB_ERR_EXISTS, "a second timeout is nothing new");
	struct sb_order_event q = report(SB_ORDER_PARTIALLY_FILLED, HALF);
	q.kind = SB_ORDER_EV_QUERY_FOUND;
	q.exchange_id = 12345;
	cr_assert_eq(sb_order_apply(&o, &q), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_PARTIALLY_FILLED);
	cr_assert_eq(o.executed_qty, HALF);
	cr_assert_eq(o.exchange_id, 12345);
}

Test(orders, query_not_found_only_settles_unsettled_orders)
{
	enum sb_order_state from[] = {SB_ORDER_PENDING_NEW, SB_ORDER_UNKNOWN};
	for (size_t i = 0; i < 2; i++) {
		struct sb_order_sm o = sm(from[i], 0);
		struct sb_order_event e = ev(SB_ORDER_EV_QUERY_NOT_FOUND);
		cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
		cr_assert_eq(o.state, SB_ORDER_NEVER_SENT);
		cr_assert(sb_order_state_is_final(o.state));
		cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS);
	}
	enum sb_order_state ended[] = {SB_ORDER_FILLED, SB_ORDER_CANCELED, SB_ORDER_EXPIRED_IN_MATCH};
	for (size_t i = 0; i < 3; i++) {
		struct sb_order_sm o = sm(ended[i], HALF);
		struct sb_order_event e = ev(SB_ORDER_EV_QUERY_NOT_FOUND);
		cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_STATE, "%s keeps the end the exchange reported",
		             sb_order_state_name(ended[i]));
		cr_assert_eq(o.state, ended[i]);
		cr_assert_eq(o.executed_qty, HALF);
	}
}

/* The exchange acknowledged the order, then forgot it (restarted without its state, or archived it):
 * the order ends LOST with what its fills on record explain, and asking again changes nothing. */
Test(orders, query_not_found_of_an_acknowledged_order_makes_it_lost)
{
	struct sb_order_sm o = sm(SB_ORDER_NEW, 0);
	o.exchange_id = 77;
	o.cancel_requested = true;
	struct sb_order_event e = ev(SB_ORDER_EV_QUERY_NOT_FOUND);
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_LOST);
	cr_assert(sb_order_state_is_final(o.state));
	cr_assert_not(sb_order_state_is_open(o.state));
	cr_assert_not(o.cancel_requested, "nothing is left to cancel");
	cr_assert_eq(o.exchange_id, 77, "the order keeps its identity");
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS, "asked again: nothing new");
	struct sb_order_event c = ev(SB_ORDER_EV_CANCEL_REQUESTED);
	cr_assert_eq(sb_order_apply(&o, &c), SB_ERR_STATE, "an ended order is not cancelled");

	/* Partly filled: the fills on record decide, even below an earlier report whose fills are gone. */
	o = sm(SB_ORDER_PARTIALLY_FILLED, Q(0, 70000000));
	e.executed_qty = HALF;
	e.cum_quote_qty = Q(12, 0);
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_LOST);
	cr_assert_eq(o.executed_qty, HALF);
	cr_assert_eq(o.cum_quote_qty, Q(12, 0));

	/* More than ordered, or negative, is malformed and changes nothing. */
	o = sm(SB_ORDER_NEW, 0);
	e.executed_qty = 2 * ONE;
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_INVALID);
	cr_assert_eq(o.state, SB_ORDER_NEW);
	e.executed_qty = -HALF;
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_INVALID);
}

Test(orders, expired_in_match_is_final_and_keeps_its_fills)
{
	struct sb_order_sm o = sm(SB_ORDER_PARTIALLY_FILLED, HALF);
	struct sb_order_event e = report(SB_ORDER_EXPIRED_IN_MATCH, HALF);
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_eq(o.executed_qty, HALF);
	cr_assert(sb_order_state_is_final(o.state));
	struct sb_order_event c = ev(SB_ORDER_EV_CANCEL_REQUESTED);
	cr_assert_eq(sb_order_apply(&o, &c), SB_ERR_STATE);
	struct sb_order_event q = ev(SB_ORDER_EV_QUERY_NOT_FOUND);
	cr_assert_eq(sb_order_apply(&o, &q), SB_ERR_STATE, "an ended order is never made LOST");
}

Test(orders, send_unknown_after_a_report_is_nothing_new)
{
	struct sb_order_sm o = sm(SB_ORDER_NEW, 0);
	struct sb_order_event e = ev(SB_ORDER_EV_SEND_UNKNOWN);
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS);
	cr_assert_eq(o.state, SB_ORDER_NEW);
}

Test(orders, send_rejected_only_before_acknowledgement)
{
	struct sb_order_sm o = sm(SB_ORDER_PENDING_NEW, 0);
	struct sb_order_event e = ev(SB_ORDER_EV_SEND_REJECTED);
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_REJECTED);
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS);
	o = sm(SB_ORDER_UNKNOWN, 0);
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	o = sm(SB_ORDER_NEW, 0);
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_STATE);
	o = sm(SB_ORDER_FILLED, ONE);
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_STATE);
}

Test(orders, cancel_request_is_recorded_once_and_not_on_ended_orders)
{
	struct sb_order_sm o = sm(SB_ORDER_PARTIALLY_FILLED, HALF);
	struct sb_order_event c = ev(SB_ORDER_EV_CANCEL_REQUESTED);
	cr_assert_eq(sb_order_apply(&o, &c), SB_OK);
	cr_assert(o.cancel_requested);
	cr_assert_eq(o.state, SB_ORDER_PARTIALLY_FILLED, "a request is not a cancellation");
	cr_assert_eq(sb_order_apply(&o, &c), SB_ERR_EXISTS);
	struct sb_order_event done = report(SB_ORDER_CANCELED, HALF);
	cr_assert_eq(sb_order_apply(&o, &done), SB_OK);
	cr_assert_eq(o.state, SB_ORDER_CANCELED);
	o.cancel_requested = false;
	cr_assert_eq(sb_order_apply(&o, &c), SB_ERR_STATE);
}

Test(orders, failed_cancel_clears_the_request)
{
	struct sb_order_sm o = sm(SB_ORDER_NEW, 0);
	struct sb_order_event c = ev(SB_ORDER_EV_CANCEL_REQUESTED), f = ev(SB_ORDER_EV_CANCEL_FAILED);
	cr_assert_eq(sb_order_apply(&o, &f), SB_ERR_EXISTS, "nothing was requested");
	cr_assert_eq(sb_order_apply(&o, &c), SB_OK);
	cr_assert_eq(sb_order_apply(&o, &f), SB_OK);
	cr_assert_not(o.cancel_requested);
	cr_assert_eq(o.state, SB_ORDER_NEW);
	cr_assert_eq(sb_order_apply(&o, &c), SB_OK, "may be requested again");
}

Test(orders, exchange_id_is_learnt_from_a_duplicate)
{
	struct sb_order_sm o = sm(SB_ORDER_NEW, 0);
	struct sb_order_event e = report(SB_ORDER_NEW, 0);
	e.exchange_id = 9;
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK, "the id is news");
	cr_assert_eq(o.exchange_id, 9);
	e.exchange_id = 10;
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_EXISTS, "a known id is never replaced");
	cr_assert_eq(o.exchange_id, 9);
}

Test(orders, market_order_by_quote_has_no_quantity_bound)
{
	struct sb_order_sm o;
	sb_order_sm_init(&o, 0, 1);
	struct sb_order_event e = report(SB_ORDER_FILLED, SB_DEC_C(123, 0));
	cr_assert_eq(sb_order_apply(&o, &e), SB_OK);
	cr_assert_eq(o.executed_qty, SB_DEC_C(123, 0));
}

Test(orders, bad_arguments)
{
	struct sb_order_sm o = sm(SB_ORDER_NEW, 0);
	struct sb_order_event e = ev(SB_ORDER_EV__COUNT);
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_INVALID);
	cr_assert_eq(sb_order_apply(NULL, &e), SB_ERR_INVALID);
	cr_assert_eq(sb_order_apply(&o, NULL), SB_ERR_INVALID);
	o.state = SB_ORDER_STATE__COUNT;
	e = report(SB_ORDER_NEW, 0);
	cr_assert_eq(sb_order_apply(&o, &e), SB_ERR_INVALID);
}

Test(orders, predicates)
{
	for (int s = 0; s < SB_ORDER_STATE__COUNT; s++) {
		bool final = s == FI || s == CA || s == RE || s == EX || s == EM || s == NS || s == LO;
		cr_assert_eq(sb_order_state_is_final((enum sb_order_state)s), final, "%d", s);
		cr_assert_eq(sb_order_state_is_open((enum sb_order_state)s), s == NW || s == PF, "%d", s);
		cr_assert_eq(sb_order_state_is_unsettled((enum sb_order_state)s), s == PN || s == UN, "%d",
		             s);
	}
}

Test(orders, names_round_trip)
{
	const char *want[] = {"PENDING_NEW",      "NEW",      "PARTIALLY_FILLED", "FILLED",
	                      "PENDING_CANCEL",   "CANCELED", "REJECTED",         "EXPIRED",
	                      "EXPIRED_IN_MATCH", "UNKNOWN",  "NEVER_SENT",       "LOST"};
	for (int s = 0; s < SB_ORDER_STATE__COUNT; s++) {
		const char *n = sb_order_state_name((enum sb_order_state)s);
		cr_assert_str_eq(n, want[s]);
		enum sb_order_state back;
		cr_assert_eq(sb_order_state_parse(n, strlen(n), &back), SB_OK);
		cr_assert_eq(back, s);
	}
	enum sb_order_state x;
	cr_assert_eq(sb_order_state_parse("new", 3, &x), SB_ERR_NOT_FOUND, "case-sensitive");
	cr_assert_eq(sb_order_state_parse("NEWX", 3, &x), SB_OK, "exactly len bytes");
	cr_assert_eq(sb_order_state_parse("", 0, &x), SB_ERR_NOT_FOUND);
	cr_assert_str_eq(sb_order_state_name(SB_ORDER_STATE__COUNT), "INVALID");
	for (int k = 0; k < SB_ORDER_EV__COUNT; k++)
		cr_assert_str_neq(sb_order_event_name((enum sb_order_event_kind)k), "INVALID");
	cr_assert_str_eq(sb_order_event_name(SB_ORDER_EV_QUERY_NOT_FOUND), "QUERY_NOT_FOUND");
}

Test(orders, exchange_statuses)
{
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_PARTIALLY_FILLED), SB_OK);
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_EXPIRED_IN_MATCH), SB_OK);
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_LOST), SB_ERR_NOT_FOUND, "the bot's word");
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_PENDING_CANCEL), SB_ERR_UNSUPPORTED);
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_PENDING_NEW), SB_ERR_UNSUPPORTED);
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_UNKNOWN), SB_ERR_NOT_FOUND, "the bot's word");
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_NEVER_SENT), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_order_status_reportable(SB_ORDER_STATE__COUNT), SB_ERR_NOT_FOUND);
	/* Binance's nine statuses, and none of the bot's own words. */
	size_t exchange = 0;
	for (int s = 0; s < SB_ORDER_STATE__COUNT; s++)
		exchange += sb_order_state_is_exchange((enum sb_order_state)s);
	cr_assert_eq(exchange, 9);
	cr_assert(sb_order_state_is_exchange(SB_ORDER_PENDING_CANCEL));
	cr_assert_not(sb_order_state_is_exchange(SB_ORDER_LOST));
	cr_assert_not(sb_order_state_is_exchange(SB_ORDER_STATE__COUNT));
}

/*
 * orders.c - the order state machine (see orders.h for the diagram).
 *
 * Every exchange status report, whatever its source (placement ack, stream, query, cancel response), goes
 * through one function, adopt(), so there is exactly one place that decides what a status and a cumulative
 * quantity mean for an order. The rules, in order: a malformed report is refused; a report with less
 * executed than already known is stale; a report equal to what is known is a duplicate; then the
 * transition must be legal.
 */
#include "spotbot/orders.h"

#include <string.h>

static const char *const state_names[SB_ORDER_STATE__COUNT] = {
    [SB_ORDER_PENDING_NEW] = "PENDING_NEW",
    [SB_ORDER_NEW] = "NEW",
    [SB_ORDER_PARTIALLY_FILLED] = "PARTIALLY_FILLED",
    [SB_ORDER_FILLED] = "FILLED",
    [SB_ORDER_PENDING_CANCEL] = "PENDING_CANCEL",
    [SB_ORDER_CANCELED] = "CANCELED",
    [SB_ORDER_REJECTED] = "REJECTED",
    [SB_ORDER_EXPIRED] = "EXPIRED",
    [SB_ORDER_EXPIRED_IN_MATCH] = "EXPIRED_IN_MATCH",
    [SB_ORDER_UNKNOWN] = "UNKNOWN",
    [SB_ORDER_NEVER_SENT] = "NEVER_SENT",
    [SB_ORDER_LOST] = "LOST",
};

static const char *const tif_names[SB_TIF__COUNT] = {
    [SB_TIF_GTC] = "GTC",
    [SB_TIF_IOC] = "IOC",
    [SB_TIF_FOK] = "FOK",
    [SB_TIF_NONE] = "NONE",
};

static const char *const event_names[SB_ORDER_EV__COUNT] = {
    [SB_ORDER_EV_ACK] = "ACK",
    [SB_ORDER_EV_REPORT] = "REPORT",
    [SB_ORDER_EV_SEND_UNKNOWN] = "SEND_UNKNOWN",
    [SB_ORDER_EV_SEND_REJECTED] = "SEND_REJECTED",
    [SB_ORDER_EV_QUERY_FOUND] = "QUERY_FOUND",
    [SB_ORDER_EV_QUERY_NOT_FOUND] = "QUERY_NOT_FOUND",
    [SB_ORDER_EV_CANCEL_REQUESTED] = "CANCEL_REQUESTED",
    [SB_ORDER_EV_CANCEL_FAILED] = "CANCEL_FAILED",
};

const char *sb_order_state_name(enum sb_order_state s)
{
	if ((unsigned)s >= SB_ORDER_STATE__COUNT)
		return "INVALID";
	return state_names[s];
}

const char *sb_order_event_name(enum sb_order_event_kind k)
{
	if ((unsigned)k >= SB_ORDER_EV__COUNT)
		return "INVALID";
	return event_names[k];
}

sb_err sb_order_state_parse(const char *s, size_t len, enum sb_order_state *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (unsigned i = 0; i < SB_ORDER_STATE__COUNT; i++) {
		if (strlen(state_names[i]) == len && memcmp(state_names[i], s, len) == 0) {
			*out = (enum sb_order_state)i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

const char *sb_tif_name(enum sb_tif t)
{
	return (unsigned)t < SB_TIF__COUNT ? tif_names[t] : "INVALID";
}

sb_err sb_tif_parse(const char *s, size_t len, enum sb_tif *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (unsigned i = 0; i < SB_TIF__COUNT; i++) {
		if (strlen(tif_names[i]) == len && memcmp(tif_names[i], s, len) == 0) {
			*out = (enum sb_tif)i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

bool sb_order_state_is_exchange(enum sb_order_state s)
{
	return (unsigned)s < SB_ORDER_STATE__COUNT && s != SB_ORDER_UNKNOWN && s != SB_ORDER_NEVER_SENT &&
	       s != SB_ORDER_LOST;
}

sb_err sb_order_status_reportable(enum sb_order_state s)
{
	if (!sb_order_state_is_exchange(s))
		return SB_ERR_NOT_FOUND;
	if (s == SB_ORDER_PENDING_NEW || s == SB_ORDER_PENDING_CANCEL)
		return SB_ERR_UNSUPPORTED;
	return SB_OK;
}

bool sb_order_state_is_final(enum sb_order_state s)
{
	switch (s) {
	case SB_ORDER_FILLED:
	case SB_ORDER_CANCELED:
	case SB_ORDER_REJECTED:
	case SB_ORDER_EXPIRED:
	case SB_ORDER_EXPIRED_IN_MATCH:
	case SB_ORDER_NEVER_SENT:
	case SB_ORDER_LOST:
		return true;
	default:
		return false;
	}
}

bool sb_order_state_is_open(enum sb_order_state s)
{
	return s == SB_ORDER_NEW || s == SB_ORDER_PARTIALLY_FILLED;
}

bool sb_order_state_is_unsettled(enum sb_order_state s)
{
	return s == SB_ORDER_PENDING_NEW || s == SB_ORDER_UNKNOWN;
}

void sb_order_sm_init(struct sb_order_sm *o, sb_dec orig_qty, int64_t now_ms)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	o->state = SB_ORDER_PENDING_NEW;
	o->orig_qty = orig_qty > 0 ? orig_qty : 0;
	o->updated_ms = now_ms;
}

/* A status an exchange report can carry, with a cumulative quantity that fits it. */
static sb_err check_report(const struct sb_order_sm *o, const struct sb_order_event *e)
{
	if (e->executed_qty < 0 || e->cum_quote_qty < 0 || e->exchange_id < 0)
		return SB_ERR_INVALID;
	if (o->orig_qty > 0 && e->executed_qty > o->orig_qty)
		return SB_ERR_INVALID;
	switch (e->status) {
	case SB_ORDER_NEW:
	case SB_ORDER_REJECTED:
		return e->executed_qty == 0 ? SB_OK : SB_ERR_INVALID;
	case SB_ORDER_PARTIALLY_FILLED:
	case SB_ORDER_FILLED:
		return e->executed_qty > 0 ? SB_OK : SB_ERR_INVALID;
	case SB_ORDER_CANCELED:
	case SB_ORDER_EXPIRED:
	case SB_ORDER_EXPIRED_IN_MATCH:
		return SB_OK;
	default: /* PENDING_NEW, PENDING_CANCEL, UNKNOWN, NEVER_SENT, LOST: never an event's status */
		return SB_ERR_INVALID;
	}
}

/* Adopts a status report (ack, stream report, query result). */
static sb_err adopt(struct sb_order_sm *o, const struct sb_order_event *e)
{
	sb_err err = check_report(o, e);
	if (err != SB_OK)
		return err;
	bool id_news = o->exchange_id == 0 && e->exchange_id != 0;
	enum sb_order_state cur = o->state;
	enum sb_order_state next = e->status;

	if (cur == SB_ORDER_NEVER_SENT || cur == SB_ORDER_LOST)
		goto apply; /* the exchange knew it after all (see orders.h) */
	if (sb_order_state_is_final(cur)) {
		/* An ended order's fate is sealed: only the same end may repeat, maybe counting fills the
		 * first end report did not (never fewer). Anything else is refused, and o stays as it is. */
		if (next != cur)
			return SB_ERR_STATE;
		if (e->executed_qty <= o->executed_qty)
			goto nothing_new;
		goto apply;
	}
	if (e->executed_qty < o->executed_qty)
		goto nothing_new; /* an older report overtaken by a newer one */
	if (next == cur && e->executed_qty == o->executed_qty)
		goto nothing_new;
apply:
	o->state = next;
	o->executed_qty = e->executed_qty;
	if (e->cum_quote_qty > o->cum_quote_qty)
		o->cum_quote_qty = e->cum_quote_qty;
	if (id_news)
		o->exchange_id = e->exchange_id;
	o->updated_ms = e->time_ms;
	return SB_OK;
nothing_new:
	if (id_news) {
		o->exchange_id = e->exchange_id;
		o->updated_ms = e->time_ms;
		return SB_OK;
	}
	return SB_ERR_EXISTS;
}

/* An acknowledged order the exchange no longer knows: ended, with what its fills on record explain. The
 * order is never forgotten: it stays in the books as LOST, so the position can move on. */
static sb_err lose(struct sb_order_sm *o, const struct sb_order_event *e)
{
	if (e->executed_qty < 0 || e->cum_quote_qty < 0 || (o->orig_qty > 0 && e->executed_qty > o->orig_qty))
		return SB_ERR_INVALID;
	o->state = SB_ORDER_LOST;
	o->executed_qty = e->executed_qty;
	o->cum_quote_qty = e->cum_quote_qty;
	o->cancel_requested = false;
	o->updated_ms = e->time_ms;
	return SB_OK;
}

sb_err sb_order_apply(struct sb_order_sm *o, const struct sb_order_event *e)
{
	if (!o || !e || (unsigned)o->state >= SB_ORDER_STATE__COUNT)
		return SB_ERR_INVALID;
	switch (e->kind) {
	case SB_ORDER_EV_ACK:
	case SB_ORDER_EV_REPORT:
	case SB_ORDER_EV_QUERY_FOUND:
		return adopt(o, e);
	case SB_ORDER_EV_SEND_UNKNOWN:
		if (o->state == SB_ORDER_UNKNOWN)
			return SB_ERR_EXISTS;
		if (o->state != SB_ORDER_PENDING_NEW)
			return SB_ERR_EXISTS; /* a stream report already told what became of it */
		o->state = SB_ORDER_UNKNOWN;
		o->updated_ms = e->time_ms;
		return SB_OK;
	case SB_ORDER_EV_SEND_REJECTED:
		if (o->state == SB_ORDER_REJECTED)
			return SB_ERR_EXISTS;
		if (!sb_order_state_is_unsettled(o->state))
			return SB_ERR_STATE;
		o->state = SB_ORDER_REJECTED;
		o->updated_ms = e->time_ms;
		return SB_OK;
	case SB_ORDER_EV_QUERY_NOT_FOUND:
		if (o->state == SB_ORDER_NEVER_SENT || o->state == SB_ORDER_LOST)
			return SB_ERR_EXISTS;
		if (sb_order_state_is_open(o->state))
			return lose(o, e);
		if (!sb_order_state_is_unsettled(o->state))
			return SB_ERR_STATE; /* an ended order keeps the end the exchange reported */
		o->state = SB_ORDER_NEVER_SENT;
		o->updated_ms = e->time_ms;
		return SB_OK;
	case SB_ORDER_EV_CANCEL_REQUESTED:
		if (sb_order_state_is_final(o->state))
			return SB_ERR_STATE;
		if (o->cancel_requested)
			return SB_ERR_EXISTS;
		o->cancel_requested = true;
		o->updated_ms = e->time_ms;
		return SB_OK;
	case SB_ORDER_EV_CANCEL_FAILED:
		/* Refused (e.g. -2011, the order is already gone): forget the request, so that the order is
		 * queried and, if still working, the cancel can be decided again. */
		if (!o->cancel_requested)
			return SB_ERR_EXISTS;
		o->cancel_requested = false;
		o->updated_ms = e->time_ms;
		return SB_OK;
	default:
		return SB_ERR_INVALID;
	}
}

/*
 * orders.h - the order state machine: what the bot knows about one of its orders on the exchange.
 *
 * An order is written down (PENDING_NEW) before it is sent, so a crash between the two can never lose it.
 * From there the exchange's answers move it on: the placement acknowledgement, executionReports on the
 * user data stream and REST queries. A timeout or a 5xx means the order may or may not exist (UNKNOWN);
 * a query by clientOrderId settles that, either adopting the exchange's status or, when the exchange has
 * never heard of the order, NEVER_SENT. An order the exchange acknowledged and later says it does not know
 * (it restarted without its state, or archived the order) is LOST: ended, with what its fills on record
 * explain as its executed quantity.
 *
 *   PENDING_NEW --ack/report--> NEW --> PARTIALLY_FILLED --> FILLED
 *        |  \                    \            \
 *        |   timeout/5xx          +------------+--> CANCELED / EXPIRED / EXPIRED_IN_MATCH
 *        |      v                  \            \    (REJECTED only before any fill)
 *        |      v                   +------------+--query not found--> LOST
 *        +-> UNKNOWN --query found--> (the exchange's status)
 *        +--------------query not found--> NEVER_SENT
 *
 * Reports arrive twice (stream and REST) and out of order, so sb_order_apply() is idempotent and monotonic
 * in the cumulative executed quantity: a duplicate or an older report changes nothing and says so. Pure
 * logic: no I/O, no clock, no allocation.
 */
#ifndef SPOTBOT_ORDERS_H
#define SPOTBOT_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

/* Order states: the one vocabulary of order status, used by the state machine, the Binance codec, the
 * store and spotsim. The names (sb_order_state_name) are Binance's order statuses plus the bot's own UNKNOWN,
 * NEVER_SENT and LOST; the store persists them as text and spotsim's state files write them, so the enum
 * values themselves may change, the names may not. The machine never holds PENDING_CANCEL (a cancel request
 * is its cancel_requested flag; the store writes an open order with one as PENDING_CANCEL). */
enum sb_order_state {
	SB_ORDER_PENDING_NEW,      /* written down, not yet acknowledged by the exchange (Binance: an order
	                              list's order not yet placed) */
	SB_ORDER_NEW,              /* on the book, nothing executed */
	SB_ORDER_PARTIALLY_FILLED, /* on the book, partly executed */
	SB_ORDER_FILLED,           /* fully executed (final) */
	SB_ORDER_PENDING_CANCEL,   /* on the book with a cancel sent, not yet confirmed */
	SB_ORDER_CANCELED,         /* cancelled, possibly after partial fills (final) */
	SB_ORDER_REJECTED,         /* refused by the exchange, nothing executed (final) */
	SB_ORDER_EXPIRED,          /* expired (IOC/FOK, market without liquidity), maybe partly (final) */
	SB_ORDER_EXPIRED_IN_MATCH, /* expired by self-trade prevention, maybe partly filled (final) */
	SB_ORDER_UNKNOWN,          /* the send timed out or got a 5xx: may or may not exist */
	SB_ORDER_NEVER_SENT,       /* a query proved the exchange never received it (final) */
	SB_ORDER_LOST,             /* acknowledged, then unknown to the exchange (final) */
	SB_ORDER_STATE__COUNT
};

/* Time in force: Binance's three, and NONE where it does not apply (the store keeps a MARKET order's as
 * NULL). Binance reports GTC for MARKET and LIMIT_MAKER orders, and that is the zero value. */
enum sb_tif {
	SB_TIF_GTC,  /* good till cancelled */
	SB_TIF_IOC,  /* immediate or cancel: what does not fill at once expires */
	SB_TIF_FOK,  /* fill or kill: all at once or nothing */
	SB_TIF_NONE, /* not applicable; never sent to or read from an exchange */
	SB_TIF__COUNT
};

/* What happened to an order. */
enum sb_order_event_kind {
	SB_ORDER_EV_ACK,              /* placement response: status, executed qty, exchange order id */
	SB_ORDER_EV_REPORT,           /* executionReport (or cancel response): status and cumulative qty */
	SB_ORDER_EV_SEND_UNKNOWN,     /* placement timed out or got a 5xx: outcome unknown */
	SB_ORDER_EV_SEND_REJECTED,    /* placement definitely refused (a 4xx other than a duplicate id) */
	SB_ORDER_EV_QUERY_FOUND,      /* a query by clientOrderId found it: adopt its status */
	SB_ORDER_EV_QUERY_NOT_FOUND,  /* a query by clientOrderId says the exchange does not know it */
	SB_ORDER_EV_CANCEL_REQUESTED, /* the bot decided to cancel it (the request may still fail) */
	SB_ORDER_EV_CANCEL_FAILED,    /* the cancel request was refused: the order may be decided on again */
	SB_ORDER_EV__COUNT
};

/* The machine's state for one order; the store persists every field. Zero-initialise, then
 * sb_order_sm_init. */
struct sb_order_sm {
	enum sb_order_state state; /* current state */
	sb_dec orig_qty;           /* ordered base quantity; 0 = not known (MARKET by quote amount) */
	sb_dec executed_qty;       /* cumulative executed base quantity; never decreases but to become LOST */
	sb_dec cum_quote_qty;      /* cumulative quote amount executed; the same */
	int64_t exchange_id;       /* the exchange's orderId; 0 until an ack, report or query names it */
	bool cancel_requested;     /* a cancel was decided; do not decide it again */
	int64_t updated_ms;        /* time of the last event that changed something (from the event) */
};

/* One event. Fields not used by a kind are ignored. */
struct sb_order_event {
	enum sb_order_event_kind kind; /* what happened */
	enum sb_order_state status;    /* ACK, REPORT, QUERY_FOUND: the exchange's status (never the bot's
	                                  PENDING_NEW, UNKNOWN, NEVER_SENT or LOST) */
	sb_dec executed_qty;           /* ACK, REPORT, QUERY_FOUND: cumulative executed base quantity;
	                                  QUERY_NOT_FOUND of an acknowledged order: what its fills explain */
	sb_dec cum_quote_qty;          /* the same in quote; may be 0 */
	int64_t exchange_id;           /* the exchange's orderId when known, else 0 */
	int64_t time_ms;               /* when it happened (exchange event time, or now) */
};

/* Starts an order in PENDING_NEW with the ordered quantity (0 when ordered by quote amount). */
void sb_order_sm_init(struct sb_order_sm *o, sb_dec orig_qty, int64_t now_ms);

/*
 * Applies e to o. Returns:
 *  - SB_OK: something changed (state, executed quantity, exchange id or the cancel flag);
 *  - SB_ERR_EXISTS: nothing changed because e carries nothing new: a duplicate (same status and same
 *    cumulative quantity), an out-of-order report with a smaller cumulative quantity (on an order that
 *    has not ended), a repeated SEND_UNKNOWN or cancel request, a CANCEL_FAILED with no request
 *    outstanding. Harmless;
 *  - SB_ERR_STATE: the transition is illegal: any status but the same one after the order ended
 *    (FILLED -> NEW, CANCELED -> FILLED, FILLED -> CANCELED), QUERY_NOT_FOUND of an ended order other
 *    than LOST or NEVER_SENT, SEND_REJECTED for an order the exchange has acknowledged, a cancel request
 *    on an ended order. Safe to log and ignore;
 *  - SB_ERR_INVALID: a malformed event (a bot-only status in a report, a negative quantity, PARTIALLY_FILLED
 *    or FILLED without executed quantity, NEW or REJECTED with executed quantity, more executed than
 *    ordered).
 * On any error o is unchanged. A report on a NEVER_SENT or LOST order is accepted (the exchange knew it
 * after all): the caller must treat that as an alarm, since the bot may have moved on. The exchange id of
 * an event is adopted whenever o has none. QUERY_NOT_FOUND of a working order (NEW, PARTIALLY_FILLED)
 * makes it LOST with the event's executed quantities, which may be less than reported before when the
 * fills behind an earlier report are gone with the exchange's memory: the fills on record decide.
 */
sb_err sb_order_apply(struct sb_order_sm *o, const struct sb_order_event *e);

/* True for FILLED, CANCELED, REJECTED, EXPIRED, EXPIRED_IN_MATCH, NEVER_SENT and LOST: nothing more will
 * execute. */
bool sb_order_state_is_final(enum sb_order_state s);

/* True for NEW and PARTIALLY_FILLED: acknowledged and working on the book (cancellable). */
bool sb_order_state_is_open(enum sb_order_state s);

/* True when the order might exist on the exchange without the bot knowing its status: PENDING_NEW and
 * UNKNOWN. These must be settled by a query before the bot acts as if the order did not exist. */
bool sb_order_state_is_unsettled(enum sb_order_state s);

/* "PENDING_NEW", "NEW", ..., "LOST"; "INVALID" out of range; never NULL. Static storage. */
const char *sb_order_state_name(enum sb_order_state s);

/* The name (exactly len bytes, case-sensitive) back to the enum; SB_ERR_NOT_FOUND for anything else. */
sb_err sb_order_state_parse(const char *s, size_t len, enum sb_order_state *out);

/* "GTC", "IOC", "FOK", "NONE"; "INVALID" out of range; never NULL. Static storage. */
const char *sb_tif_name(enum sb_tif t);

/* The name (exactly len bytes, case-sensitive) back to the enum; SB_ERR_NOT_FOUND for anything else. */
sb_err sb_tif_parse(const char *s, size_t len, enum sb_tif *out);

/* True for Binance's order statuses: every state but the bot's own UNKNOWN, NEVER_SENT and LOST. */
bool sb_order_state_is_exchange(enum sb_order_state s);

/* Whether an exchange's status can be the status of an event (ACK, REPORT, QUERY_FOUND): SB_OK for NEW,
 * PARTIALLY_FILLED, FILLED, CANCELED, REJECTED, EXPIRED and EXPIRED_IN_MATCH (self-trade prevention);
 * SB_ERR_UNSUPPORTED for PENDING_NEW (order lists only) and PENDING_CANCEL (unused); SB_ERR_NOT_FOUND for
 * the bot's own states. */
sb_err sb_order_status_reportable(enum sb_order_state s);

/* "ACK", "REPORT", ...; "INVALID" out of range; never NULL. For logs and the events table. */
const char *sb_order_event_name(enum sb_order_event_kind k);

#endif

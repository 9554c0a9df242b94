/*
 * strategy.h - pure decisions: what the engine should do for one trade pair, now.
 *
 * On every validated price update and on a timer, the engine hands sb_strategy_decide() the pair's
 * settings, its rules, its open positions with their orders, the best bid and ask, the time and the global
 * limits, and gets back a list of actions: open a position with a buy, cancel a buy that timed out, place
 * the limit sell of a bought position, leave at market (stop-loss, max duration), raise an alert, or give
 * up a position that holds only dust. The decisions are functions of their input alone, so the engine
 * can call them as often as it likes: an action already under way is visible in the input (an order's
 * cancel flag, a position's state) and is not decided twice.
 *
 * The price validator sits in front: a price that is not positive, stale, crossed, or a jump beyond a
 * limit from the last accepted one is refused with the reason, and never reaches the strategy.
 */
#ifndef SPOTBOT_STRATEGY_H
#define SPOTBOT_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/orders.h"
#include "spotbot/pairs.h"
#include "spotbot/position.h"
#include "spotbot/profit.h"
#include "spotbot/rules.h"

/* ---- price validation ------------------------------------------------------------------------------- */

/* The best bid and ask of a symbol, as of time_ms (the exchange's event time, or receipt time). */
struct sb_book_top {
	sb_dec bid;      /* best bid price */
	sb_dec ask;      /* best ask price */
	int64_t time_ms; /* when the exchange had this book */
};

/* Why a price was refused. */
enum sb_price_verdict {
	SB_PRICE_OK,          /* accepted */
	SB_PRICE_NONPOSITIVE, /* bid or ask is zero or negative */
	SB_PRICE_CROSSED,     /* bid >= ask */
	SB_PRICE_STALE,       /* older than max_age_ms */
	SB_PRICE_JUMP,        /* moved more than max_jump from the last accepted price */
};

struct sb_price_limits {
	int64_t max_age_ms;    /* older quotes are stale; 0 = no age check */
	sb_dec max_jump;       /* largest accepted move of bid or ask from the last accepted, as a
	                          fraction (0.1 = 10%); 0 = no jump check */
	unsigned confirm_jump; /* sb_price_guard: quotes agreeing with a jumped price before it is accepted
	                          as the new level; 0 = a jump is refused until the price comes back */
};

/* Checks q at now_ms against the limits and the last accepted quote (NULL: none yet), in the order of
 * the verdicts: non-positive, crossed, stale, jump. */
enum sb_price_verdict sb_price_check(const struct sb_price_limits *lim, const struct sb_book_top *q,
                                     const struct sb_book_top *last, int64_t now_ms);

/* "OK", "NONPOSITIVE", "CROSSED", "STALE", "JUMP"; never NULL. */
const char *sb_price_verdict_name(enum sb_price_verdict v);

/*
 * The price manager's memory for one symbol: the last accepted quote, and a candidate level after a jump.
 * A real move is not refused forever: once confirm_jump further quotes in a row agree (within max_jump)
 * with the first jumped one, the new level is accepted. Zero-initialise it.
 */
struct sb_price_guard {
	struct sb_book_top last;      /* last accepted quote */
	bool have_last;               /* last is set */
	struct sb_book_top candidate; /* first quote of a jump, while it is being confirmed */
	unsigned confirmations;       /* agreeing quotes since the candidate (0 = no candidate) */
};

/* Offers q to the guard: returns the verdict, and on SB_PRICE_OK (including a confirmed jump) q becomes
 * the last accepted quote. */
enum sb_price_verdict sb_price_guard_offer(struct sb_price_guard *g, const struct sb_price_limits *lim,
                                           const struct sb_book_top *q, int64_t now_ms);

/* ---- decisions -------------------------------------------------------------------------------------- */

/* Limits that span all pairs. */
struct sb_strategy_global {
	bool paused;           /* kill switch: no new positions on any pair (open ones are still managed) */
	bool pair_paused;      /* this pair is paused by the user: no new positions */
	bool halted;           /* no new orders of any kind (reconciliation pending, store failing) */
	sb_dec exposure;       /* quote committed now in the open positions of all pairs (read only
	                          when exposure_limit is set) */
	sb_dec exposure_limit; /* largest total exposure; 0 = no limit */
};

/* Why an action is taken. */
enum sb_action_reason {
	SB_WHY_NEW_CYCLE,    /* OPEN */
	SB_WHY_BUY_TIMEOUT,  /* CANCEL_BUY */
	SB_WHY_TARGET,       /* PLACE_SELL at the minimum profitable price */
	SB_WHY_STOP_LOSS,    /* the bid fell to the stop-loss */
	SB_WHY_MAX_DURATION, /* held longer than max_duration */
	SB_WHY_SELL_REFUSED, /* the sell cannot be placed (a filter, or the profit calculator refused) */
	SB_WHY_DUST,         /* what is left is below the step or the minimum notional */
	SB_WHY_MANUAL,       /* ordered by the user (control API): a market sell, or a limit sell re-priced */
};

/* One open position of the pair, with what the strategy needs to decide about it (all borrowed). */
struct sb_strategy_position {
	const struct sb_position *pos;   /* the position (BUYING, HOLDING or SELLING) */
	const struct sb_order_sm *buy;   /* its buy order; NULL when the position is past BUYING */
	const struct sb_order_sm *sell;  /* its working sell order in SELLING; else NULL */
	const struct sb_fill *buy_fills; /* its buy fills (needed in HOLDING to plan the sell) */
	size_t nbuy_fills;               /* number of buy_fills */
	/* SB_WHY_STOP_LOSS or SB_WHY_MAX_DURATION once its limit sell was cancelled for that market exit: the
	 * exit is carried out even if the price has come back meanwhile; any other value: none */
	enum sb_action_reason exit_due;
};

struct sb_strategy_input {
	const struct sb_pair_cfg *cfg;                /* the pair's settings */
	const struct sb_symbol_rules *rules;          /* the symbol's filters */
	const struct sb_strategy_position *positions; /* the pair's open positions */
	size_t npositions;                            /* number of positions */
	bool have_price;                              /* bid/ask are validated and fresh; false on a timer
	                                                 tick without one: no buys, no stop-loss */
	sb_dec bid;                                   /* best bid */
	sb_dec ask;                                   /* best ask */
	int64_t now_ms;                               /* the time of the decision */
	int64_t last_ended_ms;                        /* when the pair's last position ended; 0 = never */
	int64_t last_stop_loss_ms;                    /* when its last stop-loss exit ended; 0 = never */
	sb_dec sell_fee_rate;                         /* the account's fee rate for the sell */
	sb_dec bnb_price;                             /* quote per BNB to value BNB commission; 0 unknown */
	struct sb_strategy_global global;             /* cross-pair limits */
};

enum sb_action_kind {
	SB_ACT_OPEN,        /* create a position and place its buy (type, price, qty or quote_qty) */
	SB_ACT_CANCEL_BUY,  /* cancel the position's buy (timeout, or its fills exit); a partial fill is kept
	                     */
	SB_ACT_PLACE_SELL,  /* place the LIMIT SELL of plan (price, qty) */
	SB_ACT_CANCEL_SELL, /* cancel the working limit sell to make way for a market exit (reason) */
	SB_ACT_MARKET_SELL, /* sell qty at market (reason: stop-loss, max duration, or manual) */
	SB_ACT_ALERT,       /* tell the user (reason; error and filter say more) */
	SB_ACT_ABANDON,     /* nothing sellable is left: abandon the position, recording dust */
};

struct sb_action {
	enum sb_action_kind kind;     /* what to do */
	enum sb_action_reason reason; /* why */
	int64_t position_id;          /* the position; 0 for OPEN */
	enum sb_order_type type;      /* OPEN, PLACE_SELL, MARKET_SELL: LIMIT or MARKET */
	sb_dec price;                 /* LIMIT price; 0 for MARKET */
	sb_dec qty;                   /* base quantity; 0 for a MARKET buy by quote amount */
	sb_dec quote_qty;             /* OPEN with MARKET: quote amount to spend (quoteOrderQty); else 0 */
	struct sb_sell_plan plan;     /* PLACE_SELL: the plan it came from (for sb_position_set_plan) */
	sb_err error;                 /* ALERT SELL_REFUSED: the calculator's or validator's error */
	enum sb_filter filter;        /* ALERT SELL_REFUSED, ABANDON: the filter that refused */
	int64_t held_ms;              /* ALERT MAX_DURATION: how long it has been held */
};

/* Why no position was opened by a decision (SB_OPEN_OK when one was). */
enum sb_open_block {
	SB_OPEN_OK,                 /* an OPEN action was emitted */
	SB_OPEN_HALTED,             /* global.halted */
	SB_OPEN_DISABLED,           /* the pair is not enabled */
	SB_OPEN_PAUSED,             /* kill switch or pair paused */
	SB_OPEN_NOT_TRADING,        /* the symbol's status is not TRADING */
	SB_OPEN_NO_PRICE,           /* no valid price */
	SB_OPEN_MAX_POSITIONS,      /* max_positions open already */
	SB_OPEN_COOLDOWN,           /* within the cooldown */
	SB_OPEN_EXPOSURE,           /* the quote amount would exceed the exposure limit */
	SB_OPEN_TOO_SMALL,          /* the quantity rounds to 0, or below a minimum filter (see filter) */
	SB_OPEN_FILTER,             /* another filter refuses the order (see filter) */
	SB_OPEN_STOP_LOSS_TIGHT,    /* stop_loss is at or below the round-trip fee plus the spread (see
	                               min_stop_loss): a new position would be stopped out at once */
	SB_OPEN_STOP_LOSS_COOLDOWN, /* within stop_loss_cooldown of the pair's last stop-loss exit */
};

struct sb_strategy_result {
	size_t n;                /* actions written */
	enum sb_open_block open; /* why nothing was opened, or SB_OPEN_OK */
	enum sb_filter filter;   /* TOO_SMALL, FILTER: which filter */
	sb_dec min_stop_loss;    /* STOP_LOSS_TIGHT: the stop_loss must be above this fraction */
};

/*
 * The stop-loss a new position would hit as soon as it is bought, as a fraction: what a cycle loses to the
 * buy fee, the sell fee (both fee_rate, the account's larger rate) and the spread when it buys at the ask
 * and sells at the bid, fee_rate * 2 + (ask - bid) / ask, rounded up. A stop_loss at or below it turns every
 * cycle into an immediate stop-loss exit. SB_ERR_INVALID for a fee outside [0, 1) or a bid/ask that is not
 * a positive, uncrossed quote.
 */
sb_err sb_strategy_min_stop_loss(sb_dec fee_rate, sb_dec bid, sb_dec ask, sb_dec *out);

/*
 * After a market exit's order filled: true when the position still holds more than dust, so the exit goes on
 * with another market sell instead of closing the position. That happens when the position is larger than
 * one market order may be (MARKET_LOT_SIZE's maxQty): the strategy sells it in several orders. Only stop-loss
 * and maximum-duration exits go on; bid is the reference price of the notional check (0: unknown).
 */
bool sb_strategy_exit_goes_on(const struct sb_symbol_rules *rules, const struct sb_position *p, sb_dec bid);

/* Actions a decision can emit: at most two per position and one OPEN. */
#define SB_STRATEGY_ACTIONS(npositions) (2 * (npositions) + 1)

/*
 * Decides for one pair. Writes up to cap actions into out (SB_STRATEGY_ACTIONS(npositions) always
 * suffice), positions in input order, then the OPEN if any, and fills *res. SB_ERR_INVALID for missing
 * inputs; SB_ERR_TOO_LONG when cap is too small (res->n actions were written).
 *
 * Per open position:
 *  - BUYING with a working buy (NEW/PARTIALLY_FILLED) not already being cancelled, created buy_timeout
 *    ago or more: CANCEL_BUY. Unsettled (PENDING_NEW/UNKNOWN) or ended orders are left to the engine.
 *    With fills already, the buy is also cancelled (reason STOP_LOSS or MAX_DURATION) when the
 *    stop-loss or max_duration_sell below would exit the position, and max_duration alerts as below.
 *  - HOLDING or SELLING held max_duration or longer: ALERT once (position.duration_alerted), and a
 *    market exit when max_duration_sell is set.
 *  - HOLDING or SELLING with a price and bid <= cost price * (1 - stop_loss), cost price being
 *    cost_quote / received: a market exit.
 *  - A market exit of a SELLING position with a working limit sell: CANCEL_SELL first (once); of a
 *    HOLDING position: MARKET_SELL of what remains, floored to the step (ABANDON when that is dust).
 *  - Otherwise HOLDING: PLACE_SELL at sb_profit_plan_sell's price and quantity (a remainder after a
 *    partial sell is offered at the same price); ABANDON when it is all dust; ALERT when a filter or the
 *    calculator refuses.
 * Then one new position at most: not halted, enabled, not paused, symbol TRADING, a price, fewer than
 * max_positions open, cooldown passed since the later of last_ended_ms and the newest open position's
 * creation, stop_loss_cooldown passed since last_stop_loss_ms, a stop_loss (when set) above
 * sb_strategy_min_stop_loss at the current quote, and the exposure limit respected. A LIMIT buy is priced at
 * bid * (1 - buy_offset) rounded down to the tick, for quote / price rounded down to the step; a MARKET buy
 * spends quote through quoteOrderQty when the symbol allows it, else buys quote / ask rounded down. The order
 * must pass sb_rules_validate. When halted, no order actions are emitted at all (alerts still are).
 */
sb_err sb_strategy_decide(const struct sb_strategy_input *in, struct sb_action *out, size_t cap,
                          struct sb_strategy_result *res);

/*
 * The earliest time after in->now_ms at which sb_strategy_decide could decide otherwise with every other
 * input unchanged: a buy's timeout, a position's max_duration, the end of the cooldown or of the
 * stop-loss cooldown. INT64_MAX when only another input (a price, a fill, a setting) can change the
 * decision. A caller on a virtual clock sleeps until then instead of deciding again every second.
 */
int64_t sb_strategy_next_due(const struct sb_strategy_input *in);

/* "OPEN", "CANCEL_BUY", ...; never NULL. */
const char *sb_action_kind_name(enum sb_action_kind k);

/* "NEW_CYCLE", "BUY_TIMEOUT", ...; never NULL. */
const char *sb_action_reason_name(enum sb_action_reason r);

/* "OK", "HALTED", ...; never NULL. */
const char *sb_open_block_name(enum sb_open_block b);

#endif

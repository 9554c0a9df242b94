/*
 * position.h - one buy -> sell cycle of a trade pair: its state machine and the accounting of its fills.
 *
 *   BUYING --buy ended with fills--> HOLDING --sell placed--> SELLING --sell filled--> CLOSED
 *      \                               |  ^                      |
 *       buy ended without fills        |  +--sell ended unfilled-+   (cancelled for a market exit,
 *        v                             v                             expired, rejected)
 *     CANCELED                     ABANDONED (manual, or nothing sellable: dust)
 *
 * An abandon by hand is also legal from BUYING and SELLING: the order manager ends the working order first,
 * and a buy whose fills are still missing is abandoned with what has been applied.
 *
 * A manual market sell (exit MANUAL) is HOLDING -> SELLING -> CLOSED like any other sell; a limit sell
 * re-priced by the user is a new limit sell (exit TARGET) at the user's price. The record accumulates the
 * buy and sell fills as they are applied (quantity, quote amount, commission per asset), keeps the plan
 * of its sell (cost, target price) and, when closed, the realised profit computed by sb_profit_cycle()
 * from the real fills. Fills are deduplicated by trade id in the store (a unique index); the record
 * also remembers the last few trade ids it applied so that an immediate replay is refused here too.
 * Pure logic: times are passed in, nothing is allocated.
 */
#ifndef SPOTBOT_POSITION_H
#define SPOTBOT_POSITION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/profit.h"
#include "spotbot/rules.h"

/* Position states; the names are what the store persists. */
enum sb_position_state {
	SB_POSITION_BUYING,    /* the buy order is working (or being settled) */
	SB_POSITION_HOLDING,   /* bought; no sell order working */
	SB_POSITION_SELLING,   /* a sell order is working */
	SB_POSITION_CLOSED,    /* sold; profit realised (final) */
	SB_POSITION_CANCELED,  /* the buy ended without any fill (final) */
	SB_POSITION_ABANDONED, /* given up: kept by hand, or only dust left (final) */
	SB_POSITION_STATE__COUNT
};

/* How the working sell of a SELLING position was placed. */
enum sb_position_exit {
	SB_EXIT_NONE,         /* no sell placed yet */
	SB_EXIT_TARGET,       /* limit sell: at the minimum profitable price, or re-priced by the user */
	SB_EXIT_STOP_LOSS,    /* market sell: the bid fell to the stop-loss */
	SB_EXIT_MAX_DURATION, /* market sell: held longer than max_duration */
	SB_EXIT_MANUAL,       /* market sell ordered by the user */
	SB_EXIT__COUNT
};

/* Commission paid, by the asset it was paid in. */
struct sb_commission {
	sb_dec base;  /* in the base asset (reduces what a buy receives) */
	sb_dec quote; /* in the quote asset */
	sb_dec bnb;   /* in BNB (when neither base nor quote is BNB) */
	sb_dec other; /* in any other asset; the profit calculator refuses these */
};

#define SB_POSITION_RECENT_TRADES 8 /* trade ids remembered per side for the replay check */

struct sb_position {
	int64_t id;                     /* the store's id; part of the client order ids */
	char symbol[SB_SYMBOL_MAX];     /* "BTCUSDT" */
	char base_asset[SB_ASSET_MAX];  /* "BTC": commission in it reduces what was received */
	char quote_asset[SB_ASSET_MAX]; /* "USDT" */
	enum sb_position_state state;   /* current state */
	enum sb_position_exit exit;     /* how the current (or last) sell was placed */
	int64_t created_ms;             /* the buy intent was written down (buy timeout counts from it) */
	int64_t opened_ms;              /* time of the first buy fill; 0 before it */
	int64_t ended_ms;               /* CLOSED, CANCELED or ABANDONED at; 0 while open */
	int64_t sell_placed_ms;         /* the current sell was decided at; 0 when none */
	sb_dec buy_qty;                 /* sum of buy fill quantities */
	sb_dec buy_quote;               /* sum of buy fill quote amounts */
	struct sb_commission buy_fee;   /* buy commission by asset */
	size_t buy_fills;               /* number of buy fills applied */
	sb_dec sell_qty;                /* sum of sell fill quantities */
	sb_dec sell_quote;              /* sum of sell fill quote amounts */
	struct sb_commission sell_fee;  /* sell commission by asset */
	size_t sell_fills;              /* number of sell fills applied */
	sb_dec cost_quote;              /* what the buy cost, from the sell plan (fees included) */
	sb_dec target_price;            /* the planned limit sell price (minimum profitable) */
	sb_dec planned_qty;             /* quantity of the current sell order */
	sb_dec dust;                    /* received but never sold: below the step or the minimum */
	sb_dec realized_profit;         /* CLOSED: net profit in quote (negative for a loss) */
	sb_dec profit_ratio;            /* CLOSED: realized_profit / cost_quote */
	bool duration_alerted;          /* the max-duration alert was raised; do not raise it again */
	int64_t recent_buy_trades[SB_POSITION_RECENT_TRADES];  /* last applied buy trade ids (not stored) */
	int64_t recent_sell_trades[SB_POSITION_RECENT_TRADES]; /* last applied sell trade ids (not stored) */
};

/*
 * Starts a position in BUYING for symbol with its base and quote assets (copied). SB_ERR_INVALID for
 * a NULL argument, an id <= 0 or a name that does not fit; p is then zeroed.
 */
sb_err sb_position_init(struct sb_position *p, int64_t id, const char *symbol, const char *base_asset,
                        const char *quote_asset, int64_t now_ms);

/* True when the state machine allows from -> to (see the diagram). */
bool sb_position_can(enum sb_position_state from, enum sb_position_state to);

/* Moves p to `to` at now_ms, or SB_ERR_STATE when the transition is illegal (p unchanged). Entering a
 * final state sets ended_ms. The functions below call it; use it directly only for plain moves. */
sb_err sb_position_transition(struct sb_position *p, enum sb_position_state to, int64_t now_ms);

/*
 * Applies a buy fill traded at time_ms (BUYING only, else SB_ERR_STATE). The first fill sets opened_ms.
 * SB_ERR_EXISTS when its trade id is among the last few applied (nothing changes); SB_ERR_INVALID for a
 * non-positive quantity or price, a negative quote amount or commission; SB_ERR_OVERFLOW. A quote amount
 * of 0 is taken as price * qty.
 */
sb_err sb_position_apply_buy_fill(struct sb_position *p, const struct sb_fill *f, int64_t time_ms);

/*
 * The buy order ended (filled, cancelled, expired or rejected) having executed order_executed in total.
 * With fills -> HOLDING; with none -> CANCELED. SB_ERR_NOT_FOUND when the position has applied less than
 * order_executed (fills are missing: fetch them first, then call again); SB_ERR_INVALID when it has
 * applied more; SB_ERR_STATE unless BUYING.
 */
sb_err sb_position_buy_ended(struct sb_position *p, sb_dec order_executed, int64_t now_ms);

/* What was bought and not yet sold, in base: buy_qty - buy_fee.base - sell_qty (never negative). */
sb_dec sb_position_remaining(const struct sb_position *p);

/* Records the sell plan of a HOLDING position (cost, target price, dust); SB_ERR_STATE otherwise. */
sb_err sb_position_set_plan(struct sb_position *p, const struct sb_sell_plan *plan);

/*
 * A sell of qty at price (0 for a market sell) was decided for a HOLDING position: -> SELLING with exit
 * recording why. SB_ERR_INVALID for qty <= 0, a negative price, a limit price missing for
 * SB_EXIT_TARGET or exit SB_EXIT_NONE; SB_ERR_RANGE when qty exceeds sb_position_remaining().
 */
sb_err sb_position_sell_placed(struct sb_position *p, enum sb_position_exit exit, sb_dec price, sb_dec qty,
                               int64_t now_ms);

/* Applies a sell fill (SELLING only); errors as sb_position_apply_buy_fill, and SB_ERR_RANGE when the
 * total sold would exceed what was received. */
sb_err sb_position_apply_sell_fill(struct sb_position *p, const struct sb_fill *f, int64_t time_ms);

/*
 * The sell order ended without completing the position (cancelled to make way for a market exit,
 * expired, rejected) having executed order_executed in total: SELLING -> HOLDING, keeping what was
 * sold; the next sell covers the rest. Missing or extra fills as sb_position_buy_ended.
 */
sb_err sb_position_sell_ended(struct sb_position *p, sb_dec order_executed, int64_t now_ms);

/*
 * The sell order filled: SELLING -> CLOSED. The realised profit comes from sb_profit_cycle() on the real
 * fills (buys[nb], sells[ns], the ones applied to p, in any order) with bnb_price valuing BNB
 * commission; what was received and not sold is recorded as dust. SB_ERR_INVALID when the fills do not
 * add up to what p applied; the profit calculator's errors otherwise. p is unchanged on error.
 */
sb_err sb_position_close(struct sb_position *p, const struct sb_symbol_rules *rules,
                         const struct sb_fill *buys, size_t nb, const struct sb_fill *sells, size_t ns,
                         sb_dec bnb_price, int64_t now_ms);

/* HOLDING (or, by hand, BUYING or SELLING) -> ABANDONED: the user keeps the coins, or only dust is left.
 * What remains is recorded as dust when dust_only, else left in the books as held by hand. SB_ERR_STATE
 * for an ended position. */
sb_err sb_position_abandon(struct sb_position *p, bool dust_only, int64_t now_ms);

/* How long the position has been held at now_ms: from the first buy fill to now (or to its end);
 * 0 before the first fill or when now_ms is earlier. */
int64_t sb_position_held_ms(const struct sb_position *p, int64_t now_ms);

/* True for CLOSED, CANCELED and ABANDONED. */
bool sb_position_state_is_final(enum sb_position_state s);

/* True for BUYING, HOLDING and SELLING: the position is not over. */
bool sb_position_state_is_open(enum sb_position_state s);

/* "BUYING", ..., "ABANDONED"; "INVALID" out of range; never NULL. */
const char *sb_position_state_name(enum sb_position_state s);

/* Exact, case-sensitive name (len bytes) to the enum; SB_ERR_NOT_FOUND otherwise. */
sb_err sb_position_state_parse(const char *s, size_t len, enum sb_position_state *out);

/* "NONE", "TARGET", "STOP_LOSS", "MAX_DURATION", "MANUAL"; "INVALID" out of range; never NULL. */
const char *sb_position_exit_name(enum sb_position_exit e);

/* Exact name to the enum; SB_ERR_NOT_FOUND otherwise. */
sb_err sb_position_exit_parse(const char *s, size_t len, enum sb_position_exit *out);

#endif

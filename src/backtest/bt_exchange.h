/*
 * bt_exchange.h - spotsim's exchange linked into the process, behind the exchange table
 * (spotbot/exchange.h): the second implementation beside Binance, for the backtest and for simulation
 * tests. No sockets and no JSON: a request goes straight to spotsim's exchange core (the symbol's filters
 * through the same core rules code spotsim's API uses, the matching engine and the ledger), and answers
 * and events are the typed structs of binance.h.
 *
 * Timing is the table's. A request is executed by the engine when it is made, as by an exchange with no
 * latency; its answer waits in a queue together with the events it caused (executionReports and account
 * positions of the account, public trades and book tickers of the symbols whose market data is wanted),
 * and sb_bt_exchange_pump delivers them in that order, never inside the call that caused them, each batch
 * followed by the owner's step (struct sb_exchange_events.dispatched). A market step applies one market
 * event (a trade, or each trade of a candle's price path) and pumps after it.
 *
 * Time: the server time, and the time of every order request, is what the clock the adapter is given
 * says. A market event carries its own market time; the clock hears of it first (reach), so a virtual
 * clock can jump there before the exchange applies it.
 *
 * Everything runs on the caller's thread; free the adapter from outside its callbacks. It borrows the
 * spotsim exchange, which must outlive it, and takes over its hooks: market events reach the adapter, and
 * user data is delivered typed, so the exchange formats no JSON for it. It does not write spotsim's state
 * file (--state).
 */
#ifndef BACKTEST_BT_EXCHANGE_H
#define BACKTEST_BT_EXCHANGE_H

#include <stddef.h>
#include <stdint.h>

#include "spotbot/binance.h"
#include "spotbot/error.h"
#include "spotbot/exchange.h"

struct sim_exchange;

/* Where the adapter takes the time from. */
struct sb_bt_clock {
	int64_t (*now_ms)(void *user);         /* server time, ms since the epoch; NULL: the wall clock */
	void (*reach)(void *user, int64_t ms); /* a market event of time ms is about to apply; NULL: none */
	void *user;                            /* their argument */
};

struct sb_bt_exchange_opts {
	struct sim_exchange *sim; /* the exchange (borrowed; must outlive the adapter) */
	const char *api_key;      /* the account that trades; NULL: the exchange's first account */
	struct sb_bt_clock clock; /* the time */
	uint64_t seed;            /* seeds the split of a candle's volume over its trades */
	size_t path_trades; /* most trades of a candle's path (sim_feed_replay_max_trades); 0: spotsim's */
};

/*
 * Creates the adapter over opts->sim, delivering its events to ev (copied). *out is released with
 * sb_exchange_free. SB_ERR_INVALID for missing arguments, SB_ERR_NOT_FOUND for an api_key the exchange
 * has no account for (or an exchange with no account).
 */
sb_err sb_bt_exchange_new(const struct sb_bt_exchange_opts *opts, const struct sb_exchange_events *ev,
                          struct sb_exchange **out);

/*
 * Delivers every queued answer and event, those queued by the callbacks it runs included, in the order
 * they were queued; after each batch it calls the owner's dispatched callback (its step after the
 * dispatch), and what that step queues is the next batch, until nothing is left. Returns how many it
 * delivered; 0 for an exchange that is not this adapter.
 */
size_t sb_bt_exchange_pump(struct sb_exchange *ex);

/* Answers and events waiting for the next pump. */
size_t sb_bt_exchange_pending(const struct sb_exchange *ex);

/*
 * The market step of one trade: t->price of t->qty on t->symbol at t->trade_time (the taker sold into
 * the bid when buyer_maker), with the book one tick either side of it, each level of the trade's
 * quantity. Resting orders it crosses fill as makers at their own price, sharing its volume. Then pumps.
 * SB_ERR_NOT_FOUND for a symbol the exchange does not list, SB_ERR_INVALID for a price off the tick
 * grid or a quantity off the step grid.
 */
sb_err sb_bt_exchange_trade(struct sb_exchange *ex, const struct sb_bn_trade *t);

/*
 * The market step of one candle of symbol: its trades as spotsim's replay walks a candle (open -> the
 * nearer extreme -> the other extreme -> close, its volume split over the trades, see sim/market.h; at
 * most opts->path_trades of them),
 * applied one by one at their market times, pumping after each so the daemon can act within the candle.
 * SB_ERR_NOT_FOUND for an unknown symbol, SB_ERR_INVALID or SB_ERR_RANGE for a candle the replay refuses.
 */
sb_err sb_bt_exchange_candle(struct sb_exchange *ex, const char *symbol, const struct sb_bn_candle *c);

#endif

/*
 * bt_run.h - `spotbot backtest`'s driver: the daemon's own order manager, strategy and reconciler (the
 * code `spotbot run` runs) trading against spotsim's exchange in the same process, on a virtual clock that
 * follows market time, fed the candles of kline files in time order.
 *
 * One run: the kline set is opened and checked against PAIRS (a symbol of the data not in PAIRS is
 * ignored with a note, a pair without data is an error); spotsim's exchange lists the pairs' symbols with
 * the rules of --exchange-info, else of its catalogue, else derived from the data (bt_derive.h, with a
 * note), and one account funded as asked; the daemon starts on it exactly as `run`
 * starts (rules, commission rates, reconciliation), its database a SQLite file of the run's own; each
 * candle then becomes spotsim's intra-candle trades (bt_exchange.h), the daemon's timers firing as market
 * time passes them. At the end nothing more is traded: open positions stay open, and the results are read
 * back from the run's database (bt_report.h) and the exchange's ledger.
 */
#ifndef BACKTEST_BT_RUN_H
#define BACKTEST_BT_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "backtest/bt_report.h"
#include "sim/book.h"
#include "spotbot/config.h"
#include "spotbot/error.h"

#define SB_BT_BALANCE_DEFAULT "USDT=10000" /* the account's funds when none are given */
#define SB_BT_PATH_COARSE     4            /* a candle is its corners: open, the extremes, close */
#define SB_BT_PATH_FINE       300          /* spotsim's replay: tick by tick, up to 300 trades */

struct sb_bt_run_opts {
	const struct sb_config *cfg; /* PAIRS and the strategy's options, as `run` loads them */
	const char *const *paths;    /* kline files and directories */
	size_t npaths;               /* entries of paths */
	int64_t from_ms;             /* first open time traded; 0: the data's first */
	int64_t to_ms;               /* first open time not traded; INT64_MAX: the data's last */
	const char *balance;         /* "ASSET=AMOUNT,..."; NULL: SB_BT_BALANCE_DEFAULT */
	const char *db_path;         /* the run's database, kept; ":memory:" in memory only; NULL: a
	                                temporary file, removed */
	size_t path_trades;          /* most trades of a candle's path: SB_BT_PATH_COARSE or _FINE */
	enum sim_fill_model fill;    /* when the market's trades fill the account's resting orders */
	const char *exchange_info;   /* an exchangeInfo JSON file whose rules come first; NULL: none */
	bool bnb_fees;        /* the account pays commission in BNB (25% off) while it holds some; each pair's
	                         BNB<QUOTE> must then be in the data, which prices it */
	const char *log_path; /* the daemon's log (LOG_LEVEL and up, stamped with market time) is appended
	                         to this file; NULL: kept nowhere, its warnings and errors only counted */
	FILE *notes; /* notes on what is ignored (symbols without a pair), derived, summarised; NULL: none */
};

/*
 * Checks "ASSET=AMOUNT,..." (upper-case letters and digits, an amount of at least 0, no asset twice).
 * SB_ERR_PARSE with err naming the entry that is wrong.
 */
sb_err sb_bt_balance_check(const char *balance, char *err, size_t cap);

/*
 * Runs the backtest into *out (sb_bt_report_fini). SB_ERR_CONFIG for PAIRS the run cannot trade
 * (sb_bot_check_config's lines go to stderr), SB_ERR_PARSE for a bad balance, the kline set's errors for
 * bad data (err holds "FILE:LINE: reason" or names the path), SB_ERR_NOT_FOUND for a pair without data or
 * whose rules cannot be had (an unreadable --exchange-info, a name with no known quote asset); err (cap
 * bytes) says which in one line.
 */
sb_err sb_bt_run(const struct sb_bt_run_opts *o, struct sb_bt_report *out, char *err, size_t cap);

/* Whether an error of sb_bt_run is the user's to fix (arguments, configuration, data: exit 2) rather than
 * a failure of the run itself (the database, the daemon not starting, memory: exit 1). */
bool sb_bt_run_user_error(sb_err e);

#endif

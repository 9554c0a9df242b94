/*
 * bot.h - the trading daemon behind `spotbot run`: one libuv loop carrying the market and user data
 * streams, the REST client, the price manager, the order manager, the strategy tick and the reconciler,
 * all writing through the store before they act (docs/operations.md describes it from the outside).
 *
 * sb_bot_run() owns everything it creates and returns once the daemon has stopped: after SIGINT or
 * SIGTERM (open orders stay on the exchange unless CANCEL_BUYS_ON_SHUTDOWN), or when start-up failed.
 */
#ifndef SPOTBOT_BOT_H
#define SPOTBOT_BOT_H

#include <stdbool.h>
#include <stdio.h>

#include "spotbot/config.h"
#include "spotbot/error.h"

struct sb_bot_opts {
	FILE *human;  /* one readable line per buy, fill, sell and finished cycle goes here; NULL: none */
	bool *on_tty; /* set when a failure's whole reason went to stderr, the log not being open; NULL ok */
};

/*
 * Checks what the daemon needs of a loaded configuration beyond single values: ORDER_TAG fits a
 * clientOrderId, PAIRS parses, and CONTROL_LISTEN beyond loopback has a CONTROL_TOKEN. Every problem is
 * one line on errors (none when errors is NULL) naming the key: "PAIRS: BTCUSDT: profit: ...". Returns
 * SB_ERR_CONFIG when there is any, SB_ERR_INVALID for a NULL cfg. `run`, `config --check` and `doctor`
 * all decide with this one function.
 */
sb_err sb_bot_check_config(const struct sb_config *cfg, FILE *errors);

/*
 * Checks the directories the daemon writes in (DATABASE_PATH's and LOG_DIR): SB_ERR_PERM when one is
 * writable by others or owned by another user, one line per problem on errors naming the key. `run`
 * refuses to start on it and `doctor` reports it.
 */
sb_err sb_bot_check_dirs(const struct sb_config *cfg, FILE *errors);

/*
 * Runs the daemon with cfg (borrowed for the whole run) until a signal stops it. SB_OK after a clean stop;
 * SB_ERR_CONFIG for settings it cannot trade with (sb_bot_check_config's problems, written to stderr),
 * SB_ERR_IN_USE when another daemon holds the database's lock (nothing is opened or written then), the
 * store's errors when the database cannot be opened, SB_ERR_IO when the loop or the exchange clients
 * cannot start.
 */
sb_err sb_bot_run(const struct sb_config *cfg, const struct sb_bot_opts *opts);

#endif

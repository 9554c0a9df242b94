/*
 * state.h - spotsim's state file (--state FILE): what a paper-trading client needs to find again after
 * spotsim restarts. The accounts (balances free and locked, commission rates, BNB fees), every open
 * order and the most recent closed ones, each account's recent trades, and per symbol the id sequences
 * (so an orderId or trade id is never given out twice) and where its market stood.
 *
 * The format is one JSON object, documented in docs/spotsim.md ("State file"): money as decimal
 * strings, ids and times as integers, orders with Binance's field names. Members a reader does not know
 * are ignored, so a new order field is one line in the writer and one in the reader.
 *
 * Writing is atomic and durable: the text goes to FILE.tmp, which is fsync'ed and renamed over FILE,
 * and then the directory is fsync'ed, so a crash at any moment leaves the previous file or the new one.
 * Loading checks the document as it restores it and names the first problem: the format and version,
 * symbols that are not served, accounts that no --account gives, negative balances, locked funds that
 * differ from what the open orders hold, orders that cannot be (unknown fields, an id taken twice).
 * API secrets are never written: an account is named by its API key and its secret comes from --account.
 */
#ifndef SIM_STATE_H
#define SIM_STATE_H

#include <stddef.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

struct cJSON;
struct sim_exchange;

#define SIM_STATE_FORMAT     "spotsim-state" /* the document's "format" member */
#define SIM_STATE_VERSION    1               /* the document's "version" this spotsim writes and reads */
#define SIM_STATE_CLOSED_MAX 1000            /* most recent closed orders kept per symbol */
#define SIM_STATE_TRADES_MAX 1000            /* most recent trades kept per account */

/*
 * Reads and parses the state file at path into *doc (owned by the caller, cJSON_Delete). SB_ERR_NOT_FOUND
 * when there is no such file (a first start); any other failure is explained in why.
 */
sb_err sim_state_read(const char *path, struct cJSON **doc, char *why, size_t why_cap);

/* Where the market of symbol stood when doc was saved: its last price and, for a replay, the market
 * time of its last event (0 when unknown). */
void sim_state_market(const struct cJSON *doc, const char *symbol, sb_dec *last_price, int64_t *market_ms);

/*
 * Checks doc and restores it into ex, whose symbols and accounts exist already (from the command line):
 * balances, rates and BNB fees of each account replace its starting ones, orders and trades come back,
 * id sequences continue. On a problem, returns an error with why naming it; ex is then half restored
 * and must be discarded.
 */
sb_err sim_state_restore(struct sim_exchange *ex, const struct cJSON *doc, char *why, size_t why_cap);

/* Writes ex's state to path atomically and durably (see above); failures are explained in why. */
sb_err sim_state_save(const struct sim_exchange *ex, const char *path, char *why, size_t why_cap);

#endif

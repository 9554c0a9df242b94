/*
 * ledger.h - spotsim's accounts: balances per asset (free and locked), commission rates, and the
 * settlement that keeps them in step with the matching engine (sim/book.h).
 *
 * Accounts are found by API key and referred to by a small id, which is also the account id the book
 * stores on orders. Two accounts always exist: SIM_LEDGER_MARKET (id 0), the outside world that
 * supplies the book's external liquidity and may go negative, and SIM_LEDGER_FEES (id 1), which
 * collects every commission. So the sum of free + locked of an asset over all accounts changes only by
 * deposits and withdrawals, never by trading.
 *
 * The sim_ledger_* trading calls wrap the book's: they lock funds when an order is accepted (a LIMIT
 * BUY price * qty of quote, a SELL qty of base, a MARKET order what it would take from the current book),
 * settle each fill (the buyer receives base minus commission, the seller quote minus commission, or
 * the commission is paid in BNB at a 25% discount when the account opted in and has enough), and
 * release what an order no longer needs when it ends. The server uses these, not the raw book calls,
 * for anything that can move money. Everything is pure logic: no clock, no I/O.
 */
#ifndef SIM_LEDGER_H
#define SIM_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/book.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SIM_LEDGER_MARKET       SIM_ACCOUNT_MARKET    /* the external market; may go negative */
#define SIM_LEDGER_FEES         1u                    /* collects commissions */
#define SIM_LEDGER_MAX_ACCOUNTS 4096                  /* accounts, the two above included */
#define SIM_LEDGER_MAX_ASSETS   64                    /* assets per account */
#define SIM_API_KEY_MAX         128                   /* longest API key */
#define SIM_LEDGER_DEFAULT_RATE SB_DEC_C(0, 100000)   /* 0.001 = 0.1%, Binance VIP 0 */
#define SIM_LEDGER_BNB_FACTOR   SB_DEC_C(0, 75000000) /* paying in BNB: rate * 0.75 */
#define SIM_LEDGER_BNB          "BNB"

struct sim_ledger_asset {
	char asset[SIM_ASSET_MAX + 1]; /* asset name */
	sb_dec free;                   /* available */
	sb_dec locked;                 /* held by open orders */
};

struct sim_ledger;

/* Creates a ledger holding the market and fee accounts. Owned by the caller: sim_ledger_free. */
sb_err sim_ledger_new(struct sim_ledger **out);
/* NULL is fine. */
void sim_ledger_free(struct sim_ledger *l);

/* Adds an account for api_key with default rates (maker and taker 0.001) and no balances.
 * SB_ERR_EXISTS for a known key, SB_ERR_TOO_LONG for a key past SIM_API_KEY_MAX, SB_ERR_RANGE when the
 * ledger is full. */
sb_err sim_ledger_add_account(struct sim_ledger *l, const char *api_key, uint32_t *id);
/* The account of an API key given as {ptr,len}; SB_ERR_NOT_FOUND when unknown. */
sb_err sim_ledger_find(const struct sim_ledger *l, const char *api_key, size_t len, uint32_t *id);
/* Number of accounts, the market and fee accounts included; ids run from 0 to this - 1. */
uint32_t sim_ledger_count(const struct sim_ledger *l);

/* Commission rates, 0 <= rate < 1 (SB_ERR_RANGE otherwise). */
sb_err sim_ledger_set_rates(struct sim_ledger *l, uint32_t id, sb_dec maker, sb_dec taker);
sb_err sim_ledger_rates(const struct sim_ledger *l, uint32_t id, sb_dec *maker, sb_dec *taker);
/* Whether commissions are paid in BNB when the BNB balance allows. */
sb_err sim_ledger_set_bnb_fees(struct sim_ledger *l, uint32_t id, bool on);
bool sim_ledger_bnb_fees(const struct sim_ledger *l, uint32_t id);

/* Adds amount (> 0) to the free balance of asset (a deposit, or the starting balance). */
sb_err sim_ledger_deposit(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec amount);
/* Sets free and locked of asset to what a state file recorded (replacing what was there); negative
 * amounts are SB_ERR_RANGE except for the market account. */
sb_err sim_ledger_restore(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec free_amount,
                          sb_dec locked);
/* Takes amount (> 0) from the free balance; SB_ERR_RANGE when free is smaller. */
sb_err sim_ledger_withdraw(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec amount);

/* Free and locked of one asset (zeros for an asset never held); SB_ERR_NOT_FOUND for a bad id. */
sb_err sim_ledger_balance(const struct sim_ledger *l, uint32_t id, const char *asset,
                          struct sim_ledger_asset *out);
/* Every balance of an account: *out points into the ledger and stays valid until the next change. */
sb_err sim_ledger_balances(const struct sim_ledger *l, uint32_t id, const struct sim_ledger_asset **out,
                           size_t *n);
/* Sum of free + locked of asset over every account, market and fees included (conservation checks). */
sb_err sim_ledger_total(const struct sim_ledger *l, const char *asset, sb_dec *out);

/*
 * Places an order for req->account on book, with funds: SB_ERR_EXCHANGE with res->reject set when it
 * is refused (duplicate clientOrderId, insufficient balance, LIMIT_MAKER that would match, full book),
 * and nothing changes; otherwise as sim_book_place, with every new fill settled, commissions written
 * into res's fills and TRADE events, and leftover locks released for orders that ended. bnb_price is
 * the price of 1 BNB in the book's quote asset, or 0 when unknown (commissions are then never in BNB).
 * SB_ERR_STATE means the ledger found an inconsistency (a balance would go negative) and stopped.
 */
sb_err sim_ledger_place(struct sim_ledger *l, struct sim_book *book, const struct sim_book_req *req,
                        sb_dec bnb_price, struct sim_book_result *res);
/* Cancels an open order and releases its funds; SB_ERR_NOT_FOUND as sim_book_cancel. */
sb_err sim_ledger_cancel(struct sim_ledger *l, struct sim_book *book, uint64_t order_id, int64_t time,
                         struct sim_book_result *res);
/* Cancels every open order of account on book. */
sb_err sim_ledger_cancel_all(struct sim_ledger *l, struct sim_book *book, uint32_t account, int64_t time,
                             struct sim_book_result *res);
/* sim_book_market_trade, settled. */
sb_err sim_ledger_market_trade(struct sim_ledger *l, struct sim_book *book, sb_dec price, sb_dec volume,
                               int64_t time, sb_dec bnb_price, struct sim_book_result *res);
/* sim_book_set_quotes, settled. */
sb_err sim_ledger_set_quotes(struct sim_ledger *l, struct sim_book *book, const struct sim_book_level *bids,
                             size_t n_bids, const struct sim_book_level *asks, size_t n_asks, int64_t time,
                             sb_dec bnb_price, struct sim_book_result *res);

/* What req would lock right now (asset and amount), as sim_ledger_place computes it. */
sb_err sim_ledger_required(const struct sim_book *book, const struct sim_book_req *req, const char **asset,
                           sb_dec *amount);

#endif

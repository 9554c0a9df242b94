/*
 * exchange.h - the exchange as the daemon sees it: one table of operations (struct sb_exchange_ops) behind
 * struct sb_exchange, as the database is behind struct sb_store.
 *
 * The daemon (src/bot/) reaches the exchange only through the functions below, so the same order manager,
 * strategy and reconciler can run against Binance over the network (exchange_binance.h) or against an
 * exchange linked into the process, which needs neither sockets nor JSON: nothing here is a wire format.
 * Requests, answers and events are the typed structs of binance.h; what a request came to is a
 * struct sb_bn_rest_result (the error, the exchange's code and message).
 *
 * Timing is the REST client's: every request returns SB_OK when accepted and then ends in exactly one
 * callback, later, never inside the call; any other return means its callback will not run. The callback
 * types, their ownership rules and the errors are those of binance_rest.h. Stream events (market data,
 * the account's executions, connectivity, requests to reconcile) come back through the callbacks given
 * when the exchange is created (struct sb_exchange_events), in the exchange's order, and so does the end
 * of each batch of them where the exchange delivers in batches.
 */
#ifndef SPOTBOT_EXCHANGE_H
#define SPOTBOT_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/binance.h"
#include "spotbot/binance_rest.h"
#include "spotbot/binance_streams.h"
#include "spotbot/error.h"

struct sb_exchange;

/*
 * The owner's callbacks: market data and the account's events, and the end of a batch. Copied at creation.
 *
 * dispatched is the owner's step after the dispatch (redis's beforeSleep): an exchange that delivers in
 * batches of its own (the in-process exchange's pump) calls it once after each batch of answers and events
 * it delivered, never inside a request. One that delivers from an event loop (Binance) does not call it:
 * the loop's owner runs its step once per loop iteration instead. NULL: no step.
 */
struct sb_exchange_events {
	struct sb_bn_market_stream_ops market; /* market events, price refresh requests, link changes */
	struct sb_bn_user_stream_ops account;  /* executions, requests to reconcile, link changes */
	void (*dispatched)(void *user);        /* a batch was delivered; NULL: none (see above) */
	void *user;                            /* the argument of every callback above */
};

/* Counters for metrics and the control API; zero where a part has not started. */
struct sb_exchange_stats {
	struct sb_bn_rest_stats rest;            /* requests: calls, weight, latency */
	struct sb_bn_market_stream_stats market; /* market data */
	struct sb_bn_user_stream_stats user;     /* the account's events */
};

/* The operations every exchange implements; the functions below document them. */
struct sb_exchange_ops {
	const char *name; /* "binance" */
	void (*free)(struct sb_exchange *ex);
	sb_err (*sync_time)(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user);
	int64_t (*time_offset)(const struct sb_exchange *ex);
	sb_err (*exchange_info)(struct sb_exchange *ex, const char *const *symbols, size_t n,
	                        sb_bn_rest_info_cb cb, void *user);
	sb_err (*commission)(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
	                     void *user);
	sb_err (*book_ticker)(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb,
	                      void *user);
	sb_err (*order_place)(struct sb_exchange *ex, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
	                      void *user);
	sb_err (*order_query)(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
	                      sb_bn_rest_order_cb cb, void *user);
	sb_err (*order_cancel)(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
	                       sb_bn_rest_order_cb cb, void *user);
	sb_err (*open_orders)(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb,
	                      void *user);
	sb_err (*my_trades)(struct sb_exchange *ex, const char *symbol, int64_t order_id,
	                    sb_bn_rest_trades_cb cb, void *user);
	void (*streams_start)(struct sb_exchange *ex, const char *const *symbols, size_t n);
	sb_err (*market_add)(struct sb_exchange *ex, const char *symbol);
	sb_err (*market_remove)(struct sb_exchange *ex, const char *symbol);
	bool (*market_synced)(const struct sb_exchange *ex);
	bool (*user_subscribed)(const struct sb_exchange *ex);
	void (*stats)(const struct sb_exchange *ex, struct sb_exchange_stats *out);
};

/* The common head of every implementation (which embeds it first). */
struct sb_exchange {
	const struct sb_exchange_ops *ops; /* the implementation */
	struct sb_exchange_events ev;      /* the owner's callbacks */
};

/* Ends every request in flight with SB_ERR_SHUTDOWN (their callbacks run inside this call), stops the
 * streams (no event callback runs any more) and frees the exchange. NULL is harmless. */
void sb_exchange_free(struct sb_exchange *ex);

/* The implementation's name ("binance"); "" for NULL. */
const char *sb_exchange_name(const struct sb_exchange *ex);

/* Measures the exchange's clock; cb gets its time. The offset is then used for every signed request and
 * the account's event subscription. */
sb_err sb_exchange_sync_time(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user);

/* Server time minus local wall time in use, ms. */
int64_t sb_exchange_time_offset(const struct sb_exchange *ex);

/* The trading rules of n symbols (n == 0: all). An unknown symbol among them is SB_ERR_EXCHANGE -1121. */
sb_err sb_exchange_exchange_info(struct sb_exchange *ex, const char *const *symbols, size_t n,
                                 sb_bn_rest_info_cb cb, void *user);

/* The account's commission rates on symbol. */
sb_err sb_exchange_commission(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
                              void *user);

/* The best bid and ask of symbol, or of every symbol (symbol NULL). */
sb_err sb_exchange_book_ticker(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb,
                               void *user);

/* Places an order. SB_ERR_UNKNOWN_OUTCOME in the callback: it may exist; query its client_order_id. */
sb_err sb_exchange_order_place(struct sb_exchange *ex, const struct sb_bn_new_order *o,
                               sb_bn_rest_order_cb cb, void *user);

/* Queries an order by its clientOrderId. One the exchange does not know is SB_ERR_EXCHANGE -2013. */
sb_err sb_exchange_order_query(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
                               sb_bn_rest_order_cb cb, void *user);

/* Cancels an order by its clientOrderId. */
sb_err sb_exchange_order_cancel(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
                                sb_bn_rest_order_cb cb, void *user);

/* The account's open orders on symbol, or on every symbol (symbol NULL). */
sb_err sb_exchange_open_orders(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb,
                               void *user);

/* The account's trades of the order order_id (the exchange's id) on symbol. */
sb_err sb_exchange_my_trades(struct sb_exchange *ex, const char *symbol, int64_t order_id,
                             sb_bn_rest_trades_cb cb, void *user);

/* Starts what is not running yet of the account's event stream and the market data of symbols[0..n)
 * (called again after a failed start-up step: idempotent). A part that cannot start is logged and stays
 * off; its synced/subscribed state says so. */
void sb_exchange_streams_start(struct sb_exchange *ex, const char *const *symbols, size_t n);

/* Wants (add) or stops wanting (remove) symbol's market data. Before the streams started: SB_ERR_STATE.
 * remove: SB_ERR_NOT_FOUND when not wanted. */
sb_err sb_exchange_market_add(struct sb_exchange *ex, const char *symbol);
sb_err sb_exchange_market_remove(struct sb_exchange *ex, const char *symbol);

/* True while market data flows for every wanted symbol. */
bool sb_exchange_market_synced(const struct sb_exchange *ex);

/* True while the account's events are subscribed (orders may only be placed then). */
bool sb_exchange_user_subscribed(const struct sb_exchange *ex);

/* Fills out (zeroed first; all zero for NULL ex). */
void sb_exchange_stats(const struct sb_exchange *ex, struct sb_exchange_stats *out);

#endif

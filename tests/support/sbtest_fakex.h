/*
 * sbtest_fakex.h - a scripted exchange behind the exchange table (spotbot/exchange.h), for unit tests of
 * the daemon's decisions without sockets: it records every request the daemon makes and answers only when
 * the test says so, as the network would (never inside the call); stream events are delivered by the
 * test through the callbacks the daemon registered.
 */
#ifndef SBTEST_FAKEX_H
#define SBTEST_FAKEX_H

#include <stdbool.h>
#include <stddef.h>

#include "spotbot/exchange.h"

#define SBT_FAKEX_REQS_MAX 64 /* requests recorded */

enum sbt_fakex_kind {
	SBT_FX_TIME,        /* sync_time */
	SBT_FX_INFO,        /* exchange_info */
	SBT_FX_COMMISSION,  /* commission */
	SBT_FX_TICKER,      /* book_ticker */
	SBT_FX_PLACE,       /* order_place */
	SBT_FX_QUERY,       /* order_query */
	SBT_FX_CANCEL,      /* order_cancel */
	SBT_FX_OPEN_ORDERS, /* open_orders */
	SBT_FX_MY_TRADES,   /* my_trades */
};

/* One request as the daemon made it. */
struct sbt_fakex_req {
	enum sbt_fakex_kind kind;       /* which operation */
	char symbol[SB_SYMBOL_MAX];     /* its symbol; "" when none */
	char coid[SB_BN_CLIENT_ID_MAX]; /* PLACE, QUERY, CANCEL: the clientOrderId */
	struct sb_bn_new_order order;   /* PLACE: the order (symbol, coid point to the above) */
	int64_t order_id;               /* MY_TRADES: the exchange's order id */
	bool answered;                  /* its callback has run */
	union {
		sb_bn_rest_order_cb order;           /* PLACE, QUERY, CANCEL */
		sb_bn_rest_orders_cb orders;         /* OPEN_ORDERS */
		sb_bn_rest_trades_cb trades;         /* MY_TRADES */
		sb_bn_rest_time_cb time;             /* TIME */
		sb_bn_rest_info_cb info;             /* INFO */
		sb_bn_rest_commission_cb commission; /* COMMISSION */
		sb_bn_rest_tickers_cb tickers;       /* TICKER */
	} cb;                                        /* the daemon's callback */
	void *user;                                  /* its argument */
};

struct sbt_fakex {
	struct sb_exchange base;                      /* must come first */
	struct sbt_fakex_req req[SBT_FAKEX_REQS_MAX]; /* requests in the order they were made */
	size_t n;                                     /* entries */
	bool subscribed;                              /* what user_subscribed answers */
	bool streams_started;                         /* streams_start was called */
	int64_t used_weight;                          /* what stats report as the minute's weight used */
	/* Called inside each request, after it is recorded: to look at the daemon's state at send time. */
	void (*on_request)(void *ctx, const struct sbt_fakex_req *r);
	/* Called once each answer or event the test delivers has been handled: the end of a dispatch. */
	void (*on_delivered)(void *ctx);
	void *ctx; /* the hooks' argument */
};

/* A fake delivering its events to ev (copied). Free with sb_exchange_free. */
struct sbt_fakex *sbt_fakex_new(const struct sb_exchange_events *ev);

/* Index of the last request of kind, or -1. */
int sbt_fakex_last(const struct sbt_fakex *fx, enum sbt_fakex_kind kind);
/* Index of the n-th (from 0) request of kind, or -1. */
int sbt_fakex_nth(const struct sbt_fakex *fx, enum sbt_fakex_kind kind, size_t n);
/* Requests of kind. */
size_t sbt_fakex_count(const struct sbt_fakex *fx, enum sbt_fakex_kind kind);

/* Answers request i (PLACE, QUERY or CANCEL) with err (SB_OK: order; else code and msg as the exchange's). */
void sbt_fakex_answer_order(struct sbt_fakex *fx, size_t i, sb_err err, int64_t code,
                            struct sb_bn_order *order);
/* Answers request i (any kind) with the failure err, Binance's code (0: none) and a message naming it. */
void sbt_fakex_fail(struct sbt_fakex *fx, size_t i, sb_err err, int64_t code);
/* Answers request i (TIME) with the server's time. */
void sbt_fakex_answer_time(struct sbt_fakex *fx, size_t i, int64_t server_ms);
/* Answers request i (INFO) listing the n symbols of rules (copied). */
void sbt_fakex_answer_info(struct sbt_fakex *fx, size_t i, const struct sb_symbol_rules *rules, size_t n);
/* Answers request i (COMMISSION) with the account's standard maker and taker rates ("0.001"). */
void sbt_fakex_answer_commission(struct sbt_fakex *fx, size_t i, const char *maker, const char *taker);
/* Answers request i (TICKER) with the symbol's best bid and ask. */
void sbt_fakex_answer_ticker(struct sbt_fakex *fx, size_t i, const char *bid, const char *ask);
/* Answers request i (MY_TRADES) with trades. */
void sbt_fakex_answer_trades(struct sbt_fakex *fx, size_t i, struct sb_bn_my_trades *trades);
/* Answers request i (OPEN_ORDERS) with the list. */
void sbt_fakex_answer_orders(struct sbt_fakex *fx, size_t i, struct sb_bn_order_list *list);

/* The order the request r (PLACE, QUERY or CANCEL) is about as the exchange describes it (QUERY-shaped):
 * order id, status, executed quantity and its quote amount, dated at_ms. */
struct sb_bn_order sbt_fakex_order(const struct sbt_fakex_req *r, int64_t order_id, enum sb_order_state st,
                                   sb_dec executed, sb_dec quote, int64_t at_ms);

/* The executionReport of r's order (order id, status st, cumulative executed quantity and quote amount) at
 * at_ms: a TRADE of fill f when f is not NULL, else the execution type st implies (NEW, CANCELED,
 * EXPIRED, TRADE_PREVENTION for EXPIRED_IN_MATCH, REJECTED). */
struct sb_bn_user_event sbt_fakex_report(const struct sbt_fakex_req *r, int64_t order_id,
                                         enum sb_order_state st, const struct sb_fill *f, sb_dec cum_qty,
                                         sb_dec cum_quote, int64_t at_ms);

/* The myTrades row of fill f of r's order (order id), at at_ms. */
struct sb_bn_my_trade sbt_fakex_my_trade(const struct sbt_fakex_req *r, int64_t order_id,
                                         const struct sb_fill *f, int64_t at_ms);

/* Delivers events through the callbacks the daemon registered; a book ticker arrives now on the monotonic
 * clock (sb_bn_market_event.recv_ns), as the market stream stamps it. */
void sbt_fakex_book(struct sbt_fakex *fx, const char *symbol, const char *bid, const char *ask);
void sbt_fakex_user(struct sbt_fakex *fx, const struct sb_bn_user_event *ev);
void sbt_fakex_reconcile(struct sbt_fakex *fx, enum sb_bn_reconcile_reason why);

#endif

/*
 * bt_exchange_int.h - what the files of the in-process exchange adapter share: its state, the queue of
 * answers and events waiting for the next pump (bt_queue.c), and the translation of spotsim's records
 * into the typed Binance structs (bt_convert.c). Not for use outside src/backtest/.
 */
#ifndef BACKTEST_BT_EXCHANGE_INT_H
#define BACKTEST_BT_EXCHANGE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backtest/bt_exchange.h"
#include "sim/exchange.h"

/* What a queued item is: the answer of one request, or one event. */
enum bt_item_kind {
	BT_ANSWER_TIME,       /* sync_time */
	BT_ANSWER_INFO,       /* exchange_info */
	BT_ANSWER_COMMISSION, /* commission */
	BT_ANSWER_TICKERS,    /* book_ticker */
	BT_ANSWER_ORDER,      /* order_place, order_query, order_cancel */
	BT_ANSWER_ORDERS,     /* open_orders */
	BT_ANSWER_TRADES,     /* my_trades */
	BT_EVENT_USER,        /* an executionReport or outboundAccountPosition */
	BT_EVENT_BOOK,        /* a book ticker */
	BT_EVENT_SNAPSHOT,    /* market data started: refresh prices */
	BT_EVENT_MARKET_LINK, /* market data link up */
	BT_EVENT_USER_LINK,   /* the account's events link up */
	BT_EVENT_RECONCILE,   /* the account's events were subscribed: reconcile */
};

/* One answer or event. An answer's result is owned by the item until it is delivered. */
struct bt_item {
	enum bt_item_kind kind;       /* which of the members below are set */
	struct sb_bn_rest_result res; /* answers: what the request came to */
	union {
		sb_bn_rest_time_cb time;             /* BT_ANSWER_TIME */
		sb_bn_rest_info_cb info;             /* BT_ANSWER_INFO */
		sb_bn_rest_commission_cb commission; /* BT_ANSWER_COMMISSION */
		sb_bn_rest_tickers_cb tickers;       /* BT_ANSWER_TICKERS */
		sb_bn_rest_order_cb order;           /* BT_ANSWER_ORDER */
		sb_bn_rest_orders_cb orders;         /* BT_ANSWER_ORDERS */
		sb_bn_rest_trades_cb trades;         /* BT_ANSWER_TRADES */
	} cb;                                        /* answers: the caller's callback */
	void *user;                                  /* answers: its argument */
	union {
		int64_t time;                       /* BT_ANSWER_TIME: server time */
		struct sb_bn_exchange_info info;    /* BT_ANSWER_INFO */
		struct sb_bn_commission commission; /* BT_ANSWER_COMMISSION */
		struct sb_bn_book_tickers tickers;  /* BT_ANSWER_TICKERS */
		struct sb_bn_order order;           /* BT_ANSWER_ORDER */
		struct sb_bn_order_list orders;     /* BT_ANSWER_ORDERS */
		struct sb_bn_my_trades trades;      /* BT_ANSWER_TRADES */
		struct sb_bn_user_event user;       /* BT_EVENT_USER */
		struct sb_bn_book_ticker book;      /* BT_EVENT_BOOK */
		enum sb_bn_reconcile_reason why;    /* BT_EVENT_RECONCILE */
	} u;
};

/* The market data of one of the exchange's symbols, as the adapter last reported it. */
struct bt_market {
	bool wanted;         /* its market data is wanted */
	sb_dec bid, bid_qty; /* best bid last reported (0: none) */
	sb_dec ask, ask_qty; /* best ask last reported (0: none) */
};

struct bt_exchange {
	struct sb_exchange base;     /* must come first: the daemon holds a struct sb_exchange * */
	struct sim_exchange *sim;    /* the exchange core (borrowed) */
	struct sim_account *account; /* the account that trades (the exchange's) */
	struct sb_bt_clock clock;    /* the time */
	uint64_t seed;               /* candle paths' volume split */
	size_t path_trades;          /* most trades per candle; 0: spotsim's replay's */
	struct bt_market *mk;        /* per symbol of the exchange, same index (owned) */
	struct bt_item *q;           /* queued items, q[head..n) waiting (owned) */
	size_t head, n, cap;         /* first waiting, used, allocated */
	bool started;                /* streams_start was called */
	int64_t update_id;           /* last book ticker update id */
	int64_t exec_id;             /* last execution id ("I") */
	struct sb_exchange_stats st; /* counters */
};

/* The adapter behind ex, for the table's operations: the dispatch (exchange.c) calls them only on an
 * exchange this table made. */
static inline struct bt_exchange *bt_self(struct sb_exchange *ex)
{
	return (struct bt_exchange *)ex;
}

/* The files below call only downwards: bt_exchange.c (the table, and the entry points of
 * bt_exchange.h) over bt_place.c and bt_market.c, over bt_convert.c, over bt_queue.c. */

/* ---- bt_place.c --------------------------------------------------------------------------------------- */
/* The table's order_place. */
sb_err bt_order_place(struct sb_exchange *ex, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                      void *user);

/* ---- bt_market.c -------------------------------------------------------------------------------------- */
/* Points the exchange's hooks at the adapter: its market events are queued, user data goes unformatted. */
void bt_market_hooks(struct bt_exchange *x);
/* sb_bt_exchange_trade on the adapter. */
sb_err bt_market_trade(struct bt_exchange *x, const struct sb_bn_trade *t);
/* sb_bt_exchange_candle on the adapter. */
sb_err bt_market_candle(struct bt_exchange *x, const char *symbol, const struct sb_bn_candle *c);

/* ---- bt_queue.c --------------------------------------------------------------------------------------- */
/* Server time from the clock: the time answers and delivered events are stamped with. */
int64_t bt_now(const struct bt_exchange *x);
/* A zeroed item of kind at the end of the queue; an answer's result starts as SB_OK. The pointer is valid
 * until the next push. */
struct bt_item *bt_push(struct bt_exchange *x, enum bt_item_kind kind);
/* Sets an answer's result to an exchange error: the api error, http_status and its class. */
void bt_fail(struct bt_item *it, int http_status, int64_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Delivers every queued item; returns how many. */
size_t bt_pump(struct bt_exchange *x);
/* Ends every queued answer with SB_ERR_SHUTDOWN and drops the events. */
void bt_queue_shutdown(struct bt_exchange *x);

/* ---- bt_convert.c ------------------------------------------------------------------------------------- */
/* An order as the REST API reports it, in shape; a FULL order gets its fills from res. fills is owned. */
void bt_order(const struct sim_symbol *s, const struct sim_book_order *o, enum sb_bn_order_shape shape,
              const struct sim_book_result *res, struct sb_bn_order *out);
/* One of the account's trades as a myTrades row. */
void bt_my_trade(const struct sim_symbol *s, const struct sim_trade_rec *t, struct sb_bn_my_trade *out);
/* Queues the account's events of a book result on sym: an executionReport per event of its orders, then
 * its balances of the assets they moved. */
void bt_queue_user_events(struct bt_exchange *x, const struct sim_symbol *sym,
                          const struct sim_book_result *res);
/* Queues sym's market event after the engine moved: a book ticker when the best bid or ask changed, only
 * while its market data is wanted. The daemon's market stream carries book tickers alone, and so does
 * this exchange: no public trades. */
void bt_queue_market_events(struct bt_exchange *x, const struct sim_symbol *sym);
/* A book ticker of sym now. */
void bt_book_ticker(const struct sim_symbol *s, struct sb_bn_book_ticker *out);

#endif

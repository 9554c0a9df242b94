/*
 * rest_int.h - what the REST client's two halves share: one call's state (rest_api.c runs it on the
 * loop; rest_calls.c creates one per public call).
 */
#ifndef SPOTBOT_EXCHANGE_REST_INT_H
#define SPOTBOT_EXCHANGE_REST_INT_H

#include "exchange/rest_build.h"

enum sb_bn__kind {
	SB_BN__K_SYNC, /* automatic resync after -1021: no user callback */
	SB_BN__K_TIME,
	SB_BN__K_INFO,
	SB_BN__K_TICKERS,
	SB_BN__K_CANDLES,
	SB_BN__K_ACCOUNT,
	SB_BN__K_COMMISSION,
	SB_BN__K_ORDER,
	SB_BN__K_ORDERS,
	SB_BN__K_TRADES,
};

union sb_bn__callback {
	sb_bn_rest_time_cb time;             /* SB_BN__K_TIME */
	sb_bn_rest_info_cb info;             /* SB_BN__K_INFO */
	sb_bn_rest_tickers_cb tickers;       /* SB_BN__K_TICKERS */
	sb_bn_rest_candles_cb candles;       /* SB_BN__K_CANDLES */
	sb_bn_rest_account_cb account;       /* SB_BN__K_ACCOUNT */
	sb_bn_rest_commission_cb commission; /* SB_BN__K_COMMISSION */
	sb_bn_rest_order_cb order;           /* SB_BN__K_ORDER */
	sb_bn_rest_orders_cb orders;         /* SB_BN__K_ORDERS */
	sb_bn_rest_trades_cb trades;         /* SB_BN__K_TRADES */
};

struct sb_bn__call {
	struct sb_bn_rest *rest;      /* owner */
	struct sb_bn__call *next;     /* in the queue or one of the lists */
	enum sb_bn__kind kind;        /* which parser and callback */
	enum sb_bn_order_shape shape; /* SB_BN__K_ORDER: the response's shape */
	struct sb_bn_rest_call req;   /* method, path, parameters, weight */
	union sb_bn__callback cb;     /* the user's callback; unused for SB_BN__K_SYNC */
	void *user;                   /* its argument */
	unsigned n429;                /* 429 answers so far */
	bool resent;                  /* already sent again after a -1021 */
	bool gate_counted;            /* counted once in stats.gate_waits */
	int64_t sent_us;              /* wall clock when the last attempt started, for the offset */
	struct sb_bn_rest_result res; /* what the caller will be told */
};

/* A zeroed call of kind k for user, owned by the caller until sb_bn__call_start. */
struct sb_bn__call *sb_bn__call_new(struct sb_bn_rest *r, enum sb_bn__kind k, void *user);

/* Submits c once its builder has returned build_err; on any error c is freed and the error returned. */
sb_err sb_bn__call_start(struct sb_bn_rest *r, struct sb_bn__call *c, sb_err build_err);

#endif

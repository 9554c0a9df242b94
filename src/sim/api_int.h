/*
 * api_int.h - the API methods behind the table in api.c, grouped by the file that implements them.
 */
#ifndef SIM_API_INT_H
#define SIM_API_INT_H

#include "sim/api.h"

/* api_market.c: public market data. */
void sim_api_ping(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_time(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_exchange_info(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_depth(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_trades(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_agg_trades(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_klines(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_avg_price(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_ticker_24hr(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_ticker_price(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_book_ticker(struct sim_api_call *c, struct sim_api_reply *r);

/* api_order.c: orders. */
void sim_api_order_place(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_order_test(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_order_status(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_order_cancel(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_order_cancel_replace(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_open_orders(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_cancel_open_orders(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_all_orders(struct sim_api_call *c, struct sim_api_reply *r);

/* api_account.c: the account and its history. */
void sim_api_my_trades(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_my_prevented_matches(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_account(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_account_commission(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_rate_limit_order(struct sim_api_call *c, struct sim_api_reply *r);

/* api_userstream.c: the legacy listenKey endpoints. */
void sim_api_listenkey_create(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_listenkey_keepalive(struct sim_api_call *c, struct sim_api_reply *r);
void sim_api_listenkey_close(struct sim_api_call *c, struct sim_api_reply *r);

#endif

/*
 * api_render.h - Binance's response shapes for spotsim's orders (binance-spot-api.md §4, §6): an order
 * as a query and the lists show it, as order.place answers in ACK, RESULT or FULL form, as a cancel
 * answers, and one half's error inside a cancel-replace. Each appends one JSON object to a buffer.
 */
#ifndef SIM_API_RENDER_H
#define SIM_API_RENDER_H

#include "common/buf.h"
#include "sim/api.h"

/* GET /api/v3/order and the order lists. */
void sim_api_render_query(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o);

/* POST /api/v3/order in resp_type form (ACK, RESULT or FULL); FULL's fills and prevented matches are
 * o's in res. */
void sim_api_render_placed(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o,
                           const char *resp_type, const struct sim_book_result *res);

/* DELETE /api/v3/order, with cancel_id as the cancel's clientOrderId. */
void sim_api_render_canceled(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o,
                             const char *cancel_id);

/* {"code":...,"msg":...}: one half's error inside a cancel-replace failure. */
void sim_api_render_error(struct sb_buf *b, const struct sim_api_reply *e);

/* takerPreventedQuantity and makerPreventedQuantity of a prevented match, each when non-zero. */
void sim_api_render_prevented_qty(struct sb_buf *b, const struct sim_book_prevented *pm);

/* Hands b's document to r as the 200 result (b is emptied), or answers -1000 when b overflowed. */
void sim_api_reply_buf(struct sim_api_reply *r, struct sb_buf *b);

#endif

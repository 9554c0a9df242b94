/*
 * exchange_binance.h - Binance behind the exchange table (exchange.h): the REST client for requests, the
 * WebSocket API's user data stream for the account's events and the market streams for prices, all on
 * the program's libuv loop.
 *
 * The REST client starts at creation; the streams start with sb_exchange_streams_start, once the owner
 * knows which symbols it trades. A measured server-time offset is handed to the user stream, which signs
 * its subscription with it.
 */
#ifndef SPOTBOT_EXCHANGE_BINANCE_H
#define SPOTBOT_EXCHANGE_BINANCE_H

#include <uv.h>

#include "spotbot/binance_rest.h"
#include "spotbot/binance_streams.h"
#include "spotbot/exchange.h"
#include "spotbot/ws_client.h"

/* Options of sb_exchange_binance_new: those of each client. */
struct sb_exchange_binance_opts {
	struct sb_bn_rest_opts rest;            /* the REST client */
	struct sb_bn_user_stream_opts user;     /* the user data stream (its signer is borrowed) */
	struct sb_bn_market_stream_opts market; /* the market streams */
};

/*
 * Creates the exchange on loop; the streams will use ws (borrowed; freed after the exchange). opts and ev
 * are copied (opts' strings need not outlive the call; the user stream's signer must outlive the
 * exchange). *out is owned by the caller, released with sb_exchange_free. Errors: SB_ERR_INVALID (a NULL
 * argument), errors of sb_bn_rest_new.
 */
sb_err sb_exchange_binance_new(uv_loop_t *loop, struct sb_ws_ctx *ws,
                               const struct sb_exchange_binance_opts *opts,
                               const struct sb_exchange_events *ev, struct sb_exchange **out);

#endif

/*
 * wsapi_order.h - order.place over the WebSocket API, its pure pieces (user_stream_order.c): the
 * request, built from the very parameters POST /api/v3/order sends (rest_build.c), so both paths place
 * the same order; and what its answer comes to, told in the REST client's terms (struct
 * sb_bn_rest_result, struct sb_bn_order), so a caller cannot tell which path an order took. The user
 * data stream (user_stream.c) sends and matches them; the tests check them without a connection. Not for
 * use outside src/exchange/.
 */
#ifndef SPOTBOT_EXCHANGE_WSAPI_ORDER_H
#define SPOTBOT_EXCHANGE_WSAPI_ORDER_H

#include <stdint.h>

#include "exchange/codec_doc.h"
#include "spotbot/binance_rest.h"

/* How a request is authenticated. */
struct sb_bn_ws_order_auth {
	struct sb_signer *signer; /* signs apiKey and every parameter; NULL: the session is logged on */
	const char *api_key;      /* sent with a signer; never logged */
	int64_t timestamp_ms;     /* server time of the request */
	int64_t recv_window_ms;   /* 0: not sent */
};

/*
 * Writes {"id":id,"method":"order.place","params":{...}} for o into out (cap bytes, NUL-terminated;
 * *outlen its length, may be NULL): the REST order's parameters as strings, then apiKey (with a
 * signer), recvWindow, timestamp and the signature. Errors of sb_bn_rest_build_order_place (a bad order),
 * SB_ERR_TOO_LONG, errors of sb_bn_ws_request_build.
 */
sb_err sb_bn_ws_order_request(const struct sb_bn_ws_order_auth *auth, int64_t id,
                              const struct sb_bn_new_order *o, char *out, size_t cap, size_t *outlen);

/*
 * What an order.place answer r comes to, as the REST client would report the same HTTP answer: res is
 * filled (sent, one attempt, the status, Binance's error) and its err returned. SB_OK with *order parsed
 * in the given shape (owned by the caller: sb_bn_order_fini); a refusal classed by sb_bn_api_error_class
 * (a 5xx, -1006 or -1007 is SB_ERR_UNKNOWN_OUTCOME); an accepted order whose result cannot be read is
 * SB_ERR_UNKNOWN_OUTCOME too, since it exists.
 */
sb_err sb_bn_ws_order_answer(const struct sb_bn_ws_response *r, enum sb_bn_order_shape shape,
                             struct sb_bn_rest_result *res, struct sb_bn_order *order);

/* The REQUEST_WEIGHT used this minute that a response's rateLimits report; -1 when they do not. */
int64_t sb_bn_ws_used_weight(const struct sb_bn_ws_response *r);

#endif

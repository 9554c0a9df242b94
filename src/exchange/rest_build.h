/*
 * rest_build.h - the REST client's pure pieces (rest_build.c): the endpoint builders, which turn one call
 * into its method, path, encoded parameters and weight; the signing of what is sent; the server time
 * offset; and the request-weight gate. The client (rest_api.c, rest_calls.c) runs them on the loop; the
 * tests check them without it. Not for use outside src/exchange/.
 */
#ifndef SPOTBOT_EXCHANGE_REST_BUILD_H
#define SPOTBOT_EXCHANGE_REST_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/binance_rest.h"

/* One request before signing: what the endpoint builders produce. */
struct sb_bn_rest_call {
	enum sb_http_method method;         /* GET, POST, DELETE */
	const char *path;                   /* "/api/v3/order"; static */
	char params[SB_BN_REST_PARAMS_MAX]; /* encoded parameters, no timestamp or signature yet */
	size_t params_len;                  /* bytes in params */
	bool is_signed;                     /* TRADE / USER_DATA: timestamp, recvWindow, signature */
	bool is_order;                      /* places or cancels: a lost answer is an unknown outcome */
	int64_t weight;                     /* request weight */
};

sb_err sb_bn_rest_build_time(struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_exchange_info(const char *const *symbols, size_t n, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_book_ticker(const char *symbol, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_klines(const char *symbol, const char *interval, int64_t start_ms, int64_t end_ms,
                               int64_t limit, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_account(bool omit_zero, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_commission(const char *symbol, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_order_place(const struct sb_bn_new_order *o, struct sb_bn_rest_call *c);
/* The shape of the answer o's newOrderRespType asks for (the exchange's default: FULL, ACK for
 * LIMIT_MAKER). */
enum sb_bn_order_shape sb_bn_rest_place_shape(const struct sb_bn_new_order *o);
sb_err sb_bn_rest_build_order_query(const char *symbol, int64_t order_id, const char *client_order_id,
                                    struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_order_cancel(const char *symbol, int64_t order_id, const char *client_order_id,
                                     struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_open_orders(const char *symbol, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_all_orders(const struct sb_bn_rest_filter *f, struct sb_bn_rest_call *c);
sb_err sb_bn_rest_build_my_trades(const struct sb_bn_rest_filter *f, struct sb_bn_rest_call *c);

/*
 * Writes the string that is sent for c into out (cap bytes, NUL-terminated; *len its length): its params,
 * and for a signed call "recvWindow=<recv_window_ms>&timestamp=<timestamp_ms>&signature=<sig>" appended,
 * the signature (percent-encoded) computed by signer over everything before "&signature". signer may be
 * NULL for an unsigned call. SB_ERR_TOO_LONG when it does not fit, SB_ERR_PERM for a signed call without
 * a signer, errors of sb_signer_sign.
 */
sb_err sb_bn_rest_sign(const struct sb_bn_rest_call *c, struct sb_signer *signer, uint32_t recv_window_ms,
                       int64_t timestamp_ms, char *out, size_t cap, size_t *len);

/* offset = server - midpoint(sent, received), rounded to the nearest ms. Times in us of the wall clock,
 * server time in ms. */
int64_t sb_bn_rest_offset_ms(int64_t sent_us, int64_t recv_us, int64_t server_ms);

/* The request-weight gate: what the layer knows about this minute's weight. */
struct sb_bn_weight_gate {
	int64_t limit;       /* REQUEST_WEIGHT per minute */
	unsigned margin_pct; /* share of limit the layer lets itself use */
	int64_t used;        /* X-MBX-USED-WEIGHT-1M last seen in minute */
	int64_t minute;      /* start (server ms) of the minute used belongs to */
	int64_t in_flight;   /* weight of requests sent and not answered */
};

void sb_bn_weight_gate_init(struct sb_bn_weight_gate *g, int64_t limit, unsigned margin_pct);

/* Records a response's X-MBX-USED-WEIGHT-1M (ignored when < 0) seen at server time now_ms. */
void sb_bn_weight_gate_observe(struct sb_bn_weight_gate *g, int64_t now_ms, int64_t used);

/*
 * Whether a request of weight w may go now (server time now_ms): 0 when it may, else the ms to wait for
 * the minute to roll over. A request alone in a fresh minute always may, even one heavier than the
 * budget, so nothing waits forever.
 */
int64_t sb_bn_weight_gate_wait(const struct sb_bn_weight_gate *g, int64_t now_ms, int64_t w);

#endif

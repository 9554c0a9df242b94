/*
 * codec_doc.h - the Binance codec's parsers that read a parsed JSON document (cJSON) into the typed
 * structs of binance.h: REST results and WebSocket API responses, whose "result" is read by the same
 * parsers as a REST body. The Binance client's own (the REST client, the user data stream) and its
 * tests'; what leaves the client is typed (binance.h, binance_rest.h, exchange.h), and no public header
 * names a cJSON type. The rules of binance.h hold here too.
 */
#ifndef SPOTBOT_EXCHANGE_CODEC_DOC_H
#define SPOTBOT_EXCHANGE_CODEC_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/binance.h"

struct cJSON; /* only named here, so users of this header need not include cJSON */

/* ---- user data events ----------------------------------------------------------------------------- */

/* The same from an already parsed event object or envelope; borrows nothing after it returns. */
sb_err sb_bn_user_event_from_json(const struct cJSON *obj, struct sb_bn_user_event *out, char *err,
                                  size_t errcap);

/* ---- WebSocket API responses ---------------------------------------------------------------------- */

struct sb_bn_ws_response {
	struct sb_bn_id id;                                         /* echoed request id */
	int status;                                                 /* HTTP-like status: 200, 400, 429, 5xx */
	bool ok;                                                    /* 2xx: result is set, error is not */
	struct sb_bn_api_error error;                               /* !ok: code, msg, retryAfter */
	const struct cJSON *result;                                 /* ok: borrowed from doc; any JSON type */
	size_t n_rate_limits;                                       /* entries used below */
	struct sb_bn_rate_limit rate_limits[SB_BN_RATE_LIMITS_MAX]; /* rateLimits, first ones if more */
	struct cJSON *doc;                                          /* owned parse tree; freed by _fini */
};

/*
 * Parses a WebSocket API response. A well-formed error response returns SB_OK with ok false: the
 * message was read; what it says is for the caller (see sb_bn_api_error_class). The result is left as a
 * borrowed cJSON for the sb_bn_*_from_json parsers below; release everything with _fini.
 */
sb_err sb_bn_ws_response_parse(const char *frame, size_t len, struct sb_bn_ws_response *out, char *err,
                               size_t errcap);
void sb_bn_ws_response_fini(struct sb_bn_ws_response *r);

enum sb_bn_ws_kind {
	SB_BN_WS_RESPONSE, /* a reply to one of our requests: response is set */
	SB_BN_WS_EVENT,    /* a user data event or serverShutdown: event is set */
};

/* Any text frame of a WebSocket API connection. */
struct sb_bn_ws_frame {
	enum sb_bn_ws_kind kind;           /* which of the two is set */
	struct sb_bn_ws_response response; /* SB_BN_WS_RESPONSE; owns its doc */
	struct sb_bn_user_event event;     /* SB_BN_WS_EVENT */
};

/* Tells a response ("id"/"status") from an event ("event") and parses it; release with _fini. */
sb_err sb_bn_ws_frame_parse(const char *frame, size_t len, struct sb_bn_ws_frame *out, char *err,
                            size_t errcap);
void sb_bn_ws_frame_fini(struct sb_bn_ws_frame *f);

/* ---- REST responses ------------------------------------------------------------------------------- */

/*
 * First step for every REST response: body (len bytes, at most max, which is SB_BN_MSG_MAX or
 * SB_BN_DOC_MAX) and its HTTP status. A 2xx status with a JSON body returns SB_OK and *doc, owned by the
 * caller (cJSON_Delete, or sb_bn_doc_free). Any other status fills *api (http_status always; code and msg
 * from a {"code","msg"} body when there is one, else code 0 and the body's start as msg) and returns
 * sb_bn_api_error_class(api); *doc is NULL. A 2xx body that is not JSON is SB_ERR_PARSE.
 */
sb_err sb_bn_rest_parse(const char *body, size_t len, size_t max, int http_status, struct cJSON **doc,
                        struct sb_bn_api_error *api, char *err, size_t errcap);

/* cJSON_Delete for callers that do not include cJSON; NULL is harmless. */
void sb_bn_doc_free(struct cJSON *doc);

/* GET /api/v3/time, WS API "time": {"serverTime": ms}. */
sb_err sb_bn_server_time_from_json(const struct cJSON *obj, int64_t *ms, char *err, size_t errcap);

/* Parses one order object of the given shape. Owns fills; release with sb_bn_order_fini. */
sb_err sb_bn_order_from_json(const struct cJSON *obj, enum sb_bn_order_shape shape, struct sb_bn_order *out,
                             char *err, size_t errcap);

sb_err sb_bn_order_list_from_json(const struct cJSON *arr, struct sb_bn_order_list *out, char *err,
                                  size_t errcap);

sb_err sb_bn_my_trades_from_json(const struct cJSON *arr, struct sb_bn_my_trades *out, char *err,
                                 size_t errcap);

sb_err sb_bn_account_from_json(const struct cJSON *obj, struct sb_bn_account *out, char *err, size_t errcap);

sb_err sb_bn_commission_from_json(const struct cJSON *obj, struct sb_bn_commission *out, char *err,
                                  size_t errcap);

sb_err sb_bn_book_tickers_from_json(const struct cJSON *v, struct sb_bn_book_tickers *out, char *err,
                                    size_t errcap);

sb_err sb_bn_prices_from_json(const struct cJSON *v, struct sb_bn_prices *out, char *err, size_t errcap);

sb_err sb_bn_candles_from_json(const struct cJSON *arr, struct sb_bn_candles *out, char *err, size_t errcap);

/* One symbol failing sb_rules_from_json fails the whole document, with the symbol named in err: the bot
 * asks for its own symbols, and a rule it cannot read is not one to trade under. */
sb_err sb_bn_exchange_info_from_json(const struct cJSON *obj, struct sb_bn_exchange_info *out, char *err,
                                     size_t errcap);

/* Parses a rateLimits array (REST exchangeInfo, WS API responses) into at most cap entries, silently
 * keeping the first cap. */
sb_err sb_bn_rate_limits_from_json(const struct cJSON *arr, struct sb_bn_rate_limit *out, size_t cap,
                                   size_t *n, char *err, size_t errcap);

#endif

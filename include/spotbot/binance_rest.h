/*
 * binance_rest.h - the Binance REST client on the program's libuv loop: signed requests, server time,
 * request weight, and typed results for every endpoint the bot uses.
 *
 * One sb_bn_rest owns one sb_http (keep-alive connections on libwebsockets' HTTP client) and one signer.
 * Every call is asynchronous and ends in exactly one typed callback; nothing above this layer sees JSON. The
 * callback gets a struct sb_bn_rest_result (what happened) and, on success, the parsed result.
 *
 * What the layer does on its own, so callers do not have to:
 *  - Signing: parameters are built with the query builder (exactly the bytes that are sent are signed),
 *    then recvWindow, timestamp (local wall clock + measured server-time offset) and signature are
 *    appended. GET carries them in the query string, POST/PUT/DELETE in the form body. The API key goes in
 *    X-MBX-APIKEY. The key and an HMAC secret are registered with sb_log_add_secret, so no log line can
 *    show them.
 *  - Server time: sb_bn_rest_sync_time measures offset = serverTime - midpoint of the request. A signed
 *    request answered -1021 (timestamp outside recvWindow) triggers one automatic re-measurement and is
 *    then sent again, once, with a fresh timestamp (a -1021 is rejected before execution, so this is safe
 *    for orders too).
 *  - Request weight: X-MBX-USED-WEIGHT-1M of every response is tracked. A request that would take the
 *    minute's weight (used + in flight + its own) past margin_pct of weight_limit waits in a FIFO queue
 *    until the server's minute rolls over; it is never dropped.
 *  - 429: every request pauses for Retry-After seconds (WARN log); the request that got the 429 was not
 *    executed, so it is queued again (at most max_429_retries times, then it fails SB_ERR_RATE_LIMIT).
 *  - 418 (IP ban, 2 minutes to 3 days): ERROR log; the request and everything queued fail with
 *    SB_ERR_RATE_LIMIT, and until the ban ends new calls fail fast, returning SB_ERR_RATE_LIMIT. Queueing
 *    through a ban of hours would fire stale orders into a market that has moved; the caller decides.
 *
 * Errors (struct sb_bn_rest_result.err):
 *  SB_OK                  the typed result is set.
 *  SB_ERR_EXCHANGE        Binance rejected the request (api holds code, msg and HTTP status).
 *  SB_ERR_UNKNOWN_OUTCOME order placement or cancel only: a timeout or connection error after the request
 *                         was sent, a 5xx, -1006 or -1007. The order may exist: settle it by querying
 *                         its clientOrderId. Never retried here.
 *  SB_ERR_RATE_LIMIT      418 ban, or 429 retries exhausted.
 *  SB_ERR_NETWORK         the request never reached the server (safe to retry), or a read-only request
 *                         got a 5xx (also safe to retry).
 *  SB_ERR_TIMEOUT         a read-only request timed out after it was sent (safe to retry).
 *  SB_ERR_PARSE, SB_ERR_TOO_LONG  the answer could not be read (detail says why).
 *  SB_ERR_SHUTDOWN        the client was freed first.
 */
#ifndef SPOTBOT_BINANCE_REST_H
#define SPOTBOT_BINANCE_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "spotbot/binance.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/http_client.h"
#include "spotbot/rules.h"

#define SB_BN_REST_RECV_WINDOW_DEFAULT 5000u  /* ms, Binance's default */
#define SB_BN_REST_RECV_WINDOW_MAX     60000u /* ms, Binance's maximum */
#define SB_BN_REST_WEIGHT_LIMIT        6000   /* REQUEST_WEIGHT per minute when none is configured */
#define SB_BN_REST_MARGIN_PCT          90u    /* share of the limit the layer lets itself use */
#define SB_BN_REST_429_RETRIES         5u     /* times one request is queued again after a 429 */
#define SB_BN_REST_PARAMS_MAX          2048   /* bytes of one request's parameters, signed and all */
#define SB_BN_REST_URL_MAX             4096   /* bytes of base URL + path + query */
#define SB_BN_REST_NONE                (-1)   /* an optional id or time that is not sent */
#define SB_BN_REST_CLIENT_ID_LEN       36     /* longest newClientOrderId Binance accepts */
#define SB_BN_REST_SYMBOLS_MAX         100    /* symbols in one exchangeInfo or ticker request */

struct sb_bn_rest; /* opaque */
struct sb_signer;  /* sign.h */

struct sb_bn_rest_opts {
	const char *base_url;    /* "https://api.binance.com" or "http://127.0.0.1:PORT"; no '/' at end */
	const char *api_key;     /* X-MBX-APIKEY; NULL: public endpoints only */
	const char *hmac_secret; /* HMAC-SHA256 secret; or */
	const char *ed25519_key_file; /* PKCS#8 PEM of an Ed25519 key (wins over hmac_secret) */
	uint32_t recv_window_ms;      /* 0: SB_BN_REST_RECV_WINDOW_DEFAULT; at most _MAX */
	const char *ca_file;          /* PEM CA bundle; NULL: the system store */
	bool insecure;                /* skip TLS verification: tests with self-signed servers only */
	uint32_t timeout_ms;          /* whole-request timeout; 0: SB_HTTP_TIMEOUT_DEFAULT */
	int64_t weight_limit;         /* REQUEST_WEIGHT per minute; 0: SB_BN_REST_WEIGHT_LIMIT */
	unsigned margin_pct;          /* 1..100 of weight_limit; 0: SB_BN_REST_MARGIN_PCT */
	unsigned max_429_retries;     /* 0: SB_BN_REST_429_RETRIES */
	/* Told every answered HTTP request (retries included): its path ("/api/v3/order"), its latency and
	 * status, for a latency histogram. NULL: none. */
	void (*observe)(void *user, const char *path, uint64_t latency_us, long http_status);
	void *observe_user; /* its argument */
};

/* What a call came to. Borrowed by the callback; copy what must outlive it. */
struct sb_bn_rest_result {
	sb_err err; /* see the list at the top of this file */
	struct sb_bn_api_error
	    api;              /* SB_ERR_EXCHANGE/_UNKNOWN_OUTCOME/_RATE_LIMIT from a response: code, msg */
	long http_status;     /* status of the last response; 0 when none arrived */
	sb_err transport_err; /* the HTTP client's error for the last attempt; SB_OK when answered */
	bool sent;            /* the last attempt's bytes reached the wire */
	unsigned attempts;    /* HTTP requests made for this call (429 retries, -1021 resend) */
	uint64_t latency_us;  /* latency of the last attempt */
	char detail[SB_BN_TEXT_MAX]; /* transport or parse error text; "" on success */
};

/*
 * Typed callbacks. The result pointer is NULL unless res->err is SB_OK. It is owned by the layer and
 * released when the callback returns; a callback that wants to keep it copies the struct and zeroes the
 * original (the layer then releases an empty one). Callbacks may call anything here, sb_bn_rest_free too.
 */
typedef void (*sb_bn_rest_time_cb)(void *user, const struct sb_bn_rest_result *res, int64_t server_time_ms);
typedef void (*sb_bn_rest_info_cb)(void *user, const struct sb_bn_rest_result *res,
                                   struct sb_bn_exchange_info *info);
typedef void (*sb_bn_rest_tickers_cb)(void *user, const struct sb_bn_rest_result *res,
                                      struct sb_bn_book_tickers *tickers);
typedef void (*sb_bn_rest_candles_cb)(void *user, const struct sb_bn_rest_result *res,
                                      struct sb_bn_candles *candles);
typedef void (*sb_bn_rest_account_cb)(void *user, const struct sb_bn_rest_result *res,
                                      struct sb_bn_account *account);
typedef void (*sb_bn_rest_commission_cb)(void *user, const struct sb_bn_rest_result *res,
                                         struct sb_bn_commission *commission);
typedef void (*sb_bn_rest_order_cb)(void *user, const struct sb_bn_rest_result *res,
                                    struct sb_bn_order *order);
typedef void (*sb_bn_rest_orders_cb)(void *user, const struct sb_bn_rest_result *res,
                                     struct sb_bn_order_list *orders);
typedef void (*sb_bn_rest_trades_cb)(void *user, const struct sb_bn_rest_result *res,
                                     struct sb_bn_my_trades *trades);

/* newOrderRespType. FULL is the zero value because the order manager wants the fills. */
enum sb_bn_resp_type {
	SB_BN_RESP_FULL,    /* ids, status, quantities and fills[] */
	SB_BN_RESP_RESULT,  /* ids, status, quantities */
	SB_BN_RESP_ACK,     /* ids only */
	SB_BN_RESP_DEFAULT, /* not sent: the exchange's default (FULL for LIMIT/MARKET, ACK otherwise) */
};

/* POST /api/v3/order. LIMIT: quantity, price, tif. MARKET: quantity or quote_order_qty (exactly one).
 * LIMIT_MAKER: quantity, price. Amounts are sent as Binance writes them, trailing zeros trimmed. */
struct sb_bn_new_order {
	const char *symbol;             /* "BTCUSDT" */
	enum sb_side side;              /* BUY or SELL */
	enum sb_order_type type;        /* LIMIT, MARKET or LIMIT_MAKER */
	enum sb_tif tif;                /* LIMIT only; GTC is the zero value */
	sb_dec quantity;                /* base quantity; 0: not sent */
	sb_dec quote_order_qty;         /* MARKET only: quote to spend or receive; 0: not sent */
	sb_dec price;                   /* LIMIT and LIMIT_MAKER */
	const char *client_order_id;    /* newClientOrderId (<= 36 characters); NULL: exchange-generated */
	enum sb_bn_resp_type resp_type; /* newOrderRespType */
	enum sb_stp_mode stp_mode;      /* selfTradePreventionMode; SB_STP_DEFAULT: not sent */
};

/* GET /api/v3/allOrders and GET /api/v3/myTrades filters; start from sb_bn_rest_filter_init. */
struct sb_bn_rest_filter {
	const char *symbol; /* required */
	int64_t order_id;   /* allOrders: orders with id >= it; myTrades: this order's trades; -1: none */
	int64_t from_id;    /* myTrades: trades with id >= it; -1: none */
	int64_t start_time; /* ms; -1: none */
	int64_t end_time;   /* ms; -1: none (start..end spans at most 24 h) */
	int64_t limit;      /* rows, 1..1000; -1: the exchange's default (500) */
};

/* Sets symbol and every optional field to SB_BN_REST_NONE. */
void sb_bn_rest_filter_init(struct sb_bn_rest_filter *f, const char *symbol);

/* Counters for metrics. */
struct sb_bn_rest_stats {
	uint64_t calls;                 /* calls accepted */
	uint64_t requests;              /* HTTP requests sent, retries included */
	uint64_t completed;             /* callbacks run */
	uint64_t by_err[SB_ERR__COUNT]; /* completed calls by result: by_err[SB_OK], by_err[SB_ERR_EXCHANGE],
	                                   ... */
	uint64_t n_429;                 /* 429 responses */
	uint64_t n_418;                 /* 418 responses */
	uint64_t resyncs;               /* automatic time re-measurements after -1021 */
	uint64_t gate_waits;            /* times the weight gate held a request back */
	int64_t used_weight;            /* X-MBX-USED-WEIGHT-1M of this minute as last seen */
	int64_t in_flight_weight;       /* weight of requests sent and not yet answered */
	int64_t time_offset_ms;         /* serverTime - local wall clock */
	uint64_t last_latency_us;       /* latency of the last answered request */
	size_t queued;                  /* calls waiting in the queue */
	size_t in_flight;               /* HTTP requests in flight */
	bool paused;                    /* a 429 pause is in force */
	bool banned;                    /* a 418 ban is in force */
};

/*
 * Creates a client on loop. opts is copied (its strings need not outlive the call). The HMAC secret is
 * not kept: the signer holds it. *out is owned by the caller, released with sb_bn_rest_free.
 * SB_ERR_INVALID (no loop, out, opts or base_url; recv_window or margin out of range), SB_ERR_IO / _PARSE /
 * _UNSUPPORTED from reading the Ed25519 key file, SB_ERR_IO when the HTTP client cannot start.
 */
sb_err sb_bn_rest_new(uv_loop_t *loop, const struct sb_bn_rest_opts *opts, struct sb_bn_rest **out);

/*
 * Ends every call (queued, waiting for a resync or in flight) with SB_ERR_SHUTDOWN, closes connections and
 * timers; memory is released once the loop has run the close callbacks. NULL is harmless; so is calling
 * it from inside one of the client's callbacks.
 */
void sb_bn_rest_free(struct sb_bn_rest *r);

void sb_bn_rest_stats(const struct sb_bn_rest *r, struct sb_bn_rest_stats *out);

/* Counts a REQUEST_WEIGHT of this minute reported elsewhere (a WebSocket API answer's rateLimits: the same
 * per-IP count as X-MBX-USED-WEIGHT-1M) in the weight the client gates on and reports; < 0 is ignored. */
void sb_bn_rest_observe_weight(struct sb_bn_rest *r, int64_t used);

/* Server-time offset in use, ms (timestamp = wall clock + offset). */
int64_t sb_bn_rest_time_offset(const struct sb_bn_rest *r);

/*
 * The calls. Each returns SB_OK when accepted: cb then runs exactly once, later, never inside the call.
 * Any other return means cb will not run: SB_ERR_INVALID (bad arguments), SB_ERR_TOO_LONG (parameters
 * over SB_BN_REST_PARAMS_MAX), SB_ERR_PERM (a signed call without API key or signer), SB_ERR_RATE_LIMIT
 * (418 ban in force), SB_ERR_SHUTDOWN (being freed), SB_ERR_UNSUPPORTED (an order type other than LIMIT,
 * MARKET, LIMIT_MAKER).
 */

/* GET /api/v3/time; sets the time offset from the answer (also what -1021 triggers). */
sb_err sb_bn_rest_sync_time(struct sb_bn_rest *r, sb_bn_rest_time_cb cb, void *user);

/* GET /api/v3/exchangeInfo for n symbols (n == 0: all symbols). */
sb_err sb_bn_rest_exchange_info(struct sb_bn_rest *r, const char *const *symbols, size_t n,
                                sb_bn_rest_info_cb cb, void *user);

/* GET /api/v3/ticker/bookTicker for one symbol, or all (symbol NULL). */
sb_err sb_bn_rest_book_ticker(struct sb_bn_rest *r, const char *symbol, sb_bn_rest_tickers_cb cb, void *user);

/* GET /api/v3/klines; start/end ms or -1, limit 1..1000 or -1. */
sb_err sb_bn_rest_klines(struct sb_bn_rest *r, const char *symbol, const char *interval, int64_t start_ms,
                         int64_t end_ms, int64_t limit, sb_bn_rest_candles_cb cb, void *user);

/* GET /api/v3/account (omitZeroBalances when omit_zero). */
sb_err sb_bn_rest_account(struct sb_bn_rest *r, bool omit_zero, sb_bn_rest_account_cb cb, void *user);

/* GET /api/v3/account/commission */
sb_err sb_bn_rest_commission(struct sb_bn_rest *r, const char *symbol, sb_bn_rest_commission_cb cb,
                             void *user);

/* POST /api/v3/order. The result's shape follows o->resp_type. */
sb_err sb_bn_rest_order_place(struct sb_bn_rest *r, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                              void *user);

/* GET /api/v3/order by client_order_id (origClientOrderId) or, when it is NULL, order_id. -2013 (order
 * does not exist) is SB_ERR_EXCHANGE with api.code -2013. */
sb_err sb_bn_rest_order_query(struct sb_bn_rest *r, const char *symbol, int64_t order_id,
                              const char *client_order_id, sb_bn_rest_order_cb cb, void *user);

/* DELETE /api/v3/order by client_order_id or, when it is NULL, order_id. */
sb_err sb_bn_rest_order_cancel(struct sb_bn_rest *r, const char *symbol, int64_t order_id,
                               const char *client_order_id, sb_bn_rest_order_cb cb, void *user);

/* GET /api/v3/openOrders for one symbol, or all (symbol NULL; weight 80). */
sb_err sb_bn_rest_open_orders(struct sb_bn_rest *r, const char *symbol, sb_bn_rest_orders_cb cb, void *user);

/* GET /api/v3/allOrders */
sb_err sb_bn_rest_all_orders(struct sb_bn_rest *r, const struct sb_bn_rest_filter *f, sb_bn_rest_orders_cb cb,
                             void *user);

/* GET /api/v3/myTrades */
sb_err sb_bn_rest_my_trades(struct sb_bn_rest *r, const struct sb_bn_rest_filter *f, sb_bn_rest_trades_cb cb,
                            void *user);

/*
 * The checks sb_bn_rest_order_place makes of an order before anything is sent: SB_OK, SB_ERR_INVALID
 * (no symbol, a side, type, time in force, response type or self-trade prevention mode out of range, an
 * empty or too long client order id, a negative amount, or amounts the type does not take) or
 * SB_ERR_UNSUPPORTED (an order type the client does not send). For an exchange in the process, which
 * refuses what the client would.
 */
sb_err sb_bn_rest_order_check(const struct sb_bn_new_order *o);

#endif

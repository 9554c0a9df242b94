/*
 * binance.h - typed Binance messages: everything spotbot receives from Binance, parsed into C structs.
 *
 * This is the message layer of the Binance client. The transports (REST over libwebsockets' HTTP client,
 * market streams and the WebSocket API over libwebsockets) hand it bytes; it hands back typed results, so
 * nothing above this layer ever looks at raw JSON. Four families of input:
 *  - market stream frames (bookTicker, trade, aggTrade, kline, 24hrMiniTicker, control replies, errors,
 *    serverShutdown), raw or in the combined {"stream","data"} envelope: sb_bn_market_parse();
 *  - user data events (executionReport, outboundAccountPosition, ...), in the WebSocket API envelope
 *    {"subscriptionId","event"} or bare as on the legacy listenKey stream: sb_bn_user_event_parse();
 *  - WebSocket API responses {"id","status","result"|"error","rateLimits"} and REST responses, read
 *    through a parsed JSON document by the Binance client's own parsers (src/exchange/codec_doc.h);
 *    two whole REST answers a caller outside the client reads itself have text-level parsers here:
 *    sb_bn_server_time_parse() and sb_bn_account_parse().
 * The two hot messages, a bookTicker and an executionReport, are read from the frame's tokens without
 * building a JSON tree and allocate nothing (src/exchange/codec_fast.c); any frame that path cannot read
 * exactly goes through the tree, so the rules below hold for both, errors included.
 *
 * Rules every parser follows:
 *  - Keys are matched case-sensitively (Binance uses "i" and "I", "c" and "C", "x" and "X", ...).
 *  - Prices, quantities and commissions are JSON strings parsed into sb_dec, never through double.
 *    Ids and millisecond timestamps are JSON integers, exact below 2^53; anything else is an error.
 *  - Unknown extra fields are ignored (Binance adds fields over time); a missing required field, a wrong
 *    type, a null where none is allowed or an unknown enum value is an error. The error buffer then holds
 *    a short reason naming the message and field, e.g. `executionReport: field "z": not a decimal string`
 *    (err may be NULL; it is always NUL-terminated when errcap > 0, and "" on success).
 *  - Input is {ptr,len}, need not be NUL-terminated and is never modified. More than SB_BN_MSG_MAX bytes
 *    is SB_ERR_TOO_LONG (SB_BN_DOC_MAX for exchangeInfo). Malformed JSON or trailing garbage is
 *    SB_ERR_PARSE.
 *  - Arrays in results are heap arrays owned by the result and released by its _fini (safe on a zeroed or
 *    already finished struct). Their length is capped by the SB_BN_*_MAX constants; longer is
 *    SB_ERR_TOO_LONG. Event structs are fixed-size and own nothing.
 *  - On error the output is left zeroed (and owns nothing), except where a function says otherwise.
 */
#ifndef SPOTBOT_BINANCE_H
#define SPOTBOT_BINANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/orders.h"
#include "spotbot/profit.h"
#include "spotbot/rules.h"

#define SB_BN_MSG_MAX            (1024u * 1024u)  /* largest message or REST body accepted, bytes */
#define SB_BN_DOC_MAX            SB_RULES_DOC_MAX /* largest exchangeInfo document accepted, bytes */
#define SB_BN_CLIENT_ID_MAX      64               /* clientOrderId with NUL; Binance allows 36 characters */
#define SB_BN_ID_STR_MAX         64               /* a string request id with NUL; Binance allows 36 */
#define SB_BN_STREAM_MAX         128              /* a combined stream's name with NUL */
#define SB_BN_TEXT_MAX           256              /* an error message with NUL; longer ones are truncated */
#define SB_BN_NAME_MAX           48               /* a short enum-like string kept as text (STP mode, eR) */
#define SB_BN_INTERVAL_MAX       8                /* a kline interval ("1m", "1M") with NUL */
#define SB_BN_RATE_LIMITS_MAX    16               /* rateLimits entries kept per message */
#define SB_BN_EVENT_BALANCES_MAX 64               /* assets in one outboundAccountPosition */
#define SB_BN_FILLS_MAX          10000            /* fills[] of one order response */
#define SB_BN_ROWS_MAX           10000            /* rows of a list result: orders, trades, klines, tickers */
#define SB_BN_BALANCES_MAX       10000            /* balances of an account */
#define SB_BN_SYMBOLS_MAX        20000            /* symbols of an exchangeInfo document */

/* ---- enums ----------------------------------------------------------------------------------------- */

/* Execution type, executionReport "x": what this report is about. */
enum sb_bn_exec_type {
	SB_BN_EXEC_NEW,
	SB_BN_EXEC_CANCELED,
	SB_BN_EXEC_REPLACED,
	SB_BN_EXEC_REJECTED,
	SB_BN_EXEC_TRADE,
	SB_BN_EXEC_EXPIRED,
	SB_BN_EXEC_TRADE_PREVENTION,
};

/* Reject reason, executionReport "r". */
enum sb_bn_reject_reason {
	SB_BN_REJECT_NONE,
	SB_BN_REJECT_INSUFFICIENT_BALANCES,
	SB_BN_REJECT_STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY,
	SB_BN_REJECT_WOULD_MATCH_IMMEDIATELY,
	SB_BN_REJECT_OCO_BAD_PRICES,
};

/* rateLimitType. Rate limits are advisory, so a kind this build does not know is kept as OTHER rather than
 * failing the response it rides on (an order response must never become unreadable because of it). */
enum sb_bn_limit_type {
	SB_BN_LIMIT_REQUEST_WEIGHT,
	SB_BN_LIMIT_ORDERS,
	SB_BN_LIMIT_RAW_REQUESTS,
	SB_BN_LIMIT_OTHER,
};

/* rateLimits "interval"; unknown values are OTHER for the same reason. */
enum sb_bn_limit_interval {
	SB_BN_INTERVAL_SECOND,
	SB_BN_INTERVAL_MINUTE,
	SB_BN_INTERVAL_HOUR,
	SB_BN_INTERVAL_DAY,
	SB_BN_INTERVAL_OTHER,
};

/* Binance's spelling of each value ("TRADE", "INSUFFICIENT_BALANCES", ...); "UNKNOWN" out of range. Order
 * status, time in force, side and type are core's vocabulary (orders.h, rules.h): sb_order_state_name,
 * sb_tif_name, sb_side_name, sb_order_type_name and their parsers. */
const char *sb_bn_exec_type_name(enum sb_bn_exec_type v);
const char *sb_bn_reject_reason_name(enum sb_bn_reject_reason v);

/* Binance's name (exactly len bytes) to the enum; SB_ERR_NOT_FOUND for anything else. */
sb_err sb_bn_exec_type_parse(const char *s, size_t len, enum sb_bn_exec_type *out);
sb_err sb_bn_reject_reason_parse(const char *s, size_t len, enum sb_bn_reject_reason *out);

/* ---- shared pieces --------------------------------------------------------------------------------- */

/* A request id echoed by the server: an integer, a string or null. */
enum sb_bn_id_kind {
	SB_BN_ID_NULL, /* null or absent */
	SB_BN_ID_NUM,  /* integer, in num */
	SB_BN_ID_STR,  /* string, in str */
};

struct sb_bn_id {
	enum sb_bn_id_kind kind;    /* which of the two below is set */
	int64_t num;                /* integer id, |num| < 2^53 */
	char str[SB_BN_ID_STR_MAX]; /* string id */
};

/* One rateLimits entry. */
struct sb_bn_rate_limit {
	enum sb_bn_limit_type type;         /* rateLimitType */
	enum sb_bn_limit_interval interval; /* interval */
	int64_t interval_num;               /* intervalNum: the window is interval_num intervals */
	int64_t limit;                      /* limit in the window */
	int64_t count;                      /* count used so far; -1 when absent (exchangeInfo) */
};

/* An error reported by Binance, from a REST error body or a WebSocket API "error" object. */
struct sb_bn_api_error {
	int http_status;          /* HTTP status or WebSocket API "status"; 0 when unknown */
	int64_t code;             /* Binance error code (-2010, ...); 0 when the body had none */
	char msg[SB_BN_TEXT_MAX]; /* Binance's message, truncated to fit; "" when none */
	int64_t retry_after_ms;   /* error.data.retryAfter (epoch ms) on 418/429; -1 when absent */
};

/*
 * What an API error means for the caller: SB_ERR_UNKNOWN_OUTCOME for a 5xx status or codes -1006/-1007
 * (the request may have executed: query before retrying), SB_ERR_RATE_LIMIT for 418/429 or code -1003,
 * SB_ERR_EXCHANGE for any other rejection.
 */
sb_err sb_bn_api_error_class(const struct sb_bn_api_error *e);

/* ---- market stream frames ------------------------------------------------------------------------- */

/* <symbol>@bookTicker, and one REST ticker/bookTicker entry (update_id -1 there). */
struct sb_bn_book_ticker {
	int64_t update_id;          /* u: order book update id; -1 from REST */
	char symbol[SB_SYMBOL_MAX]; /* s */
	sb_dec bid_price;           /* b */
	sb_dec bid_qty;             /* B */
	sb_dec ask_price;           /* a */
	sb_dec ask_qty;             /* A */
};

/* <symbol>@trade */
struct sb_bn_trade {
	int64_t event_time;         /* E, ms */
	char symbol[SB_SYMBOL_MAX]; /* s */
	int64_t trade_id;           /* t */
	sb_dec price;               /* p */
	sb_dec qty;                 /* q */
	int64_t trade_time;         /* T, ms */
	bool buyer_maker;           /* m: the buyer was the maker (the trade was a sell into the bid) */
};

/* <symbol>@aggTrade */
struct sb_bn_agg_trade {
	int64_t event_time;         /* E, ms */
	char symbol[SB_SYMBOL_MAX]; /* s */
	int64_t agg_id;             /* a */
	sb_dec price;               /* p */
	sb_dec qty;                 /* q */
	int64_t first_trade_id;     /* f */
	int64_t last_trade_id;      /* l */
	int64_t trade_time;         /* T, ms */
	bool buyer_maker;           /* m */
};

/* One candle: a REST klines row, or the "k" object of a kline event. */
struct sb_bn_candle {
	int64_t open_time;      /* t / row[0], ms */
	int64_t close_time;     /* T / row[6], ms */
	sb_dec open;            /* o / row[1] */
	sb_dec high;            /* h / row[2] */
	sb_dec low;             /* l / row[3] */
	sb_dec close;           /* c / row[4] */
	sb_dec volume;          /* v / row[5]: base volume */
	sb_dec quote_volume;    /* q / row[7] */
	int64_t trades;         /* n / row[8]: number of trades */
	sb_dec taker_buy_base;  /* V / row[9] */
	sb_dec taker_buy_quote; /* Q / row[10] */
};

/* <symbol>@kline_<interval> */
struct sb_bn_kline {
	int64_t event_time;                /* E, ms */
	char symbol[SB_SYMBOL_MAX];        /* s */
	char interval[SB_BN_INTERVAL_MAX]; /* k.i: "1m", ... */
	int64_t first_trade_id;            /* k.f; -1 when the candle has no trade */
	int64_t last_trade_id;             /* k.L; -1 when the candle has no trade */
	bool closed;                       /* k.x: this is the candle's final update */
	struct sb_bn_candle candle;        /* k.t, k.T, OHLCV */
};

/* <symbol>@miniTicker: rolling 24 h statistics. */
struct sb_bn_mini_ticker {
	int64_t event_time;         /* E, ms */
	char symbol[SB_SYMBOL_MAX]; /* s */
	sb_dec close;               /* c: last price */
	sb_dec open;                /* o */
	sb_dec high;                /* h */
	sb_dec low;                 /* l */
	sb_dec volume;              /* v: base volume */
	sb_dec quote_volume;        /* q */
};

/* What a control reply's "result" was. */
enum sb_bn_result_kind {
	SB_BN_RESULT_NULL,  /* SUBSCRIBE / UNSUBSCRIBE / SET_PROPERTY acknowledged */
	SB_BN_RESULT_TRUE,  /* GET_PROPERTY answered true */
	SB_BN_RESULT_FALSE, /* GET_PROPERTY answered false */
	SB_BN_RESULT_ARRAY, /* LIST_SUBSCRIPTIONS: result_count stream names */
	SB_BN_RESULT_OTHER, /* anything else */
};

/* Reply to SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY. */
struct sb_bn_control_reply {
	struct sb_bn_id id;          /* the request's id */
	enum sb_bn_result_kind kind; /* what the result was */
	size_t result_count;         /* elements when kind is ARRAY */
};

/* A market stream error: {"code":2,"msg":...,"id":...} or {"error":{"code","msg"},"id":...}. */
struct sb_bn_control_error {
	struct sb_bn_id id; /* the request's id, when given */
	int64_t code;       /* 0 unknown property, 1 bad value type, 2 invalid request, 3 invalid JSON */
	char msg[SB_BN_TEXT_MAX]; /* message, truncated to fit */
};

enum sb_bn_market_kind {
	SB_BN_MKT_BOOK_TICKER,
	SB_BN_MKT_TRADE,
	SB_BN_MKT_AGG_TRADE,
	SB_BN_MKT_KLINE,
	SB_BN_MKT_MINI_TICKER,
	SB_BN_MKT_CONTROL_REPLY,
	SB_BN_MKT_CONTROL_ERROR,
	SB_BN_MKT_SERVER_SHUTDOWN, /* reconnect: the server is about to close the connection */
};

struct sb_bn_market_msg {
	enum sb_bn_market_kind kind;   /* which union member is set */
	char stream[SB_BN_STREAM_MAX]; /* combined form: the "stream" name ("btcusdt@trade"); "" when raw */
	union {
		struct sb_bn_book_ticker book_ticker; /* SB_BN_MKT_BOOK_TICKER */
		struct sb_bn_trade trade;             /* SB_BN_MKT_TRADE */
		struct sb_bn_agg_trade agg_trade;     /* SB_BN_MKT_AGG_TRADE */
		struct sb_bn_kline kline;             /* SB_BN_MKT_KLINE */
		struct sb_bn_mini_ticker mini_ticker; /* SB_BN_MKT_MINI_TICKER */
		struct sb_bn_control_reply reply;     /* SB_BN_MKT_CONTROL_REPLY */
		struct sb_bn_control_error error;     /* SB_BN_MKT_CONTROL_ERROR */
		int64_t shutdown_time;                /* SB_BN_MKT_SERVER_SHUTDOWN: E, ms */
	} u;
};

/*
 * Classifies one market stream text frame and parses it into *out: a raw payload, the combined
 * {"stream","data"} envelope, a control reply or error, or serverShutdown (raw or "!serverShutdown").
 * A well-formed event of a type not listed above (depthUpdate, 24hrTicker, an array) is
 * SB_ERR_UNSUPPORTED, so the caller can log and skip it. Nothing is allocated.
 */
sb_err sb_bn_market_parse(const char *frame, size_t len, struct sb_bn_market_msg *out, char *err,
                          size_t errcap);

/* ---- user data events ----------------------------------------------------------------------------- */

/* executionReport: one change of one order. */
struct sb_bn_exec_report {
	int64_t event_time;                             /* E, ms */
	char symbol[SB_SYMBOL_MAX];                     /* s */
	char client_order_id[SB_BN_CLIENT_ID_MAX];      /* c: on a cancel, the cancel request's id */
	enum sb_side side;                              /* S */
	enum sb_order_type type;                        /* o */
	enum sb_tif tif;                                /* f */
	sb_dec qty;                                     /* q: order quantity */
	sb_dec price;                                   /* p: order price */
	sb_dec stop_price;                              /* P */
	sb_dec iceberg_qty;                             /* F; 0 when absent */
	int64_t order_list_id;                          /* g: -1 unless part of an order list */
	char orig_client_order_id[SB_BN_CLIENT_ID_MAX]; /* C: the canceled order's id; "" otherwise */
	enum sb_bn_exec_type exec_type;                 /* x */
	enum sb_order_state status;                     /* X */
	enum sb_bn_reject_reason reject_reason;         /* r */
	int64_t order_id;                               /* i: key orders by this */
	sb_dec last_qty;                                /* l: quantity of this fill */
	sb_dec cum_qty;                                 /* z: cumulative filled quantity */
	sb_dec last_price;                              /* L: price of this fill */
	sb_dec commission;                              /* n: commission of this fill */
	char commission_asset[SB_ASSET_MAX];            /* N: "" when null (no fill) */
	int64_t transact_time;                          /* T, ms */
	int64_t trade_id;                               /* t: -1 unless exec_type is TRADE */
	int64_t execution_id;                           /* I */
	bool on_book;                                   /* w: the order is working on the book */
	bool maker;                                     /* m: this fill was on the maker side */
	int64_t create_time;                            /* O, ms */
	sb_dec cum_quote_qty;                           /* Z: cumulative quote quantity */
	sb_dec last_quote_qty;                          /* Y: quote quantity of this fill (L * l) */
	sb_dec quote_order_qty;                         /* Q */
	int64_t working_time;                           /* W, ms; -1 when absent (never on the book) */
	char stp_mode[SB_BN_NAME_MAX];                  /* V: self-trade prevention mode */
	int64_t prevented_match_id;                     /* v: -1 unless expired by STP */
	sb_dec prevented_qty;                           /* A: quantity expired by STP so far; 0 when absent */
	char expiry_reason[SB_BN_NAME_MAX];             /* eR; "" when absent */
};

/* One asset of outboundAccountPosition, and one balance of the account. */
struct sb_bn_balance {
	char asset[SB_ASSET_MAX]; /* a / asset */
	sb_dec free;              /* f / free: available */
	sb_dec locked;            /* l / locked: reserved by open orders */
};

/* outboundAccountPosition: the assets whose balance changed. */
struct sb_bn_account_position {
	int64_t update_time;                                     /* u, ms */
	size_t n_balances;                                       /* entries used in balances */
	struct sb_bn_balance balances[SB_BN_EVENT_BALANCES_MAX]; /* B */
};

/* balanceUpdate (deposit, withdrawal, transfer) and externalLockUpdate. */
struct sb_bn_balance_delta {
	char asset[SB_ASSET_MAX]; /* a */
	sb_dec delta;             /* d: signed change (balanceUpdate) or locked amount (externalLockUpdate) */
	int64_t clear_time;       /* T, ms */
};

enum sb_bn_user_kind {
	SB_BN_USER_EXEC_REPORT,
	SB_BN_USER_ACCOUNT_POSITION,
	SB_BN_USER_BALANCE_UPDATE,
	SB_BN_USER_EXTERNAL_LOCK,
	SB_BN_USER_STREAM_TERMINATED,  /* eventStreamTerminated: the subscription ended */
	SB_BN_USER_LISTEN_KEY_EXPIRED, /* legacy stream: the listenKey expired */
	SB_BN_USER_SERVER_SHUTDOWN,    /* the WebSocket API server is going away: reconnect */
};

struct sb_bn_user_event {
	enum sb_bn_user_kind kind; /* which union member is set */
	int64_t subscription_id;   /* envelope's subscriptionId; -1 for a bare event or none given */
	int64_t event_time;        /* E, ms */
	union {
		struct sb_bn_exec_report exec;          /* SB_BN_USER_EXEC_REPORT */
		struct sb_bn_account_position position; /* SB_BN_USER_ACCOUNT_POSITION */
		struct sb_bn_balance_delta delta;       /* SB_BN_USER_BALANCE_UPDATE / _EXTERNAL_LOCK */
		char listen_key[SB_BN_TEXT_MAX];        /* SB_BN_USER_LISTEN_KEY_EXPIRED */
	} u;
};

/*
 * Parses one user data event: {"subscriptionId":N,"event":{...}}, {"event":{...}} or a bare event.
 * Other well-formed event types (listStatus, ...) are SB_ERR_UNSUPPORTED. Nothing is allocated.
 */
sb_err sb_bn_user_event_parse(const char *frame, size_t len, struct sb_bn_user_event *out, char *err,
                              size_t errcap);

/*
 * The fill an executionReport carries, for the order manager's deduplication by trade id: price L,
 * quantity l, quote amount Y, commission n in N, trade id t. SB_ERR_INVALID unless exec_type is TRADE.
 */
sb_err sb_bn_exec_report_fill(const struct sb_bn_exec_report *r, struct sb_fill *out);

/* ---- REST responses ------------------------------------------------------------------------------- */

/*
 * A whole REST answer to GET /api/v3/time, body (len bytes) with its HTTP status: *ms is serverTime. A
 * status other than 2xx fills *api as the REST client reports it (http_status; code and msg from a
 * {"code","msg"} body, else code 0 and the body's start) and returns its class; a 2xx body that is not
 * the answer is SB_ERR_PARSE or SB_ERR_TOO_LONG, with why in err.
 */
sb_err sb_bn_server_time_parse(const char *body, size_t len, int http_status, int64_t *ms,
                               struct sb_bn_api_error *api, char *err, size_t errcap);

/* Which response an order object comes from: it decides what is required. */
enum sb_bn_order_shape {
	SB_BN_ORDER_ACK,    /* POST /api/v3/order, newOrderRespType=ACK: ids and transactTime only */
	SB_BN_ORDER_RESULT, /* POST ... RESULT: plus price, quantities, status, type, side */
	SB_BN_ORDER_FULL,   /* POST ... FULL: plus fills[] */
	SB_BN_ORDER_QUERY,  /* GET /api/v3/order, openOrders, allOrders: time, updateTime, isWorking */
	SB_BN_ORDER_CANCEL, /* DELETE /api/v3/order: origClientOrderId, transactTime */
};

/* An order as the REST API (or the WebSocket API's order.* methods) reports it. */
struct sb_bn_order {
	enum sb_bn_order_shape shape;                   /* what was parsed; decides which fields are set */
	char symbol[SB_SYMBOL_MAX];                     /* symbol */
	int64_t order_id;                               /* orderId */
	int64_t order_list_id;                          /* orderListId: -1 unless in an order list */
	char client_order_id[SB_BN_CLIENT_ID_MAX];      /* clientOrderId (the cancel's own id on CANCEL) */
	char orig_client_order_id[SB_BN_CLIENT_ID_MAX]; /* CANCEL: origClientOrderId; "" otherwise */
	int64_t transact_time;                          /* transactTime (ACK/RESULT/FULL/CANCEL); else -1 */
	/* Everything below is set for every shape but ACK. */
	sb_dec price;                       /* price (0 for MARKET) */
	sb_dec orig_qty;                    /* origQty */
	sb_dec executed_qty;                /* executedQty */
	sb_dec cum_quote_qty;               /* cummulativeQuoteQty (Binance's spelling) */
	sb_dec orig_quote_order_qty;        /* origQuoteOrderQty; 0 when absent */
	sb_dec stop_price;                  /* stopPrice; 0 when absent */
	sb_dec iceberg_qty;                 /* icebergQty; 0 when absent */
	enum sb_order_state status;         /* status */
	enum sb_tif tif;                    /* timeInForce */
	enum sb_order_type type;            /* type */
	enum sb_side side;                  /* side */
	int64_t working_time;               /* workingTime; -1 when absent */
	char stp_mode[SB_BN_NAME_MAX];      /* selfTradePreventionMode; "" when absent */
	int64_t prevented_match_id;         /* preventedMatchId: -1 unless expired by STP */
	sb_dec prevented_qty;               /* preventedQuantity: expired by STP; 0 when absent */
	char expiry_reason[SB_BN_NAME_MAX]; /* expiryReason; "" when absent */
	int64_t time;                       /* QUERY: time (creation), ms; else -1 */
	int64_t update_time;                /* QUERY: updateTime, ms; else -1 */
	bool is_working;                    /* QUERY: isWorking */
	struct sb_fill *fills;              /* FULL: fills[], owned; NULL when none */
	size_t n_fills;                     /* FULL: entries in fills */
};

void sb_bn_order_fini(struct sb_bn_order *o);

/* GET /api/v3/openOrders, GET /api/v3/allOrders: an array of QUERY-shaped orders. */
struct sb_bn_order_list {
	struct sb_bn_order *items; /* owned */
	size_t n;                  /* entries */
};
void sb_bn_order_list_fini(struct sb_bn_order_list *l);

/* One GET /api/v3/myTrades row. */
struct sb_bn_my_trade {
	char symbol[SB_SYMBOL_MAX];          /* symbol */
	int64_t id;                          /* id: the trade id */
	int64_t order_id;                    /* orderId */
	int64_t order_list_id;               /* orderListId */
	sb_dec price;                        /* price */
	sb_dec qty;                          /* qty */
	sb_dec quote_qty;                    /* quoteQty */
	sb_dec commission;                   /* commission */
	char commission_asset[SB_ASSET_MAX]; /* commissionAsset */
	int64_t time;                        /* time, ms */
	bool is_buyer;                       /* isBuyer */
	bool is_maker;                       /* isMaker */
	bool is_best_match;                  /* isBestMatch */
};

struct sb_bn_my_trades {
	struct sb_bn_my_trade *items; /* owned */
	size_t n;                     /* entries */
};
void sb_bn_my_trades_fini(struct sb_bn_my_trades *t);

/* A myTrades row as the fill the profit calculator and the order manager use. */
void sb_bn_my_trade_fill(const struct sb_bn_my_trade *t, struct sb_fill *out);

/* Commission rates as fractions (0.001 = 0.1%). */
struct sb_bn_commission_rates {
	sb_dec maker;  /* maker */
	sb_dec taker;  /* taker */
	sb_dec buyer;  /* buyer */
	sb_dec seller; /* seller */
};

/* GET /api/v3/account */
struct sb_bn_account {
	int64_t maker_commission;            /* makerCommission, basis points */
	int64_t taker_commission;            /* takerCommission, basis points */
	int64_t buyer_commission;            /* buyerCommission, basis points */
	int64_t seller_commission;           /* sellerCommission, basis points */
	struct sb_bn_commission_rates rates; /* commissionRates */
	bool can_trade;                      /* canTrade */
	bool can_withdraw;                   /* canWithdraw */
	bool can_deposit;                    /* canDeposit */
	int64_t update_time;                 /* updateTime, ms */
	char account_type[SB_BN_NAME_MAX];   /* accountType: "SPOT" */
	int64_t uid;                         /* uid; -1 when absent */
	struct sb_bn_balance *balances;      /* balances, owned */
	size_t n_balances;                   /* entries */
};
/* A whole REST answer to GET /api/v3/account, as sb_bn_server_time_parse reads one; release with
 * sb_bn_account_fini. */
sb_err sb_bn_account_parse(const char *body, size_t len, int http_status, struct sb_bn_account *out,
                           struct sb_bn_api_error *api, char *err, size_t errcap);
void sb_bn_account_fini(struct sb_bn_account *a);

/* Finds an asset's balance in the account; NULL when absent. Borrowed from a. */
const struct sb_bn_balance *sb_bn_account_balance(const struct sb_bn_account *a, const char *asset);

/* GET /api/v3/account/commission, WS API account.commission */
struct sb_bn_commission {
	char symbol[SB_SYMBOL_MAX];             /* symbol */
	struct sb_bn_commission_rates standard; /* standardCommission */
	struct sb_bn_commission_rates tax;      /* taxCommission */
	bool has_special;                       /* specialCommission was present (added 2025-08) */
	struct sb_bn_commission_rates special;  /* specialCommission; zero when absent */
	bool discount_for_account;              /* discount.enabledForAccount */
	bool discount_for_symbol;               /* discount.enabledForSymbol */
	char discount_asset[SB_ASSET_MAX];      /* discount.discountAsset: "BNB" */
	sb_dec discount;                        /* discount.discount */
};

/* GET /api/v3/ticker/bookTicker: one object or an array of them (update_id is -1). */
struct sb_bn_book_tickers {
	struct sb_bn_book_ticker *items; /* owned */
	size_t n;                        /* entries */
};
void sb_bn_book_tickers_fini(struct sb_bn_book_tickers *t);

/* GET /api/v3/ticker/price: one object or an array of them. */
struct sb_bn_price {
	char symbol[SB_SYMBOL_MAX]; /* symbol */
	sb_dec price;               /* price */
};
struct sb_bn_prices {
	struct sb_bn_price *items; /* owned */
	size_t n;                  /* entries */
};
void sb_bn_prices_fini(struct sb_bn_prices *p);

/* GET /api/v3/klines: an array of 12-element rows. */
struct sb_bn_candles {
	struct sb_bn_candle *items; /* owned, oldest first as sent */
	size_t n;                   /* entries */
};
void sb_bn_candles_fini(struct sb_bn_candles *c);

/* GET /api/v3/exchangeInfo: every symbol through sb_rules_from_json, plus the rate limits. */
struct sb_bn_exchange_info {
	int64_t server_time;                                        /* serverTime, ms */
	size_t n_rate_limits;                                       /* entries used below */
	struct sb_bn_rate_limit rate_limits[SB_BN_RATE_LIMITS_MAX]; /* rateLimits */
	struct sb_symbol_rules *symbols;                            /* owned, in document order */
	size_t n_symbols;                                           /* entries */
};

void sb_bn_exchange_info_fini(struct sb_bn_exchange_info *x);

/* Finds a symbol's rules; NULL when absent. Borrowed from x. */
const struct sb_symbol_rules *sb_bn_exchange_info_symbol(const struct sb_bn_exchange_info *x,
                                                         const char *symbol);

#endif

/*
 * binance_streams.h - Binance's two long-lived WebSocket feeds on the program's libuv loop: the market
 * streams (bookTicker per symbol, its trades and klines when asked) and the user data stream over the
 * WebSocket API.
 *
 * Both sit on sb_ws (ws_client.h), which moves whole text frames, reconnects with jittered back-off, pings
 * and drops a dead TCP connection. These layers add what Binance's protocol needs on top: subscriptions
 * (kept across reconnects and rollovers), typed events through the codec (binance.h), watchdogs that notice
 * a connection that is up but says nothing, and callbacks through which the owner backs the stream with
 * REST (a bookTicker snapshot after a gap; open orders and recent trades when user events may have been
 * missed). Nothing here calls REST itself: the owner does, in its callbacks.
 *
 * Market stream: one combined-stream connection (<base>/stream?streams=...) for a set of symbols. Symbols
 * are added and removed at run time with SUBSCRIBE / UNSUBSCRIBE control messages, paced under Binance's
 * limit of 5 incoming messages per second per connection; replies are matched by id. Before the 24-hour
 * limit (or on serverShutdown) the connection is rolled over: a second connection is opened and subscribed,
 * the old one closes once the new one has delivered, and events seen on both are deduplicated by update
 * id / trade id / event time, so the owner sees neither a gap nor a duplicate.
 *
 * User data stream: one WebSocket API connection (<base>/ws-api/v3) subscribed with
 * userDataStream.subscribe.signature (any key type, HMAC included) or, for an Ed25519 key, session.logon
 * followed by userDataStream.subscribe. Events are unwrapped and delivered in exchange order;
 * eventStreamTerminated resubscribes; every (re)subscription is followed by a "reconcile" callback because
 * events may have been missed while it was down. A silence watchdog sends a cheap request when no event
 * has come for a while, calls "reconcile" (the REST poll that backs up a quiet stream), and reconnects when
 * even the request goes unanswered.
 *
 * Everything runs on the loop thread. Callbacks may call the stream's own functions except _free; free
 * the stream from outside its callbacks. Objects are owned by the caller (_new / _free; _free(NULL) is
 * harmless) and borrow the sb_ws_ctx and signer they are given, which must outlive them.
 */
#ifndef SPOTBOT_BINANCE_STREAMS_H
#define SPOTBOT_BINANCE_STREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/binance.h"
#include "spotbot/binance_rest.h"
#include "spotbot/error.h"
#include "spotbot/sign.h"
#include "spotbot/ws_client.h"

#define SB_BN_MS_SYMBOLS_MAX       300 /* symbols per market stream (at most 3 streams each; Binance: 1024) */
#define SB_BN_MS_CTL_PER_SEC       4   /* control messages per second: Binance allows 5 incl. pongs */
#define SB_BN_MS_CTL_STREAMS_MAX   50  /* stream names per SUBSCRIBE / UNSUBSCRIBE message */
#define SB_BN_MS_CTL_INFLIGHT_MAX  16  /* control requests awaiting their reply */
#define SB_BN_MS_STALL_DEFAULT     30000                 /* ms without market data before reconnecting */
#define SB_BN_MS_ROLLOVER_DEFAULT  (23u * 3600u * 1000u) /* connection age that starts a rollover */
#define SB_BN_MS_CONFIRM_DEFAULT   10000 /* ms a silent rollover connection waits before taking over */
#define SB_BN_US_SILENCE_DEFAULT   60000 /* ms without a user event before probing and reconciling */
#define SB_BN_US_PROBE_TIMEOUT_DEF 10000 /* ms a probe request may go unanswered */
#define SB_BN_US_ORDER_TIMEOUT_DEF                                                                           \
	10000                          /* ms an order.place may go unanswered before its outcome is unknown */
#define SB_BN_US_RECV_WINDOW_MAX 60000 /* Binance's largest recvWindow */
#define SB_BN_US_REQUEST_MAX     1024  /* bytes of one signed WebSocket API request */
#define SB_BN_US_RETRY_MAX_MS    60000 /* cap of the back-off between failed subscription attempts */

/* Connectivity changes reported to the owner (metrics, alerts, the price manager's staleness). */
enum sb_bn_link {
	SB_BN_LINK_UP,      /* market: connected and subscribed; user: subscription confirmed */
	SB_BN_LINK_DOWN,    /* the connection ended (a reconnect is scheduled unless closing) */
	SB_BN_LINK_STALLED, /* the watchdog found an open connection silent; it is dropped and reconnects */
};

const char *sb_bn_link_name(enum sb_bn_link l);

/* ---- market streams -------------------------------------------------------------------------------- */

struct sb_bn_market_stream;

/* A market event delivered to the owner: exactly one of the pointers matches kind. */
struct sb_bn_market_event {
	enum sb_bn_market_kind kind;                 /* SB_BN_MKT_BOOK_TICKER, _TRADE or _KLINE */
	const struct sb_bn_book_ticker *book_ticker; /* best bid/ask with quantities and update id */
	const struct sb_bn_trade *trade;             /* price, quantity, trade time and trade id */
	const struct sb_bn_kline *kline;             /* a candle update */
	unsigned conn;                               /* connection it came on (rollover overlap: 2) */
	uint64_t
	    recv_ns; /* sb_clock_mono_ns() when its frame arrived; 0: not known (an in-process exchange) */
};

struct sb_bn_market_stream_ops {
	/* One deduplicated market event; the structs are valid during the call only. */
	void (*event)(void *user, const struct sb_bn_market_event *ev);
	/* After every (re)connection that was not a seamless rollover: refresh prices over REST
	 * (GET /api/v3/ticker/bookTicker) for these symbols (upper case, valid during the call). */
	void (*snapshot)(void *user, const char *const *symbols, size_t n, bool reconnect);
	/* Connectivity changed. */
	void (*link)(void *user, enum sb_bn_link state);
};

struct sb_bn_market_stream_opts {
	const char *base_url;     /* "wss://stream.binance.com:9443" (no path) */
	const char *ca_file;      /* wss CA bundle; NULL: the system store */
	bool insecure;            /* wss without verification: self-signed test servers only */
	uint32_t stall_ms;        /* no market data while streams are wanted; 0: SB_BN_MS_STALL_DEFAULT */
	uint32_t rollover_ms;     /* connection age that starts a rollover; 0: SB_BN_MS_ROLLOVER_DEFAULT */
	uint32_t confirm_ms;      /* rollover connection silent this long takes over anyway; 0: default */
	unsigned ctl_per_sec;     /* control messages per second; 0: SB_BN_MS_CTL_PER_SEC, at most 5 */
	uint32_t ping_ms;         /* client pings (Binance pings us; 0: none) */
	uint32_t backoff_min_ms;  /* reconnect back-off bounds; 0: ws_client defaults */
	uint32_t backoff_max_ms;  /* as above */
	uint32_t open_timeout_ms; /* 0: ws_client default */
	bool trades; /* also each symbol's <symbol>@trade stream; false: bookTicker (and kline) */
};

/* Per-symbol bookkeeping, for metrics. */
struct sb_bn_market_symbol_stats {
	char symbol[SB_SYMBOL_MAX]; /* upper case */
	uint64_t messages;          /* events delivered for it */
	uint64_t duplicates;        /* events dropped as already seen (rollover overlap) */
	int64_t last_ms;            /* wall time of its last delivered event; 0 never */
};

struct sb_bn_market_stream_stats {
	uint64_t messages;     /* frames received */
	uint64_t events;       /* market events delivered */
	uint64_t duplicates;   /* events dropped as already seen */
	uint64_t unwanted;     /* events of streams not (or no longer) wanted */
	uint64_t parse_errors; /* frames the codec refused (logged and dropped) */
	uint64_t reconnects;   /* connections opened after the first, rollovers excluded */
	uint64_t stalls;       /* market-data watchdog firings */
	uint64_t rollovers;    /* rollovers completed */
	uint64_t ctl_sent;     /* SUBSCRIBE / UNSUBSCRIBE messages sent */
	uint64_t ctl_errors;   /* control errors, unknown reply ids */
	uint64_t shutdowns;    /* serverShutdown notices */
	uint64_t ticks;        /* wake-ups of its watchdog timer, which waits for the next due time */
	int64_t last_ms;       /* wall time of the last delivered event; 0 never */
};

/*
 * Creates the stream on loop (the one ctx was made on) and starts connecting (no callback runs inside this
 * call) with symbols[0..n) already
 * wanted (bookTicker each, and trade with opts->trades; n may be 0). opts and ops are copied. Errors:
 * SB_ERR_INVALID (bad URL, options or symbol name), SB_ERR_TOO_LONG (too many symbols), errors of sb_ws_new.
 */
sb_err sb_bn_market_stream_new(uv_loop_t *loop, struct sb_ws_ctx *ctx,
                               const struct sb_bn_market_stream_opts *opts,
                               const struct sb_bn_market_stream_ops *ops, void *user,
                               const char *const *symbols, size_t n, struct sb_bn_market_stream **out);

/* Wants symbol's bookTicker stream (and trade with opts->trades), plus kline_<interval> when interval is not
 * NULL ("1m").
 * Adding a symbol again changes its kline interval (NULL: none). SUBSCRIBE follows, paced. Errors:
 * SB_ERR_INVALID (bad symbol or interval), SB_ERR_TOO_LONG (SB_BN_MS_SYMBOLS_MAX reached). */
sb_err sb_bn_market_stream_add(struct sb_bn_market_stream *ms, const char *symbol, const char *interval);

/* Stops wanting symbol; its events stop at once, UNSUBSCRIBE follows. SB_ERR_NOT_FOUND when not wanted. */
sb_err sb_bn_market_stream_remove(struct sb_bn_market_stream *ms, const char *symbol);

/* Starts a rollover now (the timer does it at rollover_ms). SB_ERR_STATE when not open or already rolling. */
sb_err sb_bn_market_stream_rollover(struct sb_bn_market_stream *ms);

/* Drops the connection (as a network fault would); it reconnects. For tests and the control API. */
void sb_bn_market_stream_drop(struct sb_bn_market_stream *ms);

/* True while connected with every wanted stream subscribed and acknowledged. */
bool sb_bn_market_stream_synced(const struct sb_bn_market_stream *ms);

void sb_bn_market_stream_stats(const struct sb_bn_market_stream *ms, struct sb_bn_market_stream_stats *out);

/* Per-symbol stats of a wanted symbol. SB_ERR_NOT_FOUND when not wanted. */
sb_err sb_bn_market_stream_symbol_stats(const struct sb_bn_market_stream *ms, const char *symbol,
                                        struct sb_bn_market_symbol_stats *out);

/* Drops the connection and frees everything; no callback runs. Its timers close on the next loop turn, so
 * run the loop before uv_loop_close (sb_ws_ctx_free does). NULL is fine. */
void sb_bn_market_stream_free(struct sb_bn_market_stream *ms);

/* ---- user data stream ------------------------------------------------------------------------------ */

struct sb_bn_user_stream;

/* Why the owner should reconcile with REST (open orders, recent trades, balances). */
enum sb_bn_reconcile_reason {
	SB_BN_RECONCILE_SUBSCRIBED, /* a subscription started after a gap (connect, reconnect, terminated) */
	SB_BN_RECONCILE_SILENT, /* no event for silence_ms: the stream may be quiet or may be losing events */
	SB_BN_RECONCILE_DEAD,   /* a probe went unanswered: the connection is being replaced */
};

const char *sb_bn_reconcile_reason_name(enum sb_bn_reconcile_reason r);

struct sb_bn_user_stream_ops {
	/* One user event (executionReport, outboundAccountPosition, balanceUpdate, externalLockUpdate), in
	 * exchange order; valid during the call. executionReport carries its trade id for deduplication. */
	void (*event)(void *user, const struct sb_bn_user_event *ev);
	/* Query REST now: events may have been missed. */
	void (*reconcile)(void *user, enum sb_bn_reconcile_reason why);
	/* Connectivity changed. */
	void (*link)(void *user, enum sb_bn_link state);
};

struct sb_bn_user_stream_opts {
	const char *url;           /* "wss://ws-api.binance.com:443/ws-api/v3" */
	const char *ca_file;       /* wss CA bundle; NULL: the system store */
	bool insecure;             /* wss without verification: test servers only */
	const char *api_key;       /* copied; never logged */
	struct sb_signer *signer;  /* borrowed: HMAC -> subscribe.signature, Ed25519 -> session.logon */
	int64_t recv_window_ms;    /* 0: not sent (Binance's default 5000); at most 60000 */
	uint32_t silence_ms;       /* no event this long: probe + reconcile; 0: SB_BN_US_SILENCE_DEFAULT */
	uint32_t probe_timeout_ms; /* a request unanswered this long: reconnect; 0: default */
	uint32_t reconnect_ms;     /* planned reconnect before Binance's 24 h limit; 0: 23 h */
	uint32_t ping_ms;          /* client pings; 0: none */
	uint32_t stall_ms;         /* ws watchdog (nothing at all received); 0: off */
	uint32_t backoff_min_ms;   /* reconnect back-off bounds; 0: ws_client defaults */
	uint32_t backoff_max_ms;   /* as above */
	/* A request refused for its timestamp (-1021, the server's clock moved): called so the owner measures
	 * server time again and hands the offset over (sb_bn_user_stream_set_time_offset) before the retry;
	 * NULL: the retry signs with the offset it has. */
	void (*time_refused)(void *ctx);
	void *time_ctx;            /* its argument */
	uint32_t order_timeout_ms; /* an order.place unanswered this long: unknown outcome; 0: default */
	/* The REQUEST_WEIGHT of this minute a WebSocket API answer reported (the same per-IP count as REST's
	 * X-MBX-USED-WEIGHT-1M), for the owner's weight accounting; NULL: none. */
	void (*weight_seen)(void *ctx, int64_t used);
	void *weight_ctx; /* its argument */
	/* Told every answered order.place: the method, its latency and the answer's status, for the same
	 * latency histogram as REST's (binance_rest.h's observe); NULL: none. */
	void (*observe)(void *ctx, const char *method, uint64_t latency_us, long status);
	void *observe_ctx; /* its argument */
};

struct sb_bn_user_stream_stats {
	uint64_t messages;       /* frames received */
	uint64_t events;         /* events delivered */
	uint64_t exec_reports;   /* of which executionReport */
	uint64_t parse_errors;   /* malformed frames (logged and dropped) */
	uint64_t unsupported;    /* well-formed events of kinds not delivered (listStatus, ...) */
	uint64_t foreign;        /* events of another subscription id (dropped) */
	uint64_t subscribes;     /* subscriptions confirmed */
	uint64_t sub_failures;   /* subscription requests refused */
	uint64_t terminated;     /* eventStreamTerminated received */
	uint64_t reconnects;     /* connections opened after the first */
	uint64_t reconciles;     /* reconcile callbacks */
	uint64_t probes;         /* silence probes sent */
	uint64_t probe_timeouts; /* probes unanswered */
	uint64_t shutdowns;      /* serverShutdown notices */
	uint64_t orders;         /* order.place requests sent */
	uint64_t orders_unknown; /* ... of which the connection closed or timed out before the answer */
	uint64_t order_timeouts; /* ... of which timed out */
	uint64_t ticks;          /* wake-ups of the watchdog timer, which waits for the next due time */
	int64_t last_event_ms;   /* wall time of the last event; 0 never */
};

/*
 * Creates the stream on loop and starts connecting (no callback inside this call). opts and ops are copied;
 * the signer is borrowed. Errors: SB_ERR_INVALID (missing url, key or signer; recvWindow out of range),
 * errors of sb_ws_new.
 */
sb_err sb_bn_user_stream_new(uv_loop_t *loop, struct sb_ws_ctx *ctx,
                             const struct sb_bn_user_stream_opts *opts,
                             const struct sb_bn_user_stream_ops *ops, void *user,
                             struct sb_bn_user_stream **out);

/* Server time minus local wall time, in ms, as the owner measured it (GET /api/v3/time); added to every
 * timestamp this stream signs. */
void sb_bn_user_stream_set_time_offset(struct sb_bn_user_stream *us, int64_t offset_ms);

/* True while a subscription is confirmed. */
bool sb_bn_user_stream_subscribed(const struct sb_bn_user_stream *us);

/*
 * Places o with order.place on the subscribed connection, authenticated as the subscription is (signed
 * with apiKey, or by the logged-on session). SB_OK: nothing more to do, cb runs exactly once, later, never
 * inside this call, with what the REST client would report for the same answer (binance_rest.h); an
 * answer that never comes (the connection closes, order_timeout_ms passes) is SB_ERR_UNKNOWN_OUTCOME, and
 * the stream's free ends a pending one with SB_ERR_SHUTDOWN. Any other return means nothing was sent and
 * cb will not run, so the order may take another path: SB_ERR_STATE (not subscribed), the builder's
 * errors (a bad order), sb_ws_send's.
 */
sb_err sb_bn_user_stream_order_place(struct sb_bn_user_stream *us, const struct sb_bn_new_order *o,
                                     sb_bn_rest_order_cb cb, void *user);

/* Drops the connection (as a network fault would); it reconnects and resubscribes. */
void sb_bn_user_stream_drop(struct sb_bn_user_stream *us);

void sb_bn_user_stream_stats(const struct sb_bn_user_stream *us, struct sb_bn_user_stream_stats *out);

/* Drops the connection and frees everything, as sb_bn_market_stream_free. NULL is fine. */
void sb_bn_user_stream_free(struct sb_bn_user_stream *us);

/* ---- pure parts, public for tests and benchmarks -------------------------------------------------- */

/* One WebSocket API parameter: number true writes val as a JSON number (it must be one), else a string. */
struct sb_bn_ws_param {
	const char *key; /* name */
	const char *val; /* raw value, as signed */
	bool number;     /* JSON number rather than string */
};

/*
 * Writes {"id":id,"method":method,"params":{...}} into out (cap bytes, NUL-terminated; *outlen its length,
 * may be NULL). With a signer, the params are signed as Binance's WebSocket API wants (all of them sorted
 * by name, raw values, joined k=v&...) and "signature" is added. n == 0 and no signer: no "params".
 * Errors: SB_ERR_INVALID (NULL arguments, a number that is not one), SB_ERR_TOO_LONG (does not fit),
 * SB_ERR_EXISTS (a repeated key), errors of sb_signer_sign.
 */
sb_err sb_bn_ws_request_build(struct sb_signer *signer, int64_t id, const char *method,
                              const struct sb_bn_ws_param *params, size_t n, char *out, size_t cap,
                              size_t *outlen);

/*
 * A sliding-window pacer: at most max sends in any window_ms. Times are monotonic ms. next_ms returns how
 * long to wait before the next send may go (0: now); note records a send.
 */
#define SB_BN_PACER_MAX 16 /* largest max */
struct sb_bn_pacer {
	unsigned max;                   /* sends allowed per window */
	uint64_t window_ms;             /* window length */
	uint64_t sent[SB_BN_PACER_MAX]; /* times of the last max sends, a ring */
	unsigned head;                  /* oldest entry of the ring */
	unsigned count;                 /* entries used */
};
void sb_bn_pacer_init(struct sb_bn_pacer *p, unsigned max, uint64_t window_ms);
uint64_t sb_bn_pacer_next_ms(const struct sb_bn_pacer *p, uint64_t now);
void sb_bn_pacer_note(struct sb_bn_pacer *p, uint64_t now);

/*
 * The subscription set of a market stream: which streams the owner wants and which the current connection
 * has (as far as requests were sent), so that the next control message is a diff. Streams are named as
 * Binance names them ("btcusdt@bookTicker").
 */
#define SB_BN_SUBS_MAX (3 * SB_BN_MS_SYMBOLS_MAX) /* streams tracked */
struct sb_bn_sub_entry {
	char name[SB_BN_STREAM_MAX]; /* stream name */
	bool want;                   /* the owner wants it */
	bool live;                   /* the connection has it (or a request for it is on its way) */
	bool in_url;                 /* part of the connection URL: live again after every reconnect */
	int64_t pending;             /* id of the control request in flight for it; 0 none */
};
struct sb_bn_subs {
	struct sb_bn_sub_entry *e; /* entries, owned */
	size_t n, cap;             /* used, allocated */
};
void sb_bn_subs_init(struct sb_bn_subs *s);
void sb_bn_subs_fini(struct sb_bn_subs *s);
/* Sets whether name is wanted. SB_ERR_TOO_LONG past SB_BN_SUBS_MAX or a name too long. */
sb_err sb_bn_subs_want(struct sb_bn_subs *s, const char *name, bool want);
/* True when name is wanted. */
bool sb_bn_subs_wanted(const struct sb_bn_subs *s, const char *name);
/* Marks every wanted stream in_url (the URL of the next connections) and clears in_url of the others. */
void sb_bn_subs_set_url(struct sb_bn_subs *s);
/* A new connection: live = in_url, nothing pending. */
void sb_bn_subs_reset(struct sb_bn_subs *s);
/* The connection's state is unknown (a rollover failed): force a full resync, idempotent on Binance. */
void sb_bn_subs_resync(struct sb_bn_subs *s);
/*
 * Builds the next control message of the diff, SUBSCRIBE first then UNSUBSCRIBE, with at most
 * SB_BN_MS_CTL_STREAMS_MAX names, into out; marks them live / not live and pending under id. Returns false
 * when the connection already matches (nothing written).
 */
bool sb_bn_subs_next(struct sb_bn_subs *s, int64_t id, char *out, size_t cap, size_t *outlen);
/* A reply to request id arrived: ok clears its pending marks; !ok reverts them (the state is unknown: a
 * failed SUBSCRIBE is not live). Returns the number of entries it concerned. */
size_t sb_bn_subs_reply(struct sb_bn_subs *s, int64_t id, bool ok);
/* True when no request is pending and live matches want for every entry. */
bool sb_bn_subs_synced(const struct sb_bn_subs *s);
/* Drops entries nobody wants, nothing has and no URL holds. */
void sb_bn_subs_compact(struct sb_bn_subs *s);

/*
 * Deduplication of market events across a rollover overlap. bookTicker and kline keep only what is newer
 * than the last one delivered (an older book is stale, not news). Trades are delivered exactly once even
 * when the two connections interleave out of order: the last SB_BN_DEDUPE_WINDOW trade ids are remembered.
 * Returns true when the event is new (and records it).
 */
#define SB_BN_DEDUPE_WINDOW 1024 /* trade ids remembered below the highest */
struct sb_bn_dedupe {
	int64_t book_u;                          /* highest bookTicker update id; -1 none */
	int64_t trade_t;                         /* highest trade id; -1 none */
	int64_t kline_e;                         /* latest kline event time; -1 none */
	uint64_t seen[SB_BN_DEDUPE_WINDOW / 64]; /* trade ids seen, bit id % WINDOW, below trade_t */
};
void sb_bn_dedupe_reset(struct sb_bn_dedupe *d);
bool sb_bn_dedupe_accept(struct sb_bn_dedupe *d, const struct sb_bn_market_msg *m);

#endif

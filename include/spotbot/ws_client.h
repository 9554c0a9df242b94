/*
 * ws_client.h - WebSocket client connections on the program's libuv loop, for Binance market streams and
 * the WebSocket API.
 *
 * One sb_ws_ctx per process wraps one libwebsockets context attached to the caller's uv loop as a foreign
 * loop. It listens on nothing (CONTEXT_PORT_NO_LISTEN) and creates its vhosts explicitly: one client vhost
 * per CA file in use, so a server vhost (the control API, metrics) can be added to the same context later
 * through sb_ws_ctx_lws().
 *
 * One sb_ws is one logical connection to a URL that stays up by itself: it reconnects with jittered
 * exponential back-off (our own uv timer, not lws' retry policy, so the delay has millisecond resolution
 * and is reported to the caller), which starts again from its minimum only after a connection has stayed
 * open for stable_ms: a server that accepts and then closes at once (Binance over its connection or
 * request-weight limits) is not hammered at the shortest delay. It pings the server every ping_ms, and a
 * stall watchdog drops and reconnects a connection that has received nothing (no message, no pong) for
 * stall_ms; its timer wakes only when one of them falls due, so an open connection without either costs
 * nothing while it is quiet. Messages are delivered whole: fragments are reassembled up to max_message bytes,
 * and a larger message resets the connection. Outgoing text frames wait in a bounded queue and at most
 * `burst` are written per writeable callback, so a busy connection cannot starve the loop.
 *
 * A planned rollover (Binance ends every connection after 24 h) opens a second connection beside the
 * first; once it is open (open callback with rollover=true) sends go to it, both deliver messages, and
 * sb_ws_rollover_confirm() closes the old one with 1000. The caller resubscribes on the new connection
 * before confirming, so no message is lost in between (some arrive twice: the caller deduplicates).
 *
 * The client is message-agnostic: it moves text frames; the codec decides what they mean.
 * Everything runs on the loop thread. Callbacks may call any sb_ws function, sb_ws_free included.
 */
#ifndef SPOTBOT_WS_CLIENT_H
#define SPOTBOT_WS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "spotbot/error.h"

#define SB_WS_MAX_MESSAGE_DEFAULT  (8u * 1024u * 1024u) /* largest reassembled message */
#define SB_WS_MAX_QUEUE_DEFAULT    1024                 /* outgoing messages waiting */
#define SB_WS_BURST_DEFAULT        16                   /* frames written per writeable callback */
#define SB_WS_BACKOFF_MIN_DEFAULT  500                  /* ms before the first reconnect */
#define SB_WS_BACKOFF_MAX_DEFAULT  30000                /* ms cap of the back-off */
#define SB_WS_JITTER_DEFAULT       20                   /* +- percent of each back-off delay */
#define SB_WS_OPEN_TIMEOUT_DEFAULT 10000                /* ms for TCP + TLS + upgrade */
#define SB_WS_STABLE_DEFAULT       10000                /* ms open before the back-off restarts */
#define SB_WS_CA_FILES_MAX         8                    /* distinct CA files (client vhosts) per context */

struct sb_ws_ctx;
struct sb_ws;
struct lws_context;

/* Why a connection ended. */
enum sb_ws_close_reason {
	SB_WS_CLOSE_CONNECT_FAILED, /* never opened: refused, DNS, TLS, upgrade refused, open timeout */
	SB_WS_CLOSE_PEER,           /* the server sent a close frame (code and text given) */
	SB_WS_CLOSE_DROPPED,        /* the connection was lost without a close frame, or sb_ws_drop() */
	SB_WS_CLOSE_STALL,          /* the watchdog: nothing received for stall_ms */
	SB_WS_CLOSE_TOO_LARGE,      /* an incoming message passed max_message; the connection was reset */
	SB_WS_CLOSE_LOCAL,          /* sb_ws_close() */
	SB_WS_CLOSE_ROLLOVER,       /* the old connection, closed after sb_ws_rollover_confirm() */
};

struct sb_ws_close_info {
	enum sb_ws_close_reason reason; /* why */
	uint16_t code;        /* close code received (PEER) or sent (LOCAL, ROLLOVER, TOO_LARGE); 0 none */
	const char *text;     /* close reason or connection error text, "" if none; valid in the call */
	unsigned conn;        /* id of the connection that ended (as in open/message) */
	bool was_open;        /* it had opened */
	bool rollover;        /* it was a rollover connection that never became the main one */
	bool reconnecting;    /* a new connection is scheduled */
	uint32_t retry_in_ms; /* after this delay */
	unsigned attempt;     /* consecutive failures so far, 0 after a clean open */
};

struct sb_ws_ops {
	/* A connection opened. conn identifies it in messages; rollover says it was opened by sb_ws_rollover.
	 */
	void (*open)(void *user, struct sb_ws *ws, unsigned conn, bool rollover);
	/* One complete text (or binary) message; data is NUL-terminated and valid only during the call. */
	void (*message)(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len);
	/* A connection ended, or an attempt failed. */
	void (*close)(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info);
};

struct sb_ws_opts {
	const char *url;          /* ws://host[:port]/path?query or wss://... */
	const char *ca_file;      /* PEM CA bundle for wss; NULL: the system store */
	bool insecure;            /* wss without verification: tests with self-signed servers only */
	size_t max_message;       /* 0: SB_WS_MAX_MESSAGE_DEFAULT */
	size_t max_queue;         /* 0: SB_WS_MAX_QUEUE_DEFAULT */
	unsigned burst;           /* 0: SB_WS_BURST_DEFAULT */
	uint32_t ping_ms;         /* client ping period; 0: no client pings */
	uint32_t stall_ms;        /* watchdog; 0: off. Keep it well above ping_ms */
	uint32_t open_timeout_ms; /* 0: SB_WS_OPEN_TIMEOUT_DEFAULT */
	uint32_t backoff_min_ms;  /* 0: SB_WS_BACKOFF_MIN_DEFAULT */
	uint32_t backoff_max_ms;  /* 0: SB_WS_BACKOFF_MAX_DEFAULT */
	uint32_t stable_ms; /* open this long, a connection restarts the back-off; 0: SB_WS_STABLE_DEFAULT */
	int jitter_pct;     /* -1: none; 0: SB_WS_JITTER_DEFAULT; else +- this percent */
	bool no_reconnect;  /* end after the first connection (or failed attempt) */
};

struct sb_ws_stats {
	uint64_t messages; /* complete messages delivered */
	uint64_t bytes;    /* their bytes */
	uint64_t opens;    /* connections opened, rollovers included */
	uint64_t failures; /* attempts that never opened */
	uint64_t stalls;   /* watchdog firings */
	uint64_t pongs;    /* pongs received for our pings */
	uint64_t sent;     /* messages written */
	uint64_t ticks;    /* wake-ups of the ping and watchdog timer (none while nothing can fall due) */
};

/* Creates the process's lws context on loop (no listening socket). Owned by the caller: sb_ws_ctx_free.
 * lws' own log lines go through the spotbot logger from then on (notices only at debug level), never
 * straight to stderr. */
sb_err sb_ws_ctx_new(uv_loop_t *loop, struct sb_ws_ctx **out);

/* The lws context, to add vhosts (a control API server) with lws_create_vhost. Owned by ctx. */
struct lws_context *sb_ws_ctx_lws(struct sb_ws_ctx *ctx);

/*
 * Frees the clients still on ctx (without callbacks), destroys the lws context and runs the loop until
 * lws' handles have closed. Call it after the caller's own handles are closed or the loop would not
 * return (the same contract as sim_server_free). NULL is fine.
 */
void sb_ws_ctx_free(struct sb_ws_ctx *ctx);

/*
 * Creates a connection (opts copied) and starts connecting from the loop: no callback runs inside this
 * call. ops is copied; user is passed to every callback. *out is owned by the caller (sb_ws_free).
 * SB_ERR_INVALID for a bad URL or options, SB_ERR_TOO_LONG past SB_WS_CA_FILES_MAX CA files,
 * SB_ERR_IO when lws cannot set up a vhost (an unreadable CA file).
 */
sb_err sb_ws_new(struct sb_ws_ctx *ctx, const struct sb_ws_opts *opts, const struct sb_ws_ops *ops,
                 void *user, struct sb_ws **out);

/*
 * Queues a copy of a text message on the open connection (the rollover connection once it has opened).
 * SB_ERR_STATE when nothing is open, SB_ERR_TOO_LONG when the queue is full or len > max_message.
 */
sb_err sb_ws_send(struct sb_ws *ws, const char *text, size_t len);

/* Opens the rollover connection beside the open one. SB_ERR_STATE unless open and not already rolling. */
sb_err sb_ws_rollover(struct sb_ws *ws);

/* Makes the opened rollover connection the main one and closes the old one with 1000. SB_ERR_STATE when
 * there is no open rollover connection. */
sb_err sb_ws_rollover_confirm(struct sb_ws *ws);

/* Closes gracefully (queued messages first, then a close frame with code and reason) and stops
 * reconnecting; close callbacks follow with SB_WS_CLOSE_LOCAL. */
void sb_ws_close(struct sb_ws *ws, uint16_t code, const char *reason);

/* Drops the open connection at once, without a close frame; it reconnects as after any drop. */
void sb_ws_drop(struct sb_ws *ws);

/* True while the main connection is open. */
bool sb_ws_is_open(const struct sb_ws *ws);

void sb_ws_stats(const struct sb_ws *ws, struct sb_ws_stats *out);

/* Drops every connection without callbacks and releases ws once the loop has closed its timers. NULL is
 * fine; so is a call from inside one of ws's callbacks. */
void sb_ws_free(struct sb_ws *ws);

const char *sb_ws_close_reason_name(enum sb_ws_close_reason r);

#endif

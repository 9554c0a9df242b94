/*
 * alerts.h - operator alerts sent to a webhook (generic JSON, Slack, Discord or Telegram) from the event
 * loop, without ever blocking the caller.
 *
 * sb_alerts_send() logs the alert, then deduplicates it (the same key within the dedupe window is
 * suppressed and counted), builds the payload and queues it. A dispatcher sends one queued alert at a time
 * through sb_http: each request takes a token from a bucket holding at most rate_max tokens and refilling
 * rate_max per rate_window_ms, so no more than rate_max requests go out per window; when the bucket is empty
 * the queue waits for the next token. A 5xx, a 429, a timeout or a connection error is retried with
 * exponential backoff up to max_attempts; any other 4xx fails at once (the payload or URL is wrong and will
 * not get better). The queue is bounded: when it is full the oldest waiting alert is dropped and counted.
 *
 * The webhook URL is a secret (a Slack or Discord URL is a bearer token, a Telegram URL carries the bot
 * token): it is registered with sb_log_add_secret and only its host is ever logged.
 *
 * Telegram: the configured URL is the Bot API sendMessage URL with the chat id as a query parameter,
 *   https://api.telegram.org/bot<token>/sendMessage?chat_id=<id>
 * The chat_id parameter is taken out of the URL and sent in the JSON body, {"chat_id":"<id>","text":...}.
 *
 * Everything runs on the loop thread. See docs/monitoring.md for the payloads.
 */
#ifndef SPOTBOT_ALERTS_H
#define SPOTBOT_ALERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "spotbot/config.h"
#include "spotbot/error.h"

#define SB_ALERTS_KEY_MAX             128    /* bytes of a dedupe key */
#define SB_ALERTS_MESSAGE_MAX         1800   /* bytes of a message kept; longer is cut (Discord takes 2000) */
#define SB_ALERTS_SYMBOL_MAX          32     /* bytes of the optional symbol */
#define SB_ALERTS_DEDUPE_SLOTS        128    /* distinct keys remembered for deduplication */
#define SB_ALERTS_URL_MAX             2048   /* bytes of the webhook URL */
#define SB_ALERTS_RATE_DEFAULT        20     /* requests per window */
#define SB_ALERTS_WINDOW_DEFAULT      60000  /* ms, the rate window */
#define SB_ALERTS_DEDUPE_DEFAULT      600000 /* ms an identical key stays suppressed */
#define SB_ALERTS_QUEUE_DEFAULT       64     /* alerts waiting to be sent */
#define SB_ALERTS_ATTEMPTS_DEFAULT    5      /* tries per alert, the first included */
#define SB_ALERTS_BACKOFF_DEFAULT     1000   /* ms before the first retry; doubles per retry */
#define SB_ALERTS_BACKOFF_MAX_DEFAULT 60000  /* ms, the longest wait between retries */
#define SB_ALERTS_TIMEOUT_DEFAULT     10000  /* ms for one webhook request */

enum sb_alert_kind {
	SB_ALERT_START,             /* "start": the daemon started */
	SB_ALERT_STOP,              /* "stop": the daemon is stopping */
	SB_ALERT_POSITION_HELD,     /* "position_held": a position is held longer than its maximum */
	SB_ALERT_STOP_LOSS,         /* "stop_loss": a stop-loss exit was taken */
	SB_ALERT_ORDER_REJECTIONS,  /* "order_rejections": orders are being rejected repeatedly */
	SB_ALERT_STREAM_STALLED,    /* "stream_stalled": a stream has been silent too long */
	SB_ALERT_STREAM_RECONNECTS, /* "stream_reconnects": a stream keeps reconnecting */
	SB_ALERT_RECONCILIATION,    /* "reconciliation": reconciliation found differences */
	SB_ALERT_KILL_SWITCH,       /* "kill_switch": trading was halted */
	SB_ALERT_PAIR_UNLISTED,     /* "pair_unlisted": a pair's symbol is not listed by the exchange */
	SB_ALERT__COUNT
};

enum sb_alert_severity {
	SB_ALERT_INFO,     /* "info": for the record */
	SB_ALERT_WARNING,  /* "warning": look at it soon */
	SB_ALERT_CRITICAL, /* "critical": act now */
};

/* One alert. The strings are copied by sb_alerts_send. */
struct sb_alert {
	enum sb_alert_kind kind;         /* what happened */
	enum sb_alert_severity severity; /* how urgent */
	const char *key;     /* dedupe key, e.g. "stop_loss:BTCUSDT:42"; NULL or "": the kind's name */
	const char *message; /* human-readable text; required */
	const char *symbol;  /* trading pair it concerns, or NULL */
};

/* Wall and monotonic clocks in milliseconds; tests replace them to make times and windows exact. */
typedef int64_t (*sb_alerts_wall_fn)(void *user);
typedef uint64_t (*sb_alerts_mono_fn)(void *user);

struct sb_alerts_opts {
	const char *url;                    /* webhook URL (secret); NULL or "": alerts are only logged */
	enum sb_config_alert_format format; /* payload shape */
	const char *ca_file;                /* PEM CA bundle for the webhook's TLS; NULL: system store */
	unsigned rate_max;                  /* requests per rate window; 0: SB_ALERTS_RATE_DEFAULT */
	uint32_t rate_window_ms;            /* 0: SB_ALERTS_WINDOW_DEFAULT */
	uint32_t dedupe_window_ms;          /* 0: SB_ALERTS_DEDUPE_DEFAULT */
	unsigned queue_max;                 /* 0: SB_ALERTS_QUEUE_DEFAULT */
	unsigned max_attempts;              /* 0: SB_ALERTS_ATTEMPTS_DEFAULT */
	uint32_t backoff_ms;                /* 0: SB_ALERTS_BACKOFF_DEFAULT */
	uint32_t backoff_max_ms;            /* 0: SB_ALERTS_BACKOFF_MAX_DEFAULT */
	uint32_t timeout_ms;                /* 0: SB_ALERTS_TIMEOUT_DEFAULT */
	sb_alerts_wall_fn wall_ms;          /* NULL: sb_clock_wall_ms, for the "time" field */
	sb_alerts_mono_fn mono_ms;          /* NULL: sb_clock_mono_ms, for dedupe and the rate bucket */
	void *clock_user;                   /* passed to both clocks */
};

/* Counters since creation, for metrics (SB_METRIC_ALERTS) and the status command. */
struct sb_alerts_stats {
	uint64_t accepted;   /* alerts queued for sending */
	uint64_t sent;       /* delivered: the webhook answered 2xx */
	uint64_t failed;     /* given up: a 4xx, or every attempt failed */
	uint64_t retried;    /* attempts repeated after a 5xx, 429, timeout or connection error */
	uint64_t suppressed; /* deduplicated: the same key within the dedupe window */
	uint64_t dropped;    /* pushed out of a full queue, or still queued at free */
	uint64_t rate_waits; /* times the queue waited for a rate token */
	size_t queued;       /* alerts waiting or in flight now */
};

struct sb_alerts;

/*
 * Creates a notifier on loop (opts copied, strings included). *out is owned by the caller and released with
 * sb_alerts_free. SB_ERR_INVALID without loop/out/opts; SB_ERR_CONFIG for a URL that is not http(s)://host...
 * or a Telegram URL without chat_id; SB_ERR_TOO_LONG for a URL over SB_ALERTS_URL_MAX; SB_ERR_IO when the
 * HTTP client cannot be created.
 */
sb_err sb_alerts_new(uv_loop_t *loop, const struct sb_alerts_opts *opts, struct sb_alerts **out);

/*
 * Logs and queues an alert; returns at once (the request goes out later from the loop). SB_OK also when the
 * alert was suppressed as a duplicate or when no URL is configured (see the stats). SB_ERR_INVALID without a
 * message or with a bad kind/severity; SB_ERR_TOO_LONG for a key over SB_ALERTS_KEY_MAX; SB_ERR_SHUTDOWN
 * after sb_alerts_free has begun.
 */
sb_err sb_alerts_send(struct sb_alerts *a, const struct sb_alert *alert);

/*
 * Calls done(user) once, from the loop, when nothing is queued or in flight any more, or after timeout_ms,
 * whichever comes first: for shutdown, to give the "stop" alert a chance to leave. A second drain replaces
 * the first (whose done is then not called).
 */
void sb_alerts_drain(struct sb_alerts *a, uint32_t timeout_ms, void (*done)(void *user), void *user);

void sb_alerts_stats(const struct sb_alerts *a, struct sb_alerts_stats *out);

/* Registers SB_METRIC_ALERTS{result="sent|failed|retried|suppressed|dropped"} counters read from a's stats
 * at render time. a must outlive the registry's renders. */
struct sb_metrics;
sb_err sb_alerts_register_metrics(struct sb_alerts *a, struct sb_metrics *m);

/*
 * Drops whatever is queued (counted as dropped), cancels the request in flight and starts closing the
 * handles; the memory is released once the loop has run their close callbacks. NULL is fine.
 */
void sb_alerts_free(struct sb_alerts *a);

/* "start", "stop_loss", ...; "unknown" for anything else. Static strings. */
const char *sb_alert_kind_name(enum sb_alert_kind kind);

/* "info", "warning", "critical"; "unknown" for anything else. */
const char *sb_alert_severity_name(enum sb_alert_severity severity);

#endif

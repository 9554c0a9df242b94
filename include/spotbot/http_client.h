/*
 * http_client.h - asynchronous HTTP(S) requests on the program's libuv loop, for the Binance REST API.
 *
 * One sb_http runs libwebsockets' own HTTP/1.1 client on the caller's loop, so requests never block the
 * loop and connections are kept alive and reused across requests, seconds apart included. The client is
 * message-agnostic: it moves bytes and reports what happened; the codec and the order manager decide what
 * a body or a status means.
 *
 * At most max_in_flight requests are on the wire at once; the rest wait in a FIFO queue and start, in
 * order, as earlier ones end (a request's timeout runs from its start; latency_us from its submission).
 * Each of those slots keeps its own connection alive, so a burst of requests reuses a few kept-alive
 * connections instead of opening (and then dropping) one per request. (A DELETE gets a connection of its
 * own: the library does not keep one alive for it.)
 * A request that can start does so inside sb_http_request: on a kept-alive connection its bytes are
 * written before the call returns, without waiting for a turn of the loop.
 *
 * TLS is always verified against the system CA store, or against ca_file when one is given. The only way
 * to skip verification is the explicit insecure flag, meant for tests against self-signed servers.
 * Request headers (which carry the API key) are never logged.
 *
 * Every accepted request ends with exactly one callback: on completion, on a transport error, or with
 * SB_ERR_SHUTDOWN when the client is cancelled or freed first.
 */
#ifndef SPOTBOT_HTTP_CLIENT_H
#define SPOTBOT_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "spotbot/error.h"

#define SB_HTTP_MAX_BODY_DEFAULT (4u * 1024u * 1024u) /* response bytes kept before SB_ERR_TOO_LONG */
#define SB_HTTP_TIMEOUT_DEFAULT  10000                /* ms for a whole request when none is given */
#define SB_HTTP_CONNECT_DEFAULT  5000                 /* ms to establish a connection */
#define SB_HTTP_MAX_HEADERS      16                   /* extra request headers per request */
#define SB_HTTP_MAX_WEIGHTS      4                    /* X-MBX-USED-WEIGHT-* intervals kept per response */
#define SB_HTTP_INFLIGHT_DEFAULT 8                    /* requests on the wire at once; the rest queue */
#define SB_HTTP_INTERVAL_LEN     8                    /* room for an interval name such as "1M", "10S" */
#define SB_HTTP_ERRMSG_LEN       256                  /* room for the transport's error text */
#define SB_HTTP_HEADER_ABSENT    (-1)                 /* value of a limit header the response did not carry */

struct sb_http;

enum sb_http_method {
	SB_HTTP_GET,
	SB_HTTP_POST,
	SB_HTTP_PUT,
	SB_HTTP_DELETE,
};

struct sb_http_opts {
	const char *ca_file;         /* PEM CA bundle to verify servers against; NULL: the system store */
	bool insecure;               /* skip TLS verification: for tests with self-signed servers only */
	uint32_t timeout_ms;         /* whole-request timeout when a request gives none; 0: default */
	uint32_t connect_timeout_ms; /* connection establishment timeout; 0: default */
	size_t max_body;             /* largest response body accepted; 0: SB_HTTP_MAX_BODY_DEFAULT */
	unsigned max_in_flight;      /* requests on the wire at once (and connections kept); 0: default */
	const char *user_agent;      /* User-Agent header; NULL: "spotbot" */
	const char *unix_socket;     /* connect to this Unix socket path instead of the URL's host, or NULL */
};

/* Takes len bytes of a response body as they arrive; false aborts the request (SB_ERR_TOO_LONG). */
typedef bool (*sb_http_sink)(void *user, const void *data, size_t len);

struct sb_http_req {
	enum sb_http_method method;               /* request method */
	const char *url;                          /* full URL, query string already built and encoded */
	const char *body;                         /* form body (POST/PUT/DELETE), or NULL for none */
	size_t body_len;                          /* bytes in body */
	const char *content_type;                 /* for body; NULL: application/x-www-form-urlencoded */
	const char *headers[SB_HTTP_MAX_HEADERS]; /* "Name: value" lines, e.g. X-MBX-APIKEY; never logged */
	size_t nheaders;                          /* entries used in headers */
	uint32_t timeout_ms;                      /* 0: the client's default */
	uint32_t idle_timeout_ms;                 /* also fails after this long without a byte; 0: none */
	sb_http_sink sink;                        /* streams the body there (no max_body); NULL: kept */
	void *sink_user;                          /* sink's argument */
};

/* One X-MBX-USED-WEIGHT-<interval> header, e.g. interval "1M", value 70. */
struct sb_http_weight {
	char interval[SB_HTTP_INTERVAL_LEN]; /* upper-case interval, "1M" */
	int64_t value;                       /* weight used in that interval */
};

/* The response headers the bot's rate limiter needs. Absent headers hold SB_HTTP_HEADER_ABSENT. */
struct sb_http_limits {
	int64_t used_weight_1m;                             /* X-MBX-USED-WEIGHT-1M */
	struct sb_http_weight weights[SB_HTTP_MAX_WEIGHTS]; /* every X-MBX-USED-WEIGHT-* seen, 1M included */
	size_t nweights;                                    /* entries used in weights */
	int64_t order_count_10s;                            /* X-MBX-ORDER-COUNT-10S */
	int64_t order_count_1d;                             /* X-MBX-ORDER-COUNT-1D */
	int64_t retry_after_s;                              /* Retry-After, seconds (429/418) */
};

/* What a request came to. Valid only during the callback; copy what must outlive it. */
struct sb_http_resp {
	sb_err err;       /* SB_OK, SB_ERR_TIMEOUT, SB_ERR_NETWORK, SB_ERR_TOO_LONG, SB_ERR_SHUTDOWN */
	bool sent;        /* request bytes reached the wire: on an error the server may have acted on it */
	long status;      /* HTTP status, 0 when none arrived */
	const char *body; /* response body, NUL-terminated ("" when none) */
	size_t body_len;  /* bytes in body */
	struct sb_http_limits limits; /* rate-limit headers */
	uint64_t latency_us;          /* from submission to completion, monotonic */
	bool new_connection;          /* this request opened a connection instead of reusing one */
	const char *errmsg;           /* transport error text ("" on success); never contains headers */
	uint64_t id;                  /* the id sb_http_request returned */
};

/* Called once per request on the loop thread. The client may be used (and freed) from inside. */
typedef void (*sb_http_cb)(void *user, const struct sb_http_resp *resp);

struct sb_http_stats {
	uint64_t requests;    /* requests completed, including failures */
	uint64_t connections; /* connections opened; far below requests when keep-alive works */
	size_t in_flight;     /* requests not yet completed, queued ones included */
	size_t queued;        /* of those, requests waiting for a free slot */
};

/* Creates a client on loop (opts may be NULL for defaults; its strings are copied). *out is owned by the
 * caller and released with sb_http_free. SB_ERR_INVALID without loop/out, SB_ERR_IO if lws fails. */
sb_err sb_http_new(uv_loop_t *loop, const struct sb_http_opts *opts, struct sb_http **out);

/*
 * Starts req (copied: url, body and headers need not outlive the call), or queues it behind the requests
 * already waiting when max_in_flight are on the wire. cb runs later, never from inside this call, even when
 * the request ends at once. *id_out (optional) receives an id for the request. SB_ERR_INVALID for a bad
 * request, SB_ERR_TOO_LONG for more than SB_HTTP_MAX_HEADERS headers, SB_ERR_SHUTDOWN once the client is
 * closing.
 */
sb_err sb_http_request(struct sb_http *h, const struct sb_http_req *req, sb_http_cb cb, void *user,
                       uint64_t *id_out);

/* Aborts every request in flight or queued; each callback runs now with SB_ERR_SHUTDOWN, the requests on the
 * wire first, then the queued ones in their order. Kept connections stay. */
void sb_http_cancel_all(struct sb_http *h);

/* Counters since creation. */
void sb_http_stats(const struct sb_http *h, struct sb_http_stats *out);

/*
 * Cancels what is in flight (callbacks get SB_ERR_SHUTDOWN), closes every connection and starts closing the
 * uv handles; the memory is released once the loop has run their close callbacks. NULL is fine; calling it
 * from inside one of h's callbacks is fine too.
 */
void sb_http_free(struct sb_http *h);

const char *sb_http_method_name(enum sb_http_method m);

/* What a one-shot request came to (sb_http_fetch). */
struct sb_http_fetched {
	sb_err err;                      /* as sb_http_resp.err, or what sb_http_new/request refused */
	bool sent;                       /* the request reached the wire */
	long status;                     /* HTTP status, 0 when none arrived */
	char *body;                      /* response body, NUL-terminated, or NULL; the caller's */
	size_t body_len;                 /* bytes in body */
	char errmsg[SB_HTTP_ERRMSG_LEN]; /* transport error text ("" on success) */
};

/*
 * Runs req on a private loop of its own until it ends: for one-shot command-line requests, never on a
 * daemon's loop. Returns out->err; out->body is the caller's (sb_http_fetched_free).
 */
sb_err sb_http_fetch(const struct sb_http_opts *opts, const struct sb_http_req *req,
                     struct sb_http_fetched *out);

/* Frees what a fetch kept. */
void sb_http_fetched_free(struct sb_http_fetched *f);

#endif

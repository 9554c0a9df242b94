/*
 * control_http.h - the control API's HTTP plumbing: the listener on the daemon's lws context, each request
 * read into a struct control_request (control_request.c), handed to one handler, and its reply written.
 * This is the only part of the control API that knows lws: the routes and views see a parsed request, an
 * opaque connection and a struct control_reply to fill.
 *
 * The listening address: CONTROL_LISTEN is "host:port", "[v6]:port" or "unix:/path" (control_listen.c).
 */
#ifndef SPOTBOT_BOT_CONTROL_HTTP_H
#define SPOTBOT_BOT_CONTROL_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "bot/control_request.h"
#include "spotbot/error.h"

struct sb_ws_ctx;
struct control_deferred;

/* One client connection, opaque to the routes: they only keep it for control_http_wake. */
struct control_conn;

/* The answer to one request, filled by the handler. */
struct control_reply {
	int status;       /* HTTP status; 0: the answer is deferred (control_deferred) */
	const char *type; /* content type; NULL: application/json */
	char *body;       /* the body (owned, free()); NULL when empty */
	size_t len;       /* bytes of body */
};

/*
 * Answers q into *r, or leaves r->status 0 and sets *pending when the answer waits for the exchange: the
 * deferred operation calls control_http_wake(conn) once its answer is ready (control_deferred_take), and
 * is told when the client goes away (control_deferred_detach).
 */
typedef void (*control_handler_fn)(void *user, struct control_conn *conn, const struct control_request *q,
                                   struct control_deferred **pending, struct control_reply *r);

/* CONTROL_LISTEN taken apart. */
struct control_listen {
	char iface[256]; /* the host without brackets, or the unix socket's path */
	int port;        /* the TCP port; 0 for a unix socket */
	bool unix_sock;  /* a unix socket */
};

/* Parses a CONTROL_LISTEN value; SB_ERR_CONFIG when it is malformed (the port 1..65535, the path < 108). */
sb_err control_listen_parse(const char *listen, struct control_listen *out);
/* Whether something already listens there (a unix socket accepting, an IPv4 port that cannot be bound). */
bool control_listen_taken(const struct control_listen *l);

struct control_http;

/*
 * Starts listening on l (already parsed) as one more vhost of ws's lws context, answering each request with
 * fn(user, ...). *out is the caller's (control_http_stop). SB_ERR_IO when the address cannot be bound.
 */
sb_err control_http_start(struct sb_ws_ctx *ws, const struct control_listen *l, control_handler_fn fn,
                          void *user, struct control_http **out);
/* Stops serving (the unix socket file is removed) and frees h; call before the lws context is freed. NULL is
 * fine. */
void control_http_stop(struct control_http *h);
/* The deferred answer of conn is ready: its reply is written once the connection is writable
 * (control_conn.c). */
void control_http_wake(struct control_conn *conn);

#endif

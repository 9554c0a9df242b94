/*
 * control_request.h - one control API request as the listener received it (method, path, query string,
 * Authorization and Content-Length headers, body) turned into what the router needs, with every limit
 * checked. Pure: no sockets and no lws, so the fuzz target (tests/fuzz/fuzz_control_request.c) runs it on
 * arbitrary bytes.
 */
#ifndef SPOTBOT_BOT_CONTROL_REQUEST_H
#define SPOTBOT_BOT_CONTROL_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONTROL_PATH_MAX   255  /* longest request path; longer ones get 414 */
#define CONTROL_QUERY_MAX  1024 /* longest query string; longer ones get 414 */
#define CONTROL_HEADER_MAX 512  /* longest Authorization or Content-Length value; longer ones get 431 */
#define CONTROL_BODY_MAX   4096 /* longest request body (pair edits); larger ones get 413 */

/* What the transport saw; every slice is {ptr,len}, need not be NUL-terminated, and may be NULL with 0. */
struct control_raw {
	const char *method;     /* "GET", "POST" or anything else */
	size_t method_len;      /* bytes of method */
	const char *path;       /* the path, without the query string */
	size_t path_len;        /* bytes of path */
	const char *query;      /* the query string without '?'; its %XX escapes are decoded here */
	size_t query_len;       /* bytes of query */
	const char *auth;       /* the Authorization header's value; NULL when absent */
	size_t auth_len;        /* bytes of auth */
	const char *body;       /* the request body as received (at most CONTROL_BODY_MAX bytes kept) */
	size_t body_len;        /* bytes of body kept */
	uint64_t body_declared; /* the body's full size (Content-Length or bytes seen), past the kept part */
};

enum control_method {
	CONTROL_GET,   /* GET: the views */
	CONTROL_POST,  /* POST: the actions */
	CONTROL_OTHER, /* anything else: 405 */
};

/* The parsed request: every string NUL-terminated and within its field. */
struct control_request {
	enum control_method method;      /* the method */
	char path[CONTROL_PATH_MAX + 1]; /* the request path */
	char symbol[32];     /* ?symbol=, upper-cased (symbols are case-insensitive); "" when absent */
	int64_t after;       /* ?after= (events); 0 when absent or not a positive id */
	char price[64];      /* ?price= (reprice) as sent; "-" when empty; "" when absent */
	bool force;          /* ?force=1 or ?force=true */
	int64_t deadline_ms; /* ?deadline= (wall-clock ms): an action not begun by then is refused; 0 none */
	bool has_token;      /* an "Authorization: Bearer ..." header came */
	char token[CONTROL_HEADER_MAX]; /* its token */
	const char *body;               /* the raw body (borrowed from control_raw) */
	size_t body_len;                /* bytes of body */
};

/*
 * Fills *out from *raw. Returns 0, or the HTTP status that refuses the request (414 path or query too
 * long, 431 a header too long, 413 body too large, 400 a malformed path, query or value) with the reason
 * in why (cap bytes). out->body borrows raw->body.
 */
int control_request_parse(const struct control_raw *raw, struct control_request *out, char *why, size_t cap);

/* Whether req carries the configured token (compared in constant time); true when none is configured. */
bool control_request_authorised(const struct control_request *req, const char *token);

/* Whether path is one a scraper reads (/metrics, /health, /health/ready): CONTROL_OPEN_MONITORING opens it.
 */
bool control_request_is_monitoring(const char *path);

/* Parses a positive decimal id of up to 18 digits from s[0..len). */
bool control_parse_id(const char *s, size_t len, int64_t *out);

#endif

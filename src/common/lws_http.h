/*
 * lws_http.h - the two ends of an HTTP request served by libwebsockets, the same for spotsim's REST server
 * and spotbot's control API: the request's body gathered as lws hands it over (up to a maximum, the rest
 * counted so the answer can be a 413 rather than a dropped connection), and the response written with its
 * status, content type, extra headers and body, after which the connection is kept for the next request
 * (HTTP/1.1 keep-alive) or closed. What a request means is the owner's.
 */
#ifndef SB_COMMON_LWS_HTTP_H
#define SB_COMMON_LWS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct lws;

/* A request body being gathered. */
struct sb_lws_body {
	struct sb_buf buf; /* the bytes kept (NUL-terminated), at most the maximum */
	uint64_t seen;     /* every byte lws handed over, kept or not */
};

/* An answer to write. */
struct sb_lws_reply {
	int status;               /* HTTP status code */
	const char *content_type; /* NULL: "application/json" */
	const char *headers;      /* extra headers as "Name: value\r\n" lines, or NULL */
	const char *body;         /* len bytes, or NULL when len is 0 */
	size_t len;               /* body bytes */
};

/* Ready to keep at most max body bytes. Allocates nothing yet. */
void sb_lws_body_init(struct sb_lws_body *b, size_t max);
/* Frees the bytes kept; b is ready for the next request with the same maximum. */
void sb_lws_body_fini(struct sb_lws_body *b);
/* For LWS_CALLBACK_HTTP_BODY: keeps the fragment while the body fits under the maximum, counts it
 * always. */
void sb_lws_body_add(struct sb_lws_body *b, const void *in, size_t len);
/* Whether the body passed the maximum (what is kept is then only its beginning). */
bool sb_lws_body_too_large(const struct sb_lws_body *b);

/* The request's Content-Length: false when it is absent or not a plain decimal number. */
bool sb_lws_http_content_length(struct lws *wsi, int64_t *out);

/*
 * Writes r (status line, Content-Type, Content-Length, r's extra headers, body) and ends the transaction.
 * Returns the lws callback's value: 0 to keep the connection for the next request, -1 to close it (the
 * write failed or the client does not keep connections alive).
 */
int sb_lws_http_reply(struct lws *wsi, const struct sb_lws_reply *r);

#endif

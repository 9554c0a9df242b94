/*
 * control_http.c - the control API's HTTP listener, added as one more vhost to the daemon's lws context,
 * so requests are answered on the trading loop itself. Each connection's request line, query string,
 * Authorization header and body are gathered as lws hands them over, parsed by control_request.c (which
 * enforces the size limits), answered by the handler given at start, and the reply written. This file bounds
 * the connections (CONTROL_CONN_MAX, refused with a 503 beyond it) and how long a client may take
 * (CONTROL_CLIENT_TIMEOUT_S); POST bodies are read up to CONTROL_BODY_MAX. An answer that waits for the
 * exchange (control_deferred) is written once the connection is writable again.
 */
#include "bot/control_http.h"

#include <cjson/cJSON.h>
#include <libwebsockets.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bot/control.h"
#include "bot/control_int.h"
#include "common/buf.h"
#include "common/json_out.h"
#include "common/lws_http.h"
#include "spotbot/alloc.h"
#include "spotbot/ws_client.h"

#define CONTROL_CONN_MAX         64 /* open connections at once; one more is answered 503 and closed */
#define CONTROL_CLIENT_TIMEOUT_S 5  /* a client that has not sent its whole request by then is dropped */

struct control_http {
	control_handler_fn fn;      /* answers each request */
	void *user;                 /* fn's first argument */
	struct lws_vhost *vh;       /* the listening vhost */
	struct control_listen addr; /* the address (lws keeps a pointer to addr.iface) */
	char unix_path[108];        /* the socket file to remove at the end; "" for TCP */
	unsigned conns;             /* connections open now (bounded by CONTROL_CONN_MAX) */
};

/* One connection's request, as lws hands it over piece by piece. */
struct control_pss {
	char method[8];                    /* "GET", "POST" or "" for anything else */
	char path[CONTROL_PATH_MAX + 2];   /* the request path (one byte over the maximum: too long) */
	size_t path_len;                   /* its length */
	char query[CONTROL_QUERY_MAX + 2]; /* the query string, fragments joined by '&' */
	size_t query_len;                  /* its length (CONTROL_QUERY_MAX + 1: too long) */
	char auth[CONTROL_HEADER_MAX + 1]; /* the Authorization header */
	int auth_len;                      /* its length; -1 when absent */
	struct sb_lws_body body;           /* the body, kept up to CONTROL_BODY_MAX */
	struct control_request req;        /* the parsed request (control_request.c) */
	struct control_deferred *pending;  /* the answer waits for the exchange (control_pairs.c) */
};

/* Writes r (and frees its body); the return value is the lws callback's. */
static int send_reply(struct lws *wsi, struct control_reply r)
{
	int rc = sb_lws_http_reply(
	    wsi,
	    &(struct sb_lws_reply){.status = r.status, .content_type = r.type, .body = r.body, .len = r.len});
	free(r.body);
	return rc;
}

/* Parses what q gathered (control_request.c) and answers it, or refuses it with the parser's status. */
static int respond(struct lws *wsi, struct control_http *h, struct control_pss *q)
{
	struct control_raw raw = {
	    .method = q->method,
	    .method_len = strlen(q->method),
	    .path = q->path,
	    .path_len = q->path_len,
	    .query = q->query,
	    .query_len = q->query_len,
	    .auth = q->auth_len >= 0 ? q->auth : NULL,
	    .auth_len = q->auth_len >= 0 ? (size_t)q->auth_len : 0,
	    .body = sb_buf_str(&q->body.buf),
	    .body_len = q->body.buf.len,
	    .body_declared = q->body.seen,
	};
	char why[160];
	struct control_reply r = {0};
	int status = control_request_parse(&raw, &q->req, why, sizeof why);
	if (status)
		control_reply_error(&r, status, why);
	else
		h->fn(h->user, (struct control_conn *)wsi, &q->req, &q->pending, &r);
	if (r.status == 0)
		return 0;           /* deferred: HTTP_WRITEABLE answers */
	sb_lws_body_fini(&q->body); /* before the reply: ending the transaction may free q */
	return send_reply(wsi, r);
}

/* The deferred answer, once it is ready. */
static int respond_deferred(struct lws *wsi, struct control_pss *q)
{
	cJSON *answer = NULL;
	int status = q && q->pending ? control_deferred_take(q->pending, &answer) : 0;
	if (status == 0)
		return 0;
	q->pending = NULL;
	struct control_reply r = {0};
	control_reply_json(&r, status, answer);
	sb_lws_body_fini(&q->body);
	return send_reply(wsi, r);
}

/*
 * Copies header h into buf (cap bytes) and returns its length; a header longer than cap - 2 comes back as
 * cap - 1 (the parser refuses it by its length), an absent one as -1.
 */
static int copy_header(struct lws *wsi, enum lws_token_indexes h, char *buf, size_t cap)
{
	int total = lws_hdr_total_length(wsi, h);
	buf[0] = '\0';
	if (total <= 0)
		return -1;
	if ((size_t)total > cap - 2)
		return (int)cap - 1;
	int n = lws_hdr_copy(wsi, buf, (int)cap, h);
	return n < 0 ? (int)cap - 1 : n;
}

/*
 * The query string into buf (cap bytes): lws keeps each "k=v" as a fragment, joined here with '&'. A query
 * longer than cap - 2 comes back as cap - 1 bytes long (the parser refuses it by its length).
 */
static size_t copy_query(struct lws *wsi, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > (int)cap - 2)
		return cap - 1;
	for (int i = 0;; i++) {
		char frag[CONTROL_QUERY_MAX + 2];
		int n = lws_hdr_copy_fragment(wsi, frag, (int)sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (used + (used > 0) + (size_t)n > cap - 2)
			return cap - 1;
		if (used > 0)
			buf[used++] = '&';
		memcpy(buf + used, frag, (size_t)n);
		used += (size_t)n;
		buf[used] = '\0';
	}
	return used;
}

/* Takes the request line and headers from lws into q; returns true when a body follows. */
static bool gather(struct lws *wsi, struct control_pss *q, const char *path)
{
	struct control_deferred *pending = q->pending;
	sb_lws_body_fini(&q->body);
	memset(q, 0, sizeof *q);
	q->pending = pending;
	sb_lws_body_init(&q->body, CONTROL_BODY_MAX);
	bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	if (post || lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		memcpy(q->method, post ? "POST" : "GET", post ? 5 : 4);
	size_t n = path ? strlen(path) : 0;
	q->path_len = n > CONTROL_PATH_MAX + 1 ? CONTROL_PATH_MAX + 1 : n;
	memcpy(q->path, path ? path : "", q->path_len);
	q->query_len = copy_query(wsi, q->query, sizeof q->query);
	q->auth_len = copy_header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, q->auth, sizeof q->auth);
	int64_t declared = 0;
	return post && sb_lws_http_content_length(wsi, &declared) && declared > 0;
}

/*
 * A connection beyond CONTROL_CONN_MAX: a 503 written straight to the fresh socket (no request has been
 * read, and lws has no connection object for it yet), which lws then closes.
 */
static void refuse_busy(int fd)
{
	struct sb_buf body = {0}, msg = {0};
	sb_buf_puts(&body, "{");
	sb_json_key(&body, "error");
	sb_json_str(&body, "too many control connections");
	sb_buf_puts(&body, "}");
	sb_buf_printf(&msg,
	              "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
	              "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
	              body.len, sb_buf_str(&body));
	if (!msg.overflow)
		(void)!send(fd, msg.p, msg.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	sb_buf_fini(&body);
	sb_buf_fini(&msg);
}

static int cb_control(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct control_pss *q = user;
	struct lws_vhost *vh = lws_get_vhost(wsi);
	struct control_http *h = vh ? lws_vhost_user(vh) : NULL;
	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		if (h && h->conns >= CONTROL_CONN_MAX) {
			refuse_busy((int)(intptr_t)in);
			return 1;
		}
		return 0;
	case LWS_CALLBACK_WSI_CREATE: /* every accepted connection, before it has sent anything */
		if (h)
			h->conns++;
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		if (h && h->conns > 0)
			h->conns--;
		break;
	case LWS_CALLBACK_HTTP:
		if (!h || !q)
			return -1;
		if (gather(wsi, q, in)) {
			lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, CONTROL_CLIENT_TIMEOUT_S);
			return 0; /* the body follows */
		}
		return respond(wsi, h, q);
	case LWS_CALLBACK_HTTP_BODY:
		if (q)
			sb_lws_body_add(&q->body, in, len); /* past the maximum counted only: a 413 */
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!h || !q)
			return -1;
		return respond(wsi, h, q);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return respond_deferred(wsi, q);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (q)
			sb_lws_body_fini(&q->body);
		if (q && q->pending) {
			control_deferred_detach(q->pending);
			q->pending = NULL;
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols control_protocols[] = {
    {"http", cb_control, sizeof(struct control_pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

sb_err control_http_start(struct sb_ws_ctx *ws, const struct control_listen *l, control_handler_fn fn,
                          void *user, struct control_http **out)
{
	if (!ws || !l || !fn || !out)
		return SB_ERR_INVALID;
	if (control_listen_taken(l))
		return SB_ERR_IO;
	struct control_http *h = sb_xcalloc(1, sizeof *h);
	h->fn = fn;
	h->user = user;
	h->addr = *l;
	if (l->unix_sock) {
		struct stat sbuf;
		/* A socket file left by a daemon that did not stop cleanly would make the bind fail. */
		if (lstat(l->iface, &sbuf) == 0 && S_ISSOCK(sbuf.st_mode))
			(void)unlink(l->iface);
		memcpy(h->unix_path, l->iface,
		       strlen(l->iface) + 1); /* control_listen_parse kept it under 108 */
	}
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = l->unix_sock ? 0 : l->port;
	info.iface = h->addr.iface;
	info.protocols = control_protocols;
	info.vhost_name = "control";
	/* A client holding a connection without finishing its request headers is dropped after this (lws
	 * would wait 10 s); the body has as long again (LWS_CALLBACK_HTTP). */
	info.timeout_secs_ah_idle = CONTROL_CLIENT_TIMEOUT_S;
	info.timeout_secs = CONTROL_CLIENT_TIMEOUT_S;
	info.user = h;
	info.options = l->unix_sock ? LWS_SERVER_OPTION_UNIX_SOCK : 0;
	h->vh = lws_create_vhost(sb_ws_ctx_lws(ws), &info);
	if (!h->vh) {
		control_http_stop(h);
		return SB_ERR_IO;
	}
	*out = h;
	return SB_OK;
}

void control_http_stop(struct control_http *h)
{
	if (!h)
		return;
	if (h->unix_path[0])
		(void)unlink(h->unix_path);
	free(h);
}

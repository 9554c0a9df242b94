/*
 * http_client.c - HTTP/1.1 requests on libwebsockets' own client, on a libuv loop (see http_client.h).
 *
 * Each client owns an lws context on the caller's loop (common/lws_loop.h) with one client vhost per slot
 * of max_in_flight, made when the slot is first used. lws keeps exactly one idle connection per vhost and
 * endpoint (LCCSCF_PIPELINE with keep_warm_secs) and serialises what is sent to it, so a slot carries at
 * most one request at a time and its vhost's kept connection is what the next request on that slot reuses.
 * A request goes to the free slot that last talked to the same endpoint, else to the lowest free one.
 * lws 4.1.6 never pipelines a DELETE: it gets a connection of its own, closed once it completes.
 *
 * A request ends at COMPLETED_CLIENT_HTTP, CLIENT_CONNECTION_ERROR or CLOSED_CLIENT_HTTP before
 * completion; its wsi forgets the request then (the same wsi is closed later when the idle connection
 * dies). Timeouts are this client's own: one uv timer armed for the nearest deadline kills the request's
 * wsi with LWS_TO_KILL_SYNC. Anything that ends while sb_http_request runs (lws may call back from inside
 * lws_client_connect_via_info) is kept on a list that a zero timer hands to the callbacks from the loop.
 *
 * A request that finds its slot's connection idle is written at once: lws would wait for the socket's
 * next writeable event, so the client services that fd for POLLOUT inside sb_http_request.
 *
 * Freeing (also from inside one of the client's callbacks) ends every request at once, then destroys the
 * lws context from a timer callback, outside any lws callback; the memory goes once the loop has closed
 * lws' handles and the client's own.
 */
#include "spotbot/http_client.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "common/buf.h"
#include "common/lws_loop.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/log.h"

#define HTTP_PROTOCOL       "sb-http" /* the lws protocol every client wsi is bound to */
#define KEEP_WARM_S         120  /* idle seconds a kept connection lasts (quiet-stream checks are 60 s) */
#define RX_CHUNK            4096 /* bytes read from lws per RECEIVE_CLIENT_HTTP */
#define SLOT_NONE           (-1) /* x->slot of a request not on the wire */
#define FREE_POLL_MS        1    /* spacing of the checks that lws' context is gone, while freeing */
#define DESTROY_RETRY_POLLS 50   /* checks between two later destroys, so that lws' handles have closed */
#define FD_LIMIT_MIN        64   /* sockets the context tracks at least */
#define ENDPOINT_MAX        300  /* room for "host:port:tls" */
#define HEADER_NAME_MAX     128  /* longest request header name */

/* One request, queued, on the wire, or ended and waiting for its callback. */
struct http_xfer {
	struct sb_http *h;               /* owner */
	enum sb_http_method method;      /* request method */
	char *uri;                       /* copy of the URL that lws_parse_uri cut into address and path */
	const char *address;             /* host inside uri */
	char *path;                      /* "/path?query" */
	int port;                        /* server port */
	bool tls;                        /* https */
	char endpoint[ENDPOINT_MAX];     /* "host:port:tls", what a kept connection is matched on */
	char **hdrs;                     /* copies of the request's "Name: value" lines */
	size_t nhdrs;                    /* entries in hdrs */
	char *content_type;              /* for the body, or NULL for a GET */
	unsigned char *body;             /* LWS_PRE bytes of headroom, then body_len bytes; NULL for a GET */
	size_t body_len;                 /* bytes of body */
	uint32_t timeout_ms;             /* whole-request timeout */
	uint32_t idle_ms;                /* timeout while no byte arrives, or 0 */
	uint64_t end_ns;                 /* uv_hrtime() at which the whole request times out, once started */
	sb_http_cb cb;                   /* completion callback */
	void *user;                      /* its argument */
	sb_http_sink sink;               /* receives the body instead of rx, or NULL */
	void *sink_user;                 /* its argument */
	uint64_t id;                     /* request id */
	uint64_t start_ns;               /* uv_hrtime() at submission */
	uint64_t deadline_ns;            /* uv_hrtime() at which the request times out, once started */
	uint64_t connect_by_ns;          /* uv_hrtime() by which its connection must be up, once started */
	struct lws *wsi;                 /* its lws connection while on the wire */
	int slot;                        /* its slot while on the wire, SLOT_NONE otherwise */
	struct sb_buf rx;                /* response body, at most max_body */
	struct sb_http_limits limits;    /* rate-limit headers */
	long status;                     /* HTTP status, 0 before one arrived */
	bool sent;                       /* its headers went out */
	bool new_connection;             /* lws opened a connection for it */
	bool too_long;                   /* the body passed max_body (or the sink refused it) */
	bool ended;                      /* its outcome is decided (err) */
	sb_err err;                      /* the outcome, once ended */
	char errmsg[SB_HTTP_ERRMSG_LEN]; /* transport error text */
	struct http_xfer *next;          /* queue or ended list */
};

/* A simple FIFO of requests. */
struct xfer_list {
	struct http_xfer *head, *tail; /* oldest, newest */
	size_t n;                      /* entries */
};

/* One slot of max_in_flight: a vhost, hence one kept connection per endpoint. */
struct http_slot {
	struct lws_vhost *vh;        /* made when the slot is first used */
	struct http_xfer *x;         /* the request on it, or NULL */
	char endpoint[ENDPOINT_MAX]; /* the endpoint it talked to last ("" never) */
	char name[32];               /* vhost name */
	int conn_fd;                 /* socket of its kept connection, -1 before one */
	int conn_port;               /* that socket's local port: with the fd, what tells a new connection */
};

struct sb_http {
	uv_loop_t *loop;         /* caller's loop */
	struct lws_context *ctx; /* this client's lws context; cleared by lws once it is gone */
	uv_timer_t timer;        /* the nearest request deadline */
	uv_timer_t reap;         /* zero timer: callbacks of requests that ended inside sb_http_request,
	                            and the context's destruction */
	unsigned open_handles;   /* timer and reap not yet closed; the last close frees the client */
	char *ca_file;           /* copy of opts.ca_file, or NULL */
	char *user_agent;        /* copy of opts.user_agent */
	SSL_CTX *ssl_ctx;        /* the client TLS context every vhost of this client shares */
	char *unix_socket;       /* "+" and opts.unix_socket (lws' form of a Unix socket address), or NULL */
	bool insecure;           /* TLS verification off (tests only) */
	uint32_t timeout_ms;     /* default whole-request timeout */
	uint32_t connect_ms;     /* connection timeout */
	size_t max_body;         /* largest accepted response body */
	struct http_slot *slots; /* max_in_flight slots */
	size_t max_in_flight;    /* entries in slots */
	size_t in_flight;        /* slots in use */
	struct xfer_list queue;  /* requests waiting for a slot */
	struct xfer_list ended;  /* requests ended inside sb_http_request, callbacks not yet run */
	uint64_t next_id;        /* last request id handed out */
	uint64_t requests;       /* completed requests */
	uint64_t connections;    /* connections opened */
	unsigned in_request;     /* nesting of sb_http_request: ends go to the ended list */
	bool closing;            /* sb_http_free was called: refuse new requests */
	bool parked;             /* freed, its context waiting for the loop's other clients to go */
	bool destroying;         /* the lws context's destruction has started */
	struct sb_http *next_client; /* every client whose context is not yet destroyed */
	unsigned destroy_polls;      /* checks made since that started */
	bool ctx_gone;               /* lws has let go of the context, a check ago */
	struct lws **wsis;           /* wsis lws made on the context and has not reported destroyed */
	size_t nwsis, cap_wsis;      /* entries in wsis, room */
};

static void dispatch(struct sb_http *h);
static void arm_timer(struct sb_http *h);

const char *sb_http_method_name(enum sb_http_method m)
{
	switch (m) {
	case SB_HTTP_GET:
		return "GET";
	case SB_HTTP_POST:
		return "POST";
	case SB_HTTP_PUT:
		return "PUT";
	case SB_HTTP_DELETE:
		return "DELETE";
	default:
		return "?";
	}
}

/* ---- lists ------------------------------------------------------------------------------------- */

static void list_push(struct xfer_list *l, struct http_xfer *x)
{
	x->next = NULL;
	if (l->tail)
		l->tail->next = x;
	else
		l->head = x;
	l->tail = x;
	l->n++;
}

static struct http_xfer *list_pop(struct xfer_list *l)
{
	struct http_xfer *x = l->head;
	if (!x)
		return NULL;
	l->head = x->next;
	if (!l->head)
		l->tail = NULL;
	x->next = NULL;
	l->n--;
	return x;
}

/* ---- response headers -------------------------------------------------------------------------- */

static void limits_reset(struct sb_http_limits *l)
{
	memset(l, 0, sizeof *l);
	l->used_weight_1m = SB_HTTP_HEADER_ABSENT;
	l->order_count_10s = SB_HTTP_HEADER_ABSENT;
	l->order_count_1d = SB_HTTP_HEADER_ABSENT;
	l->retry_after_s = SB_HTTP_HEADER_ABSENT;
}

/* Parses a non-negative decimal header value; false when it is not one. */
static bool parse_count(const char *v, size_t len, int64_t *out)
{
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n'))
		len--;
	return sb_parse_i64(v, len, 0, INT64_MAX, out);
}

/* The value of the custom header name ("x-...:", lower case) as a count; false when absent or bad. */
static bool custom_count(struct lws *wsi, const char *name, int64_t *out)
{
	char v[32];
	int n = lws_hdr_custom_copy(wsi, v, (int)sizeof v, name, (int)strlen(name));
	return n > 0 && parse_count(v, (size_t)n, out);
}

/* Reads the rate-limit headers of the response on wsi. lws 4.1.6 cannot list custom headers, so the
 * X-MBX-USED-WEIGHT-* intervals Binance uses are asked for by name. */
static void read_limits(struct lws *wsi, struct sb_http_limits *l)
{
	static const char *const intervals[] = {"1m", "1s", "1h", "1d"};
	limits_reset(l);
	int64_t v;
	for (size_t i = 0; i < sizeof intervals / sizeof intervals[0]; i++) {
		char name[40];
		snprintf(name, sizeof name, "x-mbx-used-weight-%s:", intervals[i]);
		if (!custom_count(wsi, name, &v) || l->nweights == SB_HTTP_MAX_WEIGHTS)
			continue;
		if (i == 0)
			l->used_weight_1m = v;
		struct sb_http_weight *w = &l->weights[l->nweights++];
		snprintf(w->interval, sizeof w->interval, "%c%c", intervals[i][0],
		         intervals[i][1] - 'a' + 'A');
		w->value = v;
	}
	if (custom_count(wsi, "x-mbx-order-count-10s:", &v))
		l->order_count_10s = v;
	if (custom_count(wsi, "x-mbx-order-count-1d:", &v))
		l->order_count_1d = v;
	char ra[32];
	int n = lws_hdr_copy(wsi, ra, (int)sizeof ra, WSI_TOKEN_HTTP_RETRY_AFTER);
	if (n > 0 && parse_count(ra, (size_t)n, &v))
		l->retry_after_s = v;
}

/* ---- ending requests --------------------------------------------------------------------------- */

static void xfer_free(struct http_xfer *x)
{
	for (size_t i = 0; i < x->nhdrs; i++)
		free(x->hdrs[i]);
	free(x->hdrs);
	free(x->uri);
	free(x->path);
	free(x->content_type);
	free(x->body);
	sb_buf_fini(&x->rx);
	free(x);
}

/* Runs x's callback with its outcome, then frees x. x is on no list and no slot. */
static void deliver(struct sb_http *h, struct http_xfer *x)
{
	struct sb_http_resp r;
	memset(&r, 0, sizeof r);
	r.err = x->err;
	r.id = x->id;
	r.limits = x->limits;
	r.status = x->status;
	r.sent = x->sent;
	r.new_connection = x->new_connection;
	r.body = sb_buf_str(&x->rx);
	r.body_len = x->rx.len;
	r.latency_us = (uv_hrtime() - x->start_ns) / 1000u;
	r.errmsg = x->errmsg;
	if (x->err == SB_ERR_SHUTDOWN && !x->errmsg[0])
		r.errmsg = "cancelled";
	if (x->err == SB_ERR_TOO_LONG)
		sb_log_warn("http", SB_FIELDS(SB_F_UINT("id", x->id), SB_F_UINT("max_body", h->max_body)),
		            "response body over its limit; request failed");
	h->requests++;
	x->cb(x->user, &r);
	xfer_free(x);
}

static void on_reap(uv_timer_t *t);

/* Takes x off its slot (forgetting its wsi) and records its outcome. */
static void detach(struct sb_http *h, struct http_xfer *x, sb_err err, const char *why)
{
	if (x->slot != SLOT_NONE) {
		h->slots[x->slot].x = NULL;
		h->in_flight--;
		x->slot = SLOT_NONE;
	}
	if (x->wsi)
		lws_set_opaque_user_data(x->wsi, NULL);
	x->wsi = NULL;
	x->ended = true;
	x->err = err;
	if (why && !x->errmsg[0])
		snprintf(x->errmsg, sizeof x->errmsg, "%s", why);
}

/* Ends x with err: its callback runs now, or from the loop while sb_http_request is running. Then the
 * queue moves on. */
static void end(struct sb_http *h, struct http_xfer *x, sb_err err, const char *why)
{
	detach(h, x, err, why);
	if (h->in_request) {
		list_push(&h->ended, x);
		uv_timer_start(&h->reap, on_reap, 0, 0);
		return;
	}
	deliver(h, x);
	if (!h->closing)
		dispatch(h);
	arm_timer(h);
}

/* Closes x's connection at once and ends x with err. */
static void kill_xfer(struct sb_http *h, struct http_xfer *x, sb_err err, const char *why)
{
	struct lws *wsi = x->wsi;
	detach(h, x, err, why);
	if (wsi)
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

/* ---- lws callback ------------------------------------------------------------------------------ */

static int add_header(struct lws *wsi, const char *line, unsigned char **p, unsigned char *end)
{
	const char *colon = strchr(line, ':');
	size_t nlen = (size_t)(colon - line);
	char name[HEADER_NAME_MAX];
	if (nlen + 2 > sizeof name)
		return -1;
	memcpy(name, line, nlen + 1); /* with the colon, as lws wants it */
	name[nlen + 1] = '\0';
	const char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)v,
	                                   (int)strlen(v), p, end);
}

/* The local port of fd, -1 when unknown. */
static int local_port(int fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (fd < 0 || getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	if (sa.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&sa)->sin_port);
	if (sa.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
	return -1;
}

static void free_handle(uv_handle_t *handle)
{
	free(handle);
}

static void sweep_one(uv_handle_t *handle, void *wsi)
{
	if (handle->type == UV_POLL && handle->data == wsi && !uv_is_closing(handle))
		uv_close(handle, free_handle);
}

/* Notes wsi as made (made) or destroyed on h's context. */
static void track_wsi(struct sb_http *h, struct lws *wsi, bool made)
{
	if (made) {
		if (h->nwsis == h->cap_wsis) {
			h->cap_wsis = h->cap_wsis ? 2 * h->cap_wsis : 8;
			h->wsis = sb_xrealloc(h->wsis, h->cap_wsis * sizeof *h->wsis);
		}
		h->wsis[h->nwsis++] = wsi;
		return;
	}
	for (size_t i = 0; i < h->nwsis; i++)
		if (h->wsis[i] == wsi) {
			h->wsis[i] = h->wsis[--h->nwsis];
			return;
		}
}

static void sweep_unreported(uv_handle_t *handle, void *arg)
{
	struct sb_http *h = arg;
	if (handle->type != UV_POLL || uv_is_closing(handle))
		return;
	for (size_t i = 0; i < h->nwsis; i++)
		if (handle->data == h->wsis[i]) {
			uv_close(handle, free_handle);
			free(h->wsis[i]);
			return;
		}
}

/*
 * When lws 4.1.6 hands a kept connection over to the next request's wsi, its libuv event library gives
 * the new wsi a poll watcher of its own but never closes the old wsi's (that wsi no longer has a socket,
 * so its close skips the watcher): one uv_poll_t leaked per reused connection, and a loop that cannot be
 * closed. As a wsi is destroyed (LWS_CALLBACK_WSI_DESTROY, after which lws no longer touches it) a watcher
 * of it that is not already closing is such a leftover, and is closed here.
 */
static void sweep_watchers(struct sb_http *h, struct lws *wsi)
{
	uv_walk(h->loop, sweep_one, wsi);
}

/* Whether x goes out on a connection its slot has not used before (a DELETE's is always its own). lws
 * does not say, so the slot remembers its kept connection's socket and local port. */
static void note_connection(struct sb_http *h, struct http_xfer *x, struct lws *wsi)
{
	struct http_slot *s = &h->slots[x->slot];
	int fd = lws_get_socket_fd(lws_get_network_wsi(wsi));
	int port = local_port(fd);
	x->new_connection = x->method == SB_HTTP_DELETE || fd != s->conn_fd || port != s->conn_port;
	if (x->new_connection)
		h->connections++;
	if (x->method != SB_HTTP_DELETE) {
		s->conn_fd = fd;
		s->conn_port = port;
	}
}

/* LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: the request's own headers; the request is sent now. */
static int append_headers(struct sb_http *h, struct http_xfer *x, struct lws *wsi, void *in, size_t len)
{
	unsigned char **p = (unsigned char **)in, *end = *p + len;
	x->sent = true;
	if (x->slot != SLOT_NONE)
		note_connection(h, x, wsi);
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_USER_AGENT, (const unsigned char *)h->user_agent,
	                                 (int)strlen(h->user_agent), p, end))
		return -1;
	for (size_t i = 0; i < x->nhdrs; i++)
		if (add_header(wsi, x->hdrs[i], p, end))
			return -1;
	if (!x->content_type)
		return 0;
	char cl[24];
	int n = snprintf(cl, sizeof cl, "%zu", x->body_len);
	if (lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
	                                 (const unsigned char *)x->content_type, (int)strlen(x->content_type),
	                                 p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, (const unsigned char *)cl, n, p,
	                                 end))
		return -1;
	if (x->body_len) {
		lws_client_http_body_pending(wsi, 1);
		lws_callback_on_writable(wsi);
	}
	return 0;
}

/* LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: the body, in one write. */
static int write_body(struct http_xfer *x, struct lws *wsi)
{
	if (!x->body_len)
		return 0;
	int n = lws_write(wsi, x->body + LWS_PRE, x->body_len, LWS_WRITE_HTTP_FINAL);
	lws_client_http_body_pending(wsi, 0);
	return n == (int)x->body_len ? 0 : -1;
}

/* LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ: a piece of the body. -1 drops the connection. */
static int take_body(struct http_xfer *x, const void *in, size_t len)
{
	bool ok = x->sink ? x->sink(x->sink_user, in, len) : sb_buf_put(&x->rx, in, len);
	if (ok && x->idle_ms) {
		uint64_t idle = uv_hrtime() + (uint64_t)x->idle_ms * 1000000u;
		x->deadline_ns = idle < x->end_ns ? idle : x->end_ns;
		arm_timer(x->h);
	}
	if (ok)
		return 0;
	x->too_long = true;
	return -1;
}

/* What a connection that failed or closed early comes to. */
static sb_err failure(const struct http_xfer *x)
{
	return x->too_long ? SB_ERR_TOO_LONG : SB_ERR_NETWORK;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct http_xfer *x = lws_get_opaque_user_data(wsi);
	struct sb_http *h = x ? x->h : NULL;
	char buf[LWS_PRE + RX_CHUNK], *p = buf + LWS_PRE;
	int n = RX_CHUNK;
	if (x)
		x->wsi = wsi;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
		if (x)
			return append_headers(h, x, wsi, in, len);
		break;
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
		if (x)
			return write_body(x, wsi);
		break;
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		if (x) {
			x->status = (long)lws_http_client_http_response(wsi);
			read_limits(wsi, &x->limits);
		}
		break;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
		return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		if (x)
			return take_body(x, in, len);
		break;
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (x)
			end(h, x, x->too_long ? SB_ERR_TOO_LONG : SB_OK, NULL);
		break;
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (x) {
			char why[SB_HTTP_ERRMSG_LEN];
			sb_lws_conn_error_text(wsi, x->tls, in, why, sizeof why);
			end(h, x, failure(x), why);
		}
		break;
	case LWS_CALLBACK_WSI_CREATE:
		track_wsi(lws_context_user(lws_get_context(wsi)), wsi, true);
		break;
	case LWS_CALLBACK_WSI_DESTROY:
		track_wsi(lws_context_user(lws_get_context(wsi)), wsi, false);
		sweep_watchers(lws_context_user(lws_get_context(wsi)), wsi);
		break;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (x)
			end(h, x, failure(x), "connection closed before the response was complete");
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols http_protocols[] = {
    {HTTP_PROTOCOL, http_callback, 0, RX_CHUNK, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- timeouts ---------------------------------------------------------------------------------- */

/* When x times out: its whole deadline, or sooner while its connection is not up. */
static uint64_t due_ns(const struct http_xfer *x)
{
	return (!x->sent && x->connect_by_ns < x->deadline_ns) ? x->connect_by_ns : x->deadline_ns;
}

static void on_timer(uv_timer_t *t)
{
	struct sb_http *h = t->data;
	uint64_t now = uv_hrtime();
	for (size_t i = 0; i < h->max_in_flight; i++) {
		struct http_xfer *x = h->slots[i].x;
		if (!x || due_ns(x) > now)
			continue;
		bool connecting = !x->sent && x->connect_by_ns <= now && x->connect_by_ns < x->deadline_ns;
		kill_xfer(h, x, SB_ERR_TIMEOUT, connecting ? "connection timed out" : "request timed out");
		deliver(h, x);
	}
	if (!h->closing)
		dispatch(h);
	arm_timer(h);
}

/* Arms the timer for the nearest deadline of the requests on the wire. */
static void arm_timer(struct sb_http *h)
{
	if (h->destroying)
		return;
	uint64_t next = UINT64_MAX;
	for (size_t i = 0; i < h->max_in_flight; i++)
		if (h->slots[i].x && due_ns(h->slots[i].x) < next)
			next = due_ns(h->slots[i].x);
	if (next == UINT64_MAX) {
		uv_timer_stop(&h->timer);
		return;
	}
	uint64_t now = uv_hrtime();
	uint64_t ms = next > now ? (next - now + 999999u) / 1000000u : 0;
	uv_timer_start(&h->timer, on_timer, ms, 0);
}

/* ---- starting requests ------------------------------------------------------------------------- */

/* Cuts x's URL into address, port, path and TLS. False for anything but an http(s) URL with a host. */
static bool parse_url(struct http_xfer *x, const char *url)
{
	const char *scheme, *path;
	x->uri = sb_xstrdup(url);
	if (lws_parse_uri(x->uri, &scheme, &x->address, &x->port, &path) || !*x->address)
		return false;
	if (strcmp(scheme, "https") == 0)
		x->tls = true;
	else if (strcmp(scheme, "http") != 0)
		return false;
	size_t plen = strlen(path) + 2;
	x->path = sb_xmalloc(plen);
	snprintf(x->path, plen, "/%s", path);
	snprintf(x->endpoint, sizeof x->endpoint, "%s:%d:%d", x->address, x->port, x->tls);
	return true;
}

/* The free slot for x: the one whose kept connection goes to x's endpoint, else the first free one. */
static int pick_slot(struct sb_http *h, const struct http_xfer *x)
{
	int first = SLOT_NONE;
	for (size_t i = 0; i < h->max_in_flight; i++) {
		if (h->slots[i].x)
			continue;
		if (strcmp(h->slots[i].endpoint, x->endpoint) == 0)
			return (int)i;
		if (first == SLOT_NONE)
			first = (int)i;
	}
	return first;
}

/* The slot's vhost, made on first use. */
static struct lws_vhost *slot_vhost(struct sb_http *h, struct http_slot *s)
{
	if (s->vh)
		return s->vh;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = http_protocols;
	info.vhost_name = s->name;
	info.provided_client_ssl_ctx = h->ssl_ctx;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	s->vh = lws_create_vhost(h->ctx, &info);
	return s->vh;
}

/* Writes x's request now when lws left it waiting for the socket to be writeable: that is the case on a
 * kept connection, which is writeable already. */
static void write_now(struct sb_http *h, struct http_xfer *x)
{
	if (!x->wsi || x->sent)
		return;
	int fd = lws_get_socket_fd(lws_get_network_wsi(x->wsi));
	if (fd < 0)
		return;
	struct lws_pollfd pfd = {.fd = fd, .events = POLLOUT, .revents = POLLOUT};
	lws_service_fd(h->ctx, &pfd);
}

/* Puts x on the wire on a free slot. Whatever lws reports from inside goes to the ended list. */
static void start(struct sb_http *h, struct http_xfer *x)
{
	int i = pick_slot(h, x);
	struct http_slot *s = &h->slots[i];
	s->x = x;
	x->slot = i;
	h->in_flight++;
	snprintf(s->endpoint, sizeof s->endpoint, "%s", x->endpoint);
	uint64_t now = uv_hrtime();
	x->end_ns = now + (uint64_t)(x->timeout_ms ? x->timeout_ms : h->timeout_ms) * 1000000u;
	x->deadline_ns = x->end_ns;
	if (x->idle_ms && now + (uint64_t)x->idle_ms * 1000000u < x->end_ns)
		x->deadline_ns = now + (uint64_t)x->idle_ms * 1000000u;
	x->connect_by_ns = now + (uint64_t)h->connect_ms * 1000000u;
	struct lws_vhost *vh = slot_vhost(h, s);
	if (!vh) {
		end(h, x, SB_ERR_IO, "cannot make a client vhost");
		return;
	}
	struct lws_client_connect_info i_;
	memset(&i_, 0, sizeof i_);
	i_.context = h->ctx;
	i_.vhost = vh;
	i_.address = h->unix_socket ? h->unix_socket : x->address;
	i_.host =
	    h->unix_socket ? x->address : i_.address; /* lws matches kept connections on address == host */
	i_.origin = x->address;
	i_.port = x->port;
	i_.path = x->path;
	i_.method = sb_http_method_name(x->method);
	i_.protocol = HTTP_PROTOCOL;
	i_.local_protocol_name = HTTP_PROTOCOL;
	i_.alpn = "http/1.1"; /* lws' h2 client loses the X-MBX headers */
	i_.keep_warm_secs = KEEP_WARM_S;
	/* lws 4.1.6 does not pipeline DELETE: with the flag its connection would linger unused. */
	if (x->method != SB_HTTP_DELETE)
		i_.ssl_connection |= LCCSCF_PIPELINE;
	if (x->tls) {
		i_.ssl_connection |= LCCSCF_USE_SSL;
		if (h->insecure)
			i_.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_INSECURE |
			                     LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK | LCCSCF_ALLOW_EXPIRED;
	}
	i_.opaque_user_data = x;
	h->in_request++;
	struct lws *wsi = lws_client_connect_via_info(&i_);
	if (!x->ended) {
		x->wsi = wsi;
		if (!wsi)
			end(h, x, SB_ERR_NETWORK, "cannot start the connection");
		else
			write_now(h, x);
	}
	h->in_request--;
}

/* Starts queued requests, oldest first, while slots are free. */
static void dispatch(struct sb_http *h)
{
	while (h->queue.head && h->in_flight < h->max_in_flight && !h->closing)
		start(h, list_pop(&h->queue));
	arm_timer(h);
}

static void on_reap(uv_timer_t *t)
{
	struct sb_http *h = t->data;
	struct http_xfer *x;
	while ((x = list_pop(&h->ended)))
		deliver(h, x);
	if (!h->closing)
		dispatch(h);
}

/* Keeps what a request needs until it starts. */
static sb_err prepare(struct http_xfer *x, const struct sb_http_req *req)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *c = req->headers[i] ? strchr(req->headers[i], ':') : NULL;
		if (!c || c == req->headers[i] || (size_t)(c - req->headers[i]) + 2 > HEADER_NAME_MAX)
			return SB_ERR_INVALID;
	}
	x->hdrs = sb_xcalloc(req->nheaders + 1, sizeof *x->hdrs);
	for (size_t i = 0; i < req->nheaders; i++)
		x->hdrs[x->nhdrs++] = sb_xstrdup(req->headers[i]);
	x->method = req->method;
	x->timeout_ms = req->timeout_ms;
	x->idle_ms = req->idle_timeout_ms;
	x->sink = req->sink;
	x->sink_user = req->sink_user;
	if (!parse_url(x, req->url))
		snprintf(x->errmsg, sizeof x->errmsg, "unsupported URL (only http:// and https://)");
	if (req->method != SB_HTTP_GET) {
		x->body = sb_xmalloc(LWS_PRE + req->body_len + 1);
		if (req->body_len)
			memcpy(x->body + LWS_PRE, req->body, req->body_len);
		x->body_len = req->body_len;
		x->content_type =
		    sb_xstrdup(req->content_type ? req->content_type : "application/x-www-form-urlencoded");
	}
	return SB_OK;
}

sb_err sb_http_request(struct sb_http *h, const struct sb_http_req *req, sb_http_cb cb, void *user,
                       uint64_t *id_out)
{
	if (!h || !req || !req->url || !cb || (req->body_len && !req->body))
		return SB_ERR_INVALID;
	if ((unsigned)req->method > SB_HTTP_DELETE)
		return SB_ERR_INVALID;
	if (req->nheaders > SB_HTTP_MAX_HEADERS)
		return SB_ERR_TOO_LONG;
	if (h->closing)
		return SB_ERR_SHUTDOWN;
	struct http_xfer *x = sb_xcalloc(1, sizeof *x);
	x->h = h;
	x->cb = cb;
	x->user = user;
	x->slot = SLOT_NONE;
	sb_buf_init(&x->rx, h->max_body + 1); /* the NUL after the body counts in the maximum */
	limits_reset(&x->limits);
	sb_err err = prepare(x, req);
	if (err) {
		xfer_free(x);
		return err;
	}
	x->id = ++h->next_id;
	x->start_ns = uv_hrtime();
	bool wait = h->queue.head || h->in_flight >= h->max_in_flight; /* FIFO: nobody overtakes the queue */
	sb_log_debug("http",
	             SB_FIELDS(SB_F_UINT("id", x->id), SB_F_STR("method", sb_http_method_name(req->method))),
	             wait ? "request queued" : "request started");
	if (id_out)
		*id_out = x->id;
	h->in_request++;
	if (x->errmsg[0])
		end(h, x, SB_ERR_NETWORK, NULL); /* reported from the loop, as every transport failure is */
	else if (wait)
		list_push(&h->queue, x);
	else
		start(h, x);
	h->in_request--;
	arm_timer(h);
	return SB_OK;
}

/* Ends every request on the wire (in slot order), then every ended and every queued one, now. Requests
 * that callbacks start meanwhile are not part of this round. */
static void cancel_list(struct sb_http *h)
{
	struct xfer_list wire = {0}, ended = h->ended, queue = h->queue;
	memset(&h->ended, 0, sizeof h->ended);
	memset(&h->queue, 0, sizeof h->queue);
	for (size_t i = 0; i < h->max_in_flight; i++) {
		struct http_xfer *x = h->slots[i].x;
		if (x) {
			if (h->closing)
				detach(h, x, SB_ERR_SHUTDOWN,
				       NULL); /* the context's destruction closes its wsi */
			else
				kill_xfer(h, x, SB_ERR_SHUTDOWN, NULL);
			list_push(&wire, x);
		}
	}
	struct xfer_list *lists[] = {&wire, &ended, &queue};
	for (size_t k = 0; k < 3; k++) {
		struct http_xfer *x;
		while ((x = list_pop(lists[k]))) {
			x->err = SB_ERR_SHUTDOWN;
			deliver(h, x);
		}
	}
	arm_timer(h);
}

void sb_http_cancel_all(struct sb_http *h)
{
	if (!h || h->destroying)
		return;
	cancel_list(h);
}

void sb_http_stats(const struct sb_http *h, struct sb_http_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!h)
		return;
	out->requests = h->requests;
	out->connections = h->connections;
	out->in_flight = h->in_flight + h->queue.n + h->ended.n;
	out->queued = h->queue.n;
}

/* ---- creation and teardown --------------------------------------------------------------------- */

/*
 * The client TLS context of every connection: verification against ca_file, or against the system store
 * (looked up in its hashed directory as needed, rather than every CA held in memory). NULL when ca_file
 * cannot be read.
 */
static SSL_CTX *client_tls_new(const char *ca_file)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return NULL;
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	int ok = ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
	                 : SSL_CTX_set_default_verify_paths(ctx);
	if (ok != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static void handle_closed(uv_handle_t *handle)
{
	struct sb_http *h = handle->data;
	if (--h->open_handles == 0)
		free(h);
}

/* Every client whose lws context is not yet destroyed, on any loop (clients live on their loop's thread). */
static struct sb_http *clients;

static void clients_unlink(struct sb_http *h)
{
	for (struct sb_http **pp = &clients; *pp; pp = &(*pp)->next_client)
		if (*pp == h) {
			*pp = h->next_client;
			return;
		}
}

/*
 * Checks, loop turns apart, that lws has let go of the context. On a foreign loop the first destroy only
 * starts closing its connections and handles, and a second one, once they have closed, finishes it. When
 * connections were still closing (requests killed just before) lws needs one more: later calls are spaced
 * DESTROY_RETRY_POLLS checks apart, so that each stage finds lws' handles closed. (The spacing was first
 * needed because such a stage unloaded the code of their close callbacks; sb_lws_context_new now keeps
 * that code loaded, so the spacing may no longer be needed, but it has not been measured without it.)
 */
static void on_destroy_poll(uv_timer_t *t)
{
	struct sb_http *h = t->data;
	if (h->ctx && (++h->destroy_polls == 3 || h->destroy_polls % DESTROY_RETRY_POLLS == 0))
		lws_context_destroy(h->ctx);
	if (h->ctx)
		return;
	if (!h->ctx_gone) {
		h->ctx_gone = true; /* one more turn, for the handles lws was closing to finish */
		return;
	}
	/* lws 4.1.6 loses track of a wsi whose request was ended while its connection was being set up: the
	 * context goes without destroying it (no WSI_DESTROY) or closing its poll watcher. Both are let go
	 * here, now that lws no longer touches any of them. */
	uv_walk(h->loop, sweep_unreported, h);
	free(h->wsis);
	clients_unlink(h);
	uv_timer_stop(&h->reap);
	free(h->slots);
	free(h->ca_file);
	free(h->user_agent);
	free(h->unix_socket);
	SSL_CTX_free(h->ssl_ctx);
	uv_close((uv_handle_t *)&h->timer, handle_closed);
	uv_close((uv_handle_t *)&h->reap, handle_closed);
}

/* Starts destroying h's context. */
static void destroy_context(struct sb_http *h)
{
	h->parked = false;
	h->destroying = true;
	uv_timer_stop(&h->timer);
	if (h->ctx)
		lws_context_destroy(h->ctx);
	uv_timer_start(&h->reap, on_destroy_poll, 0, FREE_POLL_MS);
}

/*
 * From the loop, outside every lws callback. lws 4.1.6 aborts when one context on a foreign loop is
 * destroyed while another context on it is busy, so a freed client's context waits (parked, with nothing
 * on it) until the last client on its loop is freed too, and then they all go together.
 */
static void on_destroy(uv_timer_t *t)
{
	struct sb_http *h = t->data;
	while (h->ended.head || h->queue.head || h->in_flight)
		cancel_list(h); /* what callbacks slipped in meanwhile */
	h->parked = true;
	for (struct sb_http *o = clients; o; o = o->next_client)
		if (o->loop == h->loop && !o->closing)
			return;
	for (struct sb_http *o = clients; o; o = o->next_client)
		if (o->loop == h->loop && o->parked)
			destroy_context(o);
}

void sb_http_free(struct sb_http *h)
{
	if (!h || h->closing)
		return;
	h->closing = true;
	cancel_list(h);
	uv_timer_start(&h->reap, on_destroy, 0, 0);
}

sb_err sb_http_new(uv_loop_t *loop, const struct sb_http_opts *opts, struct sb_http **out)
{
	static const struct sb_http_opts defaults;
	if (!loop || !out)
		return SB_ERR_INVALID;
	if (!opts)
		opts = &defaults;
	struct sb_http *h = sb_xcalloc(1, sizeof *h);
	h->loop = loop;
	h->max_in_flight = opts->max_in_flight ? opts->max_in_flight : SB_HTTP_INFLIGHT_DEFAULT;
	h->connect_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : SB_HTTP_CONNECT_DEFAULT;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	/* No LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT: lws 4.1.6 would make its OpenSSL ex_data indexes anew,
	 * process-wide, and another context (the WebSocket client's) could then no longer find, hence free,
	 * its TLS context. This client brings its own TLS context instead (client_tls_new). */
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
	/* lws sizes its socket tables by this (the process' fd limit otherwise): a slot's connection, a
	 * DELETE's own and the handed-over ones fit many times over. */
	info.fd_limit_per_thread = (unsigned)(FD_LIMIT_MIN + 4 * h->max_in_flight);
	info.timeout_secs = (h->connect_ms + 999u) / 1000u;
	info.user = h;
	sb_lws_log_to_logger();
	if (sb_lws_context_new(loop, &info, &h->ctx) != SB_OK) {
		free(h);
		return SB_ERR_IO;
	}
	h->slots = sb_xcalloc(h->max_in_flight, sizeof *h->slots);
	for (size_t i = 0; i < h->max_in_flight; i++) {
		snprintf(h->slots[i].name, sizeof h->slots[i].name, "sb-http-%zu", i);
		h->slots[i].conn_fd = -1;
		h->slots[i].conn_port = -1;
	}
	h->ca_file = opts->ca_file ? sb_xstrdup(opts->ca_file) : NULL;
	h->user_agent = sb_xstrdup(opts->user_agent ? opts->user_agent : "spotbot");
	if (opts->unix_socket) {
		size_t n = strlen(opts->unix_socket) + 2;
		h->unix_socket = sb_xmalloc(n);
		snprintf(h->unix_socket, n, "+%s", opts->unix_socket);
	}
	h->insecure = opts->insecure;
	h->timeout_ms = opts->timeout_ms ? opts->timeout_ms : SB_HTTP_TIMEOUT_DEFAULT;
	h->max_body = opts->max_body ? opts->max_body : SB_HTTP_MAX_BODY_DEFAULT;
	if (h->insecure)
		sb_log_warn("http", SB_NOFIELDS,
		            "TLS verification is OFF (insecure flag): never use this with real keys");
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->reap);
	h->timer.data = h;
	h->reap.data = h;
	h->open_handles = 2;
	h->next_client = clients;
	clients = h;
	h->ssl_ctx = client_tls_new(h->ca_file);
	if (!h->ssl_ctx || !slot_vhost(h, &h->slots[0])) {
		sb_log_warn("http", SB_FIELDS(SB_F_STR("ca_file", h->ca_file ? h->ca_file : "")),
		            "cannot set up TLS (is the CA file readable PEM?)");
		sb_http_free(h); /* its memory goes once the loop has run */
		return SB_ERR_IO;
	}
	*out = h;
	return SB_OK;
}

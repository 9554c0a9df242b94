/*
 * http_client.c - libcurl's multi-socket API on a libuv loop (see http_client.h).
 *
 * curl tells us which sockets to watch (socket callback: one uv_poll each) and when to call it back
 * (timer callback: one uv_timer); we hand readiness back through curl_multi_socket_action() and then
 * collect finished transfers. Completion callbacks only ever run from those loop callbacks (or from a
 * cancel), never from inside sb_http_request(), so a caller can chain requests from a callback.
 *
 * A request that gets a slot is handed to curl at once and driven with curl_multi_socket_action() on
 * CURL_SOCKET_TIMEOUT inside sb_http_request(): on a kept-alive connection that writes the request. Should
 * that drive end a transfer (a refused connection, say), its callback is left for a zero "reap" timer, so
 * it still runs from the loop. Requests over max_in_flight wait in a FIFO queue with their URL, headers and
 * body but no easy handle, and start from check_done() as slots free up.
 *
 * Freeing the client from inside one of its own callbacks is allowed: the free is recorded and carried
 * out once the outermost dispatch has returned.
 */
#include "spotbot/http_client.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/log.h"

/* One socket curl asked us to watch. */
struct http_sock {
	uv_poll_t poll;                /* readiness watcher; its close callback frees the struct */
	curl_socket_t fd;              /* the socket */
	struct sb_http *h;             /* owner */
	struct http_sock *prev, *next; /* all watched sockets, so teardown can close leftovers */
};

/* One request in flight. */
struct http_xfer {
	struct sb_http *h;          /* owner */
	CURL *easy;                 /* from the pool when started, NULL while queued */
	enum sb_http_method method; /* request method */
	char *url;                  /* copy of the request URL */
	uint32_t timeout_ms;        /* whole-request timeout */
	struct curl_slist *hdrs;    /* request headers */
	char *body;                 /* copy of the request body, or NULL for a GET */
	size_t body_len;            /* bytes in body */
	sb_http_cb cb;              /* completion callback */
	void *user;                 /* its argument */
	uint64_t id;                /* request id */
	uint64_t start_ns;          /* uv_hrtime() at submission */
	struct sb_buf rx;           /* response body, at most max_body; overflow: the transfer was aborted */
	struct sb_http_limits limits;  /* rate-limit headers parsed so far */
	char errbuf[CURL_ERROR_SIZE];  /* curl's error detail */
	struct http_xfer *prev, *next; /* requests on the wire; next alone links the queue */
};

struct sb_http {
	uv_loop_t *loop;         /* caller's loop */
	CURLM *multi;            /* one multi handle: its connection cache gives keep-alive */
	uv_timer_t timer;        /* curl's timeout */
	uv_timer_t reap;         /* zero timeout: collects transfers that ended inside sb_http_request */
	unsigned open_handles;   /* timer and reap not yet closed; the last close frees the client */
	char *ca_file;           /* copy of opts.ca_file, or NULL */
	char *user_agent;        /* copy of opts.user_agent */
	bool insecure;           /* TLS verification off (tests only) */
	uint32_t timeout_ms;     /* default whole-request timeout */
	uint32_t connect_ms;     /* connection timeout */
	size_t max_body;         /* largest accepted response body */
	CURL **pool;             /* idle easy handles */
	size_t npool, pool_cap;  /* used and allocated entries of pool */
	struct http_xfer *xfers; /* requests on the wire (in the multi handle) */
	size_t in_flight;        /* entries in xfers */
	struct http_xfer *queue; /* requests waiting for a slot, oldest first */
	struct http_xfer *qtail; /* newest entry of queue */
	size_t queued;           /* entries in queue */
	size_t max_in_flight;    /* bound on in_flight */
	struct http_sock *socks; /* watched sockets */
	uint64_t next_id;        /* last request id handed out */
	uint64_t requests;       /* completed requests */
	uint64_t connections;    /* connections opened */
	unsigned depth;          /* nesting of user callbacks being run */
	bool closing;            /* sb_http_free was called: refuse new requests */
	bool free_pending;       /* sb_http_free was called: finish it once no callback is running */
	bool freeing;            /* really_free has started */
};

static void check_done(struct sb_http *h);
static void maybe_free(struct sb_http *h);
static void finish(struct sb_http *h, struct http_xfer *x, sb_err err);

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

/* ---- libuv glue --------------------------------------------------------------------------------- */

static void sock_closed(uv_handle_t *handle)
{
	free(handle->data);
}

static void sock_release(struct sb_http *h, struct http_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		h->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	uv_poll_stop(&s->poll);
	uv_close((uv_handle_t *)&s->poll, sock_closed);
}

static void on_poll(uv_poll_t *poll, int status, int events)
{
	struct http_sock *s = poll->data;
	struct sb_http *h = s->h;
	int flags = 0, running;
	if (status < 0)
		flags = CURL_CSELECT_ERR;
	if (events & UV_READABLE)
		flags |= CURL_CSELECT_IN;
	if (events & UV_WRITABLE)
		flags |= CURL_CSELECT_OUT;
	/* s may be released inside this call (CURL_POLL_REMOVE); only h is used afterwards. */
	curl_multi_socket_action(h->multi, s->fd, flags, &running);
	check_done(h);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct sb_http *h = userp;
	struct http_sock *s = socketp;
	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			curl_multi_assign(h->multi, fd, NULL);
			sock_release(h, s);
		}
		return 0;
	}
	if (!s) {
		s = sb_xcalloc(1, sizeof *s);
		s->fd = fd;
		s->h = h;
		if (uv_poll_init_socket(h->loop, &s->poll, fd) != 0) {
			free(s);
			return -1;
		}
		s->poll.data = s;
		s->next = h->socks;
		if (h->socks)
			h->socks->prev = s;
		h->socks = s;
		curl_multi_assign(h->multi, fd, s);
	}
	int ev = 0;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= UV_READABLE;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= UV_WRITABLE;
	uv_poll_start(&s->poll, ev, on_poll);
	return 0;
}

static void on_timer(uv_timer_t *t)
{
	struct sb_http *h = t->data;
	int running;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(h);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct sb_http *h = userp;
	(void)multi;
	if (timeout_ms < 0)
		uv_timer_stop(&h->timer);
	else
		uv_timer_start(&h->timer, on_timer, (uint64_t)timeout_ms, 0);
	return 0;
}

/* ---- response collection ----------------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *userp)
{
	struct http_xfer *x = userp;
	size_t len = size * n;
	return sb_buf_put(&x->rx, p, len) ? len : 0; /* 0 aborts the transfer with CURLE_WRITE_ERROR */
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

static void limits_reset(struct sb_http_limits *l)
{
	memset(l, 0, sizeof *l);
	l->used_weight_1m = SB_HTTP_HEADER_ABSENT;
	l->order_count_10s = SB_HTTP_HEADER_ABSENT;
	l->order_count_1d = SB_HTTP_HEADER_ABSENT;
	l->retry_after_s = SB_HTTP_HEADER_ABSENT;
}

static bool name_is(const char *name, size_t nlen, const char *want)
{
	return nlen == strlen(want) && strncasecmp(name, want, nlen) == 0;
}

static void note_weight(struct sb_http_limits *l, const char *ivl, size_t ilen, int64_t v)
{
	if (ilen == 0 || ilen >= SB_HTTP_INTERVAL_LEN)
		return;
	if (ilen == 2 && (ivl[0] == '1') && (ivl[1] == 'm' || ivl[1] == 'M'))
		l->used_weight_1m = v;
	if (l->nweights == SB_HTTP_MAX_WEIGHTS)
		return;
	struct sb_http_weight *w = &l->weights[l->nweights++];
	for (size_t i = 0; i < ilen; i++)
		w->interval[i] = (ivl[i] >= 'a' && ivl[i] <= 'z') ? (char)(ivl[i] - 'a' + 'A') : ivl[i];
	w->interval[ilen] = '\0';
	w->value = v;
}

/* Called once per header line, including the status line and the blank line that ends the block. */
static size_t on_header(char *p, size_t size, size_t n, void *userp)
{
	struct http_xfer *x = userp;
	size_t len = size * n;
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		limits_reset(&x->limits); /* a new response block (after 100 Continue) */
		return len;
	}
	const char *colon = memchr(p, ':', len);
	if (!colon)
		return len;
	size_t nlen = (size_t)(colon - p);
	const char *val = colon + 1;
	size_t vlen = len - nlen - 1;
	int64_t v;
	static const char weight[] = "x-mbx-used-weight-";
	if (nlen > sizeof weight - 1 && strncasecmp(p, weight, sizeof weight - 1) == 0) {
		if (parse_count(val, vlen, &v))
			note_weight(&x->limits, p + sizeof weight - 1, nlen - (sizeof weight - 1), v);
	} else if (name_is(p, nlen, "x-mbx-order-count-10s")) {
		if (parse_count(val, vlen, &v))
			x->limits.order_count_10s = v;
	} else if (name_is(p, nlen, "x-mbx-order-count-1d")) {
		if (parse_count(val, vlen, &v))
			x->limits.order_count_1d = v;
	} else if (name_is(p, nlen, "retry-after")) {
		if (parse_count(val, vlen, &v))
			x->limits.retry_after_s = v;
	}
	return len;
}

/* ---- requests ----------------------------------------------------------------------------------- */

static CURL *easy_get(struct sb_http *h)
{
	if (h->npool) {
		CURL *e = h->pool[--h->npool];
		curl_easy_reset(e);
		return e;
	}
	return curl_easy_init();
}

static void easy_put(struct sb_http *h, CURL *e)
{
	if (!e)
		return;
	if (h->npool < h->pool_cap && !h->closing)
		h->pool[h->npool++] = e;
	else
		curl_easy_cleanup(e);
}

static void xfer_unlink(struct sb_http *h, struct http_xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		h->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
	h->in_flight--;
}

static void xfer_free(struct sb_http *h, struct http_xfer *x)
{
	easy_put(h, x->easy);
	curl_slist_free_all(x->hdrs);
	free(x->url);
	free(x->body);
	sb_buf_fini(&x->rx);
	free(x);
}

static sb_err map_result(const struct http_xfer *x, CURLcode rc)
{
	switch (rc) {
	case CURLE_OK:
		return SB_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return SB_ERR_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return SB_ERR_TOO_LONG;
	case CURLE_WRITE_ERROR:
		return x->rx.overflow ? SB_ERR_TOO_LONG : SB_ERR_NETWORK;
	default:
		return SB_ERR_NETWORK;
	}
}

/* Ends x: it must already be unlinked and out of the multi handle. Runs the callback, then frees x. */
static void finish(struct sb_http *h, struct http_xfer *x, sb_err err)
{
	struct sb_http_resp r;
	memset(&r, 0, sizeof r);
	r.err = err;
	r.id = x->id;
	r.limits = x->limits;
	r.body = sb_buf_str(&x->rx);
	r.body_len = x->rx.len;
	r.latency_us = (uv_hrtime() - x->start_ns) / 1000u;
	r.errmsg = x->errbuf;
	long status = 0, connects = 0, req_size = 0;
	if (x->easy) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &connects);
		curl_easy_getinfo(x->easy, CURLINFO_REQUEST_SIZE, &req_size);
	}
	r.status = status;
	r.sent = req_size > 0;
	r.new_connection = connects > 0;
	if (err == SB_ERR_SHUTDOWN && !x->errbuf[0])
		r.errmsg = "cancelled";
	if (err == SB_ERR_TOO_LONG)
		sb_log_warn("http", SB_FIELDS(SB_F_UINT("id", x->id), SB_F_UINT("max_body", h->max_body)),
		            "response body over its limit; request failed");
	h->requests++;
	if (connects > 0)
		h->connections += (uint64_t)connects;
	h->depth++;
	x->cb(x->user, &r);
	h->depth--;
	xfer_free(h, x);
}

/* Keeps what curl needs of req until the request starts: a queued request holds no easy handle. */
static sb_err prepare(struct http_xfer *x, const struct sb_http_req *req)
{
	for (size_t i = 0; i < req->nheaders; i++) {
		if (!req->headers[i] || !strchr(req->headers[i], ':'))
			return SB_ERR_INVALID;
		x->hdrs = curl_slist_append(x->hdrs, req->headers[i]);
	}
	/* curl would wait for "100 Continue" before sending a large body: a round trip for nothing. */
	x->hdrs = curl_slist_append(x->hdrs, "Expect:");
	x->method = req->method;
	x->url = sb_xstrdup(req->url);
	x->timeout_ms = req->timeout_ms;
	if (req->method != SB_HTTP_GET) {
		x->body = sb_xmalloc(req->body_len + 1);
		if (req->body_len)
			memcpy(x->body, req->body, req->body_len);
		x->body[req->body_len] = '\0';
		x->body_len = req->body_len;
		char ct[160];
		snprintf(ct, sizeof ct, "Content-Type: %s",
		         req->content_type ? req->content_type : "application/x-www-form-urlencoded");
		x->hdrs = curl_slist_append(x->hdrs, ct);
	}
	return x->hdrs ? SB_OK : SB_ERR_NOMEM;
}

/* Sets x's easy handle up for x. */
static void setup_easy(struct sb_http *h, struct http_xfer *x)
{
	CURL *e = x->easy;
	curl_easy_setopt(e, CURLOPT_URL, x->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)x);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(x->timeout_ms ? x->timeout_ms : h->timeout_ms));
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)h->connect_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->user_agent);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
	if (h->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	} else {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
		if (h->ca_file)
			curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	}
	if (x->method == SB_HTTP_GET) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
		if (x->method != SB_HTTP_POST)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, sb_http_method_name(x->method));
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
}

/* Appends x to the queue of requests waiting for a slot. */
static void queue_push(struct sb_http *h, struct http_xfer *x)
{
	x->next = NULL;
	if (h->qtail)
		h->qtail->next = x;
	else
		h->queue = x;
	h->qtail = x;
	h->queued++;
}

static struct http_xfer *queue_pop(struct sb_http *h)
{
	struct http_xfer *x = h->queue;
	h->queue = x->next;
	if (!h->queue)
		h->qtail = NULL;
	x->next = NULL;
	h->queued--;
	return x;
}

static void on_reap(uv_timer_t *t)
{
	check_done(t->data);
}

/*
 * Hands x to curl and drives it at once, so its bytes leave now when a kept-alive connection is free. A
 * transfer this ends is not collected here (that would run a callback inside sb_http_request): the reap
 * timer collects it on the next turn. False when curl refuses the handle.
 */
static bool start(struct sb_http *h, struct http_xfer *x)
{
	x->easy = easy_get(h);
	if (!x->easy)
		return false;
	setup_easy(h, x);
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK)
		return false;
	x->prev = NULL;
	x->next = h->xfers;
	if (h->xfers)
		h->xfers->prev = x;
	h->xfers = x;
	h->in_flight++;
	int running = 0;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	if ((size_t)running < h->in_flight)
		uv_timer_start(&h->reap, on_reap, 0, 0);
	return true;
}

/* Starts queued requests, oldest first, while slots are free. Runs from the loop only: a refused start
 * ends its request with a callback. */
static void dispatch(struct sb_http *h)
{
	while (h->queue && h->in_flight < h->max_in_flight && !h->closing) {
		struct http_xfer *x = queue_pop(h);
		if (!start(h, x)) {
			snprintf(x->errbuf, sizeof x->errbuf, "curl refused the request");
			finish(h, x, SB_ERR_NETWORK);
		}
	}
}

static void check_done(struct sb_http *h)
{
	CURLMsg *m;
	int left;
	while (!h->free_pending && (m = curl_multi_info_read(h->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURL *e = m->easy_handle;
		CURLcode rc = m->data.result;
		struct http_xfer *x = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(h->multi, e);
		if (!x)
			continue;
		xfer_unlink(h, x);
		finish(h, x, map_result(x, rc));
	}
	if (!h->free_pending)
		dispatch(h);
	maybe_free(h);
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
	x->id = ++h->next_id;
	sb_buf_init(&x->rx, h->max_body + 1); /* the NUL after the body counts in the maximum */
	limits_reset(&x->limits);
	sb_err err = prepare(x, req);
	if (err)
		goto fail;
	x->start_ns = uv_hrtime();
	bool wait = h->queue || h->in_flight >= h->max_in_flight; /* FIFO: nobody overtakes the queue */
	sb_log_debug("http",
	             SB_FIELDS(SB_F_UINT("id", x->id), SB_F_STR("method", sb_http_method_name(req->method))),
	             wait ? "request queued" : "request started");
	if (wait) {
		queue_push(h, x);
	} else if (!start(h, x)) {
		err = SB_ERR_IO;
		goto fail;
	}
	if (id_out)
		*id_out = x->id;
	return SB_OK;
fail:
	xfer_free(h, x);
	return err;
}

/* Ends every request on the wire, then every queued one, now. Requests that callbacks start meanwhile are
 * not part of this round. */
static void cancel_list(struct sb_http *h)
{
	struct http_xfer *list = h->xfers, *queue = h->queue;
	h->xfers = NULL;
	h->in_flight = 0;
	h->queue = h->qtail = NULL;
	h->queued = 0;
	while (list) {
		struct http_xfer *x = list;
		list = x->next;
		if (list)
			list->prev = NULL;
		x->next = x->prev = NULL;
		curl_multi_remove_handle(h->multi, x->easy);
		finish(h, x, SB_ERR_SHUTDOWN);
	}
	while (queue) {
		struct http_xfer *x = queue;
		queue = x->next;
		x->next = NULL;
		finish(h, x, SB_ERR_SHUTDOWN);
	}
}

void sb_http_cancel_all(struct sb_http *h)
{
	if (!h || h->freeing)
		return;
	cancel_list(h);
	maybe_free(h);
}

void sb_http_stats(const struct sb_http *h, struct sb_http_stats *out)
{
	memset(out, 0, sizeof *out);
	if (!h)
		return;
	out->requests = h->requests;
	out->connections = h->connections;
	out->in_flight = h->in_flight + h->queued;
	out->queued = h->queued;
}

static void timer_closed(uv_handle_t *handle)
{
	struct sb_http *h = handle->data;
	if (--h->open_handles == 0)
		free(h);
}

static void really_free(struct sb_http *h)
{
	/* Requests cannot start any more (closing), but cancel anything a callback slipped in. */
	while (h->xfers || h->queue)
		cancel_list(h);
	for (size_t i = 0; i < h->npool; i++)
		curl_easy_cleanup(h->pool[i]);
	h->npool = 0;
	curl_multi_cleanup(h->multi); /* closes kept connections, releasing their sockets through on_socket */
	h->multi = NULL;
	curl_global_cleanup();
	while (h->socks)
		sock_release(h, h->socks);
	free(h->pool);
	free(h->ca_file);
	free(h->user_agent);
	uv_timer_stop(&h->timer);
	uv_timer_stop(&h->reap);
	h->timer.data = h;
	h->reap.data = h;
	uv_close((uv_handle_t *)&h->timer, timer_closed);
	uv_close((uv_handle_t *)&h->reap, timer_closed);
}

/* Carries out a requested free once no callback of h is running. */
static void maybe_free(struct sb_http *h)
{
	if (h->free_pending && h->depth == 0 && !h->freeing) {
		h->freeing = true;
		really_free(h);
	}
}

void sb_http_free(struct sb_http *h)
{
	if (!h || h->free_pending)
		return;
	h->closing = true;
	h->free_pending = true;
	cancel_list(h);
	maybe_free(h);
}

sb_err sb_http_new(uv_loop_t *loop, const struct sb_http_opts *opts, struct sb_http **out)
{
	static const struct sb_http_opts defaults;
	if (!loop || !out)
		return SB_ERR_INVALID;
	if (!opts)
		opts = &defaults;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return SB_ERR_IO;
	struct sb_http *h = sb_xcalloc(1, sizeof *h);
	h->loop = loop;
	h->multi = curl_multi_init();
	if (!h->multi) {
		curl_global_cleanup();
		free(h);
		return SB_ERR_IO;
	}
	h->ca_file = opts->ca_file ? sb_xstrdup(opts->ca_file) : NULL;
	h->user_agent = sb_xstrdup(opts->user_agent ? opts->user_agent : "spotbot");
	h->insecure = opts->insecure;
	h->timeout_ms = opts->timeout_ms ? opts->timeout_ms : SB_HTTP_TIMEOUT_DEFAULT;
	h->connect_ms = opts->connect_timeout_ms ? opts->connect_timeout_ms : SB_HTTP_CONNECT_DEFAULT;
	h->max_body = opts->max_body ? opts->max_body : SB_HTTP_MAX_BODY_DEFAULT;
	h->pool_cap = opts->pool_size ? opts->pool_size : SB_HTTP_POOL_DEFAULT;
	h->pool = sb_xcalloc(h->pool_cap, sizeof *h->pool);
	if (h->insecure)
		sb_log_warn("http", SB_NOFIELDS,
		            "TLS verification is OFF (insecure flag): never use this with real keys");
	h->max_in_flight = opts->max_in_flight ? opts->max_in_flight : SB_HTTP_INFLIGHT_DEFAULT;
	uv_timer_init(loop, &h->timer);
	uv_timer_init(loop, &h->reap);
	h->timer.data = h;
	h->reap.data = h;
	h->open_handles = 2;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	/* Keep as many connections as requests can be on the wire: a burst then finds them all alive. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, (long)h->max_in_flight);
	*out = h;
	return SB_OK;
}

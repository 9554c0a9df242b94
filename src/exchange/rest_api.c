/*
 * rest_api.c - the Binance REST client on the libuv loop (see binance_rest.h): a FIFO of calls, each
 * signed at the moment it is sent, held back by the request-weight gate, a 429 pause or a 418 ban, and
 * finished by exactly one typed callback.
 *
 * A call lives in exactly one place at a time: the queue, the HTTP client (in flight), the list waiting
 * for a time resync, or the list of results waiting to be delivered from the timer (so no callback ever
 * runs inside the call that submitted it). One uv_timer drives everything that waits: the 429 pause, the
 * minute rollover of the weight gate, and those deliveries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exchange/codec_doc.h"
#include "exchange/rest_build.h"
#include "exchange/rest_int.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"
#include "spotbot/sign.h"

#define COMPONENT       "rest"
#define BAN_DEFAULT_S   120 /* a 418 without Retry-After: Binance's shortest ban */
#define KEY_HEADER_NAME "X-MBX-APIKEY: "

/* A singly linked FIFO. */
struct fifo {
	struct sb_bn__call *head; /* next out */
	struct sb_bn__call *tail; /* last in */
	size_t n;                 /* entries */
};

struct sb_bn_rest {
	uv_loop_t *loop;               /* the program's loop */
	struct sb_http *http;          /* transport; NULL once freed */
	struct sb_signer *signer;      /* NULL: public calls only */
	char *base_url;                /* without a trailing '/' */
	char *key_header;              /* "X-MBX-APIKEY: ..."; NULL without a key */
	uint32_t recv_window_ms;       /* sent with every signed call */
	unsigned max_429;              /* requeues after 429 per call */
	int64_t offset_ms;             /* serverTime - wall clock */
	struct sb_bn_weight_gate gate; /* this minute's request weight */
	uint64_t paused_until;         /* uv_now ms before which nothing is sent (429) */
	uint64_t banned_until;         /* uv_now ms before which calls fail fast (418) */
	struct fifo queue;             /* calls waiting to be sent */
	struct fifo waiting;           /* calls waiting for a resync to finish */
	struct fifo done;              /* results to deliver from the timer */
	bool syncing;                  /* an automatic resync is queued or in flight */
	uv_timer_t timer;              /* pause, gate and delivery wake-ups */
	bool timer_armed;              /* timer is running */
	uint64_t timer_due;            /* uv_now ms it fires at */
	size_t in_flight;              /* HTTP requests in flight */
	bool closing;                  /* sb_bn_rest_free has begun */
	struct sb_bn_rest_stats st;    /* counters */
	void (*observe)(void *user, const char *path, uint64_t latency_us, long http_status); /* opts */
	void *observe_user;                                                                   /* opts */
};

static void pump(struct sb_bn_rest *r);
static void on_timer(uv_timer_t *t);
static void resync_done(struct sb_bn_rest *r, bool ok);

static void fifo_push(struct fifo *f, struct sb_bn__call *c)
{
	c->next = NULL;
	if (f->tail)
		f->tail->next = c;
	else
		f->head = c;
	f->tail = c;
	f->n++;
}

static void fifo_push_front(struct fifo *f, struct sb_bn__call *c)
{
	c->next = f->head;
	f->head = c;
	if (!f->tail)
		f->tail = c;
	f->n++;
}

static struct sb_bn__call *fifo_pop(struct fifo *f)
{
	struct sb_bn__call *c = f->head;
	if (!c)
		return NULL;
	f->head = c->next;
	if (!f->head)
		f->tail = NULL;
	f->n--;
	c->next = NULL;
	return c;
}

/* Moves all of src, in order, in front of dst. */
static void fifo_prepend_all(struct fifo *dst, struct fifo *src)
{
	if (!src->head)
		return;
	src->tail->next = dst->head;
	if (!dst->tail)
		dst->tail = src->tail;
	dst->head = src->head;
	dst->n += src->n;
	memset(src, 0, sizeof *src);
}

static int64_t server_now(const struct sb_bn_rest *r)
{
	return sb_clock_wall_ms() + r->offset_ms;
}

static void arm(struct sb_bn_rest *r, uint64_t delay_ms)
{
	if (r->closing)
		return;
	uint64_t due = uv_now(r->loop) + delay_ms;
	if (r->timer_armed && r->timer_due <= due)
		return;
	r->timer_armed = true;
	r->timer_due = due;
	uv_timer_start(&r->timer, on_timer, delay_ms, 0);
}

/* ---- finishing a call ----------------------------------------------------------------------------- */

static void set_detail(struct sb_bn__call *c, const char *text)
{
	snprintf(c->res.detail, sizeof c->res.detail, "%s", text ? text : "");
}

/* Runs the user's callback with a typed result (NULL unless err is SB_OK) and frees the call. */
static void deliver(struct sb_bn__call *c, sb_err err, void *payload)
{
	struct sb_bn_rest *r = c->rest;
	c->res.err = err;
	if (c->kind != SB_BN__K_SYNC) {
		r->st.completed++;
		r->st.by_err[err]++;
	}
	const struct sb_bn_rest_result *res = &c->res;
	void *u = c->user;
	switch (c->kind) {
	case SB_BN__K_SYNC:
		resync_done(r, err == SB_OK);
		break;
	case SB_BN__K_TIME:
		c->cb.time(u, res, payload ? *(int64_t *)payload : 0);
		break;
	case SB_BN__K_INFO:
		c->cb.info(u, res, payload);
		break;
	case SB_BN__K_TICKERS:
		c->cb.tickers(u, res, payload);
		break;
	case SB_BN__K_CANDLES:
		c->cb.candles(u, res, payload);
		break;
	case SB_BN__K_ACCOUNT:
		c->cb.account(u, res, payload);
		break;
	case SB_BN__K_COMMISSION:
		c->cb.commission(u, res, payload);
		break;
	case SB_BN__K_ORDER:
		c->cb.order(u, res, payload);
		break;
	case SB_BN__K_ORDERS:
		c->cb.orders(u, res, payload);
		break;
	case SB_BN__K_TRADES:
		c->cb.trades(u, res, payload);
		break;
	}
	free(c);
}

/* Queues a result for delivery from the timer (used where a callback must not run yet). */
static void deliver_later(struct sb_bn_rest *r, struct sb_bn__call *c, sb_err err)
{
	c->res.err = err;
	fifo_push(&r->done, c);
	arm(r, 0);
}

static void drain_done(struct sb_bn_rest *r)
{
	struct sb_bn__call *c;
	while ((c = fifo_pop(&r->done)))
		deliver(c, c->res.err, NULL);
}

/* Ends every call of f with err. Callbacks may free the client; the lists are emptied by then. */
static void fail_all(struct fifo *f, sb_err err)
{
	struct sb_bn__call *c;
	while ((c = fifo_pop(f)))
		deliver(c, err, NULL);
}

/* ---- sending -------------------------------------------------------------------------------------- */

static void on_http_done(void *user, const struct sb_http_resp *resp);

static sb_err send_call(struct sb_bn_rest *r, struct sb_bn__call *c)
{
	char params[SB_BN_REST_PARAMS_MAX + 256];
	char url[SB_BN_REST_URL_MAX];
	size_t plen = 0;
	sb_err e = sb_bn_rest_sign(&c->req, r->signer, r->recv_window_ms, server_now(r), params,
	                           sizeof params, &plen);
	if (e)
		return e;
	/* DELETE carries its parameters in the body like POST (Binance takes either): a DELETE with an empty
	 * body goes out with "Content-Length: 0", which spotsim's server reads as a body still to come. */
	bool in_query = c->req.method == SB_HTTP_GET;
	int n = snprintf(url, sizeof url, "%s%s%s%s", r->base_url, c->req.path, in_query && plen ? "?" : "",
	                 in_query ? params : "");
	if (n < 0 || (size_t)n >= sizeof url)
		return SB_ERR_TOO_LONG;
	struct sb_http_req hr = {.method = c->req.method, .url = url};
	if (!in_query) {
		hr.body = params;
		hr.body_len = plen;
	}
	if (c->req.is_signed)
		hr.headers[hr.nheaders++] = r->key_header;
	c->res.detail[0] = '\0';
	c->sent_us = sb_clock_wall_us();
	e = sb_http_request(r->http, &hr, on_http_done, c, NULL);
	if (e)
		return e;
	r->in_flight++;
	r->gate.in_flight += c->req.weight;
	r->st.requests++;
	c->res.attempts++;
	sb_log_debug(COMPONENT,
	             SB_FIELDS(SB_F_STR("method", sb_http_method_name(c->req.method)),
	                       SB_F_STR("path", c->req.path), SB_F_INT("weight", c->req.weight),
	                       SB_F_UINT("attempt", c->res.attempts)),
	             "request sent");
	return SB_OK;
}

/* Sends what the pause, the ban and the weight gate allow, in order; arms the timer for the rest. */
static void pump(struct sb_bn_rest *r)
{
	while (!r->closing && r->queue.head) {
		uint64_t now = uv_now(r->loop);
		struct sb_bn__call *c = r->queue.head;
		if (now < r->banned_until) {
			fifo_pop(&r->queue);
			deliver_later(r, c, SB_ERR_RATE_LIMIT);
			continue;
		}
		if (now < r->paused_until) {
			arm(r, r->paused_until - now);
			return;
		}
		int64_t wait = sb_bn_weight_gate_wait(&r->gate, server_now(r), c->req.weight);
		if (wait > 0) {
			if (!c->gate_counted) {
				c->gate_counted = true;
				r->st.gate_waits++;
				sb_log_info(
				    COMPONENT,
				    SB_FIELDS(SB_F_INT("used_weight", r->gate.used),
				              SB_F_INT("in_flight_weight", r->gate.in_flight),
				              SB_F_INT("weight", c->req.weight), SB_F_INT("wait_ms", wait)),
				    "request weight near the limit; holding %s until the minute rolls over",
				    c->req.path);
			}
			arm(r, (uint64_t)wait);
			return;
		}
		fifo_pop(&r->queue);
		sb_err e = send_call(r, c);
		if (e) {
			set_detail(c, sb_strerror(e));
			deliver_later(r, c, e);
		}
	}
}

static void on_timer(uv_timer_t *t)
{
	struct sb_bn_rest *r = t->data;
	r->timer_armed = false;
	drain_done(r);
	pump(r);
}

static sb_err submit(struct sb_bn_rest *r, struct sb_bn__call *c)
{
	sb_err e = SB_OK;
	if (r->closing)
		e = SB_ERR_SHUTDOWN;
	else if (uv_now(r->loop) < r->banned_until)
		e = SB_ERR_RATE_LIMIT;
	else if (c->req.is_signed && (!r->signer || !r->key_header))
		e = SB_ERR_PERM;
	if (e) {
		free(c);
		return e;
	}
	r->st.calls++;
	fifo_push(&r->queue, c);
	pump(r);
	return SB_OK;
}

struct sb_bn__call *sb_bn__call_new(struct sb_bn_rest *r, enum sb_bn__kind k, void *user)
{
	struct sb_bn__call *c = sb_xcalloc(1, sizeof *c);
	c->rest = r;
	c->kind = k;
	c->user = user;
	return c;
}

sb_err sb_bn__call_start(struct sb_bn_rest *r, struct sb_bn__call *c, sb_err build_err)
{
	if (build_err) {
		free(c);
		return build_err;
	}
	return submit(r, c);
}

/* ---- answers -------------------------------------------------------------------------------------- */

/* Sends waiters after a resync, or fails them with what they had when it could not be done. */
static void resync_done(struct sb_bn_rest *r, bool ok)
{
	r->syncing = false;
	if (ok) {
		fifo_prepend_all(&r->queue, &r->waiting);
		return;
	}
	struct sb_bn__call *c;
	while ((c = fifo_pop(&r->waiting)))
		deliver_later(r, c, r->closing ? SB_ERR_SHUTDOWN : c->res.err);
}

static void start_resync(struct sb_bn_rest *r, struct sb_bn__call *c)
{
	fifo_push(&r->waiting, c);
	if (r->syncing)
		return;
	r->syncing = true;
	r->st.resyncs++;
	struct sb_bn__call *s = sb_bn__call_new(r, SB_BN__K_SYNC, NULL);
	sb_bn_rest_build_time(&s->req);
	fifo_push_front(&r->queue, s);
	sb_log_warn(COMPONENT, SB_FIELDS(SB_F_INT("offset_ms", r->offset_ms)),
	            "timestamp outside recvWindow (-1021); measuring server time again");
}

static void apply_time(struct sb_bn_rest *r, struct sb_bn__call *c, int64_t server_ms)
{
	int64_t old = r->offset_ms;
	r->offset_ms = sb_bn_rest_offset_ms(c->sent_us, sb_clock_wall_us(), server_ms);
	r->st.time_offset_ms = r->offset_ms;
	sb_log_info(COMPONENT, SB_FIELDS(SB_F_INT("offset_ms", r->offset_ms), SB_F_INT("previous_ms", old)),
	            "server time measured");
}

/* Parses a 2xx document into the call's typed result and delivers it. */
static void deliver_doc(struct sb_bn_rest *r, struct sb_bn__call *c, const struct cJSON *doc)
{
	char err[SB_BN_TEXT_MAX] = "";
	sb_err e = SB_OK;
	union {
		int64_t time;
		struct sb_bn_exchange_info info;
		struct sb_bn_book_tickers tickers;
		struct sb_bn_candles candles;
		struct sb_bn_account account;
		struct sb_bn_commission commission;
		struct sb_bn_order order;
		struct sb_bn_order_list orders;
		struct sb_bn_my_trades trades;
	} u;
	memset(&u, 0, sizeof u);
	switch (c->kind) {
	case SB_BN__K_SYNC:
	case SB_BN__K_TIME:
		e = sb_bn_server_time_from_json(doc, &u.time, err, sizeof err);
		if (!e)
			apply_time(r, c, u.time);
		break;
	case SB_BN__K_INFO:
		e = sb_bn_exchange_info_from_json(doc, &u.info, err, sizeof err);
		break;
	case SB_BN__K_TICKERS:
		e = sb_bn_book_tickers_from_json(doc, &u.tickers, err, sizeof err);
		break;
	case SB_BN__K_CANDLES:
		e = sb_bn_candles_from_json(doc, &u.candles, err, sizeof err);
		break;
	case SB_BN__K_ACCOUNT:
		e = sb_bn_account_from_json(doc, &u.account, err, sizeof err);
		break;
	case SB_BN__K_COMMISSION:
		e = sb_bn_commission_from_json(doc, &u.commission, err, sizeof err);
		break;
	case SB_BN__K_ORDER:
		e = sb_bn_order_from_json(doc, c->shape, &u.order, err, sizeof err);
		break;
	case SB_BN__K_ORDERS:
		e = sb_bn_order_list_from_json(doc, &u.orders, err, sizeof err);
		break;
	case SB_BN__K_TRADES:
		e = sb_bn_my_trades_from_json(doc, &u.trades, err, sizeof err);
		break;
	}
	if (e) {
		/* An order the exchange accepted but whose answer cannot be read still exists. */
		if (c->req.is_order)
			e = SB_ERR_UNKNOWN_OUTCOME;
		set_detail(c, err);
		sb_log_error(COMPONENT, SB_FIELDS(SB_F_STR("path", c->req.path), SB_F_ERR(e)),
		             "unreadable answer: %s", err);
	}
	enum sb_bn__kind k = c->kind;
	deliver(c, e, e ? NULL : &u);
	switch (k) {
	case SB_BN__K_INFO:
		sb_bn_exchange_info_fini(&u.info);
		break;
	case SB_BN__K_TICKERS:
		sb_bn_book_tickers_fini(&u.tickers);
		break;
	case SB_BN__K_CANDLES:
		sb_bn_candles_fini(&u.candles);
		break;
	case SB_BN__K_ACCOUNT:
		sb_bn_account_fini(&u.account);
		break;
	case SB_BN__K_ORDER:
		sb_bn_order_fini(&u.order);
		break;
	case SB_BN__K_ORDERS:
		sb_bn_order_list_fini(&u.orders);
		break;
	case SB_BN__K_TRADES:
		sb_bn_my_trades_fini(&u.trades);
		break;
	default:
		break;
	}
}

/* How long a 429 or 418 says to stay away, ms. */
static uint64_t backoff_ms(const struct sb_bn_rest *r, const struct sb_http_resp *resp,
                           const struct sb_bn_api_error *api, uint64_t fallback_ms)
{
	if (resp->limits.retry_after_s >= 0)
		return (uint64_t)resp->limits.retry_after_s * 1000u;
	if (api->retry_after_ms > 0) {
		int64_t d = api->retry_after_ms - server_now(r);
		return d > 0 ? (uint64_t)d : 0;
	}
	return fallback_ms;
}

static void on_429(struct sb_bn_rest *r, struct sb_bn__call *c, const struct sb_http_resp *resp)
{
	r->st.n_429++;
	int64_t now = server_now(r);
	uint64_t ms = backoff_ms(r, resp, &c->res.api, (uint64_t)(60000 - now % 60000));
	uint64_t until = uv_now(r->loop) + ms;
	if (until > r->paused_until)
		r->paused_until = until;
	sb_log_warn(COMPONENT,
	            SB_FIELDS(SB_F_STR("path", c->req.path), SB_F_UINT("retry_after_ms", ms),
	                      SB_F_INT("code", c->res.api.code), SB_F_INT("used_weight", r->gate.used)),
	            "rate limited (429): pausing every request");
	if (++c->n429 <= r->max_429) {
		fifo_push_front(&r->queue, c);
		return;
	}
	deliver(c, SB_ERR_RATE_LIMIT, NULL);
}

static void on_418(struct sb_bn_rest *r, struct sb_bn__call *c, const struct sb_http_resp *resp)
{
	r->st.n_418++;
	uint64_t ms = backoff_ms(r, resp, &c->res.api, BAN_DEFAULT_S * 1000u);
	uint64_t until = uv_now(r->loop) + ms;
	if (until > r->banned_until)
		r->banned_until = until;
	sb_log_error(COMPONENT,
	             SB_FIELDS(SB_F_STR("path", c->req.path), SB_F_UINT("ban_ms", ms),
	                       SB_F_STRN("msg", c->res.api.msg, strlen(c->res.api.msg))),
	             "IP banned (418): every request fails until the ban ends");
	deliver(c, SB_ERR_RATE_LIMIT, NULL);
	fail_all(&r->queue, SB_ERR_RATE_LIMIT);
}

/* An answer with an error status (or an unparsable 2xx). */
static void on_error_answer(struct sb_bn_rest *r, struct sb_bn__call *c, const struct sb_http_resp *resp,
                            sb_err e, const char *why)
{
	set_detail(c, why);
	if (resp->status == 429) {
		on_429(r, c, resp);
		return;
	}
	if (resp->status == 418) {
		on_418(r, c, resp);
		return;
	}
	if (c->res.api.code == -1021 && c->req.is_signed && !c->resent) {
		c->resent = true;
		c->res.err = e;
		start_resync(r, c);
		return;
	}
	if (e == SB_ERR_UNKNOWN_OUTCOME && !c->req.is_order)
		e = SB_ERR_NETWORK; /* nothing was changed by a read: a plain failure, safe to retry */
	if (e == SB_ERR_PARSE && c->req.is_order)
		e = SB_ERR_UNKNOWN_OUTCOME;
	deliver(c, e, NULL);
}

/* No answer: the transport failed. */
static void on_transport_error(struct sb_bn__call *c, const struct sb_http_resp *resp)
{
	sb_err e = resp->err;
	set_detail(c, resp->errmsg);
	if (e != SB_ERR_SHUTDOWN) {
		if (!resp->sent)
			e = SB_ERR_NETWORK; /* never reached the server: safe to retry */
		else if (c->req.is_order)
			e = SB_ERR_UNKNOWN_OUTCOME;
		sb_log_warn(COMPONENT,
		            SB_FIELDS(SB_F_STR("path", c->req.path), SB_F_ERR(e),
		                      SB_F_BOOL("sent", resp->sent),
		                      SB_F_UINT("latency_us", resp->latency_us)),
		            "request failed: %s", resp->errmsg);
	}
	deliver(c, e, NULL);
}

static void on_http_done(void *user, const struct sb_http_resp *resp)
{
	struct sb_bn__call *c = user;
	struct sb_bn_rest *r = c->rest;
	r->in_flight--;
	r->gate.in_flight -= c->req.weight;
	c->res.transport_err = resp->err;
	c->res.sent = resp->sent;
	c->res.http_status = resp->status;
	c->res.latency_us = resp->latency_us;
	if (resp->err) {
		on_transport_error(c, resp);
	} else {
		r->st.last_latency_us = resp->latency_us;
		if (r->observe)
			r->observe(r->observe_user, c->req.path, resp->latency_us, resp->status);
		sb_bn_weight_gate_observe(&r->gate, server_now(r), resp->limits.used_weight_1m);
		struct cJSON *doc = NULL;
		char why[SB_BN_TEXT_MAX] = "";
		size_t max = c->kind == SB_BN__K_INFO ? SB_BN_DOC_MAX : SB_BN_MSG_MAX;
		sb_err e = sb_bn_rest_parse(resp->body, resp->body_len, max, (int)resp->status, &doc,
		                            &c->res.api, why, sizeof why);
		if (e)
			on_error_answer(r, c, resp, e, why);
		else
			deliver_doc(r, c, doc);
		sb_bn_doc_free(doc);
	}
	pump(r);
}

/* ---- life cycle ----------------------------------------------------------------------------------- */

/* A header value must not be able to end its line. */
static bool header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static sb_err make_signer(const struct sb_bn_rest_opts *o, struct sb_signer **out)
{
	*out = NULL;
	if (o->ed25519_key_file && *o->ed25519_key_file)
		return sb_signer_new_ed25519_file(o->ed25519_key_file, out);
	if (o->hmac_secret && *o->hmac_secret) {
		sb_log_add_secret(o->hmac_secret);
		return sb_signer_new_hmac(o->hmac_secret, strlen(o->hmac_secret), out);
	}
	return SB_OK;
}

sb_err sb_bn_rest_new(uv_loop_t *loop, const struct sb_bn_rest_opts *opts, struct sb_bn_rest **out)
{
	if (!loop || !opts || !out || !opts->base_url || !*opts->base_url)
		return SB_ERR_INVALID;
	*out = NULL;
	if (opts->recv_window_ms > SB_BN_REST_RECV_WINDOW_MAX || opts->margin_pct > 100 ||
	    opts->weight_limit < 0 || (opts->api_key && !header_safe(opts->api_key)))
		return SB_ERR_INVALID;
	struct sb_bn_rest *r = sb_xcalloc(1, sizeof *r);
	r->loop = loop;
	sb_err e = make_signer(opts, &r->signer);
	if (e)
		goto fail;
	struct sb_http_opts ho = {.ca_file = opts->ca_file,
	                          .insecure = opts->insecure,
	                          .timeout_ms = opts->timeout_ms,
	                          .max_body = SB_BN_DOC_MAX};
	e = sb_http_new(loop, &ho, &r->http);
	if (e)
		goto fail;
	r->base_url = sb_xstrdup(opts->base_url);
	size_t bl = strlen(r->base_url);
	while (bl > 0 && r->base_url[bl - 1] == '/')
		r->base_url[--bl] = '\0';
	if (opts->api_key && *opts->api_key) {
		sb_log_add_secret(opts->api_key);
		size_t kl = strlen(KEY_HEADER_NAME) + strlen(opts->api_key) + 1;
		r->key_header = sb_xmalloc(kl);
		snprintf(r->key_header, kl, "%s%s", KEY_HEADER_NAME, opts->api_key);
	}
	r->recv_window_ms = opts->recv_window_ms ? opts->recv_window_ms : SB_BN_REST_RECV_WINDOW_DEFAULT;
	r->max_429 = opts->max_429_retries ? opts->max_429_retries : SB_BN_REST_429_RETRIES;
	r->observe = opts->observe;
	r->observe_user = opts->observe_user;
	sb_bn_weight_gate_init(&r->gate, opts->weight_limit, opts->margin_pct);
	uv_timer_init(loop, &r->timer);
	r->timer.data = r;
	*out = r;
	return SB_OK;
fail:
	sb_signer_free(r->signer);
	sb_http_free(r->http);
	free(r);
	return e;
}

/* Ends every call not in flight; ending a resync can move its waiters, hence the loop. */
static void end_lists(struct sb_bn_rest *r)
{
	while (r->done.n || r->waiting.n || r->queue.n) {
		drain_done(r);
		fail_all(&r->waiting, SB_ERR_SHUTDOWN);
		fail_all(&r->queue, SB_ERR_SHUTDOWN);
	}
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

void sb_bn_rest_free(struct sb_bn_rest *r)
{
	if (!r || r->closing)
		return;
	r->closing = true;
	uv_timer_stop(&r->timer);
	r->timer_armed = false;
	end_lists(r);
	/* Cancels what is in flight: on_http_done delivers SB_ERR_SHUTDOWN for each. */
	sb_http_free(r->http);
	r->http = NULL;
	end_lists(r); /* a resync that was in flight releases its waiters */
	sb_signer_free(r->signer);
	r->signer = NULL;
	free(r->base_url);
	free(r->key_header);
	uv_close((uv_handle_t *)&r->timer, on_closed);
}

void sb_bn_rest_stats(const struct sb_bn_rest *r, struct sb_bn_rest_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (!r)
		return;
	*out = r->st;
	uint64_t now = uv_now(r->loop);
	int64_t m = server_now(r);
	m -= m % 60000;
	out->used_weight = r->gate.minute == m ? r->gate.used : 0;
	out->in_flight_weight = r->gate.in_flight;
	out->time_offset_ms = r->offset_ms;
	out->queued = r->queue.n + r->waiting.n;
	out->in_flight = r->in_flight;
	out->paused = now < r->paused_until;
	out->banned = now < r->banned_until;
}

void sb_bn_rest_observe_weight(struct sb_bn_rest *r, int64_t used)
{
	if (r && !r->closing)
		sb_bn_weight_gate_observe(&r->gate, server_now(r), used);
}

int64_t sb_bn_rest_time_offset(const struct sb_bn_rest *r)
{
	return r ? r->offset_ms : 0;
}

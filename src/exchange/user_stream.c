/*
 * user_stream.c - Binance's user data stream over the WebSocket API (see binance_streams.h).
 *
 * One connection, one subscription, a small state machine:
 *
 *   DOWN --open--> (Ed25519: LOGON --200-->) SUBSCRIBING --200 {subscriptionId}--> SUBSCRIBED
 *   SUBSCRIBED --eventStreamTerminated--> SUBSCRIBING          any refusal --> WAIT_RETRY --timer--> again
 *   any --close--> DOWN (sb_ws reconnects)                     serverShutdown, a dead probe --> drop
 *
 * Every request carries a fresh timestamp (local wall clock plus the owner's server-time offset) and is
 * signed over Binance's sorted parameter string. Requests are never logged: they hold the API key and a
 * signature. Every confirmed subscription is followed by the owner's reconcile callback, since events may
 * have been missed while there was none.
 *
 * While subscribed, the connection also carries orders (order.place, user_stream_order.c builds and reads
 * them): each waits in a list by request id for its answer, which ends it in the REST client's terms; a
 * close or its timeout ends it as an unknown outcome, which the owner settles by query as after a REST
 * timeout. The watchdog's one timer is armed for the earliest thing due (an unanswered request or order,
 * the silence probe, the connection's age), so a quiet stream costs no wake-ups.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/json_out.h"
#include "exchange/codec_doc.h"
#include "exchange/rest_build.h"
#include "exchange/wsapi_order.h"
#include "spotbot/alloc.h"
#include "spotbot/binance_streams.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"
#include "spotbot/query.h"

#define US_KEY_MAX             128                   /* API key with NUL (Binance's are 64) */
#define US_ERR_MAX             160                   /* codec error text */
#define US_TICK_RETRY_MS       250                   /* a due watchdog action is looked at again after */
#define US_RETRY_MIN_MS        1000                  /* first delay after a refused subscription */
#define US_RECONNECT_DEF       (23u * 3600u * 1000u) /* planned reconnect age */
#define US_PAYLOAD_MAX         1024                  /* signing payload */
#define ERR_ALREADY_SUBSCRIBED (-2035)               /* userDataStream subscription already active */
#define ERR_TIMESTAMP          (-1021)               /* timestamp outside recvWindow */

/* ---- request building -------------------------------------------------------------------------- */

/* A JSON number as Binance takes it: optional '-', digits, optional fraction. */
static bool is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

sb_err sb_bn_ws_request_build(struct sb_signer *signer, int64_t id, const char *method,
                              const struct sb_bn_ws_param *params, size_t n, char *out, size_t cap,
                              size_t *outlen)
{
	if (!method || !out || cap == 0 || (n && !params))
		return SB_ERR_INVALID;
	if (n > SB_QUERY_MAX_PAIRS)
		return SB_ERR_TOO_LONG;
	out[0] = '\0';
	struct sb_query_pair pairs[SB_QUERY_MAX_PAIRS];
	for (size_t i = 0; i < n; i++) {
		if (!params[i].key || !params[i].val || (params[i].number && !is_number(params[i].val)))
			return SB_ERR_INVALID;
		pairs[i] = (struct sb_query_pair){.key = params[i].key,
		                                  .key_len = strlen(params[i].key),
		                                  .val = params[i].val,
		                                  .val_len = strlen(params[i].val)};
	}
	char sig[SB_SIGN_MAX] = "";
	if (signer) {
		char payload[US_PAYLOAD_MAX];
		size_t plen = 0;
		sb_err e = sb_query_ws_payload(pairs, n, payload, sizeof payload, &plen);
		if (!e)
			e = sb_signer_sign(signer, payload, plen, sig, sizeof sig, NULL);
		if (e)
			return e;
	} else {
		/* Unsigned: still refuse a repeated key, as the server would. */
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++)
				if (strcmp(params[i].key, params[j].key) == 0)
					return SB_ERR_EXISTS;
	}
	struct sb_buf w;
	sb_buf_init(&w, cap);
	sb_buf_puts(&w, "{\"id\":");
	sb_json_i64(&w, id);
	sb_buf_puts(&w, ",\"method\":");
	sb_json_str(&w, method);
	if (n || signer) {
		sb_buf_puts(&w, ",\"params\":{");
		for (size_t i = 0; i < n; i++) {
			sb_json_key(&w, params[i].key);
			if (params[i].number)
				sb_buf_puts(&w, params[i].val);
			else
				sb_json_str(&w, params[i].val);
			sb_buf_putc(&w, ',');
		}
		if (signer) {
			sb_json_key(&w, "signature");
			sb_json_str(&w, sig);
		}
		sb_buf_trim(&w, ',');
		sb_buf_putc(&w, '}');
	}
	sb_buf_putc(&w, '}');
	sb_err err = w.overflow ? SB_ERR_TOO_LONG : SB_OK;
	if (!err)
		memcpy(out, sb_buf_str(&w), w.len + 1);
	if (!err && outlen)
		*outlen = w.len;
	sb_buf_fini(&w);
	return err;
}

/* ---- the stream --------------------------------------------------------------------------------- */

enum us_state {
	US_DOWN,        /* no open connection */
	US_LOGON,       /* session.logon sent (Ed25519) */
	US_SUBSCRIBING, /* subscription request sent */
	US_WAIT_RETRY,  /* a request was refused; the retry timer runs */
	US_SUBSCRIBED,  /* events flow */
};

const char *sb_bn_reconcile_reason_name(enum sb_bn_reconcile_reason r)
{
	switch (r) {
	case SB_BN_RECONCILE_SUBSCRIBED:
		return "subscribed";
	case SB_BN_RECONCILE_SILENT:
		return "silent";
	case SB_BN_RECONCILE_DEAD:
		return "dead";
	}
	return "unknown";
}

/* An order.place awaiting its answer. */
struct us_order {
	struct us_order *next;        /* next pending, later sent */
	int64_t id;                   /* request id */
	uint64_t sent_mono;           /* when it was sent */
	uint64_t sent_ns;             /* the same, in ns, for its latency */
	enum sb_bn_order_shape shape; /* what the answer's result holds */
	sb_bn_rest_order_cb cb;       /* the caller's callback */
	void *user;                   /* its argument */
};

struct sb_bn_user_stream {
	struct sb_ws *ws;                      /* the WebSocket API connection */
	struct sb_bn_user_stream_ops ops;      /* owner's callbacks */
	void *user;                            /* their argument */
	char api_key[US_KEY_MAX];              /* copied; never logged */
	struct sb_signer *signer;              /* borrowed */
	bool ed25519;                          /* logon first, then an unsigned subscribe */
	int64_t recv_window_ms;                /* 0: not sent */
	int64_t offset_ms;                     /* server time minus local wall time */
	uint32_t silence_ms, probe_timeout_ms; /* watchdog */
	uint32_t reconnect_ms;                 /* planned reconnect age */
	enum us_state state;                   /* see enum */
	bool open;                             /* the connection is open */
	bool ever_open;                        /* a connection has opened before */
	unsigned conn;                         /* its id */
	int64_t next_id;                       /* last request id */
	int64_t req_id;                        /* the logon or subscribe request awaiting its answer; 0 */
	uint64_t req_mono;                     /* when it was sent */
	int64_t probe_id;                      /* probe awaiting its answer; 0 none */
	uint64_t probe_mono;                   /* when it was sent */
	int64_t sub_id;                        /* confirmed subscriptionId; -1 none */
	unsigned failures;                     /* consecutive refused requests, for the retry delay */
	void (*time_refused)(void *ctx);       /* opts.time_refused */
	void *time_ctx;                        /* its argument */
	void (*weight_seen)(void *, int64_t);  /* opts.weight_seen */
	void *weight_ctx;                      /* its argument */
	void (*observe)(void *, const char *, uint64_t, long); /* opts.observe */
	void *observe_ctx;                                     /* its argument */
	uint32_t order_timeout_ms;         /* an order unanswered this long: unknown outcome */
	struct us_order *orders;           /* order.place requests awaiting their answer, oldest first */
	uint64_t opened_mono;              /* when the connection opened */
	uint64_t quiet_since;              /* last event, subscription or silent reconcile */
	uv_timer_t tick;                   /* watchdog */
	uv_timer_t retry;                  /* next attempt after a refusal */
	int open_handles;                  /* timers not yet closed */
	struct sb_bn_user_stream_stats st; /* counters */
};

static uint64_t mono_ms(void)
{
	return sb_clock_mono_ms();
}

static void arm_tick(struct sb_bn_user_stream *us, uint64_t min_delay);

static void notify_link(struct sb_bn_user_stream *us, enum sb_bn_link l)
{
	sb_log_info("userstream", SB_FIELDS(SB_F_STR("link", sb_bn_link_name(l))), "user data stream %s",
	            sb_bn_link_name(l));
	if (us->ops.link)
		us->ops.link(us->user, l);
}

static void reconcile(struct sb_bn_user_stream *us, enum sb_bn_reconcile_reason why)
{
	us->st.reconciles++;
	sb_log_info("userstream", SB_FIELDS(SB_F_STR("reason", sb_bn_reconcile_reason_name(why))),
	            "reconciling with REST");
	if (us->ops.reconcile)
		us->ops.reconcile(us->user, why);
}

/* Sends a request; the text is not logged (it may hold the key and a signature). */
static sb_err send_request(struct sb_bn_user_stream *us, struct sb_signer *signer, const char *method,
                           int64_t *id_out)
{
	char req[SB_BN_US_REQUEST_MAX];
	char ts[32], rw[32];
	struct sb_bn_ws_param p[3];
	size_t n = 0;
	int64_t id = ++us->next_id;
	if (signer) {
		snprintf(ts, sizeof ts, "%lld", (long long)(sb_clock_wall_ms() + us->offset_ms));
		p[n++] = (struct sb_bn_ws_param){"apiKey", us->api_key, false};
		if (us->recv_window_ms) {
			snprintf(rw, sizeof rw, "%lld", (long long)us->recv_window_ms);
			p[n++] = (struct sb_bn_ws_param){"recvWindow", rw, true};
		}
		p[n++] = (struct sb_bn_ws_param){"timestamp", ts, true};
	}
	size_t len = 0;
	sb_err e = sb_bn_ws_request_build(signer, id, method, p, n, req, sizeof req, &len);
	if (!e)
		e = sb_ws_send(us->ws, req, len);
	if (e) {
		sb_log_warn("userstream", SB_FIELDS(SB_F_STR("method", method), SB_F_ERR(e)),
		            "request not sent");
		return e;
	}
	*id_out = id;
	return SB_OK;
}

/* Starts (or restarts) the subscription on the open connection. */
static void subscribe(struct sb_bn_user_stream *us)
{
	if (!us->open)
		return;
	us->sub_id = -1;
	sb_err e;
	if (us->ed25519) {
		e = send_request(us, us->signer, "session.logon", &us->req_id);
		us->state = US_LOGON;
	} else {
		e = send_request(us, us->signer, "userDataStream.subscribe.signature", &us->req_id);
		us->state = US_SUBSCRIBING;
	}
	us->req_mono = mono_ms();
	if (e) {
		us->req_id = 0;
		sb_ws_drop(us->ws); /* nothing sendable: start over on a new connection */
	}
	arm_tick(us, 0);
}

static void on_retry(uv_timer_t *t)
{
	struct sb_bn_user_stream *us = t->data;
	if (us->open && us->state == US_WAIT_RETRY)
		subscribe(us);
}

static void refused(struct sb_bn_user_stream *us, const struct sb_bn_ws_response *r, const char *what)
{
	us->st.sub_failures++;
	us->req_id = 0;
	sb_log_warn("userstream",
	            SB_FIELDS(SB_F_STR("request", what), SB_F_INT("status", r->status),
	                      SB_F_INT("code", r->error.code), SB_F_STR("msg", r->error.msg)),
	            "user data subscription refused");
	if (r->error.code == ERR_ALREADY_SUBSCRIBED) {
		/* The server holds a subscription we lost track of; a new connection has none. */
		sb_ws_drop(us->ws);
		return;
	}
	if (r->error.code == ERR_TIMESTAMP && us->time_refused)
		us->time_refused(us->time_ctx);
	uint64_t delay = (uint64_t)US_RETRY_MIN_MS << (us->failures < 6 ? us->failures : 6);
	if (delay > SB_BN_US_RETRY_MAX_MS)
		delay = SB_BN_US_RETRY_MAX_MS;
	us->failures++;
	us->state = US_WAIT_RETRY;
	uv_update_time(us->retry.loop);
	uv_timer_start(&us->retry, on_retry, delay, 0);
}

static void subscribed(struct sb_bn_user_stream *us, const struct sb_bn_ws_response *r)
{
	const cJSON *sid =
	    cJSON_IsObject(r->result) ? cJSON_GetObjectItemCaseSensitive(r->result, "subscriptionId") : NULL;
	double v = cJSON_IsNumber(sid) ? sid->valuedouble : -1.0;
	if (!(v >= 0.0 && v < 9007199254740992.0) || (double)(int64_t)v < v) {
		sb_log_warn("userstream", SB_NOFIELDS, "subscription answer without a valid subscriptionId");
		struct sb_bn_ws_response bad = *r;
		bad.error.code = 0;
		snprintf(bad.error.msg, sizeof bad.error.msg, "no subscriptionId");
		refused(us, &bad, "userDataStream.subscribe");
		return;
	}
	us->sub_id = (int64_t)v;
	us->req_id = 0;
	us->failures = 0;
	us->state = US_SUBSCRIBED;
	us->quiet_since = mono_ms();
	us->st.subscribes++;
	sb_log_info("userstream", SB_FIELDS(SB_F_INT("subscription_id", us->sub_id)),
	            "user data stream subscribed");
	notify_link(us, SB_BN_LINK_UP);
	reconcile(us, SB_BN_RECONCILE_SUBSCRIBED);
}

/* ---- orders ------------------------------------------------------------------------------------- */

/* Removes and returns the pending order of request id; NULL when none. */
static struct us_order *order_take(struct sb_bn_user_stream *us, int64_t id)
{
	for (struct us_order **pp = &us->orders; *pp; pp = &(*pp)->next) {
		if ((*pp)->id != id)
			continue;
		struct us_order *o = *pp;
		*pp = o->next;
		return o;
	}
	return NULL;
}

/* Ends a pending order with no answer: err (unknown outcome, shutdown) and why, for the caller's log. */
static void order_unanswered(struct us_order *o, sb_err err, const char *why)
{
	struct sb_bn_rest_result res = {.err = err, .sent = true, .attempts = 1};
	res.api.retry_after_ms = -1;
	snprintf(res.detail, sizeof res.detail, "%s", why);
	o->cb(o->user, &res, NULL);
	free(o);
}

/* Ends every pending order with err. The list is detached first: a callback may place the next order. */
static void orders_fail(struct sb_bn_user_stream *us, sb_err err, const char *why)
{
	struct us_order *l = us->orders;
	us->orders = NULL;
	while (l) {
		struct us_order *o = l;
		l = o->next;
		if (err == SB_ERR_UNKNOWN_OUTCOME)
			us->st.orders_unknown++;
		order_unanswered(o, err, why);
	}
}

/* The answer to a pending order: ends it as the REST client would end the same answer. */
static void order_answered(struct sb_bn_user_stream *us, struct us_order *o,
                           const struct sb_bn_ws_response *r)
{
	struct sb_bn_rest_result res;
	struct sb_bn_order order;
	sb_err e = sb_bn_ws_order_answer(r, o->shape, &res, &order);
	res.latency_us = (sb_clock_mono_ns() - o->sent_ns) / 1000u;
	if (us->observe)
		us->observe(us->observe_ctx, "order.place", res.latency_us, res.http_status);
	if (e == SB_ERR_UNKNOWN_OUTCOME && r->ok)
		sb_log_error("userstream", SB_FIELDS(SB_F_INT("id", o->id), SB_F_STR("why", res.detail)),
		             "unreadable order.place answer: outcome unknown");
	if (!r->ok && r->error.code == ERR_TIMESTAMP && us->time_refused)
		us->time_refused(us->time_ctx);
	o->cb(o->user, &res, e == SB_OK ? &order : NULL);
	if (e == SB_OK)
		sb_bn_order_fini(&order);
	free(o);
}

/* Orders unanswered past their time: unknown outcome, and the connection, which stopped answering, is
 * replaced (its close ends the other pending orders the same way). */
static bool orders_expire(struct sb_bn_user_stream *us, uint64_t now)
{
	if (!us->orders || now - us->orders->sent_mono < us->order_timeout_ms)
		return false;
	while (us->orders && now - us->orders->sent_mono >= us->order_timeout_ms) {
		struct us_order *o = us->orders;
		us->orders = o->next;
		us->st.orders_unknown++;
		us->st.order_timeouts++;
		sb_log_warn("userstream",
		            SB_FIELDS(SB_F_INT("id", o->id), SB_F_UINT("timeout_ms", us->order_timeout_ms)),
		            "order.place unanswered: outcome unknown, reconnecting");
		order_unanswered(o, SB_ERR_UNKNOWN_OUTCOME, "no answer on the WebSocket API");
	}
	sb_ws_drop(us->ws);
	return true;
}

static void on_response(struct sb_bn_user_stream *us, const struct sb_bn_ws_response *r)
{
	int64_t id = r->id.kind == SB_BN_ID_NUM ? r->id.num : -1;
	int64_t used = sb_bn_ws_used_weight(r);
	if (used >= 0 && us->weight_seen)
		us->weight_seen(us->weight_ctx, used);
	struct us_order *o = id > 0 ? order_take(us, id) : NULL;
	if (o) {
		order_answered(us, o, r);
		return;
	}
	if (us->probe_id && id == us->probe_id) {
		us->probe_id = 0; /* alive */
		return;
	}
	if (!us->req_id || id != us->req_id) {
		sb_log_warn("userstream", SB_FIELDS(SB_F_INT("id", id), SB_F_INT("status", r->status)),
		            "response to no pending request dropped");
		return;
	}
	if (us->state == US_LOGON) {
		if (!r->ok) {
			refused(us, r, "session.logon");
			return;
		}
		if (send_request(us, NULL, "userDataStream.subscribe", &us->req_id) != SB_OK) {
			us->req_id = 0;
			sb_ws_drop(us->ws);
			return;
		}
		us->state = US_SUBSCRIBING;
		us->req_mono = mono_ms();
		return;
	}
	if (us->state == US_SUBSCRIBING) {
		if (r->ok)
			subscribed(us, r);
		else
			refused(us, r, "userDataStream.subscribe");
	}
}

static void on_event(struct sb_bn_user_stream *us, const struct sb_bn_user_event *ev)
{
	if (ev->kind == SB_BN_USER_SERVER_SHUTDOWN) {
		us->st.shutdowns++;
		sb_log_warn("userstream", SB_NOFIELDS, "serverShutdown: reconnecting");
		sb_ws_drop(us->ws);
		return;
	}
	bool ours =
	    us->state == US_SUBSCRIBED && (ev->subscription_id == us->sub_id || ev->subscription_id == -1);
	if (ev->kind == SB_BN_USER_STREAM_TERMINATED) {
		if (!ours)
			return;
		us->st.terminated++;
		sb_log_warn("userstream", SB_FIELDS(SB_F_INT("subscription_id", us->sub_id)),
		            "eventStreamTerminated: resubscribing");
		notify_link(us, SB_BN_LINK_DOWN);
		subscribe(us);
		return;
	}
	if (!ours) {
		us->st.foreign++;
		sb_log_debug("userstream", SB_FIELDS(SB_F_INT("subscription_id", ev->subscription_id)),
		             "event of no current subscription dropped");
		return;
	}
	us->st.events++;
	if (ev->kind == SB_BN_USER_EXEC_REPORT)
		us->st.exec_reports++;
	us->st.last_event_ms = sb_clock_wall_ms();
	us->quiet_since = mono_ms();
	if (us->ops.event)
		us->ops.event(us->user, ev);
}

static void ws_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)ws;
	(void)rollover;
	struct sb_bn_user_stream *us = user;
	us->open = true;
	us->conn = conn;
	us->opened_mono = mono_ms();
	us->probe_id = 0;
	if (us->ever_open)
		us->st.reconnects++;
	us->ever_open = true;
	subscribe(us);
}

static void ws_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)ws;
	(void)conn;
	struct sb_bn_user_stream *us = user;
	struct sb_bn_ws_frame f;
	char err[US_ERR_MAX];
	us->st.messages++;
	sb_err e = sb_bn_ws_frame_parse(data, len, &f, err, sizeof err);
	if (e == SB_ERR_UNSUPPORTED) {
		us->st.unsupported++;
		sb_log_debug("userstream", SB_FIELDS(SB_F_STRN("raw", data, len)), "event kind not handled");
		return;
	}
	if (e) {
		us->st.parse_errors++;
		sb_log_warn("userstream",
		            SB_FIELDS(SB_F_ERR(e), SB_F_STR("why", err), SB_F_STRN("raw", data, len)),
		            "malformed user data message dropped");
		return;
	}
	if (f.kind == SB_BN_WS_RESPONSE) {
		on_response(us, &f.response);
		arm_tick(us, 0); /* a request answered or sent: what is due next moved */
	} else {
		on_event(us, &f.event); /* moves the silence deadline later only: the timer finds it */
	}
	sb_bn_ws_frame_fini(&f);
}

static void ws_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)ws;
	struct sb_bn_user_stream *us = user;
	if (!us->open || info->conn != us->conn)
		return;
	bool was_subscribed = us->state == US_SUBSCRIBED;
	us->open = false;
	us->state = US_DOWN;
	us->req_id = us->probe_id = 0;
	us->sub_id = -1;
	uv_timer_stop(&us->retry);
	arm_tick(us, 0);
	if (was_subscribed || info->was_open)
		notify_link(us, SB_BN_LINK_DOWN);
	orders_fail(us, SB_ERR_UNKNOWN_OUTCOME, "WebSocket API connection closed before the answer");
}

/* When the watchdog has something to do next (monotonic ms): an unanswered request, probe or order, the
 * connection's age, the silence probe; UINT64_MAX while closed. */
static uint64_t tick_due(const struct sb_bn_user_stream *us)
{
	uint64_t due = UINT64_MAX;
	if (!us->open)
		return due;
	if (us->probe_id)
		due = us->probe_mono + us->probe_timeout_ms;
	if (us->req_id && us->req_mono + us->probe_timeout_ms < due)
		due = us->req_mono + us->probe_timeout_ms;
	if (us->orders && us->orders->sent_mono + us->order_timeout_ms < due)
		due = us->orders->sent_mono + us->order_timeout_ms;
	if (us->reconnect_ms && us->opened_mono + us->reconnect_ms < due)
		due = us->opened_mono + us->reconnect_ms;
	if (us->state == US_SUBSCRIBED && !us->probe_id && us->quiet_since + us->silence_ms < due)
		due = us->quiet_since + us->silence_ms;
	return due;
}

static void on_tick(uv_timer_t *t);

/* Arms the timer for tick_due (min_delay ms from now when that has passed), or stops it. An event moving
 * the silence deadline later leaves it alone: it finds nothing due and arms itself again. */
static void arm_tick(struct sb_bn_user_stream *us, uint64_t min_delay)
{
	if (uv_is_closing((uv_handle_t *)&us->tick))
		return;
	uint64_t due = tick_due(us), now = mono_ms();
	if (due == UINT64_MAX) {
		uv_timer_stop(&us->tick);
		return;
	}
	uv_update_time(us->tick.loop);
	uv_timer_start(&us->tick, on_tick, due > now ? due - now : min_delay, 0);
}

/* The watchdog's work at now: a dead connection replaced, an aged one renewed, a quiet one probed. */
static void tick_work(struct sb_bn_user_stream *us, uint64_t now)
{
	if (!us->open || orders_expire(us, now))
		return;
	if ((us->probe_id && now - us->probe_mono >= us->probe_timeout_ms) ||
	    (us->req_id && now - us->req_mono >= us->probe_timeout_ms)) {
		us->st.probe_timeouts++;
		sb_log_warn("userstream", SB_FIELDS(SB_F_UINT("timeout_ms", us->probe_timeout_ms)),
		            "request unanswered: reconnecting");
		us->probe_id = us->req_id = 0;
		notify_link(us, SB_BN_LINK_STALLED);
		reconcile(us, SB_BN_RECONCILE_DEAD);
		sb_ws_drop(us->ws);
		return;
	}
	if (us->reconnect_ms && now - us->opened_mono >= us->reconnect_ms) {
		sb_log_info("userstream", SB_NOFIELDS, "connection age limit: reconnecting");
		sb_ws_drop(us->ws);
		return;
	}
	if (us->state == US_SUBSCRIBED && !us->probe_id && now - us->quiet_since >= us->silence_ms) {
		us->quiet_since = now;
		if (send_request(us, NULL, "ping", &us->probe_id) == SB_OK) {
			us->probe_mono = now;
			us->st.probes++;
		}
		reconcile(us, SB_BN_RECONCILE_SILENT);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct sb_bn_user_stream *us = t->data;
	us->st.ticks++;
	tick_work(us, mono_ms());
	/* What is still due now could not be done (a drop whose close has not come yet): looked at again. */
	arm_tick(us, US_TICK_RETRY_MS);
}

static const struct sb_ws_ops US_WS_OPS = {ws_open, ws_message, ws_close};

/* ---- public API --------------------------------------------------------------------------------- */

sb_err sb_bn_user_stream_new(uv_loop_t *loop, struct sb_ws_ctx *ctx,
                             const struct sb_bn_user_stream_opts *opts,
                             const struct sb_bn_user_stream_ops *ops, void *user,
                             struct sb_bn_user_stream **out)
{
	if (!loop || !ctx || !opts || !ops || !out || !opts->url || !opts->api_key || !*opts->api_key ||
	    !opts->signer)
		return SB_ERR_INVALID;
	if (strlen(opts->api_key) >= US_KEY_MAX || opts->recv_window_ms < 0 ||
	    opts->recv_window_ms > SB_BN_US_RECV_WINDOW_MAX)
		return SB_ERR_INVALID;
	*out = NULL;
	struct sb_bn_user_stream *us = sb_xcalloc(1, sizeof *us);
	us->ops = *ops;
	us->user = user;
	snprintf(us->api_key, sizeof us->api_key, "%s", opts->api_key);
	us->signer = opts->signer;
	us->ed25519 = sb_signer_kind(opts->signer) == SB_SIGN_ED25519;
	us->recv_window_ms = opts->recv_window_ms;
	us->time_refused = opts->time_refused;
	us->time_ctx = opts->time_ctx;
	us->weight_seen = opts->weight_seen;
	us->weight_ctx = opts->weight_ctx;
	us->observe = opts->observe;
	us->observe_ctx = opts->observe_ctx;
	us->order_timeout_ms = opts->order_timeout_ms ? opts->order_timeout_ms : SB_BN_US_ORDER_TIMEOUT_DEF;
	us->silence_ms = opts->silence_ms ? opts->silence_ms : SB_BN_US_SILENCE_DEFAULT;
	us->probe_timeout_ms = opts->probe_timeout_ms ? opts->probe_timeout_ms : SB_BN_US_PROBE_TIMEOUT_DEF;
	us->reconnect_ms = opts->reconnect_ms ? opts->reconnect_ms : US_RECONNECT_DEF;
	us->sub_id = -1;
	struct sb_ws_opts wo = {
	    .url = opts->url,
	    .ca_file = opts->ca_file,
	    .insecure = opts->insecure,
	    .ping_ms = opts->ping_ms,
	    .stall_ms = opts->stall_ms,
	    .backoff_min_ms = opts->backoff_min_ms,
	    .backoff_max_ms = opts->backoff_max_ms,
	};
	sb_err e = sb_ws_new(ctx, &wo, &US_WS_OPS, us, &us->ws);
	if (e) {
		free(us);
		return e;
	}
	uv_timer_init(loop, &us->tick);
	uv_timer_init(loop, &us->retry);
	us->tick.data = us->retry.data = us;
	us->open_handles = 2;
	*out = us;
	return SB_OK;
}

void sb_bn_user_stream_set_time_offset(struct sb_bn_user_stream *us, int64_t offset_ms)
{
	if (us)
		us->offset_ms = offset_ms;
}

bool sb_bn_user_stream_subscribed(const struct sb_bn_user_stream *us)
{
	return us && us->state == US_SUBSCRIBED;
}

sb_err sb_bn_user_stream_order_place(struct sb_bn_user_stream *us, const struct sb_bn_new_order *o,
                                     sb_bn_rest_order_cb cb, void *user)
{
	if (!us || !o || !cb)
		return SB_ERR_INVALID;
	if (!us->open || us->state != US_SUBSCRIBED)
		return SB_ERR_STATE;
	struct sb_bn_ws_order_auth auth = {.signer = us->ed25519 ? NULL : us->signer,
	                                   .api_key = us->api_key,
	                                   .timestamp_ms = sb_clock_wall_ms() + us->offset_ms,
	                                   .recv_window_ms = us->recv_window_ms};
	char req[SB_BN_US_REQUEST_MAX];
	size_t len = 0;
	int64_t id = us->next_id + 1;
	sb_err e = sb_bn_ws_order_request(&auth, id, o, req, sizeof req, &len);
	if (!e)
		e = sb_ws_send(us->ws, req, len);
	if (e)
		return e;
	us->next_id = id;
	struct us_order *p = sb_xcalloc(1, sizeof *p);
	uint64_t ns = sb_clock_mono_ns();
	*p = (struct us_order){.id = id,
	                       .sent_mono = ns / 1000000u,
	                       .sent_ns = ns,
	                       .shape = sb_bn_rest_place_shape(o),
	                       .cb = cb,
	                       .user = user};
	struct us_order **tail = &us->orders;
	while (*tail)
		tail = &(*tail)->next;
	*tail = p;
	us->st.orders++;
	if (p == us->orders)
		arm_tick(us, 0);
	return SB_OK;
}

void sb_bn_user_stream_drop(struct sb_bn_user_stream *us)
{
	if (us)
		sb_ws_drop(us->ws);
}

void sb_bn_user_stream_stats(const struct sb_bn_user_stream *us, struct sb_bn_user_stream_stats *out)
{
	if (us)
		*out = us->st;
	else
		memset(out, 0, sizeof *out);
}

static void timer_closed(uv_handle_t *h)
{
	struct sb_bn_user_stream *us = h->data;
	if (--us->open_handles == 0)
		free(us);
}

void sb_bn_user_stream_free(struct sb_bn_user_stream *us)
{
	if (!us)
		return;
	sb_ws_free(us->ws);
	us->ws = NULL;
	us->open = false;
	orders_fail(us, SB_ERR_SHUTDOWN, "user data stream freed");
	memset(us->api_key, 0, sizeof us->api_key);
	uv_close((uv_handle_t *)&us->tick, timer_closed);
	uv_close((uv_handle_t *)&us->retry, timer_closed);
}

/*
 * userstreams.c - spotsim's private WebSocket side (see userstreams.h): the WebSocket API at
 * /ws-api/v3, the legacy listenKey streams at /ws/<listenKey>, and delivery of user-data events.
 *
 * A WebSocket API request is one JSON text frame {"id","method","params"}. Table methods (sim/api.h)
 * get their params as name=value pairs exactly as the client signed them: strings decoded, numbers,
 * arrays and objects as their raw JSON text (cJSON keeps numbers only as doubles, so the raw text is
 * found by walking the frame alongside cJSON's tree), booleans as true/false. The signature covers
 * those pairs sorted by name. Replies echo the id as it was written and carry the request-weight
 * counter unless returnRateLimits is false (in the URL or the request).
 *
 * User-data subscriptions live on the connection: userDataStream.subscribe.signature (any key type)
 * or userDataStream.subscribe after an Ed25519 session.logon, at most one per account, with ids from
 * 0 that are never reused. Events reach them as {"subscriptionId":N,"event":{...}}; listenKey streams
 * get the same events bare. listenKeys last 60 minutes from creation or the last keepalive; a
 * one-second timer expires them.
 */
#include "sim/userstreams.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/api.h"
#include "sim/jspan.h"
#include "sim/rng.h"
#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

#define US_LISTENKEY_LEN      64      /* characters in a listenKey, as Binance's */
#define US_LISTENKEY_VALID_MS 3600000 /* 60 minutes */
#define US_MAX_SUB_IDS        65536   /* subscription ids per connection lifetime (0..65535) */
#define US_MAX_ACTIVE_SUBS    1000    /* active subscriptions per connection */
#define US_WEIGHT_SESSION     2       /* weight of session.* and userDataStream.* requests */
#define US_WEIGHT_CONNECT     2       /* weight of opening a WebSocket API connection */
#define US_PAYLOAD_MAX        16384   /* longest signing payload */
#define US_CLOSE_NORMAL       1000    /* WebSocket close codes */
#define US_CLOSE_POLICY       1008
#define US_ENVELOPE_EXTRA     64 /* bytes the envelope adds around an event */

/* 5xx answer for the order fault, as Binance answers when the outcome is unknown. */
#define US_UNKNOWN_MSG                                                                                       \
	"Timeout waiting for response from backend server. Send status unknown; execution status unknown."

enum us_kind {
	US_WSAPI,     /* /ws-api/v3 */
	US_LISTENKEY, /* /ws/<listenKey> */
};

/* One user-data subscription of a WebSocket API connection. */
struct us_sub {
	uint32_t id;       /* subscriptionId */
	uint32_t account;  /* whose events it receives */
	bool from_session; /* made by userDataStream.subscribe: ends with session.logout */
};

/* Per-connection state (sim_ws_user of the connection). */
struct us_conn {
	struct sim_ws_conn *conn;              /* the connection */
	enum us_kind kind;                     /* which endpoint */
	char listen_key[US_LISTENKEY_LEN + 1]; /* US_LISTENKEY: its key */
	uint32_t lk_account;                   /* US_LISTENKEY: the key's account */
	bool rate_limits;                      /* default of returnRateLimits (from the URL) */
	struct sim_account *session;           /* session.logon account, or NULL */
	int64_t connected_ms;                  /* when it opened */
	int64_t authorized_ms;                 /* when session.logon succeeded */
	struct us_sub *subs;                   /* active subscriptions */
	size_t n_subs;                         /* entries in subs */
	size_t cap_subs;                       /* allocated entries */
	uint32_t next_sub_id;                  /* next subscriptionId */
	struct us_conn *prev, *next;           /* all connections of the module */
};

struct us_listenkey {
	uint32_t account;               /* owner */
	char key[US_LISTENKEY_LEN + 1]; /* the key */
	int64_t expires_ms;             /* end of validity */
};

/* A user-data event held back by the user_events_delay_ms fault. */
struct us_delayed {
	struct us_delayed *next; /* the next later event */
	uint64_t due_ms;         /* loop time to deliver it */
	uint32_t account;        /* whose event */
	size_t len;              /* bytes of json */
	char json[];             /* the event, as it would have been sent */
};

struct sim_userstreams {
	struct sim_exchange *ex;      /* the exchange */
	uv_timer_t timer;             /* listenKey expiry */
	bool timer_running;           /* timer initialised and not yet closed */
	uv_timer_t delay_timer;       /* delivers held-back events; runs while any is held */
	struct us_delayed *held;      /* held-back events, oldest first */
	struct us_delayed *held_last; /* the newest of them */
	struct us_conn *conns;        /* open connections */
	struct us_listenkey *keys;    /* live listenKeys, at most one per account */
	size_t n_keys;                /* entries in keys */
	size_t cap_keys;              /* allocated entries */
	struct sim_rng rng;           /* listenKey characters */
	int64_t (*now)(void *ctx);    /* clock override, or NULL */
	void *now_ctx;                /* passed to now */
};

static int64_t us_now(const struct sim_userstreams *us)
{
	return us->now ? us->now(us->now_ctx) : sim_exchange_now(us->ex);
}

void sim_userstreams_set_clock(struct sim_userstreams *us, int64_t (*now)(void *ctx), void *ctx)
{
	us->now = now;
	us->now_ctx = ctx;
}

/* ---- requests ---------------------------------------------------------------------------------- */

/* One parsed request. */
struct request {
	const char *id;                                 /* raw id text ("null" when absent) */
	size_t id_len;                                  /* bytes in id */
	const char *method;                             /* method name without "v3/" */
	struct sb_query_pair pairs[SB_QUERY_MAX_PAIRS]; /* params, in request order */
	size_t npairs;                                  /* entries in pairs */
	bool rate_limits;                               /* include rateLimits in the reply */
	int64_t now_ms;                                 /* server time of the request */
};

static const char *pair_get(const struct request *rq, const char *name, size_t *len)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < rq->npairs; i++)
		if (rq->pairs[i].key_len == n && memcmp(rq->pairs[i].key, name, n) == 0) {
			*len = rq->pairs[i].val_len;
			return rq->pairs[i].val;
		}
	*len = 0;
	return NULL;
}

static void append_rate_limits(struct sb_buf *t, const struct sim_exchange *ex,
                               const struct sim_account *order_acct)
{
	sb_buf_printf(t,
	              ",\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\","
	              "\"intervalNum\":1,\"limit\":%u,\"count\":%u}",
	              ex->weight.limit, ex->weight.used);
	if (order_acct)
		sb_buf_printf(
		    t,
		    ",{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":%u,"
		    "\"count\":%u},{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,"
		    "\"limit\":%u,\"count\":%u}",
		    ex->order_limit_10s, order_acct->orders_10s, ex->order_limit_1d, order_acct->orders_1d);
	sb_buf_puts(t, "]");
}

/* Sends the reply to a request: the result when status is 200, else the error. */
static void send_reply(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq,
                       const struct sim_api_reply *r, const struct sim_account *order_acct)
{
	struct sb_buf t = {0};
	sb_buf_puts(&t, "{\"id\":");
	sb_buf_put(&t, rq->id, rq->id_len);
	sb_buf_printf(&t, ",\"status\":%d,", r->status);
	if (r->status == 200) {
		sb_buf_puts(&t, "\"result\":");
		sb_buf_puts(&t, r->json ? r->json : "{}");
	} else {
		sb_buf_printf(&t, "\"error\":{\"code\":%d,\"msg\":", r->code);
		sb_json_str(&t, r->msg);
		if (r->data) {
			sb_buf_puts(&t, ",\"data\":");
			sb_buf_puts(&t, r->data);
		} else if ((r->status == 429 || r->status == 418) && r->retry_after)
			sb_buf_printf(&t, ",\"data\":{\"retryAfter\":%" PRId64 "}",
			              rq->now_ms + (int64_t)r->retry_after * 1000);
		sb_buf_puts(&t, "}");
	}
	if (rq->rate_limits)
		append_rate_limits(&t, us->ex, order_acct);
	sb_buf_puts(&t, "}");
	if (!t.overflow)
		sim_ws_send(uc->conn, t.p, t.len);
	free(t.p);
}

static void reply_error(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq, int status,
                        int code, const char *msg)
{
	struct sim_api_reply r = {0};
	sim_api_error(&r, status, code, "%s", msg);
	send_reply(us, uc, rq, &r, NULL);
}

static void reply_json(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq, char *json)
{
	struct sim_api_reply r = {.status = 200, .json = json};
	send_reply(us, uc, rq, &r, NULL);
	free(json);
}

/*
 * Converts the params object to pairs. Strings are their decoded text, numbers (and arrays and
 * objects) their raw JSON text, booleans true/false; nulls are left out. Returns false with a reply
 * sent when there are too many.
 */
static bool params_to_pairs(const char *data, size_t len, size_t params_off, const cJSON *params,
                            struct request *rq)
{
	struct sim_jspan spans[SB_QUERY_MAX_PAIRS + 1];
	size_t n = sim_jspan_object(data, len, params_off, spans, SB_QUERY_MAX_PAIRS + 1);
	if (n > SB_QUERY_MAX_PAIRS)
		return false;
	size_t k = 0;
	for (const cJSON *it = params->child; it && k < n; it = it->next, k++) {
		const char *val;
		size_t vlen;
		if (cJSON_IsString(it)) {
			val = it->valuestring;
			vlen = strlen(val);
		} else if (cJSON_IsTrue(it)) {
			val = "true";
			vlen = 4;
		} else if (cJSON_IsFalse(it)) {
			val = "false";
			vlen = 5;
		} else if (cJSON_IsNull(it)) {
			continue;
		} else {
			val = data + spans[k].off;
			vlen = spans[k].len;
		}
		struct sb_query_pair *p = &rq->pairs[rq->npairs++];
		memset(p, 0, sizeof *p);
		p->key = it->string;
		p->key_len = strlen(it->string);
		p->val = val;
		p->val_len = vlen;
	}
	return true;
}

/* ---- subscriptions ----------------------------------------------------------------------------- */

static struct us_sub *find_sub_account(struct us_conn *uc, uint32_t account)
{
	for (size_t i = 0; i < uc->n_subs; i++)
		if (uc->subs[i].account == account)
			return &uc->subs[i];
	return NULL;
}

static void send_terminated(struct sim_userstreams *us, struct us_conn *uc, uint32_t sub_id)
{
	char buf[160];
	int n =
	    snprintf(buf, sizeof buf,
	             "{\"subscriptionId\":%u,\"event\":{\"e\":\"eventStreamTerminated\",\"E\":%" PRId64 "}}",
	             sub_id, us_now(us));
	if (n > 0 && (size_t)n < sizeof buf)
		sim_ws_send(uc->conn, buf, (size_t)n);
}

/* Removes subscription i, announcing eventStreamTerminated on it. */
static void end_sub(struct sim_userstreams *us, struct us_conn *uc, size_t i)
{
	send_terminated(us, uc, uc->subs[i].id);
	memmove(&uc->subs[i], &uc->subs[i + 1], (uc->n_subs - i - 1) * sizeof uc->subs[0]);
	uc->n_subs--;
}

/* Adds a subscription for account and replies with its id (or -2035 / -2042). */
static void subscribe(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq,
                      uint32_t account, bool from_session)
{
	if (find_sub_account(uc, account)) {
		reply_error(us, uc, rq, 400, -2035, "User Data Stream subscription already active.");
		return;
	}
	if (uc->next_sub_id >= US_MAX_SUB_IDS || uc->n_subs >= US_MAX_ACTIVE_SUBS) {
		reply_error(us, uc, rq, 400, -2042, "Maximum subscription ID reached for this connection.");
		return;
	}
	if (uc->n_subs == uc->cap_subs) {
		uc->cap_subs = uc->cap_subs ? uc->cap_subs * 2 : 4;
		uc->subs = sb_xrealloc(uc->subs, uc->cap_subs * sizeof uc->subs[0]);
	}
	uint32_t id = uc->next_sub_id++;
	uc->subs[uc->n_subs++] = (struct us_sub){id, account, from_session};
	char buf[48];
	snprintf(buf, sizeof buf, "{\"subscriptionId\":%u}", id);
	reply_json(us, uc, rq, sb_xstrdup(buf));
}

/* ---- directly handled methods ------------------------------------------------------------------ */

/* Authenticates a request signed with apiKey/timestamp/signature in its params. */
static bool auth_signed(struct sim_userstreams *us, const struct request *rq, struct sim_api_call *call,
                        struct sim_api_reply *r)
{
	static const struct sim_api_method signed_method = {.sec = SIM_SEC_SIGNED};
	char payload[US_PAYLOAD_MAX];
	size_t plen = 0, klen, slen;
	const char *key = pair_get(rq, "apiKey", &klen);
	const char *sig = pair_get(rq, "signature", &slen);
	*call = (struct sim_api_call){
	    .ex = us->ex, .params = rq->pairs, .nparams = rq->npairs, .now_ms = rq->now_ms, .ws = true};
	sb_err err = sb_query_ws_payload(rq->pairs, rq->npairs, payload, sizeof payload, &plen);
	if (err == SB_ERR_EXISTS) {
		sim_api_error(r, 400, -1101, "Duplicate values for a parameter detected.");
		return false;
	}
	if (err != SB_OK) {
		sim_api_error(r, 400, -1101, "Too many parameters sent for this endpoint.");
		return false;
	}
	return sim_api_authenticate(call, &signed_method, key, klen, payload, plen, sig, slen, r);
}

static void session_status_json(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq,
                                struct sb_buf *t)
{
	sb_buf_puts(t, "{\"apiKey\":");
	if (uc->session)
		sb_json_str(t, uc->session->key);
	else
		sb_buf_puts(t, "null");
	if (uc->session)
		sb_buf_printf(t, ",\"authorizedSince\":%" PRId64, uc->authorized_ms);
	else
		sb_buf_puts(t, ",\"authorizedSince\":null");
	sb_buf_printf(t,
	              ",\"connectedSince\":%" PRId64 ",\"returnRateLimits\":%s,\"serverTime\":%" PRId64
	              ",\"userDataStream\":%s}",
	              uc->connected_ms, uc->rate_limits ? "true" : "false", rq->now_ms,
	              uc->n_subs ? "true" : "false");
	(void)us;
}

static void reply_session_status(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	struct sb_buf t = {0};
	session_status_json(us, uc, rq, &t);
	reply_json(us, uc, rq, t.p);
}

static void do_session_logon(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	struct sim_api_call call;
	struct sim_api_reply r = {0};
	size_t klen;
	const char *key = pair_get(rq, "apiKey", &klen);
	struct sim_account *a = key ? sim_exchange_account(us->ex, key, klen) : NULL;
	/* Only Ed25519 keys may log on; an HMAC account is refused before its signature is looked at. */
	if (a && (!a->hmac || sb_signer_kind(a->hmac) != SB_SIGN_ED25519)) {
		reply_error(us, uc, rq, 401, -1002, "You are not authorized to execute this request.");
		return;
	}
	if (!auth_signed(us, rq, &call, &r)) {
		send_reply(us, uc, rq, &r, NULL);
		return;
	}
	uc->session = call.account;
	uc->authorized_ms = rq->now_ms;
	reply_session_status(us, uc, rq);
}

static void do_session_logout(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	for (size_t i = uc->n_subs; i-- > 0;)
		if (uc->subs[i].from_session)
			end_sub(us, uc, i);
	uc->session = NULL;
	uc->authorized_ms = 0;
	reply_session_status(us, uc, rq);
}

static void do_subscribe_signature(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	struct sim_api_call call;
	struct sim_api_reply r = {0};
	if (!auth_signed(us, rq, &call, &r)) {
		send_reply(us, uc, rq, &r, NULL);
		return;
	}
	subscribe(us, uc, rq, call.account->id, false);
}

static void do_subscribe_session(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	if (!uc->session) {
		reply_error(us, uc, rq, 401, -1002, "You are not authorized to execute this request.");
		return;
	}
	subscribe(us, uc, rq, uc->session->id, true);
}

static void do_unsubscribe(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	size_t vlen;
	const char *v = pair_get(rq, "subscriptionId", &vlen);
	if (!v) {
		if (uc->n_subs == 0) {
			reply_error(us, uc, rq, 400, -2036, "User Data Stream subscription not active.");
			return;
		}
		while (uc->n_subs)
			end_sub(us, uc, 0);
		reply_json(us, uc, rq, sb_xstrdup("{}"));
		return;
	}
	uint64_t id = 0;
	bool ok = vlen > 0 && vlen <= 10;
	for (size_t i = 0; ok && i < vlen; i++) {
		if (v[i] < '0' || v[i] > '9')
			ok = false;
		else
			id = id * 10 + (uint64_t)(v[i] - '0');
	}
	if (!ok) {
		reply_error(us, uc, rq, 400, -1100,
		            "Illegal characters found in parameter 'subscriptionId'.");
		return;
	}
	for (size_t i = 0; i < uc->n_subs; i++)
		if (uc->subs[i].id == id) {
			end_sub(us, uc, i);
			reply_json(us, uc, rq, sb_xstrdup("{}"));
			return;
		}
	reply_error(us, uc, rq, 400, -2036, "User Data Stream subscription not active.");
}

static void do_subscriptions(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq)
{
	struct sb_buf t = {0};
	sb_buf_puts(&t, "[");
	for (size_t i = 0; i < uc->n_subs; i++)
		sb_buf_printf(&t, "%s{\"subscriptionId\":%u}", i ? "," : "", uc->subs[i].id);
	sb_buf_puts(&t, "]");
	reply_json(us, uc, rq, t.p);
}

/* ---- table methods ----------------------------------------------------------------------------- */

static void do_table_method(struct sim_userstreams *us, struct us_conn *uc, const struct request *rq,
                            const struct sim_api_method *m)
{
	struct sim_exchange *ex = us->ex;
	struct sim_api_reply r = {0};
	struct sim_api_call call = {
	    .ex = ex, .params = rq->pairs, .nparams = rq->npairs, .now_ms = rq->now_ms, .ws = true};
	if (!sim_api_charge(ex, m->weight, rq->now_ms, &r))
		goto reply;
	size_t klen;
	const char *key = pair_get(rq, "apiKey", &klen);
	if (m->sec != SIM_SEC_NONE && !key && uc->session) {
		/* A logged-on session signs nothing more: the request runs as the session's account. */
		static const struct sim_api_method session_method = {.sec = SIM_SEC_USER_STREAM};
		if (!sim_api_authenticate(&call, &session_method, uc->session->key, strlen(uc->session->key),
		                          NULL, 0, NULL, 0, &r))
			goto reply;
	} else if (m->sec != SIM_SEC_NONE) {
		char payload[US_PAYLOAD_MAX];
		size_t plen = 0, slen;
		const char *sig = pair_get(rq, "signature", &slen);
		sb_err err = sb_query_ws_payload(rq->pairs, rq->npairs, payload, sizeof payload, &plen);
		if (err == SB_ERR_EXISTS) {
			sim_api_error(&r, 400, -1101, "Duplicate values for a parameter detected.");
			goto reply;
		}
		if (err != SB_OK) {
			sim_api_error(&r, 400, -1101, "Too many parameters sent for this endpoint.");
			goto reply;
		}
		if (!sim_api_authenticate(&call, m, key, klen, payload, plen, sig, slen, &r))
			goto reply;
	}
	bool place = m->ws_method && strcmp(m->ws_method, "order.place") == 0;
	if (place && ex->faults.order_5xx_before) {
		sim_api_error(&r, 503, -1007, US_UNKNOWN_MSG);
		goto reply;
	}
	uint32_t charged = r.weight;
	r.status = 200;
	m->fn(&call, &r);
	if (r.weight == 0)
		r.weight = charged;
	if (place && ex->faults.order_5xx_after && r.status == 200)
		sim_api_error(&r, 503, -1007, US_UNKNOWN_MSG);
reply:
	send_reply(us, uc, rq, &r, r.order ? call.account : NULL);
	free(r.json);
	free(r.data);
}

/* ---- WebSocket API frames ---------------------------------------------------------------------- */

static bool rate_limits_value(const char *v, size_t len, bool dflt)
{
	if (len == 5 && memcmp(v, "false", 5) == 0)
		return false;
	if (len == 4 && memcmp(v, "true", 4) == 0)
		return true;
	return dflt;
}

static void wsapi_message(struct sim_userstreams *us, struct us_conn *uc, const char *data, size_t len)
{
	struct request *rq = sb_xcalloc(1, sizeof *rq);
	rq->id = "null";
	rq->id_len = 4;
	rq->rate_limits = uc->rate_limits;
	rq->now_ms = us_now(us);
	cJSON *root = cJSON_ParseWithLength(data, len);
	if (!root || !cJSON_IsObject(root)) {
		reply_error(us, uc, rq, 400, -1135, "Invalid JSON Request");
		goto done;
	}
	/* Raw spans of the top-level members, matched to cJSON's children by position. */
	size_t n_top = 0;
	for (const cJSON *it = root->child; it; it = it->next)
		n_top++;
	struct sim_jspan *top = sb_xcalloc(n_top ? n_top : 1, sizeof *top);
	sim_jspan_object(data, len, 0, top, n_top);
	const cJSON *method = NULL, *params = NULL;
	size_t params_off = 0, k = 0;
	bool have_id = false;
	for (const cJSON *it = root->child; it; it = it->next, k++) {
		if (!have_id && strcmp(it->string, "id") == 0) {
			have_id = true;
			if (!cJSON_IsNumber(it) && !cJSON_IsString(it) && !cJSON_IsNull(it)) {
				free(top);
				reply_error(
				    us, uc, rq, 400, -1135,
				    "Invalid 'id' in JSON request; expected a number, a string or null.");
				goto done;
			}
			rq->id = data + top[k].off;
			rq->id_len = top[k].len;
		} else if (!method && strcmp(it->string, "method") == 0) {
			method = it;
		} else if (!params && strcmp(it->string, "params") == 0) {
			params = it;
			params_off = top[k].off;
		}
	}
	free(top);
	if (!cJSON_IsString(method) || !method->valuestring[0]) {
		reply_error(us, uc, rq, 400, -1102,
		            "Mandatory parameter 'method' was not sent, was empty/null, or malformed.");
		goto done;
	}
	if (params && !cJSON_IsObject(params) && !cJSON_IsNull(params)) {
		reply_error(us, uc, rq, 400, -1135, "Invalid 'params' in JSON request; expected an object.");
		goto done;
	}
	if (cJSON_IsObject(params) && !params_to_pairs(data, len, params_off, params, rq)) {
		reply_error(us, uc, rq, 400, -1101, "Too many parameters sent for this endpoint.");
		goto done;
	}
	size_t vlen;
	const char *v = pair_get(rq, "returnRateLimits", &vlen);
	if (v)
		rq->rate_limits = rate_limits_value(v, vlen, rq->rate_limits);

	const char *name = method->valuestring;
	if (strncmp(name, "v3/", 3) == 0)
		name += 3;
	rq->method = name;
	static const struct {
		const char *name;
		void (*fn)(struct sim_userstreams *, struct us_conn *, const struct request *);
	} direct[] = {
	    {"session.logon", do_session_logon},
	    {"session.status", reply_session_status},
	    {"session.logout", do_session_logout},
	    {"session.subscriptions", do_subscriptions},
	    {"userDataStream.subscribe", do_subscribe_session},
	    {"userDataStream.subscribe.signature", do_subscribe_signature},
	    {"userDataStream.unsubscribe", do_unsubscribe},
	};
	for (size_t i = 0; i < sizeof direct / sizeof direct[0]; i++) {
		if (strcmp(name, direct[i].name) != 0)
			continue;
		struct sim_api_reply r = {0};
		if (!sim_api_charge(us->ex, US_WEIGHT_SESSION, rq->now_ms, &r))
			send_reply(us, uc, rq, &r, NULL);
		else
			direct[i].fn(us, uc, rq);
		goto done;
	}
	const struct sim_api_method *m = sim_api_find_ws(name);
	if (!m) {
		reply_error(us, uc, rq, 400, -1000, "Unknown method.");
		goto done;
	}
	do_table_method(us, uc, rq, m);
done:
	cJSON_Delete(root);
	free(rq);
}

/* ---- connections ------------------------------------------------------------------------------- */

static struct us_conn *conn_add(struct sim_userstreams *us, struct sim_ws_conn *conn, enum us_kind kind)
{
	struct us_conn *uc = sb_xcalloc(1, sizeof *uc);
	uc->conn = conn;
	uc->kind = kind;
	uc->rate_limits = true;
	uc->connected_ms = us_now(us);
	uc->next = us->conns;
	if (us->conns)
		us->conns->prev = uc;
	us->conns = uc;
	sim_ws_set_user(conn, uc);
	return uc;
}

static void conn_remove(struct sim_userstreams *us, struct us_conn *uc)
{
	if (uc->prev)
		uc->prev->next = uc->next;
	else
		us->conns = uc->next;
	if (uc->next)
		uc->next->prev = uc->prev;
	free(uc->subs);
	free(uc);
}

static struct us_listenkey *find_key(struct sim_userstreams *us, const char *key, size_t len)
{
	for (size_t i = 0; i < us->n_keys; i++)
		if (strlen(us->keys[i].key) == len && memcmp(us->keys[i].key, key, len) == 0)
			return &us->keys[i];
	return NULL;
}

/* A listenKey is 64 letters and digits; market-stream names always hold an '@'. */
static bool looks_like_listen_key(const char *s, size_t len)
{
	if (len < 16 || len > US_LISTENKEY_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

bool sim_userstreams_open(struct sim_userstreams *us, struct sim_ws_conn *conn, const char *path)
{
	if (!us || !conn || !path)
		return false;
	size_t plen = strcspn(path, "?");
	const char *query = path[plen] == '?' ? path + plen + 1 : "";
	if ((plen == 10 && memcmp(path, "/ws-api/v3", 10) == 0) ||
	    (plen == 11 && memcmp(path, "/ws-api/v3/", 11) == 0)) {
		struct us_conn *uc = conn_add(us, conn, US_WSAPI);
		for (const char *q = query; *q;) {
			size_t n = strcspn(q, "&");
			if (n >= 17 && memcmp(q, "returnRateLimits=", 17) == 0)
				uc->rate_limits = rate_limits_value(q + 17, n - 17, true);
			q += n;
			if (*q == '&')
				q++;
		}
		struct sim_api_reply r = {0};
		if (!sim_api_charge(us->ex, US_WEIGHT_CONNECT, uc->connected_ms, &r))
			sim_ws_close(conn, US_CLOSE_POLICY, "Too much request weight used");
		return true;
	}
	if (plen > 4 && memcmp(path, "/ws/", 4) == 0 && looks_like_listen_key(path + 4, plen - 4)) {
		struct us_listenkey *k = find_key(us, path + 4, plen - 4);
		if (!k) {
			sim_ws_set_user(conn, NULL);
			sim_ws_close(conn, US_CLOSE_POLICY, "Invalid listenKey");
			return true;
		}
		struct us_conn *uc = conn_add(us, conn, US_LISTENKEY);
		memcpy(uc->listen_key, k->key, sizeof uc->listen_key);
		uc->lk_account = k->account;
		return true;
	}
	return false;
}

void sim_userstreams_message(struct sim_userstreams *us, struct sim_ws_conn *conn, const char *data,
                             size_t len)
{
	if (!us || !conn)
		return;
	struct us_conn *uc = sim_ws_user(conn);
	if (!uc || uc->kind != US_WSAPI)
		return; /* listenKey streams ignore what clients send */
	wsapi_message(us, uc, data, len);
}

void sim_userstreams_close(struct sim_userstreams *us, struct sim_ws_conn *conn)
{
	if (!us || !conn)
		return;
	struct us_conn *uc = sim_ws_user(conn);
	if (!uc)
		return;
	sim_ws_set_user(conn, NULL);
	conn_remove(us, uc);
}

/* ---- delivery ---------------------------------------------------------------------------------- */

static void deliver_now(struct sim_userstreams *us, uint32_t account, const char *json, size_t len)
{
	char *env = NULL;
	size_t env_cap = 0;
	for (struct us_conn *uc = us->conns; uc; uc = uc->next) {
		if (uc->kind == US_LISTENKEY) {
			if (uc->lk_account == account)
				sim_ws_send(uc->conn, json, len);
			continue;
		}
		struct us_sub *s = find_sub_account(uc, account);
		if (!s)
			continue;
		if (!env) {
			env_cap = len + US_ENVELOPE_EXTRA;
			env = sb_xmalloc(env_cap);
		}
		int head = snprintf(env, env_cap, "{\"subscriptionId\":%u,\"event\":", s->id);
		if (head < 0 || (size_t)head + len + 2 > env_cap)
			continue;
		memcpy(env + head, json, len);
		env[(size_t)head + len] = '}';
		sim_ws_send(uc->conn, env, (size_t)head + len + 1);
	}
	free(env);
}

/* Delivers the held-back events that are due; the timer stops once none is held. */
static void on_delay_timer(uv_timer_t *t)
{
	struct sim_userstreams *us = t->data;
	uint64_t now = uv_now(us->ex->loop);
	while (us->held && us->held->due_ms <= now) {
		struct us_delayed *d = us->held;
		us->held = d->next;
		deliver_now(us, d->account, d->json, d->len);
		free(d);
	}
	if (!us->held) {
		us->held_last = NULL;
		uv_timer_stop(&us->delay_timer);
	}
}

/* Holds an event back for the fault's delay; once the fault is off, events still wait behind those held,
 * so the order in which they happened is kept. */
static void hold_back(struct sim_userstreams *us, uint32_t account, const char *json, size_t len)
{
	struct us_delayed *d = sb_xmalloc(sizeof *d + len);
	d->next = NULL;
	d->due_ms = uv_now(us->ex->loop) + us->ex->faults.user_delay_ms;
	d->account = account;
	d->len = len;
	memcpy(d->json, json, len);
	if (us->held_last)
		us->held_last->next = d;
	else
		us->held = d;
	us->held_last = d;
	if (!uv_is_active((uv_handle_t *)&us->delay_timer))
		uv_timer_start(&us->delay_timer, on_delay_timer, 10, 10);
}

void sim_userstreams_deliver(struct sim_userstreams *us, uint32_t account, const char *json, size_t len)
{
	if (!us || !json || us->ex->faults.hide_user_events)
		return;
	if (us->timer_running && (us->ex->faults.user_delay_ms > 0 || us->held))
		hold_back(us, account, json, len);
	else
		deliver_now(us, account, json, len);
}

/* Sends listenKeyExpired to the streams of key i, closes them and forgets the key. */
static void expire_key(struct sim_userstreams *us, size_t i, int64_t now)
{
	struct us_listenkey *k = &us->keys[i];
	char buf[160];
	int n = snprintf(buf, sizeof buf,
	                 "{\"e\":\"listenKeyExpired\",\"E\":%" PRId64 ",\"listenKey\":\"%s\"}", now, k->key);
	for (struct us_conn *uc = us->conns; uc; uc = uc->next) {
		if (uc->kind != US_LISTENKEY || strcmp(uc->listen_key, k->key) != 0)
			continue;
		if (n > 0 && (size_t)n < sizeof buf)
			sim_ws_send(uc->conn, buf, (size_t)n);
		sim_ws_close(uc->conn, US_CLOSE_NORMAL, "listenKey expired");
		uc->lk_account = SIM_LEDGER_MARKET; /* receives nothing more while it closes */
		uc->listen_key[0] = '\0';
	}
	us->keys[i] = us->keys[--us->n_keys];
}

void sim_userstreams_expire_all(struct sim_userstreams *us)
{
	if (!us)
		return;
	int64_t now = us_now(us);
	for (struct us_conn *uc = us->conns; uc; uc = uc->next)
		while (uc->kind == US_WSAPI && uc->n_subs)
			end_sub(us, uc, 0);
	while (us->n_keys)
		expire_key(us, us->n_keys - 1, now);
}

void sim_userstreams_check_expiry(struct sim_userstreams *us)
{
	if (!us)
		return;
	int64_t now = us_now(us);
	for (size_t i = us->n_keys; i-- > 0;)
		if (us->keys[i].expires_ms <= now)
			expire_key(us, i, now);
}

/* ---- listenKeys -------------------------------------------------------------------------------- */

static struct us_listenkey *key_of_account(struct sim_userstreams *us, uint32_t account)
{
	for (size_t i = 0; i < us->n_keys; i++)
		if (us->keys[i].account == account)
			return &us->keys[i];
	return NULL;
}

sb_err sim_userstreams_listenkey_create(struct sim_userstreams *us, uint32_t account, int64_t now_ms,
                                        char *key, size_t cap)
{
	if (!us || !key || cap <= US_LISTENKEY_LEN)
		return SB_ERR_INVALID;
	struct us_listenkey *k = key_of_account(us, account);
	if (!k) {
		static const char alphabet[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		if (us->n_keys == us->cap_keys) {
			us->cap_keys = us->cap_keys ? us->cap_keys * 2 : 8;
			us->keys = sb_xrealloc(us->keys, us->cap_keys * sizeof us->keys[0]);
		}
		k = &us->keys[us->n_keys++];
		k->account = account;
		for (size_t i = 0; i < US_LISTENKEY_LEN; i++)
			k->key[i] = alphabet[sim_rng_below(&us->rng, sizeof alphabet - 1)];
		k->key[US_LISTENKEY_LEN] = '\0';
	}
	k->expires_ms = now_ms + US_LISTENKEY_VALID_MS;
	memcpy(key, k->key, US_LISTENKEY_LEN + 1);
	return SB_OK;
}

sb_err sim_userstreams_listenkey_keepalive(struct sim_userstreams *us, uint32_t account, const char *key,
                                           int64_t now_ms)
{
	if (!us || !key)
		return SB_ERR_INVALID;
	struct us_listenkey *k = find_key(us, key, strlen(key));
	if (!k || k->account != account)
		return SB_ERR_NOT_FOUND;
	k->expires_ms = now_ms + US_LISTENKEY_VALID_MS;
	return SB_OK;
}

sb_err sim_userstreams_listenkey_close(struct sim_userstreams *us, uint32_t account, const char *key)
{
	if (!us || !key)
		return SB_ERR_INVALID;
	struct us_listenkey *k = find_key(us, key, strlen(key));
	if (!k || k->account != account)
		return SB_ERR_NOT_FOUND;
	for (struct us_conn *uc = us->conns; uc; uc = uc->next) {
		if (uc->kind != US_LISTENKEY || strcmp(uc->listen_key, k->key) != 0)
			continue;
		sim_ws_close(uc->conn, US_CLOSE_NORMAL, "listenKey closed");
		uc->lk_account = SIM_LEDGER_MARKET;
		uc->listen_key[0] = '\0';
	}
	*k = us->keys[--us->n_keys];
	return SB_OK;
}

/* ---- lifetime ---------------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	sim_userstreams_check_expiry(t->data);
}

sb_err sim_userstreams_new(struct sim_exchange *ex, struct sim_userstreams **out)
{
	if (!ex || !out)
		return SB_ERR_INVALID;
	struct sim_userstreams *us = sb_xcalloc(1, sizeof *us);
	us->ex = ex;
	sim_rng_seed(&us->rng, uv_hrtime());
	if (ex->loop) {
		if (uv_timer_init(ex->loop, &us->timer) != 0) {
			free(us);
			return SB_ERR_IO;
		}
		us->timer.data = us;
		uv_timer_start(&us->timer, on_timer, 1000, 1000);
		us->timer_running = true;
		if (uv_timer_init(ex->loop, &us->delay_timer) != 0)
			abort();
		us->delay_timer.data = us;
	}
	*out = us;
	return SB_OK;
}

void sim_userstreams_stop(struct sim_userstreams *us)
{
	if (!us || !us->timer_running)
		return;
	uv_timer_stop(&us->timer);
	uv_close((uv_handle_t *)&us->timer, NULL);
	uv_timer_stop(&us->delay_timer);
	uv_close((uv_handle_t *)&us->delay_timer, NULL);
	us->timer_running = false;
}

void sim_userstreams_free(struct sim_userstreams *us)
{
	if (!us)
		return;
	/* Connections still listed are the server's to free; only this module's state goes. */
	while (us->conns)
		conn_remove(us, us->conns);
	while (us->held) {
		struct us_delayed *d = us->held;
		us->held = d->next;
		free(d);
	}
	free(us->keys);
	free(us);
}

/*
 * userstreams_wsapi.c - WebSocket API frames at /ws-api/v3. A request is one JSON text frame
 * {"id","method","params"}. Table methods (sim/api.h) get their params as name=value pairs exactly as
 * the client signed them: strings decoded, numbers, arrays and objects as their raw JSON text (cJSON
 * keeps numbers only as doubles, so the raw text is found by walking the frame alongside cJSON's tree),
 * booleans as true/false. The signature covers those pairs sorted by name. The session.* and
 * userDataStream.* methods are answered by userstreams_session.c. Replies echo the id as it was
 * written and carry the request-weight counter unless returnRateLimits is false (in the URL or the
 * request).
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/jspan.h"
#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

#define US_PAYLOAD_MAX 16384 /* longest signing payload */

/* 5xx answer for the order fault, as Binance answers when the outcome is unknown. */
#define US_UNKNOWN_MSG                                                                                       \
	"Timeout waiting for response from backend server. Send status unknown; execution status unknown."

const char *sim_us_param(const struct us_request *rq, const char *name, size_t *len)
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

bool sim_us_rate_limits_value(const char *v, size_t len, bool dflt)
{
	if (len == 5 && memcmp(v, "false", 5) == 0)
		return false;
	if (len == 4 && memcmp(v, "true", 4) == 0)
		return true;
	return dflt;
}

/* ---- replies ----------------------------------------------------------------------------------- */

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
void sim_us_reply(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
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

void sim_us_reply_error(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                        int status, int code, const char *msg)
{
	struct sim_api_reply r = {0};
	sim_api_error(&r, status, code, "%s", msg);
	sim_us_reply(us, uc, rq, &r, NULL);
}

void sim_us_reply_json(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                       char *json)
{
	struct sim_api_reply r = {.status = 200, .json = json};
	sim_us_reply(us, uc, rq, &r, NULL);
	free(json);
}

/* ---- requests ---------------------------------------------------------------------------------- */

/*
 * Converts the params object to pairs. Strings are their decoded text, numbers (and arrays and
 * objects) their raw JSON text, booleans true/false; nulls are left out. False when there are too
 * many.
 */
static bool params_to_pairs(const char *data, size_t len, size_t params_off, const cJSON *params,
                            struct us_request *rq)
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

bool sim_us_authenticate(struct sim_userstreams *us, const struct us_request *rq,
                         const struct sim_api_method *m, struct sim_api_call *call, struct sim_api_reply *r)
{
	char payload[US_PAYLOAD_MAX];
	size_t plen = 0, klen, slen;
	const char *key = sim_us_param(rq, "apiKey", &klen);
	const char *sig = sim_us_param(rq, "signature", &slen);
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
	return sim_api_authenticate(call, m, key, klen, payload, plen, sig, slen, r);
}

/* Authorizes a table method: public, signed in its params, or (without an apiKey) run as the account
 * of a logged-on session, which signs nothing more. */
static bool authorize(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                      const struct sim_api_method *m, struct sim_api_call *call, struct sim_api_reply *r)
{
	static const struct sim_api_method session_method = {.sec = SIM_SEC_USER_STREAM};
	size_t klen;
	*call = (struct sim_api_call){
	    .ex = us->ex, .params = rq->pairs, .nparams = rq->npairs, .now_ms = rq->now_ms, .ws = true};
	if (m->sec == SIM_SEC_NONE)
		return true;
	if (!sim_us_param(rq, "apiKey", &klen) && uc->session)
		return sim_api_authenticate(call, &session_method, uc->session->key, strlen(uc->session->key),
		                            NULL, 0, NULL, 0, r);
	return sim_us_authenticate(us, rq, m, call, r);
}

/* Runs a method of sim/api.h's table (weight charged first, the order faults around order.place). */
static void table_method(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                         const struct sim_api_method *m)
{
	struct sim_exchange *ex = us->ex;
	struct sim_api_reply r = {0};
	struct sim_api_call call = {0};
	bool place = m->ws_method && strcmp(m->ws_method, "order.place") == 0;
	if (!sim_api_charge(ex, m->weight, rq->now_ms, &r) || !authorize(us, uc, rq, m, &call, &r))
		goto reply;
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
	sim_us_reply(us, uc, rq, &r, r.order ? call.account : NULL);
	free(r.json);
	free(r.data);
}

/* ---- dispatch ------------------------------------------------------------------------------------ */

/* The methods answered here rather than by sim/api.h's table; each costs US_WEIGHT_SESSION. */
static const struct {
	const char *name; /* the method */
	us_method_fn fn;  /* what answers it */
} own_methods[] = {
    {"session.logon", sim_us_session_logon},
    {"session.status", sim_us_session_status},
    {"session.logout", sim_us_session_logout},
    {"session.subscriptions", sim_us_subscriptions},
    {"userDataStream.subscribe", sim_us_subscribe_session},
    {"userDataStream.subscribe.signature", sim_us_subscribe_signature},
    {"userDataStream.unsubscribe", sim_us_unsubscribe},
};

static void dispatch(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	for (size_t i = 0; i < sizeof own_methods / sizeof own_methods[0]; i++) {
		if (strcmp(rq->method, own_methods[i].name) != 0)
			continue;
		struct sim_api_reply r = {0};
		if (!sim_api_charge(us->ex, US_WEIGHT_SESSION, rq->now_ms, &r))
			sim_us_reply(us, uc, rq, &r, NULL);
		else
			own_methods[i].fn(us, uc, rq);
		return;
	}
	const struct sim_api_method *m = sim_api_find_ws(rq->method);
	if (!m) {
		sim_us_reply_error(us, uc, rq, 400, -1000, "Unknown method.");
		return;
	}
	table_method(us, uc, rq, m);
}

/* ---- frames -------------------------------------------------------------------------------------- */

/* The top-level members of a request that matter, cJSON's and where they stand in the frame. */
struct members {
	const cJSON *method; /* "method", or NULL */
	const cJSON *params; /* "params", or NULL */
	size_t params_off;   /* where params' value starts in the frame */
};

/* Finds id, method and params among root's members (the first of each name counts); the id's raw text
 * goes to rq. False with a reply sent for an id that is not a number, a string or null. */
static bool find_members(struct sim_userstreams *us, struct us_conn *uc, const char *data, size_t len,
                         const cJSON *root, struct us_request *rq, struct members *mb)
{
	/* Raw spans of the top-level members, matched to cJSON's children by position. */
	size_t n_top = 0, k = 0;
	for (const cJSON *it = root->child; it; it = it->next)
		n_top++;
	struct sim_jspan *top = sb_xcalloc(n_top ? n_top : 1, sizeof *top);
	sim_jspan_object(data, len, 0, top, n_top);
	bool have_id = false, ok = true;
	for (const cJSON *it = root->child; it && ok; it = it->next, k++) {
		if (!have_id && strcmp(it->string, "id") == 0) {
			have_id = true;
			ok = cJSON_IsNumber(it) || cJSON_IsString(it) || cJSON_IsNull(it);
			rq->id = ok ? data + top[k].off : rq->id;
			rq->id_len = ok ? top[k].len : rq->id_len;
		} else if (!mb->method && strcmp(it->string, "method") == 0) {
			mb->method = it;
		} else if (!mb->params && strcmp(it->string, "params") == 0) {
			mb->params = it;
			mb->params_off = top[k].off;
		}
	}
	free(top);
	if (!ok)
		sim_us_reply_error(us, uc, rq, 400, -1135,
		                   "Invalid 'id' in JSON request; expected a number, a string or null.");
	return ok;
}

/* Checks method and params and reads params into rq's pairs; false with a reply sent. */
static bool read_request(struct sim_userstreams *us, struct us_conn *uc, const char *data, size_t len,
                         const struct members *mb, struct us_request *rq)
{
	if (!cJSON_IsString(mb->method) || !mb->method->valuestring[0]) {
		sim_us_reply_error(
		    us, uc, rq, 400, -1102,
		    "Mandatory parameter 'method' was not sent, was empty/null, or malformed.");
		return false;
	}
	if (mb->params && !cJSON_IsObject(mb->params) && !cJSON_IsNull(mb->params)) {
		sim_us_reply_error(us, uc, rq, 400, -1135,
		                   "Invalid 'params' in JSON request; expected an object.");
		return false;
	}
	if (cJSON_IsObject(mb->params) && !params_to_pairs(data, len, mb->params_off, mb->params, rq)) {
		sim_us_reply_error(us, uc, rq, 400, -1101, "Too many parameters sent for this endpoint.");
		return false;
	}
	size_t vlen;
	const char *v = sim_us_param(rq, "returnRateLimits", &vlen);
	if (v)
		rq->rate_limits = sim_us_rate_limits_value(v, vlen, rq->rate_limits);
	const char *name = mb->method->valuestring;
	rq->method = strncmp(name, "v3/", 3) == 0 ? name + 3 : name;
	return true;
}

void sim_us_wsapi_message(struct sim_userstreams *us, struct us_conn *uc, const char *data, size_t len)
{
	struct us_request *rq = sb_xcalloc(1, sizeof *rq);
	rq->id = "null";
	rq->id_len = 4;
	rq->rate_limits = uc->rate_limits;
	rq->now_ms = sim_us_now(us);
	struct members mb = {0};
	cJSON *root = cJSON_ParseWithLength(data, len);
	if (!root || !cJSON_IsObject(root))
		sim_us_reply_error(us, uc, rq, 400, -1135, "Invalid JSON Request");
	else if (find_members(us, uc, data, len, root, rq, &mb) && read_request(us, uc, data, len, &mb, rq))
		dispatch(us, uc, rq);
	cJSON_Delete(root);
	free(rq);
}

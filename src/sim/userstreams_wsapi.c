/*
 * userstreams_wsapi.c - WebSocket API frames at /ws-api/v3. A request is one JSON text frame
 * {"id","method","params"}. Table methods (sim/api.h) get their params as name=value pairs exactly as
 * the client signed them: strings decoded, numbers, arrays and objects as their raw JSON text (cJSON
 * keeps numbers only as doubles, so the raw text is found by walking the frame alongside cJSON's tree),
 * booleans as true/false. The session.* and userDataStream.* methods are answered by
 * userstreams_session.c, the others by sim/api.h's table; userstreams_request.c checks signatures and
 * sends the replies.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "sim/jspan.h"
#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

/* 5xx answer for the order fault, as Binance answers when the outcome is unknown. */
#define US_UNKNOWN_MSG                                                                                       \
	"Timeout waiting for response from backend server. Send status unknown; execution status unknown."

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
	if (place && ex->faults.order_ws_drop && r.status == 200) {
		/* Executed, and the answer lost with the connection: the client cannot know the outcome. */
		sim_ws_close(uc->conn, US_CLOSE_AWAY, "connection lost (fault)");
		goto out;
	}
reply:
	sim_us_reply(us, uc, rq, &r, r.order ? call.account : NULL);
out:
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

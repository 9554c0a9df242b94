/*
 * userstreams_request.c - one WebSocket API request after its frame is read: its parameters, its
 * signature (over the parameters sorted by name, as the client signed them) and its reply. Replies echo
 * the id as it was written and carry the request-weight counter (and, after an order, the order
 * counters) unless returnRateLimits is false, in the URL or the request.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/userstreams_int.h"

#define US_PAYLOAD_MAX 16384 /* longest signing payload */

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

/* ---- signatures --------------------------------------------------------------------------------- */

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

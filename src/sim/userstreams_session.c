/*
 * userstreams_session.c - the methods the WebSocket API answers itself: session.logon (Ed25519 keys
 * only), session.status, session.logout, and the user-data subscriptions of a connection:
 * userDataStream.subscribe.signature (any key type), userDataStream.subscribe after a logon,
 * userDataStream.unsubscribe and session.subscriptions. A connection holds at most one subscription per
 * account, with ids from 0 that are never reused.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "common/parse.h"
#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

/* How the methods signed in their params are secured. */
static const struct sim_api_method signed_method = {.sec = SIM_SEC_SIGNED};

/* ---- subscriptions ----------------------------------------------------------------------------- */

struct us_sub *sim_us_find_sub(struct us_conn *uc, uint32_t account)
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
	             sub_id, sim_us_now(us));
	if (n > 0 && (size_t)n < sizeof buf)
		sim_ws_send(uc->conn, buf, (size_t)n);
}

/* Removes subscription i, announcing eventStreamTerminated on it. */
void sim_us_end_sub(struct sim_userstreams *us, struct us_conn *uc, size_t i)
{
	send_terminated(us, uc, uc->subs[i].id);
	memmove(&uc->subs[i], &uc->subs[i + 1], (uc->n_subs - i - 1) * sizeof uc->subs[0]);
	uc->n_subs--;
}

/* Adds a subscription for account and replies with its id (or -2035 / -2042). */
static void subscribe(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                      uint32_t account, bool from_session)
{
	if (sim_us_find_sub(uc, account)) {
		sim_us_reply_error(us, uc, rq, 400, -2035, "User Data Stream subscription already active.");
		return;
	}
	if (uc->next_sub_id >= US_MAX_SUB_IDS || uc->n_subs >= US_MAX_ACTIVE_SUBS) {
		sim_us_reply_error(us, uc, rq, 400, -2042,
		                   "Maximum subscription ID reached for this connection.");
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
	sim_us_reply_json(us, uc, rq, sb_xstrdup(buf));
}

void sim_us_subscribe_signature(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	struct sim_api_call call;
	struct sim_api_reply r = {0};
	if (!sim_us_authenticate(us, rq, &signed_method, &call, &r)) {
		sim_us_reply(us, uc, rq, &r, NULL);
		return;
	}
	subscribe(us, uc, rq, call.account->id, false);
}

void sim_us_subscribe_session(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	if (!uc->session) {
		sim_us_reply_error(us, uc, rq, 401, -1002, "You are not authorized to execute this request.");
		return;
	}
	subscribe(us, uc, rq, uc->session->id, true);
}

/* userDataStream.unsubscribe without a subscriptionId: every subscription of the connection ends. */
static void unsubscribe_all(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	if (uc->n_subs == 0) {
		sim_us_reply_error(us, uc, rq, 400, -2036, "User Data Stream subscription not active.");
		return;
	}
	while (uc->n_subs)
		sim_us_end_sub(us, uc, 0);
	sim_us_reply_json(us, uc, rq, sb_xstrdup("{}"));
}

void sim_us_unsubscribe(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	size_t vlen;
	const char *v = sim_us_param(rq, "subscriptionId", &vlen);
	if (!v) {
		unsubscribe_all(us, uc, rq);
		return;
	}
	int64_t id = 0;
	if (vlen > 10 || !sb_parse_i64(v, vlen, 0, INT64_MAX, &id)) { /* ten digits at most */
		sim_us_reply_error(us, uc, rq, 400, -1100,
		                   "Illegal characters found in parameter 'subscriptionId'.");
		return;
	}
	for (size_t i = 0; i < uc->n_subs; i++)
		if ((int64_t)uc->subs[i].id == id) {
			sim_us_end_sub(us, uc, i);
			sim_us_reply_json(us, uc, rq, sb_xstrdup("{}"));
			return;
		}
	sim_us_reply_error(us, uc, rq, 400, -2036, "User Data Stream subscription not active.");
}

void sim_us_subscriptions(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	struct sb_buf t = {0};
	sb_buf_puts(&t, "[");
	for (size_t i = 0; i < uc->n_subs; i++)
		sb_buf_printf(&t, "%s{\"subscriptionId\":%u}", i ? "," : "", uc->subs[i].id);
	sb_buf_puts(&t, "]");
	sim_us_reply_json(us, uc, rq, t.p);
}

/* ---- session ----------------------------------------------------------------------------------- */

static void session_status_json(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
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

void sim_us_session_status(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	struct sb_buf t = {0};
	session_status_json(us, uc, rq, &t);
	sim_us_reply_json(us, uc, rq, t.p);
}

void sim_us_session_logon(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	struct sim_api_call call;
	struct sim_api_reply r = {0};
	size_t klen;
	const char *key = sim_us_param(rq, "apiKey", &klen);
	struct sim_account *a = key ? sim_exchange_account(us->ex, key, klen) : NULL;
	/* Only Ed25519 keys may log on; an HMAC account is refused before its signature is looked at. */
	if (a && (!a->hmac || sb_signer_kind(a->hmac) != SB_SIGN_ED25519)) {
		sim_us_reply_error(us, uc, rq, 401, -1002, "You are not authorized to execute this request.");
		return;
	}
	if (!sim_us_authenticate(us, rq, &signed_method, &call, &r)) {
		sim_us_reply(us, uc, rq, &r, NULL);
		return;
	}
	uc->session = call.account;
	uc->authorized_ms = rq->now_ms;
	sim_us_session_status(us, uc, rq);
}

void sim_us_session_logout(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq)
{
	for (size_t i = uc->n_subs; i-- > 0;)
		if (uc->subs[i].from_session)
			sim_us_end_sub(us, uc, i);
	uc->session = NULL;
	uc->authorized_ms = 0;
	sim_us_session_status(us, uc, rq);
}

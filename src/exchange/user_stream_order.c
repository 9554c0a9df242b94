/*
 * user_stream_order.c - order.place over the WebSocket API (see wsapi_order.h): the request from the REST
 * builder's parameters, and its answer in the REST client's terms.
 *
 * The parameters are taken from sb_bn_rest_build_order_place rather than listed a second time, so an
 * order cannot differ by the path it takes: its encoded "k=v&..." string is decoded back into pairs and
 * sent as JSON strings, as Binance's WebSocket API documents them.
 */
#include <stdio.h>
#include <string.h>

#include "exchange/rest_build.h"
#include "exchange/wsapi_order.h"
#include "spotbot/binance_streams.h"
#include "spotbot/query.h"

#define WO_AUTH_PARAMS 3 /* apiKey, recvWindow, timestamp */

/* NUL-terminated copies of the decoded pairs, for sb_bn_ws_request_build. */
struct wo_params {
	struct sb_bn_ws_param p[SB_QUERY_MAX_PAIRS]; /* the parameters */
	size_t n;                                    /* used entries */
	char text[2 * SB_BN_REST_PARAMS_MAX];        /* keys and values, each NUL-terminated */
	size_t used;                                 /* bytes of text in use */
	char ts[24], rw[24];                         /* timestamp and recvWindow as text */
};

static const char *keep(struct wo_params *w, const char *s, size_t len)
{
	if (len + 1 > sizeof w->text - w->used)
		return NULL;
	char *d = w->text + w->used;
	memcpy(d, s, len);
	d[len] = '\0';
	w->used += len + 1;
	return d;
}

/* The order's REST parameters, decoded. */
static sb_err order_params(const struct sb_bn_new_order *o, struct wo_params *w)
{
	struct sb_bn_rest_call c;
	sb_err e = sb_bn_rest_build_order_place(o, &c);
	if (e)
		return e;
	struct sb_query q;
	sb_query_init(&q);
	e = sb_query_parse(&q, c.params, c.params_len, 0);
	if (e)
		return e;
	if (q.npairs + WO_AUTH_PARAMS > SB_QUERY_MAX_PAIRS)
		return SB_ERR_TOO_LONG;
	for (size_t i = 0; i < q.npairs; i++) {
		const char *k = keep(w, q.pairs[i].key, q.pairs[i].key_len);
		const char *v = keep(w, q.pairs[i].val, q.pairs[i].val_len);
		if (!k || !v)
			return SB_ERR_TOO_LONG;
		w->p[w->n++] = (struct sb_bn_ws_param){k, v, false};
	}
	return SB_OK;
}

sb_err sb_bn_ws_order_request(const struct sb_bn_ws_order_auth *auth, int64_t id,
                              const struct sb_bn_new_order *o, char *out, size_t cap, size_t *outlen)
{
	if (!auth || !out || cap == 0 || (auth->signer && (!auth->api_key || !*auth->api_key)))
		return SB_ERR_INVALID;
	struct wo_params w;
	memset(&w, 0, sizeof w);
	sb_err e = order_params(o, &w);
	if (e)
		return e;
	if (auth->signer)
		w.p[w.n++] = (struct sb_bn_ws_param){"apiKey", auth->api_key, false};
	if (auth->recv_window_ms) {
		snprintf(w.rw, sizeof w.rw, "%lld", (long long)auth->recv_window_ms);
		w.p[w.n++] = (struct sb_bn_ws_param){"recvWindow", w.rw, true};
	}
	snprintf(w.ts, sizeof w.ts, "%lld", (long long)auth->timestamp_ms);
	w.p[w.n++] = (struct sb_bn_ws_param){"timestamp", w.ts, true};
	return sb_bn_ws_request_build(auth->signer, id, "order.place", w.p, w.n, out, cap, outlen);
}

sb_err sb_bn_ws_order_answer(const struct sb_bn_ws_response *r, enum sb_bn_order_shape shape,
                             struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	if (!r || !res || !order)
		return SB_ERR_INVALID;
	memset(res, 0, sizeof *res);
	memset(order, 0, sizeof *order);
	res->sent = true;
	res->attempts = 1;
	res->http_status = r->status;
	if (!r->ok) {
		res->api = r->error;
		res->err = sb_bn_api_error_class(&r->error);
		if (res->err == SB_OK)
			res->err = SB_ERR_EXCHANGE; /* an error answer is never a success */
		snprintf(res->detail, sizeof res->detail, "status %d, code %lld: %.200s", r->status,
		         (long long)r->error.code, r->error.msg);
		return res->err;
	}
	res->api.http_status = r->status;
	res->api.retry_after_ms = -1;
	res->err = sb_bn_order_from_json(r->result, shape, order, res->detail, sizeof res->detail);
	if (res->err) {
		sb_bn_order_fini(order);
		res->err = SB_ERR_UNKNOWN_OUTCOME; /* accepted, so it exists: settled by query */
	}
	return res->err;
}

int64_t sb_bn_ws_used_weight(const struct sb_bn_ws_response *r)
{
	for (size_t i = 0; r && i < r->n_rate_limits; i++) {
		const struct sb_bn_rate_limit *l = &r->rate_limits[i];
		if (l->type == SB_BN_LIMIT_REQUEST_WEIGHT && l->interval == SB_BN_INTERVAL_MINUTE &&
		    l->interval_num == 1 && l->count >= 0)
			return l->count;
	}
	return -1;
}

/*
 * rest.c - spotsim's REST front: turns an HTTP request into an API call (sim/api.h) and the reply
 * into Binance's HTTP response, with its weight, order-count and Retry-After headers.
 *
 * libwebsockets hands the query string over already percent-decoded and split, so the signed bytes of
 * the query are rebuilt by encoding the arguments again. RFC 3986 encoding is what Binance's examples
 * and spotbot use; when a query holds characters that clients encode differently, the common
 * alternatives (JavaScript's encodeURIComponent, HTML-form encoding) are tried too. A form body is
 * verified over its raw bytes.
 */
#include "sim/rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/api.h"
#include "spotbot/alloc.h"

enum encoding {
	ENC_RFC3986,   /* only A-Z a-z 0-9 - _ . ~ stay as they are */
	ENC_COMPONENT, /* encodeURIComponent: also ! ' ( ) * */
	ENC_FORM,      /* URLSearchParams: also *, and space as '+' */
	ENC__COUNT
};

static bool keep(unsigned char c, enum encoding enc)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	    c == '_' || c == '.')
		return true;
	switch (enc) {
	case ENC_RFC3986:
		return c == '~';
	case ENC_COMPONENT:
		return c == '~' || c == '!' || c == '\'' || c == '(' || c == ')' || c == '*';
	default:
		return c == '*';
	}
}

static bool encode(const char *s, enum encoding enc, char *out, size_t cap, size_t *len)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*len + 4 > cap)
			return false;
		if (keep(*p, enc)) {
			out[(*len)++] = (char)*p;
		} else if (*p == ' ' && enc == ENC_FORM) {
			out[(*len)++] = '+';
		} else {
			out[(*len)++] = '%';
			out[(*len)++] = hex[*p >> 4];
			out[(*len)++] = hex[*p & 15];
		}
	}
	out[*len] = '\0';
	return true;
}

/* The query string as a client would have sent it, in one of the encodings. */
static bool rebuild_query(const struct sim_http_req *req, enum encoding enc, char *out, size_t cap,
                          size_t *len)
{
	*len = 0;
	out[0] = '\0';
	for (size_t i = 0; i < req->nargs; i++) {
		if (i) {
			if (*len + 2 > cap)
				return false;
			out[(*len)++] = '&';
		}
		if (!encode(req->args[i].key, enc, out, cap, len))
			return false;
		if (*len + 2 > cap)
			return false;
		out[(*len)++] = '=';
		if (!encode(req->args[i].value, enc, out, cap, len))
			return false;
	}
	out[*len] = '\0';
	return true;
}

/* True when the arguments hold a character that the encodings treat differently. */
static bool encoding_matters(const struct sim_http_req *req)
{
	for (size_t i = 0; i < req->nargs; i++)
		for (int k = 0; k < 2; k++)
			for (const unsigned char *p =
			         (const unsigned char *)(k ? req->args[i].value : req->args[i].key);
			     *p; p++)
				if (!keep(*p, ENC_RFC3986))
					return true;
	return false;
}

static void add_headers(struct sim_exchange *ex, const struct sim_api_call *call,
                        const struct sim_api_reply *r, struct sim_http_resp *resp)
{
	char v[32];
	snprintf(v, sizeof v, "%u", ex->weight.used);
	sim_http_resp_header(resp, "X-MBX-USED-WEIGHT-1M", v);
	sim_http_resp_header(resp, "X-MBX-USED-WEIGHT", v);
	if (r->order && call->account) {
		snprintf(v, sizeof v, "%u", call->account->orders_10s);
		sim_http_resp_header(resp, "X-MBX-ORDER-COUNT-10S", v);
		snprintf(v, sizeof v, "%u", call->account->orders_1d);
		sim_http_resp_header(resp, "X-MBX-ORDER-COUNT-1D", v);
	}
	if (r->retry_after) {
		snprintf(v, sizeof v, "%u", r->retry_after);
		sim_http_resp_header(resp, "Retry-After", v);
	}
}

static void finish(struct sim_exchange *ex, const struct sim_api_call *call, struct sim_api_reply *r,
                   struct sim_http_resp *resp)
{
	if (r->status == 200 && r->json) {
		resp->status = 200;
		resp->body = r->json;
		resp->body_len = strlen(r->json);
		r->json = NULL;
	} else if (r->data) {
		/* cancelReplace's failures carry what each half did: {"code","msg","data":{...}}. */
		struct sb_buf b;
		sb_buf_init(&b, SB_JSON_MAX);
		sb_buf_printf(&b, "{\"code\":%d,\"msg\":", r->code);
		sb_json_str(&b, r->msg);
		sb_buf_puts(&b, ",\"data\":");
		sb_buf_puts(&b, r->data);
		sb_buf_puts(&b, "}");
		char *body = sb_buf_take(&b);
		if (body) {
			free(resp->body);
			resp->status = r->status;
			resp->body = body;
			resp->body_len = strlen(body);
		} else {
			sim_http_resp_error(resp, r->status, r->code, r->msg);
		}
	} else {
		sim_http_resp_error(resp, r->status ? r->status : 500, r->code, r->msg);
	}
	add_headers(ex, call, r, resp);
	resp->delay_ms = ex->faults.delay_ms;
}

static sb_err parse_params(const struct sim_http_req *req, struct sb_query *q, char *query, size_t cap,
                           struct sim_api_reply *r)
{
	size_t qlen;
	if (req->args_truncated || !rebuild_query(req, ENC_RFC3986, query, cap, &qlen)) {
		sim_api_error(r, 400, -1101, "Too many parameters; expected '%d' and received more.",
		              SB_QUERY_MAX_PAIRS);
		return SB_ERR_TOO_LONG;
	}
	sb_err e = sb_query_parse_request(q, query, qlen, req->body, req->body_len);
	if (e == SB_ERR_EXISTS)
		sim_api_error(r, 400, -1101, "Duplicate values for a parameter detected.");
	else if (e == SB_ERR_TOO_LONG)
		sim_api_error(r, 400, -1101, "Too many parameters; expected '%d' and received more.",
		              SB_QUERY_MAX_PAIRS);
	else if (e)
		sim_api_error(r, 400, -1100, "Illegal characters found in a parameter.");
	return e;
}

/* Verifies a signed request, trying the other query encodings when the first fails. */
static bool authenticate(struct sim_api_call *call, const struct sim_api_method *m,
                         const struct sim_http_req *req, struct sb_query *q, char *query, size_t cap,
                         struct sim_api_reply *r)
{
	char payload[2 * SB_QUERY_MAX_LEN + 1];
	size_t plen = 0, slen = 0;
	const char *sig = NULL;
	if (m->sec == SIM_SEC_SIGNED &&
	    sb_query_signed_payload(q, payload, sizeof payload, &plen, &sig, &slen) == SB_ERR_EXISTS) {
		sim_api_error(r, 400, -1101, "Duplicate values for a parameter detected.");
		return false;
	}
	if (sim_api_authenticate(call, m, req->api_key, strlen(req->api_key), payload, plen, sig, slen, r))
		return true;
	if (r->code != -1022 || !encoding_matters(req))
		return false;
	for (int enc = ENC_COMPONENT; enc < ENC__COUNT; enc++) {
		struct sb_query alt;
		size_t qlen;
		if (!rebuild_query(req, (enum encoding)enc, query, cap, &qlen) ||
		    sb_query_parse_request(&alt, query, qlen, req->body, req->body_len) != SB_OK ||
		    sb_query_signed_payload(&alt, payload, sizeof payload, &plen, &sig, &slen) != SB_OK)
			continue;
		struct sim_api_reply again = {.status = 200};
		if (sim_api_authenticate(call, m, req->api_key, strlen(req->api_key), payload, plen, sig,
		                         slen, &again)) {
			*r = again;
			return true;
		}
	}
	return false;
}

void sim_rest_handle(struct sim_exchange *ex, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	struct sim_api_reply r = {.status = 200};
	struct sim_api_call call = {.ex = ex, .now_ms = sim_exchange_now(ex)};
	const struct sim_api_method *m = sim_api_find_rest(sim_http_method_name(req->method), req->path);
	if (!m) {
		sim_api_error(&r, 404, -1000, "Unknown endpoint %s %s.", sim_http_method_name(req->method),
		              req->path);
		finish(ex, &call, &r, resp);
		return;
	}
	static struct sb_query q; /* large; spotsim serves one request at a time on its loop */
	static char query[SB_QUERY_MAX_LEN + 1];
	if (!sim_api_charge(ex, m->weight, call.now_ms, &r) ||
	    parse_params(req, &q, query, sizeof query, &r) != SB_OK) {
		finish(ex, &call, &r, resp);
		return;
	}
	call.params = q.pairs;
	call.nparams = q.npairs;
	if (!authenticate(&call, m, req, &q, query, sizeof query, &r)) {
		finish(ex, &call, &r, resp);
		return;
	}
	r.weight = m->weight;
	m->fn(&call, &r);
	/* Methods whose weight depends on their parameters (or on success) correct the upfront charge. */
	if (r.weight > m->weight) {
		ex->weight.used += r.weight - m->weight;
		ex->weight.total += r.weight - m->weight;
	} else if (ex->weight.used >= m->weight - r.weight) {
		ex->weight.used -= m->weight - r.weight;
		ex->weight.total -= m->weight - r.weight;
	}
	finish(ex, &call, &r, resp);
	free(r.json);
	free(r.data);
}

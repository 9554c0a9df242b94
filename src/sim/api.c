/*
 * api.c - the table of spotsim's API methods, and what every call goes through before its method
 * runs: authentication (API key, signature, timestamp window) and request weight (see api.h).
 */
#include "sim/api.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "sim/api_int.h"

/* Weights follow Binance's documentation (binance-spot-api.md §4); order placement and cancels are
 * weight 0 when they succeed since 2026-04-02, charged 1 up front as the request is received.
 * cancelReplace is documented as weight 1 and keeps it whatever the outcome. */
static const struct sim_api_method methods[] = {
    {"GET", "/api/v3/ping", "ping", SIM_SEC_NONE, 1, sim_api_ping},
    {"GET", "/api/v3/time", "time", SIM_SEC_NONE, 1, sim_api_time},
    {"GET", "/api/v3/exchangeInfo", "exchangeInfo", SIM_SEC_NONE, 20, sim_api_exchange_info},
    {"GET", "/api/v3/depth", "depth", SIM_SEC_NONE, 5, sim_api_depth},
    {"GET", "/api/v3/trades", "trades.recent", SIM_SEC_NONE, 25, sim_api_trades},
    {"GET", "/api/v3/aggTrades", "trades.aggregate", SIM_SEC_NONE, 4, sim_api_agg_trades},
    {"GET", "/api/v3/klines", "klines", SIM_SEC_NONE, 2, sim_api_klines},
    {"GET", "/api/v3/uiKlines", "uiKlines", SIM_SEC_NONE, 2, sim_api_klines},
    {"GET", "/api/v3/avgPrice", "avgPrice", SIM_SEC_NONE, 2, sim_api_avg_price},
    {"GET", "/api/v3/ticker/24hr", "ticker.24hr", SIM_SEC_NONE, 2, sim_api_ticker_24hr},
    {"GET", "/api/v3/ticker/price", "ticker.price", SIM_SEC_NONE, 2, sim_api_ticker_price},
    {"GET", "/api/v3/ticker/bookTicker", "ticker.book", SIM_SEC_NONE, 2, sim_api_book_ticker},
    {"POST", "/api/v3/order", "order.place", SIM_SEC_SIGNED, 1, sim_api_order_place},
    {"POST", "/api/v3/order/test", "order.test", SIM_SEC_SIGNED, 1, sim_api_order_test},
    {"GET", "/api/v3/order", "order.status", SIM_SEC_SIGNED, 4, sim_api_order_status},
    {"DELETE", "/api/v3/order", "order.cancel", SIM_SEC_SIGNED, 1, sim_api_order_cancel},
    {"POST", "/api/v3/order/cancelReplace", "order.cancelReplace", SIM_SEC_SIGNED, 1,
     sim_api_order_cancel_replace},
    {"GET", "/api/v3/openOrders", "openOrders.status", SIM_SEC_SIGNED, 6, sim_api_open_orders},
    {"DELETE", "/api/v3/openOrders", "openOrders.cancelAll", SIM_SEC_SIGNED, 1, sim_api_cancel_open_orders},
    {"GET", "/api/v3/allOrders", "allOrders", SIM_SEC_SIGNED, 20, sim_api_all_orders},
    {"GET", "/api/v3/myTrades", "myTrades", SIM_SEC_SIGNED, 20, sim_api_my_trades},
    {"GET", "/api/v3/myPreventedMatches", "myPreventedMatches", SIM_SEC_SIGNED, 20,
     sim_api_my_prevented_matches},
    {"GET", "/api/v3/account", "account.status", SIM_SEC_SIGNED, 20, sim_api_account},
    {"GET", "/api/v3/account/commission", "account.commission", SIM_SEC_SIGNED, 20,
     sim_api_account_commission},
    {"GET", "/api/v3/rateLimit/order", "account.rateLimits.orders", SIM_SEC_SIGNED, 40,
     sim_api_rate_limit_order},
    {"POST", "/api/v3/userDataStream", NULL, SIM_SEC_USER_STREAM, 2, sim_api_listenkey_create},
    {"PUT", "/api/v3/userDataStream", NULL, SIM_SEC_USER_STREAM, 2, sim_api_listenkey_keepalive},
    {"DELETE", "/api/v3/userDataStream", NULL, SIM_SEC_USER_STREAM, 2, sim_api_listenkey_close},
};

#define NMETHODS (sizeof methods / sizeof methods[0])

const struct sim_api_method *sim_api_find_rest(const char *method, const char *path)
{
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].rest_path && strcmp(methods[i].rest_method, method) == 0 &&
		    strcmp(methods[i].rest_path, path) == 0)
			return &methods[i];
	return NULL;
}

const struct sim_api_method *sim_api_find_ws(const char *name)
{
	if (strncmp(name, "v3/", 3) == 0)
		name += 3;
	for (size_t i = 0; i < NMETHODS; i++)
		if (methods[i].ws_method && strcmp(methods[i].ws_method, name) == 0)
			return &methods[i];
	return NULL;
}

void sim_api_error(struct sim_api_reply *reply, int status, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reply->msg, sizeof reply->msg, fmt, ap);
	va_end(ap);
	reply->status = status;
	reply->code = code;
	free(reply->json);
	reply->json = NULL;
	free(reply->data);
	reply->data = NULL;
}

const char *sim_api_param(const struct sim_api_call *call, const char *name, char *buf, size_t cap)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; i < call->nparams; i++) {
		const struct sb_query_pair *p = &call->params[i];
		if (p->key_len != nlen || memcmp(p->key, name, nlen) != 0)
			continue;
		if (p->val_len >= cap)
			return NULL;
		memcpy(buf, p->val, p->val_len);
		buf[p->val_len] = '\0';
		return buf;
	}
	return NULL;
}

/* Parses a non-negative decimal integer parameter; false when absent or malformed. */
static bool param_i64(const struct sim_api_call *call, const char *name, bool *present, int64_t *out)
{
	char buf[32];
	const char *v = sim_api_param(call, name, buf, sizeof buf);
	*present = v != NULL;
	if (!v)
		return false;
	return sb_parse_i64_str(v, 0, INT64_MAX, out);
}

/* recvWindow may carry up to three decimals (microseconds); returns it in microseconds. */
static bool param_recv_window_us(const struct sim_api_call *call, bool *present, int64_t *out)
{
	char buf[32];
	const char *v = sim_api_param(call, "recvWindow", buf, sizeof buf);
	*present = v != NULL;
	if (!v)
		return false;
	sb_dec d;
	if (sb_dec_parse_nonneg(v, strlen(v), &d) != SB_OK || !sb_dec_is_multiple(d, SB_DEC_C(0, 100000)))
		return false;
	*out = d / 100000; /* 10^8 scale to 10^3 per unit: ms * 1000 = us */
	return true;
}

static bool check_timestamp(struct sim_api_call *call, struct sim_api_reply *reply)
{
	bool present;
	int64_t ts, window_us = 5000 * 1000;
	if (!param_i64(call, "timestamp", &present, &ts)) {
		sim_api_error(
		    reply, 400, -1102,
		    present ? "Illegal characters found in parameter 'timestamp'."
		            : "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.");
		if (present)
			reply->code = -1100;
		return false;
	}
	if (param_recv_window_us(call, &present, &window_us) == false && present) {
		sim_api_error(reply, 400, -1100, "Illegal characters found in parameter 'recvWindow'.");
		return false;
	}
	if (window_us > 60000 * 1000) {
		sim_api_error(reply, 400, -1131, "recvWindow must be less than 60000");
		return false;
	}
	/* Timestamps may be in milliseconds or microseconds. */
	int64_t ts_us = ts > 100000000000000LL ? ts : ts * 1000;
	int64_t now_us = call->now_ms * 1000;
	if (ts_us < 1483228800000LL * 1000) {
		sim_api_error(reply, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
		return false;
	}
	if (ts_us >= now_us + 1000 * 1000) {
		sim_api_error(reply, 400, -1021,
		              "Timestamp for this request was 1000ms ahead of the server's time.");
		return false;
	}
	if (now_us - ts_us > window_us) {
		sim_api_error(reply, 400, -1021, "Timestamp for this request is outside of the recvWindow.");
		return false;
	}
	return true;
}

bool sim_api_authenticate(struct sim_api_call *call, const struct sim_api_method *m, const char *api_key,
                          size_t key_len, const char *payload, size_t payload_len, const char *signature,
                          size_t sig_len, struct sim_api_reply *reply)
{
	call->account = NULL;
	if (m->sec == SIM_SEC_NONE)
		return true;
	if (!api_key || key_len == 0) {
		sim_api_error(reply, 401, -2014, "API-key format invalid.");
		return false;
	}
	struct sim_account *a = sim_exchange_account(call->ex, api_key, key_len);
	if (!a) {
		sim_api_error(reply, 401, -2015, "Invalid API-key, IP, or permissions for action.");
		return false;
	}
	call->account = a;
	if (m->sec == SIM_SEC_USER_STREAM)
		return true;
	if (!check_timestamp(call, reply))
		return false;
	if (!signature || sig_len == 0) {
		sim_api_error(reply, 400, -1102,
		              "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
		return false;
	}
	if (sb_signer_verify(a->hmac, payload, payload_len, signature, sig_len) != SB_OK) {
		sim_api_error(reply, 400, -1022, "Signature for this request is not valid.");
		return false;
	}
	return true;
}

bool sim_api_charge(struct sim_exchange *ex, uint32_t weight, int64_t now_ms, struct sim_api_reply *reply)
{
	struct sim_weight *w = &ex->weight;
	if (w->banned_until > now_ms) {
		w->refused++;
		reply->retry_after = (uint32_t)((w->banned_until - now_ms + 999) / 1000);
		sim_api_error(
		    reply, 418, -1003,
		    "Way too much request weight used; IP banned until %lld. Please use WebSocket Streams for live updates to avoid bans.",
		    (long long)w->banned_until);
		return false;
	}
	if (ex->faults.force_429_s) {
		w->refused++;
		reply->retry_after = ex->faults.force_429_s;
		sim_api_error(
		    reply, 429, -1003,
		    "Too much request weight used; current limit is %u request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
		    w->limit);
		return false;
	}
	int64_t minute = now_ms - now_ms % 60000;
	if (minute != w->minute_start) {
		w->minute_start = minute;
		w->used = 0;
	}
	if (w->used + weight > w->limit) {
		/* Carrying on after 429s earns an IP ban, as on Binance. */
		w->refused++;
		if (++w->over > 50)
			w->banned_until = now_ms + 120000;
		reply->retry_after = (uint32_t)((minute + 60000 - now_ms + 999) / 1000);
		sim_api_error(
		    reply, 429, -1003,
		    "Too much request weight used; current limit is %u request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.",
		    w->limit);
		return false;
	}
	w->over = 0;
	w->used += weight;
	w->total += weight;
	reply->weight = weight;
	return true;
}

/*
 * api.h - spotsim's API methods, independent of transport: each method takes decoded parameters and
 * an authenticated account and produces a JSON result or a Binance error. REST (/api/v3/...) and the
 * WebSocket API (/ws-api/v3, "order.place" ...) both dispatch through the one table below, so the
 * two can never disagree about what an order does.
 */
#ifndef SIM_API_H
#define SIM_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/exchange.h"
#include "spotbot/query.h"

/* How a method is secured, as Binance's docs name it. */
enum sim_security {
	SIM_SEC_NONE,        /* public */
	SIM_SEC_USER_STREAM, /* API key only */
	SIM_SEC_SIGNED,      /* API key, timestamp and signature (TRADE, USER_DATA) */
};

/* One call: parameters in, result or error out. */
struct sim_api_call {
	struct sim_exchange *ex;            /* the exchange */
	const struct sb_query_pair *params; /* decoded parameters (not NUL-terminated) */
	size_t nparams;                     /* entries in params */
	struct sim_account *account;        /* authenticated account, NULL for public methods */
	int64_t now_ms;                     /* server time of the request */
	bool ws; /* came through the WebSocket API (result shapes differ a little) */
};

struct sim_api_reply {
	int status;      /* HTTP status: 200, or the error's status */
	int code;        /* Binance error code when status != 200 */
	char msg[256];   /* Binance error message when status != 200 */
	char *json;      /* result JSON when status == 200 (owned; free()) */
	char *data;      /* the error's "data" object (JSON) when status != 200, or NULL (owned; free()) */
	uint32_t weight; /* request weight charged */
	bool order;      /* an order was accepted: count it and send the order-count headers */
	uint32_t retry_after; /* 429/418: seconds to wait */
};

typedef void (*sim_api_fn)(struct sim_api_call *call, struct sim_api_reply *reply);

struct sim_api_method {
	const char *rest_method; /* "GET", "POST", "PUT", "DELETE", or NULL when REST lacks it */
	const char *rest_path;   /* "/api/v3/order", or NULL */
	const char *ws_method;   /* "order.place", or NULL when the WebSocket API lacks it */
	enum sim_security sec;   /* how it is secured */
	uint32_t weight;         /* request weight */
	sim_api_fn fn;           /* the method */
};

/* The method for a REST request, or NULL (the caller answers 404 / -1000 as Binance does). */
const struct sim_api_method *sim_api_find_rest(const char *method, const char *path);

/* The method for a WebSocket API method name (an optional "v3/" prefix is accepted), or NULL. */
const struct sim_api_method *sim_api_find_ws(const char *name);

/* Writes a Binance error into reply: status, code and message (dropping any result or error data). */
void sim_api_error(struct sim_api_reply *reply, int status, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Parameter access: the value of name (NUL-terminated copy into buf of cap bytes), or NULL when absent. */
const char *sim_api_param(const struct sim_api_call *call, const char *name, char *buf, size_t cap);

/*
 * Authenticates a call before its method runs: the API key (-2014/-2015, 401), the signature (-1022)
 * over payload, and timestamp/recvWindow (-1021, -1102). payload is what the signature covers:
 * REST's raw query and body without the signature pair, or the WebSocket API's sorted parameters.
 * Returns false with reply filled in when the call is refused.
 */
bool sim_api_authenticate(struct sim_api_call *call, const struct sim_api_method *m, const char *api_key,
                          size_t key_len, const char *payload, size_t payload_len, const char *signature,
                          size_t sig_len, struct sim_api_reply *reply);

/*
 * Charges the request weight (and answers 429 / 418 when the limit is broken or the force_429 fault
 * is on). Returns false with reply filled in when the request is refused.
 */
bool sim_api_charge(struct sim_exchange *ex, uint32_t weight, int64_t now_ms, struct sim_api_reply *reply);

#endif

/*
 * userstreams_int.h - the inside of spotsim's private WebSocket side (sim/userstreams.h), shared by the
 * files that hold its concepts:
 *
 *   userstreams.c          the module: its lifetime, its clock and its connections
 *   userstreams_wsapi.c    WebSocket API frames: reading a request, dispatching it
 *   userstreams_request.c  a request's parameters, its signature and its reply
 *   userstreams_session.c  session.* and userDataStream.* methods: logon and the subscriptions
 *   userstreams_deliver.c  user-data events to subscriptions and listenKey streams, held back or not
 *   userstreams_listenkey.c  listenKeys: create, keepalive, close, expiry
 *
 * Tests drive two parts directly: the clock it reads and the listenKey expiry check its timer runs.
 */
#ifndef SIM_USERSTREAMS_INT_H
#define SIM_USERSTREAMS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/api.h"
#include "sim/rng.h"
#include "sim/userstreams.h"
#include "spotbot/query.h"

#define US_LISTENKEY_LEN   64   /* characters in a listenKey, as Binance's */
#define US_WEIGHT_SESSION  2    /* weight of session.* and userDataStream.* requests */
#define US_WEIGHT_CONNECT  2    /* weight of opening a WebSocket API connection */
#define US_CLOSE_NORMAL    1000 /* WebSocket close codes */
#define US_CLOSE_AWAY      1001
#define US_CLOSE_POLICY    1008
#define US_MAX_SUB_IDS     65536 /* subscription ids per connection lifetime (0..65535) */
#define US_MAX_ACTIVE_SUBS 1000  /* active subscriptions per connection */

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

/* One parsed WebSocket API request. */
struct us_request {
	const char *id;                                 /* raw id text ("null" when absent) */
	size_t id_len;                                  /* bytes in id */
	const char *method;                             /* method name without "v3/" */
	struct sb_query_pair pairs[SB_QUERY_MAX_PAIRS]; /* params, in request order */
	size_t npairs;                                  /* entries in pairs */
	bool rate_limits;                               /* include rateLimits in the reply */
	int64_t now_ms;                                 /* server time of the request */
};

/* A method the WebSocket API answers itself (not one of sim/api.h's table). */
typedef void (*us_method_fn)(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);

/* ---- userstreams.c ---- */

/* Replaces the clock (default: sim_exchange_now of the exchange) with now(ctx), in ms. */
void sim_userstreams_set_clock(struct sim_userstreams *us, int64_t (*now)(void *ctx), void *ctx);

/* The module's clock, in ms. */
static inline int64_t sim_us_now(const struct sim_userstreams *us)
{
	return us->now ? us->now(us->now_ctx) : sim_exchange_now(us->ex);
}

/* ---- userstreams_wsapi.c ---- */

/* Handles one text frame of a WebSocket API connection: one request, one reply. */
void sim_us_wsapi_message(struct sim_userstreams *us, struct us_conn *uc, const char *data, size_t len);

/* ---- userstreams_request.c ---- */

/* returnRateLimits' value v (len bytes): true or false, dflt for anything else. */
bool sim_us_rate_limits_value(const char *v, size_t len, bool dflt);

/* The value of parameter name of rq (len bytes, not NUL-terminated), or NULL. */
const char *sim_us_param(const struct us_request *rq, const char *name, size_t *len);

/* Authenticates rq for a method secured as m->sec, with apiKey/timestamp/signature in its params;
 * false with the refusal in r. */
bool sim_us_authenticate(struct sim_userstreams *us, const struct us_request *rq,
                         const struct sim_api_method *m, struct sim_api_call *call, struct sim_api_reply *r);

/* Replies to rq: r's result when its status is 200, else its error; the order counters of order_acct
 * (may be NULL) join the rate limits. */
void sim_us_reply(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                  const struct sim_api_reply *r, const struct sim_account *order_acct);
void sim_us_reply_error(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                        int status, int code, const char *msg);
/* Replies with json as the result (taken: freed here). */
void sim_us_reply_json(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq,
                       char *json);

/* ---- userstreams_session.c: the methods the WebSocket API answers itself ---- */

void sim_us_session_logon(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);
void sim_us_session_status(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);
void sim_us_session_logout(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);
void sim_us_subscriptions(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);
void sim_us_subscribe_session(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);
void sim_us_subscribe_signature(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);
void sim_us_unsubscribe(struct sim_userstreams *us, struct us_conn *uc, const struct us_request *rq);

/* uc's subscription for account, or NULL. */
struct us_sub *sim_us_find_sub(struct us_conn *uc, uint32_t account);

/* Removes uc's subscription i, announcing eventStreamTerminated on it. */
void sim_us_end_sub(struct sim_userstreams *us, struct us_conn *uc, size_t i);

/* ---- userstreams_deliver.c ---- */

/* Frees the events still held back. */
void sim_us_drop_held(struct sim_userstreams *us);

/* ---- userstreams_listenkey.c ---- */

/* The live listenKey key (len bytes), or NULL. */
struct us_listenkey *sim_us_find_key(struct sim_userstreams *us, const char *key, size_t len);

/* A listenKey is 64 letters and digits; market-stream names always hold an '@'. */
bool sim_us_looks_like_listen_key(const char *s, size_t len);

/* Sends listenKeyExpired to the streams of key i, closes them and forgets the key. */
void sim_us_expire_key(struct sim_userstreams *us, size_t i, int64_t now);

/* Ends every listenKey whose validity has run out (listenKeyExpired, then its streams close). The
 * timer calls it every second. */
void sim_userstreams_check_expiry(struct sim_userstreams *us);

#endif

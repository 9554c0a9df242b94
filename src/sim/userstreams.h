/*
 * userstreams.h - spotsim's private side: the WebSocket API at /ws-api/v3 (requests dispatched to
 * sim/api.h methods, userDataStream.subscribe(.signature) / unsubscribe, session.*), the legacy
 * listenKey streams at /ws/<listenKey>, and delivery of user-data events to both: wrapped as
 * {"subscriptionId":N,"event":{...}} on the WebSocket API, bare on listenKey streams.
 */
#ifndef SIM_USERSTREAMS_H
#define SIM_USERSTREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/exchange.h"
#include "sim/server.h"

struct sim_userstreams;

sb_err sim_userstreams_new(struct sim_exchange *ex, struct sim_userstreams **out);
/* Stops its timers (listenKey expiry); the loop must run once more before sim_userstreams_free. */
void sim_userstreams_stop(struct sim_userstreams *us);
/* NULL is fine. */
void sim_userstreams_free(struct sim_userstreams *us);

/* A WebSocket opened on path: true when it is /ws-api/v3 or /ws/<listenKey> (then the connection is
 * this module's until close), false otherwise. An unknown or expired listenKey is accepted and closed
 * as Binance does. */
bool sim_userstreams_open(struct sim_userstreams *us, struct sim_ws_conn *conn, const char *path);
void sim_userstreams_message(struct sim_userstreams *us, struct sim_ws_conn *conn, const char *data,
                             size_t len);
void sim_userstreams_close(struct sim_userstreams *us, struct sim_ws_conn *conn);

/* Delivers a bare user-data event of account to its subscriptions and listenKey streams (hook from
 * sim_exchange_hooks.user); nothing is delivered while the hide_user_events fault is on. */
void sim_userstreams_deliver(struct sim_userstreams *us, uint32_t account, const char *json, size_t len);

/* Ends every subscription (eventStreamTerminated) and listenKey (listenKeyExpired) now (fault). */
void sim_userstreams_expire_all(struct sim_userstreams *us);

/*
 * Legacy listenKey REST methods (POST/PUT/DELETE /api/v3/userDataStream), used by the API table:
 * create returns the account's key (one per account, as Binance does: a second POST returns the same
 * key and extends it), keepalive extends it by 60 minutes, close ends it. SB_ERR_NOT_FOUND for an
 * unknown key or one of another account (-1125).
 */
sb_err sim_userstreams_listenkey_create(struct sim_userstreams *us, uint32_t account, int64_t now_ms,
                                        char *key, size_t cap);
sb_err sim_userstreams_listenkey_keepalive(struct sim_userstreams *us, uint32_t account, const char *key,
                                           int64_t now_ms);
sb_err sim_userstreams_listenkey_close(struct sim_userstreams *us, uint32_t account, const char *key);

#endif

/*
 * sbtest_sim.h - requests to a running spotsim (see sbtest.h) that fail the test (Criterion) when the
 * answer is not the expected one, and the accessors tests read spotsim's JSON with, each failing the test
 * when a field is missing or of the wrong type.
 */
#ifndef SBTEST_SIM_H
#define SBTEST_SIM_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "spotbot/decimal.h"

/* text parsed as JSON (the caller's; cJSON_Delete). */
cJSON *sbt_jparse(const char *text);

/* Member k of object o. */
const cJSON *sbt_jfield(const cJSON *o, const char *k);

/* String member k of o (owned by o). */
const char *sbt_jstr(const cJSON *o, const char *k);

/* Number member k of o. */
double sbt_jnum(const cJSON *o, const char *k);

/* A decimal string member k of o, as a double: for comparisons in assertions only, never for money. */
double sbt_jdec(const cJSON *o, const char *k);

/* POST path without a body (a /sim/ admin request); expects 200. */
void sbt_sim_post(int port, const char *path);

/* Switches a fault on ("name" or "name&value=V") or off ("name&value=off") through POST /sim/fault. */
void sbt_sim_fault(int port, const char *spec);

/* Order placements spotsim received, from GET /sim/state: over REST (ws false) or the WebSocket API. */
long long sbt_sim_order_requests(int port, bool ws);

/* Best bid or ask of BTCUSDT now ("bidPrice" or "askPrice" of its book ticker). */
double sbt_sim_best(int port, const char *which);

/* Places an order over REST, signed for key/secret (params as for sbt_signed); returns its orderId. */
long long sbt_sim_order(int port, const char *key, const char *secret, const char *params);

/* Places a resting LIMIT BUY of 0.01 BTCUSDT 10% under the bid with client_id; returns its orderId. */
long long sbt_sim_resting_buy(int port, const char *key, const char *secret, const char *client_id);

/* Free and locked of asset in key's account as GET /api/v3/account reports it, parsed exactly; fails the
 * test when the asset is not listed. */
void sbt_sim_balance(int port, const char *key, const char *secret, const char *asset, sb_dec *free_out,
                     sb_dec *locked_out);

/* Creates a listenKey for key (POST /api/v3/userDataStream) into buf. */
void sbt_sim_listen_key(int port, const char *key, char *buf, size_t cap);

#endif

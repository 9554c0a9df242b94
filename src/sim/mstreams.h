/*
 * mstreams.h - spotsim's market streams: WebSocket connections on /ws/<stream>..., /ws and
 * /stream?streams=..., their subscriptions (sim/streams.h), and the fan-out of trade, aggTrade,
 * bookTicker, kline, miniTicker, ticker and depth payloads as the exchange's feeds move.
 */
#ifndef SIM_MSTREAMS_H
#define SIM_MSTREAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/exchange.h"
#include "sim/server.h"

struct sim_mstreams;

/* Creates the fan-out for ex; its periodic pushes (kline, tickers, depth) run on ex->loop. */
sb_err sim_mstreams_new(struct sim_exchange *ex, struct sim_mstreams **out);
/* Stops its timers (the loop must run once more before sim_mstreams_free). */
void sim_mstreams_stop(struct sim_mstreams *ms);
/* NULL is fine. */
void sim_mstreams_free(struct sim_mstreams *ms);

/* A WebSocket opened on path: true when it is a market-stream path (then the connection is this
 * module's until close), false when it is not one (the caller tries other handlers). A market-stream
 * path with an invalid stream name is accepted and closed with an error, as Binance does. */
bool sim_mstreams_open(struct sim_mstreams *ms, struct sim_ws_conn *conn, const char *path);
/* A message on one of its connections (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, ...). */
void sim_mstreams_message(struct sim_mstreams *ms, struct sim_ws_conn *conn, const char *data, size_t len);
/* One of its connections closed. */
void sim_mstreams_close(struct sim_mstreams *ms, struct sim_ws_conn *conn);

/* The exchange applied a feed event to sym (hook from sim_exchange_hooks.market). */
void sim_mstreams_on_market(struct sim_mstreams *ms, struct sim_symbol *sym, const struct sim_event *ev,
                            int64_t trade_id, int64_t time_ms);

/* ---- for tests and benchmarks ------------------------------------------------------------------------ */

/* How the fan-out reaches connections; by default the server's sim_ws_send, sim_ws_close, sim_ws_set_user
 * and sim_ws_user. Tests and benchmarks substitute their own. */
struct sim_mstreams_io {
	bool (*send)(struct sim_ws_conn *conn, const char *text, size_t len);    /* queue a text message */
	void (*close)(struct sim_ws_conn *conn, uint16_t code, const char *why); /* close with a status */
	void (*set_user)(struct sim_ws_conn *conn, void *user);                  /* attach our state */
	void *(*user)(const struct sim_ws_conn *conn);                           /* read it back */
};
void sim_mstreams_set_io(struct sim_mstreams *ms, const struct sim_mstreams_io *io);

/* sim_mstreams_message with the monotonic time (ms) of arrival given, for the 5-per-second limit. */
void sim_mstreams_message_at(struct sim_mstreams *ms, struct sim_ws_conn *conn, const char *data, size_t len,
                             int64_t mono_ms);
/* sim_mstreams_on_market with the event time E given. */
void sim_mstreams_market_at(struct sim_mstreams *ms, struct sim_symbol *sym, int64_t now);
/* One 100 ms step of the periodic pushes (tick counts steps from 0; tick % 10 == 0 is a 1 s step,
 * tick % 20 == 0 a 2 s step), with event time now. The timer calls it. */
void sim_mstreams_tick(struct sim_mstreams *ms, uint64_t tick, int64_t now);

/* Messages sent since creation (payloads times receivers), for benchmarks and tests. */
uint64_t sim_mstreams_sent(const struct sim_mstreams *ms);

#endif

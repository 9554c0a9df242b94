/*
 * streams.h - market-stream names and per-connection subscriptions, as Binance's stream server keeps
 * them: /ws/<stream>[/<stream>...] (raw payloads), /stream?streams=a/b (each payload wrapped as
 * {"stream":name,"data":payload}), and the live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS /
 * SET_PROPERTY / GET_PROPERTY control messages with their ids echoed back.
 */
#ifndef SIM_STREAMS_H
#define SIM_STREAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "spotbot/error.h"

#define SIM_STREAM_NAME_MAX  64   /* longest stream name kept */
#define SIM_STREAMS_PER_CONN 1024 /* Binance's limit per connection */

enum sim_stream_kind {
	SIM_STREAM_TRADE,        /* <symbol>@trade */
	SIM_STREAM_AGG_TRADE,    /* <symbol>@aggTrade */
	SIM_STREAM_BOOK_TICKER,  /* <symbol>@bookTicker */
	SIM_STREAM_KLINE,        /* <symbol>@kline_<interval> */
	SIM_STREAM_MINI_TICKER,  /* <symbol>@miniTicker */
	SIM_STREAM_TICKER,       /* <symbol>@ticker */
	SIM_STREAM_DEPTH,        /* <symbol>@depth[@100ms] (diff) */
	SIM_STREAM_DEPTH_LEVELS, /* <symbol>@depth<5|10|20>[@100ms] (partial book) */
};

struct sim_stream {
	enum sim_stream_kind kind; /* what the stream carries */
	char symbol[32];           /* upper-case symbol, e.g. "BTCUSDT" */
	char interval[4];          /* kline interval ("1m"), "" otherwise */
	unsigned levels;           /* 5, 10 or 20 for partial depth, 0 otherwise */
	bool fast;                 /* the @100ms variant */
};

/* Parses a stream name such as "btcusdt@kline_1m". Symbols must be lower-case, as on Binance. */
sb_err sim_stream_parse(const char *name, struct sim_stream *out);

/* The kline intervals Binance accepts, NULL-terminated; and the length of one in milliseconds (0 if
 * unknown). */
extern const char *const sim_kline_intervals[];
long long sim_kline_interval_ms(const char *interval);

/* One connection's subscriptions. */
struct sim_subs {
	char names[SIM_STREAMS_PER_CONN][SIM_STREAM_NAME_MAX]; /* subscribed names, in subscription order */
	unsigned count;                                        /* entries used */
	bool combined;                                         /* wrap payloads as {"stream","data"} */
};

/*
 * Sets up subs from the WebSocket path: "/ws/<a>/<b>", "/ws" (none yet), or "/stream?streams=a/b".
 * Returns SB_ERR_NOT_FOUND when the path is not a market-stream path, SB_ERR_INVALID when a stream
 * name in it is invalid.
 */
sb_err sim_subs_from_path(struct sim_subs *subs, const char *path);

/* True when name is among subs. */
bool sim_subs_has(const struct sim_subs *subs, const char *name);

/*
 * Handles one control message and returns the JSON reply (owned by the caller, free()): a result such
 * as {"result":null,"id":1}, or Binance's {"code":N,"msg":...} error, with the id when it could be read.
 * Ids are echoed in their original type: integer, string (up to 36 characters) or null.
 */
char *sim_subs_control(struct sim_subs *subs, const char *msg, size_t len);

#endif

/*
 * md.h - one symbol's public market data: recent trades (also as aggregate trades), klines of every
 * interval, the rolling 24-hour ticker, and the JSON that REST and the streams serve from them.
 *
 * Everything is bounded: the last SIM_MD_TRADES trades and aggregate trades, the last SIM_MD_KLINES
 * candles per interval (SIM_MD_KLINES_1M for one-minute candles, which also back the 24-hour ticker).
 * Candles with no trades are filled in (open = high = low = close = the previous close, no volume,
 * first/last trade id -1), so every interval's series is contiguous up to the current candle.
 * The md never reads a clock: times come in with trades and queries.
 */
#ifndef SIM_MD_H
#define SIM_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/json_out.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SIM_MD_TRADES      1000 /* recent trades kept (GET /api/v3/trades max) */
#define SIM_MD_AGGS        1000 /* recent aggregate trades kept */
#define SIM_MD_KLINES      1000 /* candles kept per interval (klines max limit) */
#define SIM_MD_KLINES_1M   1500 /* one-minute candles kept: 24 h and a margin */
#define SIM_MD_NINTERVALS  16   /* 1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w 1M */
#define SIM_MD_INTERVAL_1S 0    /* index of 1s in sim_kline_intervals */
#define SIM_MD_INTERVAL_1M 1    /* index of 1m */

/* One public trade. */
struct sim_md_trade {
	int64_t id;          /* trade id (per symbol) */
	sb_dec price;        /* execution price */
	sb_dec qty;          /* base quantity */
	sb_dec quote;        /* price * qty, rounded down to 8 places */
	bool buyer_is_maker; /* Binance's "m" / isBuyerMaker */
	int64_t time;        /* ms */
};

/* Consecutive trades at one price, one taker side and one millisecond. */
struct sim_md_agg {
	int64_t id;          /* aggregate trade id, from 1 */
	sb_dec price;        /* common price */
	sb_dec qty;          /* summed quantity */
	int64_t first_id;    /* first trade id */
	int64_t last_id;     /* last trade id */
	int64_t time;        /* common time (ms) */
	bool buyer_is_maker; /* common side */
};

/* One candle. */
struct sim_md_candle {
	int64_t open_time;  /* aligned to the interval in UTC */
	int64_t close_time; /* next candle's open - 1 */
	sb_dec open;        /* first trade price (previous close when empty) */
	sb_dec high;        /* highest */
	sb_dec low;         /* lowest */
	sb_dec close;       /* last trade price */
	sb_dec volume;      /* base volume */
	sb_dec quote;       /* quote volume */
	sb_dec taker_base;  /* base volume bought by takers */
	sb_dec taker_quote; /* quote volume bought by takers */
	int64_t trades;     /* number of trades */
	int64_t first_id;   /* first trade id, -1 when empty */
	int64_t last_id;    /* last trade id, -1 when empty */
	int64_t last_time;  /* time of its last trade, 0 when empty */
};

/* The rolling 24-hour statistics (GET /api/v3/ticker/24hr, @ticker, @miniTicker). */
struct sim_md_ticker {
	sb_dec price_change; /* last - open */
	sb_dec change_pct;   /* 100 * change / open (8 places; printed with 3) */
	sb_dec weighted_avg; /* quote volume / volume */
	sb_dec prev_close;   /* last price before the window, 0 when none is known */
	sb_dec last_price;   /* last trade price */
	sb_dec last_qty;     /* last trade quantity */
	sb_dec bid_price;    /* best bid (filled in by the caller from the book) */
	sb_dec bid_qty;      /* its quantity */
	sb_dec ask_price;    /* best ask (caller) */
	sb_dec ask_qty;      /* its quantity */
	sb_dec open;         /* first price in the window */
	sb_dec high;         /* highest in the window */
	sb_dec low;          /* lowest in the window */
	sb_dec volume;       /* base volume in the window */
	sb_dec quote;        /* quote volume in the window */
	int64_t open_time;   /* window start (now - 24 h) */
	int64_t close_time;  /* window end (now) */
	int64_t first_id;    /* first trade id in the window, -1 when none */
	int64_t last_id;     /* last trade id in the window, -1 when none */
	int64_t count;       /* trades in the window */
};

struct sim_md;

/* Creates an empty store for symbol (upper case). Owned by the caller: sim_md_free. */
sb_err sim_md_new(const char *symbol, struct sim_md **out);
/* NULL is fine. */
void sim_md_free(struct sim_md *md);

const char *sim_md_symbol(const struct sim_md *md);

/* Records a public trade (a feed trade or a user fill), in trade-id order. Also counts as a book
 * update (sim_md_book_update). */
void sim_md_trade(struct sim_md *md, int64_t trade_id, sb_dec price, sb_dec qty, bool buyer_is_maker,
                  int64_t time_ms);

/* The book changed: advances and returns the symbol's update id (depth lastUpdateId, bookTicker and
 * depth-stream u). The exchange calls it for every book change it makes; the market-stream fan-out
 * calls it for every feed event. */
uint64_t sim_md_book_update(struct sim_md *md);
/* The current update id. */
uint64_t sim_md_update_id(const struct sim_md *md);

/* Recent trades, oldest first: how many are kept, and the i-th of them (i < count). */
size_t sim_md_trade_count(const struct sim_md *md);
const struct sim_md_trade *sim_md_trade_at(const struct sim_md *md, size_t i);
/* The newest trade, or NULL before the first. */
const struct sim_md_trade *sim_md_last_trade(const struct sim_md *md);

/* Recent aggregate trades, oldest first. The newest one may still grow by later trades of the same
 * price, side and millisecond until sim_md_seal_agg (called once it has been streamed). */
size_t sim_md_agg_count(const struct sim_md *md);
const struct sim_md_agg *sim_md_agg_at(const struct sim_md *md, size_t i);
void sim_md_seal_agg(struct sim_md *md);

/* Intervals: the index of a Binance interval name (-1 if unknown), its name, the open time of the
 * candle containing t (UTC; weeks start on Monday, months on the 1st), and the next candle's open. */
int sim_md_interval_index(const char *name);
const char *sim_md_interval_name(int iv);
int64_t sim_md_interval_open(int iv, int64_t t);
int64_t sim_md_interval_next(int iv, int64_t open_time);

/*
 * Candles of interval iv as GET /api/v3/klines selects them, up to now (empty candles after the last
 * trade included): start_time/end_time < 0 when absent; with neither, the newest `limit`; with only
 * end_time, the newest `limit` opening at or before it; otherwise the oldest `limit` opening at or after
 * start_time (and at or before end_time). Writes up to limit candles to out, oldest first; returns how
 * many.
 */
size_t sim_md_klines(const struct sim_md *md, int iv, int64_t start_time, int64_t end_time, size_t limit,
                     int64_t now, struct sim_md_candle *out);
/* The candle of interval iv containing now (empty when nothing traded in it yet); false before the
 * first trade. */
bool sim_md_kline_current(const struct sim_md *md, int iv, int64_t now, struct sim_md_candle *out);
/* The candle of interval iv that opened at open_time, if it is kept (or is an empty one up to now). */
bool sim_md_kline_find(const struct sim_md *md, int iv, int64_t open_time, int64_t now,
                       struct sim_md_candle *out);

/* The rolling 24-hour ticker at now (bid/ask left zero for the caller). Kept one-minute candles make
 * up the window: those overlapping (now - 24 h, now]. */
void sim_md_ticker(const struct sim_md *md, int64_t now, struct sim_md_ticker *out);

/* Volume-weighted average price of the last 5 minutes and the time of its last trade; with no trade
 * in those 5 minutes, the last price and its time. False before the first trade. */
bool sim_md_avg_price(const struct sim_md *md, int64_t now, sb_dec *price, int64_t *close_time);

/* REST shapes. */
void sim_md_json_trade(struct sb_buf *j, const struct sim_md_trade *t);  /* trades element */
void sim_md_json_agg(struct sb_buf *j, const struct sim_md_agg *a);      /* aggTrades element */
void sim_md_json_kline(struct sb_buf *j, const struct sim_md_candle *c); /* klines row */
void sim_md_json_ticker(struct sb_buf *j, const char *symbol, const struct sim_md_ticker *t, bool mini);

/* Stream payloads (raw, as /ws/<stream> sends them); E is the event time. */
void sim_md_event_trade(struct sb_buf *j, const char *symbol, const struct sim_md_trade *t, int64_t E);
void sim_md_event_agg(struct sb_buf *j, const char *symbol, const struct sim_md_agg *a, int64_t E);
void sim_md_event_kline(struct sb_buf *j, const char *symbol, int iv, const struct sim_md_candle *c,
                        bool closed, int64_t E);
void sim_md_event_ticker(struct sb_buf *j, const char *symbol, const struct sim_md_ticker *t, int64_t E);
void sim_md_event_mini_ticker(struct sb_buf *j, const char *symbol, const struct sim_md_ticker *t, int64_t E);

#endif

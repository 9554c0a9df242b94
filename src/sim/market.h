/*
 * market.h - spotsim's market feeds: the outside world's trades and quotes for one symbol.
 *
 * A struct sim_feed produces a time-ordered sequence of events, each a market trade (price, quantity,
 * which side was the maker) together with the book top it leaves behind (SIM_FEED_DEPTH levels a side).
 * Every price is a multiple of the symbol's tickSize and every quantity a positive multiple of its
 * stepSize. Times are market times in milliseconds; the feed never reads a clock, so the server decides
 * how market time maps to wall time (--speed) and tests run as fast as the CPU allows.
 *
 * Two sources:
 *  - synthetic: a seeded walk in integer ticks made of alternating up and down swings (see
 *    struct sim_synth_params for the model and its defaults), with noise, rare jumps and a weak pull back
 *    toward the starting price;
 *  - replay: Binance klines turned into trades that walk each candle's open -> nearer extreme -> farther
 *    extreme -> close and add up to the candle's volume exactly.
 * Same inputs and same seed give the same events, bit for bit.
 */
#ifndef SIM_MARKET_H
#define SIM_MARKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/kline.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SIM_FEED_DEPTH        5   /* book levels reported on each side */
#define SIM_REPLAY_MAX_TRADES 300 /* most trades generated for one candle (5 a second for 1m candles) */
#define SIM_SYNTH_MIN_TICKS   100 /* a synthetic start price must be at least this many ticks */

enum sim_event_kind {
	SIM_EVENT_TRADE, /* a market trade and the book after it */
	SIM_EVENT_END,   /* replay exhausted; repeated on every later call until sim_feed_rewind */
};

struct sim_level {
	sb_dec price; /* tick-aligned, > 0 */
	sb_dec qty;   /* step-aligned, > 0 */
};

struct sim_event {
	enum sim_event_kind kind; /* TRADE or END; the fields below are valid for TRADE */
	uint64_t seq;             /* 0-based trade number within this feed (not reset by rewind) */
	int64_t time_ms;          /* market time; never decreases */
	sb_dec price;             /* trade price */
	sb_dec qty;               /* trade quantity */
	bool buyer_is_maker;      /* true: a taker sold into the bid (Binance's "m") */
	unsigned nbids;           /* valid entries in bids (fewer only for prices of a few ticks) */
	unsigned nasks;           /* valid entries in asks (always SIM_FEED_DEPTH) */
	struct sim_level bids[SIM_FEED_DEPTH]; /* best (highest) first, one tick apart */
	struct sim_level asks[SIM_FEED_DEPTH]; /* best (lowest) first, one tick apart */
};

/*
 * The synthetic walk. The price alternates between up and down swings around a centre. At the start of
 * each swing the centre takes a random step of up to +/-drift_ppm, minus pull_pct percent of its own
 * deviation from the start price (the weak pull that keeps the walk from dying or exploding); the swing
 * then heads for centre +/- an amplitude drawn from [swing_min_ppm, swing_max_ppm]. Each event moves the
 * price by the swing's speed, drawn per swing from [speed_min_ppm, speed_max_ppm], plus uniform noise of
 * +/-noise_ppm; once in jump_one_in events (on average) a jump of jump_min_ppm..jump_max_ppm in a random
 * direction is added. Moves in ppm become whole ticks by stochastic rounding, so sub-tick moves still
 * happen at the right average rate. The price is kept within [start/4, start*4].
 *
 * Defaults (sim_synth_params_default), chosen so the demo's buy 0.1% below and sell 0.6% above are
 * reached within a minute or two of market time: amplitude 0.4%..1.5%, centre steps +/-0.4% with a 3%
 * pull, speed 60..160 ppm per event, noise +/-80 ppm, a 0.1%..0.5% jump once in 3000 events, 100..400 ms
 * between trades (4 trades a second on average), trade notionals 10..2000 quote units skewed toward small
 * ones. Measured over 300k events (3 seeds): the median wait for +0.6% from a random point is about 170
 * events (45 s), for -0.1% about 35 events (9 s); a whole buy-the-dip-then-sell-0.6%-higher cycle about
 * 450 events (2 min); the price stays within about +/-5% of the start. A bounded walk cannot promise a
 * short wait from every point (not from its highest), but nine points in ten see +0.6% within about
 * 3000 events. Per hour this is a very volatile market, on purpose: vol_pct scales amplitudes, centre
 * steps, speeds, noise and jumps together (50 = half as volatile).
 */
struct sim_synth_params {
	sb_dec start_price;     /* first trade price, rounded to tick */
	int64_t start_time_ms;  /* market time of the first trade */
	uint32_t vol_pct;       /* scales every ppm figure below; 100 = as given */
	uint32_t swing_min_ppm; /* smallest swing amplitude around the centre */
	uint32_t swing_max_ppm; /* largest swing amplitude around the centre */
	uint32_t drift_ppm;     /* largest random step of the centre per swing */
	uint32_t speed_min_ppm; /* slowest trend per event within a swing */
	uint32_t speed_max_ppm; /* fastest trend per event within a swing */
	uint32_t noise_ppm;     /* uniform noise half-width per event */
	uint32_t pull_pct;      /* percent of the centre's deviation from start undone per swing */
	uint32_t jump_one_in;   /* average events between jumps; 0 disables jumps */
	uint32_t jump_min_ppm;  /* smallest jump */
	uint32_t jump_max_ppm;  /* largest jump */
	uint32_t gap_min_ms;    /* shortest market time between trades */
	uint32_t gap_max_ms;    /* longest market time between trades */
	sb_dec notional_min;    /* smallest trade value in quote units (before flooring to step) */
	sb_dec notional_max;    /* largest trade value in quote units */
};

struct sim_feed;

/* Fills *p with the documented defaults (start price 100, start time 2025-01-01T00:00:00Z). */
void sim_synth_params_default(struct sim_synth_params *p);

/*
 * Creates a synthetic feed for a symbol with the given tickSize and stepSize (both > 0). SB_ERR_INVALID
 * for inconsistent parameters (min > max, zero notional, ppm figures above 50%, start below
 * SIM_SYNTH_MIN_TICKS ticks), SB_ERR_OVERFLOW when start*4 would not fit. The caller owns *out and
 * releases it with sim_feed_free.
 */
sb_err sim_feed_new_synthetic(const struct sim_synth_params *p, sb_dec tick, sb_dec step, uint64_t seed,
                              struct sim_feed **out);

/*
 * Creates a replay feed over count klines (copied; the caller keeps ownership of rows). Candle prices are
 * rounded to the nearest tick; with data already on the tick grid (the normal case) each candle's trades
 * reproduce its open, high, low and close exactly. For each candle the path goes open -> the extreme
 * nearer to the open -> the other extreme -> close (a tie goes to the low first when the candle closed
 * at or above its open, else to the high), in steps of one tick when the candle has enough trades
 * (max(number_of_trades, path length) capped at SIM_REPLAY_MAX_TRADES and at the volume in steps),
 * evenly spread over [open_time, close_time]. The volume floored to stepSize is split randomly (seeded)
 * over the trades, each at least one step, summing exactly. A candle with less than one step of volume
 * yields no trades; one with fewer steps than path corners keeps the corners nearest the close.
 * Trades are taker buys when the price rose, taker sells when it fell, and on an unchanged price a taker
 * buy with the candle's taker-buy share of volume. The book sits on the trade: a taker sell leaves the
 * bid at the trade price and the ask one tick above; a taker buy the ask at the price and the bid one tick
 * below. SB_ERR_INVALID for no rows or a non-positive tick/step, SB_ERR_RANGE for prices whose book
 * would not fit in an sb_dec.
 */
sb_err sim_feed_new_replay(const struct sb_kline *rows, size_t count, sb_dec tick, sb_dec step, uint64_t seed,
                           struct sim_feed **out);

/*
 * Caps the trades a replay makes of one candle at n (1..SIM_REPLAY_MAX_TRADES; the default is the
 * maximum). Every corner of the path is still visited: with n at most 4 the path is its corners only
 * (open, the extremes, close), each trade jumping a whole segment, so an order resting anywhere on the
 * way is crossed all the same. Harmless on a feed that is not a replay.
 */
void sim_feed_replay_max_trades(struct sim_feed *feed, size_t n);

/* Writes the next event into *ev (SIM_EVENT_END once a replay is exhausted). Never fails on a valid feed. */
sb_err sim_feed_next(struct sim_feed *feed, struct sim_event *ev);

/*
 * Restarts a replay from its first candle, with market times shifted so they continue after the last
 * candle (a looping server keeps a monotonic clock). SB_ERR_UNSUPPORTED for a synthetic feed.
 */
sb_err sim_feed_rewind(struct sim_feed *feed);

/* Releases the feed; NULL is harmless. */
void sim_feed_free(struct sim_feed *feed);

#endif

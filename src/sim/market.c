/*
 * market.c - synthetic and replayed market feeds (see market.h for the models).
 *
 * All price arithmetic is in integer ticks and all quantity arithmetic in integer steps; sb_dec values
 * are only produced at the edge (ticks * tickSize), which keeps every output on the grid by construction.
 * Relative moves are in parts per million and use 128-bit intermediates, so no floating point is needed.
 */
#include "sim/market.h"

#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"
#include "spotbot/alloc.h"

#define PPM INT64_C(1000000)

__extension__ typedef __int128 i128; /* -Wpedantic: a GNU extension, allowed by CONTRIBUTING.md */

enum feed_kind {
	FEED_SYNTHETIC,
	FEED_REPLAY,
};

/* One trade of the candle being replayed. */
struct replay_trade {
	int64_t ticks;       /* price in ticks */
	int64_t units;       /* quantity in steps */
	int64_t time_ms;     /* market time before the loop offset */
	bool buyer_is_maker; /* side */
};

/* State of the synthetic walk; figures already scaled by vol_pct. */
struct synth {
	struct sim_synth_params p; /* parameters after scaling */
	int64_t anchor;            /* start price in ticks: the pull's target */
	int64_t lo, hi;            /* hard bounds in ticks */
	int64_t center;            /* swings oscillate around this level (ticks) */
	int64_t target;            /* current swing's goal in ticks */
	int dir;                   /* current swing: +1 up, -1 down */
	int64_t speed;             /* current swing's trend, ppm per event */
	int64_t time_ms;           /* market time of the next trade */
	bool started;              /* the first trade (at the start price) has been emitted */
};

/* State of a replay. */
struct replay {
	struct sb_kline *rows;    /* owned copy of the candles */
	size_t count;             /* number of candles */
	size_t next_row;          /* next candle to expand */
	int64_t offset_ms;        /* added to candle times; grows on every rewind */
	struct replay_trade *buf; /* trades of the current candle */
	size_t buf_n, buf_pos;    /* trades in buf, next one to emit */
	int64_t level_units;      /* typical book level size for the current candle, in steps */
	int64_t last_time;        /* last emitted time, keeps time monotonic across odd candles */
	int64_t max_trades;       /* most trades per candle (sim_feed_replay_max_trades) */
};

struct sim_feed {
	enum feed_kind kind; /* which source */
	sb_dec tick;         /* tickSize (raw sb_dec) */
	sb_dec step;         /* stepSize (raw sb_dec) */
	struct sim_rng rng;  /* the feed's only source of randomness */
	uint64_t seq;        /* trades emitted */
	int64_t last_ticks;  /* last trade price in ticks; 0 before the first */
	union {
		struct synth s;  /* FEED_SYNTHETIC */
		struct replay r; /* FEED_REPLAY */
	} u;
};

/* floor(a * b / c) for c > 0, through 128 bits; the caller guarantees the result fits. */
static int64_t muldiv_floor(int64_t a, int64_t b, int64_t c)
{
	i128 n = (i128)a * b;
	i128 q = n / c;
	if ((n % c != 0) && (n < 0))
		q--;
	return (int64_t)q;
}

/* a * b / PPM rounded stochastically to an integer: the fraction becomes the probability of rounding up. */
static int64_t ppm_move(struct sim_rng *rng, int64_t ticks, int64_t ppm)
{
	i128 n = (i128)ticks * ppm;
	i128 q = n / PPM;
	i128 r = n % PPM;
	if (r < 0) {
		q--;
		r += PPM;
	}
	if (sim_rng_below(rng, (uint64_t)PPM) < (uint64_t)r)
		q++;
	return (int64_t)q;
}

/* Book quantity for level i, in steps, around a typical size. */
static int64_t level_units(struct sim_rng *rng, int64_t typical, unsigned i)
{
	int64_t lo = typical / 2 > 0 ? typical / 2 : 1;
	return sim_rng_range(rng, lo, typical * 2) * (int64_t)(i + 1);
}

/* Fills the trade and book fields of ev from a price in ticks. */
static void emit(struct sim_feed *f, struct sim_event *ev, int64_t time_ms, int64_t ticks, int64_t units,
                 bool buyer_is_maker, int64_t typical_units)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = SIM_EVENT_TRADE;
	ev->seq = f->seq++;
	ev->time_ms = time_ms;
	if (ticks <= 1)
		buyer_is_maker = true; /* no room for a bid below: the trade sits on the bid */
	ev->price = ticks * f->tick;
	ev->qty = units * f->step;
	ev->buyer_is_maker = buyer_is_maker;
	int64_t bid = buyer_is_maker ? ticks : ticks - 1;
	int64_t ask = bid + 1;
	for (unsigned i = 0; i < SIM_FEED_DEPTH; i++) {
		ev->asks[i] = (struct sim_level){(ask + (int64_t)i) * f->tick,
		                                 level_units(&f->rng, typical_units, i) * f->step};
		if (bid - (int64_t)i >= 1)
			ev->bids[ev->nbids++] = (struct sim_level){
			    (bid - (int64_t)i) * f->tick, level_units(&f->rng, typical_units, i) * f->step};
	}
	ev->nasks = SIM_FEED_DEPTH;
	f->last_ticks = ticks;
}

static struct sim_feed *feed_alloc(enum feed_kind kind, sb_dec tick, sb_dec step, uint64_t seed)
{
	struct sim_feed *f = sb_xcalloc(1, sizeof *f);
	f->kind = kind;
	f->tick = tick;
	f->step = step;
	sim_rng_seed(&f->rng, seed);
	return f;
}

void sim_feed_free(struct sim_feed *feed)
{
	if (!feed)
		return;
	if (feed->kind == FEED_REPLAY) {
		free(feed->u.r.rows);
		free(feed->u.r.buf);
	}
	free(feed);
}

/* ---- synthetic ---- */

void sim_synth_params_default(struct sim_synth_params *p)
{
	*p = (struct sim_synth_params){
	    .start_price = SB_DEC_C(100, 0),
	    .start_time_ms = INT64_C(1735689600000),
	    .vol_pct = 100,
	    .swing_min_ppm = 5000,
	    .swing_max_ppm = 20000,
	    .speed_min_ppm = 60,
	    .speed_max_ppm = 160,
	    .noise_ppm = 80,
	    .pull_pct = 3,
	    .jump_one_in = 3000,
	    .jump_min_ppm = 1000,
	    .jump_max_ppm = 5000,
	    .gap_min_ms = 100,
	    .gap_max_ms = 400,
	    .notional_min = SB_DEC_C(10, 0),
	    .notional_max = SB_DEC_C(2000, 0),
	};
}

static uint32_t scale(uint32_t ppm, uint32_t pct)
{
	return (uint32_t)((uint64_t)ppm * pct / 100);
}

static bool synth_params_ok(const struct sim_synth_params *p)
{
	const uint32_t lim = 500000; /* 50%: beyond that the walk would be meaningless */
	if (p->vol_pct == 0 || p->vol_pct > 1000 || p->pull_pct > 100)
		return false;
	if (p->swing_min_ppm == 0 || p->swing_min_ppm > p->swing_max_ppm || p->swing_max_ppm > lim)
		return false;
	if (p->speed_min_ppm == 0 || p->speed_min_ppm > p->speed_max_ppm || p->speed_max_ppm > lim)
		return false;
	if (p->noise_ppm > lim || p->drift_ppm > lim || p->jump_min_ppm > p->jump_max_ppm ||
	    p->jump_max_ppm > lim)
		return false;
	if (p->gap_min_ms > p->gap_max_ms || p->gap_max_ms > 3600000 || p->start_time_ms < 0)
		return false;
	return p->notional_min > 0 && p->notional_min <= p->notional_max;
}

sb_err sim_feed_new_synthetic(const struct sim_synth_params *p, sb_dec tick, sb_dec step, uint64_t seed,
                              struct sim_feed **out)
{
	if (!p || !out || tick <= 0 || step <= 0 || !synth_params_ok(p))
		return SB_ERR_INVALID;
	int64_t anchor = (p->start_price + tick / 2) / tick;
	if (p->start_price <= 0 || anchor < SIM_SYNTH_MIN_TICKS)
		return SB_ERR_INVALID;
	/* The highest ask is hi + SIM_FEED_DEPTH ticks; it must be representable. */
	if ((i128)(anchor * (i128)4 + SIM_FEED_DEPTH + 1) * tick > SB_DEC_MAX)
		return SB_ERR_OVERFLOW;
	struct sim_feed *f = feed_alloc(FEED_SYNTHETIC, tick, step, seed);
	struct synth *s = &f->u.s;
	s->p = *p;
	uint32_t v = p->vol_pct;
	s->p.swing_min_ppm = scale(p->swing_min_ppm, v) ? scale(p->swing_min_ppm, v) : 1;
	s->p.swing_max_ppm = scale(p->swing_max_ppm, v) ? scale(p->swing_max_ppm, v) : 1;
	s->p.speed_min_ppm = scale(p->speed_min_ppm, v) ? scale(p->speed_min_ppm, v) : 1;
	s->p.speed_max_ppm = scale(p->speed_max_ppm, v) ? scale(p->speed_max_ppm, v) : 1;
	s->p.noise_ppm = scale(p->noise_ppm, v);
	s->p.drift_ppm = scale(p->drift_ppm, v);
	s->p.jump_min_ppm = scale(p->jump_min_ppm, v);
	s->p.jump_max_ppm = scale(p->jump_max_ppm, v);
	s->anchor = anchor;
	s->lo = anchor / 4 > SIM_FEED_DEPTH ? anchor / 4 : SIM_FEED_DEPTH;
	s->hi = anchor * 4;
	s->target = anchor;
	s->center = anchor;
	s->dir = -1; /* the first event flips it: the walk opens with an up swing */
	s->time_ms = p->start_time_ms;
	f->last_ticks = anchor;
	*out = f;
	return SB_OK;
}

/*
 * Starts the next swing in the opposite direction. The swing centre first takes a random step (and the
 * pull's step back toward the start price); the swing then heads for centre +/- an amplitude. Swinging
 * around a slowly moving centre, rather than from wherever the last swing ended, is what keeps the waits
 * for a given move short: the level a swing reaches does not depend on how the previous swings went.
 */
static void synth_new_swing(struct sim_feed *f)
{
	struct synth *s = &f->u.s;
	int64_t price = f->last_ticks;
	s->dir = -s->dir;
	int64_t dev_ppm = muldiv_floor(s->center - s->anchor, PPM, s->anchor);
	int64_t move = sim_rng_range(&f->rng, -(int64_t)s->p.drift_ppm, s->p.drift_ppm) -
	               dev_ppm * (int64_t)s->p.pull_pct / 100;
	s->center += muldiv_floor(s->center, move, PPM);
	s->center = s->center < s->lo ? s->lo : s->center > s->hi ? s->hi : s->center;
	int64_t amp = sim_rng_range(&f->rng, s->p.swing_min_ppm, s->p.swing_max_ppm);
	int64_t dist = muldiv_floor(s->center, amp, PPM);
	s->target = s->center + s->dir * (dist > 0 ? dist : 1);
	if (s->dir * (s->target - price) <= 0) {
		/* Already beyond the goal (after a jump): make it a short swing from here instead. */
		dist = muldiv_floor(price, s->p.swing_min_ppm, PPM);
		s->target = price + s->dir * (dist > 0 ? dist : 1);
	}
	s->target = s->target < s->lo ? s->lo : s->target > s->hi ? s->hi : s->target;
	s->speed = sim_rng_range(&f->rng, s->p.speed_min_ppm, s->p.speed_max_ppm);
}

/* A trade value drawn from [notional_min, notional_max], skewed toward small trades, as steps at price. */
static int64_t synth_units(struct sim_feed *f, int64_t ticks)
{
	const struct sim_synth_params *p = &f->u.s.p;
	int64_t u1 = sim_rng_range(&f->rng, 0, 1000), u2 = sim_rng_range(&f->rng, 0, 1000);
	int64_t notional =
	    p->notional_min + muldiv_floor(p->notional_max - p->notional_min, u1 * u2, 1000000);
	/* qty = notional / price, in steps: notional * SCALE / (ticks * tick) / step. */
	i128 qty = (i128)notional * SB_DEC_SCALE / ((i128)ticks * f->tick);
	i128 units = qty / f->step;
	if (units < 1)
		return 1;
	if (units > SB_DEC_MAX / 64 / f->step)
		return SB_DEC_MAX / 64 / f->step;
	return (int64_t)units;
}

static void synth_next(struct sim_feed *f, struct sim_event *ev)
{
	struct synth *s = &f->u.s;
	int64_t price = f->last_ticks;
	bool bim;
	if (!s->started) {
		s->started = true;
		bim = sim_rng_chance(&f->rng, 1, 2);
	} else {
		s->time_ms += sim_rng_range(&f->rng, s->p.gap_min_ms, s->p.gap_max_ms);
		if (s->dir * (price - s->target) >= 0)
			synth_new_swing(f);
		int64_t ppm =
		    s->dir * s->speed + sim_rng_range(&f->rng, -(int64_t)s->p.noise_ppm, s->p.noise_ppm);
		if (s->p.jump_one_in && sim_rng_chance(&f->rng, 1, s->p.jump_one_in)) {
			int64_t j = sim_rng_range(&f->rng, s->p.jump_min_ppm, s->p.jump_max_ppm);
			ppm += sim_rng_chance(&f->rng, 1, 2) ? j : -j;
		}
		int64_t next = price + ppm_move(&f->rng, price, ppm);
		next = next < s->lo ? s->lo : next > s->hi ? s->hi : next;
		bim = next < price || (next == price && sim_rng_chance(&f->rng, 1, 2));
		price = next;
	}
	int64_t units = synth_units(f, price);
	emit(f, ev, s->time_ms, price, units, bim, units);
}

/* ---- replay ---- */

/* Nearest tick, ties to even, at least one tick. */
static int64_t to_ticks(sb_dec v, sb_dec tick)
{
	int64_t q = v / tick, r = v % tick;
	if (2 * r > tick || (2 * r == tick && (q & 1)))
		q++;
	return q > 0 ? q : 1;
}

sb_err sim_feed_new_replay(const struct sb_kline *rows, size_t count, sb_dec tick, sb_dec step, uint64_t seed,
                           struct sim_feed **out)
{
	if (!rows || count == 0 || !out || tick <= 0 || step <= 0)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < count; i++) {
		int64_t hi = to_ticks(rows[i].high, tick);
		if (((i128)hi + SIM_FEED_DEPTH + 1) * tick > SB_DEC_MAX)
			return SB_ERR_RANGE;
	}
	struct sim_feed *f = feed_alloc(FEED_REPLAY, tick, step, seed);
	struct replay *r = &f->u.r;
	r->rows = sb_xmalloc(count * sizeof *rows);
	memcpy(r->rows, rows, count * sizeof *rows);
	r->count = count;
	r->buf = sb_xcalloc(SIM_REPLAY_MAX_TRADES, sizeof *r->buf);
	r->last_time = INT64_MIN;
	r->max_trades = SIM_REPLAY_MAX_TRADES;
	*out = f;
	return SB_OK;
}

/* The corners of a candle's path, in visiting order, without repeats. Returns how many (1..4). */
static size_t candle_corners(const struct sb_kline *k, sb_dec tick, int64_t *w)
{
	int64_t o = to_ticks(k->open, tick), h = to_ticks(k->high, tick);
	int64_t l = to_ticks(k->low, tick), c = to_ticks(k->close, tick);
	h = h > o ? h : o;
	h = h > c ? h : c;
	l = l < o ? l : o;
	l = l < c ? l : c;
	bool low_first = (o - l < h - o) || (o - l == h - o && c >= o);
	int64_t path[4] = {o, low_first ? l : h, low_first ? h : l, c};
	size_t n = 0;
	for (size_t i = 0; i < 4; i++)
		if (n == 0 || w[n - 1] != path[i])
			w[n++] = path[i];
	return n;
}

/* Prices of n trades along the corners w[0..nw): every corner visited, moves spread by segment length. */
static void candle_path(const int64_t *w, size_t nw, size_t n, struct replay_trade *t)
{
	size_t k = nw - 1;
	int64_t total = 0;
	for (size_t j = 0; j < k; j++)
		total += llabs(w[j + 1] - w[j]);
	t[0].ticks = w[0];
	if (k == 0) {
		for (size_t i = 1; i < n; i++)
			t[i].ticks = w[0];
		return;
	}
	/* n - 1 moves shared by segment length (largest remainder), at least one per segment: with exactly
	 * one move per tick every segment gets its length, so the walk goes tick by tick. */
	int64_t budget = (int64_t)(n - 1), moves[3], rem[3], given = 0;
	for (size_t j = 0; j < k; j++) {
		int64_t len = llabs(w[j + 1] - w[j]);
		moves[j] = budget * len / total;
		rem[j] = budget * len % total;
		given += moves[j];
	}
	for (; given < budget; given++) {
		size_t best = 0;
		for (size_t j = 1; j < k; j++)
			if (rem[j] > rem[best])
				best = j;
		moves[best]++;
		rem[best] = -1;
	}
	for (size_t j = 0; j < k; j++) {
		if (moves[j] > 0)
			continue;
		size_t most = 0;
		for (size_t m = 1; m < k; m++)
			if (moves[m] > moves[most])
				most = m;
		moves[most]--; /* budget >= k, so the largest share is at least 2 here */
		moves[j] = 1;
	}
	size_t pos = 1;
	for (size_t j = 0; j < k; j++) {
		int64_t len = w[j + 1] - w[j];
		for (int64_t i = 1; i <= moves[j]; i++)
			t[pos++].ticks = w[j] + (len >= 0 ? i * len / moves[j] : -(i * -len / moves[j]));
	}
}

/* Splits units over n trades: one step each, the rest by random weights, the remainder one by one. */
static void candle_volume(struct sim_rng *rng, int64_t units, size_t n, struct replay_trade *t)
{
	int64_t weights[SIM_REPLAY_MAX_TRADES], sum = 0, rest = units - (int64_t)n, given = 0;
	for (size_t i = 0; i < n; i++) {
		weights[i] = sim_rng_range(rng, 1, 1000);
		sum += weights[i];
	}
	for (size_t i = 0; i < n; i++) {
		int64_t part = muldiv_floor(rest, weights[i], sum);
		t[i].units = 1 + part;
		given += part;
	}
	for (; given < rest; given++)
		t[sim_rng_below(rng, n)].units++;
}

/* Expands candle k into r->buf; returns false when it yields no trades (less than one step of volume). */
static bool replay_expand(struct sim_feed *f, const struct sb_kline *k)
{
	struct replay *r = &f->u.r;
	int64_t units = k->volume / f->step;
	if (units <= 0)
		return false;
	int64_t w[4];
	size_t nw = candle_corners(k, f->tick, w);
	if ((int64_t)nw > units) {
		/* Too little volume for every corner: keep those nearest the close. */
		memmove(w, w + (nw - (size_t)units), (size_t)units * sizeof *w);
		nw = (size_t)units;
	}
	int64_t span = 0;
	for (size_t j = 0; j + 1 < nw; j++)
		span += llabs(w[j + 1] - w[j]);
	int64_t want = k->trades > span + 1 ? k->trades : span + 1;
	if (want > r->max_trades)
		want = r->max_trades;
	if (want > units)
		want = units;
	if (want < (int64_t)nw)
		want = (int64_t)nw;
	size_t n = (size_t)want;
	candle_path(w, nw, n, r->buf);
	candle_volume(&f->rng, units, n, r->buf);
	int64_t dur = k->close_time - k->open_time + 1;
	int64_t prev = f->last_ticks;
	for (size_t i = 0; i < n; i++) {
		struct replay_trade *t = &r->buf[i];
		t->time_ms = k->open_time + muldiv_floor((int64_t)i, dur, (int64_t)n);
		if (prev == 0 || t->ticks == prev)
			t->buyer_is_maker =
			    !sim_rng_chance(&f->rng, (uint64_t)k->taker_buy_volume, (uint64_t)k->volume);
		else
			t->buyer_is_maker = t->ticks < prev;
		prev = t->ticks;
	}
	int64_t typical = units / want;
	int64_t cap = SB_DEC_MAX / 64 / f->step;
	r->level_units = typical < 1 ? 1 : typical > cap ? cap : typical;
	r->buf_n = n;
	r->buf_pos = 0;
	return true;
}

static void replay_next(struct sim_feed *f, struct sim_event *ev)
{
	struct replay *r = &f->u.r;
	while (r->buf_pos == r->buf_n) {
		if (r->next_row == r->count) {
			memset(ev, 0, sizeof *ev);
			ev->kind = SIM_EVENT_END;
			ev->seq = f->seq;
			ev->time_ms = r->last_time == INT64_MIN ? 0 : r->last_time;
			return;
		}
		replay_expand(f, &r->rows[r->next_row++]);
	}
	const struct replay_trade *t = &r->buf[r->buf_pos++];
	int64_t time = t->time_ms + r->offset_ms;
	if (time < r->last_time)
		time = r->last_time;
	r->last_time = time;
	emit(f, ev, time, t->ticks, t->units, t->buyer_is_maker, r->level_units);
}

sb_err sim_feed_rewind(struct sim_feed *feed)
{
	if (!feed)
		return SB_ERR_INVALID;
	if (feed->kind != FEED_REPLAY)
		return SB_ERR_UNSUPPORTED;
	struct replay *r = &feed->u.r;
	r->offset_ms += r->rows[r->count - 1].close_time + 1 - r->rows[0].open_time;
	r->next_row = 0;
	r->buf_n = r->buf_pos = 0;
	return SB_OK;
}

void sim_feed_replay_max_trades(struct sim_feed *feed, size_t n)
{
	if (feed && feed->kind == FEED_REPLAY)
		feed->u.r.max_trades = n < 1                       ? 1
		                       : n > SIM_REPLAY_MAX_TRADES ? SIM_REPLAY_MAX_TRADES
		                                                   : (int64_t)n;
}

sb_err sim_feed_next(struct sim_feed *feed, struct sim_event *ev)
{
	if (!feed || !ev)
		return SB_ERR_INVALID;
	if (feed->kind == FEED_SYNTHETIC)
		synth_next(feed, ev);
	else
		replay_next(feed, ev);
	return SB_OK;
}

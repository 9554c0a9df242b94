/*
 * Tests for the simulator's PRNG and market feeds: known-answer and bias checks of the generator,
 * determinism, grid alignment, boundedness and reachability of the synthetic walk, and exact
 * reproduction of every candle (open, high, low, close, volume) by the replay.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kline.h"
#include "sim/market.h"
#include "sim/rng.h"

/* ---- rng ---- */

Test(sim_rng, matches_reference_splitmix_xoshiro_outputs)
{
	/* Computed with an independent implementation of splitmix64 + xoshiro256** for seed 42. */
	struct sim_rng r;
	sim_rng_seed(&r, 42);
	cr_assert_eq(sim_rng_next(&r), 0x15780b2e0c2ec716ULL);
	cr_assert_eq(sim_rng_next(&r), 0x6104d9866d113a7eULL);
	cr_assert_eq(sim_rng_next(&r), 0xae17533239e499a1ULL);
}

Test(sim_rng, same_seed_same_stream_other_seed_other_stream)
{
	struct sim_rng a, b, c;
	sim_rng_seed(&a, 7);
	sim_rng_seed(&b, 7);
	sim_rng_seed(&c, 8);
	int same = 0;
	for (int i = 0; i < 1000; i++) {
		uint64_t x = sim_rng_next(&a);
		cr_assert_eq(x, sim_rng_next(&b));
		same += x == sim_rng_next(&c);
	}
	cr_assert_eq(same, 0);
}

Test(sim_rng, below_is_unbiased_for_an_awkward_bound)
{
	/* n = 2^63 + 2^62 makes a modulo reduction of a 64-bit word hit the low third twice as often. */
	const uint64_t n = (1ULL << 63) + (1ULL << 62);
	struct sim_rng r;
	sim_rng_seed(&r, 1);
	int thirds[3] = {0};
	const int draws = 300000;
	for (int i = 0; i < draws; i++) {
		uint64_t v = sim_rng_below(&r, n);
		cr_assert_lt(v, n);
		thirds[v / (n / 3)]++;
	}
	for (int i = 0; i < 3; i++)
		cr_assert(thirds[i] > draws / 3 - 2000 && thirds[i] < draws / 3 + 2000, "third %d: %d", i,
		          thirds[i]);
}

Test(sim_rng, small_bounds_chi_square)
{
	struct sim_rng r;
	sim_rng_seed(&r, 99);
	enum { N = 7, DRAWS = 70000 };
	long counts[N] = {0};
	for (int i = 0; i < DRAWS; i++)
		counts[sim_rng_below(&r, N)]++;
	/* chi-square with 6 degrees of freedom: 22.46 is the 0.1% critical value. */
	long long num = 0;
	for (int i = 0; i < N; i++)
		num += (counts[i] - DRAWS / N) * (counts[i] - DRAWS / N);
	cr_assert_lt(num * 100 / (DRAWS / N), 2246, "chi2*100 = %lld", num * 100 / (DRAWS / N));
}

Test(sim_rng, range_hits_both_ends_and_handles_extremes)
{
	struct sim_rng r;
	sim_rng_seed(&r, 3);
	bool lo = false, hi = false;
	for (int i = 0; i < 2000; i++) {
		int64_t v = sim_rng_range(&r, -3, 3);
		cr_assert(v >= -3 && v <= 3);
		lo |= v == -3;
		hi |= v == 3;
	}
	cr_assert(lo && hi);
	cr_assert_eq(sim_rng_range(&r, 5, 5), 5);
	cr_assert_eq(sim_rng_range(&r, 5, 4), 5);
	bool neg = false, pos = false;
	for (int i = 0; i < 100; i++) {
		int64_t v = sim_rng_range(&r, INT64_MIN, INT64_MAX);
		neg |= v < 0;
		pos |= v > 0;
	}
	cr_assert(neg && pos);
	cr_assert_eq(sim_rng_below(&r, 0), 0);
	cr_assert_eq(sim_rng_below(&r, 1), 0);
	cr_assert_not(sim_rng_chance(&r, 1, 0));
	cr_assert(sim_rng_chance(&r, 5, 5));
	cr_assert_not(sim_rng_chance(&r, 0, 5));
}

/* ---- shared event checks ---- */

/* Asserts everything an event promises: grid, positive sizes, book shape, trade on the touch. */
static void check_event(const struct sim_event *ev, sb_dec tick, sb_dec step)
{
	cr_assert_eq(ev->kind, SIM_EVENT_TRADE);
	cr_assert_gt(ev->price, 0);
	cr_assert_eq(ev->price % tick, 0, "price %lld off tick", (long long)ev->price);
	cr_assert_gt(ev->qty, 0);
	cr_assert_eq(ev->qty % step, 0, "qty %lld off step", (long long)ev->qty);
	cr_assert_eq(ev->nasks, SIM_FEED_DEPTH);
	cr_assert_geq(ev->nbids, 1);
	cr_assert_eq(ev->asks[0].price - ev->bids[0].price, tick, "spread must be one tick");
	cr_assert_eq(ev->buyer_is_maker ? ev->bids[0].price : ev->asks[0].price, ev->price);
	for (unsigned i = 0; i < ev->nasks; i++) {
		cr_assert_eq(ev->asks[i].price % tick, 0);
		cr_assert(ev->asks[i].qty > 0 && ev->asks[i].qty % step == 0);
		if (i > 0)
			cr_assert_eq(ev->asks[i].price - ev->asks[i - 1].price, tick);
	}
	for (unsigned i = 0; i < ev->nbids; i++) {
		cr_assert(ev->bids[i].price > 0 && ev->bids[i].price % tick == 0);
		cr_assert(ev->bids[i].qty > 0 && ev->bids[i].qty % step == 0);
		if (i > 0)
			cr_assert_eq(ev->bids[i - 1].price - ev->bids[i].price, tick);
	}
}

static struct sim_feed *synth(uint64_t seed, sb_dec start, sb_dec tick, sb_dec step)
{
	struct sim_synth_params p;
	sim_synth_params_default(&p);
	p.start_price = start;
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_synthetic(&p, tick, step, seed, &f), SB_OK);
	return f;
}

#define TICK_001  SB_DEC_C(0, 1000000) /* 0.01 */
#define STEP_0001 SB_DEC_C(0, 100000)  /* 0.001 */

/* ---- synthetic ---- */

Test(sim_synth, same_seed_identical_other_seed_different)
{
	struct sim_feed *a = synth(11, SB_DEC_C(100, 0), TICK_001, STEP_0001);
	struct sim_feed *b = synth(11, SB_DEC_C(100, 0), TICK_001, STEP_0001);
	struct sim_feed *c = synth(12, SB_DEC_C(100, 0), TICK_001, STEP_0001);
	int differ = 0;
	for (int i = 0; i < 20000; i++) {
		struct sim_event x, y, z;
		sim_feed_next(a, &x);
		sim_feed_next(b, &y);
		sim_feed_next(c, &z);
		cr_assert_eq(memcmp(&x, &y, sizeof x), 0, "event %d differs", i);
		differ += x.price != z.price || x.qty != z.qty;
	}
	cr_assert_gt(differ, 10000);
	sim_feed_free(a);
	sim_feed_free(b);
	sim_feed_free(c);
}

Test(sim_synth, every_event_is_on_the_grid_and_time_advances_a_few_trades_per_second)
{
	static const struct {
		sb_dec start, tick, step;
	} cfg[] = {
	    {SB_DEC_C(100, 0), TICK_001, STEP_0001},
	    {SB_DEC_C(3, 95800000), SB_DEC_C(0, 100000), SB_DEC_C(0, 10000000)}, /* DOT-like 0.001 / 0.1 */
	    {SB_DEC_C(60000, 0), TICK_001, SB_DEC_C(0, 1000)},                   /* BTC-like 0.01 / 0.00001 */
	    {SB_DEC_C(0, 1234), SB_DEC_C(0, 1), SB_DEC_C(1, 0)},                 /* SHIB-like 1e-8 / 1 */
	    {SB_DEC_C(1, 0), SB_DEC_C(0, 1000000), SB_DEC_C(10, 0)},             /* 100 ticks, coarse step */
	};
	for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
		struct sim_feed *f = synth(c + 1, cfg[c].start, cfg[c].tick, cfg[c].step);
		struct sim_event ev, prev = {0};
		for (int i = 0; i < 50000; i++) {
			sim_feed_next(f, &ev);
			check_event(&ev, cfg[c].tick, cfg[c].step);
			cr_assert_eq(ev.seq, (uint64_t)i);
			if (i == 0) {
				cr_assert_eq(ev.time_ms, 1735689600000LL);
				cr_assert_eq(ev.price, cfg[c].start);
			} else {
				int64_t gap = ev.time_ms - prev.time_ms;
				cr_assert(gap >= 100 && gap <= 400, "gap %lld", (long long)gap);
				/* Direction and side agree: an uptick is a taker buy, a downtick a taker
				 * sell. */
				if (ev.price > prev.price)
					cr_assert_not(ev.buyer_is_maker);
				if (ev.price < prev.price)
					cr_assert(ev.buyer_is_maker);
			}
			prev = ev;
		}
		sim_feed_free(f);
	}
}

Test(sim_synth, stays_within_bounds_over_a_million_events)
{
	for (uint64_t seed = 1; seed <= 3; seed++) {
		struct sim_feed *f = synth(seed, SB_DEC_C(100, 0), TICK_001, STEP_0001);
		sb_dec lo = SB_DEC_MAX, hi = 0;
		struct sim_event ev;
		for (int i = 0; i < 1000000; i++) {
			sim_feed_next(f, &ev);
			lo = ev.price < lo ? ev.price : lo;
			hi = ev.price > hi ? ev.price : hi;
		}
		/* About 70 hours of market time; the pull keeps the walk within +/-10% (measured +/-4%). */
		cr_assert_geq(lo, SB_DEC_C(90, 0), "seed %llu low %lld", (unsigned long long)seed,
		              (long long)lo);
		cr_assert_leq(hi, SB_DEC_C(110, 0), "seed %llu high %lld", (unsigned long long)seed,
		              (long long)hi);
		/* ...and it does move: a dead walk would pass the bounds check too. */
		cr_assert_lt(lo, SB_DEC_C(98, 0));
		cr_assert_gt(hi, SB_DEC_C(102, 0));
		sim_feed_free(f);
	}
}

/* Events until the price is >= p*up_ppm/1e6 and until it is <= p*down_ppm/1e6, from the i-th event. */
struct hits {
	int up, down;
};

static int cmp_int(const void *a, const void *b)
{
	return (*(const int *)a > *(const int *)b) - (*(const int *)a < *(const int *)b);
}

Test(sim_synth, reaches_plus_0_6_and_minus_0_1_percent_from_the_start_for_every_seed)
{
	/* From the opening price, for 200 seeds and two grids: both targets within 3000 events (12.5 min). */
	static const sb_dec ticks[2] = {TICK_001, SB_DEC_C(0, 100000)};
	int worst = 0;
	for (int g = 0; g < 2; g++) {
		for (uint64_t seed = 1; seed <= 200; seed++) {
			struct sim_feed *f = synth(seed, SB_DEC_C(25, 0), ticks[g], STEP_0001);
			struct sim_event ev;
			sim_feed_next(f, &ev);
			sb_dec p0 = ev.price;
			int up = -1, down = -1;
			for (int i = 1; i <= 3000 && (up < 0 || down < 0); i++) {
				sim_feed_next(f, &ev);
				if (up < 0 && ev.price * 1000 >= p0 * 1006)
					up = i;
				if (down < 0 && ev.price * 1000 <= p0 * 999)
					down = i;
			}
			cr_assert(up > 0 && down > 0, "grid %d seed %llu: up %d down %d", g,
			          (unsigned long long)seed, up, down);
			worst = up > worst ? up : worst;
			worst = down > worst ? down : worst;
			sim_feed_free(f);
		}
	}
	cr_log_info("worst hitting time from the start: %d events", worst);
}

Test(sim_synth, reaches_both_targets_quickly_from_typical_points)
{
	/* From every 250th point of a 400k-event run: the median waits are a minute or two of market time
	 * (4 trades a second), and nine points in ten reach both within about 20 minutes. The process is
	 * bounded, so no finite bound can hold from literally every point (not from the run's highest). */
	enum { RUN = 400000, WINDOW = 8000, STRIDE = 250, NPTS = (RUN - WINDOW) / STRIDE };
	struct sim_feed *f = synth(5, SB_DEC_C(100, 0), TICK_001, STEP_0001);
	sb_dec *px = malloc(RUN * sizeof *px);
	struct sim_event ev;
	for (int i = 0; i < RUN; i++) {
		sim_feed_next(f, &ev);
		px[i] = ev.price;
	}
	static int ups[NPTS], downs[NPTS], both[NPTS];
	for (int k = 0; k < NPTS; k++) {
		int s = k * STRIDE, up = WINDOW * 10, down = WINDOW * 10;
		for (int i = s + 1; i < s + WINDOW && (up == WINDOW * 10 || down == WINDOW * 10); i++) {
			if (up == WINDOW * 10 && px[i] * 1000 >= px[s] * 1006)
				up = i - s;
			if (down == WINDOW * 10 && px[i] * 1000 <= px[s] * 999)
				down = i - s;
		}
		ups[k] = up;
		downs[k] = down;
		both[k] = up > down ? up : down;
	}
	qsort(ups, NPTS, sizeof ups[0], cmp_int);
	qsort(downs, NPTS, sizeof downs[0], cmp_int);
	qsort(both, NPTS, sizeof both[0], cmp_int);
	cr_log_info("up median %d p90 %d; down median %d p90 %d; both p90 %d", ups[NPTS / 2],
	            ups[NPTS * 9 / 10], downs[NPTS / 2], downs[NPTS * 9 / 10], both[NPTS * 9 / 10]);
	cr_assert_leq(ups[NPTS / 2], 480, "median wait for +0.6%%: %d events", ups[NPTS / 2]);
	cr_assert_leq(downs[NPTS / 2], 120, "median wait for -0.1%%: %d events", downs[NPTS / 2]);
	cr_assert_leq(both[NPTS * 9 / 10], 5000, "90th percentile wait for both: %d events",
	              both[NPTS * 9 / 10]);
	free(px);
	sim_feed_free(f);
}

Test(sim_synth, rejects_bad_parameters)
{
	struct sim_synth_params p;
	struct sim_feed *f = NULL;
	sim_synth_params_default(&p);
	cr_assert_eq(sim_feed_new_synthetic(&p, 0, STEP_0001, 1, &f), SB_ERR_INVALID);
	cr_assert_eq(sim_feed_new_synthetic(&p, TICK_001, -1, 1, &f), SB_ERR_INVALID);
	p.start_price = SB_DEC_C(0, 99000000); /* 99 ticks of 0.01 */
	cr_assert_eq(sim_feed_new_synthetic(&p, TICK_001, STEP_0001, 1, &f), SB_ERR_INVALID);
	sim_synth_params_default(&p);
	p.swing_min_ppm = p.swing_max_ppm + 1;
	cr_assert_eq(sim_feed_new_synthetic(&p, TICK_001, STEP_0001, 1, &f), SB_ERR_INVALID);
	sim_synth_params_default(&p);
	p.notional_min = 0;
	cr_assert_eq(sim_feed_new_synthetic(&p, TICK_001, STEP_0001, 1, &f), SB_ERR_INVALID);
	sim_synth_params_default(&p);
	p.start_price = SB_DEC_C(30000000000LL, 0);
	cr_assert_eq(sim_feed_new_synthetic(&p, TICK_001, STEP_0001, 1, &f), SB_ERR_OVERFLOW);
	cr_assert_null(f);
	cr_assert_eq(sim_feed_next(NULL, NULL), SB_ERR_INVALID);
	sim_feed_free(NULL);
}

Test(sim_synth, rewind_is_only_for_replays)
{
	struct sim_feed *f = synth(1, SB_DEC_C(100, 0), TICK_001, STEP_0001);
	cr_assert_eq(sim_feed_rewind(f), SB_ERR_UNSUPPORTED);
	sim_feed_free(f);
}

Test(sim_synth, lower_volatility_moves_less)
{
	struct sim_synth_params p;
	sim_synth_params_default(&p);
	sb_dec range[2];
	for (int v = 0; v < 2; v++) {
		p.vol_pct = v == 0 ? 100 : 25;
		struct sim_feed *f = NULL;
		cr_assert_eq(sim_feed_new_synthetic(&p, TICK_001, STEP_0001, 9, &f), SB_OK);
		sb_dec lo = SB_DEC_MAX, hi = 0;
		struct sim_event ev;
		for (int i = 0; i < 20000; i++) {
			sim_feed_next(f, &ev);
			lo = ev.price < lo ? ev.price : lo;
			hi = ev.price > hi ? ev.price : hi;
		}
		range[v] = hi - lo;
		sim_feed_free(f);
	}
	cr_assert_lt(range[1] * 2, range[0]);
}

/* ---- replay ---- */

static struct sim_kline_series load(const char *name)
{
	const char *root = getenv("SB_SOURCE_DIR");
	char path[1024], err[512];
	snprintf(path, sizeof path, "%s/tests/data/klines/%s", root ? root : ".", name);
	struct sim_kline_series s = {0};
	cr_assert_eq(sim_kline_load_file(path, &s, err, sizeof err), SB_OK, "%s", err);
	return s;
}

/* Replays rows and checks each candle is reproduced exactly; returns the number of trades. */
static long replay_and_check(const struct sb_kline *rows, size_t n, sb_dec tick, sb_dec step, uint64_t seed)
{
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(rows, n, tick, step, seed, &f), SB_OK);
	struct sim_event ev;
	sim_feed_next(f, &ev);
	long total = 0;
	int64_t last_time = 0;
	for (size_t c = 0; c < n; c++) {
		const struct sb_kline *k = &rows[c];
		sb_dec hi = 0, lo = SB_DEC_MAX, vol = 0, first = ev.price, last = 0, prev = ev.price;
		long trades = 0;
		int64_t path = 0;
		bool unit_steps = true;
		while (ev.kind == SIM_EVENT_TRADE && ev.time_ms <= k->close_time) {
			check_event(&ev, tick, step);
			cr_assert_geq(ev.time_ms, k->open_time);
			cr_assert_geq(ev.time_ms, last_time);
			last_time = ev.time_ms;
			hi = ev.price > hi ? ev.price : hi;
			lo = ev.price < lo ? ev.price : lo;
			vol += ev.qty;
			unit_steps &= llabs(ev.price - prev) <= tick || trades == 0;
			path += trades ? llabs(ev.price - prev) / tick : 0;
			prev = last = ev.price;
			trades++;
			sim_feed_next(f, &ev);
		}
		cr_assert_gt(trades, 0, "candle %zu has no trades", c);
		cr_assert_eq(first, k->open, "candle %zu open", c);
		cr_assert_eq(hi, k->high, "candle %zu high", c);
		cr_assert_eq(lo, k->low, "candle %zu low", c);
		cr_assert_eq(last, k->close, "candle %zu close", c);
		cr_assert_eq(vol, k->volume / step * step, "candle %zu volume", c);
		/* Tick steps whenever the trade budget allows walking the whole path: the reference length is
		 * open -> nearer extreme -> other extreme -> close. */
		int64_t o = k->open / tick, h = k->high / tick, l = k->low / tick, cl = k->close / tick;
		bool low_first = (o - l < h - o) || (o - l == h - o && cl >= o);
		int64_t want_path = low_first ? (o - l) + (h - l) + (h - cl) : (h - o) + (h - l) + (cl - l);
		cr_assert_geq(path, want_path, "candle %zu: walked %lld of %lld ticks", c, (long long)path,
		              (long long)want_path);
		if (trades > want_path)
			cr_assert(unit_steps, "candle %zu: %ld trades, path %lld ticks", c, trades,
			          (long long)path);
		total += trades;
	}
	cr_assert_eq(ev.kind, SIM_EVENT_END);
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.kind, SIM_EVENT_END, "END repeats");
	sim_feed_free(f);
	return total;
}

Test(sim_replay, linkusdt_candles_are_reproduced_exactly)
{
	struct sim_kline_series s = load("LINKUSDT-1m-2023-02.csv");
	long n = replay_and_check(s.rows, s.count, SB_DEC_C(0, 100000), SB_DEC_C(0, 1000000), 1);
	cr_assert_gt(n, 300 * 50);
	sim_kline_series_fini(&s);
}

Test(sim_replay, ltcusdt_candles_are_reproduced_exactly)
{
	struct sim_kline_series s = load("LTCUSDT-1m-2026-02-us.csv.gz");
	replay_and_check(s.rows, s.count, TICK_001, STEP_0001, 2);
	sim_kline_series_fini(&s);
}

Test(sim_replay, random_candles_against_a_reference_walk)
{
	/* Random candles of every shape and size, including ones far longer than the trade cap. */
	struct sim_rng r;
	sim_rng_seed(&r, 2024);
	enum { N = 400 };
	struct sb_kline *rows = calloc(N, sizeof *rows);
	for (int i = 0; i < N; i++) {
		int64_t lo = sim_rng_range(&r, 1, 5000), hi = lo + sim_rng_range(&r, 0, i % 3 ? 40 : 3000);
		rows[i].open_time = 1000000 + (int64_t)i * 60000;
		rows[i].close_time = rows[i].open_time + 59999;
		rows[i].low = lo * TICK_001;
		rows[i].high = hi * TICK_001;
		rows[i].open = sim_rng_range(&r, lo, hi) * TICK_001;
		rows[i].close = sim_rng_range(&r, lo, hi) * TICK_001;
		rows[i].volume =
		    sim_rng_range(&r, 4, 100000) * STEP_0001 + sim_rng_range(&r, 0, 99); /* off-step */
		rows[i].trades = sim_rng_range(&r, 0, 1000);
		rows[i].taker_buy_volume = rows[i].volume / 2;
	}
	replay_and_check(rows, N, TICK_001, STEP_0001, 77);
	free(rows);
}

Test(sim_replay, nearer_extreme_is_visited_first)
{
	/* open 10, high 12, low 5, close 8: the high is nearer, so the path is 10 -> 12 -> 5 -> 8. */
	struct sb_kline k[2] = {
	    {.open_time = 0,
	     .close_time = 59999,
	     .open = SB_DEC_C(10, 0),
	     .high = SB_DEC_C(12, 0),
	     .low = SB_DEC_C(5, 0),
	     .close = SB_DEC_C(8, 0),
	     .volume = SB_DEC_C(1000, 0),
	     .trades = 5},
	    {.open_time = 60000,
	     .close_time = 119999,
	     .open = SB_DEC_C(10, 0),
	     .high = SB_DEC_C(15, 0),
	     .low = SB_DEC_C(9, 0),
	     .close = SB_DEC_C(14, 0),
	     .volume = SB_DEC_C(1000, 0),
	     .trades = 5},
	};
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(k, 2, SB_DEC_ONE, SB_DEC_ONE, 1, &f), SB_OK);
	static const int want[] = {10, 11, 12, 11, 10, 9,  8,  7, 6, 5, 6, 7, 8, /* candle 2: */ 10,
	                           9,  10, 11, 12, 13, 14, 15, 14};
	struct sim_event ev;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		sim_feed_next(f, &ev);
		cr_assert_eq(ev.price, SB_DEC_C(want[i], 0), "trade %zu: %lld", i,
		             (long long)(ev.price / SB_DEC_ONE));
	}
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.kind, SIM_EVENT_END);
	sim_feed_free(f);
}

Test(sim_replay, capped_at_four_trades_a_candle_walks_its_corners_with_all_its_volume)
{
	/* open 10, high 12, low 5, close 8 with 400 trades: capped at 4, one trade per corner. */
	struct sb_kline k = {.open_time = 0,
	                     .close_time = 59999,
	                     .open = SB_DEC_C(10, 0),
	                     .high = SB_DEC_C(12, 0),
	                     .low = SB_DEC_C(5, 0),
	                     .close = SB_DEC_C(8, 0),
	                     .volume = SB_DEC_C(1000, 0),
	                     .trades = 400};
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(&k, 1, SB_DEC_ONE, SB_DEC_ONE, 1, &f), SB_OK);
	sim_feed_replay_max_trades(f, 4);
	static const int want[] = {10, 12, 5, 8};
	struct sim_event ev;
	sb_dec vol = 0;
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		sim_feed_next(f, &ev);
		cr_assert_eq(ev.kind, SIM_EVENT_TRADE);
		cr_assert_eq(ev.price, SB_DEC_C(want[i], 0), "trade %zu: %lld", i,
		             (long long)(ev.price / SB_DEC_ONE));
		vol += ev.qty;
	}
	cr_assert_eq(vol, k.volume, "the candle's whole volume is traded");
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.kind, SIM_EVENT_END);
	sim_feed_free(f);
}

Test(sim_replay, thin_and_empty_candles)
{
	struct sb_kline k[3] = {
	    /* No volume at all: no trades. */
	    {.open_time = 0,
	     .close_time = 59999,
	     .open = SB_DEC_ONE,
	     .high = SB_DEC_ONE,
	     .low = SB_DEC_ONE,
	     .close = SB_DEC_ONE},
	    /* Two steps of volume for four corners: the two nearest the close survive (low 1 then close 3).
	     */
	    {.open_time = 60000,
	     .close_time = 119999,
	     .open = SB_DEC_C(2, 0),
	     .high = SB_DEC_C(4, 0),
	     .low = SB_DEC_C(1, 0),
	     .close = SB_DEC_C(3, 0),
	     .volume = SB_DEC_C(2, 50000000),
	     .trades = 9},
	    /* Flat candle with many trades: all at one price, volume split exactly. */
	    {.open_time = 120000,
	     .close_time = 179999,
	     .open = SB_DEC_C(7, 0),
	     .high = SB_DEC_C(7, 0),
	     .low = SB_DEC_C(7, 0),
	     .close = SB_DEC_C(7, 0),
	     .volume = SB_DEC_C(50, 0),
	     .trades = 20},
	};
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(k, 3, SB_DEC_ONE, SB_DEC_ONE, 1, &f), SB_OK);
	struct sim_event ev;
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.time_ms, 60000);
	cr_assert_eq(ev.price, SB_DEC_C(4, 0));
	cr_assert_eq(ev.qty, SB_DEC_ONE);
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.price, SB_DEC_C(3, 0));
	cr_assert_eq(ev.qty, SB_DEC_ONE);
	sb_dec vol = 0;
	for (int i = 0; i < 20; i++) {
		sim_feed_next(f, &ev);
		cr_assert_eq(ev.price, SB_DEC_C(7, 0));
		cr_assert_eq(ev.time_ms, 120000 + i * 3000);
		vol += ev.qty;
	}
	cr_assert_eq(vol, SB_DEC_C(50, 0));
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.kind, SIM_EVENT_END);
	sim_feed_free(f);
}

Test(sim_replay, prices_off_the_grid_are_rounded_to_the_nearest_tick)
{
	/* open 1.0234 -> 1.02, high 1.0261 -> 1.03, low 1.0149 -> 1.01, close 1.0250 -> 1.02 (tie to even).
	 */
	struct sb_kline k = {.open_time = 0,
	                     .close_time = 59999,
	                     .open = SB_DEC_C(1, 2340000),
	                     .high = SB_DEC_C(1, 2610000),
	                     .low = SB_DEC_C(1, 1490000),
	                     .close = SB_DEC_C(1, 2500000),
	                     .volume = SB_DEC_C(10, 0),
	                     .trades = 10};
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(&k, 1, SB_DEC_C(0, 1000000), SB_DEC_C(0, 10000000), 1, &f), SB_OK);
	struct sim_event ev;
	sb_dec hi = 0, lo = SB_DEC_MAX, vol = 0, first = 0, last = 0;
	for (sim_feed_next(f, &ev); ev.kind == SIM_EVENT_TRADE; sim_feed_next(f, &ev)) {
		check_event(&ev, SB_DEC_C(0, 1000000), SB_DEC_C(0, 10000000));
		first = first ? first : ev.price;
		last = ev.price;
		hi = ev.price > hi ? ev.price : hi;
		lo = ev.price < lo ? ev.price : lo;
		vol += ev.qty;
	}
	cr_assert_eq(first, SB_DEC_C(1, 2000000));
	cr_assert_eq(hi, SB_DEC_C(1, 3000000));
	cr_assert_eq(lo, SB_DEC_C(1, 1000000));
	cr_assert_eq(last, SB_DEC_C(1, 2000000));
	cr_assert_eq(vol, SB_DEC_C(10, 0));
	sim_feed_free(f);
}

Test(sim_replay, rewind_continues_the_clock_and_repeats_the_prices)
{
	struct sim_kline_series s = load("LINKUSDT-1m-2023-02.csv");
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(s.rows, 20, SB_DEC_C(0, 100000), SB_DEC_C(0, 1000000), 3, &f),
	             SB_OK);
	enum { CAP = 20000 };
	sb_dec *prices = malloc(CAP * sizeof *prices);
	struct sim_event ev;
	int n = 0;
	int64_t last = 0;
	for (sim_feed_next(f, &ev); ev.kind == SIM_EVENT_TRADE; sim_feed_next(f, &ev)) {
		cr_assert_lt(n, CAP);
		prices[n++] = ev.price;
		last = ev.time_ms;
	}
	cr_assert_eq(sim_feed_rewind(f), SB_OK);
	for (int i = 0; i < n; i++) {
		sim_feed_next(f, &ev);
		cr_assert_eq(ev.kind, SIM_EVENT_TRADE);
		cr_assert_eq(ev.price, prices[i], "trade %d", i);
		cr_assert_gt(ev.time_ms, last);
		if (i == 0)
			cr_assert_eq(ev.time_ms, s.rows[0].open_time + 20 * 60000);
	}
	sim_feed_next(f, &ev);
	cr_assert_eq(ev.kind, SIM_EVENT_END);
	free(prices);
	sim_feed_free(f);
	sim_kline_series_fini(&s);
}

Test(sim_replay, same_seed_same_events)
{
	struct sim_kline_series s = load("LINKUSDT-1m-2023-02.csv");
	struct sim_feed *a = NULL, *b = NULL, *c = NULL;
	sb_dec tick = SB_DEC_C(0, 100000), step = SB_DEC_C(0, 1000000);
	cr_assert_eq(sim_feed_new_replay(s.rows, s.count, tick, step, 5, &a), SB_OK);
	cr_assert_eq(sim_feed_new_replay(s.rows, s.count, tick, step, 5, &b), SB_OK);
	cr_assert_eq(sim_feed_new_replay(s.rows, s.count, tick, step, 6, &c), SB_OK);
	sim_kline_series_fini(&s); /* the feeds hold their own copies */
	struct sim_event x, y, z;
	int differ = 0;
	do {
		sim_feed_next(a, &x);
		sim_feed_next(b, &y);
		sim_feed_next(c, &z);
		cr_assert_eq(memcmp(&x, &y, sizeof x), 0);
		differ += x.qty != z.qty;
	} while (x.kind == SIM_EVENT_TRADE);
	cr_assert_gt(differ, 1000);
	sim_feed_free(a);
	sim_feed_free(b);
	sim_feed_free(c);
}

Test(sim_replay, rejects_bad_arguments)
{
	struct sb_kline k = {
	    .open_time = 0, .close_time = 1, .open = 1, .high = SB_DEC_MAX - 2, .low = 1, .close = 1};
	struct sim_feed *f = NULL;
	cr_assert_eq(sim_feed_new_replay(&k, 0, 1, 1, 1, &f), SB_ERR_INVALID);
	cr_assert_eq(sim_feed_new_replay(NULL, 1, 1, 1, 1, &f), SB_ERR_INVALID);
	cr_assert_eq(sim_feed_new_replay(&k, 1, 0, 1, 1, &f), SB_ERR_INVALID);
	cr_assert_eq(sim_feed_new_replay(&k, 1, 1, 1, 1, &f), SB_ERR_RANGE);
	cr_assert_null(f);
}

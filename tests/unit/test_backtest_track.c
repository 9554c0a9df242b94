/*
 * test_backtest_track.c - what a backtest watches as it runs (backtest/bt_track.h, bt_series.h): a series
 * stays bounded and its merged buckets are exactly the coarser ones, equity is valued at each step's
 * closes with its largest drawdown, holding splits the start over the pairs, an asset is valued through
 * two pairs, and an asset no pair values is named. Expected values are worked out by hand.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "backtest/bt_series.h"
#include "backtest/bt_track.h"
#include "sbtest_dec.h"

#define MIN 60000

Test(backtest_track, a_series_stays_bounded_and_merges_buckets_exactly)
{
	static struct sb_bt_series s;
	sb_bt_series_init(&s);
	/* 4096 minutes of values 0, 1, 2, ...: twice what the series holds at one minute a bucket. */
	for (int64_t i = 0; i < 2 * SB_BT_SERIES_CAP; i++)
		sb_bt_series_add(&s, 1000 + i * MIN, i * SB_DEC_ONE, i * SB_DEC_ONE, i * SB_DEC_ONE);
	cr_assert_eq(s.n, SB_BT_SERIES_CAP);
	cr_assert_eq(s.step_ms, 2 * MIN, "the resolution halved once");
	cr_assert_eq(s.start_ms, 1000);
	for (size_t j = 0; j < s.n; j++) {
		cr_assert(s.pt[j].set);
		cr_assert_eq(s.pt[j].low, (sb_dec)(2 * j) * SB_DEC_ONE, "bucket %zu", j);
		cr_assert_eq(s.pt[j].high, (sb_dec)(2 * j + 1) * SB_DEC_ONE, "bucket %zu", j);
		cr_assert_eq(s.pt[j].last, (sb_dec)(2 * j + 1) * SB_DEC_ONE, "bucket %zu", j);
	}
	/* A year later: one more value still fits, at a far coarser step. */
	sb_bt_series_add(&s, 1000 + INT64_C(365) * 24 * 60 * MIN, D("7"), D("9"), D("8"));
	cr_assert_leq(s.n, SB_BT_SERIES_CAP);
	cr_assert_geq(s.n, SB_BT_SERIES_CAP / 2);
	cr_assert_eq(s.pt[s.n - 1].last, D("8"));
	cr_assert_eq(s.pt[0].low, 0, "the first value survives every merge");
	sb_dec lo = 0, hi = 0;
	cr_assert(sb_bt_series_range(&s, &lo, &hi));
	cr_assert_eq(lo, 0);
	cr_assert_eq(hi, (sb_dec)(2 * SB_BT_SERIES_CAP - 1) * SB_DEC_ONE);
}

Test(backtest_track, a_hole_in_the_data_leaves_buckets_empty)
{
	static struct sb_bt_series s;
	sb_bt_series_init(&s);
	sb_bt_series_add(&s, 0, D("1"), D("1"), D("1"));
	sb_bt_series_add(&s, 5 * MIN, D("2"), D("2"), D("2"));
	cr_assert_eq(s.n, 6);
	cr_assert(s.pt[0].set);
	for (size_t i = 1; i < 5; i++)
		cr_assert_not(s.pt[i].set, "bucket %zu", i);
	cr_assert(s.pt[5].set);
}

/* The account the tests value: assets and amounts they set between candles. */
static struct {
	const char *asset[8];
	sb_dec amount[8];
	size_t n;
} acct;

static size_t balances(void *user, const char **assets, sb_dec *amounts, size_t cap)
{
	(void)user;
	for (size_t i = 0; i < acct.n && i < cap; i++) {
		assets[i] = acct.asset[i];
		amounts[i] = acct.amount[i];
	}
	return acct.n;
}

static void hold(size_t i, const char *asset, const char *amount)
{
	acct.asset[i] = asset;
	acct.amount[i] = D(amount);
	if (i + 1 > acct.n)
		acct.n = i + 1;
}

static struct sb_kline candle(int64_t open_ms, const char *open, const char *low, const char *high,
                              const char *close)
{
	return (struct sb_kline){.open_time = open_ms,
	                         .close_time = open_ms + MIN - 1,
	                         .open = D(open),
	                         .low = D(low),
	                         .high = D(high),
	                         .close = D(close)};
}

static void feed(struct sb_bt_track *t, size_t k, struct sb_kline c)
{
	sb_bt_track_candle(t, k, &c);
}

Test(backtest_track, equity_at_each_steps_closes_its_drawdown_and_the_holding)
{
	memset(&acct, 0, sizeof acct);
	struct sb_bt_track_pair pairs[] = {{"AAAUSDT", "AAA", "USDT"}, {"BBBUSDT", "BBB", "USDT"}};
	struct sb_bt_balance start[] = {{"USDT", D("1000"), 0}};
	struct sb_bt_track *t = sb_bt_track_new(pairs, 2, start, 1, balances, NULL);
	cr_assert_str_eq(sb_bt_track_value_asset(t), "USDT");
	hold(0, "USDT", "1000");

	feed(t, 0, candle(0, "10", "9", "11", "10"));
	feed(t, 1, candle(0, "5", "5", "5", "5"));
	/* During minute 0 the bot bought 10 AAA for 100 USDT. */
	hold(0, "USDT", "900");
	hold(1, "AAA", "10");
	feed(t, 0, candle(MIN, "10", "10", "13", "12")); /* values minute 0: 900 + 10 * 10 = 1000 */
	feed(t, 1, candle(MIN, "5", "5", "5", "5"));
	feed(t, 0, candle(2 * MIN, "12", "7", "12", "8")); /* values minute 1: 900 + 10 * 12 = 1020 */
	feed(t, 1, candle(2 * MIN, "5", "5", "5", "5"));
	sb_bt_track_end(t); /* values minute 2: 900 + 10 * 8 = 980 */

	cr_assert_eq(sb_bt_track_equity_start(t), D("1000"));
	cr_assert_eq(sb_bt_track_equity_end(t), D("980"));
	struct sb_bt_drawdown dd = sb_bt_track_drawdown(t);
	cr_assert_eq(dd.amount, D("40"), "from 1020 down to 980");
	cr_assert_eq(dd.peak, D("1020"));
	cr_assert_eq(dd.peak_ms, 2 * MIN, "the peak is at minute 1's close");
	cr_assert_eq(dd.trough_ms, 3 * MIN);
	/* Holding: 500 USDT a pair, 50 AAA at 10 and 100 BBB at 5, worth 50 * 8 + 100 * 5 at the end. */
	cr_assert_eq(sb_bt_track_holding_end(t), D("900"));
	cr_assert_eq(sb_bt_track_first_open(t, 0), D("10"));
	cr_assert_eq(sb_bt_track_last_close(t, 0), D("8"));
	const struct sb_bt_series *eq = sb_bt_track_equity(t);
	cr_assert_eq(eq->n, 4, "the start and three closes, a minute apart");
	cr_assert_eq(eq->pt[1].last, D("1000"));
	cr_assert_eq(eq->pt[2].last, D("1020"));
	cr_assert_eq(eq->pt[3].last, D("980"));
	const struct sb_bt_series *px = sb_bt_track_prices(t, 0);
	cr_assert_eq(px->n, 3);
	cr_assert_eq(px->pt[2].low, D("7"));
	cr_assert_eq(px->pt[2].last, D("8"));
	cr_assert_str_eq(sb_bt_track_unvalued(t, 0), "");
	sb_bt_track_free(t);
}

Test(backtest_track, an_asset_is_valued_through_two_pairs_and_one_no_pair_prices_is_named)
{
	memset(&acct, 0, sizeof acct);
	struct sb_bt_track_pair pairs[] = {{"ETHBTC", "ETH", "BTC"}, {"BTCUSDT", "BTC", "USDT"}};
	struct sb_bt_balance start[] = {{"USDT", D("100"), 0}, {"BTC", D("0.5"), 0}};
	struct sb_bt_track *t = sb_bt_track_new(pairs, 2, start, 2, balances, NULL);
	cr_assert_str_eq(sb_bt_track_value_asset(t), "USDT", "BTC is a pair's base: USDT values both");
	hold(0, "USDT", "100");
	hold(1, "BTC", "0.5");
	hold(2, "ETH", "2");
	hold(3, "BNB", "1");
	feed(t, 0, candle(0, "0.05", "0.05", "0.05", "0.05"));
	feed(t, 1, candle(0, "20000", "20000", "20000", "20000"));
	sb_bt_track_end(t);
	/* 100 + 0.5 * 20000 + 2 * 0.05 * 20000; BNB is left out. */
	cr_assert_eq(sb_bt_track_equity_end(t), D("12100"));
	cr_assert_eq(sb_bt_track_equity_start(t), D("10100"), "the start's USDT and BTC at the first opens");
	cr_assert_str_eq(sb_bt_track_unvalued(t, 0), "BNB");
	cr_assert_str_eq(sb_bt_track_unvalued(t, 1), "");
	/* Holding: the USDT is all BTCUSDT's (the one pair quoted in USDT), the BTC is kept. */
	cr_assert_eq(sb_bt_track_holding_end(t), D("10100"));
	sb_bt_track_free(t);
}

/*
 * test_sim_md.c - spotsim's market data (sim/md.h) and the public REST methods built on it
 * (api_market.c), called directly with a hand-built exchange of two symbols.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_json.h"
#include "sim/api_int.h"
#include "sim/md.h"
#include "spotbot/query.h"

/* Stand-ins for the parts of the simulator these tests do not use; weak, so real ones win if linked. */
#define STUB(name)                                                                                           \
	__attribute__((weak)) void name(struct sim_api_call *c, struct sim_api_reply *r)                     \
	{                                                                                                    \
		(void)c;                                                                                     \
		(void)r;                                                                                     \
	}
STUB(sim_api_order_place)
STUB(sim_api_order_test)
STUB(sim_api_order_status)
STUB(sim_api_order_cancel)
STUB(sim_api_order_cancel_replace)
STUB(sim_api_open_orders)
STUB(sim_api_cancel_open_orders)
STUB(sim_api_all_orders)
STUB(sim_api_my_trades)
STUB(sim_api_account)
STUB(sim_api_account_commission)
STUB(sim_api_rate_limit_order)
STUB(sim_api_listenkey_create)
STUB(sim_api_listenkey_keepalive)
STUB(sim_api_listenkey_close)
__attribute__((weak)) struct sim_account *sim_exchange_account(struct sim_exchange *ex, const char *key,
                                                               size_t len)
{
	(void)ex;
	(void)key;
	(void)len;
	return NULL;
}

#define D(s) dec(s)
static sb_dec dec(const char *s)
{
	sb_dec v;
	cr_assert_eq(sb_dec_parse_cstr(s, &v), SB_OK, "%s", s);
	return v;
}

/* ---- klines against a naive reference ---------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

struct ref_trade {
	int64_t id, time;
	sb_dec price, qty;
	bool m;
};

static void check_interval(const struct sim_md *md, const struct ref_trade *tr, size_t n, int iv, int64_t now)
{
	static struct sim_md_candle out[1000];
	size_t got = sim_md_klines(md, iv, -1, -1, 1000, now, out);
	cr_assert_gt(got, 0);
	cr_assert_eq(out[got - 1].open_time, sim_md_interval_open(iv, now), "%s", sim_md_interval_name(iv));
	size_t nonempty = 0;
	for (size_t k = 0; k < got; k++) {
		const struct sim_md_candle *c = &out[k];
		cr_assert_eq(c->close_time, sim_md_interval_next(iv, c->open_time) - 1);
		if (k > 0) {
			cr_assert_eq(c->open_time, out[k - 1].close_time + 1, "candles are contiguous");
		}
		/* The naive reference: every trade whose aligned open time is this candle's. */
		struct sim_md_candle ref;
		memset(&ref, 0, sizeof ref);
		ref.first_id = ref.last_id = -1;
		for (size_t i = 0; i < n; i++) {
			int64_t len = (int64_t)(c->close_time - c->open_time + 1);
			if (tr[i].time < c->open_time || tr[i].time >= c->open_time + len)
				continue;
			sb_dec q;
			cr_assert_eq(sb_dec_mul(tr[i].price, tr[i].qty, SB_ROUND_DOWN, &q), SB_OK);
			if (ref.trades == 0) {
				ref.open = ref.high = ref.low = tr[i].price;
				ref.first_id = tr[i].id;
			}
			if (tr[i].price > ref.high)
				ref.high = tr[i].price;
			if (tr[i].price < ref.low)
				ref.low = tr[i].price;
			ref.close = tr[i].price;
			ref.volume += tr[i].qty;
			ref.quote += q;
			if (!tr[i].m) {
				ref.taker_base += tr[i].qty;
				ref.taker_quote += q;
			}
			ref.trades++;
			ref.last_id = tr[i].id;
		}
		if (ref.trades == 0) {
			cr_assert_eq(c->trades, 0);
			cr_assert_eq(c->volume, 0);
			cr_assert_eq(c->first_id, -1);
			if (k > 0)
				cr_assert_eq(c->open, out[k - 1].close,
				             "an empty candle sits at the previous close");
			cr_assert(c->open == c->high && c->high == c->low && c->low == c->close);
			continue;
		}
		nonempty++;
		cr_assert_eq(c->open, ref.open, "%s open at %lld", sim_md_interval_name(iv),
		             (long long)c->open_time);
		cr_assert_eq(c->high, ref.high);
		cr_assert_eq(c->low, ref.low);
		cr_assert_eq(c->close, ref.close);
		cr_assert_eq(c->volume, ref.volume);
		cr_assert_eq(c->quote, ref.quote);
		cr_assert_eq(c->taker_base, ref.taker_base);
		cr_assert_eq(c->taker_quote, ref.taker_quote);
		cr_assert_eq(c->trades, ref.trades);
		cr_assert_eq(c->first_id, ref.first_id);
		cr_assert_eq(c->last_id, ref.last_id);
	}
	cr_assert_gt(nonempty, 0);
}

Test(sim_md, klines_match_a_naive_reference_for_random_trades)
{
	enum { N = 4000 };
	static struct ref_trade tr[N];
	struct sim_md *md;
	cr_assert_eq(sim_md_new("BTCUSDT", &md), SB_OK);
	rng_state = 42;
	int64_t t = 1706745600000LL - 7 * 86400000LL + 12345; /* a week before 2024-02-01 */
	for (size_t i = 0; i < N; i++) {
		/* Mostly short gaps, sometimes several in one millisecond, now and then an idle stretch. */
		uint64_t r = rnd() % 100;
		t += r < 20 ? 0 : r < 95 ? (int64_t)(rnd() % 3000) : (int64_t)(rnd() % 400000);
		tr[i].id = (int64_t)i + 1;
		tr[i].time = t;
		tr[i].price = SB_DEC_C(100, 0) + (sb_dec)(rnd() % 2000) * SB_DEC_C(0, 1000000);
		tr[i].qty = (sb_dec)(1 + rnd() % 5000) * SB_DEC_C(0, 100000);
		tr[i].m = rnd() % 2;
		sim_md_trade(md, tr[i].id, tr[i].price, tr[i].qty, tr[i].m, tr[i].time);
	}
	int64_t now = t + 1500;
	static const char *ivs[] = {"1s", "1m", "3m", "15m", "1h", "4h", "1d", "1w", "1M"};
	for (size_t i = 0; i < sizeof ivs / sizeof ivs[0]; i++)
		check_interval(md, tr, N, sim_md_interval_index(ivs[i]), now);
	sim_md_free(md);
}

Test(sim_md, intervals_align_to_utc_weeks_and_months)
{
	int w = sim_md_interval_index("1w"), m = sim_md_interval_index("1M"),
	    d3 = sim_md_interval_index("3d");
	cr_assert_eq(sim_md_interval_index("7m"), -1);
	/* 2024-01-03 (a Wednesday) is in the week of Monday 2024-01-01. */
	cr_assert_eq(sim_md_interval_open(w, 1704240000000LL + 5000), 1704067200000LL);
	/* The Binance docs' weekly kline: 1499040000000 .. 1499644799999. */
	cr_assert_eq(sim_md_interval_open(w, 1499300000000LL), 1499040000000LL);
	cr_assert_eq(sim_md_interval_next(w, 1499040000000LL) - 1, 1499644799999LL);
	/* 2024-02-15 is in February 2024 (leap year: March starts 29 days later). */
	cr_assert_eq(sim_md_interval_open(m, 1707955200000LL), 1706745600000LL);
	cr_assert_eq(sim_md_interval_next(m, 1706745600000LL), 1709251200000LL);
	cr_assert_eq(sim_md_interval_next(m, 1733011200000LL), 1735689600000LL, "December rolls to January");
	cr_assert_eq(sim_md_interval_open(d3, 259200000LL * 5 + 7), 259200000LL * 5);
}

Test(sim_md, klines_select_by_start_end_and_limit)
{
	struct sim_md *md;
	sim_md_new("BTCUSDT", &md);
	int iv = sim_md_interval_index("1m");
	int64_t t0 = 1700000040000LL; /* 22:14 UTC, a minute boundary */
	for (int i = 0; i < 10; i++)
		sim_md_trade(md, i + 1, SB_DEC_C(100 + i, 0), SB_DEC_ONE, false, t0 + i * 60000 + 10);
	struct sim_md_candle out[20];
	int64_t now = t0 + 9 * 60000 + 30000;
	cr_assert_eq(sim_md_klines(md, iv, -1, -1, 3, now, out), 3);
	cr_assert_eq(out[0].open_time, t0 + 7 * 60000);
	cr_assert_eq(out[2].close, SB_DEC_C(109, 0));
	cr_assert_eq(sim_md_klines(md, iv, t0 + 60000, -1, 2, now, out), 2);
	cr_assert_eq(out[0].open, SB_DEC_C(101, 0));
	cr_assert_eq(sim_md_klines(md, iv, -1, t0 + 120000, 2, now, out), 2);
	cr_assert_eq(out[1].open_time, t0 + 120000);
	cr_assert_eq(sim_md_klines(md, iv, t0 + 60001, t0 + 240000, 20, now, out), 3);
	/* Three minutes later with no trades: empty candles up to now. */
	cr_assert_eq(sim_md_klines(md, iv, -1, -1, 20, now + 180000, out), 13);
	cr_assert_eq(out[12].trades, 0);
	cr_assert_eq(out[12].open, SB_DEC_C(109, 0));
	struct sim_md_candle cur;
	cr_assert(sim_md_kline_current(md, iv, now + 180000, &cur));
	cr_assert_eq(cur.open_time, t0 + 12 * 60000);
	sim_md_free(md);
}

/* ---- aggregate trades ---------------------------------------------------------------------------------- */

Test(sim_md, agg_trades_merge_same_price_side_and_millisecond)
{
	struct sim_md *md;
	sim_md_new("BTCUSDT", &md);
	sim_md_trade(md, 1, D("100"), D("1"), true, 1000);
	sim_md_trade(md, 2, D("100"), D("0.5"), true, 1000); /* merges */
	sim_md_trade(md, 3, D("100"), D("1"), false, 1000);  /* other side */
	sim_md_trade(md, 4, D("101"), D("1"), false, 1000);  /* other price */
	sim_md_trade(md, 5, D("101"), D("2"), false, 1001);  /* other millisecond */
	sim_md_trade(md, 6, D("101"), D("3"), false, 1001);  /* merges */
	sim_md_seal_agg(md);
	sim_md_trade(md, 7, D("101"), D("4"), false, 1001); /* sealed: a new aggregate */
	cr_assert_eq(sim_md_agg_count(md), 5);
	const struct sim_md_agg *a = sim_md_agg_at(md, 0);
	cr_assert_eq(a->id, 1);
	cr_assert_eq(a->qty, D("1.5"));
	cr_assert_eq(a->first_id, 1);
	cr_assert_eq(a->last_id, 2);
	a = sim_md_agg_at(md, 3);
	cr_assert_eq(a->first_id, 5);
	cr_assert_eq(a->last_id, 6);
	cr_assert_eq(a->qty, D("5"));
	cr_assert_eq(sim_md_agg_at(md, 4)->first_id, 7);
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sim_md_json_agg(&j, sim_md_agg_at(md, 0));
	cr_assert_str_eq(j.p,
	                 "{\"a\":1,\"p\":\"100.00000000\",\"q\":\"1.50000000\",\"f\":1,\"l\":2,\"T\":1000,"
	                 "\"m\":true,\"M\":true}");
	sb_buf_fini(&j);
	/* The ring keeps the newest SIM_MD_TRADES trades. */
	for (int i = 8; i < 2100; i++)
		sim_md_trade(md, i, D("100"), D("1"), i % 2, 2000 + i);
	cr_assert_eq(sim_md_trade_count(md), SIM_MD_TRADES);
	cr_assert_eq(sim_md_trade_at(md, 0)->id, 2099 - SIM_MD_TRADES + 1);
	cr_assert_eq(sim_md_agg_count(md), SIM_MD_AGGS);
	sim_md_free(md);
}

/* ---- 24-hour ticker and average price -------------------------------------------------------------------
 */

Test(sim_md, ticker_24h_on_a_worked_example)
{
	struct sim_md *md;
	sim_md_new("BTCUSDT", &md);
	int64_t now = 1700000030000LL;
	int64_t h = 3600000;
	sim_md_trade(md, 1, D("100"), D("1"), false, now - 25 * h); /* before the window */
	sim_md_trade(md, 2, D("110"), D("2"), true, now - 23 * h);  /* opens it */
	sim_md_trade(md, 3, D("90"), D("1"), true, now - h);        /* low */
	sim_md_trade(md, 4, D("121"), D("0.5"), false, now - 1000); /* high and last */
	struct sim_md_ticker t;
	sim_md_ticker(md, now, &t);
	cr_assert_eq(t.open, D("110"));
	cr_assert_eq(t.high, D("121"));
	cr_assert_eq(t.low, D("90"));
	cr_assert_eq(t.last_price, D("121"));
	cr_assert_eq(t.last_qty, D("0.5"));
	cr_assert_eq(t.prev_close, D("100"));
	cr_assert_eq(t.price_change, D("11"));
	cr_assert_eq(t.change_pct, D("10"));
	cr_assert_eq(t.volume, D("3.5"));
	cr_assert_eq(t.quote, D("370.5"));
	cr_assert_eq(t.weighted_avg, D("105.85714286")); /* 370.5 / 3.5 = 105.857142857... */
	cr_assert_eq(t.first_id, 2);
	cr_assert_eq(t.last_id, 4);
	cr_assert_eq(t.count, 3);
	cr_assert_eq(t.open_time, now - 24 * h);
	cr_assert_eq(t.close_time, now);
	t.bid_price = D("120.99");
	t.bid_qty = D("1");
	t.ask_price = D("121");
	t.ask_qty = D("2");
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sim_md_json_ticker(&j, "BTCUSDT", &t, false);
	cr_assert_str_eq(
	    j.p,
	    "{\"symbol\":\"BTCUSDT\",\"priceChange\":\"11.00000000\",\"priceChangePercent\":\"10.000\","
	    "\"weightedAvgPrice\":\"105.85714286\",\"prevClosePrice\":\"100.00000000\",\"lastPrice\":\"121.00000000\","
	    "\"lastQty\":\"0.50000000\",\"bidPrice\":\"120.99000000\",\"bidQty\":\"1.00000000\","
	    "\"askPrice\":\"121.00000000\",\"askQty\":\"2.00000000\",\"openPrice\":\"110.00000000\","
	    "\"highPrice\":\"121.00000000\",\"lowPrice\":\"90.00000000\",\"volume\":\"3.50000000\","
	    "\"quoteVolume\":\"370.50000000\",\"openTime\":1699913630000,\"closeTime\":1700000030000,"
	    "\"firstId\":2,\"lastId\":4,\"count\":3}");
	sb_buf_reset(&j);
	sim_md_json_ticker(&j, "BTCUSDT", &t, true);
	cr_assert_str_eq(
	    j.p, "{\"symbol\":\"BTCUSDT\",\"openPrice\":\"110.00000000\",\"highPrice\":\"121.00000000\","
	         "\"lowPrice\":\"90.00000000\",\"lastPrice\":\"121.00000000\",\"volume\":\"3.50000000\","
	         "\"quoteVolume\":\"370.50000000\",\"openTime\":1699913630000,\"closeTime\":1700000030000,"
	         "\"firstId\":2,\"lastId\":4,\"count\":3}");
	/* A fall prints a negative percentage with three decimals, rounded. */
	sim_md_trade(md, 5, D("107.3"), D("1"), true, now);
	sim_md_ticker(md, now, &t);
	sb_buf_reset(&j);
	sim_md_event_mini_ticker(&j, "BTCUSDT", &t, 5);
	cr_assert_eq(t.price_change, D("-2.7"));
	cr_assert_eq(t.change_pct, D("-2.45454545"));
	sb_buf_reset(&j);
	sim_md_event_ticker(&j, "BTCUSDT", &t, 5);
	cr_assert(strstr(j.p, "\"P\":\"-2.455\""), "%s", j.p);
	sb_buf_fini(&j);
	sim_md_free(md);
}

Test(sim_md, ticker_without_trades_in_the_window_sits_at_the_last_price)
{
	struct sim_md *md;
	sim_md_new("BTCUSDT", &md);
	struct sim_md_ticker t;
	sim_md_ticker(md, 1700000000000LL, &t);
	cr_assert_eq(t.count, 0);
	cr_assert_eq(t.first_id, -1);
	sim_md_trade(md, 1, D("50"), D("1"), false, 1700000000000LL);
	sim_md_ticker(md, 1700000000000LL + 2 * 86400000LL, &t);
	cr_assert_eq(t.count, 0);
	cr_assert_eq(t.last_id, -1);
	cr_assert_eq(t.open, D("50"));
	cr_assert_eq(t.last_price, D("50"));
	cr_assert_eq(t.price_change, 0);
	sim_md_free(md);
}

Test(sim_md, avg_price_weights_the_last_five_minutes)
{
	struct sim_md *md;
	sim_md_new("BTCUSDT", &md);
	sb_dec p;
	int64_t ct;
	int64_t now = 1700000000000LL;
	cr_assert_not(sim_md_avg_price(md, now, &p, &ct));
	sim_md_trade(md, 1, D("1000"), D("5"), false, now - 400000); /* too old */
	sim_md_trade(md, 2, D("10"), D("1"), false, now - 200000);
	sim_md_trade(md, 3, D("13"), D("2"), true, now - 1000);
	cr_assert(sim_md_avg_price(md, now, &p, &ct));
	cr_assert_eq(p, D("12"));
	cr_assert_eq(ct, now - 1000);
	/* Nothing in the last five minutes: the last price. */
	cr_assert(sim_md_avg_price(md, now + 600000, &p, &ct));
	cr_assert_eq(p, D("13"));
	sim_md_free(md);
}

/* ---- stream payloads ------------------------------------------------------------------------------------
 */

Test(sim_md, stream_payloads_are_byte_exact)
{
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	struct sim_md_trade t = {12345, D("0.001"), D("100"), D("0.1"), true, 1672515782136LL};
	sim_md_event_trade(&j, "BNBBTC", &t, 1672515782136LL);
	cr_assert_str_eq(j.p, "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,"
	                      "\"p\":\"0.00100000\",\"q\":\"100.00000000\",\"T\":1672515782136,\"m\":true,"
	                      "\"M\":true}");
	sb_buf_reset(&j);
	struct sim_md_agg a = {12345, D("0.001"), D("100"), 100, 105, 1672515782136LL, false};
	sim_md_event_agg(&j, "BNBBTC", &a, 1672515782137LL);
	cr_assert_str_eq(j.p, "{\"e\":\"aggTrade\",\"E\":1672515782137,\"s\":\"BNBBTC\",\"a\":12345,"
	                      "\"p\":\"0.00100000\",\"q\":\"100.00000000\",\"f\":100,\"l\":105,"
	                      "\"T\":1672515782136,\"m\":false,\"M\":true}");
	sb_buf_reset(&j);
	struct sim_md_candle c = {
	    1672515780000LL, 1672515839999LL, D("0.001"), D("0.0025"), D("0.0015"), D("0.002"), D("1000"),
	    D("1"),          D("500"),        D("0.5"),   100,         100,         200,        0};
	sim_md_event_kline(&j, "BNBBTC", sim_md_interval_index("1m"), &c, false, 1672515782136LL);
	cr_assert_str_eq(
	    j.p, "{\"e\":\"kline\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"k\":{\"t\":1672515780000,"
	         "\"T\":1672515839999,\"s\":\"BNBBTC\",\"i\":\"1m\",\"f\":100,\"L\":200,"
	         "\"o\":\"0.00100000\",\"c\":\"0.00200000\",\"h\":\"0.00250000\",\"l\":\"0.00150000\","
	         "\"v\":\"1000.00000000\",\"n\":100,\"x\":false,\"q\":\"1.00000000\","
	         "\"V\":\"500.00000000\",\"Q\":\"0.50000000\",\"B\":\"0\"}}");
	sb_buf_reset(&j);
	sim_md_json_kline(&j, &c);
	cr_assert_str_eq(j.p, "[1672515780000,\"0.00100000\",\"0.00250000\",\"0.00150000\",\"0.00200000\","
	                      "\"1000.00000000\",1672515839999,\"1.00000000\",100,\"500.00000000\","
	                      "\"0.50000000\",\"0\"]");
	sb_buf_reset(&j);
	sim_md_json_trade(&j, &t);
	cr_assert_str_eq(j.p, "{\"id\":12345,\"price\":\"0.00100000\",\"qty\":\"100.00000000\","
	                      "\"quoteQty\":\"0.10000000\",\"time\":1672515782136,\"isBuyerMaker\":true,"
	                      "\"isBestMatch\":true}");
	sb_buf_reset(&j);
	struct sim_md_ticker tk;
	memset(&tk, 0, sizeof tk);
	tk.price_change = D("0.0015");
	tk.change_pct = D("250");
	tk.weighted_avg = D("0.0018");
	tk.prev_close = D("0.0009");
	tk.last_price = D("0.0025");
	tk.last_qty = D("10");
	tk.bid_price = D("0.0024");
	tk.bid_qty = D("10");
	tk.ask_price = D("0.0026");
	tk.ask_qty = D("100");
	tk.open = D("0.001");
	tk.high = D("0.0025");
	tk.low = D("0.001");
	tk.volume = D("10000");
	tk.quote = D("18");
	tk.open_time = 0;
	tk.close_time = 86400000;
	tk.first_id = 0;
	tk.last_id = 18150;
	tk.count = 18151;
	sim_md_event_ticker(&j, "BNBBTC", &tk, 1672515782136LL);
	cr_assert_str_eq(
	    j.p, "{\"e\":\"24hrTicker\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"p\":\"0.00150000\","
	         "\"P\":\"250.000\",\"w\":\"0.00180000\",\"x\":\"0.00090000\",\"c\":\"0.00250000\","
	         "\"Q\":\"10.00000000\",\"b\":\"0.00240000\",\"B\":\"10.00000000\",\"a\":\"0.00260000\","
	         "\"A\":\"100.00000000\",\"o\":\"0.00100000\",\"h\":\"0.00250000\",\"l\":\"0.00100000\","
	         "\"v\":\"10000.00000000\",\"q\":\"18.00000000\",\"O\":0,\"C\":86400000,\"F\":0,"
	         "\"L\":18150,\"n\":18151}");
	sb_buf_reset(&j);
	sim_md_event_mini_ticker(&j, "BNBBTC", &tk, 1672515782136LL);
	cr_assert_str_eq(j.p, "{\"e\":\"24hrMiniTicker\",\"E\":1672515782136,\"s\":\"BNBBTC\","
	                      "\"c\":\"0.00250000\",\"o\":\"0.00100000\",\"h\":\"0.00250000\","
	                      "\"l\":\"0.00100000\",\"v\":\"10000.00000000\",\"q\":\"18.00000000\"}");
	sb_buf_fini(&j);
}

/* ---- REST methods ---------------------------------------------------------------------------------------
 */

static struct sim_exchange ex;
static struct sim_symbol syms[2];
static cJSON *doc;
#define NOW 1700000030000LL

static char *read_data(const char *name, size_t *len)
{
	const char *root = getenv("SB_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof path, "%s/tests/data/exchangeinfo/%s", root ? root : ".", name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void add_symbol(struct sim_symbol *s, const char *text, size_t len, const char *name)
{
	char err[256];
	cr_assert_eq(sb_rules_parse_exchange_info(text, len, name, &s->rules, err, sizeof err), SB_OK, "%s",
	             err);
	const cJSON *info;
	cr_assert_eq(sb_rules_find_symbol(doc, name, &info), SB_OK);
	s->info = cJSON_Duplicate(info, 1);
	cr_assert_eq(sim_book_new(name, s->rules.base_asset, s->rules.quote_asset, 0, 0, &s->book), SB_OK);
	cr_assert_eq(sim_md_new(name, &s->md), SB_OK);
	for (size_t i = 0; name[i]; i++)
		s->lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
}

static void setup(void)
{
	size_t len;
	char *text = read_data("spot_usdt.json", &len);
	doc = cJSON_ParseWithLength(text, len);
	cr_assert_not_null(doc);
	memset(&ex, 0, sizeof ex);
	memset(syms, 0, sizeof syms);
	add_symbol(&syms[0], text, len, "BTCUSDT");
	add_symbol(&syms[1], text, len, "ETHUSDT");
	free(text);
	ex.symbols = syms;
	ex.nsymbols = 2;
	ex.rate_limits = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(doc, "rateLimits"), 1);
	/* BTCUSDT: a ladder and three trades. */
	struct sim_book_level bids[3] = {{D("100.00"), D("1")}, {D("99.99"), D("2")}, {D("99.98"), D("3")}};
	struct sim_book_level asks[3] = {
	    {D("100.01"), D("1.5")}, {D("100.02"), D("2.5")}, {D("100.03"), D("3.5")}};
	struct sim_book_result res;
	sim_book_result_init(&res);
	cr_assert_eq(sim_book_set_quotes(syms[0].book, bids, 3, asks, 3, NOW - 5000, &res), SB_OK);
	sim_book_result_fini(&res);
	sim_md_trade(syms[0].md, 1, D("100.00"), D("0.5"), true, NOW - 120000);
	sim_md_trade(syms[0].md, 2, D("100.01"), D("0.25"), false, NOW - 60000);
	sim_md_trade(syms[0].md, 3, D("100.01"), D("0.25"), false, NOW - 60000);
	syms[0].last_price = D("100.01");
}

static void teardown(void)
{
	for (int i = 0; i < 2; i++) {
		cJSON_Delete(syms[i].info);
		sim_book_free(syms[i].book);
		sim_md_free(syms[i].md);
	}
	cJSON_Delete(ex.rate_limits);
	cJSON_Delete(doc);
}

static struct sim_api_reply reply;

/* Calls a method with the parameters of a query string; the reply is left in `reply`. */
static void call(sim_api_fn fn, const char *query)
{
	static struct sb_query q;
	sb_query_init(&q);
	cr_assert_eq(sb_query_parse(&q, query, strlen(query), 0), SB_OK);
	struct sim_api_call c = {.ex = &ex, .params = q.pairs, .nparams = q.npairs, .now_ms = NOW};
	free(reply.json);
	memset(&reply, 0, sizeof reply);
	reply.status = 200;
	fn(&c, &reply);
}

static void expect_ok(const char *json)
{
	cr_assert_eq(reply.status, 200, "%d %s", reply.code, reply.msg);
	cr_assert_str_eq(reply.json, json);
}

static void expect_err(int code, const char *msg)
{
	cr_assert_eq(reply.status, 400);
	cr_assert_eq(reply.code, code, "%d %s", reply.code, reply.msg);
	if (msg)
		cr_assert_str_eq(reply.msg, msg);
	cr_assert_null(reply.json);
}

TestSuite(sim_api_market, .init = setup, .fini = teardown);

Test(sim_api_market, ping_and_time)
{
	call(sim_api_ping, "");
	expect_ok("{}");
	call(sim_api_time, "");
	expect_ok("{\"serverTime\":1700000030000}");
}

Test(sim_api_market, exchange_info_serves_symbols_and_filters_by_parameters)
{
	call(sim_api_exchange_info, "");
	cJSON *root = cJSON_Parse(reply.json);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(root, "timezone")->valuestring, "UTC");
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(root, "serverTime")->valuedouble, (double)NOW);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "rateLimits")), 4);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "exchangeFilters")), 0);
	cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "symbols");
	cr_assert_eq(cJSON_GetArraySize(s), 2);
	cr_assert(cJSON_Compare(cJSON_GetArrayItem(s, 1), syms[1].info, 1));
	cJSON_Delete(root);

	call(sim_api_exchange_info, "symbol=ETHUSDT");
	root = cJSON_Parse(reply.json);
	s = cJSON_GetObjectItemCaseSensitive(root, "symbols");
	cr_assert_eq(cJSON_GetArraySize(s), 1);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(s, 0), "symbol")->valuestring,
	                 "ETHUSDT");
	cJSON_Delete(root);

	call(sim_api_exchange_info, "symbols=[\"BTCUSDT\",\"ETHUSDT\"]&showPermissionSets=false");
	root = cJSON_Parse(reply.json);
	s = cJSON_GetObjectItemCaseSensitive(root, "symbols");
	cr_assert_eq(cJSON_GetArraySize(s), 2);
	cr_assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(s, 0), "permissionSets"));
	cJSON_Delete(root);

	call(sim_api_exchange_info, "symbolStatus=HALT");
	root = cJSON_Parse(reply.json);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "symbols")), 0);
	cJSON_Delete(root);
	call(sim_api_exchange_info, "permissions=SPOT");
	root = cJSON_Parse(reply.json);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "symbols")), 2);
	cJSON_Delete(root);
	call(sim_api_exchange_info, "permissions=[\"NOPE\"]");
	root = cJSON_Parse(reply.json);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(root, "symbols")), 0);
	cJSON_Delete(root);

	call(sim_api_exchange_info, "symbol=DOGEUSDT");
	expect_err(-1121, "Invalid symbol.");
	call(sim_api_exchange_info, "symbols=[\"BTCUSDT\",\"NOPEUSDT\"]");
	expect_err(-1121, "Invalid symbol.");
	call(sim_api_exchange_info, "symbol=btcusdt");
	expect_err(-1100,
	           "Illegal characters found in parameter 'symbol'; legal range is '^[A-Z0-9-_.]{1,20}$'.");
	call(sim_api_exchange_info, "symbols=BTCUSDT");
	expect_err(-1100, NULL);
	call(sim_api_exchange_info, "symbol=BTCUSDT&symbols=[\"BTCUSDT\"]");
	expect_err(-1101, NULL);
	call(sim_api_exchange_info, "symbolStatus=SLEEPING");
	expect_err(-1100, NULL);
	call(sim_api_exchange_info, "symbolStatus=TRADING&symbol=BTCUSDT");
	expect_err(-1101, NULL);
}

Test(sim_api_market, depth_lists_levels_with_the_update_id_and_weight_by_limit)
{
	call(sim_api_depth, "symbol=BTCUSDT&limit=2");
	expect_ok(
	    "{\"lastUpdateId\":3,\"bids\":[[\"100.00000000\",\"1.00000000\"],[\"99.99000000\",\"2.00000000\"]],"
	    "\"asks\":[[\"100.01000000\",\"1.50000000\"],[\"100.02000000\",\"2.50000000\"]]}");
	cr_assert_eq(reply.weight, 5);
	call(sim_api_depth, "symbol=BTCUSDT&limit=1000");
	cr_assert_eq(reply.weight, 50);
	call(sim_api_depth, "symbol=BTCUSDT&limit=9999");
	cr_assert_eq(reply.weight, 250, "truncated to 5000");
	call(sim_api_depth, "symbol=BTCUSDT");
	cr_assert_eq(reply.weight, 5);
	call(sim_api_depth, "symbol=ETHUSDT");
	expect_ok("{\"lastUpdateId\":0,\"bids\":[],\"asks\":[]}");
	call(sim_api_depth, "");
	expect_err(-1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
	call(sim_api_depth, "symbol=");
	expect_err(-1102, NULL);
	call(sim_api_depth, "symbol=XRPUSDT");
	expect_err(-1121, NULL);
	call(sim_api_depth, "symbol=BTCUSDT&limit=ten");
	expect_err(-1100, "Illegal characters found in parameter 'limit'; legal range is '^[0-9]{1,20}$'.");
}

Test(sim_api_market, trades_and_agg_trades)
{
	call(sim_api_trades, "symbol=BTCUSDT&limit=1");
	expect_ok("[{\"id\":3,\"price\":\"100.01000000\",\"qty\":\"0.25000000\",\"quoteQty\":\"25.00250000\","
	          "\"time\":1699999970000,\"isBuyerMaker\":false,\"isBestMatch\":true}]");
	call(sim_api_trades, "symbol=BTCUSDT");
	cJSON *a = cJSON_Parse(reply.json);
	cr_assert_eq(cJSON_GetArraySize(a), 3);
	cJSON_Delete(a);
	call(sim_api_trades, "symbol=ETHUSDT");
	expect_ok("[]");
	call(sim_api_trades, "symbol=BTCUSDT&limit=-1");
	expect_err(-1100, NULL);

	call(sim_api_agg_trades, "symbol=BTCUSDT");
	expect_ok(
	    "[{\"a\":1,\"p\":\"100.00000000\",\"q\":\"0.50000000\",\"f\":1,\"l\":1,\"T\":1699999910000,"
	    "\"m\":true,\"M\":true},{\"a\":2,\"p\":\"100.01000000\",\"q\":\"0.50000000\",\"f\":2,\"l\":3,"
	    "\"T\":1699999970000,\"m\":false,\"M\":true}]");
	call(sim_api_agg_trades, "symbol=BTCUSDT&fromId=2");
	cr_assert(strncmp(reply.json, "[{\"a\":2,", 8) == 0, "%s", reply.json);
	call(sim_api_agg_trades, "symbol=BTCUSDT&limit=1");
	cr_assert(strncmp(reply.json, "[{\"a\":2,", 8) == 0, "%s", reply.json);
	call(sim_api_agg_trades, "symbol=BTCUSDT&startTime=1699999900000&limit=1");
	cr_assert(strncmp(reply.json, "[{\"a\":1,", 8) == 0, "%s", reply.json);
	call(sim_api_agg_trades, "symbol=BTCUSDT&endTime=1699999960000");
	cr_assert(strncmp(reply.json, "[{\"a\":1,", 8) == 0 && !strstr(reply.json, "\"a\":2"), "%s",
	          reply.json);
	call(sim_api_agg_trades, "symbol=BTCUSDT&startTime=1699999960000&endTime=1700000000000");
	cr_assert(strncmp(reply.json, "[{\"a\":2,", 8) == 0, "%s", reply.json);
	call(sim_api_agg_trades, "symbol=BTCUSDT&startTime=1690000000000&endTime=1700000000000");
	expect_err(-1127, "More than 1 hours between startTime and endTime.");
	call(sim_api_agg_trades, "symbol=BTCUSDT&fromId=x");
	expect_err(-1100, NULL);
	call(sim_api_agg_trades, "limit=5");
	expect_err(-1102, NULL);
}

Test(sim_api_market, klines_rows_and_errors)
{
	call(sim_api_klines, "symbol=BTCUSDT&interval=1m&limit=2");
	expect_ok("[[1699999920000,\"100.01000000\",\"100.01000000\",\"100.01000000\",\"100.01000000\","
	          "\"0.50000000\",1699999979999,\"50.00500000\",2,\"0.50000000\",\"50.00500000\",\"0\"],"
	          "[1699999980000,\"100.01000000\",\"100.01000000\",\"100.01000000\",\"100.01000000\","
	          "\"0.00000000\",1700000039999,\"0.00000000\",0,\"0.00000000\",\"0.00000000\",\"0\"]]");
	call(sim_api_klines, "symbol=BTCUSDT&interval=1h");
	cJSON *a = cJSON_Parse(reply.json);
	cr_assert_eq(cJSON_GetArraySize(a), 1);
	cJSON_Delete(a);
	call(sim_api_klines, "symbol=BTCUSDT&interval=1m&startTime=1699999860000&endTime=1699999860000");
	cr_assert(strncmp(reply.json, "[[1699999860000,\"100.00000000\"", 30) == 0, "%s", reply.json);
	call(sim_api_klines, "symbol=BTCUSDT&interval=1m&startTime=1699999860000000&limit=1");
	cr_assert(strncmp(reply.json, "[[1699999860000,", 16) == 0, "microseconds: %s", reply.json);
	call(sim_api_klines, "symbol=BTCUSDT&interval=2m");
	expect_err(-1120, "Invalid interval.");
	call(sim_api_klines, "symbol=BTCUSDT&interval=1H");
	expect_err(-1120, NULL);
	call(sim_api_klines, "symbol=BTCUSDT");
	expect_err(-1102, "Mandatory parameter 'interval' was not sent, was empty/null, or malformed.");
	call(sim_api_klines, "interval=1m");
	expect_err(-1102, NULL);
	call(sim_api_klines, "symbol=BTCUSDT&interval=1m&startTime=1700000000000&endTime=1600000000000");
	expect_err(-1023, NULL);
	call(sim_api_klines, "symbol=BTCUSDT&interval=1m&endTime=abc");
	expect_err(-1100, NULL);
	call(sim_api_klines, "symbol=ETHUSDT&interval=1d");
	expect_ok("[]");
}

Test(sim_api_market, avg_price)
{
	call(sim_api_avg_price, "symbol=BTCUSDT");
	/* (50 + 50.005) / 1 */
	expect_ok("{\"mins\":5,\"price\":\"100.00500000\",\"closeTime\":1699999970000}");
	call(sim_api_avg_price, "symbol=ETHUSDT");
	expect_ok("{\"mins\":5,\"price\":\"0.00000000\",\"closeTime\":1700000030000}");
	call(sim_api_avg_price, "symbol=FOO");
	expect_err(-1121, NULL);
}

Test(sim_api_market, tickers_one_some_or_all)
{
	call(sim_api_ticker_price, "symbol=BTCUSDT");
	expect_ok("{\"symbol\":\"BTCUSDT\",\"price\":\"100.01000000\"}");
	cr_assert_eq(reply.weight, 2);
	call(sim_api_ticker_price, "");
	expect_ok(
	    "[{\"symbol\":\"BTCUSDT\",\"price\":\"100.01000000\"},{\"symbol\":\"ETHUSDT\",\"price\":\"0.00000000\"}]");
	cr_assert_eq(reply.weight, 4);
	call(sim_api_ticker_price, "symbols=[\"ETHUSDT\"]");
	expect_ok("[{\"symbol\":\"ETHUSDT\",\"price\":\"0.00000000\"}]");
	call(sim_api_ticker_price, "symbols=[\"ETHUSDT\",\"XXX\"]");
	expect_err(-1121, NULL);

	call(sim_api_book_ticker, "symbol=BTCUSDT");
	expect_ok("{\"symbol\":\"BTCUSDT\",\"bidPrice\":\"100.00000000\",\"bidQty\":\"1.00000000\","
	          "\"askPrice\":\"100.01000000\",\"askQty\":\"1.50000000\"}");
	call(sim_api_book_ticker, "symbols=[\"BTCUSDT\",\"ETHUSDT\"]");
	cr_assert(strstr(reply.json, "{\"symbol\":\"ETHUSDT\",\"bidPrice\":\"0.00000000\""), "%s",
	          reply.json);
	cr_assert_eq(reply.weight, 4);
	call(sim_api_book_ticker, "symbol=BTCUSDT&symbols=[\"BTCUSDT\"]");
	expect_err(-1101, NULL);

	call(sim_api_ticker_24hr, "symbol=BTCUSDT&type=MINI");
	expect_ok("{\"symbol\":\"BTCUSDT\",\"openPrice\":\"100.00000000\",\"highPrice\":\"100.01000000\","
	          "\"lowPrice\":\"100.00000000\",\"lastPrice\":\"100.01000000\",\"volume\":\"1.00000000\","
	          "\"quoteVolume\":\"100.00500000\",\"openTime\":1699913630000,\"closeTime\":1700000030000,"
	          "\"firstId\":1,\"lastId\":3,\"count\":3}");
	cr_assert_eq(reply.weight, 2);
	call(sim_api_ticker_24hr, "symbol=BTCUSDT");
	cJSON *o = cJSON_Parse(reply.json);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o, "priceChangePercent")->valuestring, "0.010");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o, "bidPrice")->valuestring, "100.00000000");
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o, "askQty")->valuestring, "1.50000000");
	cJSON_Delete(o);
	call(sim_api_ticker_24hr, "");
	o = cJSON_Parse(reply.json);
	cr_assert_eq(cJSON_GetArraySize(o), 2);
	cJSON_Delete(o);
	cr_assert_eq(reply.weight, 80);
	call(sim_api_ticker_24hr, "symbols=[\"BTCUSDT\"]");
	cr_assert_eq(reply.weight, 2);
	call(sim_api_ticker_24hr, "type=HUGE");
	expect_err(-1100, NULL);
	call(sim_api_ticker_24hr, "symbols=[]");
	expect_err(-1100, NULL);
}

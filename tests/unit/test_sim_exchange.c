/*
 * test_sim_exchange.c - what spotsim's exchange sets up from its command line (which symbols, with
 * which rules and start prices), what a replay does at its end, and which resting orders a replayed
 * candle fills under each fill model (--fill), in the test's process: the feeds are advanced by hand,
 * never by a timer, so market time is not waited for.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <uv.h>

#include "sbtest.h"
#include "sbtest_exchange.h"
#include "sim/derive.h"
#include "sim/ledger.h"
#include "spotbot/clock.h"

#define EXCERPT   "tests/data/klines/DOTUSDT-1m-2024-11-excerpt.csv"
#define SPOT_USDT "tests/data/exchangeinfo/spot_usdt.json"

static uv_loop_t loop;
static char err[4096];

static void setup(void)
{
	uv_loop_init(&loop);
}

static void teardown(void)
{
	uv_loop_close(&loop);
}

TestSuite(sim_exchange, .init = setup, .fini = teardown);

static const char *src(const char *rel)
{
	static char bufs[4][512];
	static int next;
	next = (next + 1) % 4;
	return sbt_source_path(rel, bufs[next], sizeof bufs[0]);
}

static struct sim_exchange *build(const char *const *args)
{
	struct sim_exchange *ex = sbt_exchange_new(&loop, args, NULL, err, sizeof err);
	cr_assert_not_null(ex, "spotsim refused: %s", err);
	return ex;
}

static struct sim_symbol *symbol(struct sim_exchange *ex, const char *name)
{
	struct sim_symbol *s = sim_exchange_symbol(ex, name, strlen(name));
	cr_assert_not_null(s, "%s is served", name);
	return s;
}

static void expect_dec(sb_dec got, const char *want, const char *what)
{
	sb_dec w;
	cr_assert_eq(sb_dec_parse_cstr(want, &w), SB_OK);
	char g[SB_DEC_STRLEN];
	sb_dec_format_trim(got, g, sizeof g);
	cr_assert_eq(got, w, "%s: %s, expected %s", what, g, want);
}

Test(sim_exchange, exchange_info_without_symbols_serves_every_symbol_of_the_file)
{
	const char *const args[] = {"--exchange-info", src(SPOT_USDT), NULL};
	struct sim_exchange *ex = build(args);
	cr_assert_eq(ex->nsymbols, 6, "the file's six symbols");
	const char *names[] = {"BTCUSDT", "ETHUSDT", "BNBUSDT", "PEPEUSDT", "ETHBNB", "LUNAUSDT"};
	for (size_t i = 0; i < 6; i++)
		cr_assert_str_eq(ex->symbols[i].rules.symbol, names[i]);
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, a_catalogue_symbol_keeps_its_start_price_whatever_file_its_rules_come_from)
{
	const char *const args[] = {"--exchange-info", src(SPOT_USDT), NULL};
	struct sim_exchange *ex = build(args);
	expect_dec(symbol(ex, "BNBUSDT")->last_price, "600", "BNBUSDT starts at the catalogue's price");
	expect_dec(symbol(ex, "BTCUSDT")->last_price, "60000", "BTCUSDT");
	expect_dec(symbol(ex, "ETHBNB")->last_price, "5", "ETHBNB");
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, a_symbol_the_file_lacks_comes_from_the_catalogue)
{
	const char *const args[] = {"--exchange-info", src(SPOT_USDT), "--symbols", "BTCUSDT,SOLUSDT", NULL};
	struct sim_exchange *ex = build(args);
	struct sim_symbol *sol = symbol(ex, "SOLUSDT");
	expect_dec(sol->rules.price.tick_size, "0.01", "SOLUSDT tick from the catalogue");
	expect_dec(sol->last_price, "150", "SOLUSDT start");
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, a_symbol_in_no_list_and_not_replayed_is_refused_with_its_name)
{
	const char *const args[] = {"--symbols", "NOPEUSDT", NULL};
	cr_assert_null(sbt_exchange_new(&loop, args, NULL, err, sizeof err));
	cr_assert_not_null(strstr(err, "NOPEUSDT"), "%s", err);
	cr_assert_not_null(strstr(err, "catalogue"), "%s", err);
}

Test(sim_exchange, a_replayed_symbol_in_no_list_gets_rules_from_its_file_and_its_first_price)
{
	char spec[600];
	snprintf(spec, sizeof spec, "NEWCOINUSDT=%s", src(EXCERPT));
	const char *const args[] = {"--replay", spec, NULL};
	struct sim_exchange *ex = build(args);
	cr_assert_eq(ex->nsymbols, 4, "the three defaults and the replay");
	struct sim_symbol *s = symbol(ex, "NEWCOINUSDT");
	cr_assert_str_eq(s->rules.base_asset, "NEWCOIN");
	cr_assert_str_eq(s->rules.quote_asset, "USDT");
	expect_dec(s->rules.price.tick_size, "0.001", "tick");
	expect_dec(s->rules.lot.step_size, "0.1", "step");
	expect_dec(s->last_price, "3.958", "the first open");
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, a_replayed_symbol_whose_quote_cannot_be_told_is_refused_with_the_reason)
{
	char spec[600];
	snprintf(spec, sizeof spec, "NEWCOIN=%s", src(EXCERPT));
	const char *const args[] = {"--replay", spec, NULL};
	cr_assert_null(sbt_exchange_new(&loop, args, NULL, err, sizeof err));
	cr_assert_not_null(strstr(err, "NEWCOIN"), "%s", err);
	cr_assert_not_null(strstr(err, "quote asset"), "%s", err);
}

/* ---- rules from the embedding program ------------------------------------------------------------- */

static int asked; /* symbol_info hook calls */

/* Knows NEWCOINUSDT (a tick of 0.001), and nothing else. */
static sb_err embedder_rules(void *ctx, const char *symbol, struct cJSON **info, FILE *e)
{
	(void)ctx;
	(void)e;
	asked++;
	if (strcmp(symbol, "NEWCOINUSDT") != 0)
		return SB_ERR_NOT_FOUND;
	struct sb_kline k = {.open = SB_DEC_C(3, 95800000),
	                     .high = SB_DEC_C(3, 96200000),
	                     .low = SB_DEC_C(3, 95600000),
	                     .close = SB_DEC_C(3, 96100000),
	                     .volume = SB_DEC_C(100, 0)};
	char why[256];
	return sim_derive_symbol(symbol, &k, 1, info, why, sizeof why);
}

Test(sim_exchange, a_symbol_in_no_list_gets_the_embedding_programs_rules_and_else_is_refused)
{
	const char *const args[] = {"--symbols", "BTCUSDT,NEWCOINUSDT", NULL};
	struct sim_exchange_hooks hooks = {.symbol_info = embedder_rules};
	asked = 0;
	struct sim_exchange *ex = sbt_exchange_new(&loop, args, &hooks, err, sizeof err);
	cr_assert_not_null(ex, "%s", err);
	cr_assert_eq(asked, 1, "asked only about the symbol no list has");
	expect_dec(symbol(ex, "NEWCOINUSDT")->rules.price.tick_size, "0.001", "its tick");
	sbt_exchange_free(&loop, ex);

	const char *const other[] = {"--symbols", "NOPEUSDT", NULL};
	cr_assert_null(sbt_exchange_new(&loop, other, &hooks, err, sizeof err));
	cr_assert_not_null(strstr(err, "symbol NOPEUSDT is in neither"), "%s", err);
}

/* ---- the end of a replay ------------------------------------------------------------------------- */

static int ended; /* replays_ended hook calls */

static void on_ended(void *ctx)
{
	(void)ctx;
	ended++;
}

/* The exchange replaying the excerpt with --replay-end end. The feed timer never runs: the feeds are
 * made to have started ten days ago, so each sim_exchange_advance applies every event due (up to its
 * bound per call), far past the excerpt's four minutes. */
static struct sim_exchange *replay(const char *end)
{
	static char spec[600];
	snprintf(spec, sizeof spec, "NEWCOINUSDT=%s", src(EXCERPT));
	const char *const args[] = {"--symbols", "BTCUSDT", "--replay", spec, "--replay-end", end, NULL};
	struct sim_exchange_hooks hooks = {.replays_ended = on_ended};
	ended = 0;
	struct sim_exchange *ex = sbt_exchange_new(&loop, args, &hooks, err, sizeof err);
	cr_assert_not_null(ex, "%s", err);
	ex->wall_start_ms = sb_clock_wall_ms() - INT64_C(10) * 24 * 3600 * 1000;
	return ex;
}

/* Close time of the excerpt's last candle. */
#define LAST_CLOSE_MS INT64_C(1730419439999)

Test(sim_exchange, replay_end_hold_keeps_the_last_close_and_trades_no_more)
{
	struct sim_exchange *ex = replay("hold");
	struct sim_symbol *s = symbol(ex, "NEWCOINUSDT");
	sim_exchange_advance(ex);
	cr_assert_eq(s->pending.kind, SIM_EVENT_END, "the replay has ended");
	expect_dec(s->last_price, "3.965", "the last close");
	int64_t market = s->market_ms;
	cr_assert_leq(market, LAST_CLOSE_MS);
	sim_exchange_advance(ex);
	cr_assert_eq(s->market_ms, market, "no event after the end");
	cr_assert_eq(ended, 0, "hold does not stop spotsim");
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, replay_end_loop_starts_again_with_market_time_going_on)
{
	struct sim_exchange *ex = replay("loop");
	struct sim_symbol *s = symbol(ex, "NEWCOINUSDT");
	sim_exchange_advance(ex); /* applies its bound of events, several passes of the excerpt */
	cr_assert_eq(s->pending.kind, SIM_EVENT_TRADE, "a looping replay never ends");
	cr_assert_gt(s->market_ms, LAST_CLOSE_MS, "market time went on past the last candle");
	cr_assert_eq(ended, 0);
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, replay_end_stop_asks_the_program_to_stop_once)
{
	struct sim_exchange *ex = replay("stop");
	struct sim_symbol *s = symbol(ex, "NEWCOINUSDT");
	sim_exchange_advance(ex);
	cr_assert_eq(s->pending.kind, SIM_EVENT_END);
	cr_assert_eq(ended, 1, "the program is told once every replay has ended");
	sim_exchange_advance(ex);
	cr_assert_eq(ended, 1, "and only once");
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, flat_market_skips_the_feeds_trades_while_market_time_goes_on)
{
	struct sim_exchange *ex = replay("loop");
	struct sim_symbol *s = symbol(ex, "NEWCOINUSDT");
	sb_dec before = s->last_price;
	int64_t market = s->market_ms;
	cr_assert_eq(sim_exchange_set_fault(ex, "flat_market", ""), SB_OK);
	sim_exchange_advance(ex);
	cr_assert_eq(s->last_price, before, "no feed trade moved the price");
	cr_assert_gt(s->market_ms, market, "market time went on");
	cr_assert_eq(sim_exchange_set_fault(ex, "flat_market", "off"), SB_OK);
	sim_exchange_advance(ex);
	cr_assert_neq(s->last_price, before, "the feed trades again");
	sbt_exchange_free(&loop, ex);
}

/* ---- the fill model (--fill) ----------------------------------------------------------------------- */

/* One BTCUSDT candle: open 50000, low 49990, high 50100, close 50050; volume enough for each trade of its
 * fine path (up to 300 sharing it at random) to fill the orders it reaches. */
static const struct sb_kline fill_candle = {
    .open_time = INT64_C(1730419200000),
    .close_time = INT64_C(1730419259999),
    .open = SB_DEC_C(50000, 0),
    .high = SB_DEC_C(50100, 0),
    .low = SB_DEC_C(49990, 0),
    .close = SB_DEC_C(50050, 0),
    .volume = SB_DEC_C(1000, 0),
    .quote_volume = SB_DEC_C(50000000, 0),
    .trades = 300,
    .taker_buy_volume = SB_DEC_C(500, 0),
    .taker_buy_quote_volume = SB_DEC_C(25000000, 0),
};

/* The orders rested at the candle's extremes and one tick inside them. */
struct fill_orders {
	uint64_t buy_low, buy_inside, sell_high, sell_inside; /* their orderIds */
};

/* An exchange filling as model, with the account's four orders resting, and the candle walked through its
 * matching engine as spotsim's replay walks it (at most path_trades trades; 0: tick by tick). */
static struct sim_exchange *walk_candle(const char *model, size_t path_trades, struct fill_orders *o)
{
	const char *const args[] = {"--symbols", "BTCUSDT", "--account", "k:s:USDT=100000,BTC=10",
	                            "--fill",    model,     NULL};
	struct sim_exchange *ex = build(args);
	o->buy_low = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "49990", "0.001", "buy-low");
	o->buy_inside = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "49990.01", "0.001", "buy-in");
	o->sell_high = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_SELL, "50100", "0.001", "sell-high");
	o->sell_inside = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_SELL, "50099.99", "0.001", "sell-in");
	struct sim_symbol *s = symbol(ex, "BTCUSDT");
	struct sim_feed *feed = NULL;
	cr_assert_eq(
	    sim_feed_new_replay(&fill_candle, 1, s->rules.price.tick_size, s->rules.lot.step_size, 7, &feed),
	    SB_OK);
	if (path_trades)
		sim_feed_replay_max_trades(feed, path_trades);
	struct sim_event ev;
	sb_dec low = fill_candle.high, high = fill_candle.low;
	while (sim_feed_next(feed, &ev) == SB_OK && ev.kind == SIM_EVENT_TRADE) {
		low = ev.price < low ? ev.price : low;
		high = ev.price > high ? ev.price : high;
		sim_exchange_apply(ex, s, &ev, ev.time_ms);
	}
	sim_feed_free(feed);
	cr_assert_eq(low, fill_candle.low, "the path reaches the low");
	cr_assert_eq(high, fill_candle.high, "and the high");
	return ex;
}

static enum sb_order_state status_of(struct sim_exchange *ex, uint64_t id)
{
	const struct sim_book_order *o = sim_book_find(symbol(ex, "BTCUSDT")->book, id);
	cr_assert_not_null(o);
	return o->status;
}

Test(sim_exchange, fill_touch_fills_orders_resting_at_the_candles_extremes)
{
	size_t paths[] = {4, 0};
	for (size_t i = 0; i < 2; i++) {
		struct fill_orders o;
		struct sim_exchange *ex = walk_candle("touch", paths[i], &o);
		cr_assert_eq(status_of(ex, o.buy_low), SB_ORDER_FILLED, "a buy at the low (path %zu)",
		             paths[i]);
		cr_assert_eq(status_of(ex, o.sell_high), SB_ORDER_FILLED, "a sell at the high");
		cr_assert_eq(status_of(ex, o.buy_inside), SB_ORDER_FILLED, "a buy a tick above the low");
		cr_assert_eq(status_of(ex, o.sell_inside), SB_ORDER_FILLED, "a sell a tick below the high");
		sbt_exchange_free(&loop, ex);
	}
}

Test(sim_exchange, fill_through_leaves_orders_at_the_extremes_and_fills_those_a_tick_inside)
{
	size_t paths[] = {4, 0};
	for (size_t i = 0; i < 2; i++) {
		struct fill_orders o;
		struct sim_exchange *ex = walk_candle("through", paths[i], &o);
		cr_assert_eq(status_of(ex, o.buy_low), SB_ORDER_NEW, "no trade below the low (path %zu)",
		             paths[i]);
		cr_assert_eq(status_of(ex, o.sell_high), SB_ORDER_NEW, "no trade above the high");
		cr_assert_eq(status_of(ex, o.buy_inside), SB_ORDER_FILLED, "the low is below this buy");
		cr_assert_eq(status_of(ex, o.sell_inside), SB_ORDER_FILLED, "the high is above this sell");
		struct sim_ledger_asset btc;
		cr_assert_eq(sim_ledger_balance(ex->ledger, ex->accounts[0].id, "BTC", &btc), SB_OK);
		expect_dec(btc.locked, "0.001", "the sell at the high still holds its base");
		sbt_exchange_free(&loop, ex);
	}
}

Test(sim_exchange, without_market_data_no_history_is_kept_and_resting_orders_still_fill)
{
	static struct sim_options o; /* large: not on the stack */
	char *argv[] = {"spotsim", "--symbols", "BTCUSDT", "--account", "k:s:USDT=1000", NULL};
	cr_assert_eq(sim_options_parse(5, argv, &o, stderr), SB_OK);
	o.no_market_data = true;
	struct sim_exchange *ex = NULL;
	cr_assert_eq(sim_exchange_new(&loop, &o, NULL, stderr, &ex), SB_OK);
	struct sim_symbol *s = symbol(ex, "BTCUSDT");
	cr_assert_null(s->md, "no recent trades or candles are kept");
	uint64_t id = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "59000", "0.001", "c1");
	struct sim_event ev;
	cr_assert_eq(sim_exchange_price_event(s, SB_DEC_C(58900, 0), SB_DEC_C(1, 0), &ev), SB_OK);
	ev.time_ms = 1767225600000;
	sim_exchange_apply(ex, s, &ev, ev.time_ms);
	const struct sim_book_order *bo = sim_book_find(s->book, id);
	cr_assert(bo == NULL || bo->status == SB_ORDER_FILLED, "the buy resting above the trade filled");
	const struct sim_ledger_asset *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sim_ledger_balances(ex->ledger, ex->accounts[0].id, &rows, &n), SB_OK);
	sb_dec btc = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].asset, "BTC") == 0)
			btc = rows[i].free;
	expect_dec(btc, "0.000999", "the account's BTC: 0.001 bought less the 0.1% commission");
	expect_dec(s->last_price, "58900", "the last trade's price");
	sbt_exchange_free(&loop, ex);
}

Test(sim_exchange, bnb_is_valued_at_the_last_trade_of_its_market_in_the_quote_asset)
{
	const char *args[] = {"--symbols", "BTCUSDT,BNBUSDT,ETHBNB,ETHBTC", NULL};
	struct sim_exchange *ex = build(args);
	struct sim_symbol *bnb = symbol(ex, "BNBUSDT");
	struct sim_event ev;
	cr_assert_eq(sim_exchange_price_event(bnb, SB_DEC_C(612, 0), SB_DEC_C(1, 0), &ev), SB_OK);
	ev.time_ms = 1767225600000;
	sim_exchange_apply(ex, bnb, &ev, ev.time_ms);
	expect_dec(sim_exchange_bnb_price(ex, symbol(ex, "BTCUSDT")), "612", "BNB in USDT");
	expect_dec(sim_exchange_bnb_price(ex, symbol(ex, "ETHBNB")), "1", "BNB in BNB");
	expect_dec(sim_exchange_bnb_price(ex, symbol(ex, "ETHBTC")), "0", "no BNBBTC market");
	sbt_exchange_free(&loop, ex);
}

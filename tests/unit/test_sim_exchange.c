/*
 * test_sim_exchange.c - what spotsim's exchange sets up from its command line (which symbols, with
 * which rules and start prices) and what a replay does at its end, in the test's process: the feeds are
 * advanced by hand, never by a timer, so market time is not waited for.
 */
#include <criterion/criterion.h>
#include <string.h>
#include <uv.h>

#include "sbtest.h"
#include "sbtest_exchange.h"
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
	uint64_t id = sbt_exchange_limit(ex, "BTCUSDT", SIM_SIDE_BUY, "59000", "0.001", "c1");
	struct sim_event ev;
	cr_assert_eq(sim_exchange_price_event(s, SB_DEC_C(58900, 0), SB_DEC_C(1, 0), &ev), SB_OK);
	ev.time_ms = 1767225600000;
	sim_exchange_apply(ex, s, &ev, ev.time_ms);
	const struct sim_book_order *bo = sim_book_find(s->book, id);
	cr_assert(bo == NULL || bo->status == SIM_STATUS_FILLED, "the buy resting above the trade filled");
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

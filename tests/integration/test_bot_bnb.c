/*
 * test_bot_bnb.c - `spotbot run` against spotsim with commission paid in BNB on two quote assets: a cycle
 * of ETHBTC, traded beside a USDT pair listed first, is valued at BNBBTC (not BNBUSDT), checked against
 * its fills and the BNB price set with POST /sim/price; and a quote asset with no BNB<QUOTE> market is
 * reported once while its pair still trades.
 *
 * BNBBTC is replayed from a one-trade candle (tests/data/klines/BNBBTC-1m-flat.csv): at spotsim's speed
 * 0.01 its next trade is 100 minutes away, so the price set here is the one the daemon reads.
 */
#include "test_bot_util.h"

#define PAIR_USDT "BTCUSDT:quote=50,enabled=false"
#define PAIR_ETH  "ETHBTC:quote=0.002,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"
#define ETH_TICK  SB_DEC_C(0, 1000)    /* ETHBTC's tick in spotsim's catalogue: 0.00001 */
#define BNB_TICK  SB_DEC_C(0, 100)     /* BNBBTC's: 0.000001 */
#define BNB_BTC   SB_DEC_C(0, 1234500) /* BNB at 0.012345 BTC: far from BNBUSDT's 600 */

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, ETH_TICK, mode, &r), SB_OK);
	return r;
}

/* Quote amount plus each fill's BNB commission valued at bnb (rounded up per fill, as the calculator). */
static sb_dec fills_in_quote(struct sb_store *st, const char *coid, sb_dec bnb, sb_dec *quote)
{
	struct sb_store_fill *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(st, coid, &rows, &n), SB_OK);
	cr_assert(n >= 1, "%s has fills", coid);
	sb_dec fees = 0;
	*quote = 0;
	for (size_t i = 0; i < n; i++) {
		cr_assert_str_eq(rows[i].commission_asset, "BNB", "%s: commission paid in BNB", coid);
		cr_assert(rows[i].commission > 0);
		sb_dec f = 0;
		cr_assert_eq(sb_dec_mul(rows[i].commission, bnb, SB_ROUND_UP, &f), SB_OK);
		fees += f;
		*quote += rows[i].quote_qty;
	}
	free(rows);
	return fees;
}

static bool has_event(struct sb_store *st, void *kind)
{
	struct sb_store_event *ev = NULL;
	size_t n = 0;
	struct sb_store_event_filter f = {.kind = kind};
	bool ok = sb_store_event_list(st, &f, &ev, &n) == SB_OK && n > 0;
	sb_store_events_free(ev, n);
	return ok;
}

/* Events of kind, with the symbol and detail of the first. */
static size_t events(const char *kind, char *symbol, size_t scap, char *detail, size_t dcap)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_event *ev = NULL;
	size_t n = 0;
	struct sb_store_event_filter f = {.kind = kind};
	cr_assert_eq(sb_store_event_list(st, &f, &ev, &n), SB_OK);
	if (n) {
		snprintf(symbol, scap, "%s", ev[0].symbol);
		snprintf(detail, dcap, "%s", ev[0].detail ? ev[0].detail : "");
	}
	sb_store_events_free(ev, n);
	sb_store_close(st);
	return n;
}

TestSuite(bot_bnb, .fini = bt_cleanup, .timeout = 120);

Test(bot_bnb, commission_is_valued_in_the_pairs_own_quote_asset)
{
	char csv[512];
	sbt_source_path("tests/data/klines/BNBBTC-1m-flat.csv", csv, sizeof csv);
	char replay[600];
	snprintf(replay, sizeof replay, "BNBBTC=%s", csv);
	const char *extra[] = {"--symbols", "BTCUSDT,BNBUSDT,ETHBTC", "--replay", replay, NULL};
	bt_start_sim(extra);
	bt_post("/sim/account?key=" KEY "&bnbFees=true");
	bt_set_price("BNBUSDT", SB_DEC_C(600, 0));
	bt_set_price("BNBBTC", BNB_BTC);
	/* The book after /sim/price is [price, price + tick]: the daemon values BNB at its mid. */
	sb_dec mid = BNB_BTC + BNB_TICK / 2;
	/* BTCUSDT first: a daemon keeping one BNB price would take BNBUSDT's for every pair. */
	bt_write_env(PAIR_USDT ";" PAIR_ETH, "");
	bt_start_bot();

	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_str_eq(buy.symbol, "ETHBTC");
	bt_set_price("ETHBTC", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert(sell.price > buy.price, "the sell is above the buy");

	/* The cost the sell was planned on: the BTC spent plus the BNB commission at BNBBTC's mid. */
	struct sb_store *st = bt_db();
	cr_assert(st);
	sb_dec spent = 0, fee = fills_in_quote(st, "sb-main-1-b0", mid, &spent);
	struct sb_store_position pos;
	cr_assert_eq(sb_store_position_get(st, 1, &pos), SB_OK);
	sb_store_close(st);
	cr_assert_str_eq(pos.symbol, "ETHBTC");
	cr_assert_eq(pos.cost_quote, spent + fee, "cost %" PRId64 ", expected %" PRId64 " + %" PRId64,
	             pos.cost_quote, spent, fee);
	/* The commission is 0.075% of what was spent (spotsim's BNB discount): valued at BNBUSDT's price
	 * it would be some 50000 times larger. */
	cr_assert((__int128)fee * 10000 >= (__int128)spent * 7 &&
	              (__int128)fee * 10000 <= (__int128)spent * 8,
	          "fee %" PRId64 " on %" PRId64, fee, spent);

	/* The cycle closes with the realised profit of its fills, the sell commission valued the same way. */
	bt_set_price("ETHBTC", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	struct sb_store_position closed = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	st = bt_db();
	cr_assert(st);
	sb_dec proceeds = 0, sfee = fills_in_quote(st, "sb-main-1-s0", mid, &proceeds);
	sb_store_close(st);
	cr_assert_eq(closed.cost_quote, spent + fee);
	cr_assert_eq(closed.proceeds, proceeds);
	cr_assert_eq(closed.realised_profit, proceeds - sfee - (spent + fee),
	             "profit %" PRId64 ", expected %" PRId64, closed.realised_profit,
	             proceeds - sfee - (spent + fee));
	cr_assert(closed.realised_profit > 0);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0, "SIGTERM: clean exit 0");
	char sym[64], detail[256];
	cr_assert_eq(events("bnb.unavailable", sym, sizeof sym, detail, sizeof detail), 0,
	             "both BNB markets exist");
}

Test(bot_bnb, a_quote_asset_without_a_bnb_market_is_reported_once)
{
	/* No BNBBTC: spotsim then takes ETHBTC's commission in the asset received, and the daemon finds
	 * no BNB price in BTC. */
	const char *extra[] = {"--symbols", "BTCUSDT,BNBUSDT,ETHBTC", NULL};
	bt_start_sim(extra);
	bt_post("/sim/account?key=" KEY "&bnbFees=true");
	bt_write_env(PAIR_USDT ";" PAIR_ETH, "");
	bt_start_bot();
	cr_assert(bt_wait(has_event, "bnb.unavailable", 20000), "the missing market is recorded");
	cr_assert(bt_log_has("no BNBBTC market", 5000), "and logged");
	/* The pair still trades: its commission is not in BNB, so no BNB price is needed. */
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("ETHBTC", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0, "SIGTERM: clean exit 0");
	char sym[64], detail[256];
	cr_assert_eq(events("bnb.unavailable", sym, sizeof sym, detail, sizeof detail), 1, "once");
	cr_assert_str_eq(sym, "BNBBTC");
	cr_assert(strstr(detail, "\"quote\":\"BTC\"") && strstr(detail, "\"code\":-1121"), "%s", detail);
	cr_assert(strstr(detail, "\"retry_ms\":600000"), "%s", detail);
}

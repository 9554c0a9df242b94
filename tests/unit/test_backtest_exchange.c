/*
 * test_backtest_exchange.c - the daemon's order manager, strategy step and reconciler driven through
 * spotsim's exchange linked into the process (src/backtest/bt_exchange.h), as test_bot_exchange.c drives
 * them through a scripted fake: real matching, fees, filters and self-trade prevention, no sockets. Every
 * check is made against the exchange's own records: its book, its ledger and the account's trades.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "backtest/bt_exchange.h"
#include "sbtest_bot.h"
#include "sbtest_dec.h"
#include "sbtest_exchange.h"
#include "sim/ledger.h"
#include "spotbot/clock.h"

#define KEY  "bt-key"
#define FUND "10000"

static uv_loop_t loop;
static struct sim_exchange *sim;
static struct sbt_bot tb;
static struct bot_pair *pr;

/* The exchange's clock: market time, moved on by the market steps; the daemon's virtual clock follows it. */
static struct {
	int64_t start;  /* wall ms at which the daemon's virtual clock started */
	int64_t now;    /* ms */
	size_t reached; /* market events announced */
	bool backwards; /* one was announced before the one before it */
} vclock;

static int64_t vclock_now(void *user)
{
	(void)user;
	return vclock.now;
}

static void vclock_reach(void *user, int64_t ms)
{
	(void)user;
	vclock.backwards |= ms < vclock.now;
	vclock.now = ms;
	vclock.reached++;
	if (ms > vclock.start)
		sb_clock_virtual_run_until(tb.b->clock, (uint64_t)(ms - vclock.start));
}

static void on_info(void *user, const struct sb_bn_rest_result *res, struct sb_bn_exchange_info *info)
{
	struct sb_symbol_rules *out = user;
	cr_assert_eq(res->err, SB_OK, "exchangeInfo: %s", res->api.msg);
	cr_assert_eq(info->n_symbols, 1);
	*out = info->symbols[0];
}

/* The exchange, the daemon for one pair with settings, and the adapter between them; the pair's rules come
 * from the exchange, as the daemon loads them. */
static void start(const char *settings)
{
	cr_assert_eq(uv_loop_init(&loop), 0);
	const char *args[] = {"--symbols", "BTCUSDT", "--account", KEY ":bt-secret:USDT=" FUND, NULL};
	char err[512];
	sim = sbt_exchange_new(&loop, args, NULL, err, sizeof err);
	cr_assert_not_null(sim, "%s", err);
	vclock.now = vclock.start = sb_clock_wall_ms();
	sbt_bot_init(&tb, settings, NULL, vclock.start);
	tb.pump = sb_bt_exchange_pump;
	pr = &tb.b->pairs[0];
	struct sb_exchange_events ev = bot_exchange_events(tb.b);
	struct sb_bt_exchange_opts opts = {
	    .sim = sim, .api_key = KEY, .clock = {vclock_now, vclock_reach, NULL}, .seed = 1};
	cr_assert_eq(sb_bt_exchange_new(&opts, &ev, &tb.b->ex), SB_OK);
	const char *sym = "BTCUSDT";
	cr_assert_eq(sb_exchange_exchange_info(tb.b->ex, &sym, 1, on_info, &pr->rules), SB_OK);
	cr_assert_eq(pr->rules.symbol[0], '\0', "the answer waits for the pump");
	cr_assert_eq(sb_bt_exchange_pump(tb.b->ex), 1);
	cr_assert_str_eq(pr->rules.symbol, "BTCUSDT");
	pr->have_rules = true;
	cr_assert_eq(pr->sell_fee, D("0.001"), "the fee assumed until the account's is known");
	tb.b->state = BOT_TRADING;
}

static void teardown(void)
{
	if (tb.b)
		sbt_bot_fini(&tb);
	if (sim)
		sbt_exchange_free(&loop, sim);
	sim = NULL;
	uv_loop_close(&loop);
}

TestSuite(backtest_exchange, .fini = teardown);

/* The market step: a trade at price of qty, the book one tick either side. */
static void trade_at(sb_dec price, const char *qty)
{
	struct sb_bn_trade t = {
	    .price = price, .qty = D(qty), .trade_time = sb_clock_wall_ms(), .buyer_maker = true};
	snprintf(t.symbol, sizeof t.symbol, "BTCUSDT");
	cr_assert_eq(sb_bt_exchange_trade(tb.b->ex, &t), SB_OK);
	cr_assert_eq(vclock.now, t.trade_time, "the clock reached the trade before it applied");
	cr_assert_eq(sb_bt_exchange_pending(tb.b->ex), 0, "the step delivered everything it caused");
}

/* The daemon's timer step (orders and strategy, as bot.c's tick runs them), then what it caused. */
static void tick(void)
{
	int64_t now = sb_clock_wall_ms();
	orders_tick(tb.b, now);
	engine_tick(tb.b, now);
	sb_bt_exchange_pump(tb.b->ex);
}

static void streams_start(void)
{
	const char *sym = "BTCUSDT";
	sb_exchange_streams_start(tb.b->ex, &sym, 1);
	sb_bt_exchange_pump(tb.b->ex);
}

static struct sim_symbol *btc(void)
{
	return sim_exchange_symbol(sim, "BTCUSDT", 7);
}

static uint32_t account(void)
{
	return sim_exchange_account(sim, KEY, strlen(KEY))->id;
}

/* The account's open orders on the exchange's book. */
static size_t open_orders(const struct sim_book_order **out, size_t cap)
{
	return sim_book_open_orders(btc()->book, account(), out, cap);
}

/* The account's trade of order side with id on the exchange, or NULL. */
static const struct sim_trade_rec *exchange_trade(int64_t id, bool buyer)
{
	const struct sim_account *a = sim_exchange_account(sim, KEY, strlen(KEY));
	for (size_t i = 0; i < a->ntrades; i++)
		if (a->trades[i].id == id && a->trades[i].is_buyer == buyer)
			return &a->trades[i];
	return NULL;
}

/* Every fill in the store is one of the account's trades on the exchange, the exchange has no other, and
 * together they explain the ledger's balances of the account exactly, with nothing left locked. */
static void assert_books_explain_ledger(void)
{
	struct sb_store_order *orders = NULL;
	size_t n = 0, nfills = 0;
	cr_assert_eq(sb_store_order_list(tb.b->st, NULL, &orders, &n), SB_OK);
	sb_dec base = 0, quote = D(FUND);
	for (size_t i = 0; i < n; i++) {
		struct sb_store_fill *f = NULL;
		size_t nf = 0;
		bool buy = orders[i].side == SB_SIDE_BUY;
		cr_assert_eq(sb_store_fill_list(tb.b->st, orders[i].client_order_id, &f, &nf), SB_OK);
		for (size_t k = 0; k < nf; k++, nfills++) {
			const struct sim_trade_rec *t = exchange_trade(f[k].trade_id, buy);
			cr_assert_not_null(t, "fill %lld of %s is the exchange's", (long long)f[k].trade_id,
			                   orders[i].client_order_id);
			cr_assert_eq(t->qty, f[k].qty);
			cr_assert_eq(t->quote_qty, f[k].quote_qty);
			cr_assert_eq(t->commission, f[k].commission);
			cr_assert_str_eq(t->commission_asset, f[k].commission_asset);
			base += buy ? f[k].qty : -f[k].qty;
			quote += buy ? -f[k].quote_qty : f[k].quote_qty;
			if (strcmp(f[k].commission_asset, "BTC") == 0)
				base -= f[k].commission;
			else if (strcmp(f[k].commission_asset, "USDT") == 0)
				quote -= f[k].commission;
		}
		free(f);
	}
	free(orders);
	cr_assert_eq(sim_exchange_account(sim, KEY, strlen(KEY))->ntrades, nfills,
	             "the exchange has no trade the store lacks");
	struct sim_ledger_asset b, q;
	cr_assert_eq(sim_ledger_balance(sim->ledger, account(), "BTC", &b), SB_OK);
	cr_assert_eq(sim_ledger_balance(sim->ledger, account(), "USDT", &q), SB_OK);
	cr_assert_eq(b.locked + q.locked, 0, "nothing is left locked");
	cr_assert_eq(b.free, base, "BTC: the ledger holds %lld, the books explain %lld", (long long)b.free,
	             (long long)base);
	cr_assert_eq(q.free, quote, "USDT: the ledger holds %lld, the books explain %lld", (long long)q.free,
	             (long long)quote);
}

Test(backtest_exchange, buy_fills_once_as_the_market_moves_through_it_and_the_sell_pays_and_fills)
{
	start("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,cooldown=1h");
	trade_at(D("50000"), "1");
	cr_assert_eq(sb_bt_exchange_pending(tb.b->ex), 0, "no market data is wanted yet");
	streams_start();

	/* The price snapshot after the streams started made the strategy buy at the bid. */
	const struct sim_book_order *open[4];
	cr_assert_eq(open_orders(open, 4), 1, "one order rests on the exchange");
	const struct sim_book_order *buy = open[0];
	cr_assert_eq(buy->side, SB_SIDE_BUY);
	cr_assert_eq(buy->price, D("50000"));
	cr_assert_eq(buy->orig_qty, D("0.0004"), "20 USDT at 50000");
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", buy->client_id);
	struct sb_store_order row = sbt_bot_order(&tb, coid);
	cr_assert_eq(row.status, SB_ORDER_NEW, "the answer was applied");
	cr_assert_eq(row.exchange_order_id, (int64_t)buy->id);
	int64_t pos = row.position_id;

	/* The market trades through the buy: it fills as a maker, once, and the sell follows. */
	trade_at(D("49999.99"), "1");
	struct sb_store_fill *fills = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(tb.b->st, coid, &fills, &n), SB_OK);
	cr_assert_eq(n, 1, "the fill is recorded once");
	const struct sim_trade_rec *t = exchange_trade(fills[0].trade_id, true);
	cr_assert_not_null(t, "as the exchange's trade");
	cr_assert(t->is_maker && fills[0].is_maker);
	cr_assert_eq(fills[0].price, D("50000"), "at the buy's own price");
	free(fills);
	cr_assert_eq(sbt_bot_order(&tb, coid).status, SB_ORDER_FILLED);
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);

	/* A reconciliation now (a silent stream) queries and lists, and changes nothing. */
	reconcile_on_request(tb.b, SB_BN_RECONCILE_SILENT);
	cr_assert_gt(sb_bt_exchange_pump(tb.b->ex), 0, "its requests were answered");
	cr_assert_eq(sb_store_fill_list(tb.b->st, coid, &fills, &n), SB_OK);
	free(fills);
	cr_assert_eq(n, 1, "still one fill");

	/* The sell rests on the exchange at the lowest tick that pays both fees and the profit. */
	cr_assert_eq(open_orders(open, 4), 1);
	const struct sim_book_order *sell = open[0];
	cr_assert_eq(sell->side, SB_SIDE_SELL);
	cr_assert_eq(sell->orig_qty, D("0.00039"),
	             "0.0004 less the 0.0000004 BTC commission, floored to the step");
	cr_assert(sbt_bot_pays(sell->orig_qty, sell->price, D("20"), "0.001", "0.005"),
	          "the sell price pays the fees and the profit");
	cr_assert(!sbt_bot_pays(sell->orig_qty, sell->price - D("0.01"), D("20"), "0.001", "0.005"),
	          "and is the lowest tick that does");
	cr_assert_eq(sell->stp, SIM_STP_EXPIRE_MAKER, "an exit expires the bot's own resting buy");
	sb_dec sell_price = sell->price;

	/* The market reaches the sell: it fills and the cycle closes with a profit. */
	trade_at(sell_price, "1");
	cr_assert_eq(open_orders(open, 4), 0);
	struct sb_store_position p = sbt_bot_position(&tb, pos);
	cr_assert_eq(p.state, SB_POSITION_CLOSED);
	cr_assert_gt(p.realised_profit, 0, "the cycle earned something");
	assert_books_explain_ledger();
}

/*
 * Binance's self-trade prevention as the catalogue lists it for BTCUSDT (EXPIRE_MAKER by default, every
 * mode allowed): position 1's stop-loss market sell meets position 2's resting buy at the best bid; the
 * exchange expires the buy (EXPIRED_IN_MATCH) instead of trading with it and the exit goes on into the
 * market.
 */
Test(backtest_exchange, stop_loss_exit_expires_the_bots_own_resting_buy_in_match)
{
	start("BTCUSDT:quote=50,profit=0.5%,buy_offset=2%,buy_timeout=1h,cooldown=0s,stop_loss=1%");
	trade_at(D("50000"), "1");
	streams_start();
	const struct sim_book_order *open[4];
	cr_assert_eq(open_orders(open, 4), 1);
	sb_dec buy1 = open[0]->price;
	cr_assert_eq(buy1, D("49000"), "2%% under the bid");
	trade_at(buy1, "1");
	cr_assert_eq(open_orders(open, 4), 1, "bought; the sell rests");
	cr_assert_eq(open[0]->side, SB_SIDE_SELL);

	/* A second position: its buy rests 2% under the market. */
	pr->cfg.max_positions = 2;
	trade_at(buy1 + D("0.01"), "1");
	cr_assert_eq(open_orders(open, 4), 2);
	const struct sim_book_order *b2 = open[0]->side == SB_SIDE_BUY ? open[0] : open[1];
	sb_dec buy2 = b2->price;
	char coid2[SB_BN_CLIENT_ID_MAX];
	snprintf(coid2, sizeof coid2, "%s", b2->client_id);
	cr_assert_lt(buy2, buy1 - D("490"), "under position 1's stop-loss price");

	/* The market falls to a tick above it: position 1 leaves by stop-loss, selling into the bids, where
	 * its own buy rests at the second level. */
	trade_at(buy2 + D("0.01"), "0.001");
	tick();
	const struct sim_book_order *o = sim_book_find_client(btc()->book, account(), coid2, strlen(coid2));
	cr_assert_not_null(o);
	cr_assert_eq(o->status, SB_ORDER_EXPIRED_IN_MATCH, "the exchange expired the buy in match");
	cr_assert_gt(o->prevented_qty, 0, "it prevented a match");
	cr_assert_eq(o->executed_qty, 0, "the buy never traded");
	cr_assert_eq(sbt_bot_order(&tb, coid2).status, SB_ORDER_EXPIRED_IN_MATCH,
	             "the daemon knows why it ended");
	cr_assert_eq(sbt_bot_position(&tb, 1).state, SB_POSITION_CLOSED, "position 1 left");
	struct sb_store_order_filter f = {.position_id = 1};
	struct sb_store_order *rows = NULL;
	size_t n = 0, exits = 0;
	cr_assert_eq(sb_store_order_list(tb.b->st, &f, &rows, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		exits += rows[i].side == SB_SIDE_SELL && rows[i].type == SB_ORDER_MARKET &&
		         rows[i].status == SB_ORDER_FILLED;
	free(rows);
	cr_assert_eq(exits, 1, "by one market sell, filled");
	for (size_t i = 0; i < sim_exchange_account(sim, KEY, strlen(KEY))->ntrades; i++) {
		const struct sim_trade_rec *t = &sim_exchange_account(sim, KEY, strlen(KEY))->trades[i];
		cr_assert(exchange_trade(t->id, !t->is_buyer) == NULL, "trade %lld is a self-trade",
		          (long long)t->id);
	}
	assert_books_explain_ledger();
}

/* A one-minute candle is walked as spotsim's replay walks it, one trade at a time at its own market time,
 * and the daemon acts between them: its buy fills on the way down to the low, its sell is placed and fills
 * on the way up to the high, all within the candle. */
Test(backtest_exchange, a_candle_walks_its_price_path_and_the_daemon_acts_within_it)
{
	start("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,cooldown=1h");
	trade_at(D("50000"), "1");
	streams_start();
	const struct sim_book_order *open[4];
	cr_assert_eq(open_orders(open, 4), 1);
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", open[0]->client_id);

	int64_t t0 = vclock.now - vclock.now % 60000 + 60000;
	struct sb_bn_candle c = {.open_time = t0,
	                         .close_time = t0 + 59999,
	                         .open = D("50000.01"),
	                         .high = D("52000"),
	                         .low = D("49990"),
	                         .close = D("51900"),
	                         .volume = D("5"),
	                         .quote_volume = D("255000"),
	                         .trades = 300,
	                         .taker_buy_base = D("2.5"),
	                         .taker_buy_quote = D("127500")};
	size_t before = vclock.reached;
	cr_assert_eq(sb_bt_exchange_candle(tb.b->ex, "BTCUSDT", &c), SB_OK);
	cr_assert_gt(vclock.reached - before, 4, "the candle is several trades, each announced");
	cr_assert(!vclock.backwards, "in time order");
	cr_assert_leq(vclock.now, c.close_time, "within the candle");
	cr_assert_eq(sb_bt_exchange_pending(tb.b->ex), 0);

	struct sb_store_order row = sbt_bot_order(&tb, coid);
	cr_assert_eq(row.status, SB_ORDER_FILLED);
	struct sb_store_position p = sbt_bot_position(&tb, row.position_id);
	cr_assert_eq(p.state, SB_POSITION_CLOSED, "bought and sold within the candle");
	cr_assert_geq(p.opened_ms, t0, "at the candle's market time");
	cr_assert_leq(p.opened_ms, c.close_time);
	cr_assert_eq(open_orders(open, 4), 0);
	assert_books_explain_ledger();
	cr_assert_eq(sb_bt_exchange_candle(tb.b->ex, "ETHUSDT", &c), SB_ERR_NOT_FOUND, "a symbol not listed");
}

/* spotsim's faults reach the in-process exchange too: a buy that executes while its answer is a 5xx and
 * its events are lost is UNKNOWN to the daemon, and the query by clientOrderId settles it with its fill. */
Test(backtest_exchange, an_order_answered_5xx_after_it_executed_is_settled_by_query)
{
	start("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,cooldown=1h");
	trade_at(D("50000"), "1");
	cr_assert_eq(sim_exchange_set_fault(sim, "order_5xx_after", ""), SB_OK);
	cr_assert_eq(sim_exchange_set_fault(sim, "hide_user_events", ""), SB_OK);
	streams_start();
	const struct sim_book_order *open[4];
	cr_assert_eq(open_orders(open, 4), 1, "the buy exists on the exchange");
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", open[0]->client_id);
	cr_assert_eq(sbt_bot_order(&tb, coid).status, SB_ORDER_UNKNOWN, "its answer was a 5xx");
	trade_at(D("49999.99"), "1");
	cr_assert_eq(sbt_bot_order(&tb, coid).status, SB_ORDER_UNKNOWN, "its fill was not heard of");

	cr_assert_eq(sim_exchange_set_fault(sim, "order_5xx_after", "off"), SB_OK);
	cr_assert_eq(sim_exchange_set_fault(sim, "hide_user_events", "off"), SB_OK);
	orders_tick(tb.b, sb_clock_wall_ms() + 1000);
	sb_bt_exchange_pump(tb.b->ex);
	struct sb_store_order row = sbt_bot_order(&tb, coid);
	cr_assert_eq(row.status, SB_ORDER_FILLED, "the query settled it");
	cr_assert_eq(row.exchange_order_id,
	             (int64_t)sim_book_find_client(btc()->book, account(), coid, strlen(coid))->id);
	cr_assert_eq(sbt_bot_position(&tb, row.position_id).state, SB_POSITION_SELLING,
	             "its fill was fetched");
	cr_assert_eq(open_orders(open, 4), 1);
	cr_assert_eq(open[0]->side, SB_SIDE_SELL, "and the sell placed");
	trade_at(open[0]->price, "1");
	assert_books_explain_ledger();
}

/* What an order request came to, as its callback heard it. */
struct answer {
	bool done;                    /* the callback ran */
	struct sb_bn_rest_result res; /* its result */
	struct sb_bn_order order;     /* the order, on success */
};

static void on_order(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	struct answer *a = user;
	a->done = true;
	a->res = *res;
	if (order)
		a->order = *order, memset(order, 0, sizeof *order);
}

Test(backtest_exchange, a_filter_rejection_surfaces_as_the_binance_clients_would)
{
	start("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	trade_at(D("50000"), "1");

	/* A request that fails LOT_SIZE is Binance's -1013 with HTTP 400, answered later, never in the call.
	 */
	struct answer a = {0};
	struct sb_bn_new_order o = {.symbol = "BTCUSDT",
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_LIMIT,
	                            .quantity = D("0.000401"),
	                            .price = D("50000"),
	                            .client_order_id = "lot-size-test"};
	cr_assert_eq(sb_exchange_order_place(tb.b->ex, &o, on_order, &a), SB_OK);
	cr_assert(!a.done, "not inside the call");
	sb_bt_exchange_pump(tb.b->ex);
	cr_assert(a.done);
	cr_assert_eq(a.res.err, SB_ERR_EXCHANGE);
	cr_assert_eq(a.res.api.code, -1013);
	cr_assert_eq(a.res.api.http_status, 400);
	cr_assert_str_eq(a.res.api.msg, "Filter failure: LOT_SIZE");
	cr_assert_null(sim_book_find_client(btc()->book, account(), "lot-size-test", 13), "no order exists");

	/* The daemon's rules say a 2 USDT buy is fine; the exchange's NOTIONAL minimum (5) says no: the
	 * order ends REJECTED with the exchange's words and the position does not go on. */
	pr->rules.notional.min_notional = D("1");
	pr->cfg.quote = D("2");
	streams_start();
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_order_list(tb.b->st, NULL, &rows, &n), SB_OK);
	cr_assert_eq(n, 1, "the buy was sent");
	cr_assert_eq(rows[0].status, SB_ORDER_REJECTED);
	cr_assert_str_eq(rows[0].last_error, "-1013 Filter failure: NOTIONAL");
	cr_assert_null(sim_book_find_client(btc()->book, account(), rows[0].client_order_id,
	                                    strlen(rows[0].client_order_id)),
	               "the exchange has no such order");
	cr_assert_eq(sbt_bot_position(&tb, rows[0].position_id).state, SB_POSITION_CANCELED);
	free(rows);
	assert_books_explain_ledger();

	/* An account the exchange does not have, and an unknown symbol, are refused with what was wrong. */
	struct sb_bt_exchange_opts opts = {.sim = sim, .api_key = "no-such-key"};
	struct sb_exchange_events ev = {.user = tb.b};
	struct sb_exchange *other = NULL;
	cr_assert_eq(sb_bt_exchange_new(&opts, &ev, &other), SB_ERR_NOT_FOUND);
	cr_assert_null(other);
	o.symbol = "NOSUCHPAIR";
	o.quantity = D("0.0004");
	a.done = false;
	cr_assert_eq(sb_exchange_order_place(tb.b->ex, &o, on_order, &a), SB_OK);
	sb_bt_exchange_pump(tb.b->ex);
	cr_assert_eq(a.res.err, SB_ERR_EXCHANGE);
	cr_assert_eq(a.res.api.code, -1121, "Invalid symbol.");
}

/* An owner that counts the answers and the steps after each batch, and asks again from its step. */
static struct {
	struct sb_exchange *ex; /* the adapter */
	size_t answers;         /* answers delivered */
	size_t steps;           /* dispatched calls */
	size_t more;            /* requests the step still makes */
} owner;

static void on_time_counted(void *user, const struct sb_bn_rest_result *res, int64_t server_ms)
{
	(void)user;
	(void)server_ms;
	cr_assert_eq(res->err, SB_OK);
	owner.answers++;
}

static void on_dispatched(void *user)
{
	cr_assert_eq(user, &owner, "the owner's argument");
	cr_assert_eq(sb_bt_exchange_pending(owner.ex), 0, "the step runs after the batch, not inside it");
	owner.steps++;
	if (owner.more > 0) {
		owner.more--;
		cr_assert_eq(sb_exchange_sync_time(owner.ex, on_time_counted, NULL), SB_OK);
	}
}

Test(backtest_exchange, the_pump_runs_the_owners_step_after_each_batch_until_nothing_is_left)
{
	start("BTCUSDT:quote=20");
	/* The adapter takes over the exchange's hooks: the daemon's is freed first. */
	sb_exchange_free(tb.b->ex);
	tb.b->ex = NULL;
	struct sb_bt_exchange_opts opts = {.sim = sim, .api_key = KEY, .clock = {vclock_now, NULL, NULL}};
	struct sb_exchange_events ev = {.dispatched = on_dispatched, .user = &owner};
	cr_assert_eq(sb_bt_exchange_new(&opts, &ev, &owner.ex), SB_OK);

	cr_assert_eq(sb_bt_exchange_pump(owner.ex), 0);
	cr_assert_eq(owner.steps, 0, "no batch, no step");
	for (int i = 0; i < 3; i++)
		cr_assert_eq(sb_exchange_sync_time(owner.ex, on_time_counted, NULL), SB_OK);
	cr_assert_eq(sb_bt_exchange_pump(owner.ex), 3);
	cr_assert_eq(owner.answers, 3);
	cr_assert_eq(owner.steps, 1, "three answers in one batch: one step");

	/* What a step asks for is the next batch of the same pump, followed by its own step. */
	owner.more = 2;
	cr_assert_eq(sb_exchange_sync_time(owner.ex, on_time_counted, NULL), SB_OK);
	cr_assert_eq(sb_bt_exchange_pump(owner.ex), 3);
	cr_assert_eq(owner.answers, 6);
	cr_assert_eq(owner.steps, 4, "one step after each of the three batches");
	cr_assert_eq(sb_bt_exchange_pending(owner.ex), 0, "nothing is left");
	sb_exchange_free(owner.ex);
}

static void on_commission(void *user, const struct sb_bn_rest_result *res, struct sb_bn_commission *cm)
{
	(void)user;
	bot_pair_fees(tb.b, "BTCUSDT", res, cm);
}

/* Before a market's first trade its book is empty: the daemon's price requests find no price, which is a
 * wait, not a refusal; and it asks for no BNB price while the account pays no commission in BNB. */
Test(backtest_exchange, a_market_with_no_trade_yet_is_waited_for_and_no_bnb_price_is_asked_needlessly)
{
	start("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,cooldown=1h");
	cr_assert_eq(sb_exchange_commission(tb.b->ex, "BTCUSDT", on_commission, NULL), SB_OK);
	sb_bt_exchange_pump(tb.b->ex);
	cr_assert(!pr->bnb_discount, "the account pays commission in what it receives");
	for (int i = 0; i < 3; i++) {
		prices_tick(tb.b, sb_clock_wall_ms());
		cr_assert_gt(sb_bt_exchange_pump(tb.b->ex), 0, "the pair's price is asked for");
	}
	cr_assert_eq(pr->refused, 0, "an empty book is no price yet, not a refused one");
	cr_assert_eq(sbt_bot_events_of(&tb, "price.refused", NULL), 0);
	cr_assert_eq(pr->top_ms, 0, "the pair waits");
	cr_assert_eq(tb.b->bnb.n, 0, "no BNB price is followed");
	cr_assert_eq(sbt_bot_events_of(&tb, "bnb.unavailable", NULL), 0,
	             "so no missing BNBUSDT market is reported");

	trade_at(D("50000"), "1");
	prices_tick(tb.b, sb_clock_wall_ms());
	sb_bt_exchange_pump(tb.b->ex);
	cr_assert_gt(pr->top_ms, 0, "the first trade gives the pair its price");
	cr_assert_eq(pr->top.bid, D("50000"));

	/* With the BNB discount on, USDT's BNB price is followed (and BNBUSDT is not listed here). */
	cr_assert_eq(sim_ledger_set_bnb_fees(sim->ledger, account(), true), SB_OK);
	cr_assert_eq(sb_exchange_commission(tb.b->ex, "BTCUSDT", on_commission, NULL), SB_OK);
	sb_bt_exchange_pump(tb.b->ex);
	cr_assert(pr->bnb_discount);
	prices_tick(tb.b, sb_clock_wall_ms());
	sb_bt_exchange_pump(tb.b->ex);
	cr_assert_eq(tb.b->bnb.n, 1);
	cr_assert_str_eq(tb.b->bnb.q[0].asset, "USDT");
	cr_assert(tb.b->bnb.q[0].missing, "asked, and the exchange lists no BNBUSDT");
	cr_assert_eq(sbt_bot_events_of(&tb, "bnb.unavailable", NULL), 1);
}

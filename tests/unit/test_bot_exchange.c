/*
 * test_bot_exchange.c - the daemon's order manager, strategy step and reconciler driven through the
 * exchange table by a scripted exchange (sbtest_fakex), in one process without sockets: what the daemon
 * asks the exchange for, that its intent is durable before each request, and what it does with the
 * answers and the stream's events. The fake delivers no batches of its own, so the tests run the step after
 * the dispatch (engine_step) themselves: events only mark their pair, the step decides each marked pair
 * once and frees the positions that ended.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "sbtest_dec.h"
#include "sbtest_fakex.h"
#include "sbtest_rules.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"

static struct sb_config cfg;
static struct sb_bot bot;
static struct sbt_fakex *fx;
static struct bot_pair *pr;

/* What the store held for each order request at the moment it was made. */
static struct {
	size_t seen;                             /* requests looked at */
	bool intent_durable[SBT_FAKEX_REQS_MAX]; /* PLACE: the order was in the store as PENDING_NEW */
	uint64_t mono_ms[SBT_FAKEX_REQS_MAX];    /* the daemon's monotonic time when it was made */
} at_send;

static void on_request(void *ctx, const struct sbt_fakex_req *r)
{
	(void)ctx;
	size_t i = (size_t)(r - fx->req);
	at_send.seen++;
	at_send.mono_ms[i] = sb_clock_now_mono_ms(bot.clock);
	struct sb_store_order row;
	if (r->kind == SBT_FX_PLACE)
		at_send.intent_durable[i] = sb_store_order_get(bot.st, r->coid, &row) == SB_OK &&
		                            row.status == SB_STORE_ORDER_PENDING_NEW;
}

static void setup(void)
{
	memset(&bot, 0, sizeof bot);
	memset(&at_send, 0, sizeof at_send);
	sb_config_init(&cfg);
	/* Virtual time starts now, so the wall times the tests hand in directly stay meaningful. */
	bot_init(&bot, &cfg, sb_clock_virtual_new(sb_clock_wall_ms()));
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(":memory:", NULL, &bot.st, err, sizeof err), SB_OK, "%s", err);
	bot.pairs = sb_xcalloc(SB_PAIRS_MAX, sizeof *bot.pairs);
	bot.npairs = 1;
	pr = &bot.pairs[0];
	pr->cfg = sbt_pair("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	pr->rules = sbt_rules_btcusdt();
	pr->rules.stp_allowed = 1u << SB_STP_EXPIRE_TAKER | 1u << SB_STP_EXPIRE_MAKER;
	pr->have_rules = true;
	pr->sell_fee = D("0.001");
	struct sb_store_pair row;
	bot_pair_to_row(&pr->cfg, sb_clock_wall_ms(), &row);
	cr_assert_eq(sb_store_pair_upsert(bot.st, &row, NULL), SB_OK, "%s", sb_store_last_error(bot.st));
	struct sb_exchange_events ev = {
	    .market = {prices_on_market, prices_on_snapshot, prices_on_link},
	    .account = {orders_on_user, reconcile_on_request, orders_on_user_link},
	    .user = &bot,
	};
	fx = sbt_fakex_new(&ev);
	fx->subscribed = true;
	fx->on_request = on_request;
	bot.ex = &fx->base;
	bot.state = BOT_TRADING;
}

static void teardown(void)
{
	struct sb_exchange *ex = bot.ex;
	bot.ex = NULL;
	sb_exchange_free(ex);
	cr_expect_eq(bot.inflight, 0, "every request ended in its callback");
	bot_timers_free(&bot);
	sb_clock_free(bot.clock);
	orders_free_all(&bot);
	free(bot.pairs);
	sb_store_close(bot.st);
	sb_config_fini(&cfg);
}

TestSuite(bot_exchange, .init = setup, .fini = teardown);

static struct sb_store_order stored_order(const char *coid)
{
	struct sb_store_order row;
	cr_assert_eq(sb_store_order_get(bot.st, coid, &row), SB_OK, "order %s is in the store", coid);
	return row;
}

static struct sb_store_position stored_position(int64_t id)
{
	struct sb_store_position row;
	cr_assert_eq(sb_store_position_get(bot.st, id, &row), SB_OK, "position %lld is in the store",
	             (long long)id);
	return row;
}

/* A fresh quote through the market stream makes the strategy open a cycle: the buy goes out once its
 * intent is durable, as a LIMIT BUY of quote / bid, and its answer comes later. */
static const struct sbt_fakex_req *open_cycle(void)
{
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	engine_step(&bot);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "one order was placed");
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	const struct sbt_fakex_req *r = &fx->req[i];
	cr_assert(at_send.intent_durable[i], "the buy intent was committed before the request");
	cr_assert_str_eq(r->symbol, "BTCUSDT");
	cr_assert_eq(r->order.side, SB_SIDE_BUY);
	cr_assert_eq(r->order.type, SB_ORDER_LIMIT);
	cr_assert_eq(r->order.price, D("50000"), "at the bid (buy_offset 0)");
	cr_assert_eq(r->order.stp_mode, SB_STP_EXPIRE_TAKER, "an entry never takes the bot's own exit");
	cr_assert_eq(r->order.quantity, D("0.0004"), "20 USDT at 50000");
	cr_assert(sb_coid_is_ours(r->coid, strlen(r->coid), bot.tag), "coid %s carries the tag", r->coid);
	struct sb_store_order row = stored_order(r->coid);
	cr_assert_eq(row.orig_qty, r->order.quantity, "the request is the stored intent");
	cr_assert_eq(row.side, SB_SIDE_BUY);
	return r;
}

static struct sb_bn_order exchange_order(const struct sbt_fakex_req *r, enum sb_bn_order_status st,
                                         sb_dec executed, sb_dec quote)
{
	struct sb_bn_order o = {.shape = SB_BN_ORDER_QUERY,
	                        .order_id = 77,
	                        .order_list_id = -1,
	                        .transact_time = -1,
	                        .price = r->order.price,
	                        .orig_qty = r->order.quantity,
	                        .executed_qty = executed,
	                        .cum_quote_qty = quote,
	                        .status = st,
	                        .type = r->order.type,
	                        .side = r->order.side,
	                        .working_time = -1,
	                        .prevented_match_id = -1,
	                        .time = sb_clock_wall_ms(),
	                        .update_time = sb_clock_wall_ms()};
	snprintf(o.symbol, sizeof o.symbol, "%s", r->symbol);
	snprintf(o.client_order_id, sizeof o.client_order_id, "%s", r->coid);
	return o;
}

/* The smallest tick-aligned sell price paying both fees and the target: qty * s * (1 - fee) >= cost *
 * (1 + profit), checked for price and for price - tick. */
static bool pays(sb_dec qty, sb_dec price, sb_dec cost)
{
	sb_dec gross = 0, net = 0, want = 0;
	cr_assert_eq(sb_dec_mul(qty, price, SB_ROUND_DOWN, &gross), SB_OK);
	cr_assert_eq(sb_dec_mul(gross, D("0.999"), SB_ROUND_DOWN, &net), SB_OK);
	cr_assert_eq(sb_dec_mul(cost, D("1.005"), SB_ROUND_UP, &want), SB_OK);
	return net >= want;
}

static void assert_sell(sb_dec qty, sb_dec cost)
{
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2, "the sell followed the buy");
	const struct sbt_fakex_req *r = &fx->req[i];
	cr_assert(at_send.intent_durable[i], "the sell intent was committed before the request");
	cr_assert_eq(r->order.side, SB_SIDE_SELL);
	cr_assert_eq(r->order.type, SB_ORDER_LIMIT);
	cr_assert_eq(r->order.stp_mode, SB_STP_EXPIRE_MAKER, "an exit expires the bot's own resting buy");
	cr_assert_eq(r->order.quantity, qty, "sells what was received, floored to the step");
	cr_assert(pays(qty, r->order.price, cost), "the sell price pays the fees and the profit");
	cr_assert(!pays(qty, r->order.price - D("0.01"), cost), "and is the lowest tick that does");
}

Test(bot_exchange, lost_answer_is_settled_by_query_and_missing_fills_are_fetched)
{
	const struct sbt_fakex_req *buy = open_cycle();
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", buy->coid);
	int64_t pos_id = stored_order(coid).position_id;

	sbt_fakex_answer_order(fx, (size_t)(buy - fx->req), SB_ERR_UNKNOWN_OUTCOME, 0, NULL);
	cr_assert_eq(stored_order(coid).status, SB_STORE_ORDER_UNKNOWN, "a lost answer is UNKNOWN");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "no query before it is due");

	orders_tick(&bot, sb_clock_wall_ms() + 1000);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0, "the order is queried when due");
	cr_assert_str_eq(fx->req[q].coid, coid, "by its clientOrderId");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "and never placed twice");

	struct sb_bn_order o = exchange_order(buy, SB_BN_STATUS_FILLED, D("0.0004"), D("20"));
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &o);
	struct sb_store_order row = stored_order(coid);
	cr_assert_eq(row.status, SB_STORE_ORDER_FILLED);
	cr_assert_eq(row.exchange_order_id, 77);
	cr_assert_eq(stored_position(pos_id).state, SB_STORE_POS_BUYING, "no fills yet: still buying");

	int t = sbt_fakex_last(fx, SBT_FX_MY_TRADES);
	cr_assert_geq(t, 0, "the missing fills are fetched");
	cr_assert_str_eq(fx->req[t].symbol, "BTCUSDT");
	cr_assert_eq(fx->req[t].order_id, 77, "for the order the exchange named");

	struct sb_bn_my_trade tr = {.id = 900,
	                            .order_id = 77,
	                            .order_list_id = -1,
	                            .price = D("50000"),
	                            .qty = D("0.0004"),
	                            .quote_qty = D("20"),
	                            .commission = D("0.0000004"),
	                            .time = sb_clock_wall_ms(),
	                            .is_buyer = true};
	snprintf(tr.symbol, sizeof tr.symbol, "BTCUSDT");
	snprintf(tr.commission_asset, sizeof tr.commission_asset, "BTC");
	struct sb_bn_my_trades trades = {.items = &tr, .n = 1};
	sbt_fakex_answer_trades(fx, (size_t)t, &trades);
	engine_step(&bot);

	struct sb_store_fill *fills = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(bot.st, coid, &fills, &n), SB_OK);
	cr_assert_eq(n, 1, "the fetched trade is recorded once");
	cr_assert_eq(fills[0].trade_id, 900);
	cr_assert_eq(fills[0].qty, D("0.0004"));
	free(fills);
	cr_assert_eq(stored_position(pos_id).state, SB_STORE_POS_SELLING);
	/* 0.0004 - 0.0000004 commission = 0.0003996, floored to 0.00039. */
	assert_sell(D("0.00039"), D("20"));
}

static struct sb_bn_user_event trade_report(const struct sbt_fakex_req *r, int64_t trade_id, const char *qty,
                                            const char *cum, enum sb_bn_order_status st)
{
	struct sb_bn_user_event ev = {.kind = SB_BN_USER_EXEC_REPORT, .subscription_id = 0};
	ev.event_time = sb_clock_wall_ms();
	struct sb_bn_exec_report *x = &ev.u.exec;
	snprintf(x->symbol, sizeof x->symbol, "%s", r->symbol);
	snprintf(x->client_order_id, sizeof x->client_order_id, "%s", r->coid);
	x->side = r->order.side;
	x->type = r->order.type;
	x->qty = r->order.quantity;
	x->price = r->order.price;
	x->order_list_id = -1;
	x->exec_type = SB_BN_EXEC_TRADE;
	x->status = st;
	x->order_id = 77;
	x->last_qty = D(qty);
	x->cum_qty = D(cum);
	x->last_price = r->order.price;
	x->last_quote_qty = D("10");
	x->cum_quote_qty = D(cum) == D("0.0004") ? D("20") : D("10");
	x->commission = D("0.0000002");
	snprintf(x->commission_asset, sizeof x->commission_asset, "BTC");
	x->transact_time = ev.event_time;
	x->trade_id = trade_id;
	x->execution_id = trade_id;
	return ev;
}

Test(bot_exchange, stream_fills_are_applied_once_and_reconciliation_lists_and_queries)
{
	const struct sbt_fakex_req *buy = open_cycle();
	size_t bi = (size_t)(buy - fx->req);
	struct sb_bn_order ack = exchange_order(buy, SB_BN_STATUS_NEW, 0, 0);
	sbt_fakex_answer_order(fx, bi, SB_OK, 0, &ack);
	cr_assert_eq(stored_order(buy->coid).status, SB_STORE_ORDER_NEW);
	int64_t pos_id = stored_order(buy->coid).position_id;

	/* The user stream went silent: the reconciler queries the open order and lists the pair's. */
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SILENT);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	int l = sbt_fakex_last(fx, SBT_FX_OPEN_ORDERS);
	cr_assert_geq(q, 0, "the unsettled order is queried");
	cr_assert_str_eq(fx->req[q].coid, buy->coid);
	cr_assert_geq(l, 0, "the pair's open orders are listed");
	cr_assert_str_eq(fx->req[l].symbol, "BTCUSDT");

	/* An open order with this instance's prefix that the database lacks is reported, not touched. */
	char foreign[SB_BN_CLIENT_ID_MAX];
	cr_assert_eq(sb_coid_format(bot.tag, 999, SB_COID_BUY, 0, foreign, sizeof foreign, NULL), SB_OK);
	struct sb_bn_order items[2] = {exchange_order(buy, SB_BN_STATUS_NEW, 0, 0),
	                               exchange_order(buy, SB_BN_STATUS_NEW, 0, 0)};
	snprintf(items[1].client_order_id, sizeof items[1].client_order_id, "%s", foreign);
	items[1].order_id = 78;
	struct sb_bn_order_list list = {.items = items, .n = 2};
	size_t sent = fx->n;
	sbt_fakex_answer_orders(fx, (size_t)l, &list);
	cr_assert_eq(fx->n, sent, "nothing is sent about a foreign order");
	struct sb_store_event *evs = NULL;
	size_t nev = 0;
	cr_assert_eq(sb_store_event_list(bot.st, NULL, &evs, &nev), SB_OK);
	size_t found = 0;
	for (size_t i = 0; i < nev; i++)
		found +=
		    strcmp(evs[i].kind, "order.foreign") == 0 && strcmp(evs[i].client_order_id, foreign) == 0;
	sb_store_events_free(evs, nev);
	cr_assert_eq(found, 1, "the foreign order is recorded as an event");
	struct sb_bn_order still = exchange_order(buy, SB_BN_STATUS_NEW, 0, 0);
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &still);

	/* Two partial fills arrive on the stream, the first one twice. */
	struct sb_bn_user_event f1 =
	    trade_report(buy, 901, "0.0002", "0.0002", SB_BN_STATUS_PARTIALLY_FILLED);
	struct sb_bn_user_event f2 = trade_report(buy, 902, "0.0002", "0.0004", SB_BN_STATUS_FILLED);
	sbt_fakex_user(fx, &f1);
	sbt_fakex_user(fx, &f1);
	cr_assert_eq(stored_order(buy->coid).executed_qty, D("0.0002"), "a repeated report changes nothing");
	cr_assert_eq(stored_position(pos_id).state, SB_STORE_POS_BUYING);
	sbt_fakex_user(fx, &f2);
	engine_step(&bot);
	struct sb_store_fill *fills = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(bot.st, buy->coid, &fills, &n), SB_OK);
	cr_assert_eq(n, 2, "each fill is recorded once");
	free(fills);
	cr_assert_eq(stored_order(buy->coid).status, SB_STORE_ORDER_FILLED);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_MY_TRADES), 0, "the stream's fills need no backfill");
	cr_assert_eq(stored_position(pos_id).state, SB_STORE_POS_SELLING);
	/* 0.0004 - 2 x 0.0000002 commission = 0.0003996, floored to 0.00039. */
	assert_sell(D("0.00039"), D("20"));
}

/* The daemon's own housekeeping tick runs on the virtual clock: hours pass in no real time. */
static uint64_t run_ticks_until(uint64_t mono_ms)
{
	uint64_t t0 = sb_clock_mono_ms();
	sb_clock_virtual_run_until(bot.clock, mono_ms);
	cr_assert_eq(sb_clock_now_mono_ms(bot.clock), mono_ms);
	return sb_clock_mono_ms() - t0;
}

/* Index of the n-th (from 0) request of kind, or -1. */
static int nth(enum sbt_fakex_kind kind, size_t n)
{
	for (size_t i = 0; i < fx->n; i++)
		if (fx->req[i].kind == kind && n-- == 0)
			return (int)i;
	return -1;
}

Test(bot_exchange, unknown_order_is_queried_with_backoff_at_virtual_times)
{
	bot_timers_start(&bot);
	const struct sbt_fakex_req *buy = open_cycle();
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", buy->coid);
	sbt_fakex_answer_order(fx, (size_t)(buy - fx->req), SB_ERR_UNKNOWN_OUTCOME, 0, NULL);
	cr_assert_eq(stored_order(coid).status, SB_STORE_ORDER_UNKNOWN);

	/* Due 300 ms after the lost answer, sent by the first tick (1 s); every failed query doubles the wait
	 * from 500 ms up to BOT_QUERY_MAX_MS, and each is sent by the first tick at or after it is due. */
	static const uint64_t want[] = {1000, 2000, 3000, 5000, 9000, 17000, 33000, 63000, 93000, 123000};
	size_t nwant = sizeof want / sizeof want[0];
	uint64_t real_ms = 0;
	for (size_t k = 0; k < nwant; k++) {
		real_ms += run_ticks_until(want[k] - 1);
		cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), k, "query %zu is not sent before %llu ms", k,
		             (unsigned long long)want[k]);
		real_ms += run_ticks_until(want[k]);
		int q = nth(SBT_FX_QUERY, k);
		cr_assert_geq(q, 0, "query %zu is sent at %llu ms", k, (unsigned long long)want[k]);
		cr_assert_str_eq(fx->req[q].coid, coid, "by its clientOrderId");
		cr_assert_eq(at_send.mono_ms[q], want[k]);
		if (k + 1 < nwant)
			sbt_fakex_answer_order(fx, (size_t)q, SB_ERR_TIMEOUT, 0, NULL);
	}
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "the order is never placed twice");
	cr_assert_lt(real_ms, 10000, "two minutes of the daemon's time took %llu ms",
	             (unsigned long long)real_ms);

	/* The last query finds it filled: settled, at the virtual time of the answer. */
	int q = nth(SBT_FX_QUERY, nwant - 1);
	struct sb_bn_order o = exchange_order(buy, SB_BN_STATUS_NEW, 0, 0);
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &o);
	struct sb_store_order row = stored_order(coid);
	cr_assert_eq(row.status, SB_STORE_ORDER_NEW, "the query settled it");
	cr_assert_eq(row.updated_ms, sb_clock_now_wall_ms(bot.clock), "dated by the daemon's clock");
}

Test(bot_exchange, buy_timeout_cancels_at_the_virtual_time_it_is_due)
{
	pr->cfg.buy_timeout_ms = 30000;
	bot_timers_start(&bot);
	const struct sbt_fakex_req *buy = open_cycle();
	size_t bi = (size_t)(buy - fx->req);
	struct sb_bn_order ack = exchange_order(buy, SB_BN_STATUS_NEW, 0, 0);
	sbt_fakex_answer_order(fx, bi, SB_OK, 0, &ack);
	cr_assert_eq(stored_order(buy->coid).status, SB_STORE_ORDER_NEW);

	uint64_t real_ms = run_ticks_until(29999);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 0, "no cancel before the timeout");
	real_ms += run_ticks_until(30000);
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the buy is cancelled when its timeout passes");
	cr_assert_str_eq(fx->req[c].coid, buy->coid);
	cr_assert_eq(at_send.mono_ms[c], 30000, "at 30 s of the daemon's time");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1);
	cr_assert_lt(real_ms, 10000, "30 s of the daemon's time took %llu ms", (unsigned long long)real_ms);
}

static void never(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	(void)user;
	(void)res;
	(void)order;
	cr_assert_fail("a refused request has no callback");
}

Test(bot_exchange, bad_arguments_are_refused_before_the_implementation)
{
	struct sb_bn_new_order o = {.symbol = "BTCUSDT", .side = SB_SIDE_BUY, .type = SB_ORDER_MARKET};
	cr_assert_eq(sb_exchange_order_place(NULL, &o, never, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_place(bot.ex, NULL, never, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_place(bot.ex, &o, NULL, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_query(bot.ex, "BTCUSDT", NULL, never, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_cancel(bot.ex, NULL, "x", never, NULL), SB_ERR_INVALID);
	cr_assert_eq(fx->n, 0, "the implementation saw none of them");
	struct sb_exchange_stats st;
	sb_exchange_stats(NULL, &st);
	cr_assert_eq(st.rest.calls, 0);
	cr_assert(!sb_exchange_user_subscribed(NULL));
	cr_assert_str_eq(sb_exchange_name(bot.ex), "fake");
}

/* ---- the step after the dispatch ---------------------------------------------------------------------- */

/* The buys sent so far, each at the bid of the quote the strategy decided on. */
static size_t buys_at(sb_dec bid)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n; i++)
		n += fx->req[i].kind == SBT_FX_PLACE && fx->req[i].order.side == SB_SIDE_BUY &&
		     fx->req[i].order.price == bid;
	return n;
}

Test(bot_exchange, a_market_event_alone_sends_nothing_until_the_step_runs)
{
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(fx->n, 0, "the event only recorded the price and marked the pair");
	cr_assert(pr->decide, "the pair waits for a decision");
	cr_assert_eq(pr->top.bid, D("50000"), "the quote is recorded");

	engine_step(&bot);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "the step decided and the buy went out");
	cr_assert(at_send.intent_durable[sbt_fakex_last(fx, SBT_FX_PLACE)], "its intent durable first");
	cr_assert(!pr->decide, "the mark is consumed");
	engine_step(&bot);
	cr_assert_eq(fx->n, 1, "a step with nothing marked decides nothing");
}

Test(bot_exchange, several_events_in_one_dispatch_give_one_decision)
{
	/* Room for three cycles: every decision with a fresh price would open one. */
	pr->cfg.max_positions = 3;
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	sbt_fakex_book(fx, "BTCUSDT", "50010", "50010.01");
	sbt_fakex_book(fx, "BTCUSDT", "50020", "50020.01");
	cr_assert_eq(fx->n, 0, "three quotes, nothing sent yet");
	cr_assert_eq(bot.marked, 1, "one pair marked, once");

	/* The housekeeping tick of the same moment marks every pair again: still one decision. */
	engine_tick(&bot, bot_now_ms(&bot));
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "one decision, one new cycle");
	cr_assert_eq(buys_at(D("50020")), 1, "decided on the last quote of the dispatch");
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_position_list(bot.st, &f, &rows, &n), SB_OK);
	free(rows);
	cr_assert_eq(n, 1, "one position was opened");

	/* The next dispatch is decided again: the room for more cycles was real. */
	sbt_fakex_book(fx, "BTCUSDT", "50030", "50030.01");
	engine_step(&bot);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2);
	cr_assert_eq(buys_at(D("50030")), 1);
}

/* The stream's report that the exchange cancelled the buy of r with nothing filled. */
static struct sb_bn_user_event cancel_report(const struct sbt_fakex_req *r)
{
	struct sb_bn_user_event ev = trade_report(r, 0, "0", "0", SB_BN_STATUS_CANCELED);
	ev.u.exec.exec_type = SB_BN_EXEC_CANCELED;
	ev.u.exec.cum_quote_qty = 0;
	ev.u.exec.commission = 0;
	ev.u.exec.commission_asset[0] = '\0';
	return ev;
}

Test(bot_exchange, a_position_ended_inside_a_dispatch_stays_valid_until_the_reap)
{
	const struct sbt_fakex_req *buy = open_cycle();
	struct sb_bn_order ack = exchange_order(buy, SB_BN_STATUS_NEW, 0, 0);
	sbt_fakex_answer_order(fx, (size_t)(buy - fx->req), SB_OK, 0, &ack);
	/* What a caller up the stack of the dispatch holds: the position and its pair. */
	struct bot_pos *held = pr->positions;
	cr_assert_not_null(held);
	int64_t pos_id = held->p.id;

	struct sb_bn_user_event ev = cancel_report(buy);
	sbt_fakex_user(fx, &ev);
	cr_assert_eq(stored_position(pos_id).state, SB_STORE_POS_CANCELED, "the buy ended unfilled");
	cr_assert_null(pr->positions, "the ended position left its pair at once");
	cr_assert_null(orders_pos_find(&bot, pos_id), "and is found no more");
	/* Freed here, these reads would be a use-after-free (AddressSanitizer stops the test). */
	cr_assert(held->ended, "it is marked ended");
	cr_assert_eq(held->p.state, SB_POSITION_CANCELED, "and still readable");
	cr_assert_eq(held->pair, pr);
	cr_assert_eq(bot.reap, held, "it waits on the reap list");
	cr_assert(pr->decide, "the pair has room again: a decision is due");

	engine_step(&bot);
	cr_assert_null(bot.reap, "the step after the dispatch freed it");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2, "and decided: a new cycle (no cooldown set)");
	cr_assert_neq(pr->positions, NULL);
	cr_assert_neq(pr->positions->p.id, pos_id, "a new position");
}

Test(bot_exchange, the_kill_switch_read_before_the_step_still_stops_a_decision)
{
	bot_timers_start(&bot);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(fx->n, 0, "nothing decided before the step");
	cr_assert(pr->decide, "the quote marked the pair");
	/* `spotbot pause` while the daemon cannot be reached: the kill switch is in the database only. */
	cr_assert_eq(sb_store_state_set(bot.st, SB_STORE_KEY_PAUSED, "1", sb_clock_wall_ms(), NULL), SB_OK);

	/* The tick reads the switch first, then runs the step the quote asked for. */
	run_ticks_until(BOT_TICK_MS);
	cr_assert(bot.paused, "the tick read the kill switch");
	cr_assert(!pr->decide, "the step ran");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "no new cycle while paused");

	sbt_fakex_book(fx, "BTCUSDT", "50010", "50010.01");
	engine_step(&bot);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "nor at the next quote");
}

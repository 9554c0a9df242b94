/*
 * test_bot_exchange.c - the daemon's order manager, strategy step and reconciler driven through the
 * exchange table by a scripted exchange (sbtest_fakex), in one process without sockets: what the daemon
 * asks the exchange for, that its intent is durable before each request, and what it does with the
 * answers and the stream's events. Events only mark their pair; the step after the dispatch (engine_step,
 * which the fixture runs after each delivery) decides each marked pair once and frees the positions that
 * ended. The tests of that step hold it (hold_step) to look between an event and its decision.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/metrics.h"
#include "sbtest_bot.h"
#include "sbtest_dec.h"
#include "sbtest_prom.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"

static struct sbt_bot tb;
static struct sbt_fakex *fx;

static void setup(void)
{
	sbt_bot_init(&tb, "BTCUSDT:quote=20,profit=0.5%,buy_offset=0", NULL, sb_clock_wall_ms());
	fx = sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
}

static void teardown(void)
{
	sbt_bot_fini(&tb);
}

TestSuite(bot_exchange, .init = setup, .fini = teardown);

/* A fresh quote through the market stream makes the strategy open a cycle: the buy goes out once its
 * intent is durable, as a LIMIT BUY of quote / bid, and its answer comes later. */
static const struct sbt_fakex_req *open_cycle(void)
{
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "one order was placed");
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	const struct sbt_fakex_req *r = &fx->req[i];
	cr_assert(tb.sent[i].stored && tb.sent[i].row.status == SB_ORDER_PENDING_NEW,
	          "the buy intent was committed before the request");
	cr_assert_str_eq(r->symbol, "BTCUSDT");
	cr_assert_eq(r->order.side, SB_SIDE_BUY);
	cr_assert_eq(r->order.type, SB_ORDER_LIMIT);
	cr_assert_eq(r->order.price, D("50000"), "at the bid (buy_offset 0)");
	cr_assert_eq(r->order.stp_mode, SB_STP_EXPIRE_TAKER, "an entry never takes the bot's own exit");
	cr_assert_eq(r->order.quantity, D("0.0004"), "20 USDT at 50000");
	cr_assert(sb_coid_is_ours(r->coid, strlen(r->coid), tb.b->tag), "coid %s carries the tag", r->coid);
	struct sb_store_order row = sbt_bot_order(&tb, r->coid);
	cr_assert_eq(row.orig_qty, r->order.quantity, "the request is the stored intent");
	cr_assert_eq(row.side, SB_SIDE_BUY);
	return r;
}

static struct sb_bn_order exchange_order(const struct sbt_fakex_req *r, enum sb_order_state st,
                                         sb_dec executed, sb_dec quote)
{
	return sbt_fakex_order(r, 77, st, executed, quote, sbt_bot_now(&tb));
}

/* The sell that followed the buy: a LIMIT SELL of qty, committed before the request, at the lowest tick
 * paying both fees and the target on cost. */
static void assert_sell(sb_dec qty, sb_dec cost)
{
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2, "the sell followed the buy");
	const struct sbt_fakex_req *r = &fx->req[i];
	cr_assert(tb.sent[i].stored && tb.sent[i].row.status == SB_ORDER_PENDING_NEW,
	          "the sell intent was committed before the request");
	cr_assert_eq(r->order.side, SB_SIDE_SELL);
	cr_assert_eq(r->order.type, SB_ORDER_LIMIT);
	cr_assert_eq(r->order.stp_mode, SB_STP_EXPIRE_MAKER, "an exit expires the bot's own resting buy");
	cr_assert_eq(r->order.quantity, qty, "sells what was received, floored to the step");
	cr_assert(sbt_bot_pays(qty, r->order.price, cost, "0.001", "0.005"),
	          "the sell price pays the fees and the profit");
	cr_assert(!sbt_bot_pays(qty, r->order.price - D("0.01"), cost, "0.001", "0.005"),
	          "and is the lowest tick that does");
}

Test(bot_exchange, lost_answer_is_settled_by_query_and_missing_fills_are_fetched)
{
	const struct sbt_fakex_req *buy = open_cycle();
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", buy->coid);
	int64_t pos_id = sbt_bot_order(&tb, coid).position_id;

	sbt_fakex_answer_order(fx, (size_t)(buy - fx->req), SB_ERR_UNKNOWN_OUTCOME, 0, NULL);
	cr_assert_eq(sbt_bot_order(&tb, coid).status, SB_ORDER_UNKNOWN, "a lost answer is UNKNOWN");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0, "no query before it is due");

	sbt_bot_advance(&tb, 1000);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0, "the order is queried when due");
	cr_assert_str_eq(fx->req[q].coid, coid, "by its clientOrderId");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "and never placed twice");

	struct sb_bn_order o = exchange_order(buy, SB_ORDER_FILLED, D("0.0004"), D("20"));
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &o);
	struct sb_store_order row = sbt_bot_order(&tb, coid);
	cr_assert_eq(row.status, SB_ORDER_FILLED);
	cr_assert_eq(row.exchange_order_id, 77);
	cr_assert_eq(sbt_bot_position(&tb, pos_id).state, SB_POSITION_BUYING, "no fills yet: still buying");

	int t = sbt_fakex_last(fx, SBT_FX_MY_TRADES);
	cr_assert_geq(t, 0, "the missing fills are fetched");
	cr_assert_str_eq(fx->req[t].symbol, "BTCUSDT");
	cr_assert_eq(fx->req[t].order_id, 77, "for the order the exchange named");

	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 900);
	struct sb_bn_my_trade tr = sbt_fakex_my_trade(buy, 77, &f, sbt_bot_now(&tb));
	struct sb_bn_my_trades trades = {.items = &tr, .n = 1};
	sbt_fakex_answer_trades(fx, (size_t)t, &trades);

	struct sb_store_fill *fills = NULL;
	size_t n = sbt_bot_fills(&tb, coid, &fills);
	cr_assert_eq(n, 1, "the fetched trade is recorded once");
	cr_assert_eq(fills[0].trade_id, 900);
	cr_assert_eq(fills[0].qty, D("0.0004"));
	free(fills);
	cr_assert_eq(sbt_bot_position(&tb, pos_id).state, SB_POSITION_SELLING);
	/* 0.0004 - 0.0000004 commission = 0.0003996, floored to 0.00039. */
	assert_sell(D("0.00039"), D("20"));
}

/* A trade report of r's order: qty of trade trade_id at the order's price, commission 0.0000002 BTC,
 * cum filled in all (status st). */
static struct sb_bn_user_event trade_report(const struct sbt_fakex_req *r, int64_t trade_id, const char *qty,
                                            const char *cum, enum sb_order_state st)
{
	struct sb_fill f = fill("50000", qty, "10", "0.0000002", "BTC", trade_id);
	return sbt_fakex_report(r, 77, st, &f, D(cum), D(cum) == D("0.0004") ? D("20") : D("10"),
	                        sbt_bot_now(&tb));
}

Test(bot_exchange, stream_fills_are_applied_once_and_a_quiet_stream_costs_one_list)
{
	const struct sbt_fakex_req *buy = open_cycle();
	size_t bi = (size_t)(buy - fx->req);
	struct sb_bn_order ack = exchange_order(buy, SB_ORDER_NEW, 0, 0);
	sbt_fakex_answer_order(fx, bi, SB_OK, 0, &ack);
	cr_assert_eq(sbt_bot_order(&tb, buy->coid).status, SB_ORDER_NEW);
	int64_t pos_id = sbt_bot_order(&tb, buy->coid).position_id;

	/* The user stream went silent: the reconciler lists the pair's open orders, one request. */
	size_t before = fx->n;
	sbt_fakex_reconcile(fx, SB_BN_RECONCILE_SILENT);
	cr_assert_eq(fx->n, before + 1, "one request");
	int l = sbt_fakex_last(fx, SBT_FX_OPEN_ORDERS);
	cr_assert_geq(l, 0, "the pair's open orders are listed");
	cr_assert_str_eq(fx->req[l].symbol, "BTCUSDT");

	/* The list shows the order as the database holds it: explained, not queried. An open order with this
	 * instance's prefix that the database lacks is reported, not touched. */
	char foreign[SB_BN_CLIENT_ID_MAX];
	cr_assert_eq(sb_coid_format(tb.b->tag, 999, SB_COID_BUY, 0, foreign, sizeof foreign, NULL), SB_OK);
	struct sb_bn_order items[2] = {exchange_order(buy, SB_ORDER_NEW, 0, 0),
	                               exchange_order(buy, SB_ORDER_NEW, 0, 0)};
	snprintf(items[1].client_order_id, sizeof items[1].client_order_id, "%s", foreign);
	items[1].order_id = 78;
	struct sb_bn_order_list list = {.items = items, .n = 2};
	size_t sent = fx->n;
	sbt_fakex_answer_orders(fx, (size_t)l, &list);
	cr_assert_eq(fx->n, sent, "nothing is sent about a listed order nor a foreign one");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 0);
	cr_assert_eq(sbt_bot_events_of(&tb, "order.foreign", foreign), 1,
	             "the foreign order is recorded as an event");

	/* Two partial fills arrive on the stream, the first one twice. */
	struct sb_bn_user_event f1 = trade_report(buy, 901, "0.0002", "0.0002", SB_ORDER_PARTIALLY_FILLED);
	struct sb_bn_user_event f2 = trade_report(buy, 902, "0.0002", "0.0004", SB_ORDER_FILLED);
	sbt_fakex_user(fx, &f1);
	sbt_fakex_user(fx, &f1);
	cr_assert_eq(sbt_bot_order(&tb, buy->coid).executed_qty, D("0.0002"),
	             "a repeated report changes nothing");
	cr_assert_eq(sbt_bot_position(&tb, pos_id).state, SB_POSITION_BUYING);
	sbt_fakex_user(fx, &f2);
	struct sb_store_fill *fills = NULL;
	size_t n = sbt_bot_fills(&tb, buy->coid, &fills);
	free(fills);
	cr_assert_eq(n, 2, "each fill is recorded once");
	cr_assert_eq(sbt_bot_order(&tb, buy->coid).status, SB_ORDER_FILLED);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_MY_TRADES), 0, "the stream's fills need no backfill");
	cr_assert_eq(sbt_bot_position(&tb, pos_id).state, SB_POSITION_SELLING);
	/* 0.0004 - 2 x 0.0000002 commission = 0.0003996, floored to 0.00039. */
	assert_sell(D("0.00039"), D("20"));
}

Test(bot_exchange, unknown_order_is_queried_with_backoff_at_virtual_times)
{
	const struct sbt_fakex_req *buy = open_cycle();
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", buy->coid);
	sbt_fakex_answer_order(fx, (size_t)(buy - fx->req), SB_ERR_UNKNOWN_OUTCOME, 0, NULL);
	cr_assert_eq(sbt_bot_order(&tb, coid).status, SB_ORDER_UNKNOWN);

	/* Due 300 ms after the lost answer, sent by the first tick (1 s); every failed query doubles the wait
	 * from 500 ms up to BOT_QUERY_MAX_MS, and each is sent by the first tick at or after it is due. */
	static const uint64_t want[] = {1000, 2000, 3000, 5000, 9000, 17000, 33000, 63000, 93000, 123000};
	size_t nwant = sizeof want / sizeof want[0];
	uint64_t t0 = sb_clock_mono_ms();
	for (size_t k = 0; k < nwant; k++) {
		sbt_bot_advance_to(&tb, want[k] - 1);
		cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), k, "query %zu is not sent before %llu ms", k,
		             (unsigned long long)want[k]);
		sbt_bot_advance_to(&tb, want[k]);
		int q = sbt_fakex_nth(fx, SBT_FX_QUERY, k);
		cr_assert_geq(q, 0, "query %zu is sent at %llu ms", k, (unsigned long long)want[k]);
		cr_assert_str_eq(fx->req[q].coid, coid, "by its clientOrderId");
		cr_assert_eq(tb.sent[q].mono_ms, want[k]);
		if (k + 1 < nwant)
			sbt_fakex_answer_order(fx, (size_t)q, SB_ERR_TIMEOUT, 0, NULL);
	}
	uint64_t real_ms = sb_clock_mono_ms() - t0;
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "the order is never placed twice");
	cr_assert_lt(real_ms, 10000, "two minutes of the daemon's time took %llu ms",
	             (unsigned long long)real_ms);

	/* The last query finds it filled: settled, at the virtual time of the answer. */
	int q = sbt_fakex_nth(fx, SBT_FX_QUERY, nwant - 1);
	struct sb_bn_order o = exchange_order(buy, SB_ORDER_NEW, 0, 0);
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &o);
	struct sb_store_order row = sbt_bot_order(&tb, coid);
	cr_assert_eq(row.status, SB_ORDER_NEW, "the query settled it");
	cr_assert_eq(row.updated_ms, sbt_bot_now(&tb), "dated by the daemon's clock");
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
	cr_assert_eq(sb_exchange_order_place(tb.b->ex, NULL, never, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_place(tb.b->ex, &o, NULL, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_query(tb.b->ex, "BTCUSDT", NULL, never, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_exchange_order_cancel(tb.b->ex, NULL, "x", never, NULL), SB_ERR_INVALID);
	cr_assert_eq(fx->n, 0, "the implementation saw none of them");
	struct sb_exchange_stats st;
	sb_exchange_stats(NULL, &st);
	cr_assert_eq(st.rest.calls, 0);
	cr_assert(!sb_exchange_user_subscribed(NULL));
	cr_assert_str_eq(sb_exchange_name(tb.b->ex), "fake");
}

/* ---- the step after the dispatch ---------------------------------------------------------------------- */

/* The step is left to the test from now on; the pair it trades. */
static struct bot_pair *held_steps(void)
{
	tb.hold_step = true;
	return &tb.b->pairs[0];
}

/* The buys sent so far, each at the bid of the quote the strategy decided on. */
static size_t buys_at(sb_dec bid)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n; i++)
		n += fx->req[i].kind == SBT_FX_PLACE && fx->req[i].order.side == SB_SIDE_BUY &&
		     fx->req[i].order.price == bid;
	return n;
}

/* The market-to-decision latency histogram as /metrics renders it: its _count and _sum. */
static void decision_latency(double *count, double *sum)
{
	char *text = NULL;
	size_t len = 0;
	cr_assert_eq(sb_metrics_render(monitor_metrics(tb.b), &text, &len), SB_OK);
	static struct sbt_prom_doc doc;
	sbt_prom_parse(&doc, text);
	free(text);
	const struct sbt_prom_family *f = sbt_prom_family(&doc, SB_METRIC_DECISION_LATENCY);
	cr_assert(f, "the family is registered");
	cr_assert_str_eq(f->type, "histogram");
	*count = sbt_prom_find(&doc, SB_METRIC_DECISION_LATENCY "_count", NULL, 0, NULL)->value;
	*sum = sbt_prom_find(&doc, SB_METRIC_DECISION_LATENCY "_sum", NULL, 0, NULL)->value;
	double inf = sbt_prom_find(&doc, SB_METRIC_DECISION_LATENCY "_bucket", NULL, 0, "+Inf")->value;
	cr_assert_eq(inf, *count, "+Inf holds every observation");
}

/* The monitor as `run` starts it; the fixture's daemon has no loop of its own, so the monitor's gets one
 * (its alert notifier holds a timer on it) until monitor_stop. */
static void monitor_begin(void)
{
	cr_assert_eq(uv_loop_init(&tb.b->loop), 0);
	cr_assert_eq(monitor_start(tb.b), SB_OK);
}

static void monitor_stop(void)
{
	monitor_free(tb.b);
	uv_run(&tb.b->loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&tb.b->loop), 0);
}

Test(bot_exchange, each_decision_on_stream_quotes_is_timed_once_from_the_oldest_frames_arrival)
{
	monitor_begin();
	struct bot_pair *pr = held_steps();
	pr->cfg.max_positions = 3;
	double count, sum;
	decision_latency(&count, &sum);
	cr_assert_eq(count, 0, "nothing decided yet");

	/* Two quotes in one dispatch: one decision, timed from the first frame's arrival. */
	uint64_t before = sb_clock_mono_ns();
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	sbt_fakex_book(fx, "BTCUSDT", "50010", "50010.01");
	cr_assert_geq(pr->quote_ns, before, "the arrival of the first quote is kept");
	uint64_t first = pr->quote_ns;
	engine_step(tb.b);
	uint64_t after = sb_clock_mono_ns();
	cr_assert_eq(pr->quote_ns, 0, "the decision consumed it");
	decision_latency(&count, &sum);
	cr_assert_eq(count, 1, "one decision, one observation");
	cr_assert(sum > 0 && sum <= (double)(after - first) / 1e9, "latency %g s within the %g s it took",
	          sum, (double)(after - first) / 1e9);

	/* A refused quote leads to no decision and is not timed. */
	sbt_fakex_book(fx, "BTCUSDT", "50020", "50000");
	cr_assert_eq(pr->quote_ns, 0, "a crossed quote starts no latency");
	engine_step(tb.b);
	decision_latency(&count, &sum);
	cr_assert_eq(count, 1);

	/* A decision marked by something other than a market frame (here the REST price after a
	 * reconnect) is not a market-to-decision latency. */
	const char *const syms[] = {"BTCUSDT"};
	fx->base.ev.market.snapshot(fx->base.ev.user, syms, 1, true);
	int tk = sbt_fakex_last(fx, SBT_FX_TICKER);
	cr_assert_geq(tk, 0, "the price is asked for over REST");
	sbt_fakex_answer_ticker(fx, (size_t)tk, "50030", "50030.01");
	cr_assert(pr->decide, "the REST price marked the pair");
	engine_step(tb.b);
	decision_latency(&count, &sum);
	cr_assert_eq(count, 1, "REST prices are not timed");

	/* The next stream quote is timed again. */
	sbt_fakex_book(fx, "BTCUSDT", "50040", "50040.01");
	engine_step(tb.b);
	decision_latency(&count, &sum);
	cr_assert_eq(count, 2);
	monitor_stop();
}

Test(bot_exchange, a_market_event_alone_sends_nothing_until_the_step_runs)
{
	struct bot_pair *pr = held_steps();
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(fx->n, 0, "the event only recorded the price and marked the pair");
	cr_assert(pr->decide, "the pair waits for a decision");
	cr_assert_eq(pr->top.bid, D("50000"), "the quote is recorded");
	engine_step(tb.b);

	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "the step decided and the buy went out");
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert(tb.sent[i].stored && tb.sent[i].row.status == SB_ORDER_PENDING_NEW,
	          "its intent durable first");
	cr_assert(!pr->decide, "the mark is consumed");
	engine_step(tb.b);
	cr_assert_eq(fx->n, 1, "a step with nothing marked decides nothing");
}

Test(bot_exchange, several_events_in_one_dispatch_give_one_decision)
{
	struct bot_pair *pr = held_steps();
	/* Room for three cycles: every decision with a fresh price would open one. */
	pr->cfg.max_positions = 3;
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	sbt_fakex_book(fx, "BTCUSDT", "50010", "50010.01");
	sbt_fakex_book(fx, "BTCUSDT", "50020", "50020.01");
	cr_assert_eq(fx->n, 0, "three quotes, nothing sent yet");
	cr_assert_eq(tb.b->marked, 1, "one pair marked, once");

	/* The housekeeping tick of the same moment marks every pair again: still one decision. */
	engine_tick(tb.b, bot_now_ms(tb.b));
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "one decision, one new cycle");
	cr_assert_eq(buys_at(D("50020")), 1, "decided on the last quote of the dispatch");
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_position_list(tb.b->st, &f, &rows, &n), SB_OK);
	free(rows);
	cr_assert_eq(n, 1, "one position was opened");

	/* The next dispatch is decided again: the room for more cycles was real. */
	sbt_fakex_book(fx, "BTCUSDT", "50030", "50030.01");
	engine_step(tb.b);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2);
	cr_assert_eq(buys_at(D("50030")), 1);
}

/* The stream's report that the exchange cancelled the buy of r with nothing filled. */
static struct sb_bn_user_event cancel_report(const struct sbt_fakex_req *r)
{
	struct sb_bn_user_event ev = trade_report(r, 0, "0", "0", SB_ORDER_CANCELED);
	ev.u.exec.exec_type = SB_BN_EXEC_CANCELED;
	ev.u.exec.cum_quote_qty = 0;
	ev.u.exec.commission = 0;
	ev.u.exec.commission_asset[0] = '\0';
	return ev;
}

Test(bot_exchange, a_position_ended_inside_a_dispatch_stays_valid_until_the_reap)
{
	const struct sbt_fakex_req *buy = open_cycle();
	struct bot_pair *pr = held_steps();
	struct sb_bn_order ack = exchange_order(buy, SB_ORDER_NEW, 0, 0);
	sbt_fakex_answer_order(fx, (size_t)(buy - fx->req), SB_OK, 0, &ack);
	engine_step(tb.b);
	/* What a caller up the stack of the dispatch holds: the position and its pair. */
	struct bot_pos *held = pr->positions;
	cr_assert_not_null(held);
	int64_t pos_id = held->p.id;

	struct sb_bn_user_event ev = cancel_report(buy);
	sbt_fakex_user(fx, &ev);
	cr_assert_eq(sbt_bot_position(&tb, pos_id).state, SB_POSITION_CANCELED, "the buy ended unfilled");
	cr_assert_null(pr->positions, "the ended position left its pair at once");
	cr_assert_null(orders_pos_find(tb.b, pos_id), "and is found no more");
	/* Freed here, these reads would be a use-after-free (AddressSanitizer stops the test). */
	cr_assert(held->ended, "it is marked ended");
	cr_assert_eq(held->p.state, SB_POSITION_CANCELED, "and still readable");
	cr_assert_eq(held->pair, pr);
	cr_assert_eq(tb.b->reap, held, "it waits on the reap list");
	cr_assert(pr->decide, "the pair has room again: a decision is due");
	engine_step(tb.b);

	cr_assert_null(tb.b->reap, "the step after the dispatch freed it");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2, "and decided: a new cycle (no cooldown set)");
	cr_assert_neq(pr->positions, NULL);
	cr_assert_neq(pr->positions->p.id, pos_id, "a new position");
}

Test(bot_exchange, the_kill_switch_read_before_the_step_still_stops_a_decision)
{
	struct bot_pair *pr = held_steps();
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	cr_assert_eq(fx->n, 0, "nothing decided before the step");
	cr_assert(pr->decide, "the quote marked the pair");
	/* `spotbot pause` while the daemon cannot be reached: the kill switch is in the database only. */
	sbt_bot_set_paused(&tb, true);

	/* The tick reads the switch first, then runs the step the quote asked for. */
	sbt_bot_advance(&tb, BOT_TICK_MS);
	cr_assert(tb.b->paused, "the tick read the kill switch");
	cr_assert(!pr->decide, "the step ran");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "no new cycle while paused");

	sbt_fakex_book(fx, "BTCUSDT", "50010", "50010.01");
	engine_step(tb.b);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "nor at the next quote");
}

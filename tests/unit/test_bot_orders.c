/*
 * test_bot_orders.c - the order manager (src/bot/orders.c, orders_actions.c) in the daemon built by
 * sbtest_bot on the scripted exchange and the virtual clock: fills applied once whichever way they come,
 * the sell at the profit calculator's minimum price, a sell placed again for what a cancelled or expired
 * one left, self-trade prevention's expiries, the back-off after rejections, and every request's intent in
 * the store before the exchange sees it. Expected figures come from the profit calculator (sb_profit_*)
 * run in the test on the fills the test delivered.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/control.h"
#include "sbtest_bot.h"
#include "sbtest_dec.h"
#include "spotbot/coid.h"

static struct sbt_bot tb;
static struct sbt_fakex *fx;

/* The daemon for pairs on the fake, trading. */
static void begin(const char *pairs)
{
	sbt_bot_init(&tb, pairs, NULL, 0);
	fx = sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
}

static void teardown(void)
{
	sbt_bot_fini(&tb);
}

TestSuite(bot_orders, .fini = teardown);

static void assert_durable_before_sent(void);

/* The last PLACE request, which must be on side; its index. */
static size_t last_place(enum sb_side side)
{
	int i = sbt_fakex_last(fx, SBT_FX_PLACE);
	cr_assert_geq(i, 0, "an order was placed");
	cr_assert_eq(fx->req[i].order.side, side, "the last order is a %s", sb_side_name(side));
	return (size_t)i;
}

/* Orders placed on side. */
static size_t placed(enum sb_side side)
{
	size_t n = 0;
	for (size_t i = 0; i < fx->n; i++)
		n += fx->req[i].kind == SBT_FX_PLACE && fx->req[i].order.side == side;
	return n;
}

/* The position of the order placed by request i. */
static int64_t position_of(size_t i)
{
	return sbt_bot_order(&tb, fx->req[i].coid).position_id;
}

/* Answers PLACE request i with its order FILLED (cum executed for cum_quote) and, as a FULL answer, its n
 * fills. */
static void answer_filled(size_t i, struct sb_fill *f, size_t n, const char *cum, const char *cum_quote)
{
	struct sb_bn_order o = sbt_fakex_order(&fx->req[i], sbt_bot_order_id(i), SB_ORDER_FILLED, D(cum),
	                                       D(cum_quote), sbt_bot_now(&tb));
	o.shape = SB_BN_ORDER_FULL;
	o.fills = f;
	o.n_fills = n;
	sbt_fakex_answer_order(fx, i, SB_OK, 0, &o);
}

/* A buy at 50000 opened by a quote and acknowledged; its request. */
static size_t open_and_ack(void)
{
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_place(SB_SIDE_BUY);
	cr_assert_eq(fx->req[b].order.price, D("50000"));
	sbt_bot_ack(&tb, b);
	return b;
}

/* A buy of 0.0004 at 50000 filled (trade id trade) and its sell acknowledged; the sell's request. The
 * buy's fill is left in *bf and its position in *pos. */
static size_t bought_and_offered(int64_t trade, struct sb_fill *bf, int64_t *pos)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	size_t b = open_and_ack();
	*pos = position_of(b);
	*bf = fill("50000", "0.0004", "20", "0.0000004", "BTC", trade);
	sbt_bot_trade(&tb, b, bf, "0.0004", "20", SB_ORDER_FILLED);
	size_t s = last_place(SB_SIDE_SELL);
	sbt_bot_ack(&tb, s);
	return s;
}

/* The sell plan of the profit calculator for buy fills, at the daemon's 0.1% fee and target profit. */
static struct sb_sell_plan plan_of(const struct sb_fill *fills, size_t n, const char *profit)
{
	struct sb_symbol_rules rules = sbt_bot_rules("BTCUSDT");
	struct sb_profit_params params = {.sell_fee_rate = D("0.001"), .target_profit = D(profit)};
	struct sb_sell_plan plan;
	cr_assert_eq(sb_profit_plan_sell(&rules, fills, n, &params, &plan), SB_OK);
	return plan;
}

Test(bot_orders, partial_buy_fills_then_the_sell_at_the_minimum_profitable_price)
{
	begin("BTCUSDT:quote=100,profit=0.3%,buy_offset=0");
	size_t b = open_and_ack();
	cr_assert_eq(fx->req[b].order.quantity, D("0.002"));
	int64_t pos = position_of(b);
	struct sb_fill f[3] = {fill("50000", "0.0005", "25", "0.0000005", "BTC", 801),
	                       fill("50000", "0.0012", "60", "0.0000012", "BTC", 802),
	                       fill("50000", "0.0003", "15", "0.0000003", "BTC", 803)};
	sbt_bot_trade(&tb, b, &f[0], "0.0005", "25", SB_ORDER_PARTIALLY_FILLED);
	sbt_bot_advance(&tb, 2000);
	sbt_bot_trade(&tb, b, &f[1], "0.0017", "85", SB_ORDER_PARTIALLY_FILLED);
	struct sb_store_position p = sbt_bot_position(&tb, pos);
	cr_assert_eq(p.state, SB_POSITION_BUYING, "a partly filled buy is still buying");
	cr_assert_eq(p.buy_qty, D("0.0017"), "both fills are on the position");
	cr_assert_eq(placed(SB_SIDE_SELL), 0, "no sell before the buy has ended");

	sbt_bot_advance(&tb, 2000);
	sbt_bot_trade(&tb, b, &f[2], "0.002", "100", SB_ORDER_FILLED);
	struct sb_sell_plan plan = plan_of(f, 3, "0.003");
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(fx->req[s].order.type, SB_ORDER_LIMIT);
	cr_assert_eq(fx->req[s].order.quantity, D("0.00199"), "0.002 less 0.000002 commission, to the step");
	cr_assert_eq(fx->req[s].order.quantity, plan.sell_qty);
	cr_assert_eq(fx->req[s].order.price, plan.min_sell_price,
	             "the calculator's minimum profitable price");
	cr_assert(sbt_bot_pays(plan.sell_qty, fx->req[s].order.price, D("100"), "0.001", "0.003"));
	cr_assert(
	    !sbt_bot_pays(plan.sell_qty, fx->req[s].order.price - D("0.01"), D("100"), "0.001", "0.003"),
	    "and no tick lower pays");
	p = sbt_bot_position(&tb, pos);
	cr_assert_eq(p.state, SB_POSITION_SELLING);
	cr_assert_eq(p.sell_price_target, plan.min_sell_price);
	cr_assert_eq(p.cost_quote, plan.buy.cost_quote);
	cr_assert_eq(p.dust_qty, plan.dust, "the 0.000008 below the step is recorded as dust");
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sbt_bot_fills(&tb, fx->req[b].coid, &rows), 3);
	free(rows);
}

/* The buy's last fill, its position's move to HOLDING and the sell's intent with the position SELLING are
 * one durable commit, made before the sell goes out and within the fill's own dispatch: no decision step
 * in between. */
Test(bot_orders, the_last_buy_fill_and_its_sell_intent_are_one_commit_before_the_sell)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	size_t b = open_and_ack();
	int64_t pos = position_of(b);
	struct sb_fill f[2] = {fill("50000", "0.0001", "5", "0.0000001", "BTC", 901),
	                       fill("50000", "0.0003", "15", "0.0000003", "BTC", 902)};
	uint64_t c0 = sb_store_commits(tb.b->st);
	sbt_bot_trade(&tb, b, &f[0], "0.0001", "5", SB_ORDER_PARTIALLY_FILLED);
	cr_assert_eq(sb_store_commits(tb.b->st), c0 + 1, "a partial fill is committed on its own");
	cr_assert_eq(placed(SB_SIDE_SELL), 0);
	tb.hold_step = true; /* no decision step after the dispatch: the sell must not need one */
	uint64_t c1 = sb_store_commits(tb.b->st);
	sbt_bot_trade(&tb, b, &f[1], "0.0004", "20", SB_ORDER_FILLED);
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(tb.sent[s].commits, c1 + 1, "one commit from the last fill to the sell request (%llu)",
	             (unsigned long long)(tb.sent[s].commits - c1));
	cr_assert(tb.sent[s].durable, "the sell intent was durable before the request");
	cr_assert_eq(tb.sent[s].pos.state, SB_POSITION_SELLING);
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sbt_bot_fills(&tb, fx->req[b].coid, &rows), 2);
	free(rows);
	cr_assert_eq(sbt_bot_order(&tb, fx->req[b].coid).status, SB_ORDER_FILLED);
	cr_assert_eq(sbt_bot_events_of(&tb, "position.holding", NULL), 1);
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);
	tb.hold_step = false;
	sbt_bot_ack(&tb, s);
	cr_assert_eq(placed(SB_SIDE_SELL), 1, "the step that follows places nothing more");
	assert_durable_before_sent();
}

/* A market buy filled in its answer: the fills, HOLDING and the sell intent are one commit as well. */
Test(bot_orders, a_market_buy_filled_in_its_answer_and_its_sell_intent_are_one_commit)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_mode=market");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_place(SB_SIDE_BUY);
	struct sb_fill f[2] = {fill("50000", "0.0002", "10", "0.0000002", "BTC", 911),
	                       fill("50000.01", "0.0002", "10.000002", "0.0000002", "BTC", 912)};
	uint64_t c0 = sb_store_commits(tb.b->st);
	tb.hold_step = true;
	answer_filled(b, f, 2, "0.0004", "20.000002");
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(tb.sent[s].commits, c0 + 1, "one commit from the answer's fills to the sell request");
	cr_assert(tb.sent[s].durable, "the sell intent was durable before the request");
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sbt_bot_fills(&tb, fx->req[b].coid, &rows), 2);
	free(rows);
	tb.hold_step = false;
	assert_durable_before_sent();
}

/* A market buy's executionReport outruns the answer to its placement: the sell goes out at once, in the
 * fill's one commit, without waiting for that answer, which then changes nothing. */
Test(bot_orders, a_buy_reported_filled_before_its_answer_is_sold_without_waiting_for_it)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_mode=market");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_place(SB_SIDE_BUY);
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 921);
	uint64_t c0 = sb_store_commits(tb.b->st);
	tb.hold_step = true;
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	cr_assert_eq(placed(SB_SIDE_SELL), 1, "the sell left before the buy's answer");
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(tb.sent[s].commits, c0 + 1, "one commit from the fill to the sell request");
	cr_assert(tb.sent[s].durable);
	tb.hold_step = false;
	answer_filled(b, &f, 1, "0.0004", "20");
	sbt_bot_ack(&tb, s);
	cr_assert_eq(placed(SB_SIDE_SELL), 1, "the answer places nothing more");
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sbt_bot_fills(&tb, fx->req[b].coid, &rows), 1, "the answer's fill is the stream's");
	free(rows);
	cr_assert_eq(sbt_bot_position(&tb, position_of(b)).state, SB_POSITION_SELLING);
	assert_durable_before_sent();
}

/* The "fill" events recorded for coid. */
static size_t fill_events(const char *coid)
{
	return sbt_bot_events_of(&tb, "fill", coid);
}

Test(bot_orders, a_fill_delivered_twice_is_applied_once)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_place(SB_SIDE_BUY);
	int64_t pos = position_of(b);
	char coid[SB_BN_CLIENT_ID_MAX];
	snprintf(coid, sizeof coid, "%s", fx->req[b].coid);

	/* The placement's FULL answer carries the fill; the stream then reports the same trade, twice. */
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 901);
	answer_filled(b, &f, 1, "0.0004", "20");
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	cr_assert_eq(fill_events(coid), 1, "one fill recorded");
	struct sb_store_position p = sbt_bot_position(&tb, pos);
	cr_assert_eq(p.buy_qty, D("0.0004"), "the position counts it once");
	cr_assert_eq(sbt_bot_order(&tb, coid).executed_qty, D("0.0004"));
	cr_assert_eq(placed(SB_SIDE_SELL), 1, "one sell");
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(fx->req[s].order.quantity, D("0.00039"), "of what one fill gave");
	sbt_bot_ack(&tb, s);
	char sell[SB_BN_CLIENT_ID_MAX];
	snprintf(sell, sizeof sell, "%s", fx->req[s].coid);
	int64_t sell_id = sbt_bot_order_id(s);

	/* After a restart the memory is the database's: the report once more still changes nothing. */
	sbt_bot_restart(&tb);
	fx = tb.fx;
	sbt_bot_start_reconciling(&tb, NULL);
	sbt_bot_no_open_orders(&tb);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0, "the working sell, missing from the open orders, is queried");
	cr_assert_str_eq(fx->req[q].coid, sell);
	struct sb_bn_order so = sbt_fakex_order(&fx->req[q], sell_id, SB_ORDER_NEW, 0, 0, sbt_bot_now(&tb));
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &so);
	sbt_bot_no_open_orders(&tb);
	cr_assert_eq(tb.b->state, BOT_TRADING);
	struct sbt_fakex_req old = {.kind = SBT_FX_PLACE,
	                            .order = {.side = SB_SIDE_BUY, .type = SB_ORDER_LIMIT}};
	snprintf(old.symbol, sizeof old.symbol, "BTCUSDT");
	snprintf(old.coid, sizeof old.coid, "%s", coid);
	struct sb_bn_user_event ev = sbt_fakex_report(&old, sbt_bot_order_id(b), SB_ORDER_FILLED, &f,
	                                              D("0.0004"), D("20"), sbt_bot_now(&tb));
	sbt_fakex_user(fx, &ev);
	cr_assert_eq(fill_events(coid), 1);
	cr_assert_eq(sbt_bot_position(&tb, pos).buy_qty, D("0.0004"));
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 0, "nothing placed again");
}

Test(bot_orders, the_same_trade_id_on_both_sides_of_a_self_trade_is_two_fills)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	size_t b = open_and_ack();
	int64_t pos = position_of(b);
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 950);
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	size_t s = last_place(SB_SIDE_SELL);
	sbt_bot_ack(&tb, s);
	/* The sell meets an order of the same account: its report carries the buy's trade id. */
	sb_dec px = fx->req[s].order.price, quote = 0;
	cr_assert_eq(sb_dec_mul(px, D("0.00039"), SB_ROUND_DOWN, &quote), SB_OK);
	struct sb_fill sf = {.price = px, .qty = D("0.00039"), .quote_qty = quote, .trade_id = 950};
	char cq[SB_DEC_STRLEN];
	sb_dec_format_trim(quote, cq, sizeof cq);
	sbt_bot_trade(&tb, s, &sf, "0.00039", cq, SB_ORDER_FILLED);
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_CLOSED, "the sell's fill was applied");
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sbt_bot_fills(&tb, fx->req[s].coid, &rows), 1);
	cr_assert_eq(rows[0].trade_id, 950);
	free(rows);
}

/* The realised profit of buys and sells by the profit calculator (commission valued, no BNB). */
static sb_dec profit_of(const struct sb_fill *buys, size_t nb, const struct sb_fill *sells, size_t ns)
{
	struct sb_symbol_rules rules = sbt_bot_rules("BTCUSDT");
	struct sb_cycle_result r;
	cr_assert_eq(sb_profit_cycle(&rules, buys, nb, sells, ns, 0, &r), SB_OK);
	return r.net_profit;
}

/* A sell fill of qty at price, commission 0.1% in USDT (rounded up), trade id. */
static struct sb_fill sell_fill(sb_dec price, const char *qty, int64_t id)
{
	struct sb_fill f = {.price = price, .qty = D(qty), .trade_id = id};
	cr_assert_eq(sb_dec_mul(price, f.qty, SB_ROUND_DOWN, &f.quote_qty), SB_OK);
	cr_assert_eq(sb_dec_mul(f.quote_qty, D("0.001"), SB_ROUND_UP, &f.commission), SB_OK);
	snprintf(f.commission_asset, sizeof f.commission_asset, "USDT");
	return f;
}

static const char *dec(sb_dec v, char *buf)
{
	sb_dec_format_trim(v, buf, SB_DEC_STRLEN);
	return buf;
}

Test(bot_orders, a_sell_partly_filled_then_cancelled_is_placed_again_for_the_rest)
{
	struct sb_fill bf;
	int64_t pos;
	size_t s1 = bought_and_offered(1001, &bf, &pos);
	sb_dec px = fx->req[s1].order.price;
	cr_assert_eq(fx->req[s1].order.quantity, D("0.00039"));

	/* 0.0002 of it sells, then the order is cancelled outside the daemon. */
	struct sb_fill sf[2] = {sell_fill(px, "0.0002", 1002), sell_fill(px, "0.00019", 1003)};
	char b1[SB_DEC_STRLEN], b2[SB_DEC_STRLEN];
	sbt_bot_trade(&tb, s1, &sf[0], "0.0002", dec(sf[0].quote_qty, b1), SB_ORDER_PARTIALLY_FILLED);
	sbt_bot_report(&tb, s1, SB_ORDER_CANCELED, "0.0002", dec(sf[0].quote_qty, b2));
	cr_assert_eq(sbt_bot_order(&tb, fx->req[s1].coid).status, SB_ORDER_CANCELED);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(placed(SB_SIDE_SELL), 2, "the rest is offered again");
	size_t s2 = last_place(SB_SIDE_SELL);
	cr_assert_str_neq(fx->req[s2].coid, fx->req[s1].coid, "under a new clientOrderId");
	cr_assert_eq(fx->req[s2].order.quantity, D("0.00019"), "0.0003996 - 0.0002 sold, to the step");
	cr_assert_eq(fx->req[s2].order.price, px, "at the same minimum price");
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);

	sbt_bot_ack(&tb, s2);
	char b3[SB_DEC_STRLEN];
	sbt_bot_trade(&tb, s2, &sf[1], "0.00019", dec(sf[1].quote_qty, b3), SB_ORDER_FILLED);
	struct sb_store_position p = sbt_bot_position(&tb, pos);
	cr_assert_eq(p.state, SB_POSITION_CLOSED);
	cr_assert_eq(p.sold_qty, D("0.00039"), "both sells' fills");
	cr_assert_eq(p.realised_profit, profit_of(&bf, 1, sf, 2), "the profit of the real fills");
	cr_assert_gt(p.realised_profit, 0);
}

/* The detail of the last event of kind for position pos (caller frees), or NULL. */
static char *last_detail(const char *kind, int64_t pos)
{
	struct sb_store_event_filter f = {.kind = kind};
	struct sb_store_event *evs = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_event_list(tb.b->st, &f, &evs, &n), SB_OK);
	char *d = NULL;
	for (size_t i = 0; i < n; i++)
		if (evs[i].position_id == pos && evs[i].detail) {
			free(d);
			d = strdup(evs[i].detail);
		}
	sb_store_events_free(evs, n);
	return d;
}

Test(bot_orders, a_buy_expired_in_match_keeps_what_it_bought)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	size_t b = open_and_ack();
	int64_t pos = position_of(b);
	struct sb_fill f = fill("50000", "0.0002", "10", "0.0000002", "BTC", 1101);
	sbt_bot_trade(&tb, b, &f, "0.0002", "10", SB_ORDER_PARTIALLY_FILLED);
	sbt_bot_report(&tb, b, SB_ORDER_EXPIRED_IN_MATCH, "0.0002", "10");
	cr_assert_eq(sbt_bot_order(&tb, fx->req[b].coid).status, SB_ORDER_EXPIRED_IN_MATCH);
	char *d = last_detail("position.holding", pos);
	cr_assert_not_null(d);
	cr_assert_not_null(strstr(d, "self-trade prevention"), "the event says why: %s", d);
	free(d);
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(fx->req[s].order.quantity, D("0.00019"), "what it bought is sold");
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);
}

Test(bot_orders, an_unfilled_buy_expired_in_match_ends_its_position)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	size_t b = open_and_ack();
	int64_t pos = position_of(b);
	sbt_bot_report(&tb, b, SB_ORDER_EXPIRED_IN_MATCH, "0", "0");
	cr_assert_eq(sbt_bot_order(&tb, fx->req[b].coid).status, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_CANCELED);
	char *d = last_detail("position.canceled", pos);
	cr_assert_not_null(d);
	cr_assert_not_null(strstr(d, "self-trade prevention"), "the event says why: %s", d);
	free(d);
	cr_assert_eq(placed(SB_SIDE_SELL), 0);
}

/*
 * Offers a quote every second for 40 s and answers each buy the daemon sends with answer (which checks
 * what became of it): the four buys must go out at 0, BOT_RETRY_MS, then doubled after each in a row.
 */
static void assert_buys_back_off(void (*answer)(size_t i))
{
	static const uint64_t want[] = {0, BOT_RETRY_MS, 3 * BOT_RETRY_MS, 7 * BOT_RETRY_MS};
	uint64_t at[4];
	size_t n = 0;
	for (uint64_t ms = 0; ms <= 40000 && n < 4; ms += 1000) {
		sbt_bot_advance_to(&tb, ms);
		sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
		int i = sbt_fakex_last(fx, SBT_FX_PLACE);
		if (i < 0 || fx->req[i].answered)
			continue;
		at[n++] = tb.sent[i].mono_ms;
		answer((size_t)i);
		struct sb_store_order row = sbt_bot_order(&tb, fx->req[i].coid);
		cr_assert_eq(sbt_bot_position(&tb, row.position_id).state, SB_POSITION_CANCELED);
	}
	cr_assert_eq(n, 4, "four buys in 40 s");
	for (size_t k = 0; k < 4; k++)
		cr_assert_eq(at[k], want[k], "buy %zu at %llu ms, not %llu", k, (unsigned long long)at[k],
		             (unsigned long long)want[k]);
}

static void expire_in_match(size_t i)
{
	struct sb_bn_order o = sbt_fakex_order(&fx->req[i], sbt_bot_order_id(i), SB_ORDER_EXPIRED_IN_MATCH, 0,
	                                       0, sbt_bot_now(&tb));
	sbt_fakex_answer_order(fx, i, SB_OK, 0, &o);
	cr_assert_eq(sbt_bot_order(&tb, fx->req[i].coid).status, SB_ORDER_EXPIRED_IN_MATCH);
}

Test(bot_orders, a_buy_expired_in_match_waits_longer_after_each_in_a_row)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	/* A buy meeting the account's own sell, answered EXPIRED_IN_MATCH with nothing filled, is not
	 * sent again at once (it would meet that sell again, over and over): as after a rejection. */
	assert_buys_back_off(expire_in_match);
}

Test(bot_orders, a_sell_expired_in_match_is_placed_again)
{
	struct sb_fill f;
	int64_t pos;
	size_t s1 = bought_and_offered(1201, &f, &pos);
	sbt_bot_report(&tb, s1, SB_ORDER_EXPIRED_IN_MATCH, "0", "0");
	cr_assert_eq(sbt_bot_order(&tb, fx->req[s1].coid).status, SB_ORDER_EXPIRED_IN_MATCH);
	char *d = last_detail("position.holding", pos);
	cr_assert_not_null(d);
	cr_assert_not_null(strstr(d, "self-trade prevention"), "the event says why: %s", d);
	cr_assert_not_null(strstr(d, "sold again"), "%s", d);
	free(d);
	sbt_bot_advance(&tb, 1000);
	cr_assert_eq(placed(SB_SIDE_SELL), 2, "sold again");
	size_t s2 = last_place(SB_SIDE_SELL);
	cr_assert_str_neq(fx->req[s2].coid, fx->req[s1].coid);
	cr_assert_eq(fx->req[s2].order.quantity, fx->req[s1].order.quantity);
	cr_assert_eq(fx->req[s2].order.price, fx->req[s1].order.price);
}

static void reject(size_t i)
{
	sbt_fakex_answer_order(fx, i, SB_ERR_EXCHANGE, -2010, NULL);
	struct sb_store_order row = sbt_bot_order(&tb, fx->req[i].coid);
	cr_assert_eq(row.status, SB_ORDER_REJECTED);
	cr_assert_str_eq(row.last_error, "-2010 scripted error -2010", "the exchange's words");
}

Test(bot_orders, a_rejected_buy_waits_longer_after_each_rejection_in_a_row)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	/* BOT_RETRY_MS, then doubled at each rejection in a row. */
	assert_buys_back_off(reject);
}

Test(bot_orders, a_rejected_sell_backs_off_and_is_placed_again)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0");
	size_t b = open_and_ack();
	int64_t pos = position_of(b);
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 1301);
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	static const uint64_t want[] = {0, BOT_RETRY_MS, 3 * BOT_RETRY_MS};
	size_t s[3];
	for (size_t k = 0; k < 3; k++) {
		if (k > 0) {
			sbt_bot_advance_to(&tb, want[k] - 1);
			cr_assert_eq(placed(SB_SIDE_SELL), k, "sell %zu waits", k);
			sbt_bot_advance_to(&tb, want[k]);
		}
		cr_assert_eq(placed(SB_SIDE_SELL), k + 1, "sell %zu at %llu ms", k,
		             (unsigned long long)want[k]);
		s[k] = last_place(SB_SIDE_SELL);
		cr_assert_eq(tb.sent[s[k]].mono_ms, want[k]);
		if (k < 2) {
			sbt_fakex_answer_order(fx, s[k], SB_ERR_EXCHANGE, -2010, NULL);
			cr_assert_eq(sbt_bot_order(&tb, fx->req[s[k]].coid).status, SB_ORDER_REJECTED);
			cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_HOLDING);
		}
	}
	cr_assert_str_neq(fx->req[s[1]].coid, fx->req[s[0]].coid);
	cr_assert_str_neq(fx->req[s[2]].coid, fx->req[s[1]].coid);
	cr_assert_eq(fx->req[s[2]].order.price, fx->req[s[0]].order.price);
	sbt_bot_ack(&tb, s[2]);
	cr_assert_eq(sbt_bot_position(&tb, pos).state, SB_POSITION_SELLING);
}

/* Every PLACE, CANCEL and QUERY found its order in the store as the request describes it; no
 * clientOrderId was placed twice. */
static void assert_durable_before_sent(void)
{
	for (size_t i = 0; i < fx->n; i++) {
		const struct sbt_fakex_req *r = &fx->req[i];
		const struct sbt_bot_sent *s = &tb.sent[i];
		if (r->kind != SBT_FX_PLACE && r->kind != SBT_FX_CANCEL && r->kind != SBT_FX_QUERY)
			continue;
		cr_assert(s->stored, "request %zu (%s): its order was in the store", i, r->coid);
		cr_assert(s->pos_stored, "request %zu: and its position", i);
		if (r->kind == SBT_FX_CANCEL) {
			cr_assert_eq(s->row.status, SB_ORDER_PENDING_CANCEL, "the cancel was recorded first");
			continue;
		}
		if (r->kind == SBT_FX_QUERY)
			continue;
		cr_assert_eq(s->row.status, SB_ORDER_PENDING_NEW, "request %zu: the intent", i);
		cr_assert(s->durable, "request %zu: the intent was committed", i);
		cr_assert_eq(s->row.side, r->order.side);
		cr_assert_eq(s->row.type, r->order.type);
		cr_assert_eq(s->row.orig_qty, r->order.quantity);
		cr_assert_eq(s->row.price, r->order.price);
		cr_assert_eq(s->pos.state,
		             r->order.side == SB_SIDE_BUY ? SB_POSITION_BUYING : SB_POSITION_SELLING,
		             "request %zu: the position's move was committed with it", i);
		cr_assert_eq(sbt_bot_events_of(&tb, "order.intent", r->coid), 1);
		for (size_t k = 0; k < i; k++)
			cr_assert(fx->req[k].kind != SBT_FX_PLACE || strcmp(fx->req[k].coid, r->coid) != 0,
			          "%s placed twice", r->coid);
	}
}

Test(bot_orders, every_request_finds_its_intent_in_the_store)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,stop_loss=1%");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_place(SB_SIDE_BUY);
	sbt_fakex_answer_order(fx, b, SB_ERR_UNKNOWN_OUTCOME, 0, NULL);
	sbt_bot_advance(&tb, 1000);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0);
	cr_assert_eq(tb.sent[q].row.status, SB_ORDER_UNKNOWN, "the lost answer was recorded first");
	sbt_bot_answer_about(&tb, (size_t)q, SB_ORDER_FILLED, "0.0004", "20");
	int t = sbt_fakex_last(fx, SBT_FX_MY_TRADES);
	cr_assert_geq(t, 0);
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 1401);
	struct sb_bn_my_trade tr = sbt_fakex_my_trade(&fx->req[b], sbt_bot_order_id(b), &f, sbt_bot_now(&tb));
	struct sb_bn_my_trades trades = {.items = &tr, .n = 1};
	sbt_fakex_answer_trades(fx, (size_t)t, &trades);
	size_t s = last_place(SB_SIDE_SELL);
	cr_assert_eq(tb.sent[s].pos.sell_price_target, fx->req[s].order.price,
	             "the target was committed first");
	sbt_bot_ack(&tb, s);
	sbt_fakex_book(fx, "BTCUSDT", "49000", "49000.01");
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the stop-loss cancels the sell");
	sbt_bot_answer_about(&tb, (size_t)c, SB_ORDER_CANCELED, "0", "0");
	sbt_bot_advance(&tb, 1000);
	size_t m = last_place(SB_SIDE_SELL);
	cr_assert_eq(fx->req[m].order.type, SB_ORDER_MARKET);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 3);
	assert_durable_before_sent();
}

Test(bot_orders, a_cancel_refused_as_unknown_is_not_sent_again_before_the_query_answers)
{
	struct sb_fill bf;
	int64_t pos;
	size_t s = bought_and_offered(1001, &bf, &pos);
	/* The sell fills on the exchange; its report never arrives. The operator abandons the position. */
	struct control_manual *m = control_manual_new(tb.b);
	cJSON *out = NULL;
	cr_assert_eq(control_manual_post(m, pos, "abandon", NULL, false, &out), 202);
	cJSON_Delete(out);
	control_manual_tick(m, sbt_bot_now(&tb));
	sbt_bot_pump(&tb);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1, "the sell is cancelled first");
	/* A filled order cannot be cancelled: -2011. Until the query says what became of it, a second cancel
	 * would only meet the same answer. */
	sbt_fakex_fail(fx, (size_t)sbt_fakex_last(fx, SBT_FX_CANCEL), SB_ERR_EXCHANGE, -2011);
	sbt_bot_pump(&tb);
	for (int k = 0; k < 30 && sbt_fakex_count(fx, SBT_FX_QUERY) == 0; k++) {
		sbt_bot_advance(&tb, 100);
		control_manual_tick(m, sbt_bot_now(&tb));
		sbt_bot_pump(&tb);
	}
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_QUERY), 1, "the order is queried (%zu cancels)",
	             sbt_fakex_count(fx, SBT_FX_CANCEL));
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1, "and not cancelled again meanwhile");
	char c1[SB_DEC_STRLEN];
	sb_dec_format_trim(fx->req[s].order.price * 39 / 100000, c1, sizeof c1);
	sbt_bot_answer_about(&tb, (size_t)sbt_fakex_last(fx, SBT_FX_QUERY), SB_ORDER_FILLED, "0.00039", c1);
	control_manual_tick(m, sbt_bot_now(&tb));
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1, "a filled order is never cancelled again");
	control_manual_free(m);
}

Test(bot_orders, a_cancel_left_unanswered_by_a_restart_is_decided_again_when_the_order_still_works)
{
	begin("BTCUSDT:quote=20,profit=0.5%,buy_offset=0,stop_loss=1%");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	size_t b = last_place(SB_SIDE_BUY);
	sbt_bot_ack(&tb, b);
	struct sb_fill f = fill("50000", "0.0004", "20", "0.0000004", "BTC", 1501);
	sbt_bot_trade(&tb, b, &f, "0.0004", "20", SB_ORDER_FILLED);
	size_t s = last_place(SB_SIDE_SELL);
	sbt_bot_ack(&tb, s);
	struct sbt_fakex_req sell = fx->req[s];
	int64_t sell_id = sbt_bot_order_id(s);
	/* The stop-loss cancels the sell; the daemon stops before the answer (kill -9): the database holds
	 * the cancel as asked for (PENDING_CANCEL), the exchange still has the sell working. */
	sbt_fakex_book(fx, "BTCUSDT", "49000", "49000.01");
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1, "the stop-loss cancels the sell");
	sbt_bot_restart(&tb);
	fx = tb.fx;
	sbt_bot_start_reconciling(&tb, NULL);
	/* The list shows the sell working: that does not explain a pending cancel, so it is queried. */
	int l = sbt_fakex_last(fx, SBT_FX_OPEN_ORDERS);
	cr_assert_geq(l, 0);
	struct sb_bn_order listed = sbt_fakex_order(&sell, sell_id, SB_ORDER_NEW, 0, 0, sbt_bot_now(&tb));
	struct sb_bn_order_list list = {.items = &listed, .n = 1};
	sbt_fakex_answer_orders(fx, (size_t)l, &list);
	int q = sbt_fakex_last(fx, SBT_FX_QUERY);
	cr_assert_geq(q, 0, "the sell with a pending cancel is queried");
	cr_assert_str_eq(fx->req[q].coid, sell.coid);
	sbt_fakex_answer_order(fx, (size_t)q, SB_OK, 0, &listed);
	sbt_fakex_book(fx, "BTCUSDT", "49000", "49000.01");
	sbt_bot_advance(&tb, 1000);
	int c = sbt_fakex_last(fx, SBT_FX_CANCEL);
	cr_assert_geq(c, 0, "the cancel that never took effect is decided again");
	cr_assert_str_eq(fx->req[c].coid, sell.coid);
}

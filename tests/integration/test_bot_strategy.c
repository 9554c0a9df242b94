/*
 * test_bot_strategy.c - the strategy's rules as `spotbot run` applies them against spotsim: commission taken
 * from the coins bought (sell quantity floored to the step, dust recorded), a buy filled in pieces, a buy
 * that times out partly filled, the fills of a buy still working sold at max_duration, a stop-loss exit at
 * market (also when the stream reports the limit sell's cancel before the cancel request is answered, and
 * when the bid is back above the line by then), a stop-loss the fees and the spread already reach (no
 * cycle at all), a stop-loss exit larger than one market order (sold in parts), a quote below the symbol's
 * minimum notional (said once, nothing sent), the cooldown after a stop-loss exit, and buys and sells the
 * exchange rejects, retried ever more slowly. Every outcome is checked in the database and on the
 * exchange (allOrders, myTrades).
 */
#include <cjson/cJSON.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TICK SB_DEC_C(0, 1000000) /* BTCUSDT's tick in spotsim's catalogue: 0.01 */
#define STEP SB_DEC_C(0, 1000)    /* BTCUSDT's step: 0.00001 */
#define RICH "spotsim-demo-key:spotsim-demo-secret:USDT=100000,BTC=1,BNB=10"

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, TICK, mode, &r), SB_OK);
	return r;
}

static sb_dec floor_step(sb_dec q)
{
	sb_dec r = 0;
	cr_assert_eq(sb_dec_round_to(q, STEP, SB_ROUND_DOWN, &r), SB_OK);
	return r;
}

/* The market trades at price with qty (0: ample volume) and quotes the book around it. */
static void trade_at(sb_dec price, sb_dec qty)
{
	char p[SB_DEC_STRLEN], q[SB_DEC_STRLEN], path[160];
	sb_dec_format_trim(price, p, sizeof p);
	sb_dec_format_trim(qty, q, sizeof q);
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%s&qty=%s", p, q);
	bt_post(path);
}

/* What the exchange says of one order: its status, quantities and its trades. */
struct ex_order {
	char status[32];   /* Binance status */
	sb_dec orig;       /* origQty */
	sb_dec executed;   /* executedQty */
	sb_dec quote;      /* cummulativeQuoteQty */
	size_t ntrades;    /* myTrades rows of the order */
	sb_dec trade_qty;  /* sum of their qty */
	sb_dec trade_comm; /* sum of their commission */
};

static struct ex_order exchange_order(const char *coid)
{
	struct ex_order e = {0};
	cJSON *all = bt_signed_get("/api/v3/allOrders", "symbol=BTCUSDT");
	cr_assert(cJSON_IsArray(all));
	int64_t id = -1;
	const cJSON *o;
	cJSON_ArrayForEach(o, all)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "clientOrderId");
		if (!cJSON_IsString(c) || strcmp(c->valuestring, coid) != 0)
			continue;
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "status");
		cr_assert(cJSON_IsString(s));
		snprintf(e.status, sizeof e.status, "%s", s->valuestring);
		e.orig = bt_json_dec(o, "origQty");
		e.executed = bt_json_dec(o, "executedQty");
		e.quote = bt_json_dec(o, "cummulativeQuoteQty");
		id = (int64_t)cJSON_GetObjectItemCaseSensitive(o, "orderId")->valuedouble;
	}
	cJSON_Delete(all);
	cr_assert(id >= 0, "%s is on the exchange", coid);
	cJSON *trades = bt_signed_get("/api/v3/myTrades", "symbol=BTCUSDT");
	cr_assert(cJSON_IsArray(trades));
	cJSON_ArrayForEach(o, trades)
	{
		if ((int64_t)cJSON_GetObjectItemCaseSensitive(o, "orderId")->valuedouble != id)
			continue;
		e.ntrades++;
		e.trade_qty += bt_json_dec(o, "qty");
		e.trade_comm += bt_json_dec(o, "commission");
	}
	cJSON_Delete(trades);
	return e;
}

static struct sb_store_position position(int64_t id)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_position p;
	cr_assert_eq(sb_store_position_get(st, id, &p), SB_OK);
	sb_store_close(st);
	return p;
}

/* Sums of the fills of one order. */
struct fills {
	size_t n;          /* fills */
	sb_dec qty;        /* base */
	sb_dec quote;      /* quote */
	sb_dec commission; /* commission (one asset in these tests) */
};

/* A fill's quote amount: a fill taken from an order's response carries none (0, as Binance's FULL response
 * has no quoteQty), and the profit calculator then values it at price * qty rounded against the bot. */
static sb_dec fill_quote(const struct sb_store_fill *f, enum sb_round mode)
{
	sb_dec v = f->quote_qty;
	if (v == 0)
		cr_assert_eq(sb_dec_mul(f->price, f->qty, mode, &v), SB_OK);
	return v;
}

/* Sums of the fills of one order; mode rounds unreported quote amounts (up for buys, down for sells). */
static struct fills fills_of(const char *coid, enum sb_round mode)
{
	struct fills f = {0};
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_fill *rows = NULL;
	cr_assert_eq(sb_store_fill_list(st, coid, &rows, &f.n), SB_OK);
	for (size_t i = 0; i < f.n; i++) {
		f.qty += rows[i].qty;
		f.quote += fill_quote(&rows[i], mode);
		f.commission += rows[i].commission;
	}
	free(rows);
	sb_store_close(st);
	return f;
}

/* The sell follows the fills: received = bought - commission, floored to the step, the rest dust. */
static void check_sell_plan(const struct sb_store_position *pos, const struct fills *buy)
{
	cr_assert_eq(pos->buy_qty, buy->qty);
	cr_assert_eq(pos->cost_quote, buy->quote);
	cr_assert_eq(pos->base_received, buy->qty - buy->commission,
	             "received %" PRId64 " bought %" PRId64 " commission %" PRId64, pos->base_received,
	             buy->qty, buy->commission);
	cr_assert_eq(pos->sell_qty, floor_step(pos->base_received));
	cr_assert_eq(pos->dust_qty, pos->base_received - pos->sell_qty, "dust %" PRId64, pos->dust_qty);
	cr_assert(buy->commission > 0 && pos->dust_qty > 0, "0.1%% of the coins leaves dust below the step");
	struct ex_order sell = exchange_order("sb-main-1-s0");
	cr_assert_eq(sell.orig, pos->sell_qty, "the exchange's sell is the planned quantity");
}

TestSuite(bot_strategy, .fini = bt_cleanup, .timeout = 120);

Test(bot_strategy, base_commission_is_subtracted_and_the_dust_recorded)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	struct fills bf = fills_of("sb-main-1-b0", SB_ROUND_UP);
	struct sb_store_position pos = position(1);
	check_sell_plan(&pos, &bf);
	cr_assert_eq(sell.orig_qty, pos.sell_qty);
	struct ex_order eb = exchange_order("sb-main-1-b0");
	cr_assert_str_eq(eb.status, "FILLED");
	cr_assert_eq(eb.executed, bf.qty);
	cr_assert_eq(eb.ntrades, bf.n);
	cr_assert_eq(eb.trade_comm, bf.commission, "the commission is the exchange's");

	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	struct fills sf = fills_of("sb-main-1-s0", SB_ROUND_DOWN);
	cr_assert_eq(sf.qty, pos.sell_qty, "all of the sell quantity sold");
	cr_assert_eq(pos.sold_qty, pos.sell_qty);
	cr_assert_eq(pos.proceeds, sf.quote);
	cr_assert_eq(pos.realised_profit, sf.quote - sf.commission - bf.quote,
	             "profit %" PRId64 " expected %" PRId64, pos.realised_profit,
	             sf.quote - sf.commission - bf.quote);
	/* At least the 0.5% target on cost (the dust is kept, not sold). */
	cr_assert((__int128)pos.realised_profit * 1000 >= (__int128)pos.cost_quote * 5,
	          "profit %" PRId64 " on cost %" PRId64, pos.realised_profit, pos.cost_quote);
	struct ex_order es = exchange_order("sb-main-1-s0");
	cr_assert_str_eq(es.status, "FILLED");
	cr_assert_eq(es.executed, pos.sell_qty);
	cr_assert_eq(es.quote, pos.proceeds);
	cr_assert_eq(es.trade_comm, sf.commission);
}

/* The order of the buy in four pieces: quote=1000 buys about 0.0166 BTC; 0.004 is one piece. */
#define PIECE SB_DEC_C(0, 400000)

/* The buy in the given status with qty executed. */
struct executed_q {
	enum sb_order_state status; /* wanted status */
	sb_dec qty;                 /* wanted executed quantity */
	struct sb_store_order out;  /* found */
};

static bool executed_is(struct sb_store *st, void *arg)
{
	struct executed_q *q = arg;
	return sb_store_order_get(st, "sb-main-1-b0", &q->out) == SB_OK && q->out.status == q->status &&
	       q->out.executed_qty == q->qty;
}

Test(bot_strategy, a_buy_filled_in_pieces_sells_what_all_of_them_brought)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=1000,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert(buy.orig_qty > 3 * PIECE, "the buy is larger than three pieces: %" PRId64, buy.orig_qty);
	/* A trade at the buy's own price fills it by its volume; the book a tick above does not reach it. */
	for (int i = 1; i <= 3; i++) {
		trade_at(buy.price, PIECE);
		struct executed_q q = {.status = SB_ORDER_PARTIALLY_FILLED, .qty = PIECE * i};
		cr_assert(bt_wait(executed_is, &q, 20000),
		          "piece %d: partially filled, executed %" PRId64 " (%s)", i, q.out.executed_qty,
		          sb_order_state_name(q.out.status));
		struct ex_order e = exchange_order("sb-main-1-b0");
		cr_assert_str_eq(e.status, "PARTIALLY_FILLED");
		cr_assert_eq(e.ntrades, (size_t)i);
		cr_assert_eq(position(1).state, SB_POSITION_BUYING, "still buying after piece %d", i);
	}
	/* The rest in one trade well below. */
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	struct fills bf = fills_of("sb-main-1-b0", SB_ROUND_UP);
	cr_assert_eq(bf.n, 4, "four fills: %zu", bf.n);
	cr_assert_eq(bf.qty, buy.orig_qty);
	struct sb_store_position pos = position(1);
	check_sell_plan(&pos, &bf);
	cr_assert_eq(sell.orig_qty, pos.sell_qty);
	struct ex_order eb = exchange_order("sb-main-1-b0");
	cr_assert_str_eq(eb.status, "FILLED");
	cr_assert_eq(eb.ntrades, 4);
	cr_assert_eq(eb.trade_qty, bf.qty);
	cr_assert_eq(eb.trade_comm, bf.commission);
	cr_assert_eq(eb.quote, bf.quote);
}

Test(bot_strategy, a_buy_timed_out_partly_filled_sells_what_it_got)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=1000,profit=0.5%,buy_offset=0.1%,buy_timeout=3s,cooldown=1h", "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	trade_at(buy.price, PIECE);
	buy = bt_wait_order(1, 'b', SB_ORDER_CANCELED, 20000);
	cr_assert_eq(buy.executed_qty, PIECE, "the one piece was kept: %" PRId64, buy.executed_qty);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	struct fills bf = fills_of("sb-main-1-b0", SB_ROUND_UP);
	cr_assert_eq(bf.n, 1);
	cr_assert_eq(bf.qty, PIECE);
	struct sb_store_position pos = position(1);
	cr_assert_eq(pos.state, SB_POSITION_SELLING);
	check_sell_plan(&pos, &bf);
	cr_assert_eq(sell.orig_qty, pos.sell_qty);
	cr_assert(sell.price > buy.price);
	struct ex_order eb = exchange_order("sb-main-1-b0");
	cr_assert_str_eq(eb.status, "CANCELED");
	cr_assert_eq(eb.executed, PIECE);
	cr_assert_eq(eb.ntrades, 1);
	struct ex_order es = exchange_order("sb-main-1-s0");
	cr_assert_str_eq(es.status, "NEW");
	/* Only the one position: the timed-out buy did not open another (cooldown). */
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 2);
}

Test(bot_strategy, max_duration_sells_the_fills_of_a_buy_still_working)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=1000,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h,"
	             "max_duration=2s,max_duration_sell=true",
	             "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	trade_at(buy.price, PIECE);
	/* Held since its first fill: at max_duration the rest of the buy is cancelled, what it got sold. */
	buy = bt_wait_order(1, 'b', SB_ORDER_CANCELED, 20000);
	cr_assert_eq(buy.executed_qty, PIECE, "the piece was kept: %" PRId64, buy.executed_qty);
	struct sb_store_order x = bt_wait_order(1, 'x', SB_ORDER_FILLED, 20000);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(pos.exit, SB_EXIT_MAX_DURATION, "exit: %s", sb_position_exit_name(pos.exit));
	cr_assert_eq(x.orig_qty, floor_step(pos.base_received), "the exit sells what was received");
	struct ctl_resp r;
	cr_assert(ctl("GET", "/events", NULL, &r));
	cr_assert(strstr(r.body, "\"reason\":\"MAX_DURATION\",\"held_ms\""), "alerted: %s", r.body);
	struct ex_order eb = exchange_order("sb-main-1-b0");
	cr_assert_str_eq(eb.status, "CANCELED");
	cr_assert_eq(eb.executed, PIECE);
	struct ex_order ex = exchange_order("sb-main-1-x0");
	cr_assert_str_eq(ex.status, "FILLED");
	cr_assert_eq(ex.executed, x.orig_qty);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 2,
	             "the buy and the exit, no limit sell");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

/* Waits for the market exit while the price stays at p (a quote repeated until the bot acts on it). */
static struct sb_store_order wait_exit(sb_dec p)
{
	struct bt_order_q q = {.pos = 1, .leg = 'x', .any_status = true};
	for (int i = 0; i < 100; i++) {
		bt_set_price("BTCUSDT", p);
		if (bt_wait(bt_has_order, &q, 200))
			return bt_wait_order(1, 'x', SB_ORDER_FILLED, 20000);
	}
	cr_assert_fail("no market exit at %" PRId64, p);
	return q.out;
}

Test(bot_strategy, stop_loss_sells_at_market_and_records_the_loss)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h,stop_loss=1%",
	             "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	sb_dec stop = scaled(buy.price, SB_DEC_C(0, 98000000), SB_ROUND_DOWN);
	struct sb_store_order x = wait_exit(stop);
	cr_assert_eq(x.side, SB_SIDE_SELL);
	cr_assert_eq(x.type, SB_ORDER_MARKET);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	sell = bt_wait_order(1, 's', SB_ORDER_CANCELED, 20000);
	cr_assert_eq(sell.executed_qty, 0);
	struct fills bf = fills_of("sb-main-1-b0", SB_ROUND_UP), xf = fills_of("sb-main-1-x0", SB_ROUND_DOWN);
	cr_assert_eq(xf.qty, x.orig_qty);
	cr_assert_eq(x.orig_qty, floor_step(pos.base_received), "the exit sells what was received");
	cr_assert_eq(pos.sold_qty, xf.qty);
	cr_assert_eq(pos.proceeds, xf.quote);
	sb_dec at_bid = 0;
	cr_assert_eq(sb_dec_mul(stop, xf.qty, SB_ROUND_DOWN, &at_bid), SB_OK);
	cr_assert_eq(xf.quote, at_bid, "sold at the bid, which is the market's price");
	cr_assert_eq(pos.realised_profit, xf.quote - xf.commission - bf.quote,
	             "profit %" PRId64 " expected %" PRId64, pos.realised_profit,
	             xf.quote - xf.commission - bf.quote);
	cr_assert(pos.realised_profit < 0, "a loss: %" PRId64, pos.realised_profit);
	/* 2% of the price, two commissions of 0.1% and the unsold dust (about 1% of 0.00083 BTC). */
	cr_assert(pos.realised_profit * -1000 >= pos.cost_quote * 20 &&
	              pos.realised_profit * -1000 <= pos.cost_quote * 35,
	          "loss %" PRId64 " on cost %" PRId64, pos.realised_profit, pos.cost_quote);
	cr_assert_eq(pos.exit, SB_EXIT_STOP_LOSS, "exit: %s", sb_position_exit_name(pos.exit));
	struct ex_order ex = exchange_order("sb-main-1-x0");
	cr_assert_str_eq(ex.status, "FILLED");
	cr_assert_eq(ex.executed, x.orig_qty);
	cr_assert_eq(ex.quote, pos.proceeds);
	struct ex_order es = exchange_order("sb-main-1-s0");
	cr_assert_str_eq(es.status, "CANCELED");
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 3);
}

/* The market trades BTCUSDT at price once more; true once position id is CLOSED (its row into *out). */
static bool traded_and_closed(sb_dec price, int64_t id, struct sb_store_position *out)
{
	bt_set_price("BTCUSDT", price);
	*out = position(id);
	return out->state == SB_POSITION_CLOSED;
}

Test(bot_strategy, stop_loss_over_market_lot_size_sells_in_parts)
{
	/* MARKET_LOT_SIZE allows 0.0005 BTC per market order; the position holds about 0.00083. */
	char info[512];
	sbt_source_path("tests/data/exchangeinfo/small_market_lot.json", info, sizeof info);
	const char *extra[] = {"--account", RICH, "--exchange-info", info, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h,stop_loss=1%",
	             "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	sb_dec stop = scaled(buy.price, SB_DEC_C(0, 98000000), SB_ROUND_DOWN);
	struct sb_store_order x0 = wait_exit(stop);
	cr_assert_eq(x0.orig_qty, SB_DEC_C(0, 50000), "the first part is one market order's maximum");
	/* The price stays at the stop: the rest is sold by the next market order. */
	struct sb_store_position pos;
	SBT_WAIT_UNTIL(traded_and_closed(stop, 1, &pos), 20000, "the stop-loss exit to end (is %s)",
	               sb_position_state_name(pos.state));
	cr_assert_eq(pos.exit, SB_EXIT_STOP_LOSS, "exit: %s", sb_position_exit_name(pos.exit));
	cr_assert_eq(pos.sold_qty, floor_step(pos.base_received), "everything sellable was sold");
	/* The exchange's own list: the cancelled limit sell and market sells of at most 0.0005 each. */
	cJSON *all = bt_signed_get("/api/v3/allOrders", "symbol=BTCUSDT");
	int markets = 0;
	sb_dec sold = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, all)
	{
		if (strcmp(cJSON_GetObjectItemCaseSensitive(o, "type")->valuestring, "MARKET") != 0)
			continue;
		markets++;
		cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring, "FILLED");
		cr_assert_leq(bt_json_dec(o, "origQty"), SB_DEC_C(0, 50000));
		sold += bt_json_dec(o, "executedQty");
	}
	cJSON_Delete(all);
	cr_assert_eq(markets, 2, "two market sells");
	cr_assert_eq(sold, pos.sold_qty, "the exchange sold what the database records");
	cr_assert_str_eq(exchange_order("sb-main-1-s0").status, "CANCELED");
}

/* A position with a 1% stop-loss, bought and holding with its limit sell working; returns its buy. */
static struct sb_store_order hold_with_a_limit_sell(void)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h,stop_loss=1%",
	             "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	return buy;
}

Test(bot_strategy, stop_loss_exit_goes_on_when_the_cancel_report_outruns_its_answer)
{
	struct sb_store_order buy = hold_with_a_limit_sell();
	/* REST answers are held back, user-data events are not: the stream reports the limit sell
	 * CANCELED well before the cancel request's own answer arrives. */
	bt_post("/sim/fault?name=delay_ms&value=1500");
	sb_dec stop = scaled(buy.price, SB_DEC_C(0, 98000000), SB_ROUND_DOWN);
	bt_set_price("BTCUSDT", stop);
	bt_wait_order(1, 's', SB_ORDER_CANCELED, 20000);
	bt_post("/sim/fault?name=delay_ms&value=0");
	/* The late answer finds the sell already ended; the position still leaves at market. */
	struct sb_store_order x = wait_exit(stop);
	cr_assert_eq(x.type, SB_ORDER_MARKET);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(pos.exit, SB_EXIT_STOP_LOSS, "exit: %s", sb_position_exit_name(pos.exit));
	struct ex_order ex = exchange_order("sb-main-1-x0");
	cr_assert_str_eq(ex.status, "FILLED");
	cr_assert_eq(ex.executed, x.orig_qty);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 3);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

/* The bid the daemon last accepted for BTCUSDT (GET /pairs), 0 before any. */
static sb_dec daemon_bid(void)
{
	struct ctl_resp r;
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = cJSON_Parse(r.body);
	const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "pairs"), 0);
	const cJSON *bid = cJSON_GetObjectItemCaseSensitive(p, "bid");
	sb_dec v = 0;
	if (cJSON_IsString(bid))
		cr_assert_eq(sb_dec_parse(bid->valuestring, strlen(bid->valuestring), &v), SB_OK);
	cJSON_Delete(j);
	return v;
}

/* Moves the market to p and waits until the daemon has taken the new quote (its bid changed). */
static void quote_seen(sb_dec p)
{
	sb_dec before = daemon_bid();
	bt_set_price("BTCUSDT", p);
	SBT_WAIT_UNTIL(daemon_bid() != before, 20000, "the daemon to take the quote at %" PRId64, p);
}

/* Lets the wall clock reach wall_ms (the daemon's times are wall-clock times): a window in which to count
 * what the daemon did, not a wait for something to happen. */
static void let_time_pass_until(int64_t wall_ms)
{
	int64_t left = wall_ms - sb_clock_wall_ms();
	SBT_WAIT_UNTIL_EVERY(sb_clock_wall_ms() >= wall_ms, (int)(left > 0 ? left : 0) + 1000, 100,
	                     "the wall clock to reach %" PRId64, wall_ms);
}

Test(bot_strategy, stop_loss_within_the_fees_and_spread_opens_no_cycle)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	/* The field's setting: market buys, no cooldown, a stop-loss below the 0.2% round-trip fee. */
	bt_write_env("BTCUSDT:quote=50,buy_mode=market,cooldown=0,stop_loss=0.1%", "");
	bt_start_bot();
	struct ctl_resp r;
	cr_assert(ctl_wait("/events", 200, "\"kind\":\"pair.stop_loss_refused\"", 20000, &r),
	          "the refusal is an event: %s", r.body);
	cr_assert(strstr(r.body, "\"stop_loss\":\"0.1%\""), "%s", r.body);
	cr_assert(strstr(r.body, "\"min_stop_loss\":\"0.2"), "names the smallest workable value: %s", r.body);
	cr_assert(bt_log_has("no new cycle until stop_loss is at least 0.2", 5000), "an error in the log");
	/* The market keeps moving and the daemon keeps deciding: still nothing reaches the exchange. */
	sb_dec p = daemon_bid();
	cr_assert_gt(p, 0);
	for (int i = 1; i <= 5; i++)
		quote_seen(p + TICK * 100 * i);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 0,
	             "no buy-then-stop-loss cycles");
	cr_assert(ctl("GET", "/events", NULL, &r));
	const char *first = strstr(r.body, "pair.stop_loss_refused");
	cr_assert(first && !strstr(first + 1, "pair.stop_loss_refused"), "said once: %s", r.body);
	/* A workable stop-loss (typed in lower case) lets the pair trade: exactly one cycle starts. */
	cr_assert_eq(CLI("pairs", "set", "btcusdt", "stop_loss=1%"), 0, "%s", CLI_RUN.err);
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	/* The sell acknowledged (NEW) is on the exchange's books; a FILLED buy alone says nothing of it. */
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 2,
	             "one buy and its limit sell");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(bot_strategy, a_quote_below_the_minimum_notional_is_said_not_silently_idle)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	/* BTCUSDT's NOTIONAL minimum is 5 USDT: a buy for 3 is never sent. */
	bt_write_env("BTCUSDT:quote=3,buy_offset=0.1%,buy_timeout=1h,cooldown=0", "");
	bt_start_bot();
	struct ctl_resp r;
	cr_assert(ctl_wait("/events", 200, "\"kind\":\"pair.buy_refused\"", 20000, &r),
	          "the refusal is an event: %s", r.body);
	cr_assert(strstr(r.body, "\"filter\":\"NOTIONAL\""), "names the filter: %s", r.body);
	cr_assert(strstr(r.body, "\"min_notional\":\"5\""), "and its minimum: %s", r.body);
	cr_assert(
	    bt_log_has("BTCUSDT opens no new cycle: quote=3 is below the exchange's NOTIONAL minimum of 5 "
	               "USDT",
	               5000),
	    "an error in the log");
	sb_dec p = daemon_bid();
	cr_assert_gt(p, 0);
	for (int i = 1; i <= 3; i++)
		quote_seen(p + TICK * 100 * i);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 0);
	cr_assert(ctl("GET", "/events", NULL, &r));
	const char *first = strstr(r.body, "pair.buy_refused");
	cr_assert(first && !strstr(first + 1, "pair.buy_refused"), "said once: %s", r.body);
	/* A workable quote lets the pair trade. */
	cr_assert_eq(CLI("pairs", "set", "BTCUSDT", "quote=50"), 0, "%s", CLI_RUN.err);
	struct bt_order_q q = {.pos = 1, .leg = 'b', .any_status = true};
	cr_assert(bt_wait(bt_has_order, &q, 20000), "a buy once the quote is workable");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(bot_strategy, stop_loss_exit_is_followed_by_its_cooldown)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,buy_offset=0.1%,buy_timeout=1h,cooldown=0,stop_loss=1%,"
	             "stop_loss_cooldown=3s",
	             "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	sb_dec stop = scaled(buy.price, SB_DEC_C(0, 98000000), SB_ROUND_DOWN);
	wait_exit(stop);
	struct sb_store_position first = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(first.exit, SB_EXIT_STOP_LOSS, "exit: %s", sb_position_exit_name(first.exit));
	/* The next cycle starts, but only once stop_loss_cooldown has passed since the exit. */
	struct bt_order_q q = {.pos = 2, .leg = 'b', .any_status = true};
	cr_assert(bt_wait(bt_has_order, &q, 20000), "a new cycle after the cooldown");
	cr_assert_geq(q.out.created_ms - first.closed_ms, 3000, "bought %" PRId64 " ms after the stop-loss",
	              q.out.created_ms - first.closed_ms);
	/* b0, s0 (cancelled), x0 and the new b0: nothing in between. */
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 4);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

/* Orders of the database in status, or in any status when any. */
static size_t db_orders(bool any, enum sb_order_state status)
{
	struct sb_store *st = bt_db();
	cr_assert_not_null(st);
	struct sb_store_order_filter f = {.by_status = !any, .status = status};
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &n), SB_OK);
	free(rows);
	sb_store_close(st);
	return n;
}

static bool a_buy_works(struct sb_store *st, void *arg)
{
	(void)arg;
	struct sb_store_order_filter f = {.by_status = true, .status = SB_ORDER_NEW};
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	bool ok = sb_store_order_list(st, &f, &rows, &n) == SB_OK && n > 0;
	free(rows);
	return ok;
}

Test(bot_strategy, rejected_buys_are_retried_ever_more_slowly_not_at_once)
{
	/* 30 USDT for buys of 50: the exchange refuses every buy for lack of balance. */
	const char *extra[] = {"--account", KEY ":" SECRET ":USDT=30", NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,buy_offset=0.1%,buy_timeout=1h", "");
	bt_start_bot();
	struct sb_store_order first = bt_wait_order(1, 'b', SB_ORDER_REJECTED, 20000);
	cr_assert(strstr(first.last_error, "-2010"), "%s", first.last_error);
	/* The next buys wait 5 s, then 10 s: within 8 s of the first there is one more at most, not a new
	 * cycle (and a rejected order) at every decision. */
	let_time_pass_until(first.created_ms + 8000);
	size_t n = db_orders(true, SB_ORDER_NEW);
	cr_assert_leq(n, 2, "%zu buys in 8 s", n);
	cr_assert_eq(db_orders(false, SB_ORDER_REJECTED), n);
	/* Money arrives: a later attempt is accepted and the pair trades again. */
	bt_post("/sim/deposit?key=" KEY "&asset=USDT&amount=100");
	cr_assert(bt_wait(a_buy_works, NULL, 30000), "a buy is accepted once the balance allows it");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

/* A signed request by the test itself (another client of the same account); it must answer 200. */
static void own_request(const char *method, const char *path, const char *params)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, method, path, params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s %s: %s", method, path, r.body);
	sbt_response_free(&r);
}

static bool sell_rejected(struct sb_store *st, void *arg)
{
	struct sb_store_order *o = arg;
	return sb_store_order_get(st, "sb-main-1-s1", o) == SB_OK && o->status == SB_ORDER_REJECTED;
}

Test(bot_strategy, rejected_sells_are_retried_ever_more_slowly)
{
	const char *extra[] = {"--account", KEY ":" SECRET ":USDT=1000", NULL};
	bt_start_sim(extra);
	bt_write_env("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", "");
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order s0 = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	/* The coins are sold by hand elsewhere: the daemon's sell is cancelled and the BTC sold at market. */
	own_request("DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=sb-main-1-s0");
	char params[160], qty[SB_DEC_STRLEN];
	sb_dec_format_trim(s0.orig_qty, qty, sizeof qty);
	snprintf(params, sizeof params, "symbol=BTCUSDT&side=SELL&type=MARKET&quantity=%s", qty);
	own_request("POST", "/api/v3/order", params);
	/* Every sell the position tries now is rejected for lack of balance: 5 s, then 10 s apart. */
	struct sb_store_order s1;
	cr_assert(bt_wait(sell_rejected, &s1, 20000), "the next sell is rejected");
	let_time_pass_until(s1.created_ms + 12500);
	size_t n = db_orders(false, SB_ORDER_REJECTED);
	cr_assert_leq(n, 2, "%zu rejected sells within 12.5 s", n);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(bot_strategy, stop_loss_once_decided_sells_at_market_even_if_the_price_comes_back)
{
	struct sb_store_order buy = hold_with_a_limit_sell();
	/* The bid touches the stop-loss line and comes back while the limit sell is being cancelled (its
	 * answer held back 1.5 s): the exit decided goes on at market, no new limit sell is placed. */
	bt_post("/sim/fault?name=delay_ms&value=1500");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 98000000), SB_ROUND_DOWN));
	bt_wait_order(1, 's', SB_ORDER_CANCELED, 20000);
	bt_set_price("BTCUSDT", buy.price);
	bt_post("/sim/fault?name=delay_ms&value=0");
	struct bt_order_q q = {.pos = 1, .leg = 'x', .any_status = true};
	cr_assert(bt_wait(bt_has_order, &q, 20000), "the market exit follows");
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(pos.exit, SB_EXIT_STOP_LOSS, "exit: %s", sb_position_exit_name(pos.exit));
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 3,
	             "b0, s0 and x0: no limit sell in between");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

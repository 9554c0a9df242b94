/*
 * test_bot_cycle.c - `spotbot run` against spotsim over loopback: a whole buy -> sell cycle driven by
 * moving the market, the realised profit checked against the fills, commission in BNB, a clean stop
 * on SIGTERM, and a standard error that stays empty when LOG_STDERR=false.
 */
#include "test_bot_util.h"

#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"

/* Runs one cycle on position 1: buy placed, market down through it, sell placed, market up through it. */
static struct sb_store_position run_cycle(void)
{
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(buy.side, SB_SIDE_BUY);
	cr_assert_eq(buy.type, SB_ORDER_LIMIT);
	bt_set_price("BTCUSDT", bt_scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_eq(sell.side, SB_SIDE_SELL);
	cr_assert(sell.price > buy.price, "the sell is above the buy");
	bt_set_price("BTCUSDT", bt_scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	return bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
}

static void check_profit(const struct sb_store_position *pos, bool bnb)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	sb_dec bq, bquote, bcomm, sq, squote, scomm;
	size_t nb, ns;
	bt_fills(st, "sb-main-1-b0", &bq, &bquote, &bcomm, &nb);
	bt_fills(st, "sb-main-1-s0", &sq, &squote, &scomm, &ns);
	cr_assert(nb >= 1 && ns >= 1);
	cr_assert_eq(pos->buy_qty, bq);
	cr_assert_eq(pos->proceeds, squote);
	if (!bnb) {
		/* Commission on the buy in BTC, on the sell in USDT: the profit is exact from the fills. */
		cr_assert_eq(pos->base_received, bq - bcomm);
		cr_assert_eq(pos->cost_quote, bquote);
		cr_assert_eq(pos->realised_profit, squote - scomm - bquote,
		             "profit %" PRId64 " expected %" PRId64, pos->realised_profit,
		             squote - scomm - bquote);
		cr_assert(sq <= bq - bcomm);
	} else {
		cr_assert_eq(pos->base_received, bq, "BNB commission leaves the bought quantity whole");
		cr_assert_eq(sq, bq, "all of it is sold");
		cr_assert(pos->cost_quote > bquote, "BNB commission valued into the cost");
	}
	/* The sell price was planned for 0.5% net on cost (rounding may cost a fraction of a tick). */
	cr_assert(pos->realised_profit > 0);
	cr_assert((__int128)pos->realised_profit * 1000 >= (__int128)pos->cost_quote * 4,
	          "profit %" PRId64 " on cost %" PRId64, pos->realised_profit, pos->cost_quote);
	cr_assert(pos->opened_ms > 0 && pos->closed_ms >= pos->opened_ms);
	/* Exactly one buy and one sell order exist, on the exchange and in the database. */
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	struct sb_store_order_filter f = {.position_id = 1};
	cr_assert_eq(sb_store_order_list(st, &f, &rows, &n), SB_OK);
	cr_assert_eq(n, 2);
	free(rows);
	sb_store_close(st);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\""), 2);
}

TestSuite(bot_cycle, .fini = bt_cleanup, .timeout = 120);

Test(bot_cycle, full_cycle_closes_with_the_profit_of_its_fills)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_position pos = run_cycle();
	check_profit(&pos, false);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0, "SIGTERM: clean exit 0");
	struct sb_store *st = bt_db();
	char v[64];
	cr_assert_eq(sb_store_state_get(st, SB_STORE_KEY_RUN_STATE, v, sizeof v), SB_OK);
	cr_assert_str_eq(v, "stopped");
	struct sb_store_event *ev = NULL;
	size_t n = 0;
	struct sb_store_event_filter ef = {.kind = "position.closed"};
	cr_assert_eq(sb_store_event_list(st, &ef, &ev, &n), SB_OK);
	cr_assert_eq(n, 1, "one position.closed event");
	sb_store_events_free(ev, n);
	/* One spelling: every kind the daemon wrote is lowercase, as the documentation writes them. */
	cr_assert_eq(sb_store_event_list(st, NULL, &ev, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		for (const char *c = ev[i].kind; *c; c++)
			cr_assert(*c < 'A' || *c > 'Z', "event kind %s is not lowercase", ev[i].kind);
	sb_store_events_free(ev, n);
	sb_store_close(st);
}

Test(bot_cycle, commission_in_bnb_is_valued_into_the_cost)
{
	bt_start_sim(NULL);
	bt_post("/sim/account?key=" KEY "&bnbFees=true");
	bt_write_env(PAIR_BTC, "");
	bt_start_bot();
	struct sb_store_position pos = run_cycle();
	check_profit(&pos, true);
	cr_assert_eq(bt_stop_bot(SIGINT, 5000), 0, "SIGINT: clean exit 0");
}

Test(bot_cycle, stderr_stays_empty_with_log_stderr_false)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, ""); /* LOG_STDERR=false, LOG_LEVEL=debug */
	bt_start_bot_err("bot.err");
	cr_assert(bt_wait(bt_state_is, "trading", 20000), "the daemon reaches trading");
	bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0, "SIGTERM: clean exit 0");
	char path[400], buf[4096];
	snprintf(path, sizeof path, "%s/bot.err", T.dir);
	FILE *f = fopen(path, "r");
	cr_assert(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	cr_assert_eq(n, 0, "nothing on stderr, libwebsockets' banner included:\n%s", buf);
	/* lws' lines went to the log instead (its notices at debug level). */
	snprintf(path, sizeof path, "%s/logs/spotbot.log", T.dir);
	f = fopen(path, "r");
	cr_assert(f);
	bool lws = false;
	char line[8192];
	while (!lws && fgets(line, sizeof line, f))
		lws = strstr(line, "\"component\":\"lws\"") != NULL;
	fclose(f);
	cr_assert(lws, "lws lines are in %s", path);
}

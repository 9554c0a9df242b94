/*
 * test_control_states.c - every open position can be taken to an end by hand, against a real daemon and
 * spotsim over loopback: a sell of a partly filled buy (the rest of the buy is cancelled, what was bought
 * is sold at market), abandon while the buy's reports are withheld (hide_user_events) and while the buy's
 * outcome is unknown (order_5xx_after), a manual sell the exchange's MARKET_LOT_SIZE filter refuses
 * (refused before anything is sent), a sell whose order the exchange never executes (exit 1), and
 * --timeout. Every end state is checked against spotsim's own order list, trades and balances.
 */
#include <cjson/cJSON.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN   "control-test-token"
#define TICK    SB_DEC_C(0, 1000000) /* BTCUSDT's tick: 0.01 */
#define STEP    SB_DEC_C(0, 1000)    /* BTCUSDT's step: 0.00001 */
#define PIECE   SB_DEC_C(0, 400000)  /* 0.004 BTC: a part of a 1000 USDT buy */
#define RICH    "spotsim-demo-key:spotsim-demo-secret:USDT=100000,BTC=1,BNB=10"
#define WAIT_MS 20000

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, TICK, mode, &r), SB_OK);
	return r;
}

/* What the exchange says of the order coid: its status and executed quantity ("" when it has none). */
static void exchange_order(const char *coid, char *status, size_t cap, sb_dec *executed)
{
	cJSON *all = bt_signed_get("/api/v3/allOrders", "symbol=BTCUSDT");
	status[0] = '\0';
	*executed = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, all)
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "clientOrderId");
		if (!cJSON_IsString(c) || strcmp(c->valuestring, coid) != 0)
			continue;
		snprintf(status, cap, "%s", cJSON_GetObjectItemCaseSensitive(o, "status")->valuestring);
		*executed = bt_json_dec(o, "executedQty");
	}
	cJSON_Delete(all);
}

static int exchange_orders(void)
{
	return bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"clientOrderId\"");
}

static int exchange_open_orders(void)
{
	return bt_count("/api/v3/openOrders", "symbol=BTCUSDT", "\"clientOrderId\"");
}

/* The account's BTC, free and locked, as the exchange has it. */
static sb_dec exchange_btc(void)
{
	cJSON *acct = bt_signed_get("/api/v3/account", "");
	const cJSON *b;
	sb_dec total = 0;
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(acct, "balances"))
	{
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(b, "asset");
		if (cJSON_IsString(a) && strcmp(a->valuestring, "BTC") == 0)
			total = bt_json_dec(b, "free") + bt_json_dec(b, "locked");
	}
	cJSON_Delete(acct);
	return total;
}

/* Net BTC the account got from its BTCUSDT trades (bought minus BTC commission minus sold). */
static sb_dec traded_btc(void)
{
	cJSON *trades = bt_signed_get("/api/v3/myTrades", "symbol=BTCUSDT");
	sb_dec net = 0;
	const cJSON *t;
	cJSON_ArrayForEach(t, trades)
	{
		bool buyer = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "isBuyer"));
		const cJSON *ca = cJSON_GetObjectItemCaseSensitive(t, "commissionAsset");
		sb_dec q = bt_json_dec(t, "qty"), c = bt_json_dec(t, "commission");
		net += buyer ? q : -q;
		if (cJSON_IsString(ca) && strcmp(ca->valuestring, "BTC") == 0)
			net -= c;
	}
	cJSON_Delete(trades);
	return net;
}

static void start(const char *pairs, const char *const *sim_args)
{
	bt_start_sim(sim_args);
	bt_write_env(pairs, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
}

/* An outcome's field from the CLI's JSON output ("" when missing). */
static void outcome_field(const char *name, char *out, size_t cap)
{
	cJSON *j = cJSON_Parse(CLI_RUN.out);
	cr_assert(j, "JSON: %s / %s", CLI_RUN.out, CLI_RUN.err);
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(j, "outcome");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	snprintf(out, cap, "%s",
	         cJSON_IsString(v) ? v->valuestring
	         : cJSON_IsBool(v) ? (cJSON_IsTrue(v) ? "true" : "false")
	                           : "");
	cJSON_Delete(j);
}

/* The market trades at price with qty and quotes the book around it: a small qty fills a resting order in
 * part. */
static void trade_at(sb_dec price, sb_dec qty)
{
	char p[SB_DEC_STRLEN], q[SB_DEC_STRLEN], path[160];
	sb_dec_format_trim(price, p, sizeof p);
	sb_dec_format_trim(qty, q, sizeof q);
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%s&qty=%s", p, q);
	bt_post(path);
}

/* The buy's executed quantity reaches qty (the daemon has seen the partial fill). */
struct executed_q {
	sb_dec qty;                /* wanted */
	struct sb_store_order out; /* found */
};

static bool buy_executed(struct sb_store *st, void *arg)
{
	struct executed_q *q = arg;
	return sb_store_order_get(st, "sb-main-1-b0", &q->out) == SB_OK && q->out.executed_qty == q->qty;
}

TestSuite(control_states, .fini = bt_cleanup, .timeout = 150);

Test(control_states, sell_of_a_partly_filled_buy_cancels_the_rest_and_sells_what_was_bought)
{
	const char *sim[] = {"--account", RICH, NULL};
	start("BTCUSDT:quote=1000,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", sim);
	sb_dec btc0 = exchange_btc();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	trade_at(buy.price, PIECE);
	struct executed_q q = {.qty = PIECE};
	cr_assert(bt_wait(buy_executed, &q, WAIT_MS), "partly filled: %" PRId64, q.out.executed_qty);
	/* BUYING with a fill: the sell ends the buy and sells what it brought, and says how it went. */
	cr_assert_eq(CLI("sell", "1"), 0, "%s", CLI_RUN.err);
	char v[256];
	outcome_field("ok", v, sizeof v);
	cr_assert_str_eq(v, "true", "%s", CLI_RUN.out);
	outcome_field("state", v, sizeof v);
	cr_assert_str_eq(v, "CLOSED", "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "\"status\":\"FILLED\""), "the market sell's outcome: %s", CLI_RUN.out);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, WAIT_MS);
	cr_assert_eq(pos.exit, SB_EXIT_MANUAL, "exit: %s", sb_position_exit_name(pos.exit));
	/* The exchange's own records: the buy cancelled with its one piece, the exit sold what was
	 * received (floored to the step), nothing left working, and the account holds only the dust. */
	char st[32];
	sb_dec ex = 0;
	exchange_order("sb-main-1-b0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "CANCELED");
	cr_assert_eq(ex, PIECE);
	exchange_order("sb-main-1-x0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "FILLED");
	sb_dec floor = 0;
	cr_assert_eq(sb_dec_round_to(pos.base_received, STEP, SB_ROUND_DOWN, &floor), SB_OK);
	cr_assert_eq(ex, floor, "sold %" PRId64 " of %" PRId64 " received", ex, pos.base_received);
	cr_assert_eq(exchange_orders(), 2, "no limit sell was placed in between");
	cr_assert_eq(exchange_open_orders(), 0);
	cr_assert_eq(exchange_btc() - btc0, traded_btc());
	cr_assert_eq(traded_btc(), pos.base_received - floor, "only the dust is left");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_states, abandon_while_the_buy_reports_are_withheld)
{
	const char *sim[] = {"--account", RICH, NULL};
	start("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", sim);
	sb_dec btc0 = exchange_btc();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	/* The buy fills on the exchange, but the daemon hears nothing of it: it still thinks it works. */
	bt_fault("hide_user_events", NULL);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	char st[32];
	sb_dec ex = 0;
	exchange_order("sb-main-1-b0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "FILLED");
	/* Abandon: the cancel finds the buy filled, the order manager settles it and fetches its fills,
	 * and the position is recorded ABANDONED with what was bought; nothing is sold. */
	cr_assert_eq(CLI("abandon", "1"), 0, "%s / %s", CLI_RUN.out, CLI_RUN.err);
	char v[256];
	outcome_field("state", v, sizeof v);
	cr_assert_str_eq(v, "ABANDONED", "%s", CLI_RUN.out);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_ABANDONED, WAIT_MS);
	cr_assert_eq(pos.buy_qty, ex, "what was bought is recorded: %" PRId64 " of %" PRId64, pos.buy_qty,
	             ex);
	cr_assert(strstr(pos.notes, "abandoned by hand"), "%s", pos.notes);
	cr_assert_eq(exchange_open_orders(), 0, "nothing left working");
	cr_assert_eq(exchange_btc() - btc0, pos.base_received, "the coins stay in the account");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_states, abandon_while_the_buy_outcome_is_unknown)
{
	const char *sim[] = {"--account", RICH, NULL};
	/* A market buy executes but its answer is a 503 and its reports are withheld: UNKNOWN, with fills
	 * the daemon has not seen. Whatever the order manager has settled by the time the abandon arrives
	 * (the buy by query, a limit sell sent into the same 503s), the abandon waits for it and ends it. */
	bt_start_sim(sim);
	bt_fault("order_5xx_after", NULL);
	bt_fault("hide_user_events", NULL);
	bt_write_env("BTCUSDT:quote=50,buy_mode=market,profit=0.5%,cooldown=1h", "CONTROL_TOKEN=" TOKEN);
	sb_dec btc0 = exchange_btc();
	bt_start_bot();
	bt_wait_order(1, 'b', SB_ORDER_UNKNOWN, WAIT_MS);
	cr_assert_eq(CLI("abandon", "1"), 0, "%s / %s", CLI_RUN.out, CLI_RUN.err);
	char v[256];
	outcome_field("state", v, sizeof v);
	cr_assert_str_eq(v, "ABANDONED", "%s", CLI_RUN.out);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_ABANDONED, WAIT_MS);
	char st[32];
	sb_dec ex = 0;
	exchange_order("sb-main-1-b0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "FILLED");
	cr_assert_eq(pos.buy_qty, ex, "the buy's fills were fetched: %" PRId64 " of %" PRId64, pos.buy_qty,
	             ex);
	cr_assert_eq(exchange_open_orders(), 0, "nothing left working");
	cr_assert_eq(traded_btc(), pos.base_received, "nothing was sold");
	cr_assert_eq(exchange_btc() - btc0, pos.base_received, "the coins stay in the account");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_states, timeout_is_honoured_while_the_exchange_is_slow)
{
	const char *sim[] = {"--account", RICH, NULL};
	start("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", sim);
	bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	/* Every answer of the exchange now takes 3 s and the stream is silent: the cancel of the buy
	 * cannot be known in 1 s. */
	bt_fault("hide_user_events", NULL);
	bt_fault("delay_ms", "3000");
	int64_t t0 = sb_clock_wall_ms();
	cr_assert_eq(CLI("abandon", "1", "--timeout", "1s"), 4, "%s / %s", CLI_RUN.out, CLI_RUN.err);
	int64_t took = sb_clock_wall_ms() - t0;
	cr_assert_lt(took, 2900, "the CLI gave up after about 1 s: %" PRId64 " ms", took);
	cr_assert(strstr(CLI_RUN.err, "still under way"), "%s", CLI_RUN.err);
	char v[64];
	outcome_field("done", v, sizeof v);
	cr_assert_str_eq(v, "false", "%s", CLI_RUN.out);
	/* The action goes on in the daemon: the buy had no fill, so the position ends CANCELED. */
	bt_wait_pos(1, SB_POSITION_CANCELED, WAIT_MS);
	bt_fault("delay_ms", "0");
	char st[32];
	sb_dec ex = 0;
	exchange_order("sb-main-1-b0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "CANCELED");
	cr_assert_eq(exchange_open_orders(), 0);
	cr_assert_eq(CLI("abandon", "1", "--timeout", "soon"), 2);
	cr_assert(strstr(CLI_RUN.err, "--timeout"), "%s", CLI_RUN.err);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_states, timeout_0_reports_at_once_how_far_the_action_got)
{
	const char *sim[] = {"--account", RICH, NULL};
	start("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", sim);
	bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	bt_fault("hide_user_events", NULL);
	bt_fault("delay_ms", "3000");
	/* Not waiting is not "done": the action is under way, which is exit 4 with its outcome so far. */
	int64_t t0 = sb_clock_wall_ms();
	cr_assert_eq(CLI("abandon", "1", "--timeout", "0"), 4, "%s / %s", CLI_RUN.out, CLI_RUN.err);
	cr_assert_lt(sb_clock_wall_ms() - t0, 2900, "the CLI did not wait for the exchange");
	cr_assert(strstr(CLI_RUN.err, "still under way"), "%s", CLI_RUN.err);
	char v[64];
	outcome_field("done", v, sizeof v);
	cr_assert_str_eq(v, "false", "%s", CLI_RUN.out);
	bt_wait_pos(1, SB_POSITION_CANCELED, WAIT_MS);
	bt_fault("delay_ms", "0");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_states, a_sell_over_market_lot_size_is_refused_before_anything_is_sent)
{
	char info[512];
	sbt_source_path("tests/data/exchangeinfo/small_market_lot.json", info, sizeof info);
	const char *sim[] = {"--account", RICH, "--exchange-info", info, NULL};
	start("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", sim);
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	struct sb_store_order s0 = bt_wait_order(1, 's', SB_ORDER_NEW, WAIT_MS);
	cr_assert_gt(s0.orig_qty, SB_DEC_C(0, 50000), "the position is over MARKET_LOT_SIZE's maxQty 0.0005");
	cr_assert_eq(CLI("sell", "1"), 1, "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.err, "MARKET_LOT_SIZE"), "the filter is named: %s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.err, "0.0005"), "with its limit: %s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.err, "(422)"), "%s", CLI_RUN.err);
	/* spotsim's order list proves nothing was sent: the limit sell still works, no exit exists. */
	char st[32];
	sb_dec ex = 0;
	exchange_order("sb-main-1-s0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "NEW", "the limit sell was not cancelled");
	cr_assert_eq(exchange_orders(), 2);
	exchange_order("sb-main-1-x0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "", "no market sell");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_states, a_sell_the_exchange_does_not_execute_exits_1)
{
	const char *sim[] = {"--account", RICH, NULL};
	start("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", sim);
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 's', SB_ORDER_NEW, WAIT_MS);
	/* The limit sell's cancel goes through; the market sell after it never reaches the book. */
	bt_fault("order_5xx_before", NULL);
	cr_assert_eq(CLI("sell", "1", "--timeout", "20s"), 1, "%s / %s", CLI_RUN.out, CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.err, "failed: the market sell sb-main-1-x0 ended NEVER_SENT"), "%s",
	          CLI_RUN.err);
	char v[64];
	outcome_field("ok", v, sizeof v);
	cr_assert_str_eq(v, "false", "%s", CLI_RUN.out);
	char st[32];
	sb_dec ex = 0;
	exchange_order("sb-main-1-x0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "", "spotsim never received it");
	exchange_order("sb-main-1-s0", st, sizeof st, &ex);
	cr_assert_str_eq(st, "CANCELED");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

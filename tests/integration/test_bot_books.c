/*
 * test_bot_books.c - the books against the unexpected, spotbot against spotsim over loopback: two of the
 * bot's own orders meeting as a self-trade, an exchange that restarts without its state and so forgets
 * the bot's resting orders, and order answers lost to 5xx faults. Every check is made against spotsim's
 * own records (its balances, allOrders) and the database, never against the daemon's view of itself:
 * the database's fills must explain the account's balances exactly.
 */
#include "bot/metrics.h"
#include "sbtest_prom.h"
#include "sbtest_sim.h"
#include "sbtest_sink.h"
#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN  "books-test-token"
#define FUNDS  "USDT=10000"
#define FUNDED KEY ":" SECRET ":" FUNDS
#define TICK   SB_DEC_C(0, 1000000)

static struct sbt_sink *sink;
static struct sbt_prom_doc doc; /* the last /metrics page */

static void fini(void)
{
	bt_cleanup();
	sbt_sink_stop(sink);
	sink = NULL;
}

TestSuite(bot_books, .fini = fini, .timeout = 180);

/* price * k on the tick, rounded down. */
static sb_dec times(sb_dec price, sb_dec k)
{
	sb_dec v = 0;
	cr_assert_eq(sb_dec_mul(price, k, SB_ROUND_DOWN, &v), SB_OK);
	return v - v % TICK;
}

/* The .env lines for the control token and, with the sink, the alert webhook. */
static void env_with(const char *pairs, bool alerts)
{
	char lines[512];
	if (alerts) {
		sink = sbt_sink_start();
		cr_assert(sink, "the sink listens");
		snprintf(lines, sizeof lines,
		         "CONTROL_TOKEN=" TOKEN "\nALERT_WEBHOOK_URL=http://127.0.0.1:%d/hook\n"
		         "ALERT_WEBHOOK_FORMAT=generic",
		         sbt_sink_port(sink));
	} else {
		snprintf(lines, sizeof lines, "CONTROL_TOKEN=" TOKEN);
	}
	bt_write_env(pairs, lines);
}

static void scrape(void)
{
	struct ctl_resp r;
	cr_assert(ctl("GET", "/metrics", NULL, &r));
	cr_assert_eq(r.status, 200);
	sbt_prom_parse(&doc, r.body);
}

/* A sample of the last scrape with exactly these labels (name, value, ...); 0 when absent. */
static double metric(const char *name, const char *const *labels, int n)
{
	const struct sbt_prom_sample *s = sbt_prom_lookup(&doc, name, labels, n, NULL);
	return s ? s->value : 0;
}

#define LABELS(...)                                                                                          \
	(const char *const[]){__VA_ARGS__}, (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))
#define FINDINGS(kind) metric(SB_METRIC_RECONCILE_FINDINGS, LABELS("kind", kind))

/* The account's holding of asset on the exchange (free + locked), from /sim/state. */
static sb_dec exchange_holds(const char *asset)
{
	struct sbt_response r;
	cr_assert(sbt_http(T.sim.port, "GET", "/sim/state", NULL, NULL, &r));
	cr_assert_eq(r.status, 200);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	const cJSON *acc = cJSON_GetArrayItem(sbt_jfield(j, "accounts"), 0);
	cr_assert(acc, "an account");
	sb_dec total = 0;
	const cJSON *b;
	cJSON_ArrayForEach(b, sbt_jfield(acc, "balances"))
	{
		if (strcmp(sbt_jstr(b, "asset"), asset) != 0)
			continue;
		sb_dec f = 0, l = 0;
		const char *fs = sbt_jstr(b, "free"), *ls = sbt_jstr(b, "locked");
		cr_assert_eq(sb_dec_parse(fs, strlen(fs), &f), SB_OK);
		cr_assert_eq(sb_dec_parse(ls, strlen(ls), &l), SB_OK);
		total += f + l;
	}
	cJSON_Delete(j);
	return total;
}

/* What the database's fills say the account gained in base and quote (commissions paid included). */
static void fills_explain(sb_dec *base, sb_dec *quote, size_t *nfills)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	cr_assert_eq(sb_store_order_list(st, NULL, &rows, &n), SB_OK);
	*base = *quote = 0;
	*nfills = 0;
	for (size_t i = 0; i < n; i++) {
		struct sb_store_fill *f = NULL;
		size_t nf = 0;
		cr_assert_eq(sb_store_fill_list(st, rows[i].client_order_id, &f, &nf), SB_OK);
		sb_dec sign = rows[i].side == SB_SIDE_BUY ? 1 : -1;
		for (size_t k = 0; k < nf; k++) {
			*base += sign * f[k].qty;
			*quote -= sign * f[k].quote_qty;
			if (strcmp(f[k].commission_asset, "BTC") == 0)
				*base -= f[k].commission;
			else if (strcmp(f[k].commission_asset, "USDT") == 0)
				*quote -= f[k].commission;
			else
				cr_assert_eq(f[k].commission, 0, "commission in %s", f[k].commission_asset);
		}
		*nfills += nf;
		free(f);
	}
	free(rows);
	sb_store_close(st);
}

/* The invariant: starting balances plus what the fills explain is what the exchange holds, exactly. */
static void assert_books_balance(sb_dec start_usdt)
{
	sb_dec base, quote;
	size_t n;
	fills_explain(&base, &quote, &n);
	char want[2][SB_DEC_STRLEN], got[2][SB_DEC_STRLEN];
	sb_dec held_btc = exchange_holds("BTC"), held_usdt = exchange_holds("USDT");
	sb_dec_format_trim(base, want[0], sizeof want[0]);
	sb_dec_format_trim(held_btc, got[0], sizeof got[0]);
	sb_dec_format_trim(start_usdt + quote, want[1], sizeof want[1]);
	sb_dec_format_trim(held_usdt, got[1], sizeof got[1]);
	cr_assert_eq(base, held_btc, "BTC: the %zu fills explain %s, the exchange holds %s", n, want[0],
	             got[0]);
	cr_assert_eq(start_usdt + quote, held_usdt, "USDT: the fills explain %s, the exchange holds %s",
	             want[1], got[1]);
}

/* Every order the exchange has for the account is in the books with the same status and executed
 * quantity; returns how many there are. */
static int assert_orders_agree(void)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "GET", "/api/v3/allOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *all = sbt_jparse(r.body);
	sbt_response_free(&r);
	struct sb_store *st = bt_db();
	cr_assert(st);
	int n = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, all)
	{
		const char *coid = sbt_jstr(o, "clientOrderId"), *exec = sbt_jstr(o, "executedQty");
		struct sb_store_order row;
		cr_assert_eq(sb_store_order_get(st, coid, &row), SB_OK, "exchange order %s is in the books",
		             coid);
		cr_assert_str_eq(sb_order_state_name(row.status), sbt_jstr(o, "status"), "status of %s",
		                 coid);
		sb_dec x = 0;
		cr_assert_eq(sb_dec_parse(exec, strlen(exec), &x), SB_OK);
		cr_assert_eq(row.executed_qty, x, "executed quantity of %s", coid);
		cr_assert_eq(row.exchange_order_id, (int64_t)sbt_jnum(o, "orderId"), "orderId of %s", coid);
		n++;
	}
	sb_store_close(st);
	cJSON_Delete(all);
	return n;
}

/* The fills of one order (coid) into rows (caller frees). */
static size_t order_fills(const char *coid, struct sb_store_fill **rows)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	size_t n = 0;
	cr_assert_eq(sb_store_fill_list(st, coid, rows, &n), SB_OK);
	sb_store_close(st);
	return n;
}

/* The order named arg has at least two fills. */
static bool two_fills(struct sb_store *st, void *arg)
{
	struct sb_store_fill *rows = NULL;
	size_t n = 0;
	bool ok = sb_store_fill_list(st, arg, &rows, &n) == SB_OK && n >= 2;
	free(rows);
	return ok;
}

/*
 * A stop-loss market sell of position 1 meets the bot's own resting buy of position 2 (the symbol's
 * self-trade prevention is NONE, so the trade executes): both executionReports carry the same trade id,
 * and both fills must be in the books, each applied once.
 */
Test(bot_books, self_trade_keeps_both_fills_and_the_books_explain_the_balances)
{
	char info[512];
	sbt_source_path("tests/data/exchangeinfo/stp_none.json", info, sizeof info);
	const char *extra[] = {"--exchange-info", info, "--symbols", "BTCUSDT", "--account", FUNDED, NULL};
	bt_start_sim(extra);
	env_with("BTCUSDT:quote=50,profit=0.5%,buy_offset=2%,buy_timeout=1h,cooldown=0s,stop_loss=1%", false);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	/* The symbol allows no mode but NONE: orders go without one, and the daemon says so once. */
	cr_assert(bt_log_has("does not allow self-trade prevention mode EXPIRE_TAKER", 5000));
	bt_set_price("BTCUSDT", buy.price);
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);

	/* A second position: its buy rests 2% under the bid, below position 1's stop-loss price. */
	struct ctl_resp r;
	cr_assert(
	    ctl_send("POST", "/pairs/BTCUSDT", TOKEN, "{\"settings\":{\"max_positions\":\"2\"}}", 5000L, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct sb_store_order buy2 = bt_wait_order(2, 'b', SB_ORDER_NEW, 20000);
	cr_assert(buy2.price < times(buy.price, SB_DEC_C(0, 99000000)), "under the stop-loss price");

	/* The market trades a few steps at that price: position 2's buy gets them and is the best bid, so
	 * position 1 is past its stop-loss, and its market sell meets position 2's buy first. */
	char path[160], p[SB_DEC_STRLEN];
	sb_dec_format_trim(buy2.price, p, sizeof p);
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%s&qty=0.00001", p);
	bt_post(path);
	bt_wait_order(1, 'x', SB_ORDER_FILLED, 20000);
	cr_assert(bt_wait(two_fills, "sb-main-2-b0", 20000), "position 2's buy has the self-trade's fill");

	struct sb_store_fill *sells = NULL, *buys = NULL;
	size_t ns = order_fills("sb-main-1-x0", &sells), nb = order_fills("sb-main-2-b0", &buys);
	cr_assert_eq(ns, 1, "the market sell met one order");
	size_t shared = 0;
	for (size_t i = 0; i < nb; i++)
		if (buys[i].trade_id == sells[0].trade_id) {
			shared++;
			cr_assert_eq(buys[i].qty, sells[0].qty);
			cr_assert_eq(buys[i].price, sells[0].price);
			cr_assert(buys[i].is_maker && !sells[0].is_maker);
		}
	cr_assert_eq(shared, 1, "the self-trade is in the books once on each side (trade %" PRId64 ")",
	             sells[0].trade_id);
	free(sells);
	free(buys);

	/* Position 2 counts what it bought from position 1. */
	struct bt_order_q q = {.pos = 2, .leg = 'b', .any_status = true};
	cr_assert(bt_wait(bt_has_order, &q, 1000));
	sb_dec qty, quote, comm;
	size_t n;
	struct sb_store *st = bt_db();
	bt_fills(st, "sb-main-2-b0", &qty, &quote, &comm, &n);
	struct sb_store_position p2;
	cr_assert_eq(sb_store_position_get(st, 2, &p2), SB_OK);
	sb_store_close(st);
	cr_assert_eq(p2.buy_qty, qty, "the position holds every fill of its buy");
	cr_assert_eq(q.out.executed_qty, qty, "the order's executed quantity is explained by its fills");
	bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	sb_dec start = 0;
	cr_assert_eq(sb_dec_parse("10000", 5, &start), SB_OK);
	assert_books_balance(start);
	cr_assert_eq(assert_orders_agree(), 4, "two buys, the limit sell cancelled for the exit, the exit");
	struct sb_store *db = bt_db();
	struct sb_store_position p1;
	cr_assert_eq(sb_store_position_get(db, 1, &p1), SB_OK);
	sb_store_close(db);
	cr_assert_eq(p1.exit, SB_EXIT_STOP_LOSS, "exit: %s", sb_position_exit_name(p1.exit));
}

/* A sample of a fresh scrape (metric's arguments). */
static double scraped(const char *name, const char *const *labels, int n)
{
	scrape();
	return metric(name, labels, n);
}

/* Waits until the daemon has no REST call out. */
static void wait_idle(void)
{
	struct ctl_resp r;
	cr_assert(ctl_wait("/status", 200, "\"inflight_requests\":0", 20000, &r), "idle: %s", r.body);
}

/* Starts spotsim with args; true when it listens on port (the port may still be held a moment after the
 * previous spotsim was killed: then it is stopped again). */
static bool started_on(const char *const *args, int port)
{
	if (sbt_spotsim_start(&T.sim, args) && T.sim.port == port)
		return true;
	if (T.sim.pid > 0)
		sbt_proc_stop(&T.sim, SIGKILL, 2000);
	return false;
}

/* spotsim again on the same port with nothing of before, the account funded anew: an exchange that
 * restarted without its state. */
static void restart_sim_empty(const char *funds)
{
	int port = T.sim.port;
	cr_assert_eq(sbt_proc_stop(&T.sim, SIGKILL, 5000), 128 + SIGKILL);
	char listen[32];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	const char *args[] = {"--speed",   "0.01", "--seed",   "5",    "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT",
	                      "--account", funds,  "--listen", listen, NULL};
	SBT_WAIT_UNTIL(started_on(args, port), 20000, "spotsim to listen on port %d again", port);
}

/* The order named arg is NEW. */
static bool order_new(struct sb_store *st, void *arg)
{
	struct sb_store_order o;
	return sb_store_order_get(st, arg, &o) == SB_OK && o.status == SB_ORDER_NEW;
}

/* A position's event of kind whose detail contains needle. */
struct ev_q {
	int64_t pos;        /* position id */
	const char *kind;   /* event kind */
	const char *needle; /* in its detail */
};

static bool has_event(struct sb_store *st, void *arg)
{
	struct ev_q *q = arg;
	struct sb_store_event_filter f = {.kind = q->kind};
	struct sb_store_event *ev = NULL;
	size_t n = 0;
	bool found = false;
	if (sb_store_event_list(st, &f, &ev, &n) == SB_OK)
		for (size_t i = 0; i < n; i++)
			found = found || (ev[i].position_id == q->pos && strstr(ev[i].detail, q->needle));
	sb_store_events_free(ev, n);
	return found;
}

/*
 * The exchange restarts without its state while the bot has a resting sell (position 1) and a resting
 * buy (position 2): both orders are unknown to it now. Each is settled once (LOST, after its trades were
 * fetched), alerted and counted; position 2 ends CANCELED, position 1 is sold again, a new cycle starts,
 * and reconciliation never asks about the lost orders again.
 */
Test(bot_books, orders_the_exchange_forgot_end_lost_alerted_and_counted_and_trading_goes_on)
{
	const char *extra[] = {"--account", FUNDED, NULL};
	bt_start_sim(extra);
	env_with("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=0s", true);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", times(buy.price, SB_DEC_C(0, 99800000)));
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	struct ctl_resp r;
	cr_assert(
	    ctl_send("POST", "/pairs/BTCUSDT", TOKEN, "{\"settings\":{\"max_positions\":\"2\"}}", 5000L, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	bt_wait_order(2, 'b', SB_ORDER_NEW, 20000);

	restart_sim_empty(KEY ":" SECRET ":USDT=10000,BTC=1");
	bt_wait_order(1, 's', SB_ORDER_LOST, 30000);
	bt_wait_order(2, 'b', SB_ORDER_LOST, 30000);
	struct sb_store_position p2 = bt_wait_pos(2, SB_POSITION_CANCELED, 20000);
	cr_assert_eq(p2.buy_qty, 0);
	struct ev_q cancel = {.pos = 2, .kind = "position.CANCELED", .needle = "no longer knows"};
	cr_assert(bt_wait(has_event, &cancel, 5000), "position 2 ended with the reason");
	struct ev_q again = {.pos = 1, .kind = "position.HOLDING", .needle = "sold again"};
	cr_assert(bt_wait(has_event, &again, 5000), "position 1 went back to be sold again");

	/* Trading goes on against the new exchange: position 1's new sell and a new cycle's buy. */
	cr_assert(bt_wait(order_new, "sb-main-1-s1", 30000), "position 1 sells again (sb-main-1-s1 NEW)");
	bt_wait_order(3, 'b', SB_ORDER_NEW, 30000);
	/* The exchange's records: exactly the two orders placed since it restarted, both in the books. */
	cr_assert_eq(assert_orders_agree(), 2);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"sb-main-1-s1\""), 1);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"sb-main-3-b0\""), 1);

	char body[4096];
	cr_assert(sbt_sink_wait(sink, "reconciliation:lost_order:sb-main-1-s0", 10000, body, sizeof body),
	          "the lost sell is alerted");
	cr_assert(strstr(body, "\"severity\":\"warning\""), "%s", body);
	cr_assert(sbt_sink_wait(sink, "reconciliation:lost_order:sb-main-2-b0", 10000, NULL, 0),
	          "the lost buy is alerted");
	scrape();
	cr_assert_eq(FINDINGS("lost_order"), 2);
	cr_assert_eq(metric(SB_METRIC_ORDERS, LABELS("symbol", "BTCUSDT", "side", "SELL", "outcome", "lost")),
	             1);
	cr_assert_eq(metric(SB_METRIC_ORDERS, LABELS("symbol", "BTCUSDT", "side", "BUY", "outcome", "lost")),
	             1);

	/* No query loop: a reconciliation now lists the open orders, which explain the two working ones; the
	 * lost ones are never asked about again. */
	wait_idle();
	scrape();
	double runs = metric(SB_METRIC_RECONCILE_RUNS, LABELS("trigger", "stream"));
	double queries = metric(SB_METRIC_REST_LATENCY "_count", LABELS("endpoint", "/api/v3/order"));
	double lists = metric(SB_METRIC_REST_LATENCY "_count", LABELS("endpoint", "/api/v3/openOrders"));
	bt_fault("drop_ws", NULL);
	SBT_WAIT_UNTIL(scraped(SB_METRIC_RECONCILE_RUNS, LABELS("trigger", "stream")) >= runs + 1, 30000,
	               "a reconciliation after the %g before", runs);
	SBT_WAIT_UNTIL(scraped(SB_METRIC_REST_LATENCY "_count", LABELS("endpoint", "/api/v3/openOrders")) >=
	                   lists + 1,
	               20000, "the open orders to be listed (%g lists before)", lists);
	wait_idle();
	scrape();
	cr_assert_eq(metric(SB_METRIC_REST_LATENCY "_count", LABELS("endpoint", "/api/v3/order")), queries,
	             "the working orders were explained by the list, the lost ones never asked about again");
	cr_assert_eq(FINDINGS("lost_order"), 2, "counted once each");
	cr_assert_not(bt_log_has("QUERY_NOT_FOUND ignored", 0));
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/*
 * Order answers lost to 5xx: a buy executed but answered 503 (its stream report arrives all the same),
 * and a sell answered 503 without executing. Both are orders of unknown outcome settled by query, and
 * spotbot_reconciliation_findings_total{kind="settled_unknown"} counts both.
 */
Test(bot_books, orders_answered_5xx_count_as_settled_unknown)
{
	bt_start_sim(NULL);
	bt_fault("order_5xx_after", "on");
	env_with("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h", false);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	SBT_WAIT_UNTIL(scraped(SB_METRIC_RECONCILE_FINDINGS, LABELS("kind", "settled_unknown")) >= 1, 20000,
	               "the buy answered 503 to be settled by query and counted");
	bt_fault("order_5xx_after", "off");
	bt_fault("order_5xx_before", "on");
	bt_set_price("BTCUSDT", times(buy.price, SB_DEC_C(0, 99800000)));
	bt_wait_order(1, 's', SB_ORDER_NEVER_SENT, 20000);
	bt_fault("order_5xx_before", "off");
	SBT_WAIT_UNTIL(scraped(SB_METRIC_RECONCILE_FINDINGS, LABELS("kind", "settled_unknown")) >= 2, 20000,
	               "the sell answered 503 to be settled by query and counted");
	wait_idle();
	scrape();
	cr_assert_eq(FINDINGS("settled_unknown"), 2, "one per order answered 503");
	cr_assert_eq(FINDINGS("missed_update"), 0);
	/* The exchange: the buy exists (it executed), the first sell never reached it. */
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"sb-main-1-b0\""), 1);
	cr_assert_eq(bt_count("/api/v3/allOrders", "symbol=BTCUSDT", "\"sb-main-1-s0\""), 0);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/*
 * The same meeting on a symbol with Binance's self-trade prevention (the catalogue's: EXPIRE_MAKER by
 * default, every mode allowed): position 1's stop-loss market sell goes with EXPIRE_MAKER, so the
 * exchange expires position 2's resting buy instead of trading with it (EXPIRED_IN_MATCH) and the exit
 * goes on into the market. Position 2 keeps what the market sold it before, nothing trades between the
 * bot's own orders, and the books still explain the account exactly.
 */
Test(bot_books, exit_expires_the_bots_own_resting_buy_in_match_and_the_books_still_balance)
{
	const char *extra[] = {"--symbols", "BTCUSDT", "--account", FUNDED, NULL};
	bt_start_sim(extra);
	env_with("BTCUSDT:quote=50,profit=0.5%,buy_offset=2%,buy_timeout=1h,cooldown=0s,stop_loss=1%", false);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", buy.price);
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert_not(bt_log_has("does not allow self-trade prevention mode", 0),
	              "the catalogue allows both");

	struct ctl_resp r;
	cr_assert(
	    ctl_send("POST", "/pairs/BTCUSDT", TOKEN, "{\"settings\":{\"max_positions\":\"2\"}}", 5000L, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	struct sb_store_order buy2 = bt_wait_order(2, 'b', SB_ORDER_NEW, 20000);
	cr_assert(buy2.price < times(buy.price, SB_DEC_C(0, 99000000)), "under the stop-loss price");

	/* The market trades at position 2's price: a piece of its buy fills, and the book under it (5 levels
	 * of that piece) holds more than position 1 sells, so the exit can go on past the expired buy. */
	char path[160], p[SB_DEC_STRLEN];
	sb_dec_format_trim(buy2.price, p, sizeof p);
	snprintf(path, sizeof path, "/sim/price?symbol=BTCUSDT&price=%s&qty=0.0002", p);
	bt_post(path);
	bt_wait_order(1, 'x', SB_ORDER_FILLED, 20000);
	struct sb_store_order b2 = bt_wait_order(2, 'b', SB_ORDER_EXPIRED_IN_MATCH, 20000);

	/* The exchange's own record of position 2's buy: expired in match, with the prevented quantity. */
	char params[160];
	snprintf(params, sizeof params, "symbol=BTCUSDT&origClientOrderId=%s", b2.client_order_id);
	struct sbt_response q;
	cr_assert(sbt_signed(T.sim.port, "GET", "/api/v3/order", params, KEY, SECRET, &q));
	cr_assert_eq(q.status, 200, "%s", q.body);
	cJSON *o = sbt_jparse(q.body);
	sbt_response_free(&q);
	cr_assert_str_eq(sbt_jstr(o, "status"), "EXPIRED_IN_MATCH");
	cr_assert_str_eq(sbt_jstr(o, "selfTradePreventionMode"), "EXPIRE_TAKER", "a buy yields to an exit");
	sb_dec prevented = 0;
	const char *pq = sbt_jstr(o, "preventedQuantity");
	cr_assert_eq(sb_dec_parse(pq, strlen(pq), &prevented), SB_OK);
	cr_assert_gt(prevented, 0, "the exchange prevented a match");
	cJSON_Delete(o);

	/* No trade between the bot's own orders: the exit's fills and the buy's share no trade id. */
	struct sb_store_fill *sells = NULL, *buys = NULL;
	size_t ns = order_fills("sb-main-1-x0", &sells), nb = order_fills(b2.client_order_id, &buys);
	cr_assert_gt(ns, 0, "the exit traded with the market");
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < nb; k++)
			cr_assert_neq(sells[i].trade_id, buys[k].trade_id,
			              "trade %" PRId64 " is a self-trade", sells[i].trade_id);
	free(sells);
	free(buys);

	/* Position 2 goes on with what the market sold it, and says why its buy ended. */
	bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	struct ev_q ev = {.kind = b2.executed_qty > 0 ? "position.holding" : "position.canceled",
	                  .pos = 2,
	                  .needle = "self-trade prevention"};
	cr_assert(bt_wait(has_event, &ev, 20000), "position 2 records why its buy ended (%s)", ev.kind);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	sb_dec start = 0;
	cr_assert_eq(sb_dec_parse("10000", 5, &start), SB_OK);
	assert_books_balance(start);
	cr_assert_geq(assert_orders_agree(), 4, "two buys, the limit sell cancelled for the exit, the exit");
}

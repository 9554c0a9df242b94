/*
 * Market streams and the user data stream against the real spotsim program over loopback: subscriptions
 * added and removed live, reconnects after spotsim drops every socket, the stall watchdog, a rollover
 * without a gap or a duplicate, and user events (NEW, TRADE with its trade id and commission) with
 * eventStreamTerminated, hidden events and drops; orders placed with order.place on the user data
 * connection, answered, lost with the connection or unanswered. The test drives its own uv loop until the
 * awaited event has happened, with a deadline that fails the test; nothing waits by sleeping.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"
#include "sbtest_loop.h"
#include "sbtest_sim.h"
#include "sim/server.h"
#include "spotbot/binance_streams.h"
#include "spotbot/log.h"

#define KEY         "st-key"
#define SECRET      "st-secret"
#define DEADLINE_MS 15000
#define NSYM        4
#define MAX_TRADES  200000

static const char *const SYMS[NSYM] = {"BTCUSDT", "ETHUSDT", "BNBUSDT", "QUIETUSDT"};

struct per_sym {
	unsigned books;     /* bookTicker events */
	unsigned trades;    /* trade events */
	int64_t first_t;    /* first trade id delivered; -1 none */
	int64_t max_t;      /* highest trade id delivered */
	bool bad_book;      /* a bid above its ask, or a zero price */
	unsigned dup_trade; /* trade ids delivered twice */
};

static struct {
	struct sbt_proc sim;                 /* spotsim */
	uv_loop_t loop;                      /* the test's loop */
	struct sb_ws_ctx *ctx;               /* lws context */
	struct sb_bn_market_stream *ms;      /* under test */
	struct sb_bn_user_stream *us;        /* under test */
	struct sb_signer *signer;            /* HMAC for KEY */
	struct per_sym sym[NSYM];            /* market events by symbol */
	unsigned char *seen_t[NSYM];         /* trade ids seen, by symbol */
	unsigned links[3];                   /* link callbacks by state */
	unsigned snapshots;                  /* snapshot callbacks */
	unsigned snapshot_reconnects;        /* ... of which after a reconnect */
	size_t snapshot_n;                   /* symbols in the last one */
	unsigned reconciles[3];              /* reconcile callbacks by reason */
	unsigned user_events;                /* user events */
	unsigned exec_new, exec_trade;       /* executionReports NEW and TRADE */
	struct sb_bn_exec_report last_trade; /* the last TRADE report */
	char last_new_coid[64];              /* clientOrderId of the last NEW */
	unsigned positions;                  /* outboundAccountPosition events */
	unsigned time_refusals;              /* time_refused callbacks */
	int64_t measured_offset_ms;          /* what the owner "measures" when one comes */
	unsigned placed;                     /* order.place callbacks */
	sb_err placed_err;                   /* the last one's result */
	struct sb_bn_order placed_order;     /* its order, when SB_OK */
} T;

static int sym_index(const char *s)
{
	for (int i = 0; i < NSYM; i++)
		if (strcmp(SYMS[i], s) == 0)
			return i;
	return -1;
}

/* ---- callbacks ------------------------------------------------------------------------------------ */

static void on_market(void *user, const struct sb_bn_market_event *ev)
{
	(void)user;
	if (ev->kind == SB_BN_MKT_BOOK_TICKER) {
		int i = sym_index(ev->book_ticker->symbol);
		cr_assert_geq(i, 0);
		T.sym[i].books++;
		if (ev->book_ticker->bid_price <= 0 ||
		    ev->book_ticker->ask_price < ev->book_ticker->bid_price)
			T.sym[i].bad_book = true;
	} else if (ev->kind == SB_BN_MKT_TRADE) {
		int i = sym_index(ev->trade->symbol);
		cr_assert_geq(i, 0);
		struct per_sym *p = &T.sym[i];
		int64_t t = ev->trade->trade_id;
		cr_assert(t >= 0 && t < MAX_TRADES);
		if (T.seen_t[i][t])
			p->dup_trade++;
		T.seen_t[i][t] = 1;
		if (p->first_t < 0)
			p->first_t = t;
		if (t > p->max_t)
			p->max_t = t;
		p->trades++;
	}
}

static void on_snapshot(void *user, const char *const *symbols, size_t n, bool reconnect)
{
	(void)user;
	(void)symbols;
	T.snapshots++;
	T.snapshot_n = n;
	if (reconnect)
		T.snapshot_reconnects++;
}

static void on_link(void *user, enum sb_bn_link l)
{
	(void)user;
	T.links[l]++;
}

static void on_user_event(void *user, const struct sb_bn_user_event *ev)
{
	(void)user;
	T.user_events++;
	if (ev->kind == SB_BN_USER_ACCOUNT_POSITION)
		T.positions++;
	if (ev->kind != SB_BN_USER_EXEC_REPORT)
		return;
	if (ev->u.exec.exec_type == SB_BN_EXEC_NEW) {
		T.exec_new++;
		snprintf(T.last_new_coid, sizeof T.last_new_coid, "%s", ev->u.exec.client_order_id);
	} else if (ev->u.exec.exec_type == SB_BN_EXEC_TRADE) {
		T.exec_trade++;
		T.last_trade = ev->u.exec;
	}
}

static void on_reconcile(void *user, enum sb_bn_reconcile_reason why)
{
	(void)user;
	T.reconciles[why]++;
}

/* ---- setup ---------------------------------------------------------------------------------------- */

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=1000000,BTC=10,ETH=100,BNB=100",
	                                   "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT",
	                                   "--speed",   "20",
	                                   "--seed",    "11",
	                                   NULL};
	memset(&T, 0, sizeof T);
	sb_log_set_level(SB_LOG_ERROR); /* reconnect warnings are the point of these tests */
	for (int i = 0; i < NSYM; i++) {
		T.sym[i].first_t = T.sym[i].max_t = -1;
		T.seen_t[i] = calloc(MAX_TRADES, 1);
	}
	cr_assert(sbt_spotsim_start(&T.sim, args));
	cr_assert_eq(uv_loop_init(&T.loop), 0);
	cr_assert_eq(sb_ws_ctx_new(&T.loop, &T.ctx), SB_OK);
	cr_assert_eq(sb_signer_new_hmac(SECRET, strlen(SECRET), &T.signer), SB_OK);
}

static void stop(void)
{
	sb_bn_market_stream_free(T.ms);
	sb_bn_user_stream_free(T.us);
	uv_run(&T.loop, UV_RUN_NOWAIT);
	sb_ws_ctx_free(T.ctx);
	cr_assert_eq(uv_loop_close(&T.loop), 0, "a uv handle was left open");
	sb_signer_free(T.signer);
	for (int i = 0; i < NSYM; i++)
		free(T.seen_t[i]);
	cr_assert_eq(sbt_proc_stop(&T.sim, SIGTERM, 5000), 0);
}

TestSuite(streams, .init = start, .fini = stop, .timeout = 120);

static void market_open_with(const char *const *syms, size_t n, uint32_t stall_ms, uint32_t rollover_ms,
                             bool trades)
{
	char base[64];
	snprintf(base, sizeof base, "ws://127.0.0.1:%d", T.sim.port);
	struct sb_bn_market_stream_opts o = {.base_url = base,
	                                     .stall_ms = stall_ms,
	                                     .rollover_ms = rollover_ms,
	                                     .backoff_min_ms = 50,
	                                     .backoff_max_ms = 200,
	                                     .trades = trades};
	struct sb_bn_market_stream_ops ops = {on_market, on_snapshot, on_link};
	cr_assert_eq(sb_bn_market_stream_new(&T.loop, T.ctx, &o, &ops, NULL, syms, n, &T.ms), SB_OK);
}

/* The stream with each symbol's trades too, which these tests follow for gaps and duplicates. */
static void market_open(const char *const *syms, size_t n, uint32_t stall_ms, uint32_t rollover_ms)
{
	market_open_with(syms, n, stall_ms, rollover_ms, true);
}

static struct sb_bn_market_stream_stats mstats(void)
{
	struct sb_bn_market_stream_stats s;
	sb_bn_market_stream_stats(T.ms, &s);
	return s;
}

/* ---- market streams ------------------------------------------------------------------------------- */

Test(streams, market_delivers_book_ticker_and_trade_for_two_symbols)
{
	const char *syms[] = {"BTCUSDT", "ethusdt"};
	market_open(syms, 2, 0, 0);
	SBT_RUN_UNTIL(&T.loop,
	              T.sym[0].books >= 5 && T.sym[0].trades >= 5 && T.sym[1].books >= 5 &&
	                  T.sym[1].trades >= 5,
	              DEADLINE_MS);
	cr_assert_eq(T.links[SB_BN_LINK_UP], 1);
	cr_assert_eq(T.snapshots, 1, "prices from REST at the start");
	cr_assert_eq(T.snapshot_reconnects, 0);
	cr_assert_eq(T.snapshot_n, 2);
	cr_assert_eq(T.sym[2].books + T.sym[2].trades, 0, "BNBUSDT was never asked for");
	cr_assert_not(T.sym[0].bad_book || T.sym[1].bad_book);
	struct sb_bn_market_stream_stats s = mstats();
	cr_assert_eq(s.parse_errors, 0);
	cr_assert_eq(s.ctl_sent, 0, "everything came from the URL");
	struct sb_bn_market_symbol_stats ss;
	cr_assert_eq(sb_bn_market_stream_symbol_stats(T.ms, "BTCUSDT", &ss), SB_OK);
	cr_assert_eq(ss.messages, T.sym[0].books + T.sym[0].trades);
	cr_assert_gt(ss.last_ms, 0);
}

Test(streams, market_without_trades_subscribes_book_tickers_only)
{
	const char *syms[] = {"BTCUSDT"};
	market_open_with(syms, 1, 0, 0, false);
	SBT_RUN_UNTIL(&T.loop, T.sym[0].books >= 20, DEADLINE_MS);
	cr_assert_eq(sb_bn_market_stream_add(T.ms, "ETHUSDT", NULL), SB_OK);
	SBT_RUN_UNTIL(&T.loop, T.sym[1].books >= 20 && sb_bn_market_stream_synced(T.ms), DEADLINE_MS);
	cr_assert_eq(T.sym[0].trades + T.sym[1].trades, 0, "no trade delivered");
	struct sb_bn_market_stream_stats s = mstats();
	cr_assert_eq(s.unwanted, 0, "and none sent: the exchange was never asked for a trade stream");
	cr_assert_eq(s.events, T.sym[0].books + T.sym[1].books);
}

Test(streams, market_symbol_added_live_delivers_and_removed_stops)
{
	const char *syms[] = {"BTCUSDT", "ETHUSDT"};
	market_open(syms, 2, 0, 0);
	SBT_RUN_UNTIL(&T.loop, T.sym[0].trades >= 2, DEADLINE_MS);
	cr_assert_eq(sb_bn_market_stream_add(T.ms, "BNBUSDT", "1m"), SB_OK);
	SBT_RUN_UNTIL(&T.loop,
	              T.sym[2].books >= 3 && T.sym[2].trades >= 3 && sb_bn_market_stream_synced(T.ms),
	              DEADLINE_MS);
	cr_assert_eq(mstats().ctl_sent, 1, "one SUBSCRIBE");

	cr_assert_eq(sb_bn_market_stream_remove(T.ms, "BNBUSDT"), SB_OK);
	unsigned bnb = T.sym[2].books + T.sym[2].trades;
	SBT_RUN_UNTIL(&T.loop, sb_bn_market_stream_synced(T.ms), DEADLINE_MS);
	cr_assert_eq(mstats().ctl_sent, 2, "one UNSUBSCRIBE");
	unsigned btc = T.sym[0].trades;
	SBT_RUN_UNTIL(&T.loop, T.sym[0].trades >= btc + 20, DEADLINE_MS);
	cr_assert_eq(T.sym[2].books + T.sym[2].trades, bnb, "nothing of BNBUSDT after its removal");
	cr_assert_eq(sb_bn_market_stream_remove(T.ms, "BNBUSDT"), SB_ERR_NOT_FOUND);
	cr_assert_eq(mstats().ctl_errors, 0);
}

Test(streams, market_reconnects_after_drop_resubscribes_and_asks_for_a_snapshot)
{
	const char *syms[] = {"BTCUSDT"};
	market_open(syms, 1, 0, 0);
	SBT_RUN_UNTIL(&T.loop, T.sym[0].trades >= 2, DEADLINE_MS);
	cr_assert_eq(sb_bn_market_stream_add(T.ms, "ETHUSDT", NULL), SB_OK); /* not in the URL */
	SBT_RUN_UNTIL(&T.loop, T.sym[1].trades >= 2 && sb_bn_market_stream_synced(T.ms), DEADLINE_MS);

	sbt_sim_fault(T.sim.port, "drop_ws");
	SBT_RUN_UNTIL(&T.loop, T.links[SB_BN_LINK_DOWN] >= 1, DEADLINE_MS);
	unsigned eth = T.sym[1].trades, btc = T.sym[0].trades;
	SBT_RUN_UNTIL(&T.loop,
	              T.links[SB_BN_LINK_UP] >= 2 && T.sym[1].trades >= eth + 3 && T.sym[0].trades >= btc + 3,
	              DEADLINE_MS);
	struct sb_bn_market_stream_stats s = mstats();
	cr_assert_eq(s.reconnects, 1);
	cr_assert_eq(T.snapshot_reconnects, 1, "a REST snapshot after the reconnect");
	cr_assert_eq(T.snapshot_n, 2, "for both symbols");
	cr_assert_geq(s.ctl_sent, 2, "ETHUSDT subscribed again on the new connection");
}

Test(streams, market_stall_watchdog_reconnects_a_silent_connection)
{
	/* spotsim accepts a stream of a symbol it does not list (as Binance does) and never sends on it. */
	const char *syms[] = {"QUIETUSDT"};
	market_open(syms, 1, 300, 0);
	SBT_RUN_UNTIL(&T.loop, mstats().stalls >= 2 && mstats().reconnects >= 1, DEADLINE_MS);
	/* The watchdog's timer waits for the deadline instead of polling towards it (an early firing of
	 * the loop's timer may add one). */
	struct sb_bn_market_stream_stats s = mstats();
	cr_assert_leq(s.ticks, s.stalls + 2, "%llu wake-ups for %llu stalls", (unsigned long long)s.ticks,
	              (unsigned long long)s.stalls);
	cr_assert_geq(T.links[SB_BN_LINK_STALLED], 2);
	cr_assert_geq(T.links[SB_BN_LINK_DOWN], 2);
	/* A symbol with a market ends the stalls. */
	cr_assert_eq(sb_bn_market_stream_add(T.ms, "BTCUSDT", NULL), SB_OK);
	SBT_RUN_UNTIL(&T.loop, T.sym[0].trades >= 3, DEADLINE_MS);
	uint64_t stalls = mstats().stalls;
	unsigned btc = T.sym[0].trades;
	SBT_RUN_UNTIL(&T.loop, T.sym[0].trades >= btc + 30, DEADLINE_MS);
	cr_assert_eq(mstats().stalls, stalls, "no stall while data flows");
}

Test(streams, market_rollover_has_no_gap_and_no_duplicate)
{
	const char *syms[] = {"BTCUSDT", "ETHUSDT"};
	market_open(syms, 2, 0, 700);
	SBT_RUN_UNTIL(&T.loop, mstats().rollovers >= 3, DEADLINE_MS);
	unsigned t = T.sym[0].trades;
	SBT_RUN_UNTIL(&T.loop, T.sym[0].trades >= t + 5, DEADLINE_MS);
	struct sb_bn_market_stream_stats s = mstats();
	cr_assert_eq(s.reconnects, 0, "a rollover is not a reconnect");
	cr_assert_eq(T.links[SB_BN_LINK_DOWN], 0);
	cr_assert_eq(T.snapshots, 1, "no snapshot needed: no gap");
	for (int i = 0; i < 2; i++) {
		struct per_sym *p = &T.sym[i];
		cr_assert_eq(p->dup_trade, 0, "%s: a trade delivered twice", SYMS[i]);
		for (int64_t id = p->first_t; id <= p->max_t; id++)
			cr_assert(T.seen_t[i][id], "%s: trade %lld missing across a rollover", SYMS[i],
			          (long long)id);
	}
	cr_assert_gt(s.duplicates, 0, "the overlap did deliver twice, and was deduplicated");
}

/* ---- user data stream ----------------------------------------------------------------------------- */

/* The owner's side of a refused timestamp: the test measures nothing, it knows the skew it set. */
static void on_time_refused(void *ctx)
{
	(void)ctx;
	T.time_refusals++;
	sb_bn_user_stream_set_time_offset(T.us, T.measured_offset_ms);
}

/* The user stream on spotsim, subscribed; time_refused: its hook for a refused timestamp (NULL: none). */
static void user_open(uint32_t silence_ms, void (*time_refused)(void *ctx))
{
	char url[96];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws-api/v3", T.sim.port);
	struct sb_bn_user_stream_opts o = {.url = url,
	                                   .api_key = KEY,
	                                   .signer = T.signer,
	                                   .recv_window_ms = 5000,
	                                   .silence_ms = silence_ms,
	                                   .probe_timeout_ms = 2000,
	                                   .backoff_min_ms = 50,
	                                   .backoff_max_ms = 200,
	                                   .time_refused = time_refused};
	struct sb_bn_user_stream_ops ops = {on_user_event, on_reconcile, on_link};
	cr_assert_eq(sb_bn_user_stream_new(&T.loop, T.ctx, &o, &ops, NULL, &T.us), SB_OK);
	SBT_RUN_UNTIL(&T.loop, sb_bn_user_stream_subscribed(T.us), DEADLINE_MS);
}

static struct sb_bn_user_stream_stats ustats(void)
{
	struct sb_bn_user_stream_stats s;
	sb_bn_user_stream_stats(T.us, &s);
	return s;
}

static void place(const char *params)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "POST", "/api/v3/order", params, KEY, SECRET, &r));
	long status = r.status;
	char body[256];
	snprintf(body, sizeof body, "%s", r.body ? r.body : "");
	sbt_response_free(&r);
	cr_assert_eq(status, 200, "%s", body);
}

/* 90% of BTCUSDT's best bid, as a price with 2 decimals: a limit buy there rests. */
static void price_under_bid(char *out, size_t cap)
{
	struct sbt_response r;
	cr_assert(sbt_http(T.sim.port, "GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", NULL, NULL, &r));
	const char *b = r.body ? strstr(r.body, "\"bidPrice\":\"") : NULL;
	double bid = b ? strtod(b + 12, NULL) : 0.0;
	sbt_response_free(&r);
	cr_assert_gt(bid, 0.0);
	snprintf(out, cap, "%.2f", bid * 0.9);
}

Test(streams, user_stream_delivers_new_and_trade_execution_reports)
{
	user_open(0, NULL);
	cr_assert_eq(T.reconciles[SB_BN_RECONCILE_SUBSCRIBED], 1, "reconcile after subscribing");
	cr_assert_eq(T.links[SB_BN_LINK_UP], 1);
	/* A limit buy under the market rests: NEW. */
	char price[32], params[256];
	price_under_bid(price, sizeof price);
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=%s"
	         "&newClientOrderId=st-rest",
	         price);
	place(params);
	SBT_RUN_UNTIL(&T.loop, T.exec_new >= 1, DEADLINE_MS);
	cr_assert_str_eq(T.last_new_coid, "st-rest");
	/* A market buy fills at once: NEW, TRADE with its trade id and commission, then the balances. */
	place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000&newClientOrderId=st-mkt");
	SBT_RUN_UNTIL(&T.loop, T.exec_trade >= 1 && T.positions >= 1, DEADLINE_MS);
	cr_assert_str_eq(T.last_trade.client_order_id, "st-mkt");
	cr_assert_geq(T.last_trade.trade_id, 0);
	cr_assert_gt(T.last_trade.commission, 0);
	cr_assert_str_eq(T.last_trade.commission_asset, "BTC");
	struct sb_fill f;
	cr_assert_eq(sb_bn_exec_report_fill(&T.last_trade, &f), SB_OK);
	struct sb_bn_user_stream_stats s = ustats();
	cr_assert_eq(s.parse_errors, 0);
	cr_assert_eq(s.foreign, 0);
	cr_assert_geq(s.exec_reports, 3);
}

Test(streams, user_stream_silence_watchdog_reconciles_when_events_are_hidden)
{
	user_open(400, NULL);
	sbt_sim_fault(T.sim.port, "hide_user_events");
	place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000");
	SBT_RUN_UNTIL(&T.loop, T.reconciles[SB_BN_RECONCILE_SILENT] >= 2, DEADLINE_MS);
	cr_assert_eq(T.exec_trade, 0, "the fill was hidden");
	struct sb_bn_user_stream_stats s = ustats();
	cr_assert_geq(s.probes, 2);
	cr_assert_eq(s.probe_timeouts, 0, "the connection answers: it is quiet, not dead");
	/* The watchdog's timer waits for the silence deadline instead of polling towards it (an early firing
	 * of the loop's timer may add one). */
	cr_assert_leq(s.ticks, s.probes + 2, "%llu wake-ups for %llu probes", (unsigned long long)s.ticks,
	              (unsigned long long)s.probes);
	/* Events again: they arrive, and the silence reconciles stop while they flow. */
	struct sbt_response r;
	cr_assert(sbt_http(T.sim.port, "POST", "/sim/fault", "name=hide_user_events&value=off", NULL, &r));
	sbt_response_free(&r);
	place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000");
	SBT_RUN_UNTIL(&T.loop, T.exec_trade >= 1, DEADLINE_MS);
}

Test(streams, user_stream_resubscribes_after_event_stream_terminated)
{
	user_open(0, NULL);
	sbt_sim_fault(T.sim.port, "expire_user_data");
	SBT_RUN_UNTIL(&T.loop, ustats().terminated == 1 && ustats().subscribes == 2, DEADLINE_MS);
	cr_assert_eq(T.reconciles[SB_BN_RECONCILE_SUBSCRIBED], 2, "reconcile after the resubscription");
	cr_assert_eq(ustats().reconnects, 0, "same connection");
	place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000");
	SBT_RUN_UNTIL(&T.loop, T.exec_trade >= 1, DEADLINE_MS);
}

Test(streams, user_stream_reconnects_resubscribes_and_reconciles_after_drop)
{
	user_open(0, NULL);
	sbt_sim_fault(T.sim.port, "drop_ws");
	SBT_RUN_UNTIL(&T.loop, ustats().subscribes == 2, DEADLINE_MS);
	cr_assert_eq(ustats().reconnects, 1);
	cr_assert_eq(T.reconciles[SB_BN_RECONCILE_SUBSCRIBED], 2);
	cr_assert_geq(T.links[SB_BN_LINK_DOWN], 1);
	place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000");
	SBT_RUN_UNTIL(&T.loop, T.exec_trade >= 1, DEADLINE_MS);
}

Test(streams, user_stream_asks_for_the_server_time_again_when_its_timestamp_is_refused)
{
	/* The server's clock is a minute ahead: a subscription signed with the offset the stream has (0)
	 * is refused with -1021, the owner is asked to measure again, and the retry is accepted. */
	sbt_sim_fault(T.sim.port, "clock_skew_ms&value=60000");
	T.measured_offset_ms = 60000;
	user_open(0, on_time_refused);
	cr_assert_eq(T.time_refusals, 1, "asked once, and the measured offset was enough");
	cr_assert_eq(ustats().sub_failures, 1);
	/* The subscription delivers (the test's own REST client signs with the real clock). */
	sbt_sim_fault(T.sim.port, "clock_skew_ms&value=off");
	place("symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.01000");
	SBT_RUN_UNTIL(&T.loop, T.exec_trade >= 1, DEADLINE_MS);
}

/* ---- a WebSocket API that answers the subscription and then nothing -------------------------------- */

static struct {
	uv_loop_t loop;         /* its own loop */
	uv_async_t stop;        /* ends the thread */
	struct sim_server *srv; /* spotsim's server layer */
	pthread_t thread;       /* runs loop */
} Mute;

static void mute_http(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	(void)ctx;
	(void)req;
	sim_http_resp_text(resp, 404, "{}");
}

static bool mute_open(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	(void)ctx;
	(void)conn;
	return strcmp(path, "/ws-api/v3") == 0;
}

static void mute_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	(void)ctx;
	char buf[1024];
	size_t n = len < sizeof buf - 1 ? len : sizeof buf - 1;
	memcpy(buf, data, n); /* the server's data is {ptr,len} */
	buf[n] = '\0';
	const char *id = strstr(buf, "\"id\":");
	if (!id || !strstr(buf, "userDataStream.subscribe.signature"))
		return; /* the probe ("ping") goes unanswered */
	char reply[128];
	int rn =
	    snprintf(reply, sizeof reply, "{\"id\":%lld,\"status\":200,\"result\":{\"subscriptionId\":0}}",
	             strtoll(id + 5, NULL, 10));
	sim_ws_send(conn, reply, (size_t)rn);
}

static void mute_close(void *ctx, struct sim_ws_conn *conn)
{
	(void)ctx;
	(void)conn;
}

static void mute_stop(uv_async_t *a)
{
	uv_close((uv_handle_t *)a, NULL);
	uv_stop(a->loop);
}

static void *mute_run(void *arg)
{
	(void)arg;
	uv_run(&Mute.loop, UV_RUN_DEFAULT);
	sim_server_free(Mute.srv);
	uv_loop_close(&Mute.loop);
	return NULL;
}

/* Starts the mute WebSocket API on its own thread; returns its port. */
static int mute_start(void)
{
	uv_loop_init(&Mute.loop);
	uv_async_init(&Mute.loop, &Mute.stop, mute_stop);
	struct sim_server_opts so = {.host = "127.0.0.1",
	                             .http = mute_http,
	                             .ws = {mute_open, mute_message, mute_close},
	                             .ping_interval_s = 3600,
	                             .pong_timeout_s = 7200};
	cr_assert_eq(sim_server_new(&Mute.loop, &so, &Mute.srv), SB_OK);
	pthread_create(&Mute.thread, NULL, mute_run, NULL);
	return sim_server_port(Mute.srv);
}

/* Starts the mute server and the stream under test on it with o's timeouts; o's url, key, signer and
 * back-off are filled in here. */
static void mute_user_open(struct sb_bn_user_stream_opts o)
{
	static char url[96];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d/ws-api/v3", mute_start());
	o.url = url;
	o.api_key = KEY;
	o.signer = T.signer;
	o.backoff_min_ms = 50;
	o.backoff_max_ms = 200;
	struct sb_bn_user_stream_ops ops = {on_user_event, on_reconcile, on_link};
	cr_assert_eq(sb_bn_user_stream_new(&T.loop, T.ctx, &o, &ops, NULL, &T.us), SB_OK);
}

/* Frees the stream under test, then stops the mute server. */
static void mute_stop_all(void)
{
	sb_bn_user_stream_free(T.us);
	T.us = NULL;
	uv_run(&T.loop, UV_RUN_NOWAIT);
	uv_async_send(&Mute.stop);
	pthread_join(Mute.thread, NULL);
}

Test(streams, user_stream_unanswered_probe_reconciles_and_reconnects)
{
	mute_user_open((struct sb_bn_user_stream_opts){.silence_ms = 200, .probe_timeout_ms = 300});
	SBT_RUN_UNTIL(&T.loop, ustats().probe_timeouts >= 1 && ustats().subscribes >= 2, DEADLINE_MS);
	cr_assert_geq(T.reconciles[SB_BN_RECONCILE_SILENT], 1, "the probe went out with a reconcile");
	cr_assert_geq(T.reconciles[SB_BN_RECONCILE_DEAD], 1, "then the dead connection was reported");
	cr_assert_geq(T.links[SB_BN_LINK_STALLED], 1);
	cr_assert_geq(ustats().reconnects, 1);
	mute_stop_all();
}

/* ---- orders over the WebSocket API ------------------------------------------------------------------ */

static void on_placed(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	(void)user;
	T.placed++;
	T.placed_err = res->err;
	if (order) {
		T.placed_order = *order; /* taken over: the layer releases an empty one */
		memset(order, 0, sizeof *order);
	}
}

/* A market buy of 0.01 BTCUSDT with client order id coid. */
static struct sb_bn_new_order market_buy(const char *coid)
{
	return (struct sb_bn_new_order){.symbol = "BTCUSDT",
	                                .side = SB_SIDE_BUY,
	                                .type = SB_ORDER_MARKET,
	                                .quantity = SB_DEC_C(0, 1000000),
	                                .client_order_id = coid};
}

/* How many orders with clientOrderId coid BTCUSDT's allOrders lists on the exchange. */
static int exchange_orders(const char *coid)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "GET", "/api/v3/allOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	int n = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, j)
	{
		if (strcmp(sbt_jstr(o, "clientOrderId"), coid) == 0)
			n++;
	}
	cJSON_Delete(j);
	sbt_response_free(&r);
	return n;
}

Test(streams, user_stream_places_orders_with_order_place_and_refuses_while_not_subscribed)
{
	user_open(0, NULL);
	struct sb_bn_new_order o = market_buy("st-ws-1");
	cr_assert_eq(sb_bn_user_stream_order_place(T.us, &o, on_placed, NULL), SB_OK);
	cr_assert_eq(T.placed, 0, "never inside the call");
	SBT_RUN_UNTIL(&T.loop, T.placed == 1, DEADLINE_MS);
	cr_assert_eq(T.placed_err, SB_OK);
	cr_assert_str_eq(T.placed_order.client_order_id, "st-ws-1");
	cr_assert_eq(T.placed_order.status, SB_ORDER_FILLED);
	cr_assert_gt(T.placed_order.n_fills, 0, "a FULL answer, as REST gives it");
	sb_bn_order_fini(&T.placed_order);
	/* The exchange's own count: it came over the WebSocket API, once. */
	cr_assert_eq(sbt_sim_order_requests(T.sim.port, true), 1);
	cr_assert_eq(sbt_sim_order_requests(T.sim.port, false), 0);
	cr_assert_eq(exchange_orders("st-ws-1"), 1);
	/* The WebSocket API goes away: nothing is sent, and the caller is told at once so it can use REST. */
	sbt_sim_fault(T.sim.port, "wsapi_down");
	sbt_sim_fault(T.sim.port, "drop_ws");
	SBT_RUN_UNTIL(&T.loop, !sb_bn_user_stream_subscribed(T.us), DEADLINE_MS);
	o = market_buy("st-ws-2");
	cr_assert_eq(sb_bn_user_stream_order_place(T.us, &o, on_placed, NULL), SB_ERR_STATE);
	SBT_RUN_UNTIL(&T.loop, ustats().reconnects >= 1, DEADLINE_MS);
	cr_assert_eq(T.placed, 1, "a refused order has no callback");
	cr_assert_eq(exchange_orders("st-ws-2"), 0);
	cr_assert_eq(sbt_sim_order_requests(T.sim.port, true), 1);
}

Test(streams, user_stream_order_whose_answer_is_lost_with_the_connection_is_an_unknown_outcome)
{
	user_open(0, NULL);
	sbt_sim_fault(T.sim.port, "order_ws_drop");
	struct sb_bn_new_order o = market_buy("st-lost");
	cr_assert_eq(sb_bn_user_stream_order_place(T.us, &o, on_placed, NULL), SB_OK);
	SBT_RUN_UNTIL(&T.loop, T.placed == 1, DEADLINE_MS);
	cr_assert_eq(T.placed_err, SB_ERR_UNKNOWN_OUTCOME, "%s", sb_errname(T.placed_err));
	cr_assert_eq(ustats().orders_unknown, 1);
	/* It did execute, once: what a query by its clientOrderId will find. */
	cr_assert_eq(exchange_orders("st-lost"), 1);
	/* The stream comes back by itself and carries orders again. */
	sbt_sim_fault(T.sim.port, "order_ws_drop&value=off");
	SBT_RUN_UNTIL(&T.loop, sb_bn_user_stream_subscribed(T.us) && ustats().subscribes >= 2, DEADLINE_MS);
	o = market_buy("st-after");
	cr_assert_eq(sb_bn_user_stream_order_place(T.us, &o, on_placed, NULL), SB_OK);
	SBT_RUN_UNTIL(&T.loop, T.placed == 2, DEADLINE_MS);
	cr_assert_eq(T.placed_err, SB_OK);
	sb_bn_order_fini(&T.placed_order);
}

Test(streams, user_stream_unanswered_order_times_out_as_an_unknown_outcome)
{
	mute_user_open((struct sb_bn_user_stream_opts){.order_timeout_ms = 300});
	SBT_RUN_UNTIL(&T.loop, sb_bn_user_stream_subscribed(T.us), DEADLINE_MS);
	struct sb_bn_new_order o = market_buy("st-mute");
	cr_assert_eq(sb_bn_user_stream_order_place(T.us, &o, on_placed, NULL), SB_OK);
	SBT_RUN_UNTIL(&T.loop, T.placed == 1, DEADLINE_MS);
	cr_assert_eq(T.placed_err, SB_ERR_UNKNOWN_OUTCOME);
	struct sb_bn_user_stream_stats s = ustats();
	cr_assert_eq(s.order_timeouts, 1);
	cr_assert_eq(s.orders_unknown, 1);
	/* A connection that stopped answering is replaced. */
	SBT_RUN_UNTIL(&T.loop, ustats().subscribes >= 2, DEADLINE_MS);
	mute_stop_all();
}

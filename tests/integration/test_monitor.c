/*
 * test_monitor.c - the daemon's monitoring against spotsim over loopback: alerts arrive at a webhook sink
 * served by this process (start, stop-loss, kill switch, stream reconnects, stop), /health moves between
 * 503 and 200 as the exchange goes away and comes back while /health/live stays 200, and /metrics carries
 * every family docs/monitoring.md's table lists, with its type and help text, and values that follow what
 * happened.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "bot/metrics.h"
#include "sbtest_prom.h"
#include "sbtest_sink.h"
#include "spotbot/clock.h"
#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN "monitor-test-token"
#define RICH  "spotsim-demo-key:spotsim-demo-secret:USDT=100000,BTC=1,BNB=10"
#define PAIR  "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"

static struct sbt_sink *sink;

static void fini(void)
{
	bt_cleanup();
	sbt_sink_stop(sink);
	sink = NULL;
}

/* spotsim with a funded account, the daemon with alerts going to port (0: the sink, started here). */
static void start_at(const char *pairs, int port)
{
	const char *extra[] = {"--account", RICH, NULL};
	bt_start_sim(extra);
	if (!port) {
		sink = sbt_sink_start();
		cr_assert(sink, "the sink listens");
		port = sbt_sink_port(sink);
	}
	char lines[512];
	snprintf(lines, sizeof lines,
	         "CONTROL_TOKEN=" TOKEN
	         "\nALERT_WEBHOOK_URL=http://127.0.0.1:%d/hook\nALERT_WEBHOOK_FORMAT=generic",
	         port);
	bt_write_env(pairs, lines);
	bt_start_bot();
}

static void start(const char *pairs)
{
	start_at(pairs, 0);
}

/* A loopback port nothing listens on (bound, then released). */
static int closed_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	cr_assert(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 &&
	          getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* v * k on BTCUSDT's tick (0.01 in spotsim's catalogue). */
static sb_dec times(sb_dec v, sb_dec k)
{
	sb_dec out = 0, tick = SB_DEC_C(0, 1000000);
	cr_assert_eq(sb_dec_mul(v, k, SB_ROUND_DOWN, &out), SB_OK);
	return out - out % tick;
}

static struct sbt_prom_doc doc; /* the last /metrics page, parsed */

/* GETs /metrics and parses it, failing the test on any syntax error. */
static void scrape(void)
{
	struct ctl_resp r;
	cr_assert(ctl("GET", "/metrics", NULL, &r));
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.ctype, SB_METRICS_CONTENT_TYPE);
	sbt_prom_parse(&doc, r.body);
}

/* The value of a sample of the last scrape with exactly these labels (name, value, ...); -1 when absent. */
static double value_of(const char *name, const char *const *labels, int nlabels, const char *le)
{
	const struct sbt_prom_sample *s = sbt_prom_lookup(&doc, name, labels, nlabels, le);
	return s ? s->value : -1;
}

#define LABELS(...)                                                                                          \
	(const char *const[]){__VA_ARGS__}, (int)(sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))
#define VALUE(name, ...)  value_of(name, LABELS(__VA_ARGS__), NULL)
#define VALUE0(name)      value_of(name, NULL, 0, NULL)
#define BUCKET(name, ...) value_of(name "_bucket", LABELS(__VA_ARGS__), "+Inf")

TestSuite(monitor, .fini = fini, .timeout = 120);

Test(monitor, alerts_reach_the_webhook_for_start_stop_loss_kill_switch_and_stop)
{
	start(PAIR ",stop_loss=1%");
	char body[4096];
	cr_assert(sbt_sink_wait(sink, "\"kind\":\"start\"", 20000, body, sizeof body), "start alert");
	cr_assert(strstr(body, "\"severity\":\"info\"") && strstr(body, "paper mode"), "%s", body);

	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", times(buy.price, SB_DEC_C(0, 99800000)));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	bt_set_price("BTCUSDT", times(buy.price, SB_DEC_C(0, 98000000)));
	cr_assert(sbt_sink_wait(sink, "\"kind\":\"stop_loss\"", 20000, body, sizeof body), "stop-loss alert");
	cr_assert(strstr(body, "\"symbol\":\"BTCUSDT\"") && strstr(body, "\"key\":\"stop_loss:BTCUSDT:1\""),
	          "%s", body);
	bt_wait_pos(1, SB_POSITION_CLOSED, 20000);

	struct ctl_resp r;
	cr_assert(ctl("POST", "/pause", TOKEN, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert(sbt_sink_wait(sink, "\"kind\":\"kill_switch\"", 10000, body, sizeof body), "kill switch");
	cr_assert(strstr(body, "\"severity\":\"warning\"") && strstr(body, "control API"), "%s", body);

	/* The stop alert leaves before the process exits. */
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	cr_assert_eq(sbt_sink_count(sink, "\"kind\":\"stop\""), 1, "one stop alert");
	cr_assert_eq(sbt_sink_count(sink, "\"kind\":\"start\""), 1, "one start alert");
	cr_assert_eq(sbt_sink_count(sink, "\"kind\":\"stop_loss\""), 1, "the stop-loss alerted once");
}

Test(monitor, a_dead_webhook_holds_up_neither_trading_nor_shutdown)
{
	start_at(PAIR, closed_port());
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert(bt_log_has("alert start not delivered, retrying", 10000), "the start alert is retried");
	bt_set_price("BTCUSDT", times(buy.price, SB_DEC_C(0, 99800000)));
	bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	/* The stop alert is given a few seconds, then the daemon exits cleanly all the same. */
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	cr_assert(bt_log_has("spotbot stopped", 1000));
}

Test(monitor, repeated_stream_drops_raise_one_reconnect_alert_and_count_in_metrics)
{
	start(PAIR);
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);
	for (int i = 1; i <= 3; i++) {
		bt_fault("drop_ws", NULL);
		/* Each drop is a reconnect of both streams, seen in /status before the next drop. */
		char needle[64];
		snprintf(needle, sizeof needle, "\"market_reconnects\":%d", i);
		cr_assert(ctl_wait("/status", 200, needle, 20000, &r), "reconnect %d: %s", i, r.body);
		cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy again: %s", r.body);
	}
	char body[4096];
	cr_assert(sbt_sink_wait(sink, "\"kind\":\"stream_reconnects\"", 10000, body, sizeof body),
	          "a reconnect burst alerts");
	cr_assert(strstr(body, "reconnected 3 times"), "%s", body);
	scrape();
	cr_assert_geq(VALUE(SB_METRIC_STREAM_RECONNECTS, "stream", "market"), 3);
	cr_assert_geq(VALUE(SB_METRIC_STREAM_RECONNECTS, "stream", "user"), 3);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	/* Deduplicated: the market and user streams each alert once at most. */
	cr_assert_leq(sbt_sink_count(sink, "\"kind\":\"stream_reconnects\""), 2);
}

Test(monitor, health_follows_the_exchange_going_away_and_coming_back)
{
	start(PAIR);
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "healthy: %s", r.body);
	cr_assert(ctl("GET", "/health/live", NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);

	int port = T.sim.port;
	sbt_proc_stop(&T.sim, SIGKILL, 5000);
	cr_assert(ctl_wait("/health", 503, "stream down", 20000, &r), "unready without the exchange: %s",
	          r.body);
	char reason[64];
	field(r.body, "reason", reason, sizeof reason);
	cr_assert(strstr(reason, "stream down"), "%s", r.body);
	cr_assert(ctl("GET", "/health/live", NULL, &r));
	cr_assert_eq(r.status, 200, "alive all the same: %s", r.body);

	char listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
	const char *args[] = {"--speed",   "0.01", "--seed",   "5",    "--symbols", "BTCUSDT,ETHUSDT,BNBUSDT",
	                      "--account", RICH,   "--listen", listen, NULL};
	cr_assert(sbt_spotsim_start(&T.sim, args), "spotsim comes back on the same port");
	cr_assert(ctl_wait("/health", 200, NULL, 30000, &r), "ready again: %s", r.body);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/* docs/monitoring.md's table row of family name ("| `name` | type | labels | help ... |"), or NULL. */
static const char *doc_row(const char *page, const char *name)
{
	char head[160];
	snprintf(head, sizeof head, "\n| `%s` | ", name);
	const char *row = strstr(page, head);
	return row ? row + 1 : NULL;
}

/* Scrapes and returns the age of the pair's oldest position. */
static double position_age_seconds(const char *symbol)
{
	scrape();
	return VALUE(SB_METRIC_POSITION_AGE, "symbol", symbol);
}

Test(monitor, metrics_parse_as_prometheus_text_and_follow_a_cycle)
{
	int64_t test_start_ms = sb_clock_wall_ms();
	start(PAIR);
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(position_age_seconds("BTCUSDT"), 0, "nothing bought yet");
	bt_set_price("BTCUSDT", times(buy.price, SB_DEC_C(0, 99800000)));
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	/* Held: the age grows from the buy's fill. */
	double age_seconds = 0;
	SBT_WAIT_UNTIL((age_seconds = position_age_seconds("BTCUSDT")) > 0.5, 10000, "the position's age: %f",
	               age_seconds);
	cr_assert_lt(age_seconds, 60);
	bt_set_price("BTCUSDT", times(sell.price, SB_DEC_C(1, 100000)));
	bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	struct ctl_resp r;
	cr_assert(ctl_wait("/metrics", 200,
	                   SB_METRIC_ORDERS "{outcome=\"filled\",side=\"SELL\",symbol=\"BTCUSDT\"} 1", 10000,
	                   &r),
	          "%s", r.body);
	scrape();

	/* The page and docs/monitoring.md's table (generated from the catalogue the daemon registers from)
	 * hold the same families, with the same types and help texts. */
	char path[4096];
	char *page = sbt_read_file(sbt_source_path("docs/monitoring.md", path, sizeof path));
	for (int i = 0; i < doc.nfamilies; i++) {
		const struct sbt_prom_family *f = &doc.families[i];
		const char *row = doc_row(page, f->name);
		cr_assert(row, "%s is served but not in docs/monitoring.md's table", f->name);
		const char *end = strchr(row, '\n');
		char want[640];
		snprintf(want, sizeof want, "| `%s` | %s | ", f->name, f->type);
		cr_assert(strncmp(row, want, strlen(want)) == 0, "%s: type %s", f->name, f->type);
		cr_assert(f->helped, "%s has help", f->name);
		const char *help = strstr(row, f->help);
		cr_assert(help && help < end, "%s: help \"%s\" is in its row", f->name, f->help);
	}
	int rows = 0;
	for (const char *at = strstr(page, "\n| `"); at; at = strstr(at + 1, "\n| `")) {
		char name[128];
		cr_assert_eq(sscanf(at, "\n| `%127[A-Za-z0-9_:]`", name), 1);
		if (strncmp(name, "spotbot_", 8) != 0 && strncmp(name, "process_", 8) != 0)
			continue; /* another table's row */
		cr_assert(sbt_prom_family(&doc, name), "%s is in docs/monitoring.md but not served", name);
		rows++;
	}
	cr_assert_eq(rows, doc.nfamilies, "every served family has one row");
	free(page);

	/* The build, the process and the run state. */
	cr_assert_eq(VALUE(SB_METRIC_BUILD_INFO, "version", SB_VERSION), 1);
	double start_seconds = VALUE0(SB_METRIC_PROCESS_START);
	cr_assert(start_seconds * 1000 >= (double)test_start_ms - 1000 &&
	              start_seconds * 1000 <= sb_clock_wall_ms(),
	          "started at %f, the test at %lld ms", start_seconds, (long long)test_start_ms);
	cr_assert_gt(VALUE0(SB_METRIC_PROCESS_FDS), 3);
	cr_assert_eq(VALUE(SB_METRIC_RUN_STATE, "state", "trading"), 1);
	cr_assert_eq(VALUE(SB_METRIC_RUN_STATE, "state", "reconciling"), 0);
	cr_assert_eq(VALUE(SB_METRIC_RUN_STATE, "state", "degraded"), 0);
	/* Freshness: the price and the market stream spoke within the last minute. */
	double now_seconds = (double)sb_clock_wall_ms() / 1000;
	double price_seconds = VALUE(SB_METRIC_PRICE_LAST, "symbol", "BTCUSDT");
	cr_assert(price_seconds > now_seconds - 60 && price_seconds <= now_seconds, "price at %f, now %f",
	          price_seconds, now_seconds);
	double market_seconds = VALUE(SB_METRIC_STREAM_LAST, "stream", "market");
	cr_assert(market_seconds > now_seconds - 60 && market_seconds <= now_seconds, "market at %f, now %f",
	          market_seconds, now_seconds);
	cr_assert_eq(VALUE(SB_METRIC_POSITION_AGE, "symbol", "BTCUSDT"), 0, "no open position is old");

	/* The cycle: one buy and one sell placed and filled, nothing rejected. */
	cr_assert_eq(VALUE(SB_METRIC_ORDERS, "symbol", "BTCUSDT", "side", "BUY", "outcome", "placed"), 1);
	cr_assert_eq(VALUE(SB_METRIC_ORDERS, "symbol", "BTCUSDT", "side", "BUY", "outcome", "filled"), 1);
	cr_assert_eq(VALUE(SB_METRIC_ORDERS, "symbol", "BTCUSDT", "side", "SELL", "outcome", "placed"), 1);
	cr_assert_eq(VALUE(SB_METRIC_ORDERS, "symbol", "BTCUSDT", "side", "BUY", "outcome", "rejected"), 0);
	cr_assert_eq(VALUE(SB_METRIC_ORDERS, "symbol", "BTCUSDT", "side", "SELL", "outcome", "canceled"), 0);
	cr_assert_geq(VALUE(SB_METRIC_FILLS, "symbol", "BTCUSDT", "side", "BUY"), 1);
	cr_assert_geq(VALUE(SB_METRIC_FILLS, "symbol", "BTCUSDT", "side", "SELL"), 1);
	cr_assert_eq(VALUE(SB_METRIC_OPEN_POSITIONS, "symbol", "BTCUSDT"), 0);
	const struct sbt_prom_sample *profit = sbt_prom_find(
	    &doc, SB_METRIC_REALISED_PROFIT, LABELS("symbol", "BTCUSDT", "asset", "USDT"), NULL);
	cr_assert(profit->value > 0.2 && profit->value < 0.3, "0.5%% of 50 USDT: %g", profit->value);

	/* Histograms: one fill-to-sell observation; +Inf equals _count everywhere. */
	cr_assert_eq(VALUE(SB_METRIC_FILL_TO_SELL "_count", "symbol", "BTCUSDT"), 1);
	cr_assert_eq(BUCKET(SB_METRIC_FILL_TO_SELL, "symbol", "BTCUSDT"), 1);
	/* Orders go as order.place on the user data connection; its answers are in the same histogram. */
	double orders = VALUE(SB_METRIC_REST_LATENCY "_count", "endpoint", "order.place");
	cr_assert_geq(orders, 2, "the buy and the sell were placed");
	cr_assert_eq(BUCKET(SB_METRIC_REST_LATENCY, "endpoint", "order.place"), orders);
	cr_assert_geq(VALUE(SB_METRIC_REST_LATENCY "_count", "endpoint", "/api/v3/exchangeInfo"), 1);
	double commits = VALUE0(SB_METRIC_DB_COMMIT_LATENCY "_count");
	cr_assert_geq(commits, 5, "intents, fills and state writes");
	cr_assert_eq(value_of(SB_METRIC_DB_COMMIT_LATENCY "_bucket", NULL, 0, "+Inf"), commits);
	/* Market data to decision: the buy and the sell were decided on stream quotes, and no more decisions
	 * were timed than market frames arrived. */
	double decisions = VALUE0(SB_METRIC_DECISION_LATENCY "_count");
	cr_assert_geq(decisions, 2, "decisions on market frames");
	cr_assert_leq(decisions, VALUE(SB_METRIC_STREAM_MESSAGES, "stream", "market"));
	cr_assert_eq(value_of(SB_METRIC_DECISION_LATENCY "_bucket", NULL, 0, "+Inf"), decisions);
	cr_assert(VALUE0(SB_METRIC_DECISION_LATENCY "_sum") > 0);
	/* This minute's weight as the exchange reported it: 0 again when the minute turned since the last
	 * request, so only its range can be asserted. */
	double weight = VALUE0(SB_METRIC_REST_USED_WEIGHT);
	cr_assert(weight >= 0 && weight <= 6000, "used weight %g", weight);

	cr_assert_eq(VALUE(SB_METRIC_RECONCILE_RUNS, "trigger", "startup"), 1);
	cr_assert_eq(VALUE(SB_METRIC_RECONCILE_FINDINGS, "kind", "foreign_order"), 0);
	cr_assert_gt(VALUE(SB_METRIC_STREAM_MESSAGES, "stream", "market"), 0);
	cr_assert_gt(VALUE(SB_METRIC_STREAM_MESSAGES, "stream", "user"), 0);
	cr_assert_eq(VALUE(SB_METRIC_STREAM_STALLS, "stream", "market"), 0);
	cr_assert_gt(VALUE0(SB_METRIC_PROCESS_RSS), 1e6);

	/* The database knows when the streams last spoke. */
	struct sb_store *st = bt_db();
	cr_assert(st);
	int64_t last = 0;
	SBT_WAIT_UNTIL(sb_store_state_get_int(st, SB_STORE_KEY_LAST_STREAM_MS, &last) == SB_OK, 10000,
	               "the last stream event to be recorded");
	sb_store_close(st);
	cr_assert_gt(last, 0, "last stream event recorded");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/*
 * test_bot_budget.c - the daemon's REST budget, counted on spotsim's side (GET /sim/state: the weight it
 * charged since start, its 429/418 answers, its order status queries): a quiet user stream over resting
 * orders costs no per-order query, a crash loop of restarts within one minute with many resting orders stays
 * far under the weight limit and trades each time, and /status shows the weight the exchange reported.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "bot/metrics.h"
#include "sbtest_prom.h"
#include "sbtest_sim.h"
#include "sbtest_wait.h"
#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN   "budget-test-token"
#define PER     15 /* resting buys per pair */
#define RESTING (3 * PER)

/* Three pairs, each with PER buys resting 20% under the market for a day. */
#define PAIR_SET(s) s ":quote=20,buy_offset=20%,buy_timeout=24h,max_positions=15,cooldown=0s"
#define PAIRS       PAIR_SET("BTCUSDT") ";" PAIR_SET("ETHUSDT") ";" PAIR_SET("BNBUSDT")

static struct sbt_prom_doc doc; /* the last /metrics page */

TestSuite(bot_budget, .fini = bt_cleanup, .timeout = 180);

/* spotsim's /sim/state. */
static cJSON *sim_state(void)
{
	struct sbt_response r;
	cr_assert(sbt_http(T.sim.port, "GET", "/sim/state", NULL, NULL, &r));
	cr_assert_eq(r.status, 200);
	cJSON *j = sbt_jparse(r.body);
	sbt_response_free(&r);
	return j;
}

/* A number of spotsim's /sim/state. */
static double sim_num(const char *key)
{
	cJSON *j = sim_state();
	double v = sbt_jnum(j, key);
	cJSON_Delete(j);
	return v;
}

static bool all_resting(void *arg)
{
	(void)arg;
	cJSON *j = sim_state();
	double n = 0;
	const cJSON *s;
	cJSON_ArrayForEach(s, sbt_jfield(j, "symbols")) n += sbt_jnum(s, "openOrders");
	cJSON_Delete(j);
	return n >= RESTING;
}

/* spotsim with a live market (every pair decides often) and the daemon, until every buy rests. */
static void start_resting(void)
{
	const char *extra[] = {"--speed", "1", NULL};
	bt_start_sim(extra);
	bt_write_env(PAIRS, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	cr_assert(sbt_poll(all_resting, NULL, 60000, 100), "%d buys rest on the exchange", RESTING);
}

/* The daemon's reconciliations started by the user stream, from its /metrics. */
static double stream_reconciliations(void)
{
	struct ctl_resp r;
	cr_assert(ctl("GET", "/metrics", NULL, &r));
	cr_assert_eq(r.status, 200);
	sbt_prom_parse(&doc, r.body);
	const char *const labels[] = {"trigger", "stream"};
	const struct sbt_prom_sample *s = sbt_prom_lookup(&doc, SB_METRIC_RECONCILE_RUNS, labels, 2, NULL);
	return s ? s->value : 0;
}

struct runs_q {
	double want; /* stream reconciliations to reach */
};

static bool runs_reached(void *arg)
{
	return stream_reconciliations() >= ((struct runs_q *)arg)->want;
}

Test(bot_budget, a_quiet_user_stream_costs_no_per_order_query)
{
	start_resting();
	struct ctl_resp r;
	cr_assert(ctl_wait("/status", 200, "\"inflight_requests\":0", 20000, &r), "idle: %s", r.body);
	double q0 = sim_num("orderQueries"), w0 = sim_num("weightTotal");
	/* Nothing fills: the user stream stays quiet, and each silence (10 s) starts a check. */
	struct runs_q q = {stream_reconciliations() + 2};
	cr_assert(sbt_poll(runs_reached, &q, 40000, 500), "two quiet-stream checks ran");
	double queries = sim_num("orderQueries") - q0, weight = sim_num("weightTotal") - w0;
	cr_assert_eq(queries, 0, "no order was queried: %.0f queries", queries);
	cr_assert_lt(weight, 2 * RESTING, "the checks cost %.0f weight: less than 2 per resting order each",
	             weight);
	cr_assert_eq(sim_num("refused"), 0, "no 429 or 418");

	/* /status shows the weight the exchange last reported. */
	cr_assert(ctl("GET", "/status", NULL, &r));
	cJSON *j = cJSON_Parse(r.body);
	cr_assert(j, "JSON: %s", r.body);
	const cJSON *rest = cJSON_GetObjectItemCaseSensitive(j, "rest");
	cr_assert(cJSON_IsObject(rest), "a rest object: %s", r.body);
	const cJSON *used = cJSON_GetObjectItemCaseSensitive(rest, "used_weight_1m");
	cr_assert(cJSON_IsNumber(used) && used->valuedouble > 0, "the weight used this minute: %s", r.body);
	cr_assert_leq(used->valuedouble, sim_num("usedWeight"), "at most what spotsim charged this minute");
	cr_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rest, "banned")));
	cJSON_Delete(j);
}

Test(bot_budget, a_crash_loop_with_many_resting_orders_stays_under_the_weight_limit_and_trades)
{
	start_resting();
	cr_assert_eq(bt_stop_bot(SIGKILL, 5000), 128 + SIGKILL);
	double q0 = sim_num("orderQueries"), w0 = sim_num("weightTotal");
	/* A service manager restarting a crashing daemon: five starts within the minute, each killed once it
	 * trades. */
	for (int k = 0; k < 5; k++) {
		double w = sim_num("weightTotal");
		bt_start_bot();
		struct ctl_resp r;
		cr_assert(ctl_wait("/health", 200, NULL, 20000, &r), "start %d trades: %ld %s", k, r.status,
		          r.body);
		double cost = sim_num("weightTotal") - w;
		cr_assert_lt(cost, 300, "start %d cost %.0f weight", k, cost);
		cr_assert_eq(bt_stop_bot(SIGKILL, 5000), 128 + SIGKILL);
	}
	double queries = sim_num("orderQueries") - q0, weight = sim_num("weightTotal") - w0;
	cr_assert_eq(queries, 0, "the open-orders lists explained every resting order: %.0f queries",
	             queries);
	cr_assert_lt(weight, 6000 / 4, "five starts cost %.0f weight", weight);
	cr_assert_eq(sim_num("refused"), 0, "no 429 or 418");
	cr_assert(all_resting(NULL), "every buy still rests");
}

/* p x factor on BTCUSDT's tick, rounded as asked (a price that crosses a resting order). */
static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, SB_DEC_C(0, 1000000), mode, &r), SB_OK);
	return r;
}

Test(bot_budget, a_fill_hidden_from_a_connected_stream_is_found_by_the_quiet_stream_check)
{
	bt_start_sim(NULL);
	bt_write_env("BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h",
	             "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	/* The stream stays connected and subscribed but reports nothing: the buy fills unseen. The quiet
	 * stream's check finds it missing from the open orders and queries it; the sell follows. */
	bt_fault("hide_user_events", "on");
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	double q0 = sim_num("orderQueries");
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 30000);
	cr_assert(sell.exchange_order_id > 0);
	cr_assert_eq(bt_wait_order(1, 'b', SB_ORDER_FILLED, 1000).status, SB_ORDER_FILLED);
	cr_assert_geq(sim_num("orderQueries") - q0, 1, "found by a query");
	bt_fault("hide_user_events", "off");
	cr_assert_eq(sim_num("refused"), 0);
}

static bool rate_limited_shown(void *arg)
{
	(void)arg;
	struct ctl_resp r;
	if (!ctl("GET", "/status", NULL, &r) || r.status != 200 || !strstr(r.body, "\"responses_429\":"))
		return false;
	return strstr(r.body, "\"responses_429\":0") == NULL;
}

Test(bot_budget, a_429_is_shown_in_status_and_counted_and_the_daemon_keeps_trading)
{
	bt_start_sim(NULL);
	bt_write_env("BTCUSDT:quote=20,buy_offset=20%,buy_timeout=24h", "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	/* Every REST request is refused for a while: the resubscription's list meets a 429. */
	bt_fault("force_429", "2");
	bt_fault("drop_ws", NULL);
	cr_assert(sbt_poll(rate_limited_shown, NULL, 30000, 200), "/status shows the 429");
	bt_fault("force_429", "off");
	struct ctl_resp r;
	cr_assert(ctl("GET", "/metrics", NULL, &r));
	sbt_prom_parse(&doc, r.body);
	const char *const l429[] = {"status", "429"};
	const struct sbt_prom_sample *s = sbt_prom_lookup(&doc, SB_METRIC_REST_RATE_LIMITED, l429, 2, NULL);
	cr_assert(s && s->value >= 1, "counted in %s", SB_METRIC_REST_RATE_LIMITED);
	cr_assert(ctl_wait("/health", 200, NULL, 30000, &r), "trading goes on: %s", r.body);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

/*
 * test_bot_switches.c - the operator's switches hold from the daemon's first moment: the kill switch set
 * before a stop, and a pair disabled in the database, keep a restarted daemon from placing any order,
 * checked against spotsim's own order list after the restarted daemon reports itself paused and has seen
 * a market move that would open a cycle. Resuming then proves the move would have bought.
 *
 * The daemon listens on a unix socket in the test's directory (test_bot_util.h). Every wait polls against a
 * deadline; nothing sleeps for synchronisation.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN   "switches-test-token"
#define WAIT_MS 20000
/* Both pairs start disabled, so the first run places nothing before the operator's switches are set. */
#define PAIRS                                                                                                \
	"BTCUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,max_positions=4,enabled=false;"         \
	"ETHUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,max_positions=4,enabled=false"

/* Orders of symbol spotsim holds for the account, in any status. */
static int exchange_orders(const char *symbol)
{
	char params[64];
	snprintf(params, sizeof params, "symbol=%s", symbol);
	return bt_count("/api/v3/allOrders", params, "\"orderId\"");
}

static void post_ok(const char *path)
{
	struct ctl_resp r;
	cr_assert(ctl_send("POST", path, TOKEN, NULL, 10000L, &r), "POST %s answered", path);
	cr_assert_eq(r.status, 200, "POST %s: %ld %s", path, r.status, r.body);
}

/* The bid GET /pairs reports for symbol; 0 before any quote. For comparisons in assertions only. */
static double daemon_bid(const char *symbol)
{
	struct ctl_resp r;
	if (!ctl("GET", "/pairs", NULL, &r) || r.status != 200)
		return 0;
	cJSON *j = cJSON_Parse(r.body);
	double bid = 0;
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(j, "pairs"))
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "symbol");
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(p, "bid");
		if (cJSON_IsString(s) && strcmp(s->valuestring, symbol) == 0 && cJSON_IsString(b))
			bid = strtod(b->valuestring, NULL);
	}
	cJSON_Delete(j);
	return bid;
}

/* Trades the market once at path (a /sim/price request); true when the daemon's bid for symbol (into *bid)
 * is within [lo, hi]. Fails the test once the daemon has exited. */
static bool moved_and_seen(const char *path, const char *symbol, double lo, double hi, double *bid)
{
	bt_post(path);
	*bid = daemon_bid(symbol);
	cr_assert(bt_running(), "the daemon runs");
	return *bid >= lo && *bid <= hi;
}

/* Moves symbol's market to price and waits until the daemon has accepted a quote there (it decides on
 * every accepted quote, so the decision about it has been made when this returns). */
static void move_and_see(const char *symbol, sb_dec price, double lo, double hi)
{
	char p[SB_DEC_STRLEN], path[128];
	sb_dec_format_trim(price, p, sizeof p);
	snprintf(path, sizeof path, "/sim/price?symbol=%s&price=%s", symbol, p);
	double bid = 0;
	SBT_WAIT_UNTIL(moved_and_seen(path, symbol, lo, hi, &bid), WAIT_MS,
	               "the daemon to see %s near %s (bid %f)", symbol, p, bid);
}

static void wait_state(const char *state)
{
	char needle[64];
	snprintf(needle, sizeof needle, "\"state\":\"%s\"", state);
	struct ctl_resp r;
	cr_assert(ctl_wait("/status", 200, needle, WAIT_MS, &r), "the daemon reports %s: %s", state, r.body);
}

TestSuite(bot_switches, .fini = bt_cleanup, .timeout = 120);

Test(bot_switches, a_restart_places_nothing_while_paused_or_for_a_disabled_pair)
{
	/* A live market: quotes keep arriving, so a daemon that trades before it knows the switches does. */
	bt_start_sim((const char *const[]){"--speed", "1", NULL});
	bt_write_env(PAIRS, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	wait_state("trading");
	/* The operator: kill switch on, then BTCUSDT enabled (the kill switch still holds it back), ETHUSDT
	 * disabled by hand. */
	post_ok("/pause");
	post_ok("/pairs/BTCUSDT/enable");
	post_ok("/pairs/ETHUSDT/disable");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
	cr_assert_eq(exchange_orders("BTCUSDT"), 0, "nothing was placed before the restart");
	cr_assert_eq(exchange_orders("ETHUSDT"), 0);

	bt_start_bot();
	wait_state("paused");
	move_and_see("BTCUSDT", SB_DEC_C(59400, 0), 59000, 59450);
	move_and_see("ETHUSDT", SB_DEC_C(2970, 0), 2950, 2975);
	cr_assert_eq(exchange_orders("BTCUSDT"), 0, "no order while the kill switch is on");
	cr_assert_eq(exchange_orders("ETHUSDT"), 0, "no order for the disabled pair");

	/* Resumed: the same market opens a BTCUSDT cycle at once; the disabled pair still places nothing. */
	post_ok("/resume");
	SBT_WAIT_UNTIL(exchange_orders("BTCUSDT") > 0, WAIT_MS,
	               "a BTCUSDT buy to reach the exchange after resume");
	move_and_see("ETHUSDT", SB_DEC_C(2940, 0), 2920, 2945);
	cr_assert_eq(exchange_orders("ETHUSDT"), 0, "no order for the disabled pair");
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);
}

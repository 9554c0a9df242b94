/*
 * test_bot_unlisted.c - a pair whose symbol the exchange does not list, among good ones, against spotsim
 * over loopback: the good pairs trade (their buys reach spotsim), the unknown one is named in the log, in
 * an alert, in /status, in the events and as "unlisted" in `spotbot pairs`; `spotbot pairs remove` takes
 * it out of trade_pairs, and is refused (exit 1, with the reason) for a pair with an open position.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN   "unlisted-test-token"
#define WAIT_MS 20000
#define PAIRS                                                                                                \
	"FOOBAR:quote=20;BTCUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h;"                       \
	"ETHUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h"

static int exchange_orders(const char *symbol)
{
	char params[64];
	snprintf(params, sizeof params, "symbol=%s", symbol);
	return bt_count("/api/v3/allOrders", params, "\"orderId\"");
}

static bool has_event(struct sb_store *st, void *arg)
{
	const char *const *q = arg; /* kind, symbol */
	struct sb_store_event *rows = NULL;
	size_t n = 0, k = 0;
	struct sb_store_event_filter f = {.kind = q[0]};
	if (sb_store_event_list(st, &f, &rows, &n) != SB_OK)
		return false;
	for (size_t i = 0; i < n; i++)
		k += strcmp(rows[i].symbol, q[1]) == 0;
	sb_store_events_free(rows, n);
	return k > 0;
}

static bool pair_exists(const char *symbol)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_pair row;
	sb_err e = sb_store_pair_get(st, symbol, &row);
	sb_store_close(st);
	cr_assert(e == SB_OK || e == SB_ERR_NOT_FOUND, "%s", sb_strerror(e));
	return e == SB_OK;
}

/* The "state" `spotbot pairs --json` gives symbol ("" when the pair is not listed there). */
static void cli_state(const char *symbol, char *out, size_t cap)
{
	cr_assert_eq(CLI("pairs", "--json"), 0, "%s", CLI_RUN.err);
	cJSON *j = cJSON_Parse(CLI_RUN.out);
	cr_assert(cJSON_IsArray(j), "%s", CLI_RUN.out);
	out[0] = '\0';
	const cJSON *p;
	cJSON_ArrayForEach(p, j)
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "symbol");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, "state");
		if (cJSON_IsString(s) && strcmp(s->valuestring, symbol) == 0)
			snprintf(out, cap, "%s", cJSON_IsString(st) ? st->valuestring : "null");
	}
	cJSON_Delete(j);
}

TestSuite(bot_unlisted, .fini = bt_cleanup, .timeout = 120);

Test(bot_unlisted, an_unknown_symbol_is_named_and_left_out_while_the_others_trade_and_can_be_removed)
{
	bt_start_sim(NULL);
	bt_write_env(PAIRS, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	struct ctl_resp r;
	cr_assert(ctl_wait("/health", 200, NULL, WAIT_MS, &r), "the daemon trades: %s", r.body);

	/* The good pairs trade. */
	SBT_WAIT_UNTIL(exchange_orders("BTCUSDT") > 0 && exchange_orders("ETHUSDT") > 0, WAIT_MS,
	               "buys of BTCUSDT and ETHUSDT to reach the exchange");

	/* The bad one is named everywhere the operator looks. */
	cr_assert(bt_log_has("FOOBAR is not listed by the exchange: the pair is not traded", 1000),
	          "the error log names it");
	cr_assert(bt_log_has("\"kind\":\"pair_unlisted\"", 1000), "an alert is raised");
	cr_assert(bt_log_has("\"key\":\"pair_unlisted:FOOBAR\"", 1000), "the alert is about FOOBAR");
	const char *ev[] = {"pair.unlisted", "FOOBAR"};
	cr_assert(bt_wait(has_event, ev, 1000), "a pair.unlisted event is recorded");
	cr_assert(ctl("GET", "/status", NULL, &r));
	cr_assert(strstr(r.body, "\"unlisted_pairs\":[\"FOOBAR\"]"), "/status names it: %s", r.body);
	char state[64];
	cli_state("FOOBAR", state, sizeof state);
	cr_assert_str_eq(state, "unlisted");
	cli_state("BTCUSDT", state, sizeof state);
	cr_assert_str_eq(state, "active");

	/* Removed: gone from trade_pairs and from the daemon's pairs; the others keep trading. */
	cr_assert_eq(CLI("pairs", "remove", "FOOBAR"), 0, "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.out, "FOOBAR removed"), "%s", CLI_RUN.out);
	cr_assert(!pair_exists("FOOBAR"));
	const char *rm[] = {"pair.removed", "FOOBAR"};
	cr_assert(bt_wait(has_event, rm, 1000), "a pair.removed event is recorded");
	cr_assert(ctl("GET", "/pairs", NULL, &r));
	cr_assert_null(strstr(r.body, "FOOBAR"), "%s", r.body);
	cr_assert(ctl("GET", "/status", NULL, &r));
	cr_assert(strstr(r.body, "\"unlisted_pairs\":[]"), "%s", r.body);
	cr_assert_eq(CLI("pairs", "remove", "FOOBAR"), 1, "an unknown pair cannot be removed");

	/* BTCUSDT holds an open position (its buy works on the exchange): refused, with the reason. */
	cr_assert_eq(CLI("pairs", "remove", "BTCUSDT"), 1);
	cr_assert(strstr(CLI_RUN.err, "BTCUSDT has 1 open position"), "%s", CLI_RUN.err);
	cr_assert(pair_exists("BTCUSDT"));
	cr_assert(ctl("GET", "/health", NULL, &r) && r.status == 200, "still trading: %s", r.body);
	cr_assert_eq(bt_stop_bot(SIGTERM, 10000), 0);

	/* The removal holds across a restart (PAIRS did not change since it was applied). */
	bt_start_bot();
	cr_assert(ctl_wait("/health", 200, NULL, WAIT_MS, &r), "the daemon trades again: %s", r.body);
	cr_assert(!pair_exists("FOOBAR"));
	cr_assert(ctl("GET", "/status", NULL, &r));
	cr_assert(strstr(r.body, "\"unlisted_pairs\":[]"), "%s", r.body);
}

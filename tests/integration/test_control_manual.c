/*
 * test_control_manual.c - manual actions on a position through the control API and the CLI, against a
 * real daemon and spotsim over loopback: re-pricing the limit sell (to a price that then fills, below the
 * minimum profitable price with and without --force, prices the exchange filters refuse, bad price
 * text), the MANUAL exit reason of a manual market sell in the history, and abandoning a position that
 * holds its coins with no order working.
 *
 * The daemon listens on a unix socket in the test's directory (test_bot_util.h); requests go through
 * libcurl with CURLOPT_UNIX_SOCKET_PATH. Every wait polls against a deadline.
 */
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"
#include "test_ctl_util.h"

#define TOKEN       "control-test-token"
#define PAIR_BTC    "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"
#define PAIR_FEW    "BTCUSDT:quote=20,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"
#define TICK        SB_DEC_C(0, 1000000) /* BTCUSDT's tick in spotsim's catalogue: 0.01 */
#define WAIT_MS     20000
#define CLI_OUT_MAX 65536

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, TICK, mode, &r), SB_OK);
	return r;
}

static const char *dstr(sb_dec v, char *buf, size_t cap)
{
	sb_dec_format_trim(v, buf, cap);
	return buf;
}

/* Order by client order id, in any status. */
struct coid_q {
	const char *coid;           /* wanted order */
	enum sb_order_state status; /* wanted status */
	struct sb_store_order out;  /* found */
};

static bool has_coid(struct sb_store *st, void *arg)
{
	struct coid_q *q = arg;
	return sb_store_order_get(st, q->coid, &q->out) == SB_OK && q->out.status == q->status;
}

static struct sb_store_order wait_coid(const char *coid, enum sb_order_state status)
{
	struct coid_q q = {.coid = coid, .status = status};
	cr_assert(bt_wait(has_coid, &q, WAIT_MS), "order %s reaches %s (is %s)", coid,
	          sb_order_state_name(status), sb_order_state_name(q.out.status));
	return q.out;
}

static bool order_exists(const char *coid)
{
	struct sb_store *st = bt_db();
	cr_assert(st);
	struct sb_store_order o;
	bool found = sb_store_order_get(st, coid, &o) == SB_OK;
	sb_store_close(st);
	return found;
}

/* The open SELL orders of BTCUSDT on spotsim: how many, and the price of the last. */
static int open_sells(sb_dec *price)
{
	struct sbt_response r;
	cr_assert(sbt_signed(T.sim.port, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = cJSON_Parse(r.body);
	cr_assert(cJSON_IsArray(j), "%s", r.body);
	int n = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, j)
	{
		const cJSON *side = cJSON_GetObjectItemCaseSensitive(o, "side");
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "price");
		if (!cJSON_IsString(side) || strcmp(side->valuestring, "SELL") != 0)
			continue;
		n++;
		cr_assert(cJSON_IsString(p));
		cr_assert_eq(sb_dec_parse(p->valuestring, strlen(p->valuestring), price), SB_OK);
	}
	cJSON_Delete(j);
	sbt_response_free(&r);
	return n;
}

/* Starts spotsim and the daemon, fills position 1's buy and waits for its limit sell; returns the sell. */
static struct sb_store_order holding_with_a_sell(const char *pairs)
{
	bt_start_sim(NULL);
	bt_write_env(pairs, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, WAIT_MS);
	return bt_wait_order(1, 's', SB_ORDER_NEW, WAIT_MS);
}

TestSuite(control_manual, .fini = bt_cleanup, .timeout = 120);

Test(control_manual, reprice_replaces_the_limit_sell_and_closes_at_the_new_price)
{
	struct sb_store_order s0 = holding_with_a_sell(PAIR_BTC);
	sb_dec want = scaled(s0.price, SB_DEC_C(1, 1000000), SB_ROUND_UP); /* 1% above the target */
	char p[SB_DEC_STRLEN], old[SB_DEC_STRLEN];
	dstr(want, p, sizeof p);
	dstr(s0.price, old, sizeof old);
	cr_assert_eq(CLI("reprice", "1", p), 0, "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.out, "\"accepted\":true"), "%s", CLI_RUN.out);
	wait_coid("sb-main-1-s0", SB_ORDER_CANCELED);
	struct sb_store_order s1 = wait_coid("sb-main-1-s1", SB_ORDER_NEW);
	cr_assert_eq(s1.price, want);
	cr_assert_eq(s1.type, SB_ORDER_LIMIT);
	sb_dec at = 0;
	cr_assert_eq(open_sells(&at), 1, "exactly one sell works on the exchange");
	cr_assert_eq(at, want);
	/* The event says what changed. */
	struct ctl_resp r;
	cr_assert(ctl("GET", "/events", TOKEN, &r));
	char needle[128];
	snprintf(needle, sizeof needle, "\"kind\":\"manual.reprice\"");
	cr_assert(strstr(r.body, needle), "%s", r.body);
	snprintf(needle, sizeof needle, "\"old\":\"%s\",\"new\":\"%s\"", old, p);
	cr_assert(strstr(r.body, needle), "%s in %s", needle, r.body);
	/* The position shows the new price; the strategy leaves the order alone. */
	cr_assert(ctl("GET", "/positions", TOKEN, &r));
	snprintf(needle, sizeof needle, "\"target_price\":\"%s\"", p);
	cr_assert(strstr(r.body, needle), "%s", r.body);
	cr_assert(!order_exists("sb-main-1-s2"));
	/* The market trades up through it: it fills at its own price. */
	bt_set_price("BTCUSDT", want);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, WAIT_MS);
	struct sb_store *st = bt_db();
	cr_assert(st);
	sb_dec qty, quote, fee;
	size_t n;
	bt_fills(st, "sb-main-1-s1", &qty, &quote, &fee, &n);
	sb_store_close(st);
	cr_assert_geq(n, 1);
	sb_dec v = 0;
	cr_assert_eq(sb_dec_mul(want, qty, SB_ROUND_HALF_EVEN, &v), SB_OK);
	cr_assert_eq(quote, v, "every fill at the re-priced %s", p);
	cr_assert_eq(pos.sold_qty, qty);
	cr_assert_eq(pos.proceeds, quote);
	cr_assert_eq(pos.realised_profit, quote - fee - pos.cost_quote, "profit %" PRId64,
	             pos.realised_profit);
	cr_assert_gt(pos.realised_profit, 0);
	cr_assert_eq(pos.exit, SB_EXIT_TARGET, "exit: %s", sb_position_exit_name(pos.exit));
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_manual, reprice_below_the_minimum_profitable_price_needs_force)
{
	struct sb_store_order s0 = holding_with_a_sell(PAIR_BTC);
	/* The strategy's sell is at the minimum profitable price; one tick less loses money. */
	sb_dec low = s0.price - TICK;
	char p[SB_DEC_STRLEN];
	dstr(low, p, sizeof p);
	cr_assert_eq(CLI("reprice", "1", p), 1);
	cr_assert(strstr(CLI_RUN.err, "below the minimum profitable price"), "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.err, "(409)"), "%s", CLI_RUN.err);
	/* The CLI speaks of its own flag, the API of its parameter. */
	cr_assert(strstr(CLI_RUN.err, "; --force sells at a loss"), "%s", CLI_RUN.err);
	cr_assert(!strstr(CLI_RUN.err, "force=1"), "%s", CLI_RUN.err);
	struct ctl_resp api;
	char path[96];
	snprintf(path, sizeof path, "/positions/1/reprice?price=%s", p);
	cr_assert(ctl("POST", path, TOKEN, &api));
	cr_assert_eq(api.status, 409, "%s", api.body);
	cr_assert(strstr(api.body, "force=1 sells at a loss"), "%s", api.body);
	struct sb_store_order again = wait_coid("sb-main-1-s0", SB_ORDER_NEW);
	cr_assert_eq(again.price, s0.price, "the order is untouched");
	sb_dec at = 0;
	cr_assert_eq(open_sells(&at), 1);
	cr_assert_eq(at, s0.price);
	cr_assert(!order_exists("sb-main-1-s1"));
	/* At a real loss, explicitly. */
	sb_dec loss = scaled(s0.price, SB_DEC_C(0, 99500000), SB_ROUND_DOWN);
	dstr(loss, p, sizeof p);
	cr_assert_eq(CLI("reprice", "1", p, "--force"), 0, "%s", CLI_RUN.err);
	wait_coid("sb-main-1-s0", SB_ORDER_CANCELED);
	struct sb_store_order s1 = wait_coid("sb-main-1-s1", SB_ORDER_NEW);
	cr_assert_eq(s1.price, loss);
	cr_assert_eq(open_sells(&at), 1);
	cr_assert_eq(at, loss);
	bt_set_price("BTCUSDT", loss);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, WAIT_MS);
	cr_assert_lt(pos.realised_profit, 0, "sold at a loss");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_manual, reprice_checks_the_filters_and_the_price_text)
{
	/* 20 USDT buys 0.00033 BTC: its notional falls under 5 USDT above the percent band's floor. */
	struct sb_store_order s0 = holding_with_a_sell(PAIR_FEW);
	struct ctl_resp r;
	/* Bad text: usage, exit 2, nothing sent. */
	cr_assert_eq(CLI("reprice", "1", "abc"), 2);
	cr_assert(strstr(CLI_RUN.err, "usage: spotbot reprice"), "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.err, "'abc' is not a price"), "%s", CLI_RUN.err);
	cr_assert_eq(CLI("reprice", "1", "0"), 2);
	cr_assert_eq(CLI("reprice", "1", "-5"), 2);
	cr_assert_eq(CLI("reprice", "1"), 2);
	cr_assert_eq(CLI("reprice", "one", "60000"), 2);
	cr_assert_eq(CLI("reprice", "1", "60000", "--bogus"), 2);
	cr_assert(ctl("GET", "/events", TOKEN, &r));
	cr_assert(!strstr(r.body, "manual.reprice"), "no request reached the daemon: %s", r.body);
	/* The API refuses missing or bad prices itself. */
	cr_assert(ctl("POST", "/positions/1/reprice", TOKEN, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert(ctl("POST", "/positions/1/reprice?price=12x", TOKEN, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert(ctl("POST", "/positions/99/reprice?price=60000", TOKEN, &r));
	cr_assert_eq(r.status, 404, "%s", r.body);
	/* Filters: above maxPrice, beyond the percent band, under the minimum notional. */
	cr_assert(ctl("POST", "/positions/1/reprice?price=2000000", TOKEN, &r));
	cr_assert_eq(r.status, 422, "%s", r.body);
	cr_assert(strstr(r.body, "PRICE_FILTER"), "%s", r.body);
	cr_assert_eq(CLI("reprice", "1", "400000"), 1);
	cr_assert(strstr(CLI_RUN.err, "PERCENT_PRICE_BY_SIDE"), "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.err, "(422)"), "%s", CLI_RUN.err);
	cr_assert_eq(CLI("reprice", "1", "0.001"), 1, "rounds up to the tick, then far below the band");
	cr_assert(strstr(CLI_RUN.err, "PERCENT_PRICE_BY_SIDE"), "%s", CLI_RUN.err);
	cr_assert_eq(CLI("reprice", "1", "13000", "--force"), 1);
	cr_assert(strstr(CLI_RUN.err, "NOTIONAL"), "%s", CLI_RUN.err);
	cr_assert(!order_exists("sb-main-1-s1"), "nothing was placed");
	struct sb_store_order still = wait_coid("sb-main-1-s0", SB_ORDER_NEW);
	cr_assert_eq(still.price, s0.price);
	/* Off the tick: a sell is rounded up to it. */
	sb_dec want = scaled(s0.price, SB_DEC_C(1, 2000000), SB_ROUND_UP);
	char p[SB_DEC_STRLEN], q[SB_DEC_STRLEN];
	dstr(want - TICK + SB_DEC_C(0, 400000), p, sizeof p); /* 0.004 above the tick below want */
	cr_assert_eq(CLI("reprice", "1", p), 0, "%s", CLI_RUN.err);
	snprintf(q, sizeof q, "\"price\":\"%s\"", dstr(want, p, sizeof p));
	cr_assert(strstr(CLI_RUN.out, q), "the answer names the rounded price: %s", CLI_RUN.out);
	struct sb_store_order s1 = wait_coid("sb-main-1-s1", SB_ORDER_NEW);
	cr_assert_eq(s1.price, want);
	sb_dec at = 0;
	cr_assert_eq(open_sells(&at), 1);
	cr_assert_eq(at, want);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

Test(control_manual, manual_sell_is_recorded_with_the_manual_exit)
{
	holding_with_a_sell(PAIR_BTC);
	cr_assert_eq(CLI("sell", "1"), 0, "%s", CLI_RUN.err);
	/* The command waited for the exchange's answer and reports it. */
	cr_assert(strstr(CLI_RUN.out, "\"done\":true") && strstr(CLI_RUN.out, "\"ok\":true"), "%s",
	          CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "\"client_order_id\":\"sb-main-1-x0\""), "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "\"status\":\"FILLED\""), "%s", CLI_RUN.out);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, WAIT_MS);
	cr_assert_eq(pos.exit, SB_EXIT_MANUAL, "exit: %s", sb_position_exit_name(pos.exit));
	bt_wait_order(1, 'x', SB_ORDER_FILLED, WAIT_MS);
	cr_assert_eq(CLI("history", "--json"), 0, "%s", CLI_RUN.err);
	cJSON *doc = cJSON_Parse(CLI_RUN.out);
	cr_assert(cJSON_IsArray(doc) && cJSON_GetArraySize(doc) == 1, "%s", CLI_RUN.out);
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(doc, 0), "exit");
	cr_assert(cJSON_IsString(x), "%s", CLI_RUN.out);
	cr_assert_str_eq(x->valuestring, "manual");
	cJSON_Delete(doc);
	cr_assert_eq(CLI("history"), 0, "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.out, "EXIT"), "%s", CLI_RUN.out);
	cr_assert(strstr(CLI_RUN.out, "manual"), "%s", CLI_RUN.out);
	cr_assert(!strstr(CLI_RUN.out, "stop_loss"), "%s", CLI_RUN.out);
	cr_assert_eq(CLI("positions"), 0, "%s", CLI_RUN.err);
	cr_assert(strstr(CLI_RUN.out, "manual"), "%s", CLI_RUN.out);
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

/* Asks to abandon position 1 (the answer into *r): true once it is taken (202); until then only 409 'not
 * now' may come. */
static bool abandon_taken(struct ctl_resp *r)
{
	cr_assert(ctl("POST", "/positions/1/abandon", TOKEN, r));
	if (r->status == 202)
		return true;
	cr_assert_eq(r->status, 409, "only 'not now' while a sell is being tried: %s", r->body);
	return false;
}

Test(control_manual, abandon_gives_up_a_holding_position_through_the_order_manager)
{
	bt_start_sim(NULL);
	bt_write_env(PAIR_BTC, "CONTROL_TOKEN=" TOKEN);
	bt_start_bot();
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, WAIT_MS);
	/* Sells never reach the book: the position holds its coins with nothing working between tries. */
	bt_fault("order_5xx_before", NULL);
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, WAIT_MS);
	bt_wait_order(1, 's', SB_ORDER_NEVER_SENT, WAIT_MS);
	struct ctl_resp r;
	SBT_WAIT_UNTIL(abandon_taken(&r), WAIT_MS, "the abandon to be taken: %s", r.body);
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_ABANDONED, WAIT_MS);
	cr_assert(strstr(pos.notes, "abandoned by hand"), "%s", pos.notes);
	cr_assert_gt(pos.closed_ms, 0);
	cr_assert(ctl("GET", "/positions", TOKEN, &r));
	cr_assert(!strstr(r.body, "\"id\":1,"), "the daemon forgot it: %s", r.body);
	cr_assert(ctl("GET", "/events", TOKEN, &r));
	cr_assert(strstr(r.body, "\"kind\":\"position.abandoned\""), "%s", r.body);
	cr_assert(strstr(r.body, "\"reason\":\"MANUAL\""), "%s", r.body);
	cr_assert(ctl("POST", "/positions/1/abandon", TOKEN, &r));
	cr_assert_eq(r.status, 409, "an ended position: %s", r.body);
	cr_assert(strstr(r.body, "position 1 is ABANDONED"), "the refusal names the state: %s", r.body);
	sb_dec at = 0;
	cr_assert_eq(open_sells(&at), 0, "the exchange was not touched");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0);
}

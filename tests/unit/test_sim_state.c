/*
 * test_sim_state.c - spotsim's state file: what a save and a restore keep (orders with their ids and
 * places, balances, trades, id sequences, where the market stood), and every damage the loader must
 * refuse with a reason that names it. The exchange runs in the test's process (sbtest_exchange.h).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "sbtest_dec.h"
#include "sbtest_exchange.h"
#include "sim/state.h"

#define ACCOUNT "k:topsecret42:USDT=100000,BTC=2"

static uv_loop_t loop;
static char dir[] = "/tmp/sim-state-XXXXXX";
static char path[128];
static char err[4096];

static void setup(void)
{
	uv_loop_init(&loop);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/state.json", dir);
}

static void teardown(void)
{
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	unlink(path);
	unlink(tmp);
	rmdir(dir);
	uv_loop_close(&loop);
}

TestSuite(sim_state, .init = setup, .fini = teardown);

static struct sim_exchange *open_with(const char *account)
{
	const char *const args[] = {"--account", account, "--symbols", "BTCUSDT", "--state", path, NULL};
	return sbt_exchange_new(&loop, args, NULL, err, sizeof err);
}

static struct sim_exchange *open_ex(void)
{
	struct sim_exchange *ex = open_with(ACCOUNT);
	cr_assert_not_null(ex, "spotsim refused its state: %s", err);
	return ex;
}

static struct sim_symbol *btc(struct sim_exchange *ex)
{
	return sim_exchange_symbol(ex, "BTCUSDT", 7);
}

static struct sim_ledger_asset balance(struct sim_exchange *ex, const char *asset)
{
	struct sim_ledger_asset b;
	cr_assert_eq(sim_ledger_balance(ex->ledger, ex->accounts[0].id, asset, &b), SB_OK);
	return b;
}

static const struct sim_book_order *by_client(struct sim_exchange *ex, const char *cid)
{
	const struct sim_book_order *o =
	    sim_book_find_client(btc(ex)->book, ex->accounts[0].id, cid, strlen(cid));
	cr_assert_not_null(o, "order %s is known", cid);
	return o;
}

/* Two resting orders and one filled by the market: what the tests save. */
static void trade_some(struct sim_exchange *ex)
{
	sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "50000", "0.01", "keep-1");
	sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "55000", "0.02", "fill-1");
	sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_SELL, "70000", "0.5", "sell-1");
	cr_assert_eq(sim_exchange_set_price(ex, btc(ex), D("54000"), D("1")), SB_OK);
	cr_assert_eq(by_client(ex, "fill-1")->status, SB_ORDER_FILLED, "the market crossed fill-1");
	cr_assert(ex->state_dirty, "a fill marks the state changed");
	cr_assert_eq(sim_exchange_persist(ex, false), SB_OK);
	cr_assert_not(ex->state_dirty);
}

Test(sim_state, a_restart_keeps_orders_balances_trades_and_continues_the_ids)
{
	struct sim_exchange *ex = open_ex();
	trade_some(ex);
	struct sim_ledger_asset usdt = balance(ex, "USDT"), base = balance(ex, "BTC");
	const struct sim_book_order *keep = by_client(ex, "keep-1");
	uint64_t keep_id = keep->id, keep_seq = keep->seq;
	sb_dec keep_locked = keep->locked;
	struct sim_trade_rec trade = ex->accounts[0].trades[0];
	size_t ntrades = ex->accounts[0].ntrades;
	int64_t next_trade = sim_book_next_trade_id(btc(ex)->book);
	sb_dec last = btc(ex)->last_price;
	sbt_exchange_free(&loop, ex);

	ex = open_ex();
	struct sim_ledger_asset u2 = balance(ex, "USDT"), b2 = balance(ex, "BTC");
	cr_assert_eq(u2.free, usdt.free);
	cr_assert_eq(u2.locked, usdt.locked);
	cr_assert_eq(b2.free, base.free);
	cr_assert_eq(b2.locked, base.locked);
	keep = by_client(ex, "keep-1");
	cr_assert_eq(keep->id, keep_id);
	cr_assert_eq(keep->seq, keep_seq);
	cr_assert_eq(keep->status, SB_ORDER_NEW);
	cr_assert_eq(keep->locked, keep_locked);
	cr_assert_eq(by_client(ex, "fill-1")->status, SB_ORDER_FILLED, "closed orders stay queryable");
	cr_assert_eq(sim_book_open_count(btc(ex)->book, ex->accounts[0].id), 2);
	cr_assert_eq(ex->accounts[0].ntrades, ntrades);
	cr_assert_eq(ex->accounts[0].trades[0].id, trade.id);
	cr_assert_eq(ex->accounts[0].trades[0].order_id, trade.order_id);
	cr_assert_eq(ex->accounts[0].trades[0].commission, trade.commission);
	cr_assert_eq(sim_book_next_trade_id(btc(ex)->book), next_trade, "trade ids continue");
	cr_assert_eq(btc(ex)->last_price, last, "the synthetic market resumes at its last price");
	uint64_t next = sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "40000", "0.01", "after");
	cr_assert_eq(next, 4, "orderIds continue after 1, 2 and 3");
	/* The restored orders still match: the market trading through keep-1 fills it. */
	cr_assert_eq(sim_exchange_set_price(ex, btc(ex), D("49000"), D("1")), SB_OK);
	cr_assert_eq(by_client(ex, "keep-1")->status, SB_ORDER_FILLED);
	sbt_exchange_free(&loop, ex);
}

Test(sim_state, a_first_start_creates_the_file_private_and_whole)
{
	cr_assert_neq(access(path, F_OK), 0);
	struct sim_exchange *ex = open_ex();
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "the file is written at start");
	cr_assert_eq(st.st_mode & 0777, 0600);
	trade_some(ex);
	char tmp[160];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	cr_assert_neq(access(tmp, F_OK), 0, "the temporary file was renamed");
	cJSON *doc = NULL;
	char why[256];
	cr_assert_eq(sim_state_read(path, &doc, why, sizeof why), SB_OK, "%s", why);
	cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(doc, "format")->valuestring, SIM_STATE_FORMAT);
	cr_assert_eq(cJSON_GetObjectItemCaseSensitive(doc, "version")->valueint, SIM_STATE_VERSION);
	cJSON_Delete(doc);
	char text[65536] = "";
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	text[fread(text, 1, sizeof text - 1, f)] = '\0';
	fclose(f);
	cr_assert_not_null(strstr(text, "\"key\":\"k\""), "accounts are named by their key");
	cr_assert_null(strstr(text, "topsecret42"), "no secret is written");
	sbt_exchange_free(&loop, ex);
}

Test(sim_state, only_changes_that_matter_write_the_file)
{
	struct sim_exchange *ex = open_ex();
	uint64_t saves = ex->state_saves;
	cr_assert_eq(sim_exchange_persist(ex, false), SB_OK);
	cr_assert_eq(ex->state_saves, saves, "nothing changed: nothing written");
	sbt_exchange_limit(ex, "BTCUSDT", SB_SIDE_BUY, "50000", "0.01", "one");
	cr_assert_eq(sim_exchange_persist(ex, false), SB_OK);
	cr_assert_eq(ex->state_saves, saves + 1, "an accepted order is written");
	sbt_exchange_free(&loop, ex);
}

/* ---- damage ------------------------------------------------------------------------------------ */

/* A saved state, parsed, for a test to damage. */
static cJSON *saved(void)
{
	struct sim_exchange *ex = open_ex();
	trade_some(ex);
	sbt_exchange_free(&loop, ex);
	cJSON *doc = NULL;
	char why[256];
	cr_assert_eq(sim_state_read(path, &doc, why, sizeof why), SB_OK, "%s", why);
	return doc;
}

static void write_doc(cJSON *doc)
{
	char *text = cJSON_Print(doc);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	free(text);
	cJSON_Delete(doc);
}

/* Starting on the damaged file fails, and the message names the file and the problem. */
static void expect_refused(const char *problem)
{
	cr_assert_null(open_with(ACCOUNT), "a damaged state was accepted");
	cr_assert_not_null(strstr(err, path), "%s", err);
	cr_assert_not_null(strstr(err, problem), "expected '%s' in: %s", problem, err);
}

static cJSON *item(cJSON *o, const char *k)
{
	cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	cr_assert_not_null(it, "%s", k);
	return it;
}

/* The saved account's balance of asset. */
static cJSON *saved_balance(cJSON *doc, const char *asset)
{
	cJSON *b;
	cJSON_ArrayForEach(b, item(cJSON_GetArrayItem(item(doc, "accounts"), 0), "balances"))
	{
		if (strcmp(item(b, "asset")->valuestring, asset) == 0)
			return b;
	}
	cr_assert_fail("no %s balance", asset);
	return NULL;
}

Test(sim_state, locked_funds_that_differ_from_the_open_orders_are_refused)
{
	cJSON *doc = saved();
	cJSON_ReplaceItemInObjectCaseSensitive(saved_balance(doc, "USDT"), "locked",
	                                       cJSON_CreateString("1.00000000"));
	write_doc(doc);
	expect_refused("USDT locked is 1 but its open orders hold 500");
}

Test(sim_state, a_negative_balance_is_refused)
{
	cJSON *doc = saved();
	cJSON_ReplaceItemInObjectCaseSensitive(saved_balance(doc, "BTC"), "free",
	                                       cJSON_CreateString("-0.50000000"));
	write_doc(doc);
	expect_refused("balance of BTC is negative");
}

Test(sim_state, an_account_not_given_on_the_command_line_is_refused)
{
	write_doc(saved());
	cr_assert_null(open_with("other:s:USDT=1"));
	cr_assert_not_null(strstr(err, "account k is not given with --account"), "%s", err);
}

Test(sim_state, a_symbol_not_served_is_refused)
{
	cJSON *doc = saved();
	cJSON *sym = cJSON_GetArrayItem(item(doc, "symbols"), 0);
	cJSON_ReplaceItemInObjectCaseSensitive(sym, "symbol", cJSON_CreateString("SOLUSDT"));
	write_doc(doc);
	expect_refused("symbol SOLUSDT is not served");
}

Test(sim_state, another_version_is_refused)
{
	cJSON *doc = saved();
	cJSON_ReplaceItemInObjectCaseSensitive(doc, "version", cJSON_CreateNumber(2));
	write_doc(doc);
	expect_refused("version 2, but this spotsim reads version 1");
}

Test(sim_state, an_order_id_at_or_past_the_next_one_is_refused)
{
	cJSON *doc = saved();
	cJSON *sym = cJSON_GetArrayItem(item(doc, "symbols"), 0);
	cJSON_ReplaceItemInObjectCaseSensitive(sym, "nextOrderId", cJSON_CreateNumber(2));
	write_doc(doc);
	expect_refused("is not below nextOrderId 2");
}

Test(sim_state, an_order_id_given_twice_is_refused)
{
	cJSON *doc = saved();
	cJSON *orders = item(cJSON_GetArrayItem(item(doc, "symbols"), 0), "orders");
	cJSON_AddItemToArray(orders, cJSON_Duplicate(cJSON_GetArrayItem(orders, 0), 1));
	write_doc(doc);
	expect_refused("taken twice");
}

Test(sim_state, a_malformed_order_is_refused)
{
	cJSON *doc = saved();
	cJSON *order = cJSON_GetArrayItem(item(cJSON_GetArrayItem(item(doc, "symbols"), 0), "orders"), 0);
	cJSON_ReplaceItemInObjectCaseSensitive(order, "side", cJSON_CreateString("SIDEWAYS"));
	write_doc(doc);
	expect_refused("order 1: side is missing or malformed");
}

Test(sim_state, a_malformed_amount_of_an_order_is_named)
{
	cJSON *doc = saved();
	cJSON *order = cJSON_GetArrayItem(item(cJSON_GetArrayItem(item(doc, "symbols"), 0), "orders"), 0);
	cJSON_ReplaceItemInObjectCaseSensitive(order, "executedQty", cJSON_CreateString("abc"));
	write_doc(doc);
	expect_refused("order 1: executedQty is missing or malformed");
}

Test(sim_state, a_truncated_file_is_refused)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"format\":\"spotsim-state\",\"vers", f);
	fclose(f);
	expect_refused("not JSON");
}

Test(sim_state, a_file_of_something_else_is_refused)
{
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"symbols\":[]}", f);
	fclose(f);
	expect_refused("not a spotsim state file");
}

/* A limit order of the test's account with a self-trade prevention mode. */
static void place_stp(struct sim_exchange *ex, enum sb_side side, const char *price, const char *qty,
                      const char *cid, enum sim_stp_mode stp)
{
	struct sim_book_req req = {.account = ex->accounts[0].id,
	                           .side = side,
	                           .type = SB_ORDER_LIMIT,
	                           .tif = SB_TIF_GTC,
	                           .stp = stp,
	                           .client_id = cid,
	                           .client_id_len = strlen(cid),
	                           .time = sim_exchange_now(ex)};
	req.price = D(price);
	req.qty = D(qty);
	sim_book_result_clear(&ex->scratch);
	cr_assert_eq(sim_ledger_place(ex->ledger, btc(ex)->book, &req, 0, &ex->scratch), SB_OK);
	sim_exchange_settled(ex, btc(ex), &ex->scratch);
}

Test(sim_state, self_trade_prevention_survives_a_restart_and_its_ids_continue)
{
	struct sim_exchange *ex = open_ex();
	/* The account's own sell meets its resting buy: EXPIRE_MAKER expires the buy, the sell rests. */
	place_stp(ex, SB_SIDE_BUY, "50000", "0.01", "rest-1", SIM_STP_EXPIRE_TAKER);
	place_stp(ex, SB_SIDE_SELL, "50000", "0.02", "cross-1", SIM_STP_EXPIRE_MAKER);
	const struct sim_book_order *rest = by_client(ex, "rest-1");
	cr_assert_eq(rest->status, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_eq(rest->prevented_qty, D("0.01"));
	int64_t match_id = rest->prevented_match_id;
	int64_t next_match = sim_book_next_prevented_id(btc(ex)->book);
	cr_assert_eq(next_match, match_id + 1);
	struct sim_ledger_asset usdt = balance(ex, "USDT"), base = balance(ex, "BTC");
	cr_assert_eq(sim_exchange_persist(ex, false), SB_OK);
	sbt_exchange_free(&loop, ex);

	ex = open_ex();
	rest = by_client(ex, "rest-1");
	cr_assert_eq(rest->status, SB_ORDER_EXPIRED_IN_MATCH, "an order expired in match stays queryable");
	cr_assert_eq(rest->stp, SIM_STP_EXPIRE_TAKER);
	cr_assert_eq(rest->prevented_qty, D("0.01"));
	cr_assert_eq(rest->prevented_match_id, match_id);
	const struct sim_book_order *cross = by_client(ex, "cross-1");
	cr_assert_eq(cross->status, SB_ORDER_NEW);
	cr_assert_eq(cross->stp, SIM_STP_EXPIRE_MAKER);
	cr_assert_eq(sim_book_next_prevented_id(btc(ex)->book), next_match, "preventedMatchIds continue");
	struct sim_ledger_asset u2 = balance(ex, "USDT"), b2 = balance(ex, "BTC");
	cr_assert_eq(u2.free, usdt.free);
	cr_assert_eq(u2.locked, usdt.locked);
	cr_assert_eq(b2.free, base.free);
	cr_assert_eq(b2.locked, base.locked);
	/* The restored resting sell still prevents: a buy with EXPIRE_TAKER meeting it expires. */
	place_stp(ex, SB_SIDE_BUY, "50000", "0.01", "cross-2", SIM_STP_EXPIRE_TAKER);
	const struct sim_book_order *c2 = by_client(ex, "cross-2");
	cr_assert_eq(c2->status, SB_ORDER_EXPIRED_IN_MATCH);
	cr_assert_eq(c2->prevented_match_id, next_match, "the next prevention takes the next id");
	sbt_exchange_free(&loop, ex);
}

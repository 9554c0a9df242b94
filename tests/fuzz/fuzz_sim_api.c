/*
 * Fuzz target for spotsim's API methods' parameter handling: what a third-party client sends after the
 * query string is decoded. Each line of the input is one call on the exchange (one account "k", BTCUSDT
 * and ETHBTC, built once: building one takes milliseconds; its market does not move between calls, and
 * every input ends by cancelling the account's open orders, so inputs barely depend on the ones before):
 * byte 0 chooses the method from the API table (bit 7: as the WebSocket API calls
 * it), the rest is its parameters as a query string. Authentication and request weight are skipped, so
 * every call reaches the method with the account set. Nothing may crash, leak or overflow; every refusal
 * must carry a Binance error code and message; and after the calls the books must balance: no asset
 * created or destroyed over all accounts, no negative balance, every locked balance equal to what the
 * account's open orders hold, and nothing locked once they are cancelled.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sim/api.h"
#include "sim/exchange.h"
#include "sim/options.h"
#include "spotbot/query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CALLS 16

static const char *const ASSETS[] = {"USDT", "BTC", "ETH"};
#define NASSETS (sizeof ASSETS / sizeof ASSETS[0])

static void check(int ok)
{
	if (!ok)
		abort();
}

static const struct sim_api_method *method_of(uint8_t b)
{
	static const char *const ws[] = {"ping",
	                                 "time",
	                                 "exchangeInfo",
	                                 "depth",
	                                 "trades.recent",
	                                 "trades.aggregate",
	                                 "klines",
	                                 "uiKlines",
	                                 "avgPrice",
	                                 "ticker.24hr",
	                                 "ticker.price",
	                                 "ticker.book",
	                                 "order.place",
	                                 "order.test",
	                                 "order.status",
	                                 "order.cancel",
	                                 "order.cancelReplace",
	                                 "openOrders.status",
	                                 "openOrders.cancelAll",
	                                 "allOrders",
	                                 "myTrades",
	                                 "myPreventedMatches",
	                                 "account.status",
	                                 "account.commission",
	                                 "account.rateLimits.orders"};
	static const char *const rest[][2] = {{"POST", "/api/v3/userDataStream"},
	                                      {"PUT", "/api/v3/userDataStream"},
	                                      {"DELETE", "/api/v3/userDataStream"}};
	size_t n = sizeof ws / sizeof ws[0], i = (size_t)(b & 0x7f) % (n + 3);
	const struct sim_api_method *m =
	    i < n ? sim_api_find_ws(ws[i]) : sim_api_find_rest(rest[i - n][0], rest[i - n][1]);
	check(m != NULL);
	return m;
}

static struct sim_exchange *fresh(uv_loop_t *loop)
{
	static struct sim_options o;
	char *argv[] = {"fuzz",      "--account",      "k:s:USDT=100000,BTC=2,ETH=10",
	                "--symbols", "BTCUSDT,ETHBTC", NULL};
	if (sim_options_parse(5, argv, &o, stderr) != SB_OK)
		abort();
	struct sim_exchange *ex = NULL;
	if (sim_exchange_new(loop, &o, NULL, stderr, &ex) != SB_OK)
		abort();
	return ex;
}

/* What the account's open orders on every symbol hold in asset; -1 when there are too many to list. */
static sb_dec held(struct sim_exchange *ex, uint32_t account, const char *asset)
{
	sb_dec sum = 0;
	for (size_t k = 0; k < ex->nsymbols; k++) {
		struct sim_symbol *s = &ex->symbols[k];
		const struct sim_book_order *v[256];
		size_t n = sim_book_open_orders(s->book, account, v, 256);
		if (n > 256)
			return -1;
		for (size_t i = 0; i < n; i++) {
			const char *a =
			    v[i]->side == SB_SIDE_BUY ? s->rules.quote_asset : s->rules.base_asset;
			if (strcmp(a, asset) == 0)
				check(sb_dec_add(sum, v[i]->locked, &sum) == SB_OK);
		}
	}
	return sum;
}

static void call_one(struct sim_exchange *ex, uint8_t which, const char *q, size_t len)
{
	static struct sb_query query;
	sb_query_init(&query);
	if (sb_query_parse(&query, q, len, SB_QUERY_PLUS_SPACE) != SB_OK)
		return; /* refused before any method runs (fuzz_query covers the parser) */
	const struct sim_api_method *m = method_of(which);
	struct sim_api_call call = {.ex = ex,
	                            .params = query.pairs,
	                            .nparams = query.npairs,
	                            .account = m->sec == SIM_SEC_NONE ? NULL : &ex->accounts[0],
	                            .now_ms = sim_exchange_now(ex),
	                            .ws = (which & 0x80) != 0};
	struct sim_api_reply r = {.status = 200, .weight = m->weight};
	m->fn(&call, &r);
	if (r.status == 200)
		check(r.json != NULL);
	else
		check(r.status >= 400 && r.code < 0 && r.msg[0] != '\0');
	free(r.json);
	free(r.data);
}

/* Cancels the account's open orders on every symbol, as a client would with openOrders.cancelAll. */
static void cancel_all(struct sim_exchange *ex)
{
	for (size_t k = 0; k < ex->nsymbols; k++) {
		char q[64];
		int n = snprintf(q, sizeof q, "symbol=%s", ex->symbols[k].rules.symbol);
		call_one(ex, 18, q, (size_t)n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static struct sim_exchange *ex;
	static sb_dec before[NASSETS];
	if (!ex) {
		uv_loop_init(&loop);
		stdout = fopen("/dev/null", "w"); /* the exchange's notes; sanitizer reports go to fd 2 */
		ex = fresh(&loop);
		for (size_t a = 0; a < NASSETS; a++)
			check(sim_ledger_total(ex->ledger, ASSETS[a], &before[a]) == SB_OK);
	}
	const char *s = (const char *)data, *end = s + size;
	for (int n = 0; s < end && n < MAX_CALLS; n++) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *stop = nl ? nl : end;
		if (stop > s)
			call_one(ex, (uint8_t)s[0], s + 1, (size_t)(stop - s - 1));
		s = stop + 1;
	}
	for (int cancelled = 0; cancelled < 2; cancelled++) {
		for (size_t a = 0; a < NASSETS; a++) {
			sb_dec after;
			check(sim_ledger_total(ex->ledger, ASSETS[a], &after) == SB_OK && after == before[a]);
			struct sim_ledger_asset b;
			sim_ledger_balance(ex->ledger, ex->accounts[0].id, ASSETS[a], &b);
			check(b.free >= 0 && b.locked >= 0);
			sb_dec h = held(ex, ex->accounts[0].id, ASSETS[a]);
			check(h < 0 || b.locked == h);
			check(!cancelled || b.locked == 0);
		}
		cancel_all(ex);
	}
	return 0;
}

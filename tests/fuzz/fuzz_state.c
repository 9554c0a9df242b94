/*
 * Fuzz target for spotsim's state-file loader: the input is parsed as JSON and restored into a fresh
 * exchange (one account "k", BTCUSDT), as spotsim does at start with --state. Nothing may crash, leak
 * or read out of bounds; a refusal must say why, and an accepted state must balance: every locked
 * balance equal to what the open orders hold (the loader's promise, checked again here).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sim/exchange.h"
#include "sim/options.h"
#include "sim/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sim_exchange *fresh(uv_loop_t *loop)
{
	static struct sim_options o;
	static bool parsed;
	char *argv[] = {"fuzz", "--account", "k:s:USDT=100000,BTC=2", "--symbols", "BTCUSDT", NULL};
	if (!parsed && sim_options_parse(5, argv, &o, stderr) != SB_OK)
		abort();
	parsed = true;
	struct sim_exchange *ex = NULL;
	if (sim_exchange_new(loop, &o, NULL, stderr, &ex) != SB_OK)
		abort();
	return ex;
}

/* What the account's open BTCUSDT orders hold in asset. */
static sb_dec held(struct sim_exchange *ex, const char *asset)
{
	struct sim_symbol *s = &ex->symbols[0];
	const struct sim_book_order *v[64];
	size_t n = sim_book_open_orders(s->book, ex->accounts[0].id, v, 64);
	sb_dec sum = 0;
	for (size_t i = 0; i < n && i < 64; i++) {
		const char *a = v[i]->side == SIM_SIDE_BUY ? s->rules.quote_asset : s->rules.base_asset;
		if (strcmp(a, asset) == 0 && sb_dec_add(sum, v[i]->locked, &sum) != SB_OK)
			return -1; /* the loader refuses such a sum; nothing to compare */
	}
	return n <= 64 ? sum : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static bool init;
	if (!init)
		uv_loop_init(&loop);
	init = true;
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	if (!doc)
		return 0;
	struct sim_exchange *ex = fresh(&loop);
	char why[512] = "";
	if (sim_state_restore(ex, doc, why, sizeof why) != SB_OK) {
		if (!why[0])
			abort();
	} else {
		const char *assets[] = {"USDT", "BTC"};
		for (int i = 0; i < 2; i++) {
			struct sim_ledger_asset b;
			sim_ledger_balance(ex->ledger, ex->accounts[0].id, assets[i], &b);
			sb_dec h = held(ex, assets[i]);
			if (h >= 0 && b.locked != h)
				abort();
		}
	}
	cJSON_Delete(doc);
	sim_exchange_stop(ex);
	uv_run(&loop, UV_RUN_DEFAULT);
	sim_exchange_free(ex);
	return 0;
}

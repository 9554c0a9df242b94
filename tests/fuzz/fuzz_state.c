/*
 * Fuzz target for spotsim's state file: the input is written to a file, read (sim_state_read), its
 * market position taken (sim_state_market) and restored into a fresh exchange (one account "k",
 * BTCUSDT), as spotsim does at start with --state. Nothing may crash, leak or read out of bounds; a
 * refusal must say why; an accepted state must balance: every locked balance equal to what the open
 * orders hold (the loader's promise, checked again here); and it must survive a restart: saved again,
 * the file reads back and restores into another fresh exchange with the same balances.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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
		const char *a = v[i]->side == SB_SIDE_BUY ? s->rules.quote_asset : s->rules.base_asset;
		if (strcmp(a, asset) == 0 && sb_dec_add(sum, v[i]->locked, &sum) != SB_OK)
			return -1; /* the loader refuses such a sum; nothing to compare */
	}
	return n <= 64 ? sum : -1;
}

static const char *const ASSETS[] = {"USDT", "BTC"};

/* An accepted state balances: every locked balance is what the open orders hold. */
static void check_locks(struct sim_exchange *ex)
{
	for (int i = 0; i < 2; i++) {
		struct sim_ledger_asset b;
		sim_ledger_balance(ex->ledger, ex->accounts[0].id, ASSETS[i], &b);
		sb_dec h = held(ex, ASSETS[i]);
		if (h >= 0 && b.locked != h)
			abort();
	}
}

static void done(uv_loop_t *loop, struct sim_exchange *ex)
{
	sim_exchange_stop(ex);
	uv_run(loop, UV_RUN_DEFAULT);
	sim_exchange_free(ex);
}

/* Saves ex, reads the file back into a fresh exchange: it must restore, with the same balances. */
static void check_restart(uv_loop_t *loop, struct sim_exchange *ex, const char *path)
{
	char why[512] = "";
	if (sim_state_save(ex, path, why, sizeof why) != SB_OK)
		abort();
	cJSON *doc = NULL;
	if (sim_state_read(path, &doc, why, sizeof why) != SB_OK)
		abort();
	struct sim_exchange *again = fresh(loop);
	if (sim_state_restore(again, doc, why, sizeof why) != SB_OK)
		abort();
	for (int i = 0; i < 2; i++) {
		struct sim_ledger_asset a, b;
		sim_ledger_balance(ex->ledger, ex->accounts[0].id, ASSETS[i], &a);
		sim_ledger_balance(again->ledger, again->accounts[0].id, ASSETS[i], &b);
		if (a.free != b.free || a.locked != b.locked)
			abort();
	}
	cJSON_Delete(doc);
	done(loop, again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static char path[64];
	if (!path[0]) {
		uv_loop_init(&loop);
		snprintf(path, sizeof path, "%s/fuzz_state.%ld.json",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
		abort();
	cJSON *doc = NULL;
	char why[512] = "";
	if (sim_state_read(path, &doc, why, sizeof why) != SB_OK) {
		if (!why[0])
			abort();
		return 0;
	}
	sb_dec last = 0;
	int64_t market_ms = 0;
	sim_state_market(doc, "BTCUSDT", &last, &market_ms);
	if (last < 0 || market_ms < 0)
		abort();
	struct sim_exchange *ex = fresh(&loop);
	if (sim_state_restore(ex, doc, why, sizeof why) != SB_OK) {
		if (!why[0])
			abort();
	} else {
		check_locks(ex);
		check_restart(&loop, ex, path);
	}
	cJSON_Delete(doc);
	done(&loop, ex);
	return 0;
}

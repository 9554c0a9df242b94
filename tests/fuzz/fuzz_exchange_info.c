/*
 * Fuzz target for exchangeInfo files as `spotsim --exchange-info FILE` and `spotbot backtest
 * --exchange-info FILE` load them: the input is written to a file and an exchange is built from it
 * without --symbols (so the file chooses the symbols, or the catalogue's defaults it lists). Nothing may
 * crash, leak or read out of bounds; a refusal must say why; and every symbol served with rules from the
 * file must be one spotbot reads back the same from that file (sb_rules_parse_exchange_info): spotsim
 * never trades rules the bot would refuse or read differently.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "sim/exchange.h"
#include "sim/options.h"
#include "spotbot/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int same_rules(const struct sb_symbol_rules *a, const struct sb_symbol_rules *b)
{
	return strcmp(a->symbol, b->symbol) == 0 && strcmp(a->base_asset, b->base_asset) == 0 &&
	       strcmp(a->quote_asset, b->quote_asset) == 0 && a->price.tick_size == b->price.tick_size &&
	       a->price.min_price == b->price.min_price && a->price.max_price == b->price.max_price &&
	       a->lot.step_size == b->lot.step_size && a->lot.min_qty == b->lot.min_qty &&
	       a->lot.max_qty == b->lot.max_qty;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uv_loop_t loop;
	static char path[64];
	static FILE *notes;
	if (!path[0]) {
		uv_loop_init(&loop);
		notes = fopen("/dev/null", "w");
		stdout = notes; /* the exchange's notes; sanitizer reports go to fd 2 */
		snprintf(path, sizeof path, "%s/fuzz_exchange_info.%ld.json",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	}
	FILE *f = fopen(path, "wb");
	check(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
	static struct sim_options o;
	char *argv[] = {"fuzz", "--account", "k:s:USDT=1000", "--exchange-info", path, NULL};
	check(sim_options_parse(5, argv, &o, notes) == SB_OK);
	char *why = NULL;
	size_t why_len = 0;
	FILE *err = open_memstream(&why, &why_len);
	struct sim_exchange *ex = NULL;
	sb_err e = sim_exchange_new(&loop, &o, NULL, err, &ex);
	fclose(err);
	if (e != SB_OK) {
		check(why_len > 0 && strstr(why, "spotsim: ") == why); /* a refusal names what was wrong */
		free(why);
		return 0;
	}
	free(why);
	for (size_t k = 0; k < ex->nsymbols; k++) {
		const struct sb_symbol_rules *served = &ex->symbols[k].rules;
		struct sb_symbol_rules read;
		char msg[256];
		if (sb_rules_parse_exchange_info((const char *)data, size, served->symbol, &read, msg,
		                                 sizeof msg) == SB_ERR_NOT_FOUND)
			continue; /* served from the catalogue */
		check(sb_rules_parse_exchange_info((const char *)data, size, served->symbol, &read, msg,
		                                   sizeof msg) == SB_OK);
		check(same_rules(served, &read));
	}
	sim_exchange_stop(ex);
	uv_run(&loop, UV_RUN_DEFAULT);
	sim_exchange_free(ex);
	return 0;
}

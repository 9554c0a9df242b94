/*
 * Fuzz target for the rules spotsim and the backtest derive from a kline file for a symbol no
 * exchangeInfo lists (sim/derive.h). The input's first line is the symbol, the rest the kline file. When
 * the file loads and rules are derived, they must be rules spotbot accepts (sb_rules_from_json), with the
 * symbol's name split into a base and a known quote asset, and every candle of the file must fit them:
 * each price a multiple of the tickSize and within maxPrice, each volume a multiple of the stepSize.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_json.h"
#include "sim/derive.h"
#include "sim/kline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define check(ok) check_at((ok), __LINE__)

/* Aborts, naming the line of the property that failed, so a crasher says what it broke. */
static void check_at(int ok, int line)
{
	if (!ok) {
		fprintf(stderr, "fuzz_derive: property at line %d does not hold\n", line);
		abort();
	}
}

static void check_price(const struct sb_symbol_rules *r, sb_dec p)
{
	check(p % r->price.tick_size == 0);
	check(r->price.max_price == 0 || p <= r->price.max_price);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *nl = memchr(s, '\n', size);
	if (!nl || (size_t)(nl - s) >= SB_SYMBOL_MAX)
		return 0;
	char symbol[SB_SYMBOL_MAX];
	memcpy(symbol, s, (size_t)(nl - s));
	symbol[nl - s] = '\0';
	size_t len = size - (size_t)(nl - s) - 1;
	char *buf = malloc(len ? len : 1); /* a private copy, so a read past the end is caught */
	memcpy(buf, nl + 1, len);
	struct sim_kline_series series = {0};
	char why[4400];
	cJSON *info = NULL;
	if (sim_kline_load_buffer("fuzz", buf, len, &series, why, sizeof why) == SB_OK &&
	    sim_derive_symbol(symbol, series.rows, series.count, &info, why, sizeof why) == SB_OK) {
		struct sb_symbol_rules r;
		char err[256];
		check(sb_rules_from_json(info, &r, err, sizeof err) == SB_OK);
		check(strcmp(r.symbol, symbol) == 0 && r.base_asset[0] && r.quote_asset[0]);
		check(r.price.tick_size > 0 && r.lot.step_size > 0);
		for (size_t i = 0; i < series.count; i++) {
			const struct sb_kline *k = &series.rows[i];
			check_price(&r, k->open);
			check_price(&r, k->high);
			check_price(&r, k->low);
			check_price(&r, k->close);
			check(k->volume % r.lot.step_size == 0);
		}
	} else {
		check(why[0] != '\0');
	}
	cJSON_Delete(info);
	sim_kline_series_fini(&series);
	free(buf);
	return 0;
}

/*
 * Fuzz target for the kline CSV reading shared by spotsim and the backtest: the input is parsed once as a
 * single row (core's row parser), once as a whole file image through the streaming reader (header
 * detection, line splitting, ordering checks) and once as a data.binance.vision file name. None may
 * crash, leak or read out of bounds, and what succeeds must satisfy the invariants promised.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kline.h"
#include "spotbot/kline_set.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A private copy, so a read past the end is caught even when the fuzzer's buffer is larger. */
	char *buf = malloc(size ? size : 1);
	if (size)
		memcpy(buf, data, size);
	struct sb_kline k;
	char why[160];
	if (sb_kline_parse_row(buf, size, &k, why, sizeof why) == SB_OK) {
		if (k.low > k.high || k.open < k.low || k.open > k.high || k.close < k.low ||
		    k.close > k.high || k.volume < 0 || k.close_time < k.open_time)
			abort();
	}
	struct sim_kline_series s = {0};
	char err[256];
	if (sim_kline_load_buffer("fuzz", buf, size, &s, err, sizeof err) == SB_OK) {
		for (size_t i = 1; i < s.count; i++)
			if (s.rows[i].open_time <= s.rows[i - 1].open_time)
				abort();
	} else if (strncmp(err, "fuzz:", 5) != 0) {
		abort();
	}
	sim_kline_series_fini(&s);
	char *name = malloc(size + 1);
	if (size)
		memcpy(name, data, size);
	name[size] = '\0';
	struct sb_kline_name n;
	if (sb_kline_name_parse(name, &n) == SB_OK &&
	    (n.start_ms >= n.end_ms || n.month < 1 || n.month > 12 || n.day < 0 || n.day > 31))
		abort();
	free(name);
	free(buf);
	return 0;
}

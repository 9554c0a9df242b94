/*
 * bt_derive.h - the rules of a backtest's symbols that neither an exchangeInfo document nor spotsim's
 * catalogue lists, derived from the backtest's own kline data as `spotsim --replay` derives them from a
 * replay file (sim/derive.h: tick and step from the data's decimals, an approximation). The data is read
 * in one streamed pass over the run's window, made only when the first such symbol is asked about, so a
 * run whose symbols are all known never reads its data twice.
 */
#ifndef BACKTEST_BT_DERIVE_H
#define BACKTEST_BT_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/derive.h"
#include "spotbot/error.h"
#include "spotbot/kline_set.h"

struct cJSON;

/* The data and what was learnt from it; caller storage, zeroed and then given its data. */
struct bt_derive {
	const char *const *paths;                 /* the kline files and directories (borrowed) */
	size_t npaths;                            /* entries of paths */
	int64_t from_ms, to_ms;                   /* the run's window, as sb_kline_set_open takes it */
	FILE *notes;                              /* where each derivation is noted; NULL: nowhere */
	bool scanned;                             /* the pass over the data was made */
	size_t n;                                 /* symbols of the data */
	char (*symbols)[SB_KLINE_SYMBOL_MAX + 1]; /* their names (owned) */
	struct sim_derive *seen;                  /* what each one's candles showed (owned) */
};

/*
 * The exchangeInfo object of symbol (owned by the caller), with rules derived from its candles in the data;
 * the first call reads the data. Notes "rules of SYMBOL derived from its data: tick T, step S" to
 * d->notes. SB_ERR_NOT_FOUND (nothing written) when the data has no candle of symbol; other errors (the
 * data cannot be read, a name with no known quote asset) with the reason written to err.
 */
sb_err bt_derive_info(struct bt_derive *d, const char *symbol, struct cJSON **info, FILE *err);

/* Frees what d holds (not d); harmless on a zeroed one. */
void bt_derive_fini(struct bt_derive *d);

#endif

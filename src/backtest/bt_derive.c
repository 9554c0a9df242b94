/*
 * bt_derive.c - rules of a backtest's unknown symbols from its own data (see bt_derive.h).
 */
#include "backtest/bt_derive.h"

#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/kline_set.h"

/* The one pass over the data: what each symbol's candles in the window show. */
static sb_err scan(struct bt_derive *d, FILE *err)
{
	struct sb_kline_set *set = NULL;
	char why[1024];
	sb_err e = sb_kline_set_open(d->paths, d->npaths, d->from_ms, d->to_ms, &set, why, sizeof why);
	if (e != SB_OK) {
		fprintf(err, "%s\n", why);
		return e;
	}
	d->n = sb_kline_set_symbols(set);
	d->symbols = sb_xcalloc(d->n ? d->n : 1, sizeof *d->symbols);
	d->seen = sb_xcalloc(d->n ? d->n : 1, sizeof *d->seen);
	for (size_t i = 0; i < d->n; i++)
		snprintf(d->symbols[i], sizeof d->symbols[i], "%s", sb_kline_set_symbol(set, i));
	for (;;) {
		size_t i = 0;
		struct sb_kline k;
		bool done = false;
		e = sb_kline_set_next(set, &i, &k, &done);
		if (e != SB_OK) {
			fprintf(err, "%s\n", sb_kline_set_error(set));
			break;
		}
		if (done)
			break;
		sim_derive_add(&d->seen[i], &k);
	}
	sb_kline_set_free(set);
	d->scanned = true;
	return e;
}

sb_err bt_derive_info(struct bt_derive *d, const char *symbol, struct cJSON **info, FILE *err)
{
	if (!d->scanned)
		SB_TRY(scan(d, err));
	size_t i = 0;
	while (i < d->n && strcmp(d->symbols[i], symbol) != 0)
		i++;
	if (i == d->n || d->seen[i].count == 0)
		return SB_ERR_NOT_FOUND;
	char why[512];
	sb_err e = sim_derive_info(symbol, &d->seen[i], info, why, sizeof why);
	if (e != SB_OK) {
		fprintf(err, "%s: %s\n", symbol, why);
		return e;
	}
	sb_dec tick, step;
	sim_derive_sizes(&d->seen[i], &tick, &step);
	char ts[SB_DEC_STRLEN], ss[SB_DEC_STRLEN];
	sb_dec_format_trim(tick, ts, sizeof ts);
	sb_dec_format_trim(step, ss, sizeof ss);
	if (d->notes)
		fprintf(d->notes,
		        "spotbot backtest: rules of %s derived from its data: tick %s, step %s (an "
		        "approximation; --exchange-info FILE.json gives the real ones)\n",
		        symbol, ts, ss);
	return SB_OK;
}

void bt_derive_fini(struct bt_derive *d)
{
	free(d->symbols);
	free(d->seen);
	d->symbols = NULL;
	d->seen = NULL;
	d->n = 0;
	d->scanned = false;
}

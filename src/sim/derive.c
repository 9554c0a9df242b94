/*
 * derive.c - rules of a replayed symbol derived from its klines (see derive.h).
 */
#include "sim/derive.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "sim/catalog.h"
#include "spotbot/rules.h"

/* Quote currencies recognised at the end of a symbol name, and the minNotional they get. */
static const struct {
	const char *asset;   /* quote asset */
	sb_dec min_notional; /* NOTIONAL minNotional */
} quotes[] = {
    {"USDT", SB_DEC_C(5, 0)},      {"USDC", SB_DEC_C(5, 0)},    {"FDUSD", SB_DEC_C(5, 0)},
    {"TUSD", SB_DEC_C(5, 0)},      {"BUSD", SB_DEC_C(5, 0)},    {"DAI", SB_DEC_C(5, 0)},
    {"EUR", SB_DEC_C(5, 0)},       {"BTC", SB_DEC_C(0, 10000)}, {"ETH", SB_DEC_C(0, 100000)},
    {"BNB", SB_DEC_C(0, 1000000)}, {"TRY", SB_DEC_C(100, 0)},   {"BRL", SB_DEC_C(10, 0)},
    {"JPY", SB_DEC_C(1000, 0)},
};

/* Decimal places v uses, trailing zeros ignored (0..8). */
static unsigned places(sb_dec v)
{
	sb_dec frac = (v < 0 ? -v : v) % SB_DEC_SCALE;
	if (frac == 0)
		return 0;
	unsigned n = 8;
	while (frac % 10 == 0) {
		frac /= 10;
		n--;
	}
	return n;
}

/* One unit of the given decimal place: 10^-n. */
static sb_dec unit(unsigned n)
{
	sb_dec v = SB_DEC_SCALE;
	for (unsigned i = 0; i < n; i++)
		v /= 10;
	return v;
}

static unsigned max_u(unsigned a, unsigned b)
{
	return a > b ? a : b;
}

void sim_derive_add(struct sim_derive *d, const struct sb_kline *k)
{
	d->price_places = max_u(d->price_places, max_u(max_u(places(k->open), places(k->high)),
	                                               max_u(places(k->low), places(k->close))));
	d->qty_places = max_u(d->qty_places, max_u(places(k->volume), places(k->taker_buy_volume)));
	d->high = k->high > d->high ? k->high : d->high;
	d->count++;
}

void sim_derive_sizes(const struct sim_derive *d, sb_dec *tick, sb_dec *step)
{
	*tick = d->count ? unit(d->price_places) : unit(2);
	*step = d->count ? unit(d->qty_places) : unit(2);
}

void sim_derive_grid(const struct sb_kline *rows, size_t count, sb_dec *tick, sb_dec *step)
{
	struct sim_derive d = {0};
	for (size_t i = 0; i < count; i++)
		sim_derive_add(&d, &rows[i]);
	sim_derive_sizes(&d, tick, step);
}

sb_err sim_derive_assets(const char *symbol, char *base, char *quote)
{
	size_t n = strlen(symbol), best = 0;
	for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
		size_t q = strlen(quotes[i].asset);
		if (q < n && q > best && strcmp(symbol + n - q, quotes[i].asset) == 0)
			best = q;
	}
	if (best == 0 || n >= SB_SYMBOL_MAX)
		return SB_ERR_NOT_FOUND;
	if (n - best >= SB_ASSET_MAX)
		return SB_ERR_TOO_LONG; /* no exchangeInfo reader would take such a baseAsset */
	memcpy(base, symbol, n - best);
	base[n - best] = '\0';
	memcpy(quote, symbol + n - best, best + 1);
	return SB_OK;
}

static sb_dec min_notional(const char *quote, sb_dec tick)
{
	for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++)
		if (strcmp(quotes[i].asset, quote) == 0)
			return quotes[i].min_notional;
	return tick;
}

/* Ten times the highest price, at least 1000000; the largest multiple of tick an sb_dec holds when ten
 * times is more than that (never below the highest price: every candle of the file stays tradable). */
static sb_dec max_price(sb_dec hi, sb_dec tick)
{
	sb_dec m = SB_DEC_C(1000000, 0);
	if (hi > m / 10)
		m = hi < SB_DEC_MAX / 10 ? hi * 10 : SB_DEC_MAX;
	return m - m % tick;
}

sb_err sim_derive_info(const char *symbol, const struct sim_derive *d, cJSON **info, char *why,
                       size_t why_cap)
{
	char base[SB_SYMBOL_MAX], quote[SB_SYMBOL_MAX];
	if (d->count == 0) {
		snprintf(why, why_cap, "no klines to derive its rules from");
		return SB_ERR_PARSE;
	}
	sb_err e = sim_derive_assets(symbol, base, quote);
	if (e == SB_ERR_TOO_LONG) {
		snprintf(why, why_cap,
		         "its base asset (the name without its quote asset) is longer than %d bytes",
		         SB_ASSET_MAX - 1);
		return e;
	}
	if (e != SB_OK) {
		snprintf(
		    why, why_cap,
		    "cannot tell its quote asset: the name must end with one of USDT, USDC, FDUSD, TUSD, "
		    "BUSD, DAI, EUR, BTC, ETH, BNB, TRY, BRL, JPY (or give its rules with "
		    "--exchange-info)");
		return SB_ERR_NOT_FOUND;
	}
	struct sim_catalog_rules r = {.symbol = symbol, .base = base, .quote = quote};
	sim_derive_sizes(d, &r.tick, &r.step);
	r.min_notional = min_notional(quote, r.tick);
	r.max_price = max_price(d->high, r.tick);
	*info = sim_catalog_make(&r);
	return SB_OK;
}

sb_err sim_derive_symbol(const char *symbol, const struct sb_kline *rows, size_t count, cJSON **info,
                         char *why, size_t why_cap)
{
	struct sim_derive d = {0};
	for (size_t i = 0; i < count; i++)
		sim_derive_add(&d, &rows[i]);
	return sim_derive_info(symbol, &d, info, why, why_cap);
}

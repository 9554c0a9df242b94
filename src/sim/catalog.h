/*
 * catalog.h - the symbols spotsim can list without an exchangeInfo file: common Binance spot pairs
 * with realistic filters (tick, step, minimum notional, percent price) and a plausible start price
 * for the synthetic market. Each entry is turned into an exchangeInfo symbol object, so the rules
 * are read by the same parser (sb_rules_from_json) as a real exchangeInfo document.
 */
#ifndef SIM_CATALOG_H
#define SIM_CATALOG_H

#include "spotbot/decimal.h"
#include "spotbot/error.h"

struct cJSON;

/* The symbols served when --symbols is not given. */
#define SIM_CATALOG_DEFAULT "BTCUSDT,ETHUSDT,BNBUSDT"

/* Builds the exchangeInfo object of a catalogue symbol (owned by the caller, cJSON_Delete) and its
 * synthetic start price. SB_ERR_NOT_FOUND for a symbol the catalogue does not have. */
sb_err sim_catalog_symbol(const char *name, struct cJSON **info, sb_dec *start_price);

/* The synthetic start price of a catalogue symbol; SB_ERR_NOT_FOUND for one it does not have. */
sb_err sim_catalog_start_price(const char *name, sb_dec *start_price);

/* Rules for a symbol the catalogue does not have (see sim_catalog_make). */
struct sim_catalog_rules {
	const char *symbol;  /* pair name */
	const char *base;    /* base asset */
	const char *quote;   /* quote asset */
	sb_dec tick;         /* PRICE_FILTER tickSize and minPrice */
	sb_dec step;         /* LOT_SIZE stepSize and minQty */
	sb_dec min_notional; /* NOTIONAL minNotional */
	sb_dec max_price;    /* PRICE_FILTER maxPrice */
};

/* An exchangeInfo symbol object with the catalogue's layout and the given rules (owned by the caller). */
struct cJSON *sim_catalog_make(const struct sim_catalog_rules *r);

/* The exchangeInfo rateLimits array spotsim enforces (owned by the caller). */
struct cJSON *sim_catalog_rate_limits(void);

/* Writes the catalogue's symbol names, comma-separated, into buf (for error messages). */
void sim_catalog_names(char *buf, size_t cap);

#endif

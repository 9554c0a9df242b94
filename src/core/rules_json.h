/*
 * rules_json.h - a symbol's rules read from a parsed exchangeInfo document (cJSON), for the readers that
 * hold one already: the Binance client's codec and spotsim's exchange. Everyone else reads the text with
 * sb_rules_parse_exchange_info (rules.h); no public header names a cJSON type.
 */
#ifndef SPOTBOT_CORE_RULES_JSON_H
#define SPOTBOT_CORE_RULES_JSON_H

#include <stddef.h>

#include "spotbot/rules.h"

struct cJSON; /* only named here, so users of this header need not include cJSON */

/*
 * Fills *out from one element of exchangeInfo's "symbols" array. Required: symbol, status, baseAsset,
 * quoteAsset, baseAssetPrecision, quoteAssetPrecision (or the older quotePrecision), orderTypes, filters;
 * optional: the commission precisions (8 when absent), quoteOrderQtyMarketAllowed (false when absent),
 * defaultSelfTradePreventionMode and allowedSelfTradePreventionModes (absent: no mode known to be allowed;
 * modes this build does not know are ignored);
 * an unknown status is kept as SB_SYMBOL_OTHER. Prices and quantities are JSON strings
 * parsed with sb_dec_parse_nonneg; unknown filter types and unknown orderTypes are ignored; a known
 * filter appearing twice, a missing or malformed field, or a filter whose min exceeds its non-zero max
 * is SB_ERR_PARSE (or the decimal parser's error), with a message naming the field written into err
 * (errcap bytes; err may be NULL). On error *out is zeroed.
 */
sb_err sb_rules_from_json(const struct cJSON *symbol, struct sb_symbol_rules *out, char *err, size_t errcap);

/* Finds the element of exchangeInfo's "symbols" array whose "symbol" equals name. *out borrows from doc.
 * SB_ERR_NOT_FOUND when absent, SB_ERR_PARSE when doc has no symbols array. */
sb_err sb_rules_find_symbol(const struct cJSON *doc, const char *name, const struct cJSON **out);

#endif

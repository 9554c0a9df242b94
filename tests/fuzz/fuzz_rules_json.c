/*
 * fuzz_rules_json.c - fuzz target for the exchangeInfo rules parser. Every element of the input's
 * "symbols" array goes through sb_rules_from_json(); rules that parse are then exercised by the order
 * check and the rounding helpers, whose results must stay consistent with each other.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A rounded order must never fail the tick or step checks it was rounded to. */
static void exercise(const struct sb_symbol_rules *r)
{
	if (r->price.tick_size > SB_DEC_MAX / 8 || r->price.min_price > SB_DEC_MAX / 2 ||
	    r->lot.step_size > SB_DEC_MAX / 8 || r->lot.min_qty > SB_DEC_MAX / 2)
		return; /* keep the arithmetic below in range */
	sb_dec price = r->price.min_price + 3 * r->price.tick_size + 7;
	sb_dec qty = r->lot.min_qty + 5 * r->lot.step_size + 3;
	sb_dec p, q;
	if (sb_rules_round_price(r, SB_SIDE_BUY, price, &p) != SB_OK ||
	    sb_rules_round_qty(r, SB_ORDER_LIMIT, qty, &q) != SB_OK)
		return;
	if (p <= 0 || q <= 0)
		return;
	struct sb_order_spec o = {.side = SB_SIDE_BUY,
	                          .type = SB_ORDER_LIMIT,
	                          .price = p,
	                          .quantity = q,
	                          .ref_price = p,
	                          .open_orders = 0};
	enum sb_filter f;
	sb_err e = sb_rules_validate(r, &o, &f);
	if (e == SB_ERR_FILTER && f == SB_FILTER_NONE)
		abort();
	if (e == SB_ERR_FILTER && r->price.max_price == 0 && r->price.min_price <= p &&
	    f == SB_FILTER_PRICE_FILTER)
		abort(); /* p is on the tick and within unbounded limits */
	o.type = SB_ORDER_MARKET;
	o.price = 0;
	(void)sb_rules_validate(r, &o, &f);
	o.quantity = 0;
	o.quote_order_qty = p;
	(void)sb_rules_validate(r, &o, &f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	if (!doc)
		return 0;
	const cJSON *symbols = cJSON_GetObjectItemCaseSensitive(doc, "symbols");
	const cJSON *sym;
	cJSON_ArrayForEach(sym, symbols)
	{
		struct sb_symbol_rules r;
		char err[128];
		if (sb_rules_from_json(sym, &r, err, sizeof err) == SB_OK) {
			if (r.symbol[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
				abort();
			exercise(&r);
			const cJSON *found;
			if (sb_rules_find_symbol(doc, r.symbol, &found) != SB_OK)
				abort();
		} else if (err[0] == '\0') {
			abort(); /* every failure names its field */
		}
	}
	cJSON_Delete(doc);
	return 0;
}

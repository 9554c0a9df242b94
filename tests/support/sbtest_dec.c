/*
 * sbtest_dec.c - the money literals of sbtest_dec.h.
 */
#include "sbtest_dec.h"

#include <criterion/criterion.h>
#include <stdio.h>

sb_dec sbt_dec(const char *s)
{
	sb_dec v = 0;
	cr_assert_eq(sb_dec_parse_cstr(s, &v), SB_OK, "bad decimal literal %s", s);
	return v;
}

struct sb_fill sbt_fill(const char *price, const char *qty, const char *quote, const char *comm,
                        const char *asset, int64_t id)
{
	struct sb_fill f = {.price = sbt_dec(price),
	                    .qty = sbt_dec(qty),
	                    .quote_qty = sbt_dec(quote),
	                    .commission = sbt_dec(comm),
	                    .trade_id = id};
	snprintf(f.commission_asset, sizeof f.commission_asset, "%s", asset);
	return f;
}

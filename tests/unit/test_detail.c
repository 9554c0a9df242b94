/*
 * Tests for detail.c: an event's detail is one flat JSON object whose strings are escaped by the common
 * JSON writer (a run-state reason with a quote or a newline keeps them, escaped, instead of losing them),
 * decimals are written trimmed, and a detail past the store's limit is refused whole.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bot/detail.h"
#include "spotbot/store.h"

Test(detail, members_make_one_object_in_the_order_written)
{
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "source", "stream");
	detail_i64(&d, "trade_id", -7);
	detail_dec(&d, "price", SB_DEC_C(1, 50000000));
	cr_assert_str_eq(detail_end(&d), "{\"source\":\"stream\",\"trade_id\":-7,\"price\":\"1.5\"}");
	detail_fini(&d);
}

Test(detail, an_empty_detail_is_an_empty_object)
{
	struct sb_buf d;
	detail_init(&d);
	cr_assert_str_eq(detail_end(&d), "{}");
	detail_fini(&d);
}

Test(detail, quotes_backslashes_and_control_bytes_are_escaped_not_dropped)
{
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "reason", "paused \"now\"\nby C:\\ops");
	cr_assert_str_eq(detail_end(&d), "{\"reason\":\"paused \\\"now\\\"\\u000aby C:\\\\ops\"}");
	detail_fini(&d);
}

Test(detail, a_detail_past_the_store_limit_is_refused_whole)
{
	static char big[SB_STORE_DETAIL_MAX];
	memset(big, 'x', sizeof big - 1);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "reason", big);
	cr_assert_null(detail_end(&d), "a cut detail would not be JSON");
	detail_fini(&d);
}

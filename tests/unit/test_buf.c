/*
 * Tests for buf.c and json_out.c: growth, the hard maximum and its overflow flag (sticky until a reset,
 * take returns NULL), trimming, and JSON escaping of quotes, backslashes and control bytes.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/json_out.h"

Test(buf, appends_grow_the_text_and_keep_it_nul_terminated)
{
	struct sb_buf b;
	sb_buf_init(&b, 1 << 20);
	cr_assert_str_eq(sb_buf_str(&b), "");
	for (int i = 0; i < 1000; i++)
		cr_assert(sb_buf_printf(&b, "%d,", i % 10));
	cr_assert_eq(b.len, 2000);
	cr_assert_eq(strlen(sb_buf_str(&b)), 2000);
	sb_buf_trim(&b, ',');
	sb_buf_trim(&b, ',');
	cr_assert_eq(b.len, 1999);
	char *s = sb_buf_take(&b);
	cr_assert_str_eq(s + 1990, "5,6,7,8,9");
	free(s);
	cr_assert_eq(b.p, NULL);
	cr_assert_eq(b.max, 1 << 20);
}

Test(buf, an_append_past_the_maximum_overflows_and_take_returns_null)
{
	struct sb_buf b;
	sb_buf_init(&b, 16);
	cr_assert(sb_buf_puts(&b, "0123456789abcde"));
	cr_assert_not(sb_buf_putc(&b, 'f'), "16 bytes and the NUL do not fit in 16");
	cr_assert(b.overflow);
	cr_assert_not(sb_buf_puts(&b, ""), "overflow is sticky");
	cr_assert_leq(b.cap, 16);
	cr_assert_eq(sb_buf_take(&b), NULL);
	cr_assert_not(b.overflow);
	cr_assert(sb_buf_puts(&b, "ok"), "a taken buffer is usable again");
	sb_buf_reset(&b);
	cr_assert_str_eq(sb_buf_str(&b), "");
	char big[300];
	memset(big, 'x', sizeof big);
	cr_assert_not(sb_buf_printf(&b, "%.*s", (int)sizeof big, big));
	sb_buf_fini(&b);
}

Test(json_out, strings_are_escaped_and_values_written_as_json)
{
	struct sb_buf b;
	sb_buf_init(&b, 4096);
	sb_buf_putc(&b, '{');
	sb_json_key(&b, "a\"b");
	sb_json_str(&b, "q\"\\\n\x01z");
	sb_buf_putc(&b, ',');
	sb_json_key(&b, "n");
	sb_json_i64(&b, -42);
	sb_buf_putc(&b, ',');
	sb_json_key(&b, "t");
	sb_json_bool(&b, true);
	sb_buf_putc(&b, ',');
	sb_json_key(&b, "p");
	sb_json_dec(&b, SB_DEC_ONE / 100);
	sb_buf_putc(&b, '}');
	cr_assert_str_eq(
	    sb_buf_str(&b),
	    "{\"a\\\"b\":\"q\\\"\\\\\\u000a\\u0001z\",\"n\":-42,\"t\":true,\"p\":\"0.01000000\"}");
	sb_buf_fini(&b);
}

Test(buf, a_zeroed_buffer_is_ready_with_the_default_maximum)
{
	struct sb_buf b = {0};
	cr_assert(sb_buf_puts(&b, "text"));
	cr_assert_str_eq(sb_buf_str(&b), "text");
	cr_assert_not(sb_buf_reserve(&b, SB_BUF_MAX));
	sb_buf_fini(&b);
}

Test(buf, truncate_undoes_appends_that_did_not_all_fit)
{
	struct sb_buf b;
	sb_buf_init(&b, 16);
	cr_assert(sb_buf_puts(&b, "head,"));
	size_t save = b.len;
	cr_assert(sb_buf_puts(&b, "field"));
	cr_assert_not(sb_buf_puts(&b, "-too-long-for-it"));
	cr_assert(b.overflow);
	sb_buf_truncate(&b, save);
	cr_assert_not(b.overflow, "the cut clears the overflow");
	cr_assert_str_eq(sb_buf_str(&b), "head,");
	cr_assert(sb_buf_puts(&b, "tail"), "appends work again after the cut");
	cr_assert_str_eq(sb_buf_str(&b), "head,tail");
	sb_buf_fini(&b);
}

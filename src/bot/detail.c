/*
 * detail.c - event details as flat JSON objects (see detail.h).
 */
#include "bot/detail.h"

#include "common/json_out.h"
#include "spotbot/store.h"

void detail_init(struct sb_buf *d)
{
	sb_buf_init(d, SB_STORE_DETAIL_MAX + 1);
}

void detail_fini(struct sb_buf *d)
{
	sb_buf_fini(d);
}

/* The separator before a member: '{' for the first, ',' for the others. */
static void member(struct sb_buf *d, const char *key)
{
	sb_buf_putc(d, d->len ? ',' : '{');
	sb_json_key(d, key);
}

void detail_str(struct sb_buf *d, const char *key, const char *v)
{
	member(d, key);
	sb_json_str(d, v);
}

void detail_i64(struct sb_buf *d, const char *key, int64_t v)
{
	member(d, key);
	sb_json_i64(d, v);
}

void detail_dec(struct sb_buf *d, const char *key, sb_dec v)
{
	char s[SB_DEC_STRLEN];
	sb_dec_format_trim(v, s, sizeof s);
	detail_str(d, key, s);
}

const char *detail_end(struct sb_buf *d)
{
	if (!d->len)
		sb_buf_putc(d, '{');
	sb_buf_putc(d, '}');
	return d->overflow ? NULL : sb_buf_str(d);
}

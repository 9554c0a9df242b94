/*
 * buf.c - the growable text buffer (see buf.h).
 */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

#define BUF_FIRST 256 /* bytes allocated by the first append */

void sb_buf_init(struct sb_buf *b, size_t max)
{
	memset(b, 0, sizeof *b);
	b->max = max;
}

void sb_buf_fini(struct sb_buf *b)
{
	free(b->p);
	sb_buf_init(b, b->max);
}

void sb_buf_reset(struct sb_buf *b)
{
	b->len = 0;
	b->overflow = false;
	if (b->p)
		b->p[0] = '\0';
}

bool sb_buf_reserve(struct sb_buf *b, size_t n)
{
	if (b->overflow)
		return false;
	size_t max = b->max ? b->max : SB_BUF_MAX;
	if (n >= max || b->len + n + 1 > max) {
		b->overflow = true;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : BUF_FIRST;
	while (cap < b->len + n + 1)
		cap *= 2;
	if (cap > max)
		cap = max;
	b->p = sb_xrealloc(b->p, cap);
	b->cap = cap;
	return true;
}

bool sb_buf_put(struct sb_buf *b, const void *s, size_t n)
{
	if (!sb_buf_reserve(b, n))
		return false;
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return true;
}

bool sb_buf_puts(struct sb_buf *b, const char *s)
{
	return sb_buf_put(b, s, strlen(s));
}

bool sb_buf_putc(struct sb_buf *b, char c)
{
	return sb_buf_put(b, &c, 1);
}

bool sb_buf_printf(struct sb_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return false;
	if ((size_t)n < sizeof small)
		return sb_buf_put(b, small, (size_t)n);
	if (!sb_buf_reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

void sb_buf_trim(struct sb_buf *b, char c)
{
	if (b->len && b->p[b->len - 1] == c)
		b->p[--b->len] = '\0';
}

void sb_buf_truncate(struct sb_buf *b, size_t len)
{
	b->overflow = false;
	if (len >= b->len)
		return;
	b->len = len;
	b->p[len] = '\0';
}

const char *sb_buf_str(const struct sb_buf *b)
{
	return b->p ? b->p : "";
}

char *sb_buf_take(struct sb_buf *b)
{
	if (b->overflow) {
		sb_buf_fini(b);
		return NULL;
	}
	char *s = b->p ? b->p : sb_xstrdup("");
	sb_buf_init(b, b->max);
	return s;
}

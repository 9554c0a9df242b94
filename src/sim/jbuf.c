/*
 * jbuf.c - growable JSON text buffer (see jbuf.h).
 */
#include "sim/jbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

void sim_jbuf_init(struct sim_jbuf *b)
{
	memset(b, 0, sizeof *b);
}

void sim_jbuf_fini(struct sim_jbuf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

char *sim_jbuf_take(struct sim_jbuf *b)
{
	char *d = b->data ? b->data : sb_xstrdup("");
	memset(b, 0, sizeof *b);
	return d;
}

static bool reserve(struct sim_jbuf *b, size_t extra)
{
	if (b->len + extra + 1 > SIM_JBUF_MAX) {
		b->overflow = true;
		return false;
	}
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	b->data = sb_xrealloc(b->data, cap);
	b->cap = cap;
	return true;
}

void sim_jbuf_printf(struct sim_jbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void sim_jbuf_str(struct sim_jbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (!reserve(b, n * 6 + 2))
		return;
	char *o = b->data + b->len;
	*o++ = '"';
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			o += snprintf(o, 7, "\\u%04x", *p);
		} else {
			*o++ = (char)*p;
		}
	}
	*o++ = '"';
	*o = '\0';
	b->len = (size_t)(o - b->data);
}

void sim_jbuf_dec(struct sim_jbuf *b, sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	sb_dec_format(v, buf, sizeof buf);
	sim_jbuf_printf(b, "\"%s\"", buf);
}

void sim_jbuf_trim_comma(struct sim_jbuf *b)
{
	if (b->len && b->data[b->len - 1] == ',')
		b->data[--b->len] = '\0';
}

/*
 * json.c - spotsim's JSON text buffer (see json.h).
 */
#include "sim/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

void sim_json_init(struct sim_json *j)
{
	memset(j, 0, sizeof *j);
}

void sim_json_fini(struct sim_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof *j);
}

void sim_json_reset(struct sim_json *j)
{
	j->len = 0;
	j->overflow = false;
	if (j->buf)
		j->buf[0] = '\0';
}

static bool json_reserve(struct sim_json *j, size_t n)
{
	if (j->overflow)
		return false;
	if (n > SIM_JSON_MAX || j->len + n + 1 > SIM_JSON_MAX) {
		j->overflow = true;
		return false;
	}
	if (j->len + n + 1 <= j->cap)
		return true;
	size_t cap = j->cap ? j->cap : 256;
	while (cap < j->len + n + 1)
		cap *= 2;
	if (cap > SIM_JSON_MAX)
		cap = SIM_JSON_MAX;
	j->buf = sb_xrealloc(j->buf, cap);
	j->cap = cap;
	return true;
}

void sim_json_put(struct sim_json *j, const char *s, size_t n)
{
	if (!json_reserve(j, n))
		return;
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

void sim_json_puts(struct sim_json *j, const char *s)
{
	sim_json_put(j, s, strlen(s));
}

void sim_json_printf(struct sim_json *j, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		sim_json_put(j, small, (size_t)n);
		return;
	}
	if (!json_reserve(j, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(j->buf + j->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	j->len += (size_t)n;
}

void sim_json_dec(struct sim_json *j, sb_dec v)
{
	char buf[SB_DEC_STRLEN + 2];
	buf[0] = '"';
	size_t n = sb_dec_format(v, buf + 1, SB_DEC_STRLEN);
	buf[n + 1] = '"';
	sim_json_put(j, buf, n + 2);
}

char *sim_json_take(struct sim_json *j)
{
	if (j->overflow) {
		sim_json_fini(j);
		return NULL;
	}
	if (!j->buf)
		return sb_xstrdup("");
	char *s = j->buf;
	memset(j, 0, sizeof *j);
	return s;
}

void sim_json_str(struct sim_json *j, const char *s)
{
	sim_json_put(j, "\"", 1);
	const char *run = s;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		sim_json_put(j, run, (size_t)(p - run));
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			sim_json_put(j, esc, 2);
		} else {
			sim_json_printf(j, "\\u%04x", c);
		}
		run = p + 1;
	}
	sim_json_puts(j, run);
	sim_json_put(j, "\"", 1);
}

void sim_json_trim_comma(struct sim_json *j)
{
	if (j->len && j->buf[j->len - 1] == ',')
		j->buf[--j->len] = '\0';
}

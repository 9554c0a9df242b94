/*
 * json_out.c - the JSON value writer (see json_out.h).
 */
#include "common/json_out.h"

#include <inttypes.h>
#include <string.h>

void sb_json_strn(struct sb_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	sb_buf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		sb_buf_put(b, s + run, i - run);
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};
			sb_buf_put(b, esc, 2);
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
			sb_buf_put(b, esc, sizeof esc);
		}
		run = i + 1;
	}
	sb_buf_put(b, s + run, n - run);
	sb_buf_putc(b, '"');
}

void sb_json_str(struct sb_buf *b, const char *s)
{
	sb_json_strn(b, s, strlen(s));
}

void sb_json_key(struct sb_buf *b, const char *key)
{
	sb_json_str(b, key);
	sb_buf_putc(b, ':');
}

void sb_json_i64(struct sb_buf *b, int64_t v)
{
	sb_buf_printf(b, "%" PRId64, v);
}

void sb_json_bool(struct sb_buf *b, bool v)
{
	sb_buf_puts(b, v ? "true" : "false");
}

void sb_json_dec(struct sb_buf *b, sb_dec v)
{
	char s[SB_DEC_STRLEN + 2];
	s[0] = '"';
	size_t n = sb_dec_format(v, s + 1, SB_DEC_STRLEN);
	s[n + 1] = '"';
	sb_buf_put(b, s, n + 2);
}

/*
 * jspan.c - raw JSON value spans (see jspan.h): a walk over text cJSON has accepted, skipping strings,
 * nested objects and arrays, and bare values (numbers, true, false, null) to find where each member's
 * value starts and ends.
 */
#include "sim/jspan.h"

#include <stdbool.h>
#include <string.h>

/* Whitespace as cJSON skips it: every byte up to and including ' ' (control characters and NUL too), so
 * the walk finds the same member boundaries as the parser that accepted the text. */
static bool is_ws(char c)
{
	return (unsigned char)c <= ' ';
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
	while (i < len && is_ws(s[i]))
		i++;
	return i;
}

static size_t skip_string(const char *s, size_t len, size_t i)
{
	for (i++; i < len && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	return i < len ? i + 1 : len;
}

/* The end of the JSON value that starts at s[i]. */
static size_t skip_value(const char *s, size_t len, size_t i)
{
	if (i >= len)
		return len;
	if (s[i] == '"')
		return skip_string(s, len, i);
	if (s[i] == '{' || s[i] == '[') {
		int depth = 0;
		while (i < len) {
			char c = s[i];
			if (c == '"') {
				i = skip_string(s, len, i);
				continue;
			}
			if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				return i + 1;
			i++;
		}
		return len;
	}
	while (i < len && s[i] != ',' && s[i] != '}' && s[i] != ']' && !is_ws(s[i]))
		i++;
	return i;
}

size_t sim_jspan_object(const char *s, size_t len, size_t i, struct sim_jspan *out, size_t cap)
{
	size_t n = 0;
	if (i == 0 && len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3; /* cJSON skips a UTF-8 byte order mark at the start of a document */
	i = skip_ws(s, len, i);
	if (i >= len || s[i] != '{')
		return 0;
	i = skip_ws(s, len, i + 1);
	while (i < len && s[i] != '}') {
		i = skip_string(s, len, i); /* key */
		i = skip_ws(s, len, i);
		if (i < len && s[i] == ':')
			i = skip_ws(s, len, i + 1);
		size_t end = skip_value(s, len, i);
		if (n < cap)
			out[n] = (struct sim_jspan){i, end - i};
		n++;
		i = skip_ws(s, len, end);
		if (i < len && s[i] == ',')
			i = skip_ws(s, len, i + 1);
	}
	return n;
}

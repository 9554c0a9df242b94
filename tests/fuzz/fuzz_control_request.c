/*
 * Fuzz target for the control API's request parser (src/bot/control_request.c): the pieces lws hands over
 * for one request, taken from arbitrary bytes.
 *
 * Input layout: method, path, query string and Authorization value, each ended by '\n' (a missing piece
 * is empty; an Authorization piece "-" means no header), then the body. Byte 0 of the body, when there is
 * one, also sets body_declared past the kept part when odd. Properties checked beyond "no crash, no
 * sanitizer report":
 *   - a refusal is one of 400, 413, 414, 431 with a NUL-terminated reason;
 *   - an accepted request has a path that starts with '/' and fits, NUL-terminated fields, an upper-case
 *     symbol, a body within CONTROL_BODY_MAX, and a token only when the header was "Bearer ...";
 *   - the token it carries authorises it, one byte more does not, and no configured token lets anything in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bot/control_request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond))                                                                                 \
			abort();                                                                             \
	} while (0)

/* The next '\n'-ended piece of [*p, end), advancing *p past it. */
static const char *piece(const char **p, const char *end, size_t *len)
{
	const char *start = *p;
	const char *nl = start < end ? memchr(start, '\n', (size_t)(end - start)) : NULL;
	*len = nl ? (size_t)(nl - start) : (size_t)(end - start);
	*p = nl ? nl + 1 : end;
	return start;
}

static void check_accepted(const struct control_raw *raw, const struct control_request *q)
{
	size_t n = strnlen(q->path, sizeof q->path);
	CHECK(n < sizeof q->path && n == raw->path_len && q->path[0] == '/');
	CHECK(strnlen(q->symbol, sizeof q->symbol) < sizeof q->symbol);
	for (const char *s = q->symbol; *s; s++)
		CHECK(!(*s >= 'a' && *s <= 'z'));
	CHECK(strnlen(q->price, sizeof q->price) < sizeof q->price);
	CHECK(q->after >= 0);
	CHECK(q->body_len <= CONTROL_BODY_MAX && q->body == raw->body);
	CHECK(control_request_authorised(q, NULL) && control_request_authorised(q, ""));
	if (!q->has_token) {
		CHECK(!control_request_authorised(q, "t"));
		return;
	}
	CHECK(raw->auth && raw->auth_len >= 7);
	size_t tl = strnlen(q->token, sizeof q->token);
	CHECK(tl < sizeof q->token && tl == raw->auth_len - 7);
	CHECK(control_request_authorised(q, q->token));
	char longer[CONTROL_HEADER_MAX + 2];
	memcpy(longer, q->token, tl);
	longer[tl] = 'x';
	longer[tl + 1] = '\0';
	CHECK(!control_request_authorised(q, longer));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct control_raw raw = {0};
	raw.method = piece(&p, end, &raw.method_len);
	raw.path = piece(&p, end, &raw.path_len);
	raw.query = piece(&p, end, &raw.query_len);
	raw.auth = piece(&p, end, &raw.auth_len);
	if (raw.auth_len == 1 && raw.auth[0] == '-') {
		raw.auth = NULL;
		raw.auth_len = 0;
	}
	raw.body = p;
	raw.body_len = (size_t)(end - p);
	raw.body_declared = raw.body_len;
	if (raw.body_len && (raw.body[0] & 1))
		raw.body_declared += (uint64_t)(unsigned char)raw.body[0] * 64;
	static struct control_request q;
	char why[160];
	memset(why, 0x5a, sizeof why);
	int st = control_request_parse(&raw, &q, why, sizeof why);
	if (st) {
		CHECK(st == 400 || st == 413 || st == 414 || st == 431);
		CHECK(memchr(why, '\0', sizeof why) != NULL && why[0]);
		return 0;
	}
	CHECK(raw.body_declared <= CONTROL_BODY_MAX);
	check_accepted(&raw, &q);
	return 0;
}

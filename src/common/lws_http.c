/*
 * lws_http.c - gathering a request body and writing a response on libwebsockets (see lws_http.h).
 */
#include "common/lws_http.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "spotbot/alloc.h"

#define HTTP_HEADERS_MAX 2048 /* bytes of status line and headers */
#define HTTP_NAME_MAX    96   /* longest extra header name, its ':' included */

void sb_lws_body_init(struct sb_lws_body *b, size_t max)
{
	sb_buf_init(&b->buf, max + 1);
	b->seen = 0;
}

void sb_lws_body_fini(struct sb_lws_body *b)
{
	sb_buf_fini(&b->buf);
	b->seen = 0;
}

void sb_lws_body_add(struct sb_lws_body *b, const void *in, size_t len)
{
	b->seen += len;
	if (in && len)
		sb_buf_put(&b->buf, in, len);
}

bool sb_lws_body_too_large(const struct sb_lws_body *b)
{
	return b->buf.overflow;
}

bool sb_lws_http_content_length(struct lws *wsi, int64_t *out)
{
	char v[32];
	int n = lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	return n > 0 && sb_parse_i64(v, (size_t)n, 0, INT64_MAX, out);
}

/* Adds r's "Name: value\r\n" lines; lws wants "name:" and the value apart. Nonzero when they do not fit. */
static int add_extra_headers(struct lws *wsi, const char *line, unsigned char **p, unsigned char *end)
{
	while (line && *line) {
		const char *eol = strstr(line, "\r\n");
		const char *colon = strchr(line, ':');
		if (!eol || !colon || colon > eol)
			return 0; /* a malformed line ends the list */
		char name[HTTP_NAME_MAX];
		size_t nlen = (size_t)(colon - line) + 1;
		if (nlen >= sizeof name)
			return 0;
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		const char *val = colon + 1;
		while (*val == ' ')
			val++;
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)val,
		                                (int)(eol - val), p, end))
			return 1;
		line = eol + 2;
	}
	return 0;
}

/* The status line, headers and body; -1 when lws could not take them. */
static int write_reply(struct lws *wsi, const struct sb_lws_reply *r)
{
	unsigned char hdr[LWS_PRE + HTTP_HEADERS_MAX];
	unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
	const char *type = r->content_type ? r->content_type : "application/json";
	if (lws_add_http_common_headers(wsi, (unsigned)r->status, type, (lws_filepos_t)r->len, &p, end) ||
	    add_extra_headers(wsi, r->headers, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (!r->len)
		return 0;
	/* lws writes its framing into the LWS_PRE bytes before the payload. */
	unsigned char *b = sb_xmalloc(LWS_PRE + r->len);
	memcpy(b + LWS_PRE, r->body, r->len);
	int n = lws_write(wsi, b + LWS_PRE, r->len, LWS_WRITE_HTTP_FINAL);
	free(b);
	return n < 0 ? -1 : 0;
}

int sb_lws_http_reply(struct lws *wsi, const struct sb_lws_reply *r)
{
	if (write_reply(wsi, r))
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/*
 * query.c - form-urlencoded query strings: builder, parser, signed-payload extraction, WebSocket API
 * signing payload (see query.h).
 *
 * The parser decodes into storage inside struct sb_query and keeps, for every pair, where its raw segment
 * sat in the input; the signed payload is then cut out of the raw bytes rather than re-encoded, because the
 * signature covers exactly what the client sent, whatever encoding choices it made.
 */
#include "spotbot/query.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char SIGNATURE[] = "signature";

/* RFC 3986 unreserved characters pass through; everything else is escaped. */
static bool unreserved(unsigned char c)
{
	unsigned lower = (unsigned)c | 0x20u; /* folds A-Z onto a-z; no other byte lands in a-z */
	return (unsigned)c - '0' < 10u || lower - 'a' < 26u || c == '-' || c == '_' || c == '.' || c == '~';
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static size_t encoded_len(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += unreserved((unsigned char)s[i]) ? 1 : 3;
	return n;
}

/* Writes the encoding of s; the caller has checked that encoded_len(s, len) bytes fit at out. */
static size_t encode_into(const char *s, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (unreserved(c)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 0x0f];
		}
	}
	return n;
}

sb_err sb_query_encode(const char *src, size_t len, char *out, size_t cap, size_t *outlen)
{
	if ((!src && len > 0) || !out || cap == 0)
		return SB_ERR_INVALID;
	size_t need = encoded_len(src, len);
	if (need + 1 > cap) {
		out[0] = '\0';
		return SB_ERR_TOO_LONG;
	}
	if (len > 0)
		encode_into(src, len, out);
	out[need] = '\0';
	if (outlen)
		*outlen = need;
	return SB_OK;
}

/* ---- builder ---- */

void sb_query_builder_init(struct sb_query_builder *b, char *buf, size_t cap)
{
	b->buf = buf;
	b->cap = cap;
	b->len = 0;
	if (cap > 0)
		buf[0] = '\0';
}

sb_err sb_query_builder_add(struct sb_query_builder *b, const char *key, const char *val, size_t val_len)
{
	if (!b || !b->buf || !key || (!val && val_len > 0))
		return SB_ERR_INVALID;
	size_t klen = strlen(key);
	if (b->cap <= b->len)
		return SB_ERR_TOO_LONG;
	size_t room = b->cap - b->len - 1; /* bytes left before the NUL */
	size_t sep = b->len > 0 ? 1 : 0;
	/* Count the escapes only when the worst case (every byte escaped) might not fit. */
	if (klen > room / 3 || val_len > room / 3 || sep + 3 * (klen + val_len) + 1 > room) {
		size_t need = sep + encoded_len(key, klen) + 1 + encoded_len(val, val_len);
		if (need > room)
			return SB_ERR_TOO_LONG;
	}
	char *p = b->buf + b->len;
	if (sep)
		*p++ = '&';
	p += encode_into(key, klen, p);
	*p++ = '=';
	if (val_len > 0)
		p += encode_into(val, val_len, p);
	*p = '\0';
	b->len = (size_t)(p - b->buf);
	return SB_OK;
}

sb_err sb_query_builder_add_str(struct sb_query_builder *b, const char *key, const char *val)
{
	if (!val)
		return SB_ERR_INVALID;
	return sb_query_builder_add(b, key, val, strlen(val));
}

sb_err sb_query_builder_add_i64(struct sb_query_builder *b, const char *key, int64_t val)
{
	/* Formatted by hand: snprintf costs as much as the rest of building a request. */
	char num[24]; /* "-9223372036854775808" is 20 characters */
	char *p = num + sizeof num;
	uint64_t u = val < 0 ? (uint64_t)0 - (uint64_t)val : (uint64_t)val;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u > 0);
	if (val < 0)
		*--p = '-';
	return sb_query_builder_add(b, key, p, (size_t)(num + sizeof num - p));
}

/* ---- parser ---- */

void sb_query_init(struct sb_query *q)
{
	q->npairs = 0;
	q->raw[0] = q->raw[1] = NULL;
	q->raw_len[0] = q->raw_len[1] = 0;
	q->dec_used = 0;
	q->err_off = 0;
	q->errmsg[0] = '\0';
}

static const char *src_name(unsigned src)
{
	return src == SB_QUERY_SRC_BODY ? "body" : "query string";
}

/*
 * Decodes s[0..len) into q->dec, which always has room because decoding never grows the text and each
 * source gets SB_QUERY_MAX_LEN bytes. On a bad escape returns -1 and sets *bad to its offset in s.
 */
static int decode_into(struct sb_query *q, const char *s, size_t len, bool plus_space, size_t *bad)
{
	char *out = q->dec + q->dec_used;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '%') {
			if (len - i < 3 || hexval((unsigned char)s[i + 1]) < 0 ||
			    hexval((unsigned char)s[i + 2]) < 0) {
				*bad = i;
				return -1;
			}
			out[n++] =
			    (char)(hexval((unsigned char)s[i + 1]) << 4 | hexval((unsigned char)s[i + 2]));
			i += 2;
		} else if (c == '+' && plus_space) {
			out[n++] = ' ';
		} else {
			out[n++] = (char)c;
		}
	}
	q->dec_used += n;
	return 0;
}

static bool key_eq(const struct sb_query_pair *p, const char *key, size_t klen)
{
	return p->key_len == klen && (klen == 0 || memcmp(p->key, key, klen) == 0);
}

/* Parses one "k=v" segment raw[start..end) into a new pair; on failure fills q->errmsg. */
static sb_err parse_segment(struct sb_query *q, const char *raw, size_t start, size_t end, unsigned flags,
                            size_t first)
{
	unsigned src = flags & SB_QUERY_BODY ? SB_QUERY_SRC_BODY : SB_QUERY_SRC_QUERY;
	bool plus = (flags & SB_QUERY_PLUS_SPACE) != 0;
	if (q->npairs == SB_QUERY_MAX_PAIRS) {
		q->err_off = start;
		snprintf(q->errmsg, sizeof q->errmsg, "more than %d parameters (at byte %zu of the %s)",
		         SB_QUERY_MAX_PAIRS, start, src_name(src));
		return SB_ERR_TOO_LONG;
	}
	const char *eq = memchr(raw + start, '=', end - start);
	size_t kend = eq ? (size_t)(eq - raw) : end;
	size_t bad = 0;
	struct sb_query_pair *p = &q->pairs[q->npairs];
	p->key = q->dec + q->dec_used;
	if (decode_into(q, raw + start, kend - start, plus, &bad) != 0)
		goto bad_escape;
	p->key_len = (size_t)(q->dec + q->dec_used - p->key);
	p->val = q->dec + q->dec_used;
	if (eq && decode_into(q, raw + kend + 1, end - kend - 1, plus, &bad) != 0) {
		bad += kend + 1 - start;
		goto bad_escape;
	}
	p->val_len = (size_t)(q->dec + q->dec_used - p->val);
	p->raw_off = start;
	p->raw_len = end - start;
	p->src = src;
	for (size_t i = first; i < q->npairs; i++) {
		if (key_eq(&q->pairs[i], p->key, p->key_len)) {
			q->err_off = start;
			snprintf(q->errmsg, sizeof q->errmsg,
			         "duplicate values for parameter '%.*s' (at byte %zu of the %s)",
			         (int)(p->key_len > 64 ? 64 : p->key_len), p->key, start, src_name(src));
			return SB_ERR_EXISTS;
		}
	}
	q->npairs++;
	return SB_OK;
bad_escape:
	q->err_off = start + bad;
	snprintf(q->errmsg, sizeof q->errmsg, "malformed percent-escape at byte %zu of the %s", q->err_off,
	         src_name(src));
	return SB_ERR_PARSE;
}

sb_err sb_query_parse(struct sb_query *q, const char *raw, size_t len, unsigned flags)
{
	if (!q || (!raw && len > 0))
		return SB_ERR_INVALID;
	unsigned src = flags & SB_QUERY_BODY ? SB_QUERY_SRC_BODY : SB_QUERY_SRC_QUERY;
	if (q->raw[src]) {
		snprintf(q->errmsg, sizeof q->errmsg, "the %s was already parsed", src_name(src));
		return SB_ERR_INVALID;
	}
	if (len > SB_QUERY_MAX_LEN) {
		q->err_off = SB_QUERY_MAX_LEN;
		snprintf(q->errmsg, sizeof q->errmsg, "%s of %zu bytes exceeds the maximum of %d",
		         src_name(src), len, SB_QUERY_MAX_LEN);
		return SB_ERR_TOO_LONG;
	}
	if (!raw)
		raw = "";
	size_t first = q->npairs, dec_mark = q->dec_used;
	for (size_t start = 0; start <= len;) {
		const char *amp = memchr(raw + start, '&', len - start);
		size_t end = amp ? (size_t)(amp - raw) : len;
		if (end > start) {
			sb_err err = parse_segment(q, raw, start, end, flags, first);
			if (err != SB_OK) {
				q->npairs = first;
				q->dec_used = dec_mark;
				return err;
			}
		}
		start = end + 1;
	}
	q->raw[src] = raw;
	q->raw_len[src] = len;
	return SB_OK;
}

sb_err sb_query_parse_request(struct sb_query *q, const char *query, size_t qlen, const char *body,
                              size_t blen)
{
	if (!q)
		return SB_ERR_INVALID;
	sb_query_init(q);
	sb_err err = sb_query_parse(q, query, qlen, SB_QUERY_PLUS_SPACE);
	if (err == SB_OK)
		err = sb_query_parse(q, body, blen, SB_QUERY_BODY | SB_QUERY_PLUS_SPACE);
	return err;
}

sb_err sb_query_get(const struct sb_query *q, const char *key, const char **val, size_t *val_len)
{
	if (!q || !key)
		return SB_ERR_INVALID;
	size_t klen = strlen(key);
	/* Query-string pairs come first, so the first match is the one Binance uses. */
	for (size_t i = 0; i < q->npairs; i++) {
		if (key_eq(&q->pairs[i], key, klen)) {
			if (val)
				*val = q->pairs[i].val;
			if (val_len)
				*val_len = q->pairs[i].val_len;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

/* Appends raw[0..len) minus the segment [cut, cut+cut_len) and one '&' next to it. */
static size_t copy_without(char *out, const char *raw, size_t len, size_t cut, size_t cut_len)
{
	size_t from = cut, to = cut + cut_len;
	if (from > 0)
		from--; /* the '&' before the segment */
	else if (to < len)
		to++; /* first segment: the '&' after it */
	memcpy(out, raw, from);
	memcpy(out + from, raw + to, len - to);
	return from + (len - to);
}

sb_err sb_query_signed_payload(const struct sb_query *q, char *out, size_t cap, size_t *outlen,
                               const char **sig, size_t *sig_len)
{
	if (!q || !out || cap == 0 || !outlen)
		return SB_ERR_INVALID;
	out[0] = '\0';
	const struct sb_query_pair *s = NULL;
	for (size_t i = 0; i < q->npairs; i++) {
		if (!key_eq(&q->pairs[i], SIGNATURE, sizeof SIGNATURE - 1))
			continue;
		if (s)
			return SB_ERR_EXISTS;
		s = &q->pairs[i];
	}
	if (!s)
		return SB_ERR_NOT_FOUND;
	/* The cut removes the segment and at most one separator; size the output before copying. */
	size_t need = 0;
	for (unsigned src = 0; src < 2; src++) {
		size_t n = q->raw_len[src];
		if (src == s->src)
			n -= s->raw_len + (n > s->raw_len ? 1 : 0);
		need += n;
	}
	if (need + 1 > cap)
		return SB_ERR_TOO_LONG;
	size_t n = 0;
	for (unsigned src = 0; src < 2; src++) {
		if (q->raw_len[src] == 0)
			continue;
		if (src == s->src) {
			n += copy_without(out + n, q->raw[src], q->raw_len[src], s->raw_off, s->raw_len);
		} else {
			memcpy(out + n, q->raw[src], q->raw_len[src]);
			n += q->raw_len[src];
		}
	}
	out[n] = '\0';
	*outlen = n;
	if (sig)
		*sig = s->val;
	if (sig_len)
		*sig_len = s->val_len;
	return SB_OK;
}

/* ---- WebSocket API ---- */

/* Bytewise order of keys; a shorter key sorts before a longer one it prefixes. */
static int key_cmp(const struct sb_query_pair *a, const struct sb_query_pair *b)
{
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = n > 0 ? memcmp(a->key, b->key, n) : 0;
	if (c != 0)
		return c;
	return a->key_len < b->key_len ? -1 : a->key_len > b->key_len ? 1 : 0;
}

sb_err sb_query_ws_payload(const struct sb_query_pair *pairs, size_t n, char *out, size_t cap, size_t *outlen)
{
	if ((!pairs && n > 0) || !out || cap == 0 || !outlen)
		return SB_ERR_INVALID;
	out[0] = '\0';
	if (n > SB_QUERY_MAX_PAIRS)
		return SB_ERR_TOO_LONG;
	const struct sb_query_pair *sorted[SB_QUERY_MAX_PAIRS];
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (key_eq(&pairs[i], SIGNATURE, sizeof SIGNATURE - 1))
			continue;
		/* Insertion sort: at most 64 short keys, already nearly sorted in practice. */
		size_t j = m;
		while (j > 0 && key_cmp(sorted[j - 1], &pairs[i]) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		if (j > 0 && key_cmp(sorted[j - 1], &pairs[i]) == 0)
			return SB_ERR_EXISTS;
		sorted[j] = &pairs[i];
		m++;
	}
	size_t len = 0;
	for (size_t i = 0; i < m; i++) {
		const struct sb_query_pair *p = sorted[i];
		size_t need = (i > 0 ? 1 : 0) + p->key_len + 1 + p->val_len;
		if (need > cap - len - 1) {
			out[0] = '\0';
			return SB_ERR_TOO_LONG;
		}
		if (i > 0)
			out[len++] = '&';
		if (p->key_len > 0)
			memcpy(out + len, p->key, p->key_len);
		len += p->key_len;
		out[len++] = '=';
		if (p->val_len > 0)
			memcpy(out + len, p->val, p->val_len);
		len += p->val_len;
	}
	out[len] = '\0';
	*outlen = len;
	return SB_OK;
}

/*
 * Fuzz target for the query-string parser spotsim runs on every request.
 *
 * Input layout: byte 0 chooses the mode (bit 0: parse as query string + body, split at the offset in
 * byte 1; otherwise one source; bit 1: decode '+' as space in single-source mode); the rest is the raw
 * text. Properties checked beyond "no crash, no sanitizer report":
 *   - every decoded pair, re-encoded by the builder and parsed alone, comes back as the same pair;
 *   - lookup finds each key, and the value found is the first pair with that key;
 *   - the signed payload, when there is one signature, is the raw input minus the cut segment and one '&'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/query.h"

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond))                                                                                 \
			abort();                                                                             \
	} while (0)

static struct sb_query q, again;
static char enc[3 * 2 * SB_QUERY_MAX_LEN + 4];
static char payload[2 * SB_QUERY_MAX_LEN + 1];

static void check_pair(const struct sb_query_pair *p)
{
	/* The builder takes a NUL-terminated key; keys with a NUL inside are encoded by hand. */
	size_t n = 0, m = 0;
	CHECK(sb_query_encode(p->key, p->key_len, enc, sizeof enc, &n) == SB_OK);
	enc[n++] = '=';
	CHECK(sb_query_encode(p->val, p->val_len, enc + n, sizeof enc - n, &m) == SB_OK);
	n += m;
	if (n > SB_QUERY_MAX_LEN)
		return; /* escaping can triple the size past the parser's limit; that is a limit, not a bug */
	sb_query_init(&again);
	CHECK(sb_query_parse(&again, enc, n, SB_QUERY_PLUS_SPACE) == SB_OK);
	CHECK(again.npairs == 1);
	const struct sb_query_pair *r = &again.pairs[0];
	CHECK(r->key_len == p->key_len && memcmp(r->key, p->key, p->key_len) == 0);
	CHECK(r->val_len == p->val_len && memcmp(r->val, p->val, p->val_len) == 0);
}

static void check_lookup(const struct sb_query_pair *p)
{
	if (memchr(p->key, '\0', p->key_len))
		return; /* lookup takes a C string */
	char key[SB_QUERY_MAX_LEN + 1];
	memcpy(key, p->key, p->key_len);
	key[p->key_len] = '\0';
	const char *v;
	size_t vlen;
	CHECK(sb_query_get(&q, key, &v, &vlen) == SB_OK);
	for (size_t i = 0; i < q.npairs; i++) {
		const struct sb_query_pair *f = &q.pairs[i];
		if (f->key_len == p->key_len && memcmp(f->key, p->key, p->key_len) == 0) {
			CHECK(v == f->val && vlen == f->val_len);
			break;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	unsigned mode = data[0];
	size_t split = data[1];
	const char *text = (const char *)data + 2;
	size_t len = size - 2;
	sb_err err;
	if (mode & 1) {
		if (split > len)
			split = len;
		err = sb_query_parse_request(&q, text, split, text + split, len - split);
	} else {
		sb_query_init(&q);
		err = sb_query_parse(&q, text, len, mode & 2 ? SB_QUERY_PLUS_SPACE : 0);
	}
	if (err != SB_OK) {
		CHECK(q.errmsg[0] != '\0');
		return 0;
	}
	for (size_t i = 0; i < q.npairs; i++) {
		check_pair(&q.pairs[i]);
		check_lookup(&q.pairs[i]);
	}
	size_t n = 0;
	const char *sig;
	size_t slen;
	err = sb_query_signed_payload(&q, payload, sizeof payload, &n, &sig, &slen);
	if (err == SB_OK) {
		const struct sb_query_pair *s = NULL;
		for (size_t i = 0; i < q.npairs && !s; i++)
			if (q.pairs[i].key_len == 9 && memcmp(q.pairs[i].key, "signature", 9) == 0)
				s = &q.pairs[i];
		CHECK(s && sig == s->val && slen == s->val_len);
		size_t src_len = q.raw_len[s->src];
		size_t cut = s->raw_len + (src_len > s->raw_len ? 1 : 0);
		CHECK(n == q.raw_len[0] + q.raw_len[1] - cut);
		CHECK(payload[n] == '\0');
		/* The source without the signature is copied verbatim: first, or last. */
		if (s->src == SB_QUERY_SRC_BODY)
			CHECK(q.raw_len[0] == 0 || memcmp(payload, q.raw[0], q.raw_len[0]) == 0);
		else if (q.raw_len[1] > 0)
			CHECK(memcmp(payload + n - q.raw_len[1], q.raw[1], q.raw_len[1]) == 0);
	} else {
		CHECK(err == SB_ERR_NOT_FOUND || err == SB_ERR_EXISTS);
	}
	char ws[2 * SB_QUERY_MAX_LEN + SB_QUERY_MAX_PAIRS * 2];
	err = sb_query_ws_payload(q.pairs, q.npairs, ws, sizeof ws, &n);
	CHECK(err == SB_OK || err == SB_ERR_EXISTS);
	return 0;
}

/*
 * Tests for query.c: percent-encoding, the bounded builder, the parser's decoding and its errors
 * (duplicates, bad escapes, sizes), cutting the signature out of a request, and the WebSocket API signing
 * payload. Binance's vectors go through the whole path: build or parse a request, strip, sign/verify.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sign_int.h"
#include "spotbot/query.h"

static const char SECRET[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
static const char PAYLOAD[] =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
static const char SIG_OFFICIAL[] = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
static const char SIG_QUERY_BODY[] = "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
static const char SIG_UNICODE[] = "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3";
static const char SIG_WS[] = "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24";
static const char Q1[] = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
static const char B1[] = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

/* The struct is large (decoded storage for two sources); keep it off the test's stack. */
static struct sb_query *new_query(void)
{
	struct sb_query *q = malloc(sizeof *q);
	sb_query_init(q);
	return q;
}

static void assert_get(const struct sb_query *q, const char *key, const char *want, size_t want_len)
{
	const char *v = NULL;
	size_t n = 0;
	cr_assert_eq(sb_query_get(q, key, &v, &n), SB_OK, "key %s", key);
	cr_assert_eq(n, want_len, "key %s: length %zu, want %zu", key, n, want_len);
	cr_assert_eq(memcmp(v, want, n), 0, "key %s", key);
}

#define ASSERT_GET(q, key, want) assert_get(q, key, want, strlen(want))

/* ---- encoding and builder ---- */

Test(query, encode_escapes_all_but_unreserved_bytes)
{
	for (int c = 0; c < 256; c++) {
		char in = (char)c, out[4], want[4];
		size_t n = 0;
		cr_assert_eq(sb_query_encode(&in, 1, out, sizeof out, &n), SB_OK);
		int plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		            c == '-' || c == '_' || c == '.' || c == '~';
		if (plain)
			snprintf(want, sizeof want, "%c", c);
		else
			snprintf(want, sizeof want, "%%%02X", c);
		cr_assert_str_eq(out, want, "byte %d", c);
		cr_assert_eq(n, strlen(want));
	}
}

Test(query, encode_base64_signature_for_rest)
{
	char out[64];
	size_t n;
	cr_assert_eq(sb_query_encode("ab+/c==", 7, out, sizeof out, &n), SB_OK);
	cr_assert_str_eq(out, "ab%2B%2Fc%3D%3D");
	cr_assert_eq(n, 15);
	cr_assert_eq(sb_query_encode("ab+/c==", 7, out, 15, &n), SB_ERR_TOO_LONG);
	cr_assert_str_eq(out, "");
	cr_assert_eq(sb_query_encode("ab+/c==", 7, out, 16, &n), SB_OK);
}

/* Builds Binance's documented order request. */
static void build_official(struct sb_query_builder *b)
{
	cr_assert_eq(sb_query_builder_add_str(b, "symbol", "LTCBTC"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(b, "side", "BUY"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(b, "type", "LIMIT"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(b, "timeInForce", "GTC"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(b, "quantity", "1"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(b, "price", "0.1"), SB_OK);
	cr_assert_eq(sb_query_builder_add_i64(b, "recvWindow", 5000), SB_OK);
	cr_assert_eq(sb_query_builder_add_i64(b, "timestamp", 1499827319559), SB_OK);
}

Test(query, builder_produces_binance_official_payload_and_signature)
{
	char buf[512];
	struct sb_query_builder b;
	sb_query_builder_init(&b, buf, sizeof buf);
	build_official(&b);
	cr_assert_str_eq(buf, PAYLOAD);
	cr_assert_eq(b.len, strlen(PAYLOAD));

	struct sb_signer *s;
	cr_assert_eq(sb_signer_new_hmac(SECRET, strlen(SECRET), &s), SB_OK);
	char sig[SB_SIGN_MAX];
	cr_assert_eq(sb_signer_sign(s, b.buf, b.len, sig, sizeof sig, NULL), SB_OK);
	cr_assert_str_eq(sig, SIG_OFFICIAL);
	cr_assert_eq(sb_query_builder_add_str(&b, "signature", sig), SB_OK);
	cr_assert(strstr(buf, "&timestamp=1499827319559&signature=c8db56825ae71d6d") != NULL);
	sb_signer_free(s);
}

Test(query, builder_percent_encodes_unicode_symbol_before_signing)
{
	char buf[512];
	struct sb_query_builder b;
	sb_query_builder_init(&b, buf, sizeof buf);
	/* FULLWIDTH DIGIT ONE..SIX in UTF-8. */
	cr_assert_eq(sb_query_builder_add_str(&b, "symbol",
	                                      "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95"
	                                      "\xEF\xBC\x96"),
	             SB_OK);
	cr_assert_eq(sb_query_builder_add_str(&b, "side", "BUY"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(&b, "type", "LIMIT"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(&b, "timeInForce", "GTC"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(&b, "quantity", "1"), SB_OK);
	cr_assert_eq(sb_query_builder_add_str(&b, "price", "0.1"), SB_OK);
	cr_assert_eq(sb_query_builder_add_i64(&b, "recvWindow", 5000), SB_OK);
	cr_assert_eq(sb_query_builder_add_i64(&b, "timestamp", 1499827319559), SB_OK);
	cr_assert_str_eq(buf,
	                 "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
	                 "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559");
	char sig[SB_SIGN_MAX];
	struct sb_signer *s;
	cr_assert_eq(sb_signer_new_hmac(SECRET, strlen(SECRET), &s), SB_OK);
	cr_assert_eq(sb_signer_sign(s, b.buf, b.len, sig, sizeof sig, NULL), SB_OK);
	cr_assert_str_eq(sig, SIG_UNICODE);
	sb_signer_free(s);
}

Test(query, builder_refuses_to_overflow_and_keeps_what_it_had)
{
	char buf[16];
	struct sb_query_builder b;
	sb_query_builder_init(&b, buf, sizeof buf);
	cr_assert_eq(sb_query_builder_add_str(&b, "a", "12345"), SB_OK); /* "a=12345": 7 */
	/* "&b=1234567" would make 17 + NUL: too long. */
	cr_assert_eq(sb_query_builder_add_str(&b, "b", "1234567"), SB_ERR_TOO_LONG);
	cr_assert_str_eq(buf, "a=12345");
	cr_assert_eq(b.len, 7);
	/* An escape counts three bytes: "&b=1%2F" is 7, total 14 + NUL fits; one more byte would not. */
	cr_assert_eq(sb_query_builder_add_str(&b, "b", "1/"), SB_OK);
	cr_assert_str_eq(buf, "a=12345&b=1%2F");
	cr_assert_eq(sb_query_builder_add_str(&b, "c", ""), SB_ERR_TOO_LONG);
	sb_query_builder_init(&b, buf, sizeof buf);
	cr_assert_eq(sb_query_builder_add_str(&b, "k", "0123456789abc"), SB_OK); /* exactly 15 + NUL */
	cr_assert_eq(b.len, 15);
	cr_assert_eq(sb_query_builder_add_str(&b, "x", ""), SB_ERR_TOO_LONG);
}

Test(query, builder_formats_integers_and_empty_values)
{
	char buf[128];
	struct sb_query_builder b;
	sb_query_builder_init(&b, buf, sizeof buf);
	cr_assert_eq(sb_query_builder_add_i64(&b, "min", INT64_MIN), SB_OK);
	cr_assert_eq(sb_query_builder_add_i64(&b, "zero", 0), SB_OK);
	cr_assert_eq(sb_query_builder_add(&b, "empty", NULL, 0), SB_OK);
	cr_assert_str_eq(buf, "min=-9223372036854775808&zero=0&empty=");
	cr_assert_eq(sb_query_builder_add_str(&b, "x", NULL), SB_ERR_INVALID);
}

/* ---- parser ---- */

Test(query, parse_finds_pairs_by_exact_key)
{
	struct sb_query *q = new_query();
	cr_assert_eq(sb_query_parse(q, PAYLOAD, strlen(PAYLOAD), 0), SB_OK);
	cr_assert_eq(q->npairs, 8);
	ASSERT_GET(q, "symbol", "LTCBTC");
	ASSERT_GET(q, "price", "0.1");
	ASSERT_GET(q, "timestamp", "1499827319559");
	cr_assert_eq(sb_query_get(q, "Symbol", NULL, NULL), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_query_get(q, "symbo", NULL, NULL), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_query_get(q, "signature", NULL, NULL), SB_ERR_NOT_FOUND);
	free(q);
}

Test(query, parse_decodes_escapes_and_plus)
{
	struct sb_query *q = new_query();
	const char *raw = "a%3Db=x%2fy%2Bz&sp=a+b&pct=100%25&nul=%00";
	cr_assert_eq(sb_query_parse(q, raw, strlen(raw), 0), SB_OK);
	ASSERT_GET(q, "a=b", "x/y+z");
	ASSERT_GET(q, "sp", "a+b"); /* without SB_QUERY_PLUS_SPACE '+' is literal */
	ASSERT_GET(q, "pct", "100%");
	assert_get(q, "nul", "\0", 1);
	sb_query_init(q);
	cr_assert_eq(sb_query_parse(q, raw, strlen(raw), SB_QUERY_PLUS_SPACE), SB_OK);
	ASSERT_GET(q, "sp", "a b");
	ASSERT_GET(q, "a=b", "x/y+z"); /* an encoded plus stays a plus */
	free(q);
}

Test(query, parse_handles_empty_segments_missing_values_and_empty_keys)
{
	struct sb_query *q = new_query();
	const char *raw = "&&flag&a=&=v&b==c&&";
	cr_assert_eq(sb_query_parse(q, raw, strlen(raw), 0), SB_OK);
	cr_assert_eq(q->npairs, 4);
	ASSERT_GET(q, "flag", "");
	ASSERT_GET(q, "a", "");
	ASSERT_GET(q, "", "v");
	ASSERT_GET(q, "b", "=c");
	sb_query_init(q);
	cr_assert_eq(sb_query_parse(q, "", 0, 0), SB_OK);
	cr_assert_eq(sb_query_parse(q, NULL, 0, SB_QUERY_BODY), SB_OK);
	cr_assert_eq(q->npairs, 0);
	free(q);
}

static void assert_bad_escape(const char *raw, size_t want_off)
{
	struct sb_query *q = new_query();
	cr_assert_eq(sb_query_parse(q, raw, strlen(raw), 0), SB_ERR_PARSE, "%s", raw);
	cr_assert_eq(q->err_off, want_off, "%s: offset %zu", raw, q->err_off);
	cr_assert(strstr(q->errmsg, "malformed percent-escape") != NULL, "%s", q->errmsg);
	cr_assert_eq(q->npairs, 0);
	cr_assert_eq(q->dec_used, 0);
	free(q);
}

Test(query, parse_rejects_malformed_escapes_with_their_offset)
{
	assert_bad_escape("%", 0);
	assert_bad_escape("a=1&b=%4", 6);
	assert_bad_escape("a=1&b=%4g", 6);
	assert_bad_escape("a=1&b=%zz&c=3", 6);
	assert_bad_escape("a=1&k%=1", 5);
	assert_bad_escape("a=%%41", 2);
}

Test(query, parse_reports_duplicate_keys)
{
	struct sb_query *q = new_query();
	const char *raw = "symbol=A&side=BUY&symbol=B";
	cr_assert_eq(sb_query_parse(q, raw, strlen(raw), 0), SB_ERR_EXISTS);
	cr_assert_eq(q->err_off, 18);
	cr_assert_str_eq(q->errmsg,
	                 "duplicate values for parameter 'symbol' (at byte 18 of the query string)");
	cr_assert_eq(q->npairs, 0);
	/* Duplicates are found on decoded keys, however they were spelled. */
	sb_query_init(q);
	raw = "side=BUY&%73ide=SELL";
	cr_assert_eq(sb_query_parse(q, raw, strlen(raw), 0), SB_ERR_EXISTS);
	free(q);
}

Test(query, same_key_in_query_and_body_is_allowed_and_query_wins)
{
	struct sb_query *q = new_query();
	cr_assert_eq(sb_query_parse_request(q, "price=1&a=q", 11, "price=2&b=x+y", 13), SB_OK);
	cr_assert_eq(q->npairs, 4);
	ASSERT_GET(q, "price", "1");
	ASSERT_GET(q, "b", "x y"); /* the body is form data */
	ASSERT_GET(q, "a", "q");
	/* A duplicate inside the body is still an error, and names the body. */
	cr_assert_eq(sb_query_parse_request(q, "a=1", 3, "b=1&b=2", 7), SB_ERR_EXISTS);
	cr_assert(strstr(q->errmsg, "of the body") != NULL, "%s", q->errmsg);
	free(q);
}

Test(query, parse_enforces_size_limits)
{
	struct sb_query *q = new_query();
	char *big = malloc(SB_QUERY_MAX_LEN + 1);
	memset(big, 'x', SB_QUERY_MAX_LEN + 1);
	big[0] = 'k';
	big[1] = '=';
	cr_assert_eq(sb_query_parse(q, big, SB_QUERY_MAX_LEN + 1, 0), SB_ERR_TOO_LONG);
	cr_assert(strstr(q->errmsg, "exceeds the maximum of 8192") != NULL, "%s", q->errmsg);
	cr_assert_eq(sb_query_parse(q, big, SB_QUERY_MAX_LEN, 0), SB_OK);
	cr_assert_eq(sb_query_parse(q, big, SB_QUERY_MAX_LEN, SB_QUERY_BODY), SB_OK);
	cr_assert_eq(q->npairs, 2);
	/* Each source is parsed once. */
	cr_assert_eq(sb_query_parse(q, "a=1", 3, SB_QUERY_BODY), SB_ERR_INVALID);
	free(big);

	/* 64 pairs fit; the 65th, even split over query and body, does not. */
	char raw[2048];
	struct sb_query_builder b;
	sb_query_builder_init(&b, raw, sizeof raw);
	for (int i = 0; i < SB_QUERY_MAX_PAIRS; i++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		cr_assert_eq(sb_query_builder_add_i64(&b, key, i), SB_OK);
	}
	sb_query_init(q);
	cr_assert_eq(sb_query_parse(q, raw, b.len, 0), SB_OK);
	cr_assert_eq(q->npairs, SB_QUERY_MAX_PAIRS);
	ASSERT_GET(q, "k63", "63");
	cr_assert_eq(sb_query_parse(q, "one=more", 8, SB_QUERY_BODY), SB_ERR_TOO_LONG);
	cr_assert(strstr(q->errmsg, "more than 64 parameters") != NULL, "%s", q->errmsg);
	cr_assert_eq(q->npairs, SB_QUERY_MAX_PAIRS);
	free(q);
}

Test(query, parse_round_trips_random_pairs_through_the_builder)
{
	/* Random keys and values of any bytes: build, parse, and get back exactly what went in. */
	srand(4242);
	struct sb_query *q = new_query();
	static char raw[SB_QUERY_MAX_LEN];
	char keys[20][16], vals[20][40];
	size_t vlen[20];
	for (int iter = 0; iter < 300; iter++) {
		struct sb_query_builder b;
		sb_query_builder_init(&b, raw, sizeof raw);
		int n = 1 + rand() % 20;
		for (int i = 0; i < n; i++) {
			snprintf(keys[i], sizeof keys[i], "k%c%d", "ab+ /%&="[rand() % 8], i);
			vlen[i] = (size_t)(rand() % 40);
			for (size_t j = 0; j < vlen[i]; j++)
				vals[i][j] = (char)(rand() & 0xff);
			cr_assert_eq(sb_query_builder_add(&b, keys[i], vals[i], vlen[i]), SB_OK);
		}
		sb_query_init(q);
		unsigned flags = iter % 2 ? SB_QUERY_PLUS_SPACE : 0; /* the builder never emits '+' */
		cr_assert_eq(sb_query_parse(q, raw, b.len, flags), SB_OK, "%s", q->errmsg);
		cr_assert_eq(q->npairs, (size_t)n);
		for (int i = 0; i < n; i++) {
			cr_assert_eq(q->pairs[i].key_len, strlen(keys[i]));
			cr_assert_eq(memcmp(q->pairs[i].key, keys[i], strlen(keys[i])), 0);
			assert_get(q, keys[i], vals[i], vlen[i]);
		}
	}
	free(q);
}

/* ---- signed payload ---- */

static void assert_stripped(const char *query, const char *body, const char *want, const char *want_sig)
{
	struct sb_query *q = new_query();
	cr_assert_eq(
	    sb_query_parse_request(q, query, query ? strlen(query) : 0, body, body ? strlen(body) : 0),
	    SB_OK);
	char out[512];
	size_t n = 0, slen = 0;
	const char *sig = NULL;
	cr_assert_eq(sb_query_signed_payload(q, out, sizeof out, &n, &sig, &slen), SB_OK, "%s | %s", query,
	             body);
	cr_assert_str_eq(out, want, "%s | %s", query, body);
	cr_assert_eq(n, strlen(want));
	cr_assert_eq(slen, strlen(want_sig));
	cr_assert_eq(memcmp(sig, want_sig, slen), 0);
	free(q);
}

Test(query, signed_payload_cuts_signature_from_any_position)
{
	assert_stripped("a=1&b=2&signature=S", NULL, "a=1&b=2", "S");
	assert_stripped("signature=S&a=1&b=2", NULL, "a=1&b=2", "S");
	assert_stripped("a=1&signature=S&b=2", NULL, "a=1&b=2", "S");
	assert_stripped("signature=S", NULL, "", "S");
	assert_stripped("a=1", "b=2&signature=S", "a=1b=2", "S");
	assert_stripped("a=1", "signature=S&b=2", "a=1b=2", "S");
	assert_stripped("a=1", "b=2&signature=S&c=3", "a=1b=2&c=3", "S");
	assert_stripped("a=1&signature=S", "b=2", "a=1b=2", "S");
	assert_stripped("signature=S&a=1", "b=2", "a=1b=2", "S");
	assert_stripped(NULL, "signature=S", "", "S");
	/* The value comes back decoded; the cut works on the raw bytes. */
	assert_stripped("a=%41&signature=ab%2B%2F%3D%3D", NULL, "a=%41", "ab+/==");
}

Test(query, signed_payload_needs_exactly_one_signature_and_room)
{
	struct sb_query *q = new_query();
	char out[64];
	size_t n;
	cr_assert_eq(sb_query_parse_request(q, "a=1", 3, "b=2", 3), SB_OK);
	cr_assert_eq(sb_query_signed_payload(q, out, sizeof out, &n, NULL, NULL), SB_ERR_NOT_FOUND);
	cr_assert_eq(sb_query_parse_request(q, "a=1&signature=x", 15, "signature=y", 11), SB_OK);
	cr_assert_eq(sb_query_signed_payload(q, out, sizeof out, &n, NULL, NULL), SB_ERR_EXISTS);
	cr_assert_eq(sb_query_parse_request(q, "abc=1&signature=x", 17, "de=2", 4), SB_OK);
	cr_assert_eq(sb_query_signed_payload(q, out, 9, &n, NULL, NULL), SB_ERR_TOO_LONG); /* "abc=1de=2" */
	cr_assert_eq(sb_query_signed_payload(q, out, 10, &n, NULL, NULL), SB_OK);
	cr_assert_str_eq(out, "abc=1de=2");
	free(q);
}

/* Parses a request, cuts out the signature and verifies it as spotsim does; returns the verify result. */
static sb_err verify_request(const char *query, const char *body)
{
	struct sb_query *q = new_query();
	sb_err err = sb_query_parse_request(q, query, strlen(query), body, strlen(body));
	cr_assert_eq(err, SB_OK, "%s", q->errmsg);
	char payload[1024];
	size_t n, slen;
	const char *sig;
	cr_assert_eq(sb_query_signed_payload(q, payload, sizeof payload, &n, &sig, &slen), SB_OK);
	err = sb_sign_verify_hmac(SECRET, strlen(SECRET), payload, n, sig, slen);
	free(q);
	return err;
}

Test(query, binance_vectors_verify_through_parse_and_strip)
{
	char query[512], body[512];
	/* Official vector, everything in the query string, signature last. */
	snprintf(query, sizeof query, "%s&signature=%s", PAYLOAD, SIG_OFFICIAL);
	cr_assert_eq(verify_request(query, ""), SB_OK);
	/* The same in a POST body. */
	cr_assert_eq(verify_request("", query), SB_OK);
	/* Signature first in the query, upper-case: HMAC signatures are case-insensitive. */
	snprintf(query, sizeof query,
	         "signature=C8DB56825AE71D6D79447849E617115F4A920FA2ACDCAB2B053C4B2838BD6B71&%s", PAYLOAD);
	cr_assert_eq(verify_request(query, ""), SB_OK);
	/* Query + body vector, with the signature at the end of the body. */
	snprintf(body, sizeof body, "%s&signature=%s", B1, SIG_QUERY_BODY);
	cr_assert_eq(verify_request(Q1, body), SB_OK);
	/* ... and with it at the end of the query string instead. */
	snprintf(query, sizeof query, "%s&signature=%s", Q1, SIG_QUERY_BODY);
	cr_assert_eq(verify_request(query, B1), SB_OK);
	/* ... and in the middle of the body. */
	snprintf(body, sizeof body,
	         "quantity=1&price=0.1&signature=%s&recvWindow=5000&timestamp=1499827319559", SIG_QUERY_BODY);
	cr_assert_eq(verify_request(Q1, body), SB_OK);
	/* Unicode symbol vector: the parser decodes the symbol, but the signature covers the encoded bytes.
	 */
	const char *uni = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
	                  "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
	snprintf(query, sizeof query, "%s&signature=%s", uni, SIG_UNICODE);
	cr_assert_eq(verify_request(query, ""), SB_OK);
	struct sb_query *q = new_query();
	cr_assert_eq(sb_query_parse_request(q, query, strlen(query), NULL, 0), SB_OK);
	ASSERT_GET(q, "symbol", "\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93\xEF\xBC\x94\xEF\xBC\x95\xEF\xBC\x96");
	free(q);
}

Test(query, tampered_requests_fail_verification)
{
	char query[512], body[512];
	/* A changed price. */
	snprintf(query, sizeof query,
	         "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&"
	         "recvWindow=5000&timestamp=1499827319559&signature=%s",
	         SIG_OFFICIAL);
	cr_assert_eq(verify_request(query, ""), SB_ERR_BAD_SIGNATURE);
	/* Parameters moved from the body to the query change the signed bytes ('&' at the join). */
	snprintf(query, sizeof query, "%s&quantity=1&signature=%s", Q1, SIG_QUERY_BODY);
	cr_assert_eq(verify_request(query, "price=0.1&recvWindow=5000&timestamp=1499827319559"),
	             SB_ERR_BAD_SIGNATURE);
	/* The query+body signature does not verify the all-in-query request, nor the reverse. */
	snprintf(body, sizeof body, "%s&signature=%s", B1, SIG_OFFICIAL);
	cr_assert_eq(verify_request(Q1, body), SB_ERR_BAD_SIGNATURE);
}

Test(query, ed25519_signed_request_verifies_after_percent_encoding)
{
	const char *dir = getenv("SB_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/keys/ed25519-test.pem", dir ? dir : ".");
	struct sb_signer *s;
	cr_assert_eq(sb_signer_new_ed25519_file(path, &s), SB_OK);
	char buf[1024];
	struct sb_query_builder b;
	sb_query_builder_init(&b, buf, sizeof buf);
	build_official(&b);
	char sig[SB_SIGN_MAX];
	size_t siglen;
	cr_assert_eq(sb_signer_sign(s, b.buf, b.len, sig, sizeof sig, &siglen), SB_OK);
	cr_assert_eq(sb_query_builder_add(&b, "signature", sig, siglen), SB_OK);
	/* The known signature has '+', '/' and '=' in it; all three must travel encoded. */
	cr_assert(strstr(buf, "&signature=G%2FVhIuRmAp2o3QFwPC8%2BhZ4Q") != NULL, "%s", buf);
	cr_assert(strstr(buf, "%3D%3D") != NULL);

	snprintf(path, sizeof path, "%s/tests/data/keys/ed25519-test.pub.pem", dir ? dir : ".");
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f);
	char pub[1024];
	size_t publen = fread(pub, 1, sizeof pub, f);
	fclose(f);

	struct sb_query *q = new_query();
	cr_assert_eq(sb_query_parse_request(q, buf, b.len, NULL, 0), SB_OK);
	char payload[1024];
	size_t n, slen;
	const char *got;
	cr_assert_eq(sb_query_signed_payload(q, payload, sizeof payload, &n, &got, &slen), SB_OK);
	cr_assert_str_eq(payload, PAYLOAD);
	cr_assert_eq(slen, 88);
	cr_assert_eq(memcmp(got, sig, 88), 0);
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, payload, n, got, slen), SB_OK);
	free(q);
	sb_signer_free(s);
}

/* ---- WebSocket API ---- */

#define PAIR(k, v)                                                                                           \
	{                                                                                                    \
		k, sizeof k - 1, v, sizeof v - 1, 0, 0, 0                                                    \
	}

Test(query, ws_payload_sorts_params_and_skips_signature)
{
	/* Binance's WebSocket API example params, in the order a JSON object might carry them. */
	const struct sb_query_pair params[] = {
	    PAIR("symbol", "BTCUSDT"),
	    PAIR("side", "SELL"),
	    PAIR("type", "LIMIT"),
	    PAIR("timeInForce", "GTC"),
	    PAIR("quantity", "0.01000000"),
	    PAIR("price", "52000.00"),
	    PAIR("recvWindow", "100"),
	    PAIR("timestamp", "1645423376532"),
	    PAIR("signature", "ignored"),
	    PAIR("apiKey", "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"),
	};
	char out[512];
	size_t n;
	cr_assert_eq(sb_query_ws_payload(params, sizeof params / sizeof params[0], out, sizeof out, &n),
	             SB_OK);
	cr_assert_str_eq(
	    out, "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&"
	         "quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&"
	         "timestamp=1645423376532&type=LIMIT");
	cr_assert_eq(n, strlen(out));
	struct sb_signer *s;
	cr_assert_eq(sb_signer_new_hmac(SECRET, strlen(SECRET), &s), SB_OK);
	char sig[SB_SIGN_MAX];
	cr_assert_eq(sb_signer_sign(s, out, n, sig, sizeof sig, NULL), SB_OK);
	cr_assert_str_eq(sig, SIG_WS);
	sb_signer_free(s);
}

Test(query, ws_payload_uses_raw_values_and_bytewise_order)
{
	const struct sb_query_pair params[] = {
	    PAIR("b", "x y/z"),
	    PAIR("ab", "\xEF\xBC\x91"),
	    PAIR("a", "1"),
	    PAIR("B", "upper"),
	};
	char out[128];
	size_t n;
	cr_assert_eq(sb_query_ws_payload(params, 4, out, sizeof out, &n), SB_OK);
	cr_assert_str_eq(out, "B=upper&a=1&ab=\xEF\xBC\x91&b=x y/z");
	cr_assert_eq(sb_query_ws_payload(params, 0, out, sizeof out, &n), SB_OK);
	cr_assert_str_eq(out, "");
	cr_assert_eq(n, 0);
}

Test(query, ws_payload_rejects_duplicates_and_overflow)
{
	const struct sb_query_pair dup[] = {PAIR("a", "1"), PAIR("b", "2"), PAIR("a", "3")};
	char out[64];
	size_t n;
	cr_assert_eq(sb_query_ws_payload(dup, 3, out, sizeof out, &n), SB_ERR_EXISTS);
	const struct sb_query_pair ok[] = {PAIR("a", "1"), PAIR("b", "2")};
	cr_assert_eq(sb_query_ws_payload(ok, 2, out, 7, &n), SB_ERR_TOO_LONG); /* "a=1&b=2" */
	cr_assert_str_eq(out, "");
	cr_assert_eq(sb_query_ws_payload(ok, 2, out, 8, &n), SB_OK);
	cr_assert_str_eq(out, "a=1&b=2");
}

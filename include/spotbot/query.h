/*
 * query.h - application/x-www-form-urlencoded query strings: building signed requests, parsing them back.
 *
 * Binance signs the *encoded* string, so the client builds the exact bytes it sends (builder below) and
 * signs those; spotsim parses a request's query string and body, looks parameters up, and verifies the
 * signature over the raw bytes with the signature pair cut out (sb_query_signed_payload). Encoding follows
 * RFC 3986: everything except the unreserved characters A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex),
 * so a base64 signature's '+', '/' and '=' come out as %2B, %2F, %3D.
 *
 * The WebSocket API signs something else: all params but the signature, sorted by name, joined as k=v&
 * with raw (not encoded) values (sb_query_ws_payload).
 *
 * Everything here works in caller-provided, fixed-size storage: there is no heap allocation and every size
 * has a hard maximum.
 */
#ifndef SPOTBOT_QUERY_H
#define SPOTBOT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"

#define SB_QUERY_MAX_LEN    8192 /* longest raw query string or body the parser accepts, per source */
#define SB_QUERY_MAX_PAIRS  64   /* most parameters in one request (query and body together) */
#define SB_QUERY_ERRMSG_LEN 160  /* room for the parser's error message */

/* One parameter. In a parsed query key/val point into the sb_query's decoded storage (not NUL-terminated). */
struct sb_query_pair {
	const char *key; /* decoded name */
	size_t key_len;  /* bytes in key */
	const char *val; /* decoded value; empty (not NULL) when the pair had no '=' */
	size_t val_len;  /* bytes in val */
	size_t raw_off;  /* parsed pairs: offset of the raw "k=v" segment in its source */
	size_t raw_len;  /* parsed pairs: length of that raw segment */
	unsigned src;    /* parsed pairs: SB_QUERY_SRC_QUERY or SB_QUERY_SRC_BODY */
};

/* Where a parsed pair came from. Binance accepts parameters in either; the query string wins a tie. */
enum {
	SB_QUERY_SRC_QUERY = 0, /* the URL's query string */
	SB_QUERY_SRC_BODY = 1,  /* a form-encoded request body */
};

/* Flags for sb_query_parse. */
#define SB_QUERY_BODY       0x1u /* the input is the body (default: the query string) */
#define SB_QUERY_PLUS_SPACE 0x2u /* decode '+' as a space, as HTML forms encode it */

/*
 * A parsed request. It borrows the raw query string and body it was parsed from (for
 * sb_query_signed_payload), so those must outlive it; decoded keys and values live inside it.
 */
struct sb_query {
	struct sb_query_pair pairs[SB_QUERY_MAX_PAIRS]; /* in input order: query-string pairs, then body */
	size_t npairs;                                  /* used entries of pairs */
	const char *raw[2];                             /* borrowed raw input per source (NULL: not parsed) */
	size_t raw_len[2];                              /* bytes of each raw input */
	char dec[2 * SB_QUERY_MAX_LEN];                 /* decoded keys and values, back to back */
	size_t dec_used;                                /* bytes of dec in use */
	size_t err_off;                                 /* failed parse: byte offset in the source */
	char errmsg[SB_QUERY_ERRMSG_LEN];               /* failed parse: what was wrong, for logs/-1101 */
};

/* Resets q to an empty request. */
void sb_query_init(struct sb_query *q);

/*
 * Parses raw[0..len) and appends its pairs to q. Pairs are separated by '&'; empty segments are skipped; a
 * segment without '=' is a key with an empty value; %XX escapes are decoded (either hex case) and, with
 * SB_QUERY_PLUS_SPACE, '+' becomes a space. raw is borrowed (see struct sb_query). Each source can be
 * parsed once. Errors, each with q->errmsg and q->err_off set, and q left with no pairs from this call:
 *   SB_ERR_PARSE     a '%' not followed by two hex digits;
 *   SB_ERR_EXISTS    a key repeated within this source (Binance: -1101 "Duplicate values for a parameter
 *                    detected."); the same key in the query and the body is allowed and the query wins;
 *   SB_ERR_TOO_LONG  len > SB_QUERY_MAX_LEN, or more than SB_QUERY_MAX_PAIRS pairs in q;
 *   SB_ERR_INVALID   NULL arguments, or this source was already parsed.
 */
sb_err sb_query_parse(struct sb_query *q, const char *raw, size_t len, unsigned flags);

/*
 * sb_query_init, then parses query[0..qlen) as the query string and body[0..blen) as the body, both as
 * form data ('+' is a space). Either may be NULL with length 0. Errors as sb_query_parse.
 */
sb_err sb_query_parse_request(struct sb_query *q, const char *query, size_t qlen, const char *body,
                              size_t blen);

/*
 * Looks up the parameter named exactly key (case-sensitive). The query string's pair wins over the body's.
 * On SB_OK *val and *val_len (either may be NULL) point into q, valid while q is. SB_ERR_NOT_FOUND otherwise.
 */
sb_err sb_query_get(const struct sb_query *q, const char *key, const char **val, size_t *val_len);

/*
 * Writes the bytes the request's signature covers: the raw query string followed directly by the raw body,
 * each with its "signature=..." segment and one adjacent '&' cut out, into out (cap bytes, NUL-terminated),
 * and its length to *outlen. The signature may sit first, in the middle or last, in either source. If
 * sig/sig_len are not NULL they receive the decoded signature value (pointing into q).
 * Errors: SB_ERR_NOT_FOUND (no signature), SB_ERR_EXISTS (more than one, counting both sources),
 * SB_ERR_TOO_LONG (cap too small), SB_ERR_INVALID (NULL arguments).
 */
sb_err sb_query_signed_payload(const struct sb_query *q, char *out, size_t cap, size_t *outlen,
                               const char **sig, size_t *sig_len);

/*
 * Percent-encodes src[0..len) into out (cap bytes, NUL-terminated), escaping all but RFC 3986 unreserved
 * characters. *outlen (may be NULL) gets the length. SB_ERR_TOO_LONG if it does not fit (out is then "").
 */
sb_err sb_query_encode(const char *src, size_t len, char *out, size_t cap, size_t *outlen);

/*
 * A builder writes "k=v&k=v" into a caller buffer whose size is the hard maximum. An append that does not
 * fit fails with SB_ERR_TOO_LONG and leaves the string as it was, so the caller can report it cleanly.
 * The buffer is always NUL-terminated and holds exactly the bytes to sign and send.
 */
struct sb_query_builder {
	char *buf;  /* caller's storage */
	size_t cap; /* size of buf, including room for the NUL */
	size_t len; /* bytes written, without the NUL */
};

/* Starts an empty string in buf[0..cap); cap must be at least 1. */
void sb_query_builder_init(struct sb_query_builder *b, char *buf, size_t cap);

/* Appends key=val with both percent-encoded (val is val_len bytes, may contain any byte). */
sb_err sb_query_builder_add(struct sb_query_builder *b, const char *key, const char *val, size_t val_len);

/* Appends key=val for a NUL-terminated val. */
sb_err sb_query_builder_add_str(struct sb_query_builder *b, const char *key, const char *val);

/* Appends key=<decimal integer>, e.g. timestamp=1499827319559. */
sb_err sb_query_builder_add_i64(struct sb_query_builder *b, const char *key, int64_t val);

/*
 * Builds the WebSocket API signing payload: every pair except "signature", sorted by key (bytewise), joined
 * as k=v& with raw values, into out (cap bytes, NUL-terminated); *outlen gets its length. The pairs' raw_*
 * and src fields are ignored. Errors: SB_ERR_EXISTS (a key repeated), SB_ERR_TOO_LONG (cap too small or
 * more than SB_QUERY_MAX_PAIRS pairs), SB_ERR_INVALID (NULL arguments).
 */
sb_err sb_query_ws_payload(const struct sb_query_pair *pairs, size_t n, char *out, size_t cap,
                           size_t *outlen);

#endif

/*
 * codec_int.h - helpers shared by the Binance message parsers (codec.c, codec_rest.c), not public.
 *
 * Every getter looks a key up case-sensitively, checks its JSON type, converts it (decimal strings through
 * sb_dec, integers through valuedouble with an exactness check) and on failure writes one message of the
 * form `<what>: field "<prefix><key>": <reason>` into the caller's buffer. The *_item variants work on a
 * value already in hand (array elements), named by the caller.
 */
#ifndef SPOTBOT_EXCHANGE_CODEC_INT_H
#define SPOTBOT_EXCHANGE_CODEC_INT_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exchange/codec_doc.h"

/* Ids and millisecond timestamps are JSON numbers; a double holds integers exactly below 2^53. */
#define SB_BN__INT_MAX ((INT64_C(1) << 53) - 1)

/* Error context of one parse. */
struct sb_bn__ctx {
	char *err;                 /* caller's message buffer; may be NULL */
	size_t errcap;             /* its size */
	const char *what;          /* message being parsed: "executionReport", "order", ... */
	const char *prefix;        /* path of the enclosing object ("fills[2].", "k."), or "" */
	const cJSON *indexed;      /* object whose one-character keys are in by_char; NULL for none */
	const cJSON *by_char[128]; /* first member of indexed with that one-character key */
};

/* Starts a context: clears the message buffer. */
void sb_bn__ctx_init(struct sb_bn__ctx *c, char *err, size_t errcap, const char *what);

/* Indexes o's one-character keys (Binance events are made of them) so the getters below find each in one
 * step instead of scanning the object: the same first-match semantics as cJSON's lookup. */
void sb_bn__index(struct sb_bn__ctx *c, const cJSON *o);

/* Case-sensitive member lookup through the index when o is the indexed object. */
const cJSON *sb_bn__find(const struct sb_bn__ctx *c, const cJSON *o, const char *key);

/* Writes `what: field "prefix key": reason` (or `what: reason` when key is NULL) and returns e. */
__attribute__((format(printf, 4, 5))) sb_err sb_bn__fail(struct sb_bn__ctx *c, sb_err e, const char *key,
                                                         const char *fmt, ...);

/* Parses text (len bytes, at most max) into a document owned by the caller; rejects trailing data. */
sb_err sb_bn__parse_doc(struct sb_bn__ctx *c, const char *text, size_t len, size_t max, cJSON **out);

/* Required and optional fields of an object. Optional getters leave *out at dflt when the key is absent;
 * present-but-null is still an error unless the getter says otherwise. */
sb_err sb_bn__dec(struct sb_bn__ctx *c, const cJSON *o, const char *key, sb_dec *out);
sb_err sb_bn__dec_signed(struct sb_bn__ctx *c, const cJSON *o, const char *key, sb_dec *out);
sb_err sb_bn__dec_opt(struct sb_bn__ctx *c, const cJSON *o, const char *key, sb_dec *out);
sb_err sb_bn__int(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t lo, int64_t hi,
                  int64_t *out);
sb_err sb_bn__int_opt(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t lo, int64_t hi,
                      int64_t dflt, int64_t *out);
sb_err sb_bn__id(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t *out);   /* any |v|<2^53 */
sb_err sb_bn__time(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t *out); /* 0..2^53-1 */
sb_err sb_bn__bool(struct sb_bn__ctx *c, const cJSON *o, const char *key, bool *out);
/* A string copied into buf (cap bytes with NUL); empty allowed only when allow_empty. */
sb_err sb_bn__str(struct sb_bn__ctx *c, const cJSON *o, const char *key, bool allow_empty, char *buf,
                  size_t cap);
sb_err sb_bn__str_opt(struct sb_bn__ctx *c, const cJSON *o, const char *key, char *buf, size_t cap);
/* A string truncated (not failed) to fit: messages. */
sb_err sb_bn__text(struct sb_bn__ctx *c, const cJSON *o, const char *key, char *buf, size_t cap);

/* The same on a value in hand; name is how the message calls it ("[3][1]"). */
sb_err sb_bn__dec_item(struct sb_bn__ctx *c, const cJSON *it, const char *name, sb_dec *out);
sb_err sb_bn__int_item(struct sb_bn__ctx *c, const cJSON *it, const char *name, int64_t lo, int64_t hi,
                       int64_t *out);

/* An enum spelled as one of names[0..n-1]; the index goes to *out. Unknown values name field and value. */
sb_err sb_bn__enum(struct sb_bn__ctx *c, const cJSON *o, const char *key, const char *const *names, size_t n,
                   int *out);

sb_err sb_bn__side(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_side *out);
sb_err sb_bn__order_type(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_order_type *out);
sb_err sb_bn__tif(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_tif *out);
sb_err sb_bn__exec_type(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_bn_exec_type *out);
sb_err sb_bn__reject(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_bn_reject_reason *out);
sb_err sb_bn__status(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_order_state *out);

/* An array field of at most max elements (its size to *n); SB_ERR_TOO_LONG when longer. */
sb_err sb_bn__array(struct sb_bn__ctx *c, const cJSON *o, const char *key, size_t max, const cJSON **arr,
                    size_t *n);

#endif

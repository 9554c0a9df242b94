/*
 * json_out.h - the one JSON writer: string literals, numbers and decimals appended to an sb_buf
 * (buf.h). It writes values, not documents: callers write the braces, keys and commas in the order
 * their format needs (Binance's exact field order on spotsim's side), with sb_buf_trim for the comma
 * a loop leaves. Parsing is cJSON's.
 */
#ifndef SB_COMMON_JSON_OUT_H
#define SB_COMMON_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "spotbot/decimal.h"

#define SB_JSON_MAX SB_BUF_MAX /* the hard maximum of one JSON document's buffer */

/* s as a JSON string literal: quotes, backslashes and control characters escaped. */
void sb_json_str(struct sb_buf *b, const char *s);
/* The same for n bytes of s. */
void sb_json_strn(struct sb_buf *b, const char *s, size_t n);
/* "key": — a quoted, escaped key and its colon. */
void sb_json_key(struct sb_buf *b, const char *key);
void sb_json_i64(struct sb_buf *b, int64_t v);
void sb_json_bool(struct sb_buf *b, bool v);
/* A decimal as a quoted JSON string, as sb_dec_format writes it: "0.01000000". */
void sb_json_dec(struct sb_buf *b, sb_dec v);

#endif

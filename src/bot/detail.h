/*
 * detail.h - the JSON detail stored with each event (sb_store_event.detail): one flat object of named
 * strings, integers and decimals, written with the common JSON writer (common/json_out.h) into an sb_buf
 * whose maximum is the store's limit, so every event detail is escaped and bounded the same way.
 */
#ifndef SPOTBOT_BOT_DETAIL_H
#define SPOTBOT_BOT_DETAIL_H

#include <stdint.h>

#include "common/buf.h"
#include "spotbot/decimal.h"

/* An empty detail in caller storage; release it with detail_fini. */
void detail_init(struct sb_buf *d);
void detail_fini(struct sb_buf *d);
/* "key":"v", the first member opening the object. */
void detail_str(struct sb_buf *d, const char *key, const char *v);
/* "key":v. */
void detail_i64(struct sb_buf *d, const char *key, int64_t v);
/* "key":"v" with v as sb_dec_format_trim writes it ("0.01"). */
void detail_dec(struct sb_buf *d, const char *key, sb_dec v);
/* Closes the object and returns its text ("{}" when nothing was added), valid until detail_fini; NULL if
 * it did not fit under SB_STORE_DETAIL_MAX, which the store takes as "{}". */
const char *detail_end(struct sb_buf *d);

#endif

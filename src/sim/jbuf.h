/*
 * jbuf.h - a growable text buffer for building JSON replies in Binance's exact field order, with a
 * hard maximum size. Decimals are written as Binance writes them: quoted, 8 places.
 */
#ifndef SIM_JBUF_H
#define SIM_JBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "spotbot/decimal.h"

#define SIM_JBUF_MAX (64u * 1024u * 1024u) /* largest reply spotsim builds */

struct sim_jbuf {
	char *data;    /* NUL-terminated text (owned) */
	size_t len;    /* bytes used */
	size_t cap;    /* bytes allocated */
	bool overflow; /* an append would have passed SIM_JBUF_MAX and was dropped */
};

void sim_jbuf_init(struct sim_jbuf *b);
void sim_jbuf_fini(struct sim_jbuf *b);
/* Hands the text over to the caller (free()), leaving b empty. */
char *sim_jbuf_take(struct sim_jbuf *b);

void sim_jbuf_printf(struct sim_jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, escaped. */
void sim_jbuf_str(struct sim_jbuf *b, const char *s);
/* Appends v as a quoted decimal with 8 places: "0.00100000". */
void sim_jbuf_dec(struct sim_jbuf *b, sb_dec v);
/* Removes a trailing comma, if any (after a loop that appends "item,"). */
void sim_jbuf_trim_comma(struct sim_jbuf *b);

#endif

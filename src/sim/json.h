/*
 * json.h - the growable text buffer spotsim builds every JSON reply and payload in, in Binance's exact
 * field order, with a hard maximum size. Decimals are written as Binance writes them: quoted, 8 places.
 */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "spotbot/decimal.h"

#define SIM_JSON_MAX (64u * 1024 * 1024) /* hard cap on one JSON document */

/* A growable text buffer with a hard maximum (SIM_JSON_MAX); past it, `overflow` is set and
 * appends are dropped. */
struct sim_json {
	char *buf;     /* NUL-terminated text (owned) */
	size_t len;    /* bytes used */
	size_t cap;    /* bytes allocated */
	bool overflow; /* an append did not fit */
};

void sim_json_init(struct sim_json *j);
void sim_json_fini(struct sim_json *j);
/* Empties j, keeping its memory. */
void sim_json_reset(struct sim_json *j);
void sim_json_put(struct sim_json *j, const char *s, size_t n);
void sim_json_puts(struct sim_json *j, const char *s);
void sim_json_printf(struct sim_json *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A decimal as a JSON string with 8 places: "0.01000000". */
void sim_json_dec(struct sim_json *j, sb_dec v);
/* Hands the text over (free()) and leaves j empty; NULL after an overflow. */
char *sim_json_take(struct sim_json *j);
/* Appends s as a JSON string literal, escaped. */
void sim_json_str(struct sim_json *j, const char *s);
/* Removes a trailing comma, if any (after a loop that appends "item,"). */
void sim_json_trim_comma(struct sim_json *j);

#endif

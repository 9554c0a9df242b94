/*
 * buf.h - the one growable text buffer: every JSON document, log line, metrics page and WebSocket frame
 * spotbot and spotsim build is built in one of these. Each buffer has a hard maximum chosen by its owner;
 * an append past it sets `overflow` and is dropped, so a runaway writer costs a bounded amount of memory
 * and its caller sees one flag instead of checking every append. Memory comes from sb_xrealloc (alloc.h).
 */
#ifndef SB_COMMON_BUF_H
#define SB_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>

#define SB_BUF_MAX (64u * 1024 * 1024) /* the maximum of a zeroed buffer, which is ready for use */

/* A NUL-terminated text buffer that grows up to `max` bytes (the NUL included). */
struct sb_buf {
	char *p;       /* the text, NUL-terminated once anything was appended (owned); NULL while empty */
	size_t len;    /* bytes used, the NUL not counted */
	size_t cap;    /* bytes allocated */
	size_t max;    /* hard maximum of cap; 0 (a zeroed buffer) means SB_BUF_MAX */
	bool overflow; /* an append did not fit under max; later appends are dropped until a reset */
};

/* An empty buffer that may grow to max bytes (0: SB_BUF_MAX). Allocates nothing yet. */
void sb_buf_init(struct sb_buf *b, size_t max);
/* Frees the text; b is empty again with the same max. */
void sb_buf_fini(struct sb_buf *b);
/* Empties b and clears overflow, keeping its memory for reuse. */
void sb_buf_reset(struct sb_buf *b);
/* Makes room for n more bytes; false (and overflow set) if that would pass max. */
bool sb_buf_reserve(struct sb_buf *b, size_t n);
/* Appends n bytes of s (which need not be NUL-terminated). False once b has overflowed. */
bool sb_buf_put(struct sb_buf *b, const void *s, size_t n);
bool sb_buf_puts(struct sb_buf *b, const char *s);
bool sb_buf_putc(struct sb_buf *b, char c);
bool sb_buf_printf(struct sb_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Removes the last byte if it is c (after a loop that appends "item,"). */
void sb_buf_trim(struct sb_buf *b, char c);
/* Cuts b back to its first len bytes (len <= b->len) and clears overflow: undoes a group of appends that
 * did not all fit, such as a log field that is dropped whole. */
void sb_buf_truncate(struct sb_buf *b, size_t len);
/* The text so far: never NULL ("" while empty). Valid until the next append. */
const char *sb_buf_str(const struct sb_buf *b);
/* Hands the text over (free()) and leaves b empty; NULL if b overflowed (b is emptied too). */
char *sb_buf_take(struct sb_buf *b);

#endif

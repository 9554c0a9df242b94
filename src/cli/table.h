/*
 * table.h - what the spotbot CLI shows people: aligned text tables, colour only where a person sees it,
 * and the display forms of the values in their cells (RFC 3339 UTC times, "2h 03m" durations, trimmed
 * decimals).
 *
 * A table collects every cell first and prints once, because a column's width is known only after its
 * widest cell. Cells are copied, so the caller's strings may be temporary. Colour is a property of a cell
 * (green for a profit, red for a failure) and is written only when sb_table_print is told to: commands ask
 * sb_table_color_for(stdout), which says yes for a terminal, no for a pipe or file, and honours NO_COLOR
 * and CLICOLOR_FORCE.
 */
#ifndef SPOTBOT_CLI_TABLE_H
#define SPOTBOT_CLI_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spotbot/decimal.h"

#define SB_TABLE_COLS_MAX 16     /* columns of one table */
#define SB_TABLE_ROWS_MAX 200000 /* rows of one table; more are counted but not kept */
#define SB_TABLE_CELL_MAX 512    /* bytes of one cell with its NUL; longer text is cut with "..." */
#define SB_TABLE_DUR_SIZE 24     /* buffer for sb_table_duration: "106751991167d 07h" fits */

enum sb_table_align {
	SB_TABLE_LEFT,  /* text */
	SB_TABLE_RIGHT, /* numbers, so their digits line up */
};

enum sb_table_color {
	SB_TABLE_PLAIN,  /* no colour */
	SB_TABLE_GREEN,  /* good: a profit, OK, a filled order */
	SB_TABLE_RED,    /* bad: a loss, FAIL, a rejected order */
	SB_TABLE_YELLOW, /* in progress or needs a look */
	SB_TABLE_DIM,    /* finished and uninteresting: canceled, absent values */
	SB_TABLE_BOLD,   /* headings */
};

struct sb_table; /* opaque: headers, alignment and the rows collected so far */

/* A new table with ncols (1..SB_TABLE_COLS_MAX) columns; headers[i] and align[i] describe column i.
 * NULL when ncols is out of range. The caller frees it with sb_table_free. */
struct sb_table *sb_table_new(size_t ncols, const char *const *headers, const enum sb_table_align *align);

/* Frees the table and its cells; NULL is harmless. */
void sb_table_free(struct sb_table *t);

/* Starts a new row; the cells that follow fill it left to right. Cells a row does not set print empty. */
void sb_table_row(struct sb_table *t);

/* Appends a cell to the current row (copied; NULL is an empty cell). Cells past the last column are
 * dropped. */
void sb_table_cell(struct sb_table *t, const char *text, enum sb_table_color color);

/* As sb_table_cell, with printf formatting. */
void sb_table_cellf(struct sb_table *t, enum sb_table_color color, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Rows added so far (including any beyond SB_TABLE_ROWS_MAX that were not kept). */
size_t sb_table_rows(const struct sb_table *t);

/*
 * Writes the header line and every row to out, columns separated by two spaces and padded to the widest
 * cell (counted in characters, not bytes, so UTF-8 text lines up). No line ends in spaces: the last
 * cell is not padded and empty cells at the end of a row are left out. With color, cells carry ANSI colour
 * codes and the header is bold; without it the output is plain text.
 */
void sb_table_print(const struct sb_table *t, FILE *out, bool color);

/* Whether output to f should be coloured: CLICOLOR_FORCE set to anything but "0" forces it, NO_COLOR set
 * forbids it, otherwise only when f is a terminal. */
bool sb_table_color_for(FILE *f);

/* Wraps text in the ANSI codes of color into buf (cap bytes) when on is true, else copies it; returns buf.
 * For single lines outside tables ("OK", "FAIL"). */
const char *sb_table_paint(const char *text, enum sb_table_color color, bool on, char *buf, size_t cap);

/* "2026-11-25T08:25:42Z" for wall_ms (milliseconds are dropped for people), or "-" when wall_ms is 0.
 * buf needs at least 25 bytes; returns buf. */
const char *sb_table_time(int64_t wall_ms, char *buf, size_t cap);

/* A duration for people: "45s", "12m 05s", "2h 03m", "3d 04h"; "-" for a negative one. Returns buf
 * (SB_TABLE_DUR_SIZE bytes suffice). */
const char *sb_table_duration(int64_t ms, char *buf, size_t cap);

/* sb_dec_format_trim into buf (SB_DEC_STRLEN bytes); returns buf. */
const char *sb_table_dec(sb_dec v, char *buf, size_t cap);

/* Green for v > 0, red for v < 0, plain for zero. */
enum sb_table_color sb_table_sign_color(sb_dec v);

#endif

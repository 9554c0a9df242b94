/*
 * table.c - aligned text tables for the spotbot CLI and the display forms of times, durations and
 * decimals (see table.h).
 */
#include "cli/table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spotbot/alloc.h"
#include "spotbot/clock.h"

struct cell {
	char *text;                /* owned, NUL-terminated; NULL prints empty */
	enum sb_table_color color; /* how it is painted on a terminal */
};

struct sb_table {
	size_t ncols;                                 /* columns */
	char *headers[SB_TABLE_COLS_MAX];             /* owned copies of the column titles */
	enum sb_table_align align[SB_TABLE_COLS_MAX]; /* per column */
	struct cell *cells;                           /* rows * ncols cells, row-major */
	size_t rows;                                  /* rows kept in cells */
	size_t cap;                                   /* rows cells has room for */
	size_t added;                                 /* rows added, kept or not */
	size_t next;                                  /* column the next cell of the current row goes to */
};

static const char *color_code(enum sb_table_color c)
{
	switch (c) {
	case SB_TABLE_GREEN:
		return "\x1b[32m";
	case SB_TABLE_RED:
		return "\x1b[31m";
	case SB_TABLE_YELLOW:
		return "\x1b[33m";
	case SB_TABLE_DIM:
		return "\x1b[2m";
	case SB_TABLE_BOLD:
		return "\x1b[1m";
	case SB_TABLE_PLAIN:
		break;
	}
	return "";
}

#define RESET "\x1b[0m"

struct sb_table *sb_table_new(size_t ncols, const char *const *headers, const enum sb_table_align *align)
{
	if (ncols == 0 || ncols > SB_TABLE_COLS_MAX || !headers)
		return NULL;
	struct sb_table *t = sb_xcalloc(1, sizeof *t);
	t->ncols = ncols;
	for (size_t i = 0; i < ncols; i++) {
		t->headers[i] = sb_xstrdup(headers[i] ? headers[i] : "");
		t->align[i] = align ? align[i] : SB_TABLE_LEFT;
	}
	t->next = ncols; /* no row started: a cell before sb_table_row is dropped */
	return t;
}

void sb_table_free(struct sb_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->headers[i]);
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i].text);
	free(t->cells);
	free(t);
}

void sb_table_row(struct sb_table *t)
{
	if (!t)
		return;
	t->added++;
	if (t->rows >= SB_TABLE_ROWS_MAX) {
		t->next = t->ncols; /* not kept: its cells are dropped */
		return;
	}
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		if (cap > SB_TABLE_ROWS_MAX)
			cap = SB_TABLE_ROWS_MAX;
		t->cells = sb_xrealloc(t->cells, cap * t->ncols * sizeof *t->cells);
		t->cap = cap;
	}
	memset(&t->cells[t->rows * t->ncols], 0, t->ncols * sizeof *t->cells);
	t->rows++;
	t->next = 0;
}

void sb_table_cell(struct sb_table *t, const char *text, enum sb_table_color color)
{
	if (!t || t->next >= t->ncols)
		return;
	struct cell *c = &t->cells[(t->rows - 1) * t->ncols + t->next++];
	size_t len = text ? strlen(text) : 0;
	if (len >= SB_TABLE_CELL_MAX) {
		c->text = sb_xmalloc(SB_TABLE_CELL_MAX);
		memcpy(c->text, text, SB_TABLE_CELL_MAX - 4);
		memcpy(c->text + SB_TABLE_CELL_MAX - 4, "...", 4);
	} else {
		c->text = sb_xstrdup(text ? text : "");
	}
	c->color = color;
}

void sb_table_cellf(struct sb_table *t, enum sb_table_color color, const char *fmt, ...)
{
	char buf[SB_TABLE_CELL_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	sb_table_cell(t, buf, color);
}

size_t sb_table_rows(const struct sb_table *t)
{
	return t ? t->added : 0;
}

/* Characters in a UTF-8 string: every byte that does not continue a sequence starts one. */
static size_t width_of(const char *s)
{
	size_t w = 0;
	for (; s && *s; s++)
		if (((unsigned char)*s & 0xC0u) != 0x80u)
			w++;
	return w;
}

static void pad(FILE *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc(' ', out);
}

static void print_line(const struct sb_table *t, FILE *out, bool color, const size_t *widths,
                       const struct cell *cells)
{
	/* Empty cells at the end of a row print nothing, not even their separators. */
	size_t end = t->ncols;
	while (end > 0 && (!cells[end - 1].text || !cells[end - 1].text[0]))
		end--;
	for (size_t i = 0; i < end; i++) {
		const char *text = cells[i].text ? cells[i].text : "";
		size_t gap = widths[i] - width_of(text);
		bool last = i + 1 == end;
		bool paint = color && cells[i].color != SB_TABLE_PLAIN && *text;
		if (i > 0)
			fputs("  ", out);
		if (t->align[i] == SB_TABLE_RIGHT)
			pad(out, gap);
		if (paint)
			fputs(color_code(cells[i].color), out);
		fputs(text, out);
		if (paint)
			fputs(RESET, out);
		if (t->align[i] == SB_TABLE_LEFT && !last)
			pad(out, gap);
	}
	fputc('\n', out);
}

void sb_table_print(const struct sb_table *t, FILE *out, bool color)
{
	if (!t || !out)
		return;
	size_t widths[SB_TABLE_COLS_MAX];
	struct cell head[SB_TABLE_COLS_MAX];
	for (size_t i = 0; i < t->ncols; i++) {
		widths[i] = width_of(t->headers[i]);
		head[i].text = t->headers[i];
		head[i].color = SB_TABLE_BOLD;
	}
	for (size_t r = 0; r < t->rows; r++)
		for (size_t i = 0; i < t->ncols; i++) {
			size_t w = width_of(t->cells[r * t->ncols + i].text);
			if (w > widths[i])
				widths[i] = w;
		}
	print_line(t, out, color, widths, head);
	for (size_t r = 0; r < t->rows; r++)
		print_line(t, out, color, widths, &t->cells[r * t->ncols]);
	if (t->added > t->rows)
		fprintf(out, "(%zu more rows not shown)\n", t->added - t->rows);
}

bool sb_table_color_for(FILE *f)
{
	const char *force = getenv("CLICOLOR_FORCE");
	if (force && *force && strcmp(force, "0") != 0)
		return true;
	if (getenv("NO_COLOR"))
		return false;
	return f && isatty(fileno(f));
}

const char *sb_table_paint(const char *text, enum sb_table_color color, bool on, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return "";
	if (on && color != SB_TABLE_PLAIN)
		snprintf(buf, cap, "%s%s%s", color_code(color), text ? text : "", RESET);
	else
		snprintf(buf, cap, "%s", text ? text : "");
	return buf;
}

const char *sb_table_time(int64_t wall_ms, char *buf, size_t cap)
{
	char full[SB_CLOCK_RFC3339_MS_SIZE];
	if (!buf || cap == 0)
		return "";
	if (wall_ms == 0 || sb_clock_format_rfc3339_ms(wall_ms, full, sizeof full) == 0) {
		snprintf(buf, cap, "-");
		return buf;
	}
	/* "YYYY-MM-DDTHH:MM:SS" + "Z": people do not need the milliseconds. */
	snprintf(buf, cap, "%.19sZ", full);
	return buf;
}

const char *sb_table_duration(int64_t ms, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return "";
	if (ms < 0) {
		snprintf(buf, cap, "-");
		return buf;
	}
	int64_t s = ms / 1000;
	if (s < 60)
		snprintf(buf, cap, "%llds", (long long)s);
	else if (s < 3600)
		snprintf(buf, cap, "%lldm %02llds", (long long)(s / 60), (long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, cap, "%lldh %02lldm", (long long)(s / 3600), (long long)(s % 3600 / 60));
	else
		snprintf(buf, cap, "%lldd %02lldh", (long long)(s / 86400), (long long)(s % 86400 / 3600));
	return buf;
}

const char *sb_table_dec(sb_dec v, char *buf, size_t cap)
{
	if (!buf || cap == 0)
		return "";
	if (sb_dec_format_trim(v, buf, cap) == 0)
		snprintf(buf, cap, "?");
	return buf;
}

enum sb_table_color sb_table_sign_color(sb_dec v)
{
	return v > 0 ? SB_TABLE_GREEN : v < 0 ? SB_TABLE_RED : SB_TABLE_PLAIN;
}

/*
 * kline_reader.c - one kline file, row by row (see spotbot/kline_reader.h).
 *
 * The reader pulls bytes from its source into one fixed buffer and cuts lines out of it; a line that
 * straddles two reads is moved to the front before the next read, so the buffer never grows. Each line
 * goes through the shared row parser (core/kline.c) and is checked against the row before it.
 */
#include "spotbot/kline_reader.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"
#include "spotbot/alloc.h"

#define BUF_SIZE (64 * 1024) /* one read; far more than SB_KLINE_LINE_MAX */

struct sb_kline_reader {
	char *name;                 /* the path or name given, for messages; owned */
	struct sb__source *src;     /* where bytes come from; owned */
	char buf[BUF_SIZE];         /* bytes read, not yet cut into lines */
	size_t start;               /* first unconsumed byte in buf */
	size_t end;                 /* bytes filled in buf */
	bool eof;                   /* the source has no more bytes */
	uint64_t line_no;           /* lines consumed so far */
	bool seen_content;          /* a non-blank line was seen: no header any more */
	bool have_prev;             /* prev_open is set */
	int64_t prev_open;          /* open_time rows must come after */
	uint64_t rows;              /* rows handed out */
	sb_err failed;              /* the error that stopped the reader, SB_OK while reading */
	char err[SB_KLINE_ERR_MAX]; /* its message */
};

__attribute__((format(printf, 3, 4))) static sb_err fail(struct sb_kline_reader *r, sb_err e, const char *fmt,
                                                         ...)
{
	int n = snprintf(r->err, sizeof r->err, "%s:%" PRIu64 ": ", r->name, r->line_no);
	if (n >= 0 && (size_t)n < sizeof r->err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
		va_end(ap);
	}
	r->failed = e;
	return e;
}

static struct sb_kline_reader *reader_new(const char *name, struct sb__source *src)
{
	struct sb_kline_reader *r = sb_xcalloc(1, sizeof *r);
	r->name = sb_xstrdup(name);
	r->src = src;
	return r;
}

sb_err sb_kline_reader_open(const char *path, struct sb_kline_reader **out, char *err, size_t err_cap)
{
	if (!path || !out)
		return SB_ERR_INVALID;
	if (err && err_cap > 0)
		err[0] = '\0';
	/* The source keeps a pointer to the path for its messages: give it the reader's own copy. */
	struct sb_kline_reader *r = reader_new(path, NULL);
	sb_err e = sb__source_open(r->name, &r->src, err, err_cap);
	if (e != SB_OK) {
		sb_kline_reader_free(r);
		return e;
	}
	*out = r;
	return SB_OK;
}

sb_err sb_kline_reader_open_buffer(const char *name, const char *data, size_t len,
                                   struct sb_kline_reader **out)
{
	if (!name || (!data && len > 0) || !out)
		return SB_ERR_INVALID;
	*out = reader_new(name, sb__source_memory(data, len));
	return SB_OK;
}

void sb_kline_reader_after(struct sb_kline_reader *r, int64_t open_time)
{
	if (!r)
		return;
	r->have_prev = true;
	r->prev_open = open_time;
}

/* Moves the partial line to the front and reads more behind it. */
static sb_err refill(struct sb_kline_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	char why[200] = "";
	ssize_t n = r->src->read(r->src, r->buf + r->end, sizeof r->buf - r->end, why, sizeof why);
	if (n < 0) {
		r->line_no++;
		return fail(r, SB_ERR_IO, "%s", why);
	}
	if (n == 0)
		r->eof = true;
	r->end += (size_t)n;
	return SB_OK;
}

/* The next line without its "\n" into *p, *len; *got false at the end of the file. */
static sb_err next_line(struct sb_kline_reader *r, const char **p, size_t *len, bool *got)
{
	for (;;) {
		char *base = r->buf + r->start;
		size_t avail = r->end - r->start;
		char *nl = memchr(base, '\n', avail);
		size_t piece = nl ? (size_t)(nl - base) : avail;
		if (piece > SB_KLINE_LINE_MAX) {
			r->line_no++;
			return fail(r, SB_ERR_TOO_LONG, "line longer than %d bytes", SB_KLINE_LINE_MAX);
		}
		if (nl || (r->eof && avail > 0)) {
			*p = base;
			*len = piece;
			r->start += nl ? piece + 1 : piece;
			r->line_no++;
			*got = true;
			return SB_OK;
		}
		if (r->eof) {
			*got = false;
			return SB_OK;
		}
		SB_TRY(refill(r));
	}
}

/* Parses one line: *row filled and *is_row true, or the line was blank or the header. */
static sb_err take_line(struct sb_kline_reader *r, const char *p, size_t len, struct sb_kline *row,
                        bool *is_row)
{
	*is_row = false;
	if (r->line_no == 1 && len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		len -= 3;
	}
	while (len > 0 && p[len - 1] == '\r')
		len--;
	if (len == 0)
		return SB_OK;
	bool first = !r->seen_content;
	r->seen_content = true;
	if (first && sb_kline_is_header(p, len))
		return SB_OK;
	char why[SB_KLINE_WHY_MAX];
	sb_err e = sb_kline_parse_row(p, len, row, why, sizeof why);
	if (e != SB_OK)
		return fail(r, e, "%s", why);
	if (r->have_prev && row->open_time <= r->prev_open)
		return fail(r, SB_ERR_RANGE, "open_time %" PRId64 " is not after the previous row's %" PRId64,
		            row->open_time, r->prev_open);
	r->have_prev = true;
	r->prev_open = row->open_time;
	*is_row = true;
	return SB_OK;
}

sb_err sb_kline_reader_next(struct sb_kline_reader *r, struct sb_kline *row, bool *done)
{
	if (!r || !row || !done)
		return SB_ERR_INVALID;
	if (r->failed != SB_OK)
		return r->failed;
	for (;;) {
		const char *p;
		size_t len;
		bool got, is_row;
		SB_TRY(next_line(r, &p, &len, &got));
		if (!got) {
			if (r->rows == 0) {
				if (r->line_no == 0)
					r->line_no = 1;
				return fail(r, SB_ERR_PARSE, "no kline rows");
			}
			*done = true;
			return SB_OK;
		}
		SB_TRY(take_line(r, p, len, row, &is_row));
		if (is_row) {
			r->rows++;
			*done = false;
			return SB_OK;
		}
	}
}

const char *sb_kline_reader_error(const struct sb_kline_reader *r)
{
	return r ? r->err : "";
}

uint64_t sb_kline_reader_line(const struct sb_kline_reader *r)
{
	return r ? r->line_no : 0;
}

const char *sb_kline_reader_name(const struct sb_kline_reader *r)
{
	return r ? r->name : "";
}

void sb_kline_reader_free(struct sb_kline_reader *r)
{
	if (!r)
		return;
	if (r->src)
		r->src->close(r->src);
	free(r->name);
	free(r);
}

/*
 * kline.c - a kline file loaded into memory for a replay (see kline.h): the shared reader's rows,
 * appended to a growing array with a hard cap.
 */
#include "sim/kline.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/kline_reader.h"

static void series_push(struct sim_kline_series *s, const struct sb_kline *k)
{
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		if (cap > SIM_KLINE_MAX_ROWS)
			cap = SIM_KLINE_MAX_ROWS;
		s->rows = sb_xrealloc(s->rows, cap * sizeof *s->rows);
		s->cap = cap;
	}
	s->rows[s->count++] = *k;
}

/* Appends every row of r to out; the message of a failure goes to err. */
static sb_err load(struct sb_kline_reader *r, struct sim_kline_series *out, char *err, size_t err_cap)
{
	if (out->count > 0)
		sb_kline_reader_after(r, out->rows[out->count - 1].open_time);
	for (;;) {
		struct sb_kline k;
		bool done;
		sb_err e = sb_kline_reader_next(r, &k, &done);
		if (e != SB_OK) {
			snprintf(err, err_cap, "%s", sb_kline_reader_error(r));
			return e;
		}
		if (done)
			return SB_OK;
		if (out->count >= SIM_KLINE_MAX_ROWS) {
			snprintf(err, err_cap, "%s:%" PRIu64 ": more than %zu rows", sb_kline_reader_name(r),
			         sb_kline_reader_line(r), SIM_KLINE_MAX_ROWS);
			return SB_ERR_TOO_LONG;
		}
		series_push(out, &k);
	}
}

sb_err sim_kline_load_buffer(const char *name, const char *data, size_t len, struct sim_kline_series *out,
                             char *err, size_t err_cap)
{
	if (!name || (!data && len > 0) || !out)
		return SB_ERR_INVALID;
	char dummy[1];
	if (!err || err_cap == 0) {
		err = dummy;
		err_cap = sizeof dummy;
	}
	err[0] = '\0';
	struct sb_kline_reader *r = NULL;
	SB_TRY(sb_kline_reader_open_buffer(name, data, len, &r));
	sb_err e = load(r, out, err, err_cap);
	sb_kline_reader_free(r);
	return e;
}

sb_err sim_kline_load_file(const char *path, struct sim_kline_series *out, char *err, size_t err_cap)
{
	if (!path || !out)
		return SB_ERR_INVALID;
	char dummy[1];
	if (!err || err_cap == 0) {
		err = dummy;
		err_cap = sizeof dummy;
	}
	struct sb_kline_reader *r = NULL;
	SB_TRY(sb_kline_reader_open(path, &r, err, err_cap));
	sb_err e = load(r, out, err, err_cap);
	sb_kline_reader_free(r);
	return e;
}

void sim_kline_series_fini(struct sim_kline_series *s)
{
	if (!s)
		return;
	free(s->rows);
	*s = (struct sim_kline_series){0};
}

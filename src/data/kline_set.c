/*
 * kline_set.c - several symbols' kline files as one time-ordered stream (see spotbot/kline_set.h).
 *
 * Opening only plans: it lists the files, groups them by symbol and sorts each symbol's files by the
 * period their names give, refusing overlaps before anything is read. Reading keeps one open file and
 * one candle in hand per symbol, and a binary heap of the symbols keyed by that candle's open time; the
 * merge may run on a thread of its own (kline_ahead.c).
 */
#include "spotbot/kline_set.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data_int.h"
#include "spotbot/alloc.h"
#include "spotbot/kline_reader.h"

struct kfile {
	char *path;                /* as given or joined to its directory; owned */
	struct sb_kline_name name; /* what its name says */
};

struct ksym {
	char symbol[SB_KLINE_SYMBOL_MAX + 1];     /* "BTCUSDT" */
	char interval[SB_KLINE_INTERVAL_MAX + 1]; /* every file of the symbol has this interval */
	struct kfile *files;                      /* sorted by period; owned */
	size_t nfiles;                            /* entries in files */
	size_t cap;                               /* allocated entries */
	size_t next_file;                         /* the file to open when the reader ends */
	struct sb_kline_reader *reader;           /* the file being read, or NULL */
	bool have_last;                           /* last_open is set */
	int64_t last_open;                        /* the open time of the last candle read */
	struct sb_kline row;                      /* the candle in hand */
};

struct sb_kline_set {
	struct ksym *syms;             /* sorted by symbol; owned */
	size_t nsyms;                  /* entries in syms */
	size_t cap;                    /* allocated entries */
	size_t *heap;                  /* indices of symbols with a candle in hand, min-heap by open time */
	size_t nheap;                  /* entries in heap */
	int64_t from_ms;               /* first open time given */
	int64_t to_ms;                 /* open times from here on are not given */
	bool started;                  /* every symbol's first candle has been taken */
	struct sb__kline_ahead *ahead; /* the thread reading ahead (sb_kline_set_read_ahead), or NULL */
	sb_err failed;                 /* the error that stopped the set, SB_OK while reading */
	char err[SB_KLINE_ERR_MAX];    /* its message */
};

__attribute__((format(printf, 3, 4))) static sb_err fail(char *err, size_t cap, const char *fmt, ...)
{
	if (err && cap > 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return SB_ERR_PARSE;
}

static struct ksym *symbol_for(struct sb_kline_set *s, const char *symbol)
{
	for (size_t i = 0; i < s->nsyms; i++)
		if (strcmp(s->syms[i].symbol, symbol) == 0)
			return &s->syms[i];
	if (s->nsyms == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 8;
		s->syms = sb_xrealloc(s->syms, s->cap * sizeof *s->syms);
	}
	struct ksym *k = &s->syms[s->nsyms++];
	*k = (struct ksym){0};
	snprintf(k->symbol, sizeof k->symbol, "%s", symbol);
	return k;
}

static sb_err add_file(struct sb_kline_set *s, const char *path, const struct sb_kline_name *name, char *err,
                       size_t cap)
{
	struct ksym *k = symbol_for(s, name->symbol);
	if (k->nfiles > 0 && strcmp(k->interval, name->interval) != 0)
		return fail(err, cap,
		            "%s: %s is already read at interval %s (%s); give one interval per symbol", path,
		            name->symbol, k->interval, k->files[0].path);
	snprintf(k->interval, sizeof k->interval, "%s", name->interval);
	if (k->nfiles == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->files = sb_xrealloc(k->files, k->cap * sizeof *k->files);
	}
	k->files[k->nfiles++] = (struct kfile){sb_xstrdup(path), *name};
	return SB_OK;
}

static sb_err add_directory(struct sb_kline_set *s, const char *dir, char *err, size_t cap)
{
	DIR *d = opendir(dir);
	if (!d)
		return fail(err, cap, "%s: cannot read the directory: %s", dir, strerror(errno));
	size_t found = 0;
	sb_err e = SB_OK;
	struct dirent *de;
	while (e == SB_OK && (de = readdir(d)) != NULL) {
		struct sb_kline_name name;
		if (de->d_name[0] == '.' || sb_kline_name_parse(de->d_name, &name) != SB_OK)
			continue;
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		char *path = sb_xmalloc(len);
		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
		e = add_file(s, path, &name, err, cap);
		free(path);
		found++;
	}
	closedir(d);
	if (e == SB_OK && found == 0)
		return fail(err, cap,
		            "%s: no kline files in the directory (names like BTCUSDT-1m-2024-01.zip)", dir);
	return e;
}

static sb_err add_path(struct sb_kline_set *s, const char *path, char *err, size_t cap)
{
	struct stat st;
	if (!*path)
		return fail(err, cap, "an empty data path");
	if (stat(path, &st) != 0)
		return fail(err, cap, "%s: %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_directory(s, path, err, cap);
	const char *slash = strrchr(path, '/');
	struct sb_kline_name name;
	if (sb_kline_name_parse(slash ? slash + 1 : path, &name) != SB_OK)
		return fail(err, cap,
		            "%s: the name does not say what it holds: expected SYMBOL-INTERVAL-YYYY-MM[-DD] "
		            "with .zip, .csv or .csv.gz, as data.binance.vision names its files",
		            path);
	return add_file(s, path, &name, err, cap);
}

static int by_period(const void *a, const void *b)
{
	const struct kfile *x = a, *y = b;
	return x->name.start_ms < y->name.start_ms ? -1 : x->name.start_ms > y->name.start_ms;
}

static int by_symbol(const void *a, const void *b)
{
	return strcmp(((const struct ksym *)a)->symbol, ((const struct ksym *)b)->symbol);
}

/* Sorts a symbol's files, refuses overlaps and drops the files wholly outside [from, to). */
static sb_err plan_symbol(struct sb_kline_set *s, struct ksym *k, char *err, size_t cap)
{
	qsort(k->files, k->nfiles, sizeof *k->files, by_period);
	for (size_t i = 1; i < k->nfiles; i++)
		if (k->files[i].name.start_ms < k->files[i - 1].name.end_ms)
			return fail(err, cap, "%s and %s cover the same time; give each period once",
			            k->files[i - 1].path, k->files[i].path);
	size_t kept = 0;
	for (size_t i = 0; i < k->nfiles; i++) {
		const struct kfile *f = &k->files[i];
		if (f->name.end_ms <= s->from_ms || f->name.start_ms >= s->to_ms)
			free(f->path);
		else
			k->files[kept++] = *f;
	}
	k->nfiles = kept;
	return SB_OK;
}

sb_err sb_kline_set_open(const char *const *paths, size_t n, int64_t from_ms, int64_t to_ms,
                         struct sb_kline_set **out, char *err, size_t err_cap)
{
	if (!paths || !out || from_ms > to_ms)
		return SB_ERR_INVALID;
	if (n == 0)
		return fail(err, err_cap, "no data files given");
	struct sb_kline_set *s = sb_xcalloc(1, sizeof *s);
	s->from_ms = from_ms;
	s->to_ms = to_ms;
	sb_err e = SB_OK;
	for (size_t i = 0; e == SB_OK && i < n; i++)
		e = add_path(s, paths[i], err, err_cap);
	if (e == SB_OK)
		qsort(s->syms, s->nsyms, sizeof *s->syms, by_symbol);
	for (size_t i = 0; e == SB_OK && i < s->nsyms; i++)
		e = plan_symbol(s, &s->syms[i], err, err_cap);
	if (e != SB_OK) {
		sb_kline_set_free(s);
		return e;
	}
	s->heap = sb_xcalloc(s->nsyms ? s->nsyms : 1, sizeof *s->heap);
	*out = s;
	return SB_OK;
}

/* ---- reading --------------------------------------------------------------------------------------- */

static sb_err set_fail(struct sb_kline_set *s, sb_err e, const char *msg)
{
	snprintf(s->err, sizeof s->err, "%s", msg);
	s->failed = e;
	return e;
}

/* Takes the symbol's next candle in [from, to) into k->row; *got false when it has none left. */
static sb_err advance(struct sb_kline_set *s, struct ksym *k, bool *got)
{
	char msg[SB_KLINE_ERR_MAX];
	for (;;) {
		if (!k->reader) {
			if (k->next_file == k->nfiles) {
				*got = false;
				return SB_OK;
			}
			sb_err e =
			    sb_kline_reader_open(k->files[k->next_file++].path, &k->reader, msg, sizeof msg);
			if (e != SB_OK)
				return set_fail(s, e, msg);
			if (k->have_last)
				sb_kline_reader_after(k->reader, k->last_open);
		}
		bool done;
		sb_err e = sb_kline_reader_next(k->reader, &k->row, &done);
		if (e != SB_OK)
			return set_fail(s, e, sb_kline_reader_error(k->reader));
		if (done) {
			sb_kline_reader_free(k->reader);
			k->reader = NULL;
			continue;
		}
		k->have_last = true;
		k->last_open = k->row.open_time;
		if (k->row.open_time < s->from_ms)
			continue;
		if (k->row.open_time >= s->to_ms) {
			/* Later rows and files are later still. */
			sb_kline_reader_free(k->reader);
			k->reader = NULL;
			k->next_file = k->nfiles;
			*got = false;
			return SB_OK;
		}
		*got = true;
		return SB_OK;
	}
}

static bool before(const struct sb_kline_set *s, size_t a, size_t b)
{
	int64_t ta = s->syms[a].row.open_time, tb = s->syms[b].row.open_time;
	return ta < tb || (ta == tb && a < b);
}

static void heap_push(struct sb_kline_set *s, size_t sym)
{
	size_t i = s->nheap++;
	s->heap[i] = sym;
	while (i > 0 && before(s, s->heap[i], s->heap[(i - 1) / 2])) {
		size_t p = (i - 1) / 2, t = s->heap[p];
		s->heap[p] = s->heap[i];
		s->heap[i] = t;
		i = p;
	}
}

static void heap_pop(struct sb_kline_set *s)
{
	s->heap[0] = s->heap[--s->nheap];
	size_t i = 0;
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->nheap && before(s, s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && before(s, s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			return;
		size_t t = s->heap[m];
		s->heap[m] = s->heap[i];
		s->heap[i] = t;
		i = m;
	}
}

static sb_err start(struct sb_kline_set *s)
{
	s->started = true;
	for (size_t i = 0; i < s->nsyms; i++) {
		bool got;
		SB_TRY(advance(s, &s->syms[i], &got));
		if (got)
			heap_push(s, i);
	}
	return SB_OK;
}

/* The next candle of the merge (a sb__kline_next_fn, so the read-ahead can take the set's stream). */
static sb_err merge_next(void *ctx, size_t *sym, struct sb_kline *row, bool *done)
{
	struct sb_kline_set *s = ctx;
	if (s->failed != SB_OK)
		return s->failed;
	if (!s->started)
		SB_TRY(start(s));
	if (s->nheap == 0) {
		*done = true;
		return SB_OK;
	}
	size_t i = s->heap[0];
	*sym = i;
	*row = s->syms[i].row;
	*done = false;
	heap_pop(s);
	bool got;
	SB_TRY(advance(s, &s->syms[i], &got));
	if (got)
		heap_push(s, i);
	return SB_OK;
}

sb_err sb_kline_set_read_ahead(struct sb_kline_set *s)
{
	if (!s || s->ahead)
		return SB_ERR_INVALID;
	if (s->started)
		return SB_ERR_STATE;
	return sb__kline_ahead_start(merge_next, s, &s->ahead);
}

sb_err sb_kline_set_next(struct sb_kline_set *s, size_t *sym, struct sb_kline *row, bool *done)
{
	if (!s || !sym || !row || !done)
		return SB_ERR_INVALID;
	if (s->ahead)
		return sb__kline_ahead_next(s->ahead, sym, row, done);
	return merge_next(s, sym, row, done);
}

size_t sb_kline_set_symbols(const struct sb_kline_set *s)
{
	return s ? s->nsyms : 0;
}

const char *sb_kline_set_symbol(const struct sb_kline_set *s, size_t i)
{
	return s && i < s->nsyms ? s->syms[i].symbol : "";
}

const char *sb_kline_set_interval(const struct sb_kline_set *s, size_t i)
{
	return s && i < s->nsyms ? s->syms[i].interval : "";
}

const char *sb_kline_set_error(const struct sb_kline_set *s)
{
	return s ? s->err : "";
}

void sb_kline_set_free(struct sb_kline_set *s)
{
	if (!s)
		return;
	sb__kline_ahead_free(s->ahead);
	for (size_t i = 0; i < s->nsyms; i++) {
		struct ksym *k = &s->syms[i];
		sb_kline_reader_free(k->reader);
		for (size_t j = 0; j < k->nfiles; j++)
			free(k->files[j].path);
		free(k->files);
	}
	free(s->syms);
	free(s->heap);
	free(s);
}

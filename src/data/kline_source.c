/*
 * kline_source.c - the bytes of a kline file, from memory, from a plain or gzip file (zlib reads both),
 * or from the single .csv member of a data.binance.vision zip archive (libzip). Each source decompresses
 * as it is read, so nothing holds more than its own small buffers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>

#include "data/data_int.h"
#include "spotbot/alloc.h"

#define GZ_BUFFER (64 * 1024) /* zlib's input buffer */

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t cap, const char *fmt, ...)
{
	if (!buf || cap == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

/* ---- memory -------------------------------------------------------------------------------------- */

struct mem_source {
	struct sb__source base; /* must be first */
	const char *data;       /* not owned */
	size_t len;             /* bytes left */
};

static ssize_t mem_read(struct sb__source *s, char *buf, size_t cap, char *why, size_t why_cap)
{
	(void)why;
	(void)why_cap;
	struct mem_source *m = (struct mem_source *)s;
	size_t n = m->len < cap ? m->len : cap;
	if (n > 0)
		memcpy(buf, m->data, n);
	m->data += n;
	m->len -= n;
	return (ssize_t)n;
}

static void mem_close(struct sb__source *s)
{
	free(s);
}

struct sb__source *sb__source_memory(const char *data, size_t len)
{
	struct mem_source *m = sb_xcalloc(1, sizeof *m);
	m->base = (struct sb__source){mem_read, mem_close};
	m->data = data ? data : "";
	m->len = data ? len : 0;
	return &m->base;
}

/* ---- plain or gzip file -------------------------------------------------------------------------- */

struct gz_source {
	struct sb__source base; /* must be first */
	gzFile gz;              /* zlib's handle: gzip or plain, transparently */
	const char *path;       /* for trimming zlib's messages; not owned */
	bool broken;            /* zlib reported an error: the next read returns it */
};

static ssize_t gz_read(struct sb__source *s, char *buf, size_t cap, char *why, size_t why_cap)
{
	struct gz_source *g = (struct gz_source *)s;
	if (g->broken)
		goto broken;
	unsigned want = cap > (1u << 30) ? (1u << 30) : (unsigned)cap;
	int n = gzread(g->gz, buf, want);
	int zerr = Z_OK;
	gzerror(g->gz, &zerr);
	g->broken = n < 0 || (zerr != Z_OK && zerr != Z_STREAM_END);
	/* A truncated .gz still yields what did decompress: those bytes go first, the error on the next
	 * read, so the message points at the line after the last complete one. */
	if (n > 0)
		return n;
	if (!g->broken)
		return 0;
broken:;
	const char *msg = gzerror(g->gz, &zerr);
	/* zlib prefixes its message with the path, which the reader's NAME:LINE prefix already gives. */
	size_t plen = strlen(g->path);
	if (msg && strncmp(msg, g->path, plen) == 0 && strncmp(msg + plen, ": ", 2) == 0)
		msg += plen + 2;
	say(why, why_cap, "read error: %s", msg ? msg : "unknown");
	return -1;
}

static void gz_close(struct sb__source *s)
{
	struct gz_source *g = (struct gz_source *)s;
	gzclose(g->gz);
	free(g);
}

static sb_err open_gz(const char *path, struct sb__source **out, char *err, size_t err_cap)
{
	errno = 0;
	gzFile gz = gzopen(path, "rb");
	if (!gz) {
		say(err, err_cap, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
		return SB_ERR_IO;
	}
	gzbuffer(gz, GZ_BUFFER);
	struct gz_source *g = sb_xcalloc(1, sizeof *g);
	g->base = (struct sb__source){gz_read, gz_close};
	g->gz = gz;
	g->path = path;
	*out = &g->base;
	return SB_OK;
}

/* ---- zip archive --------------------------------------------------------------------------------- */

struct zip_source {
	struct sb__source base; /* must be first */
	zip_t *za;              /* the archive */
	zip_file_t *zf;         /* its .csv member, open */
};

static ssize_t zip_read(struct sb__source *s, char *buf, size_t cap, char *why, size_t why_cap)
{
	struct zip_source *z = (struct zip_source *)s;
	zip_int64_t n = zip_fread(z->zf, buf, cap);
	if (n >= 0)
		return (ssize_t)n;
	/* libzip checks the member's CRC at its end: a damaged archive is caught here. */
	say(why, why_cap, "read error: %s", zip_error_strerror(zip_file_get_error(z->zf)));
	return -1;
}

static void zip_close_source(struct sb__source *s)
{
	struct zip_source *z = (struct zip_source *)s;
	if (z->zf)
		zip_fclose(z->zf);
	if (z->za)
		zip_discard(z->za);
	free(z);
}

/* The index of the archive's one member whose name ends in ".csv"; -1 with the reason otherwise. */
static zip_int64_t csv_member(zip_t *za, char *why, size_t cap)
{
	zip_int64_t found = -1, n = zip_get_num_entries(za, 0);
	int count = 0;
	for (zip_int64_t i = 0; i < n; i++) {
		const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
		size_t len = name ? strlen(name) : 0;
		if (len > 4 && strcmp(name + len - 4, ".csv") == 0) {
			found = i;
			count++;
		}
	}
	if (count != 1) {
		say(why, cap, "the archive holds %d .csv files, expected one", count);
		return -1;
	}
	return found;
}

static sb_err open_zip(const char *path, struct sb__source **out, char *err, size_t err_cap)
{
	int code = 0;
	char why[200];
	zip_t *za = zip_open(path, ZIP_RDONLY, &code);
	if (!za) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, code);
		say(err, err_cap, "%s: not a readable zip archive (truncated?): %s", path,
		    zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return SB_ERR_IO;
	}
	zip_int64_t idx = csv_member(za, why, sizeof why);
	zip_file_t *zf = idx >= 0 ? zip_fopen_index(za, (zip_uint64_t)idx, 0) : NULL;
	if (!zf) {
		if (idx >= 0)
			snprintf(why, sizeof why, "cannot open its .csv: %s", zip_strerror(za));
		say(err, err_cap, "%s: %s", path, why);
		zip_discard(za);
		return SB_ERR_IO;
	}
	struct zip_source *z = sb_xcalloc(1, sizeof *z);
	z->base = (struct sb__source){zip_read, zip_close_source};
	z->za = za;
	z->zf = zf;
	*out = &z->base;
	return SB_OK;
}

/* True when the file starts with a zip signature ("PK"), whatever its name. */
static bool looks_like_zip(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	unsigned char sig[2] = {0, 0};
	size_t n = fread(sig, 1, sizeof sig, f);
	fclose(f);
	return n == 2 && sig[0] == 'P' && sig[1] == 'K';
}

sb_err sb__source_open(const char *path, struct sb__source **out, char *err, size_t err_cap)
{
	if (!path || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	size_t len = strlen(path);
	if ((len > 4 && strcmp(path + len - 4, ".zip") == 0) || looks_like_zip(path))
		return open_zip(path, out, err, err_cap);
	return open_gz(path, out, err, err_cap);
}

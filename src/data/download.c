/*
 * download.c - one kline file fetched and verified (see spotbot/download.h).
 *
 * Order of work: the published checksum first (small, and a 404 there means the file is not out yet,
 * before any large transfer), then the archive into a hidden .part file hashed as it is written, then
 * the comparison, and only then the rename that makes it visible under its real name. A file that does
 * not match is deleted, never kept: a backtest must not run on bytes nobody vouched for.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/data_int.h"
#include "spotbot/download.h"
#include "spotbot/http_client.h"

#define SHA_HEX      SB__SHA_HEX
#define CHECKSUM_MAX 4096     /* a checksum file is one short line */
#define PATH_MAX_DL  4096     /* paths built here */
#define CONNECT_MS   10000u   /* give up connecting after 10 s */
#define STALL_MS     30000u   /* give up when nothing arrives for 30 s */
#define TRANSFER_MS  3600000u /* and when a whole file takes more than an hour */

__attribute__((format(printf, 3, 4))) static void say(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static void hex(const unsigned char *d, unsigned n, char out[SHA_HEX])
{
	static const char digits[] = "0123456789abcdef";
	for (unsigned i = 0; i < n && i < 32; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[64] = '\0';
}

/* ---- what a transfer writes to ------------------------------------------------------------------- */

struct sink {
	FILE *file;                 /* the .part file, or NULL to collect in mem */
	char mem[CHECKSUM_MAX];     /* a small body (the checksum file) */
	size_t len;                 /* bytes received */
	bool overflow;              /* the small body was longer than mem */
	EVP_MD_CTX *sha;            /* SHA-256 of what went to file */
	bool write_failed;          /* fwrite failed (disk full) */
	const struct sb_dl_file *f; /* for progress */
	sb_dl_progress_fn progress; /* may be NULL */
	void *ctx;                  /* for progress */
};

static bool on_data(void *userp, const void *p, size_t len)
{
	struct sink *s = userp;
	if (!s->file) {
		if (s->len + len >= sizeof s->mem) {
			s->overflow = true;
			return false;
		}
		memcpy(s->mem + s->len, p, len);
		s->len += len;
		s->mem[s->len] = '\0';
		return true;
	}
	if (fwrite(p, 1, len, s->file) != len) {
		s->write_failed = true;
		return false;
	}
	EVP_DigestUpdate(s->sha, p, len);
	s->len += len;
	if (s->progress)
		s->progress(s->ctx, s->f, (long long)s->len, 0);
	return true;
}

/* GETs url into s. SB_OK on 200; SB_ERR_NOT_FOUND on 404; SB_ERR_NETWORK otherwise; err names url. */
static sb_err get(const char *url, struct sink *s, char *err, size_t cap)
{
	struct sb_http_opts ho = {.connect_timeout_ms = CONNECT_MS,
	                          .timeout_ms = TRANSFER_MS,
	                          .max_in_flight = 1,
	                          .user_agent = "spotbot/" SB_VERSION};
	struct sb_http_req req = {
	    .method = SB_HTTP_GET, .url = url, .sink = on_data, .sink_user = s, .idle_timeout_ms = STALL_MS};
	struct sb_http_fetched fetched;
	sb_http_fetch(&ho, &req, &fetched);
	long status = fetched.status;
	sb_err rc = fetched.err;
	char why[SB_HTTP_ERRMSG_LEN];
	snprintf(why, sizeof why, "%s", fetched.errmsg);
	sb_http_fetched_free(&fetched);
	if (s->write_failed) {
		say(err, cap, "%s: cannot write what arrived: %s", url, strerror(errno));
		return SB_ERR_IO;
	}
	if (rc != SB_OK && !(s->overflow && status == 200)) {
		say(err, cap, "%s: %s", url, why);
		return SB_ERR_NETWORK;
	}
	if (status == 404) {
		say(err, cap,
		    "%s: not published (HTTP 404): a month or day not out yet, or no such symbol or interval",
		    url);
		return SB_ERR_NOT_FOUND;
	}
	if (status != 200) {
		say(err, cap, "%s: the server answered HTTP %ld", url, status);
		return SB_ERR_NETWORK;
	}
	if (s->overflow) {
		say(err, cap, "%s: longer than a checksum file (%d bytes)", url, CHECKSUM_MAX);
		return SB_ERR_NETWORK;
	}
	return SB_OK;
}

/* ---- checksums ----------------------------------------------------------------------------------- */

bool sb__checksum_parse(const char *text, const char *name, char sha[SHA_HEX])
{
	for (int i = 0; i < 64; i++) {
		char c = text[i];
		bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
		if (!ok)
			return false;
		sha[i] = (char)(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
	}
	sha[64] = '\0';
	const char *p = text + 64;
	if (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
		return false;
	while (*p == ' ' || *p == '\t' || *p == '*')
		p++;
	size_t nlen = strcspn(p, "\r\n");
	return nlen == 0 || (nlen == strlen(name) && strncmp(p, name, nlen) == 0);
}

/* SHA-256 of a local file into sha; false when it cannot be read. Sets *bytes. */
static bool file_sha256(const char *path, char sha[SHA_HEX], long long *bytes)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	char buf[64 * 1024];
	size_t n;
	*bytes = 0;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		EVP_DigestUpdate(md, buf, n);
		*bytes += (long long)n;
	}
	bool ok = !ferror(f);
	fclose(f);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	EVP_DigestFinal_ex(md, d, &dlen);
	EVP_MD_CTX_free(md);
	hex(d, dlen, sha);
	return ok;
}

/* Reads a small local file (the stored checksum) into buf; false when absent or unreadable. */
static bool read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n > 0;
}

/* Writes len bytes to path through a temporary file and a rename, so it is whole or absent. */
static sb_err write_atomic(const char *path, const char *data, size_t len, char *err, size_t cap)
{
	char tmp[PATH_MAX_DL];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "wb");
	bool ok = f && fwrite(data, 1, len, f) == len;
	ok = f && fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	if (f && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0) {
		say(err, cap, "%s: cannot write: %s", path, strerror(errno));
		unlink(tmp);
		return SB_ERR_IO;
	}
	return SB_OK;
}

/* ---- one file ------------------------------------------------------------------------------------ */

struct paths {
	char final[PATH_MAX_DL];    /* DIR/NAME */
	char part[PATH_MAX_DL];     /* DIR/.NAME.part while it arrives */
	char checksum[PATH_MAX_DL]; /* DIR/NAME.CHECKSUM once verified */
};

static void make_paths(const char *dir, const char *name, struct paths *p)
{
	snprintf(p->final, sizeof p->final, "%s/%s", dir, name);
	snprintf(p->part, sizeof p->part, "%s/.%s.part", dir, name);
	snprintf(p->checksum, sizeof p->checksum, "%s/%s.CHECKSUM", dir, name);
}

/* True when the file and its stored checksum are both there and agree. */
static bool complete(const struct paths *p, const char *name, long long *bytes)
{
	char text[CHECKSUM_MAX], want[SHA_HEX], have[SHA_HEX];
	if (!read_small(p->checksum, text, sizeof text) || !sb__checksum_parse(text, name, want))
		return false;
	return file_sha256(p->final, have, bytes) && strcmp(want, have) == 0;
}

/* Downloads the archive into the .part file, hashing it; sha receives the hex digest. */
static sb_err fetch_archive(struct sb_dl_file *f, const struct paths *p, sb_dl_progress_fn progress,
                            void *ctx, char sha[SHA_HEX], char *err, size_t cap)
{
	struct sink s = {.f = f, .progress = progress, .ctx = ctx};
	s.file = fopen(p->part, "wb");
	if (!s.file) {
		say(err, cap, "%s: cannot write: %s", p->part, strerror(errno));
		return SB_ERR_IO;
	}
	s.sha = EVP_MD_CTX_new();
	EVP_DigestInit_ex(s.sha, EVP_sha256(), NULL);
	sb_err e = get(f->url, &s, err, cap);
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0;
	EVP_DigestFinal_ex(s.sha, d, &dlen);
	EVP_MD_CTX_free(s.sha);
	hex(d, dlen, sha);
	bool synced = fflush(s.file) == 0 && fsync(fileno(s.file)) == 0;
	if (fclose(s.file) != 0)
		synced = false;
	if (e == SB_OK && !synced) {
		say(err, cap, "%s: cannot write: %s", p->part, strerror(errno));
		e = SB_ERR_IO;
	}
	f->bytes = (long long)s.len;
	return e;
}

static sb_err ensure_dir(const char *dir, char *err, size_t cap)
{
	char path[PATH_MAX_DL];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			break;
		*p = '/';
	}
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		say(err, cap, "%s: cannot create the directory: %s", dir, strerror(errno));
		return SB_ERR_IO;
	}
	return SB_OK;
}

sb_err sb_dl_fetch(const struct sb_dl_request *rq, struct sb_dl_file *f, sb_dl_progress_fn progress,
                   void *ctx, bool *skipped, char *err, size_t err_cap)
{
	if (!rq || !rq->dir || !f || !skipped || !err || err_cap == 0)
		return SB_ERR_INVALID;
	*skipped = false;
	struct paths p = {0};
	make_paths(rq->dir, f->name, &p);
	if (complete(&p, f->name, &f->bytes)) {
		*skipped = true;
		return SB_OK;
	}
	SB_TRY(ensure_dir(rq->dir, err, err_cap));
	char url[SB_DL_URL_MAX + 16], want[SHA_HEX], have[SHA_HEX];
	snprintf(url, sizeof url, "%s.CHECKSUM", f->url);
	struct sink sum = {0};
	SB_TRY(get(url, &sum, err, err_cap));
	if (!sb__checksum_parse(sum.mem, f->name, want)) {
		say(err, err_cap, "%s: not a checksum file for %s (expected \"<sha256 hex>  %s\")", url,
		    f->name, f->name);
		return SB_ERR_NETWORK;
	}
	/* A file already there without its checksum beside it (downloaded by hand) is kept when it matches.
	 */
	if (file_sha256(p.final, have, &f->bytes) && strcmp(want, have) == 0) {
		*skipped = true;
		return write_atomic(p.checksum, sum.mem, sum.len, err, err_cap);
	}
	sb_err e = fetch_archive(f, &p, progress, ctx, have, err, err_cap);
	if (e == SB_OK && strcmp(want, have) != 0) {
		say(err, err_cap,
		    "%s: checksum mismatch: published SHA-256 %s, received %s; the file is not kept", f->url,
		    want, have);
		e = SB_ERR_BAD_SIGNATURE;
	}
	if (e == SB_OK && rename(p.part, p.final) != 0) {
		say(err, err_cap, "%s: cannot rename into place: %s", p.final, strerror(errno));
		e = SB_ERR_IO;
	}
	if (e != SB_OK) {
		unlink(p.part);
		return e;
	}
	return write_atomic(p.checksum, sum.mem, sum.len, err, err_cap);
}

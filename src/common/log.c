/*
 * log.c - the process-wide JSON-lines logger (see log.h and docs/logging.md).
 *
 * A line is built in one sb_buf (common/buf.h) whose maximum is SB_LOG_LINE_MAX bytes, and handed to each
 * destination with a single write(), so a line is never interleaved with another or split across a rotation.
 * Each log file is a "sink" that tracks its own size, rotates itself before a line would take it past the
 * limit, and on any failure closes itself, prints one notice, and sends its lines to stderr until a retry
 * succeeds. Escaping, UTF-8 repair and secret redaction happen in one pass over the raw bytes, so a secret is
 * matched before escaping could change how it looks and the output is always valid JSON in valid UTF-8.
 */
#include "spotbot/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/buf.h"
#include "spotbot/clock.h"

#define REDACTED     "<redacted>"
#define TAIL_RESERVE 64 /* room kept at the end of a line for the dropped-fields count and "}\n" */
#define NOTICE_MAX   (16 * PATH_MAX) /* bytes of a notice line */

enum sb_log_level sb_log__level = SB_LOG_INFO;

/* One log file. */
struct sink {
	char path[PATH_MAX];     /* full path; "" when this sink is not in use */
	enum sb_log_level min;   /* lowest level this file takes */
	int fd;                  /* open descriptor, -1 while closed or failed */
	uint64_t size;           /* bytes in the current file, for the rotation check */
	bool failed;             /* a failure notice was printed and lines go to stderr */
	uint64_t retry_at_ms;    /* monotonic time of the next reopen attempt while failed */
	uint64_t fallback_lines; /* lines sent to stderr during the current failure */
};

/* The logger's settings and files; one per process. */
static struct {
	char dir[PATH_MAX];               /* log directory; "" when logging to stderr only */
	uint64_t max_bytes;               /* rotation limit, 0 for none */
	unsigned keep;                    /* rotated files kept */
	bool to_stderr;                   /* echo every line to stderr */
	bool discard;                     /* write lines nowhere */
	unsigned retry_ms;                /* retry interval for failed files */
	struct sink main;                 /* every line at or above the level */
	struct sink err;                  /* WARN and above */
	uint64_t count[SB_LOG_ERROR + 1]; /* lines emitted per level since the last open */
	int64_t (*now_ms)(void *user);    /* the lines' time; NULL: the wall clock */
	void *now_user;                   /* its argument */
} lg = {.to_stderr = true, .retry_ms = SB_LOG_RETRY_MS_DEFAULT, .main = {.fd = -1}, .err = {.fd = -1}};

/* Serialises lines if a second thread ever logs; the buffers below are shared. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char msgbuf[SB_LOG_MSG_MAX + 1];
static struct sb_buf linebuf;   /* the line being written; its memory is kept for the next one */
static struct sb_buf noticebuf; /* a notice of the logger's own, written while linebuf is in use */

/* The header and the worst-case escaped message (6 bytes per input byte) always fit a line, so only fields
 * can ever be dropped for lack of room. */
_Static_assert(SB_LOG_LINE_MAX > 6 * (SB_LOG_MSG_MAX + SB_LOG_COMPONENT_MAX) + 256 + TAIL_RESERVE,
               "SB_LOG_LINE_MAX too small for the worst-case message");

static char secrets[SB_LOG_SECRETS_MAX][SB_LOG_SECRET_MAX + 1];
static size_t secret_len[SB_LOG_SECRETS_MAX];
static size_t nsecrets;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

/* The text of an errno value; GNU strerror_r returns either buf or a static string. */
static const char *errtext(int errnum, char *buf, size_t cap)
{
	return strerror_r(errnum, buf, cap);
}

const char *sb_log_level_name(enum sb_log_level level)
{
	if ((unsigned)level > (unsigned)SB_LOG_ERROR)
		return "unknown";
	return level_names[level];
}

sb_err sb_log_level_parse(const char *s, enum sb_log_level *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (unsigned i = 0; i <= (unsigned)SB_LOG_ERROR; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
			*out = (enum sb_log_level)i;
			return SB_OK;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = SB_LOG_WARN;
		return SB_OK;
	}
	return SB_ERR_PARSE;
}

void sb_log_set_level(enum sb_log_level level)
{
	if ((unsigned)level > (unsigned)SB_LOG_ERROR)
		return;
	pthread_mutex_lock(&lock);
	sb_log__level = level;
	lg.main.min = level;
	lg.err.min = level > SB_LOG_WARN ? level : SB_LOG_WARN;
	pthread_mutex_unlock(&lock);
}

sb_err sb_log_add_secret(const char *value)
{
	size_t len = value ? strlen(value) : 0;
	if (len < SB_LOG_SECRET_MIN)
		return SB_OK;
	if (len > SB_LOG_SECRET_MAX)
		return SB_ERR_TOO_LONG;
	sb_err err = SB_OK;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < nsecrets; i++)
		if (secret_len[i] == len && memcmp(secrets[i], value, len) == 0)
			goto out;
	if (nsecrets == SB_LOG_SECRETS_MAX) {
		err = SB_ERR_TOO_LONG;
		goto out;
	}
	memcpy(secrets[nsecrets], value, len + 1);
	secret_len[nsecrets++] = len;
out:
	pthread_mutex_unlock(&lock);
	return err;
}

/* Length of the longest secret starting at p, or 0. */
static size_t secret_at(const unsigned char *p, size_t n)
{
	size_t best = 0;
	for (size_t i = 0; i < nsecrets; i++) {
		size_t l = secret_len[i];
		if (l <= n && l > best && p[0] == (unsigned char)secrets[i][0] &&
		    memcmp(p, secrets[i], l) == 0)
			best = l;
	}
	return best;
}

/*
 * When text is cut at n, a secret may straddle the cut with only its start kept; that start is a partial
 * leak, so the cut moves back before it. Returns the new length.
 */
static size_t trim_secret_tail(const char *s, size_t n)
{
	size_t cut = 0;
	for (size_t i = 0; i < nsecrets; i++) {
		size_t k = secret_len[i] - 1 < n ? secret_len[i] - 1 : n;
		for (; k > cut; k--) {
			if (memcmp(s + n - k, secrets[i], k) == 0) {
				cut = k;
				break;
			}
		}
	}
	return n - cut;
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF), or 0 when the bytes there are not one.
 */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
	if (c >= 0xC2 && c <= 0xDF)
		len = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		len = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		len = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return len;
}

static void put(struct sb_buf *b, const char *s, size_t n)
{
	sb_buf_put(b, s, n);
}

static void puts_(struct sb_buf *b, const char *s)
{
	sb_buf_puts(b, s);
}

/* Appends bytes as the inside of a JSON string: redacted, escaped, invalid UTF-8 replaced by U+FFFD. */
static void put_escaped(struct sb_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n && !b->overflow) {
		size_t sl = nsecrets ? secret_at(p + i, n - i) : 0;
		if (sl) {
			puts_(b, REDACTED);
			i += sl;
			continue;
		}
		unsigned char c = p[i];
		if (c >= 0x80) {
			size_t ul = utf8_len(p + i, n - i);
			if (ul) {
				put(b, s + i, ul);
				i += ul;
			} else {
				puts_(b, "\\ufffd");
				i++;
			}
			continue;
		}
		size_t run = i; /* plain ASCII is copied in runs */
		while (run < n && p[run] >= 0x20 && p[run] < 0x7F && p[run] != '"' && p[run] != '\\' &&
		       !(nsecrets && run > i && secret_at(p + run, n - run)))
			run++;
		if (run > i) {
			put(b, s + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':
			puts_(b, "\\\"");
			break;
		case '\\':
			puts_(b, "\\\\");
			break;
		case '\n':
			puts_(b, "\\n");
			break;
		case '\r':
			puts_(b, "\\r");
			break;
		case '\t':
			puts_(b, "\\t");
			break;
		case '\b':
			puts_(b, "\\b");
			break;
		case '\f':
			puts_(b, "\\f");
			break;
		default:
			sb_buf_printf(b, "\\u%04x", (unsigned)c);
		}
		i++;
	}
}

/*
 * Appends a JSON string of text that had full_len bytes, of which n are at s, showing at most max bytes.
 * A cut is marked so nobody mistakes a partial value for the whole one.
 */
static void put_text(struct sb_buf *b, const char *s, size_t n, size_t full_len, size_t max)
{
	if (n > max)
		n = max;
	bool cut = full_len > n;
	if (cut)
		n = trim_secret_tail(s, n);
	puts_(b, "\"");
	put_escaped(b, s, n);
	if (cut)
		sb_buf_printf(b, "...[truncated from %zu bytes]", full_len);
	puts_(b, "\"");
}

static void put_key(struct sb_buf *b, const char *key)
{
	static const char *const reserved[] = {"ts", "level", "component", "msg"};
	if (!key || !*key)
		key = "_";
	puts_(b, ",\"");
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(key, reserved[i]) == 0)
			puts_(b, "_");
	put_escaped(b, key, strlen(key));
	puts_(b, "\":");
}

static void put_value(struct sb_buf *b, const struct sb_log_field *f)
{
	switch (f->type) {
	case SB_LOG_F_STR:
		if (!f->v.s) {
			puts_(b, "null");
			return;
		}
		put_text(b, f->v.s, strlen(f->v.s), strlen(f->v.s), SB_LOG_FIELD_MAX);
		return;
	case SB_LOG_F_STRN:
		if (!f->v.sn.p) {
			puts_(b, "null");
			return;
		}
		put_text(b, f->v.sn.p, f->v.sn.n, f->v.sn.n, SB_LOG_FIELD_MAX);
		return;
	case SB_LOG_F_INT:
		sb_buf_printf(b, "%" PRId64, f->v.i);
		return;
	case SB_LOG_F_UINT:
		sb_buf_printf(b, "%" PRIu64, f->v.u);
		return;
	case SB_LOG_F_DEC: {
		char d[SB_DEC_STRLEN];
		sb_dec_format_trim(f->v.d, d, sizeof(d));
		sb_buf_printf(b, "\"%s\"", d);
		return;
	}
	case SB_LOG_F_BOOL:
		puts_(b, f->v.b ? "true" : "false");
		return;
	case SB_LOG_F_DBL:
		if (isfinite(f->v.f))
			sb_buf_printf(b, "%.15g", f->v.f);
		else
			puts_(b, "null");
		return;
	case SB_LOG_F_ERR:
		sb_buf_printf(b, "\"%s\"", sb_errname(f->v.e));
		return;
	case SB_LOG_F_ERRNO: {
		char eb[96];
		int e = f->v.i > INT_MAX || f->v.i < INT_MIN ? INT_MAX : (int)f->v.i;
		const char *text = errtext(e, eb, sizeof(eb));
		put_text(b, text, strlen(text), strlen(text), SB_LOG_FIELD_MAX);
		return;
	}
	default:
		puts_(b, "null");
	}
}

/*
 * Builds a whole line of at most cap bytes into b (emptied first). The message and header always fit
 * (SB_LOG_LINE_MAX covers the worst-case escaping of SB_LOG_MSG_MAX bytes); a field that does not fit is
 * left out whole and counted. The buffer's maximum counts its NUL, hence the + 1.
 */
static void build_line(struct sb_buf *b, size_t cap, enum sb_log_level level, const char *component,
                       const struct sb_log_field *fields, size_t nfields, const char *msg, size_t msg_len,
                       size_t msg_full_len)
{
	sb_buf_reset(b);
	b->max = cap - TAIL_RESERVE + 1;
	char ts[SB_CLOCK_RFC3339_MS_SIZE];
	sb_clock_format_rfc3339_ms(lg.now_ms ? lg.now_ms(lg.now_user) : sb_clock_wall_ms(), ts, sizeof(ts));
	puts_(b, "{\"ts\":\"");
	puts_(b, ts);
	puts_(b, "\",\"level\":\"");
	puts_(b, sb_log_level_name(level));
	puts_(b, "\",\"component\":");
	if (!component)
		component = "";
	put_text(b, component, strlen(component), strlen(component), SB_LOG_COMPONENT_MAX);
	puts_(b, ",\"msg\":");
	put_text(b, msg, msg_len, msg_full_len, SB_LOG_MSG_MAX);
	size_t dropped = 0;
	for (size_t i = 0; fields && i < nfields; i++) {
		size_t save = b->len;
		put_key(b, fields[i].key);
		put_value(b, &fields[i]);
		if (b->overflow) {
			sb_buf_truncate(b, save);
			dropped++;
		}
	}
	b->max = cap + 1;
	if (dropped)
		sb_buf_printf(b, ",\"log_dropped_fields\":%zu", dropped);
	puts_(b, "}\n");
}

/* Writes all of buf to stderr; a failing stderr has nowhere left to report to. */
static void write_stderr(const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(STDERR_FILENO, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		buf += w;
		len -= (size_t)w;
	}
}

/* Prints a line from the logger itself to stderr (and to fd when fd >= 0), e.g. a failure notice. */
static void notice(enum sb_log_level level, int fd, const char *path, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void notice(enum sb_log_level level, int fd, const char *path, int errnum, const char *fmt, ...)
{
	char msg[PATH_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	struct sb_log_field f[2] = {SB_F_STR("path", path), SB_F_ERRNO(errnum)};
	build_line(&noticebuf, NOTICE_MAX, level, "log", f, errnum ? 2 : 1, msg, len, len);
	size_t line = noticebuf.len;
	write_stderr(noticebuf.p, line);
	if (fd >= 0 && write(fd, noticebuf.p, line) == (ssize_t)line) {
		if (fd == lg.main.fd)
			lg.main.size += line;
		else if (fd == lg.err.fd)
			lg.err.size += line;
	}
}

/* Creates dir and its missing parents; returns 0 or an errno value. */
static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof(tmp))
		return ENAMETOOLONG;
	memcpy(tmp, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		char saved = tmp[i];
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return errno;
		tmp[i] = saved;
	}
	return 0;
}

/* Opens the sink's file for appending (creating its directory if needed); returns 0 or an errno value. */
static int sink_open(struct sink *s)
{
	int e = mkdir_p(lg.dir);
	if (e)
		return e;
	int fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return errno;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		e = errno;
		close(fd);
		return e;
	}
	s->fd = fd;
	s->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	return 0;
}

static void sink_close(struct sink *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Marks the sink failed; the first failure of an episode prints the one notice. */
static void sink_fail(struct sink *s, int errnum, const char *what, bool quiet)
{
	sink_close(s);
	s->retry_at_ms = sb_clock_mono_ms() + lg.retry_ms;
	if (s->failed)
		return;
	s->failed = true;
	s->fallback_lines = 0;
	char eb[96];
	if (!quiet)
		notice(
		    SB_LOG_ERROR, -1, s->path, errnum,
		    "cannot %s log file %s: %s; its lines go to stderr until it works again (retry every %u ms)",
		    what, s->path, errtext(errnum, eb, sizeof(eb)), lg.retry_ms);
}

/* Shifts name -> name.1 -> ... -> name.keep (dropping the oldest) and opens a fresh file. */
static int sink_rotate(struct sink *s)
{
	char src[PATH_MAX + 8], dst[PATH_MAX + 8];
	sink_close(s);
	if (lg.keep == 0) {
		if (unlink(s->path) != 0 && errno != ENOENT)
			return errno;
		return sink_open(s);
	}
	for (unsigned i = lg.keep; i >= 1; i--) {
		int n = i == 1 ? snprintf(src, sizeof(src), "%s", s->path)
		               : snprintf(src, sizeof(src), "%s.%u", s->path, i - 1);
		int m = snprintf(dst, sizeof(dst), "%s.%u", s->path, i);
		if (n < 0 || (size_t)n >= sizeof(src) || m < 0 || (size_t)m >= sizeof(dst))
			return ENAMETOOLONG;
		if (rename(src, dst) != 0 && errno != ENOENT)
			return errno;
	}
	return sink_open(s);
}

/*
 * One write() of the whole line. A short write (the disk or the file size limit ran out mid-line) is cut off
 * again so no half line stays, and is reported as ENOSPC: the real cause only shows on the next write.
 */
static int write_line(struct sink *s, const char *line, size_t len)
{
	ssize_t w;
	do
		w = write(s->fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return errno ? errno : EIO;
	if ((size_t)w != len) {
		off_t end = lseek(s->fd, 0, SEEK_END);
		if (end >= w && ftruncate(s->fd, end - w) != 0) {
			/* Nothing more to try: the fragment stays, the line still goes to stderr. */
		}
		return ENOSPC;
	}
	s->size += len;
	return 0;
}

/* Writes the line to the sink's file; false when it must go to stderr instead. */
static bool sink_write(struct sink *s, const char *line, size_t len)
{
	if (s->fd < 0) {
		if (sb_clock_mono_ms() < s->retry_at_ms) {
			s->fallback_lines++;
			return false;
		}
		int e = sink_open(s);
		if (e) {
			sink_fail(s, e, "open", false);
			s->fallback_lines++;
			return false;
		}
	}
	if (lg.max_bytes && s->size > 0 && s->size + len > lg.max_bytes) {
		int e = sink_rotate(s);
		if (e) {
			sink_fail(s, e, "rotate", false);
			s->fallback_lines++;
			return false;
		}
	}
	int e = write_line(s, line, len);
	if (e) {
		sink_fail(s, e, "write", false);
		s->fallback_lines++;
		return false;
	}
	if (s->failed) {
		s->failed = false;
		notice(SB_LOG_WARN, s->fd, s->path, 0,
		       "log file %s works again; %" PRIu64 " lines before this one went to stderr", s->path,
		       s->fallback_lines);
	}
	return true;
}

/* Sends a finished line to the files that take its level, and to stderr when asked or when a file failed. */
static void dispatch(enum sb_log_level level, const char *line, size_t len)
{
	lg.count[level]++;
	if (lg.discard)
		return;
	bool to_stderr = lg.to_stderr;
	if (lg.main.path[0] == '\0')
		to_stderr = true;
	else if (level >= lg.main.min && !sink_write(&lg.main, line, len))
		to_stderr = true;
	if (lg.err.path[0] != '\0' && level >= lg.err.min && !sink_write(&lg.err, line, len))
		to_stderr = true;
	if (to_stderr)
		write_stderr(line, len);
}

static void emitv(enum sb_log_level level, const char *component, const struct sb_log_field *fields,
                  size_t nfields, const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
static void emitv(enum sb_log_level level, const char *component, const struct sb_log_field *fields,
                  size_t nfields, const char *fmt, va_list ap)
{
	int n = -1;
	pthread_mutex_lock(&lock);
	if (fmt)
		n = vsnprintf(msgbuf, sizeof(msgbuf), fmt, ap);
	if (n < 0) {
		static const char bad[] = "(invalid log format)";
		memcpy(msgbuf, bad, sizeof(bad));
		n = (int)sizeof(bad) - 1;
	}
	size_t full = (size_t)n;
	size_t have = full < SB_LOG_MSG_MAX ? full : SB_LOG_MSG_MAX;
	build_line(&linebuf, SB_LOG_LINE_MAX, level, component, fields, nfields, msgbuf, have, full);
	dispatch(level, linebuf.p, linebuf.len);
	pthread_mutex_unlock(&lock);
}

void sb_log_emit(enum sb_log_level level, const char *component, const struct sb_log_field *fields,
                 size_t nfields, const char *fmt, ...)
{
	if (!sb_log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	emitv(level, component, fields, nfields, fmt, ap);
	va_end(ap);
}

/* Builds dir/name into out; false when it (plus a ".NNN" rotation suffix) would not fit PATH_MAX. */
static bool join_path(char *out, const char *dir, const char *name, size_t name_len)
{
	size_t dl = strlen(dir);
	if (dl + 1 + name_len + 5 >= PATH_MAX)
		return false;
	memcpy(out, dir, dl);
	out[dl] = '/';
	memcpy(out + dl + 1, name, name_len);
	out[dl + 1 + name_len] = '\0';
	return true;
}

/* "spotbot.log" -> "spotbot.error.log"; "spotbot" -> "spotbot.error". */
static bool error_path(char *out, const char *dir, const char *name)
{
	char tmp[PATH_MAX];
	const char *dot = strrchr(name, '.');
	size_t stem = dot && dot != name ? (size_t)(dot - name) : strlen(name);
	int n = snprintf(tmp, sizeof(tmp), "%.*s.error%s", (int)stem, name, name + stem);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return false;
	return join_path(out, dir, tmp, (size_t)n);
}

/* Closes both files and forgets them; the caller holds the lock. */
static void reset_locked(void)
{
	sink_close(&lg.main);
	sink_close(&lg.err);
	memset(&lg.main, 0, sizeof(lg.main));
	memset(&lg.err, 0, sizeof(lg.err));
	lg.main.fd = lg.err.fd = -1;
	lg.dir[0] = '\0';
	lg.max_bytes = 0;
	lg.keep = 0;
	lg.to_stderr = true;
	lg.discard = false;
	lg.retry_ms = SB_LOG_RETRY_MS_DEFAULT;
}

/* Opens the files in use; a directory that cannot be made gives one notice for both. Lock held. */
static void open_sinks_locked(void)
{
	struct sink *sinks[2] = {&lg.main, &lg.err};
	int e = mkdir_p(lg.dir);
	if (e) {
		char eb[96];
		if (!lg.main.failed && !lg.err.failed)
			notice(
			    SB_LOG_ERROR, -1, lg.dir, e,
			    "cannot create log directory %s: %s; logging to stderr until it works again (retry every %u ms)",
			    lg.dir, errtext(e, eb, sizeof(eb)), lg.retry_ms);
		for (int i = 0; i < 2; i++)
			if (sinks[i]->path[0])
				sink_fail(sinks[i], e, "open", true);
		return;
	}
	for (int i = 0; i < 2; i++) {
		if (!sinks[i]->path[0])
			continue;
		sink_close(sinks[i]);
		e = sink_open(sinks[i]);
		if (e)
			sink_fail(sinks[i], e, "open", false);
	}
}

sb_err sb_log_open(const struct sb_log_opts *opts)
{
	if (!opts || !opts->name || !*opts->name || strchr(opts->name, '/') || opts->keep > SB_LOG_KEEP_MAX ||
	    (unsigned)opts->level > (unsigned)SB_LOG_ERROR)
		return SB_ERR_INVALID;
	if (opts->error_name && (strchr(opts->error_name, '/') || strcmp(opts->error_name, opts->name) == 0))
		return SB_ERR_INVALID;
	const char *dir = opts->dir && !opts->discard ? opts->dir : "";
	char main_path[PATH_MAX] = "", err_path[PATH_MAX] = "";
	if (*dir) {
		if (!join_path(main_path, dir, opts->name, strlen(opts->name)))
			return SB_ERR_TOO_LONG;
		bool ok = true;
		if (!opts->error_name)
			ok = error_path(err_path, dir, opts->name);
		else if (*opts->error_name)
			ok = join_path(err_path, dir, opts->error_name, strlen(opts->error_name));
		if (!ok)
			return SB_ERR_TOO_LONG;
	}

	pthread_mutex_lock(&lock);
	reset_locked();
	memcpy(lg.dir, dir, strlen(dir) + 1);
	memcpy(lg.main.path, main_path, sizeof(main_path));
	memcpy(lg.err.path, err_path, sizeof(err_path));
	lg.main.min = opts->level;
	lg.err.min = opts->level > SB_LOG_WARN ? opts->level : SB_LOG_WARN;
	lg.max_bytes = opts->max_bytes;
	lg.keep = opts->keep;
	lg.to_stderr = opts->to_stderr;
	lg.discard = opts->discard;
	memset(lg.count, 0, sizeof lg.count);
	lg.retry_ms = opts->retry_ms ? opts->retry_ms : SB_LOG_RETRY_MS_DEFAULT;
	sb_log__level = opts->level;
	if (*dir)
		open_sinks_locked();
	pthread_mutex_unlock(&lock);
	return SB_OK;
}

void sb_log_close(void)
{
	pthread_mutex_lock(&lock);
	reset_locked();
	sb_log__level = SB_LOG_INFO;
	pthread_mutex_unlock(&lock);
}

void sb_log_reopen(void)
{
	pthread_mutex_lock(&lock);
	if (lg.dir[0])
		open_sinks_locked();
	pthread_mutex_unlock(&lock);
}

uint64_t sb_log_count(enum sb_log_level level)
{
	if ((unsigned)level > (unsigned)SB_LOG_ERROR)
		return 0;
	pthread_mutex_lock(&lock);
	uint64_t n = lg.count[level];
	pthread_mutex_unlock(&lock);
	return n;
}

void sb_log_set_clock(int64_t (*now_ms)(void *user), void *user)
{
	pthread_mutex_lock(&lock);
	lg.now_ms = now_ms;
	lg.now_user = user;
	pthread_mutex_unlock(&lock);
}

bool sb_log_degraded(void)
{
	pthread_mutex_lock(&lock);
	bool d = lg.main.failed || lg.err.failed;
	pthread_mutex_unlock(&lock);
	return d;
}

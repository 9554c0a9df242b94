/*
 * log.h - the process-wide structured logger: one JSON object per line.
 *
 *   {"ts":"2026-11-25T08:25:42.123Z","level":"info","component":"order","msg":"placed buy c-42",
 *    "symbol":"BTCUSDT","price":"25.3519","order_id":123456}
 *
 * Lines go to <dir>/<name> (rotated by size, keeping N old files), WARN and above also to an error log
 * beside it, and optionally to stderr. Before sb_log_open() and after sb_log_close() lines go to stderr at
 * info level. A log file that cannot be written (full disk, missing or unwritable directory) never stops
 * the program: its lines go to stderr, one notice says why, and the file is tried again later.
 * Registered secrets are replaced by "<redacted>" everywhere in a line. See docs/logging.md.
 *
 * Call sites read like function calls; the level is checked before any argument is evaluated or formatted:
 *
 *   sb_log_info("order", SB_FIELDS(SB_F_STR("symbol", sym), SB_F_DEC("price", p)), "placed buy %s", coid);
 *   sb_log_warn("ws", SB_NOFIELDS, "reconnecting in %u ms", delay);
 *
 * The logger is meant for the one event-loop thread; a mutex still keeps lines whole if another thread logs.
 */
#ifndef SPOTBOT_LOG_H
#define SPOTBOT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

enum sb_log_level {
	SB_LOG_DEBUG, /* detail for developers; off in production */
	SB_LOG_INFO,  /* normal operation: orders placed, fills, reconnects */
	SB_LOG_WARN,  /* something went wrong and was handled; also goes to the error log */
	SB_LOG_ERROR, /* something went wrong and needs attention */
};

/* Hard limits: no line needs an unbounded buffer. */
#define SB_LOG_MSG_MAX          16384 /* formatted message bytes; longer is cut and marked "[truncated ...]" */
#define SB_LOG_FIELD_MAX        4096  /* bytes of one string field's value; longer is cut and marked */
#define SB_LOG_COMPONENT_MAX    64    /* bytes of the component name */
#define SB_LOG_LINE_MAX         131072 /* bytes of a whole line; fields that do not fit are dropped */
#define SB_LOG_KEEP_MAX         100    /* most rotated files kept */
#define SB_LOG_SECRET_MIN       4    /* shorter secrets are ignored: redacting "ab" would garble every line */
#define SB_LOG_SECRET_MAX       512  /* longest secret, in bytes */
#define SB_LOG_SECRETS_MAX      32   /* most secrets registered */
#define SB_LOG_RETRY_MS_DEFAULT 5000 /* how often a failed log file is tried again */

struct sb_log_opts {
	const char *dir;         /* directory of the log files, created if missing; NULL or "": stderr only */
	const char *name;        /* file name of the main log, e.g. "spotbot.log"; no '/' */
	const char *error_name;  /* NULL: ".error" before name's extension (spotbot.error.log); "": none */
	uint64_t max_bytes;      /* rotate before a line would take a file past this; 0: never rotate */
	unsigned keep;           /* rotated files kept: name.1 (newest) .. name.keep; 0: truncate instead */
	enum sb_log_level level; /* lines below this level are not written anywhere */
	bool to_stderr;          /* also write every line to stderr */
	unsigned retry_ms;       /* retry interval for a failed file; 0: SB_LOG_RETRY_MS_DEFAULT */
	bool discard;            /* write no line anywhere (dir and to_stderr ignored); lines are still
	                            counted (sb_log_count): for a run whose log nobody asked to keep */
};

/* The kinds of structured field. Money is SB_LOG_F_DEC, never a double. */
enum sb_log_ftype {
	SB_LOG_F_STR,   /* NUL-terminated string (NULL logs as null) -> JSON string */
	SB_LOG_F_STRN,  /* {ptr,len} slice, e.g. from the network -> JSON string */
	SB_LOG_F_INT,   /* int64_t -> JSON number */
	SB_LOG_F_UINT,  /* uint64_t -> JSON number */
	SB_LOG_F_DEC,   /* sb_dec -> JSON string, trimmed ("25.3519"), as Binance writes amounts */
	SB_LOG_F_BOOL,  /* bool -> true/false */
	SB_LOG_F_DBL,   /* double, for metrics only (latency, rates of events) -> JSON number, null if not
	                   finite */
	SB_LOG_F_ERR,   /* sb_err -> its name, "SB_ERR_TIMEOUT" */
	SB_LOG_F_ERRNO, /* errno value -> its text, "No space left on device" */
};

struct sb_log_field {
	const char
	    *key; /* JSON key; "ts", "level", "component" and "msg" are reserved and get a '_' prefix */
	enum sb_log_ftype type; /* which member of v is set */
	union {
		const char *s; /* SB_LOG_F_STR */
		struct {
			const char *p; /* bytes, need not be NUL-terminated */
			size_t n;      /* their count */
		} sn;                  /* SB_LOG_F_STRN */
		int64_t i;             /* SB_LOG_F_INT, SB_LOG_F_ERRNO */
		uint64_t u;            /* SB_LOG_F_UINT */
		sb_dec d;              /* SB_LOG_F_DEC */
		bool b;                /* SB_LOG_F_BOOL */
		double f;              /* SB_LOG_F_DBL */
		sb_err e;              /* SB_LOG_F_ERR */
	} v;                           /* the value */
};

/* Field initialisers, for use inside SB_FIELDS(...). */
/* clang-format off */
#define SB_F_STR(k, x)         {.key = (k), .type = SB_LOG_F_STR, .v.s = (x)}
#define SB_F_STRN(k, ptr, len) {.key = (k), .type = SB_LOG_F_STRN, .v.sn = {.p = (ptr), .n = (size_t)(len)}}
#define SB_F_INT(k, x)         {.key = (k), .type = SB_LOG_F_INT, .v.i = (int64_t)(x)}
#define SB_F_UINT(k, x)        {.key = (k), .type = SB_LOG_F_UINT, .v.u = (uint64_t)(x)}
#define SB_F_DEC(k, x)         {.key = (k), .type = SB_LOG_F_DEC, .v.d = (x)}
#define SB_F_BOOL(k, x)        {.key = (k), .type = SB_LOG_F_BOOL, .v.b = (x)}
#define SB_F_DBL(k, x)         {.key = (k), .type = SB_LOG_F_DBL, .v.f = (double)(x)}
#define SB_F_ERR(x)            {.key = "error", .type = SB_LOG_F_ERR, .v.e = (x)}
#define SB_F_ERRNO(x)          {.key = "errno", .type = SB_LOG_F_ERRNO, .v.i = (int64_t)(x)}
/* clang-format on */

/* The fields argument pair (array, count): a compound literal on the caller's stack, or nothing. */
#define SB_FIELDS(...)                                                                                       \
	((const struct sb_log_field[]){__VA_ARGS__}),                                                        \
	    (sizeof((const struct sb_log_field[]){__VA_ARGS__}) / sizeof(struct sb_log_field))
#define SB_NOFIELDS ((const struct sb_log_field *)NULL), ((size_t)0)

/* The lowest level written anywhere; read by the macros, changed only through the functions below. */
extern enum sb_log_level sb_log__level;

/* True when a line at level would be written; for callers that must compute something costly to log. */
static inline bool sb_log_enabled(enum sb_log_level level)
{
	return level >= sb_log__level;
}

/*
 * Logs one line: SB_LOG(level, component, fields, nfields, fmt, ...), where (fields, nfields) is
 * SB_FIELDS(...) or SB_NOFIELDS. Nothing after the level is evaluated when the level is filtered out.
 */
#define SB_LOG(level, ...)                                                                                   \
	do {                                                                                                 \
		if (sb_log_enabled(level))                                                                   \
			sb_log_emit((level), __VA_ARGS__);                                                   \
	} while (0)
#define sb_log_debug(...) SB_LOG(SB_LOG_DEBUG, __VA_ARGS__)
#define sb_log_info(...)  SB_LOG(SB_LOG_INFO, __VA_ARGS__)
#define sb_log_warn(...)  SB_LOG(SB_LOG_WARN, __VA_ARGS__)
#define sb_log_error(...) SB_LOG(SB_LOG_ERROR, __VA_ARGS__)

/* Formats and writes one line unconditionally (apart from the level filter); the macros call this. */
void sb_log_emit(enum sb_log_level level, const char *component, const struct sb_log_field *fields,
                 size_t nfields, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Starts logging to files as opts says (opts is copied; its strings need not outlive the call).
 * SB_ERR_INVALID for a NULL opts, a missing name or a name containing '/', keep > SB_LOG_KEEP_MAX;
 * SB_ERR_TOO_LONG when a file path would not fit PATH_MAX. A directory or file that cannot be created or
 * opened is not an error: open returns SB_OK, prints one notice to stderr, sends the lines to stderr and
 * retries the file every retry_ms (sb_log_degraded() reports it). Calling it again reopens with new opts.
 */
sb_err sb_log_open(const struct sb_log_opts *opts);

/* Closes the files and returns to the initial state: stderr only, info level. Secrets are kept. */
void sb_log_close(void);

/* Closes and reopens the files now (after an external logrotate, on SIGHUP, or when the disk has space). */
void sb_log_reopen(void);

/* True while a log file that should be written is failing and its lines go to stderr instead. */
bool sb_log_degraded(void);

/* Changes the level filter without reopening. */
void sb_log_set_level(enum sb_log_level level);

/*
 * Lines of level written (or discarded) since the last sb_log_open, or since the start before any; lines
 * the level filter dropped are not counted. sb_log_close keeps the counts.
 */
uint64_t sb_log_count(enum sb_log_level level);

/*
 * Takes the "ts" of every line from now_ms(user) (ms since the epoch) instead of the wall clock: a run on
 * market time (a backtest) stamps its lines with that time. NULL goes back to the wall clock.
 */
void sb_log_set_clock(int64_t (*now_ms)(void *user), void *user);

/*
 * Registers value (copied) to be replaced by "<redacted>" wherever it appears in a later line: message,
 * component, keys and string fields. Values shorter than SB_LOG_SECRET_MIN bytes (including "" and NULL, an
 * unset secret) are ignored and return SB_OK, as does a value already registered. SB_ERR_TOO_LONG for a
 * value longer than SB_LOG_SECRET_MAX or when SB_LOG_SECRETS_MAX are registered.
 */
sb_err sb_log_add_secret(const char *value);

/* "debug", "info", "warn", "error"; "unknown" for anything else. Static strings. */
const char *sb_log_level_name(enum sb_log_level level);

/* Parses a level name, case-insensitively; "warning" is accepted for warn. SB_ERR_PARSE otherwise. */
sb_err sb_log_level_parse(const char *s, enum sb_log_level *out);

#endif

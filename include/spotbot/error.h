/*
 * error.h - the one error type of spotbot and spotsim.
 *
 * Every fallible function returns an sb_err; results leave through pointers. The codes and their messages
 * come from one X-macro list, so sb_strerror() can never fall out of step with the enum.
 */
#ifndef SPOTBOT_ERROR_H
#define SPOTBOT_ERROR_H

#define SB_ERRORS(X)                                                                                         \
	X(SB_OK, "success")                                                                                  \
	X(SB_ERR_INVALID, "invalid argument")                                                                \
	X(SB_ERR_PARSE, "malformed input")                                                                   \
	X(SB_ERR_RANGE, "value out of range")                                                                \
	X(SB_ERR_OVERFLOW, "arithmetic overflow")                                                            \
	X(SB_ERR_PRECISION, "too many decimal places")                                                       \
	X(SB_ERR_DIV_ZERO, "division by zero")                                                               \
	X(SB_ERR_NOMEM, "out of memory")                                                                     \
	X(SB_ERR_TOO_LONG, "input exceeds its maximum size")                                                 \
	X(SB_ERR_NOT_FOUND, "not found")                                                                     \
	X(SB_ERR_EXISTS, "already exists")                                                                   \
	X(SB_ERR_STATE, "illegal state transition")                                                          \
	X(SB_ERR_IO, "input/output error")                                                                   \
	X(SB_ERR_PERM, "permission denied")                                                                  \
	X(SB_ERR_BAD_SIGNATURE, "signature is not valid")                                                    \
	X(SB_ERR_CONFIG, "invalid configuration")                                                            \
	X(SB_ERR_FILTER, "order rejected by a symbol filter")                                                \
	X(SB_ERR_SUSPICIOUS, "value rejected as implausible")                                                \
	X(SB_ERR_DUST, "quantity is dust")                                                                   \
	X(SB_ERR_NETWORK, "network error")                                                                   \
	X(SB_ERR_TIMEOUT, "timed out")                                                                       \
	X(SB_ERR_EXCHANGE, "exchange rejected the request")                                                  \
	X(SB_ERR_UNKNOWN_OUTCOME, "outcome unknown: the request may or may not have executed")               \
	X(SB_ERR_RATE_LIMIT, "rate limited by the exchange")                                                 \
	X(SB_ERR_DB, "database error")                                                                       \
	X(SB_ERR_DB_FULL, "database or disk is full")                                                        \
	X(SB_ERR_DB_READONLY, "database is read-only")                                                       \
	X(SB_ERR_DB_BUSY, "database is locked by another connection")                                        \
	X(SB_ERR_UNSUPPORTED, "not supported")                                                               \
	X(SB_ERR_SHUTDOWN, "shutting down")                                                                  \
	X(SB_ERR_IN_USE, "in use by another process")

typedef enum {
#define SB_ERR_ENUM(name, msg) name,
	SB_ERRORS(SB_ERR_ENUM)
#undef SB_ERR_ENUM
	    SB_ERR__COUNT
} sb_err;

/* Returns from the calling function with the error when expr fails. */
#define SB_TRY(expr)                                                                                         \
	do {                                                                                                 \
		sb_err sb_try_e_ = (expr);                                                                   \
		if (sb_try_e_ != SB_OK)                                                                      \
			return sb_try_e_;                                                                    \
	} while (0)

/* Returns a static, human-readable message for err; never NULL. */
const char *sb_strerror(sb_err err);

/* Returns the enum name of err ("SB_ERR_PARSE"), for logs and JSON; never NULL. */
const char *sb_errname(sb_err err);

#endif

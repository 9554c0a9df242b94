/*
 * clock.h - the two clocks of spotbot and the one timestamp format.
 *
 * The wall clock (CLOCK_REALTIME) dates things: exchange timestamps, log lines, database rows. It can jump
 * when the system time is set, so nothing measures intervals with it. The monotonic clock (CLOCK_MONOTONIC)
 * measures intervals: timers, timeouts, retry back-off, latency. Timestamps are shown as RFC 3339 in UTC
 * with milliseconds, "2026-11-25T08:25:42.123Z", the form the logs and the control API use.
 */
#ifndef SPOTBOT_CLOCK_H
#define SPOTBOT_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"

/* Length of "YYYY-MM-DDTHH:MM:SS.mmmZ" and the buffer size that holds it with its NUL. */
#define SB_CLOCK_RFC3339_MS_LEN  24
#define SB_CLOCK_RFC3339_MS_SIZE 25

/* Milliseconds since the Unix epoch, from CLOCK_REALTIME (Binance's unit for timestamps). */
int64_t sb_clock_wall_ms(void);

/* Microseconds since the Unix epoch, from CLOCK_REALTIME. */
int64_t sb_clock_wall_us(void);

/* Nanoseconds since an arbitrary fixed point, from CLOCK_MONOTONIC; never goes backwards. */
uint64_t sb_clock_mono_ns(void);

/* sb_clock_mono_ns() / 10^6, for the many timers that think in milliseconds. */
uint64_t sb_clock_mono_ms(void);

/*
 * Formats wall_ms (milliseconds since the epoch, may be negative) as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf
 * (cap bytes, SB_CLOCK_RFC3339_MS_SIZE suffices), NUL-terminated. Returns SB_CLOCK_RFC3339_MS_LEN, or 0
 * when cap is too small or the year is outside 0000..9999 (buf then holds "" when cap > 0).
 */
size_t sb_clock_format_rfc3339_ms(int64_t wall_ms, char *buf, size_t cap);

/*
 * Parses an RFC 3339 date-time of exactly len bytes into milliseconds since the epoch:
 * "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)". 'T' may be 't' or a space and 'Z' may be 'z'; the
 * fraction has 1 or more digits and is truncated to milliseconds. SB_ERR_PARSE for a malformed string,
 * SB_ERR_RANGE for a field out of range (month 13, February 29 of a common year, second 60: leap seconds
 * are not representable in Unix time). On error *out_ms is untouched.
 */
sb_err sb_clock_parse_rfc3339_ms(const char *s, size_t len, int64_t *out_ms);

#endif

/*
 * clock.h - the two clocks of spotbot and the one timestamp format.
 *
 * The wall clock (CLOCK_REALTIME) dates things: exchange timestamps, log lines, database rows. It can jump
 * when the system time is set, so nothing measures intervals with it. The monotonic clock (CLOCK_MONOTONIC)
 * measures intervals: timers, timeouts, retry back-off, latency. Timestamps are shown as RFC 3339 in UTC
 * with milliseconds, "2026-11-25T08:25:42.123Z", the form the logs and the control API use.
 *
 * The daemon reads both clocks and runs its timers through one struct sb_clock, an operations table as the
 * store and the exchange are, so the same code runs on the event loop (sb_clock_uv_new: the system's
 * clocks, libuv timers) and on a virtual clock (sb_clock_virtual_new: time stands still until its owner
 * jumps it to the next due timer) for a backtest and for tests that need hours to pass in no time.
 */
#ifndef SPOTBOT_CLOCK_H
#define SPOTBOT_CLOCK_H

#include <stdbool.h>
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

/* ---- the daemon's clock ------------------------------------------------------------------------------- */

struct sb_clock;
struct sb_clock_timer;

/* A timer's callback, on the clock's thread. It may start, stop or free any timer, its own included. */
typedef void (*sb_clock_timer_cb)(struct sb_clock_timer *t, void *user);

/* The operations every clock implements; the functions below document them. */
struct sb_clock_ops {
	const char *name; /* "libuv", "virtual" */
	void (*free)(struct sb_clock *c);
	int64_t (*wall_ms)(const struct sb_clock *c);
	uint64_t (*mono_ns)(const struct sb_clock *c);
	struct sb_clock_timer *(*timer_new)(struct sb_clock *c);
	void (*timer_start)(struct sb_clock_timer *t, uint64_t delay_ms, uint64_t repeat_ms);
	void (*timer_stop)(struct sb_clock_timer *t);
	void (*timer_free)(struct sb_clock_timer *t);
};

/* The common head of every implementation (which embeds it first). */
struct sb_clock {
	const struct sb_clock_ops *ops; /* the implementation */
};

/* The common head of every implementation's timer (which embeds it first). */
struct sb_clock_timer {
	struct sb_clock *clock; /* the clock it runs on */
	sb_clock_timer_cb cb;   /* what it calls when due */
	void *user;             /* the callback's argument */
};

/* Frees the clock; every timer must have been freed first. NULL is harmless. */
void sb_clock_free(struct sb_clock *c);

/* The implementation's name; "" for NULL. */
const char *sb_clock_name(const struct sb_clock *c);

/* Now on c's wall clock, ms since the epoch: the time exchange timestamps and database rows carry. */
int64_t sb_clock_now_wall_ms(const struct sb_clock *c);

/* Now on c's monotonic clock, ns or ms since a fixed point of c; never goes backwards. */
uint64_t sb_clock_now_mono_ns(const struct sb_clock *c);
uint64_t sb_clock_now_mono_ms(const struct sb_clock *c);

/* A stopped timer on c that calls cb(timer, user) when due; owned by the caller, released with
 * sb_clock_timer_free. Aborts on out of memory, as sb_xmalloc. */
struct sb_clock_timer *sb_clock_timer_new(struct sb_clock *c, sb_clock_timer_cb cb, void *user);

/* (Re)starts t: due delay_ms from now (0: as soon as the clock runs timers again, never inside this
 * call), then every repeat_ms (0: once). Starting a running timer moves it. */
void sb_clock_timer_start(struct sb_clock_timer *t, uint64_t delay_ms, uint64_t repeat_ms);

/* Stops t; it can be started again. A stopped timer is harmless to stop. NULL is harmless. */
void sb_clock_timer_stop(struct sb_clock_timer *t);

/* Stops and releases t, also from inside its own callback (the memory goes once the callback has
 * returned; on libuv, once the loop has closed the handle). NULL is harmless. */
void sb_clock_timer_free(struct sb_clock_timer *t);

/* ---- the event loop's clock (clock_uv.c) ----------------------------------------------------------------
 */

typedef struct uv_loop_s uv_loop_t;

/* The system's clocks (CLOCK_REALTIME, CLOCK_MONOTONIC) and libuv timers on loop (borrowed, must outlive
 * the clock). *out is owned by the caller: sb_clock_free it after the loop has run its last iteration,
 * since freed timers are released by their handles' close callbacks. SB_ERR_INVALID without loop or out. */
sb_err sb_clock_uv_new(uv_loop_t *loop, struct sb_clock **out);

/* ---- the virtual clock (clock_virtual.c) ----------------------------------------------------------------
 */

/* A clock that stands still until sb_clock_virtual_step or _run_until moves it: monotonic time starts at
 * 0, wall time at wall_start_ms and both advance together. Timers due at the same time fire in the order
 * they were started. *out is owned by the caller (sb_clock_free). */
struct sb_clock *sb_clock_virtual_new(int64_t wall_start_ms);

/* Jumps to the earliest due timer and fires it (only it: a timer it starts for "now" fires on the next
 * step). Returns false, time unchanged, when no timer is running or when called from a timer's callback
 * (the clock's owner moves time, never a callback). */
bool sb_clock_virtual_step(struct sb_clock *c);

/* Fires in order every timer due at or before mono_ms (timers started on the way included), then sets
 * monotonic time to mono_ms (time never goes backwards: an earlier mono_ms only fires what is due now).
 * Returns the number of callbacks run; 0, doing nothing, when called from a timer's callback. */
size_t sb_clock_virtual_run_until(struct sb_clock *c, uint64_t mono_ms);

/* When the earliest running timer is due (monotonic ms) into *due_ms; false when none runs. */
bool sb_clock_virtual_next(const struct sb_clock *c, uint64_t *due_ms);

/* When timer t of a virtual clock is due next (monotonic ms) into *due_ms; false when it is stopped or
 * belongs to another clock. */
bool sb_clock_virtual_timer_due(const struct sb_clock_timer *t, uint64_t *due_ms);

#endif

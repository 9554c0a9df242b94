/*
 * sbtest_loop.h - driving a test's own libuv loop until something has happened, with a deadline that fails
 * the test instead of hanging (never a sleep), and the loopback stand-ins such tests need: an in-process
 * HTTP server without WebSockets, a listener that accepts and never answers, and a port nothing listens on.
 */
#ifndef SBTEST_LOOP_H
#define SBTEST_LOOP_H

#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "sim/server.h"

/*
 * A deadline on a loop. Its timer ticks every few milliseconds rather than firing once at the deadline:
 * a condition can come true inside a timer callback, after which uv_run(UV_RUN_ONCE) would block in poll
 * until the next event; the tick bounds that wait.
 */
struct sbt_deadline {
	uv_timer_t tick; /* the ticking timer */
	uint64_t at;     /* loop time (uv_now) at which the deadline passes */
	bool hit;        /* set by the tick once uv_now >= at */
};

/* Starts a deadline ms from now on loop. d must stay where it is until sbt_deadline_end. */
void sbt_deadline_start(struct sbt_deadline *d, uv_loop_t *loop, uint64_t ms);

/* Stops and closes the deadline's timer and lets the loop finish closing it. */
void sbt_deadline_end(struct sbt_deadline *d);

/* Runs loop until the expression cond holds; fails the test (naming cond) when ms pass first. */
#define SBT_RUN_UNTIL(loop, cond, ms) SBT_RUN_UNTIL_WHAT(loop, cond, ms, #cond)

/* SBT_RUN_UNTIL saying what (a string) it was waiting for when the deadline passes. */
#define SBT_RUN_UNTIL_WHAT(loop, cond, ms, what)                                                             \
	do {                                                                                                 \
		struct sbt_deadline d_;                                                                      \
		uint64_t ms_ = (uint64_t)(ms);                                                               \
		sbt_deadline_start(&d_, (loop), ms_);                                                        \
		while (!(cond) && !d_.hit)                                                                   \
			uv_run((loop), UV_RUN_ONCE);                                                         \
		sbt_deadline_end(&d_);                                                                       \
		cr_assert((cond), "deadline of %llu ms passed waiting for: %s", (unsigned long long)ms_,     \
		          (what));                                                                           \
	} while (0)

/* Runs loop for ms whatever happens (to show that nothing more arrives in that time). */
void sbt_run_for(uv_loop_t *loop, uint64_t ms);

/* WebSocket callbacks for a sim_server that serves HTTP only: every upgrade is refused. */
extern const struct sim_ws_ops sbt_ws_refused;

/*
 * An HTTP server (spotsim's server layer) on 127.0.0.1 and a free port, in this process on loop, that
 * answers every request through http and refuses every WebSocket upgrade. *out is the caller's
 * (sim_server_free; sim_server_port tells the port). Inline so that only the tests calling it link the
 * server layer: test_sim_wsapi replaces part of it with its own fakes.
 */
static inline sb_err sbt_http_server_new(uv_loop_t *loop, sim_http_handler http, void *ctx,
                                         struct sim_server **out)
{
	struct sim_server_opts o = {
	    .host = "127.0.0.1", .port = 0, .http = http, .ws = sbt_ws_refused, .ctx = ctx};
	return sim_server_new(loop, &o, out);
}

#define SBT_SILENT_MAX 8

/* A listener on 127.0.0.1 that accepts connections, holds them open and never reads or answers. */
struct sbt_silent {
	uv_tcp_t listener;             /* the listening socket */
	uv_tcp_t conn[SBT_SILENT_MAX]; /* connections it accepted (later ones are left in the backlog) */
	int n;                         /* entries used in conn */
	int port;                      /* its port */
};

/* Starts s listening on loop; false when the socket cannot be bound. s must stay where it is. */
bool sbt_silent_start(struct sbt_silent *s, uv_loop_t *loop);

/* Closes the listener and every accepted connection; the loop must run afterwards to finish closing. */
void sbt_silent_close(struct sbt_silent *s);

/* A loopback port that was free a moment ago and has nothing listening on it now (bound, then closed). */
int sbt_closed_port(uv_loop_t *loop);

#endif

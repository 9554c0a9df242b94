/*
 * clock_uv.c - the event loop's clock (see clock.h): the system's wall clock, libuv's monotonic clock and
 * libuv timers, for `spotbot run`.
 *
 * A timer is a uv_timer_t handle; freeing it closes the handle, and the memory goes in the close callback,
 * so a timer may be freed from inside its own callback like any libuv handle.
 */
#include <stdlib.h>
#include <uv.h>

#include "spotbot/alloc.h"
#include "spotbot/clock.h"

struct uv_clock {
	struct sb_clock base; /* the table (first) */
	uv_loop_t *loop;      /* borrowed */
};

struct uv_clock_timer {
	struct sb_clock_timer base; /* the common head (first) */
	uv_timer_t handle;          /* the libuv timer; handle.data is this timer */
};

static void uvc_free(struct sb_clock *c)
{
	free(c);
}

static int64_t uvc_wall_ms(const struct sb_clock *c)
{
	(void)c;
	return sb_clock_wall_ms();
}

static uint64_t uvc_mono_ns(const struct sb_clock *c)
{
	(void)c;
	return uv_hrtime();
}

static struct sb_clock_timer *uvc_timer_new(struct sb_clock *c)
{
	struct uv_clock_timer *t = sb_xcalloc(1, sizeof *t);
	uv_timer_init(((struct uv_clock *)c)->loop, &t->handle);
	t->handle.data = t;
	return &t->base;
}

static void on_due(uv_timer_t *h)
{
	struct uv_clock_timer *t = h->data;
	t->base.cb(&t->base, t->base.user);
}

static void uvc_timer_start(struct sb_clock_timer *t, uint64_t delay_ms, uint64_t repeat_ms)
{
	uv_timer_start(&((struct uv_clock_timer *)t)->handle, on_due, delay_ms, repeat_ms);
}

static void uvc_timer_stop(struct sb_clock_timer *t)
{
	uv_timer_stop(&((struct uv_clock_timer *)t)->handle);
}

static void on_closed(uv_handle_t *h)
{
	free(h->data);
}

static void uvc_timer_free(struct sb_clock_timer *t)
{
	uv_handle_t *h = (uv_handle_t *)&((struct uv_clock_timer *)t)->handle;
	if (!uv_is_closing(h))
		uv_close(h, on_closed);
}

static const struct sb_clock_ops uv_ops = {
    .name = "libuv",
    .free = uvc_free,
    .wall_ms = uvc_wall_ms,
    .mono_ns = uvc_mono_ns,
    .timer_new = uvc_timer_new,
    .timer_start = uvc_timer_start,
    .timer_stop = uvc_timer_stop,
    .timer_free = uvc_timer_free,
};

sb_err sb_clock_uv_new(uv_loop_t *loop, struct sb_clock **out)
{
	if (!loop || !out)
		return SB_ERR_INVALID;
	struct uv_clock *c = sb_xcalloc(1, sizeof *c);
	c->base.ops = &uv_ops;
	c->loop = loop;
	*out = &c->base;
	return SB_OK;
}

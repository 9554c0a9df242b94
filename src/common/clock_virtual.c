/*
 * clock_virtual.c - the virtual clock (see clock.h): time stands still until its owner jumps it to the
 * next due timer, so a backtest or a test runs hours of the daemon's timers in no real time.
 *
 * Running timers sit in a binary min-heap ordered by (due time, start sequence): the sequence number,
 * taken at every start, makes timers due at the same time fire in the order they were started, so a run is
 * deterministic. A repeating timer is re-armed before its callback runs (as libuv does), so the callback
 * may stop or move it. A timer freed from inside its own callback is only marked; the memory goes when
 * the callback returns.
 */
#include <stdlib.h>

#include "spotbot/alloc.h"
#include "spotbot/clock.h"

#define NOT_RUNNING SIZE_MAX /* heap slot of a stopped timer */

struct vtimer {
	struct sb_clock_timer base; /* the common head (first) */
	uint64_t due_ms;            /* monotonic time it is due at, while running */
	uint64_t repeat_ms;         /* period after it fires; 0 = once */
	uint64_t seq;               /* start order, breaks ties between equal due times */
	size_t slot;                /* index in the heap; NOT_RUNNING when stopped */
	bool freed;                 /* freed from its own callback: released when the callback returns */
};

struct vclock {
	struct sb_clock base;  /* the table (first) */
	int64_t wall_start_ms; /* wall time at monotonic 0 */
	uint64_t now_ms;       /* monotonic now */
	uint64_t seq;          /* last start sequence number given */
	struct vtimer **heap;  /* running timers, earliest first (owned array, borrowed timers) */
	size_t n;              /* entries */
	size_t cap;            /* allocated entries */
	struct vtimer *firing; /* the timer whose callback runs; NULL between callbacks */
};

static const struct sb_clock_ops virtual_ops;

static struct vclock *vclock_of(struct sb_clock *c)
{
	return c && c->ops == &virtual_ops ? (struct vclock *)c : NULL;
}

static bool before(const struct vtimer *a, const struct vtimer *b)
{
	return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->seq < b->seq);
}

static void put(struct vclock *c, size_t i, struct vtimer *t)
{
	c->heap[i] = t;
	t->slot = i;
}

static void sift_up(struct vclock *c, size_t i)
{
	struct vtimer *t = c->heap[i];
	while (i > 0 && before(t, c->heap[(i - 1) / 2])) {
		put(c, i, c->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	put(c, i, t);
}

static void sift_down(struct vclock *c, size_t i)
{
	struct vtimer *t = c->heap[i];
	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= c->n)
			break;
		if (k + 1 < c->n && before(c->heap[k + 1], c->heap[k]))
			k++;
		if (!before(c->heap[k], t))
			break;
		put(c, i, c->heap[k]);
		i = k;
	}
	put(c, i, t);
}

static void heap_remove(struct vclock *c, struct vtimer *t)
{
	size_t i = t->slot;
	if (i == NOT_RUNNING)
		return;
	t->slot = NOT_RUNNING;
	struct vtimer *last = c->heap[--c->n];
	if (last == t)
		return;
	put(c, i, last);
	sift_down(c, i);
	sift_up(c, last->slot);
}

static void heap_push(struct vclock *c, struct vtimer *t)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->heap = sb_xrealloc(c->heap, c->cap * sizeof *c->heap);
	}
	put(c, c->n++, t);
	sift_up(c, t->slot);
}

static void vc_free(struct sb_clock *base)
{
	struct vclock *c = (struct vclock *)base;
	/* A callback that never returned (a simulated crash leaves it by longjmp) and freed its timer. */
	if (c->firing && c->firing->freed)
		free(c->firing);
	free(c->heap);
	free(c);
}

static int64_t vc_wall_ms(const struct sb_clock *base)
{
	const struct vclock *c = (const struct vclock *)base;
	return c->wall_start_ms + (int64_t)c->now_ms;
}

static uint64_t vc_mono_ns(const struct sb_clock *base)
{
	return ((const struct vclock *)base)->now_ms * UINT64_C(1000000);
}

static struct sb_clock_timer *vc_timer_new(struct sb_clock *c)
{
	(void)c;
	struct vtimer *t = sb_xcalloc(1, sizeof *t);
	t->slot = NOT_RUNNING;
	return &t->base;
}

static void arm(struct vclock *c, struct vtimer *t, uint64_t delay_ms)
{
	heap_remove(c, t);
	t->due_ms = c->now_ms + delay_ms;
	t->seq = ++c->seq;
	heap_push(c, t);
}

static void vc_timer_start(struct sb_clock_timer *base, uint64_t delay_ms, uint64_t repeat_ms)
{
	struct vtimer *t = (struct vtimer *)base;
	t->repeat_ms = repeat_ms;
	arm((struct vclock *)base->clock, t, delay_ms);
}

static void vc_timer_stop(struct sb_clock_timer *base)
{
	heap_remove((struct vclock *)base->clock, (struct vtimer *)base);
}

static void vc_timer_free(struct sb_clock_timer *base)
{
	struct vclock *c = (struct vclock *)base->clock;
	struct vtimer *t = (struct vtimer *)base;
	heap_remove(c, t);
	if (c->firing == t)
		t->freed = true;
	else
		free(t);
}

static const struct sb_clock_ops virtual_ops = {
    .name = "virtual",
    .free = vc_free,
    .wall_ms = vc_wall_ms,
    .mono_ns = vc_mono_ns,
    .timer_new = vc_timer_new,
    .timer_start = vc_timer_start,
    .timer_stop = vc_timer_stop,
    .timer_free = vc_timer_free,
};

struct sb_clock *sb_clock_virtual_new(int64_t wall_start_ms)
{
	struct vclock *c = sb_xcalloc(1, sizeof *c);
	c->base.ops = &virtual_ops;
	c->wall_start_ms = wall_start_ms;
	return &c->base;
}

/* Moves time to the earliest timer, re-arms or stops it, and runs its callback. */
static void fire_first(struct vclock *c)
{
	struct vtimer *t = c->heap[0];
	if (t->due_ms > c->now_ms)
		c->now_ms = t->due_ms;
	if (t->repeat_ms > 0)
		arm(c, t, t->repeat_ms);
	else
		heap_remove(c, t);
	c->firing = t;
	t->base.cb(&t->base, t->base.user);
	c->firing = NULL;
	if (t->freed)
		free(t);
}

bool sb_clock_virtual_step(struct sb_clock *base)
{
	struct vclock *c = vclock_of(base);
	if (!c || c->n == 0 || c->firing)
		return false;
	fire_first(c);
	return true;
}

size_t sb_clock_virtual_run_until(struct sb_clock *base, uint64_t mono_ms)
{
	struct vclock *c = vclock_of(base);
	if (!c || c->firing)
		return 0;
	size_t fired = 0;
	while (c->n > 0 && c->heap[0]->due_ms <= mono_ms) {
		fire_first(c);
		fired++;
	}
	if (mono_ms > c->now_ms)
		c->now_ms = mono_ms;
	return fired;
}

bool sb_clock_virtual_next(const struct sb_clock *base, uint64_t *due_ms)
{
	const struct vclock *c = base && base->ops == &virtual_ops ? (const struct vclock *)base : NULL;
	if (!c || c->n == 0 || !due_ms)
		return false;
	*due_ms = c->heap[0]->due_ms;
	return true;
}

bool sb_clock_virtual_timer_due(const struct sb_clock_timer *base, uint64_t *due_ms)
{
	if (!base || !due_ms || !vclock_of(base->clock))
		return false;
	const struct vtimer *t = (const struct vtimer *)base;
	if (t->slot == NOT_RUNNING)
		return false;
	*due_ms = t->due_ms;
	return true;
}

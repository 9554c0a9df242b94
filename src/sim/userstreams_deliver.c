/*
 * userstreams_deliver.c - user-data events of an account reach its WebSocket API subscriptions wrapped
 * as {"subscriptionId":N,"event":{...}} and its listenKey streams bare. While the user_events_delay_ms
 * fault is on, events are held back in the order they happened and a timer delivers them when due.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

#define US_ENVELOPE_EXTRA 64 /* bytes the envelope adds around an event */

static void deliver_now(struct sim_userstreams *us, uint32_t account, const char *json, size_t len)
{
	char *env = NULL;
	size_t env_cap = 0;
	for (struct us_conn *uc = us->conns; uc; uc = uc->next) {
		if (uc->kind == US_LISTENKEY) {
			if (uc->lk_account == account)
				sim_ws_send(uc->conn, json, len);
			continue;
		}
		struct us_sub *s = sim_us_find_sub(uc, account);
		if (!s)
			continue;
		if (!env) {
			env_cap = len + US_ENVELOPE_EXTRA;
			env = sb_xmalloc(env_cap);
		}
		int head = snprintf(env, env_cap, "{\"subscriptionId\":%u,\"event\":", s->id);
		if (head < 0 || (size_t)head + len + 2 > env_cap)
			continue;
		memcpy(env + head, json, len);
		env[(size_t)head + len] = '}';
		sim_ws_send(uc->conn, env, (size_t)head + len + 1);
	}
	free(env);
}

/* Delivers the held-back events that are due; the timer stops once none is held. */
static void on_delay_timer(uv_timer_t *t)
{
	struct sim_userstreams *us = t->data;
	uint64_t now = uv_now(us->ex->loop);
	while (us->held && us->held->due_ms <= now) {
		struct us_delayed *d = us->held;
		us->held = d->next;
		deliver_now(us, d->account, d->json, d->len);
		free(d);
	}
	if (!us->held) {
		us->held_last = NULL;
		uv_timer_stop(&us->delay_timer);
	}
}

/* Holds an event back for the fault's delay; once the fault is off, events still wait behind those held,
 * so the order in which they happened is kept. */
static void hold_back(struct sim_userstreams *us, uint32_t account, const char *json, size_t len)
{
	struct us_delayed *d = sb_xmalloc(sizeof *d + len);
	d->next = NULL;
	d->due_ms = uv_now(us->ex->loop) + us->ex->faults.user_delay_ms;
	d->account = account;
	d->len = len;
	memcpy(d->json, json, len);
	if (us->held_last)
		us->held_last->next = d;
	else
		us->held = d;
	us->held_last = d;
	if (!uv_is_active((uv_handle_t *)&us->delay_timer))
		uv_timer_start(&us->delay_timer, on_delay_timer, 10, 10);
}

void sim_userstreams_deliver(struct sim_userstreams *us, uint32_t account, const char *json, size_t len)
{
	if (!us || !json || us->ex->faults.hide_user_events)
		return;
	if (us->timer_running && (us->ex->faults.user_delay_ms > 0 || us->held))
		hold_back(us, account, json, len);
	else
		deliver_now(us, account, json, len);
}

void sim_us_drop_held(struct sim_userstreams *us)
{
	while (us->held) {
		struct us_delayed *d = us->held;
		us->held = d->next;
		free(d);
	}
	us->held_last = NULL;
}

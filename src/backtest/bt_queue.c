/*
 * bt_queue.c - the in-process exchange's queue: answers and events wait here for the next pump, so a
 * callback never runs inside the call that caused it, and are delivered in the order they were queued.
 * An answer's result is owned by its item and released once its callback has run (a callback that keeps
 * it zeroes it, as with the REST client). Each batch a pump delivers is followed by the owner's step
 * (struct sb_exchange_events.dispatched), whose requests queue the next batch of the same pump.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_exchange_int.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

#define BT_SNAPSHOT_MAX SIM_MAX_SYMBOLS /* symbols named in one snapshot request */

int64_t bt_now(const struct bt_exchange *x)
{
	return x->clock.now_ms ? x->clock.now_ms(x->clock.user) : sb_clock_wall_ms();
}

#define MEMBER(m) sizeof(((struct bt_item *)0)->u.m)

/*
 * The bytes of an item's union its kind uses. The union is sized by its largest member (an account event,
 * 3 KB) and the head by an answer's result (600 bytes): zeroing and copying whole items cost more than
 * every trade of a backtest's path did otherwise, so an item is zeroed when queued and copied when
 * delivered only as far as it is used: an answer's head and member, an event's kind and member.
 */
static size_t member_size(enum bt_item_kind kind)
{
	switch (kind) {
	case BT_ANSWER_TIME:
		return MEMBER(time);
	case BT_ANSWER_INFO:
		return MEMBER(info);
	case BT_ANSWER_COMMISSION:
		return MEMBER(commission);
	case BT_ANSWER_TICKERS:
		return MEMBER(tickers);
	case BT_ANSWER_ORDER:
		return MEMBER(order);
	case BT_ANSWER_ORDERS:
		return MEMBER(orders);
	case BT_ANSWER_TRADES:
		return MEMBER(trades);
	case BT_EVENT_USER:
		return MEMBER(user);
	case BT_EVENT_BOOK:
		return MEMBER(book);
	case BT_EVENT_RECONCILE:
		return MEMBER(why);
	case BT_EVENT_SNAPSHOT:
	case BT_EVENT_MARKET_LINK:
	case BT_EVENT_USER_LINK:
		break;
	}
	return 0;
}

static bool is_answer(enum bt_item_kind kind)
{
	return kind <= BT_ANSWER_TRADES;
}

/* Copies what src uses into dst. */
static void copy_used(struct bt_item *dst, const struct bt_item *src)
{
	if (is_answer(src->kind))
		memcpy(dst, src, offsetof(struct bt_item, u));
	else
		dst->kind = src->kind;
	memcpy(&dst->u, &src->u, member_size(src->kind));
}

struct bt_item *bt_push(struct bt_exchange *x, enum bt_item_kind kind)
{
	if (x->head == x->n)
		x->head = x->n = 0;
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 64;
		x->q = sb_xrealloc(x->q, x->cap * sizeof *x->q);
	}
	struct bt_item *it = &x->q[x->n++];
	if (is_answer(kind)) {
		memset(it, 0, offsetof(struct bt_item, u));
		it->res =
		    (struct sb_bn_rest_result){.err = SB_OK, .http_status = 200, .sent = true, .attempts = 1};
		x->st.rest.calls++;
	}
	it->kind = kind;
	memset(&it->u, 0, member_size(kind));
	return it;
}

void bt_fail(struct bt_item *it, int http_status, int64_t code, const char *fmt, ...)
{
	struct sb_bn_api_error *api = &it->res.api;
	api->http_status = http_status;
	api->code = code;
	api->retry_after_ms = -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(api->msg, sizeof api->msg, fmt, ap);
	va_end(ap);
	it->res.http_status = http_status;
	it->res.err = sb_bn_api_error_class(api);
}

/* Releases what an item owns. */
static void item_fini(struct bt_item *it)
{
	switch (it->kind) {
	case BT_ANSWER_INFO:
		sb_bn_exchange_info_fini(&it->u.info);
		break;
	case BT_ANSWER_TICKERS:
		sb_bn_book_tickers_fini(&it->u.tickers);
		break;
	case BT_ANSWER_ORDER:
		sb_bn_order_fini(&it->u.order);
		break;
	case BT_ANSWER_ORDERS:
		sb_bn_order_list_fini(&it->u.orders);
		break;
	case BT_ANSWER_TRADES:
		sb_bn_my_trades_fini(&it->u.trades);
		break;
	default:
		break;
	}
}

/* Runs an answer's callback: with its result on success, with NULL otherwise. */
static void answer(struct bt_exchange *x, struct bt_item *it)
{
	bool ok = it->res.err == SB_OK;
	const struct sb_bn_rest_result *r = &it->res;
	x->st.rest.completed++;
	x->st.rest.by_err[r->err]++;
	switch (it->kind) {
	case BT_ANSWER_TIME:
		it->cb.time(it->user, r, ok ? it->u.time : 0);
		break;
	case BT_ANSWER_INFO:
		it->cb.info(it->user, r, ok ? &it->u.info : NULL);
		break;
	case BT_ANSWER_COMMISSION:
		it->cb.commission(it->user, r, ok ? &it->u.commission : NULL);
		break;
	case BT_ANSWER_TICKERS:
		it->cb.tickers(it->user, r, ok ? &it->u.tickers : NULL);
		break;
	case BT_ANSWER_ORDER:
		it->cb.order(it->user, r, ok ? &it->u.order : NULL);
		break;
	case BT_ANSWER_ORDERS:
		it->cb.orders(it->user, r, ok ? &it->u.orders : NULL);
		break;
	default:
		it->cb.trades(it->user, r, ok ? &it->u.trades : NULL);
		break;
	}
}

static void market_event(struct bt_exchange *x, const struct bt_item *it)
{
	struct sb_bn_market_event ev = {.kind = SB_BN_MKT_BOOK_TICKER, .book_ticker = &it->u.book, .conn = 1};
	x->st.market.events++;
	x->st.market.last_ms = bt_now(x);
	x->base.ev.market.event(x->base.ev.user, &ev);
}

static void snapshot(struct bt_exchange *x)
{
	const char *names[BT_SNAPSHOT_MAX];
	size_t n = 0;
	for (size_t i = 0; i < x->sim->nsymbols && n < BT_SNAPSHOT_MAX; i++)
		if (x->mk[i].wanted)
			names[n++] = x->sim->symbols[i].rules.symbol;
	x->base.ev.market.snapshot(x->base.ev.user, names, n, false);
}

/* Delivers one item through the owner's callbacks; callbacks the owner left NULL are skipped. */
static void deliver(struct bt_exchange *x, struct bt_item *it)
{
	const struct sb_exchange_events *ev = &x->base.ev;
	if (it->kind <= BT_ANSWER_TRADES) {
		answer(x, it);
	} else if (it->kind == BT_EVENT_USER) {
		if (x->sim->faults.hide_user_events)
			return; /* the fault: the account's events are lost on the way */
		x->st.user.events++;
		x->st.user.exec_reports += it->u.user.kind == SB_BN_USER_EXEC_REPORT;
		x->st.user.last_event_ms = bt_now(x);
		if (ev->account.event)
			ev->account.event(ev->user, &it->u.user);
	} else if (it->kind == BT_EVENT_BOOK) {
		if (ev->market.event)
			market_event(x, it);
	} else if (it->kind == BT_EVENT_SNAPSHOT) {
		if (ev->market.snapshot)
			snapshot(x);
	} else if (it->kind == BT_EVENT_MARKET_LINK) {
		if (ev->market.link)
			ev->market.link(ev->user, SB_BN_LINK_UP);
	} else if (it->kind == BT_EVENT_USER_LINK) {
		x->st.user.subscribes++;
		if (ev->account.link)
			ev->account.link(ev->user, SB_BN_LINK_UP);
	} else {
		x->st.user.reconciles++;
		if (ev->account.reconcile)
			ev->account.reconcile(ev->user, it->u.why);
	}
}

/* Delivers what is queued now, those queued by the callbacks it runs included. */
static size_t deliver_all(struct bt_exchange *x)
{
	size_t delivered = 0;
	while (x->head < x->n) {
		/* A callback may queue more (and move the queue): deliver a copy of what the item uses. */
		struct bt_item it;
		copy_used(&it, &x->q[x->head++]);
		deliver(x, &it);
		item_fini(&it);
		delivered++;
	}
	x->head = x->n = 0;
	return delivered;
}

size_t bt_pump(struct bt_exchange *x)
{
	size_t delivered = 0, batch;
	/* After each batch the owner's step runs (its decisions queue answers and events of their own,
	 * delivered as the next batch), until nothing is left. */
	while ((batch = deliver_all(x)) > 0) {
		delivered += batch;
		if (x->base.ev.dispatched)
			x->base.ev.dispatched(x->base.ev.user);
	}
	return delivered;
}

void bt_queue_shutdown(struct bt_exchange *x)
{
	while (x->head < x->n) {
		struct bt_item it = x->q[x->head++];
		if (it.kind <= BT_ANSWER_TRADES) {
			item_fini(&it);
			memset(&it.u, 0, sizeof it.u);
			it.res = (struct sb_bn_rest_result){.err = SB_ERR_SHUTDOWN};
			answer(x, &it);
		}
		item_fini(&it);
	}
	x->head = x->n = 0;
}

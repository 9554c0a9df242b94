/*
 * sim_fault.c - the fault-injecting exchange of the simulation: a struct sb_exchange around spotsim's
 * in-process exchange that the daemon talks to instead. Requests go through to the exchange unless a
 * fault drawn from the run's generator says otherwise, and the account's events pass through the wrapper
 * on their way to the daemon, so it can lose, duplicate, delay and reorder them.
 *
 * Faults of a request: a placement refused with 429 or answered 503 before the exchange sees it (not
 * executed: the daemon must find that out by query), or executed and then answered 503 or never answered
 * (a timeout); a cancel executed and answered 503; the answer of a placement or cancel held back up to
 * 5 s, so the events it caused and other answers arrive first; a query, an open-order list or a trade
 * list failing (a 5xx or a timeout: safe to retry). Faults of the account's stream: an event lost
 * (the real client then notices the silence and asks for a reconciliation, which the wrapper does after a
 * while), delivered twice, held back for seconds to minutes, or held back briefly so that later events
 * overtake it; the whole stream dropped and resubscribed (a reconciliation follows, as after any
 * subscription). The market data drops and comes back. And the exchange forgets orders: an open one lost
 * as by an exchange restarting without its state (cancelled on the book without a word while the stream
 * is down), or, while that mode is on, every finished one that executed nothing (as Binance archives
 * them): a query for a forgotten order answers -2013, unknown order.
 *
 * What the wrapper holds back (answers it made up, events, links to restore) is delivered by simf_pump
 * once due on the run's clock, never inside the request that caused it, each batch followed by the
 * daemon's step after the dispatch, as the exchange table requires.
 */
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_exchange.h"
#include "sim.h"
#include "sim/book.h"
#include "sim/exchange.h"
#include "spotbot/alloc.h"

#define SIMF_SILENCE_MIN_MS 5000   /* a lost event is noticed by the stream's silence after at least */
#define SIMF_SILENCE_MAX_MS 120000 /* and at most this long */
#define SIMF_DELAY_MAX_MS   180000 /* a delayed event is held back at most this long */
#define SIMF_REORDER_MAX_MS 3000   /* a reordered one this long */
#define SIMF_ANSWER_MAX_MS  5000   /* a late answer this long */

/* What the wrapper holds back. */
enum held_kind {
	HELD_ANSWER,    /* an order answer the wrapper made up, or the exchange's, late */
	HELD_EVENT,     /* one of the account's events */
	HELD_RECONCILE, /* the stream's request to reconcile */
	HELD_USER_UP,   /* the account's stream resubscribed */
	HELD_MARKET_UP, /* market data back */
};

struct held {
	enum held_kind kind;             /* which of the members below are set */
	int64_t due_ms;                  /* when it is delivered (run time) */
	uint64_t seq;                    /* order of arrival among those due at once */
	sb_bn_rest_order_cb cb;          /* HELD_ANSWER: the daemon's callback of an order answer */
	sb_bn_rest_orders_cb orders_cb;  /* HELD_ANSWER: or of an open-order list */
	sb_bn_rest_trades_cb trades_cb;  /* HELD_ANSWER: or of a trade list */
	void *user;                      /* HELD_ANSWER: its argument */
	struct sb_bn_rest_result res;    /* HELD_ANSWER: the result */
	bool has_order;                  /* HELD_ANSWER: order is set (owned) */
	struct sb_bn_order order;        /* HELD_ANSWER: the exchange's answer, when it comes late */
	struct sb_bn_user_event ev;      /* HELD_EVENT */
	enum sb_bn_reconcile_reason why; /* HELD_RECONCILE */
};

struct simf {
	struct sb_exchange base;      /* the daemon's exchange; base.ev are the daemon's callbacks */
	struct sb_exchange *inner;    /* spotsim's in-process exchange (owned) */
	struct sim_rng *rng;          /* the run's generator (borrowed) */
	int64_t (*now_ms)(void *);    /* the run's time */
	void *now_user;               /* its argument */
	struct sim_exchange *sim;     /* the exchange core, to look orders up (borrowed) */
	uint32_t account;             /* the daemon's account on it */
	struct simf_hooks hooks;      /* the owner's */
	struct simf_rates rates;      /* fault probabilities now */
	bool forget;                  /* finished orders with nothing executed are forgotten */
	bool user_down;               /* the account's stream is dropped */
	bool market_down;             /* market data is dropped */
	struct held *h;               /* held items (owned) */
	size_t nh, caph;              /* used, allocated */
	uint64_t seq;                 /* arrivals so far */
	uint64_t counts[SIMF__COUNT]; /* faults injected by kind */
};

/* A placement or cancel on its way: what the answer is to become. */
struct call {
	struct simf *f;         /* the wrapper */
	sb_bn_rest_order_cb cb; /* the daemon's callback */
	void *user;             /* its argument */
	bool lose;              /* the answer becomes SB_ERR_UNKNOWN_OUTCOME */
	long http;              /* 503, or 0 for a timeout */
	int64_t delay_ms;       /* the answer is held back this long; 0: none */
};

static struct simf *self(struct sb_exchange *ex)
{
	return (struct simf *)ex;
}

static const struct simf *cself(const struct sb_exchange *ex)
{
	return (const struct simf *)ex;
}

static int64_t now(const struct simf *f)
{
	return f->now_ms(f->now_user);
}

static struct held *hold(struct simf *f, enum held_kind kind, int64_t due_ms)
{
	if (f->nh == f->caph) {
		f->caph = f->caph ? 2 * f->caph : 32;
		f->h = sb_xrealloc(f->h, f->caph * sizeof *f->h);
	}
	struct held *h = &f->h[f->nh++];
	memset(h, 0, sizeof *h);
	h->kind = kind;
	h->due_ms = due_ms;
	h->seq = f->seq++;
	return h;
}

/* An answer made up by the wrapper: the request never reached the exchange. */
static void hold_answer(struct simf *f, sb_bn_rest_order_cb cb, void *user, sb_err err, long http,
                        int64_t code, const char *msg)
{
	struct held *h = hold(f, HELD_ANSWER, now(f));
	h->cb = cb;
	h->user = user;
	h->res = (struct sb_bn_rest_result){.err = err, .http_status = http, .sent = true, .attempts = 1};
	h->res.api.code = code;
	snprintf(h->res.api.msg, sizeof h->res.api.msg, "%s", msg);
}

/* Whether a read-only request fails now: its answer, an error of the transport, is then held. */
static struct held *read_fails(struct simf *f)
{
	if (!sim_rng_chance(f->rng, f->rates.read_fail))
		return NULL;
	f->counts[SIMF_READ_FAIL]++;
	struct held *h = hold(f, HELD_ANSWER, now(f) + (int64_t)sim_rng_below(f->rng, 10000));
	bool timeout = sim_rng_below(f->rng, 2);
	h->res = (struct sb_bn_rest_result){.err = timeout ? SB_ERR_TIMEOUT : SB_ERR_NETWORK,
	                                    .http_status = timeout ? 0 : 503,
	                                    .sent = true,
	                                    .attempts = 1};
	snprintf(h->res.detail, sizeof h->res.detail, "%s", timeout ? "timed out" : "HTTP 503");
	return h;
}

/* ---- requests ------------------------------------------------------------------------------------------ */

/* Holds the exchange's answer back, taking the order it carries. */
static void hold_late(struct call *c, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	struct held *h = hold(c->f, HELD_ANSWER, now(c->f) + c->delay_ms);
	h->cb = c->cb;
	h->user = c->user;
	h->res = *res;
	if (order) {
		h->order = *order;
		h->has_order = true;
		memset(order, 0, sizeof *order);
	}
}

/* c is freed before the daemon's callback runs: a crash point there leaves the call by longjmp. */
static void on_order(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	struct call copy = *(struct call *)user;
	struct call *c = &copy;
	free(user);
	if (c->delay_ms > 0 && res->err != SB_ERR_SHUTDOWN) {
		hold_late(c, res, order);
	} else if (!c->lose || res->err == SB_ERR_SHUTDOWN) {
		c->cb(c->user, res, order);
	} else {
		/* The exchange did it; its answer never arrives. The result it made is released by it. */
		struct sb_bn_rest_result lost = {
		    .err = SB_ERR_UNKNOWN_OUTCOME, .http_status = c->http, .sent = true};
		lost.attempts = 1;
		if (c->http) {
			lost.api.code = -1000;
			snprintf(lost.api.msg, sizeof lost.api.msg, "Service unavailable");
		} else {
			lost.transport_err = SB_ERR_TIMEOUT;
			snprintf(lost.detail, sizeof lost.detail, "the answer was lost (timeout)");
		}
		c->cb(c->user, &lost, NULL);
	}
}

static struct call *call_new(struct simf *f, sb_bn_rest_order_cb cb, void *user, bool lose, long http)
{
	struct call *c = sb_xmalloc(sizeof *c);
	*c = (struct call){.f = f, .cb = cb, .user = user, .lose = lose, .http = http};
	return c;
}

/* Whether the answer of c comes late (not when it is lost anyway). */
static void late(struct simf *f, struct call *c)
{
	if (c->lose || !sim_rng_chance(f->rng, f->rates.answer_delay))
		return;
	f->counts[SIMF_ANSWER_DELAY]++;
	c->delay_ms = 1 + (int64_t)sim_rng_below(f->rng, SIMF_ANSWER_MAX_MS);
}

/* Goes through with the call (lose: its answer replaced), freeing c when the exchange refuses it now. */
static sb_err through(sb_err err, struct call *c)
{
	if (err != SB_OK)
		free(c);
	return err;
}

static sb_err f_order_place(struct sb_exchange *ex, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                            void *user)
{
	struct simf *f = self(ex);
	if (f->hooks.placing)
		f->hooks.placing(f->hooks.user, o);
	const struct simf_rates *r = &f->rates;
	if (sim_rng_chance(f->rng, r->place_429)) {
		f->counts[SIMF_PLACE_429]++;
		hold_answer(f, cb, user, SB_ERR_RATE_LIMIT, 429, -1003, "Too many requests.");
		return SB_OK;
	}
	if (sim_rng_chance(f->rng, r->place_5xx_before)) {
		f->counts[SIMF_PLACE_5XX_BEFORE]++;
		hold_answer(f, cb, user, SB_ERR_UNKNOWN_OUTCOME, 503, -1000, "Service unavailable");
		return SB_OK;
	}
	bool after = sim_rng_chance(f->rng, r->place_5xx_after);
	bool lost = !after && sim_rng_chance(f->rng, r->answer_lost);
	f->counts[SIMF_PLACE_5XX_AFTER] += after;
	f->counts[SIMF_ANSWER_LOST] += lost;
	struct call *c = call_new(f, cb, user, after || lost, after ? 503 : 0);
	late(f, c);
	return through(f->inner->ops->order_place(f->inner, o, on_order, c), c);
}

/* Whether the exchange has forgotten coid: a finished order of the account that executed nothing. */
static bool forgotten(struct simf *f, const char *symbol, const char *coid)
{
	if (f->hooks.forgotten && f->hooks.forgotten(f->hooks.user, coid))
		return true;
	if (!f->forget)
		return false;
	struct sim_symbol *s = sim_exchange_symbol(f->sim, symbol, strlen(symbol));
	if (!s)
		return false;
	struct sim_book_order *o = sim_book_find_client(s->book, f->account, coid, strlen(coid));
	bool archived = o && o->executed_qty == 0 &&
	                (o->status == SB_ORDER_CANCELED || o->status == SB_ORDER_EXPIRED ||
	                 o->status == SB_ORDER_EXPIRED_IN_MATCH);
	if (archived && f->hooks.archived)
		f->hooks.archived(f->hooks.user, coid);
	return archived;
}

static sb_err f_order_query(struct sb_exchange *ex, const char *symbol, const char *coid,
                            sb_bn_rest_order_cb cb, void *user)
{
	struct simf *f = self(ex);
	struct held *h = read_fails(f);
	if (h) {
		h->cb = cb;
		h->user = user;
		return SB_OK;
	}
	if (forgotten(f, symbol, coid)) {
		hold_answer(f, cb, user, SB_ERR_EXCHANGE, 400, -2013, "Order does not exist.");
		return SB_OK;
	}
	return f->inner->ops->order_query(f->inner, symbol, coid, cb, user);
}

static sb_err f_order_cancel(struct sb_exchange *ex, const char *symbol, const char *coid,
                             sb_bn_rest_order_cb cb, void *user)
{
	struct simf *f = self(ex);
	bool after = sim_rng_chance(f->rng, f->rates.cancel_5xx_after);
	f->counts[SIMF_CANCEL_5XX_AFTER] += after;
	struct call *c = call_new(f, cb, user, after, 503);
	late(f, c);
	return through(f->inner->ops->order_cancel(f->inner, symbol, coid, on_order, c), c);
}

/* ---- the rest of the table goes through ---------------------------------------------------------------- */

static sb_err f_sync_time(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user)
{
	return self(ex)->inner->ops->sync_time(self(ex)->inner, cb, user);
}

static int64_t f_time_offset(const struct sb_exchange *ex)
{
	return cself(ex)->inner->ops->time_offset(cself(ex)->inner);
}

static sb_err f_exchange_info(struct sb_exchange *ex, const char *const *symbols, size_t n,
                              sb_bn_rest_info_cb cb, void *user)
{
	return self(ex)->inner->ops->exchange_info(self(ex)->inner, symbols, n, cb, user);
}

static sb_err f_commission(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
                           void *user)
{
	return self(ex)->inner->ops->commission(self(ex)->inner, symbol, cb, user);
}

static sb_err f_book_ticker(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb, void *user)
{
	return self(ex)->inner->ops->book_ticker(self(ex)->inner, symbol, cb, user);
}

static sb_err f_open_orders(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb, void *user)
{
	struct held *h = read_fails(self(ex));
	if (h) {
		h->orders_cb = cb;
		h->user = user;
		return SB_OK;
	}
	return self(ex)->inner->ops->open_orders(self(ex)->inner, symbol, cb, user);
}

static sb_err f_my_trades(struct sb_exchange *ex, const char *symbol, int64_t order_id,
                          sb_bn_rest_trades_cb cb, void *user)
{
	struct held *h = read_fails(self(ex));
	if (h) {
		h->trades_cb = cb;
		h->user = user;
		return SB_OK;
	}
	return self(ex)->inner->ops->my_trades(self(ex)->inner, symbol, order_id, cb, user);
}

static void f_streams_start(struct sb_exchange *ex, const char *const *symbols, size_t n)
{
	self(ex)->inner->ops->streams_start(self(ex)->inner, symbols, n);
}

static sb_err f_market_add(struct sb_exchange *ex, const char *symbol)
{
	return self(ex)->inner->ops->market_add(self(ex)->inner, symbol);
}

static sb_err f_market_remove(struct sb_exchange *ex, const char *symbol)
{
	return self(ex)->inner->ops->market_remove(self(ex)->inner, symbol);
}

static bool f_market_synced(const struct sb_exchange *ex)
{
	const struct simf *f = cself(ex);
	return !f->market_down && f->inner->ops->market_synced(f->inner);
}

static bool f_user_subscribed(const struct sb_exchange *ex)
{
	const struct simf *f = cself(ex);
	return !f->user_down && f->inner->ops->user_subscribed(f->inner);
}

static void f_stats(const struct sb_exchange *ex, struct sb_exchange_stats *out)
{
	cself(ex)->inner->ops->stats(cself(ex)->inner, out);
}

/* Ends the inner exchange's requests, then those the wrapper answers itself, all with SB_ERR_SHUTDOWN. */
/* Delivers a held answer with res, through the callback of its kind. */
static void answer(struct held *h, const struct sb_bn_rest_result *res)
{
	if (h->orders_cb)
		h->orders_cb(h->user, res, NULL);
	else if (h->trades_cb)
		h->trades_cb(h->user, res, NULL);
	else
		h->cb(h->user, res, h->has_order && res->err == SB_OK ? &h->order : NULL);
	sb_bn_order_fini(&h->order);
}

static void f_free(struct sb_exchange *ex)
{
	struct simf *f = self(ex);
	sb_exchange_free(f->inner);
	for (size_t i = 0; i < f->nh; i++) {
		if (f->h[i].kind != HELD_ANSWER)
			continue;
		struct sb_bn_rest_result res = {.err = SB_ERR_SHUTDOWN};
		answer(&f->h[i], &res);
	}
	free(f->h);
	free(f);
}

static const struct sb_exchange_ops simf_ops = {
    .name = "simulation",
    .free = f_free,
    .sync_time = f_sync_time,
    .time_offset = f_time_offset,
    .exchange_info = f_exchange_info,
    .commission = f_commission,
    .book_ticker = f_book_ticker,
    .order_place = f_order_place,
    .order_query = f_order_query,
    .order_cancel = f_order_cancel,
    .open_orders = f_open_orders,
    .my_trades = f_my_trades,
    .streams_start = f_streams_start,
    .market_add = f_market_add,
    .market_remove = f_market_remove,
    .market_synced = f_market_synced,
    .user_subscribed = f_user_subscribed,
    .stats = f_stats,
};

/* ---- the inner exchange's events ----------------------------------------------------------------------- */

static void on_user(void *user, const struct sb_bn_user_event *ev)
{
	struct simf *f = user;
	const struct simf_rates *r = &f->rates;
	const struct sb_exchange_events *d = &f->base.ev;
	if (f->user_down)
		return; /* nobody is listening: what the resubscription's reconciliation must find */
	if (sim_rng_chance(f->rng, r->ev_lost)) {
		f->counts[SIMF_EVENT_LOST]++;
		int64_t wait = SIMF_SILENCE_MIN_MS +
		               (int64_t)sim_rng_below(f->rng, SIMF_SILENCE_MAX_MS - SIMF_SILENCE_MIN_MS);
		hold(f, HELD_RECONCILE, now(f) + wait)->why = SB_BN_RECONCILE_SILENT;
		return;
	}
	if (sim_rng_chance(f->rng, r->ev_delay)) {
		f->counts[SIMF_EVENT_DELAY]++;
		hold(f, HELD_EVENT, now(f) + 1000 + (int64_t)sim_rng_below(f->rng, SIMF_DELAY_MAX_MS))->ev =
		    *ev;
		return;
	}
	if (sim_rng_chance(f->rng, r->ev_reorder)) {
		f->counts[SIMF_EVENT_REORDER]++;
		hold(f, HELD_EVENT, now(f) + 1 + (int64_t)sim_rng_below(f->rng, SIMF_REORDER_MAX_MS))->ev =
		    *ev;
		return;
	}
	if (d->account.event)
		d->account.event(d->user, ev);
	if (sim_rng_chance(f->rng, r->ev_dup)) {
		f->counts[SIMF_EVENT_DUP]++;
		hold(f, HELD_EVENT, now(f))->ev = *ev;
	}
}

static void on_reconcile(void *user, enum sb_bn_reconcile_reason why)
{
	struct simf *f = user;
	if (!f->user_down && f->base.ev.account.reconcile)
		f->base.ev.account.reconcile(f->base.ev.user, why);
}

static void on_user_link(void *user, enum sb_bn_link state)
{
	struct simf *f = user;
	if (!f->user_down && f->base.ev.account.link)
		f->base.ev.account.link(f->base.ev.user, state);
}

static void on_market(void *user, const struct sb_bn_market_event *ev)
{
	struct simf *f = user;
	if (!f->market_down && f->base.ev.market.event)
		f->base.ev.market.event(f->base.ev.user, ev);
}

static void on_snapshot(void *user, const char *const *symbols, size_t n, bool reconnect)
{
	struct simf *f = user;
	if (!f->market_down && f->base.ev.market.snapshot)
		f->base.ev.market.snapshot(f->base.ev.user, symbols, n, reconnect);
}

static void on_market_link(void *user, enum sb_bn_link state)
{
	struct simf *f = user;
	if (!f->market_down && f->base.ev.market.link)
		f->base.ev.market.link(f->base.ev.user, state);
}

static void on_dispatched(void *user)
{
	struct simf *f = user;
	if (f->base.ev.dispatched)
		f->base.ev.dispatched(f->base.ev.user);
}

struct sb_exchange_events simf_inner_events(struct simf *f)
{
	return (struct sb_exchange_events){
	    .market = {.event = on_market, .snapshot = on_snapshot, .link = on_market_link},
	    .account = {.event = on_user, .reconcile = on_reconcile, .link = on_user_link},
	    .dispatched = on_dispatched,
	    .user = f,
	};
}

/* ---- the owner's side ---------------------------------------------------------------------------------- */

void simf_new(const struct sb_exchange_events *ev, struct sim_rng *rng, int64_t (*now_ms)(void *), void *user,
              struct sim_exchange *sim, uint32_t account, const struct simf_hooks *hooks, struct simf **out)
{
	struct simf *f = sb_xcalloc(1, sizeof *f);
	f->base.ops = &simf_ops;
	f->base.ev = *ev;
	f->rng = rng;
	f->now_ms = now_ms;
	f->now_user = user;
	f->sim = sim;
	f->account = account;
	if (hooks)
		f->hooks = *hooks;
	*out = f;
}

void simf_set_inner(struct simf *f, struct sb_exchange *inner)
{
	f->inner = inner;
}

struct sb_exchange *simf_exchange(struct simf *f)
{
	return &f->base;
}

struct sb_exchange *simf_inner(struct simf *f)
{
	return f->inner;
}

void simf_set_rates(struct simf *f, const struct simf_rates *r)
{
	f->rates = *r;
}

void simf_drop_user(struct simf *f, int64_t ms)
{
	if (f->user_down)
		return;
	f->counts[SIMF_USER_DROP]++;
	if (f->base.ev.account.link)
		f->base.ev.account.link(f->base.ev.user, SB_BN_LINK_DOWN);
	f->user_down = true;
	/* What was on its way dies with the connection. */
	size_t k = 0;
	for (size_t i = 0; i < f->nh; i++)
		if (f->h[i].kind != HELD_EVENT && f->h[i].kind != HELD_RECONCILE)
			f->h[k++] = f->h[i];
	f->nh = k;
	hold(f, HELD_USER_UP, now(f) + ms);
}

void simf_drop_market(struct simf *f, int64_t ms)
{
	if (f->market_down)
		return;
	f->counts[SIMF_MARKET_DROP]++;
	if (f->base.ev.market.link)
		f->base.ev.market.link(f->base.ev.user, SB_BN_LINK_DOWN);
	f->market_down = true;
	hold(f, HELD_MARKET_UP, now(f) + ms);
}

static void ignore_answer(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	(void)user;
	(void)res;
	(void)order;
}

void simf_forget_order(struct simf *f, const char *symbol, const char *coid, int64_t ms)
{
	f->counts[SIMF_FORGET]++;
	simf_drop_user(f, ms);
	f->counts[SIMF_USER_DROP]--; /* part of this fault */
	(void)f->inner->ops->order_cancel(f->inner, symbol, coid, ignore_answer, NULL);
}

void simf_set_forget(struct simf *f, bool on)
{
	f->forget = on;
}

size_t simf_held(const struct simf *f, int64_t *due_ms)
{
	for (size_t i = 0; i < f->nh; i++)
		if (i == 0 || f->h[i].due_ms < *due_ms)
			*due_ms = f->h[i].due_ms;
	return f->nh;
}

const uint64_t *simf_counts(const struct simf *f)
{
	return f->counts;
}

/* Index of the earliest held item due by t (ties: first held first); f->nh when none. */
static size_t next_due(const struct simf *f, int64_t t)
{
	size_t best = f->nh;
	for (size_t i = 0; i < f->nh; i++) {
		if (f->h[i].due_ms > t)
			continue;
		if (best == f->nh || f->h[i].due_ms < f->h[best].due_ms ||
		    (f->h[i].due_ms == f->h[best].due_ms && f->h[i].seq < f->h[best].seq))
			best = i;
	}
	return best;
}

static void deliver(struct simf *f, struct held *h)
{
	const struct sb_exchange_events *d = &f->base.ev;
	switch (h->kind) {
	case HELD_ANSWER:
		answer(h, &h->res);
		break;
	case HELD_EVENT:
		if (!f->user_down && d->account.event)
			d->account.event(d->user, &h->ev);
		break;
	case HELD_RECONCILE:
		if (!f->user_down && d->account.reconcile)
			d->account.reconcile(d->user, h->why);
		break;
	case HELD_USER_UP:
		f->user_down = false;
		if (d->account.link)
			d->account.link(d->user, SB_BN_LINK_UP);
		if (d->account.reconcile)
			d->account.reconcile(d->user, SB_BN_RECONCILE_SUBSCRIBED);
		break;
	case HELD_MARKET_UP:
		f->market_down = false;
		if (d->market.link)
			d->market.link(d->user, SB_BN_LINK_UP);
		break;
	}
}

/* Delivers the held items due now, one batch; returns how many. */
static size_t release(struct simf *f)
{
	size_t n = 0;
	int64_t t = now(f);
	for (size_t i; (i = next_due(f, t)) < f->nh;) {
		struct held h = f->h[i];
		memmove(&f->h[i], &f->h[i + 1], (f->nh - i - 1) * sizeof *f->h);
		f->nh--;
		deliver(f, &h);
		n++;
	}
	if (n && f->base.ev.dispatched)
		f->base.ev.dispatched(f->base.ev.user);
	return n;
}

size_t simf_pump(struct sb_exchange *ex)
{
	struct simf *f = self(ex);
	size_t total = 0;
	for (;;) {
		size_t n = sb_bt_exchange_pump(f->inner) + release(f);
		if (n == 0)
			return total;
		total += n;
	}
}

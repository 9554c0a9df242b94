/*
 * sim_check.c - the invariants of sim_check.h over the plain structs of a world. Orders are matched by
 * clientOrderId through sorted index arrays, so a check costs O(n log n) in the orders of the run.
 */
#include "sim_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

/* One violation: formatted, counted, handed to the report's callback. */
static void violate(struct simc_report *r, uint64_t *found, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void violate(struct simc_report *r, uint64_t *found, const char *fmt, ...)
{
	char text[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	r->violations++;
	(*found)++;
	if (r->violation)
		r->violation(r->user, text);
}

static const char *dec(sb_dec v, char *buf)
{
	sb_dec_format_trim(v, buf, SB_DEC_STRLEN);
	return buf;
}

/* ---- lookups by clientOrderId -------------------------------------------------------------------------- */

static int cmp_coid(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Pointers to the coid of each of n records of size sz, sorted (the caller frees). */
static const char **sorted_coids(const void *base, size_t n, size_t sz)
{
	const char **v = sb_xcalloc(n ? n : 1, sizeof *v);
	for (size_t i = 0; i < n; i++)
		v[i] = (const char *)base + i * sz; /* coid is each struct's first member */
	qsort(v, n, sizeof *v, cmp_coid);
	return v;
}

static const void *find_coid(const char **sorted, size_t n, const char *coid)
{
	const char **hit = bsearch(&coid, sorted, n, sizeof *sorted, cmp_coid);
	return hit ? *hit : NULL;
}

/* ---- the running invariants ---------------------------------------------------------------------------- */

/* No clientOrderId twice among the exchange's orders of the account. */
static void coids_unique(const char **xs, size_t nx, struct simc_report *r, uint64_t *found)
{
	r->checks++;
	for (size_t i = 1; i < nx; i++)
		if (strcmp(xs[i - 1], xs[i]) == 0)
			violate(r, found, "clientOrderId %s is used by two orders on the exchange", xs[i]);
}

/* Every exchange order is in the database, which never claims more executed than the exchange, nor more
 * filled than executed. */
static void exchange_in_db(const struct simc_world *w, const char **ds, struct simc_report *r,
                           uint64_t *found)
{
	r->checks++;
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < w->nx; i++) {
		const struct simc_xorder *x = &w->x[i];
		const struct simc_dorder *d = find_coid(ds, w->nd, x->coid);
		if (!d) {
			violate(r, found, "order %s of %s is on the exchange but not in the database",
			        x->coid, x->symbol);
			continue;
		}
		if (d->executed > x->executed)
			violate(r, found, "order %s: the database says %s executed, the exchange %s", x->coid,
			        dec(d->executed, a), dec(x->executed, b));
		if (d->filled > x->executed)
			violate(r, found,
			        "order %s: the database's fills add up to %s, the exchange executed %s",
			        x->coid, dec(d->filled, a), dec(x->executed, b));
	}
}

/* Each closed position's realised profit is what the exchange's trades of its orders say. */
static void profits(const struct simc_world *w, struct simc_report *r, uint64_t *found)
{
	r->checks++;
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < w->nclosed; i++) {
		const struct simc_closed *c = &w->closed[i];
		if (c->trades_missing)
			continue; /* the exchange no longer keeps every trade: nothing to compare with */
		if (!c->computed)
			violate(r, found, "position %lld is closed but its trades give no profit",
			        (long long)c->id);
		else if (c->stored != c->from_trades)
			violate(r, found,
			        "position %lld: realised profit %s in the database, %s from its trades",
			        (long long)c->id, dec(c->stored, a), dec(c->from_trades, b));
	}
}

/* No new cycle while paused or its pair disabled, nor beyond max_positions or the exposure limit. */
static void sends(const struct simc_world *w, struct simc_report *r, uint64_t *found)
{
	r->checks++;
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < w->nsends; i++) {
		const struct simc_send *s = &w->sends[i];
		if (!s->new_cycle)
			continue;
		if (s->paused)
			violate(r, found, "order %s opened a cycle while the bot was paused", s->coid);
		if (!s->pair_enabled)
			violate(r, found, "order %s opened a cycle while its pair was disabled", s->coid);
		if (s->open_in_pair > s->max_positions)
			violate(r, found, "order %s opened position %lld of its pair; max_positions is %lld",
			        s->coid, (long long)s->open_in_pair, (long long)s->max_positions);
		if (s->max_exposure > 0 && s->exposure > s->max_exposure)
			violate(r, found, "order %s took the exposure to %s; MAX_EXPOSURE is %s", s->coid,
			        dec(s->exposure, a), dec(s->max_exposure, b));
	}
}

static uint64_t running(const struct simc_world *w, const char **xs, const char **ds, struct simc_report *r)
{
	uint64_t found = 0;
	coids_unique(xs, w->nx, r, &found);
	exchange_in_db(w, ds, r, &found);
	profits(w, r, &found);
	sends(w, r, &found);
	return found;
}

uint64_t simc_check_running(const struct simc_world *w, struct simc_report *r)
{
	const char **xs = sorted_coids(w->x, w->nx, sizeof *w->x);
	const char **ds = sorted_coids(w->d, w->nd, sizeof *w->d);
	uint64_t found = running(w, xs, ds, r);
	free(xs);
	free(ds);
	return found;
}

/* ---- the settled invariants ---------------------------------------------------------------------------- */

/* An order the exchange forgot having executed nothing: when the daemon asked about it, the exchange said
 * it never had it, so NEVER_SENT is the only conclusion it could draw (and no balance depends on it). */
static bool never_sent_ok(const struct simc_dorder *d, const struct simc_xorder *x)
{
	return d->status == SB_ORDER_NEVER_SENT && x->forgotten && x->executed == 0;
}

/* Whether the database's status of an order is what the exchange's records say. An order the exchange
 * forgot may end LOST in the database (or NEVER_SENT, when nothing of it executed). */
static bool same_status(const struct simc_dorder *d, const struct simc_xorder *x)
{
	if (d->status == x->status)
		return true;
	return x->forgotten && x->final && (d->status == SB_ORDER_LOST || never_sent_ok(d, x));
}

/* Every order in the same status with the same executed quantity, its fills explaining it. */
static void orders_agree(const struct simc_world *w, const char **ds, struct simc_report *r, uint64_t *found)
{
	r->checks++;
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < w->nx; i++) {
		const struct simc_xorder *x = &w->x[i];
		const struct simc_dorder *d = find_coid(ds, w->nd, x->coid);
		if (!d)
			continue; /* reported by the running check */
		if (!same_status(d, x))
			violate(r, found, "order %s is %s in the database and %s on the exchange", x->coid,
			        sb_order_state_name(d->status), sb_order_state_name(x->status));
		if (d->executed != x->executed)
			violate(r, found, "order %s: %s executed in the database, %s on the exchange",
			        x->coid, dec(d->executed, a), dec(x->executed, b));
		if (d->filled != x->executed)
			violate(r, found, "order %s: its fills add up to %s, the exchange executed %s",
			        x->coid, dec(d->filled, a), dec(x->executed, b));
	}
}

/* Every database order is on the exchange, or provably never sent (NEVER_SENT); none is transitional. */
static void db_on_exchange(const struct simc_world *w, const char **xs, struct simc_report *r,
                           uint64_t *found)
{
	r->checks++;
	for (size_t i = 0; i < w->nd; i++) {
		const struct simc_dorder *d = &w->d[i];
		const struct simc_xorder *x = find_coid(xs, w->nx, d->coid);
		bool on = x != NULL;
		if (d->status == SB_ORDER_NEVER_SENT && on && !never_sent_ok(d, x))
			violate(r, found, "order %s is NEVER_SENT in the database but on the exchange",
			        d->coid);
		else if (d->status != SB_ORDER_NEVER_SENT && !on)
			violate(r, found, "order %s is %s in the database but the exchange never had it",
			        d->coid, sb_order_state_name(d->status));
		if (d->status == SB_ORDER_PENDING_NEW || d->status == SB_ORDER_UNKNOWN ||
		    d->status == SB_ORDER_PENDING_CANCEL)
			violate(r, found, "order %s is still %s after the faults stopped", d->coid,
			        sb_order_state_name(d->status));
	}
}

/* No position stuck between two orders: bought and not offered for sale, or waiting for an order it has
 * not got. */
static void positions_settled(const struct simc_world *w, struct simc_report *r, uint64_t *found)
{
	r->checks++;
	for (size_t i = 0; i < w->npos; i++) {
		const struct simc_position *p = &w->pos[i];
		bool waiting = p->state == SB_POSITION_BUYING || p->state == SB_POSITION_SELLING;
		if (p->state == SB_POSITION_HOLDING || (waiting && !p->order_open))
			violate(r, found, "position %lld is still %s%s after the faults stopped",
			        (long long)p->id, sb_position_state_name(p->state),
			        waiting ? " without an open order" : "");
	}
}

/* The database's fills explain every asset's change on the ledger exactly. */
static void balances(const struct simc_world *w, struct simc_report *r, uint64_t *found)
{
	r->checks++;
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < w->nassets; i++) {
		const struct simc_asset *s = &w->assets[i];
		if (s->ledger_delta != s->fills_delta)
			violate(r, found, "%s changed by %s on the ledger; the database's fills say %s",
			        s->asset, dec(s->ledger_delta, a), dec(s->fills_delta, b));
	}
}

uint64_t simc_check_settled(const struct simc_world *w, struct simc_report *r)
{
	const char **xs = sorted_coids(w->x, w->nx, sizeof *w->x);
	const char **ds = sorted_coids(w->d, w->nd, sizeof *w->d);
	uint64_t found = running(w, xs, ds, r);
	orders_agree(w, ds, r, &found);
	db_on_exchange(w, xs, r, &found);
	positions_settled(w, r, &found);
	balances(w, r, &found);
	free(xs);
	free(ds);
	return found;
}

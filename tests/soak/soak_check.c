/*
 * soak_check.c - the soak's invariants (see soak_check.h), each checked against the exchange's records:
 * every exchange order is in the database alike and used its clientOrderId once; every database order is
 * on the exchange or provably never sent; the fills explain every balance change to the last unit;
 * realised profit is what the fills say; no buy reached the exchange while paused or disabled; the
 * position and exposure limits held; once faults stop, nothing is left in a transitional state.
 */
#include "soak_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/coid.h"
#include "spotbot/store.h"

/* The database's side of a check: every order (by clientOrderId) and every position. */
struct books {
	struct sb_store *st;           /* read-only connection */
	struct sb_store_order *orders; /* every order, sorted by client_order_id */
	size_t norders;                /* entries of orders */
	struct sb_store_position *pos; /* open positions */
	size_t npos;                   /* entries of pos */
};

static void violation(struct soak_violations *v, const char *fmt, ...)
{
	if (v->n < SOAK_VIOLATIONS_MAX) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(v->what[v->n], sizeof v->what[v->n], fmt, ap);
		va_end(ap);
	}
	v->n++;
}

static const char *dec(sb_dec d, char *buf, size_t cap)
{
	sb_dec_format_trim(d, buf, cap);
	return buf;
}

static int cmp_xorder(const void *a, const void *b)
{
	return strcmp(((const struct soak_xorder *)a)->coid, ((const struct soak_xorder *)b)->coid);
}

static int cmp_order(const void *a, const void *b)
{
	return strcmp(((const struct sb_store_order *)a)->client_order_id,
	              ((const struct sb_store_order *)b)->client_order_id);
}

static const struct sb_store_order *db_order(const struct books *bk, const char *coid)
{
	struct sb_store_order key;
	snprintf(key.client_order_id, sizeof key.client_order_id, "%s", coid);
	return bsearch(&key, bk->orders, bk->norders, sizeof key, cmp_order);
}

/* Every exchange order is in the books with its status, executed quantity and orderId; no clientOrderId
 * twice (xs sorted by coid). */
static void check_exchange_orders(const struct soak_xorder *xs, size_t n, const struct books *bk,
                                  struct soak_violations *v)
{
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct soak_xorder *x = &xs[i];
		v->checks += 2;
		if (i > 0 && strcmp(xs[i - 1].coid, x->coid) == 0)
			violation(v, "clientOrderId %s used twice on the exchange (orders %lld and %lld)",
			          x->coid, (long long)xs[i - 1].order_id, (long long)x->order_id);
		const struct sb_store_order *o = db_order(bk, x->coid);
		if (!o) {
			violation(v, "exchange order %s (%s #%lld, %s) is not in the database", x->coid,
			          x->symbol, (long long)x->order_id, x->status);
			continue;
		}
		v->checks += 3;
		if (strcmp(sb_order_state_name(o->status), x->status) != 0)
			violation(v, "order %s: database status %s, exchange status %s", x->coid,
			          sb_order_state_name(o->status), x->status);
		if (o->executed_qty != x->executed_qty)
			violation(v, "order %s: database executed %s, exchange executed %s", x->coid,
			          dec(o->executed_qty, a, sizeof a), dec(x->executed_qty, b, sizeof b));
		if (o->exchange_order_id != x->order_id)
			violation(v, "order %s: database orderId %lld, exchange orderId %lld", x->coid,
			          (long long)o->exchange_order_id, (long long)x->order_id);
	}
}

/* The lowest orderId the exchange still lists for symbol; INT64_MAX when none. */
static int64_t horizon(const struct soak_xorder *xs, size_t n, const char *symbol)
{
	int64_t low = INT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (strcmp(xs[i].symbol, symbol) == 0 && xs[i].order_id < low)
			low = xs[i].order_id;
	return low;
}

/* Every database order is on the exchange, or provably never there (NEVER_SENT, REJECTED), or, while
 * faults may still be on, not yet known either way. spotsim keeps the last 1000 closed orders of a symbol
 * across its restarts: a final order whose orderId is below the lowest it lists has aged out of its
 * history and cannot be compared. */
static void check_db_orders(const struct soak_xorder *xs, size_t n, const struct books *bk, bool settled,
                            struct soak_violations *v)
{
	for (size_t i = 0; i < bk->norders; i++) {
		const struct sb_store_order *o = &bk->orders[i];
		struct soak_xorder key;
		snprintf(key.coid, sizeof key.coid, "%s", o->client_order_id);
		v->checks++;
		if (bsearch(&key, xs, n, sizeof key, cmp_xorder))
			continue;
		enum sb_order_state s = o->status;
		if (s == SB_ORDER_NEVER_SENT || s == SB_ORDER_REJECTED)
			continue;
		if (sb_order_state_is_final(s) && o->exchange_order_id > 0 &&
		    o->exchange_order_id < horizon(xs, n, o->symbol))
			continue;
		if (!settled && (s == SB_ORDER_PENDING_NEW || s == SB_ORDER_UNKNOWN))
			continue;
		violation(v, "database order %s (%s) is not on the exchange", o->client_order_id,
		          sb_order_state_name(s));
	}
}

/* The quote asset of symbol among those spotsim's catalogue uses, into buf; the base is the rest. */
static bool split_symbol(const char *symbol, char *base, char *quote, size_t cap)
{
	static const char *const quotes[] = {"USDT", "BTC", "ETH", "BNB"};
	size_t len = strlen(symbol);
	for (size_t i = 0; i < sizeof quotes / sizeof quotes[0]; i++) {
		size_t q = strlen(quotes[i]);
		if (len > q && strcmp(symbol + len - q, quotes[i]) == 0 && len - q < cap) {
			snprintf(quote, cap, "%s", quotes[i]);
			snprintf(base, cap, "%.*s", (int)(len - q), symbol);
			return true;
		}
	}
	return false;
}

/* Holdings by asset: a small map. */
struct ledger {
	struct soak_asset a[16]; /* assets seen */
	size_t n;                /* entries of a */
};

static sb_dec *slot(struct ledger *l, const char *asset)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->a[i].asset, asset) == 0)
			return &l->a[i].total;
	if (l->n == sizeof l->a / sizeof l->a[0])
		return NULL;
	snprintf(l->a[l->n].asset, sizeof l->a[l->n].asset, "%s", asset);
	l->a[l->n].total = 0;
	return &l->a[l->n++].total;
}

static void ledger_add(struct ledger *l, const char *asset, sb_dec d, struct soak_violations *v)
{
	sb_dec *s = slot(l, asset);
	if (!s || sb_dec_add(*s, d, s) != SB_OK)
		violation(v, "the ledger cannot hold %s", asset);
}

/* What the database's fills say the account gained and lost, by asset. */
static void fills_ledger(const struct books *bk, struct ledger *l, struct soak_violations *v)
{
	for (size_t i = 0; i < bk->norders; i++) {
		const struct sb_store_order *o = &bk->orders[i];
		char base[SOAK_ASSET_MAX], quote[SOAK_ASSET_MAX];
		if (!split_symbol(o->symbol, base, quote, sizeof base)) {
			violation(v, "order %s: unknown quote asset in %s", o->client_order_id, o->symbol);
			continue;
		}
		struct sb_store_fill *f = NULL;
		size_t nf = 0;
		if (sb_store_fill_list(bk->st, o->client_order_id, &f, &nf) != SB_OK) {
			violation(v, "the fills of %s cannot be read", o->client_order_id);
			continue;
		}
		sb_dec sign = o->side == SB_SIDE_BUY ? 1 : -1;
		for (size_t k = 0; k < nf; k++) {
			ledger_add(l, base, sign * f[k].qty, v);
			ledger_add(l, quote, -sign * f[k].quote_qty, v);
			if (f[k].commission != 0)
				ledger_add(l, f[k].commission_asset, -f[k].commission, v);
		}
		free(f);
	}
}

static sb_dec holding(const struct soak_asset *a, size_t n, const char *asset)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].asset, asset) == 0)
			return a[i].total;
	return 0;
}

/* start + what the fills explain == what the exchange holds now, for every asset either side names. */
static void check_balances(const struct soak_records *x, const struct books *bk, struct soak_violations *v)
{
	struct ledger l = {.n = 0};
	fills_ledger(bk, &l, v);
	for (size_t i = 0; i < x->nnow; i++)
		(void)slot(&l, x->now[i].asset);
	for (size_t i = 0; i < x->nstart; i++)
		(void)slot(&l, x->start[i].asset);
	for (size_t i = 0; i < l.n; i++) {
		const char *asset = l.a[i].asset;
		sb_dec want = holding(x->start, x->nstart, asset) + l.a[i].total;
		sb_dec got = holding(x->now, x->nnow, asset);
		char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
		v->checks++;
		if (want != got)
			violation(v, "%s: start plus the database's fills is %s, the exchange holds %s",
			          asset, dec(want, a, sizeof a), dec(got, b, sizeof b));
	}
}

/* Realised profit of a CLOSED position from its fills: sell proceeds less sell commission (quote, or
 * base valued at the fill price rounded up) less the buy's cost (quote paid plus quote commission). */
static bool profit_from_fills(const struct books *bk, const struct sb_store_position *p, sb_dec *out)
{
	char base[SOAK_ASSET_MAX], quote[SOAK_ASSET_MAX];
	if (!split_symbol(p->symbol, base, quote, sizeof base))
		return false;
	sb_dec sum = 0;
	for (size_t i = 0; i < bk->norders; i++) {
		const struct sb_store_order *o = &bk->orders[i];
		if (o->position_id != p->id)
			continue;
		struct sb_store_fill *f = NULL;
		size_t nf = 0;
		if (sb_store_fill_list(bk->st, o->client_order_id, &f, &nf) != SB_OK)
			return false;
		bool sell = o->side == SB_SIDE_SELL;
		for (size_t k = 0; k < nf; k++) {
			sum += sell ? f[k].quote_qty : -f[k].quote_qty;
			sb_dec fee = 0;
			if (strcmp(f[k].commission_asset, quote) == 0)
				fee = f[k].commission;
			else if (sell && strcmp(f[k].commission_asset, base) == 0 &&
			         sb_dec_mul(f[k].commission, f[k].price, SB_ROUND_UP, &fee) != SB_OK)
				fee = 0;
			sum -= fee;
		}
		free(f);
	}
	*out = sum;
	return true;
}

static void check_profits(const struct books *bk, struct soak_violations *v)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_CLOSED};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	if (sb_store_position_list(bk->st, &f, &rows, &n) != SB_OK) {
		violation(v, "the closed positions cannot be read");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (rows[i].state != SB_POSITION_CLOSED)
			continue;
		sb_dec want = 0;
		char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
		v->checks++;
		if (!profit_from_fills(bk, &rows[i], &want))
			violation(v, "position %lld: its fills cannot be read", (long long)rows[i].id);
		else if (want != rows[i].realised_profit)
			violation(v, "position %lld (%s): realised profit %s, its fills say %s",
			          (long long)rows[i].id, rows[i].symbol,
			          dec(rows[i].realised_profit, a, sizeof a), dec(want, b, sizeof b));
	}
	free(rows);
}

/*
 * No buy reached the exchange inside a paused or disabled window. A window starts when the pause command
 * has returned (the pause is then durable and every later decision sees it), but a buy decided just before
 * may still be on its way: its request was sent before the pause and the exchange stamps it on arrival.
 * window_margin_ms covers that flight (the longest REST delay the soak injects plus a second) and a change
 * of the server clock's skew while the window is open (twice the largest skew, spotsim stamps orders with
 * its skewed clock): a buy stamped within the margin after the window's start or before its end is not
 * counted; one stamped inside is a violation.
 */
static void check_windows(const struct soak_records *x, struct soak_violations *v)
{
	for (size_t i = 0; i < x->norders; i++) {
		const struct soak_xorder *o = &x->orders[i];
		struct sb_coid c;
		if (!o->buy || sb_coid_parse(o->coid, strlen(o->coid), &c) != SB_OK || c.leg != SB_COID_BUY)
			continue;
		for (size_t k = 0; k < x->nwindows; k++) {
			const struct soak_window *w = &x->windows[k];
			if (w->symbol[0] && strcmp(w->symbol, o->symbol) != 0)
				continue;
			v->checks++;
			if (o->time_ms > w->from_ms + x->window_margin_ms &&
			    (w->to_ms == 0 || o->time_ms < w->to_ms - x->window_margin_ms))
				violation(
				    v,
				    "buy %s reached the exchange at %lld, while %s was paused (%lld..%lld)",
				    o->coid, (long long)o->time_ms, w->symbol[0] ? w->symbol : "the bot",
				    (long long)w->from_ms, (long long)w->to_ms);
		}
	}
}

/* What an open position commits, as the daemon counts it for MAX_EXPOSURE. */
static sb_dec committed(const struct books *bk, const struct sb_store_position *p)
{
	if (p->state != SB_POSITION_BUYING)
		return p->cost_quote;
	sb_dec most = 0;
	for (size_t i = 0; i < bk->norders; i++) {
		const struct sb_store_order *o = &bk->orders[i];
		sb_dec c = o->quote_qty;
		if (o->position_id != p->id || o->side != SB_SIDE_BUY || sb_order_state_is_final(o->status))
			continue;
		if (c == 0 && sb_dec_mul(o->price, o->orig_qty, SB_ROUND_UP, &c) != SB_OK)
			c = 0;
		most = c > most ? c : most;
	}
	return most > p->cost_quote ? most : p->cost_quote;
}

static int limit_of(const struct soak_records *x, const char *symbol)
{
	for (size_t i = 0; i < x->nlimits; i++)
		if (strcmp(x->limits[i].symbol, symbol) == 0)
			return x->limits[i].max_positions;
	return -1;
}

/* Over the whole history: when each position was created, the positions of its pair open at that
 * moment (itself included) were no more than the pair's max_positions. */
static void check_position_history(const struct soak_records *x, const struct books *bk,
                                   struct soak_violations *v)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL};
	struct sb_store_position *all = NULL;
	size_t n = 0;
	if (sb_store_position_list(bk->st, &f, &all, &n) != SB_OK) {
		violation(v, "the positions cannot be read");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int max = limit_of(x, all[i].symbol), open = 0;
		if (max < 0)
			continue;
		for (size_t k = 0; k < n; k++)
			open += strcmp(all[k].symbol, all[i].symbol) == 0 &&
			        all[k].created_ms <= all[i].created_ms &&
			        (all[k].closed_ms == 0 || all[k].closed_ms > all[i].created_ms);
		v->checks++;
		if (open > max)
			violation(
			    v, "%s had %d open positions when position %lld was created, max_positions is %d",
			    all[i].symbol, open, (long long)all[i].id, max);
	}
	free(all);
}

static void check_limits(const struct soak_records *x, const struct books *bk, struct soak_violations *v)
{
	check_position_history(x, bk, v);
	sb_dec exposure = 0;
	for (size_t k = 0; k < bk->npos; k++)
		exposure += committed(bk, &bk->pos[k]);
	char a[SB_DEC_STRLEN], b[SB_DEC_STRLEN];
	v->checks++;
	if (x->max_exposure > 0 && exposure > x->max_exposure)
		violation(v, "open positions commit %s, MAX_EXPOSURE is %s", dec(exposure, a, sizeof a),
		          dec(x->max_exposure, b, sizeof b));
}

/* Once faults have stopped, no order waits for an answer or a cancel and no bought position waits for
 * its sell. */
static void check_settled(const struct books *bk, struct soak_violations *v)
{
	for (size_t i = 0; i < bk->norders; i++) {
		enum sb_order_state s = bk->orders[i].status;
		v->checks++;
		if (s == SB_ORDER_PENDING_NEW || s == SB_ORDER_UNKNOWN || s == SB_ORDER_PENDING_CANCEL)
			violation(v, "order %s is still %s after the faults stopped",
			          bk->orders[i].client_order_id, sb_order_state_name(s));
	}
	for (size_t k = 0; k < bk->npos; k++) {
		v->checks++;
		if (bk->pos[k].state == SB_POSITION_HOLDING)
			violation(
			    v,
			    "position %lld (%s) is still HOLDING, its sell not placed, after the faults "
			    "stopped",
			    (long long)bk->pos[k].id, bk->pos[k].symbol);
	}
}

static bool books_open(const char *db_path, struct books *bk, struct soak_violations *v)
{
	struct sb_store_opts o = {.readonly = true, .no_create = true};
	if (sb_store_open_sqlite(db_path, &o, &bk->st, NULL, 0) != SB_OK) {
		violation(v, "the database %s cannot be opened", db_path);
		return false;
	}
	struct sb_store_order_filter f = {.limit = SB_STORE_LIST_MAX};
	struct sb_store_pos_filter pf = {.which = SB_STORE_LIST_OPEN};
	if (sb_store_order_list(bk->st, &f, &bk->orders, &bk->norders) != SB_OK ||
	    sb_store_position_list(bk->st, &pf, &bk->pos, &bk->npos) != SB_OK) {
		violation(v, "the database %s cannot be read: %s", db_path, sb_store_last_error(bk->st));
		return false;
	}
	if (bk->norders == SB_STORE_LIST_MAX)
		violation(v, "more than %d orders: the soak reads one page only", SB_STORE_LIST_MAX);
	qsort(bk->orders, bk->norders, sizeof bk->orders[0], cmp_order);
	return true;
}

static void books_close(struct books *bk)
{
	free(bk->orders);
	free(bk->pos);
	sb_store_close(bk->st);
}

bool soak_check(const struct soak_records *x, const char *db_path, struct soak_violations *out)
{
	memset(out, 0, sizeof *out);
	struct books bk = {.st = NULL};
	struct soak_xorder *xs = sb_xmalloc((x->norders ? x->norders : 1) * sizeof *xs);
	memcpy(xs, x->orders, x->norders * sizeof *xs);
	qsort(xs, x->norders, sizeof *xs, cmp_xorder);
	bool ok = books_open(db_path, &bk, out);
	if (ok) {
		check_exchange_orders(xs, x->norders, &bk, out);
		check_db_orders(xs, x->norders, &bk, x->settled, out);
		check_balances(x, &bk, out);
		check_profits(&bk, out);
		check_windows(x, out);
		check_limits(x, &bk, out);
		if (x->settled)
			check_settled(&bk, out);
	}
	books_close(&bk);
	free(xs);
	return ok;
}

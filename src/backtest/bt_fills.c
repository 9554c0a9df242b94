/*
 * bt_fills.c - a pair's fills from the run's database (bt_fills.h): read through its positions and
 * their orders, sorted by time, then made into chart markers and the drawdown of the pair's result.
 */
#include "backtest/bt_fills.h"

#include <stdlib.h>
#include <string.h>

#include "backtest/bt_figures.h"
#include "backtest/bt_report.h"
#include "spotbot/alloc.h"

/* The growing list of fills being read. */
struct fill_list {
	struct sb_bt_fill *v; /* the fills (owned until handed over) */
	size_t n;             /* entries of v */
	size_t cap;           /* room in v */
};

/* One stored fill of a buy (or a sell) as the pair's result sees it. */
static struct sb_bt_fill fill_of(const struct sb_store_fill *s, bool buy, const char *base, const char *quote)
{
	struct sb_bt_fill f = {.time_ms = s->time_ms,
	                       .trade_id = s->trade_id,
	                       .buy = buy,
	                       .qty = s->qty,
	                       .quote_qty = s->quote_qty};
	f.base_delta = buy ? s->qty : -s->qty;
	f.quote_delta = buy ? -s->quote_qty : s->quote_qty;
	if (s->commission_asset[0] && strcmp(s->commission_asset, base) == 0)
		(void)sb_dec_sub(f.base_delta, s->commission, &f.base_delta);
	else if (s->commission_asset[0] && strcmp(s->commission_asset, quote) == 0)
		(void)sb_dec_sub(f.quote_delta, s->commission, &f.quote_delta);
	return f;
}

/* Appends the fills of position id's orders. */
static sb_err load_position(struct sb_store *st, int64_t id, const char *base, const char *quote,
                            struct fill_list *out)
{
	struct sb_store_order_filter of = {.position_id = id};
	struct sb_store_order *orders = NULL;
	size_t no = 0;
	SB_TRY(sb_store_order_list(st, &of, &orders, &no));
	sb_err err = SB_OK;
	for (size_t i = 0; i < no && err == SB_OK; i++) {
		struct sb_store_fill *rows = NULL;
		size_t nf = 0;
		err = sb_store_fill_list(st, orders[i].client_order_id, &rows, &nf);
		for (size_t k = 0; k < nf; k++) {
			if (out->n == out->cap) {
				out->cap = out->cap ? 2 * out->cap : 64;
				out->v = sb_xrealloc(out->v, out->cap * sizeof *out->v);
			}
			out->v[out->n++] = fill_of(&rows[k], orders[i].side == SB_SIDE_BUY, base, quote);
		}
		free(rows);
	}
	free(orders);
	return err;
}

static int by_time(const void *a, const void *b)
{
	const struct sb_bt_fill *x = a, *y = b;
	if (x->time_ms != y->time_ms)
		return (x->time_ms > y->time_ms) - (x->time_ms < y->time_ms);
	if (x->trade_id != y->trade_id)
		return (x->trade_id > y->trade_id) - (x->trade_id < y->trade_id);
	return (int)y->buy - (int)x->buy;
}

sb_err sb_bt_fills_load(struct sb_store *st, const char *symbol, const char *base, const char *quote,
                        struct sb_bt_fill **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	struct sb_store_position *pos = NULL;
	size_t np = 0;
	SB_TRY(sb_bt_positions(st, symbol, &pos, &np));
	struct fill_list l = {0};
	sb_err err = SB_OK;
	for (size_t i = 0; i < np && err == SB_OK; i++)
		if (pos[i].buy_qty > 0)
			err = load_position(st, pos[i].id, base, quote, &l);
	free(pos);
	if (err != SB_OK) {
		free(l.v);
		return err;
	}
	if (l.n)
		qsort(l.v, l.n, sizeof *l.v, by_time);
	*out = l.v;
	*n = l.n;
	return SB_OK;
}

/* cash + base * price, in quote. */
static sb_dec result_at(sb_dec cash, sb_dec base, sb_dec price)
{
	sb_dec v = 0, out = 0;
	(void)sb_dec_mul(base, price, SB_ROUND_DOWN, &v);
	(void)sb_dec_add(cash, v, &out);
	return out;
}

struct sb_bt_drawdown sb_bt_fills_drawdown(const struct sb_bt_fill *f, size_t n,
                                           const struct sb_bt_series *prices)
{
	struct sb_bt_drawdown dd = {0};
	sb_dec cash = 0, base = 0, peak = 0;
	int64_t peak_ms = prices->start_ms;
	size_t j = 0;
	for (size_t i = 0; i < prices->n; i++) {
		int64_t end = sb_bt_series_time(prices, i + 1);
		for (; j < n && f[j].time_ms < end; j++) {
			(void)sb_dec_add(cash, f[j].quote_delta, &cash);
			(void)sb_dec_add(base, f[j].base_delta, &base);
		}
		const struct sb_bt_point *pt = &prices->pt[i];
		if (!pt->set)
			continue;
		sb_dec now = result_at(cash, base, pt->last);
		sb_dec worst = result_at(cash, base, base > 0 ? pt->low : pt->high);
		if (now > peak) {
			peak = now;
			peak_ms = sb_bt_series_time(prices, i);
		}
		if (now < worst)
			worst = now;
		if (peak - worst > dd.amount)
			dd = (struct sb_bt_drawdown){peak - worst, peak, peak_ms,
			                             sb_bt_series_time(prices, i)};
	}
	return dd;
}

/* The fills of one side in one column. */
struct column {
	int64_t first_ms; /* the first fill's time */
	sb_dec qty;       /* their base */
	sb_dec quote;     /* their quote */
	int64_t fills;    /* how many */
};

static struct sb_bt_mark mark_of(const struct column *c, bool buy)
{
	struct sb_bt_mark m = {.time_ms = c->first_ms, .qty = c->qty, .fills = c->fills, .buy = buy};
	if (c->qty > 0)
		(void)sb_dec_div(c->quote, c->qty, SB_ROUND_HALF_EVEN, &m.price);
	return m;
}

struct sb_bt_mark *sb_bt_fills_marks(const struct sb_bt_fill *f, size_t n, int64_t from_ms, int64_t to_ms,
                                     size_t *nm)
{
	struct column *col = sb_xcalloc(2 * SB_BT_MARK_COLUMNS, sizeof *col); /* buys, then sells */
	int64_t span = to_ms > from_ms ? to_ms - from_ms : 1;
	for (size_t i = 0; i < n; i++) {
		int64_t off = f[i].time_ms - from_ms;
		off = off < 0 ? 0 : off > span ? span : off;
		size_t c = (size_t)(off * (SB_BT_MARK_COLUMNS - 1) / span);
		struct column *k = &col[(f[i].buy ? 0 : SB_BT_MARK_COLUMNS) + c];
		if (k->fills++ == 0)
			k->first_ms = f[i].time_ms;
		(void)sb_dec_add(k->qty, f[i].qty, &k->qty);
		(void)sb_dec_add(k->quote, f[i].quote_qty, &k->quote);
	}
	struct sb_bt_mark *out = sb_xmalloc((n ? n : 1) * sizeof *out);
	*nm = 0;
	for (size_t c = 0; c < SB_BT_MARK_COLUMNS; c++) {
		const struct column *b = &col[c], *s = &col[SB_BT_MARK_COLUMNS + c];
		bool sell_first = s->fills && (!b->fills || s->first_ms < b->first_ms);
		if (sell_first)
			out[(*nm)++] = mark_of(s, false);
		if (b->fills)
			out[(*nm)++] = mark_of(b, true);
		if (s->fills && !sell_first)
			out[(*nm)++] = mark_of(s, false);
	}
	free(col);
	return out;
}

sb_err sb_bt_report_fills(struct sb_store *st, const struct sb_bt_track *t, struct sb_bt_pair_report *p)
{
	size_t k = sb_bt_track_find(t, p->symbol);
	if (k == SIZE_MAX)
		return SB_OK;
	const struct sb_bt_track_pair *tp = sb_bt_track_pair(t, k);
	const struct sb_bt_series *prices = sb_bt_track_prices(t, k);
	struct sb_bt_fill *f = NULL;
	size_t n = 0;
	SB_TRY(sb_bt_fills_load(st, p->symbol, tp->base, tp->quote, &f, &n));
	free(p->marks);
	p->marks =
	    sb_bt_fills_marks(f, n, prices->start_ms, sb_bt_series_time(prices, prices->n), &p->nmarks);
	p->drawdown = sb_bt_fills_drawdown(f, n, prices);
	p->drawdown_pct = sb_bt_percent(p->drawdown.amount, p->committed);
	free(f);
	return SB_OK;
}

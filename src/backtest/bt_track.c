/*
 * bt_track.c - the run's watcher (bt_track.h): prices per pair, equity and its drawdown per step of market
 * time, and the value of holding, all in bounded series.
 */
#include "backtest/bt_track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/pairs.h"

#define SRC_VALUE ((size_t)SIZE_MAX)                    /* the asset is the value asset */
#define SRC_NONE  ((size_t)SIZE_MAX - 1)                /* no pair values the asset */
#define ROWS_MAX  (2 * SB_PAIRS_MAX + SB_BT_ASSETS_MAX) /* balances valued at one step */

struct pair_state {
	struct sb_bt_track_pair p;  /* symbol and assets */
	struct sb_bt_series prices; /* its candles */
	sb_dec first_open;          /* the first candle's open; 0 before it */
	sb_dec last_close;          /* the last candle's close; 0 before the first */
	size_t via;                 /* what values the quote: SRC_VALUE, a pair, SRC_NONE */
	sb_dec price;               /* the base's value in the value asset at the step being valued */
	sb_dec hold_qty;            /* holding: the base its share bought at the first open */
};

/* One balance row's asset and the source of its price, kept while the ledger's rows stay in place. */
struct row {
	char asset[SB_ASSET_MAX]; /* the asset's name */
	size_t src;               /* SRC_VALUE, SRC_NONE, or the pair whose base it is */
};

struct sb_bt_track {
	struct pair_state *pairs;                        /* the pairs (owned) */
	size_t npairs;                                   /* entries of pairs */
	size_t *order;                                   /* valued pairs, each after its via */
	size_t norder;                                   /* entries of order */
	char value[SB_ASSET_MAX];                        /* the value asset */
	struct sb_bt_balance fund[SB_BT_ASSETS_MAX];     /* the account's funding */
	size_t nfund;                                    /* entries of fund */
	sb_bt_balances_fn fn;                            /* the account's balances now */
	void *user;                                      /* fn's argument */
	struct row rows[ROWS_MAX];                       /* last balances' assets, price sources */
	const char *names[ROWS_MAX];                     /* fn's asset names */
	sb_dec amounts[ROWS_MAX];                        /* fn's amounts */
	sb_dec share;                                    /* holding: the value asset's start a pair */
	sb_dec rest;                                     /* holding: what the split leaves of it */
	struct sb_bt_series equity;                      /* equity per step */
	struct sb_bt_series holding;                     /* the holding's value per step */
	bool in_step;                                    /* a step's candles seen, not valued yet */
	int64_t step_open;                               /* the step's open time */
	int64_t step_end;                                /* its latest close time + 1 */
	bool started;                                    /* the first step has been valued */
	sb_dec equity_start;                             /* the start at the first opens */
	sb_dec equity_end;                               /* equity at the last step */
	sb_dec holding_end;                              /* the holding at the last step */
	sb_dec peak;                                     /* the highest equity so far */
	int64_t peak_ms;                                 /* when */
	struct sb_bt_drawdown dd;                        /* the largest drawdown so far */
	char unvalued[SB_BT_UNVALUED_MAX][SB_ASSET_MAX]; /* held, valued by no pair */
};

/* ---- set-up ---------------------------------------------------------------------------------------- */

/* The quote of the first pair whose quote is no pair's base, else the first pair's quote. */
static void choose_value(struct sb_bt_track *t)
{
	for (size_t k = 0; k < t->npairs; k++) {
		bool is_base = false;
		for (size_t j = 0; j < t->npairs && !is_base; j++)
			is_base = strcmp(t->pairs[j].p.base, t->pairs[k].p.quote) == 0;
		if (!is_base && t->pairs[k].p.quote[0]) {
			snprintf(t->value, sizeof t->value, "%s", t->pairs[k].p.quote);
			return;
		}
	}
	snprintf(t->value, sizeof t->value, "%s", t->npairs ? t->pairs[0].p.quote : "");
}

/* The valued pair whose base is asset, or SRC_NONE; the value asset is SRC_VALUE. */
static size_t source_of(const struct sb_bt_track *t, const char *asset)
{
	if (asset[0] && strcmp(asset, t->value) == 0)
		return SRC_VALUE;
	for (size_t i = 0; i < t->norder; i++)
		if (strcmp(t->pairs[t->order[i]].p.base, asset) == 0)
			return t->order[i];
	return SRC_NONE;
}

/* Orders the pairs so that each comes after the pair that values its quote; the rest stay unvalued. */
static void resolve(struct sb_bt_track *t)
{
	t->order = sb_xcalloc(t->npairs ? t->npairs : 1, sizeof *t->order);
	for (size_t k = 0; k < t->npairs; k++)
		t->pairs[k].via = SRC_NONE;
	for (bool grew = true; grew;) {
		grew = false;
		for (size_t k = 0; k < t->npairs; k++) {
			struct pair_state *p = &t->pairs[k];
			if (p->via != SRC_NONE || !p->p.base[0])
				continue;
			size_t via = source_of(t, p->p.quote);
			if (via == SRC_NONE)
				continue;
			p->via = via;
			t->order[t->norder++] = k;
			grew = true;
		}
	}
}

/* Holding: the value asset's start, split evenly over the pairs quoted in it. */
static void split(struct sb_bt_track *t)
{
	sb_dec have = 0;
	int64_t m = 0;
	for (size_t i = 0; i < t->nfund; i++)
		if (strcmp(t->fund[i].asset, t->value) == 0)
			have = t->fund[i].start;
	for (size_t k = 0; k < t->npairs; k++)
		m += strcmp(t->pairs[k].p.quote, t->value) == 0;
	t->rest = have;
	sb_dec n = 0;
	if (m == 0 || sb_dec_from_int(m, &n) != SB_OK ||
	    sb_dec_div(have, n, SB_ROUND_DOWN, &t->share) != SB_OK)
		return;
	sb_dec used = 0;
	(void)sb_dec_mul(t->share, n, SB_ROUND_DOWN, &used);
	(void)sb_dec_sub(have, used, &t->rest);
}

struct sb_bt_track *sb_bt_track_new(const struct sb_bt_track_pair *pairs, size_t npairs,
                                    const struct sb_bt_balance *start, size_t nstart, sb_bt_balances_fn fn,
                                    void *user)
{
	struct sb_bt_track *t = sb_xcalloc(1, sizeof *t);
	t->pairs = sb_xcalloc(npairs ? npairs : 1, sizeof *t->pairs);
	t->npairs = npairs;
	for (size_t k = 0; k < npairs; k++) {
		t->pairs[k].p = pairs[k];
		sb_bt_series_init(&t->pairs[k].prices);
	}
	t->nfund = nstart < SB_BT_ASSETS_MAX ? nstart : SB_BT_ASSETS_MAX;
	memcpy(t->fund, start, t->nfund * sizeof *start);
	t->fn = fn;
	t->user = user;
	for (size_t i = 0; i < ROWS_MAX; i++)
		t->rows[i].src = SRC_NONE;
	sb_bt_series_init(&t->equity);
	sb_bt_series_init(&t->holding);
	choose_value(t);
	resolve(t);
	split(t);
	return t;
}

void sb_bt_track_free(struct sb_bt_track *t)
{
	if (!t)
		return;
	free(t->order);
	free(t->pairs);
	free(t);
}

/* ---- valuing a step ------------------------------------------------------------------------------------ */

/* Each valued pair's base in the value asset, at its first opens (first) or its last closes. */
static void price_pairs(struct sb_bt_track *t, bool first)
{
	for (size_t i = 0; i < t->norder; i++) {
		struct pair_state *p = &t->pairs[t->order[i]];
		sb_dec px = first ? p->first_open : p->last_close;
		if (p->via == SRC_VALUE)
			p->price = px;
		else if (sb_dec_mul(px, t->pairs[p->via].price, SB_ROUND_DOWN, &p->price) != SB_OK)
			p->price = 0;
	}
}

/* amount of the asset whose price source is src, in the value asset (0 when not valued). */
static sb_dec value_of(const struct sb_bt_track *t, size_t src, sb_dec amount)
{
	sb_dec v = 0;
	if (src == SRC_VALUE)
		return amount;
	if (src == SRC_NONE || sb_dec_mul(amount, t->pairs[src].price, SB_ROUND_DOWN, &v) != SB_OK)
		return 0;
	return v;
}

static void note_unvalued(struct sb_bt_track *t, const char *asset)
{
	for (size_t i = 0; i < SB_BT_UNVALUED_MAX; i++) {
		if (strcmp(t->unvalued[i], asset) == 0)
			return;
		if (!t->unvalued[i][0]) {
			snprintf(t->unvalued[i], sizeof t->unvalued[i], "%s", asset);
			return;
		}
	}
}

/* The balances' value: the account's rows, their price sources cached while the rows stay in place. */
static sb_dec account_value(struct sb_bt_track *t)
{
	size_t n = t->fn(t->user, t->names, t->amounts, ROWS_MAX);
	sb_dec sum = 0;
	for (size_t i = 0; i < n && i < ROWS_MAX; i++) {
		struct row *r = &t->rows[i];
		if (strcmp(r->asset, t->names[i]) != 0) {
			snprintf(r->asset, sizeof r->asset, "%s", t->names[i]);
			r->src = source_of(t, r->asset);
		}
		if (t->amounts[i] == 0)
			continue;
		if (r->src == SRC_NONE)
			note_unvalued(t, r->asset);
		(void)sb_dec_add(sum, value_of(t, r->src, t->amounts[i]), &sum);
	}
	return sum;
}

/* The start balances at the prices of the moment (the value asset's share per pair as bought, when hold). */
static sb_dec fund_value(struct sb_bt_track *t, bool hold)
{
	sb_dec sum = 0;
	for (size_t i = 0; i < t->nfund; i++) {
		bool is_value = strcmp(t->fund[i].asset, t->value) == 0;
		if (hold && is_value)
			continue;
		sb_dec v = value_of(t, source_of(t, t->fund[i].asset), t->fund[i].start);
		(void)sb_dec_add(sum, v, &sum);
	}
	if (!hold)
		return sum;
	(void)sb_dec_add(sum, t->rest, &sum);
	for (size_t k = 0; k < t->npairs; k++) {
		const struct pair_state *p = &t->pairs[k];
		if (strcmp(p->p.quote, t->value) != 0)
			continue;
		sb_dec v = t->share;
		if (p->first_open > 0 && sb_dec_mul(p->hold_qty, p->last_close, SB_ROUND_DOWN, &v) != SB_OK)
			v = 0;
		(void)sb_dec_add(sum, v, &sum);
	}
	return sum;
}

static void note_equity(struct sb_bt_track *t, int64_t at, sb_dec equity)
{
	sb_bt_series_add(&t->equity, at, equity, equity, equity);
	if (equity > t->peak) {
		t->peak = equity;
		t->peak_ms = at;
	}
	sb_dec fall = t->peak - equity;
	if (fall > t->dd.amount)
		t->dd = (struct sb_bt_drawdown){fall, t->peak, t->peak_ms, at};
}

/* Values the step that ends: equity at its closes, the holding, the drawdown. */
static void value_step(struct sb_bt_track *t)
{
	if (!t->started) {
		price_pairs(t, true);
		t->equity_start = fund_value(t, false);
		t->peak = t->equity_start;
		t->peak_ms = t->step_open;
		sb_bt_series_add(&t->equity, t->step_open, t->equity_start, t->equity_start, t->equity_start);
		t->started = true;
	}
	price_pairs(t, false);
	t->equity_end = account_value(t);
	t->holding_end = fund_value(t, true);
	note_equity(t, t->step_end, t->equity_end);
	sb_bt_series_add(&t->holding, t->step_end, t->holding_end, t->holding_end, t->holding_end);
	t->in_step = false;
}

void sb_bt_track_candle(struct sb_bt_track *t, size_t k, const struct sb_kline *c)
{
	if (k >= t->npairs)
		return;
	if (t->in_step && c->open_time > t->step_open)
		value_step(t);
	if (!t->in_step) {
		t->in_step = true;
		t->step_open = c->open_time;
		t->step_end = c->close_time + 1;
	}
	if (c->close_time + 1 > t->step_end)
		t->step_end = c->close_time + 1;
	struct pair_state *p = &t->pairs[k];
	if (p->first_open == 0) {
		p->first_open = c->open;
		if (strcmp(p->p.quote, t->value) == 0 && c->open > 0)
			(void)sb_dec_div(t->share, c->open, SB_ROUND_DOWN, &p->hold_qty);
	}
	p->last_close = c->close;
	sb_bt_series_add(&p->prices, c->open_time, c->low, c->high, c->close);
}

void sb_bt_track_end(struct sb_bt_track *t)
{
	if (t->in_step)
		value_step(t);
}

/* ---- what it saw --------------------------------------------------------------------------------------- */

const char *sb_bt_track_value_asset(const struct sb_bt_track *t)
{
	return t->value;
}

size_t sb_bt_track_npairs(const struct sb_bt_track *t)
{
	return t->npairs;
}

size_t sb_bt_track_find(const struct sb_bt_track *t, const char *symbol)
{
	for (size_t k = 0; k < t->npairs; k++)
		if (strcmp(t->pairs[k].p.symbol, symbol) == 0)
			return k;
	return SIZE_MAX;
}

const struct sb_bt_track_pair *sb_bt_track_pair(const struct sb_bt_track *t, size_t k)
{
	return &t->pairs[k].p;
}

const struct sb_bt_series *sb_bt_track_prices(const struct sb_bt_track *t, size_t k)
{
	return &t->pairs[k].prices;
}

sb_dec sb_bt_track_first_open(const struct sb_bt_track *t, size_t k)
{
	return t->pairs[k].first_open;
}

sb_dec sb_bt_track_last_close(const struct sb_bt_track *t, size_t k)
{
	return t->pairs[k].last_close;
}

const struct sb_bt_series *sb_bt_track_equity(const struct sb_bt_track *t)
{
	return &t->equity;
}

const struct sb_bt_series *sb_bt_track_holding(const struct sb_bt_track *t)
{
	return &t->holding;
}

sb_dec sb_bt_track_equity_start(const struct sb_bt_track *t)
{
	return t->equity_start;
}

sb_dec sb_bt_track_equity_end(const struct sb_bt_track *t)
{
	return t->started ? t->equity_end : t->equity_start;
}

sb_dec sb_bt_track_holding_end(const struct sb_bt_track *t)
{
	return t->holding_end;
}

struct sb_bt_drawdown sb_bt_track_drawdown(const struct sb_bt_track *t)
{
	return t->dd;
}

const char *sb_bt_track_unvalued(const struct sb_bt_track *t, size_t i)
{
	return i < SB_BT_UNVALUED_MAX ? t->unvalued[i] : "";
}

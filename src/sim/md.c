/*
 * md.c - one symbol's public market data (see md.h): rings of recent trades and aggregate trades,
 * one ring of candles per kline interval, and the REST and stream JSON built from them.
 */
#include "sim/md.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/streams.h"
#include "spotbot/alloc.h"

#define DAY_MS  INT64_C(86400000)
#define WEEK_MS (7 * DAY_MS)

/* A ring of candles, oldest at start. */
struct kring {
	struct sim_md_candle *c; /* cap entries */
	size_t cap;              /* entries allocated */
	size_t start;            /* index of the oldest */
	size_t n;                /* entries used */
};

struct sim_md {
	char symbol[32];                           /* upper-case name */
	struct sim_md_trade trades[SIM_MD_TRADES]; /* ring of recent trades */
	size_t trades_start;                       /* oldest trade */
	size_t ntrades;                            /* trades kept */
	struct sim_md_agg aggs[SIM_MD_AGGS];       /* ring of recent aggregate trades */
	size_t aggs_start;                         /* oldest aggregate */
	size_t naggs;                              /* aggregates kept */
	int64_t next_agg_id;                       /* id of the next aggregate */
	bool agg_sealed;                           /* the newest aggregate takes no more trades */
	struct kring klines[SIM_MD_NINTERVALS];    /* candles per interval */
	uint64_t update_id;                        /* book update id */
};

/* ---- intervals --------------------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if (a % b != 0 && (a < 0) != (b < 0))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms). */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yoe + era * 400 + (*m <= 2);
}

int sim_md_interval_index(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; sim_kline_intervals[i]; i++)
		if (strcmp(name, sim_kline_intervals[i]) == 0)
			return i;
	return -1;
}

const char *sim_md_interval_name(int iv)
{
	return iv >= 0 && iv < SIM_MD_NINTERVALS ? sim_kline_intervals[iv] : "";
}

static bool is_month(int iv)
{
	return strcmp(sim_md_interval_name(iv), "1M") == 0;
}

int64_t sim_md_interval_open(int iv, int64_t t)
{
	int64_t len = sim_kline_interval_ms(sim_md_interval_name(iv));
	if (is_month(iv)) {
		int64_t y, m;
		civil_from_days(floor_div(t, DAY_MS), &y, &m);
		return days_from_civil(y, m, 1) * DAY_MS;
	}
	if (len == WEEK_MS) {
		/* 1970-01-01 was a Thursday; Binance's weeks start on Monday 1970-01-05. */
		int64_t off = 4 * DAY_MS;
		return floor_div(t - off, WEEK_MS) * WEEK_MS + off;
	}
	return floor_div(t, len) * len;
}

int64_t sim_md_interval_next(int iv, int64_t open_time)
{
	if (is_month(iv)) {
		int64_t y, m;
		civil_from_days(floor_div(open_time, DAY_MS), &y, &m);
		return m == 12 ? days_from_civil(y + 1, 1, 1) * DAY_MS
		               : days_from_civil(y, m + 1, 1) * DAY_MS;
	}
	return open_time + sim_kline_interval_ms(sim_md_interval_name(iv));
}

/* ---- store ----------------------------------------------------------------------------------------- */

sb_err sim_md_new(const char *symbol, struct sim_md **out)
{
	if (!symbol || !out || strlen(symbol) >= sizeof((struct sim_md *)0)->symbol)
		return SB_ERR_INVALID;
	struct sim_md *md = sb_xcalloc(1, sizeof *md);
	memcpy(md->symbol, symbol, strlen(symbol) + 1);
	md->next_agg_id = 1;
	for (int i = 0; i < SIM_MD_NINTERVALS; i++) {
		md->klines[i].cap = i == SIM_MD_INTERVAL_1M ? SIM_MD_KLINES_1M : SIM_MD_KLINES;
		md->klines[i].c = sb_xcalloc(md->klines[i].cap, sizeof(struct sim_md_candle));
	}
	*out = md;
	return SB_OK;
}

void sim_md_free(struct sim_md *md)
{
	if (!md)
		return;
	for (int i = 0; i < SIM_MD_NINTERVALS; i++)
		free(md->klines[i].c);
	free(md);
}

const char *sim_md_symbol(const struct sim_md *md)
{
	return md->symbol;
}

uint64_t sim_md_book_update(struct sim_md *md)
{
	return ++md->update_id;
}

uint64_t sim_md_update_id(const struct sim_md *md)
{
	return md->update_id;
}

/* Sums stay within the decimal range by saturating; volumes that large do not occur in practice. */
static sb_dec sat_add(sb_dec a, sb_dec b)
{
	sb_dec r;
	return sb_dec_add(a, b, &r) == SB_OK ? r : SB_DEC_MAX;
}

static struct sim_md_candle *kring_at(struct kring *r, size_t i)
{
	return &r->c[(r->start + i) % r->cap];
}

static const struct sim_md_candle *kring_cat(const struct kring *r, size_t i)
{
	return &r->c[(r->start + i) % r->cap];
}

static struct sim_md_candle *kring_push(struct kring *r)
{
	if (r->n == r->cap) {
		r->start = (r->start + 1) % r->cap;
		r->n--;
	}
	struct sim_md_candle *c = kring_at(r, r->n++);
	memset(c, 0, sizeof *c);
	return c;
}

static void empty_candle(struct sim_md_candle *c, int iv, int64_t open, sb_dec price)
{
	memset(c, 0, sizeof *c);
	c->open_time = open;
	c->close_time = sim_md_interval_next(iv, open) - 1;
	c->open = c->high = c->low = c->close = price;
	c->first_id = c->last_id = -1;
}

/* Appends empty candles from the one after the newest up to (not including) open. */
static void kring_fill(struct kring *r, int iv, int64_t open)
{
	struct sim_md_candle *last = kring_at(r, r->n - 1);
	sb_dec price = last->close;
	int64_t next = sim_md_interval_next(iv, last->open_time);
	int64_t len = sim_kline_interval_ms(sim_md_interval_name(iv));
	/* A gap longer than the ring keeps only its newest candles. */
	if (!is_month(iv) && (open - next) / len > (int64_t)r->cap)
		next = open - (int64_t)r->cap * len;
	while (next < open) {
		empty_candle(kring_push(r), iv, next, price);
		next = sim_md_interval_next(iv, next);
	}
}

static void kline_add(struct kring *r, int iv, const struct sim_md_trade *t)
{
	int64_t open = sim_md_interval_open(iv, t->time);
	struct sim_md_candle *c = r->n ? kring_at(r, r->n - 1) : NULL;
	if (c && open > c->open_time) {
		kring_fill(r, iv, open);
		c = NULL;
	}
	if (!c) {
		c = kring_push(r);
		empty_candle(c, iv, open, t->price);
	}
	/* A trade time before the newest candle (the clock stepped back) still lands in it. */
	if (c->trades == 0) {
		c->open = c->high = c->low = t->price;
		c->first_id = t->id;
	}
	if (t->price > c->high)
		c->high = t->price;
	if (t->price < c->low)
		c->low = t->price;
	c->close = t->price;
	c->volume = sat_add(c->volume, t->qty);
	c->quote = sat_add(c->quote, t->quote);
	if (!t->buyer_is_maker) {
		c->taker_base = sat_add(c->taker_base, t->qty);
		c->taker_quote = sat_add(c->taker_quote, t->quote);
	}
	c->trades++;
	c->last_id = t->id;
	c->last_time = t->time;
}

static void agg_add(struct sim_md *md, const struct sim_md_trade *t)
{
	struct sim_md_agg *a = md->naggs ? &md->aggs[(md->aggs_start + md->naggs - 1) % SIM_MD_AGGS] : NULL;
	if (a && !md->agg_sealed && a->price == t->price && a->buyer_is_maker == t->buyer_is_maker &&
	    a->time == t->time && a->last_id + 1 == t->id) {
		a->qty = sat_add(a->qty, t->qty);
		a->last_id = t->id;
		return;
	}
	if (md->naggs == SIM_MD_AGGS) {
		md->aggs_start = (md->aggs_start + 1) % SIM_MD_AGGS;
		md->naggs--;
	}
	a = &md->aggs[(md->aggs_start + md->naggs++) % SIM_MD_AGGS];
	a->id = md->next_agg_id++;
	a->price = t->price;
	a->qty = t->qty;
	a->first_id = a->last_id = t->id;
	a->time = t->time;
	a->buyer_is_maker = t->buyer_is_maker;
	md->agg_sealed = false;
}

void sim_md_trade(struct sim_md *md, int64_t trade_id, sb_dec price, sb_dec qty, bool buyer_is_maker,
                  int64_t time_ms)
{
	if (!md)
		return;
	if (md->ntrades == SIM_MD_TRADES) {
		md->trades_start = (md->trades_start + 1) % SIM_MD_TRADES;
		md->ntrades--;
	}
	struct sim_md_trade *t = &md->trades[(md->trades_start + md->ntrades++) % SIM_MD_TRADES];
	t->id = trade_id;
	t->price = price;
	t->qty = qty;
	if (sb_dec_mul(price, qty, SB_ROUND_DOWN, &t->quote) != SB_OK)
		t->quote = SB_DEC_MAX;
	t->buyer_is_maker = buyer_is_maker;
	t->time = time_ms;
	agg_add(md, t);
	for (int i = 0; i < SIM_MD_NINTERVALS; i++)
		kline_add(&md->klines[i], i, t);
	md->update_id++;
}

size_t sim_md_trade_count(const struct sim_md *md)
{
	return md->ntrades;
}

const struct sim_md_trade *sim_md_trade_at(const struct sim_md *md, size_t i)
{
	return i < md->ntrades ? &md->trades[(md->trades_start + i) % SIM_MD_TRADES] : NULL;
}

const struct sim_md_trade *sim_md_last_trade(const struct sim_md *md)
{
	return md->ntrades ? sim_md_trade_at(md, md->ntrades - 1) : NULL;
}

size_t sim_md_agg_count(const struct sim_md *md)
{
	return md->naggs;
}

const struct sim_md_agg *sim_md_agg_at(const struct sim_md *md, size_t i)
{
	return i < md->naggs ? &md->aggs[(md->aggs_start + i) % SIM_MD_AGGS] : NULL;
}

void sim_md_seal_agg(struct sim_md *md)
{
	md->agg_sealed = true;
}

/* ---- klines ---------------------------------------------------------------------------------------- */

/* Calls fn on every candle of iv up to the one containing now, oldest first: the kept ones, then the
 * empty ones after the last trade (at most a ring's worth). Stops when fn returns false. */
static void each_candle(const struct sim_md *md, int iv, int64_t now,
                        bool (*fn)(void *ctx, const struct sim_md_candle *c), void *ctx)
{
	const struct kring *r = &md->klines[iv];
	if (r->n == 0)
		return;
	for (size_t i = 0; i < r->n; i++)
		if (!fn(ctx, kring_cat(r, i)))
			return;
	const struct sim_md_candle *last = kring_cat(r, r->n - 1);
	int64_t cur = sim_md_interval_open(iv, now);
	int64_t next = sim_md_interval_next(iv, last->open_time);
	int64_t len = sim_kline_interval_ms(sim_md_interval_name(iv));
	if (!is_month(iv) && next < cur && (cur - next) / len > (int64_t)r->cap)
		next = cur - (int64_t)r->cap * len;
	struct sim_md_candle c;
	for (; next <= cur; next = sim_md_interval_next(iv, next)) {
		empty_candle(&c, iv, next, last->close);
		if (!fn(ctx, &c))
			return;
	}
}

struct kline_query {
	int64_t start, end;        /* bounds, < 0 when absent */
	size_t limit;              /* most rows */
	size_t skip;               /* matching candles to pass over first (newest `limit` wanted) */
	struct sim_md_candle *out; /* rows, or NULL to count only */
	size_t n;                  /* rows written */
	size_t seen;               /* candles matched so far */
};

static bool kline_collect(void *ctx, const struct sim_md_candle *c)
{
	struct kline_query *q = ctx;
	if (q->start >= 0 && c->open_time < q->start)
		return true;
	if (q->end >= 0 && c->open_time > q->end)
		return false;
	if (q->seen++ < q->skip || !q->out)
		return true;
	q->out[q->n++] = *c;
	return q->n < q->limit;
}

size_t sim_md_klines(const struct sim_md *md, int iv, int64_t start_time, int64_t end_time, size_t limit,
                     int64_t now, struct sim_md_candle *out)
{
	if (iv < 0 || iv >= SIM_MD_NINTERVALS || limit == 0)
		return 0;
	struct kline_query q = {.start = start_time, .end = end_time, .limit = limit};
	if (start_time < 0) {
		/* The newest `limit`: count the matches, then skip all but the last ones. */
		each_candle(md, iv, now, kline_collect, &q);
		q.skip = q.seen > limit ? q.seen - limit : 0;
		q.seen = 0;
	}
	q.out = out;
	each_candle(md, iv, now, kline_collect, &q);
	return q.n;
}

struct kline_find {
	int64_t open;              /* wanted open time */
	struct sim_md_candle *out; /* result */
	bool found;                /* it was seen */
};

static bool kline_match(void *ctx, const struct sim_md_candle *c)
{
	struct kline_find *f = ctx;
	if (c->open_time < f->open)
		return true;
	if (c->open_time == f->open) {
		*f->out = *c;
		f->found = true;
	}
	return false;
}

bool sim_md_kline_find(const struct sim_md *md, int iv, int64_t open_time, int64_t now,
                       struct sim_md_candle *out)
{
	if (iv < 0 || iv >= SIM_MD_NINTERVALS)
		return false;
	struct kline_find f = {.open = open_time, .out = out};
	each_candle(md, iv, now, kline_match, &f);
	return f.found;
}

bool sim_md_kline_current(const struct sim_md *md, int iv, int64_t now, struct sim_md_candle *out)
{
	if (iv < 0 || iv >= SIM_MD_NINTERVALS || md->klines[iv].n == 0)
		return false;
	const struct kring *r = &md->klines[iv];
	const struct sim_md_candle *last = kring_cat(r, r->n - 1);
	int64_t cur = sim_md_interval_open(iv, now);
	if (cur <= last->open_time) {
		*out = *last;
		return true;
	}
	empty_candle(out, iv, cur, last->close);
	return true;
}

/* ---- tickers --------------------------------------------------------------------------------------- */

void sim_md_ticker(const struct sim_md *md, int64_t now, struct sim_md_ticker *out)
{
	memset(out, 0, sizeof *out);
	out->open_time = now - DAY_MS;
	out->close_time = now;
	out->first_id = out->last_id = -1;
	const struct sim_md_trade *lt = sim_md_last_trade(md);
	if (!lt)
		return;
	out->last_price = lt->price;
	out->last_qty = lt->qty;
	const struct kring *r = &md->klines[SIM_MD_INTERVAL_1M];
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < r->n; i++) {
		const struct sim_md_candle *c = kring_cat(r, i);
		if (c->open_time + 60000 <= out->open_time || c->open_time > now || c->trades == 0)
			continue;
		if (first == SIZE_MAX) {
			first = i;
			out->open = c->open;
			out->high = c->high;
			out->low = c->low;
			out->first_id = c->first_id;
		}
		if (c->high > out->high)
			out->high = c->high;
		if (c->low < out->low)
			out->low = c->low;
		out->volume = sat_add(out->volume, c->volume);
		out->quote = sat_add(out->quote, c->quote);
		out->count += c->trades;
		out->last_id = c->last_id;
	}
	if (first == SIZE_MAX) {
		/* Nothing traded in the window: the market sat at the last price. */
		out->open = out->high = out->low = out->prev_close = out->last_price;
		return;
	}
	out->prev_close = first > 0 ? kring_cat(r, first - 1)->close : 0;
	if (sb_dec_sub(out->last_price, out->open, &out->price_change) != SB_OK)
		out->price_change = 0;
	if (out->open > 0 && sb_dec_muldiv(out->price_change, SB_DEC_C(100, 0), out->open, SB_ROUND_HALF_EVEN,
	                                   &out->change_pct) != SB_OK)
		out->change_pct = 0;
	if (out->volume > 0 &&
	    sb_dec_div(out->quote, out->volume, SB_ROUND_HALF_EVEN, &out->weighted_avg) != SB_OK)
		out->weighted_avg = 0;
}

bool sim_md_avg_price(const struct sim_md *md, int64_t now, sb_dec *price, int64_t *close_time)
{
	const struct sim_md_trade *lt = sim_md_last_trade(md);
	if (!lt)
		return false;
	const struct kring *r = &md->klines[SIM_MD_INTERVAL_1S];
	sb_dec vol = 0, quote = 0;
	int64_t last = 0;
	for (size_t i = r->n; i-- > 0;) {
		const struct sim_md_candle *c = kring_cat(r, i);
		if (c->open_time + 1000 <= now - 300000)
			break;
		if (c->open_time > now || c->trades == 0)
			continue;
		vol = sat_add(vol, c->volume);
		quote = sat_add(quote, c->quote);
		if (c->last_time > last)
			last = c->last_time;
	}
	if (vol == 0 || sb_dec_div(quote, vol, SB_ROUND_HALF_EVEN, price) != SB_OK) {
		*price = lt->price;
		*close_time = lt->time;
		return true;
	}
	*close_time = last;
	return true;
}

/* Appends "key": decimal-string. */
static void kdec(struct sb_buf *j, const char *key, sb_dec v)
{
	sb_buf_puts(j, key);
	sb_json_dec(j, v);
}

static void kint(struct sb_buf *j, const char *key, int64_t v)
{
	sb_buf_printf(j, "%s%lld", key, (long long)v);
}

/* A percentage with 3 decimals, as Binance prints priceChangePercent ("-0.524"). */
static void kpct(struct sb_buf *j, const char *key, sb_dec pct)
{
	char buf[SB_DEC_STRLEN];
	sb_dec_format_places(pct, 3, SB_ROUND_HALF_EVEN, buf, sizeof buf);
	sb_buf_printf(j, "%s\"%s\"", key, buf);
}

static const char *jbool(bool b)
{
	return b ? "true" : "false";
}

void sim_md_json_trade(struct sb_buf *j, const struct sim_md_trade *t)
{
	kint(j, "{\"id\":", t->id);
	kdec(j, ",\"price\":", t->price);
	kdec(j, ",\"qty\":", t->qty);
	kdec(j, ",\"quoteQty\":", t->quote);
	kint(j, ",\"time\":", t->time);
	sb_buf_printf(j, ",\"isBuyerMaker\":%s,\"isBestMatch\":true}", jbool(t->buyer_is_maker));
}

void sim_md_json_agg(struct sb_buf *j, const struct sim_md_agg *a)
{
	kint(j, "{\"a\":", a->id);
	kdec(j, ",\"p\":", a->price);
	kdec(j, ",\"q\":", a->qty);
	kint(j, ",\"f\":", a->first_id);
	kint(j, ",\"l\":", a->last_id);
	kint(j, ",\"T\":", a->time);
	sb_buf_printf(j, ",\"m\":%s,\"M\":true}", jbool(a->buyer_is_maker));
}

void sim_md_json_kline(struct sb_buf *j, const struct sim_md_candle *c)
{
	kint(j, "[", c->open_time);
	kdec(j, ",", c->open);
	kdec(j, ",", c->high);
	kdec(j, ",", c->low);
	kdec(j, ",", c->close);
	kdec(j, ",", c->volume);
	kint(j, ",", c->close_time);
	kdec(j, ",", c->quote);
	kint(j, ",", c->trades);
	kdec(j, ",", c->taker_base);
	kdec(j, ",", c->taker_quote);
	sb_buf_puts(j, ",\"0\"]");
}

void sim_md_json_ticker(struct sb_buf *j, const char *symbol, const struct sim_md_ticker *t, bool mini)
{
	sb_buf_printf(j, "{\"symbol\":\"%s\"", symbol);
	if (!mini) {
		kdec(j, ",\"priceChange\":", t->price_change);
		kpct(j, ",\"priceChangePercent\":", t->change_pct);
		kdec(j, ",\"weightedAvgPrice\":", t->weighted_avg);
		kdec(j, ",\"prevClosePrice\":", t->prev_close);
		kdec(j, ",\"lastPrice\":", t->last_price);
		kdec(j, ",\"lastQty\":", t->last_qty);
		kdec(j, ",\"bidPrice\":", t->bid_price);
		kdec(j, ",\"bidQty\":", t->bid_qty);
		kdec(j, ",\"askPrice\":", t->ask_price);
		kdec(j, ",\"askQty\":", t->ask_qty);
	}
	kdec(j, ",\"openPrice\":", t->open);
	kdec(j, ",\"highPrice\":", t->high);
	kdec(j, ",\"lowPrice\":", t->low);
	if (mini)
		kdec(j, ",\"lastPrice\":", t->last_price);
	kdec(j, ",\"volume\":", t->volume);
	kdec(j, ",\"quoteVolume\":", t->quote);
	kint(j, ",\"openTime\":", t->open_time);
	kint(j, ",\"closeTime\":", t->close_time);
	kint(j, ",\"firstId\":", t->first_id);
	kint(j, ",\"lastId\":", t->last_id);
	kint(j, ",\"count\":", t->count);
	sb_buf_puts(j, "}");
}

void sim_md_event_trade(struct sb_buf *j, const char *symbol, const struct sim_md_trade *t, int64_t E)
{
	sb_buf_printf(j, "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\"", (long long)E, symbol);
	kint(j, ",\"t\":", t->id);
	kdec(j, ",\"p\":", t->price);
	kdec(j, ",\"q\":", t->qty);
	kint(j, ",\"T\":", t->time);
	sb_buf_printf(j, ",\"m\":%s,\"M\":true}", jbool(t->buyer_is_maker));
}

void sim_md_event_agg(struct sb_buf *j, const char *symbol, const struct sim_md_agg *a, int64_t E)
{
	sb_buf_printf(j, "{\"e\":\"aggTrade\",\"E\":%lld,\"s\":\"%s\"", (long long)E, symbol);
	kint(j, ",\"a\":", a->id);
	kdec(j, ",\"p\":", a->price);
	kdec(j, ",\"q\":", a->qty);
	kint(j, ",\"f\":", a->first_id);
	kint(j, ",\"l\":", a->last_id);
	kint(j, ",\"T\":", a->time);
	sb_buf_printf(j, ",\"m\":%s,\"M\":true}", jbool(a->buyer_is_maker));
}

void sim_md_event_kline(struct sb_buf *j, const char *symbol, int iv, const struct sim_md_candle *c,
                        bool closed, int64_t E)
{
	sb_buf_printf(j, "{\"e\":\"kline\",\"E\":%lld,\"s\":\"%s\",\"k\":{", (long long)E, symbol);
	kint(j, "\"t\":", c->open_time);
	kint(j, ",\"T\":", c->close_time);
	sb_buf_printf(j, ",\"s\":\"%s\",\"i\":\"%s\"", symbol, sim_md_interval_name(iv));
	kint(j, ",\"f\":", c->first_id);
	kint(j, ",\"L\":", c->last_id);
	kdec(j, ",\"o\":", c->open);
	kdec(j, ",\"c\":", c->close);
	kdec(j, ",\"h\":", c->high);
	kdec(j, ",\"l\":", c->low);
	kdec(j, ",\"v\":", c->volume);
	kint(j, ",\"n\":", c->trades);
	sb_buf_printf(j, ",\"x\":%s", jbool(closed));
	kdec(j, ",\"q\":", c->quote);
	kdec(j, ",\"V\":", c->taker_base);
	kdec(j, ",\"Q\":", c->taker_quote);
	sb_buf_puts(j, ",\"B\":\"0\"}}");
}

void sim_md_event_ticker(struct sb_buf *j, const char *symbol, const struct sim_md_ticker *t, int64_t E)
{
	sb_buf_printf(j, "{\"e\":\"24hrTicker\",\"E\":%lld,\"s\":\"%s\"", (long long)E, symbol);
	kdec(j, ",\"p\":", t->price_change);
	kpct(j, ",\"P\":", t->change_pct);
	kdec(j, ",\"w\":", t->weighted_avg);
	kdec(j, ",\"x\":", t->prev_close);
	kdec(j, ",\"c\":", t->last_price);
	kdec(j, ",\"Q\":", t->last_qty);
	kdec(j, ",\"b\":", t->bid_price);
	kdec(j, ",\"B\":", t->bid_qty);
	kdec(j, ",\"a\":", t->ask_price);
	kdec(j, ",\"A\":", t->ask_qty);
	kdec(j, ",\"o\":", t->open);
	kdec(j, ",\"h\":", t->high);
	kdec(j, ",\"l\":", t->low);
	kdec(j, ",\"v\":", t->volume);
	kdec(j, ",\"q\":", t->quote);
	kint(j, ",\"O\":", t->open_time);
	kint(j, ",\"C\":", t->close_time);
	kint(j, ",\"F\":", t->first_id);
	kint(j, ",\"L\":", t->last_id);
	kint(j, ",\"n\":", t->count);
	sb_buf_puts(j, "}");
}

void sim_md_event_mini_ticker(struct sb_buf *j, const char *symbol, const struct sim_md_ticker *t, int64_t E)
{
	sb_buf_printf(j, "{\"e\":\"24hrMiniTicker\",\"E\":%lld,\"s\":\"%s\"", (long long)E, symbol);
	kdec(j, ",\"c\":", t->last_price);
	kdec(j, ",\"o\":", t->open);
	kdec(j, ",\"h\":", t->high);
	kdec(j, ",\"l\":", t->low);
	kdec(j, ",\"v\":", t->volume);
	kdec(j, ",\"q\":", t->quote);
	sb_buf_puts(j, "}");
}

/*
 * mstreams.c - spotsim's market streams (see mstreams.h).
 *
 * Every stream name with at least one subscriber is a topic, listed under its symbol with the
 * connections subscribed to it. A payload is formatted once per topic and event - raw, and wrapped as
 * {"stream":...,"data":...} only if a combined connection wants it - and the same bytes are queued on
 * every subscriber. Trades and aggregate trades are read back from the symbol's md by trade id, so user
 * fills recorded there between feed events go out too, in id order. Real-time streams (trade, aggTrade,
 * bookTicker) go out on each feed event; depth, tickers and klines on a 100 ms timer.
 */
#include "sim/mstreams.h"

#include <stdlib.h>
#include <string.h>

#include "sim/md.h"
#include "sim/streams.h"
#include "spotbot/alloc.h"

#define DIFF_LEVELS     1000 /* levels a side compared for depth diffs */
#define MSGS_PER_SECOND 5    /* Binance's incoming message limit per connection */
#define CLOSE_POLICY    1008 /* WebSocket close code for a policy violation */

struct ms_conn;

/* One stream name that has subscribers. */
struct ms_topic {
	char name[SIM_STREAM_NAME_MAX]; /* stream name */
	struct sim_stream st;           /* parsed name */
	size_t sym;                     /* index of its symbol in ex->symbols */
	int iv;                         /* kline interval index, -1 otherwise */
	int64_t kline_open;             /* open time of the candle last pushed, 0 before */
	struct ms_conn **conns;         /* subscribers */
	size_t n;                       /* subscribers used */
	size_t cap;                     /* subscribers allocated */
	struct ms_topic *next;          /* next topic of the same symbol */
};

/* One connection. */
struct ms_conn {
	struct sim_ws_conn *ws;   /* the server's connection */
	struct sim_subs subs;     /* its subscriptions */
	struct ms_topic **topics; /* topics it is in */
	size_t ntopics;           /* used */
	size_t cap;               /* allocated */
	int64_t win_start;        /* start of the current one-second message window (monotonic ms) */
	unsigned win_count;       /* messages in it */
	bool closing;             /* closed by us or dropped for a full queue: send nothing more */
};

/* The last depth sent on one diff stream cadence. */
struct ms_depth {
	bool init;                   /* a snapshot has been taken */
	uint64_t last_u;             /* update id of that snapshot */
	struct sim_book_level *bids; /* its bids, best first */
	struct sim_book_level *asks; /* its asks, best first */
	size_t nb;                   /* bids used */
	size_t na;                   /* asks used */
};

/* Per listed symbol. */
struct ms_symbol {
	struct ms_topic *topics; /* topics of this symbol */
	int64_t last_trade_id;   /* newest trade streamed */
	int64_t last_agg_id;     /* newest aggregate trade streamed */
	struct ms_depth diff[2]; /* depth diff state: [0] 1000 ms, [1] 100 ms */
};

struct sim_mstreams {
	struct sim_exchange *ex;   /* the exchange */
	struct sim_mstreams_io io; /* how connections are reached */
	struct ms_symbol *syms;    /* one per ex->symbols entry */
	uv_timer_t timer;          /* 100 ms pushes */
	bool timer_running;        /* timer started (and not closed) */
	uint64_t tick;             /* timer steps so far */
	struct sb_buf raw;         /* payload being sent */
	struct sb_buf wrapped;     /* its combined-stream form */
	bool wrapped_ready;        /* wrapped holds raw's wrapping for the current topic */
	struct sim_book_level *cb; /* scratch: current bids */
	struct sim_book_level *ca; /* scratch: current asks */
	uint64_t sent;             /* messages queued */
};

static void on_timer(uv_timer_t *timer);

static void *default_user(const struct sim_ws_conn *conn)
{
	return sim_ws_user(conn);
}

sb_err sim_mstreams_new(struct sim_exchange *ex, struct sim_mstreams **out)
{
	if (!ex || !out)
		return SB_ERR_INVALID;
	struct sim_mstreams *ms = sb_xcalloc(1, sizeof *ms);
	ms->ex = ex;
	ms->io.send = sim_ws_send;
	ms->io.close = sim_ws_close;
	ms->io.set_user = sim_ws_set_user;
	ms->io.user = default_user;
	ms->syms = sb_xcalloc(ex->nsymbols ? ex->nsymbols : 1, sizeof *ms->syms);
	for (size_t i = 0; i < ex->nsymbols; i++) {
		const struct sim_md_trade *t =
		    ex->symbols[i].md ? sim_md_last_trade(ex->symbols[i].md) : NULL;
		size_t na = ex->symbols[i].md ? sim_md_agg_count(ex->symbols[i].md) : 0;
		ms->syms[i].last_trade_id = t ? t->id : 0;
		ms->syms[i].last_agg_id = na ? sim_md_agg_at(ex->symbols[i].md, na - 1)->id : 0;
	}
	ms->cb = sb_xcalloc(DIFF_LEVELS, sizeof *ms->cb);
	ms->ca = sb_xcalloc(DIFF_LEVELS, sizeof *ms->ca);
	sb_buf_init(&ms->raw, SB_JSON_MAX);
	sb_buf_init(&ms->wrapped, SB_JSON_MAX);
	if (ex->loop) {
		uv_timer_init(ex->loop, &ms->timer);
		ms->timer.data = ms;
		ms->timer_running = true;
	}
	if (ex->loop)
		uv_timer_start(&ms->timer, on_timer, 100, 100);
	*out = ms;
	return SB_OK;
}

void sim_mstreams_set_io(struct sim_mstreams *ms, const struct sim_mstreams_io *io)
{
	ms->io = *io;
}

uint64_t sim_mstreams_sent(const struct sim_mstreams *ms)
{
	return ms->sent;
}

/* ---- topics ------------------------------------------------------------------------------------------- */

static struct ms_symbol *symbol_state(struct sim_mstreams *ms, const char *name, size_t *idx)
{
	for (size_t i = 0; i < ms->ex->nsymbols; i++)
		if (strcmp(ms->ex->symbols[i].rules.symbol, name) == 0) {
			*idx = i;
			return &ms->syms[i];
		}
	return NULL;
}

static void depth_snapshot(struct sim_symbol *sym, struct ms_depth *d)
{
	if (!d->bids) {
		d->bids = sb_xcalloc(DIFF_LEVELS, sizeof *d->bids);
		d->asks = sb_xcalloc(DIFF_LEVELS, sizeof *d->asks);
	}
	d->nb = sym->book ? sim_book_depth(sym->book, SB_SIDE_BUY, d->bids, DIFF_LEVELS) : 0;
	d->na = sym->book ? sim_book_depth(sym->book, SB_SIDE_SELL, d->asks, DIFF_LEVELS) : 0;
	d->last_u = sym->md ? sim_md_update_id(sym->md) : 0;
	d->init = true;
}

static struct ms_topic *topic_get(struct sim_mstreams *ms, const char *name)
{
	struct sim_stream st;
	size_t idx;
	if (sim_stream_parse(name, &st) != SB_OK)
		return NULL;
	struct ms_symbol *s = symbol_state(ms, st.symbol, &idx);
	if (!s)
		return NULL; /* Binance accepts names of unlisted symbols; they just never carry data */
	for (struct ms_topic *t = s->topics; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	struct ms_topic *t = sb_xcalloc(1, sizeof *t);
	memcpy(t->name, name, strlen(name) + 1);
	t->st = st;
	t->sym = idx;
	t->iv = st.kind == SIM_STREAM_KLINE ? sim_md_interval_index(st.interval) : -1;
	t->next = s->topics;
	s->topics = t;
	if (st.kind == SIM_STREAM_DEPTH && !s->diff[st.fast].init)
		depth_snapshot(&ms->ex->symbols[idx], &s->diff[st.fast]);
	return t;
}

static void topic_remove_conn(struct sim_mstreams *ms, struct ms_topic *t, struct ms_conn *c)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->conns[i] == c) {
			t->conns[i] = t->conns[--t->n];
			break;
		}
	if (t->n > 0)
		return;
	struct ms_symbol *s = &ms->syms[t->sym];
	for (struct ms_topic **pp = &s->topics; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	free(t->conns);
	free(t);
}

static void conn_leave_all(struct sim_mstreams *ms, struct ms_conn *c)
{
	for (size_t i = 0; i < c->ntopics; i++)
		topic_remove_conn(ms, c->topics[i], c);
	c->ntopics = 0;
}

/* Makes the topics the connection is in match its subscription set. */
static void conn_sync(struct sim_mstreams *ms, struct ms_conn *c)
{
	conn_leave_all(ms, c);
	for (unsigned i = 0; i < c->subs.count; i++) {
		struct ms_topic *t = topic_get(ms, c->subs.names[i]);
		if (!t)
			continue;
		if (t->n == t->cap) {
			t->cap = t->cap ? t->cap * 2 : 4;
			t->conns = sb_xrealloc(t->conns, t->cap * sizeof *t->conns);
		}
		t->conns[t->n++] = c;
		if (c->ntopics == c->cap) {
			c->cap = c->cap ? c->cap * 2 : 8;
			c->topics = sb_xrealloc(c->topics, c->cap * sizeof *c->topics);
		}
		c->topics[c->ntopics++] = t;
	}
}

/* ---- connections -------------------------------------------------------------------------------------- */

static void conn_close(struct sim_mstreams *ms, struct ms_conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	ms->io.close(c->ws, CLOSE_POLICY, why);
}

bool sim_mstreams_open(struct sim_mstreams *ms, struct sim_ws_conn *conn, const char *path)
{
	struct ms_conn *c = sb_xcalloc(1, sizeof *c);
	sb_err e = sim_subs_from_path(&c->subs, path);
	if (e == SB_ERR_NOT_FOUND) {
		free(c);
		return false;
	}
	c->ws = conn;
	ms->io.set_user(conn, c);
	if (e == SB_ERR_INVALID && strncmp(path, "/ws/", 4) == 0 && !strchr(path, '@')) {
		/* Binance opens /ws/<anything that is no stream name> with no streams; ccxt connects to
		 * /ws/<n> and SUBSCRIBEs afterwards. A malformed stream name (with its '@') still closes
		 * below. */
		memset(&c->subs, 0, sizeof c->subs);
	} else if (e != SB_OK) {
		conn_close(ms, c, "Invalid request");
		return true;
	}
	conn_sync(ms, c);
	return true;
}

void sim_mstreams_message_at(struct sim_mstreams *ms, struct sim_ws_conn *conn, const char *data, size_t len,
                             int64_t mono_ms)
{
	struct ms_conn *c = ms->io.user(conn);
	if (!c || c->closing)
		return;
	if (mono_ms - c->win_start >= 1000 || mono_ms < c->win_start) {
		c->win_start = mono_ms;
		c->win_count = 0;
	}
	if (++c->win_count > MSGS_PER_SECOND) {
		conn_close(ms, c, "Too many requests");
		return;
	}
	char *reply = sim_subs_control(&c->subs, data, len);
	if (!ms->io.send(conn, reply, strlen(reply)))
		c->closing = true;
	else
		ms->sent++;
	free(reply);
	conn_sync(ms, c);
}

void sim_mstreams_message(struct sim_mstreams *ms, struct sim_ws_conn *conn, const char *data, size_t len)
{
	int64_t mono = ms->ex->loop ? (int64_t)uv_now(ms->ex->loop) : 0;
	sim_mstreams_message_at(ms, conn, data, len, mono);
}

void sim_mstreams_close(struct sim_mstreams *ms, struct sim_ws_conn *conn)
{
	struct ms_conn *c = ms->io.user(conn);
	if (!c)
		return;
	conn_leave_all(ms, c);
	ms->io.set_user(conn, NULL);
	free(c->topics);
	free(c);
}

/* ---- publishing --------------------------------------------------------------------------------------- */

/* Sends ms->raw to every subscriber of t, wrapping it once if a combined connection needs it. */
static void publish(struct sim_mstreams *ms, struct ms_topic *t)
{
	if (ms->raw.overflow)
		return;
	bool wrapped = false;
	for (size_t i = 0; i < t->n; i++) {
		struct ms_conn *c = t->conns[i];
		if (c->closing)
			continue;
		const char *text = ms->raw.p;
		size_t len = ms->raw.len;
		if (c->subs.combined) {
			if (!wrapped) {
				sb_buf_reset(&ms->wrapped);
				sb_buf_printf(&ms->wrapped, "{\"stream\":\"%s\",\"data\":", t->name);
				sb_buf_put(&ms->wrapped, ms->raw.p, ms->raw.len);
				sb_buf_puts(&ms->wrapped, "}");
				wrapped = true;
			}
			text = ms->wrapped.p;
			len = ms->wrapped.len;
		}
		if (!ms->io.send(c->ws, text, len))
			c->closing = true; /* the server closes it as a slow consumer */
		else
			ms->sent++;
	}
}

static struct ms_topic *find_kind(struct ms_symbol *s, enum sim_stream_kind kind)
{
	for (struct ms_topic *t = s->topics; t; t = t->next)
		if (t->st.kind == kind)
			return t;
	return NULL;
}

static void send_trades(struct sim_mstreams *ms, struct ms_symbol *s, struct sim_symbol *sym, int64_t now)
{
	struct sim_md *md = sym->md;
	struct ms_topic *tt = find_kind(s, SIM_STREAM_TRADE);
	size_t n = sim_md_trade_count(md), i = n;
	while (i > 0 && sim_md_trade_at(md, i - 1)->id > s->last_trade_id)
		i--;
	for (; i < n; i++) {
		const struct sim_md_trade *t = sim_md_trade_at(md, i);
		if (tt) {
			sb_buf_reset(&ms->raw);
			sim_md_event_trade(&ms->raw, sym->rules.symbol, t, now);
			publish(ms, tt);
		}
		s->last_trade_id = t->id;
	}
	struct ms_topic *at = find_kind(s, SIM_STREAM_AGG_TRADE);
	n = sim_md_agg_count(md);
	i = n;
	while (i > 0 && sim_md_agg_at(md, i - 1)->id > s->last_agg_id)
		i--;
	for (; i < n; i++) {
		const struct sim_md_agg *a = sim_md_agg_at(md, i);
		if (at) {
			sb_buf_reset(&ms->raw);
			sim_md_event_agg(&ms->raw, sym->rules.symbol, a, now);
			publish(ms, at);
		}
		s->last_agg_id = a->id;
	}
	/* Once streamed, an aggregate is final. */
	sim_md_seal_agg(md);
}

static void send_book_ticker(struct sim_mstreams *ms, struct ms_topic *t, struct sim_symbol *sym)
{
	struct sim_book_level bid = {0, 0}, ask = {0, 0};
	if (sym->book) {
		sim_book_best(sym->book, SB_SIDE_BUY, &bid);
		sim_book_best(sym->book, SB_SIDE_SELL, &ask);
	}
	struct sb_buf *j = &ms->raw;
	sb_buf_reset(j);
	sb_buf_printf(j, "{\"u\":%llu,\"s\":\"%s\",\"b\":", (unsigned long long)sim_md_update_id(sym->md),
	              sym->rules.symbol);
	sb_json_dec(j, bid.price);
	sb_buf_puts(j, ",\"B\":");
	sb_json_dec(j, bid.qty);
	sb_buf_puts(j, ",\"a\":");
	sb_json_dec(j, ask.price);
	sb_buf_puts(j, ",\"A\":");
	sb_json_dec(j, ask.qty);
	sb_buf_puts(j, "}");
	publish(ms, t);
}

void sim_mstreams_market_at(struct sim_mstreams *ms, struct sim_symbol *sym, int64_t now)
{
	if (!ms || !sym || !sym->md)
		return;
	size_t idx = (size_t)(sym - ms->ex->symbols);
	if (idx >= ms->ex->nsymbols)
		return;
	struct ms_symbol *s = &ms->syms[idx];
	sim_md_book_update(sym->md);
	send_trades(ms, s, sym, now);
	struct ms_topic *bt = find_kind(s, SIM_STREAM_BOOK_TICKER);
	if (bt)
		send_book_ticker(ms, bt, sym);
}

void sim_mstreams_on_market(struct sim_mstreams *ms, struct sim_symbol *sym, const struct sim_event *ev,
                            int64_t trade_id, int64_t time_ms)
{
	(void)ev;
	(void)trade_id;
	(void)time_ms;
	sim_mstreams_market_at(ms, sym, sim_exchange_now(ms->ex));
}

/* ---- periodic pushes ---------------------------------------------------------------------------------- */

static void json_levels(struct sb_buf *j, const struct sim_book_level *lv, size_t n)
{
	sb_buf_puts(j, "[");
	for (size_t i = 0; i < n; i++) {
		sb_buf_puts(j, i ? ",[" : "[");
		sb_json_dec(j, lv[i].price);
		sb_buf_puts(j, ",");
		sb_json_dec(j, lv[i].qty);
		sb_buf_puts(j, "]");
	}
	sb_buf_puts(j, "]");
}

static void send_partial(struct sim_mstreams *ms, struct ms_topic *t, struct sim_symbol *sym)
{
	struct sim_book_level bids[20], asks[20];
	size_t nb = sym->book ? sim_book_depth(sym->book, SB_SIDE_BUY, bids, t->st.levels) : 0;
	size_t na = sym->book ? sim_book_depth(sym->book, SB_SIDE_SELL, asks, t->st.levels) : 0;
	sb_buf_reset(&ms->raw);
	sb_buf_printf(&ms->raw,
	              "{\"lastUpdateId\":%llu,\"bids\":", (unsigned long long)sim_md_update_id(sym->md));
	json_levels(&ms->raw, bids, nb);
	sb_buf_puts(&ms->raw, ",\"asks\":");
	json_levels(&ms->raw, asks, na);
	sb_buf_puts(&ms->raw, "}");
	publish(ms, t);
}

/* Appends the levels of cur that differ from prev, and prev's vanished prices with quantity 0. better()
 * orders prices best first for the side. Returns how many were written. */
static size_t diff_side(struct sb_buf *j, const struct sim_book_level *prev, size_t np,
                        const struct sim_book_level *cur, size_t nc, bool bids)
{
	size_t i = 0, k = 0, out = 0;
	sb_buf_puts(j, "[");
	while (i < np || k < nc) {
		sb_dec price, qty;
		if (i < np && k < nc && prev[i].price == cur[k].price) {
			price = cur[k].price;
			qty = cur[k].qty;
			bool same = prev[i].qty == cur[k].qty;
			i++;
			k++;
			if (same)
				continue;
		} else if (k >= nc ||
		           (i < np && (bids ? prev[i].price > cur[k].price : prev[i].price < cur[k].price))) {
			price = prev[i++].price;
			qty = 0;
		} else {
			price = cur[k].price;
			qty = cur[k++].qty;
		}
		sb_buf_puts(j, out++ ? ",[" : "[");
		sb_json_dec(j, price);
		sb_buf_puts(j, ",");
		sb_json_dec(j, qty);
		sb_buf_puts(j, "]");
	}
	sb_buf_puts(j, "]");
	return out;
}

static void send_diff(struct sim_mstreams *ms, struct ms_topic *t, struct ms_symbol *s,
                      struct sim_symbol *sym, int64_t now)
{
	struct ms_depth *d = &s->diff[t->st.fast];
	if (!d->init)
		depth_snapshot(sym, d);
	uint64_t u = sim_md_update_id(sym->md);
	if (u == d->last_u)
		return;
	size_t nb = sym->book ? sim_book_depth(sym->book, SB_SIDE_BUY, ms->cb, DIFF_LEVELS) : 0;
	size_t na = sym->book ? sim_book_depth(sym->book, SB_SIDE_SELL, ms->ca, DIFF_LEVELS) : 0;
	struct sb_buf *j = &ms->raw;
	sb_buf_reset(j);
	sb_buf_printf(
	    j, "{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":\"%s\",\"U\":%llu,\"u\":%llu,\"b\":", (long long)now,
	    sym->rules.symbol, (unsigned long long)(d->last_u + 1), (unsigned long long)u);
	size_t changed = diff_side(j, d->bids, d->nb, ms->cb, nb, true);
	sb_buf_puts(j, ",\"a\":");
	changed += diff_side(j, d->asks, d->na, ms->ca, na, false);
	sb_buf_puts(j, "}");
	if (changed == 0)
		return; /* the next event's U..u covers these ids */
	publish(ms, t);
	memcpy(d->bids, ms->cb, nb * sizeof *d->bids);
	memcpy(d->asks, ms->ca, na * sizeof *d->asks);
	d->nb = nb;
	d->na = na;
	d->last_u = u;
}

static void send_kline(struct sim_mstreams *ms, struct ms_topic *t, struct sim_symbol *sym, bool push,
                       int64_t now)
{
	struct sim_md_candle cur, prev;
	if (!sim_md_kline_current(sym->md, t->iv, now, &cur))
		return;
	if (t->kline_open && cur.open_time > t->kline_open &&
	    sim_md_kline_find(sym->md, t->iv, t->kline_open, now, &prev)) {
		sb_buf_reset(&ms->raw);
		sim_md_event_kline(&ms->raw, sym->rules.symbol, t->iv, &prev, true, now);
		publish(ms, t);
	}
	t->kline_open = cur.open_time;
	if (!push)
		return;
	sb_buf_reset(&ms->raw);
	sim_md_event_kline(&ms->raw, sym->rules.symbol, t->iv, &cur, false, now);
	publish(ms, t);
}

static void tick_symbol(struct sim_mstreams *ms, struct ms_symbol *s, struct sim_symbol *sym, uint64_t tick,
                        int64_t now)
{
	bool second = tick % 10 == 0, two = tick % 20 == 0;
	bool have_ticker = false;
	struct sim_md_ticker tk;
	for (struct ms_topic *t = s->topics; t; t = t->next) {
		switch (t->st.kind) {
		case SIM_STREAM_DEPTH:
			if (t->st.fast || second)
				send_diff(ms, t, s, sym, now);
			break;
		case SIM_STREAM_DEPTH_LEVELS:
			if (t->st.fast || second)
				send_partial(ms, t, sym);
			break;
		case SIM_STREAM_KLINE:
			if (second)
				send_kline(ms, t, sym, t->iv == SIM_MD_INTERVAL_1S || two, now);
			break;
		case SIM_STREAM_TICKER:
		case SIM_STREAM_MINI_TICKER:
			if (!second || !sim_md_last_trade(sym->md))
				break;
			if (!have_ticker) {
				sim_md_ticker(sym->md, now, &tk);
				struct sim_book_level lv;
				if (sym->book && sim_book_best(sym->book, SB_SIDE_BUY, &lv)) {
					tk.bid_price = lv.price;
					tk.bid_qty = lv.qty;
				}
				if (sym->book && sim_book_best(sym->book, SB_SIDE_SELL, &lv)) {
					tk.ask_price = lv.price;
					tk.ask_qty = lv.qty;
				}
				have_ticker = true;
			}
			sb_buf_reset(&ms->raw);
			if (t->st.kind == SIM_STREAM_TICKER)
				sim_md_event_ticker(&ms->raw, sym->rules.symbol, &tk, now);
			else
				sim_md_event_mini_ticker(&ms->raw, sym->rules.symbol, &tk, now);
			publish(ms, t);
			break;
		default:
			break;
		}
	}
}

void sim_mstreams_tick(struct sim_mstreams *ms, uint64_t tick, int64_t now)
{
	for (size_t i = 0; i < ms->ex->nsymbols; i++)
		if (ms->syms[i].topics && ms->ex->symbols[i].md)
			tick_symbol(ms, &ms->syms[i], &ms->ex->symbols[i], tick, now);
}

static void on_timer(uv_timer_t *timer)
{
	struct sim_mstreams *ms = timer->data;
	sim_mstreams_tick(ms, ms->tick++, sim_exchange_now(ms->ex));
}

void sim_mstreams_stop(struct sim_mstreams *ms)
{
	if (!ms || !ms->timer_running)
		return;
	uv_timer_stop(&ms->timer);
	uv_close((uv_handle_t *)&ms->timer, NULL);
	ms->timer_running = false;
}

void sim_mstreams_free(struct sim_mstreams *ms)
{
	if (!ms)
		return;
	for (size_t i = 0; i < ms->ex->nsymbols; i++) {
		struct ms_symbol *s = &ms->syms[i];
		while (s->topics) {
			struct ms_topic *t = s->topics;
			s->topics = t->next;
			free(t->conns);
			free(t);
		}
		for (int k = 0; k < 2; k++) {
			free(s->diff[k].bids);
			free(s->diff[k].asks);
		}
	}
	free(ms->syms);
	free(ms->cb);
	free(ms->ca);
	sb_buf_fini(&ms->raw);
	sb_buf_fini(&ms->wrapped);
	free(ms);
}

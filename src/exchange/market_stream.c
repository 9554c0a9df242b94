/*
 * market_stream.c - Binance market streams on one combined-stream connection (see binance_streams.h).
 *
 * Three small pure pieces carry the protocol rules and are tested on their own: the pacer (Binance drops
 * a connection that sends more than 5 messages a second), the subscription set (what the owner wants
 * against what the connection has, so every control message is the next piece of a diff and nothing
 * queued can go stale), and the per-symbol dedupe marks (a rollover overlap delivers some events twice).
 *
 * A symbol's streams are its bookTicker, its trades only when the owner asks for them (the daemon decides
 * on book tickers alone: a trade frame costs it twice a book ticker and tells it nothing it uses), and a
 * kline interval when asked. Every event finds its symbol through a hash index (name_index.h).
 *
 * The stream itself reacts to sb_ws callbacks. Control messages go to the "target" connection: the main
 * one, or the rollover connection once it has opened, since sb_ws sends there too. While a rollover
 * connection is still connecting, control waits: the new connection starts from its URL's streams and gets
 * the diff when it opens. A rollover that fails leaves the main connection's subscriptions unknown, so
 * they are re-sent in full (SUBSCRIBE and UNSUBSCRIBE are idempotent on Binance).
 */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "common/json_out.h"
#include "common/name_index.h"
#include "spotbot/alloc.h"
#include "spotbot/binance_streams.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define MS_PATH_MAX        3800 /* URL path kept under ws_client's 4096 limit; other streams are SUBSCRIBEd */
#define MS_URL_MAX         4400 /* base URL plus path */
#define MS_CTL_MSG_MAX     (SB_BN_MS_CTL_STREAMS_MAX * SB_BN_STREAM_MAX + 128) /* one control message */
#define MS_RETRY_MS        250  /* a due watchdog action that could not be done is tried again after */
#define MS_ERR_MAX         160  /* codec error text */
#define MS_WINDOW_MS       1000 /* Binance's rate window */
#define MS_CTL_PER_SEC_MAX 5    /* Binance's limit */
#define MS_SYM_SLOTS       1024 /* slots of the index of symbols: a power of two, over twice the most */

/* ---- pacer --------------------------------------------------------------------------------------- */

void sb_bn_pacer_init(struct sb_bn_pacer *p, unsigned max, uint64_t window_ms)
{
	memset(p, 0, sizeof *p);
	p->max = max == 0 ? 1 : max > SB_BN_PACER_MAX ? SB_BN_PACER_MAX : max;
	p->window_ms = window_ms;
}

uint64_t sb_bn_pacer_next_ms(const struct sb_bn_pacer *p, uint64_t now)
{
	if (p->count < p->max)
		return 0;
	uint64_t oldest = p->sent[p->head];
	uint64_t free_at = oldest + p->window_ms;
	return free_at > now ? free_at - now : 0;
}

void sb_bn_pacer_note(struct sb_bn_pacer *p, uint64_t now)
{
	if (p->count < p->max) {
		p->sent[(p->head + p->count) % p->max] = now;
		p->count++;
		return;
	}
	p->sent[p->head] = now;
	p->head = (p->head + 1) % p->max;
}

/* ---- subscription set ---------------------------------------------------------------------------- */

void sb_bn_subs_init(struct sb_bn_subs *s)
{
	memset(s, 0, sizeof *s);
}

void sb_bn_subs_fini(struct sb_bn_subs *s)
{
	free(s->e);
	memset(s, 0, sizeof *s);
}

static struct sb_bn_sub_entry *subs_find(const struct sb_bn_subs *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->e[i].name, name) == 0)
			return &s->e[i];
	return NULL;
}

sb_err sb_bn_subs_want(struct sb_bn_subs *s, const char *name, bool want)
{
	if (!s || !name || !*name)
		return SB_ERR_INVALID;
	if (strlen(name) >= SB_BN_STREAM_MAX)
		return SB_ERR_TOO_LONG;
	struct sb_bn_sub_entry *e = subs_find(s, name);
	if (e) {
		e->want = want;
		return SB_OK;
	}
	if (!want)
		return SB_OK;
	if (s->n == SB_BN_SUBS_MAX)
		return SB_ERR_TOO_LONG;
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->e = sb_xrealloc(s->e, s->cap * sizeof *s->e);
	}
	e = &s->e[s->n++];
	memset(e, 0, sizeof *e);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->want = true;
	return SB_OK;
}

bool sb_bn_subs_wanted(const struct sb_bn_subs *s, const char *name)
{
	const struct sb_bn_sub_entry *e = subs_find(s, name);
	return e && e->want;
}

/* Writes "/stream?streams=a/b" for the wanted streams that fit in cap and marks them in_url. */
static size_t subs_url_path(struct sb_bn_subs *s, char *out, size_t cap)
{
	size_t len = (size_t)snprintf(out, cap, "/stream");
	bool first = true;
	for (size_t i = 0; i < s->n; i++) {
		struct sb_bn_sub_entry *e = &s->e[i];
		e->in_url = false;
		if (!e->want)
			continue;
		const char *sep = first ? "?streams=" : "/";
		size_t need = strlen(sep) + strlen(e->name);
		if (len + need + 1 > cap)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "%s%s", sep, e->name);
		e->in_url = true;
		first = false;
	}
	return len;
}

void sb_bn_subs_set_url(struct sb_bn_subs *s)
{
	char path[MS_PATH_MAX];
	subs_url_path(s, path, sizeof path);
}

void sb_bn_subs_reset(struct sb_bn_subs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		s->e[i].live = s->e[i].in_url;
		s->e[i].pending = 0;
	}
}

void sb_bn_subs_resync(struct sb_bn_subs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		s->e[i].live = !s->e[i].want;
		s->e[i].pending = 0;
	}
}

/* Copies the finished request in w to out; false (and out empty) when it did not fit in cap. */
static bool subs_out(struct sb_buf *w, char *out, size_t cap, size_t *outlen)
{
	bool ok = !w->overflow && w->len > 0;
	size_t len = ok ? w->len : 0;
	if (cap)
		memcpy(out, ok ? w->p : "", len + 1);
	if (outlen)
		*outlen = len;
	sb_buf_fini(w);
	return ok;
}

bool sb_bn_subs_next(struct sb_bn_subs *s, int64_t id, char *out, size_t cap, size_t *outlen)
{
	struct sb_buf w;
	sb_buf_init(&w, cap);
	for (int pass = 0; pass < 2; pass++) {
		bool sub = pass == 0;
		sb_buf_reset(&w);
		sb_buf_puts(&w, "{\"method\":");
		sb_json_str(&w, sub ? "SUBSCRIBE" : "UNSUBSCRIBE");
		sb_buf_puts(&w, ",\"params\":[");
		size_t count = 0;
		for (size_t i = 0; i < s->n && count < SB_BN_MS_CTL_STREAMS_MAX; i++) {
			struct sb_bn_sub_entry *e = &s->e[i];
			if (e->pending || e->want != sub || e->live == sub)
				continue;
			size_t need = strlen(e->name) + 3;
			if (w.len + need + 48 > cap)
				break;
			sb_json_str(&w, e->name);
			sb_buf_putc(&w, ',');
			e->live = sub;
			e->pending = id;
			count++;
		}
		if (!count)
			continue;
		sb_buf_trim(&w, ',');
		sb_buf_puts(&w, "],\"id\":");
		sb_json_i64(&w, id);
		sb_buf_putc(&w, '}');
		return subs_out(&w, out, cap, outlen);
	}
	sb_buf_reset(&w);
	return subs_out(&w, out, cap, outlen);
}

size_t sb_bn_subs_reply(struct sb_bn_subs *s, int64_t id, bool ok)
{
	size_t n = 0;
	if (id == 0)
		return 0;
	for (size_t i = 0; i < s->n; i++) {
		struct sb_bn_sub_entry *e = &s->e[i];
		if (e->pending != id)
			continue;
		e->pending = 0;
		if (!ok && e->live)
			e->live =
			    false; /* a failed SUBSCRIBE is not live; a failed UNSUBSCRIBE stays not live */
		n++;
	}
	return n;
}

bool sb_bn_subs_synced(const struct sb_bn_subs *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].pending || s->e[i].live != s->e[i].want)
			return false;
	return true;
}

void sb_bn_subs_compact(struct sb_bn_subs *s)
{
	size_t j = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct sb_bn_sub_entry *e = &s->e[i];
		if (!e->want && !e->live && !e->in_url && !e->pending)
			continue;
		s->e[j++] = *e;
	}
	s->n = j;
}

/* ---- dedupe ------------------------------------------------------------------------------------- */

void sb_bn_dedupe_reset(struct sb_bn_dedupe *d)
{
	d->book_u = d->trade_t = d->kline_e = -1;
	memset(d->seen, 0, sizeof d->seen);
}

static bool advance(int64_t *mark, int64_t v)
{
	if (v <= *mark)
		return false;
	*mark = v;
	return true;
}

static uint64_t *seen_word(struct sb_bn_dedupe *d, int64_t id, uint64_t *bit)
{
	uint64_t pos = (uint64_t)id % SB_BN_DEDUPE_WINDOW;
	*bit = (uint64_t)1 << (pos % 64);
	return &d->seen[pos / 64];
}

static bool accept_trade(struct sb_bn_dedupe *d, int64_t id)
{
	uint64_t bit, *w;
	if (id < 0)
		return true; /* not an id the exchange numbers: nothing to compare */
	if (d->trade_t < 0 || id - d->trade_t >= SB_BN_DEDUPE_WINDOW) {
		memset(d->seen, 0, sizeof d->seen);
		d->trade_t = id;
	} else if (id > d->trade_t) {
		for (int64_t k = d->trade_t + 1; k < id; k++) { /* ids skipped: not seen yet */
			w = seen_word(d, k, &bit);
			*w &= ~bit;
		}
		d->trade_t = id;
	} else if (d->trade_t - id >= SB_BN_DEDUPE_WINDOW) {
		return false; /* older than anything remembered */
	} else {
		w = seen_word(d, id, &bit);
		if (*w & bit)
			return false;
		*w |= bit;
		return true;
	}
	w = seen_word(d, id, &bit);
	*w |= bit;
	return true;
}

bool sb_bn_dedupe_accept(struct sb_bn_dedupe *d, const struct sb_bn_market_msg *m)
{
	switch (m->kind) {
	case SB_BN_MKT_BOOK_TICKER:
		return advance(&d->book_u, m->u.book_ticker.update_id);
	case SB_BN_MKT_TRADE:
		return accept_trade(d, m->u.trade.trade_id);
	case SB_BN_MKT_KLINE:
		return advance(&d->kline_e, m->u.kline.event_time);
	default:
		return true;
	}
}

/* ---- names ---------------------------------------------------------------------------------------- */

const char *sb_bn_link_name(enum sb_bn_link l)
{
	switch (l) {
	case SB_BN_LINK_UP:
		return "up";
	case SB_BN_LINK_DOWN:
		return "down";
	case SB_BN_LINK_STALLED:
		return "stalled";
	}
	return "unknown";
}

/* ---- the stream --------------------------------------------------------------------------------- */

struct ms_symbol {
	char symbol[SB_SYMBOL_MAX];          /* upper case, as events carry it */
	char lower[SB_SYMBOL_MAX];           /* lower case, as stream names carry it */
	char interval[SB_BN_INTERVAL_MAX];   /* kline interval; "" none */
	struct sb_bn_dedupe dd;              /* marks across a rollover overlap */
	struct sb_bn_market_symbol_stats st; /* counters */
};

struct sb_bn_market_stream {
	struct sb_ws *ws;                            /* the connection(s) */
	struct sb_bn_market_stream_ops ops;          /* owner's callbacks */
	void *user;                                  /* their argument */
	uint32_t stall_ms, rollover_ms, confirm_ms;  /* watchdog, rollover age, confirm timeout */
	struct sb_bn_subs subs;                      /* wanted vs subscribed */
	struct ms_symbol syms[SB_BN_MS_SYMBOLS_MAX]; /* wanted symbols */
	size_t nsyms;                                /* entries used */
	uint16_t sym_slots[MS_SYM_SLOTS];            /* storage of sym_index */
	struct sb_name_index sym_index;              /* syms by symbol (upper case) */
	bool trades;                                 /* each symbol's trade stream is wanted too */
	struct sb_bn_pacer pacer;                    /* control message pacing on the target connection */
	int64_t inflight[SB_BN_MS_CTL_INFLIGHT_MAX]; /* control ids awaiting replies */
	size_t ninflight;                            /* entries used */
	int64_t next_id;                             /* last control id */
	uv_timer_t tick;                             /* watchdog, rollover age and confirm timeout */
	uv_timer_t ctl_timer;                        /* next paced control message */
	int open_handles;                            /* timers not yet closed (free waits for them) */
	bool open;                                   /* the main connection is open */
	bool ever_open;                              /* a connection has opened before */
	unsigned main_conn;                          /* id of the main connection */
	bool rolling;                                /* a rollover connection was requested */
	bool next_open;                              /* ... and has opened */
	unsigned next_conn;                          /* its id */
	bool next_delivered;                         /* ... and has delivered market data */
	uint64_t opened_mono;                        /* when the main connection opened */
	uint64_t next_open_mono;                     /* when the rollover connection opened */
	uint64_t last_data_mono;                     /* last market data (or the open) */
	unsigned ctl_per_sec;                        /* pacing */
	struct sb_bn_market_stream_stats st;         /* counters */
};

static uint64_t mono_ms(void)
{
	return sb_clock_mono_ms();
}

static bool valid_symbol(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n == 0 || n >= SB_SYMBOL_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]))
			return false;
	return true;
}

static bool valid_interval(const char *iv)
{
	static const char *const ok[] = {"1s", "1m", "3m", "5m",  "15m", "30m", "1h", "2h",
	                                 "4h", "6h", "8h", "12h", "1d",  "3d",  "1w", "1M"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcmp(iv, ok[i]) == 0)
			return true;
	return false;
}

static struct ms_symbol *find_sym(struct sb_bn_market_stream *ms, const char *upper)
{
	size_t i = sb_name_index_find(&ms->sym_index, upper, ms->syms, sizeof *ms->syms,
	                              offsetof(struct ms_symbol, symbol));
	return i == SB_NAME_INDEX_NONE ? NULL : &ms->syms[i];
}

/* A symbol was removed and another took its entry: the index is built again (rare, and 300 at most). */
static void reindex(struct sb_bn_market_stream *ms)
{
	sb_name_index_clear(&ms->sym_index);
	for (size_t i = 0; i < ms->nsyms; i++)
		(void)sb_name_index_put(&ms->sym_index, ms->syms[i].symbol, i);
}

static void stream_name(char *out, size_t cap, const struct ms_symbol *s, const char *what)
{
	snprintf(out, cap, "%s@%s", s->lower, what);
}

/* Sets the wanted flags of the symbol's streams. */
static sb_err want_streams(struct sb_bn_market_stream *ms, const struct ms_symbol *s, bool want)
{
	char name[SB_BN_STREAM_MAX];
	sb_err e;
	stream_name(name, sizeof name, s, "bookTicker");
	if ((e = sb_bn_subs_want(&ms->subs, name, want)))
		return e;
	stream_name(name, sizeof name, s, "trade");
	if ((e = sb_bn_subs_want(&ms->subs, name, want && ms->trades)))
		return e;
	if (s->interval[0]) {
		snprintf(name, sizeof name, "%s@kline_%s", s->lower, s->interval);
		if ((e = sb_bn_subs_want(&ms->subs, name, want)))
			return e;
	}
	return SB_OK;
}

static void notify_link(struct sb_bn_market_stream *ms, enum sb_bn_link l)
{
	sb_log_info("market", SB_FIELDS(SB_F_STR("link", sb_bn_link_name(l))), "market stream %s",
	            sb_bn_link_name(l));
	if (ms->ops.link)
		ms->ops.link(ms->user, l);
}

static bool inflight_remove(struct sb_bn_market_stream *ms, int64_t id)
{
	for (size_t i = 0; i < ms->ninflight; i++)
		if (ms->inflight[i] == id) {
			ms->inflight[i] = ms->inflight[--ms->ninflight];
			return true;
		}
	return false;
}

static void on_ctl_timer(uv_timer_t *t);

/* Sends as many control messages as the pacer and the in-flight limit allow; arms the timer for more. */
static void pump(struct sb_bn_market_stream *ms)
{
	if (!ms->open || (ms->rolling && !ms->next_open))
		return;
	char msg[MS_CTL_MSG_MAX];
	for (;;) {
		uint64_t now = mono_ms();
		uint64_t wait = sb_bn_pacer_next_ms(&ms->pacer, now);
		if (wait) {
			uv_update_time(ms->ctl_timer.loop);
			uv_timer_start(&ms->ctl_timer, on_ctl_timer, wait, 0);
			return;
		}
		if (ms->ninflight == SB_BN_MS_CTL_INFLIGHT_MAX)
			return;
		int64_t id = ms->next_id + 1;
		size_t len = 0;
		if (!sb_bn_subs_next(&ms->subs, id, msg, sizeof msg, &len))
			return;
		ms->next_id = id;
		sb_err e = sb_ws_send(ms->ws, msg, len);
		if (e) {
			sb_bn_subs_reply(&ms->subs, id, false);
			sb_log_warn("market", SB_FIELDS(SB_F_ERR(e)), "control message not sent");
			return;
		}
		sb_bn_pacer_note(&ms->pacer, now);
		ms->inflight[ms->ninflight++] = id;
		ms->st.ctl_sent++;
		sb_log_debug("market", SB_FIELDS(SB_F_STRN("request", msg, len)), "control message sent");
	}
}

static void on_ctl_timer(uv_timer_t *t)
{
	pump(t->data);
}

/* A new target connection: it has exactly its URL's streams, nothing in flight, a fresh rate budget. */
static void target_reset(struct sb_bn_market_stream *ms)
{
	sb_bn_subs_reset(&ms->subs);
	ms->ninflight = 0;
	sb_bn_pacer_init(&ms->pacer, ms->ctl_per_sec, MS_WINDOW_MS);
	uv_timer_stop(&ms->ctl_timer);
}

static void call_snapshot(struct sb_bn_market_stream *ms, bool reconnect)
{
	if (!ms->ops.snapshot)
		return;
	const char *names[SB_BN_MS_SYMBOLS_MAX];
	for (size_t i = 0; i < ms->nsyms; i++)
		names[i] = ms->syms[i].symbol;
	ms->ops.snapshot(ms->user, names, ms->nsyms, reconnect);
}

static void arm_tick(struct sb_bn_market_stream *ms, uint64_t min_delay);

static void rollover_confirm(struct sb_bn_market_stream *ms)
{
	if (sb_ws_rollover_confirm(ms->ws) != SB_OK)
		return;
	ms->main_conn = ms->next_conn;
	ms->opened_mono = ms->next_open_mono;
	ms->rolling = ms->next_open = ms->next_delivered = false;
	ms->st.rollovers++;
	arm_tick(ms, 0); /* the next rollover's age counts from the new connection's open */
	sb_log_info("market", SB_FIELDS(SB_F_UINT("conn", ms->main_conn)), "rollover complete");
	pump(ms);
}

static void start_rollover(struct sb_bn_market_stream *ms)
{
	if (ms->rolling || !ms->open)
		return;
	if (sb_ws_rollover(ms->ws) == SB_OK) {
		ms->rolling = true;
		ms->next_open = ms->next_delivered = false;
		uv_timer_stop(&ms->ctl_timer); /* control resumes on the new connection */
	}
}

static void ws_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)ws;
	struct sb_bn_market_stream *ms = user;
	uint64_t now = mono_ms();
	if (rollover) {
		ms->next_open = true;
		ms->next_conn = conn;
		ms->next_open_mono = now;
		arm_tick(ms, 0);
		target_reset(ms);
		pump(ms);
		return;
	}
	ms->open = true;
	ms->rolling = ms->next_open = false;
	ms->main_conn = conn;
	ms->opened_mono = ms->last_data_mono = now;
	arm_tick(ms, 0);
	bool reconnect = ms->ever_open;
	if (reconnect)
		ms->st.reconnects++;
	ms->ever_open = true;
	/* A plain connection follows a gap, so nothing overlaps: forget the marks (a restarted exchange may
	 * number from scratch). */
	for (size_t i = 0; i < ms->nsyms; i++)
		sb_bn_dedupe_reset(&ms->syms[i].dd);
	target_reset(ms);
	notify_link(ms, SB_BN_LINK_UP);
	call_snapshot(ms, reconnect);
	pump(ms);
}

static void ws_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)ws;
	struct sb_bn_market_stream *ms = user;
	if (info->rollover) {
		/* The rollover connection failed; the main one carries on, its subscriptions unknown. */
		bool was_target = ms->next_open;
		ms->rolling = ms->next_open = ms->next_delivered = false;
		arm_tick(ms, MS_RETRY_MS); /* the rollover is due again */
		if (was_target) {
			sb_bn_subs_resync(&ms->subs);
			ms->ninflight = 0;
		}
		pump(ms);
		return;
	}
	if (info->conn != ms->main_conn || !ms->open)
		return; /* an old connection closing after a rollover, or a failed attempt */
	if (ms->rolling && ms->next_open) {
		/* sb_ws made the open rollover connection the main one: no gap. */
		ms->main_conn = ms->next_conn;
		ms->opened_mono = ms->next_open_mono;
		ms->rolling = ms->next_open = ms->next_delivered = false;
		ms->st.rollovers++;
		arm_tick(ms, 0);
		pump(ms);
		return;
	}
	ms->open = false;
	ms->rolling = false; /* a pending rollover connection becomes the reconnect attempt */
	ms->ninflight = 0;
	uv_timer_stop(&ms->ctl_timer);
	notify_link(ms, SB_BN_LINK_DOWN);
}

static void deliver(struct sb_bn_market_stream *ms, unsigned conn, const struct sb_bn_market_msg *m,
                    uint64_t recv_ns)
{
	const char *sym;
	switch (m->kind) {
	case SB_BN_MKT_BOOK_TICKER:
		sym = m->u.book_ticker.symbol;
		break;
	case SB_BN_MKT_TRADE:
		sym = m->u.trade.symbol;
		break;
	case SB_BN_MKT_KLINE:
		sym = m->u.kline.symbol;
		break;
	default:
		ms->st.unwanted++;
		return;
	}
	uint64_t now = mono_ms();
	if (conn == ms->main_conn || (ms->next_open && conn == ms->next_conn))
		ms->last_data_mono = now;
	if (ms->next_open && conn == ms->next_conn)
		ms->next_delivered = true;
	struct ms_symbol *s = find_sym(ms, sym);
	if (!s || (m->kind == SB_BN_MKT_KLINE && strcmp(m->u.kline.interval, s->interval) != 0)) {
		ms->st.unwanted++;
		return;
	}
	if (!sb_bn_dedupe_accept(&s->dd, m)) {
		ms->st.duplicates++;
		s->st.duplicates++;
		return;
	}
	int64_t wall = sb_clock_wall_ms();
	ms->st.events++;
	ms->st.last_ms = wall;
	s->st.messages++;
	s->st.last_ms = wall;
	if (!ms->ops.event)
		return;
	struct sb_bn_market_event ev = {.kind = m->kind, .conn = conn, .recv_ns = recv_ns};
	if (m->kind == SB_BN_MKT_BOOK_TICKER)
		ev.book_ticker = &m->u.book_ticker;
	else if (m->kind == SB_BN_MKT_TRADE)
		ev.trade = &m->u.trade;
	else
		ev.kline = &m->u.kline;
	ms->ops.event(ms->user, &ev);
}

static void subscription_reply(struct sb_bn_market_stream *ms, unsigned conn, const struct sb_bn_id *id,
                               bool ok, const struct sb_bn_market_msg *m)
{
	unsigned target = ms->next_open ? ms->next_conn : ms->main_conn;
	if (conn != target)
		return; /* a reply on the old connection of a rollover: its state no longer matters */
	bool known = id->kind == SB_BN_ID_NUM && inflight_remove(ms, id->num);
	if (known)
		sb_bn_subs_reply(&ms->subs, id->num, ok);
	if (!ok || !known) {
		ms->st.ctl_errors++;
		sb_log_warn("market",
		            SB_FIELDS(SB_F_INT("id", id->kind == SB_BN_ID_NUM ? id->num : -1),
		                      SB_F_INT("code", ok ? 0 : m->u.error.code),
		                      SB_F_STR("msg", ok ? "" : m->u.error.msg)),
		            ok ? "control reply with an unknown id" : "control request refused");
	}
	pump(ms);
}

static void ws_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)ws;
	struct sb_bn_market_stream *ms = user;
	struct sb_bn_market_msg m;
	char err[MS_ERR_MAX];
	uint64_t recv_ns = sb_clock_mono_ns(); /* the start of the market-to-decision latency */
	ms->st.messages++;
	sb_err e = sb_bn_market_parse(data, len, &m, err, sizeof err);
	if (e == SB_ERR_UNSUPPORTED) {
		ms->st.unwanted++;
		return;
	}
	if (e) {
		ms->st.parse_errors++;
		sb_log_warn("market",
		            SB_FIELDS(SB_F_ERR(e), SB_F_STR("why", err), SB_F_STRN("raw", data, len)),
		            "malformed market message dropped");
		return;
	}
	switch (m.kind) {
	case SB_BN_MKT_CONTROL_REPLY:
		subscription_reply(ms, conn, &m.u.reply.id, true, &m);
		break;
	case SB_BN_MKT_CONTROL_ERROR:
		subscription_reply(ms, conn, &m.u.error.id, false, &m);
		break;
	case SB_BN_MKT_SERVER_SHUTDOWN:
		ms->st.shutdowns++;
		sb_log_warn("market", SB_FIELDS(SB_F_UINT("conn", conn)), "serverShutdown: rolling over");
		if (conn == ms->main_conn)
			start_rollover(ms);
		break;
	default:
		deliver(ms, conn, &m, recv_ns);
		break;
	}
	if (ms->rolling && ms->next_open && ms->next_delivered && sb_bn_subs_synced(&ms->subs))
		rollover_confirm(ms);
}

static bool any_wanted(const struct sb_bn_market_stream *ms)
{
	return ms->nsyms > 0;
}

/* When on_tick has something to do next (monotonic ms): a silent rollover connection's confirm timeout,
 * the connection's rollover age, the stall watchdog; UINT64_MAX while closed. */
static uint64_t tick_due(const struct sb_bn_market_stream *ms)
{
	uint64_t due = UINT64_MAX;
	if (!ms->open)
		return due;
	if (ms->rolling && ms->next_open)
		due = ms->next_open_mono + ms->confirm_ms;
	if (!ms->rolling && ms->rollover_ms && ms->opened_mono + ms->rollover_ms < due)
		due = ms->opened_mono + ms->rollover_ms;
	if (ms->stall_ms && any_wanted(ms) && ms->last_data_mono + ms->stall_ms < due)
		due = ms->last_data_mono + ms->stall_ms;
	return due;
}

static void on_tick(uv_timer_t *t);

/* Arms the timer for tick_due (min_delay ms from now when that has passed), or stops it: a quiet stream
 * costs no wake-up. Market data moving the watchdog's deadline later leaves the timer alone; it finds nothing
 * due and arms itself again. */
static void arm_tick(struct sb_bn_market_stream *ms, uint64_t min_delay)
{
	if (uv_is_closing((uv_handle_t *)&ms->tick))
		return;
	uint64_t due = tick_due(ms), now = mono_ms();
	if (due == UINT64_MAX) {
		uv_timer_stop(&ms->tick);
		return;
	}
	uv_update_time(ms->tick.loop);
	uv_timer_start(&ms->tick, on_tick, due > now ? due - now : min_delay, 0);
}

/* The watchdog's work at now: confirm a silent rollover, start one, or reconnect a stalled stream. */
static void tick_work(struct sb_bn_market_stream *ms, uint64_t now)
{
	if (!ms->open)
		return;
	if (ms->rolling && ms->next_open && now - ms->next_open_mono >= ms->confirm_ms) {
		sb_log_warn("market", SB_NOFIELDS, "rollover connection silent: taking over anyway");
		rollover_confirm(ms);
	}
	if (!ms->rolling && ms->rollover_ms && now - ms->opened_mono >= ms->rollover_ms)
		start_rollover(ms);
	if (ms->stall_ms && any_wanted(ms) && now - ms->last_data_mono >= ms->stall_ms) {
		ms->st.stalls++;
		sb_log_warn("market", SB_FIELDS(SB_F_UINT("stall_ms", ms->stall_ms)),
		            "no market data: reconnecting");
		ms->last_data_mono = now;
		notify_link(ms, SB_BN_LINK_STALLED);
		sb_ws_drop(ms->ws);
	}
}

static void on_tick(uv_timer_t *t)
{
	struct sb_bn_market_stream *ms = t->data;
	ms->st.ticks++;
	tick_work(ms, mono_ms());
	/* What is still due now could not be done (a rollover that did not start): tried again later. */
	arm_tick(ms, MS_RETRY_MS);
}

static const struct sb_ws_ops MS_WS_OPS = {ws_open, ws_message, ws_close};

/* ---- public API --------------------------------------------------------------------------------- */

static sb_err add_symbol(struct sb_bn_market_stream *ms, const char *symbol, const char *interval)
{
	if (!valid_symbol(symbol) || (interval && !valid_interval(interval)))
		return SB_ERR_INVALID;
	char upper[SB_SYMBOL_MAX];
	size_t n = strlen(symbol);
	for (size_t i = 0; i <= n; i++)
		upper[i] = (char)toupper((unsigned char)symbol[i]);
	struct ms_symbol *s = find_sym(ms, upper);
	if (s) {
		want_streams(ms, s, false);
		snprintf(s->interval, sizeof s->interval, "%s", interval ? interval : "");
		return want_streams(ms, s, true);
	}
	if (ms->nsyms == SB_BN_MS_SYMBOLS_MAX)
		return SB_ERR_TOO_LONG;
	s = &ms->syms[ms->nsyms];
	memset(s, 0, sizeof *s);
	memcpy(s->symbol, upper, n + 1);
	for (size_t i = 0; i <= n; i++)
		s->lower[i] = (char)tolower((unsigned char)symbol[i]);
	snprintf(s->interval, sizeof s->interval, "%s", interval ? interval : "");
	snprintf(s->st.symbol, sizeof s->st.symbol, "%s", upper);
	sb_bn_dedupe_reset(&s->dd);
	sb_err e = want_streams(ms, s, true);
	if (e) {
		want_streams(ms, s, false);
		return e;
	}
	(void)sb_name_index_put(&ms->sym_index, s->symbol, ms->nsyms);
	ms->nsyms++;
	return SB_OK;
}

sb_err sb_bn_market_stream_new(uv_loop_t *loop, struct sb_ws_ctx *ctx,
                               const struct sb_bn_market_stream_opts *opts,
                               const struct sb_bn_market_stream_ops *ops, void *user,
                               const char *const *symbols, size_t n, struct sb_bn_market_stream **out)
{
	if (!loop || !ctx || !opts || !opts->base_url || !ops || !out || (n && !symbols))
		return SB_ERR_INVALID;
	if (opts->ctl_per_sec > MS_CTL_PER_SEC_MAX)
		return SB_ERR_INVALID;
	if (n > SB_BN_MS_SYMBOLS_MAX)
		return SB_ERR_TOO_LONG;
	*out = NULL;
	struct sb_bn_market_stream *ms = sb_xcalloc(1, sizeof *ms);
	ms->ops = *ops;
	ms->user = user;
	ms->trades = opts->trades;
	sb_name_index_init(&ms->sym_index, ms->sym_slots, MS_SYM_SLOTS);
	ms->stall_ms = opts->stall_ms ? opts->stall_ms : SB_BN_MS_STALL_DEFAULT;
	ms->rollover_ms = opts->rollover_ms ? opts->rollover_ms : SB_BN_MS_ROLLOVER_DEFAULT;
	ms->confirm_ms = opts->confirm_ms ? opts->confirm_ms : SB_BN_MS_CONFIRM_DEFAULT;
	ms->ctl_per_sec = opts->ctl_per_sec ? opts->ctl_per_sec : SB_BN_MS_CTL_PER_SEC;
	sb_bn_subs_init(&ms->subs);
	sb_err e = SB_OK;
	for (size_t i = 0; i < n && !e; i++)
		e = add_symbol(ms, symbols[i], NULL);
	if (e) {
		sb_bn_subs_fini(&ms->subs);
		free(ms);
		return e;
	}
	char path[MS_PATH_MAX], url[MS_URL_MAX];
	subs_url_path(&ms->subs, path, sizeof path);
	size_t blen = strlen(opts->base_url);
	while (blen && opts->base_url[blen - 1] == '/')
		blen--;
	int ul = snprintf(url, sizeof url, "%.*s%s", (int)blen, opts->base_url, path);
	if (ul < 0 || (size_t)ul >= sizeof url) {
		sb_bn_subs_fini(&ms->subs);
		free(ms);
		return SB_ERR_TOO_LONG;
	}
	struct sb_ws_opts wo = {
	    .url = url,
	    .ca_file = opts->ca_file,
	    .insecure = opts->insecure,
	    .ping_ms = opts->ping_ms,
	    .open_timeout_ms = opts->open_timeout_ms,
	    .backoff_min_ms = opts->backoff_min_ms,
	    .backoff_max_ms = opts->backoff_max_ms,
	};
	e = sb_ws_new(ctx, &wo, &MS_WS_OPS, ms, &ms->ws);
	if (e) {
		sb_bn_subs_fini(&ms->subs);
		free(ms);
		return e;
	}
	uv_timer_init(loop, &ms->tick);
	uv_timer_init(loop, &ms->ctl_timer);
	ms->tick.data = ms->ctl_timer.data = ms;
	ms->open_handles = 2;
	*out = ms;
	return SB_OK;
}

sb_err sb_bn_market_stream_add(struct sb_bn_market_stream *ms, const char *symbol, const char *interval)
{
	if (!ms)
		return SB_ERR_INVALID;
	bool was_empty = !any_wanted(ms);
	sb_err e = add_symbol(ms, symbol, interval);
	if (e)
		return e;
	if (was_empty) {
		ms->last_data_mono = mono_ms(); /* the stall watchdog starts counting now */
		arm_tick(ms, 0);
	}
	pump(ms);
	return SB_OK;
}

sb_err sb_bn_market_stream_remove(struct sb_bn_market_stream *ms, const char *symbol)
{
	if (!ms || !valid_symbol(symbol))
		return SB_ERR_INVALID;
	char upper[SB_SYMBOL_MAX];
	size_t n = strlen(symbol);
	for (size_t i = 0; i <= n; i++)
		upper[i] = (char)toupper((unsigned char)symbol[i]);
	struct ms_symbol *s = find_sym(ms, upper);
	if (!s)
		return SB_ERR_NOT_FOUND;
	want_streams(ms, s, false);
	*s = ms->syms[--ms->nsyms];
	reindex(ms);
	sb_bn_subs_compact(&ms->subs);
	pump(ms);
	return SB_OK;
}

sb_err sb_bn_market_stream_rollover(struct sb_bn_market_stream *ms)
{
	if (!ms)
		return SB_ERR_INVALID;
	if (!ms->open || ms->rolling)
		return SB_ERR_STATE;
	start_rollover(ms);
	return ms->rolling ? SB_OK : SB_ERR_STATE;
}

void sb_bn_market_stream_drop(struct sb_bn_market_stream *ms)
{
	if (ms)
		sb_ws_drop(ms->ws);
}

bool sb_bn_market_stream_synced(const struct sb_bn_market_stream *ms)
{
	return ms && ms->open && !ms->rolling && sb_bn_subs_synced(&ms->subs);
}

void sb_bn_market_stream_stats(const struct sb_bn_market_stream *ms, struct sb_bn_market_stream_stats *out)
{
	if (ms)
		*out = ms->st;
	else
		memset(out, 0, sizeof *out);
}

sb_err sb_bn_market_stream_symbol_stats(const struct sb_bn_market_stream *ms, const char *symbol,
                                        struct sb_bn_market_symbol_stats *out)
{
	if (!ms || !symbol || !out)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < ms->nsyms; i++)
		if (strcasecmp(ms->syms[i].symbol, symbol) == 0) {
			*out = ms->syms[i].st;
			return SB_OK;
		}
	return SB_ERR_NOT_FOUND;
}

static void timer_closed(uv_handle_t *h)
{
	struct sb_bn_market_stream *ms = h->data;
	if (--ms->open_handles == 0) {
		sb_bn_subs_fini(&ms->subs);
		free(ms);
	}
}

void sb_bn_market_stream_free(struct sb_bn_market_stream *ms)
{
	if (!ms)
		return;
	sb_ws_free(ms->ws);
	ms->ws = NULL;
	uv_close((uv_handle_t *)&ms->tick, timer_closed);
	uv_close((uv_handle_t *)&ms->ctl_timer, timer_closed);
}

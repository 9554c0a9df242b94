/*
 * exchange.c - spotsim's exchange state and its market clock (see exchange.h).
 *
 * Each symbol's feed produces events in market time; a one-shot libuv timer is armed for the earliest
 * pending event and applies every event whose time has come: the trade fills crossing user orders
 * (ledger-settled), the new quotes replace the book's external ladder, and the market data and the
 * streams hear of it. Market time runs --speed times faster than wall time from the moment the feeds
 * start; a replay that reaches its end holds its last price, stops, or loops (--replay-end). Building
 * the exchange from its options and its state file is exchange_new.c's.
 */
#include "sim/exchange.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "sim/md.h"
#include "sim/state.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define FEED_MAX_EVENTS_PER_TICK 10000 /* bound on events applied in one timer callback */

/* ---- lifetime ---------------------------------------------------------------------------------- */

void sim_exchange_free(struct sim_exchange *ex)
{
	if (!ex)
		return;
	for (size_t i = 0; i < ex->nsymbols; i++) {
		struct sim_symbol *s = &ex->symbols[i];
		cJSON_Delete(s->info);
		sim_book_free(s->book);
		sim_feed_free(s->feed);
		sim_md_free(s->md);
	}
	free(ex->symbols);
	for (size_t i = 0; i < ex->naccounts; i++) {
		sb_signer_free(ex->accounts[i].hmac);
		free(ex->accounts[i].trades);
		free(ex->accounts[i].prevented);
	}
	free(ex->accounts);
	free(ex->state_path);
	sim_ledger_free(ex->ledger);
	cJSON_Delete(ex->rate_limits);
	sim_book_result_fini(&ex->scratch);
	free(ex);
}

/* ---- lookups ------------------------------------------------------------------------------------- */

int64_t sim_exchange_now(const struct sim_exchange *ex)
{
	return sb_clock_wall_ms() + ex->faults.clock_skew_ms;
}

struct sim_symbol *sim_exchange_symbol(struct sim_exchange *ex, const char *name, size_t len)
{
	/* memcmp first: it stops at the first differing byte, strlen would read every name whole. */
	for (size_t i = 0; i < ex->nsymbols; i++)
		if (len < sizeof ex->symbols[i].rules.symbol &&
		    memcmp(ex->symbols[i].rules.symbol, name, len) == 0 &&
		    ex->symbols[i].rules.symbol[len] == '\0')
			return &ex->symbols[i];
	return NULL;
}

struct sim_account *sim_exchange_account(struct sim_exchange *ex, const char *key, size_t len)
{
	for (size_t i = 0; i < ex->naccounts; i++)
		if (strlen(ex->accounts[i].key) == len && memcmp(ex->accounts[i].key, key, len) == 0)
			return &ex->accounts[i];
	return NULL;
}

struct sim_account *sim_exchange_account_by_id(struct sim_exchange *ex, uint32_t id)
{
	for (size_t i = 0; i < ex->naccounts; i++)
		if (ex->accounts[i].id == id)
			return &ex->accounts[i];
	return NULL;
}

/* ---- settlement ---------------------------------------------------------------------------------- */

sb_dec sim_exchange_bnb_price(struct sim_exchange *ex, const struct sim_symbol *sym)
{
	(void)ex;
	if (strcmp(sym->rules.quote_asset, "BNB") == 0)
		return SB_DEC_ONE;
	return sym->bnb ? sym->bnb->last_price : 0;
}

static void record_trade(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_book_fill *f,
                         bool buyer)
{
	uint32_t account = buyer ? f->buyer_account : f->seller_account;
	struct sim_account *a = sim_exchange_account_by_id(ex, account);
	if (!a)
		return;
	struct sim_trade_rec rec = {0}, *t = &rec;
	t->symbol = sym->index;
	t->id = f->trade_id;
	t->order_id = buyer ? f->buyer_order_id : f->seller_order_id;
	t->price = f->price;
	t->qty = f->qty;
	t->quote_qty = f->quote_qty;
	t->commission = buyer ? f->buyer_commission : f->seller_commission;
	snprintf(t->commission_asset, sizeof t->commission_asset, "%s",
	         buyer ? f->buyer_commission_asset : f->seller_commission_asset);
	t->time = f->time;
	t->is_buyer = buyer;
	t->is_maker = buyer ? f->buyer_is_maker : !f->buyer_is_maker;
	sim_account_push_trade(a, t);
}

void sim_account_push_trade(struct sim_account *a, const struct sim_trade_rec *t)
{
	a->trades[a->trades_next] = *t;
	a->trades_next = (a->trades_next + 1) % SIM_TRADES_PER_ACCOUNT;
	if (a->ntrades < SIM_TRADES_PER_ACCOUNT)
		a->ntrades++;
}

static void record_prevented(struct sim_exchange *ex, struct sim_symbol *sym,
                             const struct sim_book_prevented *pm)
{
	struct sim_account *a = sim_exchange_account_by_id(ex, pm->account);
	if (!a)
		return;
	a->prevented[a->prevented_next] = (struct sim_prevented_rec){.symbol = sym->index, .pm = *pm};
	a->prevented_next = (a->prevented_next + 1) % SIM_PREVENTED_PER_ACCOUNT;
	if (a->nprevented < SIM_PREVENTED_PER_ACCOUNT)
		a->nprevented++;
}

void sim_exchange_settled(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_book_result *res)
{
	for (size_t i = 0; i < res->n_prevented; i++)
		record_prevented(ex, sym, &res->prevented[i]);
	if (res->n_events || res->n_fills)
		ex->state_dirty = true;
	for (size_t i = 0; i < res->n_fills; i++) {
		const struct sim_book_fill *f = &res->fills[i];
		record_trade(ex, sym, f, true);
		record_trade(ex, sym, f, false);
		/* A user order's taker fill is a public trade; fills of resting orders against the feed's own
		 * trades are part of that trade, which the feed reports itself. */
		if (f->taker_order_id != 0) {
			sim_md_trade(sym->md, f->trade_id, f->price, f->qty, f->buyer_is_maker, f->time);
			sym->last_price = f->price;
		}
	}
	if (res->n_events)
		sim_exchange_publish(ex, sym, res);
}

/* ---- the market clock ---------------------------------------------------------------------------- */

/* Market time elapsed since the feeds started, in ms. */
static int64_t market_elapsed(const struct sim_exchange *ex)
{
	int64_t wall = sb_clock_wall_ms() - ex->wall_start_ms;
	sb_dec scaled;
	if (sb_dec_mul(SB_DEC_C(wall, 0), ex->speed, SB_ROUND_DOWN, &scaled) != SB_OK)
		return INT64_MAX / 2;
	return scaled / SB_DEC_SCALE;
}

void sim_exchange_apply(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_event *ev,
                        int64_t now)
{
	struct sim_book_result *res = &ex->scratch;
	sb_dec bnb = sim_exchange_bnb_price(ex, sym);
	sim_book_result_clear(res);
	sim_ledger_market_trade(ex->ledger, sym->book, ev->price, ev->qty, now, bnb, res);
	struct sim_book_level bids[SIM_FEED_DEPTH], asks[SIM_FEED_DEPTH];
	for (unsigned i = 0; i < ev->nbids; i++)
		bids[i] = (struct sim_book_level){ev->bids[i].price, ev->bids[i].qty};
	for (unsigned i = 0; i < ev->nasks; i++)
		asks[i] = (struct sim_book_level){ev->asks[i].price, ev->asks[i].qty};
	sim_ledger_set_quotes(ex->ledger, sym->book, bids, ev->nbids, asks, ev->nasks, now, bnb, res);
	int64_t trade_id = sim_book_take_trade_id(sym->book);
	sim_md_trade(sym->md, trade_id, ev->price, ev->qty, ev->buyer_is_maker, now);
	sym->last_price = ev->price;
	sym->ref_price = ev->price;
	sim_exchange_settled(ex, sym, res);
	if (ex->hooks.market)
		ex->hooks.market(ex->hooks.ctx, sym, ev, trade_id, now);
}

/* A replay reached its last candle after the trade at last: logged, then what --replay-end says. */
static void replay_ended(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_event *last)
{
	sb_log_info("sim",
	            SB_FIELDS(SB_F_STR("symbol", sym->rules.symbol), SB_F_DEC("price", last->price),
	                      SB_F_STR("replay_end", sim_replay_end_name(ex->replay_end))),
	            "replay of %s reached its last candle: %s", sym->rules.symbol,
	            ex->replay_end == SIM_REPLAY_LOOP ? "starting again from the first candle"
	            : ex->replay_end == SIM_REPLAY_STOP
	                ? "its market stops; spotsim stops when every replay has"
	                : "holding the last price");
	/* A looping replay's rewound times continue to increase. */
	if (ex->replay_end == SIM_REPLAY_LOOP && sim_feed_rewind(sym->feed) == SB_OK &&
	    sim_feed_next(sym->feed, &sym->pending) == SB_OK && sym->pending.kind == SIM_EVENT_TRADE)
		return;
	sym->pending.kind = SIM_EVENT_END;
}

static void next_event(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_event *last)
{
	if (sim_feed_next(sym->feed, &sym->pending) == SB_OK && sym->pending.kind == SIM_EVENT_TRADE)
		return;
	if (sym->replay)
		replay_ended(ex, sym, last);
	else
		sym->pending.kind = SIM_EVENT_END;
}

/* With --replay-end stop: true once every replayed symbol has ended (and there is one). */
static bool replays_over(const struct sim_exchange *ex)
{
	bool any = false;
	for (size_t i = 0; i < ex->nsymbols; i++) {
		if (!ex->symbols[i].replay)
			continue;
		if (ex->symbols[i].pending.kind == SIM_EVENT_TRADE)
			return false;
		any = true;
	}
	return any;
}

static void arm_timer(struct sim_exchange *ex);

static void on_feed_timer(uv_timer_t *t)
{
	sim_exchange_advance(t->data);
}

void sim_exchange_advance(struct sim_exchange *ex)
{
	int64_t elapsed = market_elapsed(ex);
	int64_t now = sim_exchange_now(ex);
	for (size_t i = 0; i < ex->nsymbols; i++) {
		struct sim_symbol *sym = &ex->symbols[i];
		for (int n = 0; n < FEED_MAX_EVENTS_PER_TICK && sym->pending.kind == SIM_EVENT_TRADE &&
		                sym->pending.time_ms - sym->feed_origin_ms <= elapsed;
		     n++) {
			struct sim_event ev = sym->pending;
			next_event(ex, sym, &ev);
			sym->market_ms = ev.time_ms;
			/* A flat market: time goes on, its trades are skipped; /sim/price still trades. */
			if (!ex->faults.flat_market)
				sim_exchange_apply(ex, sym, &ev, now);
		}
	}
	if (ex->replay_end == SIM_REPLAY_STOP && !ex->replays_stopped && replays_over(ex)) {
		ex->replays_stopped = true;
		sb_log_info("sim", SB_NOFIELDS, "every replay has ended (--replay-end stop): stopping");
		if (ex->hooks.replays_ended)
			ex->hooks.replays_ended(ex->hooks.ctx);
	}
	sim_exchange_persist(ex, false);
	if (ex->feed_timer_running)
		arm_timer(ex);
}

static void arm_timer(struct sim_exchange *ex)
{
	int64_t due = INT64_MAX;
	for (size_t i = 0; i < ex->nsymbols; i++) {
		const struct sim_symbol *sym = &ex->symbols[i];
		if (sym->pending.kind == SIM_EVENT_TRADE && sym->pending.time_ms - sym->feed_origin_ms < due)
			due = sym->pending.time_ms - sym->feed_origin_ms;
	}
	if (due == INT64_MAX)
		return;
	int64_t wait_market = due - market_elapsed(ex);
	uint64_t wait_ms = 0;
	if (wait_market > 0) {
		/* wall = market / speed, rounded up so the event is due when the timer fires. */
		sb_dec w;
		if (sb_dec_div(SB_DEC_C(wait_market, 0), ex->speed, SB_ROUND_UP, &w) != SB_OK)
			w = SB_DEC_C(1000, 0);
		wait_ms = (uint64_t)((w + SB_DEC_SCALE - 1) / SB_DEC_SCALE);
	}
	uv_timer_start(&ex->feed_timer, on_feed_timer, wait_ms ? wait_ms : 1, 0);
}

void sim_exchange_start(struct sim_exchange *ex)
{
	ex->wall_start_ms = sb_clock_wall_ms();
	ex->feed_timer_running = true;
	sim_exchange_advance(ex);
}

void sim_exchange_stop(struct sim_exchange *ex)
{
	ex->feed_timer_running = false;
	uv_timer_stop(&ex->feed_timer);
	uv_close((uv_handle_t *)&ex->feed_timer, NULL);
}

/* ---- the state file ---------------------------------------------------------------------------- */

sb_err sim_exchange_persist(struct sim_exchange *ex, bool always)
{
	if (!ex->state_path || (!ex->state_dirty && !always))
		return SB_OK;
	char why[4400];
	sb_err e = sim_state_save(ex, ex->state_path, why, sizeof why);
	if (e) {
		sb_log_error("sim", SB_FIELDS(SB_F_STR("file", ex->state_path), SB_F_ERR(e)),
		             "cannot save the state file: %s", why);
		return e;
	}
	ex->state_dirty = false;
	ex->state_saves++;
	return SB_OK;
}

/* ---- control (the /sim/ endpoints) --------------------------------------------------------------- */

sb_err sim_exchange_price_event(const struct sim_symbol *sym, sb_dec price, sb_dec qty, struct sim_event *ev)
{
	sb_dec tick = sym->rules.price.tick_size ? sym->rules.price.tick_size : SB_DEC_C(0, 1);
	sb_dec step = sym->rules.lot.step_size ? sym->rules.lot.step_size : SB_DEC_C(0, 1);
	if (price <= 0 || !sb_dec_is_multiple(price, tick) || qty < 0 || !sb_dec_is_multiple(qty, step))
		return SB_ERR_INVALID;
	/* A trade at the price with ample volume, and a book one tick either side, like a feed event. */
	*ev = (struct sim_event){.kind = SIM_EVENT_TRADE, .price = price, .buyer_is_maker = true};
	sb_dec notional_qty;
	if (sb_dec_div(SB_DEC_C(100000, 0), price, SB_ROUND_DOWN, &notional_qty) != SB_OK ||
	    sb_dec_round_to(notional_qty, step, SB_ROUND_DOWN, &notional_qty) != SB_OK || notional_qty <= 0)
		notional_qty = step;
	if (qty > 0) /* a small volume fills resting orders in pieces */
		notional_qty = qty;
	ev->qty = notional_qty;
	for (unsigned i = 0; i < SIM_FEED_DEPTH; i++) {
		sb_dec off = tick * (sb_dec)(i + 1);
		if (price - off > 0)
			ev->bids[ev->nbids++] = (struct sim_level){price - off + tick, notional_qty};
		ev->asks[ev->nasks++] = (struct sim_level){price + off, notional_qty};
	}
	return SB_OK;
}

sb_err sim_exchange_set_price(struct sim_exchange *ex, struct sim_symbol *sym, sb_dec price, sb_dec qty)
{
	struct sim_event ev;
	SB_TRY(sim_exchange_price_event(sym, price, qty, &ev));
	sim_exchange_apply(ex, sym, &ev, sim_exchange_now(ex));
	return SB_OK;
}

static bool parse_u32(const char *v, uint32_t *out)
{
	int64_t n;
	if (!sb_parse_i64_str(v, 0, UINT32_MAX, &n))
		return false;
	*out = (uint32_t)n;
	return true;
}

sb_err sim_exchange_set_fault(struct sim_exchange *ex, const char *name, const char *value)
{
	struct sim_faults *f = &ex->faults;
	bool off = strcmp(value, "off") == 0 || strcmp(value, "0") == 0;
	bool flag = !off;
	if (strcmp(name, "hide_user_events") == 0)
		f->hide_user_events = flag;
	else if (strcmp(name, "flat_market") == 0)
		f->flat_market = flag;
	else if (strcmp(name, "wsapi_down") == 0)
		f->wsapi_down = flag;
	else if (strcmp(name, "order_ws_drop") == 0)
		f->order_ws_drop = flag;
	else if (strcmp(name, "order_5xx_after") == 0)
		f->order_5xx_after = flag;
	else if (strcmp(name, "order_5xx_before") == 0)
		f->order_5xx_before = flag;
	else if (strcmp(name, "delay_ms") == 0) {
		if (off)
			f->delay_ms = 0;
		else if (!parse_u32(value, &f->delay_ms) || f->delay_ms > 600000)
			return SB_ERR_INVALID;
	} else if (strcmp(name, "force_429") == 0) {
		if (off)
			f->force_429_s = 0;
		else if (!*value)
			f->force_429_s = 1;
		else if (!parse_u32(value, &f->force_429_s) || f->force_429_s == 0)
			return SB_ERR_INVALID;
	} else if (strcmp(name, "clock_skew_ms") == 0) {
		int64_t v = 0;
		if (!off && !sb_parse_i64_str(value, -86400000, 86400000, &v))
			return SB_ERR_INVALID;
		f->clock_skew_ms = v;
	} else if (strcmp(name, "drop_ws") == 0) {
		if (off)
			f->drop_ws_every_s = 0;
		else if (*value && !parse_u32(value, &f->drop_ws_every_s))
			return SB_ERR_INVALID;
		else if (!*value && ex->hooks.drop_ws)
			ex->hooks.drop_ws(ex->hooks.ctx);
	} else if (strcmp(name, "expire_user_data") == 0) {
		if (!off && ex->hooks.expire_user_data)
			ex->hooks.expire_user_data(ex->hooks.ctx);
	} else if (strcmp(name, "user_events_delay_ms") == 0) {
		if (off)
			f->user_delay_ms = 0;
		else if (!parse_u32(value, &f->user_delay_ms) || f->user_delay_ms > 600000)
			return SB_ERR_INVALID;
	} else if (strcmp(name, "ws_lifetime_s") == 0) {
		if (off)
			f->ws_lifetime_s = 0;
		else if (!parse_u32(value, &f->ws_lifetime_s) || f->ws_lifetime_s == 0)
			return SB_ERR_INVALID;
	} else {
		return SB_ERR_INVALID;
	}
	return SB_OK;
}

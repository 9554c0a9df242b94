/*
 * store.c - the backend-independent half of the store: the names of the stored enums, argument checks and
 * the dispatch through struct sb_store_ops.
 *
 * Every public operation validates its arguments here, before any backend runs, so a backend can trust
 * that strings are NUL-terminated, enums are in range and amounts have the signs the schema expects. A
 * refused argument is SB_ERR_INVALID (SB_ERR_TOO_LONG for an unterminated string) with the reason in
 * sb_store_last_error(), the same place a backend leaves the database's message.
 */
#include "spotbot/store.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "spotbot/coid.h"

static const char *const buy_mode_names[SB_STORE_BUY__COUNT] = {
    [SB_STORE_BUY_LIMIT] = "LIMIT",
    [SB_STORE_BUY_MARKET] = "MARKET",
};

static const char *name_of(const char *const *names, size_t count, unsigned v)
{
	return v < count ? names[v] : "?";
}

static sb_err parse_name(const char *const *names, size_t count, const char *s, size_t len, unsigned *out)
{
	if (!s)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < count; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
			*out = (unsigned)i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

const char *sb_store_buy_mode_name(enum sb_store_buy_mode m)
{
	return name_of(buy_mode_names, SB_STORE_BUY__COUNT, (unsigned)m);
}

sb_err sb_store_buy_mode_parse(const char *s, size_t len, enum sb_store_buy_mode *out)
{
	unsigned v;
	sb_err e = parse_name(buy_mode_names, SB_STORE_BUY__COUNT, s, len, &v);
	if (e == SB_OK && out)
		*out = (enum sb_store_buy_mode)v;
	return e;
}

/* Records why an argument was refused, where sb_store_last_error() finds it. */
__attribute__((format(printf, 3, 4))) static sb_err refuse(struct sb_store *st, sb_err e, const char *fmt,
                                                           ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
	va_end(ap);
	return e;
}

/* A fixed-size string field is usable when it holds its NUL. */
static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

#define CHECK_STR(st, field, what)                                                                           \
	do {                                                                                                 \
		if (!terminated((field), sizeof(field)))                                                     \
			return refuse((st), SB_ERR_TOO_LONG, "%s is longer than %zu bytes", (what),          \
			              sizeof(field) - 1);                                                    \
	} while (0)

#define CHECK_NONEMPTY(st, field, what)                                                                      \
	do {                                                                                                 \
		CHECK_STR(st, field, what);                                                                  \
		if ((field)[0] == '\0')                                                                      \
			return refuse((st), SB_ERR_INVALID, "%s is empty", (what));                          \
	} while (0)

#define CHECK_NONNEG(st, v, what)                                                                            \
	do {                                                                                                 \
		if ((v) < 0)                                                                                 \
			return refuse((st), SB_ERR_INVALID, "%s is negative", (what));                       \
	} while (0)

static sb_err check_cstr(struct sb_store *st, const char *s, size_t max, const char *what)
{
	if (!s || !s[0])
		return refuse(st, SB_ERR_INVALID, "%s is missing", what);
	if (strnlen(s, max) >= max)
		return refuse(st, SB_ERR_TOO_LONG, "%s is longer than %zu bytes", what, max - 1);
	return SB_OK;
}

static sb_err check_event(struct sb_store *st, const struct sb_store_event *ev)
{
	if (!ev)
		return SB_OK;
	CHECK_NONEMPTY(st, ev->kind, "event kind");
	CHECK_STR(st, ev->symbol, "event symbol");
	CHECK_STR(st, ev->client_order_id, "event client order id");
	CHECK_NONNEG(st, ev->position_id, "event position id");
	if (ev->detail && strnlen(ev->detail, SB_STORE_DETAIL_MAX + 1) > SB_STORE_DETAIL_MAX)
		return refuse(st, SB_ERR_TOO_LONG, "event detail is longer than %d bytes",
		              SB_STORE_DETAIL_MAX);
	return SB_OK;
}

static sb_err check_pair(struct sb_store *st, const struct sb_store_pair *p)
{
	CHECK_NONEMPTY(st, p->symbol, "pair symbol");
	if (p->quote_per_cycle <= 0)
		return refuse(st, SB_ERR_INVALID, "quote per cycle must be positive");
	if (p->max_positions < 1)
		return refuse(st, SB_ERR_INVALID, "max positions must be at least 1");
	if ((unsigned)p->buy_mode >= SB_STORE_BUY__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown buy mode %d", (int)p->buy_mode);
	CHECK_NONNEG(st, p->buy_offset, "buy offset");
	CHECK_NONNEG(st, p->buy_timeout_ms, "buy timeout");
	CHECK_NONNEG(st, p->target_profit, "target profit");
	if (p->has_stop_loss && p->stop_loss <= 0)
		return refuse(st, SB_ERR_INVALID, "stop-loss must be positive");
	CHECK_NONNEG(st, p->max_duration_ms, "max duration");
	CHECK_NONNEG(st, p->cooldown_ms, "cooldown");
	CHECK_NONNEG(st, p->stop_loss_cooldown_ms, "stop-loss cooldown");
	return SB_OK;
}

static sb_err check_order(struct sb_store *st, const struct sb_store_order *o)
{
	CHECK_NONEMPTY(st, o->client_order_id, "client order id");
	CHECK_NONEMPTY(st, o->symbol, "order symbol");
	CHECK_STR(st, o->last_error, "order last error");
	if ((unsigned)o->side > SB_SIDE_SELL)
		return refuse(st, SB_ERR_INVALID, "unknown side %d", (int)o->side);
	if ((unsigned)o->type >= SB_ORDER__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown order type %d", (int)o->type);
	if ((unsigned)o->tif >= SB_TIF__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown time in force %d", (int)o->tif);
	if ((unsigned)o->status >= SB_ORDER_STATE__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown order status %d", (int)o->status);
	CHECK_NONNEG(st, o->exchange_order_id, "exchange order id");
	CHECK_NONNEG(st, o->position_id, "order position id");
	CHECK_NONNEG(st, o->price, "order price");
	CHECK_NONNEG(st, o->orig_qty, "order quantity");
	CHECK_NONNEG(st, o->quote_qty, "order quote quantity");
	CHECK_NONNEG(st, o->executed_qty, "executed quantity");
	CHECK_NONNEG(st, o->cumm_quote_qty, "cumulative quote quantity");
	return SB_OK;
}

static sb_err check_position(struct sb_store *st, const struct sb_store_position *p)
{
	CHECK_NONEMPTY(st, p->symbol, "position symbol");
	CHECK_STR(st, p->notes, "position notes");
	if ((unsigned)p->state >= SB_POSITION_STATE__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown position state %d", (int)p->state);
	if ((unsigned)p->exit >= SB_EXIT__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown position exit reason %d", (int)p->exit);
	CHECK_NONNEG(st, p->cycle, "cycle");
	CHECK_NONNEG(st, p->opened_ms, "opened time");
	CHECK_NONNEG(st, p->closed_ms, "closed time");
	CHECK_NONNEG(st, p->buy_qty, "buy quantity");
	CHECK_NONNEG(st, p->cost_quote, "cost");
	CHECK_NONNEG(st, p->base_received, "base received");
	CHECK_NONNEG(st, p->sell_qty, "sell quantity");
	CHECK_NONNEG(st, p->sold_qty, "sold quantity");
	CHECK_NONNEG(st, p->sell_price_target, "sell price target");
	CHECK_NONNEG(st, p->proceeds, "proceeds");
	CHECK_NONNEG(st, p->dust_qty, "dust");
	for (size_t i = 0; i < SB_STORE_COMMISSIONS_MAX; i++) {
		const struct sb_store_commission *c = &p->commissions[i];
		CHECK_STR(st, c->asset, "commission asset");
		if (c->asset[0] == '\0')
			continue;
		CHECK_NONNEG(st, c->amount, "commission");
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->commissions[j].asset, c->asset) == 0)
				return refuse(st, SB_ERR_INVALID, "commission asset %s appears twice",
				              c->asset);
	}
	return SB_OK;
}

static sb_err check_fill(struct sb_store *st, const struct sb_store_fill *f, const struct sb_store_order *o)
{
	CHECK_NONEMPTY(st, f->symbol, "fill symbol");
	CHECK_NONEMPTY(st, f->client_order_id, "fill client order id");
	CHECK_STR(st, f->commission_asset, "commission asset");
	CHECK_NONNEG(st, f->trade_id, "trade id");
	if (f->qty <= 0)
		return refuse(st, SB_ERR_INVALID, "fill quantity must be positive");
	CHECK_NONNEG(st, f->price, "fill price");
	CHECK_NONNEG(st, f->quote_qty, "fill quote quantity");
	CHECK_NONNEG(st, f->commission, "fill commission");
	if (strcmp(f->client_order_id, o->client_order_id) != 0)
		return refuse(st, SB_ERR_INVALID, "fill of %s applied with order %s", f->client_order_id,
		              o->client_order_id);
	if (strcmp(f->symbol, o->symbol) != 0)
		return refuse(st, SB_ERR_INVALID, "fill symbol %s differs from order symbol %s", f->symbol,
		              o->symbol);
	return SB_OK;
}

/* Common entry check: a store and a clean error message. */
static sb_err enter(struct sb_store *st)
{
	if (!st || !st->ops)
		return SB_ERR_INVALID;
	st->errmsg[0] = '\0';
	return SB_OK;
}

void sb_store_close(struct sb_store *st)
{
	if (st && st->ops)
		st->ops->close(st);
}

void sb_store_set_commit_observer(struct sb_store *st, sb_store_commit_fn fn, void *user)
{
	if (!st)
		return;
	st->on_commit = fn;
	st->on_commit_user = user;
}

sb_err sb_store_checkpoint(struct sb_store *st)
{
	return sb_store_exec(st, "PRAGMA wal_checkpoint(PASSIVE)");
}

uint32_t sb_store_wal_pages(const struct sb_store *st)
{
	return st ? st->wal_pages : 0;
}

uint64_t sb_store_commits(const struct sb_store *st)
{
	return st ? st->commits : 0;
}

sb_err sb_store_data_version(struct sb_store *st, uint64_t *out)
{
	SB_TRY(enter(st));
	if (!out)
		return SB_ERR_INVALID;
	if (!st->ops->data_version)
		return refuse(st, SB_ERR_UNSUPPORTED, "the %s backend cannot tell other writers' changes",
		              st->ops->name);
	return st->ops->data_version(st, out);
}

sb_err sb_store_wait_for_locks(struct sb_store *st, bool wait)
{
	SB_TRY(enter(st));
	if (!st->ops->wait_for_locks)
		return refuse(st, SB_ERR_UNSUPPORTED, "the %s backend always waits", st->ops->name);
	return st->ops->wait_for_locks(st, wait);
}

sb_err sb_store_begin(struct sb_store *st)
{
	SB_TRY(enter(st));
	if (!st->ops->begin)
		return refuse(st, SB_ERR_UNSUPPORTED, "the %s backend has no transaction scopes",
		              st->ops->name);
	return st->ops->begin(st);
}

sb_err sb_store_commit(struct sb_store *st)
{
	SB_TRY(enter(st));
	if (!st->ops->commit)
		return refuse(st, SB_ERR_STATE, "no transaction is open");
	return st->ops->commit(st);
}

void sb_store_rollback(struct sb_store *st)
{
	if (st && st->ops && st->ops->rollback)
		st->ops->rollback(st);
}

const char *sb_store_last_error(const struct sb_store *st)
{
	return st ? st->errmsg : "";
}

const char *sb_store_backend(const struct sb_store *st)
{
	return st && st->ops ? st->ops->name : "";
}

sb_err sb_store_pair_upsert(struct sb_store *st, const struct sb_store_pair *p,
                            const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	if (!p)
		return refuse(st, SB_ERR_INVALID, "no pair");
	SB_TRY(check_pair(st, p));
	SB_TRY(check_event(st, ev));
	return st->ops->pair_upsert(st, p, ev);
}

sb_err sb_store_pair_get(struct sb_store *st, const char *symbol, struct sb_store_pair *out)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, symbol, SB_SYMBOL_MAX, "symbol"));
	if (!out)
		return SB_ERR_INVALID;
	return st->ops->pair_get(st, symbol, out);
}

sb_err sb_store_pair_list(struct sb_store *st, bool enabled_only, struct sb_store_pair **rows, size_t *n)
{
	SB_TRY(enter(st));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	return st->ops->pair_list(st, enabled_only, rows, n);
}

sb_err sb_store_pair_delete(struct sb_store *st, const char *symbol, const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, symbol, SB_SYMBOL_MAX, "symbol"));
	SB_TRY(check_event(st, ev));
	return st->ops->pair_delete(st, symbol, ev);
}

sb_err sb_store_order_insert_intent(struct sb_store *st, const struct sb_store_order *o,
                                    const struct sb_store_position *pos, const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	if (!o)
		return refuse(st, SB_ERR_INVALID, "no order");
	SB_TRY(check_order(st, o));
	if (o->status != SB_ORDER_PENDING_NEW)
		return refuse(st, SB_ERR_INVALID, "an order intent must be PENDING_NEW, not %s",
		              sb_order_state_name(o->status));
	if (pos)
		SB_TRY(check_position(st, pos));
	SB_TRY(check_event(st, ev));
	return st->ops->order_insert(st, o, pos, ev);
}

sb_err sb_store_order_update(struct sb_store *st, const struct sb_store_order *o,
                             const struct sb_store_position *pos, const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	if (!o)
		return refuse(st, SB_ERR_INVALID, "no order");
	SB_TRY(check_order(st, o));
	if (pos)
		SB_TRY(check_position(st, pos));
	SB_TRY(check_event(st, ev));
	return st->ops->order_update(st, o, pos, ev);
}

sb_err sb_store_order_get(struct sb_store *st, const char *client_order_id, struct sb_store_order *out)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, client_order_id, SB_STORE_CLIENT_ID_MAX, "client order id"));
	if (!out)
		return SB_ERR_INVALID;
	return st->ops->order_get(st, client_order_id, out);
}

sb_err sb_store_order_list(struct sb_store *st, const struct sb_store_order_filter *f,
                           struct sb_store_order **rows, size_t *n)
{
	static const struct sb_store_order_filter all;
	SB_TRY(enter(st));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	if (!f)
		f = &all;
	if (f->symbol)
		SB_TRY(check_cstr(st, f->symbol, SB_SYMBOL_MAX, "symbol"));
	if (f->by_status && (unsigned)f->status >= SB_ORDER_STATE__COUNT)
		return refuse(st, SB_ERR_INVALID, "unknown order status %d", (int)f->status);
	CHECK_NONNEG(st, f->position_id, "position id");
	return st->ops->order_list(st, f, rows, n);
}

sb_err sb_store_order_list_open(struct sb_store *st, struct sb_store_order **rows, size_t *n)
{
	struct sb_store_order_filter f = {.open_only = true};
	sb_err e = sb_store_order_list(st, &f, rows, n);
	if (e != SB_OK || *n < 2)
		return e;
	/* The list comes newest first; the reconciler wants to settle the oldest first. */
	for (size_t i = 0, j = *n - 1; i < j; i++, j--) {
		struct sb_store_order tmp = (*rows)[i];
		(*rows)[i] = (*rows)[j];
		(*rows)[j] = tmp;
	}
	return SB_OK;
}

sb_err sb_store_fill_apply(struct sb_store *st, const struct sb_store_fill *f, const struct sb_store_order *o,
                           const struct sb_store_position *pos, const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	if (!f || !o)
		return refuse(st, SB_ERR_INVALID, "no fill or no order");
	SB_TRY(check_order(st, o));
	SB_TRY(check_fill(st, f, o));
	if (pos)
		SB_TRY(check_position(st, pos));
	SB_TRY(check_event(st, ev));
	return st->ops->fill_apply(st, f, o, pos, ev);
}

sb_err sb_store_fill_exists(struct sb_store *st, const char *symbol, const char *client_order_id,
                            int64_t trade_id, bool *exists)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, symbol, SB_SYMBOL_MAX, "symbol"));
	SB_TRY(check_cstr(st, client_order_id, SB_STORE_CLIENT_ID_MAX, "client order id"));
	if (!exists)
		return SB_ERR_INVALID;
	return st->ops->fill_exists(st, symbol, client_order_id, trade_id, exists);
}

sb_err sb_store_fill_list(struct sb_store *st, const char *client_order_id, struct sb_store_fill **rows,
                          size_t *n)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, client_order_id, SB_STORE_CLIENT_ID_MAX, "client order id"));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	return st->ops->fill_list(st, client_order_id, rows, n);
}

sb_err sb_store_position_insert(struct sb_store *st, struct sb_store_position *pos,
                                const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	if (!pos)
		return refuse(st, SB_ERR_INVALID, "no position");
	SB_TRY(check_position(st, pos));
	SB_TRY(check_event(st, ev));
	return st->ops->position_insert(st, pos, ev);
}

sb_err sb_store_position_update(struct sb_store *st, const struct sb_store_position *pos,
                                const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	if (!pos)
		return refuse(st, SB_ERR_INVALID, "no position");
	SB_TRY(check_position(st, pos));
	if (pos->id <= 0)
		return refuse(st, SB_ERR_INVALID, "position id %" PRId64 " is not a stored position",
		              pos->id);
	SB_TRY(check_event(st, ev));
	return st->ops->position_update(st, pos, ev);
}

sb_err sb_store_position_get(struct sb_store *st, int64_t id, struct sb_store_position *out)
{
	SB_TRY(enter(st));
	if (!out)
		return SB_ERR_INVALID;
	return st->ops->position_get(st, id, out);
}

sb_err sb_store_position_list(struct sb_store *st, const struct sb_store_pos_filter *f,
                              struct sb_store_position **rows, size_t *n)
{
	static const struct sb_store_pos_filter all;
	SB_TRY(enter(st));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	if (!f)
		f = &all;
	if (f->symbol)
		SB_TRY(check_cstr(st, f->symbol, SB_SYMBOL_MAX, "symbol"));
	if ((unsigned)f->which > SB_STORE_LIST_CLOSED)
		return refuse(st, SB_ERR_INVALID, "unknown position selection %d", (int)f->which);
	return st->ops->position_list(st, f, rows, n);
}

sb_err sb_store_event_append(struct sb_store *st, const struct sb_store_event *ev, int64_t *id)
{
	SB_TRY(enter(st));
	if (!ev)
		return refuse(st, SB_ERR_INVALID, "no event");
	SB_TRY(check_event(st, ev));
	int64_t ignored;
	return st->ops->event_append(st, ev, id ? id : &ignored);
}

sb_err sb_store_event_list(struct sb_store *st, const struct sb_store_event_filter *f,
                           struct sb_store_event **rows, size_t *n)
{
	static const struct sb_store_event_filter all;
	SB_TRY(enter(st));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	if (!f)
		f = &all;
	if (f->kind)
		SB_TRY(check_cstr(st, f->kind, SB_STORE_KIND_MAX, "event kind"));
	return st->ops->event_list(st, f, rows, n);
}

void sb_store_events_free(struct sb_store_event *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		free((void *)(uintptr_t)rows[i].detail); /* allocated by event_list; const only for input */
	free(rows);
}

sb_err sb_store_state_get(struct sb_store *st, const char *key, char *buf, size_t cap)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, key, SB_STORE_KEY_MAX, "state key"));
	if (!buf || cap == 0)
		return SB_ERR_INVALID;
	return st->ops->state_get(st, key, buf, cap);
}

sb_err sb_store_state_set(struct sb_store *st, const char *key, const char *value, int64_t now_ms,
                          const struct sb_store_event *ev)
{
	SB_TRY(enter(st));
	SB_TRY(check_cstr(st, key, SB_STORE_KEY_MAX, "state key"));
	if (!value)
		return refuse(st, SB_ERR_INVALID, "no value");
	if (strnlen(value, SB_STORE_VALUE_MAX) >= SB_STORE_VALUE_MAX)
		return refuse(st, SB_ERR_TOO_LONG, "state value is longer than %d bytes",
		              SB_STORE_VALUE_MAX - 1);
	if (strcmp(key, SB_STORE_KEY_SCHEMA_VERSION) == 0)
		return refuse(st, SB_ERR_PERM, "%s is written by the migrations only", key);
	SB_TRY(check_event(st, ev));
	return st->ops->state_set(st, key, value, now_ms, ev);
}

sb_err sb_store_state_get_int(struct sb_store *st, const char *key, int64_t *out)
{
	char buf[32];
	if (!out)
		return SB_ERR_INVALID;
	SB_TRY(sb_store_state_get(st, key, buf, sizeof buf));
	if (!sb_parse_i64_str(buf, INT64_MIN, INT64_MAX, out))
		return refuse(st, SB_ERR_PARSE, "state %s is not an integer: \"%s\"", key, buf);
	return SB_OK;
}

sb_err sb_store_coid_epoch(struct sb_store *st, unsigned *epoch)
{
	int64_t v = 0;
	if (!epoch)
		return SB_ERR_INVALID;
	*epoch = 0;
	sb_err e = sb_store_state_get_int(st, SB_STORE_KEY_COID_EPOCH, &v);
	if (e == SB_ERR_NOT_FOUND)
		return SB_OK;
	if (e != SB_OK)
		return e;
	if (v < 0 || v > SB_COID_EPOCH_MAX)
		return refuse(st, SB_ERR_PARSE, "state %s is out of range: %" PRId64, SB_STORE_KEY_COID_EPOCH,
		              v);
	*epoch = (unsigned)v;
	return SB_OK;
}

sb_err sb_store_state_set_int(struct sb_store *st, const char *key, int64_t value, int64_t now_ms,
                              const struct sb_store_event *ev)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%" PRId64, value);
	return sb_store_state_set(st, key, buf, now_ms, ev);
}

static sb_err check_range(struct sb_store *st, int64_t from_ms, int64_t to_ms)
{
	CHECK_NONNEG(st, from_ms, "from time");
	CHECK_NONNEG(st, to_ms, "to time");
	return SB_OK;
}

sb_err sb_store_pnl_by_pair(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
                            size_t *n)
{
	SB_TRY(enter(st));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	SB_TRY(check_range(st, from_ms, to_ms));
	return st->ops->pnl_by_pair(st, from_ms, to_ms, rows, n);
}

sb_err sb_store_pnl_by_day(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
                           size_t *n)
{
	SB_TRY(enter(st));
	if (!rows || !n)
		return SB_ERR_INVALID;
	*rows = NULL;
	*n = 0;
	SB_TRY(check_range(st, from_ms, to_ms));
	return st->ops->pnl_by_day(st, from_ms, to_ms, rows, n);
}

sb_err sb_store_backup(struct sb_store *st, const char *path)
{
	SB_TRY(enter(st));
	if (!path || !path[0])
		return refuse(st, SB_ERR_INVALID, "no backup path");
	return st->ops->backup(st, path);
}

sb_err sb_store_check(struct sb_store *st, char *msg, size_t cap)
{
	char scratch[8];
	SB_TRY(enter(st));
	if (!msg || cap == 0) {
		msg = scratch;
		cap = sizeof scratch;
	}
	msg[0] = '\0';
	return st->ops->check(st, msg, cap);
}

sb_err sb_store_exec(struct sb_store *st, const char *sql)
{
	SB_TRY(enter(st));
	if (!sql)
		return SB_ERR_INVALID;
	if (!st->ops->exec)
		return refuse(st, SB_ERR_UNSUPPORTED, "the %s backend runs no raw SQL", st->ops->name);
	return st->ops->exec(st, sql);
}

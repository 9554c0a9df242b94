/*
 * sqlite_rows.c - the SQLite backend's row operations: trade pairs, orders, fills, positions, events,
 * system_state and the profit aggregates.
 *
 * Each mutating operation is one BEGIN IMMEDIATE ... COMMIT around its statements and its optional event,
 * so it is all or nothing. Amounts are bound as the scaled int64 of sb_dec and read back the same way;
 * "absent" values (no exchange id yet, no stop-loss, not yet opened) are NULL in the database and 0 in the
 * structs. Profit sums are added in C with sb_dec_add, so an overflow is reported instead of SQLite's
 * integer overflow error or a silent switch to floating point.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "sqlite_int.h"

#define PAIR_COLS                                                                                               \
	"symbol, enabled, quote_per_cycle, max_positions, buy_mode, buy_offset, buy_timeout_ms, target_profit," \
	" stop_loss, max_duration_ms, sell_market_on_max_duration, cooldown_ms, created_at_ms, updated_at_ms,"  \
	" stop_loss_cooldown_ms"
#define ORDER_COLS                                                                                             \
	"client_order_id, exchange_order_id, position_id, symbol, side, type, time_in_force, price, orig_qty," \
	" quote_qty, executed_qty, cumm_quote_qty, status, created_at_ms, updated_at_ms, last_error"
#define FILL_COLS                                                                                            \
	"symbol, trade_id, client_order_id, price, qty, quote_qty, commission, commission_asset, is_maker, time_ms"
#define POS_COLS                                                                                                   \
	"id, symbol, cycle, state, created_at_ms, updated_at_ms, opened_at_ms, closed_at_ms, buy_qty, cost_quote," \
	" base_received, sell_qty, sold_qty, sell_price_target, proceeds, realised_profit, dust_qty, notes,"       \
	" exit_reason, alerted"
#define EVENT_COLS "id, time_ms, kind, symbol, position_id, client_order_id, detail"

const char *const sq_sql[SQ__COUNT] = {
    [SQ_BEGIN] = "BEGIN IMMEDIATE",
    [SQ_COMMIT] = "COMMIT",
    [SQ_ROLLBACK] = "ROLLBACK",
    [SQ_SAVEPOINT] = "SAVEPOINT sb_write",
    [SQ_RELEASE] = "RELEASE sb_write",
    [SQ_ROLLBACK_TO] = "ROLLBACK TO sb_write",
    [SQ_PAIR_UPSERT] = "INSERT INTO trade_pairs (" PAIR_COLS ") VALUES"
                       " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)"
                       " ON CONFLICT(symbol) DO UPDATE SET enabled = excluded.enabled,"
                       " quote_per_cycle = excluded.quote_per_cycle, max_positions = excluded.max_positions,"
                       " buy_mode = excluded.buy_mode, buy_offset = excluded.buy_offset,"
                       " buy_timeout_ms = excluded.buy_timeout_ms, target_profit = excluded.target_profit,"
                       " stop_loss = excluded.stop_loss, max_duration_ms = excluded.max_duration_ms,"
                       " sell_market_on_max_duration = excluded.sell_market_on_max_duration,"
                       " cooldown_ms = excluded.cooldown_ms, updated_at_ms = excluded.updated_at_ms,"
                       " stop_loss_cooldown_ms = excluded.stop_loss_cooldown_ms",
    [SQ_PAIR_GET] = "SELECT " PAIR_COLS " FROM trade_pairs WHERE symbol = ?1",
    [SQ_PAIR_LIST] = "SELECT " PAIR_COLS " FROM trade_pairs WHERE ?1 = 0 OR enabled = 1 ORDER BY symbol",
    [SQ_PAIR_DELETE] = "DELETE FROM trade_pairs WHERE symbol = ?1",
    [SQ_ORDER_INSERT] = "INSERT INTO orders (" ORDER_COLS ") VALUES"
                        " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [SQ_ORDER_UPDATE] =
        "UPDATE orders SET exchange_order_id = ?2, status = ?3, executed_qty = ?4,"
        " cumm_quote_qty = ?5, updated_at_ms = ?6, last_error = ?7 WHERE client_order_id = ?1",
    [SQ_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE client_order_id = ?1",
    [SQ_ORDER_LIST] = "SELECT " ORDER_COLS " FROM orders WHERE (?1 IS NULL OR symbol = ?1)"
                      " AND (?2 = 0 OR position_id = ?2) AND (?3 IS NULL OR status = ?3)"
                      " AND (?4 = 0 OR status IN (SELECT name FROM order_statuses WHERE final = 0))"
                      " ORDER BY id DESC LIMIT ?5",
    /* A position's orders alone, by its index (the general list above scans the table). */
    [SQ_ORDER_OF_POSITION] =
        "SELECT " ORDER_COLS " FROM orders WHERE position_id = ?1 ORDER BY id DESC LIMIT ?2",
    [SQ_FILL_INSERT] = "INSERT INTO fills (" FILL_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [SQ_FILL_EXISTS] = "SELECT 1 FROM fills WHERE symbol = ?1 AND client_order_id = ?2 AND trade_id = ?3",
    [SQ_FILL_LIST] = "SELECT " FILL_COLS " FROM fills WHERE client_order_id = ?1 ORDER BY trade_id",
    [SQ_POS_INSERT] =
        "INSERT INTO positions (symbol, cycle, state, created_at_ms, updated_at_ms, opened_at_ms,"
        " closed_at_ms, buy_qty, cost_quote, base_received, sell_qty, sold_qty, sell_price_target,"
        " proceeds, realised_profit, dust_qty, notes, exit_reason, alerted) VALUES (?1,"
        " CASE WHEN ?2 > 0 THEN ?2 ELSE"
        " (SELECT COALESCE(MAX(cycle), 0) + 1 FROM positions WHERE symbol = ?1) END,"
        " ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) RETURNING id, cycle",
    [SQ_POS_UPDATE] =
        "UPDATE positions SET state = ?2, updated_at_ms = ?3, opened_at_ms = ?4, closed_at_ms = ?5,"
        " buy_qty = ?6, cost_quote = ?7, base_received = ?8, sell_qty = ?9, sold_qty = ?10,"
        " sell_price_target = ?11, proceeds = ?12, realised_profit = ?13, dust_qty = ?14,"
        " notes = ?15, exit_reason = ?16, alerted = ?17 WHERE id = ?1",
    [SQ_POS_GET] = "SELECT " POS_COLS " FROM positions WHERE id = ?1",
    [SQ_POS_LIST] = "SELECT " POS_COLS " FROM positions WHERE (?1 IS NULL OR symbol = ?1)"
                    " AND (?2 = 0 OR state IN (SELECT name FROM position_states WHERE open = (?2 = 1)))"
                    " AND (?3 = 0 OR (CASE WHEN ?2 = 2 THEN closed_at_ms ELSE created_at_ms END) >= ?3)"
                    " AND (?4 = 0 OR (CASE WHEN ?2 = 2 THEN closed_at_ms ELSE created_at_ms END) < ?4)"
                    " AND (?6 = 0 OR id < ?6) ORDER BY id DESC LIMIT ?5",
    [SQ_POS_COMM_DELETE] = "DELETE FROM position_commissions WHERE position_id = ?1",
    [SQ_POS_COMM_INSERT] =
        "INSERT INTO position_commissions (position_id, asset, amount) VALUES (?1, ?2, ?3)",
    [SQ_POS_COMM_GET] =
        "SELECT asset, amount FROM position_commissions WHERE position_id = ?1 ORDER BY asset",
    [SQ_EVENT_INSERT] = "INSERT INTO events (time_ms, kind, symbol, position_id, client_order_id, detail)"
                        " VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQ_EVENT_LIST] =
        "SELECT " EVENT_COLS " FROM events WHERE id > ?1 AND (?2 = 0 OR time_ms >= ?2)"
        " AND (?3 = 0 OR time_ms < ?3) AND (?4 IS NULL OR kind = ?4 COLLATE NOCASE) ORDER BY id LIMIT ?5",
    [SQ_STATE_GET] = "SELECT value FROM system_state WHERE key = ?1",
    [SQ_STATE_SET] =
        "INSERT INTO system_state (key, value, updated_at_ms) VALUES (?1, ?2, ?3)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms",
    [SQ_PNL_BY_PAIR] = "SELECT symbol, 0, realised_profit, cost_quote FROM positions WHERE state = 'CLOSED'"
                       " AND (?1 = 0 OR closed_at_ms >= ?1) AND (?2 = 0 OR closed_at_ms < ?2)"
                       " ORDER BY symbol, id",
    [SQ_PNL_BY_DAY] =
        "SELECT '', closed_at_ms / 86400000 * 86400000 AS day, realised_profit, cost_quote"
        " FROM positions WHERE state = 'CLOSED'"
        " AND (?1 = 0 OR closed_at_ms >= ?1) AND (?2 = 0 OR closed_at_ms < ?2) ORDER BY day, id",
    [SQ_DATA_VERSION] = "PRAGMA data_version",
};

/* Binding helpers. Strings are SQLITE_STATIC: they outlive the step that reads them. */
static void bind_text(sqlite3_stmt *q, int i, const char *s)
{
	sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
}

static void bind_text_or_null(sqlite3_stmt *q, int i, const char *s)
{
	if (s && s[0])
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static void bind_i64(sqlite3_stmt *q, int i, int64_t v)
{
	sqlite3_bind_int64(q, i, v);
}

static void bind_i64_or_null(sqlite3_stmt *q, int i, int64_t v)
{
	if (v != 0)
		sqlite3_bind_int64(q, i, v);
	else
		sqlite3_bind_null(q, i);
}

static int bind_limit(size_t limit)
{
	return limit == 0 || limit > SB_STORE_LIST_MAX ? SB_STORE_LIST_MAX : (int)limit;
}

/* Reading helpers. A NULL integer reads as 0. */
static int64_t col_i64(sqlite3_stmt *q, int i)
{
	return sqlite3_column_int64(q, i);
}

static sb_err col_str(struct sq_store *s, sqlite3_stmt *q, int i, char *buf, size_t size)
{
	const unsigned char *t = sqlite3_column_text(q, i);
	size_t len = (size_t)sqlite3_column_bytes(q, i);
	if (!t) {
		buf[0] = '\0';
		return SB_OK;
	}
	if (len >= size)
		return sq_fail(s, SB_ERR_DB, "column %s holds %zu bytes, more than the %zu allowed",
		               sqlite3_column_name(q, i), len, size - 1);
	memcpy(buf, t, len);
	buf[len] = '\0';
	return SB_OK;
}

/* A name column read back into its enum through the public parser. */
static sb_err col_name(struct sq_store *s, sqlite3_stmt *q, int i,
                       sb_err (*parse)(const char *, size_t, void *), void *out)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	size_t len = (size_t)sqlite3_column_bytes(q, i);
	if (!t || parse(t, len, out) != SB_OK)
		return sq_fail(s, SB_ERR_DB, "column %s holds an unknown name \"%s\"",
		               sqlite3_column_name(q, i), t ? t : "NULL");
	return SB_OK;
}

static sb_err parse_status(const char *t, size_t len, void *out)
{
	return sb_order_state_parse(t, len, out);
}

static sb_err parse_state(const char *t, size_t len, void *out)
{
	return sb_position_state_parse(t, len, out);
}

static sb_err parse_exit(const char *t, size_t len, void *out)
{
	return sb_position_exit_parse(t, len, out);
}

static sb_err parse_buy_mode(const char *t, size_t len, void *out)
{
	return sb_store_buy_mode_parse(t, len, out);
}

static sb_err parse_type(const char *t, size_t len, void *out)
{
	return sb_order_type_parse(t, len, out);
}

static sb_err parse_side(const char *t, size_t len, void *out)
{
	return sb_side_parse(t, len, out);
}

static sb_err parse_tif(const char *t, size_t len, void *out)
{
	return sb_tif_parse(t, len, out);
}

/* Runs a SELECT to collect rows of elem bytes each, read by read(); frees what it made on error. */
typedef sb_err (*row_reader)(struct sq_store *s, sqlite3_stmt *q, void *row);

static sb_err collect(struct sq_store *s, sqlite3_stmt *q, size_t elem, row_reader read, void **rows,
                      size_t *n, void (*fini)(void *row))
{
	char *arr = NULL;
	size_t cnt = 0, cap = 0;
	sb_err e = SB_OK;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			arr = sb_xrealloc(arr, cap * elem);
		}
		memset(arr + cnt * elem, 0, elem);
		e = read(s, q, arr + cnt * elem);
		if (e != SB_OK)
			break;
		cnt++;
	}
	if (e == SB_OK && rc != SQLITE_DONE)
		e = sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (e != SB_OK) {
		for (size_t i = 0; fini && i < cnt; i++)
			fini(arr + i * elem);
		free(arr);
		return e;
	}
	*rows = arr;
	*n = cnt;
	return SB_OK;
}

/* Runs a SELECT expected to give at most one row into out; SB_ERR_NOT_FOUND when none. */
static sb_err fetch_one(struct sq_store *s, sqlite3_stmt *q, row_reader read, void *out, const char *what,
                        const char *key)
{
	int rc = sqlite3_step(q);
	sb_err e;
	if (rc == SQLITE_ROW)
		e = read(s, q, out);
	else if (rc == SQLITE_DONE)
		e = sq_fail(s, SB_ERR_NOT_FOUND, "no %s %s", what, key);
	else
		e = sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

/* Declares q, the cached statement id, and returns e from the caller when it cannot be prepared. */
#define STMT(s, id, e)                                                                                       \
	sqlite3_stmt *q = sq_stmt((s), (id), &(e));                                                          \
	do {                                                                                                 \
		if (!q)                                                                                      \
			return (e);                                                                          \
	} while (0)

/* Events, inside the caller's transaction. */
static sb_err event_row(struct sq_store *s, const struct sb_store_event *ev, int64_t default_pos, int64_t *id)
{
	sb_err e = SB_OK;
	STMT(s, SQ_EVENT_INSERT, e);
	bind_i64(q, 1, ev->time_ms);
	bind_text(q, 2, ev->kind);
	bind_text(q, 3, ev->symbol);
	bind_i64_or_null(q, 4, ev->position_id ? ev->position_id : default_pos);
	bind_text_or_null(q, 5, ev->client_order_id);
	bind_text(q, 6, ev->detail ? ev->detail : "{}");
	e = sq_step_done(s, q);
	if (e == SB_OK && id)
		*id = sqlite3_last_insert_rowid(s->db);
	return e;
}

static sb_err maybe_event(struct sq_store *s, sb_err e, const struct sb_store_event *ev, int64_t default_pos)
{
	if (e != SB_OK || !ev)
		return e;
	return event_row(s, ev, default_pos, NULL);
}

/* Trade pairs. */
static sb_err read_pair(struct sq_store *s, sqlite3_stmt *q, void *row)
{
	struct sb_store_pair *p = row;
	sb_err e = col_str(s, q, 0, p->symbol, sizeof p->symbol);
	if (e == SB_OK)
		e = col_name(s, q, 4, parse_buy_mode, &p->buy_mode);
	p->enabled = col_i64(q, 1) != 0;
	p->quote_per_cycle = col_i64(q, 2);
	p->max_positions = (int32_t)col_i64(q, 3);
	p->buy_offset = col_i64(q, 5);
	p->buy_timeout_ms = col_i64(q, 6);
	p->target_profit = col_i64(q, 7);
	p->has_stop_loss = sqlite3_column_type(q, 8) != SQLITE_NULL;
	p->stop_loss = col_i64(q, 8);
	p->max_duration_ms = col_i64(q, 9);
	p->sell_market_on_max_duration = col_i64(q, 10) != 0;
	p->cooldown_ms = col_i64(q, 11);
	p->created_ms = col_i64(q, 12);
	p->updated_ms = col_i64(q, 13);
	p->stop_loss_cooldown_ms = col_i64(q, 14);
	return e;
}

static sb_err pair_upsert(struct sb_store *st, const struct sb_store_pair *p, const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_PAIR_UPSERT, e);
	e = sq_begin(s);
	if (e != SB_OK)
		return e;
	bind_text(q, 1, p->symbol);
	bind_i64(q, 2, p->enabled);
	bind_i64(q, 3, p->quote_per_cycle);
	bind_i64(q, 4, p->max_positions);
	bind_text(q, 5, sb_store_buy_mode_name(p->buy_mode));
	bind_i64(q, 6, p->buy_offset);
	bind_i64(q, 7, p->buy_timeout_ms);
	bind_i64(q, 8, p->target_profit);
	if (p->has_stop_loss)
		bind_i64(q, 9, p->stop_loss);
	bind_i64_or_null(q, 10, p->max_duration_ms);
	bind_i64(q, 11, p->sell_market_on_max_duration);
	bind_i64(q, 12, p->cooldown_ms);
	bind_i64(q, 13, p->updated_ms);
	bind_i64(q, 14, p->stop_loss_cooldown_ms);
	e = sq_step_done(s, q);
	return sq_end(s, maybe_event(s, e, ev, 0));
}

static sb_err pair_get(struct sb_store *st, const char *symbol, struct sb_store_pair *out)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_PAIR_GET, e);
	bind_text(q, 1, symbol);
	struct sb_store_pair p = {0};
	e = fetch_one(s, q, read_pair, &p, "pair", symbol);
	if (e == SB_OK)
		*out = p;
	return e;
}

static sb_err pair_list(struct sb_store *st, bool enabled_only, struct sb_store_pair **rows, size_t *n)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_PAIR_LIST, e);
	bind_i64(q, 1, enabled_only);
	return collect(s, q, sizeof **rows, read_pair, (void **)rows, n, NULL);
}

static sb_err pair_delete(struct sb_store *st, const char *symbol, const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_PAIR_DELETE, e);
	e = sq_begin(s);
	if (e != SB_OK)
		return e;
	bind_text(q, 1, symbol);
	e = sq_step_done(s, q);
	if (e == SB_OK && sqlite3_changes(s->db) == 0)
		e = sq_fail(s, SB_ERR_NOT_FOUND, "pair %s is not configured", symbol);
	return sq_end(s, maybe_event(s, e, ev, 0));
}

/* Positions. */
static sb_err write_commissions(struct sq_store *s, const struct sb_store_position *p, int64_t id)
{
	sb_err e = SB_OK;
	sqlite3_stmt *del = sq_stmt(s, SQ_POS_COMM_DELETE, &e);
	if (!del)
		return e;
	bind_i64(del, 1, id);
	e = sq_step_done(s, del);
	for (size_t i = 0; e == SB_OK && i < SB_STORE_COMMISSIONS_MAX; i++) {
		const struct sb_store_commission *c = &p->commissions[i];
		if (!c->asset[0])
			continue;
		sqlite3_stmt *ins = sq_stmt(s, SQ_POS_COMM_INSERT, &e);
		if (!ins)
			return e;
		bind_i64(ins, 1, id);
		bind_text(ins, 2, c->asset);
		bind_i64(ins, 3, c->amount);
		e = sq_step_done(s, ins);
	}
	return e;
}

static sb_err read_commissions(struct sq_store *s, struct sb_store_position *p)
{
	sb_err e = SB_OK;
	STMT(s, SQ_POS_COMM_GET, e);
	bind_i64(q, 1, p->id);
	size_t i = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (i == SB_STORE_COMMISSIONS_MAX) {
			e = sq_fail(s, SB_ERR_DB, "position %lld has more than %d commission assets",
			            (long long)p->id, SB_STORE_COMMISSIONS_MAX);
			break;
		}
		e = col_str(s, q, 0, p->commissions[i].asset, sizeof p->commissions[i].asset);
		if (e != SB_OK)
			break;
		p->commissions[i++].amount = col_i64(q, 1);
	}
	if (e == SB_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		e = sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

static sb_err read_position(struct sq_store *s, sqlite3_stmt *q, void *row)
{
	struct sb_store_position *p = row;
	p->id = col_i64(q, 0);
	sb_err e = col_str(s, q, 1, p->symbol, sizeof p->symbol);
	p->cycle = col_i64(q, 2);
	if (e == SB_OK)
		e = col_name(s, q, 3, parse_state, &p->state);
	p->created_ms = col_i64(q, 4);
	p->updated_ms = col_i64(q, 5);
	p->opened_ms = col_i64(q, 6);
	p->closed_ms = col_i64(q, 7);
	p->buy_qty = col_i64(q, 8);
	p->cost_quote = col_i64(q, 9);
	p->base_received = col_i64(q, 10);
	p->sell_qty = col_i64(q, 11);
	p->sold_qty = col_i64(q, 12);
	p->sell_price_target = col_i64(q, 13);
	p->proceeds = col_i64(q, 14);
	p->realised_profit = col_i64(q, 15);
	p->dust_qty = col_i64(q, 16);
	if (e == SB_OK)
		e = col_str(s, q, 17, p->notes, sizeof p->notes);
	if (e == SB_OK)
		e = col_name(s, q, 18, parse_exit, &p->exit);
	p->duration_alerted = col_i64(q, 19) != 0;
	if (e == SB_OK)
		e = read_commissions(s, p);
	return e;
}

/* The columns an update writes, bound from ?2 on (?1 is the id). */
static void bind_position_update(sqlite3_stmt *q, const struct sb_store_position *p)
{
	bind_i64(q, 1, p->id);
	bind_text(q, 2, sb_position_state_name(p->state));
	bind_i64(q, 3, p->updated_ms);
	bind_i64_or_null(q, 4, p->opened_ms);
	bind_i64_or_null(q, 5, p->closed_ms);
	bind_i64(q, 6, p->buy_qty);
	bind_i64(q, 7, p->cost_quote);
	bind_i64(q, 8, p->base_received);
	bind_i64(q, 9, p->sell_qty);
	bind_i64(q, 10, p->sold_qty);
	bind_i64(q, 11, p->sell_price_target);
	bind_i64(q, 12, p->proceeds);
	bind_i64(q, 13, p->realised_profit);
	bind_i64(q, 14, p->dust_qty);
	bind_text(q, 15, p->notes);
	bind_text(q, 16, sb_position_exit_name(p->exit));
	bind_i64(q, 17, p->duration_alerted);
}

/* Updates the position inside the caller's transaction. */
static sb_err position_row_update(struct sq_store *s, const struct sb_store_position *p)
{
	sb_err e = SB_OK;
	STMT(s, SQ_POS_UPDATE, e);
	bind_position_update(q, p);
	e = sq_step_done(s, q);
	if (e == SB_OK && sqlite3_changes(s->db) == 0)
		return sq_fail(s, SB_ERR_NOT_FOUND, "no position %lld", (long long)p->id);
	if (e == SB_OK)
		e = write_commissions(s, p, p->id);
	return e;
}

static sb_err position_insert(struct sb_store *st, struct sb_store_position *p,
                              const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_POS_INSERT, e);
	e = sq_begin(s);
	if (e != SB_OK)
		return e;
	bind_text(q, 1, p->symbol);
	bind_i64(q, 2, p->cycle);
	bind_text(q, 3, sb_position_state_name(p->state));
	bind_i64(q, 4, p->created_ms);
	bind_i64(q, 5, p->updated_ms);
	bind_i64_or_null(q, 6, p->opened_ms);
	bind_i64_or_null(q, 7, p->closed_ms);
	bind_i64(q, 8, p->buy_qty);
	bind_i64(q, 9, p->cost_quote);
	bind_i64(q, 10, p->base_received);
	bind_i64(q, 11, p->sell_qty);
	bind_i64(q, 12, p->sold_qty);
	bind_i64(q, 13, p->sell_price_target);
	bind_i64(q, 14, p->proceeds);
	bind_i64(q, 15, p->realised_profit);
	bind_i64(q, 16, p->dust_qty);
	bind_text(q, 17, p->notes);
	bind_text(q, 18, sb_position_exit_name(p->exit));
	bind_i64(q, 19, p->duration_alerted);
	int64_t id = 0, cycle = 0;
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		id = col_i64(q, 0);
		cycle = col_i64(q, 1);
		rc = sqlite3_step(q);
	}
	e = rc == SQLITE_DONE ? SB_OK : sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (e == SB_OK)
		e = write_commissions(s, p, id);
	e = sq_end(s, maybe_event(s, e, ev, id));
	if (e == SB_OK) {
		p->id = id;
		p->cycle = cycle;
	}
	return e;
}

static sb_err position_update(struct sb_store *st, const struct sb_store_position *p,
                              const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = sq_begin(s);
	if (e != SB_OK)
		return e;
	e = position_row_update(s, p);
	return sq_end(s, maybe_event(s, e, ev, p->id));
}

static sb_err position_get(struct sb_store *st, int64_t id, struct sb_store_position *out)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_POS_GET, e);
	bind_i64(q, 1, id);
	char key[32];
	snprintf(key, sizeof key, "%lld", (long long)id);
	struct sb_store_position p = {0};
	e = fetch_one(s, q, read_position, &p, "position", key);
	if (e == SB_OK)
		*out = p;
	return e;
}

static sb_err position_list(struct sb_store *st, const struct sb_store_pos_filter *f,
                            struct sb_store_position **rows, size_t *n)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_POS_LIST, e);
	bind_text_or_null(q, 1, f->symbol);
	bind_i64(q, 2, (int64_t)f->which);
	bind_i64(q, 3, f->from_ms);
	bind_i64(q, 4, f->to_ms);
	bind_i64(q, 5, bind_limit(f->limit));
	bind_i64(q, 6, f->before_id);
	return collect(s, q, sizeof **rows, read_position, (void **)rows, n, NULL);
}

/* Orders. */
static sb_err read_order(struct sq_store *s, sqlite3_stmt *q, void *row)
{
	struct sb_store_order *o = row;
	sb_err e = col_str(s, q, 0, o->client_order_id, sizeof o->client_order_id);
	o->exchange_order_id = col_i64(q, 1);
	o->position_id = col_i64(q, 2);
	if (e == SB_OK)
		e = col_str(s, q, 3, o->symbol, sizeof o->symbol);
	if (e == SB_OK)
		e = col_name(s, q, 4, parse_side, &o->side);
	if (e == SB_OK)
		e = col_name(s, q, 5, parse_type, &o->type);
	o->tif = SB_TIF_NONE;
	if (e == SB_OK && sqlite3_column_type(q, 6) != SQLITE_NULL)
		e = col_name(s, q, 6, parse_tif, &o->tif);
	o->price = col_i64(q, 7);
	o->orig_qty = col_i64(q, 8);
	o->quote_qty = col_i64(q, 9);
	o->executed_qty = col_i64(q, 10);
	o->cumm_quote_qty = col_i64(q, 11);
	if (e == SB_OK)
		e = col_name(s, q, 12, parse_status, &o->status);
	o->created_ms = col_i64(q, 13);
	o->updated_ms = col_i64(q, 14);
	if (e == SB_OK)
		e = col_str(s, q, 15, o->last_error, sizeof o->last_error);
	return e;
}

static sb_err order_row_insert(struct sq_store *s, const struct sb_store_order *o)
{
	sb_err e = SB_OK;
	STMT(s, SQ_ORDER_INSERT, e);
	bind_text(q, 1, o->client_order_id);
	bind_i64_or_null(q, 2, o->exchange_order_id);
	bind_i64_or_null(q, 3, o->position_id);
	bind_text(q, 4, o->symbol);
	bind_text(q, 5, sb_side_name(o->side));
	bind_text(q, 6, sb_order_type_name(o->type));
	bind_text_or_null(q, 7, o->tif == SB_TIF_NONE ? NULL : sb_tif_name(o->tif));
	bind_i64(q, 8, o->price);
	bind_i64(q, 9, o->orig_qty);
	bind_i64(q, 10, o->quote_qty);
	bind_i64(q, 11, o->executed_qty);
	bind_i64(q, 12, o->cumm_quote_qty);
	bind_text(q, 13, sb_order_state_name(o->status));
	bind_i64(q, 14, o->created_ms);
	bind_i64(q, 15, o->updated_ms);
	bind_text(q, 16, o->last_error);
	e = sq_step_done(s, q);
	if (e == SB_ERR_NOT_FOUND)
		sq_fail(s, e, "order %s refers to position %lld, which does not exist", o->client_order_id,
		        (long long)o->position_id);
	return e;
}

static sb_err order_row_update(struct sq_store *s, const struct sb_store_order *o)
{
	sb_err e = SB_OK;
	STMT(s, SQ_ORDER_UPDATE, e);
	bind_text(q, 1, o->client_order_id);
	bind_i64_or_null(q, 2, o->exchange_order_id);
	bind_text(q, 3, sb_order_state_name(o->status));
	bind_i64(q, 4, o->executed_qty);
	bind_i64(q, 5, o->cumm_quote_qty);
	bind_i64(q, 6, o->updated_ms);
	bind_text(q, 7, o->last_error);
	e = sq_step_done(s, q);
	if (e == SB_OK && sqlite3_changes(s->db) == 0)
		return sq_fail(s, SB_ERR_NOT_FOUND, "no order %s", o->client_order_id);
	return e;
}

static sb_err order_insert(struct sb_store *st, const struct sb_store_order *o,
                           const struct sb_store_position *pos, const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = sq_begin(s);
	if (e != SB_OK)
		return e;
	e = order_row_insert(s, o);
	if (e == SB_OK && pos)
		e = position_row_update(s, pos);
	return sq_end(s, maybe_event(s, e, ev, o->position_id));
}

static sb_err order_update(struct sb_store *st, const struct sb_store_order *o,
                           const struct sb_store_position *pos, const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = sq_begin(s);
	if (e != SB_OK)
		return e;
	e = order_row_update(s, o);
	if (e == SB_OK && pos)
		e = position_row_update(s, pos);
	return sq_end(s, maybe_event(s, e, ev, o->position_id));
}

static sb_err order_get(struct sb_store *st, const char *id, struct sb_store_order *out)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_ORDER_GET, e);
	bind_text(q, 1, id);
	struct sb_store_order o = {0};
	e = fetch_one(s, q, read_order, &o, "order", id);
	if (e == SB_OK)
		*out = o;
	return e;
}

static sb_err order_list(struct sb_store *st, const struct sb_store_order_filter *f,
                         struct sb_store_order **rows, size_t *n)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	if (f->position_id != 0 && !f->symbol && !f->by_status && !f->open_only) {
		STMT(s, SQ_ORDER_OF_POSITION, e);
		bind_i64(q, 1, f->position_id);
		bind_i64(q, 2, bind_limit(f->limit));
		return collect(s, q, sizeof **rows, read_order, (void **)rows, n, NULL);
	}
	STMT(s, SQ_ORDER_LIST, e);
	bind_text_or_null(q, 1, f->symbol);
	bind_i64(q, 2, f->position_id);
	bind_text_or_null(q, 3, f->by_status ? sb_order_state_name(f->status) : NULL);
	bind_i64(q, 4, f->open_only);
	bind_i64(q, 5, bind_limit(f->limit));
	return collect(s, q, sizeof **rows, read_order, (void **)rows, n, NULL);
}

/* Fills. */
static sb_err read_fill(struct sq_store *s, sqlite3_stmt *q, void *row)
{
	struct sb_store_fill *f = row;
	sb_err e = col_str(s, q, 0, f->symbol, sizeof f->symbol);
	f->trade_id = col_i64(q, 1);
	if (e == SB_OK)
		e = col_str(s, q, 2, f->client_order_id, sizeof f->client_order_id);
	f->price = col_i64(q, 3);
	f->qty = col_i64(q, 4);
	f->quote_qty = col_i64(q, 5);
	f->commission = col_i64(q, 6);
	if (e == SB_OK)
		e = col_str(s, q, 7, f->commission_asset, sizeof f->commission_asset);
	f->is_maker = col_i64(q, 8) != 0;
	f->time_ms = col_i64(q, 9);
	return e;
}

static sb_err fill_row_insert(struct sq_store *s, const struct sb_store_fill *f)
{
	sb_err e = SB_OK;
	STMT(s, SQ_FILL_INSERT, e);
	bind_text(q, 1, f->symbol);
	bind_i64(q, 2, f->trade_id);
	bind_text(q, 3, f->client_order_id);
	bind_i64(q, 4, f->price);
	bind_i64(q, 5, f->qty);
	bind_i64(q, 6, f->quote_qty);
	bind_i64(q, 7, f->commission);
	bind_text(q, 8, f->commission_asset);
	bind_i64(q, 9, f->is_maker);
	bind_i64(q, 10, f->time_ms);
	e = sq_step_done(s, q);
	if (e == SB_ERR_EXISTS)
		sq_fail(s, e, "fill %s #%lld of %s was already applied", f->symbol, (long long)f->trade_id,
		        f->client_order_id);
	else if (e == SB_ERR_NOT_FOUND)
		sq_fail(s, e, "fill %s #%lld belongs to unknown order %s", f->symbol, (long long)f->trade_id,
		        f->client_order_id);
	return e;
}

static sb_err fill_apply(struct sb_store *st, const struct sb_store_fill *f, const struct sb_store_order *o,
                         const struct sb_store_position *pos, const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = sq_begin(s);
	if (e != SB_OK)
		return e;
	/* The fill goes first: a duplicate stops the transaction before anything else is touched. */
	e = fill_row_insert(s, f);
	if (e == SB_OK)
		e = order_row_update(s, o);
	if (e == SB_OK && pos)
		e = position_row_update(s, pos);
	return sq_end(s, maybe_event(s, e, ev, o->position_id));
}

static sb_err fill_exists(struct sb_store *st, const char *symbol, const char *client_order_id,
                          int64_t trade_id, bool *exists)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_FILL_EXISTS, e);
	bind_text(q, 1, symbol);
	bind_text(q, 2, client_order_id);
	bind_i64(q, 3, trade_id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		*exists = rc == SQLITE_ROW;
	else
		e = sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

static sb_err fill_list(struct sb_store *st, const char *client_order_id, struct sb_store_fill **rows,
                        size_t *n)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_FILL_LIST, e);
	bind_text(q, 1, client_order_id);
	return collect(s, q, sizeof **rows, read_fill, (void **)rows, n, NULL);
}

/* Events. */
static sb_err read_event(struct sq_store *s, sqlite3_stmt *q, void *row)
{
	struct sb_store_event *ev = row;
	ev->id = col_i64(q, 0);
	ev->time_ms = col_i64(q, 1);
	sb_err e = col_str(s, q, 2, ev->kind, sizeof ev->kind);
	if (e == SB_OK)
		e = col_str(s, q, 3, ev->symbol, sizeof ev->symbol);
	ev->position_id = col_i64(q, 4);
	if (e == SB_OK)
		e = col_str(s, q, 5, ev->client_order_id, sizeof ev->client_order_id);
	if (e == SB_OK) {
		const char *t = (const char *)sqlite3_column_text(q, 6);
		ev->detail = sb_xstrdup(t ? t : "{}");
	}
	return e;
}

static void fini_event(void *row)
{
	struct sb_store_event *ev = row;
	free((void *)(uintptr_t)ev->detail);
}

static sb_err event_append(struct sb_store *st, const struct sb_store_event *ev, int64_t *id)
{
	struct sq_store *s = sq_of(st);
	sb_err e = sq_begin(s);
	if (e != SB_OK)
		return e;
	int64_t new_id = 0;
	e = sq_end(s, event_row(s, ev, 0, &new_id));
	if (e == SB_OK)
		*id = new_id;
	return e;
}

static sb_err event_list(struct sb_store *st, const struct sb_store_event_filter *f,
                         struct sb_store_event **rows, size_t *n)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_EVENT_LIST, e);
	bind_i64(q, 1, f->after_id);
	bind_i64(q, 2, f->from_ms);
	bind_i64(q, 3, f->to_ms);
	bind_text_or_null(q, 4, f->kind);
	bind_i64(q, 5, bind_limit(f->limit));
	return collect(s, q, sizeof **rows, read_event, (void **)rows, n, fini_event);
}

/* System state. */
static sb_err state_get(struct sb_store *st, const char *key, char *buf, size_t cap)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_STATE_GET, e);
	bind_text(q, 1, key);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(q, 0);
		size_t len = (size_t)sqlite3_column_bytes(q, 0);
		if (len >= cap) {
			e = sq_fail(s, SB_ERR_TOO_LONG,
			            "state %s holds %zu bytes, more than the buffer's %zu", key, len,
			            cap - 1);
		} else {
			if (len)
				memcpy(buf, t, len);
			buf[len] = '\0';
		}
	} else if (rc == SQLITE_DONE) {
		e = sq_fail(s, SB_ERR_NOT_FOUND, "no state %s", key);
	} else {
		e = sq_error(s, rc);
	}
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	return e;
}

static sb_err state_set(struct sb_store *st, const char *key, const char *value, int64_t now_ms,
                        const struct sb_store_event *ev)
{
	struct sq_store *s = sq_of(st);
	sb_err e = SB_OK;
	STMT(s, SQ_STATE_SET, e);
	e = sq_begin(s);
	if (e != SB_OK)
		return e;
	bind_text(q, 1, key);
	bind_text(q, 2, value);
	bind_i64(q, 3, now_ms);
	e = sq_step_done(s, q);
	return sq_end(s, maybe_event(s, e, ev, 0));
}

/* Profit aggregates: rows come sorted by their group (column 0 or 1); sums are added exactly in C. */
static sb_err pnl(struct sq_store *s, enum sq_stmt id, int64_t from_ms, int64_t to_ms,
                  struct sb_store_pnl **rows, size_t *n)
{
	sb_err e = SB_OK;
	STMT(s, id, e);
	bind_i64(q, 1, from_ms);
	bind_i64(q, 2, to_ms);
	struct sb_store_pnl *arr = NULL;
	size_t cnt = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *sym = (const char *)sqlite3_column_text(q, 0);
		int64_t day = col_i64(q, 1);
		sb_dec profit = col_i64(q, 2), cost = col_i64(q, 3);
		struct sb_store_pnl *cur = cnt ? &arr[cnt - 1] : NULL;
		if (!cur || cur->day_ms != day || strcmp(cur->symbol, sym ? sym : "") != 0) {
			if (cnt == cap) {
				cap = cap ? cap * 2 : 16;
				arr = sb_xrealloc(arr, cap * sizeof *arr);
			}
			cur = &arr[cnt++];
			memset(cur, 0, sizeof *cur);
			e = col_str(s, q, 0, cur->symbol, sizeof cur->symbol);
			if (e != SB_OK)
				break;
			cur->day_ms = day;
		}
		cur->positions++;
		cur->wins += profit > 0;
		if (sb_dec_add(cur->profit, profit, &cur->profit) != SB_OK ||
		    sb_dec_add(cur->cost, cost, &cur->cost) != SB_OK) {
			e = sq_fail(s, SB_ERR_OVERFLOW, "profit sum of %s overflows",
			            cur->symbol[0] ? cur->symbol : "a day");
			break;
		}
	}
	if (e == SB_OK && rc != SQLITE_DONE)
		e = sq_error(s, rc);
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (e != SB_OK) {
		free(arr);
		return e;
	}
	*rows = arr;
	*n = cnt;
	return SB_OK;
}

static sb_err pnl_by_pair(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
                          size_t *n)
{
	return pnl(sq_of(st), SQ_PNL_BY_PAIR, from_ms, to_ms, rows, n);
}

static sb_err pnl_by_day(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
                         size_t *n)
{
	return pnl(sq_of(st), SQ_PNL_BY_DAY, from_ms, to_ms, rows, n);
}

const struct sb_store_ops sq_ops = {
    .name = "sqlite",
    .close = sq_close,
    .backup = sq_backup,
    .check = sq_check,
    .exec = sq_exec,
    .data_version = sq_data_version,
    .wait_for_locks = sq_wait_for_locks,
    .begin = sq_txn_begin,
    .commit = sq_txn_commit,
    .rollback = sq_txn_rollback,
    .pair_upsert = pair_upsert,
    .pair_get = pair_get,
    .pair_list = pair_list,
    .pair_delete = pair_delete,
    .order_insert = order_insert,
    .order_update = order_update,
    .order_get = order_get,
    .order_list = order_list,
    .fill_apply = fill_apply,
    .fill_exists = fill_exists,
    .fill_list = fill_list,
    .position_insert = position_insert,
    .position_update = position_update,
    .position_get = position_get,
    .position_list = position_list,
    .event_append = event_append,
    .event_list = event_list,
    .state_get = state_get,
    .state_set = state_set,
    .pnl_by_pair = pnl_by_pair,
    .pnl_by_day = pnl_by_day,
};

/*
 * cmd_positions.c - `spotbot positions`, `spotbot history` and `spotbot orders`: the positions and orders
 * in the database, as tables or JSON (conventions in cmd_read.c).
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/read.h"
#include "cli/table.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/store.h"

/* ---- positions and history ----------------------------------------------------------------------- */

static bool state_is_closed(enum sb_position_state s)
{
	return !sb_position_state_is_open(s);
}

/* How long a position has been (or was) held: from its first buy fill to its close, or to now; -1 when it
 * never bought anything. */
static int64_t held_ms(const struct sb_store_position *p, int64_t now_ms)
{
	if (p->opened_ms == 0)
		return -1;
	int64_t end = p->closed_ms ? p->closed_ms : now_ms;
	return end >= p->opened_ms ? end - p->opened_ms : 0;
}

static enum sb_table_color state_color(enum sb_position_state s)
{
	switch (s) {
	case SB_POSITION_BUYING:
	case SB_POSITION_SELLING:
		return SB_TABLE_YELLOW;
	case SB_POSITION_HOLDING:
		return SB_TABLE_BOLD;
	case SB_POSITION_CLOSED:
		return SB_TABLE_GREEN;
	default:
		return SB_TABLE_DIM;
	}
}

/* How the position's last sell was placed, in lower case: "target", "stop_loss", "max_duration",
 * "manual"; NULL when no sell was placed. */
static const char *exit_reason(const struct sb_store_position *p, char *buf, size_t cap)
{
	const char *e = sb_position_exit_name(p->exit);
	size_t n = strlen(e);
	if (p->exit == SB_EXIT_NONE || n >= cap)
		return NULL;
	for (size_t i = 0; i < n; i++)
		buf[i] = e[i] >= 'A' && e[i] <= 'Z' ? (char)(e[i] - 'A' + 'a') : e[i];
	buf[n] = '\0';
	return buf;
}

static cJSON *position_json(const struct sb_store_position *p, int64_t now_ms)
{
	cJSON *o = cJSON_CreateObject();
	int64_t held = held_ms(p, now_ms);
	read_json_int(o, "id", p->id);
	cJSON_AddStringToObject(o, "symbol", p->symbol);
	read_json_int(o, "cycle", p->cycle);
	cJSON_AddStringToObject(o, "state", sb_position_state_name(p->state));
	cJSON_AddBoolToObject(o, "open", sb_position_state_is_open(p->state));
	read_json_time(o, "created_at", p->created_ms);
	read_json_time(o, "opened_at", p->opened_ms);
	read_json_time(o, "closed_at", p->closed_ms);
	if (held < 0)
		cJSON_AddNullToObject(o, "held_seconds");
	else
		read_json_int(o, "held_seconds", held / 1000);
	read_json_dec(o, "buy_qty", p->buy_qty);
	read_json_dec(o, "cost_quote", p->cost_quote);
	read_json_dec(o, "base_received", p->base_received);
	read_json_dec(o, "sell_qty", p->sell_qty);
	read_json_dec(o, "sold_qty", p->sold_qty);
	read_json_dec_or_null(o, "sell_price", p->sell_price_target);
	read_json_dec(o, "proceeds_quote", p->proceeds);
	if (state_is_closed(p->state))
		read_json_dec(o, "realized_profit_quote", p->realised_profit);
	else
		cJSON_AddNullToObject(o, "realized_profit_quote");
	read_json_dec(o, "dust_qty", p->dust_qty);
	char why[32];
	read_json_str_or_null(o, "exit", exit_reason(p, why, sizeof why));
	cJSON *fees = cJSON_AddArrayToObject(o, "commissions");
	for (size_t i = 0; i < SB_STORE_COMMISSIONS_MAX; i++) {
		if (!p->commissions[i].asset[0])
			continue;
		cJSON *f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "asset", p->commissions[i].asset);
		read_json_dec(f, "amount", p->commissions[i].amount);
		cJSON_AddItemToArray(fees, f);
	}
	cJSON_AddStringToObject(o, "notes", p->notes);
	return o;
}

static int positions_json(const struct sb_store_position *rows, size_t n, int64_t now_ms)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, position_json(&rows[i], now_ms));
	return read_json_print(arr);
}

static void positions_table(const struct ctx *c, const struct sb_store_position *rows, size_t n)
{
	static const char *const head[] = {"ID",  "SYMBOL", "CYCLE",  "STATE",  "OPENED", "HELD",
	                                   "QTY", "COST",   "TARGET", "PROFIT", "EXIT"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_LEFT, SB_TABLE_RIGHT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN], why[32];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_position *p = &rows[i];
		sb_table_row(t);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->id);
		sb_table_cell(t, p->symbol, SB_TABLE_PLAIN);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->cycle);
		sb_table_cell(t, sb_position_state_name(p->state), state_color(p->state));
		sb_table_cell(t, sb_table_time(p->opened_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_duration(held_ms(p, c->now_ms), a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->buy_qty, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->cost_quote, b, sizeof b), SB_TABLE_PLAIN);
		if (p->sell_price_target)
			sb_table_cell(t, sb_table_dec(p->sell_price_target, b, sizeof b), SB_TABLE_PLAIN);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		if (state_is_closed(p->state))
			sb_table_cell(t, sb_table_dec(p->realised_profit, b, sizeof b),
			              sb_table_sign_color(p->realised_profit));
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		const char *x = exit_reason(p, why, sizeof why);
		sb_table_cell(t, x ? x : "-", x ? SB_TABLE_PLAIN : SB_TABLE_DIM);
	}
	if (n == 0)
		puts("no positions");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

static const char positions_usage[] =
    "usage: spotbot positions [--open | --closed | --all] [--symbol SYMBOL] [--limit N] [--json]\n"
    "                         [--config FILE]\n"
    "  --open         only open positions (BUYING, HOLDING, SELLING)\n"
    "  --closed       only closed positions (CLOSED, CANCELED, ABANDONED)\n"
    "  --all          every position (default)\n"
    "  --symbol SYM   only positions on SYM\n"
    "  --limit N      at most N positions, newest first (default 100)\n" COMMON_USAGE;

int sb_cli_positions_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS, READ_OPT_OPEN,  READ_OPT_CLOSED, READ_OPT_ALL,
	    READ_OPT_SYMBOL,  READ_OPT_LIMIT, READ_OPT_END,
	};
	static const struct read_view v = {"positions", positions_usage, longs, SB_STORE_LIST_MAX, false};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_positions(int argc, char **argv)
{
	struct sb_cli_view_args a;
	struct ctx c;
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	int rc = read_ctx_start(&c, "positions", sb_cli_positions_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	struct sb_store_pos_filter f = {.which = a.which, .limit = a.limit};
	f.symbol = a.symbol[0] ? a.symbol : NULL;
	rc = read_open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_position_list(c.st, &f, &rows, &n);
		if (e != SB_OK)
			rc = read_store_fail(&c, "positions", e);
		else if (c.json)
			rc = positions_json(rows, n, c.now_ms);
		else
			positions_table(&c, rows, n);
	}
	free(rows);
	read_ctx_fini(&c);
	return rc;
}

static const char history_usage[] =
    "usage: spotbot history [--symbol SYMBOL] [--since WHEN] [--until WHEN] [--limit N] [--json]\n"
    "                       [--config FILE]\n"
    "  finished cycles (CLOSED, CANCELED, ABANDONED), newest first\n"
    "  --symbol SYM   only cycles on SYM\n"
    "  --since WHEN   closed at or after WHEN: 2026-11-25T08:00:00Z, 2026-11-25 or an age (2h, 7d)\n"
    "  --until WHEN   closed before WHEN\n"
    "  --limit N      at most N cycles (default 100)\n" COMMON_USAGE;

static void history_table(const struct ctx *c, const struct sb_store_position *rows, size_t n)
{
	static const char *const head[] = {"ID",   "SYMBOL", "CYCLE",    "STATE",  "OPENED", "CLOSED",
	                                   "HELD", "COST",   "PROCEEDS", "PROFIT", "EXIT"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_LEFT,  SB_TABLE_LEFT, SB_TABLE_LEFT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN], why[32];
	sb_dec total = 0;
	bool overflow = false;
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_position *p = &rows[i];
		sb_table_row(t);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->id);
		sb_table_cell(t, p->symbol, SB_TABLE_PLAIN);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, p->cycle);
		sb_table_cell(t, sb_position_state_name(p->state), state_color(p->state));
		sb_table_cell(t, sb_table_time(p->opened_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_time(p->closed_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_duration(held_ms(p, c->now_ms), a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->cost_quote, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->proceeds, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->realised_profit, b, sizeof b),
		              sb_table_sign_color(p->realised_profit));
		const char *x = exit_reason(p, why, sizeof why);
		sb_table_cell(t, x ? x : "-", x ? SB_TABLE_PLAIN : SB_TABLE_DIM);
		if (sb_dec_add(total, p->realised_profit, &total) != SB_OK)
			overflow = true;
	}
	if (n == 0) {
		puts("no finished cycles");
	} else {
		sb_table_print(t, stdout, c->color);
		printf("%zu cycle%s, realised profit %s\n", n, n == 1 ? "" : "s",
		       overflow ? "(overflow)" : sb_table_dec(total, b, sizeof b));
	}
	sb_table_free(t);
}

int sb_cli_history_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS, READ_OPT_SYMBOL, READ_OPT_SINCE, READ_OPT_UNTIL, READ_OPT_LIMIT, READ_OPT_END,
	};
	static const struct read_view v = {"history", history_usage, longs, SB_STORE_LIST_MAX, false};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_history(int argc, char **argv)
{
	struct sb_cli_view_args a;
	struct ctx c;
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	int rc = read_ctx_start(&c, "history", sb_cli_history_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	struct sb_store_pos_filter f = {
	    .which = SB_STORE_LIST_CLOSED, .from_ms = a.from_ms, .to_ms = a.to_ms, .limit = a.limit};
	f.symbol = a.symbol[0] ? a.symbol : NULL;
	rc = read_open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_position_list(c.st, &f, &rows, &n);
		if (e != SB_OK)
			rc = read_store_fail(&c, "positions", e);
		else if (c.json)
			rc = positions_json(rows, n, c.now_ms);
		else
			history_table(&c, rows, n);
	}
	free(rows);
	read_ctx_fini(&c);
	return rc;
}

/* ---- orders -------------------------------------------------------------------------------------- */

static enum sb_table_color order_color(enum sb_order_state s)
{
	switch (s) {
	case SB_ORDER_FILLED:
		return SB_TABLE_GREEN;
	case SB_ORDER_REJECTED:
	case SB_ORDER_EXPIRED:
	case SB_ORDER_EXPIRED_IN_MATCH:
	case SB_ORDER_UNKNOWN:
	case SB_ORDER_LOST:
		return SB_TABLE_RED;
	case SB_ORDER_CANCELED:
	case SB_ORDER_NEVER_SENT:
		return SB_TABLE_DIM;
	default:
		return SB_TABLE_YELLOW;
	}
}

static cJSON *order_json(const struct sb_store_order *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "client_order_id", o->client_order_id);
	read_json_int_or_null(j, "exchange_order_id", o->exchange_order_id);
	read_json_int_or_null(j, "position_id", o->position_id);
	cJSON_AddStringToObject(j, "symbol", o->symbol);
	cJSON_AddStringToObject(j, "side", sb_side_name(o->side));
	cJSON_AddStringToObject(j, "type", sb_order_type_name(o->type));
	if (o->tif == SB_TIF_NONE)
		cJSON_AddNullToObject(j, "time_in_force");
	else
		cJSON_AddStringToObject(j, "time_in_force", sb_tif_name(o->tif));
	read_json_dec(j, "price", o->price);
	read_json_dec(j, "orig_qty", o->orig_qty);
	read_json_dec(j, "quote_qty", o->quote_qty);
	read_json_dec(j, "executed_qty", o->executed_qty);
	read_json_dec(j, "cumm_quote_qty", o->cumm_quote_qty);
	cJSON_AddStringToObject(j, "status", sb_order_state_name(o->status));
	cJSON_AddBoolToObject(j, "final", sb_order_state_is_final(o->status));
	read_json_time(j, "created_at", o->created_ms);
	read_json_time(j, "updated_at", o->updated_ms);
	read_json_str_or_null(j, "last_error", o->last_error);
	return j;
}

static void orders_table(const struct ctx *c, const struct sb_store_order *rows, size_t n)
{
	static const char *const head[] = {
	    "CLIENT ORDER ID", "EXCHANGE ID", "POS",    "SYMBOL", "SIDE",   "TYPE",
	    "PRICE",           "QTY",         "FILLED", "STATUS", "UPDATED"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT, SB_TABLE_LEFT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(11, head, al);
	char a[64], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_order *o = &rows[i];
		sb_table_row(t);
		sb_table_cell(t, o->client_order_id, SB_TABLE_PLAIN);
		if (o->exchange_order_id)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, o->exchange_order_id);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		if (o->position_id)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, o->position_id);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		sb_table_cell(t, o->symbol, SB_TABLE_PLAIN);
		sb_table_cell(t, sb_side_name(o->side),
		              o->side == SB_SIDE_BUY ? SB_TABLE_GREEN : SB_TABLE_RED);
		sb_table_cell(t, sb_order_type_name(o->type), SB_TABLE_PLAIN);
		if (o->type == SB_ORDER_MARKET)
			sb_table_cell(t, "market", SB_TABLE_DIM);
		else
			sb_table_cell(t, sb_table_dec(o->price, b, sizeof b), SB_TABLE_PLAIN);
		if (o->orig_qty == 0 && o->quote_qty != 0)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%s quote",
			               sb_table_dec(o->quote_qty, b, sizeof b));
		else
			sb_table_cell(t, sb_table_dec(o->orig_qty, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(o->executed_qty, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_order_state_name(o->status), order_color(o->status));
		sb_table_cell(t, sb_table_time(o->updated_ms, a, sizeof a), SB_TABLE_PLAIN);
	}
	if (n == 0)
		puts("no orders");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

static const char orders_usage[] =
    "usage: spotbot orders [--open] [--status STATUS] [--symbol SYMBOL] [--position ID] [--limit N]\n"
    "                      [--json] [--config FILE]\n"
    "  --open           only orders not in a final status\n"
    "  --status STATUS  only orders in STATUS (NEW, PARTIALLY_FILLED, FILLED, CANCELED, ...)\n"
    "  --symbol SYM     only orders on SYM\n"
    "  --position ID    only the orders of position ID\n"
    "  --limit N        at most N orders, newest first (default 100)\n" COMMON_USAGE;

int sb_cli_orders_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS,  READ_OPT_OPEN,  READ_OPT_STATUS, READ_OPT_SYMBOL,
	    READ_OPT_POSITION, READ_OPT_LIMIT, READ_OPT_END,
	};
	static const struct read_view v = {"orders", orders_usage, longs, SB_STORE_LIST_MAX, false};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_orders(int argc, char **argv)
{
	struct sb_cli_view_args a;
	struct ctx c;
	struct sb_store_order *rows = NULL;
	size_t n = 0;
	int rc = read_ctx_start(&c, "orders", sb_cli_orders_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	struct sb_store_order_filter f = {.position_id = a.position_id,
	                                  .by_status = a.by_status,
	                                  .status = a.status,
	                                  .open_only = a.which == SB_STORE_LIST_OPEN,
	                                  .limit = a.limit};
	f.symbol = a.symbol[0] ? a.symbol : NULL;
	rc = read_open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_order_list(c.st, &f, &rows, &n);
		if (e != SB_OK) {
			rc = read_store_fail(&c, "orders", e);
		} else if (c.json) {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, order_json(&rows[i]));
			rc = read_json_print(arr);
		} else {
			orders_table(&c, rows, n);
		}
	}
	free(rows);
	read_ctx_fini(&c);
	return rc;
}

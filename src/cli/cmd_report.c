/*
 * cmd_report.c - `spotbot pairs [list]`, `spotbot pnl` and `spotbot events`: the configured pairs, the
 * realised profit by pair and by day, and the event log, as tables or JSON (conventions in cmd_read.c).
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

/* ---- pairs --------------------------------------------------------------------------------------- */

/* The daemon's state of symbol ("active", "waiting", "disabled", "unlisted"), or NULL when unknown. */
static const char *live_state(const cJSON *live, const char *symbol)
{
	const cJSON *p;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(live, "pairs"))
	{
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(p, "symbol");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(p, "state");
		if (cJSON_IsString(s) && strcmp(s->valuestring, symbol) == 0 && cJSON_IsString(st))
			return st->valuestring;
	}
	return NULL;
}

static cJSON *pair_json(const struct sb_store_pair *p, const char *state)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "symbol", p->symbol);
	cJSON_AddBoolToObject(j, "enabled", p->enabled);
	if (state)
		cJSON_AddStringToObject(j, "state", state);
	else
		cJSON_AddNullToObject(j, "state");
	read_json_dec(j, "quote_per_cycle", p->quote_per_cycle);
	read_json_int(j, "max_positions", p->max_positions);
	cJSON_AddStringToObject(j, "buy_mode", sb_store_buy_mode_name(p->buy_mode));
	read_json_dec(j, "buy_offset", p->buy_offset);
	read_json_int(j, "buy_timeout_seconds", p->buy_timeout_ms / 1000);
	read_json_dec(j, "target_profit", p->target_profit);
	if (p->has_stop_loss)
		read_json_dec(j, "stop_loss", p->stop_loss);
	else
		cJSON_AddNullToObject(j, "stop_loss");
	if (p->max_duration_ms)
		read_json_int(j, "max_duration_seconds", p->max_duration_ms / 1000);
	else
		cJSON_AddNullToObject(j, "max_duration_seconds");
	cJSON_AddBoolToObject(j, "sell_market_on_max_duration", p->sell_market_on_max_duration);
	read_json_int(j, "cooldown_seconds", p->cooldown_ms / 1000);
	read_json_int(j, "stop_loss_cooldown_seconds", p->stop_loss_cooldown_ms / 1000);
	read_json_time(j, "created_at", p->created_ms);
	read_json_time(j, "updated_at", p->updated_ms);
	return j;
}

static void pairs_table(const struct ctx *c, const struct sb_store_pair *rows, size_t n, const cJSON *live)
{
	static const char *const head[] = {"SYMBOL", "ENABLED",   "STATE",    "QUOTE/CYCLE",
	                                   "MAX",    "BUY",       "OFFSET",   "BUY TIMEOUT",
	                                   "PROFIT", "STOP LOSS", "MAX HOLD", "COOLDOWN"};
	static const enum sb_table_align al[] = {
	    SB_TABLE_LEFT,  SB_TABLE_LEFT,  SB_TABLE_LEFT,  SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_LEFT,
	    SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT, SB_TABLE_RIGHT};
	struct sb_table *t = sb_table_new(12, head, al);
	char a[64], b[SB_DEC_STRLEN];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_pair *p = &rows[i];
		const char *state = live_state(live, p->symbol);
		sb_table_row(t);
		sb_table_cell(t, p->symbol, SB_TABLE_PLAIN);
		sb_table_cell(t, p->enabled ? "yes" : "no", p->enabled ? SB_TABLE_GREEN : SB_TABLE_DIM);
		sb_table_cell(t, state ? state : "-",
		              state && strcmp(state, "unlisted") == 0 ? SB_TABLE_RED : SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(p->quote_per_cycle, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId32, p->max_positions);
		sb_table_cell(t, p->buy_mode == SB_STORE_BUY_MARKET ? "market" : "limit", SB_TABLE_PLAIN);
		sb_table_cell(
		    t, p->buy_mode == SB_STORE_BUY_MARKET ? "-" : read_percent(p->buy_offset, a, sizeof a),
		    SB_TABLE_PLAIN);
		sb_table_cell(t,
		              p->buy_timeout_ms ? sb_table_duration(p->buy_timeout_ms, a, sizeof a) : "never",
		              SB_TABLE_PLAIN);
		sb_table_cell(t, read_percent(p->target_profit, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, p->has_stop_loss ? read_percent(p->stop_loss, a, sizeof a) : "-",
		              SB_TABLE_PLAIN);
		if (p->max_duration_ms)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%s%s",
			               sb_table_duration(p->max_duration_ms, a, sizeof a),
			               p->sell_market_on_max_duration ? " sell" : "");
		else
			sb_table_cell(t, "-", SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_duration(p->cooldown_ms, a, sizeof a), SB_TABLE_PLAIN);
	}
	if (n == 0)
		puts("no trade pairs configured");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

static const char pairs_usage[] =
    "usage: spotbot pairs [list] [--enabled] [--json] [--config FILE]\n"
    "  list           the configured trade pairs (default)\n"
    "  --enabled      only enabled pairs\n" COMMON_USAGE
    "  add, set, enable, disable and remove change pairs through the running daemon\n";

int sb_cli_pairs_list_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {COMMON_LONG_OPTS, READ_OPT_ENABLED, READ_OPT_END};
	static const struct read_view v = {"pairs", pairs_usage, longs, 0, true};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_pairs(int argc, char **argv)
{
	static const char *const acting[] = {"add", "set", "enable", "disable", "remove"};
	struct sb_cli_view_args a;
	struct ctx c;
	struct sb_store_pair *rows = NULL;
	size_t n = 0;
	/* Changing a pair goes through the daemon's control API (cmd_pairs.c). */
	if (argc > 1)
		for (size_t i = 0; i < sizeof acting / sizeof acting[0]; i++)
			if (strcmp(argv[1], acting[i]) == 0)
				return sb_cmd_pairs_act(argc - 1, argv + 1);
	int rc = read_ctx_start(&c, "pairs", sb_cli_pairs_list_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = read_open_db(&c);
	cJSON *live = NULL;
	if (rc == SB_EXIT_OK) {
		sb_err e = sb_store_pair_list(c.st, a.enabled_only, &rows, &n);
		if (e == SB_OK)
			live = sb_cli_control_get_json(&c.cfg, "/pairs");
		if (e != SB_OK) {
			rc = read_store_fail(&c, "trade pairs", e);
		} else if (c.json) {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr,
				                     pair_json(&rows[i], live_state(live, rows[i].symbol)));
			rc = read_json_print(arr);
		} else {
			pairs_table(&c, rows, n, live);
		}
	}
	cJSON_Delete(live);
	free(rows);
	read_ctx_fini(&c);
	return rc;
}

/* ---- pnl ----------------------------------------------------------------------------------------- */

static cJSON *pnl_json(const struct sb_store_pnl *r, bool by_day)
{
	cJSON *j = cJSON_CreateObject();
	if (by_day) {
		char day[SB_CLOCK_RFC3339_MS_SIZE];
		sb_clock_format_rfc3339_ms(r->day_ms, day, sizeof day);
		day[10] = '\0';
		cJSON_AddStringToObject(j, "day", day);
	} else {
		cJSON_AddStringToObject(j, "symbol", r->symbol);
	}
	read_json_int(j, "cycles", r->positions);
	read_json_int(j, "wins", r->wins);
	read_json_dec(j, "cost_quote", r->cost);
	read_json_dec(j, "realized_profit_quote", r->profit);
	return j;
}

static void pnl_table(const struct ctx *c, const struct sb_store_pnl *rows, size_t n, bool by_day)
{
	static const char *const head_pair[] = {"SYMBOL", "CYCLES", "WINS", "COST", "PROFIT"};
	static const char *const head_day[] = {"DAY", "CYCLES", "WINS", "COST", "PROFIT"};
	static const enum sb_table_align al[] = {SB_TABLE_LEFT, SB_TABLE_RIGHT, SB_TABLE_RIGHT,
	                                         SB_TABLE_RIGHT, SB_TABLE_RIGHT};
	struct sb_table *t = sb_table_new(5, by_day ? head_day : head_pair, al);
	char b[SB_DEC_STRLEN], day[SB_CLOCK_RFC3339_MS_SIZE];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_pnl *r = &rows[i];
		sb_table_row(t);
		if (by_day) {
			sb_clock_format_rfc3339_ms(r->day_ms, day, sizeof day);
			day[10] = '\0';
			sb_table_cell(t, day, SB_TABLE_PLAIN);
		} else {
			sb_table_cell(t, r->symbol, SB_TABLE_PLAIN);
		}
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, r->positions);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, r->wins);
		sb_table_cell(t, sb_table_dec(r->cost, b, sizeof b), SB_TABLE_PLAIN);
		sb_table_cell(t, sb_table_dec(r->profit, b, sizeof b), sb_table_sign_color(r->profit));
	}
	sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

/* Totals over the by-pair rows; false on overflow. */
bool read_pnl_total(const struct sb_store_pnl *rows, size_t n, struct sb_store_pnl *tot)
{
	memset(tot, 0, sizeof *tot);
	for (size_t i = 0; i < n; i++) {
		tot->positions += rows[i].positions;
		tot->wins += rows[i].wins;
		if (sb_dec_add(tot->cost, rows[i].cost, &tot->cost) != SB_OK ||
		    sb_dec_add(tot->profit, rows[i].profit, &tot->profit) != SB_OK)
			return false;
	}
	return true;
}

static const char pnl_usage[] =
    "usage: spotbot pnl [--by pair|day] [--since WHEN] [--until WHEN] [--json] [--config FILE]\n"
    "  realised profit of CLOSED cycles, by pair and by UTC day\n"
    "  --by pair|day  only one of the two breakdowns\n"
    "  --since WHEN   closed at or after WHEN: 2026-11-25T08:00:00Z, 2026-11-25 or an age (2h, 7d)\n"
    "  --until WHEN   closed before WHEN\n" COMMON_USAGE;

static int pnl_show(struct ctx *c, bool want_pair, bool want_day, int64_t from, int64_t to)
{
	struct sb_store_pnl *pair = NULL, *day = NULL, tot;
	size_t npair = 0, nday = 0;
	int rc = SB_EXIT_OK;
	char b[SB_DEC_STRLEN];
	sb_err e = sb_store_pnl_by_pair(c->st, from, to, &pair, &npair);
	if (e == SB_OK && want_day)
		e = sb_store_pnl_by_day(c->st, from, to, &day, &nday);
	if (e != SB_OK) {
		rc = read_store_fail(c, "profit", e);
		goto out;
	}
	if (!read_pnl_total(pair, npair, &tot)) {
		rc = read_fail(c, "the total profit leaves the decimal range");
		goto out;
	}
	if (c->json) {
		cJSON *doc = cJSON_CreateObject();
		if (want_pair) {
			cJSON *arr = cJSON_AddArrayToObject(doc, "by_pair");
			for (size_t i = 0; i < npair; i++)
				cJSON_AddItemToArray(arr, pnl_json(&pair[i], false));
		}
		if (want_day) {
			cJSON *arr = cJSON_AddArrayToObject(doc, "by_day");
			for (size_t i = 0; i < nday; i++)
				cJSON_AddItemToArray(arr, pnl_json(&day[i], true));
		}
		cJSON *t = cJSON_AddObjectToObject(doc, "total");
		read_json_int(t, "cycles", tot.positions);
		read_json_int(t, "wins", tot.wins);
		read_json_dec(t, "cost_quote", tot.cost);
		read_json_dec(t, "realized_profit_quote", tot.profit);
		rc = read_json_print(doc);
		goto out;
	}
	if (npair == 0) {
		puts("no closed cycles");
		goto out;
	}
	if (want_pair)
		pnl_table(c, pair, npair, false);
	if (want_pair && want_day)
		putchar('\n');
	if (want_day)
		pnl_table(c, day, nday, true);
	printf("\ntotal: %" PRId64 " cycle%s, %" PRId64 " win%s, cost %s, ", tot.positions,
	       tot.positions == 1 ? "" : "s", tot.wins, tot.wins == 1 ? "" : "s",
	       sb_table_dec(tot.cost, b, sizeof b));
	char paint[64];
	printf("realised profit %s\n",
	       sb_table_paint(sb_table_dec(tot.profit, b, sizeof b), sb_table_sign_color(tot.profit),
	                      c->color, paint, sizeof paint));
out:
	free(pair);
	free(day);
	return rc;
}

int sb_cli_pnl_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS, READ_OPT_BY, READ_OPT_SINCE, READ_OPT_UNTIL, READ_OPT_END,
	};
	static const struct read_view v = {"pnl", pnl_usage, longs, 0, false};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_pnl(int argc, char **argv)
{
	struct sb_cli_view_args a;
	struct ctx c;
	int rc = read_ctx_start(&c, "pnl", sb_cli_pnl_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = read_open_db(&c);
	if (rc == SB_EXIT_OK)
		rc = pnl_show(&c, a.by_pair, a.by_day, a.from_ms, a.to_ms);
	read_ctx_fini(&c);
	return rc;
}

/* ---- events -------------------------------------------------------------------------------------- */

static const char events_usage[] =
    "usage: spotbot events [--since WHEN] [--until WHEN] [--kind KIND] [--limit N] [--json]\n"
    "                      [--config FILE]\n"
    "  the newest N events of the log, oldest first\n"
    "  --since WHEN   at or after WHEN: 2026-11-25T08:00:00Z, 2026-11-25 or an age (2h, 7d)\n"
    "  --until WHEN   before WHEN\n"
    "  --kind KIND    only events of KIND, in any case: order.intent, order.filled, fill,\n"
    "                 position.closed, pause, ... (docs/database.md lists them)\n"
    "  --limit N      at most N events, the newest (default 100)\n" COMMON_USAGE;

/*
 * The newest `limit` events matching f, oldest first, in *out (*n of them; free with sb_store_events_free).
 * The store lists oldest first in pages, so this pages through every match keeping a ring of the last ones.
 */
static sb_err events_newest(struct sb_store *st, struct sb_store_event_filter f, size_t limit,
                            struct sb_store_event **out, size_t *n)
{
	struct sb_store_event *ring = sb_xcalloc(limit, sizeof *ring);
	size_t total = 0;
	sb_err e;
	f.limit = SB_STORE_LIST_MAX;
	for (;;) {
		struct sb_store_event *rows = NULL;
		size_t got = 0;
		e = sb_store_event_list(st, &f, &rows, &got);
		if (e != SB_OK)
			break;
		for (size_t i = 0; i < got; i++) {
			struct sb_store_event *slot = &ring[total % limit];
			free((void *)(uintptr_t)slot->detail); /* the ring owns the details it keeps */
			*slot = rows[i];
			rows[i].detail = NULL;
			total++;
		}
		if (got > 0)
			f.after_id = rows[got - 1].id;
		sb_store_events_free(rows, got);
		if (got < SB_STORE_LIST_MAX)
			break;
	}
	size_t keep = total < limit ? total : limit;
	if (e != SB_OK || keep == 0) {
		sb_store_events_free(ring, total < limit ? total : limit);
		*out = NULL;
		*n = 0;
		return e;
	}
	/* Unroll the ring so the oldest kept event comes first. */
	struct sb_store_event *rows = sb_xcalloc(keep, sizeof *rows);
	size_t start = total > limit ? total % limit : 0;
	for (size_t i = 0; i < keep; i++)
		rows[i] = ring[(start + i) % limit];
	free(ring);
	*out = rows;
	*n = keep;
	return SB_OK;
}

static cJSON *event_json(const struct sb_store_event *ev)
{
	cJSON *j = cJSON_CreateObject();
	read_json_int(j, "id", ev->id);
	read_json_time(j, "time", ev->time_ms);
	cJSON_AddStringToObject(j, "kind", ev->kind);
	read_json_str_or_null(j, "symbol", ev->symbol);
	read_json_int_or_null(j, "position_id", ev->position_id);
	read_json_str_or_null(j, "client_order_id", ev->client_order_id);
	cJSON *detail = ev->detail ? cJSON_Parse(ev->detail) : NULL;
	if (detail)
		cJSON_AddItemToObject(j, "detail", detail);
	else
		read_json_str_or_null(j, "detail", ev->detail); /* not JSON after all: keep the text */
	return j;
}

static void events_table(const struct ctx *c, const struct sb_store_event *rows, size_t n)
{
	static const char *const head[] = {"ID", "TIME", "KIND", "SYMBOL", "POS", "ORDER", "DETAIL"};
	static const enum sb_table_align al[] = {SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT, SB_TABLE_LEFT,
	                                         SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_LEFT};
	struct sb_table *t = sb_table_new(7, head, al);
	char a[64];
	for (size_t i = 0; i < n; i++) {
		const struct sb_store_event *ev = &rows[i];
		sb_table_row(t);
		sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, ev->id);
		sb_table_cell(t, sb_table_time(ev->time_ms, a, sizeof a), SB_TABLE_PLAIN);
		sb_table_cell(t, ev->kind, SB_TABLE_BOLD);
		sb_table_cell(t, ev->symbol[0] ? ev->symbol : "-", SB_TABLE_PLAIN);
		if (ev->position_id)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, ev->position_id);
		else
			sb_table_cell(t, "-", SB_TABLE_DIM);
		sb_table_cell(t, ev->client_order_id[0] ? ev->client_order_id : "-", SB_TABLE_PLAIN);
		bool empty = !ev->detail || strcmp(ev->detail, "{}") == 0;
		sb_table_cell(t, empty ? "" : ev->detail, SB_TABLE_DIM);
	}
	if (n == 0)
		puts("no events");
	else
		sb_table_print(t, stdout, c->color);
	sb_table_free(t);
}

int sb_cli_events_parse(int argc, char **argv, int64_t now_ms, struct sb_cli_view_args *a)
{
	static const struct option longs[] = {
	    COMMON_LONG_OPTS, READ_OPT_SINCE, READ_OPT_UNTIL, READ_OPT_KIND, READ_OPT_LIMIT, READ_OPT_END,
	};
	static const struct read_view v = {"events", events_usage, longs, SB_CLI_EVENTS_LIMIT_MAX, false};
	return read_view_parse(&v, argc, argv, now_ms, a);
}

int sb_cmd_events(int argc, char **argv)
{
	struct sb_cli_view_args a;
	struct ctx c;
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	int rc = read_ctx_start(&c, "events", sb_cli_events_parse, argc, argv, &a);
	if (rc >= 0)
		return rc;
	struct sb_store_event_filter f = {.from_ms = a.from_ms, .to_ms = a.to_ms, .kind = a.kind};
	rc = read_open_db(&c);
	if (rc == SB_EXIT_OK) {
		sb_err e = events_newest(c.st, f, a.limit, &rows, &n);
		if (e != SB_OK) {
			rc = read_store_fail(&c, "events", e);
		} else if (c.json) {
			cJSON *arr = cJSON_CreateArray();
			for (size_t i = 0; i < n; i++)
				cJSON_AddItemToArray(arr, event_json(&rows[i]));
			rc = read_json_print(arr);
		} else {
			events_table(&c, rows, n);
		}
	}
	sb_store_events_free(rows, n);
	read_ctx_fini(&c);
	return rc;
}

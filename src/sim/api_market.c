/*
 * api_market.c - spotsim's public market-data methods (ping, time, exchangeInfo, depth, trades,
 * aggTrades, klines, avgPrice and the tickers), with Binance's parameter rules, error codes and
 * parameter-dependent weights. Data comes from each symbol's book and md (sim/md.h).
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "sim/api_int.h"
#include "sim/md.h"
#include "spotbot/alloc.h"

#define SYMBOL_RANGE  "'^[A-Z0-9-_.]{1,20}$'"
#define SYMBOLS_RANGE "'^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$'"

/* ---- parameters ------------------------------------------------------------------------------------ */

/* The raw value of a parameter (not NUL-terminated); false when absent. */
static bool param_slice(const struct sim_api_call *c, const char *name, const char **val, size_t *len)
{
	size_t nlen = strlen(name);
	for (size_t i = 0; i < c->nparams; i++) {
		const struct sb_query_pair *p = &c->params[i];
		if (p->key_len == nlen && memcmp(p->key, name, nlen) == 0) {
			*val = p->val;
			*len = p->val_len;
			return true;
		}
	}
	return false;
}

static void err_mandatory(struct sim_api_reply *r, const char *name)
{
	sim_api_error(r, 400, -1102, "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
	              name);
}

static void err_illegal(struct sim_api_reply *r, const char *name, const char *range)
{
	sim_api_error(r, 400, -1100, "Illegal characters found in parameter '%s'; legal range is %s.", name,
	              range);
}

static void err_symbol(struct sim_api_reply *r)
{
	sim_api_error(r, 400, -1121, "Invalid symbol.");
}

static bool symbol_chars_ok(const char *s, size_t n)
{
	if (n < 1 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		      ch == '.'))
			return false;
	}
	return true;
}

static struct sim_symbol *find_symbol(struct sim_exchange *ex, const char *name, size_t n)
{
	for (size_t i = 0; i < ex->nsymbols; i++) {
		const char *s = ex->symbols[i].rules.symbol;
		if (strlen(s) == n && memcmp(s, name, n) == 0)
			return &ex->symbols[i];
	}
	return NULL;
}

/*
 * An optional non-negative integer parameter. Returns false with the reply filled in when it is
 * malformed; *present says whether it was sent.
 */
static bool opt_int(const struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                    int64_t *out)
{
	const char *v;
	size_t n;
	*present = param_slice(c, name, &v, &n);
	if (!*present)
		return true;
	int64_t x = 0;
	bool ok = sb_parse_i64(v, n, 0, INT64_MAX, &x); /* digits that an int64 holds, as the order methods */
	if (!ok) {
		err_illegal(r, name, "'^[0-9]{1,20}$'");
		return false;
	}
	*out = x;
	return true;
}

/* limit: default when absent, clamped to [1, max] as Binance truncates. */
static bool get_limit(const struct sim_api_call *c, struct sim_api_reply *r, int64_t def, int64_t max,
                      size_t *out)
{
	bool present;
	int64_t v = def;
	if (!opt_int(c, r, "limit", &present, &v))
		return false;
	if (v < 1)
		v = 1;
	if (v > max)
		v = max;
	*out = (size_t)v;
	return true;
}

/* Timestamps may come in microseconds; everything here is milliseconds. */
static int64_t to_ms(int64_t t)
{
	return t >= 100000000000000LL ? t / 1000 : t;
}

/* The mandatory `symbol` parameter. */
static struct sim_symbol *get_symbol(struct sim_api_call *c, struct sim_api_reply *r)
{
	const char *v;
	size_t n;
	if (!param_slice(c, "symbol", &v, &n) || n == 0) {
		err_mandatory(r, "symbol");
		return NULL;
	}
	if (!symbol_chars_ok(v, n)) {
		err_illegal(r, "symbol", SYMBOL_RANGE);
		return NULL;
	}
	struct sim_symbol *s = find_symbol(c->ex, v, n);
	if (!s)
		err_symbol(r);
	return s;
}

/*
 * `symbol` or `symbols` (a JSON array of names), as the tickers and exchangeInfo take them. On success
 * *list holds the selected symbols (caller frees) and *n their number; *single is set when `symbol`
 * was used. Neither given: every symbol. Returns false with the reply filled in on an error.
 */
static bool select_symbols(struct sim_api_call *c, struct sim_api_reply *r, struct sim_symbol ***list,
                           size_t *n, bool *single)
{
	const char *sv, *lv;
	size_t sn, ln;
	bool has_one = param_slice(c, "symbol", &sv, &sn);
	bool has_many = param_slice(c, "symbols", &lv, &ln);
	*single = false;
	*list = NULL;
	*n = 0;
	if (has_one && has_many) {
		sim_api_error(r, 400, -1101,
		              "Too many parameters; expected 'symbol' or 'symbols', not both.");
		return false;
	}
	if (has_one) {
		struct sim_symbol *s = get_symbol(c, r);
		if (!s)
			return false;
		*list = sb_xmalloc(sizeof **list);
		(*list)[0] = s;
		*n = 1;
		*single = true;
		return true;
	}
	if (!has_many) {
		*list = sb_xcalloc(c->ex->nsymbols ? c->ex->nsymbols : 1, sizeof **list);
		for (size_t i = 0; i < c->ex->nsymbols; i++)
			(*list)[i] = &c->ex->symbols[i];
		*n = c->ex->nsymbols;
		return true;
	}
	cJSON *arr = cJSON_ParseWithLength(lv, ln);
	bool ok = cJSON_IsArray(arr) && cJSON_GetArraySize(arr) > 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, arr)
	{
		if (!cJSON_IsString(it) || !symbol_chars_ok(it->valuestring, strlen(it->valuestring)))
			ok = false;
	}
	if (!ok) {
		cJSON_Delete(arr);
		if (ln == 0)
			err_mandatory(r, "symbols");
		else
			err_illegal(r, "symbols", SYMBOLS_RANGE);
		return false;
	}
	*list = sb_xcalloc((size_t)cJSON_GetArraySize(arr), sizeof **list);
	cJSON_ArrayForEach(it, arr)
	{
		struct sim_symbol *s = find_symbol(c->ex, it->valuestring, strlen(it->valuestring));
		if (!s) {
			cJSON_Delete(arr);
			free(*list);
			*list = NULL;
			*n = 0;
			err_symbol(r);
			return false;
		}
		(*list)[(*n)++] = s;
	}
	cJSON_Delete(arr);
	return true;
}

static void reply_json(struct sim_api_reply *r, struct sb_buf *j)
{
	char *s = sb_buf_take(j);
	if (!s) {
		sim_api_error(r, 500, -1000, "An unknown error occurred while processing the request.");
		return;
	}
	free(r->json);
	r->json = s;
}

/* ---- ping, time, exchangeInfo ------------------------------------------------------------------------ */

void sim_api_ping(struct sim_api_call *c, struct sim_api_reply *r)
{
	(void)c;
	free(r->json);
	r->json = sb_xstrdup("{}");
}

void sim_api_time(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[64];
	snprintf(buf, sizeof buf, "{\"serverTime\":%lld}", (long long)c->now_ms);
	free(r->json);
	r->json = sb_xstrdup(buf);
}

static const char *status_names[] = {"TRADING", "HALT", "BREAK"};

/* True when the symbol's permission sets (or legacy permissions) name any of perms. */
static bool has_permission(const cJSON *info, const cJSON *perms)
{
	const cJSON *sets = cJSON_GetObjectItemCaseSensitive(info, "permissionSets");
	const cJSON *legacy = cJSON_GetObjectItemCaseSensitive(info, "permissions");
	const cJSON *p;
	cJSON_ArrayForEach(p, perms)
	{
		const cJSON *set, *name;
		cJSON_ArrayForEach(set, sets)
		{
			cJSON_ArrayForEach(name, set)
			{
				if (cJSON_IsString(name) && strcmp(name->valuestring, p->valuestring) == 0)
					return true;
			}
		}
		cJSON_ArrayForEach(name, legacy)
		{
			if (cJSON_IsString(name) && strcmp(name->valuestring, p->valuestring) == 0)
				return true;
		}
	}
	return false;
}

/* `permissions`: "SPOT" or a JSON array of names; NULL (reply filled) when malformed, an empty array
 * when absent (no filter). */
static cJSON *get_permissions(const struct sim_api_call *c, struct sim_api_reply *r)
{
	const char *v;
	size_t n;
	if (!param_slice(c, "permissions", &v, &n))
		return cJSON_CreateArray();
	cJSON *perms = NULL;
	if (n > 0 && v[0] == '[') {
		perms = cJSON_ParseWithLength(v, n);
	} else if (n > 0 && symbol_chars_ok(v, n)) {
		char buf[32];
		memcpy(buf, v, n);
		buf[n] = '\0';
		perms = cJSON_CreateArray();
		cJSON_AddItemToArray(perms, cJSON_CreateString(buf));
	}
	bool ok = cJSON_IsArray(perms);
	const cJSON *p;
	cJSON_ArrayForEach(p, perms)
	{
		if (!cJSON_IsString(p))
			ok = false;
	}
	if (!ok) {
		cJSON_Delete(perms);
		err_illegal(r, "permissions", "'SPOT, MARGIN, LEVERAGED, TRD_GRP_002..TRD_GRP_234'");
		return NULL;
	}
	return perms;
}

void sim_api_exchange_info(struct sim_api_call *c, struct sim_api_reply *r)
{
	const char *v;
	size_t n;
	int status = -1;
	if (param_slice(c, "symbolStatus", &v, &n)) {
		for (int i = 0; i < 3; i++)
			if (strlen(status_names[i]) == n && memcmp(v, status_names[i], n) == 0)
				status = i;
		if (status < 0) {
			err_illegal(r, "symbolStatus", "'TRADING, HALT, BREAK'");
			return;
		}
		if (param_slice(c, "symbol", &v, &n) || param_slice(c, "symbols", &v, &n)) {
			sim_api_error(
			    r, 400, -1101,
			    "Parameter 'symbolStatus' cannot be combined with 'symbol' or 'symbols'.");
			return;
		}
	}
	bool show_sets = true;
	if (param_slice(c, "showPermissionSets", &v, &n)) {
		if (n == 5 && memcmp(v, "false", 5) == 0)
			show_sets = false;
		else if (!(n == 4 && memcmp(v, "true", 4) == 0)) {
			err_illegal(r, "showPermissionSets", "'true, false'");
			return;
		}
	}
	struct sim_symbol **list;
	size_t count;
	bool single;
	if (!select_symbols(c, r, &list, &count, &single))
		return;
	cJSON *perms = get_permissions(c, r);
	if (!perms) {
		free(list);
		return;
	}
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "timezone", "UTC");
	cJSON_AddNumberToObject(root, "serverTime", (double)c->now_ms);
	cJSON_AddItemToObject(root, "rateLimits",
	                      c->ex->rate_limits ? cJSON_Duplicate(c->ex->rate_limits, 1)
	                                         : cJSON_CreateArray());
	cJSON_AddItemToObject(root, "exchangeFilters", cJSON_CreateArray());
	cJSON *syms = cJSON_AddArrayToObject(root, "symbols");
	for (size_t i = 0; i < count; i++) {
		const cJSON *info = list[i]->info;
		if (!info)
			continue;
		if (status >= 0 &&
		    strcmp(sb_symbol_status_name(list[i]->rules.status), status_names[status]) != 0)
			continue;
		if (cJSON_GetArraySize(perms) > 0 && !has_permission(info, perms))
			continue;
		cJSON *dup = cJSON_Duplicate(info, 1);
		if (!show_sets)
			cJSON_DeleteItemFromObjectCaseSensitive(dup, "permissionSets");
		cJSON_AddItemToArray(syms, dup);
	}
	free(list);
	cJSON_Delete(perms);
	char *text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	free(r->json);
	r->json = text;
}

/* ---- depth, trades, aggTrades ---------------------------------------------------------------------------
 */

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

static uint32_t depth_weight(size_t limit)
{
	if (limit <= 100)
		return 5;
	if (limit <= 500)
		return 25;
	if (limit <= 1000)
		return 50;
	return 250;
}

void sim_api_depth(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = get_symbol(c, r);
	size_t limit;
	if (!s || !get_limit(c, r, 100, 5000, &limit))
		return;
	r->weight = depth_weight(limit);
	struct sim_book_level *bids = sb_xcalloc(limit, sizeof *bids);
	struct sim_book_level *asks = sb_xcalloc(limit, sizeof *asks);
	size_t nb = s->book ? sim_book_depth(s->book, SB_SIDE_BUY, bids, limit) : 0;
	size_t na = s->book ? sim_book_depth(s->book, SB_SIDE_SELL, asks, limit) : 0;
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sb_buf_printf(&j, "{\"lastUpdateId\":%llu,\"bids\":",
	              (unsigned long long)(s->md ? sim_md_update_id(s->md) : 0));
	json_levels(&j, bids, nb);
	sb_buf_puts(&j, ",\"asks\":");
	json_levels(&j, asks, na);
	sb_buf_puts(&j, "}");
	free(bids);
	free(asks);
	reply_json(r, &j);
}

void sim_api_trades(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = get_symbol(c, r);
	size_t limit;
	if (!s || !get_limit(c, r, 500, 1000, &limit))
		return;
	size_t n = s->md ? sim_md_trade_count(s->md) : 0;
	size_t from = n > limit ? n - limit : 0;
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sb_buf_puts(&j, "[");
	for (size_t i = from; i < n; i++) {
		if (i > from)
			sb_buf_puts(&j, ",");
		sim_md_json_trade(&j, sim_md_trade_at(s->md, i));
	}
	sb_buf_puts(&j, "]");
	reply_json(r, &j);
}

void sim_api_agg_trades(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = get_symbol(c, r);
	size_t limit;
	bool has_from, has_start, has_end;
	int64_t from_id = 0, start = 0, end = 0;
	if (!s || !opt_int(c, r, "fromId", &has_from, &from_id) ||
	    !opt_int(c, r, "startTime", &has_start, &start) || !opt_int(c, r, "endTime", &has_end, &end) ||
	    !get_limit(c, r, 500, 1000, &limit))
		return;
	start = to_ms(start);
	end = to_ms(end);
	if (has_start && has_end && end - start > 3600000) {
		sim_api_error(r, 400, -1127, "More than 1 hours between startTime and endTime.");
		return;
	}
	if (has_start && has_end && start > end) {
		sim_api_error(r, 400, -1023, "Start time is greater than end time.");
		return;
	}
	size_t n = s->md ? sim_md_agg_count(s->md) : 0;
	/* From fromId or startTime: the oldest matching first; otherwise the newest `limit`. */
	size_t first = 0, last = n;
	if (!has_from && !has_start) {
		if (has_end)
			while (last > 0 && sim_md_agg_at(s->md, last - 1)->time > end)
				last--;
		first = last > limit ? last - limit : 0;
	}
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sb_buf_puts(&j, "[");
	size_t out = 0;
	for (size_t i = first; i < last && out < limit; i++) {
		const struct sim_md_agg *a = sim_md_agg_at(s->md, i);
		if ((has_from && a->id < from_id) || (has_start && a->time < start))
			continue;
		if (has_end && a->time > end)
			break;
		if (out++)
			sb_buf_puts(&j, ",");
		sim_md_json_agg(&j, a);
	}
	sb_buf_puts(&j, "]");
	reply_json(r, &j);
}

/* ---- klines, avgPrice ---------------------------------------------------------------------------------- */

void sim_api_klines(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = get_symbol(c, r);
	if (!s)
		return;
	const char *v;
	size_t n;
	if (!param_slice(c, "interval", &v, &n) || n == 0) {
		err_mandatory(r, "interval");
		return;
	}
	char name[8];
	int iv = -1;
	if (n < sizeof name) {
		memcpy(name, v, n);
		name[n] = '\0';
		iv = sim_md_interval_index(name);
	}
	if (iv < 0) {
		sim_api_error(r, 400, -1120, "Invalid interval.");
		return;
	}
	size_t limit;
	bool has_start, has_end;
	int64_t start = 0, end = 0;
	if (!opt_int(c, r, "startTime", &has_start, &start) || !opt_int(c, r, "endTime", &has_end, &end) ||
	    !get_limit(c, r, 500, 1000, &limit))
		return;
	start = has_start ? to_ms(start) : -1;
	end = has_end ? to_ms(end) : -1;
	if (has_start && has_end && start > end) {
		sim_api_error(r, 400, -1023, "Start time is greater than end time.");
		return;
	}
	struct sim_md_candle *rows = sb_xcalloc(limit, sizeof *rows);
	size_t got = s->md ? sim_md_klines(s->md, iv, start, end, limit, c->now_ms, rows) : 0;
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sb_buf_puts(&j, "[");
	for (size_t i = 0; i < got; i++) {
		if (i)
			sb_buf_puts(&j, ",");
		sim_md_json_kline(&j, &rows[i]);
	}
	sb_buf_puts(&j, "]");
	free(rows);
	reply_json(r, &j);
}

void sim_api_avg_price(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = get_symbol(c, r);
	if (!s)
		return;
	sb_dec price = 0;
	int64_t close_time = c->now_ms;
	if (!s->md || !sim_md_avg_price(s->md, c->now_ms, &price, &close_time))
		close_time = c->now_ms;
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	sb_buf_puts(&j, "{\"mins\":5,\"price\":");
	sb_json_dec(&j, price);
	sb_buf_printf(&j, ",\"closeTime\":%lld}", (long long)close_time);
	reply_json(r, &j);
}

/* ---- tickers ------------------------------------------------------------------------------------------- */

/* Weight of the tickers by how many symbols were asked for (Binance's table for ticker/24hr). */
static uint32_t ticker_24hr_weight(size_t n, bool all)
{
	if (all || n > 100)
		return 80;
	if (n > 20)
		return 40;
	return 2;
}

static void fill_book(const struct sim_symbol *s, struct sim_md_ticker *t)
{
	struct sim_book_level bid, ask;
	if (s->book && sim_book_best(s->book, SB_SIDE_BUY, &bid)) {
		t->bid_price = bid.price;
		t->bid_qty = bid.qty;
	}
	if (s->book && sim_book_best(s->book, SB_SIDE_SELL, &ask)) {
		t->ask_price = ask.price;
		t->ask_qty = ask.qty;
	}
}

/* Calls one() for the selected symbols, as an object for `symbol` and an array otherwise. */
static void
each_selected(struct sim_api_call *c, struct sim_api_reply *r, uint32_t w_one, uint32_t w_many, bool by_count,
              void (*one)(struct sb_buf *j, struct sim_api_call *c, struct sim_symbol *s, void *arg),
              void *arg)
{
	struct sim_symbol **list;
	size_t n;
	bool single;
	if (!select_symbols(c, r, &list, &n, &single))
		return;
	const char *v;
	size_t vn;
	bool all = !single && !param_slice(c, "symbols", &v, &vn);
	r->weight = single ? w_one : by_count ? ticker_24hr_weight(n, all) : w_many;
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	if (!single)
		sb_buf_puts(&j, "[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_buf_puts(&j, ",");
		one(&j, c, list[i], arg);
	}
	if (!single)
		sb_buf_puts(&j, "]");
	free(list);
	reply_json(r, &j);
}

static void one_24hr(struct sb_buf *j, struct sim_api_call *c, struct sim_symbol *s, void *arg)
{
	struct sim_md_ticker t;
	memset(&t, 0, sizeof t);
	t.first_id = t.last_id = -1;
	if (s->md)
		sim_md_ticker(s->md, c->now_ms, &t);
	fill_book(s, &t);
	sim_md_json_ticker(j, s->rules.symbol, &t, *(const bool *)arg);
}

void sim_api_ticker_24hr(struct sim_api_call *c, struct sim_api_reply *r)
{
	const char *v;
	size_t n;
	bool mini = false;
	if (param_slice(c, "type", &v, &n)) {
		if (n == 4 && memcmp(v, "MINI", 4) == 0)
			mini = true;
		else if (!(n == 4 && memcmp(v, "FULL", 4) == 0)) {
			err_illegal(r, "type", "'FULL, MINI'");
			return;
		}
	}
	each_selected(c, r, 2, 80, true, one_24hr, &mini);
}

static void one_price(struct sb_buf *j, struct sim_api_call *c, struct sim_symbol *s, void *arg)
{
	(void)c;
	(void)arg;
	const struct sim_md_trade *t = s->md ? sim_md_last_trade(s->md) : NULL;
	sb_buf_printf(j, "{\"symbol\":\"%s\",\"price\":", s->rules.symbol);
	sb_json_dec(j, t ? t->price : s->last_price);
	sb_buf_puts(j, "}");
}

void sim_api_ticker_price(struct sim_api_call *c, struct sim_api_reply *r)
{
	each_selected(c, r, 2, 4, false, one_price, NULL);
}

static void one_book(struct sb_buf *j, struct sim_api_call *c, struct sim_symbol *s, void *arg)
{
	(void)c;
	(void)arg;
	struct sim_md_ticker t;
	memset(&t, 0, sizeof t);
	fill_book(s, &t);
	sb_buf_printf(j, "{\"symbol\":\"%s\",\"bidPrice\":", s->rules.symbol);
	sb_json_dec(j, t.bid_price);
	sb_buf_puts(j, ",\"bidQty\":");
	sb_json_dec(j, t.bid_qty);
	sb_buf_puts(j, ",\"askPrice\":");
	sb_json_dec(j, t.ask_price);
	sb_buf_puts(j, ",\"askQty\":");
	sb_json_dec(j, t.ask_qty);
	sb_buf_puts(j, "}");
}

void sim_api_book_ticker(struct sim_api_call *c, struct sim_api_reply *r)
{
	each_selected(c, r, 2, 4, false, one_book, NULL);
}

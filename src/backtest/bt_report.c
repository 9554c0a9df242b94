/*
 * bt_report.c - a backtest's results from the run's database: each pair's positions summed with sb_dec
 * (no floating point), their intervals made into time in the market and commitment, the tracker's
 * equity taken over, then printed as a table or as one JSON object whose amounts are decimal strings.
 * The same database and ledger always print the same bytes.
 */
#include "backtest/bt_report.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_figures.h"
#include "backtest/bt_track.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

#define MIN_MS  INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS  (24 * HOUR_MS)

/* The hold bins' lower bounds and labels. */
static const int64_t bin_floor[SB_BT_HOLD_BINS] = {
    0, MIN_MS, 5 * MIN_MS, 15 * MIN_MS, HOUR_MS, 4 * HOUR_MS, 12 * HOUR_MS, DAY_MS, 3 * DAY_MS, 7 * DAY_MS};
static const char *const bin_label[SB_BT_HOLD_BINS] = {"< 1m",   "1m-5m",  "5m-15m", "15m-1h", "1h-4h",
                                                       "4h-12h", "12h-1d", "1d-3d",  "3d-7d",  ">= 7d"};

int64_t sb_bt_hold_bin_floor(size_t i)
{
	return i < SB_BT_HOLD_BINS ? bin_floor[i] : INT64_MAX;
}

const char *sb_bt_hold_bin_label(size_t i)
{
	return i < SB_BT_HOLD_BINS ? bin_label[i] : "";
}

static size_t hold_bin(int64_t hold_ms)
{
	size_t i = SB_BT_HOLD_BINS - 1;
	while (i > 0 && hold_ms < bin_floor[i])
		i--;
	return i;
}

/* Appends a position's interval to r's spans (to_ms INT64_MAX: still open). */
static void span_add(struct sb_bt_pair_report *r, int64_t from_ms, int64_t to_ms, sb_dec cost)
{
	if ((r->nspans & (r->nspans - 1)) == 0) /* 0, 1, 2, 4, ...: the array doubles */
		r->spans = sb_xrealloc(r->spans, (r->nspans ? 2 * r->nspans : 1) * sizeof *r->spans);
	r->spans[r->nspans++] = (struct sb_bt_span){from_ms, to_ms, cost};
}

/* Adds amount of asset to the list (a full list drops it: more assets than a backtest pays fees in). */
static void amount_add(struct sb_bt_amount *list, const char *asset, sb_dec amount)
{
	for (size_t i = 0; i < SB_BT_ASSETS_MAX; i++) {
		if (list[i].asset[0] == '\0')
			snprintf(list[i].asset, sizeof list[i].asset, "%s", asset);
		if (strcmp(list[i].asset, asset) == 0) {
			(void)sb_dec_add(list[i].amount, amount, &list[i].amount);
			return;
		}
	}
}

/*
 * When a position began to hold base: its first buy fill, but never before the position existed (a buy
 * that executes when placed can carry the time of the market's last trade, a little before the daemon's
 * clock created the position).
 */
static int64_t held_from(const struct sb_store_position *p)
{
	return p->opened_ms > p->created_ms ? p->opened_ms : p->created_ms;
}

/* One position's figures into r. */
static void add_position(const struct sb_store_position *p, sb_dec last, struct sb_bt_pair_report *r)
{
	for (size_t i = 0; i < SB_STORE_COMMISSIONS_MAX; i++)
		if (p->commissions[i].asset[0])
			amount_add(r->fees, p->commissions[i].asset, p->commissions[i].amount);
	if (sb_position_state_is_open(p->state)) {
		sb_dec held = 0, value = 0, cost = 0;
		(void)sb_dec_sub(p->base_received, p->sold_qty, &held);
		if (held <= 0)
			return;
		r->open++;
		(void)sb_dec_add(r->open_qty, held, &r->open_qty);
		(void)sb_dec_mul(held, last, SB_ROUND_DOWN, &value);
		(void)sb_dec_add(r->open_value, value, &r->open_value);
		(void)sb_dec_sub(p->cost_quote, p->proceeds, &cost);
		(void)sb_dec_add(r->open_cost, cost, &r->open_cost);
		if (p->opened_ms)
			span_add(r, held_from(p), INT64_MAX, p->cost_quote);
		return;
	}
	if (p->buy_qty == 0)
		return;
	if (p->opened_ms && p->closed_ms > p->opened_ms)
		span_add(r, held_from(p), p->closed_ms, p->cost_quote);
	sb_dec left = 0, value = 0;
	if (sb_dec_sub(p->base_received, p->sold_qty, &left) == SB_OK && left > 0 &&
	    sb_dec_mul(left, last, SB_ROUND_DOWN, &value) == SB_OK)
		(void)sb_dec_add(r->dust_value, value, &r->dust_value);
	if (p->state != SB_POSITION_CLOSED)
		return;
	r->cycles++;
	r->wins += p->realised_profit > 0;
	r->losses += p->realised_profit < 0;
	(void)sb_dec_add(r->realized_profit, p->realised_profit, &r->realized_profit);
	int64_t hold = p->opened_ms && p->closed_ms > p->opened_ms ? p->closed_ms - p->opened_ms : 0;
	r->hold_total_ms += hold;
	if (hold > r->hold_max_ms)
		r->hold_max_ms = hold;
	r->holds[hold_bin(hold)]++;
}

sb_err sb_bt_positions(struct sb_store *st, const char *symbol, struct sb_store_position **rows, size_t *n)
{
	*rows = NULL;
	*n = 0;
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL, .symbol = symbol};
	for (;;) {
		struct sb_store_position *page = NULL;
		size_t k = 0;
		sb_err err = sb_store_position_list(st, &f, &page, &k);
		if (err != SB_OK) {
			free(*rows);
			*rows = NULL;
			*n = 0;
			return err;
		}
		if (k > 0) {
			*rows = sb_xrealloc(*rows, (*n + k) * sizeof **rows);
			memcpy(*rows + *n, page, k * sizeof *page);
			*n += k;
			f.before_id = page[k - 1].id;
		}
		free(page);
		if (k < SB_STORE_LIST_MAX)
			return SB_OK;
	}
}

sb_err sb_bt_report_pair(struct sb_store *st, const char *symbol, sb_dec last, struct sb_bt_pair_report *r)
{
	snprintf(r->symbol, sizeof r->symbol, "%s", symbol);
	r->last_price = last;
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	SB_TRY(sb_bt_positions(st, symbol, &rows, &n));
	for (size_t i = n; i-- > 0;)
		add_position(&rows[i], last, r);
	free(rows);
	r->committed = sb_bt_spans_peak_cost(r->spans, r->nspans);
	return SB_OK;
}

void sb_bt_report_track(struct sb_bt_report *r, struct sb_bt_track *t)
{
	sb_bt_track_free(r->track);
	r->track = t;
	snprintf(r->value_asset, sizeof r->value_asset, "%s", sb_bt_track_value_asset(t));
	r->equity_start = sb_bt_track_equity_start(t);
	r->equity_end = sb_bt_track_equity_end(t);
	r->holding_end = sb_bt_track_holding_end(t);
	r->total.drawdown = sb_bt_track_drawdown(t);
	for (size_t i = 0; i < SB_BT_UNVALUED_MAX && i < SB_BT_ASSETS_MAX; i++)
		snprintf(r->unvalued[i], sizeof r->unvalued[i], "%s", sb_bt_track_unvalued(t, i));
	for (size_t i = 0; i < r->npairs; i++) {
		size_t k = sb_bt_track_find(t, r->pairs[i].symbol);
		if (k != SIZE_MAX)
			r->pairs[i].first_price = sb_bt_track_first_open(t, k);
	}
}

/* A pair's figures over the window: time in the market, its result and holding's. */
static void pair_window(const struct sb_bt_report *r, struct sb_bt_pair_report *p)
{
	int64_t window = r->to_ms + 1 - r->from_ms;
	p->market_ms = sb_bt_spans_covered(p->spans, p->nspans, r->from_ms, r->to_ms + 1);
	p->market_pct = sb_bt_percent_ms(p->market_ms, window);
	sb_dec open = 0;
	(void)sb_dec_sub(p->open_value, p->open_cost, &open);
	(void)sb_dec_add(open, p->dust_value, &open);
	(void)sb_dec_add(p->realized_profit, open, &p->profit);
	p->hold_profit = sb_bt_hold_profit(p->committed, p->first_price, p->last_price);
	(void)sb_dec_sub(p->profit, p->hold_profit, &p->vs_hold);
}

/* The total's time in the market and commitment: every pair's intervals together. */
static void total_window(const struct sb_bt_report *r, struct sb_bt_pair_report *t)
{
	size_t n = 0;
	for (size_t i = 0; i < r->npairs; i++)
		n += r->pairs[i].nspans;
	struct sb_bt_span *all = sb_xmalloc((n ? n : 1) * sizeof *all);
	n = 0;
	for (size_t i = 0; i < r->npairs; i++) {
		if (r->pairs[i].nspans)
			memcpy(all + n, r->pairs[i].spans, r->pairs[i].nspans * sizeof *all);
		n += r->pairs[i].nspans;
	}
	t->committed = sb_bt_spans_peak_cost(all, n);
	t->market_ms = sb_bt_spans_covered(all, n, r->from_ms, r->to_ms + 1);
	t->market_pct = sb_bt_percent_ms(t->market_ms, r->to_ms + 1 - r->from_ms);
	free(all);
}

void sb_bt_report_total(struct sb_bt_report *r)
{
	struct sb_bt_pair_report *t = &r->total;
	struct sb_bt_drawdown dd = t->drawdown;
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < r->npairs; i++) {
		struct sb_bt_pair_report *p = &r->pairs[i];
		pair_window(r, p);
		t->cycles += p->cycles;
		t->wins += p->wins;
		t->losses += p->losses;
		(void)sb_dec_add(t->realized_profit, p->realized_profit, &t->realized_profit);
		for (size_t k = 0; k < SB_BT_ASSETS_MAX && p->fees[k].asset[0]; k++)
			amount_add(t->fees, p->fees[k].asset, p->fees[k].amount);
		t->hold_total_ms += p->hold_total_ms;
		if (p->hold_max_ms > t->hold_max_ms)
			t->hold_max_ms = p->hold_max_ms;
		t->open += p->open;
		(void)sb_dec_add(t->open_value, p->open_value, &t->open_value);
		(void)sb_dec_add(t->open_cost, p->open_cost, &t->open_cost);
		(void)sb_dec_add(t->dust_value, p->dust_value, &t->dust_value);
		(void)sb_dec_add(t->profit, p->profit, &t->profit);
		for (size_t k = 0; k < SB_BT_HOLD_BINS; k++)
			t->holds[k] += p->holds[k];
	}
	total_window(r, t);
	/* In total, holding is the start balance split over the pairs against the account's own equity. */
	(void)sb_dec_sub(r->holding_end, r->equity_start, &t->hold_profit);
	(void)sb_dec_sub(r->equity_end, r->holding_end, &t->vs_hold);
	t->drawdown = dd;
	t->drawdown_pct = sb_bt_percent(dd.amount, dd.peak);
}

void sb_bt_report_fini(struct sb_bt_report *r)
{
	for (size_t i = 0; i < r->npairs; i++) {
		free(r->pairs[i].spans);
		free(r->pairs[i].marks);
	}
	free(r->pairs);
	r->pairs = NULL;
	r->npairs = 0;
	free(r->pairs_text);
	r->pairs_text = NULL;
	sb_bt_track_free(r->track);
	r->track = NULL;
}

/* ---- JSON ---------------------------------------------------------------------------------------------- */

static void json_dec(cJSON *o, const char *key, sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	sb_dec_format_trim(v, buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

static void json_time(cJSON *o, const char *key, int64_t ms)
{
	char buf[SB_CLOCK_RFC3339_MS_SIZE];
	sb_clock_format_rfc3339_ms(ms, buf, sizeof buf);
	cJSON_AddStringToObject(o, key, buf);
}

static int64_t hold_avg_ms(const struct sb_bt_pair_report *p)
{
	return p->cycles ? p->hold_total_ms / p->cycles : 0;
}

static cJSON *json_pair(const struct sb_bt_pair_report *p)
{
	cJSON *o = cJSON_CreateObject();
	if (p->symbol[0])
		cJSON_AddStringToObject(o, "symbol", p->symbol);
	cJSON_AddNumberToObject(o, "cycles", (double)p->cycles);
	cJSON_AddNumberToObject(o, "wins", (double)p->wins);
	cJSON_AddNumberToObject(o, "losses", (double)p->losses);
	json_dec(o, "realized_profit", p->realized_profit);
	cJSON *fees = cJSON_AddObjectToObject(o, "fees");
	for (size_t k = 0; k < SB_BT_ASSETS_MAX && p->fees[k].asset[0]; k++)
		json_dec(fees, p->fees[k].asset, p->fees[k].amount);
	cJSON_AddNumberToObject(o, "hold_avg_ms", (double)hold_avg_ms(p));
	cJSON_AddNumberToObject(o, "hold_max_ms", (double)p->hold_max_ms);
	cJSON_AddNumberToObject(o, "open_positions", (double)p->open);
	if (p->symbol[0]) {
		json_dec(o, "open_qty", p->open_qty);
		json_dec(o, "last_price", p->last_price);
	}
	json_dec(o, "open_value", p->open_value);
	json_dec(o, "dust_value", p->dust_value);
	json_dec(o, "profit", p->profit);
	cJSON_AddNumberToObject(o, "time_in_market_ms", (double)p->market_ms);
	json_dec(o, "time_in_market_pct", p->market_pct);
	json_dec(o, "committed", p->committed);
	if (p->symbol[0])
		json_dec(o, "first_price", p->first_price);
	json_dec(o, "hold_profit", p->hold_profit);
	json_dec(o, "vs_hold", p->vs_hold);
	json_dec(o, "max_drawdown", p->drawdown.amount);
	json_dec(o, "max_drawdown_pct", p->drawdown_pct);
	cJSON *holds = cJSON_AddArrayToObject(o, "holds");
	for (size_t k = 0; k < SB_BT_HOLD_BINS; k++) {
		cJSON *b = cJSON_CreateObject();
		cJSON_AddStringToObject(b, "bin", bin_label[k]);
		cJSON_AddNumberToObject(b, "from_ms", (double)bin_floor[k]);
		cJSON_AddNumberToObject(b, "cycles", (double)p->holds[k]);
		cJSON_AddItemToArray(holds, b);
	}
	return o;
}

/* The account's equity in the value asset, its drawdown, and the holding it is set against. */
static cJSON *json_equity(const struct sb_bt_report *r)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "asset", r->value_asset);
	json_dec(o, "start", r->equity_start);
	json_dec(o, "end", r->equity_end);
	json_dec(o, "holding_end", r->holding_end);
	json_dec(o, "max_drawdown", r->total.drawdown.amount);
	json_dec(o, "max_drawdown_pct", r->total.drawdown_pct);
	json_dec(o, "drawdown_peak", r->total.drawdown.peak);
	if (r->total.drawdown.amount > 0) {
		json_time(o, "drawdown_peak_time", r->total.drawdown.peak_ms);
		json_time(o, "drawdown_trough_time", r->total.drawdown.trough_ms);
	}
	cJSON *un = cJSON_AddArrayToObject(o, "unvalued");
	for (size_t i = 0; i < SB_BT_ASSETS_MAX && r->unvalued[i][0]; i++)
		cJSON_AddItemToArray(un, cJSON_CreateString(r->unvalued[i]));
	return o;
}

void sb_bt_report_json(const struct sb_bt_report *r, FILE *f)
{
	cJSON *root = cJSON_CreateObject();
	json_time(root, "from", r->from_ms);
	json_time(root, "to", r->to_ms);
	cJSON_AddNumberToObject(root, "candles", (double)r->candles);
	cJSON_AddItemToObject(root, "total", json_pair(&r->total));
	cJSON_AddItemToObject(root, "equity", json_equity(r));
	cJSON *pairs = cJSON_AddArrayToObject(root, "pairs");
	for (size_t i = 0; i < r->npairs; i++)
		cJSON_AddItemToArray(pairs, json_pair(&r->pairs[i]));
	cJSON *bal = cJSON_AddObjectToObject(root, "balances");
	for (size_t i = 0; i < r->nbalances; i++) {
		cJSON *b = cJSON_AddObjectToObject(bal, r->balances[i].asset);
		json_dec(b, "start", r->balances[i].start);
		json_dec(b, "end", r->balances[i].end);
	}
	char *text = cJSON_PrintUnformatted(root);
	fprintf(f, "%s\n", text);
	cJSON_free(text);
	cJSON_Delete(root);
}

/* ---- table --------------------------------------------------------------------------------------------- */

/* "2d 03:04:05" or "03:04:05". */
static void fmt_hold(int64_t ms, char *buf, size_t cap)
{
	int64_t s = ms / 1000;
	if (s >= 86400)
		snprintf(buf, cap, "%" PRId64 "d %02d:%02d:%02d", s / 86400, (int)(s % 86400 / 3600),
		         (int)(s % 3600 / 60), (int)(s % 60));
	else
		snprintf(buf, cap, "%02d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60), (int)(s % 60));
}

static void fmt_fees(const struct sb_bt_pair_report *p, char *buf, size_t cap)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < SB_BT_ASSETS_MAX && p->fees[k].asset[0] && len < cap; k++) {
		char a[SB_DEC_STRLEN];
		sb_dec_format_trim(p->fees[k].amount, a, sizeof a);
		int w = snprintf(buf + len, cap - len, "%s%s %s", k ? " + " : "", a, p->fees[k].asset);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (!buf[0])
		snprintf(buf, cap, "0");
}

static void table_row(const struct sb_bt_pair_report *p, FILE *f)
{
	char profit[SB_DEC_STRLEN], value[SB_DEC_STRLEN], fees[160], avg[32], max[32];
	sb_dec_format_trim(p->realized_profit, profit, sizeof profit);
	sb_dec_format_trim(p->open_value, value, sizeof value);
	fmt_fees(p, fees, sizeof fees);
	fmt_hold(hold_avg_ms(p), avg, sizeof avg);
	fmt_hold(p->hold_max_ms, max, sizeof max);
	fprintf(f, "%-12s %7" PRId64 " %5" PRId64 " %6" PRId64 " %16s %12s %12s %5" PRId64 " %14s  %s\n",
	        p->symbol[0] ? p->symbol : "TOTAL", p->cycles, p->wins, p->losses, profit, avg, max, p->open,
	        value, fees);
}

/* A percentage with its sign and two places: "12.34%". */
static void fmt_pct(sb_dec pct, char *buf, size_t cap)
{
	char n[SB_DEC_STRLEN];
	sb_dec_format_places(pct, 2, SB_ROUND_HALF_EVEN, n, sizeof n);
	snprintf(buf, cap, "%s%%", n);
}

static void figures_row(const struct sb_bt_pair_report *p, FILE *f)
{
	char profit[SB_DEC_STRLEN], market[32], committed[SB_DEC_STRLEN], hold[SB_DEC_STRLEN],
	    vs[SB_DEC_STRLEN], dd[SB_DEC_STRLEN], ddp[32];
	sb_dec_format_trim(p->profit, profit, sizeof profit);
	fmt_pct(p->market_pct, market, sizeof market);
	sb_dec_format_trim(p->committed, committed, sizeof committed);
	sb_dec_format_trim(p->hold_profit, hold, sizeof hold);
	sb_dec_format_trim(p->vs_hold, vs, sizeof vs);
	sb_dec_format_trim(p->drawdown.amount, dd, sizeof dd);
	fmt_pct(p->drawdown_pct, ddp, sizeof ddp);
	fprintf(f, "%-12s %16s %10s %14s %14s %14s %14s %8s\n", p->symbol[0] ? p->symbol : "TOTAL", profit,
	        market, committed, hold, vs, dd, ddp);
}

/* The account's equity in the value asset: start, end, holding, the largest drawdown. */
static void equity_lines(const struct sb_bt_report *r, FILE *f)
{
	char s[SB_DEC_STRLEN], e[SB_DEC_STRLEN], h[SB_DEC_STRLEN], vs[SB_DEC_STRLEN], dd[SB_DEC_STRLEN],
	    pk[SB_DEC_STRLEN], pct[32];
	sb_dec_format_trim(r->equity_start, s, sizeof s);
	sb_dec_format_trim(r->equity_end, e, sizeof e);
	sb_dec_format_trim(r->holding_end, h, sizeof h);
	sb_dec_format_trim(r->total.vs_hold, vs, sizeof vs);
	fprintf(f,
	        "\nequity in %s: %s at the start, %s at the end; holding the pairs instead: %s (against "
	        "holding: %s)\n",
	        r->value_asset, s, e, h, vs);
	sb_dec_format_trim(r->total.drawdown.amount, dd, sizeof dd);
	sb_dec_format_trim(r->total.drawdown.peak, pk, sizeof pk);
	fmt_pct(r->total.drawdown_pct, pct, sizeof pct);
	fprintf(f, "max drawdown: %s %s (%s) from a peak of %s", dd, r->value_asset, pct, pk);
	if (r->total.drawdown.amount > 0) {
		char a[SB_CLOCK_RFC3339_MS_SIZE], b[SB_CLOCK_RFC3339_MS_SIZE];
		sb_clock_format_rfc3339_ms(r->total.drawdown.peak_ms, a, sizeof a);
		sb_clock_format_rfc3339_ms(r->total.drawdown.trough_ms, b, sizeof b);
		fprintf(f, ", %s .. %s", a, b);
	}
	fputc('\n', f);
	for (size_t i = 0; i < SB_BT_ASSETS_MAX && r->unvalued[i][0]; i++)
		fprintf(f, "%s%s", i ? ", " : "not valued (no pair prices it): ", r->unvalued[i]);
	if (r->unvalued[0][0])
		fputc('\n', f);
}

void sb_bt_report_table(const struct sb_bt_report *r, FILE *f)
{
	char from[SB_CLOCK_RFC3339_MS_SIZE], to[SB_CLOCK_RFC3339_MS_SIZE];
	sb_clock_format_rfc3339_ms(r->from_ms, from, sizeof from);
	sb_clock_format_rfc3339_ms(r->to_ms, to, sizeof to);
	fprintf(f, "backtest %s .. %s, %" PRId64 " candles\n\n", from, to, r->candles);
	fprintf(f, "%-12s %7s %5s %6s %16s %12s %12s %5s %14s  %s\n", "PAIR", "CYCLES", "WINS", "LOSSES",
	        "REALIZED", "AVG HOLD", "MAX HOLD", "OPEN", "OPEN VALUE", "FEES");
	for (size_t i = 0; i < r->npairs; i++)
		table_row(&r->pairs[i], f);
	table_row(&r->total, f);
	fprintf(f, "\n%-12s %16s %10s %14s %14s %14s %14s %8s\n", "PAIR", "PROFIT", "IN MARKET", "COMMITTED",
	        "HOLD PROFIT", "VS HOLD", "MAX DRAWDOWN", "DD %");
	for (size_t i = 0; i < r->npairs; i++)
		figures_row(&r->pairs[i], f);
	figures_row(&r->total, f);
	equity_lines(r, f);
	fprintf(f, "\n%-8s %20s %20s\n", "ASSET", "START", "END");
	for (size_t i = 0; i < r->nbalances; i++) {
		char s[SB_DEC_STRLEN], e[SB_DEC_STRLEN];
		sb_dec_format_trim(r->balances[i].start, s, sizeof s);
		sb_dec_format_trim(r->balances[i].end, e, sizeof e);
		fprintf(f, "%-8s %20s %20s\n", r->balances[i].asset, s, e);
	}
}

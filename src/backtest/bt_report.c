/*
 * bt_report.c - a backtest's results from the run's database: each pair's positions summed with sb_dec
 * (no floating point), then printed as a table or as one JSON object whose amounts are decimal strings.
 * The same database and ledger always print the same bytes.
 */
#include "backtest/bt_report.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/clock.h"

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

/* One position's figures into r. */
static void add_position(const struct sb_store_position *p, sb_dec last, struct sb_bt_pair_report *r)
{
	for (size_t i = 0; i < SB_STORE_COMMISSIONS_MAX; i++)
		if (p->commissions[i].asset[0])
			amount_add(r->fees, p->commissions[i].asset, p->commissions[i].amount);
	if (sb_store_pos_state_open(p->state)) {
		sb_dec held = 0, value = 0;
		(void)sb_dec_sub(p->base_received, p->sold_qty, &held);
		if (held <= 0)
			return;
		r->open++;
		(void)sb_dec_add(r->open_qty, held, &r->open_qty);
		(void)sb_dec_mul(held, last, SB_ROUND_DOWN, &value);
		(void)sb_dec_add(r->open_value, value, &r->open_value);
		return;
	}
	if (p->state != SB_STORE_POS_CLOSED || p->buy_qty == 0)
		return;
	r->cycles++;
	r->wins += p->realised_profit > 0;
	r->losses += p->realised_profit < 0;
	(void)sb_dec_add(r->realized_profit, p->realised_profit, &r->realized_profit);
	int64_t hold = p->opened_ms && p->closed_ms > p->opened_ms ? p->closed_ms - p->opened_ms : 0;
	r->hold_total_ms += hold;
	if (hold > r->hold_max_ms)
		r->hold_max_ms = hold;
}

sb_err sb_bt_report_pair(struct sb_store *st, const char *symbol, sb_dec last, struct sb_bt_pair_report *r)
{
	snprintf(r->symbol, sizeof r->symbol, "%s", symbol);
	r->last_price = last;
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL, .symbol = symbol};
	struct sb_store_position *rows = NULL;
	size_t n = 0;
	sb_err err = sb_store_position_list(st, &f, &rows, &n);
	if (err != SB_OK)
		return err;
	if (n >= SB_STORE_LIST_MAX) {
		free(rows);
		return SB_ERR_RANGE;
	}
	for (size_t i = n; i-- > 0;)
		add_position(&rows[i], last, r);
	free(rows);
	return SB_OK;
}

void sb_bt_report_total(struct sb_bt_report *r)
{
	struct sb_bt_pair_report *t = &r->total;
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < r->npairs; i++) {
		const struct sb_bt_pair_report *p = &r->pairs[i];
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
	}
}

void sb_bt_report_fini(struct sb_bt_report *r)
{
	free(r->pairs);
	r->pairs = NULL;
	r->npairs = 0;
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
	return o;
}

void sb_bt_report_json(const struct sb_bt_report *r, FILE *f)
{
	cJSON *root = cJSON_CreateObject();
	json_time(root, "from", r->from_ms);
	json_time(root, "to", r->to_ms);
	cJSON_AddNumberToObject(root, "candles", (double)r->candles);
	cJSON_AddItemToObject(root, "total", json_pair(&r->total));
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
	fprintf(f, "\n%-8s %20s %20s\n", "ASSET", "START", "END");
	for (size_t i = 0; i < r->nbalances; i++) {
		char s[SB_DEC_STRLEN], e[SB_DEC_STRLEN];
		sb_dec_format_trim(r->balances[i].start, s, sizeof s);
		sb_dec_format_trim(r->balances[i].end, e, sizeof e);
		fprintf(f, "%-8s %20s %20s\n", r->balances[i].asset, s, e);
	}
}

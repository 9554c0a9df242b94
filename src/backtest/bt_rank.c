/*
 * bt_rank.c - measures, the ranking and the JSON of a sweep (bt_rank.h), from the runs' own JSON.
 */
#include "backtest/bt_rank.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"
#include "spotbot/decimal.h"

static const struct sb_bt_measure measures[] = {
    {"realized_profit", "realized_profit", "REALIZED", SB_BT_MEASURE_DEC, true,
     "realised profit of the closed cycles in quote, fees included"},
    {"cycles", "cycles", "CYCLES", SB_BT_MEASURE_COUNT, true, "cycles closed (bought and sold)"},
    {"wins", "wins", "WINS", SB_BT_MEASURE_COUNT, true, "cycles closed with a profit"},
    {"losses", "losses", "LOSSES", SB_BT_MEASURE_COUNT, false, "cycles closed with a loss"},
    {"fees", NULL, "FEES", SB_BT_MEASURE_DEC, false,
     "commissions in quote (those in the base asset at the last price)"},
    {"hold_avg", "hold_avg_ms", "AVG HOLD", SB_BT_MEASURE_MS, false, "average hold of a closed cycle"},
    {"hold_max", "hold_max_ms", "MAX HOLD", SB_BT_MEASURE_MS, false, "longest hold of a closed cycle"},
    {"open_positions", "open_positions", "OPEN", SB_BT_MEASURE_COUNT, false,
     "positions still open at the end"},
    {"open_value", "open_value", "OPEN VALUE", SB_BT_MEASURE_DEC, false,
     "what the positions still open are worth at the last price"},
    {"profit", "profit", "PROFIT", SB_BT_MEASURE_DEC, true,
     "the result at the end: realised, plus what is still held at the last price less its cost"},
    {"vs_hold", "vs_hold", "VS HOLD", SB_BT_MEASURE_DEC, true,
     "the result less what holding the pairs over the window would have made"},
    {"max_drawdown", "max_drawdown", "MAX DRAWDOWN", SB_BT_MEASURE_DEC, false,
     "the account's largest fall of equity from a peak, in the value asset"},
};

#define NMEASURES (sizeof measures / sizeof measures[0])

const struct sb_bt_measure *sb_bt_measures(size_t *n)
{
	if (n)
		*n = NMEASURES;
	return measures;
}

const struct sb_bt_measure *sb_bt_measure_find(const char *name)
{
	for (size_t i = 0; name && i < NMEASURES; i++)
		if (strcmp(measures[i].name, name) == 0)
			return &measures[i];
	return NULL;
}

const char *sb_bt_point_state_name(enum sb_bt_point_state st)
{
	switch (st) {
	case SB_BT_POINT_DONE:
		return "done";
	case SB_BT_POINT_REFUSED:
		return "refused";
	case SB_BT_POINT_FAILED:
		return "failed";
	case SB_BT_POINT_NOT_RUN:
		break;
	}
	return "not run";
}

/* ---- values ------------------------------------------------------------------------------------------- */

/* A decimal string of o, 0 when absent or malformed. */
static sb_dec dec_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	sb_dec d = 0;
	if (!cJSON_IsString(v) || sb_dec_parse_cstr(v->valuestring, &d) != SB_OK)
		return 0;
	return d;
}

/* An integer of o (a count or milliseconds), 0 when absent. */
static int64_t int_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return t > 0 && t < n && strcmp(s + n - t, tail) == 0;
}

/* One pair's commissions in its quote asset: the symbol is base then quote, so a fee asset the symbol
 * ends with is the quote and one it starts with is the base. */
static sb_dec pair_fees(const cJSON *pair)
{
	const cJSON *sym = cJSON_GetObjectItemCaseSensitive(pair, "symbol"), *fee;
	const cJSON *fees = cJSON_GetObjectItemCaseSensitive(pair, "fees");
	sb_dec last = dec_of(pair, "last_price"), sum = 0;
	if (!cJSON_IsString(sym))
		return 0;
	cJSON_ArrayForEach(fee, fees)
	{
		sb_dec amount = dec_of(fees, fee->string), v = 0;
		if (ends_with(sym->valuestring, fee->string))
			v = amount;
		else if (strncmp(sym->valuestring, fee->string, strlen(fee->string)) == 0)
			(void)sb_dec_mul(amount, last, SB_ROUND_DOWN, &v);
		(void)sb_dec_add(sum, v, &sum);
	}
	return sum;
}

int64_t sb_bt_measure_value(const struct sb_bt_measure *m, const cJSON *report)
{
	const cJSON *total = cJSON_GetObjectItemCaseSensitive(report, "total");
	if (m->field)
		return m->unit == SB_BT_MEASURE_DEC ? dec_of(total, m->field) : int_of(total, m->field);
	sb_dec sum = 0;
	const cJSON *pair;
	cJSON_ArrayForEach(pair, cJSON_GetObjectItemCaseSensitive(report, "pairs"))(void)
	    sb_dec_add(sum, pair_fees(pair), &sum);
	return sum;
}

/* ---- ranking ------------------------------------------------------------------------------------------ */

/* A run's place in the ranking: sorted ascending, so a measure where higher is better is negated. */
struct ranked {
	int64_t key;  /* its measure, better first */
	size_t point; /* its grid index, the tie-break */
};

static int cmp_ranked(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->point < b->point ? -1 : a->point > b->point;
}

size_t sb_bt_rank(const struct sb_bt_sweep *s, const struct sb_bt_measure *m, size_t *order)
{
	struct ranked *r = sb_xcalloc(s->npoints ? s->npoints : 1, sizeof *r);
	size_t n = 0;
	for (size_t i = 0; i < s->npoints; i++) {
		if (s->points[i].state != SB_BT_POINT_DONE)
			continue;
		int64_t v = sb_bt_measure_value(m, s->points[i].report);
		r[n++] = (struct ranked){m->higher ? (v == INT64_MIN ? INT64_MAX : -v) : v, i};
	}
	qsort(r, n, sizeof *r, cmp_ranked);
	for (size_t i = 0; i < n; i++)
		order[i] = r[i].point;
	free(r);
	return n;
}

void sb_bt_rank_settings(const struct sb_bt_grid *g, size_t point, char *buf, size_t cap)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t a = 0; a < g->naxes && used < cap; a++) {
		int w = snprintf(buf + used, cap - used, "%s%s=%s", a ? " " : "", g->axes[a].name,
		                 sb_bt_grid_value(g, point, a));
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* ---- JSON --------------------------------------------------------------------------------------------- */

static cJSON *json_point(const struct sb_bt_grid *g, size_t point)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "point", (double)(point + 1));
	cJSON *set = cJSON_AddObjectToObject(o, "settings");
	for (size_t a = 0; a < g->naxes; a++)
		cJSON_AddStringToObject(set, g->axes[a].name, sb_bt_grid_value(g, point, a));
	return o;
}

/* Copies key of from into to, when from has it. */
static void copy_item(cJSON *to, const cJSON *from, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
	if (v)
		cJSON_AddItemToObject(to, key, cJSON_Duplicate(v, true));
}

void sb_bt_rank_json(const struct sb_bt_sweep *s, const struct sb_bt_grid *g, const struct sb_bt_measure *m,
                     FILE *f)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "rank", m->name);
	cJSON_AddStringToObject(root, "better", m->higher ? "higher" : "lower");
	cJSON_AddNumberToObject(root, "points", (double)s->npoints);
	for (size_t i = 0; i < s->npoints; i++)
		if (s->points[i].state == SB_BT_POINT_DONE) {
			copy_item(root, s->points[i].report, "from");
			copy_item(root, s->points[i].report, "to");
			copy_item(root, s->points[i].report, "candles");
			break;
		}
	size_t *order = sb_xcalloc(s->npoints ? s->npoints : 1, sizeof *order);
	size_t n = sb_bt_rank(s, m, order);
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = json_point(g, order[i]);
		copy_item(o, s->points[order[i]].report, "total");
		copy_item(o, s->points[order[i]].report, "pairs");
		cJSON_AddItemToArray(runs, o);
	}
	free(order);
	cJSON *rest = cJSON_AddArrayToObject(root, "not_ranked");
	for (size_t i = 0; i < s->npoints; i++) {
		if (s->points[i].state == SB_BT_POINT_DONE)
			continue;
		cJSON *o = json_point(g, i);
		cJSON_AddStringToObject(o, "state", sb_bt_point_state_name(s->points[i].state));
		cJSON_AddStringToObject(o, "reason", s->points[i].reason);
		cJSON_AddItemToArray(rest, o);
	}
	char *text = cJSON_PrintUnformatted(root);
	fprintf(f, "%s\n", text);
	cJSON_free(text);
	cJSON_Delete(root);
}

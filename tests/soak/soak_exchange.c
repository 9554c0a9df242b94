/*
 * soak_exchange.c - what the soak asks spotsim: its own records of the account over the Binance REST API
 * (allOrders, account, openOrders, signed as any client), its time, and the admin requests that move the
 * market and switch faults (POST /sim/...).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "soak.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

bool soak_sim_post(struct soak *s, const char *path)
{
	if (s->sim.pid <= 0)
		return false;
	struct sbt_response r;
	if (!sbt_http(s->port, "POST", path, NULL, NULL, &r))
		return false;
	bool ok = r.status == 200;
	if (!ok)
		soak_event(s, "spotsim answered %ld to POST %s: %s", r.status, path, r.body);
	sbt_response_free(&r);
	return ok;
}

bool soak_fault_set(struct soak *s, const char *name, const char *value)
{
	char path[160];
	snprintf(path, sizeof path, "/sim/fault?name=%s%s%s", name, value ? "&value=" : "",
	         value ? value : "");
	return soak_sim_post(s, path);
}

/* A signed GET answered 200 and parsed, or NULL. */
static cJSON *signed_get(struct soak *s, const char *path, const char *params)
{
	if (s->sim.pid <= 0)
		return NULL;
	struct sbt_response r;
	if (!sbt_signed(s->port, "GET", path, params, SOAK_KEY, SOAK_SECRET, &r))
		return NULL;
	cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
	if (!j)
		soak_event(s, "GET %s?%s: %ld %.200s", path, params, r.status, r.body ? r.body : "");
	sbt_response_free(&r);
	return j;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

static sb_dec jdec(const cJSON *o, const char *k)
{
	const char *t = jstr(o, k);
	sb_dec d = 0;
	return sb_dec_parse(t, strlen(t), &d) == SB_OK ? d : 0;
}

static int64_t jint(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

int64_t soak_exchange_now(struct soak *s)
{
	struct sbt_response r;
	int64_t t = 0;
	if (s->sim.pid > 0 && sbt_http(s->port, "GET", "/api/v3/time", NULL, NULL, &r)) {
		cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
		t = j ? jint(j, "serverTime") : 0;
		cJSON_Delete(j);
		sbt_response_free(&r);
	}
	/* spotsim down: its clock is the wall clock plus the skew the soak set. */
	return t > 0 ? t : sb_clock_wall_ms() + s->skew_ms;
}

bool soak_best_bid(struct soak *s, const char *symbol, sb_dec *out)
{
	char path[96];
	snprintf(path, sizeof path, "/api/v3/ticker/bookTicker?symbol=%s", symbol);
	struct sbt_response r;
	if (s->sim.pid <= 0 || !sbt_http(s->port, "GET", path, NULL, NULL, &r))
		return false;
	cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
	sbt_response_free(&r);
	*out = j ? jdec(j, "bidPrice") : 0;
	cJSON_Delete(j);
	return *out > 0;
}

bool soak_set_price(struct soak *s, const char *symbol, sb_dec price, const char *qty)
{
	char p[SB_DEC_STRLEN], path[160];
	sb_dec_format_trim(price, p, sizeof p);
	snprintf(path, sizeof path, "/sim/price?symbol=%s&price=%s%s%s", symbol, p, qty ? "&qty=" : "",
	         qty ? qty : "");
	return soak_sim_post(s, path);
}

/* Appends the orders of one page; the highest orderId seen into *last. */
static size_t add_page(const cJSON *page, const char *symbol, struct soak_xorder **out, size_t *n,
                       size_t *cap, int64_t *last)
{
	size_t k = 0;
	const cJSON *o;
	cJSON_ArrayForEach(o, page)
	{
		if (*n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			struct soak_xorder *grown = sb_xmalloc(*cap * sizeof **out);
			if (*n)
				memcpy(grown, *out, *n * sizeof **out);
			free(*out);
			*out = grown;
		}
		struct soak_xorder *x = &(*out)[(*n)++];
		memset(x, 0, sizeof *x);
		snprintf(x->symbol, sizeof x->symbol, "%s", symbol);
		snprintf(x->coid, sizeof x->coid, "%s", jstr(o, "clientOrderId"));
		snprintf(x->status, sizeof x->status, "%s", jstr(o, "status"));
		x->order_id = jint(o, "orderId");
		x->buy = strcmp(jstr(o, "side"), "BUY") == 0;
		x->executed_qty = jdec(o, "executedQty");
		x->time_ms = jint(o, "time");
		*last = x->order_id > *last ? x->order_id : *last;
		k++;
	}
	return k;
}

bool soak_fetch_orders(struct soak *s, struct soak_xorder **out, size_t *n)
{
	size_t cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < s->npairs; i++) {
		int64_t last = 0;
		for (;;) {
			char params[96];
			snprintf(params, sizeof params, "symbol=%s&orderId=%lld&limit=1000",
			         s->pairs[i].symbol, (long long)last + 1);
			cJSON *page = signed_get(s, "/api/v3/allOrders", params);
			if (!page) {
				free(*out);
				*out = NULL;
				*n = 0;
				return false;
			}
			size_t got = add_page(page, s->pairs[i].symbol, out, n, &cap, &last);
			cJSON_Delete(page);
			if (got < 1000)
				break;
		}
	}
	return true;
}

bool soak_fetch_balances(struct soak *s, struct soak_asset *out, size_t cap, size_t *n)
{
	cJSON *acc = signed_get(s, "/api/v3/account", "");
	*n = 0;
	if (!acc)
		return false;
	const cJSON *b;
	cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(acc, "balances"))
	{
		if (*n == cap)
			break;
		snprintf(out[*n].asset, sizeof out[*n].asset, "%s", jstr(b, "asset"));
		out[*n].total = jdec(b, "free") + jdec(b, "locked");
		(*n)++;
	}
	cJSON_Delete(acc);
	return true;
}

bool soak_pick_open_price(struct soak *s, const char *symbol, sb_dec *price)
{
	char params[64];
	snprintf(params, sizeof params, "symbol=%s", symbol);
	cJSON *open = signed_get(s, "/api/v3/openOrders", params);
	int n = open ? cJSON_GetArraySize(open) : 0;
	*price = n > 0 ? jdec(cJSON_GetArrayItem(open, (int)soak_range(s, 0, n - 1)), "price") : 0;
	cJSON_Delete(open);
	return *price > 0;
}

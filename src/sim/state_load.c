/*
 * state_load.c - reading spotsim's state file back (see state.h): every member is checked as it is
 * restored, and the first problem is named with where it is ("account bot: balance USDT: ...").
 */
#include "sim/state.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exchange.h"
#include "spotbot/alloc.h"

#define STATE_FILE_MAX (256u * 1024 * 1024)      /* largest state file read */
#define MAX_EXACT      INT64_C(9007199254740991) /* 2^53 - 1: JSON integers up to it are exact */

/* Writes the problem into why and returns SB_ERR_PARSE. */
__attribute__((format(printf, 3, 4))) static sb_err fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return SB_ERR_PARSE;
}

sb_err sim_state_read(const char *path, cJSON **doc, char *why, size_t why_cap)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return SB_ERR_NOT_FOUND;
		snprintf(why, why_cap, "cannot open %s: %s", path, strerror(errno));
		return SB_ERR_IO;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	sb_err e = SB_OK;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > STATE_FILE_MAX) {
				e = fail(why, why_cap, "%s: larger than %u bytes", path, STATE_FILE_MAX);
				break;
			}
			buf = sb_xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	if (!e && ferror(f)) {
		snprintf(why, why_cap, "cannot read %s", path);
		e = SB_ERR_IO;
	}
	fclose(f);
	if (!e) {
		*doc = cJSON_ParseWithLength(buf, len);
		if (!*doc)
			e = fail(why, why_cap, "%s: not JSON (truncated or damaged)", path);
	}
	free(buf);
	return e;
}

/* ---- members ---- */

static const char *get_str(const cJSON *o, const char *k)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static bool get_dec(const cJSON *o, const char *k, sb_dec *out)
{
	const char *s = get_str(o, k);
	return s && sb_dec_parse(s, strlen(s), out) == SB_OK;
}

/* An integral JSON number in [0, 2^53): below 2^53 valuedouble is exact. */
static bool get_int(const cJSON *o, const char *k, int64_t *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= (double)MAX_EXACT))
		return false;
	*out = (int64_t)it->valuedouble;
	/* NaN and out-of-range values fail above; fractions fail here. */
	return !((double)*out < it->valuedouble);
}

static bool get_bool(const cJSON *o, const char *k, bool *out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!cJSON_IsBool(it))
		return false;
	*out = cJSON_IsTrue(it);
	return true;
}

/* The enum value whose Binance spelling (by name()) is s; false when none is. */
static bool get_enum(const cJSON *o, const char *k, const char *(*name)(int), int count, int *out)
{
	const char *s = get_str(o, k);
	for (int v = 0; s && v < count; v++)
		if (strcmp(name(v), s) == 0) {
			*out = v;
			return true;
		}
	return false;
}

/* int-typed adapters of the book's name functions, for get_enum. */
static const char *side_name(int v)
{
	return sb_side_name((enum sb_side)v);
}
static const char *type_name(int v)
{
	return sb_order_type_name((enum sb_order_type)v);
}
static const char *tif_name(int v)
{
	return sb_tif_name((enum sb_tif)v);
}
static const char *status_name(int v)
{
	return sb_order_state_name((enum sb_order_state)v);
}
static const char *stp_name(int v)
{
	return sim_stp_name((enum sim_stp_mode)v);
}

static const char *expiry_name(int v)
{
	return sim_book_expiry_name((enum sim_book_expiry)v);
}

static const cJSON *array_of(const cJSON *o, const char *k)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsArray(a) ? a : NULL;
}

void sim_state_market(const cJSON *doc, const char *symbol, sb_dec *last_price, int64_t *market_ms)
{
	*last_price = 0;
	*market_ms = 0;
	const cJSON *s;
	const cJSON *symbols = array_of(doc, "symbols");
	cJSON_ArrayForEach(s, symbols)
	{
		const char *name = get_str(s, "symbol");
		if (!name || strcmp(name, symbol) != 0)
			continue;
		if (!get_dec(s, "lastPrice", last_price) || *last_price < 0)
			*last_price = 0;
		if (!get_int(s, "marketTime", market_ms))
			*market_ms = 0;
	}
}

/* ---- balances and accounts ---- */

/* Replaces every balance of ledger account id with the array a. */
static sb_err restore_balances(struct sim_exchange *ex, uint32_t id, const cJSON *a, const char *who,
                               char *why, size_t cap)
{
	const struct sim_ledger_asset *old = NULL;
	size_t n = 0;
	if (!a)
		return fail(why, cap, "%s: no \"balances\" array", who);
	sim_ledger_balances(ex->ledger, id, &old, &n);
	for (size_t i = 0; i < n; i++)
		sim_ledger_restore(ex->ledger, id, old[i].asset, 0, 0);
	const cJSON *b;
	cJSON_ArrayForEach(b, a)
	{
		const char *asset = get_str(b, "asset");
		sb_dec free_amount, locked;
		if (!asset || !get_dec(b, "free", &free_amount) || !get_dec(b, "locked", &locked))
			return fail(why, cap, "%s: a balance without asset, free and locked", who);
		sb_err e = sim_ledger_restore(ex->ledger, id, asset, free_amount, locked);
		if (e == SB_ERR_RANGE && (free_amount < 0 || locked < 0))
			return fail(why, cap, "%s: balance of %s is negative", who, asset);
		if (e)
			return fail(why, cap, "%s: balance of %s: %s", who, asset, sb_strerror(e));
	}
	return SB_OK;
}

static sb_err restore_trade(struct sim_exchange *ex, struct sim_account *a, const cJSON *t, char *why,
                            size_t cap)
{
	struct sim_trade_rec r = {0};
	const char *sym = get_str(t, "symbol"), *asset = get_str(t, "commissionAsset");
	const struct sim_symbol *s = sym ? sim_exchange_symbol(ex, sym, strlen(sym)) : NULL;
	int64_t order_id;
	if (!s)
		return fail(why, cap, "account %s: a trade of symbol %s, which is not served", a->key,
		            sym ? sym : "(none)");
	if (!get_int(t, "id", &r.id) || !get_int(t, "orderId", &order_id) || !get_dec(t, "price", &r.price) ||
	    !get_dec(t, "qty", &r.qty) || !get_dec(t, "quoteQty", &r.quote_qty) ||
	    !get_dec(t, "commission", &r.commission) || !asset || strlen(asset) > SIM_ASSET_MAX ||
	    !get_int(t, "time", &r.time) || !get_bool(t, "isBuyer", &r.is_buyer) ||
	    !get_bool(t, "isMaker", &r.is_maker))
		return fail(why, cap, "account %s: a trade with a missing or malformed member", a->key);
	r.symbol = s->index;
	r.order_id = (uint64_t)order_id;
	snprintf(r.commission_asset, sizeof r.commission_asset, "%s", asset);
	sim_account_push_trade(a, &r);
	return SB_OK;
}

static sb_err restore_account(struct sim_exchange *ex, const cJSON *j, char *why, size_t cap)
{
	const char *key = get_str(j, "key");
	struct sim_account *a = key ? sim_exchange_account(ex, key, strlen(key)) : NULL;
	if (!key)
		return fail(why, cap, "an account without a key");
	if (!a)
		return fail(why, cap,
		            "account %s is not given with --account (its orders and balances would be "
		            "stranded)",
		            key);
	sb_dec maker, taker;
	bool bnb;
	if (!get_dec(j, "makerRate", &maker) || !get_dec(j, "takerRate", &taker) ||
	    sim_ledger_set_rates(ex->ledger, a->id, maker, taker) != SB_OK)
		return fail(why, cap, "account %s: makerRate or takerRate missing or not in [0, 1)", key);
	if (!get_bool(j, "bnbFees", &bnb))
		return fail(why, cap, "account %s: bnbFees missing", key);
	sim_ledger_set_bnb_fees(ex->ledger, a->id, bnb);
	char who[200];
	snprintf(who, sizeof who, "account %s", key);
	sb_err e = restore_balances(ex, a->id, array_of(j, "balances"), who, why, cap);
	const cJSON *t, *trades = array_of(j, "trades");
	cJSON_ArrayForEach(t, trades)
	{
		if (!e)
			e = restore_trade(ex, a, t, why, cap);
	}
	return e;
}

/* ---- symbols and orders ---- */

static sb_err read_order(struct sim_exchange *ex, const cJSON *j, struct sim_book_order *o, const char *sym,
                         char *why, size_t cap)
{
	int64_t id = 0, seq = 0;
	int side = 0, type = 0, tif = 0, status = 0, expiry = 0, stp = 0;
	const char *key = get_str(j, "account"), *cid = get_str(j, "clientOrderId");
	memset(o, 0, sizeof *o);
	if (!get_int(j, "orderId", &id) || id == 0)
		return fail(why, cap, "%s: an order without an orderId", sym);
	const struct sim_account *a = key ? sim_exchange_account(ex, key, strlen(key)) : NULL;
	if (!a)
		return fail(why, cap,
		            "%s: order %lld belongs to account %s, which is not given with --account", sym,
		            (long long)id, key ? key : "(none)");
	/* The first member that is missing or malformed is named, so a hand-edited file can be mended. */
	const char *bad = NULL;
#define NEED(ok, member)                                                                                     \
	do {                                                                                                 \
		if (!bad && !(ok))                                                                           \
			bad = (member);                                                                      \
	} while (0)
	NEED(cid && *cid && strlen(cid) <= SIM_CLIENT_ID_MAX, "clientOrderId");
	NEED(get_enum(j, "side", side_name, 2, &side), "side");
	NEED(get_enum(j, "type", type_name, 3, &type), "type");
	NEED(get_enum(j, "timeInForce", tif_name, 3, &tif), "timeInForce");
	NEED(get_enum(j, "status", status_name, SB_ORDER_STATE__COUNT, &status) &&
	         sim_book_status_held((enum sb_order_state)status),
	     "status");
	NEED(get_enum(j, "selfTradePreventionMode", stp_name, SIM_STP_COUNT, &stp),
	     "selfTradePreventionMode");
	NEED(get_int(j, "preventedMatchId", &o->prevented_match_id), "preventedMatchId");
	NEED(get_dec(j, "preventedQuantity", &o->prevented_qty), "preventedQuantity");
	NEED(get_enum(j, "expiryReason", expiry_name, 4, &expiry), "expiryReason");
	NEED(get_dec(j, "price", &o->price), "price");
	NEED(get_dec(j, "origQty", &o->orig_qty), "origQty");
	NEED(get_dec(j, "origQuoteOrderQty", &o->orig_quote_qty), "origQuoteOrderQty");
	NEED(get_dec(j, "executedQty", &o->executed_qty), "executedQty");
	NEED(get_dec(j, "cummulativeQuoteQty", &o->cum_quote_qty), "cummulativeQuoteQty");
	NEED(get_dec(j, "locked", &o->locked), "locked");
	NEED(get_int(j, "time", &o->time), "time");
	NEED(get_int(j, "updateTime", &o->update_time), "updateTime");
	NEED(get_int(j, "workingTime", &o->working_time), "workingTime");
	NEED(get_int(j, "seq", &seq), "seq");
#undef NEED
	if (bad)
		return fail(why, cap, "%s: order %lld: %s is missing or malformed", sym, (long long)id, bad);
	o->id = (uint64_t)id;
	o->seq = (uint64_t)seq;
	o->account = a->id;
	snprintf(o->client_id, sizeof o->client_id, "%s", cid);
	o->side = (enum sb_side)side;
	o->type = (enum sb_order_type)type;
	o->tif = (enum sb_tif)tif;
	o->status = (enum sb_order_state)status;
	o->expiry = (enum sim_book_expiry)expiry;
	o->stp = (enum sim_stp_mode)stp;
	return SB_OK;
}

static sb_err restore_symbol(struct sim_exchange *ex, const cJSON *j, char *why, size_t cap)
{
	const char *name = get_str(j, "symbol");
	struct sim_symbol *s = name ? sim_exchange_symbol(ex, name, strlen(name)) : NULL;
	int64_t next_order = 0, next_trade = 0, next_prevented = 0;
	if (!s)
		return fail(why, cap,
		            "symbol %s is not served (give it with --symbols, --exchange-info or --replay)",
		            name ? name : "(none)");
	if (!get_int(j, "nextOrderId", &next_order) || !get_int(j, "nextTradeId", &next_trade) ||
	    !get_int(j, "nextPreventedMatchId", &next_prevented) || next_order < 1 || next_trade < 1 ||
	    next_prevented < 0)
		return fail(why, cap,
		            "%s: nextOrderId, nextTradeId or nextPreventedMatchId missing or out of range",
		            name);
	const cJSON *oj, *orders = array_of(j, "orders");
	cJSON_ArrayForEach(oj, orders)
	{
		struct sim_book_order o;
		sb_err e = read_order(ex, oj, &o, name, why, cap);
		if (e)
			return e;
		if ((int64_t)o.id >= next_order)
			return fail(why, cap, "%s: order %llu is not below nextOrderId %lld", name,
			            (unsigned long long)o.id, (long long)next_order);
		e = sim_book_restore_order(s->book, &o);
		if (e == SB_ERR_EXISTS)
			return fail(why, cap,
			            "%s: order %llu (%s): its orderId or open clientOrderId is taken twice",
			            name, (unsigned long long)o.id, o.client_id);
		if (e)
			return fail(why, cap,
			            "%s: order %llu (%s) cannot be (its quantities, price or status)", name,
			            (unsigned long long)o.id, o.client_id);
	}
	sim_book_restore_ids(s->book, (uint64_t)next_order, next_trade, next_prevented);
	return SB_OK;
}

/* The asset an open order locks: the quote for a buy, the base for a sell. */
static const char *locked_asset(const struct sim_symbol *s, const struct sim_book_order *o)
{
	return o->side == SB_SIDE_BUY ? s->rules.quote_asset : s->rules.base_asset;
}

/* What the open orders of account hold in asset. */
static sb_dec held_by_orders(const struct sim_exchange *ex, const struct sim_account *a, const char *asset)
{
	sb_dec sum = 0;
	for (size_t i = 0; i < ex->nsymbols; i++) {
		const struct sim_symbol *s = &ex->symbols[i];
		size_t n = sim_book_open_orders(s->book, a->id, NULL, 0);
		const struct sim_book_order **v = sb_xcalloc(n + 1, sizeof *v);
		sim_book_open_orders(s->book, a->id, v, n);
		for (size_t k = 0; k < n; k++)
			if (strcmp(locked_asset(s, v[k]), asset) == 0 &&
			    sb_dec_add(sum, v[k]->locked, &sum) != SB_OK)
				sum = SB_DEC_MAX; /* cannot equal a balance: reported as a mismatch */
		free(v);
	}
	return sum;
}

static sb_err check_asset(const struct sim_exchange *ex, const struct sim_account *a, const char *asset,
                          char *why, size_t cap)
{
	struct sim_ledger_asset b;
	sim_ledger_balance(ex->ledger, a->id, asset, &b);
	sb_dec held = held_by_orders(ex, a, asset);
	if (b.locked == held)
		return SB_OK;
	char l[SB_DEC_STRLEN], h[SB_DEC_STRLEN];
	sb_dec_format_trim(b.locked, l, sizeof l);
	sb_dec_format_trim(held, h, sizeof h);
	return fail(why, cap, "account %s: %s locked is %s but its open orders hold %s", a->key, asset, l, h);
}

/* Every account's locked balance of each asset equals what its open orders hold: the assets it has a
 * balance of, and those any symbol's orders can lock. */
static sb_err check_locks(const struct sim_exchange *ex, char *why, size_t cap)
{
	sb_err e = SB_OK;
	for (size_t i = 0; i < ex->naccounts && !e; i++) {
		const struct sim_account *a = &ex->accounts[i];
		const struct sim_ledger_asset *bal = NULL;
		size_t n = 0;
		sim_ledger_balances(ex->ledger, a->id, &bal, &n);
		for (size_t k = 0; k < n && !e; k++)
			e = check_asset(ex, a, bal[k].asset, why, cap);
		for (size_t k = 0; k < ex->nsymbols && !e; k++) {
			e = check_asset(ex, a, ex->symbols[k].rules.base_asset, why, cap);
			if (!e)
				e = check_asset(ex, a, ex->symbols[k].rules.quote_asset, why, cap);
		}
	}
	return e;
}

sb_err sim_state_restore(struct sim_exchange *ex, const cJSON *doc, char *why, size_t why_cap)
{
	const char *format = get_str(doc, "format");
	int64_t version = 0;
	if (!cJSON_IsObject(doc) || !format || strcmp(format, SIM_STATE_FORMAT) != 0)
		return fail(why, why_cap, "not a spotsim state file (no \"format\":\"%s\")",
		            SIM_STATE_FORMAT);
	if (!get_int(doc, "version", &version) || version != SIM_STATE_VERSION)
		return fail(why, why_cap, "version %lld, but this spotsim reads version %d",
		            (long long)version, SIM_STATE_VERSION);
	const cJSON *symbols = array_of(doc, "symbols"), *accounts = array_of(doc, "accounts");
	if (!symbols || !accounts)
		return fail(why, why_cap, "no \"symbols\" or \"accounts\" array");
	sb_err e = SB_OK;
	const cJSON *it;
	cJSON_ArrayForEach(it, accounts)
	{
		if (!e)
			e = restore_account(ex, it, why, why_cap);
	}
	cJSON_ArrayForEach(it, symbols)
	{
		if (!e)
			e = restore_symbol(ex, it, why, why_cap);
	}
	if (!e)
		e = restore_balances(ex, SIM_LEDGER_MARKET, array_of(doc, "market"), "market", why, why_cap);
	if (!e)
		e = restore_balances(ex, SIM_LEDGER_FEES, array_of(doc, "fees"), "fees", why, why_cap);
	if (!e)
		e = check_locks(ex, why, why_cap);
	return e;
}

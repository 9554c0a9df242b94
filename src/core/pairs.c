/*
 * pairs.c - trade pair settings: the key table, the PAIRS parser, the formatter and the docs table.
 *
 * The table is the single description of a setting. Defaults are written as text and go through the
 * same parser as user input (sb_pair_init), so a default that the parser would refuse cannot ship.
 */
#include "spotbot/pairs.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "spotbot/profit.h"

#define F(field) offsetof(struct sb_pair_cfg, field)
#define MS_S     INT64_C(1000)
#define MS_M     (60 * MS_S)
#define MS_H     (60 * MS_M)
#define MS_D     (24 * MS_H)
#define PCT(x)   ((int64_t)(x) * (SB_DEC_SCALE / 100)) /* whole percent to a raw fraction */

static const struct sb_pair_key keys[] = {
    {"enabled", SB_PAIR_BOOL, F(enabled), "true", 0, 0, false, "true or false",
     "Start new cycles for the pair; false lets its open positions finish and starts no more."},
    {"quote", SB_PAIR_DECIMAL, F(quote), NULL, 1, SB_DEC_C(10000000, 0), false, "above 0, at most 10000000",
     "Quote amount (e.g. USDT) spent on the buy of each cycle."},
    {"max_positions", SB_PAIR_INT, F(max_positions), "1", 1, SB_PAIR_POSITION_MAX, false, "1 to 100",
     "Open positions (cycles) of the pair at the same time."},
    {"buy_mode", SB_PAIR_BUY_MODE, F(buy_mode), "limit", 0, 0, false, "limit or market",
     "limit: a LIMIT buy at buy_offset below the best bid; market: a MARKET buy for the quote amount."},
    {"buy_offset", SB_PAIR_PERCENT, F(buy_offset), "0.1%", 0, PCT(50), false, "0% to 50%",
     "How far below the best bid a limit buy is placed."},
    {"buy_timeout", SB_PAIR_DURATION, F(buy_timeout_ms), "5m", MS_S, 7 * MS_D, false, "1s to 7d",
     "A buy not fully filled by then is cancelled; a partly filled one continues with what it got."},
    {"profit", SB_PAIR_PERCENT, F(profit), "0.5%", 1, SB_PROFIT_TARGET_MAX - 1, false, "above 0%, below 100%",
     "Target net profit on the buy's cost after both fees; the sell is placed at the lowest price that reaches it."},
    {"stop_loss", SB_PAIR_PERCENT, F(stop_loss), "off", 1, SB_DEC_ONE - 1, true,
     "off, or above 0% and below 100%",
     "Sell at market when the best bid falls this far below the cost price."},
    {"max_duration", SB_PAIR_DURATION, F(max_duration_ms), "off", MS_S, 365 * MS_D, true,
     "off, or 1s to 365d", "Alert when a position has been held this long, counted from its first buy fill."},
    {"max_duration_sell", SB_PAIR_BOOL, F(max_duration_sell), "false", 0, 0, false, "true or false",
     "When max_duration passes, also sell the position at market."},
    {"cooldown", SB_PAIR_DURATION, F(cooldown_ms), "0s", 0, 30 * MS_D, false, "0s to 30d",
     "Wait this long after a cycle ends, or a position opens, before the next buy."},
    {"stop_loss_cooldown", SB_PAIR_DURATION, F(stop_loss_cooldown_ms), "30m", 0, 30 * MS_D, false,
     "0s to 30d",
     "Wait this long after a stop-loss exit before the next buy (the longer of this and cooldown applies)."},
};

#define NKEYS (sizeof keys / sizeof keys[0])

const struct sb_pair_key *sb_pair_keys(size_t *n)
{
	if (n)
		*n = NKEYS;
	return keys;
}

const struct sb_pair_key *sb_pair_key_find(const char *name, size_t len)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++)
		if (strlen(keys[i].name) == len && memcmp(keys[i].name, name, len) == 0)
			return &keys[i];
	return NULL;
}

const char *sb_buy_mode_name(enum sb_buy_mode m)
{
	return m == SB_BUY_MARKET ? "market" : "limit";
}

/* ---- messages ----------------------------------------------------------------------------------------- */

/* Appends to err like snprintf at its current end; err may be NULL. */
__attribute__((format(printf, 3, 4))) static void msg(char *err, size_t cap, const char *fmt, ...)
{
	if (!err || cap == 0)
		return;
	size_t used = strnlen(err, cap);
	if (used >= cap - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + used, cap - used, fmt, ap);
	va_end(ap);
}

/* A value as shown in messages: at most 40 bytes, unprintable bytes as '?'. */
static void show(const char *v, size_t n, char *out, size_t cap)
{
	size_t max = n > 40 ? 40 : n, j = 0;
	for (size_t i = 0; i < max && j + 1 < cap; i++) {
		unsigned char c = (unsigned char)v[i];
		out[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n > max && j + 4 < cap) {
		memcpy(out + j, "...", 3);
		j += 3;
	}
	out[j] = '\0';
}

/* ---- values ------------------------------------------------------------------------------------------- */

static bool eq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static bool eq_nocase(const char *s, size_t n, const char *lit)
{
	if (strlen(lit) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != lit[i])
			return false;
	}
	return true;
}

/* A whole non-negative number of at most 18 digits. */
static bool parse_count(const char *s, size_t n, int64_t *out)
{
	return n <= 18 && sb_parse_i64(s, n, 0, INT64_MAX, out);
}

static sb_err parse_duration(const char *s, size_t n, int64_t *out)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"ms", 1}, {"s", MS_S}, {"m", MS_M}, {"h", MS_H}, {"d", MS_D}};
	size_t d = 0;
	while (d < n && s[d] >= '0' && s[d] <= '9')
		d++;
	int64_t v;
	if (!parse_count(s, d, &v))
		return SB_ERR_PARSE;
	if (d == n)
		return v == 0 ? (*out = 0, SB_OK) : SB_ERR_PARSE; /* a bare number: which unit? */
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (eq(s + d, n - d, units[i].unit)) {
			if (v > INT64_MAX / units[i].ms)
				return SB_ERR_RANGE;
			*out = v * units[i].ms;
			return SB_OK;
		}
	}
	return SB_ERR_PARSE;
}

static sb_err parse_percent(const char *s, size_t n, sb_dec *out)
{
	sb_dec v;
	if (n == 1 && s[0] == '0') {
		*out = 0;
		return SB_OK;
	}
	if (n < 2 || s[n - 1] != '%')
		return SB_ERR_PARSE;
	sb_err err = sb_dec_parse_nonneg(s, n - 1, &v);
	if (err != SB_OK)
		return err == SB_ERR_RANGE       ? SB_ERR_RANGE
		       : err == SB_ERR_PRECISION ? SB_ERR_PRECISION
		                                 : SB_ERR_PARSE;
	if (v % 100 != 0)
		return SB_ERR_PRECISION; /* more than 6 decimals in the percentage: more than 8 as a fraction
		                          */
	*out = v / 100;
	return SB_OK;
}

static const char *type_name(enum sb_pair_type t)
{
	switch (t) {
	case SB_PAIR_DECIMAL:
		return "decimal";
	case SB_PAIR_PERCENT:
		return "percent";
	case SB_PAIR_DURATION:
		return "duration";
	case SB_PAIR_INT:
		return "integer";
	case SB_PAIR_BOOL:
		return "boolean";
	case SB_PAIR_BUY_MODE:
		return "mode";
	}
	return "?";
}

static const char *expected(enum sb_pair_type t)
{
	switch (t) {
	case SB_PAIR_DECIMAL:
		return "a decimal number like 20";
	case SB_PAIR_PERCENT:
		return "a percentage like 0.5%";
	case SB_PAIR_DURATION:
		return "a duration like 60s";
	case SB_PAIR_INT:
		return "a whole number";
	case SB_PAIR_BOOL:
		return "true or false";
	case SB_PAIR_BUY_MODE:
		return "limit or market";
	}
	return "?";
}

/* Parses a value of k's type into a raw int64_t (sb_dec, milliseconds, count, bool or enum as 0/1). */
static sb_err parse_value(const struct sb_pair_key *k, const char *v, size_t n, int64_t *out)
{
	if (k->zero_off && eq_nocase(v, n, "off")) {
		*out = 0;
		return SB_OK;
	}
	switch (k->type) {
	case SB_PAIR_DECIMAL: {
		sb_err err = sb_dec_parse_nonneg(v, n, out);
		return err == SB_OK || err == SB_ERR_RANGE || err == SB_ERR_PRECISION ? err : SB_ERR_PARSE;
	}
	case SB_PAIR_PERCENT:
		return parse_percent(v, n, out);
	case SB_PAIR_DURATION:
		return parse_duration(v, n, out);
	case SB_PAIR_INT:
		return parse_count(v, n, out) ? SB_OK : SB_ERR_PARSE;
	case SB_PAIR_BOOL:
		if (eq_nocase(v, n, "true") || eq_nocase(v, n, "yes") || eq_nocase(v, n, "on") ||
		    eq(v, n, "1"))
			*out = 1;
		else if (eq_nocase(v, n, "false") || eq_nocase(v, n, "no") || eq_nocase(v, n, "off") ||
		         eq(v, n, "0"))
			*out = 0;
		else
			return SB_ERR_PARSE;
		return SB_OK;
	case SB_PAIR_BUY_MODE:
		if (eq_nocase(v, n, "limit"))
			*out = SB_BUY_LIMIT;
		else if (eq_nocase(v, n, "market"))
			*out = SB_BUY_MARKET;
		else
			return SB_ERR_PARSE;
		return SB_OK;
	}
	return SB_ERR_PARSE;
}

/* A percentage typed as a bare number ("0.5"): a fraction or a percent? Never guessed, but the message
 * suggests the percent, which is what such a value almost always means (0.5% rather than 50%). */
static bool missing_percent_sign(const struct sb_pair_key *k, const char *v, size_t n)
{
	sb_dec d;
	return k->type == SB_PAIR_PERCENT && n <= 40 && sb_dec_parse_nonneg(v, n, &d) == SB_OK;
}

static bool bounded(enum sb_pair_type t)
{
	return t == SB_PAIR_DECIMAL || t == SB_PAIR_PERCENT || t == SB_PAIR_DURATION || t == SB_PAIR_INT;
}

static void store(struct sb_pair_cfg *p, const struct sb_pair_key *k, int64_t v)
{
	char *field = (char *)p + k->offset;
	switch (k->type) {
	case SB_PAIR_DECIMAL:
	case SB_PAIR_PERCENT:
	case SB_PAIR_DURATION:
	case SB_PAIR_INT:
		memcpy(field, &v, sizeof v);
		break;
	case SB_PAIR_BOOL: {
		bool b = v != 0;
		memcpy(field, &b, sizeof b);
		break;
	}
	case SB_PAIR_BUY_MODE: {
		enum sb_buy_mode m = v ? SB_BUY_MARKET : SB_BUY_LIMIT;
		memcpy(field, &m, sizeof m);
		break;
	}
	}
}

static int64_t load(const struct sb_pair_cfg *p, const struct sb_pair_key *k)
{
	const char *field = (const char *)p + k->offset;
	switch (k->type) {
	case SB_PAIR_BOOL: {
		bool b;
		memcpy(&b, field, sizeof b);
		return b;
	}
	case SB_PAIR_BUY_MODE: {
		enum sb_buy_mode m;
		memcpy(&m, field, sizeof m);
		return m == SB_BUY_MARKET;
	}
	default: {
		int64_t v;
		memcpy(&v, field, sizeof v);
		return v;
	}
	}
}

sb_err sb_pair_set(struct sb_pair_cfg *p, const char *key, size_t klen, const char *val, size_t vlen,
                   char *err, size_t errcap)
{
	char shown[48];
	if (err && errcap)
		err[0] = '\0';
	if (!p || !key || !val)
		return SB_ERR_INVALID;
	const struct sb_pair_key *k = sb_pair_key_find(key, klen);
	if (!k) {
		show(key, klen, shown, sizeof shown);
		msg(err, errcap, "%s: unknown key", shown);
		return SB_ERR_NOT_FOUND;
	}
	show(val, vlen, shown, sizeof shown);
	int64_t v = 0;
	sb_err e = parse_value(k, val, vlen, &v);
	if (e == SB_ERR_PRECISION) {
		msg(err, errcap, "%s: too many decimal places in '%s'", k->name, shown);
		return SB_ERR_PARSE;
	}
	if (e != SB_OK && e != SB_ERR_RANGE) {
		msg(err, errcap, "%s: expected %s, got '%s'", k->name, expected(k->type), shown);
		if (missing_percent_sign(k, val, vlen))
			msg(err, errcap, " (did you mean %s%%?)", shown);
		return SB_ERR_PARSE;
	}
	if (e == SB_ERR_RANGE ||
	    (bounded(k->type) && !(k->zero_off && v == 0) && (v < k->min || v > k->max))) {
		bool implausible = k->offset == F(profit) && e == SB_OK && v >= SB_PROFIT_TARGET_MAX;
		msg(err, errcap, "%s: must be %s, got '%s'%s", k->name, k->range, shown,
		    implausible ? " (implausible as a profit target)" : "");
		return implausible ? SB_ERR_SUSPICIOUS : SB_ERR_RANGE;
	}
	store(p, k, v);
	return SB_OK;
}

/* Upper-case letters, digits and UTF-8 bytes (symbols with non-ASCII names exist since 2025-12). */
static bool valid_symbol(const char *s, size_t n)
{
	if (n == 0 || n >= SB_SYMBOL_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80))
			return false;
	}
	return true;
}

sb_err sb_pair_init(struct sb_pair_cfg *p, const char *symbol, size_t len)
{
	if (!p)
		return SB_ERR_INVALID;
	memset(p, 0, sizeof *p);
	if (!symbol || !valid_symbol(symbol, len))
		return SB_ERR_INVALID;
	memcpy(p->symbol, symbol, len);
	p->symbol[len] = '\0';
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].def && sb_pair_set(p, keys[i].name, strlen(keys[i].name), keys[i].def,
		                               strlen(keys[i].def), NULL, 0) != SB_OK)
			return SB_ERR_INVALID; /* a default the parser refuses: caught by the tests */
	}
	return SB_OK;
}

sb_err sb_pair_validate(const struct sb_pair_cfg *p, char *err, size_t errcap)
{
	if (err && errcap)
		err[0] = '\0';
	if (!p)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < NKEYS; i++) {
		if (!keys[i].def && load(p, &keys[i]) == 0) {
			msg(err, errcap, "%s: required", keys[i].name);
			return SB_ERR_CONFIG;
		}
	}
	return SB_OK;
}

/* ---- the PAIRS syntax --------------------------------------------------------------------------------- */

struct span {
	const char *p; /* start */
	size_t n;      /* length */
};

static bool space(char c)
{
	return c == ' ' || c == '\t';
}

static struct span trim(const char *p, size_t n)
{
	while (n && space(*p)) {
		p++;
		n--;
	}
	while (n && space(p[n - 1]))
		n--;
	return (struct span){p, n};
}

/* Splits off the text up to sep (or the end) from *rest. */
static struct span take(struct span *rest, char sep)
{
	const char *hit = rest->n ? memchr(rest->p, sep, rest->n) : NULL;
	size_t n = hit ? (size_t)(hit - rest->p) : rest->n;
	struct span out = {rest->p, n};
	rest->p += hit ? n + 1 : n;
	rest->n -= hit ? n + 1 : n;
	return out;
}

/* Parses "key=value,key=value" (the part after the ':') into p; on error err holds "key: ...". */
static sb_err parse_settings(struct sb_pair_cfg *p, struct span rest, char *err, size_t errcap)
{
	uint32_t seen = 0; /* bit i: keys[i] was set (the table has fewer than 32 rows) */
	char shown[48];
	bool more = rest.n > 0;
	while (more) {
		more = rest.n && memchr(rest.p, ',', rest.n);
		struct span item = take(&rest, ',');
		item = trim(item.p, item.n);
		if (item.n == 0) {
			msg(err, errcap, "empty setting (two commas, or a comma at the end?)");
			return SB_ERR_PARSE;
		}
		const char *eqs = memchr(item.p, '=', item.n);
		if (!eqs) {
			show(item.p, item.n, shown, sizeof shown);
			msg(err, errcap, "'%s': expected key=value", shown);
			return SB_ERR_PARSE;
		}
		struct span key = trim(item.p, (size_t)(eqs - item.p));
		struct span val = trim(eqs + 1, (size_t)(item.p + item.n - (eqs + 1)));
		const struct sb_pair_key *k = sb_pair_key_find(key.p, key.n);
		if (k) {
			uint32_t bit = 1u << (k - keys);
			if (seen & bit) {
				msg(err, errcap, "%s: set twice", k->name);
				return SB_ERR_EXISTS;
			}
			seen |= bit;
		}
		sb_err e = sb_pair_set(p, key.p, key.n, val.p, val.n, err, errcap);
		if (e != SB_OK)
			return e;
	}
	return SB_OK;
}

/* Writes "PAIRS: <who>: " followed by the message in detail into err. */
static void report(char *err, size_t errcap, const char *who, const char *detail)
{
	if (!err || errcap == 0)
		return;
	err[0] = '\0';
	msg(err, errcap, "PAIRS: %s: %s", who, detail);
}

sb_err sb_pairs_parse(const char *s, size_t len, struct sb_pairs *out, char *err, size_t errcap)
{
	char detail[SB_PAIRS_ERR_MAX], shown[48];
	if (err && errcap)
		err[0] = '\0';
	if (!out || (!s && len))
		return SB_ERR_INVALID;
	out->n = 0;
	struct span rest = {s, len};
	while (rest.n) {
		struct span pair = take(&rest, ';');
		pair = trim(pair.p, pair.n);
		if (pair.n == 0)
			continue;
		struct span settings = pair;
		struct span sym = take(&settings, ':');
		sym = trim(sym.p, sym.n);
		show(sym.p, sym.n, shown, sizeof shown);
		if (!valid_symbol(sym.p, sym.n)) {
			report(err, errcap, sym.n ? shown : "''",
			       "not a symbol (upper-case letters and digits, like BTCUSDT)");
			goto fail;
		}
		if (sb_pairs_find(out, sym.p, sym.n)) {
			report(err, errcap, shown, "listed twice");
			goto fail;
		}
		if (out->n == SB_PAIRS_MAX) {
			report(err, errcap, shown, "too many pairs (at most 64)");
			goto fail;
		}
		struct sb_pair_cfg *p = &out->pair[out->n];
		if (sb_pair_init(p, sym.p, sym.n) != SB_OK) {
			report(err, errcap, shown, "not a symbol");
			goto fail;
		}
		detail[0] = '\0';
		if (parse_settings(p, settings, detail, sizeof detail) != SB_OK ||
		    sb_pair_validate(p, detail, sizeof detail) != SB_OK) {
			report(err, errcap, shown, detail);
			goto fail;
		}
		out->n++;
	}
	return SB_OK;
fail:
	out->n = 0;
	return SB_ERR_CONFIG;
}

const struct sb_pair_cfg *sb_pairs_find(const struct sb_pairs *ps, const char *symbol, size_t len)
{
	if (!ps || !symbol)
		return NULL;
	for (size_t i = 0; i < ps->n; i++)
		if (eq(symbol, len, ps->pair[i].symbol))
			return &ps->pair[i];
	return NULL;
}

/* ---- formatting --------------------------------------------------------------------------------------- */

static void format_duration(int64_t ms, char *buf, size_t cap)
{
	if (ms != 0 && ms % MS_D == 0)
		snprintf(buf, cap, "%lldd", (long long)(ms / MS_D));
	else if (ms != 0 && ms % MS_H == 0)
		snprintf(buf, cap, "%lldh", (long long)(ms / MS_H));
	else if (ms != 0 && ms % MS_M == 0)
		snprintf(buf, cap, "%lldm", (long long)(ms / MS_M));
	else if (ms % MS_S == 0)
		snprintf(buf, cap, "%llds", (long long)(ms / MS_S));
	else
		snprintf(buf, cap, "%lldms", (long long)ms);
}

sb_err sb_pair_format_value(const struct sb_pair_cfg *p, const struct sb_pair_key *k, char *buf, size_t cap)
{
	char num[SB_DEC_STRLEN + 2];
	if (!p || !k || !buf || cap == 0)
		return SB_ERR_INVALID;
	int64_t v = load(p, k);
	int n;
	if (k->zero_off && v == 0) {
		n = snprintf(buf, cap, "off");
	} else {
		switch (k->type) {
		case SB_PAIR_DECIMAL:
			sb_dec_format_trim(v, num, sizeof num);
			n = snprintf(buf, cap, "%s", num);
			break;
		case SB_PAIR_PERCENT: {
			/* Stored fractions have 8 places, so the percentage has 6 and v * 100 fits (v <
			 * 10^8). */
			sb_dec pct;
			if (sb_dec_mul(v, SB_DEC_C(100, 0), SB_ROUND_HALF_EVEN, &pct) != SB_OK)
				return SB_ERR_OVERFLOW;
			sb_dec_format_trim(pct, num, sizeof num);
			n = snprintf(buf, cap, "%s%%", num);
			break;
		}
		case SB_PAIR_DURATION:
			format_duration(v, num, sizeof num);
			n = snprintf(buf, cap, "%s", num);
			break;
		case SB_PAIR_INT:
			n = snprintf(buf, cap, "%lld", (long long)v);
			break;
		case SB_PAIR_BOOL:
			n = snprintf(buf, cap, "%s", v ? "true" : "false");
			break;
		default:
			n = snprintf(buf, cap, "%s", sb_buy_mode_name(v ? SB_BUY_MARKET : SB_BUY_LIMIT));
			break;
		}
	}
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return SB_ERR_TOO_LONG;
	}
	return SB_OK;
}

/* Appends text to buf at *used; false when it does not fit. */
static bool append(char *buf, size_t cap, size_t *used, const char *text)
{
	size_t n = strlen(text);
	if (*used + n >= cap)
		return false;
	memcpy(buf + *used, text, n + 1);
	*used += n;
	return true;
}

static sb_err format_into(const struct sb_pair_cfg *p, bool all, char *buf, size_t cap, size_t *used)
{
	struct sb_pair_cfg def;
	char val[64];
	if (sb_pair_init(&def, p->symbol, strnlen(p->symbol, sizeof p->symbol)) != SB_OK)
		return SB_ERR_INVALID;
	if (!append(buf, cap, used, p->symbol) || !append(buf, cap, used, ":"))
		return SB_ERR_TOO_LONG;
	bool first = true;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct sb_pair_key *k = &keys[i];
		if (!all && k->def && load(p, k) == load(&def, k))
			continue;
		sb_err e = sb_pair_format_value(p, k, val, sizeof val);
		if (e != SB_OK)
			return e;
		if ((!first && !append(buf, cap, used, ",")) || !append(buf, cap, used, k->name) ||
		    !append(buf, cap, used, "=") || !append(buf, cap, used, val))
			return SB_ERR_TOO_LONG;
		first = false;
	}
	return SB_OK;
}

sb_err sb_pair_format(const struct sb_pair_cfg *p, bool all, char *buf, size_t cap, size_t *len)
{
	struct sb_pairs one;
	if (!p || !buf)
		return SB_ERR_INVALID;
	one.n = 1;
	one.pair[0] = *p;
	return sb_pairs_format(&one, all, buf, cap, len);
}

sb_err sb_pairs_format(const struct sb_pairs *ps, bool all, char *buf, size_t cap, size_t *len)
{
	size_t used = 0;
	if (!ps || !buf || cap == 0)
		return SB_ERR_INVALID;
	buf[0] = '\0';
	for (size_t i = 0; i < ps->n; i++) {
		sb_err e = i ? (append(buf, cap, &used, ";") ? SB_OK : SB_ERR_TOO_LONG) : SB_OK;
		if (e == SB_OK)
			e = format_into(&ps->pair[i], all, buf, cap, &used);
		if (e != SB_OK) {
			buf[0] = '\0';
			return e;
		}
	}
	if (len)
		*len = used;
	return SB_OK;
}

/* ---- documentation ------------------------------------------------------------------------------------ */

/* snprintf that keeps counting past the end of buf, for a "length needed" result. */
__attribute__((format(printf, 4, 5))) static void put(char *buf, size_t cap, size_t *used, const char *fmt,
                                                      ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(*used < cap ? buf + *used : NULL, *used < cap ? cap - *used : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

size_t sb_pairs_markdown(char *buf, size_t cap)
{
	size_t used = 0;
	if (buf && cap)
		buf[0] = '\0';
	if (!buf)
		cap = 0;
	put(buf, cap, &used, "| key | type | default | allowed | meaning |\n");
	put(buf, cap, &used, "|---|---|---|---|---|\n");
	for (size_t i = 0; i < NKEYS; i++) {
		const struct sb_pair_key *k = &keys[i];
		put(buf, cap, &used, "| `%s` | %s | %s | %s | %s |\n", k->name, type_name(k->type),
		    k->def ? k->def : "required", k->range, k->help);
	}
	return used;
}

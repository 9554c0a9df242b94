/*
 * codec_json.c - the field getters every Binance parser is built from, and the enum spellings.
 *
 * Kept apart from the message parsers so that each rule of the codec (case-sensitive keys, decimals only
 * from strings, integers exact below 2^53, one message naming the field) lives in exactly one place.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "exchange/codec_int.h"

void sb_bn__ctx_init(struct sb_bn__ctx *c, char *err, size_t errcap, const char *what)
{
	c->err = err;
	c->errcap = errcap;
	c->what = what;
	c->prefix = "";
	c->indexed = NULL;
	if (err && errcap > 0)
		err[0] = '\0';
}

void sb_bn__index(struct sb_bn__ctx *c, const cJSON *o)
{
	memset(c->by_char, 0, sizeof c->by_char);
	c->indexed = o;
	const cJSON *it;
	cJSON_ArrayForEach(it, o)
	{
		const unsigned char *k = (const unsigned char *)it->string;
		if (k && k[0] != 0 && k[0] < 128 && k[1] == 0 && !c->by_char[k[0]])
			c->by_char[k[0]] = it;
	}
}

const cJSON *sb_bn__find(const struct sb_bn__ctx *c, const cJSON *o, const char *key)
{
	const unsigned char *k = (const unsigned char *)key;
	if (o && o == c->indexed && k[0] != 0 && k[0] < 128 && k[1] == 0)
		return c->by_char[k[0]];
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

sb_err sb_bn__fail(struct sb_bn__ctx *c, sb_err e, const char *key, const char *fmt, ...)
{
	if (!c->err || c->errcap == 0)
		return e;
	int n;
	if (key)
		n = snprintf(c->err, c->errcap, "%s: field \"%s%s\": ", c->what, c->prefix, key);
	else
		n = snprintf(c->err, c->errcap, "%s: ", c->what);
	if (n >= 0 && (size_t)n < c->errcap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return e;
}

sb_err sb_bn__parse_doc(struct sb_bn__ctx *c, const char *text, size_t len, size_t max, cJSON **out)
{
	*out = NULL;
	if (!text && len > 0)
		return sb_bn__fail(c, SB_ERR_INVALID, NULL, "no input");
	if (len > max)
		return sb_bn__fail(c, SB_ERR_TOO_LONG, NULL, "%zu bytes exceed the %zu-byte limit", len, max);
	if (len == 0)
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "empty input");
	const char *end = NULL;
	cJSON *doc = cJSON_ParseWithLengthOpts(text, len, &end, 0);
	if (!doc) {
		size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
		return sb_bn__fail(c, SB_ERR_PARSE, NULL, "malformed JSON near byte %zu", at);
	}
	/* cJSON stops after the first value; anything but whitespace after it is not one message. */
	for (const char *p = end; p < text + len; p++) {
		if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
			cJSON_Delete(doc);
			return sb_bn__fail(c, SB_ERR_PARSE, NULL, "trailing data at byte %zu",
			                   (size_t)(p - text));
		}
	}
	*out = doc;
	return SB_OK;
}

/* How a value's JSON type is named in messages. */
static const char *type_name(const cJSON *it)
{
	if (cJSON_IsNull(it))
		return "null";
	if (cJSON_IsBool(it))
		return "a boolean";
	if (cJSON_IsNumber(it))
		return "a number";
	if (cJSON_IsString(it))
		return "a string";
	if (cJSON_IsArray(it))
		return "an array";
	if (cJSON_IsObject(it))
		return "an object";
	return "invalid";
}

static sb_err lookup(struct sb_bn__ctx *c, const cJSON *o, const char *key, const cJSON **it)
{
	*it = sb_bn__find(c, o, key);
	if (!*it)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "missing");
	return SB_OK;
}

static sb_err dec_any(struct sb_bn__ctx *c, const cJSON *it, const char *name, bool allow_negative,
                      sb_dec *out)
{
	if (!cJSON_IsString(it) || !it->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, name, "not a decimal string (%s)", type_name(it));
	const char *s = it->valuestring;
	size_t n = strlen(s);
	sb_err e = allow_negative ? sb_dec_parse(s, n, out) : sb_dec_parse_nonneg(s, n, out);
	if (e != SB_OK)
		return sb_bn__fail(c, e, name, "\"%.40s\": %s", s, sb_strerror(e));
	return SB_OK;
}

sb_err sb_bn__dec_item(struct sb_bn__ctx *c, const cJSON *it, const char *name, sb_dec *out)
{
	return dec_any(c, it, name, false, out);
}

sb_err sb_bn__dec(struct sb_bn__ctx *c, const cJSON *o, const char *key, sb_dec *out)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	return dec_any(c, it, key, false, out);
}

sb_err sb_bn__dec_signed(struct sb_bn__ctx *c, const cJSON *o, const char *key, sb_dec *out)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	return dec_any(c, it, key, true, out);
}

sb_err sb_bn__dec_opt(struct sb_bn__ctx *c, const cJSON *o, const char *key, sb_dec *out)
{
	const cJSON *it = sb_bn__find(c, o, key);
	if (!it) {
		*out = 0;
		return SB_OK;
	}
	return dec_any(c, it, key, false, out);
}

sb_err sb_bn__int_item(struct sb_bn__ctx *c, const cJSON *it, const char *name, int64_t lo, int64_t hi,
                       int64_t *out)
{
	if (!cJSON_IsNumber(it))
		return sb_bn__fail(c, SB_ERR_PARSE, name, "not an integer (%s)", type_name(it));
	double d = it->valuedouble;
	/* NaN and out-of-range values fail the range test; fractions fail the round trip. */
	if (!(d >= (double)lo && d <= (double)hi))
		return sb_bn__fail(c, SB_ERR_RANGE, name, "%.17g is outside [%lld, %lld]", d, (long long)lo,
		                   (long long)hi);
	int64_t v = (int64_t)d;
	if ((double)v < d || (double)v > d)
		return sb_bn__fail(c, SB_ERR_PARSE, name, "%.17g is not an integer", d);
	*out = v;
	return SB_OK;
}

sb_err sb_bn__int(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t lo, int64_t hi, int64_t *out)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	return sb_bn__int_item(c, it, key, lo, hi, out);
}

sb_err sb_bn__int_opt(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t lo, int64_t hi,
                      int64_t dflt, int64_t *out)
{
	const cJSON *it = sb_bn__find(c, o, key);
	if (!it) {
		*out = dflt;
		return SB_OK;
	}
	return sb_bn__int_item(c, it, key, lo, hi, out);
}

sb_err sb_bn__id(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t *out)
{
	return sb_bn__int(c, o, key, -SB_BN__INT_MAX, SB_BN__INT_MAX, out);
}

sb_err sb_bn__time(struct sb_bn__ctx *c, const cJSON *o, const char *key, int64_t *out)
{
	return sb_bn__int(c, o, key, 0, SB_BN__INT_MAX, out);
}

sb_err sb_bn__bool(struct sb_bn__ctx *c, const cJSON *o, const char *key, bool *out)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	if (!cJSON_IsBool(it))
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not a boolean (%s)", type_name(it));
	*out = cJSON_IsTrue(it);
	return SB_OK;
}

static sb_err str_item(struct sb_bn__ctx *c, const cJSON *it, const char *key, bool allow_empty, char *buf,
                       size_t cap)
{
	if (!cJSON_IsString(it) || !it->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not a string (%s)", type_name(it));
	size_t n = strlen(it->valuestring);
	if (n == 0 && !allow_empty)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "empty");
	if (n >= cap)
		return sb_bn__fail(c, SB_ERR_TOO_LONG, key, "longer than %zu bytes", cap - 1);
	memcpy(buf, it->valuestring, n);
	buf[n] = '\0';
	return SB_OK;
}

sb_err sb_bn__str(struct sb_bn__ctx *c, const cJSON *o, const char *key, bool allow_empty, char *buf,
                  size_t cap)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	return str_item(c, it, key, allow_empty, buf, cap);
}

sb_err sb_bn__str_opt(struct sb_bn__ctx *c, const cJSON *o, const char *key, char *buf, size_t cap)
{
	const cJSON *it = sb_bn__find(c, o, key);
	buf[0] = '\0';
	if (!it)
		return SB_OK;
	return str_item(c, it, key, true, buf, cap);
}

sb_err sb_bn__text(struct sb_bn__ctx *c, const cJSON *o, const char *key, char *buf, size_t cap)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	if (!cJSON_IsString(it) || !it->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not a string (%s)", type_name(it));
	snprintf(buf, cap, "%s", it->valuestring);
	return SB_OK;
}

sb_err sb_bn__enum(struct sb_bn__ctx *c, const cJSON *o, const char *key, const char *const *names, size_t n,
                   int *out)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	if (!cJSON_IsString(it) || !it->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not a string (%s)", type_name(it));
	for (size_t i = 0; i < n; i++) {
		if (strcmp(names[i], it->valuestring) == 0) {
			*out = (int)i;
			return SB_OK;
		}
	}
	return sb_bn__fail(c, SB_ERR_PARSE, key, "unknown value \"%.40s\"", it->valuestring);
}

sb_err sb_bn__array(struct sb_bn__ctx *c, const cJSON *o, const char *key, size_t max, const cJSON **arr,
                    size_t *n)
{
	SB_TRY(lookup(c, o, key, arr));
	if (!cJSON_IsArray(*arr))
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not an array (%s)", type_name(*arr));
	int size = cJSON_GetArraySize(*arr);
	if (size < 0 || (size_t)size > max)
		return sb_bn__fail(c, SB_ERR_TOO_LONG, key, "more than %zu elements", max);
	*n = (size_t)size;
	return SB_OK;
}

/* ---- enum spellings: index i of each table is enum value i ---------------------------------------- */

static const char *const exec_names[] = {"NEW",   "CANCELED", "REPLACED",        "REJECTED",
                                         "TRADE", "EXPIRED",  "TRADE_PREVENTION"};
static const char *const reject_names[] = {"NONE", "INSUFFICIENT_BALANCES",
                                           "STOP_PRICE_WOULD_TRIGGER_IMMEDIATELY", "WOULD_MATCH_IMMEDIATELY",
                                           "OCO_BAD_PRICES"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_of(const char *const *names, size_t n, int v)
{
	return v >= 0 && (size_t)v < n ? names[v] : "UNKNOWN";
}

static sb_err parse_name(const char *const *names, size_t n, const char *s, size_t len, int *out)
{
	if (!s || !out)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
			*out = (int)i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

const char *sb_bn_exec_type_name(enum sb_bn_exec_type v)
{
	return name_of(exec_names, COUNT(exec_names), (int)v);
}

const char *sb_bn_reject_reason_name(enum sb_bn_reject_reason v)
{
	return name_of(reject_names, COUNT(reject_names), (int)v);
}

/* Each typed parser goes through an int so the tables stay the single source of the spellings. */
#define DEFINE_PARSE(fn, type, table)                                                                        \
	sb_err fn(const char *s, size_t len, type *out)                                                      \
	{                                                                                                    \
		int v = 0;                                                                                   \
		sb_err e = parse_name(table, COUNT(table), s, len, &v);                                      \
		if (e == SB_OK)                                                                              \
			*out = (type)v;                                                                      \
		return e;                                                                                    \
	}

DEFINE_PARSE(sb_bn_exec_type_parse, enum sb_bn_exec_type, exec_names)
DEFINE_PARSE(sb_bn_reject_reason_parse, enum sb_bn_reject_reason, reject_names)

#define DEFINE_GET(fn, type, table)                                                                          \
	sb_err fn(struct sb_bn__ctx *c, const cJSON *o, const char *key, type *out)                          \
	{                                                                                                    \
		int v = 0;                                                                                   \
		SB_TRY(sb_bn__enum(c, o, key, table, COUNT(table), &v));                                     \
		*out = (type)v;                                                                              \
		return SB_OK;                                                                                \
	}

DEFINE_GET(sb_bn__exec_type, enum sb_bn_exec_type, exec_names)
DEFINE_GET(sb_bn__reject, enum sb_bn_reject_reason, reject_names)

/* A string field holding a word of core's vocabulary; *word borrowed from o. */
static sb_err word(struct sb_bn__ctx *c, const cJSON *o, const char *key, const char **w)
{
	const cJSON *it;
	SB_TRY(lookup(c, o, key, &it));
	if (!cJSON_IsString(it) || !it->valuestring)
		return sb_bn__fail(c, SB_ERR_PARSE, key, "not a string (%s)", type_name(it));
	*w = it->valuestring;
	return SB_OK;
}

static sb_err unknown(struct sb_bn__ctx *c, const char *key, const char *w)
{
	return sb_bn__fail(c, SB_ERR_PARSE, key, "unknown value \"%.40s\"", w);
}

sb_err sb_bn__order_type(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_order_type *out)
{
	const char *w;
	SB_TRY(word(c, o, key, &w));
	return sb_order_type_parse(w, strlen(w), out) == SB_OK ? SB_OK : unknown(c, key, w);
}

sb_err sb_bn__side(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_side *out)
{
	const char *w;
	SB_TRY(word(c, o, key, &w));
	return sb_side_parse(w, strlen(w), out) == SB_OK ? SB_OK : unknown(c, key, w);
}

/* GTC, IOC or FOK: NONE is the store's word, not Binance's. */
sb_err sb_bn__tif(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_tif *out)
{
	const char *w;
	SB_TRY(word(c, o, key, &w));
	enum sb_tif t;
	if (sb_tif_parse(w, strlen(w), &t) != SB_OK || t == SB_TIF_NONE)
		return unknown(c, key, w);
	*out = t;
	return SB_OK;
}

/* Binance's order statuses only: the bot's own words (UNKNOWN, LOST, ...) never come from the wire. */
sb_err sb_bn__status(struct sb_bn__ctx *c, const cJSON *o, const char *key, enum sb_order_state *out)
{
	const char *w;
	SB_TRY(word(c, o, key, &w));
	enum sb_order_state s;
	if (sb_order_state_parse(w, strlen(w), &s) != SB_OK || !sb_order_state_is_exchange(s))
		return unknown(c, key, w);
	*out = s;
	return SB_OK;
}

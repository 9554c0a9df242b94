/*
 * streams.c - market-stream names, subscription sets and control messages (see streams.h).
 */
#include "sim/streams.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "spotbot/alloc.h"

#define ID_STRING_MAX 36 /* longest string id, in bytes */
#define ID_TEXT_MAX                                                                                          \
	(2 + 6 * ID_STRING_MAX + 1)   /* its JSON text: each byte escaped at worst (\u00XX), quotes */
#define REPLY_MAX (ID_TEXT_MAX + 128) /* a short reply around an id */

const char *const sim_kline_intervals[] = {"1s", "1m", "3m",  "5m", "15m", "30m", "1h", "2h", "4h",
                                           "6h", "8h", "12h", "1d", "3d",  "1w",  "1M", NULL};

long long sim_kline_interval_ms(const char *iv)
{
	static const long long ms[] = {1000LL,     60000LL,     180000LL,    300000LL,
	                               900000LL,   1800000LL,   3600000LL,   7200000LL,
	                               14400000LL, 21600000LL,  28800000LL,  43200000LL,
	                               86400000LL, 259200000LL, 604800000LL, 2592000000LL};
	for (size_t i = 0; sim_kline_intervals[i]; i++)
		if (strcmp(iv, sim_kline_intervals[i]) == 0)
			return ms[i];
	return 0;
}

static bool lower_symbol(const char *s, size_t n, char *out, size_t cap)
{
	if (n < 2 || n >= cap)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c >= 'a' && c <= 'z')
			out[i] = (char)(c - 'a' + 'A');
		else if (c >= '0' && c <= '9')
			out[i] = c;
		else
			return false;
	}
	out[n] = '\0';
	return true;
}

static sb_err parse_depth(const char *rest, struct sim_stream *out)
{
	/* rest follows "depth": "", "@100ms", "5", "10@100ms", ... */
	if (*rest == '5' || *rest == '1' || *rest == '2') {
		size_t n = strspn(rest, "0123456789");
		int64_t lv = 0;
		if (!sb_parse_i64(rest, n, 5, 20, &lv) || (lv != 5 && lv != 10 && lv != 20))
			return SB_ERR_INVALID;
		out->kind = SIM_STREAM_DEPTH_LEVELS;
		out->levels = (unsigned)lv;
		rest += n;
	} else {
		out->kind = SIM_STREAM_DEPTH;
	}
	if (*rest == '\0')
		return SB_OK;
	if (strcmp(rest, "@100ms") == 0) {
		out->fast = true;
		return SB_OK;
	}
	if (strcmp(rest, "@1000ms") == 0)
		return SB_OK;
	return SB_ERR_INVALID;
}

sb_err sim_stream_parse(const char *name, struct sim_stream *out)
{
	if (!name || strlen(name) >= SIM_STREAM_NAME_MAX)
		return SB_ERR_INVALID;
	const char *at = strchr(name, '@');
	if (!at)
		return SB_ERR_INVALID;
	memset(out, 0, sizeof *out);
	if (!lower_symbol(name, (size_t)(at - name), out->symbol, sizeof out->symbol))
		return SB_ERR_INVALID;
	const char *t = at + 1;
	if (strcmp(t, "trade") == 0)
		out->kind = SIM_STREAM_TRADE;
	else if (strcmp(t, "aggTrade") == 0)
		out->kind = SIM_STREAM_AGG_TRADE;
	else if (strcmp(t, "bookTicker") == 0)
		out->kind = SIM_STREAM_BOOK_TICKER;
	else if (strcmp(t, "miniTicker") == 0)
		out->kind = SIM_STREAM_MINI_TICKER;
	else if (strcmp(t, "ticker") == 0)
		out->kind = SIM_STREAM_TICKER;
	else if (strncmp(t, "kline_", 6) == 0) {
		if (!sim_kline_interval_ms(t + 6))
			return SB_ERR_INVALID;
		out->kind = SIM_STREAM_KLINE;
		snprintf(out->interval, sizeof out->interval, "%s", t + 6);
	} else if (strncmp(t, "depth", 5) == 0)
		return parse_depth(t + 5, out);
	else
		return SB_ERR_INVALID;
	return SB_OK;
}

bool sim_subs_has(const struct sim_subs *subs, const char *name)
{
	for (unsigned i = 0; i < subs->count; i++)
		if (strcmp(subs->names[i], name) == 0)
			return true;
	return false;
}

static sb_err subs_add(struct sim_subs *subs, const char *name, size_t len)
{
	char buf[SIM_STREAM_NAME_MAX];
	struct sim_stream st;
	if (len == 0 || len >= sizeof buf)
		return SB_ERR_INVALID;
	memcpy(buf, name, len);
	buf[len] = '\0';
	if (sim_stream_parse(buf, &st) != SB_OK)
		return SB_ERR_INVALID;
	if (sim_subs_has(subs, buf))
		return SB_OK;
	if (subs->count == SIM_STREAMS_PER_CONN)
		return SB_ERR_RANGE;
	memcpy(subs->names[subs->count++], buf, len + 1);
	return SB_OK;
}

static void subs_remove(struct sim_subs *subs, const char *name)
{
	for (unsigned i = 0; i < subs->count; i++) {
		if (strcmp(subs->names[i], name) != 0)
			continue;
		memmove(subs->names[i], subs->names[i + 1], (subs->count - i - 1) * sizeof subs->names[0]);
		subs->count--;
		return;
	}
}

static sb_err add_list(struct sim_subs *subs, const char *list)
{
	while (*list) {
		const char *slash = strchr(list, '/');
		size_t n = slash ? (size_t)(slash - list) : strlen(list);
		sb_err e = subs_add(subs, list, n);
		if (e)
			return e;
		list += n;
		if (*list == '/')
			list++;
	}
	return SB_OK;
}

sb_err sim_subs_from_path(struct sim_subs *subs, const char *path)
{
	memset(subs, 0, sizeof *subs);
	if (strcmp(path, "/ws") == 0 || strcmp(path, "/ws/") == 0)
		return SB_OK;
	if (strncmp(path, "/ws/", 4) == 0) {
		char buf[4096];
		snprintf(buf, sizeof buf, "%s", path + 4);
		char *q = strchr(buf, '?'); /* URL options such as timeUnit are accepted and ignored */
		if (q)
			*q = '\0';
		return add_list(subs, buf);
	}
	if (strncmp(path, "/stream", 7) == 0 && (path[7] == '\0' || path[7] == '?' || path[7] == '/')) {
		subs->combined = true;
		const char *q = strchr(path, '?');
		while (q) {
			q++;
			if (strncmp(q, "streams=", 8) == 0) {
				char buf[4096];
				const char *amp = strchr(q + 8, '&');
				size_t n = amp ? (size_t)(amp - q - 8) : strlen(q + 8);
				if (n >= sizeof buf)
					return SB_ERR_INVALID;
				memcpy(buf, q + 8, n);
				buf[n] = '\0';
				return add_list(subs, buf);
			}
			q = strchr(q, '&');
		}
		return SB_OK;
	}
	return SB_ERR_NOT_FOUND;
}

/* ---- control messages -------------------------------------------------------------------------- */

/* Writes the id as JSON into buf: integer, string or null. False when the id is not a valid type. */
static bool format_id(const cJSON *id, char *buf, size_t cap)
{
	if (!id || cJSON_IsNull(id)) {
		snprintf(buf, cap, "null");
		return true;
	}
	if (cJSON_IsNumber(id)) {
		/* Ids are integers; cJSON holds numbers as doubles, exact up to 2^53. */
		double v = id->valuedouble;
		if (!(v > -9007199254740992.0 && v < 9007199254740992.0))
			return false;
		long long iv = (long long)v;
		if ((double)iv < v || (double)iv > v)
			return false;
		snprintf(buf, cap, "%lld", iv);
		return true;
	}
	if (cJSON_IsString(id) && strlen(id->valuestring) <= ID_STRING_MAX) {
		char *s = cJSON_PrintUnformatted(id);
		int n = snprintf(buf, cap, "%s", s);
		cJSON_free(s);
		return n > 0 && (size_t)n < cap; /* a cut id would make the reply not JSON */
	}
	return false;
}

static char *error_reply(int code, const char *msg, const char *id)
{
	char buf[512];
	if (id)
		snprintf(buf, sizeof buf, "{\"code\":%d,\"msg\":\"%s\",\"id\":%s}", code, msg, id);
	else
		snprintf(buf, sizeof buf, "{\"code\":%d,\"msg\":\"%s\"}", code, msg);
	return sb_xstrdup(buf);
}

static char *invalid_json(const char *msg, size_t len)
{
	/* Binance reports the line and column where parsing stopped. */
	const char *at = cJSON_GetErrorPtr();
	size_t line = 1, col = 1;
	if (at && at >= msg && at <= msg + len)
		for (const char *p = msg; p < at; p++) {
			if (*p == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
	char text[128];
	snprintf(text, sizeof text, "Invalid JSON: expected value at line %zu column %zu", line, col);
	return error_reply(3, text, NULL);
}

static char *list_reply(const struct sim_subs *subs, const char *id)
{
	size_t cap = 64 + strlen(id) + (size_t)subs->count * (SIM_STREAM_NAME_MAX + 3);
	char *out = sb_xmalloc(cap);
	size_t n = (size_t)snprintf(out, cap, "{\"result\":[");
	for (unsigned i = 0; i < subs->count; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", i ? "," : "", subs->names[i]);
	snprintf(out + n, cap - n, "],\"id\":%s}", id);
	return out;
}

static char *handle_params(struct sim_subs *subs, const char *method, const cJSON *params, const char *id)
{
	bool sub = strcmp(method, "SUBSCRIBE") == 0;
	if (!cJSON_IsArray(params))
		return error_reply(2, "Invalid request: params must be an array of stream names", id);
	/* Validate every name before changing anything, so a bad request changes nothing. */
	const cJSON *p;
	cJSON_ArrayForEach(p, params)
	{
		struct sim_stream st;
		if (!cJSON_IsString(p) || sim_stream_parse(p->valuestring, &st) != SB_OK)
			return error_reply(2, "Invalid request: invalid stream name", id);
	}
	cJSON_ArrayForEach(p, params)
	{
		if (!sub) {
			subs_remove(subs, p->valuestring);
			continue;
		}
		if (subs_add(subs, p->valuestring, strlen(p->valuestring)) == SB_ERR_RANGE)
			return error_reply(2, "Invalid request: too many streams on this connection", id);
	}
	char buf[REPLY_MAX];
	snprintf(buf, sizeof buf, "{\"result\":null,\"id\":%s}", id);
	return sb_xstrdup(buf);
}

static char *handle_property(struct sim_subs *subs, bool set, const cJSON *params, const char *id)
{
	char buf[REPLY_MAX];
	const cJSON *name = cJSON_IsArray(params) ? cJSON_GetArrayItem(params, 0) : NULL;
	if (!cJSON_IsString(name) || strcmp(name->valuestring, "combined") != 0)
		return error_reply(0, "Unknown property", id);
	if (!set) {
		snprintf(buf, sizeof buf, "{\"result\":%s,\"id\":%s}", subs->combined ? "true" : "false", id);
		return sb_xstrdup(buf);
	}
	const cJSON *value = cJSON_GetArrayItem(params, 1);
	if (!cJSON_IsBool(value))
		return error_reply(1, "Invalid value type: expected Boolean", id);
	subs->combined = cJSON_IsTrue(value);
	snprintf(buf, sizeof buf, "{\"result\":null,\"id\":%s}", id);
	return sb_xstrdup(buf);
}

char *sim_subs_control(struct sim_subs *subs, const char *msg, size_t len)
{
	cJSON *root = cJSON_ParseWithLength(msg, len);
	if (!root)
		return invalid_json(msg, len);
	char id[ID_TEXT_MAX];
	char *reply;
	const cJSON *jid = cJSON_GetObjectItemCaseSensitive(root, "id");
	const cJSON *method = cJSON_GetObjectItemCaseSensitive(root, "method");
	const cJSON *params = cJSON_GetObjectItemCaseSensitive(root, "params");
	if (!cJSON_IsObject(root)) {
		reply = error_reply(2, "Invalid request: expected an object", NULL);
	} else if (!format_id(jid, id, sizeof id)) {
		reply = error_reply(2, "Invalid request: request ID must be an unsigned integer or a string",
		                    NULL);
	} else if (!cJSON_IsString(method)) {
		reply = error_reply(2, "Invalid request: missing field `method`", id);
	} else if (strcmp(method->valuestring, "SUBSCRIBE") == 0 ||
	           strcmp(method->valuestring, "UNSUBSCRIBE") == 0) {
		reply = handle_params(subs, method->valuestring, params, id);
	} else if (strcmp(method->valuestring, "LIST_SUBSCRIPTIONS") == 0) {
		reply = list_reply(subs, id);
	} else if (strcmp(method->valuestring, "SET_PROPERTY") == 0) {
		reply = handle_property(subs, true, params, id);
	} else if (strcmp(method->valuestring, "GET_PROPERTY") == 0) {
		reply = handle_property(subs, false, params, id);
	} else {
		reply = error_reply(2, "Invalid request: unknown method", id);
	}
	cJSON_Delete(root);
	return reply;
}

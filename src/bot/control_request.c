/*
 * control_request.c - turns the pieces of one control API request (method, path, query string, the
 * Authorization header, the body) into a struct control_request, refusing with the right HTTP status
 * whatever is too long or malformed. It never touches a socket: control.c hands it what lws parsed, and
 * tests/fuzz/fuzz_control_request.c hands it arbitrary bytes. The query string goes through the tree's one
 * query parser (spotbot/query.h), its ids through the one integer parser (common/parse.h).
 */
#include "bot/control_request.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/parse.h"
#include "spotbot/query.h"

bool control_parse_id(const char *s, size_t len, int64_t *out)
{
	return s && len <= 18 && sb_parse_i64(s, len, 1, INT64_MAX, out);
}

static bool slice_eq(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return s && len == n && memcmp(s, lit, n) == 0;
}

/* A path is printable ASCII starting with '/': it is logged and compared, never decoded further. */
static int parse_path(const struct control_raw *raw, struct control_request *out, char *why, size_t cap)
{
	if (raw->path_len > CONTROL_PATH_MAX) {
		snprintf(why, cap, "the request path is over %d bytes", CONTROL_PATH_MAX);
		return 414;
	}
	if (!raw->path || raw->path_len == 0 || raw->path[0] != '/') {
		snprintf(why, cap, "the request path must start with '/'");
		return 400;
	}
	for (size_t i = 0; i < raw->path_len; i++) {
		unsigned char ch = (unsigned char)raw->path[i];
		if (ch <= ' ' || ch >= 0x7f) {
			snprintf(why, cap, "the request path has a control, space or non-ASCII byte");
			return 400;
		}
	}
	memcpy(out->path, raw->path, raw->path_len);
	out->path[raw->path_len] = '\0';
	return 0;
}

/* Copies a query value into dst (cap bytes) or names the parameter that is too long or has a NUL. */
static int copy_value(const struct sb_query *q, const char *key, char *dst, size_t cap, bool *found,
                      char *why, size_t wcap)
{
	const char *v = NULL;
	size_t n = 0;
	*found = sb_query_get(q, key, &v, &n) == SB_OK;
	if (!*found)
		return 0;
	if (n >= cap || memchr(v, '\0', n)) {
		snprintf(why, wcap, "the %s parameter is over %zu bytes or holds a NUL", key, cap - 1);
		return 400;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

static int parse_query(const struct control_raw *raw, struct control_request *out, char *why, size_t cap)
{
	if (raw->query_len > CONTROL_QUERY_MAX) {
		snprintf(why, cap, "the query string is over %d bytes", CONTROL_QUERY_MAX);
		return 414;
	}
	struct sb_query q;
	sb_query_init(&q);
	if (raw->query_len && sb_query_parse(&q, raw->query, raw->query_len, 0) != SB_OK) {
		snprintf(why, cap, "the query string is malformed: %s", q.errmsg);
		return 400;
	}
	bool found = false;
	char after[24] = "", force[8] = "", deadline[24] = "";
	int st = copy_value(&q, "symbol", out->symbol, sizeof out->symbol, &found, why, cap);
	/* Symbols are case-insensitive: "algousdt" is ALGOUSDT. */
	for (char *s = out->symbol; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
	if (!st)
		st = copy_value(&q, "price", out->price, sizeof out->price, &found, why, cap);
	if (!st && found && !out->price[0]) /* present but empty: control_manual refuses it by name */
		snprintf(out->price, sizeof out->price, "-");
	if (!st)
		st = copy_value(&q, "after", after, sizeof after, &found, why, cap);
	if (!st && found && !control_parse_id(after, strlen(after), &out->after)) {
		snprintf(why, cap, "after must be a positive event id");
		st = 400;
	}
	if (!st)
		st = copy_value(&q, "deadline", deadline, sizeof deadline, &found, why, cap);
	if (!st && found && !sb_parse_i64_str(deadline, 1, INT64_MAX, &out->deadline_ms)) {
		snprintf(why, cap, "deadline must be a time in milliseconds since the epoch");
		st = 400;
	}
	if (!st)
		st = copy_value(&q, "force", force, sizeof force, &found, why, cap);
	out->force = !st && (strcmp(force, "1") == 0 || strcmp(force, "true") == 0);
	return st;
}

/* "Bearer TOKEN" (the scheme case-insensitive); anything else counts as no token. */
static int parse_auth(const struct control_raw *raw, struct control_request *out, char *why, size_t cap)
{
	if (!raw->auth)
		return 0;
	if (raw->auth_len >= CONTROL_HEADER_MAX) {
		snprintf(why, cap, "the Authorization header is over %d bytes", CONTROL_HEADER_MAX - 1);
		return 431;
	}
	if (raw->auth_len < 7 || strncasecmp(raw->auth, "Bearer ", 7) != 0 ||
	    memchr(raw->auth, '\0', raw->auth_len))
		return 0;
	memcpy(out->token, raw->auth + 7, raw->auth_len - 7);
	out->token[raw->auth_len - 7] = '\0';
	out->has_token = true;
	return 0;
}

int control_request_parse(const struct control_raw *raw, struct control_request *out, char *why, size_t cap)
{
	memset(out, 0, sizeof *out);
	if (!raw) {
		snprintf(why, cap, "no request");
		return 400;
	}
	out->method = slice_eq(raw->method, raw->method_len, "GET")    ? CONTROL_GET
	              : slice_eq(raw->method, raw->method_len, "POST") ? CONTROL_POST
	                                                               : CONTROL_OTHER;
	int st = parse_path(raw, out, why, cap);
	if (!st)
		st = parse_auth(raw, out, why, cap);
	if (!st)
		st = parse_query(raw, out, why, cap);
	if (!st && (raw->body_declared > CONTROL_BODY_MAX || raw->body_len > CONTROL_BODY_MAX)) {
		snprintf(why, cap, "the request body is over %d bytes", CONTROL_BODY_MAX);
		st = 413;
	}
	if (st)
		return st;
	out->body = raw->body;
	out->body_len = raw->body_len;
	return 0;
}

bool control_request_authorised(const struct control_request *req, const char *token)
{
	if (!token || !token[0])
		return true;
	if (!req->has_token)
		return false;
	/* Constant time, so the token cannot be guessed byte by byte from response times. */
	const char *a = req->token;
	size_t la = strlen(a), lb = strlen(token);
	unsigned char d = la != lb;
	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ token[i]);
	return d == 0;
}

bool control_request_is_monitoring(const char *path)
{
	return strcmp(path, "/metrics") == 0 || strcmp(path, "/health") == 0 ||
	       strcmp(path, "/health/ready") == 0;
}

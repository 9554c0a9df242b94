/*
 * config_value.c - the value types of configuration options: text to typed value with bounds, and typed
 * value back to the text a user would write. Reasons for rejection never quote the value, so the loader
 * can decide whether quoting it is safe (it is not for secrets).
 */
#include "common/config_int.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/parse.h"
#include "spotbot/alloc.h"

#define KIB INT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

#define MS_SECOND INT64_C(1000)
#define MS_MINUTE (MS_SECOND * 60)
#define MS_HOUR   (MS_MINUTE * 60)
#define MS_DAY    (MS_HOUR * 24)

static const char *const bool_true[] = {"1", "true", "yes", "on", NULL};
static const char *const bool_false[] = {"0", "false", "no", "off", NULL};

static void why_set(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void why_set(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
}

/* Parses the digits that start v[0..n) as a number in [0, INT64_MAX]; *pos receives their count. False
 * when there are none or they overflow. */
static bool parse_digits(const char *v, size_t n, size_t *pos, int64_t *out)
{
	size_t i = 0;
	while (i < n && isdigit((unsigned char)v[i]))
		i++;
	*pos = i;
	return sb_parse_i64(v, i, 0, INT64_MAX, out);
}

static bool in_bounds(const struct sb_option *opt, int64_t v)
{
	return opt->min > opt->max || (v >= opt->min && v <= opt->max);
}

static sb_err out_of_bounds(const struct sb_option *opt, char *why, size_t cap)
{
	char lo[32], hi[32];
	sb__config_format_number(opt, opt->min, lo, sizeof lo);
	sb__config_format_number(opt, opt->max, hi, sizeof hi);
	why_set(why, cap, "out of range %s..%s", lo, hi);
	return SB_ERR_RANGE;
}

/* A whole number with an optional sign: '+' is allowed here, unlike in sb_parse_i64. */
static sb_err parse_int(const char *v, size_t n, int64_t *out, char *why, size_t cap)
{
	size_t plus = n > 0 && v[0] == '+';
	if (!sb_parse_i64(v + plus, n - plus, plus ? 0 : -INT64_MAX, INT64_MAX, out)) {
		why_set(why, cap, "not an integer");
		return SB_ERR_PARSE;
	}
	return SB_OK;
}

/* Multiplies x by mult, failing instead of overflowing. */
static bool scale(int64_t x, int64_t mult, int64_t *out)
{
	if (x > INT64_MAX / mult)
		return false;
	*out = x * mult;
	return true;
}

static sb_err parse_duration(const char *v, size_t n, int64_t *out, char *why, size_t cap)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = {{"ms", 1},      {"s", MS_SECOND}, {"m", MS_MINUTE},
	             {"h", MS_HOUR}, {"d", MS_DAY},    {"", MS_SECOND}};
	size_t pos;
	int64_t x;
	if (parse_digits(v, n, &pos, &x)) {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t ul = strlen(units[i].unit);
			if (n - pos == ul && memcmp(v + pos, units[i].unit, ul) == 0) {
				if (scale(x, units[i].ms, out))
					return SB_OK;
				why_set(why, cap, "duration too large");
				return SB_ERR_RANGE;
			}
		}
	}
	why_set(why, cap, "not a duration (use e.g. 500ms, 60s, 5m, 2h, 1d; a bare number is seconds)");
	return SB_ERR_PARSE;
}

static sb_err parse_size(const char *v, size_t n, int64_t *out, char *why, size_t cap)
{
	size_t pos;
	int64_t x, mult = 1;
	if (parse_digits(v, n, &pos, &x) && n - pos <= 1) {
		if (pos < n) {
			switch (v[pos]) {
			case 'k':
			case 'K':
				mult = KIB;
				break;
			case 'm':
			case 'M':
				mult = MIB;
				break;
			case 'g':
			case 'G':
				mult = GIB;
				break;
			default:
				mult = 0;
			}
		}
		if (mult != 0) {
			if (scale(x, mult, out))
				return SB_OK;
			why_set(why, cap, "size too large");
			return SB_ERR_RANGE;
		}
	}
	why_set(why, cap, "not a size (use e.g. 65536, 64k, 10M, 1G)");
	return SB_ERR_PARSE;
}

static bool matches(const char *const *names, const char *v, size_t n, int *index)
{
	for (int i = 0; names[i]; i++) {
		if (strlen(names[i]) == n && strncasecmp(names[i], v, n) == 0) {
			*index = i;
			return true;
		}
	}
	return false;
}

static sb_err parse_enum(const struct sb_option *opt, const char *v, size_t n, int *out, char *why,
                         size_t cap)
{
	size_t used = 0;
	if (matches(opt->names, v, n, out))
		return SB_OK;
	used += (size_t)snprintf(why, cap, "must be one of");
	for (size_t i = 0; opt->names[i] && used < cap; i++)
		used += (size_t)snprintf(why + used, cap - used, "%s %s", i ? "," : "", opt->names[i]);
	return SB_ERR_PARSE;
}

/* True for bytes that may appear in a URL or an address: printable ASCII other than space. */
static bool url_char(char c)
{
	return c > ' ' && c < 0x7f;
}

/* Checks that p[0..n) is a port 1..65535. */
static bool valid_port(const char *p, size_t n)
{
	int64_t port;
	return n <= 5 && sb_parse_i64(p, n, 1, 65535, &port);
}

/* Splits "host[:port]" or "[v6][:port]" (authority without user info); false when malformed. */
static bool valid_host_port(const char *a, size_t n, bool port_required)
{
	size_t hostlen;
	const char *rest;
	if (n > 0 && a[0] == '[') {
		const char *close = memchr(a, ']', n);
		if (!close || close == a + 1)
			return false;
		hostlen = (size_t)(close - a) + 1;
	} else {
		const char *colon = memchr(a, ':', n);
		hostlen = colon ? (size_t)(colon - a) : n;
		if (hostlen == 0)
			return false;
	}
	rest = a + hostlen;
	if (rest == a + n)
		return !port_required;
	return *rest == ':' && valid_port(rest + 1, n - hostlen - 1);
}

static const char *const url_schemes[] = {"http://", "https://", "ws://", "wss://", NULL};

/* Length of the scheme prefix of v, or 0 when it has none of ours. */
static size_t url_scheme_len(const char *v, size_t n)
{
	for (size_t i = 0; url_schemes[i]; i++) {
		size_t l = strlen(url_schemes[i]);
		if (n >= l && strncasecmp(v, url_schemes[i], l) == 0)
			return l;
	}
	return 0;
}

/* The authority part of a URL (after the scheme, before the path), user info removed. */
static void url_authority(const char *v, size_t n, size_t *start, size_t *len)
{
	size_t s = url_scheme_len(v, n), e = s;
	while (e < n && v[e] != '/' && v[e] != '?' && v[e] != '#')
		e++;
	for (size_t i = s; i < e; i++)
		if (v[i] == '@')
			s = i + 1;
	*start = s;
	*len = e - s;
}

/* True when the URL's scheme is ws:// or wss:// (the scheme is known to be one of url_schemes). */
static bool url_is_ws(const char *v, size_t n)
{
	return n >= 2 && strncasecmp(v, "ws", 2) == 0;
}

/* flags: SB_OPT_HTTP_URL or SB_OPT_WS_URL narrow the schemes to what the option's client speaks. */
static sb_err parse_url(const char *v, size_t n, unsigned flags, char *why, size_t cap)
{
	size_t start, len;
	if (url_scheme_len(v, n) == 0) {
		why_set(why, cap, "must start with http://, https://, ws:// or wss://");
		return SB_ERR_PARSE;
	}
	if ((flags & SB_OPT_HTTP_URL) && url_is_ws(v, n)) {
		why_set(why, cap, "must start with http:// or https://");
		return SB_ERR_PARSE;
	}
	if ((flags & SB_OPT_WS_URL) && !url_is_ws(v, n)) {
		why_set(why, cap, "must start with ws:// or wss://");
		return SB_ERR_PARSE;
	}
	for (size_t i = 0; i < n; i++) {
		if (!url_char(v[i])) {
			why_set(why, cap, "contains a space or control character");
			return SB_ERR_PARSE;
		}
	}
	url_authority(v, n, &start, &len);
	if (!valid_host_port(v + start, len, false)) {
		why_set(why, cap, "has no valid host[:port] after the scheme");
		return SB_ERR_PARSE;
	}
	return SB_OK;
}

static sb_err parse_listen(const char *v, size_t n, char *why, size_t cap)
{
	for (size_t i = 0; i < n; i++) {
		if (!url_char(v[i])) {
			why_set(why, cap, "contains a space or control character");
			return SB_ERR_PARSE;
		}
	}
	if (n >= 5 && memcmp(v, "unix:", 5) == 0) {
		/* 108 bytes of sun_path, including the terminating NUL. */
		if (n < 7 || v[5] != '/' || n - 5 > 107) {
			why_set(why, cap, "unix: needs an absolute path of at most 107 bytes");
			return SB_ERR_PARSE;
		}
		return SB_OK;
	}
	if (!valid_host_port(v, n, true)) {
		why_set(why, cap,
		        "not a listen address (use host:port with port 1..65535, [v6]:port or unix:/path)");
		return SB_ERR_PARSE;
	}
	return SB_OK;
}

sb_err sb__config_parse(const struct sb_option *opt, const char *v, size_t n, union sb__config_value *out,
                        char *why, size_t cap)
{
	sb_err err = SB_OK;
	int index;
	switch (opt->type) {
	case SB_OPT_STRING:
		break;
	case SB_OPT_URL:
		err = n ? parse_url(v, n, opt->flags, why, cap) : SB_OK;
		break;
	case SB_OPT_LISTEN:
		err = parse_listen(v, n, why, cap);
		break;
	case SB_OPT_INT:
		err = parse_int(v, n, &out->i, why, cap);
		break;
	case SB_OPT_DURATION:
		err = parse_duration(v, n, &out->i, why, cap);
		break;
	case SB_OPT_SIZE:
		err = parse_size(v, n, &out->i, why, cap);
		break;
	case SB_OPT_DECIMAL:
		err = sb_dec_parse(v, n, &out->d);
		if (err != SB_OK)
			why_set(why, cap, "%s",
			        err == SB_ERR_PRECISION  ? "more than 8 decimal places"
			        : err == SB_ERR_OVERFLOW ? "decimal too large"
			                                 : "not a decimal number (use e.g. 0.5 or 12)");
		break;
	case SB_OPT_BOOL:
		if (matches(bool_true, v, n, &index)) {
			out->b = true;
		} else if (matches(bool_false, v, n, &index)) {
			out->b = false;
		} else {
			why_set(why, cap, "not a boolean (use 1/0, true/false, yes/no or on/off)");
			err = SB_ERR_PARSE;
		}
		break;
	case SB_OPT_ENUM:
		err = parse_enum(opt, v, n, &out->e, why, cap);
		break;
	}
	if (err != SB_OK)
		return err;
	if ((opt->type == SB_OPT_INT || opt->type == SB_OPT_DURATION || opt->type == SB_OPT_SIZE ||
	     opt->type == SB_OPT_DECIMAL) &&
	    !in_bounds(opt, out->i))
		return out_of_bounds(opt, why, cap);
	if (sb__config_is_string(opt))
		out->s = sb_xstrndup(v, n);
	return SB_OK;
}

void sb__config_store(struct sb_config *cfg, const struct sb_option *opt, union sb__config_value *val)
{
	char *field = (char *)cfg + opt->offset;
	switch (opt->type) {
	case SB_OPT_STRING:
	case SB_OPT_URL:
	case SB_OPT_LISTEN: {
		char **s = (char **)(void *)field;
		free(*s);
		*s = val->s;
		val->s = NULL;
		break;
	}
	case SB_OPT_INT:
	case SB_OPT_DURATION:
	case SB_OPT_SIZE:
	case SB_OPT_DECIMAL:
		memcpy(field, &val->i, sizeof val->i);
		break;
	case SB_OPT_BOOL:
		memcpy(field, &val->b, sizeof val->b);
		break;
	case SB_OPT_ENUM:
		/* The table's FIELD check guarantees enum fields are int-sized. */
		memcpy(field, &val->e, sizeof val->e);
		break;
	}
}

static void format_duration(int64_t ms, char *buf, size_t cap)
{
	static const struct {
		int64_t ms;
		const char *unit;
	} units[] = {{MS_DAY, "d"}, {MS_HOUR, "h"}, {MS_MINUTE, "m"}, {MS_SECOND, "s"}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(buf, cap, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
			return;
		}
	}
	snprintf(buf, cap, ms == 0 ? "0s" : "%lldms", (long long)ms);
}

static void format_size(int64_t bytes, char *buf, size_t cap)
{
	static const struct {
		int64_t mult;
		const char *unit;
	} units[] = {{GIB, "G"}, {MIB, "M"}, {KIB, "k"}};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (bytes != 0 && bytes % units[i].mult == 0) {
			snprintf(buf, cap, "%lld%s", (long long)(bytes / units[i].mult), units[i].unit);
			return;
		}
	}
	snprintf(buf, cap, "%lld", (long long)bytes);
}

void sb__config_format_number(const struct sb_option *opt, int64_t v, char *buf, size_t cap)
{
	char dec[SB_DEC_STRLEN];
	switch (opt->type) {
	case SB_OPT_DURATION:
		format_duration(v, buf, cap);
		break;
	case SB_OPT_SIZE:
		format_size(v, buf, cap);
		break;
	case SB_OPT_DECIMAL:
		sb_dec_format_trim(v, dec, sizeof dec);
		snprintf(buf, cap, "%s", dec);
		break;
	default:
		snprintf(buf, cap, "%lld", (long long)v);
		break;
	}
}

void sb__config_format(const struct sb_config *cfg, const struct sb_option *opt, char *buf, size_t cap)
{
	const char *field = (const char *)cfg + opt->offset;
	int64_t i;
	bool b;
	int e;
	switch (opt->type) {
	case SB_OPT_STRING:
	case SB_OPT_URL:
	case SB_OPT_LISTEN: {
		const char *s;
		memcpy(&s, field, sizeof s);
		snprintf(buf, cap, "%s", s ? s : "");
		break;
	}
	case SB_OPT_INT:
	case SB_OPT_DURATION:
	case SB_OPT_SIZE:
	case SB_OPT_DECIMAL:
		memcpy(&i, field, sizeof i);
		sb__config_format_number(opt, i, buf, cap);
		break;
	case SB_OPT_BOOL:
		memcpy(&b, field, sizeof b);
		snprintf(buf, cap, "%s", b ? "true" : "false");
		break;
	case SB_OPT_ENUM:
		memcpy(&e, field, sizeof e);
		snprintf(buf, cap, "%s", opt->names[e]);
		break;
	}
}

void sb__config_url_host(const char *url, const char **host, size_t *len)
{
	size_t n = strlen(url), start, alen, h;
	url_authority(url, n, &start, &alen);
	*host = url + start;
	if (alen > 0 && url[start] == '[') {
		const char *close = memchr(url + start, ']', alen);
		h = close ? (size_t)(close - (url + start)) + 1 : alen;
	} else {
		const char *colon = memchr(url + start, ':', alen);
		h = colon ? (size_t)(colon - (url + start)) : alen;
	}
	*len = h;
}

/*
 * The domains of Binance's production exchanges, each with every subdomain: binance.com (api, api1-4,
 * api-gcp, stream, ws-api, demo-*), binance.us, and binance.vision, whose data-api and data-stream hosts
 * serve the live market. Only the spot testnet's subtree of binance.vision is not production.
 */
static const char *const binance_domains[] = {"binance.com", "binance.us", "binance.vision", NULL};
static const char binance_testnet[] = "testnet.binance.vision";

/* True when host[0..len) (already lower case) is domain or one of its subdomains. */
static bool host_under(const char *host, size_t len, const char *domain)
{
	size_t dl = strlen(domain);
	if (len < dl || memcmp(host + len - dl, domain, dl) != 0)
		return false;
	return len == dl || host[len - dl - 1] == '.';
}

/*
 * Lower-cases host[0..len) into out (cap bytes) without its trailing dots; returns the length, or cap when it
 * does not fit (no DNS name is that long).
 */
static size_t host_normalize(const char *host, size_t len, char *out, size_t cap)
{
	while (len > 0 && host[len - 1] == '.')
		len--;
	if (len >= cap)
		return cap;
	for (size_t i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)host[i]);
	return len;
}

bool sb__config_is_binance_host(const char *host, size_t len)
{
	char h[256] = "";
	size_t n = host_normalize(host, len, h, sizeof h);
	if (n == sizeof h || host_under(h, n, binance_testnet))
		return false;
	/* A %XX escape could spell any of them once a client decodes it: none of ours needs one. */
	if (memchr(h, '%', n) && h[0] != '[')
		return true;
	for (size_t i = 0; binance_domains[i]; i++)
		if (host_under(h, n, binance_domains[i]))
			return true;
	return false;
}

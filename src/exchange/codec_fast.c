/*
 * codec_fast.c - the hot stream messages without a cJSON tree: a bookTicker (bare or in the combined-stream
 * envelope) and an executionReport (bare or in the WebSocket API's event envelope). jsmn tokenizes the frame
 * into a fixed array on the stack, and the fields are read straight from the frame's bytes: no allocation,
 * no copy of what is not kept.
 *
 * It is a shortcut in front of codec.c, not a second codec (codec_fast.h): a frame is taken only when it
 * is read exactly as the tree reads it, and declined otherwise. jsmn checks little of JSON's grammar (no
 * separators, a primitive is any run of printable bytes), so the whole frame is checked here against the
 * strict grammar, which cJSON accepts a superset of; a frame with a backslash anywhere is declined, because
 * the tree unescapes and Binance escapes nothing in these messages; a member looked up is the first of its
 * name, as cJSON's lookup finds it; integers are read by sb_parse_i64 only as plain digits below 2^53,
 * where cJSON's double is exact; decimals by the same sb_dec parser on the same bytes. Any field missing,
 * of another type or out of range declines, and the tree then names it.
 */
#include <stdint.h>
#include <string.h>

#include "common/parse.h"
#include "exchange/codec_fast.h"
#include "exchange/codec_int.h"
#include "spotbot/orders.h"
#include "spotbot/rules.h"

/* jsmn is a header-only library: its functions are compiled here, static, and only here. Its code
 * predates the warnings this tree builds with. Parent links make closing a container and the comma after a
 * value O(1) instead of a scan back over the tokens so far. */
#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#include <jsmn.h>
#pragma GCC diagnostic pop

/* A tokenized frame. */
struct doc {
	const char *s;                  /* the frame (not NUL-terminated) */
	int len;                        /* its bytes */
	int n;                          /* tokens used */
	jsmntok_t t[SB_BN_FAST_TOKENS]; /* jsmn's tokens; t[0] is the root object */
};

/* An object of the frame with its one-character keys indexed (Binance's events are made of them). */
struct obj {
	int tok;          /* the object's token */
	int by_char[128]; /* value token of the first member with that one-character key; 0: none */
};

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Where a token's text begins and ends in the frame, a string's quotes included. */
static int tbeg(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->start - 1 : t->start;
}

static int tend(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->end + 1 : t->end;
}

/* True when s[from, to) is whitespace around exactly one sep, or whitespace only when sep is 0. */
static bool gap(const char *s, int from, int to, char sep)
{
	bool seen = sep == 0;
	for (int i = from; i < to; i++) {
		if (is_ws(s[i]))
			continue;
		if (seen || s[i] != sep)
			return false;
		seen = true;
	}
	return seen;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool number_ok(const char *p, size_t n)
{
	size_t i = 0;
	if (i < n && p[i] == '-')
		i++;
	if (i < n && p[i] == '0')
		i++;
	else if (i < n && is_digit(p[i]))
		while (i < n && is_digit(p[i]))
			i++;
	else
		return false;
	if (i < n && p[i] == '.') {
		size_t d = ++i;
		while (i < n && is_digit(p[i]))
			i++;
		if (i == d)
			return false;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < n && (p[i] == '+' || p[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && is_digit(p[i]))
			i++;
		if (i == d)
			return false;
	}
	return i == n;
}

static bool text_is(const char *p, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(p, word, n) == 0;
}

static bool primitive_ok(const char *p, size_t n)
{
	return text_is(p, n, "true") || text_is(p, n, "false") || text_is(p, n, "null") || number_ok(p, n);
}

/* Checks the value at token *i and everything under it against the grammar; moves *i past them. */
static bool value_ok(const struct doc *d, int *i)
{
	if (*i >= d->n)
		return false;
	const jsmntok_t *t = &d->t[(*i)++];
	if (t->type == JSMN_STRING)
		return t->size == 0;
	if (t->type == JSMN_PRIMITIVE)
		return t->size == 0 && primitive_ok(d->s + t->start, (size_t)(t->end - t->start));
	if (t->type != JSMN_OBJECT && t->type != JSMN_ARRAY)
		return false;
	bool object = t->type == JSMN_OBJECT;
	int pos = t->start + 1;
	for (int k = 0; k < t->size; k++) {
		if (*i >= d->n || !gap(d->s, pos, tbeg(&d->t[*i]), k > 0 ? ',' : 0))
			return false;
		if (object) {
			const jsmntok_t *key = &d->t[(*i)++];
			if (key->type != JSMN_STRING || key->size != 1 || *i >= d->n ||
			    !gap(d->s, tend(key), tbeg(&d->t[*i]), ':'))
				return false;
		}
		const jsmntok_t *v = &d->t[*i];
		if (!value_ok(d, i))
			return false;
		pos = tend(v);
	}
	return gap(d->s, pos, t->end - 1, 0) && d->s[t->end - 1] == (object ? '}' : ']');
}

/* Tokenizes s and checks it is one JSON object in the strict grammar, without escapes. */
/* Tokenizes s (no escapes) into d; the root must be an object. Its grammar is checked by valid(), once the
 * frame is known to be one to read: a declined frame costs no more than the tokenizer. */
static bool tokenize(struct doc *d, const char *s, size_t len)
{
	if (!s || len == 0 || len > SB_BN_MSG_MAX || memchr(s, '\\', len))
		return false;
	jsmn_parser p;
	jsmn_init(&p);
	d->s = s;
	d->len = (int)len;
	d->n = jsmn_parse(&p, s, len, d->t, SB_BN_FAST_TOKENS);
	return d->n > 0 && d->t[0].type == JSMN_OBJECT;
}

/* The tokenized frame is one JSON object in the strict grammar with nothing but whitespace around it. */
static bool valid(const struct doc *d)
{
	if (!gap(d->s, 0, d->t[0].start, 0) || !gap(d->s, d->t[0].end, d->len, 0))
		return false;
	int i = 0;
	return value_ok(d, &i) && i == d->n;
}

/* The token after the value at token v and everything under it. */
static int skip(const struct doc *d, int v)
{
	int end = tend(&d->t[v]);
	int i = v + 1;
	while (i < d->n && tbeg(&d->t[i]) < end)
		i++;
	return i;
}

/* The value token of the first member named key of the object at token o; 0 when there is none. Safe
 * before valid(): it never reads past the tokens jsmn filled. */
static int member(const struct doc *d, int o, const char *key)
{
	int k = o + 1;
	for (int m = 0; m < d->t[o].size && k + 1 < d->n; m++) {
		const jsmntok_t *t = &d->t[k];
		if (text_is(d->s + t->start, (size_t)(t->end - t->start), key))
			return k + 1;
		k = skip(d, k + 1);
	}
	return 0;
}

static void index_obj(const struct doc *d, int o, struct obj *x)
{
	memset(x->by_char, 0, sizeof x->by_char);
	x->tok = o;
	int k = o + 1;
	for (int m = 0; m < d->t[o].size && k + 1 < d->n; m++) {
		const jsmntok_t *t = &d->t[k];
		unsigned char c = (unsigned char)d->s[t->start];
		if (t->end - t->start == 1 && c < 128 && x->by_char[c] == 0)
			x->by_char[c] = k + 1;
		k = skip(d, k + 1);
	}
}

/* ---- fields: each false when the tree would not read the same value ---------------------------------- */

static const char *text(const struct doc *d, int v, size_t *n)
{
	*n = (size_t)(d->t[v].end - d->t[v].start);
	return d->s + d->t[v].start;
}

static bool f_str(const struct doc *d, int v, bool allow_empty, char *buf, size_t cap)
{
	if (v == 0 || d->t[v].type != JSMN_STRING)
		return false;
	size_t n;
	const char *p = text(d, v, &n);
	if ((n == 0 && !allow_empty) || n >= cap)
		return false;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return true;
}

static bool f_dec(const struct doc *d, int v, sb_dec *out)
{
	if (v == 0 || d->t[v].type != JSMN_STRING)
		return false;
	size_t n;
	const char *p = text(d, v, &n);
	return sb_dec_parse_nonneg(p, n, out) == SB_OK;
}

/* An integer in [lo, hi] written as plain digits (the tree also reads 1.0 or 1e3; this declines them). */
static bool f_int(const struct doc *d, int v, int64_t lo, int64_t hi, int64_t *out)
{
	if (v == 0 || d->t[v].type != JSMN_PRIMITIVE)
		return false;
	size_t n;
	const char *p = text(d, v, &n);
	return sb_parse_i64(p, n, lo, hi, out);
}

static bool f_id(const struct doc *d, int v, int64_t *out)
{
	return f_int(d, v, -SB_BN__INT_MAX, SB_BN__INT_MAX, out);
}

static bool f_time(const struct doc *d, int v, int64_t *out)
{
	return f_int(d, v, 0, SB_BN__INT_MAX, out);
}

static bool f_bool(const struct doc *d, int v, bool *out)
{
	if (v == 0 || d->t[v].type != JSMN_PRIMITIVE)
		return false;
	size_t n;
	const char *p = text(d, v, &n);
	*out = text_is(p, n, "true");
	return *out || text_is(p, n, "false");
}

/* A word of a string field, for the enum parsers. */
static bool f_word(const struct doc *d, int v, const char **p, size_t *n)
{
	if (v == 0 || d->t[v].type != JSMN_STRING)
		return false;
	*p = text(d, v, n);
	return true;
}

/* ---- messages -------------------------------------------------------------------------------------- */

static bool book_ticker(const struct doc *d, const struct obj *x, struct sb_bn_book_ticker *t)
{
	return f_id(d, x->by_char['u'], &t->update_id) &&
	       f_str(d, x->by_char['s'], false, t->symbol, sizeof t->symbol) &&
	       f_dec(d, x->by_char['b'], &t->bid_price) && f_dec(d, x->by_char['B'], &t->bid_qty) &&
	       f_dec(d, x->by_char['a'], &t->ask_price) && f_dec(d, x->by_char['A'], &t->ask_qty);
}

bool sb_bn__market_fast(const char *frame, size_t len, struct sb_bn_market_msg *m)
{
	struct doc d;
	if (!m || !tokenize(&d, frame, len))
		return false;
	memset(m, 0, sizeof *m);
	int o = 0;
	int data = member(&d, 0, "data");
	int stream = member(&d, 0, "stream");
	if (data && stream) {
		if (!f_str(&d, stream, false, m->stream, sizeof m->stream) || d.t[data].type != JSMN_OBJECT)
			return false;
		o = data;
	}
	struct obj x;
	index_obj(&d, o, &x);
	/* Events, control replies and errors are the tree's; a bookTicker has "u" and "s". */
	if (x.by_char['e'] || !x.by_char['u'] || !x.by_char['s'])
		return false;
	if (o == 0 && (member(&d, 0, "result") || member(&d, 0, "code") || member(&d, 0, "error")))
		return false;
	if (!valid(&d))
		return false;
	m->kind = SB_BN_MKT_BOOK_TICKER;
	return book_ticker(&d, &x, &m->u.book_ticker);
}

/* Enum fields: a string spelled as the vocabulary's parser (the tree's tables) knows it. */
#define WORD_FIELD(fn, type, parse)                                                                          \
	static bool fn(const struct doc *d, int v, type *out)                                                \
	{                                                                                                    \
		const char *p;                                                                               \
		size_t n;                                                                                    \
		return f_word(d, v, &p, &n) && parse(p, n, out) == SB_OK;                                    \
	}

WORD_FIELD(side, enum sb_side, sb_side_parse)
WORD_FIELD(order_type, enum sb_order_type, sb_order_type_parse)
WORD_FIELD(any_tif, enum sb_tif, sb_tif_parse)
WORD_FIELD(any_status, enum sb_order_state, sb_order_state_parse)
WORD_FIELD(exec_type, enum sb_bn_exec_type, sb_bn_exec_type_parse)
WORD_FIELD(reject, enum sb_bn_reject_reason, sb_bn_reject_reason_parse)

/* GTC, IOC or FOK: NONE is the store's word, not Binance's. */
static bool tif(const struct doc *d, int v, enum sb_tif *out)
{
	return any_tif(d, v, out) && *out != SB_TIF_NONE;
}

/* Binance's order statuses only: the bot's own words never come from the wire. */
static bool status(const struct doc *d, int v, enum sb_order_state *out)
{
	return any_status(d, v, out) && sb_order_state_is_exchange(*out);
}

/* Optional fields: absent leaves the tree's default, present must read. */
static bool opt_int(const struct doc *d, int v, int64_t dflt, int64_t *out)
{
	*out = dflt;
	return v == 0 || f_time(d, v, out);
}

static bool opt_dec(const struct doc *d, int v, sb_dec *out)
{
	*out = 0;
	return v == 0 || f_dec(d, v, out);
}

static bool opt_str(const struct doc *d, int v, char *buf, size_t cap)
{
	buf[0] = '\0';
	return v == 0 || f_str(d, v, true, buf, cap);
}

/* N: the commission asset, null until the order has a fill (the struct keeps ""). */
static bool commission_asset(const struct doc *d, int v, char *buf, size_t cap)
{
	if (v == 0)
		return false;
	size_t n;
	const char *p = text(d, v, &n);
	if (d->t[v].type == JSMN_PRIMITIVE && text_is(p, n, "null"))
		return true;
	return f_str(d, v, true, buf, cap);
}

static bool exec_report(const struct doc *d, const struct obj *x, struct sb_bn_exec_report *r)
{
	const int *k = x->by_char;
	bool ok = f_time(d, k['E'], &r->event_time) && f_str(d, k['s'], false, r->symbol, sizeof r->symbol) &&
	          f_str(d, k['c'], false, r->client_order_id, sizeof r->client_order_id) &&
	          side(d, k['S'], &r->side) && order_type(d, k['o'], &r->type) && tif(d, k['f'], &r->tif) &&
	          f_dec(d, k['q'], &r->qty) && f_dec(d, k['p'], &r->price) &&
	          f_dec(d, k['P'], &r->stop_price) && opt_dec(d, k['F'], &r->iceberg_qty) &&
	          f_id(d, k['g'], &r->order_list_id) &&
	          f_str(d, k['C'], true, r->orig_client_order_id, sizeof r->orig_client_order_id) &&
	          exec_type(d, k['x'], &r->exec_type) && status(d, k['X'], &r->status) &&
	          reject(d, k['r'], &r->reject_reason) && f_id(d, k['i'], &r->order_id) &&
	          f_dec(d, k['l'], &r->last_qty) && f_dec(d, k['z'], &r->cum_qty) &&
	          f_dec(d, k['L'], &r->last_price) && f_dec(d, k['n'], &r->commission) &&
	          commission_asset(d, k['N'], r->commission_asset, sizeof r->commission_asset) &&
	          f_time(d, k['T'], &r->transact_time) && f_id(d, k['t'], &r->trade_id) &&
	          f_id(d, k['I'], &r->execution_id) && f_bool(d, k['w'], &r->on_book) &&
	          f_bool(d, k['m'], &r->maker) && f_time(d, k['O'], &r->create_time) &&
	          f_dec(d, k['Z'], &r->cum_quote_qty) && f_dec(d, k['Y'], &r->last_quote_qty) &&
	          f_dec(d, k['Q'], &r->quote_order_qty) && opt_int(d, k['W'], -1, &r->working_time) &&
	          f_str(d, k['V'], false, r->stp_mode, sizeof r->stp_mode) &&
	          opt_int(d, k['v'], -1, &r->prevented_match_id) && opt_dec(d, k['A'], &r->prevented_qty) &&
	          opt_str(d, member(d, x->tok, "eR"), r->expiry_reason, sizeof r->expiry_reason);
	/* A TRADE without a trade id is an error, which the tree names. */
	return ok && !(r->exec_type == SB_BN_EXEC_TRADE && r->trade_id < 0);
}

bool sb_bn__user_fast(const char *frame, size_t len, bool ws_frame, struct sb_bn_user_event *ev)
{
	struct doc d;
	if (!ev || !tokenize(&d, frame, len))
		return false;
	memset(ev, 0, sizeof *ev);
	ev->subscription_id = -1;
	int o = 0;
	int inner = member(&d, 0, "event");
	if (ws_frame && (!inner || member(&d, 0, "status")))
		return false;
	if (inner) {
		if (!opt_int(&d, member(&d, 0, "subscriptionId"), -1, &ev->subscription_id) ||
		    d.t[inner].type != JSMN_OBJECT)
			return false;
		o = inner;
	}
	struct obj x;
	index_obj(&d, o, &x);
	const char *p;
	size_t n;
	if (!f_word(&d, x.by_char['e'], &p, &n) || !text_is(p, n, "executionReport") || !valid(&d))
		return false;
	ev->kind = SB_BN_USER_EXEC_REPORT;
	if (!exec_report(&d, &x, &ev->u.exec))
		return false;
	ev->event_time = ev->u.exec.event_time;
	return true;
}

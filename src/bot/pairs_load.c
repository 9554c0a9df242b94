/*
 * pairs_load.c - the daemon's trade pairs at start-up: trade_pairs is the configuration, and the PAIRS
 * setting is applied to it wherever PAIRS changed since it was last applied.
 *
 * The PAIRS last applied is remembered in the event log, as the detail of a "pairs.applied" event. At
 * start-up each pair of PAIRS is compared with its entry there. A pair that is new, or written
 * differently, is applied: added to trade_pairs, or its settings replaced (its enabled flag stays what the
 * operator set, unless PAIRS itself changed enabled=). A pair dropped from PAIRS is removed from
 * trade_pairs when it has no open position, and only disabled (with a warning) while it has one. Pairs
 * whose PAIRS entry did not change keep what was set at run time (`spotbot pairs set|add|remove`), and an
 * empty PAIRS leaves the table alone. Every change is logged and written with its event; the first start
 * seeds the empty table this way.
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define KIND_APPLIED "pairs.applied"

/* Everything one start-up pass needs (large: kept off the stack). */
struct sync {
	struct sb_bot *b;     /* the daemon */
	struct sb_pairs now;  /* PAIRS as configured */
	struct sb_pairs last; /* PAIRS as last applied (n 0 when never) */
	int64_t now_ms;       /* time of the writes */
	size_t changes;       /* rows written or removed */
};

static void pair_from_row(const struct sb_store_pair *r, struct sb_pair_cfg *c)
{
	memset(c, 0, sizeof *c);
	(void)sb_pair_init(c, r->symbol, strlen(r->symbol));
	c->enabled = r->enabled;
	c->quote = r->quote_per_cycle;
	c->max_positions = r->max_positions;
	c->buy_mode = r->buy_mode == SB_STORE_BUY_MARKET ? SB_BUY_MARKET : SB_BUY_LIMIT;
	c->buy_offset = r->buy_offset;
	c->buy_timeout_ms = r->buy_timeout_ms;
	c->profit = r->target_profit;
	c->stop_loss = r->has_stop_loss ? r->stop_loss : 0;
	c->max_duration_ms = r->max_duration_ms;
	c->max_duration_sell = r->sell_market_on_max_duration;
	c->cooldown_ms = r->cooldown_ms;
	c->stop_loss_cooldown_ms = r->stop_loss_cooldown_ms;
}

/* The pair in the PAIRS syntax with every key, for comparisons and messages. */
static void fmt_pair(const struct sb_pair_cfg *c, char *buf, size_t cap)
{
	if (sb_pair_format(c, true, buf, cap, NULL) != SB_OK)
		snprintf(buf, cap, "%s", c->symbol);
}

/* The PAIRS of the newest pairs.applied event into s->last; none (or an unreadable one) leaves it empty. */
static sb_err read_last(struct sync *s)
{
	struct sb_store_event_filter f = {.kind = KIND_APPLIED};
	struct sb_store_event *rows = NULL;
	size_t n = 0;
	s->last.n = 0;
	for (;;) {
		sb_err err = sb_store_event_list(s->b->st, &f, &rows, &n);
		if (err != SB_OK)
			return err;
		if (n < SB_STORE_LIST_MAX)
			break;
		f.after_id = rows[n - 1].id;
		sb_store_events_free(rows, n);
	}
	cJSON *j = n ? cJSON_Parse(rows[n - 1].detail) : NULL;
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(j, "pairs");
	char msg[SB_PAIRS_ERR_MAX];
	if (cJSON_IsString(p) &&
	    sb_pairs_parse(p->valuestring, strlen(p->valuestring), &s->last, msg, sizeof msg) != SB_OK)
		s->last.n = 0;
	cJSON_Delete(j);
	sb_store_events_free(rows, n);
	return SB_OK;
}

/* Writes an event-carrying pair row: kind and the detail {"source":"PAIRS","pair":text}. */
static sb_err write_row(struct sync *s, const struct sb_pair_cfg *c, const char *kind, const char *text)
{
	struct sb_store_pair row;
	bot_pair_to_row(c, s->now_ms, &row);
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "source", "PAIRS");
	cJSON_AddStringToObject(d, "pair", text);
	char *detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	struct sb_store_event ev = {.time_ms = s->now_ms, .detail = detail};
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.symbol, sizeof ev.symbol, "%s", c->symbol);
	sb_err err = sb_store_pair_upsert(s->b->st, &row, &ev);
	free(detail);
	if (err == SB_OK)
		s->changes++;
	return err;
}

/* One pair of PAIRS that is new or was written differently since it was last applied. */
static sb_err apply_one(struct sync *s, const struct sb_pair_cfg *want, const struct sb_pair_cfg *before)
{
	struct sb_store_pair row;
	sb_err err = sb_store_pair_get(s->b->st, want->symbol, &row);
	char text[1024], had[1024];
	fmt_pair(want, text, sizeof text);
	if (err == SB_ERR_NOT_FOUND) {
		sb_log_info("bot", SB_FIELDS(SB_F_STR("symbol", want->symbol), SB_F_STR("pair", text)),
		            "PAIRS: %s added to trade_pairs", want->symbol);
		return write_row(s, want, s->last.n ? "pair.added" : "pair.seeded", text);
	}
	if (err != SB_OK)
		return err;
	struct sb_pair_cfg c = *want, cur;
	pair_from_row(&row, &cur);
	/* The operator's switch wins unless the .env changed this very key. */
	if (!before || before->enabled == want->enabled)
		c.enabled = cur.enabled;
	fmt_pair(&c, text, sizeof text);
	fmt_pair(&cur, had, sizeof had);
	if (strcmp(text, had) == 0)
		return SB_OK;
	sb_log_warn("bot",
	            SB_FIELDS(SB_F_STR("symbol", c.symbol), SB_F_STR("from", had), SB_F_STR("to", text)),
	            "PAIRS changed for %s: trade_pairs now holds %s (was %s)", c.symbol, text, had);
	return write_row(s, &c, "pair.updated", text);
}

/* Open positions of symbol in the database (the daemon has not loaded them yet). */
static sb_err count_open(struct sync *s, const char *symbol, size_t *n)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN, .symbol = symbol, .limit = 1};
	struct sb_store_position *rows = NULL;
	sb_err err = sb_store_position_list(s->b->st, &f, &rows, n);
	free(rows);
	return err;
}

/* A pair dropped from PAIRS: removed, or disabled while it holds an open position. */
static sb_err drop_one(struct sync *s, const char *symbol)
{
	struct sb_store_pair row;
	sb_err err = sb_store_pair_get(s->b->st, symbol, &row);
	if (err == SB_ERR_NOT_FOUND)
		return SB_OK; /* removed at run time already */
	size_t open = 0;
	if (err == SB_OK)
		err = count_open(s, symbol, &open);
	if (err != SB_OK)
		return err;
	struct sb_store_event ev = {.time_ms = s->now_ms, .detail = "{\"source\":\"PAIRS\"}"};
	snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol);
	if (open == 0) {
		snprintf(ev.kind, sizeof ev.kind, "pair.removed");
		sb_log_warn("bot", SB_FIELDS(SB_F_STR("symbol", symbol)),
		            "PAIRS no longer names %s: removed from trade_pairs", symbol);
		err = sb_store_pair_delete(s->b->st, symbol, &ev);
		if (err == SB_OK)
			s->changes++;
		return err;
	}
	sb_log_warn("bot", SB_FIELDS(SB_F_STR("symbol", symbol), SB_F_UINT("open_positions", open)),
	            "PAIRS no longer names %s, which has an open position: disabled instead of removed, its "
	            "positions are still managed (`spotbot pairs remove %s` once they are closed)",
	            symbol, symbol);
	if (!row.enabled)
		return SB_OK;
	snprintf(ev.kind, sizeof ev.kind, "pair.pause");
	row.enabled = false;
	row.updated_ms = s->now_ms;
	err = sb_store_pair_upsert(s->b->st, &row, &ev);
	if (err == SB_OK)
		s->changes++;
	return err;
}

/* Remembers PAIRS as applied now, unless it reads as the PAIRS last applied. */
static sb_err record_applied(struct sync *s)
{
	static char text[SB_STORE_DETAIL_MAX - 64], last[SB_STORE_DETAIL_MAX - 64];
	if (sb_pairs_format(&s->now, false, text, sizeof text, NULL) != SB_OK) {
		sb_log_warn(
		    "bot", SB_NOFIELDS,
		    "PAIRS is too long to remember: every pair of it is applied again at the next start");
		return SB_OK;
	}
	if (s->last.n && sb_pairs_format(&s->last, false, last, sizeof last, NULL) == SB_OK &&
	    strcmp(text, last) == 0)
		return SB_OK;
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "pairs", text);
	char *detail = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	struct sb_store_event ev = {.time_ms = s->now_ms, .detail = detail};
	snprintf(ev.kind, sizeof ev.kind, KIND_APPLIED);
	sb_err err = sb_store_event_append(s->b->st, &ev, NULL);
	free(detail);
	return err;
}

/* Applies what changed in PAIRS since it was last applied (see the file's header). */
static sb_err apply_pairs(struct sync *s)
{
	char msg[SB_PAIRS_ERR_MAX];
	const char *text = s->b->cfg->pairs ? s->b->cfg->pairs : "";
	if (sb_pairs_parse(text, strlen(text), &s->now, msg, sizeof msg) != SB_OK) {
		sb_log_error("bot", SB_NOFIELDS, "%s", msg);
		return SB_ERR_CONFIG;
	}
	if (s->now.n == 0)
		return SB_OK;
	SB_TRY(read_last(s));
	for (size_t i = 0; i < s->now.n; i++) {
		const struct sb_pair_cfg *want = &s->now.pair[i];
		const struct sb_pair_cfg *before =
		    sb_pairs_find(&s->last, want->symbol, strlen(want->symbol));
		char a[1024], b[1024];
		fmt_pair(want, a, sizeof a);
		if (before)
			fmt_pair(before, b, sizeof b);
		if (!before || strcmp(a, b) != 0)
			SB_TRY(apply_one(s, want, before));
	}
	for (size_t i = 0; i < s->last.n; i++) {
		const char *sym = s->last.pair[i].symbol;
		if (!sb_pairs_find(&s->now, sym, strlen(sym)))
			SB_TRY(drop_one(s, sym));
	}
	if (s->changes)
		sb_log_info("bot", SB_FIELDS(SB_F_UINT("changes", s->changes)),
		            "PAIRS applied to trade_pairs (%zu change%s)", s->changes,
		            s->changes == 1 ? "" : "s");
	else
		sb_log_info("bot", SB_NOFIELDS,
		            "PAIRS unchanged since it was last applied: trade_pairs is the configuration");
	return record_applied(s);
}

sb_err bot_pairs_load(struct sb_bot *b)
{
	struct sync *s = sb_xcalloc(1, sizeof *s);
	s->b = b;
	s->now_ms = bot_now_ms(b);
	sb_err err = apply_pairs(s);
	free(s);
	if (err != SB_OK)
		return err;
	struct sb_store_pair *rows = NULL;
	size_t n = 0;
	err = sb_store_pair_list(b->st, false, &rows, &n);
	if (err != SB_OK)
		return err;
	if (n > SB_PAIRS_MAX) {
		sb_log_error("bot", SB_FIELDS(SB_F_UINT("pairs", n)), "trade_pairs holds more than %d pairs",
		             SB_PAIRS_MAX);
		free(rows);
		return SB_ERR_CONFIG;
	}
	/* Full capacity at once: pairs added at run time must not move the entries others point into. */
	b->pairs = sb_xcalloc(SB_PAIRS_MAX, sizeof *b->pairs);
	for (size_t i = 0; i < n; i++) {
		struct bot_pair *pr = &b->pairs[b->npairs++];
		pair_from_row(&rows[i], &pr->cfg);
		pr->sell_fee = BOT_FEE_DEFAULT;
	}
	free(rows);
	return SB_OK;
}

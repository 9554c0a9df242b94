/*
 * sbtest_bot.c - the daemon fixture of sbtest_bot.h: construction as `run` does it (bot_init, the store,
 * bot_pairs_load, the kill switch), the start-up answered through the fake, the virtual clock's moves, and
 * the store's rows for the tests' checks.
 */
#include "sbtest_bot.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_dec.h"
#include "sbtest_rules.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

#define SETTINGS_MAX 16 /* settings a test may give */

/* ---- the daemon ---------------------------------------------------------------------------------------- */

/* The kill switch as the database holds it, in memory before anything is decided, as sb_bot_run loads it
 * before its start-up: "1" or "true" is on, a missing key is off. */
static void load_paused(struct sb_bot *b)
{
	char v[SB_STORE_VALUE_MAX];
	sb_err err = sb_store_state_get(b->st, SB_STORE_KEY_PAUSED, v, sizeof v);
	cr_assert(err == SB_OK || err == SB_ERR_NOT_FOUND, "system_state paused: %s", sb_strerror(err));
	b->paused = err == SB_OK && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
}

/* A daemon on t's database with its clock at wall time start_ms: as sb_bot_run builds it up to its
 * exchange. */
static void daemon_new(struct sbt_bot *t, int64_t start_ms)
{
	struct sb_bot *b = t->b = sb_xcalloc(1, sizeof *b);
	bot_init(b, &t->cfg, sb_clock_virtual_new(start_ms));
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(t->db, NULL, &b->st, err, sizeof err), SB_OK, "%s: %s", t->db, err);
	cr_assert_eq(bot_pairs_load(b), SB_OK, "PAIRS: %s", sb_store_last_error(b->st));
	load_paused(b);
	memset(t->sent, 0, sizeof t->sent);
}

/* Ends the daemon as its teardown does: callbacks of the requests its exchange ends only free their
 * context. */
static void daemon_free(struct sbt_bot *t)
{
	struct sb_bot *b = t->b;
	if (!b)
		return;
	b->closed = true;
	struct sb_exchange *ex = b->ex;
	b->ex = NULL;
	sb_exchange_free(ex);
	cr_expect_eq(b->inflight, 0, "every request ended in its callback");
	bot_timers_free(b);
	sb_clock_free(b->clock);
	orders_free_all(b);
	free(b->pairs);
	sb_store_close(b->st);
	free(b);
	t->b = NULL;
	t->fx = NULL;
}

void sbt_bot_init(struct sbt_bot *t, const char *pairs, const char *const *settings, int64_t start_ms)
{
	memset(t, 0, sizeof *t);
	char line[1024];
	snprintf(line, sizeof line, "PAIRS=%s", pairs);
	char *env[SETTINGS_MAX + 2] = {line};
	size_t n = 1;
	for (size_t i = 0; settings && settings[i]; i++) {
		cr_assert_lt(n, SETTINGS_MAX + 1, "too many settings");
		env[n++] = (char *)settings[i];
	}
	sb_config_init(&t->cfg);
	cr_assert_eq(sb_config_load_buffer(&t->cfg, NULL, NULL, 0, env, stderr), SB_OK, "the settings load");
	snprintf(t->dir, sizeof t->dir, "/tmp/sbtest-bot-XXXXXX");
	cr_assert_not_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof t->db, "%s/spotbot.db", t->dir);
	t->start_ms = start_ms ? start_ms : SBT_BOT_START_MS;
	daemon_new(t, t->start_ms);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void sbt_bot_fini(struct sbt_bot *t)
{
	daemon_free(t);
	sb_config_fini(&t->cfg);
	if (t->dir[0])
		nftw(t->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	t->dir[0] = '\0';
}

/* ---- the fake's hooks ---------------------------------------------------------------------------------- */

static void on_request(void *ctx, const struct sbt_fakex_req *r)
{
	struct sbt_bot *t = ctx;
	struct sbt_bot_sent *s = &t->sent[r - t->fx->req];
	s->mono_ms = sbt_bot_mono(t);
	if (r->kind != SBT_FX_PLACE && r->kind != SBT_FX_QUERY && r->kind != SBT_FX_CANCEL)
		return;
	s->commits = sb_store_commits(t->b->st);
	s->stored = sb_store_order_get(t->b->st, r->coid, &s->row) == SB_OK;
	s->pos_stored = s->stored && sb_store_position_get(t->b->st, s->row.position_id, &s->pos) == SB_OK;
	if (r->kind != SBT_FX_PLACE)
		return;
	/* What another process sees is what is committed, whatever the daemon's connection has written. */
	struct sb_store_opts ro = {.readonly = true, .no_create = true};
	struct sb_store *other = NULL;
	struct sb_store_order row;
	s->durable = sb_store_open_sqlite(t->db, &ro, &other, NULL, 0) == SB_OK &&
	             sb_store_order_get(other, r->coid, &row) == SB_OK;
	sb_store_close(other);
}

static void on_delivered(void *ctx)
{
	sbt_bot_pump(ctx);
}

struct sbt_fakex *sbt_bot_fake(struct sbt_bot *t)
{
	struct sb_exchange_events ev = bot_exchange_events(t->b);
	struct sbt_fakex *fx = sbt_fakex_new(&ev);
	fx->subscribed = true;
	fx->on_request = on_request;
	fx->on_delivered = on_delivered;
	fx->ctx = t;
	t->fx = fx;
	t->b->ex = &fx->base;
	return fx;
}

struct sb_symbol_rules sbt_bot_rules(const char *symbol)
{
	struct sb_symbol_rules r = sbt_rules_btcusdt();
	size_t len = strlen(symbol);
	cr_assert(len > 4 && strcmp(symbol + len - 4, "USDT") == 0, "%s is a USDT pair", symbol);
	snprintf(r.symbol, sizeof r.symbol, "%s", symbol);
	snprintf(r.base_asset, sizeof r.base_asset, "%.*s", (int)(len - 4), symbol);
	r.stp_allowed = 1u << SB_STP_EXPIRE_TAKER | 1u << SB_STP_EXPIRE_MAKER;
	return r;
}

void sbt_bot_trading(struct sbt_bot *t)
{
	struct sb_bot *b = t->b;
	for (size_t i = 0; i < b->npairs; i++) {
		b->pairs[i].rules = sbt_bot_rules(b->pairs[i].cfg.symbol);
		b->pairs[i].have_rules = true;
	}
	cr_assert_eq(bot_set_state(b, BOT_RECONCILING, "the test skipped start-up"), SB_OK);
	cr_assert_eq(bot_set_state(b, b->paused ? BOT_PAUSED : BOT_TRADING, "the test skipped start-up"),
	             SB_OK);
	bot_timers_start(b);
}

/* ---- start-up ------------------------------------------------------------------------------------------ */

/* Whether symbol is one of the comma-separated listed (NULL: every symbol is). */
static bool is_listed(const char *listed, const char *symbol)
{
	if (!listed)
		return true;
	size_t len = strlen(symbol);
	for (const char *p = listed; *p;) {
		size_t n = strcspn(p, ",");
		if (n == len && strncmp(p, symbol, n) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/* Index of the one unanswered request of kind; fails the test when there is none. */
static size_t pending(const struct sbt_bot *t, enum sbt_fakex_kind kind, const char *what)
{
	for (size_t i = 0; i < t->fx->n; i++)
		if (t->fx->req[i].kind == kind && !t->fx->req[i].answered)
			return i;
	cr_assert_fail("start-up: no %s request is waiting (run state %s)", what,
	               bot_state_name(t->b->state));
	return 0;
}

void sbt_bot_start_reconciling(struct sbt_bot *t, const char *listed)
{
	struct sb_bot *b = t->b;
	cr_assert_not_null(t->fx, "start-up runs against the fake");
	bot_timers_start(b);
	bot_startup(b);
	sbt_fakex_answer_time(t->fx, pending(t, SBT_FX_TIME, "server time"), sbt_bot_now(t));
	struct sb_symbol_rules rules[SB_PAIRS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < b->npairs; i++)
		if (is_listed(listed, b->pairs[i].cfg.symbol))
			rules[n++] = sbt_bot_rules(b->pairs[i].cfg.symbol);
	sbt_fakex_answer_info(t->fx, pending(t, SBT_FX_INFO, "exchange info"), rules, n);
	/* A pair whose rates were read less than BOT_FEES_KEEP_MS ago (a restart) is not asked again. */
	for (size_t i = 0; i < t->fx->n; i++)
		if (t->fx->req[i].kind == SBT_FX_COMMISSION && !t->fx->req[i].answered)
			sbt_fakex_answer_commission(t->fx, i, "0.001", "0.001");
	cr_assert_eq(b->state, BOT_RECONCILING, "start-up reached the reconciliation (%s)",
	             bot_state_name(b->state));
	cr_assert(t->fx->streams_started, "the streams were started before it");
}

void sbt_bot_no_open_orders(struct sbt_bot *t)
{
	for (size_t i = 0; i < t->fx->n; i++) {
		if (t->fx->req[i].kind != SBT_FX_OPEN_ORDERS || t->fx->req[i].answered)
			continue;
		struct sb_bn_order_list none = {0};
		sbt_fakex_answer_orders(t->fx, i, &none);
	}
}

void sbt_bot_start(struct sbt_bot *t, const char *listed)
{
	sbt_bot_start_reconciling(t, listed);
	sbt_bot_no_open_orders(t);
	cr_assert(t->b->state == BOT_TRADING || t->b->state == BOT_PAUSED, "start-up ended in %s",
	          bot_state_name(t->b->state));
}

/* ---- time ---------------------------------------------------------------------------------------------- */

int64_t sbt_bot_now(const struct sbt_bot *t)
{
	return sb_clock_now_wall_ms(t->b->clock);
}

uint64_t sbt_bot_mono(const struct sbt_bot *t)
{
	return sb_clock_now_mono_ms(t->b->clock);
}

void sbt_bot_pump(struct sbt_bot *t)
{
	for (int round = 0; round < 10000; round++) {
		if (!t->hold_step)
			engine_step(t->b);
		size_t n = sb_clock_virtual_run_until(t->b->clock, sbt_bot_mono(t));
		if (t->pump && t->b->ex)
			n += t->pump(t->b->ex);
		if (n == 0)
			return;
	}
	cr_assert_fail("the daemon never went quiet");
}

void sbt_bot_advance_to(struct sbt_bot *t, uint64_t mono_ms)
{
	sb_clock_virtual_run_until(t->b->clock, mono_ms);
	cr_assert_eq(sbt_bot_mono(t), mono_ms, "the clock reached %llu ms", (unsigned long long)mono_ms);
	sbt_bot_pump(t);
}

void sbt_bot_advance(struct sbt_bot *t, uint64_t ms)
{
	sbt_bot_advance_to(t, sbt_bot_mono(t) + ms);
}

void sbt_bot_restart(struct sbt_bot *t)
{
	int64_t now = sbt_bot_now(t);
	bool fake = t->fx != NULL;
	daemon_free(t);
	daemon_new(t, now);
	if (fake)
		sbt_bot_fake(t);
}

/* ---- the exchange's side ------------------------------------------------------------------------------ */

int64_t sbt_bot_order_id(size_t i)
{
	return 1000 + (int64_t)i;
}

size_t sbt_bot_placed(const struct sbt_bot *t, const char *coid)
{
	for (size_t i = 0; i < t->fx->n; i++)
		if (t->fx->req[i].kind == SBT_FX_PLACE && strcmp(t->fx->req[i].coid, coid) == 0)
			return i;
	cr_assert_fail("%s was never placed", coid);
	return 0;
}

/* PLACE request i of the fake. */
static const struct sbt_fakex_req *place_req(const struct sbt_bot *t, size_t i)
{
	cr_assert_lt(i, t->fx->n, "request %zu was never made", i);
	cr_assert_eq(t->fx->req[i].kind, SBT_FX_PLACE, "request %zu places an order", i);
	return &t->fx->req[i];
}

void sbt_bot_ack(struct sbt_bot *t, size_t i)
{
	struct sb_bn_order o =
	    sbt_fakex_order(place_req(t, i), sbt_bot_order_id(i), SB_ORDER_NEW, 0, 0, sbt_bot_now(t));
	sbt_fakex_answer_order(t->fx, i, SB_OK, 0, &o);
}

void sbt_bot_trade(struct sbt_bot *t, size_t i, const struct sb_fill *f, const char *cum,
                   const char *cum_quote, enum sb_order_state st)
{
	struct sb_bn_user_event ev = sbt_fakex_report(place_req(t, i), sbt_bot_order_id(i), st, f,
	                                              sbt_dec(cum), sbt_dec(cum_quote), sbt_bot_now(t));
	sbt_fakex_user(t->fx, &ev);
}

void sbt_bot_report(struct sbt_bot *t, size_t i, enum sb_order_state st, const char *cum,
                    const char *cum_quote)
{
	struct sb_bn_user_event ev = sbt_fakex_report(place_req(t, i), sbt_bot_order_id(i), st, NULL,
	                                              sbt_dec(cum), sbt_dec(cum_quote), sbt_bot_now(t));
	sbt_fakex_user(t->fx, &ev);
}

void sbt_bot_answer_about(struct sbt_bot *t, size_t i, enum sb_order_state st, const char *cum,
                          const char *cum_quote)
{
	cr_assert_lt(i, t->fx->n, "request %zu was never made", i);
	size_t p = sbt_bot_placed(t, t->fx->req[i].coid);
	struct sb_bn_order o = sbt_fakex_order(&t->fx->req[p], sbt_bot_order_id(p), st, sbt_dec(cum),
	                                       sbt_dec(cum_quote), sbt_bot_now(t));
	sbt_fakex_answer_order(t->fx, i, SB_OK, 0, &o);
}

bool sbt_bot_pays(sb_dec qty, sb_dec price, sb_dec cost, const char *fee, const char *profit)
{
	sb_dec gross = 0, net = 0, want = 0;
	cr_assert_eq(sb_dec_mul(qty, price, SB_ROUND_DOWN, &gross), SB_OK);
	cr_assert_eq(sb_dec_mul(gross, SB_DEC_ONE - sbt_dec(fee), SB_ROUND_DOWN, &net), SB_OK);
	cr_assert_eq(sb_dec_mul(cost, SB_DEC_ONE + sbt_dec(profit), SB_ROUND_UP, &want), SB_OK);
	return net >= want;
}

/* ---- the store ----------------------------------------------------------------------------------------- */

void sbt_bot_sql(const struct sbt_bot *t, const char *sql)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open(t->db, &db), SQLITE_OK, "%s", t->db);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "");
	sqlite3_close(db);
}

void sbt_bot_set_paused(const struct sbt_bot *t, bool paused)
{
	struct sb_store *other = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(t->db, NULL, &other, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_store_state_set(other, SB_STORE_KEY_PAUSED, paused ? "1" : "0", sbt_bot_now(t), NULL),
	             SB_OK, "%s", sb_store_last_error(other));
	sb_store_close(other);
}

struct sb_store_order sbt_bot_order(const struct sbt_bot *t, const char *coid)
{
	struct sb_store_order row;
	cr_assert_eq(sb_store_order_get(t->b->st, coid, &row), SB_OK, "order %s is in the store", coid);
	return row;
}

struct sb_store_position sbt_bot_position(const struct sbt_bot *t, int64_t id)
{
	struct sb_store_position row;
	cr_assert_eq(sb_store_position_get(t->b->st, id, &row), SB_OK, "position %lld is in the store",
	             (long long)id);
	return row;
}

size_t sbt_bot_fills(const struct sbt_bot *t, const char *coid, struct sb_store_fill **out)
{
	size_t n = 0;
	*out = NULL;
	cr_assert_eq(sb_store_fill_list(t->b->st, coid, out, &n), SB_OK);
	return n;
}

size_t sbt_bot_events_of(const struct sbt_bot *t, const char *kind, const char *coid)
{
	struct sb_store_event_filter f = {.kind = kind};
	struct sb_store_event *evs = NULL;
	size_t n = 0, found = 0;
	cr_assert_eq(sb_store_event_list(t->b->st, &f, &evs, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		found +=
		    strcmp(evs[i].kind, kind) == 0 && (!coid || strcmp(evs[i].client_order_id, coid) == 0);
	sb_store_events_free(evs, n);
	return found;
}

size_t sbt_bot_positions_in(const struct sbt_bot *t, enum sb_position_state s)
{
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_ALL};
	struct sb_store_position *rows = NULL;
	size_t n = 0, found = 0;
	cr_assert_eq(sb_store_position_list(t->b->st, &f, &rows, &n), SB_OK);
	for (size_t i = 0; i < n; i++)
		found += rows[i].state == s;
	free(rows);
	return found;
}

const char *sbt_bot_state(const struct sbt_bot *t, const char *key, char *buf, size_t cap)
{
	sb_err err = sb_store_state_get(t->b->st, key, buf, cap);
	cr_assert(err == SB_OK || err == SB_ERR_NOT_FOUND, "system_state %s: %s", key, sb_strerror(err));
	if (err != SB_OK)
		buf[0] = '\0';
	return buf;
}

/*
 * bt_run.c - the backtest's driver (bt_run.h): the daemon built around spotsim's in-process exchange on a
 * virtual clock, candles fed in time order, results read back from the run's database and the ledger.
 *
 * Time: the exchange's clock is market time, starting at the first candle's open time. Each trade of a
 * candle's path reaches that clock before it applies, and the daemon's virtual clock runs every timer due
 * by then (its tick: prices, orders, strategy), so the daemon sees time pass exactly as the market moves.
 */
#include "backtest/bt_run.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "backtest/bt_exchange.h"
#include "bot/bot_int.h"
#include "sim/exchange.h"
#include "sim/ledger.h"
#include "sim/options.h"
#include "spotbot/alloc.h"
#include "spotbot/bnb.h"
#include "spotbot/bot.h"
#include "spotbot/clock.h"
#include "spotbot/kline_set.h"

#define BT_KEY    "backtest"         /* the in-process exchange's one account */
#define BT_NOPAIR ((size_t)SIZE_MAX) /* a data symbol no pair trades */
#define BT_GAP_MS 600000             /* a hole in the market longer than this rests the tick */

/* One run's state (large parts on the heap). */
struct bt_run {
	const struct sb_bt_run_opts *o; /* what to run */
	struct sb_kline_set *set;       /* the candles */
	size_t *pair_of;                /* per symbol of the set: the pair's index, or BT_NOPAIR */
	uv_loop_t loop;           /* spotsim's exchange is made on a loop, which never runs its timers */
	bool have_loop;           /* loop initialised */
	struct sim_options *simo; /* spotsim's options */
	struct sim_exchange *sim; /* spotsim's exchange */
	struct sb_bot *b;         /* the daemon */
	int64_t start_ms;         /* market time the daemon's clock started at */
	int64_t now_ms;           /* market time now */
	sb_dec *last;             /* per pair: its last close */
	char db[4096];            /* the run's database */
	bool temp_db;             /* db is removed at the end */
	char *err;                /* the caller's message buffer */
	size_t cap;               /* its size */
};

static sb_err fail(struct bt_run *r, sb_err err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static sb_err fail(struct bt_run *r, sb_err err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->cap, fmt, ap);
	va_end(ap);
	return err;
}

/* ---- the balance ------------------------------------------------------------------------------------- */

static bool asset_ok(const char *s, size_t len)
{
	if (len == 0 || len >= SB_ASSET_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

/* Parses balance into out[0..*n) as start amounts; SB_ERR_PARSE at the first bad entry (err says which). */
static sb_err balance_walk(const char *balance, struct sb_bt_balance *out, size_t *n, char *err, size_t cap)
{
	*n = 0;
	const char *p = balance;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		sb_dec v;
		if (!eq || !asset_ok(p, (size_t)(eq - p)) ||
		    sb_dec_parse_nonneg(eq + 1, len - (size_t)(eq - p) - 1, &v) != SB_OK) {
			snprintf(
			    err, cap,
			    "--balance: '%.*s' is not ASSET=AMOUNT (an upper-case asset, an amount >= 0)",
			    (int)len, p);
			return SB_ERR_PARSE;
		}
		char asset[SB_ASSET_MAX];
		snprintf(asset, sizeof asset, "%.*s", (int)(eq - p), p);
		for (size_t i = 0; i < *n; i++)
			if (strcmp(out[i].asset, asset) == 0) {
				snprintf(err, cap, "--balance: %s is given twice", asset);
				return SB_ERR_PARSE;
			}
		if (*n == SB_BT_ASSETS_MAX) {
			snprintf(err, cap, "--balance: more than %d assets", SB_BT_ASSETS_MAX);
			return SB_ERR_PARSE;
		}
		snprintf(out[*n].asset, sizeof out[*n].asset, "%s", asset);
		out[*n].start = v;
		out[*n].end = 0;
		(*n)++;
		if (!end)
			return SB_OK;
		p = end + 1;
	}
}

sb_err sb_bt_balance_check(const char *balance, char *err, size_t cap)
{
	struct sb_bt_balance b[SB_BT_ASSETS_MAX];
	size_t n;
	return balance_walk(balance, b, &n, err, cap);
}

/* ---- the exchange's clock ------------------------------------------------------------------------------ */

static int64_t clock_now(void *user)
{
	return ((struct bt_run *)user)->now_ms;
}

/*
 * Market time reaches ms: the daemon's timers due by then run. Across a hole in the data longer than
 * BT_GAP_MS (a day missing from the files, or the months between two files) the housekeeping tick runs
 * for BT_GAP_MS and then rests until the market resumes, as nothing it could decide changes while no
 * price arrives; every other timer (a buy's timeout, a retry) still runs when due.
 */
static void clock_reach(void *user, int64_t ms)
{
	struct bt_run *r = user;
	if (ms <= r->now_ms)
		return;
	/* The market events since the clock last moved may have given the tick work. */
	bot_tick_wake(r->b);
	struct sb_clock *c = r->b->clock;
	if (ms - r->now_ms > BT_GAP_MS) {
		sb_clock_virtual_run_until(c, (uint64_t)(r->now_ms + BT_GAP_MS - r->start_ms));
		sb_clock_timer_stop(r->b->timers.tick);
		sb_clock_virtual_run_until(c, (uint64_t)(ms - r->start_ms));
		sb_clock_timer_start(r->b->timers.tick, BOT_TICK_MS, BOT_TICK_MS);
	}
	r->now_ms = ms;
	sb_clock_virtual_run_until(c, (uint64_t)(ms - r->start_ms));
}

/* ---- set-up -------------------------------------------------------------------------------------------- */

/* Matches the set's symbols to the pairs: a pair without data is an error, data without a pair a note. */
static sb_err match_pairs(struct bt_run *r)
{
	struct sb_bot *b = r->b;
	size_t ns = sb_kline_set_symbols(r->set);
	r->pair_of = sb_xcalloc(ns ? ns : 1, sizeof *r->pair_of);
	for (size_t i = 0; i < ns; i++) {
		struct bot_pair *pr = bot_pair_find(b, sb_kline_set_symbol(r->set, i));
		r->pair_of[i] = pr ? (size_t)(pr - b->pairs) : BT_NOPAIR;
		if (!pr && r->o->notes)
			fprintf(r->o->notes,
			        "spotbot backtest: the data of %s is ignored: it is not in PAIRS\n",
			        sb_kline_set_symbol(r->set, i));
	}
	for (size_t k = 0; k < b->npairs; k++) {
		if (b->pairs[k].removed)
			continue;
		bool found = false;
		for (size_t i = 0; i < ns && !found; i++)
			found = r->pair_of[i] == k;
		if (!found)
			return fail(r, SB_ERR_NOT_FOUND, "PAIRS: %s has no data in the files given",
			            b->pairs[k].cfg.symbol);
	}
	return SB_OK;
}

/* The run's database: --db (which must not exist yet: a backtest starts from nothing) or a temporary file. */
static sb_err open_store(struct bt_run *r)
{
	if (r->o->db_path) {
		if (strcmp(r->o->db_path, ":memory:") != 0 && access(r->o->db_path, F_OK) == 0)
			return fail(r, SB_ERR_INVALID,
			            "--db %s: the file exists; a backtest writes a new database",
			            r->o->db_path);
		snprintf(r->db, sizeof r->db, "%s", r->o->db_path);
	} else {
		const char *dir = getenv("TMPDIR");
		snprintf(r->db, sizeof r->db, "%s/spotbot-backtest-XXXXXX", dir && *dir ? dir : "/tmp");
		int fd = mkstemp(r->db);
		if (fd < 0)
			return fail(r, SB_ERR_IO, "cannot create a temporary database in %s",
			            dir && *dir ? dir : "/tmp");
		close(fd);
		r->temp_db = true;
	}
	char msg[256] = "";
	struct sb_store_opts so = {.scratch = true};
	sb_err err = sb_store_open_sqlite(r->db, &so, &r->b->st, msg, sizeof msg);
	if (err != SB_OK)
		return fail(r, err, "database %s: %s", r->db, msg);
	return SB_OK;
}

/* The daemon's state before its exchange exists: the configuration, a virtual clock, its pairs. */
static sb_err make_bot(struct bt_run *r)
{
	const struct sb_config *cfg = r->o->cfg;
	struct sb_bot *b = r->b = sb_xcalloc(1, sizeof *b);
	bot_init(b, cfg, sb_clock_virtual_new(r->start_ms));
	SB_TRY(open_store(r));
	sb_err err = bot_pairs_load(b);
	if (err != SB_OK)
		return fail(r, err, "cannot load PAIRS into the run's database: %s",
		            sb_store_last_error(b->st));
	return match_pairs(r);
}

/* spotsim's exchange listing the pairs' symbols from its catalogue, one account funded with balance. */
static sb_err make_sim(struct bt_run *r, const char *balance)
{
	char symbols[SB_PAIRS_MAX * SB_SYMBOL_MAX] = "", account[1024];
	size_t len = 0;
	for (size_t k = 0; k < r->b->npairs; k++)
		if (!r->b->pairs[k].removed)
			len += (size_t)snprintf(symbols + len, sizeof symbols - len, "%s%s", len ? "," : "",
			                        r->b->pairs[k].cfg.symbol);
	snprintf(account, sizeof account, "%s:%s:%s", BT_KEY, BT_KEY, balance);
	char prog[] = "spotsim", f_sym[] = "--symbols", f_acc[] = "--account", f_info[] = "--exchange-info";
	char info[4096];
	snprintf(info, sizeof info, "%s", r->o->exchange_info ? r->o->exchange_info : "");
	char *argv[] = {prog, f_sym, symbols, f_acc, account, f_info, info, NULL};
	char msg[512] = "";
	FILE *f = fmemopen(msg, sizeof msg - 1, "w");
	if (!f)
		return fail(r, SB_ERR_NOMEM, "out of memory");
	r->simo = sb_xcalloc(1, sizeof *r->simo);
	sb_err err = sim_options_parse(r->o->exchange_info ? 7 : 5, argv, r->simo, f);
	/* The daemon asks the exchange for no candles or recent trades: keeping them would cost every
	 * trade of every path 16 candle updates, and each symbol 2 MB. */
	r->simo->no_market_data = true;
	if (err == SB_OK) {
		if (uv_loop_init(&r->loop) != 0)
			err = SB_ERR_IO;
		else
			r->have_loop = true;
	}
	if (err == SB_OK)
		err = sim_exchange_new(&r->loop, r->simo, NULL, f, &r->sim);
	fclose(f);
	if (err != SB_OK) {
		msg[strcspn(msg, "\n")] = '\0';
		return fail(r, SB_ERR_NOT_FOUND, "the exchange cannot list PAIRS: %s", msg);
	}
	return SB_OK;
}

/* The adapter between them, and the daemon's start-up on it as `run` starts. */
static sb_err start_bot(struct bt_run *r)
{
	struct sb_bot *b = r->b;
	struct sb_exchange_events ev = {
	    .market = {prices_on_market, prices_on_snapshot, prices_on_link},
	    .account = {orders_on_user, reconcile_on_request, orders_on_user_link},
	    .user = b,
	};
	struct sb_bt_exchange_opts opts = {.sim = r->sim,
	                                   .api_key = BT_KEY,
	                                   .clock = {clock_now, clock_reach, r},
	                                   .seed = 1,
	                                   .path_trades = r->o->path_trades};
	SB_TRY(sb_bt_exchange_new(&opts, &ev, &b->ex));
	b->tick_sparse = true;
	bot_timers_start(b);
	bot_startup(b);
	while (sb_bt_exchange_pump(b->ex) > 0)
		;
	if (b->state != BOT_TRADING && b->state != BOT_PAUSED)
		return fail(r, SB_ERR_STATE, "the daemon did not start on the in-process exchange (state %s)",
		            bot_state_name(b->state));
	return SB_OK;
}

/* ---- the run ------------------------------------------------------------------------------------------- */

static struct sb_bn_candle candle_of(const struct sb_kline *k)
{
	return (struct sb_bn_candle){
	    .open_time = k->open_time,
	    .close_time = k->close_time,
	    .open = k->open,
	    .high = k->high,
	    .low = k->low,
	    .close = k->close,
	    .volume = k->volume,
	    .quote_volume = k->quote_volume,
	    .trades = k->trades,
	    .taker_buy_base = k->taker_buy_volume,
	    .taker_buy_quote = k->taker_buy_quote_volume,
	};
}

/* Feeds the candle c of set symbol i (already read) and every one after it. */
static sb_err feed(struct bt_run *r, size_t i, struct sb_kline c, struct sb_bt_report *out)
{
	for (;;) {
		size_t k = r->pair_of[i];
		if (k != BT_NOPAIR) {
			struct sb_bn_candle bc = candle_of(&c);
			const char *sym = r->b->pairs[k].cfg.symbol;
			sb_err err = sb_bt_exchange_candle(r->b->ex, sym, &bc);
			if (err != SB_OK) {
				char t[SB_CLOCK_RFC3339_MS_SIZE];
				sb_clock_format_rfc3339_ms(c.open_time, t, sizeof t);
				return fail(r, err, "%s candle of %s: the exchange refuses it: %s", sym, t,
				            sb_strerror(err));
			}
			r->last[k] = c.close;
			out->candles++;
			out->to_ms = c.close_time;
		}
		bool done = false;
		sb_err err = sb_kline_set_next(r->set, &i, &c, &done);
		if (err != SB_OK)
			return fail(r, err, "%s", sb_kline_set_error(r->set));
		if (done)
			return SB_OK;
	}
}

/* What the run took, from the exchange's counters and the store's. */
static void work(const struct bt_run *r, struct sb_bt_work *out)
{
	struct sb_exchange_stats st;
	sb_exchange_stats(r->b->ex, &st);
	*out = (struct sb_bt_work){.market_events = st.market.events,
	                           .exec_reports = st.user.exec_reports,
	                           .requests = st.rest.calls,
	                           .commits = sb_store_commits(r->b->st)};
}

/* The results: each pair's positions from the database, the account's balances from the ledger. */
static sb_err results(struct bt_run *r, const struct sb_bt_balance *start, size_t nstart,
                      struct sb_bt_report *out)
{
	struct sb_bot *b = r->b;
	out->pairs = sb_xcalloc(b->npairs ? b->npairs : 1, sizeof *out->pairs);
	for (size_t k = 0; k < b->npairs; k++) {
		if (b->pairs[k].removed)
			continue;
		sb_err err =
		    sb_bt_report_pair(b->st, b->pairs[k].cfg.symbol, r->last[k], &out->pairs[out->npairs++]);
		if (err != SB_OK)
			return fail(r, err, "reading the results of %s: %s", b->pairs[k].cfg.symbol,
			            err == SB_ERR_RANGE ? "more positions than one listing holds"
			                                : sb_store_last_error(b->st));
	}
	sb_bt_report_total(out);
	work(r, &out->work);
	memcpy(out->balances, start, nstart * sizeof *start);
	out->nbalances = nstart;
	const struct sim_account *a = sim_exchange_account(r->sim, BT_KEY, strlen(BT_KEY));
	const struct sim_ledger_asset *rows = NULL;
	size_t n = 0;
	SB_TRY(sim_ledger_balances(r->sim->ledger, a->id, &rows, &n));
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < out->nbalances && strcmp(out->balances[j].asset, rows[i].asset) != 0)
			j++;
		if (j == SB_BT_ASSETS_MAX)
			continue;
		if (j == out->nbalances) {
			memset(&out->balances[j], 0, sizeof out->balances[j]);
			snprintf(out->balances[j].asset, sizeof out->balances[j].asset, "%s", rows[i].asset);
			out->nbalances++;
		}
		(void)sb_dec_add(rows[i].free, rows[i].locked, &out->balances[j].end);
	}
	return SB_OK;
}

static void teardown(struct bt_run *r)
{
	struct sb_bot *b = r->b;
	if (b) {
		struct sb_exchange *ex = b->ex;
		b->ex = NULL;
		b->closed = true;
		sb_exchange_free(ex);
		bot_timers_free(b);
		orders_free_all(b);
		free(b->pairs);
		sb_store_close(b->st);
		sb_clock_free(b->clock);
		free(b);
	}
	if (r->sim) {
		sim_exchange_stop(r->sim);
		uv_run(&r->loop, UV_RUN_DEFAULT);
		sim_exchange_free(r->sim);
	}
	if (r->have_loop)
		uv_loop_close(&r->loop);
	if (r->temp_db) {
		static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
		for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
			char p[sizeof r->db + 16];
			snprintf(p, sizeof p, "%s%s", r->db, tails[i]);
			(void)unlink(p);
		}
	}
	free(r->simo);
	free(r->pair_of);
	free(r->last);
	sb_kline_set_free(r->set);
}

static sb_err run(struct bt_run *r, struct sb_bt_report *out)
{
	const struct sb_bt_run_opts *o = r->o;
	const char *balance = o->balance ? o->balance : SB_BT_BALANCE_DEFAULT;
	struct sb_bt_balance start[SB_BT_ASSETS_MAX];
	size_t nstart = 0;
	SB_TRY(balance_walk(balance, start, &nstart, r->err, r->cap));
	if (sb_bot_check_config(o->cfg, stderr) != SB_OK)
		return fail(r, SB_ERR_CONFIG, "the configuration cannot be traded (see above)");
	SB_TRY(sb_kline_set_open(o->paths, o->npaths, o->from_ms, o->to_ms, &r->set, r->err, r->cap));
	/* Decompressing and parsing the files take the second core; without a thread they take this one. */
	(void)sb_kline_set_read_ahead(r->set);
	size_t i = 0;
	struct sb_kline first;
	bool done = false;
	if (sb_kline_set_next(r->set, &i, &first, &done) != SB_OK)
		return fail(r, SB_ERR_PARSE, "%s", sb_kline_set_error(r->set));
	if (done)
		return fail(r, SB_ERR_NOT_FOUND, "the data holds no candle between --from and --to");
	r->start_ms = r->now_ms = first.open_time;
	out->from_ms = first.open_time;
	SB_TRY(make_bot(r));
	r->last = sb_xcalloc(r->b->npairs ? r->b->npairs : 1, sizeof *r->last);
	SB_TRY(make_sim(r, balance));
	SB_TRY(start_bot(r));
	SB_TRY(feed(r, i, first, out));
	while (sb_bt_exchange_pump(r->b->ex) > 0)
		;
	return results(r, start, nstart, out);
}

sb_err sb_bt_run(const struct sb_bt_run_opts *o, struct sb_bt_report *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	if (!o || !o->cfg || !err || cap == 0)
		return SB_ERR_INVALID;
	err[0] = '\0';
	struct bt_run r = {.o = o, .err = err, .cap = cap};
	sb_err e = run(&r, out);
	teardown(&r);
	if (e != SB_OK)
		sb_bt_report_fini(out);
	return e;
}

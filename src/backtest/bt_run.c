/*
 * bt_run.c - the backtest's driver (bt_run.h): the daemon built around spotsim's in-process exchange on a
 * virtual clock, candles fed in time order, results read back from the run's database and the ledger.
 *
 * Time: the exchange's clock is market time, starting at the first candle's open time. Each trade of a
 * candle's path reaches that clock before it applies, and the daemon's virtual clock runs every timer due
 * by then (its tick: prices, orders, strategy), so the daemon sees time pass exactly as the market moves.
 */
#include "backtest/bt_run.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "backtest/bt_derive.h"
#include "backtest/bt_exchange.h"
#include "backtest/bt_fills.h"
#include "backtest/bt_track.h"
#include "bot/bot_int.h"
#include "sim/derive.h"
#include "sim/exchange.h"
#include "sim/ledger.h"
#include "sim/options.h"
#include "spotbot/alloc.h"
#include "spotbot/bnb.h"
#include "spotbot/bot.h"
#include "spotbot/clock.h"
#include "spotbot/kline_set.h"
#include "spotbot/log.h"

#define BT_KEY    "backtest"         /* the in-process exchange's one account */
#define BT_NOPAIR ((size_t)SIZE_MAX) /* a data symbol no pair trades */
#define BT_PRICE  (BT_NOPAIR - 1)    /* a BNB<QUOTE> symbol fed only to price commission paid in BNB */
#define BT_GAP_MS 600000             /* a hole in the market longer than this rests the tick */

/* One run's state (large parts on the heap). */
struct bt_run {
	const struct sb_bt_run_opts *o; /* what to run */
	struct sb_kline_set *set;       /* the candles */
	size_t *pair_of;                /* per symbol of the set: the pair's index, BT_PRICE or BT_NOPAIR */
	uv_loop_t loop;           /* spotsim's exchange is made on a loop, which never runs its timers */
	bool have_loop;           /* loop initialised */
	struct sim_options *simo; /* spotsim's options */
	struct sim_exchange *sim; /* spotsim's exchange */
	struct bt_derive derive;  /* rules of symbols no list has, from the data */
	struct sb_bot *b;         /* the daemon */
	int64_t start_ms;         /* market time the daemon's clock started at */
	int64_t now_ms;           /* market time now */
	bool have_log;            /* the daemon's log was opened for the run */
	sb_dec *last;             /* per pair: its last close */
	struct sb_bt_track *tr;   /* prices, equity and holding as the run goes (to the report) */
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

/* ---- the daemon's log ---------------------------------------------------------------------------------- */

static int64_t log_now(void *user)
{
	return ((struct bt_run *)user)->now_ms;
}

/*
 * The daemon's log for the run: appended to --log FILE at LOG_LEVEL, or written nowhere with its warnings
 * and errors counted for the summary; either way its lines are stamped with market time.
 */
static sb_err open_log(struct bt_run *r)
{
	struct sb_log_opts lo = {.name = "spotbot.log", .discard = true, .level = SB_LOG_WARN};
	char dir[4096] = ".", name[256] = "";
	const char *path = r->o->log_path;
	if (path) {
		FILE *f = fopen(path, "a");
		if (!f)
			return fail(r, SB_ERR_IO, "--log %s: %s", path, strerror(errno));
		fclose(f);
		const char *slash = strrchr(path, '/');
		if (slash)
			snprintf(dir, sizeof dir, "%.*s", (int)(slash - path) + (slash == path), path);
		snprintf(name, sizeof name, "%s", slash ? slash + 1 : path);
		lo = (struct sb_log_opts){
		    .dir = dir, .name = name, .error_name = "", .level = bot_log_level(r->o->cfg->log_level)};
	}
	sb_err err = sb_log_open(&lo);
	if (err != SB_OK)
		return fail(r, err, "--log %s: %s", path ? path : "", sb_strerror(err));
	sb_log_set_clock(log_now, r);
	r->have_log = true;
	return SB_OK;
}

/* Puts the log back as it was before the run and says in one line what the daemon warned about. */
static void close_log(struct bt_run *r)
{
	if (!r->have_log)
		return;
	sb_log_set_clock(NULL, NULL);
	sb_log_close();
	uint64_t warn = sb_log_count(SB_LOG_WARN), error = sb_log_count(SB_LOG_ERROR);
	if (r->o->notes && (warn || error))
		fprintf(r->o->notes,
		        "spotbot backtest: the daemon logged %" PRIu64 " warning%s and %" PRIu64
		        " error%s%s%s\n",
		        warn, warn == 1 ? "" : "s", error, error == 1 ? "" : "s",
		        r->o->log_path ? ": see " : " (--log FILE keeps its log)",
		        r->o->log_path ? r->o->log_path : "");
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

/* With --bnb-fees: true for BNB<QUOTE> when QUOTE ends a pair's symbol (the quote asset its name
 * suggests; bnb_fees_check confirms it from the exchange's rules), so BNB commission on that pair can be
 * valued in its quote asset. */
static bool bnb_price_symbol(const struct bt_run *r, const char *symbol)
{
	if (!r->o->bnb_fees || strncmp(symbol, SIM_LEDGER_BNB, 3) != 0)
		return false;
	for (size_t k = 0; k < r->b->npairs; k++) {
		char base[SB_SYMBOL_MAX], quote[SB_SYMBOL_MAX];
		if (!r->b->pairs[k].removed &&
		    sim_derive_assets(r->b->pairs[k].cfg.symbol, base, quote) == SB_OK &&
		    strcmp(quote, symbol + 3) == 0)
			return true;
	}
	return false;
}

/* Matches the set's symbols to the pairs: a pair without data is an error, data without a pair a note
 * (but for the BNB prices --bnb-fees needs). */
static sb_err match_pairs(struct bt_run *r)
{
	struct sb_bot *b = r->b;
	size_t ns = sb_kline_set_symbols(r->set);
	r->pair_of = sb_xcalloc(ns ? ns : 1, sizeof *r->pair_of);
	for (size_t i = 0; i < ns; i++) {
		const char *sym = sb_kline_set_symbol(r->set, i);
		struct bot_pair *pr = bot_pair_find(b, sym);
		r->pair_of[i] = pr                         ? (size_t)(pr - b->pairs)
		                : bnb_price_symbol(r, sym) ? BT_PRICE
		                                           : BT_NOPAIR;
		if (r->pair_of[i] == BT_NOPAIR && r->o->notes)
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

/* spotsim's command line for the run's exchange (argv[0] included): at most BT_SIM_ARGS words, copied. */
#define BT_SIM_ARGS 16

struct sim_argv {
	char *v[BT_SIM_ARGS + 1]; /* the words, NULL-terminated, pointing into text */
	int n;                    /* words in v */
	char text[16384];         /* the words' bytes */
	size_t used;              /* bytes of text in use */
};

/* Appends word; false when it does not fit. */
static bool sim_arg(struct sim_argv *a, const char *word)
{
	size_t len = strlen(word) + 1;
	if (a->n == BT_SIM_ARGS || len > sizeof a->text - a->used)
		return false;
	a->v[a->n++] = memcpy(a->text + a->used, word, len);
	a->v[a->n] = NULL;
	a->used += len;
	return true;
}

/* The words of spotsim's command line for the run: the pairs' symbols, the account funded with balance,
 * the fill model. False when they do not fit. */
static bool sim_command(const struct bt_run *r, const char *balance, struct sim_argv *a)
{
	char symbols[2 * SB_PAIRS_MAX * SB_SYMBOL_MAX] = "", account[1024];
	size_t len = 0;
	for (size_t k = 0; k < r->b->npairs; k++)
		if (!r->b->pairs[k].removed)
			len += (size_t)snprintf(symbols + len, sizeof symbols - len, "%s%s", len ? "," : "",
			                        r->b->pairs[k].cfg.symbol);
	for (size_t i = 0; i < sb_kline_set_symbols(r->set); i++)
		if (r->pair_of[i] == BT_PRICE)
			len += (size_t)snprintf(symbols + len, sizeof symbols - len, ",%s",
			                        sb_kline_set_symbol(r->set, i));
	snprintf(account, sizeof account, "%s:%s:%s", BT_KEY, BT_KEY, balance);
	bool ok = sim_arg(a, "spotsim") && sim_arg(a, "--symbols") && sim_arg(a, symbols) &&
	          sim_arg(a, "--account") && sim_arg(a, account) && sim_arg(a, "--fill") &&
	          sim_arg(a, sim_fill_model_name(r->o->fill));
	if (ok && r->o->exchange_info)
		ok = sim_arg(a, "--exchange-info") && sim_arg(a, r->o->exchange_info);
	return ok;
}

/* spotsim's last source of rules: a symbol no list has gets rules derived from the run's data. */
static sb_err derived_rules(void *ctx, const char *symbol, struct cJSON **info, FILE *err)
{
	return bt_derive_info(&((struct bt_run *)ctx)->derive, symbol, info, err);
}

/* spotsim's exchange, built from sim_command's words as spotsim builds its own. */
static sb_err make_sim(struct bt_run *r, const char *balance)
{
	static struct sim_argv a; /* large: not on the stack */
	memset(&a, 0, sizeof a);
	if (!sim_command(r, balance, &a))
		return fail(r, SB_ERR_TOO_LONG, "PAIRS and --balance do not fit spotsim's command line");
	char msg[2048] = "";
	FILE *f = fmemopen(msg, sizeof msg - 1, "w");
	if (!f)
		return fail(r, SB_ERR_NOMEM, "out of memory");
	r->simo = sb_xcalloc(1, sizeof *r->simo);
	sb_err err = sim_options_parse(a.n, a.v, r->simo, f);
	/* The daemon asks the exchange for no candles or recent trades: keeping them would cost every
	 * trade of every path 16 candle updates, and each symbol 2 MB. */
	r->simo->no_market_data = true;
	if (err == SB_OK) {
		if (uv_loop_init(&r->loop) != 0)
			err = SB_ERR_IO;
		else
			r->have_loop = true;
	}
	r->derive = (struct bt_derive){.paths = r->o->paths,
	                               .npaths = r->o->npaths,
	                               .from_ms = r->o->from_ms,
	                               .to_ms = r->o->to_ms,
	                               .notes = r->o->notes};
	struct sim_exchange_hooks hooks = {.ctx = r, .symbol_info = derived_rules};
	if (err == SB_OK)
		err = sim_exchange_new(&r->loop, r->simo, &hooks, f, &r->sim);
	fclose(f);
	if (err != SB_OK) {
		msg[strcspn(msg, "\n")] = '\0';
		return fail(r, SB_ERR_NOT_FOUND, "the exchange cannot list PAIRS: %s", msg);
	}
	return SB_OK;
}

/*
 * With --bnb-fees: the account pays commission in BNB (at the ledger's discount) whenever it holds enough,
 * which needs each pair's BNB<QUOTE> market, priced from its own candles in the data (a pair quoted in BNB
 * needs none). Until its first candle a BNB market has no price, and commission is paid in the asset
 * received, as the exchange does without a BNB price.
 */
static sb_err bnb_fees_setup(struct bt_run *r)
{
	if (!r->o->bnb_fees)
		return SB_OK;
	for (size_t k = 0; k < r->b->npairs; k++) {
		const char *pair = r->b->pairs[k].cfg.symbol;
		const struct sim_symbol *s = sim_exchange_symbol(r->sim, pair, strlen(pair));
		if (r->b->pairs[k].removed || !s || strcmp(s->rules.quote_asset, SIM_LEDGER_BNB) == 0)
			continue;
		char name[SB_SYMBOL_MAX + 4];
		snprintf(name, sizeof name, "%s%s", SIM_LEDGER_BNB, s->rules.quote_asset);
		struct sim_symbol *bnb = sim_exchange_symbol(r->sim, name, strlen(name));
		if (!bnb) {
			const char *iv = "1m";
			for (size_t i = 0; i < sb_kline_set_symbols(r->set); i++)
				if (r->pair_of[i] == k)
					iv = sb_kline_set_interval(r->set, i);
			return fail(
			    r, SB_ERR_NOT_FOUND,
			    "--bnb-fees: BNB commission on %s is valued at %s, and the data has no %s: "
			    "give its kline files with --data too (%s-%s-YYYY-MM.zip, as `spotbot data "
			    "download %s %s FROM TO` fetches them)",
			    pair, name, name, name, iv, name, iv);
		}
		bnb->last_price = 0;
	}
	const struct sim_account *a = sim_exchange_account(r->sim, BT_KEY, strlen(BT_KEY));
	return sim_ledger_set_bnb_fees(r->sim->ledger, a->id, true);
}

/* The adapter between them, and the daemon's start-up on it as `run` starts. */
static sb_err start_bot(struct bt_run *r)
{
	struct sb_bot *b = r->b;
	struct sb_exchange_events ev = bot_exchange_events(b);
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

/* The account's balances from the ledger, for the tracker's equity. */
static size_t balances_now(void *user, const char **assets, sb_dec *amounts, size_t cap)
{
	struct bt_run *r = user;
	const struct sim_account *a = sim_exchange_account(r->sim, BT_KEY, strlen(BT_KEY));
	const struct sim_ledger_asset *rows = NULL;
	size_t n = 0;
	if (!a || sim_ledger_balances(r->sim->ledger, a->id, &rows, &n) != SB_OK)
		return 0;
	for (size_t i = 0; i < n && i < cap; i++) {
		assets[i] = rows[i].asset;
		if (sb_dec_add(rows[i].free, rows[i].locked, &amounts[i]) != SB_OK)
			amounts[i] = 0;
	}
	return n < cap ? n : cap;
}

/* The tracker of the pairs, with their assets as the exchange's rules name them. */
static void make_track(struct bt_run *r, const struct sb_bt_balance *start, size_t nstart)
{
	struct sb_bot *b = r->b;
	struct sb_bt_track_pair *tp = sb_xcalloc(b->npairs ? b->npairs : 1, sizeof *tp);
	for (size_t k = 0; k < b->npairs; k++) {
		snprintf(tp[k].symbol, sizeof tp[k].symbol, "%s", b->pairs[k].cfg.symbol);
		snprintf(tp[k].base, sizeof tp[k].base, "%s", b->pairs[k].rules.base_asset);
		snprintf(tp[k].quote, sizeof tp[k].quote, "%s", b->pairs[k].rules.quote_asset);
	}
	r->tr = sb_bt_track_new(tp, b->npairs, start, nstart, balances_now, r);
	free(tp);
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

/* Applies candle c of sym to the exchange, walked as its price path. */
static sb_err apply_candle(struct bt_run *r, const char *sym, const struct sb_kline *c)
{
	struct sb_bn_candle bc = candle_of(c);
	sb_err err = sb_bt_exchange_candle(r->b->ex, sym, &bc);
	if (err != SB_OK) {
		char t[SB_CLOCK_RFC3339_MS_SIZE];
		sb_clock_format_rfc3339_ms(c->open_time, t, sizeof t);
		return fail(r, err, "%s candle of %s: the exchange refuses it: %s", sym, t, sb_strerror(err));
	}
	return SB_OK;
}

/* Feeds the candle c of set symbol i (already read) and every one after it. */
static sb_err feed(struct bt_run *r, size_t i, struct sb_kline c, struct sb_bt_report *out)
{
	for (;;) {
		size_t k = r->pair_of[i];
		if (k == BT_PRICE)
			SB_TRY(apply_candle(r, sb_kline_set_symbol(r->set, i), &c));
		if (k < BT_PRICE) {
			sb_bt_track_candle(r->tr, k, &c);
			SB_TRY(apply_candle(r, r->b->pairs[k].cfg.symbol, &c));
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

/* A pair none of whose candles fell in the window was never traded: its results would mean nothing. */
static sb_err every_pair_fed(struct bt_run *r)
{
	for (size_t k = 0; k < r->b->npairs; k++)
		if (!r->b->pairs[k].removed && r->last[k] == 0)
			return fail(
			    r, SB_ERR_NOT_FOUND,
			    "PAIRS: %s has no candle between --from and --to (its files hold other dates)",
			    r->b->pairs[k].cfg.symbol);
	return SB_OK;
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
			            sb_store_last_error(b->st));
	}
	sb_bt_report_track(out, r->tr);
	r->tr = NULL;
	for (size_t i = 0; i < out->npairs; i++) {
		sb_err err = sb_bt_report_fills(b->st, out->track, &out->pairs[i]);
		if (err != SB_OK)
			return fail(r, err, "reading the fills of %s: %s", out->pairs[i].symbol,
			            sb_store_last_error(b->st));
	}
	sb_bt_report_total(out);
	out->pairs_text = sb_xstrdup(r->o->cfg->pairs ? r->o->cfg->pairs : "");
	snprintf(out->balance, sizeof out->balance, "%s",
	         r->o->balance ? r->o->balance : SB_BT_BALANCE_DEFAULT);
	out->path = r->o->path_trades == SB_BT_PATH_FINE ? "fine" : "coarse";
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
	sb_bt_track_free(r->tr);
	free(r->simo);
	bt_derive_fini(&r->derive);
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
	SB_TRY(open_log(r));
	SB_TRY(make_bot(r));
	r->last = sb_xcalloc(r->b->npairs ? r->b->npairs : 1, sizeof *r->last);
	SB_TRY(make_sim(r, balance));
	SB_TRY(bnb_fees_setup(r));
	SB_TRY(start_bot(r));
	make_track(r, start, nstart);
	SB_TRY(feed(r, i, first, out));
	while (sb_bt_exchange_pump(r->b->ex) > 0)
		;
	SB_TRY(every_pair_fed(r));
	sb_bt_track_end(r->tr);
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
	close_log(&r);
	if (e != SB_OK)
		sb_bt_report_fini(out);
	return e;
}

bool sb_bt_run_user_error(sb_err e)
{
	return !(e == SB_ERR_STATE || e == SB_ERR_NOMEM || e == SB_ERR_DB || e == SB_ERR_DB_FULL ||
	         e == SB_ERR_DB_READONLY || e == SB_ERR_DB_BUSY);
}

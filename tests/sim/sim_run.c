/*
 * sim_run.c - one seed's run: the daemon built as `spotbot run` builds it, but on a virtual clock and
 * against spotsim's exchange in-process behind the fault-injecting wrapper (sim_fault.c), its store a real
 * SQLite file in a temporary directory. Every decision is drawn from the seed.
 *
 * The run alternates stretches of chaos (four to eight simulated hours: fault rates drawn for the stretch,
 * operator actions, restarts and crashes) with a calm of SIM_SETTLE_MS (no new faults; what the wrapper
 * holds back is still delivered when due). The market moves every step (a few seconds to a minute of
 * market time) all the way. The running invariants are checked every o->check_every steps and after
 * every restart and crash; the settled ones at the end of every calm (sim_check.h).
 *
 * A crash drops every in-memory object of the daemon without a word to it and builds a new one from the
 * database, as a process killed and started again: either between two steps, or at one of the daemon's
 * crash points (src/bot/crashpoint.c), reached in-process through its hook, which long-jumps out of the
 * daemon. Frames it unwinds are abandoned as a dead process's memory is, so LeakSanitizer is off for the
 * program (the ASan build still checks every access).
 */
#include <inttypes.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "backtest/bt_exchange.h"
#include "bot/bot_int.h"
#include "bot/control.h"
#include "sim.h"
#include "sim/book.h"
#include "sim/exchange.h"
#include "sim/ledger.h"
#include "sim/options.h"
#include "spotbot/alloc.h"
#include "spotbot/profit.h"

#include <cjson/cJSON.h>

#define SIM_KEY       "sim"                     /* the daemon's account on the exchange */
#define SIM_FUNDS     "USDT=10000"              /* its starting balance */
#define SIM_SYMBOLS   "BTCUSDT,ETHUSDT,BNBUSDT" /* the pairs' symbols */
#define SIM_NSYM      3                         /* how many */
#define SIM_START_MS  1767225600000             /* 2026-01-01T00:00:00Z */
#define SIM_DAY_MS    86400000                  /* one simulated day */
#define SIM_SETTLE_MS (30 * 60000)              /* the calm after each stretch: the settling bound */
#define SIM_CHAOS_MS  (4 * 3600000)             /* a stretch of chaos lasts this ... */
#define SIM_CHAOS_ADD (4 * 3600000)             /* ... plus up to this */
#define SIM_STEP_MAX  60000                     /* a market step is 1 s to this long */
#define SIM_QUOTE_VOL SB_DEC_C(2000, 0)         /* quote volume of each market trade */

/* One seed's run (large: on the heap). */
struct run {
	const struct sim_opts *o;             /* what to run */
	struct sim_result *res;               /* what it came to */
	struct sim_rng rng;                   /* the seed's generator */
	char dir[64];                         /* the temporary directory */
	char db[128];                         /* the database in it */
	sqlite3 *conn;                        /* the checker's own connection to it */
	uv_loop_t loop;                       /* spotsim's exchange is made on a loop that never runs */
	struct sim_options simo;              /* spotsim's options */
	struct sim_exchange *sim;             /* spotsim's exchange */
	uint32_t account;                     /* the daemon's account on it */
	struct sim_ledger_asset *start;       /* the account's balances at the start (owned) */
	size_t nstart;                        /* entries */
	struct sb_config cfg;                 /* the daemon's configuration now */
	bool have_cfg;                        /* cfg is loaded */
	char pairs[4096];                     /* its PAIRS */
	struct sb_bot *b;                     /* the daemon; NULL while down */
	struct simf *f;                       /* its exchange wrapper */
	struct control_manual *manual;        /* its manual actions */
	int64_t now;                          /* the run's time (wall ms) */
	int64_t clock0;                       /* wall time at which the daemon's clock started */
	int64_t skew;                         /* the exchange's clock minus the daemon's */
	bool forget;                          /* the exchange forgets finished, unexecuted orders */
	bool calm;                            /* no new faults */
	struct simf_rates rates;              /* the wrapper's rates in this stretch */
	uint64_t wcounts[SIMF__COUNT];        /* faults counted by wrappers since freed */
	struct sim_market mk[SIM_NSYM];       /* the markets */
	const char *symbols[SIM_NSYM];        /* their symbols */
	struct simc_send *sends;              /* orders sent since the last check (owned) */
	size_t nsends, capsends;              /* used, allocated */
	char (*lost)[SB_STORE_CLIENT_ID_MAX]; /* orders the exchange was made to forget, sorted (owned) */
	size_t nlost, caplost;                /* used, allocated */
	uint8_t *seen;                 /* by position id: 1 its first buy was sent, 2 its profit checked */
	size_t capseen;                /* entries */
	jmp_buf jmp;                   /* where a crash point's crash lands */
	bool crash_armed;              /* reaching crash_at crashes the daemon */
	enum bot_crash_point crash_at; /* the crash point armed */
	int64_t unlock_at;             /* the checker's connection holds the write lock until then; 0 */
	bool db_restart;               /* the daemon found its database writable again: restart it */
};

/* The run under way: the daemon's continuations know only the daemon. */
static struct run *the_run;

static int64_t run_now(void *user)
{
	return ((struct run *)user)->now;
}

/* The exchange's clock: the run's, skewed. */
static int64_t exchange_now(void *user)
{
	struct run *r = user;
	return r->now + r->skew;
}

static void note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One line of the event log: simulated time since the start, then what happened. */
static void note(struct run *r, const char *fmt, ...)
{
	if (!r->o->log)
		return;
	int64_t t = (r->now - SIM_START_MS) / 1000;
	fprintf(r->o->log, "seed %" PRIu64 " +%" PRId64 "d%02" PRId64 ":%02" PRId64 ":%02" PRId64 " ",
	        r->o->seed, t / 86400, t / 3600 % 24, t / 60 % 60, t % 60);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(r->o->log, fmt, ap);
	va_end(ap);
	fputc('\n', r->o->log);
}

static void on_violation(void *user, const char *text)
{
	struct run *r = user;
	int64_t t = (r->now - SIM_START_MS) / 1000;
	fprintf(r->o->out, "simulate: seed %" PRIu64 " at +%" PRId64 "s: violation: %s\n", r->o->seed, t,
	        text);
}

/* ---- the database, read as another process would ------------------------------------------------------- */

static sqlite3_stmt *prep(struct run *r, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(r->conn, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(r->o->out, "simulate: %s: %s\n", sql, sqlite3_errmsg(r->conn));
		abort();
	}
	return s;
}

static void text_col(sqlite3_stmt *s, int col, char *buf, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	snprintf(buf, cap, "%s", t ? (const char *)t : "");
}

static enum sb_order_state status_col(sqlite3_stmt *s, int col)
{
	char t[32];
	text_col(s, col, t, sizeof t);
	enum sb_order_state st = SB_ORDER_UNKNOWN;
	(void)sb_order_state_parse(t, strlen(t), &st);
	return st;
}

/* ---- the exchange's records ---------------------------------------------------------------------------- */

/* Where coid is, or would go, in the sorted list of lost orders. */
static size_t lost_at(const struct run *r, const char *coid, bool *found)
{
	size_t lo = 0, hi = r->nlost;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(r->lost[mid], coid);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_lost(void *user, const char *coid)
{
	bool found;
	(void)lost_at(user, coid, &found);
	return found;
}

/* The exchange forgets coid for good. */
static void lose(void *user, const char *coid)
{
	struct run *r = user;
	bool found;
	size_t at = lost_at(r, coid, &found);
	if (found)
		return;
	if (r->nlost == r->caplost)
		r->lost =
		    sb_xrealloc(r->lost, (r->caplost = r->caplost ? 2 * r->caplost : 8) * sizeof *r->lost);
	memmove(&r->lost[at + 1], &r->lost[at], (r->nlost - at) * sizeof *r->lost);
	snprintf(r->lost[at], sizeof *r->lost, "%s", coid);
	r->nlost++;
}

/* Every order of the account on the exchange (*out owned by the caller). */
static size_t exchange_orders(struct run *r, struct simc_xorder **out)
{
	size_t n = 0, cap = 64;
	struct simc_xorder *v = sb_xmalloc(cap * sizeof *v);
	for (size_t i = 0; i < r->sim->nsymbols; i++) {
		const struct sim_book *book = r->sim->symbols[i].book;
		uint64_t last = sim_book_last_order_id(book);
		for (uint64_t id = 1; id <= last; id++) {
			const struct sim_book_order *o = sim_book_find(book, id);
			if (!o || o->account != r->account)
				continue;
			if (n == cap)
				v = sb_xrealloc(v, (cap *= 2) * sizeof *v);
			struct simc_xorder *x = &v[n++];
			memset(x, 0, sizeof *x);
			snprintf(x->coid, sizeof x->coid, "%s", o->client_id);
			snprintf(x->symbol, sizeof x->symbol, "%s", r->sim->symbols[i].rules.symbol);
			x->status = o->status;
			x->final = sb_order_state_is_final(x->status);
			x->executed = o->executed_qty;
			x->forgotten = is_lost(r, x->coid);
		}
	}
	*out = v;
	return n;
}

/* Every order row of the database with the sum of its fills (*out owned by the caller). */
static size_t db_orders(struct run *r, struct simc_dorder **out)
{
	sqlite3_stmt *s = prep(r, "SELECT client_order_id, symbol, status, executed_qty,"
	                          " (SELECT COALESCE(SUM(qty), 0) FROM fills f"
	                          "  WHERE f.client_order_id = o.client_order_id) FROM orders o");
	size_t n = 0, cap = 64;
	struct simc_dorder *v = sb_xmalloc(cap * sizeof *v);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap)
			v = sb_xrealloc(v, (cap *= 2) * sizeof *v);
		struct simc_dorder *d = &v[n++];
		text_col(s, 0, d->coid, sizeof d->coid);
		text_col(s, 1, d->symbol, sizeof d->symbol);
		d->status = status_col(s, 2);
		d->executed = sqlite3_column_int64(s, 3);
		d->filled = sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	*out = v;
	return n;
}

/* The asset's row in v[0..*n), added when missing. */
static struct simc_asset *asset_row(struct simc_asset *v, size_t *n, size_t cap, const char *asset)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].asset, asset) == 0)
			return &v[i];
	if (*n == cap)
		return NULL;
	memset(&v[*n], 0, sizeof v[*n]);
	snprintf(v[*n].asset, sizeof v[*n].asset, "%s", asset);
	return &v[(*n)++];
}

/* Each asset's change on the ledger since the start, and the change the database's fills account for. */
static size_t assets(struct run *r, struct simc_asset *v, size_t cap)
{
	size_t n = 0;
	const struct sim_ledger_asset *rows = NULL;
	size_t nrows = 0;
	if (sim_ledger_balances(r->sim->ledger, r->account, &rows, &nrows) != SB_OK)
		nrows = 0;
	for (size_t i = 0; i < nrows; i++) {
		struct simc_asset *a = asset_row(v, &n, cap, rows[i].asset);
		if (a)
			a->ledger_delta += rows[i].free + rows[i].locked;
	}
	for (size_t i = 0; i < r->nstart; i++) {
		struct simc_asset *a = asset_row(v, &n, cap, r->start[i].asset);
		if (a)
			a->ledger_delta -= r->start[i].free + r->start[i].locked;
	}
	sqlite3_stmt *s =
	    prep(r, "SELECT o.symbol, o.side, f.qty, f.quote_qty, f.commission, f.commission_asset"
	            " FROM fills f JOIN orders o ON o.client_order_id = f.client_order_id");
	while (sqlite3_step(s) == SQLITE_ROW) {
		char sym[SB_SYMBOL_MAX], side[8], fee_asset[SIMC_ASSET_MAX];
		text_col(s, 0, sym, sizeof sym);
		text_col(s, 1, side, sizeof side);
		text_col(s, 5, fee_asset, sizeof fee_asset);
		const struct sim_symbol *ss = sim_exchange_symbol(r->sim, sym, strlen(sym));
		struct simc_asset *base = ss ? asset_row(v, &n, cap, ss->rules.base_asset) : NULL;
		struct simc_asset *quote = ss ? asset_row(v, &n, cap, ss->rules.quote_asset) : NULL;
		struct simc_asset *fee = fee_asset[0] ? asset_row(v, &n, cap, fee_asset) : NULL;
		if (!base || !quote)
			continue;
		int64_t sign = strcmp(side, "BUY") == 0 ? 1 : -1;
		base->fills_delta += sign * sqlite3_column_int64(s, 2);
		quote->fills_delta -= sign * sqlite3_column_int64(s, 3);
		if (fee)
			fee->fills_delta -= sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	return n;
}

static uint8_t *seen(struct run *r, int64_t id)
{
	if (id < 0)
		id = 0;
	if ((size_t)id >= r->capseen) {
		size_t cap = r->capseen ? r->capseen : 256;
		while (cap <= (size_t)id)
			cap *= 2;
		r->seen = sb_xrealloc(r->seen, cap);
		memset(r->seen + r->capseen, 0, cap - r->capseen);
		r->capseen = cap;
	}
	return &r->seen[id];
}

/* The exchange's trades of the account's order coid on symbol, as fills, appended to *v. False when the
 * exchange no longer keeps all of them (its ring of recent trades moved on). */
static bool order_trades(struct run *r, const char *symbol, const char *coid, struct sb_fill **v, size_t *n,
                         size_t *cap)
{
	const struct sim_symbol *ss = sim_exchange_symbol(r->sim, symbol, strlen(symbol));
	if (!ss)
		return false;
	const struct sim_book_order *o = sim_book_find_client(ss->book, r->account, coid, strlen(coid));
	if (!o)
		return true; /* never on the exchange: no trades */
	const struct sim_account *a = sim_exchange_account_by_id(r->sim, r->account);
	sb_dec sum = 0;
	for (size_t k = 0; k < a->ntrades; k++) {
		size_t i =
		    a->ntrades < SIM_TRADES_PER_ACCOUNT ? k : (a->trades_next + k) % SIM_TRADES_PER_ACCOUNT;
		const struct sim_trade_rec *t = &a->trades[i];
		if (t->symbol != ss->index || t->order_id != o->id)
			continue;
		if (*n == *cap)
			*v = sb_xrealloc(*v, (*cap = *cap ? 2 * *cap : 16) * sizeof **v);
		struct sb_fill *f = &(*v)[(*n)++];
		*f = (struct sb_fill){.price = t->price,
		                      .qty = t->qty,
		                      .quote_qty = t->quote_qty,
		                      .commission = t->commission,
		                      .trade_id = t->id};
		snprintf(f->commission_asset, sizeof f->commission_asset, "%s", t->commission_asset);
		sum += t->qty;
	}
	return sum == o->executed_qty;
}

/* A closed position's profit from the exchange's trades of its orders. */
static void closed_profit(struct run *r, struct simc_closed *c, const char *symbol)
{
	struct sb_fill *buys = NULL, *sells = NULL;
	size_t nb = 0, ns = 0, cb = 0, cs = 0;
	bool whole = true;
	sqlite3_stmt *s =
	    prep(r, "SELECT client_order_id, side FROM orders WHERE position_id = ? ORDER BY id");
	sqlite3_bind_int64(s, 1, c->id);
	while (sqlite3_step(s) == SQLITE_ROW) {
		char coid[SB_STORE_CLIENT_ID_MAX], side[8];
		text_col(s, 0, coid, sizeof coid);
		text_col(s, 1, side, sizeof side);
		if (strcmp(side, "BUY") == 0)
			whole &= order_trades(r, symbol, coid, &buys, &nb, &cb);
		else
			whole &= order_trades(r, symbol, coid, &sells, &ns, &cs);
	}
	sqlite3_finalize(s);
	const struct sim_symbol *ss = sim_exchange_symbol(r->sim, symbol, strlen(symbol));
	struct sb_cycle_result cr;
	c->trades_missing = !whole || !ss;
	c->computed = ss && sb_profit_cycle(&ss->rules, buys, nb, sells, ns, 0, &cr) == SB_OK;
	c->from_trades = c->computed ? cr.net_profit : 0;
	free(buys);
	free(sells);
}

/* Positions closed since the last check (each is final: checked once), and every position's state. */
static void positions(struct run *r, struct simc_closed **closed, size_t *nclosed, struct simc_position **pos,
                      size_t *npos)
{
	sqlite3_stmt *s = prep(r, "SELECT id, state, realised_profit, symbol,"
	                          " EXISTS (SELECT 1 FROM orders o JOIN order_statuses s ON s.name = o.status"
	                          "  WHERE o.position_id = p.id AND NOT s.final)"
	                          " FROM positions p ORDER BY id");
	size_t cap = 64, ccap = 16;
	*pos = sb_xmalloc(cap * sizeof **pos);
	*closed = sb_xmalloc(ccap * sizeof **closed);
	*npos = *nclosed = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		char state[16], sym[SB_SYMBOL_MAX];
		int64_t id = sqlite3_column_int64(s, 0);
		text_col(s, 1, state, sizeof state);
		text_col(s, 3, sym, sizeof sym);
		enum sb_position_state st = SB_POSITION_BUYING;
		(void)sb_position_state_parse(state, strlen(state), &st);
		if (*npos == cap)
			*pos = sb_xrealloc(*pos, (cap *= 2) * sizeof **pos);
		(*pos)[(*npos)++] = (struct simc_position){
		    .id = id, .state = st, .order_open = sqlite3_column_int(s, 4) != 0};
		if (st != SB_POSITION_CLOSED || (*seen(r, id) & 2))
			continue;
		*seen(r, id) |= 2;
		if (*nclosed == ccap)
			*closed = sb_xrealloc(*closed, (ccap *= 2) * sizeof **closed);
		struct simc_closed *c = &(*closed)[(*nclosed)++];
		*c = (struct simc_closed){.id = id, .stored = sqlite3_column_int64(s, 2)};
		closed_profit(r, c, sym);
		r->res->closed++;
	}
	sqlite3_finalize(s);
}

/* Gathers the world and checks it (settled: the settled invariants too). */
static void check(struct run *r, bool settled)
{
	struct simc_xorder *x = NULL;
	struct simc_dorder *d = NULL;
	struct simc_closed *closed = NULL;
	struct simc_position *pos = NULL;
	struct simc_asset av[64];
	size_t nclosed = 0, npos = 0;
	size_t nx = exchange_orders(r, &x);
	size_t nd = db_orders(r, &d);
	positions(r, &closed, &nclosed, &pos, &npos);
	struct simc_world w = {.x = x,
	                       .nx = nx,
	                       .d = d,
	                       .nd = nd,
	                       .assets = av,
	                       .nassets = settled ? assets(r, av, sizeof av / sizeof av[0]) : 0,
	                       .closed = closed,
	                       .nclosed = nclosed,
	                       .pos = pos,
	                       .npos = npos,
	                       .sends = r->sends,
	                       .nsends = r->nsends};
	struct simc_report rep = {.violation = on_violation, .user = r};
	if (settled)
		simc_check_settled(&w, &rep);
	else
		simc_check_running(&w, &rep);
	r->res->checks += rep.checks;
	r->res->violations += rep.violations;
	r->res->orders = nx;
	r->nsends = 0;
	free(x);
	free(d);
	free(closed);
	free(pos);
}

/* ---- what held when an order was sent ------------------------------------------------------------------ */

/* Quote committed in open positions, as the strategy counts it: a buying position's buy order, the cost
 * of the others. */
static sb_dec db_exposure(struct run *r)
{
	sqlite3_stmt *s = prep(r, "SELECT p.state, p.cost_quote,"
	                          " (SELECT quote_qty FROM orders WHERE position_id = p.id AND side = 'BUY'"
	                          "  ORDER BY id DESC LIMIT 1),"
	                          " (SELECT price FROM orders WHERE position_id = p.id AND side = 'BUY'"
	                          "  ORDER BY id DESC LIMIT 1),"
	                          " (SELECT orig_qty FROM orders WHERE position_id = p.id AND side = 'BUY'"
	                          "  ORDER BY id DESC LIMIT 1)"
	                          " FROM positions p WHERE p.state IN ('BUYING', 'HOLDING', 'SELLING')");
	sb_dec sum = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		char state[16];
		text_col(s, 0, state, sizeof state);
		sb_dec v = sqlite3_column_int64(s, 1);
		if (strcmp(state, "BUYING") == 0) {
			v = sqlite3_column_int64(s, 2);
			if (v == 0 && sb_dec_mul(sqlite3_column_int64(s, 3), sqlite3_column_int64(s, 4),
			                         SB_ROUND_UP, &v) != SB_OK)
				v = 0;
		}
		sum += v;
	}
	sqlite3_finalize(s);
	return sum;
}

static int64_t db_int(struct run *r, const char *sql, const char *arg)
{
	sqlite3_stmt *s = prep(r, sql);
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
	sqlite3_finalize(s);
	return v;
}

static void on_placing(void *user, const struct sb_bn_new_order *o)
{
	struct run *r = user;
	if (r->nsends == r->capsends)
		r->sends = sb_xrealloc(r->sends,
		                       (r->capsends = r->capsends ? 2 * r->capsends : 16) * sizeof *r->sends);
	struct simc_send *s = &r->sends[r->nsends++];
	memset(s, 0, sizeof *s);
	snprintf(s->coid, sizeof s->coid, "%s", o->client_order_id);
	int64_t pos =
	    db_int(r, "SELECT position_id FROM orders WHERE client_order_id = ?", o->client_order_id);
	s->new_cycle = o->side == SB_SIDE_BUY && pos > 0 && !(*seen(r, pos) & 1);
	if (pos > 0)
		*seen(r, pos) |= 1;
	s->paused = db_int(r, "SELECT value = '1' OR value = 'true' FROM system_state WHERE key = ?",
	                   SB_STORE_KEY_PAUSED) == 1;
	s->pair_enabled = db_int(r, "SELECT enabled FROM trade_pairs WHERE symbol = ?", o->symbol) == 1;
	s->max_positions = db_int(r, "SELECT max_positions FROM trade_pairs WHERE symbol = ?", o->symbol);
	s->open_in_pair = db_int(r,
	                         "SELECT COUNT(*) FROM positions WHERE symbol = ?"
	                         " AND state IN ('BUYING', 'HOLDING', 'SELLING')",
	                         o->symbol);
	s->exposure = db_exposure(r);
	s->max_exposure = r->cfg.max_exposure;
}

/* ---- the daemon ---------------------------------------------------------------------------------------- */

static void pump(struct run *r)
{
	struct sb_bot *b = r->b;
	for (int round = 0; round < 100000; round++) {
		engine_step(b);
		size_t n = sb_clock_virtual_run_until(b->clock, (uint64_t)(r->now - r->clock0));
		n += simf_pump(b->ex);
		if (n == 0)
			return;
	}
	fprintf(r->o->out, "simulate: seed %" PRIu64 ": the daemon never went quiet\n", r->o->seed);
	r->res->violations++;
}

static bool load_config(struct run *r, bool edit)
{
	if (r->have_cfg)
		sb_config_fini(&r->cfg);
	static const char *const exposures[] = {"0", "100", "160", "250"};
	sim_world_pairs(&r->rng, r->symbols, SIM_NSYM, edit, r->pairs, sizeof r->pairs);
	char pairs[sizeof r->pairs + 8], exposure[64];
	snprintf(pairs, sizeof pairs, "PAIRS=%s", r->pairs);
	snprintf(exposure, sizeof exposure, "MAX_EXPOSURE=%s", exposures[sim_rng_below(&r->rng, 4)]);
	char *env[] = {pairs, exposure, NULL};
	sb_config_init(&r->cfg);
	r->have_cfg = true;
	if (sb_config_load_buffer(&r->cfg, NULL, NULL, 0, env, r->o->out) != SB_OK) {
		fprintf(r->o->out, "simulate: seed %" PRIu64 ": the configuration does not load: %s\n",
		        r->o->seed, pairs);
		return false;
	}
	note(r, "config %s %s", pairs, exposure);
	return true;
}

/* The other process's lock on the database ends. */
static void db_unlock(struct run *r)
{
	if (!r->unlock_at)
		return;
	r->unlock_at = 0;
	sqlite3_exec(r->conn, "ROLLBACK", NULL, NULL, NULL);
	note(r, "database lock released");
}

/* The daemon, degraded by a failed write, found the database writable again: as `run` does, it restarts
 * on it (after the step, not under the tick that found it). */
static void on_writable(struct sb_bot *b)
{
	(void)b;
	the_run->db_restart = true;
}

/* A daemon on the database, started as `run` starts it. */
static bool daemon_up(struct run *r)
{
	/* A start waits for the database's lock (sb_bot_run): here it ends as the start begins. */
	db_unlock(r);
	struct sb_bot *b = r->b = sb_xcalloc(1, sizeof *b);
	bot_init(b, &r->cfg, sb_clock_virtual_new(r->now));
	r->clock0 = r->now;
	char msg[256] = "";
	/* The lock is the checker's, on this thread: waiting for it would only stall the run. */
	const struct sb_store_opts so = {.busy_timeout_ms = 1};
	if (sb_store_open_sqlite(r->db, &so, &b->st, msg, sizeof msg) != SB_OK ||
	    bot_pairs_load(b) != SB_OK) {
		fprintf(r->o->out, "simulate: %s: %s%s\n", r->db, msg,
		        b->st ? sb_store_last_error(b->st) : "");
		return false;
	}
	char v[SB_STORE_VALUE_MAX];
	b->paused = sb_store_state_get(b->st, SB_STORE_KEY_PAUSED, v, sizeof v) == SB_OK &&
	            (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	struct sb_exchange_events ev = bot_exchange_events(b);
	struct simf_hooks hooks = {.placing = on_placing, .forgotten = is_lost, .archived = lose, .user = r};
	simf_new(&ev, &r->rng, run_now, r, r->sim, r->account, &hooks, &r->f);
	static const struct simf_rates none = {0};
	simf_set_rates(r->f, r->calm ? &none : &r->rates);
	simf_set_forget(r->f, r->forget);
	struct sb_exchange_events inner_ev = simf_inner_events(r->f);
	struct sb_bt_exchange_opts opts = {
	    .sim = r->sim, .api_key = SIM_KEY, .clock = {exchange_now, NULL, r}, .seed = r->o->seed};
	struct sb_exchange *inner = NULL;
	if (sb_bt_exchange_new(&opts, &inner_ev, &inner) != SB_OK) {
		fprintf(r->o->out, "simulate: the in-process exchange cannot be made\n");
		return false;
	}
	simf_set_inner(r->f, inner);
	b->ex = simf_exchange(r->f);
	b->tick_sparse = true;
	b->on_writable = on_writable;
	bot_timers_start(b);
	bot_startup(b);
	pump(r);
	r->manual = control_manual_new(b);
	return true;
}

/* The daemon's process ends: nothing of its memory survives, its requests die unanswered. */
static void daemon_down(struct run *r)
{
	struct sb_bot *b = r->b;
	r->db_restart = false;
	if (!b)
		return;
	control_manual_free(r->manual);
	r->manual = NULL;
	for (int k = 0; r->f && k < SIMF__COUNT; k++)
		r->wcounts[k] += simf_counts(r->f)[k];
	b->closed = true;
	struct sb_exchange *ex = b->ex;
	b->ex = NULL;
	sb_exchange_free(ex);
	r->f = NULL;
	bot_timers_free(b);
	orders_free_all(b);
	free(b->pairs);
	sb_store_close(b->st);
	sb_clock_free(b->clock);
	free(b);
	r->b = NULL;
}

static void crash_hook(enum bot_crash_point p, void *user)
{
	struct run *r = user;
	if (!r->crash_armed || p != r->crash_at)
		return;
	r->crash_armed = false;
	note(r, "crash at %s", bot_crashpoint_name(p));
	longjmp(r->jmp, 1);
}

/* ---- the world's events -------------------------------------------------------------------------------- */

/* Moves the run's time to t: what the wrapper holds back is delivered when due, the daemon's timers run. */
static void advance_to(struct run *r, int64_t t)
{
	int64_t due = 0;
	while (simf_held(r->f, &due) > 0 && due > r->now && due < t) {
		r->now = due;
		bot_tick_wake(r->b);
		pump(r);
	}
	r->now = t;
	bot_tick_wake(r->b);
	pump(r);
}

/* One market trade on every symbol at its next price. */
static void market_step(struct run *r)
{
	for (size_t i = 0; i < SIM_NSYM; i++) {
		bool shock = false;
		sb_dec p = sim_market_next(&r->mk[i], &r->rng, &shock);
		if (shock) {
			r->res->faults[SIMF_SHOCK]++;
			note(r, "market %s %s", r->symbols[i],
			     r->mk[i].regime == SIM_FLAT ? "flat" : "moves fast");
		}
		const struct sim_symbol *ss =
		    sim_exchange_symbol(r->sim, r->symbols[i], strlen(r->symbols[i]));
		sb_dec qty = 0, step = ss->rules.lot.step_size;
		if (sb_dec_div(SIM_QUOTE_VOL, p, SB_ROUND_DOWN, &qty) != SB_OK)
			qty = ss->rules.lot.min_qty;
		if (step > 0)
			qty -= qty % step;
		if (qty < ss->rules.lot.min_qty)
			qty = ss->rules.lot.min_qty;
		struct sb_bn_trade t = {.price = p,
		                        .qty = qty,
		                        .trade_time = exchange_now(r),
		                        .buyer_maker = sim_rng_below(&r->rng, 2)};
		snprintf(t.symbol, sizeof t.symbol, "%s", r->symbols[i]);
		(void)sb_bt_exchange_trade(simf_inner(r->f), &t);
	}
	pump(r);
}

/* An open position of the database, drawn at random; 0 when none. */
static int64_t some_open_position(struct run *r)
{
	int64_t n =
	    db_int(r, "SELECT COUNT(*) FROM positions WHERE state IN ('BUYING', 'HOLDING', 'SELLING')", NULL);
	if (n <= 0)
		return 0;
	sqlite3_stmt *s = prep(r, "SELECT id FROM positions WHERE state IN ('BUYING', 'HOLDING', 'SELLING')"
	                          " ORDER BY id LIMIT 1 OFFSET ?");
	sqlite3_bind_int64(s, 1, (int64_t)sim_rng_below(&r->rng, (uint64_t)n));
	int64_t id = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	return id;
}

/* A manual sell, cancel, re-price or abandon of a random open position, through the control functions. */
static void manual_action(struct run *r)
{
	static const char *const actions[] = {"sell", "cancel", "reprice", "abandon"};
	int64_t id = some_open_position(r);
	if (id == 0)
		return;
	const char *action = actions[sim_rng_below(&r->rng, 4)];
	char price[SB_DEC_STRLEN] = "";
	if (strcmp(action, "reprice") == 0) {
		char sym[SB_SYMBOL_MAX] = "";
		sqlite3_stmt *s = prep(r, "SELECT symbol FROM positions WHERE id = ?");
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW)
			text_col(s, 0, sym, sizeof sym);
		sqlite3_finalize(s);
		for (size_t i = 0; i < SIM_NSYM; i++)
			if (strcmp(sym, r->symbols[i]) == 0)
				sb_dec_format_trim(r->mk[i].price + r->mk[i].price / 1000 *
				                                        (int64_t)sim_rng_below(&r->rng, 20),
				                   price, sizeof price);
	}
	cJSON *out = NULL;
	int status = control_manual_post(r->manual, id, action, price[0] ? price : NULL, false, &out);
	cJSON_Delete(out);
	note(r, "manual %s of position %" PRId64 "%s%s: %d", action, id, price[0] ? " at " : "", price,
	     status);
}

static void toggle_pause(struct run *r)
{
	bool paused = !r->b->paused;
	sb_err err = control_set_paused(r->b, paused);
	note(r, "%s: %s", paused ? "pause" : "resume", sb_strerror(err));
}

static void toggle_pair(struct run *r)
{
	const char *sym = r->symbols[sim_rng_below(&r->rng, SIM_NSYM)];
	struct bot_pair *pr = bot_pair_find(r->b, sym);
	if (!pr)
		return;
	const char *why = "";
	int status = control_pair_enable(r->b, sym, !pr->cfg.enabled, &why);
	note(r, "pair %s %s: %d %s", sym, pr->cfg.enabled ? "enabled" : "disabled", status, why ? why : "");
}

/* A stop and a start on the same database, maybe with an edited configuration. */
static bool restart(struct run *r, bool crash)
{
	bool edit = !crash && sim_rng_below(&r->rng, 2);
	note(r, "%s%s", crash ? "crash between two steps" : "restart",
	     edit ? " with an edited configuration" : "");
	daemon_down(r);
	if (edit && !load_config(r, true))
		return false;
	return daemon_up(r);
}

/* The exchange loses one of the account's open orders, drawn at random; false when there is none. */
static bool forget_one(struct run *r)
{
	struct simc_xorder *x = NULL;
	size_t nx = exchange_orders(r, &x), open = 0;
	for (size_t i = 0; i < nx; i++)
		open += !x[i].final;
	uint64_t pick = sim_rng_below(&r->rng, open);
	for (size_t i = 0; i < nx && open > 0; i++) {
		if (x[i].final || pick-- > 0)
			continue;
		lose(r, x[i].coid);
		note(r, "the exchange loses order %s", x[i].coid);
		simf_forget_order(r->f, x[i].symbol, x[i].coid,
		                  1000 + (int64_t)sim_rng_below(&r->rng, 60000));
		break;
	}
	free(x);
	return open > 0;
}

/* Applies the fault or action f. */
static bool inject(struct run *r, enum sim_fault f)
{
	r->res->faults[f]++;
	switch (f) {
	case SIMF_USER_DROP:
		note(r, "user stream dropped");
		simf_drop_user(r->f, 1000 + (int64_t)sim_rng_below(&r->rng, 300000));
		r->res->faults[f]--; /* the wrapper counts it */
		break;
	case SIMF_MARKET_DROP:
		note(r, "market data dropped");
		simf_drop_market(r->f, 1000 + (int64_t)sim_rng_below(&r->rng, 600000));
		r->res->faults[f]--;
		break;
	case SIMF_FORGET:
		if (forget_one(r)) {
			r->res->faults[f]--; /* the wrapper counts it */
			break;
		}
		r->forget = !r->forget;
		simf_set_forget(r->f, r->forget);
		note(r, "the exchange %s finished orders that executed nothing",
		     r->forget ? "forgets" : "keeps");
		break;
	case SIMF_CLOCK_SKEW:
		r->skew = (int64_t)sim_rng_below(&r->rng, 6001) - 3000;
		note(r, "exchange clock skew %" PRId64 " ms", r->skew);
		break;
	case SIMF_PAUSE:
		toggle_pause(r);
		break;
	case SIMF_PAIR_TOGGLE:
		toggle_pair(r);
		break;
	case SIMF_MANUAL:
		manual_action(r);
		break;
	case SIMF_DB_LOCK:
		if (r->unlock_at)
			break;
		if (sqlite3_exec(r->conn, "BEGIN EXCLUSIVE", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(r->o->out,
			        "simulate: seed %" PRIu64 ": the database lock cannot be taken: %s\n",
			        r->o->seed, sqlite3_errmsg(r->conn));
			return false;
		}
		r->unlock_at = r->now + 1000 + (int64_t)sim_rng_below(&r->rng, 180000);
		note(r, "another process locks the database for %" PRId64 " s",
		     (r->unlock_at - r->now) / 1000);
		break;
	case SIMF_RESTART:
		return restart(r, false);
	case SIMF_CRASH:
		if (sim_rng_below(&r->rng, 2)) {
			r->crash_armed = true;
			r->crash_at = (enum bot_crash_point)sim_rng_below(&r->rng, BOT_CRASH_N);
			note(r, "crash armed at %s", bot_crashpoint_name(r->crash_at));
			r->res->faults[f]--; /* counted when it crashes */
			break;
		}
		r->res->crashes++;
		return restart(r, true);
	default:
		break;
	}
	return true;
}

/* ---- the run ------------------------------------------------------------------------------------------- */

/* One step: time moves on, perhaps a fault, the market trades. */
static bool step(struct run *r)
{
	advance_to(r, r->now + 1000 + (int64_t)sim_rng_below(&r->rng, SIM_STEP_MAX - 1000));
	if (r->unlock_at && r->now >= r->unlock_at)
		db_unlock(r);
	if (r->db_restart) {
		r->db_restart = false;
		note(r, "the daemon restarts on its database, writable again");
		daemon_down(r);
		if (!daemon_up(r))
			return false;
	}
	enum sim_fault f = sim_world_draw(&r->rng);
	if (!r->calm && f != SIMF__COUNT && !inject(r, f))
		return false;
	market_step(r);
	control_manual_tick(r->manual, r->now);
	pump(r);
	r->res->steps++;
	return true;
}

/* A step, landing here when a crash point crashed the daemon: it starts again from the database. */
static bool guarded_step(struct run *r)
{
	if (setjmp(r->jmp) == 0)
		return step(r);
	r->res->crashes++;
	r->res->crash_points++;
	r->res->faults[SIMF_CRASH]++;
	daemon_down(r);
	if (!daemon_up(r))
		return false;
	check(r, false);
	return true;
}

/* Steps until the run's time reaches t; the running check every check_every steps. */
static bool run_until(struct run *r, int64_t t)
{
	uint64_t every = r->o->check_every ? r->o->check_every : 1;
	while (r->now < t) {
		if (!guarded_step(r))
			return false;
		if (r->res->steps % every == 0)
			check(r, false);
	}
	return true;
}

/* Faults stop; after the settling bound the settled invariants must hold. */
static bool calm(struct run *r)
{
	r->calm = true;
	r->crash_armed = false;
	r->skew = 0;
	db_unlock(r);
	static const struct simf_rates none = {0};
	simf_set_rates(r->f, &none);
	note(r, "faults stop");
	if (!run_until(r, r->now + SIM_SETTLE_MS))
		return false;
	check(r, true);
	r->calm = false;
	return true;
}

static void ignore_answer(void *user, const struct sb_bn_rest_result *res, struct sb_bn_order *order)
{
	(void)user;
	(void)res;
	(void)order;
}

/* The self-test's sabotage: the checker must find it. */
static void sabotage(struct run *r)
{
	const char *what = r->o->sabotage;
	if (strcmp(what, "fill") == 0) {
		sqlite3_exec(r->conn, "DELETE FROM fills WHERE id = (SELECT MIN(id) FROM fills)", NULL, NULL,
		             NULL);
		note(r, "sabotage: a fill deleted from the database (%d row)", sqlite3_changes(r->conn));
		return;
	}
	/* A small buy resting far below the market, placed on the account by someone else. */
	const struct sim_symbol *ss = sim_exchange_symbol(r->sim, r->symbols[0], strlen(r->symbols[0]));
	sb_dec tick = ss->rules.price.tick_size, step = ss->rules.lot.step_size, qty = 0;
	sb_dec price = r->mk[0].price / 2 - r->mk[0].price / 2 % tick;
	(void)sb_dec_div(SB_DEC_C(20, 0), price, SB_ROUND_UP, &qty);
	qty += step - qty % step;
	struct sb_bn_new_order o = {.symbol = r->symbols[0],
	                            .side = SB_SIDE_BUY,
	                            .type = SB_ORDER_LIMIT,
	                            .quantity = qty,
	                            .price = price,
	                            .client_order_id = "behind-the-back-1"};
	sb_err err = sb_exchange_order_place(simf_inner(r->f), &o, ignore_answer, NULL);
	note(r, "sabotage: an order placed behind the daemon's back: %s", sb_strerror(err));
}

static bool setup(struct run *r)
{
	snprintf(r->dir, sizeof r->dir, "/tmp/spotbot-sim-XXXXXX");
	if (!mkdtemp(r->dir)) {
		fprintf(r->o->out, "simulate: cannot create a temporary directory\n");
		return false;
	}
	snprintf(r->db, sizeof r->db, "%s/spotbot.db", r->dir);
	char a0[] = "spotsim", a1[] = "--symbols", a2[] = SIM_SYMBOLS, a3[] = "--account",
	     a4[] = SIM_KEY ":" SIM_KEY ":" SIM_FUNDS;
	char *argv[] = {a0, a1, a2, a3, a4, NULL};
	if (sim_options_parse(5, argv, &r->simo, r->o->out) != SB_OK || uv_loop_init(&r->loop) != 0)
		return false;
	r->simo.no_market_data = true;
	if (sim_exchange_new(&r->loop, &r->simo, NULL, r->o->out, &r->sim) != SB_OK)
		return false;
	r->account = sim_exchange_account(r->sim, SIM_KEY, strlen(SIM_KEY))->id;
	const struct sim_ledger_asset *rows = NULL;
	(void)sim_ledger_balances(r->sim->ledger, r->account, &rows, &r->nstart);
	r->start = sb_xmalloc((r->nstart ? r->nstart : 1) * sizeof *r->start);
	memcpy(r->start, rows, r->nstart * sizeof *rows);
	for (size_t i = 0; i < SIM_NSYM; i++) {
		const struct sim_symbol *ss = &r->sim->symbols[i];
		r->symbols[i] = ss->rules.symbol;
		sim_market_init(&r->mk[i], ss->last_price, ss->rules.price.tick_size);
	}
	return load_config(r, false);
}

static void teardown(struct run *r)
{
	daemon_down(r);
	if (r->conn)
		sqlite3_close(r->conn);
	if (r->sim) {
		sim_exchange_stop(r->sim);
		uv_run(&r->loop, UV_RUN_DEFAULT);
		sim_exchange_free(r->sim);
		uv_loop_close(&r->loop);
	}
	if (r->have_cfg)
		sb_config_fini(&r->cfg);
	static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
		char p[sizeof r->db + 16];
		snprintf(p, sizeof p, "%s%s", r->db, tails[i]);
		(void)unlink(p);
	}
	(void)rmdir(r->dir);
	free(r->start);
	free(r->sends);
	free(r->seen);
	free(r->lost);
}

static bool run(struct run *r)
{
	if (!setup(r) || !daemon_up(r))
		return false;
	if (sqlite3_open_v2(r->db, &r->conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return false;
	sqlite3_busy_timeout(r->conn, 5000);
	int64_t end = SIM_START_MS + (int64_t)r->o->days * SIM_DAY_MS;
	while (r->now < end) {
		int64_t stretch = SIM_CHAOS_MS + (int64_t)sim_rng_below(&r->rng, SIM_CHAOS_ADD);
		sim_world_rates(&r->rng, r->o->fault_pm, &r->rates);
		simf_set_rates(r->f, &r->rates);
		note(r, "chaos for %" PRId64 " min", stretch / 60000);
		if (!run_until(r, r->now + stretch < end ? r->now + stretch : end) || !calm(r))
			return false;
	}
	if (r->o->sabotage) {
		sabotage(r);
		pump(r);
		check(r, true);
	}
	return true;
}

bool sim_run(const struct sim_opts *o, struct sim_result *out)
{
	memset(out, 0, sizeof *out);
	struct run *r = sb_xcalloc(1, sizeof *r);
	r->o = o;
	r->res = out;
	r->rng.s = o->seed;
	r->now = SIM_START_MS;
	bot_crashpoint_set_hook(crash_hook, r);
	the_run = r;
	bool ok = run(r);
	out->simulated_ms = r->now - SIM_START_MS;
	teardown(r);
	for (int k = 0; k < SIMF__COUNT; k++)
		out->faults[k] += r->wcounts[k];
	bot_crashpoint_set_hook(NULL, NULL);
	the_run = NULL;
	free(r);
	return ok;
}

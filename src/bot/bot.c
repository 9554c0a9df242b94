/*
 * bot.c - the daemon's life cycle: configuration to store to exchange clients to reconciliation to
 * trading, on one libuv loop, and the clean stop on SIGINT/SIGTERM.
 *
 * Start-up is a chain of asynchronous steps (server time, exchange rules, commission rates, streams and
 * reconciliation); each step's calls are counted, and the next step starts when the last one answers.
 * A failed step is retried after a pause; trading starts only once reconciliation has succeeded, and the
 * run state with its reason is kept in system_state all along.
 *
 * This is the top of src/bot: it wires the exchange's events to the price manager, the order manager,
 * the reconciler and the strategy step (bot_exchange_events), runs that step after each loop iteration's
 * events (a check handle) and the housekeeping tick once a second (whose work on the pairs waits, while
 * nothing changes, until time alone could change a decision: tick_due.c), and nothing else in the daemon
 * calls into it. The order manager and the reconciler reach the start-up step's continuation through
 * b->step_done; what every part shares lives below, in model.c and status.c.
 */
#include "spotbot/bot.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "bot/bot_int.h"
#include "bot/control.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/coid.h"
#include "spotbot/exchange_binance.h"
#include "spotbot/log.h"
#include "spotbot/store_lock.h"
#include "spotbot/ws_client.h"

/* ---- start-up steps ------------------------------------------------------------------------------------ */

enum {
	STEP_TIME,
	STEP_RULES,
	STEP_FEES,
	STEP_RECONCILE,
	STEP_DONE,
};

static void step_done(struct sb_bot *b);

struct step_call {
	struct sb_bot *b;           /* the daemon */
	char symbol[SB_SYMBOL_MAX]; /* commission: the symbol asked about */
};

static bool step_enter(struct sb_bot *b, struct step_call *c)
{
	b->inflight--;
	b->step_pending--;
	if (b->closed) {
		free(c);
		return false;
	}
	return true;
}

static void step_leave(struct sb_bot *b, struct step_call *c)
{
	free(c);
	if (b->step_pending == 0)
		step_done(b);
}

static void on_time(void *user, const struct sb_bn_rest_result *res, int64_t server_ms)
{
	struct step_call *c = user;
	struct sb_bot *b = c->b;
	if (!step_enter(b, c))
		return;
	if (res->err != SB_OK) {
		b->step_failed = true;
		sb_log_warn("bot", SB_FIELDS(BOT_F_REST(res)), "server time request failed: %s",
		            BOT_REST_WHY(res));
	} else {
		int64_t off = sb_exchange_time_offset(b->ex);
		sb_log_info("bot", SB_FIELDS(SB_F_INT("server_ms", server_ms), SB_F_INT("offset_ms", off)),
		            "server time offset %" PRId64 " ms", off);
	}
	step_leave(b, c);
}

/*
 * The exchange does not list the pair's symbol: the pair is not traded, and says so by name in the log,
 * the events, an alert and the control API; the other pairs trade all the same.
 */
static void pair_unlisted(struct sb_bot *b, struct bot_pair *pr)
{
	const char *sym = pr->cfg.symbol;
	pr->have_rules = false;
	if (pr->unlisted)
		return;
	pr->unlisted = true;
	sb_log_error("bot", SB_FIELDS(SB_F_STR("symbol", sym)),
	             "%s is not listed by the exchange: the pair is not traded (the other pairs are); "
	             "`spotbot pairs remove %s` removes it",
	             sym, sym);
	bot_event(b, "pair.unlisted", sym, 0, NULL, NULL);
	char key[SB_ALERTS_KEY_MAX];
	snprintf(key, sizeof key, "pair_unlisted:%s", sym);
	monitor_alert(b, SB_ALERT_PAIR_UNLISTED, SB_ALERT_WARNING, sym, key,
	              "%s is not listed by the exchange: the pair is not traded, the other pairs are", sym);
	bot_human(b, "!! %s is not listed by the exchange: not traded", sym);
}

/* -1121 "Invalid symbol.": Binance refuses a whole exchangeInfo request for one unknown symbol in it. */
static bool invalid_symbol(const struct sb_bn_rest_result *res)
{
	return res->err == SB_ERR_EXCHANGE && res->api.code == -1121;
}

/* Adopts the rules info holds for the pairs asked about (only: one symbol, or "" for every pair). */
static void adopt_rules(struct sb_bot *b, const struct sb_bn_exchange_info *info, const char *only)
{
	for (size_t i = 0; i < b->npairs; i++) {
		struct bot_pair *pr = &b->pairs[i];
		if (pr->removed || (only[0] && strcmp(only, pr->cfg.symbol) != 0))
			continue;
		const struct sb_symbol_rules *r = sb_bn_exchange_info_symbol(info, pr->cfg.symbol);
		if (!r) {
			pair_unlisted(b, pr);
			continue;
		}
		pr->rules = *r;
		pr->have_rules = true;
		pr->unlisted = false;
	}
}

static void on_info(void *user, const struct sb_bn_rest_result *res, struct sb_bn_exchange_info *info);

/* Sends one exchangeInfo request for symbols (n of them; symbol "" when they are every pair). */
static void ask_rules(struct sb_bot *b, const char *const *symbols, size_t n, const char *symbol)
{
	struct step_call *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	snprintf(c->symbol, sizeof c->symbol, "%s", symbol);
	sb_err err = sb_exchange_exchange_info(b->ex, symbols, n, on_info, c);
	if (err != SB_OK) {
		free(c);
		b->step_failed = true;
		sb_log_warn("bot", SB_FIELDS(SB_F_ERR(err), SB_F_STR("symbol", symbol)),
		            "exchangeInfo request could not be sent");
		return;
	}
	b->inflight++;
	b->step_pending++;
}

/* After the exchange refused the symbols together: one request per pair, so an unknown symbol is named
 * and cannot hide the rules of the others. */
static void ask_each(struct sb_bot *b)
{
	for (size_t i = 0; i < b->npairs; i++) {
		const char *sym = b->pairs[i].cfg.symbol;
		if (!b->pairs[i].removed)
			ask_rules(b, &sym, 1, sym);
	}
}

static void on_info(void *user, const struct sb_bn_rest_result *res, struct sb_bn_exchange_info *info)
{
	struct step_call *c = user;
	struct sb_bot *b = c->b;
	if (!step_enter(b, c))
		return;
	struct bot_pair *pr = c->symbol[0] ? bot_pair_find(b, c->symbol) : NULL;
	if (res->err == SB_OK) {
		adopt_rules(b, info, c->symbol);
	} else if (invalid_symbol(res) && c->symbol[0]) {
		if (pr)
			pair_unlisted(b, pr);
	} else if (invalid_symbol(res)) {
		sb_log_warn("bot", SB_FIELDS(BOT_F_REST(res)),
		            "exchangeInfo refused the pairs' symbols together (%s): asking about each one",
		            BOT_REST_WHY(res));
		ask_each(b);
	} else {
		b->step_failed = true;
		sb_log_warn("bot", SB_FIELDS(BOT_F_REST(res), SB_F_STR("symbol", c->symbol)),
		            "exchangeInfo request failed: %s", BOT_REST_WHY(res));
	}
	step_leave(b, c);
}

static void on_fees(void *user, const struct sb_bn_rest_result *res, struct sb_bn_commission *cm)
{
	struct step_call *c = user;
	struct sb_bot *b = c->b;
	if (!step_enter(b, c))
		return;
	bot_pair_fees(b, c->symbol, res, cm);
	struct bot_pair *pr = bot_pair_find(b, c->symbol);
	if (res->err == SB_OK && cm && pr)
		pr->fees_unkept = true;
	step_leave(b, c);
}

static void start_streams(struct sb_bot *b)
{
	const char *syms[SB_PAIRS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < b->npairs && n < SB_PAIRS_MAX; i++)
		if (b->pairs[i].have_rules)
			syms[n++] = b->pairs[i].cfg.symbol;
	sb_exchange_streams_start(b->ex, syms, n);
}

static void run_step(struct sb_bot *b)
{
	/* A degraded daemon goes no further: only a restart on the database ends that state. */
	if (b->closed || b->degraded || bot_is_stopping(b))
		return;
	b->step_failed = false;
	b->step_pending = 0;
	sb_err err = SB_OK;
	switch (b->startup_step) {
	case STEP_TIME: {
		struct step_call *c = sb_xcalloc(1, sizeof *c);
		c->b = b;
		err = sb_exchange_sync_time(b->ex, on_time, c);
		if (err == SB_OK) {
			b->inflight++;
			b->step_pending++;
		} else {
			free(c);
		}
		break;
	}
	case STEP_RULES: {
		const char *syms[SB_PAIRS_MAX];
		size_t n = 0;
		for (size_t i = 0; i < b->npairs && n < SB_PAIRS_MAX; i++)
			if (!b->pairs[i].removed)
				syms[n++] = b->pairs[i].cfg.symbol;
		if (n > 0)
			ask_rules(b, syms, n, "");
		break;
	}
	case STEP_FEES:
		for (size_t i = 0; i < b->npairs; i++) {
			if (!b->pairs[i].have_rules || bot_fees_reuse(b, &b->pairs[i], bot_now_ms(b)))
				continue;
			struct step_call *c = sb_xcalloc(1, sizeof *c);
			c->b = b;
			snprintf(c->symbol, sizeof c->symbol, "%s", b->pairs[i].cfg.symbol);
			if (sb_exchange_commission(b->ex, c->symbol, on_fees, c) == SB_OK) {
				b->inflight++;
				b->step_pending++;
			} else {
				free(c);
			}
		}
		prices_tick(b, bot_now_ms(b));
		break;
	case STEP_RECONCILE:
		start_streams(b);
		bot_set_state(b, BOT_RECONCILING, "settling the database with the exchange before trading");
		reconcile_startup(b);
		break;
	default:
		bot_set_state(b, b->paused ? BOT_PAUSED : BOT_TRADING,
		              b->paused ? "kill switch on: open positions are managed, no new cycles"
		                        : "reconciliation succeeded");
		bot_human(b, "trading %zu pair%s", b->npairs, b->npairs == 1 ? "" : "s");
		return;
	}
	if (err != SB_OK) {
		b->step_failed = true;
		sb_log_warn("bot", SB_FIELDS(SB_F_ERR(err)), "start-up request could not be sent");
	}
	if (b->step_pending == 0)
		step_done(b);
}

void bot_init(struct sb_bot *b, const struct sb_config *cfg, struct sb_clock *clock)
{
	b->cfg = cfg;
	b->clock = clock;
	snprintf(b->tag, sizeof b->tag, "%s", cfg->order_tag);
	b->limits.max_age_ms = cfg->price_max_age_ms;
	b->limits.max_jump = cfg->price_max_jump;
	b->limits.confirm_jump = (unsigned)cfg->price_jump_confirm;
	sb_bnb_init(&b->bnb);
	b->step_done = step_done;
}

struct sb_exchange_events bot_exchange_events(struct sb_bot *b)
{
	return (struct sb_exchange_events){
	    .market = {prices_on_market, prices_on_snapshot, prices_on_link},
	    .account = {orders_on_user, reconcile_on_request, orders_on_user_link},
	    .dispatched = engine_on_dispatched,
	    .user = b,
	};
}

void bot_startup(struct sb_bot *b)
{
	b->startup_step = STEP_TIME;
	run_step(b);
}

static void on_retry(struct sb_clock_timer *t, void *user)
{
	(void)t;
	run_step(user);
}

/* The step machine's continuation after a step's calls are all answered: here, and through b->step_done
 * for the order manager's queries and the reconciler's listings, which are parts of a step too. */
static void step_done(struct sb_bot *b)
{
	if (b->closed || b->degraded || bot_is_stopping(b))
		return;
	if (b->step_failed) {
		static const char *const what[] = {"server time", "exchange rules", "commission rates",
		                                   "reconciliation"};
		char reason[160];
		snprintf(reason, sizeof reason, "%s failed; retrying in %d s",
		         b->startup_step < STEP_DONE ? what[b->startup_step] : "start-up",
		         BOT_STARTUP_RETRY / 1000);
		bot_set_state(b, b->startup_step >= STEP_RECONCILE ? BOT_RECONCILING : BOT_STARTING, reason);
		sb_clock_timer_start(b->timers.retry, BOT_STARTUP_RETRY, 0);
		return;
	}
	if (b->startup_step < STEP_DONE)
		b->startup_step++;
	run_step(b);
}

/* ---- timer, signals, shutdown -------------------------------------------------------------------------- */

/* The kill switch as system_state holds it: "1" or "true" is on, a missing key is off. */
static sb_err stored_paused(struct sb_bot *b, bool *paused)
{
	char v[SB_STORE_VALUE_MAX];
	sb_err err = sb_store_state_get(b->st, SB_STORE_KEY_PAUSED, v, sizeof v);
	if (err == SB_ERR_NOT_FOUND) {
		*paused = false;
		return SB_OK;
	}
	if (err == SB_OK)
		*paused = strcmp(v, "1") == 0 || strcmp(v, "true") == 0;
	return err;
}

/*
 * Follows the kill switch another process wrote (`spotbot pause` while the daemon is down, or a hand
 * edit): the switch is re-read only after another connection committed something, which the store's data
 * version tells without reading a table; a backend that cannot tell is read every time. The daemon's own
 * writes of the switch already changed memory first.
 */
static void follow_paused(struct sb_bot *b)
{
	if (b->degraded || !b->st)
		return;
	uint64_t v = 0;
	bool known = sb_store_data_version(b->st, &v) == SB_OK;
	if (known && b->db_version_known && v == b->db_version)
		return;
	bool paused = b->paused;
	if (stored_paused(b, &paused) != SB_OK)
		return;
	b->db_version = v;
	b->db_version_known = known;
	bot_set_paused(b, paused, "database");
}

static void on_tick(struct sb_clock_timer *t, void *user)
{
	(void)t;
	struct sb_bot *b = user;
	if (b->closed)
		return;
	int64_t now = bot_now_ms(b);
	struct bot_tick_mark mark;
	bot_tick_mark(b, &mark);
	follow_paused(b);
	bot_degraded_check(b, now);
	bot_fees_tick(b, now);
	/* An idle tick leaves the pairs alone (tick_due.c); a control job that acts ends the idle time. */
	bool idle = bot_tick_idle(b, now);
	if (!idle) {
		prices_tick(b, now);
		orders_tick(b, now);
	}
	control_tick(b->control, now);
	if (!idle || !bot_tick_idle(b, now))
		engine_tick(b, now);
	monitor_tick(b, now);
	bot_checkpoint_tick(b);
	bot_tick_park(b, &mark, now);
}

static void on_stop_wait(struct sb_clock_timer *t, void *user);

void bot_timers_start(struct sb_bot *b)
{
	b->timers.tick = sb_clock_timer_new(b->clock, on_tick, b);
	b->timers.stop = sb_clock_timer_new(b->clock, on_stop_wait, b);
	b->timers.retry = sb_clock_timer_new(b->clock, on_retry, b);
	sb_clock_timer_start(b->timers.tick, BOT_TICK_MS, BOT_TICK_MS);
}

void bot_timers_free(struct sb_bot *b)
{
	sb_clock_timer_free(b->timers.tick);
	sb_clock_timer_free(b->timers.stop);
	sb_clock_timer_free(b->timers.retry);
	b->timers = (struct bot_timers){0};
}

/* SIGINT and SIGTERM: the signals that stop the daemon. */
static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
}

/* The stop signals and SIGHUP: the signals held back while no handler of the loop listens, since their
 * default action would end the process with no clean stop. */
static void held_signals(sigset_t *set)
{
	stop_signals(set);
	sigaddset(set, SIGHUP);
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void teardown(struct sb_bot *b)
{
	if (b->closed)
		return;
	b->closed = true;
	monitor_close(b);
	struct sb_exchange *ex = b->ex;
	b->ex = NULL;
	sb_exchange_free(ex);
	bot_timers_free(b);
	/* From here a stop signal waits, blocked, for sb_bot_run: closing the last handle of a signal gives
	 * it its default action back, which would end a restart or the last writes with no clean stop. */
	sigset_t held;
	held_signals(&held);
	(void)pthread_sigmask(SIG_BLOCK, &held, NULL);
	close_handle((uv_handle_t *)&b->sigint);
	close_handle((uv_handle_t *)&b->sigterm);
	close_handle((uv_handle_t *)&b->sighup);
	close_handle((uv_handle_t *)&b->check);
	uv_stop(&b->loop);
}

static void on_stop_wait(struct sb_clock_timer *t, void *user)
{
	(void)t;
	struct sb_bot *b = user;
	uint64_t now = sb_clock_now_mono_ms(b->clock);
	bool alerts = monitor_alerts_pending(b) && now < b->stop_deadline - (BOT_STOP_MS - BOT_ALERT_WAIT_MS);
	if ((b->inflight > 0 || alerts) && now < b->stop_deadline)
		return;
	if (b->inflight > 0)
		sb_log_warn("bot", SB_FIELDS(SB_F_INT("inflight", b->inflight)),
		            "stopping with %d requests unanswered: the next start settles them", b->inflight);
	teardown(b);
}

/* After each loop iteration's events (the poll phase: streams, REST answers, control requests) and timers:
 * the step that decides the pairs they marked and frees the positions they ended, in the same iteration,
 * so a fill is answered by its sell within microseconds. */
static void on_check(uv_check_t *h)
{
	struct sb_bot *b = h->data;
	if (!b->closed)
		engine_step(b);
}

/* Stops taking new work and waits (on_stop_wait) for the requests in flight, at most BOT_STOP_MS. */
static void stop_begin(struct sb_bot *b, const char *why)
{
	bot_set_state(b, BOT_STOPPING, why);
	b->stop_deadline = sb_clock_now_mono_ms(b->clock) + BOT_STOP_MS;
	sb_clock_timer_start(b->timers.stop, 0, 20);
}

/* run: the database can be written again after a failed write; the daemon stops as on a signal and
 * sb_bot_run starts it again on the same database, so memory is what the database holds and reconciliation
 * brings in what the exchange did meanwhile. */
static void restart_on_database(struct sb_bot *b)
{
	b->restart = true;
	stop_begin(b, "the database can be written again: restarting on it");
}

/*
 * SIGHUP, as logrotate sends it after moving the log files away: the files are closed and opened again at
 * the same paths, so the lines after this one land in new files. Trading goes on untouched.
 */
static void on_hup(uv_signal_t *s, int signum)
{
	(void)signum;
	const struct sb_bot *b = s->data;
	if (!b->cfg->log_dir[0]) {
		sb_log_info("bot", SB_NOFIELDS, "SIGHUP: no log files to reopen (LOG_DIR is empty)");
		return;
	}
	sb_log_reopen();
	if (sb_log_degraded())
		sb_log_warn("bot", SB_NOFIELDS,
		            "SIGHUP: the log files could not be reopened; lines go to "
		            "stderr until they can");
	else
		sb_log_info("bot", SB_NOFIELDS, "SIGHUP: log files reopened");
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct sb_bot *b = s->data;
	b->restart = false;
	if (bot_is_stopping(b)) {
		sb_log_warn("bot", SB_NOFIELDS, "second signal: stopping now");
		teardown(b);
		return;
	}
	sb_log_info("bot", SB_FIELDS(SB_F_INT("signal", signum)), "signal %d: stopping", signum);
	bot_human(b, "stopping (signal %d)", signum);
	monitor_alert(b, SB_ALERT_STOP, SB_ALERT_INFO, NULL, NULL, "spotbot stopping (signal %d)", signum);
	stop_begin(b, "signal received: finishing in-flight requests");
	if (b->cfg->cancel_buys_on_shutdown && b->ex) {
		for (size_t i = 0; i < b->npairs; i++)
			for (struct bot_pos *bp = b->pairs[i].positions; bp; bp = bp->next)
				if (bp->p.state == SB_POSITION_BUYING && bp->buy.present &&
				    sb_order_state_is_open(bp->buy.sm.state) &&
				    !bp->buy.sm.cancel_requested && !bp->buy.inflight)
					orders_cancel(b, bp, &bp->buy, "shutdown");
	}
}

/* ---- entry ------------------------------------------------------------------------------------------- */

enum sb_log_level bot_log_level(enum sb_config_log_level l)
{
	switch (l) {
	case SB_CONFIG_LOG_DEBUG:
		return SB_LOG_DEBUG;
	case SB_CONFIG_LOG_WARN:
		return SB_LOG_WARN;
	case SB_CONFIG_LOG_ERROR:
		return SB_LOG_ERROR;
	default:
		return SB_LOG_INFO;
	}
}

/* Creates the exchange: Binance as the configuration names it, its streams' events going to the price
 * manager, the order manager and the reconciler. This is the one place the daemon knows which exchange it
 * talks to. */
static sb_err exchange_start(struct sb_bot *b)
{
	const struct sb_config *cfg = b->cfg;
	const char *ca = cfg->binance_ca_file[0] ? cfg->binance_ca_file : NULL;
	struct sb_exchange_binance_opts o = {
	    .rest = {.base_url = cfg->binance_rest_url,
	             .api_key = cfg->binance_api_key,
	             .hmac_secret = cfg->binance_api_secret,
	             .ed25519_key_file = cfg->binance_private_key_file,
	             .recv_window_ms = (uint32_t)cfg->recv_window_ms,
	             .ca_file = ca,
	             .timeout_ms = 5000,
	             .observe = monitor_rest_observe,
	             .observe_user = b->mon},
	    .user = {.url = cfg->binance_wsapi_url,
	             .ca_file = ca,
	             .api_key = cfg->binance_api_key,
	             .signer = b->signer,
	             .recv_window_ms = cfg->recv_window_ms,
	             .silence_ms = 10000,
	             .backoff_min_ms = 200,
	             .backoff_max_ms = 5000},
	    .market = {.base_url = cfg->binance_stream_url,
	               .ca_file = ca,
	               .backoff_min_ms = 200,
	               .backoff_max_ms = 5000},
	};
	/* Binance delivers from the loop and never calls dispatched: the loop's check handle (on_check)
	 * runs the step after each iteration's events instead. */
	struct sb_exchange_events ev = bot_exchange_events(b);
	return sb_exchange_binance_new(&b->loop, b->ws, &o, &ev, &b->ex);
}

/* How a run of the daemon ended, for sb_bot_run. */
enum run_end {
	RUN_DONE,    /* stopped, or failed for good */
	RUN_AGAIN,   /* the database can be written again after a failed write: start again at once */
	RUN_WAITING, /* start-up found the database locked by another process, or full: try again later */
};

/* A start-up failure that waits instead of ending the daemon: another process holding the database's lock
 * longer than the busy timeout (a backup, a hand-run sqlite3), or a full disk. */
static enum run_end startup_failed(sb_err err)
{
	return err == SB_ERR_DB_BUSY || err == SB_ERR_DB_FULL ? RUN_WAITING : RUN_DONE;
}

/* Says so when opening the database migrated it (before: its schema_version until then, "" for none). */
static void log_migration(struct sb_bot *b, const char *before)
{
	int64_t now = 0;
	if (!before[0] || sb_store_state_get_int(b->st, SB_STORE_KEY_SCHEMA_VERSION, &now) != SB_OK)
		return;
	char now_s[32];
	snprintf(now_s, sizeof now_s, "%" PRId64, now);
	if (strcmp(before, now_s) != 0)
		sb_log_info("bot", SB_FIELDS(SB_F_STR("from", before), SB_F_INT("to", now)),
		            "database %s migrated from schema version %s to %" PRId64, b->cfg->database_path,
		            before, now);
}

/* One run of the daemon, the database's lock held by the caller; SIGINT and SIGTERM are blocked on entry
 * and unblocked (to *unblocked) once the loop has handlers for them. */
static sb_err run_daemon(const struct sb_config *cfg, const struct sb_bot_opts *opts,
                         const sigset_t *unblocked, int64_t wait_ms, enum run_end *end)
{
	*end = RUN_DONE;
	struct sb_log_opts lo = {.dir = cfg->log_dir,
	                         .name = "spotbot.log",
	                         .max_bytes = (uint64_t)cfg->log_max_bytes,
	                         .keep = (unsigned)cfg->log_keep,
	                         .level = bot_log_level(cfg->log_level),
	                         .to_stderr = cfg->log_stderr};
	sb_err err = sb_log_open(&lo);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot: cannot open the log in %s: %s\n", cfg->log_dir, sb_strerror(err));
		if (opts && opts->on_tty)
			*opts->on_tty = true;
		return err;
	}
	if (geteuid() == 0)
		sb_log_warn(
		    "bot", SB_NOFIELDS,
		    "running as root: a flaw anywhere in the daemon would own the whole host; run it as "
		    "its own user (the systemd unit does)");
	char why[256];
	err = control_check_address(cfg, why, sizeof why);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot: %s\n", why);
		sb_log_error("bot", SB_NOFIELDS, "%s", why);
		sb_log_close();
		return err;
	}
	bot_crashpoint_init();
	struct sb_bot *b = sb_xcalloc(1, sizeof *b);
	/* The one place the daemon's clock is made: the loop's (its timers come once the loop runs). */
	struct sb_clock *clock = NULL;
	(void)sb_clock_uv_new(&b->loop, &clock);
	bot_init(b, cfg, clock);
	b->human = opts ? opts->human : NULL;
	sb_log_info("bot",
	            SB_FIELDS(SB_F_STR("version", SB_VERSION), SB_F_STR("mode", sb_mode_name(cfg->mode)),
	                      SB_F_STR("rest", cfg->binance_rest_url)),
	            "spotbot starting in %s mode, version %s", sb_mode_name(cfg->mode), SB_VERSION);

	char msg[256] = "", before[32] = "";
	(void)sb_store_peek_state(cfg->database_path, SB_STORE_KEY_SCHEMA_VERSION, before, sizeof before,
	                          NULL, 0);
	err = sb_store_open_sqlite(cfg->database_path, &(struct sb_store_opts){.checkpoint_by_caller = true},
	                           &b->st, msg, sizeof msg);
	if (err != SB_OK) {
		sb_log_error("bot", SB_FIELDS(SB_F_ERR(err), SB_F_STR("path", cfg->database_path)),
		             "cannot open the database %s: %s", cfg->database_path, msg);
		*end = startup_failed(err);
		goto out;
	}
	log_migration(b, before);
	bot_set_state(b, BOT_STARTING, "loading state");
	if (b->degraded) {
		err = b->degraded_err;
		*end = startup_failed(err);
		goto out;
	}
	/* The operator's switches (the kill switch here, each pair's enabled flag with the pairs) are in
	 * memory before anything can be decided: a restart never trades for a moment while paused. */
	err = bot_pairs_load(b);
	if (err == SB_OK)
		err = stored_paused(b, &b->paused);
	if (err != SB_OK) {
		sb_log_error("bot",
		             SB_FIELDS(SB_F_ERR(err), SB_F_STR("db_error", sb_store_last_error(b->st))),
		             "cannot load the state from the database");
		*end = startup_failed(err);
		goto out;
	}
	if (b->paused)
		sb_log_warn("bot", SB_FIELDS(SB_F_BOOL("paused", true)),
		            "the kill switch is on: open positions are managed, no new cycle starts until "
		            "`spotbot resume`");
	/* The configuration allows exactly one key type; the REST client makes its own signer alike. */
	bool ed25519 = cfg->binance_private_key_file[0] != '\0';
	if (ed25519)
		err = sb_signer_new_ed25519_file(cfg->binance_private_key_file, &b->signer);
	else
		err =
		    sb_signer_new_hmac(cfg->binance_api_secret, strlen(cfg->binance_api_secret), &b->signer);
	if (err != SB_OK) {
		sb_log_error("bot", SB_FIELDS(SB_F_ERR(err)), "%s cannot be used",
		             ed25519 ? "BINANCE_PRIVATE_KEY_FILE" : "BINANCE_API_SECRET");
		goto out;
	}
	sb_log_info("bot", SB_FIELDS(SB_F_STR("key_type", ed25519 ? "ed25519" : "hmac")),
	            "requests are signed with %s", ed25519 ? "an Ed25519 key" : "an HMAC-SHA256 secret");
	if (uv_loop_init(&b->loop) != 0) {
		err = SB_ERR_IO;
		goto out;
	}
	err = sb_ws_ctx_new(&b->loop, &b->ws);
	if (err == SB_OK)
		err = monitor_start(b);
	if (err == SB_OK) {
		err = exchange_start(b);
	}
	if (err != SB_OK) {
		sb_log_error("bot", SB_FIELDS(SB_F_ERR(err)), "the exchange clients could not start");
		monitor_close(b);
		if (b->ws) {
			sb_ws_ctx_free(b->ws);
			b->ws = NULL;
		}
		while (uv_run(&b->loop, UV_RUN_DEFAULT) != 0)
			;
		uv_loop_close(&b->loop);
		goto out;
	}
	uv_signal_init(&b->loop, &b->sigint);
	uv_signal_init(&b->loop, &b->sigterm);
	uv_signal_init(&b->loop, &b->sighup);
	uv_check_init(&b->loop, &b->check);
	b->sigint.data = b->sigterm.data = b->sighup.data = b->check.data = b;
	uv_signal_start(&b->sigint, on_signal, SIGINT);
	uv_signal_start(&b->sigterm, on_signal, SIGTERM);
	uv_signal_start(&b->sighup, on_hup, SIGHUP);
	/* A stop asked for during start-up (a database lock can hold it for seconds) was kept pending: it
	 * reaches on_signal now and ends in the same clean stop as one asked for later. */
	(void)pthread_sigmask(SIG_SETMASK, unblocked, NULL);
	uv_check_start(&b->check, on_check);
	sb_err start_err = control_start(b, &b->control);
	if (start_err != SB_OK) {
		fprintf(stderr, "spotbot: the control API cannot listen on %s\n", cfg->control_listen);
		sb_log_error("bot", SB_FIELDS(SB_F_ERR(start_err), SB_F_STR("listen", cfg->control_listen)),
		             "the control API cannot listen on %s", cfg->control_listen);
		teardown(b);
	} else {
		monitor_alert(b, SB_ALERT_START, SB_ALERT_INFO, NULL, NULL,
		              "spotbot started in %s mode with %zu pair%s%s", sb_mode_name(cfg->mode),
		              b->npairs, b->npairs == 1 ? "" : "s",
		              b->paused ? " (kill switch on: no new cycles)" : "");
		b->on_writable = restart_on_database;
		bot_timers_start(b);
		bot_startup(b);
		uv_run(&b->loop, UV_RUN_DEFAULT);
	}
	teardown(b);
	sb_ws_ctx_free(b->ws);
	b->ws = NULL;
	control_free(b->control);
	b->control = NULL;
	while (uv_run(&b->loop, UV_RUN_DEFAULT) != 0)
		;
	if (uv_loop_close(&b->loop) != 0)
		sb_log_warn("bot", SB_NOFIELDS, "a loop handle was left open");
	err = start_err;
	if (b->restart)
		*end = RUN_AGAIN;
	if (!b->degraded)
		bot_set_state(b, BOT_STOPPED,
		              start_err == SB_OK ? "stopped cleanly" : "control API unavailable");
	if (b->sell_latency_n)
		sb_log_info(
		    "bot",
		    SB_FIELDS(SB_F_UINT("sells", b->sell_latency_n),
		              SB_F_UINT("mean_us", b->sell_latency_sum_us / b->sell_latency_n),
		              SB_F_UINT("max_us", b->sell_latency_max_us)),
		    "fill to sell request: mean %" PRIu64 " us, max %" PRIu64 " us over %" PRIu64 " sells",
		    b->sell_latency_sum_us / b->sell_latency_n, b->sell_latency_max_us, b->sell_latency_n);
	sb_log_info("bot", SB_NOFIELDS, "%s",
	            b->restart ? "spotbot stopped, to start again on the database" : "spotbot stopped");
out:
	if (*end == RUN_WAITING)
		sb_log_warn("bot", SB_FIELDS(SB_F_ERR(err), SB_F_INT("retry_in_ms", wait_ms)),
		            "start-up waits for the database and tries again in %lld s",
		            (long long)(wait_ms / 1000));
	monitor_free(b);
	sb_clock_free(b->clock);
	orders_free_all(b);
	free(b->pairs);
	sb_signer_free(b->signer);
	sb_store_close(b->st);
	free(b);
	sb_log_close();
	return err;
}

/* Waits ms for a stop signal (blocked); true when one came. */
static bool stop_asked(const sigset_t *stop, int64_t ms)
{
	const struct timespec t = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	return sigtimedwait(stop, NULL, &t) > 0;
}

sb_err sb_bot_run(const struct sb_config *cfg, const struct sb_bot_opts *opts)
{
	if (!cfg)
		return SB_ERR_INVALID;
	if (sb_bot_check_config(cfg, stderr) != SB_OK || sb_bot_check_dirs(cfg, stderr) != SB_OK)
		return SB_ERR_CONFIG;
	/* No core dump and no ptrace by other processes of this user: memory holds the API secret and key. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* Until the loop listens for them, a stop signal or SIGHUP waits instead of killing the process mid
	 * start-up with the default action. */
	sigset_t stop, held, hup, old;
	stop_signals(&stop);
	held_signals(&held);
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	(void)pthread_sigmask(SIG_BLOCK, &held, &old);
	/* One daemon per database: the lock comes before anything is opened or written, the log included,
	 * and is kept across restarts on the same database. */
	struct sb_store_lock *lock = NULL;
	char lmsg[512];
	sb_err err = sb_store_lock_take(cfg->database_path, &lock, lmsg, sizeof lmsg);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot: %s\n", lmsg);
		if (opts && opts->on_tty)
			*opts->on_tty = true;
	}
	int64_t wait_ms = 1000;
	while (err == SB_OK) {
		enum run_end end;
		err = run_daemon(cfg, opts, &old, wait_ms, &end);
		if (end == RUN_DONE)
			break;
		if (end == RUN_AGAIN) {
			wait_ms = 1000;
			if (stop_asked(&stop, 0))
				break;
			continue;
		}
		if (stop_asked(&stop, wait_ms)) {
			err = SB_OK;
			break;
		}
		wait_ms = wait_ms * 2 > 30000 ? 30000 : wait_ms * 2;
		err = SB_OK;
	}
	sb_store_lock_release(lock);
	/* A start that failed before the loop leaves its stop signal pending: it is answered by this return.
	 * A SIGHUP still pending has no log file left to reopen. */
	while (stop_asked(&stop, 0) || stop_asked(&hup, 0))
		;
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

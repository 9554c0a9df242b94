/*
 * test_bot_tick.c - the daemon's once-a-second tick on the virtual clock, driven through the scripted
 * exchange (sbtest_fakex): the kill switch another process writes is read again only once that process
 * has committed, the tick deciding every pair keeps the exposure limit across them, a sparse tick (the
 * backtest's) sleeps through the seconds where time alone changes nothing, and the tick of `run` leaves
 * the pairs alone in those seconds; both yet send every request at the very virtual time a tick deciding
 * every pair every second sends it.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/bot_int.h"
#include "sbtest_dec.h"
#include "sbtest_fakex.h"
#include "sbtest_rules.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

#define T0 INT64_C(1767225600000) /* the virtual clock's wall time at monotonic 0 */

/* How the tick runs. */
enum tick_mode {
	TICK_DENSE,  /* the reference: every pair decided every second, never idle */
	TICK_RUN,    /* as `run`: every second, the pairs left alone while nothing is due */
	TICK_SPARSE, /* as the backtest: the timer parked while nothing is due */
};

static char dir[64];
static char db[128];
static struct sb_config cfg;
static struct sb_bot bot;
static struct sbt_fakex *fx;
static struct sb_clock_timer *busy; /* TICK_DENSE: ends the tick's idle time just before each tick */

/* What the exchange was asked, and when. */
static struct {
	enum sbt_fakex_kind kind[SBT_FAKEX_REQS_MAX]; /* per request */
	uint64_t mono_ms[SBT_FAKEX_REQS_MAX];         /* the daemon's monotonic time it was made at */
	size_t n;                                     /* requests */
} sent;

static void on_request(void *ctx, const struct sbt_fakex_req *r)
{
	(void)ctx;
	sent.kind[sent.n] = r->kind;
	sent.mono_ms[sent.n++] = sb_clock_now_mono_ms(bot.clock);
}

/* The fake delivered an answer or an event: the step after the dispatch runs, as `run` runs it. */
static void delivered(void *ctx)
{
	(void)ctx;
	engine_step(&bot);
}

/* Fires just before the tick (started first, due at the same times): the tick never finds itself idle. */
static void keep_busy(struct sb_clock_timer *t, void *user)
{
	(void)t;
	(void)user;
	bot.tick_idle_until = 0;
}

/* A daemon trading BTCUSDT with settings on the fake exchange, its store a file in dir, its tick started. */
static void start(const char *settings, enum tick_mode mode)
{
	memset(&bot, 0, sizeof bot);
	memset(&sent, 0, sizeof sent);
	sb_config_init(&cfg);
	bot_init(&bot, &cfg, sb_clock_virtual_new(T0));
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &bot.st, err, sizeof err), SB_OK, "%s", err);
	bot.pairs = sb_xcalloc(SB_PAIRS_MAX, sizeof *bot.pairs);
	bot.npairs = 1;
	struct bot_pair *pr = &bot.pairs[0];
	pr->cfg = sbt_pair(settings);
	pr->rules = sbt_rules_btcusdt();
	pr->rules.stp_allowed = 1u << SB_STP_EXPIRE_TAKER | 1u << SB_STP_EXPIRE_MAKER;
	pr->have_rules = true;
	pr->sell_fee = D("0.001");
	struct sb_store_pair row;
	bot_pair_to_row(&pr->cfg, T0, &row);
	cr_assert_eq(sb_store_pair_upsert(bot.st, &row, NULL), SB_OK, "%s", sb_store_last_error(bot.st));
	struct sb_exchange_events ev = bot_exchange_events(&bot);
	fx = sbt_fakex_new(&ev);
	fx->subscribed = true;
	fx->on_request = on_request;
	fx->on_delivered = delivered;
	bot.ex = &fx->base;
	bot.state = BOT_TRADING;
	bot.tick_sparse = mode == TICK_SPARSE;
	busy = NULL;
	if (mode == TICK_DENSE) {
		busy = sb_clock_timer_new(bot.clock, keep_busy, NULL);
		sb_clock_timer_start(busy, BOT_TICK_MS, BOT_TICK_MS);
	}
	bot_timers_start(&bot);
}

static void stop(void)
{
	struct sb_exchange *ex = bot.ex;
	bot.ex = NULL;
	sb_exchange_free(ex);
	bot_timers_free(&bot);
	sb_clock_timer_free(busy);
	sb_clock_free(bot.clock);
	orders_free_all(&bot);
	free(bot.pairs);
	sb_store_close(bot.st);
	sb_config_fini(&cfg);
	char p[160];
	static const char *const tails[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof p, "%s%s", db, tails[i]);
		unlink(p);
	}
}

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/sb_tick_XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(db, sizeof db, "%s/spotbot.db", dir);
}

static void teardown(void)
{
	rmdir(dir);
}

TestSuite(bot_tick, .init = setup, .fini = teardown);

/* ---- the kill switch ---------------------------------------------------------------------------------- */

static struct sb_store_ops counting; /* the store's operations with state_get counted */
static const struct sb_store_ops *real;
static unsigned paused_reads;

static sb_err count_get(struct sb_store *st, const char *key, char *buf, size_t cap)
{
	if (strcmp(key, SB_STORE_KEY_PAUSED) == 0)
		paused_reads++;
	return real->state_get(st, key, buf, cap);
}

Test(bot_tick, the_kill_switch_is_read_again_only_after_another_connection_wrote)
{
	start("BTCUSDT:quote=20", TICK_RUN);
	real = bot.st->ops;
	counting = *real;
	counting.state_get = count_get;
	bot.st->ops = &counting;
	paused_reads = 0;
	sb_clock_virtual_run_until(bot.clock, 10000);
	cr_assert_eq(paused_reads, 1, "ten ticks, one read: nobody else wrote");
	cr_assert(!bot.paused);

	struct sb_store *other = NULL;
	char err[256];
	cr_assert_eq(sb_store_open_sqlite(db, NULL, &other, err, sizeof err), SB_OK, "%s", err);
	cr_assert_eq(sb_store_state_set(other, SB_STORE_KEY_PAUSED, "1", T0, NULL), SB_OK);
	sb_store_close(other);
	sb_clock_virtual_run_until(bot.clock, 11000);
	cr_assert(bot.paused, "the next tick obeys the switch another process turned on");
	cr_assert_eq(bot.state, BOT_PAUSED);
	cr_assert_eq(paused_reads, 2);
	sb_clock_virtual_run_until(bot.clock, 20000);
	cr_assert_eq(paused_reads, 2, "and reads it no more while nobody writes");
	bot.st->ops = real;
	stop();
}

/* ---- deciding every pair ------------------------------------------------------------------------------ */

Test(bot_tick, the_exposure_limit_holds_across_the_pairs_the_tick_decides)
{
	/* The limit is changed under the running daemon, which no event tells: the tick decides every pair.
	 */
	start("BTCUSDT:quote=20,buy_offset=0", TICK_DENSE);
	cfg.max_exposure = D("30");
	struct bot_pair *eth = &bot.pairs[bot.npairs++];
	eth->cfg = sbt_pair("ETHUSDT:quote=20,buy_offset=0");
	eth->rules = bot.pairs[0].rules;
	snprintf(eth->rules.symbol, sizeof eth->rules.symbol, "ETHUSDT");
	eth->have_rules = true;
	eth->sell_fee = D("0.001");
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	sbt_fakex_book(fx, "ETHUSDT", "50000", "50000.01");
	sb_clock_virtual_run_until(bot.clock, 5000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "20 + 20 would pass MAX_EXPOSURE=30: one buy");
	cfg.max_exposure = D("40");
	sb_clock_virtual_run_until(bot.clock, 6000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2, "within 40 the other pair opens at the next tick");
	stop();
}

/* ---- the sparse tick ---------------------------------------------------------------------------------- */

/* The fake's last order request answered: NEW, or the given final status. */
static void answer_last(enum sbt_fakex_kind kind, enum sb_order_state status)
{
	int i = sbt_fakex_last(fx, kind);
	cr_assert_geq(i, 0);
	const struct sbt_fakex_req *r = &fx->req[i];
	struct sb_bn_order o = {.shape = SB_BN_ORDER_QUERY,
	                        .order_id = 77,
	                        .order_list_id = -1,
	                        .transact_time = -1,
	                        .price = D("50000"),
	                        .orig_qty = D("0.0004"),
	                        .status = status,
	                        .type = SB_ORDER_LIMIT,
	                        .side = SB_SIDE_BUY,
	                        .working_time = -1,
	                        .prevented_match_id = -1,
	                        .time = bot_now_ms(&bot),
	                        .update_time = bot_now_ms(&bot)};
	snprintf(o.symbol, sizeof o.symbol, "%s", r->symbol);
	snprintf(o.client_order_id, sizeof o.client_order_id, "%s", r->coid);
	sbt_fakex_answer_order(fx, (size_t)i, SB_OK, 0, &o);
	bot_tick_wake(&bot);
}

/* The market moves at mono ms: the clock reaches it, then the quote arrives and the tick is woken. */
static void quote_at(uint64_t ms)
{
	sb_clock_virtual_run_until(bot.clock, ms);
	sbt_fakex_book(fx, "BTCUSDT", "50000", "50000.01");
	bot_tick_wake(&bot);
}

/* When the tick fires next, in mono ms. */
static uint64_t tick_due(void)
{
	uint64_t due = 0;
	cr_assert(sb_clock_virtual_timer_due(bot.timers.tick, &due), "the tick runs");
	return due;
}

/*
 * A cycle whose buy times out, then a cooldown, then the next cycle: a quote opens the cycle at 500 ms,
 * its price goes stale (a REST price request at the first second after 10.5 s), the buy is cancelled at
 * the first second after its one-minute timeout, the cancel is answered at 120 s, and a quote at 400 s,
 * after the two-minute cooldown, opens the next one. parked_at_30s: when the tick fires next at 30 s;
 * idle_decisions: the pair's decisions from 30 s to 60 s, while only the buy's timeout could change one.
 */
static void cycle_script(enum tick_mode mode, uint64_t *parked_at_30s, uint64_t *idle_decisions)
{
	start("BTCUSDT:quote=20,buy_offset=0,buy_timeout=1m,cooldown=2m", mode);
	quote_at(500);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 1, "the quote opened a cycle");
	answer_last(SBT_FX_PLACE, SB_ORDER_NEW);
	sb_clock_virtual_run_until(bot.clock, 30000);
	*parked_at_30s = tick_due();
	uint64_t decided = bot.decisions;
	sb_clock_virtual_run_until(bot.clock, 60000);
	*idle_decisions = bot.decisions - decided;
	sb_clock_virtual_run_until(bot.clock, 120000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_CANCEL), 1, "the buy timed out");
	answer_last(SBT_FX_CANCEL, SB_ORDER_CANCELED);
	sb_clock_virtual_run_until(bot.clock, 399000);
	quote_at(400000);
	sb_clock_virtual_run_until(bot.clock, 500000);
	cr_assert_eq(sbt_fakex_count(fx, SBT_FX_PLACE), 2, "the quote after the cooldown opened the next");
}

/* What the dense reference run sent, and when. */
static struct {
	size_t n;                                     /* requests */
	enum sbt_fakex_kind kind[SBT_FAKEX_REQS_MAX]; /* per request */
	uint64_t at[SBT_FAKEX_REQS_MAX];              /* its mono ms */
} ref;

/* The cycle on a tick deciding every pair every second, kept in ref; its parked time at 30 s. */
static uint64_t dense_reference(void)
{
	uint64_t due, decisions;
	cycle_script(TICK_DENSE, &due, &decisions);
	cr_assert_eq(decisions, 30, "the reference decides the pair every second");
	ref.n = sent.n;
	memcpy(ref.kind, sent.kind, sizeof ref.kind);
	memcpy(ref.at, sent.mono_ms, sizeof ref.at);
	stop();
	return due;
}

/* The requests sent are the reference's, at the same times. */
static void same_requests_as_the_reference(void)
{
	cr_assert_eq(sent.n, ref.n, "as many requests either way");
	for (size_t i = 0; i < ref.n; i++) {
		cr_assert_eq(sent.kind[i], ref.kind[i], "request %zu is the same", i);
		cr_assert_eq(sent.mono_ms[i], ref.at[i],
		             "request %zu goes out at %llu ms either way, not %llu", i,
		             (unsigned long long)ref.at[i], (unsigned long long)sent.mono_ms[i]);
	}
	size_t ticker = 0;
	for (size_t i = 0; i < ref.n; i++)
		if (sent.kind[i] == SBT_FX_TICKER && sent.mono_ms[i] == 11000)
			ticker++;
	cr_assert_eq(ticker, 1, "the stale price was asked for at 11 s, when it went stale");
}

Test(bot_tick, a_sparse_tick_sleeps_until_time_can_change_a_decision_and_acts_on_the_same_second)
{
	uint64_t dense_due = dense_reference(), sparse_due, decisions;
	cycle_script(TICK_SPARSE, &sparse_due, &decisions);
	cr_assert_eq(dense_due, 31000, "a tick every second");
	cr_assert_eq(sparse_due, 61000, "parked until the first second after the buy's timeout at 60.5 s");
	cr_assert_eq(decisions, 0, "no tick between 30 s and 60 s");
	same_requests_as_the_reference();
	stop();
}

Test(bot_tick, the_run_tick_leaves_pairs_with_nothing_due_alone_and_acts_on_the_same_second)
{
	dense_reference();
	uint64_t due, decisions;
	cycle_script(TICK_RUN, &due, &decisions);
	cr_assert_eq(due, 31000, "the timer still fires every second (the kill switch, the control API)");
	cr_assert_eq(decisions, 0,
	             "nothing decided between 30 s and 60 s: only the buy's timeout at 60.5 s "
	             "could change a decision");
	same_requests_as_the_reference();
	stop();
}

Test(bot_tick, an_event_ends_the_idle_time_of_the_run_tick)
{
	start("BTCUSDT:quote=20,buy_offset=0,buy_timeout=1m", TICK_RUN);
	quote_at(500);
	answer_last(SBT_FX_PLACE, SB_ORDER_NEW);
	sb_clock_virtual_run_until(bot.clock, 20000);
	cr_assert_gt(bot.tick_idle_until, 0, "idle until the buy's timeout");
	uint64_t decided = bot.decisions;
	sbt_fakex_book(fx, "BTCUSDT", "50001", "50001.01");
	cr_assert_eq(bot.tick_idle_until, 0, "the quote ended the idle time");
	cr_assert_eq(bot.decisions, decided + 1, "the step decided the pair on its quote");
	sb_clock_virtual_run_until(bot.clock, 21000);
	cr_assert_eq(bot.decisions, decided + 2, "and the next tick decided it again");
	sb_clock_virtual_run_until(bot.clock, 25000);
	cr_assert_eq(bot.decisions, decided + 2, "then went idle again");
	stop();
}

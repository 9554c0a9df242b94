/*
 * test_bot_tick.c - the daemon's once-a-second tick on the virtual clock, driven through the scripted
 * exchange (sbtest_fakex): the kill switch another process writes is read again only once that process
 * has committed.
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

static char dir[64];
static char db[128];
static struct sb_config cfg;
static struct sb_bot bot;
static struct sbt_fakex *fx;

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

/* A daemon trading BTCUSDT with settings on the fake exchange, its store a file in dir, its tick started. */
static void start(const char *settings, bool sparse)
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
	struct sb_exchange_events ev = {
	    .market = {prices_on_market, prices_on_snapshot, prices_on_link},
	    .account = {orders_on_user, reconcile_on_request, orders_on_user_link},
	    .user = &bot,
	};
	fx = sbt_fakex_new(&ev);
	fx->subscribed = true;
	fx->on_request = on_request;
	bot.ex = &fx->base;
	bot.state = BOT_TRADING;
	(void)sparse;
	bot_timers_start(&bot);
}

static void stop(void)
{
	struct sb_exchange *ex = bot.ex;
	bot.ex = NULL;
	sb_exchange_free(ex);
	bot_timers_free(&bot);
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
	start("BTCUSDT:quote=20", false);
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

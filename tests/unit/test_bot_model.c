/*
 * test_bot_model.c - the daemon's memory of its pairs (src/bot/model.c) in the daemon built by sbtest_bot
 * on the scripted exchange: pairs found by symbol through the hash index, also once pairs were added
 * after it was built, and the exposure's running total, which must equal the sum over every open position
 * after any sequence of buys, fills, sells, expiries, ended positions and a restart.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sbtest_bot.h"
#include "sbtest_dec.h"

static struct sbt_bot tb;

static void teardown(void)
{
	sbt_bot_fini(&tb);
}

TestSuite(bot_model, .fini = teardown);

Test(bot_model, every_pair_is_found_by_its_symbol_and_no_other)
{
	char pairs[1000] = ""; /* sbt_bot_init takes PAIRS up to 1 KB: short names */
	size_t len = 0;
	for (int i = 0; i < SB_PAIRS_MAX; i++)
		len += (size_t)snprintf(pairs + len, sizeof pairs - len, "%sP%02dX:quote=9", i ? ";" : "", i);
	cr_assert_lt(len, sizeof pairs - 1);
	sbt_bot_init(&tb, pairs, NULL, 0);
	struct sb_bot *b = tb.b;
	cr_assert_eq(b->npairs, SB_PAIRS_MAX);
	for (size_t i = 0; i < b->npairs; i++)
		cr_assert_eq(bot_pair_find(b, b->pairs[i].cfg.symbol), &b->pairs[i], "%s",
		             b->pairs[i].cfg.symbol);
	cr_assert_null(bot_pair_find(b, "P64X"));
	cr_assert_null(bot_pair_find(b, "p01x"), "symbols are upper case, as events carry them");
	cr_assert_null(bot_pair_find(b, ""));

	/* A removed pair is not found; its slot comes back with it. */
	struct bot_pair *p7 = bot_pair_find(b, "P07X");
	p7->removed = true;
	cr_assert_null(bot_pair_find(b, "P07X"));
	p7->removed = false;
	cr_assert_eq(bot_pair_find(b, "P07X"), p7);
}

Test(bot_model, a_pair_added_after_lookups_is_found)
{
	sbt_bot_init(&tb, "BTCUSDT:quote=20", NULL, 0);
	struct sb_bot *b = tb.b;
	cr_assert_not_null(bot_pair_find(b, "BTCUSDT"));
	cr_assert_null(bot_pair_find(b, "ETHUSDT"));
	/* As the control API adds one: the next free slot. */
	struct bot_pair *pr = &b->pairs[b->npairs++];
	memset(pr, 0, sizeof *pr);
	snprintf(pr->cfg.symbol, sizeof pr->cfg.symbol, "ETHUSDT");
	cr_assert_eq(bot_pair_find(b, "ETHUSDT"), pr);
	cr_assert_eq(bot_pair_find(b, "BTCUSDT"), &b->pairs[0]);
}

/* ---- exposure ------------------------------------------------------------------------------------------ */

#define SYMS 3
static const char *const SYM[SYMS] = {"BTCUSDT", "ETHUSDT", "BNBUSDT"};

/* What the test knows of each order the daemon placed, by request index. */
static struct {
	bool acked;  /* acknowledged */
	bool ended;  /* filled, expired */
	sb_dec cum;  /* executed */
	sb_dec quot; /* its quote */
} ord[SBT_FAKEX_REQS_MAX];

static uint64_t seed = 0x9e3779b97f4a7c15u;

static uint64_t rnd(uint64_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed % n;
}

static const char *dec(sb_dec v, char *buf)
{
	sb_dec_format_trim(v, buf, SB_DEC_STRLEN);
	return buf;
}

/* A random open order placed by the daemon: its request index, or -1. */
static int pick_open(struct sbt_fakex *fx)
{
	int open[SBT_FAKEX_REQS_MAX], n = 0;
	for (size_t i = 0; i < fx->n; i++)
		if (fx->req[i].kind == SBT_FX_PLACE && !ord[i].ended)
			open[n++] = (int)i;
	return n ? open[rnd((uint64_t)n)] : -1;
}

/* Trades part (or all) of request i's order at its price. */
static void trade(struct sbt_fakex *fx, size_t i, int64_t trade_id)
{
	const struct sb_bn_new_order *o = &fx->req[i].order;
	sb_dec step = D("0.00001"), left = o->quantity - ord[i].cum;
	uint64_t steps = (uint64_t)(left / step);
	sb_dec q = steps <= 1 ? left : (sb_dec)(1 + rnd(steps)) * step;
	sb_dec quote = 0;
	cr_assert_eq(sb_dec_mul(o->price, q, SB_ROUND_DOWN, &quote), SB_OK);
	ord[i].cum += q;
	ord[i].quot += quote;
	bool done = ord[i].cum == o->quantity;
	char s[5][SB_DEC_STRLEN];
	struct sb_fill f = fill(dec(o->price, s[0]), dec(q, s[1]), dec(quote, s[2]), "0", "USDT", trade_id);
	sbt_bot_trade(&tb, i, &f, dec(ord[i].cum, s[3]), dec(ord[i].quot, s[4]),
	              done ? SB_ORDER_FILLED : SB_ORDER_PARTIALLY_FILLED);
	ord[i].ended = done;
}

/* One random step of the world: a quote, an acknowledgement, a trade, an expiry, or time passing. */
static void step(struct sbt_fakex *fx, int64_t *trade_id)
{
	uint64_t what = rnd(10);
	int i = what < 8 ? pick_open(fx) : -1;
	if (what < 2 || (i < 0 && what < 8)) {
		const char *sym = SYM[rnd(SYMS)];
		sbt_fakex_book(fx, sym, "50000", "50000.01");
	} else if (i >= 0 && !ord[i].acked) {
		sbt_bot_ack(&tb, (size_t)i);
		ord[i].acked = true;
	} else if (i >= 0 && what < 7) {
		trade(fx, (size_t)i, (*trade_id)++);
	} else if (i >= 0) {
		/* The exchange expires it, with what it executed so far. */
		char s[2][SB_DEC_STRLEN];
		sbt_bot_report(&tb, (size_t)i, SB_ORDER_EXPIRED, dec(ord[i].cum, s[0]),
		               dec(ord[i].quot, s[1]));
		ord[i].ended = true;
	} else {
		sbt_bot_advance(&tb, 1000 + rnd(4000));
	}
}

Test(bot_model, the_running_exposure_equals_the_sum_over_open_positions_at_every_step)
{
	sbt_bot_init(&tb,
	             "BTCUSDT:quote=20,profit=0.5%,buy_offset=0,max_positions=3,buy_timeout=7d;"
	             "ETHUSDT:quote=15,profit=0.5%,buy_offset=0,max_positions=2,buy_timeout=7d;"
	             "BNBUSDT:quote=25,profit=0.5%,buy_offset=0,max_positions=2,buy_timeout=7d",
	             NULL, 0);
	struct sbt_fakex *fx = sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
	memset(ord, 0, sizeof ord);
	int64_t trade_id = 1;
	sb_dec most = 0;
	size_t steps = 0, sells_filled = 0;
	while (fx->n < SBT_FAKEX_REQS_MAX - 8 && steps < 5000) {
		step(fx, &trade_id);
		steps++;
		sb_dec running = bot_exposure(tb.b);
		cr_assert_eq(running, bot_exposure_recount(tb.b), "step %zu: the running total went astray",
		             steps);
		if (running > most)
			most = running;
	}
	for (size_t i = 0; i < fx->n; i++)
		sells_filled += fx->req[i].kind == SBT_FX_PLACE && fx->req[i].order.side == SB_SIDE_SELL &&
		                ord[i].ended && ord[i].cum == fx->req[i].order.quantity;
	cr_assert_gt(most, D("20"), "several positions were open at once");
	cr_assert_gt(sells_filled, 0, "positions ended by their sell");

	/* The total a restart counts from the database is the sum over what it loaded. */
	sbt_bot_restart(&tb);
	sbt_bot_start_reconciling(&tb, NULL);
	cr_assert_eq(bot_exposure(tb.b), bot_exposure_recount(tb.b));
	cr_assert_gt(bot_exposure(tb.b), 0, "open positions were loaded");
}

/*
 * sbtest_bot.h - one daemon for unit tests, built as `spotbot run` builds it but without sockets: the
 * configuration from a PAIRS value, a virtual clock, a SQLite database in a temporary directory with the
 * pairs loaded into it, and an exchange behind the table (the scripted fake of sbtest_fakex.h, or one the
 * test makes, such as spotsim's exchange in-process). The helpers start the daemon through its real
 * start-up against the fake, deliver what is due, move the virtual clock, restart the daemon on the same
 * database, and read back what the store holds.
 *
 * Tests drive the daemon only as the world does: through the exchange's answers and events, the clock and
 * the database. Whatever the daemon does after an event has been dispatched runs in sbt_bot_pump, which
 * the fake calls after every answer or event a test delivers.
 */
#ifndef SBTEST_BOT_H
#define SBTEST_BOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/bot_int.h"
#include "sbtest_fakex.h"

#define SBT_BOT_START_MS 1767225600000 /* 2026-01-01T00:00:00Z: the virtual clock's default start */

/* What the store held when the daemon made one request of the fake. */
struct sbt_bot_sent {
	bool stored;                  /* PLACE, QUERY, CANCEL: the order was in the store */
	struct sb_store_order row;    /* its row then */
	bool pos_stored;              /* its position was in the store */
	struct sb_store_position pos; /* the position's row then */
	uint64_t mono_ms;             /* the daemon's monotonic time then */
	uint64_t commits;             /* write transactions the daemon's store had committed by then */
	bool durable; /* PLACE: another connection found the order: its intent was committed */
};

struct sbt_bot {
	struct sb_config cfg; /* PAIRS and the test's settings over the defaults */
	struct sb_bot *b;     /* the daemon (owned) */
	struct sbt_fakex *fx; /* b's exchange when it is the fake (sbt_bot_fake); else NULL */
	/* Delivers what b's exchange holds back, returning how much (sb_bt_exchange_pump); NULL for the fake,
	 * which answers only when the test says so. */
	size_t (*pump)(struct sb_exchange *ex);
	/* The step after the dispatch (engine_step) is left to the test, to look between an event and the
	 * decision it marks; false: sbt_bot_pump runs it after every delivery, as `run` does. */
	bool hold_step;
	int64_t start_ms;                             /* wall time of the first daemon's virtual clock at 0 */
	char dir[64];                                 /* the temporary directory of the database */
	char db[96];                                  /* the database's path */
	struct sbt_bot_sent sent[SBT_FAKEX_REQS_MAX]; /* by request index of the fake */
};

/* A daemon on a new database: the settings ("NAME=VALUE", NULL-terminated; NULL: none) and PAIRS=pairs over
 * the defaults, a virtual clock whose wall time starts at start_ms (0: SBT_BOT_START_MS), its pairs loaded
 * from PAIRS into trade_pairs, the kill switch from the database. No exchange, no rules, not started. */
void sbt_bot_init(struct sbt_bot *t, const char *pairs, const char *const *settings, int64_t start_ms);

/* Ends the daemon as teardown does (its exchange freed, every request ended) and removes the database. */
void sbt_bot_fini(struct sbt_bot *t);

/* Gives the daemon the scripted exchange, its user stream subscribed; each request records the store's
 * rows at that moment in t->sent. */
struct sbt_fakex *sbt_bot_fake(struct sbt_bot *t);

/* The rules the fake lists for symbol: BTCUSDT's (sbt_rules_btcusdt) under its name and assets (base is the
 * symbol without USDT), allowing the self-trade prevention modes the daemon asks for. */
struct sb_symbol_rules sbt_bot_rules(const char *symbol);

/* Skips start-up: every pair gets sbt_bot_rules, the daemon trades and its timers run. */
void sbt_bot_trading(struct sbt_bot *t);

/* The real start-up against the fake (server time, rules, commission rates 0.1%), its timers running, up
 * to the reconciliation, whose queries and open-order lists are left to the test. listed: the symbols the
 * exchange lists, comma-separated (NULL: every pair). */
void sbt_bot_start_reconciling(struct sbt_bot *t, const char *listed);

/* As sbt_bot_start_reconciling, then answers the open-order lists with none, up to trading (or paused). */
void sbt_bot_start(struct sbt_bot *t, const char *listed);

/* Answers every open-order list not answered yet with an empty one. */
void sbt_bot_no_open_orders(struct sbt_bot *t);

/* Runs what is due now: the step after the dispatch (unless hold_step), the clock's timers due at this
 * time and what the exchange holds back, until nothing more is. */
void sbt_bot_pump(struct sbt_bot *t);

/* Moves the virtual clock on by ms (firing the timers due on the way, the daemon's tick among them), then
 * pumps. */
void sbt_bot_advance(struct sbt_bot *t, uint64_t ms);

/* Moves it on to the daemon's monotonic time mono_ms. */
void sbt_bot_advance_to(struct sbt_bot *t, uint64_t mono_ms);

/* Now on the daemon's clock: wall ms, and monotonic ms. */
int64_t sbt_bot_now(const struct sbt_bot *t);
uint64_t sbt_bot_mono(const struct sbt_bot *t);

/* The process stops without warning (its requests die unanswered, its memory is gone) and a new daemon
 * opens the same database as sbt_bot_init does, its clock going on from the same wall time, with a new fake
 * when the old one was the fake. Not started. */
void sbt_bot_restart(struct sbt_bot *t);

/* ---- the exchange's side, through the fake: request i of an order is its PLACE request ---------------- */

/* The exchange's order id of the order placed by request i (the tests' convention: 1000 + i). */
int64_t sbt_bot_order_id(size_t i);
/* Index of the PLACE request of coid; fails the test when there is none. */
size_t sbt_bot_placed(const struct sbt_bot *t, const char *coid);
/* Answers PLACE request i as the exchange acknowledges a resting order: NEW, nothing executed. */
void sbt_bot_ack(struct sbt_bot *t, size_t i);
/* The user stream reports trade f of request i's order: cum executed in all for cum_quote, status st. */
void sbt_bot_trade(struct sbt_bot *t, size_t i, const struct sb_fill *f, const char *cum,
                   const char *cum_quote, enum sb_order_state st);
/* The user stream reports request i's order in status st without a trade (cum executed for cum_quote). */
void sbt_bot_report(struct sbt_bot *t, size_t i, enum sb_order_state st, const char *cum,
                    const char *cum_quote);
/* Answers request i (a QUERY or CANCEL of an order placed through this fake) with that order in status st,
 * cum executed for cum_quote. */
void sbt_bot_answer_about(struct sbt_bot *t, size_t i, enum sb_order_state st, const char *cum,
                          const char *cum_quote);

/* Whether selling qty at price nets, after the fee rate, at least cost * (1 + profit): the condition of the
 * minimum profitable sell price, checked without the profit calculator. */
bool sbt_bot_pays(sb_dec qty, sb_dec price, sb_dec cost, const char *fee, const char *profit);

/* Runs sql on the daemon's database through a connection of its own, as another process would (to make a
 * write fail with a trigger, say). */
void sbt_bot_sql(const struct sbt_bot *t, const char *sql);
/* Turns the kill switch on or off in the database from a connection of its own, as `spotbot pause` and
 * `resume` do when the daemon's control API cannot be reached. */
void sbt_bot_set_paused(const struct sbt_bot *t, bool paused);

/* The store's rows; a missing one fails the test. */
struct sb_store_order sbt_bot_order(const struct sbt_bot *t, const char *coid);
struct sb_store_position sbt_bot_position(const struct sbt_bot *t, int64_t id);
/* The fills of an order (*out owned by the caller, free()); returns how many. */
size_t sbt_bot_fills(const struct sbt_bot *t, const char *coid, struct sb_store_fill **out);
/* Events of kind (and of coid, when not NULL) in the log. */
size_t sbt_bot_events_of(const struct sbt_bot *t, const char *kind, const char *coid);
/* Positions in the store in state s. */
size_t sbt_bot_positions_in(const struct sbt_bot *t, enum sb_position_state s);
/* A system_state value into buf ("" when never written). */
const char *sbt_bot_state(const struct sbt_bot *t, const char *key, char *buf, size_t cap);

#endif

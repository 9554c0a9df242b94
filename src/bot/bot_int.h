/*
 * bot_int.h - the daemon's shared state and the functions its parts call on each other, floor by floor:
 * model.c (the pairs and positions in memory, looked up, counted and marked for a decision) at the bottom,
 * monitor.c (metrics, alerts), status.c (run state, kill switch, degraded state, events, progress lines),
 * prices.c (price manager), orders.c and orders_actions.c (order manager), reconcile.c, engine.c (the
 * strategy step), the control API (control*.c) and bot.c (the life cycle) at the top. A part calls only
 * the parts below it; what a lower part needs done above it is left as a mark (bot_pair_mark, the reap
 * list) or called back through a pointer the lifecycle set (step_done).
 *
 * Reactions have a direction. Market and user events and the exchange's answers only record what changed
 * and mark the pair for a decision; one step after the dispatch (engine_step) runs the strategy once for
 * each marked pair and then frees the positions that ended, which wait on a reap list until then so that
 * nobody up the stack holds freed memory.
 *
 * The in-memory model mirrors the database: every open position with its buy order, its current sell
 * order and the fills applied to it. A change is always made on copies, committed, and only then adopted,
 * so memory never runs ahead of what is durable.
 */
#ifndef SPOTBOT_BOT_INT_H
#define SPOTBOT_BOT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "bot/alerts.h"
#include "common/name_index.h"
#include "spotbot/binance.h"
#include "spotbot/bnb.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/exchange.h"
#include "spotbot/log.h"
#include "spotbot/orders.h"
#include "spotbot/pairs.h"
#include "spotbot/position.h"
#include "spotbot/sign.h"
#include "spotbot/store.h"
#include "spotbot/strategy.h"

#define BOT_FILLS_MAX        4096    /* fills kept per side of one position */
#define BOT_OPEN_MAX         128     /* open positions considered per pair */
#define BOT_STOP_MS          5000    /* longest wait for in-flight requests at shutdown */
#define BOT_TICK_MS          1000    /* strategy and housekeeping timer */
#define BOT_RETRY_MS         5000    /* pause before a refused action on a position is tried again */
#define BOT_RETRY_MAX_MS     600000  /* cap of that pause after orders rejected in a row */
#define BOT_QUERY_MAX_MS     30000   /* cap of the settle-query back-off */
#define BOT_RECHECK_INFLIGHT 8       /* a reconciliation's query leaves only while fewer REST calls are out */
#define BOT_WEIGHT_SOFT      3000    /* weight used this minute above which non-urgent checks wait */
#define BOT_FEES_KEEP_MS     3600000 /* a pair's commission rates read this recently are not asked again */
#define BOT_STARTUP_RETRY    5000    /* pause before a failed start-up step is tried again */
#define BOT_DB_PROBE_MS                                                                                      \
	2000                   /* degraded: how often the daemon looks whether the database can be           \
	                          written again */
#define BOT_FEE_DEFAULT 100000 /* 0.1% in sb_dec units, until the account's rates are known */
#define BOT_PAIR_SLOTS  (2 * SB_PAIRS_MAX) /* slots of the index of pairs by symbol: twice the pairs */

/* The sum of every open position's quote: wide enough that no sum of sb_dec values overflows. */
__extension__ typedef __int128 bot_i128; /* -Wpedantic: a GNU extension, allowed by CONTRIBUTING.md */

/*
 * The daemon's run state, one machine (bot_state_allowed):
 *
 *   STARTING --> RECONCILING --> TRADING <--> PAUSED      (kill switch)
 *       |             |             |           |
 *       +-------------+------+------+-----------+--> DEGRADED   (a database write failed)
 *       |                    |                           |
 *       +--------------------+---------------------------+--> STOPPING --> STOPPED
 *
 * Every state but STOPPED may be set again (a new reason). STARTING may end in STOPPED directly (the
 * control API could not listen). DEGRADED is left only by stopping: memory may hold what the database does
 * not, so only a restart on the database ends it. New orders go out in TRADING and PAUSED alone.
 */
enum bot_run_state {
	BOT_STARTING,    /* opening the store and the exchange clients */
	BOT_RECONCILING, /* settling the database with the exchange; no trading yet */
	BOT_TRADING,     /* normal operation */
	BOT_PAUSED,      /* kill switch on: open positions are managed, none opened */
	BOT_DEGRADED,    /* the database cannot be written: no orders at all */
	BOT_STOPPING,    /* a signal arrived: finishing in-flight requests */
	BOT_STOPPED,     /* the daemon has exited cleanly */
	BOT_STATE__COUNT
};

/* One order of a position: its persisted row and its state machine. */
struct bot_order {
	bool present;              /* this slot holds an order */
	struct sb_store_order row; /* as last committed */
	struct sb_order_sm sm;     /* as last committed */
	bool inflight;             /* a place, cancel or query request is out */
	int64_t query_at_ms;       /* when to query it by clientOrderId next; 0 = no query due */
	unsigned query_tries;      /* failed queries so far (back-off) */
	bool unknown_outcome;      /* its placement's answer was lost (timeout, 5xx, a restart): the next
	                              conclusive query is counted as settling it */
	bool lost_pending;         /* the exchange forgot it after acknowledging it: its trades are fetched
	                              once more, then it ends LOST */
	sb_dec filled;             /* sum of the fills applied to it */
	sb_dec filled_quote;       /* their quote amounts */
	bool unsent;               /* its intent was written inside the open fill transaction (b->txn): it
	                              is sent once that commits */
	uint32_t listed_run;       /* the reconciliation whose open-orders list showed it as known here */
	bool recheck;              /* a reconciliation found it unexplained: queried as the budget allows */
};

struct bot_pair;

/* One open position. */
struct bot_pos {
	struct sb_position p;   /* the state machine and its accounting, as last committed */
	int64_t cycle;          /* the store's cycle number */
	struct bot_pair *pair;  /* its pair */
	struct bot_order buy;   /* the buy */
	struct bot_order sell;  /* the current sell (limit or market exit) */
	struct sb_fill *buys;   /* buy fills applied (owned) */
	size_t nbuys;           /* entries */
	struct sb_fill *sells;  /* sell fills applied (owned) */
	size_t nsells;          /* entries */
	unsigned sell_attempt;  /* next attempt number of the limit sell leg */
	unsigned exit_attempt;  /* next attempt number of the market exit leg */
	bool backfill_inflight; /* a myTrades request for missing fills is out */
	int64_t backfill_at_ms; /* no new myTrades request before this */
	int64_t retry_at_ms;    /* no new action before this (after a refusal) */
	int64_t alert_at_ms;    /* last SELL_REFUSED alert, to repeat it only every minute */
	unsigned rejected;      /* its sells the exchange rejected in a row (an accepted one resets) */
	enum sb_action_reason exit_due; /* the market exit its limit sell is cancelled for; else none */
	uint64_t fill_ns;               /* monotonic time the buy's last fill arrived (latency) */
	bool ended;                     /* unlinked from its pair: on b->reap until the next step frees it */
	sb_dec exposure;                /* its share of b->exposure as last counted (bot_pos_exposure) */
	struct bot_pos *next;           /* next open position of the pair (of b->reap once ended) */
};

/* One trade pair. */
struct bot_pair {
	struct sb_pair_cfg cfg;       /* settings from trade_pairs */
	struct sb_symbol_rules rules; /* exchangeInfo filters */
	bool have_rules;              /* rules are loaded */
	bool unlisted;                /* the exchange does not list the symbol: never traded (start-up) */
	bool removed;                 /* removed at run time: the slot waits for the symbol's return */
	sb_dec sell_fee;              /* fee rate assumed for sells */
	bool bnb_discount;            /* the account pays its commission in BNB (rates) */
	struct sb_price_guard guard;  /* the validator's memory */
	struct sb_book_top top;       /* last accepted quote */
	int64_t top_ms;               /* local wall time it was accepted; 0 = never */
	bool rest_price_inflight;     /* a REST bookTicker request is out */
	uint64_t refused;             /* quotes refused by the validator */
	bool refusing;                /* the last quote was refused (one event per run of refusals) */
	bool stp_noted[2];            /* by side: the symbol's refusal of our STP mode was logged */
	int64_t last_ended_ms;        /* the last position of the pair ended at */
	int64_t last_stop_loss_ms;    /* the last position of the pair that left by stop-loss ended at */
	sb_dec stop_loss_refused;     /* the stop_loss new cycles were last refused for (reported); 0 none */
	sb_dec buy_refused;        /* the quote new cycles' buys were last refused for (reported); 0 none */
	sb_dec buy_refused_offset; /* and the buy_offset they were refused for */
	unsigned rejected;         /* its buys the exchange rejected in a row (an accepted one resets) */
	int64_t open_at_ms;        /* no new cycle before this (the wait after a rejected buy) */
	bool decide;               /* what the strategy sees changed: the next step decides the pair */
	uint64_t
	    quote_ns; /* sb_clock_mono_ns() arrival of the oldest accepted quote not decided on yet; 0 none */
	uint32_t listed_run;       /* the reconciliation whose list of the pair's open orders arrived */
	bool fees_unkept;          /* its commission rates were read this start, not kept yet (fees.c) */
	struct bot_pos *positions; /* open positions, newest first */
};

/* The pairs by symbol (model.c, bot_pair_find): a slot keeps its symbol for good, so each is indexed once. */
struct bot_pair_index {
	uint16_t slot[BOT_PAIR_SLOTS]; /* storage of ix */
	struct sb_name_index ix;       /* slots [0, indexed) of sb_bot.pairs by symbol */
	size_t indexed;                /* slots indexed so far */
};

/* The daemon's timers, on its clock (bot_timers_start). */
struct bot_timers {
	struct sb_clock_timer *tick;  /* strategy, settle queries, staleness */
	struct sb_clock_timer *stop;  /* shutdown: waits for in-flight requests */
	struct sb_clock_timer *retry; /* start-up step retries */
};

/* What the tick's work on the pairs depends on besides time and the pairs' own marks: taken before a tick
 * runs, to tell afterwards whether it changed anything, and when the tick went idle (tick_due.c). */
struct bot_tick_mark {
	uint64_t commits;         /* the store's write transactions */
	int inflight;             /* requests out */
	enum bot_run_state state; /* run state */
	bool paused;              /* kill switch */
	bool degraded;            /* database failure */
	bool subscribed;          /* the user data stream is subscribed (new cycles wait for it) */
};

struct sb_bot;
/* A continuation the lifecycle hands down (sb_bot.step_done). */
typedef void (*bot_step_cb)(struct sb_bot *b);

struct sb_bot {
	const struct sb_config *cfg;  /* borrowed */
	FILE *human;                  /* readable progress lines; NULL: none */
	uv_loop_t loop;               /* the one loop */
	uv_signal_t sigint, sigterm;  /* stop requests */
	uv_signal_t sighup;           /* reopens the log files (logrotate) */
	uv_check_t check;             /* run: the step after each loop iteration's events */
	struct sb_clock *clock;       /* the daemon's time and timers (owned) */
	struct bot_timers timers;     /* on clock */
	struct sb_store *st;          /* the database */
	struct sb_signer *signer;     /* signer of the user stream (HMAC or Ed25519, as REST) */
	struct sb_ws_ctx *ws;         /* lws context */
	struct sb_exchange *ex;       /* the exchange (requests, market data, the account's events) */
	struct bot_pair *pairs;       /* every pair, SB_PAIRS_MAX slots that never move (owned) */
	size_t npairs;                /* entries in use */
	struct bot_pair_index pairix; /* the pairs by symbol */
	bot_i128 exposure;            /* quote committed in open positions: the sum of their shares
	                                 (bot_pos_exposure) */
	size_t marked;                /* pairs whose decide mark is set */
	struct bot_pos *reap;         /* ended positions, freed by the next step (owned) */
	char tag[16];                 /* ORDER_TAG */
	unsigned coid_epoch;          /* the database's restore epoch (system_state coid_epoch), read by
	                                 orders_load: every new clientOrderId carries it */
	enum bot_run_state state;     /* current run state */
	bool paused;                  /* kill switch (system_state "paused") */
	bool tick_sparse;             /* a virtual clock: the tick sleeps through seconds where it has
	                                 nothing to do (tick_due.c); set before bot_timers_start */
	int64_t tick_idle_until;      /* else: before this the tick leaves the pairs (prices, orders, the
	                                 strategy) alone while nothing changes (tick_due.c); 0: it works */
	struct bot_tick_mark at_idle; /* the daemon as the tick left it when it went idle */
	uint64_t decisions;           /* strategy decisions made (engine_decide) */
	uint64_t db_version;          /* the store's data version when the kill switch was last read */
	bool db_version_known;        /* db_version is set: the switch is re-read only when it moves */
	bool txn;                     /* a store transaction is open over a buy's fill and what follows it
	                                 (orders.c): writes join it, sends wait for its commit */
	bool degraded;                /* a database write failed (sticky, also once stopping): memory may
	                                 hold what the database does not, so nothing is written until the
	                                 state is reloaded from it (a restart) */
	sb_err degraded_err;          /* the failed write's error */
	int64_t db_probe_ms;          /* degraded: when to look next whether the database can be written */
	bot_step_cb on_writable;      /* degraded, and the database can be written again: the lifecycle's
	                                 continuation (run: restarts on it); NULL: stays degraded */
	bool restart;                 /* run: the stop is a restart on the same database */
	bool closed;                  /* teardown began: callbacks only free their context */
	int inflight;                 /* REST calls whose callback has not run */
	uint64_t stop_deadline;       /* loop time after which shutdown stops waiting for them */
	int step_pending;             /* start-up or reconcile calls outstanding */
	bool step_failed;             /* one of them failed */
	int startup_step;             /* which start-up step is running */
	bot_step_cb step_done;        /* start-up: the lifecycle's continuation once the step's calls are
	                                 all answered (set by bot_init) */
	uint32_t recon_run;           /* the current reconciliation's number (reconcile.c) */
	int recon_lists;              /* its open-orders lists not answered yet */
	bool recon_step;              /* it is the start-up's (its queries count in step_pending) */
	bool recon_all;               /* its list of every symbol's open orders arrived */
	size_t recon_queued;          /* its rechecks not sent yet */
	int64_t recon_owed_at;        /* a reconciliation that waited or failed starts at this time; 0 none */
	struct sb_bnb_table bnb;      /* BNB price per quote asset (prices.c) */
	uint64_t sell_latency_max_us; /* worst fill -> sell sent */
	uint64_t sell_latency_sum_us; /* sum, for the mean */
	uint64_t sell_latency_n;      /* sells measured */
	struct sb_price_limits limits; /* price validation */
	struct bot_control *control;   /* the control API (control.c) */
	struct bot_monitor *mon;       /* metrics and alerts (monitor.c) */
	uint32_t ckpt_from;            /* the database's log pages at its last checkpoint (checkpoint.c) */
};

/* Log fields of a failed REST call: the error, Binance's code and message, the transport's detail. */
#define BOT_F_REST(res)                                                                                      \
	SB_F_ERR((res)->err), SB_F_INT("code", (res)->api.code), SB_F_STR("exchange_msg", (res)->api.msg),   \
	    SB_F_STR("detail", (res)->detail)
/* What went wrong, for a message: Binance's message, else the transport's detail, else the error. */
#define BOT_REST_WHY(res)                                                                                    \
	((res)->api.msg[0] ? (res)->api.msg : (res)->detail[0] ? (res)->detail : sb_strerror((res)->err))

/* ---- fees.c ------------------------------------------------------------------------------------------- */
/* Adopts pr's commission rates as kept by a reading less than BOT_FEES_KEEP_MS old; false when there is
 * none (the exchange is asked). */
bool bot_fees_reuse(struct sb_bot *b, struct bot_pair *pr, int64_t now_ms);
/* The tick: keeps the commission rates of one pair read this start (fees_unkept), for the next start-ups;
 * one a second, so the writes never hold the loop up at once. */
void bot_fees_tick(struct sb_bot *b, int64_t now_ms);

/* ---- checkpoint.c ------------------------------------------------------------------------------------- */
/* The tick: checkpoints the database's log when it has grown enough (only a store opened with
 * checkpoint_by_caller reports its log: the daemon's). */
void bot_checkpoint_tick(struct sb_bot *b);

/* ---- model.c ------------------------------------------------------------------------------------------ */
/* Now on the daemon's wall clock, ms since the epoch. */
int64_t bot_now_ms(const struct sb_bot *b);
/* The pair of symbol (removed pairs are not found), or NULL. */
struct bot_pair *bot_pair_find(struct sb_bot *b, const char *symbol);
/* What the pair is doing, for the control API: "unlisted" (the exchange does not list it), "disabled",
 * "waiting" (its exchange rules are not loaded yet) or "active"; static strings. */
const char *bot_pair_state(const struct bot_pair *pr);
/* Marks pr for a decision by the next step (engine_step); marking a marked pair changes nothing. */
void bot_pair_mark(struct sb_bot *b, struct bot_pair *pr);
/* The trade_pairs row of a pair's settings, written at now. */
void bot_pair_to_row(const struct sb_pair_cfg *c, int64_t now, struct sb_store_pair *r);
/* Adopts the commission rates of symbol's pair (the higher of maker and taker as its sell fee); a failed
 * request or an implausible rate keeps the 0.1% assumed until then. */
void bot_pair_fees(struct sb_bot *b, const char *symbol, const struct sb_bn_rest_result *res,
                   const struct sb_bn_commission *cm);
/* Open positions of the pair (buying, holding or selling). */
size_t bot_pair_open_count(const struct bot_pair *pr);
/* Quote committed in open positions of every pair (SB_DEC_MAX past it): the running total. */
sb_dec bot_exposure(const struct sb_bot *b);
/* The same summed afresh over every open position: what the running total must always equal. */
sb_dec bot_exposure_recount(const struct sb_bot *b);
/* Counts bp's share of the exposure again (0 once it has ended) and moves the total by the difference;
 * called after every change of its state, accounting or buy order, and when it is linked or unlinked. */
void bot_pos_exposure(struct sb_bot *b, struct bot_pos *bp);
/* Every position is forgotten (orders_free_all): the total is 0. */
void bot_exposure_reset(struct sb_bot *b);

/* ---- monitor.c ---------------------------------------------------------------------------------------- */
/* What became of an order, for SB_METRIC_ORDERS{outcome}: sent, then one of the final states. */
enum mon_outcome {
	MON_ORDER_PLACED,   /* "placed": the request went out */
	MON_ORDER_FILLED,   /* "filled" */
	MON_ORDER_CANCELED, /* "canceled" */
	MON_ORDER_EXPIRED,  /* "expired" */
	MON_ORDER_REJECTED, /* "rejected": refused by the exchange */
	MON_ORDER_LOST,     /* "lost": acknowledged, then unknown to the exchange */
	MON_OUTCOME_N
};
/* What started a reconciliation. */
enum mon_recon {
	MON_RECON_STARTUP, /* "startup" */
	MON_RECON_STREAM,  /* "stream": the user stream was silent or reconnected */
	MON_RECON_N
};
/* What a reconciliation found. */
enum mon_finding {
	MON_FIND_FOREIGN_ORDER,   /* "foreign_order": an open order with our prefix the database lacks */
	MON_FIND_MISSED_UPDATE,   /* "missed_update": an acknowledged order changed without a stream event */
	MON_FIND_SETTLED_UNKNOWN, /* "settled_unknown": an order of unknown outcome settled by query */
	MON_FIND_LOST_ORDER,      /* "lost_order": an acknowledged order the exchange no longer knows */
	MON_FIND_N
};
#define BOT_ALERT_WAIT_MS 3000 /* shutdown waits this long at most for queued alerts (the "stop" one) */

/* Creates the registry and the notifier (b->mon); registers every series known now. */
sb_err monitor_start(struct sb_bot *b);
/* Timer: series of new pairs, stream stall and reconnect alerts, the last stream event time. */
void monitor_tick(struct sb_bot *b, int64_t now_ms);
/* sb_bn_rest_opts.observe: REST latency by path (user is b->mon). */
void monitor_rest_observe(void *user, const char *path, uint64_t latency_us, long http_status);
void monitor_order(struct sb_bot *b, const struct bot_pair *pr, enum sb_side side, enum mon_outcome outcome);
void monitor_fill(struct sb_bot *b, const struct bot_pair *pr, enum sb_side side);
void monitor_fill_to_sell(struct sb_bot *b, const struct bot_pair *pr, uint64_t us);
/* A market frame's arrival to the end of the decision it led to, in ns. */
void monitor_decision_latency(struct sb_bot *b, uint64_t ns);
void monitor_reconcile(struct sb_bot *b, enum mon_recon trigger);
void monitor_finding(struct sb_bot *b, enum mon_finding kind, const char *symbol, const char *coid);
/* Logs an alert and sends it to the webhook, if one is configured; key deduplicates (NULL: the kind). */
void monitor_alert(struct sb_bot *b, enum sb_alert_kind kind, enum sb_alert_severity sev, const char *symbol,
                   const char *key, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Whether alerts are still queued or in flight (shutdown waits for them a little). */
bool monitor_alerts_pending(const struct sb_bot *b);
/* The registry /metrics renders; NULL before monitor_start. */
struct sb_metrics *monitor_metrics(const struct sb_bot *b);
/* Records the last stream event time and stops the notifier (its handles close with the loop's). Called
 * before the streams are freed. */
void monitor_close(struct sb_bot *b);
/* Frees everything; after the loop has closed its handles. */
void monitor_free(struct sb_bot *b);

/* ---- status.c ----------------------------------------------------------------------------------------- */
/* Whether the run state may move from one state to the other (see enum bot_run_state). Pure. */
bool bot_state_allowed(enum bot_run_state from, enum bot_run_state to);
/* Moves the run state to s with its reason (logged, and kept in system_state with a run_state event when
 * it changed). A transition the machine does not allow changes nothing, is logged as an error naming both
 * states and returns SB_ERR_STATE. */
sb_err bot_set_state(struct sb_bot *b, enum bot_run_state s, const char *reason);
const char *bot_state_name(enum bot_run_state s);
/* True once the daemon is stopping (STOPPING or STOPPED). */
bool bot_is_stopping(const struct sb_bot *b);
/* A database write failed: stop trading safely. Memory may now hold what the database does not, so only a
 * restart (reloading the state from the database) ends it. */
void bot_degrade(struct sb_bot *b, sb_err err, const char *what);
/* Degraded by a failure the database can recover from: every BOT_DB_PROBE_MS, writes the run state's
 * reason without waiting for another process's lock, and once that succeeds calls b->on_writable. */
void bot_degraded_check(struct sb_bot *b, int64_t now_ms);
/* Turns the kill switch on or off in memory (already persisted by the caller), moves the run state and
 * alerts; source says who ("control", "database"). No-op when unchanged. */
void bot_set_paused(struct sb_bot *b, bool paused, const char *source);
/* True when new orders may go out: the run state is TRADING or PAUSED. */
bool bot_may_trade(const struct sb_bot *b);
/* Appends an event on its own; detail JSON or NULL. */
void bot_event(struct sb_bot *b, const char *kind, const char *symbol, int64_t position_id, const char *coid,
               const char *detail);
/* Readable progress line for the demo (no-op without opts.human). */
void bot_human(struct sb_bot *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- prices.c ----------------------------------------------------------------------------------------- */
void prices_on_market(void *user, const struct sb_bn_market_event *ev);
void prices_on_snapshot(void *user, const char *const *symbols, size_t n, bool reconnect);
void prices_on_link(void *user, enum sb_bn_link state);
/* The pair's validated, fresh price, or false. */
bool prices_fresh(const struct sb_bot *b, const struct bot_pair *pr, int64_t now_ms);
/* When the pair's price stops being fresh (prices_fresh turns false); 0 when it has none. */
int64_t prices_stale_at(const struct sb_bot *b, const struct bot_pair *pr);
/* Timer: REST fallback for stale prices, BNB price refresh for the quote assets whose pairs need one. */
void prices_tick(struct sb_bot *b, int64_t now_ms);
/* Quote per BNB in pr's quote asset, to value pr's commission paid in BNB: 1 when the quote asset is BNB,
 * 0 while unknown (no rules yet, not fetched yet, or no BNB<QUOTE> market). */
sb_dec bot_bnb_price(const struct sb_bot *b, const struct bot_pair *pr);
/* True while pr's BNB price is unknown only because no answer about it has arrived yet. */
bool bot_bnb_awaited(const struct sb_bot *b, const struct bot_pair *pr);

/* ---- orders.c ----------------------------------------------------------------------------------------- */
/* Loads the open positions and their orders and fills from the store. */
sb_err orders_load(struct sb_bot *b);
/* Frees every position in memory, the open ones and those waiting on the reap list. */
void orders_free_all(struct sb_bot *b);
/* Frees the positions on the reap list (engine_step, once the dispatch that ended them is over). */
void orders_reap(struct sb_bot *b);
void orders_on_user(void *user, const struct sb_bn_user_event *ev);
void orders_on_user_link(void *user, enum sb_bn_link state);
/* Opens a position and places its buy. */
void orders_open(struct sb_bot *b, struct bot_pair *pr, const struct sb_action *a, int64_t now_ms);
/* Places the LIMIT sell of a (price, qty; plan when nothing was sold yet): the strategy's at its target,
 * or a re-priced one (reason SB_WHY_MANUAL) at the user's price. Both record exit TARGET. */
void orders_place_sell(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a, int64_t now_ms);
/* Places a MARKET sell of a->qty; the exit recorded follows a->reason: STOP_LOSS, MAX_DURATION, MANUAL. */
void orders_market_sell(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a, int64_t now_ms);
void orders_cancel(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, const char *why);
void orders_abandon(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms);
/* -> ABANDONED by hand from any open state (the coins stay in the account, what was bought is recorded):
 * commits the position with a position.abandoned event (reason MANUAL), then forgets it (bp goes to the
 * reap list: still readable until the next step).
 * SB_ERR_STATE when the position has ended, one of its orders may still work on the exchange (open or not
 * yet settled) or a request about it is out; the store's error (the daemon is degraded) otherwise. */
sb_err orders_abandon_manual(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms);
/* The sell plan the strategy would make for bp now (profit calculator, the pair's fee and target), for
 * its minimum profitable price; SB_OK whenever plan->min_sell_price is known, even when the plan's own
 * order would fail a filter. */
sb_err orders_sell_plan(const struct sb_bot *b, const struct bot_pos *bp, struct sb_sell_plan *plan);
void orders_alert(struct sb_bot *b, struct bot_pos *bp, const struct sb_action *a, int64_t now_ms);
/* Queries an order by clientOrderId now (settling, reconciliation); counts in step_pending when asked. */
void orders_query(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o, bool step);
/* Moves a position on when its order has ended (fills complete), fetching missing fills; a position that
 * moved marks its pair for a decision. An ended position (bp->ended) is left alone. */
void orders_settle(struct sb_bot *b, struct bot_pos *bp);
/* Timer: due settle queries and settlements. */
void orders_tick(struct sb_bot *b, int64_t now_ms);
/* The order of bp named coid, or NULL. */
struct bot_order *orders_find(struct bot_pos *bp, const char *coid);
struct bot_pos *orders_pos_find(struct sb_bot *b, int64_t id);

/* Shared by orders.c and orders_actions.c only. */
/* The position row of bp with the state p, as of now. */
void orders_pos_row(const struct bot_pos *bp, const struct sb_position *p, int64_t now,
                    struct sb_store_position *r);
void orders_pos_free(struct bot_pos *bp);
/* Unlinks an ended position from its pair and puts it on the reap list (bp stays valid until the next
 * step frees it), marking the pair for a decision; cooldown starts the pair's pause. */
void orders_pos_remove(struct sb_bot *b, struct bot_pos *bp, int64_t now, bool cooldown);
/* Sends the committed intent o of bp. */
void orders_send(struct sb_bot *b, struct bot_pos *bp, struct bot_order *o);
/* Sends the committed sell of bp, timing it from the buy's last fill (the fill-to-sell latency). */
void orders_send_sell(struct sb_bot *b, struct bot_pos *bp);
/* Commits position state p of bp with an event (kind, detail JSON), then adopts it. */
sb_err orders_commit_position(struct sb_bot *b, struct bot_pos *bp, const struct sb_position *p,
                              const char *kind, const char *detail);
/* A holding time for people ("12.3 s", "4 min 5 s", "3 h 12 min") into buf. */
void orders_fmt_duration(int64_t ms, char *buf, size_t cap);

/* ---- reconcile.c -------------------------------------------------------------------------------------- */
/* Start-up reconciliation (counts in step_pending). */
void reconcile_startup(struct sb_bot *b);
/* The user stream asked for it. */
void reconcile_on_request(void *user, enum sb_bn_reconcile_reason why);
/* Sends the reconciliation's queued rechecks as the request bound and the weight allow (after each
 * answer, and from the tick). */
void reconcile_pump(struct sb_bot *b);
/* Starts the reconciliation owed (asked for while it had to wait, or whose list failed) once due. */
void reconcile_tick(struct sb_bot *b, int64_t now_ms);

/* ---- engine.c ----------------------------------------------------------------------------------------- */
/* Decides and acts for one pair now. */
void engine_decide(struct sb_bot *b, struct bot_pair *pr, int64_t now_ms);
/* Decides bp's pair now and carries out only the actions for bp: the sell of a position just bought,
 * written in the transaction of its fill (orders.c). The pair's other actions wait for the step. */
void engine_decide_position(struct sb_bot *b, struct bot_pos *bp, int64_t now_ms);
/* The step after a dispatch: decides each marked pair once (its mark cleared first, so a mark its own
 * actions set waits for the next step), then frees the positions on the reap list. */
void engine_step(struct sb_bot *b);
/* struct sb_exchange_events.dispatched: engine_step(user) once the exchange delivered a batch. */
void engine_on_dispatched(void *user);
/* Timer: marks every pair and runs the step (a pair an event marked too is decided once). */
void engine_tick(struct sb_bot *b, int64_t now_ms);
/* The earliest time after now_ms at which deciding for pr could do something that deciding now does not,
 * with nothing but time passing (sb_strategy_next_due, a retry's or a new cycle's wait); INT64_MAX when
 * only an event can. */
int64_t engine_next_due(const struct sb_bot *b, const struct bot_pair *pr, int64_t now_ms);

/* ---- tick_due.c --------------------------------------------------------------------------------------- */
/* t when it lies after now and before due, else due: folds thresholds into the next one. */
static inline int64_t bot_sooner(int64_t due, int64_t t, int64_t now)
{
	return t > now && t < due ? t : due;
}
void bot_tick_mark(const struct sb_bot *b, struct bot_tick_mark *m);
/* The earliest time after now_ms at which a tick may act with nothing but time passing; now_ms +
 * BOT_TICK_MS while the daemon may not trade or runs its control API or monitor. */
int64_t bot_tick_next_due(const struct sb_bot *b, int64_t now_ms);
/* Called at the end of the tick that fired at now_ms (before: taken at its start), for a tick that changed
 * nothing: with tick_sparse it moves the timer to its first second at or after bot_tick_next_due (a day at
 * most); else the ticks before the pairs' next due time go idle (bot_tick_idle). */
void bot_tick_park(struct sb_bot *b, const struct bot_tick_mark *before, int64_t now_ms);
/* Whether the tick at now_ms leaves the pairs alone: it went idle, its due time has not come and nothing
 * changed since (a mark on a pair, a commit, a request, the run state, the switches, the user stream).
 * Once false it stays false until the next bot_tick_park. */
bool bot_tick_idle(struct sb_bot *b, int64_t now_ms);
/* Events were delivered: a parked tick comes back to its first second after now. No-op without
 * tick_sparse or when it is not parked. */
void bot_tick_wake(struct sb_bot *b);

/* ---- pairs_load.c ------------------------------------------------------------------------------------- */
/* Applies what changed in PAIRS since it was last applied to trade_pairs, then loads trade_pairs into
 * b->pairs (with each pair's enabled flag). SB_ERR_CONFIG for a PAIRS it cannot parse or too many pairs. */
sb_err bot_pairs_load(struct sb_bot *b);

/* ---- bot.c -------------------------------------------------------------------------------------------- */
/* The daemon's settings taken from cfg (borrowed for b's life) and its clock (owned by b from now on):
 * the order tag, the price limits, an empty BNB price table, the start-up's continuation (step_done).
 * The one initialisation `run`, the backtest and the unit tests share; b must be zeroed. */
void bot_init(struct sb_bot *b, const struct sb_config *cfg, struct sb_clock *clock);
/* The callbacks an exchange delivers b's events to: market data to the price manager, the account's
 * events to the order manager and the reconciler, the end of each batch to the step (engine.c). */
struct sb_exchange_events bot_exchange_events(struct sb_bot *b);
/* Start-up from its first step (server time, rules, commission rates, reconciliation, then trading), as
 * `run` and the backtest both start the daemon once its exchange and timers exist. */
void bot_startup(struct sb_bot *b);
/* The logger's level for LOG_LEVEL. */
enum sb_log_level bot_log_level(enum sb_config_log_level l);
/* Creates the daemon's timers on b->clock and starts the housekeeping tick (every BOT_TICK_MS). */
void bot_timers_start(struct sb_bot *b);
/* Frees the daemon's timers (harmless when none were made); before b->clock is freed. */
void bot_timers_free(struct sb_bot *b);

/* ---- crashpoint.c (test hook) ------------------------------------------------------------------------- */
/* Steps of a cycle where SPOTBOT_CRASH_AT=<point>[:<n>] makes the daemon SIGKILL itself. */
enum bot_crash_point {
	BOT_CRASH_BEFORE_INTENT_COMMIT,     /* the position is written, its buy intent is not */
	BOT_CRASH_AFTER_INTENT_COMMIT,      /* the buy intent is written, not sent */
	BOT_CRASH_AFTER_SEND,               /* the buy's answer arrived, not handled */
	BOT_CRASH_BEFORE_FILL_COMMIT,       /* a buy fill and what follows it (HOLDING, the sell intent) are
	                                       written in their open transaction, not committed */
	BOT_CRASH_AFTER_FILL_COMMIT,        /* that transaction is committed, its sell (if any) not sent; or a
	                                       buy fill written on its own (a backfill) is committed */
	BOT_CRASH_AFTER_SELL_INTENT_COMMIT, /* a sell intent written on its own (not after a buy's fill:
	                                       after a cancel, a refusal, a restart) is committed, not sent */
	BOT_CRASH_AFTER_SELL_SEND,          /* the sell's answer arrived, not handled */
	BOT_CRASH_N                         /* count */
};
/* Reads SPOTBOT_CRASH_AT once (at start-up). */
void bot_crashpoint_init(void);
/* Kills the process when p is the armed point reached for the n-th time; one branch when unarmed. */
void bot_crashpoint(enum bot_crash_point p);
/* A crash point reached in-process: the hook is called at every point before SPOTBOT_CRASH_AT is
 * considered, so a simulation can end the daemon there without a signal (it does not return when it
 * crashes: it long-jumps out of the daemon). NULL: none. */
typedef void (*bot_crash_hook)(enum bot_crash_point p, void *user);
void bot_crashpoint_set_hook(bot_crash_hook hook, void *user);
/* The name of p ("after_send"), as SPOTBOT_CRASH_AT spells it. */
const char *bot_crashpoint_name(enum bot_crash_point p);

#endif

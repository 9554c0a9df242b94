/*
 * sim.h - what the files of the deterministic simulation share: the seeded generator every decision is
 * drawn from, the fault-injecting exchange wrapper (sim_fault.c), the market and operator workload
 * (sim_world.c) and one seed's run (sim_run.c). simulate.c is the program around them.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sim_check.h"
#include "spotbot/decimal.h"
#include "spotbot/exchange.h"

/* ---- the generator: everything of a run derives from its seed ---------------------------------------- */

struct sim_rng {
	uint64_t s; /* splitmix64 state */
};

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n); 0 for n == 0. */
static inline uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	return n ? sim_rng_next(r) % n : 0;
}

/* True with probability per_mille / 1000. */
static inline bool sim_rng_chance(struct sim_rng *r, unsigned per_mille)
{
	return sim_rng_below(r, 1000) < per_mille;
}

/* ---- faults ---------------------------------------------------------------------------------------------
 */

/* Every kind of fault the simulation injects, counted by kind for the summary. */
enum sim_fault {
	SIMF_PLACE_5XX_BEFORE, /* an order placement answered 503 and not executed */
	SIMF_PLACE_5XX_AFTER,  /* executed, then answered 503 */
	SIMF_PLACE_429,        /* refused with 429 before executing */
	SIMF_ANSWER_LOST,      /* executed, the answer lost (timeout) */
	SIMF_ANSWER_DELAY,     /* a placement's or cancel's answer late: its events and other answers first */
	SIMF_CANCEL_5XX_AFTER, /* a cancel executed, then answered 503 */
	SIMF_READ_FAIL,        /* a query, open-order list or trade list fails (5xx or timeout) */
	SIMF_EVENT_LOST,       /* one of the account's events lost */
	SIMF_EVENT_DUP,        /* delivered twice */
	SIMF_EVENT_DELAY,      /* held back for seconds to minutes */
	SIMF_EVENT_REORDER,    /* held back briefly, overtaken by later ones */
	SIMF_USER_DROP,        /* the account's stream dropped, resubscribed later */
	SIMF_MARKET_DROP,      /* market data dropped, back later */
	SIMF_FORGET,           /* the exchange loses an open order, or archives finished ones */
	SIMF_CLOCK_SKEW,       /* the exchange's clock jumps away from the daemon's */
	SIMF_PAUSE,            /* the operator pauses or resumes trading */
	SIMF_PAIR_TOGGLE,      /* the operator disables or enables a pair */
	SIMF_MANUAL,           /* a manual sell, cancel, re-price or abandon */
	SIMF_RESTART,          /* a clean stop and start, perhaps with an edited configuration */
	SIMF_CRASH,            /* the process dies between two steps of a cycle, or at a crash point */
	SIMF_SHOCK,            /* a price jump, a flat stretch or a fast trend */
	SIMF_DB_LOCK,          /* another process holds the database's write lock for seconds to minutes */
	SIMF__COUNT
};

const char *sim_fault_name(enum sim_fault f);

/* The probabilities (per mille) the wrapper draws from on each request or event; all 0: no faults. */
struct simf_rates {
	unsigned place_5xx_before; /* of placements */
	unsigned place_5xx_after;  /* of placements */
	unsigned place_429;        /* of placements */
	unsigned answer_lost;      /* of placements */
	unsigned answer_delay;     /* of placements and cancels */
	unsigned cancel_5xx_after; /* of cancels */
	unsigned read_fail;        /* of queries, open-order lists and trade lists */
	unsigned ev_lost;          /* of the account's events */
	unsigned ev_dup;           /* of them */
	unsigned ev_delay;         /* of them */
	unsigned ev_reorder;       /* of them */
};

struct simf;

/* What the wrapper asks and tells its owner. */
struct simf_hooks {
	/* An order is about to be sent (before the exchange sees it). */
	void (*placing)(void *user, const struct sb_bn_new_order *o);
	/* Whether the exchange has forgotten the order coid (the owner made it forget it); NULL: never. */
	bool (*forgotten)(void *user, const char *coid);
	/* The wrapper answered "unknown order" for the finished order coid (archived): forgotten for good. */
	void (*archived)(void *user, const char *coid);
	void *user; /* their argument */
};

/*
 * A wrapper delivering to ev (the daemon's callbacks, copied). It draws from rng (borrowed), reads the
 * run's time through now_ms(user), and looks the account's orders up in the in-process exchange (sim,
 * account: borrowed) to forget them. The inner exchange is created next with simf_inner_events and given
 * with simf_set_inner; the daemon gets simf_exchange, and freeing that frees the inner one too.
 */
struct sim_exchange;
void simf_new(const struct sb_exchange_events *ev, struct sim_rng *rng, int64_t (*now_ms)(void *), void *user,
              struct sim_exchange *sim, uint32_t account, const struct simf_hooks *hooks, struct simf **out);
/* The events the inner exchange must be created with so the wrapper sees them first. */
struct sb_exchange_events simf_inner_events(struct simf *f);
/* The inner exchange, created with simf_inner_events (owned by the wrapper from now on). */
void simf_set_inner(struct simf *f, struct sb_exchange *inner);
/* The daemon's exchange. */
struct sb_exchange *simf_exchange(struct simf *f);
/* The inner exchange. */
struct sb_exchange *simf_inner(struct simf *f);
/* Sets the fault rates (zeroed: no more faults; what is held back is still released when due). */
void simf_set_rates(struct simf *f, const struct simf_rates *r);
/* Drops the account's stream now, resubscribing after ms; the market data likewise. */
void simf_drop_user(struct simf *f, int64_t ms);
void simf_drop_market(struct simf *f, int64_t ms);
/* The exchange loses the open order coid of symbol as an exchange restarting without its state does:
 * cancelled on the book without a word, the account's stream dropped for ms. The owner's forgotten hook
 * must say so from now on. */
void simf_forget_order(struct simf *f, const char *symbol, const char *coid, int64_t ms);
/* Forgetting finished, unexecuted orders on or off. */
void simf_set_forget(struct simf *f, bool on);
/* Delivers what the inner exchange queued and what the wrapper holds and is due; returns how many. */
size_t simf_pump(struct sb_exchange *ex);
/* Items the wrapper holds back (answers, events, links to restore); the earliest due into *due_ms. */
size_t simf_held(const struct simf *f, int64_t *due_ms);
/* Faults injected so far, by kind (the wrapper's kinds only). */
const uint64_t *simf_counts(const struct simf *f);

/* ---- the world: market, configuration and the faults' schedule (sim_world.c) ----------------------------
 */

/* How one pair's price moves now. */
enum sim_regime {
	SIM_WALK,  /* a random walk of a few basis points a step */
	SIM_TREND, /* a steady drift one way, fast */
	SIM_FLAT,  /* the same price, step after step */
};

/* One pair's market. */
struct sim_market {
	sb_dec start;           /* the first price: the walk stays within half and twice it */
	sb_dec price;           /* the price now, on the tick grid */
	sb_dec tick;            /* tick size */
	enum sim_regime regime; /* how it moves now */
	int64_t bp;             /* TREND: basis points a step, signed */
	unsigned left;          /* steps left in the regime */
};

void sim_market_init(struct sim_market *m, sb_dec start, sb_dec tick);
/* The next price; *shock is set when it jumped or a new fast or flat stretch began. */
sb_dec sim_market_next(struct sim_market *m, struct sim_rng *rng, bool *shock);

/* A PAIRS value drawn from rng for the run's symbols (n of them); edit: a restart's edited configuration
 * (settings changed, a pair dropped or disabled). Writes it into buf (cap bytes). */
void sim_world_pairs(struct sim_rng *rng, const char *const *symbols, size_t n, bool edit, char *buf,
                     size_t cap);
/* Fault rates for a stretch of chaos, drawn from rng: each at most max_pm per mille. */
void sim_world_rates(struct sim_rng *rng, unsigned max_pm, struct simf_rates *out);
/* The fault or operator action of one step, or SIMF__COUNT for none. */
enum sim_fault sim_world_draw(struct sim_rng *rng);

/* ---- one seed's run (sim_run.c) ---------------------------------------------------------------------- */

struct sim_opts {
	uint64_t seed;        /* everything derives from it */
	unsigned days;        /* simulated days */
	unsigned check_every; /* the running invariants every this many steps (1: every step) */
	unsigned fault_pm;    /* the highest rate, per mille, of a fault kind of the wrapper in a stretch */
	const char *sabotage; /* self-test: "fill" deletes a fill from the database, "order" places an order
	                         behind the daemon's back, before the last check; NULL: none */
	FILE *log;            /* the run's event log, one line per fault (NULL: none) */
	FILE *out;            /* violations (stderr) */
};

struct sim_result {
	uint64_t steps;               /* market steps */
	int64_t simulated_ms;         /* simulated time */
	uint64_t faults[SIMF__COUNT]; /* faults by kind */
	uint64_t crashes;             /* crashes (between steps and at crash points) */
	uint64_t crash_points;        /* of them, at a named crash point */
	uint64_t orders;              /* orders of the account on the exchange at the end */
	uint64_t closed;              /* positions closed */
	uint64_t checks;              /* invariant checks */
	uint64_t violations;          /* violations */
};

/* Runs one seed; false when it could not be set up (the reason on o->out). */
bool sim_run(const struct sim_opts *o, struct sim_result *out);

#endif

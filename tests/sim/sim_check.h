/*
 * sim_check.h - the simulation's invariant checker: plain structs in, violations out. The driver fills a
 * struct simc_world from the exchange's own records (its orders, trades and ledger balances) and from the
 * daemon's database (read with a connection of its own), never from the daemon's memory, and asks which
 * invariants hold. Nothing here knows the daemon or the exchange: a test can build a world by hand.
 *
 * Two strengths. simc_check_running holds at any moment, faults or not: every order of the account on the
 * exchange is in the database (the intent is written before the order is sent), no clientOrderId twice,
 * the database never claims more executed than the exchange, each closed position's realised profit
 * equals what the exchange's trades of its orders say, and no new cycle was sent while paused, while its
 * pair was disabled, beyond max_positions or beyond the exposure limit. simc_check_settled adds what holds
 * once faults have stopped and the daemon has had its bound to settle: every order in the same status
 * with the same executed quantity on both sides, every database order on the exchange or provably never
 * sent, no position or order stuck in a transitional state (an order PENDING_NEW, UNKNOWN or
 * PENDING_CANCEL; a position HOLDING, or BUYING or SELLING without an open order), and the database's
 * fills explaining every
 * asset's balance change on the ledger to the last unit.
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/store.h"

#define SIMC_ASSET_MAX 16 /* bytes of an asset name with its NUL */

/* One order of the account as the exchange records it. */
struct simc_xorder {
	char coid[SB_STORE_CLIENT_ID_MAX]; /* clientOrderId */
	char symbol[SB_SYMBOL_MAX];        /* its symbol */
	bool final;                        /* FILLED, CANCELED, EXPIRED, REJECTED, EXPIRED_IN_MATCH */
	enum sb_order_state status;        /* the exchange's status in the store's terms */
	sb_dec executed;                   /* executedQty */
	bool forgotten;                    /* the exchange's API answers "unknown order" for it */
};

/* One order row of the database. */
struct simc_dorder {
	char coid[SB_STORE_CLIENT_ID_MAX]; /* client_order_id */
	char symbol[SB_SYMBOL_MAX];        /* symbol */
	enum sb_order_state status;        /* status */
	sb_dec executed;                   /* executed_qty */
	sb_dec filled;                     /* sum of its fills' quantities */
};

/* An asset's change on the ledger, and what the database's fills say it should be. */
struct simc_asset {
	char asset[SIMC_ASSET_MAX]; /* "USDT" */
	sb_dec ledger_delta;        /* ledger now (free + locked) minus at the start */
	sb_dec fills_delta;         /* bought minus sold minus commission, from the database's fills */
};

/* A closed position: its stored realised profit and what the exchange's trades of its orders give. */
struct simc_closed {
	int64_t id;          /* position id */
	sb_dec stored;       /* realised_profit in the database */
	sb_dec from_trades;  /* net profit of the exchange's trades of its orders */
	bool computed;       /* from_trades could be computed */
	bool trades_missing; /* an order of it has fewer trades on the exchange than its executed quantity */
};

/* A position in the database, for the settled check. */
struct simc_position {
	int64_t id;                   /* position id */
	enum sb_position_state state; /* state */
	bool order_open;              /* one of its orders is not in a final status */
};

/* One order the daemon sent, with what held at that moment (recorded by the exchange wrapper). */
struct simc_send {
	char coid[SB_STORE_CLIENT_ID_MAX]; /* the order */
	bool new_cycle;                    /* the first buy of a position: it opens a cycle */
	bool paused;                       /* the kill switch was on (the daemon had been told) */
	bool pair_enabled;                 /* its pair was enabled (the daemon had been told) */
	int64_t open_in_pair;              /* open positions of its pair in the database, it included */
	int64_t max_positions;             /* the pair's max_positions */
	sb_dec exposure;                   /* quote committed in open positions, this order included */
	sb_dec max_exposure;               /* MAX_EXPOSURE; 0: none */
};

/* Everything the checker looks at (arrays borrowed). */
struct simc_world {
	const struct simc_xorder *x;      /* the exchange's orders of the account */
	size_t nx;                        /* entries */
	const struct simc_dorder *d;      /* the database's orders */
	size_t nd;                        /* entries */
	const struct simc_asset *assets;  /* every asset the ledger or the fills touch */
	size_t nassets;                   /* entries */
	const struct simc_closed *closed; /* closed positions */
	size_t nclosed;                   /* entries */
	const struct simc_position *pos;  /* every position */
	size_t npos;                      /* entries */
	const struct simc_send *sends;    /* orders sent since the last check */
	size_t nsends;                    /* entries */
};

/* Where violations go: each is one line of text; the checker counts them and the checks it made. */
struct simc_report {
	void (*violation)(void *user, const char *text); /* NULL: counted only */
	void *user;                                      /* its argument */
	uint64_t checks;                                 /* invariants checked (one per invariant per call) */
	uint64_t violations;                             /* violations found */
};

/* The invariants that hold at any moment; returns the violations this call found. */
uint64_t simc_check_running(const struct simc_world *w, struct simc_report *r);

/* The running invariants plus those of a settled system; returns the violations this call found. */
uint64_t simc_check_settled(const struct simc_world *w, struct simc_report *r);

#endif

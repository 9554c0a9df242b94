/*
 * soak.h - the chaos soak's shared state: one run of spotsim and `spotbot run` as child processes, the
 * seeded generator every choice comes from, the faults injected so far, the paused windows the
 * invariants are checked against, and the event log that reproduces the run.
 */
#ifndef SOAK_H
#define SOAK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "sbtest.h"
#include "soak_check.h"

#define SOAK_PAIRS_MAX    3    /* pairs the soak trades at most (spotsim's default symbols) */
#define SOAK_WINDOWS_MAX  4096 /* paused windows kept */
#define SOAK_TOKEN        "soak-control-token"
#define SOAK_KEY          "spotsim-demo-key"
#define SOAK_SECRET       "spotsim-demo-secret"
#define SOAK_QUOTE        "20"  /* quote_per_cycle of every pair */
#define SOAK_EXPOSURE     "100" /* MAX_EXPOSURE */
#define SOAK_SKEW_MAX_MS  3000  /* largest server clock skew injected */
#define SOAK_DELAY_MAX_MS 1500  /* largest REST delay injected */
#define SOAK_BUSY_MS      5000  /* the daemon's SQLite busy timeout (store/sqlite.c) */

/* Every kind of fault or action the soak injects; soak_fault_name() names them. */
enum soak_fault {
	SOAK_F_KILL9,          /* kill -9 of spotbot */
	SOAK_F_SIGTERM,        /* SIGTERM of spotbot, then a restart */
	SOAK_F_RESTART_PAUSED, /* pause, SIGTERM, restart while paused */
	SOAK_F_RESTART_EDITED, /* SIGTERM, edit PAIRS in the configuration, restart */
	SOAK_F_SIM_RESTART,    /* spotsim killed and restarted with its state file */
	SOAK_F_DROP_WS,        /* every WebSocket dropped without a close frame */
	SOAK_F_HIDE_USER,      /* user events withheld (lost) for a while */
	SOAK_F_DELAY_USER,     /* user events delivered late for a while */
	SOAK_F_5XX_AFTER,      /* orders execute, the answer is 503 */
	SOAK_F_5XX_BEFORE,     /* orders answer 503 without executing */
	SOAK_F_429,            /* a burst of 429 answers */
	SOAK_F_SKEW,           /* the server clock off by up to SOAK_SKEW_MAX_MS */
	SOAK_F_SLOW_REST,      /* every REST answer held back */
	SOAK_F_DB_LOCK,        /* a write lock held on the bot's database */
	SOAK_F_DISK_FULL,      /* the log file on a full device (restart onto /dev/full) */
	SOAK_F_PAUSE,          /* spotbot pause, resume later */
	SOAK_F_PAUSE_PAIR,     /* spotbot pause SYMBOL, resume later */
	SOAK_F_SELL,           /* spotbot sell ID */
	SOAK_F_CANCEL,         /* spotbot cancel ID */
	SOAK_F_REPRICE,        /* spotbot reprice ID PRICE */
	SOAK_F_ABANDON,        /* spotbot abandon ID */
	SOAK_F_PAIR_ADD,       /* spotbot pairs add */
	SOAK_F_PAIR_CHANGE,    /* spotbot pairs set */
	SOAK_F_PAIR_DISABLE,   /* spotbot pairs disable, enable later */
	SOAK_F_JUMP,           /* the price jumps */
	SOAK_F_FLAT,           /* the market stands still */
	SOAK_F_TREND,          /* the market runs one way fast */
	SOAK_F_CROSS,          /* the market trades at one of the bot's own resting orders */
	SOAK_F__COUNT
};

/* A fault that stays on until a deadline, then is switched off. */
struct soak_timed {
	int64_t until_ms; /* wall time to switch it off; 0 = not on */
	char arg[32];     /* what to switch off (a symbol), "" when nothing */
};

/* One pair the soak trades or may add. */
struct soak_pair {
	char symbol[SOAK_SYMBOL_MAX]; /* "BTCUSDT" */
	bool added;                   /* a pair of the daemon */
	int max_positions;            /* its max_positions now */
	char profit[16];              /* its profit setting now ("0.3%") */
	int window;                   /* index of its open disabled window, -1 when enabled */
};

/* The whole run. */
struct soak {
	uint64_t seed;                          /* the run's seed, printed first */
	uint64_t rng;                           /* generator state */
	int64_t start_ms;                       /* wall time the run started */
	int64_t end_ms;                         /* wall time the faults stop */
	int checkpoint_s;                       /* seconds between checkpoints */
	int settle_s;                           /* bound for everything to settle after faults stop */
	const char *klines;                     /* --klines FILE, or NULL for the synthetic market */
	bool keep;                              /* keep dir at the end */
	char dir[256];                          /* the run's files */
	char env[320];                          /* the bot's .env */
	char db[320];                           /* its database */
	char logdir[320];                       /* its LOG_DIR */
	char sim_state[320];                    /* spotsim's --state file */
	FILE *log;                              /* the event log */
	struct sbt_proc sim;                    /* spotsim; pid 0 while down */
	int port;                               /* spotsim's port, kept across restarts */
	pid_t bot;                              /* spotbot run; 0 while down */
	int64_t bot_restart_ms;                 /* when to start spotbot again while down; 0 = not planned */
	int64_t sim_restart_ms;                 /* when to start spotsim again while down; 0 = not planned */
	bool log_full;                          /* the bot's log is on /dev/full now */
	void *lock;                             /* sqlite3 connection holding a write lock, or NULL */
	int64_t lock_since_ms;                  /* when the lock was taken */
	int skew_ms;                            /* server clock skew set now */
	struct soak_pair pairs[SOAK_PAIRS_MAX]; /* the pairs */
	size_t npairs;                          /* entries of pairs */
	struct soak_limit limits[SOAK_PAIRS_MAX];     /* highest max_positions of each pair */
	struct soak_window windows[SOAK_WINDOWS_MAX]; /* paused and disabled windows */
	size_t nwindows;                              /* entries of windows */
	int pause_window;                             /* index of the open global window, -1 = none */
	struct soak_timed timed[SOAK_F__COUNT];       /* faults on until a deadline */
	struct soak_asset start[16];                  /* the account's holdings before trading */
	size_t nstart;                                /* entries of start */
	unsigned faults[SOAK_F__COUNT];               /* injected, by kind */
	unsigned bot_restarts;                        /* spotbot starts after the first */
	unsigned sim_restarts;                        /* spotsim starts after the first */
	unsigned checkpoints;                         /* checkpoints passed */
	size_t checks;                                /* invariant checks made */
	size_t violations;                            /* violations found */
	/* A fast trend in progress, advanced every tick. */
	struct {
		int64_t until_ms;             /* end; 0 = none */
		char symbol[SOAK_SYMBOL_MAX]; /* its symbol */
		sb_dec price;                 /* the price it holds or moves */
		int64_t step_ppm;             /* change per tick, parts per million */
	} shock;
};

/* The generator: xorshift64*, seeded from the run's seed; every random choice of the run comes from it. */
uint64_t soak_rand(struct soak *s);
/* A number in [lo, hi]. */
int64_t soak_range(struct soak *s, int64_t lo, int64_t hi);

/* Wall time since the run started, for the event log. */
void soak_event(struct soak *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* soak_proc.c: the supervisor. */
bool soak_sim_start(struct soak *s);
void soak_sim_kill(struct soak *s);
bool soak_bot_start(struct soak *s);
/* The run state the daemon reports (`spotbot status --json`) into buf; false when it does not answer. */
bool soak_bot_state(struct soak *s, char *buf, size_t cap);
/* Waits up to timeout_ms until spotbot's control API answers with the run state trading or paused. */
bool soak_bot_ready(struct soak *s, int timeout_ms);
/* Stops spotbot with sig and waits; logs an exit it did not ask for as a violation. */
void soak_bot_stop(struct soak *s, int sig);
/* Reaps spotbot when it exited by itself (a violation: the daemon must keep running); starts what is
 * down and due. */
void soak_supervise(struct soak *s, int64_t now_ms);
bool soak_write_env(struct soak *s);

/* soak_exchange.c: the exchange's records and admin requests. */
bool soak_sim_post(struct soak *s, const char *path);
bool soak_fault_set(struct soak *s, const char *name, const char *value);
int64_t soak_exchange_now(struct soak *s);
bool soak_best_bid(struct soak *s, const char *symbol, sb_dec *out);
bool soak_set_price(struct soak *s, const char *symbol, sb_dec price, const char *qty);
/* Every order of the account on symbols (allOrders, paged) and its holdings; false when spotsim did not
 * answer. */
bool soak_fetch_orders(struct soak *s, struct soak_xorder **out, size_t *n);
bool soak_fetch_balances(struct soak *s, struct soak_asset *out, size_t cap, size_t *n);
/* The bot's resting orders on the exchange (openOrders) of symbol: price of a random one into *price. */
bool soak_pick_open_price(struct soak *s, const char *symbol, sb_dec *price);

/* soak_ops.c: operator actions through the real CLI. */
int soak_cli(struct soak *s, const char *const *args);
void soak_pause(struct soak *s, const char *symbol);
void soak_resume(struct soak *s, const char *symbol);
void soak_pair_disable(struct soak *s, const char *symbol);
void soak_pair_enable(struct soak *s, const char *symbol);
/* A pause (symbol NULL) or the pair's pause or disable is on. */
bool soak_window_open(struct soak *s, const char *symbol);
void soak_act_position(struct soak *s, enum soak_fault kind);
void soak_pair_add(struct soak *s);
void soak_pair_change(struct soak *s);
void soak_db_lock(struct soak *s, bool on);

/* soak_faults.c: the scheduler. */
const char *soak_fault_name(enum soak_fault f);
void soak_fault_inject(struct soak *s, enum soak_fault f);
/* Switches off what is due, advances a market shock. */
void soak_faults_tick(struct soak *s, int64_t now_ms);
/* Switches every fault off (pauses stay, as the operator left them). */
void soak_faults_clear(struct soak *s);

#endif

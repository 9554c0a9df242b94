/*
 * store.h - the database of the trading daemon: trade pair configuration, orders, fills, positions, the
 * key/value system state and the append-only event log.
 *
 * The engine reaches the database only through struct sb_store and its table of operations
 * (struct sb_store_ops), so a second backend (PostgreSQL) can follow without touching the engine. SQLite is
 * the first backend (sb_store_open_sqlite); docs/database.md describes its tables.
 *
 * Guarantees every backend gives:
 *  - Every mutating operation is one transaction: it returns SB_OK only after COMMIT is durable (SQLite:
 *    WAL with synchronous=FULL), and on any error nothing of it is visible (it is rolled back completely).
 *    Between sb_store_begin() and sb_store_commit() the operations join one transaction instead: each
 *    still succeeds or fails as a whole, and all of them become durable together, at that commit.
 *  - Every mutating operation takes an optional event (NULL = none) that is appended to the event log in
 *    the same transaction, so the log can never disagree with the state it records.
 *  - A client order id is unique: inserting one twice is SB_ERR_EXISTS. A fill is unique by (symbol, order,
 *    trade id): applying it twice is SB_ERR_EXISTS and changes nothing, so a replayed execution report is
 *    harmless. The trade id alone is not enough: a self-trade gives both orders the same one.
 *  - Money (sb_dec) is stored as its scaled int64, exact; times are milliseconds since the Unix epoch.
 *
 * Errors: SB_ERR_INVALID for bad arguments (checked before the backend runs), SB_ERR_TOO_LONG for a
 * string field without its NUL, SB_ERR_NOT_FOUND for a missing row, SB_ERR_EXISTS for a duplicate,
 * SB_ERR_DB_FULL when the disk or database is full, SB_ERR_DB_READONLY when the database cannot be written,
 * SB_ERR_DB_BUSY when another connection held its lock for longer than the busy timeout, SB_ERR_DB for
 * anything else; sb_store_last_error() then says what the database said.
 *
 * A store is used from one thread at a time. Several processes may open the same SQLite database: the
 * daemon writes, the CLI reads.
 */
#ifndef SPOTBOT_STORE_H
#define SPOTBOT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/orders.h"
#include "spotbot/position.h"
#include "spotbot/rules.h"

#define SB_STORE_SCHEMA_VERSION  5     /* the newest schema this build creates and understands */
#define SB_STORE_CLIENT_ID_MAX   64    /* clientOrderId with its NUL; Binance allows 36 characters */
#define SB_STORE_TEXT_MAX        256   /* last_error of an order, with its NUL */
#define SB_STORE_NOTES_MAX       512   /* notes of a position, with its NUL */
#define SB_STORE_KIND_MAX        48    /* an event kind ("order.intent"), with its NUL */
#define SB_STORE_KEY_MAX         64    /* a system_state key, with its NUL */
#define SB_STORE_VALUE_MAX       1024  /* a system_state value, with its NUL */
#define SB_STORE_DETAIL_MAX      8192  /* an event's JSON detail, bytes without the NUL */
#define SB_STORE_COMMISSIONS_MAX 4     /* commission assets kept per position (base, quote, BNB, other) */
#define SB_STORE_LIST_MAX        10000 /* rows returned by one list call at most; page for more */
#define SB_STORE_ERRMSG_MAX      512   /* sb_store_last_error() text, with its NUL */

/* Well-known system_state keys. SB_STORE_KEY_SCHEMA_VERSION belongs to the migrations: setting it through
 * sb_store_state_set() is refused. */
#define SB_STORE_KEY_SCHEMA_VERSION "schema_version"
#define SB_STORE_KEY_RUN_STATE      "run_state"
#define SB_STORE_KEY_LAST_STREAM_MS "last_stream_event_ms"
#define SB_STORE_KEY_PAUSED         "paused"
#define SB_STORE_KEY_COID_EPOCH     "coid_epoch" /* restore epoch of clientOrderIds (coid.h) */

enum sb_store_buy_mode {
	SB_STORE_BUY_LIMIT,  /* limit buy at the best bid minus buy_offset */
	SB_STORE_BUY_MARKET, /* market buy for quote_per_cycle */
	SB_STORE_BUY__COUNT
};

/* Configuration of one trading pair. */
struct sb_store_pair {
	char symbol[SB_SYMBOL_MAX];       /* "BTCUSDT"; the key */
	bool enabled;                     /* the bot opens new cycles on it */
	sb_dec quote_per_cycle;           /* quote amount spent by each buy, > 0 */
	int32_t max_positions;            /* concurrent open positions allowed, >= 1 */
	enum sb_store_buy_mode buy_mode;  /* limit or market buys */
	sb_dec buy_offset;                /* rate below the bid for limit buys, 0.001 = 0.1% */
	int64_t buy_timeout_ms;           /* cancel an unfilled limit buy after this; 0 = never */
	sb_dec target_profit;             /* net profit rate wanted on cost, >= 0 */
	bool has_stop_loss;               /* stop_loss is set (NULL in the database otherwise) */
	sb_dec stop_loss;                 /* loss rate that triggers a market sell, e.g. 0.05 */
	int64_t max_duration_ms;          /* longest a position may be held; 0 = no limit (NULL) */
	bool sell_market_on_max_duration; /* at max duration sell at market instead of only alerting */
	int64_t cooldown_ms;              /* pause after a closed cycle before the next buy */
	int64_t stop_loss_cooldown_ms;    /* pause after a stop-loss exit before the next buy */
	int64_t created_ms;               /* set by the store on first insert; ignored on input */
	int64_t updated_ms;               /* time of this write, given by the caller */
};

/* One order; the client order id is the key. */
struct sb_store_order {
	char client_order_id[SB_STORE_CLIENT_ID_MAX]; /* deterministic, unique */
	int64_t exchange_order_id;                    /* Binance orderId; 0 until acknowledged (NULL) */
	int64_t position_id;                          /* owning position; 0 = none (NULL) */
	char symbol[SB_SYMBOL_MAX];                   /* "BTCUSDT" */
	enum sb_side side;                            /* BUY or SELL */
	enum sb_order_type type;                      /* LIMIT, MARKET, ... */
	enum sb_tif tif;                              /* time in force; NONE for MARKET */
	sb_dec price;                                 /* limit price; 0 for MARKET */
	sb_dec orig_qty;                              /* base quantity ordered; 0 when quote_qty is used */
	sb_dec quote_qty;                             /* quoteOrderQty of a MARKET order; 0 = not used */
	sb_dec executed_qty;                          /* base filled so far */
	sb_dec cumm_quote_qty;                        /* quote filled so far (cummulativeQuoteQty) */
	enum sb_order_state status;         /* stored as its name; PENDING_CANCEL: open, cancel sent */
	int64_t created_ms;                 /* when the intent was written */
	int64_t updated_ms;                 /* last change */
	char last_error[SB_STORE_TEXT_MAX]; /* last exchange or network error; "" = none */
};

/* One trade of an order; unique by (symbol, client_order_id, trade_id): a self-trade gives the two orders
 * that met the same trade id. */
struct sb_store_fill {
	char symbol[SB_SYMBOL_MAX]; /* "BTCUSDT" */
	int64_t trade_id;           /* exchange trade id; shared by both sides of a self-trade */
	char client_order_id[SB_STORE_CLIENT_ID_MAX]; /* the order it belongs to (must exist) */
	sb_dec price;                                 /* trade price */
	sb_dec qty;                                   /* base quantity */
	sb_dec quote_qty;                             /* quote amount */
	sb_dec commission;                            /* amount of commission_asset */
	char commission_asset[SB_ASSET_MAX];          /* "BNB", "BTC", "USDT"; "" when no commission */
	bool is_maker;                                /* the order was the maker */
	int64_t time_ms;                              /* trade time (exchange clock) */
};

/* Commission paid in one asset over a position's fills. */
struct sb_store_commission {
	char asset[SB_ASSET_MAX]; /* "" marks an unused slot */
	sb_dec amount;            /* total commission in asset */
};

/* One cycle on a pair: buy, hold, sell. */
struct sb_store_position {
	int64_t id;                   /* assigned by the store on insert */
	char symbol[SB_SYMBOL_MAX];   /* "BTCUSDT" */
	int64_t cycle;                /* cycle number on this symbol, 1-based; 0 on insert = next */
	enum sb_position_state state; /* see the enum */
	int64_t created_ms;           /* when the position was created */
	int64_t updated_ms;           /* last change */
	int64_t opened_ms;            /* first buy fill; 0 = not yet (NULL) */
	int64_t closed_ms;            /* entered a closed state; 0 = still open (NULL) */
	sb_dec buy_qty;               /* base bought (sum of buy fills) */
	sb_dec cost_quote;            /* what the buy cost in quote, fees included */
	sb_dec base_received;         /* base actually received (buy_qty minus base commission) */
	sb_dec sell_qty;              /* quantity of the sell order */
	sb_dec sold_qty;              /* base sold so far */
	sb_dec sell_price_target;     /* price of the sell order; 0 = none yet */
	sb_dec proceeds;              /* quote received from sells, before sell fees */
	sb_dec realised_profit;       /* net profit in quote once closed; negative for a loss */
	sb_dec dust_qty;              /* base left over, below step or notional minimum */
	struct sb_store_commission commissions[SB_STORE_COMMISSIONS_MAX]; /* per asset, buys and sells */
	enum sb_position_exit exit;     /* how the current (or last) sell was placed; stored as its name */
	bool duration_alerted;          /* the max-duration alert was sent for this position */
	char notes[SB_STORE_NOTES_MAX]; /* free text ("abandoned by hand") */
};

/* An entry of the append-only event log. */
struct sb_store_event {
	int64_t id;                   /* assigned by the store; ignored on input */
	int64_t time_ms;              /* when it happened */
	char kind[SB_STORE_KIND_MAX]; /* lowercase: "order.intent", "fill", "position.closed", ... */
	char symbol[SB_SYMBOL_MAX];   /* "" = not about one symbol */
	int64_t position_id;          /* 0 = that of the order/position written, else NULL */
	char client_order_id[SB_STORE_CLIENT_ID_MAX]; /* "" = none (NULL) */
	const char *detail;                           /* JSON text; NULL on input = "{}"; see event_list */
};

/* Which positions to list; zero-initialised means every position, newest first, SB_STORE_LIST_MAX. */
enum sb_store_pos_which {
	SB_STORE_LIST_ALL,    /* every position */
	SB_STORE_LIST_OPEN,   /* BUYING, HOLDING, SELLING */
	SB_STORE_LIST_CLOSED, /* CLOSED, CANCELED, ABANDONED */
};

struct sb_store_pos_filter {
	enum sb_store_pos_which which; /* open, closed or all */
	const char *symbol;            /* NULL = every symbol */
	int64_t from_ms;   /* inclusive; 0 = no lower bound. CLOSED: on closed_ms, else created_ms */
	int64_t to_ms;     /* exclusive; 0 = no upper bound */
	int64_t before_id; /* only ids below it, to page back from the last listing's oldest; 0 = any */
	size_t limit;      /* 0 = SB_STORE_LIST_MAX */
};

struct sb_store_order_filter {
	const char *symbol;         /* NULL = every symbol */
	int64_t position_id;        /* 0 = any position */
	bool by_status;             /* only orders in status */
	enum sb_order_state status; /* used when by_status */
	bool open_only;             /* only non-final statuses */
	size_t limit;               /* 0 = SB_STORE_LIST_MAX; newest first */
};

struct sb_store_event_filter {
	int64_t after_id; /* only events with a larger id (for tailing); 0 = from the start */
	int64_t from_ms;  /* inclusive; 0 = no lower bound */
	int64_t to_ms;    /* exclusive; 0 = no upper bound */
	const char *kind; /* NULL = every kind; matched regardless of case ("position.CLOSED" finds it) */
	size_t limit;     /* 0 = SB_STORE_LIST_MAX; oldest first */
};

/* Realised profit of the closed positions of one pair or one UTC day. */
struct sb_store_pnl {
	char symbol[SB_SYMBOL_MAX]; /* by pair: the symbol; by day: "" */
	int64_t day_ms;             /* by day: midnight UTC starting the day; by pair: 0 */
	int64_t positions;          /* CLOSED positions counted */
	int64_t wins;               /* of which with a profit > 0 */
	sb_dec cost;                /* sum of cost_quote */
	sb_dec profit;              /* sum of realised_profit; negative for a loss */
};

struct sb_store;

/*
 * The operations a backend provides. store.c checks the arguments, then calls these; a backend may rely
 * on non-NULL pointers, NUL-terminated strings and enums in range. Lists allocate *rows (the caller frees
 * with free(), events with sb_store_events_free()) and set *n; an empty list is SB_OK with *rows NULL.
 */
struct sb_store_ops {
	const char *name; /* "sqlite" */
	void (*close)(struct sb_store *st);
	sb_err (*pair_upsert)(struct sb_store *st, const struct sb_store_pair *p,
	                      const struct sb_store_event *ev);
	sb_err (*pair_get)(struct sb_store *st, const char *symbol, struct sb_store_pair *out);
	sb_err (*pair_list)(struct sb_store *st, bool enabled_only, struct sb_store_pair **rows, size_t *n);
	sb_err (*pair_delete)(struct sb_store *st, const char *symbol, const struct sb_store_event *ev);
	sb_err (*order_insert)(struct sb_store *st, const struct sb_store_order *o,
	                       const struct sb_store_position *pos, const struct sb_store_event *ev);
	sb_err (*order_update)(struct sb_store *st, const struct sb_store_order *o,
	                       const struct sb_store_position *pos, const struct sb_store_event *ev);
	sb_err (*order_get)(struct sb_store *st, const char *client_order_id, struct sb_store_order *out);
	sb_err (*order_list)(struct sb_store *st, const struct sb_store_order_filter *f,
	                     struct sb_store_order **rows, size_t *n);
	sb_err (*fill_apply)(struct sb_store *st, const struct sb_store_fill *f,
	                     const struct sb_store_order *o, const struct sb_store_position *pos,
	                     const struct sb_store_event *ev);
	sb_err (*fill_exists)(struct sb_store *st, const char *symbol, const char *client_order_id,
	                      int64_t trade_id, bool *exists);
	sb_err (*fill_list)(struct sb_store *st, const char *client_order_id, struct sb_store_fill **rows,
	                    size_t *n);
	sb_err (*position_insert)(struct sb_store *st, struct sb_store_position *pos,
	                          const struct sb_store_event *ev);
	sb_err (*position_update)(struct sb_store *st, const struct sb_store_position *pos,
	                          const struct sb_store_event *ev);
	sb_err (*position_get)(struct sb_store *st, int64_t id, struct sb_store_position *out);
	sb_err (*position_list)(struct sb_store *st, const struct sb_store_pos_filter *f,
	                        struct sb_store_position **rows, size_t *n);
	sb_err (*event_append)(struct sb_store *st, const struct sb_store_event *ev, int64_t *id);
	sb_err (*event_list)(struct sb_store *st, const struct sb_store_event_filter *f,
	                     struct sb_store_event **rows, size_t *n);
	sb_err (*state_get)(struct sb_store *st, const char *key, char *buf, size_t cap);
	sb_err (*state_set)(struct sb_store *st, const char *key, const char *value, int64_t now_ms,
	                    const struct sb_store_event *ev);
	sb_err (*pnl_by_pair)(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
	                      size_t *n);
	sb_err (*pnl_by_day)(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
	                     size_t *n);
	sb_err (*backup)(struct sb_store *st, const char *path);
	sb_err (*check)(struct sb_store *st, char *msg, size_t cap);
	sb_err (*exec)(struct sb_store *st, const char *sql);       /* may be NULL: SB_ERR_UNSUPPORTED */
	sb_err (*data_version)(struct sb_store *st, uint64_t *out); /* may be NULL: SB_ERR_UNSUPPORTED */
	sb_err (*wait_for_locks)(struct sb_store *st, bool wait);   /* may be NULL: SB_ERR_UNSUPPORTED */
	sb_err (*begin)(struct sb_store *st);                       /* may be NULL: SB_ERR_UNSUPPORTED */
	sb_err (*commit)(struct sb_store *st);                      /* NULL when begin is */
	void (*rollback)(struct sb_store *st);                      /* NULL when begin is */
};

/* The common head of every backend's store; a backend embeds it as its first member. */
/* Called after each committed write transaction with its duration, BEGIN to durable COMMIT. */
typedef void (*sb_store_commit_fn)(void *user, uint64_t ns);

struct sb_store {
	const struct sb_store_ops *ops;   /* the backend */
	char errmsg[SB_STORE_ERRMSG_MAX]; /* the last error's text; "" after success */
	sb_store_commit_fn on_commit;     /* commit-latency observer (metrics); NULL: none */
	void *on_commit_user;             /* its argument */
	uint64_t commits;                 /* write transactions committed since the store was opened */
	uint32_t wal_pages;               /* pages in the WAL after the last commit (checkpoint_by_caller) */
};

/* Options of sb_store_open_sqlite; zero-initialised (or NULL) gives the defaults. */
struct sb_store_opts {
	bool readonly; /* open read-only: every write is SB_ERR_DB_READONLY (the CLI while the daemon runs) */
	bool no_create;      /* a missing database file is SB_ERR_NOT_FOUND instead of being created */
	int busy_timeout_ms; /* wait this long for another process's lock; 0 = 5000 */
	bool scratch;        /* a private, disposable database (a backtest's): no fsync (synchronous OFF),
	                        one lock held until close (locking_mode EXCLUSIVE), so no other process can
	                        open it meanwhile, and the rollback journal in memory instead of WAL: a
	                        crash may lose it */
	bool checkpoint_by_caller; /* commits never copy the WAL back into the database: the caller does, with
	                              sb_store_checkpoint() when it suits it, as sb_store_wal_pages() grows */
};

/*
 * Opens (creating unless opts->no_create) the SQLite database at path and brings its schema up to
 * SB_STORE_SCHEMA_VERSION. ":memory:" is accepted for tests. On success *out is a store the caller closes
 * with sb_store_close(). On failure *out is NULL and, when err is not NULL, err (cap bytes) holds why:
 * SB_ERR_UNSUPPORTED for a database written by a newer spotbot (its schema version is higher), SB_ERR_DB_*
 * as for the operations, SB_ERR_NOT_FOUND for a missing file with no_create.
 */
sb_err sb_store_open_sqlite(const char *path, const struct sb_store_opts *opts, struct sb_store **out,
                            char *err, size_t cap);

/*
 * Reads one system_state value of the database at path into buf (cap bytes) without opening it as a
 * store: read-only, whatever its schema version, so a database a newer spotbot wrote can still be read
 * (system_state is the same in every version). SB_ERR_NOT_FOUND when the file or the key is missing;
 * SB_ERR_DB with the reason in err for a file that is not a readable spotbot database.
 */
sb_err sb_store_peek_state(const char *path, const char *key, char *buf, size_t cap, char *err,
                           size_t errcap);

/* Closes the store and frees it; NULL is harmless. */
void sb_store_close(struct sb_store *st);

/* The database's message for the last failed operation ("" after a success); owned by the store, valid
 * until the next call on it. NULL st gives "". */
const char *sb_store_last_error(const struct sb_store *st);

#define SB_STORE_CHECKPOINT_PAGES 1000u /* log growth, in pages, between two checkpoints (SQLite's own) */

/* Pages in st's write-ahead log after its last commit, for a store opened with checkpoint_by_caller (0
 * otherwise). It falls back once a checkpoint has copied the whole log and a later commit starts it anew. */
uint32_t sb_store_wal_pages(const struct sb_store *st);

/* Copies st's write-ahead log into the database as far as readers allow (a passive checkpoint) and syncs
 * it; once the log was copied whole the next commit starts it anew. */
sb_err sb_store_checkpoint(struct sb_store *st);

/* Sets (fn NULL: clears) the observer told the duration of every committed write transaction. */
void sb_store_set_commit_observer(struct sb_store *st, sb_store_commit_fn fn, void *user);

/* Write transactions this store has committed since it was opened (0 for NULL). */
uint64_t sb_store_commits(const struct sb_store *st);

/*
 * A number that changes when another connection (another process, or another store on the same file)
 * has committed a change to the database since the last call; this store's own writes leave it as it is.
 * Cheap (no table is read), so a reader can poll it and re-read what others may write (the kill switch)
 * only when it moved. SB_ERR_UNSUPPORTED for a backend that cannot tell.
 */
sb_err sb_store_data_version(struct sb_store *st, uint64_t *out);
/*
 * Whether the next calls wait up to the busy timeout for another connection's lock (wait, the default) or
 * fail at once with SB_ERR_DB_BUSY while one holds it: a quick look whether the database can be written
 * now, which does not stall the caller's loop for the whole timeout. SB_ERR_UNSUPPORTED for a backend
 * without the choice.
 */
sb_err sb_store_wait_for_locks(struct sb_store *st, bool wait);

/*
 * A transaction scope: the writes made between sb_store_begin() and sb_store_commit() are committed
 * together, with one durable COMMIT, instead of one each. A write inside the scope still succeeds or fails
 * as a whole (its failure undoes only itself) and returns as soon as it is written, before it is durable:
 * whatever must wait for durability ("persist before you act") waits for sb_store_commit() to return SB_OK.
 * Reads inside the scope see its writes. Scopes do not nest (SB_ERR_STATE); a write lock is taken by
 * sb_store_begin() and held until the commit or sb_store_rollback(), so a scope is kept short. When a write
 * inside failed so badly that the database dropped the whole transaction (a full disk), sb_store_commit()
 * is SB_ERR_DB and nothing of the scope was written. SB_ERR_UNSUPPORTED for a backend without scopes.
 */
sb_err sb_store_begin(struct sb_store *st);
/* Commits the scope durably (the commit observer is told once, for the whole scope); on an error nothing of
 * it was written. SB_ERR_STATE when no scope is open. */
sb_err sb_store_commit(struct sb_store *st);
/* Undoes every write of the open scope and ends it; harmless when none is open. */
void sb_store_rollback(struct sb_store *st);

/* The backend's name ("sqlite"). */
const char *sb_store_backend(const struct sb_store *st);

/* A pair's buy mode as stored ("LIMIT", "MARKET"); static strings, "?" when out of range. An order's status,
 * time in force, side and type and a position's state are stored as core's names. */
const char *sb_store_buy_mode_name(enum sb_store_buy_mode m);
/* The reverse (exactly len bytes); SB_ERR_NOT_FOUND for an unknown name. */
sb_err sb_store_buy_mode_parse(const char *s, size_t len, enum sb_store_buy_mode *out);

/* Inserts the pair or replaces its configuration (created_ms is kept from the first insert). */
sb_err sb_store_pair_upsert(struct sb_store *st, const struct sb_store_pair *p,
                            const struct sb_store_event *ev);
/* SB_ERR_NOT_FOUND when the symbol is not configured. */
sb_err sb_store_pair_get(struct sb_store *st, const char *symbol, struct sb_store_pair *out);
/* Every pair (or only enabled ones) ordered by symbol; *rows is the caller's to free(). */
sb_err sb_store_pair_list(struct sb_store *st, bool enabled_only, struct sb_store_pair **rows, size_t *n);
/* Removes the pair from trade_pairs with its event (its positions, orders and fills stay: history keeps
 * the symbol). SB_ERR_NOT_FOUND when the symbol is not configured. Whether it may go (no open position) is
 * the caller's decision. */
sb_err sb_store_pair_delete(struct sb_store *st, const char *symbol, const struct sb_store_event *ev);

/*
 * Writes an order intent: o->status must be PENDING_NEW. Returns only after COMMIT, so the request may be
 * sent as soon as this returns SB_OK ("persist before you act"). pos (NULL = none) is an updated position
 * written in the same transaction (e.g. HOLDING -> SELLING with its target). A client order id that
 * already exists is SB_ERR_EXISTS; an unknown o->position_id is SB_ERR_NOT_FOUND.
 */
sb_err sb_store_order_insert_intent(struct sb_store *st, const struct sb_store_order *o,
                                    const struct sb_store_position *pos, const struct sb_store_event *ev);
/* Updates the mutable columns of the order o->client_order_id (exchange id, status, executed amounts,
 * updated_ms, last_error) and, when pos is not NULL, that position. SB_ERR_NOT_FOUND for an unknown id. */
sb_err sb_store_order_update(struct sb_store *st, const struct sb_store_order *o,
                             const struct sb_store_position *pos, const struct sb_store_event *ev);
sb_err sb_store_order_get(struct sb_store *st, const char *client_order_id, struct sb_store_order *out);
/* Orders matching f (NULL = all), newest first; *rows is the caller's to free(). */
sb_err sb_store_order_list(struct sb_store *st, const struct sb_store_order_filter *f,
                           struct sb_store_order **rows, size_t *n);
/* Every order not in a final status (the reconciler's work list), oldest first. */
sb_err sb_store_order_list_open(struct sb_store *st, struct sb_store_order **rows, size_t *n);

/*
 * Applies one fill in one transaction: inserts f, writes the order o (already updated by the caller with
 * this fill's amounts and status; o->client_order_id must equal f->client_order_id) and, when pos is not
 * NULL, the updated position. A fill already recorded (same symbol, order and trade id) is SB_ERR_EXISTS and
 * changes nothing at all; an unknown order or position is SB_ERR_NOT_FOUND.
 */
sb_err sb_store_fill_apply(struct sb_store *st, const struct sb_store_fill *f, const struct sb_store_order *o,
                           const struct sb_store_position *pos, const struct sb_store_event *ev);
/* Whether the fill (symbol, client_order_id, trade_id) was already applied. */
sb_err sb_store_fill_exists(struct sb_store *st, const char *symbol, const char *client_order_id,
                            int64_t trade_id, bool *exists);
/* The fills of one order in trade-id order; *rows is the caller's to free(). */
sb_err sb_store_fill_list(struct sb_store *st, const char *client_order_id, struct sb_store_fill **rows,
                          size_t *n);

/*
 * Inserts a new position. On SB_OK pos->id is the new id and, when pos->cycle was 0, pos->cycle is the
 * next cycle number of the symbol. An event with position_id 0 gets the new id.
 */
sb_err sb_store_position_insert(struct sb_store *st, struct sb_store_position *pos,
                                const struct sb_store_event *ev);
/* Writes every column of the position pos->id (and its commissions). SB_ERR_NOT_FOUND for an unknown id. */
sb_err sb_store_position_update(struct sb_store *st, const struct sb_store_position *pos,
                                const struct sb_store_event *ev);
sb_err sb_store_position_get(struct sb_store *st, int64_t id, struct sb_store_position *out);
/* Positions matching f (NULL = all), newest first; *rows is the caller's to free(). */
sb_err sb_store_position_list(struct sb_store *st, const struct sb_store_pos_filter *f,
                              struct sb_store_position **rows, size_t *n);

/* Appends ev on its own; *id (may be NULL) receives its id. ev->detail must be valid JSON (or NULL). */
sb_err sb_store_event_append(struct sb_store *st, const struct sb_store_event *ev, int64_t *id);
/* Events matching f (NULL = all), oldest first. Each row's detail is allocated: free the list with
 * sb_store_events_free(). */
sb_err sb_store_event_list(struct sb_store *st, const struct sb_store_event_filter *f,
                           struct sb_store_event **rows, size_t *n);
/* Frees a list from sb_store_event_list(); NULL is harmless. */
void sb_store_events_free(struct sb_store_event *rows, size_t n);

/* Copies the value of key into buf (cap bytes, NUL-terminated). SB_ERR_NOT_FOUND for a missing key,
 * SB_ERR_TOO_LONG when cap is too small. */
sb_err sb_store_state_get(struct sb_store *st, const char *key, char *buf, size_t cap);
/* Sets key to value (inserting it when missing). */
sb_err sb_store_state_set(struct sb_store *st, const char *key, const char *value, int64_t now_ms,
                          const struct sb_store_event *ev);
/* The same for integer values (stored as decimal text); SB_ERR_PARSE when the stored text is no integer. */
sb_err sb_store_state_get_int(struct sb_store *st, const char *key, int64_t *out);
/* The clientOrderId epoch (SB_STORE_KEY_COID_EPOCH): 0 when the database was never restored; SB_ERR_PARSE
 * when the stored value is not a number in 0..SB_COID_EPOCH_MAX. */
sb_err sb_store_coid_epoch(struct sb_store *st, unsigned *epoch);
sb_err sb_store_state_set_int(struct sb_store *st, const char *key, int64_t value, int64_t now_ms,
                              const struct sb_store_event *ev);

/* Realised profit of CLOSED positions with closed_ms in [from_ms, to_ms) (0 = unbounded), by pair (ordered
 * by symbol) or by UTC day (ascending). Sums are exact: SB_ERR_OVERFLOW when one leaves the sb_dec range. */
sb_err sb_store_pnl_by_pair(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
                            size_t *n);
sb_err sb_store_pnl_by_day(struct sb_store *st, int64_t from_ms, int64_t to_ms, struct sb_store_pnl **rows,
                           size_t *n);

/* Writes a consistent copy of the whole database to path while the store stays usable (other processes
 * may keep writing). An existing path is SB_ERR_EXISTS: a backup never overwrites. */
sb_err sb_store_backup(struct sb_store *st, const char *path);

/* Checks the database's integrity (structure and foreign keys). SB_OK when sound; SB_ERR_DB with the
 * first problem in msg (cap bytes; may be NULL) otherwise. */
sb_err sb_store_check(struct sb_store *st, char *msg, size_t cap);

/* Runs raw SQL on the backend (SQLite only; others SB_ERR_UNSUPPORTED). For tests that inject faults
 * and for maintenance; the engine never calls it. */
sb_err sb_store_exec(struct sb_store *st, const char *sql);

#endif

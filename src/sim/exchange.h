/*
 * exchange.h - spotsim's exchange state: the symbols it lists (rules, order book, market feed, market
 * data), the accounts (ledger balances and API credentials), the clock, the faults and the request
 * weight counters. The API layer (sim/api.h) reads and changes it; the network layer (sim/server.h)
 * is told about market and user-data events through hooks, and never touches it directly. With
 * --state, what changed is written to the state file (sim/state.h) before the answers leave.
 *
 * Times: every timestamp spotsim reports is wall-clock milliseconds (plus the clock-skew fault), so
 * Binance clients' timestamp checks work; market time only paces the feed (--speed).
 */
#ifndef SIM_EXCHANGE_H
#define SIM_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <uv.h>

#include "sim/book.h"
#include "sim/ledger.h"
#include "sim/market.h"
#include "sim/options.h"
#include "sim/stp.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/rules.h"
#include "spotbot/sign.h"

struct cJSON;
struct sim_md;
struct sim_userstreams;

/* One listed symbol. */
struct sim_symbol {
	uint32_t index;               /* position in the exchange's symbols */
	struct sb_symbol_rules rules; /* filters, assets, status */
	struct cJSON *info;           /* its exchangeInfo object, served as is (owned) */
	char lower[SB_SYMBOL_MAX];    /* lower-case name, as in stream names */
	struct sim_book *book;        /* user orders and the feed's liquidity */
	struct sim_feed *feed;        /* synthetic walk or kline replay */
	struct sim_event pending;     /* next feed event, not applied yet */
	bool replay;                  /* the feed replays klines (its end: --replay-end) */
	int64_t feed_origin_ms;       /* market time of the feed's first event */
	struct sim_md *md;            /* trades, klines, tickers for REST, streams; NULL: no_market_data */
	struct sim_symbol *bnb;       /* BNB<quote> when listed (values commission paid in BNB); else NULL */
	sb_dec last_price;            /* last trade price (0 before the first) */
	sb_dec ref_price;             /* reference price for percent and market notional filters */
	struct sim_stp_config stp;    /* self-trade prevention: default and allowed modes */
	int64_t market_ms;            /* market time of the last feed event applied (0 before) */
};

/* One of an account's trades, for myTrades. */
struct sim_trade_rec {
	uint32_t symbol;                          /* index into the exchange's symbols */
	int64_t id;                               /* trade id */
	uint64_t order_id;                        /* the account's order */
	sb_dec price;                             /* execution price */
	sb_dec qty;                               /* base quantity */
	sb_dec quote_qty;                         /* quote quantity */
	sb_dec commission;                        /* commission paid */
	char commission_asset[SIM_ASSET_MAX + 1]; /* its asset */
	int64_t time;                             /* execution time */
	bool is_buyer;                            /* the account bought */
	bool is_maker;                            /* the account's order was resting */
};

#define SIM_TRADES_PER_ACCOUNT 10000 /* trades kept per account for myTrades */

/* One of an account's prevented matches, for myPreventedMatches. */
struct sim_prevented_rec {
	uint32_t symbol;              /* index into the exchange's symbols */
	struct sim_book_prevented pm; /* what the book recorded */
};

#define SIM_PREVENTED_PER_ACCOUNT 10000 /* prevented matches kept per account */

/* One API account. */
struct sim_account {
	uint32_t id;                         /* ledger account id */
	char key[SIM_API_KEY_MAX];           /* API key */
	struct sb_signer *hmac;              /* verifies signatures: HMAC secret or Ed25519 public key */
	int64_t orders_10s_start;            /* start of the current 10-second order window (ms) */
	uint32_t orders_10s;                 /* orders placed in it */
	int64_t orders_1d_start;             /* start of the current day window (ms) */
	uint32_t orders_1d;                  /* orders placed in it */
	struct sim_trade_rec *trades;        /* ring of the most recent trades (SIM_TRADES_PER_ACCOUNT) */
	size_t ntrades;                      /* trades in the ring */
	size_t trades_next;                  /* ring slot the next trade goes to */
	struct sim_prevented_rec *prevented; /* ring of the most recent prevented matches */
	size_t nprevented;                   /* prevented matches in the ring */
	size_t prevented_next;               /* ring slot the next one goes to */
};

/* Faults, switchable at start (--fault) and at run time (POST /sim/fault). */
struct sim_faults {
	bool hide_user_events;    /* user-data sockets stay open but receive nothing */
	bool order_5xx_after;     /* order requests execute, then get 503 */
	bool order_5xx_before;    /* order requests get 503 and do not execute */
	uint32_t delay_ms;        /* every REST response is delayed this long */
	uint32_t force_429_s;     /* non-zero: every REST request gets 429 with this Retry-After */
	int64_t clock_skew_ms;    /* added to the server clock */
	uint32_t drop_ws_every_s; /* non-zero: drop every WebSocket this often */
	uint32_t ws_lifetime_s;   /* WebSockets are closed after this long (Binance: 86400) */
	uint32_t user_delay_ms;   /* user-data events are delivered this long after they happen */
	bool flat_market;         /* the feeds' events are skipped: the price stands still */
	bool wsapi_down;          /* WebSocket API connections are closed as they open */
	bool order_ws_drop;       /* WS API order.place executes; its connection closes unanswered */
};

/* What the network layer hears about. */
struct sim_exchange_hooks {
	void *ctx; /* passed back to each hook */
	/* A feed event was applied to sym (trades, book, klines and tickers updated in sym->md); the trade
	 * id of the public trade is trade_id. */
	void (*market)(void *ctx, struct sim_symbol *sym, const struct sim_event *ev, int64_t trade_id,
	               int64_t time_ms);
	/* A user-data event (bare JSON object, as a listenKey stream sends it) for account. */
	void (*user)(void *ctx, uint32_t account, const char *json, size_t len);
	/* Every WebSocket should be dropped now (fault). */
	void (*drop_ws)(void *ctx);
	/* User-data subscriptions and listenKeys of every account end now (fault). */
	void (*expire_user_data)(void *ctx);
	/* Every replay has reached its end and --replay-end is stop: the program should shut down. */
	void (*replays_ended)(void *ctx);
	/* The rules of a symbol that neither --exchange-info nor the catalogue lists and no --replay file
	 * gives, when the program embedding the exchange can tell them (the backtest derives them from its
	 * own data): its exchangeInfo object in *info, handed over. SB_ERR_NOT_FOUND when it cannot; any
	 * other error stops sim_exchange_new, the reason written to err. Asked only while the exchange is
	 * built. NULL: no such source. */
	sb_err (*symbol_info)(void *ctx, const char *symbol, struct cJSON **info, FILE *err);
};

/* Request weight per IP, as Binance counts it (one minute window). */
struct sim_weight {
	int64_t minute_start; /* start of the current minute (ms) */
	uint32_t used;        /* weight used in it */
	uint32_t limit;       /* REQUEST_WEIGHT per minute */
	uint32_t over;        /* requests refused with 429 in a row; too many become a 418 ban */
	int64_t banned_until; /* 418 until this time (ms), 0 when not banned */
	uint64_t total;       /* weight charged since start, every minute together */
	uint64_t refused;     /* requests refused with 429 or 418 since start */
	uint64_t queries;     /* order status queries (REST and WebSocket API) since start */
};

struct sim_exchange {
	uv_loop_t *loop;                     /* the program's loop */
	struct sim_symbol *symbols;          /* listed symbols */
	size_t nsymbols;                     /* entries in symbols */
	struct cJSON *rate_limits;           /* exchangeInfo's rateLimits array (owned) */
	struct sim_ledger *ledger;           /* balances */
	struct sim_account *accounts;        /* API accounts */
	size_t naccounts;                    /* entries in accounts */
	struct sim_book_result scratch;      /* reused result storage */
	struct sim_faults faults;            /* active faults */
	uint64_t order_requests[2];          /* placements received: [0] REST, [1] WS API */
	struct sim_weight weight;            /* request weight counters */
	struct sim_exchange_hooks hooks;     /* network layer */
	sb_dec speed;                        /* market time per wall time */
	int64_t wall_start_ms;               /* wall time when the feeds started */
	int64_t market_start_ms;             /* market time then */
	uv_timer_t feed_timer;               /* applies feed events as market time reaches them */
	bool feed_timer_running;             /* the timer has been started */
	uint32_t order_limit_10s;            /* ORDERS per 10 s */
	uint32_t order_limit_1d;             /* ORDERS per day */
	struct sim_userstreams *userstreams; /* listenKeys and subscriptions (set by the program) */
	enum sim_replay_end replay_end;      /* what a replay does at its end */
	bool replays_stopped;                /* replays_ended has been called */
	char *state_path;                    /* --state file (owned), NULL = state in memory only */
	bool state_dirty;                    /* what the state file holds changed since the last save */
	uint64_t state_saves;                /* state files written since start */
};

/*
 * Builds the exchange from the command line: symbols from --exchange-info, the built-in catalogue, a
 * --replay file or hooks->symbol_info, in that order; feeds (synthetic, or --replay files), accounts with
 * their balances. Errors (unknown symbol, bad file: the message names the file and line) are written to
 * err. *out is owned by the caller.
 */
sb_err sim_exchange_new(uv_loop_t *loop, const struct sim_options *opts,
                        const struct sim_exchange_hooks *hooks, FILE *err, struct sim_exchange **out);

/* Starts the feed timer. */
void sim_exchange_start(struct sim_exchange *ex);

/* Stops the feed timer and closes it (the loop must run once more before sim_exchange_free). */
void sim_exchange_stop(struct sim_exchange *ex);

/* NULL is fine. */
void sim_exchange_free(struct sim_exchange *ex);

/* Server time in ms: wall clock plus the clock-skew fault. */
int64_t sim_exchange_now(const struct sim_exchange *ex);

/* The symbol named exactly name (upper case), or NULL. */
struct sim_symbol *sim_exchange_symbol(struct sim_exchange *ex, const char *name, size_t len);

/* The account with API key (len bytes), or NULL. */
struct sim_account *sim_exchange_account(struct sim_exchange *ex, const char *key, size_t len);

/* The account with ledger id, or NULL. */
struct sim_account *sim_exchange_account_by_id(struct sim_exchange *ex, uint32_t id);

/* Applies every feed event whose market time has come (also called by the feed timer). */
void sim_exchange_advance(struct sim_exchange *ex);

/* Appends a trade to the account's ring (the oldest goes when it is full). */
void sim_account_push_trade(struct sim_account *a, const struct sim_trade_rec *t);

/*
 * Writes the state file (--state) when something it holds changed since the last write (orders, fills,
 * balances), or always; called once a request or a feed event has been handled, before any answer
 * leaves, so what a client was told is on disk first. A failure is logged and returned; the exchange
 * goes on (the next change tries again).
 */
sb_err sim_exchange_persist(struct sim_exchange *ex, bool always);

/* Sets a symbol's market to price now (POST /sim/price): a trade there and a book around it. qty is the
 * trade's and each book level's quantity (a multiple of the step); 0 means about 100000 quote's worth. */
sb_err sim_exchange_set_price(struct sim_exchange *ex, struct sim_symbol *sym, sb_dec price, sb_dec qty);

/* The event sim_exchange_set_price applies: a trade at price of qty (0: about 100000 quote's worth) with
 * the book's levels one tick apart around it, each of the trade's quantity. SB_ERR_INVALID for a price off
 * the tick grid or a quantity off the step grid. */
sb_err sim_exchange_price_event(const struct sim_symbol *sym, sb_dec price, sb_dec qty, struct sim_event *ev);

/*
 * Applies one market event to sym at time now (ms) as the feed timer does: the trade fills crossing user
 * orders (ledger-settled), the event's quotes replace the book's external ladder, the market data and
 * the accounts' records are updated, then hooks.market hears of it. ex->scratch holds the book result
 * until the next call that moves orders or money.
 */
void sim_exchange_apply(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_event *ev,
                        int64_t now);

/* The price of 1 BNB in sym's quote asset, from the BNB<quote> symbol when listed (1 when the quote is
 * BNB); 0 when unknown, and commission is then never paid in BNB. */
sb_dec sim_exchange_bnb_price(struct sim_exchange *ex, const struct sim_symbol *sym);

/* Turns a fault on (value "" for flag faults) or off ("off"); SB_ERR_INVALID names nothing known. */
sb_err sim_exchange_set_fault(struct sim_exchange *ex, const char *name, const char *value);

/*
 * Everything that follows a call that moved orders or money: records the accounts' trades and prevented
 * matches, reports
 * taker fills as public trades, and publishes the user-data events (sim_exchange_publish).
 */
void sim_exchange_settled(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_book_result *res);

/*
 * Emits the user-data events of a book result: an executionReport for every event, then one
 * outboundAccountPosition per account whose balances changed. Used after every call that can move
 * orders or money. Without a hooks.user nobody hears them, so nothing is formatted.
 */
void sim_exchange_publish(struct sim_exchange *ex, struct sim_symbol *sym, const struct sim_book_result *res);

#endif

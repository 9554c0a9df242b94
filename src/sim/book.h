/*
 * book.h - spotsim's matching engine: one order book per symbol with price-time priority.
 *
 * The book holds resting user orders (from any account) on both sides, plus a ladder of external
 * liquidity that the market feed supplies (sim_book_set_quotes). An incoming order walks the best
 * prices of both sources merged - at equal prices resting user orders go first, since they were there
 * before the current quotes - and LIMIT/IOC/FOK/MARKET/LIMIT_MAKER rules decide what happens to the
 * rest. Market trades reported by the feed (sim_book_market_trade) fill resting orders as makers at
 * their own limit price, sharing the trade's volume, so small market volume yields partial fills. The
 * book's fill model (sim_book_set_fill) says whether a trade or quote at an order's own price reaches it
 * (touch, the default) or only one beyond it does (through: the pessimistic model of a queue at that
 * price that never reaches the order).
 *
 * The engine is pure logic: it never reads a clock (times are passed in), never does I/O and knows
 * nothing of balances (the ledger, sim/ledger.h, locks and settles around it). Every mutating call
 * appends to a caller-owned struct sim_book_result: the fills and, per order, the events NEW, TRADE...,
 * final, in the order an exchange emits executionReports. Symbol filters (tick, step, notional) are
 * the server's job before an order reaches the book.
 *
 * Self-trade prevention: when an incoming order would match a resting order of the same account, the
 * incoming (taker) order's selfTradePreventionMode decides. NONE lets the trade happen (both sides'
 * TRADE events then carry the same trade id). EXPIRE_TAKER, EXPIRE_MAKER and EXPIRE_BOTH expire the
 * remaining quantity of the taker, the maker or both; DECREMENT (and TRANSFER) adds the would-be match
 * quantity to both orders' prevented quantity and expires whichever has nothing left. Each such
 * encounter is one prevented match with its own id (per book, from 0); every order it touches gets a
 * TRADE_PREVENTION event, with status EXPIRED_IN_MATCH when it ended. The taker then goes on to the
 * next resting order unless it expired. An order's quantity still available is origQty - executedQty -
 * preventedQuantity. Orders of the external market never self-trade.
 */
#ifndef SIM_BOOK_H
#define SIM_BOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/stp.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/orders.h"
#include "spotbot/rules.h"

#define SIM_BOOK_MAX_LEVELS     50      /* external quote levels per side */
#define SIM_CLIENT_ID_MAX       36      /* Binance: ^[\.A-Z\:/a-z0-9_-]{1,36}$ */
#define SIM_ASSET_MAX           15      /* longest asset name ("1000SATS" fits) */
#define SIM_SYMBOL_MAX          31      /* longest symbol name */
#define SIM_ACCOUNT_MARKET      0u      /* account/order id 0: the external market */
#define SIM_BOOK_DEFAULT_OPEN   10000u  /* default cap on open orders per book */
#define SIM_BOOK_DEFAULT_CLOSED 100000u /* default number of closed orders kept for queries */

/* When the market's trades and quotes fill a resting order (spotsim's --fill). */
enum sim_fill_model {
	SIM_FILL_TOUCH,   /* at its price or better: a buy at P by a trade or an ask at P or below */
	SIM_FILL_THROUGH, /* strictly beyond its price: a buy at P only by a trade or an ask below P */
};

/* Execution types of executionReport's "x". */
enum sim_book_exec {
	SIM_EXEC_NEW,
	SIM_EXEC_TRADE,
	SIM_EXEC_CANCELED,
	SIM_EXEC_EXPIRED,
	SIM_EXEC_TRADE_PREVENTION, /* self-trade prevention took quantity from the order */
};

/* Binance's expiryReason ("eR"). */
enum sim_book_expiry {
	SIM_EXPIRY_NONE,
	SIM_EXPIRY_UNFILLED_IOC,           /* UNFILLED_IOC_QUANTITY_EXPIRED */
	SIM_EXPIRY_UNFILLED_FOK,           /* UNFILLED_FOK_ORDER_EXPIRED */
	SIM_EXPIRY_INSUFFICIENT_LIQUIDITY, /* a MARKET order ran out of liquidity */
};

/* Why a request was refused before it became an order; the server answers -2010 with the message. */
enum sim_book_reject {
	SIM_REJECT_NONE,
	SIM_REJECT_DUPLICATE,            /* "Duplicate order sent." */
	SIM_REJECT_WOULD_MATCH,          /* "Order would immediately match and take." */
	SIM_REJECT_INSUFFICIENT_BALANCE, /* "Account has insufficient balance for requested action." */
	SIM_REJECT_TOO_MANY_ORDERS,      /* the book's open-order cap is reached */
};

/*
 * A new order as the server hands it over, after filters have passed. A MARKET order by quote_qty
 * spends (BUY) or collects (SELL) at most quote_qty: each fill takes the smaller of what the next price
 * level or resting order offers and the quote left divided by the price, rounded down to 8 places and
 * then to step. It ends FILLED once the quote left cannot buy one step at the next price, EXPIRED
 * (INSUFFICIENT_LIQUIDITY) when the other side runs dry first; origQty is then set to what executed.
 */
struct sim_book_req {
	uint32_t account;        /* owner; not SIM_ACCOUNT_MARKET */
	enum sb_side side;       /* BUY or SELL */
	enum sb_order_type type; /* LIMIT, MARKET or LIMIT_MAKER */
	enum sb_tif tif;         /* LIMIT only; others are reported as GTC */
	sb_dec price;            /* limit price (> 0) for LIMIT and LIMIT_MAKER, 0 for MARKET */
	sb_dec qty;              /* base quantity (> 0), or 0 for a MARKET order by quote_qty */
	sb_dec quote_qty;        /* MARKET quoteOrderQty (> 0 when qty is 0), else 0 */
	sb_dec step;             /* stepSize for quote_qty fills (0 = none), see above */
	const char *client_id;   /* newClientOrderId, not NUL-terminated; NULL/empty: one is generated */
	size_t client_id_len;    /* bytes in client_id, at most SIM_CLIENT_ID_MAX */
	int64_t time;            /* transaction time in ms */
	enum sim_stp_mode stp;   /* selfTradePreventionMode (0: NONE) */
};

/* One order, open or closed. Fields are read-only for everyone but the book, except `locked`, which
 * belongs to the ledger. */
struct sim_book_order {
	uint64_t id;                           /* orderId, per book, from 1 */
	uint32_t account;                      /* owner */
	char client_id[SIM_CLIENT_ID_MAX + 1]; /* clientOrderId, NUL-terminated */
	enum sb_side side;                     /* BUY or SELL */
	enum sb_order_type type;               /* order type */
	enum sb_tif tif;                       /* time in force */
	enum sb_order_state status;            /* current status */
	enum sim_book_expiry expiry;           /* why it expired, else NONE */
	sb_dec price;                          /* limit price, 0 for MARKET */
	sb_dec orig_qty;                       /* origQty (a quote_qty order: executed qty at the end) */
	sb_dec orig_quote_qty;                 /* origQuoteOrderQty, 0 unless MARKET by quote */
	sb_dec executed_qty;                   /* executedQty */
	sb_dec cum_quote_qty;                  /* cummulativeQuoteQty */
	int64_t time;                          /* creation (transactTime) */
	int64_t update_time;                   /* last change */
	int64_t working_time;                  /* when it started working (= time) */
	sb_dec locked;                         /* funds the ledger holds for the remainder */
	enum sim_stp_mode stp;                 /* selfTradePreventionMode */
	sb_dec prevented_qty;                  /* preventedQuantity: taken by self-trade prevention */
	int64_t prevented_match_id;            /* preventedMatchId of the last prevention, if prevented_qty */
	uint64_t seq;                          /* arrival sequence, for time priority */
	struct sim_book_order *next_by_id;     /* hash chain by id */
	struct sim_book_order *next_by_cid;    /* hash chain by (account, client_id) */
	struct sim_book_order *next_closed;    /* FIFO of closed orders, oldest first */
};

/* One execution. Order ids and accounts are 0 for the external market's side. */
struct sim_book_fill {
	int64_t trade_id;                                /* per book, increasing from 1 */
	sb_dec price;                                    /* execution price */
	sb_dec qty;                                      /* base quantity */
	sb_dec quote_qty;                                /* price * qty, rounded down to 8 places */
	uint64_t maker_order_id;                         /* resting side */
	uint64_t taker_order_id;                         /* aggressing side */
	uint64_t buyer_order_id;                         /* buying order */
	uint64_t seller_order_id;                        /* selling order */
	uint32_t buyer_account;                          /* buyer, or 0 */
	uint32_t seller_account;                         /* seller, or 0 */
	bool buyer_is_maker;                             /* "m" of trade streams */
	int64_t time;                                    /* execution time */
	sb_dec buyer_commission;                         /* set by the ledger */
	char buyer_commission_asset[SIM_ASSET_MAX + 1];  /* set by the ledger, "" if none */
	sb_dec seller_commission;                        /* set by the ledger */
	char seller_commission_asset[SIM_ASSET_MAX + 1]; /* set by the ledger, "" if none */
};

/* One executionReport's worth: what happened to one order, with its state right after. */
struct sim_book_event {
	uint64_t order_id;                        /* the order */
	uint32_t account;                         /* its owner, to route the report */
	enum sim_book_exec exec;                  /* NEW, TRADE, CANCELED or EXPIRED */
	enum sb_order_state status;               /* order status after this event */
	enum sim_book_expiry expiry;              /* on EXPIRED: why */
	sb_dec executed_qty;                      /* cumulative after this event ("z") */
	sb_dec cum_quote_qty;                     /* cumulative quote after this event ("Z") */
	size_t fill;                              /* TRADE: index into result fills, else SIZE_MAX */
	bool is_maker;                            /* TRADE: this order was the maker ("m") */
	sb_dec last_qty;                          /* TRADE: "l" */
	sb_dec last_price;                        /* TRADE: "L" */
	sb_dec last_quote;                        /* TRADE: "Y" */
	int64_t trade_id;                         /* TRADE: "t", else -1 */
	sb_dec commission;                        /* TRADE: "n", set by the ledger */
	char commission_asset[SIM_ASSET_MAX + 1]; /* TRADE: "N", set by the ledger */
	int64_t prevented_match_id;               /* TRADE_PREVENTION: "v" */
	sb_dec prevented_qty;                     /* TRADE_PREVENTION: "A", cumulative */
	sb_dec last_prevented_qty;                /* TRADE_PREVENTION: "B", this prevention's */
	uint64_t counter_order_id;                /* TRADE_PREVENTION: "U", the other order */
	int64_t time;                             /* event time */
};

/* One prevented match (myPreventedMatches): a taker and a maker of one account that did not trade. */
struct sim_book_prevented {
	int64_t id;              /* preventedMatchId, per book, from 0 */
	uint64_t taker_order_id; /* incoming order */
	uint64_t maker_order_id; /* resting order */
	uint32_t account;        /* their owner */
	enum sim_stp_mode mode;  /* the taker's mode, which decided */
	sb_dec price;            /* the maker's price, where they would have traded */
	sb_dec taker_qty;        /* takerPreventedQuantity, 0 when the taker lost nothing */
	sb_dec maker_qty;        /* makerPreventedQuantity, 0 when the maker lost nothing */
	int64_t time;            /* when */
};

/* What one call did; caller storage, reused across calls with sim_book_result_clear. */
struct sim_book_result {
	struct sim_book_event *events;        /* in emission order */
	size_t n_events;                      /* used */
	size_t cap_events;                    /* allocated */
	struct sim_book_fill *fills;          /* in execution order */
	size_t n_fills;                       /* used */
	size_t cap_fills;                     /* allocated */
	struct sim_book_prevented *prevented; /* prevented matches, in order */
	size_t n_prevented;                   /* used */
	size_t cap_prevented;                 /* allocated */
	uint64_t order_id;                    /* sim_book_place: the new order's id, 0 when rejected */
	enum sim_book_reject reject;          /* sim_book_place: why it was refused */
};

/* One external liquidity level. */
struct sim_book_level {
	sb_dec price; /* > 0 */
	sb_dec qty;   /* > 0 */
};

/* What an order would do right now, without doing it. */
struct sim_book_estimate {
	sb_dec qty;     /* base that would fill */
	sb_dec quote;   /* quote that would change hands (sum of per-fill quote_qty) */
	bool complete;  /* the whole order would fill */
	bool any_match; /* anything at all crosses (LIMIT_MAKER would be rejected) */
};

struct sim_book;

/* Creates an empty book for symbol (base/quote assets named). max_open caps resting orders, max_closed
 * is how many closed orders stay queryable (oldest go first); 0 picks the defaults. Owned by the
 * caller: sim_book_free. */
sb_err sim_book_new(const char *symbol, const char *base, const char *quote, uint32_t max_open,
                    uint32_t max_closed, struct sim_book **out);
/* Frees the book and every order it holds; NULL is fine. */
void sim_book_free(struct sim_book *book);

const char *sim_book_symbol(const struct sim_book *book);
const char *sim_book_base(const struct sim_book *book);
const char *sim_book_quote(const struct sim_book *book);

void sim_book_result_init(struct sim_book_result *res);
/* Empties res for the next call, keeping its memory. */
void sim_book_result_clear(struct sim_book_result *res);
void sim_book_result_fini(struct sim_book_result *res);

/*
 * Checks req without changing anything: SB_ERR_INVALID for a malformed request, SB_ERR_EXCHANGE with
 * *reject set for a duplicate clientOrderId or a full book (a LIMIT_MAKER that would match is only
 * found by sim_book_place).
 */
sb_err sim_book_check(const struct sim_book *book, const struct sim_book_req *req,
                      enum sim_book_reject *reject);

/* What req would fill against the current book, with no side effects (FOK and balance checks). */
sb_err sim_book_preview(const struct sim_book *book, const struct sim_book_req *req,
                        struct sim_book_estimate *out);

/*
 * Places req and matches it. Appends to res (which is not cleared): the fills, NEW for the new order,
 * TRADE events for it and for every resting order it hit, TRADE_PREVENTION events and prevented
 * matches where it met an order of its own account, and its final CANCELED/EXPIRED if any.
 * Returns SB_OK once the order exists (res->order_id), even if it expired unfilled; SB_ERR_EXCHANGE
 * with res->reject when it was refused (no order is created); SB_ERR_INVALID for bad arguments;
 * SB_ERR_OVERFLOW if a price * quantity leaves the decimal range.
 * Order pointers and ids named in res stay valid until the next mutating call on the book.
 */
sb_err sim_book_place(struct sim_book *book, const struct sim_book_req *req, struct sim_book_result *res);

/* Cancels an open order: a CANCELED event in res. SB_ERR_NOT_FOUND if the order is unknown or closed
 * (the server answers -2011 "Unknown order sent."). */
sb_err sim_book_cancel(struct sim_book *book, uint64_t order_id, int64_t time, struct sim_book_result *res);

/* Cancels every open order of account (DELETE /api/v3/openOrders), oldest first. */
sb_err sim_book_cancel_all(struct sim_book *book, uint32_t account, int64_t time,
                           struct sim_book_result *res);

/* Sets the fill model of the market's trades and quotes (SIM_FILL_TOUCH until set). */
void sim_book_set_fill(struct sim_book *book, enum sim_fill_model model);

/* The fill model's --fill spelling ("touch", "through"). */
const char *sim_fill_model_name(enum sim_fill_model model);

/*
 * The feed reports a market trade at price with volume: resting BUY orders priced >= price and SELL
 * orders priced <= price (with SIM_FILL_THROUGH: > and <) fill as makers at their own limit price,
 * best price then oldest first, sharing at most volume in total.
 */
sb_err sim_book_market_trade(struct sim_book *book, sb_dec price, sb_dec volume, int64_t time,
                             struct sim_book_result *res);

/*
 * Replaces the external ladder: bids (highest first after sorting) and asks (lowest first), each at
 * most SIM_BOOK_MAX_LEVELS levels with price > 0 and qty > 0 (SB_ERR_INVALID otherwise; the book is
 * then unchanged). Resting orders the new quotes cross (best ask <= a resting buy's price, best bid >=
 * a resting sell's price; with SIM_FILL_THROUGH < and >) fill as makers at their own price, up to the
 * quoted quantities, which they consume. With SIM_FILL_THROUGH a level at exactly a resting order's
 * price is dropped instead, as taken by the queue ahead of it, so the book never shows a bid equal to an
 * ask. Takers consume ladder quantity too, until the next update.
 */
sb_err sim_book_set_quotes(struct sim_book *book, const struct sim_book_level *bids, size_t n_bids,
                           const struct sim_book_level *asks, size_t n_asks, int64_t time,
                           struct sim_book_result *res);

/* The highest orderId given out so far (0 before the first order). */
uint64_t sim_book_last_order_id(const struct sim_book *book);

/* Takes the next trade id of the book's sequence for a trade between outside parties (a feed trade
 * that filled no user order), so the public trade stream and executionReports share one sequence. */
int64_t sim_book_take_trade_id(struct sim_book *book);

/* For state files (sim/state.h). The next trade id the book will give out. */
int64_t sim_book_next_trade_id(const struct sim_book *book);

/* The preventedMatchId the next self-trade prevention will get. */
int64_t sim_book_next_prevented_id(const struct sim_book *book);

/* The cap most recent closed orders, oldest first, into out; returns how many it wrote. The pointers
 * are valid until the next mutating call. */
size_t sim_book_closed_orders(const struct sim_book *book, const struct sim_book_order **out, size_t cap);

/*
 * Puts back an order read from a state file, with its id, sequence and every field as saved (the link
 * fields are ignored): an open one rests at its place in the queue, a closed one is queryable. The
 * order's `locked` is taken as is; the ledger's locked balances must match it. SB_ERR_INVALID for an
 * order that cannot be (no id or clientOrderId, an open MARKET order, nothing left to fill, the book is
 * full), SB_ERR_EXISTS when its id, or the clientOrderId of an open order, is taken.
 */
sb_err sim_book_restore_order(struct sim_book *book, const struct sim_book_order *order);

/* Raises the next orderId, trade id and preventedMatchId to at least these (ids already given out are
 * never reused). */
void sim_book_restore_ids(struct sim_book *book, uint64_t next_order_id, int64_t next_trade_id,
                          int64_t next_prevented_id);

/* Order lookup by id, open or recently closed; NULL when unknown. The pointer is valid until the next
 * mutating call. Only the ledger writes to it (its `locked` field). */
struct sim_book_order *sim_book_find(const struct sim_book *book, uint64_t order_id);

/* The open order of account with client_id, else the most recent closed one; NULL when none. */
struct sim_book_order *sim_book_find_client(const struct sim_book *book, uint32_t account,
                                            const char *client_id, size_t len);

/* Open orders, all accounts (account == SIM_ACCOUNT_MARKET) or one: writes up to cap pointers, best
 * price first per side (bids, then asks) and returns how many there are in total. */
size_t sim_book_open_orders(const struct sim_book *book, uint32_t account, const struct sim_book_order **out,
                            size_t cap);

/* Number of open orders of account (all accounts for SIM_ACCOUNT_MARKET); for MAX_NUM_ORDERS. */
size_t sim_book_open_count(const struct sim_book *book, uint32_t account);

/* Aggregated depth of one side, user orders and the ladder merged, best first: writes up to cap levels
 * and returns how many it wrote. */
size_t sim_book_depth(const struct sim_book *book, enum sb_side side, struct sim_book_level *out, size_t cap);

/* Best bid and ask over user orders and the ladder; false for an empty side (then *level is zeroed). */
bool sim_book_best(const struct sim_book *book, enum sb_side side, struct sim_book_level *level);

/* Binance spellings, for responses and executionReports. */
const char *sim_book_exec_name(enum sim_book_exec exec);
/* True for the statuses a book's order can have: NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED and
 * EXPIRED_IN_MATCH (a rejected request creates no order; the rest are Binance's or the bot's own words). */
bool sim_book_status_held(enum sb_order_state status);
const char *sim_book_expiry_name(enum sim_book_expiry expiry);
/* The -2010 message for a reject reason. */
const char *sim_book_reject_msg(enum sim_book_reject reject);

#endif

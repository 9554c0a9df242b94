/*
 * rules.h - a symbol's trading rules (Binance exchangeInfo filters) and the order check built on them.
 *
 * The bot uses these to round and pre-check every order it places, and spotsim uses the same
 * sb_rules_validate() to reject orders with -1013 "Filter failure: NAME", so the two can never disagree
 * about what the exchange accepts. Pure logic: no I/O, no allocation, sb_dec everywhere.
 *
 * Semantics follow Binance's filters (binance-spot-api.md §5):
 *  - PRICE_FILTER: minPrice, maxPrice and tickSize of 0 each disable their own check.
 *  - LOT_SIZE / MARKET_LOT_SIZE: qty >= minQty, qty <= maxQty, qty % stepSize == 0; a stepSize of 0 means
 *    no step check and a maxQty of 0 means no upper bound. MARKET orders must pass MARKET_LOT_SIZE in
 *    addition to LOT_SIZE.
 *  - MIN_NOTIONAL: price * qty >= minNotional; MARKET orders only when applyToMarket, using the
 *    average/reference price in place of the price.
 *  - NOTIONAL: minNotional <= price * qty <= maxNotional; for MARKET orders each bound applies only when
 *    its applyMinToMarket / applyMaxToMarket flag is set, using the average/reference price. A
 *    maxNotional of 0 means no upper bound.
 *  - PERCENT_PRICE: ref * multiplierDown <= price <= ref * multiplierUp (LIMIT and LIMIT_MAKER only).
 *  - PERCENT_PRICE_BY_SIDE: the same with bid* multipliers for BUY and ask* multipliers for SELL.
 *  - MAX_NUM_ORDERS: the order is refused when the account already has maxNumOrders open orders.
 * A multiplierUp of 0 disables the upper percent bound (a zero would otherwise refuse every price).
 * All products are compared exactly (128-bit), never rounded first.
 */
#ifndef SPOTBOT_RULES_H
#define SPOTBOT_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SB_SYMBOL_MAX 64 /* bytes for a symbol name with its NUL; UTF-8 symbols exist since 2025-12 */
#define SB_ASSET_MAX  32 /* bytes for an asset name with its NUL */

enum sb_side {
	SB_SIDE_BUY,
	SB_SIDE_SELL,
};

/* Binance order types. Only LIMIT, MARKET and LIMIT_MAKER can be validated; the rest are kept so the
 * symbol's orderTypes list round-trips. */
enum sb_order_type {
	SB_ORDER_LIMIT,
	SB_ORDER_MARKET,
	SB_ORDER_LIMIT_MAKER,
	SB_ORDER_STOP_LOSS,
	SB_ORDER_STOP_LOSS_LIMIT,
	SB_ORDER_TAKE_PROFIT,
	SB_ORDER_TAKE_PROFIT_LIMIT,
	SB_ORDER__COUNT
};

enum sb_symbol_status {
	SB_SYMBOL_TRADING,
	SB_SYMBOL_END_OF_DAY,
	SB_SYMBOL_HALT,
	SB_SYMBOL_BREAK,
	SB_SYMBOL_CANCEL_ONLY,
	SB_SYMBOL_OTHER, /* a status this build does not know yet: treat as not tradable */
};

/* Self-trade prevention modes (selfTradePreventionMode): what the exchange does when two orders of one
 * account would trade with each other. SB_STP_DEFAULT is "not sent", the symbol's default applies. */
enum sb_stp_mode {
	SB_STP_DEFAULT,      /* not sent / not stated; never a name on the wire */
	SB_STP_NONE,         /* the trade happens: both orders get a fill with the same trade id */
	SB_STP_EXPIRE_TAKER, /* the incoming order's remainder expires (EXPIRED_IN_MATCH) */
	SB_STP_EXPIRE_MAKER, /* the resting order's remainder expires, the incoming one goes on */
	SB_STP_EXPIRE_BOTH,  /* both expire */
	SB_STP_DECREMENT,    /* both are reduced by the would-be match, the smaller expires */
	SB_STP_TRANSFER,     /* as DECREMENT within one account */
	SB_STP__COUNT
};

/* The filters an order can fail, named by sb_filter_name() exactly as Binance names them. The enum order
 * is the order sb_rules_validate() checks them in. */
enum sb_filter {
	SB_FILTER_NONE,
	SB_FILTER_PRICE_FILTER,
	SB_FILTER_PERCENT_PRICE,
	SB_FILTER_PERCENT_PRICE_BY_SIDE,
	SB_FILTER_LOT_SIZE,
	SB_FILTER_MARKET_LOT_SIZE,
	SB_FILTER_MIN_NOTIONAL,
	SB_FILTER_NOTIONAL,
	SB_FILTER_MAX_NUM_ORDERS,
	SB_FILTER__COUNT
};

struct sb_price_filter {
	bool present;     /* the symbol carries this filter */
	sb_dec min_price; /* 0 = no minimum */
	sb_dec max_price; /* 0 = no maximum */
	sb_dec tick_size; /* 0 = no tick check */
};

struct sb_lot_filter {
	bool present;     /* the symbol carries this filter */
	sb_dec min_qty;   /* smallest quantity, inclusive */
	sb_dec max_qty;   /* largest quantity, inclusive; 0 = no maximum */
	sb_dec step_size; /* quantity must be a multiple of it; 0 = no step check */
};

struct sb_percent_filter {
	bool present;           /* the symbol carries this filter */
	sb_dec multiplier_up;   /* price <= ref * up; 0 = no upper bound */
	sb_dec multiplier_down; /* price >= ref * down */
	int64_t avg_price_mins; /* minutes of the average price window (informational) */
};

struct sb_percent_side_filter {
	bool present;               /* the symbol carries this filter */
	sb_dec bid_multiplier_up;   /* BUY: price <= ref * up; 0 = no upper bound */
	sb_dec bid_multiplier_down; /* BUY: price >= ref * down */
	sb_dec ask_multiplier_up;   /* SELL: price <= ref * up; 0 = no upper bound */
	sb_dec ask_multiplier_down; /* SELL: price >= ref * down */
	int64_t avg_price_mins;     /* minutes of the average price window (informational) */
};

struct sb_min_notional_filter {
	bool present;           /* the symbol carries this (older) filter */
	sb_dec min_notional;    /* price * qty >= it */
	bool apply_to_market;   /* MARKET orders are checked too, at the reference price */
	int64_t avg_price_mins; /* minutes of the average price window (informational) */
};

struct sb_notional_filter {
	bool present;             /* the symbol carries this filter */
	sb_dec min_notional;      /* price * qty >= it */
	sb_dec max_notional;      /* price * qty <= it; 0 = no maximum */
	bool apply_min_to_market; /* MARKET orders are checked against the minimum */
	bool apply_max_to_market; /* MARKET orders are checked against the maximum */
	int64_t avg_price_mins;   /* minutes of the average price window (informational) */
};

struct sb_symbol_rules {
	char symbol[SB_SYMBOL_MAX];                 /* "BTCUSDT" */
	enum sb_symbol_status status;               /* TRADING, HALT, ... */
	char base_asset[SB_ASSET_MAX];              /* "BTC" */
	char quote_asset[SB_ASSET_MAX];             /* "USDT" */
	int base_precision;                         /* baseAssetPrecision, 0..8 */
	int quote_precision;                        /* quoteAssetPrecision (or quotePrecision), 0..8 */
	int base_commission_precision;              /* baseCommissionPrecision, 0..8 (8 when absent) */
	int quote_commission_precision;             /* quoteCommissionPrecision, 0..8 (8 when absent) */
	uint32_t order_types;                       /* bit (1u << enum sb_order_type) per allowed type */
	bool quote_order_qty_market;                /* quoteOrderQtyMarketAllowed */
	struct sb_price_filter price;               /* PRICE_FILTER */
	struct sb_lot_filter lot;                   /* LOT_SIZE */
	struct sb_lot_filter market_lot;            /* MARKET_LOT_SIZE */
	struct sb_percent_filter percent;           /* PERCENT_PRICE */
	struct sb_percent_side_filter percent_side; /* PERCENT_PRICE_BY_SIDE */
	struct sb_min_notional_filter min_notional; /* MIN_NOTIONAL */
	struct sb_notional_filter notional;         /* NOTIONAL */
	bool has_max_num_orders;                    /* MAX_NUM_ORDERS is present */
	int64_t max_num_orders;                     /* maxNumOrders */
	enum sb_stp_mode stp_default; /* defaultSelfTradePreventionMode; DEFAULT when absent or unknown */
	uint32_t stp_allowed;         /* bit (1u << mode) per allowedSelfTradePreventionModes entry known */
};

/* An order to check against the rules. */
struct sb_order_spec {
	enum sb_side side;       /* BUY or SELL */
	enum sb_order_type type; /* LIMIT, MARKET or LIMIT_MAKER */
	sb_dec price;            /* limit price (> 0); ignored for MARKET */
	sb_dec quantity;         /* base quantity (> 0), or 0 for a MARKET order by quoteOrderQty */
	sb_dec quote_order_qty;  /* MARKET only: quote amount to spend/receive instead of quantity, else 0 */
	sb_dec ref_price;        /* current average/reference price; 0 = unknown, checks needing it skipped */
	int64_t open_orders;     /* the account's open orders on this symbol before this one */
};

/* "PRICE_FILTER", "LOT_SIZE", ... as Binance spells them; "NONE" for SB_FILTER_NONE; never NULL. */
const char *sb_filter_name(enum sb_filter f);

/* "LIMIT", "MARKET", ...; "UNKNOWN" out of range; never NULL. */
const char *sb_order_type_name(enum sb_order_type t);

/* Binance's name (exactly len bytes) to the enum; SB_ERR_NOT_FOUND for anything else. */
sb_err sb_order_type_parse(const char *s, size_t len, enum sb_order_type *out);

/* "BUY" / "SELL"; never NULL. */
const char *sb_side_name(enum sb_side side);

/* "BUY" or "SELL" (exactly len bytes) to the enum; SB_ERR_NOT_FOUND otherwise. */
sb_err sb_side_parse(const char *s, size_t len, enum sb_side *out);

/* "TRADING", ...; "OTHER" for SB_SYMBOL_OTHER; never NULL. */
const char *sb_symbol_status_name(enum sb_symbol_status s);

/* "NONE", "EXPIRE_TAKER", ...; "DEFAULT" for SB_STP_DEFAULT (never sent); "UNKNOWN" out of range. */
const char *sb_stp_mode_name(enum sb_stp_mode m);

/* Binance's name (exactly len bytes) to the enum; SB_ERR_NOT_FOUND for anything else ("DEFAULT" too). */
sb_err sb_stp_mode_parse(const char *s, size_t len, enum sb_stp_mode *out);

/* True when the symbol's allowedSelfTradePreventionModes lists m (SB_STP_DEFAULT: never). */
bool sb_rules_allows_stp(const struct sb_symbol_rules *r, enum sb_stp_mode m);

/* True when the symbol's orderTypes list allows t. */
bool sb_rules_allows_type(const struct sb_symbol_rules *r, enum sb_order_type t);

/*
 * Checks an order against every filter, in the order of enum sb_filter: PRICE_FILTER, PERCENT_PRICE,
 * PERCENT_PRICE_BY_SIDE, LOT_SIZE, MARKET_LOT_SIZE, MIN_NOTIONAL, NOTIONAL, MAX_NUM_ORDERS; the first
 * that fails is reported. Returns SB_OK with *failed = SB_FILTER_NONE when the order passes, or
 * SB_ERR_FILTER with *failed naming the filter. Other errors leave *failed = SB_FILTER_NONE:
 * SB_ERR_INVALID for a malformed order (no/negative price on a limit order, both or neither of quantity
 * and quoteOrderQty, quoteOrderQty on a non-MARKET order, an unknown type), SB_ERR_UNSUPPORTED when the
 * symbol does not allow the order type or quoteOrderQty on MARKET orders.
 * A MARKET order by quoteOrderQty uses quoteOrderQty as its notional; its quantity for the lot checks
 * is quoteOrderQty / ref_price floored to the step (skipped when the reference price is unknown).
 */
sb_err sb_rules_validate(const struct sb_symbol_rules *r, const struct sb_order_spec *o,
                         enum sb_filter *failed);

/* Price rounded to tickSize: DOWN for BUY, UP for SELL; unchanged when the tick is 0. */
sb_err sb_rules_round_price(const struct sb_symbol_rules *r, enum sb_side side, sb_dec price, sb_dec *out);

/* Quantity floored to LOT_SIZE's step and, for MARKET orders, also to MARKET_LOT_SIZE's non-zero step
 * (to a multiple of both). Negative quantities are SB_ERR_INVALID. */
sb_err sb_rules_round_qty(const struct sb_symbol_rules *r, enum sb_order_type type, sb_dec qty, sb_dec *out);

/* JSON (rules_json.c). What reads a document already parsed is in src/core/rules_json.h. */

/* Parses a whole exchangeInfo document (text of len bytes, at most SB_RULES_DOC_MAX) and extracts the
 * rules of one symbol; errors as sb_rules_from_json and sb_rules_find_symbol, SB_ERR_TOO_LONG for an
 * oversized document. */
#define SB_RULES_DOC_MAX (64u * 1024u * 1024u)
sb_err sb_rules_parse_exchange_info(const char *json, size_t len, const char *name,
                                    struct sb_symbol_rules *out, char *err, size_t errcap);

#endif

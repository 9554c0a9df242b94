/*
 * pairs.h - trade pair settings and the PAIRS syntax.
 *
 *     PAIRS=BTCUSDT:quote=20,profit=0.5%;ETHUSDT:quote=15,profit=0.8%,buy_timeout=60s
 *
 * Pairs are separated by ';', a symbol and its settings by ':', settings by ',' and each is key=value.
 * Spaces around the separators are ignored; an empty pair (a trailing ';') is skipped. Every setting of
 * struct sb_pair_cfg has a key, described by one row of a table (name, type, default, bounds, help) that
 * drives the parser, the formatter, sb_pair_set() for edits at run time, and the reference table in
 * docs/strategy.md (sb_pairs_markdown), so they cannot disagree.
 *
 * Value types: decimals ("20", "15.5"); percentages, which must carry '%' ("0.5%" is 0.005) so that a
 * fraction typed for a percent ("0.5" meaning 0.5% or 50%?) is an error rather than a guess; durations
 * with a unit ("500ms", "60s", "5m", "2h", "1d"; a bare number is an error); integers; booleans
 * (true/false, yes/no, on/off, 1/0); the buy mode (limit|market). A zero percentage or duration may be
 * written "0", and "off" where zero means off.
 *
 * Every error names the pair, the key and what is wrong:
 *     PAIRS: ETHUSDT: buy_timeout: expected a duration like 60s, got '60'
 * Unknown keys, repeated keys and repeated symbols are errors. Pure logic: no I/O, no allocation.
 */
#ifndef SPOTBOT_PAIRS_H
#define SPOTBOT_PAIRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"
#include "spotbot/rules.h"

#define SB_PAIRS_MAX         64  /* trade pairs in one PAIRS value */
#define SB_PAIR_POSITION_MAX 100 /* upper bound of max_positions */
#define SB_PAIRS_ERR_MAX     256 /* a buffer this size holds any error message */

/* How a cycle's buy is placed. */
enum sb_buy_mode {
	SB_BUY_LIMIT,  /* LIMIT at buy_offset below the best bid */
	SB_BUY_MARKET, /* MARKET for the quote amount */
};

/* One trade pair's settings (a row of trade_pairs). Rates are fractions: 0.005 is 0.5%. */
struct sb_pair_cfg {
	char symbol[SB_SYMBOL_MAX]; /* "BTCUSDT" */
	bool enabled;               /* enabled: new cycles are started */
	sb_dec quote;               /* quote: quote amount spent per cycle (required, > 0) */
	int64_t max_positions;      /* max_positions: open positions at once */
	enum sb_buy_mode buy_mode;  /* buy_mode: limit or market */
	sb_dec buy_offset;          /* buy_offset: limit price below the best bid, fraction */
	int64_t buy_timeout_ms;     /* buy_timeout: an unfilled buy is cancelled after it */
	sb_dec profit;              /* profit: target net profit on cost, fraction */
	sb_dec stop_loss;           /* stop_loss: market sell when the bid falls this far below cost; 0 off */
	int64_t max_duration_ms;    /* max_duration: alert when held longer; 0 off */
	bool max_duration_sell;     /* max_duration_sell: also sell at market then */
	int64_t cooldown_ms;        /* cooldown: pause between the pair's cycles */
	int64_t stop_loss_cooldown_ms; /* stop_loss_cooldown: pause after a stop-loss exit */
};

/* A parsed PAIRS value. */
struct sb_pairs {
	size_t n;                              /* pairs in use */
	struct sb_pair_cfg pair[SB_PAIRS_MAX]; /* in the order written */
};

/* Types of the keys. */
enum sb_pair_type {
	SB_PAIR_DECIMAL,  /* sb_dec */
	SB_PAIR_PERCENT,  /* sb_dec fraction, written with % */
	SB_PAIR_DURATION, /* int64_t milliseconds, written with a unit */
	SB_PAIR_INT,      /* int64_t */
	SB_PAIR_BOOL,     /* bool */
	SB_PAIR_BUY_MODE, /* enum sb_buy_mode: limit|market */
};

/* One row of the key table. Bounds are inclusive and in the stored unit (sb_dec raw units for
 * decimals and percentages, milliseconds, counts); zero_off exempts 0 from the lower bound. */
struct sb_pair_key {
	const char *name;       /* the key as written */
	enum sb_pair_type type; /* how the value is parsed and stored */
	size_t offset;          /* offsetof(struct sb_pair_cfg, field) */
	const char *def;        /* default as written; NULL = required */
	int64_t min, max;       /* bounds (not used by BOOL and BUY_MODE) */
	bool zero_off;          /* 0 (or "off") means the feature is off */
	const char *range;      /* the bounds in words, for the docs and errors */
	const char *help;       /* one sentence for the docs */
};

/* The key table, in documentation order; *n receives its length. Static storage. */
const struct sb_pair_key *sb_pair_keys(size_t *n);

/* The row for a key (exactly len bytes), or NULL. */
const struct sb_pair_key *sb_pair_key_find(const char *name, size_t len);

/* Fills p with the defaults and the symbol (copied; SB_ERR_INVALID when empty, too long or not made of
 * A-Z, 0-9 and UTF-8 bytes). quote is 0 (unset) until set. */
sb_err sb_pair_init(struct sb_pair_cfg *p, const char *symbol, size_t len);

/*
 * Sets one key from its text (exactly klen and vlen bytes), as in the PAIRS syntax; used for edits at run
 * time ("profit=0.8%"). On error p is unchanged and err (errcap bytes; may be NULL) receives
 * "<key>: <what is wrong>" (SB_ERR_NOT_FOUND unknown key, SB_ERR_PARSE malformed value, SB_ERR_RANGE out
 * of bounds, SB_ERR_SUSPICIOUS an implausible profit target).
 */
sb_err sb_pair_set(struct sb_pair_cfg *p, const char *key, size_t klen, const char *val, size_t vlen,
                   char *err, size_t errcap);

/* Checks what single keys cannot: a required key is set (quote > 0). SB_ERR_CONFIG with
 * "<key>: required" in err. */
sb_err sb_pair_validate(const struct sb_pair_cfg *p, char *err, size_t errcap);

/*
 * Parses a PAIRS value (len bytes, need not be NUL-terminated) into out. Stops at the first error with
 * SB_ERR_CONFIG and "PAIRS: SYMBOL: key: what is wrong" in err (errcap bytes; SB_PAIRS_ERR_MAX
 * suffices). An empty value gives no pairs. On error out->n is 0.
 */
sb_err sb_pairs_parse(const char *s, size_t len, struct sb_pairs *out, char *err, size_t errcap);

/* The pair named symbol (exactly len bytes), or NULL. */
const struct sb_pair_cfg *sb_pairs_find(const struct sb_pairs *ps, const char *symbol, size_t len);

/*
 * Writes one pair back in the PAIRS syntax ("BTCUSDT:quote=20,profit=0.5%") into buf (cap bytes) and its
 * length into *len (may be NULL): every key when all is true, else quote and the keys that differ from
 * their defaults. Parsing the result gives back the same settings. SB_ERR_TOO_LONG when cap is too small
 * (buf then holds "" when cap > 0).
 */
sb_err sb_pair_format(const struct sb_pair_cfg *p, bool all, char *buf, size_t cap, size_t *len);

/* All pairs, joined by ';'. Errors as sb_pair_format. */
sb_err sb_pairs_format(const struct sb_pairs *ps, bool all, char *buf, size_t cap, size_t *len);

/* Formats one key's value of p as the syntax writes it ("0.5%", "60s", "limit") into buf. */
sb_err sb_pair_format_value(const struct sb_pair_cfg *p, const struct sb_pair_key *k, char *buf, size_t cap);

/* Writes the Markdown reference table of the keys (docs/strategy.md contains it verbatim) into buf
 * (cap bytes). Returns the length it needs, like snprintf: the output is complete when that is < cap. */
size_t sb_pairs_markdown(char *buf, size_t cap);

/* "limit" / "market"; never NULL. */
const char *sb_buy_mode_name(enum sb_buy_mode m);

#endif

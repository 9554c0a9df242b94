/*
 * coid.h - deterministic client order ids: the bot's name for each order it sends.
 *
 * An id is built from what the order is for, never from a clock or a random number:
 *
 *     sb-<tag>-<position id>-<leg><attempt>[.<epoch>]   e.g. "sb-main-42-b0", "sb-main-42-s1.2"
 *
 * where tag names the bot instance (1..8 of [a-z0-9]), the position id is the store's positive integer
 * id in decimal, leg is b (buy), s (limit sell) or x (market exit: stop-loss, max duration, manual sell)
 * and attempt counts re-placements of the same leg (0..999). Retrying the same intent therefore
 * reuses the same id: Binance refuses a second open order with a clientOrderId in use, and a query by
 * the id finds the first. A new attempt number is only taken once the previous attempt has definitely
 * ended (REJECTED, NEVER_SENT, or cancelled to be replaced).
 *
 * The epoch (system_state key coid_epoch) counts the restores of the database: `spotbot restore` sets it
 * above both the replaced database's and the backup's, because a restored database hands out again the
 * position ids and attempts it had handed out after the backup was taken, and the exchange has seen
 * those ids. Epoch 0, a database never restored, writes no suffix: the ids of older releases are the
 * ids of epoch 0 and still parse.
 *
 * Without an epoch the longest id is 2 + 1 + 8 + 1 + 19 + 1 + 1 + 3 = 36 characters, Binance's limit;
 * an epoch's suffix takes up to 7 more, so with one the position id may have up to 12 digits (a larger
 * id gives SB_ERR_TOO_LONG). Every character is within ^[.A-Z:/a-z0-9_-]{1,36}$. Only canonical ids parse (no
 * leading zeros, no upper case in the tag), so format and parse are exact inverses. At reconciliation, an
 * open order whose id starts with "sb-<tag>-" is this instance's, and sb_coid_parse says which position and
 * leg it is.
 */
#ifndef SPOTBOT_COID_H
#define SPOTBOT_COID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"

#define SB_COID_MAX         36     /* Binance's limit on newClientOrderId */
#define SB_COID_SIZE        37     /* bytes for an id with its NUL */
#define SB_COID_TAG_MAX     8      /* characters of the instance tag */
#define SB_COID_ATTEMPT_MAX 999    /* highest attempt number */
#define SB_COID_EPOCH_MAX   999999 /* highest restore epoch */

/* Which order of a position the id names. */
enum sb_coid_leg {
	SB_COID_BUY,  /* 'b': the buy that opens the position */
	SB_COID_SELL, /* 's': the limit sell at the target price */
	SB_COID_EXIT, /* 'x': a market sell (stop-loss, max duration, manual) */
	SB_COID_LEG__COUNT
};

/* A parsed id. */
struct sb_coid {
	char tag[SB_COID_TAG_MAX + 1]; /* instance tag, NUL-terminated */
	int64_t position_id;           /* > 0 */
	enum sb_coid_leg leg;          /* buy, sell or exit */
	unsigned attempt;              /* 0..SB_COID_ATTEMPT_MAX */
	unsigned epoch;                /* 0..SB_COID_EPOCH_MAX; 0 = no suffix */
};

/* SB_OK when tag is 1..8 characters of [a-z0-9]; SB_ERR_INVALID otherwise (NULL included). */
sb_err sb_coid_check_tag(const char *tag);

/*
 * Writes the id for (tag, position_id, leg, attempt) into buf (cap bytes; SB_COID_SIZE always suffices)
 * and, when len is not NULL, its length. SB_ERR_INVALID for a bad tag, a position id <= 0, an unknown
 * leg or an attempt above SB_COID_ATTEMPT_MAX; SB_ERR_TOO_LONG when cap is too small (buf then holds ""
 * when cap > 0).
 */
sb_err sb_coid_format(const char *tag, int64_t position_id, enum sb_coid_leg leg, unsigned attempt, char *buf,
                      size_t cap, size_t *len);

/* sb_coid_format() in a restore epoch (0..SB_COID_EPOCH_MAX; above it SB_ERR_INVALID). SB_ERR_TOO_LONG
 * also when the id would exceed SB_COID_MAX characters. */
sb_err sb_coid_format_epoch(const char *tag, unsigned epoch, int64_t position_id, enum sb_coid_leg leg,
                            unsigned attempt, char *buf, size_t cap, size_t *len);

/*
 * Parses an id (exactly len bytes). SB_ERR_NOT_FOUND when it is not a spotbot id at all (no "sb-"
 * prefix: an order placed by hand or by another program); SB_ERR_PARSE when it starts like one but is
 * not canonical. On error *out is zeroed.
 */
sb_err sb_coid_parse(const char *s, size_t len, struct sb_coid *out);

/* True when s (len bytes) is a canonical id of the instance tag. */
bool sb_coid_is_ours(const char *s, size_t len, const char *tag);

/* True when s (len bytes) is acceptable to Binance as a clientOrderId: 1..36 of [.A-Z:/a-z0-9_-]. */
bool sb_coid_valid_charset(const char *s, size_t len);

/* 'b', 's', 'x'; '?' out of range. */
char sb_coid_leg_char(enum sb_coid_leg leg);

#endif

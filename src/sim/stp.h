/*
 * stp.h - the vocabulary of Binance's self-trade prevention (STP) in spotsim: the modes, their wire
 * names, and a symbol's STP configuration (defaultSelfTradePreventionMode and
 * allowedSelfTradePreventionModes) as an exchangeInfo symbol object states it. What the modes do to
 * two orders of one account that would match is the matching engine's business (sim/book.h).
 */
#ifndef SIM_STP_H
#define SIM_STP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/error.h"

struct cJSON;

/* selfTradePreventionMode. The taker's mode decides; spotsim has no trade groups, so TRANSFER (which
 * only differs between accounts of one trade group) behaves as DECREMENT. */
enum sim_stp_mode {
	SIM_STP_NONE,         /* the self-trade executes */
	SIM_STP_EXPIRE_TAKER, /* the incoming order's remaining quantity expires */
	SIM_STP_EXPIRE_MAKER, /* the resting order's remaining quantity expires */
	SIM_STP_EXPIRE_BOTH,  /* both expire */
	SIM_STP_DECREMENT,    /* both lose the would-be match quantity; the smaller (or both) expires */
	SIM_STP_TRANSFER,     /* as DECREMENT within one account */
	SIM_STP_COUNT,        /* number of modes */
};

/* One symbol's STP settings. */
struct sim_stp_config {
	enum sim_stp_mode def; /* mode of an order that names none */
	uint32_t allowed;      /* bit (1u << mode) per mode an order may name */
};

/* The wire name of a mode ("EXPIRE_MAKER"). */
const char *sim_stp_name(enum sim_stp_mode mode);

/* Parses a wire name (len bytes, case-sensitive); SB_ERR_INVALID for anything else. */
sb_err sim_stp_parse(const char *s, size_t len, enum sim_stp_mode *out);

/* Whether an order on a symbol with cfg may name mode. The default mode is always accepted. */
bool sim_stp_allowed(const struct sim_stp_config *cfg, enum sim_stp_mode mode);

/*
 * Reads a symbol's STP settings from its exchangeInfo object. A symbol without
 * defaultSelfTradePreventionMode predates STP: NONE. Without allowedSelfTradePreventionModes only the
 * default is allowed. SB_ERR_PARSE for a field of the wrong type or an unknown mode, with msg naming it.
 */
sb_err sim_stp_from_info(const struct cJSON *info, struct sim_stp_config *out, char *msg, size_t cap);

#endif

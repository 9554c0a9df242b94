/*
 * userstreams_int.h - the parts of sim/userstreams.c that tests drive directly: the clock it reads and
 * the listenKey expiry check its timer runs.
 */
#ifndef SIM_USERSTREAMS_INT_H
#define SIM_USERSTREAMS_INT_H

#include <stdint.h>

#include "sim/userstreams.h"

/* Replaces the clock (default: sim_exchange_now of the exchange) with now(ctx), in ms. */
void sim_userstreams_set_clock(struct sim_userstreams *us, int64_t (*now)(void *ctx), void *ctx);

/* Ends every listenKey whose validity has run out (listenKeyExpired, then its streams close). The
 * timer calls it every second. */
void sim_userstreams_check_expiry(struct sim_userstreams *us);

#endif

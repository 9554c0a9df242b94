/*
 * sbtest_exchange.h - spotsim's exchange built in the test's process from a command line, without
 * sockets: for unit tests of what sim_exchange_new sets up (symbols, feeds, the state file) and of
 * what the feeds and the ledger then do.
 */
#ifndef SBTEST_EXCHANGE_H
#define SBTEST_EXCHANGE_H

#include <stddef.h>
#include <uv.h>

#include "sim/exchange.h"

/*
 * Parses args (spotsim's flags, NULL-terminated) and builds the exchange on loop with hooks (may be
 * NULL). Returns it (free with sbt_exchange_free), or NULL with what spotsim wrote on its error stream in
 * err (cap bytes). A malformed command line fails the test.
 */
struct sim_exchange *sbt_exchange_new(uv_loop_t *loop, const char *const *args,
                                      const struct sim_exchange_hooks *hooks, char *err, size_t cap);

/* Stops the exchange's timer, lets the loop close it, frees the exchange. */
void sbt_exchange_free(uv_loop_t *loop, struct sim_exchange *ex);

/* Rests a LIMIT GTC order of account 0 (the first --account) on symbol, settled as the API would;
 * returns its orderId. */
uint64_t sbt_exchange_limit(struct sim_exchange *ex, const char *symbol, enum sb_side side, const char *price,
                            const char *qty, const char *client_id);

#endif

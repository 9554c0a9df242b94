/*
 * md.h - one symbol's public market data: recent trades (also as aggregate trades), klines of every
 * interval, the rolling 24-hour ticker, and the JSON that REST and the streams serve from them.
 */
#ifndef SIM_MD_H
#define SIM_MD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

struct sim_md;

/* Creates an empty store for symbol (upper case). Owned by the caller: sim_md_free. */
sb_err sim_md_new(const char *symbol, struct sim_md **out);
/* NULL is fine. */
void sim_md_free(struct sim_md *md);

/* Records a public trade (a feed trade or a user fill), in trade-id order. */
void sim_md_trade(struct sim_md *md, int64_t trade_id, sb_dec price, sb_dec qty, bool buyer_is_maker,
                  int64_t time_ms);

#endif

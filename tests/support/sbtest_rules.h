/*
 * sbtest_rules.h - a symbol's exchange rules and a pair's settings for tests, built with the real types and
 * parsers; a setting the parser refuses fails the running test.
 */
#ifndef SBTEST_RULES_H
#define SBTEST_RULES_H

#include "spotbot/pairs.h"
#include "spotbot/rules.h"

/* BTCUSDT: tick 0.01, step 0.00001, NOTIONAL minimum 5 (also for MARKET), LIMIT and MARKET orders,
 * quoteOrderQty allowed, no self-trade prevention mode allowed. */
struct sb_symbol_rules sbt_rules_btcusdt(void);

/* The first pair of a PAIRS value ("BTCUSDT:quote=20,profit=0.5%"). */
struct sb_pair_cfg sbt_pair(const char *settings);

#endif

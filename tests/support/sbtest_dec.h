/*
 * sbtest_dec.h - money literals for tests: decimals and fills written as text, parsed with the real
 * parser; a malformed literal fails the running test.
 */
#ifndef SBTEST_DEC_H
#define SBTEST_DEC_H

#include <stdint.h>

#include "spotbot/decimal.h"
#include "spotbot/profit.h"

/* The decimal s ("0.00001"); fails the test when s is not one. */
sb_dec sbt_dec(const char *s);

/* A fill: price, quantity, quote amount and commission as decimal text, the commission's asset, the
 * trade id. */
struct sb_fill sbt_fill(const char *price, const char *qty, const char *quote, const char *comm,
                        const char *asset, int64_t id);

/* The short names the tests use. */
#define D(s)                                     sbt_dec(s)
#define fill(price, qty, quote, comm, asset, id) sbt_fill(price, qty, quote, comm, asset, id)

#endif

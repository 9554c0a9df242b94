/*
 * soak_check.h - the soak's invariant checker: the exchange's own records of the account (its orders and
 * balances, as plain structs) and the path of spotbot's database in, a count of checks made and a list of
 * violations out. It opens the database read-only and never asks the daemon anything, so any harness that
 * can fetch the exchange's records may share it.
 */
#ifndef SOAK_CHECK_H
#define SOAK_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/decimal.h"

#define SOAK_SYMBOL_MAX     16  /* bytes of a symbol with its NUL */
#define SOAK_ASSET_MAX      12  /* bytes of an asset with its NUL */
#define SOAK_COID_MAX       64  /* bytes of a clientOrderId with its NUL (as the store keeps it) */
#define SOAK_VIOLATIONS_MAX 64  /* violations kept; more are counted only */
#define SOAK_VIOLATION_LEN  320 /* bytes of one violation's text */

/* One order of the account as the exchange lists it (allOrders). */
struct soak_xorder {
	char symbol[SOAK_SYMBOL_MAX]; /* "BTCUSDT" */
	char coid[SOAK_COID_MAX];     /* clientOrderId */
	int64_t order_id;             /* orderId */
	char status[24];              /* "NEW", "FILLED", ... */
	bool buy;                     /* side BUY */
	sb_dec executed_qty;          /* executedQty */
	int64_t time_ms;              /* creation time on the exchange's clock */
};

/* What the account holds of one asset (free + locked). */
struct soak_asset {
	char asset[SOAK_ASSET_MAX]; /* "USDT" */
	sb_dec total;               /* free + locked */
};

/* A time in which no buy may reach the exchange: the bot paused, or one pair disabled. */
struct soak_window {
	char symbol[SOAK_SYMBOL_MAX]; /* "" for the global pause */
	int64_t from_ms;              /* exchange time after the pause command returned */
	int64_t to_ms;                /* exchange time before the resume command was sent; 0 = still on */
};

/* A pair's configured limit. */
struct soak_limit {
	char symbol[SOAK_SYMBOL_MAX]; /* "BTCUSDT" */
	int max_positions;            /* the highest max_positions the pair had during the run */
};

/* Everything the checker compares the database with. */
struct soak_records {
	const struct soak_xorder *orders;  /* every order of the account on the exchange */
	size_t norders;                    /* entries of orders */
	const struct soak_asset *start;    /* holdings before the bot's first order */
	size_t nstart;                     /* entries of start */
	const struct soak_asset *now;      /* holdings now */
	size_t nnow;                       /* entries of now */
	const struct soak_window *windows; /* paused and disabled times */
	size_t nwindows;                   /* entries of windows */
	int64_t window_margin_ms;          /* allowance at a window's start, see soak_check.c */
	const struct soak_limit *limits;   /* per pair */
	size_t nlimits;                    /* entries of limits */
	sb_dec max_exposure;               /* MAX_EXPOSURE; 0 = none */
	bool settled;                      /* faults have stopped: nothing may be in a transitional state */
};

/* The outcome of one check. */
struct soak_violations {
	size_t checks;                                      /* invariant checks made */
	size_t n;                                           /* violations found */
	char what[SOAK_VIOLATIONS_MAX][SOAK_VIOLATION_LEN]; /* the first of them, described */
};

/* Checks every invariant of the records against the database at db_path (opened read-only) into out
 * (zeroed first). Returns false when the database cannot be read (a violation saying so is added). */
bool soak_check(const struct soak_records *x, const char *db_path, struct soak_violations *out);

#endif

/*
 * bt_grid.h - the grid of a parameter sweep: `--set profit=0.2%,0.3%,0.5% --set stop_loss=0,2%` gives
 * every combination of the values (here 3 x 2 = 6 points), each a PAIRS value for one backtest.
 *
 * A --set names one PAIRS setting as `spotbot pairs set` and the PAIRS syntax name it (pairs.h), then its
 * values separated by commas; it applies to every pair of the configuration, or with a SYMBOL: prefix
 * (`--set LINKUSDT:profit=0.2%,0.3%`) to that pair only. Each value goes through the pairs module's own
 * parser (sb_pair_set) as it is added, so a key or value that is wrong is refused before anything runs,
 * with the parser's message; values are kept in the form the formatter writes ("0" for stop_loss is
 * "off"), and one written twice is refused.
 *
 * Points are numbered in grid order: the first --set varies slowest, the last fastest, as nested loops in
 * the order the options were written. A grid has at most SB_BT_GRID_MAX points.
 */
#ifndef BACKTEST_BT_GRID_H
#define BACKTEST_BT_GRID_H

#include <stddef.h>

#include "spotbot/error.h"
#include "spotbot/pairs.h"

#define SB_BT_GRID_MAX       1000 /* points of one sweep */
#define SB_BT_GRID_AXES_MAX  16   /* --set options of one sweep */
#define SB_BT_GRID_VALUE_MAX 32   /* bytes of one value as the formatter writes it, with its NUL */
#define SB_BT_GRID_NAME_MAX  (SB_SYMBOL_MAX + 32)     /* bytes of an axis name ("LINKUSDT:profit") */
#define SB_BT_GRID_ERR_MAX   (SB_PAIRS_ERR_MAX + 128) /* a buffer this size holds any error message */

/* One --set: a setting of every pair (or of one) and the values it takes. */
struct sb_bt_axis {
	char name[SB_BT_GRID_NAME_MAX];       /* as shown: "profit" or "LINKUSDT:profit" */
	char symbol[SB_SYMBOL_MAX];           /* the one pair it sets; "" for every pair */
	const struct sb_pair_key *key;        /* the setting (the pairs module's key table) */
	char (*values)[SB_BT_GRID_VALUE_MAX]; /* its values in the order given (owned) */
	size_t nvalues;                       /* entries of values, at least 1 */
};

/* The base PAIRS and the axes over it. */
struct sb_bt_grid {
	struct sb_pairs base;                        /* PAIRS of the configuration */
	struct sb_bt_axis axes[SB_BT_GRID_AXES_MAX]; /* in the order the options were written */
	size_t naxes;                                /* entries of axes */
	size_t npoints;                              /* product of the axes' values (1 with none) */
};

/*
 * Starts a grid over the PAIRS value pairs (NUL-terminated). SB_ERR_CONFIG with the pairs parser's message
 * in err (cap bytes) when PAIRS does not parse. The grid is the caller's (sb_bt_grid_fini), also on error.
 */
sb_err sb_bt_grid_init(struct sb_bt_grid *g, const char *pairs, char *err, size_t cap);

/*
 * Adds one --set argument, "[SYMBOL:]key=value,value...". On error the grid is unchanged and err (cap
 * bytes; SB_BT_GRID_ERR_MAX suffices) says what is wrong, naming the key or value: SB_ERR_PARSE for a
 * malformed argument or value, SB_ERR_NOT_FOUND for an unknown key or a symbol not in PAIRS, SB_ERR_RANGE
 * for a value out of bounds, SB_ERR_EXISTS for a setting or value given twice, SB_ERR_TOO_LONG when the
 * grid would pass SB_BT_GRID_MAX points or SB_BT_GRID_AXES_MAX axes.
 */
sb_err sb_bt_grid_add(struct sb_bt_grid *g, const char *arg, char *err, size_t cap);

/* The value axis a takes at point (0 <= point < npoints); static storage of the grid. */
const char *sb_bt_grid_value(const struct sb_bt_grid *g, size_t point, size_t a);

/*
 * The PAIRS value of point: the base with each axis' value set on its pairs, in the PAIRS syntax (quote
 * and the settings that differ from their defaults). *out is the caller's (free). On error (a value the
 * parser refuses on a pair, which the checks of sb_bt_grid_add rule out today) err says which.
 */
sb_err sb_bt_grid_pairs(const struct sb_bt_grid *g, size_t point, char **out, char *err, size_t cap);

/* Frees what the grid owns; harmless on a zeroed grid. */
void sb_bt_grid_fini(struct sb_bt_grid *g);

#endif

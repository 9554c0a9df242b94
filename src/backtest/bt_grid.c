/*
 * bt_grid.c - a sweep's grid (bt_grid.h): --set arguments checked with the pairs module's parser and
 * formatter, points in grid order, each point's PAIRS value.
 */
#include "backtest/bt_grid.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

#define PAIR_TEXT_MAX 1024 /* bytes one pair takes in the PAIRS syntax, every key written */

__attribute__((format(printf, 3, 4))) static sb_err fail(char *err, size_t cap, const char *fmt, ...)
{
	if (err && cap) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, cap, fmt, ap);
		va_end(ap);
	}
	return SB_ERR_PARSE;
}

/* A slice of the argument without the spaces around it. */
struct part {
	const char *p; /* start */
	size_t n;      /* length */
};

static struct part trim(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return (struct part){p, n};
}

sb_err sb_bt_grid_init(struct sb_bt_grid *g, const char *pairs, char *err, size_t cap)
{
	memset(g, 0, sizeof *g);
	g->npoints = 1;
	if (!pairs)
		return SB_ERR_INVALID;
	return sb_pairs_parse(pairs, strlen(pairs), &g->base, err, cap);
}

void sb_bt_grid_fini(struct sb_bt_grid *g)
{
	for (size_t a = 0; a < g->naxes; a++) {
		free(g->axes[a].values);
		g->axes[a].values = NULL;
	}
	g->naxes = 0;
}

/* "enabled, quote, ..." into buf: the keys a --set may name. */
static void key_names(char *buf, size_t cap)
{
	size_t n, used = 0;
	const struct sb_pair_key *keys = sb_pair_keys(&n);
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", keys[i].name);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* The symbol of "SYMBOL:key" into ax->symbol, ASCII letters upper-cased as every command takes symbols. */
static void axis_symbol(struct part sym, struct sb_bt_axis *ax)
{
	size_t n = sym.n < sizeof ax->symbol - 1 ? sym.n : sizeof ax->symbol - 1;
	for (size_t i = 0; i < n; i++)
		ax->symbol[i] = sym.p[i] >= 'a' && sym.p[i] <= 'z' ? (char)(sym.p[i] - 'a' + 'A') : sym.p[i];
	ax->symbol[n] = '\0';
}

/* The axis' key and symbol from the text before '=': checks the key, the symbol and repeats. */
static sb_err axis_head(const struct sb_bt_grid *g, struct part head, struct sb_bt_axis *ax, char *err,
                        size_t cap)
{
	const char *colon = memchr(head.p, ':', head.n);
	struct part key = head;
	if (colon) {
		axis_symbol(trim(head.p, (size_t)(colon - head.p)), ax);
		key = trim(colon + 1, head.n - (size_t)(colon - head.p) - 1);
	}
	snprintf(ax->name, sizeof ax->name, "%.60s%s%.*s", ax->symbol, colon ? ":" : "",
	         (int)(key.n < 30 ? key.n : 30), key.p);
	ax->key = sb_pair_key_find(key.p, key.n);
	if (!ax->key) {
		char names[256];
		key_names(names, sizeof names);
		fail(err, cap, "--set %s: unknown key (a PAIRS setting: %s)", ax->name, names);
		return SB_ERR_NOT_FOUND;
	}
	if (colon && !ax->symbol[0])
		return fail(err, cap, "--set %s: expected a symbol before ':'", ax->name);
	if (colon && !sb_pairs_find(&g->base, ax->symbol, strlen(ax->symbol))) {
		fail(err, cap, "--set %s: %.60s is not in PAIRS", ax->name, ax->symbol);
		return SB_ERR_NOT_FOUND;
	}
	for (size_t a = 0; a < g->naxes; a++) {
		const struct sb_bt_axis *o = &g->axes[a];
		if (o->key != ax->key ||
		    (o->symbol[0] && ax->symbol[0] && strcmp(o->symbol, ax->symbol) != 0))
			continue;
		fail(err, cap, "--set %s: %s is already swept by --set %s", ax->name, ax->key->name, o->name);
		return SB_ERR_EXISTS;
	}
	return SB_OK;
}

/* Checks one value with the pairs parser on a pair of the grid and stores it as the formatter writes it. */
static sb_err axis_value(const struct sb_bt_grid *g, struct sb_bt_axis *ax, struct part v, char *err,
                         size_t cap)
{
	char msg[SB_PAIRS_ERR_MAX];
	if (v.n == 0)
		return fail(err, cap, "--set %s: an empty value (two commas, or a comma at the end?)",
		            ax->name);
	const struct sb_pair_cfg *base =
	    ax->symbol[0] ? sb_pairs_find(&g->base, ax->symbol, strlen(ax->symbol)) : &g->base.pair[0];
	struct sb_pair_cfg scratch = *base;
	sb_err e = sb_pair_set(&scratch, ax->key->name, strlen(ax->key->name), v.p, v.n, msg, sizeof msg);
	if (e != SB_OK) {
		fail(err, cap, "--set %s%s%s", ax->symbol, ax->symbol[0] ? ":" : "", msg);
		return e == SB_ERR_SUSPICIOUS ? SB_ERR_RANGE : e;
	}
	char *out = ax->values[ax->nvalues];
	if (sb_pair_format_value(&scratch, ax->key, out, SB_BT_GRID_VALUE_MAX) != SB_OK)
		return fail(err, cap, "--set %s: '%.*s' is too long", ax->name, (int)(v.n < 40 ? v.n : 40),
		            v.p);
	for (size_t i = 0; i < ax->nvalues; i++)
		if (strcmp(ax->values[i], out) == 0) {
			fail(err, cap, "--set %s: %s is given twice", ax->name, out);
			return SB_ERR_EXISTS;
		}
	ax->nvalues++;
	return SB_OK;
}

/* The values after '=' into ax (allocated here; freed by the caller on error). */
static sb_err axis_values(const struct sb_bt_grid *g, struct sb_bt_axis *ax, const char *list, char *err,
                          size_t cap)
{
	size_t n = 1;
	for (const char *c = list; *c; c++)
		n += *c == ',';
	if (n > SB_BT_GRID_MAX || g->npoints * n > SB_BT_GRID_MAX) {
		fail(err, cap, "--set %s: the grid would have %zu points, more than %d", ax->name,
		     g->npoints * n, SB_BT_GRID_MAX);
		return SB_ERR_TOO_LONG;
	}
	ax->values = sb_xcalloc(n, sizeof *ax->values);
	for (const char *p = list;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		SB_TRY(axis_value(g, ax, trim(p, len), err, cap));
		if (!end)
			return SB_OK;
		p = end + 1;
	}
}

sb_err sb_bt_grid_add(struct sb_bt_grid *g, const char *arg, char *err, size_t cap)
{
	if (!g || !arg)
		return SB_ERR_INVALID;
	const char *eq = strchr(arg, '=');
	struct part head = trim(arg, eq ? (size_t)(eq - arg) : 0);
	if (!eq || head.n == 0)
		return fail(err, cap,
		            "--set '%.60s': expected [SYMBOL:]key=value,value... (like profit=0.2%%,0.3%%)",
		            arg);
	if (g->base.n == 0)
		return fail(err, cap, "--set %.60s: PAIRS is empty, there is no pair to set", arg);
	if (g->naxes == SB_BT_GRID_AXES_MAX) {
		fail(err, cap, "--set %.60s: more than %d --set options", arg, SB_BT_GRID_AXES_MAX);
		return SB_ERR_TOO_LONG;
	}
	struct sb_bt_axis ax = {0};
	sb_err e = axis_head(g, head, &ax, err, cap);
	if (e == SB_OK)
		e = axis_values(g, &ax, eq + 1, err, cap);
	if (e != SB_OK) {
		free(ax.values);
		return e;
	}
	g->axes[g->naxes++] = ax;
	g->npoints *= ax.nvalues;
	return SB_OK;
}

const char *sb_bt_grid_value(const struct sb_bt_grid *g, size_t point, size_t a)
{
	size_t stride = 1;
	for (size_t b = a + 1; b < g->naxes; b++)
		stride *= g->axes[b].nvalues;
	return g->axes[a].values[point / stride % g->axes[a].nvalues];
}

sb_err sb_bt_grid_pairs(const struct sb_bt_grid *g, size_t point, char **out, char *err, size_t cap)
{
	char msg[SB_PAIRS_ERR_MAX];
	*out = NULL;
	if (point >= g->npoints)
		return SB_ERR_INVALID;
	struct sb_pairs *ps = sb_xmalloc(sizeof *ps);
	*ps = g->base;
	sb_err e = SB_OK;
	for (size_t a = 0; a < g->naxes && e == SB_OK; a++) {
		const struct sb_bt_axis *ax = &g->axes[a];
		const char *v = sb_bt_grid_value(g, point, a);
		for (size_t i = 0; i < ps->n && e == SB_OK; i++) {
			if (ax->symbol[0] && strcmp(ax->symbol, ps->pair[i].symbol) != 0)
				continue;
			e = sb_pair_set(&ps->pair[i], ax->key->name, strlen(ax->key->name), v, strlen(v), msg,
			                sizeof msg);
			if (e != SB_OK)
				fail(err, cap, "PAIRS: %s: %s", ps->pair[i].symbol, msg);
		}
	}
	if (e == SB_OK) {
		size_t size = ps->n * PAIR_TEXT_MAX + 1;
		*out = sb_xmalloc(size);
		e = sb_pairs_format(ps, false, *out, size, NULL);
		if (e != SB_OK) {
			fail(err, cap, "PAIRS: the point's settings do not fit in %zu bytes", size);
			free(*out);
			*out = NULL;
		}
	}
	free(ps);
	return e;
}

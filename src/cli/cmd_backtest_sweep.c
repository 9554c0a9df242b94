/*
 * cmd_backtest_sweep.c - `spotbot backtest --set ...`: a parameter sweep. The --set, --rank and --jobs
 * options, the grid built on the configuration's PAIRS (backtest/bt_grid.h), its runs in processes of
 * their own (backtest/bt_sweep.h), then the runs ranked by the measure (backtest/bt_rank.h) as a table, one
 * row per run, or as one JSON object.
 *
 * Exit codes: 0 every run done; 1 a run failed or was refused (the others are still ranked and printed),
 * or the sweep was interrupted (nothing is printed then); 2 bad arguments, configuration or data, found
 * before anything ran, or when every run was refused or failed on bad input.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backtest/bt_grid.h"
#include "backtest/bt_rank.h"
#include "backtest/bt_sweep.h"
#include "cli/cli.h"
#include "cli/read.h"
#include "cli/sweep.h"
#include "cli/table.h"
#include "common/parse.h"
#include "spotbot/alloc.h"

bool sb_cmd_backtest_sweep_opt(const char *opt, const char *v, struct sb_cmd_sweep_args *s, char *err,
                               size_t cap)
{
	if (strcmp(opt, "--set") == 0) {
		if (s->nsets == SB_BT_GRID_AXES_MAX) {
			snprintf(err, cap, "more than %d --set options", SB_BT_GRID_AXES_MAX);
			return false;
		}
		s->sets[s->nsets++] = v;
		return true;
	}
	if (strcmp(opt, "--rank") == 0) {
		s->rank = sb_bt_measure_find(v);
		if (!s->rank) {
			size_t n, used = 0;
			const struct sb_bt_measure *m = sb_bt_measures(&n);
			used = (size_t)snprintf(err, cap, "--rank '%.40s': expected one of", v);
			for (size_t i = 0; i < n && used < cap; i++)
				used += (size_t)snprintf(err + used, cap - used, "%s %s", i ? "," : "",
				                         m[i].name);
			return false;
		}
		return true;
	}
	int64_t jobs;
	if (!sb_parse_i64_str(v, 1, SB_BT_SWEEP_JOBS_MAX, &jobs)) {
		snprintf(err, cap, "--jobs '%.40s': expected a whole number from 1 to %d", v,
		         SB_BT_SWEEP_JOBS_MAX);
		return false;
	}
	s->jobs = (unsigned)jobs;
	return true;
}

void sb_cmd_backtest_sweep_help(FILE *f)
{
	size_t n;
	const struct sb_bt_measure *m = sb_bt_measures(&n);
	fputs("measures for --rank, and which is better (the best run first; equal runs in grid order):\n",
	      f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-16s %-7s %s\n", m[i].name, m[i].higher ? "higher" : "lower", m[i].help);
}

/* ---- the table ---------------------------------------------------------------------------------------- */

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* One run's row: its rank, settings and the figures of its total. */
static void row(struct sb_table *t, size_t rank, const char *settings, const cJSON *report)
{
	char b[SB_DEC_STRLEN], d[SB_TABLE_DUR_SIZE];
	size_t n;
	const struct sb_bt_measure *m = sb_bt_measures(&n);
	sb_table_row(t);
	sb_table_cellf(t, SB_TABLE_PLAIN, "%zu", rank);
	sb_table_cell(t, settings, SB_TABLE_PLAIN);
	for (size_t i = 0; i < n; i++) {
		int64_t v = sb_bt_measure_value(&m[i], report);
		if (m[i].unit == SB_BT_MEASURE_COUNT)
			sb_table_cellf(t, SB_TABLE_PLAIN, "%" PRId64, v);
		else if (m[i].unit == SB_BT_MEASURE_MS)
			sb_table_cell(t, sb_table_duration(v, d, sizeof d), SB_TABLE_PLAIN);
		else
			sb_table_cell(t, sb_table_dec(v, b, sizeof b),
			              m[i].higher ? sb_table_sign_color(v) : SB_TABLE_PLAIN);
	}
}

static void print_table(const struct sb_bt_sweep *sw, const struct sb_bt_grid *g,
                        const struct sb_bt_measure *m, FILE *f)
{
	size_t nm;
	const struct sb_bt_measure *ms = sb_bt_measures(&nm);
	const char *heads[SB_TABLE_COLS_MAX] = {"RANK", "SETTINGS"};
	enum sb_table_align al[SB_TABLE_COLS_MAX] = {SB_TABLE_RIGHT, SB_TABLE_LEFT};
	for (size_t i = 0; i < nm && i + 2 < SB_TABLE_COLS_MAX; i++) {
		heads[i + 2] = ms[i].head;
		al[i + 2] = SB_TABLE_RIGHT;
	}
	size_t *order = sb_xcalloc(sw->npoints, sizeof *order);
	size_t n = sb_bt_rank(sw, m, order);
	fprintf(f, "sweep of %zu runs ranked by %s (%s is better)\n", sw->npoints, m->name,
	        m->higher ? "higher" : "lower");
	if (n > 0) {
		const cJSON *r = sw->points[order[0]].report;
		const cJSON *candles = cJSON_GetObjectItemCaseSensitive(r, "candles");
		fprintf(f, "backtest %s .. %s, %" PRId64 " candles\n", str_of(r, "from"), str_of(r, "to"),
		        cJSON_IsNumber(candles) ? (int64_t)candles->valuedouble : 0);
	}
	fputc('\n', f);
	char settings[1024];
	if (n > 0) {
		struct sb_table *t = sb_table_new(nm + 2, heads, al);
		for (size_t i = 0; i < n; i++) {
			sb_bt_rank_settings(g, order[i], settings, sizeof settings);
			row(t, i + 1, settings, sw->points[order[i]].report);
		}
		sb_table_print(t, f, sb_table_color_for(f));
		sb_table_free(t);
	}
	free(order);
	if (n == sw->npoints)
		return;
	fputs(n > 0 ? "\nnot ranked:\n" : "not ranked:\n", f);
	for (size_t i = 0; i < sw->npoints; i++) {
		if (sw->points[i].state == SB_BT_POINT_DONE)
			continue;
		sb_bt_rank_settings(g, i, settings, sizeof settings);
		fprintf(f, "  %s: %s: %s\n", settings, sb_bt_point_state_name(sw->points[i].state),
		        sw->points[i].reason);
	}
}

/* ---- the command -------------------------------------------------------------------------------------- */

/* The exit code of a sweep that ran: 0 all done, 2 when every run was refused or failed on bad input. */
static int sweep_exit(const struct sb_bt_sweep *sw)
{
	size_t done = 0, user = 0;
	for (size_t i = 0; i < sw->npoints; i++) {
		done += sw->points[i].state == SB_BT_POINT_DONE;
		user += sw->points[i].state != SB_BT_POINT_DONE && sw->points[i].user_error;
	}
	if (done == sw->npoints)
		return SB_EXIT_OK;
	fprintf(
	    stderr,
	    "spotbot backtest: %zu of %zu runs not ranked: refused or failed (why is printed with them)\n",
	    sw->npoints - done, sw->npoints);
	return done == 0 && user == sw->npoints ? SB_EXIT_USAGE : SB_EXIT_FAILURE;
}

/* The grid of the --set options over the configuration's PAIRS; SB_EXIT_OK or 2 with the reason. */
static int make_grid(const struct sb_bt_run_opts *run, const struct sb_cmd_sweep_args *s,
                     struct sb_bt_grid *g)
{
	char err[SB_BT_GRID_ERR_MAX];
	if (sb_bt_grid_init(g, run->cfg->pairs, err, sizeof err) != SB_OK) {
		fprintf(stderr, "spotbot backtest: %s\n", err);
		return SB_EXIT_USAGE;
	}
	for (size_t i = 0; i < s->nsets; i++)
		if (sb_bt_grid_add(g, s->sets[i], err, sizeof err) != SB_OK) {
			fprintf(stderr, "spotbot backtest: %s\n", err);
			return SB_EXIT_USAGE;
		}
	return SB_EXIT_OK;
}

int sb_cmd_backtest_sweep(const struct sb_bt_run_opts *run, const struct sb_cmd_sweep_args *s, bool json)
{
	static struct sb_bt_grid g; /* large: not on the stack */
	const struct sb_bt_measure *m = s->rank ? s->rank : sb_bt_measure_find(SB_BT_RANK_DEFAULT);
	int rc = make_grid(run, s, &g);
	if (rc != SB_EXIT_OK) {
		sb_bt_grid_fini(&g);
		return rc;
	}
	struct sb_bt_sweep_opts o = {.run = run, .grid = &g, .jobs = s->jobs};
	struct sb_bt_sweep sw;
	char err[1024];
	sb_err e = sb_bt_sweep_run(&o, &sw, err, sizeof err);
	if (e != SB_OK) {
		fprintf(stderr, "spotbot backtest: %s\n", err);
		rc = sb_bt_run_user_error(e) ? SB_EXIT_USAGE : SB_EXIT_FAILURE;
	} else if (sw.interrupted) {
		size_t done = 0;
		for (size_t i = 0; i < sw.npoints; i++)
			done += sw.points[i].state == SB_BT_POINT_DONE;
		fprintf(stderr,
		        "spotbot backtest: interrupted; every run stopped (%zu of %zu had finished)\n", done,
		        sw.npoints);
		rc = SB_EXIT_FAILURE;
	} else {
		if (json)
			sb_bt_rank_json(&sw, &g, m, stdout);
		else
			print_table(&sw, &g, m, stdout);
		fflush(stdout);
		rc = sweep_exit(&sw);
	}
	sb_bt_sweep_fini(&sw);
	sb_bt_grid_fini(&g);
	return rc;
}

/*
 * The metrics registry: exact rendered text for counters, gauges and histograms with labels and escaping,
 * registration errors, and a small Prometheus text-format parser (written here, independent of the
 * renderer) that reads a randomly built registry's output back and checks every sample against a naive
 * model of what was recorded.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/metrics.h"
#include "sbtest.h"
#include "sbtest_prom.h"
#include "spotbot/clock.h"

static char *render(const struct sb_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	cr_assert_eq(sb_metrics_render(m, &text, &len), SB_OK);
	cr_assert_eq(strlen(text), len);
	return text;
}

Test(metrics, counters_and_gauges_render_exactly_with_escaped_labels)
{
	struct sb_metrics *m;
	struct sb_metric_counter *filled, *rejected, *plain;
	struct sb_metric_gauge *g;
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	struct sb_metric_label l1[] = {{"symbol", "BTCUSDT"}, {"outcome", "filled"}};
	struct sb_metric_label l2[] = {{"symbol", "ETH\"USDT"}, {"outcome", "a\\b\nc"}};
	cr_assert_eq(sb_metrics_counter(m, "spotbot_orders_total", "Orders by outcome.\nSecond \\ line", l1,
	                                2, &filled),
	             SB_OK);
	cr_assert_eq(sb_metrics_counter(m, "spotbot_orders_total", "ignored", l2, 2, &rejected), SB_OK);
	cr_assert_eq(sb_metrics_gauge(m, "spotbot_open_positions", "Open positions.", NULL, 0, &g), SB_OK);
	cr_assert_eq(sb_metrics_counter(m, "spotbot_fills_total", "", NULL, 0, &plain), SB_OK);
	sb_metric_counter_inc(filled);
	sb_metric_counter_add(filled, 41);
	sb_metric_counter_inc(rejected);
	sb_metric_gauge_set(g, 3);
	sb_metric_gauge_inc(g);
	sb_metric_gauge_dec(g);
	sb_metric_gauge_add(g, -0.5);
	char *text = render(m);
	cr_assert_str_eq(text, "# HELP spotbot_orders_total Orders by outcome.\\nSecond \\\\ line\n"
	                       "# TYPE spotbot_orders_total counter\n"
	                       "spotbot_orders_total{outcome=\"filled\",symbol=\"BTCUSDT\"} 42\n"
	                       "spotbot_orders_total{outcome=\"a\\\\b\\nc\",symbol=\"ETH\\\"USDT\"} 1\n"
	                       "# HELP spotbot_open_positions Open positions.\n"
	                       "# TYPE spotbot_open_positions gauge\n"
	                       "spotbot_open_positions 2.5\n"
	                       "# HELP spotbot_fills_total \n"
	                       "# TYPE spotbot_fills_total counter\n"
	                       "spotbot_fills_total 0\n");
	cr_assert_eq(sb_metric_counter_value(filled), 42);
	free(text);
	sb_metrics_free(m);
}

Test(metrics, histogram_renders_cumulative_buckets_inf_sum_and_count)
{
	struct sb_metrics *m;
	struct sb_metric_histogram *h, *h2;
	const double b[] = {0.001, 0.01, 0.1, 1};
	struct sb_metric_label l[] = {{"endpoint", "order"}};
	struct sb_metric_label l2[] = {{"endpoint", "account"}};
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_metrics_histogram(m, "spotbot_rest_latency_seconds", "REST latency.", l, 1, b, 4, &h),
	             SB_OK);
	cr_assert_eq(sb_metrics_histogram(m, "spotbot_rest_latency_seconds", "", l2, 1, b, 4, &h2), SB_OK);
	sb_metric_histogram_observe(h, 0.0005);
	sb_metric_histogram_observe(h, 0.001); /* on a bound: counts in that bucket (le is <=) */
	sb_metric_histogram_observe_us(h, 50000);
	sb_metric_histogram_observe(h, 2.5);
	sb_metric_histogram_observe(h, NAN); /* ignored */
	sb_metric_histogram_observe_ns(h2, 1000000000);
	char *text = render(m);
	cr_assert_str_eq(text, "# HELP spotbot_rest_latency_seconds REST latency.\n"
	                       "# TYPE spotbot_rest_latency_seconds histogram\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"order\",le=\"0.001\"} 2\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"order\",le=\"0.01\"} 2\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"order\",le=\"0.1\"} 3\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"order\",le=\"1\"} 3\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"order\",le=\"+Inf\"} 4\n"
	                       "spotbot_rest_latency_seconds_sum{endpoint=\"order\"} 2.5515\n"
	                       "spotbot_rest_latency_seconds_count{endpoint=\"order\"} 4\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"account\",le=\"0.001\"} 0\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"account\",le=\"0.01\"} 0\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"account\",le=\"0.1\"} 0\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"account\",le=\"1\"} 1\n"
	                       "spotbot_rest_latency_seconds_bucket{endpoint=\"account\",le=\"+Inf\"} 1\n"
	                       "spotbot_rest_latency_seconds_sum{endpoint=\"account\"} 1\n"
	                       "spotbot_rest_latency_seconds_count{endpoint=\"account\"} 1\n");
	cr_assert_eq(sb_metric_histogram_count(h), 4);
	free(text);
	sb_metrics_free(m);
}

Test(metrics, unlabelled_histogram_has_only_le_label)
{
	struct sb_metrics *m;
	struct sb_metric_histogram *h;
	const double b[] = {0.5};
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_metrics_histogram(m, "db_seconds", "x", NULL, 0, b, 1, &h), SB_OK);
	sb_metric_histogram_observe(h, 0.25);
	char *text = render(m);
	cr_assert_str_eq(text, "# HELP db_seconds x\n# TYPE db_seconds histogram\n"
	                       "db_seconds_bucket{le=\"0.5\"} 1\ndb_seconds_bucket{le=\"+Inf\"} 1\n"
	                       "db_seconds_sum 0.25\ndb_seconds_count 1\n");
	free(text);
	sb_metrics_free(m);
}

static double fixed_gauge_metric(void *user)
{
	return *(double *)user;
}

static sb_dec profit_fn(void *user)
{
	return *(sb_dec *)user;
}

static uint64_t count_fn(void *user)
{
	return *(uint64_t *)user;
}

Test(metrics, callbacks_are_read_at_render_time_and_money_renders_exactly)
{
	struct sb_metrics *m;
	struct sb_metric_gauge *g;
	double v = 1.5;
	sb_dec profit = SB_DEC_C(12, 34560000);
	uint64_t sent = 7;
	struct sb_metric_label l[] = {{"symbol", "BTCUSDT"}, {"asset", "USDT"}};
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_metrics_gauge_fn(m, "queue_depth", "Depth.", NULL, 0, fixed_gauge_metric, &v), SB_OK);
	cr_assert_eq(
	    sb_metrics_gauge_dec_fn(m, "spotbot_realised_profit", "Profit.", l, 2, profit_fn, &profit),
	    SB_OK);
	cr_assert_eq(sb_metrics_counter_fn(m, "spotbot_alerts_total", "Alerts.", NULL, 0, count_fn, &sent),
	             SB_OK);
	cr_assert_eq(sb_metrics_gauge(m, "held", "Held.", NULL, 0, &g), SB_OK);
	sb_metric_gauge_set_dec(g, -SB_DEC_C(0, 50000000));
	v = 2.25;
	profit = -SB_DEC_C(92233720368, 54775807); /* the most negative sb_dec: no double rounding */
	sent = 9;
	char *text = render(m);
	cr_assert_str_eq(text,
	                 "# HELP queue_depth Depth.\n# TYPE queue_depth gauge\nqueue_depth 2.25\n"
	                 "# HELP spotbot_realised_profit Profit.\n# TYPE spotbot_realised_profit gauge\n"
	                 "spotbot_realised_profit{asset=\"USDT\",symbol=\"BTCUSDT\"} -92233720368.54775807\n"
	                 "# HELP spotbot_alerts_total Alerts.\n# TYPE spotbot_alerts_total counter\n"
	                 "spotbot_alerts_total 9\n"
	                 "# HELP held Held.\n# TYPE held gauge\nheld -0.5\n");
	cr_assert_float_eq(sb_metric_gauge_value(g), -0.5, 1e-12);
	sb_metric_gauge_inc(g); /* back to a plain double: -0.5 + 1 */
	cr_assert_float_eq(sb_metric_gauge_value(g), 0.5, 1e-12);
	free(text);
	sb_metrics_free(m);
}

Test(metrics, registration_rejects_bad_names_duplicates_and_mismatches)
{
	struct sb_metrics *m;
	struct sb_metric_counter *c;
	struct sb_metric_gauge *g;
	struct sb_metric_histogram *h;
	const double b[] = {1, 2}, b_other[] = {1, 3}, b_bad[] = {2, 1}, b_inf[] = {1, INFINITY};
	struct sb_metric_label ab[] = {{"a", "1"}, {"b", "2"}}, ba[] = {{"b", "2"}, {"a", "1"}};
	struct sb_metric_label dup[] = {{"a", "1"}, {"a", "2"}}, le[] = {{"le", "1"}}, res[] = {{"__x", "1"}};
	struct sb_metric_label badname[] = {{"1a", "x"}}, nullval[] = {{"a", NULL}};
	struct sb_metric_label many[SB_METRICS_MAX_LABELS + 1];
	char names[SB_METRICS_MAX_LABELS + 1][8];
	for (int i = 0; i <= SB_METRICS_MAX_LABELS; i++) {
		snprintf(names[i], sizeof names[i], "l%d", i);
		many[i] = (struct sb_metric_label){names[i], "v"};
	}
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", ab, 2, &c), SB_OK);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", ba, 2, &c), SB_ERR_EXISTS,
	             "label order is not identity");
	cr_assert_eq(sb_metrics_gauge(m, "x_total", "", NULL, 0, &g), SB_ERR_INVALID, "type differs");
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", dup, 2, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", res, 1, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", badname, 1, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", nullval, 1, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", many, SB_METRICS_MAX_LABELS + 1, &c),
	             SB_ERR_TOO_LONG);
	cr_assert_eq(sb_metrics_counter(m, "x_total", "", many, SB_METRICS_MAX_LABELS, &c), SB_OK);
	cr_assert_eq(sb_metrics_counter(m, "9bad", "", NULL, 0, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "bad-name", "", NULL, 0, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "", "", NULL, 0, &c), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_counter(m, "ns:sub_total", "", NULL, 0, &c), SB_OK, "colons are allowed");
	cr_assert_eq(sb_metrics_histogram(m, "h", "", le, 1, b, 2, &h), SB_ERR_INVALID, "le is reserved");
	cr_assert_eq(sb_metrics_histogram(m, "h", "", NULL, 0, b_bad, 2, &h), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_histogram(m, "h", "", NULL, 0, b_inf, 2, &h), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_histogram(m, "h", "", NULL, 0, b, 0, &h), SB_ERR_INVALID);
	cr_assert_eq(sb_metrics_histogram(m, "h", "", NULL, 0, b, 2, &h), SB_OK);
	cr_assert_eq(sb_metrics_histogram(m, "h", "", ab, 2, b_other, 2, &h), SB_ERR_INVALID,
	             "bounds differ");
	cr_assert_eq(sb_metrics_gauge_fn(m, "f", "", NULL, 0, NULL, NULL), SB_ERR_INVALID);
	/* NULL handles are harmless, so optional metrics need no checks at call sites. */
	sb_metric_counter_inc(NULL);
	sb_metric_gauge_set(NULL, 1);
	sb_metric_histogram_observe(NULL, 1);
	sb_metrics_free(m);
	sb_metrics_free(NULL);
}

Test(metrics, values_format_as_shortest_round_trip_text)
{
	char buf[64];
	const struct {
		double v;
		const char *text;
	} cases[] = {{0.1, "0.1"},
	             {2.5, "2.5"},
	             {1, "1"},
	             {0, "0"},
	             {-3, "-3"},
	             {1e-05, "1e-05"},
	             {1e21, "1e+21"},
	             {INFINITY, "+Inf"},
	             {-INFINITY, "-Inf"},
	             {NAN, "NaN"},
	             {0.1 + 0.2, "0.30000000000000004"}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cr_assert_gt(sb_metrics_format_value(cases[i].v, buf, sizeof buf), 0);
		cr_assert_str_eq(buf, cases[i].text);
	}
	cr_assert_eq(sb_metrics_format_value(123456.0, buf, 4), 0);
	cr_assert_str_eq(buf, "");
}

Test(metrics, process_rss_is_read_from_proc)
{
	uint64_t rss = 0;
	cr_assert_eq(sb_metrics_process_rss_bytes(&rss), SB_OK);
	cr_assert_gt(rss, 1024 * 1024, "a running test process holds more than 1 MiB");
	cr_assert_lt(rss, (uint64_t)64 * 1024 * 1024 * 1024);
	struct sb_metrics *m;
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_metrics_register_process(m), SB_OK);
	char *text = render(m);
	struct sbt_prom_doc *doc = malloc(sizeof *doc);
	cr_assert(doc);
	sbt_prom_parse(doc, text);
	const struct sbt_prom_sample *s = sbt_prom_find(doc, SB_METRIC_PROCESS_RSS, NULL, 0, NULL);
	cr_assert_gt(s->value, 1024 * 1024);
	cr_assert_str_eq(sbt_prom_family(doc, SB_METRIC_PROCESS_RSS)->help, "Resident memory size in bytes.");
	free(text);
	free(doc);
	sb_metrics_free(m);
}

Test(metrics, process_families_carry_open_fds_start_time_and_the_version)
{
	struct sb_metrics *m;
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	int64_t before_ms = sb_clock_wall_ms();
	cr_assert_eq(sb_metrics_register_process(m), SB_OK);
	int64_t after_ms = sb_clock_wall_ms();
	struct sbt_prom_doc *doc = malloc(sizeof *doc);
	cr_assert(doc);
	char *text = render(m);
	sbt_prom_parse(doc, text);
	free(text);
	double start_seconds = sbt_prom_find(doc, SB_METRIC_PROCESS_START, NULL, 0, NULL)->value;
	cr_assert(
	    start_seconds * 1000 >= (double)before_ms - 1 && start_seconds * 1000 <= (double)after_ms + 1,
	    "start %f within [%lld, %lld] ms", start_seconds, (long long)before_ms, (long long)after_ms);
	const char *const version[] = {"version", SB_VERSION};
	cr_assert_eq(sbt_prom_find(doc, SB_METRIC_BUILD_INFO, version, 2, NULL)->value, 1);

	/* Two more descriptors open: the gauge counts them at the next scrape. */
	double fds_metric = sbt_prom_find(doc, SB_METRIC_PROCESS_FDS, NULL, 0, NULL)->value;
	cr_assert_gt(fds_metric, 2, "stdin, stdout and stderr at least");
	int p[2];
	cr_assert_eq(pipe(p), 0);
	text = render(m);
	sbt_prom_parse(doc, text);
	free(text);
	cr_assert_eq(sbt_prom_find(doc, SB_METRIC_PROCESS_FDS, NULL, 0, NULL)->value, fds_metric + 2);
	close(p[0]);
	close(p[1]);

	/* CPU seconds: a counter that grows while the process computes. */
	double cpu_before = sbt_prom_find(doc, SB_METRIC_PROCESS_CPU, NULL, 0, NULL)->value;
	cr_assert_str_eq(sbt_prom_family(doc, SB_METRIC_PROCESS_CPU)->type, "counter");
	volatile uint64_t spin = 0;
	for (int64_t until_ms = sb_clock_wall_ms() + 200; sb_clock_wall_ms() < until_ms;)
		spin++;
	text = render(m);
	sbt_prom_parse(doc, text);
	free(text);
	double cpu_after = sbt_prom_find(doc, SB_METRIC_PROCESS_CPU, NULL, 0, NULL)->value;
	cr_assert(cpu_after > cpu_before, "CPU seconds %f after %f", cpu_after, cpu_before);
	free(doc);
	sb_metrics_free(m);
}

/* ---- the catalogue and docs/monitoring.md ---- */

Test(metrics, catalogue_names_are_valid_unique_and_typed)
{
	cr_assert_geq(sb_metric_families_n, 20);
	for (size_t i = 0; i < sb_metric_families_n; i++) {
		const struct sb_metric_family *f = &sb_metric_families[i];
		cr_assert(strcmp(f->type, "counter") == 0 || strcmp(f->type, "gauge") == 0 ||
		              strcmp(f->type, "histogram") == 0,
		          "%s: type %s", f->name, f->type);
		size_t n = strlen(f->name);
		bool total = n > 6 && strcmp(f->name + n - 6, "_total") == 0;
		cr_assert_eq(total, strcmp(f->type, "counter") == 0,
		             "%s: counters and only counters end in _total", f->name);
		cr_assert(*f->help, "%s has help", f->name);
		cr_assert_str_eq(sb_metric_help(f->name), f->help);
		for (size_t j = 0; j < i; j++)
			cr_assert_str_neq(sb_metric_families[j].name, f->name);
	}
	cr_assert_str_eq(sb_metric_help("spotbot_no_such_family"), "");
}

Test(metrics, docs_contain_the_generated_table_verbatim)
{
	char *table;
	size_t size;
	FILE *f = open_memstream(&table, &size);
	sb_metrics_write_markdown(f);
	fclose(f);
	char path[4096];
	char *doc = sbt_read_file(sbt_source_path("docs/monitoring.md", path, sizeof path));
	if (!strstr(doc, table)) {
		/* Left next to the test for pasting. */
		FILE *out = fopen("metrics-table.md", "w");
		if (out) {
			fputs(table, out);
			fclose(out);
		}
	}
	cr_assert_not_null(
	    strstr(doc, table),
	    "docs/monitoring.md lacks the current metrics table: paste metrics-table.md from the "
	    "test's directory (build/asan)");
	for (size_t i = 0; i < sb_metric_families_n; i++)
		cr_assert_not_null(strstr(table, sb_metric_families[i].name));
	free(doc);
	free(table);
}

/* ---- random registry vs a naive model ---- */

#define R_SERIES 40
#define R_OPS    5000

struct model {
	int type;                      /* 0 counter, 1 gauge, 2 histogram */
	int family;                    /* index into family names */
	char lv[2][64];                /* values of labels "symbol" and "note" */
	uint64_t count;                /* counter value, or histogram observations */
	double gauge;                  /* gauge value */
	double obs[R_OPS];             /* histogram observations, for the naive bucket count */
	double sum;                    /* histogram sum */
	struct sb_metric_counter *c;   /* handle */
	struct sb_metric_gauge *g;     /* handle */
	struct sb_metric_histogram *h; /* handle */
};

static struct model models[R_SERIES];

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

Test(metrics, random_registry_parses_back_to_every_recorded_sample)
{
	static const char *fam_names[] = {"r_counter_a_total", "r_counter_b_total", "r_gauge_a",
	                                  "r_gauge_b",         "r_hist_a_seconds",  "r_hist_b_seconds"};
	static const char *alphabet[] = {"a", "\"", "\\", "\n", "BTC", "é", " ", "{}", "=", ","};
	const double bounds[] = {0.001, 0.01, 0.1, 0.5, 1, 5};
	struct sb_metrics *m;
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	for (int i = 0; i < R_SERIES; i++) {
		struct model *x = &models[i];
		memset(x, 0, sizeof *x);
		x->family = (int)(rng() % 6);
		x->type = x->family / 2;
		/* The series index in the value makes every label set unique. */
		for (int k = 0; k < 2; k++) {
			size_t n = (size_t)snprintf(x->lv[k], sizeof x->lv[k], "%d", i);
			for (int j = 0; j < 4; j++) {
				const char *piece = alphabet[rng() % 10];
				memcpy(x->lv[k] + n, piece, strlen(piece) + 1);
				n += strlen(piece);
			}
		}
		struct sb_metric_label l[] = {{"symbol", x->lv[0]}, {"note", x->lv[1]}};
		const char *name = fam_names[x->family];
		sb_err e = x->type == 0 ? sb_metrics_counter(m, name, "help \\ with\nnewline", l, 2, &x->c)
		           : x->type == 1
		               ? sb_metrics_gauge(m, name, "gauge help", l, 2, &x->g)
		               : sb_metrics_histogram(m, name, "hist help", l, 2, bounds, 6, &x->h);
		cr_assert_eq(e, SB_OK);
	}
	for (int op = 0; op < R_OPS; op++) {
		struct model *x = &models[rng() % R_SERIES];
		uint64_t r = rng();
		if (x->type == 0) {
			sb_metric_counter_add(x->c, r % 5);
			x->count += r % 5;
		} else if (x->type == 1) {
			double v =
			    (double)(int64_t)(r % 2001 - 1000) / 8.0; /* exact in binary: sums stay exact */
			sb_metric_gauge_add(x->g, v);
			x->gauge += v;
		} else {
			double v = (double)(r % 8000) / 1000.0;
			sb_metric_histogram_observe(x->h, v);
			x->obs[x->count++] = v;
			x->sum += v;
		}
	}
	char *text = render(m);
	static struct sbt_prom_doc doc;
	sbt_prom_parse(&doc, text);

	int expected_samples = 0;
	for (int i = 0; i < R_SERIES; i++) {
		struct model *x = &models[i];
		const char *want[] = {"symbol", x->lv[0], "note", x->lv[1]};
		const char *name = fam_names[x->family];
		if (x->type == 0) {
			cr_assert_eq(sbt_prom_find(&doc, name, want, 4, NULL)->value, (double)x->count);
			expected_samples++;
		} else if (x->type == 1) {
			cr_assert_eq(sbt_prom_find(&doc, name, want, 4, NULL)->value, x->gauge);
			expected_samples++;
		} else {
			char sname[160], le[32];
			uint64_t below = 0;
			for (int b = 0; b <= 6; b++) {
				below = 0;
				for (uint64_t k = 0; k < x->count;
				     k++) /* naive: count every observation <= bound */
					if (b == 6 || x->obs[k] <= bounds[b])
						below++;
				if (b == 6)
					snprintf(le, sizeof le, "+Inf");
				else
					snprintf(le, sizeof le, "%g", bounds[b]);
				snprintf(sname, sizeof sname, "%s_bucket", name);
				cr_assert_eq(sbt_prom_find(&doc, sname, want, 4, le)->value, (double)below,
				             "%s le=%s", name, le);
			}
			snprintf(sname, sizeof sname, "%s_count", name);
			cr_assert_eq(sbt_prom_find(&doc, sname, want, 4, NULL)->value, (double)x->count);
			snprintf(sname, sizeof sname, "%s_sum", name);
			cr_assert_float_eq(sbt_prom_find(&doc, sname, want, 4, NULL)->value, x->sum,
			                   1e-9 * (1 + x->sum));
			expected_samples += 9;
		}
	}
	cr_assert_eq(doc.nsamples, expected_samples, "no sample beyond the registered series");
	/* Every family has HELP and TYPE, and the help text survives escaping. */
	for (int i = 0; i < doc.nfamilies; i++) {
		cr_assert(doc.families[i].helped && doc.families[i].type[0]);
		if (strstr(doc.families[i].name, "counter"))
			cr_assert_str_eq(doc.families[i].help, "help \\ with\nnewline");
	}
	free(text);
	sb_metrics_free(m);
}

Test(metrics, histogram_buckets_match_a_linear_reference)
{
	const double bounds[] = SB_METRICS_LATENCY_BUCKETS;
	const size_t nb = sizeof bounds / sizeof bounds[0];
	struct sb_metrics *m;
	struct sb_metric_histogram *h;
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_metrics_histogram(m, "lat_seconds", "", NULL, 0, bounds, nb, &h), SB_OK);
	uint64_t ref[SB_METRICS_MAX_BUCKETS + 1] = {0};
	for (int i = 0; i < 20000; i++) {
		uint64_t r = rng();
		/* Half the values land exactly on a bound, the edge a binary search gets wrong. */
		double v = (r & 1) ? bounds[(r >> 1) % nb] : (double)((r >> 1) % 20000000) / 1e6;
		sb_metric_histogram_observe(h, v);
		size_t b = 0;
		while (b < nb && v > bounds[b])
			b++;
		ref[b]++;
	}
	char *text = render(m);
	static struct sbt_prom_doc doc;
	sbt_prom_parse(&doc, text);
	uint64_t cumulative = 0;
	for (size_t b = 0; b <= nb; b++) {
		char le[32];
		cumulative += ref[b];
		if (b == nb)
			snprintf(le, sizeof le, "+Inf");
		else
			sb_metrics_format_value(bounds[b], le, sizeof le);
		cr_assert_eq(sbt_prom_find(&doc, "lat_seconds_bucket", NULL, 0, le)->value,
		             (double)cumulative, "le=%s", le);
	}
	cr_assert_eq(cumulative, 20000);
	free(text);
	sb_metrics_free(m);
}

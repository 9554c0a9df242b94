/*
 * metrics.h - the bot's metrics registry: counters, gauges and histograms rendered in the Prometheus text
 * exposition format 0.0.4 for a scraper.
 *
 * Every series is registered once, at start-up, with its family name, help text and fixed labels
 * (symbol="BTCUSDT", outcome="filled"); registration returns a handle, and updates through the handle are a
 * few pointer operations: no lookup, no allocation, no formatting on the hot path. Labels are escaped and
 * pre-rendered at registration, so rendering is concatenation plus number formatting.
 *
 * Several series may share a family (one name, several label sets); the family's # HELP and # TYPE lines
 * are written once. Families are rendered in the order their first series was registered and series in
 * registration order, so the output is deterministic. A gauge may also be computed at render time by a
 * callback (process memory, a queue depth, money held as sb_dec): its value is read only when scraped.
 *
 * Values are doubles: these are measurements, not money. Money is kept as sb_dec by the code that owns it
 * and exported through sb_metric_gauge_set_dec or a decimal callback, which render the exact decimal text.
 *
 * The registry belongs to the one event-loop thread; nothing here locks.
 */
#ifndef SPOTBOT_METRICS_H
#define SPOTBOT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SB_METRICS_MAX_LABELS   8    /* fixed labels per series */
#define SB_METRICS_MAX_BUCKETS  32   /* finite bucket bounds per histogram (+Inf is implicit) */
#define SB_METRICS_NAME_MAX     128  /* bytes of a metric or label name */
#define SB_METRICS_VALUE_MAX    256  /* bytes of a label value before escaping */
#define SB_METRICS_HELP_MAX     1024 /* bytes of help text before escaping */
#define SB_METRICS_RENDER_MAX   (8u * 1024u * 1024u) /* largest rendered page; more is SB_ERR_TOO_LONG */
#define SB_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8" /* for the HTTP response */

/*
 * The metric names the daemon registers (docs/monitoring.md lists their types and labels). Counters end in
 * _total; durations are in seconds; bytes in bytes.
 */
#define SB_METRIC_STREAM_MESSAGES    "spotbot_stream_messages_total"   /* counter {stream} */
#define SB_METRIC_STREAM_RECONNECTS  "spotbot_stream_reconnects_total" /* counter {stream} */
#define SB_METRIC_STREAM_STALLS      "spotbot_stream_stalls_total"     /* counter {stream} */
#define SB_METRIC_REST_LATENCY       "spotbot_rest_latency_seconds"    /* histogram {endpoint} */
#define SB_METRIC_REST_USED_WEIGHT   "spotbot_rest_used_weight"        /* gauge, X-MBX-USED-WEIGHT-1M */
#define SB_METRIC_REST_RATE_LIMITED  "spotbot_rest_rate_limited_total" /* counter {status} */
#define SB_METRIC_ORDERS             "spotbot_orders_total"            /* counter {symbol,side,outcome} */
#define SB_METRIC_FILLS              "spotbot_fills_total"             /* counter {symbol,side} */
#define SB_METRIC_OPEN_POSITIONS     "spotbot_open_positions"          /* gauge {symbol} */
#define SB_METRIC_REALISED_PROFIT    "spotbot_realised_profit"         /* gauge {symbol,asset}, sb_dec */
#define SB_METRIC_FILL_TO_SELL       "spotbot_fill_to_sell_latency_seconds"  /* histogram {symbol} */
#define SB_METRIC_DECISION_LATENCY   "spotbot_decision_latency_seconds"      /* histogram */
#define SB_METRIC_RECONCILE_RUNS     "spotbot_reconciliation_runs_total"     /* counter {result} */
#define SB_METRIC_RECONCILE_FINDINGS "spotbot_reconciliation_findings_total" /* counter {kind} */
#define SB_METRIC_DB_COMMIT_LATENCY  "spotbot_db_commit_latency_seconds"     /* histogram */
#define SB_METRIC_ALERTS             "spotbot_alerts_total"                  /* counter {result} (alerts.h) */
#define SB_METRIC_PROCESS_RSS        "process_resident_memory_bytes" /* gauge, from /proc/self/statm */
#define SB_METRIC_PROCESS_START      "process_start_time_seconds"    /* gauge, seconds since the epoch */
#define SB_METRIC_PROCESS_FDS        "process_open_fds"              /* gauge, from /proc/self/fd */
#define SB_METRIC_PROCESS_CPU        "process_cpu_seconds_total"     /* counter, user + system time */
#define SB_METRIC_BUILD_INFO         "spotbot_build_info"            /* gauge {version}, always 1 */
#define SB_METRIC_RUN_STATE          "spotbot_run_state"             /* gauge {state}, 1 for the current */
#define SB_METRIC_STREAM_LAST        "spotbot_stream_last_message_timestamp_seconds" /* gauge {stream} */
#define SB_METRIC_PRICE_LAST         "spotbot_price_last_update_timestamp_seconds"   /* gauge {symbol} */
#define SB_METRIC_POSITION_AGE       "spotbot_oldest_position_age_seconds"           /* gauge {symbol} */
#define SB_METRIC_EXPOSURE           "spotbot_exposure"                              /* gauge, sb_dec */
#define SB_METRIC_TRADING            "spotbot_trading"                               /* gauge, 0 or 1 */
#define SB_METRIC_PAUSED             "spotbot_paused"                                /* gauge, 0 or 1 */

/* Bucket bounds in seconds for request and commit latencies: 0.5 ms .. 10 s. */
#define SB_METRICS_LATENCY_BUCKETS                                                                           \
	{                                                                                                    \
		0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10               \
	}
/* Bucket bounds in seconds for the time from a buy's fill to its sell being placed: 1 ms .. 60 s. */
#define SB_METRICS_FILL_TO_SELL_BUCKETS                                                                      \
	{                                                                                                    \
		0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60                                             \
	}

/* Bucket bounds in seconds for a market frame's arrival to the decision on it: 1 us .. 10 ms. */
#define SB_METRICS_DECISION_BUCKETS                                                                          \
	{                                                                                                    \
		0.000001, 0.0000025, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001,   \
		    0.0025, 0.01                                                                             \
	}

/* One metric family the daemon registers, as docs/monitoring.md's table lists it (metric_families.c). */
struct sb_metric_family {
	const char *name;   /* family name, an SB_METRIC_* constant */
	const char *type;   /* "counter", "gauge" or "histogram", as # TYPE writes it */
	const char *labels; /* the labels and their values, Markdown; "" for none */
	const char *help;   /* the # HELP text its series are registered with */
	const char *note;   /* more for the docs' table, Markdown, no final period; "" for none */
};

/* Every family the daemon registers, in the docs' order (sb_metric_families_n entries). */
extern const struct sb_metric_family sb_metric_families[];
extern const size_t sb_metric_families_n;

/* The catalogue's help text of family name; "" for a name it lacks. */
const char *sb_metric_help(const char *name);

/* Writes the Markdown table of sb_metric_families (docs/monitoring.md carries it verbatim). */
void sb_metrics_write_markdown(FILE *fp);

struct sb_metrics;
struct sb_metric_counter;
struct sb_metric_gauge;
struct sb_metric_histogram;

/* One fixed label of a series. Both strings are copied at registration. */
struct sb_metric_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"; "le" is reserved */
	const char *value; /* any UTF-8 text; escaped when rendered */
};

/* Render-time value sources. Called on the loop thread while sb_metrics_render runs. */
typedef double (*sb_metric_gauge_fn)(void *user);     /* a measurement, e.g. bytes of memory */
typedef sb_dec (*sb_metric_dec_fn)(void *user);       /* money, rendered as exact decimal text */
typedef uint64_t (*sb_metric_counter_fn)(void *user); /* a count kept by another module's stats */

/* Creates an empty registry; *out is owned by the caller (sb_metrics_free). SB_ERR_INVALID without out. */
sb_err sb_metrics_new(struct sb_metrics **out);

/* Frees the registry and every handle it returned. NULL is fine. */
void sb_metrics_free(struct sb_metrics *m);

/*
 * Registration. name is the family name ([a-zA-Z_:][a-zA-Z0-9_:]*), help its help text (the first series of
 * a family sets it), labels the series' fixed labels (nlabels <= SB_METRICS_MAX_LABELS; NULL when 0). The
 * returned handle is owned by the registry and valid until sb_metrics_free.
 *   SB_ERR_INVALID  a bad name, label name, duplicate label name, a family registered with another type
 *   SB_ERR_EXISTS   a series with the same name and label set (in any order) is already registered
 *   SB_ERR_TOO_LONG a name, value or help text over its maximum, or too many labels or buckets
 */
sb_err sb_metrics_counter(struct sb_metrics *m, const char *name, const char *help,
                          const struct sb_metric_label *labels, size_t nlabels,
                          struct sb_metric_counter **out);

/* A counter whose value is read from fn(user) at render time (another module's running count). */
sb_err sb_metrics_counter_fn(struct sb_metrics *m, const char *name, const char *help,
                             const struct sb_metric_label *labels, size_t nlabels, sb_metric_counter_fn fn,
                             void *user);

/* A counter whose value is a measurement read from fn(user) at render time (CPU seconds), not a count. */
sb_err sb_metrics_counter_metric_fn(struct sb_metrics *m, const char *name, const char *help,
                                    const struct sb_metric_label *labels, size_t nlabels,
                                    sb_metric_gauge_fn fn, void *user);

sb_err sb_metrics_gauge(struct sb_metrics *m, const char *name, const char *help,
                        const struct sb_metric_label *labels, size_t nlabels, struct sb_metric_gauge **out);

/* A gauge whose value is fn(user) at render time. */
sb_err sb_metrics_gauge_fn(struct sb_metrics *m, const char *name, const char *help,
                           const struct sb_metric_label *labels, size_t nlabels, sb_metric_gauge_fn fn,
                           void *user);

/* A gauge whose value is the decimal fn(user) at render time, written exactly ("12.3456"). */
sb_err sb_metrics_gauge_dec_fn(struct sb_metrics *m, const char *name, const char *help,
                               const struct sb_metric_label *labels, size_t nlabels, sb_metric_dec_fn fn,
                               void *user);

/*
 * A histogram with nbounds finite upper bounds (strictly increasing, finite, 1..SB_METRICS_MAX_BUCKETS),
 * copied; the +Inf bucket is implicit. Series of one family must use the same bounds (SB_ERR_INVALID).
 */
sb_err sb_metrics_histogram(struct sb_metrics *m, const char *name, const char *help,
                            const struct sb_metric_label *labels, size_t nlabels,
                            const double *histogram_bounds, size_t nbounds, struct sb_metric_histogram **out);

/* Hot-path updates: O(1) (histograms O(log buckets)), no allocation. NULL handles are ignored so optional
 * metrics need no checks at the call site. */
void sb_metric_counter_inc(struct sb_metric_counter *c);
void sb_metric_counter_add(struct sb_metric_counter *c, uint64_t n);
uint64_t sb_metric_counter_value(const struct sb_metric_counter *c);

void sb_metric_gauge_set(struct sb_metric_gauge *g, double value_metric);
void sb_metric_gauge_add(struct sb_metric_gauge *g, double delta_metric);
void sb_metric_gauge_inc(struct sb_metric_gauge *g);
void sb_metric_gauge_dec(struct sb_metric_gauge *g);
/* Holds an sb_dec; the gauge then renders it as exact decimal text until the next set/add. */
void sb_metric_gauge_set_dec(struct sb_metric_gauge *g, sb_dec v);
double sb_metric_gauge_value(const struct sb_metric_gauge *g);

/* Records one observation (seconds for latencies). NaN is ignored. */
void sb_metric_histogram_observe(struct sb_metric_histogram *h, double value_metric);
/* Records a duration given in microseconds (sb_http's latency_us) as seconds. */
void sb_metric_histogram_observe_us(struct sb_metric_histogram *h, uint64_t us);
/* Records a duration given in nanoseconds (two sb_clock_mono_ns readings) as seconds. */
void sb_metric_histogram_observe_ns(struct sb_metric_histogram *h, uint64_t ns);
/* Observations so far. */
uint64_t sb_metric_histogram_count(const struct sb_metric_histogram *h);

/*
 * Renders every series as Prometheus text format 0.0.4 into a new NUL-terminated buffer: *out (owned by the
 * caller, free()) and *len (bytes, without the NUL). SB_ERR_TOO_LONG past SB_METRICS_RENDER_MAX.
 */
sb_err sb_metrics_render(const struct sb_metrics *m, char **out, size_t *len);

/*
 * Formats a sample value the way the text format expects: the shortest decimal that reads back as the same
 * double ("0.1", "2.5", "1e-05"), "+Inf", "-Inf", "NaN". Returns the length; 0 when cap is too small.
 */
size_t sb_metrics_format_value(double value_metric, char *buf, size_t cap);

/* The process's resident set size in bytes, from /proc/self/statm. SB_ERR_IO when it cannot be read. */
sb_err sb_metrics_process_rss_bytes(uint64_t *out);

/*
 * Registers the process families, computed at render time: SB_METRIC_PROCESS_RSS and SB_METRIC_PROCESS_FDS
 * (0 when /proc cannot be read), SB_METRIC_PROCESS_CPU, SB_METRIC_PROCESS_START (the wall clock when this is
 * called, the daemon's start) and SB_METRIC_BUILD_INFO with SB_VERSION.
 */
sb_err sb_metrics_register_process(struct sb_metrics *m);

#endif

/*
 * metrics.c - the metrics registry and its Prometheus text rendering (see metrics.h).
 *
 * A registry is a list of families in registration order; a family is a name, escaped help text, a type
 * and its series; a series is its pre-rendered label text plus the value the handle points into. Handles
 * are pointers into individually allocated series (a histogram's buckets in a block of their own, so the
 * counters and gauges, most of a daemon's hundreds of series, do not pay for them), so they stay valid
 * while the registry grows. A label text is kept at its own size.
 */
#include "bot/metrics.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

enum family_type {
	FAMILY_COUNTER,
	FAMILY_GAUGE,
	FAMILY_HISTOGRAM,
};

/* Where a series' value comes from when it is rendered. */
enum value_source {
	SRC_STORED,            /* the handle's own value */
	SRC_COUNTER_FN,        /* counter_fn(user) */
	SRC_COUNTER_METRIC_FN, /* gauge_fn(user), a counter measured rather than counted */
	SRC_GAUGE_FN,          /* gauge_fn(user) */
	SRC_DEC_FN,            /* dec_fn(user), exact decimal */
};

struct sb_metric_counter {
	uint64_t value; /* events counted */
};

struct sb_metric_gauge {
	double value_metric; /* current value when !is_dec */
	sb_dec dec;          /* current value when is_dec */
	bool is_dec;         /* last set through sb_metric_gauge_set_dec */
};

struct sb_metric_histogram {
	const double *histogram_bounds;              /* the family's finite upper bounds */
	size_t nbounds;                              /* entries in histogram_bounds */
	uint64_t counts[SB_METRICS_MAX_BUCKETS + 1]; /* per bucket, not cumulative; [nbounds] is +Inf */
	double sum_metric;                           /* sum of observed values */
	uint64_t count;                              /* observations */
};

struct series {
	char *labels;          /* escaped, sorted label pairs without braces: a="x",b="y"; "" for none */
	enum value_source src; /* where the value comes from */
	union {
		struct sb_metric_counter counter;      /* FAMILY_COUNTER, SRC_STORED */
		struct sb_metric_gauge gauge;          /* FAMILY_GAUGE, SRC_STORED */
		struct sb_metric_histogram *histogram; /* FAMILY_HISTOGRAM: its buckets, owned (only
		                                          histograms pay for them) */
	} u;                                           /* the stored value the handle points at */
	sb_metric_counter_fn counter_fn;               /* SRC_COUNTER_FN */
	sb_metric_gauge_fn gauge_fn;                   /* SRC_GAUGE_FN, SRC_COUNTER_METRIC_FN */
	sb_metric_dec_fn dec_fn;                       /* SRC_DEC_FN */
	void *user;                                    /* argument of the callback */
};

struct family {
	char *name;                                      /* metric family name */
	char *help;                                      /* escaped help text */
	enum family_type type;                           /* counter, gauge or histogram */
	double histogram_bounds[SB_METRICS_MAX_BUCKETS]; /* histogram bucket upper bounds */
	size_t nbounds;                                  /* entries used in histogram_bounds */
	struct series **series;                          /* in registration order */
	size_t nseries;                                  /* entries used in series */
	size_t cap;                                      /* entries allocated in series */
};

struct sb_metrics {
	struct family **families; /* in order of first registration */
	size_t nfamilies;         /* entries used */
	size_t cap;               /* entries allocated */
};

/* Appends s, escaping backslash, newline and (when quotes) the double quote, as the text format asks. */
static void ob_escaped(struct sb_buf *b, const char *s, bool quotes)
{
	for (; *s; s++) {
		if (*s == '\\')
			sb_buf_put(b, "\\\\", 2);
		else if (*s == '\n')
			sb_buf_put(b, "\\n", 2);
		else if (*s == '"' && quotes)
			sb_buf_put(b, "\\\"", 2);
		else
			sb_buf_put(b, s, 1);
	}
}

static bool valid_name(const char *s, bool colons)
{
	if (!s || !*s || strlen(s) > SB_METRICS_NAME_MAX)
		return false;
	for (size_t i = 0; s[i]; i++) {
		char c = s[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		          (colons && c == ':') || (i > 0 && c >= '0' && c <= '9');
		if (!ok)
			return false;
	}
	return true;
}

size_t sb_metrics_format_value(double value_metric, char *buf, size_t cap)
{
	int n;
	if (isnan(value_metric))
		n = snprintf(buf, cap, "NaN");
	else if (isinf(value_metric))
		n = snprintf(buf, cap, value_metric > 0 ? "+Inf" : "-Inf");
	else {
		/* The shortest of these precisions that reads back exactly: 0.1 stays "0.1", not 0.1000...01.
		 */
		n = 0;
		for (int prec = 15; prec <= 17; prec++) {
			n = snprintf(buf, cap, "%.*g", prec, value_metric);
			if (n < 0 || (size_t)n >= cap)
				break;
			double back_metric = strtod(buf, NULL);
			if (!(back_metric < value_metric) && !(back_metric > value_metric))
				break;
		}
	}
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

static struct family *find_family(const struct sb_metrics *m, const char *name)
{
	for (size_t i = 0; i < m->nfamilies; i++)
		if (strcmp(m->families[i]->name, name) == 0)
			return m->families[i];
	return NULL;
}

/* Checks and renders the label set, sorted by name, into a new string (caller frees). */
static sb_err render_labels(const struct sb_metric_label *labels, size_t nlabels, char **out)
{
	const struct sb_metric_label *sorted[SB_METRICS_MAX_LABELS];
	if (nlabels > SB_METRICS_MAX_LABELS)
		return SB_ERR_TOO_LONG;
	if (nlabels && !labels)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < nlabels; i++) {
		const struct sb_metric_label *l = &labels[i];
		if (!l->value || !valid_name(l->name, false))
			return SB_ERR_INVALID;
		if (strncmp(l->name, "__", 2) == 0 || strcmp(l->name, "le") == 0)
			return SB_ERR_INVALID;
		if (strlen(l->value) > SB_METRICS_VALUE_MAX)
			return SB_ERR_TOO_LONG;
		size_t j = i;
		while (j > 0 && strcmp(sorted[j - 1]->name, l->name) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = l;
	}
	for (size_t i = 1; i < nlabels; i++)
		if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
			return SB_ERR_INVALID;
	struct sb_buf b;
	sb_buf_init(&b, SB_METRICS_RENDER_MAX);
	for (size_t i = 0; i < nlabels; i++) {
		if (i)
			sb_buf_puts(&b, ",");
		sb_buf_puts(&b, sorted[i]->name);
		sb_buf_puts(&b, "=\"");
		ob_escaped(&b, sorted[i]->value, true);
		sb_buf_puts(&b, "\"");
	}
	/* Kept at its size: a registry holds a label text for each of its hundreds of series. */
	*out = b.overflow ? NULL : sb_xstrdup(sb_buf_str(&b));
	sb_buf_fini(&b);
	return *out ? SB_OK : SB_ERR_TOO_LONG;
}

static bool same_bounds(const struct family *f, const double *histogram_bounds, size_t nbounds)
{
	if (f->nbounds != nbounds)
		return false;
	for (size_t i = 0; i < nbounds; i++)
		if (!(f->histogram_bounds[i] <= histogram_bounds[i] &&
		      f->histogram_bounds[i] >= histogram_bounds[i]))
			return false;
	return true;
}

static sb_err check_bounds(const double *histogram_bounds, size_t nbounds)
{
	if (!histogram_bounds || nbounds == 0)
		return SB_ERR_INVALID;
	if (nbounds > SB_METRICS_MAX_BUCKETS)
		return SB_ERR_TOO_LONG;
	for (size_t i = 0; i < nbounds; i++) {
		if (!isfinite(histogram_bounds[i]))
			return SB_ERR_INVALID;
		if (i > 0 && !(histogram_bounds[i] > histogram_bounds[i - 1]))
			return SB_ERR_INVALID;
	}
	return SB_OK;
}

/*
 * The common part of every registration: validates, finds or creates the family, rejects a duplicate
 * series and appends a new zeroed one, returned in *out.
 */
static sb_err add_series(struct sb_metrics *m, enum family_type type, const char *name, const char *help,
                         const struct sb_metric_label *labels, size_t nlabels, const double *histogram_bounds,
                         size_t nbounds, struct series **out)
{
	if (!m || !valid_name(name, true))
		return SB_ERR_INVALID;
	if (help && strlen(help) > SB_METRICS_HELP_MAX)
		return SB_ERR_TOO_LONG;
	if (type == FAMILY_HISTOGRAM)
		SB_TRY(check_bounds(histogram_bounds, nbounds));
	struct family *f = find_family(m, name);
	if (f &&
	    (f->type != type || (type == FAMILY_HISTOGRAM && !same_bounds(f, histogram_bounds, nbounds))))
		return SB_ERR_INVALID;
	char *text = NULL;
	SB_TRY(render_labels(labels, nlabels, &text));
	if (f) {
		for (size_t i = 0; i < f->nseries; i++) {
			if (strcmp(f->series[i]->labels, text) == 0) {
				free(text);
				return SB_ERR_EXISTS;
			}
		}
	} else {
		f = sb_xcalloc(1, sizeof *f);
		f->name = sb_xstrdup(name);
		struct sb_buf hb;
		sb_buf_init(&hb, SB_METRICS_RENDER_MAX);
		ob_escaped(&hb, help ? help : "", false);
		f->help = sb_buf_take(&hb);
		f->type = type;
		if (type == FAMILY_HISTOGRAM) {
			memcpy(f->histogram_bounds, histogram_bounds, nbounds * sizeof *histogram_bounds);
			f->nbounds = nbounds;
		}
		if (m->nfamilies == m->cap) {
			m->cap = m->cap ? m->cap * 2 : 16;
			m->families = sb_xrealloc(m->families, m->cap * sizeof *m->families);
		}
		m->families[m->nfamilies++] = f;
	}
	if (f->nseries == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->series = sb_xrealloc(f->series, f->cap * sizeof *f->series);
	}
	struct series *s = sb_xcalloc(1, sizeof *s);
	s->labels = text;
	s->src = SRC_STORED;
	if (type == FAMILY_HISTOGRAM) {
		s->u.histogram = sb_xcalloc(1, sizeof *s->u.histogram);
		s->u.histogram->histogram_bounds = f->histogram_bounds;
		s->u.histogram->nbounds = f->nbounds;
	}
	f->series[f->nseries++] = s;
	*out = s;
	return SB_OK;
}

sb_err sb_metrics_new(struct sb_metrics **out)
{
	if (!out)
		return SB_ERR_INVALID;
	*out = sb_xcalloc(1, sizeof **out);
	return SB_OK;
}

void sb_metrics_free(struct sb_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nfamilies; i++) {
		struct family *f = m->families[i];
		for (size_t j = 0; j < f->nseries; j++) {
			if (f->type == FAMILY_HISTOGRAM)
				free(f->series[j]->u.histogram);
			free(f->series[j]->labels);
			free(f->series[j]);
		}
		free(f->series);
		free(f->name);
		free(f->help);
		free(f);
	}
	free(m->families);
	free(m);
}

sb_err sb_metrics_counter(struct sb_metrics *m, const char *name, const char *help,
                          const struct sb_metric_label *labels, size_t nlabels,
                          struct sb_metric_counter **out)
{
	struct series *s;
	if (!out)
		return SB_ERR_INVALID;
	SB_TRY(add_series(m, FAMILY_COUNTER, name, help, labels, nlabels, NULL, 0, &s));
	*out = &s->u.counter;
	return SB_OK;
}

/* Registers a series whose value a callback gives at render time (have_fn: the callback is not NULL). */
static sb_err add_computed(struct sb_metrics *m, enum family_type type, enum value_source src,
                           const char *name, const char *help, const struct sb_metric_label *labels,
                           size_t nlabels, bool have_fn, void *user, struct series **out)
{
	if (!have_fn)
		return SB_ERR_INVALID;
	SB_TRY(add_series(m, type, name, help, labels, nlabels, NULL, 0, out));
	(*out)->src = src;
	(*out)->user = user;
	return SB_OK;
}

sb_err sb_metrics_counter_fn(struct sb_metrics *m, const char *name, const char *help,
                             const struct sb_metric_label *labels, size_t nlabels, sb_metric_counter_fn fn,
                             void *user)
{
	struct series *s;
	SB_TRY(add_computed(m, FAMILY_COUNTER, SRC_COUNTER_FN, name, help, labels, nlabels, fn != NULL, user,
	                    &s));
	s->counter_fn = fn;
	return SB_OK;
}

sb_err sb_metrics_counter_metric_fn(struct sb_metrics *m, const char *name, const char *help,
                                    const struct sb_metric_label *labels, size_t nlabels,
                                    sb_metric_gauge_fn fn, void *user)
{
	struct series *s;
	SB_TRY(add_computed(m, FAMILY_COUNTER, SRC_COUNTER_METRIC_FN, name, help, labels, nlabels, fn != NULL,
	                    user, &s));
	s->gauge_fn = fn;
	return SB_OK;
}

sb_err sb_metrics_gauge(struct sb_metrics *m, const char *name, const char *help,
                        const struct sb_metric_label *labels, size_t nlabels, struct sb_metric_gauge **out)
{
	struct series *s;
	if (!out)
		return SB_ERR_INVALID;
	SB_TRY(add_series(m, FAMILY_GAUGE, name, help, labels, nlabels, NULL, 0, &s));
	*out = &s->u.gauge;
	return SB_OK;
}

sb_err sb_metrics_gauge_fn(struct sb_metrics *m, const char *name, const char *help,
                           const struct sb_metric_label *labels, size_t nlabels, sb_metric_gauge_fn fn,
                           void *user)
{
	struct series *s;
	SB_TRY(
	    add_computed(m, FAMILY_GAUGE, SRC_GAUGE_FN, name, help, labels, nlabels, fn != NULL, user, &s));
	s->gauge_fn = fn;
	return SB_OK;
}

sb_err sb_metrics_gauge_dec_fn(struct sb_metrics *m, const char *name, const char *help,
                               const struct sb_metric_label *labels, size_t nlabels, sb_metric_dec_fn fn,
                               void *user)
{
	struct series *s;
	SB_TRY(add_computed(m, FAMILY_GAUGE, SRC_DEC_FN, name, help, labels, nlabels, fn != NULL, user, &s));
	s->dec_fn = fn;
	return SB_OK;
}

sb_err sb_metrics_histogram(struct sb_metrics *m, const char *name, const char *help,
                            const struct sb_metric_label *labels, size_t nlabels,
                            const double *histogram_bounds, size_t nbounds, struct sb_metric_histogram **out)
{
	struct series *s;
	if (!out)
		return SB_ERR_INVALID;
	SB_TRY(add_series(m, FAMILY_HISTOGRAM, name, help, labels, nlabels, histogram_bounds, nbounds, &s));
	*out = s->u.histogram;
	return SB_OK;
}

void sb_metric_counter_inc(struct sb_metric_counter *c)
{
	if (c)
		c->value++;
}

void sb_metric_counter_add(struct sb_metric_counter *c, uint64_t n)
{
	if (c)
		c->value += n;
}

uint64_t sb_metric_counter_value(const struct sb_metric_counter *c)
{
	return c ? c->value : 0;
}

void sb_metric_gauge_set(struct sb_metric_gauge *g, double value_metric)
{
	if (!g)
		return;
	g->value_metric = value_metric;
	g->is_dec = false;
}

void sb_metric_gauge_add(struct sb_metric_gauge *g, double delta_metric)
{
	if (!g)
		return;
	g->value_metric = sb_metric_gauge_value(g) + delta_metric;
	g->is_dec = false;
}

void sb_metric_gauge_inc(struct sb_metric_gauge *g)
{
	sb_metric_gauge_add(g, 1.0);
}

void sb_metric_gauge_dec(struct sb_metric_gauge *g)
{
	sb_metric_gauge_add(g, -1.0);
}

void sb_metric_gauge_set_dec(struct sb_metric_gauge *g, sb_dec v)
{
	if (!g)
		return;
	g->dec = v;
	g->is_dec = true;
}

double sb_metric_gauge_value(const struct sb_metric_gauge *g)
{
	if (!g)
		return 0;
	if (g->is_dec)
		return (double)g->dec / (double)SB_DEC_SCALE; /* a metric reading of money, never fed back */
	return g->value_metric;
}

void sb_metric_histogram_observe(struct sb_metric_histogram *h, double value_metric)
{
	if (!h || isnan(value_metric))
		return;
	/* The first bucket whose upper bound is >= value; nbounds (+Inf) when none is. */
	size_t lo = 0, hi = h->nbounds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (value_metric <= h->histogram_bounds[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	h->counts[lo]++;
	h->sum_metric += value_metric;
	h->count++;
}

void sb_metric_histogram_observe_us(struct sb_metric_histogram *h, uint64_t us)
{
	sb_metric_histogram_observe(h, (double)us / 1e6);
}

void sb_metric_histogram_observe_ns(struct sb_metric_histogram *h, uint64_t ns)
{
	sb_metric_histogram_observe(h, (double)ns / 1e9);
}

uint64_t sb_metric_histogram_count(const struct sb_metric_histogram *h)
{
	return h ? h->count : 0;
}

static void ob_value(struct sb_buf *b, double value_metric)
{
	char num[64];
	sb_metrics_format_value(value_metric, num, sizeof num);
	sb_buf_puts(b, num);
}

static void ob_u64(struct sb_buf *b, uint64_t v)
{
	sb_buf_printf(b, "%llu", (unsigned long long)v);
}

static void ob_dec(struct sb_buf *b, sb_dec v)
{
	char num[SB_DEC_STRLEN];
	sb_dec_format_trim(v, num, sizeof num);
	sb_buf_puts(b, num);
}

/* name{labels} with an optional extra le="..." label, then a space. */
static void ob_sample_head(struct sb_buf *b, const char *name, const char *suffix, const char *labels,
                           const char *le)
{
	sb_buf_puts(b, name);
	sb_buf_puts(b, suffix);
	if (*labels || le) {
		sb_buf_puts(b, "{");
		sb_buf_puts(b, labels);
		if (le) {
			if (*labels)
				sb_buf_puts(b, ",");
			sb_buf_puts(b, "le=\"");
			sb_buf_puts(b, le);
			sb_buf_puts(b, "\"");
		}
		sb_buf_puts(b, "}");
	}
	sb_buf_puts(b, " ");
}

static void render_histogram(struct sb_buf *b, const struct family *f, const struct series *s)
{
	const struct sb_metric_histogram *h = s->u.histogram;
	char le[64];
	uint64_t cumulative = 0;
	for (size_t i = 0; i <= h->nbounds; i++) {
		cumulative += h->counts[i];
		if (i < h->nbounds)
			sb_metrics_format_value(h->histogram_bounds[i], le, sizeof le);
		else
			memcpy(le, "+Inf", 5);
		ob_sample_head(b, f->name, "_bucket", s->labels, le);
		ob_u64(b, cumulative);
		sb_buf_puts(b, "\n");
	}
	ob_sample_head(b, f->name, "_sum", s->labels, NULL);
	ob_value(b, h->sum_metric);
	sb_buf_puts(b, "\n");
	ob_sample_head(b, f->name, "_count", s->labels, NULL);
	ob_u64(b, h->count);
	sb_buf_puts(b, "\n");
}

static void render_series(struct sb_buf *b, const struct family *f, const struct series *s)
{
	if (f->type == FAMILY_HISTOGRAM) {
		render_histogram(b, f, s);
		return;
	}
	ob_sample_head(b, f->name, "", s->labels, NULL);
	switch (s->src) {
	case SRC_COUNTER_FN:
		ob_u64(b, s->counter_fn(s->user));
		break;
	case SRC_GAUGE_FN:
	case SRC_COUNTER_METRIC_FN:
		ob_value(b, s->gauge_fn(s->user));
		break;
	case SRC_DEC_FN:
		ob_dec(b, s->dec_fn(s->user));
		break;
	case SRC_STORED:
		if (f->type == FAMILY_COUNTER)
			ob_u64(b, s->u.counter.value);
		else if (s->u.gauge.is_dec)
			ob_dec(b, s->u.gauge.dec);
		else
			ob_value(b, s->u.gauge.value_metric);
		break;
	}
	sb_buf_puts(b, "\n");
}

static const char *type_name(enum family_type t)
{
	switch (t) {
	case FAMILY_COUNTER:
		return "counter";
	case FAMILY_GAUGE:
		return "gauge";
	case FAMILY_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

sb_err sb_metrics_render(const struct sb_metrics *m, char **out, size_t *len)
{
	if (!m || !out || !len)
		return SB_ERR_INVALID;
	struct sb_buf b;
	sb_buf_init(&b, SB_METRICS_RENDER_MAX);
	for (size_t i = 0; i < m->nfamilies; i++) {
		const struct family *f = m->families[i];
		sb_buf_puts(&b, "# HELP ");
		sb_buf_puts(&b, f->name);
		sb_buf_puts(&b, " ");
		sb_buf_puts(&b, f->help);
		sb_buf_puts(&b, "\n# TYPE ");
		sb_buf_puts(&b, f->name);
		sb_buf_puts(&b, " ");
		sb_buf_puts(&b, type_name(f->type));
		sb_buf_puts(&b, "\n");
		for (size_t j = 0; j < f->nseries; j++)
			render_series(&b, f, f->series[j]);
	}
	*len = b.len;
	*out = sb_buf_take(&b);
	return *out ? SB_OK : SB_ERR_TOO_LONG;
}

sb_err sb_metrics_process_rss_bytes(uint64_t *out)
{
	if (!out)
		return SB_ERR_INVALID;
	FILE *fp = fopen("/proc/self/statm", "r");
	if (!fp)
		return SB_ERR_IO;
	char line[256];
	bool got = fgets(line, sizeof line, fp) != NULL;
	fclose(fp);
	if (!got)
		return SB_ERR_IO;
	/* Fields: size resident shared text lib data dt, in pages; the second is the resident set. */
	const char *p = line + strspn(line, "0123456789");
	int64_t resident;
	if (p == line || *p++ != ' ' || !sb_parse_i64(p, strspn(p, "0123456789"), 0, INT64_MAX, &resident))
		return SB_ERR_IO;
	long page = sysconf(_SC_PAGESIZE);
	if (page <= 0)
		return SB_ERR_IO;
	*out = (uint64_t)resident * (uint64_t)page;
	return SB_OK;
}

static double rss_gauge_metric(void *user)
{
	(void)user;
	uint64_t rss = 0;
	if (sb_metrics_process_rss_bytes(&rss) != SB_OK)
		return 0;
	return (double)rss;
}

/* Entries of /proc/self/fd but the one opendir holds while counting. */
static double fds_gauge_metric(void *user)
{
	(void)user;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	double n_metric = 0;
	for (const struct dirent *e; (e = readdir(d)) != NULL;)
		if (e->d_name[0] != '.')
			n_metric++;
	closedir(d);
	return n_metric > 0 ? n_metric - 1 : 0;
}

/* User and system CPU time of the process so far, in seconds (0 when getrusage fails). */
static double cpu_seconds(void *user)
{
	(void)user;
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	int64_t us = ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
	             ru.ru_stime.tv_usec;
	return (double)us / 1e6;
}

sb_err sb_metrics_register_process(struct sb_metrics *m)
{
	SB_TRY(sb_metrics_gauge_fn(m, SB_METRIC_PROCESS_RSS, sb_metric_help(SB_METRIC_PROCESS_RSS), NULL, 0,
	                           rss_gauge_metric, NULL));
	SB_TRY(sb_metrics_gauge_fn(m, SB_METRIC_PROCESS_FDS, sb_metric_help(SB_METRIC_PROCESS_FDS), NULL, 0,
	                           fds_gauge_metric, NULL));
	SB_TRY(sb_metrics_counter_metric_fn(m, SB_METRIC_PROCESS_CPU, sb_metric_help(SB_METRIC_PROCESS_CPU),
	                                    NULL, 0, cpu_seconds, NULL));
	struct sb_metric_gauge *start = NULL;
	SB_TRY(sb_metrics_gauge(m, SB_METRIC_PROCESS_START, sb_metric_help(SB_METRIC_PROCESS_START), NULL, 0,
	                        &start));
	sb_metric_gauge_set(start, (double)sb_clock_wall_ms() / 1000);
	struct sb_metric_gauge *info = NULL;
	struct sb_metric_label version = {"version", SB_VERSION};
	SB_TRY(sb_metrics_gauge(m, SB_METRIC_BUILD_INFO, sb_metric_help(SB_METRIC_BUILD_INFO), &version, 1,
	                        &info));
	sb_metric_gauge_set(info, 1);
	return SB_OK;
}

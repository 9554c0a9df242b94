/*
 * sbtest_prom.h - a small parser of the Prometheus text exposition format 0.0.4 for tests: it checks the
 * page's grammar as it reads (names, label escapes, one # HELP and # TYPE per family before its samples,
 * histogram suffixes, numbers) with Criterion assertions, and keeps every sample for lookups.
 */
#ifndef SBTEST_PROM_H
#define SBTEST_PROM_H

#include <stdbool.h>
#include <stddef.h>

#define SBT_PROM_SAMPLES  4096
#define SBT_PROM_FAMILIES 64
#define SBT_PROM_LABELS   10

struct sbt_prom_sample {
	char name[128];                    /* sample name, suffix included */
	char lname[SBT_PROM_LABELS][64];   /* label names */
	char lvalue[SBT_PROM_LABELS][300]; /* unescaped label values */
	int nlabels;                       /* labels used */
	double value;                      /* parsed value */
};

struct sbt_prom_family {
	char name[128]; /* from # TYPE */
	char type[16];  /* counter, gauge, histogram */
	char help[512]; /* unescaped help */
	bool helped;    /* # HELP seen */
};

struct sbt_prom_doc {
	struct sbt_prom_sample samples[SBT_PROM_SAMPLES];   /* in order */
	int nsamples;                                       /* used */
	struct sbt_prom_family families[SBT_PROM_FAMILIES]; /* in order */
	int nfamilies;                                      /* used */
};

/* Parses a whole page into d (zeroed first); every line must end in '\n'. Fails the test on bad syntax. */
void sbt_prom_parse(struct sbt_prom_doc *d, const char *text);

/* The family named name (from # HELP or # TYPE), or NULL. */
struct sbt_prom_family *sbt_prom_family(struct sbt_prom_doc *d, const char *name);

/* The value of label name of s, or NULL. */
const char *sbt_prom_label(const struct sbt_prom_sample *s, const char *name);

/* As sbt_prom_find, but NULL when there is no such sample. */
const struct sbt_prom_sample *sbt_prom_lookup(const struct sbt_prom_doc *d, const char *name,
                                              const char *const *want, int nwant, const char *le);

/*
 * The one sample called name whose labels are exactly want (nwant strings: name, value, name, value...)
 * plus le when given. Fails the test when there is none or more than one.
 */
const struct sbt_prom_sample *sbt_prom_find(const struct sbt_prom_doc *d, const char *name,
                                            const char *const *want, int nwant, const char *le);

#endif

/*
 * sbtest_prom.c - the Prometheus text-format 0.0.4 parser of sbtest_prom.h, written from the format's
 * description and independent of the renderer it checks. Every violation fails the running test.
 */
#include "sbtest_prom.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool p_name_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
	       (!first && c >= '0' && c <= '9');
}

static const char *p_name(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	while (p_name_char(s[n], n == 0)) {
		cr_assert_lt(n + 1, cap);
		out[n] = s[n];
		n++;
	}
	cr_assert_gt(n, 0, "expected a name at: %.40s", s);
	out[n] = '\0';
	return s + n;
}

struct sbt_prom_family *sbt_prom_family(struct sbt_prom_doc *d, const char *name)
{
	for (int i = 0; i < d->nfamilies; i++)
		if (strcmp(d->families[i].name, name) == 0)
			return &d->families[i];
	return NULL;
}

/* The family a sample belongs to: its name, or its name without a histogram suffix. */
static struct sbt_prom_family *p_family_for_sample(struct sbt_prom_doc *d, const char *sample)
{
	struct sbt_prom_family *f = sbt_prom_family(d, sample);
	if (f)
		return f;
	static const char *suffixes[] = {"_bucket", "_sum", "_count"};
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(sample), k = strlen(suffixes[i]);
		if (n > k && strcmp(sample + n - k, suffixes[i]) == 0) {
			char base[128];
			memcpy(base, sample, n - k);
			base[n - k] = '\0';
			f = sbt_prom_family(d, base);
			if (f && strcmp(f->type, "histogram") == 0)
				return f;
		}
	}
	return NULL;
}

static void p_sample_line(struct sbt_prom_doc *d, const char *line)
{
	cr_assert_lt(d->nsamples, SBT_PROM_SAMPLES);
	struct sbt_prom_sample *s = &d->samples[d->nsamples++];
	memset(s, 0, sizeof *s);
	const char *p = p_name(line, s->name, sizeof s->name);
	cr_assert_not_null(p_family_for_sample(d, s->name), "sample %s before its # TYPE", s->name);
	if (*p == '{') {
		p++;
		while (*p != '}') {
			cr_assert_lt(s->nlabels, SBT_PROM_LABELS);
			p = p_name(p, s->lname[s->nlabels], sizeof s->lname[0]);
			cr_assert_eq(*p++, '=');
			cr_assert_eq(*p++, '"');
			size_t n = 0;
			while (*p != '"') {
				cr_assert_neq(*p, '\0', "unterminated label value");
				cr_assert_neq(*p, '\n');
				char c = *p++;
				if (c == '\\') {
					char e = *p++;
					c = e == 'n' ? '\n' : e;
					cr_assert(e == 'n' || e == '\\' || e == '"', "bad escape \\%c", e);
				}
				cr_assert_lt(n + 1, sizeof s->lvalue[0]);
				s->lvalue[s->nlabels][n++] = c;
			}
			s->lvalue[s->nlabels][n] = '\0';
			p++;
			s->nlabels++;
			if (*p == ',')
				p++;
			else
				cr_assert_eq(*p, '}');
		}
		p++;
	}
	cr_assert_eq(*p++, ' ', "one space before the value in: %s", line);
	if (strcmp(p, "+Inf") == 0)
		s->value = INFINITY;
	else if (strcmp(p, "-Inf") == 0)
		s->value = -INFINITY;
	else if (strcmp(p, "NaN") == 0)
		s->value = NAN;
	else {
		char *end;
		s->value = strtod(p, &end);
		cr_assert(end != p && *end == '\0', "bad value in: %s", line);
	}
}

static void p_unescape_help(const char *in, char *out, size_t cap)
{
	size_t n = 0;
	for (; *in; in++) {
		char c = *in;
		if (c == '\\') {
			in++;
			cr_assert(*in == 'n' || *in == '\\', "bad help escape");
			c = *in == 'n' ? '\n' : '\\';
		}
		cr_assert_lt(n + 1, cap);
		out[n++] = c;
	}
	out[n] = '\0';
}

static void p_comment_line(struct sbt_prom_doc *d, const char *line)
{
	char name[128];
	if (strncmp(line, "# TYPE ", 7) == 0) {
		const char *p = p_name(line + 7, name, sizeof name);
		cr_assert_eq(*p++, ' ');
		cr_assert(strcmp(p, "counter") == 0 || strcmp(p, "gauge") == 0 ||
		          strcmp(p, "histogram") == 0);
		struct sbt_prom_family *f = sbt_prom_family(d, name);
		if (f) {
			cr_assert(f->helped && !f->type[0], "second # TYPE for %s", name);
		} else {
			cr_assert_lt(d->nfamilies, SBT_PROM_FAMILIES);
			f = &d->families[d->nfamilies++];
			snprintf(f->name, sizeof f->name, "%s", name);
		}
		snprintf(f->type, sizeof f->type, "%s", p);
	} else if (strncmp(line, "# HELP ", 7) == 0) {
		const char *p = p_name(line + 7, name, sizeof name);
		cr_assert_eq(*p++, ' ');
		cr_assert_null(sbt_prom_family(d, name), "second # HELP for %s", name);
		cr_assert_lt(d->nfamilies, SBT_PROM_FAMILIES);
		struct sbt_prom_family *f = &d->families[d->nfamilies++];
		snprintf(f->name, sizeof f->name, "%s", name);
		p_unescape_help(p, f->help, sizeof f->help);
		f->helped = true;
	}
}

/* Parses a whole page; every line must end in '\n'. */
void sbt_prom_parse(struct sbt_prom_doc *d, const char *text)
{
	memset(d, 0, sizeof *d);
	char line[4096];
	while (*text) {
		const char *nl = strchr(text, '\n');
		cr_assert_not_null(nl, "last line lacks its newline");
		size_t n = (size_t)(nl - text);
		cr_assert_lt(n, sizeof line);
		memcpy(line, text, n);
		line[n] = '\0';
		if (line[0] == '#')
			p_comment_line(d, line);
		else
			p_sample_line(d, line);
		text = nl + 1;
	}
}

const char *sbt_prom_label(const struct sbt_prom_sample *s, const char *name)
{
	for (int i = 0; i < s->nlabels; i++)
		if (strcmp(s->lname[i], name) == 0)
			return s->lvalue[i];
	return NULL;
}

/* The one sample with this name whose labels are exactly want (plus le when given). */
const struct sbt_prom_sample *sbt_prom_lookup(const struct sbt_prom_doc *d, const char *name,
                                              const char *const *want, int nwant, const char *le)
{
	const struct sbt_prom_sample *found = NULL;
	for (int i = 0; i < d->nsamples; i++) {
		const struct sbt_prom_sample *s = &d->samples[i];
		if (strcmp(s->name, name) != 0 || s->nlabels != nwant / 2 + (le ? 1 : 0))
			continue;
		bool match = true;
		for (int k = 0; k < nwant; k += 2) {
			const char *v = sbt_prom_label(s, want[k]);
			if (!v || strcmp(v, want[k + 1]) != 0)
				match = false;
		}
		if (le && (!sbt_prom_label(s, "le") || strcmp(sbt_prom_label(s, "le"), le) != 0))
			match = false;
		if (match) {
			cr_assert_null(found, "two samples of %s with the same labels", name);
			found = s;
		}
	}
	return found;
}

const struct sbt_prom_sample *sbt_prom_find(const struct sbt_prom_doc *d, const char *name,
                                            const char *const *want, int nwant, const char *le)
{
	const struct sbt_prom_sample *found = sbt_prom_lookup(d, name, want, nwant, le);
	cr_assert_not_null(found, "no sample %s", name);
	return found;
}

/*
 * config_write.c - the configuration as text: `spotbot config --show` (valid .env text, secrets redacted),
 * the generated .env.example and the Markdown reference table of docs/configuration.md. All three walk
 * the options table, which is what keeps the example and the docs in step with the code.
 */
#include <stdio.h>
#include <string.h>

#include "common/config_int.h"

/* Width of the comment text in .env.example, "# " included. */
#define EXAMPLE_WIDTH 100

/* Room for any formatted value: a line of the file is at most SB_CONFIG_MAX_LINE bytes. */
#define VALUE_CAP (SB_CONFIG_MAX_LINE + 1)

/* Writes v as a .env value: bare when that reads back the same, else single or double quoted. */
static void write_env_value(FILE *out, const char *v)
{
	bool bare = true, single_ok = true;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f || c == '\'')
			single_ok = false;
		if (c <= ' ' || c == 0x7f || c == '#' || c == '\'' || c == '"' || c == '\\')
			bare = false;
	}
	if (bare) {
		fputs(v, out);
	} else if (single_ok) {
		fprintf(out, "'%s'", v);
	} else {
		fputc('"', out);
		for (const char *p = v; *p; p++) {
			if (*p == '"' || *p == '\\')
				fprintf(out, "\\%c", *p);
			else if (*p == '\n')
				fputs("\\n", out);
			else
				fputc(*p, out);
		}
		fputc('"', out);
	}
}

void sb_config_print(const struct sb_config *cfg, FILE *out)
{
	size_t n;
	const struct sb_option *opts = sb_config_options(&n);
	char value[VALUE_CAP];
	if (!cfg || !out)
		return;
	for (size_t i = 0; i < n; i++) {
		sb__config_format(cfg, &opts[i], value, sizeof value);
		/* Commented out, so the output stays loadable: the file may not set it. */
		if (opts[i].flags & SB_OPT_ENV_ONLY)
			fputs("# (environment only) ", out);
		fprintf(out, "%s=", opts[i].name);
		if ((opts[i].flags & SB_OPT_SECRET) && value[0])
			fputs("<redacted>", out);
		else
			write_env_value(out, value);
		fputc('\n', out);
	}
}

/* "integer 1..60000", "one of paper, live", "secret string", ... ; markdown puts names in backticks. */
static void describe_type(const struct sb_option *opt, bool markdown, char *buf, size_t cap)
{
	static const char *const type_names[] = {
	    [SB_OPT_STRING] = "string", [SB_OPT_INT] = "integer",     [SB_OPT_BOOL] = "boolean",
	    [SB_OPT_ENUM] = "one of",   [SB_OPT_DECIMAL] = "decimal", [SB_OPT_DURATION] = "duration",
	    [SB_OPT_SIZE] = "size",     [SB_OPT_URL] = "URL",         [SB_OPT_LISTEN] = "listen address",
	};
	const char *tick = markdown ? "`" : "";
	size_t o = (size_t)snprintf(buf, cap, "%s%s", (opt->flags & SB_OPT_SECRET) ? "secret " : "",
	                            type_names[opt->type]);
	if (opt->type == SB_OPT_ENUM) {
		for (size_t i = 0; opt->names[i] && o < cap; i++)
			o += (size_t)snprintf(buf + o, cap - o, "%s %s%s%s", i ? "," : "", tick,
			                      opt->names[i], tick);
	} else if (opt->min <= opt->max && o < cap) {
		char lo[32], hi[32];
		sb__config_format_number(opt, opt->min, lo, sizeof lo);
		sb__config_format_number(opt, opt->max, hi, sizeof hi);
		o += (size_t)snprintf(buf + o, cap - o, " %s..%s", lo, hi);
	}
	if ((opt->flags & (SB_OPT_HTTP_URL | SB_OPT_WS_URL)) && o < cap)
		o += (size_t)snprintf(buf + o, cap - o, " (%s)",
		                      (opt->flags & SB_OPT_HTTP_URL) ? "http, https" : "ws, wss");
	if ((opt->flags & SB_OPT_ENV_ONLY) && o < cap)
		snprintf(buf + o, cap - o, ", environment only");
}

/* The default, as text: "paper", "empty", or both MODE-dependent defaults. */
static void describe_default(const struct sb_option *opt, bool markdown, char *buf, size_t cap)
{
	const char *tick = markdown ? "`" : "";
	if (!(opt->flags & SB_OPT_BY_MODE)) {
		if (opt->def[0])
			snprintf(buf, cap, "%s%s%s", tick, opt->def, tick);
		else
			snprintf(buf, cap, "empty");
	} else if (markdown) {
		snprintf(buf, cap, "paper: `%s`<br>live: %s%s%s", opt->def, opt->def_live ? "`" : "",
		         opt->def_live ? opt->def_live : "required", opt->def_live ? "`" : "");
	} else if (opt->def_live) {
		snprintf(buf, cap, "%s in paper mode, %s in live mode", opt->def, opt->def_live);
	} else {
		snprintf(buf, cap, "%s in paper mode, required in live mode", opt->def);
	}
}

/* Writes text as "# "-prefixed lines no wider than EXAMPLE_WIDTH, breaking at spaces. */
static void write_wrapped_comment(FILE *out, const char *text)
{
	const size_t width = EXAMPLE_WIDTH - 2;
	while (*text) {
		size_t len = strlen(text), cut = len;
		if (len > width) {
			cut = width;
			while (cut > 0 && text[cut] != ' ')
				cut--;
			if (cut == 0)
				cut = width;
		}
		fprintf(out, "# %.*s\n", (int)cut, text);
		text += cut;
		while (*text == ' ')
			text++;
	}
}

void sb_config_write_example(FILE *out)
{
	size_t n;
	const struct sb_option *opts = sb_config_options(&n);
	char type[256], def[512], line[1024];
	if (!out)
		return;
	fputs(
	    "# spotbot configuration. Copy this file to .env, make it private (chmod 600 .env) and uncomment\n"
	    "# what you change. Environment variables override the file. Generated from the options table by\n"
	    "# `spotbot config --example`; docs/configuration.md explains every option.\n",
	    out);
	for (size_t i = 0; i < n; i++) {
		const struct sb_option *opt = &opts[i];
		describe_type(opt, false, type, sizeof type);
		describe_default(opt, false, def, sizeof def);
		snprintf(line, sizeof line, "%s: %s. Default: %s.", opt->name, type, def);
		fputc('\n', out);
		write_wrapped_comment(out, line);
		write_wrapped_comment(out, opt->help);
		if (opt->flags & SB_OPT_ENV_ONLY) {
			fprintf(out, "# (not read from this file: export %s in the environment)\n",
			        opt->name);
			continue;
		}
		fprintf(out, "# %s=", opt->name);
		write_env_value(out, opt->def);
		fputc('\n', out);
	}
}

/* Writes s for a Markdown table cell: '|' escaped so it does not end the cell. */
static void write_cell(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '|')
			fputc('\\', out);
		fputc(*s, out);
	}
}

void sb_config_write_markdown(FILE *out)
{
	size_t n;
	const struct sb_option *opts = sb_config_options(&n);
	char type[256], def[512];
	if (!out)
		return;
	fputs("| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n", out);
	for (size_t i = 0; i < n; i++) {
		describe_type(&opts[i], true, type, sizeof type);
		describe_default(&opts[i], true, def, sizeof def);
		fprintf(out, "| `%s` | ", opts[i].name);
		write_cell(out, type);
		fputs(" | ", out);
		write_cell(out, def);
		fputs(" | ", out);
		write_cell(out, opts[i].help);
		fputs(" |\n", out);
	}
}

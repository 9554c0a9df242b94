/*
 * The CLI's tables and cell formats: columns padded to their widest cell (left or right aligned, UTF-8
 * counted as characters), no trailing spaces, no colour codes unless asked for, colour that does not
 * disturb the alignment, the terminal/NO_COLOR/CLICOLOR_FORCE decision, and the display forms of times,
 * durations and decimals.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/table.h"
#include "spotbot/clock.h"

/* Renders t into a NUL-terminated heap string. */
static char *render(const struct sb_table *t, bool color)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	sb_table_print(t, f, color);
	fclose(f);
	return buf;
}

/* Removes ANSI colour sequences (ESC [ ... m) in place. */
static void strip_ansi(char *s)
{
	char *w = s;
	for (const char *r = s; *r;) {
		if (r[0] == '\x1b' && r[1] == '[') {
			r += 2;
			while (*r && *r != 'm')
				r++;
			if (*r)
				r++;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
}

static struct sb_table *sample(void)
{
	static const char *const head[] = {"ID", "SYMBOL", "PROFIT"};
	static const enum sb_table_align al[] = {SB_TABLE_RIGHT, SB_TABLE_LEFT, SB_TABLE_RIGHT};
	struct sb_table *t = sb_table_new(3, head, al);
	sb_table_row(t);
	sb_table_cell(t, "7", SB_TABLE_PLAIN);
	sb_table_cell(t, "BTCUSDT", SB_TABLE_PLAIN);
	sb_table_cell(t, "0.19524", SB_TABLE_GREEN);
	sb_table_row(t);
	sb_table_cell(t, "1234", SB_TABLE_PLAIN);
	sb_table_cell(t, "ETH", SB_TABLE_PLAIN);
	sb_table_cell(t, "-0.615", SB_TABLE_RED);
	return t;
}

Test(cli_table, columns_are_padded_to_the_widest_cell_and_aligned)
{
	struct sb_table *t = sample();
	char *out = render(t, false);
	cr_assert_str_eq(out, "  ID  SYMBOL    PROFIT\n"
	                      "   7  BTCUSDT  0.19524\n"
	                      "1234  ETH       -0.615\n");
	free(out);
	sb_table_free(t);
}

Test(cli_table, left_aligned_last_column_has_no_trailing_spaces)
{
	static const char *const head[] = {"KIND", "DETAIL"};
	struct sb_table *t = sb_table_new(2, head, NULL);
	sb_table_row(t);
	sb_table_cell(t, "fill", SB_TABLE_PLAIN);
	sb_table_cell(t, "{\"qty\":\"1\"}", SB_TABLE_PLAIN);
	sb_table_row(t);
	sb_table_cell(t, "position.closed", SB_TABLE_PLAIN);
	sb_table_cell(t, "", SB_TABLE_PLAIN);
	char *out = render(t, false);
	cr_assert_str_eq(out, "KIND             DETAIL\n"
	                      "fill             {\"qty\":\"1\"}\n"
	                      "position.closed\n");
	free(out);
	sb_table_free(t);
}

Test(cli_table, no_colour_codes_without_colour)
{
	struct sb_table *t = sample();
	char *out = render(t, false);
	cr_assert_null(strchr(out, '\x1b'));
	free(out);
	sb_table_free(t);
}

Test(cli_table, colour_when_forced_paints_cells_and_keeps_alignment)
{
	struct sb_table *t = sample();
	char *plain = render(t, false);
	char *painted = render(t, true);
	cr_assert_not_null(strstr(painted, "\x1b[32m0.19524\x1b[0m"), "green profit in:\n%s", painted);
	cr_assert_not_null(strstr(painted, "\x1b[31m-0.615\x1b[0m"), "red loss in:\n%s", painted);
	cr_assert_not_null(strstr(painted, "\x1b[1mSYMBOL\x1b[0m"), "bold header in:\n%s", painted);
	/* Plain cells carry no codes. */
	cr_assert_not_null(strstr(painted, " BTCUSDT "));
	strip_ansi(painted);
	cr_assert_str_eq(painted, plain);
	free(plain);
	free(painted);
	sb_table_free(t);
}

Test(cli_table, utf8_cells_count_characters_not_bytes)
{
	static const char *const head[] = {"SYMBOL", "N"};
	struct sb_table *t = sb_table_new(2, head, NULL);
	sb_table_row(t);
	sb_table_cell(t, "币安USDT", SB_TABLE_PLAIN); /* 6 characters, 10 bytes */
	sb_table_cell(t, "1", SB_TABLE_PLAIN);
	sb_table_row(t);
	sb_table_cell(t, "BTCUSDT", SB_TABLE_PLAIN);
	sb_table_cell(t, "2", SB_TABLE_PLAIN);
	char *out = render(t, false);
	cr_assert_str_eq(out, "SYMBOL   N\n"
	                      "币安USDT   1\n"
	                      "BTCUSDT  2\n");
	free(out);
	sb_table_free(t);
}

Test(cli_table, missing_cells_print_empty_and_extra_cells_are_dropped)
{
	static const char *const head[] = {"A", "B"};
	struct sb_table *t = sb_table_new(2, head, NULL);
	sb_table_cell(t, "before any row", SB_TABLE_PLAIN); /* dropped: no row yet */
	sb_table_row(t);
	sb_table_cell(t, "x", SB_TABLE_PLAIN);
	sb_table_row(t);
	sb_table_cell(t, "y", SB_TABLE_PLAIN);
	sb_table_cell(t, "z", SB_TABLE_PLAIN);
	sb_table_cell(t, "extra", SB_TABLE_PLAIN);
	cr_assert_eq(sb_table_rows(t), 2);
	char *out = render(t, false);
	cr_assert_str_eq(out, "A  B\nx\ny  z\n");
	free(out);
	sb_table_free(t);
}

Test(cli_table, long_cells_are_cut_with_an_ellipsis)
{
	static const char *const head[] = {"DETAIL"};
	char big[2000];
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	struct sb_table *t = sb_table_new(1, head, NULL);
	sb_table_row(t);
	sb_table_cell(t, big, SB_TABLE_PLAIN);
	char *out = render(t, false);
	char *row = strchr(out, '\n') + 1;
	cr_assert_eq(strlen(row), SB_TABLE_CELL_MAX - 1 + 1); /* the cell and its newline */
	cr_assert_eq(strncmp(row + SB_TABLE_CELL_MAX - 4, "...\n", 4), 0);
	free(out);
	sb_table_free(t);
}

Test(cli_table, rows_past_the_maximum_are_counted_not_kept)
{
	static const char *const head[] = {"N"};
	struct sb_table *t = sb_table_new(1, head, NULL);
	for (size_t i = 0; i < SB_TABLE_ROWS_MAX + 3; i++) {
		sb_table_row(t);
		sb_table_cell(t, "1", SB_TABLE_PLAIN);
	}
	cr_assert_eq(sb_table_rows(t), SB_TABLE_ROWS_MAX + 3);
	char *out = render(t, false);
	cr_assert_not_null(strstr(out, "(3 more rows not shown)\n"));
	free(out);
	sb_table_free(t);
}

Test(cli_table, new_refuses_bad_column_counts)
{
	static const char *const head[SB_TABLE_COLS_MAX + 1] = {"A"};
	cr_assert_null(sb_table_new(0, head, NULL));
	cr_assert_null(sb_table_new(SB_TABLE_COLS_MAX + 1, head, NULL));
	sb_table_free(NULL);
}

Test(cli_table, colour_decision_follows_terminal_no_color_and_force)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	FILE *pipe_out = fdopen(fds[1], "w");
	unsetenv("CLICOLOR_FORCE");
	unsetenv("NO_COLOR");
	cr_assert_not(sb_table_color_for(pipe_out), "a pipe is not a terminal");
	setenv("CLICOLOR_FORCE", "1", 1);
	cr_assert(sb_table_color_for(pipe_out), "CLICOLOR_FORCE forces colour");
	setenv("CLICOLOR_FORCE", "0", 1);
	cr_assert_not(sb_table_color_for(pipe_out), "CLICOLOR_FORCE=0 does not");
	unsetenv("CLICOLOR_FORCE");
	setenv("NO_COLOR", "1", 1);
	cr_assert_not(sb_table_color_for(pipe_out));
	fclose(pipe_out);
	close(fds[0]);
}

Test(cli_table, paint_wraps_only_when_on)
{
	char buf[64];
	cr_assert_str_eq(sb_table_paint("OK", SB_TABLE_GREEN, true, buf, sizeof buf), "\x1b[32mOK\x1b[0m");
	cr_assert_str_eq(sb_table_paint("OK", SB_TABLE_GREEN, false, buf, sizeof buf), "OK");
	cr_assert_str_eq(sb_table_paint("OK", SB_TABLE_PLAIN, true, buf, sizeof buf), "OK");
}

Test(cli_table, durations_read_like_2h_03m)
{
	char buf[SB_TABLE_DUR_SIZE];
	cr_assert_str_eq(sb_table_duration(0, buf, sizeof buf), "0s");
	cr_assert_str_eq(sb_table_duration(45999, buf, sizeof buf), "45s");
	cr_assert_str_eq(sb_table_duration(60000, buf, sizeof buf), "1m 00s");
	cr_assert_str_eq(sb_table_duration(12 * 60000 + 5000, buf, sizeof buf), "12m 05s");
	cr_assert_str_eq(sb_table_duration(2 * 3600000 + 3 * 60000 + 59000, buf, sizeof buf), "2h 03m");
	cr_assert_str_eq(sb_table_duration(3 * 86400000LL + 4 * 3600000LL, buf, sizeof buf), "3d 04h");
	cr_assert_str_eq(sb_table_duration(-1, buf, sizeof buf), "-");
	cr_assert_str_eq(sb_table_duration(INT64_MAX, buf, sizeof buf), "106751991167d 07h");
}

Test(cli_table, times_are_rfc3339_utc_to_the_second)
{
	char buf[32];
	int64_t ms = 0;
	const char *iso = "2026-01-15T10:00:00.789Z";
	cr_assert_eq(sb_clock_parse_rfc3339_ms(iso, strlen(iso), &ms), SB_OK);
	cr_assert_str_eq(sb_table_time(ms, buf, sizeof buf), "2026-01-15T10:00:00Z");
	cr_assert_str_eq(sb_table_time(0, buf, sizeof buf), "-");
}

Test(cli_table, decimals_are_trimmed_and_signs_coloured)
{
	char buf[SB_DEC_STRLEN];
	cr_assert_str_eq(sb_table_dec(SB_DEC_C(25, 2500000), buf, sizeof buf), "25.025");
	cr_assert_str_eq(sb_table_dec(-SB_DEC_C(0, 61500000), buf, sizeof buf), "-0.615");
	cr_assert_str_eq(sb_table_dec(SB_DEC_C(42, 0), buf, sizeof buf), "42");
	cr_assert_eq(sb_table_sign_color(1), SB_TABLE_GREEN);
	cr_assert_eq(sb_table_sign_color(-1), SB_TABLE_RED);
	cr_assert_eq(sb_table_sign_color(0), SB_TABLE_PLAIN);
}

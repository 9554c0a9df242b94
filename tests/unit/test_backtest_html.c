/*
 * test_backtest_html.c - the backtest's HTML report (backtest/bt_html.h, bt_svg.h) from a report built by
 * hand: the same report writes the same bytes, every text from the configuration is escaped, nothing is
 * fetched from elsewhere, the charts' points land where the exact arithmetic puts them, and thousands of
 * fills stay a bounded number of markers.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backtest/bt_fills.h"
#include "backtest/bt_html.h"
#include "backtest/bt_svg.h"
#include "backtest/bt_track.h"
#include "sbtest_dec.h"

#define MIN 60000

static size_t no_balances(void *user, const char **assets, sb_dec *amounts, size_t cap)
{
	(void)user;
	(void)cap;
	assets[0] = "USDT";
	amounts[0] = SB_DEC_C(1000, 0);
	return 1;
}

/* A report of one pair over an hour of rising prices, its configuration text hostile. */
static void make_report(struct sb_bt_report *r)
{
	memset(r, 0, sizeof *r);
	struct sb_bt_track_pair tp = {"LINKUSDT", "LINK", "USDT"};
	struct sb_bt_balance start = {"USDT", D("1000"), D("1000")};
	struct sb_bt_track *t = sb_bt_track_new(&tp, 1, &start, 1, no_balances, NULL);
	for (int64_t i = 0; i < 60; i++) {
		struct sb_kline c = {.open_time = i * MIN, .close_time = i * MIN + MIN - 1};
		c.open = c.low = SB_DEC_C(7, 0) + i * SB_DEC_C(0, 1000000);
		c.close = c.high = c.open + SB_DEC_C(0, 1000000);
		sb_bt_track_candle(t, 0, &c);
	}
	sb_bt_track_end(t);
	r->from_ms = 0;
	r->to_ms = 60 * MIN - 1;
	r->candles = 60;
	r->pairs = calloc(1, sizeof *r->pairs);
	r->npairs = 1;
	snprintf(r->pairs[0].symbol, sizeof r->pairs[0].symbol, "LINKUSDT");
	r->pairs[0].cycles = 1;
	r->pairs[0].last_price = D("7.6");
	r->pairs[0].marks = calloc(2, sizeof *r->pairs[0].marks);
	r->pairs[0].marks[0] = (struct sb_bt_mark){10 * MIN, D("7.1"), D("2"), 1, true};
	r->pairs[0].marks[1] = (struct sb_bt_mark){20 * MIN, D("7.2"), D("2"), 1, false};
	r->pairs[0].nmarks = 2;
	r->pairs_text = strdup("LINKUSDT:quote=20;<script>alert('x')</script>&\"");
	snprintf(r->balance, sizeof r->balance, "USDT=1000");
	r->path = "coarse";
	r->nbalances = 1;
	r->balances[0] = start;
	sb_bt_report_track(r, t);
	sb_bt_report_total(r);
}

/* The page of r, in a buffer the caller frees. */
static char *page(const struct sb_bt_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	sb_bt_report_html(r, f);
	fclose(f);
	return buf;
}

Test(backtest_html, the_same_report_writes_the_same_bytes)
{
	struct sb_bt_report a, b;
	make_report(&a);
	make_report(&b);
	char *x = page(&a), *y = page(&b);
	cr_assert_gt(strlen(x), 2000);
	cr_assert(strcmp(x, y) == 0, "byte-identical pages");
	free(x);
	free(y);
	sb_bt_report_fini(&a);
	sb_bt_report_fini(&b);
}

Test(backtest_html, texts_are_escaped_and_nothing_is_fetched)
{
	struct sb_bt_report r;
	make_report(&r);
	char *p = page(&r);
	cr_assert_null(strstr(p, "<script>alert"), "the configuration's text is not markup");
	cr_assert_not_null(strstr(p, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"));
	/* One script, the page's own; no address of anything outside it. */
	int scripts = 0;
	for (const char *s = p; (s = strstr(s, "<script")) != NULL; s++)
		scripts++;
	cr_assert_eq(scripts, 1);
	cr_assert_null(strstr(p, "src="));
	cr_assert_null(strstr(p, "href="));
	cr_assert_null(strstr(p, "url("));
	cr_assert_null(strstr(p, "@import"));
	cr_assert_null(strstr(p, "http"));
	free(p);
	sb_bt_report_fini(&r);
}

Test(backtest_html, points_land_where_exact_arithmetic_puts_them)
{
	/* A chart of 1000 x 500 px with no margins over [0, 100 s] and values fitted to [0, 100]: the margin
	 * added is 5, so the axis spans -5 to 105, and a value of 50 sits at (105 - 50) / 110 of 500 px. */
	static struct sb_bt_series s;
	sb_bt_series_init(&s);
	sb_bt_series_add(&s, 0, D("0"), D("0"), D("0"));
	sb_bt_series_add(&s, 50 * MIN, D("50"), D("50"), D("50"));
	sb_bt_series_add(&s, 100 * MIN, D("100"), D("100"), D("100"));
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sb_bt_chart c = {.f = f, .width = 1000, .height = 500, .t0 = 0, .t1 = 100 * MIN};
	sb_bt_chart_open(&c, "t", "test", D("0"), D("100"));
	sb_bt_chart_series(&c, &s, "line", false, true);
	sb_bt_chart_close(&c);
	fclose(f);
	/* x: 0, 500, 1000; y: 500 * 105 / 110 = 477.27 -> 477.3, 500 * 55 / 110 = 250, 500 * 5 / 110 = 22.7.
	 */
	cr_assert_not_null(strstr(buf, "<polyline class=\"line\" points=\"0,477.3 500,250 1000,22.7 \"/>"),
	                   "%s", buf);
	free(buf);
}

Test(backtest_html, thousands_of_fills_stay_a_bounded_number_of_markers)
{
	size_t n = 20000;
	struct sb_bt_fill *f = calloc(n, sizeof *f);
	for (size_t i = 0; i < n; i++)
		f[i] = (struct sb_bt_fill){
		    .time_ms = (int64_t)i * MIN, .buy = i % 2 == 0, .qty = D("1"), .quote_qty = D("7")};
	size_t nm = 0;
	struct sb_bt_mark *m = sb_bt_fills_marks(f, n, 0, (int64_t)n * MIN, &nm);
	cr_assert_leq(nm, 2 * SB_BT_MARK_COLUMNS);
	int64_t sum = 0;
	for (size_t i = 0; i < nm; i++) {
		sum += m[i].fills;
		cr_assert_eq(m[i].price, D("7"));
		cr_assert(i == 0 || m[i].time_ms >= m[i - 1].time_ms, "markers in time order");
	}
	cr_assert_eq(sum, (int64_t)n, "every fill is behind a marker");
	free(m);
	free(f);
}

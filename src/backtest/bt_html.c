/*
 * bt_html.c - the backtest's HTML report (bt_html.h): a page of sections written in order, its style and
 * its self-check inline, its charts from bt_svg.c. Amounts are printed from sb_dec.
 */
#include "backtest/bt_html.h"

#include <inttypes.h>
#include <string.h>

#include "backtest/bt_figures.h"
#include "backtest/bt_svg.h"
#include "backtest/bt_track.h"
#include "spotbot/clock.h"

#define WIDTH 1100 /* every chart's drawing width, px */

static const char style[] =
    "<style>\n"
    ":root{--ink:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--eq:#2563eb;--hold:#9ca3af;"
    "--buy:#16a34a;--sell:#dc2626}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.45 system-ui,-apple-system,'Segoe UI',"
    "Roboto,'Helvetica Neue',Arial,sans-serif}\n"
    "main{max-width:1180px;margin:0 auto;padding:28px 24px 48px}\n"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 10px}"
    "h3{font-size:16px;margin:0}\n"
    ".sub{color:var(--muted);margin:0}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-top:20px}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:12px 14px}\n"
    ".card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
    ".card .v{font-size:21px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums}\n"
    ".card .n{color:var(--muted);font-size:13px}\n"
    ".panel{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 16px;"
    "margin-bottom:14px}\n"
    ".pairhead{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:baseline;margin-bottom:6px}\n"
    ".pairhead span{color:var(--muted);font-size:13px}.pairhead b{color:var(--ink);font-weight:600}\n"
    ".legend{color:var(--muted);font-size:13px;margin:4px 0 0}\n"
    ".legend i{display:inline-block;width:18px;height:3px;vertical-align:middle;margin:0 4px 0 12px}\n"
    "svg.chart{width:100%;height:auto;display:block}\n"
    "svg .plot{fill:#fff;stroke:var(--line)}svg .grid{stroke:#f1f5f9}\n"
    "svg text{font-size:11px;fill:var(--muted)}svg .vlabel{text-anchor:end}svg .tlabel{text-anchor:middle}\n"
    "svg .equity{fill:none;stroke:var(--eq);stroke-width:2}svg .equity-band{fill:var(--eq);opacity:.15}\n"
    "svg .holding{fill:none;stroke:var(--hold);stroke-width:1.5;stroke-dasharray:5 4}\n"
    "svg .price{fill:none;stroke:#374151;stroke-width:1.2}svg .price-band{fill:#64748b;opacity:.18}\n"
    "svg .buy{fill:var(--buy);stroke:#fff;stroke-width:.8}svg .sell{fill:var(--sell);stroke:#fff;"
    "stroke-width:.8}\n"
    "svg .drawdown{fill:var(--sell);opacity:.08}svg .drawdown-label{fill:var(--sell)}\n"
    "svg .bar{fill:var(--eq);opacity:.8}svg .count{text-anchor:middle;fill:var(--ink)}\n"
    "table{border-collapse:collapse;width:100%;background:#fff;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:6px 7px;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap;"
    "font-size:13px}\n"
    "th{font-size:12px;color:var(--muted);font-weight:600;background:#f9fafb;white-space:normal}\n"
    "th:first-child,td:first-child{text-align:left}tr.total td{font-weight:600;background:#f9fafb}\n"
    ".scroll+.legend{margin-bottom:16px}\n"
    "td.fees{white-space:normal;min-width:180px;font-size:13px}\n"
    ".scroll{overflow-x:auto;border:1px solid var(--line);border-radius:10px}\n"
    ".pos{color:var(--buy)}.neg{color:var(--sell)}\n"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:6px 18px;margin:0}dt{color:var(--muted)}"
    "dd{margin:0}\n"
    "pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:13px}\n"
    "ul.limits li{margin-bottom:6px}\n"
    "footer{color:var(--muted);font-size:12px;margin-top:36px}\n"
    "</style>\n";

/* The self-check: every line chart has points and a size once laid out; the outcome goes to data-check. */
static const char script[] =
    "<script>\n"
    "(function () {\n"
    "  var charts = document.querySelectorAll('svg.chart'), points = 0, bad = [];\n"
    "  for (var i = 0; i < charts.length; i++) {\n"
    "    var c = charts[i], n = 0, lines = c.querySelectorAll('polyline, rect.bar');\n"
    "    for (var k = 0; k < lines.length; k++)\n"
    "      n += lines[k].points ? lines[k].points.numberOfItems : 1;\n"
    "    var box = c.getBoundingClientRect();\n"
    "    if (n === 0 || box.width < 100 || box.height < 50) bad.push(c.id);\n"
    "    points += n;\n"
    "  }\n"
    "  var marks = document.querySelectorAll('svg.chart .buy, svg.chart .sell').length;\n"
    "  document.body.setAttribute('data-check', bad.length ? 'empty: ' + bad.join(' ') :\n"
    "    'ok charts=' + charts.length + ' points=' + points + ' marks=' + marks);\n"
    "})();\n"
    "</script>\n";

/* ---- small writers ------------------------------------------------------------------------------------ */

static void esc(FILE *f, const char *s)
{
	sb_bt_html_escape(f, s);
}

/* An amount, trimmed; with class pos or neg when signed. */
static void amount(FILE *f, sb_dec v, bool signed_)
{
	char buf[SB_DEC_STRLEN];
	sb_dec_format_trim(v, buf, sizeof buf);
	if (signed_ && v != 0)
		fprintf(f, "<span class=\"%s\">%s%s</span>", v > 0 ? "pos" : "neg", v > 0 ? "+" : "", buf);
	else
		fputs(buf, f);
}

/* An amount rounded for reading at a glance: two places from 100 up, four from 1, else all eight. */
static void short_amount(sb_dec v, char *buf, size_t cap)
{
	sb_dec a = sb_dec_abs(v);
	unsigned places = a >= SB_DEC_C(100, 0) ? 2 : a >= SB_DEC_ONE ? 4 : 8;
	if (places == 8)
		sb_dec_format_trim(v, buf, cap);
	else
		sb_dec_format_places(v, places, SB_ROUND_HALF_EVEN, buf, cap);
}

/* The same, for the cards; with class pos or neg when signed. */
static void amount2(FILE *f, sb_dec v, bool signed_)
{
	char buf[SB_DEC_STRLEN];
	short_amount(v, buf, sizeof buf);
	if (signed_ && v != 0)
		fprintf(f, "<span class=\"%s\">%s%s</span>", v > 0 ? "pos" : "neg", v > 0 ? "+" : "", buf);
	else
		fputs(buf, f);
}

static void pct(FILE *f, sb_dec v)
{
	char buf[SB_DEC_STRLEN];
	sb_dec_format_places(v, 2, SB_ROUND_HALF_EVEN, buf, sizeof buf);
	fprintf(f, "%s%%", buf);
}

/* "2023-02-01 00:00" of ms. */
static void when(FILE *f, int64_t ms)
{
	char iso[SB_CLOCK_RFC3339_MS_SIZE];
	sb_clock_format_rfc3339_ms(ms, iso, sizeof iso);
	fprintf(f, "%.10s %.5s", iso, iso + 11);
}

/* "2d 03:04" or "03:04:05". */
static void duration(FILE *f, int64_t ms)
{
	int64_t s = ms / 1000;
	if (s >= 86400)
		fprintf(f, "%" PRId64 "d %02d:%02d", s / 86400, (int)(s % 86400 / 3600),
		        (int)(s % 3600 / 60));
	else
		fprintf(f, "%02d:%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60), (int)(s % 60));
}

static void fees(FILE *f, const struct sb_bt_pair_report *p)
{
	if (!p->fees[0].asset[0])
		fputs("0", f);
	for (size_t k = 0; k < SB_BT_ASSETS_MAX && p->fees[k].asset[0]; k++) {
		fputs(k ? " + " : "", f);
		amount(f, p->fees[k].amount, false);
		fputc(' ', f);
		esc(f, p->fees[k].asset);
	}
}

/* ---- sections ----------------------------------------------------------------------------------------- */

static void head(const struct sb_bt_report *r, FILE *f)
{
	fputs(
	    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>spotbot backtest ",
	    f);
	when(f, r->from_ms);
	fputs(" .. ", f);
	when(f, r->to_ms);
	fputs("</title>\n", f);
	fputs(style, f);
	fputs("</head>\n<body>\n<main>\n<h1>spotbot backtest</h1>\n<p class=\"sub\">", f);
	when(f, r->from_ms);
	fputs(" to ", f);
	when(f, r->to_ms);
	fprintf(f, " UTC &middot; %" PRId64 " candles &middot; %zu pair%s &middot; %s price path</p>\n",
	        r->candles, r->npairs, r->npairs == 1 ? "" : "s", r->path ? r->path : "coarse");
}

static void card_open(FILE *f, const char *key)
{
	fprintf(f, "<div class=\"card\"><div class=\"k\">%s</div><div class=\"v\">", key);
}

static void cards(const struct sb_bt_report *r, FILE *f)
{
	const struct sb_bt_pair_report *t = &r->total;
	const char *v = r->value_asset;
	sb_dec change = r->equity_end - r->equity_start;
	fputs("<section class=\"cards\">\n", f);
	card_open(f, "Equity at the end");
	amount2(f, r->equity_end, false);
	fputs("</div><div class=\"n\">", f);
	amount2(f, change, true);
	fputs(" (", f);
	pct(f, sb_bt_percent(change, r->equity_start));
	fputs(") from ", f);
	amount2(f, r->equity_start, false);
	fputc(' ', f);
	esc(f, v);
	fputs("</div></div>\n", f);
	card_open(f, "Against holding");
	amount2(f, t->vs_hold, true);
	fputs("</div><div class=\"n\">holding would end at ", f);
	amount2(f, r->holding_end, false);
	fputs("</div></div>\n", f);
	card_open(f, "Max drawdown");
	amount2(f, t->drawdown.amount, false);
	fputs("</div><div class=\"n\">", f);
	pct(f, t->drawdown_pct);
	fputs(" from its peak</div></div>\n", f);
	card_open(f, "Realised profit");
	amount2(f, t->realized_profit, true);
	fprintf(f,
	        "</div><div class=\"n\">%" PRId64 " cycles: %" PRId64 " won, %" PRId64 " lost</div></div>\n",
	        t->cycles, t->wins, t->losses);
	card_open(f, "Time in the market");
	pct(f, t->market_pct);
	fputs("</div><div class=\"n\">of the window, any pair holding</div></div>\n", f);
	card_open(f, "Open at the end");
	fprintf(f, "%" PRId64 "</div><div class=\"n\">positions, worth ", t->open);
	amount(f, t->open_value, false);
	fputs("</div></div>\n</section>\n", f);
}

/* The lowest and highest of two series (b may be NULL); false when neither has a point. */
static bool range2(const struct sb_bt_series *a, const struct sb_bt_series *b, sb_dec *lo, sb_dec *hi)
{
	sb_dec l2 = 0, h2 = 0;
	bool has_a = sb_bt_series_range(a, lo, hi), has_b = b && sb_bt_series_range(b, &l2, &h2);
	if (has_b && (!has_a || l2 < *lo))
		*lo = l2;
	if (has_b && (!has_a || h2 > *hi))
		*hi = h2;
	return has_a || has_b;
}

/* A chart of the window's width and height h whose value axis spans a and b (b may be NULL). */
static bool window_chart(const struct sb_bt_report *r, FILE *f, struct sb_bt_chart *c, int64_t h,
                         const struct sb_bt_series *a, const struct sb_bt_series *b)
{
	sb_dec lo = 0, hi = 0;
	if (!range2(a, b, &lo, &hi))
		return false;
	*c = (struct sb_bt_chart){.f = f,
	                          .width = WIDTH,
	                          .height = h,
	                          .left = 78,
	                          .right = 16,
	                          .top = 12,
	                          .bottom = 28,
	                          .t0 = r->from_ms,
	                          .t1 = r->to_ms + 1};
	return true;
}

/* The account's equity on its own scale, its largest drawdown shaded. */
static void equity_chart(const struct sb_bt_report *r, FILE *f)
{
	const struct sb_bt_series *eq = sb_bt_track_equity(r->track);
	struct sb_bt_chart c;
	fputs("<h2>Equity</h2>\n<div class=\"panel\">\n", f);
	if (!window_chart(r, f, &c, 300, eq, NULL)) {
		fputs("<p>No step was valued.</p></div>\n", f);
		return;
	}
	sb_dec lo = 0, hi = 0;
	(void)sb_bt_series_range(eq, &lo, &hi);
	sb_bt_chart_open(&c, "equity", "the account's equity", lo, hi);
	const struct sb_bt_drawdown *dd = &r->total.drawdown;
	if (dd->amount > 0) {
		char label[96], a[SB_DEC_STRLEN], p[SB_DEC_STRLEN];
		short_amount(dd->amount, a, sizeof a);
		sb_dec_format_places(r->total.drawdown_pct, 2, SB_ROUND_HALF_EVEN, p, sizeof p);
		snprintf(label, sizeof label, "max drawdown -%s (%s%%)", a, p);
		sb_bt_chart_stretch(&c, dd->peak_ms, dd->trough_ms, "drawdown", label);
	}
	sb_bt_chart_series(&c, eq, "equity", true, true);
	sb_bt_chart_close(&c);
	fputs("<p class=\"legend\"><i style=\"background:var(--eq)\"></i>equity in ", f);
	esc(f, r->value_asset);
	fputs(
	    ": every balance, free and locked, at the last closes (the band spans each point's low and high)"
	    "<i style=\"background:var(--sell);opacity:.3;height:8px\"></i>the largest drawdown, peak to "
	    "trough</p>\n</div>\n",
	    f);
}

/* Equity against the holding, on one scale. */
static void holding_chart(const struct sb_bt_report *r, FILE *f)
{
	const struct sb_bt_series *eq = sb_bt_track_equity(r->track), *hold = sb_bt_track_holding(r->track);
	struct sb_bt_chart c;
	sb_dec lo = 0, hi = 0;
	if (!window_chart(r, f, &c, 260, eq, hold) || !range2(eq, hold, &lo, &hi))
		return;
	fputs("<h2>Against holding</h2>\n<div class=\"panel\">\n", f);
	sb_bt_chart_open(&c, "holding", "the account's equity against holding the pairs", lo, hi);
	sb_bt_chart_series(&c, hold, "holding", false, true);
	sb_bt_chart_series(&c, eq, "equity", false, true);
	sb_bt_chart_close(&c);
	fputs("<p class=\"legend\"><i style=\"background:var(--eq)\"></i>equity"
	      "<i style=\"background:var(--hold)\"></i>holding: the start balance of ",
	      f);
	esc(f, r->value_asset);
	fputs(
	    " split evenly over the pairs quoted in it, each share bought at its pair's first open (no fee) "
	    "and held</p>\n</div>\n",
	    f);
}

static void pair_head(const struct sb_bt_pair_report *p, FILE *f)
{
	fputs("<div class=\"pairhead\"><h3>", f);
	esc(f, p->symbol);
	fprintf(f, "</h3><span><b>%" PRId64 "</b> cycles (%" PRId64 " won, %" PRId64 " lost)</span>",
	        p->cycles, p->wins, p->losses);
	fputs("<span>realised <b>", f);
	amount(f, p->realized_profit, true);
	fputs("</b></span><span>result <b>", f);
	amount(f, p->profit, true);
	fputs("</b></span><span>against holding <b>", f);
	amount(f, p->vs_hold, true);
	fputs("</b></span><span>in the market <b>", f);
	pct(f, p->market_pct);
	fputs("</b></span><span>max drawdown <b>", f);
	amount(f, p->drawdown.amount, false);
	fputs("</b> (", f);
	pct(f, p->drawdown_pct);
	fputs(")</span></div>\n", f);
}

static void pair_chart(const struct sb_bt_report *r, const struct sb_bt_pair_report *p, FILE *f)
{
	fputs("<div class=\"panel\">\n", f);
	pair_head(p, f);
	size_t k = sb_bt_track_find(r->track, p->symbol);
	const struct sb_bt_series *s = k == SIZE_MAX ? NULL : sb_bt_track_prices(r->track, k);
	sb_dec lo = 0, hi = 0;
	if (!s || !sb_bt_series_range(s, &lo, &hi)) {
		fputs("<p>No candle.</p></div>\n", f);
		return;
	}
	char id[SB_SYMBOL_MAX + 8], title[SB_SYMBOL_MAX + 32];
	snprintf(id, sizeof id, "price-%s", p->symbol);
	snprintf(title, sizeof title, "%s price with buys and sells", p->symbol);
	struct sb_bt_chart c = {.f = f,
	                        .width = WIDTH,
	                        .height = 250,
	                        .left = 78,
	                        .right = 16,
	                        .top = 10,
	                        .bottom = 28,
	                        .t0 = s->start_ms,
	                        .t1 = sb_bt_series_time(s, s->n)};
	sb_bt_chart_open(&c, id, title, lo, hi);
	sb_bt_chart_series(&c, s, "price", true, false);
	sb_bt_chart_marks(&c, p->marks, p->nmarks, sb_bt_track_pair(r->track, k)->base);
	sb_bt_chart_close(&c);
	int64_t fills = 0;
	for (size_t i = 0; i < p->nmarks; i++)
		fills += p->marks[i].fills;
	fprintf(
	    f,
	    "<p class=\"legend\"><i style=\"background:#374151\"></i>close"
	    "<i style=\"background:#cbd5e1;height:8px\"></i>low to high"
	    "<i style=\"background:var(--buy);height:8px\"></i>buy"
	    "<i style=\"background:var(--sell);height:8px\"></i>sell &middot; %" PRId64
	    " fill%s as %zu marker%s (fills close in time share one, at their average price)</p>\n</div>\n",
	    fills, fills == 1 ? "" : "s", p->nmarks, p->nmarks == 1 ? "" : "s");
}

static void holds_chart(const struct sb_bt_report *r, FILE *f)
{
	const char *labels[SB_BT_HOLD_BINS];
	for (size_t i = 0; i < SB_BT_HOLD_BINS; i++)
		labels[i] = sb_bt_hold_bin_label(i);
	fputs("<h2 id=\"holding-time\">Holding time</h2>\n<div class=\"panel\">\n", f);
	sb_bt_chart_bars(f, "holds", "finished cycles by holding time", labels, r->total.holds,
	                 SB_BT_HOLD_BINS, WIDTH, 220);
	fprintf(
	    f,
	    "<p class=\"legend\">Finished cycles by the time from the first buy fill to the close, every pair "
	    "together; %" PRId64 " positions still open are not counted.</p>\n</div>\n",
	    r->total.open);
}

/* The row's first cell: the pair, or the total. */
static void row_open(const struct sb_bt_pair_report *p, FILE *f)
{
	fprintf(f, "<tr%s><td>", p->symbol[0] ? "" : " class=\"total\"");
	esc(f, p->symbol[0] ? p->symbol : "Total");
	fputs("</td>", f);
}

/* What the pair traded: cycles, profits, holds, what is open, fees. */
static void trading_row(const struct sb_bt_pair_report *p, FILE *f)
{
	row_open(p, f);
	fprintf(f, "<td>%" PRId64 "</td><td>%" PRId64 " / %" PRId64 "</td><td>", p->cycles, p->wins,
	        p->losses);
	amount(f, p->realized_profit, true);
	fputs("</td><td>", f);
	amount(f, p->profit, true);
	fputs("</td><td>", f);
	duration(f, p->cycles ? p->hold_total_ms / p->cycles : 0);
	fputs(" / ", f);
	duration(f, p->hold_max_ms);
	fprintf(f, "</td><td>%" PRId64 " (", p->open);
	amount(f, p->open_value, false);
	fputs(")</td><td class=\"fees\">", f);
	fees(f, p);
	fputs("</td></tr>\n", f);
}

/* The pair against the market: time in it, commitment, holding, drawdown. */
static void market_row(const struct sb_bt_pair_report *p, FILE *f)
{
	row_open(p, f);
	fputs("<td>", f);
	pct(f, p->market_pct);
	fputs("</td><td>", f);
	amount(f, p->committed, false);
	fputs("</td><td>", f);
	amount(f, p->hold_profit, true);
	fputs("</td><td>", f);
	amount(f, p->vs_hold, true);
	fputs("</td><td>", f);
	amount(f, p->drawdown.amount, false);
	fputs("</td><td>", f);
	pct(f, p->drawdown_pct);
	fputs("</td></tr>\n", f);
}

static void summary(const struct sb_bt_report *r, FILE *f)
{
	fputs("<h2 id=\"summary\">Summary</h2>\n<div class=\"scroll\"><table>\n<thead><tr><th>Pair</th>"
	      "<th>Cycles</th><th>Won / lost</th><th>Realised</th><th>Result</th><th>Hold avg / max</th>"
	      "<th>Open (value)</th><th>Fees</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < r->npairs; i++)
		trading_row(&r->pairs[i], f);
	trading_row(&r->total, f);
	fputs(
	    "</tbody></table></div>\n<p class=\"legend\">Realised: closed cycles, fees included. Result: "
	    "realised, plus the open positions and the base closed ones left at the last close, less what the "
	    "open positions cost.</p>\n",
	    f);
	fputs(
	    "<div class=\"scroll\"><table>\n<thead><tr><th>Pair</th><th>In the market</th><th>Committed</th>"
	    "<th>Holding</th><th>Against holding</th><th>Max drawdown</th><th>Drawdown %</th></tr></thead>\n"
	    "<tbody>\n",
	    f);
	for (size_t i = 0; i < r->npairs; i++)
		market_row(&r->pairs[i], f);
	market_row(&r->total, f);
	fputs(
	    "</tbody></table></div>\n<p class=\"legend\">In the market: the share of the window with base "
	    "held. Committed: the most the pair's positions had cost at one moment. Holding: that amount bought "
	    "at the pair's first open and held to its last close; against holding: the result less that (in "
	    "total: the account's start split over the pairs, against its equity). Max drawdown: of the pair's "
	    "result, as a share of what it committed (in total: of the account's equity, as a share of its "
	    "peak).</p>\n",
	    f);
}

static void run_params(const struct sb_bt_report *r, FILE *f)
{
	fputs("<h2 id=\"run\">The run</h2>\n<div class=\"panel\"><dl>\n<dt>Window</dt><dd>", f);
	when(f, r->from_ms);
	fputs(" to ", f);
	when(f, r->to_ms);
	fprintf(f, " UTC</dd>\n<dt>Candles</dt><dd>%" PRId64 "</dd>\n<dt>Price path</dt><dd>%s</dd>\n",
	        r->candles, r->path ? r->path : "coarse");
	fputs("<dt>Balance</dt><dd>", f);
	esc(f, r->balance);
	fputs("</dd>\n<dt>Valued in</dt><dd>", f);
	esc(f, r->value_asset);
	for (size_t i = 0; i < SB_BT_ASSETS_MAX && r->unvalued[i][0]; i++) {
		fputs(i ? ", " : " (not valued, no pair prices it: ", f);
		esc(f, r->unvalued[i]);
	}
	fputs(r->unvalued[0][0] ? ")" : "", f);
	fputs("</dd>\n<dt>PAIRS</dt><dd><pre>", f);
	for (const char *s = r->pairs_text ? r->pairs_text : ""; *s; s++) {
		char one[2] = {*s, '\0'};
		esc(f, one);
		if (*s == ';')
			fputc('\n', f);
	}
	fputs("</pre></dd>\n<dt>Balances</dt><dd>", f);
	for (size_t i = 0; i < r->nbalances; i++) {
		fputs(i ? "<br>" : "", f);
		esc(f, r->balances[i].asset);
		fputs(": ", f);
		amount(f, r->balances[i].start, false);
		fputs(" &rarr; ", f);
		amount(f, r->balances[i].end, false);
	}
	fputs("</dd>\n</dl></div>\n", f);
}

static void limits(FILE *f)
{
	fputs(
	    "<h2 id=\"limits\">What a candle cannot tell</h2>\n<div class=\"panel\"><ul class=\"limits\">\n"
	    "<li><b>Queue position.</b> The account's resting order is first at its price: it fills as soon as "
	    "a trade reaches the price, before any liquidity that was there before it. A real order waits "
	    "behind that.</li>\n"
	    "<li><b>The path inside the candle.</b> Only open, high, low and close are known; the order between "
	    "the extremes is a guess (the nearer first), and a price visited twice is visited once.</li>\n"
	    "<li><b>Slippage beyond the candle.</b> A market order fills at the book the path sets (one tick "
	    "either side of the last trade, each level one trade's volume), not the deeper book of the real "
	    "market.</li>\n"
	    "<li><b>Latency.</b> Requests execute when made; a real order reaches the exchange tens of "
	    "milliseconds later.</li>\n"
	    "<li><b>Your own impact.</b> The market's trades are Binance's; the bot's orders never move "
	    "them.</li>\n"
	    "<li><b>Resolution.</b> Equity and its drawdown are valued at each candle's close, not at the "
	    "extremes inside it; a pair's drawdown and these charts at their points' resolution.</li>\n"
	    "</ul></div>\n",
	    f);
}

void sb_bt_report_html(const struct sb_bt_report *r, FILE *f)
{
	head(r, f);
	cards(r, f);
	if (r->track) {
		equity_chart(r, f);
		holding_chart(r, f);
		fputs("<h2 id=\"pairs\">Pairs</h2>\n", f);
		for (size_t i = 0; i < r->npairs; i++)
			pair_chart(r, &r->pairs[i], f);
	}
	holds_chart(r, f);
	summary(r, f);
	run_params(r, f);
	limits(f);
	fprintf(f, "<footer>Generated by spotbot %s backtest. Amounts in each pair's quote asset; equity in ",
	        SB_VERSION);
	esc(f, r->value_asset);
	fputs(".</footer>\n</main>\n", f);
	fputs(script, f);
	fputs("</body>\n</html>\n", f);
}

/*
 * metric_families.c - the catalogue of every metric family the daemon registers: name, type, labels and help
 * text. monitor.c and alerts.c take each family's help text from here when they register its series, and
 * sb_metrics_write_markdown renders the same rows as the table of docs/monitoring.md, so the page, the
 * registry and a scrape cannot disagree (test_metrics checks the page, test_monitor a live scrape).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "bot/metrics.h"

const struct sb_metric_family sb_metric_families[] = {
    {SB_METRIC_BUILD_INFO, "gauge", "`version` (`spotbot --version`)", "Always 1; its labels name the build.",
     "join on it to show the version next to any panel"},
    {SB_METRIC_PROCESS_START, "gauge", "", "Start time of the process since the Unix epoch, in seconds.",
     "`time() - process_start_time_seconds` is the uptime; a reset means a restart"},
    {SB_METRIC_PROCESS_RSS, "gauge", "", "Resident memory size in bytes.",
     "read from `/proc/self/statm` at scrape time"},
    {SB_METRIC_PROCESS_FDS, "gauge", "", "Number of open file descriptors.",
     "counted in `/proc/self/fd` at scrape time"},
    {SB_METRIC_PROCESS_CPU, "counter", "", "Total user and system CPU time spent in seconds.",
     "from `getrusage` at scrape time"},
    {SB_METRIC_RUN_STATE, "gauge",
     "`state` (`starting`, `reconciling`, `trading`, `paused`, `degraded`, `stopping`, `stopped`)",
     "1 for the daemon's current run state, 0 for the others.",
     "`degraded`: a database write failed and no order goes out until a restart"},
    {SB_METRIC_STREAM_MESSAGES, "counter", "`stream` (`market`, `user`)", "Frames received on the stream.",
     ""},
    {SB_METRIC_STREAM_RECONNECTS, "counter", "`stream`", "Stream connections opened after the first.",
     "planned rollovers excluded"},
    {SB_METRIC_STREAM_STALLS, "counter", "`stream`",
     "Stream stalls: the watchdog found the connection silent.",
     "market: the watchdog found the connection silent; user: a silence probe went unanswered"},
    {SB_METRIC_STREAM_LAST, "gauge", "`stream`",
     "When the stream last delivered a frame (market) or an account event (user), seconds since the epoch.",
     "0 before the first; the user stream is quiet while nothing happens on the account, so watch the "
     "market one for staleness"},
    {SB_METRIC_PRICE_LAST, "gauge", "`symbol`",
     "When the pair's last quote was accepted, seconds since the epoch.",
     "from the market stream or a REST bookTicker; 0 before the first; a refused quote does not move it"},
    {SB_METRIC_REST_LATENCY, "histogram",
     "`endpoint` (the path: `/api/v3/order`, `/api/v3/exchangeInfo`, ...; `order.place` for orders placed on "
     "the WebSocket API connection; `other` past 24 paths)",
     "REST request latency, in seconds.",
     "each answered REST request, retries included, and each answered `order.place`; a series appears with "
     "its endpoint's first request"},
    {SB_METRIC_REST_USED_WEIGHT, "gauge", "",
     "Request weight used this minute, as the exchange last reported it.",
     "the last `X-MBX-USED-WEIGHT-1M`; the exchange's limit is 6000"},
    {SB_METRIC_REST_RATE_LIMITED, "counter", "`status` (`429`, `418`)",
     "REST answers refusing a request for its weight: 429, then 418 (a ban).",
     "a 429 pauses every request for its `Retry-After`, a 418 fails them until the ban ends"},
    {SB_METRIC_ORDERS, "counter",
     "`symbol`, `side` (`BUY`, `SELL`), `outcome` (`placed`: the request went out; then one of `filled`, "
     "`canceled`, `expired` (also expired in match by self-trade prevention), `rejected`, `lost`: "
     "acknowledged, then unknown to the exchange)",
     "Orders sent (placed) and ended, by outcome.",
     "an order whose outcome was unknown counts when a query settles it (one never received by the exchange "
     "counts as `rejected`)"},
    {SB_METRIC_FILLS, "counter", "`symbol`, `side`", "Fills applied.", "each trade id once"},
    {SB_METRIC_OPEN_POSITIONS, "gauge", "`symbol`", "Open positions (buying, holding or selling).", ""},
    {SB_METRIC_POSITION_AGE, "gauge", "`symbol`",
     "Age of the pair's oldest open position since its first buy fill, in seconds; 0 when none.",
     "compare with the pair's `max_duration`"},
    {SB_METRIC_REALISED_PROFIT, "gauge", "`symbol`, `asset` (the quote asset)",
     "Realised profit of closed positions.",
     "net, since the database began, exact decimal; appears once the pair's exchange rules are loaded"},
    {SB_METRIC_FILL_TO_SELL, "histogram", "`symbol`",
     "Time from a buy's last fill to its sell request, in seconds.",
     "the sell intent is committed in between"},
    {SB_METRIC_RECONCILE_RUNS, "counter",
     "`trigger` (`startup`; `stream`: the user stream was silent or came back)",
     "Reconciliations with the exchange, by what started them.", ""},
    {SB_METRIC_RECONCILE_FINDINGS, "counter",
     "`kind` (`foreign_order`: an open order with this bot's prefix the database lacks; `missed_update`: an "
     "acknowledged order changed with no stream event; `settled_unknown`: an order whose placement answer "
     "was lost (timeout, 5xx, a restart before the answer) settled by its query, counted once per order; "
     "`lost_order`: an acknowledged order the exchange no longer knows, marked LOST)",
     "Differences reconciliation found between the database and the exchange.", ""},
    {SB_METRIC_DB_COMMIT_LATENCY, "histogram", "",
     "Database write transactions, begin to durable commit, in seconds.", ""},
    {SB_METRIC_DECISION_LATENCY, "histogram", "",
     "Market data to decision: a bookTicker frame's arrival to the end of the strategy step that decided its "
     "pair, in seconds.",
     "when several quotes of a pair arrive before the step, one observation from the oldest; decisions "
     "marked by anything else (a REST price, an order event, the tick) are not timed"},
    {SB_METRIC_EXPOSURE, "gauge", "", "Quote committed in open positions.", "exact decimal"},
    {SB_METRIC_TRADING, "gauge", "", "1 while the run state is trading.", ""},
    {SB_METRIC_PAUSED, "gauge", "", "1 while the kill switch is on.", ""},
    {SB_METRIC_ALERTS, "counter", "`result` (`sent`, `failed`, `retried`, `suppressed`, `dropped`)",
     "Webhook alerts by result.", "see Alerts below"},
};

const size_t sb_metric_families_n = sizeof sb_metric_families / sizeof sb_metric_families[0];

const char *sb_metric_help(const char *name)
{
	for (size_t i = 0; i < sb_metric_families_n; i++)
		if (strcmp(sb_metric_families[i].name, name) == 0)
			return sb_metric_families[i].help;
	return "";
}

void sb_metrics_write_markdown(FILE *fp)
{
	fputs("| metric | type | labels | meaning |\n|---|---|---|---|\n", fp);
	for (size_t i = 0; i < sb_metric_families_n; i++) {
		const struct sb_metric_family *f = &sb_metric_families[i];
		fprintf(fp, "| `%s` | %s | %s | %s", f->name, f->type, f->labels, f->help);
		if (*f->note) /* a sentence of its own: capitalised, ended */
			fprintf(fp, " %c%s.", toupper((unsigned char)f->note[0]), f->note + 1);
		fputs(" |\n", fp);
	}
}

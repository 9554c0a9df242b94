/*
 * monitor.c - the daemon's metrics and alerts (docs/monitoring.md): the one metrics registry /metrics
 * renders, the webhook notifier, and the watch over the streams that turns repeated stalls and reconnects
 * into alerts.
 *
 * The order manager, the reconciler and the lifecycle code report what happens through the monitor_*
 * calls, which cost a few pointer operations: series are registered once (per pair on first use, so a
 * pair added at run time gets its series too), and everything that another module already counts
 * (stream frames, reconnects, used weight, open positions) is read from that module when scraped, as are
 * the run state, the freshness of prices and streams and the age of the oldest position the alert rules of
 * contrib/prometheus watch. Every family's help text comes from the catalogue in metric_families.c.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/alerts.h"
#include "bot/bot_int.h"
#include "bot/metrics.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define MON_ENDPOINTS_MAX      24     /* REST paths with a latency series; others share "other" */
#define MON_RECONNECT_WINDOW   300000 /* ms: reconnects counted within this window... */
#define MON_RECONNECT_ALERT    3      /* ...alert at this many */
#define MON_REJECTIONS_ALERT   3      /* consecutive rejected orders of a pair that alert */
#define MON_LAST_EVENT_SAVE_MS 5000   /* how often the last stream event time is written at most */

/* What a per-pair render-time callback needs. */
struct mon_pair {
	struct bot_monitor *mon;                            /* the monitor */
	size_t index;                                       /* the pair's slot in b->pairs */
	bool registered;                                    /* its series exist */
	bool profit_registered;                             /* its realised-profit series exists */
	struct sb_metric_counter *orders[2][MON_OUTCOME_N]; /* {side, outcome} */
	struct sb_metric_counter *fills[2];                 /* {side} */
	struct sb_metric_histogram *fill_to_sell;           /* buy fill -> sell request */
	unsigned rejections;                                /* consecutive rejected orders */
};

/* A REST path's latency histogram. */
struct mon_endpoint {
	char path[48];                 /* "/api/v3/order" */
	struct sb_metric_histogram *h; /* its series */
};

/* One stream's counters as last seen, to notice stalls and reconnect bursts. */
struct mon_stream {
	const char *name;                /* "market" or "user" */
	uint64_t stalls;                 /* stall count last seen */
	uint64_t reconnects;             /* reconnect count last seen */
	int64_t at[MON_RECONNECT_ALERT]; /* wall times of the latest reconnects (ring) */
	size_t next;                     /* next ring slot */
};

/* What a run-state series' render-time callback needs. */
struct mon_state {
	const struct sb_bot *b;   /* the daemon */
	enum bot_run_state state; /* the state the series stands for */
};

struct bot_monitor {
	struct sb_bot *b;                               /* the daemon */
	struct mon_state states[BOT_STATE__COUNT];      /* run-state series, by state */
	struct sb_metrics *m;                           /* the registry */
	struct sb_alerts *alerts;                       /* the notifier (logs only without a URL) */
	struct mon_pair pairs[SB_PAIRS_MAX];            /* by pair slot */
	struct mon_endpoint ep[MON_ENDPOINTS_MAX];      /* REST latency series */
	size_t nep;                                     /* entries */
	struct sb_metric_histogram *rest_other;         /* latency of paths past MON_ENDPOINTS_MAX */
	struct sb_metric_histogram *db_commit;          /* write transaction latency */
	struct sb_metric_histogram *decision;           /* market frame -> decision latency */
	struct sb_metric_counter *runs[MON_RECON_N];    /* reconciliation runs by trigger */
	struct sb_metric_counter *findings[MON_FIND_N]; /* reconciliation findings by kind */
	struct mon_stream market, user;                 /* stream watch */
	int64_t last_event_saved;                       /* last stream event time written to system_state */
	int64_t last_event_write_ms;                    /* when it was written */
};

static const char *const outcome_names[MON_OUTCOME_N] = {"placed",  "filled",   "canceled",
                                                         "expired", "rejected", "lost"};
static const char *const recon_names[MON_RECON_N] = {"startup", "stream"};
static const char *const finding_names[MON_FIND_N] = {"foreign_order", "missed_update", "settled_unknown",
                                                      "lost_order"};

static const double latency_bounds_seconds[] = SB_METRICS_LATENCY_BUCKETS;
static const double fill_sell_bounds_seconds[] = SB_METRICS_FILL_TO_SELL_BUCKETS;
static const double decision_bounds_seconds[] = SB_METRICS_DECISION_BUCKETS;

/* ---- render-time values ---------------------------------------------------------------------------------
 */

static struct bot_pair *mp_pair(const struct mon_pair *mp)
{
	struct sb_bot *b = mp->mon->b;
	return mp->index < b->npairs ? &b->pairs[mp->index] : NULL;
}

static double m_open(void *user)
{
	const struct bot_pair *pr = mp_pair(user);
	return pr ? (double)bot_pair_open_count(pr) : 0;
}

/* Realised profit of the pair's CLOSED positions, from the database when scraped. */
static sb_dec m_profit(void *user)
{
	struct mon_pair *mp = user;
	const struct bot_pair *pr = mp_pair(mp);
	struct sb_bot *b = mp->mon->b;
	struct sb_store_pnl *rows = NULL;
	size_t n = 0;
	sb_dec v = 0;
	if (!pr || !b->st || sb_store_pnl_by_pair(b->st, 0, 0, &rows, &n) != SB_OK)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].symbol, pr->cfg.symbol) == 0)
			v = rows[i].profit;
	free(rows);
	return v;
}

static sb_dec m_exposure(void *user)
{
	return bot_exposure(user);
}

static struct sb_bn_market_stream_stats market_stats(const struct sb_bot *b)
{
	struct sb_exchange_stats s;
	sb_exchange_stats(b->ex, &s);
	return s.market;
}

static struct sb_bn_user_stream_stats user_stats(const struct sb_bot *b)
{
	struct sb_exchange_stats s;
	sb_exchange_stats(b->ex, &s);
	return s.user;
}

static uint64_t m_market_messages(void *user)
{
	return market_stats(user).messages;
}

static uint64_t m_user_messages(void *user)
{
	return user_stats(user).messages;
}

static uint64_t m_market_reconnects(void *user)
{
	return market_stats(user).reconnects;
}

static uint64_t m_user_reconnects(void *user)
{
	return user_stats(user).reconnects;
}

static uint64_t m_market_stalls(void *user)
{
	return market_stats(user).stalls;
}

/* The user stream's stall: a silence probe that went unanswered. */
static uint64_t m_user_stalls(void *user)
{
	return user_stats(user).probe_timeouts;
}

static struct sb_bn_rest_stats rest_stats(const struct sb_bot *b)
{
	struct sb_exchange_stats s;
	sb_exchange_stats(b->ex, &s);
	return s.rest;
}

/* The exchange's rate-limit answers: 429 (too much weight) and 418 (banned). */
static uint64_t m_429(void *user)
{
	return rest_stats(user).n_429;
}

static uint64_t m_418(void *user)
{
	return rest_stats(user).n_418;
}

static double m_used_weight(void *user)
{
	return (double)rest_stats(user).used_weight;
}

/* The age of the pair's oldest position that has bought anything, in seconds; 0 when none has. */
static double m_position_age_seconds(void *user)
{
	const struct mon_pair *mp = user;
	const struct bot_pair *pr = mp_pair(mp);
	int64_t oldest = 0;
	for (const struct bot_pos *p = pr ? pr->positions : NULL; p; p = p->next)
		if (p->p.opened_ms > 0 && (!oldest || p->p.opened_ms < oldest))
			oldest = p->p.opened_ms;
	int64_t now_ms = oldest ? bot_now_ms(mp->mon->b) : 0;
	return now_ms > oldest ? (double)(now_ms - oldest) / 1000 : 0;
}

static double m_price_seconds(void *user)
{
	const struct bot_pair *pr = mp_pair(user);
	return pr ? (double)pr->top_ms / 1000 : 0;
}

static double m_market_last_seconds(void *user)
{
	return (double)market_stats(user).last_ms / 1000;
}

static double m_user_last_seconds(void *user)
{
	return (double)user_stats(user).last_event_ms / 1000;
}

static double m_run_state(void *user)
{
	const struct mon_state *ms = user;
	return ms->b->state == ms->state ? 1 : 0;
}

static double m_trading(void *user)
{
	const struct sb_bot *b = user;
	return b->state == BOT_TRADING ? 1 : 0;
}

static double m_paused(void *user)
{
	const struct sb_bot *b = user;
	return b->paused ? 1 : 0;
}

/* ---- registration ----------------------------------------------------------------------------------- */

/* Registers the pair's series the first time it is seen; the profit series waits for its quote asset. */
static struct mon_pair *pair_series(struct bot_monitor *mon, const struct bot_pair *pr)
{
	struct sb_bot *b = mon->b;
	if (!pr || pr < b->pairs || (size_t)(pr - b->pairs) >= b->npairs ||
	    (size_t)(pr - b->pairs) >= SB_PAIRS_MAX)
		return NULL;
	struct mon_pair *mp = &mon->pairs[pr - b->pairs];
	const char *sym = pr->cfg.symbol;
	if (!mp->registered) {
		mp->mon = mon;
		mp->index = (size_t)(pr - b->pairs);
		mp->registered = true;
		struct sb_metric_label l = {"symbol", sym};
		(void)sb_metrics_gauge_fn(mon->m, SB_METRIC_OPEN_POSITIONS,
		                          sb_metric_help(SB_METRIC_OPEN_POSITIONS), &l, 1, m_open, mp);
		(void)sb_metrics_gauge_fn(mon->m, SB_METRIC_POSITION_AGE,
		                          sb_metric_help(SB_METRIC_POSITION_AGE), &l, 1,
		                          m_position_age_seconds, mp);
		(void)sb_metrics_gauge_fn(mon->m, SB_METRIC_PRICE_LAST, sb_metric_help(SB_METRIC_PRICE_LAST),
		                          &l, 1, m_price_seconds, mp);
		for (int side = 0; side < 2; side++) {
			const char *sn = sb_side_name((enum sb_side)side);
			for (int k = 0; k < MON_OUTCOME_N; k++) {
				struct sb_metric_label ol[3] = {
				    {"symbol", sym}, {"side", sn}, {"outcome", outcome_names[k]}};
				(void)sb_metrics_counter(mon->m, SB_METRIC_ORDERS,
				                         sb_metric_help(SB_METRIC_ORDERS), ol, 3,
				                         &mp->orders[side][k]);
			}
			struct sb_metric_label fl[2] = {{"symbol", sym}, {"side", sn}};
			(void)sb_metrics_counter(mon->m, SB_METRIC_FILLS, sb_metric_help(SB_METRIC_FILLS), fl,
			                         2, &mp->fills[side]);
		}
		(void)sb_metrics_histogram(
		    mon->m, SB_METRIC_FILL_TO_SELL, sb_metric_help(SB_METRIC_FILL_TO_SELL), &l, 1,
		    fill_sell_bounds_seconds,
		    sizeof fill_sell_bounds_seconds / sizeof fill_sell_bounds_seconds[0], &mp->fill_to_sell);
	}
	if (!mp->profit_registered && pr->have_rules) {
		struct sb_metric_label l[2] = {{"symbol", sym}, {"asset", pr->rules.quote_asset}};
		(void)sb_metrics_gauge_dec_fn(mon->m, SB_METRIC_REALISED_PROFIT,
		                              sb_metric_help(SB_METRIC_REALISED_PROFIT), l, 2, m_profit, mp);
		mp->profit_registered = true;
	}
	return mp;
}

static void register_fixed(struct bot_monitor *mon)
{
	struct sb_bot *b = mon->b;
	struct sb_metrics *m = mon->m;
	(void)sb_metrics_register_process(m);
	for (int i = 0; i < BOT_STATE__COUNT; i++) {
		mon->states[i] = (struct mon_state){.b = b, .state = (enum bot_run_state)i};
		struct sb_metric_label l = {"state", bot_state_name((enum bot_run_state)i)};
		(void)sb_metrics_gauge_fn(m, SB_METRIC_RUN_STATE, sb_metric_help(SB_METRIC_RUN_STATE), &l, 1,
		                          m_run_state, &mon->states[i]);
	}
	struct sb_metric_label ms = {"stream", "market"}, us = {"stream", "user"};
	const char *msg_help = sb_metric_help(SB_METRIC_STREAM_MESSAGES);
	const char *rc_help = sb_metric_help(SB_METRIC_STREAM_RECONNECTS);
	const char *st_help = sb_metric_help(SB_METRIC_STREAM_STALLS);
	const char *last_help = sb_metric_help(SB_METRIC_STREAM_LAST);
	(void)sb_metrics_counter_fn(m, SB_METRIC_STREAM_MESSAGES, msg_help, &ms, 1, m_market_messages, b);
	(void)sb_metrics_counter_fn(m, SB_METRIC_STREAM_MESSAGES, msg_help, &us, 1, m_user_messages, b);
	(void)sb_metrics_counter_fn(m, SB_METRIC_STREAM_RECONNECTS, rc_help, &ms, 1, m_market_reconnects, b);
	(void)sb_metrics_counter_fn(m, SB_METRIC_STREAM_RECONNECTS, rc_help, &us, 1, m_user_reconnects, b);
	(void)sb_metrics_counter_fn(m, SB_METRIC_STREAM_STALLS, st_help, &ms, 1, m_market_stalls, b);
	(void)sb_metrics_counter_fn(m, SB_METRIC_STREAM_STALLS, st_help, &us, 1, m_user_stalls, b);
	(void)sb_metrics_gauge_fn(m, SB_METRIC_STREAM_LAST, last_help, &ms, 1, m_market_last_seconds, b);
	(void)sb_metrics_gauge_fn(m, SB_METRIC_STREAM_LAST, last_help, &us, 1, m_user_last_seconds, b);
	(void)sb_metrics_gauge_fn(m, SB_METRIC_REST_USED_WEIGHT, sb_metric_help(SB_METRIC_REST_USED_WEIGHT),
	                          NULL, 0, m_used_weight, b);
	struct sb_metric_label l429 = {"status", "429"}, l418 = {"status", "418"};
	const char *rl_help = sb_metric_help(SB_METRIC_REST_RATE_LIMITED);
	(void)sb_metrics_counter_fn(m, SB_METRIC_REST_RATE_LIMITED, rl_help, &l429, 1, m_429, b);
	(void)sb_metrics_counter_fn(m, SB_METRIC_REST_RATE_LIMITED, rl_help, &l418, 1, m_418, b);
	(void)sb_metrics_histogram(
	    m, SB_METRIC_DB_COMMIT_LATENCY, sb_metric_help(SB_METRIC_DB_COMMIT_LATENCY), NULL, 0,
	    latency_bounds_seconds, sizeof latency_bounds_seconds / sizeof latency_bounds_seconds[0],
	    &mon->db_commit);
	(void)sb_metrics_histogram(m, SB_METRIC_DECISION_LATENCY, sb_metric_help(SB_METRIC_DECISION_LATENCY),
	                           NULL, 0, decision_bounds_seconds,
	                           sizeof decision_bounds_seconds / sizeof decision_bounds_seconds[0],
	                           &mon->decision);
	for (int i = 0; i < MON_RECON_N; i++) {
		struct sb_metric_label l = {"trigger", recon_names[i]};
		(void)sb_metrics_counter(m, SB_METRIC_RECONCILE_RUNS,
		                         sb_metric_help(SB_METRIC_RECONCILE_RUNS), &l, 1, &mon->runs[i]);
	}
	for (int i = 0; i < MON_FIND_N; i++) {
		struct sb_metric_label l = {"kind", finding_names[i]};
		(void)sb_metrics_counter(m, SB_METRIC_RECONCILE_FINDINGS,
		                         sb_metric_help(SB_METRIC_RECONCILE_FINDINGS), &l, 1,
		                         &mon->findings[i]);
	}
	(void)sb_metrics_gauge_dec_fn(m, SB_METRIC_EXPOSURE, sb_metric_help(SB_METRIC_EXPOSURE), NULL, 0,
	                              m_exposure, b);
	(void)sb_metrics_gauge_fn(m, SB_METRIC_TRADING, sb_metric_help(SB_METRIC_TRADING), NULL, 0, m_trading,
	                          b);
	(void)sb_metrics_gauge_fn(m, SB_METRIC_PAUSED, sb_metric_help(SB_METRIC_PAUSED), NULL, 0, m_paused,
	                          b);
	if (mon->alerts)
		(void)sb_alerts_register_metrics(mon->alerts, m);
	for (size_t i = 0; i < b->npairs; i++)
		(void)pair_series(mon, &b->pairs[i]);
}

/* ---- observers ------------------------------------------------------------------------------------- */

static void on_db_commit(void *user, uint64_t ns)
{
	struct bot_monitor *mon = user;
	sb_metric_histogram_observe_ns(mon->db_commit, ns);
}

void monitor_rest_observe(void *user, const char *path, uint64_t latency_us, long http_status)
{
	(void)http_status;
	struct bot_monitor *mon = user;
	if (!mon || !path)
		return;
	for (size_t i = 0; i < mon->nep; i++)
		if (strcmp(mon->ep[i].path, path) == 0) {
			sb_metric_histogram_observe_us(mon->ep[i].h, latency_us);
			return;
		}
	struct sb_metric_histogram *h = NULL;
	if (mon->nep < MON_ENDPOINTS_MAX && strlen(path) < sizeof mon->ep[0].path) {
		struct sb_metric_label l = {"endpoint", path};
		if (sb_metrics_histogram(
		        mon->m, SB_METRIC_REST_LATENCY, sb_metric_help(SB_METRIC_REST_LATENCY), &l, 1,
		        latency_bounds_seconds,
		        sizeof latency_bounds_seconds / sizeof latency_bounds_seconds[0], &h) == SB_OK) {
			snprintf(mon->ep[mon->nep].path, sizeof mon->ep[0].path, "%s", path);
			mon->ep[mon->nep++].h = h;
		}
	}
	if (!h) {
		if (!mon->rest_other) {
			struct sb_metric_label l = {"endpoint", "other"};
			(void)sb_metrics_histogram(
			    mon->m, SB_METRIC_REST_LATENCY, sb_metric_help(SB_METRIC_REST_LATENCY), &l, 1,
			    latency_bounds_seconds,
			    sizeof latency_bounds_seconds / sizeof latency_bounds_seconds[0],
			    &mon->rest_other);
		}
		h = mon->rest_other;
	}
	sb_metric_histogram_observe_us(h, latency_us);
}

void monitor_order(struct sb_bot *b, const struct bot_pair *pr, enum sb_side side, enum mon_outcome outcome)
{
	struct mon_pair *mp = b->mon ? pair_series(b->mon, pr) : NULL;
	if (!mp || outcome >= MON_OUTCOME_N)
		return;
	sb_metric_counter_inc(mp->orders[side == SB_SIDE_BUY ? 0 : 1][outcome]);
	if (outcome == MON_ORDER_REJECTED) {
		if (++mp->rejections == MON_REJECTIONS_ALERT) {
			char key[SB_ALERTS_KEY_MAX];
			snprintf(key, sizeof key, "order_rejections:%s", pr->cfg.symbol);
			monitor_alert(b, SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, pr->cfg.symbol, key,
			              "%u orders of %s rejected in a row by the exchange", mp->rejections,
			              pr->cfg.symbol);
		}
	} else if (outcome == MON_ORDER_FILLED || outcome == MON_ORDER_CANCELED) {
		mp->rejections = 0;
	}
}

void monitor_fill(struct sb_bot *b, const struct bot_pair *pr, enum sb_side side)
{
	struct mon_pair *mp = b->mon ? pair_series(b->mon, pr) : NULL;
	if (mp)
		sb_metric_counter_inc(mp->fills[side == SB_SIDE_BUY ? 0 : 1]);
}

void monitor_fill_to_sell(struct sb_bot *b, const struct bot_pair *pr, uint64_t us)
{
	struct mon_pair *mp = b->mon ? pair_series(b->mon, pr) : NULL;
	if (mp)
		sb_metric_histogram_observe_us(mp->fill_to_sell, us);
}

void monitor_decision_latency(struct sb_bot *b, uint64_t ns)
{
	if (b->mon)
		sb_metric_histogram_observe_ns(b->mon->decision, ns);
}

void monitor_reconcile(struct sb_bot *b, enum mon_recon trigger)
{
	if (b->mon && trigger < MON_RECON_N)
		sb_metric_counter_inc(b->mon->runs[trigger]);
}

void monitor_finding(struct sb_bot *b, enum mon_finding kind, const char *symbol, const char *coid)
{
	if (!b->mon || kind >= MON_FIND_N)
		return;
	sb_metric_counter_inc(b->mon->findings[kind]);
	if (kind == MON_FIND_SETTLED_UNKNOWN)
		return; /* an order whose answer was lost, settled as designed: counted, not alerted */
	char key[SB_ALERTS_KEY_MAX];
	snprintf(key, sizeof key, "reconciliation:%s:%s", finding_names[kind], coid ? coid : "");
	if (kind == MON_FIND_LOST_ORDER)
		monitor_alert(
		    b, SB_ALERT_RECONCILIATION, SB_ALERT_WARNING, symbol, key,
		    "order %s of %s was acknowledged but the exchange no longer knows it (it restarted "
		    "without its state, or archived the order): marked LOST with the fills on record, "
		    "its position moves on; please check the account",
		    coid ? coid : "?", symbol ? symbol : "?");
	else if (kind == MON_FIND_FOREIGN_ORDER)
		monitor_alert(
		    b, SB_ALERT_RECONCILIATION, SB_ALERT_WARNING, symbol, key,
		    "open order %s on %s carries this bot's prefix but is not in the database: left "
		    "alone, please check it",
		    coid ? coid : "?", symbol ? symbol : "?");
	else
		monitor_alert(
		    b, SB_ALERT_RECONCILIATION, SB_ALERT_INFO, symbol, key,
		    "order %s of %s changed on the exchange without a stream event; the database now "
		    "agrees with the exchange",
		    coid ? coid : "?", symbol ? symbol : "?");
}

void monitor_alert(struct sb_bot *b, enum sb_alert_kind kind, enum sb_alert_severity sev, const char *symbol,
                   const char *key, const char *fmt, ...)
{
	if (!b->mon || !b->mon->alerts)
		return;
	char msg[SB_ALERTS_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	struct sb_alert a = {.kind = kind, .severity = sev, .key = key, .message = msg, .symbol = symbol};
	sb_err err = sb_alerts_send(b->mon->alerts, &a);
	if (err != SB_OK)
		sb_log_warn("monitor", SB_FIELDS(SB_F_ERR(err), SB_F_STR("kind", sb_alert_kind_name(kind))),
		            "alert could not be queued");
}

/* ---- the watch ------------------------------------------------------------------------------------- */

static void watch(struct sb_bot *b, struct mon_stream *s, uint64_t stalls, uint64_t reconnects, int64_t now)
{
	if (stalls > s->stalls) {
		char key[SB_ALERTS_KEY_MAX];
		snprintf(key, sizeof key, "stream_stalled:%s", s->name);
		monitor_alert(b, SB_ALERT_STREAM_STALLED, SB_ALERT_WARNING, NULL, key,
		              "the %s stream went silent (%" PRIu64 " stall%s so far): reconnecting", s->name,
		              stalls, stalls == 1 ? "" : "s");
	}
	s->stalls = stalls;
	for (; s->reconnects < reconnects; s->reconnects++) {
		s->at[s->next] = now;
		s->next = (s->next + 1) % MON_RECONNECT_ALERT;
		int64_t oldest = s->at[s->next];
		if (oldest && now - oldest <= MON_RECONNECT_WINDOW) {
			char key[SB_ALERTS_KEY_MAX];
			snprintf(key, sizeof key, "stream_reconnects:%s", s->name);
			monitor_alert(b, SB_ALERT_STREAM_RECONNECTS, SB_ALERT_WARNING, NULL, key,
			              "the %s stream reconnected %d times within %d minutes", s->name,
			              MON_RECONNECT_ALERT, MON_RECONNECT_WINDOW / 60000);
		}
	}
}

/* Records when the streams last delivered (for `spotbot status` while the daemon is down), if newer. */
static void save_last_event(struct sb_bot *b, int64_t last, int64_t now_ms)
{
	struct bot_monitor *mon = b->mon;
	if (last <= mon->last_event_saved || !b->st || b->degraded)
		return;
	if (sb_store_state_set_int(b->st, SB_STORE_KEY_LAST_STREAM_MS, last, now_ms, NULL) == SB_OK) {
		mon->last_event_saved = last;
		mon->last_event_write_ms = now_ms;
	}
}

void monitor_tick(struct sb_bot *b, int64_t now_ms)
{
	struct bot_monitor *mon = b->mon;
	if (!mon)
		return;
	for (size_t i = 0; i < b->npairs; i++)
		(void)pair_series(mon, &b->pairs[i]);
	struct sb_bn_market_stream_stats ms = market_stats(b);
	struct sb_bn_user_stream_stats us = user_stats(b);
	watch(b, &mon->market, ms.stalls, ms.reconnects, now_ms);
	watch(b, &mon->user, us.probe_timeouts, us.reconnects, now_ms);
	if (now_ms - mon->last_event_write_ms >= MON_LAST_EVENT_SAVE_MS)
		save_last_event(b, ms.last_ms > us.last_event_ms ? ms.last_ms : us.last_event_ms, now_ms);
}

/* ---- life cycle ------------------------------------------------------------------------------------ */

static int64_t alert_wall_ms(void *user)
{
	return bot_now_ms(user);
}

sb_err monitor_start(struct sb_bot *b)
{
	struct bot_monitor *mon = sb_xcalloc(1, sizeof *mon);
	mon->b = b;
	mon->market.name = "market";
	mon->user.name = "user";
	sb_err err = sb_metrics_new(&mon->m);
	if (err != SB_OK) {
		free(mon);
		return err;
	}
	const struct sb_config *cfg = b->cfg;
	/* An alert is dated by the daemon's clock; its pacing (rate, retries) is the webhook client's. */
	struct sb_alerts_opts ao = {.url = cfg->alert_webhook_url,
	                            .format = cfg->alert_webhook_format,
	                            .wall_ms = alert_wall_ms,
	                            .clock_user = b};
	err = sb_alerts_new(&b->loop, &ao, &mon->alerts);
	if (err != SB_OK) {
		sb_log_error("monitor", SB_FIELDS(SB_F_ERR(err)),
		             "the alert webhook cannot be used: alerts are only logged");
		mon->alerts = NULL;
	}
	b->mon = mon;
	register_fixed(mon);
	if (b->st)
		sb_store_set_commit_observer(b->st, on_db_commit, mon);
	return SB_OK;
}

bool monitor_alerts_pending(const struct sb_bot *b)
{
	if (!b->mon || !b->mon->alerts)
		return false;
	struct sb_alerts_stats s;
	sb_alerts_stats(b->mon->alerts, &s);
	return s.queued > 0;
}

struct sb_metrics *monitor_metrics(const struct sb_bot *b)
{
	return b->mon ? b->mon->m : NULL;
}

void monitor_close(struct sb_bot *b)
{
	struct bot_monitor *mon = b->mon;
	if (!mon)
		return;
	struct sb_bn_market_stream_stats ms = market_stats(b);
	struct sb_bn_user_stream_stats us = user_stats(b);
	save_last_event(b, ms.last_ms > us.last_event_ms ? ms.last_ms : us.last_event_ms, bot_now_ms(b));
	sb_alerts_free(mon->alerts);
	mon->alerts = NULL;
}

void monitor_free(struct sb_bot *b)
{
	struct bot_monitor *mon = b->mon;
	if (!mon)
		return;
	if (b->st)
		sb_store_set_commit_observer(b->st, NULL, NULL);
	sb_alerts_free(mon->alerts);
	sb_metrics_free(mon->m);
	free(mon);
	b->mon = NULL;
}

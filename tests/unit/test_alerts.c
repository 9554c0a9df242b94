/*
 * The webhook notifier against a local HTTP sink: spotsim's server layer runs in this process on the same
 * libuv loop and records every request; a scripted list of statuses makes it fail on purpose. A bare uv TCP
 * listener that accepts and never answers stands in for a dead webhook. Each test drives the loop until the
 * event it waits for, with a deadline that fails the test instead of hanging.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/alerts.h"
#include "bot/metrics.h"
#include "sbtest_loop.h"
#include "sim/server.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define DEADLINE_MS 5000
#define MAX_SEEN    32
#define WALL_MS     INT64_C(1795595142123) /* 2026-11-25T08:25:42.123Z */

struct seen {
	char path[256];         /* request path */
	char query[512];        /* decoded arguments, "k=v&..." */
	char body[4096];        /* request body */
	char content_type[128]; /* Content-Type */
	int method;             /* enum sim_method */
	uint64_t at_ms;         /* mono arrival time */
};

struct fixture {
	uv_loop_t loop;             /* shared by sink and notifier */
	struct sim_server *srv;     /* the sink */
	struct sb_alerts *alerts;   /* under test */
	struct seen seen[MAX_SEEN]; /* requests received */
	int nseen;                  /* entries used */
	int script[MAX_SEEN];       /* status for the n-th request; 0: 200 */
	int retry_after;            /* Retry-After header for 429s, 0: none */
	struct sbt_silent silent;   /* accepts and never answers */
	uint64_t fake_mono;         /* the notifier's monotonic clock when faked */
	int ticks;                  /* fires of the liveness timer */
	int drained;                /* drain callbacks */
	uv_timer_t tick;            /* the liveness timer */
};

static struct fixture fx;

static void handler(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	(void)ctx;
	if (fx.nseen < MAX_SEEN) {
		struct seen *s = &fx.seen[fx.nseen];
		snprintf(s->path, sizeof s->path, "%s", req->path);
		size_t o = 0;
		for (size_t i = 0; i < req->nargs && o < sizeof s->query; i++)
			o += (size_t)snprintf(s->query + o, sizeof s->query - o, "%s%s=%s", i ? "&" : "",
			                      req->args[i].key, req->args[i].value);
		snprintf(s->body, sizeof s->body, "%s", req->body ? req->body : "");
		snprintf(s->content_type, sizeof s->content_type, "%s", req->content_type);
		s->method = (int)req->method;
		s->at_ms = sb_clock_mono_ms();
	}
	int status = fx.nseen < MAX_SEEN && fx.script[fx.nseen] ? fx.script[fx.nseen] : 200;
	fx.nseen++;
	sim_http_resp_text(resp, status, status == 200 ? "ok" : "{\"error\":\"scripted\"}");
	if (status == 429 && fx.retry_after) {
		char v[16];
		snprintf(v, sizeof v, "%d", fx.retry_after);
		sim_http_resp_header(resp, "Retry-After", v);
	}
}

static void setup(void)
{
	memset(&fx, 0, sizeof fx);
	cr_assert_eq(uv_loop_init(&fx.loop), 0);
	cr_assert_eq(sbt_http_server_new(&fx.loop, handler, &fx, &fx.srv), SB_OK);
	cr_assert(sbt_silent_start(&fx.silent, &fx.loop));
}

static void teardown(void)
{
	sb_alerts_free(fx.alerts);
	sbt_silent_close(&fx.silent);
	uv_run(&fx.loop, UV_RUN_NOWAIT);
	sim_server_free(fx.srv);
	cr_assert_eq(uv_loop_close(&fx.loop), 0, "a uv handle was left open");
}

TestSuite(alerts, .init = setup, .fini = teardown);

static struct sb_alerts_stats stats(void)
{
	struct sb_alerts_stats s;
	sb_alerts_stats(fx.alerts, &s);
	return s;
}

static int want_seen;
static bool seen_enough(void)
{
	return fx.nseen >= want_seen;
}

static bool idle(void)
{
	return stats().queued == 0;
}

static int64_t fake_wall(void *user)
{
	(void)user;
	return WALL_MS;
}

static uint64_t fake_mono(void *user)
{
	(void)user;
	return fx.fake_mono;
}

static void sink_url(char *buf, size_t cap, const char *path)
{
	snprintf(buf, cap, "http://127.0.0.1:%d%s", sim_server_port(fx.srv), path);
}

static void make_alerts(const char *url, enum sb_config_alert_format format, struct sb_alerts_opts *extra)
{
	struct sb_alerts_opts o = extra ? *extra : (struct sb_alerts_opts){0};
	o.url = url;
	o.format = format;
	if (!o.wall_ms)
		o.wall_ms = fake_wall;
	if (!o.backoff_ms)
		o.backoff_ms = 10;
	cr_assert_eq(sb_alerts_new(&fx.loop, &o, &fx.alerts), SB_OK);
}

static void alert(enum sb_alert_kind kind, enum sb_alert_severity sev, const char *key, const char *msg,
                  const char *symbol)
{
	struct sb_alert al = {.kind = kind, .severity = sev, .key = key, .message = msg, .symbol = symbol};
	cr_assert_eq(sb_alerts_send(fx.alerts, &al), SB_OK);
}

static void deliver_one(const char *path, enum sb_config_alert_format format, const struct sb_alert *al)
{
	char url[512];
	sink_url(url, sizeof url, path);
	make_alerts(url, format, NULL);
	cr_assert_eq(sb_alerts_send(fx.alerts, al), SB_OK);
	want_seen = 1;
	SBT_RUN_UNTIL(&fx.loop, seen_enough(), DEADLINE_MS);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	cr_assert_eq(stats().sent, 1);
	cr_assert_eq(fx.seen[0].method, SIM_POST);
	cr_assert_str_eq(fx.seen[0].content_type, "application/json");
}

Test(alerts, generic_payload_is_exact_json)
{
	struct sb_alert al = {.kind = SB_ALERT_STOP_LOSS,
	                      .severity = SB_ALERT_CRITICAL,
	                      .key = "stop_loss:BTCUSDT:7",
	                      .message = "sold \"BTC\" at a loss\nnet -1.5 USDT",
	                      .symbol = "BTCUSDT"};
	deliver_one("/hook", SB_CONFIG_ALERT_GENERIC, &al);
	cr_assert_str_eq(fx.seen[0].path, "/hook");
	cr_assert_str_eq(fx.seen[0].body,
	                 "{\"kind\":\"stop_loss\",\"severity\":\"critical\","
	                 "\"message\":\"sold \\\"BTC\\\" at a loss\\nnet -1.5 USDT\","
	                 "\"time\":\"2026-11-25T08:25:42.123Z\",\"key\":\"stop_loss:BTCUSDT:7\","
	                 "\"symbol\":\"BTCUSDT\"}");
}

Test(alerts, generic_payload_without_key_or_symbol_uses_the_kind_as_key)
{
	struct sb_alert al = {.kind = SB_ALERT_START, .severity = SB_ALERT_INFO, .message = "started"};
	deliver_one("/hook", SB_CONFIG_ALERT_GENERIC, &al);
	cr_assert_str_eq(fx.seen[0].body, "{\"kind\":\"start\",\"severity\":\"info\",\"message\":\"started\","
	                                  "\"time\":\"2026-11-25T08:25:42.123Z\",\"key\":\"start\"}");
}

Test(alerts, slack_payload_is_exact_json)
{
	struct sb_alert al = {
	    .kind = SB_ALERT_KILL_SWITCH, .severity = SB_ALERT_CRITICAL, .message = "halted"};
	deliver_one("/services/T0/B0/XYZ", SB_CONFIG_ALERT_SLACK, &al);
	cr_assert_str_eq(fx.seen[0].body, "{\"text\":\"[CRITICAL] kill_switch: halted\"}");
}

Test(alerts, discord_payload_is_exact_json)
{
	struct sb_alert al = {.kind = SB_ALERT_STREAM_STALLED,
	                      .severity = SB_ALERT_WARNING,
	                      .message = "no data 30s",
	                      .symbol = "ETHUSDT"};
	deliver_one("/api/webhooks/1/tok", SB_CONFIG_ALERT_DISCORD, &al);
	cr_assert_str_eq(fx.seen[0].body, "{\"content\":\"[WARNING] stream_stalled ETHUSDT: no data 30s\"}");
}

Test(alerts, telegram_takes_chat_id_from_the_url_into_the_body)
{
	struct sb_alert al = {.kind = SB_ALERT_POSITION_HELD,
	                      .severity = SB_ALERT_WARNING,
	                      .message = "held 26h",
	                      .symbol = "ETHUSDT"};
	deliver_one("/bot123456:ABCdef/sendMessage?x=1&chat_id=%40my_channel&y=2", SB_CONFIG_ALERT_TELEGRAM,
	            &al);
	cr_assert_str_eq(fx.seen[0].path, "/bot123456:ABCdef/sendMessage");
	cr_assert_str_eq(fx.seen[0].query, "x=1&y=2", "chat_id leaves the URL, the rest stays");
	cr_assert_str_eq(
	    fx.seen[0].body,
	    "{\"chat_id\":\"@my_channel\",\"text\":\"[WARNING] position_held ETHUSDT: held 26h\"}");
}

Test(alerts, bad_urls_are_config_errors)
{
	struct sb_alerts *a = NULL;
	struct sb_alerts_opts o = {.url = "ftp://example.com/x", .format = SB_CONFIG_ALERT_GENERIC};
	cr_assert_eq(sb_alerts_new(&fx.loop, &o, &a), SB_ERR_CONFIG);
	o.url = "https:///path";
	cr_assert_eq(sb_alerts_new(&fx.loop, &o, &a), SB_ERR_CONFIG);
	o.url = "https://api.telegram.org/bot1:x/sendMessage";
	o.format = SB_CONFIG_ALERT_TELEGRAM;
	cr_assert_eq(sb_alerts_new(&fx.loop, &o, &a), SB_ERR_CONFIG, "telegram needs chat_id");
	o.url = "https://api.telegram.org/bot1:x/sendMessage?chat_id=";
	cr_assert_eq(sb_alerts_new(&fx.loop, &o, &a), SB_ERR_CONFIG);
	cr_assert_null(a);
	cr_assert_eq(sb_alerts_new(&fx.loop, NULL, &a), SB_ERR_INVALID);
}

Test(alerts, same_key_within_the_window_is_suppressed)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	fx.fake_mono = 1000000;
	struct sb_alerts_opts o = {.mono_ms = fake_mono, .dedupe_window_ms = 60000};
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, &o);
	alert(SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, "rej:BTCUSDT", "3 rejections", NULL);
	alert(SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, "rej:BTCUSDT", "4 rejections", NULL);
	alert(SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, "rej:ETHUSDT", "3 rejections", NULL);
	fx.fake_mono += 59999;
	alert(SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, "rej:BTCUSDT", "5 rejections", NULL);
	cr_assert_eq(stats().suppressed, 2);
	fx.fake_mono += 1; /* the window has passed since the first was accepted */
	alert(SB_ALERT_ORDER_REJECTIONS, SB_ALERT_WARNING, "rej:BTCUSDT", "6 rejections", NULL);
	want_seen = 3;
	SBT_RUN_UNTIL(&fx.loop, seen_enough(), DEADLINE_MS);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	sbt_run_for(&fx.loop, 30);
	cr_assert_eq(fx.nseen, 3);
	cr_assert(strstr(fx.seen[0].body, "\"3 rejections\"") && strstr(fx.seen[0].body, "rej:BTCUSDT"));
	cr_assert(strstr(fx.seen[1].body, "rej:ETHUSDT"));
	cr_assert(strstr(fx.seen[2].body, "\"6 rejections\""));
	struct sb_alerts_stats s = stats();
	cr_assert_eq(s.sent, 3);
	cr_assert_eq(s.suppressed, 2);
	cr_assert_eq(s.accepted, 3);
}

Test(alerts, rate_limit_spaces_requests_by_the_token_bucket)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	uint64_t created = sb_clock_mono_ms();
	struct sb_alerts_opts o = {.rate_max = 2, .rate_window_ms = 300};
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, &o);
	for (int i = 0; i < 4; i++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		alert(SB_ALERT_RECONCILIATION, SB_ALERT_WARNING, key, "finding", NULL);
	}
	want_seen = 4;
	SBT_RUN_UNTIL(&fx.loop, seen_enough(), DEADLINE_MS);
	/* Two tokens at start; then one per 150 ms. */
	cr_assert_geq(fx.seen[2].at_ms - created, 150, "third request after %llu ms",
	              (unsigned long long)(fx.seen[2].at_ms - created));
	cr_assert_geq(fx.seen[3].at_ms - created, 300, "fourth request after %llu ms",
	              (unsigned long long)(fx.seen[3].at_ms - created));
	for (int i = 0; i < 4; i++) {
		char key[24];
		snprintf(key, sizeof key, "\"key\":\"k%d\"", i);
		cr_assert(strstr(fx.seen[i].body, key), "delivered in order");
	}
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	cr_assert_geq(stats().rate_waits, 2);
	cr_assert_eq(stats().sent, 4);
}

Test(alerts, retries_on_500_then_succeeds)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	fx.script[0] = 500;
	fx.script[1] = 503;
	make_alerts(url, SB_CONFIG_ALERT_SLACK, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "stopping", NULL);
	want_seen = 3;
	SBT_RUN_UNTIL(&fx.loop, seen_enough(), DEADLINE_MS);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	for (int i = 0; i < 3; i++)
		cr_assert_str_eq(fx.seen[i].body, "{\"text\":\"[INFO] stop: stopping\"}");
	cr_assert_geq(fx.seen[2].at_ms - fx.seen[1].at_ms, 20, "second retry waits twice the first backoff");
	struct sb_alerts_stats s = stats();
	cr_assert_eq(s.sent, 1);
	cr_assert_eq(s.retried, 2);
	cr_assert_eq(s.failed, 0);
}

Test(alerts, 429_is_retried_after_the_servers_retry_after)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	fx.script[0] = 429;
	fx.retry_after = 1;
	make_alerts(url, SB_CONFIG_ALERT_DISCORD, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "stopping", NULL);
	want_seen = 2;
	SBT_RUN_UNTIL(&fx.loop, seen_enough(), DEADLINE_MS);
	cr_assert_geq(fx.seen[1].at_ms - fx.seen[0].at_ms, 990, "Retry-After: 1 is honoured");
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	cr_assert_eq(stats().sent, 1);
}

Test(alerts, no_retry_on_400)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	fx.script[0] = 400;
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "stopping", NULL);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	sbt_run_for(&fx.loop, 100); /* ten backoffs' worth: nothing more comes */
	cr_assert_eq(fx.nseen, 1);
	struct sb_alerts_stats s = stats();
	cr_assert_eq(s.failed, 1);
	cr_assert_eq(s.retried, 0);
	cr_assert_eq(s.sent, 0);
}

Test(alerts, gives_up_after_max_attempts)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	for (int i = 0; i < MAX_SEEN; i++)
		fx.script[i] = 502;
	struct sb_alerts_opts o = {.max_attempts = 3};
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, &o);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "a", NULL);
	alert(SB_ALERT_START, SB_ALERT_INFO, NULL, "b", NULL);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	cr_assert_eq(fx.nseen, 6, "three attempts each");
	struct sb_alerts_stats s = stats();
	cr_assert_eq(s.failed, 2);
	cr_assert_eq(s.retried, 4);
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
	fx.ticks++;
}

Test(alerts, dead_sink_never_blocks_the_loop)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", fx.silent.port);
	struct sb_alerts_opts o = {.timeout_ms = 200, .max_attempts = 2};
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, &o);
	uv_timer_init(&fx.loop, &fx.tick);
	uv_timer_start(&fx.tick, on_tick, 5, 5);
	uint64_t before = sb_clock_mono_ns();
	alert(SB_ALERT_KILL_SWITCH, SB_ALERT_CRITICAL, NULL, "halted", NULL);
	uint64_t spent_us = (sb_clock_mono_ns() - before) / 1000;
	cr_assert_lt(spent_us, 50000, "send returned after %llu us", (unsigned long long)spent_us);
	uint64_t start = sb_clock_mono_ms();
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	uint64_t elapsed = sb_clock_mono_ms() - start;
	uv_close((uv_handle_t *)&fx.tick, NULL);
	cr_assert_geq(elapsed, 400, "two timed-out attempts");
	cr_assert_geq(fx.ticks, 20, "other timers kept running: %d ticks in %llu ms", fx.ticks,
	              (unsigned long long)elapsed);
	struct sb_alerts_stats s = stats();
	cr_assert_eq(s.failed, 1);
	cr_assert_eq(s.retried, 1);
}

Test(alerts, connection_refused_is_retried)
{
	int port = sbt_closed_port(&fx.loop);
	cr_assert_gt(port, 0);
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
	struct sb_alerts_opts o = {.max_attempts = 3};
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, &o);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "x", NULL);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	struct sb_alerts_stats s = stats();
	cr_assert_eq(s.retried, 2);
	cr_assert_eq(s.failed, 1);
}

Test(alerts, full_queue_drops_the_oldest_waiting_alert)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	struct sb_alerts_opts o = {.queue_max = 2};
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, &o);
	for (int i = 0; i < 5; i++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		alert(SB_ALERT_RECONCILIATION, SB_ALERT_WARNING, key, "finding", NULL);
	}
	/* k0 went out at once; k1..k4 competed for two places and the two oldest lost. */
	cr_assert_eq(stats().dropped, 2);
	cr_assert_eq(stats().queued, 3);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	cr_assert_eq(fx.nseen, 3);
	cr_assert(strstr(fx.seen[0].body, "\"k0\""));
	cr_assert(strstr(fx.seen[1].body, "\"k3\""));
	cr_assert(strstr(fx.seen[2].body, "\"k4\""));
}

Test(alerts, free_with_pending_alerts_releases_everything)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", fx.silent.port);
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, NULL);
	for (int i = 0; i < 10; i++) {
		char key[16];
		snprintf(key, sizeof key, "k%d", i);
		alert(SB_ALERT_RECONCILIATION, SB_ALERT_WARNING, key, "finding", NULL);
	}
	sbt_run_for(&fx.loop, 20); /* the first request is on the wire */
	cr_assert_eq(stats().queued, 10);
	sb_alerts_free(fx.alerts); /* LeakSanitizer and uv_loop_close in teardown check the rest */
	fx.alerts = NULL;
}

static void on_drained(void *user)
{
	(void)user;
	fx.drained++;
}

static bool drained(void)
{
	return fx.drained > 0;
}

Test(alerts, drain_reports_when_the_queue_is_empty)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "stopping", NULL);
	sb_alerts_drain(fx.alerts, 3000, on_drained, NULL);
	cr_assert_eq(fx.drained, 0, "never called from inside drain");
	SBT_RUN_UNTIL(&fx.loop, drained(), DEADLINE_MS);
	cr_assert_eq(stats().sent, 1);
	sbt_run_for(&fx.loop, 20);
	cr_assert_eq(fx.drained, 1, "called once");
}

Test(alerts, drain_gives_up_at_its_timeout_on_a_dead_sink)
{
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", fx.silent.port);
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "stopping", NULL);
	uint64_t start = sb_clock_mono_ms();
	sb_alerts_drain(fx.alerts, 100, on_drained, NULL);
	SBT_RUN_UNTIL(&fx.loop, drained(), DEADLINE_MS);
	cr_assert_geq(sb_clock_mono_ms() - start, 99);
	cr_assert_eq(stats().queued, 1);
}

Test(alerts, without_a_url_alerts_are_only_logged)
{
	make_alerts(NULL, SB_CONFIG_ALERT_GENERIC, NULL);
	alert(SB_ALERT_START, SB_ALERT_INFO, NULL, "started", NULL);
	sbt_run_for(&fx.loop, 20);
	cr_assert_eq(fx.nseen, 0);
	cr_assert_eq(stats().accepted, 0);
	struct sb_alert bad = {.kind = SB_ALERT__COUNT, .message = "x"};
	cr_assert_eq(sb_alerts_send(fx.alerts, &bad), SB_ERR_INVALID);
	bad.kind = SB_ALERT_START;
	bad.message = NULL;
	cr_assert_eq(sb_alerts_send(fx.alerts, &bad), SB_ERR_INVALID);
	char longkey[SB_ALERTS_KEY_MAX + 2];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = '\0';
	struct sb_alert al = {.kind = SB_ALERT_START, .message = "x", .key = longkey};
	cr_assert_eq(sb_alerts_send(fx.alerts, &al), SB_ERR_TOO_LONG);
}

Test(alerts, long_message_is_cut_at_a_character_boundary)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	make_alerts(url, SB_CONFIG_ALERT_DISCORD, NULL);
	static char msg[3 * SB_ALERTS_MESSAGE_MAX];
	for (size_t i = 0; i + 2 < sizeof msg; i += 2)
		memcpy(msg + i, "\xc3\xa9", 2); /* é */
	msg[sizeof msg - 1] = '\0';
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, msg, NULL);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	const char *body = fx.seen[0].body;
	const char *text = strstr(body, "stop: ") + 6;
	const char *end = strstr(text, "...\"}");
	cr_assert_not_null(end);
	size_t n = (size_t)(end - text);
	cr_assert_leq(n, SB_ALERTS_MESSAGE_MAX - 3);
	cr_assert_eq(n % 2, 0, "no half of a two-byte character");
	cr_assert_geq(n, SB_ALERTS_MESSAGE_MAX - 5);
}

Test(alerts, stats_are_exported_as_metrics)
{
	char url[256];
	sink_url(url, sizeof url, "/hook");
	fx.script[0] = 500;
	make_alerts(url, SB_CONFIG_ALERT_GENERIC, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, "x", "a", NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, "x", "a", NULL);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	struct sb_metrics *m;
	cr_assert_eq(sb_metrics_new(&m), SB_OK);
	cr_assert_eq(sb_alerts_register_metrics(fx.alerts, m), SB_OK);
	char *text;
	size_t len;
	cr_assert_eq(sb_metrics_render(m, &text, &len), SB_OK);
	cr_assert_str_eq(text, "# HELP spotbot_alerts_total Webhook alerts by result.\n"
	                       "# TYPE spotbot_alerts_total counter\n"
	                       "spotbot_alerts_total{result=\"sent\"} 1\n"
	                       "spotbot_alerts_total{result=\"failed\"} 0\n"
	                       "spotbot_alerts_total{result=\"retried\"} 1\n"
	                       "spotbot_alerts_total{result=\"suppressed\"} 1\n"
	                       "spotbot_alerts_total{result=\"dropped\"} 0\n");
	free(text);
	sb_metrics_free(m);
}

Test(alerts, webhook_url_never_reaches_the_log)
{
	char dir[] = "/tmp/sb_alerts_log_XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	struct sb_log_opts lo = {.dir = dir, .name = "a.log", .error_name = "", .level = SB_LOG_DEBUG};
	cr_assert_eq(sb_log_open(&lo), SB_OK);
	char url[256];
	sink_url(url, sizeof url, "/services/T000/B000/supersecrettoken");
	fx.script[0] = 500;
	fx.script[1] = 404;
	make_alerts(url, SB_CONFIG_ALERT_SLACK, NULL);
	alert(SB_ALERT_STOP, SB_ALERT_INFO, NULL, "see /services/T000/B000/supersecrettoken", NULL);
	SBT_RUN_UNTIL(&fx.loop, idle(), DEADLINE_MS);
	sb_log_close();
	char path[128], buf[16384];
	snprintf(path, sizeof path, "%s/a.log", dir);
	FILE *fp = fopen(path, "r");
	cr_assert_not_null(fp);
	size_t n = fread(buf, 1, sizeof buf - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	unlink(path);
	rmdir(dir);
	char host[64];
	snprintf(host, sizeof host, "\"host\":\"127.0.0.1:%d\"", sim_server_port(fx.srv));
	cr_assert(strstr(buf, host), "the host is logged: %s", buf);
	cr_assert(strstr(buf, "retrying") && strstr(buf, "refused"), "%s", buf);
	cr_assert_null(strstr(buf, "supersecrettoken"), "%s", buf);
	cr_assert_null(strstr(buf, "T000/B000"), "%s", buf);
}

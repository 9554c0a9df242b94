/*
 * spotsim's faults over real loopback sockets, switched on and off at run time through POST /sim/fault:
 * dropped WebSockets, hidden and expired user-data streams, a skewed clock, slow responses and a short
 * connection lifetime, plus the close codes spotsim's own closes must carry. spotsim runs as a child
 * process; the client is the project's sb_ws on the test's uv loop. Waits run the loop until the event
 * has happened, with a deadline; "nothing arrived" is shown with a fence (a later request whose reply
 * must come after anything the earlier action could have queued), never by sleeping.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"
#include "sbtest_sim.h"
#include "sbtest_ws.h"
#include "spotbot/clock.h"
#include "spotbot/ws_client.h"

#define KEY         "fault-key"
#define SECRET      "fault-secret"
#define DEADLINE_MS SBT_WS_DEADLINE_MS

/* ---- harness ------------------------------------------------------------------------------------- */

static struct sbt_proc sim;
static struct sbt_ws wsh;
static bool sim_stopped; /* a test stopped spotsim itself */

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "13",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
	sim_stopped = false;
	sbt_ws_init(&wsh, sim.port);
}

static void stop(void)
{
	sbt_ws_fini(&wsh);
	if (!sim_stopped)
		cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_faults, .init = start, .fini = stop, .timeout = 90);

/* Sends session.subscriptions with id and waits for the reply: everything queued before it has arrived. */
static size_t fence(struct sbt_wsc *c, int id)
{
	char tag[32];
	sbt_ws_send(c, "{\"id\":%d,\"method\":\"session.subscriptions\"}", id);
	snprintf(tag, sizeof tag, "\"id\":%d,", id);
	return SBT_WS_WAIT(&wsh, c, 0, tag);
}

Test(spotsim_faults, drop_ws_drops_every_connection_without_a_close_frame)
{
	struct sbt_wsc *m = sbt_ws_connect(&wsh, 0, "/ws/btcusdt@bookTicker");
	struct sbt_wsc *u = sbt_ws_connect(&wsh, 1, "/ws-api/v3");
	sbt_sim_fault(sim.port, "drop_ws");
	SBT_RUN_UNTIL(&wsh.loop, m->closes == 1 && u->closes == 1, DEADLINE_MS);
	cr_assert_eq(m->close.reason, SB_WS_CLOSE_DROPPED, "got %s",
	             sb_ws_close_reason_name(m->close.reason));
	cr_assert_eq(u->close.reason, SB_WS_CLOSE_DROPPED, "got %s",
	             sb_ws_close_reason_name(u->close.reason));
	cr_assert_eq(m->close.code, 0);
	/* The server still takes new connections. */
	sbt_ws_connect(&wsh, 2, "/ws/btcusdt@bookTicker");
}

Test(spotsim_faults, hide_user_events_loses_the_events_of_its_time)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1);
	size_t subscribed = c->n;
	sbt_sim_fault(sim.port, "hide_user_events");
	long long hidden = sbt_sim_resting_buy(sim.port, KEY, SECRET, "hidden-1");
	size_t f = fence(c, 2);
	cr_assert_not_null(strstr(c->msg[f], "\"result\":[{\"subscriptionId\":0}]"),
	                   "the subscription stays open: %s", c->msg[f]);
	for (size_t i = subscribed; i < f; i++)
		cr_assert_null(strstr(c->msg[i], "\"event\""), "an event while hidden: %s", c->msg[i]);

	sbt_sim_fault(sim.port, "hide_user_events&value=off");
	long long shown = sbt_sim_resting_buy(sim.port, KEY, SECRET, "shown-1");
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", shown);
	size_t at = SBT_WS_WAIT(&wsh, c, f, "\"subscriptionId\":0", oid, "\"x\":\"NEW\"");
	SBT_WS_WAIT(&wsh, c, at, "\"e\":\"outboundAccountPosition\"");
	/* The events of the hidden order are gone for good, like a silently broken stream's. */
	size_t g = fence(c, 3);
	snprintf(oid, sizeof oid, "\"i\":%lld,", hidden);
	for (size_t i = 0; i < g; i++)
		cr_assert_null(strstr(c->msg[i], oid), "the hidden order's event came late: %s", c->msg[i]);
}

/* user_events_delay_ms: each user event arrives that long after it happened, none is lost, and the
 * order of events is kept, also for an event that happens after the fault is switched off while earlier
 * ones are still held. */
Test(spotsim_faults, user_events_delay_ms_delivers_every_event_late_and_in_order)
{
	struct sbt_wsc *c = sbt_ws_connect(&wsh, 0, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, c, KEY, SECRET, 1);
	sbt_sim_fault(sim.port, "user_events_delay_ms&value=3000");
	uint64_t placed = sb_clock_mono_ms();
	long long first = sbt_sim_resting_buy(sim.port, KEY, SECRET, "late-1");
	size_t f = fence(c, 2);
	char oid[48];
	snprintf(oid, sizeof oid, "\"i\":%lld,", first);
	for (size_t i = 0; i < f; i++)
		cr_assert_null(strstr(c->msg[i], oid), "the event came at once: %s", c->msg[i]);

	/* Off while late-1's event is held: late-2's event must still come after it. */
	sbt_sim_fault(sim.port, "user_events_delay_ms&value=off");
	long long second = sbt_sim_resting_buy(sim.port, KEY, SECRET, "late-2");
	size_t at = SBT_WS_WAIT(&wsh, c, f, oid, "\"x\":\"NEW\"");
	cr_assert_geq(sb_clock_mono_ms() - placed, 2900u, "late-1's event came after the delay");
	snprintf(oid, sizeof oid, "\"i\":%lld,", second);
	SBT_WS_WAIT(&wsh, c, at, oid, "\"x\":\"NEW\"");
}

Test(spotsim_faults, expire_user_data_terminates_subscriptions_and_listen_keys)
{
	char key[128], path[160];
	sbt_sim_listen_key(sim.port, KEY, key, sizeof key);
	snprintf(path, sizeof path, "/ws/%s", key);
	struct sbt_wsc *lk = sbt_ws_connect(&wsh, 0, path);
	struct sbt_wsc *api = sbt_ws_connect(&wsh, 1, "/ws-api/v3");
	sbt_ws_subscribe_user_data(&wsh, api, KEY, SECRET, 1);

	sbt_sim_fault(sim.port, "expire_user_data");
	size_t at = SBT_WS_WAIT(&wsh, api, 0, "\"e\":\"eventStreamTerminated\"");
	cJSON *j = sbt_jparse(api->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "subscriptionId"), 0);
	cr_assert_gt(sbt_jnum(sbt_jfield(j, "event"), "E"), 1.5e12);
	cJSON_Delete(j);

	at = SBT_WS_WAIT(&wsh, lk, 0, "\"e\":\"listenKeyExpired\"");
	j = sbt_jparse(lk->msg[at]);
	cr_assert_str_eq(sbt_jstr(j, "listenKey"), key);
	cJSON_Delete(j);
	SBT_RUN_UNTIL(&wsh.loop, lk->closes == 1, DEADLINE_MS);
	cr_assert_eq(lk->close.reason, SB_WS_CLOSE_PEER, "got %s", sb_ws_close_reason_name(lk->close.reason));
	cr_assert_eq(lk->close.code, 1000);
	cr_assert_str_eq(lk->close_text, "listenKey expired");

	/* The WebSocket API connection stays open, without subscriptions and without events. */
	size_t before = api->n;
	sbt_sim_resting_buy(sim.port, KEY, SECRET, "after-expiry");
	size_t f = fence(api, 2);
	cr_assert_not_null(strstr(api->msg[f], "\"status\":200,\"result\":[]"), "%s", api->msg[f]);
	for (size_t i = before; i < f; i++)
		cr_assert_null(strstr(api->msg[i], "executionReport"), "%s", api->msg[i]);
	cr_assert_eq(api->closes, 0);
	/* The expired key is gone: keepalive fails with Binance's code. */
	struct sbt_response r;
	char q[160];
	snprintf(q, sizeof q, "listenKey=%s", key);
	cr_assert(sbt_http(sim.port, "PUT", "/api/v3/userDataStream", q, KEY, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "-1125"), "%s", r.body);
	sbt_response_free(&r);
}

static double server_time_offset(void)
{
	struct sbt_response r;
	int64_t before = sb_clock_wall_ms();
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/time", NULL, NULL, &r));
	int64_t after = sb_clock_wall_ms();
	cJSON *j = sbt_jparse(r.body);
	double off = sbt_jnum(j, "serverTime") - (double)(before + after) / 2;
	cJSON_Delete(j);
	sbt_response_free(&r);
	return off;
}

Test(spotsim_faults, clock_skew_moves_server_time_and_rejects_the_old_clock)
{
	cr_assert_lt(fabs(server_time_offset()), 1000);
	sbt_sim_fault(sim.port, "clock_skew_ms&value=60000");
	double off = server_time_offset();
	cr_assert(off > 59000 && off < 61000, "offset %.0f ms", off);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	cr_assert_eq(r.status, 400, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	cr_assert_eq((int)sbt_jnum(j, "code"), -1021, "%s", r.body);
	cJSON_Delete(j);
	sbt_response_free(&r);

	sbt_sim_fault(sim.port, "clock_skew_ms&value=-60000");
	off = server_time_offset();
	cr_assert(off < -59000 && off > -61000, "offset %.0f ms", off);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	cr_assert_not_null(strstr(r.body, "-1021"), "a timestamp ahead of the server: %s", r.body);
	sbt_response_free(&r);

	sbt_sim_fault(sim.port, "clock_skew_ms&value=off");
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
}

Test(spotsim_faults, delay_ms_holds_every_response_back)
{
	sbt_sim_fault(sim.port, "delay_ms&value=400");
	struct sbt_response r;
	uint64_t t0 = sb_clock_mono_ms();
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/ping", NULL, NULL, &r));
	uint64_t took = sb_clock_mono_ms() - t0;
	cr_assert_eq(r.status, 200);
	sbt_response_free(&r);
	cr_assert_geq(took, 400, "answered after %llu ms", (unsigned long long)took);
	t0 = sb_clock_mono_ms();
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, SECRET, &r));
	took = sb_clock_mono_ms() - t0;
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	cr_assert_geq(took, 400, "answered after %llu ms", (unsigned long long)took);
	sbt_sim_fault(sim.port, "delay_ms&value=off");
}

Test(spotsim_faults, ws_lifetime_closes_connections_with_code_1000)
{
	uint64_t t0 = sb_clock_mono_ms();
	struct sbt_wsc *m = sbt_ws_connect(&wsh, 0, "/stream?streams=btcusdt@bookTicker");
	struct sbt_wsc *u = sbt_ws_connect(&wsh, 1, "/ws-api/v3");
	sbt_sim_fault(sim.port, "ws_lifetime_s&value=1");
	SBT_RUN_UNTIL(&wsh.loop, m->closes == 1 && u->closes == 1, DEADLINE_MS);
	uint64_t took = sb_clock_mono_ms() - t0;
	cr_assert_geq(took, 1000, "closed after %llu ms", (unsigned long long)took);
	for (int i = 0; i < 2; i++) {
		struct sbt_wsc *c = i ? u : m;
		cr_assert_eq(c->close.reason, SB_WS_CLOSE_PEER, "got %s",
		             sb_ws_close_reason_name(c->close.reason));
		cr_assert_eq(c->close.code, 1000);
		cr_assert_str_eq(c->close_text, "connection lifetime reached");
	}
}

Test(spotsim_faults, shutdown_closes_connections_with_code_1001)
{
	struct sbt_wsc *m = sbt_ws_connect(&wsh, 0, "/ws/btcusdt@bookTicker");
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0);
	sim_stopped = true;
	SBT_RUN_UNTIL(&wsh.loop, m->closes == 1, DEADLINE_MS);
	cr_assert_eq(m->close.reason, SB_WS_CLOSE_PEER, "got %s", sb_ws_close_reason_name(m->close.reason));
	cr_assert_eq(m->close.code, 1001);
	cr_assert_str_eq(m->close_text, "server shutting down");
}

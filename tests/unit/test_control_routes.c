/*
 * test_control_routes.c - the control API's route table and the function that walks it (src/bot/control.c),
 * on requests parsed by the real parser and answered by a daemon without sockets
 * (tests/support/sbtest_bot.h): which route a method and path name, the 401 / 405 / 503 / 404 refusals in the
 * order the API gives them, the open routes, and an action's effect on the database.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "bot/control_int.h"
#include "sbtest_bot.h"

#define TOKEN "s3cret-token"

static struct sbt_bot tb;
static struct bot_control *ctl;

static void begin(const char *const *settings)
{
	sbt_bot_init(&tb, "BTCUSDT:quote=20", settings, 0);
	(void)sbt_bot_fake(&tb);
	sbt_bot_trading(&tb);
	ctl = control_new(tb.b);
}

static void teardown(void)
{
	control_free(ctl);
	ctl = NULL;
	sbt_bot_fini(&tb);
}

TestSuite(control_routes, .fini = teardown);

/* The answer to method path?query (NULL: none) with the bearer token auth (NULL: none): its status, and its
 * body into *body (the caller's, free()). */
static int ask(const char *method, const char *path, const char *query, const char *auth, char **body)
{
	char hdr[128] = "";
	if (auth)
		snprintf(hdr, sizeof hdr, "Bearer %s", auth);
	struct control_raw raw = {
	    .method = method,
	    .method_len = strlen(method),
	    .path = path,
	    .path_len = strlen(path),
	    .query = query,
	    .query_len = query ? strlen(query) : 0,
	    .auth = auth ? hdr : NULL,
	    .auth_len = auth ? strlen(hdr) : 0,
	};
	static struct control_request q;
	char why[160];
	cr_assert_eq(control_request_parse(&raw, &q, why, sizeof why), 0, "%s %s: %s", method, path, why);
	struct control_reply r = {0};
	struct control_deferred *pending = NULL;
	control_route(ctl, NULL, &q, &pending, &r);
	cr_assert_null(pending, "%s %s: no route here defers its answer", method, path);
	cr_assert_eq(r.len, r.body ? strlen(r.body) : 0);
	*body = r.body ? r.body : calloc(1, 1);
	return r.status;
}

/* Asks and checks the status and, when want is not NULL, the whole body. */
static void expect(const char *method, const char *path, const char *auth, int status, const char *want)
{
	char *body = NULL;
	int got = ask(method, path, NULL, auth, &body);
	cr_assert_eq(got, status, "%s %s: %d %s", method, path, got, body);
	if (want)
		cr_assert_str_eq(body, want, "%s %s", method, path);
	free(body);
}

Test(control_routes, the_table_names_each_route_by_method_and_path)
{
	struct {
		enum control_method method;
		const char *path;
		const char *name; /* NULL: no route */
	} cases[] = {
	    {CONTROL_GET, "/status", "status"},
	    {CONTROL_GET, "/health", "health"},
	    {CONTROL_GET, "/health/ready", "health"},
	    {CONTROL_GET, "/health/live", "live"},
	    {CONTROL_GET, "/positions", "positions"},
	    {CONTROL_GET, "/positions/12/outcome", "outcome"},
	    {CONTROL_POST, "/pause", "pause"},
	    {CONTROL_POST, "/pairs/ETHUSDT/enable", "pair edit"},
	    {CONTROL_POST, "/positions/3/sell", "manual action"},
	    {CONTROL_GET, "/pause", NULL},   /* an action's path read with GET */
	    {CONTROL_POST, "/status", NULL}, /* a view's path written with POST */
	    {CONTROL_GET, "/statusx", NULL}, /* exact paths match exactly */
	    {CONTROL_GET, "/health/", NULL},
	    {CONTROL_OTHER, "/status", NULL}, /* only GET and POST have routes */
	    {CONTROL_GET, "/nowhere", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct control_route *rt = control_route_find(cases[i].method, cases[i].path);
		if (!cases[i].name) {
			cr_assert_null(rt, "%s has no route", cases[i].path);
			continue;
		}
		cr_assert_not_null(rt, "%s has a route", cases[i].path);
		cr_assert_str_eq(rt->name, cases[i].name, "%s", cases[i].path);
	}
	cr_assert_eq(control_route_find(CONTROL_GET, "/health/live")->access, CONTROL_ACCESS_OPEN);
	cr_assert_eq(control_route_find(CONTROL_GET, "/metrics")->access, CONTROL_ACCESS_MONITORING);
	cr_assert_eq(control_route_find(CONTROL_GET, "/status")->access, CONTROL_ACCESS_TOKEN);
}

Test(control_routes, refusals_come_in_order_token_method_stopping_path)
{
	const char *const settings[] = {"CONTROL_TOKEN=" TOKEN, NULL};
	begin(settings);
	/* Without the token nothing is said about the path or the method. */
	expect("GET", "/nowhere", NULL, 401, "{\"error\":\"a valid bearer token is required\"}");
	expect("PUT", "/status", NULL, 401, NULL);
	expect("GET", "/status", "wrong", 401, NULL);
	expect("PUT", "/status", TOKEN, 405, "{\"error\":\"method not allowed\"}");
	expect("GET", "/nowhere", TOKEN, 404, "{\"error\":\"not found\"}");
	expect("GET", "/pause", TOKEN, 404, "{\"error\":\"not found\"}");
	expect("POST", "/status", TOKEN, 404, NULL);
	/* A prefix route whose rest means nothing is a 404 as well. */
	expect("GET", "/positions/x/outcome", TOKEN, 404, "{\"error\":\"not found\"}");
	expect("POST", "/positions/7/explode", TOKEN, 404, "{\"error\":\"not found\"}");
	expect("POST", "/pairsX", TOKEN, 404, "{\"error\":\"not found\"}");
	/* A manual action's outcome on a position nobody acted on: the manual module's own 404. */
	char *body = NULL;
	cr_assert_eq(ask("GET", "/positions/7/outcome", NULL, TOKEN, &body), 404);
	cr_assert(strstr(body, "no manual action on position 7"), "%s", body);
	free(body);
	/* Once the daemon stops every POST is refused, known path or not; reads still work. */
	cr_assert_eq(bot_set_state(tb.b, BOT_STOPPING, "test"), SB_OK);
	expect("POST", "/pause", TOKEN, 503, "{\"error\":\"stopping\"}");
	expect("POST", "/nowhere", TOKEN, 503, NULL);
	expect("GET", "/status", TOKEN, 200, NULL);
}

Test(control_routes, liveness_is_open_and_monitoring_opens_only_when_asked)
{
	const char *const settings[] = {"CONTROL_TOKEN=" TOKEN, NULL};
	begin(settings);
	expect("GET", "/health/live", NULL, 200, "{\"alive\":true,\"state\":\"trading\"}");
	expect("POST", "/health/live", NULL, 401, NULL);
	expect("GET", "/metrics", NULL, 401, NULL);
	expect("GET", "/health", NULL, 401, NULL);
	/* With the token the view answers (the daemon here has no monitor, so it cannot render metrics). */
	expect("GET", "/metrics", TOKEN, 500, "{\"error\":\"metrics could not be rendered\"}");
}

Test(control_routes, open_monitoring_serves_scrapers_without_the_token)
{
	const char *const settings[] = {"CONTROL_TOKEN=" TOKEN, "CONTROL_OPEN_MONITORING=true", NULL};
	begin(settings);
	expect("GET", "/metrics", NULL, 500, "{\"error\":\"metrics could not be rendered\"}");
	/* The fake's streams are not up: the readiness check answers, and says why it is not ready. */
	expect("GET", "/health/ready", NULL, 503, NULL);
	expect("GET", "/health", NULL, 503, NULL);
	expect("GET", "/status", NULL, 401, NULL);
	expect("POST", "/pause", NULL, 401, NULL);
}

Test(control_routes, pause_and_resume_write_the_kill_switch_to_the_database)
{
	begin(NULL);
	char v[16];
	expect("POST", "/pause", NULL, 200, "{\"paused\":true,\"state\":\"paused\"}");
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_PAUSED, v, sizeof v), "1");
	expect("POST", "/resume", NULL, 200, NULL);
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_PAUSED, v, sizeof v), "0");
	/* With ?symbol= only that pair pauses: the switch stays off, the pair row is disabled. */
	char *body = NULL;
	cr_assert_eq(ask("POST", "/pause", "symbol=btcusdt", NULL, &body), 200, "%s", body);
	cr_assert_str_eq(body, "{\"symbol\":\"BTCUSDT\",\"paused\":true}");
	free(body);
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_PAUSED, v, sizeof v), "0");
	cr_assert_eq(ask("POST", "/pause", "symbol=NOPEUSDT", NULL, &body), 404, "%s", body);
	free(body);
}

Test(control_routes, an_action_whose_deadline_passed_is_refused_and_not_carried_out)
{
	/* The CLI gives up after its timeout; a daemon held up past the action's deadline (a locked
	 * database, a stall) must not resume or pause behind the back of the operator it told nothing. */
	begin(NULL);
	char v[16], q[64], *body = NULL;
	snprintf(q, sizeof q, "deadline=%lld", (long long)(sbt_bot_now(&tb) - 1));
	cr_assert_eq(ask("POST", "/pause", q, NULL, &body), 504, "%s", body);
	cr_assert(strstr(body, "nothing was done"), "%s", body);
	free(body);
	cr_assert_str_neq(sbt_bot_state(&tb, SB_STORE_KEY_PAUSED, v, sizeof v), "1", "not paused");
	cr_assert_not(tb.b->paused);
	/* In time, it is carried out; reads ignore the deadline. */
	snprintf(q, sizeof q, "deadline=%lld", (long long)(sbt_bot_now(&tb) + 4000));
	cr_assert_eq(ask("POST", "/pause", q, NULL, &body), 200, "%s", body);
	free(body);
	cr_assert_str_eq(sbt_bot_state(&tb, SB_STORE_KEY_PAUSED, v, sizeof v), "1");
	snprintf(q, sizeof q, "deadline=%lld", (long long)(sbt_bot_now(&tb) - 1));
	cr_assert_eq(ask("GET", "/status", q, NULL, &body), 200, "%s", body);
	free(body);
}

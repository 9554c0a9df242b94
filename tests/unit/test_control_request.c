/*
 * test_control_request.c - the control API's request parser (src/bot/control_request.c) on requests built
 * by hand: the limits and their statuses, the query parameters, the bearer token and its comparison.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bot/control_request.h"

static struct control_request q;
static char why[160];

/* Parses method, path, query (NULL: none), Authorization (NULL: none) and body (NULL: none). */
static int parse(const char *method, const char *path, const char *query, const char *auth, const char *body)
{
	struct control_raw raw = {
	    .method = method,
	    .method_len = strlen(method),
	    .path = path,
	    .path_len = strlen(path),
	    .query = query,
	    .query_len = query ? strlen(query) : 0,
	    .auth = auth,
	    .auth_len = auth ? strlen(auth) : 0,
	    .body = body,
	    .body_len = body ? strlen(body) : 0,
	    .body_declared = body ? strlen(body) : 0,
	};
	why[0] = '\0';
	return control_request_parse(&raw, &q, why, sizeof why);
}

Test(control_request, query_parameters_are_decoded_and_the_symbol_upper_cased)
{
	cr_assert_eq(
	    parse("POST", "/positions/7/reprice", "price=101%2E5&force=true&symbol=btcusdt", NULL, NULL), 0,
	    "%s", why);
	cr_assert_eq(q.method, CONTROL_POST);
	cr_assert_str_eq(q.path, "/positions/7/reprice");
	cr_assert_str_eq(q.price, "101.5");
	cr_assert(q.force);
	cr_assert_str_eq(q.symbol, "BTCUSDT");
	cr_assert_eq(parse("GET", "/events", "after=42", NULL, NULL), 0);
	cr_assert_eq(q.after, 42);
	cr_assert_eq(parse("POST", "/positions/7/reprice", "price=", NULL, NULL), 0);
	cr_assert_str_eq(q.price, "-", "an empty price is kept as present, for the refusal to name it");
	cr_assert_eq(parse("DELETE", "/pause", NULL, NULL, NULL), 0);
	cr_assert_eq(q.method, CONTROL_OTHER);
}

Test(control_request, malformed_input_is_refused_by_name)
{
	cr_assert_eq(parse("GET", "/events", "after=abc", NULL, NULL), 400);
	cr_assert(strstr(why, "after"), "%s", why);
	cr_assert_eq(parse("GET", "/events", "after=1&after=2", NULL, NULL), 400);
	cr_assert(strstr(why, "query string"), "%s", why);
	cr_assert_eq(parse("GET", "/events", "x=%zz", NULL, NULL), 400);
	cr_assert_eq(parse("GET", "status", NULL, NULL, NULL), 400);
	cr_assert(strstr(why, "'/'"), "%s", why);
	cr_assert_eq(parse("GET", "/sta tus", NULL, NULL, NULL), 400);
	cr_assert_eq(parse("POST", "/pause", "symbol=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, NULL),
	             400);
	cr_assert(strstr(why, "symbol"), "%s", why);
	cr_assert_eq(parse("POST", "/resume", "deadline=soon", NULL, NULL), 400);
	cr_assert(strstr(why, "deadline"), "%s", why);
	cr_assert_eq(parse("POST", "/resume", "deadline=-5", NULL, NULL), 400);
}

Test(control_request, limits_answer_414_431_and_413)
{
	static char big[6000];
	memset(big, 'a', sizeof big - 1);
	big[0] = '/';
	big[CONTROL_PATH_MAX + 1] = '\0';
	cr_assert_eq(parse("GET", big, NULL, NULL, NULL), 414);
	big[CONTROL_PATH_MAX] = '\0';
	cr_assert_eq(parse("GET", big, NULL, NULL, NULL), 0, "exactly at the limit: %s", why);
	memset(big, 'a', sizeof big - 1);
	big[CONTROL_QUERY_MAX + 1] = '\0';
	cr_assert_eq(parse("GET", "/events", big, NULL, NULL), 414);
	memset(big, 'a', sizeof big - 1);
	memcpy(big, "Bearer ", 7);
	big[CONTROL_HEADER_MAX] = '\0';
	cr_assert_eq(parse("GET", "/status", NULL, big, NULL), 431);
	cr_assert(strstr(why, "Authorization"), "%s", why);
	memset(big, 'a', sizeof big - 1);
	big[CONTROL_BODY_MAX + 1] = '\0';
	cr_assert_eq(parse("POST", "/pairs", NULL, NULL, big), 413);
	big[CONTROL_BODY_MAX] = '\0';
	cr_assert_eq(parse("POST", "/pairs", NULL, NULL, big), 0, "exactly at the limit: %s", why);
}

Test(control_request, the_bearer_token_is_compared_whole)
{
	cr_assert_eq(parse("GET", "/status", NULL, "bearer s3cret", NULL), 0);
	cr_assert(q.has_token, "the scheme is case-insensitive");
	cr_assert(control_request_authorised(&q, "s3cret"));
	cr_assert_not(control_request_authorised(&q, "s3cre"));
	cr_assert_not(control_request_authorised(&q, "s3crett"));
	cr_assert(control_request_authorised(&q, ""), "no token configured: anyone");
	cr_assert_eq(parse("GET", "/status", NULL, "Basic czNjcmV0", NULL), 0);
	cr_assert_not(q.has_token);
	cr_assert_not(control_request_authorised(&q, "s3cret"));
	cr_assert_eq(parse("GET", "/status", NULL, NULL, NULL), 0);
	cr_assert_not(control_request_authorised(&q, "s3cret"));
	cr_assert(control_request_is_monitoring("/metrics") && control_request_is_monitoring("/health") &&
	          control_request_is_monitoring("/health/ready"));
	cr_assert_not(control_request_is_monitoring("/status"));
	cr_assert_not(control_request_is_monitoring("/health/live"), "liveness is open anyway");
}

/*
 * cmd_act.c - manual actions through the daemon's control API (docs/control-api.md):
 *   spotbot pause [SYMBOL] | resume [SYMBOL]                   the kill switch, for everything or one pair
 *   spotbot sell|cancel|abandon POSITION-ID [--timeout T]       one open position
 *   spotbot reprice POSITION-ID PRICE [--force] [--timeout T]   its limit sell moved to PRICE
 * The address and the bearer token come from the same configuration the daemon reads (CONTROL_LISTEN,
 * CONTROL_TOKEN). Nothing answering at the address means the daemon is not running: exit 3. An action on
 * a position is followed to its end (GET /positions/ID/outcome) for up to --timeout: the command reports
 * what the exchange did with the order, exits 1 when it was refused or rejected and 4 when the action
 * was still under way at the timeout.
 * The request itself (sb_cli_control_post) is shared with the pair commands of cmd_pairs.c.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/config.h"
#include "spotbot/decimal.h"
#include "spotbot/http_client.h"

extern char **environ;

#define ACT_BODY_MAX   (64u * 1024u) /* longest answer kept */
#define ACT_TIMEOUT_MS 10000         /* the whole request */
/* An action's deadline (?deadline=), this long after it is sent: a daemon held up longer refuses it
 * rather than carry it out after this client has given up. It leaves the daemon time for one write that
 * waits out a locked database (its busy timeout, 5 s) before the request's own timeout. */
#define ACT_DEADLINE_MS 4000
#define ACT_WAIT_MS     30000         /* --timeout's default: how long an action is followed */
#define ACT_WAIT_MAX    (3600 * 1000) /* --timeout's largest value */
#define ACT_POLL_MS     100           /* between two looks at the outcome */

static void usage(FILE *f, const char *cmd)
{
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0)
		fprintf(f,
		        "usage: spotbot %s [SYMBOL] [--config FILE]\n"
		        "  without SYMBOL the kill switch is %s for every pair\n",
		        cmd, strcmp(cmd, "pause") == 0 ? "turned on" : "turned off");
	else if (strcmp(cmd, "reprice") == 0)
		fprintf(f,
		        "usage: spotbot reprice POSITION-ID PRICE [--force] [--timeout T] [--config FILE]\n"
		        "  PRICE is rounded up to the symbol's tick; below the position's minimum\n"
		        "  profitable price it is refused unless --force (selling at a loss)\n"
		        "  waits up to --timeout (30s; 0 does not wait) for the sell to work on the\n"
		        "  exchange; exit 1 when refused or rejected, 4 when still under way\n");
	else
		fprintf(
		    f,
		    "usage: spotbot %s POSITION-ID [--timeout T] [--config FILE]\n"
		    "  waits up to --timeout (like 30s, 2m, 500ms; 0 does not wait; default 30s) for the\n"
		    "  outcome; exit 1 when refused or rejected, 4 when still under way at the timeout\n",
		    cmd);
}

char *sb_cli_symbol_upper(char *s)
{
	for (char *p = s; p && *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return s;
}

/* The API's flag for an override named in a refusal, in the CLI's own words. */
static const char *cli_override(const char *api)
{
	if (strcmp(api, "force") == 0)
		return "--force";
	return NULL;
}

/*
 * A refusal names its reason ("reason") apart from the API's own wording ("error", which speaks of query
 * parameters such as force=1); when it says which override would lift it ("override"), the CLI names its
 * own flag for it.
 */
void sb_cli_control_error(const char *cmd, long status, const char *body)
{
	cJSON *j = body ? cJSON_Parse(body) : NULL;
	const cJSON *e = j ? cJSON_GetObjectItemCaseSensitive(j, "error") : NULL;
	const cJSON *why = j ? cJSON_GetObjectItemCaseSensitive(j, "reason") : NULL;
	const cJSON *ov = j ? cJSON_GetObjectItemCaseSensitive(j, "override") : NULL;
	const char *msg = body ? body : "";
	if (e && cJSON_IsString(e) && e->valuestring)
		msg = e->valuestring;
	const char *flag = ov && cJSON_IsString(ov) ? cli_override(ov->valuestring) : NULL;
	const cJSON *lifts = j ? cJSON_GetObjectItemCaseSensitive(j, "override_does") : NULL;
	if (status == 401)
		fprintf(stderr,
		        "spotbot %s: the daemon refused the token (set CONTROL_TOKEN as the daemon has it)\n",
		        cmd);
	else if (flag && cJSON_IsString(why) && cJSON_IsString(lifts))
		fprintf(stderr, "spotbot %s: refused (%ld): %s; %s %s\n", cmd, status, why->valuestring, flag,
		        lifts->valuestring);
	else
		fprintf(stderr, "spotbot %s: refused (%ld): %s\n", cmd, status, msg);
	cJSON_Delete(j);
}

/* Both requests; cmd NULL keeps quiet about failures. */
static int request(const char *cmd, const struct sb_config *cfg, bool post, const char *path,
                   const char *body, long *status, char **answer)
{
	*status = 0;
	*answer = NULL;
	const char *listen = cfg->control_listen;
	char url[512];
	bool unix_sock = strncmp(listen, "unix:", 5) == 0;
	int n = post ? snprintf(url, sizeof url, "http://%s%s%cdeadline=%" PRId64,
	                        unix_sock ? "localhost" : listen, path, strchr(path, '?') ? '&' : '?',
	                        sb_clock_wall_ms() + ACT_DEADLINE_MS)
	             : snprintf(url, sizeof url, "http://%s%s", unix_sock ? "localhost" : listen, path);
	if (n < 0 || (size_t)n >= sizeof url) {
		if (cmd)
			fprintf(stderr, "spotbot %s: CONTROL_LISTEN is too long\n", cmd);
		return SB_EXIT_USAGE;
	}
	char auth[600];
	struct sb_http_opts ho = {.timeout_ms = ACT_TIMEOUT_MS,
	                          .max_body = ACT_BODY_MAX,
	                          .max_in_flight = 1,
	                          .unix_socket = unix_sock ? listen + 5 : NULL};
	struct sb_http_req req = {.method = post ? SB_HTTP_POST : SB_HTTP_GET,
	                          .url = url,
	                          .body = post ? (body ? body : "") : NULL,
	                          .body_len = post && body ? strlen(body) : 0,
	                          .content_type = body ? "application/json" : NULL};
	if (cfg->control_token && cfg->control_token[0]) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", cfg->control_token);
		req.headers[req.nheaders++] = auth;
	}
	struct sb_http_fetched f;
	sb_http_fetch(&ho, &req, &f);
	*status = f.status;
	if (f.err == SB_ERR_NETWORK && !f.sent) {
		if (cmd)
			fprintf(stderr, "spotbot %s: the daemon is not running (nothing answers at %s)\n",
			        cmd, listen);
		sb_http_fetched_free(&f);
		return SB_EXIT_NO_DAEMON;
	}
	if (f.err != SB_OK) {
		if (cmd)
			fprintf(stderr, "spotbot %s: the daemon did not answer: %s\n", cmd, f.errmsg);
		sb_http_fetched_free(&f);
		return SB_EXIT_FAILURE;
	}
	*answer = f.body;
	return SB_EXIT_OK;
}

int sb_cli_control_post(const char *cmd, const struct sb_config *cfg, const char *path, const char *body,
                        long *status, char **answer)
{
	return request(cmd, cfg, true, path, body, status, answer);
}

int sb_cli_control_get(const char *cmd, const struct sb_config *cfg, const char *path, long *status,
                       char **answer)
{
	return request(cmd, cfg, false, path, NULL, status, answer);
}

cJSON *sb_cli_control_get_json(const struct sb_config *cfg, const char *path)
{
	long code = 0;
	char *body = NULL;
	cJSON *j = NULL;
	if (sb_cli_control_get(NULL, cfg, path, &code, &body) == SB_EXIT_OK && code == 200 && body)
		j = cJSON_Parse(body);
	free(body);
	if (j && !cJSON_IsObject(j) && !cJSON_IsArray(j)) {
		cJSON_Delete(j);
		j = NULL;
	}
	return j;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/*
 * Follows the action on position id until it has ended or wait_ms has passed; *outcome is the daemon's
 * last answer (the caller's). Returns an sb_exit value: OK (ended as asked), FAILURE (ended otherwise, or
 * the daemon stopped answering), PENDING (still under way).
 */
static int follow(const char *cmd, const struct sb_config *cfg, const char *id, int64_t wait_ms,
                  cJSON **outcome)
{
	char path[96];
	snprintf(path, sizeof path, "/positions/%s/outcome", id);
	uint64_t end = sb_clock_mono_ms() + (uint64_t)wait_ms;
	*outcome = NULL;
	for (;;) {
		long status = 0;
		char *body = NULL;
		int ret = sb_cli_control_get(cmd, cfg, path, &status, &body);
		if (ret != SB_EXIT_OK)
			return ret;
		cJSON *j = status == 200 && body ? cJSON_Parse(body) : NULL;
		free(body);
		if (!j) {
			fprintf(stderr, "spotbot %s: the daemon did not say how the action ended (%ld)\n",
			        cmd, status);
			return SB_EXIT_FAILURE;
		}
		cJSON_Delete(*outcome);
		*outcome = j;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "done")))
			return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "ok")) ? SB_EXIT_OK
			                                                               : SB_EXIT_FAILURE;
		if (sb_clock_mono_ms() >= end)
			return SB_EXIT_PENDING;
		nap_ms(ACT_POLL_MS);
	}
}

/*
 * POSTs path to the daemon; for an action on a position (id) that was accepted, follows it for up to
 * wait_ms. Prints the daemon's answer, with the outcome added as "outcome"; returns an sb_exit value.
 */
static int call(const char *cmd, const struct sb_config *cfg, const char *path, const char *id,
                int64_t wait_ms)
{
	long status = 0;
	char *body = NULL;
	int ret = sb_cli_control_post(cmd, cfg, path, NULL, &status, &body);
	if (ret != SB_EXIT_OK)
		return ret;
	if (status < 200 || status >= 300) {
		sb_cli_control_error(cmd, status, body);
		free(body);
		return SB_EXIT_FAILURE;
	}
	/* --timeout 0 does not wait, but still asks once how far the action got: exit 0 only when it ended
	 * as asked, 4 while it is under way. */
	cJSON *answer = id && wait_ms >= 0 && body ? cJSON_Parse(body) : NULL;
	if (!answer) {
		printf("%s\n", body ? body : "{}");
		free(body);
		return SB_EXIT_OK;
	}
	free(body);
	cJSON *outcome = NULL;
	ret = follow(cmd, cfg, id, wait_ms, &outcome);
	const cJSON *detail = cJSON_GetObjectItemCaseSensitive(outcome, "detail");
	if (ret == SB_EXIT_FAILURE && cJSON_IsString(detail))
		fprintf(stderr, "spotbot %s: failed: %s\n", cmd, detail->valuestring);
	else if (ret == SB_EXIT_PENDING)
		fprintf(stderr,
		        "spotbot %s: still under way after %" PRId64 " ms; it goes on in the daemon "
		        "(spotbot positions, spotbot events)\n",
		        cmd, wait_ms);
	if (outcome)
		cJSON_AddItemToObject(answer, "outcome", outcome);
	char *text = cJSON_PrintUnformatted(answer);
	cJSON_Delete(answer);
	printf("%s\n", text);
	free(text);
	return ret;
}

/* --timeout's value: a whole number with ms, s or m ("30s"), or 0; -1 when it is not one. */
static int64_t parse_wait(const char *v)
{
	if (!v || !*v)
		return -1;
	if (strcmp(v, "0") == 0)
		return 0;
	int64_t n;
	size_t digits = strspn(v, "0123456789");
	if (!sb_parse_i64(v, digits, 0, ACT_WAIT_MAX, &n))
		return -1;
	const char *p = v + digits; /* the unit */
	int64_t unit = strcmp(p, "ms") == 0  ? 1
	               : strcmp(p, "s") == 0 ? 1000
	               : strcmp(p, "m") == 0 ? 60000
	                                     : 0;
	if (unit == 0 || n * unit > ACT_WAIT_MAX)
		return -1;
	return n * unit;
}

/* Takes "--timeout T" or "--timeout=T" at argv[*i]: 1 taken (into *wait), 0 not this option, -1 bad. */
static int take_timeout(int argc, char **argv, int *i, int64_t *wait)
{
	const char *a = argv[*i];
	if (strcmp(a, "--timeout") != 0 && strncmp(a, "--timeout=", 10) != 0)
		return 0;
	const char *v = a[9] == '=' ? a + 10 : (*i + 1 < argc ? argv[++*i] : NULL);
	*wait = parse_wait(v);
	if (*wait < 0) {
		fprintf(stderr,
		        "spotbot %s: --timeout: expected a duration like 30s, 500ms or 2m (at most 60m), "
		        "got '%s'\n",
		        argv[0], v ? v : "");
		return -1;
	}
	return 1;
}

/*
 * Parses [ARG] [--config FILE]; arg_required says whether the one positional argument must be there.
 * Returns SB_EXIT_OK with *arg set (or NULL), or an exit code after printing why.
 */
static int parse(int argc, char **argv, bool arg_required, const char **arg, const char **config,
                 int64_t *wait)
{
	const char *cmd = argv[0];
	*arg = NULL;
	*config = NULL;
	*wait = ACT_WAIT_MS;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int t = arg_required ? take_timeout(argc, argv, &i, wait) : 0;
		if (t < 0) {
			usage(stderr, cmd);
			return SB_EXIT_USAGE;
		} else if (t > 0) {
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout, cmd);
			return -1;
		} else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || !*v || *config) {
				fprintf(stderr, "spotbot %s: --config needs one file name\n", cmd);
				usage(stderr, cmd);
				return SB_EXIT_USAGE;
			}
			*config = v;
		} else if (a[0] == '-' || *arg) {
			fprintf(stderr, "spotbot %s: unexpected argument '%s'\n", cmd, a);
			usage(stderr, cmd);
			return SB_EXIT_USAGE;
		} else {
			*arg = a;
		}
	}
	if (arg_required && !*arg) {
		fprintf(stderr, "spotbot %s: a position id is required\n", cmd);
		usage(stderr, cmd);
		return SB_EXIT_USAGE;
	}
	return SB_EXIT_OK;
}

static bool valid_symbol(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n == 0 || n >= 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
			return false;
	return true;
}

static bool valid_id(const char *s)
{
	if (!s)
		return false;
	size_t n = strlen(s);
	if (n == 0 || n > 18 || s[0] == '0')
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Loads the configuration of path (NULL: ./.env and the environment) and POSTs url; id: follows the action on
 * that position for up to wait_ms. */
static int post_with_config(const char *cmd, const char *path, const char *url, const char *id,
                            int64_t wait_ms)
{
	struct sb_config cfg;
	sb_config_init(&cfg);
	sb_err err = sb_config_load(&cfg, path, path != NULL, environ, stderr);
	if (err != SB_OK) {
		fprintf(stderr, "spotbot %s: configuration refused (%s)\n", cmd, sb_strerror(err));
		sb_config_fini(&cfg);
		return SB_EXIT_USAGE;
	}
	int rc = call(cmd, &cfg, url, id, wait_ms);
	sb_config_fini(&cfg);
	return rc;
}

int sb_cli_act_parse(int argc, char **argv, bool position, struct sb_cli_act *out)
{
	const char *cmd = argv[0], *arg = NULL;
	memset(out, 0, sizeof *out);
	int rc = parse(argc, argv, position, &arg, &out->config, &out->wait_ms);
	if (rc != SB_EXIT_OK)
		return rc;
	char symbol[32];
	if (!position && arg && strlen(arg) < sizeof symbol) {
		snprintf(symbol, sizeof symbol, "%s", arg);
		arg = sb_cli_symbol_upper(symbol);
	}
	if (position ? !valid_id(arg) : (arg && !valid_symbol(arg))) {
		fprintf(stderr, "spotbot %s: '%s' is not a %s\n", cmd, arg,
		        position ? "position id (a positive number)" : "symbol (like BTCUSDT)");
		usage(stderr, cmd);
		return SB_EXIT_USAGE;
	}
	if (position)
		snprintf(out->url, sizeof out->url, "/positions/%s/%s", arg, cmd);
	else
		snprintf(out->url, sizeof out->url, "/%s%s%s", cmd, arg ? "?symbol=" : "", arg ? arg : "");
	out->id = position ? arg : NULL;
	return SB_EXIT_OK;
}

static int run(int argc, char **argv, bool position)
{
	struct sb_cli_act a;
	int rc = sb_cli_act_parse(argc, argv, position, &a);
	if (rc < 0)
		return SB_EXIT_OK;
	if (rc != SB_EXIT_OK)
		return rc;
	return post_with_config(argv[0], a.config, a.url, a.id, a.wait_ms);
}

int sb_cmd_sell(int argc, char **argv)
{
	return run(argc, argv, true);
}

int sb_cmd_cancel(int argc, char **argv)
{
	return run(argc, argv, true);
}

int sb_cmd_abandon(int argc, char **argv)
{
	return run(argc, argv, true);
}

/* Prints "spotbot reprice: <what>'<arg>'<after>" (the quotes only with an arg) and the usage: exit 2. */
static int reprice_usage_error(const char *what, const char *arg, const char *after)
{
	if (arg)
		fprintf(stderr, "spotbot reprice: %s'%s'%s\n", what, arg, after);
	else
		fprintf(stderr, "spotbot reprice: %s%s\n", what, after);
	usage(stderr, "reprice");
	return SB_EXIT_USAGE;
}

int sb_cli_reprice_parse(int argc, char **argv, struct sb_cli_act *out)
{
	const char *id = NULL, *price = NULL, *config = NULL;
	bool force = false;
	int64_t wait = ACT_WAIT_MS;
	memset(out, 0, sizeof *out);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int t = take_timeout(argc, argv, &i, &wait);
		if (t < 0) {
			usage(stderr, "reprice");
			return SB_EXIT_USAGE;
		} else if (t > 0) {
			continue;
		} else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout, "reprice");
			return -1;
		} else if (strcmp(a, "--force") == 0) {
			force = true;
		} else if (strcmp(a, "--config") == 0 || strncmp(a, "--config=", 9) == 0) {
			const char *v = a[8] == '=' ? a + 9 : (i + 1 < argc ? argv[++i] : NULL);
			if (!v || !*v || config)
				return reprice_usage_error("--config needs one file name", NULL, "");
			config = v;
		} else if (a[0] == '-' && !(a[1] >= '0' && a[1] <= '9')) {
			return reprice_usage_error("unexpected argument ", a, "");
		} else if (!id) {
			id = a;
		} else if (!price) {
			price = a;
		} else {
			return reprice_usage_error("unexpected argument ", a, "");
		}
	}
	if (!id || !price)
		return reprice_usage_error("a position id and a price are required", NULL, "");
	if (!valid_id(id))
		return reprice_usage_error("", id, " is not a position id (a positive number)");
	sb_dec p = 0;
	if (sb_dec_parse(price, strlen(price), &p) != SB_OK || p <= 0)
		return reprice_usage_error("", price,
		                           " is not a price (a positive decimal such as 60123.45)");
	/* The parsed value, not the text: what is sent is exactly what was understood. */
	char text[SB_DEC_STRLEN];
	sb_dec_format_trim(p, text, sizeof text);
	snprintf(out->url, sizeof out->url, "/positions/%s/reprice?price=%s%s", id, text,
	         force ? "&force=1" : "");
	out->config = config;
	out->id = id;
	out->wait_ms = wait;
	return SB_EXIT_OK;
}

int sb_cmd_reprice(int argc, char **argv)
{
	struct sb_cli_act a;
	int rc = sb_cli_reprice_parse(argc, argv, &a);
	if (rc < 0)
		return SB_EXIT_OK;
	if (rc != SB_EXIT_OK)
		return rc;
	return post_with_config("reprice", a.config, a.url, a.id, a.wait_ms);
}

int sb_cmd_pause(int argc, char **argv)
{
	return run(argc, argv, false);
}

int sb_cmd_resume(int argc, char **argv)
{
	return run(argc, argv, false);
}

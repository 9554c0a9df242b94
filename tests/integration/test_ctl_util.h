/*
 * test_ctl_util.h - helpers of the integration tests that talk to a running daemon's control API (on the
 * unix socket test_bot_util.h configures) and run the spotbot CLI against the test's configuration.
 */
#ifndef TEST_CTL_UTIL_H
#define TEST_CTL_UTIL_H

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "test_bot_util.h"

struct ctl_resp {
	long status;      /* HTTP status; 0 when nothing answered */
	char body[65536]; /* body, truncated */
	size_t len;       /* bytes kept */
	char ctype[128];  /* Content-Type */
};

BT_FN size_t ctl_on_body(char *data, size_t size, size_t n, void *user)
{
	struct ctl_resp *r = user;
	size_t add = size * n, room = sizeof r->body - 1 - r->len;
	size_t k = add < room ? add : room;
	memcpy(r->body + r->len, data, k);
	r->len += k;
	r->body[r->len] = '\0';
	return add;
}

/* The CONTROL_TOKEN line of the test's configuration into out ("" when there is none). */
BT_FN void ctl_env_token(char *out, size_t cap)
{
	char line[512];
	out[0] = '\0';
	FILE *f = fopen(T.env, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "CONTROL_TOKEN=", 14) == 0) {
			line[strcspn(line, "\r\n")] = '\0';
			snprintf(out, cap, "%s", line + 14);
		}
	fclose(f);
}

/*
 * One request to the daemon, giving up after timeout_ms. token NULL sends the configuration's
 * CONTROL_TOKEN (none when it has none), "" sends no Authorization header, anything else is sent as the
 * bearer token. A POST sends body (NULL: empty). False when nothing answered.
 */
BT_FN bool ctl_send(const char *method, const char *path, const char *token, const char *body,
                    long timeout_ms, struct ctl_resp *r)
{
	char sock[400], url[2300], auth[600], own[256];
	if (!token) {
		ctl_env_token(own, sizeof own);
		token = own;
	}
	snprintf(sock, sizeof sock, "%s/control.sock", T.dir);
	snprintf(url, sizeof url, "http://localhost%s", path);
	memset(r, 0, sizeof *r);
	CURL *h = curl_easy_init();
	cr_assert(h);
	struct curl_slist *hdrs = NULL;
	if (token[0]) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);
	if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, ctl_on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		char *ct = NULL;
		if (curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			snprintf(r->ctype, sizeof r->ctype, "%s", ct);
	}
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return rc == CURLE_OK;
}

/* ctl_send without a body, within 5 s. */
BT_FN bool ctl(const char *method, const char *path, const char *token, struct ctl_resp *r)
{
	return ctl_send(method, path, token, NULL, 5000L, r);
}

/* A control API answer being waited for (ctl_wait). */
struct ctl_wait_q {
	const char *path;   /* GET path */
	long want;          /* wanted status */
	const char *needle; /* wanted in the body; NULL: anything */
	struct ctl_resp *r; /* the last answer */
	bool died;          /* the daemon exited first */
};

BT_FN bool ctl_wait_check(void *arg)
{
	struct ctl_wait_q *q = arg;
	if (ctl("GET", q->path, NULL, q->r) && q->r->status == q->want &&
	    (!q->needle || strstr(q->r->body, q->needle)))
		return true;
	q->died = T.bot > 0 && !bt_running();
	return q->died;
}

/* Polls GET path until it answers with want (and the body contains needle, if given); false at the
 * deadline or once the daemon has exited. */
BT_FN bool ctl_wait(const char *path, long want, const char *needle, int ms, struct ctl_resp *r)
{
	struct ctl_wait_q q = {.path = path, .want = want, .needle = needle, .r = r};
	return sbt_poll(ctl_wait_check, &q, ms, 0) && !q.died;
}

/* A JSON field of a body, as a string ("" when missing). */
BT_FN void field(const char *body, const char *name, char *out, size_t cap)
{
	cJSON *j = cJSON_Parse(body);
	cr_assert(j, "JSON: %s", body);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	if (cJSON_IsString(v))
		snprintf(out, cap, "%s", v->valuestring);
	else if (cJSON_IsBool(v))
		snprintf(out, cap, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else
		snprintf(out, cap, "%s", "");
	cJSON_Delete(j);
}

/* What the last CLI run printed. */
static struct {
	char out[65536]; /* standard output */
	char err[65536]; /* standard error */
} CLI_RUN;

BT_FN void ctl_slurp(const char *path, char *buf, size_t cap)
{
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Runs `spotbot args... --config ENV`, keeping what it prints in CLI_RUN; returns its exit status. */
BT_FN int run_cli(const char *const *args)
{
	char prog[512], out[400], err[400];
	const char *argv[24];
	size_t n = 0;
	argv[n++] = sbt_program("spotbot", prog, sizeof prog);
	for (size_t i = 0; args[i] && n < 21; i++)
		argv[n++] = args[i];
	argv[n++] = "--config";
	argv[n++] = T.env;
	argv[n] = NULL;
	snprintf(out, sizeof out, "%s/cli.out", T.dir);
	snprintf(err, sizeof err, "%s/cli.err", T.dir);
	int status = sbt_run(argv, NULL, out, err, 60);
	cr_assert_neq(status, -1, "spotbot runs");
	cr_assert(WIFEXITED(status));
	ctl_slurp(out, CLI_RUN.out, sizeof CLI_RUN.out);
	ctl_slurp(err, CLI_RUN.err, sizeof CLI_RUN.err);
	return WEXITSTATUS(status);
}

/* Runs the CLI and copies its standard output into out (a char array). */
BT_FN int run_cli_out(const char *const *args, char *out, size_t cap)
{
	int rc = run_cli(args);
	snprintf(out, cap, "%s", CLI_RUN.out);
	return rc;
}

#define CLI(...)          run_cli((const char *const[]){__VA_ARGS__, NULL})
#define CLI_OUT(out, ...) run_cli_out((const char *const[]){__VA_ARGS__, NULL}, out, sizeof out)

#endif

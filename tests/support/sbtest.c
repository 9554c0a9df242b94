/*
 * sbtest.c - process and HTTP helpers for tests that run the real programs (see sbtest.h).
 */
#include "sbtest.h"
#include "sbtest_wait.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "spotbot/clock.h"
#include "spotbot/query.h"
#include "spotbot/sign.h"

const char *sbt_program(const char *name, char *buf, size_t cap)
{
	const char *dir = getenv("SB_BUILD_DIR");
	snprintf(buf, cap, "%s/%s", dir && *dir ? dir : "build", name);
	return buf;
}

const char *sbt_source_path(const char *rel, char *buf, size_t cap)
{
	const char *dir = getenv("SB_SOURCE_DIR");
	snprintf(buf, cap, "%s/%s", dir && *dir ? dir : ".", rel);
	return buf;
}

bool sbt_spotsim_start(struct sbt_proc *p, const char *const *extra)
{
	char path[1024];
	const char *argv[64];
	size_t n = 0;
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "spotsim");
	argv[n++] = sbt_program("spotsim", path, sizeof path);
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (size_t i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	int fds[2];
	if (pipe(fds) != 0)
		return false;
	p->pid = fork();
	if (p->pid < 0)
		return false;
	if (p->pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	p->out_fd = fds[0];
	char line[256];
	size_t len = 0;
	int64_t deadline = sbt_mono_ms() + 10000;
	while (len < sizeof line - 1) {
		struct pollfd pfd = {p->out_fd, POLLIN, 0};
		int left = (int)(deadline - sbt_mono_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		ssize_t r = read(p->out_fd, line + len, 1);
		if (r <= 0)
			break;
		if (line[len] == '\n') {
			line[len] = '\0';
			const char *colon = strrchr(line, ':');
			if (strncmp(line, "listening on ", 13) == 0 && colon)
				p->port = (int)strtoll(colon + 1, NULL, 10);
			break;
		}
		len++;
	}
	if (p->port <= 0) {
		fprintf(stderr, "spotsim did not start (no 'listening on' line)\n");
		sbt_proc_stop(p, SIGKILL, 2000);
		return false;
	}
	return true;
}

int sbt_proc_stop(struct sbt_proc *p, int sig, int timeout_ms)
{
	if (p->pid <= 0)
		return -1;
	kill(p->pid, sig);
	int status = 0;
	bool exited = sbt_reap(p->pid, timeout_ms, &status);
	if (!exited) {
		kill(p->pid, SIGKILL);
		waitpid(p->pid, &status, 0);
	}
	p->pid = 0;
	close(p->out_fd);
	return exited ? sbt_exit_code(status) : -1;
}

void sbt_response_free(struct sbt_response *r)
{
	free(r->body);
	r->body = NULL;
}

static size_t on_body(char *d, size_t s, size_t n, void *u)
{
	struct sbt_response *r = u;
	size_t len = s * n;
	char *nb = realloc(r->body, r->len + len + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, d, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *d, size_t s, size_t n, void *u)
{
	struct sbt_response *r = u;
	size_t len = s * n, used = strlen(r->headers);
	if (used + len < sizeof r->headers) {
		memcpy(r->headers + used, d, len);
		r->headers[used + len] = '\0';
	}
	return len;
}

bool sbt_http(int port, const char *method, const char *path, const char *body, const char *api_key,
              struct sbt_response *out)
{
	memset(out, 0, sizeof *out);
	out->body = calloc(1, 1);
	char url[8192], hdr[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	if (api_key) {
		snprintf(hdr, sizeof hdr, "X-MBX-APIKEY: %s", api_key);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc == CURLE_OK;
}

bool sbt_signed(int port, const char *method, const char *path, const char *params, const char *key,
                const char *secret, struct sbt_response *out)
{
	char payload[6000], sig[SB_SIGN_MAX + 1], full[8192];
	struct sb_signer *s = NULL;
	if (sb_signer_new_hmac(secret, strlen(secret), &s) != SB_OK)
		return false;
	snprintf(payload, sizeof payload, "%s%stimestamp=%lld", params, *params ? "&" : "",
	         (long long)sb_clock_wall_ms());
	size_t slen = 0;
	sb_signer_sign(s, payload, strlen(payload), sig, sizeof sig, &slen);
	sb_signer_free(s);
	sig[slen] = '\0';
	bool in_body = strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0;
	if (in_body) {
		snprintf(full, sizeof full, "%s&signature=%s", payload, sig);
		return sbt_http(port, method, path, full, key, out);
	}
	char url[8192];
	snprintf(url, sizeof url, "%s?%s&signature=%s", path, payload, sig);
	return sbt_http(port, method, url, NULL, key, out);
}

const char *sbt_header(const struct sbt_response *r, const char *name, char *buf, size_t cap)
{
	size_t n = strlen(name);
	for (const char *line = r->headers; line && *line;) {
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			const char *v = line + n + 1;
			while (*v == ' ')
				v++;
			size_t len = strcspn(v, "\r\n");
			if (len >= cap)
				len = cap - 1;
			memcpy(buf, v, len);
			buf[len] = '\0';
			return buf;
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

pid_t sbt_spawn(const char *const *argv, char *const *env, const char *out, const char *err,
                unsigned timeout_s)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (o < 0 || e < 0)
		_exit(126);
	dup2(o, 1);
	dup2(e, 2);
	alarm(timeout_s);
	if (env)
		execve(argv[0], (char *const *)argv, env);
	else
		execv(argv[0], (char *const *)argv);
	_exit(127);
}

int sbt_run(const char *const *argv, char *const *env, const char *out, const char *err, unsigned timeout_s)
{
	pid_t pid = sbt_spawn(argv, env, out, err, timeout_s);
	if (pid < 0)
		return -1;
	int status = 0;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

size_t sbt_children(pid_t pid, pid_t *out, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = 0;
	long v;
	while (f && n < cap && fscanf(f, "%ld", &v) == 1)
		out[n++] = (pid_t)v;
	if (f)
		fclose(f);
	return n;
}

char *sbt_read_file(const char *path)
{
	return sbt_read_file_len(path, NULL);
}

char *sbt_read_file_len(const char *path, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[4096];
	while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (f)
		fclose(f);
	if (!buf && !(buf = malloc(1)))
		abort();
	buf[len] = '\0';
	if (out_len)
		*out_len = len;
	return buf;
}

bool sbt_write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return false;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	return close(fd) == 0 && done == len;
}

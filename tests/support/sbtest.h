/*
 * sbtest.h - helpers for tests that run the real programs: start spotsim (or spotbot) as a child
 * process on a free loopback port, talk to it over HTTP (signed like a Binance client), stop it.
 */
#ifndef SBTEST_H
#define SBTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct sbt_proc {
	pid_t pid;     /* child process */
	int port;      /* port it printed in "listening on HOST:PORT", or 0 */
	int out_fd;    /* read end of its stdout */
	char name[32]; /* program name, for messages */
};

/* Path of a built program ("spotsim", "spotbot") from SB_BUILD_DIR (default "build"), into buf. */
const char *sbt_program(const char *name, char *buf, size_t cap);

/* Path of a file under the source tree (SB_SOURCE_DIR, default "."), into buf. */
const char *sbt_source_path(const char *rel, char *buf, size_t cap);

/*
 * Starts spotsim on 127.0.0.1:0 with extra arguments (NULL-terminated; may be NULL) and waits up to
 * 10 s for its "listening on" line. Returns false (and the reason on stderr) if it did not start.
 */
bool sbt_spotsim_start(struct sbt_proc *p, const char *const *extra);

/* Sends sig and waits up to timeout_ms for the child; returns its exit status, 128+signal when killed
 * by a signal, or -1 when it did not exit in time (it is then killed with SIGKILL). */
int sbt_proc_stop(struct sbt_proc *p, int sig, int timeout_ms);

/*
 * Runs argv (argv[0] a path, NULL-terminated) with env (NULL: this process's environment), its standard
 * output and error written to the files out and err (created or truncated, mode 600), and waits for it.
 * The child is killed by SIGALRM after timeout_s. Returns its wait status, or -1 when it could not fork.
 */
int sbt_run(const char *const *argv, char *const *env, const char *out, const char *err, unsigned timeout_s);

/* As sbt_run, but returns at once: the child's pid (the caller waits for it), or -1. */
pid_t sbt_spawn(const char *const *argv, char *const *env, const char *out, const char *err,
                unsigned timeout_s);

/* The pids of pid's children now (Linux /proc), up to cap of them into out; returns how many. */
size_t sbt_children(pid_t pid, pid_t *out, size_t cap);

/* The whole file at path, NUL-terminated (the caller frees it); "" when it cannot be read. */
char *sbt_read_file(const char *path);
/* The same, with its length in *len (NULL: not wanted): for files that may hold NUL bytes. */
char *sbt_read_file_len(const char *path, size_t *len);

/* Writes text to path (created or truncated, mode 600); false on failure. */
bool sbt_write_file(const char *path, const char *text);

struct sbt_response {
	long status;        /* HTTP status, 0 on a transport failure */
	char *body;         /* NUL-terminated body (owned; sbt_response_free) */
	size_t len;         /* bytes in body */
	char headers[4096]; /* raw response headers */
};

void sbt_response_free(struct sbt_response *r);

/* Plain request to http://127.0.0.1:port<path>; body may be NULL; api_key may be NULL. */
bool sbt_http(int port, const char *method, const char *path, const char *body, const char *api_key,
              struct sbt_response *out);

/*
 * A signed Binance request: params ("a=1&b=2", may be empty) get timestamp and signature appended and
 * go in the query string (GET, DELETE) or the form body (POST, PUT).
 */
bool sbt_signed(int port, const char *method, const char *path, const char *params, const char *key,
                const char *secret, struct sbt_response *out);

/* Value of a header (case-insensitive name) in r, copied into buf; NULL when absent. */
const char *sbt_header(const struct sbt_response *r, const char *name, char *buf, size_t cap);

#endif

/*
 * sbtest_httpd.h - a tiny static-file HTTP server for tests that download: a child process serving the
 * files under a directory on 127.0.0.1 (200 with the file, 404 when there is none), one request per
 * connection, each request line appended to a log file so a test can see what was asked for.
 */
#ifndef SBTEST_HTTPD_H
#define SBTEST_HTTPD_H

#include <stdbool.h>

#include "sbtest.h"

/* Starts the server for root on a free port (p->port); log receives "GET /path" lines. Stop it with
 * sbt_proc_stop(p, SIGTERM, ...). Returns false (reason on stderr) when it could not start. */
bool sbt_httpd_start(struct sbt_proc *p, const char *root, const char *log);

#endif

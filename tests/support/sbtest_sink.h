/*
 * sbtest_sink.h - a webhook sink for tests: an HTTP/1.1 server on a free loopback port, served by its own
 * thread, that answers every request 200 and keeps the bodies, so a test can wait for the request a
 * daemon under test should send (an alert) instead of sleeping.
 */
#ifndef SBTEST_SINK_H
#define SBTEST_SINK_H

#include <stdbool.h>
#include <stddef.h>

struct sbt_sink;

/* Starts listening on 127.0.0.1 (a free port); NULL when it cannot. */
struct sbt_sink *sbt_sink_start(void);
/* The port it listens on. */
int sbt_sink_port(const struct sbt_sink *s);
/* Waits until a request body containing needle has arrived (received earlier counts), up to timeout_ms;
 * copies that body into out (cap bytes) when out is given. */
bool sbt_sink_wait(struct sbt_sink *s, const char *needle, int timeout_ms, char *out, size_t cap);
/* Bodies received so far that contain needle (NULL: all). */
size_t sbt_sink_count(struct sbt_sink *s, const char *needle);
/* Stops the thread and frees everything. NULL is fine. */
void sbt_sink_stop(struct sbt_sink *s);

#endif

/*
 * sbtest_sink.c - the webhook sink of sbtest_sink.h: one thread polls the listening socket and a stop
 * pipe, reads each request (headers, then Content-Length bytes), answers 200 and closes the connection.
 */
#include "sbtest_sink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SINK_BODIES  256         /* bodies kept */
#define SINK_REQ_MAX (64 * 1024) /* bytes of one request */
#define SINK_READ_MS 2000        /* a request must arrive whole within this */

struct sbt_sink {
	int fd;                    /* listening socket */
	int stop[2];               /* the thread ends when stop[1] is written */
	int port;                  /* bound port */
	pthread_t thread;          /* the server */
	pthread_mutex_t mu;        /* guards the bodies */
	pthread_cond_t cv;         /* signalled per body */
	char *bodies[SINK_BODIES]; /* received bodies (owned) */
	size_t n;                  /* entries */
};

/* Reads one request from c; returns its body (malloc'd) or NULL. */
static char *read_request(int c)
{
	char *buf = malloc(SINK_REQ_MAX + 1);
	if (!buf)
		return NULL;
	size_t len = 0, need = 0;
	char *body = NULL;
	for (;;) {
		struct pollfd p = {.fd = c, .events = POLLIN};
		if (poll(&p, 1, SINK_READ_MS) <= 0)
			break;
		ssize_t k = read(c, buf + len, SINK_REQ_MAX - len);
		if (k <= 0)
			break;
		len += (size_t)k;
		buf[len] = '\0';
		if (!body) {
			char *end = strstr(buf, "\r\n\r\n");
			if (!end) {
				if (len == SINK_REQ_MAX)
					break;
				continue;
			}
			body = end + 4;
			for (char *h = strstr(buf, "\r\n"); h && h < end; h = strstr(h + 2, "\r\n"))
				if (strncasecmp(h + 2, "Content-Length:", 15) == 0)
					need = (size_t)strtoull(h + 17, NULL, 10);
		}
		if ((size_t)(buf + len - body) >= need) {
			char *out = strndup(body, need);
			free(buf);
			return out;
		}
		if (len == SINK_REQ_MAX)
			break;
	}
	free(buf);
	return NULL;
}

static void *serve(void *arg)
{
	struct sbt_sink *s = arg;
	static const char ok[] =
	    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	for (;;) {
		struct pollfd p[2] = {{.fd = s->fd, .events = POLLIN}, {.fd = s->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int c = accept(s->fd, NULL, NULL);
		if (c < 0)
			continue;
		char *body = read_request(c);
		if (body) {
			(void)!write(c, ok, sizeof ok - 1);
			pthread_mutex_lock(&s->mu);
			if (s->n < SINK_BODIES)
				s->bodies[s->n++] = body;
			else
				free(body);
			pthread_cond_broadcast(&s->cv);
			pthread_mutex_unlock(&s->mu);
		}
		close(c);
	}
	return NULL;
}

struct sbt_sink *sbt_sink_start(void)
{
	struct sbt_sink *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof sa;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s->fd, 16) != 0 ||
	    getsockname(s->fd, (struct sockaddr *)&sa, &sl) != 0 || pipe(s->stop) != 0) {
		if (s->fd >= 0)
			close(s->fd);
		free(s);
		return NULL;
	}
	s->port = ntohs(sa.sin_port);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (pthread_create(&s->thread, NULL, serve, s) != 0) {
		close(s->fd);
		close(s->stop[0]);
		close(s->stop[1]);
		free(s);
		return NULL;
	}
	return s;
}

int sbt_sink_port(const struct sbt_sink *s)
{
	return s ? s->port : 0;
}

/* The first body containing needle, under the lock; NULL when none. */
static const char *find(const struct sbt_sink *s, const char *needle)
{
	for (size_t i = 0; i < s->n; i++)
		if (!needle || strstr(s->bodies[i], needle))
			return s->bodies[i];
	return NULL;
}

bool sbt_sink_wait(struct sbt_sink *s, const char *needle, int timeout_ms, char *out, size_t cap)
{
	struct timespec end;
	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	const char *hit;
	while (!(hit = find(s, needle)))
		if (pthread_cond_timedwait(&s->cv, &s->mu, &end) == ETIMEDOUT) {
			hit = find(s, needle);
			break;
		}
	if (hit && out && cap)
		snprintf(out, cap, "%s", hit);
	pthread_mutex_unlock(&s->mu);
	return hit != NULL;
}

size_t sbt_sink_count(struct sbt_sink *s, const char *needle)
{
	size_t k = 0;
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->n; i++)
		if (!needle || strstr(s->bodies[i], needle))
			k++;
	pthread_mutex_unlock(&s->mu);
	return k;
}

void sbt_sink_stop(struct sbt_sink *s)
{
	if (!s)
		return;
	(void)!write(s->stop[1], "x", 1);
	pthread_join(s->thread, NULL);
	close(s->fd);
	close(s->stop[0]);
	close(s->stop[1]);
	for (size_t i = 0; i < s->n; i++)
		free(s->bodies[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv);
	free(s);
}

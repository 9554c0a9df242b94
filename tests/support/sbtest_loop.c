/*
 * sbtest_loop.c - deadlines on a test's libuv loop and loopback stand-ins (see sbtest_loop.h).
 */
#include "sbtest_loop.h"

#include <string.h>

#define TICK_MS 5

static void on_tick(uv_timer_t *t)
{
	struct sbt_deadline *d = t->data;
	if (uv_now(t->loop) >= d->at)
		d->hit = true;
}

void sbt_deadline_start(struct sbt_deadline *d, uv_loop_t *loop, uint64_t ms)
{
	memset(d, 0, sizeof *d);
	uv_update_time(loop);
	d->at = uv_now(loop) + ms;
	uv_timer_init(loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, on_tick, TICK_MS, TICK_MS);
}

void sbt_deadline_end(struct sbt_deadline *d)
{
	uv_loop_t *loop = d->tick.loop;
	uv_timer_stop(&d->tick);
	uv_close((uv_handle_t *)&d->tick, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

void sbt_run_for(uv_loop_t *loop, uint64_t ms)
{
	struct sbt_deadline d;
	sbt_deadline_start(&d, loop, ms);
	while (!d.hit)
		uv_run(loop, UV_RUN_ONCE);
	sbt_deadline_end(&d);
}

static bool refuse_ws(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	(void)ctx;
	(void)conn;
	(void)path;
	return false;
}

static void ignore_ws_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	(void)ctx;
	(void)conn;
	(void)data;
	(void)len;
}

static void ignore_ws_close(void *ctx, struct sim_ws_conn *conn)
{
	(void)ctx;
	(void)conn;
}

const struct sim_ws_ops sbt_ws_refused = {refuse_ws, ignore_ws_message, ignore_ws_close};

static void on_silent_conn(uv_stream_t *server, int status)
{
	struct sbt_silent *s = server->data;
	if (status < 0 || s->n == SBT_SILENT_MAX)
		return;
	uv_tcp_t *c = &s->conn[s->n++];
	uv_tcp_init(server->loop, c);
	uv_accept(server, (uv_stream_t *)c); /* held open, never read or answered */
}

/* Binds t (initialised on loop) to 127.0.0.1 and a free port; returns the port, or -1. */
static int bind_loopback(uv_tcp_t *t)
{
	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	if (uv_tcp_bind(t, (const struct sockaddr *)&addr, 0) != 0)
		return -1;
	struct sockaddr_storage ss;
	int sl = sizeof ss;
	if (uv_tcp_getsockname(t, (struct sockaddr *)&ss, &sl) != 0)
		return -1;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

bool sbt_silent_start(struct sbt_silent *s, uv_loop_t *loop)
{
	memset(s, 0, sizeof *s);
	uv_tcp_init(loop, &s->listener);
	s->listener.data = s;
	s->port = bind_loopback(&s->listener);
	return s->port > 0 && uv_listen((uv_stream_t *)&s->listener, 8, on_silent_conn) == 0;
}

void sbt_silent_close(struct sbt_silent *s)
{
	for (int i = 0; i < s->n; i++)
		uv_close((uv_handle_t *)&s->conn[i], NULL);
	uv_close((uv_handle_t *)&s->listener, NULL);
}

int sbt_closed_port(uv_loop_t *loop)
{
	uv_tcp_t probe;
	uv_tcp_init(loop, &probe);
	int port = bind_loopback(&probe);
	uv_close((uv_handle_t *)&probe, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return port;
}

/*
 * app.c - spotsim as a program: the exchange, its HTTP/WebSocket server, the market and user streams,
 * the periodic faults and a graceful shutdown, all on one libuv loop.
 */
#include "sim/app.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/mstreams.h"
#include "sim/rest.h"
#include "sim/server.h"
#include "sim/userstreams.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

#define SHUTDOWN_GRACE_MS 300 /* time given to close frames before the loop stops */

enum owner {
	OWNER_MARKET, /* sim_mstreams */
	OWNER_USER,   /* sim_userstreams */
};

struct conn_entry {
	struct sim_ws_conn *conn; /* the connection */
	enum owner owner;         /* which module serves it */
	int64_t opened_ms;        /* wall time it opened, for the lifetime limit */
};

struct sim_app {
	uv_loop_t loop;              /* the program's loop */
	struct sim_exchange *ex;     /* exchange state */
	struct sim_server *srv;      /* HTTP + WebSocket server */
	struct sim_mstreams *ms;     /* market streams */
	struct sim_userstreams *us;  /* WebSocket API and listenKey streams */
	struct conn_entry *conns;    /* open WebSockets and their owners */
	size_t nconns, capconns;     /* entries used and allocated */
	uv_timer_t tick;             /* once a second: periodic drops and lifetimes */
	int64_t last_drop_ms;        /* when drop_ws last fired periodically */
	uv_signal_t sigint, sigterm; /* graceful shutdown */
	uv_timer_t grace;            /* lets close frames out before stopping */
	bool stopping;               /* shutdown has begun */
	bool admin_any;              /* --sim-admin-any: /sim/ answers every peer, not loopback only */
};

static struct conn_entry *find_conn(struct sim_app *app, struct sim_ws_conn *conn)
{
	for (size_t i = 0; i < app->nconns; i++)
		if (app->conns[i].conn == conn)
			return &app->conns[i];
	return NULL;
}

/* ---- server callbacks ---------------------------------------------------------------------------- */

static void on_http(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp)
{
	struct sim_app *app = ctx;
	if (strncmp(req->path, "/sim/", 5) == 0)
		sim_admin_handle(app->ex, req, app->admin_any, resp);
	else
		sim_rest_handle(app->ex, req, resp);
	/* The answer leaves after this returns: what it tells is on disk first. */
	sim_exchange_persist(app->ex, false);
}

static bool on_ws_open(void *ctx, struct sim_ws_conn *conn, const char *path)
{
	struct sim_app *app = ctx;
	enum owner owner;
	if (sim_userstreams_open(app->us, conn, path))
		owner = OWNER_USER;
	else if (sim_mstreams_open(app->ms, conn, path))
		owner = OWNER_MARKET;
	else
		return false;
	if (app->nconns == app->capconns) {
		app->capconns = app->capconns ? app->capconns * 2 : 16;
		app->conns = sb_xrealloc(app->conns, app->capconns * sizeof *app->conns);
	}
	app->conns[app->nconns++] = (struct conn_entry){conn, owner, sb_clock_wall_ms()};
	return true;
}

static void on_ws_message(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len)
{
	struct sim_app *app = ctx;
	struct conn_entry *e = find_conn(app, conn);
	if (!e)
		return;
	if (e->owner == OWNER_USER)
		sim_userstreams_message(app->us, conn, data, len);
	else
		sim_mstreams_message(app->ms, conn, data, len);
	/* WebSocket API answers are queued and written after this returns, like REST ones. */
	sim_exchange_persist(app->ex, false);
}

static void on_ws_close(void *ctx, struct sim_ws_conn *conn)
{
	struct sim_app *app = ctx;
	struct conn_entry *e = find_conn(app, conn);
	if (!e)
		return;
	if (e->owner == OWNER_USER)
		sim_userstreams_close(app->us, conn);
	else
		sim_mstreams_close(app->ms, conn);
	*e = app->conns[--app->nconns];
}

/* ---- exchange hooks ------------------------------------------------------------------------------ */

static void hook_market(void *ctx, struct sim_symbol *sym, const struct sim_event *ev, int64_t trade_id,
                        int64_t time_ms)
{
	struct sim_app *app = ctx;
	if (app->ms)
		sim_mstreams_on_market(app->ms, sym, ev, trade_id, time_ms);
}

static void hook_user(void *ctx, uint32_t account, const char *json, size_t len)
{
	struct sim_app *app = ctx;
	if (app->us)
		sim_userstreams_deliver(app->us, account, json, len);
}

static void hook_drop_ws(void *ctx)
{
	struct sim_app *app = ctx;
	if (app->srv)
		sim_server_drop_all(app->srv);
}

static void hook_expire_user_data(void *ctx)
{
	struct sim_app *app = ctx;
	if (app->us)
		sim_userstreams_expire_all(app->us);
}

static void begin_shutdown(struct sim_app *app);

static void hook_replays_ended(void *ctx)
{
	begin_shutdown(ctx);
}

/* ---- timers and signals -------------------------------------------------------------------------- */

static void on_tick(uv_timer_t *t)
{
	struct sim_app *app = t->data;
	const struct sim_faults *f = &app->ex->faults;
	int64_t now = sb_clock_wall_ms();
	if (f->drop_ws_every_s && now - app->last_drop_ms >= (int64_t)f->drop_ws_every_s * 1000) {
		app->last_drop_ms = now;
		sim_server_drop_all(app->srv);
	}
	if (f->ws_lifetime_s)
		for (size_t i = 0; i < app->nconns; i++)
			if (now - app->conns[i].opened_ms >= (int64_t)f->ws_lifetime_s * 1000)
				sim_ws_close(app->conns[i].conn, 1000, "connection lifetime reached");
}

static void close_handle(uv_handle_t *h)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	close_handle(h);
}

static void on_grace(uv_timer_t *t)
{
	struct sim_app *app = t->data;
	close_handle((uv_handle_t *)&app->grace);
	uv_stop(&app->loop);
}

static void begin_shutdown(struct sim_app *app)
{
	if (app->stopping)
		return;
	app->stopping = true;
	sb_log_info("sim", SB_NOFIELDS, "shutting down");
	uv_signal_stop(&app->sigint);
	uv_signal_stop(&app->sigterm);
	close_handle((uv_handle_t *)&app->sigint);
	close_handle((uv_handle_t *)&app->sigterm);
	uv_timer_stop(&app->tick);
	close_handle((uv_handle_t *)&app->tick);
	sim_exchange_stop(app->ex);
	sim_exchange_persist(app->ex, true);
	sim_mstreams_stop(app->ms);
	sim_userstreams_stop(app->us);
	sim_server_close_all(app->srv);
	uv_timer_start(&app->grace, on_grace, SHUTDOWN_GRACE_MS, 0);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	begin_shutdown(s->data);
}

/* ---- life cycle ---------------------------------------------------------------------------------- */

sb_err sim_app_new(const struct sim_options *opts, FILE *err, struct sim_app **out)
{
	struct sim_app *app = sb_xcalloc(1, sizeof *app);
	app->admin_any = opts->sim_admin_any;
	uv_loop_init(&app->loop);
	struct sim_exchange_hooks hooks = {.ctx = app,
	                                   .market = hook_market,
	                                   .user = hook_user,
	                                   .drop_ws = hook_drop_ws,
	                                   .expire_user_data = hook_expire_user_data,
	                                   .replays_ended = hook_replays_ended};
	sb_err e = sim_exchange_new(&app->loop, opts, &hooks, err, &app->ex);
	if (!e)
		e = sim_mstreams_new(app->ex, &app->ms);
	if (!e)
		e = sim_userstreams_new(app->ex, &app->us);
	if (e) {
		if (e == SB_ERR_NOMEM)
			fprintf(err, "spotsim: %s\n", sb_strerror(e));
		sim_app_free(app);
		return e;
	}
	app->ex->userstreams = app->us;
	struct sim_server_opts so = {
	    .host = opts->host,
	    .port = opts->port,
	    .http = on_http,
	    .ws = {on_ws_open, on_ws_message, on_ws_close},
	    .ctx = app,
	    .tls_cert = opts->tls_cert[0] ? opts->tls_cert : NULL,
	    .tls_key = opts->tls_key[0] ? opts->tls_key : NULL,
	};
	e = sim_server_new(&app->loop, &so, &app->srv);
	if (e) {
		if (e == SB_ERR_CONFIG)
			fprintf(err,
			        "spotsim: cannot load --tls-cert %s with --tls-key %s (unreadable, not PEM, "
			        "an encrypted key, or a key of another certificate)\n",
			        opts->tls_cert, opts->tls_key);
		else
			fprintf(err, "spotsim: cannot listen on %s:%d (address in use or not available)\n",
			        opts->host, opts->port);
		sim_app_free(app);
		return e;
	}
	uv_timer_init(&app->loop, &app->tick);
	app->tick.data = app;
	uv_timer_init(&app->loop, &app->grace);
	app->grace.data = app;
	uv_signal_init(&app->loop, &app->sigint);
	app->sigint.data = app;
	uv_signal_init(&app->loop, &app->sigterm);
	app->sigterm.data = app;
	*out = app;
	return SB_OK;
}

int sim_app_port(const struct sim_app *app)
{
	return sim_server_port(app->srv);
}

int sim_app_run(struct sim_app *app)
{
	uv_signal_start(&app->sigint, on_signal, SIGINT);
	uv_signal_start(&app->sigterm, on_signal, SIGTERM);
	uv_timer_start(&app->tick, on_tick, 1000, 1000);
	app->last_drop_ms = sb_clock_wall_ms();
	sim_exchange_start(app->ex);
	uv_run(&app->loop, UV_RUN_DEFAULT);
	return 0;
}

void sim_app_free(struct sim_app *app)
{
	if (!app)
		return;
	/* lws closes its own handles (and runs the loop until they are gone); whatever of ours is left
	 * (never started, or after an early failure) is closed after it. */
	sim_server_free(app->srv);
	uv_walk(&app->loop, walk_close, NULL);
	uv_run(&app->loop, UV_RUN_DEFAULT);
	sim_mstreams_free(app->ms);
	sim_userstreams_free(app->us);
	sim_exchange_free(app->ex);
	uv_loop_close(&app->loop);
	free(app->conns);
	free(app);
}

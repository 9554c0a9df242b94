/*
 * control_int.h - what the control API's files share and nothing else sees: the reply helpers and views
 * (control_views.c), the route table and its walker (control.c), and the manual-action job machine's
 * transitions (control_manual.c). The daemon uses control.h.
 */
#ifndef SPOTBOT_BOT_CONTROL_INT_H
#define SPOTBOT_BOT_CONTROL_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/control.h"
#include "bot/control_http.h"
#include "bot/control_request.h"

struct cJSON;
struct sb_bot;

/* ---- replies and views (control_views.c) ----------------------------------------------------------- */

/* j printed into r with status; j is freed. */
void control_reply_json(struct control_reply *r, int status, struct cJSON *j);
/* {"error":msg} with status. */
void control_reply_error(struct control_reply *r, int status, const char *msg);

/* The views: each answers a GET from the daemon's memory (events: the store), whatever else q holds. */
typedef void (*control_view_fn)(struct sb_bot *b, const struct control_request *q, struct control_reply *r);

/* GET /status: the run state, the streams, exposure, pairs and open positions. */
void control_view_status(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /positions: the positions the daemon holds in memory. */
void control_view_positions(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /orders: their buy and sell orders. */
void control_view_orders(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /pairs: every trade pair with its settings and prices. */
void control_view_pairs(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /events: events oldest first after q->after, CONTROL_EVENTS_MAX at a time. */
void control_view_events(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /health and /health/ready: 200 when trading (or paused) with both streams up, else 503 and why. */
void control_view_health(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /health/live: the loop answered. */
void control_view_live(struct sb_bot *b, const struct control_request *q, struct control_reply *r);
/* GET /metrics: the Prometheus text. */
void control_view_metrics(struct sb_bot *b, const struct control_request *q, struct control_reply *r);

/* ---- routes (control.c) ------------------------------------------------------------------------------ */

/* Who may ask for a route. */
enum control_access {
	CONTROL_ACCESS_TOKEN,      /* the bearer token, when CONTROL_TOKEN is set */
	CONTROL_ACCESS_OPEN,       /* anyone (liveness) */
	CONTROL_ACCESS_MONITORING, /* anyone when CONTROL_OPEN_MONITORING is set, else the token */
};

struct bot_control;

/* Answers q on its route; a prefix route reads the rest of the path itself. */
typedef void (*control_route_fn)(struct bot_control *c, struct control_conn *conn,
                                 const struct control_request *q, struct control_deferred **pending,
                                 struct control_reply *r);

/* One row of the route table. */
struct control_route {
	enum control_method method; /* GET or POST */
	const char *path;           /* the path, or its beginning when prefix */
	bool prefix; /* path is a prefix: the handler reads the rest (404 when it means nothing) */
	enum control_access access; /* who may ask */
	control_view_fn view;       /* answers it from the daemon's memory; NULL: fn does */
	control_route_fn fn;        /* answers it (an action, or a path with an id in it) when view is NULL */
	const char *name;           /* what the route serves, for tests and logs */
};

/* The route for method and path: the first row that matches (exactly, or by prefix); NULL: none (404). */
const struct control_route *control_route_find(enum control_method method, const char *path);

/* The control API of b without a listener (control_start adds it); control_free frees it. */
struct bot_control *control_new(struct sb_bot *b);
/*
 * Answers q: 401 without the token the route needs, 405 for a method other than GET or POST, 503 for a POST
 * while the daemon stops, 404 when no route matches, else the route's answer (r->status 0: deferred).
 */
void control_route(struct bot_control *c, struct control_conn *conn, const struct control_request *q,
                   struct control_deferred **pending, struct control_reply *r);

/* ---- the manual-action job machine (control_manual.c) ----------------------------------------------- */

/* Where a manual action stands. */
enum control_job_state {
	CONTROL_JOB_CLEARING, /* cancelling the position's working orders, or waiting for them to settle */
	CONTROL_JOB_ACTING,   /* nothing works on the exchange for the position: the job does its part */
	CONTROL_JOB_WATCHING, /* the job's order (placed, or a market exit followed) works: waits for its end
	                       */
	CONTROL_JOB_ENDED,    /* finished: how is in the outcome view */
	CONTROL_JOB__COUNT
};

/* What happened to a manual action. */
enum control_job_event {
	CONTROL_JOB_WORKING, /* an order of the position works or is being settled */
	CONTROL_JOB_CLEARED, /* nothing works on the exchange for the position */
	CONTROL_JOB_FOLLOW,  /* a market exit already works: a manual sell follows it */
	CONTROL_JOB_PLACED,  /* the job's order was written */
	CONTROL_JOB_END,     /* the job has done what it can, well or not */
	CONTROL_JOB_EVENT__COUNT
};

/* Applies ev to *s; SB_ERR_STATE (and *s unchanged) when ev cannot happen in *s. */
sb_err control_job_apply(enum control_job_state *s, enum control_job_event ev);
/* The state's name ("clearing", "acting", "watching", "ended"). */
const char *control_job_state_name(enum control_job_state s);

#endif

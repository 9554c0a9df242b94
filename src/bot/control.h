/*
 * control.h - the daemon's control API: a small HTTP server on the daemon's own lws context (same loop)
 * serving JSON views of the run state, positions, orders, pairs and events, the health check and the
 * Prometheus metrics, and the manual actions (pause, resume, sell, cancel, abandon, pair edits); with
 * CONTROL_TOKEN set, everything but the liveness check is behind the bearer token. control.c holds the route
 * table; control_http.c serves HTTP; control_listen.c checks the address; control_request.c parses and
 * bounds each request; control_views.c builds the views; control_pairs.c adds and changes trade pairs;
 * control_manual.c carries out the manual actions on positions.
 *
 * CONTROL_LISTEN is "host:port", "[v6]:port" or "unix:/path". Binding anywhere but loopback (or a unix
 * socket) without CONTROL_TOKEN is refused at start-up.
 */
#ifndef SPOTBOT_BOT_CONTROL_H
#define SPOTBOT_BOT_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/config.h"
#include "spotbot/error.h"

struct sb_bot;
struct bot_control;

/*
 * Checks CONTROL_LISTEN and CONTROL_TOKEN before anything starts: SB_ERR_CONFIG with a readable reason in
 * msg for a malformed address or a non-loopback address without a token.
 */
sb_err control_check_config(const struct sb_config *cfg, char *msg, size_t cap);
/* Whether the address is free (checked before the database is touched, so a second daemon leaves the first
 * one's records alone): SB_ERR_IO with the reason in msg when something already listens there. */
sb_err control_check_address(const struct sb_config *cfg, char *msg, size_t cap);
/* Starts listening on b's lws context; *out is owned by the caller (control_free). SB_ERR_IO when the
 * address cannot be bound. */
sb_err control_start(struct sb_bot *b, struct bot_control **out);
/* Once a second from the daemon's tick: moves the manual actions under way on. */
void control_tick(struct bot_control *c, int64_t now_ms);
/* Stops serving and frees c; call before the lws context is freed. NULL is fine. */
void control_free(struct bot_control *c);

/* Whether a CONTROL_LISTEN value names a loopback address or a unix socket. */
bool control_listen_is_local(const char *listen);

/* POST /pause and /resume: the kill switch written to the database (with its event), then followed in memory.
 * A failed write degrades the daemon and is returned. */
sb_err control_set_paused(struct sb_bot *b, bool paused);

/* ---- pair editing (control_pairs.c), called by control.c's router -------------------------------------- */

struct cJSON;
struct control_conn; /* the connection a request came on (control_http.h) */
struct sb_pair_cfg;
struct control_deferred; /* a request whose answer waits for the exchange */

/*
 * POST /pairs (add), /pairs/SYMBOL (change settings), /pairs/SYMBOL/enable, /disable and /remove. body is the
 * request body (len bytes, need not be NUL-terminated). Returns -1 when path is none of these; else the HTTP
 * status with the JSON answer in *out (the caller's to cJSON_Delete), or 0 when the answer is deferred:
 * *pending then holds the operation, which calls control_http_wake(conn) once its answer is ready
 * (control_deferred_take) and is told when the client goes away (control_deferred_detach). adds is the
 * caller's list of additions waiting for the exchange (for duplicates and the pair limit).
 */
int control_pairs_post(struct sb_bot *b, struct control_conn *conn, const char *path, const char *body,
                       size_t len, struct control_deferred **adds, struct control_deferred **pending,
                       struct cJSON **out);
/* The deferred answer once it is ready: its status, *out (caller's), and d is freed. 0 while waiting. */
int control_deferred_take(struct control_deferred *d, struct cJSON **out);
/* The client went away: the operation completes without answering and frees itself. NULL is fine. */
void control_deferred_detach(struct control_deferred *d);
/* The list of waiting additions is going away (control_free): they finish without it. */
void control_deferred_forget(struct control_deferred **adds);
/*
 * Sets a pair's enabled flag in trade_pairs and memory, with a pair.resume or pair.pause event. Returns 200,
 * or 404 (unknown pair) or 500 (database) with the reason in *why.
 */
int control_pair_enable(struct sb_bot *b, const char *symbol, bool enabled, const char **why);
/* Adds a "settings" object to o: every key of c as the PAIRS syntax writes it ("profit":"0.5%"). */
void control_pair_settings(const struct sb_pair_cfg *c, struct cJSON *o);

/* ---- manual actions on positions (control_manual.c), called by control.c ----------------------------- */

struct control_manual;

/* The manual actions of b's control API; freed by control_manual_free (NULL is fine). */
struct control_manual *control_manual_new(struct sb_bot *b);
void control_manual_free(struct control_manual *m);
/* Moves the actions under way on (cancels, settling, the order placed, its outcome). */
void control_manual_tick(struct control_manual *m, int64_t now_ms);
/*
 * POST /positions/ID/ACTION (sell, reprice, cancel, abandon; price and force for reprice): returns the HTTP
 * status, with the JSON answer in *out (the caller's): 202 accepted, or the refusal, which names the
 * position's state and the actions that would work.
 */
int control_manual_post(struct control_manual *m, int64_t id, const char *action, const char *price,
                        bool force, struct cJSON **out);
/* GET /positions/ID/outcome: the action under way on the position, or how the last one ended (200), or 404.
 */
int control_manual_outcome(struct control_manual *m, int64_t id, struct cJSON **out);

#endif

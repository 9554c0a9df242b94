/*
 * control.h - the daemon's control API: a small HTTP server on the daemon's own lws context (same loop)
 * serving JSON views of the run state, positions, orders, pairs and events, the health check and the
 * Prometheus metrics, and the manual actions (pause, resume, sell, cancel, abandon) behind a bearer token.
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
/* Once a second from the daemon's tick: carries out pending manual sells. */
void control_tick(struct bot_control *c, int64_t now_ms);
/* Stops serving and frees c; call before the lws context is freed. NULL is fine. */
void control_free(struct bot_control *c);

/* Whether a CONTROL_LISTEN value names a loopback address or a unix socket. */
bool control_listen_is_local(const char *listen);

#endif

/*
 * lws_loop.h - libwebsockets on the program's libuv loop: the one place an lws context is created on a
 * loop its owner runs (a "foreign" loop), torn down, and told where its own log lines go. spotbot's
 * WebSocket client and control API share one such context; spotsim's server makes its own. What runs on
 * the connections is lws_ws.h (WebSocket frames) and lws_http.h (HTTP requests and responses).
 *
 * Tearing down is the part that bites: with a foreign libuv loop the first lws_context_destroy only
 * starts closing lws' handles, the loop has to run until they are gone, and a second destroy frees the
 * context (stack.md W8). sb_lws_context_free does exactly that, once, for every owner.
 */
#ifndef SB_COMMON_LWS_LOOP_H
#define SB_COMMON_LWS_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "spotbot/error.h"

struct lws;
struct lws_context;
struct lws_context_creation_info;

/*
 * Creates an lws context on loop from info, which the caller fills with what is its own (port, vhosts,
 * protocols, TLS, user); this adds the foreign loop and the libuv options. *pctx receives the context and
 * is cleared by lws when the context is really gone, so it must stay where it is (a field of the owner)
 * until sb_lws_context_free. SB_ERR_INVALID for a missing argument, SB_ERR_IO when lws refuses.
 */
sb_err sb_lws_context_new(uv_loop_t *loop, struct lws_context_creation_info *info, struct lws_context **pctx);

/*
 * Destroys *pctx and runs loop until lws' handles have closed (twice, as a foreign libuv loop needs). Call
 * it once the owner's own handles are closed, or the loop would not return. A NULL *pctx is fine.
 */
void sb_lws_context_free(uv_loop_t *loop, struct lws_context **pctx);

/*
 * Sends lws' own log lines through the project's logger from now on, never straight to stderr (its
 * start-up banner included): its errors as warnings, its warnings as info, its notices only at debug
 * level. lws reads the level when a context is created: call it just before sb_lws_context_new.
 */
void sb_lws_log_to_logger(void);

/*
 * The text of a client connection's error (LWS_CALLBACK_CLIENT_CONNECTION_ERROR's in, NULL for none) into
 * out (cap bytes), with OpenSSL's verification result when tls and the server's certificate was refused:
 * lws 4.1 itself only says "connect SSL err 1: ...".
 */
void sb_lws_conn_error_text(struct lws *wsi, bool tls, const char *in, char *out, size_t cap);

/*
 * True when an IPv4 host:port can be bound (with the SO_REUSEADDR lws uses). A failed bind inside lws on
 * a foreign loop leaves lws handles closing that crash the next uv_run, so a taken port is found out here
 * first. Port 0, "localhost" as 127.0.0.1; other host forms (names, IPv6) are left to lws (true).
 */
bool sb_lws_port_free(const char *host, int port);

#endif

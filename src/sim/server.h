/*
 * server.h - spotsim's network front: one libwebsockets vhost on one port serving REST (HTTP/1.1
 * keep-alive) and WebSockets (market streams, the WebSocket API, listenKey streams), attached to a
 * libuv loop that the caller owns. Optionally over TLS (HTTPS and wss:// on that same port), offering
 * only HTTP/1.1 through ALPN, as Binance's clients expect.
 *
 * The server knows nothing about trading: it hands each HTTP request to an http handler and each
 * WebSocket connection's open/message/close to the ws operations, and sends what they queue.
 */
#ifndef SIM_SERVER_H
#define SIM_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sim/http.h"
#include "spotbot/error.h"

struct sim_server;
struct sim_ws_conn;

/* Handles one complete HTTP request; fills resp (status defaults to 200, body to "{}"). */
typedef void (*sim_http_handler)(void *ctx, const struct sim_http_req *req, struct sim_http_resp *resp);

struct sim_ws_ops {
	/* A WebSocket upgraded on path (decoded, with the query after '?'). Returns false to refuse it. */
	bool (*open)(void *ctx, struct sim_ws_conn *conn, const char *path);
	/* One complete text message (fragments are reassembled first). */
	void (*message)(void *ctx, struct sim_ws_conn *conn, const char *data, size_t len);
	/* The connection is gone; conn is freed after this returns. */
	void (*close)(void *ctx, struct sim_ws_conn *conn);
};

struct sim_server_opts {
	const char *host;         /* interface address, e.g. "127.0.0.1" */
	int port;                 /* 0 picks a free port */
	sim_http_handler http;    /* REST and /sim/ requests */
	struct sim_ws_ops ws;     /* WebSocket connections */
	void *ctx;                /* passed to every callback */
	unsigned ping_interval_s; /* server ping period (Binance: 20) */
	unsigned pong_timeout_s;  /* drop a client silent this long (Binance: 60) */
	const char *tls_cert;     /* PEM certificate (chain) file: serve TLS only; NULL = plain */
	const char *tls_key;      /* PEM private key of tls_cert; required with it */
};

/* Creates the server on loop and starts listening. *out is owned by the caller (sim_server_free).
 * SB_ERR_INVALID for missing callbacks or only one of tls_cert/tls_key; SB_ERR_CONFIG when the
 * certificate or key cannot be read or do not belong together; SB_ERR_IO when the port cannot be bound. */
sb_err sim_server_new(uv_loop_t *loop, const struct sim_server_opts *opts, struct sim_server **out);

/* The port actually bound (useful with port 0). */
int sim_server_port(const struct sim_server *srv);

/* Closes every WebSocket with 1001 "going away" and lets the loop flush; call before sim_server_free. */
void sim_server_close_all(struct sim_server *srv);

/* Drops every WebSocket connection at once, without a close handshake (fault injection). */
void sim_server_drop_all(struct sim_server *srv);

/* Destroys the server, running loop until lws's handles have closed: call it after the loop has
 * stopped and the caller's own handles are closed (or the loop would run on). NULL is fine. */
void sim_server_free(struct sim_server *srv);

/* Queues a copy of a text message on conn; false when its queue is full (the connection is then closed
 * as a slow consumer, as Binance does). */
bool sim_ws_send(struct sim_ws_conn *conn, const char *text, size_t len);

/* Closes conn with a status code and reason after its queue drains. */
void sim_ws_close(struct sim_ws_conn *conn, uint16_t code, const char *reason);

/* The close code the client sent (its reason in *reason when reason is not NULL, "" if none); 0 while no
 * close frame has come from it. Meant for the close operation: a client that closes gracefully has sent
 * one, a dropped connection has not. */
uint16_t sim_ws_peer_close(const struct sim_ws_conn *conn, const char **reason);

/* Per-connection user pointer for the ws operations. */
void sim_ws_set_user(struct sim_ws_conn *conn, void *user);
void *sim_ws_user(const struct sim_ws_conn *conn);

/* Monotonic id, unique per connection, for logs and LIST_SUBSCRIPTIONS bookkeeping. */
uint64_t sim_ws_id(const struct sim_ws_conn *conn);

#endif

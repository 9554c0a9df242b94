/*
 * sbtest_ws.h - WebSocket clients for tests against a server on loopback (spotsim as a child process):
 * the project's own sb_ws on the test's uv loop, each client keeping every text message it receives so a
 * test can wait for one holding given strings, with a deadline that fails the test. Also the signed
 * WebSocket API requests such tests send. Every function here fails the test (Criterion) on an error.
 */
#ifndef SBTEST_WS_H
#define SBTEST_WS_H

#include <stdbool.h>
#include <stddef.h>

#include "sbtest_loop.h"
#include "spotbot/ws_client.h"

#define SBT_WS_CLIENTS     4    /* clients a test may hold at once */
#define SBT_WS_DEADLINE_MS 8000 /* how long sbt_ws_connect and SBT_WS_WAIT wait */

/* One client connection and everything it has received. */
struct sbt_wsc {
	struct sb_ws *ws;              /* the connection */
	int opens;                     /* open callbacks */
	int closes;                    /* close callbacks */
	struct sb_ws_close_info close; /* the last close (text copied below) */
	char close_text[128];          /* its text */
	char **msg;                    /* every message, in order (owned) */
	size_t n, cap;                 /* messages used and allocated */
};

/* A test's loop with its WebSocket clients to one server on 127.0.0.1. */
struct sbt_ws {
	uv_loop_t loop;                         /* the test's loop */
	struct sb_ws_ctx *ctx;                  /* lws client context on loop */
	int port;                               /* the server's port */
	struct sbt_wsc clients[SBT_WS_CLIENTS]; /* clients by index, unused ones zero */
};

/* Initialises h's loop and client context for a server on 127.0.0.1:port. */
void sbt_ws_init(struct sbt_ws *h, int port);

/* Frees every client and what it received and the context, then closes the loop: a handle left open
 * fails the test. */
void sbt_ws_fini(struct sbt_ws *h);

/* Opens client i with o (its callbacks record into the client) without waiting. */
struct sbt_wsc *sbt_ws_open(struct sbt_ws *h, size_t i, const struct sb_ws_opts *o);

/* Connects client i to ws://127.0.0.1:port<path> without reconnects and waits until it is open. */
struct sbt_wsc *sbt_ws_connect(struct sbt_ws *h, size_t i, const char *path);

/* Sends a text message made from fmt. */
void sbt_ws_send(struct sbt_wsc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Index of the first message at or after from that contains every needle (NULL-terminated), or -1. */
long sbt_ws_find(const struct sbt_wsc *c, size_t from, const char *const *needles);

/* A NULL-terminated list of needles for sbt_ws_find. */
#define SBT_NEEDLES(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Runs h's loop until client c has a message at or after from holding every needle; its index. */
#define SBT_WS_WAIT(h, c, from, ...)                                                                         \
	({                                                                                                   \
		SBT_RUN_UNTIL(&(h)->loop, sbt_ws_find((c), (from), SBT_NEEDLES(__VA_ARGS__)) >= 0,           \
		              SBT_WS_DEADLINE_MS);                                                           \
		(size_t) sbt_ws_find((c), (from), SBT_NEEDLES(__VA_ARGS__));                                 \
	})

/*
 * Sends a signed WebSocket API request. sorted is "k=v&k=v" with every parameter (apiKey and timestamp
 * included) in name order; it is signed with HMAC secret, and every value goes out as a JSON string
 * except timestamp, which is a number.
 */
void sbt_ws_api_signed(struct sbt_wsc *c, const char *secret, int id, const char *method, const char *sorted);

/* Subscribes client c to key's user data with userDataStream.subscribe.signature as request id and
 * waits for the answer; returns the subscriptionId. */
int sbt_ws_subscribe_user_data(struct sbt_ws *h, struct sbt_wsc *c, const char *key, const char *secret,
                               int id);

#endif

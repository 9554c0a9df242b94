/*
 * lws_ws.h - one WebSocket connection's frames on libwebsockets, the same for spotbot's client and
 * spotsim's server: the outgoing queue, the reassembly of incoming fragments, pings and the close
 * handshake. Its owner keeps the connection's meaning (who it is, why it ends, what a message says) and
 * calls in from its lws callback; nothing here knows Binance or the client/server side.
 *
 * Outgoing text frames wait in a bounded queue, each with the LWS_PRE headroom lws writes its header into,
 * and at most `burst` are written per writeable callback (stack.md W2: an uncapped write loop on loopback
 * starves the loop). Incoming fragments are gathered in an sb_buf up to max_message, so a message is
 * handed over whole and NUL-terminated (stack.md W10).
 *
 * A close goes through lws' own close handshake, never through its broken-socket path (a -1 from the
 * writeable callback, which lws takes for a dead socket). Once the queue has drained the close code and
 * reason are given to lws_close_reason and the connection's lws timer is armed; the owner returns
 * sb_lws_ws_timer() from LWS_CALLBACK_TIMER, whose -1 makes lws send the close frame and wait for the
 * peer's echo. Everything runs on the loop thread.
 */
#ifndef SB_COMMON_LWS_WS_H
#define SB_COMMON_LWS_WS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "spotbot/error.h"

#define SB_LWS_CLOSE_TEXT_MAX 124 /* bytes of close reason a close frame carries */

struct lws;
struct sb_lws_frame;

/* Where a connection's close handshake stands. */
enum sb_lws_close {
	SB_LWS_OPEN,          /* no close asked for */
	SB_LWS_CLOSE_PENDING, /* close once the queue has drained */
	SB_LWS_CLOSE_ARMED,   /* code and reason handed to lws; its timer starts the handshake */
};

/* One connection's frames; zero it, then sb_lws_ws_init. */
struct sb_lws_ws {
	struct lws *wsi;                        /* the connection; NULL until attached and once gone */
	struct sb_lws_frame *head, *tail;       /* outgoing queue, oldest first */
	size_t queued;                          /* frames in the queue */
	size_t max_queue;                       /* frames the queue holds at most */
	size_t max_message;                     /* largest message received */
	unsigned burst;                         /* frames written per writeable callback */
	struct sb_buf rx;                       /* the message being reassembled */
	bool ping_due;                          /* write a ping at the next writeable */
	enum sb_lws_close close;                /* the close handshake */
	uint16_t close_code;                    /* status of our close frame */
	char close_text[SB_LWS_CLOSE_TEXT_MAX]; /* reason of our close frame */
	uint64_t sent;                          /* frames written so far */
};

/* What sb_lws_ws_receive made of a fragment. */
enum sb_lws_rx {
	SB_LWS_RX_PARTIAL,   /* more fragments follow */
	SB_LWS_RX_MESSAGE,   /* a whole message is ready */
	SB_LWS_RX_TOO_LARGE, /* the message passed max_message; what was gathered is dropped */
};

/* Ready for a connection with these limits (none may be 0). Allocates nothing yet. */
void sb_lws_ws_init(struct sb_lws_ws *w, size_t max_message, size_t max_queue, unsigned burst);
/* Frees what is queued and gathered; the wsi is left alone. */
void sb_lws_ws_fini(struct sb_lws_ws *w);

/*
 * Queues a copy of a text frame and asks lws for a writeable callback. SB_ERR_STATE without a wsi or once
 * a close was asked for, SB_ERR_TOO_LONG when the queue is full. (max_message bounds what is received;
 * the owner bounds what it sends.)
 */
sb_err sb_lws_ws_send(struct sb_lws_ws *w, const char *text, size_t len);
/* Has a ping written at the next writeable callback. */
void sb_lws_ws_ping(struct sb_lws_ws *w);
/* Closes with a close frame (code, reason cut to SB_LWS_CLOSE_TEXT_MAX - 1 bytes) once the queue has
 * drained. The first call decides the code and reason. */
void sb_lws_ws_close(struct sb_lws_ws *w, uint16_t code, const char *reason);

/*
 * For LWS_CALLBACK_{CLIENT,SERVER}_WRITEABLE: writes a due ping (ping bytes of payload) and up to burst
 * queued frames, asks for another callback while frames remain, then arms a pending close. Returns the
 * callback's value: -1 only when lws could not write (the socket is broken).
 */
int sb_lws_ws_writeable(struct sb_lws_ws *w, const char *ping, size_t ping_len);
/* For LWS_CALLBACK_TIMER: -1 (close through lws' handshake) once the close is armed, else 0. */
int sb_lws_ws_timer(const struct sb_lws_ws *w);

/*
 * For LWS_CALLBACK_{CLIENT_,}RECEIVE: adds a fragment. On SB_LWS_RX_MESSAGE *msg and *len are the whole
 * message, NUL-terminated, valid until the next call (owned by w).
 */
enum sb_lws_rx sb_lws_ws_receive(struct sb_lws_ws *w, const void *in, size_t len, const char **msg,
                                 size_t *msg_len);

/* The code and reason of a close frame (LWS_CALLBACK_WS_PEER_INITIATED_CLOSE's in and len) into *code
 * and text (cap bytes, NUL-terminated); 1005 (no status) when the frame carries none. */
void sb_lws_ws_peer_close(const void *in, size_t len, uint16_t *code, char *text, size_t cap);

#endif

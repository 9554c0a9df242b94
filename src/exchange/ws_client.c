/*
 * ws_client.c - libwebsockets client connections on a foreign libuv loop (see ws_client.h).
 *
 * Each sb_ws holds up to two live connections (the main one and, during a rollover, the next one) plus
 * old ones that are still closing. A connection is one explicit state machine (enum conn_state, every
 * move through conn_to(), which refuses a move its table does not allow):
 *
 *   PENDING --> STARTING --> CONNECTING --> OPEN --> CLOSING
 *                   |             |           |         |
 *                   v             '--> KILLED <---------'
 *                 FAILED
 *
 * and it ends, from any state, in exactly one place, conn_end(), which reports the close and schedules
 * what comes next. Once a connection is CLOSING or KILLED we have decided why it ends (why, code, text);
 * before that, the end is the server's or the network's doing. Connections are always started from a uv
 * timer, never from inside a public call, so callbacks never run inside sb_ws_new/sb_ws_rollover.
 *
 * A graceful close (sb_ws_close, the old connection of a rollover) sends a close frame through lws' own
 * close handshake (common/lws_ws.h: lws_close_reason, then the connection's lws timer); only a kill (drop,
 * stall, open timeout, a message too large) hangs up without one. The frames themselves (queue, burst,
 * reassembly, pings) are common/lws_ws.h's, shared with spotsim's server. A TLS failure names OpenSSL's
 * verification result ("certificate verify failed: self-signed certificate").
 *
 * lws holds a pointer to our connection as the wsi's user data. When a connection ends we detach it
 * (lws_set_wsi_user(wsi, NULL)) before freeing, so any later lws callback for that wsi finds nothing.
 * Timers (reconnect, ping, watchdog) are uv timers on the caller's loop. The ping and watchdog timer is armed
 * for the moment the first of them falls due and stopped when none can (an open connection without pings
 * or a watchdog), so a quiet connection costs no wake-up; a message that moves the watchdog's deadline
 * later does not touch the timer, which finds nothing due when it fires and arms itself again.
 */
#include "spotbot/ws_client.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/lws_loop.h"
#include "common/lws_ws.h"
#include "common/parse.h"
#include "spotbot/alloc.h"
#include "spotbot/log.h"

#define WS_RX_BUFFER 65536 /* lws receive buffer: bigger messages arrive in fragments */
#define WS_PROTOCOL  "sb-ws-client"
#define WS_TEXT_MAX  124  /* close reason / error text kept */
#define WS_HOST_MAX  256  /* host name */
#define WS_PATH_MAX  4096 /* path with query */

enum conn_state {
	C_PENDING,    /* created, waiting for the connect timer */
	C_STARTING,   /* inside lws_client_connect_via_info */
	C_FAILED,     /* lws reported the failure from inside that call: conn_start ends it */
	C_CONNECTING, /* handed to lws, not yet upgraded */
	C_OPEN,       /* upgraded */
	C_CLOSING,    /* our close frame waits for the queue to drain, or is on its way */
	C_KILLED,     /* dropped by us: lws hangs up, what still arrives is ignored */
	C_STATES,     /* number of states */
};

struct ws_conn {
	struct sb_ws *ws;             /* owner */
	struct sb_lws_ws wire;        /* the wsi (NULL until connecting and after the end) and its frames */
	unsigned id;                  /* connection id reported to the caller */
	enum conn_state state;        /* see enum and conn_to() */
	bool rollover;                /* its role: opened by sb_ws_rollover, not yet the main connection */
	bool was_open;                /* its history: it reached C_OPEN (CLOSING and KILLED come from both) */
	enum sb_ws_close_reason why;  /* why it ends, once CLOSING or KILLED */
	uint16_t code;                /* close code we send or received */
	char text[WS_TEXT_MAX];       /* close reason we send or received, or the error */
	uint64_t started_ms;          /* when the attempt started */
	uint64_t opened_ms;           /* when it reached C_OPEN */
	uint64_t last_rx_ms;          /* last message or pong (or the open) */
	uint64_t last_ping_ms;        /* last ping we sent (or the open) */
	struct ws_conn *next_retired; /* list of old connections still closing */
};

struct ws_vhost {
	char *ca_file;        /* NULL for the system store */
	char name[16];        /* vhost name; lws keeps the pointer */
	struct lws_vhost *vh; /* the client vhost */
};

struct sb_ws_ctx {
	uv_loop_t *loop;                            /* caller's loop */
	struct lws_context *lws;                    /* cleared by lws when really destroyed */
	struct ws_vhost vhosts[SB_WS_CA_FILES_MAX]; /* client vhosts by CA file */
	size_t nvhosts;                             /* entries used */
	struct sb_ws *clients;                      /* live sb_ws, for sb_ws_ctx_free */
};

struct sb_ws {
	struct sb_ws_ctx *ctx;             /* owner context */
	struct lws_vhost *vh;              /* client vhost for our CA file */
	struct sb_ws_ops ops;              /* callbacks */
	void *user;                        /* their argument */
	char host[WS_HOST_MAX];            /* host from the URL */
	char path[WS_PATH_MAX];            /* path and query from the URL */
	int port;                          /* port from the URL */
	bool tls;                          /* wss */
	bool insecure;                     /* wss without verification */
	size_t max_message;                /* reassembly limit */
	size_t max_queue;                  /* outgoing queue limit */
	unsigned burst;                    /* frames per writeable */
	uint32_t ping_ms, stall_ms;        /* ping period, watchdog (0: off) */
	uint32_t open_timeout_ms;          /* attempt limit */
	uint32_t backoff_min, backoff_max; /* back-off bounds */
	uint32_t stable_ms;                /* open this long, a connection restarts the back-off */
	unsigned jitter;                   /* +- percent */
	bool no_reconnect;                 /* one connection only */
	struct ws_conn *cur;      /* main connection (any state), or NULL while waiting to reconnect */
	struct ws_conn *next;     /* rollover connection, or NULL */
	struct ws_conn *retired;  /* old connections still closing */
	uv_timer_t connect_timer; /* starts pending connections (back-off delay) */
	uv_timer_t tick_timer;    /* pings and watchdog, armed for the first due (arm_tick) */
	unsigned attempt;         /* consecutive failures (connections shorter than stable_ms included) */
	unsigned next_id;         /* last connection id */
	uint64_t rng;             /* xorshift state for jitter */
	bool stopped;             /* sb_ws_close or no_reconnect: no new connections */
	unsigned depth;           /* nesting of our callbacks being run */
	bool free_pending;        /* sb_ws_free was called while depth > 0 */
	bool freeing;             /* teardown has started */
	int open_handles;         /* uv timers not yet closed */
	struct sb_ws_stats stats; /* counters */
	struct sb_ws *prev_c, *next_c; /* ctx->clients list */
};

static void maybe_free(struct sb_ws *ws);
static void schedule_connect(struct sb_ws *ws, uint32_t delay_ms);
static void arm_tick(struct sb_ws *ws);

static uint64_t now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

const char *sb_ws_close_reason_name(enum sb_ws_close_reason r)
{
	switch (r) {
	case SB_WS_CLOSE_CONNECT_FAILED:
		return "connect_failed";
	case SB_WS_CLOSE_PEER:
		return "peer";
	case SB_WS_CLOSE_DROPPED:
		return "dropped";
	case SB_WS_CLOSE_STALL:
		return "stall";
	case SB_WS_CLOSE_TOO_LARGE:
		return "too_large";
	case SB_WS_CLOSE_LOCAL:
		return "local";
	case SB_WS_CLOSE_ROLLOVER:
		return "rollover";
	default:
		return "unknown";
	}
}

/* ---- connections -------------------------------------------------------------------------------- */

static const char *const state_names[C_STATES] = {
    "pending", "starting", "failed", "connecting", "open", "closing", "killed",
};

/* The moves conn_to() allows, from each state (a bit per target state). */
#define TO(s) (1u << (s))
static const unsigned transitions[C_STATES] = {
    [C_PENDING] = TO(C_STARTING),
    [C_STARTING] = TO(C_CONNECTING) | TO(C_FAILED),
    [C_FAILED] = 0,
    [C_CONNECTING] = TO(C_OPEN) | TO(C_KILLED),
    [C_OPEN] = TO(C_CLOSING) | TO(C_KILLED),
    [C_CLOSING] = TO(C_KILLED),
    [C_KILLED] = 0,
};
#undef TO

/* The one place a connection changes state. An illegal move is a bug: it is logged and refused. */
static bool conn_to(struct ws_conn *c, enum conn_state to)
{
	if (!(transitions[c->state] & (1u << to))) {
		sb_log_error("ws",
		             SB_FIELDS(SB_F_UINT("conn", c->id), SB_F_STR("from", state_names[c->state]),
		                       SB_F_STR("to", state_names[to])),
		             "illegal connection state change refused");
		return false;
	}
	if (to == C_OPEN)
		c->was_open = true;
	c->state = to;
	return true;
}

/* Whether we decided why c ends (why, code, text are ours, not the peer's). */
static bool conn_ending(const struct ws_conn *c)
{
	return c->state == C_CLOSING || c->state == C_KILLED;
}

static struct ws_conn *conn_new(struct sb_ws *ws, bool rollover)
{
	struct ws_conn *c = sb_xcalloc(1, sizeof *c);
	c->ws = ws;
	c->id = ++ws->next_id;
	c->rollover = rollover;
	c->state = C_PENDING;
	sb_lws_ws_init(&c->wire, ws->max_message, ws->max_queue, ws->burst);
	return c;
}

static void conn_free(struct ws_conn *c)
{
	sb_lws_ws_fini(&c->wire);
	free(c);
}

/*
 * Has lws drop wsi soon, without a close frame. A kill timeout set from outside lws' own callbacks (our uv
 * timers) is only noticed at lws' next service, so the drop is also requested through a writeable
 * callback, where a killed connection returns -1 (the hang-up a kill means); the timeout is the backstop
 * for a socket that never becomes writeable.
 */
static void wsi_kill(struct lws *wsi)
{
	lws_set_timeout(wsi, PENDING_TIMEOUT_CLOSE_SEND, 1);
	lws_callback_on_writable(wsi);
}

/* Marks a wsi whose connection we have freed: its callbacks only close it. */
static char zombie;

/* Detaches c from its wsi and has lws drop the socket; no callback of ours runs for it afterwards. */
static void conn_detach_kill(struct ws_conn *c)
{
	if (c->wire.wsi) {
		lws_set_wsi_user(c->wire.wsi, &zombie);
		wsi_kill(c->wire.wsi);
		c->wire.wsi = NULL;
	}
}

/* Decides why c ends (unless already decided) and drops it; conn_end follows from lws. */
static void conn_kill(struct ws_conn *c, enum sb_ws_close_reason why, const char *text)
{
	if (c->state == C_KILLED)
		return;
	if (!conn_ending(c)) {
		c->why = why;
		snprintf(c->text, sizeof c->text, "%s", text);
	}
	if (conn_to(c, C_KILLED) && c->wire.wsi)
		wsi_kill(c->wire.wsi);
}

/* Sends a close frame with code and text once the queue drains; lws ends it when the server answers. */
static void conn_close_gracefully(struct ws_conn *c, enum sb_ws_close_reason why, uint16_t code,
                                  const char *text)
{
	if (c->state != C_OPEN || !conn_to(c, C_CLOSING))
		return; /* already ending (a kill came first) */
	c->why = why;
	c->code = code;
	snprintf(c->text, sizeof c->text, "%s", text ? text : "");
	sb_lws_ws_close(&c->wire, code, c->text);
}

static uint32_t backoff_delay(struct sb_ws *ws)
{
	uint64_t d = ws->backoff_min;
	for (unsigned i = 1; i < ws->attempt && d < ws->backoff_max; i++)
		d *= 2;
	if (d > ws->backoff_max)
		d = ws->backoff_max;
	if (ws->jitter) {
		/* xorshift64: jitter only has to spread reconnects out, not be unpredictable. */
		ws->rng ^= ws->rng << 13;
		ws->rng ^= ws->rng >> 7;
		ws->rng ^= ws->rng << 17;
		uint64_t span = 2u * ws->jitter + 1u;
		uint64_t pct = 100u - ws->jitter + ws->rng % span;
		d = d * pct / 100u;
	}
	return (uint32_t)d;
}

static void retire_unlink(struct sb_ws *ws, struct ws_conn *c)
{
	for (struct ws_conn **p = &ws->retired; *p; p = &(*p)->next_retired)
		if (*p == c) {
			*p = c->next_retired;
			return;
		}
}

/* The one place a connection ends: report it, decide what replaces it, free it. */
static void conn_end(struct ws_conn *c, const char *err_text)
{
	struct sb_ws *ws = c->ws;
	struct sb_ws_close_info info;
	memset(&info, 0, sizeof info);
	if (c->wire.wsi) {
		lws_set_wsi_user(c->wire.wsi, NULL);
		c->wire.wsi = NULL;
	}
	if (conn_ending(c))
		info.reason = c->why;
	else if (!c->was_open)
		info.reason = SB_WS_CLOSE_CONNECT_FAILED;
	else
		info.reason = c->code ? SB_WS_CLOSE_PEER : SB_WS_CLOSE_DROPPED;
	if (err_text && !c->text[0])
		snprintf(c->text, sizeof c->text, "%s", err_text);
	info.code = c->code;
	info.text = c->text;
	info.conn = c->id;
	info.was_open = c->was_open;
	if (!c->was_open)
		ws->stats.failures++;

	if (c == ws->cur) {
		ws->cur = NULL;
		if (ws->next) {
			/* The rollover connection takes over (or becomes the reconnect attempt). */
			ws->cur = ws->next;
			ws->next = NULL;
			ws->cur->rollover = false;
		} else if (!ws->stopped && !ws->no_reconnect && info.reason != SB_WS_CLOSE_LOCAL) {
			/* Only a connection that stayed up proves the server takes us again. */
			if (c->was_open && now_ms() - c->opened_ms >= ws->stable_ms)
				ws->attempt = 0;
			ws->attempt++;
			info.reconnecting = true;
			info.retry_in_ms = backoff_delay(ws);
			schedule_connect(ws, info.retry_in_ms);
		}
	} else if (c == ws->next) {
		ws->next = NULL;
		info.rollover = true;
	} else {
		retire_unlink(ws, c);
	}
	info.attempt = ws->attempt;
	if (info.reason == SB_WS_CLOSE_LOCAL || info.reason == SB_WS_CLOSE_ROLLOVER)
		sb_log_info("ws",
		            SB_FIELDS(SB_F_UINT("conn", c->id),
		                      SB_F_STR("reason", sb_ws_close_reason_name(info.reason))),
		            "connection closed");
	else
		sb_log_warn("ws",
		            SB_FIELDS(SB_F_UINT("conn", c->id),
		                      SB_F_STR("reason", sb_ws_close_reason_name(info.reason)),
		                      SB_F_UINT("code", info.code), SB_F_STR("text", c->text),
		                      SB_F_BOOL("reconnecting", info.reconnecting),
		                      SB_F_UINT("retry_in_ms", info.retry_in_ms)),
		            "connection ended");
	if (ws->ops.close && !ws->freeing) {
		ws->depth++;
		ws->ops.close(ws->user, ws, &info);
		ws->depth--;
	}
	conn_free(c); /* after the callback: info.text points into it */
}

static void conn_start(struct sb_ws *ws, struct ws_conn *c)
{
	struct lws_client_connect_info i;
	memset(&i, 0, sizeof i);
	i.context = ws->ctx->lws;
	i.vhost = ws->vh;
	i.address = ws->host;
	i.host = ws->host;
	i.origin = ws->host;
	i.port = ws->port;
	i.path = ws->path;
	i.protocol = NULL; /* Binance expects no Sec-WebSocket-Protocol */
	i.local_protocol_name = WS_PROTOCOL;
	i.userdata = c;
	i.pwsi = &c->wire.wsi;
	if (ws->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (ws->insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
			                    LCCSCF_ALLOW_EXPIRED;
	}
	conn_to(c, C_STARTING);
	c->started_ms = now_ms();
	struct lws *wsi = lws_client_connect_via_info(&i);
	if (!wsi || c->state == C_FAILED) {
		c->wire.wsi = NULL;
		conn_end(c, c->text[0] ? c->text : "connect failed");
		return;
	}
	conn_to(c, C_CONNECTING);
	arm_tick(ws);
}

static void on_connect_timer(uv_timer_t *t)
{
	struct sb_ws *ws = t->data;
	ws->depth++;
	if (!ws->cur && !ws->stopped)
		ws->cur = conn_new(ws, false);
	if (ws->cur && ws->cur->state == C_PENDING)
		conn_start(ws, ws->cur);
	if (ws->next && ws->next->state == C_PENDING)
		conn_start(ws, ws->next);
	ws->depth--;
	maybe_free(ws);
}

static void schedule_connect(struct sb_ws *ws, uint32_t delay_ms)
{
	/* The loop's cached time can be milliseconds old inside a long callback; the delay counts from now.
	 */
	uv_update_time(ws->ctx->loop);
	uv_timer_start(&ws->connect_timer, on_connect_timer, delay_ms, 0);
}

/* Pings and the watchdog for one live connection. */
static void tick_conn(struct sb_ws *ws, struct ws_conn *c, uint64_t now)
{
	if (!c || !c->wire.wsi)
		return;
	if (c->state == C_CONNECTING && now - c->started_ms > ws->open_timeout_ms) {
		conn_kill(c, SB_WS_CLOSE_CONNECT_FAILED, "open timeout");
		return;
	}
	if (c->state != C_OPEN)
		return;
	if (ws->stall_ms && now - c->last_rx_ms > ws->stall_ms) {
		ws->stats.stalls++;
		sb_log_warn("ws", SB_FIELDS(SB_F_UINT("conn", c->id), SB_F_UINT("stall_ms", ws->stall_ms)),
		            "nothing received: dropping the connection");
		conn_kill(c, SB_WS_CLOSE_STALL, "stall watchdog");
		return;
	}
	if (ws->ping_ms && now - c->last_ping_ms >= ws->ping_ms) {
		c->last_ping_ms = now;
		sb_lws_ws_ping(&c->wire);
	}
}

/* When tick_conn has something to do for c next (monotonic ms): the open timeout while it connects, the
 * watchdog and the ping once it is open; UINT64_MAX when nothing but an event can give it work. */
static uint64_t conn_due(const struct sb_ws *ws, const struct ws_conn *c)
{
	if (!c || !c->wire.wsi)
		return UINT64_MAX;
	if (c->state == C_CONNECTING)
		return c->started_ms + ws->open_timeout_ms + 1;
	uint64_t due = UINT64_MAX;
	if (c->state != C_OPEN)
		return due;
	if (ws->stall_ms)
		due = c->last_rx_ms + ws->stall_ms + 1;
	if (ws->ping_ms && c->last_ping_ms + ws->ping_ms < due)
		due = c->last_ping_ms + ws->ping_ms;
	return due;
}

static void on_tick(uv_timer_t *t)
{
	struct sb_ws *ws = t->data;
	uint64_t now = now_ms();
	ws->stats.ticks++;
	tick_conn(ws, ws->cur, now);
	tick_conn(ws, ws->next, now);
	arm_tick(ws);
}

/* Arms the ping and watchdog timer for the first connection's due time, or stops it when none has one. */
static void arm_tick(struct sb_ws *ws)
{
	if (ws->freeing || uv_is_closing((uv_handle_t *)&ws->tick_timer))
		return;
	uint64_t a = conn_due(ws, ws->cur), b = conn_due(ws, ws->next);
	uint64_t due = a < b ? a : b;
	if (due == UINT64_MAX) {
		uv_timer_stop(&ws->tick_timer);
		return;
	}
	uint64_t now = now_ms();
	/* As in schedule_connect: the loop's cached time may be behind; the delay counts from now. */
	uv_update_time(ws->ctx->loop);
	uv_timer_start(&ws->tick_timer, on_tick, due > now ? due - now : 0, 0);
}

/* ---- lws callbacks ------------------------------------------------------------------------------ */

static int conn_writeable(struct ws_conn *c)
{
	if (c->state == C_KILLED)
		return -1; /* the hang-up a kill asked for (wsi_kill) */
	uint64_t before = c->wire.sent;
	int rc = sb_lws_ws_writeable(&c->wire, "", 0);
	c->ws->stats.sent += c->wire.sent - before;
	return rc;
}

/* Returns -1 when the connection must be reset (message too large). */
static int conn_receive(struct ws_conn *c, const char *in, size_t len)
{
	struct sb_ws *ws = c->ws;
	const char *msg;
	size_t n;
	c->last_rx_ms = now_ms();
	switch (sb_lws_ws_receive(&c->wire, in, len, &msg, &n)) {
	case SB_LWS_RX_PARTIAL:
		return 0;
	case SB_LWS_RX_MESSAGE:
		ws->stats.messages++;
		ws->stats.bytes += n;
		ws->ops.message(ws->user, ws, c->id, msg, n);
		return 0;
	case SB_LWS_RX_TOO_LARGE:
		break;
	}
	sb_log_warn("ws", SB_FIELDS(SB_F_UINT("conn", c->id), SB_F_UINT("max_message", ws->max_message)),
	            "incoming message too large: resetting the connection");
	c->why = SB_WS_CLOSE_TOO_LARGE;
	c->code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
	snprintf(c->text, sizeof c->text, "message too large");
	conn_to(c, C_KILLED);
	lws_close_reason(c->wire.wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)c->text,
	                 strlen(c->text));
	return -1;
}

static void conn_opened(struct ws_conn *c)
{
	struct sb_ws *ws = c->ws;
	if (c->state != C_CONNECTING || !conn_to(c, C_OPEN))
		return; /* killed (open timeout, sb_ws_close) while lws was upgrading it */
	c->opened_ms = c->last_rx_ms = c->last_ping_ms = now_ms();
	ws->stats.opens++;
	arm_tick(ws);
	sb_log_info("ws", SB_FIELDS(SB_F_UINT("conn", c->id), SB_F_BOOL("rollover", c->rollover)),
	            "connected");
	if (ws->ops.open)
		ws->ops.open(ws->user, ws, c->id, c->rollover);
}

static int dispatch(struct ws_conn *c, struct lws *wsi, enum lws_callback_reasons reason, void *in,
                    size_t len)
{
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		sb_lws_conn_error_text(wsi, c->ws->tls, in, c->text, sizeof c->text);
		if (c->state == C_STARTING) {
			conn_to(c, C_FAILED); /* conn_start ends it once lws has returned */
			lws_set_wsi_user(wsi, NULL);
			return 0;
		}
		conn_end(c, NULL);
		return 0;
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		conn_opened(c);
		return 0;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		/* A connection closing gracefully (rollover) still delivers until the server's close arrives.
		 */
		if (!c->was_open || c->state == C_KILLED)
			return 0;
		return conn_receive(c, in, len);
	case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
		c->last_rx_ms = now_ms();
		c->ws->stats.pongs++;
		return 0;
	case LWS_CALLBACK_CLIENT_WRITEABLE:
		return conn_writeable(c);
	case LWS_CALLBACK_TIMER:
		return sb_lws_ws_timer(&c->wire); /* our close frame goes out (lws_ws.h) */
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (!conn_ending(c))
			sb_lws_ws_peer_close(in, len, &c->code, c->text, sizeof c->text);
		return 0;
	case LWS_CALLBACK_CLIENT_CLOSED:
	case LWS_CALLBACK_WSI_DESTROY:
		conn_end(c, NULL);
		return 0;
	default:
		return 0;
	}
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_conn *c = user;
	if (reason == LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION)
		return 0; /* user is OpenSSL's X509_STORE_CTX here; the result is read at the error */
	if (user == &zombie)
		return reason == LWS_CALLBACK_CLIENT_WRITEABLE || reason == LWS_CALLBACK_CLIENT_RECEIVE ||
		               reason == LWS_CALLBACK_TIMER
		           ? -1
		           : 0;
	if (!c)
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	if (c->wire.wsi != wsi) {
		/* Callbacks can come before lws_client_connect_via_info has returned the wsi. */
		if (c->state != C_STARTING)
			return 0;
		c->wire.wsi = wsi;
	}
	struct sb_ws *ws = c->ws;
	ws->depth++;
	int rc = dispatch(c, wsi, reason, in, len);
	ws->depth--;
	maybe_free(ws);
	return rc;
}

static const struct lws_protocols client_protocols[] = {
    {WS_PROTOCOL, ws_callback, 0, WS_RX_BUFFER, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- public API --------------------------------------------------------------------------------- */

sb_err sb_ws_send(struct sb_ws *ws, const char *text, size_t len)
{
	if (!ws || (!text && len))
		return SB_ERR_INVALID;
	struct ws_conn *c = (ws->next && ws->next->state == C_OPEN) ? ws->next : ws->cur;
	if (!c || c->state != C_OPEN)
		return SB_ERR_STATE;
	if (len > ws->max_message)
		return SB_ERR_TOO_LONG;
	return sb_lws_ws_send(&c->wire, text, len);
}

sb_err sb_ws_rollover(struct sb_ws *ws)
{
	if (!ws)
		return SB_ERR_INVALID;
	if (ws->stopped || ws->next || !ws->cur || ws->cur->state != C_OPEN)
		return SB_ERR_STATE;
	ws->next = conn_new(ws, true);
	sb_log_info("ws", SB_FIELDS(SB_F_UINT("conn", ws->next->id)),
	            "rollover: opening a second connection");
	schedule_connect(ws, 0);
	return SB_OK;
}

sb_err sb_ws_rollover_confirm(struct sb_ws *ws)
{
	if (!ws)
		return SB_ERR_INVALID;
	if (!ws->next || ws->next->state != C_OPEN)
		return SB_ERR_STATE;
	struct ws_conn *old = ws->cur;
	ws->cur = ws->next;
	ws->cur->rollover = false;
	ws->next = NULL;
	if (old) {
		old->next_retired = ws->retired;
		ws->retired = old;
		conn_close_gracefully(old, SB_WS_CLOSE_ROLLOVER, LWS_CLOSE_STATUS_NORMAL, "rollover");
	}
	return SB_OK;
}

static void close_conn_locally(struct ws_conn *c, uint16_t code, const char *reason)
{
	if (!c)
		return;
	if (c->state == C_OPEN)
		conn_close_gracefully(c, SB_WS_CLOSE_LOCAL, code, reason);
	else if (c->state == C_CONNECTING)
		conn_kill(c, SB_WS_CLOSE_LOCAL, reason ? reason : "");
}

void sb_ws_close(struct sb_ws *ws, uint16_t code, const char *reason)
{
	if (!ws || ws->stopped)
		return;
	ws->stopped = true;
	uv_timer_stop(&ws->connect_timer);
	if (!code)
		code = LWS_CLOSE_STATUS_NORMAL;
	/* Connections not handed to lws yet simply never start. */
	if (ws->next && ws->next->state == C_PENDING) {
		conn_free(ws->next);
		ws->next = NULL;
	}
	if (ws->cur && ws->cur->state == C_PENDING) {
		conn_free(ws->cur);
		ws->cur = NULL;
	}
	close_conn_locally(ws->next, code, reason);
	close_conn_locally(ws->cur, code, reason);
}

void sb_ws_drop(struct sb_ws *ws)
{
	if (!ws || !ws->cur || ws->cur->state != C_OPEN)
		return;
	conn_kill(ws->cur, SB_WS_CLOSE_DROPPED, "dropped locally");
}

bool sb_ws_is_open(const struct sb_ws *ws)
{
	return ws && ws->cur && ws->cur->state == C_OPEN;
}

void sb_ws_stats(const struct sb_ws *ws, struct sb_ws_stats *out)
{
	if (ws)
		*out = ws->stats;
	else
		memset(out, 0, sizeof *out);
}

static void timer_closed(uv_handle_t *h)
{
	struct sb_ws *ws = h->data;
	if (--ws->open_handles == 0)
		free(ws);
}

static void really_free(struct sb_ws *ws)
{
	struct sb_ws_ctx *ctx = ws->ctx;
	if (ws->prev_c)
		ws->prev_c->next_c = ws->next_c;
	else
		ctx->clients = ws->next_c;
	if (ws->next_c)
		ws->next_c->prev_c = ws->prev_c;
	struct ws_conn *all[2] = {ws->cur, ws->next};
	for (int i = 0; i < 2; i++)
		if (all[i]) {
			conn_detach_kill(all[i]);
			conn_free(all[i]);
		}
	while (ws->retired) {
		struct ws_conn *c = ws->retired;
		ws->retired = c->next_retired;
		conn_detach_kill(c);
		conn_free(c);
	}
	ws->cur = ws->next = NULL;
	uv_timer_stop(&ws->connect_timer);
	uv_timer_stop(&ws->tick_timer);
	uv_close((uv_handle_t *)&ws->connect_timer, timer_closed);
	uv_close((uv_handle_t *)&ws->tick_timer, timer_closed);
}

static void maybe_free(struct sb_ws *ws)
{
	if (ws->free_pending && ws->depth == 0 && !ws->freeing) {
		ws->freeing = true;
		really_free(ws);
	}
}

void sb_ws_free(struct sb_ws *ws)
{
	if (!ws || ws->free_pending)
		return;
	ws->free_pending = true;
	ws->stopped = true;
	maybe_free(ws);
}

/* Splits ws[s]://host[:port][/path] into ws's fields. */
static sb_err parse_url(struct sb_ws *ws, const char *url)
{
	const char *p;
	if (strncmp(url, "wss://", 6) == 0) {
		ws->tls = true;
		ws->port = 443;
		p = url + 6;
	} else if (strncmp(url, "ws://", 5) == 0) {
		ws->port = 80;
		p = url + 5;
	} else {
		return SB_ERR_INVALID;
	}
	const char *host = p, *host_end;
	if (*p == '[') { /* [IPv6]:port */
		host = p + 1;
		host_end = strchr(host, ']');
		if (!host_end)
			return SB_ERR_INVALID;
		p = host_end + 1;
	} else {
		p += strcspn(p, ":/?");
		host_end = p;
	}
	size_t hl = (size_t)(host_end - host);
	if (hl == 0 || hl >= sizeof ws->host)
		return SB_ERR_INVALID;
	memcpy(ws->host, host, hl);
	ws->host[hl] = '\0';
	if (*p == ':') {
		size_t digits = strcspn(p + 1, "/?");
		int64_t port;
		if (!sb_parse_i64(p + 1, digits, 1, 65535, &port))
			return SB_ERR_INVALID;
		ws->port = (int)port;
		p += 1 + digits;
	}
	int n = snprintf(ws->path, sizeof ws->path, "%s%s", *p == '/' ? "" : "/", p);
	if (n < 0 || (size_t)n >= sizeof ws->path)
		return SB_ERR_INVALID;
	return SB_OK;
}

/* Finds or creates the client vhost that verifies against ca_file (NULL: the system store). */
static sb_err vhost_for(struct sb_ws_ctx *ctx, const char *ca_file, struct lws_vhost **out)
{
	for (size_t i = 0; i < ctx->nvhosts; i++) {
		const char *have = ctx->vhosts[i].ca_file;
		if ((!have && !ca_file) || (have && ca_file && strcmp(have, ca_file) == 0)) {
			*out = ctx->vhosts[i].vh;
			return SB_OK;
		}
	}
	if (ctx->nvhosts == SB_WS_CA_FILES_MAX)
		return SB_ERR_TOO_LONG;
	struct ws_vhost *v = &ctx->vhosts[ctx->nvhosts];
	snprintf(v->name, sizeof v->name, "sb-client-%zu", ctx->nvhosts);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = client_protocols;
	info.vhost_name = v->name;
	info.client_ssl_ca_filepath = ca_file;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	v->vh = lws_create_vhost(ctx->lws, &info);
	if (!v->vh)
		return SB_ERR_IO;
	v->ca_file = ca_file ? sb_xstrdup(ca_file) : NULL;
	ctx->nvhosts++;
	*out = v->vh;
	return SB_OK;
}

sb_err sb_ws_new(struct sb_ws_ctx *ctx, const struct sb_ws_opts *opts, const struct sb_ws_ops *ops,
                 void *user, struct sb_ws **out)
{
	if (!ctx || !opts || !opts->url || !ops || !ops->message || !out)
		return SB_ERR_INVALID;
	if (opts->jitter_pct < -1 || opts->jitter_pct > 100)
		return SB_ERR_INVALID;
	struct sb_ws *ws = sb_xcalloc(1, sizeof *ws);
	sb_err err = parse_url(ws, opts->url);
	if (err)
		goto fail;
	err = vhost_for(ctx, ws->tls ? opts->ca_file : NULL, &ws->vh);
	if (err)
		goto fail;
	ws->ctx = ctx;
	ws->ops = *ops;
	ws->user = user;
	ws->insecure = opts->insecure;
	ws->max_message = opts->max_message ? opts->max_message : SB_WS_MAX_MESSAGE_DEFAULT;
	ws->max_queue = opts->max_queue ? opts->max_queue : SB_WS_MAX_QUEUE_DEFAULT;
	ws->burst = opts->burst ? opts->burst : SB_WS_BURST_DEFAULT;
	ws->ping_ms = opts->ping_ms;
	ws->stall_ms = opts->stall_ms;
	ws->open_timeout_ms = opts->open_timeout_ms ? opts->open_timeout_ms : SB_WS_OPEN_TIMEOUT_DEFAULT;
	ws->backoff_min = opts->backoff_min_ms ? opts->backoff_min_ms : SB_WS_BACKOFF_MIN_DEFAULT;
	ws->backoff_max = opts->backoff_max_ms ? opts->backoff_max_ms : SB_WS_BACKOFF_MAX_DEFAULT;
	ws->stable_ms = opts->stable_ms ? opts->stable_ms : SB_WS_STABLE_DEFAULT;
	if (ws->backoff_max < ws->backoff_min)
		ws->backoff_max = ws->backoff_min;
	ws->jitter = opts->jitter_pct < 0 ? 0u
	             : opts->jitter_pct   ? (unsigned)opts->jitter_pct
	                                  : SB_WS_JITTER_DEFAULT;
	ws->no_reconnect = opts->no_reconnect;
	ws->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)ws ^ 0x9e3779b97f4a7c15u;
	if (!ws->rng)
		ws->rng = 1;
	if (ws->insecure && ws->tls)
		sb_log_warn("ws", SB_FIELDS(SB_F_STR("host", ws->host)),
		            "TLS verification is OFF (insecure flag)");
	uv_timer_init(ctx->loop, &ws->connect_timer);
	uv_timer_init(ctx->loop, &ws->tick_timer);
	ws->connect_timer.data = ws;
	ws->tick_timer.data = ws;
	ws->open_handles = 2;
	ws->next_c = ctx->clients;
	if (ctx->clients)
		ctx->clients->prev_c = ws;
	ctx->clients = ws;
	schedule_connect(ws, 0);
	*out = ws;
	return SB_OK;
fail:
	free(ws);
	return err;
}

sb_err sb_ws_ctx_new(uv_loop_t *loop, struct sb_ws_ctx **out)
{
	if (!loop || !out)
		return SB_ERR_INVALID;
	sb_lws_log_to_logger();
	struct sb_ws_ctx *ctx = sb_xcalloc(1, sizeof *ctx);
	ctx->loop = loop;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
	if (sb_lws_context_new(loop, &info, &ctx->lws) != SB_OK) {
		free(ctx);
		return SB_ERR_IO;
	}
	*out = ctx;
	return SB_OK;
}

struct lws_context *sb_ws_ctx_lws(struct sb_ws_ctx *ctx)
{
	return ctx ? ctx->lws : NULL;
}

void sb_ws_ctx_free(struct sb_ws_ctx *ctx)
{
	if (!ctx)
		return;
	while (ctx->clients) {
		struct sb_ws *ws = ctx->clients;
		ws->free_pending = true;
		ws->stopped = true;
		ws->freeing = true;
		really_free(ws); /* unlinks ws from ctx->clients */
	}
	sb_lws_context_free(ctx->loop, &ctx->lws);
	for (size_t i = 0; i < ctx->nvhosts; i++)
		free(ctx->vhosts[i].ca_file);
	free(ctx);
}

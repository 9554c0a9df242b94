/*
 * server.c - spotsim's libwebsockets front end (see server.h).
 *
 * One vhost serves both HTTP and WebSocket on one port. The libuv loop belongs to the caller; lws is
 * attached to it as a foreign loop (common/lws_loop.h), and a uv timer drives server pings and the
 * silent-client check, so the timing rules are spotsim's own and visible in one place. A WebSocket's
 * frames (the bounded outgoing queue written at most SIM_WS_BURST per writeable callback, reassembly, the
 * close handshake) are common/lws_ws.h's, the HTTP body and response common/lws_http.h's: the same code
 * as spotbot's client and control API, while the Binance messages on either side stay apart.
 *
 * With a certificate the one port speaks TLS only. lws would advertise h2 through ALPN by default, and
 * curl would then take HTTP/2, a different code path from the HTTP/1.1 that Binance clients use and that
 * WebSocket upgrades need; ALPN is therefore restricted to http/1.1.
 */
#include "sim/server.h"

#include <libwebsockets.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "common/lws_http.h"
#include "common/lws_loop.h"
#include "common/lws_ws.h"
#include "spotbot/alloc.h"

#define SIM_WS_BURST     64            /* frames written per writeable callback */
#define SIM_WS_MAX_QUEUE 65536         /* queued messages before a client counts as too slow */
#define SIM_WS_MAX_RX    (1024 * 1024) /* largest reassembled incoming message */
#define SIM_PATH_MAX     2048          /* longest WebSocket path with query we keep */
#define SIM_ERROR_MAX    4096          /* longest {"code","msg"} error document */

struct sim_ws_conn {
	struct sim_server *srv;                /* owner */
	struct lws *wsi;                       /* NULL once lws has closed it */
	uint64_t id;                           /* unique per connection */
	void *user;                            /* for the ws operations */
	struct sb_lws_ws ws;                   /* frames: queue, reassembly, pings, close handshake */
	uint64_t last_pong_ms;                 /* monotonic time of the last pong (or of the open) */
	uint16_t peer_code;                    /* the client's close code, 0 until its close frame */
	char peer_text[SB_LWS_CLOSE_TEXT_MAX]; /* the client's close reason */
	struct sim_ws_conn *prev, *next;       /* all open connections */
};

struct delayed;

struct http_pss {
	struct sim_http_req *req; /* the request being collected */
	struct sb_lws_body body;  /* its body */
	struct delayed *delayed;  /* a response waiting for its delay to pass, or NULL */
};

/* A response held back by the delay fault; outlives its connection if that closes first. */
struct delayed {
	uv_timer_t timer;          /* fires when the delay has passed */
	struct lws *wsi;           /* the connection, valid while pss is set */
	struct http_pss *pss;      /* NULL once the connection has closed */
	struct sim_http_resp resp; /* what to send */
	bool ready;                /* the delay has passed */
};

struct ws_pss {
	struct sim_ws_conn *conn; /* the connection of this wsi */
};

struct sim_server {
	struct lws_context *ctx;     /* the lws context */
	struct lws_vhost *vhost;     /* its one vhost */
	uv_loop_t *loop;             /* caller's loop */
	uv_timer_t ping_timer;       /* server pings and silent-client checks */
	struct sim_server_opts opts; /* copy of the options */
	struct sim_ws_conn *conns;   /* open WebSocket connections */
	uint64_t next_id;            /* next connection id */
	int port;                    /* bound port */
};

static uint64_t mono_ms(void)
{
	return uv_hrtime() / 1000000u;
}

/* ---- HTTP responses ---------------------------------------------------------------------------- */

void sim_http_resp_header(struct sim_http_resp *resp, const char *name, const char *value)
{
	size_t room = sizeof resp->headers - resp->headers_len;
	int n = snprintf(resp->headers + resp->headers_len, room, "%s: %s\r\n", name, value);
	if (n > 0 && (size_t)n < room)
		resp->headers_len += (size_t)n;
	else
		resp->headers[resp->headers_len] = '\0';
}

void sim_http_resp_text(struct sim_http_resp *resp, int status, const char *text)
{
	free(resp->body);
	resp->status = status;
	resp->body_len = strlen(text);
	resp->body = sb_xstrndup(text, resp->body_len);
}

void sim_http_resp_error(struct sim_http_resp *resp, int status, int code, const char *msg)
{
	struct sb_buf b;
	sb_buf_init(&b, SIM_ERROR_MAX);
	sb_buf_puts(&b, "{\"code\":");
	sb_json_i64(&b, code);
	sb_buf_puts(&b, ",\"msg\":");
	sb_json_str(&b, msg);
	sb_buf_putc(&b, '}');
	free(resp->body);
	resp->status = status;
	resp->body_len = b.overflow ? 0 : b.len;
	resp->body = sb_buf_take(&b); /* NULL past the maximum: the answer's body is then "{}" */
}

const char *sim_http_arg(const struct sim_http_req *req, const char *key)
{
	for (size_t i = 0; i < req->nargs; i++)
		if (strcmp(req->args[i].key, key) == 0)
			return req->args[i].value;
	return NULL;
}

const char *sim_http_method_name(enum sim_method m)
{
	switch (m) {
	case SIM_GET:
		return "GET";
	case SIM_POST:
		return "POST";
	case SIM_PUT:
		return "PUT";
	case SIM_DELETE:
		return "DELETE";
	default:
		return "OTHER";
	}
}

/* Writes resp and ends the transaction; the lws callback's value. */
static int write_response(struct lws *wsi, const struct sim_http_resp *resp)
{
	struct sb_lws_reply r = {
	    .status = resp->status,
	    .content_type = resp->content_type ? resp->content_type : "application/json;charset=UTF-8",
	    .headers = resp->headers,
	    .body = resp->body,
	    .len = resp->body_len,
	};
	return sb_lws_http_reply(wsi, &r);
}

/* ---- HTTP requests ----------------------------------------------------------------------------- */

static enum sim_method request_method(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
		return SIM_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI))
		return SIM_POST;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI))
		return SIM_PUT;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI))
		return SIM_DELETE;
	return SIM_OTHER;
}

static bool peer_is_loopback(struct lws *wsi)
{
	char ip[64] = "";
	lws_get_peer_simple(wsi, ip, sizeof ip);
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 || strncmp(ip, "::ffff:127.", 11) == 0;
}

static void collect_args(struct lws *wsi, struct sim_http_req *req)
{
	size_t used = 0;
	for (int i = 0;; i++) {
		int n = lws_hdr_copy_fragment(wsi, req->query + used, (int)(sizeof req->query - used),
		                              WSI_TOKEN_HTTP_URI_ARGS, i);
		if (n < 0)
			break;
		if (req->nargs == SIM_HTTP_MAX_ARGS || used + (size_t)n + 1 >= sizeof req->query) {
			req->args_truncated = true;
			break;
		}
		char *frag = req->query + used;
		char *eq = strchr(frag, '=');
		req->args[req->nargs].key = frag;
		if (eq) {
			*eq = '\0';
			req->args[req->nargs].value = eq + 1;
		} else {
			req->args[req->nargs].value = frag + n; /* the terminating NUL: empty value */
		}
		req->nargs++;
		used += (size_t)n + 1;
	}
}

static void delayed_closed(uv_handle_t *h)
{
	struct delayed *d = h->data;
	free(d->resp.body);
	free(d);
}

static void delayed_release(struct delayed *d)
{
	uv_timer_stop(&d->timer);
	uv_close((uv_handle_t *)&d->timer, delayed_closed);
}

static void on_delay(uv_timer_t *t)
{
	struct delayed *d = t->data;
	d->ready = true;
	if (d->pss)
		lws_callback_on_writable(d->wsi);
}

static void free_req(struct http_pss *pss)
{
	if (pss && pss->req) {
		free(pss->req);
		pss->req = NULL;
		sb_lws_body_fini(&pss->body);
	}
}

/*
 * Answers the request pss gathered, with its body: the response is written at once or held back by the
 * delay fault (then 0). The request is released before the response is written, since ending the
 * transaction hands pss back to lws. Returns the lws callback's value.
 */
static int answer(struct sim_server *srv, struct lws *wsi, struct http_pss *pss)
{
	struct sim_http_req *req = pss->req;
	req->body = pss->body.buf.len ? pss->body.buf.p : NULL;
	req->body_len = pss->body.buf.len;
	req->body_too_large = sb_lws_body_too_large(&pss->body);
	struct sim_http_resp resp = {.status = 200};
	if (req->body_too_large)
		sim_http_resp_error(&resp, 413, -1000, "Request body too large.");
	else
		srv->opts.http(srv->opts.ctx, req, &resp);
	free_req(pss);
	if (!resp.body)
		sim_http_resp_text(&resp, resp.status, "{}");
	if (resp.delay_ms) {
		struct delayed *d = sb_xcalloc(1, sizeof *d);
		d->wsi = wsi;
		d->pss = pss;
		d->resp = resp;
		uv_timer_init(srv->loop, &d->timer);
		d->timer.data = d;
		uv_timer_start(&d->timer, on_delay, resp.delay_ms, 0);
		pss->delayed = d;
		return 0;
	}
	int rc = write_response(wsi, &resp);
	free(resp.body);
	return rc;
}

/* Whether a body follows the headers ("Content-Length: 0", or none, or a malformed one: no). */
static bool body_follows(struct lws *wsi)
{
	int64_t n = 0;
	return sb_lws_http_content_length(wsi, &n) && n > 0;
}

static int cb_http(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct http_pss *pss = user;
	struct sim_server *srv = lws_context_user(lws_get_context(wsi));
	int rc = 0;

	switch (reason) {
	case LWS_CALLBACK_HTTP: {
		free_req(pss);
		struct sim_http_req *req = sb_xcalloc(1, sizeof *req);
		pss->req = req;
		req->method = request_method(wsi);
		snprintf(req->path, sizeof req->path, "%s", (const char *)in);
		collect_args(wsi, req);
		lws_hdr_custom_copy(wsi, req->api_key, sizeof req->api_key, "x-mbx-apikey:", 13);
		lws_hdr_copy(wsi, req->content_type, sizeof req->content_type, WSI_TOKEN_HTTP_CONTENT_TYPE);
		req->loopback = peer_is_loopback(wsi);
		sb_lws_body_init(&pss->body, SIM_HTTP_MAX_BODY);
		if (body_follows(wsi) && req->method != SIM_GET)
			return 0; /* the body follows */
		return answer(srv, wsi, pss);
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (!pss->req)
			return -1;
		sb_lws_body_add(&pss->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!pss->req)
			return -1;
		return answer(srv, wsi, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE: {
		struct delayed *d = pss ? pss->delayed : NULL;
		if (!d || !d->ready)
			break;
		pss->delayed = NULL;
		d->pss = NULL;
		rc = write_response(wsi, &d->resp);
		delayed_release(d);
		return rc;
	}
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		free_req(pss);
		if (pss && pss->delayed) {
			pss->delayed->pss = NULL;
			delayed_release(pss->delayed);
			pss->delayed = NULL;
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- WebSocket --------------------------------------------------------------------------------- */

static void conn_unlink(struct sim_ws_conn *c)
{
	struct sim_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else if (srv->conns == c)
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void conn_free(struct sim_ws_conn *c)
{
	sb_lws_ws_fini(&c->ws);
	free(c);
}

bool sim_ws_send(struct sim_ws_conn *conn, const char *text, size_t len)
{
	sb_err e = sb_lws_ws_send(&conn->ws, text, len);
	if (e == SB_ERR_TOO_LONG)
		sim_ws_close(conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "slow consumer");
	return e == SB_OK;
}

void sim_ws_close(struct sim_ws_conn *conn, uint16_t code, const char *reason)
{
	if (conn->ws.wsi)
		sb_lws_ws_close(&conn->ws, code, reason);
}

uint16_t sim_ws_peer_close(const struct sim_ws_conn *conn, const char **reason)
{
	if (reason)
		*reason = conn->peer_text;
	return conn->peer_code;
}

void sim_ws_set_user(struct sim_ws_conn *conn, void *user)
{
	conn->user = user;
}

void *sim_ws_user(const struct sim_ws_conn *conn)
{
	return conn->user;
}

uint64_t sim_ws_id(const struct sim_ws_conn *conn)
{
	return conn->id;
}

static void ws_path(struct lws *wsi, char *out, size_t cap)
{
	int n = lws_hdr_copy(wsi, out, (int)cap, WSI_TOKEN_GET_URI);
	if (n < 0)
		n = 0;
	size_t used = (size_t)n;
	for (int i = 0;; i++) {
		if (used + 2 >= cap)
			break;
		out[used] = i == 0 ? '?' : '&';
		int f = lws_hdr_copy_fragment(wsi, out + used + 1, (int)(cap - used - 1),
		                              WSI_TOKEN_HTTP_URI_ARGS, i);
		if (f < 0) {
			out[used] = '\0';
			break;
		}
		used += (size_t)f + 1;
	}
}

static void ws_receive(struct sim_ws_conn *c, const char *in, size_t len)
{
	const char *msg;
	size_t n;
	switch (sb_lws_ws_receive(&c->ws, in, len, &msg, &n)) {
	case SB_LWS_RX_MESSAGE:
		c->srv->opts.ws.message(c->srv->opts.ctx, c, msg, n);
		break;
	case SB_LWS_RX_TOO_LARGE:
		sim_ws_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
		break;
	case SB_LWS_RX_PARTIAL:
		break;
	}
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct ws_pss *pss = user;
	struct sim_server *srv = lws_context_user(lws_get_context(wsi));

	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED: {
		char path[SIM_PATH_MAX];
		struct sim_ws_conn *c = sb_xcalloc(1, sizeof *c);
		c->srv = srv;
		sb_lws_ws_init(&c->ws, SIM_WS_MAX_RX, SIM_WS_MAX_QUEUE, SIM_WS_BURST);
		c->ws.wsi = wsi;
		c->id = ++srv->next_id;
		c->last_pong_ms = mono_ms();
		c->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = c;
		srv->conns = c;
		pss->conn = c;
		ws_path(wsi, path, sizeof path);
		if (!srv->opts.ws.open(srv->opts.ctx, c, path))
			sim_ws_close(c, LWS_CLOSE_STATUS_POLICY_VIOLATION, "unknown path");
		break;
	}
	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (pss->conn)
			return sb_lws_ws_writeable(&pss->conn->ws, "spotsim", 7);
		break;
	case LWS_CALLBACK_TIMER:
		if (pss->conn)
			return sb_lws_ws_timer(&pss->conn->ws); /* the close handshake (lws_ws.h) */
		break;
	case LWS_CALLBACK_RECEIVE:
		if (pss->conn && pss->conn->ws.close == SB_LWS_OPEN)
			ws_receive(pss->conn, in, len);
		break;
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (pss->conn)
			sb_lws_ws_peer_close(in, len, &pss->conn->peer_code, pss->conn->peer_text,
			                     sizeof pss->conn->peer_text);
		break;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (pss->conn)
			pss->conn->last_pong_ms = mono_ms();
		break;
	case LWS_CALLBACK_CLOSED:
		if (pss->conn) {
			struct sim_ws_conn *c = pss->conn;
			pss->conn = NULL;
			c->ws.wsi = NULL;
			conn_unlink(c);
			srv->opts.ws.close(srv->opts.ctx, c);
			conn_free(c);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void on_ping_timer(uv_timer_t *t)
{
	struct sim_server *srv = t->data;
	uint64_t now = mono_ms();
	for (struct sim_ws_conn *c = srv->conns; c; c = c->next) {
		if (!c->ws.wsi)
			continue;
		if (now - c->last_pong_ms > (uint64_t)srv->opts.pong_timeout_s * 1000u) {
			/* Binance drops a client that has not answered pings for a minute. */
			lws_set_timeout(c->ws.wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
			continue;
		}
		sb_lws_ws_ping(&c->ws);
	}
}

static const struct lws_protocols protocols[] = {
    {"http", cb_http, sizeof(struct http_pss), 0, 0, NULL, 0},
    {"binance", cb_ws, sizeof(struct ws_pss), 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Binance's clients send no Sec-WebSocket-Protocol, so the WebSocket protocol must be the default. */
static const struct lws_protocol_vhost_options pvo_default = {NULL, NULL, "default", "1"};
static const struct lws_protocol_vhost_options pvo = {NULL, &pvo_default, "binance", ""};

/* An encrypted key is refused rather than prompted for: OpenSSL's default callback reads the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* Loads the certificate and key as lws will and checks that they belong together. lws would find the
 * same problems, but only inside lws_create_context, and a failed lws_create_context on a foreign loop
 * leaves lws handles closing on it that crash the next uv_run (as a taken port does today). */
static sb_err check_tls_files(const char *cert_path, const char *key_path)
{
	sb_err e = SB_ERR_CONFIG;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	FILE *f = fopen(cert_path, "r");
	if (f) {
		cert = PEM_read_X509(f, NULL, no_password, NULL);
		fclose(f);
	}
	f = fopen(key_path, "r");
	if (f) {
		key = PEM_read_PrivateKey(f, NULL, no_password, NULL);
		fclose(f);
	}
	if (cert && key && X509_check_private_key(cert, key) == 1)
		e = SB_OK;
	X509_free(cert);
	EVP_PKEY_free(key);
	return e;
}

sb_err sim_server_new(uv_loop_t *loop, const struct sim_server_opts *opts, struct sim_server **out)
{
	if (!loop || !opts || !opts->http || !opts->ws.open || !opts->ws.message || !opts->ws.close || !out)
		return SB_ERR_INVALID;
	bool tls = opts->tls_cert && opts->tls_cert[0];
	if (tls != (opts->tls_key && opts->tls_key[0]))
		return SB_ERR_INVALID;
	if (tls && check_tls_files(opts->tls_cert, opts->tls_key) != SB_OK)
		return SB_ERR_CONFIG;
	if (!sb_lws_port_free(opts->host, opts->port))
		return SB_ERR_IO;
	struct sim_server *srv = sb_xcalloc(1, sizeof *srv);
	srv->loop = loop;
	srv->opts = *opts;
	if (!srv->opts.ping_interval_s)
		srv->opts.ping_interval_s = 20;
	if (!srv->opts.pong_timeout_s)
		srv->opts.pong_timeout_s = 60;

	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = opts->port;
	info.iface = opts->host;
	info.protocols = protocols;
	info.pvo = &pvo;
	info.user = srv;
	info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
	info.max_http_header_data = 8192;
	if (tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = opts->tls_cert;
		info.ssl_private_key_filepath = opts->tls_key;
		info.alpn = "http/1.1";
	}
	if (sb_lws_context_new(loop, &info, &srv->ctx) != SB_OK) {
		free(srv);
		return SB_ERR_IO;
	}
	srv->vhost = lws_get_vhost_by_name(srv->ctx, "default");
	srv->port = srv->vhost ? lws_get_vhost_listen_port(srv->vhost) : -1;
	if (srv->port <= 0) {
		lws_context_destroy(srv->ctx);
		free(srv);
		return SB_ERR_IO;
	}
	uv_timer_init(loop, &srv->ping_timer);
	srv->ping_timer.data = srv;
	uint64_t period = (uint64_t)srv->opts.ping_interval_s * 1000u;
	uv_timer_start(&srv->ping_timer, on_ping_timer, period, period);
	*out = srv;
	return SB_OK;
}

int sim_server_port(const struct sim_server *srv)
{
	return srv->port;
}

void sim_server_close_all(struct sim_server *srv)
{
	for (struct sim_ws_conn *c = srv->conns; c; c = c->next)
		sim_ws_close(c, LWS_CLOSE_STATUS_GOINGAWAY, "server shutting down");
}

void sim_server_drop_all(struct sim_server *srv)
{
	for (struct sim_ws_conn *c = srv->conns; c; c = c->next)
		if (c->ws.wsi)
			lws_set_timeout(c->ws.wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void sim_server_free(struct sim_server *srv)
{
	if (!srv)
		return;
	uv_timer_stop(&srv->ping_timer);
	uv_close((uv_handle_t *)&srv->ping_timer, NULL);
	sb_lws_context_free(srv->loop, &srv->ctx);
	free(srv);
}

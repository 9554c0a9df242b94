/*
 * server.c - spotsim's libwebsockets front end (see server.h).
 *
 * One vhost serves both HTTP and WebSocket on one port. The libuv loop belongs to the caller; lws is
 * attached to it as a foreign loop, and a uv timer drives server pings and the silent-client check,
 * so the timing rules are spotsim's own and visible in one place. Outgoing WebSocket messages wait in a
 * bounded per-connection queue and are written at most SIM_WS_BURST per writeable callback, so a fast
 * consumer on loopback cannot starve the loop.
 *
 * With a certificate the one port speaks TLS only. lws would advertise h2 through ALPN by default, and
 * curl would then take HTTP/2, a different code path from the HTTP/1.1 that Binance clients use and that
 * WebSocket upgrades need; ALPN is therefore restricted to http/1.1.
 */
#include "sim/server.h"

#include <arpa/inet.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "spotbot/alloc.h"

#define SIM_WS_BURST     64            /* frames written per writeable callback */
#define SIM_WS_MAX_QUEUE 65536         /* queued messages before a client counts as too slow */
#define SIM_WS_MAX_RX    (1024 * 1024) /* largest reassembled incoming message */
#define SIM_PATH_MAX     2048          /* longest WebSocket path with query we keep */

struct ws_msg {
	struct ws_msg *next; /* queue order */
	size_t len;          /* payload bytes after the LWS_PRE headroom */
	unsigned char buf[]; /* LWS_PRE headroom, then the payload */
};

struct sim_ws_conn {
	struct sim_server *srv;          /* owner */
	struct lws *wsi;                 /* NULL once lws has closed it */
	uint64_t id;                     /* unique per connection */
	void *user;                      /* for the ws operations */
	struct ws_msg *head, *tail;      /* outgoing queue */
	size_t queued;                   /* messages in the queue */
	char *rx;                        /* reassembly buffer for fragmented messages */
	size_t rx_len, rx_cap;           /* bytes used and allocated in rx */
	bool ping_due;                   /* send a ping at the next writeable */
	uint64_t last_pong_ms;           /* monotonic time of the last pong (or of the open) */
	bool closing;                    /* close after the queue drains */
	bool close_armed;                /* close reason set, the wsi timer will start the close handshake */
	uint16_t close_code;             /* status for the close frame */
	char close_reason[64];           /* reason for the close frame */
	struct sim_ws_conn *prev, *next; /* all open connections */
};

struct delayed;

struct http_pss {
	struct sim_http_req *req; /* the request being collected */
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
	char buf[512];
	/* Messages are fixed texts from spotsim plus parameter names; escape quotes defensively. */
	char esc[400];
	size_t j = 0;
	for (size_t i = 0; msg[i] && j + 2 < sizeof esc; i++) {
		if (msg[i] == '"' || msg[i] == '\\')
			esc[j++] = '\\';
		esc[j++] = msg[i];
	}
	esc[j] = '\0';
	snprintf(buf, sizeof buf, "{\"code\":%d,\"msg\":\"%s\"}", code, esc);
	sim_http_resp_text(resp, status, buf);
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

static int write_response(struct lws *wsi, struct sim_http_resp *resp)
{
	unsigned char hdr[LWS_PRE + 2048];
	unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
	const char *ctype = resp->content_type ? resp->content_type : "application/json;charset=UTF-8";

	if (lws_add_http_common_headers(wsi, (unsigned)resp->status, ctype, (lws_filepos_t)resp->body_len, &p,
	                                end))
		return -1;
	/* Extra headers were stored as "Name: value\r\n" lines; lws wants "name:" and the value apart. */
	char *line = resp->headers;
	while (*line) {
		char *eol = strstr(line, "\r\n");
		char *colon = strchr(line, ':');
		if (!eol || !colon || colon > eol)
			break;
		char name[96];
		size_t nlen = (size_t)(colon - line) + 1;
		if (nlen >= sizeof name)
			break;
		memcpy(name, line, nlen);
		name[nlen] = '\0';
		const char *val = colon + 1;
		while (*val == ' ')
			val++;
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)name, (const unsigned char *)val,
		                                (int)(eol - val), &p, end))
			return -1;
		line = eol + 2;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (resp->body_len) {
		unsigned char *b = sb_xmalloc(LWS_PRE + resp->body_len);
		memcpy(b + LWS_PRE, resp->body, resp->body_len);
		int n = lws_write(wsi, b + LWS_PRE, resp->body_len, LWS_WRITE_HTTP_FINAL);
		free(b);
		if (n < 0)
			return -1;
	}
	return 0;
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

/* Answers req: returns 0 when the response was written, 1 when it is held back, -1 on error. */
static int dispatch(struct sim_server *srv, struct lws *wsi, struct http_pss *pss, struct sim_http_req *req)
{
	struct sim_http_resp resp = {.status = 200};
	if (req->body_too_large)
		sim_http_resp_error(&resp, 413, -1000, "Request body too large.");
	else
		srv->opts.http(srv->opts.ctx, req, &resp);
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
		return 1;
	}
	int rc = write_response(wsi, &resp);
	free(resp.body);
	return rc;
}

static void free_req(struct http_pss *pss)
{
	if (pss && pss->req) {
		free(pss->req->body);
		free(pss->req);
		pss->req = NULL;
	}
}

/* The request's Content-Length value; 0 when absent or malformed ("Content-Length: 0" has no body). */
static long long content_length(struct lws *wsi)
{
	char v[32];
	if (lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0)
		return 0;
	char *end = NULL;
	long long n = strtoll(v, &end, 10);
	return end != v && n > 0 ? n : 0;
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
		if (content_length(wsi) > 0 && req->method != SIM_GET)
			return 0; /* the body follows */
		rc = dispatch(srv, wsi, pss, req);
		free_req(pss);
		if (rc)
			return rc < 0 ? -1 : 0;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	}
	case LWS_CALLBACK_HTTP_BODY: {
		struct sim_http_req *req = pss->req;
		if (!req)
			return -1;
		if (req->body_len + len > SIM_HTTP_MAX_BODY) {
			req->body_too_large = true;
			return 0;
		}
		req->body = sb_xrealloc(req->body, req->body_len + len + 1);
		memcpy(req->body + req->body_len, in, len);
		req->body_len += len;
		req->body[req->body_len] = '\0';
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (!pss->req)
			return -1;
		rc = dispatch(srv, wsi, pss, pss->req);
		free_req(pss);
		if (rc)
			return rc < 0 ? -1 : 0;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
	case LWS_CALLBACK_HTTP_WRITEABLE: {
		struct delayed *d = pss ? pss->delayed : NULL;
		if (!d || !d->ready)
			break;
		pss->delayed = NULL;
		d->pss = NULL;
		rc = write_response(wsi, &d->resp);
		delayed_release(d);
		if (rc)
			return -1;
		return lws_http_transaction_completed(wsi) ? -1 : 0;
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
	struct ws_msg *m = c->head;
	while (m) {
		struct ws_msg *n = m->next;
		free(m);
		m = n;
	}
	free(c->rx);
	free(c);
}

bool sim_ws_send(struct sim_ws_conn *conn, const char *text, size_t len)
{
	if (!conn->wsi || conn->closing)
		return false;
	if (conn->queued >= SIM_WS_MAX_QUEUE) {
		sim_ws_close(conn, LWS_CLOSE_STATUS_POLICY_VIOLATION, "slow consumer");
		return false;
	}
	struct ws_msg *m = sb_xmalloc(sizeof *m + LWS_PRE + len);
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, text, len);
	if (conn->tail)
		conn->tail->next = m;
	else
		conn->head = m;
	conn->tail = m;
	conn->queued++;
	lws_callback_on_writable(conn->wsi);
	return true;
}

void sim_ws_close(struct sim_ws_conn *conn, uint16_t code, const char *reason)
{
	if (!conn->wsi || conn->closing)
		return;
	conn->closing = true;
	conn->close_code = code;
	snprintf(conn->close_reason, sizeof conn->close_reason, "%s", reason ? reason : "");
	lws_callback_on_writable(conn->wsi);
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

static int ws_writeable(struct sim_ws_conn *c)
{
	struct lws *wsi = c->wsi;
	if (c->ping_due && !c->close_armed) {
		unsigned char ping[LWS_PRE + 8];
		memcpy(ping + LWS_PRE, "spotsim", 7);
		c->ping_due = false;
		if (lws_write(wsi, ping + LWS_PRE, 7, LWS_WRITE_PING) < 0)
			return -1;
	}
	for (int burst = 0; c->head && burst < SIM_WS_BURST; burst++) {
		struct ws_msg *m = c->head;
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
			return -1;
		c->head = m->next;
		if (!c->head)
			c->tail = NULL;
		c->queued--;
		free(m);
		if (lws_send_pipe_choked(wsi))
			break;
	}
	if (c->head) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	if (c->closing && !c->close_armed) {
		/* A -1 from a writeable callback makes lws take the socket for broken and drop it without
		 * the close frame. A -1 from the wsi's timer callback goes through lws' close handshake
		 * instead: the frame with this code and reason goes out and the client's echo ends it. */
		lws_close_reason(wsi, (enum lws_close_status)c->close_code, (unsigned char *)c->close_reason,
		                 strlen(c->close_reason));
		c->close_armed = true;
		lws_set_timer_usecs(wsi, 1);
	}
	return 0;
}

static void ws_receive(struct sim_ws_conn *c, const char *in, size_t len)
{
	struct lws *wsi = c->wsi;
	bool whole = lws_is_first_fragment(wsi) && lws_is_final_fragment(wsi) &&
	             !lws_remaining_packet_payload(wsi) && c->rx_len == 0;
	if (whole) {
		c->srv->opts.ws.message(c->srv->opts.ctx, c, in, len);
		return;
	}
	if (c->rx_len + len > SIM_WS_MAX_RX) {
		sim_ws_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
		c->rx_len = 0;
		return;
	}
	if (c->rx_len + len + 1 > c->rx_cap) {
		c->rx_cap = (c->rx_len + len + 1) * 2;
		c->rx = sb_xrealloc(c->rx, c->rx_cap);
	}
	memcpy(c->rx + c->rx_len, in, len);
	c->rx_len += len;
	if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
		c->rx[c->rx_len] = '\0';
		size_t n = c->rx_len;
		c->rx_len = 0;
		c->srv->opts.ws.message(c->srv->opts.ctx, c, c->rx, n);
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
		c->wsi = wsi;
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
			return ws_writeable(pss->conn);
		break;
	case LWS_CALLBACK_TIMER:
		if (pss->conn && pss->conn->close_armed)
			return -1; /* see ws_writeable */
		break;
	case LWS_CALLBACK_RECEIVE:
		if (pss->conn && !pss->conn->closing)
			ws_receive(pss->conn, in, len);
		break;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (pss->conn)
			pss->conn->last_pong_ms = mono_ms();
		break;
	case LWS_CALLBACK_CLOSED:
		if (pss->conn) {
			struct sim_ws_conn *c = pss->conn;
			pss->conn = NULL;
			c->wsi = NULL;
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
		if (!c->wsi)
			continue;
		if (now - c->last_pong_ms > (uint64_t)srv->opts.pong_timeout_s * 1000u) {
			/* Binance drops a client that has not answered pings for a minute. */
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
			continue;
		}
		c->ping_due = true;
		lws_callback_on_writable(c->wsi);
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

/*
 * True when host:port can be bound. lws cannot be torn down cleanly after it fails to bind on a foreign
 * loop, so a taken port is found out here first, with the same SO_REUSEADDR lws uses.
 */
static bool port_free(const char *host, int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (port == 0 || !host || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return true; /* port 0 cannot be taken; other host forms are left to lws */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return true;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	bool ok = bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
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
	if (!port_free(opts->host, opts->port))
		return SB_ERR_IO;
	struct sim_server *srv = sb_xcalloc(1, sizeof *srv);
	srv->loop = loop;
	srv->opts = *opts;
	if (!srv->opts.ping_interval_s)
		srv->opts.ping_interval_s = 20;
	if (!srv->opts.pong_timeout_s)
		srv->opts.pong_timeout_s = 60;

	void *foreign[] = {loop};
	lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = opts->port;
	info.iface = opts->host;
	info.protocols = protocols;
	info.pvo = &pvo;
	info.user = srv;
	info.foreign_loops = foreign;
	info.pcontext = &srv->ctx; /* lws clears it when the context is really gone */
	info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN |
	               LWS_SERVER_OPTION_DISABLE_IPV6;
	info.max_http_header_data = 8192;
	if (tls) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = opts->tls_cert;
		info.ssl_private_key_filepath = opts->tls_key;
		info.alpn = "http/1.1";
	}
	srv->ctx = lws_create_context(&info);
	if (!srv->ctx) {
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
		if (c->wsi)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void sim_server_free(struct sim_server *srv)
{
	if (!srv)
		return;
	uv_timer_stop(&srv->ping_timer);
	uv_close((uv_handle_t *)&srv->ping_timer, NULL);
	/* With a foreign libuv loop the first destroy only starts the teardown: the loop must run until
	 * lws's handles have closed, and a second destroy then frees the context (and unloads the uv
	 * plugin, so no lws handle may still be pending when it happens). */
	lws_context_destroy(srv->ctx);
	uv_run(srv->loop, UV_RUN_DEFAULT);
	if (srv->ctx) {
		lws_context_destroy(srv->ctx);
		uv_run(srv->loop, UV_RUN_DEFAULT);
	}
	free(srv);
}

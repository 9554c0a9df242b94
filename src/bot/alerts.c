/*
 * alerts.c - the webhook notifier (see alerts.h).
 *
 * Alerts wait in a FIFO of built payloads. One is in flight at a time, which keeps them in order and makes
 * the rate bucket trivially exact. One uv timer serves both the wait for a rate token and the backoff before
 * a retry, since the head of the queue can only be waiting for one of them. The bucket counts credit in
 * units of 1/rate_window_ms of a token: every millisecond adds rate_max units and a request costs
 * rate_window_ms units, so integers describe the refill exactly.
 */
#include "bot/alerts.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/metrics.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/http_client.h"
#include "spotbot/log.h"

#define HOST_MAX        256 /* bytes of the host[:port] kept for logs */
#define SECRET_PATH_MIN 16  /* a URL path this long is treated as a secret of its own */

/* One alert waiting to be sent, its payload already built. */
struct pending {
	struct pending *next;    /* toward the tail */
	char *body;              /* JSON payload */
	enum sb_alert_kind kind; /* for logs */
	unsigned attempts;       /* requests made so far */
};

/* One remembered dedupe key. */
struct dedupe_slot {
	char key[SB_ALERTS_KEY_MAX + 1]; /* the key */
	uint64_t at_ms;                  /* mono time it was last accepted */
	bool used;                       /* slot holds a key */
};

struct sb_alerts {
	uv_loop_t *loop;                                   /* the loop everything runs on */
	struct sb_http *http;                              /* webhook client; NULL when disabled */
	char *url;                                         /* request URL (Telegram: without chat_id) */
	char host[HOST_MAX];                               /* host[:port], the only part of the URL logged */
	char *chat_id;                                     /* Telegram chat id */
	enum sb_config_alert_format format;                /* payload shape */
	unsigned rate_max;                                 /* requests per window */
	uint32_t rate_window_ms;                           /* the rate window */
	uint32_t dedupe_window_ms;                         /* identical keys suppressed this long */
	unsigned queue_max;                                /* waiting alerts kept */
	unsigned max_attempts;                             /* tries per alert */
	uint32_t backoff_ms;                               /* first retry delay */
	uint32_t backoff_max_ms;                           /* longest retry delay */
	uint32_t timeout_ms;                               /* per request */
	sb_alerts_wall_fn wall_ms;                         /* wall clock */
	sb_alerts_mono_fn mono_ms;                         /* monotonic clock */
	void *clock_user;                                  /* argument of the clocks */
	uint64_t credit;                                   /* rate bucket, in 1/rate_window_ms tokens */
	uint64_t credit_at_ms;                             /* mono time credit was last refilled */
	struct pending *head;                              /* oldest waiting alert */
	struct pending *tail;                              /* newest waiting alert */
	size_t nwaiting;                                   /* alerts in the queue, not counting inflight */
	struct pending *inflight;                          /* the alert whose request is out */
	uv_timer_t timer;                                  /* rate wait or retry backoff */
	bool timer_armed;                                  /* timer is running: the head must wait */
	uv_timer_t drain_timer;                            /* drain deadline, or the deferred done call */
	void (*drain_done)(void *user);                    /* drain callback, NULL when no drain is pending */
	void *drain_user;                                  /* its argument */
	struct dedupe_slot dedupe[SB_ALERTS_DEDUPE_SLOTS]; /* recently accepted keys */
	struct sb_alerts_stats stats;                      /* counters */
	bool closing;                                      /* sb_alerts_free has begun */
	int open_handles;                                  /* uv handles not yet closed */
};

static const char *kind_names[SB_ALERT__COUNT] = {
    [SB_ALERT_START] = "start",
    [SB_ALERT_STOP] = "stop",
    [SB_ALERT_POSITION_HELD] = "position_held",
    [SB_ALERT_STOP_LOSS] = "stop_loss",
    [SB_ALERT_ORDER_REJECTIONS] = "order_rejections",
    [SB_ALERT_STREAM_STALLED] = "stream_stalled",
    [SB_ALERT_STREAM_RECONNECTS] = "stream_reconnects",
    [SB_ALERT_RECONCILIATION] = "reconciliation",
    [SB_ALERT_KILL_SWITCH] = "kill_switch",
    [SB_ALERT_PAIR_UNLISTED] = "pair_unlisted",
};

const char *sb_alert_kind_name(enum sb_alert_kind kind)
{
	if ((unsigned)kind >= SB_ALERT__COUNT)
		return "unknown";
	return kind_names[kind];
}

const char *sb_alert_severity_name(enum sb_alert_severity severity)
{
	switch (severity) {
	case SB_ALERT_INFO:
		return "info";
	case SB_ALERT_WARNING:
		return "warning";
	case SB_ALERT_CRITICAL:
		return "critical";
	}
	return "unknown";
}

static const char *severity_upper(enum sb_alert_severity severity)
{
	return severity == SB_ALERT_CRITICAL ? "CRITICAL" : severity == SB_ALERT_WARNING ? "WARNING" : "INFO";
}

static int64_t default_wall_ms(void *user)
{
	(void)user;
	return sb_clock_wall_ms();
}

static uint64_t default_mono_ms(void *user)
{
	(void)user;
	return sb_clock_mono_ms();
}

/* ---- URL handling ---- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes n bytes of s into a new string; '+' stays '+' (chat ids never contain spaces). */
static char *percent_decode(const char *s, size_t n)
{
	char *out = sb_xmalloc(n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			out[o++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
}

/*
 * Splits url into its host (for logs) and the offset of its path; registers the secret parts with the
 * logger. SB_ERR_CONFIG when it is not http(s)://host...
 */
static sb_err parse_url(struct sb_alerts *a, const char *url)
{
	size_t skip;
	if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return SB_ERR_CONFIG;
	const char *auth = url + skip;
	size_t alen = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', alen);
	const char *host = at ? at + 1 : auth; /* user:password@ is a secret too */
	size_t hlen = alen - (size_t)(host - auth);
	if (hlen == 0 || hlen >= sizeof a->host)
		return SB_ERR_CONFIG;
	memcpy(a->host, host, hlen);
	a->host[hlen] = '\0';

	SB_TRY(sb_log_add_secret(url));
	const char *path = auth + alen;
	if (strlen(path) >= SECRET_PATH_MIN)
		SB_TRY(sb_log_add_secret(path));
	if (at) {
		char *userinfo = sb_xstrndup(auth, (size_t)(at - auth));
		sb_err e = sb_log_add_secret(userinfo);
		free(userinfo);
		SB_TRY(e);
	}
	if (strncmp(path, "/bot", 4) == 0) {
		/* Telegram's token is the path segment after "/bot". */
		size_t tlen = strcspn(path + 4, "/?#");
		char *token = sb_xstrndup(path + 4, tlen);
		sb_err e = sb_log_add_secret(token);
		free(token);
		SB_TRY(e);
	}
	return SB_OK;
}

/* Takes chat_id out of the Telegram URL's query into a->chat_id; a->url gets the rest. */
static sb_err split_chat_id(struct sb_alerts *a, const char *url)
{
	const char *q = strchr(url, '?');
	if (!q)
		return SB_ERR_CONFIG;
	size_t base = (size_t)(q - url);
	size_t cap = strlen(url) + 1;
	char *rest = sb_xmalloc(cap);
	memcpy(rest, url, base);
	size_t o = base;
	const char *p = q + 1;
	while (*p && *p != '#') {
		size_t n = strcspn(p, "&#");
		if (n > 8 && strncmp(p, "chat_id=", 8) == 0 && !a->chat_id) {
			a->chat_id = percent_decode(p + 8, n - 8);
		} else if (n > 0) {
			rest[o] = o == base ? '?' : '&';
			o++;
			memcpy(rest + o, p, n);
			o += n;
		}
		p += n;
		if (*p == '&')
			p++;
	}
	rest[o] = '\0';
	if (!a->chat_id || !a->chat_id[0]) {
		free(rest);
		return SB_ERR_CONFIG;
	}
	a->url = rest;
	return SB_OK;
}

/* ---- payloads ---- */

/* Copies msg into out (cap > SB_ALERTS_MESSAGE_MAX + 4), cut at a UTF-8 boundary with "..." when long. */
static void clip_message(const char *msg, char *out, size_t cap)
{
	size_t n = strlen(msg);
	if (n <= SB_ALERTS_MESSAGE_MAX) {
		memcpy(out, msg, n + 1);
		return;
	}
	n = SB_ALERTS_MESSAGE_MAX - 3;
	while (n > 0 && ((unsigned char)msg[n] & 0xC0) == 0x80)
		n--;
	memcpy(out, msg, n);
	memcpy(out + n, "...", 4);
	(void)cap;
}

static char *build_payload(const struct sb_alerts *a, const struct sb_alert *al, const char *key,
                           const char *message)
{
	cJSON *o = cJSON_CreateObject();
	if (a->format == SB_CONFIG_ALERT_GENERIC) {
		char when[SB_CLOCK_RFC3339_MS_SIZE];
		sb_clock_format_rfc3339_ms(a->wall_ms(a->clock_user), when, sizeof when);
		cJSON_AddStringToObject(o, "kind", sb_alert_kind_name(al->kind));
		cJSON_AddStringToObject(o, "severity", sb_alert_severity_name(al->severity));
		cJSON_AddStringToObject(o, "message", message);
		cJSON_AddStringToObject(o, "time", when);
		cJSON_AddStringToObject(o, "key", key);
		if (al->symbol && al->symbol[0])
			cJSON_AddStringToObject(o, "symbol", al->symbol);
	} else {
		size_t cap = SB_ALERTS_MESSAGE_MAX + SB_ALERTS_SYMBOL_MAX + 64;
		char *text = sb_xmalloc(cap);
		bool sym = al->symbol && al->symbol[0];
		snprintf(text, cap, "[%s] %s%s%.*s: %s", severity_upper(al->severity),
		         sb_alert_kind_name(al->kind), sym ? " " : "", SB_ALERTS_SYMBOL_MAX,
		         sym ? al->symbol : "", message);
		if (a->format == SB_CONFIG_ALERT_SLACK)
			cJSON_AddStringToObject(o, "text", text);
		else if (a->format == SB_CONFIG_ALERT_DISCORD)
			cJSON_AddStringToObject(o, "content", text);
		else {
			cJSON_AddStringToObject(o, "chat_id", a->chat_id);
			cJSON_AddStringToObject(o, "text", text);
		}
		free(text);
	}
	char *body = cJSON_PrintUnformatted(o); /* sb_xmalloc'd, as everything the queue frees */
	cJSON_Delete(o);
	return body;
}

/* ---- the queue and the dispatcher ---- */

static void pending_free(struct pending *p)
{
	if (!p)
		return;
	free(p->body);
	free(p);
}

static void push_front(struct sb_alerts *a, struct pending *p)
{
	p->next = a->head;
	a->head = p;
	if (!a->tail)
		a->tail = p;
	a->nwaiting++;
}

static struct pending *pop_front(struct sb_alerts *a)
{
	struct pending *p = a->head;
	if (!p)
		return NULL;
	a->head = p->next;
	if (!a->head)
		a->tail = NULL;
	p->next = NULL;
	a->nwaiting--;
	return p;
}

static void refill(struct sb_alerts *a)
{
	uint64_t now = a->mono_ms(a->clock_user);
	uint64_t full = (uint64_t)a->rate_max * a->rate_window_ms;
	if (now > a->credit_at_ms) {
		uint64_t add = (now - a->credit_at_ms) * a->rate_max;
		a->credit = a->credit + add > full ? full : a->credit + add;
	}
	a->credit_at_ms = now;
}

static void pump(struct sb_alerts *a);

static void on_timer(uv_timer_t *t)
{
	struct sb_alerts *a = t->data;
	a->timer_armed = false;
	pump(a);
}

static void arm_timer(struct sb_alerts *a, uint64_t ms)
{
	a->timer_armed = true;
	uv_update_time(
	    a->loop); /* the loop's cached time may be stale after long work: delays count from now */
	uv_timer_start(&a->timer, on_timer, ms ? ms : 1, 0);
}

static void on_drain_timer(uv_timer_t *t)
{
	struct sb_alerts *a = t->data;
	void (*done)(void *) = a->drain_done;
	a->drain_done = NULL;
	if (done)
		done(a->drain_user);
}

/* When a drain waits and nothing is left, calls its done from the loop (never from inside the caller). */
static void check_drain(struct sb_alerts *a)
{
	if (a->drain_done && !a->head && !a->inflight)
		uv_timer_start(&a->drain_timer, on_drain_timer, 0, 0);
}

static void on_response(void *user, const struct sb_http_resp *resp);

static void start_request(struct sb_alerts *a, struct pending *p)
{
	struct sb_http_req req = {.method = SB_HTTP_POST,
	                          .url = a->url,
	                          .body = p->body,
	                          .body_len = strlen(p->body),
	                          .content_type = "application/json",
	                          .timeout_ms = a->timeout_ms};
	p->attempts++;
	a->inflight = p;
	sb_err e = sb_http_request(a->http, &req, on_response, a, NULL);
	if (e != SB_OK) {
		a->inflight = NULL;
		a->stats.failed++;
		sb_log_error("alerts", SB_FIELDS(SB_F_STR("host", a->host), SB_F_ERR(e)), "alert %s not sent",
		             sb_alert_kind_name(p->kind));
		pending_free(p);
	}
}

/* Sends the head of the queue if nothing is in flight, no timer holds it back and a rate token is there. */
static void pump(struct sb_alerts *a)
{
	while (!a->closing && !a->inflight && !a->timer_armed && a->head) {
		refill(a);
		if (a->credit < a->rate_window_ms) {
			uint64_t need = a->rate_window_ms - a->credit;
			a->stats.rate_waits++;
			arm_timer(a, (need + a->rate_max - 1) / a->rate_max);
			return;
		}
		a->credit -= a->rate_window_ms;
		struct pending *p = pop_front(a);
		if (!p)
			break;
		start_request(a, p);
	}
	check_drain(a);
}

static uint64_t backoff_for(const struct sb_alerts *a, unsigned attempts, const struct sb_http_resp *resp)
{
	uint64_t delay = a->backoff_ms;
	for (unsigned i = 1; i < attempts && delay < a->backoff_max_ms; i++)
		delay *= 2;
	if (resp->status == 429 && resp->limits.retry_after_s > 0)
		delay = (uint64_t)resp->limits.retry_after_s * 1000u; /* the server said when */
	return delay > a->backoff_max_ms ? a->backoff_max_ms : delay;
}

static void on_response(void *user, const struct sb_http_resp *resp)
{
	struct sb_alerts *a = user;
	if (a->closing)
		return; /* sb_alerts_free owns the in-flight alert */
	struct pending *p = a->inflight;
	a->inflight = NULL;
	const char *kind = sb_alert_kind_name(p->kind);
	if (resp->err == SB_OK && resp->status >= 200 && resp->status < 300) {
		a->stats.sent++;
		sb_log_info("alerts",
		            SB_FIELDS(SB_F_STR("host", a->host), SB_F_INT("status", resp->status),
		                      SB_F_UINT("attempts", p->attempts)),
		            "alert %s delivered", kind);
		pending_free(p);
	} else if (resp->err != SB_OK || resp->status >= 500 || resp->status == 429) {
		if (p->attempts < a->max_attempts) {
			uint64_t delay = backoff_for(a, p->attempts, resp);
			a->stats.retried++;
			sb_log_warn("alerts",
			            SB_FIELDS(SB_F_STR("host", a->host), SB_F_INT("status", resp->status),
			                      SB_F_ERR(resp->err), SB_F_UINT("attempts", p->attempts),
			                      SB_F_UINT("retry_ms", delay)),
			            "alert %s not delivered, retrying", kind);
			push_front(a, p);
			arm_timer(a, delay);
		} else {
			a->stats.failed++;
			sb_log_error("alerts",
			             SB_FIELDS(SB_F_STR("host", a->host), SB_F_INT("status", resp->status),
			                       SB_F_ERR(resp->err), SB_F_UINT("attempts", p->attempts)),
			             "alert %s not delivered, giving up", kind);
			pending_free(p);
		}
	} else {
		a->stats.failed++;
		sb_log_error(
		    "alerts",
		    SB_FIELDS(SB_F_STR("host", a->host), SB_F_INT("status", resp->status),
		              SB_F_STRN("body", resp->body, resp->body_len > 200 ? 200 : resp->body_len)),
		    "alert %s refused by the webhook", kind);
		pending_free(p);
	}
	pump(a);
}

/* True when key was accepted within the dedupe window; otherwise remembers it as accepted now. */
static bool is_duplicate(struct sb_alerts *a, const char *key)
{
	uint64_t now = a->mono_ms(a->clock_user);
	struct dedupe_slot *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < SB_ALERTS_DEDUPE_SLOTS; i++) {
		struct dedupe_slot *s = &a->dedupe[i];
		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (strcmp(s->key, key) == 0) {
			if (now - s->at_ms < a->dedupe_window_ms)
				return true;
			s->at_ms = now;
			return false;
		}
		if (!oldest || s->at_ms < oldest->at_ms)
			oldest = s;
	}
	struct dedupe_slot *s = free_slot ? free_slot : oldest;
	snprintf(s->key, sizeof s->key, "%s", key);
	s->at_ms = now;
	s->used = true;
	return false;
}

sb_err sb_alerts_send(struct sb_alerts *a, const struct sb_alert *al)
{
	if (!a || !al || !al->message || (unsigned)al->kind >= SB_ALERT__COUNT ||
	    (unsigned)al->severity > SB_ALERT_CRITICAL)
		return SB_ERR_INVALID;
	if (a->closing)
		return SB_ERR_SHUTDOWN;
	const char *key = al->key && al->key[0] ? al->key : sb_alert_kind_name(al->kind);
	if (strlen(key) > SB_ALERTS_KEY_MAX)
		return SB_ERR_TOO_LONG;
	const char *kind = sb_alert_kind_name(al->kind);
	if (is_duplicate(a, key)) {
		a->stats.suppressed++;
		sb_log_debug("alerts", SB_FIELDS(SB_F_STR("key", key)), "alert %s suppressed as a duplicate",
		             kind);
		return SB_OK;
	}
	char message[SB_ALERTS_MESSAGE_MAX + 4];
	clip_message(al->message, message, sizeof message);
	enum sb_log_level level = al->severity == SB_ALERT_CRITICAL  ? SB_LOG_ERROR
	                          : al->severity == SB_ALERT_WARNING ? SB_LOG_WARN
	                                                             : SB_LOG_INFO;
	SB_LOG(level, "alerts",
	       SB_FIELDS(SB_F_STR("kind", kind), SB_F_STR("severity", sb_alert_severity_name(al->severity)),
	                 SB_F_STR("key", key), SB_F_STR("symbol", al->symbol)),
	       "alert: %s", message);
	if (!a->http)
		return SB_OK;
	struct pending *old = a->nwaiting >= a->queue_max ? pop_front(a) : NULL;
	if (old) {
		a->stats.dropped++;
		sb_log_warn("alerts", SB_FIELDS(SB_F_UINT("queue_max", a->queue_max)),
		            "alert queue full: dropped the oldest (%s)", sb_alert_kind_name(old->kind));
		pending_free(old);
	}
	struct pending *p = sb_xcalloc(1, sizeof *p);
	p->body = build_payload(a, al, key, message);
	p->kind = al->kind;
	if (a->tail)
		a->tail->next = p;
	else
		a->head = p;
	a->tail = p;
	a->nwaiting++;
	a->stats.accepted++;
	pump(a);
	return SB_OK;
}

static void set_defaults(struct sb_alerts *a, const struct sb_alerts_opts *o)
{
	a->format = o->format;
	a->rate_max = o->rate_max ? o->rate_max : SB_ALERTS_RATE_DEFAULT;
	a->rate_window_ms = o->rate_window_ms ? o->rate_window_ms : SB_ALERTS_WINDOW_DEFAULT;
	a->dedupe_window_ms = o->dedupe_window_ms ? o->dedupe_window_ms : SB_ALERTS_DEDUPE_DEFAULT;
	a->queue_max = o->queue_max ? o->queue_max : SB_ALERTS_QUEUE_DEFAULT;
	a->max_attempts = o->max_attempts ? o->max_attempts : SB_ALERTS_ATTEMPTS_DEFAULT;
	a->backoff_ms = o->backoff_ms ? o->backoff_ms : SB_ALERTS_BACKOFF_DEFAULT;
	a->backoff_max_ms = o->backoff_max_ms ? o->backoff_max_ms : SB_ALERTS_BACKOFF_MAX_DEFAULT;
	if (a->backoff_max_ms < a->backoff_ms)
		a->backoff_max_ms = a->backoff_ms;
	a->timeout_ms = o->timeout_ms ? o->timeout_ms : SB_ALERTS_TIMEOUT_DEFAULT;
	a->wall_ms = o->wall_ms ? o->wall_ms : default_wall_ms;
	a->mono_ms = o->mono_ms ? o->mono_ms : default_mono_ms;
	a->clock_user = o->clock_user;
	a->credit = (uint64_t)a->rate_max * a->rate_window_ms; /* a full bucket at start */
	a->credit_at_ms = a->mono_ms(a->clock_user);
}

static void on_close(uv_handle_t *h)
{
	struct sb_alerts *a = h->data;
	if (--a->open_handles == 0) {
		free(a->url);
		free(a->chat_id);
		free(a);
	}
}

sb_err sb_alerts_new(uv_loop_t *loop, const struct sb_alerts_opts *opts, struct sb_alerts **out)
{
	if (!loop || !opts || !out)
		return SB_ERR_INVALID;
	if ((unsigned)opts->format > SB_CONFIG_ALERT_TELEGRAM)
		return SB_ERR_INVALID;
	bool enabled = opts->url && opts->url[0];
	if (enabled && strlen(opts->url) > SB_ALERTS_URL_MAX)
		return SB_ERR_TOO_LONG;
	struct sb_alerts *a = sb_xcalloc(1, sizeof *a);
	a->loop = loop;
	set_defaults(a, opts);
	sb_err e = SB_OK;
	if (enabled) {
		e = parse_url(a, opts->url);
		if (e == SB_OK && a->format == SB_CONFIG_ALERT_TELEGRAM)
			e = split_chat_id(a, opts->url);
		else if (e == SB_OK)
			a->url = sb_xstrdup(opts->url);
		if (e == SB_OK) {
			struct sb_http_opts ho = {
			    .ca_file = opts->ca_file, .timeout_ms = a->timeout_ms, .max_in_flight = 1};
			e = sb_http_new(loop, &ho, &a->http);
		}
		if (e != SB_OK) {
			free(a->url);
			free(a->chat_id);
			free(a);
			return e;
		}
	}
	uv_timer_init(loop, &a->timer);
	uv_timer_init(loop, &a->drain_timer);
	a->timer.data = a;
	a->drain_timer.data = a;
	a->open_handles = 2;
	sb_log_info("alerts", SB_FIELDS(SB_F_STR("host", enabled ? a->host : "")), "alerts %s",
	            enabled ? "go to a webhook" : "are logged only: no webhook configured");
	*out = a;
	return SB_OK;
}

void sb_alerts_drain(struct sb_alerts *a, uint32_t timeout_ms, void (*done)(void *user), void *user)
{
	if (!a || a->closing || !done)
		return;
	a->drain_done = done;
	a->drain_user = user;
	uv_update_time(a->loop);
	uv_timer_start(&a->drain_timer, on_drain_timer, timeout_ms, 0);
	check_drain(a);
}

void sb_alerts_stats(const struct sb_alerts *a, struct sb_alerts_stats *out)
{
	if (!a || !out)
		return;
	*out = a->stats;
	out->queued = a->nwaiting + (a->inflight ? 1u : 0u);
}

void sb_alerts_free(struct sb_alerts *a)
{
	if (!a || a->closing)
		return;
	a->closing = true;
	a->drain_done = NULL;
	while (a->head) {
		a->stats.dropped++;
		pending_free(pop_front(a));
	}
	sb_http_free(a->http); /* its callback for the request in flight sees closing and leaves it to us */
	a->http = NULL;
	if (a->inflight) {
		a->stats.dropped++;
		pending_free(a->inflight);
		a->inflight = NULL;
	}
	uv_close((uv_handle_t *)&a->timer, on_close);
	uv_close((uv_handle_t *)&a->drain_timer, on_close);
}

static uint64_t stat_sent(void *user)
{
	return ((const struct sb_alerts *)user)->stats.sent;
}

static uint64_t stat_failed(void *user)
{
	return ((const struct sb_alerts *)user)->stats.failed;
}

static uint64_t stat_retried(void *user)
{
	return ((const struct sb_alerts *)user)->stats.retried;
}

static uint64_t stat_suppressed(void *user)
{
	return ((const struct sb_alerts *)user)->stats.suppressed;
}

static uint64_t stat_dropped(void *user)
{
	return ((const struct sb_alerts *)user)->stats.dropped;
}

sb_err sb_alerts_register_metrics(struct sb_alerts *a, struct sb_metrics *m)
{
	static const struct {
		const char *result;      /* label value */
		sb_metric_counter_fn fn; /* reads the matching stat */
	} rows[] = {{"sent", stat_sent},
	            {"failed", stat_failed},
	            {"retried", stat_retried},
	            {"suppressed", stat_suppressed},
	            {"dropped", stat_dropped}};
	if (!a || !m)
		return SB_ERR_INVALID;
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct sb_metric_label l = {"result", rows[i].result};
		SB_TRY(sb_metrics_counter_fn(m, SB_METRIC_ALERTS, sb_metric_help(SB_METRIC_ALERTS), &l, 1,
		                             rows[i].fn, a));
	}
	return SB_OK;
}

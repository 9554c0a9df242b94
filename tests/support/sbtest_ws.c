/*
 * sbtest_ws.c - WebSocket clients that record what they receive, for tests (see sbtest_ws.h).
 */
#include "sbtest_ws.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest_sim.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/sign.h"

void sbt_ws_init(struct sbt_ws *h, int port)
{
	memset(h, 0, sizeof *h);
	h->port = port;
	cr_assert_eq(uv_loop_init(&h->loop), 0);
	cr_assert_eq(sb_ws_ctx_new(&h->loop, &h->ctx), SB_OK);
}

void sbt_ws_fini(struct sbt_ws *h)
{
	for (size_t i = 0; i < SBT_WS_CLIENTS; i++) {
		struct sbt_wsc *c = &h->clients[i];
		sb_ws_free(c->ws);
		for (size_t j = 0; j < c->n; j++)
			free(c->msg[j]);
		free(c->msg);
	}
	sb_ws_ctx_free(h->ctx);
	cr_assert_eq(uv_loop_close(&h->loop), 0, "a uv handle was left open");
}

static void cb_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)ws;
	(void)conn;
	(void)rollover;
	struct sbt_wsc *c = user;
	c->opens++;
}

static void cb_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)ws;
	(void)conn;
	struct sbt_wsc *c = user;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->msg = sb_xrealloc(c->msg, c->cap * sizeof *c->msg);
	}
	c->msg[c->n++] = sb_xstrndup(data, len);
}

static void cb_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)ws;
	struct sbt_wsc *c = user;
	c->close = *info;
	snprintf(c->close_text, sizeof c->close_text, "%s", info->text);
	c->close.text = c->close_text;
	c->closes++;
}

static const struct sb_ws_ops OPS = {cb_open, cb_message, cb_close};

struct sbt_wsc *sbt_ws_open(struct sbt_ws *h, size_t i, const struct sb_ws_opts *o)
{
	cr_assert_lt(i, SBT_WS_CLIENTS);
	struct sbt_wsc *c = &h->clients[i];
	cr_assert_null(c->ws, "client %zu is in use", i);
	cr_assert_eq(sb_ws_new(h->ctx, o, &OPS, c, &c->ws), SB_OK);
	return c;
}

struct sbt_wsc *sbt_ws_connect(struct sbt_ws *h, size_t i, const char *path)
{
	char url[512];
	snprintf(url, sizeof url, "ws://127.0.0.1:%d%s", h->port, path);
	struct sb_ws_opts o = {.url = url, .no_reconnect = true};
	struct sbt_wsc *c = sbt_ws_open(h, i, &o);
	SBT_RUN_UNTIL(&h->loop, c->opens == 1 || c->closes, SBT_WS_DEADLINE_MS);
	cr_assert_eq(c->opens, 1, "%s did not open: %s", path, c->close_text);
	return c;
}

void sbt_ws_send(struct sbt_wsc *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	cr_assert(n > 0 && (size_t)n < sizeof buf);
	cr_assert_eq(sb_ws_send(c->ws, buf, (size_t)n), SB_OK);
}

long sbt_ws_find(const struct sbt_wsc *c, size_t from, const char *const *needles)
{
	for (size_t i = from; i < c->n; i++) {
		bool all = true;
		for (size_t k = 0; needles[k] && all; k++)
			all = strstr(c->msg[i], needles[k]) != NULL;
		if (all)
			return (long)i;
	}
	return -1;
}

/* HMAC-SHA256 hex of payload with secret. */
static void sign(const char *secret, const char *payload, char *out, size_t cap)
{
	struct sb_signer *s = NULL;
	size_t len = 0;
	cr_assert_eq(sb_signer_new_hmac(secret, strlen(secret), &s), SB_OK);
	cr_assert_eq(sb_signer_sign(s, payload, strlen(payload), out, cap, &len), SB_OK);
	sb_signer_free(s);
	out[len] = '\0';
}

void sbt_ws_api_signed(struct sbt_wsc *c, const char *secret, int id, const char *method, const char *sorted)
{
	char sig[SB_SIGN_MAX + 1], params[2048];
	size_t used = 0;
	sign(secret, sorted, sig, sizeof sig);
	char copy[1024];
	snprintf(copy, sizeof copy, "%s", sorted);
	char *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		cr_assert_not_null(eq);
		*eq = '\0';
		bool is_num = strcmp(kv, "timestamp") == 0;
		int n = snprintf(params + used, sizeof params - used,
		                 is_num ? "\"%s\":%s," : "\"%s\":\"%s\",", kv, eq + 1);
		cr_assert(n > 0 && (size_t)n < sizeof params - used);
		used += (size_t)n;
	}
	sbt_ws_send(c, "{\"id\":%d,\"method\":\"%s\",\"params\":{%s\"signature\":\"%s\"}}", id, method,
	            params, sig);
}

int sbt_ws_subscribe_user_data(struct sbt_ws *h, struct sbt_wsc *c, const char *key, const char *secret,
                               int id)
{
	char payload[256], idtag[32];
	snprintf(payload, sizeof payload, "apiKey=%s&timestamp=%lld", key, (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c, secret, id, "userDataStream.subscribe.signature", payload);
	snprintf(idtag, sizeof idtag, "\"id\":%d,", id);
	size_t at = SBT_WS_WAIT(h, c, 0, idtag);
	cJSON *j = sbt_jparse(c->msg[at]);
	cr_assert_eq((int)sbt_jnum(j, "status"), 200, "%s", c->msg[at]);
	int sub = (int)sbt_jnum(sbt_jfield(j, "result"), "subscriptionId");
	cJSON_Delete(j);
	return sub;
}

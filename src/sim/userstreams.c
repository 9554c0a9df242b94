/*
 * userstreams.c - spotsim's private WebSocket side (see userstreams.h): the module's lifetime, its clock
 * and its connections. A connection opened on /ws-api/v3 carries WebSocket API requests
 * (userstreams_wsapi.c); one opened on /ws/<listenKey> only receives its key's events
 * (userstreams_listenkey.c, userstreams_deliver.c). Subscriptions live on the connection
 * (userstreams_session.c). userstreams_int.h says which file holds what.
 */
#include "sim/userstreams.h"

#include <stdlib.h>
#include <string.h>

#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

void sim_userstreams_set_clock(struct sim_userstreams *us, int64_t (*now)(void *ctx), void *ctx)
{
	us->now = now;
	us->now_ctx = ctx;
}

/* ---- connections ------------------------------------------------------------------------------- */

static struct us_conn *conn_add(struct sim_userstreams *us, struct sim_ws_conn *conn, enum us_kind kind)
{
	struct us_conn *uc = sb_xcalloc(1, sizeof *uc);
	uc->conn = conn;
	uc->kind = kind;
	uc->rate_limits = true;
	uc->connected_ms = sim_us_now(us);
	uc->next = us->conns;
	if (us->conns)
		us->conns->prev = uc;
	us->conns = uc;
	sim_ws_set_user(conn, uc);
	return uc;
}

static void conn_remove(struct sim_userstreams *us, struct us_conn *uc)
{
	if (uc->prev)
		uc->prev->next = uc->next;
	else
		us->conns = uc->next;
	if (uc->next)
		uc->next->prev = uc->prev;
	free(uc->subs);
	free(uc);
}

bool sim_userstreams_open(struct sim_userstreams *us, struct sim_ws_conn *conn, const char *path)
{
	if (!us || !conn || !path)
		return false;
	size_t plen = strcspn(path, "?");
	const char *query = path[plen] == '?' ? path + plen + 1 : "";
	if ((plen == 10 && memcmp(path, "/ws-api/v3", 10) == 0) ||
	    (plen == 11 && memcmp(path, "/ws-api/v3/", 11) == 0)) {
		struct us_conn *uc = conn_add(us, conn, US_WSAPI);
		for (const char *q = query; *q;) {
			size_t n = strcspn(q, "&");
			if (n >= 17 && memcmp(q, "returnRateLimits=", 17) == 0)
				uc->rate_limits = sim_us_rate_limits_value(q + 17, n - 17, true);
			q += n;
			if (*q == '&')
				q++;
		}
		struct sim_api_reply r = {0};
		if (us->ex->faults.wsapi_down)
			sim_ws_close(conn, US_CLOSE_AWAY, "WebSocket API unavailable (fault)");
		else if (!sim_api_charge(us->ex, US_WEIGHT_CONNECT, uc->connected_ms, &r))
			sim_ws_close(conn, US_CLOSE_POLICY, "Too much request weight used");
		return true;
	}
	if (plen > 4 && memcmp(path, "/ws/", 4) == 0 && sim_us_looks_like_listen_key(path + 4, plen - 4)) {
		struct us_listenkey *k = sim_us_find_key(us, path + 4, plen - 4);
		if (!k) {
			sim_ws_set_user(conn, NULL);
			sim_ws_close(conn, US_CLOSE_POLICY, "Invalid listenKey");
			return true;
		}
		struct us_conn *uc = conn_add(us, conn, US_LISTENKEY);
		memcpy(uc->listen_key, k->key, sizeof uc->listen_key);
		uc->lk_account = k->account;
		return true;
	}
	return false;
}

void sim_userstreams_message(struct sim_userstreams *us, struct sim_ws_conn *conn, const char *data,
                             size_t len)
{
	if (!us || !conn)
		return;
	struct us_conn *uc = sim_ws_user(conn);
	if (!uc || uc->kind != US_WSAPI)
		return; /* listenKey streams ignore what clients send */
	sim_us_wsapi_message(us, uc, data, len);
}

void sim_userstreams_close(struct sim_userstreams *us, struct sim_ws_conn *conn)
{
	if (!us || !conn)
		return;
	struct us_conn *uc = sim_ws_user(conn);
	if (!uc)
		return;
	sim_ws_set_user(conn, NULL);
	conn_remove(us, uc);
}

void sim_userstreams_expire_all(struct sim_userstreams *us)
{
	if (!us)
		return;
	int64_t now = sim_us_now(us);
	for (struct us_conn *uc = us->conns; uc; uc = uc->next)
		while (uc->kind == US_WSAPI && uc->n_subs)
			sim_us_end_sub(us, uc, 0);
	while (us->n_keys)
		sim_us_expire_key(us, us->n_keys - 1, now);
}

/* ---- lifetime ---------------------------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	sim_userstreams_check_expiry(t->data);
}

sb_err sim_userstreams_new(struct sim_exchange *ex, struct sim_userstreams **out)
{
	if (!ex || !out)
		return SB_ERR_INVALID;
	struct sim_userstreams *us = sb_xcalloc(1, sizeof *us);
	us->ex = ex;
	sim_rng_seed(&us->rng, uv_hrtime());
	if (ex->loop) {
		if (uv_timer_init(ex->loop, &us->timer) != 0) {
			free(us);
			return SB_ERR_IO;
		}
		us->timer.data = us;
		uv_timer_start(&us->timer, on_timer, 1000, 1000);
		us->timer_running = true;
		if (uv_timer_init(ex->loop, &us->delay_timer) != 0)
			abort();
		us->delay_timer.data = us;
	}
	*out = us;
	return SB_OK;
}

void sim_userstreams_stop(struct sim_userstreams *us)
{
	if (!us || !us->timer_running)
		return;
	uv_timer_stop(&us->timer);
	uv_close((uv_handle_t *)&us->timer, NULL);
	uv_timer_stop(&us->delay_timer);
	uv_close((uv_handle_t *)&us->delay_timer, NULL);
	us->timer_running = false;
}

void sim_userstreams_free(struct sim_userstreams *us)
{
	if (!us)
		return;
	/* Connections still listed are the server's to free; only this module's state goes. */
	while (us->conns)
		conn_remove(us, us->conns);
	sim_us_drop_held(us);
	free(us->keys);
	free(us);
}

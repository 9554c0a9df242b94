/*
 * api_userstream.c - the legacy listenKey endpoints (POST/PUT/DELETE /api/v3/userDataStream), kept
 * for clients written before Binance retired them: they only need the API key, and manage the
 * account's one listenKey in the user-stream module (sim/userstreams.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "sim/api_int.h"
#include "sim/userstreams.h"
#include "spotbot/alloc.h"

#define LISTENKEY_CAP 128 /* room for a listenKey parameter or result */

static bool ready(struct sim_api_call *c, struct sim_api_reply *r)
{
	if (!c->account) {
		sim_api_error(r, 401, -2014, "API-key format invalid.");
		return false;
	}
	if (!c->ex->userstreams) {
		sim_api_error(r, 500, -1000, "An unknown error occurred while processing the request.");
		return false;
	}
	return true;
}

/* The listenKey parameter, or NULL with the -1102 error written. */
static const char *listen_key_param(struct sim_api_call *c, struct sim_api_reply *r, char *buf, size_t cap)
{
	const char *key = sim_api_param(c, "listenKey", buf, cap);
	if (!key || !*key) {
		sim_api_error(r, 400, -1102,
		              "Mandatory parameter 'listenKey' was not sent, was empty/null, or malformed.");
		return NULL;
	}
	return key;
}

static void answer(struct sim_api_reply *r, sb_err err)
{
	if (err == SB_ERR_NOT_FOUND) {
		sim_api_error(r, 400, -1125, "This listenKey does not exist.");
		return;
	}
	if (err != SB_OK) {
		sim_api_error(r, 500, -1000, "An unknown error occurred while processing the request.");
		return;
	}
	r->status = 200;
	r->json = sb_xstrdup("{}");
}

void sim_api_listenkey_create(struct sim_api_call *c, struct sim_api_reply *r)
{
	if (!ready(c, r))
		return;
	char key[LISTENKEY_CAP];
	sb_err err =
	    sim_userstreams_listenkey_create(c->ex->userstreams, c->account->id, c->now_ms, key, sizeof key);
	if (err != SB_OK) {
		answer(r, err);
		return;
	}
	char json[LISTENKEY_CAP + 32];
	snprintf(json, sizeof json, "{\"listenKey\":\"%s\"}", key);
	r->status = 200;
	r->json = sb_xstrdup(json);
}

void sim_api_listenkey_keepalive(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[LISTENKEY_CAP];
	if (!ready(c, r))
		return;
	const char *key = listen_key_param(c, r, buf, sizeof buf);
	if (key)
		answer(r, sim_userstreams_listenkey_keepalive(c->ex->userstreams, c->account->id, key,
		                                              c->now_ms));
}

void sim_api_listenkey_close(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[LISTENKEY_CAP];
	if (!ready(c, r))
		return;
	const char *key = listen_key_param(c, r, buf, sizeof buf);
	if (key)
		answer(r, sim_userstreams_listenkey_close(c->ex->userstreams, c->account->id, key));
}

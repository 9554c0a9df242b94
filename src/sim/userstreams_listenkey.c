/*
 * userstreams_listenkey.c - the legacy listenKeys: one per account, 64 letters and digits, valid 60
 * minutes from creation or the last keepalive. A key that expires or is closed ends its streams at
 * /ws/<listenKey> (listenKeyExpired first when it expired); a one-second timer checks expiry.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/userstreams_int.h"
#include "spotbot/alloc.h"

#define US_LISTENKEY_VALID_MS 3600000 /* 60 minutes */

struct us_listenkey *sim_us_find_key(struct sim_userstreams *us, const char *key, size_t len)
{
	for (size_t i = 0; i < us->n_keys; i++)
		if (strlen(us->keys[i].key) == len && memcmp(us->keys[i].key, key, len) == 0)
			return &us->keys[i];
	return NULL;
}

/* A listenKey is 64 letters and digits; market-stream names always hold an '@'. */
bool sim_us_looks_like_listen_key(const char *s, size_t len)
{
	if (len < 16 || len > US_LISTENKEY_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return false;
	}
	return true;
}

static struct us_listenkey *key_of_account(struct sim_userstreams *us, uint32_t account)
{
	for (size_t i = 0; i < us->n_keys; i++)
		if (us->keys[i].account == account)
			return &us->keys[i];
	return NULL;
}

sb_err sim_userstreams_listenkey_create(struct sim_userstreams *us, uint32_t account, int64_t now_ms,
                                        char *key, size_t cap)
{
	if (!us || !key || cap <= US_LISTENKEY_LEN)
		return SB_ERR_INVALID;
	struct us_listenkey *k = key_of_account(us, account);
	if (!k) {
		static const char alphabet[] =
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		if (us->n_keys == us->cap_keys) {
			us->cap_keys = us->cap_keys ? us->cap_keys * 2 : 8;
			us->keys = sb_xrealloc(us->keys, us->cap_keys * sizeof us->keys[0]);
		}
		k = &us->keys[us->n_keys++];
		k->account = account;
		for (size_t i = 0; i < US_LISTENKEY_LEN; i++)
			k->key[i] = alphabet[sim_rng_below(&us->rng, sizeof alphabet - 1)];
		k->key[US_LISTENKEY_LEN] = '\0';
	}
	k->expires_ms = now_ms + US_LISTENKEY_VALID_MS;
	memcpy(key, k->key, US_LISTENKEY_LEN + 1);
	return SB_OK;
}

sb_err sim_userstreams_listenkey_keepalive(struct sim_userstreams *us, uint32_t account, const char *key,
                                           int64_t now_ms)
{
	if (!us || !key)
		return SB_ERR_INVALID;
	struct us_listenkey *k = sim_us_find_key(us, key, strlen(key));
	if (!k || k->account != account)
		return SB_ERR_NOT_FOUND;
	k->expires_ms = now_ms + US_LISTENKEY_VALID_MS;
	return SB_OK;
}

sb_err sim_userstreams_listenkey_close(struct sim_userstreams *us, uint32_t account, const char *key)
{
	if (!us || !key)
		return SB_ERR_INVALID;
	struct us_listenkey *k = sim_us_find_key(us, key, strlen(key));
	if (!k || k->account != account)
		return SB_ERR_NOT_FOUND;
	for (struct us_conn *uc = us->conns; uc; uc = uc->next) {
		if (uc->kind != US_LISTENKEY || strcmp(uc->listen_key, k->key) != 0)
			continue;
		sim_ws_close(uc->conn, US_CLOSE_NORMAL, "listenKey closed");
		uc->lk_account = SIM_LEDGER_MARKET;
		uc->listen_key[0] = '\0';
	}
	*k = us->keys[--us->n_keys];
	return SB_OK;
}

/* ---- expiry ------------------------------------------------------------------------------------ */

/* Sends listenKeyExpired to the streams of key i, closes them and forgets the key. */
void sim_us_expire_key(struct sim_userstreams *us, size_t i, int64_t now)
{
	struct us_listenkey *k = &us->keys[i];
	char buf[160];
	int n = snprintf(buf, sizeof buf,
	                 "{\"e\":\"listenKeyExpired\",\"E\":%" PRId64 ",\"listenKey\":\"%s\"}", now, k->key);
	for (struct us_conn *uc = us->conns; uc; uc = uc->next) {
		if (uc->kind != US_LISTENKEY || strcmp(uc->listen_key, k->key) != 0)
			continue;
		if (n > 0 && (size_t)n < sizeof buf)
			sim_ws_send(uc->conn, buf, (size_t)n);
		sim_ws_close(uc->conn, US_CLOSE_NORMAL, "listenKey expired");
		uc->lk_account = SIM_LEDGER_MARKET; /* receives nothing more while it closes */
		uc->listen_key[0] = '\0';
	}
	us->keys[i] = us->keys[--us->n_keys];
}

void sim_userstreams_check_expiry(struct sim_userstreams *us)
{
	if (!us)
		return;
	int64_t now = sim_us_now(us);
	for (size_t i = us->n_keys; i-- > 0;)
		if (us->keys[i].expires_ms <= now)
			sim_us_expire_key(us, i, now);
}

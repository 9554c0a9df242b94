/*
 * fees.c - the pairs' commission rates kept across restarts. Reading them costs weight 20 a pair
 * (`GET /api/v3/account/commission`, 1,000 at 50 pairs: most of what a start-up spends, and what a crash
 * loop under a service manager spends again at every start), and they change rarely (a fee tier, the BNB
 * discount switched): a start-up within BOT_FEES_KEEP_MS of a pair's last reading uses that reading and
 * asks the exchange again only after it. The rates read at a start are written one pair a second by the
 * tick, after the start-up: a cold start does not wait for fifty commits.
 *
 * Each reading is kept in system_state under "fees:<SYMBOL>" as "<read at, ms> <sell fee, sb_dec scaled>
 * <BNB discount, 0 or 1>". A value that does not parse is ignored (the rates are asked for).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bot/bot_int.h"
#include "common/parse.h"
#include "spotbot/log.h"

/* The system_state key of pr's rates into key; false when it does not fit. */
static bool fees_key(const struct bot_pair *pr, char *key, size_t cap)
{
	int n = snprintf(key, cap, "fees:%s", pr->cfg.symbol);
	return n > 0 && (size_t)n < cap;
}

/* The next space-separated integer of *s within [min, max]; advances *s past it. */
static bool next_i64(const char **s, int64_t min, int64_t max, int64_t *out)
{
	const char *p = *s;
	size_t n = strcspn(p, " ");
	if (!sb_parse_i64(p, n, min, max, out))
		return false;
	*s = p[n] ? p + n + 1 : p + n;
	return true;
}

bool bot_fees_reuse(struct sb_bot *b, struct bot_pair *pr, int64_t now_ms)
{
	char key[SB_STORE_KEY_MAX], v[SB_STORE_VALUE_MAX];
	if (!b->st || !fees_key(pr, key, sizeof key) || sb_store_state_get(b->st, key, v, sizeof v) != SB_OK)
		return false;
	const char *p = v;
	int64_t at = 0, fee = 0, bnb = 0;
	if (!next_i64(&p, 0, INT64_MAX, &at) || !next_i64(&p, 0, INT64_MAX, &fee) ||
	    !next_i64(&p, 0, 1, &bnb) || *p || sb_profit_check_fee((sb_dec)fee) != SB_OK)
		return false;
	if (at > now_ms || now_ms - at >= BOT_FEES_KEEP_MS)
		return false;
	pr->sell_fee = (sb_dec)fee;
	pr->bnb_discount = bnb != 0;
	sb_log_info("bot",
	            SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_DEC("sell_fee", pr->sell_fee),
	                      SB_F_INT("age_ms", now_ms - at)),
	            "commission rates of %s as read %" PRId64 " s ago", pr->cfg.symbol, (now_ms - at) / 1000);
	return true;
}

static void keep(struct sb_bot *b, const struct bot_pair *pr, int64_t now_ms)
{
	char key[SB_STORE_KEY_MAX], v[SB_STORE_VALUE_MAX];
	if (!b->st || !fees_key(pr, key, sizeof key))
		return;
	snprintf(v, sizeof v, "%" PRId64 " %" PRId64 " %d", now_ms, (int64_t)pr->sell_fee,
	         pr->bnb_discount ? 1 : 0);
	sb_err err = sb_store_state_set(b->st, key, v, now_ms, NULL);
	/* Not kept: the next start asks again; nothing else depends on it. */
	if (err != SB_OK)
		sb_log_warn("bot", SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_ERR(err)),
		            "commission rates of %s not kept: %s", pr->cfg.symbol, sb_strerror(err));
}

void bot_fees_tick(struct sb_bot *b, int64_t now_ms)
{
	if (b->degraded)
		return;
	for (size_t i = 0; i < b->npairs; i++) {
		struct bot_pair *pr = &b->pairs[i];
		if (!pr->fees_unkept)
			continue;
		pr->fees_unkept = false;
		keep(b, pr, now_ms);
		return;
	}
}

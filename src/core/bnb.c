/*
 * bnb.c - the BNB price per quote asset (see bnb.h): which BNB<QUOTE> book ticker is due, what its
 * answer makes of the price, and how long a failure or a missing market holds the next attempt back.
 */
#include "spotbot/bnb.h"

#include <stdio.h>
#include <string.h>

#define BNB "BNB"

void sb_bnb_init(struct sb_bnb_table *t)
{
	if (t)
		memset(t, 0, sizeof *t);
}

/* The index of asset's entry, or t->n (also for a NULL table: then 0) when it has none. */
static size_t index_of(const struct sb_bnb_table *t, const char *asset)
{
	if (!t || !asset)
		return 0;
	size_t i = 0;
	while (i < t->n && strcmp(t->q[i].asset, asset) != 0)
		i++;
	return i;
}

static struct sb_bnb_quote *find(struct sb_bnb_table *t, const char *asset)
{
	size_t i = index_of(t, asset);
	return t && i < t->n ? &t->q[i] : NULL;
}

static const struct sb_bnb_quote *find_const(const struct sb_bnb_table *t, const char *asset)
{
	size_t i = index_of(t, asset);
	return t && i < t->n ? &t->q[i] : NULL;
}

static bool listed(const char *const *assets, size_t n, const char *asset)
{
	for (size_t i = 0; i < n; i++)
		if (assets[i] && strcmp(assets[i], asset) == 0)
			return true;
	return false;
}

sb_err sb_bnb_track(struct sb_bnb_table *t, const char *const *assets, size_t n)
{
	if (!t || (n && !assets))
		return SB_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		if (assets[i] && strlen(assets[i]) >= SB_ASSET_MAX)
			return SB_ERR_INVALID;
	/* Drop what is no longer listed, keeping the order of the rest. */
	size_t kept = 0;
	for (size_t i = 0; i < t->n; i++)
		if (listed(assets, n, t->q[i].asset))
			t->q[kept++] = t->q[i];
	for (size_t i = kept; i < t->n; i++)
		memset(&t->q[i], 0, sizeof t->q[i]);
	t->n = kept;
	sb_err e = SB_OK;
	for (size_t i = 0; i < n; i++) {
		const char *a = assets[i];
		if (!a || !*a || strcmp(a, BNB) == 0 || find(t, a))
			continue;
		if (t->n == SB_BNB_QUOTES_MAX) {
			e = SB_ERR_TOO_LONG;
			continue;
		}
		struct sb_bnb_quote *q = &t->q[t->n++];
		memset(q, 0, sizeof *q);
		memcpy(q->asset, a, strlen(a) + 1);
	}
	return e;
}

sb_dec sb_bnb_price(const struct sb_bnb_table *t, const char *quote_asset)
{
	if (!quote_asset)
		return 0;
	if (strcmp(quote_asset, BNB) == 0)
		return SB_DEC_ONE;
	const struct sb_bnb_quote *q = find_const(t, quote_asset);
	return q ? q->price : 0;
}

bool sb_bnb_awaited(const struct sb_bnb_table *t, const char *quote_asset)
{
	const struct sb_bnb_quote *q = find_const(t, quote_asset);
	return q && !q->answered;
}

const struct sb_bnb_quote *sb_bnb_next_due(struct sb_bnb_table *t, int64_t now_ms)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		struct sb_bnb_quote *q = &t->q[i];
		if (!q->inflight && now_ms >= q->next_ms) {
			q->inflight = true;
			return q;
		}
	}
	return NULL;
}

int64_t sb_bnb_due_at(const struct sb_bnb_table *t)
{
	int64_t due = INT64_MAX;
	for (size_t i = 0; t && i < t->n; i++)
		if (!t->q[i].inflight && t->q[i].next_ms < due)
			due = t->q[i].next_ms;
	return due;
}

sb_err sb_bnb_symbol(const char *quote_asset, char *buf, size_t cap)
{
	if (!quote_asset || !buf || cap == 0)
		return SB_ERR_INVALID;
	int n = snprintf(buf, cap, BNB "%s", quote_asset);
	if (n < 0 || (size_t)n >= cap) {
		buf[0] = '\0';
		return SB_ERR_TOO_LONG;
	}
	return SB_OK;
}

sb_err sb_bnb_answer(struct sb_bnb_table *t, const char *quote_asset, sb_dec bid, sb_dec ask, int64_t now_ms,
                     bool *recovered)
{
	if (recovered)
		*recovered = false;
	struct sb_bnb_quote *q = find(t, quote_asset);
	if (!q)
		return SB_ERR_NOT_FOUND;
	sb_dec mid = 0;
	/* Halving each side first keeps the sum in range; it loses at most one unit of the last place. */
	if (bid <= 0 || ask < bid || sb_dec_add(bid / 2, ask / 2, &mid) != SB_OK || mid <= 0) {
		sb_bnb_failed(t, quote_asset, false, now_ms);
		return SB_ERR_INVALID;
	}
	if (recovered)
		*recovered = q->missing;
	q->price = mid;
	q->at_ms = now_ms;
	q->next_ms = now_ms + SB_BNB_REFRESH_MS;
	q->inflight = false;
	q->answered = true;
	q->missing = false;
	return SB_OK;
}

void sb_bnb_unpriced(struct sb_bnb_table *t, const char *quote_asset, int64_t now_ms)
{
	struct sb_bnb_quote *q = find(t, quote_asset);
	if (!q)
		return;
	q->inflight = false;
	q->missing = false;
	q->next_ms = now_ms + (q->price > 0 ? SB_BNB_REFRESH_MS : SB_BNB_RETRY_MS);
}

bool sb_bnb_failed(struct sb_bnb_table *t, const char *quote_asset, bool missing, int64_t now_ms)
{
	struct sb_bnb_quote *q = find(t, quote_asset);
	if (!q)
		return false;
	bool news = missing && !q->missing;
	q->inflight = false;
	q->answered = true;
	/* A network failure says nothing about the market: a missing one stays missing (and is not news
	 * again on the next -1121). */
	if (missing)
		q->missing = true;
	if (missing)
		q->next_ms = now_ms + SB_BNB_MISSING_MS;
	else
		q->next_ms = now_ms + (q->price > 0 ? SB_BNB_REFRESH_MS : SB_BNB_RETRY_MS);
	return news;
}

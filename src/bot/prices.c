/*
 * prices.c - the price manager: best bid and ask per pair from the bookTicker stream, backed by REST
 * when the stream is stale or has just reconnected, each quote validated (sb_price_guard_offer: not
 * positive, crossed, stale, jump) before the strategy sees it. A refused quote is logged, counted and
 * recorded as an event once per run of refusals; no order is ever decided on it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

struct price_call {
	struct sb_bot *b;           /* the daemon */
	char symbol[SB_SYMBOL_MAX]; /* asked about */
	bool bnb;                   /* the BNB valuation price, not a pair's */
};

static void offer(struct sb_bot *b, struct bot_pair *pr, sb_dec bid, sb_dec ask, const char *source)
{
	int64_t now = sb_clock_wall_ms();
	struct sb_book_top q = {.bid = bid, .ask = ask, .time_ms = now};
	enum sb_price_verdict v = sb_price_guard_offer(&pr->guard, &b->limits, &q, now);
	if (v != SB_PRICE_OK) {
		pr->refused++;
		if (!pr->refusing || pr->refused % 100 == 0) {
			char ds[2][SB_DEC_STRLEN], detail[256];
			sb_dec_format_trim(bid, ds[0], sizeof ds[0]);
			sb_dec_format_trim(ask, ds[1], sizeof ds[1]);
			sb_log_warn("price",
			            SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol),
			                      SB_F_STR("verdict", sb_price_verdict_name(v)),
			                      SB_F_DEC("bid", bid), SB_F_DEC("ask", ask),
			                      SB_F_UINT("refused", pr->refused), SB_F_STR("source", source)),
			            "price refused (%s): bid %s ask %s", sb_price_verdict_name(v), ds[0],
			            ds[1]);
			if (!pr->refusing) {
				snprintf(
				    detail, sizeof detail,
				    "{\"verdict\":\"%s\",\"bid\":\"%s\",\"ask\":\"%s\",\"refused\":%" PRIu64
				    "}",
				    sb_price_verdict_name(v), ds[0], ds[1], pr->refused);
				bot_event(b, "price.refused", pr->cfg.symbol, 0, NULL, detail);
				bot_human(b, "%-8s price refused (%s): bid %s ask %s", pr->cfg.symbol,
				          sb_price_verdict_name(v), ds[0], ds[1]);
			}
		}
		pr->refusing = true;
		return;
	}
	pr->refusing = false;
	pr->top = q;
	pr->top_ms = now;
	engine_decide(b, pr, now);
}

void prices_on_market(void *user, const struct sb_bn_market_event *ev)
{
	struct sb_bot *b = user;
	if (b->closed || ev->kind != SB_BN_MKT_BOOK_TICKER || !ev->book_ticker)
		return;
	struct bot_pair *pr = bot_pair_find(b, ev->book_ticker->symbol);
	if (pr)
		offer(b, pr, ev->book_ticker->bid_price, ev->book_ticker->ask_price, "stream");
}

static void on_ticker(void *user, const struct sb_bn_rest_result *res, struct sb_bn_book_tickers *t)
{
	struct price_call *c = user;
	struct sb_bot *b = c->b;
	b->inflight--;
	if (b->closed) {
		free(c);
		return;
	}
	struct bot_pair *pr = c->bnb ? NULL : bot_pair_find(b, c->symbol);
	if (pr)
		pr->rest_price_inflight = false;
	if (res->err != SB_OK || !t || t->n == 0) {
		if (!c->bnb)
			sb_log_warn("price", SB_FIELDS(SB_F_STR("symbol", c->symbol), SB_F_ERR(res->err)),
			            "REST price request failed");
		free(c);
		return;
	}
	if (c->bnb) {
		sb_dec mid;
		if (sb_dec_add(t->items[0].bid_price / 2, t->items[0].ask_price / 2, &mid) == SB_OK &&
		    mid > 0)
			b->bnb_price = mid;
	} else if (pr) {
		offer(b, pr, t->items[0].bid_price, t->items[0].ask_price, "rest");
	}
	free(c);
}

static void request(struct sb_bot *b, const char *symbol, bool bnb)
{
	if (!b->rest || b->closed)
		return;
	struct price_call *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->bnb = bnb;
	snprintf(c->symbol, sizeof c->symbol, "%s", symbol);
	if (sb_bn_rest_book_ticker(b->rest, c->symbol, on_ticker, c) != SB_OK) {
		free(c);
		return;
	}
	b->inflight++;
	struct bot_pair *pr = bnb ? NULL : bot_pair_find(b, symbol);
	if (pr)
		pr->rest_price_inflight = true;
}

void prices_on_snapshot(void *user, const char *const *symbols, size_t n, bool reconnect)
{
	struct sb_bot *b = user;
	(void)reconnect;
	for (size_t i = 0; i < n; i++) {
		struct bot_pair *pr = bot_pair_find(b, symbols[i]);
		if (pr && !pr->rest_price_inflight)
			request(b, pr->cfg.symbol, false);
	}
}

void prices_on_link(void *user, enum sb_bn_link state)
{
	struct sb_bot *b = user;
	(void)b;
	sb_log_info("price", SB_FIELDS(SB_F_STR("link", sb_bn_link_name(state))), "market stream %s",
	            sb_bn_link_name(state));
}

bool prices_fresh(const struct sb_bot *b, const struct bot_pair *pr, int64_t now_ms)
{
	return pr->top_ms > 0 && now_ms - pr->top_ms <= b->limits.max_age_ms;
}

void prices_tick(struct sb_bot *b, int64_t now_ms)
{
	for (size_t i = 0; i < b->npairs; i++) {
		struct bot_pair *pr = &b->pairs[i];
		if (pr->have_rules && !pr->rest_price_inflight && !prices_fresh(b, pr, now_ms))
			request(b, pr->cfg.symbol, false);
	}
	if (b->npairs && b->pairs[0].have_rules && now_ms - b->bnb_at_ms >= BOT_BNB_REFRESH_MS) {
		b->bnb_at_ms = now_ms;
		char sym[SB_SYMBOL_MAX];
		snprintf(sym, sizeof sym, "BNB%s", b->pairs[0].rules.quote_asset);
		request(b, sym, true);
	}
}

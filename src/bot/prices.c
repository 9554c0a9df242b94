/*
 * prices.c - the price manager: best bid and ask per pair from the bookTicker stream, backed by REST
 * when the stream is stale or has just reconnected, each quote validated (sb_price_guard_offer: not
 * positive, crossed, stale, jump) before the strategy sees it. A refused quote is logged, counted and
 * recorded as an event once per run of refusals; no order is ever decided on it. An empty book (Binance
 * reports 0 for a side without orders, as before a market's first trade) is no price yet rather than a
 * bad one: the pair waits for its market, and nothing is refused. An accepted quote only marks its pair:
 * the step after the dispatch (engine.c) decides, once however many quotes arrived.
 *
 * It also keeps the price of BNB in the quote assets whose commission may be paid in BNB (the sb_bnb
 * table), from the BNB<QUOTE> book ticker, so such commission is valued in the pair's own quote asset.
 * A quote asset needs it when the account has the BNB discount on one of its pairs (the commission
 * rates say so) or a position of one of them paid commission in BNB; no other BNB market is asked for.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bot/bot_int.h"
#include "bot/detail.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

struct price_call {
	struct sb_bot *b;           /* the daemon */
	struct bot_pair *pr;        /* the pair asked about (slots never move); NULL: BNB's price */
	char symbol[SB_SYMBOL_MAX]; /* asked about */
	char quote[SB_ASSET_MAX];   /* no pair: the quote asset it values BNB in */
};

/* Validates a quote; an accepted one marks the pair. True when accepted. */
static bool offer(struct sb_bot *b, struct bot_pair *pr, sb_dec bid, sb_dec ask, const char *source)
{
	int64_t now = bot_now_ms(b);
	if (bid == 0 && ask == 0) {
		sb_log_debug("price",
		             SB_FIELDS(SB_F_STR("symbol", pr->cfg.symbol), SB_F_STR("source", source)),
		             "%s has an empty book: no price yet", pr->cfg.symbol);
		return false;
	}
	struct sb_book_top q = {.bid = bid, .ask = ask, .time_ms = now};
	enum sb_price_verdict v = sb_price_guard_offer(&pr->guard, &b->limits, &q, now);
	if (v != SB_PRICE_OK) {
		pr->refused++;
		if (!pr->refusing || pr->refused % 100 == 0) {
			char ds[2][SB_DEC_STRLEN];
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
				struct sb_buf d;
				detail_init(&d);
				detail_str(&d, "verdict", sb_price_verdict_name(v));
				detail_str(&d, "bid", ds[0]);
				detail_str(&d, "ask", ds[1]);
				detail_i64(&d, "refused", (int64_t)pr->refused);
				bot_event(b, "price.refused", pr->cfg.symbol, 0, NULL, detail_end(&d));
				detail_fini(&d);
				bot_human(b, "%-8s price refused (%s): bid %s ask %s", pr->cfg.symbol,
				          sb_price_verdict_name(v), ds[0], ds[1]);
			}
		}
		pr->refusing = true;
		return false;
	}
	pr->refusing = false;
	pr->top = q;
	pr->top_ms = now;
	bot_pair_mark(b, pr);
	return true;
}

void prices_on_market(void *user, const struct sb_bn_market_event *ev)
{
	struct sb_bot *b = user;
	if (b->closed || ev->kind != SB_BN_MKT_BOOK_TICKER || !ev->book_ticker)
		return;
	struct bot_pair *pr = bot_pair_find(b, ev->book_ticker->symbol);
	/* The latency runs from the oldest quote the coming decision answers (engine.c observes it). */
	if (pr && offer(b, pr, ev->book_ticker->bid_price, ev->book_ticker->ask_price, "stream") &&
	    pr->quote_ns == 0)
		pr->quote_ns = ev->recv_ns;
}

/* The BNB<QUOTE> price failed; a missing market is logged and recorded once (a run of -1121 answers). */
static void bnb_failed(struct sb_bot *b, const struct price_call *c, const struct sb_bn_rest_result *res)
{
	bool missing = res->err == SB_ERR_EXCHANGE && res->api.code == -1121;
	if (!sb_bnb_failed(&b->bnb, c->quote, missing, bot_now_ms(b))) {
		if (!missing)
			sb_log_warn("price",
			            SB_FIELDS(SB_F_STR("symbol", c->symbol), SB_F_STR("quote", c->quote),
			                      BOT_F_REST(res)),
			            "BNB price request (%s) failed: %s", c->symbol, BOT_REST_WHY(res));
		return;
	}
	sb_log_warn("price", SB_FIELDS(SB_F_STR("symbol", c->symbol), SB_F_STR("quote", c->quote)),
	            "no %s market: commission paid in BNB on %s pairs cannot be valued, so their positions "
	            "that paid it get no sell price until one is known; asking again every %d minutes",
	            c->symbol, c->quote, SB_BNB_MISSING_MS / 60000);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "quote", c->quote);
	detail_i64(&d, "code", res->api.code);
	detail_i64(&d, "retry_ms", SB_BNB_MISSING_MS);
	bot_event(b, "bnb.unavailable", c->symbol, 0, NULL, detail_end(&d));
	detail_fini(&d);
	bot_human(b, "%-8s no such market: BNB commission on %s pairs cannot be valued", c->symbol, c->quote);
}

static void bnb_answer(struct sb_bot *b, const struct price_call *c, const struct sb_bn_book_tickers *t)
{
	bool recovered = false;
	if (t->items[0].bid_price == 0 && t->items[0].ask_price == 0) {
		/* An empty book: the market has no price yet, which a position paying BNB simply waits for.
		 */
		sb_bnb_unpriced(&b->bnb, c->quote, bot_now_ms(b));
		sb_log_debug("price", SB_FIELDS(SB_F_STR("symbol", c->symbol)), "%s has no price yet",
		             c->symbol);
		return;
	}
	sb_err e = sb_bnb_answer(&b->bnb, c->quote, t->items[0].bid_price, t->items[0].ask_price,
	                         bot_now_ms(b), &recovered);
	if (e == SB_ERR_INVALID)
		sb_log_warn("price", SB_FIELDS(SB_F_STR("symbol", c->symbol)),
		            "BNB price refused: bad quote");
	else if (e == SB_OK)
		sb_log_debug("price",
		             SB_FIELDS(SB_F_STR("symbol", c->symbol),
		                       SB_F_DEC("price", sb_bnb_price(&b->bnb, c->quote))),
		             "BNB price in %s", c->quote);
	if (recovered) {
		sb_log_info("price", SB_FIELDS(SB_F_STR("symbol", c->symbol)), "%s has a price again",
		            c->symbol);
		bot_event(b, "bnb.available", c->symbol, 0, NULL, NULL);
	}
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
	/* A pair removed meanwhile may have left its slot to another symbol. */
	struct bot_pair *pr =
	    c->pr && !c->pr->removed && strcmp(c->pr->cfg.symbol, c->symbol) == 0 ? c->pr : NULL;
	if (pr)
		pr->rest_price_inflight = false;
	bool ok = res->err == SB_OK && t && t->n > 0;
	if (!c->pr) {
		if (ok)
			bnb_answer(b, c, t);
		else
			bnb_failed(b, c, res);
	} else if (!ok) {
		sb_log_warn("price", SB_FIELDS(SB_F_STR("symbol", c->symbol), BOT_F_REST(res)),
		            "REST price request of %s failed: %s", c->symbol, BOT_REST_WHY(res));
	} else if (pr) {
		(void)offer(b, pr, t->items[0].bid_price, t->items[0].ask_price, "rest");
	}
	free(c);
}

/* Sends a bookTicker request: pr's price, or (pr NULL) the BNB price in quote of symbol. False when it
 * could not be sent. */
static bool request(struct sb_bot *b, struct bot_pair *pr, const char *symbol, const char *quote)
{
	if (!b->ex || b->closed)
		return false;
	struct price_call *c = sb_xcalloc(1, sizeof *c);
	c->b = b;
	c->pr = pr;
	snprintf(c->symbol, sizeof c->symbol, "%s", pr ? pr->cfg.symbol : symbol);
	if (quote)
		snprintf(c->quote, sizeof c->quote, "%s", quote);
	if (sb_exchange_book_ticker(b->ex, c->symbol, on_ticker, c) != SB_OK) {
		free(c);
		return false;
	}
	b->inflight++;
	if (pr)
		pr->rest_price_inflight = true;
	return true;
}

void prices_on_snapshot(void *user, const char *const *symbols, size_t n, bool reconnect)
{
	struct sb_bot *b = user;
	(void)reconnect;
	for (size_t i = 0; i < n; i++) {
		struct bot_pair *pr = bot_pair_find(b, symbols[i]);
		if (pr && !pr->rest_price_inflight)
			request(b, pr, NULL, NULL);
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

int64_t prices_stale_at(const struct sb_bot *b, const struct bot_pair *pr)
{
	return pr->top_ms > 0 ? pr->top_ms + b->limits.max_age_ms + 1 : 0;
}

/* True when pr's commission may be valued in BNB: the account has the discount on it, or one of its open
 * positions paid commission in BNB (the discount was switched on since its rates were read). */
static bool bnb_needed(const struct bot_pair *pr)
{
	if (!pr->have_rules)
		return false;
	if (pr->bnb_discount)
		return true;
	for (const struct bot_pos *bp = pr->positions; bp; bp = bp->next)
		if (bp->p.buy_fee.bnb > 0 || bp->p.sell_fee.bnb > 0)
			return true;
	return false;
}

/* Keeps the BNB table on the quote assets of the pairs that need a BNB price and sends the requests due. */
static void bnb_tick(struct sb_bot *b, int64_t now_ms)
{
	const char *quotes[SB_PAIRS_MAX];
	size_t n = 0;
	for (size_t i = 0; i < b->npairs && n < SB_PAIRS_MAX; i++)
		if (bnb_needed(&b->pairs[i]))
			quotes[n++] = b->pairs[i].rules.quote_asset;
	/* At most one entry per pair: the table cannot overflow. */
	(void)sb_bnb_track(&b->bnb, quotes, n);
	if (!b->ex || b->closed)
		return;
	const struct sb_bnb_quote *q;
	while ((q = sb_bnb_next_due(&b->bnb, now_ms)) != NULL) {
		char sym[SB_BNB_SYMBOL_SIZE];
		/* A name too long for a symbol, or a request that cannot go out, counts as a failure: the
		 * table then waits before the next attempt. */
		if (sb_bnb_symbol(q->asset, sym, sizeof sym) != SB_OK || strlen(sym) >= SB_SYMBOL_MAX ||
		    !request(b, NULL, sym, q->asset))
			(void)sb_bnb_failed(&b->bnb, q->asset, false, now_ms);
	}
}

void prices_tick(struct sb_bot *b, int64_t now_ms)
{
	for (size_t i = 0; i < b->npairs; i++) {
		struct bot_pair *pr = &b->pairs[i];
		if (pr->have_rules && !pr->rest_price_inflight && !prices_fresh(b, pr, now_ms))
			request(b, pr, NULL, NULL);
	}
	bnb_tick(b, now_ms);
}

sb_dec bot_bnb_price(const struct sb_bot *b, const struct bot_pair *pr)
{
	if (!b || !pr || !pr->have_rules)
		return 0;
	return sb_bnb_price(&b->bnb, pr->rules.quote_asset);
}

bool bot_bnb_awaited(const struct sb_bot *b, const struct bot_pair *pr)
{
	return b && pr && pr->have_rules && sb_bnb_awaited(&b->bnb, pr->rules.quote_asset);
}

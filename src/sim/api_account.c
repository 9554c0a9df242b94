/*
 * api_account.c - spotsim's account methods: balances (account), commission rates, the order-rate
 * counters (rateLimit/order), and the account's own history of trades (myTrades) and prevented matches
 * (myPreventedMatches), with Binance's parameter rules and response shapes (binance-spot-api.md §6).
 */
#include <string.h>

#include "common/json_out.h"
#include "sim/api_int.h"
#include "sim/api_params.h"
#include "sim/api_render.h"

static void render_trade(struct sb_buf *b, const struct sim_symbol *s, const struct sim_trade_rec *t)
{
	sb_buf_printf(b, "{\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b, ",\"id\":%lld,\"orderId\":%llu,\"orderListId\":-1,\"price\":", (long long)t->id,
	              (unsigned long long)t->order_id);
	sb_json_dec(b, t->price);
	sb_buf_printf(b, ",\"qty\":");
	sb_json_dec(b, t->qty);
	sb_buf_printf(b, ",\"quoteQty\":");
	sb_json_dec(b, t->quote_qty);
	sb_buf_printf(b, ",\"commission\":");
	sb_json_dec(b, t->commission);
	sb_buf_printf(b, ",\"commissionAsset\":");
	sb_json_str(b, t->commission_asset[0] ? t->commission_asset : s->rules.quote_asset);
	sb_buf_printf(b, ",\"time\":%lld,\"isBuyer\":%s,\"isMaker\":%s,\"isBestMatch\":true}",
	              (long long)t->time, t->is_buyer ? "true" : "false", t->is_maker ? "true" : "false");
}

void sim_api_my_trades(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	if (!s)
		return;
	bool has_order, has_start, has_end, has_from;
	int64_t order_id, start, end, from, limit;
	if (!sim_api_int_param(c, r, "orderId", &has_order, &order_id) ||
	    !sim_api_int_param(c, r, "startTime", &has_start, &start) ||
	    !sim_api_int_param(c, r, "endTime", &has_end, &end) ||
	    !sim_api_int_param(c, r, "fromId", &has_from, &from) ||
	    !sim_api_limit_param(c, r, 500, 1000, &limit))
		return;
	if (has_order)
		r->weight = 5;
	const struct sim_account *a = c->account;
	/* The ring holds trades oldest first from (next - ntrades); keep the matching ones. With fromId the
	 * first `limit` from that id, otherwise the most recent `limit`. */
	size_t first = (a->trades_next + SIM_TRADES_PER_ACCOUNT - a->ntrades) % SIM_TRADES_PER_ACCOUNT;
	const struct sim_trade_rec *match[1000];
	size_t n = 0;
	for (size_t k = 0; k < a->ntrades; k++) {
		const struct sim_trade_rec *t = &a->trades[(first + k) % SIM_TRADES_PER_ACCOUNT];
		if (t->symbol != s->index || (has_order && t->order_id != (uint64_t)order_id) ||
		    (has_start && t->time < start) || (has_end && t->time > end) ||
		    (has_from && t->id < from))
			continue;
		if (n == (size_t)limit) {
			if (has_from)
				break;
			memmove(match, match + 1, (n - 1) * sizeof match[0]);
			n--;
		}
		match[n++] = t;
	}
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t i = 0; i < n; i++) {
		render_trade(&b, s, match[i]);
		sb_buf_printf(&b, ",");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	sim_api_reply_buf(r, &b);
}

static void render_prevented(struct sb_buf *b, const struct sim_symbol *s,
                             const struct sim_book_prevented *pm)
{
	sb_buf_printf(b, "{\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b,
	              ",\"preventedMatchId\":%lld,\"takerOrderId\":%llu,\"makerSymbol\":", (long long)pm->id,
	              (unsigned long long)pm->taker_order_id);
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(
	    b, ",\"makerOrderId\":%llu,\"tradeGroupId\":-1,\"selfTradePreventionMode\":\"%s\",\"price\":",
	    (unsigned long long)pm->maker_order_id, sim_stp_name(pm->mode));
	sb_json_dec(b, pm->price);
	sim_api_render_prevented_qty(b, pm);
	sb_buf_printf(b, ",\"transactTime\":%lld}", (long long)pm->time);
}

/*
 * GET /api/v3/myPreventedMatches (myPreventedMatches): symbol with preventedMatchId (weight 2), or with
 * orderId (weight 20; the matches the order took part in, from fromPreventedMatchId on, at most limit).
 * Any other combination is -1128.
 */
void sim_api_my_prevented_matches(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	if (!s)
		return;
	bool has_id, has_order, has_from;
	int64_t id, order_id, from, limit;
	if (!sim_api_int_param(c, r, "preventedMatchId", &has_id, &id) ||
	    !sim_api_int_param(c, r, "orderId", &has_order, &order_id) ||
	    !sim_api_int_param(c, r, "fromPreventedMatchId", &has_from, &from) ||
	    !sim_api_limit_param(c, r, 500, 1000, &limit))
		return;
	if (has_id == has_order || (has_from && !has_order)) {
		sim_api_error(r, 400, -1128, "Combination of optional parameters invalid.");
		return;
	}
	if (has_id)
		r->weight = 2;
	const struct sim_account *a = c->account;
	size_t first =
	    (a->prevented_next + SIM_PREVENTED_PER_ACCOUNT - a->nprevented) % SIM_PREVENTED_PER_ACCOUNT;
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "[");
	for (size_t k = 0, n = 0; k < a->nprevented && n < (size_t)limit; k++) {
		const struct sim_prevented_rec *p = &a->prevented[(first + k) % SIM_PREVENTED_PER_ACCOUNT];
		const struct sim_book_prevented *pm = &p->pm;
		bool of_order =
		    pm->taker_order_id == (uint64_t)order_id || pm->maker_order_id == (uint64_t)order_id;
		if (p->symbol != s->index || (has_id && pm->id != id) || (has_order && !of_order) ||
		    (has_from && pm->id < from))
			continue;
		render_prevented(&b, s, pm);
		sb_buf_printf(&b, ",");
		n++;
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "]");
	sim_api_reply_buf(r, &b);
}

/* ---- the account --------------------------------------------------------------------------------- */

void sim_api_account(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[16];
	const char *v = sim_api_param(c, "omitZeroBalances", buf, sizeof buf);
	bool omit = v && strcmp(v, "true") == 0;
	sb_dec maker, taker;
	sim_ledger_rates(c->ex->ledger, c->account->id, &maker, &taker);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	/* The integer commissions are in basis points. */
	sb_buf_printf(&b,
	              "{\"makerCommission\":%lld,\"takerCommission\":%lld,\"buyerCommission\":0,"
	              "\"sellerCommission\":0,\"commissionRates\":{\"maker\":",
	              (long long)(maker / 10000), (long long)(taker / 10000));
	sb_json_dec(&b, maker);
	sb_buf_printf(&b, ",\"taker\":");
	sb_json_dec(&b, taker);
	sb_buf_printf(&b,
	              ",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},\"canTrade\":true,"
	              "\"canWithdraw\":true,\"canDeposit\":true,\"brokered\":false,"
	              "\"requireSelfTradePrevention\":false,\"preventSor\":false,\"updateTime\":%lld,"
	              "\"accountType\":\"SPOT\",\"balances\":[",
	              (long long)c->now_ms);
	const struct sim_ledger_asset *assets;
	size_t n = 0;
	sim_ledger_balances(c->ex->ledger, c->account->id, &assets, &n);
	for (size_t i = 0; i < n; i++) {
		if (omit && assets[i].free == 0 && assets[i].locked == 0)
			continue;
		sb_buf_printf(&b, "{\"asset\":");
		sb_json_str(&b, assets[i].asset);
		sb_buf_printf(&b, ",\"free\":");
		sb_json_dec(&b, assets[i].free);
		sb_buf_printf(&b, ",\"locked\":");
		sb_json_dec(&b, assets[i].locked);
		sb_buf_printf(&b, "},");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "],\"permissions\":[\"SPOT\"],\"uid\":%u}", 354937868u + c->account->id);
	sim_api_reply_buf(r, &b);
}

void sim_api_account_commission(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sim_symbol *s = sim_api_need_symbol(c, r);
	if (!s)
		return;
	sb_dec maker, taker;
	sim_ledger_rates(c->ex->ledger, c->account->id, &maker, &taker);
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "{\"symbol\":");
	sb_json_str(&b, s->rules.symbol);
	sb_buf_printf(&b, ",\"standardCommission\":{\"maker\":");
	sb_json_dec(&b, maker);
	sb_buf_printf(&b, ",\"taker\":");
	sb_json_dec(&b, taker);
	sb_buf_printf(
	    &b,
	    ",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
	    "\"specialCommission\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
	    "\"taxCommission\":{\"maker\":\"0.00000000\",\"taker\":\"0.00000000\",\"buyer\":\"0.00000000\",\"seller\":\"0.00000000\"},"
	    "\"discount\":{\"enabledForAccount\":%s,\"enabledForSymbol\":true,\"discountAsset\":\"BNB\","
	    "\"discount\":\"0.75000000\"}}",
	    sim_ledger_bnb_fees(c->ex->ledger, c->account->id) ? "true" : "false");
	sim_api_reply_buf(r, &b);
}

void sim_api_rate_limit_order(struct sim_api_call *c, struct sim_api_reply *r)
{
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(
	    &b,
	    "[{\"rateLimitType\":\"ORDERS\",\"interval\":\"SECOND\",\"intervalNum\":10,\"limit\":%u,\"count\":%u},"
	    "{\"rateLimitType\":\"ORDERS\",\"interval\":\"DAY\",\"intervalNum\":1,\"limit\":%u,\"count\":%u}]",
	    c->ex->order_limit_10s, c->account->orders_10s, c->ex->order_limit_1d, c->account->orders_1d);
	sim_api_reply_buf(r, &b);
}

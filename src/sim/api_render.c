/*
 * api_render.c - Binance's response shapes for spotsim's orders (see api_render.h).
 */
#include "sim/api_render.h"

#include <string.h>

#include "common/json_out.h"

static const char *tif_name(const struct sim_book_order *o)
{
	return sb_tif_name(o->tif);
}

/* The fields every order shape shares, up to and including "side". */
static void order_core(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o)
{
	sb_buf_printf(b, "\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b,
	              ",\"orderId\":%llu,\"orderListId\":-1,\"clientOrderId\":", (unsigned long long)o->id);
	sb_json_str(b, o->client_id);
}

static void order_amounts(struct sb_buf *b, const struct sim_book_order *o)
{
	sb_buf_printf(b, ",\"price\":");
	sb_json_dec(b, o->price);
	sb_buf_printf(b, ",\"origQty\":");
	sb_json_dec(b, o->orig_qty);
	sb_buf_printf(b, ",\"executedQty\":");
	sb_json_dec(b, o->executed_qty);
}

/* What placing and canceling answer after the amounts: the quote quantities, ordered and executed. */
static void order_quote_amounts(struct sb_buf *b, const struct sim_book_order *o)
{
	sb_buf_printf(b, ",\"origQuoteOrderQty\":");
	sb_json_dec(b, o->orig_quote_qty);
	sb_buf_printf(b, ",\"cummulativeQuoteQty\":");
	sb_json_dec(b, o->cum_quote_qty);
}

/* The STP fields of an order that self-trade prevention took quantity from. */
static void order_prevented(struct sb_buf *b, const struct sim_book_order *o)
{
	if (o->prevented_qty <= 0)
		return;
	sb_buf_printf(b,
	              ",\"preventedMatchId\":%lld,\"preventedQuantity\":", (long long)o->prevented_match_id);
	sb_json_dec(b, o->prevented_qty);
}

/* GET /api/v3/order and the lists. */
void sim_api_render_query(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o)
{
	sb_buf_printf(b, "{");
	order_core(b, s, o);
	order_amounts(b, o);
	sb_buf_printf(b, ",\"cummulativeQuoteQty\":");
	sb_json_dec(b, o->cum_quote_qty);
	sb_buf_printf(b, ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\"",
	              sb_order_state_name(o->status), tif_name(o), sb_order_type_name(o->type),
	              sb_side_name(o->side));
	sb_buf_printf(b,
	              ",\"stopPrice\":\"0.00000000\",\"icebergQty\":\"0.00000000\",\"time\":%lld,"
	              "\"updateTime\":%lld,\"isWorking\":true,\"workingTime\":%lld,\"origQuoteOrderQty\":",
	              (long long)o->time, (long long)o->update_time, (long long)o->working_time);
	sb_json_dec(b, o->orig_quote_qty);
	sb_buf_printf(b, ",\"selfTradePreventionMode\":\"%s\"", sim_stp_name(o->stp));
	order_prevented(b, o);
	sb_buf_printf(b, "}");
}

/* takerPreventedQuantity and makerPreventedQuantity of a prevented match, each when non-zero. */
void sim_api_render_prevented_qty(struct sb_buf *b, const struct sim_book_prevented *pm)
{
	if (pm->taker_qty > 0) {
		sb_buf_printf(b, ",\"takerPreventedQuantity\":");
		sb_json_dec(b, pm->taker_qty);
	}
	if (pm->maker_qty > 0) {
		sb_buf_printf(b, ",\"makerPreventedQuantity\":");
		sb_json_dec(b, pm->maker_qty);
	}
}

/* The FULL response's preventedMatches: the prevented matches of the taker o in res. */
static void render_prevented_matches(struct sb_buf *b, const struct sim_book_order *o,
                                     const struct sim_book_result *res)
{
	sb_buf_printf(b, ",\"preventedMatches\":[");
	for (size_t i = 0; i < res->n_prevented; i++) {
		const struct sim_book_prevented *pm = &res->prevented[i];
		if (pm->taker_order_id != o->id)
			continue;
		sb_buf_printf(b, "{\"preventedMatchId\":%lld,\"makerOrderId\":%llu,\"price\":",
		              (long long)pm->id, (unsigned long long)pm->maker_order_id);
		sb_json_dec(b, pm->price);
		sim_api_render_prevented_qty(b, pm);
		sb_buf_printf(b, "},");
	}
	sb_buf_trim(b, ',');
	sb_buf_printf(b, "]");
}

/* The FULL response's fills: the fills of o in res, with o's side of the commission. */
static void render_fills(struct sb_buf *b, const struct sim_book_order *o, const struct sim_book_result *res)
{
	sb_buf_printf(b, ",\"fills\":[");
	for (size_t i = 0; i < res->n_fills; i++) {
		const struct sim_book_fill *f = &res->fills[i];
		bool buyer = f->buyer_order_id == o->id;
		if (!buyer && f->seller_order_id != o->id)
			continue;
		sb_buf_printf(b, "{\"price\":");
		sb_json_dec(b, f->price);
		sb_buf_printf(b, ",\"qty\":");
		sb_json_dec(b, f->qty);
		sb_buf_printf(b, ",\"commission\":");
		sb_json_dec(b, buyer ? f->buyer_commission : f->seller_commission);
		sb_buf_printf(b, ",\"commissionAsset\":");
		sb_json_str(b, buyer ? f->buyer_commission_asset : f->seller_commission_asset);
		sb_buf_printf(b, ",\"tradeId\":%lld},", (long long)f->trade_id);
	}
	sb_buf_trim(b, ',');
	sb_buf_printf(b, "]");
}

/* POST /api/v3/order in ACK, RESULT or FULL form; fills are the order's fills in res. */
void sim_api_render_placed(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o,
                           const char *resp_type, const struct sim_book_result *res)
{
	sb_buf_printf(b, "{");
	order_core(b, s, o);
	sb_buf_printf(b, ",\"transactTime\":%lld", (long long)o->time);
	if (strcmp(resp_type, "ACK") == 0) {
		sb_buf_printf(b, "}");
		return;
	}
	order_amounts(b, o);
	order_quote_amounts(b, o);
	sb_buf_printf(b,
	              ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\","
	              "\"workingTime\":%lld,\"selfTradePreventionMode\":\"%s\"",
	              sb_order_state_name(o->status), tif_name(o), sb_order_type_name(o->type),
	              sb_side_name(o->side), (long long)o->working_time, sim_stp_name(o->stp));
	order_prevented(b, o);
	if (o->expiry != SIM_EXPIRY_NONE)
		sb_buf_printf(b, ",\"expiryReason\":\"%s\"", sim_book_expiry_name(o->expiry));
	if (strcmp(resp_type, "FULL") == 0) {
		render_fills(b, o, res);
		if (res->n_prevented > 0)
			render_prevented_matches(b, o, res);
	}
	sb_buf_printf(b, "}");
}

/* DELETE /api/v3/order. */
void sim_api_render_canceled(struct sb_buf *b, const struct sim_symbol *s, const struct sim_book_order *o,
                             const char *cancel_id)
{
	sb_buf_printf(b, "{\"symbol\":");
	sb_json_str(b, s->rules.symbol);
	sb_buf_printf(b, ",\"origClientOrderId\":");
	sb_json_str(b, o->client_id);
	sb_buf_printf(b,
	              ",\"orderId\":%llu,\"orderListId\":-1,\"clientOrderId\":", (unsigned long long)o->id);
	sb_json_str(b, cancel_id);
	sb_buf_printf(b, ",\"transactTime\":%lld", (long long)o->update_time);
	order_amounts(b, o);
	order_quote_amounts(b, o);
	sb_buf_printf(b,
	              ",\"status\":\"%s\",\"timeInForce\":\"%s\",\"type\":\"%s\",\"side\":\"%s\","
	              "\"selfTradePreventionMode\":\"%s\"",
	              sb_order_state_name(o->status), tif_name(o), sb_order_type_name(o->type),
	              sb_side_name(o->side), sim_stp_name(o->stp));
	order_prevented(b, o);
	sb_buf_printf(b, "}");
}

void sim_api_reply_buf(struct sim_api_reply *r, struct sb_buf *b)
{
	if (b->overflow) {
		sb_buf_fini(b);
		sim_api_error(r, 400, -1000, "Response too large.");
		return;
	}
	r->status = 200;
	r->json = sb_buf_take(b);
}

/* {"code":...,"msg":...}: one half's error inside a cancel-replace failure. */
void sim_api_render_error(struct sb_buf *b, const struct sim_api_reply *e)
{
	sb_buf_printf(b, "{\"code\":%d,\"msg\":", e->code);
	sb_json_str(b, e->msg);
	sb_buf_puts(b, "}");
}

/*
 * bt_place.c - placing an order on the in-process exchange, checked as spotsim's API checks it
 * (sim/api_order.c): a request the Binance client would refuse to send is refused the same way, by the
 * client's own check; then the symbol's status, its self-trade prevention modes and its filters (the core
 * rules code, sb_rules_validate), then the engine with the account's funds. A refusal is the error
 * Binance answers, classed as the client classes it, so the daemon cannot tell the two exchanges apart.
 * The sim's faults that concern orders (order_5xx_before, order_5xx_after) apply here too; the queue
 * applies hide_user_events.
 */
#include <stdio.h>
#include <string.h>

#include "backtest/bt_exchange_int.h"
#include "sim/ledger.h"
#include "spotbot/binance_rest.h"

static const char unknown_msg[] =
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.";

/* The selfTradePreventionMode the order gets: its own, or the symbol's default when it names none. */
static bool stp_of(const struct sim_symbol *s, enum sb_stp_mode m, enum sim_stp_mode *out, struct bt_item *it)
{
	/* sb_stp_mode lists the modes in the sim's order, after DEFAULT. */
	*out = m == SB_STP_DEFAULT ? s->stp.def : (enum sim_stp_mode)(m - 1);
	if (sim_stp_allowed(&s->stp, *out))
		return true;
	bt_fail(it, 400, -1013, "This symbol does not allow the specified self-trade prevention mode.");
	return false;
}

/* Symbol status and filters: what Binance checks of the order itself before the engine. */
static bool filters_pass(struct bt_exchange *x, const struct sim_symbol *s, const struct sb_bn_new_order *o,
                         struct bt_item *it)
{
	if (s->rules.status != SB_SYMBOL_TRADING) {
		bt_fail(it, 400, -2010, "Market is closed.");
		return false;
	}
	struct sb_order_spec spec = {
	    .side = o->side,
	    .type = o->type,
	    .price = o->type == SB_ORDER_MARKET ? 0 : o->price,
	    .quantity = o->quantity,
	    .quote_order_qty = o->quote_order_qty,
	    .ref_price = s->ref_price,
	    .open_orders = (int64_t)sim_book_open_count(s->book, x->account->id),
	};
	enum sb_filter failed = SB_FILTER_NONE;
	sb_err e = sb_rules_validate(&s->rules, &spec, &failed);
	if (e == SB_ERR_FILTER)
		bt_fail(it, 400, -1013, "Filter failure: %s", sb_filter_name(failed));
	else if (e == SB_ERR_UNSUPPORTED)
		bt_fail(it, 400, -1116, "Invalid orderType.");
	else if (e)
		bt_fail(it, 400, -1013, "Invalid quantity.");
	return e == SB_OK;
}

static void request_of(const struct bt_exchange *x, const struct sim_symbol *s,
                       const struct sb_bn_new_order *o, enum sim_stp_mode stp, struct sim_book_req *req)
{
	*req = (struct sim_book_req){
	    .account = x->account->id,
	    .side = o->side,
	    .type = o->type == SB_ORDER_LIMIT    ? SB_ORDER_LIMIT
	            : o->type == SB_ORDER_MARKET ? SB_ORDER_MARKET
	                                         : SB_ORDER_LIMIT_MAKER,
	    .tif = o->tif == SB_TIF_IOC   ? SB_TIF_IOC
	           : o->tif == SB_TIF_FOK ? SB_TIF_FOK
	                                  : SB_TIF_GTC,
	    .price = o->type == SB_ORDER_MARKET ? 0 : o->price,
	    .qty = o->quantity,
	    .quote_qty = o->quote_order_qty,
	    .step = s->rules.lot.step_size,
	    .client_id = o->client_order_id,
	    .client_id_len = o->client_order_id ? strlen(o->client_order_id) : 0,
	    .time = bt_now(x),
	    .stp = stp,
	};
}

/* The shape of the answer: what newOrderRespType asked for (the exchange's default when not sent). */
static enum sb_bn_order_shape shape_of(const struct sb_bn_new_order *o)
{
	switch (o->resp_type) {
	case SB_BN_RESP_FULL:
		return SB_BN_ORDER_FULL;
	case SB_BN_RESP_RESULT:
		return SB_BN_ORDER_RESULT;
	case SB_BN_RESP_ACK:
		return SB_BN_ORDER_ACK;
	default:
		return o->type == SB_ORDER_LIMIT_MAKER ? SB_BN_ORDER_ACK : SB_BN_ORDER_FULL;
	}
}

/* The engine's refusal as Binance words it. */
static void refused(struct bt_item *it, sb_err e, enum sim_book_reject reject)
{
	if (e == SB_ERR_EXCHANGE && reject == SIM_REJECT_TOO_MANY_ORDERS)
		bt_fail(it, 400, -1013, "Filter failure: MAX_NUM_ORDERS");
	else if (e == SB_ERR_EXCHANGE)
		bt_fail(it, 400, -2010, "%s", sim_book_reject_msg(reject));
	else
		bt_fail(it, 500, -1000, "An unknown error occurred while processing the request.");
}

sb_err bt_order_place(struct sb_exchange *ex, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                      void *user)
{
	struct bt_exchange *x = bt_self(ex);
	SB_TRY(sb_bn_rest_order_check(o));
	struct bt_item *it = bt_push(x, BT_ANSWER_ORDER);
	it->cb.order = cb;
	it->user = user;
	struct sim_symbol *s = sim_exchange_symbol(x->sim, o->symbol, strlen(o->symbol));
	enum sim_stp_mode stp;
	if (!s) {
		bt_fail(it, 400, -1121, "Invalid symbol.");
		return SB_OK;
	}
	if (!stp_of(s, o->stp_mode, &stp, it) || !filters_pass(x, s, o, it))
		return SB_OK;
	if (x->sim->faults.order_5xx_before) {
		bt_fail(it, 503, -1007, "%s", unknown_msg);
		return SB_OK;
	}
	struct sim_book_req req;
	request_of(x, s, o, stp, &req);
	struct sim_book_result *res = &x->sim->scratch;
	sim_book_result_clear(res);
	sb_err e = sim_ledger_place(x->sim->ledger, s->book, &req, sim_exchange_bnb_price(x->sim, s), res);
	if (e != SB_OK) {
		refused(it, e, res->reject);
		return SB_OK;
	}
	const struct sim_book_order *placed = sim_book_find(s->book, res->order_id);
	if (x->sim->faults.order_5xx_after || !placed)
		bt_fail(it, 503, -1007, "%s", unknown_msg);
	else
		bt_order(s, placed, shape_of(o), res, &it->u.order);
	sim_exchange_settled(x->sim, s, res);
	bt_queue_user_events(x, s, res);
	bt_queue_market_events(x, s);
	return SB_OK;
}

/*
 * bt_convert.c - spotsim's records as the typed Binance structs: orders as the REST API reports them,
 * the account's trades as myTrades rows, a book result's events as executionReports and
 * outboundAccountPositions, and the book's top as a book ticker. Field for field what spotsim's API and
 * user streams send (sim/api_order.c, sim/userdata.c), without the JSON in between.
 */
#include <stdio.h>
#include <string.h>

#include "backtest/bt_exchange_int.h"
#include "spotbot/alloc.h"

#define BT_POSITION_ASSETS 4 /* assets one result can move for an account: base, quote, commission */

static enum sb_bn_exec_type exec_of(enum sim_book_exec e)
{
	switch (e) {
	case SIM_EXEC_NEW:
		return SB_BN_EXEC_NEW;
	case SIM_EXEC_TRADE:
		return SB_BN_EXEC_TRADE;
	case SIM_EXEC_CANCELED:
		return SB_BN_EXEC_CANCELED;
	case SIM_EXEC_EXPIRED:
		return SB_BN_EXEC_EXPIRED;
	default:
		return SB_BN_EXEC_TRADE_PREVENTION;
	}
}

/* The fills of order o in res, as the FULL response lists them. */
static void order_fills(const struct sim_book_order *o, const struct sim_book_result *res,
                        struct sb_bn_order *out)
{
	for (size_t i = 0; i < res->n_fills; i++) {
		const struct sim_book_fill *f = &res->fills[i];
		bool buyer = f->buyer_order_id == o->id && f->buyer_account == o->account;
		if (!buyer && !(f->seller_order_id == o->id && f->seller_account == o->account))
			continue;
		if (!out->fills)
			out->fills = sb_xcalloc(res->n_fills, sizeof *out->fills);
		struct sb_fill *x = &out->fills[out->n_fills++];
		x->price = f->price;
		x->qty = f->qty;
		x->commission = buyer ? f->buyer_commission : f->seller_commission;
		snprintf(x->commission_asset, sizeof x->commission_asset, "%s",
		         buyer ? f->buyer_commission_asset : f->seller_commission_asset);
		x->trade_id = f->trade_id;
	}
}

void bt_order(const struct sim_symbol *s, const struct sim_book_order *o, enum sb_bn_order_shape shape,
              const struct sim_book_result *res, struct sb_bn_order *out)
{
	memset(out, 0, sizeof *out);
	out->shape = shape;
	snprintf(out->symbol, sizeof out->symbol, "%s", s->rules.symbol);
	out->order_id = (int64_t)o->id;
	out->order_list_id = -1;
	snprintf(out->client_order_id, sizeof out->client_order_id, "%s", o->client_id);
	out->transact_time = shape == SB_BN_ORDER_QUERY    ? -1
	                     : shape == SB_BN_ORDER_CANCEL ? o->update_time
	                                                   : o->time;
	out->price = o->price;
	out->orig_qty = o->orig_qty;
	out->executed_qty = o->executed_qty;
	out->cum_quote_qty = o->cum_quote_qty;
	out->orig_quote_order_qty = o->orig_quote_qty;
	out->status = o->status;
	out->tif = o->tif;
	out->type = o->type;
	out->side = o->side;
	out->working_time = o->working_time;
	snprintf(out->stp_mode, sizeof out->stp_mode, "%s", sim_stp_name(o->stp));
	out->prevented_match_id = o->prevented_qty > 0 ? o->prevented_match_id : -1;
	out->prevented_qty = o->prevented_qty;
	if (o->expiry != SIM_EXPIRY_NONE)
		snprintf(out->expiry_reason, sizeof out->expiry_reason, "%s",
		         sim_book_expiry_name(o->expiry));
	out->time = shape == SB_BN_ORDER_QUERY ? o->time : -1;
	out->update_time = shape == SB_BN_ORDER_QUERY ? o->update_time : -1;
	out->is_working = true;
	if (shape == SB_BN_ORDER_FULL && res)
		order_fills(o, res, out);
}

void bt_my_trade(const struct sim_symbol *s, const struct sim_trade_rec *t, struct sb_bn_my_trade *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->symbol, sizeof out->symbol, "%s", s->rules.symbol);
	out->id = t->id;
	out->order_id = (int64_t)t->order_id;
	out->order_list_id = -1;
	out->price = t->price;
	out->qty = t->qty;
	out->quote_qty = t->quote_qty;
	out->commission = t->commission;
	snprintf(out->commission_asset, sizeof out->commission_asset, "%s",
	         t->commission_asset[0] ? t->commission_asset : s->rules.quote_asset);
	out->time = t->time;
	out->is_buyer = t->is_buyer;
	out->is_maker = t->is_maker;
	out->is_best_match = true;
}

/* One executionReport of event ev of order o. */
static void exec_report(struct bt_exchange *x, const struct sim_symbol *s, const struct sim_book_order *o,
                        const struct sim_book_event *ev, struct sb_bn_user_event *out)
{
	bool trade = ev->exec == SIM_EXEC_TRADE;
	bool prevented = ev->exec == SIM_EXEC_TRADE_PREVENTION;
	bool open = ev->status == SB_ORDER_NEW || ev->status == SB_ORDER_PARTIALLY_FILLED;
	out->kind = SB_BN_USER_EXEC_REPORT;
	out->subscription_id = 0;
	out->event_time = ev->time;
	struct sb_bn_exec_report *r = &out->u.exec;
	r->event_time = ev->time;
	int64_t exec_id = ++x->exec_id;
	snprintf(r->symbol, sizeof r->symbol, "%s", s->rules.symbol);
	/* A cancel reports the cancel request's id in "c" and the order's in "C", as spotsim does. */
	if (ev->exec == SIM_EXEC_CANCELED) {
		snprintf(r->client_order_id, sizeof r->client_order_id, "sim-cxl-%lld", (long long)exec_id);
		snprintf(r->orig_client_order_id, sizeof r->orig_client_order_id, "%s", o->client_id);
	} else {
		snprintf(r->client_order_id, sizeof r->client_order_id, "%s", o->client_id);
	}
	r->side = o->side;
	r->type = o->type;
	r->tif = o->tif;
	r->qty = o->orig_qty;
	r->price = o->price;
	r->order_list_id = -1;
	r->exec_type = exec_of(ev->exec);
	r->status = ev->status;
	r->reject_reason = SB_BN_REJECT_NONE;
	r->order_id = (int64_t)o->id;
	r->last_qty = trade ? ev->last_qty : 0;
	r->cum_qty = ev->executed_qty;
	r->last_price = trade ? ev->last_price : 0;
	r->commission = trade ? ev->commission : 0;
	if (trade)
		snprintf(r->commission_asset, sizeof r->commission_asset, "%s", ev->commission_asset);
	r->transact_time = ev->time;
	r->trade_id = trade ? ev->trade_id : -1;
	r->execution_id = exec_id;
	r->on_book = ev->exec == SIM_EXEC_NEW || ((trade || prevented) && open);
	r->maker = trade && ev->is_maker;
	r->create_time = o->time;
	r->cum_quote_qty = ev->cum_quote_qty;
	r->last_quote_qty = trade ? ev->last_quote : 0;
	r->quote_order_qty = o->orig_quote_qty;
	r->working_time = o->working_time;
	snprintf(r->stp_mode, sizeof r->stp_mode, "%s", sim_stp_name(o->stp));
	r->prevented_match_id = prevented ? ev->prevented_match_id : -1;
	r->prevented_qty = prevented ? ev->prevented_qty : 0;
	if (ev->exec == SIM_EXEC_EXPIRED && ev->expiry != SIM_EXPIRY_NONE)
		snprintf(r->expiry_reason, sizeof r->expiry_reason, "%s", sim_book_expiry_name(ev->expiry));
}

static void touch(char (*assets)[SB_ASSET_MAX], size_t *n, const char *asset)
{
	if (!asset || !*asset)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(assets[i], asset) == 0)
			return;
	if (*n < BT_POSITION_ASSETS)
		snprintf(assets[(*n)++], SB_ASSET_MAX, "%s", asset);
}

/* The account's balances of assets[0..n) at time, as outboundAccountPosition. */
static void account_position(struct bt_exchange *x, char (*assets)[SB_ASSET_MAX], size_t n, int64_t time)
{
	struct sb_bn_user_event *ev = &bt_push(x, BT_EVENT_USER)->u.user;
	ev->kind = SB_BN_USER_ACCOUNT_POSITION;
	ev->event_time = time;
	ev->u.position.update_time = time;
	for (size_t i = 0; i < n; i++) {
		struct sim_ledger_asset a = {0};
		if (sim_ledger_balance(x->sim->ledger, x->account->id, assets[i], &a) != SB_OK)
			continue;
		struct sb_bn_balance *b = &ev->u.position.balances[ev->u.position.n_balances++];
		snprintf(b->asset, sizeof b->asset, "%s", assets[i]);
		b->free = a.free;
		b->locked = a.locked;
	}
}

void bt_queue_user_events(struct bt_exchange *x, const struct sim_symbol *sym,
                          const struct sim_book_result *res)
{
	char assets[BT_POSITION_ASSETS][SB_ASSET_MAX];
	size_t n = 0;
	int64_t time = 0;
	for (size_t i = 0; i < res->n_events; i++) {
		const struct sim_book_event *ev = &res->events[i];
		const struct sim_book_order *o =
		    ev->account == x->account->id ? sim_book_find(sym->book, ev->order_id) : NULL;
		if (!o)
			continue;
		exec_report(x, sym, o, ev, &bt_push(x, BT_EVENT_USER)->u.user);
		time = ev->time;
		/* NEW locks and the ends release what the order pays with; a TRADE moves both assets and the
		 * commission's. */
		if (ev->exec == SIM_EXEC_TRADE) {
			touch(assets, &n, sym->rules.base_asset);
			touch(assets, &n, sym->rules.quote_asset);
			touch(assets, &n, ev->commission_asset);
		} else {
			touch(assets, &n,
			      o->side == SB_SIDE_BUY ? sym->rules.quote_asset : sym->rules.base_asset);
		}
	}
	if (n > 0)
		account_position(x, assets, n, time);
}

void bt_book_ticker(const struct sim_symbol *s, struct sb_bn_book_ticker *out)
{
	struct sim_book_level bid, ask;
	memset(out, 0, sizeof *out);
	memcpy(out->symbol, s->rules.symbol, sizeof out->symbol);
	out->update_id = -1;
	if (sim_book_best(s->book, SB_SIDE_BUY, &bid)) {
		out->bid_price = bid.price;
		out->bid_qty = bid.qty;
	}
	if (sim_book_best(s->book, SB_SIDE_SELL, &ask)) {
		out->ask_price = ask.price;
		out->ask_qty = ask.qty;
	}
}

void bt_queue_market_events(struct bt_exchange *x, const struct sim_symbol *sym)
{
	struct bt_market *m = &x->mk[sym->index];
	if (!m->wanted)
		return;
	struct sb_bn_book_ticker b;
	bt_book_ticker(sym, &b);
	if (b.bid_price == m->bid && b.bid_qty == m->bid_qty && b.ask_price == m->ask &&
	    b.ask_qty == m->ask_qty)
		return;
	m->bid = b.bid_price;
	m->bid_qty = b.bid_qty;
	m->ask = b.ask_price;
	m->ask_qty = b.ask_qty;
	b.update_id = ++x->update_id;
	bt_push(x, BT_EVENT_BOOK)->u.book = b;
}

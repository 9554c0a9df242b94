/*
 * rest_calls.c - the public calls of the Binance REST client (binance_rest.h): each builds its request
 * with the pure builders of rest_build.c and hands it, with its typed callback, to rest_api.c.
 */
#include <stdlib.h>

#include "exchange/rest_build.h"
#include "exchange/rest_int.h"

sb_err sb_bn_rest_sync_time(struct sb_bn_rest *r, sb_bn_rest_time_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_TIME, user);
	c->cb.time = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_time(&c->req));
}

sb_err sb_bn_rest_exchange_info(struct sb_bn_rest *r, const char *const *symbols, size_t n,
                                sb_bn_rest_info_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_INFO, user);
	c->cb.info = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_exchange_info(symbols, n, &c->req));
}

sb_err sb_bn_rest_book_ticker(struct sb_bn_rest *r, const char *symbol, sb_bn_rest_tickers_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_TICKERS, user);
	c->cb.tickers = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_book_ticker(symbol, &c->req));
}

sb_err sb_bn_rest_klines(struct sb_bn_rest *r, const char *symbol, const char *interval, int64_t start_ms,
                         int64_t end_ms, int64_t limit, sb_bn_rest_candles_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_CANDLES, user);
	c->cb.candles = cb;
	return sb_bn__call_start(r, c,
	                         sb_bn_rest_build_klines(symbol, interval, start_ms, end_ms, limit, &c->req));
}

sb_err sb_bn_rest_account(struct sb_bn_rest *r, bool omit_zero, sb_bn_rest_account_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_ACCOUNT, user);
	c->cb.account = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_account(omit_zero, &c->req));
}

sb_err sb_bn_rest_commission(struct sb_bn_rest *r, const char *symbol, sb_bn_rest_commission_cb cb,
                             void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_COMMISSION, user);
	c->cb.commission = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_commission(symbol, &c->req));
}

static sb_err build_place(struct sb_bn__call *c, const struct sb_bn_new_order *o)
{
	sb_err e = sb_bn_rest_build_order_place(o, &c->req);
	if (!e)
		c->shape = sb_bn_rest_place_shape(o);
	return e;
}

sb_err sb_bn_rest_order_place(struct sb_bn_rest *r, const struct sb_bn_new_order *o, sb_bn_rest_order_cb cb,
                              void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_ORDER, user);
	c->cb.order = cb;
	return sb_bn__call_start(r, c, build_place(c, o));
}

static sb_err build_ref(struct sb_bn__call *c, enum sb_bn_order_shape shape, const char *symbol,
                        int64_t order_id, const char *client_order_id)
{
	c->shape = shape;
	if (shape == SB_BN_ORDER_CANCEL)
		return sb_bn_rest_build_order_cancel(symbol, order_id, client_order_id, &c->req);
	return sb_bn_rest_build_order_query(symbol, order_id, client_order_id, &c->req);
}

sb_err sb_bn_rest_order_query(struct sb_bn_rest *r, const char *symbol, int64_t order_id,
                              const char *client_order_id, sb_bn_rest_order_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_ORDER, user);
	c->cb.order = cb;
	return sb_bn__call_start(r, c, build_ref(c, SB_BN_ORDER_QUERY, symbol, order_id, client_order_id));
}

sb_err sb_bn_rest_order_cancel(struct sb_bn_rest *r, const char *symbol, int64_t order_id,
                               const char *client_order_id, sb_bn_rest_order_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_ORDER, user);
	c->cb.order = cb;
	return sb_bn__call_start(r, c, build_ref(c, SB_BN_ORDER_CANCEL, symbol, order_id, client_order_id));
}

sb_err sb_bn_rest_open_orders(struct sb_bn_rest *r, const char *symbol, sb_bn_rest_orders_cb cb, void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_ORDERS, user);
	c->cb.orders = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_open_orders(symbol, &c->req));
}

sb_err sb_bn_rest_all_orders(struct sb_bn_rest *r, const struct sb_bn_rest_filter *f, sb_bn_rest_orders_cb cb,
                             void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_ORDERS, user);
	c->cb.orders = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_all_orders(f, &c->req));
}

sb_err sb_bn_rest_my_trades(struct sb_bn_rest *r, const struct sb_bn_rest_filter *f, sb_bn_rest_trades_cb cb,
                            void *user)
{
	if (!r || !cb)
		return SB_ERR_INVALID;
	struct sb_bn__call *c = sb_bn__call_new(r, SB_BN__K_TRADES, user);
	c->cb.trades = cb;
	return sb_bn__call_start(r, c, sb_bn_rest_build_my_trades(f, &c->req));
}

/*
 * exchange.c - the implementation-independent half of the exchange table: argument checks and the
 * dispatch through struct sb_exchange_ops.
 *
 * A call with no exchange or a missing required argument is SB_ERR_INVALID before any implementation
 * runs, and its callback never runs; so an implementation can trust its arguments.
 */
#include "spotbot/exchange.h"

#include <string.h>

static bool ok(const struct sb_exchange *ex)
{
	return ex && ex->ops;
}

void sb_exchange_free(struct sb_exchange *ex)
{
	if (ok(ex))
		ex->ops->free(ex);
}

const char *sb_exchange_name(const struct sb_exchange *ex)
{
	return ok(ex) ? ex->ops->name : "";
}

sb_err sb_exchange_sync_time(struct sb_exchange *ex, sb_bn_rest_time_cb cb, void *user)
{
	if (!ok(ex) || !cb)
		return SB_ERR_INVALID;
	return ex->ops->sync_time(ex, cb, user);
}

int64_t sb_exchange_time_offset(const struct sb_exchange *ex)
{
	return ok(ex) ? ex->ops->time_offset(ex) : 0;
}

sb_err sb_exchange_exchange_info(struct sb_exchange *ex, const char *const *symbols, size_t n,
                                 sb_bn_rest_info_cb cb, void *user)
{
	if (!ok(ex) || !cb || (n > 0 && !symbols))
		return SB_ERR_INVALID;
	return ex->ops->exchange_info(ex, symbols, n, cb, user);
}

sb_err sb_exchange_commission(struct sb_exchange *ex, const char *symbol, sb_bn_rest_commission_cb cb,
                              void *user)
{
	if (!ok(ex) || !symbol || !cb)
		return SB_ERR_INVALID;
	return ex->ops->commission(ex, symbol, cb, user);
}

sb_err sb_exchange_book_ticker(struct sb_exchange *ex, const char *symbol, sb_bn_rest_tickers_cb cb,
                               void *user)
{
	if (!ok(ex) || !cb)
		return SB_ERR_INVALID;
	return ex->ops->book_ticker(ex, symbol, cb, user);
}

sb_err sb_exchange_order_place(struct sb_exchange *ex, const struct sb_bn_new_order *o,
                               sb_bn_rest_order_cb cb, void *user)
{
	if (!ok(ex) || !o || !o->symbol || !cb)
		return SB_ERR_INVALID;
	return ex->ops->order_place(ex, o, cb, user);
}

sb_err sb_exchange_order_query(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
                               sb_bn_rest_order_cb cb, void *user)
{
	if (!ok(ex) || !symbol || !client_order_id || !cb)
		return SB_ERR_INVALID;
	return ex->ops->order_query(ex, symbol, client_order_id, cb, user);
}

sb_err sb_exchange_order_cancel(struct sb_exchange *ex, const char *symbol, const char *client_order_id,
                                sb_bn_rest_order_cb cb, void *user)
{
	if (!ok(ex) || !symbol || !client_order_id || !cb)
		return SB_ERR_INVALID;
	return ex->ops->order_cancel(ex, symbol, client_order_id, cb, user);
}

sb_err sb_exchange_open_orders(struct sb_exchange *ex, const char *symbol, sb_bn_rest_orders_cb cb,
                               void *user)
{
	if (!ok(ex) || !cb)
		return SB_ERR_INVALID;
	return ex->ops->open_orders(ex, symbol, cb, user);
}

sb_err sb_exchange_my_trades(struct sb_exchange *ex, const char *symbol, int64_t order_id,
                             sb_bn_rest_trades_cb cb, void *user)
{
	if (!ok(ex) || !symbol || !cb)
		return SB_ERR_INVALID;
	return ex->ops->my_trades(ex, symbol, order_id, cb, user);
}

void sb_exchange_streams_start(struct sb_exchange *ex, const char *const *symbols, size_t n)
{
	if (ok(ex) && (n == 0 || symbols))
		ex->ops->streams_start(ex, symbols, n);
}

sb_err sb_exchange_market_add(struct sb_exchange *ex, const char *symbol)
{
	if (!ok(ex) || !symbol)
		return SB_ERR_INVALID;
	return ex->ops->market_add(ex, symbol);
}

sb_err sb_exchange_market_remove(struct sb_exchange *ex, const char *symbol)
{
	if (!ok(ex) || !symbol)
		return SB_ERR_INVALID;
	return ex->ops->market_remove(ex, symbol);
}

bool sb_exchange_market_synced(const struct sb_exchange *ex)
{
	return ok(ex) && ex->ops->market_synced(ex);
}

bool sb_exchange_user_subscribed(const struct sb_exchange *ex)
{
	return ok(ex) && ex->ops->user_subscribed(ex);
}

void sb_exchange_stats(const struct sb_exchange *ex, struct sb_exchange_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (ok(ex))
		ex->ops->stats(ex, out);
}

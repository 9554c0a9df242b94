/*
 * bt_market.c - the market side of the in-process exchange: the market steps a backtest feeds it (one
 * trade, or a candle walked as spotsim's replay walks it, sim/market.h) and the events they cause. Every
 * market event goes through spotsim's own sim_exchange_apply, so resting orders fill as they would under
 * spotsim's replay; the exchange's market hook then queues the account's executions and the new book top
 * (the daemon's market stream carries book tickers only, so no public trade), and they are delivered
 * before the next market event applies.
 */
#include <string.h>

#include "backtest/bt_exchange_int.h"
#include "sim/market.h"

static void on_market(void *ctx, struct sim_symbol *sym, const struct sim_event *ev, int64_t trade_id,
                      int64_t time_ms)
{
	struct bt_exchange *x = ctx;
	(void)ev;
	(void)trade_id;
	(void)time_ms;
	bt_queue_user_events(x, sym, &x->sim->scratch);
	bt_queue_market_events(x, sym);
}

void bt_market_hooks(struct bt_exchange *x)
{
	x->sim->hooks = (struct sim_exchange_hooks){.ctx = x, .market = on_market};
}

/* Applies one market event at its own time, after the clock has reached it, and delivers what it caused. */
static void apply(struct bt_exchange *x, struct sim_symbol *s, const struct sim_event *ev)
{
	if (x->clock.reach)
		x->clock.reach(x->clock.user, ev->time_ms);
	s->market_ms = ev->time_ms;
	sim_exchange_apply(x->sim, s, ev, ev->time_ms);
	bt_pump(x);
}

sb_err bt_market_trade(struct bt_exchange *x, const struct sb_bn_trade *t)
{
	if (!t || t->qty <= 0)
		return SB_ERR_INVALID;
	struct sim_symbol *s = sim_exchange_symbol(x->sim, t->symbol, strlen(t->symbol));
	if (!s)
		return SB_ERR_NOT_FOUND;
	struct sim_event ev;
	SB_TRY(sim_exchange_price_event(s, t->price, t->qty, &ev));
	ev.time_ms = t->trade_time;
	ev.buyer_is_maker = t->buyer_maker;
	apply(x, s, &ev);
	return SB_OK;
}

static struct sb_kline kline_of(const struct sb_bn_candle *c)
{
	return (struct sb_kline){
	    .open_time = c->open_time,
	    .close_time = c->close_time,
	    .open = c->open,
	    .high = c->high,
	    .low = c->low,
	    .close = c->close,
	    .volume = c->volume,
	    .quote_volume = c->quote_volume,
	    .trades = c->trades,
	    .taker_buy_volume = c->taker_buy_base,
	    .taker_buy_quote_volume = c->taker_buy_quote,
	};
}

sb_err bt_market_candle(struct bt_exchange *x, const char *symbol, const struct sb_bn_candle *c)
{
	if (!symbol || !c)
		return SB_ERR_INVALID;
	struct sim_symbol *s = sim_exchange_symbol(x->sim, symbol, strlen(symbol));
	if (!s)
		return SB_ERR_NOT_FOUND;
	struct sb_kline k = kline_of(c);
	struct sim_feed *feed = NULL;
	/* Each candle's volume split gets its own seed, so candles of equal shape differ. */
	SB_TRY(sim_feed_new_replay(&k, 1, s->rules.price.tick_size, s->rules.lot.step_size,
	                           x->seed ^ (uint64_t)c->open_time, &feed));
	if (x->path_trades)
		sim_feed_replay_max_trades(feed, x->path_trades);
	struct sim_event ev;
	while (sim_feed_next(feed, &ev) == SB_OK && ev.kind == SIM_EVENT_TRADE)
		apply(x, s, &ev);
	sim_feed_free(feed);
	return SB_OK;
}

/*
 * ledger.c - accounts, balances and settlement behind sim/ledger.h.
 *
 * Accounts live in one array indexed by id; each has a small array of balances searched linearly (a
 * few assets per account). Money only moves through credit() and debit(), and debit() refuses to take
 * a user account below zero with SB_ERR_STATE rather than aborting, so a bookkeeping bug surfaces as an
 * error the server can log. Settlement runs after the book has matched: fills first (each moves locked
 * funds of the paying side, credits the receiving side net of commission and the fee account with the
 * commission), then the release of whatever an order that ended still holds - a LIMIT BUY that filled
 * below its price, an IOC remainder, a cancel.
 */
#include "sim/ledger.h"

#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

struct account {
	char api_key[SIM_API_KEY_MAX + 1]; /* identity; "" for the market and fee accounts */
	sb_dec maker_rate;                 /* commission rate as maker */
	sb_dec taker_rate;                 /* commission rate as taker */
	bool bnb_fees;                     /* pay commissions in BNB when possible */
	struct sim_ledger_asset *bal;      /* balances, in order of first use */
	size_t n_bal;                      /* balances used */
};

struct sim_ledger {
	struct account *acc; /* indexed by id */
	uint32_t n_acc;      /* accounts in use */
	uint32_t cap_acc;    /* accounts allocated (grows to SIM_LEDGER_MAX_ACCOUNTS) */
};

sb_err sim_ledger_new(struct sim_ledger **out)
{
	if (!out)
		return SB_ERR_INVALID;
	struct sim_ledger *l = sb_xcalloc(1, sizeof(*l));
	l->cap_acc = 16;
	l->acc = sb_xcalloc(l->cap_acc, sizeof(*l->acc));
	l->n_acc = 2; /* the market and the fee collector pay no commission */
	*out = l;
	return SB_OK;
}

void sim_ledger_free(struct sim_ledger *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->n_acc; i++)
		free(l->acc[i].bal);
	free(l->acc);
	free(l);
}

uint32_t sim_ledger_count(const struct sim_ledger *l)
{
	return l ? l->n_acc : 0;
}

static struct account *acct(const struct sim_ledger *l, uint32_t id)
{
	return l && id < l->n_acc ? &l->acc[id] : NULL;
}

sb_err sim_ledger_find(const struct sim_ledger *l, const char *api_key, size_t len, uint32_t *id)
{
	if (!l || !api_key || !id || len == 0 || len > SIM_API_KEY_MAX)
		return SB_ERR_NOT_FOUND;
	for (uint32_t i = 2; i < l->n_acc; i++) {
		if (strlen(l->acc[i].api_key) == len && memcmp(l->acc[i].api_key, api_key, len) == 0) {
			*id = i;
			return SB_OK;
		}
	}
	return SB_ERR_NOT_FOUND;
}

sb_err sim_ledger_add_account(struct sim_ledger *l, const char *api_key, uint32_t *id)
{
	uint32_t existing;
	if (!l || !api_key || !*api_key)
		return SB_ERR_INVALID;
	size_t len = strlen(api_key);
	if (len > SIM_API_KEY_MAX)
		return SB_ERR_TOO_LONG;
	if (sim_ledger_find(l, api_key, len, &existing) == SB_OK)
		return SB_ERR_EXISTS;
	if (l->n_acc >= SIM_LEDGER_MAX_ACCOUNTS)
		return SB_ERR_RANGE;
	if (l->n_acc == l->cap_acc) {
		l->cap_acc *= 2;
		l->acc = sb_xrealloc(l->acc, l->cap_acc * sizeof(*l->acc));
		memset(&l->acc[l->n_acc], 0, (l->cap_acc - l->n_acc) * sizeof(*l->acc));
	}
	struct account *a = &l->acc[l->n_acc];
	memcpy(a->api_key, api_key, len + 1);
	a->maker_rate = SIM_LEDGER_DEFAULT_RATE;
	a->taker_rate = SIM_LEDGER_DEFAULT_RATE;
	if (id)
		*id = l->n_acc;
	l->n_acc++;
	return SB_OK;
}

sb_err sim_ledger_set_rates(struct sim_ledger *l, uint32_t id, sb_dec maker, sb_dec taker)
{
	struct account *a = acct(l, id);
	if (!a)
		return SB_ERR_NOT_FOUND;
	if (maker < 0 || maker >= SB_DEC_ONE || taker < 0 || taker >= SB_DEC_ONE)
		return SB_ERR_RANGE;
	a->maker_rate = maker;
	a->taker_rate = taker;
	return SB_OK;
}

sb_err sim_ledger_rates(const struct sim_ledger *l, uint32_t id, sb_dec *maker, sb_dec *taker)
{
	const struct account *a = acct(l, id);
	if (!a)
		return SB_ERR_NOT_FOUND;
	if (maker)
		*maker = a->maker_rate;
	if (taker)
		*taker = a->taker_rate;
	return SB_OK;
}

sb_err sim_ledger_set_bnb_fees(struct sim_ledger *l, uint32_t id, bool on)
{
	struct account *a = acct(l, id);
	if (!a)
		return SB_ERR_NOT_FOUND;
	a->bnb_fees = on;
	return SB_OK;
}

bool sim_ledger_bnb_fees(const struct sim_ledger *l, uint32_t id)
{
	const struct account *a = acct(l, id);
	return a && a->bnb_fees;
}

/* ---- balances ---- */

static const struct sim_ledger_asset *find_bal(const struct account *a, const char *asset)
{
	for (size_t i = 0; i < a->n_bal; i++)
		if (strcmp(a->bal[i].asset, asset) == 0)
			return &a->bal[i];
	return NULL;
}

/* The balance of asset, created at zero on first use; NULL when the account holds too many assets. */
static struct sim_ledger_asset *get_bal(struct account *a, const char *asset)
{
	for (size_t i = 0; i < a->n_bal; i++)
		if (strcmp(a->bal[i].asset, asset) == 0)
			return &a->bal[i];
	size_t len = strlen(asset);
	if (a->n_bal >= SIM_LEDGER_MAX_ASSETS || len == 0 || len > SIM_ASSET_MAX)
		return NULL;
	a->bal = sb_xrealloc(a->bal, (a->n_bal + 1) * sizeof(*a->bal));
	struct sim_ledger_asset *b = &a->bal[a->n_bal++];
	memset(b, 0, sizeof(*b));
	memcpy(b->asset, asset, len + 1);
	return b;
}

/* Which part of a balance a movement touches. */
enum part {
	FREE,
	LOCKED,
};

static sb_err credit(struct sim_ledger *l, uint32_t id, const char *asset, enum part part, sb_dec amount)
{
	struct account *a = acct(l, id);
	struct sim_ledger_asset *b = a ? get_bal(a, asset) : NULL;
	if (!b)
		return a ? SB_ERR_RANGE : SB_ERR_NOT_FOUND;
	return sb_dec_add(part == FREE ? b->free : b->locked, amount, part == FREE ? &b->free : &b->locked);
}

/* Takes amount from a balance; a user or fee account never goes below zero (SB_ERR_STATE), the market
 * account may. */
static sb_err debit(struct sim_ledger *l, uint32_t id, const char *asset, enum part part, sb_dec amount)
{
	struct account *a = acct(l, id);
	struct sim_ledger_asset *b = a ? get_bal(a, asset) : NULL;
	if (!b)
		return a ? SB_ERR_RANGE : SB_ERR_NOT_FOUND;
	sb_dec *v = part == FREE ? &b->free : &b->locked;
	if (id != SIM_LEDGER_MARKET && *v < amount)
		return SB_ERR_STATE;
	return sb_dec_sub(*v, amount, v);
}

sb_err sim_ledger_deposit(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec amount)
{
	if (!l || !asset || amount <= 0)
		return SB_ERR_INVALID;
	return credit(l, id, asset, FREE, amount);
}

sb_err sim_ledger_restore(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec free_amount,
                          sb_dec locked)
{
	if (!l || !asset)
		return SB_ERR_INVALID;
	if (id != SIM_LEDGER_MARKET && (free_amount < 0 || locked < 0))
		return SB_ERR_RANGE;
	struct account *a = acct(l, id);
	struct sim_ledger_asset *b = a ? get_bal(a, asset) : NULL;
	if (!b)
		return a ? SB_ERR_RANGE : SB_ERR_NOT_FOUND;
	b->free = free_amount;
	b->locked = locked;
	return SB_OK;
}

sb_err sim_ledger_withdraw(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec amount)
{
	if (!l || !asset || amount <= 0)
		return SB_ERR_INVALID;
	const struct account *a = acct(l, id);
	if (!a)
		return SB_ERR_NOT_FOUND;
	const struct sim_ledger_asset *b = find_bal(a, asset);
	if (!b || b->free < amount)
		return SB_ERR_RANGE;
	return debit(l, id, asset, FREE, amount);
}

sb_err sim_ledger_balance(const struct sim_ledger *l, uint32_t id, const char *asset,
                          struct sim_ledger_asset *out)
{
	const struct account *a = acct(l, id);
	if (!a || !asset || !out)
		return a ? SB_ERR_INVALID : SB_ERR_NOT_FOUND;
	const struct sim_ledger_asset *b = find_bal(a, asset);
	memset(out, 0, sizeof(*out));
	size_t len = strlen(asset);
	memcpy(out->asset, asset, len > SIM_ASSET_MAX ? SIM_ASSET_MAX : len);
	if (b) {
		out->free = b->free;
		out->locked = b->locked;
	}
	return SB_OK;
}

sb_err sim_ledger_balances(const struct sim_ledger *l, uint32_t id, const struct sim_ledger_asset **out,
                           size_t *n)
{
	const struct account *a = acct(l, id);
	if (!a || !out || !n)
		return a ? SB_ERR_INVALID : SB_ERR_NOT_FOUND;
	*out = a->bal;
	*n = a->n_bal;
	return SB_OK;
}

sb_err sim_ledger_total(const struct sim_ledger *l, const char *asset, sb_dec *out)
{
	if (!l || !asset || !out)
		return SB_ERR_INVALID;
	sb_dec sum = 0;
	for (uint32_t i = 0; i < l->n_acc; i++) {
		const struct sim_ledger_asset *b = find_bal(&l->acc[i], asset);
		if (!b)
			continue;
		sb_err err = sb_dec_add(sum, b->free, &sum);
		if (!err)
			err = sb_dec_add(sum, b->locked, &sum);
		if (err)
			return err;
	}
	*out = sum;
	return SB_OK;
}

/* ---- settlement ---- */

/* Moves amount of asset from free to locked (lock) or back (release). */
static sb_err move(struct sim_ledger *l, uint32_t id, const char *asset, sb_dec amount, bool lock)
{
	if (amount == 0)
		return SB_OK;
	sb_err err = debit(l, id, asset, lock ? FREE : LOCKED, amount);
	if (!err)
		err = credit(l, id, asset, lock ? LOCKED : FREE, amount);
	return err;
}

sb_err sim_ledger_required(const struct sim_book *book, const struct sim_book_req *req, const char **asset,
                           sb_dec *amount)
{
	if (!book || !req || !asset || !amount)
		return SB_ERR_INVALID;
	*asset = req->side == SB_SIDE_BUY ? sim_book_quote(book) : sim_book_base(book);
	if (req->type != SB_ORDER_MARKET) {
		if (req->side == SB_SIDE_SELL) {
			*amount = req->qty;
			return SB_OK;
		}
		/* Rounded up: the sum of the fills' rounded-down costs never exceeds it. */
		return sb_dec_mul(req->price, req->qty, SB_ROUND_UP, amount);
	}
	if (req->side == SB_SIDE_SELL && req->qty > 0) {
		*amount = req->qty;
		return SB_OK;
	}
	/* A MARKET BUY holds what the current book would charge; a SELL by quote, the base it would give. */
	struct sim_book_estimate pv;
	sb_err err = sim_book_preview(book, req, &pv);
	if (err)
		return err;
	*amount = req->side == SB_SIDE_BUY ? pv.quote : pv.qty;
	return SB_OK;
}

/* The commission one side of a fill owes: in BNB when the account opted in and can pay, else in the
 * asset it receives. value is the fill's quote amount, which BNB commissions are priced from. */
static sb_err commission(struct sim_ledger *l, uint32_t id, bool maker, const char *recv_asset, sb_dec recv,
                         sb_dec value, sb_dec bnb_price, sb_dec *fee, const char **fee_asset)
{
	const struct account *a = acct(l, id);
	if (!a)
		return SB_ERR_NOT_FOUND;
	sb_dec rate = maker ? a->maker_rate : a->taker_rate, bnb_rate, bnb_fee;
	if (a->bnb_fees && bnb_price > 0 &&
	    sb_dec_mul(rate, SIM_LEDGER_BNB_FACTOR, SB_ROUND_UP, &bnb_rate) == SB_OK &&
	    sb_dec_muldiv(value, bnb_rate, bnb_price, SB_ROUND_UP, &bnb_fee) == SB_OK) {
		const struct sim_ledger_asset *b = find_bal(a, SIM_LEDGER_BNB);
		if (b && b->free >= bnb_fee) {
			*fee = bnb_fee;
			*fee_asset = SIM_LEDGER_BNB;
			return SB_OK;
		}
	}
	*fee_asset = recv_asset;
	/* Rounded up to 8 places (the exchange never undercharges); rate < 1 keeps it <= recv. */
	return sb_dec_mul(recv, rate, SB_ROUND_UP, fee);
}

/* Pays a commission to the fee account; a commission in the received asset is deducted from recv. */
static sb_err pay_fee(struct sim_ledger *l, uint32_t id, const char *recv_asset, sb_dec *recv, sb_dec fee,
                      const char *fee_asset)
{
	sb_err err = SB_OK;
	if (fee == 0)
		return SB_OK;
	if (strcmp(fee_asset, recv_asset) == 0)
		*recv -= fee;
	else
		err = debit(l, id, fee_asset, FREE, fee);
	if (!err)
		err = credit(l, SIM_LEDGER_FEES, fee_asset, FREE, fee);
	return err;
}

/* Takes what one side of a fill gives up out of its order's lock (a user) or its free balance (the
 * market). */
static sb_err give(struct sim_ledger *l, struct sim_book *book, uint32_t id, uint64_t order_id,
                   const char *asset, sb_dec amount)
{
	if (id == SIM_LEDGER_MARKET)
		return debit(l, id, asset, FREE, amount);
	struct sim_book_order *o = sim_book_find(book, order_id);
	if (!o || o->locked < amount)
		return SB_ERR_STATE;
	sb_err err = debit(l, id, asset, LOCKED, amount);
	if (!err)
		o->locked -= amount;
	return err;
}

/* Settles one side (the buyer or the seller) of fill f. */
static sb_err settle_side(struct sim_ledger *l, struct sim_book *book, struct sim_book_fill *f, bool buyer,
                          sb_dec bnb_price)
{
	uint32_t id = buyer ? f->buyer_account : f->seller_account;
	uint64_t oid = buyer ? f->buyer_order_id : f->seller_order_id;
	const char *pay_asset = buyer ? sim_book_quote(book) : sim_book_base(book);
	const char *recv_asset = buyer ? sim_book_base(book) : sim_book_quote(book);
	sb_dec pay = buyer ? f->quote_qty : f->qty, recv = buyer ? f->qty : f->quote_qty, fee = 0;
	const char *fee_asset = "";
	bool maker = buyer == f->buyer_is_maker;
	sb_err err = give(l, book, id, oid, pay_asset, pay);
	if (!err && id != SIM_LEDGER_MARKET) {
		err = commission(l, id, maker, recv_asset, recv, f->quote_qty, bnb_price, &fee, &fee_asset);
		if (!err)
			err = pay_fee(l, id, recv_asset, &recv, fee, fee_asset);
	}
	if (!err)
		err = credit(l, id, recv_asset, FREE, recv);
	if (err)
		return err;
	sb_dec *out_fee = buyer ? &f->buyer_commission : &f->seller_commission;
	char *out_asset = buyer ? f->buyer_commission_asset : f->seller_commission_asset;
	*out_fee = fee;
	memset(out_asset, 0, SIM_ASSET_MAX + 1);
	memcpy(out_asset, fee_asset, strnlen(fee_asset, SIM_ASSET_MAX));
	return SB_OK;
}

/* Returns what an ended order still holds to its owner's free balance. */
static sb_err release(struct sim_ledger *l, struct sim_book *book, struct sim_book_order *o)
{
	if (o->locked == 0)
		return SB_OK;
	const char *asset = o->side == SB_SIDE_BUY ? sim_book_quote(book) : sim_book_base(book);
	sb_err err = move(l, o->account, asset, o->locked, false);
	if (!err)
		o->locked = 0;
	return err;
}

/* An open order holds more than its remainder needs when a BUY filled below its limit, or when self-trade
 * prevention took quantity from it (DECREMENT); return the difference now, as the exchange does, instead
 * of when the order ends. */
static sb_err trim(struct sim_ledger *l, struct sim_book *book, struct sim_book_order *o)
{
	sb_dec need = o->orig_qty - o->executed_qty - o->prevented_qty, extra;
	if (o->type == SB_ORDER_MARKET)
		return SB_OK;
	sb_err err = o->side == SB_SIDE_BUY ? sb_dec_mul(o->price, need, SB_ROUND_UP, &need) : SB_OK;
	if (err || o->locked <= need)
		return err;
	extra = o->locked - need;
	err = move(l, o->account, o->side == SB_SIDE_BUY ? sim_book_quote(book) : sim_book_base(book), extra,
	           false);
	if (!err)
		o->locked = need;
	return err;
}

static bool ends(const struct sim_book_event *e)
{
	return e->exec == SIM_EXEC_CANCELED || e->exec == SIM_EXEC_EXPIRED || e->status == SB_ORDER_FILLED ||
	       e->status == SB_ORDER_EXPIRED_IN_MATCH;
}

/* Settles the fills and events res gained since (fill0, event0). */
static sb_err settle(struct sim_ledger *l, struct sim_book *book, struct sim_book_result *res, size_t fill0,
                     size_t event0, sb_dec bnb_price)
{
	for (size_t i = fill0; i < res->n_fills; i++) {
		sb_err err = settle_side(l, book, &res->fills[i], true, bnb_price);
		if (!err)
			err = settle_side(l, book, &res->fills[i], false, bnb_price);
		if (err)
			return err;
	}
	for (size_t i = event0; i < res->n_events; i++) {
		struct sim_book_event *e = &res->events[i];
		if (e->exec == SIM_EXEC_TRADE) {
			const struct sim_book_fill *f = &res->fills[e->fill];
			bool buyer = f->buyer_order_id == e->order_id;
			e->commission = buyer ? f->buyer_commission : f->seller_commission;
			memcpy(e->commission_asset,
			       buyer ? f->buyer_commission_asset : f->seller_commission_asset,
			       sizeof(e->commission_asset));
		}
		struct sim_book_order *o = sim_book_find(book, e->order_id);
		if (!o)
			return SB_ERR_STATE;
		sb_err err = SB_OK;
		if (ends(e))
			err = release(l, book, o);
		else if (e->exec == SIM_EXEC_TRADE || e->exec == SIM_EXEC_TRADE_PREVENTION)
			/* idempotent: uses the order's state after all fills */
			err = trim(l, book, o);
		if (err)
			return err;
	}
	return SB_OK;
}

sb_err sim_ledger_place(struct sim_ledger *l, struct sim_book *book, const struct sim_book_req *req,
                        sb_dec bnb_price, struct sim_book_result *res)
{
	if (!l || !book || !req || !res)
		return SB_ERR_INVALID;
	if (req->account < 2 || req->account >= l->n_acc)
		return SB_ERR_INVALID;
	res->order_id = 0;
	sb_err err = sim_book_check(book, req, &res->reject);
	if (err)
		return err;
	const char *asset;
	sb_dec need;
	err = sim_ledger_required(book, req, &asset, &need);
	if (err)
		return err;
	struct sim_ledger_asset b;
	sim_ledger_balance(l, req->account, asset, &b);
	if (b.free < need) {
		res->reject = SIM_REJECT_INSUFFICIENT_BALANCE;
		return SB_ERR_EXCHANGE;
	}
	err = move(l, req->account, asset, need, true);
	if (err)
		return err;
	size_t fill0 = res->n_fills, event0 = res->n_events;
	err = sim_book_place(book, req, res);
	struct sim_book_order *o = res->order_id ? sim_book_find(book, res->order_id) : NULL;
	if (!o) { /* refused: nothing was created, so give the funds back */
		sb_err err2 = move(l, req->account, asset, need, false);
		return err ? err : err2;
	}
	o->locked = need;
	/* Settle even after an error part-way (an overflow in a sum): the fills that happened are real. */
	sb_err err2 = settle(l, book, res, fill0, event0, bnb_price);
	return err ? err : err2;
}

sb_err sim_ledger_cancel(struct sim_ledger *l, struct sim_book *book, uint64_t order_id, int64_t time,
                         struct sim_book_result *res)
{
	if (!l || !book || !res)
		return SB_ERR_INVALID;
	size_t fill0 = res->n_fills, event0 = res->n_events;
	sb_err err = sim_book_cancel(book, order_id, time, res);
	return err ? err : settle(l, book, res, fill0, event0, 0);
}

sb_err sim_ledger_cancel_all(struct sim_ledger *l, struct sim_book *book, uint32_t account, int64_t time,
                             struct sim_book_result *res)
{
	if (!l || !book || !res)
		return SB_ERR_INVALID;
	size_t fill0 = res->n_fills, event0 = res->n_events;
	sb_err err = sim_book_cancel_all(book, account, time, res);
	return err ? err : settle(l, book, res, fill0, event0, 0);
}

sb_err sim_ledger_market_trade(struct sim_ledger *l, struct sim_book *book, sb_dec price, sb_dec volume,
                               int64_t time, sb_dec bnb_price, struct sim_book_result *res)
{
	if (!l || !book || !res)
		return SB_ERR_INVALID;
	size_t fill0 = res->n_fills, event0 = res->n_events;
	sb_err err = sim_book_market_trade(book, price, volume, time, res);
	sb_err err2 = settle(l, book, res, fill0, event0, bnb_price);
	return err ? err : err2;
}

sb_err sim_ledger_set_quotes(struct sim_ledger *l, struct sim_book *book, const struct sim_book_level *bids,
                             size_t n_bids, const struct sim_book_level *asks, size_t n_asks, int64_t time,
                             sb_dec bnb_price, struct sim_book_result *res)
{
	if (!l || !book || !res)
		return SB_ERR_INVALID;
	size_t fill0 = res->n_fills, event0 = res->n_events;
	sb_err err = sim_book_set_quotes(book, bids, n_bids, asks, n_asks, time, res);
	sb_err err2 = settle(l, book, res, fill0, event0, bnb_price);
	return err ? err : err2;
}

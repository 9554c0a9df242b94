/*
 * book.c - the matching engine behind sim/book.h.
 *
 * Each side of resting user orders is a sorted array of pointers with the best order at the END, so the
 * common case - the best order fills and leaves - is a pop, and a new order lands with one binary search
 * and one memmove. Bids are sorted by (price ascending, seq descending), asks by (price descending, seq
 * descending): later in the array means better. The external ladder is a small array per side, best
 * first. Orders are found by id and by (account, clientOrderId) through two chained hash tables; closed
 * orders stay queryable in a FIFO until max_closed is exceeded, and are evicted at the start of the next
 * mutating call so that everything a result names is still there while the caller reads it.
 *
 * One walk() serves both the dry run (preview: FOK, LIMIT_MAKER, balance checks) and the real match, so
 * the two can never disagree about what an order would do - self-trade prevention included.
 */
#include "sim/book.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/alloc.h"

/* One side of resting user orders; v[n-1] is the best. */
struct side {
	struct sim_book_order **v; /* sorted, worst first */
	size_t n;                  /* orders resting */
};

struct sim_book {
	char symbol[SIM_SYMBOL_MAX + 1]; /* e.g. "BTCUSDT" */
	char base[SIM_ASSET_MAX + 1];    /* e.g. "BTC" */
	char quote[SIM_ASSET_MAX + 1];   /* e.g. "USDT" */
	uint32_t max_open;               /* cap on resting orders (each side array holds this many) */
	uint32_t max_closed;             /* closed orders kept for queries */
	enum sim_fill_model fill;        /* when the market's trades and quotes reach a resting order */
	struct side bids;                /* resting buys */
	struct side asks;                /* resting sells */
	struct sim_book_level lad_bids[SIM_BOOK_MAX_LEVELS]; /* external bids, best (highest) first */
	struct sim_book_level lad_asks[SIM_BOOK_MAX_LEVELS]; /* external asks, best (lowest) first */
	size_t n_lad_bids;                                   /* levels in lad_bids */
	size_t n_lad_asks;                                   /* levels in lad_asks */
	uint64_t next_order_id;                              /* next orderId */
	uint64_t next_seq;                                   /* next arrival sequence */
	int64_t next_trade_id;                               /* next trade id */
	int64_t next_prevented_id;                           /* next preventedMatchId */
	struct sim_book_order **by_id;                       /* hash buckets by id */
	struct sim_book_order **by_cid;                      /* hash buckets by (account, client id) */
	size_t mask;                                         /* bucket count - 1 (power of two) */
	struct sim_book_order *closed_head;                  /* oldest closed order */
	struct sim_book_order *closed_tail;                  /* newest closed order */
	size_t n_closed;                                     /* closed orders held */
};

/* Why a walk stopped. */
enum stop {
	STOP_COMPLETE,  /* the order's quantity (or quote) is used up */
	STOP_PRICE,     /* the next price no longer crosses the limit */
	STOP_LIQUIDITY, /* nothing left on the other side */
	STOP_PREVENTED, /* self-trade prevention expired the order */
};

/* What the incoming order wants; the walk consumes qty_left or quote_left. */
struct want {
	enum sb_side side;     /* taker side */
	bool has_limit;        /* LIMIT / LIMIT_MAKER */
	sb_dec limit;          /* limit price when has_limit */
	bool by_quote;         /* MARKET by quoteOrderQty */
	sb_dec qty_left;       /* base still wanted (by quantity) */
	sb_dec quote_left;     /* quote still to spend or receive (by quote) */
	sb_dec step;           /* floor for by-quote fills */
	uint32_t account;      /* taker's owner, for self-trade prevention */
	enum sim_stp_mode stp; /* taker's selfTradePreventionMode */
};

/* What a walk did (or would do). */
struct walk_out {
	sb_dec qty;           /* base filled */
	sb_dec quote;         /* quote filled */
	bool any_match;       /* the first source crossed */
	bool taker_prevented; /* self-trade prevention took quantity from the taker */
	enum stop stop;       /* why it ended */
};

/* What self-trade prevention takes from each side of one would-be match. */
struct prevention {
	sb_dec taker_qty; /* taken from the taker (base) */
	sb_dec maker_qty; /* taken from the maker */
	bool taker_ends;  /* the taker has nothing left */
	bool maker_ends;  /* the maker has nothing left */
};

/* ---- names ---- */

bool sim_book_status_held(enum sb_order_state status)
{
	switch (status) {
	case SB_ORDER_NEW:
	case SB_ORDER_PARTIALLY_FILLED:
	case SB_ORDER_FILLED:
	case SB_ORDER_CANCELED:
	case SB_ORDER_EXPIRED:
	case SB_ORDER_EXPIRED_IN_MATCH:
		return true;
	default:
		return false;
	}
}

const char *sim_book_exec_name(enum sim_book_exec exec)
{
	static const char *const names[] = {"NEW", "TRADE", "CANCELED", "EXPIRED", "TRADE_PREVENTION"};
	return (unsigned)exec < sizeof(names) / sizeof(names[0]) ? names[exec] : "UNKNOWN";
}

const char *sim_book_expiry_name(enum sim_book_expiry expiry)
{
	static const char *const names[] = {"NONE", "UNFILLED_IOC_QUANTITY_EXPIRED",
	                                    "UNFILLED_FOK_ORDER_EXPIRED", "INSUFFICIENT_LIQUIDITY"};
	return (unsigned)expiry < sizeof(names) / sizeof(names[0]) ? names[expiry] : "NONE";
}

const char *sim_book_reject_msg(enum sim_book_reject reject)
{
	switch (reject) {
	case SIM_REJECT_DUPLICATE:
		return "Duplicate order sent.";
	case SIM_REJECT_WOULD_MATCH:
		return "Order would immediately match and take.";
	case SIM_REJECT_INSUFFICIENT_BALANCE:
		return "Account has insufficient balance for requested action.";
	case SIM_REJECT_TOO_MANY_ORDERS:
		return "Too many open orders.";
	case SIM_REJECT_NONE:
	default:
		return "";
	}
}

/* ---- results ---- */

void sim_book_result_init(struct sim_book_result *res)
{
	memset(res, 0, sizeof(*res));
}

void sim_book_result_clear(struct sim_book_result *res)
{
	res->n_events = 0;
	res->n_fills = 0;
	res->n_prevented = 0;
	res->order_id = 0;
	res->reject = SIM_REJECT_NONE;
}

void sim_book_result_fini(struct sim_book_result *res)
{
	if (!res)
		return;
	free(res->events);
	free(res->fills);
	free(res->prevented);
	memset(res, 0, sizeof(*res));
}

static struct sim_book_event *push_event(struct sim_book_result *res, const struct sim_book_order *o,
                                         enum sim_book_exec exec, int64_t time)
{
	if (res->n_events == res->cap_events) {
		res->cap_events = res->cap_events ? res->cap_events * 2 : 16;
		res->events = sb_xrealloc(res->events, res->cap_events * sizeof(*res->events));
	}
	struct sim_book_event *e = &res->events[res->n_events++];
	memset(e, 0, sizeof(*e));
	e->order_id = o->id;
	e->account = o->account;
	e->exec = exec;
	e->status = o->status;
	e->expiry = o->expiry;
	e->executed_qty = o->executed_qty;
	e->cum_quote_qty = o->cum_quote_qty;
	e->fill = SIZE_MAX;
	e->trade_id = -1;
	e->prevented_match_id = o->prevented_match_id;
	e->prevented_qty = o->prevented_qty;
	e->time = time;
	return e;
}

static struct sim_book_fill *push_fill(struct sim_book_result *res)
{
	if (res->n_fills == res->cap_fills) {
		res->cap_fills = res->cap_fills ? res->cap_fills * 2 : 16;
		res->fills = sb_xrealloc(res->fills, res->cap_fills * sizeof(*res->fills));
	}
	struct sim_book_fill *f = &res->fills[res->n_fills++];
	memset(f, 0, sizeof(*f));
	return f;
}

/* ---- lifetime and hashing ---- */

static size_t cid_hash(uint32_t account, const char *cid, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ account; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)cid[i];
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

sb_err sim_book_new(const char *symbol, const char *base, const char *quote, uint32_t max_open,
                    uint32_t max_closed, struct sim_book **out)
{
	if (!symbol || !base || !quote || !out || strlen(symbol) > SIM_SYMBOL_MAX ||
	    strlen(base) > SIM_ASSET_MAX || strlen(quote) > SIM_ASSET_MAX || !*symbol || !*base || !*quote)
		return SB_ERR_INVALID;
	struct sim_book *b = sb_xcalloc(1, sizeof(*b));
	memcpy(b->symbol, symbol, strlen(symbol) + 1);
	memcpy(b->base, base, strlen(base) + 1);
	memcpy(b->quote, quote, strlen(quote) + 1);
	b->max_open = max_open ? max_open : SIM_BOOK_DEFAULT_OPEN;
	b->max_closed = max_closed ? max_closed : SIM_BOOK_DEFAULT_CLOSED;
	b->bids.v = sb_xcalloc(b->max_open, sizeof(*b->bids.v));
	b->asks.v = sb_xcalloc(b->max_open, sizeof(*b->asks.v));
	size_t want = (size_t)b->max_open + b->max_closed, n = 64;
	while (n < want)
		n *= 2;
	b->mask = n - 1;
	b->by_id = sb_xcalloc(n, sizeof(*b->by_id));
	b->by_cid = sb_xcalloc(n, sizeof(*b->by_cid));
	b->next_order_id = 1;
	b->next_seq = 1;
	b->next_trade_id = 1;
	*out = b;
	return SB_OK;
}

void sim_book_free(struct sim_book *book)
{
	if (!book)
		return;
	for (size_t i = 0; i <= book->mask; i++) {
		struct sim_book_order *o = book->by_id[i];
		while (o) {
			struct sim_book_order *next = o->next_by_id;
			free(o);
			o = next;
		}
	}
	free(book->by_id);
	free(book->by_cid);
	free(book->bids.v);
	free(book->asks.v);
	free(book);
}

const char *sim_book_symbol(const struct sim_book *book)
{
	return book->symbol;
}

const char *sim_book_base(const struct sim_book *book)
{
	return book->base;
}

const char *sim_book_quote(const struct sim_book *book)
{
	return book->quote;
}

uint64_t sim_book_last_order_id(const struct sim_book *book)
{
	return book->next_order_id - 1;
}

int64_t sim_book_take_trade_id(struct sim_book *book)
{
	return book->next_trade_id++;
}

struct sim_book_order *sim_book_find(const struct sim_book *book, uint64_t order_id)
{
	if (!book)
		return NULL;
	for (struct sim_book_order *o = book->by_id[order_id & book->mask]; o; o = o->next_by_id)
		if (o->id == order_id)
			return o;
	return NULL;
}

static bool is_open(const struct sim_book_order *o)
{
	return o->status == SB_ORDER_NEW || o->status == SB_ORDER_PARTIALLY_FILLED;
}

static bool cid_eq(const struct sim_book_order *o, uint32_t account, const char *cid, size_t len)
{
	return o->account == account && strlen(o->client_id) == len && memcmp(o->client_id, cid, len) == 0;
}

struct sim_book_order *sim_book_find_client(const struct sim_book *book, uint32_t account,
                                            const char *client_id, size_t len)
{
	if (!book || !client_id || len == 0 || len > SIM_CLIENT_ID_MAX)
		return NULL;
	struct sim_book_order *closed = NULL;
	for (struct sim_book_order *o = book->by_cid[cid_hash(account, client_id, len) & book->mask]; o;
	     o = o->next_by_cid) {
		if (!cid_eq(o, account, client_id, len))
			continue;
		if (is_open(o))
			return o;
		if (!closed) /* chains are newest first */
			closed = o;
	}
	return closed;
}

static void unlink_order(struct sim_book *book, struct sim_book_order *o)
{
	struct sim_book_order **pp = &book->by_id[o->id & book->mask];
	while (*pp && *pp != o)
		pp = &(*pp)->next_by_id;
	if (*pp)
		*pp = o->next_by_id;
	pp = &book->by_cid[cid_hash(o->account, o->client_id, strlen(o->client_id)) & book->mask];
	while (*pp && *pp != o)
		pp = &(*pp)->next_by_cid;
	if (*pp)
		*pp = o->next_by_cid;
}

/* Drops the oldest closed orders beyond max_closed; called at the start of every mutating call. */
static void evict_closed(struct sim_book *book)
{
	while (book->n_closed > book->max_closed) {
		struct sim_book_order *o = book->closed_head;
		book->closed_head = o->next_closed;
		if (!book->closed_head)
			book->closed_tail = NULL;
		book->n_closed--;
		unlink_order(book, o);
		free(o);
	}
}

static void close_order(struct sim_book *book, struct sim_book_order *o)
{
	o->next_closed = NULL;
	if (book->closed_tail)
		book->closed_tail->next_closed = o;
	else
		book->closed_head = o;
	book->closed_tail = o;
	book->n_closed++;
}

/* ---- sides ---- */

static struct side *side_of(struct sim_book *book, enum sb_side s)
{
	return s == SB_SIDE_BUY ? &book->bids : &book->asks;
}

static const struct side *cside_of(const struct sim_book *book, enum sb_side s)
{
	return s == SB_SIDE_BUY ? &book->bids : &book->asks;
}

/* True when price a is strictly better than b for resting orders of side s. */
static bool price_better(enum sb_side s, sb_dec a, sb_dec b)
{
	return s == SB_SIDE_BUY ? a > b : a < b;
}

/* True when a ranks below b on its side: worse price, or same price and later. */
static bool worse(const struct sim_book_order *a, const struct sim_book_order *b)
{
	if (a->price != b->price)
		return price_better(a->side, b->price, a->price);
	return a->seq > b->seq;
}

/* Index of the first element not worse than o. */
static size_t lower_bound(const struct side *sd, const struct sim_book_order *o)
{
	size_t lo = 0, hi = sd->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (worse(sd->v[mid], o))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void side_insert(struct side *sd, struct sim_book_order *o)
{
	size_t i = lower_bound(sd, o);
	memmove(&sd->v[i + 1], &sd->v[i], (sd->n - i) * sizeof(*sd->v));
	sd->v[i] = o;
	sd->n++;
}

static bool side_remove(struct side *sd, const struct sim_book_order *o)
{
	size_t i = lower_bound(sd, o);
	if (i >= sd->n || sd->v[i] != o)
		return false;
	memmove(&sd->v[i], &sd->v[i + 1], (sd->n - i - 1) * sizeof(*sd->v));
	sd->n--;
	return true;
}

/* What an order can still execute: origQty - executedQty - preventedQuantity. */
static sb_dec remaining(const struct sim_book_order *o)
{
	return o->orig_qty - o->executed_qty - o->prevented_qty;
}

size_t sim_book_open_count(const struct sim_book *book, uint32_t account)
{
	if (!book)
		return 0;
	if (account == SIM_ACCOUNT_MARKET)
		return book->bids.n + book->asks.n;
	size_t n = 0;
	for (size_t i = 0; i < book->bids.n; i++)
		n += book->bids.v[i]->account == account;
	for (size_t i = 0; i < book->asks.n; i++)
		n += book->asks.v[i]->account == account;
	return n;
}

size_t sim_book_open_orders(const struct sim_book *book, uint32_t account, const struct sim_book_order **out,
                            size_t cap)
{
	size_t n = 0;
	if (!book)
		return 0;
	for (int s = 0; s < 2; s++) {
		const struct side *sd = s == 0 ? &book->bids : &book->asks;
		for (size_t i = sd->n; i-- > 0;) {
			if (account != SIM_ACCOUNT_MARKET && sd->v[i]->account != account)
				continue;
			if (out && n < cap)
				out[n] = sd->v[i];
			n++;
		}
	}
	return n;
}

/* ---- ladder ---- */

static const struct sim_book_level *ladder(const struct sim_book *book, enum sb_side s, size_t *n)
{
	*n = s == SB_SIDE_BUY ? book->n_lad_bids : book->n_lad_asks;
	return s == SB_SIDE_BUY ? book->lad_bids : book->lad_asks;
}

/* Removes levels emptied by takers. */
static void ladder_compact(struct sim_book_level *lv, size_t *n)
{
	size_t k = 0;
	for (size_t i = 0; i < *n; i++)
		if (lv[i].qty > 0)
			lv[k++] = lv[i];
	*n = k;
}

size_t sim_book_depth(const struct sim_book *book, enum sb_side side, struct sim_book_level *out, size_t cap)
{
	if (!book || !out)
		return 0;
	const struct side *sd = cside_of(book, side);
	size_t nl, ui = sd->n, li = 0, n = 0;
	const struct sim_book_level *lv = ladder(book, side, &nl);
	while (n < cap && (ui > 0 || li < nl)) {
		sb_dec p;
		if (ui > 0 && (li >= nl || !price_better(side, lv[li].price, sd->v[ui - 1]->price)))
			p = sd->v[ui - 1]->price;
		else
			p = lv[li].price;
		sb_dec q = 0;
		while (ui > 0 && sd->v[ui - 1]->price == p) {
			q += remaining(sd->v[ui - 1]);
			ui--;
		}
		while (li < nl && lv[li].price == p)
			q += lv[li++].qty;
		out[n].price = p;
		out[n].qty = q;
		n++;
	}
	return n;
}

bool sim_book_best(const struct sim_book *book, enum sb_side side, struct sim_book_level *level)
{
	struct sim_book_level l = {0, 0};
	size_t n = book ? sim_book_depth(book, side, &l, 1) : 0;
	if (level)
		*level = l;
	return n == 1;
}

/* ---- validation ---- */

static bool valid_enums(const struct sim_book_req *req)
{
	return (req->side == SB_SIDE_BUY || req->side == SB_SIDE_SELL) &&
	       (req->type == SB_ORDER_LIMIT || req->type == SB_ORDER_MARKET ||
	        req->type == SB_ORDER_LIMIT_MAKER) &&
	       (req->tif == SB_TIF_GTC || req->tif == SB_TIF_IOC || req->tif == SB_TIF_FOK) &&
	       (unsigned)req->stp < SIM_STP_COUNT;
}

/* Shape checks that need no book. */
static sb_err check_shape(const struct sim_book_req *req)
{
	sb_dec notional;
	if (req->account == SIM_ACCOUNT_MARKET || !valid_enums(req) || req->step < 0 ||
	    req->client_id_len > SIM_CLIENT_ID_MAX || (req->client_id_len > 0 && !req->client_id) ||
	    (req->client_id && memchr(req->client_id, 0, req->client_id_len)))
		return SB_ERR_INVALID;
	if (req->type == SB_ORDER_MARKET) {
		if (req->price != 0 || req->qty < 0 || req->quote_qty < 0 ||
		    (req->qty > 0) == (req->quote_qty > 0))
			return SB_ERR_INVALID;
		return SB_OK;
	}
	if (req->price <= 0 || req->qty <= 0 || req->quote_qty != 0)
		return SB_ERR_INVALID;
	/* Fills of this order never exceed price * qty (buys) or the maker's own notional (sells). */
	return sb_dec_mul(req->price, req->qty, SB_ROUND_UP, &notional);
}

static bool rests(const struct sim_book_req *req)
{
	return req->type == SB_ORDER_LIMIT_MAKER || (req->type == SB_ORDER_LIMIT && req->tif == SB_TIF_GTC);
}

sb_err sim_book_check(const struct sim_book *book, const struct sim_book_req *req,
                      enum sim_book_reject *reject)
{
	if (reject)
		*reject = SIM_REJECT_NONE;
	if (!book || !req)
		return SB_ERR_INVALID;
	sb_err err = check_shape(req);
	if (err)
		return err;
	if (req->client_id_len > 0) {
		struct sim_book_order *o =
		    sim_book_find_client(book, req->account, req->client_id, req->client_id_len);
		if (o && is_open(o)) {
			if (reject)
				*reject = SIM_REJECT_DUPLICATE;
			return SB_ERR_EXCHANGE;
		}
	}
	if (rests(req) && book->bids.n + book->asks.n >= book->max_open) {
		if (reject)
			*reject = SIM_REJECT_TOO_MANY_ORDERS;
		return SB_ERR_EXCHANGE;
	}
	return SB_OK;
}

/* ---- matching ---- */

static void want_from_req(const struct sim_book_req *req, struct want *w)
{
	memset(w, 0, sizeof(*w));
	w->side = req->side;
	w->has_limit = req->type != SB_ORDER_MARKET;
	w->limit = req->price;
	w->by_quote = req->type == SB_ORDER_MARKET && req->quote_qty > 0;
	w->qty_left = req->qty;
	w->quote_left = req->quote_qty;
	w->step = req->step;
	w->account = req->account;
	w->stp = req->stp;
}

/* Updates an order after a fill of q for cost. */
static sb_err order_fill(struct sim_book_order *o, sb_dec q, sb_dec cost, int64_t time)
{
	sb_err err = sb_dec_add(o->executed_qty, q, &o->executed_qty);
	if (!err)
		err = sb_dec_add(o->cum_quote_qty, cost, &o->cum_quote_qty);
	o->status = remaining(o) == 0 ? SB_ORDER_FILLED : SB_ORDER_PARTIALLY_FILLED;
	o->update_time = time;
	return err;
}

static void trade_event(struct sim_book_result *res, const struct sim_book_order *o, size_t fill_ix,
                        bool maker)
{
	const struct sim_book_fill *f = &res->fills[fill_ix];
	struct sim_book_event *e = push_event(res, o, SIM_EXEC_TRADE, f->time);
	e->fill = fill_ix;
	e->is_maker = maker;
	e->last_qty = f->qty;
	e->last_price = f->price;
	e->last_quote = f->quote_qty;
	e->trade_id = f->trade_id;
}

/*
 * Records one execution between maker and taker (either may be NULL: the external market) of q at
 * price p for cost. taker_side says which side the taker is on, which matters when the taker is the
 * market (a feed trade or quote crossing a resting order).
 */
static sb_err execute(struct sim_book *book, struct sim_book_result *res, struct sim_book_order *maker,
                      struct sim_book_order *taker, enum sb_side taker_side, sb_dec p, sb_dec q, sb_dec cost,
                      int64_t time)
{
	sb_err err = SB_OK;
	if (maker)
		err = order_fill(maker, q, cost, time);
	if (!err && taker)
		err = order_fill(taker, q, cost, time);
	if (err)
		return err;
	struct sim_book_fill *f = push_fill(res);
	size_t fix = res->n_fills - 1;
	struct sim_book_order *buyer = taker_side == SB_SIDE_BUY ? taker : maker;
	struct sim_book_order *seller = taker_side == SB_SIDE_BUY ? maker : taker;
	f->trade_id = book->next_trade_id++;
	f->price = p;
	f->qty = q;
	f->quote_qty = cost;
	f->maker_order_id = maker ? maker->id : 0;
	f->taker_order_id = taker ? taker->id : 0;
	f->buyer_order_id = buyer ? buyer->id : 0;
	f->seller_order_id = seller ? seller->id : 0;
	f->buyer_account = buyer ? buyer->account : SIM_ACCOUNT_MARKET;
	f->seller_account = seller ? seller->account : SIM_ACCOUNT_MARKET;
	f->buyer_is_maker = taker_side == SB_SIDE_SELL;
	f->time = time;
	if (taker)
		trade_event(res, taker, fix, false);
	if (maker)
		trade_event(res, maker, fix, true);
	return SB_OK;
}

/* Pops the best order of sd if it is filled, moving it to the closed list. */
static void pop_if_filled(struct sim_book *book, struct side *sd)
{
	if (sd->n > 0 && sd->v[sd->n - 1]->status == SB_ORDER_FILLED) {
		close_order(book, sd->v[sd->n - 1]);
		sd->n--;
	}
}

/* The next fill size at price p with avail on offer: 0 when a quote order's remaining quote cannot buy one
 * step, *quote_limited when the quote (not the offer) decided the size, so this fill is the order's last. */
static sb_err next_qty(const struct want *w, sb_dec p, sb_dec avail, sb_dec *q, bool *quote_limited)
{
	*quote_limited = false;
	if (!w->by_quote) {
		*q = avail < w->qty_left ? avail : w->qty_left;
		return SB_OK;
	}
	sb_dec qmax;
	sb_err err = sb_dec_div(w->quote_left, p, SB_ROUND_DOWN, &qmax);
	if (!err)
		err = sb_dec_round_to(qmax, w->step, SB_ROUND_DOWN, &qmax);
	if (err)
		return err;
	if (qmax < avail) {
		*quote_limited = true;
		*q = qmax;
	} else {
		*q = avail;
	}
	return SB_OK;
}

/* ---- self-trade prevention ---- */

/* True when the taker described by w must not trade with maker (an order of the same account). */
static bool self_trade(const struct want *w, const struct sim_book_order *maker)
{
	return maker && w->stp != SIM_STP_NONE && maker->account == w->account;
}

/* The base the taker could still take at price p: its quantity left, or what its quote left buys. */
static sb_err taker_left(const struct want *w, sb_dec p, sb_dec *out)
{
	if (!w->by_quote) {
		*out = w->qty_left;
		return SB_OK;
	}
	sb_err err = sb_dec_div(w->quote_left, p, SB_ROUND_DOWN, out);
	return err ? err : sb_dec_round_to(*out, w->step, SB_ROUND_DOWN, out);
}

/* What mode takes from a taker with taker_qty left meeting a maker with maker_qty left (both > 0). */
static void plan_prevention(enum sim_stp_mode mode, sb_dec taker_qty, sb_dec maker_qty, struct prevention *pv)
{
	sb_dec smaller = taker_qty < maker_qty ? taker_qty : maker_qty;
	memset(pv, 0, sizeof(*pv));
	switch (mode) {
	case SIM_STP_EXPIRE_TAKER:
		pv->taker_qty = taker_qty;
		break;
	case SIM_STP_EXPIRE_MAKER:
		pv->maker_qty = maker_qty;
		break;
	case SIM_STP_EXPIRE_BOTH:
		pv->taker_qty = taker_qty;
		pv->maker_qty = maker_qty;
		break;
	case SIM_STP_DECREMENT:
	case SIM_STP_TRANSFER:
		pv->taker_qty = smaller;
		pv->maker_qty = smaller;
		break;
	case SIM_STP_NONE:
	case SIM_STP_COUNT:
	default:
		break;
	}
	pv->taker_ends = pv->taker_qty == taker_qty;
	pv->maker_ends = pv->maker_qty == maker_qty;
}

static void push_prevented(struct sim_book_result *res, const struct sim_book_prevented *pm)
{
	if (res->n_prevented == res->cap_prevented) {
		res->cap_prevented = res->cap_prevented ? res->cap_prevented * 2 : 8;
		res->prevented = sb_xrealloc(res->prevented, res->cap_prevented * sizeof(*res->prevented));
	}
	res->prevented[res->n_prevented++] = *pm;
}

/* Takes qty from o for prevented match id; o ends EXPIRED_IN_MATCH when nothing is left. */
static void prevent_order(struct sim_book *book, struct sim_book_order *o, sb_dec qty, bool ends, int64_t id,
                          uint64_t counter, int64_t time, struct sim_book_result *res)
{
	if (qty <= 0)
		return;
	o->prevented_qty += qty;
	o->prevented_match_id = id;
	o->update_time = time;
	if (ends) {
		side_remove(side_of(book, o->side), o); /* a no-op for the taker, which is not on the book */
		o->status = SB_ORDER_EXPIRED_IN_MATCH;
		close_order(book, o);
	}
	struct sim_book_event *e = push_event(res, o, SIM_EXEC_TRADE_PREVENTION, time);
	e->last_prevented_qty = qty;
	e->counter_order_id = counter;
}

/* Carries out pv between taker and maker: one prevented match, at the maker's price. */
static void apply_prevention(struct sim_book *book, struct sim_book_order *taker,
                             struct sim_book_order *maker, const struct prevention *pv, int64_t time,
                             struct sim_book_result *res)
{
	struct sim_book_prevented pm = {
	    .id = book->next_prevented_id++,
	    .taker_order_id = taker->id,
	    .maker_order_id = maker->id,
	    .account = taker->account,
	    .mode = taker->stp,
	    .price = maker->price,
	    .taker_qty = pv->taker_qty,
	    .maker_qty = pv->maker_qty,
	    .time = time,
	};
	push_prevented(res, &pm);
	prevent_order(book, maker, pv->maker_qty, pv->maker_ends, pm.id, taker->id, time, res);
	prevent_order(book, taker, pv->taker_qty, pv->taker_ends, pm.id, maker->id, time, res);
}

/* Takes what prevention took from the taker out of what it still wants. */
static sb_err consume_prevented(struct want *w, sb_dec p, const struct prevention *pv)
{
	if (!w->by_quote) {
		w->qty_left -= pv->taker_qty;
		return SB_OK;
	}
	if (pv->taker_ends) {
		w->quote_left = 0;
		return SB_OK;
	}
	sb_dec cost;
	sb_err err = sb_dec_mul(p, pv->taker_qty, SB_ROUND_DOWN, &cost);
	if (!err)
		w->quote_left -= cost;
	return err;
}

/*
 * One self-trade the walk met: plans it, carries it out unless this is a dry run (mb NULL) and moves
 * the walk on: *skip_maker when the maker is gone, out->stop = STOP_PREVENTED when the taker is.
 */
static sb_err prevent(struct sim_book *mb, struct sim_book_order *taker, struct sim_book_order *maker,
                      struct want *w, sb_dec p, int64_t time, struct sim_book_result *res,
                      struct walk_out *out, bool *skip_maker)
{
	struct prevention pv;
	sb_dec left;
	sb_err err = taker_left(w, p, &left);
	if (err)
		return err;
	plan_prevention(w->stp, left, remaining(maker), &pv);
	if (mb)
		apply_prevention(mb, taker, maker, &pv, time, res);
	out->taker_prevented |= pv.taker_qty > 0;
	*skip_maker = pv.maker_ends;
	if (pv.taker_ends)
		out->stop = STOP_PREVENTED;
	return consume_prevented(w, p, &pv);
}

/*
 * Walks the opposite side - resting user orders and the ladder merged by price, user orders first at
 * equal prices - for the order described by w. With mb == NULL nothing changes (dry run); otherwise
 * mb is the same book, mutable, taker is the incoming order and res receives fills and events.
 */
static sb_err walk(const struct sim_book *cb, struct sim_book *mb, struct sim_book_order *taker,
                   struct want *w, int64_t time, struct sim_book_result *res, struct walk_out *out)
{
	enum sb_side opp_side = w->side == SB_SIDE_BUY ? SB_SIDE_SELL : SB_SIDE_BUY;
	const struct side *sd = cside_of(cb, opp_side);
	size_t nl, ui = sd->n, li = 0;
	const struct sim_book_level *lv = ladder(cb, opp_side, &nl);
	struct sim_book_level *mlv = mb ? (opp_side == SB_SIDE_BUY ? mb->lad_bids : mb->lad_asks) : NULL;
	sb_err err = SB_OK;

	memset(out, 0, sizeof(*out));
	for (;;) {
		if (w->by_quote ? w->quote_left <= 0 : w->qty_left <= 0) {
			out->stop = STOP_COMPLETE;
			break;
		}
		while (li < nl && lv[li].qty <= 0)
			li++;
		bool use_user =
		    ui > 0 && (li >= nl || !price_better(opp_side, lv[li].price, sd->v[ui - 1]->price));
		if (!use_user && li >= nl) {
			out->stop = STOP_LIQUIDITY;
			break;
		}
		struct sim_book_order *maker = use_user ? sd->v[ui - 1] : NULL;
		sb_dec p = use_user ? maker->price : lv[li].price;
		sb_dec avail = use_user ? remaining(maker) : lv[li].qty;
		if (w->has_limit && price_better(opp_side, w->limit, p)) {
			out->stop = STOP_PRICE;
			break;
		}
		out->any_match = true;
		sb_dec q, cost;
		bool quote_limited;
		err = next_qty(w, p, avail, &q, &quote_limited);
		if (!err && q > 0)
			err = sb_dec_mul(p, q, SB_ROUND_DOWN, &cost);
		if (err)
			return err;
		if (q <= 0) { /* the quote left cannot buy one step */
			out->stop = STOP_COMPLETE;
			break;
		}
		if (self_trade(w, maker)) {
			bool skip_maker = false;
			err = prevent(mb, taker, maker, w, p, time, res, out, &skip_maker);
			if (err)
				return err;
			if (skip_maker)
				ui--;
			if (out->stop == STOP_PREVENTED)
				break;
			continue;
		}
		if (mb) {
			err = execute(mb, res, maker, taker, w->side, p, q, cost, time);
			if (err)
				return err;
			if (!use_user)
				mlv[li].qty -= q;
		}
		out->qty += q;
		out->quote += cost;
		if (w->by_quote)
			w->quote_left -= cost;
		else
			w->qty_left -= q;
		if (q == avail) {
			if (use_user) {
				ui--;
				if (mb)
					pop_if_filled(mb, side_of(mb, opp_side));
			} else {
				li++;
			}
		}
		if (quote_limited) {
			out->stop = STOP_COMPLETE;
			break;
		}
	}
	if (mb)
		ladder_compact(mlv, opp_side == SB_SIDE_BUY ? &mb->n_lad_bids : &mb->n_lad_asks);
	return SB_OK;
}

sb_err sim_book_preview(const struct sim_book *book, const struct sim_book_req *req,
                        struct sim_book_estimate *out)
{
	if (!book || !req || !out)
		return SB_ERR_INVALID;
	sb_err err = check_shape(req);
	if (err)
		return err;
	struct want w;
	struct walk_out wo;
	want_from_req(req, &w);
	err = walk(book, NULL, NULL, &w, req->time, NULL, &wo);
	if (err)
		return err;
	out->qty = wo.qty;
	out->quote = wo.quote;
	out->any_match = wo.any_match;
	out->complete = wo.stop == STOP_COMPLETE && !wo.taker_prevented;
	return SB_OK;
}

static struct sim_book_order *new_order(struct sim_book *book, const struct sim_book_req *req)
{
	struct sim_book_order *o = sb_xcalloc(1, sizeof(*o));
	o->id = book->next_order_id++;
	o->seq = book->next_seq++;
	o->account = req->account;
	if (req->client_id_len > 0)
		memcpy(o->client_id, req->client_id, req->client_id_len);
	else
		snprintf(o->client_id, sizeof(o->client_id), "sim-%llu", (unsigned long long)o->id);
	o->side = req->side;
	o->type = req->type;
	o->tif = req->type == SB_ORDER_LIMIT ? req->tif : SB_TIF_GTC;
	o->stp = req->stp;
	o->status = SB_ORDER_NEW;
	o->price = req->price;
	o->orig_qty = req->qty;
	o->orig_quote_qty = req->type == SB_ORDER_MARKET ? req->quote_qty : 0;
	o->time = o->update_time = o->working_time = req->time;
	size_t len = strlen(o->client_id);
	struct sim_book_order **b = &book->by_id[o->id & book->mask];
	o->next_by_id = *b;
	*b = o;
	b = &book->by_cid[cid_hash(o->account, o->client_id, len) & book->mask];
	o->next_by_cid = *b;
	*b = o;
	return o;
}

static void expire(struct sim_book *book, struct sim_book_order *o, enum sim_book_expiry why, int64_t time,
                   struct sim_book_result *res)
{
	o->status = SB_ORDER_EXPIRED;
	o->expiry = why;
	o->update_time = time;
	close_order(book, o);
	push_event(res, o, SIM_EXEC_EXPIRED, time);
}

/* Marks the taker's last TRADE event FILLED: a quote order learns it is done only after its last fill. */
static void mark_last_trade_filled(struct sim_book_result *res, uint64_t id)
{
	for (size_t i = res->n_events; i-- > 0;) {
		if (res->events[i].order_id == id && res->events[i].exec == SIM_EXEC_TRADE) {
			res->events[i].status = SB_ORDER_FILLED;
			return;
		}
	}
}

/* Decides what happens to the taker after its walk. */
static void finish_taker(struct sim_book *book, struct sim_book_order *o, const struct walk_out *wo,
                         int64_t time, struct sim_book_result *res)
{
	bool by_quote = o->type == SB_ORDER_MARKET && o->orig_quote_qty > 0;
	if (by_quote)
		o->orig_qty = o->executed_qty + o->prevented_qty;
	if (o->status == SB_ORDER_EXPIRED_IN_MATCH) /* closed by self-trade prevention */
		return;
	if (by_quote) {
		if (o->executed_qty > 0 && wo->stop == STOP_COMPLETE) {
			o->status = SB_ORDER_FILLED;
			mark_last_trade_filled(res, o->id);
			close_order(book, o);
		} else {
			expire(book, o,
			       wo->stop == STOP_LIQUIDITY ? SIM_EXPIRY_INSUFFICIENT_LIQUIDITY
			                                  : SIM_EXPIRY_NONE,
			       time, res);
		}
		return;
	}
	if (o->status == SB_ORDER_FILLED) {
		close_order(book, o);
		return;
	}
	if (o->type == SB_ORDER_MARKET)
		expire(book, o, SIM_EXPIRY_INSUFFICIENT_LIQUIDITY, time, res);
	else if (o->tif == SB_TIF_IOC)
		expire(book, o, SIM_EXPIRY_UNFILLED_IOC, time, res);
	else if (o->tif == SB_TIF_FOK)
		expire(book, o, SIM_EXPIRY_UNFILLED_FOK, time, res);
	else
		side_insert(side_of(book, o->side), o);
}

sb_err sim_book_place(struct sim_book *book, const struct sim_book_req *req, struct sim_book_result *res)
{
	if (!book || !req || !res)
		return SB_ERR_INVALID;
	evict_closed(book);
	res->order_id = 0;
	sb_err err = sim_book_check(book, req, &res->reject);
	if (err)
		return err;
	struct sim_book_estimate pv = {0};
	if (req->type == SB_ORDER_LIMIT_MAKER || (req->type == SB_ORDER_LIMIT && req->tif == SB_TIF_FOK)) {
		err = sim_book_preview(book, req, &pv);
		if (err)
			return err;
		if (req->type == SB_ORDER_LIMIT_MAKER && pv.any_match) {
			res->reject = SIM_REJECT_WOULD_MATCH;
			return SB_ERR_EXCHANGE;
		}
	}
	struct sim_book_order *o = new_order(book, req);
	res->order_id = o->id;
	push_event(res, o, SIM_EXEC_NEW, req->time);
	if (req->type == SB_ORDER_LIMIT && req->tif == SB_TIF_FOK && !pv.complete) {
		expire(book, o, SIM_EXPIRY_UNFILLED_FOK, req->time, res);
		return SB_OK;
	}
	if (req->type == SB_ORDER_LIMIT_MAKER) {
		side_insert(side_of(book, o->side), o);
		return SB_OK;
	}
	struct want w;
	struct walk_out wo;
	want_from_req(req, &w);
	err = walk(book, book, o, &w, req->time, res, &wo);
	if (err)
		return err;
	finish_taker(book, o, &wo, req->time, res);
	return SB_OK;
}

static void cancel_open(struct sim_book *book, struct sim_book_order *o, int64_t time,
                        struct sim_book_result *res)
{
	side_remove(side_of(book, o->side), o);
	o->status = SB_ORDER_CANCELED;
	o->update_time = time;
	close_order(book, o);
	push_event(res, o, SIM_EXEC_CANCELED, time);
}

sb_err sim_book_cancel(struct sim_book *book, uint64_t order_id, int64_t time, struct sim_book_result *res)
{
	if (!book || !res)
		return SB_ERR_INVALID;
	evict_closed(book);
	struct sim_book_order *o = sim_book_find(book, order_id);
	if (!o || !is_open(o))
		return SB_ERR_NOT_FOUND;
	cancel_open(book, o, time, res);
	return SB_OK;
}

static int by_seq(const void *a, const void *b)
{
	const struct sim_book_order *x = *(const struct sim_book_order *const *)a;
	const struct sim_book_order *y = *(const struct sim_book_order *const *)b;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

sb_err sim_book_cancel_all(struct sim_book *book, uint32_t account, int64_t time, struct sim_book_result *res)
{
	if (!book || !res || account == SIM_ACCOUNT_MARKET)
		return SB_ERR_INVALID;
	evict_closed(book);
	size_t n = sim_book_open_count(book, account);
	if (n == 0)
		return SB_OK;
	const struct sim_book_order **v = sb_xcalloc(n, sizeof(*v));
	sim_book_open_orders(book, account, v, n);
	qsort(v, n, sizeof(*v), by_seq);
	for (size_t i = 0; i < n; i++) {
		struct sim_book_order *o = sim_book_find(book, v[i]->id);
		if (o)
			cancel_open(book, o, time, res);
	}
	free(v);
	return SB_OK;
}

/* ---- state files: what a saved book needs, and its restore ---- */

int64_t sim_book_next_trade_id(const struct sim_book *book)
{
	return book->next_trade_id;
}

int64_t sim_book_next_prevented_id(const struct sim_book *book)
{
	return book->next_prevented_id;
}

size_t sim_book_closed_orders(const struct sim_book *book, const struct sim_book_order **out, size_t cap)
{
	size_t skip = book->n_closed > cap ? book->n_closed - cap : 0, n = 0;
	for (const struct sim_book_order *o = book->closed_head; o; o = o->next_closed) {
		if (skip) {
			skip--;
			continue;
		}
		out[n++] = o;
	}
	return n;
}

static bool restorable(const struct sim_book *book, const struct sim_book_order *o)
{
	size_t len = strnlen(o->client_id, sizeof o->client_id);
	if (o->id == 0 || o->account == SIM_ACCOUNT_MARKET || len == 0 || len > SIM_CLIENT_ID_MAX ||
	    !sim_book_status_held(o->status) || (unsigned)o->stp >= SIM_STP_COUNT || o->orig_qty < 0 ||
	    o->executed_qty < 0 || o->prevented_qty < 0 || o->executed_qty > o->orig_qty - o->prevented_qty ||
	    o->price < 0 || o->locked < 0)
		return false;
	if (o->status != SB_ORDER_NEW && o->status != SB_ORDER_PARTIALLY_FILLED)
		return true;
	return o->type != SB_ORDER_MARKET && o->price > 0 && remaining(o) > 0 &&
	       book->bids.n + book->asks.n < book->max_open;
}

sb_err sim_book_restore_order(struct sim_book *book, const struct sim_book_order *order)
{
	if (!book || !order || !restorable(book, order))
		return SB_ERR_INVALID;
	size_t len = strlen(order->client_id);
	const struct sim_book_order *same = sim_book_find_client(book, order->account, order->client_id, len);
	if (sim_book_find(book, order->id) || (same && is_open(same) && is_open(order)))
		return SB_ERR_EXISTS;
	struct sim_book_order *o = sb_xmalloc(sizeof(*o));
	*o = *order;
	o->next_by_id = book->by_id[o->id & book->mask];
	book->by_id[o->id & book->mask] = o;
	size_t h = cid_hash(o->account, o->client_id, len) & book->mask;
	o->next_by_cid = book->by_cid[h];
	book->by_cid[h] = o;
	if (is_open(o))
		side_insert(side_of(book, o->side), o);
	else
		close_order(book, o);
	if (o->id >= book->next_order_id)
		book->next_order_id = o->id + 1;
	if (o->seq >= book->next_seq)
		book->next_seq = o->seq + 1;
	return SB_OK;
}

void sim_book_restore_ids(struct sim_book *book, uint64_t next_order_id, int64_t next_trade_id,
                          int64_t next_prevented_id)
{
	if (next_order_id > book->next_order_id)
		book->next_order_id = next_order_id;
	if (next_trade_id > book->next_trade_id)
		book->next_trade_id = next_trade_id;
	if (next_prevented_id > book->next_prevented_id)
		book->next_prevented_id = next_prevented_id;
}

/* ---- the market acting on resting orders ---- */

void sim_book_set_fill(struct sim_book *book, enum sim_fill_model model)
{
	book->fill = model;
}

const char *sim_fill_model_name(enum sim_fill_model model)
{
	return model == SIM_FILL_THROUGH ? "through" : "touch";
}

/* True when the market at price (a trade, or the best quote of the other side) fills a resting order of
 * side s at limit under the book's fill model. */
static bool reaches(const struct sim_book *book, enum sb_side s, sb_dec price, sb_dec limit)
{
	if (book->fill == SIM_FILL_THROUGH)
		return price_better(s, limit, price);
	return !price_better(s, price, limit);
}

/* Fills the best orders of sd that cross price, at their own prices, sharing *volume. */
static sb_err trade_side(struct sim_book *book, enum sb_side s, sb_dec price, sb_dec *volume, int64_t time,
                         struct sim_book_result *res)
{
	struct side *sd = side_of(book, s);
	while (*volume > 0 && sd->n > 0) {
		struct sim_book_order *o = sd->v[sd->n - 1];
		if (!reaches(book, s, price, o->price))
			break;
		sb_dec q = remaining(o) < *volume ? remaining(o) : *volume, cost;
		sb_err err = sb_dec_mul(o->price, q, SB_ROUND_DOWN, &cost);
		if (!err)
			err = execute(book, res, o, NULL, s == SB_SIDE_BUY ? SB_SIDE_SELL : SB_SIDE_BUY,
			              o->price, q, cost, time);
		if (err)
			return err;
		*volume -= q;
		pop_if_filled(book, sd);
	}
	return SB_OK;
}

sb_err sim_book_market_trade(struct sim_book *book, sb_dec price, sb_dec volume, int64_t time,
                             struct sim_book_result *res)
{
	if (!book || !res || price <= 0 || volume < 0)
		return SB_ERR_INVALID;
	evict_closed(book);
	sb_err err = trade_side(book, SB_SIDE_BUY, price, &volume, time, res);
	if (!err)
		err = trade_side(book, SB_SIDE_SELL, price, &volume, time, res);
	return err;
}

/* Fills resting orders of side s that the ladder on the other side crosses, consuming that ladder. */
static sb_err cross_side(struct sim_book *book, enum sb_side s, int64_t time, struct sim_book_result *res)
{
	struct side *sd = side_of(book, s);
	struct sim_book_level *lv = s == SB_SIDE_BUY ? book->lad_asks : book->lad_bids;
	size_t *nl = s == SB_SIDE_BUY ? &book->n_lad_asks : &book->n_lad_bids;
	size_t li = 0;
	while (sd->n > 0 && li < *nl) {
		struct sim_book_order *o = sd->v[sd->n - 1];
		if (book->fill == SIM_FILL_THROUGH && lv[li].price == o->price) {
			/* The queue ahead of the order at its price takes it: the book never locks. */
			lv[li++].qty = 0;
			continue;
		}
		if (!reaches(book, s, lv[li].price, o->price)) /* the quote does not reach this order */
			break;
		sb_dec q = remaining(o) < lv[li].qty ? remaining(o) : lv[li].qty, cost;
		sb_err err = sb_dec_mul(o->price, q, SB_ROUND_DOWN, &cost);
		if (!err)
			err = execute(book, res, o, NULL, s == SB_SIDE_BUY ? SB_SIDE_SELL : SB_SIDE_BUY,
			              o->price, q, cost, time);
		if (err)
			return err;
		lv[li].qty -= q;
		if (lv[li].qty == 0)
			li++;
		pop_if_filled(book, sd);
	}
	ladder_compact(lv, nl);
	return SB_OK;
}

/* Copies and sorts one side of new quotes, best first; false on a bad level. */
static bool load_levels(enum sb_side s, const struct sim_book_level *in, size_t n, struct sim_book_level *out)
{
	for (size_t i = 0; i < n; i++) {
		sb_dec notional;
		if (in[i].price <= 0 || in[i].qty <= 0 ||
		    sb_dec_mul(in[i].price, in[i].qty, SB_ROUND_UP, &notional))
			return false;
		struct sim_book_level l = in[i];
		size_t j = i;
		while (j > 0 && price_better(s, l.price, out[j - 1].price)) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = l;
	}
	return true;
}

sb_err sim_book_set_quotes(struct sim_book *book, const struct sim_book_level *bids, size_t n_bids,
                           const struct sim_book_level *asks, size_t n_asks, int64_t time,
                           struct sim_book_result *res)
{
	struct sim_book_level nb[SIM_BOOK_MAX_LEVELS], na[SIM_BOOK_MAX_LEVELS];
	if (!book || !res || n_bids > SIM_BOOK_MAX_LEVELS || n_asks > SIM_BOOK_MAX_LEVELS ||
	    (n_bids && !bids) || (n_asks && !asks))
		return SB_ERR_INVALID;
	if (!load_levels(SB_SIDE_BUY, bids, n_bids, nb) || !load_levels(SB_SIDE_SELL, asks, n_asks, na))
		return SB_ERR_INVALID;
	evict_closed(book);
	memcpy(book->lad_bids, nb, n_bids * sizeof(*nb));
	memcpy(book->lad_asks, na, n_asks * sizeof(*na));
	book->n_lad_bids = n_bids;
	book->n_lad_asks = n_asks;
	sb_err err = cross_side(book, SB_SIDE_BUY, time, res);
	if (!err)
		err = cross_side(book, SB_SIDE_SELL, time, res);
	return err;
}

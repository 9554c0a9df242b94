/*
 * api_params.c - the parameters of spotsim's order and account methods (see api_params.h). A new
 * order's parameters are one table: each row names a parameter, how its value is read, the order types
 * that must send it and those that must not, and where its value goes; one loop walks the table in
 * order, so the first problem found is the one reported, and a new parameter is one row.
 */
#include "sim/api_params.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "spotbot/query.h"

/* ---- single parameters --------------------------------------------------------------------------- */

const char *sim_api_need(struct sim_api_call *c, struct sim_api_reply *r, const char *name, char *buf,
                         size_t cap)
{
	const char *v = sim_api_param(c, name, buf, cap);
	if (!v || !*v) {
		sim_api_error(r, 400, -1102,
		              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.", name);
		return NULL;
	}
	return v;
}

struct sim_symbol *sim_api_need_symbol(struct sim_api_call *c, struct sim_api_reply *r)
{
	char buf[64];
	const char *v = sim_api_need(c, r, "symbol", buf, sizeof buf);
	if (!v)
		return NULL;
	struct sim_symbol *s = sim_exchange_symbol(c->ex, v, strlen(v));
	if (!s)
		sim_api_error(r, 400, -1121, "Invalid symbol.");
	return s;
}

/* A sent decimal value v of parameter name into *out: -1111 for too many places, -1100 otherwise. */
static bool dec_value(struct sim_api_reply *r, const char *name, const char *v, sb_dec *out)
{
	sb_err e = sb_dec_parse_nonneg(v, strlen(v), out);
	if (e == SB_ERR_PRECISION) {
		sim_api_error(r, 400, -1111, "Parameter '%s' has too much precision.", name);
		return false;
	}
	if (e) {
		sim_api_error(
		    r, 400, -1100,
		    "Illegal characters found in parameter '%s'; legal range is '^([0-9]{1,20})(\\.[0-9]{1,20})?$'.",
		    name);
		return false;
	}
	return true;
}

bool sim_api_dec_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                       sb_dec *out)
{
	char buf[64];
	const char *v = sim_api_param(c, name, buf, sizeof buf);
	*present = v && *v;
	*out = 0;
	return !*present || dec_value(r, name, v, out);
}

bool sim_api_int_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                       int64_t *out)
{
	char buf[32];
	const char *v = sim_api_param(c, name, buf, sizeof buf);
	*present = v && *v;
	*out = 0;
	if (*present && !sb_parse_i64_str(v, 0, INT64_MAX, out)) {
		sim_api_error(r, 400, -1100,
		              "Illegal characters found in parameter '%s'; legal range is '^[0-9]{1,20}$'.",
		              name);
		return false;
	}
	return true;
}

bool sim_api_limit_param(struct sim_api_call *c, struct sim_api_reply *r, int64_t def, int64_t max,
                         int64_t *out)
{
	bool present;
	if (!sim_api_int_param(c, r, "limit", &present, out))
		return false;
	if (!present)
		*out = def;
	if (*out < 1 || *out > max) {
		sim_api_error(r, 400, -1100,
		              "Illegal characters found in parameter 'limit'; legal range is '1-%lld'.",
		              (long long)max);
		return false;
	}
	return true;
}

/* v as an index into names (n entries), or -1. */
static int index_of(const char *v, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0)
			return (int)i;
	return -1;
}

bool sim_api_one_of(struct sim_api_call *c, struct sim_api_reply *r, const char *name,
                    const char *const *names, size_t n, int code, const char *msg, int *out)
{
	char buf[32];
	const char *v = sim_api_need(c, r, name, buf, sizeof buf);
	if (!v)
		return false;
	*out = index_of(v, names, n);
	if (*out < 0)
		sim_api_error(r, 400, code, "%s", msg);
	return *out >= 0;
}

static bool valid_client_id(const char *s)
{
	size_t n = strlen(s);
	if (n < 1 || n > SIM_CLIENT_ID_MAX)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == ':' || *s == '/' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* A sent client order id v of parameter name into out. */
static bool client_id_value(struct sim_api_reply *r, const char *name, const char *v,
                            char out[SIM_CLIENT_ID_MAX + 1])
{
	if (!valid_client_id(v)) {
		sim_api_error(
		    r, 400, -1100,
		    "Illegal characters found in parameter '%s'; legal range is '^[\\.A-Z\\:/a-z0-9_-]{1,36}$'.",
		    name);
		return false;
	}
	snprintf(out, SIM_CLIENT_ID_MAX + 1, "%s", v);
	return true;
}

bool sim_api_client_id_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name,
                             char out[SIM_CLIENT_ID_MAX + 1])
{
	char buf[SB_QUERY_MAX_LEN + 1]; /* any value that was sent is read, so a long one is refused */
	const char *v = sim_api_param(c, name, buf, sizeof buf);
	out[0] = '\0';
	return !v || !*v || client_id_value(r, name, v, out);
}

bool sim_api_order_ref(struct sim_api_call *c, struct sim_api_reply *r, const char *id_name,
                       const char *orig_name, struct sim_order_ref *ref)
{
	memset(ref, 0, sizeof *ref);
	if (!sim_api_int_param(c, r, id_name, &ref->has_id, &ref->id))
		return false;
	if (!sim_api_param(c, orig_name, ref->orig, sizeof ref->orig))
		ref->orig[0] = '\0';
	if (!ref->has_id && !ref->orig[0]) {
		sim_api_error(r, 400, -1102, "Param '%s' or '%s' must be sent, but both were empty/null!",
		              orig_name, id_name);
		return false;
	}
	return true;
}

/* ---- a new order's parameters -------------------------------------------------------------------- */

/* The rows of the order parameter table, in the order they are checked. */
enum order_param_id {
	P_SIDE,
	P_TYPE,
	P_TIF,
	P_QUANTITY,
	P_PRICE,
	P_QUOTE_QTY,
	P_CLIENT_ID,
	P_RESP_TYPE,
	P_STP,
	P_COUNT
};

/* The values read from a new order's parameters, before they become a book request and a filter spec. */
struct order_fields {
	const struct sim_symbol *sym;          /* the symbol (read before the table) */
	unsigned sent;                         /* 1 << enum order_param_id of each parameter sent */
	int side;                              /* index into sides[] */
	int type;                              /* index into types[] (enum sb_order_type), -1 before */
	int tif;                               /* index into tifs[] (enum sb_tif) */
	sb_dec quantity;                       /* quantity, 0 when absent */
	sb_dec price;                          /* price, 0 when absent */
	sb_dec quote_qty;                      /* quoteOrderQty, 0 when absent */
	char client_id[SIM_CLIENT_ID_MAX + 1]; /* newClientOrderId, "" when absent */
	int resp_type;                         /* index into resp_types[] */
	enum sim_stp_mode stp;                 /* selfTradePreventionMode, the symbol's default when absent */
};

struct order_param;

/* Checks the sent value v of row p and stores it in f; false with the error in r. */
typedef bool (*order_param_read)(struct sim_api_reply *r, const struct order_param *p, const char *v,
                                 struct order_fields *f);

/* One row of the order parameter table. */
struct order_param {
	const char *name;         /* the parameter */
	order_param_read read;    /* how a sent value is checked and stored */
	unsigned mandatory;       /* order types (TYPE_BIT) that must send it (-1102) */
	unsigned refused;         /* order types that must not send it (-1106) */
	const char *const *names; /* read_enum: the values, in enum order */
	size_t nnames;            /* read_enum: entries in names */
	int code;                 /* read_enum: the error code for any other value */
	const char *bad;          /* read_enum: its message */
	size_t off;               /* where the value goes in struct order_fields */
};

#define TYPE_BIT(t) (1u << (t))
#define ALL_TYPES   (TYPE_BIT(SB_ORDER_LIMIT) | TYPE_BIT(SB_ORDER_MARKET) | TYPE_BIT(SB_ORDER_LIMIT_MAKER))
#define PRICED      (TYPE_BIT(SB_ORDER_LIMIT) | TYPE_BIT(SB_ORDER_LIMIT_MAKER))
#define FIELD(f)    offsetof(struct order_fields, f)

static const char *const sides[] = {"BUY", "SELL"};                    /* enum sb_side */
static const char *const types[] = {"LIMIT", "MARKET", "LIMIT_MAKER"}; /* enum sb_order_type */
static const char *const tifs[] = {"GTC", "IOC", "FOK"};               /* enum sb_tif */
static const char *const resp_types[] = {"ACK", "RESULT", "FULL"};

static bool read_enum(struct sim_api_reply *r, const struct order_param *p, const char *v,
                      struct order_fields *f)
{
	int i = index_of(v, p->names, p->nnames);
	if (i < 0) {
		sim_api_error(r, 400, p->code, "%s", p->bad);
		return false;
	}
	*(int *)(void *)((char *)f + p->off) = i;
	return true;
}

static bool read_dec(struct sim_api_reply *r, const struct order_param *p, const char *v,
                     struct order_fields *f)
{
	return dec_value(r, p->name, v, (sb_dec *)(void *)((char *)f + p->off));
}

static bool read_client_id(struct sim_api_reply *r, const struct order_param *p, const char *v,
                           struct order_fields *f)
{
	return client_id_value(r, p->name, v, (char *)f + p->off);
}

/* selfTradePreventionMode: -1100 for an unknown mode, -1013 for one the symbol does not allow. */
static bool read_stp(struct sim_api_reply *r, const struct order_param *p, const char *v,
                     struct order_fields *f)
{
	enum sim_stp_mode *out = (enum sim_stp_mode *)(void *)((char *)f + p->off);
	if (sim_stp_parse(v, strlen(v), out) != SB_OK) {
		sim_api_error(
		    r, 400, -1100,
		    "Illegal characters found in parameter 'selfTradePreventionMode'; legal range is "
		    "'NONE, EXPIRE_TAKER, EXPIRE_MAKER, EXPIRE_BOTH, DECREMENT, TRANSFER'.");
		return false;
	}
	if (!sim_stp_allowed(&f->sym->stp, *out)) {
		sim_api_error(r, 400, -1013,
		              "This symbol does not allow the specified self-trade prevention mode.");
		return false;
	}
	return true;
}

/* The order parameters. Stop and take-profit types are not simulated: like any unknown type they are
 * "Invalid orderType.". */
static const struct order_param order_params[P_COUNT] = {
    [P_SIDE] = {"side", read_enum, ALL_TYPES, 0, sides, 2, -1117, "Invalid side.", FIELD(side)},
    [P_TYPE] = {"type", read_enum, ALL_TYPES, 0, types, 3, -1116, "Invalid orderType.", FIELD(type)},
    [P_TIF] = {"timeInForce", read_enum, TYPE_BIT(SB_ORDER_LIMIT),
               TYPE_BIT(SB_ORDER_MARKET) | TYPE_BIT(SB_ORDER_LIMIT_MAKER), tifs, 3, -1115,
               "Invalid timeInForce.", FIELD(tif)},
    [P_QUANTITY] = {"quantity", read_dec, PRICED, 0, NULL, 0, 0, NULL, FIELD(quantity)},
    [P_PRICE] = {"price", read_dec, PRICED, TYPE_BIT(SB_ORDER_MARKET), NULL, 0, 0, NULL, FIELD(price)},
    [P_QUOTE_QTY] = {"quoteOrderQty", read_dec, 0, PRICED, NULL, 0, 0, NULL, FIELD(quote_qty)},
    [P_CLIENT_ID] = {"newClientOrderId", read_client_id, 0, 0, NULL, 0, 0, NULL, FIELD(client_id)},
    [P_RESP_TYPE] = {"newOrderRespType", read_enum, 0, 0, resp_types, 3, -1100,
                     "Illegal characters found in parameter 'newOrderRespType'.", FIELD(resp_type)},
    [P_STP] = {"selfTradePreventionMode", read_stp, 0, 0, NULL, 0, 0, NULL, FIELD(stp)},
};

/* One row: a sent value is checked, then refused when the order's type refuses the parameter (-1106);
 * an absent one is missing when the type needs it (-1102). */
static bool read_param(struct sim_api_call *c, struct sim_api_reply *r, enum order_param_id id,
                       struct order_fields *f)
{
	const struct order_param *p = &order_params[id];
	unsigned type = f->type < 0 ? ALL_TYPES : TYPE_BIT(f->type); /* unknown yet: all rules apply */
	char buf[SB_QUERY_MAX_LEN + 1]; /* any value that was sent is read, so a long one is refused too */
	const char *v = sim_api_param(c, p->name, buf, sizeof buf);
	bool sent = v && *v;
	if (sent && !p->read(r, p, v, f))
		return false;
	if (sent && (p->refused & type)) {
		sim_api_error(r, 400, -1106, "Parameter '%s' sent when not required.", p->name);
		return false;
	}
	if (!sent && (p->mandatory & type)) {
		sim_api_error(r, 400, -1102,
		              "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
		              p->name);
		return false;
	}
	f->sent |= sent ? 1u << id : 0;
	return true;
}

static bool was_sent(const struct order_fields *f, enum order_param_id id)
{
	return (f->sent & (1u << id)) != 0;
}

/* What the parameters say together: a MARKET order's quantity or quoteOrderQty, amounts of zero. */
static bool check_together(struct sim_api_reply *r, const struct order_fields *f)
{
	bool qty = was_sent(f, P_QUANTITY), quote = was_sent(f, P_QUOTE_QTY);
	if (f->type == SB_ORDER_MARKET && qty == quote) {
		sim_api_error(
		    r, 400, -1102,
		    qty ? "Parameter 'quantity' or 'quoteOrderQty' must be sent, but not both."
		        : "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!");
		return false;
	}
	if ((qty && f->quantity == 0) || (was_sent(f, P_PRICE) && f->price == 0) ||
	    (quote && f->quote_qty == 0)) {
		sim_api_error(r, 400, -1013, "Invalid quantity.");
		return false;
	}
	return true;
}

/* The book request and the filter spec of checked fields f. */
static void make_order(const struct sim_api_call *c, const struct order_fields *f, struct sim_new_order *o)
{
	snprintf(o->client_id, sizeof o->client_id, "%s", f->client_id);
	int resp = was_sent(f, P_RESP_TYPE) ? f->resp_type : f->type == SB_ORDER_LIMIT_MAKER ? 0 : 2;
	snprintf(o->resp_type, sizeof o->resp_type, "%s", resp_types[resp]);
	o->req = (struct sim_book_req){
	    .account = c->account->id,
	    .side = (enum sb_side)f->side,
	    .type = (enum sb_order_type)f->type,
	    .tif = (enum sb_tif)f->tif,
	    .price = f->price,
	    .qty = f->quantity,
	    .quote_qty = f->quote_qty,
	    .step = o->sym->rules.lot.step_size,
	    .client_id = o->client_id[0] ? o->client_id : NULL,
	    .client_id_len = strlen(o->client_id),
	    .time = c->now_ms,
	    .stp = f->stp,
	};
	static const enum sb_order_type spec_types[] = {SB_ORDER_LIMIT, SB_ORDER_MARKET,
	                                                SB_ORDER_LIMIT_MAKER};
	o->spec = (struct sb_order_spec){
	    .side = f->side == SB_SIDE_BUY ? SB_SIDE_BUY : SB_SIDE_SELL,
	    .type = spec_types[f->type],
	    .price = f->price,
	    .quantity = f->quantity,
	    .quote_order_qty = f->quote_qty,
	    .ref_price = o->sym->ref_price,
	    .open_orders = (int64_t)sim_book_open_count(o->sym->book, c->account->id),
	};
}

bool sim_api_parse_order(struct sim_api_call *c, struct sim_api_reply *r, struct sim_new_order *o)
{
	memset(o, 0, sizeof *o);
	o->sym = sim_api_need_symbol(c, r);
	if (!o->sym)
		return false;
	struct order_fields f = {.sym = o->sym, .type = -1, .stp = o->sym->stp.def};
	for (int id = 0; id < P_COUNT; id++)
		if (!read_param(c, r, (enum order_param_id)id, &f))
			return false;
	if (!check_together(r, &f))
		return false;
	make_order(c, &f, o);
	return true;
}

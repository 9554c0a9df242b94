/*
 * api_params.h - the parameters of spotsim's order and account methods, read and checked as Binance
 * does before anything happens: mandatory and refused parameters, decimals, integers, client order ids,
 * the order named by id or client id, and a new order's whole parameter set (binance-spot-api.md §4,
 * §6). Every refusal fills the reply with Binance's code and message, word for word, because clients
 * match them; the readers return false then and the method answers with it.
 */
#ifndef SIM_API_PARAMS_H
#define SIM_API_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/api.h"
#include "spotbot/rules.h"

/* The value of a mandatory parameter in buf (cap bytes); NULL with -1102 when absent or empty. */
const char *sim_api_need(struct sim_api_call *c, struct sim_api_reply *r, const char *name, char *buf,
                         size_t cap);

/* The mandatory symbol: -1102 when absent, -1121 when not listed. */
struct sim_symbol *sim_api_need_symbol(struct sim_api_call *c, struct sim_api_reply *r);

/* A decimal parameter: absent gives *present false and 0; malformed is -1100, more than eight places
 * -1111. */
bool sim_api_dec_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                       sb_dec *out);

/* An integer parameter (ids, times, limits): digits only, at most INT64_MAX, else -1100. Absent gives
 * *present false and 0. */
bool sim_api_int_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name, bool *present,
                       int64_t *out);

/* limit: def when absent, -1100 outside [1, max]. */
bool sim_api_limit_param(struct sim_api_call *c, struct sim_api_reply *r, int64_t def, int64_t max,
                         int64_t *out);

/* The mandatory parameter name as an index into names (n entries); -1102 when absent, code with msg
 * for any other value. */
bool sim_api_one_of(struct sim_api_call *c, struct sim_api_reply *r, const char *name,
                    const char *const *names, size_t n, int code, const char *msg, int *out);

/* An optional client order id parameter into out: "" when absent, -1100 when it is not
 * ^[\.A-Z\:/a-z0-9_-]{1,36}$. */
bool sim_api_client_id_param(struct sim_api_call *c, struct sim_api_reply *r, const char *name,
                             char out[SIM_CLIENT_ID_MAX + 1]);

/* An order as a request names it: by id, by client order id, or both. */
struct sim_order_ref {
	bool has_id;   /* an id was sent */
	int64_t id;    /* orderId (cancelOrderId) */
	char orig[64]; /* origClientOrderId (cancelOrigClientOrderId), "" when absent */
};

/* Reads an order reference from the parameters id_name and orig_name; -1102 when both are missing. */
bool sim_api_order_ref(struct sim_api_call *c, struct sim_api_reply *r, const char *id_name,
                       const char *orig_name, struct sim_order_ref *ref);

/* A new order's parameters, checked. */
struct sim_new_order {
	struct sim_symbol *sym;                /* the symbol */
	struct sim_book_req req;               /* what goes to the book */
	char client_id[SIM_CLIENT_ID_MAX + 1]; /* newClientOrderId, "" when absent */
	char resp_type[8];                     /* ACK, RESULT or FULL */
	struct sb_order_spec spec;             /* what the filters check */
};

/*
 * Reads and checks a new order's parameters (order.place, order.test, the new half of cancel-replace)
 * into o, as Binance does before the filters and the matching engine: symbol, side and type, then each
 * order parameter in turn (sent when its type refuses it, missing when its type needs it, malformed),
 * then what the parameters say together (MARKET's quantity or quoteOrderQty, amounts of zero).
 */
bool sim_api_parse_order(struct sim_api_call *c, struct sim_api_reply *r, struct sim_new_order *o);

#endif

/*
 * admin.c - spotsim's /sim/ endpoints: read the exchange's state and drive it from tests (set a price,
 * switch faults, deposit, pay fees in BNB). Served only to loopback peers unless --sim-admin-any.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_out.h"
#include "sim/rest.h"
#include "spotbot/query.h"

struct admin_args {
	struct sb_query q;                /* decoded query and body parameters */
	char query[SB_QUERY_MAX_LEN + 1]; /* the query arguments joined again */
};

static const char *arg(const struct admin_args *a, const char *name, char *buf, size_t cap)
{
	const char *v;
	size_t len;
	if (sb_query_get(&a->q, name, &v, &len) != SB_OK || len >= cap)
		return NULL;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return buf;
}

static bool parse_args(const struct sim_http_req *req, struct admin_args *a)
{
	struct sb_query_builder b;
	sb_query_builder_init(&b, a->query, sizeof a->query);
	for (size_t i = 0; i < req->nargs; i++)
		if (sb_query_builder_add_str(&b, req->args[i].key, req->args[i].value) != SB_OK)
			return false;
	return sb_query_parse_request(&a->q, a->query, b.len, req->body, req->body_len) == SB_OK;
}

static void state(struct sim_exchange *ex, struct sim_http_resp *resp)
{
	struct sb_buf b;
	sb_buf_init(&b, SB_JSON_MAX);
	sb_buf_printf(&b, "{\"serverTime\":%lld,\"symbols\":[", (long long)sim_exchange_now(ex));
	for (size_t i = 0; i < ex->nsymbols; i++) {
		struct sim_symbol *s = &ex->symbols[i];
		struct sim_book_level bid, ask;
		bool has_bid = sim_book_best(s->book, SB_SIDE_BUY, &bid);
		bool has_ask = sim_book_best(s->book, SB_SIDE_SELL, &ask);
		sb_buf_printf(&b, "{\"symbol\":");
		sb_json_str(&b, s->rules.symbol);
		sb_buf_printf(&b, ",\"lastPrice\":");
		sb_json_dec(&b, s->last_price);
		sb_buf_printf(&b, ",\"bidPrice\":");
		sb_json_dec(&b, has_bid ? bid.price : 0);
		sb_buf_printf(&b, ",\"askPrice\":");
		sb_json_dec(&b, has_ask ? ask.price : 0);
		sb_buf_printf(&b, ",\"openOrders\":%zu,\"replay\":%s},",
		              sim_book_open_count(s->book, SIM_ACCOUNT_MARKET), s->replay ? "true" : "false");
	}
	sb_buf_trim(&b, ',');
	sb_buf_printf(&b, "],\"accounts\":[");
	for (size_t i = 0; i < ex->naccounts; i++) {
		const struct sim_account *a = &ex->accounts[i];
		const struct sim_ledger_asset *assets;
		size_t n = 0;
		sim_ledger_balances(ex->ledger, a->id, &assets, &n);
		sb_buf_printf(&b, "{\"key\":");
		sb_json_str(&b, a->key);
		sb_buf_printf(&b, ",\"bnbFees\":%s,\"balances\":[",
		              sim_ledger_bnb_fees(ex->ledger, a->id) ? "true" : "false");
		for (size_t j = 0; j < n; j++) {
			sb_buf_printf(&b, "{\"asset\":");
			sb_json_str(&b, assets[j].asset);
			sb_buf_printf(&b, ",\"free\":");
			sb_json_dec(&b, assets[j].free);
			sb_buf_printf(&b, ",\"locked\":");
			sb_json_dec(&b, assets[j].locked);
			sb_buf_printf(&b, "},");
		}
		sb_buf_trim(&b, ',');
		sb_buf_printf(&b, "]},");
	}
	sb_buf_trim(&b, ',');
	const struct sim_faults *f = &ex->faults;
	sb_buf_printf(
	    &b,
	    "],\"faults\":{\"hide_user_events\":%s,\"order_5xx_after\":%s,\"order_5xx_before\":%s,"
	    "\"delay_ms\":%u,\"force_429\":%u,\"clock_skew_ms\":%lld,\"drop_ws\":%u,\"ws_lifetime_s\":%u,"
	    "\"user_events_delay_ms\":%u,\"flat_market\":%s,\"wsapi_down\":%s,\"order_ws_drop\":%s},"
	    "\"usedWeight\":%u,\"weightTotal\":%llu,\"refused\":%llu,\"orderQueries\":%llu,"
	    "\"orderRequests\":{\"rest\":%llu,\"ws\":%llu}}",
	    f->hide_user_events ? "true" : "false", f->order_5xx_after ? "true" : "false",
	    f->order_5xx_before ? "true" : "false", f->delay_ms, f->force_429_s, (long long)f->clock_skew_ms,
	    f->drop_ws_every_s, f->ws_lifetime_s, f->user_delay_ms, f->flat_market ? "true" : "false",
	    f->wsapi_down ? "true" : "false", f->order_ws_drop ? "true" : "false", ex->weight.used,
	    (unsigned long long)ex->weight.total, (unsigned long long)ex->weight.refused,
	    (unsigned long long)ex->weight.queries, (unsigned long long)ex->order_requests[0],
	    (unsigned long long)ex->order_requests[1]);
	size_t len = b.len;
	char *text = sb_buf_take(&b);
	if (!text) {
		sim_http_resp_error(resp, 500, -1000, "State too large.");
		return;
	}
	resp->status = 200;
	resp->body_len = len;
	resp->body = text;
}

static void set_price(struct sim_exchange *ex, const struct admin_args *a, struct sim_http_resp *resp)
{
	char sym[64], price[64], qty[64];
	sb_dec p, q = 0;
	struct sim_symbol *s = NULL;
	if (!arg(a, "symbol", sym, sizeof sym) || !(s = sim_exchange_symbol(ex, sym, strlen(sym)))) {
		sim_http_resp_error(resp, 400, -1121, "Invalid symbol.");
		return;
	}
	bool has_qty = arg(a, "qty", qty, sizeof qty);
	if (!arg(a, "price", price, sizeof price) || sb_dec_parse_nonneg(price, strlen(price), &p) != SB_OK ||
	    (has_qty && sb_dec_parse_nonneg(qty, strlen(qty), &q) != SB_OK) ||
	    sim_exchange_set_price(ex, s, p, q) != SB_OK) {
		sim_http_resp_error(resp, 400, -1100,
		                    "price must be a positive multiple of the symbol's tick size, qty one of "
		                    "its step size.");
		return;
	}
	sim_http_resp_text(resp, 200, "{}");
}

static void set_fault(struct sim_exchange *ex, const struct admin_args *a, struct sim_http_resp *resp)
{
	char name[64], value[64];
	if (!arg(a, "name", name, sizeof name)) {
		sim_http_resp_error(resp, 400, -1102, "Mandatory parameter 'name' was not sent.");
		return;
	}
	if (!arg(a, "value", value, sizeof value))
		value[0] = '\0';
	if (sim_exchange_set_fault(ex, name, value) != SB_OK) {
		sim_http_resp_error(resp, 400, -1100, "Unknown fault or bad value (see spotsim --help).");
		return;
	}
	sim_http_resp_text(resp, 200, "{}");
}

static struct sim_account *account_arg(struct sim_exchange *ex, const struct admin_args *a,
                                       struct sim_http_resp *resp)
{
	char key[SIM_API_KEY_MAX];
	struct sim_account *acc = NULL;
	if (!arg(a, "key", key, sizeof key) || !(acc = sim_exchange_account(ex, key, strlen(key))))
		sim_http_resp_error(resp, 400, -2015, "Unknown account key.");
	return acc;
}

static void set_account(struct sim_exchange *ex, const struct admin_args *a, struct sim_http_resp *resp)
{
	struct sim_account *acc = account_arg(ex, a, resp);
	if (!acc)
		return;
	char v[16];
	if (arg(a, "bnbFees", v, sizeof v)) {
		sim_ledger_set_bnb_fees(ex->ledger, acc->id, strcmp(v, "true") == 0);
		ex->state_dirty = true;
	}
	sim_http_resp_text(resp, 200, "{}");
}

static void deposit(struct sim_exchange *ex, const struct admin_args *a, struct sim_http_resp *resp)
{
	struct sim_account *acc = account_arg(ex, a, resp);
	if (!acc)
		return;
	char asset[SIM_ASSET_MAX + 1], amount[64];
	sb_dec amt;
	if (!arg(a, "asset", asset, sizeof asset) || !arg(a, "amount", amount, sizeof amount) ||
	    sb_dec_parse_nonneg(amount, strlen(amount), &amt) != SB_OK || amt == 0 ||
	    sim_ledger_deposit(ex->ledger, acc->id, asset, amt) != SB_OK) {
		sim_http_resp_error(resp, 400, -1100, "asset and a positive amount are required.");
		return;
	}
	ex->state_dirty = true;
	if (ex->hooks.user) {
		struct sb_buf b;
		int64_t now = sim_exchange_now(ex);
		sb_buf_init(&b, SB_JSON_MAX);
		sb_buf_printf(&b, "{\"e\":\"balanceUpdate\",\"E\":%lld,\"a\":", (long long)now);
		sb_json_str(&b, asset);
		sb_buf_printf(&b, ",\"d\":");
		sb_json_dec(&b, amt);
		sb_buf_printf(&b, ",\"T\":%lld}", (long long)now);
		ex->hooks.user(ex->hooks.ctx, acc->id, b.p, b.len);
		sb_buf_fini(&b);
	}
	sim_http_resp_text(resp, 200, "{}");
}

void sim_admin_handle(struct sim_exchange *ex, const struct sim_http_req *req, bool any_peer,
                      struct sim_http_resp *resp)
{
	if (!req->loopback && !any_peer) {
		sim_http_resp_error(
		    resp, 403, -1000,
		    "/sim/ endpoints are served on loopback only (spotsim --sim-admin-any opens them).");
		return;
	}
	static struct admin_args a;
	if (!parse_args(req, &a)) {
		sim_http_resp_error(resp, 400, -1100, "Malformed parameters.");
		return;
	}
	bool post = req->method == SIM_POST;
	if (req->method == SIM_GET && strcmp(req->path, "/sim/state") == 0)
		state(ex, resp);
	else if (post && strcmp(req->path, "/sim/price") == 0)
		set_price(ex, &a, resp);
	else if (post && strcmp(req->path, "/sim/fault") == 0)
		set_fault(ex, &a, resp);
	else if (post && strcmp(req->path, "/sim/account") == 0)
		set_account(ex, &a, resp);
	else if (post && strcmp(req->path, "/sim/deposit") == 0)
		deposit(ex, &a, resp);
	else
		sim_http_resp_error(resp, 404, -1000, "Unknown /sim/ endpoint.");
}

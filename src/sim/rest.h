/*
 * rest.h - spotsim's REST front (/api/v3/...) and its admin endpoints (/sim/...).
 */
#ifndef SIM_REST_H
#define SIM_REST_H

#include "sim/exchange.h"
#include "sim/http.h"

/* Answers one /api/v3 request. */
void sim_rest_handle(struct sim_exchange *ex, const struct sim_http_req *req, struct sim_http_resp *resp);

/*
 * Answers one /sim/ request (loopback peers only, others get 403, unless any_peer: spotsim
 * --sim-admin-any):
 *   GET  /sim/state                          symbols (last price, best bid/ask, open orders), accounts
 *                                            (balances), faults
 *   POST /sim/price?symbol=S&price=P         trade S at P now, with a book around it
 *   POST /sim/fault?name=N[&value=V]         switch a fault on (value "off" switches it off)
 *   POST /sim/account?key=K&bnbFees=true     pay commissions in BNB (or false)
 *   POST /sim/deposit?key=K&asset=A&amount=X add to a balance (a balanceUpdate event follows)
 */
void sim_admin_handle(struct sim_exchange *ex, const struct sim_http_req *req, bool any_peer,
                      struct sim_http_resp *resp);

#endif

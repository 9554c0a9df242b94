/*
 * sbtest_exchange.c - spotsim's exchange in the test's process (see sbtest_exchange.h).
 */
#include "sbtest_exchange.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sim/options.h"

#define MAX_ARGS 64

struct sim_exchange *sbt_exchange_new(uv_loop_t *loop, const char *const *args,
                                      const struct sim_exchange_hooks *hooks, char *err, size_t cap)
{
	static struct sim_options opts; /* large: not on the stack */
	char *argv[MAX_ARGS];
	int argc = 0;
	argv[argc++] = (char *)"spotsim";
	for (size_t i = 0; args && args[i]; i++) {
		cr_assert_lt(argc, MAX_ARGS - 1);
		argv[argc++] = (char *)args[i];
	}
	argv[argc] = NULL;
	cr_assert_eq(sim_options_parse(argc, argv, &opts, stderr), SB_OK);
	memset(err, 0, cap);
	FILE *f = fmemopen(err, cap - 1, "w");
	cr_assert_not_null(f);
	struct sim_exchange *ex = NULL;
	sb_err e = sim_exchange_new(loop, &opts, hooks, f, &ex);
	fclose(f);
	return e ? NULL : ex;
}

void sbt_exchange_free(uv_loop_t *loop, struct sim_exchange *ex)
{
	sim_exchange_stop(ex);
	uv_run(loop, UV_RUN_DEFAULT);
	sim_exchange_free(ex);
}

uint64_t sbt_exchange_limit(struct sim_exchange *ex, const char *symbol, enum sb_side side, const char *price,
                            const char *qty, const char *client_id)
{
	struct sim_symbol *s = sim_exchange_symbol(ex, symbol, strlen(symbol));
	cr_assert_not_null(s, "%s is served", symbol);
	struct sim_book_req req = {
	    .account = ex->accounts[0].id,
	    .side = side,
	    .type = SB_ORDER_LIMIT,
	    .tif = SB_TIF_GTC,
	    .client_id = client_id,
	    .client_id_len = strlen(client_id),
	    .time = sim_exchange_now(ex),
	};
	cr_assert_eq(sb_dec_parse_cstr(price, &req.price), SB_OK);
	cr_assert_eq(sb_dec_parse_cstr(qty, &req.qty), SB_OK);
	sim_book_result_clear(&ex->scratch);
	cr_assert_eq(sim_ledger_place(ex->ledger, s->book, &req, 0, &ex->scratch), SB_OK);
	sim_exchange_settled(ex, s, &ex->scratch);
	return ex->scratch.order_id;
}

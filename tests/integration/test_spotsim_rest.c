/*
 * spotsim's REST API over real loopback sockets: the program is started as a child process and
 * spoken to like any Binance client (signed requests, Binance's errors and headers).
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_sim.h"

#define KEY    "it-key"
#define SECRET "it-secret"

static struct sbt_proc sim;

static void start(void)
{
	static const char *const args[] = {"--account", KEY ":" SECRET ":USDT=100000,BTC=2,BNB=50",
	                                   "--symbols", "BTCUSDT,BNBUSDT",
	                                   "--seed",    "7",
	                                   NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
}

static void stop(void)
{
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
}

TestSuite(spotsim_rest, .init = start, .fini = stop, .timeout = 60);

static void expect_error(struct sbt_response *r, long status, int code)
{
	cr_assert_eq(r->status, status, "status %ld, body %s", r->status, r->body);
	cJSON *j = sbt_jparse(r->body);
	cr_assert_eq((int)sbt_jnum(j, "code"), code, "body %s", r->body);
	cJSON_Delete(j);
	sbt_response_free(r);
}

/* The best bid of BTCUSDT now, as a string with 2 decimals. */
static void best(const char *which, char *out, size_t cap)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", NULL, NULL, &r));
	cJSON *j = sbt_jparse(r.body);
	snprintf(out, cap, "%s", sbt_jstr(j, which));
	cJSON_Delete(j);
	sbt_response_free(&r);
}

Test(spotsim_rest, public_endpoints_answer_with_weight_headers)
{
	struct sbt_response r;
	char h[64];
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/ping", NULL, NULL, &r));
	cr_assert_eq(r.status, 200);
	cr_assert_str_eq(r.body, "{}");
	cr_assert_not_null(sbt_header(&r, "x-mbx-used-weight-1m", h, sizeof h), "%s", r.headers);
	sbt_response_free(&r);
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/exchangeInfo?symbol=BTCUSDT", NULL, NULL, &r));
	cJSON *j = sbt_jparse(r.body);
	const cJSON *syms = cJSON_GetObjectItemCaseSensitive(j, "symbols");
	cr_assert_eq(cJSON_GetArraySize(syms), 1);
	cr_assert_str_eq(sbt_jstr(cJSON_GetArrayItem(syms, 0), "symbol"), "BTCUSDT");
	cJSON_Delete(j);
	sbt_response_free(&r);
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/exchangeInfo?symbol=NOPE", NULL, NULL, &r));
	expect_error(&r, 400, -1121);
}

Test(spotsim_rest, limit_buy_rests_locks_funds_and_cancels)
{
	char bid[32], params[256], h[32];
	best("bidPrice", bid, sizeof bid);
	/* 10% under the bid: it rests. */
	double p = strtod(bid, NULL) * 0.9;
	snprintf(
	    params, sizeof params,
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=%.2f&newClientOrderId=it-1",
	    p);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order", params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(sbt_header(&r, "X-MBX-ORDER-COUNT-10S", h, sizeof h));
	cJSON *j = sbt_jparse(r.body);
	cr_assert_str_eq(sbt_jstr(j, "status"), "NEW");
	cr_assert_str_eq(sbt_jstr(j, "clientOrderId"), "it-1");
	cr_assert_str_eq(sbt_jstr(j, "origQty"), "0.01000000");
	cJSON_Delete(j);
	sbt_response_free(&r);

	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	j = sbt_jparse(r.body);
	cr_assert_eq(cJSON_GetArraySize(j), 1);
	cJSON_Delete(j);
	sbt_response_free(&r);

	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "omitZeroBalances=true", KEY, SECRET, &r));
	cr_assert(strstr(r.body, "\"asset\":\"USDT\""), "%s", r.body);
	j = sbt_jparse(r.body);
	const cJSON *bal;
	double locked = -1;
	cJSON_ArrayForEach(bal, cJSON_GetObjectItemCaseSensitive(j, "balances"))
	{
		if (strcmp(sbt_jstr(bal, "asset"), "USDT") == 0)
			locked = strtod(sbt_jstr(bal, "locked"), NULL);
	}
	cr_assert_float_eq(locked, p * 0.01, 0.011, "locked %f", locked);
	cJSON_Delete(j);
	sbt_response_free(&r);

	cr_assert(sbt_signed(sim.port, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=it-1",
	                     KEY, SECRET, &r));
	j = sbt_jparse(r.body);
	cr_assert_str_eq(sbt_jstr(j, "status"), "CANCELED", "%s", r.body);
	cr_assert_str_eq(sbt_jstr(j, "origClientOrderId"), "it-1");
	cJSON_Delete(j);
	sbt_response_free(&r);

	cr_assert(sbt_signed(sim.port, "DELETE", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=it-1",
	                     KEY, SECRET, &r));
	expect_error(&r, 400, -2011);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=nope", KEY,
	                     SECRET, &r));
	expect_error(&r, 400, -2013);
}

Test(spotsim_rest, market_buy_fills_with_commission_in_the_base_asset)
{
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order",
	                     "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.00100", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	cr_assert_str_eq(sbt_jstr(j, "status"), "FILLED");
	cr_assert_str_eq(sbt_jstr(j, "executedQty"), "0.00100000");
	const cJSON *fills = cJSON_GetObjectItemCaseSensitive(j, "fills");
	cr_assert_geq(cJSON_GetArraySize(fills), 1);
	double commission = 0;
	const cJSON *f;
	cJSON_ArrayForEach(f, fills)
	{
		cr_assert_str_eq(sbt_jstr(f, "commissionAsset"), "BTC");
		commission += strtod(sbt_jstr(f, "commission"), NULL);
	}
	cr_assert_float_eq(commission, 0.000001, 1e-9, "0.1%% of 0.001 BTC, got %.8f", commission);
	cJSON_Delete(j);
	sbt_response_free(&r);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/myTrades", "symbol=BTCUSDT", KEY, SECRET, &r));
	j = sbt_jparse(r.body);
	cr_assert_geq(cJSON_GetArraySize(j), 1, "%s", r.body);
	cJSON_Delete(j);
	sbt_response_free(&r);
}

Test(spotsim_rest, resting_order_fills_when_the_market_trades_through_it)
{
	char ask[32], params[256], q[128];
	best("askPrice", ask, sizeof ask);
	double a = strtod(ask, NULL);
	/* A sell 1% above the market, then the market is moved 2% up through it. */
	snprintf(
	    params, sizeof params,
	    "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=0.00500&price=%.2f&newClientOrderId=it-sell",
	    a * 1.01);
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order", params, KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	snprintf(q, sizeof q, "symbol=BTCUSDT&price=%.2f", a * 1.02);
	cr_assert(sbt_http(sim.port, "POST", "/sim/price", q, NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=it-sell",
	                     KEY, SECRET, &r));
	cJSON *j = sbt_jparse(r.body);
	cr_assert_str_eq(sbt_jstr(j, "status"), "FILLED", "%s", r.body);
	cJSON_Delete(j);
	sbt_response_free(&r);
}

Test(spotsim_rest, filters_balances_and_parameters_give_binance_errors)
{
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order",
	                     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=100.001",
	                     KEY, SECRET, &r));
	expect_error(&r, 400, -1013);
	cr_assert(
	    sbt_signed(sim.port, "POST", "/api/v3/order",
	               "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.00001&price=20000", KEY,
	               SECRET, &r));
	cr_assert(strstr(r.body, "Filter failure: NOTIONAL"), "%s", r.body);
	expect_error(&r, 400, -1013);
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order",
	                     "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=100&price=20000",
	                     KEY, SECRET, &r));
	cr_assert(strstr(r.body, "insufficient balance"), "%s", r.body);
	expect_error(&r, 400, -2010);
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order", "symbol=BTCUSDT&side=BUY&type=MARKET", KEY,
	                     SECRET, &r));
	expect_error(&r, 400, -1102);
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order",
	                     "symbol=BTCUSDT&side=UP&type=MARKET&quantity=1", KEY, SECRET, &r));
	expect_error(&r, 400, -1117);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "a=1&a=2", KEY, SECRET, &r));
	expect_error(&r, 400, -1101);
}

/* A number of 19 digits past what an int64 holds is refused as Binance refuses it, not overflowed; spotsim
 * answers the next request as before. */
Test(spotsim_rest, an_integer_parameter_too_large_for_an_int64_is_an_illegal_parameter)
{
	struct sbt_response r;
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=9999999999999999999", NULL,
	                   NULL, &r));
	expect_error(&r, 400, -1100);
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/aggTrades?symbol=BTCUSDT&fromId=9300000000000000000",
	                   NULL, NULL, &r));
	expect_error(&r, 400, -1100);
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/depth?symbol=BTCUSDT&limit=5", NULL, NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
}

/* A newClientOrderId longer than any valid one is refused, not replaced by a generated id: nothing is
 * placed, as spotsim's own open orders show. */
Test(spotsim_rest, an_overlong_client_order_id_is_refused_and_places_nothing)
{
	char params[256];
	snprintf(
	    params, sizeof params,
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01&price=1000&newClientOrderId=%s",
	    "a-client-order-id-of-seventy-characters-which-is-longer-than-thirty-six");
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "POST", "/api/v3/order", params, KEY, SECRET, &r));
	cr_assert(strstr(r.body, "newClientOrderId"), "the error names the parameter: %s", r.body);
	expect_error(&r, 400, -1100);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", KEY, SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_str_eq(r.body, "[]", "no order was placed");
	sbt_response_free(&r);
}

Test(spotsim_rest, authentication_failures)
{
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", KEY, "wrong-secret", &r));
	expect_error(&r, 400, -1022);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", "nobody", SECRET, &r));
	expect_error(&r, 401, -2015);
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/account?timestamp=1", NULL, NULL, &r));
	expect_error(&r, 401, -2014);
	cr_assert(
	    sbt_http(sim.port, "GET", "/api/v3/account?timestamp=1499827319559&signature=00", NULL, KEY, &r));
	expect_error(&r, 400, -1021);
}

Test(spotsim_rest, faults_switch_on_and_off_at_run_time)
{
	struct sbt_response r;
	char h[32];
	cr_assert(sbt_http(sim.port, "POST", "/sim/fault", "name=force_429&value=7", NULL, &r));
	sbt_response_free(&r);
	cr_assert(sbt_http(sim.port, "GET", "/api/v3/time", NULL, NULL, &r));
	cr_assert_str_eq(sbt_header(&r, "Retry-After", h, sizeof h), "7");
	expect_error(&r, 429, -1003);
	cr_assert(sbt_http(sim.port, "POST", "/sim/fault", "name=force_429&value=off", NULL, &r));
	sbt_response_free(&r);

	/* 5xx after executing: the order exists although the answer says the outcome is unknown. */
	cr_assert(sbt_http(sim.port, "POST", "/sim/fault", "name=order_5xx_after", NULL, &r));
	sbt_response_free(&r);
	cr_assert(sbt_signed(
	    sim.port, "POST", "/api/v3/order",
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000&newClientOrderId=it-5xx",
	    KEY, SECRET, &r));
	expect_error(&r, 503, -1007);
	cr_assert(sbt_http(sim.port, "POST", "/sim/fault", "name=order_5xx_after&value=off", NULL, &r));
	sbt_response_free(&r);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=it-5xx", KEY,
	                     SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);

	/* 5xx before executing: no order. */
	cr_assert(sbt_http(sim.port, "POST", "/sim/fault", "name=order_5xx_before", NULL, &r));
	sbt_response_free(&r);
	cr_assert(sbt_signed(
	    sim.port, "POST", "/api/v3/order",
	    "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=30000&newClientOrderId=it-none",
	    KEY, SECRET, &r));
	expect_error(&r, 503, -1007);
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/order", "symbol=BTCUSDT&origClientOrderId=it-none",
	                     KEY, SECRET, &r));
	expect_error(&r, 400, -2013);
}

Test(spotsim_rest, a_taken_port_is_a_clear_error_with_exit_2)
{
	char path[1024], listen[64];
	snprintf(listen, sizeof listen, "127.0.0.1:%d", sim.port);
	sbt_program("spotsim", path, sizeof path);
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(devnull, 2);
		execl(path, path, "--listen", listen, (char *)NULL);
		_exit(127);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status), "spotsim on a taken port must exit, not crash (status %d)", status);
	cr_assert_eq(WEXITSTATUS(status), 2);
}

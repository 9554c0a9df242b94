/*
 * sbtest_sim.c - spotsim requests and JSON accessors that fail the test on surprises (see sbtest_sim.h).
 */
#include "sbtest_sim.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbtest.h"

cJSON *sbt_jparse(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	cr_assert_not_null(j, "not JSON: %s", text);
	return j;
}

const cJSON *sbt_jfield(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	cr_assert_not_null(v, "field %s missing in %s", k, cJSON_PrintUnformatted(o));
	return v;
}

const char *sbt_jstr(const cJSON *o, const char *k)
{
	const cJSON *v = sbt_jfield(o, k);
	cr_assert(cJSON_IsString(v), "field %s is not a string", k);
	return v->valuestring;
}

double sbt_jnum(const cJSON *o, const char *k)
{
	const cJSON *v = sbt_jfield(o, k);
	cr_assert(cJSON_IsNumber(v), "field %s is not a number", k);
	return v->valuedouble;
}

double sbt_jdec(const cJSON *o, const char *k)
{
	const char *s = sbt_jstr(o, k);
	char *end = NULL;
	double v = strtod(s, &end);
	cr_assert(end != s && *end == '\0', "field %s is not a decimal: %s", k, s);
	return v;
}

void sbt_sim_post(int port, const char *path)
{
	struct sbt_response r;
	cr_assert(sbt_http(port, "POST", path, NULL, NULL, &r));
	cr_assert_eq(r.status, 200, "%s: %s", path, r.body);
	sbt_response_free(&r);
}

void sbt_sim_fault(int port, const char *spec)
{
	char body[128];
	snprintf(body, sizeof body, "name=%s", spec);
	struct sbt_response r;
	cr_assert(sbt_http(port, "POST", "/sim/fault", body, NULL, &r));
	cr_assert_eq(r.status, 200, "%s: %s", spec, r.body);
	sbt_response_free(&r);
}

long long sbt_sim_order_requests(int port, bool ws)
{
	struct sbt_response r;
	cr_assert(sbt_http(port, "GET", "/sim/state", NULL, NULL, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	long long n = (long long)sbt_jnum(sbt_jfield(j, "orderRequests"), ws ? "ws" : "rest");
	cJSON_Delete(j);
	sbt_response_free(&r);
	return n;
}

double sbt_sim_best(int port, const char *which)
{
	struct sbt_response r;
	cr_assert(sbt_http(port, "GET", "/api/v3/ticker/bookTicker?symbol=BTCUSDT", NULL, NULL, &r));
	cJSON *j = sbt_jparse(r.body);
	double v = sbt_jdec(j, which);
	cJSON_Delete(j);
	sbt_response_free(&r);
	return v;
}

long long sbt_sim_order(int port, const char *key, const char *secret, const char *params)
{
	struct sbt_response r;
	cr_assert(sbt_signed(port, "POST", "/api/v3/order", params, key, secret, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	long long id = (long long)sbt_jnum(j, "orderId");
	cJSON_Delete(j);
	sbt_response_free(&r);
	return id;
}

long long sbt_sim_resting_buy(int port, const char *key, const char *secret, const char *client_id)
{
	char params[256];
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.01000&price=%.2f"
	         "&newClientOrderId=%s",
	         sbt_sim_best(port, "bidPrice") * 0.9, client_id);
	return sbt_sim_order(port, key, secret, params);
}

void sbt_sim_listen_key(int port, const char *key, char *buf, size_t cap)
{
	struct sbt_response r;
	cr_assert(sbt_http(port, "POST", "/api/v3/userDataStream", NULL, key, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	snprintf(buf, cap, "%s", sbt_jstr(j, "listenKey"));
	cJSON_Delete(j);
	sbt_response_free(&r);
}

void sbt_sim_balance(int port, const char *key, const char *secret, const char *asset, sb_dec *free_out,
                     sb_dec *locked_out)
{
	struct sbt_response r;
	cr_assert(sbt_signed(port, "GET", "/api/v3/account", "", key, secret, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cJSON *j = sbt_jparse(r.body);
	const cJSON *b;
	bool found = false;
	cJSON_ArrayForEach(b, sbt_jfield(j, "balances"))
	{
		if (strcmp(sbt_jstr(b, "asset"), asset) != 0)
			continue;
		const char *f = sbt_jstr(b, "free"), *l = sbt_jstr(b, "locked");
		cr_assert_eq(sb_dec_parse(f, strlen(f), free_out), SB_OK, "%s free %s", asset, f);
		cr_assert_eq(sb_dec_parse(l, strlen(l), locked_out), SB_OK, "%s locked %s", asset, l);
		found = true;
	}
	cr_assert(found, "no %s in %s", asset, r.body);
	cJSON_Delete(j);
	sbt_response_free(&r);
}

/*
 * spotsim with Ed25519 API keys (--account KEY:ed25519:PUBLIC.pem:BALANCES) over real loopback sockets:
 * REST requests signed with the account's private key (base64, percent-encoded) are accepted and any
 * other key's signature gets Binance's -1022; the WebSocket API takes Ed25519-signed requests and
 * session.logon, which an HMAC account beside it may not use. Key pairs are generated per run.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_keys.h"
#include "sbtest_sim.h"
#include "sbtest_ws.h"
#include "sim/options.h"
#include "spotbot/clock.h"
#include "spotbot/query.h"
#include "spotbot/sign.h"

#define ED_KEY      "ed-key"
#define HMAC_KEY    "hmac-key"
#define HMAC_SECRET "hmac-secret"

static struct sbt_proc sim;
static char dir[64];    /* temporary directory of the keys */
static char priv[128];  /* the Ed25519 account's private key */
static char pub[128];   /* its public key, given to spotsim */
static char other[128]; /* a private key of another pair, which spotsim does not know */
static char other_pub[128];

static void start(void)
{
	snprintf(dir, sizeof dir, "/tmp/sbed.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(priv, sizeof priv, "%s/ed.pem", dir);
	snprintf(pub, sizeof pub, "%s/ed.pub.pem", dir);
	snprintf(other, sizeof other, "%s/other.pem", dir);
	snprintf(other_pub, sizeof other_pub, "%s/other.pub.pem", dir);
	cr_assert(sbt_ed25519_keypair(priv, pub, 0600));
	cr_assert(sbt_ed25519_keypair(other, other_pub, 0600));
	char account[256];
	snprintf(account, sizeof account, ED_KEY ":ed25519:%s:USDT=1000,BTC=1", pub);
	const char *const args[] = {"--account", account,   "--account", HMAC_KEY ":" HMAC_SECRET ":USDT=10",
	                            "--symbols", "BTCUSDT", "--seed",    "3",
	                            NULL};
	cr_assert(sbt_spotsim_start(&sim, args));
}

static void stop(void)
{
	cr_assert_eq(sbt_proc_stop(&sim, SIGTERM, 5000), 0, "spotsim must exit 0 on SIGTERM");
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(spotsim_ed25519, .init = start, .fini = stop, .timeout = 60);

static void expect_error(struct sbt_response *r, long status, int code, const char *msg)
{
	cr_assert_eq(r->status, status, "status %ld, body %s", r->status, r->body);
	cJSON *j = sbt_jparse(r->body);
	cr_assert_eq((int)sbt_jnum(j, "code"), code, "body %s", r->body);
	cr_assert_str_eq(sbt_jstr(j, "msg"), msg);
	cJSON_Delete(j);
	sbt_response_free(r);
}

/* ---- REST ---- */

/* A limit buy price 10% under the best bid, which rests and passes PERCENT_PRICE_BY_SIDE. */
static void rest_price(char *out, size_t cap)
{
	snprintf(out, cap, "%.2f", sbt_sim_best(sim.port, "bidPrice") * 0.9);
}

Test(spotsim_ed25519, rest_request_signed_with_the_accounts_key_is_accepted)
{
	struct sbt_response r;
	cr_assert(sbt_signed_ed25519(sim.port, "GET", "/api/v3/account", "omitZeroBalances=true", ED_KEY,
	                             priv, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"asset\":\"USDT\",\"free\":\"1000.00000000\""), "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"asset\":\"BTC\",\"free\":\"1.00000000\""), "%s", r.body);
	sbt_response_free(&r);

	/* A signed POST carries the signature in the form body; the order is placed and listed. */
	char price[32], params[256];
	rest_price(price, sizeof price);
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=%s"
	         "&newClientOrderId=ed-1",
	         price);
	cr_assert(sbt_signed_ed25519(sim.port, "POST", "/api/v3/order", params, ED_KEY, priv, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"clientOrderId\":\"ed-1\""), "%s", r.body);
	sbt_response_free(&r);
	cr_assert(
	    sbt_signed_ed25519(sim.port, "GET", "/api/v3/openOrders", "symbol=BTCUSDT", ED_KEY, priv, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	cr_assert_not_null(strstr(r.body, "\"clientOrderId\":\"ed-1\""), "%s", r.body);
	sbt_response_free(&r);
}

Test(spotsim_ed25519, rest_signature_of_another_key_is_refused_with_1022)
{
	struct sbt_response r;
	cr_assert(sbt_signed_ed25519(sim.port, "GET", "/api/v3/account", "", ED_KEY, other, &r));
	expect_error(&r, 400, -1022, "Signature for this request is not valid.");
	cr_assert(sbt_signed_ed25519(sim.port, "POST", "/api/v3/order/test",
	                             "symbol=BTCUSDT&side=BUY&type=MARKET&quoteOrderQty=10", ED_KEY, other,
	                             &r));
	expect_error(&r, 400, -1022, "Signature for this request is not valid.");
	/* An HMAC signature is no Ed25519 signature, even with the right key name. */
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", ED_KEY, HMAC_SECRET, &r));
	expect_error(&r, 400, -1022, "Signature for this request is not valid.");
}

Test(spotsim_ed25519, rest_altered_payload_or_signature_is_refused)
{
	char payload[128], sig[SB_SIGN_MAX], enc[3 * SB_SIGN_MAX], url[512];
	struct sb_signer *s;
	struct sbt_response r;
	cr_assert_eq(sb_signer_new_ed25519_file(priv, &s), SB_OK);
	snprintf(payload, sizeof payload, "timestamp=%lld", (long long)sb_clock_wall_ms());
	cr_assert_eq(sb_signer_sign(s, payload, strlen(payload), sig, sizeof sig, NULL), SB_OK);
	sb_signer_free(s);
	cr_assert_eq(sb_query_encode(sig, strlen(sig), enc, sizeof enc, NULL), SB_OK);

	/* The signature as signed: accepted. */
	snprintf(url, sizeof url, "/api/v3/account?%s&signature=%s", payload, enc);
	cr_assert(sbt_http(sim.port, "GET", url, NULL, ED_KEY, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	/* A parameter added after signing. */
	snprintf(url, sizeof url, "/api/v3/account?%s&omitZeroBalances=true&signature=%s", payload, enc);
	cr_assert(sbt_http(sim.port, "GET", url, NULL, ED_KEY, &r));
	expect_error(&r, 400, -1022, "Signature for this request is not valid.");
	/* One base64 character changed. */
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	cr_assert_eq(sb_query_encode(sig, strlen(sig), enc, sizeof enc, NULL), SB_OK);
	snprintf(url, sizeof url, "/api/v3/account?%s&signature=%s", payload, enc);
	cr_assert(sbt_http(sim.port, "GET", url, NULL, ED_KEY, &r));
	expect_error(&r, 400, -1022, "Signature for this request is not valid.");
	/* No signature at all. */
	snprintf(url, sizeof url, "/api/v3/account?%s", payload);
	cr_assert(sbt_http(sim.port, "GET", url, NULL, ED_KEY, &r));
	expect_error(&r, 400, -1102,
	             "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
}

Test(spotsim_ed25519, hmac_account_beside_it_works_as_before)
{
	struct sbt_response r;
	cr_assert(sbt_signed(sim.port, "GET", "/api/v3/account", "", HMAC_KEY, HMAC_SECRET, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	cr_assert(sbt_signed_ed25519(sim.port, "GET", "/api/v3/account", "", HMAC_KEY, priv, &r));
	expect_error(&r, 400, -1022, "Signature for this request is not valid.");
}

/* ---- WebSocket API ---- */

/* Sends an Ed25519-signed WebSocket API request: sorted is every param in name order ("k=v&..."),
 * timestamp a number, the rest strings; the signature goes out as plain base64. */
static void ws_signed_ed25519(struct sbt_wsc *c, const char *key_file, int id, const char *method,
                              const char *sorted)
{
	char sig[SB_SIGN_MAX], params[1024], copy[512];
	size_t used = 0;
	struct sb_signer *s;
	cr_assert_eq(sb_signer_new_ed25519_file(key_file, &s), SB_OK);
	cr_assert_eq(sb_signer_sign(s, sorted, strlen(sorted), sig, sizeof sig, NULL), SB_OK);
	sb_signer_free(s);
	snprintf(copy, sizeof copy, "%s", sorted);
	char *save = NULL;
	for (char *kv = strtok_r(copy, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		cr_assert_not_null(eq);
		*eq = '\0';
		int n = snprintf(params + used, sizeof params - used,
		                 strcmp(kv, "timestamp") == 0 ? "\"%s\":%s," : "\"%s\":\"%s\",", kv, eq + 1);
		cr_assert(n > 0 && (size_t)n < sizeof params - used);
		used += (size_t)n;
	}
	sbt_ws_send(c, "{\"id\":%d,\"method\":\"%s\",\"params\":{%s\"signature\":\"%s\"}}", id, method,
	            params, sig);
}

Test(spotsim_ed25519, ws_api_signed_request_logon_and_user_data)
{
	struct sbt_ws h;
	char p[256];
	sbt_ws_init(&h, sim.port);
	struct sbt_wsc *c = sbt_ws_connect(&h, 0, "/ws-api/v3");

	/* A signed request with the right key, then with another key's signature. */
	snprintf(p, sizeof p, "apiKey=" ED_KEY "&timestamp=%lld", (long long)sb_clock_wall_ms());
	ws_signed_ed25519(c, priv, 1, "account.status", p);
	size_t at = SBT_WS_WAIT(&h, c, 0, "\"id\":1,");
	cr_assert_not_null(strstr(c->msg[at], "\"status\":200"), "%s", c->msg[at]);
	ws_signed_ed25519(c, other, 2, "account.status", p);
	at = SBT_WS_WAIT(&h, c, 0, "\"id\":2,");
	cr_assert_not_null(strstr(c->msg[at], "\"code\":-1022"), "%s", c->msg[at]);

	/* session.logon with another key is refused; with the account's key it logs on. */
	snprintf(p, sizeof p, "apiKey=" ED_KEY "&timestamp=%lld", (long long)sb_clock_wall_ms());
	ws_signed_ed25519(c, other, 3, "session.logon", p);
	at = SBT_WS_WAIT(&h, c, 0, "\"id\":3,");
	cr_assert_not_null(strstr(c->msg[at], "\"code\":-1022"), "%s", c->msg[at]);
	ws_signed_ed25519(c, priv, 4, "session.logon", p);
	at = SBT_WS_WAIT(&h, c, 0, "\"id\":4,");
	cr_assert_not_null(strstr(c->msg[at], "\"apiKey\":\"" ED_KEY "\""), "%s", c->msg[at]);

	/* The session's user data: an order placed over REST arrives as an executionReport. */
	sbt_ws_send(c, "{\"id\":5,\"method\":\"userDataStream.subscribe\"}");
	at = SBT_WS_WAIT(&h, c, 0, "\"id\":5,");
	cr_assert_not_null(strstr(c->msg[at], "\"status\":200"), "%s", c->msg[at]);
	struct sbt_response r;
	char price[32], params[256];
	rest_price(price, sizeof price);
	snprintf(params, sizeof params,
	         "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=0.001&price=%s"
	         "&newClientOrderId=ed-ws",
	         price);
	cr_assert(sbt_signed_ed25519(sim.port, "POST", "/api/v3/order", params, ED_KEY, priv, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	sbt_response_free(&r);
	SBT_WS_WAIT(&h, c, 0, "executionReport", "\"c\":\"ed-ws\"");

	/* The HMAC account may not log on (Ed25519 only), as on Binance. */
	struct sbt_wsc *c2 = sbt_ws_connect(&h, 1, "/ws-api/v3");
	snprintf(p, sizeof p, "apiKey=" HMAC_KEY "&timestamp=%lld", (long long)sb_clock_wall_ms());
	sbt_ws_api_signed(c2, HMAC_SECRET, 6, "session.logon", p);
	at = SBT_WS_WAIT(&h, c2, 0, "\"id\":6,");
	cr_assert_not_null(strstr(c2->msg[at], "\"code\":-1002"), "%s", c2->msg[at]);
	sbt_ws_fini(&h);
}

/* ---- the --account syntax ---- */

static sb_err parse(const char *account, struct sim_options *o, char *err, size_t cap)
{
	char *argv[] = {"spotsim", "--account", (char *)account, NULL};
	FILE *f = fmemopen(err, cap, "w");
	cr_assert_not_null(f);
	sb_err e = sim_options_parse(3, argv, o, f);
	fclose(f);
	return e;
}

Test(spotsim_ed25519, account_option_takes_a_public_key_file_and_balances)
{
	static struct sim_options o;
	char err[512] = "";
	cr_assert_eq(parse("k1:ed25519:/keys/k1.pub.pem:USDT=5,BTC=0.5", &o, err, sizeof err), SB_OK, "%s",
	             err);
	cr_assert_eq(o.naccounts, 1);
	cr_assert_str_eq(o.accounts[0].key, "k1");
	cr_assert_str_eq(o.accounts[0].secret, "");
	cr_assert_str_eq(o.accounts[0].public_key, "/keys/k1.pub.pem");
	cr_assert_eq(o.accounts[0].nbalances, 2);
	cr_assert_str_eq(o.accounts[0].balances[1].asset, "BTC");

	cr_assert_eq(parse("k2:ed25519:relative.pem", &o, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(o.accounts[0].public_key, "relative.pem");
	cr_assert_eq(o.accounts[0].nbalances, 0);

	/* The HMAC form is unchanged. */
	cr_assert_eq(parse("k3:s3cret:USDT=1", &o, err, sizeof err), SB_OK, "%s", err);
	cr_assert_str_eq(o.accounts[0].secret, "s3cret");
	cr_assert_str_eq(o.accounts[0].public_key, "");

	memset(err, 0, sizeof err);
	cr_assert_eq(parse("k4:ed25519", &o, err, sizeof err), SB_ERR_INVALID);
	cr_assert_str_eq(err, "spotsim: --account k4: expected KEY:ed25519:PUBLIC_KEY.pem[:ASSET=AMOUNT,...] "
	                      "(the path is empty or too long)\n");
	memset(err, 0, sizeof err);
	cr_assert_eq(parse("k5:ed25519::USDT=1", &o, err, sizeof err), SB_ERR_INVALID);
	cr_assert_not_null(strstr(err, "the path is empty"), "%s", err);
}

/* spotsim refuses to start (exit 2) when an account's key file is missing or holds no public key. */
Test(spotsim_ed25519, bad_public_key_file_stops_spotsim_with_exit_2)
{
	char prog[512], account[256], out[128], errpath[128], missing[128];
	sbt_program("spotsim", prog, sizeof prog);
	snprintf(out, sizeof out, "%s/sim.out", dir);
	snprintf(errpath, sizeof errpath, "%s/sim.err", dir);
	snprintf(missing, sizeof missing, "%s/absent.pem", dir);
	const char *files[] = {missing, priv};
	const char *want[] = {"cannot open", "is not an Ed25519 public key PEM (BEGIN PUBLIC KEY)"};
	for (size_t i = 0; i < 2; i++) {
		snprintf(account, sizeof account, "bad:ed25519:%s:USDT=1", files[i]);
		const char *argv[] = {prog, "--listen", "127.0.0.1:0", "--account", account, NULL};
		int st = sbt_run(argv, NULL, out, errpath, 20);
		cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 2, "status %d", st);
		FILE *f = fopen(errpath, "r");
		char text[1024] = "";
		cr_assert_not_null(f);
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
		cr_assert_not_null(strstr(text, "spotsim: --account bad: "), "%s", text);
		cr_assert_not_null(strstr(text, files[i]), "%s", text);
		cr_assert_not_null(strstr(text, want[i]), "%s", text);
	}
}

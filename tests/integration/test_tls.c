/*
 * spotsim over TLS (--tls-cert/--tls-key, certificates in tests/data/tls) against the bot's clients: the
 * REST layer and the WebSocket client verify the server against the test CA given as their CA file and
 * succeed; without a CA file (the system store) or with an unrelated CA they are refused by verification
 * and say so, never silently succeed; plain HTTP and ws:// to the TLS port fail cleanly and the server
 * keeps serving. spotsim itself refuses a key that does not belong to the certificate. A WebSocket refused
 * by verification says why in OpenSSL's words ("certificate verify failed: self-signed certificate"), shown
 * against a spotsim serving a self-signed certificate the test makes. The loop is driven until the awaited
 * callback has run, with a deadline; nothing waits by sleeping.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "sbtest.h"
#include "sbtest_loop.h"
#include "sim/options.h"
#include "spotbot/binance_rest.h"
#include "spotbot/binance_streams.h"
#include "spotbot/log.h"
#include "spotbot/ws_client.h"

#define KEY         "tls-key"
#define SECRET      "tls-secret-0123456789"
#define DEADLINE_MS 8000

extern char **environ;

static struct {
	struct sbt_proc sim;            /* spotsim, serving TLS */
	uv_loop_t loop;                 /* the test's loop */
	struct sb_ws_ctx *ctx;          /* lws client context */
	struct sb_bn_rest *rest;        /* REST client of the test, or NULL */
	struct sb_bn_market_stream *ms; /* market stream of the test, or NULL */
	struct sb_ws *ws;               /* raw WebSocket of the test, or NULL */
	char ca[4096];                  /* tests/data/tls/ca.pem */
	char other_ca[4096];            /* tests/data/tls/other-ca.pem */
	char cert[4096];                /* tests/data/tls/server.pem */
	char key[4096];                 /* tests/data/tls/server.key */
} T;

/* Starts spotsim serving TLS with T.cert and T.key, and the test's loop with its client context. */
static void start_sim(void)
{
	sb_log_set_level(SB_LOG_ERROR); /* refused handshakes are the point of these tests */
	const char *const args[] = {"--account",  KEY ":" SECRET ":USDT=1234.5,BTC=2",
	                            "--symbols",  "BTCUSDT,ETHUSDT",
	                            "--speed",    "20",
	                            "--seed",     "5",
	                            "--tls-cert", T.cert,
	                            "--tls-key",  T.key,
	                            NULL};
	cr_assert(sbt_spotsim_start(&T.sim, args));
	cr_assert_eq(uv_loop_init(&T.loop), 0);
	cr_assert_eq(sb_ws_ctx_new(&T.loop, &T.ctx), SB_OK);
}

static void start(void)
{
	memset(&T, 0, sizeof T);
	sbt_source_path("tests/data/tls/ca.pem", T.ca, sizeof T.ca);
	sbt_source_path("tests/data/tls/other-ca.pem", T.other_ca, sizeof T.other_ca);
	sbt_source_path("tests/data/tls/server.pem", T.cert, sizeof T.cert);
	sbt_source_path("tests/data/tls/server.key", T.key, sizeof T.key);
	start_sim();
}

static void stop(void)
{
	sb_bn_rest_free(T.rest);
	sb_bn_market_stream_free(T.ms);
	sb_ws_free(T.ws);
	uv_run(&T.loop, UV_RUN_NOWAIT);
	sb_ws_ctx_free(T.ctx); /* runs the loop until every handle has closed */
	cr_assert_eq(uv_loop_close(&T.loop), 0, "a uv handle was left open");
	cr_assert_eq(sbt_proc_stop(&T.sim, SIGTERM, 5000), 0, "spotsim exits cleanly");
}

TestSuite(tls, .init = start, .fini = stop, .timeout = 60);

/* ---- REST ------------------------------------------------------------------------------------------ */

struct got {
	int calls;                    /* callbacks run */
	struct sb_bn_rest_result res; /* the last result */
	int64_t time;                 /* serverTime */
	sb_dec usdt, btc;             /* free balances from the account */
};

static void on_time(void *u, const struct sb_bn_rest_result *res, int64_t t)
{
	struct got *g = u;
	g->calls++;
	g->res = *res;
	g->time = t;
}

static void on_account(void *u, const struct sb_bn_rest_result *res, struct sb_bn_account *a)
{
	struct got *g = u;
	g->calls++;
	g->res = *res;
	const struct sb_bn_balance *b = a ? sb_bn_account_balance(a, "USDT") : NULL;
	g->usdt = b ? b->free : -1;
	b = a ? sb_bn_account_balance(a, "BTC") : NULL;
	g->btc = b ? b->free : -1;
}

/* A REST client for scheme://host:PORT verifying against ca_file (NULL: the system store). */
static struct sb_bn_rest *rest_client(const char *scheme, const char *host, const char *ca_file,
                                      bool insecure)
{
	char url[128];
	snprintf(url, sizeof url, "%s://%s:%d", scheme, host, T.sim.port);
	struct sb_bn_rest_opts o = {.base_url = url,
	                            .api_key = KEY,
	                            .hmac_secret = SECRET,
	                            .ca_file = ca_file,
	                            .insecure = insecure,
	                            .timeout_ms = 3000};
	struct sb_bn_rest *r = NULL;
	cr_assert_eq(sb_bn_rest_new(&T.loop, &o, &r), SB_OK);
	return r;
}

static struct got sync_time(struct sb_bn_rest *r)
{
	struct got g = {0};
	cr_assert_eq(sb_bn_rest_sync_time(r, on_time, &g), SB_OK);
	SBT_RUN_UNTIL(&T.loop, g.calls > 0, DEADLINE_MS);
	cr_assert_eq(g.calls, 1, "exactly one callback");
	return g;
}

static void expect_ok(const struct got *g)
{
	cr_assert_eq(g->res.err, SB_OK, "%s: HTTP %ld %s", sb_errname(g->res.err), g->res.http_status,
	             g->res.detail);
}

/* Time and a signed account call over verified TLS. */
static void time_and_account(struct sb_bn_rest *r)
{
	struct got g = sync_time(r);
	expect_ok(&g);
	cr_assert_gt(g.time, 1600000000000, "a real serverTime: %lld", (long long)g.time);
	memset(&g, 0, sizeof g);
	cr_assert_eq(sb_bn_rest_account(r, false, on_account, &g), SB_OK);
	SBT_RUN_UNTIL(&T.loop, g.calls > 0, DEADLINE_MS);
	expect_ok(&g);
	cr_assert_eq(g.usdt, SB_DEC_C(1234, 50000000), "USDT %lld", (long long)g.usdt);
	cr_assert_eq(g.btc, SB_DEC_C(2, 0));
}

/* The call was refused by certificate verification: a network error before anything was sent. */
static void expect_cert_refused(const struct got *g)
{
	cr_assert_eq(g->res.err, SB_ERR_NETWORK, "%s (%s)", sb_errname(g->res.err), g->res.detail);
	cr_assert_eq(g->res.http_status, 0);
	cr_assert_not(g->res.sent, "nothing reached the server");
	cr_assert_not_null(strcasestr(g->res.detail, "certificate"), "detail: %s", g->res.detail);
}

Test(tls, rest_with_the_test_ca_syncs_time_and_reads_the_signed_account)
{
	T.rest = rest_client("https", "127.0.0.1", T.ca, false);
	time_and_account(T.rest);
	struct sb_bn_rest_stats s;
	sb_bn_rest_stats(T.rest, &s);
	cr_assert_lt(llabs(s.time_offset_ms), 1000);
}

Test(tls, rest_verifies_the_host_name_localhost_too)
{
	T.rest = rest_client("https", "localhost", T.ca, false);
	time_and_account(T.rest);
}

Test(tls, rest_without_a_ca_file_is_refused_by_the_system_store)
{
	T.rest = rest_client("https", "127.0.0.1", NULL, false);
	struct got g = sync_time(T.rest);
	expect_cert_refused(&g);
	memset(&g, 0, sizeof g);
	cr_assert_eq(sb_bn_rest_account(T.rest, false, on_account, &g), SB_OK);
	SBT_RUN_UNTIL(&T.loop, g.calls > 0, DEADLINE_MS);
	expect_cert_refused(&g);
}

Test(tls, rest_with_an_unrelated_ca_is_refused)
{
	T.rest = rest_client("https", "127.0.0.1", T.other_ca, false);
	struct got g = sync_time(T.rest);
	expect_cert_refused(&g);
}

Test(tls, rest_insecure_skips_verification_explicitly)
{
	T.rest = rest_client("https", "127.0.0.1", NULL, true);
	time_and_account(T.rest);
}

Test(tls, plain_http_to_the_tls_port_fails_cleanly_and_tls_still_works)
{
	T.rest = rest_client("http", "127.0.0.1", NULL, false);
	struct got g = sync_time(T.rest);
	cr_assert_eq(g.res.err, SB_ERR_NETWORK, "%s (%s)", sb_errname(g.res.err), g.res.detail);
	cr_assert_eq(g.res.http_status, 0, "no HTTP answer over plain text");
	cr_assert_neq(g.res.detail[0], '\0', "the transport says why");
	struct sbt_response r;
	bool answered = sbt_http(T.sim.port, "GET", "/api/v3/time", NULL, NULL, &r) && r.status > 0;
	long status = r.status;
	sbt_response_free(&r);
	cr_assert_not(answered, "a plain request to the TLS port got HTTP %ld", status);
	sb_bn_rest_free(T.rest);
	T.rest = rest_client("https", "127.0.0.1", T.ca, false);
	time_and_account(T.rest);
}

/* ---- WebSocket ------------------------------------------------------------------------------------- */

static struct {
	unsigned opens;                 /* open callbacks */
	unsigned messages;              /* messages received */
	unsigned closes;                /* close callbacks */
	enum sb_ws_close_reason reason; /* of the last close */
	bool was_open;                  /* of the last close */
	bool reconnecting;              /* of the last close */
	char text[256];                 /* of the last close */
	char first[512];                /* first message, truncated */
	unsigned events;                /* market stream events */
	unsigned links_up;              /* market stream UP links */
} W;

static void ws_open(void *user, struct sb_ws *ws, unsigned conn, bool rollover)
{
	(void)user;
	(void)ws;
	(void)conn;
	(void)rollover;
	W.opens++;
}

static void ws_message(void *user, struct sb_ws *ws, unsigned conn, const char *data, size_t len)
{
	(void)user;
	(void)ws;
	(void)conn;
	if (W.messages++ == 0)
		snprintf(W.first, sizeof W.first, "%.*s", (int)len, data);
}

static void ws_close(void *user, struct sb_ws *ws, const struct sb_ws_close_info *info)
{
	(void)user;
	(void)ws;
	W.closes++;
	W.reason = info->reason;
	W.was_open = info->was_open;
	W.reconnecting = info->reconnecting;
	snprintf(W.text, sizeof W.text, "%s", info->text);
}

static void ws_connect(const char *scheme, const char *ca_file)
{
	char url[128];
	snprintf(url, sizeof url, "%s://127.0.0.1:%d/ws/btcusdt@trade", scheme, T.sim.port);
	memset(&W, 0, sizeof W);
	struct sb_ws_opts o = {.url = url, .ca_file = ca_file, .no_reconnect = true, .open_timeout_ms = 5000};
	struct sb_ws_ops ops = {ws_open, ws_message, ws_close};
	cr_assert_eq(sb_ws_new(T.ctx, &o, &ops, NULL, &T.ws), SB_OK);
}

static void expect_ws_refused(void)
{
	SBT_RUN_UNTIL(&T.loop, W.closes > 0, DEADLINE_MS);
	cr_assert_eq(W.opens, 0);
	cr_assert_eq(W.messages, 0);
	cr_assert_eq(W.reason, SB_WS_CLOSE_CONNECT_FAILED, "%s: %s", sb_ws_close_reason_name(W.reason),
	             W.text);
	cr_assert_not(W.was_open);
	cr_assert_not(W.reconnecting, "no_reconnect");
}

/* The refusal names OpenSSL's verification result, not only lws' "connect SSL err 1: ...". */
static void expect_ws_tls_reason(const char *x509_error)
{
	char want[160];
	snprintf(want, sizeof want, "certificate verify failed: %s", x509_error);
	cr_assert_not_null(strstr(W.text, want), "want \"%s\" in: %s", want, W.text);
}

Test(tls, wss_with_the_test_ca_delivers_trades)
{
	ws_connect("wss", T.ca);
	SBT_RUN_UNTIL(&T.loop, W.messages >= 3, DEADLINE_MS);
	cr_assert_eq(W.opens, 1);
	cr_assert_eq(W.closes, 0);
	cr_assert_not_null(strstr(W.first, "\"e\":\"trade\""), "%s", W.first);
	cr_assert_not_null(strstr(W.first, "\"s\":\"BTCUSDT\""), "%s", W.first);
}

Test(tls, wss_without_a_ca_file_is_refused_by_verification)
{
	ws_connect("wss", NULL);
	expect_ws_refused();
	expect_ws_tls_reason("unable to get local issuer certificate");
}

Test(tls, wss_with_an_unrelated_ca_is_refused_by_verification)
{
	ws_connect("wss", T.other_ca);
	expect_ws_refused();
	expect_ws_tls_reason("unable to get local issuer certificate");
}

Test(tls, plain_ws_to_the_tls_port_fails_cleanly)
{
	ws_connect("ws", NULL);
	expect_ws_refused();
	sb_ws_free(T.ws);
	T.ws = NULL;
	ws_connect("wss", T.ca);
	SBT_RUN_UNTIL(&T.loop, W.messages >= 1, DEADLINE_MS);
}

static void ms_event(void *user, const struct sb_bn_market_event *ev)
{
	(void)user;
	if (ev->kind == SB_BN_MKT_BOOK_TICKER || ev->kind == SB_BN_MKT_TRADE)
		W.events++;
}

static void ms_snapshot(void *user, const char *const *symbols, size_t n, bool reconnect)
{
	(void)user;
	(void)symbols;
	(void)n;
	(void)reconnect;
}

static void ms_link(void *user, enum sb_bn_link l)
{
	(void)user;
	if (l == SB_BN_LINK_UP)
		W.links_up++;
}

Test(tls, market_stream_over_wss_with_the_test_ca_delivers_events)
{
	char base[64];
	snprintf(base, sizeof base, "wss://127.0.0.1:%d", T.sim.port);
	memset(&W, 0, sizeof W);
	struct sb_bn_market_stream_opts o = {.base_url = base, .ca_file = T.ca};
	struct sb_bn_market_stream_ops ops = {ms_event, ms_snapshot, ms_link};
	const char *syms[] = {"BTCUSDT", "ETHUSDT"};
	cr_assert_eq(sb_bn_market_stream_new(&T.loop, T.ctx, &o, &ops, NULL, syms, 2, &T.ms), SB_OK);
	SBT_RUN_UNTIL(&T.loop, W.events >= 10, DEADLINE_MS);
	cr_assert_eq(W.links_up, 1);
	struct sb_bn_market_stream_stats s;
	sb_bn_market_stream_stats(T.ms, &s);
	cr_assert_eq(s.parse_errors, 0);
	cr_assert_eq(s.reconnects, 0);
}

/* ---- spotsim's own checks -------------------------------------------------------------------------- */

/* Runs spotsim with args (after --listen 127.0.0.1:0) and returns its exit status; stderr is kept quiet. */
static int run_spotsim(const char *const *extra)
{
	char prog[1024];
	const char *argv[16];
	size_t n = 0;
	argv[n++] = sbt_program("spotsim", prog, sizeof prog);
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (size_t i = 0; extra[i] && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	struct sbt_proc p = {.out_fd = -1};
	int rc = posix_spawn(&p.pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(rc, 0);
	/* Signal 0 only checks the process: this waits for it to exit by itself. */
	return sbt_proc_stop(&p, 0, 5000);
}

Test(tls, spotsim_refuses_a_key_of_another_certificate_or_a_missing_file)
{
	char other_key[4096];
	sbt_source_path("tests/data/tls/ca.key", other_key, sizeof other_key);
	const char *const mismatch[] = {"--tls-cert", T.cert, "--tls-key", other_key, NULL};
	cr_assert_eq(run_spotsim(mismatch), 2);
	const char *const missing[] = {"--tls-cert", "/nonexistent/server.pem", "--tls-key", T.key, NULL};
	cr_assert_eq(run_spotsim(missing), 2);
	const char *const alone[] = {"--tls-cert", T.cert, NULL};
	cr_assert_eq(run_spotsim(alone), 2, "usage error");
}

Test(tls, options_take_both_tls_flags_or_neither)
{
	static struct sim_options o;
	FILE *err = fopen("/dev/null", "w");
	cr_assert_not_null(err);
	char *both[] = {"spotsim", "--tls-cert", "c.pem", "--tls-key", "k.pem", NULL};
	cr_assert_eq(sim_options_parse(5, both, &o, err), SB_OK);
	cr_assert_str_eq(o.tls_cert, "c.pem");
	cr_assert_str_eq(o.tls_key, "k.pem");
	char *none[] = {"spotsim", NULL};
	cr_assert_eq(sim_options_parse(1, none, &o, err), SB_OK);
	cr_assert_str_eq(o.tls_cert, "");
	cr_assert_str_eq(o.tls_key, "");
	char *cert_only[] = {"spotsim", "--tls-cert", "c.pem", NULL};
	cr_assert_eq(sim_options_parse(3, cert_only, &o, err), SB_ERR_INVALID);
	char *key_only[] = {"spotsim", "--tls-key", "k.pem", NULL};
	cr_assert_eq(sim_options_parse(3, key_only, &o, err), SB_ERR_INVALID);
	char *empty[] = {"spotsim", "--tls-cert", "", "--tls-key", "k.pem", NULL};
	cr_assert_eq(sim_options_parse(5, empty, &o, err), SB_ERR_INVALID);
	fclose(err);
}

/* ---- a self-signed server ------------------------------------------------------------------------- */

/* Writes a fresh self-signed certificate for 127.0.0.1 (P-256, valid an hour) and its key. */
static void make_self_signed(const char *cert_path, const char *key_path)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	cr_assert(key && x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"127.0.0.1", -1, -1, 0);
	X509_set_issuer_name(x, name);
	X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, "IP:127.0.0.1");
	cr_assert_not_null(san);
	X509_add_ext(x, san, -1);
	X509_EXTENSION_free(san);
	cr_assert(X509_sign(x, key, EVP_sha256()) > 0);
	FILE *f = fopen(cert_path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	f = fopen(key_path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

static char self_dir[64]; /* the temporary directory of the certificate and key */

static void start_self_signed(void)
{
	memset(&T, 0, sizeof T);
	snprintf(self_dir, sizeof self_dir, "/tmp/sbtls-XXXXXX");
	cr_assert_not_null(mkdtemp(self_dir));
	snprintf(T.cert, sizeof T.cert, "%s/self.pem", self_dir);
	snprintf(T.key, sizeof T.key, "%s/self.key", self_dir);
	make_self_signed(T.cert, T.key);
	start_sim();
}

static void stop_self_signed(void)
{
	stop();
	unlink(T.cert);
	unlink(T.key);
	rmdir(self_dir);
}

TestSuite(tls_self_signed, .init = start_self_signed, .fini = stop_self_signed, .timeout = 60);

Test(tls_self_signed, wss_to_a_self_signed_server_names_the_x509_error)
{
	ws_connect("wss", NULL);
	expect_ws_refused();
	expect_ws_tls_reason("self-signed certificate");
}

Test(tls_self_signed, the_same_certificate_as_ca_file_is_accepted)
{
	ws_connect("wss", T.cert);
	SBT_RUN_UNTIL(&T.loop, W.messages >= 1, DEADLINE_MS);
	cr_assert_eq(W.opens, 1, "the refusal above was the verification: %s", W.text);
}

/*
 * test_bot_ed25519.c - `spotbot run` with an Ed25519 API key against a spotsim account that knows only
 * the public key: REST orders are signed with Ed25519 and the user data stream logs on with
 * session.logon, through a whole buy -> sell cycle; a key of another pair is refused by spotsim with
 * Binance's -1022 and the daemon says so in its log without trading. Key pairs are generated per test.
 */
#include <cjson/cJSON.h>

#include "sbtest_keys.h"
#include "sbtest_sim.h"
#include "test_bot_util.h"

#define ED_KEY   "ed-bot-key"
#define PAIR_BTC "BTCUSDT:quote=50,profit=0.5%,buy_offset=0.1%,buy_timeout=1h,cooldown=1h"
#define TICK     SB_DEC_C(0, 1000000) /* BTCUSDT's tick in spotsim's catalogue: 0.01 */

/* The key pairs of one test, in a directory of their own (spotsim needs the public key at start). */
static struct {
	char dir[64];        /* temporary directory */
	char priv[128];      /* the account's private key, for the daemon */
	char pub[128];       /* its public key, for spotsim */
	char other[128];     /* the private key of another pair */
	char other_pub[128]; /* its public key (unused by spotsim) */
} K;

static void keys_init(void)
{
	snprintf(K.dir, sizeof K.dir, "/tmp/sbedk.XXXXXX");
	cr_assert_not_null(mkdtemp(K.dir));
	snprintf(K.priv, sizeof K.priv, "%s/bot.pem", K.dir);
	snprintf(K.pub, sizeof K.pub, "%s/bot.pub.pem", K.dir);
	snprintf(K.other, sizeof K.other, "%s/other.pem", K.dir);
	snprintf(K.other_pub, sizeof K.other_pub, "%s/other.pub.pem", K.dir);
	cr_assert(sbt_ed25519_keypair(K.priv, K.pub, 0600));
	cr_assert(sbt_ed25519_keypair(K.other, K.other_pub, 0600));
}

static void fini(void)
{
	bt_cleanup();
	if (K.dir[0]) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", K.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", K.dir);
	}
	memset(&K, 0, sizeof K);
}

TestSuite(bot_ed25519, .fini = fini, .timeout = 120);

/* Starts spotsim with the Ed25519 account and the daemon signing with key_file. */
static void start(const char *key_file)
{
	char account[256], extra[512];
	keys_init();
	snprintf(account, sizeof account, ED_KEY ":ed25519:%s:USDT=10000,BTC=1,BNB=10", K.pub);
	bt_start_sim((const char *const[]){"--account", account, NULL});
	snprintf(extra, sizeof extra, "BINANCE_API_KEY=" ED_KEY "\nBINANCE_PRIVATE_KEY_FILE=%s\n", key_file);
	bt_write_env(PAIR_BTC, extra);
	bt_start_bot();
}

static sb_dec scaled(sb_dec p, sb_dec factor, enum sb_round mode)
{
	sb_dec v = 0, r = 0;
	cr_assert_eq(sb_dec_mul(p, factor, mode, &v), SB_OK);
	cr_assert_eq(sb_dec_round_to(v, TICK, mode, &r), SB_OK);
	return r;
}

/* Orders of the Ed25519 account on spotsim, counted by clientOrderId. */
static int exchange_orders(void)
{
	struct sbt_response r;
	cr_assert(
	    sbt_signed_ed25519(T.sim.port, "GET", "/api/v3/allOrders", "symbol=BTCUSDT", ED_KEY, K.priv, &r));
	cr_assert_eq(r.status, 200, "%s", r.body);
	int n = 0;
	for (const char *p = r.body; (p = strstr(p, "\"clientOrderId\"")) != NULL; p++)
		n++;
	sbt_response_free(&r);
	return n;
}

/* Runs `spotbot doctor --json` on the test's .env; returns the api_key check's detail and hint. */
static void doctor_api_key(char *status, char *detail, char *hint, size_t cap)
{
	char prog[512], out[400], err[400];
	sbt_program("spotbot", prog, sizeof prog);
	snprintf(out, sizeof out, "%s/doctor.out", T.dir);
	snprintf(err, sizeof err, "%s/doctor.err", T.dir);
	const char *argv[] = {prog, "doctor", "--json", "--config", T.env, NULL};
	cr_assert_neq(sbt_run(argv, NULL, out, err, 30), -1);
	FILE *f = fopen(out, "r");
	cr_assert_not_null(f);
	static char text[1 << 16];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	cJSON *doc = sbt_jparse(text);
	const cJSON *checks = sbt_jfield(doc, "checks"), *c = NULL;
	for (c = checks ? checks->child : NULL; c; c = c->next)
		if (strcmp(sbt_jstr(c, "check"), "api_key") == 0)
			break;
	cr_assert_not_null(c, "%s", text);
	snprintf(status, cap, "%s", sbt_jstr(c, "status"));
	snprintf(detail, cap, "%s", sbt_jstr(c, "detail"));
	const cJSON *h = cJSON_GetObjectItemCaseSensitive(c, "hint");
	snprintf(hint, cap, "%s", cJSON_IsString(h) ? h->valuestring : "");
	cJSON_Delete(doc);
}

Test(bot_ed25519, full_cycle_signed_with_an_ed25519_key)
{
	start(K.priv);
	struct sb_store_order buy = bt_wait_order(1, 'b', SB_ORDER_NEW, 20000);
	cr_assert_eq(buy.side, SB_SIDE_BUY);
	/* The user data stream logged on (session.logon is the only way an Ed25519 stream starts). */
	cr_assert(bt_log_has("requests are signed with an Ed25519 key", 5000));
	cr_assert(bt_log_has("user data stream subscribed", 10000));
	bt_set_price("BTCUSDT", scaled(buy.price, SB_DEC_C(0, 99800000), SB_ROUND_DOWN));
	bt_wait_order(1, 'b', SB_ORDER_FILLED, 20000);
	struct sb_store_order sell = bt_wait_order(1, 's', SB_ORDER_NEW, 20000);
	cr_assert(sell.price > buy.price, "the sell is above the buy");
	bt_set_price("BTCUSDT", scaled(sell.price, SB_DEC_C(1, 200000), SB_ROUND_UP));
	struct sb_store_position pos = bt_wait_pos(1, SB_POSITION_CLOSED, 20000);
	cr_assert(pos.realised_profit > 0);
	cr_assert_eq(exchange_orders(), 2, "one buy and one sell on the exchange");
	cr_assert_eq(bt_stop_bot(SIGTERM, 5000), 0, "SIGTERM: clean exit 0");

	/* doctor signs its account check with the same key and says which type it is. */
	char status[512], detail[512], hint[512];
	doctor_api_key(status, detail, hint, sizeof status);
	cr_assert_str_eq(status, "OK", "%s / %s", detail, hint);
	cr_assert_not_null(strstr(detail, "Ed25519 key accepted"), "%s", detail);

	/* Neither the key nor its path reached the log. */
	char path[400], line[1 << 16];
	snprintf(path, sizeof path, "%s/logs/spotbot.log", T.dir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof line, f)) {
		cr_assert_null(strstr(line, K.priv), "%s", line);
		cr_assert_null(strstr(line, "PRIVATE KEY"), "%s", line);
		cr_assert_null(strstr(line, "session.logon\",\"status\":4"), "%s", line);
	}
	fclose(f);
}

Test(bot_ed25519, key_of_another_pair_is_refused_and_nothing_trades)
{
	start(K.other);
	/* spotsim answers Binance's -1022 to the logon, and the daemon names the request and the code. */
	cr_assert(bt_log_has("\"request\":\"session.logon\"", 15000), "the refused logon is logged");
	cr_assert(bt_log_has("\"code\":-1022", 1000));
	cr_assert(bt_log_has("Signature for this request is not valid.", 1000));
	/* REST is refused too: start-up reconciliation cannot list the open orders, so trading never
	 * starts. */
	cr_assert(bt_log_has("open orders of BTCUSDT could not be listed", 10000));
	cr_assert_not(bt_log_has("run state trading", 0), "the daemon must not trade with a refused key");
	cr_assert_eq(exchange_orders(), 0, "no order reached the exchange");
	struct sb_store *st = bt_db();
	if (st) {
		struct sb_store_order o;
		cr_assert_neq(sb_store_order_get(st, "sb-main-1-b0", &o), SB_OK, "no buy was placed");
		sb_store_close(st);
	}
	bt_stop_bot(SIGTERM, 5000);

	char status[512], detail[512], hint[512];
	doctor_api_key(status, detail, hint, sizeof status);
	cr_assert_str_eq(status, "FAIL");
	cr_assert_not_null(strstr(detail, "the exchange refused the Ed25519 key"), "%s", detail);
	cr_assert_not_null(strstr(detail, "-1022"), "%s", detail);
	cr_assert_not_null(strstr(hint, "BINANCE_PRIVATE_KEY_FILE does not belong to BINANCE_API_KEY"), "%s",
	                   hint);
}

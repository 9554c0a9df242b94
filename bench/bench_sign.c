/*
 * bench_sign - how fast requests are signed and checked: HMAC-SHA256 with the signer's reused context
 * (against a fresh signer per request, to show what the reuse buys), Ed25519 sign and verify, building
 * and signing a whole order query, and spotsim's side (parse, cut the signature out, verify).
 * Each case runs for about half a second of wall time; rates are printed per CPU-second (see report()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/sign_int.h"
#include "spotbot/query.h"

static const char SECRET[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
static const char PAYLOAD[] =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

static volatile size_t sink; /* keeps results observable so loops are not optimised away */

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/*
 * Rates are per second of this thread's CPU time, which other processes on a shared machine disturb far
 * less than wall time; the wall-clock rate is printed beside it.
 */
static void report(const char *what, long ops, double cpu, double wall)
{
	printf("%-42s %11.0f ops/s %9.3f us/op  (wall: %.0f ops/s)\n", what, (double)ops / cpu,
	       cpu * 1e6 / (double)ops, (double)ops / wall);
}

/* Runs the statement block in batches of `batch` until about 0.5 s have passed. */
#define BENCH(name, batch, ...)                                                                              \
	do {                                                                                                 \
		long ops_ = 0;                                                                               \
		double t0_ = now_s(), c0_ = clock_s(CLOCK_THREAD_CPUTIME_ID), t_;                            \
		do {                                                                                         \
			for (int i_ = 0; i_ < (batch); i_++) {                                               \
				__VA_ARGS__;                                                                 \
			}                                                                                    \
			ops_ += (batch);                                                                     \
		} while ((t_ = now_s() - t0_) < 0.5);                                                        \
		report(name, ops_, clock_s(CLOCK_THREAD_CPUTIME_ID) - c0_, t_);                              \
	} while (0)

static struct sb_signer *ed25519_signer(char **pub_pem, size_t *pub_len)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	if (!key || !priv || !pub || PEM_write_bio_PrivateKey(priv, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_PUBKEY(pub, key) != 1) {
		fprintf(stderr, "bench_sign: cannot make an Ed25519 key\n");
		exit(1);
	}
	char *data;
	long n = BIO_get_mem_data(priv, &data);
	struct sb_signer *s = NULL;
	if (sb_signer_new_ed25519_pem(data, (size_t)n, &s) != SB_OK)
		exit(1);
	n = BIO_get_mem_data(pub, &data);
	*pub_pem = malloc((size_t)n);
	memcpy(*pub_pem, data, (size_t)n);
	*pub_len = (size_t)n;
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(key);
	return s;
}

/* Builds the documented LIMIT order with a varying timestamp, signs it and appends the signature. */
static size_t build_and_sign(struct sb_signer *s, int64_t ts, char *buf, size_t cap)
{
	struct sb_query_builder b;
	char sig[SB_SIGN_MAX];
	size_t siglen;
	sb_query_builder_init(&b, buf, cap);
	sb_query_builder_add_str(&b, "symbol", "LTCBTC");
	sb_query_builder_add_str(&b, "side", "BUY");
	sb_query_builder_add_str(&b, "type", "LIMIT");
	sb_query_builder_add_str(&b, "timeInForce", "GTC");
	sb_query_builder_add_str(&b, "quantity", "1");
	sb_query_builder_add_str(&b, "price", "0.1");
	sb_query_builder_add_i64(&b, "recvWindow", 5000);
	sb_query_builder_add_i64(&b, "timestamp", ts);
	if (sb_signer_sign(s, b.buf, b.len, sig, sizeof sig, &siglen) != SB_OK ||
	    sb_query_builder_add(&b, "signature", sig, siglen) != SB_OK)
		exit(1);
	return b.len;
}

int main(void)
{
	const size_t plen = strlen(PAYLOAD);
	char sig[SB_SIGN_MAX];
	size_t siglen;
	struct sb_signer *h;
	if (sb_signer_new_hmac(SECRET, strlen(SECRET), &h) != SB_OK)
		return 1;
	printf("payload: %zu bytes (Binance's documented LIMIT order)\n", plen);

	BENCH("HMAC-SHA256 sign, reused context", 1000, {
		sb_signer_sign(h, PAYLOAD, plen, sig, sizeof sig, &siglen);
		sink += (size_t)sig[i_ & 63];
	});
	BENCH("HMAC-SHA256 sign, new signer per request", 1000, {
		struct sb_signer *t;
		sb_signer_new_hmac(SECRET, strlen(SECRET), &t);
		sb_signer_sign(t, PAYLOAD, plen, sig, sizeof sig, &siglen);
		sb_signer_free(t);
		sink += (size_t)sig[i_ & 63];
	});
	sb_signer_sign(h, PAYLOAD, plen, sig, sizeof sig, &siglen);
	BENCH("HMAC-SHA256 verify, reused context", 1000,
	      { sink += sb_signer_verify(h, PAYLOAD, plen, sig, siglen); });

	char *pub;
	size_t publen;
	struct sb_signer *e = ed25519_signer(&pub, &publen);
	BENCH("Ed25519 sign", 100, {
		sb_signer_sign(e, PAYLOAD, plen, sig, sizeof sig, &siglen);
		sink += (size_t)sig[i_ & 63];
	});
	sb_signer_sign(e, PAYLOAD, plen, sig, sizeof sig, &siglen);
	struct sb_signer *v;
	if (sb_signer_new_ed25519_public_pem(pub, publen, &v) != SB_OK)
		return 1;
	BENCH("Ed25519 verify, kept public-key signer", 100,
	      { sink += sb_signer_verify(v, PAYLOAD, plen, sig, siglen); });
	sb_signer_free(v);
	BENCH("Ed25519 verify, public key PEM per call", 100,
	      { sink += sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, sig, siglen); });

	static char req[1024];
	int64_t ts = 1499827319559;
	BENCH("order query build + HMAC sign", 1000, { sink += build_and_sign(h, ts++, req, sizeof req); });
	BENCH("order query build + Ed25519 sign", 100, { sink += build_and_sign(e, ts++, req, sizeof req); });

	/* spotsim's side of one request: parse, cut out the signature, verify. */
	size_t reqlen = build_and_sign(h, ts, req, sizeof req);
	static struct sb_query q;
	static char payload[2 * SB_QUERY_MAX_LEN];
	BENCH("request parse + strip + HMAC verify", 1000, {
		size_t n, slen;
		const char *s;
		sb_query_parse_request(&q, req, reqlen, NULL, 0);
		sb_query_signed_payload(&q, payload, sizeof payload, &n, &s, &slen);
		sink += sb_signer_verify(h, payload, n, s, slen);
	});
	if (sink == 0)
		printf("(sink %zu)\n", sink);
	sb_signer_free(h);
	sb_signer_free(e);
	free(pub);
	return 0;
}

/*
 * Tests for sign.c: Binance's published HMAC vectors, case-insensitive constant-time verification,
 * rejection of wrong signatures, and Ed25519 with the test key pair in tests/data/keys (a known answer
 * recorded with `openssl pkeyutl -sign -rawin` plus sign/verify round trips).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "common/sign_int.h"

/* Binance's documented example key and payload (binance-spot-api.md section 3). */
static const char SECRET[] = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
static const char PAYLOAD[] =
    "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
static const char SIG_OFFICIAL[] = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";

/* `openssl pkeyutl -sign -rawin -inkey tests/data/keys/ed25519-test.pem` over PAYLOAD, base64. */
static const char ED25519_KAT[] =
    "G/VhIuRmAp2o3QFwPC8+hZ4QF8DD3Pdw5pi6840Ks0EgoTSM87DivWbsp/9ffc+vB02aQMow9Mbb0VA/IfQABw==";

static char *read_data(const char *rel, size_t *len)
{
	const char *dir = getenv("SB_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/%s", dir ? dir : ".", rel);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	static char buf[8192];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *copy = malloc(n + 1);
	memcpy(copy, buf, n + 1);
	*len = n;
	return copy;
}

static struct sb_signer *hmac_signer(void)
{
	struct sb_signer *s = NULL;
	cr_assert_eq(sb_signer_new_hmac(SECRET, strlen(SECRET), &s), SB_OK);
	cr_assert_not_null(s);
	return s;
}

static struct sb_signer *ed_signer(void)
{
	struct sb_signer *s = NULL;
	const char *dir = getenv("SB_SOURCE_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/keys/ed25519-test.pem", dir ? dir : ".");
	cr_assert_eq(sb_signer_new_ed25519_file(path, &s), SB_OK);
	cr_assert_eq(sb_signer_kind(s), SB_SIGN_ED25519);
	return s;
}

static void assert_hmac(const char *payload, const char *want)
{
	struct sb_signer *s = hmac_signer();
	char sig[SB_SIGN_MAX];
	size_t n = 0;
	cr_assert_eq(sb_signer_sign(s, payload, strlen(payload), sig, sizeof sig, &n), SB_OK);
	cr_assert_eq(n, 64);
	cr_assert_str_eq(sig, want);
	sb_signer_free(s);
}

Test(sign, hmac_matches_binance_official_vector)
{
	assert_hmac(PAYLOAD, SIG_OFFICIAL);
}

Test(sign, hmac_matches_query_plus_body_vector)
{
	/* The query string and the body are concatenated with no '&' at the join. */
	char payload[512];
	snprintf(payload, sizeof payload, "%s%s", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC",
	         "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559");
	cr_assert(strstr(payload, "timeInForce=GTCquantity=1&") != NULL);
	assert_hmac(payload, "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77");
}

Test(sign, hmac_matches_percent_encoded_unicode_vector)
{
	assert_hmac("symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&"
	            "timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
	            "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3");
}

Test(sign, hmac_matches_websocket_api_sorted_vector)
{
	assert_hmac("apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&"
	            "quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&"
	            "timestamp=1645423376532&type=LIMIT",
	            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24");
}

Test(sign, reused_hmac_context_matches_one_shot_reference_on_random_payloads)
{
	struct sb_signer *s = hmac_signer();
	srand(12345);
	char payload[300];
	for (int iter = 0; iter < 500; iter++) {
		size_t len = (size_t)(rand() % (int)sizeof payload);
		for (size_t i = 0; i < len; i++)
			payload[i] = (char)(rand() & 0xff);
		unsigned char ref[32];
		size_t reflen = 0;
		cr_assert_not_null(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, SECRET, strlen(SECRET),
		                             (const unsigned char *)payload, len, ref, sizeof ref, &reflen));
		char want[65];
		for (size_t i = 0; i < 32; i++)
			snprintf(want + 2 * i, 3, "%02x", ref[i]);
		char sig[SB_SIGN_MAX];
		cr_assert_eq(sb_signer_sign(s, payload, len, sig, sizeof sig, NULL), SB_OK);
		cr_assert_str_eq(sig, want, "iteration %d, length %zu", iter, len);
		cr_assert_eq(sb_signer_verify(s, payload, len, sig, 64), SB_OK);
	}
	sb_signer_free(s);
}

Test(sign, hmac_of_empty_payload_is_defined)
{
	struct sb_signer *s = hmac_signer();
	char a[SB_SIGN_MAX], b[SB_SIGN_MAX];
	cr_assert_eq(sb_signer_sign(s, NULL, 0, a, sizeof a, NULL), SB_OK);
	cr_assert_eq(sb_signer_sign(s, "", 0, b, sizeof b, NULL), SB_OK);
	cr_assert_str_eq(a, b);
	cr_assert_eq(strlen(a), 64);
	sb_signer_free(s);
}

Test(sign, sign_needs_room_for_the_nul)
{
	struct sb_signer *s = hmac_signer();
	char sig[SB_SIGN_MAX];
	memset(sig, 'x', sizeof sig);
	cr_assert_eq(sb_signer_sign(s, PAYLOAD, strlen(PAYLOAD), sig, 64, NULL), SB_ERR_TOO_LONG);
	cr_assert_eq(sig[0], '\0');
	cr_assert_eq(sb_signer_sign(s, PAYLOAD, strlen(PAYLOAD), sig, 65, NULL), SB_OK);
	cr_assert_str_eq(sig, SIG_OFFICIAL);
	sb_signer_free(s);

	struct sb_signer *e = ed_signer();
	cr_assert_eq(sb_signer_sign(e, PAYLOAD, strlen(PAYLOAD), sig, 88, NULL), SB_ERR_TOO_LONG);
	cr_assert_eq(sb_signer_sign(e, PAYLOAD, strlen(PAYLOAD), sig, 89, NULL), SB_OK);
	sb_signer_free(e);
}

Test(sign, bad_arguments_are_rejected)
{
	struct sb_signer *s = (struct sb_signer *)1;
	cr_assert_eq(sb_signer_new_hmac("", 0, &s), SB_ERR_INVALID);
	cr_assert_eq(sb_signer_new_hmac(NULL, 3, &s), SB_ERR_INVALID);
	cr_assert_eq(sb_signer_new_ed25519_pem(NULL, 0, &s), SB_ERR_INVALID);
	cr_assert_eq(sb_sign_verify_hmac("", 0, PAYLOAD, strlen(PAYLOAD), SIG_OFFICIAL, 64), SB_ERR_INVALID);
	char out[SB_SIGN_MAX];
	cr_assert_eq(sb_signer_sign(NULL, "a", 1, out, sizeof out, NULL), SB_ERR_INVALID);
	sb_signer_free(NULL);
}

Test(sign, verify_hmac_accepts_any_case)
{
	char upper[65], mixed[65];
	for (size_t i = 0; i < 64; i++) {
		char c = SIG_OFFICIAL[i];
		upper[i] = c >= 'a' && c <= 'f' ? (char)(c - 32) : c;
		mixed[i] = i % 2 ? upper[i] : c;
	}
	upper[64] = mixed[64] = '\0';
	cr_assert_str_neq(upper, SIG_OFFICIAL);
	const size_t plen = strlen(PAYLOAD), slen = strlen(SECRET);
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, SIG_OFFICIAL, 64), SB_OK);
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, upper, 64), SB_OK);
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, mixed, 64), SB_OK);
	struct sb_signer *s = hmac_signer();
	cr_assert_eq(sb_signer_verify(s, PAYLOAD, plen, upper, 64), SB_OK);
	sb_signer_free(s);
}

Test(sign, verify_hmac_rejects_wrong_signatures)
{
	const size_t plen = strlen(PAYLOAD), slen = strlen(SECRET);
	char sig[65];
	/* Every single-character change anywhere in the signature is caught. */
	for (size_t i = 0; i < 64; i++) {
		memcpy(sig, SIG_OFFICIAL, 65);
		sig[i] = sig[i] == '0' ? '1' : '0';
		cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, sig, 64), SB_ERR_BAD_SIGNATURE,
		             "position %zu", i);
	}
	/*
	 * Case folding applies to 'A'-'F' only. A naive fold (c | 0x20) would map the control character 0x18
	 * onto the digit '8' (0x38) and 'F' + 1 = 'G' onto 'g'; neither may pass.
	 */
	memcpy(sig, SIG_OFFICIAL, 65);
	char *eight = strchr(sig, '8');
	cr_assert_not_null(eight);
	*eight = (char)('8' - 0x20);
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, sig, 64), SB_ERR_BAD_SIGNATURE);
	/* Truncated, extended, empty. */
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, SIG_OFFICIAL, 63),
	             SB_ERR_BAD_SIGNATURE);
	char longer[66];
	memcpy(longer, SIG_OFFICIAL, 64);
	longer[64] = '0';
	longer[65] = '\0';
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, longer, 65), SB_ERR_BAD_SIGNATURE);
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen, "", 0), SB_ERR_BAD_SIGNATURE);
	/* Right signature, wrong payload or wrong secret. */
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen, PAYLOAD, plen - 1, SIG_OFFICIAL, 64),
	             SB_ERR_BAD_SIGNATURE);
	cr_assert_eq(sb_sign_verify_hmac(SECRET, slen - 1, PAYLOAD, plen, SIG_OFFICIAL, 64),
	             SB_ERR_BAD_SIGNATURE);
}

Test(sign, ed25519_known_answer_matches_openssl_cli)
{
	struct sb_signer *s = ed_signer();
	char sig[SB_SIGN_MAX];
	size_t n = 0;
	cr_assert_eq(sb_signer_sign(s, PAYLOAD, strlen(PAYLOAD), sig, sizeof sig, &n), SB_OK);
	cr_assert_eq(n, 88);
	cr_assert_str_eq(sig, ED25519_KAT);
	/* Deterministic: the same again through the reused context. */
	cr_assert_eq(sb_signer_sign(s, PAYLOAD, strlen(PAYLOAD), sig, sizeof sig, &n), SB_OK);
	cr_assert_str_eq(sig, ED25519_KAT);
	sb_signer_free(s);
}

Test(sign, ed25519_signer_from_pem_buffer_equals_from_file)
{
	size_t len;
	char *pem = read_data("keys/ed25519-test.pem", &len);
	struct sb_signer *s = NULL;
	cr_assert_eq(sb_signer_new_ed25519_pem(pem, len, &s), SB_OK);
	char sig[SB_SIGN_MAX];
	cr_assert_eq(sb_signer_sign(s, PAYLOAD, strlen(PAYLOAD), sig, sizeof sig, NULL), SB_OK);
	cr_assert_str_eq(sig, ED25519_KAT);
	sb_signer_free(s);
	free(pem);
}

Test(sign, ed25519_round_trip_verifies_with_public_key)
{
	size_t publen;
	char *pub = read_data("keys/ed25519-test.pub.pem", &publen);
	struct sb_signer *s = ed_signer();
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, strlen(PAYLOAD), ED25519_KAT, 88), SB_OK);
	srand(777);
	char payload[200], sig[SB_SIGN_MAX];
	for (int iter = 0; iter < 20; iter++) {
		size_t len = (size_t)(rand() % (int)sizeof payload);
		for (size_t i = 0; i < len; i++)
			payload[i] = (char)(rand() & 0xff);
		cr_assert_eq(sb_signer_sign(s, payload, len, sig, sizeof sig, NULL), SB_OK);
		cr_assert_eq(sb_sign_verify_ed25519(pub, publen, payload, len, sig, 88), SB_OK);
		cr_assert_eq(sb_signer_verify(s, payload, len, sig, 88), SB_OK);
		if (len > 0) {
			payload[0] ^= 1;
			cr_assert_eq(sb_sign_verify_ed25519(pub, publen, payload, len, sig, 88),
			             SB_ERR_BAD_SIGNATURE);
		}
	}
	sb_signer_free(s);
	free(pub);
}

Test(sign, ed25519_verify_rejects_altered_signatures)
{
	size_t publen;
	char *pub = read_data("keys/ed25519-test.pub.pem", &publen);
	const size_t plen = strlen(PAYLOAD);
	char sig[89];
	/* Ed25519 signatures are case-sensitive: changing one letter's case must fail. */
	memcpy(sig, ED25519_KAT, 89);
	sig[0] = 'g';
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, sig, 88), SB_ERR_BAD_SIGNATURE);
	/* Non-canonical padding bits: 'w' ends in 0000 before "=="; 'x' decodes to the same bytes. */
	memcpy(sig, ED25519_KAT, 89);
	cr_assert_eq(sig[85], 'w');
	sig[85] = 'x';
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, sig, 88), SB_ERR_BAD_SIGNATURE);
	/* Flipping a bit of the signature value. */
	memcpy(sig, ED25519_KAT, 89);
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, sig, 88), SB_ERR_BAD_SIGNATURE);
	/* Wrong length, not base64, and a percent-encoded signature (the caller must decode first). */
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, ED25519_KAT, 86),
	             SB_ERR_BAD_SIGNATURE);
	memset(sig, '*', 88);
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, sig, 88), SB_ERR_BAD_SIGNATURE);
	cr_assert_eq(sb_sign_verify_ed25519(pub, publen, PAYLOAD, plen, "G%2FVh", 6), SB_ERR_BAD_SIGNATURE);
	free(pub);
}

/* Writes key as PEM into a malloc'd string: public (SubjectPublicKeyInfo) or private (PKCS#8). */
static char *pem_of(EVP_PKEY *key, int public, const char *pass, size_t *len)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int ok = public ? PEM_write_bio_PUBKEY(bio, key)
	         : pass
	             ? PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)pass)
	             : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL);
	cr_assert_eq(ok, 1);
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *copy = malloc((size_t)n + 1);
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return copy;
}

Test(sign, ed25519_verify_rejects_another_keys_signature)
{
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	cr_assert_not_null(other);
	size_t len;
	char *pub = pem_of(other, 1, NULL, &len);
	cr_assert_eq(sb_sign_verify_ed25519(pub, len, PAYLOAD, strlen(PAYLOAD), ED25519_KAT, 88),
	             SB_ERR_BAD_SIGNATURE);
	free(pub);
	EVP_PKEY_free(other);
}

Test(sign, ed25519_loader_refuses_wrong_keys)
{
	struct sb_signer *s = NULL;
	size_t len;
	/* A public key where a private key belongs. */
	char *pub = read_data("keys/ed25519-test.pub.pem", &len);
	cr_assert_eq(sb_signer_new_ed25519_pem(pub, len, &s), SB_ERR_PARSE);
	cr_assert_null(s);
	/* A private key of another algorithm. */
	EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	char *xpem = pem_of(x, 0, NULL, &len);
	cr_assert_eq(sb_signer_new_ed25519_pem(xpem, len, &s), SB_ERR_UNSUPPORTED);
	char *xpub = pem_of(x, 1, NULL, &len);
	cr_assert_eq(sb_sign_verify_ed25519(xpub, len, "a", 1, ED25519_KAT, 88), SB_ERR_UNSUPPORTED);
	/* An encrypted Ed25519 key fails instead of prompting for a passphrase. */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	char *enc = pem_of(ed, 0, "hunter2", &len);
	cr_assert(strstr(enc, "ENCRYPTED") != NULL);
	cr_assert_eq(sb_signer_new_ed25519_pem(enc, len, &s), SB_ERR_PARSE);
	/* Garbage, and a private key given where the public key belongs. */
	cr_assert_eq(sb_signer_new_ed25519_pem("not a key", 9, &s), SB_ERR_PARSE);
	char *priv = read_data("keys/ed25519-test.pem", &len);
	cr_assert_eq(sb_sign_verify_ed25519(priv, len, "a", 1, ED25519_KAT, 88), SB_ERR_PARSE);
	cr_assert_eq(sb_signer_new_ed25519_file("/nonexistent/key.pem", &s), SB_ERR_IO);
	free(pub);
	free(xpem);
	free(xpub);
	free(enc);
	free(priv);
	EVP_PKEY_free(x);
	EVP_PKEY_free(ed);
}

Test(sign, hmac_signer_does_not_verify_as_ed25519_and_vice_versa)
{
	struct sb_signer *h = hmac_signer(), *e = ed_signer();
	cr_assert_eq(sb_signer_kind(h), SB_SIGN_HMAC_SHA256);
	cr_assert_eq(sb_signer_verify(h, PAYLOAD, strlen(PAYLOAD), ED25519_KAT, 88), SB_ERR_BAD_SIGNATURE);
	cr_assert_eq(sb_signer_verify(e, PAYLOAD, strlen(PAYLOAD), SIG_OFFICIAL, 64), SB_ERR_BAD_SIGNATURE);
	cr_assert_eq(sb_signer_verify(e, PAYLOAD, strlen(PAYLOAD), ED25519_KAT, 88), SB_OK);
	sb_signer_free(h);
	sb_signer_free(e);
}

Test(sign, ed25519_public_key_signer_verifies_but_cannot_sign)
{
	size_t len;
	char *pub = read_data("keys/ed25519-test.pub.pem", &len);
	struct sb_signer *v = NULL;
	cr_assert_eq(sb_signer_new_ed25519_public_pem(pub, len, &v), SB_OK);
	cr_assert_eq(sb_signer_kind(v), SB_SIGN_ED25519);
	const size_t plen = strlen(PAYLOAD);
	for (int i = 0; i < 3; i++) /* the kept context is reusable */
		cr_assert_eq(sb_signer_verify(v, PAYLOAD, plen, ED25519_KAT, 88), SB_OK);
	cr_assert_eq(sb_signer_verify(v, PAYLOAD, plen - 1, ED25519_KAT, 88), SB_ERR_BAD_SIGNATURE);
	char sig[SB_SIGN_MAX];
	cr_assert_eq(sb_signer_sign(v, PAYLOAD, plen, sig, sizeof sig, NULL), SB_ERR_UNSUPPORTED);
	cr_assert_str_eq(sig, "");
	sb_signer_free(v);
	/* A private key PEM is not a public key PEM. */
	char *priv = read_data("keys/ed25519-test.pem", &len);
	cr_assert_eq(sb_signer_new_ed25519_public_pem(priv, len, &v), SB_ERR_PARSE);
	cr_assert_null(v);
	free(pub);
	free(priv);
}

/*
 * sign.c - HMAC-SHA256 and Ed25519 request signatures over OpenSSL 3 libcrypto (see sign.h).
 *
 * HMAC: the MAC is fetched once per signer and one context is keyed at creation; each signature re-inits
 * that context with a NULL key, which keeps the key schedule and is four times cheaper than a fresh
 * context. Ed25519: the key is parsed once; signing is one-shot (EVP_DigestSign with no digest), since
 * Ed25519 hashes the message itself. Every libcrypto failure clears the error queue so that later,
 * unrelated calls do not report stale errors.
 */
#include "common/sign_int.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>

#include "spotbot/alloc.h"

#define HMAC_LEN        32          /* SHA-256 output */
#define ED25519_SIG_LEN 64          /* raw Ed25519 signature */
#define PEM_FILE_MAX    (64 * 1024) /* a PEM key is a few hundred bytes; anything larger is not one */

struct sb_signer {
	enum sb_sign_kind kind; /* which of the fields below is in use */
	EVP_MAC_CTX *mac;       /* HMAC: context keyed once at creation, re-initialised per signature */
	EVP_PKEY *pkey;         /* Ed25519: the private key, or only the public key when public_only */
	EVP_MD_CTX *md;         /* Ed25519: sign/verify context, reset and reused per call */
	bool public_only;       /* Ed25519: made from a public key, so it can verify but not sign */
};

static const char hexdigits[] = "0123456789abcdef";

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* PEM password callback that refuses: an encrypted key fails instead of prompting on the terminal. */
static int no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

sb_err sb_signer_new_hmac(const char *secret, size_t len, struct sb_signer **out)
{
	if (!secret || len == 0 || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	/* OSSL_PARAM wants a mutable string; the digest name is never written through it. */
	static char digest[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
	                       OSSL_PARAM_construct_end()};
	EVP_MAC_CTX *ctx = NULL;
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac)
		ctx = EVP_MAC_CTX_new(mac);
	EVP_MAC_free(mac); /* the context holds its own reference */
	if (!ctx || !EVP_MAC_init(ctx, (const unsigned char *)secret, len, params)) {
		EVP_MAC_CTX_free(ctx);
		ERR_clear_error();
		return SB_ERR_UNSUPPORTED;
	}
	struct sb_signer *s = sb_xcalloc(1, sizeof *s);
	s->kind = SB_SIGN_HMAC_SHA256;
	s->mac = ctx;
	*out = s;
	return SB_OK;
}

/* Loads an Ed25519 key, private (PKCS#8) or public (SubjectPublicKeyInfo), into a new signer. */
static sb_err ed25519_load(const char *pem, size_t len, bool public_only, struct sb_signer **out)
{
	if (!pem || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	if (len > INT_MAX)
		return SB_ERR_TOO_LONG;
	sb_err err = SB_OK;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *md = NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio) {
		err = SB_ERR_UNSUPPORTED;
		goto out;
	}
	pkey = public_only ? PEM_read_bio_PUBKEY(bio, NULL, no_password, NULL)
	                   : PEM_read_bio_PrivateKey(bio, NULL, no_password, NULL);
	if (!pkey) {
		err = SB_ERR_PARSE;
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		err = SB_ERR_UNSUPPORTED;
		goto out;
	}
	md = EVP_MD_CTX_new();
	if (!md) {
		err = SB_ERR_UNSUPPORTED;
		goto out;
	}
	struct sb_signer *s = sb_xcalloc(1, sizeof *s);
	s->kind = SB_SIGN_ED25519;
	s->pkey = pkey;
	s->md = md;
	s->public_only = public_only;
	*out = s;
out:
	BIO_free(bio);
	if (err != SB_OK) {
		EVP_PKEY_free(pkey);
		ERR_clear_error();
	}
	return err;
}

sb_err sb_signer_new_ed25519_pem(const char *pem, size_t len, struct sb_signer **out)
{
	return ed25519_load(pem, len, false, out);
}

sb_err sb_signer_new_ed25519_public_pem(const char *pem, size_t len, struct sb_signer **out)
{
	return ed25519_load(pem, len, true, out);
}

sb_err sb_signer_new_ed25519_file(const char *path, struct sb_signer **out)
{
	if (!path || !out)
		return SB_ERR_INVALID;
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (!f)
		return SB_ERR_IO;
	setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer keeps a copy of the key after fclose */
	/* One byte more than the maximum tells "exactly at the limit" from "over it". */
	char *buf = sb_xmalloc(PEM_FILE_MAX + 1);
	size_t n = fread(buf, 1, PEM_FILE_MAX + 1, f);
	sb_err err;
	if (ferror(f))
		err = SB_ERR_IO;
	else if (n > PEM_FILE_MAX)
		err = SB_ERR_TOO_LONG;
	else
		err = sb_signer_new_ed25519_pem(buf, n, out);
	fclose(f);
	OPENSSL_cleanse(buf, PEM_FILE_MAX + 1);
	free(buf);
	return err;
}

void sb_signer_free(struct sb_signer *s)
{
	if (!s)
		return;
	/* Both free functions cleanse the key copies libcrypto holds. */
	EVP_MAC_CTX_free(s->mac);
	EVP_MD_CTX_free(s->md);
	EVP_PKEY_free(s->pkey);
	OPENSSL_cleanse(s, sizeof *s);
	free(s);
}

enum sb_sign_kind sb_signer_kind(const struct sb_signer *s)
{
	return s->kind;
}

/* The raw HMAC of payload with the signer's key, through the reused context. */
static int hmac_raw(struct sb_signer *s, const char *payload, size_t len, unsigned char mac[HMAC_LEN])
{
	size_t n = 0;
	if (!EVP_MAC_init(s->mac, NULL, 0, NULL) ||
	    !EVP_MAC_update(s->mac, (const unsigned char *)payload, len) ||
	    !EVP_MAC_final(s->mac, mac, &n, HMAC_LEN) || n != HMAC_LEN) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}

/* The raw Ed25519 signature of payload. */
static int ed25519_raw(struct sb_signer *s, const char *payload, size_t len,
                       unsigned char sig[ED25519_SIG_LEN])
{
	size_t n = ED25519_SIG_LEN;
	EVP_MD_CTX_reset(s->md);
	if (EVP_DigestSignInit_ex(s->md, NULL, NULL, NULL, NULL, s->pkey, NULL) != 1 ||
	    EVP_DigestSign(s->md, sig, &n, (const unsigned char *)payload, len) != 1 ||
	    n != ED25519_SIG_LEN) {
		ERR_clear_error();
		return 0;
	}
	return 1;
}

sb_err sb_signer_sign(struct sb_signer *s, const char *payload, size_t len, char *out, size_t cap,
                      size_t *outlen)
{
	if (!s || (!payload && len > 0) || !out)
		return SB_ERR_INVALID;
	if (!payload)
		payload = "";
	size_t need = s->kind == SB_SIGN_HMAC_SHA256 ? SB_SIGN_HMAC_HEX_LEN : SB_SIGN_ED25519_B64_LEN;
	if (cap > 0)
		out[0] = '\0';
	if (cap < need + 1)
		return SB_ERR_TOO_LONG;
	if (s->public_only)
		return SB_ERR_UNSUPPORTED;
	if (s->kind == SB_SIGN_HMAC_SHA256) {
		unsigned char mac[HMAC_LEN];
		if (!hmac_raw(s, payload, len, mac))
			return SB_ERR_UNSUPPORTED;
		hex_encode(mac, HMAC_LEN, out);
		OPENSSL_cleanse(mac, sizeof mac);
	} else {
		unsigned char sig[ED25519_SIG_LEN];
		if (!ed25519_raw(s, payload, len, sig))
			return SB_ERR_UNSUPPORTED;
		/* EVP_EncodeBlock writes 4 characters per 3 bytes, '=' padding and a NUL: 88 + 1. */
		EVP_EncodeBlock((unsigned char *)out, sig, ED25519_SIG_LEN);
	}
	if (outlen)
		*outlen = need;
	return SB_OK;
}

/*
 * Compares hex case-insensitively in constant time. Folding 'A'-'F' to lower case depends only on the
 * presented signature, which the attacker already knows, so only the final comparison must not leak.
 */
static sb_err hmac_check(struct sb_signer *s, const char *payload, size_t len, const char *sig,
                         size_t sig_len)
{
	if (sig_len != SB_SIGN_HMAC_HEX_LEN)
		return SB_ERR_BAD_SIGNATURE;
	unsigned char mac[HMAC_LEN];
	char want[SB_SIGN_HMAC_HEX_LEN + 1], got[SB_SIGN_HMAC_HEX_LEN];
	if (!hmac_raw(s, payload, len, mac))
		return SB_ERR_UNSUPPORTED;
	hex_encode(mac, HMAC_LEN, want);
	for (size_t i = 0; i < SB_SIGN_HMAC_HEX_LEN; i++) {
		unsigned char c = (unsigned char)sig[i];
		got[i] = (char)(c >= 'A' && c <= 'F' ? c + ('a' - 'A') : c);
	}
	int diff = CRYPTO_memcmp(want, got, SB_SIGN_HMAC_HEX_LEN);
	OPENSSL_cleanse(mac, sizeof mac);
	OPENSSL_cleanse(want, sizeof want);
	return diff == 0 ? SB_OK : SB_ERR_BAD_SIGNATURE;
}

/*
 * Decodes the 88-character base64 of an Ed25519 signature, accepting only the canonical encoding (the one
 * this module and Binance produce): decoding and re-encoding must give back the same characters.
 */
static int ed25519_b64_decode(const char *b64, size_t len, unsigned char sig[ED25519_SIG_LEN])
{
	unsigned char buf[SB_SIGN_ED25519_B64_LEN / 4 * 3];
	unsigned char again[SB_SIGN_ED25519_B64_LEN + 1];
	if (len != SB_SIGN_ED25519_B64_LEN)
		return 0;
	if (EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len) != (int)sizeof buf)
		return 0;
	EVP_EncodeBlock(again, buf, ED25519_SIG_LEN);
	if (CRYPTO_memcmp(again, b64, SB_SIGN_ED25519_B64_LEN) != 0)
		return 0;
	memcpy(sig, buf, ED25519_SIG_LEN);
	return 1;
}

static sb_err ed25519_check(struct sb_signer *s, const char *payload, size_t len, const char *sig_b64,
                            size_t sig_len)
{
	unsigned char sig[ED25519_SIG_LEN];
	if (!ed25519_b64_decode(sig_b64, sig_len, sig))
		return SB_ERR_BAD_SIGNATURE;
	sb_err err = SB_ERR_BAD_SIGNATURE;
	EVP_MD_CTX_reset(s->md);
	if (EVP_DigestVerifyInit_ex(s->md, NULL, NULL, NULL, NULL, s->pkey, NULL) != 1)
		err = SB_ERR_UNSUPPORTED;
	else if (EVP_DigestVerify(s->md, sig, ED25519_SIG_LEN, (const unsigned char *)payload, len) == 1)
		err = SB_OK;
	ERR_clear_error();
	return err;
}

sb_err sb_signer_verify(struct sb_signer *s, const char *payload, size_t len, const char *sig, size_t sig_len)
{
	if (!s || (!payload && len > 0) || !sig)
		return SB_ERR_INVALID;
	if (!payload)
		payload = "";
	if (s->kind == SB_SIGN_HMAC_SHA256)
		return hmac_check(s, payload, len, sig, sig_len);
	return ed25519_check(s, payload, len, sig, sig_len);
}

sb_err sb_sign_verify_hmac(const char *secret, size_t secret_len, const char *payload, size_t len,
                           const char *sig_hex, size_t sig_len)
{
	if (!secret || secret_len == 0 || (!payload && len > 0) || !sig_hex)
		return SB_ERR_INVALID;
	struct sb_signer *s;
	sb_err err = sb_signer_new_hmac(secret, secret_len, &s);
	if (err != SB_OK)
		return err;
	err = sb_signer_verify(s, payload, len, sig_hex, sig_len);
	sb_signer_free(s);
	return err;
}

sb_err sb_sign_verify_ed25519(const char *pub_pem, size_t pem_len, const char *payload, size_t len,
                              const char *sig_b64, size_t sig_len)
{
	if (!pub_pem || (!payload && len > 0) || !sig_b64)
		return SB_ERR_INVALID;
	struct sb_signer *s;
	sb_err err = sb_signer_new_ed25519_public_pem(pub_pem, pem_len, &s);
	if (err != SB_OK)
		return err;
	err = sb_signer_verify(s, payload, len, sig_b64, sig_len);
	sb_signer_free(s);
	return err;
}

/*
 * sign.h - request signatures for Binance's SIGNED endpoints, and their verification for spotsim.
 *
 * A signer holds one API key's secret: an HMAC-SHA256 key (output: 64 lowercase hex characters) or an
 * Ed25519 private key (output: 88 base64 characters). The HMAC signer keeps one keyed EVP_MAC_CTX and
 * re-initialises it for every signature, which costs about 0.3 us instead of 1.3 us for a fresh context.
 * spotsim can also hold a verify-only signer made from an Ed25519 public key.
 * The payload is exactly the bytes Binance signs: the percent-encoded query string followed directly by the
 * body for REST (see query.h), or the sorted raw parameters for the WebSocket API. Base64 signatures must
 * still be percent-encoded by the caller before they go into a REST query string.
 *
 * The secret never leaves the signer: there is no accessor, nothing prints it, and the key material held
 * by libcrypto is cleansed when the signer is freed. A signer is not thread-safe (it reuses one context);
 * give each thread its own.
 */
#ifndef SPOTBOT_SIGN_H
#define SPOTBOT_SIGN_H

#include <stddef.h>

#include "spotbot/error.h"

#define SB_SIGN_HMAC_HEX_LEN    64 /* lowercase hex of a 32-byte HMAC-SHA256 */
#define SB_SIGN_ED25519_B64_LEN 88 /* base64 of a 64-byte Ed25519 signature, with "==" padding */
/* Buffer size that holds any signature this module produces, including the terminating NUL. */
#define SB_SIGN_MAX 89

enum sb_sign_kind {
	SB_SIGN_HMAC_SHA256, /* secretKey of an HMAC API key */
	SB_SIGN_ED25519,     /* PKCS#8 private key of an Ed25519 API key */
};

struct sb_signer; /* opaque: one API key's signing state */

/*
 * Creates an HMAC-SHA256 signer keyed with secret[0..len). The signer keeps no copy of its own; libcrypto's
 * keyed context holds the key and wipes it on free. The caller keeps ownership of secret (and should
 * cleanse it if it no longer needs it). On success *out is a new signer the caller frees with
 * sb_signer_free. Errors: SB_ERR_INVALID (NULL or empty secret), SB_ERR_UNSUPPORTED (libcrypto lacks HMAC).
 */
sb_err sb_signer_new_hmac(const char *secret, size_t len, struct sb_signer **out);

/*
 * Creates an Ed25519 signer from an unencrypted PKCS#8 PEM private key held in pem[0..len). Encrypted keys
 * are refused rather than prompting on the terminal. On success *out is a new signer the caller frees with
 * sb_signer_free. Errors: SB_ERR_INVALID (NULL arguments), SB_ERR_PARSE (not a PEM private key, or
 * encrypted), SB_ERR_UNSUPPORTED (a private key, but not Ed25519).
 */
sb_err sb_signer_new_ed25519_pem(const char *pem, size_t len, struct sb_signer **out);

/*
 * Creates a verify-only Ed25519 signer from a public key PEM (SubjectPublicKeyInfo, "BEGIN PUBLIC KEY"),
 * as spotsim holds for each account: sb_signer_verify works, sb_signer_sign returns SB_ERR_UNSUPPORTED.
 * Parsing the PEM costs several times a verification, so keep the object instead of re-parsing per
 * request. On success *out is a new signer the caller frees with sb_signer_free. Errors: SB_ERR_INVALID,
 * SB_ERR_PARSE (not a public key PEM), SB_ERR_UNSUPPORTED (not Ed25519).
 */
sb_err sb_signer_new_ed25519_public_pem(const char *pem, size_t len, struct sb_signer **out);

/*
 * Same as sb_signer_new_ed25519_pem, reading the PEM from the file at path (at most 64 KiB). The copy read
 * into memory is cleansed before returning. Errors: as above, plus SB_ERR_IO (cannot open or read path) and
 * SB_ERR_TOO_LONG (file larger than 64 KiB).
 */
sb_err sb_signer_new_ed25519_file(const char *path, struct sb_signer **out);

/* Releases the signer and wipes its key material. sb_signer_free(NULL) does nothing. */
void sb_signer_free(struct sb_signer *s);

/* Which kind of key the signer holds. */
enum sb_sign_kind sb_signer_kind(const struct sb_signer *s);

/*
 * Signs payload[0..len) and writes the signature as a NUL-terminated string into out (cap bytes; use
 * SB_SIGN_MAX): 64 lowercase hex characters for HMAC, 88 base64 characters for Ed25519. *outlen (if not
 * NULL) receives the length without the NUL. Errors: SB_ERR_INVALID (NULL arguments), SB_ERR_TOO_LONG (cap
 * too small; out is then left empty if cap > 0), SB_ERR_UNSUPPORTED (libcrypto failure, or a verify-only
 * signer).
 */
sb_err sb_signer_sign(struct sb_signer *s, const char *payload, size_t len, char *out, size_t cap,
                      size_t *outlen);

/*
 * Checks sig[0..sig_len) against payload[0..len) with the signer's key, the way the exchange does: HMAC
 * hex compared case-insensitively in constant time, Ed25519 base64 compared exactly (case-sensitive) by
 * verifying with the key's public half. Lets spotsim keep one signer per account instead of re-keying.
 * Returns SB_OK when the signature is valid, SB_ERR_BAD_SIGNATURE when it is not (wrong value, wrong length,
 * not hex/base64), SB_ERR_INVALID for NULL arguments.
 */
sb_err sb_signer_verify(struct sb_signer *s, const char *payload, size_t len, const char *sig,
                        size_t sig_len);

#endif

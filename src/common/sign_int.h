/*
 * sign_int.h - one-shot signature checks without a signer (sign.c): a fresh key for every call, so the
 * tests can check a signer's output against an independent verification. The programs verify through a
 * signer kept per account (sb_signer_verify, sign.h).
 */
#ifndef SPOTBOT_COMMON_SIGN_INT_H
#define SPOTBOT_COMMON_SIGN_INT_H

#include <stddef.h>

#include "spotbot/sign.h"

/*
 * One-shot HMAC-SHA256 check with secret[0..secret_len): SB_OK when sig_hex[0..sig_len) is the hex HMAC of
 * payload, in either case; SB_ERR_BAD_SIGNATURE when it is not; SB_ERR_INVALID for NULL arguments or an empty
 * secret. The comparison runs in constant time.
 */
sb_err sb_sign_verify_hmac(const char *secret, size_t secret_len, const char *payload, size_t len,
                           const char *sig_hex, size_t sig_len);

/*
 * One-shot Ed25519 check: SB_OK when sig_b64[0..sig_len) is the canonical base64 of a valid signature of
 * payload under the public key in pub_pem[0..pem_len) (SubjectPublicKeyInfo PEM, "BEGIN PUBLIC KEY");
 * SB_ERR_BAD_SIGNATURE when it is not; SB_ERR_PARSE when the PEM is not a public key; SB_ERR_UNSUPPORTED when
 * it is not an Ed25519 key; SB_ERR_INVALID for NULL arguments.
 */
sb_err sb_sign_verify_ed25519(const char *pub_pem, size_t pem_len, const char *payload, size_t len,
                              const char *sig_b64, size_t sig_len);

#endif

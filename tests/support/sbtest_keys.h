/*
 * sbtest_keys.h - Ed25519 API keys for tests: a fresh key pair generated with OpenSSL and written as PEM
 * files (PKCS#8 private key, SubjectPublicKeyInfo public key), so no test depends on a committed key, and
 * an Ed25519-signed Binance REST request to spotsim.
 */
#ifndef SBTEST_KEYS_H
#define SBTEST_KEYS_H

#include <stdbool.h>
#include <sys/types.h>

#include "sbtest.h"

/*
 * Generates a new Ed25519 key pair and writes the private key to priv_path and the public key to
 * pub_path, both created or truncated with the given mode. Returns false (reason on stderr) on failure.
 */
bool sbt_ed25519_keypair(const char *priv_path, const char *pub_path, mode_t mode);

/*
 * As sbt_signed, but signed with the Ed25519 private key in priv_path: the base64 signature is
 * percent-encoded in the query or body, as Binance wants.
 */
bool sbt_signed_ed25519(int port, const char *method, const char *path, const char *params, const char *key,
                        const char *priv_path, struct sbt_response *out);

#endif

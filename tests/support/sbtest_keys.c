/*
 * sbtest_keys.c - Ed25519 key pairs and Ed25519-signed requests for tests (see sbtest_keys.h).
 */
#include "sbtest_keys.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spotbot/clock.h"
#include "spotbot/query.h"
#include "spotbot/sign.h"

/* Opens path for writing with exactly mode (whatever the umask), as a stdio stream. */
static FILE *create(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, mode) != 0) {
		close(fd);
		return NULL;
	}
	FILE *f = fdopen(fd, "w");
	if (!f)
		close(fd);
	return f;
}

bool sbt_ed25519_keypair(const char *priv_path, const char *pub_path, mode_t mode)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	bool ok = key != NULL;
	FILE *f;
	if (ok && priv_path) {
		f = create(priv_path, mode);
		ok = f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
		if (f)
			ok = fclose(f) == 0 && ok;
	}
	if (ok && pub_path) {
		f = create(pub_path, mode);
		ok = f && PEM_write_PUBKEY(f, key) == 1;
		if (f)
			ok = fclose(f) == 0 && ok;
	}
	EVP_PKEY_free(key);
	if (!ok)
		fprintf(stderr, "cannot write the Ed25519 key pair %s / %s\n", priv_path, pub_path);
	return ok;
}

bool sbt_signed_ed25519(int port, const char *method, const char *path, const char *params, const char *key,
                        const char *priv_path, struct sbt_response *out)
{
	char payload[6000], sig[SB_SIGN_MAX], enc[3 * SB_SIGN_MAX], full[8192];
	struct sb_signer *s = NULL;
	size_t slen = 0, elen = 0;
	if (sb_signer_new_ed25519_file(priv_path, &s) != SB_OK)
		return false;
	snprintf(payload, sizeof payload, "%s%stimestamp=%lld", params, *params ? "&" : "",
	         (long long)sb_clock_wall_ms());
	sb_err e = sb_signer_sign(s, payload, strlen(payload), sig, sizeof sig, &slen);
	sb_signer_free(s);
	if (e != SB_OK || sb_query_encode(sig, slen, enc, sizeof enc, &elen) != SB_OK)
		return false;
	enc[elen] = '\0';
	if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		snprintf(full, sizeof full, "%s&signature=%s", payload, enc);
		return sbt_http(port, method, path, full, key, out);
	}
	char url[8192];
	snprintf(url, sizeof url, "%s?%s&signature=%s", path, payload, enc);
	return sbt_http(port, method, url, NULL, key, out);
}

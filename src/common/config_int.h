/*
 * config_int.h - what the configuration files share inside the library but do not export: parsing and
 * formatting of one option's value. config.c owns the table and the loading; config_value.c turns text
 * into typed values and back; config_write.c produces --show, .env.example and the Markdown table.
 */
#ifndef SPOTBOT_CONFIG_INT_H
#define SPOTBOT_CONFIG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spotbot/config.h"

/* A parsed value before it is stored; which member is live follows the option's type. */
union sb__config_value {
	char *s;   /* STRING, URL, LISTEN: heap copy the caller owns until stored */
	int64_t i; /* INT, DURATION, SIZE */
	sb_dec d;  /* DECIMAL */
	bool b;    /* BOOL */
	int e;     /* ENUM: index into names[] */
};

/* True for the types stored as an owned char * (STRING, URL, LISTEN). */
static inline bool sb__config_is_string(const struct sb_option *opt)
{
	return opt->type == SB_OPT_STRING || opt->type == SB_OPT_URL || opt->type == SB_OPT_LISTEN;
}

/*
 * Parses v[0..n) as a value of opt (bounds included). On success fills *out and returns SB_OK; on failure
 * writes a reason that never quotes the value into why (cap bytes) and returns SB_ERR_PARSE or
 * SB_ERR_RANGE. Empty input is left to the caller (it decides whether empty is allowed).
 */
sb_err sb__config_parse(const struct sb_option *opt, const char *v, size_t n, union sb__config_value *out,
                        char *why, size_t cap);

/* Moves val into cfg's field for opt, releasing a string the field held. */
void sb__config_store(struct sb_config *cfg, const struct sb_option *opt, union sb__config_value *val);

/* Writes the value of opt in cfg as text into buf (cap bytes, NUL-terminated, truncated if needed). */
void sb__config_format(const struct sb_config *cfg, const struct sb_option *opt, char *buf, size_t cap);

/* Writes a number of opt's type (an INT, DURATION, SIZE or DECIMAL value) the way a user would write it. */
void sb__config_format_number(const struct sb_option *opt, int64_t v, char *buf, size_t cap);

/* Finds the host of a URL already accepted by the URL parser: *host, *len (may be 0 for odd input). */
void sb__config_url_host(const char *url, const char **host, size_t *len);

/*
 * True when host[0..len) is a Binance production host: binance.com, binance.us, binance.vision or a subdomain
 * of one, except the spot testnet (testnet.binance.vision and its subdomains); case-insensitive, trailing
 * dots ignored. A host with a %XX escape counts as one (a client may decode it into one).
 */
bool sb__config_is_binance_host(const char *host, size_t len);

#endif

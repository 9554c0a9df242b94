/*
 * config.h - spotbot's configuration: a `.env` file plus environment variables, the environment winning.
 *
 * Every option is one row of a single table (name, type, field, default, bounds, help, flags). The
 * loader, the validator, `spotbot config --show`, the committed .env.example and the reference table in
 * docs/configuration.md are all driven by that table, so they cannot disagree; adding an option is one
 * new field in struct sb_config and one row in the table in config.c.
 *
 * Loading never stops at the first problem: every bad line or value is reported to an error stream as
 * "FILE:LINE: KEY: message" (or "environment: KEY: message"), and the caller exits 2. Values of secret
 * options (API key and secret, control token, webhook URL) are never printed: not in errors, not by
 * sb_config_print. Values of unknown keys are never printed either, since a misspelt key may hold one.
 *
 * Requests are signed either with an HMAC secret (BINANCE_API_SECRET) or with an Ed25519 private key
 * (BINANCE_PRIVATE_KEY_FILE), never both. The key file is checked while loading: it must be a regular
 * file, private to its owner (unless ALLOW_INSECURE_CONFIG is set in the environment) and hold an
 * unencrypted PKCS#8 Ed25519 private key; its path is treated as a secret everywhere except in the
 * message that tells the user which file to fix.
 */
#ifndef SPOTBOT_CONFIG_H
#define SPOTBOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "spotbot/decimal.h"
#include "spotbot/error.h"

/* Where the configuration is read from when no --config is given. */
#define SB_CONFIG_DEFAULT_PATH "./.env"
/* Longest accepted line of a .env file and longest value from the environment, in bytes. */
#define SB_CONFIG_MAX_LINE 4096
/* Largest accepted .env file; a config file is a few kilobytes, anything bigger is a mistake. */
#define SB_CONFIG_MAX_FILE (1024 * 1024)

/* MODE: paper trades against spotsim, the bundled simulator, with no real money; live is a real exchange. */
enum sb_mode {
	SB_MODE_PAPER,
	SB_MODE_LIVE,
};

/* LOG_LEVEL, in increasing severity. */
enum sb_config_log_level {
	SB_CONFIG_LOG_DEBUG,
	SB_CONFIG_LOG_INFO,
	SB_CONFIG_LOG_WARN,
	SB_CONFIG_LOG_ERROR,
};

/* ALERT_WEBHOOK_FORMAT: the body shape the alert webhook expects. */
enum sb_config_alert_format {
	SB_CONFIG_ALERT_GENERIC,
	SB_CONFIG_ALERT_SLACK,
	SB_CONFIG_ALERT_DISCORD,
	SB_CONFIG_ALERT_TELEGRAM,
};

/*
 * The resolved configuration. Strings are owned by the struct (released by sb_config_fini) and are never
 * NULL after sb_config_init; an unset optional string is "". Durations are milliseconds, sizes bytes.
 */
struct sb_config {
	enum sb_mode mode;                                /* MODE */
	char *binance_api_key;                            /* BINANCE_API_KEY (secret) */
	char *binance_api_secret;                         /* BINANCE_API_SECRET (secret); or "" */
	char *binance_private_key_file;                   /* BINANCE_PRIVATE_KEY_FILE (secret), Ed25519 */
	char *binance_rest_url;                           /* BINANCE_REST_URL */
	char *binance_stream_url;                         /* BINANCE_STREAM_URL */
	char *binance_wsapi_url;                          /* BINANCE_WSAPI_URL */
	char *binance_ca_file;                            /* BINANCE_CA_FILE; "" uses the system store */
	int64_t recv_window_ms;                           /* RECV_WINDOW_MS */
	char *database_path;                              /* DATABASE_PATH */
	char *log_dir;                                    /* LOG_DIR */
	enum sb_config_log_level log_level;               /* LOG_LEVEL */
	int64_t log_max_bytes;                            /* LOG_MAX_BYTES */
	int64_t log_keep;                                 /* LOG_KEEP */
	bool log_stderr;                                  /* LOG_STDERR */
	char *control_listen;                             /* CONTROL_LISTEN: "host:port" or "unix:/path" */
	char *control_token;                              /* CONTROL_TOKEN (secret); "" means none */
	bool control_open_monitoring;                     /* CONTROL_OPEN_MONITORING */
	char *pairs;                                      /* PAIRS, raw; parsed by the pairs module */
	char *alert_webhook_url;                          /* ALERT_WEBHOOK_URL (secret); "" means none */
	enum sb_config_alert_format alert_webhook_format; /* ALERT_WEBHOOK_FORMAT */
	char *order_tag;                                  /* ORDER_TAG: instance tag in clientOrderIds */
	sb_dec max_exposure;          /* MAX_EXPOSURE: quote in open positions; 0 = none */
	int64_t price_max_age_ms;     /* PRICE_MAX_AGE */
	sb_dec price_max_jump;        /* PRICE_MAX_JUMP: fraction; 0 = no check */
	int64_t price_jump_confirm;   /* PRICE_JUMP_CONFIRM */
	bool cancel_buys_on_shutdown; /* CANCEL_BUYS_ON_SHUTDOWN */
	bool allow_insecure_config;   /* ALLOW_INSECURE_CONFIG (environment only) */
	char *path;                   /* the .env file that was read, or NULL when none was (owned) */
};

/* Value types of options; each maps to one C field type (noted after it). */
enum sb_opt_type {
	SB_OPT_STRING,   /* char * */
	SB_OPT_INT,      /* int64_t, bounded by min..max */
	SB_OPT_BOOL,     /* bool: 1/0, true/false, yes/no, on/off (any case) */
	SB_OPT_ENUM,     /* an enum (int-sized): index into names[] */
	SB_OPT_DECIMAL,  /* sb_dec, bounded by min..max (raw sb_dec units) */
	SB_OPT_DURATION, /* int64_t milliseconds: 500ms, 60s, 5m, 2h, 1d; bare number = seconds */
	SB_OPT_SIZE,     /* int64_t bytes: 65536, 64k, 10M, 1G (binary multiples) */
	SB_OPT_URL,      /* char *: starts with http://, https://, ws:// or wss:// and names a host */
	SB_OPT_LISTEN,   /* char *: host:port (port 1..65535; [v6]:port) or unix:/absolute/path */
};

/* Option flags. */
#define SB_OPT_SECRET       0x01u /* value never printed: redacted in --show, omitted from errors */
#define SB_OPT_ENV_ONLY     0x02u /* read from the environment only; an error in the file */
#define SB_OPT_NONEMPTY     0x04u /* an explicitly empty value is an error */
#define SB_OPT_BY_MODE      0x08u /* default depends on MODE: def in paper, def_live in live mode */
#define SB_OPT_EXCHANGE_URL 0x10u /* must not point at binance.com in paper mode */
#define SB_OPT_HTTP_URL     0x20u /* URL: http:// or https:// only (a REST or webhook client) */
#define SB_OPT_WS_URL       0x40u /* URL: ws:// or wss:// only (a WebSocket client) */

/* One row of the options table. */
struct sb_option {
	const char *name;         /* the KEY, as written in .env and the environment */
	enum sb_opt_type type;    /* how the value is parsed and stored */
	size_t offset;            /* offsetof(struct sb_config, field) */
	const char *def;          /* default as text (paper-mode default with SB_OPT_BY_MODE) */
	const char *def_live;     /* live-mode default with SB_OPT_BY_MODE; NULL: required in live */
	int64_t min, max;         /* bounds for INT, DURATION, SIZE and DECIMAL (min > max: none) */
	const char *const *names; /* ENUM: the accepted names, NULL-terminated */
	unsigned flags;           /* SB_OPT_* */
	const char *help;         /* one or two sentences for the docs and .env.example */
};

/* The options table, in documentation order; *n receives its length. Static storage, never NULL. */
const struct sb_option *sb_config_options(size_t *n);

/* The row for KEY (exact, case-sensitive), or NULL. */
const struct sb_option *sb_config_option(const char *name);

/* Fills cfg with the defaults (paper mode). Call sb_config_fini when done, even after a failed load. */
void sb_config_init(struct sb_config *cfg);

/* Releases the strings cfg owns and leaves it zeroed; harmless on a zeroed struct. */
void sb_config_fini(struct sb_config *cfg);

/*
 * Loads the .env file at path (SB_CONFIG_DEFAULT_PATH when NULL) and then envp (a NULL-terminated
 * "NAME=VALUE" array, as from main or environ; NULL means empty) over cfg, which must come from
 * sb_config_init. Environment variables not in the table are ignored; unknown keys in the file are
 * errors. A missing file is fine (defaults plus environment) unless path_explicit is true.
 * Every problem is written to errors (one line each, nothing when errors is NULL) and loading carries on
 * to find the rest; the return is then SB_ERR_CONFIG, and cfg holds a partial result the caller should
 * only sb_config_fini. SB_ERR_PERM when the file is accessible to group or others and the environment
 * does not set ALLOW_INSECURE_CONFIG (the file itself cannot vouch for its own permissions); SB_ERR_IO
 * when reading an opened file fails; SB_ERR_INVALID when cfg is NULL. Every caller exits 2 on failure.
 */
sb_err sb_config_load(struct sb_config *cfg, const char *path, bool path_explicit, char *const *envp,
                      FILE *errors);

/*
 * As sb_config_load, but the .env text comes from data (len bytes, any content) named name in messages;
 * name NULL means there is no file, only envp. No permission check of the .env: the caller read the bytes
 * (BINANCE_PRIVATE_KEY_FILE is still checked). This is the entry point of the fuzz target. cfg->path is
 * not changed.
 */
sb_err sb_config_load_buffer(struct sb_config *cfg, const char *name, const char *data, size_t len,
                             char *const *envp, FILE *errors);

/* Writes KEY=VALUE lines for every option, in table order, quoted so the output is valid .env text.
 * Secret values are written as <redacted>, or nothing when empty; environment-only options are
 * commented out, since the file may not set them. */
void sb_config_print(const struct sb_config *cfg, FILE *out);

/* Writes the .env.example text generated from the table (the committed file must equal it). */
void sb_config_write_example(FILE *out);

/* Writes the Markdown reference table generated from the table (docs/configuration.md contains it). */
void sb_config_write_markdown(FILE *out);

/*
 * Stores pointers to the non-empty secret values of cfg in out[0..max) (borrowed: valid until cfg
 * changes), for the logger's redaction list. Returns how many there are, which may exceed max.
 */
size_t sb_config_secrets(const struct sb_config *cfg, const char **out, size_t max);

/*
 * Wipes and removes every secret option (BINANCE_API_SECRET, CONTROL_TOKEN, ...) from the process's
 * environment, after the configuration has been loaded from it, so no child and no reader of
 * /proc/PID/environ sees them. sb_config_fini wipes the configuration's own copies.
 */
void sb_config_scrub_env(void);

/* The name of a MODE value ("paper", "live"). */
const char *sb_mode_name(enum sb_mode mode);

#endif

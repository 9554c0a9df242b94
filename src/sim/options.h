/*
 * options.h - spotsim's command line, a contract that tests and users depend on:
 *
 *   spotsim [--listen 127.0.0.1:PORT] [--account KEY:SECRET:ASSET=AMOUNT,ASSET=AMOUNT ...]
 *           [--account KEY:ed25519:PUBLIC_KEY.pem:ASSET=AMOUNT,... ...]
 *           [--symbols BTCUSDT,ETHUSDT,...] [--exchange-info FILE.json] [--replay SYMBOL=FILE.csv[.gz] ...]
 *           [--speed X] [--seed N] [--fault NAME[=VALUE] ...] [--fee-rate 0.001]
 *           [--replay-end hold|stop|loop] [--fill touch|through] [--state FILE.json]
 *           [--tls-cert FILE.pem --tls-key FILE.pem]
 */
#ifndef SIM_OPTIONS_H
#define SIM_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/book.h"
#include "spotbot/decimal.h"
#include "spotbot/error.h"

#define SIM_MAX_ACCOUNTS 16 /* --account flags */
#define SIM_MAX_BALANCES 16 /* assets per account */
#define SIM_MAX_SYMBOLS  64 /* symbols served */
#define SIM_MAX_REPLAYS  SIM_MAX_SYMBOLS
#define SIM_MAX_FAULTS   16 /* --fault flags */

/* The demo account created when no --account is given (documented in docs/spotsim.md). */
#define SIM_DEMO_KEY    "spotsim-demo-key"
#define SIM_DEMO_SECRET "spotsim-demo-secret"

struct sim_balance_opt {
	char asset[16]; /* e.g. "USDT" */
	sb_dec amount;  /* free balance at start */
};

/* The SECRET field that makes an --account an Ed25519 key: KEY:ed25519:PUBLIC_KEY.pem[:BALANCES]. */
#define SIM_ED25519_TAG "ed25519"

struct sim_account_opt {
	char key[128];                                     /* API key */
	char secret[128];                                  /* HMAC secret; "" for an Ed25519 key */
	char public_key[4096];                             /* Ed25519 public key PEM file; "" for HMAC */
	struct sim_balance_opt balances[SIM_MAX_BALANCES]; /* starting balances */
	unsigned nbalances;                                /* entries used */
};

struct sim_replay_opt {
	char symbol[32]; /* e.g. "LTCUSDT" */
	char path[4096]; /* kline CSV, plain or .gz */
};

/* What a replay does after its last candle (--replay-end). */
enum sim_replay_end {
	SIM_REPLAY_HOLD, /* the market stays at the last price, with its last book (the default) */
	SIM_REPLAY_STOP, /* spotsim shuts down once every replay has ended */
	SIM_REPLAY_LOOP, /* the replay starts again from its first candle, times continuing */
};

struct sim_fault_opt {
	char name[32];  /* fault name (see sim_fault_names) */
	char value[64]; /* "" when given without =VALUE */
};

struct sim_options {
	char host[64];                                     /* listen address */
	int port;                                          /* 0 = pick a free port */
	struct sim_account_opt accounts[SIM_MAX_ACCOUNTS]; /* --account, or the demo account */
	unsigned naccounts;                                /* entries used */
	char symbols[SIM_MAX_SYMBOLS][32];                 /* --symbols, empty = the built-in default set */
	unsigned nsymbols;                                 /* entries used */
	char exchange_info[4096];                          /* --exchange-info file, "" = built-in catalogue */
	struct sim_replay_opt replays[SIM_MAX_REPLAYS];    /* --replay */
	unsigned nreplays;                                 /* entries used */
	enum sim_replay_end replay_end;                    /* what a replay does at its end */
	enum sim_fill_model fill;                          /* --fill: when the market fills resting orders */
	char state[4096];                                  /* --state file, "" = state in memory only */
	sb_dec speed;                                      /* market time per wall time (1 = real time) */
	uint64_t seed;                                     /* synthetic market seed */
	struct sim_fault_opt faults[SIM_MAX_FAULTS];       /* --fault */
	unsigned nfaults;                                  /* entries used */
	sb_dec fee_rate;                                   /* maker and taker commission rate */
	char tls_cert[4096];                               /* --tls-cert PEM chain, "" = plain HTTP/ws */
	char tls_key[4096];                                /* --tls-key PEM private key of tls_cert */
	bool help;                                         /* --help was given */
	bool version;                                      /* --version was given */
	bool sim_admin_any;  /* --sim-admin-any: /sim/ endpoints answer peers beyond loopback */
	bool no_market_data; /* keep no public market data (recent trades, candles): set by a program that
	                        links the exchange in and serves no market data requests (the backtest),
	                        never from the command line */
};

/* Fills opts from argv. On a bad flag writes one line naming it to err and returns SB_ERR_INVALID
 * (the caller prints usage and exits 2). Adds the demo account when no --account is given.
 * --tls-cert and --tls-key come together or not at all. */
sb_err sim_options_parse(int argc, char **argv, struct sim_options *opts, FILE *err);

/* The --replay-end spelling of a mode ("hold", "stop", "loop"). */
const char *sim_replay_end_name(enum sim_replay_end end);

/* Prints the usage text. */
void sim_options_usage(FILE *f);

/* The fault names spotsim knows, NULL-terminated. */
extern const char *const sim_fault_names[];

#endif

/*
 * options.c - parsing and validation of spotsim's command line (see options.h).
 */
#include "sim/options.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"

const char *const sim_fault_names[] = {
    "drop_ws",              /* drop every WebSocket now (or every VALUE seconds when given at start) */
    "hide_user_events",     /* keep user-data sockets open but deliver no events */
    "order_5xx_after",      /* execute order requests, then answer 503 */
    "order_5xx_before",     /* answer order requests 503 without executing them */
    "delay_ms",             /* delay every REST response by VALUE ms */
    "force_429",            /* answer every REST request 429 with Retry-After VALUE (default 1) */
    "clock_skew_ms",        /* shift the server clock by VALUE ms (may be negative) */
    "expire_user_data",     /* end user-data subscriptions and listenKeys now */
    "ws_lifetime_s",        /* close WebSockets after VALUE seconds (Binance: 86400) */
    "user_events_delay_ms", /* deliver user-data events VALUE ms after they happen, in order */
    "flat_market",          /* skip the market feed's events: the price stands still */
    "wsapi_down",           /* close WebSocket API connections as they open */
    "order_ws_drop",        /* execute a WebSocket API order.place, then close its connection unanswered */
    NULL,
};

void sim_options_usage(FILE *f)
{
	fputs(
	    "usage: spotsim [--listen 127.0.0.1:PORT] [--account KEY:SECRET:ASSET=AMOUNT,ASSET=AMOUNT ...]\n"
	    "               [--account KEY:ed25519:PUBLIC_KEY.pem:ASSET=AMOUNT,... ...]\n"
	    "               [--symbols BTCUSDT,ETHUSDT,...] [--exchange-info FILE.json]\n"
	    "               [--replay SYMBOL=FILE.csv[.gz] ...] [--speed X] [--seed N]\n"
	    "               [--fault NAME[=VALUE] ...] [--fee-rate 0.001]\n"
	    "               [--replay-end hold|stop|loop] [--fill touch|through] [--state FILE.json]\n"
	    "               [--sim-admin-any]\n"
	    "               [--tls-cert FILE.pem --tls-key FILE.pem]\n"
	    "       spotsim --version | --help\n"
	    "\n"
	    "  --listen HOST:PORT   address to serve REST and WebSockets on (default 127.0.0.1:9090;\n"
	    "                       port 0 picks a free port and prints 'listening on HOST:PORT')\n"
	    "  --account K:S:A=N,.. an API key, its HMAC secret and starting balances (repeatable);\n"
	    "                       without one, the demo account " SIM_DEMO_KEY ":" SIM_DEMO_SECRET "\n"
	    "                       holds 10000 USDT, 1 BTC, 10 ETH and 10 BNB\n"
	    "  --account K:ed25519:PUB.pem:A=N,..\n"
	    "                       an Ed25519 API key: its public key PEM file instead of a secret\n"
	    "  --symbols A,B,...    symbols to serve (default BTCUSDT,ETHUSDT,BNBUSDT, from the built-in catalogue)\n"
	    "  --exchange-info F    take symbols and filters from a real exchangeInfo JSON document: those of\n"
	    "                       --symbols, else every symbol of the file (up to 64), else the default\n"
	    "                       symbols the file has; catalogue symbols keep their start price\n"
	    "  --replay SYM=FILE    replay a Binance kline file (data.binance.vision layout: .csv, .csv.gz or the\n"
	    "                       published .zip) for SYM;\n"
	    "                       a SYM in neither the catalogue nor --exchange-info gets rules derived from\n"
	    "                       the file (tick and step from its decimals: an approximation)\n"
	    "  --replay-end MODE    at the end of a replay: hold (keep the last price, the default),\n"
	    "                       stop (shut down once every replay has ended) or loop (start again)\n"
	    "  --fill MODEL         when the market's trades fill resting orders: touch (a trade at the\n"
	    "                       order's price, the default) or through (only a trade beyond it: a buy\n"
	    "                       at P fills on a trade below P, a sell on one above; the pessimistic model)\n"
	    "  --state FILE         keep accounts, orders and trades in FILE (JSON), written atomically after\n"
	    "                       every change and loaded at start, so they survive a restart\n"
	    "  --speed X            market time runs X times faster than wall time (default 1)\n"
	    "  --seed N             seed of the synthetic market, 0 to 2^63-1 (default 1)\n"
	    "  --fault NAME[=V]     start with a fault on (repeatable): drop_ws, hide_user_events,\n"
	    "                       order_5xx_after, order_5xx_before, delay_ms=N, force_429[=S],\n"
	    "                       clock_skew_ms=N, expire_user_data, ws_lifetime_s=N,\n"
	    "                       user_events_delay_ms=N, flat_market, wsapi_down, order_ws_drop\n"
	    "  --fee-rate R         maker and taker commission rate (default 0.001 = 0.1%)\n"
	    "  --sim-admin-any      serve the /sim/ admin endpoints (prices, faults, deposits) to any peer;\n"
	    "                       by default only loopback peers may use them\n"
	    "  --tls-cert FILE      serve HTTPS and wss:// with this PEM certificate (chain); needs --tls-key\n"
	    "  --tls-key FILE       the certificate's PEM private key (unencrypted)\n"
	    "  --version            print the version and exit\n",
	    f);
}

static bool copy_field(char *dst, size_t cap, const char *src, size_t len)
{
	if (len == 0 || len >= cap)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static bool parse_u64(const char *s, int64_t max, uint64_t *out)
{
	int64_t v;
	if (!sb_parse_i64_str(s, 0, max, &v))
		return false;
	*out = (uint64_t)v;
	return true;
}

static sb_err parse_listen(const char *arg, struct sim_options *o, FILE *err)
{
	const char *colon = strrchr(arg, ':');
	uint64_t port;
	if (!colon || !copy_field(o->host, sizeof o->host, arg, (size_t)(colon - arg)) ||
	    !parse_u64(colon + 1, 65535, &port)) {
		fprintf(err, "spotsim: --listen '%s': expected HOST:PORT with a port from 0 to 65535\n", arg);
		return SB_ERR_INVALID;
	}
	o->port = (int)port;
	return SB_OK;
}

static bool valid_asset(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

static sb_err parse_balances(char *list, struct sim_account_opt *a, const char *arg, FILE *err)
{
	char *save = NULL;
	for (char *item = strtok_r(list, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(item, '=');
		if (a->nbalances == SIM_MAX_BALANCES) {
			fprintf(err, "spotsim: --account '%s': more than %d balances\n", arg,
			        SIM_MAX_BALANCES);
			return SB_ERR_INVALID;
		}
		struct sim_balance_opt *b = &a->balances[a->nbalances];
		if (!eq || !copy_field(b->asset, sizeof b->asset, item, (size_t)(eq - item)) ||
		    !valid_asset(b->asset)) {
			fprintf(err, "spotsim: --account '%s': balance '%s' is not ASSET=AMOUNT\n", arg,
			        item);
			return SB_ERR_INVALID;
		}
		sb_err e = sb_dec_parse_nonneg(eq + 1, strlen(eq + 1), &b->amount);
		if (e) {
			fprintf(err, "spotsim: --account '%s': amount '%s' of %s: %s\n", arg, eq + 1,
			        b->asset, sb_strerror(e));
			return SB_ERR_INVALID;
		}
		a->nbalances++;
	}
	return SB_OK;
}

static sb_err parse_account(const char *arg, struct sim_options *o, FILE *err)
{
	char buf[1024];
	if (o->naccounts == SIM_MAX_ACCOUNTS) {
		fprintf(err, "spotsim: at most %d --account flags\n", SIM_MAX_ACCOUNTS);
		return SB_ERR_INVALID;
	}
	struct sim_account_opt *a = &o->accounts[o->naccounts];
	memset(a, 0, sizeof *a);
	/* The secret is never echoed: errors name the key only. */
	const char *c1 = strchr(arg, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c1 || !copy_field(a->key, sizeof a->key, arg, (size_t)(c1 - arg))) {
		fprintf(err, "spotsim: --account: expected KEY:SECRET[:ASSET=AMOUNT,...]\n");
		return SB_ERR_INVALID;
	}
	size_t slen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (slen == strlen(SIM_ED25519_TAG) && memcmp(c1 + 1, SIM_ED25519_TAG, slen) == 0) {
		/* KEY:ed25519:FILE[:BALANCES]: the public key's path runs to the next ':'. */
		const char *path = c2 ? c2 + 1 : "";
		const char *c3 = strchr(path, ':');
		size_t plen = c3 ? (size_t)(c3 - path) : strlen(path);
		if (!copy_field(a->public_key, sizeof a->public_key, path, plen)) {
			fprintf(
			    err,
			    "spotsim: --account %s: expected KEY:ed25519:PUBLIC_KEY.pem[:ASSET=AMOUNT,...] "
			    "(the path is empty or too long)\n",
			    a->key);
			return SB_ERR_INVALID;
		}
		c2 = c3;
	} else if (!copy_field(a->secret, sizeof a->secret, c1 + 1, slen)) {
		fprintf(err, "spotsim: --account %s: the secret is empty or longer than %zu bytes\n", a->key,
		        sizeof a->secret - 1);
		return SB_ERR_INVALID;
	}
	for (unsigned i = 0; i < o->naccounts; i++)
		if (strcmp(o->accounts[i].key, a->key) == 0) {
			fprintf(err, "spotsim: --account %s given twice\n", a->key);
			return SB_ERR_INVALID;
		}
	if (c2) {
		if (snprintf(buf, sizeof buf, "%s", c2 + 1) >= (int)sizeof buf) {
			fprintf(err, "spotsim: --account %s: balance list too long\n", a->key);
			return SB_ERR_INVALID;
		}
		sb_err e = parse_balances(buf, a, a->key, err);
		if (e)
			return e;
	}
	o->naccounts++;
	return SB_OK;
}

static bool valid_symbol(const char *s)
{
	size_t n = strlen(s);
	return n >= 2 && n < 32 && valid_asset(s);
}

static sb_err parse_symbols(const char *arg, struct sim_options *o, FILE *err)
{
	char buf[SIM_MAX_SYMBOLS * 32];
	if (snprintf(buf, sizeof buf, "%s", arg) >= (int)sizeof buf) {
		fprintf(err, "spotsim: --symbols: list too long\n");
		return SB_ERR_INVALID;
	}
	o->nsymbols = 0;
	char *save = NULL;
	for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save)) {
		if (!valid_symbol(s)) {
			fprintf(err,
			        "spotsim: --symbols: '%s' is not a symbol (upper-case letters and digits)\n",
			        s);
			return SB_ERR_INVALID;
		}
		if (o->nsymbols == SIM_MAX_SYMBOLS) {
			fprintf(err, "spotsim: --symbols: more than %d symbols\n", SIM_MAX_SYMBOLS);
			return SB_ERR_INVALID;
		}
		snprintf(o->symbols[o->nsymbols++], sizeof o->symbols[0], "%s", s);
	}
	if (o->nsymbols == 0) {
		fprintf(err, "spotsim: --symbols: empty list\n");
		return SB_ERR_INVALID;
	}
	return SB_OK;
}

static sb_err parse_replay(const char *arg, struct sim_options *o, FILE *err)
{
	const char *eq = strchr(arg, '=');
	if (o->nreplays == SIM_MAX_REPLAYS) {
		fprintf(err, "spotsim: at most %d --replay flags\n", SIM_MAX_REPLAYS);
		return SB_ERR_INVALID;
	}
	struct sim_replay_opt *r = &o->replays[o->nreplays];
	if (!eq || !copy_field(r->symbol, sizeof r->symbol, arg, (size_t)(eq - arg)) ||
	    !valid_symbol(r->symbol) || !copy_field(r->path, sizeof r->path, eq + 1, strlen(eq + 1))) {
		fprintf(err, "spotsim: --replay '%s': expected SYMBOL=FILE.csv[.gz]\n", arg);
		return SB_ERR_INVALID;
	}
	o->nreplays++;
	return SB_OK;
}

static bool fault_known(const char *name)
{
	for (const char *const *f = sim_fault_names; *f; f++)
		if (strcmp(*f, name) == 0)
			return true;
	return false;
}

static sb_err parse_fault(const char *arg, struct sim_options *o, FILE *err)
{
	if (o->nfaults == SIM_MAX_FAULTS) {
		fprintf(err, "spotsim: at most %d --fault flags\n", SIM_MAX_FAULTS);
		return SB_ERR_INVALID;
	}
	struct sim_fault_opt *f = &o->faults[o->nfaults];
	const char *eq = strchr(arg, '=');
	size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
	if (!copy_field(f->name, sizeof f->name, arg, nlen) || !fault_known(f->name)) {
		fprintf(err, "spotsim: --fault '%s': unknown fault (see --help)\n", arg);
		return SB_ERR_INVALID;
	}
	f->value[0] = '\0';
	if (eq && snprintf(f->value, sizeof f->value, "%s", eq + 1) >= (int)sizeof f->value) {
		fprintf(err, "spotsim: --fault '%s': value too long\n", arg);
		return SB_ERR_INVALID;
	}
	o->nfaults++;
	return SB_OK;
}

const char *sim_replay_end_name(enum sim_replay_end end)
{
	switch (end) {
	case SIM_REPLAY_STOP:
		return "stop";
	case SIM_REPLAY_LOOP:
		return "loop";
	case SIM_REPLAY_HOLD:
	default:
		return "hold";
	}
}

static sb_err parse_replay_end(const char *arg, struct sim_options *o, FILE *err)
{
	static const enum sim_replay_end modes[] = {SIM_REPLAY_HOLD, SIM_REPLAY_STOP, SIM_REPLAY_LOOP};
	for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
		if (strcmp(arg, sim_replay_end_name(modes[i])) == 0) {
			o->replay_end = modes[i];
			return SB_OK;
		}
	fprintf(err, "spotsim: --replay-end '%s': expected hold, stop or loop\n", arg);
	return SB_ERR_INVALID;
}

static sb_err parse_fill(const char *arg, struct sim_options *o, FILE *err)
{
	static const enum sim_fill_model models[] = {SIM_FILL_TOUCH, SIM_FILL_THROUGH};
	for (size_t i = 0; i < sizeof models / sizeof models[0]; i++)
		if (strcmp(arg, sim_fill_model_name(models[i])) == 0) {
			o->fill = models[i];
			return SB_OK;
		}
	fprintf(err, "spotsim: --fill '%s': expected touch or through\n", arg);
	return SB_ERR_INVALID;
}

static sb_err parse_path(const char *flag, const char *arg, char *dst, size_t cap, FILE *err)
{
	if (!copy_field(dst, cap, arg, strlen(arg))) {
		fprintf(err, "spotsim: %s: path empty or too long\n", flag);
		return SB_ERR_INVALID;
	}
	return SB_OK;
}

static sb_err parse_decimal_flag(const char *flag, const char *arg, sb_dec min, sb_dec max, sb_dec *out,
                                 FILE *err)
{
	sb_dec v;
	sb_err e = sb_dec_parse(arg, strlen(arg), &v);
	if (e) {
		fprintf(err, "spotsim: %s '%s': %s\n", flag, arg, sb_strerror(e));
		return SB_ERR_INVALID;
	}
	if (v < min || v > max) {
		char lo[SB_DEC_STRLEN], hi[SB_DEC_STRLEN];
		sb_dec_format_trim(min, lo, sizeof lo);
		sb_dec_format_trim(max, hi, sizeof hi);
		fprintf(err, "spotsim: %s '%s': must be between %s and %s\n", flag, arg, lo, hi);
		return SB_ERR_INVALID;
	}
	*out = v;
	return SB_OK;
}

static void add_demo_account(struct sim_options *o)
{
	static const struct {
		const char *asset;
		sb_dec amount;
	} demo[] = {
	    {"USDT", SB_DEC_C(10000, 0)},
	    {"BTC", SB_DEC_C(1, 0)},
	    {"ETH", SB_DEC_C(10, 0)},
	    {"BNB", SB_DEC_C(10, 0)},
	};
	struct sim_account_opt *a = &o->accounts[0];
	memset(a, 0, sizeof *a);
	snprintf(a->key, sizeof a->key, "%s", SIM_DEMO_KEY);
	snprintf(a->secret, sizeof a->secret, "%s", SIM_DEMO_SECRET);
	for (size_t i = 0; i < sizeof demo / sizeof demo[0]; i++) {
		snprintf(a->balances[i].asset, sizeof a->balances[i].asset, "%s", demo[i].asset);
		a->balances[i].amount = demo[i].amount;
	}
	a->nbalances = (unsigned)(sizeof demo / sizeof demo[0]);
	o->naccounts = 1;
}

static void set_defaults(struct sim_options *o)
{
	memset(o, 0, sizeof *o);
	snprintf(o->host, sizeof o->host, "127.0.0.1");
	o->port = 9090;
	o->speed = SB_DEC_ONE;
	o->seed = 1;
	o->fee_rate = SB_DEC_C(0, 100000); /* 0.001 */
}

sb_err sim_options_parse(int argc, char **argv, struct sim_options *o, FILE *err)
{
	set_defaults(o);
	for (int i = 1; i < argc; i++) {
		const char *flag = argv[i];
		if (strcmp(flag, "--help") == 0 || strcmp(flag, "-h") == 0) {
			o->help = true;
			continue;
		}
		if (strcmp(flag, "--version") == 0) {
			o->version = true;
			continue;
		}
		if (strcmp(flag, "--sim-admin-any") == 0) {
			o->sim_admin_any = true;
			continue;
		}
		if (strncmp(flag, "--", 2) != 0) {
			fprintf(err, "spotsim: unexpected argument '%s'\n", flag);
			return SB_ERR_INVALID;
		}
		if (i + 1 >= argc) {
			fprintf(err, "spotsim: %s needs a value\n", flag);
			return SB_ERR_INVALID;
		}
		const char *arg = argv[++i];
		sb_err e;
		uint64_t seed;
		if (strcmp(flag, "--listen") == 0)
			e = parse_listen(arg, o, err);
		else if (strcmp(flag, "--account") == 0)
			e = parse_account(arg, o, err);
		else if (strcmp(flag, "--symbols") == 0)
			e = parse_symbols(arg, o, err);
		else if (strcmp(flag, "--exchange-info") == 0)
			e = copy_field(o->exchange_info, sizeof o->exchange_info, arg, strlen(arg))
			        ? SB_OK
			        : SB_ERR_INVALID;
		else if (strcmp(flag, "--tls-cert") == 0)
			e = parse_path(flag, arg, o->tls_cert, sizeof o->tls_cert, err);
		else if (strcmp(flag, "--tls-key") == 0)
			e = parse_path(flag, arg, o->tls_key, sizeof o->tls_key, err);
		else if (strcmp(flag, "--replay") == 0)
			e = parse_replay(arg, o, err);
		else if (strcmp(flag, "--replay-end") == 0)
			e = parse_replay_end(arg, o, err);
		else if (strcmp(flag, "--fill") == 0)
			e = parse_fill(arg, o, err);
		else if (strcmp(flag, "--state") == 0)
			e = parse_path(flag, arg, o->state, sizeof o->state, err);
		else if (strcmp(flag, "--speed") == 0)
			e = parse_decimal_flag(flag, arg, SB_DEC_C(0, 1000000), SB_DEC_C(100000, 0),
			                       &o->speed, err);
		else if (strcmp(flag, "--seed") == 0) {
			e = parse_u64(arg, INT64_MAX, &seed) ? SB_OK : SB_ERR_INVALID;
			if (e)
				fprintf(err,
				        "spotsim: --seed '%s': expected a non-negative integer below 2^63\n",
				        arg);
			else
				o->seed = seed;
		} else if (strcmp(flag, "--fault") == 0)
			e = parse_fault(arg, o, err);
		else if (strcmp(flag, "--fee-rate") == 0)
			e = parse_decimal_flag(flag, arg, SB_DEC_ZERO, SB_DEC_C(0, 2000000), &o->fee_rate,
			                       err);
		else {
			fprintf(err, "spotsim: unknown flag '%s'\n", flag);
			return SB_ERR_INVALID;
		}
		if (e == SB_ERR_INVALID && strcmp(flag, "--exchange-info") == 0)
			fprintf(err, "spotsim: --exchange-info: path empty or too long\n");
		if (e)
			return SB_ERR_INVALID;
	}
	if (!o->tls_cert[0] != !o->tls_key[0]) {
		fprintf(err, "spotsim: --tls-cert and --tls-key must be given together\n");
		return SB_ERR_INVALID;
	}
	if (o->naccounts == 0)
		add_demo_account(o);
	return SB_OK;
}

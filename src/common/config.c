/*
 * config.c - the options table and the loader: reads a .env file, then the environment over it, checks
 * every value against the table and reports every problem with its file and line (see config.h).
 *
 * The table is the single source of truth. Defaults are written as text and go through the same parser
 * as user input, so a default can never be something a user could not have typed.
 */
#include "spotbot/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/config_int.h"
#include "spotbot/alloc.h"
#include "spotbot/sign.h"

#define KIB INT64_C(1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

/* Largest accepted private key file; an Ed25519 PEM is about 120 bytes. */
#define KEY_FILE_MAX (64 * KIB)

/* The macros and the table are laid out by hand, one option per row; clang-format would undo that. */
/* clang-format off */

/* offsetof(struct sb_config, f), refusing to compile unless the field has type T. */
#define FIELD(f, T) (offsetof(struct sb_config, f) + \
	0 * sizeof(char[_Generic(((struct sb_config *)0)->f, T: 1, default: -1)]))
/* As FIELD for enum fields, which the loader stores as int. */
#define ENUM_FIELD(f) (offsetof(struct sb_config, f) + \
	0 * sizeof(char[sizeof(((struct sb_config *)0)->f) == sizeof(int) ? 1 : -1]))

/* One macro per type, so an option is one row. Bounds min > max mean "none". */
#define OPT_STRING(key, f, def, flags, help) \
	{#key, SB_OPT_STRING, FIELD(f, char *), def, NULL, 1, 0, NULL, flags, help}
#define OPT_URL(key, f, def, flags, help) \
	{#key, SB_OPT_URL, FIELD(f, char *), def, NULL, 1, 0, NULL, flags, help}
#define OPT_LISTEN(key, f, def, flags, help) \
	{#key, SB_OPT_LISTEN, FIELD(f, char *), def, NULL, 1, 0, NULL, flags, help}
#define OPT_INT(key, f, def, lo, hi, help) \
	{#key, SB_OPT_INT, FIELD(f, int64_t), def, NULL, lo, hi, NULL, 0, help}
#define OPT_SIZE(key, f, def, lo, hi, help) \
	{#key, SB_OPT_SIZE, FIELD(f, int64_t), def, NULL, lo, hi, NULL, 0, help}
#define OPT_DURATION(key, f, def, lo, hi, help) \
	{#key, SB_OPT_DURATION, FIELD(f, int64_t), def, NULL, lo, hi, NULL, 0, help}
#define OPT_DECIMAL(key, f, def, lo, hi, help) \
	{#key, SB_OPT_DECIMAL, FIELD(f, sb_dec), def, NULL, lo, hi, NULL, 0, help}
#define OPT_BOOL(key, f, def, flags, help) \
	{#key, SB_OPT_BOOL, FIELD(f, bool), def, NULL, 1, 0, NULL, flags, help}
#define OPT_ENUM(key, f, def, names, help) \
	{#key, SB_OPT_ENUM, ENUM_FIELD(f), def, NULL, 1, 0, names, 0, help}
/* A string-like option whose default depends on MODE; live NULL makes it required in live mode. */
#define OPT_BY_MODE(key, type, f, paper, live, flags, help) \
	{#key, type, FIELD(f, char *), paper, live, 1, 0, NULL, (flags) | SB_OPT_BY_MODE, help}

static const char *const mode_names[] = {"paper", "live", NULL};
static const char *const log_level_names[] = {"debug", "info", "warn", "error", NULL};
static const char *const alert_format_names[] = {"generic", "slack", "discord", "telegram", NULL};

/* The options, in the order --show, .env.example and the docs list them. */
static const struct sb_option options[] = {
	OPT_ENUM(MODE, mode, "paper", mode_names,
		"paper trades against spotsim, the bundled exchange simulator, with no real money; live trades on the real exchange."),
	OPT_BY_MODE(BINANCE_API_KEY, SB_OPT_STRING, binance_api_key, "spotsim-demo-key", NULL,
		SB_OPT_SECRET | SB_OPT_NONEMPTY,
		"Binance API key. Required in live mode; in paper mode it defaults to the key of spotsim's demo account."),
	OPT_BY_MODE(BINANCE_API_SECRET, SB_OPT_STRING, binance_api_secret, "spotsim-demo-secret", NULL,
		SB_OPT_SECRET | SB_OPT_NONEMPTY,
		"Binance API secret that signs requests with HMAC-SHA256. Required in live mode unless BINANCE_PRIVATE_KEY_FILE is set (never both); in paper mode it defaults to the secret of spotsim's demo account."),
	OPT_STRING(BINANCE_PRIVATE_KEY_FILE, binance_private_key_file, "", SB_OPT_SECRET,
		"Unencrypted PKCS#8 PEM file of the Ed25519 private key of an Ed25519 API key, used instead of BINANCE_API_SECRET (never both). The file must be private to its owner (chmod 600)."),
	OPT_BY_MODE(BINANCE_REST_URL, SB_OPT_URL, binance_rest_url, "http://127.0.0.1:9090",
		"https://api.binance.com", SB_OPT_NONEMPTY | SB_OPT_EXCHANGE_URL | SB_OPT_HTTP_URL,
		"Base URL of the REST API. In paper mode it must not point at a Binance production host (docs/configuration.md#paper-mode-guard)."),
	OPT_BY_MODE(BINANCE_STREAM_URL, SB_OPT_URL, binance_stream_url, "ws://127.0.0.1:9090",
		"wss://stream.binance.com:9443", SB_OPT_NONEMPTY | SB_OPT_EXCHANGE_URL | SB_OPT_WS_URL,
		"Base URL of the market data streams. In paper mode it must not point at a Binance production host (docs/configuration.md#paper-mode-guard)."),
	OPT_BY_MODE(BINANCE_WSAPI_URL, SB_OPT_URL, binance_wsapi_url, "ws://127.0.0.1:9090/ws-api/v3",
		"wss://ws-api.binance.com:443/ws-api/v3", SB_OPT_NONEMPTY | SB_OPT_EXCHANGE_URL | SB_OPT_WS_URL,
		"URL of the WebSocket API, which carries orders and the user data stream. In paper mode it must not point at a Binance production host (docs/configuration.md#paper-mode-guard)."),
	OPT_STRING(BINANCE_CA_FILE, binance_ca_file, "", 0,
		"CA bundle (PEM) that verifies the exchange's TLS certificate instead of the system store, e.g. spotsim's certificate in tests. Empty uses the system store."),
	OPT_INT(RECV_WINDOW_MS, recv_window_ms, "5000", 1, 60000,
		"How many milliseconds a signed request stays valid after its timestamp (Binance's recvWindow)."),
	OPT_STRING(DATABASE_PATH, database_path, "./spotbot.db", SB_OPT_NONEMPTY,
		"SQLite database holding trade pairs, orders, fills, positions and the event log."),
	OPT_STRING(LOG_DIR, log_dir, "./logs", 0,
		"Directory of the JSON-lines log files (spotbot.log and spotbot.error.log). Empty: no log files at all, every line goes to standard error only (for journald and containers; needs LOG_STDERR=true)."),
	OPT_ENUM(LOG_LEVEL, log_level, "info", log_level_names,
		"Lowest severity that is logged."),
	OPT_SIZE(LOG_MAX_BYTES, log_max_bytes, "10M", 64 * KIB, GIB,
		"Size at which the log file is rotated."),
	OPT_INT(LOG_KEEP, log_keep, "5", 1, 100,
		"How many rotated log files are kept."),
	OPT_BOOL(LOG_STDERR, log_stderr, "true", 0,
		"Also write every log line to standard error, each a JSON line as in the files. With LOG_DIR empty it is where all of them go."),
	OPT_LISTEN(CONTROL_LISTEN, control_listen, "127.0.0.1:8089", SB_OPT_NONEMPTY,
		"Address of the control interface the spotbot CLI talks to: host:port, [v6]:port or unix:/path."),
	OPT_STRING(CONTROL_TOKEN, control_token, "", SB_OPT_SECRET,
		"Bearer token (Authorization: Bearer TOKEN) the control API requires on every request but GET /health/live, and but /metrics, /health and /health/ready when CONTROL_OPEN_MONITORING=true; the spotbot CLI sends it from its configuration. It travels in clear (the API speaks plain HTTP, no TLS): it keeps out whoever cannot read the traffic, not whoever can. Empty: any process that can connect may use the API, so CONTROL_LISTEN must then be a loopback address or a unix socket (spotbot run refuses any other)."),
	OPT_BOOL(CONTROL_OPEN_MONITORING, control_open_monitoring, "false", 0,
		"Serve /metrics, /health and /health/ready without CONTROL_TOKEN, for scrapers and probes. Every other endpoint but /health/live still requires the token."),
	OPT_STRING(PAIRS, pairs, "", 0,
		"Trade pairs, separated by ';', each SYMBOL:key=value,... for example BTCUSDT:quote=20,profit=0.5%;ETHUSDT:quote=15,profit=0.8%,buy_timeout=60s. They seed trade_pairs at the first start; a pair edited, added or dropped here later is applied at the next start (docs/operations.md)."),
	OPT_URL(ALERT_WEBHOOK_URL, alert_webhook_url, "", SB_OPT_SECRET | SB_OPT_HTTP_URL,
		"Webhook that receives alerts; empty sends none. Secret, because webhook URLs embed their token."),
	OPT_ENUM(ALERT_WEBHOOK_FORMAT, alert_webhook_format, "generic", alert_format_names,
		"Body format the alert webhook expects."),
	OPT_STRING(ORDER_TAG, order_tag, "main", SB_OPT_NONEMPTY,
		"Name of this bot instance inside its clientOrderIds (sb-TAG-...): 1 to 8 of a-z and 0-9. Orders with another tag are not this instance's."),
	OPT_DECIMAL(MAX_EXPOSURE, max_exposure, "0", 0, INT64_MAX,
		"Largest quote amount committed in open positions over all pairs; no new cycle starts beyond it. 0 means no limit."),
	OPT_DURATION(PRICE_MAX_AGE, price_max_age_ms, "10s", 1000, 3600000,
		"A price older than this is stale: no buy or stop-loss acts on it, and prices are fetched over REST instead."),
	OPT_DECIMAL(PRICE_MAX_JUMP, price_max_jump, "0.05", 0, SB_DEC_ONE,
		"Largest accepted move of the best bid or ask from the last accepted price, as a fraction (0.05 = 5%); larger moves are refused and counted. 0 turns the check off."),
	OPT_INT(PRICE_JUMP_CONFIRM, price_jump_confirm, "5", 0, 1000,
		"Quotes that must agree with a jumped price before it is accepted as the new level; 0 refuses a jump until the price comes back."),
	OPT_BOOL(CANCEL_BUYS_ON_SHUTDOWN, cancel_buys_on_shutdown, "false", 0,
		"Cancel working buy orders when the daemon stops; by default every open order stays on the exchange."),
	OPT_BOOL(ALLOW_INSECURE_CONFIG, allow_insecure_config, "false", SB_OPT_ENV_ONLY,
		"Accept a .env file that group or others may access. Read from the environment only: the file cannot vouch for its own permissions."),
};

/* clang-format on */

#define N_OPTIONS (sizeof options / sizeof options[0])

/* Where an option's value came from during one load. */
struct slot {
	unsigned line; /* .env line that set it, 0 when the file did not */
	bool from_env; /* the environment set it, overriding any line */
	bool refused;  /* a value given for it was refused (already reported) */
};

/* State of one sb_config_load call. */
struct load {
	struct sb_config *cfg;       /* what is being filled */
	const char *name;            /* the .env file's name in messages, NULL when there is none */
	FILE *errors;                /* where messages go, or NULL */
	unsigned nerrors;            /* messages written so far */
	struct slot slot[N_OPTIONS]; /* per option, indexed like options[] */
};

const struct sb_option *sb_config_options(size_t *n)
{
	if (n)
		*n = N_OPTIONS;
	return options;
}

static const struct sb_option *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len && memcmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

const struct sb_option *sb_config_option(const char *name)
{
	return name ? find_option(name, strlen(name)) : NULL;
}

const char *sb_mode_name(enum sb_mode mode)
{
	return mode == SB_MODE_LIVE ? "live" : "paper";
}

/* Applies a default from the table; a default that does not parse is a bug in the table. */
static void apply_default(struct sb_config *cfg, const struct sb_option *opt, const char *def)
{
	union sb__config_value val;
	char why[128];
	if (sb__config_parse(opt, def, strlen(def), &val, why, sizeof why) != SB_OK) {
		fprintf(stderr, "spotbot: bad default for %s: %s\n", opt->name, why);
		abort();
	}
	sb__config_store(cfg, opt, &val);
}

void sb_config_init(struct sb_config *cfg)
{
	if (!cfg)
		return;
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < N_OPTIONS; i++)
		apply_default(cfg, &options[i], options[i].def);
}

void sb_config_scrub_env(void)
{
	for (size_t i = 0; i < N_OPTIONS; i++) {
		if (!(options[i].flags & SB_OPT_SECRET))
			continue;
		/* The value may sit in the block the kernel shows as /proc/PID/environ: wipe it there too. */
		char *v = getenv(options[i].name);
		if (v)
			explicit_bzero(v, strlen(v));
		(void)unsetenv(options[i].name);
	}
}

void sb_config_fini(struct sb_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct sb_option *opt = &options[i];
		if (sb__config_is_string(opt)) {
			char **s = (char **)(void *)((char *)cfg + opt->offset);
			if (*s && (opt->flags & SB_OPT_SECRET))
				explicit_bzero(
				    *s, strlen(*s)); /* no copy of a secret outlives the configuration */
			free(*s);
		}
	}
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

static void report(struct load *ld, unsigned line, bool from_env, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Writes one "WHERE: KEY: message" line. WHERE is FILE:LINE, "environment", or the file alone. */
static void report(struct load *ld, unsigned line, bool from_env, const char *key, const char *fmt, ...)
{
	va_list ap;
	ld->nerrors++;
	if (!ld->errors)
		return;
	if (from_env || !ld->name)
		fputs("environment: ", ld->errors);
	else if (line)
		fprintf(ld->errors, "%s:%u: ", ld->name, line);
	else
		fprintf(ld->errors, "%s: ", ld->name);
	if (key)
		fprintf(ld->errors, "%s: ", key);
	va_start(ap, fmt);
	vfprintf(ld->errors, fmt, ap);
	va_end(ap);
	fputc('\n', ld->errors);
}

/* " (got 'value')" for messages, with unprintable bytes as '?' and long values cut; nothing for secrets. */
static void quote_value(const struct sb_option *opt, const char *v, size_t n, char *buf, size_t cap)
{
	enum { SHOWN = 60 };
	size_t o = 0;
	if (opt->flags & SB_OPT_SECRET) {
		snprintf(buf, cap, " (value not shown: %s is secret)", opt->name);
		return;
	}
	o += (size_t)snprintf(buf, cap, " (got '");
	for (size_t i = 0; i < n && i < SHOWN && o + 1 < cap; i++)
		buf[o++] = (v[i] >= ' ' && v[i] < 0x7f) ? v[i] : '?';
	buf[o < cap ? o : cap - 1] = '\0';
	snprintf(buf + strlen(buf), cap - strlen(buf), "%s')", n > SHOWN ? "..." : "");
}

/* Parses and stores one value; on failure reports it at the value's location and keeps the old value. */
static void set_value(struct load *ld, const struct sb_option *opt, const char *v, size_t n, unsigned line,
                      bool from_env)
{
	union sb__config_value val;
	char why[160], got[128];
	ld->slot[opt - options].refused = true; /* until the value is stored below */
	bool empty_ok =
	    (opt->type == SB_OPT_STRING || opt->type == SB_OPT_URL) && !(opt->flags & SB_OPT_NONEMPTY);
	if (n == 0 && !empty_ok) {
		report(ld, line, from_env, opt->name, "must not be empty");
		return;
	}
	if (n > SB_CONFIG_MAX_LINE) {
		report(ld, line, from_env, opt->name, "value longer than %d bytes", SB_CONFIG_MAX_LINE);
		return;
	}
	if (sb__config_parse(opt, v, n, &val, why, sizeof why) != SB_OK) {
		quote_value(opt, v, n, got, sizeof got);
		report(ld, line, from_env, opt->name, "%s%s", why, got);
		return;
	}
	sb__config_store(ld->cfg, opt, &val);
	ld->slot[opt - options].refused = false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_key_char(char c, bool first)
{
	return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (!first && c >= '0' && c <= '9');
}

/*
 * Decodes the value part of a line, p[0..n) after the '=' with leading blanks skipped, into out
 * (at least n + 1 bytes). Returns NULL on success, or the reason it is malformed.
 */
static const char *decode_value(const char *p, size_t n, char *out, size_t *outlen)
{
	size_t i, o = 0;
	if (n > 0 && (p[0] == '\'' || p[0] == '"')) {
		char q = p[0];
		for (i = 1; i < n && p[i] != q; i++) {
			char c = p[i];
			if (q == '"' && c == '\\') {
				if (++i == n)
					break;
				if (p[i] == 'n')
					c = '\n';
				else if (p[i] == '"' || p[i] == '\\')
					c = p[i];
				else
					return "unsupported escape in double quotes (only \\\" \\\\ and \\n)";
			}
			out[o++] = c;
		}
		if (i >= n)
			return q == '"' ? "unterminated double quote" : "unterminated single quote";
		for (i++; i < n && is_space(p[i]); i++)
			;
		if (i < n && p[i] != '#')
			return "unexpected text after the closing quote";
	} else {
		/* Unquoted: a '#' after a blank starts a comment; trailing blanks are not part of the value.
		 */
		for (i = 0; i < n && !(p[i] == '#' && i > 0 && is_space(p[i - 1])); i++)
			out[o++] = p[i];
		while (o > 0 && is_space(out[o - 1]))
			o--;
	}
	out[o] = '\0';
	*outlen = o;
	return NULL;
}

/* Suggests the real key when an unknown one differs only in case, which is the usual mistake. */
static const char *case_twin(const char *key, size_t len)
{
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len && strncasecmp(options[i].name, key, len) == 0)
			return options[i].name;
	return NULL;
}

/* Parses one line of the file (without its newline); nothing from the line is echoed except the key. */
static void parse_line(struct load *ld, const char *p, size_t n, unsigned line)
{
	char value[SB_CONFIG_MAX_LINE + 1];
	size_t i = 0, keylen, vlen;
	const char *key, *eq, *why, *twin;
	const struct sb_option *opt;
	struct slot *slot;

	while (i < n && is_space(p[i]))
		i++;
	if (i == n || p[i] == '#')
		return;
	if (n - i > 6 && memcmp(p + i, "export", 6) == 0 && is_space(p[i + 6]))
		for (i += 6; i < n && is_space(p[i]); i++)
			;
	key = p + i;
	eq = memchr(key, '=', n - i);
	if (!eq) {
		report(ld, line, false, NULL, "expected KEY=VALUE");
		return;
	}
	for (keylen = (size_t)(eq - key); keylen > 0 && is_space(key[keylen - 1]); keylen--)
		;
	for (size_t k = 0; k < keylen; k++) {
		if (!is_key_char(key[k], k == 0)) {
			keylen = 0;
			break;
		}
	}
	if (keylen == 0) {
		report(ld, line, false, NULL,
		       "invalid key (letters, digits and '_', not starting with a digit)");
		return;
	}
	opt = find_option(key, keylen);
	if (!opt) {
		twin = case_twin(key, keylen);
		report(ld, line, false, NULL, "%.*s: unknown key%s%s%s", (int)keylen, key,
		       twin ? " (did you mean " : "", twin ? twin : "", twin ? "?)" : "");
		return;
	}
	slot = &ld->slot[opt - options];
	if (slot->line) {
		report(ld, line, false, opt->name, "duplicate key; first set on line %u", slot->line);
		return;
	}
	slot->line = line;
	if (opt->flags & SB_OPT_ENV_ONLY) {
		report(ld, line, false, opt->name,
		       "is only read from the environment (the file cannot vouch for its own permissions)");
		return;
	}
	for (i = (size_t)(eq - p) + 1; i < n && is_space(p[i]); i++)
		;
	why = decode_value(p + i, n - i, value, &vlen);
	if (why) {
		slot->refused = true;
		report(ld, line, false, opt->name, "%s", why);
		return;
	}
	set_value(ld, opt, value, vlen, line, false);
}

/* Splits data into lines and parses each; CRLF endings are accepted. */
static void parse_file(struct load *ld, const char *data, size_t len)
{
	size_t pos = 0;
	unsigned line = 0;
	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len, n = end - pos;
		line++;
		if (n > 0 && data[end - 1] == '\r')
			n--;
		if (n > SB_CONFIG_MAX_LINE)
			report(ld, line, false, NULL, "line longer than %d bytes", SB_CONFIG_MAX_LINE);
		else if (memchr(data + pos, '\0', n))
			report(ld, line, false, NULL, "NUL byte in line");
		else
			parse_line(ld, data + pos, n, line);
		pos = end + 1;
	}
}

/* Applies the environment over the file; the first of duplicate entries wins, as with getenv. */
static void parse_env(struct load *ld, char *const *envp)
{
	for (size_t e = 0; envp && envp[e]; e++) {
		const char *eq = strchr(envp[e], '=');
		const struct sb_option *opt;
		if (!eq)
			continue;
		opt = find_option(envp[e], (size_t)(eq - envp[e]));
		if (!opt || ld->slot[opt - options].from_env)
			continue;
		ld->slot[opt - options].from_env = true;
		set_value(ld, opt, eq + 1, strlen(eq + 1), 0, true);
	}
}

/* " (MODE=live from .env:3)" or " (MODE=live from the environment)", naming where live mode came from. */
static void mode_origin(const struct load *ld, char *buf, size_t cap)
{
	const struct slot *s = &ld->slot[sb_config_option("MODE") - options];
	if (s->from_env)
		snprintf(buf, cap, " (MODE=live from the environment)");
	else
		snprintf(buf, cap, " (MODE=live from %s:%u)", ld->name ? ld->name : "?", s->line);
}

/* The option that selects Ed25519 signing. */
#define KEY_FILE "BINANCE_PRIVATE_KEY_FILE"

/* The slot of the option named name (which must exist in the table). */
static const struct slot *slot_of(const struct load *ld, const char *name)
{
	return &ld->slot[sb_config_option(name) - options];
}

/*
 * Checks BINANCE_PRIVATE_KEY_FILE as the .env itself is checked: a regular file that group and others
 * cannot access (unless the environment allows it), holding an Ed25519 private key the signer accepts.
 * The path is named so the user knows which file to fix; the key itself never leaves this function.
 */
static void check_key_file(struct load *ld)
{
	const struct sb_config *cfg = ld->cfg;
	const struct slot *ks = slot_of(ld, KEY_FILE);
	const char *path = cfg->binance_private_key_file;
	struct sb_signer *signer = NULL;
	struct stat st;
	char *pem = NULL;
	ssize_t n = 0;
	sb_err e;
	/* O_NONBLOCK: a FIFO given by mistake must not hang the loader; it is refused below. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		report(ld, ks->line, ks->from_env, KEY_FILE, "cannot open %s: %s", path, strerror(errno));
		return;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		report(ld, ks->line, ks->from_env, KEY_FILE, "%s is not a regular file", path);
		goto out;
	}
	if ((st.st_mode & 077) && !cfg->allow_insecure_config) {
		report(ld, ks->line, ks->from_env, KEY_FILE,
		       "%s: permissions %04o let group or others access it; run chmod 600 %s "
		       "(or set ALLOW_INSECURE_CONFIG=1 in the environment to accept it)",
		       path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	if (st.st_size > KEY_FILE_MAX) {
		report(ld, ks->line, ks->from_env, KEY_FILE, "%s is larger than %d bytes: not a private key",
		       path, (int)KEY_FILE_MAX);
		goto out;
	}
	pem = sb_xmalloc(KEY_FILE_MAX);
	do
		n = read(fd, pem, KEY_FILE_MAX);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		report(ld, ks->line, ks->from_env, KEY_FILE, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	e = sb_signer_new_ed25519_pem(pem, (size_t)n, &signer);
	if (e == SB_ERR_UNSUPPORTED)
		report(ld, ks->line, ks->from_env, KEY_FILE, "%s holds a private key, but not an Ed25519 one",
		       path);
	else if (e != SB_OK)
		report(ld, ks->line, ks->from_env, KEY_FILE,
		       "%s is not an unencrypted PKCS#8 PEM private key (BEGIN PRIVATE KEY)", path);
out:
	sb_signer_free(signer);
	if (pem) {
		explicit_bzero(pem, KEY_FILE_MAX);
		free(pem);
	}
	close(fd);
}

/*
 * One way of signing: an Ed25519 key file or an HMAC secret, not both. With a key file the secret's
 * MODE default (the demo secret) does not apply and it is not required in live mode; it stays "".
 * Returns true when BINANCE_API_SECRET is settled here and resolve must not touch it.
 */
static bool resolve_key_type(struct load *ld)
{
	struct sb_config *cfg = ld->cfg;
	const struct slot *s = slot_of(ld, "BINANCE_API_SECRET"), *ks = slot_of(ld, KEY_FILE);
	if (!cfg->binance_private_key_file[0])
		return false;
	if (s->from_env || s->line) {
		report(ld, ks->line, ks->from_env, KEY_FILE,
		       "set together with BINANCE_API_SECRET; give exactly one of them (the "
		       "Ed25519 key file or the HMAC secret)");
		return true;
	}
	free(cfg->binance_api_secret);
	cfg->binance_api_secret = sb_xstrdup("");
	check_key_file(ld);
	return true;
}

/*
 * In paper mode the API key and the way of signing default to spotsim's demo account as a pair. Giving
 * only one half would sign with the demo secret for another key (or the reverse), which the exchange
 * refuses at the first signed request; so both are given, or neither.
 */
static void check_paper_credentials(struct load *ld)
{
	const struct slot *ks = slot_of(ld, "BINANCE_API_KEY"), *ss = slot_of(ld, "BINANCE_API_SECRET"),
	                  *fs = slot_of(ld, KEY_FILE);
	bool key = ks->from_env || ks->line, secret = ss->from_env || ss->line,
	     file = ld->cfg->binance_private_key_file[0] != '\0';
	if (ld->cfg->mode != SB_MODE_PAPER || key == (secret || file) || ks->refused || ss->refused ||
	    fs->refused)
		return;
	if (key)
		report(ld, ks->from_env ? 0 : ks->line, ks->from_env, "BINANCE_API_KEY",
		       "set without BINANCE_API_SECRET or " KEY_FILE "; in paper mode give the key together "
		       "with its secret or key file, or neither to use spotsim's demo account");
	else
		report(ld, secret ? (ss->from_env ? 0 : ss->line) : (fs->from_env ? 0 : fs->line),
		       secret ? ss->from_env : fs->from_env, secret ? "BINANCE_API_SECRET" : KEY_FILE,
		       "set without BINANCE_API_KEY; in paper mode give the key together with its secret or "
		       "key file, or neither to use spotsim's demo account");
}

/*
 * An empty LOG_DIR writes no file: the lines must then go to stderr, and the file settings would be
 * ignored in silence, so each is an error that says so.
 */
static void check_log_files(struct load *ld)
{
	static const char *const file_only[] = {"LOG_MAX_BYTES", "LOG_KEEP"};
	const struct slot *ds = slot_of(ld, "LOG_DIR"), *es = slot_of(ld, "LOG_STDERR");
	if (ld->cfg->log_dir[0] || ds->refused)
		return;
	if (!ld->cfg->log_stderr && !es->refused)
		report(ld, es->from_env ? 0 : es->line, es->from_env, "LOG_STDERR",
		       "false while LOG_DIR is empty (no log files) would write no log at all; set "
		       "LOG_STDERR=true or a LOG_DIR");
	for (size_t i = 0; i < sizeof file_only / sizeof file_only[0]; i++) {
		const struct slot *s = slot_of(ld, file_only[i]);
		if ((s->from_env || s->line) && !s->refused)
			report(ld, s->from_env ? 0 : s->line, s->from_env, file_only[i],
			       "set while LOG_DIR is empty: there are no log files to rotate; remove it or "
			       "set a LOG_DIR");
	}
}

/* After all sources: MODE-dependent defaults, live-mode requirements and the paper-mode safety checks. */
static void resolve(struct load *ld)
{
	struct sb_config *cfg = ld->cfg;
	const struct sb_option *secret = sb_config_option("BINANCE_API_SECRET");
	bool secret_settled = resolve_key_type(ld);
	check_paper_credentials(ld);
	check_log_files(ld);
	char origin[256];
	mode_origin(ld, origin, sizeof origin);
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct sb_option *opt = &options[i];
		const struct slot *s = &ld->slot[i];
		bool set = s->from_env || s->line;
		if (opt == secret && secret_settled)
			continue;
		if ((opt->flags & SB_OPT_BY_MODE) && !set) {
			const char *def = cfg->mode == SB_MODE_LIVE ? opt->def_live : opt->def;
			if (def)
				apply_default(cfg, opt, def);
			else
				report(ld, 0, false, opt->name, "required when MODE=live%s%s",
				       opt == secret ? " unless " KEY_FILE " is set" : "", origin);
		}
		if ((opt->flags & SB_OPT_EXCHANGE_URL) && cfg->mode == SB_MODE_PAPER) {
			const char *url = *(char *const *)(const void *)((const char *)cfg + opt->offset),
			           *host;
			size_t hl;
			sb__config_url_host(url, &host, &hl);
			if (sb__config_is_binance_host(host, hl))
				report(ld, s->from_env ? 0 : s->line, s->from_env, opt->name,
				       "points at %.*s, but MODE=paper must never reach the real exchange",
				       (int)hl, host);
		}
	}
}

sb_err sb_config_load_buffer(struct sb_config *cfg, const char *name, const char *data, size_t len,
                             char *const *envp, FILE *errors)
{
	struct load *ld;
	sb_err err;
	if (!cfg || (!data && len > 0))
		return SB_ERR_INVALID;
	ld = sb_xcalloc(1, sizeof *ld);
	ld->cfg = cfg;
	ld->name = name;
	ld->errors = errors;
	if (name)
		parse_file(ld, data, len);
	parse_env(ld, envp);
	resolve(ld);
	err = ld->nerrors ? SB_ERR_CONFIG : SB_OK;
	free(ld);
	return err;
}

/* ALLOW_INSECURE_CONFIG as the environment says, before anything else is parsed. */
static bool env_allows_insecure(char *const *envp)
{
	static const char key[] = "ALLOW_INSECURE_CONFIG=";
	const struct sb_option *opt = sb_config_option("ALLOW_INSECURE_CONFIG");
	for (size_t e = 0; envp && envp[e]; e++) {
		if (strncmp(envp[e], key, sizeof key - 1) == 0) {
			union sb__config_value val;
			char why[128];
			const char *v = envp[e] + sizeof key - 1;
			return sb__config_parse(opt, v, strlen(v), &val, why, sizeof why) == SB_OK && val.b;
		}
	}
	return false;
}

/* Reads the whole file, refusing more than SB_CONFIG_MAX_FILE; *data is the caller's. */
static sb_err read_all(int fd, const char *path, char **data, size_t *len, FILE *errors)
{
	size_t cap = 4096, n = 0;
	char *buf = sb_xmalloc(cap);
	for (;;) {
		ssize_t r;
		if (n == cap) {
			if (cap > SB_CONFIG_MAX_FILE) {
				if (errors)
					fprintf(errors, "%s: larger than %d bytes\n", path,
					        SB_CONFIG_MAX_FILE);
				free(buf);
				return SB_ERR_CONFIG;
			}
			cap *= 2;
			buf = sb_xrealloc(buf, cap);
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			if (errors)
				fprintf(errors, "%s: cannot read: %s\n", path, strerror(errno));
			free(buf);
			return SB_ERR_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*data = buf;
	*len = n;
	return SB_OK;
}

sb_err sb_config_load(struct sb_config *cfg, const char *path, bool path_explicit, char *const *envp,
                      FILE *errors)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	sb_err err;
	int fd;
	if (!cfg)
		return SB_ERR_INVALID;
	if (!path) {
		path = SB_CONFIG_DEFAULT_PATH;
		path_explicit = false;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT && !path_explicit)
			return sb_config_load_buffer(cfg, NULL, NULL, 0, envp, errors);
		if (errors)
			fprintf(errors, "%s: cannot open: %s\n", path, strerror(errno));
		return SB_ERR_CONFIG;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (errors)
			fprintf(errors, "%s: not a regular file\n", path);
		err = SB_ERR_CONFIG;
		goto out;
	}
	if ((st.st_mode & 077) && !env_allows_insecure(envp)) {
		if (errors)
			fprintf(errors,
			        "%s: permissions %04o let group or others access it; run chmod 600 %s "
			        "(or set ALLOW_INSECURE_CONFIG=1 in the environment to accept it)\n",
			        path, (unsigned)(st.st_mode & 07777), path);
		err = SB_ERR_PERM;
		goto out;
	}
	err = read_all(fd, path, &data, &len, errors);
	if (err != SB_OK)
		goto out;
	free(cfg->path);
	cfg->path = sb_xstrdup(path);
	err = sb_config_load_buffer(cfg, path, data, len, envp, errors);
out:
	free(data);
	close(fd);
	return err;
}

size_t sb_config_secrets(const struct sb_config *cfg, const char **out, size_t max)
{
	size_t count = 0;
	if (!cfg)
		return 0;
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const struct sb_option *opt = &options[i];
		const char *s;
		if (!(opt->flags & SB_OPT_SECRET) || !sb__config_is_string(opt))
			continue;
		memcpy(&s, (const char *)cfg + opt->offset, sizeof s);
		if (!s || !*s)
			continue;
		if (out && count < max)
			out[count] = s;
		count++;
	}
	return count;
}

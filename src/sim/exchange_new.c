/*
 * exchange_new.c - building spotsim's exchange from its options (see sim_exchange_new in exchange.h):
 * the symbols it lists (from --exchange-info, the built-in catalogue, a replay file's derived rules or
 * the embedding program), each with its order book, market feed and market data; the accounts with
 * their signers; and, with --state, the state file the exchange resumes from (sim/state.h). The state
 * file sits above the exchange: it is read and restored here, while the running exchange in exchange.c
 * only writes it.
 */
#include "sim/exchange.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/rules_json.h"
#include "sim/catalog.h"
#include "sim/derive.h"
#include "sim/kline.h"
#include "sim/md.h"
#include "sim/state.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"
#include "spotbot/log.h"

static sb_err load_exchange_info(const char *path, cJSON **doc, FILE *err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(err, "spotsim: --exchange-info %s: cannot open: %s\n", path, strerror(errno));
		return SB_ERR_IO;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > SB_RULES_DOC_MAX) {
				fclose(f);
				free(buf);
				fprintf(err, "spotsim: --exchange-info %s: larger than %u bytes\n", path,
				        SB_RULES_DOC_MAX);
				return SB_ERR_TOO_LONG;
			}
			buf = sb_xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	*doc = cJSON_ParseWithLength(buf, len);
	if (!*doc) {
		/* Name the line where parsing stopped. */
		const char *at = cJSON_GetErrorPtr();
		size_t line = 1;
		for (const char *p = buf; at && p < at && p < buf + len; p++)
			line += *p == '\n';
		fprintf(err, "spotsim: --exchange-info %s:%zu: malformed JSON\n", path, line);
		free(buf);
		return SB_ERR_PARSE;
	}
	free(buf);
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(*doc, "symbols"))) {
		fprintf(err, "spotsim: --exchange-info %s: no \"symbols\" array\n", path);
		cJSON_Delete(*doc);
		*doc = NULL;
		return SB_ERR_PARSE;
	}
	return SB_OK;
}

static void lower_name(const char *in, char *out, size_t cap)
{
	size_t i = 0;
	for (; in[i] && i + 1 < cap; i++)
		out[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] - 'A' + 'a') : in[i];
	out[i] = '\0';
}

/* The symbol's first price: the replay's first open, the exchangeInfo-less catalogue's start price, or
 * 100 ticks' worth above the minimum for symbols from a file. */
static sb_err make_feed(struct sim_symbol *sym, const struct sim_options *o, sb_dec start, FILE *err)
{
	sb_dec tick = sym->rules.price.tick_size ? sym->rules.price.tick_size : SB_DEC_C(0, 1);
	sb_dec step = sym->rules.lot.step_size ? sym->rules.lot.step_size : SB_DEC_C(0, 1);
	for (unsigned i = 0; i < o->nreplays; i++) {
		if (strcmp(o->replays[i].symbol, sym->rules.symbol) != 0)
			continue;
		struct sim_kline_series series = {0};
		char msg[4400];
		sb_err e = sim_kline_load_file(o->replays[i].path, &series, msg, sizeof msg);
		if (e == SB_OK && series.count == 0) {
			snprintf(msg, sizeof msg, "%s: no klines", o->replays[i].path);
			e = SB_ERR_PARSE;
		}
		if (e == SB_OK)
			e = sim_feed_new_replay(series.rows, series.count, tick, step, o->seed + sym->index,
			                        &sym->feed);
		sim_kline_series_fini(&series);
		if (e) {
			fprintf(err, "spotsim: --replay %s: %s\n", sym->rules.symbol, msg);
			return e;
		}
		sym->replay = true;
		return SB_OK;
	}
	struct sim_synth_params p;
	sim_synth_params_default(&p);
	p.start_price = start;
	p.start_time_ms = sb_clock_wall_ms();
	sb_err e = sim_feed_new_synthetic(&p, tick, step, o->seed + sym->index, &sym->feed);
	if (e)
		fprintf(err, "spotsim: %s: cannot start a synthetic market at this price (%s)\n",
		        sym->rules.symbol, sb_strerror(e));
	return e;
}

/* A replay resumes with the first event after market time ms, where it stood when the state was saved;
 * when the file ends before, with its last trade (then --replay-end applies). */
static void resume_replay(struct sim_symbol *sym, int64_t ms)
{
	struct sim_event ev = sym->pending, next;
	while (ev.time_ms <= ms && sim_feed_next(sym->feed, &next) == SB_OK && next.kind == SIM_EVENT_TRADE)
		ev = next;
	sym->pending = ev;
}

/* A synthetic walk resumes at the saved last price, when the walk can start there. */
static void resume_price(const struct sim_symbol *sym, sb_dec saved, sb_dec *start)
{
	sb_dec tick = sym->rules.price.tick_size ? sym->rules.price.tick_size : SB_DEC_C(0, 1);
	if (saved >= tick * SIM_SYNTH_MIN_TICKS && sb_dec_is_multiple(saved, tick))
		*start = saved;
}

static sb_err add_symbol(struct sim_exchange *ex, const char *name, cJSON *info, sb_dec start,
                         const struct sim_options *o, const cJSON *state, FILE *err)
{
	struct sim_symbol *sym = &ex->symbols[ex->nsymbols];
	memset(sym, 0, sizeof *sym);
	sym->index = (uint32_t)ex->nsymbols;
	sym->info = info;
	char msg[256];
	sb_err e = sb_rules_from_json(info, &sym->rules, msg, sizeof msg);
	if (!e)
		e = sim_stp_from_info(info, &sym->stp, msg, sizeof msg);
	if (e) {
		fprintf(err, "spotsim: %s: %s\n", name, msg);
		cJSON_Delete(info);
		sym->info = NULL;
		return e;
	}
	lower_name(sym->rules.symbol, sym->lower, sizeof sym->lower);
	e = sim_book_new(sym->rules.symbol, sym->rules.base_asset, sym->rules.quote_asset, 0, 0, &sym->book);
	if (!e) {
		sim_book_set_fill(sym->book, o->fill);
		if (!o->no_market_data)
			e = sim_md_new(sym->rules.symbol, &sym->md);
	}
	ex->nsymbols++; /* from here on sim_exchange_free releases it */
	if (e) {
		fprintf(err, "spotsim: %s: %s\n", name, sb_strerror(e));
		return e;
	}
	if (start <= 0) {
		sb_dec tick = sym->rules.price.tick_size ? sym->rules.price.tick_size : SB_DEC_C(0, 1);
		start = sym->rules.price.min_price > tick * 1000 ? sym->rules.price.min_price : tick * 1000;
	}
	sb_dec saved_price = 0;
	int64_t saved_ms = 0;
	if (state)
		sim_state_market(state, sym->rules.symbol, &saved_price, &saved_ms);
	resume_price(sym, saved_price, &start);
	e = make_feed(sym, o, start, err);
	if (e)
		return e;
	if (sim_feed_next(sym->feed, &sym->pending) != SB_OK || sym->pending.kind != SIM_EVENT_TRADE) {
		fprintf(err, "spotsim: %s: the market feed produced no trade\n", name);
		return SB_ERR_PARSE;
	}
	if (sym->replay && saved_ms > 0)
		resume_replay(sym, saved_ms);
	sym->feed_origin_ms = sym->pending.time_ms;
	sym->last_price = sym->pending.price;
	sym->ref_price = sym->pending.price;
	return SB_OK;
}

static const struct sim_replay_opt *replay_of(const struct sim_options *o, const char *name)
{
	for (unsigned i = 0; i < o->nreplays; i++)
		if (strcmp(o->replays[i].symbol, name) == 0)
			return &o->replays[i];
	return NULL;
}

static void add_name(char (*names)[32], size_t *n, const char *name)
{
	for (size_t j = 0; j < *n; j++)
		if (strcmp(names[j], name) == 0)
			return;
	if (*n < SIM_MAX_SYMBOLS)
		snprintf(names[(*n)++], sizeof names[0], "%s", name);
}

/*
 * The symbols served without --symbols: every symbol of an --exchange-info file that has at most
 * SIM_MAX_SYMBOLS of them, else the catalogue's default symbols the file lists, else (no file) the
 * catalogue's defaults.
 */
static sb_err default_names(const cJSON *doc, const struct sim_options *o, char (*names)[32], size_t *n,
                            FILE *err)
{
	const cJSON *list = doc ? cJSON_GetObjectItemCaseSensitive(doc, "symbols") : NULL;
	if (list && cJSON_GetArraySize(list) <= SIM_MAX_SYMBOLS) {
		const cJSON *it;
		cJSON_ArrayForEach(it, list)
		{
			const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "symbol");
			if (cJSON_IsString(name) && strlen(name->valuestring) < sizeof names[0])
				add_name(names, n, name->valuestring);
		}
		return SB_OK;
	}
	char def[] = SIM_CATALOG_DEFAULT;
	char *save = NULL;
	for (char *t = strtok_r(def, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const cJSON *found = NULL;
		if (!doc || sb_rules_find_symbol(doc, t, &found) == SB_OK)
			add_name(names, n, t);
	}
	if (*n == 0 && o->nreplays == 0) {
		fprintf(
		    err,
		    "spotsim: --exchange-info %s lists more than %d symbols and none of the defaults (%s): "
		    "choose some with --symbols\n",
		    o->exchange_info, SIM_MAX_SYMBOLS, SIM_CATALOG_DEFAULT);
		return SB_ERR_NOT_FOUND;
	}
	return SB_OK;
}

/* Rules derived from the replay file of a symbol that no list has (see sim/derive.h). */
static sb_err derived_info(const struct sim_replay_opt *r, cJSON **info, FILE *err)
{
	struct sim_kline_series series = {0};
	char msg[4400];
	sb_err e = sim_kline_load_file(r->path, &series, msg, sizeof msg);
	if (e == SB_OK)
		e = sim_derive_symbol(r->symbol, series.rows, series.count, info, msg, sizeof msg);
	sim_kline_series_fini(&series);
	if (e)
		fprintf(err, "spotsim: --replay %s: %s\n", r->symbol, msg);
	else
		sb_log_info("sim", SB_FIELDS(SB_F_STR("symbol", r->symbol), SB_F_STR("file", r->path)),
		            "%s is in no exchangeInfo: its rules are derived from the replay file "
		            "(an approximation)",
		            r->symbol);
	return e;
}

/*
 * The exchangeInfo object and start price of one symbol: from the --exchange-info file when it lists it,
 * else from the catalogue, else derived from its replay file, else from the embedding program's hook. A
 * catalogue symbol keeps the catalogue's start price whatever file its rules come from; the others start
 * at their replay's first price or at the default of add_symbol.
 */
static sb_err symbol_info(const struct sim_exchange *ex, const cJSON *doc, const char *name,
                          const struct sim_options *o, cJSON **info, sb_dec *start, FILE *err)
{
	const cJSON *found = NULL;
	*info = NULL;
	*start = 0;
	if (sim_catalog_start_price(name, start) != SB_OK)
		*start = 0;
	if (doc && sb_rules_find_symbol(doc, name, &found) == SB_OK) {
		*info = cJSON_Duplicate(found, 1);
		return SB_OK;
	}
	if (sim_catalog_symbol(name, info, start) == SB_OK) {
		if (doc)
			sb_log_info("sim", SB_FIELDS(SB_F_STR("symbol", name)),
			            "%s is not in --exchange-info %s: serving the built-in catalogue's rules",
			            name, o->exchange_info);
		return SB_OK;
	}
	const struct sim_replay_opt *r = replay_of(o, name);
	if (r)
		return derived_info(r, info, err);
	if (ex->hooks.symbol_info) {
		sb_err e = ex->hooks.symbol_info(ex->hooks.ctx, name, info, err);
		if (e != SB_ERR_NOT_FOUND)
			return e;
	}
	char known[512];
	sim_catalog_names(known, sizeof known);
	fprintf(err, "spotsim: symbol %s is in neither %s nor the built-in catalogue (%s)\n", name,
	        doc ? o->exchange_info : "--exchange-info", known);
	return SB_ERR_NOT_FOUND;
}

static sb_err add_symbols(struct sim_exchange *ex, const struct sim_options *o, const cJSON *state, FILE *err)
{
	char names[SIM_MAX_SYMBOLS][32];
	size_t n = 0;
	cJSON *doc = NULL;
	sb_err e = SB_OK;
	if (o->exchange_info[0])
		e = load_exchange_info(o->exchange_info, &doc, err);
	for (unsigned i = 0; !e && i < o->nsymbols; i++)
		add_name(names, &n, o->symbols[i]);
	if (!e && o->nsymbols == 0)
		e = default_names(doc, o, names, &n, err);
	/* A replayed symbol is listed even when --symbols does not name it. */
	for (unsigned i = 0; !e && i < o->nreplays; i++)
		add_name(names, &n, o->replays[i].symbol);
	ex->symbols = sb_xcalloc(n ? n : 1, sizeof *ex->symbols);
	for (size_t i = 0; i < n && !e; i++) {
		cJSON *info = NULL;
		sb_dec start = 0;
		e = symbol_info(ex, doc, names[i], o, &info, &start, err);
		if (!e)
			e = add_symbol(ex, names[i], info, start, o, state, err);
	}
	cJSON_Delete(doc);
	/* Every trade values commission in BNB: its market is looked up once, not at each trade. */
	for (size_t i = 0; i < ex->nsymbols && !e; i++) {
		char bnb[SB_SYMBOL_MAX];
		snprintf(bnb, sizeof bnb, "BNB%s", ex->symbols[i].rules.quote_asset);
		ex->symbols[i].bnb = sim_exchange_symbol(ex, bnb, strlen(bnb));
	}
	return e;
}

/* Largest accepted public key file; an Ed25519 public key PEM is about 113 bytes. */
#define PUBLIC_KEY_MAX (64 * 1024)

/*
 * The verifying signer of an account: HMAC with its secret, or Ed25519 with the public key read from
 * its PEM file. Errors name the key and the file, never the secret.
 */
static sb_err account_signer(const struct sim_account_opt *ao, struct sb_signer **out, FILE *err)
{
	char *pem;
	size_t n;
	sb_err e;
	if (!ao->public_key[0])
		return sb_signer_new_hmac(ao->secret, strlen(ao->secret), out);
	FILE *f = fopen(ao->public_key, "rb");
	if (!f) {
		fprintf(err, "spotsim: --account %s: cannot open %s: %s\n", ao->key, ao->public_key,
		        strerror(errno));
		return SB_ERR_IO;
	}
	pem = sb_xmalloc(PUBLIC_KEY_MAX);
	n = fread(pem, 1, PUBLIC_KEY_MAX, f);
	e = ferror(f) ? SB_ERR_IO : n == PUBLIC_KEY_MAX ? SB_ERR_TOO_LONG : SB_OK;
	fclose(f);
	if (e == SB_OK)
		e = sb_signer_new_ed25519_public_pem(pem, n, out);
	free(pem);
	if (e != SB_OK)
		fprintf(err,
		        "spotsim: --account %s: %s is not an Ed25519 public key PEM (BEGIN PUBLIC KEY): %s\n",
		        ao->key, ao->public_key, sb_strerror(e));
	return e;
}

static sb_err add_accounts(struct sim_exchange *ex, const struct sim_options *o, FILE *err)
{
	ex->accounts = sb_xcalloc(o->naccounts, sizeof *ex->accounts);
	for (unsigned i = 0; i < o->naccounts; i++) {
		const struct sim_account_opt *ao = &o->accounts[i];
		struct sim_account *a = &ex->accounts[i];
		sb_err e = sim_ledger_add_account(ex->ledger, ao->key, &a->id);
		if (!e)
			e = sim_ledger_set_rates(ex->ledger, a->id, o->fee_rate, o->fee_rate);
		for (unsigned b = 0; !e && b < ao->nbalances; b++)
			if (ao->balances[b].amount > 0)
				e = sim_ledger_deposit(ex->ledger, a->id, ao->balances[b].asset,
				                       ao->balances[b].amount);
		if (!e)
			e = account_signer(ao, &a->hmac, err);
		if (e) {
			fprintf(err, "spotsim: --account %s: %s\n", ao->key, sb_strerror(e));
			return e;
		}
		snprintf(a->key, sizeof a->key, "%s", ao->key);
		a->trades = sb_xcalloc(SIM_TRADES_PER_ACCOUNT, sizeof *a->trades);
		a->prevented = sb_xcalloc(SIM_PREVENTED_PER_ACCOUNT, sizeof *a->prevented);
		ex->naccounts++;
	}
	return SB_OK;
}

/* Reads --state FILE when it exists (a first start has none). */
static sb_err read_state(struct sim_exchange *ex, const char *path, cJSON **doc, FILE *err)
{
	char why[4400];
	ex->state_path = sb_xstrdup(path);
	sb_err e = sim_state_read(path, doc, why, sizeof why);
	if (e == SB_ERR_NOT_FOUND) {
		sb_log_info("sim", SB_FIELDS(SB_F_STR("file", path)),
		            "state file %s does not exist: starting afresh", path);
		return SB_OK;
	}
	if (e)
		fprintf(err, "spotsim: --state %s: %s\n", path, why);
	return e;
}

/* Restores a state file read at start, then writes it back, so the file exists and is valid from now on. */
static sb_err restore_state(struct sim_exchange *ex, const cJSON *doc, FILE *err)
{
	char why[4400];
	sb_err e = doc ? sim_state_restore(ex, doc, why, sizeof why) : SB_OK;
	if (!e)
		e = sim_state_save(ex, ex->state_path, why, sizeof why);
	if (e) {
		fprintf(err, "spotsim: --state %s: %s\n", ex->state_path, why);
		return e;
	}
	if (doc)
		sb_log_info("sim", SB_FIELDS(SB_F_STR("file", ex->state_path)),
		            "restored accounts, orders and trades from %s", ex->state_path);
	return SB_OK;
}

sb_err sim_exchange_new(uv_loop_t *loop, const struct sim_options *o, const struct sim_exchange_hooks *hooks,
                        FILE *err, struct sim_exchange **out)
{
	struct sim_exchange *ex = sb_xcalloc(1, sizeof *ex);
	ex->loop = loop;
	if (hooks)
		ex->hooks = *hooks;
	ex->speed = o->speed;
	ex->replay_end = o->replay_end;
	ex->weight.limit = 6000;
	ex->order_limit_10s = 100;
	ex->order_limit_1d = 200000;
	ex->rate_limits = sim_catalog_rate_limits();
	sim_book_result_init(&ex->scratch);
	uv_timer_init(loop, &ex->feed_timer);
	ex->feed_timer.data = ex;
	cJSON *state = NULL;
	sb_err e = sim_ledger_new(&ex->ledger);
	if (!e && o->state[0])
		e = read_state(ex, o->state, &state, err);
	if (!e)
		e = add_symbols(ex, o, state, err);
	if (!e)
		e = add_accounts(ex, o, err);
	if (!e && ex->state_path)
		e = restore_state(ex, state, err);
	cJSON_Delete(state);
	for (unsigned i = 0; !e && i < o->nfaults; i++) {
		e = sim_exchange_set_fault(ex, o->faults[i].name, o->faults[i].value);
		if (e)
			fprintf(err, "spotsim: --fault %s=%s: bad value\n", o->faults[i].name,
			        o->faults[i].value);
	}
	if (e) {
		uv_close((uv_handle_t *)&ex->feed_timer, NULL);
		uv_run(loop, UV_RUN_NOWAIT);
		sim_exchange_free(ex);
		return e;
	}
	*out = ex;
	return SB_OK;
}

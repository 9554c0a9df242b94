/*
 * state.c - writing spotsim's state file (see state.h): the document, then an atomic and durable
 * replacement of the file. Reading and checking it is state_load.c.
 */
#include "sim/state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/exchange.h"
#include "sim/json.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

static void put_balances(struct sim_json *j, const struct sim_ledger *l, uint32_t id)
{
	const struct sim_ledger_asset *b = NULL;
	size_t n = 0;
	sim_ledger_balances(l, id, &b, &n);
	sim_json_puts(j, "[");
	for (size_t i = 0; i < n; i++) {
		sim_json_puts(j, "{\"asset\":");
		sim_json_str(j, b[i].asset);
		sim_json_puts(j, ",\"free\":");
		sim_json_dec(j, b[i].free);
		sim_json_puts(j, ",\"locked\":");
		sim_json_dec(j, b[i].locked);
		sim_json_puts(j, "},");
	}
	sim_json_trim_comma(j);
	sim_json_puts(j, "]");
}

/* The API key of ledger account id ("" for none: the loader then refuses the order). */
static const char *key_of(const struct sim_exchange *ex, uint32_t id)
{
	for (size_t i = 0; i < ex->naccounts; i++)
		if (ex->accounts[i].id == id)
			return ex->accounts[i].key;
	return "";
}

static void put_order(struct sim_json *j, const struct sim_exchange *ex, const struct sim_book_order *o)
{
	sim_json_printf(j, "{\"orderId\":%llu,\"account\":", (unsigned long long)o->id);
	sim_json_str(j, key_of(ex, o->account));
	sim_json_puts(j, ",\"clientOrderId\":");
	sim_json_str(j, o->client_id);
	sim_json_printf(j, ",\"side\":\"%s\",\"type\":\"%s\",\"timeInForce\":\"%s\",\"status\":\"%s\"",
	                sim_book_side_name(o->side), sim_book_type_name(o->type), sim_book_tif_name(o->tif),
	                sim_book_status_name(o->status));
	sim_json_printf(j, ",\"expiryReason\":\"%s\",\"price\":", sim_book_expiry_name(o->expiry));
	sim_json_dec(j, o->price);
	sim_json_puts(j, ",\"origQty\":");
	sim_json_dec(j, o->orig_qty);
	sim_json_puts(j, ",\"origQuoteOrderQty\":");
	sim_json_dec(j, o->orig_quote_qty);
	sim_json_puts(j, ",\"executedQty\":");
	sim_json_dec(j, o->executed_qty);
	sim_json_puts(j, ",\"cummulativeQuoteQty\":");
	sim_json_dec(j, o->cum_quote_qty);
	sim_json_puts(j, ",\"locked\":");
	sim_json_dec(j, o->locked);
	sim_json_printf(
	    j, ",\"selfTradePreventionMode\":\"%s\",\"preventedMatchId\":%lld,\"preventedQuantity\":",
	    sim_stp_name(o->stp), (long long)o->prevented_match_id);
	sim_json_dec(j, o->prevented_qty);
	sim_json_printf(j, ",\"time\":%lld,\"updateTime\":%lld,\"workingTime\":%lld,\"seq\":%llu},",
	                (long long)o->time, (long long)o->update_time, (long long)o->working_time,
	                (unsigned long long)o->seq);
}

static int by_id(const void *a, const void *b)
{
	const struct sim_book_order *x = *(const struct sim_book_order *const *)a;
	const struct sim_book_order *y = *(const struct sim_book_order *const *)b;
	return (x->id > y->id) - (x->id < y->id);
}

/* A symbol's sequences, market and orders (open ones and the recent closed ones, by id). */
static void put_symbol(struct sim_json *j, const struct sim_exchange *ex, const struct sim_symbol *s)
{
	size_t nopen = sim_book_open_orders(s->book, SIM_ACCOUNT_MARKET, NULL, 0);
	const struct sim_book_order **v = sb_xcalloc(nopen + SIM_STATE_CLOSED_MAX + 1, sizeof *v);
	sim_book_open_orders(s->book, SIM_ACCOUNT_MARKET, v, nopen);
	size_t n = nopen + sim_book_closed_orders(s->book, v + nopen, SIM_STATE_CLOSED_MAX);
	qsort(v, n, sizeof *v, by_id);
	sim_json_puts(j, "{\"symbol\":");
	sim_json_str(j, s->rules.symbol);
	sim_json_printf(
	    j, ",\"nextOrderId\":%llu,\"nextTradeId\":%lld,\"nextPreventedMatchId\":%lld,\"lastPrice\":",
	    (unsigned long long)sim_book_last_order_id(s->book) + 1,
	    (long long)sim_book_next_trade_id(s->book), (long long)sim_book_next_prevented_id(s->book));
	sim_json_dec(j, s->last_price);
	sim_json_printf(j, ",\"marketTime\":%lld,\"orders\":[", (long long)s->market_ms);
	for (size_t i = 0; i < n; i++)
		put_order(j, ex, v[i]);
	sim_json_trim_comma(j);
	sim_json_puts(j, "]},");
	free(v);
}

static void put_trade(struct sim_json *j, const struct sim_exchange *ex, const struct sim_trade_rec *t)
{
	sim_json_puts(j, "{\"symbol\":");
	sim_json_str(j, t->symbol < ex->nsymbols ? ex->symbols[t->symbol].rules.symbol : "");
	sim_json_printf(j, ",\"id\":%lld,\"orderId\":%llu,\"price\":", (long long)t->id,
	                (unsigned long long)t->order_id);
	sim_json_dec(j, t->price);
	sim_json_puts(j, ",\"qty\":");
	sim_json_dec(j, t->qty);
	sim_json_puts(j, ",\"quoteQty\":");
	sim_json_dec(j, t->quote_qty);
	sim_json_puts(j, ",\"commission\":");
	sim_json_dec(j, t->commission);
	sim_json_puts(j, ",\"commissionAsset\":");
	sim_json_str(j, t->commission_asset);
	sim_json_printf(j, ",\"time\":%lld,\"isBuyer\":%s,\"isMaker\":%s},", (long long)t->time,
	                t->is_buyer ? "true" : "false", t->is_maker ? "true" : "false");
}

static void put_account(struct sim_json *j, const struct sim_exchange *ex, const struct sim_account *a)
{
	sb_dec maker = 0, taker = 0;
	sim_ledger_rates(ex->ledger, a->id, &maker, &taker);
	sim_json_puts(j, "{\"key\":");
	sim_json_str(j, a->key);
	sim_json_puts(j, ",\"makerRate\":");
	sim_json_dec(j, maker);
	sim_json_puts(j, ",\"takerRate\":");
	sim_json_dec(j, taker);
	sim_json_printf(
	    j, ",\"bnbFees\":%s,\"balances\":", sim_ledger_bnb_fees(ex->ledger, a->id) ? "true" : "false");
	put_balances(j, ex->ledger, a->id);
	sim_json_puts(j, ",\"trades\":[");
	/* The ring holds the trades oldest first from (next - ntrades); the newest ones are kept. */
	size_t keep = a->ntrades < SIM_STATE_TRADES_MAX ? a->ntrades : SIM_STATE_TRADES_MAX;
	size_t first = (a->trades_next + SIM_TRADES_PER_ACCOUNT - keep) % SIM_TRADES_PER_ACCOUNT;
	for (size_t k = 0; k < keep; k++)
		put_trade(j, ex, &a->trades[(first + k) % SIM_TRADES_PER_ACCOUNT]);
	sim_json_trim_comma(j);
	sim_json_puts(j, "]},");
}

static void put_state(struct sim_json *j, const struct sim_exchange *ex)
{
	sim_json_printf(j, "{\"format\":\"%s\",\"version\":%d,\"savedAt\":%lld,\n\"symbols\":[",
	                SIM_STATE_FORMAT, SIM_STATE_VERSION, (long long)sb_clock_wall_ms());
	for (size_t i = 0; i < ex->nsymbols; i++) {
		sim_json_puts(j, "\n");
		put_symbol(j, ex, &ex->symbols[i]);
	}
	sim_json_trim_comma(j);
	sim_json_puts(j, "],\n\"accounts\":[");
	for (size_t i = 0; i < ex->naccounts; i++)
		put_account(j, ex, &ex->accounts[i]);
	sim_json_trim_comma(j);
	sim_json_puts(j, "],\n\"market\":");
	put_balances(j, ex->ledger, SIM_LEDGER_MARKET);
	sim_json_puts(j, ",\n\"fees\":");
	put_balances(j, ex->ledger, SIM_LEDGER_FEES);
	sim_json_puts(j, "}\n");
}

static sb_err fail_errno(const char *what, const char *path, char *why, size_t cap)
{
	snprintf(why, cap, "%s %s: %s", what, path, strerror(errno));
	return errno == ENOSPC ? SB_ERR_DB_FULL : SB_ERR_IO;
}

static sb_err write_all(int fd, const char *text, size_t len)
{
	while (len) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return SB_ERR_IO;
		text += n;
		len -= (size_t)n;
	}
	return SB_OK;
}

/* fsync of the directory holding path, so that the rename itself is durable. */
static sb_err sync_dir(const char *path, char *why, size_t cap)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("cannot open the directory", dir, why, cap);
	int rc = fsync(fd);
	close(fd);
	return rc == 0 ? SB_OK : fail_errno("cannot sync the directory", dir, why, cap);
}

/* Replaces path with text: write FILE.tmp, fsync, rename over FILE, fsync the directory. */
static sb_err write_atomic(const char *path, const char *text, size_t len, char *why, size_t cap)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		snprintf(why, cap, "path too long: %s", path);
		return SB_ERR_TOO_LONG;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return fail_errno("cannot create", tmp, why, cap);
	sb_err e = write_all(fd, text, len);
	if (e || fsync(fd) != 0) {
		e = fail_errno("cannot write", tmp, why, cap);
		close(fd);
		unlink(tmp);
		return e;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		e = fail_errno("cannot replace", path, why, cap);
		unlink(tmp);
		return e;
	}
	return sync_dir(path, why, cap);
}

sb_err sim_state_save(const struct sim_exchange *ex, const char *path, char *why, size_t why_cap)
{
	struct sim_json j;
	sim_json_init(&j);
	put_state(&j, ex);
	sb_err e = SB_OK;
	if (j.overflow) {
		snprintf(why, why_cap, "%s: the state is larger than %u bytes", path, SIM_JSON_MAX);
		e = SB_ERR_TOO_LONG;
	} else {
		e = write_atomic(path, j.buf, j.len, why, why_cap);
	}
	sim_json_fini(&j);
	return e;
}

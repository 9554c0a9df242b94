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

#include "common/json_out.h"
#include "sim/exchange.h"
#include "spotbot/alloc.h"
#include "spotbot/clock.h"

static void put_balances(struct sb_buf *j, const struct sim_ledger *l, uint32_t id)
{
	const struct sim_ledger_asset *b = NULL;
	size_t n = 0;
	sim_ledger_balances(l, id, &b, &n);
	sb_buf_puts(j, "[");
	for (size_t i = 0; i < n; i++) {
		sb_buf_puts(j, "{\"asset\":");
		sb_json_str(j, b[i].asset);
		sb_buf_puts(j, ",\"free\":");
		sb_json_dec(j, b[i].free);
		sb_buf_puts(j, ",\"locked\":");
		sb_json_dec(j, b[i].locked);
		sb_buf_puts(j, "},");
	}
	sb_buf_trim(j, ',');
	sb_buf_puts(j, "]");
}

/* The API key of ledger account id ("" for none: the loader then refuses the order). */
static const char *key_of(const struct sim_exchange *ex, uint32_t id)
{
	for (size_t i = 0; i < ex->naccounts; i++)
		if (ex->accounts[i].id == id)
			return ex->accounts[i].key;
	return "";
}

static void put_order(struct sb_buf *j, const struct sim_exchange *ex, const struct sim_book_order *o)
{
	sb_buf_printf(j, "{\"orderId\":%llu,\"account\":", (unsigned long long)o->id);
	sb_json_str(j, key_of(ex, o->account));
	sb_buf_puts(j, ",\"clientOrderId\":");
	sb_json_str(j, o->client_id);
	sb_buf_printf(j, ",\"side\":\"%s\",\"type\":\"%s\",\"timeInForce\":\"%s\",\"status\":\"%s\"",
	              sb_side_name(o->side), sb_order_type_name(o->type), sb_tif_name(o->tif),
	              sb_order_state_name(o->status));
	sb_buf_printf(j, ",\"expiryReason\":\"%s\",\"price\":", sim_book_expiry_name(o->expiry));
	sb_json_dec(j, o->price);
	sb_buf_puts(j, ",\"origQty\":");
	sb_json_dec(j, o->orig_qty);
	sb_buf_puts(j, ",\"origQuoteOrderQty\":");
	sb_json_dec(j, o->orig_quote_qty);
	sb_buf_puts(j, ",\"executedQty\":");
	sb_json_dec(j, o->executed_qty);
	sb_buf_puts(j, ",\"cummulativeQuoteQty\":");
	sb_json_dec(j, o->cum_quote_qty);
	sb_buf_puts(j, ",\"locked\":");
	sb_json_dec(j, o->locked);
	sb_buf_printf(j,
	              ",\"selfTradePreventionMode\":\"%s\",\"preventedMatchId\":%lld,\"preventedQuantity\":",
	              sim_stp_name(o->stp), (long long)o->prevented_match_id);
	sb_json_dec(j, o->prevented_qty);
	sb_buf_printf(j, ",\"time\":%lld,\"updateTime\":%lld,\"workingTime\":%lld,\"seq\":%llu},",
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
static void put_symbol(struct sb_buf *j, const struct sim_exchange *ex, const struct sim_symbol *s)
{
	size_t nopen = sim_book_open_orders(s->book, SIM_ACCOUNT_MARKET, NULL, 0);
	const struct sim_book_order **v = sb_xcalloc(nopen + SIM_STATE_CLOSED_MAX + 1, sizeof *v);
	sim_book_open_orders(s->book, SIM_ACCOUNT_MARKET, v, nopen);
	size_t n = nopen + sim_book_closed_orders(s->book, v + nopen, SIM_STATE_CLOSED_MAX);
	qsort(v, n, sizeof *v, by_id);
	sb_buf_puts(j, "{\"symbol\":");
	sb_json_str(j, s->rules.symbol);
	sb_buf_printf(
	    j, ",\"nextOrderId\":%llu,\"nextTradeId\":%lld,\"nextPreventedMatchId\":%lld,\"lastPrice\":",
	    (unsigned long long)sim_book_last_order_id(s->book) + 1,
	    (long long)sim_book_next_trade_id(s->book), (long long)sim_book_next_prevented_id(s->book));
	sb_json_dec(j, s->last_price);
	sb_buf_printf(j, ",\"marketTime\":%lld,\"orders\":[", (long long)s->market_ms);
	for (size_t i = 0; i < n; i++)
		put_order(j, ex, v[i]);
	sb_buf_trim(j, ',');
	sb_buf_puts(j, "]},");
	free(v);
}

static void put_trade(struct sb_buf *j, const struct sim_exchange *ex, const struct sim_trade_rec *t)
{
	sb_buf_puts(j, "{\"symbol\":");
	sb_json_str(j, t->symbol < ex->nsymbols ? ex->symbols[t->symbol].rules.symbol : "");
	sb_buf_printf(j, ",\"id\":%lld,\"orderId\":%llu,\"price\":", (long long)t->id,
	              (unsigned long long)t->order_id);
	sb_json_dec(j, t->price);
	sb_buf_puts(j, ",\"qty\":");
	sb_json_dec(j, t->qty);
	sb_buf_puts(j, ",\"quoteQty\":");
	sb_json_dec(j, t->quote_qty);
	sb_buf_puts(j, ",\"commission\":");
	sb_json_dec(j, t->commission);
	sb_buf_puts(j, ",\"commissionAsset\":");
	sb_json_str(j, t->commission_asset);
	sb_buf_printf(j, ",\"time\":%lld,\"isBuyer\":%s,\"isMaker\":%s},", (long long)t->time,
	              t->is_buyer ? "true" : "false", t->is_maker ? "true" : "false");
}

static void put_account(struct sb_buf *j, const struct sim_exchange *ex, const struct sim_account *a)
{
	sb_dec maker = 0, taker = 0;
	sim_ledger_rates(ex->ledger, a->id, &maker, &taker);
	sb_buf_puts(j, "{\"key\":");
	sb_json_str(j, a->key);
	sb_buf_puts(j, ",\"makerRate\":");
	sb_json_dec(j, maker);
	sb_buf_puts(j, ",\"takerRate\":");
	sb_json_dec(j, taker);
	sb_buf_printf(
	    j, ",\"bnbFees\":%s,\"balances\":", sim_ledger_bnb_fees(ex->ledger, a->id) ? "true" : "false");
	put_balances(j, ex->ledger, a->id);
	sb_buf_puts(j, ",\"trades\":[");
	/* The ring holds the trades oldest first from (next - ntrades); the newest ones are kept. */
	size_t keep = a->ntrades < SIM_STATE_TRADES_MAX ? a->ntrades : SIM_STATE_TRADES_MAX;
	size_t first = (a->trades_next + SIM_TRADES_PER_ACCOUNT - keep) % SIM_TRADES_PER_ACCOUNT;
	for (size_t k = 0; k < keep; k++)
		put_trade(j, ex, &a->trades[(first + k) % SIM_TRADES_PER_ACCOUNT]);
	sb_buf_trim(j, ',');
	sb_buf_puts(j, "]},");
}

static void put_state(struct sb_buf *j, const struct sim_exchange *ex)
{
	sb_buf_printf(j, "{\"format\":\"%s\",\"version\":%d,\"savedAt\":%lld,\n\"symbols\":[",
	              SIM_STATE_FORMAT, SIM_STATE_VERSION, (long long)sb_clock_wall_ms());
	for (size_t i = 0; i < ex->nsymbols; i++) {
		sb_buf_puts(j, "\n");
		put_symbol(j, ex, &ex->symbols[i]);
	}
	sb_buf_trim(j, ',');
	sb_buf_puts(j, "],\n\"accounts\":[");
	for (size_t i = 0; i < ex->naccounts; i++)
		put_account(j, ex, &ex->accounts[i]);
	sb_buf_trim(j, ',');
	sb_buf_puts(j, "],\n\"market\":");
	put_balances(j, ex->ledger, SIM_LEDGER_MARKET);
	sb_buf_puts(j, ",\n\"fees\":");
	put_balances(j, ex->ledger, SIM_LEDGER_FEES);
	sb_buf_puts(j, "}\n");
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
	struct sb_buf j;
	sb_buf_init(&j, SB_JSON_MAX);
	put_state(&j, ex);
	sb_err e = SB_OK;
	if (j.overflow) {
		snprintf(why, why_cap, "%s: the state is larger than %u bytes", path, SB_JSON_MAX);
		e = SB_ERR_TOO_LONG;
	} else {
		e = write_atomic(path, j.p, j.len, why, why_cap);
	}
	sb_buf_fini(&j);
	return e;
}

/*
 * soak_ops.c - the operator's side of the soak, all through the real CLI as docs/cli.md documents it:
 * pause and resume (global and per pair, each recorded as a window in the exchange's time), manual sell,
 * cancel, re-price and abandon of a position picked from the database, pairs added and changed; and the
 * slow database, a write lock held on the bot's SQLite file from a second connection.
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "soak.h"
#include "spotbot/clock.h"
#include "spotbot/store.h"

int soak_cli(struct soak *s, const char *const *args)
{
	char prog[512], out[400], err[400];
	sbt_program("spotbot", prog, sizeof prog);
	snprintf(out, sizeof out, "%s/cli.out", s->dir);
	snprintf(err, sizeof err, "%s/cli.err", s->dir);
	const char *argv[16] = {prog};
	size_t n = 1;
	char line[256] = "";
	size_t len = 0;
	for (size_t i = 0; args[i] && n < 13; i++) {
		argv[n++] = args[i];
		len += (size_t)snprintf(line + len, sizeof line - len, " %s", args[i]);
		len = len < sizeof line ? len : sizeof line - 1;
	}
	argv[n++] = "--config";
	argv[n++] = s->env;
	argv[n] = NULL;
	int status = sbt_run(argv, NULL, out, err, 90);
	int code = status < 0 ? -1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	char *text = sbt_read_file(code == 0 ? out : err);
	char *nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	soak_event(s, "spotbot%s: exit %d %.160s", line, code, text);
	free(text);
	return code;
}

/* The window list entry a new pause opens, or -1 when the list is full. */
static int window_open(struct soak *s, const char *symbol)
{
	if (s->nwindows == SOAK_WINDOWS_MAX)
		return -1;
	struct soak_window *w = &s->windows[s->nwindows];
	snprintf(w->symbol, sizeof w->symbol, "%s", symbol ? symbol : "");
	w->from_ms = soak_exchange_now(s);
	w->to_ms = 0;
	return (int)s->nwindows++;
}

static struct soak_pair *pair_of(struct soak *s, const char *symbol)
{
	for (size_t i = 0; i < s->npairs; i++)
		if (strcmp(s->pairs[i].symbol, symbol) == 0)
			return &s->pairs[i];
	return NULL;
}

/* The slot of symbol's open window (the global one for NULL). */
static int *window_slot(struct soak *s, const char *symbol)
{
	struct soak_pair *p = symbol ? pair_of(s, symbol) : NULL;
	return p ? &p->window : &s->pause_window;
}

/* Runs the command that stops new cycles (args) and opens a window once it returned. */
static void window_on(struct soak *s, const char *symbol, const char *const *args)
{
	int *slot = window_slot(s, symbol);
	if (*slot < 0 && soak_cli(s, args) == 0)
		*slot = window_open(s, symbol);
}

/* Closes the window before the command that starts new cycles again (args) is sent: a buy after that
 * is allowed; a command that fails leaves the window open. */
static void window_off(struct soak *s, const char *symbol, const char *const *args)
{
	int *slot = window_slot(s, symbol);
	if (*slot < 0)
		return;
	s->windows[*slot].to_ms = soak_exchange_now(s);
	if (soak_cli(s, args) == 0)
		*slot = -1;
	else
		s->windows[*slot].to_ms = 0;
}

void soak_pause(struct soak *s, const char *symbol)
{
	const char *args[] = {"pause", symbol, NULL};
	window_on(s, symbol, args);
}

void soak_resume(struct soak *s, const char *symbol)
{
	const char *args[] = {"resume", symbol, NULL};
	window_off(s, symbol, args);
}

void soak_pair_disable(struct soak *s, const char *symbol)
{
	const char *args[] = {"pairs", "disable", symbol, NULL};
	window_on(s, symbol, args);
}

void soak_pair_enable(struct soak *s, const char *symbol)
{
	const char *args[] = {"pairs", "enable", symbol, NULL};
	window_off(s, symbol, args);
}

bool soak_window_open(struct soak *s, const char *symbol)
{
	return *window_slot(s, symbol) >= 0;
}

/* A random open position fitting the action, or 0. */
static int64_t pick_position(struct soak *s, enum soak_fault kind, sb_dec *target)
{
	struct sb_store *st = NULL;
	struct sb_store_opts o = {.readonly = true, .no_create = true};
	if (sb_store_open_sqlite(s->db, &o, &st, NULL, 0) != SB_OK)
		return 0;
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_OPEN};
	struct sb_store_position *rows = NULL;
	size_t n = 0, k = 0;
	int64_t ids[64];
	sb_dec targets[64];
	if (sb_store_position_list(st, &f, &rows, &n) == SB_OK) {
		for (size_t i = 0; i < n && k < 64; i++) {
			const struct sb_store_position *p = &rows[i];
			bool fits = kind == SOAK_F_ABANDON || (kind == SOAK_F_SELL && p->buy_qty > 0) ||
			            (kind == SOAK_F_CANCEL && p->state == SB_POSITION_BUYING) ||
			            (kind == SOAK_F_REPRICE && p->state == SB_POSITION_SELLING &&
			             p->sell_price_target > 0);
			if (fits) {
				targets[k] = p->sell_price_target;
				ids[k++] = p->id;
			}
		}
	}
	free(rows);
	sb_store_close(st);
	if (k == 0)
		return 0;
	size_t pick = (size_t)soak_range(s, 0, (int64_t)k - 1);
	*target = targets[pick];
	return ids[pick];
}

void soak_act_position(struct soak *s, enum soak_fault kind)
{
	sb_dec target = 0;
	int64_t id = pick_position(s, kind, &target);
	if (id == 0) {
		soak_event(s, "%s: no position fits", soak_fault_name(kind));
		return;
	}
	char ids[24], price[SB_DEC_STRLEN];
	snprintf(ids, sizeof ids, "%lld", (long long)id);
	const char *verb = kind == SOAK_F_SELL      ? "sell"
	                   : kind == SOAK_F_CANCEL  ? "cancel"
	                   : kind == SOAK_F_ABANDON ? "abandon"
	                                            : "reprice";
	if (kind == SOAK_F_REPRICE) {
		/* A little above the current target, so the minimum-profit check passes. */
		sb_dec up = 0;
		if (sb_dec_mul(target, SB_DEC_C(1, 0) + soak_range(s, 1, 5) * SB_DEC_C(0, 100000),
		               SB_ROUND_UP, &up) != SB_OK)
			return;
		sb_dec_format_trim(up, price, sizeof price);
		const char *args[] = {verb, ids, price, "--timeout", "10s", NULL};
		soak_cli(s, args);
		return;
	}
	const char *args[] = {verb, ids, "--timeout", "10s", NULL};
	soak_cli(s, args);
}

static void raise_limit(struct soak *s, const char *symbol, int max_positions)
{
	for (size_t i = 0; i < s->npairs; i++)
		if (strcmp(s->limits[i].symbol, symbol) == 0 && s->limits[i].max_positions < max_positions)
			s->limits[i].max_positions = max_positions;
}

void soak_pair_add(struct soak *s)
{
	for (size_t i = 0; i < s->npairs; i++) {
		struct soak_pair *p = &s->pairs[i];
		if (p->added)
			continue;
		raise_limit(s, p->symbol, p->max_positions);
		const char *args[] = {"pairs",
		                      "add",
		                      p->symbol,
		                      "quote=" SOAK_QUOTE,
		                      "profit=0.3%",
		                      "buy_offset=0.05%",
		                      "buy_timeout=20s",
		                      "cooldown=0s",
		                      "stop_loss=1.5%",
		                      "max_positions=1",
		                      NULL};
		if (soak_cli(s, args) == 0)
			p->added = true;
		return;
	}
	soak_event(s, "pair_add: every pair is added already");
}

void soak_pair_change(struct soak *s)
{
	static const char *const profits[] = {"0.2%", "0.3%", "0.5%"};
	struct soak_pair *p = &s->pairs[soak_range(s, 0, (int64_t)s->npairs - 1)];
	if (!p->added)
		return;
	int max = (int)soak_range(s, 1, 3);
	const char *profit = profits[soak_range(s, 0, 2)];
	char mp[32], pr[32];
	snprintf(mp, sizeof mp, "max_positions=%d", max);
	snprintf(pr, sizeof pr, "profit=%s", profit);
	raise_limit(s, p->symbol, max);
	const char *args[] = {"pairs", "set", p->symbol, pr, mp, NULL};
	if (soak_cli(s, args) == 0) {
		p->max_positions = max;
		snprintf(p->profit, sizeof p->profit, "%s", profit);
	}
}

void soak_db_lock(struct soak *s, bool on)
{
	sqlite3 *db = s->lock;
	if (!on) {
		if (db) {
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			sqlite3_close(db);
			soak_event(s, "database write lock released after %lld ms",
			           (long long)(sb_clock_wall_ms() - s->lock_since_ms));
		}
		s->lock = NULL;
		return;
	}
	if (db || sqlite3_open_v2(s->db, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		if (!s->lock)
			sqlite3_close(db);
		return;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		soak_event(s, "database write lock not taken: %s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return;
	}
	s->lock = db;
	s->lock_since_ms = sb_clock_wall_ms();
	soak_event(s, "database write lock taken");
}

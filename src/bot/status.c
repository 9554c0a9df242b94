/*
 * status.c - the daemon's status and the two records every part of it writes to: the run state with its
 * reason (kept in system_state), the kill switch in memory, the sticky degraded state once the database
 * cannot be written, whether new orders may go out at all, the append-only events log and the readable
 * progress lines of the demo.
 *
 * It stands above the monitor (a change of the kill switch or a failed write alerts) and below everything
 * that reports, so the price and order managers, the strategy step, the reconciler and the control API
 * write here instead of calling up into the lifecycle (bot.c).
 */
#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "bot/bot_int.h"
#include "bot/detail.h"
#include "spotbot/log.h"

#define KEY_RUN_REASON "run_state_reason"

static const char *const state_names[BOT_STATE__COUNT] = {
    [BOT_STARTING] = "starting", [BOT_RECONCILING] = "reconciling", [BOT_TRADING] = "trading",
    [BOT_PAUSED] = "paused",     [BOT_DEGRADED] = "degraded",       [BOT_STOPPING] = "stopping",
    [BOT_STOPPED] = "stopped",
};

#define TO(s) (1u << (s))

/* The states each state may move to (see enum bot_run_state). */
static const unsigned transitions[BOT_STATE__COUNT] = {
    [BOT_STARTING] =
        TO(BOT_STARTING) | TO(BOT_RECONCILING) | TO(BOT_DEGRADED) | TO(BOT_STOPPING) | TO(BOT_STOPPED),
    [BOT_RECONCILING] =
        TO(BOT_RECONCILING) | TO(BOT_TRADING) | TO(BOT_PAUSED) | TO(BOT_DEGRADED) | TO(BOT_STOPPING),
    [BOT_TRADING] = TO(BOT_TRADING) | TO(BOT_PAUSED) | TO(BOT_DEGRADED) | TO(BOT_STOPPING),
    [BOT_PAUSED] = TO(BOT_PAUSED) | TO(BOT_TRADING) | TO(BOT_DEGRADED) | TO(BOT_STOPPING),
    [BOT_DEGRADED] = TO(BOT_DEGRADED) | TO(BOT_STOPPING),
    [BOT_STOPPING] = TO(BOT_STOPPING) | TO(BOT_STOPPED),
    [BOT_STOPPED] = 0,
};

const char *bot_state_name(enum bot_run_state s)
{
	return (unsigned)s < BOT_STATE__COUNT ? state_names[s] : "unknown";
}

bool bot_state_allowed(enum bot_run_state from, enum bot_run_state to)
{
	return (unsigned)from < BOT_STATE__COUNT && (unsigned)to < BOT_STATE__COUNT &&
	       (transitions[from] & TO(to)) != 0;
}

bool bot_is_stopping(const struct sb_bot *b)
{
	return b->state == BOT_STOPPING || b->state == BOT_STOPPED;
}

/* Moves the state when the machine allows it; logs a refused transition as an error. */
static sb_err move(struct sb_bot *b, enum bot_run_state s, const char *reason)
{
	if (!bot_state_allowed(b->state, s)) {
		sb_log_error("bot",
		             SB_FIELDS(SB_F_STR("from", bot_state_name(b->state)),
		                       SB_F_STR("to", bot_state_name(s)), SB_F_STR("reason", reason)),
		             "run state %s cannot become %s (%s): transition refused",
		             bot_state_name(b->state), bot_state_name(s), reason);
		return SB_ERR_STATE;
	}
	b->state = s;
	return SB_OK;
}

void bot_event(struct sb_bot *b, const char *kind, const char *symbol, int64_t position_id, const char *coid,
               const char *detail)
{
	if (!b->st || b->degraded)
		return;
	struct sb_store_event ev = {.time_ms = bot_now_ms(b), .position_id = position_id, .detail = detail};
	snprintf(ev.kind, sizeof ev.kind, "%s", kind);
	snprintf(ev.symbol, sizeof ev.symbol, "%s", symbol ? symbol : "");
	snprintf(ev.client_order_id, sizeof ev.client_order_id, "%s", coid ? coid : "");
	sb_err err = sb_store_event_append(b->st, &ev, NULL);
	if (err != SB_OK)
		bot_degrade(b, err, "append an event");
}

sb_err bot_set_state(struct sb_bot *b, enum bot_run_state s, const char *reason)
{
	bool changed = b->state != s;
	SB_TRY(move(b, s, reason));
	if (changed)
		sb_log_info("bot",
		            SB_FIELDS(SB_F_STR("state", bot_state_name(s)), SB_F_STR("reason", reason)),
		            "run state %s: %s", bot_state_name(s), reason);
	if (!b->st || (b->degraded && s != BOT_DEGRADED))
		return SB_OK;
	int64_t now = bot_now_ms(b);
	struct sb_buf d;
	detail_init(&d);
	detail_str(&d, "state", bot_state_name(s));
	detail_str(&d, "reason", reason);
	struct sb_store_event ev = {.time_ms = now, .detail = detail_end(&d)};
	snprintf(ev.kind, sizeof ev.kind, "run_state");
	sb_err err = sb_store_state_set(b->st, KEY_RUN_REASON, reason, now, NULL);
	if (err == SB_OK)
		err = sb_store_state_set(b->st, SB_STORE_KEY_RUN_STATE, bot_state_name(s), now,
		                         changed ? &ev : NULL);
	detail_fini(&d);
	if (err != SB_OK && !b->degraded)
		bot_degrade(b, err, "write the run state");
	return SB_OK;
}

void bot_degrade(struct sb_bot *b, sb_err err, const char *what)
{
	if (b->degraded)
		return;
	b->degraded = true;
	b->degraded_err = err;
	b->db_probe_ms = bot_now_ms(b) + BOT_DB_PROBE_MS;
	const char *until = b->on_writable ? "it can be written again" : "restart";
	sb_log_error("bot",
	             SB_FIELDS(SB_F_ERR(err), SB_F_STR("db_error", sb_store_last_error(b->st)),
	                       SB_F_STR("action", what)),
	             "database write failed (%s: %s): trading stopped, no order will be placed until %s",
	             what, sb_store_last_error(b->st), until);
	bot_human(b, "!! database failure (%s): trading stopped", sb_errname(err));
	monitor_alert(b, SB_ALERT_KILL_SWITCH, SB_ALERT_CRITICAL, NULL, "kill_switch:database",
	              "trading halted: the database cannot be written (%s while trying to %s); no order is "
	              "placed until %s",
	              sb_errname(err), what,
	              b->on_writable ? "it can be written again" : "spotbot is restarted");
	/* A stop already under way goes on: it ends in a restart or an exit either way. */
	if (!bot_is_stopping(b))
		(void)move(b, BOT_DEGRADED, "database write failed");
	/* Recording why may fail too: the reason is in the logs either way. */
	int64_t now = bot_now_ms(b);
	if (sb_store_state_set(b->st, KEY_RUN_REASON, "database write failed", now, NULL) == SB_OK)
		(void)sb_store_state_set(b->st, SB_STORE_KEY_RUN_STATE, "degraded", now, NULL);
}

/* The failures a database recovers from by itself or by the operator's hand (another process's lock, a
 * full disk, a file made read-only, an I/O error); a value the schema refuses is none of them. */
static bool recoverable(sb_err err)
{
	return err == SB_ERR_DB_BUSY || err == SB_ERR_DB_FULL || err == SB_ERR_DB_READONLY ||
	       err == SB_ERR_DB || err == SB_ERR_IO;
}

void bot_degraded_check(struct sb_bot *b, int64_t now_ms)
{
	if (!b->degraded || !b->on_writable || bot_is_stopping(b) || b->closed || now_ms < b->db_probe_ms ||
	    !recoverable(b->degraded_err))
		return;
	b->db_probe_ms = now_ms + BOT_DB_PROBE_MS;
	/* A look, not a wait: while another process holds the lock the loop goes on at once. */
	bool quick = sb_store_wait_for_locks(b->st, false) == SB_OK;
	sb_err err = sb_store_state_set(b->st, KEY_RUN_REASON,
	                                "database write failed; it can be written again: restarting on it",
	                                now_ms, NULL);
	if (quick)
		(void)sb_store_wait_for_locks(b->st, true);
	if (err != SB_OK)
		return;
	sb_log_warn("bot", SB_FIELDS(SB_F_ERR(b->degraded_err)),
	            "the database can be written again: restarting on it (the state is reloaded from the "
	            "database and settled with the exchange before trading)");
	bot_human(b, "database writable again: restarting");
	monitor_alert(
	    b, SB_ALERT_KILL_SWITCH, SB_ALERT_INFO, NULL, "kill_switch:database_ok",
	    "the database can be written again: spotbot restarts on it and settles with the exchange "
	    "before it trades");
	b->on_writable(b);
}

void bot_set_paused(struct sb_bot *b, bool paused, const char *source)
{
	if (paused == b->paused)
		return;
	b->paused = paused;
	if (b->state == BOT_TRADING || b->state == BOT_PAUSED)
		bot_set_state(b, paused ? BOT_PAUSED : BOT_TRADING,
		              paused ? "kill switch on: open positions are managed, no new cycles"
		                     : "kill switch off");
	monitor_alert(b, SB_ALERT_KILL_SWITCH, paused ? SB_ALERT_WARNING : SB_ALERT_INFO, NULL,
	              paused ? "kill_switch:on" : "kill_switch:off",
	              paused ? "kill switch on (%s): no new cycles; open positions are still managed"
	                     : "kill switch off (%s): trading resumed",
	              source);
}

bool bot_may_trade(const struct sb_bot *b)
{
	return b->state == BOT_TRADING || b->state == BOT_PAUSED;
}

void bot_human(struct sb_bot *b, const char *fmt, ...)
{
	if (!b->human)
		return;
	time_t t = (time_t)(bot_now_ms(b) / 1000);
	struct tm tm;
	char ts[16] = "";
	if (localtime_r(&t, &tm))
		strftime(ts, sizeof ts, "%H:%M:%S", &tm);
	fprintf(b->human, "%s  ", ts);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(b->human, fmt, ap);
	va_end(ap);
	fputc('\n', b->human);
	fflush(b->human);
}

/*
 * crashpoint.c - a test hook: SPOTBOT_CRASH_AT=<point>[:<n>] makes the daemon kill itself with SIGKILL
 * the n-th time (default 1) it reaches a named step of a cycle, so the integration tests can prove that
 * a crash at exactly that step is recovered by the next start. Read once at start-up; when the variable
 * is unset every crash point costs one branch on a static flag. A simulation may instead set a hook that
 * is told of every crash point reached, to end the daemon in-process there. Not for production use.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/bot_int.h"
#include "common/parse.h"
#include "spotbot/log.h"

static const char *const point_names[BOT_CRASH_N] = {
    [BOT_CRASH_BEFORE_INTENT_COMMIT] = "before_intent_commit",
    [BOT_CRASH_AFTER_INTENT_COMMIT] = "after_intent_commit",
    [BOT_CRASH_AFTER_SEND] = "after_send",
    [BOT_CRASH_BEFORE_FILL_COMMIT] = "before_fill_commit",
    [BOT_CRASH_AFTER_FILL_COMMIT] = "after_fill_commit",
    [BOT_CRASH_AFTER_SELL_INTENT_COMMIT] = "after_sell_intent_commit",
    [BOT_CRASH_AFTER_SELL_SEND] = "after_sell_send",
};

static bool armed;                 /* SPOTBOT_CRASH_AT named a valid point */
static enum bot_crash_point where; /* the point that crashes */
static long long remaining;        /* passes through it left before the crash */
static bot_crash_hook hook;        /* the in-process hook; NULL: none */
static void *hook_user;            /* its argument */

void bot_crashpoint_set_hook(bot_crash_hook h, void *user)
{
	hook = h;
	hook_user = user;
}

const char *bot_crashpoint_name(enum bot_crash_point p)
{
	return (unsigned)p < BOT_CRASH_N ? point_names[p] : "";
}

void bot_crashpoint_init(void)
{
	armed = false;
	const char *v = getenv("SPOTBOT_CRASH_AT");
	if (!v || !v[0])
		return;
	size_t len = strcspn(v, ":");
	int64_t n = 1;
	if (v[len] == ':') {
		if (!sb_parse_i64_str(v + len + 1, 1, INT64_MAX, &n)) {
			sb_log_error("bot", SB_FIELDS(SB_F_STR("value", v)),
			             "SPOTBOT_CRASH_AT ignored: the count must be a positive integer");
			return;
		}
	}
	for (int i = 0; i < BOT_CRASH_N; i++) {
		if (strlen(point_names[i]) == len && memcmp(point_names[i], v, len) == 0) {
			where = (enum bot_crash_point)i;
			remaining = n;
			armed = true;
			sb_log_warn("bot", SB_FIELDS(SB_F_STR("point", point_names[i]), SB_F_INT("n", n)),
			            "test hook: the daemon will kill itself at %s (pass %" PRId64 ")",
			            point_names[i], n);
			return;
		}
	}
	sb_log_error("bot", SB_FIELDS(SB_F_STR("value", v)), "SPOTBOT_CRASH_AT ignored: unknown point");
}

void bot_crashpoint(enum bot_crash_point p)
{
	if (hook)
		hook(p, hook_user);
	if (!armed)
		return;
	if (p != where || --remaining > 0)
		return;
	sb_log_warn("bot", SB_FIELDS(SB_F_STR("point", point_names[p])), "test hook: killed at %s",
	            point_names[p]);
	kill(getpid(), SIGKILL);
}

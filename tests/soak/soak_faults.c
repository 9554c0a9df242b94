/*
 * soak_faults.c - the soak's fault scheduler: every fault and action of enum soak_fault, injected when
 * the run's generator says so, and those that last (a withheld stream, a lock, a pause, a market shock)
 * switched off again at a deadline drawn from the same generator.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "soak.h"
#include "spotbot/clock.h"

static const char *const names[SOAK_F__COUNT] = {
    [SOAK_F_KILL9] = "kill9",
    [SOAK_F_SIGTERM] = "sigterm",
    [SOAK_F_RESTART_PAUSED] = "restart_paused",
    [SOAK_F_RESTART_EDITED] = "restart_edited",
    [SOAK_F_SIM_RESTART] = "spotsim_restart",
    [SOAK_F_DROP_WS] = "drop_ws",
    [SOAK_F_HIDE_USER] = "withheld_user_events",
    [SOAK_F_DELAY_USER] = "delayed_user_events",
    [SOAK_F_5XX_AFTER] = "5xx_executed",
    [SOAK_F_5XX_BEFORE] = "5xx_not_executed",
    [SOAK_F_429] = "429_burst",
    [SOAK_F_SKEW] = "clock_skew",
    [SOAK_F_SLOW_REST] = "slow_rest",
    [SOAK_F_DB_LOCK] = "db_lock",
    [SOAK_F_DISK_FULL] = "log_disk_full",
    [SOAK_F_PAUSE] = "pause",
    [SOAK_F_PAUSE_PAIR] = "pause_pair",
    [SOAK_F_SELL] = "sell",
    [SOAK_F_CANCEL] = "cancel",
    [SOAK_F_REPRICE] = "reprice",
    [SOAK_F_ABANDON] = "abandon",
    [SOAK_F_PAIR_ADD] = "pair_add",
    [SOAK_F_PAIR_CHANGE] = "pair_change",
    [SOAK_F_PAIR_DISABLE] = "pair_disable",
    [SOAK_F_JUMP] = "price_jump",
    [SOAK_F_FLAT] = "flat_market",
    [SOAK_F_TREND] = "fast_trend",
    [SOAK_F_CROSS] = "cross_own_order",
};

const char *soak_fault_name(enum soak_fault f)
{
	return f < SOAK_F__COUNT ? names[f] : "?";
}

/* Keeps fault f on for lo..hi ms from now. */
static void hold(struct soak *s, enum soak_fault f, int64_t lo, int64_t hi, const char *arg)
{
	s->timed[f].until_ms = sb_clock_wall_ms() + soak_range(s, lo, hi);
	snprintf(s->timed[f].arg, sizeof s->timed[f].arg, "%s", arg ? arg : "");
}

static struct soak_pair *random_pair(struct soak *s)
{
	struct soak_pair *p = &s->pairs[soak_range(s, 0, (int64_t)s->npairs - 1)];
	return p->added ? p : &s->pairs[0];
}

/* Stops spotbot with sig and plans its start after lo..hi ms. */
static void bot_down(struct soak *s, int sig, int64_t lo, int64_t hi)
{
	if (s->bot <= 0)
		return;
	soak_bot_stop(s, sig);
	s->bot_restart_ms = sb_clock_wall_ms() + soak_range(s, lo, hi);
}

static void restart_edited(struct soak *s)
{
	static const char *const profits[] = {"0.2%", "0.3%", "0.4%"};
	struct soak_pair *p = random_pair(s);
	bot_down(s, SIGTERM, 0, 0);
	p->max_positions = (int)soak_range(s, 1, 3);
	snprintf(p->profit, sizeof p->profit, "%s", profits[soak_range(s, 0, 2)]);
	for (size_t i = 0; i < s->npairs; i++)
		if (strcmp(s->limits[i].symbol, p->symbol) == 0 &&
		    s->limits[i].max_positions < p->max_positions)
			s->limits[i].max_positions = p->max_positions;
	soak_write_env(s);
	soak_event(s, "PAIRS edited: %s profit=%s max_positions=%d", p->symbol, p->profit, p->max_positions);
}

/* The log on a full device: spotbot restarted with LOG_DIR/spotbot.log a link to /dev/full. */
static void log_full(struct soak *s, bool on)
{
	char path[400], old[420];
	snprintf(path, sizeof path, "%s/spotbot.log", s->logdir);
	if (on == s->log_full)
		return;
	bool was_up = s->bot > 0;
	soak_bot_stop(s, SIGTERM);
	if (on) {
		snprintf(old, sizeof old, "%s.%u", path, s->faults[SOAK_F_DISK_FULL]);
		rename(path, old);
		if (symlink("/dev/full", path) != 0)
			soak_event(s, "cannot link %s to /dev/full", path);
	} else {
		unlink(path);
	}
	s->log_full = on;
	if (was_up || on)
		s->bot_restart_ms = sb_clock_wall_ms();
}

/* A fast trend: the feed held (flat_market) while the price moves step_ppm every tick. */
static void shock(struct soak *s, int64_t step_ppm)
{
	struct soak_pair *p = random_pair(s);
	sb_dec bid = 0;
	if (!soak_best_bid(s, p->symbol, &bid))
		return;
	s->shock.until_ms = sb_clock_wall_ms() + soak_range(s, 5000, 15000);
	snprintf(s->shock.symbol, sizeof s->shock.symbol, "%s", p->symbol);
	s->shock.price = bid;
	s->shock.step_ppm = step_ppm;
	soak_fault_set(s, "flat_market", "on"); /* only the trend's steps trade */
}

static void shock_end(struct soak *s)
{
	s->shock.until_ms = 0;
	if (!s->timed[SOAK_F_FLAT].until_ms)
		soak_fault_set(s, "flat_market", "off");
}

/* A price on the tick of the soak's symbols (0.01 for BTCUSDT, ETHUSDT and BNBUSDT), rounded down. */
static sb_dec on_tick(sb_dec p)
{
	return p - p % SB_DEC_C(0, 1000000);
}

static void jump(struct soak *s)
{
	struct soak_pair *p = random_pair(s);
	sb_dec bid = 0, to = 0;
	int64_t ppm = soak_range(s, 10000, 50000) * (soak_range(s, 0, 1) ? 1 : -1);
	if (soak_best_bid(s, p->symbol, &bid) &&
	    sb_dec_mul(bid, SB_DEC_C(1, 0) + ppm * 100, SB_ROUND_DOWN, &to) == SB_OK)
		soak_set_price(s, p->symbol, on_tick(to), NULL);
}

/* The market trades at the price of one of the bot's resting orders, a small quantity: it fills the
 * order in part or whole, and meets any other own order at that price. */
static void cross(struct soak *s)
{
	struct soak_pair *p = random_pair(s);
	sb_dec price = 0;
	if (soak_pick_open_price(s, p->symbol, &price))
		soak_set_price(s, p->symbol, price, NULL);
	else
		soak_event(s, "cross_own_order: no resting order on %s", p->symbol);
}

static void inject_exchange(struct soak *s, enum soak_fault f)
{
	char v[32];
	switch (f) {
	case SOAK_F_DROP_WS:
		soak_fault_set(s, "drop_ws", NULL);
		break;
	case SOAK_F_HIDE_USER:
		soak_fault_set(s, "hide_user_events", "on");
		hold(s, f, 3000, 15000, NULL);
		break;
	case SOAK_F_DELAY_USER:
		snprintf(v, sizeof v, "%lld", (long long)soak_range(s, 200, 3000));
		soak_fault_set(s, "user_events_delay_ms", v);
		hold(s, f, 5000, 20000, NULL);
		break;
	case SOAK_F_5XX_AFTER:
		soak_fault_set(s, "order_5xx_after", "on");
		hold(s, f, 2000, 10000, NULL);
		break;
	case SOAK_F_5XX_BEFORE:
		soak_fault_set(s, "order_5xx_before", "on");
		hold(s, f, 2000, 10000, NULL);
		break;
	case SOAK_F_429:
		snprintf(v, sizeof v, "%lld", (long long)soak_range(s, 1, 2));
		soak_fault_set(s, "force_429", v);
		hold(s, f, 1000, 6000, NULL);
		break;
	case SOAK_F_SKEW:
		s->skew_ms = (int)(soak_range(s, 500, SOAK_SKEW_MAX_MS) * (soak_range(s, 0, 1) ? 1 : -1));
		snprintf(v, sizeof v, "%d", s->skew_ms);
		soak_fault_set(s, "clock_skew_ms", v);
		hold(s, f, 5000, 20000, NULL);
		break;
	case SOAK_F_SLOW_REST:
		snprintf(v, sizeof v, "%lld", (long long)soak_range(s, 200, SOAK_DELAY_MAX_MS));
		soak_fault_set(s, "delay_ms", v);
		hold(s, f, 5000, 15000, NULL);
		break;
	default:
		break;
	}
}

static void inject_operator(struct soak *s, enum soak_fault f)
{
	struct soak_pair *p = random_pair(s);
	switch (f) {
	case SOAK_F_PAUSE:
		if (soak_window_open(s, NULL))
			return;
		soak_pause(s, NULL);
		if (soak_window_open(s, NULL))
			hold(s, f, 20000, 60000, NULL);
		break;
	case SOAK_F_PAUSE_PAIR:
	case SOAK_F_PAIR_DISABLE:
		if (p->window >= 0 || s->timed[SOAK_F_PAUSE_PAIR].until_ms ||
		    s->timed[SOAK_F_PAIR_DISABLE].until_ms)
			return;
		if (f == SOAK_F_PAUSE_PAIR)
			soak_pause(s, p->symbol);
		else
			soak_pair_disable(s, p->symbol);
		if (p->window >= 0)
			hold(s, f, 20000, 60000, p->symbol);
		break;
	case SOAK_F_SELL:
	case SOAK_F_CANCEL:
	case SOAK_F_REPRICE:
	case SOAK_F_ABANDON:
		soak_act_position(s, f);
		break;
	case SOAK_F_PAIR_ADD:
		soak_pair_add(s);
		break;
	case SOAK_F_PAIR_CHANGE:
		soak_pair_change(s);
		break;
	default:
		break;
	}
}

void soak_fault_inject(struct soak *s, enum soak_fault f)
{
	if (s->timed[f].until_ms)
		return; /* still on */
	/* A stop waits for the daemon, which waits for the lock: the lock would outlast its time. */
	bool stops = f == SOAK_F_SIGTERM || f == SOAK_F_RESTART_PAUSED || f == SOAK_F_RESTART_EDITED ||
	             f == SOAK_F_DISK_FULL;
	if (stops && s->lock)
		return;
	s->faults[f]++;
	soak_event(s, "fault %s", soak_fault_name(f));
	switch (f) {
	case SOAK_F_KILL9:
		bot_down(s, SIGKILL, 500, 5000);
		break;
	case SOAK_F_SIGTERM:
		bot_down(s, SIGTERM, 500, 3000);
		break;
	case SOAK_F_RESTART_PAUSED:
		if (!soak_window_open(s, NULL)) {
			soak_pause(s, NULL);
			if (soak_window_open(s, NULL))
				hold(s, SOAK_F_PAUSE, 20000, 60000, NULL);
		}
		bot_down(s, SIGTERM, 0, 1000);
		break;
	case SOAK_F_RESTART_EDITED:
		restart_edited(s);
		s->bot_restart_ms = sb_clock_wall_ms();
		break;
	case SOAK_F_SIM_RESTART:
		soak_sim_kill(s);
		s->sim_restart_ms = sb_clock_wall_ms() + soak_range(s, 1000, 5000);
		s->skew_ms = 0; /* faults are not part of spotsim's state */
		s->shock.until_ms = 0;
		for (size_t i = 0; i < SOAK_F__COUNT; i++)
			if (i != SOAK_F_PAUSE && i != SOAK_F_PAUSE_PAIR && i != SOAK_F_PAIR_DISABLE &&
			    i != SOAK_F_DB_LOCK && i != SOAK_F_DISK_FULL)
				s->timed[i].until_ms = 0;
		break;
	case SOAK_F_DB_LOCK:
		soak_db_lock(s, true);
		hold(s, f, 500, 9000, NULL);
		break;
	case SOAK_F_DISK_FULL:
		log_full(s, true);
		hold(s, f, 10000, 30000, NULL);
		break;
	case SOAK_F_JUMP:
		jump(s);
		break;
	case SOAK_F_FLAT:
		soak_fault_set(s, "flat_market", "on");
		hold(s, f, 5000, 20000, NULL);
		break;
	case SOAK_F_TREND:
		shock(s, soak_range(s, 500, 2000) * (soak_range(s, 0, 1) ? 1 : -1));
		break;
	case SOAK_F_CROSS:
		cross(s);
		break;
	default:
		inject_exchange(s, f);
		inject_operator(s, f);
		break;
	}
}

/*
 * Releases the write lock. A lock shorter than the daemon's busy timeout only slows its writes: it must
 * trade on. A longer one makes a write fail, and the daemon stops placing orders until the database takes
 * a write again, then restarts on it by itself (docs/operations.md); a checkpoint finds it trading or
 * reports it.
 */
static void unlock(struct soak *s)
{
	int64_t held = sb_clock_wall_ms() - s->lock_since_ms;
	soak_db_lock(s, false);
	char state[32];
	if (s->bot <= 0 || !soak_bot_state(s, state, sizeof state) || strcmp(state, "degraded") != 0)
		return;
	if (held < SOAK_BUSY_MS - 500) {
		soak_event(
		    s,
		    "VIOLATION spotbot degraded after a database lock of %lld ms, shorter than its busy "
		    "timeout",
		    (long long)held);
		s->violations++;
		return;
	}
	soak_event(s, "spotbot degraded after a database lock of %lld ms: it restarts on the database itself",
	           (long long)held);
}

/* Switches fault f off. */
static void off(struct soak *s, enum soak_fault f)
{
	char arg[sizeof s->timed[f].arg];
	snprintf(arg, sizeof arg, "%s", s->timed[f].arg);
	s->timed[f].until_ms = 0;
	switch (f) {
	case SOAK_F_HIDE_USER:
		soak_fault_set(s, "hide_user_events", "off");
		break;
	case SOAK_F_DELAY_USER:
		soak_fault_set(s, "user_events_delay_ms", "off");
		break;
	case SOAK_F_5XX_AFTER:
		soak_fault_set(s, "order_5xx_after", "off");
		break;
	case SOAK_F_5XX_BEFORE:
		soak_fault_set(s, "order_5xx_before", "off");
		break;
	case SOAK_F_429:
		soak_fault_set(s, "force_429", "off");
		break;
	case SOAK_F_FLAT:
		if (!s->shock.until_ms)
			soak_fault_set(s, "flat_market", "off");
		break;
	case SOAK_F_SKEW:
		s->skew_ms = 0;
		soak_fault_set(s, "clock_skew_ms", "off");
		break;
	case SOAK_F_SLOW_REST:
		soak_fault_set(s, "delay_ms", "off");
		break;
	case SOAK_F_DB_LOCK:
		unlock(s);
		break;
	case SOAK_F_DISK_FULL:
		log_full(s, false);
		break;
	case SOAK_F_PAUSE:
		soak_resume(s, NULL);
		break;
	case SOAK_F_PAUSE_PAIR:
		soak_resume(s, arg);
		break;
	case SOAK_F_PAIR_DISABLE:
		soak_pair_enable(s, arg);
		break;
	default:
		break;
	}
	/* A resume or enable that failed (the daemon down) is tried again a second later. */
	bool still = (f == SOAK_F_PAUSE && soak_window_open(s, NULL)) ||
	             ((f == SOAK_F_PAUSE_PAIR || f == SOAK_F_PAIR_DISABLE) && soak_window_open(s, arg));
	if (still) {
		s->timed[f].until_ms = sb_clock_wall_ms() + 1000;
		snprintf(s->timed[f].arg, sizeof s->timed[f].arg, "%s", arg);
	}
}

static void shock_tick(struct soak *s, int64_t now_ms)
{
	if (!s->shock.until_ms)
		return;
	if (now_ms >= s->shock.until_ms) {
		shock_end(s);
		return;
	}
	sb_dec next = s->shock.price;
	if (s->shock.step_ppm != 0 &&
	    sb_dec_mul(next, SB_DEC_C(1, 0) + s->shock.step_ppm * 100, SB_ROUND_DOWN, &next) != SB_OK)
		return;
	s->shock.price = next;
	soak_set_price(s, s->shock.symbol, on_tick(next), NULL);
}

void soak_faults_tick(struct soak *s, int64_t now_ms)
{
	for (int f = 0; f < SOAK_F__COUNT; f++)
		if (s->timed[f].until_ms && now_ms >= s->timed[f].until_ms)
			off(s, (enum soak_fault)f);
	shock_tick(s, now_ms);
}

void soak_faults_clear(struct soak *s)
{
	for (int f = 0; f < SOAK_F__COUNT; f++)
		if (s->timed[f].until_ms && f != SOAK_F_PAUSE && f != SOAK_F_PAUSE_PAIR &&
		    f != SOAK_F_PAIR_DISABLE)
			off(s, (enum soak_fault)f);
	if (s->shock.until_ms)
		shock_end(s);
	int64_t now = sb_clock_wall_ms();
	if (s->sim.pid <= 0)
		s->sim_restart_ms = now;
	if (s->bot <= 0)
		s->bot_restart_ms = now;
	soak_supervise(s, now);
}

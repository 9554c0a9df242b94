/*
 * sim_world.c - the simulation's workload, all drawn from the run's generator: each pair's market (a
 * random walk with jumps, flat stretches and fast trends, on the symbol's tick grid, kept within half and
 * twice its first price so the exchange's price filters keep accepting it), the configuration the daemon
 * starts with and the edited ones it restarts with, and the schedule of faults and operator actions.
 */
#include <stdio.h>
#include <string.h>

#include "sim.h"

#define SIM_BP 10000 /* basis points in one */

static const char *const fault_names[SIMF__COUNT] = {
    [SIMF_PLACE_5XX_BEFORE] = "place_5xx_before",
    [SIMF_PLACE_5XX_AFTER] = "place_5xx_after",
    [SIMF_PLACE_429] = "place_429",
    [SIMF_ANSWER_LOST] = "answer_lost",
    [SIMF_ANSWER_DELAY] = "answer_delay",
    [SIMF_CANCEL_5XX_AFTER] = "cancel_5xx_after",
    [SIMF_READ_FAIL] = "read_fail",
    [SIMF_EVENT_LOST] = "event_lost",
    [SIMF_EVENT_DUP] = "event_dup",
    [SIMF_EVENT_DELAY] = "event_delay",
    [SIMF_EVENT_REORDER] = "event_reorder",
    [SIMF_USER_DROP] = "user_stream_drop",
    [SIMF_MARKET_DROP] = "market_drop",
    [SIMF_FORGET] = "order_forgotten",
    [SIMF_CLOCK_SKEW] = "clock_skew",
    [SIMF_PAUSE] = "pause_resume",
    [SIMF_PAIR_TOGGLE] = "pair_toggle",
    [SIMF_MANUAL] = "manual_action",
    [SIMF_RESTART] = "restart",
    [SIMF_CRASH] = "crash",
    [SIMF_SHOCK] = "market_shock",
    [SIMF_DB_LOCK] = "db_lock",
};

const char *sim_fault_name(enum sim_fault f)
{
	return (unsigned)f < SIMF__COUNT ? fault_names[f] : "none";
}

/* ---- the market ---------------------------------------------------------------------------------------- */

void sim_market_init(struct sim_market *m, sb_dec start, sb_dec tick)
{
	*m = (struct sim_market){
	    .start = start, .price = start - start % tick, .tick = tick, .regime = SIM_WALK};
}

/* price moved by bp basis points, on the grid, within [start / 2, start * 2]. */
static sb_dec moved(const struct sim_market *m, int64_t bp)
{
	sb_dec step = m->price / SIM_BP * bp;
	if (step == 0)
		step = bp > 0 ? m->tick : bp < 0 ? -m->tick : 0;
	sb_dec p = m->price + step;
	if (p < m->start / 2)
		p = m->start / 2;
	if (p > m->start * 2)
		p = m->start * 2;
	p -= p % m->tick;
	return p > 0 ? p : m->tick;
}

/* A new regime when the last one ran out: mostly a walk, sometimes a trend or a flat stretch. */
static bool new_regime(struct sim_market *m, struct sim_rng *rng)
{
	if (m->left > 0) {
		m->left--;
		return false;
	}
	uint64_t r = sim_rng_below(rng, 10);
	m->regime = r < 7 ? SIM_WALK : r < 9 ? SIM_TREND : SIM_FLAT;
	m->left = 20 + (unsigned)sim_rng_below(rng, 400);
	m->bp = (5 + (int64_t)sim_rng_below(rng, 30)) * (sim_rng_below(rng, 2) ? 1 : -1);
	return m->regime != SIM_WALK;
}

sb_dec sim_market_next(struct sim_market *m, struct sim_rng *rng, bool *shock)
{
	*shock = new_regime(m, rng);
	if (sim_rng_chance(rng, 3)) {
		/* A jump of 1% to 8% either way. */
		int64_t bp = (100 + (int64_t)sim_rng_below(rng, 700)) * (sim_rng_below(rng, 2) ? 1 : -1);
		m->price = moved(m, bp);
		*shock = true;
		return m->price;
	}
	switch (m->regime) {
	case SIM_WALK:
		m->price = moved(m, (int64_t)sim_rng_below(rng, 21) - 10);
		break;
	case SIM_TREND:
		m->price = moved(m, m->bp);
		break;
	case SIM_FLAT:
		break;
	}
	return m->price;
}

/* ---- configuration ------------------------------------------------------------------------------------- */

void sim_world_pairs(struct sim_rng *rng, const char *const *symbols, size_t n, bool edit, char *buf,
                     size_t cap)
{
	static const char *const quotes[] = {"20", "35", "50", "80"};
	static const char *const profits[] = {"0.2%", "0.4%", "0.8%", "1.5%"};
	static const char *const offsets[] = {"0%", "0.05%", "0.2%", "0.5%"};
	static const char *const timeouts[] = {"2m", "10m", "30m", "2h"};
	static const char *const stops[] = {"", ",stop_loss=2%", ",stop_loss=5%", ""};
	static const char *const cools[] = {"0s", "30s", "5m", "0s"};
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (edit && i > 0 && sim_rng_chance(rng, 150))
			continue; /* dropped from PAIRS */
		len += (size_t)snprintf(
		    buf + len, len < cap ? cap - len : 0,
		    "%s%s:quote=%s,profit=%s,buy_offset=%s,buy_timeout=%s,max_positions=%u,cooldown=%s%s%s%s",
		    len ? ";" : "", symbols[i], quotes[sim_rng_below(rng, 4)], profits[sim_rng_below(rng, 4)],
		    offsets[sim_rng_below(rng, 4)], timeouts[sim_rng_below(rng, 4)],
		    1 + (unsigned)sim_rng_below(rng, 3), cools[sim_rng_below(rng, 4)],
		    stops[sim_rng_below(rng, 4)], sim_rng_chance(rng, 200) ? ",buy_mode=market" : "",
		    edit && sim_rng_chance(rng, 150) ? ",enabled=false" : "");
	}
}

void sim_world_rates(struct sim_rng *rng, unsigned max_pm, struct simf_rates *out)
{
	/* Each kind is on in about half the stretches, at up to max_pm per mille of requests or events. */
	unsigned *const all[] = {&out->place_5xx_before, &out->place_5xx_after, &out->place_429,
	                         &out->answer_lost,      &out->answer_delay,    &out->cancel_5xx_after,
	                         &out->read_fail,        &out->ev_lost,         &out->ev_dup,
	                         &out->ev_delay,         &out->ev_reorder};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		*all[i] = sim_rng_below(rng, 2) ? (unsigned)sim_rng_below(rng, max_pm + 1) : 0;
}

enum sim_fault sim_world_draw(struct sim_rng *rng)
{
	/* Per step (a few seconds to a minute of market time): weights per ten thousand steps. */
	static const struct {
		enum sim_fault f;
		unsigned w;
	} table[] = {
	    {SIMF_USER_DROP, 8}, {SIMF_MARKET_DROP, 8},  {SIMF_FORGET, 5},  {SIMF_CLOCK_SKEW, 5},
	    {SIMF_PAUSE, 10},    {SIMF_PAIR_TOGGLE, 10}, {SIMF_MANUAL, 30}, {SIMF_RESTART, 6},
	    {SIMF_CRASH, 12},    {SIMF_DB_LOCK, 6},
	};
	uint64_t r = sim_rng_below(rng, 10000);
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		if (r < table[i].w)
			return table[i].f;
		r -= table[i].w;
	}
	return SIMF__COUNT;
}

/*
 * rng.h - the simulator's deterministic pseudo-random generator.
 *
 * Every random choice in spotsim (the synthetic walk, trade sizes, book quantities, replay volume splits)
 * draws from a struct sim_rng, so two runs with the same --seed produce identical markets. The generator
 * is xoshiro256** seeded through splitmix64 (Blackman and Vigna): fast, 256 bits of state, and no
 * all-zero state can arise from any 64-bit seed. Bounded draws are exact (no modulo bias).
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4]; /* xoshiro256** state; never all zero */
};

/* Seeds rng from one 64-bit value; any seed (including 0) gives a valid, distinct stream. */
void sim_rng_seed(struct sim_rng *rng, uint64_t seed);

/* The next 64 uniformly distributed bits. */
uint64_t sim_rng_next(struct sim_rng *rng);

/* A uniform integer in [0, n). n == 0 returns 0. Unbiased (Lemire's multiply-and-reject). */
uint64_t sim_rng_below(struct sim_rng *rng, uint64_t n);

/* A uniform integer in [lo, hi], both inclusive; returns lo when hi <= lo. Covers the full int64 range. */
int64_t sim_rng_range(struct sim_rng *rng, int64_t lo, int64_t hi);

/* True with probability num/den exactly (false when den == 0, true when num >= den). */
bool sim_rng_chance(struct sim_rng *rng, uint64_t num, uint64_t den);

#endif

/*
 * rng.c - splitmix64-seeded xoshiro256** and unbiased bounded draws (see rng.h).
 *
 * Bounded draws use Lemire's "nearly divisionless" method: the high half of a 64x64->128 product maps a
 * random word onto [0, n), and the few words that would make some results more likely than others are
 * rejected, so the distribution is exact and the common case costs one multiplication.
 */
#include "sim/rng.h"

__extension__ typedef unsigned __int128 u128; /* -Wpedantic: a GNU extension, allowed by CONTRIBUTING.md */

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void sim_rng_seed(struct sim_rng *rng, uint64_t seed)
{
	uint64_t x = seed;
	for (int i = 0; i < 4; i++)
		rng->s[i] = splitmix64(&x);
	/* splitmix64 is a bijection of its counter, so four consecutive outputs are never all zero. */
}

uint64_t sim_rng_next(struct sim_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t sim_rng_below(struct sim_rng *rng, uint64_t n)
{
	if (n == 0)
		return 0;
	u128 m = (u128)sim_rng_next(rng) * n;
	uint64_t low = (uint64_t)m;
	if (low < n) {
		/* 2^64 mod n words land on results one time too many; reject them. */
		uint64_t threshold = (0 - n) % n;
		while (low < threshold) {
			m = (u128)sim_rng_next(rng) * n;
			low = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

int64_t sim_rng_range(struct sim_rng *rng, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	/* The span is computed in unsigned arithmetic, where hi - lo cannot overflow. */
	uint64_t span = (uint64_t)hi - (uint64_t)lo;
	uint64_t r = span == UINT64_MAX ? sim_rng_next(rng) : sim_rng_below(rng, span + 1);
	return (int64_t)((uint64_t)lo + r);
}

bool sim_rng_chance(struct sim_rng *rng, uint64_t num, uint64_t den)
{
	if (den == 0)
		return false;
	if (num >= den)
		return true;
	return sim_rng_below(rng, den) < num;
}

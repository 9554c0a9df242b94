/*
 * test_name_index.c - the index of names (src/common/name_index.c) against a plain scan of the same array
 * over random names, puts and rebuilds from a fixed seed; a full index refuses more.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/name_index.h"

struct entry {
	int other;     /* something before the name, as in the owners' structs */
	char name[16]; /* the name */
};

static uint64_t seed = 88172645463325252u;

static uint64_t rnd(uint64_t n)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed % n;
}

static size_t scan(const struct entry *e, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].name, name) == 0)
			return i;
	return SB_NAME_INDEX_NONE;
}

static size_t find(const struct sb_name_index *x, const struct entry *e, const char *name)
{
	return sb_name_index_find(x, name, e, sizeof *e, offsetof(struct entry, name));
}

Test(name_index, finds_what_a_scan_finds_through_puts_and_rebuilds)
{
	struct entry e[300];
	uint16_t slots[1024];
	struct sb_name_index x;
	sb_name_index_init(&x, slots, 1024);
	size_t n = 0;
	for (int round = 0; round < 2000; round++) {
		char name[16];
		snprintf(name, sizeof name, "S%uUSDT", (unsigned)rnd(400));
		uint64_t what = rnd(4);
		if (what < 2 && n < 300 && scan(e, n, name) == SB_NAME_INDEX_NONE) {
			snprintf(e[n].name, sizeof e[n].name, "%s", name);
			cr_assert(sb_name_index_put(&x, e[n].name, n));
			n++;
		} else if (what == 2 && n > 0) {
			/* Removed by moving the last entry into its place, then the index rebuilt. */
			size_t k = (size_t)rnd(n);
			e[k] = e[--n];
			sb_name_index_clear(&x);
			for (size_t i = 0; i < n; i++)
				cr_assert(sb_name_index_put(&x, e[i].name, i));
		}
		cr_assert_eq(find(&x, e, name), scan(e, n, name), "round %d: %s", round, name);
		if (n > 0)
			cr_assert_eq(find(&x, e, e[n - 1].name), n - 1);
	}
}

Test(name_index, a_half_full_index_refuses_more)
{
	struct entry e[8];
	uint16_t slots[8];
	struct sb_name_index x;
	sb_name_index_init(&x, slots, 8);
	for (size_t i = 0; i < 4; i++) {
		snprintf(e[i].name, sizeof e[i].name, "N%zu", i);
		cr_assert(sb_name_index_put(&x, e[i].name, i));
	}
	cr_assert_not(sb_name_index_put(&x, "N4", 4), "a probe must always end at an empty slot");
	for (size_t i = 0; i < 4; i++)
		cr_assert_eq(find(&x, e, e[i].name), i);
	cr_assert_eq(find(&x, e, "N4"), SB_NAME_INDEX_NONE);
}

Test(name_index, an_unset_index_finds_nothing)
{
	struct sb_name_index x = {0};
	struct entry e[1] = {{0, "BTCUSDT"}};
	cr_assert_eq(find(&x, e, "BTCUSDT"), SB_NAME_INDEX_NONE);
}

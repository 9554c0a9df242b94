/*
 * Fuzz target for the PAIRS parser. Arbitrary bytes are parsed; whatever parses must format back (all keys
 * and only non-default keys) to text that parses again to the same settings, and an error must leave a
 * NUL-terminated message starting with "PAIRS: ". Any violation aborts so the fuzzer reports it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static int same(const struct sb_pair_cfg *a, const struct sb_pair_cfg *b)
{
	return strcmp(a->symbol, b->symbol) == 0 && a->enabled == b->enabled && a->quote == b->quote &&
	       a->max_positions == b->max_positions && a->buy_mode == b->buy_mode &&
	       a->buy_offset == b->buy_offset && a->buy_timeout_ms == b->buy_timeout_ms &&
	       a->profit == b->profit && a->stop_loss == b->stop_loss &&
	       a->max_duration_ms == b->max_duration_ms && a->max_duration_sell == b->max_duration_sell &&
	       a->cooldown_ms == b->cooldown_ms;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sb_pairs first, again;
	static char text[SB_PAIRS_MAX * 512];
	char err[SB_PAIRS_ERR_MAX];
	if (sb_pairs_parse((const char *)data, size, &first, err, sizeof err) != SB_OK) {
		check(first.n == 0);
		check(strnlen(err, sizeof err) < sizeof err && strncmp(err, "PAIRS: ", 7) == 0);
		return 0;
	}
	for (int all = 0; all < 2; all++) {
		size_t len;
		check(sb_pairs_format(&first, all, text, sizeof text, &len) == SB_OK);
		check(sb_pairs_parse(text, len, &again, err, sizeof err) == SB_OK);
		check(again.n == first.n);
		for (size_t i = 0; i < first.n; i++)
			check(same(&first.pair[i], &again.pair[i]));
	}
	return 0;
}

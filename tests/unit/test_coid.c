/*
 * test_coid.c - client order ids: length and charset limits, canonical round trip, uniqueness over many
 * ids, and recognition of this instance's ids among others.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "spotbot/coid.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

Test(coid, format_is_readable_and_deterministic)
{
	char a[SB_COID_SIZE], b[SB_COID_SIZE];
	size_t n;
	cr_assert_eq(sb_coid_format("main", 42, SB_COID_BUY, 0, a, sizeof a, &n), SB_OK);
	cr_assert_str_eq(a, "sb-main-42-b0");
	cr_assert_eq(n, 13);
	cr_assert_eq(sb_coid_format("main", 42, SB_COID_BUY, 0, b, sizeof b, NULL), SB_OK);
	cr_assert_str_eq(a, b, "the same intent gives the same id");
	cr_assert_eq(sb_coid_format("main", 42, SB_COID_SELL, 3, a, sizeof a, NULL), SB_OK);
	cr_assert_str_eq(a, "sb-main-42-s3");
	cr_assert_eq(sb_coid_format("p1", 7, SB_COID_EXIT, 999, a, sizeof a, NULL), SB_OK);
	cr_assert_str_eq(a, "sb-p1-7-x999");
}

Test(coid, longest_id_fits_binance_limit)
{
	char a[SB_COID_SIZE];
	size_t n;
	cr_assert_eq(
	    sb_coid_format("abcdefgh", INT64_MAX, SB_COID_EXIT, SB_COID_ATTEMPT_MAX, a, sizeof a, &n), SB_OK);
	cr_assert_eq(n, 36);
	cr_assert_str_eq(a, "sb-abcdefgh-9223372036854775807-x999");
	cr_assert(sb_coid_valid_charset(a, n));
	char small[36];
	cr_assert_eq(sb_coid_format("abcdefgh", INT64_MAX, SB_COID_EXIT, 999, small, sizeof small, NULL),
	             SB_ERR_TOO_LONG);
	cr_assert_str_eq(small, "");
}

Test(coid, refuses_bad_inputs)
{
	char a[SB_COID_SIZE];
	cr_assert_eq(sb_coid_format("Main", 1, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID,
	             "upper case");
	cr_assert_eq(sb_coid_format("", 1, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format("abcdefghi", 1, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format("a-b", 1, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format(NULL, 1, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format("m", 0, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format("m", -5, SB_COID_BUY, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format("m", 1, SB_COID_LEG__COUNT, 0, a, sizeof a, NULL), SB_ERR_INVALID);
	cr_assert_eq(sb_coid_format("m", 1, SB_COID_BUY, 1000, a, sizeof a, NULL), SB_ERR_INVALID);
}

Test(coid, parse_round_trip)
{
	const char *tags[] = {"a", "main", "bot2", "abcdefgh", "0"};
	int64_t ids[] = {1, 9, 10, 12345, INT64_MAX};
	for (size_t t = 0; t < 5; t++)
		for (size_t i = 0; i < 5; i++)
			for (int leg = 0; leg < SB_COID_LEG__COUNT; leg++)
				for (unsigned att = 0; att <= SB_COID_ATTEMPT_MAX; att += 333) {
					char s[SB_COID_SIZE];
					size_t n;
					struct sb_coid c;
					cr_assert_eq(sb_coid_format(tags[t], ids[i], (enum sb_coid_leg)leg,
					                            att, s, sizeof s, &n),
					             SB_OK);
					cr_assert_eq(sb_coid_parse(s, n, &c), SB_OK, "%s", s);
					cr_assert_str_eq(c.tag, tags[t]);
					cr_assert_eq(c.position_id, ids[i]);
					cr_assert_eq(c.leg, leg);
					cr_assert_eq(c.attempt, att);
					cr_assert(sb_coid_is_ours(s, n, tags[t]));
				}
}

Test(coid, parse_refuses_non_canonical_and_foreign_ids)
{
	struct sb_coid c;
	const char *foreign[] = {"web_8f7a6b5c4d3e2f1a", "x-ABC123", "and_12345", "", "s", "sb"};
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++)
		cr_assert_eq(sb_coid_parse(foreign[i], strlen(foreign[i]), &c), SB_ERR_NOT_FOUND, "%s",
		             foreign[i]);
	const char *bad[] = {
	    "sb-",
	    "sb-main",
	    "sb-main-",
	    "sb-main-42",
	    "sb-main-42-",
	    "sb-main-42-b",
	    "sb-main-042-b0",
	    "sb-main-42-b00",
	    "sb-main-42-b01",
	    "sb-main-0-b0",
	    "sb-Main-42-b0",
	    "sb--42-b0",
	    "sb-main-42-q0",
	    "sb-main-42-b1000",
	    "sb-main-4x2-b0",
	    "sb-main-42-b0-",
	    "sb-abcdefghi-1-b0",
	    "sb-main-9223372036854775808-b0",
	    "sb-main--42-b0",
	    "sb-main-42-b-1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(sb_coid_parse(bad[i], strlen(bad[i]), &c), SB_ERR_PARSE, "%s", bad[i]);
		cr_assert_eq(c.position_id, 0, "zeroed on error");
	}
	/* Exactly len bytes: a longer buffer is not read past len. */
	cr_assert_eq(sb_coid_parse("sb-main-42-b0TRAILING", 13, &c), SB_OK);
	cr_assert_eq(c.position_id, 42);
}

Test(coid, instance_tag_distinguishes_bots)
{
	cr_assert(sb_coid_is_ours("sb-main-1-b0", 12, "main"));
	cr_assert_not(sb_coid_is_ours("sb-main-1-b0", 12, "mai"));
	cr_assert_not(sb_coid_is_ours("sb-main2-1-b0", 13, "main"));
	cr_assert_not(sb_coid_is_ours("web_123", 7, "main"));
	cr_assert_not(sb_coid_is_ours("sb-main-1-b0", 12, "BAD!"));
}

Test(coid, charset_check_matches_binance_pattern)
{
	cr_assert(sb_coid_valid_charset("aZ09.:/_-", 9));
	cr_assert_not(sb_coid_valid_charset("a b", 3));
	cr_assert_not(sb_coid_valid_charset("a+b", 3));
	cr_assert_not(sb_coid_valid_charset("", 0));
	char long37[38];
	memset(long37, 'a', 37);
	long37[37] = '\0';
	cr_assert_not(sb_coid_valid_charset(long37, 37));
	cr_assert(sb_coid_valid_charset(long37, 36));
}

Test(coid, ids_are_unique_over_many_intents)
{
	/* 2000 positions x 3 legs x 4 attempts under two tags in three epochs: 144000 ids, all distinct and
	 * all valid. A restored database hands out the same positions and attempts again in a new epoch. */
	const char *tags[] = {"a", "b"};
	const unsigned epochs[] = {0, 1, 7};
	size_t total = 2 * 3 * 2000 * 3 * 4, k = 0;
	char(*all)[SB_COID_SIZE] = calloc(total, SB_COID_SIZE);
	cr_assert_not_null(all);
	for (size_t t = 0; t < 2; t++)
		for (size_t e = 0; e < 3; e++)
			for (int64_t id = 1; id <= 2000; id++)
				for (int leg = 0; leg < SB_COID_LEG__COUNT; leg++)
					for (unsigned att = 0; att < 4; att++) {
						size_t n;
						cr_assert_eq(sb_coid_format_epoch(tags[t], epochs[e], id * 97,
						                                  (enum sb_coid_leg)leg, att,
						                                  all[k], SB_COID_SIZE, &n),
						             SB_OK);
						cr_assert(sb_coid_valid_charset(all[k], n));
						k++;
					}
	qsort(all, total, SB_COID_SIZE, cmp_str);
	for (size_t i = 1; i < total; i++)
		cr_assert_str_neq(all[i - 1], all[i]);
	free(all);
}

Test(coid, epoch_suffix_round_trips_and_epoch_zero_is_the_old_format)
{
	char s[SB_COID_SIZE];
	size_t n;
	struct sb_coid c;
	cr_assert_eq(sb_coid_format_epoch("main", 0, 42, SB_COID_BUY, 0, s, sizeof s, &n), SB_OK);
	cr_assert_str_eq(s, "sb-main-42-b0", "a database never restored makes the ids older releases made");
	cr_assert_eq(sb_coid_format_epoch("main", 2, 42, SB_COID_SELL, 1, s, sizeof s, &n), SB_OK);
	cr_assert_str_eq(s, "sb-main-42-s1.2");
	cr_assert_eq(sb_coid_parse(s, n, &c), SB_OK);
	cr_assert_eq(c.epoch, 2);
	cr_assert_eq(c.position_id, 42);
	cr_assert_eq(c.leg, SB_COID_SELL);
	cr_assert_eq(c.attempt, 1);
	cr_assert(sb_coid_is_ours(s, n, "main"), "an id of another epoch is still this instance's");
	cr_assert_eq(sb_coid_parse("sb-main-42-b0", 13, &c), SB_OK);
	cr_assert_eq(c.epoch, 0);
	cr_assert_eq(
	    sb_coid_format_epoch("main", SB_COID_EPOCH_MAX + 1, 42, SB_COID_BUY, 0, s, sizeof s, NULL),
	    SB_ERR_INVALID);
	const char *bad[] = {"sb-main-42-b0.",        "sb-main-42-b0.0", "sb-main-42-b0.01",
	                     "sb-main-42-b0.1000000", "sb-main-42-b.1",  "sb-main-42-b0.1.1",
	                     "sb-main-42-b0.x"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(sb_coid_parse(bad[i], strlen(bad[i]), &c), SB_ERR_PARSE, "%s", bad[i]);
}

Test(coid, epoch_ids_stay_within_binance_limit)
{
	char s[SB_COID_SIZE];
	size_t n;
	/* The longest tag, attempt and epoch leave 12 digits for the position id. */
	cr_assert_eq(sb_coid_format_epoch("abcdefgh", SB_COID_EPOCH_MAX, 999999999999, SB_COID_EXIT,
	                                  SB_COID_ATTEMPT_MAX, s, sizeof s, &n),
	             SB_OK);
	cr_assert_eq(n, 36);
	cr_assert(sb_coid_valid_charset(s, n));
	struct sb_coid c;
	cr_assert_eq(sb_coid_parse(s, n, &c), SB_OK);
	cr_assert_eq(c.epoch, SB_COID_EPOCH_MAX);
	cr_assert_eq(sb_coid_format_epoch("abcdefgh", SB_COID_EPOCH_MAX, 1000000000000, SB_COID_EXIT,
	                                  SB_COID_ATTEMPT_MAX, s, sizeof s, &n),
	             SB_ERR_TOO_LONG);
	cr_assert_str_eq(s, "");
}

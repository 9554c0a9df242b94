#include <criterion/criterion.h>
#include <string.h>

#include "spotbot/error.h"

Test(error, every_code_has_a_distinct_message_and_name)
{
	for (int i = 0; i < (int)SB_ERR__COUNT; i++) {
		cr_assert_neq(strlen(sb_strerror((sb_err)i)), 0);
		cr_assert_eq(strncmp(sb_errname((sb_err)i), "SB_", 3), 0);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(sb_strerror((sb_err)i), sb_strerror((sb_err)j),
			                  "codes %d and %d share a message", i, j);
	}
}

Test(error, out_of_range_code_is_reported_not_crashing)
{
	cr_assert_str_eq(sb_strerror((sb_err)9999), "unknown error");
	cr_assert_str_eq(sb_errname((sb_err)-1), "SB_ERR_UNKNOWN");
	cr_assert_str_eq(sb_errname(SB_ERR_OVERFLOW), "SB_ERR_OVERFLOW");
}

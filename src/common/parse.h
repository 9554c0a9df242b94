/*
 * parse.h - the one checked integer parser. Every integer spotbot or spotsim reads from text it did not
 * write itself (an API parameter, a CLI argument, a configuration value, a file) goes through it: digits
 * only, the whole text, no overflow, inside the caller's range.
 */
#ifndef SB_COMMON_PARSE_H
#define SB_COMMON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Parses the n bytes of s as a decimal integer in [min, max]. Accepted: one or more ASCII digits, after a
 * '-' only when min < 0. Refused (false, *out untouched): an empty text, any other byte (a '+', a space,
 * a trailing unit), a value outside [min, max], including one that does not fit in 64 bits.
 */
bool sb_parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out);
/* The same for a NUL-terminated s (NULL is refused). */
bool sb_parse_i64_str(const char *s, int64_t min, int64_t max, int64_t *out);

#endif

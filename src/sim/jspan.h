/*
 * jspan.h - the raw text of JSON values. cJSON keeps numbers only as doubles, but a WebSocket API request
 * is signed over its parameters exactly as the client wrote them, so spotsim walks the frame alongside
 * cJSON's tree to recover each member's raw value text (sim/userstreams.c).
 *
 * The walk is only meant for text cJSON has accepted; on any other text it still stays within the
 * buffer and returns spans inside it.
 */
#ifndef SIM_JSPAN_H
#define SIM_JSPAN_H

#include <stddef.h>

/* Where a value's raw text is in the buffer. */
struct sim_jspan {
	size_t off; /* first byte */
	size_t len; /* bytes */
};

/* Raw value spans of the members of the object starting at s[i] (after any whitespace, and at i == 0 a
 * UTF-8 byte order mark, as cJSON skips them), in order. Returns how many members there are; only the
 * first cap spans are stored in out. 0 when no '{' is there. */
size_t sim_jspan_object(const char *s, size_t len, size_t i, struct sim_jspan *out, size_t cap);

#endif

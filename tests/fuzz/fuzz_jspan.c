/*
 * Fuzz target for spotsim's raw JSON span walk (sim/jspan.h), which recovers the exact text of a WebSocket
 * API request's members for its signature. Arbitrary bytes are walked whatever they are: every span must
 * lie inside the input. When cJSON accepts the input as an object, the walk must agree with cJSON's tree,
 * at every depth of nested objects: as many spans as members, and each span's text, parsed alone, the
 * same value as the member, with no whitespace around it (so a number signed as "1.10" is "1.10", not
 * whatever follows it).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/jspan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MEMBERS 64 /* members checked per object; larger objects are checked for bounds only */

static void check(int ok)
{
	if (!ok)
		abort();
}

/* Same value, member by member in order (cJSON_Compare looks members up by name, which a duplicate key
 * defeats): the printed forms agree. */
static int same(const cJSON *a, const cJSON *b)
{
	char *pa = cJSON_PrintUnformatted(a), *pb = cJSON_PrintUnformatted(b);
	int eq = pa && pb && strcmp(pa, pb) == 0;
	free(pa);
	free(pb);
	return eq;
}

static void check_object(const char *s, size_t len, size_t off, const cJSON *obj, int depth)
{
	struct sim_jspan spans[MAX_MEMBERS];
	size_t n = sim_jspan_object(s, len, off, spans, MAX_MEMBERS);
	size_t members = (size_t)cJSON_GetArraySize(obj);
	check(n == members);
	size_t k = 0;
	for (const cJSON *it = obj->child; it && k < MAX_MEMBERS; it = it->next, k++) {
		check(spans[k].off <= len && spans[k].len <= len - spans[k].off && spans[k].len > 0);
		check((unsigned char)s[spans[k].off] > ' ' &&
		      (unsigned char)s[spans[k].off + spans[k].len - 1] > ' ');
		cJSON *alone = cJSON_ParseWithLength(s + spans[k].off, spans[k].len);
		check(alone != NULL);
		check(same(alone, it));
		cJSON_Delete(alone);
		if (cJSON_IsObject(it) && depth < 8)
			check_object(s, len, spans[k].off, it, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct sim_jspan spans[MAX_MEMBERS];
	size_t n = sim_jspan_object(s, size, 0, spans, MAX_MEMBERS);
	for (size_t k = 0; k < n && k < MAX_MEMBERS; k++)
		check(spans[k].off <= size && spans[k].len <= size - spans[k].off);
	cJSON *doc = cJSON_ParseWithLength(s, size);
	if (cJSON_IsObject(doc))
		check_object(s, size, 0, doc, 0);
	cJSON_Delete(doc);
	return 0;
}

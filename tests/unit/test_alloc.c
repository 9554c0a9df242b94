/*
 * Tests for alloc.c: cJSON allocates through sb_xmalloc from the start of every program, so its
 * allocations abort on exhaustion like the project's own instead of returning NULL. The test itself
 * references nothing in alloc.c: the constructor must arrive through the library's link options.
 */
#include <cjson/cJSON.h>
#include <criterion/criterion.h>
#include <signal.h>
#include <stdint.h>

/* Under AddressSanitizer, an impossible malloc returns NULL instead of being reported, as without it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

Test(alloc, cjson_allocations_abort_on_exhaustion_instead_of_returning_null, .signal = SIGABRT)
{
	void *p = cJSON_malloc(SIZE_MAX / 2);
	cJSON_free(p);
}

Test(alloc, cjson_documents_are_built_and_freed_through_the_hooks)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "k", "v");
	char *s = cJSON_PrintUnformatted(o);
	cr_assert_str_eq(s, "{\"k\":\"v\"}");
	cJSON_free(s);
	cJSON_Delete(o);
}

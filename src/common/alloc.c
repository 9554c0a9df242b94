/*
 * alloc.c - aborting allocation wrappers (see alloc.h), and cJSON's allocator set to them before main.
 */
#include "spotbot/alloc.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
	fprintf(stderr, "spotbot: out of memory allocating %zu bytes\n", size);
	abort();
}

void *sb_xmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);
	if (!p)
		oom(size);
	return p;
}

void *sb_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *sb_xrealloc(void *p, size_t size)
{
	void *np = realloc(p, size ? size : 1);
	if (!np)
		oom(size);
	return np;
}

char *sb_xstrdup(const char *s)
{
	return sb_xstrndup(s, strlen(s));
}

char *sb_xstrndup(const char *s, size_t n)
{
	char *p = sb_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void sb_alloc_init(void)
{
	cJSON_Hooks hooks = {.malloc_fn = sb_xmalloc, .free_fn = free};
	cJSON_InitHooks(&hooks);
}

/* Runs before main in every program that links this file, which the build makes every program linking the
 * library (see sb_alloc_init in alloc.h): no start-up path can forget it. */
__attribute__((constructor)) static void alloc_init_at_start(void)
{
	sb_alloc_init();
}

/*
 * alloc.c - aborting allocation wrappers (see alloc.h).
 */
#include "spotbot/alloc.h"

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

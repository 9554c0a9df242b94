/*
 * alloc.h - allocation wrappers. Running out of memory is the one error spotbot does not try to survive:
 * these abort with a message instead of returning NULL, so callers never carry an OOM path.
 */
#ifndef SPOTBOT_ALLOC_H
#define SPOTBOT_ALLOC_H

#include <stddef.h>

/* Each returns memory the caller owns and releases with free(); none returns NULL. */
void *sb_xmalloc(size_t size);
void *sb_xcalloc(size_t n, size_t size);
void *sb_xrealloc(void *p, size_t size);
char *sb_xstrdup(const char *s);
char *sb_xstrndup(const char *s, size_t n);

#endif

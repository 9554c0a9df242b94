/*
 * alloc.h - allocation wrappers. Running out of memory is the one error spotbot does not try to survive:
 * these abort with a message instead of returning NULL, so callers never carry an OOM path.
 *
 * cJSON allocates through them too (sb_alloc_init), so a cJSON_Create*, cJSON_Add*, cJSON_Print* or
 * cJSON_Duplicate never returns NULL for lack of memory and its callers do not check for it. The NULL of
 * cJSON_Parse* still means bad input and stays an error, as does cJSON_Add* refusing a NULL object.
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

/*
 * Gives cJSON these allocators (cJSON_InitHooks). It runs by itself before main: alloc.c holds a
 * constructor that calls it, and the build links alloc.c into every program that uses the library
 * (--undefined=sb_alloc_init in CMakeLists.txt). Calling it again is harmless.
 */
void sb_alloc_init(void);

#endif

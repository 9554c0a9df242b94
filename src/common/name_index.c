/*
 * name_index.c - the open-addressing index of names (see name_index.h): FNV-1a over the name, linear
 * probing.
 */
#include "common/name_index.h"

#include <stdbool.h>
#include <string.h>

static size_t hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

void sb_name_index_init(struct sb_name_index *x, uint16_t *slot, size_t cap)
{
	x->slot = slot;
	x->cap = cap;
	sb_name_index_clear(x);
}

void sb_name_index_clear(struct sb_name_index *x)
{
	memset(x->slot, 0, x->cap * sizeof *x->slot);
	x->n = 0;
}

bool sb_name_index_put(struct sb_name_index *x, const char *name, size_t pos)
{
	if (2 * (x->n + 1) > x->cap || pos >= UINT16_MAX)
		return false;
	size_t mask = x->cap - 1;
	size_t i = hash(name) & mask;
	while (x->slot[i])
		i = (i + 1) & mask;
	x->slot[i] = (uint16_t)(pos + 1);
	x->n++;
	return true;
}

size_t sb_name_index_find(const struct sb_name_index *x, const char *name, const void *base, size_t stride,
                          size_t name_off)
{
	if (!x->cap)
		return SB_NAME_INDEX_NONE;
	size_t mask = x->cap - 1;
	for (size_t i = hash(name) & mask; x->slot[i]; i = (i + 1) & mask) {
		size_t pos = (size_t)x->slot[i] - 1;
		const char *cand = (const char *)base + pos * stride + name_off;
		if (strcmp(cand, name) == 0)
			return pos;
	}
	return SB_NAME_INDEX_NONE;
}

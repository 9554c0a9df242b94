/*
 * name_index.h - finds an entry of an array by its name (a trading symbol, a stream name) in one or two
 * probes instead of a string comparison with every entry: an open-addressing hash table of positions in
 * an array the owner keeps. The table stores no names; a lookup compares the candidate's own name, found
 * at a fixed offset inside the owner's entries, so the array stays the one record of what is there.
 *
 * The owner supplies the slot storage (cap a power of two, at least twice the most entries it will index,
 * so a probe sequence always ends at an empty slot) and puts each entry's position once it is in the array.
 * There is no deletion: an owner whose entries move or go rebuilds the table (sb_name_index_clear, then
 * put each entry again), which is cheap at these sizes and rare (a pair or a symbol removed at run time).
 */
#ifndef SB_COMMON_NAME_INDEX_H
#define SB_COMMON_NAME_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SB_NAME_INDEX_NONE SIZE_MAX /* sb_name_index_find: no entry of that name */

struct sb_name_index {
	uint16_t *slot; /* position + 1 of an entry, 0 for an empty slot (the owner's storage, borrowed) */
	size_t cap;     /* slots: a power of two, at least twice the entries indexed */
	size_t n;       /* entries indexed */
};

/* Uses slot[0..cap) (cap a power of two, at most 65536) as an empty index. */
void sb_name_index_init(struct sb_name_index *x, uint16_t *slot, size_t cap);
/* Forgets every entry. */
void sb_name_index_clear(struct sb_name_index *x);
/* Indexes position pos (< 65535) under name. False, and nothing indexed, when the index is half full. */
bool sb_name_index_put(struct sb_name_index *x, const char *name, size_t pos);
/*
 * The position of the entry named name, or SB_NAME_INDEX_NONE. Entry i's name is the NUL-terminated text
 * at base + i * stride + name_off (offsetof the name in the owner's entry struct).
 */
size_t sb_name_index_find(const struct sb_name_index *x, const char *name, const void *base, size_t stride,
                          size_t name_off);

#endif

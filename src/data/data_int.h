/*
 * data_int.h - helpers shared inside src/data but not public: the byte sources a kline reader reads
 * from (memory, a plain or gzip file, the CSV member of a zip archive).
 */
#ifndef SB_DATA_INT_H
#define SB_DATA_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "spotbot/error.h"

struct sb__source {
	/* Reads up to cap bytes into buf: the count, 0 at the end, or -1 with a reason (no file name) in
	 * why. */
	ssize_t (*read)(struct sb__source *s, char *buf, size_t cap, char *why, size_t why_cap);
	void (*close)(struct sb__source *s); /* releases everything, s included */
};

/* Opens path: a zip archive (by its signature) reads its one .csv member, anything else goes through
 * zlib, which reads gzip and plain files alike. SB_ERR_IO with "PATH: reason" in err on failure. */
sb_err sb__source_open(const char *path, struct sb__source **out, char *err, size_t err_cap);

/* A source over len bytes of memory, not copied. */
struct sb__source *sb__source_memory(const char *data, size_t len);

#endif

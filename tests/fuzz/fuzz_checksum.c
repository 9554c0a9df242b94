/*
 * Fuzz target for the .CHECKSUM files `spotbot data download` fetches next to each kline archive: the
 * input's first line is the archive's name, the rest the checksum file's text. Nothing may read past the
 * text; an accepted text must start with the 64 hex digits returned (in lower case), followed by the end,
 * a line end or blanks and then exactly the archive's name.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data/data_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	size_t nlen = (size_t)(nl - (const char *)data), tlen = size - nlen - 1;
	char *name = malloc(nlen + 1), *text = malloc(tlen + 1); /* exact sizes: overreads are caught */
	memcpy(name, data, nlen);
	name[nlen] = '\0';
	memcpy(text, nl + 1, tlen);
	text[tlen] = '\0';
	char sha[SB__SHA_HEX];
	if (sb__checksum_parse(text, name, sha)) {
		check(strlen(sha) == 64 && strspn(sha, "0123456789abcdef") == 64);
		for (int i = 0; i < 64; i++)
			check(tolower((unsigned char)text[i]) == sha[i]);
		const char *rest = text + 64 + strspn(text + 64, " \t*");
		size_t rlen = strcspn(rest, "\r\n");
		check(rlen == 0 || (rlen == strlen(name) && memcmp(rest, name, rlen) == 0));
	}
	free(name);
	free(text);
	return 0;
}

/*
 * Fuzz target for kline files as the backtest and spotsim's --replay open them from disk: the input is
 * written to a file and read through sb_kline_reader_open, which tells a zip archive (its one .csv member,
 * through libzip) from a gzip or plain file (zlib) and streams the rows. Downloaded archives are outside
 * input. Nothing may crash, leak or read out of bounds; every row returned must be a candle (low <= open,
 * close <= high, no negative volume) later than the one before; a failure must carry a message naming
 * the file.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spotbot/kline_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ROWS 100000 /* rows read per input: a small archive can expand a lot */

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof path, "%s/fuzz_kline_file.%ld",
		         access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
	FILE *f = fopen(path, "wb");
	check(f && fwrite(data, 1, size, f) == size && fclose(f) == 0);
	struct sb_kline_reader *r = NULL;
	char err[SB_KLINE_ERR_MAX] = "";
	if (sb_kline_reader_open(path, &r, err, sizeof err) != SB_OK) {
		check(strstr(err, path) != NULL);
		return 0;
	}
	int64_t last = INT64_MIN;
	for (int n = 0; n < MAX_ROWS; n++) {
		struct sb_kline k;
		bool done = false;
		if (sb_kline_reader_next(r, &k, &done) != SB_OK) {
			check(strstr(sb_kline_reader_error(r), path) != NULL);
			break;
		}
		if (done)
			break;
		check(k.low <= k.open && k.open <= k.high && k.low <= k.close && k.close <= k.high);
		check(k.volume >= 0 && k.open_time > last && k.close_time >= k.open_time);
		last = k.open_time;
	}
	sb_kline_reader_free(r);
	return 0;
}

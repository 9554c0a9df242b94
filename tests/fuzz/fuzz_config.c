/*
 * Fuzz target for the .env parser: arbitrary bytes are loaded as a configuration file, then the result is
 * printed, so every value that got through the validators is also formatted. Any crash, leak or undefined
 * behaviour is a bug; rejection with error messages is the expected outcome for most inputs.
 */
#include <stdint.h>
#include <stdio.h>

#include "spotbot/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *sink;
	static char *const env[] = {"MODE=paper", NULL};
	struct sb_config cfg;
	if (!sink)
		sink = fopen("/dev/null", "w");
	sb_config_init(&cfg);
	sb_config_load_buffer(&cfg, "fuzz.env", (const char *)data, size, env, sink);
	sb_config_print(&cfg, sink);
	sb_config_fini(&cfg);
	return 0;
}

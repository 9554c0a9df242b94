/*
 * fuzz_stp_info.c - fuzz target for spotsim's reading of a symbol's self-trade prevention settings
 * (sim_stp_from_info) from an exchangeInfo document: every element of the input's "symbols" array, or
 * the document itself when it has none. Settings that parse must allow their own default and name only
 * known modes; a refusal must say why.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>

#include "sim/stp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(const cJSON *info)
{
	struct sim_stp_config cfg;
	char msg[128];
	sb_err e = sim_stp_from_info(info, &cfg, msg, sizeof msg);
	if (e != SB_OK) {
		if (e != SB_ERR_PARSE || msg[0] == '\0')
			abort();
		return;
	}
	if ((unsigned)cfg.def >= SIM_STP_COUNT || !sim_stp_allowed(&cfg, cfg.def) ||
	    (cfg.allowed >> SIM_STP_COUNT) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *doc = cJSON_ParseWithLength((const char *)data, size);
	if (!doc)
		return 0;
	const cJSON *symbols = cJSON_GetObjectItemCaseSensitive(doc, "symbols");
	const cJSON *sym;
	if (cJSON_IsArray(symbols)) {
		cJSON_ArrayForEach(sym, symbols)
		{
			check(sym);
		}
	} else {
		check(doc);
	}
	cJSON_Delete(doc);
	return 0;
}

/*
 * spotsim - a Binance-compatible spot exchange simulator (entry point). See docs/spotsim.md.
 */
#include <stdio.h>

#include "sim/app.h"
#include "sim/options.h"
#include "spotbot/fsperm.h"

int main(int argc, char **argv)
{
	static struct sim_options opts;
	sb_fsperm_private(); /* the state file and anything else spotsim writes: 0600 */
	if (sim_options_parse(argc, argv, &opts, stderr) != SB_OK) {
		sim_options_usage(stderr);
		return 2;
	}
	if (opts.help) {
		sim_options_usage(stdout);
		return 0;
	}
	if (opts.version) {
		printf("spotsim %s\n", SB_VERSION);
		return 0;
	}
	struct sim_app *app = NULL;
	if (sim_app_new(&opts, stderr, &app) != SB_OK)
		return 2;
	printf("listening on %s:%d\n", opts.host, sim_app_port(app));
	fflush(stdout);
	int rc = sim_app_run(app);
	sim_app_free(app);
	return rc;
}

/*
 * app.h - spotsim as a program: builds the exchange, the server and the streams from the command line
 * and runs them on one libuv loop until SIGINT or SIGTERM.
 */
#ifndef SIM_APP_H
#define SIM_APP_H

#include <stdio.h>

#include "sim/options.h"
#include "spotbot/error.h"

struct sim_app;

/* Builds everything and starts listening; errors are explained on err. Owned by the caller. */
sb_err sim_app_new(const struct sim_options *opts, FILE *err, struct sim_app **out);

/* The port the server listens on. */
int sim_app_port(const struct sim_app *app);

/* Runs until SIGINT or SIGTERM, then closes every connection gracefully. Returns the exit status. */
int sim_app_run(struct sim_app *app);

/* NULL is fine. */
void sim_app_free(struct sim_app *app);

#endif

/*
 * simulate.c - the deterministic simulation's program: runs seeds one after the other (sim_run.c), prints
 * one line per seed and a summary whose last line reads
 *
 *   simulate: S seeds, D simulated days, F faults, C crashes, N invariant checks, V violations
 *
 * and exits 1 when any invariant was violated (or a run could not be set up), printing for each failing
 * seed the command that reproduces it exactly. Everything a run does derives from its seed, so the same
 * command prints the same lines every time. docs/simulation.md describes it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "spotbot/log.h"

static void usage(FILE *f)
{
	fputs(
	    "usage: simulate [--seed S] [--seeds N] [--days D] [--check-every K] [--fault-rate PM]\n"
	    "                [--log] [--sabotage fill|order]\n"
	    "\n"
	    "  --seed S         first seed (default 1)\n"
	    "  --seeds N        seeds to run: S, S+1, ... (default 1)\n"
	    "  --days D         simulated days per seed (default 2)\n"
	    "  --check-every K  the running invariants every K market steps (default 10; 1: every step)\n"
	    "  --fault-rate PM  the highest rate of each kind of request or event fault in a stretch of\n"
	    "                   chaos, per mille (default 60; 1000: every request and event)\n"
	    "  --log            print each run's event log (faults, actions, crashes) on stderr\n"
	    "  --sabotage WHAT  self-test: before the last check, delete a fill from the database (fill) or\n"
	    "                   place an order behind the daemon's back (order); the run must then fail\n",
	    f);
}

/* Parses a positive integer option value; false (with a message) when it is not one. */
static bool number(const char *name, const char *v, uint64_t *out)
{
	char *end = NULL;
	errno = 0;
	long long n = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || *end || errno != 0 || n <= 0) {
		fprintf(stderr, "simulate: %s wants a positive integer, not '%s'\n", name, v ? v : "");
		return false;
	}
	*out = (uint64_t)n;
	return true;
}

struct args {
	uint64_t seed, seeds, days, every, rate; /* the options' values */
	bool log;                                /* --log */
	const char *sabotage;                    /* --sabotage */
};

static bool parse(int argc, char **argv, struct args *a)
{
	*a = (struct args){.seed = 1, .seeds = 1, .days = 2, .every = 10, .rate = 60};
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		bool ok = true;
		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			usage(stdout);
			exit(0);
		} else if (strcmp(o, "--log") == 0) {
			a->log = true;
			continue;
		} else if (strcmp(o, "--seed") == 0) {
			ok = number(o, v, &a->seed);
		} else if (strcmp(o, "--seeds") == 0) {
			ok = number(o, v, &a->seeds);
		} else if (strcmp(o, "--days") == 0) {
			ok = number(o, v, &a->days);
		} else if (strcmp(o, "--check-every") == 0) {
			ok = number(o, v, &a->every);
		} else if (strcmp(o, "--fault-rate") == 0) {
			ok = number(o, v, &a->rate) && a->rate <= 1000;
			if (!ok)
				fprintf(stderr, "simulate: --fault-rate is at most 1000 (per mille)\n");
		} else if (strcmp(o, "--sabotage") == 0) {
			ok = v && (strcmp(v, "fill") == 0 || strcmp(v, "order") == 0);
			if (!ok)
				fprintf(stderr, "simulate: --sabotage wants fill or order, not '%s'\n",
				        v ? v : "");
			a->sabotage = v;
		} else {
			fprintf(stderr, "simulate: unknown option '%s'\n", o);
			usage(stderr);
			return false;
		}
		if (!ok)
			return false;
		i++;
	}
	return true;
}

int main(int argc, char **argv)
{
	struct args a;
	if (!parse(argc, argv, &a))
		return 2;
	/* The daemon's log is counted, not kept: the event log and the checker say what happened. */
	struct sb_log_opts lo = {.name = "spotbot.log", .discard = true, .level = SB_LOG_WARN};
	if (sb_log_open(&lo) != SB_OK)
		return 2;
	struct sim_result total = {0};
	uint64_t failed = 0, faults = 0;
	for (uint64_t s = a.seed; s < a.seed + a.seeds; s++) {
		struct sim_opts o = {.seed = s,
		                     .days = (unsigned)a.days,
		                     .check_every = (unsigned)a.every,
		                     .fault_pm = (unsigned)a.rate,
		                     .sabotage = a.sabotage,
		                     .log = a.log ? stderr : NULL,
		                     .out = stdout};
		struct sim_result r;
		bool ok = sim_run(&o, &r);
		uint64_t nf = 0;
		for (int k = 0; k < SIMF__COUNT; k++) {
			nf += r.faults[k];
			total.faults[k] += r.faults[k];
		}
		printf("seed %" PRIu64 ": %" PRIu64 " steps, %" PRIu64 " orders, %" PRIu64
		       " positions closed, %" PRIu64 " faults, %" PRIu64 " crashes (%" PRIu64
		       " at crash points), %" PRIu64 " checks, %" PRIu64 " violations\n",
		       s, r.steps, r.orders, r.closed, nf, r.crashes, r.crash_points, r.checks, r.violations);
		if (!ok || r.violations > 0) {
			failed++;
			printf("simulate: seed %" PRIu64
			       " FAILED%s; reproduce it with: simulate --seed %" PRIu64 " --days %" PRIu64
			       " --check-every %" PRIu64 " --fault-rate %" PRIu64 "%s%s --log\n",
			       s, ok ? "" : " (the run could not be set up)", s, a.days, a.every, a.rate,
			       a.sabotage ? " --sabotage " : "", a.sabotage ? a.sabotage : "");
		}
		faults += nf;
		total.simulated_ms += r.simulated_ms;
		total.crashes += r.crashes;
		total.checks += r.checks;
		total.violations += r.violations;
		fflush(stdout);
	}
	printf("faults by kind:");
	for (int k = 0; k < SIMF__COUNT; k++)
		printf(" %s=%" PRIu64, sim_fault_name((enum sim_fault)k), total.faults[k]);
	printf("\n");
	int64_t tenths = total.simulated_ms / 8640000;
	printf("simulate: %" PRIu64 " seeds, %" PRId64 ".%" PRId64 " simulated days, %" PRIu64
	       " faults, %" PRIu64 " crashes, %" PRIu64 " invariant checks, %" PRIu64 " violations\n",
	       a.seeds, tenths / 10, tenths % 10, faults, total.crashes, total.checks, total.violations);
	sb_log_close();
	return failed ? 1 : 0;
}

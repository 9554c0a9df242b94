/*
 * soak.c - the chaos soak of the real binaries: spotsim (with its state file) and `spotbot run` with
 * several fast-cycling pairs, faults and operator actions injected at moments drawn from one seed, and the
 * invariants of soak_check.c checked against the exchange's own records at checkpoints and at the end.
 * Prints the seed first and one summary line last; exits 1 on any violation, printing the event log
 * that reproduces the run. docs/soak.md describes it.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "soak.h"
#include "spotbot/clock.h"
#include "spotbot/store.h"

#define TICK_MS 200 /* the main loop's period */

static const char *const usage =
    "usage: soak [--minutes N | --seconds N] [--seed S] [--pairs N] [--klines FILE] [--keep DIR]\n"
    "            [--log FILE]\n"
    "Runs spotsim and spotbot under random faults for the duration (default 2 minutes), checking the\n"
    "invariants against the exchange's records at checkpoints and at the end (docs/soak.md).\n"
    "  --seed S      seed of every random choice (default: from the time; printed first)\n"
    "  --pairs N     pairs traded from the start, 1..3 (default 2); the others are added during the run\n"
    "  --klines FILE replay this kline file as BTCUSDT's market, 60 times faster than real time\n"
    "  --keep DIR    keep the run's files (database, logs, state, event log) in DIR\n"
    "  --log FILE    write the event log to FILE instead of DIR/events.log\n";

uint64_t soak_rand(struct soak *s)
{
	uint64_t x = s->rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	s->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

int64_t soak_range(struct soak *s, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)(soak_rand(s) % (uint64_t)(hi - lo + 1));
}

void soak_event(struct soak *s, const char *fmt, ...)
{
	int64_t t = sb_clock_wall_ms() - s->start_ms;
	fprintf(s->log, "%7lld.%03lld ", (long long)(t / 1000), (long long)(t % 1000));
	va_list ap;
	va_start(ap, fmt);
	vfprintf(s->log, fmt, ap);
	va_end(ap);
	fputc('\n', s->log);
	fflush(s->log);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A whole number argument in [lo, hi], or exits 2 naming the option. */
static long long number(const char *opt, const char *v, long long lo, long long hi)
{
	char *end = NULL;
	errno = 0;
	long long n = v ? strtoll(v, &end, 10) : 0;
	if (!v || !*v || *end || errno || n < lo || n > hi) {
		fprintf(stderr, "soak: %s: expected a whole number from %lld to %lld, got '%s'\n%s", opt, lo,
		        hi, v ? v : "", usage);
		exit(2);
	}
	return n;
}

struct options {
	long long seconds;   /* duration of the faults */
	uint64_t seed;       /* the seed */
	int pairs;           /* pairs at the start */
	const char *klines;  /* --klines */
	const char *keep;    /* --keep */
	const char *logfile; /* --log */
};

static void parse(int argc, char **argv, struct options *o)
{
	*o = (struct options){
	    .seconds = 120, .seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16), .pairs = 2};
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		}
		if (!v) {
			fprintf(stderr, "soak: unknown option or missing value: %s\n%s", a, usage);
			exit(2);
		}
		i++;
		if (strcmp(a, "--minutes") == 0)
			o->seconds = 60 * number(a, v, 1, 10000);
		else if (strcmp(a, "--seconds") == 0)
			o->seconds = number(a, v, 10, 600000);
		else if (strcmp(a, "--seed") == 0)
			o->seed = (uint64_t)number(a, v, 0, INT64_MAX);
		else if (strcmp(a, "--pairs") == 0)
			o->pairs = (int)number(a, v, 1, SOAK_PAIRS_MAX);
		else if (strcmp(a, "--klines") == 0)
			o->klines = v;
		else if (strcmp(a, "--keep") == 0)
			o->keep = v;
		else if (strcmp(a, "--log") == 0)
			o->logfile = v;
		else {
			fprintf(stderr, "soak: unknown option: %s\n%s", a, usage);
			exit(2);
		}
	}
}

static bool setup(struct soak *s, const struct options *o)
{
	static const char *const symbols[SOAK_PAIRS_MAX] = {"BTCUSDT", "ETHUSDT", "BNBUSDT"};
	s->seed = o->seed;
	s->rng = o->seed * 0x9E3779B97F4A7C15ULL + 1;
	s->start_ms = sb_clock_wall_ms();
	s->end_ms = s->start_ms + o->seconds * 1000;
	s->checkpoint_s = o->seconds >= 600 ? 120 : (int)(o->seconds / 3 > 20 ? o->seconds / 3 : 20);
	s->settle_s = o->seconds >= 600 ? 60 : 45;
	s->klines = o->klines;
	s->keep = o->keep != NULL;
	s->pause_window = -1;
	if (o->keep) {
		snprintf(s->dir, sizeof s->dir, "%s", o->keep);
		if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
			fprintf(stderr, "soak: --keep %s: %s\n", s->dir, strerror(errno));
			return false;
		}
	} else {
		snprintf(s->dir, sizeof s->dir, "/tmp/soak.XXXXXX");
		if (!mkdtemp(s->dir))
			return false;
	}
	snprintf(s->env, sizeof s->env, "%s/.env", s->dir);
	snprintf(s->db, sizeof s->db, "%s/bot.db", s->dir);
	snprintf(s->logdir, sizeof s->logdir, "%s/logs", s->dir);
	snprintf(s->sim_state, sizeof s->sim_state, "%s/spotsim.json", s->dir);
	char events[400];
	snprintf(events, sizeof events, "%s/events.log", s->dir);
	s->log = fopen(o->logfile ? o->logfile : events, "w");
	if (!s->log)
		return false;
	s->npairs = SOAK_PAIRS_MAX;
	for (size_t i = 0; i < SOAK_PAIRS_MAX; i++) {
		struct soak_pair *p = &s->pairs[i];
		snprintf(p->symbol, sizeof p->symbol, "%s", symbols[i]);
		p->added = (int)i < o->pairs;
		p->max_positions = 2;
		snprintf(p->profit, sizeof p->profit, "0.3%%");
		p->window = -1;
		snprintf(s->limits[i].symbol, sizeof s->limits[i].symbol, "%s", symbols[i]);
		s->limits[i].max_positions = 2;
	}
	return true;
}

/* Checks every invariant, retrying until they hold or the settle bound passes: statuses and balances
 * agree only once the daemon has caught up with the exchange. */
static void checkpoint(struct soak *s, bool final)
{
	soak_event(s, "%s: faults off, waiting up to %d s for the books to settle",
	           final ? "end" : "checkpoint", s->settle_s);
	soak_faults_clear(s);
	int64_t deadline = sb_clock_wall_ms() + s->settle_s * 1000;
	if (!soak_bot_ready(s, s->settle_s * 1000)) {
		soak_event(s, "VIOLATION spotbot does not trade %d s after the faults stopped", s->settle_s);
		s->violations++;
	}
	struct soak_violations v;
	for (;;) {
		soak_supervise(s, sb_clock_wall_ms());
		struct soak_xorder *orders = NULL;
		size_t norders = 0, nnow = 0;
		struct soak_asset now[16];
		bool fetched =
		    soak_fetch_orders(s, &orders, &norders) && soak_fetch_balances(s, now, 16, &nnow);
		if (fetched) {
			struct soak_records x = {.orders = orders,
			                         .norders = norders,
			                         .start = s->start,
			                         .nstart = s->nstart,
			                         .now = now,
			                         .nnow = nnow,
			                         .windows = s->windows,
			                         .nwindows = s->nwindows,
			                         .window_margin_ms =
			                             SOAK_DELAY_MAX_MS + 2 * SOAK_SKEW_MAX_MS + 1000,
			                         .limits = s->limits,
			                         .nlimits = s->npairs,
			                         .settled = true};
			(void)sb_dec_parse(SOAK_EXPOSURE, strlen(SOAK_EXPOSURE), &x.max_exposure);
			soak_check(&x, s->db, &v);
		}
		free(orders);
		if (fetched && (v.n == 0 || sb_clock_wall_ms() > deadline))
			break;
		if (!fetched && sb_clock_wall_ms() > deadline) {
			memset(&v, 0, sizeof v);
			v.n = 1;
			snprintf(v.what[0], sizeof v.what[0], "spotsim's records could not be fetched");
			break;
		}
		nap_ms(500);
	}
	s->checks += v.checks;
	s->violations += v.n;
	s->checkpoints++;
	for (size_t i = 0; i < v.n && i < SOAK_VIOLATIONS_MAX; i++)
		soak_event(s, "VIOLATION %s", v.what[i]);
	soak_event(s, "%s: %zu checks, %zu violations", final ? "end" : "checkpoint", v.checks, v.n);
}

/* CLOSED positions in the database: cycles completed. */
static size_t cycles(const struct soak *s)
{
	struct sb_store *st = NULL;
	struct sb_store_opts o = {.readonly = true, .no_create = true};
	size_t n = 0, closed = 0;
	struct sb_store_position *rows = NULL;
	struct sb_store_pos_filter f = {.which = SB_STORE_LIST_CLOSED};
	if (sb_store_open_sqlite(s->db, &o, &st, NULL, 0) == SB_OK &&
	    sb_store_position_list(st, &f, &rows, &n) == SB_OK)
		for (size_t i = 0; i < n; i++)
			closed += rows[i].state == SB_POSITION_CLOSED;
	free(rows);
	sb_store_close(st);
	return closed;
}

static void summary(struct soak *s, int64_t seconds)
{
	char kinds[1024] = "";
	size_t len = 0;
	unsigned total = 0;
	for (int f = 0; f < SOAK_F__COUNT; f++) {
		total += s->faults[f];
		if (s->faults[f] && len < sizeof kinds)
			len += (size_t)snprintf(kinds + len, sizeof kinds - len, "%s%s %u", len ? ", " : "",
			                        soak_fault_name((enum soak_fault)f), s->faults[f]);
	}
	char line[1600];
	snprintf(
	    line, sizeof line,
	    "soak: %lldm%02llds, seed %llu, %u faults (%s), %u restarts (spotbot %u, spotsim %u), %zu cycles, "
	    "%u checkpoints, %zu invariant checks, %zu violations",
	    (long long)(seconds / 60), (long long)(seconds % 60), (unsigned long long)s->seed, total, kinds,
	    s->bot_restarts + s->sim_restarts, s->bot_restarts, s->sim_restarts, cycles(s), s->checkpoints,
	    s->checks, s->violations);
	soak_event(s, "%s", line);
	printf("%s\n", line);
}

/* The event log to stderr, for a failing run. */
static void dump_log(const struct soak *s, const char *path)
{
	char *text = sbt_read_file(path);
	fprintf(stderr, "soak: seed %llu failed; the event log (%s):\n%s", (unsigned long long)s->seed, path,
	        text);
	free(text);
}

static void run(struct soak *s)
{
	int64_t now = sb_clock_wall_ms();
	int64_t next_fault = now + soak_range(s, 2000, 5000);
	int64_t next_check = now + s->checkpoint_s * 1000;
	while ((now = sb_clock_wall_ms()) < s->end_ms) {
		soak_supervise(s, now);
		soak_faults_tick(s, now);
		if (now >= next_fault) {
			soak_fault_inject(s, (enum soak_fault)soak_range(s, 0, SOAK_F__COUNT - 1));
			next_fault = sb_clock_wall_ms() + soak_range(s, 1000, 5000);
		}
		if (now >= next_check && s->end_ms - now > s->checkpoint_s * 500) {
			checkpoint(s, false);
			next_check = sb_clock_wall_ms() + s->checkpoint_s * 1000;
		}
		nap_ms(TICK_MS);
	}
	checkpoint(s, true);
}

int main(int argc, char **argv)
{
	struct options o;
	parse(argc, argv, &o);
	printf("soak: seed %llu\n", (unsigned long long)o.seed);
	fflush(stdout);
	signal(SIGPIPE, SIG_IGN);
	static struct soak s;
	if (!setup(&s, &o)) {
		fprintf(stderr, "soak: cannot create the run's files under %s\n", s.dir[0] ? s.dir : "/tmp");
		return 2;
	}
	soak_event(&s, "seed %llu, %lld s, %d pairs, files in %s", (unsigned long long)s.seed, o.seconds,
	           o.pairs, s.dir);
	if (!soak_sim_start(&s) || !soak_fetch_balances(&s, s.start, 16, &s.nstart) || !soak_write_env(&s) ||
	    !soak_bot_start(&s)) {
		fprintf(stderr, "soak: spotsim or spotbot does not start (files in %s)\n", s.dir);
		return 2;
	}
	soak_event(&s, "spotsim on port %d, spotbot pid %d", s.port, (int)s.bot);
	run(&s);
	soak_db_lock(&s, false);
	soak_bot_stop(&s, SIGTERM);
	soak_sim_kill(&s);
	summary(&s, (sb_clock_wall_ms() - s.start_ms) / 1000);
	char events[400];
	snprintf(events, sizeof events, "%s/events.log", s.dir);
	fclose(s.log);
	if (s.violations) {
		dump_log(&s, o.logfile ? o.logfile : events);
		fprintf(
		    stderr,
		    "soak: reproduce with: soak --seconds %lld --seed %llu --pairs %d (files kept in %s)\n",
		    o.seconds, (unsigned long long)s.seed, o.pairs, s.dir);
		return 1;
	}
	if (!s.keep) {
		char cmd[400];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "soak: could not remove %s\n", s.dir);
	}
	return 0;
}

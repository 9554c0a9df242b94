/*
 * bt_sweep.c - a sweep's processes (bt_sweep.h): the parent checks each point's configuration, forks a
 * child per point that passes (at most jobs at once), reads each child's result from its pipe and reaps
 * it. SIGINT and SIGTERM are blocked in the parent while the sweep runs and read from a signalfd among the
 * pipes it polls, so an interrupt is handled in the loop, never in a handler; children get the signal
 * mask and dispositions back before they run.
 */
#include "backtest/bt_sweep.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spotbot/alloc.h"
#include "spotbot/bot.h"
#include "spotbot/kline_set.h"

#define CHILD_FAILURE 1 /* a child's exit status: its run failed (as a single run's exit 1) */
#define CHILD_USER    2 /* its run refused its input (as a single run's exit 2) */

/* A running child. */
struct child {
	pid_t pid;    /* its process */
	int fd;       /* read end of its pipe */
	size_t point; /* the grid point it runs */
	char *buf;    /* what it wrote so far (owned) */
	size_t len;   /* bytes in buf */
	size_t cap;   /* bytes allocated */
	bool too_big; /* it wrote more than SB_BT_SWEEP_RESULT_MAX and was killed */
};

/* The sweep under way. */
struct sweep {
	const struct sb_bt_sweep_opts *o;        /* what to run */
	struct sb_bt_sweep *out;                 /* the points' outcomes */
	struct child kids[SB_BT_SWEEP_JOBS_MAX]; /* running children */
	size_t nkids;                            /* entries of kids */
	unsigned jobs;                           /* children at once */
	size_t next;                             /* the next point to start */
	int sigfd;                               /* SIGINT and SIGTERM, read as data */
	sigset_t oldmask;                        /* the mask to give back (and to the children) */
	bool notes_given;                        /* a child already writes the data's notes */
};

__attribute__((format(printf, 2, 3))) static void reason(struct sb_bt_point *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof p->reason, fmt, ap);
	va_end(ap);
}

unsigned sb_bt_sweep_jobs(unsigned jobs, size_t npoints)
{
	if (jobs == 0) {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cores < 1 ? 1 : cores > SB_BT_SWEEP_JOBS_MAX ? SB_BT_SWEEP_JOBS_MAX : (unsigned)cores;
	}
	if (jobs > SB_BT_SWEEP_JOBS_MAX)
		jobs = SB_BT_SWEEP_JOBS_MAX;
	if (npoints < jobs)
		jobs = npoints ? (unsigned)npoints : 1;
	return jobs;
}

/* ---- a child ------------------------------------------------------------------------------------------ */

/* The child's whole life: the backtest of one configuration, its result into fd, then _exit (no atexit
 * handler of the parent runs, and no stdio buffer of the parent is flushed twice). */
__attribute__((noreturn)) static void child_main(const struct sb_bt_run_opts *run, char *pairs, bool notes,
                                                 int fd)
{
	struct sb_config cfg = *run->cfg;
	cfg.pairs = pairs;
	struct sb_bt_run_opts ro = *run;
	ro.cfg = &cfg;
	ro.db_path = NULL;
	ro.notes = notes ? run->notes : NULL;
	struct sb_bt_report rep;
	char err[1024];
	FILE *f = fdopen(fd, "w");
	if (!f)
		_exit(CHILD_FAILURE);
	sb_err e = sb_bt_run(&ro, &rep, err, sizeof err);
	int code = 0;
	if (e == SB_OK) {
		sb_bt_report_json(&rep, f);
		sb_bt_report_fini(&rep);
	} else {
		fputs(err, f);
		code = sb_bt_run_user_error(e) ? CHILD_USER : CHILD_FAILURE;
	}
	if (fclose(f) != 0)
		code = CHILD_FAILURE;
	_exit(code);
}

/* ---- the parent --------------------------------------------------------------------------------------- */

/* Checks the point's configuration as `run` does; false with the point refused. */
static bool point_check(struct sweep *s, size_t point, char **pairs)
{
	struct sb_bt_point *p = &s->out->points[point];
	if (sb_bt_grid_pairs(s->o->grid, point, pairs, p->reason, sizeof p->reason) != SB_OK) {
		p->state = SB_BT_POINT_REFUSED;
		p->user_error = true;
		return false;
	}
	struct sb_config cfg = *s->o->run->cfg;
	cfg.pairs = *pairs;
	memset(p->reason, 0, sizeof p->reason);
	FILE *mem = fmemopen(p->reason, sizeof p->reason - 1, "w");
	sb_err e = sb_bot_check_config(&cfg, mem);
	if (mem)
		fclose(mem);
	if (e == SB_OK) {
		p->reason[0] = '\0';
		return true;
	}
	/* The check's lines, one problem each, as one line. */
	size_t len = strlen(p->reason);
	if (len && p->reason[len - 1] == '\n')
		p->reason[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (p->reason[i] == '\n')
			p->reason[i] = ';';
	p->state = SB_BT_POINT_REFUSED;
	p->user_error = true;
	return false;
}

/* Starts the child of point; a point refused or a failed fork is recorded instead. */
static void start(struct sweep *s, size_t point)
{
	struct sb_bt_point *p = &s->out->points[point];
	char *pairs = NULL;
	if (!point_check(s, point, &pairs)) {
		free(pairs);
		return;
	}
	int fds[2];
	if (pipe(fds) != 0) {
		p->state = SB_BT_POINT_FAILED;
		reason(p, "cannot make a pipe: %s", strerror(errno));
		free(pairs);
		return;
	}
	bool notes = !s->notes_given;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		close(s->sigfd);
		for (size_t i = 0; i < s->nkids; i++)
			close(s->kids[i].fd);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		sigprocmask(SIG_SETMASK, &s->oldmask, NULL);
		child_main(s->o->run, pairs, notes, fds[1]);
	}
	close(fds[1]);
	free(pairs);
	if (pid < 0) {
		close(fds[0]);
		p->state = SB_BT_POINT_FAILED;
		reason(p, "cannot start a process: %s", strerror(errno));
		return;
	}
	s->notes_given = true;
	s->kids[s->nkids++] = (struct child){.pid = pid, .fd = fds[0], .point = point};
}

/* The child's outcome from its exit status and what it wrote. */
static void outcome(struct sweep *s, struct child *c, int status)
{
	struct sb_bt_point *p = &s->out->points[c->point];
	p->state = SB_BT_POINT_FAILED;
	if (c->too_big) {
		reason(p, "its result passed %d bytes", SB_BT_SWEEP_RESULT_MAX);
		return;
	}
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		if (s->out->interrupted)
			reason(p, "stopped: the sweep was interrupted");
		else
			reason(p, "killed by signal %d (%s)", sig, strsignal(sig));
		return;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : CHILD_FAILURE;
	c->buf = sb_xrealloc(c->buf, c->len + 1);
	c->buf[c->len] = '\0';
	if (code == 0) {
		p->report = cJSON_ParseWithLength(c->buf, c->len);
		if (cJSON_IsObject(p->report)) {
			p->state = SB_BT_POINT_DONE;
			return;
		}
		cJSON_Delete(p->report);
		p->report = NULL;
		reason(p, "its result is not a JSON object");
		return;
	}
	p->user_error = code == CHILD_USER;
	c->buf[strcspn(c->buf, "\n")] = '\0';
	if (c->buf[0])
		reason(p, "%s", c->buf);
	else
		reason(p, "its process exited with status %d", code);
}

/* Reaps the child at index i of the running ones: its outcome, then it leaves the list. */
static void reap(struct sweep *s, size_t i)
{
	struct child *c = &s->kids[i];
	int status = 0;
	close(c->fd);
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	outcome(s, c, status);
	free(c->buf);
	s->kids[i] = s->kids[--s->nkids];
}

/* Reads what child i has written; true when it has ended (its pipe closed, or it wrote too much). */
static bool drain(struct sweep *s, size_t i)
{
	struct child *c = &s->kids[i];
	char chunk[65536];
	ssize_t n = read(c->fd, chunk, sizeof chunk);
	if (n < 0)
		return errno != EINTR && errno != EAGAIN;
	if (n == 0)
		return true;
	if (c->len + (size_t)n > SB_BT_SWEEP_RESULT_MAX) {
		c->too_big = true;
		kill(c->pid, SIGKILL);
		return true;
	}
	if (c->len + (size_t)n > c->cap) {
		c->cap = (c->len + (size_t)n) * 2;
		c->buf = sb_xrealloc(c->buf, c->cap);
	}
	memcpy(c->buf + c->len, chunk, (size_t)n);
	c->len += (size_t)n;
	return false;
}

/* SIGINT or SIGTERM arrived: every running child is stopped; the loop then reaps them. */
static void interrupt(struct sweep *s)
{
	struct signalfd_siginfo si;
	while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		;
	if (s->out->interrupted)
		return;
	s->out->interrupted = true;
	for (size_t i = 0; i < s->nkids; i++)
		kill(s->kids[i].pid, SIGTERM);
}

/* Waits for the next event (a child's output or end, a signal) and handles it. */
static void wait_once(struct sweep *s)
{
	struct pollfd pfd[SB_BT_SWEEP_JOBS_MAX + 1];
	pfd[0] = (struct pollfd){.fd = s->sigfd, .events = POLLIN};
	for (size_t i = 0; i < s->nkids; i++)
		pfd[i + 1] = (struct pollfd){.fd = s->kids[i].fd, .events = POLLIN};
	size_t nk = s->nkids;
	if (poll(pfd, nk + 1, -1) < 0)
		return; /* EINTR: the loop waits again */
	if (pfd[0].revents)
		interrupt(s);
	/* From the last, so reaping (which moves the last child into the freed slot) skips none. */
	for (size_t i = nk; i-- > 0;)
		if (pfd[i + 1].revents && drain(s, i))
			reap(s, i);
}

static void loop(struct sweep *s)
{
	size_t n = s->out->npoints;
	while ((s->next < n && !s->out->interrupted) || s->nkids > 0) {
		while (!s->out->interrupted && s->nkids < s->jobs && s->next < n)
			start(s, s->next++);
		if (s->nkids > 0)
			wait_once(s);
	}
}

/* The data is opened once before any child starts, so a missing or misnamed file is one error, not one
 * per point. */
static sb_err check_data(const struct sb_bt_run_opts *run, char *err, size_t cap)
{
	struct sb_kline_set *set = NULL;
	sb_err e = sb_kline_set_open(run->paths, run->npaths, run->from_ms, run->to_ms, &set, err, cap);
	sb_kline_set_free(set);
	return e;
}

sb_err sb_bt_sweep_run(const struct sb_bt_sweep_opts *o, struct sb_bt_sweep *out, char *err, size_t cap)
{
	memset(out, 0, sizeof *out);
	if (!o || !o->run || !o->run->cfg || !o->grid || !err || cap == 0)
		return SB_ERR_INVALID;
	err[0] = '\0';
	if (sb_bot_check_config(o->run->cfg, stderr) != SB_OK) {
		snprintf(err, cap, "the configuration cannot be traded (see above)");
		return SB_ERR_CONFIG;
	}
	SB_TRY(check_data(o->run, err, cap));
	out->npoints = o->grid->npoints;
	out->points = sb_xcalloc(out->npoints, sizeof *out->points);
	struct sweep s = {.o = o, .out = out, .jobs = sb_bt_sweep_jobs(o->jobs, out->npoints)};
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &s.oldmask);
	s.sigfd = signalfd(-1, &block, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s.sigfd < 0) {
		sigprocmask(SIG_SETMASK, &s.oldmask, NULL);
		snprintf(err, cap, "cannot watch for signals: %s", strerror(errno));
		return SB_ERR_IO;
	}
	loop(&s);
	for (size_t i = 0; i < out->npoints; i++)
		if (out->points[i].state == SB_BT_POINT_NOT_RUN)
			reason(&out->points[i], "not started: the sweep was interrupted");
	close(s.sigfd);
	sigprocmask(SIG_SETMASK, &s.oldmask, NULL);
	return SB_OK;
}

void sb_bt_sweep_fini(struct sb_bt_sweep *s)
{
	for (size_t i = 0; i < s->npoints; i++)
		cJSON_Delete(s->points[i].report);
	free(s->points);
	s->points = NULL;
	s->npoints = 0;
}

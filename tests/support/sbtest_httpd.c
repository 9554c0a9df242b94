/*
 * sbtest_httpd.c - the static-file server of sbtest_httpd.h. The listening socket is bound before the
 * fork, so the port is known and accepting as soon as this returns; the child serves until a signal.
 */
#include "sbtest_httpd.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Reads the request head and returns its path (in buf), or NULL. */
static const char *read_path(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	while (len + 1 < cap) {
		ssize_t n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			return NULL;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	if (strncmp(buf, "GET /", 5) != 0)
		return NULL;
	char *path = buf + 4, *end = strchr(path, ' ');
	if (!end)
		return NULL;
	*end = '\0';
	return strstr(path, "..") ? NULL : path;
}

static void serve(int fd, const char *root, FILE *log)
{
	char req[8192], file[4096], head[256];
	const char *path = read_path(fd, req, sizeof req);
	if (!path)
		return;
	fprintf(log, "GET %s\n", path);
	fflush(log);
	int w = snprintf(file, sizeof file, "%s%s", root, path);
	if (w < 0 || (size_t)w >= sizeof file)
		return;
	int in = open(file, O_RDONLY);
	struct stat st;
	if (in < 0 || fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		const char *nf =
		    "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nNot Found";
		send_all(fd, nf, strlen(nf));
		if (in >= 0)
			close(in);
		return;
	}
	int n = snprintf(head, sizeof head,
	                 "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nConnection: close\r\n\r\n",
	                 (long long)st.st_size);
	send_all(fd, head, (size_t)n);
	char buf[65536];
	ssize_t got;
	while ((got = read(in, buf, sizeof buf)) > 0)
		send_all(fd, buf, (size_t)got);
	close(in);
}

bool sbt_httpd_start(struct sbt_proc *p, const char *root, const char *log)
{
	memset(p, 0, sizeof *p);
	p->out_fd = -1;
	snprintf(p->name, sizeof p->name, "httpd");
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof a;
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 16) != 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &alen) != 0) {
		perror("sbt_httpd_start");
		return false;
	}
	p->port = ntohs(a.sin_port);
	FILE *lf = fopen(log, "a");
	if (!lf) {
		perror(log);
		close(ls);
		return false;
	}
	p->pid = fork();
	if (p->pid < 0) {
		perror("fork");
		return false;
	}
	if (p->pid == 0) {
		for (;;) {
			int fd = accept(ls, NULL, NULL);
			if (fd < 0)
				continue;
			serve(fd, root, lf);
			shutdown(fd, SHUT_WR);
			close(fd);
		}
	}
	fclose(lf);
	close(ls);
	return true;
}

/*
 * test_spotsim_admin.c - spotsim's /sim/ admin endpoints answer loopback peers only unless --sim-admin-any
 * is given. spotsim listens on the host's first non-loopback IPv4 address and the request comes from it, so
 * the peer spotsim sees is not loopback; the test is skipped on a host with no such address.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "sbtest.h"

static struct sbt_proc sim;

static void stop(void)
{
	if (sim.pid > 0)
		sbt_proc_stop(&sim, SIGTERM, 5000);
}

TestSuite(spotsim_admin, .fini = stop, .timeout = 60);

/* The first IPv4 address of an interface that is up and not loopback, or false. */
static bool outside_address(char *out, size_t cap)
{
	struct ifaddrs *all = NULL;
	if (getifaddrs(&all) != 0)
		return false;
	bool found = false;
	for (struct ifaddrs *i = all; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
		    !(i->ifa_flags & IFF_UP))
			continue;
		const struct sockaddr_in *sa = (const struct sockaddr_in *)(const void *)i->ifa_addr;
		found = inet_ntop(AF_INET, &sa->sin_addr, out, (socklen_t)cap) != NULL;
	}
	freeifaddrs(all);
	return found;
}

static size_t keep(char *data, size_t size, size_t n, void *user)
{
	char *buf = user;
	size_t have = strlen(buf), add = size * n, room = 4095 - have;
	memcpy(buf + have, data, add < room ? add : room);
	buf[have + (add < room ? add : room)] = '\0';
	return add;
}

/* GET http://host:port/sim/state from host's own address: the status, the body into body (4096 bytes). */
static long sim_state_from(const char *host, int port, char *body)
{
	char url[128];
	snprintf(url, sizeof url, "http://%s:%d/sim/state", host, port);
	body[0] = '\0';
	CURL *h = curl_easy_init();
	cr_assert(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_INTERFACE, host);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, keep);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
	long status = 0;
	cr_assert_eq(curl_easy_perform(h), CURLE_OK, "%s answered", url);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

static void run(bool any, long want, const char *needle)
{
	char host[64], listen[96], body[4096];
	if (!outside_address(host, sizeof host))
		cr_skip_test("no non-loopback IPv4 address on this host");
	snprintf(listen, sizeof listen, "%s:0", host);
	cr_assert(sbt_spotsim_start(
	              &sim, (const char *const[]){"--listen", listen, any ? "--sim-admin-any" : NULL, NULL}),
	          "spotsim listens on %s", listen);
	long status = sim_state_from(host, sim.port, body);
	cr_assert_eq(status, want, "GET /sim/state from %s: %ld %s", host, status, body);
	cr_assert(strstr(body, needle), "%s", body);
}

Test(spotsim_admin, a_peer_beyond_loopback_is_refused_by_default)
{
	run(false, 403, "loopback only");
}

Test(spotsim_admin, sim_admin_any_serves_a_peer_beyond_loopback)
{
	run(true, 200, "\"symbols\"");
}

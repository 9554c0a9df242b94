/*
 * http.h - spotsim's HTTP layer on libwebsockets: collects a request (method, path, query arguments, raw
 * body, API-key header), hands it to a handler and writes the handler's response with Binance's headers.
 *
 * libwebsockets percent-decodes the query string and splits it at '&' before the application sees it, so
 * query arguments arrive as decoded key/value pairs; a form body arrives as raw bytes.
 */
#ifndef SIM_HTTP_H
#define SIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_HTTP_MAX_ARGS  64          /* query arguments kept per request */
#define SIM_HTTP_MAX_BODY  (64 * 1024) /* larger bodies are refused with 413 */
#define SIM_HTTP_MAX_QUERY 8192        /* decoded query bytes kept per request */

enum sim_method {
	SIM_GET,
	SIM_POST,
	SIM_PUT,
	SIM_DELETE,
	SIM_OTHER,
};

struct sim_arg {
	const char *key;   /* NUL-terminated, decoded */
	const char *value; /* NUL-terminated, decoded; "" when the argument had no '=' */
};

struct sim_http_req {
	enum sim_method method;                 /* request method */
	char path[256];                         /* decoded path without the query */
	char query[SIM_HTTP_MAX_QUERY];         /* storage for the decoded arguments */
	struct sim_arg args[SIM_HTTP_MAX_ARGS]; /* decoded query arguments, in order */
	size_t nargs;                           /* entries used in args */
	bool args_truncated;                    /* more arguments than fit: answer -1101 */
	char *body;                             /* raw body bytes, NUL-terminated, or NULL */
	size_t body_len;                        /* bytes in body */
	bool body_too_large;                    /* body exceeded SIM_HTTP_MAX_BODY */
	char api_key[128];                      /* X-MBX-APIKEY header, "" when absent */
	char content_type[128];                 /* Content-Type header, "" when absent */
	bool loopback;                          /* the peer is on 127.0.0.0/8 or ::1 */
};

struct sim_http_resp {
	int status;               /* HTTP status code */
	char *body;               /* JSON text owned by the response; freed after sending */
	size_t body_len;          /* bytes in body */
	const char *content_type; /* defaults to application/json */
	char headers[512];        /* extra headers, "Name: value\r\n" each */
	size_t headers_len;       /* bytes used in headers */
	uint32_t delay_ms;        /* hold the response this long before sending it (fault injection) */
};

/* Appends "name: value\r\n" to resp's extra headers (silently dropped when they are full). */
void sim_http_resp_header(struct sim_http_resp *resp, const char *name, const char *value);

/* Sets resp's body to a copy of the NUL-terminated text (owned by resp). */
void sim_http_resp_text(struct sim_http_resp *resp, int status, const char *text);

/* Sets resp's body to {"code":code,"msg":msg} with the given HTTP status. */
void sim_http_resp_error(struct sim_http_resp *resp, int status, int code, const char *msg);

/* Returns the value of the first query argument named key, or NULL. */
const char *sim_http_arg(const struct sim_http_req *req, const char *key);

const char *sim_http_method_name(enum sim_method m);

#endif

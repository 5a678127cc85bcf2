/*
 * agent/dnsq.h - asynchronous DNS queries to many servers at once.
 *
 * One c-ares channel per server (c-ares picks among a channel's servers
 * itself, and each resolver must be asked on its own), driven from the
 * caller's zmq_poll loop: dnsq_pollitems() lists the sockets, dnsq_timeout_ms()
 * says how long the loop may sleep, dnsq_process() handles what is ready.
 *
 * Queries are built with ares_create_query (random id, EDNS with a
 * 1232-byte buffer, AD set, RD and NSID on request) and sent with
 * ares_send. c-ares runs with
 * ARES_FLAG_NOCHECKRESP, so SERVFAIL and REFUSED answers are delivered, and
 * ARES_FLAG_IGNTC, so a truncated UDP answer is seen: dnsq then asks again
 * over TCP itself and reports both facts.
 *
 * Each server has a query budget (token bucket: rate and burst); queries
 * beyond it wait in a queue and are released with a little jitter, so an
 * agent never hammers a server.
 */
#ifndef VANTAGE_AGENT_DNSQ_H
#define VANTAGE_AGENT_DNSQ_H

#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "agent/answer.h"

typedef struct dnsq dnsq_t;
typedef struct dnsq_server dnsq_server_t;

/* Engine settings. */
typedef struct dnsq_opts {
    unsigned timeout_ms;     /* per try */
    unsigned tries;          /* tries per query (UDP retries) */
    double rate;             /* queries a second per server */
    unsigned burst;          /* queries a server may get at once */
    const char *resolv_conf; /* the "local" resolver's file; NULL = /etc/resolv.conf */
    const char *local_addr;  /* the "local" resolver's address instead of a file, or NULL */
} dnsq_opts;

#define DNSQ_RD   0x01 /* recursion desired */
#define DNSQ_NSID 0x02 /* ask for the server's NSID (RFC 5001) */

/* Called once per query with the raw answer (borrowed for the call). */
typedef void (*dnsq_cb)(void *arg, const answer_raw *raw);

/* New engine; NULL with err filled when c-ares cannot start. */
dnsq_t *dnsq_new(const dnsq_opts *opts, char *err, size_t errlen);

/* Stop everything and free; callbacks of outstanding queries are NOT run. */
void dnsq_destroy(dnsq_t **self_p);

/*
 * The server for addr: "ADDR", "ADDR:PORT", "[V6ADDR]:PORT" or "V6ADDR"
 * (port 53 when none), or NULL for the local resolver from resolv.conf.
 * Created on first use and owned by the engine. NULL with err filled when
 * addr is not an address.
 */
dnsq_server_t *dnsq_server_get(dnsq_t *self, const char *addr, char *err, size_t errlen);

/* The server's canonical address ("127.0.0.1:53", "[::1]:53") or "local". */
const char *dnsq_server_name(const dnsq_server_t *srv);

/*
 * Queue a query; cb runs exactly once unless the query is cancelled.
 * Returns an id > 0, or 0 when qname is not a domain name or memory ran out
 * (cb is not run then).
 */
uint64_t dnsq_query(dnsq_t *self, dnsq_server_t *srv, const char *qname, uint16_t qtype,
                    unsigned flags, dnsq_cb cb, void *arg);

/* Cancel every query whose callback argument is arg; their callbacks never run. */
void dnsq_cancel_arg(dnsq_t *self, const void *arg);

/* Queries queued or in flight. */
size_t dnsq_pending(const dnsq_t *self);

/* Queries sent to servers so far (including TCP retries). */
uint64_t dnsq_sent(const dnsq_t *self);

/* Append the engine's sockets to items (at most max); returns how many. */
size_t dnsq_pollitems(dnsq_t *self, zmq_pollitem_t *items, size_t max);

/* Milliseconds until the engine needs dnsq_process() at the latest (<= max_ms). */
long dnsq_timeout_ms(dnsq_t *self, long max_ms);

/* Handle ready sockets among items, timeouts, and queued queries now allowed. */
void dnsq_process(dnsq_t *self, const zmq_pollitem_t *items, size_t n);

/* Run a poll loop of its own until nothing is pending or until deadline
 * (CLOCK_MONOTONIC milliseconds). Returns the number still pending. */
size_t dnsq_run(dnsq_t *self, int64_t deadline_mono_ms);

#endif

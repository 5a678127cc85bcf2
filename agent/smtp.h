/*
 * agent/smtp.h - SMTP reachability probes of MX addresses (issue 7).
 *
 * A probe connects to ADDR:25, reads the whole (multi-line) greeting, sends
 * EHLO with the agent's host name, notes STARTTLS and SIZE, optionally
 * completes the TLS handshake after STARTTLS (version, the certificate's
 * names and expiry, whether a name matches the MX host), then QUIT. It
 * never sends MAIL, RCPT or DATA: no mail is sent and no relay is tried.
 *
 * Probes are non-blocking and run side by side in the caller's zmq_poll
 * loop, like the DNS engine (agent/dnsq.h). A hostile or broken server
 * cannot hang or exhaust the agent: every reply has a timeout, the whole
 * probe has a deadline, and a line, a reply's line count and the bytes read
 * are capped (an endless line or a flood of continuation lines is cut).
 *
 * Politeness: one probe of an address (the host that takes the connection,
 * whatever MX names point at it) runs at a time, the others wait; and one
 * address is probed at most once per min_interval_ms: a probe asked, or
 * reaching its turn, sooner gets the previous result again (under its own
 * MX name).
 *
 * Callbacks must not call back into the engine (smtp_probe, smtp_destroy):
 * they run while smtp_process walks the probes.
 */
#ifndef VANTAGE_AGENT_SMTP_H
#define VANTAGE_AGENT_SMTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "common/arena.h"
#include "proto/msg.h"

#define SMTP_LINE_MAX     1000  /* longest reply line read (RFC 5321 §4.5.3.1.5: 512) */
#define SMTP_REPLY_LINES  64    /* most lines in one reply */
#define SMTP_READ_MAX     32768 /* most bytes read from one server in a probe */
#define SMTP_PER_ADDR_MAX 1     /* probes of one address at once */
#define SMTP_PROBES_MAX   256   /* probes queued or running at once */

/* How probes behave; zero fields take the defaults in brackets. */
typedef struct smtp_opts {
    const char *helo_name;       /* EHLO argument [the machine's host name] */
    uint32_t connect_timeout_ms; /* [5000] */
    uint32_t reply_timeout_ms;   /* each reply [5000] */
    uint32_t probe_timeout_ms;   /* the whole probe [20000] */
    uint32_t min_interval_ms;    /* between two probes of one address [60000]; */
    bool no_min_interval;        /* ... or none at all (tests, one-shot) */
    bool tls;                    /* complete the handshake when STARTTLS is offered */
    const char *ca_file;         /* CAs for the chain check [the system's] */
} smtp_opts;

/* One finished probe; strings live as long as the engine's call of the callback. */
typedef void (*smtp_done_cb)(void *arg, const proto_smtp *result);

typedef struct smtp smtp_t;

/* A probe engine; NULL with err filled on failure (TLS library setup). */
smtp_t *smtp_new(const smtp_opts *opts, char *err, size_t errlen);

/* Stop every probe (no callback) and free the engine; *self_p = NULL. */
void smtp_destroy(smtp_t **self_p);

/*
 * Probe host (an MX host name) at addr (IPv4 or IPv6 text) port (0 = 25);
 * cb is called once, maybe before this returns (a recent result, an
 * address that does not parse, too many probes). Returns 0, or -1 when out
 * of memory (no callback then).
 */
int smtp_probe(smtp_t *self, const char *host, const char *addr, uint16_t port, smtp_done_cb cb,
               void *arg);

/* Drop the probe (queued or running) whose callback argument is arg,
 * without a callback; false when there is none. */
bool smtp_cancel(smtp_t *self, const void *arg);

/* Probes queued or running. */
size_t smtp_active(const smtp_t *self);

/* Copy a result (a callback's are borrowed) with its strings into arena;
 * -1 when out of memory, dst then an "error" result with empty names. */
int smtp_result_copy(proto_smtp *dst, const proto_smtp *src, arena_t *arena);

/* Poll items for the running probes (at most max); returns how many. */
size_t smtp_pollitems(smtp_t *self, zmq_pollitem_t *items, size_t max);

/* Advance the probes after zmq_poll on the items smtp_pollitems gave
 * (in the same order), and end those whose time is up. */
void smtp_process(smtp_t *self, const zmq_pollitem_t *items, size_t n);

/* The longest the caller may wait before calling smtp_process (<= max). */
long smtp_timeout_ms(const smtp_t *self, long max);

#endif

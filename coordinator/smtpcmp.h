/*
 * coordinator/smtpcmp.h - SMTP reachability of every MX address from every
 * vantage point: which regions reach it, which do not, and why.
 *
 * Pure: no store, no I/O, no clock reads. The caller hands in SMTP probes
 * (the latest of every agent for each address, or every probe of one
 * check) with the agent and its region; smtpcmp_run() groups them by
 * address (host, addr, port), and the probes of one address by status, and
 * gives every address a state:
 *
 *   reachable    every probe ended ok (greeting 220, EHLO answered)
 *   partial      some probes reached the server (ok or tls_failed) and
 *                some did not, or the TLS handshake failed somewhere
 *   unreachable  no probe reached the server (refused, timeout, no route,
 *                closed early, bad greeting, protocol, local error)
 *   skipped      every probe was skipped (the agents' per-host limit)
 *
 * Skipped probes are listed but count for nothing. The state of a whole
 * report is the worst of its addresses (unreachable, then partial, then
 * reachable, then skipped), or unknown when there is no address at all.
 *
 * Input: several probes of one (agent, host, addr, port): the newest
 * (t_ms) counts, the others are dropped. With stale_ms > 0, a probe more
 * than stale_ms older than the newest probe of the same (agent, host) was
 * not part of that agent's latest probe run of the host (the address left
 * the host's address set): it is dropped too.
 *
 * Text: a group reads "refused from asia, europe (eu-2)": the regions of
 * its members, in name order; a region whose agents are in more than one
 * group of the address names its agents of this group in parentheses; an
 * agent without a region stands for itself. An address's summary joins its
 * groups with "; " (ok first, then by status number): "reachable from
 * america, europe; refused from asia".
 *
 * Memory: the result and everything it points to (strings copied) live in
 * the caller's arena; the caller frees all with arena_destroy(). On error
 * *out is NULL.
 */
#ifndef VANTAGE_COORDINATOR_SMTPCMP_H
#define VANTAGE_COORDINATOR_SMTPCMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/msg.h"

/* Most probes in one report. */
#define SMTPCMP_MAX_PROBES 65536

typedef enum smtpcmp_status {
    SMTPCMP_OK = 0,           /* success */
    SMTPCMP_ERR_INVAL = 1,    /* NULL arena/out/opts, in NULL with n > 0, a probe without
                                 agent, host or addr, negative stale_ms */
    SMTPCMP_ERR_TOO_MANY = 2, /* more than SMTPCMP_MAX_PROBES probes */
    SMTPCMP_ERR_NOMEM = 3,    /* out of memory */
} smtpcmp_status;

/* State of one address, or of a whole report (worst address). */
typedef enum smtpcmp_state {
    SMTPCMP_REACHABLE = 0,   /* every counted probe ok */
    SMTPCMP_PARTIAL = 1,     /* some reached it, some did not, or TLS failed somewhere */
    SMTPCMP_UNREACHABLE = 2, /* none reached it */
    SMTPCMP_SKIPPED = 3,     /* every probe skipped */
    SMTPCMP_UNKNOWN = 4,     /* report only: no address at all */
} smtpcmp_state;

/* One probe as the caller hands it in; everything borrowed. */
typedef struct smtpcmp_probe {
    const char *agent;       /* agent id */
    const char *region;      /* the agent's region, or NULL when unknown */
    const proto_smtp *probe; /* the probe */
    int64_t clock_offset_ms; /* agent clock minus coordinator clock (0 when unknown) */
} smtpcmp_probe;

/* Parameters of one report. */
typedef struct smtpcmp_opts {
    int64_t stale_ms; /* > 0: drop probes this much older than the agent's newest of the host */
} smtpcmp_opts;

/* The probes of one address that share a status. */
typedef struct smtpcmp_group {
    uint8_t status;    /* proto_smtp_status (above PROTO_SMTP_STATUS_MAX: error) */
    size_t *members;   /* indexes into the input, by region (none last), then agent */
    size_t n_members;  /* count */
    const char *label; /* "asia, europe (eu-2)" */
    const char *text;  /* "refused from asia, europe (eu-2)" */
} smtpcmp_group;

/* One MX address (host, addr, port). */
typedef struct smtpcmp_addr {
    const char *host;      /* MX host name */
    const char *addr;      /* address, no brackets */
    uint16_t port;         /* port */
    const char *endpoint;  /* "192.0.2.1:25", "[2001:db8::1]:25" */
    smtpcmp_state state;   /* reachable, partial, unreachable or skipped */
    size_t *members;       /* the probes counted, by region (none last), then agent */
    size_t n_members;      /* count */
    size_t n_ok;           /* of those: ok */
    size_t n_reached;      /* ok or tls_failed */
    size_t n_skipped;      /* skipped */
    smtpcmp_group *groups; /* by status: ok first, then by status number */
    size_t n_groups;       /* count */
    const char *summary;   /* the groups' texts joined with "; " */
} smtpcmp_addr;

/* What smtpcmp_run() found; everything in the caller's arena. */
typedef struct smtpcmp_result {
    smtpcmp_state state;  /* worst address; unknown without any */
    smtpcmp_addr *addrs;  /* by host, then address, then port */
    size_t n_addrs;       /* count */
    size_t n_reachable;   /* addresses reachable */
    size_t n_partial;     /* ... partial */
    size_t n_unreachable; /* ... unreachable */
    size_t n_skipped;     /* ... skipped */
    size_t n_dropped;     /* probes dropped: older of the same agent and address, or stale */
    const char *summary;  /* "partial: 3 MX addresses: 2 reachable, 1 partial" */
} smtpcmp_result;

/*
 * Report on the n probes in. SMTPCMP_OK with *out set, its memory in arena;
 * or an error status with *out NULL.
 */
smtpcmp_status smtpcmp_run(const smtpcmp_probe *in, size_t n, const smtpcmp_opts *opts,
                           arena_t *arena, smtpcmp_result **out);

/* Short English text for a status, for logs. */
const char *smtpcmp_status_str(smtpcmp_status status);

/* "reachable", "partial", "unreachable", "skipped", "unknown". */
const char *smtpcmp_state_name(smtpcmp_state state);

/*
 * Monitoring-plugin exit code of a state: reachable and skipped 0, partial
 * 1 (warning), unreachable 2 (critical), unknown 3.
 */
int smtpcmp_state_exit_code(smtpcmp_state state);

/* "reachable from", "refused from", "timed out from", ...: how a group's text starts. */
const char *smtpcmp_status_phrase(uint8_t status);

#endif

/*
 * agent/smtpcheck.h - which SMTP servers a mail check probes, and the
 * findings its probes give (docs/checks.md, SMTP_*).
 *
 * The targets are every address (A and AAAA) of every MX host of the domain
 * as one resolver of the check saw them; an MX of "." (null MX) has none.
 * The findings are for this vantage point's region alone: a host that no
 * address of answers is unreachable from here; the coordinator compares
 * regions.
 */
#ifndef VANTAGE_AGENT_SMTPCHECK_H
#define VANTAGE_AGENT_SMTPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/check.h"
#include "agent/findings.h"
#include "proto/msg.h"

#define SMTPCHECK_TARGETS_MAX 32 /* addresses probed per domain */

/* One address of one MX host. */
typedef struct smtpcheck_target {
    char host[256]; /* MX host, canonical */
    char addr[64];  /* address text */
} smtpcheck_target;

/* The resolver whose answers name the targets: the check's first that is
 * not "auth" (an index; check_resolver_count() when there is none). */
size_t smtpcheck_resolver(const check_t *c);

/*
 * The MX addresses of a finished mail check at its resolver number r, into
 * out[max]; returns how many (MX hosts in preference order, A before AAAA).
 */
size_t smtpcheck_targets(const check_t *c, size_t r, smtpcheck_target *out, size_t max);

/* What the findings are drawn from. */
typedef struct smtpcheck_input {
    const char *domain;        /* the mail domain */
    const proto_smtp *results; /* one probe per target */
    size_t n;                  /* count */
    const check_t *check;      /* for the addresses' PTR names (may be NULL) */
    size_t resolver;           /* ... at this resolver of the check */
    int64_t now_ms;            /* wall clock, for certificate expiry */
    unsigned expiring_days;    /* SMTP_TLS_EXPIRING within this many days (0 = 14) */
} smtpcheck_input;

/* Append the SMTP findings of one domain's probes to out. */
void smtpcheck_findings(const smtpcheck_input *in, findings_t *out);

#endif

/*
 * agent/crosscheck.h - findings that compare the answers of one check
 * across the resolvers and authoritative servers an agent asked.
 *
 * Where the mail profile judges one resolver's view, these codes judge the
 * views against each other:
 *   RESOLVER_FAILURE     a resolver (kind "local" or "public") answered
 *                        SERVFAIL, REFUSED, something unusable or nothing;
 *                        one finding per resolver, critical when some
 *                        question got no usable answer from any of them;
 *   RESOLVER_DISAGREE    those resolvers gave different answers (rcode and
 *                        canonical RR set) to one question; one finding per
 *                        question, naming which resolver saw what;
 *   AUTH_SERIAL_MISMATCH the authoritative servers (kind "auth") of a zone
 *                        serve different SOA serials (RFC 1982 order);
 *   LAME_DELEGATION      an authoritative server does not answer its zone's
 *                        SOA with the AA flag (no answer, REFUSED, SERVFAIL,
 *                        unusable, or AA clear).
 * Answers cut off by the check's deadline (PROTO_FAIL_INCOMPLETE) are no
 * resolver's fault and are left out. docs/checks.md describes each code.
 */
#ifndef VANTAGE_AGENT_CROSSCHECK_H
#define VANTAGE_AGENT_CROSSCHECK_H

#include <stddef.h>

#include "agent/answer.h"
#include "agent/findings.h"

/*
 * Append the cross-resolver findings over every answer of one check (all
 * resolvers, all kinds) to out. answers are only read; NULL entries are
 * skipped. Findings come in a stable order: failures, disagreements,
 * serial mismatches, lame servers, each by name.
 */
void crosscheck_run(const answer_t *const *answers, size_t n, findings_t *out);

/* Name of an Extended DNS Error code (RFC 8914 §4), or NULL when unknown. */
const char *crosscheck_ede_name(unsigned code);

#endif

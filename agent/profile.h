/*
 * agent/profile.h - the mail-health profile: findings from answers.
 *
 * The profile is written as if every answer it needs were at hand. It asks
 * for answers through a lookup function; a question not asked yet returns
 * NULL and is recorded by the driver (agent/check.c), which asks all such
 * questions at once and runs the profile again. A run that got every answer
 * it wanted is complete, and only then are its findings final. Runs are
 * deterministic, so re-running costs only CPU.
 */
#ifndef VANTAGE_AGENT_PROFILE_H
#define VANTAGE_AGENT_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/answer.h"
#include "agent/findings.h"

/*
 * The answer to (qname, qtype) at the resolver the profile runs for, or NULL
 * when it has not been asked yet (the driver asks it before the next run).
 * qname is a domain name in presentation form, with or without the
 * trailing dot, any case.
 */
typedef const answer_t *(*profile_lookup)(void *ctx, const char *qname, uint16_t qtype);

/* An extra range counted as private (MX_TARGET_PRIVATE_ADDRESS). */
typedef struct profile_range {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network address */
    unsigned prefix;        /* prefix length */
} profile_range;

/* What one run of the profile needs. */
typedef struct profile_input {
    const char *domain;                 /* the mail domain checked */
    const char *resolver;               /* the resolver's name, for findings */
    profile_lookup lookup;              /* where answers come from */
    void *lookup_ctx;                   /* passed to lookup */
    const profile_range *extra_private; /* more private ranges (option) */
    size_t n_extra_private;             /* count */
} profile_input;

/*
 * Run the mail-health checks of one domain at one resolver, appending
 * findings to out. Returns true when complete; false when some answers were
 * missing (out then holds nothing new: the driver asks and runs again).
 */
bool profile_mail_run(const profile_input *in, findings_t *out);

#endif

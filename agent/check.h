/*
 * agent/check.h - one check of one domain at a set of resolvers.
 *
 * A check asks the requested record types at every resolver it names
 * ("local", "auth", or an address), runs the mail-health profile when asked
 * to, and ends with observations and findings. It is driven by the engine's
 * callbacks in rounds: each round runs the profile and the authoritative
 * discovery with the answers at hand; the questions they lacked are asked
 * all at once, and the next round starts when the last answer arrives. A
 * round that lacks nothing is the last.
 *
 * The whole check has a deadline. Questions not answered by then become
 * observations with the failure class "incomplete", the check is marked
 * incomplete and a CHECK_INCOMPLETE finding says what was cut.
 */
#ifndef VANTAGE_AGENT_CHECK_H
#define VANTAGE_AGENT_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/answer.h"
#include "agent/dnsq.h"
#include "agent/findings.h"
#include "agent/profile.h"

#define CHECK_TYPES_MAX     32
#define CHECK_RESOLVERS_MAX 32

/* What to check. Strings are copied by check_new(). */
typedef struct check_spec {
    const char *domain;                         /* domain name */
    uint16_t types[CHECK_TYPES_MAX];            /* record types asked at every resolver */
    size_t n_types;                             /* count */
    bool mail;                                  /* run the mail-health profile */
    const char *resolvers[CHECK_RESOLVERS_MAX]; /* "local", "auth" or ADDR[:PORT] */
    size_t n_resolvers;                         /* count; 0 = "local" */
    unsigned deadline_ms;                       /* for the whole check */
    const profile_range *extra_private;         /* more private ranges (borrowed) */
    size_t n_extra_private;                     /* count */
} check_spec;

typedef struct check check_t;

/* Called once when the check has ended (complete or cut by its deadline). */
typedef void (*check_done_cb)(void *arg, check_t *check);

/*
 * A new check on engine; NULL with err filled when the spec is wrong (a
 * resolver that is not an address, a bad domain name). Nothing is sent
 * until check_start().
 */
check_t *check_new(dnsq_t *engine, const check_spec *spec, check_done_cb cb, void *arg, char *err,
                   size_t errlen);

/* Send the first round. */
void check_start(check_t *self);

/* Cut the check short if its deadline has passed; true when it has ended. */
bool check_poll_deadline(check_t *self);

/* Milliseconds until the deadline (0 when passed). */
long check_deadline_in_ms(const check_t *self);

/* True when the check has ended. */
bool check_done(const check_t *self);

/* True when the deadline cut it short. */
bool check_incomplete(const check_t *self);

/* Every observation of the check, in the order asked (borrowed). */
const answer_t *check_answer(const check_t *self, size_t i);
size_t check_answer_count(const check_t *self);

/* The findings (borrowed). */
const findings_t *check_findings(const check_t *self);

/* The spec's domain in canonical form. */
const char *check_domain(const check_t *self);

/* Names of the resolvers asked, in order (for output). */
size_t check_resolver_count(const check_t *self);
const char *check_resolver_name(const check_t *self, size_t i);
const char *check_resolver_kind(const check_t *self, size_t i);

/* The zone apex found for auth discovery, or NULL (borrowed). */
const char *check_apex(const check_t *self);

/* Queries this check sent. */
size_t check_queries(const check_t *self);

/* Stop (cancelling what is in flight) and free. */
void check_destroy(check_t **self_p);

#endif

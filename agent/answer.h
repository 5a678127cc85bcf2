/*
 * agent/answer.h - one answer from one resolver, as the profile code sees it.
 *
 * An answer pairs the observation that goes on the wire (proto_obs: rcode,
 * flags, canonical RR set, TTLs, failure class, ...) with the parsed packet,
 * so checks can read records with ldns. Strings of obs live in the arena of
 * the check that asked; the packet is owned by the answer.
 */
#ifndef VANTAGE_AGENT_ANSWER_H
#define VANTAGE_AGENT_ANSWER_H

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/msg.h"

/* One answer. */
typedef struct answer {
    proto_obs obs; /* the observation; obs.fail != PROTO_FAIL_NONE when unusable */
    ldns_pkt *pkt; /* parsed answer (owned), NULL when there is none */
} answer_t;

/* What the engine hands over with a raw answer. */
typedef struct answer_raw {
    const uint8_t *wire; /* raw DNS message, NULL when none arrived */
    size_t len;          /* its length */
    int ares_status;     /* c-ares status of the query */
    bool tcp;            /* the answer came over TCP */
    bool tc_seen;        /* a truncated UDP answer came first */
    uint32_t rtt_us;     /* round-trip time */
    int64_t t_ms;        /* when it arrived, ms since the epoch */
} answer_raw;

/*
 * Fill ans from a raw answer to (qname, qtype) sent to resolver (name, kind,
 * server host name or NULL). Never fails on hostile input: what cannot be
 * parsed, or answers another question, is PROTO_FAIL_MALFORMED. Returns -1
 * only when out of memory. Strings go to arena; release with answer_clear().
 */
int answer_from_raw(answer_t *ans, const answer_raw *raw, const char *qname, uint16_t qtype,
                    const char *resolver, const char *kind, const char *server, arena_t *arena);

/* Free the packet; obs strings stay in their arena. */
void answer_clear(answer_t *ans);

/* True when the answer is usable and NOERROR. */
bool answer_ok(const answer_t *ans);

/* True for NXDOMAIN (the name does not exist). */
bool answer_nxdomain(const answer_t *ans);

/* True for NOERROR with no record of qtype at the end of the CNAME chain (NODATA). */
bool answer_nodata(const answer_t *ans);

/*
 * Records of the answer section of type `type` owned by the end of the CNAME
 * chain that starts at the question name (a new list the caller frees with
 * ldns_rr_list_deep_free; NULL when there are none or no packet).
 */
ldns_rr_list *answer_records(const answer_t *ans, ldns_rr_type type);

/*
 * The CNAME the question name points at (first link of the chain), as a
 * malloced presentation string the caller frees; NULL when there is none.
 */
char *answer_cname_target(const answer_t *ans);

#endif

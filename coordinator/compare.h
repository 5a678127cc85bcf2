/*
 * coordinator/compare.h - one question seen from every vantage point: group
 * the answers, decide which one is current, and say why the others differ.
 *
 * Pure: no store, no I/O, no clock reads. The caller hands in the latest
 * observation of every vantage point (agent x resolver, the authoritative
 * servers included) for one (qname, qtype), the coordinator's "now" and a
 * margin; compare_run() returns the state, the groups of vantage points by
 * answer and one cause per vantage point that is not on the current answer.
 *
 * Answer of a vantage point (its group key): fail != 0 is a failure, not an
 * answer (grouped by fail class); fail == 0 with an rcode other than NOERROR
 * or NXDOMAIN counts as the failure "other"; NXDOMAIN (with its RR set, often
 * empty) is one answer; NOERROR with an empty RR set is NODATA; else the
 * canonical RR set text. Two answers are equal when kind and text are.
 *
 * Current answer: what the authoritative vantage points (kind "auth") with
 * the newest SOA serial serve, the newest taken by RFC 1982 serial_max()
 * over every auth vantage point that answers and carries a serial. When
 * those top-serial servers serve different data the current answer is
 * disputed (every answer they serve counts as current for the others) and
 * the state is inconsistent. When no auth vantage point carries a serial, or
 * the serials have no newest, the current answer is undecided: if every
 * answering vantage point not explained by a lagging server (below) agrees,
 * that is fine; otherwise inconsistent ("no authoritative answer to decide
 * which is current", or "authoritative serials have no newest").
 *
 * Cause of a vantage point off the current answer, first that applies:
 *   1. it is an auth server with an older serial: lagging_auth;
 *   2. its answer equals what a lagging auth server serves (geo: one of
 *      its own region): behind_lagging_auth;
 *   3. NXDOMAIN/NODATA with a negative TTL whose expiry (observation time on
 *      the coordinator clock + neg_ttl) is after now - margin: negative_cache;
 *   4. a TTL whose expiry (observation time + ttl_min) is after now - margin:
 *      resolver_cache;
 *   5. otherwise stuck: the difference outlives its TTL plus the margin.
 * Auth servers do not cache: an auth vantage point off the current answer
 * is lagging (1) or, without a serial, auth_no_serial; never 2-5. In an
 * undecided scope every auth vantage point with an older serial than the
 * newest is lagging and rule 2 applies; nothing else gets a cause.
 * Observation time on the coordinator clock = obs.t_ms - clock_offset_ms.
 *
 * States, in precedence: inconsistent (auth_disagree, stuck, no_current,
 * serial_undefined or auth_no_serial) > propagating (lagging_auth,
 * behind_lagging_auth, negative_cache, resolver_cache) > failing (a failure)
 * > consistent. Failures are always listed among the causes, whatever the
 * state. No vantage point at all: unknown.
 *
 * geo: answers may legitimately differ by region. Then every region (NULL
 * region: one more region of its own) is compared on its own, its auth
 * vantage points included, since geo DNS answers by where the question
 * comes from: the newest serial is still taken over all regions, the
 * current answer of a region is what that region's auth vantage points at
 * that serial serve (none there: the region is undecided, as above), and
 * groups are per (region, answer). Differences between regions are never a
 * cause. The summary says so.
 *
 * Memory: the result and everything it points to (strings included, nothing
 * borrowed from the input) are allocated in the caller's arena, which is
 * also the scratch space (O(n)); the caller frees all with arena_destroy().
 * On error some of the arena may be used, *out is NULL.
 */
#ifndef VANTAGE_COORDINATOR_COMPARE_H
#define VANTAGE_COORDINATOR_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/msg.h"

/* Most vantage points in one comparison. */
#define COMPARE_MAX_VPS 4096
/* The margin the coordinator uses unless configured otherwise. */
#define COMPARE_MARGIN_MS 2000
/* Index value meaning "no vantage point" or "no group". */
#define COMPARE_NONE ((size_t)-1)

typedef enum compare_status {
    COMPARE_OK = 0,           /* success */
    COMPARE_ERR_INVAL = 1,    /* NULL arena/out/opts, vps NULL with n > 0, a NULL obs,
                                 negative margin */
    COMPARE_ERR_TOO_MANY = 2, /* more than COMPARE_MAX_VPS vantage points */
    COMPARE_ERR_NOMEM = 3,    /* the arena ran out of memory */
} compare_status;

/* Overall state of one question. */
typedef enum compare_state {
    COMPARE_CONSISTENT = 0,   /* one answer everywhere, no failures */
    COMPARE_PROPAGATING = 1,  /* others on older answers, all explained */
    COMPARE_FAILING = 2,      /* some fail; the answering ones are consistent */
    COMPARE_INCONSISTENT = 3, /* auth disagree, a stuck difference, or none to decide */
    COMPARE_UNKNOWN = 4,      /* no vantage point at all */
} compare_state;

/* What kind of answer a group holds. */
typedef enum compare_answer_kind {
    COMPARE_ANS_RRSET = 0,    /* NOERROR with records */
    COMPARE_ANS_NODATA = 1,   /* NOERROR, no records */
    COMPARE_ANS_NXDOMAIN = 2, /* NXDOMAIN */
    COMPARE_ANS_FAILURE = 3,  /* no answer: fail class in fail */
} compare_answer_kind;

/* The answer key of a vantage point. */
typedef struct compare_answer {
    compare_answer_kind kind; /* kind of answer */
    const char *rrset;        /* canonical RR set text ("" when none) */
    uint8_t fail;             /* COMPARE_ANS_FAILURE: the proto_fail class; else 0 */
    const char *label;        /* one line: "MX 10 mx.example.", "NXDOMAIN", "failure: timeout" */
} compare_answer;

/* Standing of a group. */
typedef enum compare_group_status {
    COMPARE_GROUP_CURRENT = 0,  /* the answer of the newest auth servers */
    COMPARE_GROUP_AGREED = 1,   /* undecided scope, but everyone unexplained agrees on it */
    COMPARE_GROUP_DISPUTED = 2, /* top auth servers disagree, or undecided and not agreed */
    COMPARE_GROUP_OLD = 3,      /* off current, every member explained (propagating) */
    COMPARE_GROUP_STUCK = 4,    /* off current, some member not explained (inconsistent) */
    COMPARE_GROUP_FAILING = 5,  /* failures, not an answer */
} compare_group_status;

/* Why a vantage point is off the current answer, or another finding. */
typedef enum compare_cause_kind {
    COMPARE_CAUSE_FAILURE = 0,          /* no answer (fail class, EDE) */
    COMPARE_CAUSE_AUTH_DISAGREE = 1,    /* a top-serial auth server, among others that differ */
    COMPARE_CAUSE_LAGGING_AUTH = 2,     /* an auth server with an older serial */
    COMPARE_CAUSE_BEHIND_LAGGING = 3,   /* serves what a lagging auth server serves */
    COMPARE_CAUSE_NEGATIVE_CACHE = 4,   /* NXDOMAIN/NODATA in a negative cache */
    COMPARE_CAUSE_RESOLVER_CACHE = 5,   /* an older answer in a resolver cache */
    COMPARE_CAUSE_STUCK = 6,            /* an older answer past its TTL plus the margin */
    COMPARE_CAUSE_NO_CURRENT = 7,       /* no auth serial to decide between answers (vp NONE) */
    COMPARE_CAUSE_SERIAL_UNDEFINED = 8, /* auth serials have no newest (vp NONE) */
    COMPARE_CAUSE_AUTH_NO_SERIAL = 9,   /* an auth server without serial serves another answer */
} compare_cause_kind;

/* One vantage point as the caller hands it in; everything borrowed. */
typedef struct compare_vp {
    const char *agent;       /* agent id */
    const char *region;      /* the agent's region, or NULL when unknown */
    const proto_obs *obs;    /* its latest observation of the question */
    int64_t clock_offset_ms; /* agent clock minus coordinator clock (0 when unknown) */
} compare_vp;

/* Parameters of one comparison. */
typedef struct compare_opts {
    int64_t now_ms;    /* now, coordinator clock, ms since the epoch */
    int64_t margin_ms; /* grace after a TTL runs out (COMPARE_MARGIN_MS), >= 0 */
    bool geo;          /* answers may differ by region: compare within regions only */
} compare_opts;

/* The vantage points that share one answer (in one region when geo). */
typedef struct compare_group {
    compare_answer answer;       /* the answer they share */
    const char *region;          /* geo: the region (NULL: unknown region); else NULL */
    compare_group_status status; /* standing of the answer */
    bool current;                /* status is CURRENT, or DISPUTED among top auth servers */
    size_t *members;             /* indexes into the input, ascending */
    size_t n_members;            /* count of members */
} compare_group;

/* One cause: why a vantage point differs, fails, or why nothing is decided. */
typedef struct compare_cause {
    compare_cause_kind kind; /* what it is */
    size_t vp;            /* index into the input, COMPARE_NONE for NO_CURRENT/SERIAL_UNDEFINED */
    size_t group;         /* group of vp, COMPARE_NONE when vp is */
    const char *agent;    /* agent of vp, or NULL */
    const char *region;   /* region of vp, or of the scope (geo); NULL when unknown */
    const char *resolver; /* resolver of vp (auth: the server's address), or NULL */
    int64_t remaining_ms; /* caches: time left (>= 0); stuck: since it ran out (< 0) */
    int64_t eta_ms;       /* caches: expiry; stuck: when it ran out; coordinator clock */
    bool has_eta;         /* remaining_ms and eta_ms are set (stuck: when it had a TTL) */
    uint32_t serial;      /* lagging/behind/disagree: the auth server's serial */
    bool has_serial;      /* serial is set */
    const char *server;   /* lagging/behind/disagree/no-serial: auth host name, or NULL */
    const char *server_addr; /* ... and its address, or NULL */
    size_t server_vp;        /* behind_lagging: the lagging auth vantage point; else NONE */
    uint8_t fail;            /* failure: the proto_fail class */
    uint16_t ede;            /* failure: first EDE code */
    bool has_ede;            /* ede is set */
    const char *ede_text;    /* failure: EXTRA-TEXT of the first EDE, or NULL */
    const char *text;        /* one sentence for a person, relative times only */
} compare_cause;

/* What compare_run() found; everything in the caller's arena. */
typedef struct compare_result {
    compare_state state;    /* overall state */
    bool geo;               /* compared per region */
    size_t n_vps;           /* vantage points in the input */
    size_t n_answering;     /* of those, with an answer (not failing) */
    size_t n_failing;       /* of those, failing */
    size_t n_off_current;   /* answering, with a cause of their own (not a failure) */
    bool current_decided;   /* not geo, and one current answer: current is set */
    compare_answer current; /* the current answer when current_decided */
    size_t current_group;   /* its group, or COMPARE_NONE */
    uint32_t serial;        /* newest SOA serial of the auth vantage points */
    bool has_serial;        /* serial is set */
    bool serial_undefined;  /* auth serials exist but have no newest (RFC 1982) */
    compare_group *groups;  /* answers before failures; geo: by region; current first,
                               then biggest */
    size_t n_groups;        /* count of groups */
    size_t *vp_group;       /* n_vps entries: the group of each vantage point */
    compare_cause *causes;  /* inconsistent, then propagating, then failures; in each,
                               vp NONE first, then by vp */
    size_t n_causes;        /* count of causes */
    uint32_t max_ttl_s;     /* largest TTL or negative TTL among the answers */
    bool has_max_ttl;       /* max_ttl_s is set */
    int64_t longest_ms;     /* longest remaining_ms of the cache causes, 0 when none */
    const char *summary;    /* one line: "propagating: 2 of 9 vantage points ..." */
} compare_result;

/*
 * Compare the n vantage points vps (one question; each the latest
 * observation of one agent x resolver). 0 (COMPARE_OK) with *out set, its
 * memory in arena; or an error status with *out NULL.
 */
compare_status compare_run(const compare_vp *vps, size_t n, const compare_opts *opts,
                           arena_t *arena, compare_result **out);

/* Short English text for a status, for logs. */
const char *compare_status_str(compare_status status);

/* "consistent", "propagating", "failing", "inconsistent", "unknown". */
const char *compare_state_name(compare_state state);

/*
 * Monitoring-plugin exit code of a state: consistent 0, propagating and
 * failing 1 (warning), inconsistent 2 (critical), unknown 3.
 */
int compare_state_exit_code(compare_state state);

/* "rrset", "nodata", "nxdomain", "failure". */
const char *compare_answer_kind_name(compare_answer_kind kind);

/* "current", "agreed", "disputed", "old", "stuck", "failing". */
const char *compare_group_status_name(compare_group_status status);

/*
 * Stable word of a cause kind, for JSON: "failure", "auth_disagree",
 * "lagging_auth", "behind_lagging_auth", "negative_cache", "resolver_cache",
 * "stuck", "no_current", "serial_undefined", "auth_no_serial".
 */
const char *compare_cause_kind_name(compare_cause_kind kind);

/* "timeout", "refused", "servfail", "network", "malformed", "other", "incomplete"; "none" for 0. */
const char *compare_fail_name(uint8_t fail);

#endif

/*
 * proto/msg.h - the message catalogue: every message type and its body.
 *
 * Bodies are msgpack maps (see proto/schema.h): a reader ignores keys it does
 * not know, so a newer peer may add fields without a version change. Optional
 * scalars have a has_* flag; optional strings are NULL when absent. Decoded
 * messages keep all their strings and arrays in the arena of their
 * proto_msg; proto_msg_clear() frees them.
 *
 * docs/protocol.md documents every message and field; keep it in step.
 */
#ifndef VANTAGE_PROTO_MSG_H
#define VANTAGE_PROTO_MSG_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/schema.h"
#include "proto/status.h"

/* Protocol versions this build speaks and accepts. */
#define PROTO_VERSION     1
#define PROTO_VERSION_MIN 1
#define PROTO_VERSION_MAX 1

/* Limits that hold for every frame. */
#define PROTO_FRAME_MAX (1024 * 1024) /* bytes in one envelope */
#define PROTO_DEPTH_MAX 16            /* nested arrays/maps */
#define PROTO_ITEMS_MAX 131072        /* msgpack objects in one frame */
#define PROTO_ID_MAX    63            /* agent and coordinator ids, bytes */
#define PROTO_NAME_MAX  1024          /* DNS names and other short strings */
#define PROTO_TEXT_MAX  65535         /* free text and canonical RR sets */
#define PROTO_BATCH_MAX 4096          /* observations or findings in one RESULTS */
#define PROTO_SMTP_MAX  256           /* SMTP probes in one RESULTS */

/* Longest strings of an SMTP probe, bytes. */
#define PROTO_SMTP_ADDR_MAX     64   /* addr: an IPv6 address is at most 45 */
#define PROTO_SMTP_GREETING_MAX 512  /* greeting and greet_name */
#define PROTO_SMTP_TLS_MAX      32   /* tls_version */
#define PROTO_SMTP_CERT_MAX     1024 /* cert_names */
#define PROTO_SMTP_DETAIL_MAX   256  /* detail */
#define PROTO_SMTP_CODE_MAX     999  /* code: a three-digit reply code */

/* Message types; the numbers are on the wire and never reused. */
typedef enum proto_type {
    PROTO_HELLO = 1,     /* agent -> coordinator, after every (re)connect */
    PROTO_WELCOME = 2,   /* coordinator -> agent, answer to HELLO */
    PROTO_PLAN = 3,      /* coordinator -> agent, the monitors to run */
    PROTO_CHECK = 4,     /* coordinator -> agent, an on-demand check */
    PROTO_RESULTS = 5,   /* agent -> coordinator, a batch of observations */
    PROTO_ACK = 6,       /* coordinator -> agent, a batch is stored */
    PROTO_HEARTBEAT = 7, /* both ways, liveness and clock offset */
    PROTO_TRACK = 8,     /* coordinator -> agent, follow a change until it has spread */
} proto_type;

#define PROTO_TYPE_FIRST PROTO_HELLO
#define PROTO_TYPE_LAST  PROTO_TRACK

/* One resolver an agent can ask. */
typedef struct proto_resolver {
    const char *name; /* what checks call it: "local", "auth", "127.0.11.1:5301" */
    const char *addr; /* address[:port] it sends to; NULL for "auth" */
    const char *kind; /* "local", "public" or "auth" */
} proto_resolver;

/* HELLO: who the agent is. */
typedef struct proto_hello {
    const char *agent_id;      /* same as the envelope sender */
    const char *region;        /* the agent's region */
    const char *software;      /* software version, e.g. "0.1.0" */
    uint32_t proto_min;        /* lowest protocol version it accepts */
    uint32_t proto_max;        /* highest protocol version it accepts */
    proto_resolver *resolvers; /* resolvers it has */
    size_t n_resolvers;        /* count of resolvers */
    uint64_t next_seq;         /* the sequence number it will use next */
    uint64_t spool_backlog;    /* batches waiting in its spool */
    uint64_t spool_dropped;    /* batches dropped from a full spool since the last HELLO */
    int64_t started_ms;        /* when the agent process started, agent clock */
} proto_hello;

/* WELCOME: what the coordinator has stored of this agent. */
typedef struct proto_welcome {
    const char *agent_id;    /* the agent being welcomed */
    uint64_t highest_seq;    /* highest sequence number stored from it */
    bool has_highest_seq;    /* false when nothing is stored yet */
    uint64_t stored_batches; /* batches stored from it in all */
    uint32_t heartbeat_ms;   /* the heartbeat interval the agent should use */
    uint32_t proto_version;  /* the protocol version the coordinator will send */
} proto_welcome;

/* One monitor of a PLAN. */
typedef struct proto_monitor {
    const char *name;       /* monitor name, unique within the plan */
    const char *qname;      /* domain name checked */
    const char **types;     /* record type names ("MX", "A", ...) */
    size_t n_types;         /* count of types */
    const char *profile;    /* "mail" or NULL */
    const char **resolvers; /* resolver names: "local", "auth", "ADDR[:PORT]" */
    size_t n_resolvers;     /* count of resolvers */
    uint32_t interval_s;    /* seconds between runs */
    bool geo;               /* answers may differ by region */
    bool smtp;              /* probe SMTP on every address of every MX host (mail profile) */
} proto_monitor;

/* PLAN: the whole set of monitors an agent runs; replaces the previous one. */
typedef struct proto_plan {
    uint64_t generation;     /* increases with every config change */
    proto_monitor *monitors; /* the monitors */
    size_t n_monitors;       /* count of monitors */
} proto_plan;

/* CHECK: run one check now and answer with RESULTS carrying check_id. */
typedef struct proto_check {
    uint64_t check_id;      /* chosen by the coordinator, echoed in RESULTS */
    const char *qname;      /* domain name */
    const char **types;     /* record type names */
    size_t n_types;         /* count of types */
    const char *profile;    /* "mail" or NULL */
    const char **resolvers; /* resolver names; none = the agent's defaults */
    size_t n_resolvers;     /* count of resolvers */
    uint32_t deadline_ms;   /* the whole check must end within this */
    bool smtp;              /* probe SMTP on every address of every MX host (mail profile) */
} proto_check;

/*
 * TRACK: ask one question at every resolver (and authoritative server) again
 * and again until each one shows the expected answer or the deadline passes.
 * A resolver still holding another answer is asked again when its remaining
 * TTL runs out (plus a small margin), one already on the expected answer
 * every interval_s, to see it flip back. Answers come back as RESULTS with
 * track_id, one batch per answer.
 */
typedef struct proto_track {
    uint64_t track_id;      /* chosen by the coordinator, echoed in RESULTS */
    const char *qname;      /* the name */
    const char *qtype;      /* the record type name */
    const char **resolvers; /* resolver names; none = local and auth */
    size_t n_resolvers;     /* count of resolvers */
    const char *expect;     /* expected canonical RR set text ("" = empty), or NULL */
    uint32_t expect_serial; /* or: an SOA serial at least this (RFC 1982) */
    bool has_expect_serial; /* expect_serial is set */
    uint32_t interval_s;    /* longest time between two asks of one resolver */
    uint32_t duration_s;    /* stop after this long */
} proto_track;

/* Why an observation has no usable answer. */
typedef enum proto_fail {
    PROTO_FAIL_NONE = 0,      /* an answer (NOERROR or NXDOMAIN) */
    PROTO_FAIL_TIMEOUT = 1,   /* no answer within the tries */
    PROTO_FAIL_REFUSED = 2,   /* REFUSED */
    PROTO_FAIL_SERVFAIL = 3,  /* SERVFAIL */
    PROTO_FAIL_NETWORK = 4,   /* could not send: unreachable, connection refused */
    PROTO_FAIL_MALFORMED = 5, /* the answer could not be parsed or did not match */
    PROTO_FAIL_OTHER = 6,     /* another rcode (NOTIMP, FORMERR, ...) */
    PROTO_FAIL_INCOMPLETE = 7 /* the check's deadline passed first */
} proto_fail;

/* Header flags of an observation. */
#define PROTO_FLAG_AA 0x01 /* authoritative answer */
#define PROTO_FLAG_AD 0x02 /* authenticated data */
#define PROTO_FLAG_TC 0x04 /* truncated (seen on UDP, before any TCP retry) */
#define PROTO_FLAG_RA 0x08 /* recursion available */

/* One answer to one question from one resolver. */
typedef struct proto_obs {
    int64_t t_ms;         /* when the answer arrived, agent clock, ms since the epoch */
    const char *resolver; /* resolver name as in HELLO, or the auth server's address */
    const char *kind;     /* "local", "public" or "auth" */
    const char *server;   /* auth: the name server's host name; else NULL */
    const char *nsid;     /* NSID the server returned (RFC 5001), or NULL */
    const char *qname;    /* question name, canonical (lower case, trailing dot) */
    uint16_t qtype;       /* question type number */
    uint8_t rcode;        /* DNS rcode */
    uint8_t flags;        /* PROTO_FLAG_* */
    uint8_t transport;    /* 0 UDP, 1 TCP */
    uint8_t fail;         /* proto_fail */
    const char *rrset;    /* canonical answer RR set (common/rrset.h), "" when empty */
    uint32_t ttl_min;     /* smallest remaining TTL of the answer */
    bool has_ttl;         /* ttl_min is set */
    uint32_t soa_serial;  /* serial of an SOA in the answer or authority section */
    bool has_soa_serial;  /* soa_serial is set */
    uint32_t neg_ttl;     /* remaining negative-caching TTL (RFC 2308 §3) */
    bool has_neg_ttl;     /* neg_ttl is set */
    uint16_t *ede;        /* Extended DNS Error codes (RFC 8914) */
    size_t n_ede;         /* count of ede */
    const char *ede_text; /* EXTRA-TEXT of the first EDE, or NULL */
    uint32_t rtt_us;      /* round-trip time in microseconds */
} proto_obs;

/* Severity of a finding; also the monitoring-plugin exit code. */
typedef enum proto_severity {
    PROTO_SEV_INFO = 0,
    PROTO_SEV_WARNING = 1,
    PROTO_SEV_CRITICAL = 2,
} proto_severity;

/* One finding of a profile. */
typedef struct proto_finding {
    const char *code;     /* stable code, e.g. "MX_TARGET_CNAME" (docs/checks.md) */
    uint8_t severity;     /* proto_severity */
    const char *name;     /* the DNS name it concerns */
    const char *message;  /* a sentence a person understands */
    const char *resolver; /* resolver it was seen at, or NULL when not one */
} proto_finding;

/* Outcome of one SMTP probe. */
typedef enum proto_smtp_status {
    PROTO_SMTP_OK = 0,           /* greeting 220, EHLO answered, QUIT sent */
    PROTO_SMTP_REFUSED = 1,      /* connection refused (RST) */
    PROTO_SMTP_TIMEOUT = 2,      /* connect, greeting or a reply timed out (detail says which) */
    PROTO_SMTP_UNREACHABLE = 3,  /* no route, network/host unreachable, or administratively
                                    prohibited */
    PROTO_SMTP_CLOSED = 4,       /* the server closed the connection early */
    PROTO_SMTP_GREETING_BAD = 5, /* no 220: a 4xx/5xx or a reply that is not SMTP */
    PROTO_SMTP_PROTOCOL = 6,     /* a line too long, too many lines or bytes: cut */
    PROTO_SMTP_TLS_FAILED = 7,   /* STARTTLS refused or the handshake failed */
    PROTO_SMTP_ERROR = 8,        /* a local error (socket, memory) */
    PROTO_SMTP_SKIPPED = 9,      /* not probed: the per-host limit */
} proto_smtp_status;
#define PROTO_SMTP_STATUS_MAX 9

/* Capabilities and TLS facts of a probe (bit flags). */
#define PROTO_SMTP_EHLO       0x01 /* EHLO answered 250 */
#define PROTO_SMTP_STARTTLS   0x02 /* STARTTLS offered */
#define PROTO_SMTP_SIZE       0x04 /* SIZE offered (size_max, 0 = no limit given) */
#define PROTO_SMTP_TLS        0x08 /* a TLS handshake completed */
#define PROTO_SMTP_NAME_MATCH 0x10 /* a certificate name matches the MX host */
#define PROTO_SMTP_CHAIN_OK   0x20 /* the chain verified against the agent's CAs */

/* One SMTP probe of one address of one MX host. */
typedef struct proto_smtp {
    int64_t t_ms;            /* when the probe ended, agent clock, ms since the epoch */
    const char *host;        /* the MX host name, canonical (lower case, trailing dot) */
    const char *addr;        /* the address probed, text without brackets ("192.0.2.1",
                                "2001:db8::1"), <= PROTO_SMTP_ADDR_MAX bytes */
    uint16_t port;           /* 25 */
    uint8_t status;          /* proto_smtp_status */
    uint16_t code;           /* the greeting's reply code, 0 = none read */
    const char *greeting;    /* the greeting's first line (after the code), cleaned UTF-8,
                                <= 512 bytes, or NULL */
    const char *greet_name;  /* the host name the greeting announces (its first word),
                                <= 512 bytes, or NULL */
    uint8_t flags;           /* PROTO_SMTP_* bits */
    uint64_t size_max;       /* the SIZE value, 0 = none */
    const char *tls_version; /* "TLSv1.3", ... when a handshake completed, else NULL */
    const char *cert_names;  /* the leaf certificate's DNS names, comma separated,
                                <= 1024 bytes, or NULL */
    int64_t cert_not_after;  /* its notAfter, ms since the epoch, 0 = none */
    const char *detail;      /* what went wrong, one line <= 256 bytes, or NULL */
    uint32_t connect_us;     /* time to connect, microseconds, 0 = did not connect */
    uint32_t total_us;       /* the whole probe */
} proto_smtp;

/* RESULTS: a batch of observations and findings, one signature for all. */
typedef struct proto_results {
    uint64_t check_id;       /* the CHECK this answers, 0 for monitor runs */
    uint64_t track_id;       /* the TRACK this answers, 0 otherwise */
    const char *monitor;     /* monitor name, or NULL */
    bool incomplete;         /* the deadline cut the run short */
    proto_obs *obs;          /* observations */
    size_t n_obs;            /* count of obs */
    proto_finding *findings; /* findings */
    size_t n_findings;       /* count of findings */
    proto_smtp *smtp;        /* SMTP probes; absent on the wire = none */
    size_t n_smtp;           /* count of smtp, at most PROTO_SMTP_MAX */
} proto_results;

/* ACK: the batch with this sequence number is durably stored. */
typedef struct proto_ack {
    uint64_t seq;   /* the batch's sequence number */
    bool duplicate; /* it had been stored before */
} proto_ack;

/* HEARTBEAT: liveness, and timestamps for the clock offset (NTP style). */
typedef struct proto_heartbeat {
    int64_t echo_ts_ms;     /* send timestamp of the last heartbeat received from the peer */
    bool has_echo_ts;       /* echo_ts_ms is set */
    int64_t echo_rx_ms;     /* when that heartbeat arrived, this sender's clock */
    bool has_echo_rx;       /* echo_rx_ms is set; use the pair only when both are */
    uint64_t spool_backlog; /* agent: batches waiting in its spool */
} proto_heartbeat;

/* The fields every envelope carries besides the body. */
typedef struct proto_header {
    uint32_t version;                 /* protocol version of the envelope */
    uint32_t type;                    /* proto_type */
    char sender[PROTO_ID_MAX + 1];    /* sender id */
    char recipient[PROTO_ID_MAX + 1]; /* recipient id */
    uint64_t seq;                     /* sender's sequence number */
    int64_t ts_ms;                    /* send timestamp, sender clock, ms since the epoch */
} proto_header;

/* A decoded message. */
typedef struct proto_msg {
    proto_header hdr; /* envelope fields */
    union {
        proto_hello hello;
        proto_welcome welcome;
        proto_plan plan;
        proto_check check;
        proto_results results;
        proto_ack ack;
        proto_heartbeat heartbeat;
        proto_track track;
    } body;         /* by hdr.type */
    arena_t *arena; /* owns every string and array of body */
} proto_msg;

/* Schema of a message type's body, or NULL for an unknown type. */
const pschema *proto_msg_schema(uint32_t type);

/* "HELLO", ... or NULL for an unknown type. */
const char *proto_type_name(uint32_t type);

/* True for a valid identifier: 1..63 bytes of [A-Za-z0-9._-]. */
bool proto_id_ok(const char *id, size_t len);

/* Pack the body of the given type. */
proto_status proto_body_encode(uint32_t type, const void *body, msgpack_packer *pk,
                               proto_error *err);

/*
 * Decode a body of the given type into msg->body, allocating msg->arena.
 * On failure msg->arena is freed and the body left zeroed.
 */
proto_status proto_body_decode(uint32_t type, const msgpack_object *in, proto_msg *msg,
                               proto_error *err);

/*
 * Whether an observation shows what a TRACK expects: a usable answer and
 * either the SOA serial has_serial ? serial or newer (RFC 1982), or the
 * canonical RR set text expect with rcode NOERROR.
 */
bool proto_obs_matches(const proto_obs *o, const char *expect, bool has_serial, uint32_t serial);

/* Free what a decoded message owns; the struct may be reused. */
void proto_msg_clear(proto_msg *msg);

#endif

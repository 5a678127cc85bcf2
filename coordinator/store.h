/*
 * coordinator/store.h - the coordinator's persistence: the one interface every
 * coordinator module uses to keep agents, RESULTS batches (observations,
 * findings and SMTP probes) and monitors. (The schema also has tables for tracks; tracks
 * live in the coordinator's memory for now, coordinator/tracks.h.)
 *
 * The embedded backend is one SQLite file in WAL mode with synchronous=FULL,
 * so a batch is on disk when store_put_batches() returns 0 and may be acked.
 * Nothing of SQLite shows here, so a server database can be added behind the
 * same functions without touching ingest or comparison.
 *
 * For every vantage point (agent x resolver) and question the store keeps its
 * latest observation and the history of its answer's changes, so the
 * comparison reads them without scanning observations. Likewise for every
 * (MX host, address, port, agent) it keeps the latest SMTP probe.
 *
 * Duplicates are recognised by (agent, seq): a batch already stored is
 * reported as duplicate and not stored twice, and a lower seq never stored is
 * still accepted (there is no high-water mark). The highest stored seq and the
 * count of stored batches of each agent are kept with the agent, so they
 * outlive retention (store_purge()).
 *
 * Every function returns 0 on success or -1 with err filled with a message
 * that names the store file and what failed. A store_t is used by one thread
 * at a time; callbacks must not call into the same store.
 */
#ifndef VANTAGE_COORDINATOR_STORE_H
#define VANTAGE_COORDINATOR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/msg.h"

/* Schema version this build writes; store_open() migrates older files to it. */
#define STORE_SCHEMA_VERSION 2

typedef struct store store_t;

/* One RESULTS batch to store; everything borrowed from the caller. */
typedef struct store_batch {
    const char *agent_id;         /* the sending agent (the envelope sender) */
    uint64_t seq;                 /* the envelope's sequence number */
    int64_t received_ms;          /* when it arrived, coordinator clock */
    const proto_results *results; /* its body */
} store_batch;

/* What became of one batch of a store_put_batches() group. */
typedef struct store_put_result {
    bool duplicate; /* (agent, seq) was stored before: nothing written */
} store_put_result;

/* An agent as kept by the store. */
typedef struct store_agent {
    const char *id;          /* agent id */
    const char *region;      /* its region; upsert: NULL keeps the stored one */
    const char *software;    /* software version; upsert: NULL keeps the stored one */
    int64_t first_seen_ms;   /* first time seen (read only; 0: never) */
    int64_t last_seen_ms;    /* last message received; upsert: 0 keeps */
    int64_t last_hello_ms;   /* last HELLO received; upsert: 0 keeps */
    int64_t clock_offset_ms; /* agent clock minus coordinator clock */
    bool has_clock_offset;   /* clock_offset_ms is set; upsert: false keeps */
    uint64_t spool_backlog;  /* batches waiting in the agent's spool */
    bool has_spool_backlog;  /* spool_backlog is set; upsert: false keeps */
    bool up;                 /* heartbeats arrive; upsert: always written */
    uint64_t highest_seq;    /* highest stored seq (read only) */
    bool has_highest_seq;    /* false while nothing is stored (read only) */
    uint64_t stored_batches; /* batches stored in all (read only) */
} store_agent;

/* One monitor of the config, as store_monitors_sync() takes it; borrowed. */
typedef struct store_monitor {
    const char *name;             /* monitor name, unique */
    const char *qname;            /* domain checked */
    const char *const *types;     /* record type names */
    size_t n_types;               /* count of types */
    const char *profile;          /* "mail", or NULL or "" for none */
    const char *const *resolvers; /* resolver words: "local", "auth", ADDR[:PORT] */
    size_t n_resolvers;           /* count of resolvers */
    uint64_t interval_ms;         /* time between two runs */
    const char *const *agents;    /* agent ids; none: every agent */
    size_t n_agents;              /* count of agents */
    bool geo;                     /* answers may differ by region */
    bool smtp;                    /* SMTP probes of the MX hosts */
} store_monitor;

/* An observation as stored; strings valid during the callback only. */
typedef struct store_obs {
    const char *agent;   /* agent id */
    const char *region;  /* the agent's region, or NULL when unknown */
    uint64_t seq;        /* seq of the batch that carried it */
    int64_t received_ms; /* when that batch arrived, coordinator clock */
    proto_obs obs;       /* the observation itself, as the agent sent it */
} store_obs;

/* An SMTP probe as stored; strings valid during the callback only. */
typedef struct store_smtp {
    const char *agent;   /* agent id */
    const char *region;  /* the agent's region, or NULL when unknown */
    uint64_t seq;        /* seq of the batch that carried it */
    int64_t received_ms; /* when that batch arrived, coordinator clock */
    uint64_t check_id;   /* that batch's check_id: the CHECK it answered, 0 for a monitor run */
    const char *monitor; /* that batch's monitor, or NULL */
    proto_smtp probe;    /* the probe itself, as the agent sent it */
} store_smtp;

/* What store_count() counts. */
typedef enum store_what {
    STORE_BATCHES = 0,      /* stored batches (present, not purged) */
    STORE_OBSERVATIONS = 1, /* observations */
    STORE_FINDINGS = 2,     /* findings */
    STORE_AGENTS = 3,       /* agents (agent filter ignored) */
    STORE_MONITORS = 4,     /* monitors (agent filter ignored) */
    STORE_SMTP = 5,         /* SMTP probes */
} store_what;

/* Rows removed by store_purge(). */
typedef struct store_purged {
    uint64_t batches;      /* batches */
    uint64_t observations; /* observations */
    uint64_t findings;     /* findings */
    uint64_t smtp;         /* SMTP probes */
} store_purged;

/*
 * Callbacks return 0 to go on; anything else stops the walk (not an error).
 * What they get is valid during the call only.
 */
typedef int (*store_agent_fn)(void *ctx, const store_agent *agent);
typedef int (*store_obs_fn)(void *ctx, const store_obs *obs);
typedef int (*store_smtp_fn)(void *ctx, const store_smtp *probe);

/*
 * Open (creating it if needed) the store file at path and bring its schema to
 * STORE_SCHEMA_VERSION, one transaction per migration step. A file written
 * by a newer build, a file that is not an SQLite database and a database of
 * another application are refused and left untouched. 0 with *out set
 * (caller frees with store_close()), or -1 with err filled and *out NULL.
 */
int store_open(const char *path, store_t **out, char *err, size_t errlen);

/* Close the store and set *self_p to NULL; NULL is fine. */
void store_close(store_t **self_p);

/* The file the store was opened from; borrowed from self. */
const char *store_path(const store_t *self);

/*
 * Store n RESULTS batches in one transaction, durable on return. results
 * (n entries) says for each whether it was a duplicate: one already stored,
 * or an earlier entry of the same group. On any error nothing of the group
 * is stored, -1 is returned and results is undefined. The caller's strings
 * only need to live for the call.
 */
int store_put_batches(store_t *self, const store_batch *batches, size_t n,
                      store_put_result *results, char *err, size_t errlen);

/*
 * Keep at most max series (vantage point x question) in memory, so that
 * storing another observation of one of them needs no read of the file
 * (coordinator/store.c says how the copies stay right); 0: none. The default
 * is 262144 (about 30 MB when full). What is cached now is dropped.
 */
void store_series_cache(store_t *self, size_t max);

/*
 * Read back the stored batch (agent, seq). 0 with *found set; when found,
 * *out and *received_ms are filled, every string and array of *out allocated
 * in arena (the caller's; it frees them with the arena).
 */
int store_batch_get(store_t *self, const char *agent, uint64_t seq, arena_t *arena,
                    proto_results *out, int64_t *received_ms, bool *found, char *err,
                    size_t errlen);

/*
 * What the store holds of agent (for WELCOME): its highest stored seq (*has
 * false when none) and how many batches were stored from it in all. Any of
 * the out pointers may be NULL.
 */
int store_agent_highest_seq(store_t *self, const char *agent, uint64_t *seq, bool *has,
                            uint64_t *batches, char *err, size_t errlen);

/* Create or update an agent (HELLO, heartbeat, up/down); see store_agent. */
int store_agent_upsert(store_t *self, const store_agent *agent, char *err, size_t errlen);

/* Call fn for every agent, in id order (vantagectl agents). */
int store_agents_list(store_t *self, store_agent_fn fn, void *ctx, char *err, size_t errlen);

/* Replace the monitors with these n, tagged with the config generation. */
int store_monitors_sync(store_t *self, const store_monitor *monitors, size_t n, uint64_t generation,
                        char *err, size_t errlen);

/*
 * Retention: remove the batches received before older_than_ms, with their
 * observations, findings and SMTP probes, in one transaction. Agents (and their highest
 * seq) are kept. *purged may be NULL.
 */
int store_purge(store_t *self, int64_t older_than_ms, store_purged *purged, char *err,
                size_t errlen);

/* Rows of one kind, of one agent or (agent NULL) in all. */
int store_count(store_t *self, store_what what, const char *agent, uint64_t *n, char *err,
                size_t errlen);

/*
 * For the question (qname, qtype), call fn with the latest observation (by
 * the agent's observation time; equal times: the one stored last) of every
 * vantage point (agent x resolver), in (agent, resolver) order. A vantage
 * point whose latest observation was purged is not reported.
 */
int store_latest(store_t *self, const char *qname, uint16_t qtype, store_obs_fn fn, void *ctx,
                 char *err, size_t errlen);

/*
 * For the question (qname, qtype), call fn with every observation that
 * changed a vantage point's answer (rcode, failure class or RR set; the first
 * observation of a vantage point counts as one), observed at since_ms or
 * later (agent clock), oldest first. An observation that arrived after a
 * newer one of its vantage point (re-sent from a spool) is in the store but
 * not in this history.
 */
int store_history(store_t *self, const char *qname, uint16_t qtype, int64_t since_ms,
                  store_obs_fn fn, void *ctx, char *err, size_t errlen);

/*
 * The latest SMTP probe (by the agent's probe time; equal times: the one
 * stored last) of every (host, addr, port, agent) whose host is one of the
 * n_hosts hosts (each given once; canonical: lower case, trailing dot), or
 * of every host when hosts is NULL or n_hosts 0. In (host, addr, port,
 * agent) order, host in the order given. A probe purged by retention is not
 * reported.
 */
int store_smtp_latest(store_t *self, const char *const *hosts, size_t n_hosts, store_smtp_fn fn,
                      void *ctx, char *err, size_t errlen);

/*
 * Every stored SMTP probe of host probed at since_ms or later (agent clock),
 * oldest first (an index on (host, t_ms) keeps this cheap).
 */
int store_smtp_history(store_t *self, const char *host, int64_t since_ms, store_smtp_fn fn,
                       void *ctx, char *err, size_t errlen);

#endif

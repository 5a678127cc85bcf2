/*
 * tests/bench/bench_ingest.c - the coordinator's ingest rate next to raw
 * SQLite and libsodium, measured in the same run.
 *
 * A load generator for a running vantage-coord: K simulated agents, each a
 * DEALER socket of its own (its own TCP connection, allow-listed id and
 * Ed25519 key), in one thread of one process (the coordinator needs the
 * rest of the machine). Every agent says HELLO, then sends pre-built signed
 * RESULTS frames of 100 observations (seq 1, 2, ...) as fast as the
 * coordinator acks them, with at most W unacked; observations acked per
 * second are counted over SECS seconds after one second of warm-up. ACKs are
 * parsed but not verified (the generator must stay cheap).
 *
 * Then, in the same process:
 *   - the commit groups the coordinator made are read back from its store
 *     (every batch of one commit carries the same received_ms, so two
 *     commits within one millisecond would count as one: not at full load,
 *     where a commit takes hundreds of milliseconds);
 *   - raw SQLite: the same batches (regenerated) go into two fresh files of
 *     the same schema (made by store_open()) next to the coordinator's
 *     store, in the same groups, one transaction per group, WAL,
 *     synchronous=FULL, the store's page cache size and memory statistics
 *     off (as the store sets them), cached prepared statements (as in
 *     bench_store.c), the two taking turns group by group; the rates count
 *     the groups of the measured window:
 *       same writes  what the store writes, with its SQL: the batch row, the
 *                    observation rows, the series upkeep per observation
 *                    (read the series unless it is in memory, as the
 *                    store's series cache keeps it; then insert or update;
 *                    a changes row when the answer changed) and the agent's
 *                    row: the reference;
 *       rows only    the batch and observation rows alone (what SQLite
 *                    alone inserts), for comparison;
 *   - libsodium: crypto_sign_verify_detached() over the signed bytes of the
 *     same frames, one thread; and proto_open() (parse, verify, decode: what
 *     the coordinator does per frame) on the same frames.
 *
 * With -p PID (the coordinator's process id) the coordinator's CPU time in
 * the window is read from /proc, so CPU seconds per observation can be set
 * next to those of raw SQLite and libsodium: a comparison that other work on
 * the machine disturbs less than the rates.
 *
 *   bench_ingest [-k K] [-w W] [-t SECS] [-r RATE] [-p PID] ENDPOINT COORD_ID KEYDIR STORE
 *     KEYDIR holds bench-NN.key for NN = 00 .. K-1 (allow-listed as bench-NN);
 *     STORE is the coordinator's store file; RATE (observations a second,
 *     default 200000) sizes the pre-built frames.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "common/keyfile.h"
#include "coordinator/store.h"
#include "proto/envelope.h"
#include "tests/bench/benchref.h"

#define BI_OBS         100     /* observations per batch */
#define BI_DOMAINS     2500    /* domains monitored, 25 per batch */
#define BI_RESOLVERS   4       /* each domain asked at 4 resolvers */
#define BI_AGENTS_MAX  64      /* K at most */
#define BI_WARM_US     1000000 /* warm-up before the counted window */
#define BI_GROUP_MAX   1024    /* batches in one commit group, at most (PENDING_MAX is 256) */
#define BI_T0          1700000000000
#define BI_TMPFS_MAGIC 0x01021994

static const char *const bi_resolvers[BI_RESOLVERS] = {"local", "9.9.9.9", "192.0.2.53",
                                                       "198.51.100.53"};
static const char *const bi_kinds[BI_RESOLVERS] = {"local", "public", "auth", "auth"};
static const char *const bi_servers[BI_RESOLVERS] = {NULL, NULL, "ns1.example.net.",
                                                     "ns2.example.net."};

/* The names and answers every observation borrows. */
typedef struct bi_names {
    char qname[BI_DOMAINS][24];      /* "dom01234.example." */
    char rrset[BI_DOMAINS][112];     /* two MX lines */
    char rrset_alt[BI_DOMAINS][112]; /* the same domain's answer after a change */
} bi_names;

/* One simulated agent. */
typedef struct bi_agent {
    char id[16];                        /* bench-NN */
    unsigned char sk[KEYFILE_SK_BYTES]; /* its secret key */
    unsigned char pk[KEYFILE_PK_BYTES]; /* its public key, for proto_open() */
    void *sock;                         /* its DEALER */
    uint8_t **frames;                   /* frame i carries seq i + 1 */
    size_t *lens;                       /* their lengths */
    size_t n_frames;                    /* pre-built */
    size_t next;                        /* next frame to send */
    size_t inflight;                    /* sent, not acked */
    bool welcomed;                      /* WELCOME received */
    uint64_t acked;                     /* ACKs received */
    uint64_t dup;                       /* ACKs saying duplicate */
} bi_agent;

/* One batch the coordinator stored, as read back. */
typedef struct bi_stored {
    int agent;           /* index */
    uint64_t seq;        /* its seq */
    int64_t received_ms; /* its commit's time stamp */
} bi_stored;

/* The run: options, agents, and what was measured. */
typedef struct bi_bench {
    const char *endpoint;           /* the coordinator */
    const char *coord_id;           /* its id (recipient) */
    const char *store_path;         /* its store */
    size_t k;                       /* agents */
    size_t window;                  /* unacked batches per agent */
    double secs;                    /* measured seconds */
    double rate_max;                /* sizes the pre-built frames */
    bi_names *names;                /* shared strings */
    bi_agent agents[BI_AGENTS_MAX]; /* the first k are used */
    int64_t win_from_ms;            /* the measured window, wall clock: from */
    int64_t win_to_ms;              /* to (excluded) */
    uint64_t acked_window;          /* batches acked within the window */
    bool ran_out;                   /* an agent sent all its frames */
    long coord_pid;                 /* the coordinator's pid, 0: unknown */
    double coord_cpu[2];            /* its CPU seconds in the window: main thread, all threads */
} bi_bench;

static uint32_t bi_hash(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352d;
    x ^= x >> 15;
    x *= 0x846ca68b;
    x ^= x >> 16;
    return x;
}

static void bi_names_build(bi_names *n)
{
    for (int i = 0; i < BI_DOMAINS; i++) {
        const char *q = n->qname[i];
        snprintf(n->qname[i], sizeof n->qname[i], "dom%05d.example.", i);
        snprintf(n->rrset[i], sizeof n->rrset[i], "%s MX 10 mx1.%s\n%s MX 20 mx2.%s", q, q, q, q);
        snprintf(n->rrset_alt[i], sizeof n->rrset_alt[i], "%s MX 10 mx1.%s\n%s MX 30 mx3.%s", q, q,
                 q, q);
    }
}

/*
 * Batch seq of agent a: MX of 25 consecutive domains at 4 resolvers, the
 * window moving on with seq (from an offset of its own per agent). Every
 * 100 batches an agent has asked about every domain once: the first pass
 * makes the store's series (vantage point x question), later ones mostly
 * update them, and about one answer in 50 changes from one pass to the next.
 * Deterministic, so the raw SQLite side can store the very same rows.
 */
static void bi_fill(const bi_names *n, int a, uint64_t seq, proto_obs *obs, proto_results *r)
{
    size_t at = (size_t)a * 7919 + (size_t)(seq - 1) * (BI_OBS / BI_RESOLVERS);
    for (int i = 0; i < BI_OBS; i++) {
        size_t d = (at + (size_t)i / BI_RESOLVERS) % BI_DOMAINS;
        uint32_t pass = (uint32_t)((at + (size_t)i / BI_RESOLVERS) / BI_DOMAINS);
        bool alt = bi_hash((uint32_t)d ^ pass << 16) % 50 == 0;
        int res = i % BI_RESOLVERS;
        uint32_t h = bi_hash((uint32_t)(seq * BI_OBS + (uint64_t)i) ^ (uint32_t)a << 24);
        bool auth = res >= 2;
        obs[i] = (proto_obs){
            .t_ms = BI_T0 + (int64_t)seq * 1000 + i * 7,
            .resolver = bi_resolvers[res],
            .kind = bi_kinds[res],
            .server = bi_servers[res],
            .qname = n->qname[d],
            .qtype = 15,
            .flags = auth ? PROTO_FLAG_AA : PROTO_FLAG_RA,
            .rrset = alt ? n->rrset_alt[d] : n->rrset[d],
            .ttl_min = auth ? 3600 : 60 + h % 3540,
            .has_ttl = true,
            .rtt_us = 300 + h % 40000,
        };
    }
    *r = (proto_results){.monitor = "bench", .obs = obs, .n_obs = BI_OBS};
}

/* ---- pre-building the frames ----------------------------------------------------------- */

typedef struct bi_build_job {
    bi_bench *b;  /* the bench */
    size_t first; /* builds the frames of agents first, first + step, ... */
    size_t step;  /* the number of threads */
    bool ok;      /* every frame sealed */
} bi_build_job;

static void *bi_build_agents(void *arg)
{
    bi_build_job *j = arg;
    proto_obs obs[BI_OBS];
    proto_results r;
    j->ok = true;
    for (size_t a = j->first; a < j->b->k && j->ok; a += j->step) {
        bi_agent *ag = &j->b->agents[a];
        for (size_t i = 0; i < ag->n_frames; i++) {
            bi_fill(j->b->names, (int)a, i + 1, obs, &r);
            proto_header h = {.version = PROTO_VERSION,
                              .type = PROTO_RESULTS,
                              .seq = i + 1,
                              .ts_ms = clock_wall_ms()};
            snprintf(h.sender, sizeof h.sender, "%s", ag->id);
            snprintf(h.recipient, sizeof h.recipient, "%s", j->b->coord_id);
            if (proto_seal(&h, &r, ag->sk, &ag->frames[i], &ag->lens[i], NULL) != PROTO_OK) {
                j->ok = false;
                break;
            }
        }
    }
    return NULL;
}

/* Two threads: the machine has two cores and nothing else runs yet. */
static bool bi_build(bi_bench *b)
{
    double per_agent = b->rate_max * (b->secs + BI_WARM_US / 1e6) / BI_OBS / (double)b->k;
    for (size_t a = 0; a < b->k; a++) {
        bi_agent *ag = &b->agents[a];
        ag->n_frames = (size_t)per_agent + b->window + 1;
        ag->frames = calloc(ag->n_frames, sizeof *ag->frames);
        ag->lens = calloc(ag->n_frames, sizeof *ag->lens);
        if (!ag->frames || !ag->lens)
            return false;
    }
    bi_build_job jobs[2] = {{.b = b, .first = 0, .step = 2}, {.b = b, .first = 1, .step = 2}};
    pthread_t t;
    if (pthread_create(&t, NULL, bi_build_agents, &jobs[1]) != 0)
        return false;
    bi_build_agents(&jobs[0]);
    pthread_join(t, NULL);
    return jobs[0].ok && jobs[1].ok;
}

/* CPU seconds (user + system) of /proc/PID/stat or /proc/PID/task/PID/stat; -1 when unknown. */
static double bi_proc_cpu(long pid, bool main_thread)
{
    char path[96], buf[1024];
    if (main_thread)
        snprintf(path, sizeof path, "/proc/%ld/task/%ld/stat", pid, pid);
    else
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double bi_thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the load ------------------------------------------------------------------------ */

static bool bi_send_hello(bi_bench *b, bi_agent *ag)
{
    proto_resolver res[BI_RESOLVERS];
    for (int i = 0; i < BI_RESOLVERS; i++)
        res[i] = (proto_resolver){.name = bi_resolvers[i],
                                  .addr = i == 0 ? "127.0.0.53" : bi_resolvers[i],
                                  .kind = bi_kinds[i]};
    proto_hello hello = {.agent_id = ag->id,
                         .region = "bench",
                         .software = "bench_ingest",
                         .proto_min = PROTO_VERSION_MIN,
                         .proto_max = PROTO_VERSION_MAX,
                         .resolvers = res,
                         .n_resolvers = 2,
                         .next_seq = 1,
                         .started_ms = clock_wall_ms()};
    proto_header h = {.version = PROTO_VERSION, .type = PROTO_HELLO, .ts_ms = clock_wall_ms()};
    snprintf(h.sender, sizeof h.sender, "%s", ag->id);
    snprintf(h.recipient, sizeof h.recipient, "%s", b->coord_id);
    uint8_t *f;
    size_t len;
    if (proto_seal(&h, &hello, ag->sk, &f, &len, NULL) != PROTO_OK)
        return false;
    int rc = zmq_send(ag->sock, f, len, 0);
    free(f);
    return rc >= 0;
}

/* Read every reply waiting on ag's socket; count ACKs (in the window when counting). */
static void bi_drain(bi_bench *b, bi_agent *ag, bool counting)
{
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, ag->sock, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&m);
            return;
        }
        envelope_t env;
        if (envelope_parse(zmq_msg_data(&m), zmq_msg_size(&m), PROTO_VERSION_MIN, PROTO_VERSION_MAX,
                           &env, NULL) == PROTO_OK) {
            if (env.hdr.type == PROTO_ACK) {
                proto_msg msg = {0};
                if (envelope_decode(&env, &msg, NULL) == PROTO_OK) {
                    ag->acked++;
                    ag->dup += msg.body.ack.duplicate;
                    ag->inflight -= ag->inflight > 0;
                    b->acked_window += counting;
                }
                proto_msg_clear(&msg);
            } else if (env.hdr.type == PROTO_WELCOME) {
                ag->welcomed = true;
            }
            envelope_release(&env);
        }
        zmq_msg_close(&m);
    }
}

/* Wait until every ag has its WELCOME (the coordinator knows it), at most 10 s. */
static bool bi_hello_all(bi_bench *b)
{
    zmq_pollitem_t items[BI_AGENTS_MAX];
    for (size_t a = 0; a < b->k; a++) {
        if (!bi_send_hello(b, &b->agents[a]))
            return false;
        items[a] = (zmq_pollitem_t){.socket = b->agents[a].sock, .events = ZMQ_POLLIN};
    }
    int64_t end = clock_mono_ms() + 10000;
    for (;;) {
        size_t n = 0;
        for (size_t a = 0; a < b->k; a++)
            n += b->agents[a].welcomed;
        if (n == b->k)
            return true;
        if (clock_mono_ms() >= end) {
            fprintf(stderr, "bench: %zu of %zu agents welcomed within 10 s\n", n, b->k);
            return false;
        }
        zmq_poll(items, (int)b->k, 100);
        for (size_t a = 0; a < b->k; a++)
            bi_drain(b, &b->agents[a], false);
    }
}

static void bi_fill_window(bi_bench *b, bi_agent *ag)
{
    while (ag->inflight < b->window) {
        if (ag->next == ag->n_frames) {
            b->ran_out = true;
            return;
        }
        if (zmq_send_const(ag->sock, ag->frames[ag->next], ag->lens[ag->next], ZMQ_DONTWAIT) < 0)
            return;
        ag->next++;
        ag->inflight++;
    }
}

/* Warm-up, then SECS counted; then wait (at most 5 s) for the last ACKs. */
static void bi_load(bi_bench *b)
{
    zmq_pollitem_t items[BI_AGENTS_MAX];
    for (size_t a = 0; a < b->k; a++)
        items[a] = (zmq_pollitem_t){.socket = b->agents[a].sock, .events = ZMQ_POLLIN};
    int64_t start = clock_mono_us(), from = start + BI_WARM_US;
    int64_t to = from + (int64_t)(b->secs * 1e6);
    bool counting = false;
    double cpu0[2] = {0, 0};
    for (int64_t now = start; now < to; now = clock_mono_us()) {
        if (!counting && now >= from) {
            counting = true;
            b->win_from_ms = clock_wall_ms();
            if (b->coord_pid) {
                cpu0[0] = bi_proc_cpu(b->coord_pid, true);
                cpu0[1] = bi_proc_cpu(b->coord_pid, false);
            }
        }
        for (size_t a = 0; a < b->k; a++)
            bi_fill_window(b, &b->agents[a]);
        zmq_poll(items, (int)b->k, 10);
        for (size_t a = 0; a < b->k; a++)
            bi_drain(b, &b->agents[a], counting);
    }
    b->win_to_ms = clock_wall_ms();
    if (b->coord_pid) {
        b->coord_cpu[0] = bi_proc_cpu(b->coord_pid, true) - cpu0[0];
        b->coord_cpu[1] = bi_proc_cpu(b->coord_pid, false) - cpu0[1];
    }
    int64_t end = clock_mono_ms() + 5000;
    for (;;) {
        size_t inflight = 0;
        for (size_t a = 0; a < b->k; a++)
            inflight += b->agents[a].inflight;
        if (inflight == 0 || clock_mono_ms() >= end)
            break;
        zmq_poll(items, (int)b->k, 100);
        for (size_t a = 0; a < b->k; a++)
            bi_drain(b, &b->agents[a], false);
    }
}

/* ---- what the coordinator committed ------------------------------------------------------ */

/* Every stored batch in commit order; *n set. NULL on error (message printed). */
static bi_stored *bi_read_groups(bi_bench *b, size_t *n)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    bi_stored *v = NULL;
    size_t cap = 0;
    *n = 0;
    if (sqlite3_open_v2(b->store_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT agent, seq, received_ms FROM batches "
                           "ORDER BY received_ms, agent, seq",
                           -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench: %s: %s\n", b->store_path, sqlite3_errmsg(db));
        goto fail;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *agent = (const char *)sqlite3_column_text(st, 0);
        int a;
        if (!agent || sscanf(agent, "bench-%d", &a) != 1 || a < 0 || (size_t)a >= b->k)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 4096;
            bi_stored *w = realloc(v, cap * sizeof *v);
            if (!w)
                goto fail;
            v = w;
        }
        v[(*n)++] = (bi_stored){.agent = a,
                                .seq = (uint64_t)sqlite3_column_int64(st, 1),
                                .received_ms = sqlite3_column_int64(st, 2)};
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "bench: %s: %s\n", b->store_path, sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
fail:
    sqlite3_finalize(st);
    sqlite3_close(db);
    free(v);
    return NULL;
}

/* count(*) of table in the file at path; -1 on error. */
static int64_t bi_count(const char *path, const char *table)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char sql[96];
    int64_t n = -1;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static size_t bi_group_len(const bi_stored *v, size_t n, size_t i)
{
    size_t k = 1;
    while (i + k < n && v[i + k].received_ms == v[i].received_ms)
        k++;
    return k;
}

static bool bi_in_window(const bi_bench *b, int64_t ms)
{
    return ms >= b->win_from_ms && ms < b->win_to_ms;
}

static int bi_cmp_size(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, c = *(const size_t *)y;
    return a < c ? -1 : a > c;
}

/* ---- raw SQLite (the approach of bench_store.c) ------------------------------------------ */

/* PRAGMA cache_size of coordinator/store.c (STORE_CACHE_KIB). */
#define BI_CACHE_PRAGMA "PRAGMA cache_size = -32768"

/*
 * Two sides, each on a file of its own made by store_open():
 *   same writes  what coordinator/store.c writes for a batch, with its SQL:
 *                the data version and the next free ids (once per
 *                transaction), the batch row, per observation its row
 *                (explicit id) and the series upkeep (read the series unless
 *                it was written or read before, as the store's series cache
 *                does; insert it, or update it unless the stored one is
 *                newer; a changes row when the answer is new or changed), and
 *                the agent's highest seq and batch count;
 *   rows only    the batch row and its observation rows, nothing else.
 */
typedef struct bi_raw {
    const char *label;       /* for the report */
    bool same;               /* same writes as the store; else rows only */
    char path[600];          /* its file */
    sqlite3 *db;             /* the connection */
    sqlite3_stmt *begin;     /* BEGIN IMMEDIATE */
    sqlite3_stmt *commit;    /* COMMIT */
    sqlite3_stmt *batch;     /* INSERT INTO batches */
    sqlite3_stmt *obs;       /* INSERT INTO observations */
    sqlite3_stmt *obs_next;  /* same: next observation id */
    sqlite3_stmt *find_next; /* same: next finding id */
    sqlite3_stmt *sget;      /* same: read a series */
    sqlite3_stmt *sins;      /* same: new series */
    sqlite3_stmt *supd;      /* same: series' new latest */
    sqlite3_stmt *chg;       /* same: a change */
    sqlite3_stmt *agent;     /* same: the agent's highest seq and count */
    sqlite3_stmt *version;   /* same: PRAGMA data_version */
    bench_map series;        /* same: the series seen */
    int64_t next_id;         /* id of the next observation */
    double secs;             /* the window's groups: wall seconds */
    double cpu;              /* and CPU seconds */
    uint64_t rows;           /* and observations */
} bi_raw;

static void bi_unlink(const char *path)
{
    char p[700];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

static bool bi_prep(bi_raw *x, const char *sql, sqlite3_stmt **st)
{
    return sqlite3_prepare_v2(x->db, sql, -1, st, NULL) == SQLITE_OK;
}

static bool bi_raw_open(bi_raw *x, const bi_bench *b)
{
    char err[512];
    store_t *s = NULL;
    bi_unlink(x->path);
    if (store_open(x->path, &s, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return false;
    }
    store_close(&s);
    x->next_id = 1;
    /* The statements of the same-writes side are coordinator/store.c's (store_sql[]). */
    bool ok = sqlite3_open_v2(x->path, &x->db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
              sqlite3_exec(x->db,
                           "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                           "PRAGMA foreign_keys = ON; " BI_CACHE_PRAGMA,
                           NULL, NULL, NULL) == SQLITE_OK &&
              bi_prep(x, "BEGIN IMMEDIATE", &x->begin) && bi_prep(x, "COMMIT", &x->commit);
    if (ok && !x->same)
        ok = bi_prep(x,
                     "INSERT INTO batches (agent, seq, received_ms, check_id, monitor, "
                     "incomplete, obs_first, n_obs, findings_first, n_findings) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                     &x->batch) &&
             bi_prep(x,
                     "INSERT INTO observations (agent, seq, idx, received_ms, t_ms, "
                     "resolver, kind, server, nsid, qname, qtype, rcode, flags, transport, "
                     "fail, rrset, ttl_min, soa_serial, neg_ttl, ede, ede_text, rtt_us) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                     "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
                     &x->obs);
    if (ok && x->same)
        ok = bi_prep(x, "PRAGMA data_version", &x->version) &&
             bi_prep(x, "SELECT coalesce(max(id), 0) + 1 FROM observations", &x->obs_next) &&
             bi_prep(x, "SELECT coalesce(max(id), 0) + 1 FROM findings", &x->find_next) &&
             bi_prep(x,
                     "INSERT INTO batches (agent, seq, received_ms, check_id, monitor, "
                     "incomplete, obs_first, n_obs, findings_first, n_findings, track_id) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) "
                     "ON CONFLICT (agent, seq) DO NOTHING",
                     &x->batch) &&
             bi_prep(x,
                     "INSERT INTO observations (id, agent, seq, idx, received_ms, t_ms, "
                     "resolver, kind, server, nsid, qname, qtype, rcode, flags, transport, "
                     "fail, rrset, ttl_min, soa_serial, neg_ttl, ede, ede_text, rtt_us) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                     "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
                     &x->obs) &&
             bi_prep(x,
                     "SELECT id, t_ms, received_ms, answer FROM series WHERE qname = ?1 "
                     "AND qtype = ?2 AND agent = ?3 AND resolver = ?4",
                     &x->sget) &&
             bi_prep(x,
                     "INSERT INTO series (qname, qtype, agent, resolver, obs_id, t_ms, "
                     "received_ms, answer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                     &x->sins) &&
             bi_prep(x,
                     "UPDATE series SET obs_id = ?2, t_ms = ?3, received_ms = ?4, "
                     "answer = ?5 WHERE id = ?1",
                     &x->supd) &&
             bi_prep(x,
                     "INSERT INTO changes (series, t_ms, obs_id, received_ms) VALUES "
                     "(?1, ?2, ?3, ?4)",
                     &x->chg) &&
             bi_prep(x,
                     "INSERT INTO agents (id, first_seen_ms, last_seen_ms, highest_seq, "
                     "stored_batches) VALUES (?1, ?2, ?2, ?3, 1) ON CONFLICT (id) DO UPDATE SET "
                     "highest_seq = CASE WHEN highest_seq IS NULL THEN excluded.highest_seq "
                     "WHEN (excluded.highest_seq < 0) = (highest_seq < 0) "
                     "THEN max(highest_seq, excluded.highest_seq) "
                     "WHEN excluded.highest_seq < 0 THEN excluded.highest_seq ELSE highest_seq "
                     "END, stored_batches = stored_batches + 1",
                     &x->agent);
    if (!ok) {
        fprintf(stderr, "bench: raw %s: %s\n", x->path, sqlite3_errmsg(x->db));
        return false;
    }
    /* The batches reference their agents: rows the coordinator made at HELLO. */
    for (size_t a = 0; a < b->k; a++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO agents (id) VALUES ('%s')", b->agents[a].id);
        if (sqlite3_exec(x->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return false;
    }
    return true;
}

static void bi_raw_close(bi_raw *x)
{
    sqlite3_stmt **all[] = {&x->begin, &x->commit, &x->batch, &x->obs, &x->obs_next, &x->find_next,
                            &x->sget,  &x->sins,   &x->supd,  &x->chg, &x->agent,    &x->version};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        sqlite3_finalize(*all[i]);
        *all[i] = NULL;
    }
    sqlite3_close(x->db);
    x->db = NULL;
    bench_map_free(&x->series);
    bi_unlink(x->path);
}

static bool bi_step(bi_raw *x, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "bench: raw: %s\n", sqlite3_errmsg(x->db));
        return false;
    }
    return true;
}

/* A one-integer query (the data version, a next free id). */
static bool bi_query_id(bi_raw *x, sqlite3_stmt *st, int64_t *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        fprintf(stderr, "bench: raw: %s\n", sqlite3_errmsg(x->db));
        return false;
    }
    return true;
}

/* The store's series upkeep for observation id (coordinator/store.c, store_put_series()). */
static bool bi_raw_series(bi_raw *x, const char *agent, int64_t received_ms, const proto_obs *o,
                          int64_t id)
{
    int64_t answer = bench_answer(o), sid = 0, t_ms = 0, old = 0;
    bool hit, found;
    bench_series *e = bench_map_slot(&x->series, agent, o, &hit);
    sqlite3_stmt *st;
    if (!e) {
        fprintf(stderr, "bench: raw: out of memory\n");
        return false;
    }
    if (hit) {
        found = true;
        sid = e->id;
        t_ms = e->t_ms;
        old = e->answer;
    } else {
        st = x->sget;
        sqlite3_bind_text(st, 1, o->qname, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, o->qtype);
        sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, o->resolver, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        if ((found = rc == SQLITE_ROW)) {
            sid = sqlite3_column_int64(st, 0);
            t_ms = sqlite3_column_int64(st, 1);
            old = sqlite3_column_int64(st, 3);
        }
        sqlite3_reset(st);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            fprintf(stderr, "bench: raw: %s\n", sqlite3_errmsg(x->db));
            return false;
        }
    }
    if (found) {
        if (o->t_ms < t_ms)
            return bench_map_keep(&x->series, e, o->qtype, sid, t_ms, old);
        st = x->supd;
        sqlite3_bind_int64(st, 1, sid);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int64(st, 3, o->t_ms);
        sqlite3_bind_int64(st, 4, received_ms);
        sqlite3_bind_int64(st, 5, answer);
        if (!bi_step(x, st) || !bench_map_keep(&x->series, e, o->qtype, sid, o->t_ms, answer))
            return false;
        if (answer == old)
            return true;
    } else {
        st = x->sins;
        sqlite3_bind_text(st, 1, o->qname, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, o->qtype);
        sqlite3_bind_text(st, 3, agent, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, o->resolver, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, id);
        sqlite3_bind_int64(st, 6, o->t_ms);
        sqlite3_bind_int64(st, 7, received_ms);
        sqlite3_bind_int64(st, 8, answer);
        if (!bi_step(x, st))
            return false;
        sid = sqlite3_last_insert_rowid(x->db);
        if (!bench_map_keep(&x->series, e, o->qtype, sid, o->t_ms, answer))
            return false;
    }
    st = x->chg;
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_int64(st, 2, o->t_ms);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int64(st, 4, received_ms);
    return bi_step(x, st);
}

/* One batch: its row, one per observation, and on the same-writes side what the store adds. */
static bool bi_raw_batch(bi_raw *x, const char *agent, uint64_t seq, int64_t received_ms,
                         const proto_results *res)
{
    sqlite3_stmt *st = x->batch;
    int64_t first = x->next_id;
    sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)seq);
    sqlite3_bind_int64(st, 3, received_ms);
    sqlite3_bind_int64(st, 4, (int64_t)res->check_id);
    sqlite3_bind_text(st, 5, res->monitor, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, res->incomplete);
    sqlite3_bind_int64(st, 7, first);
    sqlite3_bind_int64(st, 8, (int64_t)res->n_obs);
    sqlite3_bind_null(st, 9);
    sqlite3_bind_int64(st, 10, 0);
    if (x->same)
        sqlite3_bind_int64(st, 11, (int64_t)res->track_id);
    if (!bi_step(x, st))
        return false;
    if (x->same && sqlite3_changes(x->db) == 0) {
        fprintf(stderr, "bench: raw: batch %s/%" PRIu64 " twice\n", agent, seq);
        return false;
    }
    x->next_id += (int64_t)res->n_obs;
    st = x->obs;
    int o0 = x->same ? 1 : 0; /* the same-writes statement has the id first */
    for (size_t i = 0; i < res->n_obs; i++) {
        const proto_obs *o = &res->obs[i];
        if (x->same)
            sqlite3_bind_int64(st, 1, first + (int64_t)i);
        sqlite3_bind_text(st, o0 + 1, agent, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, o0 + 2, (int64_t)seq);
        sqlite3_bind_int64(st, o0 + 3, (int64_t)i);
        sqlite3_bind_int64(st, o0 + 4, received_ms);
        sqlite3_bind_int64(st, o0 + 5, o->t_ms);
        sqlite3_bind_text(st, o0 + 6, o->resolver, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, o0 + 7, o->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, o0 + 8, o->server, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, o0 + 9, o->nsid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, o0 + 10, o->qname, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, o0 + 11, o->qtype);
        sqlite3_bind_int(st, o0 + 12, o->rcode);
        sqlite3_bind_int(st, o0 + 13, o->flags);
        sqlite3_bind_int(st, o0 + 14, o->transport);
        sqlite3_bind_int(st, o0 + 15, o->fail);
        sqlite3_bind_text(st, o0 + 16, o->rrset, -1, SQLITE_STATIC);
        if (o->has_ttl)
            sqlite3_bind_int64(st, o0 + 17, o->ttl_min);
        else
            sqlite3_bind_null(st, o0 + 17);
        if (o->has_soa_serial)
            sqlite3_bind_int64(st, o0 + 18, o->soa_serial);
        else
            sqlite3_bind_null(st, o0 + 18);
        if (o->has_neg_ttl)
            sqlite3_bind_int64(st, o0 + 19, o->neg_ttl);
        else
            sqlite3_bind_null(st, o0 + 19);
        sqlite3_bind_null(st, o0 + 20);
        sqlite3_bind_text(st, o0 + 21, o->ede_text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, o0 + 22, o->rtt_us);
        if (!bi_step(x, st))
            return false;
        if (x->same && !bi_raw_series(x, agent, received_ms, o, first + (int64_t)i))
            return false;
    }
    if (!x->same)
        return true;
    st = x->agent;
    sqlite3_bind_text(st, 1, agent, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, received_ms);
    sqlite3_bind_int64(st, 3, (int64_t)seq);
    return bi_step(x, st);
}

/* One commit group of g batches, one transaction; the time counts when in the window. */
static bool bi_raw_group(bi_bench *b, bi_raw *x, const bi_stored *v, size_t g,
                         const proto_results *res)
{
    int64_t start = clock_mono_us();
    double cpu0 = bi_thread_cpu();
    if (!bi_step(x, x->begin))
        return false;
    if (x->same) {
        int64_t version, find_next;
        if (!bi_query_id(x, x->version, &version) || !bi_query_id(x, x->obs_next, &x->next_id) ||
            !bi_query_id(x, x->find_next, &find_next))
            return false;
    }
    for (size_t j = 0; j < g; j++)
        if (!bi_raw_batch(x, b->agents[v[j].agent].id, v[j].seq, v[j].received_ms, &res[j]))
            return false;
    if (!bi_step(x, x->commit))
        return false;
    if (bi_in_window(b, v[0].received_ms)) {
        x->secs += (double)(clock_mono_us() - start) / 1e6;
        x->cpu += bi_thread_cpu() - cpu0;
        x->rows += g * BI_OBS;
    }
    return true;
}

/*
 * Store v (n batches) group by group as the coordinator did, on every side;
 * the sides take turns within a group, the first one alternating, so a busy
 * disk slows them alike. The rows are regenerated before each group's clock
 * starts.
 */
static bool bi_raw_replay(bi_bench *b, bi_raw *sides, size_t n_sides, const bi_stored *v, size_t n)
{
    static proto_obs obs[BI_GROUP_MAX][BI_OBS];
    static proto_results res[BI_GROUP_MAX];
    size_t groups = 0;
    for (size_t i = 0; i < n; groups++) {
        size_t g = bi_group_len(v, n, i);
        if (g > BI_GROUP_MAX) {
            fprintf(stderr, "bench: a commit group of %zu batches (at most %d)\n", g, BI_GROUP_MAX);
            return false;
        }
        for (size_t j = 0; j < g; j++)
            bi_fill(b->names, v[i + j].agent, v[i + j].seq, obs[j], &res[j]);
        for (size_t k = 0; k < n_sides; k++)
            if (!bi_raw_group(b, &sides[(groups + k) % n_sides], v + i, g, res))
                return false;
        i += g;
    }
    return true;
}

/* ---- libsodium ---------------------------------------------------------------------------- */

typedef struct bi_signed {
    uint8_t *msg;         /* context string, NUL, frame up to its signature */
    size_t len;           /* its length */
    uint8_t sig[64];      /* the signature */
    const uint8_t *pk;    /* the sender's key */
    const uint8_t *frame; /* the whole frame, for proto_open() */
    size_t frame_len;     /* its length */
} bi_signed;

static const unsigned char *bi_key(void *ctx, const char *sender, size_t idx)
{
    bi_bench *b = ctx;
    int a;
    if (idx != 0 || sscanf(sender, "bench-%d", &a) != 1 || a < 0 || (size_t)a >= b->k)
        return NULL;
    return b->agents[a].pk;
}

/* The signed bytes of the window's stored frames, laid out before any timing. */
static bi_signed *bi_signed_build(bi_bench *b, const bi_stored *v, size_t n, size_t *out_n)
{
    bi_signed *s = calloc(n ? n : 1, sizeof *s);
    *out_n = 0;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!bi_in_window(b, v[i].received_ms))
            continue;
        bi_agent *ag = &b->agents[v[i].agent];
        if (v[i].seq == 0 || v[i].seq > ag->n_frames)
            continue;
        envelope_t env;
        const uint8_t *f = ag->frames[v[i].seq - 1];
        size_t len = ag->lens[v[i].seq - 1];
        if (envelope_parse(f, len, PROTO_VERSION_MIN, PROTO_VERSION_MAX, &env, NULL) != PROTO_OK)
            continue;
        bi_signed *x = &s[(*out_n)++];
        x->len = ENVELOPE_SIG_CONTEXT_LEN + env.sig_off;
        x->msg = malloc(x->len);
        if (!x->msg) {
            envelope_release(&env);
            return s;
        }
        memcpy(x->msg, ENVELOPE_SIG_CONTEXT, ENVELOPE_SIG_CONTEXT_LEN);
        memcpy(x->msg + ENVELOPE_SIG_CONTEXT_LEN, f, env.sig_off);
        memcpy(x->sig, env.sig, sizeof x->sig);
        x->pk = ag->pk;
        x->frame = f;
        x->frame_len = len;
        envelope_release(&env);
    }
    return s;
}

/* crypto_sign_verify_detached() over every x; seconds (and CPU seconds), or -1 when one fails. */
static double bi_verify(const bi_signed *x, size_t n, double *cpu)
{
    int64_t start = clock_mono_us();
    double cpu0 = bi_thread_cpu();
    for (size_t i = 0; i < n; i++)
        if (crypto_sign_verify_detached(x[i].sig, x[i].msg, x[i].len, x[i].pk) != 0)
            return -1;
    *cpu = bi_thread_cpu() - cpu0;
    return (double)(clock_mono_us() - start) / 1e6;
}

/* proto_open() of every frame, as the coordinator opens them; seconds, or -1. */
static double bi_open(bi_bench *b, const bi_signed *x, size_t n, double *cpu)
{
    proto_open_opts o = {.version_min = PROTO_VERSION_MIN,
                         .version_max = PROTO_VERSION_MAX,
                         .self_id = b->coord_id,
                         .keys = bi_key,
                         .keys_ctx = b};
    int64_t start = clock_mono_us();
    double cpu0 = bi_thread_cpu();
    for (size_t i = 0; i < n; i++) {
        proto_msg m = {0};
        proto_status st = proto_open(x[i].frame, x[i].frame_len, &o, &m, NULL);
        proto_msg_clear(&m);
        if (st != PROTO_OK)
            return -1;
    }
    *cpu = bi_thread_cpu() - cpu0;
    return (double)(clock_mono_us() - start) / 1e6;
}

/* ---- main --------------------------------------------------------------------------------- */

static double bi_cpu_secs(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

static bool bi_connect(bi_bench *b, void *zctx, const char *keydir)
{
    for (size_t a = 0; a < b->k; a++) {
        bi_agent *ag = &b->agents[a];
        char path[4200], err[512];
        snprintf(ag->id, sizeof ag->id, "bench-%02zu", a);
        snprintf(path, sizeof path, "%s/%s.key", keydir, ag->id);
        if (keyfile_load_secret(path, ag->sk, ag->pk, err, sizeof err) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            return false;
        }
        int linger = 0, hwm = 100000;
        ag->sock = zmq_socket(zctx, ZMQ_DEALER);
        if (!ag->sock)
            return false;
        zmq_setsockopt(ag->sock, ZMQ_LINGER, &linger, sizeof linger);
        zmq_setsockopt(ag->sock, ZMQ_SNDHWM, &hwm, sizeof hwm);
        zmq_setsockopt(ag->sock, ZMQ_RCVHWM, &hwm, sizeof hwm);
        if (zmq_connect(ag->sock, b->endpoint) != 0) {
            fprintf(stderr, "bench: connect %s: %s\n", b->endpoint, zmq_strerror(errno));
            return false;
        }
    }
    return true;
}

static void bi_usage(void)
{
    fprintf(stderr,
            "usage: bench_ingest [-k K] [-w W] [-t SECS] [-r RATE] [-p PID] ENDPOINT "
            "COORD_ID KEYDIR STORE\n"
            "  K agents (1..%d, default 8), W unacked batches each (default 50),\n"
            "  SECS measured (default 10, after 1 s of warm-up), RATE obs/s the\n"
            "  pre-built frames last for (default 200000); KEYDIR/bench-NN.key;\n"
            "  STORE: the coordinator's store file (raw SQLite goes next to it);\n"
            "  PID: the coordinator's, to read its CPU time\n",
            BI_AGENTS_MAX);
}

int main(int argc, char **argv)
{
    static bi_bench b;
    b.k = 8;
    b.window = 50;
    b.secs = 10;
    b.rate_max = 200000;
    int c;
    while ((c = getopt(argc, argv, "k:w:t:r:p:")) != -1) {
        switch (c) {
        case 'k':
            b.k = strtoul(optarg, NULL, 10);
            break;
        case 'w':
            b.window = strtoul(optarg, NULL, 10);
            break;
        case 't':
            b.secs = strtod(optarg, NULL);
            break;
        case 'r':
            b.rate_max = strtod(optarg, NULL);
            break;
        case 'p':
            b.coord_pid = strtol(optarg, NULL, 10);
            break;
        default:
            bi_usage();
            return 2;
        }
    }
    if (argc - optind != 4 || b.k < 1 || b.k > BI_AGENTS_MAX || b.window < 1 || b.secs <= 0 ||
        b.rate_max < 1000) {
        bi_usage();
        return 2;
    }
    b.endpoint = argv[optind];
    b.coord_id = argv[optind + 1];
    const char *keydir = argv[optind + 2];
    b.store_path = argv[optind + 3];

    int rc = 1;
    void *zctx = NULL;
    bi_stored *stored = NULL;
    bi_signed *sig = NULL;
    size_t n_stored = 0, n_sig = 0;
    bi_raw raw[2] = {{.label = "raw SQLite, same writes", .same = true},
                     {.label = "raw SQLite, rows only", .same = false}};
    const size_t n_raw = sizeof raw / sizeof raw[0];
    char dirbuf[4096];
    snprintf(dirbuf, sizeof dirbuf, "%s", b.store_path);
    const char *dir = dirname(dirbuf);
    for (size_t i = 0; i < n_raw; i++)
        snprintf(raw[i].path, sizeof raw[i].path, "%s/bench-ingest-raw%zu.%d.db", dir, i,
                 (int)getpid());

    /* As coordinator/store.c sets it up, before SQLite's first use: no memory statistics. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    printf("command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    struct statfs fs;
    if (statfs(dir, &fs) == 0 && fs.f_type == BI_TMPFS_MAGIC)
        printf("warning: %s is a tmpfs: fsync costs nothing there\n", dir);

    if (sodium_init() < 0 || !(b.names = calloc(1, sizeof *b.names)) || !(zctx = zmq_ctx_new()) ||
        !bi_connect(&b, zctx, keydir))
        goto done;
    bi_names_build(b.names);
    int64_t t = clock_mono_us();
    if (!bi_build(&b)) {
        fprintf(stderr, "bench: cannot build the frames\n");
        goto done;
    }
    size_t bytes = 0, frames = 0;
    for (size_t a = 0; a < b.k; a++)
        for (size_t i = 0; i < b.agents[a].n_frames; i++, frames++)
            bytes += b.agents[a].lens[i];
    printf("%zu agents (one DEALER each, one thread), %zu unacked batches each, %d observations "
           "a batch (%zu bytes a frame on average; %zu frames pre-built in %.1f s)\n",
           b.k, b.window, BI_OBS, bytes / frames, frames, (double)(clock_mono_us() - t) / 1e6);
    if (!bi_hello_all(&b))
        goto done;

    /* 1. the coordinator */
    double cpu0 = bi_cpu_secs();
    bi_load(&b);
    double load_cpu = bi_cpu_secs() - cpu0;
    uint64_t acked = 0, dup = 0, sent = 0;
    for (size_t a = 0; a < b.k; a++) {
        acked += b.agents[a].acked;
        dup += b.agents[a].dup;
        sent += b.agents[a].next;
    }
    double win_secs = (double)(b.win_to_ms - b.win_from_ms) / 1e3;
    double ingest = (double)b.acked_window * BI_OBS / win_secs;
    if (b.ran_out)
        printf("warning: an agent sent all its pre-built frames: raise -r\n");
    for (size_t a = 0; a < b.k; a++)
        zmq_close(b.agents[a].sock);
    zmq_ctx_term(zctx);
    zctx = NULL;

    /* what the coordinator committed, and in which groups */
    if (!(stored = bi_read_groups(&b, &n_stored)))
        goto done;
    size_t n_groups = 0, win_groups = 0, win_batches = 0;
    size_t *sizes = calloc(n_stored ? n_stored : 1, sizeof *sizes);
    if (!sizes)
        goto done;
    for (size_t i = 0; i < n_stored; i += bi_group_len(stored, n_stored, i)) {
        n_groups++;
        if (bi_in_window(&b, stored[i].received_ms)) {
            sizes[win_groups] = bi_group_len(stored, n_stored, i);
            win_batches += sizes[win_groups++];
        }
    }
    qsort(sizes, win_groups, sizeof *sizes, bi_cmp_size);
    size_t g_median = win_groups ? sizes[win_groups / 2] : 0;
    size_t g_max = win_groups ? sizes[win_groups - 1] : 0;
    free(sizes);
    printf("coordinator: %" PRIu64 " batches sent, %" PRIu64 " acked (%" PRIu64
           " as duplicates), %zu stored in %zu commits; generator CPU %.0f%% of one core\n",
           sent, acked, dup, n_stored, n_groups,
           100 * load_cpu / ((double)BI_WARM_US / 1e6 + b.secs));
    printf("commits in the %.1f s window: %zu, batches per commit: mean %.1f, median %zu, "
           "max %zu (PENDING_MAX 256)\n",
           win_secs, win_groups, win_groups ? (double)win_batches / (double)win_groups : 0.0,
           g_median, g_max);

    /* 2. raw SQLite, the same batches in the same groups: the store's writes, and rows only */
    for (size_t i = 0; i < n_raw; i++)
        if (!bi_raw_open(&raw[i], &b))
            goto done;
    if (!bi_raw_replay(&b, raw, n_raw, stored, n_stored))
        goto done;
    double raw_rate[2];
    for (size_t i = 0; i < n_raw; i++)
        raw_rate[i] = raw[i].secs > 0 ? (double)raw[i].rows / raw[i].secs : 0;
    /* The same writes: the coordinator's store and the raw file hold the same rows. */
    static const char *const tables[] = {"batches", "observations", "series", "changes"};
    int64_t counts[2][4];
    bool same = true;
    for (size_t j = 0; j < 4; j++) {
        counts[0][j] = bi_count(b.store_path, tables[j]);
        counts[1][j] = bi_count(raw[0].path, tables[j]);
        same = same && counts[0][j] >= 0 && counts[0][j] == counts[1][j];
    }
    printf("rows written, coordinator's store / raw same writes: batches %" PRId64 " / %" PRId64
           ", observations %" PRId64 " / %" PRId64 ", series %" PRId64 " / %" PRId64
           ", changes %" PRId64 " / %" PRId64 "%s\n",
           counts[0][0], counts[1][0], counts[0][1], counts[1][1], counts[0][2], counts[1][2],
           counts[0][3], counts[1][3], same ? " (equal)" : " - warning: they differ");

    /* 3. libsodium alone, and proto_open(), on the same frames */
    if (!(sig = bi_signed_build(&b, stored, n_stored, &n_sig)) || n_sig == 0) {
        fprintf(stderr, "bench: no frames to verify\n");
        goto done;
    }
    double ver_cpu = 0, open_cpu = 0;
    double ver_secs = bi_verify(sig, n_sig, &ver_cpu);
    double open_secs = bi_open(&b, sig, n_sig, &open_cpu);
    if (ver_secs < 0 || open_secs < 0) {
        fprintf(stderr, "bench: a stored frame does not verify\n");
        goto done;
    }
    double verify = (double)n_sig * BI_OBS / ver_secs;
    double open = (double)n_sig * BI_OBS / open_secs;

    printf("%-34s %9.0f obs/s (%" PRIu64 " batches acked in %.2f s)\n", "coordinator, acked",
           ingest, b.acked_window, win_secs);
    for (size_t i = 0; i < n_raw; i++)
        printf("%-34s %9.0f obs/s (%" PRIu64 " observations, the window's %zu commits, %.2f s)\n",
               raw[i].label, raw_rate[i], raw[i].rows, win_groups, raw[i].secs);
    printf("%-34s %9.0f obs/s (%zu frames, %.2f s)\n", "libsodium verify alone", verify, n_sig,
           ver_secs);
    printf("%-34s %9.0f obs/s (%zu frames, %.2f s)\n", "proto_open (parse+verify+decode)", open,
           n_sig, open_secs);
    printf("  same writes: batch + observation rows + series upkeep (read unless seen before, "
           "insert or update) + changes + agent row, the store's SQL;\n"
           "  rows only: batch + observation rows, nothing else\n");
    printf("ratio coordinator / raw SQLite (same writes): %.2f\n",
           raw_rate[0] > 0 ? ingest / raw_rate[0] : 0.0);
    printf("ratio coordinator / raw SQLite (rows only): %.2f\n",
           raw_rate[1] > 0 ? ingest / raw_rate[1] : 0.0);
    printf("ratio coordinator / verify: %.2f\n", ingest / verify);
    /* CPU microseconds per observation: what other work on the machine disturbs least */
    double per = 1e6 / BI_OBS;
    printf("CPU us per observation: raw same writes %.2f (%.0f%% of its wall time), raw rows "
           "only %.2f (%.0f%%), verify %.2f, proto_open %.2f",
           raw[0].rows ? raw[0].cpu * 1e6 / (double)raw[0].rows : 0.0,
           raw[0].secs > 0 ? 100 * raw[0].cpu / raw[0].secs : 0.0,
           raw[1].rows ? raw[1].cpu * 1e6 / (double)raw[1].rows : 0.0,
           raw[1].secs > 0 ? 100 * raw[1].cpu / raw[1].secs : 0.0, ver_cpu * per / (double)n_sig,
           open_cpu * per / (double)n_sig);
    if (b.coord_pid && b.acked_window && b.coord_cpu[0] >= 0)
        printf("; coordinator main thread %.2f (busy %.0f%% of the window), all its threads %.2f",
               b.coord_cpu[0] * per / (double)b.acked_window, 100 * b.coord_cpu[0] / win_secs,
               b.coord_cpu[1] * per / (double)b.acked_window);
    printf("\n");
    printf("INGEST_OPS=%.0f\nRAW_SAME_OPS=%.0f\nRAW_ROWS_OPS=%.0f\nVERIFY_OPS=%.0f\n"
           "OPEN_OPS=%.0f\nGROUP_MEAN=%.1f\n",
           ingest, raw_rate[0], raw_rate[1], verify, open,
           win_groups ? (double)win_batches / (double)win_groups : 0.0);
    rc = 0;
done:
    if (zctx) {
        for (size_t a = 0; a < b.k; a++)
            if (b.agents[a].sock)
                zmq_close(b.agents[a].sock);
        zmq_ctx_term(zctx);
    }
    for (size_t i = 0; i < n_raw; i++)
        if (raw[i].path[0])
            bi_raw_close(&raw[i]);
    for (size_t i = 0; sig && i < n_sig; i++)
        free(sig[i].msg);
    free(sig);
    free(stored);
    for (size_t a = 0; a < b.k; a++) {
        for (size_t i = 0; b.agents[a].frames && i < b.agents[a].n_frames; i++)
            free(b.agents[a].frames[i]);
        free(b.agents[a].frames);
        free(b.agents[a].lens);
        sodium_memzero(b.agents[a].sk, sizeof b.agents[a].sk);
    }
    free(b.names);
    return rc;
}

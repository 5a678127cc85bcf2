/*
 * tests/bench/bench_store.c - insert rate of coordinator/store next to raw SQLite.
 *
 * Stores N synthetic RESULTS batches of 100 observations each from 8 agents
 * (three shapes, see bench_build()) through store_put_batches(), G batches per
 * call (one transaction each; WAL, synchronous=FULL), and prints
 * observations per second; once more with the store's series cache off
 * (store_series_cache(0): every observation reads its series). In the same
 * run the same batches go into three more files with raw SQLite (the same
 * pragmas and memory statistics off, as the store sets them, the same
 * transaction size, cached prepared statements, the schema made by
 * store_open()):
 *
 *   raw, same writes    the rows the store writes: the batch, its
 *                       observations, and per observation the series
 *                       upkeep (read unless written or read before, as the
 *                       store's series cache does; then update or insert; a
 *                       change row when the answer changed), with the
 *                       store's SQL;
 *   raw, rows only      the batch and its observations, nothing else: what
 *                       SQLite alone inserts (the reference of the ingest
 *                       benchmark);
 *   raw, history index  the rows only, plus an index on observations
 *                       (qname, qtype, agent, resolver, t_ms) instead of the
 *                       series table: the other way to answer "latest per
 *                       vantage point", for comparison.
 *
 * The five take turns group by group (the first one rotating), so a busy
 * disk slows them alike; each side's time is the sum of its transactions.
 * The store's cache holds 262,144 series: "runs" makes 204,800.
 *
 *   bench_store N G [DIR [SHAPE]]
 *     G <= 1024 (deep: 64); DIR: $TMPDIR or /tmp; SHAPE: runs (default), deep or random
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/clock.h"
#include "coordinator/store.h"
#include "tests/bench/benchref.h"

#define BENCH_OBS       100  /* observations per batch */
#define BENCH_AGENTS    8    /* agents sending */
#define BENCH_NAMES     2000 /* question names of the random shape */
#define BENCH_QUESTIONS 25   /* questions of one monitor run (x 4 resolvers) */
#define BENCH_TEMPLATES 256  /* distinct batch bodies (domains), reused; the most G */
#define TMPFS_MAGIC     0x01021994
/* PRAGMA cache_size of coordinator/store.c (STORE_CACHE_KIB). */
#define BENCH_CACHE_PRAGMA "PRAGMA cache_size = -32768"

static const char *const bench_resolvers[] = {"local", "9.9.9.9", "192.0.2.53", "198.51.100.53"};
static const char *const bench_kinds[] = {"local", "public", "auth", "auth"};
static const uint16_t bench_types[] = {15, 1, 28, 16};

/* The questions of one mail-profile monitor run: (name prefix, type). */
static const struct {
    const char *prefix; /* prepended to the domain; "" for the domain itself */
    uint16_t type;      /* record type */
} bench_run[BENCH_QUESTIONS] = {
    {"", 15},      {"", 1},           {"", 28},
    {"", 16},      {"", 2},           {"", 6},
    {"", 257},     {"", 48},          {"_dmarc.", 16},
    {"mx1.", 1},   {"mx1.", 28},      {"mx2.", 1},
    {"mx2.", 28},  {"mx3.", 1},       {"mx3.", 28},
    {"www.", 1},   {"www.", 28},      {"mail.", 1},
    {"mail.", 28}, {"_mta-sts.", 16}, {"_smtp._tls.", 16},
    {"ptr1.", 12}, {"ptr2.", 12},     {"ptr3.", 12},
    {"ptr4.", 12},
};

/* The synthetic input, built before any timing. */
typedef struct bench_data {
    char names[BENCH_NAMES][32];                            /* random shape: names */
    char rrsets[BENCH_NAMES][4][160];                       /* random shape: answers */
    char run_names[BENCH_TEMPLATES][BENCH_QUESTIONS][48];   /* runs shape: names */
    char run_rrsets[BENCH_TEMPLATES][BENCH_QUESTIONS][128]; /* runs shape: answers */
    char agents[BENCH_AGENTS][16];                          /* agent ids */
    proto_obs obs[BENCH_TEMPLATES][BENCH_OBS];              /* observations per template */
    proto_results results[BENCH_TEMPLATES];                 /* the templates */
    size_t n_domains;                                       /* templates in use */
} bench_data;

static uint32_t bench_rand(uint32_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 17;
    *state ^= *state << 5;
    return *state;
}

/* One observation of resolver res (0..3); names and answers borrowed from d. */
static proto_obs bench_obs(uint32_t *rnd, int res, const char *qname, uint16_t qtype,
                           const char *rrset, uint32_t serial)
{
    bool auth = res >= 2;
    return (proto_obs){
        .resolver = bench_resolvers[res],
        .kind = bench_kinds[res],
        .server = auth ? "ns1.example." : NULL,
        .qname = qname,
        .qtype = qtype,
        .flags = auth ? PROTO_FLAG_AA : PROTO_FLAG_RA,
        .rrset = rrset,
        .ttl_min = bench_rand(rnd) % 3600,
        .has_ttl = true,
        .soa_serial = serial,
        .has_soa_serial = auth,
        .rtt_us = 200 + bench_rand(rnd) % 50000,
    };
}

/*
 * "runs": each batch is one monitor run of one domain: 25 questions at 4
 * resolvers; every agent watches the same 256 domains, in turn, so there are
 * 8 x 256 x 100 = 204,800 vantage-point questions (series). "deep": the
 * same with 16 domains (12,800 series), so each series gets a long history
 * within the run, as in a store that has run for weeks. "random": each
 * observation asks a random one of 2000 names, 4 types and 4 resolvers: no
 * locality at all.
 */
static void bench_build(bench_data *d, bool random_shape)
{
    uint32_t rnd = 2463534242u;
    for (int i = 0; i < BENCH_NAMES; i++) {
        const char *n = d->names[i];
        snprintf(d->names[i], sizeof d->names[i], "name%04d.example.", i);
        snprintf(d->rrsets[i][0], sizeof d->rrsets[i][0], "%s MX 10 mx1.%s\n%s MX 20 mx2.%s", n, n,
                 n, n);
        snprintf(d->rrsets[i][1], sizeof d->rrsets[i][1], "%s A 192.0.2.%d", n, i % 250);
        snprintf(d->rrsets[i][2], sizeof d->rrsets[i][2], "%s AAAA 2001:db8::%x", n, i);
        snprintf(d->rrsets[i][3], sizeof d->rrsets[i][3],
                 "%s TXT \"v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all\"", n);
    }
    for (int a = 0; a < BENCH_AGENTS; a++)
        snprintf(d->agents[a], sizeof d->agents[a], "agent-%d", a);
    for (int t = 0; t < BENCH_TEMPLATES; t++) {
        uint32_t serial = 2024010100 + (uint32_t)t;
        for (int q = 0; q < BENCH_QUESTIONS; q++) {
            char *name = d->run_names[t][q];
            snprintf(name, sizeof d->run_names[t][q], "%sdom%03d.example.", bench_run[q].prefix, t);
            snprintf(d->run_rrsets[t][q], sizeof d->run_rrsets[t][q], "%s TYPE%u 10 %08x.%s", name,
                     (unsigned)bench_run[q].type, bench_rand(&rnd), name);
        }
        for (int i = 0; i < BENCH_OBS; i++) {
            if (random_shape) {
                int name = (int)(bench_rand(&rnd) % BENCH_NAMES);
                int type = (int)(bench_rand(&rnd) % 4);
                int res = (int)(bench_rand(&rnd) % 4);
                d->obs[t][i] = bench_obs(&rnd, res, d->names[name], bench_types[type],
                                         d->rrsets[name][type], serial);
            } else {
                int q = i / 4;
                d->obs[t][i] = bench_obs(&rnd, i % 4, d->run_names[t][q], bench_run[q].type,
                                         d->run_rrsets[t][q], serial);
            }
        }
        d->results[t] = (proto_results){.monitor = "bench", .obs = d->obs[t], .n_obs = BENCH_OBS};
    }
}

/*
 * Batch b: agent b % 8 runs round b / 8 (one domain, the same for every
 * agent in a round, at the same time). A template is shared by the agents
 * of one round only, so within a group its times are those of that round.
 */
static store_batch bench_batch(bench_data *d, size_t b, int64_t t0)
{
    size_t round = b / BENCH_AGENTS;
    proto_results *r = &d->results[round % d->n_domains];
    for (size_t i = 0; i < r->n_obs; i++)
        r->obs[i].t_ms = t0 + (int64_t)round * 100 + (int64_t)i / 20;
    return (store_batch){.agent_id = d->agents[b % BENCH_AGENTS],
                         .seq = round + 1,
                         .received_ms = t0 + (int64_t)b * 10 + 50,
                         .results = r};
}

/* How a side writes. */
typedef enum bench_how {
    BENCH_STORE,     /* store_put_batches() */
    BENCH_STORE_NC,  /* store_put_batches(), no series cache */
    BENCH_RAW_SAME,  /* raw: the store's writes */
    BENCH_RAW_ROWS,  /* raw: batch and observation rows only */
    BENCH_RAW_INDEX, /* raw: rows only, with a history index */
} bench_how;

/* One way of writing the rows, on a file of its own. */
typedef struct bench_side {
    const char *label;    /* for the report */
    bench_how how;        /* how it writes */
    char path[512];       /* its file */
    double secs;          /* time spent writing, summed over groups */
    store_t *store;       /* BENCH_STORE: the store */
    sqlite3 *db;          /* raw: the connection */
    sqlite3_stmt *begin;  /* raw: BEGIN IMMEDIATE */
    sqlite3_stmt *commit; /* raw: COMMIT */
    sqlite3_stmt *batch;  /* raw: INSERT INTO batches */
    sqlite3_stmt *obs;    /* raw: INSERT INTO observations */
    sqlite3_stmt *sget;   /* raw same: read a series */
    sqlite3_stmt *sins;   /* raw same: new series */
    sqlite3_stmt *supd;   /* raw same: series' new latest */
    sqlite3_stmt *chg;    /* raw same: a change */
    sqlite3_stmt *dver;   /* raw same: PRAGMA data_version */
    int64_t next_id;      /* raw: id of the next observation */
    bench_map series;     /* raw same: the series seen */
} bench_side;

static void bench_unlink(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* Create the file (schema by store_open(), so every side has the same) and open it. */
static bool bench_side_open(bench_side *x, const bench_data *d)
{
    char err[512];
    bench_unlink(x->path);
    if (store_open(x->path, &x->store, err, sizeof err) != 0) {
        fprintf(stderr, "bench: %s\n", err);
        return false;
    }
    if (x->how == BENCH_STORE)
        return true;
    if (x->how == BENCH_STORE_NC) {
        store_series_cache(x->store, 0);
        return true;
    }
    store_close(&x->store);
    x->next_id = 1;
    if (sqlite3_open_v2(x->path, &x->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
            SQLITE_OK ||
        sqlite3_exec(x->db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                     "PRAGMA foreign_keys = ON; " BENCH_CACHE_PRAGMA,
                     NULL, NULL, NULL) != SQLITE_OK ||
        (x->how == BENCH_RAW_INDEX &&
         sqlite3_exec(x->db,
                      "CREATE INDEX observations_latest ON observations (qname, qtype, agent, "
                      "resolver, t_ms)",
                      NULL, NULL, NULL) != SQLITE_OK) ||
        sqlite3_prepare_v2(x->db,
                           "SELECT id, t_ms, received_ms, answer FROM series WHERE qname = ?1 "
                           "AND qtype = ?2 AND agent = ?3 AND resolver = ?4",
                           -1, &x->sget, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db, "PRAGMA data_version", -1, &x->dver, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db,
                           "INSERT INTO series (qname, qtype, agent, resolver, obs_id, t_ms, "
                           "received_ms, answer) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                           -1, &x->sins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db,
                           "UPDATE series SET obs_id = ?2, t_ms = ?3, received_ms = ?4, "
                           "answer = ?5 WHERE id = ?1",
                           -1, &x->supd, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db,
                           "INSERT INTO changes (series, t_ms, obs_id, received_ms) VALUES "
                           "(?1, ?2, ?3, ?4)",
                           -1, &x->chg, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db, "BEGIN IMMEDIATE", -1, &x->begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db, "COMMIT", -1, &x->commit, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db,
                           "INSERT INTO batches (agent, seq, received_ms, check_id, monitor, "
                           "incomplete, obs_first, n_obs, findings_first, n_findings) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                           -1, &x->batch, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(x->db,
                           "INSERT INTO observations (agent, seq, idx, received_ms, t_ms, "
                           "resolver, kind, server, nsid, qname, qtype, rcode, flags, transport, "
                           "fail, rrset, ttl_min, soa_serial, neg_ttl, ede, ede_text, rtt_us, id) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                           "?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
                           -1, &x->obs, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench: raw %s: %s\n", x->path, sqlite3_errmsg(x->db));
        return false;
    }
    /* The batches reference their agents: rows the store makes as it goes. */
    for (int a = 0; a < BENCH_AGENTS; a++) {
        char sql[128];
        snprintf(sql, sizeof sql, "INSERT INTO agents (id) VALUES ('%s')", d->agents[a]);
        if (sqlite3_exec(x->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            return false;
    }
    return true;
}

static void bench_side_close(bench_side *x)
{
    store_close(&x->store);
    sqlite3_finalize(x->begin);
    sqlite3_finalize(x->commit);
    sqlite3_finalize(x->batch);
    sqlite3_finalize(x->obs);
    sqlite3_finalize(x->sget);
    sqlite3_finalize(x->sins);
    sqlite3_finalize(x->supd);
    sqlite3_finalize(x->chg);
    sqlite3_finalize(x->dver);
    sqlite3_close(x->db);
    x->db = NULL;
    x->begin = x->commit = x->batch = x->obs = NULL;
    x->sget = x->sins = x->supd = x->chg = x->dver = NULL;
    bench_map_free(&x->series);
    bench_unlink(x->path);
}

static bool bench_step(bench_side *x, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "bench: raw: %s\n", sqlite3_errmsg(x->db));
        return false;
    }
    return true;
}

/* Raw SQLite doing the store's series upkeep for observation id (store_put_series()). */
static bool bench_raw_series(bench_side *x, const store_batch *b, const proto_obs *o, int64_t id)
{
    int64_t answer = bench_answer(o), sid = 0, t_ms = 0, old = 0;
    bool hit, found;
    bench_series *e = bench_map_slot(&x->series, b->agent_id, o, &hit);
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
        sqlite3_bind_text(st, 3, b->agent_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, o->resolver, -1, SQLITE_STATIC);
        if ((found = sqlite3_step(st) == SQLITE_ROW)) {
            sid = sqlite3_column_int64(st, 0);
            t_ms = sqlite3_column_int64(st, 1);
            old = sqlite3_column_int64(st, 3);
        }
        sqlite3_reset(st);
    }
    if (found) {
        if (o->t_ms < t_ms)
            return bench_map_keep(&x->series, e, o->qtype, sid, t_ms, old);
        st = x->supd;
        sqlite3_bind_int64(st, 1, sid);
        sqlite3_bind_int64(st, 2, id);
        sqlite3_bind_int64(st, 3, o->t_ms);
        sqlite3_bind_int64(st, 4, b->received_ms);
        sqlite3_bind_int64(st, 5, answer);
        if (!bench_step(x, st) || !bench_map_keep(&x->series, e, o->qtype, sid, o->t_ms, answer))
            return false;
        if (answer == old)
            return true;
    } else {
        st = x->sins;
        sqlite3_bind_text(st, 1, o->qname, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, o->qtype);
        sqlite3_bind_text(st, 3, b->agent_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, o->resolver, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, id);
        sqlite3_bind_int64(st, 6, o->t_ms);
        sqlite3_bind_int64(st, 7, b->received_ms);
        sqlite3_bind_int64(st, 8, answer);
        if (!bench_step(x, st))
            return false;
        sid = sqlite3_last_insert_rowid(x->db);
        if (!bench_map_keep(&x->series, e, o->qtype, sid, o->t_ms, answer))
            return false;
    }
    st = x->chg;
    sqlite3_bind_int64(st, 1, sid);
    sqlite3_bind_int64(st, 2, o->t_ms);
    sqlite3_bind_int64(st, 3, id);
    sqlite3_bind_int64(st, 4, b->received_ms);
    return bench_step(x, st);
}

/* Raw SQLite: one INSERT for the batch, one per observation (and the series upkeep). */
static bool bench_raw_batch(bench_side *x, const store_batch *b)
{
    const proto_results *res = b->results;
    sqlite3_stmt *st = x->batch;
    sqlite3_bind_text(st, 1, b->agent_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)b->seq);
    sqlite3_bind_int64(st, 3, b->received_ms);
    sqlite3_bind_int64(st, 4, (int64_t)res->check_id);
    sqlite3_bind_text(st, 5, res->monitor, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, res->incomplete);
    int64_t first = x->next_id;
    sqlite3_bind_int64(st, 7, first);
    sqlite3_bind_int64(st, 8, (int64_t)res->n_obs);
    sqlite3_bind_null(st, 9);
    sqlite3_bind_int64(st, 10, 0);
    if (!bench_step(x, st))
        return false;
    x->next_id += (int64_t)res->n_obs;
    st = x->obs;
    for (size_t i = 0; i < res->n_obs; i++) {
        const proto_obs *o = &res->obs[i];
        sqlite3_bind_int64(st, 23, first + (int64_t)i);
        sqlite3_bind_text(st, 1, b->agent_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, (int64_t)b->seq);
        sqlite3_bind_int64(st, 3, (int64_t)i);
        sqlite3_bind_int64(st, 4, b->received_ms);
        sqlite3_bind_int64(st, 5, o->t_ms);
        sqlite3_bind_text(st, 6, o->resolver, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, o->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, o->server, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, o->nsid, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 10, o->qname, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 11, o->qtype);
        sqlite3_bind_int(st, 12, o->rcode);
        sqlite3_bind_int(st, 13, o->flags);
        sqlite3_bind_int(st, 14, o->transport);
        sqlite3_bind_int(st, 15, o->fail);
        sqlite3_bind_text(st, 16, o->rrset, -1, SQLITE_STATIC);
        if (o->has_ttl)
            sqlite3_bind_int64(st, 17, o->ttl_min);
        else
            sqlite3_bind_null(st, 17);
        if (o->has_soa_serial)
            sqlite3_bind_int64(st, 18, o->soa_serial);
        else
            sqlite3_bind_null(st, 18);
        if (o->has_neg_ttl)
            sqlite3_bind_int64(st, 19, o->neg_ttl);
        else
            sqlite3_bind_null(st, 19);
        sqlite3_bind_null(st, 20);
        sqlite3_bind_text(st, 21, o->ede_text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 22, o->rtt_us);
        if (!bench_step(x, st))
            return false;
        if (x->how == BENCH_RAW_SAME && !bench_raw_series(x, b, o, first + (int64_t)i))
            return false;
    }
    return true;
}

/* Write one group of k batches the side's way, one transaction; adds the time. */
static bool bench_side_group(bench_side *x, const store_batch *group, size_t k,
                             store_put_result *res)
{
    char err[512];
    int64_t start = clock_mono_us();
    if (x->how == BENCH_STORE || x->how == BENCH_STORE_NC) {
        if (store_put_batches(x->store, group, k, res, err, sizeof err) != 0) {
            fprintf(stderr, "bench: %s\n", err);
            return false;
        }
    } else {
        if (!bench_step(x, x->begin))
            return false;
        /* The store reads the data version once a transaction (its series cache). */
        if (x->how == BENCH_RAW_SAME) {
            int rc = sqlite3_step(x->dver);
            sqlite3_reset(x->dver);
            if (rc != SQLITE_ROW)
                return false;
        }
        for (size_t i = 0; i < k; i++)
            if (!bench_raw_batch(x, &group[i]))
                return false;
        if (!bench_step(x, x->commit))
            return false;
    }
    x->secs += (double)(clock_mono_us() - start) / 1e6;
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr,
                "usage: bench_store N G [DIR [SHAPE]]\n"
                "  N batches of 100 observations, G (1..%d) batches per transaction,\n"
                "  files in DIR ($TMPDIR or /tmp), SHAPE runs (default), deep or random\n",
                BENCH_TEMPLATES * BENCH_AGENTS / 2);
        return 2;
    }
    size_t n = strtoul(argv[1], NULL, 10), g = strtoul(argv[2], NULL, 10);
    const char *tmp = getenv("TMPDIR");
    const char *dir = argc > 3 ? argv[3] : tmp && *tmp ? tmp : "/tmp";
    const char *shape = argc > 4 ? argv[4] : "runs";
    bool random_shape = strcmp(shape, "random") == 0, deep = strcmp(shape, "deep") == 0;
    size_t domains = deep ? 16 : BENCH_TEMPLATES;
    /* A template is shared by the agents of one round: a group spans fewer rounds than domains. */
    if (n == 0 || g == 0 || g > domains * BENCH_AGENTS / 2 ||
        (!random_shape && !deep && strcmp(shape, "runs") != 0)) {
        fprintf(stderr, "bench: N > 0, G within 1..%zu, SHAPE runs, deep or random\n",
                domains * BENCH_AGENTS / 2);
        return 2;
    }
    /* As coordinator/store.c sets it up, before SQLite's first use: no memory statistics. */
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    printf("command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    struct statfs fs;
    if (statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC)
        printf("warning: %s is a tmpfs: fsync costs nothing there\n", dir);
    printf("%zu batches x %d observations (%s), %zu batches per transaction, %d agents; "
           "WAL, synchronous=FULL; files in %s; SQLite %s\n",
           n, BENCH_OBS, shape, g, BENCH_AGENTS, dir, sqlite3_libversion());

    bench_side sides[] = {
        {.label = "store", .how = BENCH_STORE},
        {.label = "store, no cache", .how = BENCH_STORE_NC},
        {.label = "raw, same writes", .how = BENCH_RAW_SAME},
        {.label = "raw, rows only", .how = BENCH_RAW_ROWS},
        {.label = "raw, history index", .how = BENCH_RAW_INDEX},
    };
    const size_t n_sides = sizeof sides / sizeof sides[0];
    bench_data *d = calloc(1, sizeof *d);
    store_batch *group = calloc(g, sizeof *group);
    store_put_result *res = calloc(g, sizeof *res);
    int rc = 1;
    if (!d || !group || !res)
        goto done;
    bench_build(d, random_shape);
    d->n_domains = domains;
    for (size_t i = 0; i < n_sides; i++) {
        snprintf(sides[i].path, sizeof sides[i].path, "%s/bench-store-%zu.%d.db", dir, i,
                 (int)getpid());
        if (!bench_side_open(&sides[i], d))
            goto done;
    }
    /* Group by group, each side in turn, the first one rotating: the disk's mood is shared. */
    int64_t t0 = 1700000000000;
    size_t groups = 0;
    for (size_t b = 0; b < n; groups++) {
        size_t k = 0;
        for (; k < g && b < n; k++, b++)
            group[k] = bench_batch(d, b, t0);
        for (size_t j = 0; j < n_sides; j++)
            if (!bench_side_group(&sides[(groups + j) % n_sides], group, k, res))
                goto done;
    }
    double obs = (double)n * BENCH_OBS;
    for (size_t i = 0; i < n_sides; i++)
        printf("%-20s %9.0f obs/s (%6.2f s)   store/this %.2f\n", sides[i].label,
               obs / sides[i].secs, sides[i].secs, sides[i].secs / sides[0].secs);
    printf("STORE_OPS=%.0f\nSTORE_NOCACHE_OPS=%.0f\nRAW_SAME_OPS=%.0f\nRAW_ROWS_OPS=%.0f\n"
           "RAW_INDEX_OPS=%.0f\n",
           obs / sides[0].secs, obs / sides[1].secs, obs / sides[2].secs, obs / sides[3].secs,
           obs / sides[4].secs);
    rc = 0;
done:
    for (size_t i = 0; i < n_sides; i++)
        bench_side_close(&sides[i]);
    free(d);
    free(group);
    free(res);
    return rc;
}

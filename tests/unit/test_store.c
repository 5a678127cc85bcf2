/*
 * tests/unit/test_store.c - the coordinator's store: batches round trip,
 * duplicates by (agent, seq), rollback, migrations, retention, queries,
 * SMTP probes, and the series cache (its copies stay what the file holds
 * across rollback, retention, eviction, late observations and another
 * writer).
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdarg.h>
#include <sqlite3.h>

#include "coordinator/store.h"

static char *tmp;
static char *db_path;

static int setup(void **state)
{
    (void)state;
    tmp = tu_tmpdir();
    db_path = malloc(strlen(tmp) + 16);
    assert_non_null(db_path);
    sprintf(db_path, "%s/vantage.db", tmp);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(db_path);
    db_path = NULL;
    tu_tmpdir_remove(&tmp);
    return 0;
}

static store_t *open_ok(const char *path)
{
    char err[512] = "";
    store_t *s = NULL;
    if (store_open(path, &s, err, sizeof err) != 0)
        fail_msg("store_open: %s", err);
    assert_non_null(s);
    return s;
}

/* store_open must fail with an error naming the file and holding why. */
static void open_refused(const char *path, const char *why)
{
    char err[512] = "";
    store_t *s = (store_t *)1;
    assert_int_equal(store_open(path, &s, err, sizeof err), -1);
    assert_null(s);
    if (!strstr(err, path) || !strstr(err, why))
        fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, path, why);
}

static uint64_t count(store_t *s, store_what what, const char *agent)
{
    char err[512] = "";
    uint64_t n = 0;
    if (store_count(s, what, agent, &n, err, sizeof err) != 0)
        fail_msg("store_count: %s", err);
    return n;
}

/* Run SQL on a file with SQLite directly (building old, foreign or newer files). */
static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* One text value of a query on the file, copied into a static buffer; "" for no row. */
static const char *raw_text(const char *path, const char *sql)
{
    static char out[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

/* ---- sample batches ------------------------------------------------------ */

static uint16_t sample_ede[] = {15, 22, 65535};

/* An observation with every field set. */
static proto_obs obs_full(void)
{
    return (proto_obs){
        .t_ms = 1700000000123,
        .resolver = "127.0.10.1",
        .kind = "auth",
        .server = "ns1.good.test.",
        .nsid = "ns1-anycast-fra",
        .qname = "good.test.",
        .qtype = 15,
        .rcode = 0,
        .flags = PROTO_FLAG_AA | PROTO_FLAG_TC,
        .transport = 1,
        .fail = PROTO_FAIL_NONE,
        .rrset = "good.test. MX 10 mx1.good.test.\ngood.test. MX 20 mx2.good.test.",
        .ttl_min = 300,
        .has_ttl = true,
        .soa_serial = 4294967295u,
        .has_soa_serial = true,
        .neg_ttl = 60,
        .has_neg_ttl = true,
        .ede = sample_ede,
        .n_ede = 3,
        .ede_text = "blocked by policy",
        .rtt_us = 1234,
    };
}

/* An SMTP probe with every field set. */
static proto_smtp smtp_full(void)
{
    return (proto_smtp){
        .t_ms = 1700000000200,
        .host = "mx1.good.test.",
        .addr = "2001:db8::25",
        .port = 25,
        .status = PROTO_SMTP_OK,
        .code = 220,
        .greeting = "mx1.good.test ESMTP ready \xc3\xa9",
        .greet_name = "mx1.good.test",
        .flags = 0x3f,
        .size_max = UINT64_MAX, /* the uint64 bit pattern round-trips */
        .tls_version = "TLSv1.3",
        .cert_names = "mx1.good.test,*.good.test",
        .cert_not_after = -5, /* before 1970: still a value */
        .detail = "fine",
        .connect_us = UINT32_MAX,
        .total_us = 1234567,
    };
}

/* An SMTP probe with only the required fields. */
static proto_smtp smtp_min(const char *host, const char *addr, int64_t t_ms, uint8_t status)
{
    return (proto_smtp){.t_ms = t_ms, .host = host, .addr = addr, .port = 25, .status = status};
}

/* An observation with only the required fields. */
static proto_obs obs_min(const char *resolver, const char *qname, uint16_t qtype, int64_t t_ms,
                         const char *rrset)
{
    return (proto_obs){
        .t_ms = t_ms,
        .resolver = resolver,
        .kind = "local",
        .qname = qname,
        .qtype = qtype,
        .rcode = 3,
        .fail = PROTO_FAIL_TIMEOUT,
        .rrset = rrset,
        .rtt_us = 7,
    };
}

static proto_finding sample_findings[] = {
    {.code = "MX_SINGLE",
     .severity = PROTO_SEV_INFO,
     .name = "good.test.",
     .message = "one MX host, no fallback",
     .resolver = "local"},
    {.code = "AUTH_SERIAL_MISMATCH",
     .severity = PROTO_SEV_WARNING,
     .name = "good.test.",
     .message = "the authoritative servers report different serials",
     .resolver = NULL},
};

/* A small batch: one observation of qname MX at resolver "local". */
typedef struct sample {
    proto_obs obs[2];      /* its observations */
    proto_results results; /* the body */
} sample;

static void sample_init(sample *x, int64_t t_ms)
{
    memset(x, 0, sizeof *x);
    x->obs[0] = obs_min("local", "good.test.", 15, t_ms, "good.test. MX 10 mx1.good.test.");
    x->obs[1] = obs_min("local", "good.test.", 1, t_ms, "");
    x->results.obs = x->obs;
    x->results.n_obs = 2;
    x->results.findings = sample_findings;
    x->results.n_findings = 1;
}

static store_batch batch(const char *agent, uint64_t seq, int64_t received_ms,
                         const proto_results *r)
{
    return (store_batch){.agent_id = agent, .seq = seq, .received_ms = received_ms, .results = r};
}

/* Store a group and return the duplicate flags as a string of 'd' and 's'. */
static const char *put(store_t *s, const store_batch *b, size_t n)
{
    static char flags[64];
    store_put_result res[16];
    char err[512] = "";
    assert_true(n <= 16);
    if (store_put_batches(s, b, n, res, err, sizeof err) != 0)
        fail_msg("store_put_batches: %s", err);
    for (size_t i = 0; i < n; i++)
        flags[i] = res[i].duplicate ? 'd' : 's';
    flags[n] = '\0';
    return flags;
}

static void highest(store_t *s, const char *agent, bool *has, uint64_t *seq, uint64_t *batches)
{
    char err[512] = "";
    if (store_agent_highest_seq(s, agent, seq, has, batches, err, sizeof err) != 0)
        fail_msg("store_agent_highest_seq: %s", err);
}

static void assert_str_eq_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_obs_equal(const proto_obs *a, const proto_obs *b)
{
    assert_int_equal(a->t_ms, b->t_ms);
    assert_str_eq_null(a->resolver, b->resolver);
    assert_str_eq_null(a->kind, b->kind);
    assert_str_eq_null(a->server, b->server);
    assert_str_eq_null(a->nsid, b->nsid);
    assert_str_eq_null(a->qname, b->qname);
    assert_int_equal(a->qtype, b->qtype);
    assert_int_equal(a->rcode, b->rcode);
    assert_int_equal(a->flags, b->flags);
    assert_int_equal(a->transport, b->transport);
    assert_int_equal(a->fail, b->fail);
    assert_str_eq_null(a->rrset, b->rrset);
    /* A value without its has_ flag is not stored. */
    assert_int_equal(a->has_ttl, b->has_ttl);
    if (a->has_ttl)
        assert_int_equal(a->ttl_min, b->ttl_min);
    assert_int_equal(a->has_soa_serial, b->has_soa_serial);
    if (a->has_soa_serial)
        assert_int_equal(a->soa_serial, b->soa_serial);
    assert_int_equal(a->has_neg_ttl, b->has_neg_ttl);
    if (a->has_neg_ttl)
        assert_int_equal(a->neg_ttl, b->neg_ttl);
    assert_int_equal(a->n_ede, b->n_ede);
    if (a->n_ede)
        assert_memory_equal(a->ede, b->ede, a->n_ede * sizeof *a->ede);
    assert_str_eq_null(a->ede_text, b->ede_text);
    assert_int_equal(a->rtt_us, b->rtt_us);
}

static void assert_smtp_equal(const proto_smtp *a, const proto_smtp *b)
{
    assert_int_equal(a->t_ms, b->t_ms);
    assert_str_eq_null(a->host, b->host);
    assert_str_eq_null(a->addr, b->addr);
    assert_int_equal(a->port, b->port);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->code, b->code);
    assert_str_eq_null(a->greeting, b->greeting);
    assert_str_eq_null(a->greet_name, b->greet_name);
    assert_int_equal(a->flags, b->flags);
    assert_true(a->size_max == b->size_max);
    assert_str_eq_null(a->tls_version, b->tls_version);
    assert_str_eq_null(a->cert_names, b->cert_names);
    assert_int_equal(a->cert_not_after, b->cert_not_after);
    assert_str_eq_null(a->detail, b->detail);
    assert_int_equal(a->connect_us, b->connect_us);
    assert_int_equal(a->total_us, b->total_us);
}

static void assert_results_equal(const proto_results *a, const proto_results *b)
{
    assert_true(a->check_id == b->check_id);
    assert_true(a->track_id == b->track_id);
    assert_str_eq_null(a->monitor, b->monitor);
    assert_int_equal(a->incomplete, b->incomplete);
    assert_int_equal(a->n_obs, b->n_obs);
    for (size_t i = 0; i < a->n_obs; i++)
        assert_obs_equal(&a->obs[i], &b->obs[i]);
    assert_int_equal(a->n_findings, b->n_findings);
    for (size_t i = 0; i < a->n_findings; i++) {
        assert_str_eq_null(a->findings[i].code, b->findings[i].code);
        assert_int_equal(a->findings[i].severity, b->findings[i].severity);
        assert_str_eq_null(a->findings[i].name, b->findings[i].name);
        assert_str_eq_null(a->findings[i].message, b->findings[i].message);
        assert_str_eq_null(a->findings[i].resolver, b->findings[i].resolver);
    }
    assert_int_equal(a->n_smtp, b->n_smtp);
    for (size_t i = 0; i < a->n_smtp; i++)
        assert_smtp_equal(&a->smtp[i], &b->smtp[i]);
}

/* Read back (agent, seq) and compare it with want; a missing batch fails. */
static void assert_stored(store_t *s, const char *agent, uint64_t seq, const proto_results *want,
                          int64_t want_received)
{
    char err[512] = "";
    arena_t *arena = arena_new();
    proto_results got;
    int64_t received = 0;
    bool found = false;
    if (store_batch_get(s, agent, seq, arena, &got, &received, &found, err, sizeof err) != 0)
        fail_msg("store_batch_get: %s", err);
    if (!found)
        fail_msg("batch %s/%" PRIu64 " not found", agent, seq);
    assert_int_equal(received, want_received);
    assert_results_equal(&got, want);
    arena_destroy(&arena);
}

static bool stored(store_t *s, const char *agent, uint64_t seq)
{
    char err[512] = "";
    arena_t *arena = arena_new();
    proto_results got;
    int64_t received = 0;
    bool found = true;
    if (store_batch_get(s, agent, seq, arena, &got, &received, &found, err, sizeof err) != 0)
        fail_msg("store_batch_get: %s", err);
    arena_destroy(&arena);
    return found;
}

/* ---- tests --------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    proto_obs obs[3];
    obs[0] = obs_full();
    obs[1] = obs_min("local", "good.test.", 15, 1700000000100, "");
    obs[2] = obs_full();
    obs[2].ede = NULL;
    obs[2].n_ede = 0;
    obs[2].ede_text = NULL;
    obs[2].has_ttl = false;
    obs[2].resolver = "[2001:db8::1]:53";
    proto_smtp smtp[2] = {smtp_full(), smtp_min("mx2.good.test.", "192.0.2.2", 1, 2)};
    proto_results r = {
        .check_id = UINT64_MAX,
        .track_id = (UINT64_C(1) << 63) + 77,
        .monitor = "mx-watch",
        .incomplete = true,
        .obs = obs,
        .n_obs = 3,
        .findings = sample_findings,
        .n_findings = 2,
        .smtp = smtp,
        .n_smtp = 2,
    };
    /* Sequence numbers above INT64_MAX round-trip. */
    const uint64_t seq = UINT64_MAX - 1;
    store_batch b = batch("fra-1", seq, 1700000000500, &r);
    assert_string_equal(put(s, &b, 1), "s");
    assert_stored(s, "fra-1", seq, &r, 1700000000500);

    /* A batch with nothing in it, no monitor, check id 0. */
    proto_results empty = {0};
    b = batch("fra-1", 1, 1700000000600, &empty);
    assert_string_equal(put(s, &b, 1), "s");
    assert_stored(s, "fra-1", 1, &empty, 1700000000600);

    assert_false(stored(s, "fra-1", 2));
    assert_false(stored(s, "nobody", seq));
    assert_int_equal(count(s, STORE_BATCHES, NULL), 2);
    assert_int_equal(count(s, STORE_OBSERVATIONS, "fra-1"), 3);
    assert_int_equal(count(s, STORE_FINDINGS, NULL), 2);
    assert_int_equal(count(s, STORE_SMTP, NULL), 2);
    assert_int_equal(count(s, STORE_SMTP, "fra-1"), 2);
    assert_int_equal(count(s, STORE_SMTP, "nobody"), 0);

    bool has = false;
    uint64_t hi = 0, n = 0;
    highest(s, "fra-1", &has, &hi, &n);
    assert_true(has);
    assert_true(hi == seq);
    assert_int_equal(n, 2);
    highest(s, "nobody", &has, &hi, &n);
    assert_false(has);
    assert_int_equal(n, 0);

    /* The journal mode is WAL (kept in the file). */
    store_close(&s);
    assert_null(s);
    assert_string_equal(raw_text(db_path, "PRAGMA journal_mode"), "wal");
}

static void test_duplicates(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    sample x;
    sample_init(&x, 1000);

    /* In one group: the second (a, 1) is a duplicate of the first. */
    store_batch g1[] = {batch("a", 1, 10, &x.results), batch("a", 2, 10, &x.results),
                        batch("a", 1, 10, &x.results), batch("b", 1, 10, &x.results)};
    assert_string_equal(put(s, g1, 4), "ssds");
    /* Across groups. */
    store_batch g2[] = {batch("a", 2, 20, &x.results), batch("a", 3, 20, &x.results)};
    assert_string_equal(put(s, g2, 2), "ds");
    assert_int_equal(count(s, STORE_BATCHES, "a"), 3);
    assert_int_equal(count(s, STORE_BATCHES, "b"), 1);
    assert_int_equal(count(s, STORE_OBSERVATIONS, "a"), 6);
    assert_int_equal(count(s, STORE_FINDINGS, NULL), 4);
    /* The duplicate did not overwrite the first copy's arrival time. */
    assert_stored(s, "a", 2, &x.results, 10);

    /* A lower seq never stored is accepted: no high-water mark. */
    store_batch hi = batch("a", 100, 30, &x.results);
    assert_string_equal(put(s, &hi, 1), "s");
    store_batch lo[] = {batch("a", 50, 40, &x.results), batch("a", 50, 40, &x.results)};
    assert_string_equal(put(s, lo, 2), "sd");
    bool has;
    uint64_t seq, n;
    highest(s, "a", &has, &seq, &n);
    assert_true(has);
    assert_int_equal(seq, 100);
    assert_int_equal(n, 5);

    /* The highest seq compares as unsigned across INT64_MAX. */
    const uint64_t big = (UINT64_C(1) << 63) + 5;
    store_batch g3[] = {batch("c", big, 50, &x.results), batch("c", 7, 50, &x.results),
                        batch("c", big - 1, 50, &x.results), batch("c", INT64_MAX, 50, &x.results),
                        batch("c", big, 50, &x.results)};
    assert_string_equal(put(s, g3, 5), "ssssd");
    highest(s, "c", &has, &seq, &n);
    assert_true(seq == big);
    assert_int_equal(n, 4);
    store_batch top = batch("c", UINT64_MAX, 60, &x.results);
    assert_string_equal(put(s, &top, 1), "s");
    highest(s, "c", &has, &seq, &n);
    assert_true(seq == UINT64_MAX);
    assert_true(stored(s, "c", big) && stored(s, "c", 7) && stored(s, "c", UINT64_MAX));
    assert_false(stored(s, "c", 8));

    /* An empty group is no work and no error. */
    char err[64];
    assert_int_equal(store_put_batches(s, NULL, 0, NULL, err, sizeof err), 0);
    store_close(&s);
}

static void test_rollback(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    sample good, bad;
    sample_init(&good, 1000);
    sample_init(&bad, 1000);
    bad.obs[1].qname = NULL; /* its first observation is stored before this fails */
    store_batch g[] = {batch("a", 1, 10, &good.results), batch("a", 2, 10, &bad.results),
                       batch("a", 3, 10, &good.results)};
    store_put_result res[3];
    char err[512] = "";
    assert_int_equal(store_put_batches(s, g, 3, res, err, sizeof err), -1);
    if (!strstr(err, db_path) || !strstr(err, "batch a/2: observation 1 has no qname"))
        fail_msg("unexpected error: %s", err);
    assert_int_equal(count(s, STORE_BATCHES, NULL), 0);
    assert_int_equal(count(s, STORE_OBSERVATIONS, NULL), 0);
    assert_int_equal(count(s, STORE_FINDINGS, NULL), 0);
    assert_int_equal(count(s, STORE_AGENTS, NULL), 0);
    bool has = true;
    uint64_t seq, n;
    highest(s, "a", &has, &seq, &n);
    assert_false(has);

    /* A finding without a message, and an invalid agent id, likewise. */
    sample nomsg;
    sample_init(&nomsg, 1000);
    proto_finding f = sample_findings[0];
    f.message = NULL;
    nomsg.results.findings = &f;
    g[1] = batch("a", 2, 10, &nomsg.results);
    assert_int_equal(store_put_batches(s, g, 3, res, err, sizeof err), -1);
    assert_non_null(strstr(err, "finding 0 has no message"));
    g[1] = batch("a b", 2, 10, &good.results);
    assert_int_equal(store_put_batches(s, g, 3, res, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid agent id"));
    assert_int_equal(count(s, STORE_BATCHES, NULL), 0);

    /* The same group, fixed, stores everything: the failed tries left no trace. */
    g[1] = batch("a", 2, 10, &good.results);
    assert_string_equal(put(s, g, 3), "sss");
    assert_int_equal(count(s, STORE_OBSERVATIONS, NULL), 6);
    highest(s, "a", &has, &seq, &n);
    assert_int_equal(seq, 3);
    assert_int_equal(n, 3);
    store_close(&s);
}

/* What a store walk's callback collects: one line a call. */
typedef struct lines_ctx {
    char text[4096];   /* the lines */
    size_t calls;      /* callbacks so far */
    size_t stop_after; /* return 1 after this many; 0: never */
} lines_ctx;

/* Append one line to c; returns what the callback returns. */
static int collect(lines_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int collect(lines_ctx *c, const char *fmt, ...)
{
    size_t len = strlen(c->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->text + len, sizeof c->text - len, fmt, ap);
    va_end(ap);
    c->calls++;
    return c->stop_after && c->calls >= c->stop_after;
}

/* store_latest()'s callbacks as "agent|region|resolver|t_ms|rrset|n_ede" lines. */
static int on_latest(void *arg, const store_obs *o)
{
    return collect(arg, "%s|%s|%s|%" PRId64 "|%s|%zu\n", o->agent, o->region ? o->region : "-",
                   o->obs.resolver, o->obs.t_ms, o->obs.rrset, o->obs.n_ede);
}

static void test_latest(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    char err[512] = "";
    store_agent hello = {.id = "a1", .region = "eu", .last_seen_ms = 1, .up = true};
    assert_int_equal(store_agent_upsert(s, &hello, err, sizeof err), 0);

    proto_obs o1[] = {
        obs_min("local", "x.test.", 15, 100, "old"),
        obs_min("9.9.9.9", "x.test.", 15, 100, "old"),
        obs_min("local", "x.test.", 1, 500, "an A record"),
        obs_min("local", "y.test.", 15, 900, "another name"),
    };
    proto_obs o2[] = {
        obs_min("local", "x.test.", 15, 200, "new"),
        obs_min("local", "x.test.", 15, 150, "between"),
    };
    /* Re-sent from a spool: arrives last but was observed earliest. */
    proto_obs o3[] = {obs_min("9.9.9.9", "x.test.", 15, 50, "ancient")};
    proto_obs o4[] = {obs_min("local", "x.test.", 15, 300, "b's view")};
    o4[0].ede = sample_ede;
    o4[0].n_ede = 2;
    proto_results r1 = {.obs = o1, .n_obs = 4}, r2 = {.obs = o2, .n_obs = 2},
                  r3 = {.obs = o3, .n_obs = 1}, r4 = {.obs = o4, .n_obs = 1};
    store_batch g[] = {batch("a1", 1, 10, &r1), batch("a1", 2, 20, &r2), batch("a2", 1, 25, &r4),
                       batch("a1", 0, 30, &r3)};
    assert_string_equal(put(s, g, 4), "ssss");

    lines_ctx c = {0};
    assert_int_equal(store_latest(s, "x.test.", 15, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a1|eu|9.9.9.9|100|old|0\n"
                                "a1|eu|local|200|new|0\n"
                                "a2|-|local|300|b's view|2\n");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_latest(s, "x.test.", 1, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a1|eu|local|500|an A record|0\n");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_latest(s, "z.test.", 15, on_latest, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 0);

    /* Equal times: the one stored last wins. A callback may stop the walk. */
    proto_obs o5[] = {obs_min("local", "x.test.", 15, 300, "b's second view")};
    proto_results r5 = {.obs = o5, .n_obs = 1};
    store_batch b5 = batch("a2", 2, 40, &r5);
    assert_string_equal(put(s, &b5, 1), "s");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_latest(s, "x.test.", 15, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a1|eu|9.9.9.9|100|old|0\n"
                                "a1|eu|local|200|new|0\n"
                                "a2|-|local|300|b's second view|0\n");
    memset(&c, 0, sizeof c);
    c.stop_after = 1;
    assert_int_equal(store_latest(s, "x.test.", 15, on_latest, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 1);

    /* Everything purged: no vantage point left. */
    assert_int_equal(store_purge(s, INT64_MAX, NULL, err, sizeof err), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_latest(s, "x.test.", 15, on_latest, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 0);
    store_close(&s);
}

static void test_history(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    char err[512] = "";
    /* Vantage point local: A, A, A with another rcode, B, timeout, B; auth: A. */
    proto_obs o[] = {
        obs_min("local", "h.test.", 1, 100, "h.test. A 192.0.2.1"),
        obs_min("local", "h.test.", 1, 200, "h.test. A 192.0.2.1"),
        obs_min("local", "h.test.", 1, 300, "h.test. A 192.0.2.1"),
        obs_min("local", "h.test.", 1, 400, "h.test. A 192.0.2.2"),
        obs_min("local", "h.test.", 1, 500, ""),
        obs_min("local", "h.test.", 1, 600, "h.test. A 192.0.2.2"),
        obs_min("auth", "h.test.", 1, 150, "h.test. A 192.0.2.1"),
    };
    for (size_t i = 0; i < 7; i++) {
        o[i].rcode = 0;
        o[i].fail = PROTO_FAIL_NONE;
    }
    o[2].rcode = 3;
    o[4].fail = PROTO_FAIL_TIMEOUT;
    proto_results r1 = {.obs = o, .n_obs = 4}, r2 = {.obs = o + 4, .n_obs = 3};
    store_batch g[] = {batch("a", 1, 10, &r1), batch("a", 2, 20, &r2)};
    assert_string_equal(put(s, g, 2), "ss");
    /* Late, from a spool: older than the latest, so no change is recorded. */
    proto_obs late[] = {obs_min("local", "h.test.", 1, 250, "h.test. A 198.51.100.1")};
    proto_results r3 = {.obs = late, .n_obs = 1};
    store_batch b3 = batch("a", 0, 30, &r3);
    assert_string_equal(put(s, &b3, 1), "s");

    lines_ctx c = {0};
    assert_int_equal(store_history(s, "h.test.", 1, 0, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a|-|local|100|h.test. A 192.0.2.1|0\n"
                                "a|-|auth|150|h.test. A 192.0.2.1|0\n"
                                "a|-|local|300|h.test. A 192.0.2.1|0\n"
                                "a|-|local|400|h.test. A 192.0.2.2|0\n"
                                "a|-|local|500||0\n"
                                "a|-|local|600|h.test. A 192.0.2.2|0\n");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_history(s, "h.test.", 1, 450, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a|-|local|500||0\n"
                                "a|-|local|600|h.test. A 192.0.2.2|0\n");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_history(s, "h.test.", 28, 0, on_latest, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 0);

    /* Retention takes the changes of the purged batches; the rest stays. */
    assert_int_equal(store_purge(s, 15, NULL, err, sizeof err), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_history(s, "h.test.", 1, 0, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a|-|auth|150|h.test. A 192.0.2.1|0\n"
                                "a|-|local|500||0\n"
                                "a|-|local|600|h.test. A 192.0.2.2|0\n");
    store_close(&s);
}

/* Collects store_agents_list() as lines. */
static int on_agent(void *arg, const store_agent *a)
{
    char *text = arg;
    size_t len = strlen(text);
    snprintf(text + len, 1024 - len,
             "%s %s %s first=%" PRId64 " seen=%" PRId64 " hello=%" PRId64 " off=%s%" PRId64
             " backlog=%s%" PRIu64 " %s hi=%s%" PRIu64 " n=%" PRIu64 "\n",
             a->id, a->region ? a->region : "-", a->software ? a->software : "-", a->first_seen_ms,
             a->last_seen_ms, a->last_hello_ms, a->has_clock_offset ? "" : "!", a->clock_offset_ms,
             a->has_spool_backlog ? "" : "!", a->spool_backlog, a->up ? "up" : "down",
             a->has_highest_seq ? "" : "!", a->highest_seq, a->stored_batches);
    return 0;
}

static void test_agents(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    char err[512] = "", text[1024] = "";
    store_agent hello = {.id = "fra-1",
                         .region = "eu-central",
                         .software = "0.1.0",
                         .last_seen_ms = 1000,
                         .last_hello_ms = 1000,
                         .spool_backlog = 3,
                         .has_spool_backlog = true,
                         .up = true};
    assert_int_equal(store_agent_upsert(s, &hello, err, sizeof err), 0);
    /* A heartbeat: keeps region, software and last HELLO. */
    store_agent beat = {.id = "fra-1",
                        .last_seen_ms = 2000,
                        .clock_offset_ms = -42,
                        .has_clock_offset = true,
                        .spool_backlog = 0,
                        .has_spool_backlog = true,
                        .up = true};
    assert_int_equal(store_agent_upsert(s, &beat, err, sizeof err), 0);
    sample x;
    sample_init(&x, 1);
    store_batch b[] = {batch("fra-1", 9, 2100, &x.results), batch("nyc-1", 4, 2200, &x.results)};
    assert_string_equal(put(s, b, 2), "ss");
    /* Marked down: only up changes. */
    store_agent down = {.id = "fra-1", .up = false};
    assert_int_equal(store_agent_upsert(s, &down, err, sizeof err), 0);

    assert_int_equal(store_agents_list(s, on_agent, text, err, sizeof err), 0);
    assert_string_equal(text, "fra-1 eu-central 0.1.0 first=1000 seen=2000 hello=1000 off=-42 "
                              "backlog=0 down hi=9 n=1\n"
                              "nyc-1 - - first=2200 seen=2200 hello=0 off=!0 backlog=!0 down "
                              "hi=4 n=1\n");
    assert_int_equal(count(s, STORE_AGENTS, NULL), 2);

    store_agent bad = {.id = "no spaces"};
    assert_int_equal(store_agent_upsert(s, &bad, err, sizeof err), -1);
    assert_non_null(strstr(err, "invalid agent id"));
    store_close(&s);
}

static void test_monitors(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    char err[512] = "";
    const char *types[] = {"MX", "TXT"}, *resolvers[] = {"local", "auth", "127.0.11.1:5301"};
    const char *agents[] = {"fra-1", "nyc-1"};
    store_monitor m[] = {
        {.name = "good",
         .qname = "good.test",
         .types = types,
         .n_types = 2,
         .profile = "mail",
         .resolvers = resolvers,
         .n_resolvers = 3,
         .interval_ms = 60000,
         .agents = agents,
         .n_agents = 2,
         .geo = true},
        {.name = "plain",
         .qname = "plain.test",
         .types = types,
         .n_types = 1,
         .profile = "",
         .resolvers = resolvers,
         .n_resolvers = 1,
         .interval_ms = 300000},
    };
    assert_int_equal(store_monitors_sync(s, m, 2, 7, err, sizeof err), 0);
    assert_int_equal(count(s, STORE_MONITORS, NULL), 2);
    store_close(&s);
    assert_string_equal(raw_text(db_path, "SELECT qname || '|' || types || '|' || profile || '|' "
                                          "|| resolvers || '|' || interval_ms || '|' || agents || "
                                          "'|' || geo || '|' || generation FROM monitors "
                                          "WHERE name = 'good'"),
                        "good.test|MX TXT|mail|local auth 127.0.11.1:5301|60000|fra-1 nyc-1|1|7");
    assert_string_equal(raw_text(db_path, "SELECT coalesce(profile, 'none') || '|' || "
                                          "coalesce(agents, 'all') || '|' || types FROM monitors "
                                          "WHERE name = 'plain'"),
                        "none|all|MX");

    /* A new config replaces the table; a bad one changes nothing. */
    s = open_ok(db_path);
    assert_int_equal(store_monitors_sync(s, &m[1], 1, 8, err, sizeof err), 0);
    assert_int_equal(count(s, STORE_MONITORS, NULL), 1);
    store_monitor twice[] = {m[0], m[0]};
    assert_int_equal(store_monitors_sync(s, twice, 2, 9, err, sizeof err), -1);
    assert_non_null(strstr(err, db_path));
    assert_int_equal(count(s, STORE_MONITORS, NULL), 1);
    store_close(&s);
    assert_string_equal(raw_text(db_path, "SELECT name || generation FROM monitors"), "plain8");
}

static void test_purge(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    char err[512] = "";
    sample x;
    sample_init(&x, 1);
    store_batch g[] = {batch("a", 1, 1000, &x.results), batch("b", 1, 2000, &x.results),
                       batch("a", 2, 3000, &x.results)};
    assert_string_equal(put(s, g, 3), "sss");
    store_batch late = batch("a", 3, 4000, &x.results);
    assert_string_equal(put(s, &late, 1), "s");

    store_purged p = {0};
    assert_int_equal(store_purge(s, 2500, &p, err, sizeof err), 0);
    assert_int_equal(p.batches, 2);
    assert_int_equal(p.observations, 4);
    assert_int_equal(p.findings, 2);
    assert_int_equal(count(s, STORE_BATCHES, NULL), 2);
    assert_int_equal(count(s, STORE_OBSERVATIONS, NULL), 4);
    assert_int_equal(count(s, STORE_FINDINGS, NULL), 2);
    assert_int_equal(count(s, STORE_AGENTS, NULL), 2);
    assert_false(stored(s, "a", 1));
    assert_false(stored(s, "b", 1));
    assert_stored(s, "a", 2, &x.results, 3000);
    assert_stored(s, "a", 3, &x.results, 4000);
    /* Agents keep what WELCOME needs. */
    bool has;
    uint64_t seq, n;
    highest(s, "b", &has, &seq, &n);
    assert_true(has);
    assert_int_equal(seq, 1);
    assert_int_equal(n, 1);

    /* Nothing older: nothing removed. */
    assert_int_equal(store_purge(s, 2500, &p, err, sizeof err), 0);
    assert_int_equal(p.batches + p.observations + p.findings, 0);
    assert_int_equal(store_purge(s, INT64_MAX, NULL, err, sizeof err), 0);
    assert_int_equal(count(s, STORE_OBSERVATIONS, NULL), 0);
    assert_int_equal(count(s, STORE_BATCHES, NULL), 0);

    /* Ids of purged rows may come back; batches stored afterwards read right. */
    assert_string_equal(put(s, g, 3), "sss");
    assert_stored(s, "b", 1, &x.results, 2000);
    store_close(&s);
}

static void test_reopen(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    sample x;
    sample_init(&x, 5);
    store_batch g[] = {batch("a", 1, 10, &x.results), batch("a", 2, 20, &x.results)};
    assert_string_equal(put(s, g, 2), "ss");
    store_close(&s);
    store_close(&s); /* NULL is fine */

    s = open_ok(db_path);
    assert_int_equal(count(s, STORE_BATCHES, NULL), 2);
    assert_int_equal(count(s, STORE_OBSERVATIONS, NULL), 4);
    assert_stored(s, "a", 2, &x.results, 20);
    assert_string_equal(put(s, g, 2), "dd");
    char err[512] = "";
    lines_ctx c = {0};
    assert_int_equal(store_latest(s, "good.test.", 15, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a|-|local|5|good.test. MX 10 mx1.good.test.|0\n");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_history(s, "good.test.", 1, 0, on_latest, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "a|-|local|5||0\n");
    bool has;
    uint64_t seq, n;
    highest(s, "a", &has, &seq, &n);
    assert_int_equal(seq, 2);
    assert_int_equal(n, 2);
    assert_string_equal(store_path(s), db_path);
    store_close(&s);
    assert_string_equal(raw_text(db_path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                        "2");
}

static void test_migrate_older(void **state)
{
    (void)state;
    /* A file from before schema version 1: meta only, version 0, one more key. */
    raw_exec(db_path, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "INSERT INTO meta VALUES ('schema_version', '0'), ('note', 'kept');");
    store_t *s = open_ok(db_path);
    sample x;
    sample_init(&x, 5);
    store_batch b = batch("a", 1, 10, &x.results);
    assert_string_equal(put(s, &b, 1), "s");
    store_close(&s);
    assert_string_equal(raw_text(db_path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                        "2");
    assert_string_equal(raw_text(db_path, "SELECT value FROM meta WHERE key = 'note'"), "kept");
    assert_string_equal(raw_text(db_path, "PRAGMA application_id"), "1447120468");

    /* A step that fails rolls back whole: the file stays at version 0. */
    char *old = malloc(strlen(tmp) + 16);
    assert_non_null(old);
    sprintf(old, "%s/old.db", tmp);
    raw_exec(old, "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                  "INSERT INTO meta VALUES ('schema_version', '0');"
                  "CREATE TABLE batches (x);");
    open_refused(old, "migrating to schema version 1");
    assert_string_equal(raw_text(old, "SELECT value FROM meta WHERE key = 'schema_version'"), "0");
    assert_string_equal(raw_text(old, "SELECT count(*) FROM sqlite_schema WHERE name = 'agents'"),
                        "0");
    free(old);
}

static void test_refuse_newer(void **state)
{
    (void)state;
    raw_exec(db_path, "PRAGMA application_id = 1447120468;"
                      "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                      "INSERT INTO meta VALUES ('schema_version', '99');");
    open_refused(db_path, "schema version 99 is newer than this build's 2");
    /* Left untouched: still in its rollback-journal mode, still version 99. */
    assert_string_equal(raw_text(db_path, "PRAGMA journal_mode"), "delete");
    assert_string_equal(raw_text(db_path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                        "99");
}

static void test_refuse_foreign(void **state)
{
    (void)state;
    /* Not a database at all. */
    char *text = tu_write(tmp, "notes.txt",
                          "this is a text file, long enough to fill a database header and more "
                          "so that SQLite reads it and finds it is not one of its own files.\n",
                          0644);
    open_refused(text, "not an SQLite database");
    free(text);
    /* A database of some other program. */
    char *other = malloc(strlen(tmp) + 16);
    assert_non_null(other);
    sprintf(other, "%s/other.db", tmp);
    raw_exec(other, "CREATE TABLE users (name TEXT);");
    open_refused(other, "not a vantage store");
    raw_exec(other, "PRAGMA application_id = 42;");
    open_refused(other, "another application");
    free(other);
    /* A file that cannot be created. */
    char *missing = malloc(strlen(tmp) + 32);
    assert_non_null(missing);
    sprintf(missing, "%s/no/such/dir/x.db", tmp);
    open_refused(missing, "cannot open");
    free(missing);
}

/* ---- SMTP probes ---------------------------------------------------------- */

/* SMTP probes as lines "agent|region|host|addr|port|t_ms|status|check|monitor|seq". */
static int on_smtp(void *arg, const store_smtp *p)
{
    return collect(arg, "%s|%s|%s|%s|%u|%" PRId64 "|%u|%" PRIu64 "|%s|%" PRIu64 "\n", p->agent,
                   p->region ? p->region : "-", p->probe.host, p->probe.addr,
                   (unsigned)p->probe.port, p->probe.t_ms, (unsigned)p->probe.status, p->check_id,
                   p->monitor ? p->monitor : "-", p->seq);
}

static void test_smtp_latest(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    char err[512] = "";
    store_agent hello = {.id = "eu-1", .region = "europe", .last_seen_ms = 1, .up = true};
    assert_int_equal(store_agent_upsert(s, &hello, err, sizeof err), 0);

    /* eu-1: two addresses of mx1, one of mx2; a later run: mx1 v4 refused */
    proto_smtp p1[] = {smtp_min("mx1.good.test.", "192.0.2.1", 100, PROTO_SMTP_OK),
                       smtp_min("mx1.good.test.", "2001:db8::1", 110, PROTO_SMTP_OK),
                       smtp_min("mx2.good.test.", "192.0.2.2", 120, PROTO_SMTP_TIMEOUT)};
    proto_smtp p2[] = {smtp_min("mx1.good.test.", "192.0.2.1", 200, PROTO_SMTP_REFUSED)};
    /* ap-1 (no region known) in a check; then a batch re-sent from a spool, older */
    proto_smtp p3[] = {smtp_min("mx1.good.test.", "192.0.2.1", 150, PROTO_SMTP_OK)};
    proto_smtp p4[] = {smtp_min("mx1.good.test.", "192.0.2.1", 50, PROTO_SMTP_CLOSED)};
    /* the same address on another port is another row */
    proto_smtp p5[] = {smtp_min("mx1.good.test.", "192.0.2.1", 60, PROTO_SMTP_OK)};
    p5[0].port = 587;
    proto_obs dns[] = {obs_min("local", "good.test.", 15, 100, "good.test. MX 10 mx1.good.test.")};
    proto_results r1 = {.monitor = "good", .obs = dns, .n_obs = 1, .smtp = p1, .n_smtp = 3},
                  r2 = {.monitor = "good", .smtp = p2, .n_smtp = 1},
                  r3 = {.check_id = 9, .smtp = p3, .n_smtp = 1},
                  r4 = {.monitor = "good", .smtp = p4, .n_smtp = 1}, r5 = {.smtp = p5, .n_smtp = 1};
    /* the DNS observations and the probes of a group go in one transaction */
    store_batch g[] = {batch("eu-1", 1, 10, &r1), batch("eu-1", 2, 20, &r2),
                       batch("ap-1", 1, 15, &r3)};
    assert_string_equal(put(s, g, 3), "sss");
    store_batch late[] = {batch("eu-1", 0, 30, &r4), batch("eu-1", 3, 35, &r5)};
    assert_string_equal(put(s, late, 2), "ss");
    assert_int_equal(count(s, STORE_SMTP, NULL), 7);
    assert_int_equal(count(s, STORE_OBSERVATIONS, NULL), 1);

    lines_ctx c = {0};
    const char *mx1[] = {"mx1.good.test."};
    assert_int_equal(store_smtp_latest(s, mx1, 1, on_smtp, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "ap-1|-|mx1.good.test.|192.0.2.1|25|150|0|9|-|1\n"
                                "eu-1|europe|mx1.good.test.|192.0.2.1|25|200|1|0|good|2\n"
                                "eu-1|europe|mx1.good.test.|192.0.2.1|587|60|0|0|-|3\n"
                                "eu-1|europe|mx1.good.test.|2001:db8::1|25|110|0|0|good|1\n");
    /* hosts in the order given; one with no probe adds nothing */
    memset(&c, 0, sizeof c);
    const char *both[] = {"mx2.good.test.", "nx.good.test.", "mx1.good.test."};
    assert_int_equal(store_smtp_latest(s, both, 3, on_smtp, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 5);
    assert_non_null(strstr(c.text, "eu-1|europe|mx2.good.test.|192.0.2.2|25|120|2|0|good|1\n"
                                   "ap-1|"));
    /* all hosts; a callback may stop the walk */
    memset(&c, 0, sizeof c);
    assert_int_equal(store_smtp_latest(s, NULL, 0, on_smtp, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 5);
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(store_smtp_latest(s, both, 3, on_smtp, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 2);

    /* equal times: the one stored last wins */
    proto_smtp p6[] = {smtp_min("mx1.good.test.", "192.0.2.1", 200, PROTO_SMTP_TLS_FAILED)};
    proto_results r6 = {.smtp = p6, .n_smtp = 1};
    store_batch b6 = batch("eu-1", 4, 40, &r6);
    assert_string_equal(put(s, &b6, 1), "s");
    memset(&c, 0, sizeof c);
    assert_int_equal(store_smtp_latest(s, mx1, 1, on_smtp, &c, err, sizeof err), 0);
    assert_non_null(strstr(c.text, "eu-1|europe|mx1.good.test.|192.0.2.1|25|200|7|0|-|4\n"));

    /* history of a host: every probe, oldest first, from a time on */
    memset(&c, 0, sizeof c);
    assert_int_equal(store_smtp_history(s, "mx1.good.test.", 100, on_smtp, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "eu-1|europe|mx1.good.test.|192.0.2.1|25|100|0|0|good|1\n"
                                "eu-1|europe|mx1.good.test.|2001:db8::1|25|110|0|0|good|1\n"
                                "ap-1|-|mx1.good.test.|192.0.2.1|25|150|0|9|-|1\n"
                                "eu-1|europe|mx1.good.test.|192.0.2.1|25|200|1|0|good|2\n"
                                "eu-1|europe|mx1.good.test.|192.0.2.1|25|200|7|0|-|4\n");
    assert_int_equal(store_smtp_history(s, NULL, 0, on_smtp, &c, err, sizeof err), -1);
    const char *bad[] = {NULL};
    assert_int_equal(store_smtp_latest(s, bad, 1, on_smtp, &c, err, sizeof err), -1);

    /* a duplicate batch stores no probe twice */
    assert_string_equal(put(s, g, 1), "d");
    assert_int_equal(count(s, STORE_SMTP, NULL), 8);

    /* a probe without host or addr fails the whole group: nothing stored */
    proto_smtp broken[] = {smtp_min("mx9.good.test.", NULL, 1, 0)};
    proto_results rb = {.smtp = broken, .n_smtp = 1};
    store_batch gb[] = {batch("eu-1", 50, 50, &r1), batch("eu-1", 51, 50, &rb)};
    store_put_result res[2];
    assert_int_equal(store_put_batches(s, gb, 2, res, err, sizeof err), -1);
    assert_non_null(strstr(err, "SMTP probe 0 has no addr"));
    proto_results rc = {.n_smtp = 1};
    store_batch bc = batch("eu-1", 52, 50, &rc);
    assert_int_equal(store_put_batches(s, &bc, 1, res, err, sizeof err), -1);
    assert_non_null(strstr(err, "counts without arrays"));
    assert_false(stored(s, "eu-1", 50));
    assert_int_equal(count(s, STORE_SMTP, NULL), 8);

    /* retention: the probes of purged batches go, and the latest rows with them */
    store_purged pg = {0};
    assert_int_equal(store_purge(s, 16, &pg, err, sizeof err), 0);
    assert_int_equal(pg.batches, 2);
    assert_int_equal(pg.smtp, 4);
    assert_int_equal(count(s, STORE_SMTP, NULL), 4);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_smtp_latest(s, NULL, 0, on_smtp, &c, err, sizeof err), 0);
    assert_string_equal(c.text, "eu-1|europe|mx1.good.test.|192.0.2.1|25|200|7|0|-|4\n"
                                "eu-1|europe|mx1.good.test.|192.0.2.1|587|60|0|0|-|3\n");
    assert_int_equal(store_purge(s, INT64_MAX, &pg, err, sizeof err), 0);
    assert_int_equal(count(s, STORE_SMTP, NULL), 0);
    memset(&c, 0, sizeof c);
    assert_int_equal(store_smtp_latest(s, NULL, 0, on_smtp, &c, err, sizeof err), 0);
    assert_int_equal(c.calls, 0);
    assert_string_equal(raw_text(db_path, "SELECT count(*) FROM smtp_latest"), "0");
    store_close(&s);
}

/* A version 1 file with a batch in it: migration 2 adds SMTP and keeps the batch. */
static void test_migrate_smtp(void **state)
{
    (void)state;
    store_t *s = open_ok(db_path);
    sample x;
    sample_init(&x, 5);
    store_batch b = batch("a", 1, 10, &x.results);
    assert_string_equal(put(s, &b, 1), "s");
    store_close(&s);
    /* back to version 1 as it was written */
    raw_exec(db_path, "DROP TABLE smtp_latest; DROP TABLE smtp_probes;"
                      "ALTER TABLE batches DROP COLUMN smtp_first;"
                      "ALTER TABLE batches DROP COLUMN n_smtp;"
                      "ALTER TABLE monitors DROP COLUMN smtp;"
                      "UPDATE meta SET value = '1' WHERE key = 'schema_version';");
    s = open_ok(db_path);
    assert_stored(s, "a", 1, &x.results, 10);
    proto_smtp p[] = {smtp_full()};
    x.results.smtp = p;
    x.results.n_smtp = 1;
    b = batch("a", 2, 20, &x.results);
    assert_string_equal(put(s, &b, 1), "s");
    assert_stored(s, "a", 2, &x.results, 20);
    store_close(&s);
    assert_string_equal(raw_text(db_path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                        "2");
    assert_string_equal(raw_text(db_path, "SELECT n_smtp FROM batches WHERE seq = 1"), "0");
    assert_string_equal(raw_text(db_path, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                          "'smtp_probes_host'"),
                        "1");
    /* a step 2 that fails rolls back whole: the file stays at version 1 */
    raw_exec(db_path, "DROP TABLE smtp_latest; DROP TABLE smtp_probes;"
                      "ALTER TABLE batches DROP COLUMN smtp_first;"
                      "ALTER TABLE batches DROP COLUMN n_smtp;"
                      "ALTER TABLE monitors DROP COLUMN smtp;"
                      "CREATE TABLE smtp_latest (x);"
                      "UPDATE meta SET value = '1' WHERE key = 'schema_version';");
    open_refused(db_path, "migrating to schema version 2 (SMTP probes)");
    assert_string_equal(raw_text(db_path, "SELECT value FROM meta WHERE key = 'schema_version'"),
                        "1");
    assert_string_equal(raw_text(db_path, "SELECT count(*) FROM sqlite_schema WHERE name = "
                                          "'smtp_probes'"),
                        "0");
}

/* ---- the series cache ----------------------------------------------------- */

/* Cache sizes every cache test runs with: none, one entry, one set, the default. */
static const size_t cache_sizes[] = {0, 1, 8, 262144};
#define N_CACHE_SIZES (sizeof cache_sizes / sizeof cache_sizes[0])

/* Remove the store file (and its WAL) at path. */
static void remove_store(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    unlink(p);
}

/* A new store at db_path holding at most max series in its cache. */
static store_t *open_cache(size_t max)
{
    remove_store(db_path);
    store_t *s = open_ok(db_path);
    store_series_cache(s, max);
    return s;
}

/* store_latest() or (history) store_history() from 0 of (qname, qtype) as lines in c. */
static void query(store_t *s, bool history, const char *qname, uint16_t qtype, lines_ctx *c)
{
    char err[512] = "";
    memset(c, 0, sizeof *c);
    int rc = history ? store_history(s, qname, qtype, 0, on_latest, c, err, sizeof err)
                     : store_latest(s, qname, qtype, on_latest, c, err, sizeof err);
    if (rc != 0)
        fail_msg("%s: %s", history ? "store_history" : "store_latest", err);
}

static void assert_latest(store_t *s, const char *qname, const char *want)
{
    lines_ctx c;
    query(s, false, qname, 1, &c);
    assert_string_equal(c.text, want);
}

static void assert_history(store_t *s, const char *qname, const char *want)
{
    lines_ctx c;
    query(s, true, qname, 1, &c);
    assert_string_equal(c.text, want);
}

/* Store one batch of agent "a" holding the n observations o (type A at "local"). */
static void put_obs(store_t *s, uint64_t seq, int64_t received_ms, proto_obs *o, size_t n)
{
    proto_results r = {.obs = o, .n_obs = n};
    store_batch b = batch("a", seq, received_ms, &r);
    assert_string_equal(put(s, &b, 1), "s");
}

/* A group that fails rolls back whole: the cache must not keep what it wrote. */
static void test_cache_rollback(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CACHE_SIZES; k++) {
        store_t *s = open_cache(cache_sizes[k]);
        char err[512] = "";
        proto_obs o1[] = {obs_min("local", "r.test.", 1, 100, "A")};
        put_obs(s, 1, 10, o1, 1);
        /* r moves to 300 with answer B and n.test. is new; then the group fails. */
        proto_obs o2[] = {obs_min("local", "r.test.", 1, 300, "B"),
                          obs_min("local", "n.test.", 1, 300, "N")};
        proto_results r2 = {.obs = o2, .n_obs = 2};
        sample bad;
        sample_init(&bad, 1);
        bad.obs[1].qname = NULL;
        store_batch g[] = {batch("a", 2, 20, &r2), batch("a", 3, 20, &bad.results)};
        store_put_result res[2];
        assert_int_equal(store_put_batches(s, g, 2, res, err, sizeof err), -1);
        /* The file holds r at 100 with A: 200 is newer, and A is no change. n is new again. */
        proto_obs o3[] = {obs_min("local", "r.test.", 1, 200, "A"),
                          obs_min("local", "n.test.", 1, 50, "N2")};
        put_obs(s, 4, 30, o3, 2);
        assert_latest(s, "r.test.", "a|-|local|200|A|0\n");
        assert_history(s, "r.test.", "a|-|local|100|A|0\n");
        assert_latest(s, "n.test.", "a|-|local|50|N2|0\n");
        assert_history(s, "n.test.", "a|-|local|50|N2|0\n");
        store_close(&s);
        assert_string_equal(raw_text(db_path, "SELECT count(*) FROM series"), "2");
    }
}

/* A commit that fails (here a deferred foreign key a trigger breaks) rolls back too. */
static void test_cache_commit_fails(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CACHE_SIZES; k++) {
        store_t *s = open_cache(cache_sizes[k]);
        char err[512] = "";
        proto_obs o1[] = {obs_min("local", "c.test.", 1, 100, "A")};
        put_obs(s, 1, 10, o1, 1);
        raw_exec(db_path, "CREATE TRIGGER boom AFTER UPDATE ON series WHEN NEW.t_ms = 300 BEGIN "
                          "INSERT INTO batches (agent, seq, received_ms, check_id, incomplete, "
                          "n_obs, n_findings) VALUES ('ghost', 1, 0, 0, 0, 0, 0); END;");
        proto_obs o2[] = {obs_min("local", "c.test.", 1, 300, "B")};
        proto_results r2 = {.obs = o2, .n_obs = 1};
        store_batch b2 = batch("a", 2, 20, &r2);
        store_put_result res;
        assert_int_equal(store_put_batches(s, &b2, 1, &res, err, sizeof err), -1);
        if (!strstr(err, "committing") || !strstr(err, "FOREIGN KEY"))
            fail_msg("unexpected error: %s", err);
        /* The file holds c at 100 with A. */
        proto_obs o3[] = {obs_min("local", "c.test.", 1, 200, "A")};
        put_obs(s, 3, 30, o3, 1);
        assert_latest(s, "c.test.", "a|-|local|200|A|0\n");
        assert_history(s, "c.test.", "a|-|local|100|A|0\n");
        store_close(&s);
    }
}

/* Retention deletes series rows: the cache must forget them, and only them. */
static void test_cache_purge(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CACHE_SIZES; k++) {
        store_t *s = open_cache(cache_sizes[k]);
        char err[512] = "";
        proto_obs o1[] = {obs_min("local", "p.test.", 1, 100, "A"),
                          obs_min("local", "q.test.", 1, 100, "A")};
        put_obs(s, 1, 1000, o1, 2);
        proto_obs o2[] = {obs_min("local", "q.test.", 1, 200, "A")};
        put_obs(s, 2, 3000, o2, 1);
        /* p's row (received at 1000) goes; q's (3000) stays. */
        assert_int_equal(store_purge(s, 2000, NULL, err, sizeof err), 0);
        assert_latest(s, "p.test.", "");
        /* p starts afresh, even before its purged latest; q's 150 is older than its 200. */
        proto_obs o3[] = {obs_min("local", "p.test.", 1, 50, "B"),
                          obs_min("local", "q.test.", 1, 150, "B")};
        put_obs(s, 3, 4000, o3, 2);
        assert_latest(s, "p.test.", "a|-|local|50|B|0\n");
        assert_history(s, "p.test.", "a|-|local|50|B|0\n");
        assert_latest(s, "q.test.", "a|-|local|200|A|0\n");
        assert_history(s, "q.test.", "");
        /* q's copy still says A: no change at 250. */
        proto_obs o4[] = {obs_min("local", "q.test.", 1, 250, "A")};
        put_obs(s, 4, 5000, o4, 1);
        assert_latest(s, "q.test.", "a|-|local|250|A|0\n");
        assert_history(s, "q.test.", "");
        store_close(&s);
    }
}

/* Late and equal times through the cache: an older observation changes nothing of it. */
static void test_cache_out_of_order(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CACHE_SIZES; k++) {
        store_t *s = open_cache(cache_sizes[k]);
        proto_obs o[] = {
            obs_min("local", "o.test.", 1, 200, "A"), obs_min("local", "o.test.", 1, 150, "B"),
            obs_min("local", "o.test.", 1, 300, "A"), obs_min("local", "o.test.", 1, 300, "B"),
            obs_min("local", "o.test.", 1, 250, "C"),
        };
        for (size_t i = 0; i < 5; i++)
            put_obs(s, i + 1, 10 * (int64_t)(i + 1), &o[i], 1);
        assert_latest(s, "o.test.", "a|-|local|300|B|0\n");
        assert_history(s, "o.test.", "a|-|local|200|A|0\na|-|local|300|B|0\n");
        /* The same within one batch. */
        put_obs(s, 6, 60, o, 5);
        assert_latest(s, "o.test.", "a|-|local|300|B|0\n");
        store_close(&s);
    }
}

/* Another connection's commit (an operator's sqlite3) drops the cache. */
static void test_cache_other_writer(void **state)
{
    (void)state;
    for (size_t k = 0; k < N_CACHE_SIZES; k++) {
        store_t *s = open_cache(cache_sizes[k]);
        proto_obs o1[] = {obs_min("local", "w.test.", 1, 100, "A")};
        put_obs(s, 1, 10, o1, 1);
        raw_exec(db_path, "DELETE FROM series; DELETE FROM changes;");
        proto_obs o2[] = {obs_min("local", "w.test.", 1, 50, "B")};
        put_obs(s, 2, 20, o2, 1);
        assert_latest(s, "w.test.", "a|-|local|50|B|0\n");
        assert_history(s, "w.test.", "a|-|local|50|B|0\n");
        store_close(&s);
    }
}

/* Every row of a query's first column, one a line (malloced). */
static char *raw_dump(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    assert_non_null(out);
    out[0] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t n = strlen(t ? t : "");
        if (len + n + 2 > cap) {
            cap = (len + n + 2) * 2;
            out = realloc(out, cap);
            assert_non_null(out);
        }
        memcpy(out + len, t ? t : "", n);
        len += n;
        out[len++] = '\n';
        out[len] = '\0';
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

/*
 * Random groups of late, equal and changing observations of 48 series, with
 * groups that fail, purges and another connection's deletes, through a
 * cache of max series; the series and changes tables as text (malloced).
 */
static char *cache_scenario(size_t max)
{
    static const char *const agents[] = {"a1", "a2", "a3"};
    static const char *const resolvers[] = {"local", "9.9.9.9"};
    static const char *const names[] = {"q0.test.", "q1.test.", "q2.test.", "q3.test."};
    static const char *const answers[] = {"X", "Y", "Z"};
    char err[512] = "";
    store_t *s = open_cache(max);
    uint32_t rnd = 2463534242u;
    uint64_t seq = 0;
    size_t failed = 0;
    for (int g = 0; g < 80; g++) {
        proto_obs obs[4][12];
        proto_results r[5];
        store_batch b[5];
        store_put_result res[5];
        size_t nb = 1 + xorshift(&rnd) % 4;
        for (size_t i = 0; i < nb; i++) {
            size_t n = 1 + xorshift(&rnd) % 12;
            for (size_t j = 0; j < n; j++) {
                obs[i][j] =
                    obs_min(resolvers[xorshift(&rnd) % 2], names[xorshift(&rnd) % 4],
                            (uint16_t)(1 + xorshift(&rnd) % 2),
                            g * 100 + (int64_t)(xorshift(&rnd) % 400), answers[xorshift(&rnd) % 3]);
                obs[i][j].rcode = 0;
                obs[i][j].fail = PROTO_FAIL_NONE;
            }
            r[i] = (proto_results){.obs = obs[i], .n_obs = n};
            b[i] = batch(agents[xorshift(&rnd) % 3], ++seq, g * 10, &r[i]);
        }
        bool fails = g % 7 == 6;
        sample bad;
        if (fails) {
            sample_init(&bad, 1);
            bad.obs[1].qname = NULL;
            b[nb++] = batch("a1", ++seq, g * 10, &bad.results);
        }
        if (store_put_batches(s, b, nb, res, err, sizeof err) != (fails ? -1 : 0))
            fail_msg("group %d: %s", g, fails ? "stored though it fails" : err);
        failed += fails;
        if (g % 13 == 12 && store_purge(s, (g - 4) * 10, NULL, err, sizeof err) != 0)
            fail_msg("store_purge: %s", err);
        if (g % 17 == 16)
            raw_exec(db_path, "DELETE FROM series WHERE qname = 'q3.test.' AND agent = 'a2'");
    }
    store_close(&s);
    assert_int_equal(failed, 11);
    char *series = raw_dump(db_path, "SELECT qname || ' ' || qtype || ' ' || agent || ' ' || "
                                     "resolver || ' ' || obs_id || ' ' || t_ms || ' ' || "
                                     "received_ms || ' ' || answer FROM series "
                                     "ORDER BY qname, qtype, agent, resolver");
    char *changes = raw_dump(db_path, "SELECT s.qname || ' ' || s.qtype || ' ' || s.agent || ' ' "
                                      "|| s.resolver || ' ' || c.t_ms || ' ' || c.obs_id || ' ' "
                                      "|| c.received_ms FROM changes c JOIN series s ON "
                                      "s.id = c.series ORDER BY 1");
    char *all = malloc(strlen(series) + strlen(changes) + 16);
    assert_non_null(all);
    sprintf(all, "%s--\n%s", series, changes);
    free(series);
    free(changes);
    return all;
}

/* Whatever the cache's size (evicting all the time, or never), the file ends the same. */
static void test_cache_eviction(void **state)
{
    (void)state;
    static const size_t sizes[] = {1, 2, 3, 8, 16, 48, 262144};
    char *want = cache_scenario(0);
    /* Not a trivial scenario: many series, changes and late observations. */
    size_t lines = 0;
    for (const char *p = want; *p; p++)
        lines += *p == '\n';
    assert_true(lines > 100);
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        char *got = cache_scenario(sizes[i]);
        if (strcmp(got, want) != 0)
            fail_msg("cache of %zu series: the file differs from one stored without a cache",
                     sizes[i]);
        free(got);
    }
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
        cmocka_unit_test_setup_teardown(test_agents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_monitors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_older, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_newer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_foreign, setup, teardown),
        cmocka_unit_test_setup_teardown(test_smtp_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_smtp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_commit_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_other_writer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cache_eviction, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

/*
 * tests/bench/bench_engine.c - throughput of the agent's query engine.
 *
 * Sends the questions of a dnsperf-style query file ("NAME TYPE" a line)
 * round-robin to one server through agent/dnsq (c-ares, one channel), keeps
 * IN_FLIGHT queries outstanding, turns every answer into an observation
 * with agent/answer (ldns parse, canonical RR set), and prints queries per
 * second. Run by tests/bench/run-engine.sh next to dnsperf.
 *
 *   bench_engine SERVER QUERYFILE SECONDS [IN_FLIGHT]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/answer.h"
#include "agent/dnsq.h"
#include "common/clock.h"
#include "common/dnsname.h"

typedef struct bench_q {
    char *name;    /* question name */
    uint16_t type; /* question type */
} bench_q;

typedef struct bench {
    dnsq_t *engine;     /* the engine */
    dnsq_server_t *srv; /* the server */
    bench_q *qs;        /* questions */
    size_t n_qs;        /* count */
    size_t next;        /* next question to send */
    uint64_t done;      /* answers received */
    uint64_t ok;        /* answers that parsed and matched: NOERROR or NXDOMAIN */
    uint64_t failed;    /* timeouts, refusals, malformed */
    arena_t *arena;     /* observation strings, reset now and then */
    bool stop;          /* no more sends */
} bench;

/* One query in flight: which question it asked. */
typedef struct bench_slot {
    bench *b;         /* the run */
    const bench_q *q; /* its question */
} bench_slot;

static void bench_send(bench *b, bench_slot *slot);

static void on_answer(void *arg, const answer_raw *raw)
{
    bench_slot *slot = arg;
    bench *b = slot->b;
    answer_t a;
    answer_from_raw(&a, raw, slot->q->name, slot->q->type, "bench", "auth", NULL, b->arena);
    if (a.obs.fail == PROTO_FAIL_NONE)
        b->ok++;
    else
        b->failed++;
    answer_clear(&a);
    b->done++;
    if (b->done % 20000 == 0) {
        arena_destroy(&b->arena);
        b->arena = arena_new();
    }
    if (!b->stop)
        bench_send(b, slot);
}

static void bench_send(bench *b, bench_slot *slot)
{
    const bench_q *q = &b->qs[b->next++ % b->n_qs];
    slot->b = b;
    slot->q = q;
    if (dnsq_query(b->engine, b->srv, q->name, q->type, 0, on_answer, slot) == 0) {
        fprintf(stderr, "bench: cannot queue %s\n", q->name);
        exit(1);
    }
}

static size_t load_queries(const char *path, bench_q **out)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    size_t n = 0, cap = 0;
    char line[512], name[300], type[32];
    bench_q *qs = NULL;
    while (fgets(line, sizeof line, fp)) {
        ldns_rr_type t;
        if (sscanf(line, "%299s %31s", name, type) != 2 || !dnsname_type_from_str(type, &t))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            qs = realloc(qs, cap * sizeof *qs);
        }
        /* a check asks canonical names (agent/check.c normalises once) */
        char canon[DNSNAME_TEXT_MAX];
        if (dnsname_normalize(name, canon, sizeof canon) != DNSNAME_OK)
            continue;
        qs[n].name = strdup(canon);
        qs[n].type = (uint16_t)t;
        n++;
    }
    fclose(fp);
    *out = qs;
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_engine SERVER QUERYFILE SECONDS [IN_FLIGHT]\n");
        return 2;
    }
    bench b = {0};
    b.n_qs = load_queries(argv[2], &b.qs);
    if (b.n_qs == 0) {
        fprintf(stderr, "bench: no queries in %s\n", argv[2]);
        return 1;
    }
    double secs = atof(argv[3]);
    size_t in_flight = argc > 4 ? strtoul(argv[4], NULL, 10) : 200;
    char err[256];
    dnsq_opts o = {.timeout_ms = 1000, .tries = 1, .rate = 1e9, .burst = 1000000000u};
    b.engine = dnsq_new(&o, err, sizeof err);
    if (!b.engine || !(b.srv = dnsq_server_get(b.engine, argv[1], err, sizeof err))) {
        fprintf(stderr, "bench: %s\n", err);
        return 1;
    }
    b.arena = arena_new();
    bench_slot *slots = calloc(in_flight, sizeof *slots);
    for (size_t i = 0; i < in_flight; i++)
        bench_send(&b, &slots[i]);
    int64_t start = clock_mono_ms();
    int64_t end = start + (int64_t)(secs * 1000);
    dnsq_run(b.engine, end);
    b.stop = true;
    int64_t elapsed = clock_mono_ms() - start;
    double qps = (double)b.done * 1000.0 / (double)elapsed;
    printf("engine: %llu answers (%llu failed) in %.2f s: %.0f queries/s\n",
           (unsigned long long)b.done, (unsigned long long)b.failed, elapsed / 1000.0, qps);
    printf("ENGINE_QPS=%.0f\n", qps);
    dnsq_destroy(&b.engine);
    free(slots);
    arena_destroy(&b.arena);
    for (size_t i = 0; i < b.n_qs; i++)
        free(b.qs[i].name);
    free(b.qs);
    return b.failed * 100 > b.done ? 1 : 0;
}

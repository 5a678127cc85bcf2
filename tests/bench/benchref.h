/*
 * tests/bench/benchref.h - what the raw-SQLite "same writes" references of
 * bench_store.c and bench_ingest.c share: the series they have seen (as the
 * store's series cache keeps them) and the store's answer fingerprint.
 * Header-only: each bench is one program built from one .c file.
 */
#ifndef VANTAGE_TESTS_BENCH_BENCHREF_H
#define VANTAGE_TESTS_BENCH_BENCHREF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/msg.h"

/* A series a same-writes reference has written or read: what the store's
 * series cache keeps. */
typedef struct bench_series {
    char *key;      /* "qname\0agent\0resolver" (malloced); NULL: a free slot */
    size_t key_len; /* its bytes */
    uint16_t qtype; /* the question's type */
    int64_t id;     /* series.id */
    int64_t t_ms;   /* series.t_ms */
    int64_t answer; /* series.answer */
} bench_series;

/* Every series seen, by key: open addressing, grown at half full, never evicting. */
typedef struct bench_map {
    bench_series *slots; /* cap slots */
    size_t cap;          /* a power of two, or 0 */
    size_t n;            /* slots in use */
    char key[640];       /* the key looked up last */
    size_t key_len;      /* its bytes */
} bench_map;

static uint64_t bench_map_hash(const char *key, size_t len, uint16_t qtype)
{
    uint64_t h = (UINT64_C(14695981039346656037) ^ qtype) * UINT64_C(1099511628211);
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * UINT64_C(1099511628211);
    return h;
}

/*
 * The slot of (o's question, agent): *hit when it holds that series, else
 * the free slot for it; NULL when out of memory.
 */
static bench_series *bench_map_slot(bench_map *m, const char *agent, const proto_obs *o, bool *hit)
{
    *hit = false;
    if (m->n * 2 >= m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 65536;
        bench_series *slots = calloc(cap, sizeof *slots);
        if (!slots)
            return NULL;
        for (size_t i = 0; i < m->cap; i++) {
            bench_series *e = &m->slots[i];
            if (!e->key)
                continue;
            size_t j = bench_map_hash(e->key, e->key_len, e->qtype) & (cap - 1);
            while (slots[j].key)
                j = (j + 1) & (cap - 1);
            slots[j] = *e;
        }
        free(m->slots);
        m->slots = slots;
        m->cap = cap;
    }
    int len = snprintf(m->key, sizeof m->key, "%s%c%s%c%s", o->qname, 0, agent, 0, o->resolver);
    if (len < 0 || (size_t)len >= sizeof m->key)
        return NULL;
    m->key_len = (size_t)len;
    size_t i = bench_map_hash(m->key, m->key_len, o->qtype) & (m->cap - 1);
    for (;; i = (i + 1) & (m->cap - 1)) {
        bench_series *e = &m->slots[i];
        if (!e->key)
            return e;
        if (e->qtype == o->qtype && e->key_len == m->key_len &&
            memcmp(e->key, m->key, m->key_len) == 0) {
            *hit = true;
            return e;
        }
    }
}

/* Fill slot e (bench_map_slot()'s) with the series' row; false when out of memory. */
static bool bench_map_keep(bench_map *m, bench_series *e, uint16_t qtype, int64_t id, int64_t t_ms,
                           int64_t answer)
{
    if (!e->key) {
        if (!(e->key = malloc(m->key_len)))
            return false;
        memcpy(e->key, m->key, m->key_len);
        e->key_len = m->key_len;
        e->qtype = qtype;
        m->n++;
    }
    e->id = id;
    e->t_ms = t_ms;
    e->answer = answer;
    return true;
}

static void bench_map_free(bench_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* The store's fingerprint of an answer (coordinator/store.c, store_answer()). */
static int64_t bench_answer(const proto_obs *o)
{
    uint64_t h = UINT64_C(14695981039346656037);
    const uint64_t prime = UINT64_C(1099511628211);
    h = (h ^ o->rcode) * prime;
    h = (h ^ o->fail) * prime;
    for (const unsigned char *p = (const unsigned char *)o->rrset; *p; p++)
        h = (h ^ *p) * prime;
    return (int64_t)h;
}

#endif

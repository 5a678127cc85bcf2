/*
 * agent/track.c - following one change at every resolver until it has spread.
 */
#include "agent/track.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/answer.h"
#include "agent/check.h"
#include "common/arena.h"
#include "common/clock.h"
#include "common/dnsname.h"

#define TRACK_VPS_MAX 64

/* One resolver (or authoritative server) being followed. */
typedef struct track_vp {
    struct track_run *run; /* owner, for callbacks */
    char name[64];         /* resolver name ("local", "127.0.10.1:53") */
    char kind[16];         /* "local", "public", "auth" */
    char server[256];      /* auth: host name */
    dnsq_server_t *srv;    /* where to ask */
    unsigned flags;        /* DNSQ_RD or DNSQ_NSID */
    int64_t next_ms;       /* monotonic time of the next ask */
    bool asking;           /* a question is in flight */
    int pending;           /* answers awaited for this ask (question, and SOA for auth) */
    void *inflight[2];     /* their track_q, to cancel when the track ends */
    answer_t ans;          /* the answer to the question of this ask */
    bool have_ans;         /* ans is set */
    uint32_t serial;       /* auth: zone serial from this ask's SOA answer */
    bool have_serial;      /* serial is set */
    arena_t *arena;        /* strings of ans */
} track_vp;

struct track_run {
    dnsq_t *engine;               /* queries (borrowed) */
    track_sink sink;              /* where answers go */
    void *ctx;                    /* its context */
    uint64_t id;                  /* track id */
    char qname[DNSNAME_TEXT_MAX]; /* the question */
    uint16_t qtype;               /* its type */
    char *expect;                 /* expected RR set text, or NULL */
    uint32_t expect_serial;       /* or this serial at least */
    bool has_expect_serial;       /* expect_serial is set */
    int64_t interval_ms;          /* ceiling between two asks */
    int64_t end_ms;               /* monotonic end of the track */
    check_t *first;               /* the first check, until it ends */
    char apex[DNSNAME_TEXT_MAX];  /* zone apex for auth serials, "" when unknown */
    track_vp vps[TRACK_VPS_MAX];  /* vantage points */
    size_t n_vps;                 /* count */
    uint64_t queries;             /* sent */
};

static bool track_matches(const track_run_t *t, const proto_obs *o)
{
    return proto_obs_matches(o, t->expect, t->has_expect_serial, t->expect_serial);
}

/* When to ask a vantage point again, from the answer it just gave. */
static int64_t track_next(const track_run_t *t, const proto_obs *o, int64_t now)
{
    int64_t next = now + t->interval_ms;
    if (track_matches(t, o))
        return next;
    int64_t at = next;
    if (o->fail == PROTO_FAIL_NONE && o->has_ttl && o->ttl_min > 0)
        at = now + (int64_t)o->ttl_min * 1000 + TRACK_MARGIN_MS;
    else if (o->fail == PROTO_FAIL_NONE && o->has_neg_ttl)
        at = now + (int64_t)o->neg_ttl * 1000 + TRACK_MARGIN_MS;
    else if (o->fail == PROTO_FAIL_NONE) /* TTL 0: less than a second left */
        at = now + TRACK_SHORT_MS;
    return at < next ? at : next;
}

static void track_emit(track_run_t *t, track_vp *vp)
{
    proto_obs o = vp->ans.obs;
    if (strcmp(vp->kind, "auth") == 0 && vp->have_serial && !o.has_soa_serial &&
        o.fail == PROTO_FAIL_NONE) {
        o.soa_serial = vp->serial;
        o.has_soa_serial = true;
    }
    t->sink(t->ctx, t->id, &o);
    vp->next_ms = track_next(t, &o, clock_mono_ms());
}

typedef struct track_q {
    track_vp *vp; /* who asked */
    bool soa;     /* the apex SOA (auth), not the question */
} track_q;

static void track_answer(void *arg, const answer_raw *raw)
{
    track_q *q = arg;
    track_vp *vp = q->vp;
    track_run_t *t = vp->run;
    if (q->soa) {
        answer_t a;
        arena_t *tmp = arena_new();
        if (tmp && answer_from_raw(&a, raw, t->apex, LDNS_RR_TYPE_SOA, vp->name, vp->kind,
                                   vp->server[0] ? vp->server : NULL, tmp) == 0) {
            vp->have_serial = a.obs.fail == PROTO_FAIL_NONE && a.obs.has_soa_serial;
            vp->serial = a.obs.soa_serial;
            answer_clear(&a);
        }
        arena_destroy(&tmp);
    } else {
        answer_clear(&vp->ans);
        arena_destroy(&vp->arena);
        vp->arena = arena_new();
        vp->have_ans =
            vp->arena && answer_from_raw(&vp->ans, raw, t->qname, t->qtype, vp->name, vp->kind,
                                         vp->server[0] ? vp->server : NULL, vp->arena) == 0;
    }
    for (int k = 0; k < 2; k++) {
        if (vp->inflight[k] == q)
            vp->inflight[k] = NULL;
    }
    free(q);
    if (--vp->pending > 0)
        return;
    vp->asking = false;
    if (vp->have_ans)
        track_emit(t, vp);
    else
        vp->next_ms = clock_mono_ms() + t->interval_ms;
}

static void track_ask(track_run_t *t, track_vp *vp)
{
    bool auth = strcmp(vp->kind, "auth") == 0;
    vp->asking = true;
    vp->pending = 0;
    vp->have_serial = false;
    vp->have_ans = false;
    for (int k = 0; k < (auth && t->apex[0] ? 2 : 1); k++) {
        track_q *q = calloc(1, sizeof *q);
        if (!q)
            break;
        q->vp = vp;
        q->soa = k == 1;
        vp->pending++;
        if (dnsq_query(t->engine, vp->srv, q->soa ? t->apex : t->qname,
                       q->soa ? LDNS_RR_TYPE_SOA : t->qtype, vp->flags, track_answer, q) == 0) {
            free(q);
            vp->pending--;
        } else {
            vp->inflight[k] = q;
            t->queries++;
        }
    }
    if (vp->pending == 0) {
        vp->asking = false;
        vp->next_ms = clock_mono_ms() + t->interval_ms;
    }
}

/* The first check has ended: its answers to the question make the vantage points. */
static void track_adopt(track_run_t *t)
{
    check_t *c = t->first;
    if (check_apex(c))
        snprintf(t->apex, sizeof t->apex, "%s", check_apex(c));
    for (size_t i = 0; i < check_answer_count(c) && t->n_vps < TRACK_VPS_MAX; i++) {
        const answer_t *a = check_answer(c, i);
        if (a->obs.qtype != t->qtype || strcasecmp(a->obs.qname, t->qname) != 0)
            continue;
        track_vp *vp = &t->vps[t->n_vps];
        memset(vp, 0, sizeof *vp);
        vp->run = t;
        snprintf(vp->name, sizeof vp->name, "%s", a->obs.resolver);
        snprintf(vp->kind, sizeof vp->kind, "%s", a->obs.kind);
        snprintf(vp->server, sizeof vp->server, "%s", a->obs.server ? a->obs.server : "");
        bool local = strcmp(vp->name, "local") == 0;
        char err[200];
        vp->srv = dnsq_server_get(t->engine, local ? NULL : vp->name, err, sizeof err);
        if (!vp->srv)
            continue;
        vp->flags = strcmp(vp->kind, "auth") == 0 ? DNSQ_NSID : DNSQ_RD;
        t->n_vps++;
        t->sink(t->ctx, t->id, &a->obs);
        vp->next_ms = track_next(t, &a->obs, clock_mono_ms());
    }
    t->queries += check_queries(c);
    check_destroy(&t->first);
}

track_run_t *track_run_new(dnsq_t *engine, const proto_track *pt, track_sink sink, void *ctx,
                           char *err, size_t errlen)
{
    ldns_rr_type type;
    if (!dnsname_type_from_str(pt->qtype, &type) || type == 0) {
        snprintf(err, errlen, "unknown record type '%s'", pt->qtype);
        return NULL;
    }
    track_run_t *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (dnsname_normalize(pt->qname, t->qname, sizeof t->qname) != DNSNAME_OK) {
        snprintf(err, errlen, "'%s' is not a domain name", pt->qname);
        free(t);
        return NULL;
    }
    t->engine = engine;
    t->sink = sink;
    t->ctx = ctx;
    t->id = pt->track_id;
    t->qtype = (uint16_t)type;
    t->expect = pt->expect ? strdup(pt->expect) : NULL;
    t->expect_serial = pt->expect_serial;
    t->has_expect_serial = pt->has_expect_serial;
    t->interval_ms = (int64_t)(pt->interval_s ? pt->interval_s : 30) * 1000;
    t->end_ms = clock_mono_ms() + (int64_t)(pt->duration_s ? pt->duration_s : 600) * 1000;
    check_spec spec = {.domain = t->qname, .n_types = 1, .deadline_ms = 10000};
    spec.types[0] = t->qtype;
    for (size_t i = 0; i < pt->n_resolvers && i < CHECK_RESOLVERS_MAX; i++)
        spec.resolvers[spec.n_resolvers++] = pt->resolvers[i];
    if (spec.n_resolvers == 0) {
        spec.resolvers[spec.n_resolvers++] = "local";
        spec.resolvers[spec.n_resolvers++] = "auth";
    }
    t->first = check_new(engine, &spec, NULL, NULL, err, errlen);
    if (!t->first || (pt->expect && !t->expect)) {
        if (t->first)
            snprintf(err, errlen, "out of memory");
        track_run_destroy(&t);
        return NULL;
    }
    return t;
}

void track_run_start(track_run_t *self)
{
    check_start(self->first);
}

void track_run_poll(track_run_t *self)
{
    if (self->first) {
        check_poll_deadline(self->first);
        if (check_done(self->first))
            track_adopt(self);
        return;
    }
    int64_t now = clock_mono_ms();
    if (now >= self->end_ms)
        return;
    for (size_t i = 0; i < self->n_vps; i++) {
        track_vp *vp = &self->vps[i];
        if (!vp->asking && now >= vp->next_ms)
            track_ask(self, vp);
    }
}

long track_run_timeout_ms(const track_run_t *self, long max_ms)
{
    if (self->first)
        return check_deadline_in_ms(self->first) < max_ms ? check_deadline_in_ms(self->first)
                                                          : max_ms;
    int64_t now = clock_mono_ms();
    long best = max_ms;
    for (size_t i = 0; i < self->n_vps; i++) {
        if (self->vps[i].asking)
            continue;
        int64_t d = self->vps[i].next_ms - now;
        if (d < best)
            best = d < 0 ? 0 : (long)d;
    }
    return best;
}

bool track_run_done(const track_run_t *self)
{
    return !self->first && clock_mono_ms() >= self->end_ms;
}

bool track_run_same(const track_run_t *self, const proto_track *t)
{
    char name[DNSNAME_TEXT_MAX];
    ldns_rr_type type;
    if (dnsname_normalize(t->qname, name, sizeof name) != DNSNAME_OK ||
        !dnsname_type_from_str(t->qtype, &type))
        return false;
    if (strcmp(name, self->qname) != 0 || (uint16_t)type != self->qtype ||
        t->has_expect_serial != self->has_expect_serial)
        return false;
    if (t->has_expect_serial)
        return t->expect_serial == self->expect_serial;
    return (!t->expect && !self->expect) ||
           (t->expect && self->expect && strcmp(t->expect, self->expect) == 0);
}

uint64_t track_run_id(const track_run_t *self)
{
    return self->id;
}

uint64_t track_run_queries(const track_run_t *self)
{
    return self->queries;
}

void track_run_destroy(track_run_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    track_run_t *t = *self_p;
    check_destroy(&t->first);
    for (size_t i = 0; i < t->n_vps; i++) {
        /* questions still in flight: cancelled, so their callbacks never run */
        for (int k = 0; k < 2; k++) {
            if (t->vps[i].inflight[k]) {
                dnsq_cancel_arg(t->engine, t->vps[i].inflight[k]);
                free(t->vps[i].inflight[k]);
            }
        }
        answer_clear(&t->vps[i].ans);
        arena_destroy(&t->vps[i].arena);
    }
    free(t->expect);
    free(t);
    *self_p = NULL;
}

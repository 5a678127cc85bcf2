/*
 * agent/check.c - one check of one domain at a set of resolvers.
 */
#include "agent/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>

#include "agent/crosscheck.h"
#include "common/clock.h"
#include "common/dnsname.h"

#define CHECK_ROUNDS_MAX 40
#define CHECK_SLOTS_MAX  4096
#define CHECK_AUTH_MAX   32

typedef enum slot_state { SLOT_NEW, SLOT_ASKED, SLOT_DONE } slot_state;

/* One question at one resolver. */
typedef struct slot {
    struct check *check; /* owner, for the engine's callback */
    size_t target;       /* index of the resolver in targets */
    char *qname;         /* canonical question name (arena) */
    uint16_t qtype;      /* question type */
    slot_state state;    /* asked yet, answered yet */
    answer_t ans;        /* the answer once DONE */
} slot;

/* One resolver the check asks. */
typedef struct target {
    const char *name;   /* reported resolver name ("local", "127.0.0.1:53") */
    const char *kind;   /* "local", "public" or "auth" */
    const char *server; /* auth: the name server's host name */
    dnsq_server_t *srv; /* where queries go */
    unsigned flags;     /* DNSQ_RD for resolvers, DNSQ_NSID for auth servers */
    size_t outstanding; /* its questions in flight */
    bool settled;       /* its last run asked nothing new: it is done */
} target;

struct check {
    dnsq_t *engine;                     /* the query engine (borrowed) */
    check_done_cb cb;                   /* called when done */
    void *arg;                          /* its argument */
    arena_t *arena;                     /* strings of the check */
    char *domain;                       /* canonical domain */
    uint16_t types[CHECK_TYPES_MAX];    /* types asked */
    size_t n_types;                     /* count */
    bool mail;                          /* run the mail profile */
    bool want_auth;                     /* "auth" was among the resolvers */
    const profile_range *extra_private; /* borrowed */
    size_t n_extra_private;             /* count */
    target *targets;                    /* resolvers asked */
    size_t n_targets;                   /* count */
    size_t n_user_targets;              /* the first ones, named in the spec */
    slot **slots;                       /* questions, in the order first asked */
    size_t n_slots;                     /* count */
    size_t cap_slots;                   /* allocated */
    size_t outstanding;                 /* questions in flight, all resolvers */
    bool auth_added;                    /* the auth servers are among the targets */
    char *apex;                         /* the zone's apex once known */
    int64_t deadline;                   /* monotonic ms */
    int rounds;                         /* resolver runs, all resolvers */
    bool final_round;    /* no more questions are sent: missing ones are incomplete */
    bool done;           /* ended */
    bool incomplete;     /* the deadline cut it short */
    size_t queries;      /* queries sent */
    findings_t findings; /* the final findings */
    bool oom;            /* memory ran out: the check ends incomplete */
};

/* ---- slots ---------------------------------------------------------------- */

static void slot_incomplete(check_t *c, slot *s)
{
    const target *t = &c->targets[s->target];
    answer_raw raw = {.ares_status = ARES_ECANCELLED, .t_ms = clock_wall_ms()};
    if (answer_from_raw(&s->ans, &raw, s->qname, s->qtype, t->name, t->kind, t->server, c->arena) !=
        0)
        c->oom = true;
    s->state = SLOT_DONE;
}

/* The answer to (qname, qtype) at target ti; NULL when not answered yet. */
static const answer_t *check_lookup(check_t *c, size_t ti, const char *qname, uint16_t qtype)
{
    char name[DNSNAME_TEXT_MAX];
    bool bad_name = dnsname_normalize(qname, name, sizeof name) != DNSNAME_OK;
    if (bad_name)
        snprintf(name, sizeof name, "%s", qname);
    for (size_t i = 0; i < c->n_slots; i++) {
        slot *s = c->slots[i];
        if (s->target == ti && s->qtype == qtype && strcasecmp(s->qname, name) == 0)
            return s->state == SLOT_DONE ? &s->ans : NULL;
    }
    if (c->n_slots >= CHECK_SLOTS_MAX) {
        c->oom = true;
        return NULL;
    }
    if (c->n_slots == c->cap_slots) {
        size_t cap = c->cap_slots ? c->cap_slots * 2 : 32;
        slot **v = realloc(c->slots, cap * sizeof *v);
        if (!v) {
            c->oom = true;
            return NULL;
        }
        c->slots = v;
        c->cap_slots = cap;
    }
    slot *s = arena_alloc(c->arena, sizeof *s);
    if (!s || !(s->qname = arena_strdup(c->arena, name))) {
        c->oom = true;
        return NULL;
    }
    s->check = c;
    s->target = ti;
    s->qtype = qtype;
    s->state = SLOT_NEW;
    c->slots[c->n_slots++] = s;
    if (c->final_round || bad_name) {
        slot_incomplete(c, s);
        if (bad_name)
            s->ans.obs.fail = PROTO_FAIL_MALFORMED;
        return &s->ans;
    }
    return NULL;
}

static void on_answer(void *arg, const answer_raw *raw);

/* Send every question the runs asked for; returns how many went out. */
static size_t send_new(check_t *c)
{
    size_t sent = 0;
    for (size_t i = 0; i < c->n_slots; i++) {
        slot *s = c->slots[i];
        if (s->state != SLOT_NEW)
            continue;
        const target *t = &c->targets[s->target];
        s->state = SLOT_ASKED;
        if (dnsq_query(c->engine, t->srv, s->qname, s->qtype, t->flags, on_answer, s) == 0) {
            slot_incomplete(c, s);
            s->ans.obs.fail = PROTO_FAIL_MALFORMED;
        } else {
            c->queries++;
            c->outstanding++;
            c->targets[s->target].outstanding++;
            sent++;
        }
    }
    return sent;
}

/* ---- the profile's view ----------------------------------------------------- */

typedef struct lookup_ctx {
    check_t *check; /* the check */
    size_t target;  /* the resolver the profile runs at */
} lookup_ctx;

static const answer_t *profile_lookup_cb(void *ctx, const char *qname, uint16_t qtype)
{
    lookup_ctx *l = ctx;
    return check_lookup(l->check, l->target, qname, qtype);
}

/* ---- authoritative servers ----------------------------------------------------- */

static char *rdf_text(const ldns_rdf *rdf)
{
    char *s = ldns_rdf2str(rdf);
    return s;
}

/* The zone apex from an SOA answer (answer or authority section); malloced. */
static char *apex_from(const answer_t *a)
{
    if (!a->pkt)
        return NULL;
    ldns_rr_list *sections[] = {ldns_pkt_answer(a->pkt), ldns_pkt_authority(a->pkt)};
    for (int s = 0; s < 2; s++) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(sections[s]); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(sections[s], i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
                return rdf_text(ldns_rr_owner(rr));
        }
    }
    return NULL;
}

static int target_add(check_t *c, const char *name, const char *kind, const char *server,
                      dnsq_server_t *srv, unsigned flags)
{
    target *v = realloc(c->targets, (c->n_targets + 1) * sizeof *v);
    if (!v)
        return -1;
    c->targets = v;
    target *t = &v[c->n_targets];
    t->name = arena_strdup(c->arena, name);
    t->kind = arena_strdup(c->arena, kind);
    t->server = server ? arena_strdup(c->arena, server) : NULL;
    t->srv = srv;
    t->flags = flags;
    t->outstanding = 0;
    t->settled = false;
    if (!t->name || !t->kind || (server && !t->server))
        return -1;
    c->n_targets++;
    return 0;
}

/* Add one auth target per address of the zone's name servers. */
static void add_auth_targets(check_t *c, size_t rec, ldns_rr_list *ns)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(ns); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(ns, i);
        if (ldns_rr_rd_count(rr) != 1)
            continue;
        char *host = rdf_text(ldns_rr_rdf(rr, 0));
        if (!host)
            continue;
        static const uint16_t afs[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
        for (int f = 0; f < 2; f++) {
            const answer_t *a = check_lookup(c, rec, host, afs[f]);
            ldns_rr_list *addrs = a ? answer_records(a, (ldns_rr_type)afs[f]) : NULL;
            for (size_t k = 0; addrs && k < ldns_rr_list_rr_count(addrs); k++) {
                const ldns_rr *ar = ldns_rr_list_rr(addrs, k);
                char *addr = ldns_rr_rd_count(ar) == 1 ? rdf_text(ldns_rr_rdf(ar, 0)) : NULL;
                char err[200];
                dnsq_server_t *srv =
                    addr ? dnsq_server_get(c->engine, addr, err, sizeof err) : NULL;
                free(addr);
                if (!srv || c->n_targets - c->n_user_targets >= CHECK_AUTH_MAX)
                    continue;
                bool dup = false;
                for (size_t t = c->n_user_targets; t < c->n_targets; t++)
                    dup = dup || c->targets[t].srv == srv;
                if (!dup && target_add(c, dnsq_server_name(srv), "auth", host, srv, DNSQ_NSID) != 0)
                    c->oom = true;
            }
            ldns_rr_list_deep_free(addrs);
        }
        free(host);
    }
}

/*
 * Find the zone's authoritative servers through the recursor rec: the SOA
 * of the domain gives the apex, the apex's NS gives the hosts, their A and
 * AAAA the addresses. True when done (or impossible); false while answers
 * are missing.
 */
static bool auth_discover(check_t *c, size_t rec)
{
    if (c->auth_added)
        return true;
    const answer_t *soa = check_lookup(c, rec, c->domain, LDNS_RR_TYPE_SOA);
    if (!soa)
        return false;
    char *apex = apex_from(soa);
    if (!apex)
        return true; /* no zone found: nothing to ask (RESOLVER_FAILURE says why) */
    const answer_t *ns = check_lookup(c, rec, apex, LDNS_RR_TYPE_NS);
    if (!ns) {
        free(apex);
        return false;
    }
    ldns_rr_list *hosts = answer_records(ns, LDNS_RR_TYPE_NS);
    bool complete = true;
    for (size_t i = 0; hosts && i < ldns_rr_list_rr_count(hosts); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(hosts, i);
        char *host = ldns_rr_rd_count(rr) == 1 ? rdf_text(ldns_rr_rdf(rr, 0)) : NULL;
        if (!host)
            continue;
        complete &= check_lookup(c, rec, host, LDNS_RR_TYPE_A) != NULL;
        complete &= check_lookup(c, rec, host, LDNS_RR_TYPE_AAAA) != NULL;
        free(host);
    }
    if (complete) {
        c->apex = arena_strdup(c->arena, apex);
        if (hosts)
            add_auth_targets(c, rec, hosts);
        c->auth_added = true;
    }
    ldns_rr_list_deep_free(hosts);
    free(apex);
    return complete;
}

/* ---- rounds ----------------------------------------------------------------------
 *
 * Each resolver runs on its own: when its last question is answered, its
 * part of the check runs again with the answers at hand, so a slow or dead
 * resolver never holds up the others. A resolver whose run asks nothing new
 * has settled; the check ends when every resolver has.
 */

/* The first resolver that recurses: where the auth servers are looked up. */
static size_t check_recursor(const check_t *c)
{
    for (size_t t = 0; t < c->n_user_targets; t++) {
        if (strcmp(c->targets[t].kind, "auth") != 0)
            return t;
    }
    return SIZE_MAX;
}

/* Run the mail profile at resolver t (findings into out). */
static bool run_profile(check_t *c, size_t t, findings_t *out)
{
    lookup_ctx l = {.check = c, .target = t};
    profile_input in = {.domain = c->domain,
                        .resolver = c->targets[t].name,
                        .lookup = profile_lookup_cb,
                        .lookup_ctx = &l,
                        .extra_private = c->extra_private,
                        .n_extra_private = c->n_extra_private};
    return profile_mail_run(&in, out);
}

/* One run of resolver t: ask for everything it needs (recorded as new slots). */
static void run_target(check_t *c, size_t t)
{
    bool user = t < c->n_user_targets;
    for (size_t k = 0; k < c->n_types; k++)
        check_lookup(c, t, c->domain, c->types[k]);
    if (!user) { /* an authoritative server found through the recursor */
        if (c->mail)
            check_lookup(c, t, c->domain, LDNS_RR_TYPE_MX);
        if (c->apex)
            check_lookup(c, t, c->apex, LDNS_RR_TYPE_SOA);
        return;
    }
    if (c->mail) {
        findings_t scratch;
        findings_init(&scratch, c->arena);
        run_profile(c, t, &scratch);
        findings_free(&scratch);
    }
    if (c->want_auth && t == check_recursor(c))
        auth_discover(c, t);
}

/*
 * Stamp every answer of an authoritative server with that server's zone
 * serial (from its answer to the apex SOA), so each observation says which
 * version of the zone it came from: the coordinator decides which answer is
 * current by it.
 */
static void stamp_auth_serials(check_t *c)
{
    if (!c->apex)
        return;
    for (size_t t = c->n_user_targets; t < c->n_targets; t++) {
        bool found = false;
        uint32_t serial = 0;
        for (size_t i = 0; i < c->n_slots && !found; i++) {
            const slot *s = c->slots[i];
            if (s->target == t && s->qtype == LDNS_RR_TYPE_SOA &&
                strcasecmp(s->qname, c->apex) == 0 && s->ans.obs.fail == PROTO_FAIL_NONE &&
                s->ans.obs.has_soa_serial) {
                serial = s->ans.obs.soa_serial;
                found = true;
            }
        }
        for (size_t i = 0; found && i < c->n_slots; i++) {
            slot *s = c->slots[i];
            if (s->target == t && s->ans.obs.fail == PROTO_FAIL_NONE &&
                !s->ans.obs.has_soa_serial) {
                s->ans.obs.soa_serial = serial;
                s->ans.obs.has_soa_serial = true;
            }
        }
    }
}

static void check_finish(check_t *c)
{
    findings_t out;
    findings_init(&out, c->arena);
    stamp_auth_serials(c);
    /* every answer is in (or marked incomplete): the profile runs complete */
    if (c->mail) {
        for (size_t t = 0; t < c->n_user_targets; t++) {
            if (strcmp(c->targets[t].kind, "auth") != 0)
                run_profile(c, t, &out);
        }
    }
    const answer_t **all = calloc(c->n_slots ? c->n_slots : 1, sizeof *all);
    size_t cut = 0;
    for (size_t i = 0; all && i < c->n_slots; i++) {
        all[i] = &c->slots[i]->ans;
        cut += c->slots[i]->ans.obs.fail == PROTO_FAIL_INCOMPLETE;
    }
    if (all)
        crosscheck_run(all, c->n_slots, &out);
    else
        c->oom = true;
    free(all);
    if (c->incomplete || c->oom) {
        if (findings_add(&out, "CHECK_INCOMPLETE", PROTO_SEV_WARNING, c->domain, NULL,
                         "the check ended before %zu question(s) were answered (%s)", cut,
                         c->oom ? "too many questions or out of memory" : "its deadline passed") !=
            0)
            c->oom = true;
        c->incomplete = true;
    }
    c->findings = out;
    c->done = true;
    if (c->cb)
        c->cb(c->arg, c);
}

/* Run every resolver that is idle and not settled; end the check when all are. */
static void check_step(check_t *c)
{
    if (c->done)
        return;
    bool busy = false;
    for (size_t t = 0; t < c->n_targets; t++) { /* n_targets grows as auth servers are found */
        target *tg = &c->targets[t];
        if (tg->outstanding > 0) {
            busy = true;
            continue;
        }
        if (tg->settled)
            continue;
        if (++c->rounds > CHECK_ROUNDS_MAX * (int)(c->n_targets ? c->n_targets : 1) || c->oom)
            c->final_round = true;
        run_target(c, t);
        size_t sent = send_new(c);
        tg = &c->targets[t]; /* run_target may have grown the array */
        if (sent == 0 && tg->outstanding == 0)
            tg->settled = true;
        busy = busy || tg->outstanding > 0 || !tg->settled;
    }
    if (!busy)
        check_finish(c);
}

static void on_answer(void *arg, const answer_raw *raw)
{
    slot *s = arg;
    check_t *c = s->check;
    target *t = &c->targets[s->target];
    if (answer_from_raw(&s->ans, raw, s->qname, s->qtype, t->name, t->kind, t->server, c->arena) !=
        0)
        c->oom = true;
    s->state = SLOT_DONE;
    c->outstanding--;
    t->outstanding--;
    if (t->outstanding == 0)
        check_step(c);
}

/* ---- public ------------------------------------------------------------------------ */

check_t *check_new(dnsq_t *engine, const check_spec *spec, check_done_cb cb, void *arg, char *err,
                   size_t errlen)
{
    char name[DNSNAME_TEXT_MAX];
    dnsname_status ds = dnsname_normalize(spec->domain, name, sizeof name);
    if (ds != DNSNAME_OK) {
        snprintf(err, errlen, "'%s' is not a domain name: %s", spec->domain,
                 dnsname_status_str(ds));
        return NULL;
    }
    if (spec->n_types > CHECK_TYPES_MAX || spec->n_resolvers > CHECK_RESOLVERS_MAX) {
        snprintf(err, errlen, "too many types or resolvers");
        return NULL;
    }
    check_t *c = calloc(1, sizeof *c);
    if (!c || !(c->arena = arena_new()) || !(c->domain = arena_strdup(c->arena, name))) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    c->engine = engine;
    c->cb = cb;
    c->arg = arg;
    memcpy(c->types, spec->types, spec->n_types * sizeof spec->types[0]);
    c->n_types = spec->n_types;
    c->mail = spec->mail;
    c->extra_private = spec->extra_private;
    c->n_extra_private = spec->n_extra_private;
    c->deadline = clock_mono_ms() + (spec->deadline_ms ? spec->deadline_ms : 10000);
    findings_init(&c->findings, c->arena);

    size_t n = spec->n_resolvers;
    static const char *const local_only[] = {"local"};
    const char *const *names = n ? spec->resolvers : local_only;
    if (n == 0)
        n = 1;
    bool has_recursor = false;
    for (size_t i = 0; i < n; i++) {
        const char *r = names[i];
        if (strcmp(r, "auth") == 0) {
            c->want_auth = true;
            continue;
        }
        bool local = strcmp(r, "local") == 0;
        dnsq_server_t *srv = dnsq_server_get(engine, local ? NULL : r, err, errlen);
        if (!srv)
            goto fail;
        bool dup = false;
        for (size_t t = 0; t < c->n_targets; t++)
            dup = dup || c->targets[t].srv == srv;
        if (dup)
            continue;
        if (target_add(c, dnsq_server_name(srv), local ? "local" : "public", NULL, srv, DNSQ_RD) !=
            0) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        has_recursor = true;
    }
    if (c->want_auth && !has_recursor) {
        /* the auth servers are found through the local resolver, which is
         * then asked (and reported) like any resolver of the check */
        dnsq_server_t *srv = dnsq_server_get(engine, NULL, err, errlen);
        if (!srv || target_add(c, "local", "local", NULL, srv, DNSQ_RD) != 0)
            goto fail;
    }
    c->n_user_targets = c->n_targets;
    return c;
fail:
    check_destroy(&c);
    return NULL;
}

void check_start(check_t *self)
{
    check_step(self);
}

bool check_poll_deadline(check_t *self)
{
    if (self->done || clock_mono_ms() < self->deadline)
        return self->done;
    for (size_t i = 0; i < self->n_slots; i++) {
        slot *s = self->slots[i];
        if (s->state == SLOT_ASKED) {
            dnsq_cancel_arg(self->engine, s);
            slot_incomplete(self, s);
        }
    }
    self->outstanding = 0;
    for (size_t t = 0; t < self->n_targets; t++)
        self->targets[t].outstanding = 0;
    self->incomplete = true;
    self->final_round = true;
    check_step(self);
    return self->done;
}

long check_deadline_in_ms(const check_t *self)
{
    int64_t left = self->deadline - clock_mono_ms();
    return left > 0 ? (long)left : 0;
}

bool check_done(const check_t *self)
{
    return self->done;
}

bool check_incomplete(const check_t *self)
{
    return self->incomplete;
}

const answer_t *check_answer(const check_t *self, size_t i)
{
    return i < self->n_slots ? &self->slots[i]->ans : NULL;
}

size_t check_answer_count(const check_t *self)
{
    return self->n_slots;
}

const findings_t *check_findings(const check_t *self)
{
    return &self->findings;
}

const char *check_domain(const check_t *self)
{
    return self->domain;
}

size_t check_resolver_count(const check_t *self)
{
    return self->n_targets;
}

const char *check_resolver_name(const check_t *self, size_t i)
{
    return i < self->n_targets ? self->targets[i].name : NULL;
}

const char *check_resolver_kind(const check_t *self, size_t i)
{
    return i < self->n_targets ? self->targets[i].kind : NULL;
}

const char *check_apex(const check_t *self)
{
    return self->apex;
}

size_t check_queries(const check_t *self)
{
    return self->queries;
}

void check_destroy(check_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    check_t *c = *self_p;
    for (size_t i = 0; i < c->n_slots; i++) {
        if (c->slots[i]->state == SLOT_ASKED)
            dnsq_cancel_arg(c->engine, c->slots[i]);
        answer_clear(&c->slots[i]->ans);
    }
    free(c->slots);
    free(c->targets);
    findings_free(&c->findings);
    arena_destroy(&c->arena);
    free(c);
    *self_p = NULL;
}

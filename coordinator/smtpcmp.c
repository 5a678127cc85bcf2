/*
 * coordinator/smtpcmp.c - SMTP reachability of every MX address from every
 * vantage point.
 *
 * Passes: sort the probes by (host, addr, port, agent, newest first) and
 * keep the newest of each agent per address; drop the stale ones per
 * (agent, host); sort what is left by (host, addr, port, region, agent);
 * then per address group by status, label the groups and decide the state.
 * Scratch and result share the arena.
 */
#include "coordinator/smtpcmp.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growing text, in the arena when done. */
typedef struct sbuf {
    char *p;    /* malloced */
    size_t len; /* bytes used */
    size_t cap; /* bytes allocated */
    bool oom;   /* an allocation failed */
} sbuf;

static void sbuf_add(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbuf_add(sbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->len : NULL, b->p ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && (size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* The text in arena (sets oom on failure); the buffer is emptied for reuse. */
static const char *sbuf_take(sbuf *b, arena_t *arena)
{
    const char *s = b->oom ? NULL : arena_strndup(arena, b->p ? b->p : "", b->len);
    if (!s)
        b->oom = true;
    b->len = 0;
    if (b->p)
        b->p[0] = '\0';
    return s;
}

static int strcmp_null_last(const char *a, const char *b)
{
    if (!a || !b)
        return (a == NULL) - (b == NULL);
    return strcmp(a, b);
}

static int cmp_addr(const proto_smtp *a, const proto_smtp *b)
{
    int c = strcmp(a->host, b->host);
    if (!c)
        c = strcmp(a->addr, b->addr);
    if (!c)
        c = (a->port > b->port) - (a->port < b->port);
    return c;
}

/* (host, addr, port, agent), newest first. */
static int cmp_dedup(const void *pa, const void *pb, void *ctx)
{
    const smtpcmp_probe *in = ctx;
    const smtpcmp_probe *a = &in[*(const size_t *)pa], *b = &in[*(const size_t *)pb];
    int c = cmp_addr(a->probe, b->probe);
    if (!c)
        c = strcmp(a->agent, b->agent);
    if (!c)
        c = (a->probe->t_ms < b->probe->t_ms) - (a->probe->t_ms > b->probe->t_ms);
    if (!c) /* equal times: the later in the input wins, as the store's latest does */
        c = (*(const size_t *)pa < *(const size_t *)pb) -
            (*(const size_t *)pa > *(const size_t *)pb);
    return c;
}

/* (agent, host), newest first. */
static int cmp_stale(const void *pa, const void *pb, void *ctx)
{
    const smtpcmp_probe *in = ctx;
    const smtpcmp_probe *a = &in[*(const size_t *)pa], *b = &in[*(const size_t *)pb];
    int c = strcmp(a->agent, b->agent);
    if (!c)
        c = strcmp(a->probe->host, b->probe->host);
    if (!c)
        c = (a->probe->t_ms < b->probe->t_ms) - (a->probe->t_ms > b->probe->t_ms);
    return c;
}

/* (host, addr, port, region with none last, agent). */
static int cmp_final(const void *pa, const void *pb, void *ctx)
{
    const smtpcmp_probe *in = ctx;
    const smtpcmp_probe *a = &in[*(const size_t *)pa], *b = &in[*(const size_t *)pb];
    int c = cmp_addr(a->probe, b->probe);
    if (!c)
        c = strcmp_null_last(a->region, b->region);
    if (!c)
        c = strcmp(a->agent, b->agent);
    return c;
}

const char *smtpcmp_status_phrase(uint8_t status)
{
    static const char *const phrases[] = {
        [PROTO_SMTP_OK] = "reachable from",
        [PROTO_SMTP_REFUSED] = "refused from",
        [PROTO_SMTP_TIMEOUT] = "timed out from",
        [PROTO_SMTP_UNREACHABLE] = "unreachable from",
        [PROTO_SMTP_CLOSED] = "closed early from",
        [PROTO_SMTP_GREETING_BAD] = "bad greeting from",
        [PROTO_SMTP_PROTOCOL] = "protocol error from",
        [PROTO_SMTP_TLS_FAILED] = "TLS failed from",
        [PROTO_SMTP_ERROR] = "local error at",
        [PROTO_SMTP_SKIPPED] = "not probed from",
    };
    return status <= PROTO_SMTP_STATUS_MAX ? phrases[status] : phrases[PROTO_SMTP_ERROR];
}

static uint8_t status_of(const smtpcmp_probe *p)
{
    return p->probe->status <= PROTO_SMTP_STATUS_MAX ? p->probe->status : PROTO_SMTP_ERROR;
}

/* Label the group of the members m[0..n) of status st; split[i] is true when the region
 * of m[i] has agents in several groups of the address. */
static void group_label(const smtpcmp_probe *in, const size_t *m, const bool *split, size_t n,
                        sbuf *b)
{
    bool first = true;
    for (size_t i = 0; i < n;) {
        const smtpcmp_probe *p = &in[m[i]];
        size_t j = i + 1;
        if (p->region) {
            while (j < n && in[m[j]].region && strcmp(in[m[j]].region, p->region) == 0)
                j++;
        }
        sbuf_add(b, "%s%s", first ? "" : ", ", p->region ? p->region : p->agent);
        if (p->region && split[i]) {
            sbuf_add(b, " (");
            for (size_t k = i; k < j; k++)
                sbuf_add(b, "%s%s", k > i ? ", " : "", in[m[k]].agent);
            sbuf_add(b, ")");
        }
        first = false;
        i = j;
    }
}

/* Fill one address from its counted members m[0..n) (sorted by region, agent). */
static bool address_fill(const smtpcmp_probe *in, size_t *m, size_t n, arena_t *arena,
                         smtpcmp_addr *a, sbuf *b)
{
    const proto_smtp *p0 = in[m[0]].probe;
    a->host = arena_strdup(arena, p0->host);
    a->addr = arena_strdup(arena, p0->addr);
    a->port = p0->port;
    a->members = m;
    a->n_members = n;
    bool v6 = strchr(p0->addr, ':') != NULL;
    sbuf_add(b, "%s%s%s:%u", v6 ? "[" : "", p0->addr, v6 ? "]" : "", (unsigned)p0->port);
    a->endpoint = sbuf_take(b, arena);
    /* A region is split when its agents are in more than one group. */
    bool *split = arena_calloc(arena, n, sizeof *split);
    size_t *gm = arena_calloc(arena, n, sizeof *gm);
    bool *gsplit = arena_calloc(arena, n, sizeof *gsplit);
    a->groups = arena_calloc(arena, PROTO_SMTP_STATUS_MAX + 1, sizeof *a->groups);
    if (!a->host || !a->addr || !split || !gm || !gsplit || !a->groups)
        return false;
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        bool mixed = false;
        const smtpcmp_probe *p = &in[m[i]];
        while (p->region && j < n && in[m[j]].region && strcmp(in[m[j]].region, p->region) == 0) {
            mixed = mixed || status_of(&in[m[j]]) != status_of(p);
            j++;
        }
        for (size_t k = i; k < j; k++)
            split[k] = mixed;
        i = j;
    }
    for (size_t i = 0; i < n; i++) {
        uint8_t st = status_of(&in[m[i]]);
        a->n_ok += st == PROTO_SMTP_OK;
        a->n_reached += st == PROTO_SMTP_OK || st == PROTO_SMTP_TLS_FAILED;
        a->n_skipped += st == PROTO_SMTP_SKIPPED;
    }
    for (unsigned st = 0; st <= PROTO_SMTP_STATUS_MAX; st++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (status_of(&in[m[i]]) != st)
                continue;
            gsplit[k] = split[i];
            gm[k++] = m[i];
        }
        if (k == 0)
            continue;
        smtpcmp_group *g = &a->groups[a->n_groups++];
        g->status = (uint8_t)st;
        g->n_members = k;
        if (!(g->members = arena_calloc(arena, k, sizeof *g->members)))
            return false;
        memcpy(g->members, gm, k * sizeof *gm);
        group_label(in, g->members, gsplit, k, b);
        g->label = sbuf_take(b, arena);
        sbuf_add(b, "%s %s", smtpcmp_status_phrase(g->status), g->label ? g->label : "");
        g->text = sbuf_take(b, arena);
    }
    for (size_t g = 0; g < a->n_groups; g++)
        sbuf_add(b, "%s%s", g ? "; " : "", a->groups[g].text ? a->groups[g].text : "");
    a->summary = sbuf_take(b, arena);
    size_t counted = n - a->n_skipped;
    a->state = counted == 0         ? SMTPCMP_SKIPPED
               : a->n_ok == counted ? SMTPCMP_REACHABLE
               : a->n_reached == 0  ? SMTPCMP_UNREACHABLE
                                    : SMTPCMP_PARTIAL;
    return !b->oom;
}

static void summary_fill(smtpcmp_result *r, sbuf *b, arena_t *arena)
{
    if (r->n_addrs == 0) {
        sbuf_add(b, "unknown: no SMTP probe of the MX hosts yet");
        r->summary = sbuf_take(b, arena);
        return;
    }
    sbuf_add(b, "%s: %zu MX address%s:", smtpcmp_state_name(r->state), r->n_addrs,
             r->n_addrs == 1 ? "" : "es");
    const struct {
        size_t n;
        const char *word;
    } parts[] = {{r->n_reachable, "reachable"},
                 {r->n_partial, "partial"},
                 {r->n_unreachable, "unreachable"},
                 {r->n_skipped, "skipped"}};
    bool first = true;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        if (!parts[i].n)
            continue;
        sbuf_add(b, "%s %zu %s", first ? "" : ",", parts[i].n, parts[i].word);
        first = false;
    }
    r->summary = sbuf_take(b, arena);
}

smtpcmp_status smtpcmp_run(const smtpcmp_probe *in, size_t n, const smtpcmp_opts *opts,
                           arena_t *arena, smtpcmp_result **out)
{
    if (out)
        *out = NULL;
    if (!arena || !out || !opts || (n && !in) || opts->stale_ms < 0)
        return SMTPCMP_ERR_INVAL;
    if (n > SMTPCMP_MAX_PROBES)
        return SMTPCMP_ERR_TOO_MANY;
    for (size_t i = 0; i < n; i++) {
        const smtpcmp_probe *p = &in[i];
        if (!p->agent || !p->probe || !p->probe->host || !p->probe->addr)
            return SMTPCMP_ERR_INVAL;
    }
    smtpcmp_result *r = arena_alloc(arena, sizeof *r);
    size_t *idx = arena_calloc(arena, n ? n : 1, sizeof *idx);
    bool *drop = arena_calloc(arena, n ? n : 1, sizeof *drop);
    if (!r || !idx || !drop)
        return SMTPCMP_ERR_NOMEM;
    /* The newest probe of each (agent, address). */
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_dedup, (void *)in);
    for (size_t i = 1; i < n; i++) {
        const smtpcmp_probe *a = &in[idx[i - 1]], *p = &in[idx[i]];
        if (cmp_addr(a->probe, p->probe) == 0 && strcmp(a->agent, p->agent) == 0)
            drop[idx[i]] = true;
    }
    /* Stale: not in the agent's latest run of the host. */
    if (opts->stale_ms > 0) {
        qsort_r(idx, n, sizeof *idx, cmp_stale, (void *)in);
        int64_t newest = 0, age;
        for (size_t i = 0; i < n; i++) {
            const smtpcmp_probe *p = &in[idx[i]];
            if (i == 0 || strcmp(in[idx[i - 1]].agent, p->agent) != 0 ||
                strcmp(in[idx[i - 1]].probe->host, p->probe->host) != 0)
                newest = p->probe->t_ms;
            else if (__builtin_sub_overflow(newest, p->probe->t_ms, &age) || age > opts->stale_ms)
                drop[idx[i]] = true;
        }
    }
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (!drop[i])
            idx[kept++] = i;
    }
    r->n_dropped = n - kept;
    qsort_r(idx, kept, sizeof *idx, cmp_final, (void *)in);
    size_t n_addrs = 0;
    for (size_t i = 0; i < kept; i++)
        n_addrs += i == 0 || cmp_addr(in[idx[i - 1]].probe, in[idx[i]].probe) != 0;
    r->addrs = arena_calloc(arena, n_addrs ? n_addrs : 1, sizeof *r->addrs);
    if (!r->addrs)
        return SMTPCMP_ERR_NOMEM;
    sbuf b = {0};
    bool ok = true;
    for (size_t i = 0; i < kept && ok;) {
        size_t j = i + 1;
        while (j < kept && cmp_addr(in[idx[i]].probe, in[idx[j]].probe) == 0)
            j++;
        smtpcmp_addr *a = &r->addrs[r->n_addrs++];
        ok = address_fill(in, idx + i, j - i, arena, a, &b);
        r->n_reachable += a->state == SMTPCMP_REACHABLE;
        r->n_partial += a->state == SMTPCMP_PARTIAL;
        r->n_unreachable += a->state == SMTPCMP_UNREACHABLE;
        r->n_skipped += a->state == SMTPCMP_SKIPPED;
        i = j;
    }
    r->state = r->n_addrs == 0    ? SMTPCMP_UNKNOWN
               : r->n_unreachable ? SMTPCMP_UNREACHABLE
               : r->n_partial     ? SMTPCMP_PARTIAL
               : r->n_reachable   ? SMTPCMP_REACHABLE
                                  : SMTPCMP_SKIPPED;
    if (ok)
        summary_fill(r, &b, arena);
    ok = ok && !b.oom;
    free(b.p);
    if (!ok)
        return SMTPCMP_ERR_NOMEM;
    *out = r;
    return SMTPCMP_OK;
}

const char *smtpcmp_status_str(smtpcmp_status status)
{
    switch (status) {
    case SMTPCMP_OK:
        return "success";
    case SMTPCMP_ERR_INVAL:
        return "invalid argument";
    case SMTPCMP_ERR_TOO_MANY:
        return "too many SMTP probes";
    case SMTPCMP_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}

const char *smtpcmp_state_name(smtpcmp_state state)
{
    switch (state) {
    case SMTPCMP_REACHABLE:
        return "reachable";
    case SMTPCMP_PARTIAL:
        return "partial";
    case SMTPCMP_UNREACHABLE:
        return "unreachable";
    case SMTPCMP_SKIPPED:
        return "skipped";
    case SMTPCMP_UNKNOWN:
        break;
    }
    return "unknown";
}

int smtpcmp_state_exit_code(smtpcmp_state state)
{
    switch (state) {
    case SMTPCMP_REACHABLE:
    case SMTPCMP_SKIPPED:
        return 0;
    case SMTPCMP_PARTIAL:
        return 1;
    case SMTPCMP_UNREACHABLE:
        return 2;
    case SMTPCMP_UNKNOWN:
        break;
    }
    return 3;
}

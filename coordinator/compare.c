/*
 * coordinator/compare.c - one question seen from every vantage point.
 *
 * Passes: answer key and time of every vantage point; the newest auth
 * serial over all; groups by (scope, answer); per scope the current
 * answer(s) and one cause per vantage point off them; group standing,
 * state, ordering and the summary. Scratch and result share the arena.
 */
#include "coordinator/compare.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/serial.h"

/* Longest one-line answer label, bytes (a longer one ends in "..."). */
#define LABEL_MAX 120

/* What the passes know of one vantage point. */
typedef struct vpinfo {
    compare_answer_kind kind; /* answer kind */
    const char *rrset;        /* its RR set text, borrowed, never NULL */
    uint8_t fail;             /* failure class when kind is FAILURE */
    bool is_auth;             /* kind "auth" */
    bool has_serial;          /* an answering auth vantage point with a serial */
    uint32_t serial;          /* that serial */
    bool top;                 /* auth at the newest serial */
    bool lagging;             /* auth with a serial older than the newest */
    size_t scope;             /* region index (geo), else 0 */
    size_t group;             /* its group */
    int64_t t_coord;          /* observation time, coordinator clock */
    bool has_cause;           /* a cause was given */
} vpinfo;

/* One region of a geo comparison (or the whole input). */
typedef struct scope {
    const char *region; /* borrowed from the input; NULL: unknown region */
} scope;

/* State of one run, to keep the helpers' argument lists short. */
typedef struct run {
    const compare_vp *vps;   /* the input */
    size_t n;                /* its count */
    const compare_opts *opt; /* parameters */
    arena_t *arena;          /* result and scratch */
    vpinfo *info;            /* n entries */
    scope *scopes;           /* scopes */
    size_t n_scopes;         /* count of scopes */
    compare_group *groups;   /* up to n groups */
    size_t *group_scope;     /* scope of each group */
    bool *group_seen;        /* scratch: group met among the undecided rest */
    size_t n_groups;         /* count of groups */
    compare_cause *causes;   /* up to 2n: one per vantage point, one per scope */
    size_t *cause_seq;       /* generation order, for a stable sort */
    size_t n_causes;         /* count of causes */
    bool has_s;              /* the newest serial is known */
    uint32_t s;              /* the newest serial */
    bool nomem;              /* an allocation failed */
} run;

static int64_t sat_add(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

static int64_t sat_sub(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_sub_overflow(a, b, &r))
        return b < 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* Whole seconds, rounded up, of a positive duration; 0 otherwise. */
static int64_t secs_up(int64_t ms)
{
    if (ms <= 0)
        return 0;
    return ms / 1000 + (ms % 1000 != 0);
}

static char *afmt(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* printf into the arena; NULL (and r->nomem) when out of memory. */
static char *afmt(run *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (len < 0) {
        r->nomem = true;
        return NULL;
    }
    char *p = arena_alloc(r->arena, (size_t)len + 1);
    if (!p) {
        r->nomem = true;
        return NULL;
    }
    va_start(ap, fmt);
    vsnprintf(p, (size_t)len + 1, fmt, ap);
    va_end(ap);
    return p;
}

static const char *adup(run *r, const char *s)
{
    if (!s)
        return NULL;
    char *p = arena_strdup(r->arena, s);
    if (!p)
        r->nomem = true;
    return p;
}

static const char *str_or(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

static bool same_region(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

static bool same_answer(const vpinfo *a, const vpinfo *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == COMPARE_ANS_FAILURE)
        return a->fail == b->fail;
    return strcmp(a->rrset, b->rrset) == 0;
}

/* The rdata part of the RR lines of text, joined by ", ", cut at LABEL_MAX. */
static const char *rrset_label(run *r, const char *text)
{
    char buf[LABEL_MAX + 4];
    size_t len = 0;
    bool cut = false;
    const char *p = text;
    while (*p && !cut) {
        const char *end = strchr(p, '\n');
        size_t line_len = end ? (size_t)(end - p) : strlen(p);
        const char *sp = memchr(p, ' ', line_len);
        const char *part = sp ? sp + 1 : p;
        size_t part_len = line_len - (size_t)(part - p);
        if (len > 0) {
            if (len + 2 > LABEL_MAX) {
                cut = true;
                break;
            }
            memcpy(buf + len, ", ", 2);
            len += 2;
        }
        if (len + part_len > LABEL_MAX) {
            part_len = LABEL_MAX - len;
            cut = true;
        }
        memcpy(buf + len, part, part_len);
        len += part_len;
        p = end ? end + 1 : p + line_len;
    }
    if (cut) {
        memcpy(buf + len, "...", 3);
        len += 3;
    }
    buf[len] = '\0';
    return adup(r, buf);
}

static const char *answer_label(run *r, const vpinfo *v)
{
    switch (v->kind) {
    case COMPARE_ANS_NODATA:
        return "NODATA";
    case COMPARE_ANS_NXDOMAIN:
        if (!*v->rrset)
            return "NXDOMAIN";
        {
            const char *l = rrset_label(r, v->rrset);
            return l ? afmt(r, "NXDOMAIN after %s", l) : NULL;
        }
    case COMPARE_ANS_FAILURE:
        return afmt(r, "failure: %s", compare_fail_name(v->fail));
    case COMPARE_ANS_RRSET:
        break;
    }
    return rrset_label(r, v->rrset);
}

/* "agent/resolver" of vantage point i. */
static const char *vp_name(run *r, size_t i)
{
    const char *s =
        afmt(r, "%s/%s", str_or(r->vps[i].agent, "?"), str_or(r->vps[i].obs->resolver, "?"));
    return s ? s : "?"; /* out of memory: r->nomem is set, the result is dropped */
}

/* "ns1.example. (192.0.2.1)" of auth vantage point i. */
static const char *server_name(run *r, size_t i)
{
    const proto_obs *o = r->vps[i].obs;
    const char *s = o->server && *o->server
                        ? afmt(r, "%s (%s)", o->server, str_or(o->resolver, "?"))
                        : afmt(r, "%s", str_or(o->resolver, "?"));
    return s ? s : "?";
}

static bool is_inconsistent_kind(compare_cause_kind k)
{
    return k == COMPARE_CAUSE_AUTH_DISAGREE || k == COMPARE_CAUSE_STUCK ||
           k == COMPARE_CAUSE_NO_CURRENT || k == COMPARE_CAUSE_SERIAL_UNDEFINED ||
           k == COMPARE_CAUSE_AUTH_NO_SERIAL;
}

static int cause_class(compare_cause_kind k)
{
    if (is_inconsistent_kind(k))
        return 0;
    if (k == COMPARE_CAUSE_FAILURE)
        return 2;
    return 1;
}

/* A new cause for vantage point vp (COMPARE_NONE: for scope sc). */
static compare_cause *cause_new(run *r, compare_cause_kind kind, size_t vp, size_t sc)
{
    compare_cause *c = &r->causes[r->n_causes];
    r->cause_seq[r->n_causes] = r->n_causes;
    r->n_causes++;
    memset(c, 0, sizeof *c);
    c->kind = kind;
    c->vp = vp;
    c->group = COMPARE_NONE;
    c->server_vp = COMPARE_NONE;
    if (vp != COMPARE_NONE) {
        const proto_obs *o = r->vps[vp].obs;
        r->info[vp].has_cause = true;
        c->group = r->info[vp].group;
        c->agent = adup(r, r->vps[vp].agent);
        c->region = adup(r, r->vps[vp].region);
        c->resolver = adup(r, o->resolver);
        if (r->info[vp].is_auth) {
            c->server = adup(r, o->server);
            c->server_addr = adup(r, o->resolver);
        }
    } else if (r->opt->geo) {
        c->region = adup(r, r->scopes[sc].region);
    }
    return c;
}

/* Lagging auth vantage point of the same scope with i's answer, or NONE. */
static size_t find_lagging(const run *r, size_t i)
{
    for (size_t j = 0; j < r->n; j++) {
        if (j != i && r->info[j].lagging && r->info[j].scope == r->info[i].scope &&
            same_answer(&r->info[j], &r->info[i]))
            return j;
    }
    return COMPARE_NONE;
}

static void cause_lagging(run *r, size_t i)
{
    compare_cause *c = cause_new(r, COMPARE_CAUSE_LAGGING_AUTH, i, 0);
    c->serial = r->info[i].serial;
    c->has_serial = true;
    c->text =
        afmt(r, "lagging authoritative server %s seen from %s: serial %" PRIu32 ", newest %" PRIu32,
             server_name(r, i), str_or(r->vps[i].agent, "?"), c->serial, r->s);
}

static void cause_behind(run *r, size_t i, size_t j)
{
    compare_cause *c = cause_new(r, COMPARE_CAUSE_BEHIND_LAGGING, i, 0);
    const proto_obs *lo = r->vps[j].obs;
    c->serial = r->info[j].serial;
    c->has_serial = true;
    c->server = adup(r, lo->server);
    c->server_addr = adup(r, lo->resolver);
    c->server_vp = j;
    c->text =
        afmt(r, "behind lagging authoritative server %s (serial %" PRIu32 "): %s still serves %s",
             str_or(lo->server, str_or(lo->resolver, "?")), c->serial, vp_name(r, i),
             r->groups[r->info[i].group].answer.label);
}

/* Cause of a vantage point off the current answer(s) of a decided scope. */
static void cause_off_current(run *r, size_t i)
{
    const vpinfo *v = &r->info[i];
    const proto_obs *o = r->vps[i].obs;
    const compare_opts *opt = r->opt;

    if (v->is_auth) {
        if (v->has_serial) {
            cause_lagging(r, i);
        } else {
            compare_cause *c = cause_new(r, COMPARE_CAUSE_AUTH_NO_SERIAL, i, 0);
            c->text = afmt(r,
                           "authoritative server %s seen from %s serves %s without an SOA serial "
                           "to place it",
                           server_name(r, i), str_or(r->vps[i].agent, "?"),
                           r->groups[v->group].answer.label);
        }
        return;
    }
    size_t j = find_lagging(r, i);
    if (j != COMPARE_NONE) {
        cause_behind(r, i, j);
        return;
    }

    int64_t floor = sat_sub(opt->now_ms, opt->margin_ms);
    bool negative = v->kind == COMPARE_ANS_NXDOMAIN || v->kind == COMPARE_ANS_NODATA;
    bool any_exp = false;
    int64_t last_exp = INT64_MIN;
    if (negative && o->has_neg_ttl) {
        int64_t exp = sat_add(v->t_coord, (int64_t)o->neg_ttl * 1000);
        any_exp = true;
        last_exp = exp;
        if (exp > floor) {
            compare_cause *c = cause_new(r, COMPARE_CAUSE_NEGATIVE_CACHE, i, 0);
            int64_t rem = sat_sub(exp, opt->now_ms);
            c->remaining_ms = rem > 0 ? rem : 0;
            c->eta_ms = exp;
            c->has_eta = true;
            c->text = rem > 0 ? afmt(r, "negative cache at %s: %s expires in %" PRId64 " s",
                                     vp_name(r, i), r->groups[v->group].answer.label, secs_up(rem))
                              : afmt(r,
                                     "negative cache at %s: %s expires now (within the %" PRId64
                                     " s margin)",
                                     vp_name(r, i), r->groups[v->group].answer.label,
                                     secs_up(opt->margin_ms));
            return;
        }
    }
    if (o->has_ttl) {
        int64_t exp = sat_add(v->t_coord, (int64_t)o->ttl_min * 1000);
        if (!any_exp || exp > last_exp)
            last_exp = exp;
        any_exp = true;
        if (exp > floor) {
            compare_cause *c = cause_new(r, COMPARE_CAUSE_RESOLVER_CACHE, i, 0);
            int64_t rem = sat_sub(exp, opt->now_ms);
            c->remaining_ms = rem > 0 ? rem : 0;
            c->eta_ms = exp;
            c->has_eta = true;
            c->text = rem > 0 ? afmt(r, "resolver cache at %s: old answer expires in %" PRId64 " s",
                                     vp_name(r, i), secs_up(rem))
                              : afmt(r,
                                     "resolver cache at %s: old answer expires now (within the "
                                     "%" PRId64 " s margin)",
                                     vp_name(r, i), secs_up(opt->margin_ms));
            return;
        }
    }
    compare_cause *c = cause_new(r, COMPARE_CAUSE_STUCK, i, 0);
    if (any_exp) {
        c->remaining_ms = sat_sub(last_exp, opt->now_ms);
        c->eta_ms = last_exp;
        c->has_eta = true;
        c->text = afmt(r, "stuck at %s: %s held %" PRId64 " s past its TTL (margin %" PRId64 " s)",
                       vp_name(r, i), r->groups[v->group].answer.label,
                       secs_up(sat_sub(0, c->remaining_ms)), secs_up(opt->margin_ms));
    } else {
        c->text = afmt(r, "stuck at %s: %s with no TTL to explain it", vp_name(r, i),
                       r->groups[v->group].answer.label);
    }
}

static void cause_failure(run *r, size_t i)
{
    const proto_obs *o = r->vps[i].obs;
    compare_cause *c = cause_new(r, COMPARE_CAUSE_FAILURE, i, 0);
    c->fail = r->info[i].fail;
    if (o->n_ede > 0 && o->ede) {
        c->ede = o->ede[0];
        c->has_ede = true;
        c->ede_text = adup(r, o->ede_text);
    }
    const char *what = compare_fail_name(c->fail);
    if (o->fail == PROTO_FAIL_NONE)
        what = str_or(afmt(r, "rcode %u", (unsigned)o->rcode), "?");
    if (c->has_ede && c->ede_text)
        c->text = afmt(r, "failure at %s: %s (EDE %u: %s)", vp_name(r, i), what, (unsigned)c->ede,
                       c->ede_text);
    else if (c->has_ede)
        c->text = afmt(r, "failure at %s: %s (EDE %u)", vp_name(r, i), what, (unsigned)c->ede);
    else
        c->text = afmt(r, "failure at %s: %s", vp_name(r, i), what);
}

/* " in region R" for geo scopes, "" otherwise. */
static const char *scope_suffix(run *r, size_t sc)
{
    if (!r->opt->geo)
        return "";
    return str_or(afmt(r, " in region %s", str_or(r->scopes[sc].region, "(unknown)")), "");
}

/* Current answer(s) of scope sc and the causes of everyone in it. */
static void compare_scope(run *r, size_t sc, compare_result *res)
{
    size_t n_top = 0, first_top = COMPARE_NONE;
    bool disputed = false;
    for (size_t i = 0; i < r->n; i++) {
        const vpinfo *v = &r->info[i];
        if (v->scope != sc || !v->top)
            continue;
        if (n_top++ == 0)
            first_top = i;
        else if (v->group != r->info[first_top].group)
            disputed = true;
    }

    if (n_top > 0) {
        for (size_t i = 0; i < r->n; i++) {
            const vpinfo *v = &r->info[i];
            if (v->scope == sc && v->top) {
                r->groups[v->group].current = true;
                r->groups[v->group].status =
                    disputed ? COMPARE_GROUP_DISPUTED : COMPARE_GROUP_CURRENT;
            }
        }
        if (!disputed && !r->opt->geo) {
            res->current_decided = true;
            res->current_group = r->info[first_top].group;
        }
        for (size_t i = 0; i < r->n; i++) {
            const vpinfo *v = &r->info[i];
            if (v->scope != sc || v->kind == COMPARE_ANS_FAILURE)
                continue;
            if (v->top && disputed) {
                compare_cause *c = cause_new(r, COMPARE_CAUSE_AUTH_DISAGREE, i, 0);
                c->serial = v->serial;
                c->has_serial = true;
                c->text = afmt(r,
                               "authoritative servers disagree at serial %" PRIu32
                               "%s: %s seen from %s serves %s",
                               v->serial, scope_suffix(r, sc), server_name(r, i),
                               str_or(r->vps[i].agent, "?"), r->groups[v->group].answer.label);
            } else if (!r->groups[v->group].current) {
                cause_off_current(r, i);
            }
        }
        return;
    }

    /* Undecided: lagging servers and those behind them, then the rest. */
    for (size_t i = 0; i < r->n; i++) {
        const vpinfo *v = &r->info[i];
        if (v->scope != sc || v->kind == COMPARE_ANS_FAILURE)
            continue;
        if (v->lagging) {
            cause_lagging(r, i);
        } else {
            size_t j = find_lagging(r, i);
            if (j != COMPARE_NONE)
                cause_behind(r, i, j);
        }
    }
    size_t n_rest = 0, n_answers = 0;
    for (size_t i = 0; i < r->n; i++) {
        const vpinfo *v = &r->info[i];
        if (v->scope != sc || v->kind == COMPARE_ANS_FAILURE || v->has_cause)
            continue;
        n_rest++;
        if (!r->group_seen[v->group]) {
            r->group_seen[v->group] = true;
            n_answers++;
        }
    }
    for (size_t i = 0; i < r->n; i++) {
        const vpinfo *v = &r->info[i];
        if (v->scope == sc && v->kind != COMPARE_ANS_FAILURE && !v->has_cause)
            r->groups[v->group].status =
                n_answers > 1 ? COMPARE_GROUP_DISPUTED : COMPARE_GROUP_AGREED;
    }
    if (n_answers > 1) {
        compare_cause *c;
        if (res->serial_undefined) {
            c = cause_new(r, COMPARE_CAUSE_SERIAL_UNDEFINED, COMPARE_NONE, sc);
            c->text = afmt(r,
                           "authoritative serials have no newest under RFC 1982%s: cannot decide "
                           "which answer is current (%zu answers among %zu vantage points)",
                           scope_suffix(r, sc), n_answers, n_rest);
        } else {
            c = cause_new(r, COMPARE_CAUSE_NO_CURRENT, COMPARE_NONE, sc);
            c->text = afmt(r,
                           "no authoritative answer to decide which is current%s (%zu answers "
                           "among %zu vantage points)",
                           scope_suffix(r, sc), n_answers, n_rest);
        }
    }
}

static int cmp_cause(const void *pa, const void *pb, void *ctx)
{
    const run *r = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const compare_cause *ca = &r->causes[a], *cb = &r->causes[b];
    int ka = cause_class(ca->kind), kb = cause_class(cb->kind);
    if (ka != kb)
        return ka < kb ? -1 : 1;
    /* Scope-wide causes (vp NONE) first, then by vantage point. */
    size_t va = ca->vp == COMPARE_NONE ? 0 : ca->vp + 1;
    size_t vb = cb->vp == COMPARE_NONE ? 0 : cb->vp + 1;
    if (va != vb)
        return va < vb ? -1 : 1;
    return a < b ? -1 : a > b;
}

static int cmp_group(const void *pa, const void *pb, void *ctx)
{
    const run *r = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const compare_group *ga = &r->groups[a], *gb = &r->groups[b];
    bool fa = ga->answer.kind == COMPARE_ANS_FAILURE, fb = gb->answer.kind == COMPARE_ANS_FAILURE;
    if (fa != fb)
        return fa ? 1 : -1;
    if (r->group_scope[a] != r->group_scope[b])
        return r->group_scope[a] < r->group_scope[b] ? -1 : 1;
    if (ga->current != gb->current)
        return ga->current ? -1 : 1;
    if (ga->n_members != gb->n_members)
        return ga->n_members > gb->n_members ? -1 : 1;
    return ga->members[0] < gb->members[0] ? -1 : ga->members[0] > gb->members[0];
}

/* Insertion sort of idx[0..n) (n is at most a few thousand, usually tiny). */
static void sort_idx(size_t *idx, size_t n, int (*cmp)(const void *, const void *, void *),
                     void *ctx)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = idx[i], j = i;
        while (j > 0 && cmp(&idx[j - 1], &x, ctx) > 0) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = x;
    }
}

/* Reorder groups and causes, and renumber every group reference. */
static bool reorder(run *r, compare_result *res)
{
    size_t *order = arena_calloc(r->arena, r->n_groups + 1, sizeof *order);
    size_t *newpos = arena_calloc(r->arena, r->n_groups + 1, sizeof *newpos);
    compare_group *groups = arena_calloc(r->arena, r->n_groups + 1, sizeof *groups);
    size_t *corder = arena_calloc(r->arena, r->n_causes + 1, sizeof *corder);
    compare_cause *causes = arena_calloc(r->arena, r->n_causes + 1, sizeof *causes);
    if (!order || !newpos || !groups || !corder || !causes)
        return false;
    for (size_t g = 0; g < r->n_groups; g++)
        order[g] = g;
    sort_idx(order, r->n_groups, cmp_group, r);
    for (size_t k = 0; k < r->n_groups; k++) {
        groups[k] = r->groups[order[k]];
        newpos[order[k]] = k;
    }
    for (size_t c = 0; c < r->n_causes; c++)
        corder[c] = c;
    sort_idx(corder, r->n_causes, cmp_cause, r);
    for (size_t k = 0; k < r->n_causes; k++) {
        causes[k] = r->causes[corder[k]];
        if (causes[k].group != COMPARE_NONE)
            causes[k].group = newpos[causes[k].group];
    }
    for (size_t i = 0; i < r->n; i++)
        res->vp_group[i] = newpos[r->info[i].group];
    if (res->current_group != COMPARE_NONE)
        res->current_group = newpos[res->current_group];
    res->groups = groups;
    res->n_groups = r->n_groups;
    res->causes = causes;
    res->n_causes = r->n_causes;
    return true;
}

/* "s" when n is not 1. */
static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

/* Comma-separated names of the failure classes seen, in class order. */
static const char *fail_classes(run *r, const compare_result *res)
{
    const char *out = "";
    for (unsigned f = 1; f <= PROTO_FAIL_INCOMPLETE; f++) {
        bool seen = false;
        for (size_t k = 0; k < res->n_causes && !seen; k++)
            seen = res->causes[k].kind == COMPARE_CAUSE_FAILURE && res->causes[k].fail == f;
        if (seen)
            out = afmt(r, "%s%s%s", str_or(out, ""), *str_or(out, "") ? ", " : "",
                       compare_fail_name((uint8_t)f));
    }
    return str_or(out, "");
}

/* "K of N vantage points still hold the old answer (kinds, longest X s)". */
static const char *propagating_clause(run *r, const compare_result *res)
{
    static const struct {
        compare_cause_kind kind;
        const char *words;
    } kinds[] = {
        {COMPARE_CAUSE_RESOLVER_CACHE, "resolver cache"},
        {COMPARE_CAUSE_NEGATIVE_CACHE, "negative cache"},
        {COMPARE_CAUSE_LAGGING_AUTH, "lagging authoritative server"},
        {COMPARE_CAUSE_BEHIND_LAGGING, "behind lagging authoritative server"},
    };
    size_t count = 0;
    for (size_t k = 0; k < res->n_causes; k++)
        count += cause_class(res->causes[k].kind) == 1;
    if (count == 0)
        return NULL;
    const char *list = "";
    for (size_t t = 0; t < sizeof kinds / sizeof kinds[0]; t++) {
        bool seen = false;
        for (size_t k = 0; k < res->n_causes && !seen; k++)
            seen = res->causes[k].kind == kinds[t].kind;
        if (seen)
            list =
                afmt(r, "%s%s%s", str_or(list, ""), *str_or(list, "") ? ", " : "", kinds[t].words);
    }
    const char *longest =
        res->longest_ms > 0 ? afmt(r, ", longest %" PRId64 " s", secs_up(res->longest_ms)) : "";
    return afmt(r, "%zu of %zu vantage point%s still hold%s the old answer (%s%s)", count,
                res->n_vps, plural(res->n_vps), count == 1 ? "s" : "", str_or(list, ""),
                str_or(longest, ""));
}

/* Append ";"-separated clause to *s. */
static void add_clause(run *r, const char **s, const char *clause)
{
    if (!clause || !*clause)
        return;
    *s = afmt(r, "%s%s%s", str_or(*s, ""), *str_or(*s, "") ? "; " : "", clause);
}

static void summarize(run *r, compare_result *res)
{
    const char *s = "";
    const char *fails =
        res->n_failing == 0 ? NULL
        : res->n_vps == 1   ? afmt(r, "the only vantage point fails (%s)", fail_classes(r, res))
        : res->n_failing == res->n_vps
            ? afmt(r, "all %zu vantage points fail (%s)", res->n_vps, fail_classes(r, res))
            : afmt(r, "%zu of %zu vantage points fail%s (%s)", res->n_failing, res->n_vps,
                   res->n_failing == 1 ? "s" : "", fail_classes(r, res));

    switch (res->state) {
    case COMPARE_UNKNOWN:
        s = "no vantage point has observed it";
        break;
    case COMPARE_INCONSISTENT: {
        size_t stuck = 0, no_serial = 0;
        for (size_t k = 0; k < res->n_causes; k++) {
            const compare_cause *c = &res->causes[k];
            if (c->kind == COMPARE_CAUSE_AUTH_DISAGREE) {
                /* Once per scope: the first cause of its serial and region. */
                bool first = true;
                for (size_t m = 0; m < k && first; m++)
                    first = !(res->causes[m].kind == COMPARE_CAUSE_AUTH_DISAGREE &&
                              same_region(res->causes[m].region, c->region));
                if (first)
                    add_clause(r, &s,
                               r->opt->geo
                                   ? afmt(r,
                                          "authoritative servers disagree at serial %" PRIu32
                                          " in region %s",
                                          c->serial, str_or(c->region, "(unknown)"))
                                   : afmt(r, "authoritative servers disagree at serial %" PRIu32,
                                          c->serial));
            } else if (c->kind == COMPARE_CAUSE_NO_CURRENT ||
                       c->kind == COMPARE_CAUSE_SERIAL_UNDEFINED) {
                add_clause(r, &s, c->text);
            }
            stuck += c->kind == COMPARE_CAUSE_STUCK;
            no_serial += c->kind == COMPARE_CAUSE_AUTH_NO_SERIAL;
        }
        if (stuck > 0)
            add_clause(r, &s,
                       afmt(r,
                            "%zu of %zu vantage point%s hold%s an older answer past its TTL "
                            "+ margin (stuck)",
                            stuck, res->n_vps, plural(res->n_vps), stuck == 1 ? "s" : ""));
        if (no_serial > 0)
            add_clause(r, &s,
                       afmt(r,
                            "%zu authoritative server%s without an SOA serial serve%s another "
                            "answer",
                            no_serial, plural(no_serial), no_serial == 1 ? "s" : ""));
        add_clause(r, &s, propagating_clause(r, res));
        add_clause(r, &s, fails);
        break;
    }
    case COMPARE_PROPAGATING:
        add_clause(r, &s, propagating_clause(r, res));
        add_clause(r, &s, fails);
        break;
    case COMPARE_FAILING:
        add_clause(r, &s, fails);
        if (res->n_answering > 0)
            add_clause(r, &s,
                       afmt(r, "the other %zu agree%s", res->n_answering,
                            res->n_answering == 1 ? "s" : ""));
        break;
    case COMPARE_CONSISTENT:
        s = res->n_vps == 1 ? "1 vantage point"
                            : afmt(r, "all %zu vantage points agree", res->n_vps);
        break;
    }
    if (res->state != COMPARE_UNKNOWN && res->state != COMPARE_INCONSISTENT) {
        if (res->serial_undefined)
            add_clause(r, &s, "authoritative serials have no newest under RFC 1982");
        else if (!res->has_serial && res->n_answering > 0)
            add_clause(r, &s, "no authoritative serial seen to confirm the answer is current");
    }
    if (r->opt->geo && res->state != COMPARE_UNKNOWN)
        add_clause(r, &s,
                   afmt(r, "geo: answers compared within each of %zu region%s", r->n_scopes,
                        plural(r->n_scopes)));
    res->summary = afmt(r, "%s: %s", compare_state_name(res->state), str_or(s, ""));
}

/* Answer key, time and scope of every vantage point. */
static void classify(run *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const compare_vp *vp = &r->vps[i];
        const proto_obs *o = vp->obs;
        vpinfo *v = &r->info[i];
        v->rrset = o->rrset ? o->rrset : "";
        v->is_auth = o->kind && strcmp(o->kind, "auth") == 0;
        v->t_coord = sat_sub(o->t_ms, vp->clock_offset_ms);
        if (o->fail != PROTO_FAIL_NONE) {
            v->kind = COMPARE_ANS_FAILURE;
            v->fail = o->fail;
        } else if (o->rcode == 3) {
            v->kind = COMPARE_ANS_NXDOMAIN;
        } else if (o->rcode != 0) {
            v->kind = COMPARE_ANS_FAILURE;
            v->fail = PROTO_FAIL_OTHER;
        } else {
            v->kind = *v->rrset ? COMPARE_ANS_RRSET : COMPARE_ANS_NODATA;
        }
        if (v->kind == COMPARE_ANS_FAILURE)
            v->rrset = "";
        if (v->kind != COMPARE_ANS_FAILURE && v->is_auth && o->has_soa_serial) {
            v->has_serial = true;
            v->serial = o->soa_serial;
        }
        v->scope = 0;
        if (r->opt->geo) {
            size_t s = 0;
            while (s < r->n_scopes && !same_region(r->scopes[s].region, vp->region))
                s++;
            if (s == r->n_scopes)
                r->scopes[r->n_scopes++].region = vp->region;
            v->scope = s;
        }
    }
    if (!r->opt->geo && r->n > 0)
        r->n_scopes = 1;
}

/* Group by (scope, answer). */
static void group(run *r)
{
    size_t *count = arena_calloc(r->arena, r->n + 1, sizeof *count);
    size_t *first = arena_calloc(r->arena, r->n + 1, sizeof *first);
    if (!count || !first) {
        r->nomem = true;
        return;
    }
    for (size_t i = 0; i < r->n; i++) {
        size_t g = 0;
        while (g < r->n_groups && !(r->group_scope[g] == r->info[i].scope &&
                                    same_answer(&r->info[first[g]], &r->info[i])))
            g++;
        if (g == r->n_groups) {
            r->group_scope[g] = r->info[i].scope;
            first[g] = i;
            r->n_groups++;
        }
        r->info[i].group = g;
        count[g]++;
    }
    for (size_t g = 0; g < r->n_groups; g++) {
        const vpinfo *v = &r->info[first[g]];
        compare_group *grp = &r->groups[g];
        grp->members = arena_calloc(r->arena, count[g], sizeof *grp->members);
        if (!grp->members) {
            r->nomem = true;
            return;
        }
        grp->answer.kind = v->kind;
        grp->answer.fail = v->fail;
        grp->answer.rrset = adup(r, v->rrset);
        grp->answer.label = answer_label(r, v);
        if (!grp->answer.label)
            grp->answer.label = "";
        grp->region = r->opt->geo ? adup(r, r->scopes[r->group_scope[g]].region) : NULL;
        grp->status = v->kind == COMPARE_ANS_FAILURE ? COMPARE_GROUP_FAILING : COMPARE_GROUP_OLD;
    }
    for (size_t i = 0; i < r->n; i++) {
        compare_group *grp = &r->groups[r->info[i].group];
        grp->members[grp->n_members++] = i;
    }
}

/* The newest serial over every answering auth vantage point; top and lagging marks. */
static void newest_serial(run *r, compare_result *res)
{
    size_t m = 0;
    uint32_t *serials = arena_calloc(r->arena, r->n + 1, sizeof *serials);
    if (!serials) {
        r->nomem = true;
        return;
    }
    for (size_t i = 0; i < r->n; i++)
        if (r->info[i].has_serial)
            serials[m++] = r->info[i].serial;
    if (m == 0)
        return;
    if (!serial_max(serials, m, &r->s)) {
        res->serial_undefined = true;
        return;
    }
    r->has_s = true;
    res->serial = r->s;
    res->has_serial = true;
    for (size_t i = 0; i < r->n; i++) {
        vpinfo *v = &r->info[i];
        if (!v->has_serial)
            continue;
        v->top = v->serial == r->s;
        v->lagging = !v->top;
    }
}

compare_status compare_run(const compare_vp *vps, size_t n, const compare_opts *opts,
                           arena_t *arena, compare_result **out)
{
    if (out)
        *out = NULL;
    if (!out || !opts || !arena || (n > 0 && !vps) || opts->margin_ms < 0)
        return COMPARE_ERR_INVAL;
    if (n > COMPARE_MAX_VPS)
        return COMPARE_ERR_TOO_MANY;
    for (size_t i = 0; i < n; i++)
        if (!vps[i].obs)
            return COMPARE_ERR_INVAL;

    run r = {.vps = vps, .n = n, .opt = opts, .arena = arena};
    compare_result *res = arena_calloc(arena, 1, sizeof *res);
    r.info = arena_calloc(arena, n + 1, sizeof *r.info);
    r.scopes = arena_calloc(arena, n + 1, sizeof *r.scopes);
    r.groups = arena_calloc(arena, n + 1, sizeof *r.groups);
    r.group_scope = arena_calloc(arena, n + 1, sizeof *r.group_scope);
    r.group_seen = arena_calloc(arena, n + 1, sizeof *r.group_seen);
    r.causes = arena_calloc(arena, 2 * n + 1, sizeof *r.causes);
    r.cause_seq = arena_calloc(arena, 2 * n + 1, sizeof *r.cause_seq);
    if (!res || !r.info || !r.scopes || !r.groups || !r.group_scope || !r.group_seen || !r.causes ||
        !r.cause_seq)
        return COMPARE_ERR_NOMEM;
    res->vp_group = arena_calloc(arena, n + 1, sizeof *res->vp_group);
    if (!res->vp_group)
        return COMPARE_ERR_NOMEM;
    res->geo = opts->geo;
    res->n_vps = n;
    res->current_group = COMPARE_NONE;

    classify(&r);
    group(&r);
    newest_serial(&r, res);
    if (r.nomem)
        return COMPARE_ERR_NOMEM;

    for (size_t sc = 0; sc < r.n_scopes; sc++)
        compare_scope(&r, sc, res);
    for (size_t i = 0; i < n; i++) {
        const vpinfo *v = &r.info[i];
        if (v->kind == COMPARE_ANS_FAILURE) {
            res->n_failing++;
            cause_failure(&r, i);
            continue;
        }
        res->n_answering++;
        const proto_obs *o = vps[i].obs;
        if (o->has_ttl && (!res->has_max_ttl || o->ttl_min > res->max_ttl_s)) {
            res->max_ttl_s = o->ttl_min;
            res->has_max_ttl = true;
        }
        if (o->has_neg_ttl && (!res->has_max_ttl || o->neg_ttl > res->max_ttl_s)) {
            res->max_ttl_s = o->neg_ttl;
            res->has_max_ttl = true;
        }
    }

    bool incons = false, prop = false;
    for (size_t k = 0; k < r.n_causes; k++) {
        const compare_cause *c = &r.causes[k];
        int cls = cause_class(c->kind);
        incons |= cls == 0;
        prop |= cls == 1;
        if (c->vp != COMPARE_NONE && cls != 2)
            res->n_off_current++;
        if ((c->kind == COMPARE_CAUSE_RESOLVER_CACHE || c->kind == COMPARE_CAUSE_NEGATIVE_CACHE) &&
            c->remaining_ms > res->longest_ms)
            res->longest_ms = c->remaining_ms;
        /* A group off the current answer with an unexplained member is stuck. */
        if (c->vp != COMPARE_NONE && is_inconsistent_kind(c->kind) &&
            c->kind != COMPARE_CAUSE_AUTH_DISAGREE)
            r.groups[c->group].status = COMPARE_GROUP_STUCK;
    }
    if (n == 0)
        res->state = COMPARE_UNKNOWN;
    else if (incons)
        res->state = COMPARE_INCONSISTENT;
    else if (prop)
        res->state = COMPARE_PROPAGATING;
    else if (res->n_failing > 0)
        res->state = COMPARE_FAILING;
    else
        res->state = COMPARE_CONSISTENT;

    if (r.nomem || !reorder(&r, res))
        return COMPARE_ERR_NOMEM;
    if (res->current_decided)
        res->current = res->groups[res->current_group].answer;
    summarize(&r, res);
    if (r.nomem || !res->summary)
        return COMPARE_ERR_NOMEM;
    *out = res;
    return COMPARE_OK;
}

const char *compare_status_str(compare_status status)
{
    switch (status) {
    case COMPARE_OK:
        return "success";
    case COMPARE_ERR_INVAL:
        return "invalid argument";
    case COMPARE_ERR_TOO_MANY:
        return "too many vantage points";
    case COMPARE_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}

const char *compare_state_name(compare_state state)
{
    switch (state) {
    case COMPARE_CONSISTENT:
        return "consistent";
    case COMPARE_PROPAGATING:
        return "propagating";
    case COMPARE_FAILING:
        return "failing";
    case COMPARE_INCONSISTENT:
        return "inconsistent";
    case COMPARE_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

int compare_state_exit_code(compare_state state)
{
    switch (state) {
    case COMPARE_CONSISTENT:
        return 0;
    case COMPARE_PROPAGATING:
    case COMPARE_FAILING:
        return 1;
    case COMPARE_INCONSISTENT:
        return 2;
    case COMPARE_UNKNOWN:
        return 3;
    }
    return 3;
}

const char *compare_answer_kind_name(compare_answer_kind kind)
{
    switch (kind) {
    case COMPARE_ANS_RRSET:
        return "rrset";
    case COMPARE_ANS_NODATA:
        return "nodata";
    case COMPARE_ANS_NXDOMAIN:
        return "nxdomain";
    case COMPARE_ANS_FAILURE:
        return "failure";
    }
    return "?";
}

const char *compare_group_status_name(compare_group_status status)
{
    switch (status) {
    case COMPARE_GROUP_CURRENT:
        return "current";
    case COMPARE_GROUP_AGREED:
        return "agreed";
    case COMPARE_GROUP_DISPUTED:
        return "disputed";
    case COMPARE_GROUP_OLD:
        return "old";
    case COMPARE_GROUP_STUCK:
        return "stuck";
    case COMPARE_GROUP_FAILING:
        return "failing";
    }
    return "?";
}

const char *compare_cause_kind_name(compare_cause_kind kind)
{
    switch (kind) {
    case COMPARE_CAUSE_FAILURE:
        return "failure";
    case COMPARE_CAUSE_AUTH_DISAGREE:
        return "auth_disagree";
    case COMPARE_CAUSE_LAGGING_AUTH:
        return "lagging_auth";
    case COMPARE_CAUSE_BEHIND_LAGGING:
        return "behind_lagging_auth";
    case COMPARE_CAUSE_NEGATIVE_CACHE:
        return "negative_cache";
    case COMPARE_CAUSE_RESOLVER_CACHE:
        return "resolver_cache";
    case COMPARE_CAUSE_STUCK:
        return "stuck";
    case COMPARE_CAUSE_NO_CURRENT:
        return "no_current";
    case COMPARE_CAUSE_SERIAL_UNDEFINED:
        return "serial_undefined";
    case COMPARE_CAUSE_AUTH_NO_SERIAL:
        return "auth_no_serial";
    }
    return "?";
}

const char *compare_fail_name(uint8_t fail)
{
    switch (fail) {
    case PROTO_FAIL_NONE:
        return "none";
    case PROTO_FAIL_TIMEOUT:
        return "timeout";
    case PROTO_FAIL_REFUSED:
        return "refused";
    case PROTO_FAIL_SERVFAIL:
        return "servfail";
    case PROTO_FAIL_NETWORK:
        return "network";
    case PROTO_FAIL_MALFORMED:
        return "malformed";
    case PROTO_FAIL_OTHER:
        return "other";
    case PROTO_FAIL_INCOMPLETE:
        return "incomplete";
    }
    return "other";
}

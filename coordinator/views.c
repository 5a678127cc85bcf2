/*
 * coordinator/views.c - what vantagectl's status, diff and monitors show.
 */
#include "coordinator/views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/arena.h"
#include "common/dnsname.h"
#include "coordinator/compare.h"
#include "proto/json.h"

#define VIEWS_VPS_MAX 4096
/* Most MX hosts of one monitor read for its SMTP item. */
#define VIEWS_MX_HOSTS_MAX 64

/* Copies of store_latest()'s observations (its strings live only during the callback). */
typedef struct views_collect {
    arena_t *arena;     /* where the copies live */
    compare_vp *vps;    /* the vantage points */
    proto_obs *obs;     /* their observations */
    size_t n;           /* count */
    const views_ctx *v; /* for offsets */
    bool oom;           /* memory ran out */
} views_collect;

static const char *vdup(arena_t *a, const char *s)
{
    return s ? arena_strdup(a, s) : NULL;
}

static int views_collect_cb(void *ctx, const store_obs *so)
{
    views_collect *c = ctx;
    if (c->n >= VIEWS_VPS_MAX)
        return 1;
    proto_obs *o = &c->obs[c->n];
    *o = so->obs;
    o->resolver = vdup(c->arena, so->obs.resolver);
    o->kind = vdup(c->arena, so->obs.kind);
    o->server = vdup(c->arena, so->obs.server);
    o->nsid = vdup(c->arena, so->obs.nsid);
    o->qname = vdup(c->arena, so->obs.qname);
    o->rrset = vdup(c->arena, so->obs.rrset ? so->obs.rrset : "");
    o->ede_text = vdup(c->arena, so->obs.ede_text);
    if (so->obs.n_ede) {
        uint16_t *e = arena_calloc(c->arena, so->obs.n_ede, sizeof *e);
        if (e)
            memcpy(e, so->obs.ede, so->obs.n_ede * sizeof *e);
        else
            c->oom = true;
        o->ede = e;
    }
    bool has = false;
    int64_t off = c->v->offset ? c->v->offset(c->v->offset_ctx, so->agent, &has) : 0;
    c->vps[c->n] = (compare_vp){.agent = vdup(c->arena, so->agent),
                                .region = vdup(c->arena, so->region),
                                .obs = o,
                                .clock_offset_ms = has ? off : 0};
    if (!c->vps[c->n].agent || !o->resolver || !o->kind || !o->qname || !o->rrset)
        c->oom = true;
    c->n++;
    return 0;
}

static json_t *rrset_lines(const char *text)
{
    json_t *a = json_array();
    const char *p = text ? text : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p += n + (nl ? 1 : 0);
    }
    return a;
}

static json_t *vp_json(const compare_vp *vp, int64_t now_ms)
{
    const proto_obs *o = vp->obs;
    char t[40];
    json_t *j = json_object();
    json_object_set_new(j, "agent", json_string(vp->agent));
    json_object_set_new(j, "region", vp->region ? json_string(vp->region) : json_null());
    json_object_set_new(j, "resolver", json_string(o->resolver));
    json_object_set_new(j, "kind", json_string(o->kind));
    if (o->server)
        json_object_set_new(j, "server", json_string(o->server));
    json_object_set_new(j, "status", json_string(pjson_obs_status(o)));
    int64_t at = o->t_ms - vp->clock_offset_ms;
    json_object_set_new(j, "observed", json_string(pjson_time(at, t, sizeof t)));
    json_object_set_new(j, "observed_ms", json_integer(at));
    json_object_set_new(j, "age_ms", json_integer(now_ms - at));
    if (o->has_ttl)
        json_object_set_new(j, "ttl", json_integer(o->ttl_min));
    if (o->has_neg_ttl)
        json_object_set_new(j, "neg_ttl", json_integer(o->neg_ttl));
    if (o->has_soa_serial)
        json_object_set_new(j, "serial", json_integer(o->soa_serial));
    return j;
}

json_t *views_compare(const views_ctx *v, const char *qname, uint16_t qtype, bool geo, char *err,
                      size_t errlen)
{
    char name[DNSNAME_TEXT_MAX], tbuf[32];
    if (dnsname_normalize(qname, name, sizeof name) != DNSNAME_OK) {
        snprintf(err, errlen, "'%s' is not a domain name", qname);
        return NULL;
    }
    views_collect c = {.arena = arena_new(), .v = v};
    c.vps = calloc(VIEWS_VPS_MAX, sizeof *c.vps);
    c.obs = calloc(VIEWS_VPS_MAX, sizeof *c.obs);
    json_t *j = NULL;
    if (!c.arena || !c.vps || !c.obs) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (store_latest(v->store, name, qtype, views_collect_cb, &c, err, errlen) != 0)
        goto done;
    if (c.oom) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    compare_opts opts = {.now_ms = v->now_ms, .margin_ms = COMPARE_MARGIN_MS, .geo = geo};
    compare_result *r = NULL;
    compare_status st = compare_run(c.vps, c.n, &opts, c.arena, &r);
    if (st != COMPARE_OK) {
        snprintf(err, errlen, "comparison of %s: %s", name, compare_status_str(st));
        goto done;
    }
    j = json_object();
    json_object_set_new(j, "name", json_string(name));
    json_object_set_new(j, "type", json_string(pjson_type(qtype, tbuf, sizeof tbuf)));
    json_object_set_new(j, "state", json_string(compare_state_name(r->state)));
    json_object_set_new(j, "summary", json_string(r->summary));
    json_object_set_new(j, "vantage_points", json_integer((json_int_t)r->n_vps));
    json_object_set_new(j, "serial", r->has_serial ? json_integer(r->serial) : json_null());
    json_object_set_new(j, "current",
                        r->current_decided && r->current_group != COMPARE_NONE
                            ? json_string(r->groups[r->current_group].answer.label)
                            : json_null());
    json_t *groups = json_array();
    for (size_t g = 0; g < r->n_groups; g++) {
        const compare_group *gr = &r->groups[g];
        json_t *go = json_object(), *mem = json_array();
        json_object_set_new(go, "answer", json_string(gr->answer.label));
        json_object_set_new(go, "kind", json_string(compare_answer_kind_name(gr->answer.kind)));
        json_object_set_new(go, "records", rrset_lines(gr->answer.rrset));
        json_object_set_new(go, "status", json_string(compare_group_status_name(gr->status)));
        json_object_set_new(go, "current", json_boolean(gr->current));
        if (gr->region)
            json_object_set_new(go, "region", json_string(gr->region));
        for (size_t k = 0; k < gr->n_members; k++)
            json_array_append_new(mem, vp_json(&c.vps[gr->members[k]], v->now_ms));
        json_object_set_new(go, "vantage_points", mem);
        json_array_append_new(groups, go);
    }
    json_object_set_new(j, "answers", groups);
    json_t *causes = json_array();
    for (size_t k = 0; k < r->n_causes; k++) {
        const compare_cause *cz = &r->causes[k];
        json_t *co = json_object();
        json_object_set_new(co, "kind", json_string(compare_cause_kind_name(cz->kind)));
        if (cz->agent)
            json_object_set_new(co, "agent", json_string(cz->agent));
        if (cz->region)
            json_object_set_new(co, "region", json_string(cz->region));
        if (cz->resolver)
            json_object_set_new(co, "resolver", json_string(cz->resolver));
        if (cz->server)
            json_object_set_new(co, "server", json_string(cz->server));
        if (cz->has_serial)
            json_object_set_new(co, "serial", json_integer(cz->serial));
        if (cz->has_eta) {
            json_object_set_new(co, "remaining_ms", json_integer(cz->remaining_ms));
            json_object_set_new(co, "eta", json_string(pjson_time(cz->eta_ms, tbuf, sizeof tbuf)));
            json_object_set_new(co, "eta_ms", json_integer(cz->eta_ms));
        }
        json_object_set_new(co, "text", json_string(cz->text));
        json_array_append_new(causes, co);
    }
    json_object_set_new(j, "causes", causes);
    json_object_set_new(j, "exit", json_integer(compare_state_exit_code(r->state)));
done:
    arena_destroy(&c.arena);
    free(c.vps);
    free(c.obs);
    return j;
}

/* The types of a monitor: its own, and MX for the mail profile. */
static size_t monitor_types(const coord_conf_monitor_t *m, uint16_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->n_types && n < max; i++) {
        ldns_rr_type t;
        if (dnsname_type_from_str(m->types[i], &t))
            out[n++] = (uint16_t)t;
    }
    if (m->profile == COORD_CONF_PROFILE_MAIL) {
        bool has_mx = false;
        for (size_t i = 0; i < n; i++)
            has_mx = has_mx || out[i] == LDNS_RR_TYPE_MX;
        if (!has_mx && n < max)
            out[n++] = LDNS_RR_TYPE_MX;
    }
    return n;
}

json_t *views_status(const views_ctx *v, const char *name, char *err, size_t errlen)
{
    json_t *items = json_array();
    int worst = 0;
    char want[DNSNAME_TEXT_MAX] = "";
    if (name && dnsname_normalize(name, want, sizeof want) != DNSNAME_OK) {
        snprintf(err, errlen, "'%s' is not a domain name", name);
        json_decref(items);
        return NULL;
    }
    /* NAME is a monitor's name when one has it, else a monitored domain */
    bool by_monitor = name && coord_conf_find_monitor(v->conf, name) != NULL;
    for (size_t i = 0; i < v->conf->n_monitors; i++) {
        const coord_conf_monitor_t *m = &v->conf->monitors[i];
        char mq[DNSNAME_TEXT_MAX];
        if (dnsname_normalize(m->qname, mq, sizeof mq) != DNSNAME_OK)
            continue;
        if (name && (by_monitor ? strcmp(m->name, name) != 0 : strcmp(mq, want) != 0))
            continue;
        uint16_t types[32];
        size_t n = monitor_types(m, types, 32);
        for (size_t k = 0; k <= n; k++) {
            json_t *c = NULL;
            if (k < n) {
                if ((c = views_compare(v, mq, types[k], m->geo, err, errlen)))
                    json_object_set_new(c, "monitor", json_string(m->name));
            } else if (m->smtp) {
                c = views_smtp_monitor(v, m, err, errlen);
            } else {
                break;
            }
            if (!c) {
                json_decref(items);
                return NULL;
            }
            int e = (int)json_integer_value(json_object_get(c, "exit"));
            worst = e > worst ? e : worst;
            json_array_append_new(items, c);
        }
    }
    if (name && json_array_size(items) == 0) {
        snprintf(err, errlen, "'%s' is not monitored (see vantagectl monitors)", name);
        json_decref(items);
        return NULL;
    }
    json_t *r = json_object();
    json_object_set_new(r, "items", items);
    json_object_set_new(r, "exit", json_integer(worst));
    return r;
}

json_t *views_monitors(const views_ctx *v, char *err, size_t errlen)
{
    json_t *list = json_array();
    for (size_t i = 0; i < v->conf->n_monitors; i++) {
        const coord_conf_monitor_t *m = &v->conf->monitors[i];
        json_t *o = json_object(), *types = json_array(), *res = json_array(),
               *agents = json_array();
        json_object_set_new(o, "name", json_string(m->name));
        json_object_set_new(o, "qname", json_string(m->qname));
        for (size_t k = 0; k < m->n_types; k++)
            json_array_append_new(types, json_string(m->types[k]));
        json_object_set_new(o, "types", types);
        json_object_set_new(o, "profile",
                            m->profile == COORD_CONF_PROFILE_NONE
                                ? json_null()
                                : json_string(coord_conf_profile_name(m->profile)));
        for (size_t k = 0; k < m->n_resolvers; k++)
            json_array_append_new(res, json_string(m->resolvers[k]));
        json_object_set_new(o, "resolvers", res);
        json_object_set_new(o, "interval_s", json_integer((json_int_t)(m->interval_ms / 1000)));
        for (size_t k = 0; k < m->n_agents; k++)
            json_array_append_new(agents, json_string(m->agents[k]));
        json_object_set_new(o, "agents", m->all_agents ? json_string("all") : agents);
        if (m->all_agents)
            json_decref(agents);
        json_object_set_new(o, "geo", json_boolean(m->geo));
        json_object_set_new(o, "smtp", json_boolean(m->smtp));
        json_t *st = views_status(v, m->name, err, errlen);
        const char *worst = "unknown";
        if (st) {
            int w = -1;
            size_t k;
            json_t *it;
            json_array_foreach(json_object_get(st, "items"), k, it)
            {
                /* DNS and SMTP states, mildest first */
                static const char *const order[] = {"consistent",   "reachable",   "skipped",
                                                    "failing",      "propagating", "partial",
                                                    "inconsistent", "unreachable", "unknown"};
                const int n_order = (int)(sizeof order / sizeof order[0]);
                const char *s = json_string_value(json_object_get(it, "state"));
                for (int q = 0; s && q < n_order; q++) {
                    if (strcmp(s, order[q]) == 0 && q > w) {
                        w = q;
                        worst = order[q];
                    }
                }
            }
            json_decref(st);
        }
        json_object_set_new(o, "state", json_string(worst));
        json_array_append_new(list, o);
    }
    json_t *r = json_object();
    json_object_set_new(r, "monitors", list);
    return r;
}

static int views_history_cb(void *ctx, const store_obs *so)
{
    json_t *list = ctx;
    if (json_array_size(list) >= 100000)
        return 1;
    char buf[40];
    json_t *j = json_object();
    json_object_set_new(j, "agent", json_string(so->agent));
    json_object_set_new(j, "region", so->region ? json_string(so->region) : json_null());
    json_object_set_new(j, "resolver", json_string(so->obs.resolver));
    json_object_set_new(j, "kind", json_string(so->obs.kind));
    json_object_set_new(j, "time", json_string(pjson_time(so->obs.t_ms, buf, sizeof buf)));
    json_object_set_new(j, "time_ms", json_integer(so->obs.t_ms));
    json_object_set_new(j, "status", json_string(pjson_obs_status(&so->obs)));
    json_object_set_new(j, "answer", rrset_lines(so->obs.rrset));
    if (so->obs.has_soa_serial)
        json_object_set_new(j, "serial", json_integer(so->obs.soa_serial));
    json_array_append_new(list, j);
    return 0;
}

json_t *views_history(const views_ctx *v, const char *qname, uint16_t qtype, int64_t since_ms,
                      char *err, size_t errlen)
{
    char name[DNSNAME_TEXT_MAX], tbuf[32];
    if (dnsname_normalize(qname, name, sizeof name) != DNSNAME_OK) {
        snprintf(err, errlen, "'%s' is not a domain name", qname);
        return NULL;
    }
    json_t *list = json_array();
    if (store_history(v->store, name, qtype, since_ms, views_history_cb, list, err, errlen) != 0) {
        json_decref(list);
        return NULL;
    }
    json_t *r = json_object();
    json_object_set_new(r, "name", json_string(name));
    json_object_set_new(r, "type", json_string(pjson_type(qtype, tbuf, sizeof tbuf)));
    json_object_set_new(r, "since", json_string(pjson_time(since_ms, tbuf, sizeof tbuf)));
    json_object_set_new(r, "changes", list);
    return r;
}

/* ---- SMTP ------------------------------------------------------------------------------ */

static json_t *views_smtp_group(const smtpcmp_probe *in, const smtpcmp_group *g)
{
    json_t *o = json_object(), *regions = json_array(), *agents = json_array();
    json_object_set_new(o, "status", json_string(pjson_smtp_status(g->status)));
    json_object_set_new(o, "text", json_string(g->text));
    const char *last = NULL;
    for (size_t k = 0; k < g->n_members; k++) {
        const smtpcmp_probe *p = &in[g->members[k]];
        if (p->region && (!last || strcmp(last, p->region) != 0))
            json_array_append_new(regions, json_string(p->region));
        if (p->region)
            last = p->region;
        json_array_append_new(agents, json_string(p->agent));
    }
    json_object_set_new(o, "regions", regions);
    json_object_set_new(o, "agents", agents);
    return o;
}

static json_t *views_smtp_probe(const smtpcmp_probe *p, int64_t now_ms)
{
    char t[40];
    json_t *o = json_object(), *probe = pjson_smtp(p->probe);
    int64_t at = p->probe->t_ms - p->clock_offset_ms;
    json_object_set_new(o, "agent", json_string(p->agent));
    json_object_set_new(o, "region", p->region ? json_string(p->region) : json_null());
    json_object_set_new(o, "observed", json_string(pjson_time(at, t, sizeof t)));
    json_object_set_new(o, "observed_ms", json_integer(at));
    json_object_set_new(o, "age_ms", json_integer(now_ms - at));
    json_object_update(o, probe);
    json_decref(probe);
    return o;
}

json_t *views_smtp_report(const smtpcmp_probe *in, size_t n, int64_t stale_ms, int64_t now_ms,
                          char *err, size_t errlen)
{
    arena_t *arena = arena_new();
    if (!arena) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    smtpcmp_opts opts = {.stale_ms = stale_ms};
    smtpcmp_result *r = NULL;
    smtpcmp_status st = smtpcmp_run(in, n, &opts, arena, &r);
    if (st != SMTPCMP_OK) {
        snprintf(err, errlen, "SMTP report: %s", smtpcmp_status_str(st));
        arena_destroy(&arena);
        return NULL;
    }
    json_t *j = json_object(), *addrs = json_array();
    json_object_set_new(j, "state", json_string(smtpcmp_state_name(r->state)));
    json_object_set_new(j, "summary", json_string(r->summary));
    for (size_t i = 0; i < r->n_addrs; i++) {
        const smtpcmp_addr *a = &r->addrs[i];
        json_t *o = json_object(), *groups = json_array(), *probes = json_array();
        json_object_set_new(o, "host", json_string(a->host));
        json_object_set_new(o, "addr", json_string(a->addr));
        json_object_set_new(o, "port", json_integer(a->port));
        json_object_set_new(o, "endpoint", json_string(a->endpoint));
        json_object_set_new(o, "state", json_string(smtpcmp_state_name(a->state)));
        json_object_set_new(o, "summary", json_string(a->summary));
        for (size_t g = 0; g < a->n_groups; g++)
            json_array_append_new(groups, views_smtp_group(in, &a->groups[g]));
        json_object_set_new(o, "groups", groups);
        for (size_t k = 0; k < a->n_members; k++)
            json_array_append_new(probes, views_smtp_probe(&in[a->members[k]], now_ms));
        json_object_set_new(o, "probes", probes);
        json_object_set_new(o, "exit", json_integer(smtpcmp_state_exit_code(a->state)));
        json_array_append_new(addrs, o);
    }
    json_object_set_new(j, "addresses", addrs);
    json_object_set_new(j, "exit", json_integer(smtpcmp_state_exit_code(r->state)));
    arena_destroy(&arena);
    return j;
}

/* The MX hosts of the latest MX answers of a domain. */
typedef struct views_mx {
    arena_t *arena;                        /* where the names live */
    const char *hosts[VIEWS_MX_HOSTS_MAX]; /* distinct, in the order met */
    size_t n;                              /* count */
    bool oom;                              /* memory ran out */
} views_mx;

static void views_mx_add(views_mx *x, const char *name, size_t len)
{
    if (len == 0 || (len == 1 && name[0] == '.') || x->n == VIEWS_MX_HOSTS_MAX)
        return; /* "." is a null MX (RFC 7505): no host */
    for (size_t i = 0; i < x->n; i++) {
        if (strlen(x->hosts[i]) == len && memcmp(x->hosts[i], name, len) == 0)
            return;
    }
    if (!(x->hosts[x->n] = arena_strndup(x->arena, name, len)))
        x->oom = true;
    else
        x->n++;
}

/* Each "OWNER MX PREF TARGET" line of an answer adds TARGET (common/rrset.h's form). */
static int views_mx_cb(void *ctx, const store_obs *so)
{
    views_mx *x = ctx;
    const char *p = so->obs.rrset;
    if (so->obs.fail != PROTO_FAIL_NONE || so->obs.rcode != 0 || !p)
        return 0;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *f[4];
        size_t fl[4], nf = 0;
        for (const char *q = p, *end = p + len; q < end && nf < 4;) {
            const char *sp = memchr(q, ' ', (size_t)(end - q));
            const char *e = nf == 3 || !sp ? end : sp;
            f[nf] = q;
            fl[nf++] = (size_t)(e - q);
            q = e + 1;
        }
        if (nf == 4 && fl[1] == 2 && memcmp(f[1], "MX", 2) == 0 && !memchr(f[3], ' ', fl[3]))
            views_mx_add(x, f[3], fl[3]);
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

/* Copies of store_smtp_latest()'s probes (its strings live only during the callback). */
typedef struct views_smtp_collect {
    arena_t *arena;     /* where the copies live */
    smtpcmp_probe *in;  /* the probes (malloced; each body in the arena) */
    size_t n;           /* count */
    size_t cap;         /* room in in */
    const views_ctx *v; /* for offsets */
    bool oom;           /* memory ran out */
} views_smtp_collect;

static int views_smtp_cb(void *ctx, const store_smtp *ss)
{
    views_smtp_collect *c = ctx;
    if (c->n == SMTPCMP_MAX_PROBES)
        return 1;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        smtpcmp_probe *in = realloc(c->in, cap * sizeof *in);
        if (!in) {
            c->oom = true;
            return 1;
        }
        c->in = in;
        c->cap = cap;
    }
    proto_smtp *p = arena_alloc(c->arena, sizeof *p);
    if (!p) {
        c->oom = true;
        return 1;
    }
    *p = ss->probe;
    p->host = vdup(c->arena, ss->probe.host);
    p->addr = vdup(c->arena, ss->probe.addr);
    p->greeting = vdup(c->arena, ss->probe.greeting);
    p->greet_name = vdup(c->arena, ss->probe.greet_name);
    p->tls_version = vdup(c->arena, ss->probe.tls_version);
    p->cert_names = vdup(c->arena, ss->probe.cert_names);
    p->detail = vdup(c->arena, ss->probe.detail);
    bool has = false;
    int64_t off = c->v->offset ? c->v->offset(c->v->offset_ctx, ss->agent, &has) : 0;
    c->in[c->n] = (smtpcmp_probe){.agent = vdup(c->arena, ss->agent),
                                  .region = vdup(c->arena, ss->region),
                                  .probe = p,
                                  .clock_offset_ms = has ? off : 0};
    if (!c->in[c->n].agent || !p->host || !p->addr || (ss->probe.greeting && !p->greeting) ||
        (ss->probe.greet_name && !p->greet_name) || (ss->probe.tls_version && !p->tls_version) ||
        (ss->probe.cert_names && !p->cert_names) || (ss->probe.detail && !p->detail) ||
        (ss->region && !c->in[c->n].region))
        c->oom = true;
    c->n++;
    return 0;
}

json_t *views_smtp_monitor(const views_ctx *v, const coord_conf_monitor_t *m, char *err,
                           size_t errlen)
{
    char mq[DNSNAME_TEXT_MAX];
    if (dnsname_normalize(m->qname, mq, sizeof mq) != DNSNAME_OK) {
        snprintf(err, errlen, "'%s' is not a domain name", m->qname);
        return NULL;
    }
    views_mx mx = {.arena = arena_new()};
    views_smtp_collect c = {.arena = mx.arena, .v = v};
    json_t *j = NULL, *r = NULL;
    if (!mx.arena) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (store_latest(v->store, mq, LDNS_RR_TYPE_MX, views_mx_cb, &mx, err, errlen) != 0)
        goto done;
    if (mx.n == 0) /* no MX: the domain itself (RFC 5321 §5.1) */
        views_mx_add(&mx, mq, strlen(mq));
    if (mx.oom) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (store_smtp_latest(v->store, mx.hosts, mx.n, views_smtp_cb, &c, err, errlen) != 0)
        goto done;
    if (c.oom) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    int64_t stale = (int64_t)m->interval_ms + VIEWS_SMTP_STALE_MARGIN_MS;
    if (!(r = views_smtp_report(c.in, c.n, stale, v->now_ms, err, errlen)))
        goto done;
    j = json_object();
    json_t *hosts = json_array();
    for (size_t i = 0; i < mx.n; i++)
        json_array_append_new(hosts, json_string(mx.hosts[i]));
    json_object_set_new(j, "name", json_string(mq));
    json_object_set_new(j, "type", json_string("SMTP"));
    json_object_set_new(j, "monitor", json_string(m->name));
    json_object_set_new(j, "hosts", hosts);
    json_object_update(j, r);
done:
    json_decref(r);
    arena_destroy(&mx.arena);
    free(c.in);
    return j;
}

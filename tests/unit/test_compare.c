/*
 * tests/unit/test_compare.c - comparing one question across vantage points:
 * states, the current answer, and the cause of every difference.
 */
#include "tests/unit/testutil.h"

#include "coordinator/compare.h"

/* Coordinator "now": 2026-05-28T20:26:40Z. */
#define NOW INT64_C(1780000000000)

#define OLD_MX "example.com. MX 10 mx1.example.com."
#define NEW_MX "example.com. MX 10 mx2.example.com."

#define MAX_FX 64

/* Observations built by a test and the vantage points over them. */
typedef struct fx {
    proto_obs obs[MAX_FX]; /* observations */
    compare_vp vp[MAX_FX]; /* vantage points, vp[i].obs == &obs[i] */
    size_t n;              /* count */
    arena_t *arena;        /* the result */
    compare_result *res;   /* the last result */
} fx;

/*
 * A resolver's NOERROR answer rrset, observed age_ms ago (coordinator
 * clock) by an agent whose clock is offset_ms ahead; returns its index.
 */
static size_t add(fx *f, const char *agent, const char *region, const char *resolver,
                  const char *kind, const char *rrset, int64_t age_ms, int64_t offset_ms)
{
    assert_true(f->n < MAX_FX);
    size_t i = f->n++;
    proto_obs *o = &f->obs[i];
    memset(o, 0, sizeof *o);
    o->t_ms = NOW - age_ms + offset_ms;
    o->resolver = resolver;
    o->kind = kind;
    o->qname = "example.com.";
    o->qtype = 15;
    o->rrset = rrset;
    f->vp[i].agent = agent;
    f->vp[i].region = region;
    f->vp[i].obs = o;
    f->vp[i].clock_offset_ms = offset_ms;
    return i;
}

/* A resolver answer with a remaining TTL. */
static size_t res_ttl(fx *f, const char *agent, const char *region, const char *rrset, uint32_t ttl,
                      int64_t age_ms, int64_t offset_ms)
{
    size_t i = add(f, agent, region, "local", "local", rrset, age_ms, offset_ms);
    f->obs[i].ttl_min = ttl;
    f->obs[i].has_ttl = true;
    return i;
}

/* An authoritative answer at serial, observed just now. */
static size_t auth(fx *f, const char *agent, const char *region, const char *addr,
                   const char *server, const char *rrset, uint32_t serial)
{
    size_t i = add(f, agent, region, addr, "auth", rrset, 100, 0);
    f->obs[i].server = server;
    f->obs[i].flags = PROTO_FLAG_AA;
    f->obs[i].soa_serial = serial;
    f->obs[i].has_soa_serial = true;
    if (*rrset) {
        f->obs[i].ttl_min = 300;
        f->obs[i].has_ttl = true;
    }
    return i;
}

static compare_result *run_fx(fx *f, bool geo)
{
    if (!f->arena)
        f->arena = arena_new();
    assert_non_null(f->arena);
    compare_opts opts = {.now_ms = NOW, .margin_ms = COMPARE_MARGIN_MS, .geo = geo};
    f->res = NULL;
    assert_int_equal(compare_run(f->vp, f->n, &opts, f->arena, &f->res), COMPARE_OK);
    assert_non_null(f->res);
    assert_non_null(f->res->summary);
    return f->res;
}

static void fx_done(fx *f)
{
    arena_destroy(&f->arena);
}

/* The cause of vantage point vp, or NULL. */
static const compare_cause *cause_of(const compare_result *r, size_t vp)
{
    for (size_t k = 0; k < r->n_causes; k++)
        if (r->causes[k].vp == vp)
            return &r->causes[k];
    return NULL;
}

static size_t count_kind(const compare_result *r, compare_cause_kind kind)
{
    size_t n = 0;
    for (size_t k = 0; k < r->n_causes; k++)
        n += r->causes[k].kind == kind;
    return n;
}

static bool contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle)) {
        fprintf(stderr, "\"%s\" does not contain \"%s\"\n", hay, needle);
        return false;
    }
    return true;
}

static void test_all_agree(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 5);
    auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", NEW_MX, 5);
    res_ttl(&f, "fra-1", "eu", NEW_MX, 120, 1000, 0);
    res_ttl(&f, "nyc-1", "us", NEW_MX, 280, 1000, -3000);
    res_ttl(&f, "sin-1", "ap", NEW_MX, 10, 500000, 0); /* expired long ago: no matter */
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_CONSISTENT);
    assert_int_equal(compare_state_exit_code(r->state), 0);
    assert_int_equal(r->n_groups, 1);
    assert_int_equal(r->groups[0].status, COMPARE_GROUP_CURRENT);
    assert_true(r->groups[0].current);
    assert_int_equal(r->groups[0].n_members, 5);
    assert_true(r->current_decided);
    assert_int_equal(r->current_group, 0);
    assert_int_equal(r->current.kind, COMPARE_ANS_RRSET);
    assert_string_equal(r->current.rrset, NEW_MX);
    assert_string_equal(r->current.label, "MX 10 mx2.example.com.");
    assert_true(r->has_serial);
    assert_int_equal(r->serial, 5);
    assert_int_equal(r->n_causes, 0);
    assert_int_equal(r->n_answering, 5);
    assert_int_equal(r->n_failing, 0);
    assert_true(r->has_max_ttl);
    assert_int_equal(r->max_ttl_s, 300);
    assert_string_equal(r->summary, "consistent: all 5 vantage points agree");
    for (size_t i = 0; i < f.n; i++)
        assert_int_equal(r->vp_group[i], 0);
    fx_done(&f);
}

static void test_propagating_cache(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 2);
    auth(&f, "nyc-1", "us", "192.0.2.2", "ns2.example.com.", NEW_MX, 2);
    /* Agent clock 5 s ahead, seen 3 s ago with 30 s left: 27 s to go. */
    size_t fra = res_ttl(&f, "fra-1", "eu", OLD_MX, 30, 3000, 5000);
    /* Agent clock 2 s behind, seen 10 s ago with 100 s left: 90 s to go. */
    size_t nyc = res_ttl(&f, "nyc-1", "us", OLD_MX, 100, 10000, -2000);
    /* Ran out 1 s ago: still within the 2 s margin. */
    size_t sin = res_ttl(&f, "sin-1", "ap", OLD_MX, 10, 11000, 0);
    res_ttl(&f, "syd-1", "ap", NEW_MX, 300, 0, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_int_equal(compare_state_exit_code(r->state), 1);
    assert_true(r->current_decided);
    assert_string_equal(r->current.rrset, NEW_MX);
    assert_int_equal(r->serial, 2);
    assert_int_equal(r->n_groups, 2);
    assert_int_equal(r->groups[0].status, COMPARE_GROUP_CURRENT);
    assert_int_equal(r->groups[0].n_members, 3);
    assert_int_equal(r->groups[1].status, COMPARE_GROUP_OLD);
    assert_false(r->groups[1].current);
    assert_int_equal(r->groups[1].n_members, 3);
    assert_int_equal(r->groups[1].members[0], fra);
    assert_int_equal(r->groups[1].members[1], nyc);
    assert_int_equal(r->groups[1].members[2], sin);
    assert_int_equal(r->vp_group[fra], 1);
    assert_int_equal(r->n_off_current, 3);

    const compare_cause *c = cause_of(r, fra);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_RESOLVER_CACHE);
    assert_true(c->has_eta);
    assert_int_equal(c->remaining_ms, 27000);
    assert_int_equal(c->eta_ms, NOW + 27000);
    assert_int_equal(c->group, 1);
    assert_string_equal(c->agent, "fra-1");
    assert_string_equal(c->region, "eu");
    assert_string_equal(c->resolver, "local");
    assert_string_equal(c->text, "resolver cache at fra-1/local: old answer expires in 27 s");

    c = cause_of(r, nyc);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_RESOLVER_CACHE);
    assert_int_equal(c->remaining_ms, 90000);
    assert_int_equal(c->eta_ms, NOW + 90000);

    c = cause_of(r, sin);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_RESOLVER_CACHE);
    assert_int_equal(c->remaining_ms, 0);
    assert_int_equal(c->eta_ms, NOW - 1000);
    assert_true(contains(c->text, "expires now"));

    assert_int_equal(r->longest_ms, 90000);
    assert_string_equal(r->summary, "propagating: 3 of 6 vantage points still hold the old answer "
                                    "(resolver cache, longest 90 s)");
    fx_done(&f);
}

static void test_lagging_auth(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 2);
    size_t ns2 = auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", OLD_MX, 1);
    /* Long past its TTL, yet explained: it re-fetched from the lagging server. */
    size_t res = res_ttl(&f, "fra-1", "eu", OLD_MX, 60, 400000, 0);
    res_ttl(&f, "nyc-1", "us", NEW_MX, 300, 0, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_int_equal(r->serial, 2);
    assert_string_equal(r->current.rrset, NEW_MX);

    const compare_cause *c = cause_of(r, ns2);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_LAGGING_AUTH);
    assert_true(c->has_serial);
    assert_int_equal(c->serial, 1);
    assert_string_equal(c->server, "ns2.example.com.");
    assert_string_equal(c->server_addr, "192.0.2.2");
    assert_string_equal(c->text, "lagging authoritative server ns2.example.com. (192.0.2.2) seen "
                                 "from fra-1: serial 1, newest 2");

    c = cause_of(r, res);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_BEHIND_LAGGING);
    assert_int_equal(c->serial, 1);
    assert_string_equal(c->server, "ns2.example.com.");
    assert_int_equal(c->server_vp, ns2);
    assert_false(c->has_eta);
    assert_string_equal(c->text, "behind lagging authoritative server ns2.example.com. (serial 1): "
                                 "fra-1/local still serves MX 10 mx1.example.com.");
    assert_int_equal(r->groups[r->vp_group[res]].status, COMPARE_GROUP_OLD);
    assert_true(contains(r->summary, "propagating: 2 of 4 vantage points still hold the old "
                                     "answer (lagging authoritative server, behind lagging "
                                     "authoritative server)"));
    fx_done(&f);
}

static void test_auth_disagree(void **state)
{
    (void)state;
    fx f = {0};
    size_t a = auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", OLD_MX, 7);
    size_t b = auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", NEW_MX, 7);
    size_t res = res_ttl(&f, "fra-1", "eu", OLD_MX, 100, 0, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    assert_int_equal(compare_state_exit_code(r->state), 2);
    assert_false(r->current_decided);
    assert_int_equal(r->current_group, COMPARE_NONE);
    assert_int_equal(r->n_groups, 2);
    for (size_t g = 0; g < r->n_groups; g++) {
        assert_int_equal(r->groups[g].status, COMPARE_GROUP_DISPUTED);
        assert_true(r->groups[g].current);
    }
    assert_int_equal(count_kind(r, COMPARE_CAUSE_AUTH_DISAGREE), 2);
    const compare_cause *c = cause_of(r, a);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_AUTH_DISAGREE);
    assert_int_equal(c->serial, 7);
    assert_string_equal(c->server, "ns1.example.com.");
    assert_string_equal(c->text, "authoritative servers disagree at serial 7: ns1.example.com. "
                                 "(192.0.2.1) seen from fra-1 serves MX 10 mx1.example.com.");
    c = cause_of(r, b);
    assert_non_null(c);
    assert_true(contains(c->text, "serves MX 10 mx2.example.com."));
    /* The resolver sits on one of the disputed answers: no cause of its own. */
    assert_null(cause_of(r, res));
    assert_string_equal(r->summary, "inconsistent: authoritative servers disagree at serial 7");
    fx_done(&f);
}

static void test_stuck(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 2);
    /* 30 s TTL, seen 40 s ago: ran out 10 s ago, beyond the 2 s margin. */
    size_t res = res_ttl(&f, "fra-1", "eu", OLD_MX, 30, 40000, 700);
    res_ttl(&f, "nyc-1", "us", NEW_MX, 300, 0, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    const compare_cause *c = cause_of(r, res);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_STUCK);
    assert_true(c->has_eta);
    assert_int_equal(c->remaining_ms, -10000);
    assert_int_equal(c->eta_ms, NOW - 10000);
    assert_string_equal(c->text,
                        "stuck at fra-1/local: MX 10 mx1.example.com. held 10 s past its TTL "
                        "(margin 2 s)");
    assert_int_equal(r->groups[r->vp_group[res]].status, COMPARE_GROUP_STUCK);
    assert_string_equal(r->summary, "inconsistent: 1 of 3 vantage points holds an older answer "
                                    "past its TTL + margin (stuck)");

    /* Without any TTL there is nothing to explain it either. */
    f.obs[res].has_ttl = false;
    r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    c = cause_of(r, res);
    assert_int_equal(c->kind, COMPARE_CAUSE_STUCK);
    assert_false(c->has_eta);
    assert_true(contains(c->text, "no TTL to explain it"));
    fx_done(&f);
}

static void test_negative_cache(void **state)
{
    (void)state;
    fx f = {0};
    const char *rec = "new.example.com. A 192.0.2.10";
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", rec, 3);
    auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", rec, 3);
    /* Asked before the name existed: 60 s negative TTL, seen 20 s ago. */
    size_t nx = add(&f, "nyc-1", "us", "local", "local", "", 20000, 1500);
    f.obs[nx].rcode = 3;
    f.obs[nx].neg_ttl = 60;
    f.obs[nx].has_neg_ttl = true;
    res_ttl(&f, "fra-1", "eu", rec, 300, 0, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_string_equal(r->current.rrset, rec);
    const compare_cause *c = cause_of(r, nx);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_NEGATIVE_CACHE);
    assert_int_equal(c->remaining_ms, 40000);
    assert_int_equal(c->eta_ms, NOW + 40000);
    assert_string_equal(c->text, "negative cache at nyc-1/local: NXDOMAIN expires in 40 s");
    const compare_group *g = &r->groups[r->vp_group[nx]];
    assert_int_equal(g->answer.kind, COMPARE_ANS_NXDOMAIN);
    assert_string_equal(g->answer.label, "NXDOMAIN");
    assert_int_equal(g->status, COMPARE_GROUP_OLD);
    assert_true(r->has_max_ttl);
    assert_int_equal(r->max_ttl_s, 300);
    assert_string_equal(r->summary, "propagating: 1 of 4 vantage points still holds the old answer "
                                    "(negative cache, longest 40 s)");

    /* Once the negative TTL (plus margin) has run out, it is stuck. */
    f.obs[nx].t_ms = NOW - 63000 + 1500;
    r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    c = cause_of(r, nx);
    assert_int_equal(c->kind, COMPARE_CAUSE_STUCK);
    assert_int_equal(c->remaining_ms, -3000);
    fx_done(&f);
}

static void test_failing(void **state)
{
    (void)state;
    fx f = {0};
    uint16_t ede[] = {22};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 1);
    auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", NEW_MX, 1);
    res_ttl(&f, "fra-1", "eu", NEW_MX, 300, 0, 0);
    size_t to = add(&f, "nyc-1", "us", "local", "local", "", 0, 0);
    f.obs[to].fail = PROTO_FAIL_TIMEOUT;
    size_t sf = add(&f, "sin-1", "ap", "9.9.9.9", "public", "", 0, 0);
    f.obs[sf].fail = PROTO_FAIL_SERVFAIL;
    f.obs[sf].rcode = 2;
    f.obs[sf].ede = ede;
    f.obs[sf].n_ede = 1;
    f.obs[sf].ede_text = "no reachable authority";
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_FAILING);
    assert_int_equal(compare_state_exit_code(r->state), 1);
    assert_int_equal(r->n_failing, 2);
    assert_int_equal(r->n_answering, 3);
    assert_int_equal(r->n_off_current, 0);
    assert_true(r->current_decided);
    assert_int_equal(r->n_groups, 3);
    assert_int_equal(r->groups[0].status, COMPARE_GROUP_CURRENT);
    assert_int_equal(r->groups[1].status, COMPARE_GROUP_FAILING);
    assert_int_equal(r->groups[2].status, COMPARE_GROUP_FAILING);
    assert_int_equal(r->groups[r->vp_group[to]].answer.kind, COMPARE_ANS_FAILURE);
    assert_int_equal(r->groups[r->vp_group[to]].answer.fail, PROTO_FAIL_TIMEOUT);
    assert_string_equal(r->groups[r->vp_group[to]].answer.label, "failure: timeout");

    const compare_cause *c = cause_of(r, to);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_FAILURE);
    assert_int_equal(c->fail, PROTO_FAIL_TIMEOUT);
    assert_false(c->has_ede);
    assert_string_equal(c->text, "failure at nyc-1/local: timeout");
    c = cause_of(r, sf);
    assert_non_null(c);
    assert_int_equal(c->fail, PROTO_FAIL_SERVFAIL);
    assert_true(c->has_ede);
    assert_int_equal(c->ede, 22);
    assert_string_equal(c->ede_text, "no reachable authority");
    assert_string_equal(c->text,
                        "failure at sin-1/9.9.9.9: servfail (EDE 22: no reachable authority)");
    assert_string_equal(r->summary, "failing: 2 of 5 vantage points fail (timeout, servfail); "
                                    "the other 3 agree");

    /* Everyone failing is failing too. */
    fx g = {0};
    size_t t = add(&g, "nyc-1", "us", "local", "local", "", 0, 0);
    g.obs[t].fail = PROTO_FAIL_TIMEOUT;
    r = run_fx(&g, false);
    assert_int_equal(r->state, COMPARE_FAILING);
    assert_string_equal(r->summary, "failing: the only vantage point fails (timeout)");
    fx_done(&g);
    fx_done(&f);
}

static void test_serial_wrap(void **state)
{
    (void)state;
    fx f = {0};
    size_t x = auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", OLD_MX, 0xFFFFFFFFu);
    auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", NEW_MX, 1);
    size_t res = res_ttl(&f, "fra-1", "eu", OLD_MX, 30, 100000, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_true(r->has_serial);
    assert_int_equal(r->serial, 1);
    assert_true(r->current_decided);
    assert_string_equal(r->current.rrset, NEW_MX);
    const compare_cause *c = cause_of(r, x);
    assert_int_equal(c->kind, COMPARE_CAUSE_LAGGING_AUTH);
    assert_int_equal(c->serial, 0xFFFFFFFFu);
    assert_true(contains(c->text, "serial 4294967295, newest 1"));
    c = cause_of(r, res);
    assert_int_equal(c->kind, COMPARE_CAUSE_BEHIND_LAGGING);
    assert_int_equal(c->serial, 0xFFFFFFFFu);
    assert_int_equal(c->server_vp, x);
    fx_done(&f);
}

static void test_serial_undefined(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", OLD_MX, 0);
    auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", NEW_MX, 0x80000000u);
    res_ttl(&f, "fra-1", "eu", OLD_MX, 30, 0, 0);
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    assert_true(r->serial_undefined);
    assert_false(r->has_serial);
    assert_false(r->current_decided);
    assert_int_equal(count_kind(r, COMPARE_CAUSE_SERIAL_UNDEFINED), 1);
    assert_int_equal(r->causes[0].kind, COMPARE_CAUSE_SERIAL_UNDEFINED);
    assert_int_equal(r->causes[0].vp, COMPARE_NONE);
    assert_int_equal(r->causes[0].group, COMPARE_NONE);
    assert_true(contains(r->summary, "no newest under RFC 1982"));
    assert_true(contains(r->summary, "2 answers among 3 vantage points"));

    /* Same data everywhere: nothing to decide, but the summary says so. */
    f.obs[1].rrset = OLD_MX;
    r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_CONSISTENT);
    assert_int_equal(r->groups[0].status, COMPARE_GROUP_AGREED);
    assert_string_equal(r->summary, "consistent: all 3 vantage points agree; authoritative "
                                    "serials have no newest under RFC 1982");
    fx_done(&f);
}

static void test_geo(void **state)
{
    (void)state;
    fx f = {0};
    const char *eu = "www.example.com. A 192.0.2.80";
    const char *us = "www.example.com. A 198.51.100.80";
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", eu, 4);
    res_ttl(&f, "fra-1", "eu", eu, 60, 0, 0);
    res_ttl(&f, "ams-1", "eu", eu, 60, 0, 0);
    auth(&f, "nyc-1", "us", "192.0.2.1", "ns1.example.com.", us, 4);
    res_ttl(&f, "nyc-1", "us", us, 60, 0, 0);
    compare_result *r = run_fx(&f, true);

    assert_int_equal(r->state, COMPARE_CONSISTENT);
    assert_true(r->geo);
    assert_false(r->current_decided);
    assert_int_equal(r->n_groups, 2);
    assert_string_equal(r->groups[0].region, "eu");
    assert_int_equal(r->groups[0].status, COMPARE_GROUP_CURRENT);
    assert_int_equal(r->groups[0].n_members, 3);
    assert_string_equal(r->groups[1].region, "us");
    assert_int_equal(r->groups[1].status, COMPARE_GROUP_CURRENT);
    assert_int_equal(r->n_causes, 0);
    assert_string_equal(r->summary, "consistent: all 5 vantage points agree; geo: answers "
                                    "compared within each of 2 regions");

    /* Without geo the same picture is two servers disagreeing. */
    r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    assert_int_equal(count_kind(r, COMPARE_CAUSE_AUTH_DISAGREE), 2);

    /* Within a region a difference still counts. */
    size_t odd = res_ttl(&f, "bos-1", "us", eu, 60, 100000, 0);
    r = run_fx(&f, true);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    const compare_cause *c = cause_of(r, odd);
    assert_non_null(c);
    assert_int_equal(c->kind, COMPARE_CAUSE_STUCK);
    assert_string_equal(c->region, "us");
    assert_int_equal(r->n_groups, 3);
    assert_string_equal(r->groups[r->vp_group[odd]].region, "us");
    assert_true(contains(r->summary, "geo: answers compared within each of 2 regions"));
    fx_done(&f);
}

static void test_no_auth(void **state)
{
    (void)state;
    fx f = {0};
    res_ttl(&f, "fra-1", "eu", OLD_MX, 60, 0, 0);
    res_ttl(&f, "nyc-1", "us", OLD_MX, 60, 0, 0);
    compare_result *r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_CONSISTENT);
    assert_false(r->current_decided);
    assert_false(r->has_serial);
    assert_int_equal(r->groups[0].status, COMPARE_GROUP_AGREED);
    assert_string_equal(r->summary, "consistent: all 2 vantage points agree; no authoritative "
                                    "serial seen to confirm the answer is current");

    res_ttl(&f, "sin-1", "ap", NEW_MX, 60, 0, 0);
    r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    assert_int_equal(r->n_causes, 1);
    assert_int_equal(r->causes[0].kind, COMPARE_CAUSE_NO_CURRENT);
    assert_int_equal(r->causes[0].vp, COMPARE_NONE);
    assert_null(r->causes[0].region);
    assert_string_equal(r->causes[0].text, "no authoritative answer to decide which is current "
                                           "(2 answers among 3 vantage points)");
    assert_string_equal(r->summary, "inconsistent: no authoritative answer to decide which is "
                                    "current (2 answers among 3 vantage points)");
    for (size_t g = 0; g < r->n_groups; g++)
        assert_int_equal(r->groups[g].status, COMPARE_GROUP_DISPUTED);
    fx_done(&f);
}

static void test_nxdomain_vs_nodata(void **state)
{
    (void)state;
    fx f = {0};
    size_t a = auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", "", 9);
    f.obs[a].rcode = 3;
    size_t nd = add(&f, "nyc-1", "us", "local", "local", "", 1000, 0);
    f.obs[nd].neg_ttl = 30;
    f.obs[nd].has_neg_ttl = true;
    compare_result *r = run_fx(&f, false);

    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_int_equal(r->n_groups, 2);
    assert_int_equal(r->current.kind, COMPARE_ANS_NXDOMAIN);
    assert_string_equal(r->current.label, "NXDOMAIN");
    const compare_group *g = &r->groups[r->vp_group[nd]];
    assert_int_equal(g->answer.kind, COMPARE_ANS_NODATA);
    assert_string_equal(g->answer.label, "NODATA");
    assert_string_equal(g->answer.rrset, "");
    const compare_cause *c = cause_of(r, nd);
    assert_int_equal(c->kind, COMPARE_CAUSE_NEGATIVE_CACHE);
    assert_int_equal(c->remaining_ms, 29000);
    assert_string_equal(c->text, "negative cache at nyc-1/local: NODATA expires in 29 s");

    /* Between resolvers alone they are two answers. */
    fx h = {0};
    size_t x = add(&h, "fra-1", "eu", "local", "local", "", 0, 0);
    h.obs[x].rcode = 3;
    add(&h, "nyc-1", "us", "local", "local", "", 0, 0);
    r = run_fx(&h, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    assert_int_equal(r->n_groups, 2);
    assert_int_equal(r->causes[0].kind, COMPARE_CAUSE_NO_CURRENT);
    fx_done(&h);
    fx_done(&f);
}

static void test_precedence(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 2);
    size_t cached = res_ttl(&f, "fra-1", "eu", OLD_MX, 100, 0, 0);
    size_t to = add(&f, "nyc-1", "us", "local", "local", "", 0, 0);
    f.obs[to].fail = PROTO_FAIL_TIMEOUT;
    compare_result *r = run_fx(&f, false);

    /* Propagating beats failing; the failure is still listed, last. */
    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_int_equal(r->n_causes, 2);
    assert_int_equal(r->causes[0].kind, COMPARE_CAUSE_RESOLVER_CACHE);
    assert_int_equal(r->causes[1].kind, COMPARE_CAUSE_FAILURE);
    assert_string_equal(r->summary, "propagating: 1 of 3 vantage points still holds the old "
                                    "answer (resolver cache, longest 100 s); 1 of 3 vantage "
                                    "points fails (timeout)");

    /* Inconsistent beats both. */
    size_t stuck = res_ttl(&f, "sin-1", "ap", OLD_MX, 10, 60000, 0);
    r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    assert_int_equal(r->n_causes, 3);
    assert_int_equal(r->causes[0].kind, COMPARE_CAUSE_STUCK);
    assert_int_equal(r->causes[0].vp, stuck);
    assert_int_equal(r->causes[1].kind, COMPARE_CAUSE_RESOLVER_CACHE);
    assert_int_equal(r->causes[1].vp, cached);
    assert_int_equal(r->causes[2].kind, COMPARE_CAUSE_FAILURE);
    /* One group: one member cached, one stuck: the group is stuck. */
    assert_int_equal(r->vp_group[stuck], r->vp_group[cached]);
    assert_int_equal(r->groups[r->vp_group[stuck]].status, COMPARE_GROUP_STUCK);
    assert_true(contains(r->summary, "inconsistent: 1 of 4 vantage points holds an older answer"));
    assert_true(contains(r->summary, "1 of 4 vantage points still holds the old answer"));
    assert_true(contains(r->summary, "1 of 4 vantage points fails (timeout)"));
    fx_done(&f);
}

static void test_auth_without_serial(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 2);
    size_t b = auth(&f, "fra-1", "eu", "192.0.2.2", "ns2.example.com.", OLD_MX, 2);
    f.obs[b].has_soa_serial = false;
    compare_result *r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_INCONSISTENT);
    const compare_cause *c = cause_of(r, b);
    assert_int_equal(c->kind, COMPARE_CAUSE_AUTH_NO_SERIAL);
    assert_string_equal(c->server, "ns2.example.com.");
    assert_true(contains(r->summary, "1 authoritative server without an SOA serial serves"));
    fx_done(&f);
}

static void test_other_rcode(void **state)
{
    (void)state;
    fx f = {0};
    size_t i = add(&f, "fra-1", "eu", "local", "local", "", 0, 0);
    f.obs[i].rcode = 4; /* NOTIMP, unflagged by the agent */
    compare_result *r = run_fx(&f, false);
    assert_int_equal(r->state, COMPARE_FAILING);
    assert_int_equal(r->causes[0].fail, PROTO_FAIL_OTHER);
    assert_string_equal(r->causes[0].text, "failure at fra-1/local: rcode 4");
    fx_done(&f);
}

static void test_empty_and_errors(void **state)
{
    (void)state;
    arena_t *arena = arena_new();
    assert_non_null(arena);
    compare_opts opts = {.now_ms = NOW, .margin_ms = COMPARE_MARGIN_MS};
    compare_result *r = (compare_result *)1;

    assert_int_equal(compare_run(NULL, 0, &opts, arena, &r), COMPARE_OK);
    assert_non_null(r);
    assert_int_equal(r->state, COMPARE_UNKNOWN);
    assert_int_equal(compare_state_exit_code(r->state), 3);
    assert_int_equal(r->n_groups, 0);
    assert_int_equal(r->n_causes, 0);
    assert_string_equal(r->summary, "unknown: no vantage point has observed it");

    compare_vp one = {.agent = "a", .obs = NULL};
    assert_int_equal(compare_run(&one, 1, &opts, arena, &r), COMPARE_ERR_INVAL);
    assert_null(r);
    assert_int_equal(compare_run(NULL, 1, &opts, arena, &r), COMPARE_ERR_INVAL);
    assert_int_equal(compare_run(NULL, 0, NULL, arena, &r), COMPARE_ERR_INVAL);
    assert_int_equal(compare_run(NULL, 0, &opts, NULL, &r), COMPARE_ERR_INVAL);
    assert_int_equal(compare_run(NULL, 0, &opts, arena, NULL), COMPARE_ERR_INVAL);
    compare_opts bad = opts;
    bad.margin_ms = -1;
    assert_int_equal(compare_run(NULL, 0, &bad, arena, &r), COMPARE_ERR_INVAL);
    assert_int_equal(compare_run(&one, COMPARE_MAX_VPS + 1, &opts, arena, &r),
                     COMPARE_ERR_TOO_MANY);
    assert_null(r);

    assert_string_equal(compare_status_str(COMPARE_ERR_TOO_MANY), "too many vantage points");
    assert_string_equal(compare_state_name(COMPARE_PROPAGATING), "propagating");
    assert_string_equal(compare_cause_kind_name(COMPARE_CAUSE_BEHIND_LAGGING),
                        "behind_lagging_auth");
    assert_string_equal(compare_group_status_name(COMPARE_GROUP_STUCK), "stuck");
    assert_string_equal(compare_answer_kind_name(COMPARE_ANS_NODATA), "nodata");
    assert_string_equal(compare_fail_name(PROTO_FAIL_INCOMPLETE), "incomplete");
    arena_destroy(&arena);
}

/* geo: a region that reaches only a lagging server is propagating, not undecided. */
static void test_geo_lagging_region(void **state)
{
    (void)state;
    fx f = {0};
    auth(&f, "fra-1", "eu", "192.0.2.1", "ns1.example.com.", NEW_MX, 2);
    res_ttl(&f, "fra-1", "eu", NEW_MX, 60, 0, 0);
    size_t lag = auth(&f, "sin-1", "ap", "192.0.2.2", "ns2.example.com.", OLD_MX, 1);
    size_t behind = res_ttl(&f, "sin-1", "ap", OLD_MX, 60, 500000, 0);
    size_t fresh = res_ttl(&f, "syd-1", "ap", NEW_MX, 60, 0, 0);
    compare_result *r = run_fx(&f, true);

    assert_int_equal(r->state, COMPARE_PROPAGATING);
    assert_int_equal(r->serial, 2);
    assert_int_equal(cause_of(r, lag)->kind, COMPARE_CAUSE_LAGGING_AUTH);
    assert_int_equal(cause_of(r, behind)->kind, COMPARE_CAUSE_BEHIND_LAGGING);
    assert_int_equal(cause_of(r, behind)->server_vp, lag);
    assert_null(cause_of(r, fresh));
    assert_int_equal(r->groups[r->vp_group[fresh]].status, COMPARE_GROUP_AGREED);
    assert_string_equal(r->groups[r->vp_group[fresh]].region, "ap");
    assert_int_equal(r->groups[r->vp_group[lag]].status, COMPARE_GROUP_OLD);
    assert_true(contains(r->summary, "geo: answers compared within each of 2 regions"));
    fx_done(&f);
}

static void test_labels(void **state)
{
    (void)state;
    fx f = {0};
    size_t two = res_ttl(&f, "a", "eu",
                         "example.com. MX 10 a.example.\nexample.com. MX 20 b.example.", 60, 0, 0);
    char big[2048] = "";
    for (int k = 0; k < 40; k++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "%sexample.com. TXT \"record %d\"",
                 k ? "\n" : "", k);
    size_t longset = res_ttl(&f, "b", "eu", big, 60, 0, 0);
    size_t nx = add(&f, "c", "eu", "local", "local", "www.example.com. CNAME gone.example.", 0, 0);
    f.obs[nx].rcode = 3;
    compare_result *r = run_fx(&f, false);

    assert_string_equal(r->groups[r->vp_group[two]].answer.label,
                        "MX 10 a.example., MX 20 b.example.");
    const char *l = r->groups[r->vp_group[longset]].answer.label;
    assert_true(strlen(l) <= 123);
    assert_true(contains(l, "TXT \"record 0\", TXT \"record 1\""));
    assert_string_equal(l + strlen(l) - 3, "...");
    assert_string_equal(r->groups[r->vp_group[longset]].answer.rrset, big);
    assert_string_equal(r->groups[r->vp_group[nx]].answer.label,
                        "NXDOMAIN after CNAME gone.example.");
    assert_int_equal(r->groups[r->vp_group[nx]].answer.kind, COMPARE_ANS_NXDOMAIN);
    fx_done(&f);
}

/* The most vantage points, every one on its own answer and with hostile times. */
static void test_limits(void **state)
{
    (void)state;
    size_t n = COMPARE_MAX_VPS;
    proto_obs *obs = calloc(n, sizeof *obs);
    compare_vp *vps = calloc(n, sizeof *vps);
    char(*text)[48] = calloc(n, sizeof *text);
    assert_non_null(obs);
    assert_non_null(vps);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++) {
        snprintf(text[i], sizeof text[i], "example.com. A 10.0.%zu.%zu", i / 256, i % 256);
        obs[i].rrset = text[i];
        obs[i].kind = i % 2 ? "auth" : "local";
        obs[i].resolver = "r";
        obs[i].t_ms = i % 3 ? INT64_MAX : INT64_MIN;
        obs[i].ttl_min = UINT32_MAX;
        obs[i].has_ttl = true;
        obs[i].soa_serial = (uint32_t)(i % 7);
        obs[i].has_soa_serial = true;
        vps[i].agent = "a";
        vps[i].region = i % 4 ? "r1" : NULL;
        vps[i].obs = &obs[i];
        vps[i].clock_offset_ms = i % 5 ? INT64_MIN : INT64_MAX;
    }
    for (int geo = 0; geo < 2; geo++) {
        arena_t *arena = arena_new();
        assert_non_null(arena);
        compare_opts opts = {.now_ms = NOW, .margin_ms = INT64_MAX, .geo = geo != 0};
        compare_result *r = NULL;
        assert_int_equal(compare_run(vps, n, &opts, arena, &r), COMPARE_OK);
        assert_non_null(r);
        assert_int_equal(r->n_vps, n);
        size_t members = 0;
        for (size_t g = 0; g < r->n_groups; g++)
            members += r->groups[g].n_members;
        assert_int_equal(members, n);
        arena_destroy(&arena);
    }
    free(text);
    free(vps);
    free(obs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_agree),
        cmocka_unit_test(test_propagating_cache),
        cmocka_unit_test(test_lagging_auth),
        cmocka_unit_test(test_auth_disagree),
        cmocka_unit_test(test_stuck),
        cmocka_unit_test(test_negative_cache),
        cmocka_unit_test(test_failing),
        cmocka_unit_test(test_serial_wrap),
        cmocka_unit_test(test_serial_undefined),
        cmocka_unit_test(test_geo),
        cmocka_unit_test(test_no_auth),
        cmocka_unit_test(test_nxdomain_vs_nodata),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_auth_without_serial),
        cmocka_unit_test(test_other_rcode),
        cmocka_unit_test(test_empty_and_errors),
        cmocka_unit_test(test_geo_lagging_region),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

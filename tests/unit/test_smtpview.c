/*
 * tests/unit/test_smtpview.c - SMTP reachability across vantage points: the
 * grouping by address and status (coordinator/smtpcmp.h), its JSON
 * (coordinator/views.h), status over a real store, the monitor key
 * smtp = yes, and vantagectl's text.
 */
#include "tests/unit/testutil.h"

#include <inttypes.h>

#include "coordinator/coord_conf.h"
#include "coordinator/ctl.h"
#include "coordinator/smtpcmp.h"
#include "coordinator/store.h"
#include "coordinator/views.h"

/* Coordinator "now": 2026-05-28T20:26:40Z. */
#define NOW INT64_C(1780000000000)

#define MAX_FX 64

/* Probes built by a test and the input over them. */
typedef struct fx {
    proto_smtp probes[MAX_FX]; /* bodies */
    smtpcmp_probe in[MAX_FX];  /* input, in[i].probe == &probes[i] */
    size_t n;                  /* count */
    arena_t *arena;            /* the result */
    smtpcmp_result *res;       /* the last result */
} fx;

/* A probe of host/addr:25 by agent in region, ended age_ms ago; returns its index. */
static size_t add(fx *f, const char *agent, const char *region, const char *host, const char *addr,
                  uint8_t status, int64_t age_ms)
{
    assert_true(f->n < MAX_FX);
    size_t i = f->n++;
    proto_smtp *p = &f->probes[i];
    memset(p, 0, sizeof *p);
    p->t_ms = NOW - age_ms;
    p->host = host;
    p->addr = addr;
    p->port = 25;
    p->status = status;
    if (status == PROTO_SMTP_OK || status == PROTO_SMTP_TLS_FAILED) {
        p->code = 220;
        p->flags = PROTO_SMTP_EHLO | PROTO_SMTP_STARTTLS;
    }
    f->in[i] = (smtpcmp_probe){.agent = agent, .region = region, .probe = p};
    return i;
}

static smtpcmp_result *run_fx(fx *f, int64_t stale_ms)
{
    if (!f->arena)
        f->arena = arena_new();
    assert_non_null(f->arena);
    smtpcmp_opts opts = {.stale_ms = stale_ms};
    f->res = NULL;
    assert_int_equal(smtpcmp_run(f->in, f->n, &opts, f->arena, &f->res), SMTPCMP_OK);
    assert_non_null(f->res);
    assert_non_null(f->res->summary);
    return f->res;
}

static void fx_done(fx *f)
{
    arena_destroy(&f->arena);
}

#define MX1 "mx1.good.test."
#define MX2 "mx2.good.test."

/* ---- grouping ---------------------------------------------------------------- */

#define A20 "198.18.0.20"
#define E20 "198.18.0.20:25"

/* One probe of a case, as add() takes it. */
typedef struct probe_in {
    const char *agent;  /* NULL ends a case's probes */
    const char *region; /* or NULL */
    const char *host;   /* MX host */
    const char *addr;   /* its address */
    uint8_t status;     /* PROTO_SMTP_* */
    int64_t age_ms;     /* ended this long before NOW */
} probe_in;

/* What a case's result says of one MX address, in the result's order. */
typedef struct addr_want {
    const char *host;     /* NULL ends a case's addresses */
    const char *endpoint; /* ADDR:PORT */
    smtpcmp_state state;  /* its state */
    const char *summary;  /* its groups' text */
} addr_want;

/* A grouping case: the probes, the stale limit, and what must come of them. */
typedef struct grouping_case {
    const char *name;                     /* for failure messages */
    probe_in probes[8];                   /* in input order */
    int64_t stale_ms;                     /* smtpcmp_opts.stale_ms */
    smtpcmp_state state;                  /* the result's state */
    int exit;                             /* its exit code */
    const char *summary;                  /* its summary */
    size_t n_dropped;                     /* probes dropped as stale or superseded */
    addr_want addrs[4];                   /* every address of the result */
    void (*more)(const smtpcmp_result *); /* checks of this case only, or NULL */
} grouping_case;

static void more_all_reachable(const smtpcmp_result *r)
{
    const smtpcmp_addr *a = &r->addrs[0];
    assert_int_equal(a->n_members, 3);
    assert_int_equal(a->n_ok, 3);
    assert_int_equal(a->n_groups, 1);
    /* members by region, then agent */
    assert_int_equal(a->members[0], 1);
    assert_int_equal(a->members[1], 0);
    assert_int_equal(a->members[2], 2);
}

static void more_partial(const smtpcmp_result *r)
{
    const smtpcmp_addr *a = &r->addrs[0];
    assert_int_equal(a->n_groups, 2);
    assert_int_equal(a->groups[0].status, PROTO_SMTP_OK);
    assert_string_equal(a->groups[0].label, "america, europe");
    assert_int_equal(a->groups[1].status, PROTO_SMTP_REFUSED);
    assert_int_equal(a->groups[1].n_members, 1);
    assert_int_equal(a->groups[1].members[0], 2);
}

static void more_unreachable(const smtpcmp_result *r)
{
    assert_int_equal(r->addrs[0].n_reached, 0);
}

static void more_tls_and_skipped(const smtpcmp_result *r)
{
    assert_int_equal(r->addrs[0].n_reached, 2);
    assert_int_equal(r->addrs[1].n_skipped, 1);
}

static void more_stale(const smtpcmp_result *r)
{
    assert_int_equal(r->addrs[0].members[0], 1);
}

static const grouping_case grouping_cases[] = {
    {.name = "all reachable",
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"us-1", "america", MX1, A20, PROTO_SMTP_OK, 1000},
                {"eu-2", "europe", MX1, A20, PROTO_SMTP_OK, 1000}},
     .state = SMTPCMP_REACHABLE,
     .exit = 0,
     .summary = "reachable: 1 MX address: 1 reachable",
     /* two agents of one region in one group: the region once */
     .addrs = {{MX1, E20, SMTPCMP_REACHABLE, "reachable from america, europe"}},
     .more = more_all_reachable},
    {.name = "partial",
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"us-1", "america", MX1, A20, PROTO_SMTP_OK, 1000},
                {"ap-1", "asia", MX1, A20, PROTO_SMTP_REFUSED, 1000}},
     .state = SMTPCMP_PARTIAL,
     .exit = 1,
     .summary = "partial: 1 MX address: 1 partial",
     .addrs = {{MX1, E20, SMTPCMP_PARTIAL, "reachable from america, europe; refused from asia"}},
     .more = more_partial},
    {.name = "unreachable",
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_TIMEOUT, 1000},
                {"us-1", "america", MX1, A20, PROTO_SMTP_TIMEOUT, 1000},
                {"ap-1", "asia", MX1, A20, PROTO_SMTP_REFUSED, 1000},
                {"ap-2", "asia", MX1, A20, PROTO_SMTP_GREETING_BAD, 1000}},
     .state = SMTPCMP_UNREACHABLE,
     .exit = 2,
     .summary = "unreachable: 1 MX address: 1 unreachable",
     /* asia's two agents differ: each group names its own */
     .addrs = {{MX1, E20, SMTPCMP_UNREACHABLE,
                "refused from asia (ap-1); timed out from america, europe; "
                "bad greeting from asia (ap-2)"}},
     .more = more_unreachable},
    {.name = "same region split",
     .probes = {{"eu-2", "europe", MX1, A20, PROTO_SMTP_REFUSED, 1000},
                {"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"eu-3", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"us-1", "america", MX1, A20, PROTO_SMTP_OK, 1000},
                {"lab", NULL, MX1, A20, PROTO_SMTP_REFUSED, 1000}},
     .state = SMTPCMP_PARTIAL,
     .exit = 1,
     .summary = "partial: 1 MX address: 1 partial",
     /* an agent without a region stands for itself, after the regions */
     .addrs = {{MX1, E20, SMTPCMP_PARTIAL,
                "reachable from america, europe (eu-1, eu-3); refused from europe (eu-2), lab"}}},
    {.name = "several addresses",
     .probes = {{"eu-1", "europe", MX2, "198.18.0.21", PROTO_SMTP_UNREACHABLE, 1000},
                {"us-1", "america", MX2, "198.18.0.21", PROTO_SMTP_CLOSED, 1000},
                {"eu-1", "europe", MX1, "2001:db8::20", PROTO_SMTP_OK, 1000},
                {"us-1", "america", MX1, "2001:db8::20", PROTO_SMTP_TIMEOUT, 1000},
                {"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"us-1", "america", MX1, A20, PROTO_SMTP_OK, 1000}},
     .state = SMTPCMP_UNREACHABLE,
     .exit = 2,
     .summary = "unreachable: 3 MX addresses: 1 reachable, 1 partial, 1 unreachable",
     /* by host, then address */
     .addrs = {{MX1, E20, SMTPCMP_REACHABLE, "reachable from america, europe"},
               {MX1, "[2001:db8::20]:25", SMTPCMP_PARTIAL,
                "reachable from europe; timed out from america"},
               {MX2, "198.18.0.21:25", SMTPCMP_UNREACHABLE,
                "unreachable from europe; closed early from america"}}},
    {.name = "TLS failed and skipped",
     /* TLS failing everywhere: the server is reached, still a warning */
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_TLS_FAILED, 1000},
                {"us-1", "america", MX1, A20, PROTO_SMTP_TLS_FAILED, 1000},
                /* skipped counts for nothing */
                {"eu-1", "europe", MX1, "198.18.0.30", PROTO_SMTP_OK, 1000},
                {"us-1", "america", MX1, "198.18.0.30", PROTO_SMTP_SKIPPED, 1000},
                {"eu-1", "europe", MX2, "198.18.0.40", PROTO_SMTP_SKIPPED, 1000}},
     .state = SMTPCMP_PARTIAL,
     .exit = 1,
     .summary = "partial: 3 MX addresses: 1 reachable, 1 partial, 1 skipped",
     .addrs = {{MX1, E20, SMTPCMP_PARTIAL, "TLS failed from america, europe"},
               {MX1, "198.18.0.30:25", SMTPCMP_REACHABLE,
                "reachable from europe; not probed from america"},
               {MX2, "198.18.0.40:25", SMTPCMP_SKIPPED, "not probed from europe"}},
     .more = more_tls_and_skipped},
    {.name = "only skipped",
     /* nothing to say against it */
     .probes = {{"eu-1", "europe", MX2, "198.18.0.40", PROTO_SMTP_SKIPPED, 1000}},
     .state = SMTPCMP_SKIPPED,
     .exit = 0,
     .summary = "skipped: 1 MX address: 1 skipped",
     .addrs = {{MX2, "198.18.0.40:25", SMTPCMP_SKIPPED, "not probed from europe"}}},
    {.name = "newest and stale",
     /* eu-1 probed .20 twice: the newer counts, whatever the input order */
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"eu-1", "europe", MX1, A20, PROTO_SMTP_REFUSED, 500},
                {"eu-1", "europe", MX1, A20, PROTO_SMTP_TIMEOUT, 2000},
                /* .99 left mx1's addresses an hour ago: eu-1's newest probe of mx1 is far newer */
                {"eu-1", "europe", MX1, "198.18.0.99", PROTO_SMTP_TIMEOUT, 3600000},
                /* us-1's only probe of mx1 is old too, but it is its newest: kept */
                {"us-1", "america", MX1, "198.18.0.99", PROTO_SMTP_OK, 3600000}},
     .stale_ms = 600000,
     .state = SMTPCMP_UNREACHABLE,
     .exit = 2,
     .summary = "unreachable: 2 MX addresses: 1 reachable, 1 unreachable",
     .n_dropped = 3,
     .addrs = {{MX1, E20, SMTPCMP_UNREACHABLE, "refused from europe"},
               {MX1, "198.18.0.99:25", SMTPCMP_REACHABLE, "reachable from america"}},
     .more = more_stale},
    {.name = "no stale limit",
     /* without a stale limit the old address stays */
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"eu-1", "europe", MX1, "198.18.0.99", PROTO_SMTP_TIMEOUT, 3600000}},
     .state = SMTPCMP_UNREACHABLE,
     .exit = 2,
     .summary = "unreachable: 2 MX addresses: 1 reachable, 1 unreachable",
     .addrs = {{MX1, E20, SMTPCMP_REACHABLE, "reachable from europe"},
               {MX1, "198.18.0.99:25", SMTPCMP_UNREACHABLE, "timed out from europe"}}},
    {.name = "equal times",
     /* equal times: the later in the input counts */
     .probes = {{"eu-1", "europe", MX1, A20, PROTO_SMTP_OK, 1000},
                {"eu-1", "europe", MX1, A20, PROTO_SMTP_CLOSED, 1000}},
     .state = SMTPCMP_UNREACHABLE,
     .exit = 2,
     .summary = "unreachable: 1 MX address: 1 unreachable",
     .n_dropped = 1,
     .addrs = {{MX1, E20, SMTPCMP_UNREACHABLE, "closed early from europe"}}},
};

/* Fail naming the case when got is not want. */
static void want_str(const grouping_case *c, const char *what, const char *got, const char *want)
{
    if (!got || strcmp(got, want) != 0)
        fail_msg("%s: %s \"%s\", want \"%s\"", c->name, what, got ? got : "(null)", want);
}

static void want_int(const grouping_case *c, const char *what, long long got, long long want)
{
    if (got != want)
        fail_msg("%s: %s %lld, want %lld", c->name, what, got, want);
}

static void test_grouping(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof grouping_cases / sizeof grouping_cases[0]; i++) {
        const grouping_case *c = &grouping_cases[i];
        fx f = {0};
        for (const probe_in *p = c->probes; p->agent; p++)
            add(&f, p->agent, p->region, p->host, p->addr, p->status, p->age_ms);
        smtpcmp_result *r = run_fx(&f, c->stale_ms);
        want_int(c, "state", r->state, c->state);
        want_int(c, "exit code", smtpcmp_state_exit_code(r->state), c->exit);
        want_str(c, "summary", r->summary, c->summary);
        want_int(c, "dropped", (long long)r->n_dropped, (long long)c->n_dropped);
        size_t n = 0;
        while (c->addrs[n].host)
            n++;
        want_int(c, "addresses", (long long)r->n_addrs, (long long)n);
        for (size_t k = 0; k < n; k++) {
            const addr_want *w = &c->addrs[k];
            const smtpcmp_addr *a = &r->addrs[k];
            want_str(c, "host", a->host, w->host);
            want_str(c, "endpoint", a->endpoint, w->endpoint);
            want_int(c, "address state", a->state, w->state);
            want_str(c, "address summary", a->summary, w->summary);
        }
        if (c->more)
            c->more(r);
        fx_done(&f);
    }
}

static void test_empty_and_errors(void **state)
{
    (void)state;
    fx f = {0};
    smtpcmp_result *r = run_fx(&f, 0);
    assert_int_equal(r->state, SMTPCMP_UNKNOWN);
    assert_int_equal(r->n_addrs, 0);
    assert_string_equal(r->summary, "unknown: no SMTP probe of the MX hosts yet");
    assert_int_equal(smtpcmp_state_exit_code(r->state), 3);

    smtpcmp_opts opts = {0};
    assert_int_equal(smtpcmp_run(NULL, 0, &opts, NULL, &r), SMTPCMP_ERR_INVAL);
    assert_int_equal(smtpcmp_run(NULL, 1, &opts, f.arena, &r), SMTPCMP_ERR_INVAL);
    assert_null(r);
    assert_int_equal(smtpcmp_run(f.in, 0, NULL, f.arena, &r), SMTPCMP_ERR_INVAL);
    add(&f, "eu-1", "europe", MX1, NULL, PROTO_SMTP_OK, 0);
    assert_int_equal(smtpcmp_run(f.in, 1, &opts, f.arena, &r), SMTPCMP_ERR_INVAL);
    f.probes[0].addr = "192.0.2.1";
    f.in[0].agent = NULL;
    assert_int_equal(smtpcmp_run(f.in, 1, &opts, f.arena, &r), SMTPCMP_ERR_INVAL);
    f.in[0].agent = "eu-1";
    opts.stale_ms = -1;
    assert_int_equal(smtpcmp_run(f.in, 1, &opts, f.arena, &r), SMTPCMP_ERR_INVAL);
    opts.stale_ms = 0;
    assert_int_equal(smtpcmp_run(f.in, SMTPCMP_MAX_PROBES + 1, &opts, f.arena, &r),
                     SMTPCMP_ERR_TOO_MANY);
    /* a status beyond the catalogue is a local error, never out of bounds */
    f.probes[0].status = 200;
    r = run_fx(&f, 0);
    assert_int_equal(r->addrs[0].groups[0].status, PROTO_SMTP_ERROR);
    assert_string_equal(r->addrs[0].summary, "local error at europe");
    assert_int_equal(r->state, SMTPCMP_UNREACHABLE);
    assert_string_equal(smtpcmp_state_name(SMTPCMP_PARTIAL), "partial");
    assert_string_equal(smtpcmp_status_phrase(PROTO_SMTP_SKIPPED), "not probed from");
    assert_string_equal(smtpcmp_status_str(SMTPCMP_ERR_TOO_MANY), "too many SMTP probes");
    fx_done(&f);
}

/* ---- JSON ---------------------------------------------------------------------- */

static void test_report_json(void **state)
{
    (void)state;
    fx f = {0};
    add(&f, "eu-1", "europe", MX1, "198.18.0.20", PROTO_SMTP_OK, 1000);
    add(&f, "us-1", "america", MX1, "198.18.0.20", PROTO_SMTP_OK, 2000);
    size_t i = add(&f, "ap-1", "asia", MX1, "198.18.0.20", PROTO_SMTP_REFUSED, 3000);
    f.probes[i].detail = "connection refused";
    f.in[i].clock_offset_ms = 500; /* its clock runs 0.5 s ahead */
    char err[256] = "";
    json_t *j = views_smtp_report(f.in, f.n, 0, NOW, err, sizeof err);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "partial");
    assert_int_equal(json_integer_value(json_object_get(j, "exit")), 1);
    json_t *a = json_array_get(json_object_get(j, "addresses"), 0);
    assert_string_equal(json_string_value(json_object_get(a, "host")), MX1);
    assert_string_equal(json_string_value(json_object_get(a, "addr")), "198.18.0.20");
    assert_int_equal(json_integer_value(json_object_get(a, "port")), 25);
    assert_string_equal(json_string_value(json_object_get(a, "endpoint")), "198.18.0.20:25");
    assert_string_equal(json_string_value(json_object_get(a, "state")), "partial");
    assert_string_equal(json_string_value(json_object_get(a, "summary")),
                        "reachable from america, europe; refused from asia");
    assert_int_equal(json_integer_value(json_object_get(a, "exit")), 1);
    json_t *g = json_array_get(json_object_get(a, "groups"), 1);
    assert_string_equal(json_string_value(json_object_get(g, "status")), "refused");
    assert_string_equal(json_string_value(json_object_get(g, "text")), "refused from asia");
    assert_string_equal(json_string_value(json_array_get(json_object_get(g, "regions"), 0)),
                        "asia");
    assert_string_equal(json_string_value(json_array_get(json_object_get(g, "agents"), 0)), "ap-1");
    json_t *probes = json_object_get(a, "probes");
    assert_int_equal(json_array_size(probes), 3);
    json_t *p = json_array_get(probes, 1); /* america, asia, europe */
    assert_string_equal(json_string_value(json_object_get(p, "agent")), "ap-1");
    assert_string_equal(json_string_value(json_object_get(p, "region")), "asia");
    assert_string_equal(json_string_value(json_object_get(p, "status")), "refused");
    assert_string_equal(json_string_value(json_object_get(p, "detail")), "connection refused");
    assert_int_equal(json_integer_value(json_object_get(p, "observed_ms")), NOW - 3500);
    assert_int_equal(json_integer_value(json_object_get(p, "age_ms")), 3500);
    assert_string_equal(json_string_value(json_object_get(p, "observed")),
                        "2026-05-28T20:26:36.500Z");
    json_decref(j);

    /* nothing at all */
    j = views_smtp_report(NULL, 0, 0, NOW, err, sizeof err);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "unknown");
    assert_int_equal(json_array_size(json_object_get(j, "addresses")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "exit")), 3);
    json_decref(j);
    /* bad input is an error with a reason */
    f.probes[0].host = NULL;
    assert_null(views_smtp_report(f.in, f.n, 0, NOW, err, sizeof err));
    assert_string_equal(err, "SMTP report: invalid argument");
    fx_done(&f);
}

/* ---- config ------------------------------------------------------------------------ */

static char *tmp;

static char *write_conf(const char *monitor_lines)
{
    char text[2048];
    snprintf(text, sizeof text,
             "[coordinator]\n"
             "listen = tcp://*:7400\n"
             "key = /k/coord.key\n"
             "allowlist = /k/agents\n"
             "%s",
             monitor_lines);
    return tu_write(tmp, "coord.conf", text, 0644);
}

static void conf_refused(const char *monitor_lines, const char *want)
{
    char err[512] = "";
    coord_conf_t *c = NULL;
    char *path = write_conf(monitor_lines);
    assert_int_equal(coord_conf_load(path, &c, err, sizeof err), -1);
    assert_null(c);
    char full[700];
    snprintf(full, sizeof full, "%s%s", path, want);
    if (strcmp(err, full) != 0)
        fail_msg("error \"%s\", want \"%s\"", err, full);
    free(path);
}

static void test_conf_smtp(void **state)
{
    (void)state;
    tmp = tu_tmpdir();
    char err[512] = "";
    coord_conf_t *c = NULL;
    char *path = write_conf("[monitor good]\n"
                            "name = good.test\n"
                            "profile = mail\n"
                            "smtp = yes\n"
                            "[monitor plain]\n"
                            "name = good.test\n"
                            "types = A\n"
                            "smtp = no\n"
                            "[monitor none]\n"
                            "name = good.test\n"
                            "profile = mail\n");
    if (coord_conf_load(path, &c, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_true(coord_conf_find_monitor(c, "good")->smtp);
    assert_int_equal(coord_conf_find_monitor(c, "good")->smtp_line, 8);
    assert_false(coord_conf_find_monitor(c, "plain")->smtp);
    assert_false(coord_conf_find_monitor(c, "none")->smtp);
    coord_conf_destroy(&c);
    free(path);

    /* smtp = yes needs the mail profile: the error names the smtp line */
    conf_refused("[monitor web]\n"
                 "name = www.good.test\n"
                 "smtp = yes\n"
                 "types = A\n",
                 ":7: [monitor web] smtp: needs profile = mail (the probes go to its MX hosts)");
    conf_refused("[monitor web]\nname = good.test\nprofile = mail\nsmtp = maybe\n",
                 ":8: [monitor web] smtp: 'maybe' is not a boolean (use yes or no)");
    conf_refused("[monitor web]\nname = good.test\nprofile = mail\nsmtp = yes\nsmtp = no\n",
                 ":9: [monitor web] smtp: set twice (first at line 8)");
    conf_refused("[coordinator2]\n", ":5: [coordinator2]: unknown section (known: [coordinator], "
                                     "[monitor NAME])");
    tu_tmpdir_remove(&tmp);
}

/* ---- status over a store, and vantagectl's text --------------------------------------- */

static int64_t no_offset(void *ctx, const char *agent, bool *has)
{
    (void)ctx;
    (void)agent;
    *has = false;
    return 0;
}

/* Put one batch of agent (region) with these probes and, when rrset, one MX answer. */
static void put_batch(store_t *s, const char *agent, const char *region, uint64_t seq,
                      const char *rrset, proto_smtp *probes, size_t n)
{
    char err[512] = "";
    store_agent a = {.id = agent, .region = region, .last_seen_ms = NOW, .up = true};
    assert_int_equal(store_agent_upsert(s, &a, err, sizeof err), 0);
    proto_obs o = {.t_ms = NOW - 5000,
                   .resolver = "local",
                   .kind = "local",
                   .qname = "good.test.",
                   .qtype = 15,
                   .rrset = rrset,
                   .ttl_min = 300,
                   .has_ttl = true,
                   .rtt_us = 100};
    proto_results r = {
        .monitor = "good", .obs = &o, .n_obs = rrset ? 1 : 0, .smtp = probes, .n_smtp = n};
    store_batch b = {.agent_id = agent, .seq = seq, .received_ms = NOW - 1000, .results = &r};
    store_put_result res;
    if (store_put_batches(s, &b, 1, &res, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static proto_smtp probe(const char *host, const char *addr, uint8_t status, int64_t age_ms)
{
    proto_smtp p = {.t_ms = NOW - age_ms,
                    .host = host,
                    .addr = addr,
                    .port = 25,
                    .status = status,
                    .connect_us = 800,
                    .total_us = 40000};
    if (status == PROTO_SMTP_OK) {
        p.code = 220;
        p.greeting = "mx ESMTP";
        p.greet_name = strcmp(host, MX1) == 0 ? "mx1.good.test" : "mx2.good.test";
        p.flags = PROTO_SMTP_EHLO | PROTO_SMTP_STARTTLS | PROTO_SMTP_TLS | PROTO_SMTP_CHAIN_OK |
                  PROTO_SMTP_NAME_MATCH;
        p.tls_version = "TLSv1.3";
        p.cert_not_after = INT64_C(1800000000000);
    }
    return p;
}

/* Render with a function that writes to a FILE into a string (malloced). */
static char *render(void (*fn)(const json_t *, FILE *), const json_t *j)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    fn(j, out);
    fclose(out);
    return buf;
}

static void smtp_tables(const json_t *j, FILE *out)
{
    ctl_smtp_tables(j, out);
}

static void test_status_and_text(void **state)
{
    (void)state;
    setenv("NO_COLOR", "1", 1);
    tmp = tu_tmpdir();
    char err[512] = "";
    char db[600];
    snprintf(db, sizeof db, "%s/vantage.db", tmp);
    store_t *s = NULL;
    if (store_open(db, &s, err, sizeof err) != 0)
        fail_msg("%s", err);
    const char *mx = "good.test. MX 10 mx1.good.test.\ngood.test. MX 20 mx2.good.test.";
    proto_smtp eu[] = {probe(MX1, "198.18.0.20", PROTO_SMTP_OK, 3000),
                       probe(MX2, "198.18.0.21", PROTO_SMTP_OK, 3000),
                       /* an address mx1 no longer has, probed long before */
                       probe(MX1, "198.18.0.99", PROTO_SMTP_TIMEOUT, 7200000),
                       /* a host no MX of good.test. names */
                       probe("mx.other.test.", "198.18.0.50", PROTO_SMTP_OK, 3000)};
    proto_smtp us[] = {probe(MX1, "198.18.0.20", PROTO_SMTP_OK, 3000),
                       probe(MX2, "198.18.0.21", PROTO_SMTP_OK, 3000)};
    proto_smtp ap[] = {probe(MX1, "198.18.0.20", PROTO_SMTP_REFUSED, 3000),
                       probe(MX2, "198.18.0.21", PROTO_SMTP_OK, 3000)};
    ap[0].detail = "connection refused";
    ap[1].flags &= (uint8_t)~PROTO_SMTP_NAME_MATCH;
    put_batch(s, "eu-1", "europe", 1, mx, eu, 4);
    put_batch(s, "us-1", "america", 1, mx, us, 2);
    put_batch(s, "ap-1", "asia", 1, mx, ap, 2);

    char *path = write_conf("[monitor good]\n"
                            "name = good.test\n"
                            "profile = mail\n"
                            "smtp = yes\n"
                            "[monitor quiet]\n"
                            "name = quiet.test\n"
                            "profile = mail\n"
                            "smtp = yes\n"
                            "[monitor dns]\n"
                            "name = good.test\n"
                            "types = MX\n");
    coord_conf_t *conf = NULL;
    if (coord_conf_load(path, &conf, err, sizeof err) != 0)
        fail_msg("%s", err);
    views_ctx v = {.conf = conf, .store = s, .offset = no_offset, .now_ms = NOW};

    json_t *st = views_status(&v, "good", err, sizeof err);
    assert_non_null(st);
    json_t *items = json_object_get(st, "items");
    assert_int_equal(json_array_size(items), 2);
    json_t *it = json_array_get(items, 1);
    assert_string_equal(json_string_value(json_object_get(it, "name")), "good.test.");
    assert_string_equal(json_string_value(json_object_get(it, "type")), "SMTP");
    assert_string_equal(json_string_value(json_object_get(it, "monitor")), "good");
    assert_int_equal(json_array_size(json_object_get(it, "hosts")), 2);
    assert_string_equal(json_string_value(json_array_get(json_object_get(it, "hosts"), 1)), MX2);
    assert_string_equal(json_string_value(json_object_get(it, "state")), "partial");
    assert_int_equal(json_integer_value(json_object_get(it, "exit")), 1);
    assert_int_equal(json_array_size(json_object_get(it, "addresses")), 2);
    assert_int_equal(json_integer_value(json_object_get(st, "exit")), 1);

    char *text = render(ctl_status_print, items);
    assert_string_equal(
        text,
        "good.test. MX  consistent  consistent: all 3 vantage points agree; no "
        "authoritative serial seen to confirm the answer is current\n"
        "good.test. SMTP  partial  partial: 2 MX addresses: 1 reachable, 1 partial\n"
        "    mx1.good.test. 198.18.0.20:25  partial  reachable from america, europe; "
        "refused from asia\n"
        "    mx2.good.test. 198.18.0.21:25  reachable  reachable from america, asia, europe\n");
    free(text);

    /* check's text: a table per address, then the summary lines */
    text = render(smtp_tables, it);
    assert_string_equal(
        text,
        "\n"
        "mx1.good.test. 198.18.0.20:25\n"
        "REGION   AGENT  STATUS   CODE  GREETING-NAME  STARTTLS  TLS      CERT-EXPIRES  DETAIL\n"
        "america  us-1   ok       220   mx1.good.test  yes       TLSv1.3  2027-01-15    -\n"
        "asia     ap-1   refused  -     -              -         -        -             "
        "connection refused\n"
        "europe   eu-1   ok       220   mx1.good.test  yes       TLSv1.3  2027-01-15    -\n"
        "\n"
        "mx2.good.test. 198.18.0.21:25\n"
        "REGION   AGENT  STATUS  CODE  GREETING-NAME  STARTTLS  TLS      "
        "CERT-EXPIRES                DETAIL\n"
        "america  us-1   ok      220   mx2.good.test  yes       TLSv1.3  "
        "2027-01-15                  -\n"
        "asia     ap-1   ok      220   mx2.good.test  yes       TLSv1.3  "
        "2027-01-15 (name mismatch)  -\n"
        "europe   eu-1   ok      220   mx2.good.test  yes       TLSv1.3  "
        "2027-01-15                  -\n"
        "\n"
        "smtp: partial: 2 MX addresses: 1 reachable, 1 partial\n"
        "    mx1.good.test. 198.18.0.20:25  partial  reachable from america, europe; refused from "
        "asia\n"
        "    mx2.good.test. 198.18.0.21:25  reachable  reachable from america, asia, europe\n");
    free(text);
    json_decref(st);

    /* a monitor whose domain has no MX answer stored: the domain itself, no probe: unknown */
    st = views_status(&v, "quiet", err, sizeof err);
    assert_non_null(st);
    it = json_array_get(json_object_get(st, "items"), 1);
    assert_string_equal(json_string_value(json_object_get(it, "type")), "SMTP");
    assert_string_equal(json_string_value(json_object_get(it, "state")), "unknown");
    assert_string_equal(json_string_value(json_array_get(json_object_get(it, "hosts"), 0)),
                        "quiet.test.");
    assert_int_equal(json_integer_value(json_object_get(st, "exit")), 3);
    json_decref(st);

    /* a monitor without smtp has no SMTP item; every monitor by domain name */
    st = views_status(&v, "dns", err, sizeof err);
    assert_int_equal(json_array_size(json_object_get(st, "items")), 1);
    json_decref(st);
    st = views_status(&v, "good.test", err, sizeof err);
    assert_int_equal(json_array_size(json_object_get(st, "items")), 3);
    json_decref(st);

    /* asia reaches mx1 again: everything reachable */
    proto_smtp ap2[] = {probe(MX1, "198.18.0.20", PROTO_SMTP_OK, 1000)};
    put_batch(s, "ap-1", "asia", 2, NULL, ap2, 1);
    st = views_status(&v, "good", err, sizeof err);
    it = json_array_get(json_object_get(st, "items"), 1);
    assert_string_equal(json_string_value(json_object_get(it, "state")), "reachable");
    assert_int_equal(json_integer_value(json_object_get(st, "exit")), 0);
    json_decref(st);

    /* monitors: smtp shown, worst state over DNS and SMTP items */
    json_t *mons = views_monitors(&v, err, sizeof err);
    json_t *m0 = json_array_get(json_object_get(mons, "monitors"), 0);
    assert_true(json_is_true(json_object_get(m0, "smtp")));
    assert_string_equal(json_string_value(json_object_get(m0, "state")), "reachable");
    json_t *m1 = json_array_get(json_object_get(mons, "monitors"), 1);
    assert_string_equal(json_string_value(json_object_get(m1, "state")), "unknown");
    json_t *m2 = json_array_get(json_object_get(mons, "monitors"), 2);
    assert_true(json_is_false(json_object_get(m2, "smtp")));
    json_decref(mons);

    coord_conf_destroy(&conf);
    free(path);
    store_close(&s);
    tu_tmpdir_remove(&tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_grouping),        cmocka_unit_test(test_empty_and_errors),
        cmocka_unit_test(test_report_json),     cmocka_unit_test(test_conf_smtp),
        cmocka_unit_test(test_status_and_text),
    };
    return cmocka_run_group_tests_name("smtpview", tests, NULL, NULL);
}

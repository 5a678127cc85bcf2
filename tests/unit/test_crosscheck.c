/*
 * tests/unit/test_crosscheck.c - findings across resolvers and authoritative servers.
 */
#include "tests/unit/testutil.h"

#include <ldns/ldns.h>

#include "agent/crosscheck.h"
#include "proto/schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* An answer as the engine fills it (only the observation matters here). */
static answer_t obs(const char *resolver, const char *kind, const char *qname, uint16_t qtype,
                    uint8_t rcode, uint8_t fail, const char *rrset)
{
    answer_t a;
    memset(&a, 0, sizeof a);
    a.obs.resolver = resolver;
    a.obs.kind = kind;
    a.obs.qname = qname;
    a.obs.qtype = qtype;
    a.obs.rcode = rcode;
    a.obs.fail = fail;
    a.obs.rrset = rrset;
    a.obs.flags = PROTO_FLAG_RA;
    return a;
}

/* An authoritative SOA answer. */
static answer_t soa(const char *addr, const char *server, const char *zone, uint8_t fail, bool aa,
                    uint32_t serial)
{
    answer_t a = obs(addr, "auth", zone, LDNS_RR_TYPE_SOA,
                     fail == PROTO_FAIL_REFUSED    ? LDNS_RCODE_REFUSED
                     : fail == PROTO_FAIL_SERVFAIL ? LDNS_RCODE_SERVFAIL
                                                   : LDNS_RCODE_NOERROR,
                     fail, "");
    a.obs.server = server;
    a.obs.flags = aa ? PROTO_FLAG_AA : 0;
    if (fail == PROTO_FAIL_NONE && aa) {
        a.obs.soa_serial = serial;
        a.obs.has_soa_serial = true;
    }
    return a;
}

/* Findings of crosscheck_run over v[n]. */
typedef struct run {
    arena_t *arena; /* strings */
    findings_t out; /* findings */
} run;

static void run_over(run *r, const answer_t *v, size_t n)
{
    r->arena = arena_new();
    assert_non_null(r->arena);
    findings_init(&r->out, r->arena);
    const answer_t **p = calloc(n + 1, sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = &v[i];
    p[n] = NULL;
    crosscheck_run(p, n + 1, &r->out);
    free(p);
    if (getenv("VANTAGE_TEST_VERBOSE")) {
        for (size_t i = 0; i < r->out.n; i++)
            fprintf(stderr, "  %s [%d] %s @%s: %s\n", r->out.v[i].code, r->out.v[i].severity,
                    r->out.v[i].name, r->out.v[i].resolver ? r->out.v[i].resolver : "-",
                    r->out.v[i].message);
    }
}

static void run_free(run *r)
{
    findings_free(&r->out);
    arena_destroy(&r->arena);
}

/* The i-th finding, which must have this code and severity. */
static const proto_finding *nth(const run *r, size_t i, const char *code, proto_severity sev)
{
    if (i >= r->out.n)
        fail_msg("finding %zu of %zu wanted (%s)", i, r->out.n, code);
    const proto_finding *f = &r->out.v[i];
    assert_string_equal(f->code, code);
    assert_int_equal(f->severity, sev);
    return f;
}

static void assert_says(const proto_finding *f, const char *words)
{
    if (!strstr(f->message, words))
        fail_msg("%s message \"%s\" lacks \"%s\"", f->code, f->message, words);
}

static void test_all_agree(void **state)
{
    (void)state;
    const char *mx = "good.test. MX 10 mx1.good.test.\ngood.test. MX 20 mx2.good.test.";
    answer_t v[] = {
        obs("local", "local", "good.test.", LDNS_RR_TYPE_MX, 0, 0, mx),
        obs("127.0.11.1:5301", "public", "good.test.", LDNS_RR_TYPE_MX, 0, 0, mx),
        obs("local", "local", "nx.good.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0, ""),
        obs("127.0.11.1:5301", "public", "nx.good.test.", LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, 0,
            ""),
        /* an authoritative server's answer is not compared with the resolvers' */
        obs("127.0.10.1", "auth", "good.test.", LDNS_RR_TYPE_MX, 0, 0, "good.test. MX 0 ."),
        soa("127.0.10.1", "ns1.lab.test.", "good.test.", 0, true, 2024010102),
        soa("127.0.10.2", "ns2.lab.test.", "good.test.", 0, true, 2024010102),
    };
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 0);
    run_free(&r);

    findings_t out;
    arena_t *arena = arena_new();
    findings_init(&out, arena);
    crosscheck_run(NULL, 3, &out);
    crosscheck_run((const answer_t *const *)v, 0, &out);
    assert_int_equal(out.n, 0);
    findings_free(&out);
    arena_destroy(&arena);
}

static void test_resolver_failure(void **state)
{
    (void)state;
    static uint16_t ede[] = {9};
    answer_t v[] = {
        obs("local", "local", "good.test.", LDNS_RR_TYPE_MX, 0, 0, "good.test. MX 0 ."),
        obs("192.0.2.53", "public", "good.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL,
            PROTO_FAIL_SERVFAIL, ""),
        obs("192.0.2.53", "public", "good.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_SERVFAIL,
            PROTO_FAIL_SERVFAIL, ""),
        obs("192.0.2.53", "public", "_dmarc.good.test.", LDNS_RR_TYPE_TXT, 0, PROTO_FAIL_TIMEOUT,
            ""),
        obs("local", "local", "good.test.", LDNS_RR_TYPE_TXT, 0, 0, ""),
        obs("local", "local", "_dmarc.good.test.", LDNS_RR_TYPE_TXT, 0, 0, ""),
        /* cut by the deadline: nobody's fault */
        obs("local", "local", "mx1.good.test.", LDNS_RR_TYPE_A, 0, PROTO_FAIL_INCOMPLETE, ""),
        /* an authoritative server's failure is LAME_DELEGATION's business */
        obs("127.0.10.9", "auth", "good.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_REFUSED,
            PROTO_FAIL_REFUSED, ""),
    };
    v[1].obs.ede = ede;
    v[1].obs.n_ede = 1;
    v[1].obs.ede_text = "no DNSKEY matches the DS";
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 1);
    const proto_finding *f = nth(&r, 0, "RESOLVER_FAILURE", PROTO_SEV_WARNING);
    assert_string_equal(f->resolver, "192.0.2.53");
    assert_string_equal(f->name, "good.test.");
    assert_says(f, "192.0.2.53 answered SERVFAIL for good.test. MX");
    assert_says(f, "Extended DNS Error 9 DNSKEY Missing: \"no DNSKEY matches the DS\"");
    assert_says(f, "failed 2 more questions");
    run_free(&r);
}

static void test_resolver_failure_everywhere(void **state)
{
    (void)state;
    answer_t v[] = {
        obs("local", "local", "good.test.", LDNS_RR_TYPE_MX, 0, PROTO_FAIL_TIMEOUT, ""),
        obs("192.0.2.53", "public", "good.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_REFUSED,
            PROTO_FAIL_REFUSED, ""),
        obs("192.0.2.54", "public", "good.test.", LDNS_RR_TYPE_MX, LDNS_RCODE_NOTIMPL,
            PROTO_FAIL_OTHER, ""),
    };
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 3);
    assert_says(nth(&r, 0, "RESOLVER_FAILURE", PROTO_SEV_CRITICAL), "REFUSED");
    assert_says(nth(&r, 1, "RESOLVER_FAILURE", PROTO_SEV_CRITICAL), "NOTIMPL");
    const proto_finding *f = nth(&r, 2, "RESOLVER_FAILURE", PROTO_SEV_CRITICAL);
    assert_string_equal(f->resolver, "local");
    assert_says(f, "no answer (timeout)");
    assert_says(f, "no resolver asked gave a usable answer");
    run_free(&r);

    /* each failed a different question: every question had an answer somewhere */
    answer_t w[] = {
        obs("local", "local", "good.test.", LDNS_RR_TYPE_MX, 0, PROTO_FAIL_TIMEOUT, ""),
        obs("local", "local", "good.test.", LDNS_RR_TYPE_TXT, 0, 0, ""),
        obs("192.0.2.53", "public", "good.test.", LDNS_RR_TYPE_MX, 0, 0, ""),
        obs("192.0.2.53", "public", "good.test.", LDNS_RR_TYPE_TXT, LDNS_RCODE_SERVFAIL,
            PROTO_FAIL_SERVFAIL, ""),
    };
    run_over(&r, w, N(w));
    assert_int_equal(r.out.n, 2);
    nth(&r, 0, "RESOLVER_FAILURE", PROTO_SEV_WARNING);
    nth(&r, 1, "RESOLVER_FAILURE", PROTO_SEV_WARNING);
    run_free(&r);

    /* a lone resolver that failed: every resolver failed */
    answer_t x[] = {
        obs("local", "local", "good.test.", LDNS_RR_TYPE_MX, 0, PROTO_FAIL_NETWORK, ""),
    };
    run_over(&r, x, N(x));
    assert_says(nth(&r, 0, "RESOLVER_FAILURE", PROTO_SEV_CRITICAL), "network error");
    run_free(&r);
}

static void test_resolver_disagree(void **state)
{
    (void)state;
    answer_t v[] = {
        obs("local", "local", "mx1.good.test.", LDNS_RR_TYPE_A, 0, 0,
            "mx1.good.test. A 192.0.2.10"),
        obs("9.9.9.9", "public", "mx1.good.test.", LDNS_RR_TYPE_A, 0, 0,
            "mx1.good.test. A 192.0.2.10"),
        obs("127.0.11.1:5301", "public", "mx1.good.test.", LDNS_RR_TYPE_A, 0, 0,
            "mx1.good.test. A 192.0.2.11\nmx1.good.test. A 192.0.2.12"),
        /* a failed answer is not a view */
        obs("192.0.2.53", "public", "mx1.good.test.", LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL,
            PROTO_FAIL_SERVFAIL, ""),
        /* NXDOMAIN against NODATA */
        obs("local", "local", "new.good.test.", LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN, 0, ""),
        obs("9.9.9.9", "public", "new.good.test.", LDNS_RR_TYPE_AAAA, 0, 0, ""),
        obs("127.0.11.1:5301", "public", "new.good.test.", LDNS_RR_TYPE_AAAA, 0, 0,
            "alias.good.test. AAAA 2001:db8::1\nnew.good.test. CNAME alias.good.test."),
    };
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 3);
    nth(&r, 0, "RESOLVER_FAILURE", PROTO_SEV_WARNING);
    const proto_finding *f = nth(&r, 1, "RESOLVER_DISAGREE", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "mx1.good.test.");
    assert_null(f->resolver);
    assert_says(f, "on mx1.good.test. A:");
    assert_says(f, "127.0.11.1:5301 sees A 192.0.2.11, A 192.0.2.12");
    assert_says(f, "9.9.9.9 and local see A 192.0.2.10");
    f = nth(&r, 2, "RESOLVER_DISAGREE", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "new.good.test.");
    assert_says(f, "local sees NXDOMAIN");
    assert_says(f, "9.9.9.9 sees no records (NODATA)");
    assert_says(f, "alias.good.test. AAAA 2001:db8::1, CNAME alias.good.test.");
    run_free(&r);
}

static void test_auth_serial_mismatch(void **state)
{
    (void)state;
    answer_t v[] = {
        soa("127.0.10.1", "ns1.lab.test.", "good.test.", 0, true, 2024010102),
        soa("fd00:127:10::1", "ns1.lab.test.", "good.test.", 0, true, 2024010102),
        soa("127.0.10.2", "ns2.lab.test.", "good.test.", 0, true, 2024010101),
        /* serials around the wrap: 1 is newer than 4294967295 (RFC 1982) */
        soa("127.0.10.1", "ns1.lab.test.", "wrap.test.", 0, true, 4294967295u),
        soa("127.0.10.2", "ns2.lab.test.", "wrap.test.", 0, true, 1),
        /* exactly 2^31 apart: no order */
        soa("127.0.10.1", "ns1.lab.test.", "half.test.", 0, true, 0),
        soa("127.0.10.2", "ns2.lab.test.", "half.test.", 0, true, 2147483648u),
    };
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 3);
    const proto_finding *f = nth(&r, 0, "AUTH_SERIAL_MISMATCH", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "good.test.");
    assert_says(f, "ns1.lab.test. (127.0.10.1) has 2024010102");
    assert_says(f, "ns1.lab.test. (fd00:127:10::1) has 2024010102");
    assert_says(f, "ns2.lab.test. (127.0.10.2) has 2024010101");
    assert_says(f, "2024010102 is the newest");
    f = nth(&r, 1, "AUTH_SERIAL_MISMATCH", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "half.test.");
    assert_says(f, "no serial is the newest");
    f = nth(&r, 2, "AUTH_SERIAL_MISMATCH", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "wrap.test.");
    assert_says(f, "1 is the newest");
    run_free(&r);
}

static void test_lame_delegation(void **state)
{
    (void)state;
    answer_t v[] = {
        soa("127.0.10.1", "ns1.lab.test.", "good.test.", 0, true, 7),
        soa("127.0.10.2", "ns2.lab.test.", "good.test.", PROTO_FAIL_REFUSED, false, 0),
        soa("127.0.10.3", "ns3.lab.test.", "good.test.", 0, false, 0),
        soa("127.0.10.4", NULL, "good.test.", PROTO_FAIL_TIMEOUT, false, 0),
        soa("127.0.10.5", "ns5.lab.test.", "good.test.", PROTO_FAIL_SERVFAIL, false, 0),
        soa("127.0.10.6", "ns6.lab.test.", "good.test.", PROTO_FAIL_INCOMPLETE, false, 0),
    };
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 4);
    const proto_finding *f = nth(&r, 0, "LAME_DELEGATION", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "good.test.");
    assert_string_equal(f->resolver, "127.0.10.2");
    assert_says(f, "ns2.lab.test. (127.0.10.2), listed for good.test., answered REFUSED");
    f = nth(&r, 1, "LAME_DELEGATION", PROTO_SEV_WARNING);
    assert_says(f, "ns3.lab.test. (127.0.10.3)");
    assert_says(f, "without the AA (authoritative) flag");
    f = nth(&r, 2, "LAME_DELEGATION", PROTO_SEV_WARNING);
    assert_says(f, "name server 127.0.10.4, listed for good.test., gave no answer");
    f = nth(&r, 3, "LAME_DELEGATION", PROTO_SEV_WARNING);
    assert_says(f, "SERVFAIL");
    assert_false(findings_has(&r.out, "RESOLVER_FAILURE", NULL));
    assert_false(findings_has(&r.out, "AUTH_SERIAL_MISMATCH", NULL));
    run_free(&r);
}

/* Every message of a run is valid UTF-8 and fits a finding, however long its parts. */
static void test_messages_wire_safe(void **state)
{
    (void)state;
    static uint16_t ede[] = {6, 9, 10, 4000};
    char text[600] = "";
    for (size_t i = 0; i + 2 < sizeof text; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);
    char long_set[4000] = "";
    for (int i = 0; i < 120; i++)
        snprintf(long_set + strlen(long_set), sizeof long_set - strlen(long_set),
                 "%sx.test. TXT \"record %d \xc2\xa7\"", i ? "\n" : "", i);
    answer_t v[] = {
        obs("r\xc3\xa9solveur-avec-un-nom-tr\xc3\xa8s-long", "local", "x.test.", LDNS_RR_TYPE_TXT,
            LDNS_RCODE_SERVFAIL, PROTO_FAIL_SERVFAIL, ""),
        obs("local", "local", "y.test.", LDNS_RR_TYPE_TXT, 0, 0, long_set),
        obs("9.9.9.9", "public", "y.test.", LDNS_RR_TYPE_TXT, 0, 0, ""),
    };
    v[0].obs.ede = ede;
    v[0].obs.n_ede = N(ede);
    v[0].obs.ede_text = text;
    run r;
    run_over(&r, v, N(v));
    assert_int_equal(r.out.n, 2);
    for (size_t i = 0; i < r.out.n; i++) {
        const char *m = r.out.v[i].message;
        assert_true(strlen(m) < PROTO_NAME_MAX);
        assert_true(pschema_utf8_ok(m, strlen(m)));
    }
    assert_says(&r.out.v[0], "Extended DNS Error 6 DNSSEC Bogus, 9 DNSKEY Missing, 10 RRSIGs "
                             "Missing, 4000: \"\xc3\xa9");
    run_free(&r);
}

static void test_ede_names(void **state)
{
    (void)state;
    assert_string_equal(crosscheck_ede_name(0), "Other Error");
    assert_string_equal(crosscheck_ede_name(6), "DNSSEC Bogus");
    assert_string_equal(crosscheck_ede_name(22), "No Reachable Authority");
    assert_string_equal(crosscheck_ede_name(24), "Invalid Data");
    assert_null(crosscheck_ede_name(4000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_agree),
        cmocka_unit_test(test_resolver_failure),
        cmocka_unit_test(test_resolver_failure_everywhere),
        cmocka_unit_test(test_resolver_disagree),
        cmocka_unit_test(test_auth_serial_mismatch),
        cmocka_unit_test(test_lame_delegation),
        cmocka_unit_test(test_messages_wire_safe),
        cmocka_unit_test(test_ede_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

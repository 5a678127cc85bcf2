/*
 * tests/unit/test_rrset.c - canonical RR sets: order, case, TTL, text round trips.
 */
#include "tests/unit/testutil.h"

#include "common/rrset.h"

/* A list of records parsed by ldns from zone-file lines; caller frees with ldns_rr_list_deep_free.
 */
static ldns_rr_list *rr_list(const char *const *lines, size_t n)
{
    ldns_rr_list *list = ldns_rr_list_new();
    assert_non_null(list);
    ldns_rdf *origin = ldns_dname_new_frm_str(".");
    assert_non_null(origin);
    for (size_t i = 0; i < n; i++) {
        ldns_rr *rr = NULL;
        ldns_status st = ldns_rr_new_frm_str(&rr, lines[i], 3600, origin, NULL);
        if (st != LDNS_STATUS_OK)
            fail_msg("ldns cannot parse test line \"%s\": %s", lines[i],
                     ldns_get_errorstr_by_id(st));
        assert_true(ldns_rr_list_push_rr(list, rr));
    }
    ldns_rdf_deep_free(origin);
    return list;
}

/* Canonical set of zone-file lines (all types, all owners). */
static rrset_canon_t *canon_of(const char *const *lines, size_t n)
{
    ldns_rr_list *list = rr_list(lines, n);
    rrset_canon_t *set = NULL;
    assert_int_equal(rrset_canon_from_ldns(list, 0, NULL, &set), RRSET_OK);
    assert_non_null(set);
    ldns_rr_list_deep_free(list);
    return set;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Canonical text of a single zone-file line. */
static void assert_canon_line(const char *in, const char *expect)
{
    const char *lines[] = {in};
    rrset_canon_t *set = canon_of(lines, 1);
    assert_string_equal(rrset_canon_text(set), expect);
    rrset_canon_destroy(&set);
}

static void test_order_independent(void **state)
{
    (void)state;
    const char *a[] = {"x.example. 300 IN A 192.0.2.3", "x.example. 300 IN A 192.0.2.1",
                       "x.example. 300 IN A 192.0.2.2"};
    const char *b[] = {"x.example. 300 IN A 192.0.2.2", "x.example. 300 IN A 192.0.2.1",
                       "x.example. 300 IN A 192.0.2.3"};
    rrset_canon_t *sa = canon_of(a, N(a));
    rrset_canon_t *sb = canon_of(b, N(b));
    assert_string_equal(rrset_canon_text(sa),
                        "x.example. A 192.0.2.1\nx.example. A 192.0.2.2\nx.example. A 192.0.2.3");
    assert_string_equal(rrset_canon_text(sa), rrset_canon_text(sb));
    assert_true(rrset_canon_equal(sa, sb));
    assert_int_equal(rrset_canon_count(sa), 3);
    assert_int_equal(rrset_canon_text_len(sa), strlen(rrset_canon_text(sa)));
    assert_string_equal(rrset_canon_line(sa, 0), "x.example. A 192.0.2.1");
    assert_string_equal(rrset_canon_line(sa, 2), "x.example. A 192.0.2.3");
    assert_null(rrset_canon_line(sa, 3));
    rrset_canon_destroy(&sa);
    rrset_canon_destroy(&sb);
    assert_null(sa);
    rrset_canon_destroy(&sa);
    rrset_canon_destroy(NULL);
}

static void test_case_folding(void **state)
{
    (void)state;
    const char *a[] = {"Example.COM. 300 IN MX 10 Mail.Example.COM.",
                       "EXAMPLE.com. 300 IN MX 20 MX2.example.NET."};
    const char *b[] = {"example.com. 300 IN MX 20 mx2.example.net.",
                       "example.com. 300 IN MX 10 mail.example.com."};
    rrset_canon_t *sa = canon_of(a, N(a));
    rrset_canon_t *sb = canon_of(b, N(b));
    assert_string_equal(
        rrset_canon_text(sa),
        "example.com. MX 10 mail.example.com.\nexample.com. MX 20 mx2.example.net.");
    assert_true(rrset_canon_equal(sa, sb));
    rrset_canon_destroy(&sa);
    rrset_canon_destroy(&sb);

    assert_canon_line("WWW.Example.com. CNAME Web.Example.NET.",
                      "www.example.com. CNAME web.example.net.");
    assert_canon_line("Example.com. NS NS1.Example.com.", "example.com. NS ns1.example.com.");
    assert_canon_line("_Sip._TCP.Example.com. SRV 1 2 5060 SIP.Example.com.",
                      "_sip._tcp.example.com. SRV 1 2 5060 sip.example.com.");
    assert_canon_line("Example.com. SOA NS1.Example.com. HostMaster.Example.com. 1 2 3 4 5",
                      "example.com. SOA ns1.example.com. hostmaster.example.com. 1 2 3 4 5");
    /* Octets given as escapes fold too: \065 is 'A'. */
    assert_canon_line("\\065bc.example. A 192.0.2.1", "abc.example. A 192.0.2.1");
    /*
     * RFC 4034 §6.2 as ldns applies it: names inside HTTPS/SVCB and NSEC
     * rdata keep their case. Pinned so a change in ldns is noticed.
     */
    assert_canon_line("Example.com. HTTPS 1 Svc.Example.com. alpn=h2",
                      "example.com. HTTPS 1 Svc.Example.com. alpn=h2");
    assert_canon_line("Example.com. NSEC Next.Example.com. A MX",
                      "example.com. NSEC Next.Example.com. A MX");
}

static void test_ttl_apart(void **state)
{
    (void)state;
    const char *a[] = {"x.example. 300 IN A 192.0.2.1", "x.example. 60 IN A 192.0.2.2"};
    const char *b[] = {"x.example. 86400 IN A 192.0.2.1", "x.example. 7 IN A 192.0.2.2"};
    rrset_canon_t *sa = canon_of(a, N(a));
    rrset_canon_t *sb = canon_of(b, N(b));
    assert_true(rrset_canon_equal(sa, sb));
    assert_null(strstr(rrset_canon_text(sa), "300"));
    uint32_t ttl = 0;
    assert_true(rrset_canon_min_ttl(sa, &ttl));
    assert_int_equal(ttl, 60);
    assert_true(rrset_canon_min_ttl(sb, &ttl));
    assert_int_equal(ttl, 7);
    rrset_canon_destroy(&sa);
    rrset_canon_destroy(&sb);

    /* RFC 2181 §8: a TTL with the top bit set counts as zero. */
    const char *c[] = {"x.example. 2147483648 IN A 192.0.2.1", "x.example. 50 IN A 192.0.2.2"};
    rrset_canon_t *sc = canon_of(c, N(c));
    assert_true(rrset_canon_min_ttl(sc, &ttl));
    assert_int_equal(ttl, 0);
    rrset_canon_destroy(&sc);
}

static void test_duplicates(void **state)
{
    (void)state;
    const char *a[] = {"x.example. 300 IN A 192.0.2.1", "X.EXAMPLE. 10 IN A 192.0.2.1",
                       "x.example. 300 IN A 192.0.2.1", "x.example. 300 IN A 192.0.2.2"};
    rrset_canon_t *sa = canon_of(a, N(a));
    assert_int_equal(rrset_canon_count(sa), 2);
    assert_string_equal(rrset_canon_text(sa), "x.example. A 192.0.2.1\nx.example. A 192.0.2.2");
    uint32_t ttl = 0;
    assert_true(rrset_canon_min_ttl(sa, &ttl));
    assert_int_equal(ttl, 10);
    rrset_canon_destroy(&sa);
}

static void test_txt_as_ldns_presents(void **state)
{
    (void)state;
    assert_canon_line("x.example. TXT \"v=spf1 include:_spf.example.com ~all\"",
                      "x.example. TXT \"v=spf1 include:_spf.example.com ~all\"");
    assert_canon_line("x.example. TXT \"say \\\"hi\\\" now\"",
                      "x.example. TXT \"say \\\"hi\\\" now\"");
    assert_canon_line("x.example. TXT \"back\\\\slash\"", "x.example. TXT \"back\\\\slash\"");
    /* Several strings stay several; a bare word is quoted; UTF-8 octets become \DDD. */
    assert_canon_line("x.example. TXT \"a b\" c \"\"", "x.example. TXT \"a b\" \"c\" \"\"");
    assert_canon_line("x.example. TXT \"caf\\195\\169\"", "x.example. TXT \"caf\\195\\169\"");
    /* ldns escapes control octets as \DDD, except TAB, which it prints raw. */
    assert_canon_line("x.example. TXT \"tab\\009here\\010nl\"",
                      "x.example. TXT \"tab\there\\010nl\"");
    assert_canon_line("x.example. TXT \"v=DMARC1; p=reject\"",
                      "x.example. TXT \"v=DMARC1; p=reject\"");
}

static void test_txt_from_wire(void **state)
{
    (void)state;
    /* The agent's path: a wire answer decoded by ldns. */
    ldns_pkt *q = ldns_pkt_new();
    assert_non_null(q);
    ldns_rr *rr = NULL;
    assert_int_equal(ldns_rr_new_frm_str(&rr, "Mail.Example. 120 IN TXT \"a \\\"q\\\" \\\\ \\255\"",
                                         0, NULL, NULL),
                     LDNS_STATUS_OK);
    assert_true(ldns_pkt_push_rr(q, LDNS_SECTION_ANSWER, rr));
    uint8_t *wire = NULL;
    size_t wire_len = 0;
    assert_int_equal(ldns_pkt2wire(&wire, q, &wire_len), LDNS_STATUS_OK);
    ldns_pkt *p = NULL;
    assert_int_equal(ldns_wire2pkt(&p, wire, wire_len), LDNS_STATUS_OK);

    rrset_canon_t *set = NULL;
    assert_int_equal(rrset_canon_from_ldns(ldns_pkt_answer(p), LDNS_RR_TYPE_TXT, NULL, &set),
                     RRSET_OK);
    assert_string_equal(rrset_canon_text(set), "mail.example. TXT \"a \\\"q\\\" \\\\ \\255\"");
    uint32_t ttl = 0;
    assert_true(rrset_canon_min_ttl(set, &ttl));
    assert_int_equal(ttl, 120);
    rrset_canon_destroy(&set);
    ldns_pkt_free(p);
    ldns_pkt_free(q);
    free(wire);
}

static void test_aaaa_normalised(void **state)
{
    (void)state;
    const char *a[] = {"x.example. AAAA 2001:DB8:0:0::1"};
    const char *b[] = {"x.example. AAAA 2001:db8::1"};
    const char *c[] = {"x.example. AAAA 2001:0db8:0000:0000:0000:0000:0000:0001"};
    rrset_canon_t *sa = canon_of(a, 1);
    rrset_canon_t *sb = canon_of(b, 1);
    rrset_canon_t *sc = canon_of(c, 1);
    assert_string_equal(rrset_canon_text(sa), "x.example. AAAA 2001:db8::1");
    assert_true(rrset_canon_equal(sa, sb));
    assert_true(rrset_canon_equal(sa, sc));
    rrset_canon_destroy(&sa);
    rrset_canon_destroy(&sb);
    rrset_canon_destroy(&sc);
}

/* Set from --expect lines; asserts success. */
static rrset_canon_t *expect_of(const char *const *lines, size_t n, const char *owner,
                                ldns_rr_type type)
{
    rrset_canon_t *set = NULL;
    char err[256];
    rrset_status rc = rrset_canon_from_text(lines, n, owner, type, &set, err, sizeof err);
    if (rc != RRSET_OK)
        fail_msg("from_text: %s: %s", rrset_status_str(rc), err);
    assert_non_null(set);
    return set;
}

static void test_bare_equals_full(void **state)
{
    (void)state;
    const char *full[] = {"example.com. 300 IN MX 10 mail.example.com.",
                          "example.com. 300 IN MX 20 mx2.example.net."};
    const char *bare[] = {"20 MX2.Example.NET", "  10 mail.example.com.  "};
    const char *mixed[] = {"10 mail.example.com", "Example.COM MX 20 mx2.example.net"};
    rrset_canon_t *sf = canon_of(full, N(full));
    rrset_canon_t *sb = expect_of(bare, N(bare), "Example.com", LDNS_RR_TYPE_MX);
    rrset_canon_t *sm = expect_of(mixed, N(mixed), "example.com.", LDNS_RR_TYPE_MX);
    rrset_canon_t *st = expect_of(full, N(full), NULL, 0);
    assert_string_equal(rrset_canon_text(sb), rrset_canon_text(sf));
    assert_true(rrset_canon_equal(sb, sf));
    assert_true(rrset_canon_equal(sm, sf));
    assert_true(rrset_canon_equal(st, sf));
    /* Sets from text carry no TTL, even from full lines. */
    uint32_t ttl = 99;
    assert_false(rrset_canon_min_ttl(st, &ttl));
    assert_int_equal(ttl, 99);
    rrset_canon_destroy(&sf);
    rrset_canon_destroy(&sb);
    rrset_canon_destroy(&sm);
    rrset_canon_destroy(&st);

    /* Bare A, AAAA and CNAME. */
    const char *a[] = {"192.0.2.1"};
    rrset_canon_t *sa = expect_of(a, 1, "www.example.com", LDNS_RR_TYPE_A);
    assert_string_equal(rrset_canon_text(sa), "www.example.com. A 192.0.2.1");
    rrset_canon_destroy(&sa);
    const char *cn[] = {"Web.Example.net"};
    rrset_canon_t *sc = expect_of(cn, 1, "www.example.com", LDNS_RR_TYPE_CNAME);
    assert_string_equal(rrset_canon_text(sc), "www.example.com. CNAME web.example.net.");
    rrset_canon_destroy(&sc);

    /* A full line keeps its own type: an expected A answer with its CNAME. */
    const char *chain[] = {"www.example.com. CNAME web.example.net.",
                           "web.example.net. A 192.0.2.7"};
    rrset_canon_t *sh = expect_of(chain, 2, "www.example.com", LDNS_RR_TYPE_A);
    assert_string_equal(rrset_canon_text(sh), "web.example.net. A 192.0.2.7\n"
                                              "www.example.com. CNAME web.example.net.");
    rrset_canon_destroy(&sh);
}

static void test_bare_names_absolute(void **state)
{
    (void)state;
    /* Like dig: "mail" is the name "mail.", not "mail.example.com.". */
    const char *rel[] = {"10 mail"};
    rrset_canon_t *s = expect_of(rel, 1, "example.com", LDNS_RR_TYPE_MX);
    assert_string_equal(rrset_canon_text(s), "example.com. MX 10 mail.");
    rrset_canon_destroy(&s);
}

static void test_bare_txt(void **state)
{
    (void)state;
    const char *spf[] = {"v=spf1 mx a:mail.example.com -all"};
    rrset_canon_t *s = expect_of(spf, 1, "example.com", LDNS_RR_TYPE_TXT);
    assert_string_equal(rrset_canon_text(s),
                        "example.com. TXT \"v=spf1 mx a:mail.example.com -all\"");
    rrset_canon_destroy(&s);

    /* ';' would start a zone-file comment; unquoted bare TXT keeps it. */
    const char *dmarc[] = {"v=DMARC1; p=reject; rua=mailto:d@example.com"};
    s = expect_of(dmarc, 1, "_dmarc.example.com", LDNS_RR_TYPE_TXT);
    assert_string_equal(rrset_canon_text(s),
                        "_dmarc.example.com. TXT \"v=DMARC1; p=reject; rua=mailto:d@example.com\"");
    rrset_canon_destroy(&s);

    /* Reads as a PTR record of "v=spf1", but that owner is neither absolute nor the owner. */
    const char *ptr[] = {"v=spf1 ptr -all"};
    s = expect_of(ptr, 1, "example.com", LDNS_RR_TYPE_TXT);
    assert_string_equal(rrset_canon_text(s), "example.com. TXT \"v=spf1 ptr -all\"");
    rrset_canon_destroy(&s);

    /* A full line for the owner is still a full line, dot or not. */
    const char *own[] = {"Example.com TXT \"x y\""};
    s = expect_of(own, 1, "example.com", LDNS_RR_TYPE_TXT);
    assert_string_equal(rrset_canon_text(s), "example.com. TXT \"x y\"");
    rrset_canon_destroy(&s);

    /* Quoted: as written, several strings allowed. */
    const char *two[] = {"\"part one\" \"part two\""};
    s = expect_of(two, 1, "example.com", LDNS_RR_TYPE_TXT);
    assert_string_equal(rrset_canon_text(s), "example.com. TXT \"part one\" \"part two\"");
    rrset_canon_destroy(&s);

    /* The same record from an answer compares equal to the bare form. */
    const char *full[] = {"example.com. 300 IN TXT \"v=spf1 mx a:mail.example.com -all\""};
    rrset_canon_t *sf = canon_of(full, 1);
    s = expect_of(spf, 1, "example.com", LDNS_RR_TYPE_TXT);
    assert_true(rrset_canon_equal(s, sf));
    rrset_canon_destroy(&s);
    rrset_canon_destroy(&sf);
}

static void test_unknown_type_and_class(void **state)
{
    (void)state;
    assert_canon_line("X.example. TYPE65000 \\# 3 ABCDEF", "x.example. TYPE65000 \\# 3 abcdef");
    assert_canon_line("x.example. TYPE65000 \\# 0", "x.example. TYPE65000");
    /* RFC 3597 form of a known type reads as that type. */
    assert_canon_line("x.example. TYPE1 \\# 4 C0000201", "x.example. A 192.0.2.1");
    assert_canon_line("x.example. CH TXT \"hi\"", "x.example. CH TXT \"hi\"");
    assert_canon_line("x.example. CLASS7 A 192.0.2.1", "x.example. CLASS7 A 192.0.2.1");
    /* ldns ends an NSEC bitmap with a space; the line does not. */
    assert_canon_line("x.example. NSEC a.x.example. A MX RRSIG NSEC",
                      "x.example. NSEC a.x.example. A MX RRSIG NSEC");

    const char *bare[] = {"\\# 2 0102"};
    rrset_canon_t *s = expect_of(bare, 1, "x.example", (ldns_rr_type)65000);
    assert_string_equal(rrset_canon_text(s), "x.example. TYPE65000 \\# 2 0102");
    rrset_canon_destroy(&s);
}

static void test_empty_set(void **state)
{
    (void)state;
    rrset_canon_t *a = NULL;
    rrset_canon_t *b = NULL;
    rrset_canon_t *c = NULL;
    rrset_canon_t *d = NULL;
    ldns_rr_list *list = ldns_rr_list_new();
    assert_int_equal(rrset_canon_from_ldns(NULL, 0, NULL, &a), RRSET_OK);
    assert_int_equal(rrset_canon_from_ldns(list, 0, NULL, &b), RRSET_OK);
    assert_int_equal(rrset_canon_from_text(NULL, 0, NULL, 0, &c, NULL, 0), RRSET_OK);
    assert_int_equal(rrset_canon_parse_text("", &d), RRSET_OK);
    assert_string_equal(rrset_canon_text(a), "");
    assert_int_equal(rrset_canon_count(a), 0);
    assert_int_equal(rrset_canon_text_len(a), 0);
    assert_null(rrset_canon_line(a, 0));
    uint32_t ttl = 5;
    assert_false(rrset_canon_min_ttl(a, &ttl));
    assert_int_equal(ttl, 5);
    assert_true(rrset_canon_equal(a, b));
    assert_true(rrset_canon_equal(a, c));
    assert_true(rrset_canon_equal(a, d));

    /* A filter that keeps nothing also gives the empty set. */
    const char *lines[] = {"x.example. A 192.0.2.1"};
    ldns_rr_list *one = rr_list(lines, 1);
    rrset_canon_t *e = NULL;
    assert_int_equal(rrset_canon_from_ldns(one, LDNS_RR_TYPE_MX, NULL, &e), RRSET_OK);
    assert_true(rrset_canon_equal(a, e));
    assert_false(rrset_canon_equal(a, NULL));
    assert_true(rrset_canon_equal(NULL, NULL));

    rrset_canon_destroy(&a);
    rrset_canon_destroy(&b);
    rrset_canon_destroy(&c);
    rrset_canon_destroy(&d);
    rrset_canon_destroy(&e);
    ldns_rr_list_deep_free(list);
    ldns_rr_list_deep_free(one);
}

static void test_filters(void **state)
{
    (void)state;
    const char *lines[] = {
        "Example.com. 300 IN MX 10 mail.example.com.",
        "example.com. 300 IN RRSIG MX 8 2 300 20300101000000 20200101000000 1234 example.com. "
        "AAAA",
        "example.com. 300 IN A 192.0.2.1",
        "other.example.com. 300 IN MX 5 mx.other.example.",
    };
    ldns_rr_list *list = rr_list(lines, N(lines));
    ldns_rdf *owner = ldns_dname_new_frm_str("EXAMPLE.COM.");
    rrset_canon_t *s = NULL;
    assert_int_equal(rrset_canon_from_ldns(list, LDNS_RR_TYPE_MX, owner, &s), RRSET_OK);
    assert_string_equal(rrset_canon_text(s), "example.com. MX 10 mail.example.com.");
    rrset_canon_destroy(&s);
    assert_int_equal(rrset_canon_from_ldns(list, LDNS_RR_TYPE_MX, NULL, &s), RRSET_OK);
    assert_int_equal(rrset_canon_count(s), 2);
    rrset_canon_destroy(&s);
    assert_int_equal(rrset_canon_from_ldns(list, 0, owner, &s), RRSET_OK);
    assert_int_equal(rrset_canon_count(s), 3);
    rrset_canon_destroy(&s);

    /* The filter must be a name. */
    ldns_rdf *notname = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.1");
    s = (rrset_canon_t *)1;
    assert_int_equal(rrset_canon_from_ldns(list, 0, notname, &s), RRSET_ERR_INVAL);
    assert_null(s);
    ldns_rdf_deep_free(notname);
    ldns_rdf_deep_free(owner);
    ldns_rr_list_deep_free(list);
}

static void test_parse_text_round_trip(void **state)
{
    (void)state;
    const char *lines[] = {
        "Example.com. MX 10 Mail.Example.com.",
        "example.com. TXT \"v=spf1 -all\" \"say \\\"hi\\\" \\\\ \\255\"",
        "example.com. AAAA 2001:DB8::1",
        "example.com. TYPE65000 \\# 3 abcdef",
        "example.com. TYPE65001 \\# 0",
        "example.com. CH TXT \"chaos\"",
        "example.com. SOA ns1.example.com. h.example.com. 2024010101 7200 3600 1209600 300",
        "example.com. NSEC a.example.com. A MX NSEC",
        "example.com. CAA 0 issue \"letsencrypt.org\"",
        "example.com. HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1",
        "example.com. DS 12345 8 2 "
        "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
        "_443._tcp.example.com. TLSA 3 1 1 ABCDEF0123456789",
        "example.com. NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.Example.com.",
        "a\\.b.example.com. A 192.0.2.9",
        "example.com. TXT \"tab\\009and\\010newline\"",
    };
    rrset_canon_t *s = canon_of(lines, N(lines));
    rrset_canon_t *r = NULL;
    assert_int_equal(rrset_canon_parse_text(rrset_canon_text(s), &r), RRSET_OK);
    assert_string_equal(rrset_canon_text(r), rrset_canon_text(s));
    assert_true(rrset_canon_equal(r, s));
    assert_int_equal(rrset_canon_count(r), N(lines));
    assert_false(rrset_canon_min_ttl(r, NULL));
    rrset_canon_destroy(&r);

    /* Every line on its own, through from_text as a full line, too. */
    for (size_t i = 0; i < rrset_canon_count(s); i++) {
        const char *line = rrset_canon_line(s, i);
        rrset_canon_t *one = expect_of(&line, 1, NULL, 0);
        assert_string_equal(rrset_canon_text(one), line);
        rrset_canon_destroy(&one);
    }
    rrset_canon_destroy(&s);

    /* Stored text is re-canonicalized, not trusted: order and case are fixed. */
    assert_int_equal(rrset_canon_parse_text("B.example. A 192.0.2.2\nb.example. A 192.0.2.1", &r),
                     RRSET_OK);
    assert_string_equal(rrset_canon_text(r), "b.example. A 192.0.2.1\nb.example. A 192.0.2.2");
    rrset_canon_destroy(&r);

    r = (rrset_canon_t *)1;
    assert_int_equal(rrset_canon_parse_text("x.example. A 192.0.2.1\n", &r), RRSET_ERR_PARSE);
    assert_null(r);
    assert_int_equal(rrset_canon_parse_text("x.example. A 192.0.2.1\n\nx.example. A 1.2.3.4", &r),
                     RRSET_ERR_PARSE);
    assert_int_equal(rrset_canon_parse_text("x.example. A 300.0.0.1", &r), RRSET_ERR_PARSE);
    assert_int_equal(rrset_canon_parse_text("garbage", &r), RRSET_ERR_PARSE);
    assert_int_equal(rrset_canon_parse_text(NULL, &r), RRSET_ERR_INVAL);
}

/* from_text must fail with status want and a message holding every needle. */
static void assert_text_error(const char *const *lines, size_t n, const char *owner,
                              ldns_rr_type type, rrset_status want, const char *needle1,
                              const char *needle2)
{
    rrset_canon_t *s = (rrset_canon_t *)1;
    char err[256];
    assert_int_equal(rrset_canon_from_text(lines, n, owner, type, &s, err, sizeof err), want);
    assert_null(s);
    if (needle1 && !strstr(err, needle1))
        fail_msg("error \"%s\" lacks \"%s\"", err, needle1);
    if (needle2 && !strstr(err, needle2))
        fail_msg("error \"%s\" lacks \"%s\"", err, needle2);
}

static void test_errors(void **state)
{
    (void)state;
    const char *bad_mx[] = {"10 mail.example.com", "mail.example.com"};
    assert_text_error(bad_mx, 2, "example.com", LDNS_RR_TYPE_MX, RRSET_ERR_PARSE, "line 2",
                      "\"mail.example.com\"");
    const char *bad_a[] = {"192.0.2.300"};
    assert_text_error(bad_a, 1, "example.com", LDNS_RR_TYPE_A, RRSET_ERR_PARSE, "line 1",
                      "192.0.2.300");
    const char *bad_full[] = {"x.example. 300 IN A 192.0.2.1", "x.example. 300 IN MX ten mx."};
    assert_text_error(bad_full, 2, NULL, 0, RRSET_ERR_PARSE, "line 2", "MX ten");
    const char *blank[] = {"192.0.2.1", "   "};
    assert_text_error(blank, 2, "example.com", LDNS_RR_TYPE_A, RRSET_ERR_PARSE, "line 2", "empty");
    const char *extra[] = {"192.0.2.1 192.0.2.2"};
    assert_text_error(extra, 1, "example.com", LDNS_RR_TYPE_A, RRSET_ERR_PARSE, "line 1", NULL);
    const char *bad_owner[] = {"192.0.2.1"};
    assert_text_error(bad_owner, 1, "a..example", LDNS_RR_TYPE_A, RRSET_ERR_PARSE, "a..example",
                      NULL);
    const char *null_line[] = {NULL};
    assert_text_error(null_line, 1, "example.com", LDNS_RR_TYPE_A, RRSET_ERR_INVAL, "line 1", NULL);

    /* Long lines are cut in the message, and the buffer is never overrun. */
    char longline[400];
    memset(longline, 'z', sizeof longline - 1);
    longline[sizeof longline - 1] = '\0';
    const char *lng[] = {longline};
    assert_text_error(lng, 1, "example.com", LDNS_RR_TYPE_A, RRSET_ERR_PARSE, "line 1", "...");
    rrset_canon_t *s = NULL;
    char tiny[8];
    assert_int_equal(
        rrset_canon_from_text(lng, 1, "example.com", LDNS_RR_TYPE_A, &s, tiny, sizeof tiny),
        RRSET_ERR_PARSE);
    assert_int_equal(strlen(tiny), sizeof tiny - 1);
    assert_int_equal(rrset_canon_from_text(lng, 1, "example.com", LDNS_RR_TYPE_A, &s, NULL, 0),
                     RRSET_ERR_PARSE);
    assert_int_equal(rrset_canon_from_text(lng, 1, "example.com", LDNS_RR_TYPE_A, NULL, NULL, 0),
                     RRSET_ERR_INVAL);
    assert_int_equal(rrset_canon_from_ldns(NULL, 0, NULL, NULL), RRSET_ERR_INVAL);
    assert_string_equal(rrset_status_str(RRSET_ERR_PARSE), "cannot parse record");
}

static void test_line_from_rr(void **state)
{
    (void)state;
    ldns_rr *rr = NULL;
    assert_int_equal(
        ldns_rr_new_frm_str(&rr, "Example.COM. 300 IN MX 10 Mail.Example.COM.", 0, NULL, NULL),
        LDNS_STATUS_OK);
    char *line = NULL;
    assert_int_equal(rrset_line_from_rr(rr, &line), RRSET_OK);
    assert_string_equal(line, "example.com. MX 10 mail.example.com.");
    free(line);
    /* The caller's record is not changed. */
    char *owner = ldns_rdf2str(ldns_rr_owner(rr));
    assert_string_equal(owner, "Example.COM.");
    free(owner);
    ldns_rr_free(rr);
    assert_int_equal(rrset_line_from_rr(NULL, &line), RRSET_ERR_INVAL);
}

static void test_limits(void **state)
{
    (void)state;
    /* One record over the count limit. */
    ldns_rr_list *list = ldns_rr_list_new();
    for (unsigned i = 0; i <= RRSET_MAX_RRS; i++) {
        char text[80];
        snprintf(text, sizeof text, "x.example. A 10.%u.%u.1", i / 256, i % 256);
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_rr_list_push_rr(list, rr));
    }
    rrset_canon_t *s = (rrset_canon_t *)1;
    assert_int_equal(rrset_canon_from_ldns(list, 0, NULL, &s), RRSET_ERR_TOO_MANY);
    assert_null(s);
    /* Exactly at the limit is fine. */
    ldns_rr_free(ldns_rr_list_pop_rr(list));
    assert_int_equal(rrset_canon_from_ldns(list, 0, NULL, &s), RRSET_OK);
    assert_int_equal(rrset_canon_count(s), RRSET_MAX_RRS);
    rrset_canon_destroy(&s);
    ldns_rr_list_deep_free(list);

    const char *many[RRSET_MAX_RRS + 1];
    for (size_t i = 0; i < N(many); i++)
        many[i] = "192.0.2.1";
    assert_text_error(many, N(many), "x.example", LDNS_RR_TYPE_A, RRSET_ERR_TOO_MANY, "4096", NULL);

    /* Text over 1 MiB: 4096 records of 255 + 255 + 255 octets of TXT. */
    list = ldns_rr_list_new();
    char big[1024];
    char chunk[256];
    memset(chunk, 'q', 255);
    chunk[255] = '\0';
    for (unsigned i = 0; i < 2000; i++) {
        snprintf(big, sizeof big, "x.example. TXT \"%u\" \"%s\" \"%s\"", i, chunk, chunk);
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, big, 0, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_rr_list_push_rr(list, rr));
    }
    assert_int_equal(rrset_canon_from_ldns(list, 0, NULL, &s), RRSET_ERR_TOO_BIG);
    assert_null(s);
    ldns_rr_list_deep_free(list);

    size_t huge_len = RRSET_MAX_TEXT + 1;
    char *huge = malloc(huge_len + 1);
    assert_non_null(huge);
    memset(huge, 'a', huge_len);
    huge[huge_len] = '\0';
    assert_int_equal(rrset_canon_parse_text(huge, &s), RRSET_ERR_TOO_BIG);
    const char *hl[] = {huge};
    assert_text_error(hl, 1, "x.example", LDNS_RR_TYPE_TXT, RRSET_ERR_TOO_BIG, "line 1", NULL);
    free(huge);
}

/* The agent's fast path gives exactly the text of the set built the slow way. */
static void test_text_from_canonical_same(void **state)
{
    (void)state;
    static const char *const lines[] = {
        "Example.COM. 300 IN MX 20 MX2.Example.com.",
        "example.com. 60 IN MX 10 mx1.example.com.",
        "example.com. 300 IN MX 10 MX1.example.com.",
        "example.com. 30 IN TXT \"v=spf1 mx -all\" \"two\"",
        "www.example.com. 10 IN CNAME Host.Example.NET.",
        "host.example.net. 5 IN AAAA 2001:DB8:0:0::1",
        "*.example.com. 5 IN A 192.0.2.1",
        "_dmarc.example.com. 5 IN TXT \"v=DMARC1; p=reject\"",
        "example.com. 5 IN TYPE65280 \\# 2 abcd",
        "xn--bcher-kva.example. 5 IN NS ns1.xn--bcher-kva.example.",
    };
    size_t n = sizeof lines / sizeof lines[0];
    ldns_rr_list *slow = rr_list(lines, n);
    ldns_rr_list *fast = rr_list(lines, n);
    rrset_canon_t *set = NULL;
    assert_int_equal(rrset_canon_from_ldns(slow, 0, NULL, &set), RRSET_OK);
    for (size_t i = 0; i < ldns_rr_list_rr_count(fast); i++)
        ldns_rr2canonical(ldns_rr_list_rr(fast, i));
    arena_t *arena = arena_new();
    const char *text;
    uint32_t ttl = 0, set_ttl = 0;
    bool has_ttl = false;
    assert_int_equal(rrset_text_from_canonical(fast, arena, &text, &ttl, &has_ttl), RRSET_OK);
    assert_string_equal(text, rrset_canon_text(set));
    assert_true(has_ttl);
    assert_true(rrset_canon_min_ttl(set, &set_ttl));
    assert_int_equal(ttl, set_ttl);
    assert_int_equal(rrset_text_from_canonical(NULL, arena, &text, &ttl, &has_ttl), RRSET_OK);
    assert_string_equal(text, "");
    assert_false(has_ttl);
    arena_destroy(&arena);
    rrset_canon_destroy(&set);
    ldns_rr_list_deep_free(slow);
    ldns_rr_list_deep_free(fast);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_case_folding),
        cmocka_unit_test(test_ttl_apart),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_txt_as_ldns_presents),
        cmocka_unit_test(test_txt_from_wire),
        cmocka_unit_test(test_aaaa_normalised),
        cmocka_unit_test(test_bare_equals_full),
        cmocka_unit_test(test_bare_names_absolute),
        cmocka_unit_test(test_bare_txt),
        cmocka_unit_test(test_unknown_type_and_class),
        cmocka_unit_test(test_empty_set),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_parse_text_round_trip),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_line_from_rr),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_text_from_canonical_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

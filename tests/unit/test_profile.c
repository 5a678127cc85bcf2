/*
 * tests/unit/test_profile.c - the mail-health profile against an in-memory world.
 *
 * The world is a list of zone-file lines for many small test domains, each
 * broken in one way (good.test is healthy). A fake resolver answers from it
 * the way a recursive resolver would: the records of the question's type,
 * or a CNAME chain to them, NODATA when the name exists (or has names
 * below it) without such records, NXDOMAIN otherwise; a few questions are
 * set to fail with SERVFAIL. Each answer is a real ldns packet with the
 * observation fields filled as answer_from_raw() fills them. The driver
 * loop answers what the profile asked and runs it again until it is
 * complete, counting rounds.
 *
 * The DMARC module (agent/dmarc.c) is tested here too: it is small, and
 * its organizational-domain lookup is best seen through the profile.
 */
#include "tests/unit/testutil.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <sys/socket.h>

#include "agent/dmarc.h"
#include "agent/profile.h"
#include "common/dnsname.h"
#include "common/rrset.h"
#include "proto/schema.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const world[] = {
    "test. 300 IN SOA ns.test. hostmaster.test. 1 60 30 600 5",
    /* good.test: healthy (as tests/lab/zones/good.test.zone) */
    "good.test. 300 IN MX 10 mx1.good.test.",
    "good.test. 300 IN MX 20 mx2.good.test.",
    "good.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.good.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    "mx1.good.test. 300 IN A 192.0.2.10",
    "mx1.good.test. 300 IN AAAA 2001:db8::10",
    "mx2.good.test. 300 IN A 192.0.2.20",
    "mx2.good.test. 300 IN AAAA 2001:db8::20",
    "10.2.0.192.in-addr.arpa. 300 IN PTR mx1.good.test.",
    "20.2.0.192.in-addr.arpa. 300 IN PTR mx2.good.test.",
    "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR "
    "mx1.good.test.",
    "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. 300 IN PTR "
    "mx2.good.test.",
    /* nx.test: absent */
    /* nomx.test: exists, no MX, no address */
    "nomx.test. 300 IN TXT \"v=spf1 -all\"",
    "_dmarc.nomx.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* implicit.test: no MX, an address */
    "implicit.test. 300 IN A 192.0.2.30",
    "implicit.test. 300 IN TXT \"v=spf1 a -all\"",
    "_dmarc.implicit.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* nullmx.test: a lone null MX */
    "nullmx.test. 300 IN MX 0 .",
    "nullmx.test. 300 IN TXT \"v=spf1 -all\"",
    "_dmarc.nullmx.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* nullmix.test: a null MX beside real ones */
    "nullmix.test. 300 IN MX 0 .",
    "nullmix.test. 300 IN MX 10 mx1.good.test.",
    "nullmix.test. 300 IN MX 20 mx2.good.test.",
    "nullmix.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.nullmix.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tnx.test: one target does not exist */
    "tnx.test. 300 IN MX 10 mx1.good.test.",
    "tnx.test. 300 IN MX 20 gone.tnx.test.",
    "tnx.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tnx.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tnxall.test: no target exists */
    "tnxall.test. 300 IN MX 10 gone1.tnxall.test.",
    "tnxall.test. 300 IN MX 20 gone2.tnxall.test.",
    "tnxall.test. 300 IN TXT \"v=spf1 -all\"",
    "_dmarc.tnxall.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tnoaddr.test: a target without addresses */
    "tnoaddr.test. 300 IN MX 10 mx1.good.test.",
    "tnoaddr.test. 300 IN MX 20 host.tnoaddr.test.",
    "host.tnoaddr.test. 300 IN TXT \"a host without addresses\"",
    "tnoaddr.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tnoaddr.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tlit.test: an address as MX target */
    "tlit.test. 300 IN MX 10 mx1.good.test.",
    "tlit.test. 300 IN MX 20 192.0.2.99.",
    "tlit.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tlit.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tlit2.test: an address written without its trailing dot in the zone */
    "tlit2.test. 300 IN MX 10 mx1.good.test.",
    "tlit2.test. 300 IN MX 20 192.0.2.98.tlit2.test.",
    "tlit2.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tlit2.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tpriv.test: one target in private space */
    "tpriv.test. 300 IN MX 10 mx1.good.test.",
    "tpriv.test. 300 IN MX 20 lan.tpriv.test.",
    "lan.tpriv.test. 300 IN A 10.1.2.3",
    "lan.tpriv.test. 300 IN AAAA fd00::25",
    "tpriv.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tpriv.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tprivall.test: every target in private or loopback space */
    "tprivall.test. 300 IN MX 10 lan1.tprivall.test.",
    "tprivall.test. 300 IN MX 20 lan2.tprivall.test.",
    "lan1.tprivall.test. 300 IN A 192.168.1.50",
    "lan2.tprivall.test. 300 IN A 127.0.0.1",
    "lan2.tprivall.test. 300 IN AAAA ::ffff:127.0.0.1",
    "tprivall.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tprivall.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tcname.test: a target that is an alias */
    "tcname.test. 300 IN MX 10 mx1.good.test.",
    "tcname.test. 300 IN MX 20 alias.tcname.test.",
    "alias.tcname.test. 300 IN CNAME mx2.good.test.",
    "tcname.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tcname.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* tcnamenx.test: a target that is an alias for nothing */
    "tcnamenx.test. 300 IN MX 10 mx1.good.test.",
    "tcnamenx.test. 300 IN MX 20 alias.tcnamenx.test.",
    "alias.tcnamenx.test. 300 IN CNAME nowhere.tcnamenx.test.",
    "tcnamenx.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.tcnamenx.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* single.test: one MX host */
    "single.test. 300 IN MX 10 mx1.good.test.",
    "single.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.single.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* samepri.test: two hosts at one preference */
    "samepri.test. 300 IN MX 10 mx1.good.test.",
    "samepri.test. 300 IN MX 10 mx2.good.test.",
    "samepri.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.samepri.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* noptr.test: a host address without PTR (IPv4) */
    "noptr.test. 300 IN MX 10 mx1.good.test.",
    "noptr.test. 300 IN MX 20 host.noptr.test.",
    "host.noptr.test. 300 IN A 192.0.2.40",
    "noptr.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.noptr.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* noptr6.test: a host address without PTR (IPv6) */
    "noptr6.test. 300 IN MX 10 mx1.good.test.",
    "noptr6.test. 300 IN MX 20 host.noptr6.test.",
    "host.noptr6.test. 300 IN AAAA 2001:db8::40",
    "noptr6.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.noptr6.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* badptr.test: PTR names a host that does not resolve back */
    "badptr.test. 300 IN MX 10 mx1.good.test.",
    "badptr.test. 300 IN MX 20 host.badptr.test.",
    "host.badptr.test. 300 IN A 192.0.2.50",
    "50.2.0.192.in-addr.arpa. 300 IN PTR other.badptr.test.",
    "other.badptr.test. 300 IN A 192.0.2.51",
    "badptr.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.badptr.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* fcrdns.test: PTR names another host, which resolves back: fine */
    "fcrdns.test. 300 IN MX 10 mx1.good.test.",
    "fcrdns.test. 300 IN MX 20 mail.fcrdns.test.",
    "mail.fcrdns.test. 300 IN A 192.0.2.60",
    "60.2.0.192.in-addr.arpa. 300 IN PTR srv60.hosting.test.",
    "srv60.hosting.test. 300 IN A 192.0.2.60",
    "fcrdns.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.fcrdns.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* nospf.test: TXT, but none is SPF */
    "nospf.test. 300 IN MX 10 mx1.good.test.",
    "nospf.test. 300 IN MX 20 mx2.good.test.",
    "nospf.test. 300 IN TXT \"site-verification=abc\"",
    "_dmarc.nospf.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* spf2.test: two SPF records */
    "spf2.test. 300 IN MX 10 mx1.good.test.",
    "spf2.test. 300 IN MX 20 mx2.good.test.",
    "spf2.test. 300 IN TXT \"v=spf1 mx -all\"",
    "spf2.test. 300 IN TXT \"v=spf1 a -all\"",
    "_dmarc.spf2.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* spfsyn.test: an unknown mechanism */
    "spfsyn.test. 300 IN MX 10 mx1.good.test.",
    "spfsyn.test. 300 IN MX 20 mx2.good.test.",
    "spfsyn.test. 300 IN TXT \"v=spf1 mx ipv4:192.0.2.1 -all\"",
    "_dmarc.spfsyn.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* spfmany.test: so many errors that the message must be cut (at a character boundary) */
    "spfmany.test. 300 IN MX 10 mx1.good.test.",
    "spfmany.test. 300 IN MX 20 mx2.good.test.",
    "spfmany.test. 300 IN TXT \"v=spf1 ipv4:1 ipv4:2 ipv4:3 ipv4:4 ipv4:5 ipv4:6 ipv4:7 "
    "ipv4:8 ipv4:9 ipv4:10 ipv4:11 ipv4:12 ipv4:13 ipv4:14 ipv4:15 ipv4:16 ipv4:17 ipv4:18 "
    "ipv4:19 ipv4:20 -all\"",
    "_dmarc.spfmany.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* spfmod.test: an unknown modifier, which is fine */
    "spfmod.test. 300 IN MX 10 mx1.good.test.",
    "spfmod.test. 300 IN MX 20 mx2.good.test.",
    "spfmod.test. 300 IN TXT \"v=spf1 mx foo=bar -all\"",
    "_dmarc.spfmod.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* spfall.test: terms after all */
    "spfall.test. 300 IN MX 10 mx1.good.test.",
    "spfall.test. 300 IN MX 20 mx2.good.test.",
    "spfall.test. 300 IN TXT \"v=spf1 -all mx\"",
    "_dmarc.spfall.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* spf10.test and spf11.test: 10 and 11 lookups through include and redirect;
       the record is split into two character-strings */
    "spf10.test. 300 IN MX 10 mx1.good.test.",
    "spf10.test. 300 IN MX 20 mx2.good.test.",
    "spf10.test. 300 IN TXT \"v=spf1 include:_a.spf.test \" \"include:_b.spf.test -all\"",
    "_dmarc.spf10.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    "spf11.test. 300 IN MX 10 mx1.good.test.",
    "spf11.test. 300 IN MX 20 mx2.good.test.",
    "spf11.test. 300 IN TXT \"v=spf1 include:_a.spf.test \" \"include:_b.spf.test a -all\"",
    "_dmarc.spf11.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    "_a.spf.test. 300 IN TXT \"v=spf1 a mx ptr exists:%{i}.x.spf.test ~all\"",
    "_b.spf.test. 300 IN TXT \"v=spf1 a redirect=_c.spf.test\"",
    "_c.spf.test. 300 IN TXT \"v=spf1 mx mx:d.spf.test -all\"",
    /* spfloop.test: includes that loop */
    "spfloop.test. 300 IN MX 10 mx1.good.test.",
    "spfloop.test. 300 IN MX 20 mx2.good.test.",
    "spfloop.test. 300 IN TXT \"v=spf1 include:_l.spfloop.test -all\"",
    "_l.spfloop.test. 300 IN TXT \"v=spf1 mx include:spfloop.test -all\"",
    "_dmarc.spfloop.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* nodmarc.test: no DMARC anywhere */
    "nodmarc.test. 300 IN MX 10 mx1.good.test.",
    "nodmarc.test. 300 IN MX 20 mx2.good.test.",
    "nodmarc.test. 300 IN TXT \"v=spf1 mx -all\"",
    /* sub.orgdm.test: DMARC only at the organizational domain */
    "sub.orgdm.test. 300 IN MX 10 mx1.good.test.",
    "sub.orgdm.test. 300 IN MX 20 mx2.good.test.",
    "sub.orgdm.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.orgdm.test. 300 IN TXT \"v=DMARC1; p=quarantine\"",
    /* sub.orgnone.test: DMARC neither at the domain nor at the organizational domain */
    "sub.orgnone.test. 300 IN MX 10 mx1.good.test.",
    "sub.orgnone.test. 300 IN MX 20 mx2.good.test.",
    "sub.orgnone.test. 300 IN TXT \"v=spf1 mx -all\"",
    "orgnone.test. 300 IN TXT \"v=spf1 -all\"",
    /* sub.orgbad.test: the organizational domain's record is invalid */
    "sub.orgbad.test. 300 IN MX 10 mx1.good.test.",
    "sub.orgbad.test. 300 IN MX 20 mx2.good.test.",
    "sub.orgbad.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.orgbad.test. 300 IN TXT \"v=DMARC1; p=nothing\"",
    /* badp.test: p with an invalid value */
    "badp.test. 300 IN MX 10 mx1.good.test.",
    "badp.test. 300 IN MX 20 mx2.good.test.",
    "badp.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.badp.test. 300 IN TXT \"v=DMARC1; p=block; rua=mailto:d@badp.test\"",
    /* nop.test: no p at all */
    "nop.test. 300 IN MX 10 mx1.good.test.",
    "nop.test. 300 IN MX 20 mx2.good.test.",
    "nop.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.nop.test. 300 IN TXT \"v=DMARC1; sp=reject\"",
    /* twodm.test: two DMARC records (and one unrelated TXT) */
    "twodm.test. 300 IN MX 10 mx1.good.test.",
    "twodm.test. 300 IN MX 20 mx2.good.test.",
    "twodm.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.twodm.test. 300 IN TXT \"v=DMARC1; p=none\"",
    "_dmarc.twodm.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    "_dmarc.twodm.test. 300 IN TXT \"something else\"",
    /* dmcname.test: DMARC through a CNAME, p not right after v: fine */
    "dmcname.test. 300 IN MX 10 mx1.good.test.",
    "dmcname.test. 300 IN MX 20 mx2.good.test.",
    "dmcname.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.dmcname.test. 300 IN CNAME dmarc.provider.test.",
    "dmarc.provider.test. 300 IN TXT \"v=DMARC1; rua=mailto:r@provider.test; p=none\"",
    /* failmx.test: the MX question fails at this resolver */
    "failmx.test. 300 IN MX 10 mx1.good.test.",
    "failmx.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.failmx.test. 300 IN TXT \"v=DMARC1; p=reject\"",
    /* failtgt.test: a target's address questions fail */
    "failtgt.test. 300 IN MX 10 gone.failtgt.test.",
    "failtgt.test. 300 IN MX 20 broken.failtgt.test.",
    "broken.failtgt.test. 300 IN A 192.0.2.70",
    "failtgt.test. 300 IN TXT \"v=spf1 mx -all\"",
    "_dmarc.failtgt.test. 300 IN TXT \"v=DMARC1; p=reject\"",
};

/* Questions the fake resolver answers with SERVFAIL. */
static const struct {
    const char *qname;
    uint16_t qtype;
} failing[] = {
    {"failmx.test.", LDNS_RR_TYPE_MX},
    {"broken.failtgt.test.", LDNS_RR_TYPE_A},
    {"broken.failtgt.test.", LDNS_RR_TYPE_AAAA},
};

/* One question the profile asked, with its answer once given. */
typedef struct question {
    char qname[DNSNAME_TEXT_MAX]; /* canonical */
    uint16_t qtype;               /* type */
    answer_t *ans;                /* NULL until the driver answers */
    int round;                    /* round it was asked in (1-based) */
} question;

/* The fake resolver and its cache. */
typedef struct fake {
    ldns_rr_list *zone; /* every record of the world */
    question q[512];    /* every question asked */
    size_t n_q;         /* count */
    int round;          /* current round */
    arena_t *arena;     /* observation strings */
} fake;

static void fake_init(fake *f)
{
    memset(f, 0, sizeof *f);
    f->arena = arena_new();
    assert_non_null(f->arena);
    f->zone = ldns_rr_list_new();
    for (size_t i = 0; i < N(world); i++) {
        ldns_rr *rr = NULL;
        ldns_status st = ldns_rr_new_frm_str(&rr, world[i], 300, NULL, NULL);
        if (st != LDNS_STATUS_OK)
            fail_msg("cannot parse \"%s\": %s", world[i], ldns_get_errorstr_by_id(st));
        ldns_rr_list_push_rr(f->zone, rr);
    }
    f->round = 1;
}

static void fake_free(fake *f)
{
    for (size_t i = 0; i < f->n_q; i++) {
        if (f->q[i].ans) {
            answer_clear(f->q[i].ans);
            free(f->q[i].ans);
        }
    }
    ldns_rr_list_deep_free(f->zone);
    arena_destroy(&f->arena);
}

/* True when a record of the zone is owned by name or by a name below it. */
static bool name_exists(const fake *f, const ldns_rdf *name)
{
    for (size_t i = 0; i < ldns_rr_list_rr_count(f->zone); i++) {
        const ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(f->zone, i));
        if (ldns_dname_compare(owner, name) == 0 || ldns_dname_is_subdomain(owner, name))
            return true;
    }
    return false;
}

/* Push clones of the zone's records at name of type into the answer section; their count. */
static size_t push_matching(const fake *f, ldns_pkt *pkt, const ldns_rdf *name, ldns_rr_type type)
{
    size_t n = 0;
    for (size_t i = 0; i < ldns_rr_list_rr_count(f->zone); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(f->zone, i);
        if (ldns_rr_get_type(rr) == type && ldns_dname_compare(ldns_rr_owner(rr), name) == 0) {
            ldns_pkt_push_rr(pkt, LDNS_SECTION_ANSWER, ldns_rr_clone(rr));
            n++;
        }
    }
    return n;
}

/* The answer a recursive resolver would give to (qname, qtype) from the world. */
static answer_t *resolve(fake *f, const char *qname, uint16_t qtype)
{
    answer_t *ans = calloc(1, sizeof *ans);
    assert_non_null(ans);
    ldns_pkt *pkt =
        ldns_pkt_query_new(ldns_dname_new_frm_str(qname), qtype, LDNS_RR_CLASS_IN, LDNS_RD);
    assert_non_null(pkt);
    ldns_pkt_set_qr(pkt, true);
    ldns_pkt_set_ra(pkt, true);
    uint8_t rcode = LDNS_RCODE_NOERROR;
    uint8_t fail = PROTO_FAIL_NONE;
    bool failed = false;
    for (size_t i = 0; i < N(failing); i++)
        failed = failed || (strcmp(failing[i].qname, qname) == 0 && failing[i].qtype == qtype);
    if (failed) {
        rcode = LDNS_RCODE_SERVFAIL;
        fail = PROTO_FAIL_SERVFAIL;
    } else {
        ldns_rdf *cur = ldns_dname_new_frm_str(qname);
        for (int hop = 0; hop < 8; hop++) {
            if (push_matching(f, pkt, cur, qtype) > 0)
                break;
            if (qtype != LDNS_RR_TYPE_CNAME && push_matching(f, pkt, cur, LDNS_RR_TYPE_CNAME) > 0) {
                ldns_rr_list *an = ldns_pkt_answer(pkt);
                ldns_rr *cn = ldns_rr_list_rr(an, ldns_rr_list_rr_count(an) - 1);
                ldns_rdf_deep_free(cur);
                cur = ldns_rdf_clone(ldns_rr_rdf(cn, 0));
                continue;
            }
            if (!name_exists(f, cur))
                rcode = LDNS_RCODE_NXDOMAIN;
            break;
        }
        ldns_rdf_deep_free(cur);
        if (ldns_pkt_ancount(pkt) == 0 || rcode == LDNS_RCODE_NXDOMAIN) {
            ldns_rdf *soa_owner = ldns_dname_new_frm_str("test.");
            for (size_t i = 0; i < ldns_rr_list_rr_count(f->zone); i++) {
                const ldns_rr *rr = ldns_rr_list_rr(f->zone, i);
                if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
                    ldns_pkt_push_rr(pkt, LDNS_SECTION_AUTHORITY, ldns_rr_clone(rr));
            }
            ldns_rdf_deep_free(soa_owner);
        }
    }
    ldns_pkt_set_rcode(pkt, rcode);

    proto_obs *o = &ans->obs;
    o->resolver = "local";
    o->kind = "local";
    o->qname = arena_strdup(f->arena, qname);
    o->qtype = qtype;
    o->rcode = rcode;
    o->fail = fail;
    o->flags = PROTO_FLAG_RA;
    rrset_canon_t *set = NULL;
    assert_int_equal(rrset_canon_from_ldns(ldns_pkt_answer(pkt), 0, NULL, &set), RRSET_OK);
    o->rrset = arena_strdup(f->arena, rrset_canon_text(set));
    o->has_ttl = rrset_canon_min_ttl(set, &o->ttl_min);
    rrset_canon_destroy(&set);
    ans->pkt = pkt;
    return ans;
}

/* profile_lookup over the fake: the cached answer, or NULL and the question noted. */
static const answer_t *lookup(void *ctx, const char *qname, uint16_t qtype)
{
    fake *f = ctx;
    char name[DNSNAME_TEXT_MAX];
    assert_int_equal(dnsname_normalize(qname, name, sizeof name), DNSNAME_OK);
    for (size_t i = 0; i < f->n_q; i++) {
        if (f->q[i].qtype == qtype && strcmp(f->q[i].qname, name) == 0)
            return f->q[i].ans;
    }
    assert_true(f->n_q < N(f->q));
    question *q = &f->q[f->n_q++];
    snprintf(q->qname, sizeof q->qname, "%s", name);
    q->qtype = qtype;
    q->round = f->round;
    return NULL;
}

/* Run the profile of domain to completion; returns the rounds of questions it took. */
static int drive(fake *f, const profile_input *in, findings_t *out)
{
    for (int runs = 1; runs <= 10; runs++) {
        size_t before = out->n;
        if (profile_mail_run(in, out))
            return runs - 1;
        assert_int_equal(out->n, before);
        size_t answered = 0;
        for (size_t i = 0; i < f->n_q; i++) {
            if (!f->q[i].ans) {
                f->q[i].ans = resolve(f, f->q[i].qname, f->q[i].qtype);
                answered++;
            }
        }
        if (answered == 0)
            fail_msg("the profile is incomplete but asked nothing new");
        f->round++;
    }
    fail_msg("the profile of %s did not complete in 10 runs", in->domain);
    return -1;
}

/* One profile run over the world; findings and rounds. */
typedef struct result {
    fake f;         /* the fake resolver, with every question asked */
    findings_t out; /* the findings */
    arena_t *arena; /* their strings */
    int rounds;     /* rounds of questions */
} result;

static void run_domain(result *r, const char *domain, const profile_range *extra, size_t n_extra)
{
    fake_init(&r->f);
    r->arena = arena_new();
    assert_non_null(r->arena);
    findings_init(&r->out, r->arena);
    profile_input in = {.domain = domain,
                        .resolver = "local",
                        .lookup = lookup,
                        .lookup_ctx = &r->f,
                        .extra_private = extra,
                        .n_extra_private = n_extra};
    r->rounds = drive(&r->f, &in, &r->out);
    for (size_t i = 0; i < r->out.n; i++) {
        const char *m = r->out.v[i].message;
        if (!pschema_utf8_ok(m, strlen(m)) || strlen(m) >= PROTO_NAME_MAX)
            fail_msg("%s message is not wire-safe: %s", r->out.v[i].code, m);
    }
    if (getenv("VANTAGE_TEST_VERBOSE")) {
        for (size_t i = 0; i < r->out.n; i++)
            fprintf(stderr, "  %s [%d] %s: %s\n", r->out.v[i].code, r->out.v[i].severity,
                    r->out.v[i].name, r->out.v[i].message);
    }
}

static void result_free(result *r)
{
    findings_free(&r->out);
    arena_destroy(&r->arena);
    fake_free(&r->f);
}

/* The finding with this code (and name when not NULL); fails when absent. */
static const proto_finding *get(const result *r, const char *code, const char *name)
{
    for (size_t i = 0; i < r->out.n; i++) {
        if (strcmp(r->out.v[i].code, code) == 0 && (!name || strcmp(r->out.v[i].name, name) == 0))
            return &r->out.v[i];
    }
    fail_msg("no %s%s%s finding", code, name ? " for " : "", name ? name : "");
    return NULL;
}

/* Exactly one finding, with this code and severity; returns it. */
static const proto_finding *only(const result *r, const char *code, proto_severity sev)
{
    if (r->out.n != 1) {
        for (size_t i = 0; i < r->out.n; i++)
            fprintf(stderr, "  got %s: %s\n", r->out.v[i].code, r->out.v[i].message);
        fail_msg("%zu findings, want only %s", r->out.n, code);
    }
    const proto_finding *f = get(r, code, NULL);
    assert_int_equal(f->severity, sev);
    assert_string_equal(f->resolver, "local");
    return f;
}

/* The message holds every one of the words. */
static void assert_says(const proto_finding *f, const char *w1, const char *w2)
{
    if (w1 && !strstr(f->message, w1))
        fail_msg("%s message \"%s\" lacks \"%s\"", f->code, f->message, w1);
    if (w2 && !strstr(f->message, w2))
        fail_msg("%s message \"%s\" lacks \"%s\"", f->code, f->message, w2);
}

/* Whether a question was asked. */
static bool asked(const result *r, const char *qname, uint16_t qtype)
{
    for (size_t i = 0; i < r->f.n_q; i++) {
        if (r->f.q[i].qtype == qtype && strcmp(r->f.q[i].qname, qname) == 0)
            return true;
    }
    return false;
}

/* --- tests --------------------------------------------------------------- */

static void test_healthy(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "Good.Test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    /* MX, TXT, _dmarc; A/AAAA of the targets; PTRs (whose names are the MX hosts) */
    assert_int_equal(r.rounds, 3);
    assert_int_equal(r.f.n_q, 3 + 4 + 4);
    assert_int_equal(r.f.q[0].qtype, LDNS_RR_TYPE_MX);
    assert_string_equal(r.f.q[0].qname, "good.test.");
    assert_true(asked(&r, "_dmarc.good.test.", LDNS_RR_TYPE_TXT));
    assert_true(asked(&r, "10.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR));
    assert_true(asked(&r,
                      "0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.",
                      LDNS_RR_TYPE_PTR));
    for (size_t i = 0; i < r.f.n_q; i++) {
        int want = r.f.q[i].qtype == LDNS_RR_TYPE_PTR                                          ? 3
                   : (r.f.q[i].qtype == LDNS_RR_TYPE_A || r.f.q[i].qtype == LDNS_RR_TYPE_AAAA) ? 2
                                                                                               : 1;
        assert_int_equal(r.f.q[i].round, want);
    }

    /* runs are deterministic: a run over the same answers says the same */
    findings_t again;
    findings_init(&again, r.arena);
    profile_input in = {
        .domain = "good.test", .resolver = "local", .lookup = lookup, .lookup_ctx = &r.f};
    assert_true(profile_mail_run(&in, &again));
    assert_int_equal(again.n, 0);
    findings_free(&again);
    result_free(&r);
}

static void test_domain_nxdomain(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "nx.test.", NULL, 0);
    const proto_finding *f = only(&r, "DOMAIN_NXDOMAIN", PROTO_SEV_CRITICAL);
    assert_string_equal(f->name, "nx.test.");
    assert_says(f, "nx.test.", "NXDOMAIN");
    /* it stands alone: nothing is asked after the first round */
    assert_int_equal(r.rounds, 1);
    result_free(&r);
}

static void test_mx_missing_and_implicit(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "nomx.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_MISSING", PROTO_SEV_CRITICAL);
    assert_string_equal(f->name, "nomx.test.");
    result_free(&r);

    run_domain(&r, "implicit.test", NULL, 0);
    f = only(&r, "IMPLICIT_MX", PROTO_SEV_WARNING);
    assert_says(f, "implicit.test.", "192.0.2.30");
    result_free(&r);
}

static void test_null_mx(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "nullmx.test", NULL, 0);
    /* a lone null MX: no target, PTR or single-MX checks */
    only(&r, "NULL_MX", PROTO_SEV_INFO);
    assert_false(asked(&r, ".", LDNS_RR_TYPE_A));
    for (size_t i = 0; i < r.f.n_q; i++)
        assert_int_not_equal(r.f.q[i].qtype, LDNS_RR_TYPE_PTR);
    result_free(&r);

    run_domain(&r, "nullmix.test", NULL, 0);
    const proto_finding *f = only(&r, "NULL_MX", PROTO_SEV_CRITICAL);
    assert_says(f, "mx1.good.test.", "RFC 7505");
    result_free(&r);
}

static void test_target_nxdomain(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "tnx.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_TARGET_NXDOMAIN", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "gone.tnx.test.");
    assert_says(f, "gone.tnx.test.", "tnx.test.");
    result_free(&r);

    /* no target can take mail: critical, and never also "no address" */
    run_domain(&r, "tnxall.test", NULL, 0);
    assert_int_equal(r.out.n, 2);
    assert_int_equal(get(&r, "MX_TARGET_NXDOMAIN", "gone1.tnxall.test.")->severity,
                     PROTO_SEV_CRITICAL);
    assert_int_equal(get(&r, "MX_TARGET_NXDOMAIN", "gone2.tnxall.test.")->severity,
                     PROTO_SEV_CRITICAL);
    assert_false(findings_has(&r.out, "MX_TARGET_NO_ADDRESS", NULL));
    result_free(&r);
}

static void test_target_no_address(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "tnoaddr.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_TARGET_NO_ADDRESS", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "host.tnoaddr.test.");
    result_free(&r);
}

static void test_target_ip_literal(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "tlit.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_TARGET_IP_LITERAL", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "192.0.2.99.");
    /* a literal is not looked up as a name */
    assert_false(asked(&r, "192.0.2.99.", LDNS_RR_TYPE_A));
    result_free(&r);

    run_domain(&r, "tlit2.test", NULL, 0);
    f = only(&r, "MX_TARGET_IP_LITERAL", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "192.0.2.98.tlit2.test.");
    assert_says(f, "192.0.2.98", "trailing dot");
    result_free(&r);
}

static void test_target_private(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "tpriv.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_TARGET_PRIVATE_ADDRESS", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "lan.tpriv.test.");
    assert_says(f, "10.1.2.3", "fd00::25");
    /* no reverse DNS check of private addresses */
    assert_false(asked(&r, "3.2.1.10.in-addr.arpa.", LDNS_RR_TYPE_PTR));
    result_free(&r);

    run_domain(&r, "tprivall.test", NULL, 0);
    assert_int_equal(r.out.n, 2);
    f = get(&r, "MX_TARGET_PRIVATE_ADDRESS", "lan1.tprivall.test.");
    assert_int_equal(f->severity, PROTO_SEV_CRITICAL);
    assert_says(f, "192.168.1.50", "private");
    f = get(&r, "MX_TARGET_PRIVATE_ADDRESS", "lan2.tprivall.test.");
    assert_int_equal(f->severity, PROTO_SEV_CRITICAL);
    assert_says(f, "127.0.0.1", "loopback");
    result_free(&r);

    /* more ranges by option: the documentation ranges made private */
    profile_range extra[2] = {{.family = AF_INET, .prefix = 24},
                              {.family = AF_INET6, .prefix = 32}};
    inet_pton(AF_INET, "192.0.2.0", extra[0].addr);
    inet_pton(AF_INET6, "2001:db8::", extra[1].addr);
    run_domain(&r, "good.test", extra, 1);
    assert_int_equal(r.out.n, 2);
    assert_int_equal(get(&r, "MX_TARGET_PRIVATE_ADDRESS", "mx1.good.test.")->severity,
                     PROTO_SEV_WARNING);
    result_free(&r);
    run_domain(&r, "good.test", extra, 2);
    assert_int_equal(r.out.n, 2);
    f = get(&r, "MX_TARGET_PRIVATE_ADDRESS", "mx2.good.test.");
    assert_int_equal(f->severity, PROTO_SEV_CRITICAL);
    assert_says(f, "configured as private", "2001:db8::20");
    result_free(&r);
}

static void test_target_cname(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "tcname.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_TARGET_CNAME", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "alias.tcname.test.");
    assert_says(f, "alias.tcname.test. is an alias (CNAME) for mx2.good.test.", "RFC 2181 §10.3");
    /* seen in the A/AAAA answers: no CNAME question */
    assert_false(asked(&r, "alias.tcname.test.", LDNS_RR_TYPE_CNAME));
    result_free(&r);

    /* an alias for nothing: both, and the NXDOMAIN names the alias' target */
    run_domain(&r, "tcnamenx.test", NULL, 0);
    assert_int_equal(r.out.n, 2);
    get(&r, "MX_TARGET_CNAME", "alias.tcnamenx.test.");
    f = get(&r, "MX_TARGET_NXDOMAIN", "alias.tcnamenx.test.");
    assert_int_equal(f->severity, PROTO_SEV_WARNING);
    assert_says(f, "nowhere.tcnamenx.test.", NULL);
    result_free(&r);
}

static void test_single_and_same_priority(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "single.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_SINGLE", PROTO_SEV_INFO);
    assert_says(f, "mx1.good.test.", NULL);
    result_free(&r);

    run_domain(&r, "samepri.test", NULL, 0);
    f = only(&r, "MX_SAME_PRIORITY", PROTO_SEV_INFO);
    assert_says(f, "mx1.good.test.", "mx2.good.test.");
    result_free(&r);
}

static void test_ptr(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "noptr.test", NULL, 0);
    const proto_finding *f = only(&r, "PTR_MISSING", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "40.2.0.192.in-addr.arpa.");
    assert_says(f, "192.0.2.40", "host.noptr.test.");
    result_free(&r);

    run_domain(&r, "noptr6.test", NULL, 0);
    f = only(&r, "PTR_MISSING", PROTO_SEV_WARNING);
    assert_string_equal(
        f->name, "0.4.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
    assert_says(f, "2001:db8::40", NULL);
    result_free(&r);

    run_domain(&r, "badptr.test", NULL, 0);
    f = only(&r, "PTR_MISMATCH", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "50.2.0.192.in-addr.arpa.");
    assert_says(f, "other.badptr.test.", "192.0.2.50");
    /* forward confirmation asks the PTR name: a fourth round */
    assert_true(asked(&r, "other.badptr.test.", LDNS_RR_TYPE_A));
    assert_int_equal(r.rounds, 4);
    result_free(&r);

    /* the PTR name need not be the MX name, only resolve back */
    run_domain(&r, "fcrdns.test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    assert_int_equal(r.rounds, 4);
    result_free(&r);
}

static void test_spf_findings(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "nospf.test", NULL, 0);
    only(&r, "SPF_MISSING", PROTO_SEV_WARNING);
    result_free(&r);

    run_domain(&r, "spf2.test", NULL, 0);
    only(&r, "SPF_MULTIPLE", PROTO_SEV_WARNING);
    result_free(&r);

    run_domain(&r, "spfsyn.test", NULL, 0);
    const proto_finding *f = only(&r, "SPF_SYNTAX", PROTO_SEV_WARNING);
    assert_says(f, "ipv4:192.0.2.1", "not a known mechanism");
    result_free(&r);

    run_domain(&r, "spfmany.test", NULL, 0);
    f = only(&r, "SPF_SYNTAX", PROTO_SEV_WARNING);
    assert_says(f, "20 syntax errors", "ipv4:1");
    result_free(&r);

    run_domain(&r, "spfmod.test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    result_free(&r);

    run_domain(&r, "spfall.test", NULL, 0);
    f = only(&r, "SPF_AFTER_ALL", PROTO_SEV_INFO);
    assert_says(f, "\"mx\"", "§5.1");
    result_free(&r);
}

static void test_spf_lookups(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "spf10.test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    assert_true(asked(&r, "_c.spf.test.", LDNS_RR_TYPE_TXT));
    result_free(&r);

    run_domain(&r, "spf11.test", NULL, 0);
    const proto_finding *f = only(&r, "SPF_TOO_MANY_LOOKUPS", PROTO_SEV_WARNING);
    assert_says(f, "11 DNS lookups", "include:_a.spf.test 5");
    result_free(&r);

    run_domain(&r, "spfloop.test", NULL, 0);
    f = only(&r, "SPF_TOO_MANY_LOOKUPS", PROTO_SEV_WARNING);
    assert_says(f, "loop", "spfloop.test.");
    result_free(&r);
}

static void test_dmarc_findings(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "nodmarc.test", NULL, 0);
    const proto_finding *f = only(&r, "DMARC_MISSING", PROTO_SEV_INFO);
    assert_string_equal(f->name, "_dmarc.nodmarc.test.");
    result_free(&r);

    /* missing at the domain, present at the organizational domain: fine */
    run_domain(&r, "sub.orgdm.test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    assert_true(asked(&r, "_dmarc.orgdm.test.", LDNS_RR_TYPE_TXT));
    result_free(&r);

    run_domain(&r, "sub.orgnone.test", NULL, 0);
    f = only(&r, "DMARC_MISSING", PROTO_SEV_INFO);
    assert_says(f, "_dmarc.sub.orgnone.test.", "_dmarc.orgnone.test.");
    result_free(&r);

    run_domain(&r, "sub.orgbad.test", NULL, 0);
    f = only(&r, "DMARC_INVALID", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "_dmarc.orgbad.test.");
    result_free(&r);

    run_domain(&r, "badp.test", NULL, 0);
    f = only(&r, "DMARC_INVALID", PROTO_SEV_WARNING);
    assert_says(f, "\"block\"", "act as if it said p=none");
    result_free(&r);

    run_domain(&r, "nop.test", NULL, 0);
    f = only(&r, "DMARC_INVALID", PROTO_SEV_WARNING);
    assert_says(f, "no p= tag", "ignore it");
    result_free(&r);

    run_domain(&r, "twodm.test", NULL, 0);
    f = only(&r, "DMARC_INVALID", PROTO_SEV_WARNING);
    assert_says(f, "2 DMARC records", NULL);
    result_free(&r);

    run_domain(&r, "dmcname.test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    result_free(&r);
}

static void test_failed_answers_decide_nothing(void **state)
{
    (void)state;
    result r;
    run_domain(&r, "failmx.test", NULL, 0);
    assert_int_equal(r.out.n, 0);
    result_free(&r);

    /* one target unknown (failed), the other does not exist: a warning, not critical */
    run_domain(&r, "failtgt.test", NULL, 0);
    const proto_finding *f = only(&r, "MX_TARGET_NXDOMAIN", PROTO_SEV_WARNING);
    assert_string_equal(f->name, "gone.failtgt.test.");
    result_free(&r);
}

static void test_bad_input(void **state)
{
    (void)state;
    fake f;
    fake_init(&f);
    arena_t *arena = arena_new();
    findings_t out;
    findings_init(&out, arena);
    profile_input in = {.domain = "a..b", .resolver = "local", .lookup = lookup, .lookup_ctx = &f};
    assert_true(profile_mail_run(&in, &out));
    assert_int_equal(out.n, 0);
    assert_int_equal(f.n_q, 0);
    in.domain = NULL;
    assert_true(profile_mail_run(&in, &out));
    findings_free(&out);
    arena_destroy(&arena);
    fake_free(&f);
}

/* --- the DMARC module ------------------------------------------------------ */

static void test_dmarc_parse(void **state)
{
    (void)state;
    dmarc_record rec;
    char why[200];
    assert_true(dmarc_is_record("v=DMARC1; p=none"));
    assert_true(dmarc_is_record("v = DMARC1 ;p=none"));
    assert_true(dmarc_is_record("v=DMARC1"));
    assert_false(dmarc_is_record("v=dmarc1; p=none"));
    assert_false(dmarc_is_record("v=DMARC10; p=none"));
    assert_false(dmarc_is_record("p=none; v=DMARC1"));
    assert_false(dmarc_is_record("v=spf1 -all"));
    assert_false(dmarc_is_record(NULL));

    assert_true(dmarc_parse("v=DMARC1; p=reject", &rec, why, sizeof why));
    assert_int_equal(rec.policy, DMARC_POLICY_REJECT);
    assert_true(rec.p_second);
    assert_true(dmarc_parse("v=DMARC1;p=Quarantine;pct=50;", &rec, why, sizeof why));
    assert_int_equal(rec.policy, DMARC_POLICY_QUARANTINE);
    assert_true(dmarc_parse("v=DMARC1 ; p = none ; rua=mailto:a@example.com", &rec, NULL, 0));
    assert_int_equal(rec.policy, DMARC_POLICY_NONE);
    assert_true(rec.has_rua);
    assert_string_equal(dmarc_policy_name(rec.policy), "none");

    /* p elsewhere is accepted, and said so */
    assert_true(dmarc_parse("v=DMARC1; rua=mailto:a@example.com; p=reject", &rec, why, sizeof why));
    assert_false(rec.p_second);

    assert_false(dmarc_parse("v=DMARC1; p=block", &rec, why, sizeof why));
    assert_int_equal(rec.policy, DMARC_POLICY_INVALID);
    assert_string_equal(rec.p_value, "block");
    assert_non_null(strstr(why, "\"block\""));
    assert_false(dmarc_parse("v=DMARC1; sp=reject", &rec, why, sizeof why));
    assert_false(rec.has_p);
    assert_non_null(strstr(why, "no p= tag"));
    assert_false(dmarc_parse("v=DMARC1; p=", &rec, why, sizeof why));
    assert_false(dmarc_parse("v=DMARC1 p=reject", &rec, why, sizeof why));
    assert_non_null(strstr(why, "\";\""));
    assert_false(dmarc_parse("v=DMARC1; p=reject rua=mailto:a@example.com", &rec, why, sizeof why));
    assert_false(dmarc_parse("v=spf1", &rec, why, sizeof why));
    assert_true(dmarc_parse("v=DMARC1; p=none; p=reject", &rec, why, sizeof why));
    assert_true(rec.p_repeated);
    assert_int_equal(rec.policy, DMARC_POLICY_NONE);
}

static void test_dmarc_org_domain(void **state)
{
    (void)state;
    char org[256];
    assert_true(dmarc_org_domain("mail.Example.COM.", org, sizeof org));
    assert_string_equal(org, "example.com.");
    assert_true(dmarc_org_domain("a.b.example.co.uk", org, sizeof org));
    assert_string_equal(org, "example.co.uk.");
    assert_true(dmarc_org_domain("sub.orgdm.test.", org, sizeof org));
    assert_string_equal(org, "orgdm.test.");
    assert_true(dmarc_org_domain("good.test", org, sizeof org));
    assert_string_equal(org, "good.test.");
    assert_false(dmarc_org_domain("co.uk", org, sizeof org));
    assert_false(dmarc_org_domain("com.", org, sizeof org));
    assert_false(dmarc_org_domain("example.com", org, 5));
    assert_false(dmarc_org_domain("a..b", org, sizeof org));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy),
        cmocka_unit_test(test_domain_nxdomain),
        cmocka_unit_test(test_mx_missing_and_implicit),
        cmocka_unit_test(test_null_mx),
        cmocka_unit_test(test_target_nxdomain),
        cmocka_unit_test(test_target_no_address),
        cmocka_unit_test(test_target_ip_literal),
        cmocka_unit_test(test_target_private),
        cmocka_unit_test(test_target_cname),
        cmocka_unit_test(test_single_and_same_priority),
        cmocka_unit_test(test_ptr),
        cmocka_unit_test(test_spf_findings),
        cmocka_unit_test(test_spf_lookups),
        cmocka_unit_test(test_dmarc_findings),
        cmocka_unit_test(test_failed_answers_decide_nothing),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_dmarc_parse),
        cmocka_unit_test(test_dmarc_org_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/test_answer.c - raw DNS answers, hostile and sound, turned into
 * observations by agent/answer.
 *
 * Answers are built with ldns and, for the broken ones, patched byte by
 * byte: cut short, compression loops, pointers and RDLENGTHs past the end,
 * another question, QR clear, oversized, junk records, binary EDNS options.
 * Each must come out classified (mostly PROTO_FAIL_MALFORMED) and as an
 * observation the wire accepts. The sound ones check negative TTLs and
 * serials, CNAME chains, and flags and transport taken from the raw answer.
 */
#include "tests/unit/testutil.h"

#include <ares.h>

#include "agent/answer.h"
#include "proto/msg.h"

#define QNAME    "example.test."
#define QNAME_AT 12 /* offset of the question name in a message */
#define AN_AT    30 /* offset of the first answer RR (owner "c0 0c") after QNAME */

/* A response to (qname, qtype) with QR and AA set and the given rcode. */
static ldns_pkt *pkt_new(const char *qname, ldns_rr_type qtype, ldns_pkt_rcode rcode)
{
    ldns_rdf *name = ldns_dname_new_frm_str(qname);
    assert_non_null(name);
    ldns_pkt *p = ldns_pkt_query_new(name, qtype, LDNS_RR_CLASS_IN, 0);
    assert_non_null(p);
    ldns_pkt_set_id(p, 0x1234);
    ldns_pkt_set_qr(p, true);
    ldns_pkt_set_aa(p, true);
    ldns_pkt_set_rcode(p, (uint8_t)rcode);
    return p;
}

/* Add one record in zone-file syntax to a section. */
static void pkt_add(ldns_pkt *p, ldns_pkt_section section, const char *text)
{
    ldns_rr *rr = NULL;
    ldns_status st = ldns_rr_new_frm_str(&rr, text, 300, NULL, NULL);
    if (st != LDNS_STATUS_OK)
        fail_msg("ldns cannot parse test record \"%s\": %s", text, ldns_get_errorstr_by_id(st));
    assert_true(ldns_pkt_push_rr(p, section, rr));
}

/* Wire form of p (malloced, caller frees); p is freed. */
static uint8_t *pkt_wire(ldns_pkt **p, size_t *len)
{
    uint8_t *wire = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, *p, len), LDNS_STATUS_OK);
    ldns_pkt_free(*p);
    *p = NULL;
    return wire;
}

/* A typical answer: MX, NS in authority, glue, EDNS with NSID. */
static uint8_t *mx_answer(size_t *len)
{
    ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
    pkt_add(p, LDNS_SECTION_ANSWER, QNAME " 30 IN MX 10 mx1." QNAME);
    pkt_add(p, LDNS_SECTION_ANSWER, QNAME " 10 IN MX 20 mx2." QNAME);
    pkt_add(p, LDNS_SECTION_AUTHORITY, QNAME " 30 IN NS ns1.lab.test.");
    pkt_add(p, LDNS_SECTION_ADDITIONAL, "mx1." QNAME " 30 IN A 192.0.2.10");
    ldns_pkt_set_edns_udp_size(p, 1232);
    ldns_edns_option_list *opts = ldns_edns_option_list_new();
    assert_non_null(opts);
    assert_true(
        ldns_edns_option_list_push(opts, ldns_edns_new_from_data(LDNS_EDNS_NSID, 7, "ns1-lab")));
    ldns_pkt_set_edns_option_list(p, opts);
    return pkt_wire(&p, len);
}

/* The observation goes on the wire: every string UTF-8, one RESULTS encodes. */
static void assert_obs_sendable(const proto_obs *o)
{
    const char *strs[] = {o->resolver, o->kind,  o->server,  o->nsid,
                          o->qname,    o->rrset, o->ede_text};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        assert_true(!strs[i] || pschema_utf8_ok(strs[i], strlen(strs[i])));
    proto_results r = {.obs = (proto_obs *)o, .n_obs = 1};
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    assert_int_equal(proto_body_encode(PROTO_RESULTS, &r, &pk, NULL), PROTO_OK);
    msgpack_sbuffer_destroy(&sb);
}

/* answer_from_raw over a UDP answer, checked to be sendable. */
static void from_wire(answer_t *ans, const uint8_t *wire, size_t len, const char *qname,
                      uint16_t qtype, arena_t *arena)
{
    answer_raw raw = {.wire = wire, .len = len, .ares_status = ARES_SUCCESS, .rtt_us = 500};
    assert_int_equal(
        answer_from_raw(ans, &raw, qname, qtype, "127.0.10.1", "auth", "ns1.lab.test.", arena), 0);
    assert_obs_sendable(&ans->obs);
}

/* The answer is classified as class, with no packet and no RR set. */
static void assert_fails(const uint8_t *wire, size_t len, const char *qname, uint16_t qtype,
                         uint8_t class)
{
    arena_t *arena = arena_new();
    answer_t ans;
    from_wire(&ans, wire, len, qname, qtype, arena);
    assert_int_equal(ans.obs.fail, class);
    if (class == PROTO_FAIL_MALFORMED) {
        assert_null(ans.pkt);
        assert_string_equal(ans.obs.rrset, "");
        assert_false(ans.obs.has_ttl);
        assert_false(answer_ok(&ans));
        assert_false(answer_nxdomain(&ans));
        assert_false(answer_nodata(&ans));
        assert_null(answer_records(&ans, LDNS_RR_TYPE_MX));
        assert_null(answer_cname_target(&ans));
    }
    answer_clear(&ans);
    arena_destroy(&arena);
}

static void assert_malformed(const uint8_t *wire, size_t len)
{
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_MX, PROTO_FAIL_MALFORMED);
}

static void test_sound_answer(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    arena_t *arena = arena_new();
    answer_t ans;
    from_wire(&ans, wire, len, "Example.TEST", LDNS_RR_TYPE_MX, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NONE);
    assert_string_equal(ans.obs.qname, QNAME);
    assert_string_equal(ans.obs.rrset, QNAME " MX 10 mx1." QNAME "\n" QNAME " MX 20 mx2." QNAME);
    assert_true(ans.obs.has_ttl);
    assert_int_equal(ans.obs.ttl_min, 10);
    assert_string_equal(ans.obs.nsid, "ns1-lab");
    assert_int_equal(ans.obs.flags, PROTO_FLAG_AA);
    assert_int_equal(ans.obs.transport, 0);
    assert_int_equal(ans.obs.rtt_us, 500);
    assert_true(answer_ok(&ans));
    assert_false(answer_nodata(&ans));
    ldns_rr_list *mx = answer_records(&ans, LDNS_RR_TYPE_MX);
    assert_non_null(mx);
    assert_int_equal(ldns_rr_list_rr_count(mx), 2);
    ldns_rr_list_deep_free(mx);
    assert_null(answer_records(&ans, LDNS_RR_TYPE_A)); /* glue is not an answer */
    answer_clear(&ans);
    assert_null(ans.pkt);
    arena_destroy(&arena);
    free(wire);
}

/* Every proper prefix of a real answer is malformed; none crashes. */
static void test_truncated_every_length(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    for (size_t cut = 0; cut < len; cut++) {
        uint8_t *copy = malloc(cut ? cut : 1); /* exact size, so ASan sees any overread */
        assert_non_null(copy);
        memcpy(copy, wire, cut);
        assert_malformed(copy, cut);
        free(copy);
    }
    free(wire);
}

static void test_zero_length_and_no_answer(void **state)
{
    (void)state;
    uint8_t byte = 0;
    assert_malformed(&byte, 0);

    arena_t *arena = arena_new();
    answer_t ans;
    answer_raw raw = {.wire = NULL, .ares_status = ARES_ETIMEOUT};
    assert_int_equal(
        answer_from_raw(&ans, &raw, QNAME, LDNS_RR_TYPE_MX, "r1", "local", NULL, arena), 0);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_TIMEOUT);
    assert_null(ans.pkt);
    raw.ares_status = ARES_ECONNREFUSED;
    assert_int_equal(
        answer_from_raw(&ans, &raw, QNAME, LDNS_RR_TYPE_MX, "r1", "local", NULL, arena), 0);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NETWORK);
    assert_obs_sendable(&ans.obs);
    arena_destroy(&arena);
}

static void test_compression_loops(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    assert_int_equal(wire[AN_AT], 0xc0);
    assert_int_equal(wire[AN_AT + 1], QNAME_AT);

    /* The answer's owner points at itself. */
    wire[AN_AT + 1] = AN_AT;
    assert_malformed(wire, len);

    /* Two pointers pointing at each other: question -> answer -> question. */
    uint8_t *two = malloc(len);
    memcpy(two, wire, len);
    two[QNAME_AT] = 0xc0;
    two[QNAME_AT + 1] = AN_AT;
    two[AN_AT + 1] = QNAME_AT;
    assert_malformed(two, len);

    /* A pointer forward to a later pointer that leads back. */
    memcpy(two, wire, len);
    two[QNAME_AT] = 0xc0;
    two[QNAME_AT + 1] = (uint8_t)(len - 2);
    two[len - 2] = 0xc0;
    two[len - 1] = QNAME_AT;
    assert_malformed(two, len);
    free(two);
    free(wire);
}

static void test_pointer_past_end(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    assert_true(len < 0x3fff);
    wire[AN_AT] = 0xff; /* 0x3fff: far beyond the message */
    wire[AN_AT + 1] = 0xff;
    assert_malformed(wire, len);
    wire[AN_AT] = 0xc0;
    wire[AN_AT + 1] = (uint8_t)len; /* just past the end */
    assert_malformed(wire, len);
    wire[AN_AT] = 0x80; /* the reserved label type 10 */
    wire[AN_AT + 1] = QNAME_AT;
    assert_malformed(wire, len);
    free(wire);

    /* A label whose length runs past the end of the message. */
    uint8_t label[] = {0x12, 0x34, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 63, 'a', 'b'};
    assert_malformed(label, sizeof label);
}

/* c-ares drops an answer whose id differs (the query then times out); the
 * id is not answer_from_raw's to check, so an otherwise matching answer
 * with another id is read like any other. */
static void test_other_id(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    wire[0] ^= 0xff;
    wire[1] ^= 0xff;
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_MX, PROTO_FAIL_NONE);
    free(wire);
}

static void test_other_question(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    assert_fails(wire, len, "other.test.", LDNS_RR_TYPE_MX, PROTO_FAIL_MALFORMED);
    assert_fails(wire, len, "www." QNAME, LDNS_RR_TYPE_MX, PROTO_FAIL_MALFORMED);
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_A, PROTO_FAIL_MALFORMED);

    /* The class of the question: CH instead of IN. */
    size_t qclass_at = QNAME_AT + strlen(QNAME) + 1 + 2;
    assert_int_equal(wire[qclass_at + 1], LDNS_RR_CLASS_IN);
    wire[qclass_at + 1] = LDNS_RR_CLASS_CH;
    assert_malformed(wire, len);
    wire[qclass_at + 1] = LDNS_RR_CLASS_IN;

    /* No question, or two (the header's count patched: ldns then reads on). */
    ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
    ldns_rr *q2 = NULL;
    assert_int_equal(ldns_rr_new_question_frm_str(&q2, "other.test. IN MX", NULL, NULL),
                     LDNS_STATUS_OK);
    assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q2));
    size_t len2;
    uint8_t *two = pkt_wire(&p, &len2);
    assert_malformed(two, len2);
    wire[5] = 0;
    assert_malformed(wire, len);
    free(two);
    free(wire);
}

static void test_qr_clear(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    wire[2] &= 0x7f;
    assert_malformed(wire, len);
    free(wire);
}

static void test_oversized_garbage(void **state)
{
    (void)state;
    size_t len = 65535;
    uint8_t *junk = malloc(len);
    assert_non_null(junk);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (uint8_t)x;
    }
    assert_malformed(junk, len);
    /* A sound header and question, then garbage claiming many records. */
    size_t qlen;
    uint8_t *wire = mx_answer(&qlen);
    memcpy(junk, wire, AN_AT);
    junk[6] = junk[7] = junk[8] = junk[9] = junk[10] = junk[11] = 0xff;
    assert_malformed(junk, len);
    memset(junk + AN_AT, 0xc0, len - AN_AT); /* pointers everywhere */
    assert_malformed(junk, len);
    free(wire);
    free(junk);
}

/* An answer whose canonical text is longer than a RESULTS may carry. */
/* An answer of n TXT records of 250 control bytes each (about 1000 characters as text). */
static uint8_t *txt_answer(int n, size_t *len)
{
    ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_TXT, LDNS_RCODE_NOERROR);
    char rr[1400];
    for (int i = 0; i < n; i++) {
        int k = snprintf(rr, sizeof rr, QNAME " 30 IN TXT \"%03d", i);
        for (int j = 0; j < 250; j++)
            k += snprintf(rr + k, sizeof rr - (size_t)k, "\\001");
        snprintf(rr + k, sizeof rr - (size_t)k, "\"");
        pkt_add(p, LDNS_SECTION_ANSWER, rr);
    }
    return pkt_wire(&p, len);
}

/* An answer whose canonical text is longer than a RESULTS may carry. */
static void test_text_over_wire_limit(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = txt_answer(40, &len);
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_TXT, PROTO_FAIL_NONE);
    free(wire);
    wire = txt_answer(80, &len);
    assert_true(len < 65535);
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_TXT, PROTO_FAIL_MALFORMED);
    free(wire);
}

static void test_rdlength_past_end(void **state)
{
    (void)state;
    ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
    pkt_add(p, LDNS_SECTION_ANSWER, QNAME " 30 IN A 192.0.2.1");
    size_t len;
    uint8_t *wire = pkt_wire(&p, &len);
    size_t rdlen_at = AN_AT + 2 + 2 + 2 + 4;
    assert_int_equal(len, rdlen_at + 2 + 4);
    assert_int_equal(wire[rdlen_at + 1], 4);
    wire[rdlen_at + 1] = 5; /* one byte more than there is */
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_A, PROTO_FAIL_MALFORMED);
    wire[rdlen_at] = 0xff; /* far more */
    assert_fails(wire, len, QNAME, LDNS_RR_TYPE_A, PROTO_FAIL_MALFORMED);
    /* Shorter than the type needs: an A of three bytes, an MX of its preference alone. */
    wire[rdlen_at] = 0;
    wire[rdlen_at + 1] = 3;
    assert_fails(wire, len - 1, QNAME, LDNS_RR_TYPE_A, PROTO_FAIL_MALFORMED);
    free(wire);

    p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
    pkt_add(p, LDNS_SECTION_ANSWER, QNAME " 30 IN MX 10 mx1.example.test.");
    wire = pkt_wire(&p, &len);
    assert_int_equal(wire[rdlen_at + 1], len - rdlen_at - 2);
    wire[rdlen_at + 1] = 2;
    assert_malformed(wire, rdlen_at + 2 + 2);
    wire[rdlen_at + 1] = 0; /* empty rdata */
    assert_malformed(wire, rdlen_at + 2);
    free(wire);
}

/* Records that parse but cannot be an RR set on the wire. */
static void test_junk_records(void **state)
{
    (void)state;
    const char *junk[] = {
        QNAME " 30 CH A 192.0.2.1",                                 /* not the class asked */
        QNAME " 30 IN TYPE0 \\# 2 0102",                            /* reserved type */
        QNAME " 30 IN ANY \\# 0",                                   /* a QTYPE as a record */
        QNAME " 30 IN LOC \\# 16 ff000000000000000000000000000000", /* unknown LOC version */
        QNAME " 30 IN CERT \\# 8 000000010800004e",                 /* type 0: reserved */
    };
    for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
        ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
        ldns_rr *rr = NULL;
        assert_int_equal(ldns_rr_new_frm_str(&rr, junk[i], 300, NULL, NULL), LDNS_STATUS_OK);
        assert_true(ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr));
        pkt_add(p, LDNS_SECTION_ANSWER, QNAME " 30 IN MX 10 mx1." QNAME);
        size_t len;
        uint8_t *wire = pkt_wire(&p, &len);
        assert_malformed(wire, len);
        free(wire);
    }
}

/* A binary label is legal: it is escaped, read back, and kept. */
static void test_binary_names(void **state)
{
    (void)state;
    ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_NOERROR);
    pkt_add(p, LDNS_SECTION_ANSWER, QNAME " 30 IN MX 10 m\\000\\255\\(x." QNAME);
    size_t len;
    uint8_t *wire = pkt_wire(&p, &len);
    arena_t *arena = arena_new();
    answer_t ans;
    from_wire(&ans, wire, len, QNAME, LDNS_RR_TYPE_MX, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NONE);
    assert_non_null(strstr(ans.obs.rrset, "\\000\\255"));
    answer_clear(&ans);
    arena_destroy(&arena);
    free(wire);
}

/* EDNS options from a hostile server: binary NSID, EDE text with control and non-UTF-8 bytes. */
static void test_edns_options(void **state)
{
    (void)state;
    static const struct {
        uint16_t code;
        size_t len;
        const char *data;
    } opts[] = {
        {LDNS_EDNS_NSID, 4,
         "\x00\xff"
         "a\n"},
        {LDNS_EDNS_NSID, 3, "two"}, /* only the first NSID counts */
        {15, 11,
         "\x00\x12\x01"
         "bad\xff\xfe"
         " x\x00"}, /* EDE 18, hostile text */
        {15, 8,
         "\x00\x06"
         "caf\xc3\xa9!"},    /* EDE 6, valid UTF-8 */
        {15, 1, "\x00"},     /* too short: ignored */
        {15, 2, "\xff\xff"}, /* code only */
    };
    ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_SERVFAIL);
    ldns_pkt_set_edns_udp_size(p, 1232);
    ldns_edns_option_list *list = ldns_edns_option_list_new();
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        assert_true(ldns_edns_option_list_push(
            list, ldns_edns_new_from_data(opts[i].code, opts[i].len, opts[i].data)));
    ldns_pkt_set_edns_option_list(p, list);
    size_t len;
    uint8_t *wire = pkt_wire(&p, &len);

    arena_t *arena = arena_new();
    answer_t ans;
    from_wire(&ans, wire, len, QNAME, LDNS_RR_TYPE_MX, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_SERVFAIL);
    assert_string_equal(ans.obs.nsid, "00ff610a");
    assert_int_equal(ans.obs.n_ede, 3);
    assert_int_equal(ans.obs.ede[0], 18);
    assert_int_equal(ans.obs.ede[1], 6);
    assert_int_equal(ans.obs.ede[2], 0xffff);
    assert_string_equal(ans.obs.ede_text, "?bad?? x?");
    answer_clear(&ans);

    /* A printable NSID is kept as text; valid UTF-8 EDE text is kept. */
    p = pkt_new(QNAME, LDNS_RR_TYPE_MX, LDNS_RCODE_REFUSED);
    ldns_pkt_set_edns_udp_size(p, 1232);
    list = ldns_edns_option_list_new();
    assert_true(
        ldns_edns_option_list_push(list, ldns_edns_new_from_data(LDNS_EDNS_NSID, 7, "ns1-lab")));
    assert_true(ldns_edns_option_list_push(list, ldns_edns_new_from_data(15, 8, opts[3].data)));
    ldns_pkt_set_edns_option_list(p, list);
    free(wire);
    wire = pkt_wire(&p, &len);
    from_wire(&ans, wire, len, QNAME, LDNS_RR_TYPE_MX, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_REFUSED);
    assert_string_equal(ans.obs.nsid, "ns1-lab");
    assert_string_equal(ans.obs.ede_text, "caf\xc3\xa9!");
    answer_clear(&ans);

    /* An option whose length runs past the OPT record. */
    size_t opt_len_at = len - 8 - 2; /* the last option's length (EDE, 8 bytes) */
    assert_int_equal(wire[opt_len_at + 1], 8);
    wire[opt_len_at + 1] = 9;
    from_wire(&ans, wire, len, QNAME, LDNS_RR_TYPE_MX, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_REFUSED);
    answer_clear(&ans);
    arena_destroy(&arena);
    free(wire);
}

static void test_rcodes(void **state)
{
    (void)state;
    const struct {
        ldns_pkt_rcode rcode;
        uint8_t fail;
    } cases[] = {
        {LDNS_RCODE_SERVFAIL, PROTO_FAIL_SERVFAIL}, {LDNS_RCODE_REFUSED, PROTO_FAIL_REFUSED},
        {LDNS_RCODE_NOTIMPL, PROTO_FAIL_OTHER},     {LDNS_RCODE_FORMERR, PROTO_FAIL_OTHER},
        {LDNS_RCODE_NXDOMAIN, PROTO_FAIL_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ldns_pkt *p = pkt_new(QNAME, LDNS_RR_TYPE_MX, cases[i].rcode);
        size_t len;
        uint8_t *wire = pkt_wire(&p, &len);
        assert_fails(wire, len, QNAME, LDNS_RR_TYPE_MX, cases[i].fail);
        free(wire);
    }
}

/* NXDOMAIN or NODATA with an SOA in authority: serial and min(SOA TTL, MINIMUM). */
static void check_negative(ldns_pkt_rcode rcode, const char *soa, uint32_t serial, uint32_t neg)
{
    ldns_pkt *p = pkt_new("nosuch." QNAME, LDNS_RR_TYPE_A, rcode);
    pkt_add(p, LDNS_SECTION_AUTHORITY, soa);
    size_t len;
    uint8_t *wire = pkt_wire(&p, &len);
    arena_t *arena = arena_new();
    answer_t ans;
    from_wire(&ans, wire, len, "nosuch." QNAME, LDNS_RR_TYPE_A, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NONE);
    assert_string_equal(ans.obs.rrset, "");
    assert_false(ans.obs.has_ttl);
    assert_true(ans.obs.has_soa_serial);
    assert_int_equal(ans.obs.soa_serial, serial);
    assert_true(ans.obs.has_neg_ttl);
    assert_int_equal(ans.obs.neg_ttl, neg);
    assert_int_equal(answer_nxdomain(&ans), rcode == LDNS_RCODE_NXDOMAIN);
    assert_int_equal(answer_ok(&ans), rcode == LDNS_RCODE_NOERROR);
    assert_int_equal(answer_nodata(&ans), rcode == LDNS_RCODE_NOERROR);
    assert_null(answer_records(&ans, LDNS_RR_TYPE_A));
    answer_clear(&ans);
    arena_destroy(&arena);
    free(wire);
}

static void test_nxdomain_neg_ttl(void **state)
{
    (void)state;
    check_negative(LDNS_RCODE_NXDOMAIN,
                   QNAME " 300 IN SOA ns1.lab.test. h.lab.test. 7 60 30 600 60", 7, 60);
    check_negative(LDNS_RCODE_NXDOMAIN,
                   QNAME " 30 IN SOA ns1.lab.test. h.lab.test. 8 60 30 600 600", 8, 30);
}

static void test_nodata_neg_ttl(void **state)
{
    (void)state;
    check_negative(LDNS_RCODE_NOERROR,
                   QNAME " 3600 IN SOA ns1.lab.test. h.lab.test. 2024010102 60 30 600 5",
                   2024010102u, 5);
    /* A TTL with the top bit set counts as 0 (RFC 2181 §8): 0x80000064 is not 100. */
    check_negative(LDNS_RCODE_NOERROR,
                   QNAME " 2147483748 IN SOA ns1.lab.test. h.lab.test. 9 60 30 600 100", 9, 0);
}

static void test_cname_chain(void **state)
{
    (void)state;
    ldns_pkt *p = pkt_new("www." QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
    pkt_add(p, LDNS_SECTION_ANSWER, "www." QNAME " 30 IN CNAME a." QNAME);
    pkt_add(p, LDNS_SECTION_ANSWER, "a." QNAME " 30 IN CNAME B." QNAME);
    pkt_add(p, LDNS_SECTION_ANSWER, "b." QNAME " 20 IN A 192.0.2.1");
    pkt_add(p, LDNS_SECTION_ANSWER, "b." QNAME " 20 IN A 192.0.2.2");
    pkt_add(p, LDNS_SECTION_ANSWER, "other.test. 20 IN A 192.0.2.99"); /* not on the chain */
    size_t len;
    uint8_t *wire = pkt_wire(&p, &len);
    arena_t *arena = arena_new();
    answer_t ans;
    from_wire(&ans, wire, len, "www." QNAME, LDNS_RR_TYPE_A, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NONE);
    assert_true(answer_ok(&ans));
    assert_false(answer_nodata(&ans));
    ldns_rr_list *a = answer_records(&ans, LDNS_RR_TYPE_A);
    assert_non_null(a);
    assert_int_equal(ldns_rr_list_rr_count(a), 2);
    for (size_t i = 0; i < 2; i++) {
        ldns_rdf *want = ldns_dname_new_frm_str("b." QNAME); /* any case: compression */
        assert_int_equal(ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(a, i)), want), 0);
        ldns_rdf_deep_free(want);
    }
    ldns_rr_list_deep_free(a);
    char *target = answer_cname_target(&ans);
    assert_string_equal(target, "a." QNAME);
    free(target);
    assert_null(answer_records(&ans, LDNS_RR_TYPE_AAAA));
    answer_clear(&ans);
    free(wire);

    /* A chain that ends without the type asked is NODATA; a loop ends too. */
    p = pkt_new("www." QNAME, LDNS_RR_TYPE_A, LDNS_RCODE_NOERROR);
    pkt_add(p, LDNS_SECTION_ANSWER, "www." QNAME " 30 IN CNAME a." QNAME);
    pkt_add(p, LDNS_SECTION_ANSWER, "a." QNAME " 30 IN CNAME www." QNAME);
    pkt_add(p, LDNS_SECTION_ANSWER, "b." QNAME " 20 IN A 192.0.2.1");
    wire = pkt_wire(&p, &len);
    from_wire(&ans, wire, len, "www." QNAME, LDNS_RR_TYPE_A, arena);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NONE);
    assert_true(answer_nodata(&ans));
    assert_null(answer_records(&ans, LDNS_RR_TYPE_A));
    answer_clear(&ans);
    arena_destroy(&arena);
    free(wire);
}

/* TC and the transport come from the raw answer; TC also from the header. */
static void test_tc_and_transport(void **state)
{
    (void)state;
    size_t len;
    uint8_t *wire = mx_answer(&len);
    arena_t *arena = arena_new();
    answer_t ans;
    answer_raw raw = {
        .wire = wire, .len = len, .tcp = true, .tc_seen = true, .rtt_us = 9, .t_ms = 1700000000123};
    assert_int_equal(
        answer_from_raw(&ans, &raw, QNAME, LDNS_RR_TYPE_MX, "r1", "local", NULL, arena), 0);
    assert_int_equal(ans.obs.fail, PROTO_FAIL_NONE);
    assert_int_equal(ans.obs.transport, 1);
    assert_int_equal(ans.obs.flags, PROTO_FLAG_TC | PROTO_FLAG_AA);
    assert_int_equal(ans.obs.t_ms, 1700000000123);
    assert_null(ans.obs.server);
    answer_clear(&ans);

    raw.tcp = raw.tc_seen = false;
    wire[2] |= 0x02; /* TC in the header of a UDP answer */
    assert_int_equal(
        answer_from_raw(&ans, &raw, QNAME, LDNS_RR_TYPE_MX, "r1", "local", NULL, arena), 0);
    assert_int_equal(ans.obs.transport, 0);
    assert_int_equal(ans.obs.flags, PROTO_FLAG_TC | PROTO_FLAG_AA);
    assert_obs_sendable(&ans.obs);
    answer_clear(&ans);
    arena_destroy(&arena);
    free(wire);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sound_answer),
        cmocka_unit_test(test_truncated_every_length),
        cmocka_unit_test(test_zero_length_and_no_answer),
        cmocka_unit_test(test_compression_loops),
        cmocka_unit_test(test_pointer_past_end),
        cmocka_unit_test(test_other_id),
        cmocka_unit_test(test_other_question),
        cmocka_unit_test(test_qr_clear),
        cmocka_unit_test(test_oversized_garbage),
        cmocka_unit_test(test_text_over_wire_limit),
        cmocka_unit_test(test_rdlength_past_end),
        cmocka_unit_test(test_junk_records),
        cmocka_unit_test(test_binary_names),
        cmocka_unit_test(test_edns_options),
        cmocka_unit_test(test_rcodes),
        cmocka_unit_test(test_nxdomain_neg_ttl),
        cmocka_unit_test(test_nodata_neg_ttl),
        cmocka_unit_test(test_cname_chain),
        cmocka_unit_test(test_tc_and_transport),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

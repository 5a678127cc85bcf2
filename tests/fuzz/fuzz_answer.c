/*
 * tests/fuzz/fuzz_answer.c - libFuzzer harness for agent/answer: a raw DNS
 * answer, as any server may send it, turned into an observation.
 *
 * Input: one DNS message. It is read as the answer to a fixed question
 * (good.test. MX, so most inputs are "another question") and, when ldns can
 * parse it, to the question it carries (so matching answers reach the rcode,
 * EDNS, RR set and SOA code). The bits of the first byte choose the
 * transport flags of the raw answer; an empty input is "no answer".
 *
 * Whatever the input, the observation must be one the engine can send:
 * a failure class in range, an RR set that parses back when the answer is
 * usable, valid UTF-8 in every string, and a one-observation RESULTS that
 * proto_body_encode accepts and proto_body_decode reads back. The answer
 * helpers (answer_ok, answer_records, ...) must agree with each other.
 * Any violation aborts.
 */
#include <ares.h>
#include <msgpack.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/answer.h"
#include "common/rrset.h"
#include "proto/msg.h"
#include "proto/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FA_QNAME "good.test."
#define FA_QTYPE LDNS_RR_TYPE_MX

/* Abort, naming the invariant, when it does not hold. */
#define fa_check(cond) fa_check_at((cond), #cond, __LINE__)

static void fa_check_at(bool ok, const char *what, int line)
{
    if (!ok) {
        fprintf(stderr, "fuzz_answer.c:%d: invariant broken: %s\n", line, what);
        abort();
    }
}

static void fa_check_str(const char *s, bool required)
{
    if (!s) {
        fa_check(!required);
        return;
    }
    fa_check(pschema_utf8_ok(s, strlen(s)));
}

/* A one-observation RESULTS must encode and decode. */
static void fa_check_wire(const proto_obs *obs)
{
    proto_results r = {.obs = (proto_obs *)obs, .n_obs = 1};
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    fa_check(proto_body_encode(PROTO_RESULTS, &r, &pk, NULL) == PROTO_OK);
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    fa_check(msgpack_unpack_next(&u, sb.data, sb.size, &off) == MSGPACK_UNPACK_SUCCESS);
    proto_msg m = {0};
    fa_check(proto_body_decode(PROTO_RESULTS, &u.data, &m, NULL) == PROTO_OK);
    fa_check(m.body.results.n_obs == 1);
    const proto_obs *back = &m.body.results.obs[0];
    fa_check(back->fail == obs->fail && back->n_ede == obs->n_ede);
    fa_check(strcmp(back->rrset ? back->rrset : "", obs->rrset ? obs->rrset : "") == 0);
    proto_msg_clear(&m);
    msgpack_unpacked_destroy(&u);
    msgpack_sbuffer_destroy(&sb);
}

/* The records answer_records returns have the type asked for. */
static size_t fa_records(const answer_t *ans, ldns_rr_type type)
{
    ldns_rr_list *l = answer_records(ans, type);
    size_t n = l ? ldns_rr_list_rr_count(l) : 0;
    fa_check(!l || n > 0);
    for (size_t i = 0; i < n; i++)
        fa_check(ldns_rr_get_type(ldns_rr_list_rr(l, i)) == type);
    ldns_rr_list_deep_free(l);
    return n;
}

static void fa_run(const answer_raw *raw, const char *qname, uint16_t qtype)
{
    arena_t *arena = arena_new();
    fa_check(arena != NULL);
    answer_t ans;
    fa_check(answer_from_raw(&ans, raw, qname, qtype, "fuzz", "auth", "ns1.lab.test.", arena) == 0);
    const proto_obs *o = &ans.obs;

    fa_check(o->fail <= PROTO_FAIL_INCOMPLETE);
    fa_check(o->transport == (raw->tcp ? 1 : 0));
    fa_check(!raw->tc_seen || (o->flags & PROTO_FLAG_TC));
    fa_check(o->n_ede <= 16 && (o->n_ede == 0 || o->ede));
    fa_check(!o->has_neg_ttl || (o->has_soa_serial && o->neg_ttl <= 0x7fffffffu));
    fa_check(o->rrset != NULL);
    if (o->fail == PROTO_FAIL_NONE) {
        fa_check(ans.pkt != NULL);
        if (o->rrset[0]) {
            rrset_canon_t *set = NULL;
            fa_check(rrset_canon_parse_text(o->rrset, &set) == RRSET_OK);
            rrset_canon_destroy(&set);
        }
        fa_check(o->has_ttl == (o->rrset[0] != '\0'));
    } else {
        fa_check(o->rrset[0] == '\0' || o->fail == PROTO_FAIL_SERVFAIL ||
                 o->fail == PROTO_FAIL_REFUSED || o->fail == PROTO_FAIL_OTHER);
    }
    if (o->fail == PROTO_FAIL_MALFORMED)
        fa_check(ans.pkt == NULL);
    fa_check_str(o->resolver, true);
    fa_check_str(o->kind, true);
    fa_check_str(o->server, false);
    fa_check_str(o->nsid, false);
    fa_check_str(o->qname, true);
    fa_check_str(o->rrset, true);
    fa_check_str(o->ede_text, false);
    fa_check_wire(o);

    bool ok = answer_ok(&ans);
    bool nx = answer_nxdomain(&ans);
    bool nodata = answer_nodata(&ans);
    fa_check(!ok || o->fail == PROTO_FAIL_NONE);
    fa_check(!(ok && nx));
    fa_check(!nodata || ok);
    size_t n_q = fa_records(&ans, (ldns_rr_type)qtype);
    fa_check(!ok || nodata == (n_q == 0));
    const ldns_rr_type types[] = {LDNS_RR_TYPE_A,   LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_MX,
                                  LDNS_RR_TYPE_TXT, LDNS_RR_TYPE_PTR,  LDNS_RR_TYPE_SOA};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        fa_records(&ans, types[i]);
    size_t n_cname = fa_records(&ans, LDNS_RR_TYPE_CNAME);
    char *target = answer_cname_target(&ans);
    fa_check((target != NULL) == (n_cname > 0));
    free(target);

    answer_clear(&ans);
    fa_check(ans.pkt == NULL);
    arena_destroy(&arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    answer_raw raw = {
        .wire = size ? data : NULL,
        .len = size,
        .ares_status = size ? ARES_SUCCESS : ARES_ETIMEOUT,
        .tcp = size > 0 && (data[0] & 0x01),
        .tc_seen = size > 0 && (data[0] & 0x02),
        .rtt_us = 1234,
        .t_ms = 1700000000000,
    };
    fa_run(&raw, FA_QNAME, FA_QTYPE);

    /* The question the input carries, as the agent would have asked it. */
    ldns_pkt *pkt = NULL;
    if (size == 0 || ldns_wire2pkt(&pkt, data, size) != LDNS_STATUS_OK)
        return 0;
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    char *qname = q ? ldns_rdf2str(ldns_rr_owner(q)) : NULL;
    if (qname)
        fa_run(&raw, qname, (uint16_t)ldns_rr_get_type(q));
    free(qname);
    ldns_pkt_free(pkt);
    return 0;
}

/*
 * agent/answer.c - one answer from one resolver: raw wire -> observation.
 *
 * All DNS parsing is ldns'; this file only decides what the parsed packet
 * means for an observation.
 */
#include "agent/answer.h"

#include <ares.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsname.h"
#include "common/rrset.h"

#define EDNS_NSID       3
#define EDNS_EDE        15
#define CNAME_CHAIN_MAX 16

static uint8_t fail_from_ares(int status)
{
    switch (status) {
    case ARES_ETIMEOUT:
        return PROTO_FAIL_TIMEOUT;
    case ARES_EBADRESP:
    case ARES_EFORMERR:
        return PROTO_FAIL_MALFORMED;
    case ARES_ECANCELLED:
    case ARES_EDESTRUCTION:
        return PROTO_FAIL_INCOMPLETE;
    default:
        return PROTO_FAIL_NETWORK;
    }
}

static uint8_t fail_from_rcode(ldns_pkt_rcode rcode)
{
    switch (rcode) {
    case LDNS_RCODE_NOERROR:
    case LDNS_RCODE_NXDOMAIN:
        return PROTO_FAIL_NONE;
    case LDNS_RCODE_SERVFAIL:
        return PROTO_FAIL_SERVFAIL;
    case LDNS_RCODE_REFUSED:
        return PROTO_FAIL_REFUSED;
    default:
        return PROTO_FAIL_OTHER;
    }
}

/* The packet answers the question we asked: QR set, one question, same name, type and class. */
static bool answer_matches(const ldns_pkt *pkt, const char *qname, uint16_t qtype)
{
    if (!ldns_pkt_qr(pkt) || ldns_pkt_qdcount(pkt) != 1)
        return false;
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);
    if (!q || ldns_rr_get_type(q) != qtype || ldns_rr_get_class(q) != LDNS_RR_CLASS_IN)
        return false;
    ldns_rdf *want = ldns_dname_new_frm_str(qname);
    if (!want)
        return false;
    bool same = ldns_dname_compare(ldns_rr_owner(q), want) == 0;
    ldns_rdf_deep_free(want);
    return same;
}

/*
 * Types whose canonical line reads back once the record has all its fields
 * (addresses, names, numbers, strings). Lines of other types are read back
 * before they go on the wire: ldns presents some hostile rdata (a LOC of an
 * unknown version, an APL of an unknown family, ...) in a form it cannot
 * read again.
 */
static bool answer_type_plain(ldns_rr_type type)
{
    switch (type) {
    case LDNS_RR_TYPE_A:
    case LDNS_RR_TYPE_NS:
    case LDNS_RR_TYPE_CNAME:
    case LDNS_RR_TYPE_SOA:
    case LDNS_RR_TYPE_PTR:
    case LDNS_RR_TYPE_MX:
    case LDNS_RR_TYPE_TXT:
    case LDNS_RR_TYPE_AAAA:
    case LDNS_RR_TYPE_SRV:
        return true;
    default:
        return false;
    }
}

/*
 * True when every label of a wire-format name holds only letters, digits,
 * '-', '_' and '*': its text needs no escape. ldns reads an owner back only
 * when its text fits in 255 characters, which escapes can exceed.
 */
static bool answer_name_plain(const ldns_rdf *name)
{
    const uint8_t *d = ldns_rdf_data(name);
    size_t n = ldns_rdf_size(name);
    for (size_t i = 0; i < n && d[i] != 0; i += (size_t)d[i] + 1) {
        for (size_t j = i + 1; j <= i + d[i] && j < n; j++) {
            if (!isalnum(d[j]) && d[j] != '-' && d[j] != '_' && d[j] != '*')
                return false;
        }
    }
    return true;
}

/* A record whose canonical line surely reads back: a plain type, plain names. */
static bool answer_rr_plain(const ldns_rr *rr)
{
    if (!answer_type_plain(ldns_rr_get_type(rr)) || !answer_name_plain(ldns_rr_owner(rr)))
        return false;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *f = ldns_rr_rdf(rr, i);
        if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && !answer_name_plain(f))
            return false;
    }
    return true;
}

/*
 * Whether the records can be an observation's RR set: all of class IN (the
 * class asked), none of TYPE0 (reserved, RFC 6895 §3.1), and every record
 * of a known type with the fields its type needs (ldns keeps a record that
 * its RDLENGTH cuts short, with fewer fields). *read_back is set when a
 * record is not answer_rr_plain().
 */
static bool answer_rrs_sane(const ldns_rr_list *rrs, bool *read_back)
{
    *read_back = false;
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        ldns_rr_type type = ldns_rr_get_type(rr);
        if (type == 0 || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
            return false;
        const ldns_rr_descriptor *d = ldns_rr_descript((uint16_t)type);
        if (d && d->_type == type &&
            (ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(d) ||
             ldns_rr_rd_count(rr) > ldns_rr_descriptor_maximum(d)))
            return false;
        /* CERT type 0 is reserved (RFC 4398 §2.1); ldns 1.8.3 leaks reading it back. */
        if (type == LDNS_RR_TYPE_CERT && ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)) == 0)
            return false;
        if (!*read_back && !answer_rr_plain(rr))
            *read_back = true;
    }
    return true;
}

/*
 * The RR set text of the answer section into *text (arena), *ttl_min and
 * *has_ttl. RRSET_ERR_NOMEM when out of memory; any other error means the
 * section cannot go on the wire: malformed records, or text over the
 * protocol's limit.
 */
static rrset_status answer_rrset(ldns_rr_list *rrs, arena_t *arena, const char **text,
                                 uint32_t *ttl_min, bool *has_ttl)
{
    bool read_back;
    if (!answer_rrs_sane(rrs, &read_back))
        return RRSET_ERR_PARSE;
    /* the answer owns its packet: its records are made canonical in place,
     * and printed in one buffer (rrset_text_from_canonical(), the hot path) */
    for (size_t i = 0; i < ldns_rr_list_rr_count(rrs); i++)
        ldns_rr2canonical(ldns_rr_list_rr(rrs, i));
    rrset_status rs = rrset_text_from_canonical(rrs, arena, text, ttl_min, has_ttl);
    if (rs == RRSET_OK && strlen(*text) > PROTO_TEXT_MAX)
        rs = RRSET_ERR_TOO_BIG;
    if (rs == RRSET_OK && read_back) {
        rrset_canon_t *back = NULL;
        rs = rrset_canon_parse_text(*text, &back);
        rrset_canon_destroy(&back);
    }
    if (rs != RRSET_OK) {
        *text = "";
        *has_ttl = false;
    }
    return rs;
}

/* NSID bytes as text: printable ASCII as is, anything else in hex. */
static char *nsid_text(const uint8_t *data, size_t len, arena_t *arena)
{
    bool printable = len > 0;
    for (size_t i = 0; i < len; i++)
        printable = printable && data[i] >= 0x20 && data[i] < 0x7f;
    if (printable)
        return arena_strndup(arena, (const char *)data, len);
    char *hex = arena_alloc(arena, len * 2 + 1);
    if (!hex)
        return NULL;
    for (size_t i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", data[i]);
    return hex;
}

/* EDE text may be anything: keep printable ASCII and UTF-8 intact, others become '?'. */
static char *ede_text(const uint8_t *data, size_t len, arena_t *arena)
{
    char *t = arena_strndup(arena, (const char *)data, len);
    if (!t)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)t[i] < 0x20 || t[i] == 0x7f)
            t[i] = '?';
    }
    if (!pschema_utf8_ok(t, len)) {
        for (size_t i = 0; i < len; i++)
            t[i] = (unsigned char)t[i] >= 0x80 ? '?' : t[i];
    }
    return t;
}

static int read_edns(answer_t *ans, arena_t *arena)
{
    ldns_edns_option_list *opts = ldns_pkt_edns_get_option_list(ans->pkt);
    if (!opts)
        return 0;
    size_t n = ldns_edns_option_list_get_count(opts);
    uint16_t *ede = arena_calloc(arena, n ? n : 1, sizeof *ede);
    if (!ede)
        return -1;
    size_t n_ede = 0;
    for (size_t i = 0; i < n; i++) {
        ldns_edns_option *o = ldns_edns_option_list_get_option(opts, i);
        size_t len = ldns_edns_get_size(o);
        const uint8_t *data = ldns_edns_get_data(o);
        if (ldns_edns_get_code(o) == EDNS_NSID && !ans->obs.nsid && len > 0 && len <= 256) {
            if (!(ans->obs.nsid = nsid_text(data, len, arena)))
                return -1;
        } else if (ldns_edns_get_code(o) == EDNS_EDE && len >= 2 && n_ede < 16) {
            ede[n_ede++] = (uint16_t)(data[0] << 8 | data[1]);
            if (!ans->obs.ede_text && len > 2 && len - 2 <= 512 &&
                !(ans->obs.ede_text = ede_text(data + 2, len - 2, arena)))
                return -1;
        }
    }
    ans->obs.ede = ede;
    ans->obs.n_ede = n_ede;
    return 0;
}

/* Serial and negative TTL from an SOA in the answer (SOA query) or authority section. */
static void read_soa(answer_t *ans, uint16_t qtype)
{
    ldns_rr_list *sections[] = {ldns_pkt_answer(ans->pkt), ldns_pkt_authority(ans->pkt)};
    for (size_t s = 0; s < 2; s++) {
        ldns_rr_list *l = sections[s];
        for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
            ldns_rr *rr = ldns_rr_list_rr(l, i);
            if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) != 7)
                continue;
            if (s == 0 && qtype != LDNS_RR_TYPE_SOA)
                continue;
            ans->obs.soa_serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
            ans->obs.has_soa_serial = true;
            if (s == 1 && (answer_nxdomain(ans) || answer_nodata(ans))) {
                uint32_t ttl =
                    ldns_rr_ttl(rr) > 0x7fffffffu ? 0 : ldns_rr_ttl(rr); /* RFC 2181 §8 */
                uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(rr, 6));
                ans->obs.neg_ttl = ttl < minimum ? ttl : minimum;
                ans->obs.has_neg_ttl = true;
            }
            return;
        }
    }
}

int answer_from_raw(answer_t *ans, const answer_raw *raw, const char *qname, uint16_t qtype,
                    const char *resolver, const char *kind, const char *server, arena_t *arena)
{
    memset(ans, 0, sizeof *ans);
    proto_obs *o = &ans->obs;
    char name[DNSNAME_TEXT_MAX];
    if (dnsname_is_plain_canonical(qname))
        snprintf(name, sizeof name, "%s", qname);
    else if (dnsname_normalize(qname, name, sizeof name) != DNSNAME_OK)
        snprintf(name, sizeof name, "%s", qname);
    o->t_ms = raw->t_ms;
    o->resolver = arena_strdup(arena, resolver);
    o->kind = arena_strdup(arena, kind);
    o->server = server ? arena_strdup(arena, server) : NULL;
    o->qname = arena_strdup(arena, name);
    o->qtype = qtype;
    o->rtt_us = raw->rtt_us;
    o->transport = raw->tcp ? 1 : 0;
    o->flags = raw->tc_seen ? PROTO_FLAG_TC : 0;
    o->rrset = "";
    if (!o->resolver || !o->kind || !o->qname || (server && !o->server))
        return -1;

    if (!raw->wire) {
        o->fail = fail_from_ares(raw->ares_status);
        return 0;
    }
    if (ldns_wire2pkt(&ans->pkt, raw->wire, raw->len) != LDNS_STATUS_OK || !ans->pkt ||
        !answer_matches(ans->pkt, name, qtype)) {
        answer_clear(ans);
        o->fail = PROTO_FAIL_MALFORMED;
        return 0;
    }
    ldns_pkt *p = ans->pkt;
    o->rcode = (uint8_t)ldns_pkt_get_rcode(p);
    o->fail = fail_from_rcode(ldns_pkt_get_rcode(p));
    o->flags |= (ldns_pkt_aa(p) ? PROTO_FLAG_AA : 0) | (ldns_pkt_ad(p) ? PROTO_FLAG_AD : 0) |
                (ldns_pkt_tc(p) ? PROTO_FLAG_TC : 0) | (ldns_pkt_ra(p) ? PROTO_FLAG_RA : 0);
    if (read_edns(ans, arena) != 0)
        return -1;

    rrset_status rs = answer_rrset(ldns_pkt_answer(p), arena, &o->rrset, &o->ttl_min, &o->has_ttl);
    if (rs == RRSET_ERR_NOMEM)
        return -1;
    if (rs != RRSET_OK) {
        answer_clear(ans);
        o->fail = PROTO_FAIL_MALFORMED;
        return 0;
    }
    read_soa(ans, qtype);
    return 0;
}

void answer_clear(answer_t *ans)
{
    if (ans->pkt)
        ldns_pkt_free(ans->pkt);
    ans->pkt = NULL;
}

bool answer_ok(const answer_t *ans)
{
    return ans->pkt && ans->obs.fail == PROTO_FAIL_NONE &&
           ldns_pkt_get_rcode(ans->pkt) == LDNS_RCODE_NOERROR;
}

bool answer_nxdomain(const answer_t *ans)
{
    return ans->pkt && ldns_pkt_get_rcode(ans->pkt) == LDNS_RCODE_NXDOMAIN;
}

/* The owner name at the end of the CNAME chain that starts at the question (a clone). */
static ldns_rdf *chain_end(const answer_t *ans, ldns_rr_type type)
{
    const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(ans->pkt), 0);
    if (!q)
        return NULL;
    ldns_rdf *cur = ldns_rdf_clone(ldns_rr_owner(q));
    if (type == LDNS_RR_TYPE_CNAME)
        return cur;
    const ldns_rr_list *an = ldns_pkt_answer(ans->pkt);
    for (int hop = 0; cur && hop < CNAME_CHAIN_MAX; hop++) {
        ldns_rdf *next = NULL;
        for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(an, i);
            if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME && ldns_rr_rd_count(rr) == 1 &&
                ldns_dname_compare(ldns_rr_owner(rr), cur) == 0) {
                next = ldns_rdf_clone(ldns_rr_rdf(rr, 0));
                break;
            }
        }
        if (!next)
            break;
        ldns_rdf_deep_free(cur);
        cur = next;
    }
    return cur;
}

ldns_rr_list *answer_records(const answer_t *ans, ldns_rr_type type)
{
    if (!ans->pkt)
        return NULL;
    ldns_rdf *owner = chain_end(ans, type);
    if (!owner)
        return NULL;
    const ldns_rr_list *an = ldns_pkt_answer(ans->pkt);
    ldns_rr_list *out = NULL;
    for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(an, i);
        if (ldns_rr_get_type(rr) != type || ldns_dname_compare(ldns_rr_owner(rr), owner) != 0)
            continue;
        if (!out && !(out = ldns_rr_list_new()))
            break;
        ldns_rr *copy = ldns_rr_clone(rr);
        if (!copy || !ldns_rr_list_push_rr(out, copy)) {
            ldns_rr_free(copy);
            break;
        }
    }
    ldns_rdf_deep_free(owner);
    return out;
}

bool answer_nodata(const answer_t *ans)
{
    if (!answer_ok(ans))
        return false;
    ldns_rr_list *l = answer_records(ans, (ldns_rr_type)ans->obs.qtype);
    bool none = !l || ldns_rr_list_rr_count(l) == 0;
    ldns_rr_list_deep_free(l);
    return none;
}

char *answer_cname_target(const answer_t *ans)
{
    ldns_rr_list *l = ans->pkt ? answer_records(ans, LDNS_RR_TYPE_CNAME) : NULL;
    char *out = NULL;
    if (l && ldns_rr_list_rr_count(l) > 0 && ldns_rr_rd_count(ldns_rr_list_rr(l, 0)) == 1)
        out = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 0));
    ldns_rr_list_deep_free(l);
    return out;
}

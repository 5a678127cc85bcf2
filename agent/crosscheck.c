/*
 * agent/crosscheck.c - findings that compare answers across resolvers and
 * authoritative servers.
 */
#include "agent/crosscheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dnsname.h"
#include "proto/schema.h"
#include "common/log.h"
#include "common/serial.h"

/* Longest message built here (findings_add() cuts at PROTO_NAME_MAX). */
#define CC_MSG_MAX 1024
/* Longest description of one view of a question in RESOLVER_DISAGREE. */
#define CC_VIEW_MAX 240

static const char *const ede_names[] = {
    "Other Error",
    "Unsupported DNSKEY Algorithm",
    "Unsupported DS Digest Type",
    "Stale Answer",
    "Forged Answer",
    "DNSSEC Indeterminate",
    "DNSSEC Bogus",
    "Signature Expired",
    "Signature Not Yet Valid",
    "DNSKEY Missing",
    "RRSIGs Missing",
    "No Zone Key Bit Set",
    "NSEC Missing",
    "Cached Error",
    "Not Ready",
    "Blocked",
    "Censored",
    "Filtered",
    "Prohibited",
    "Stale NXDomain Answer",
    "Not Authoritative",
    "Not Supported",
    "No Reachable Authority",
    "Network Error",
    "Invalid Data",
};

const char *crosscheck_ede_name(unsigned code)
{
    return code < sizeof ede_names / sizeof ede_names[0] ? ede_names[code] : NULL;
}

/* Append a finding whose message is made wire-safe first; logs when out of memory. */
static void add(findings_t *out, const char *code, proto_severity sev, const char *name,
                const char *resolver, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void add(findings_t *out, const char *code, proto_severity sev, const char *name,
                const char *resolver, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (findings_vadd(out, code, sev, name, resolver, fmt, ap) != 0)
        log_err("crosscheck: out of memory");
    va_end(ap);
}

static const char *str_or(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

static bool is_auth(const answer_t *a)
{
    return a->obs.kind && strcmp(a->obs.kind, "auth") == 0;
}

/* A failure that is the resolver's (not the check's deadline). */
static bool resolver_failed(const answer_t *a)
{
    return a->obs.fail != PROTO_FAIL_NONE && a->obs.fail != PROTO_FAIL_INCOMPLETE;
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(str_or(a, ""), str_or(b, ""));
}

/* Same question: qname and qtype. */
static int cmp_question(const answer_t *a, const answer_t *b)
{
    int c = cmp_str(a->obs.qname, b->obs.qname);
    if (c)
        return c;
    return a->obs.qtype < b->obs.qtype ? -1 : a->obs.qtype > b->obs.qtype;
}

/* Order: question, then resolver. */
static int by_question(const void *x, const void *y)
{
    const answer_t *a = *(const answer_t *const *)x, *b = *(const answer_t *const *)y;
    int c = cmp_question(a, b);
    return c ? c : cmp_str(a->obs.resolver, b->obs.resolver);
}

/* Order: resolver, then question. */
static int by_resolver(const void *x, const void *y)
{
    const answer_t *a = *(const answer_t *const *)x, *b = *(const answer_t *const *)y;
    int c = cmp_str(a->obs.resolver, b->obs.resolver);
    return c ? c : cmp_question(a, b);
}

/* "MX", "TYPE65280". */
static void type_name(uint16_t qtype, char *out, size_t size)
{
    if (!dnsname_type_to_str((ldns_rr_type)qtype, out, size))
        snprintf(out, size, "TYPE%u", qtype);
}

/* "SERVFAIL", "NOTIMP", or "RCODE n". */
static void rcode_name(uint8_t rcode, char *out, size_t size)
{
    const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, rcode);
    if (lt && lt->name)
        snprintf(out, size, "%s", lt->name);
    else
        snprintf(out, size, "RCODE %u", rcode);
}

/* What went wrong, as a verb phrase: "answered SERVFAIL". */
static void failure_words(const answer_t *a, char *out, size_t size)
{
    char rc[32];
    switch (a->obs.fail) {
    case PROTO_FAIL_TIMEOUT:
        snprintf(out, size, "gave no answer (timeout)");
        break;
    case PROTO_FAIL_REFUSED:
        snprintf(out, size, "answered REFUSED");
        break;
    case PROTO_FAIL_SERVFAIL:
        snprintf(out, size, "answered SERVFAIL");
        break;
    case PROTO_FAIL_NETWORK:
        snprintf(out, size, "could not be reached (network error)");
        break;
    case PROTO_FAIL_MALFORMED:
        snprintf(out, size, "sent an answer that could not be used (malformed or not matching)");
        break;
    default:
        rcode_name(a->obs.rcode, rc, sizeof rc);
        snprintf(out, size, "answered %s", rc);
        break;
    }
}

/* " (Extended DNS Error 9, DNSKEY Missing: \"text\")" or "". */
static void ede_words(const answer_t *a, char *out, size_t size)
{
    out[0] = '\0';
    if (a->obs.n_ede == 0 || !a->obs.ede)
        return;
    findings_buf_add(out, size, " (Extended DNS Error");
    for (size_t i = 0; i < a->obs.n_ede; i++) {
        const char *nm = crosscheck_ede_name(a->obs.ede[i]);
        findings_buf_add(out, size, "%s %u%s%s", i ? "," : "", a->obs.ede[i], nm ? " " : "",
                         nm ? nm : "");
    }
    if (a->obs.ede_text && a->obs.ede_text[0])
        findings_buf_add(out, size, ": \"%s\"", a->obs.ede_text);
    findings_buf_add(out, size, ")");
}

/* True when every non-auth answer to a's question failed (deadline cuts left out). */
static bool question_dead(const answer_t *const *v, size_t n, const answer_t *a)
{
    for (size_t i = 0; i < n; i++) {
        if (cmp_question(v[i], a) == 0 && !resolver_failed(v[i]) &&
            v[i]->obs.fail != PROTO_FAIL_INCOMPLETE)
            return false;
    }
    return true;
}

/* RESOLVER_FAILURE over the non-auth answers v, sorted by resolver. */
static void check_failures(const answer_t *const *v, size_t n, findings_t *out)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && cmp_str(v[j]->obs.resolver, v[i]->obs.resolver) == 0)
            j++;
        /* The failure named in the message: one no resolver answered, else one with an
           Extended DNS Error, else the first by question. */
        const answer_t *first = NULL;
        int first_rank = -1;
        size_t n_failed = 0;
        bool dead = false;
        for (size_t k = i; k < j; k++) {
            if (!resolver_failed(v[k]))
                continue;
            bool d = question_dead(v, n, v[k]);
            int rank = (d ? 2 : 0) + (v[k]->obs.n_ede > 0 ? 1 : 0);
            if (rank > first_rank) {
                first = v[k];
                first_rank = rank;
            }
            n_failed++;
            dead = dead || d;
        }
        if (first) {
            char what[96], ede[320], type[DNSNAME_TYPE_MAX], more[64] = "";
            failure_words(first, what, sizeof what);
            ede_words(first, ede, sizeof ede);
            type_name(first->obs.qtype, type, sizeof type);
            if (n_failed > 1)
                snprintf(more, sizeof more, ", and failed %zu more question%s", n_failed - 1,
                         n_failed > 2 ? "s" : "");
            const char *res = str_or(first->obs.resolver, "?");
            add(out, "RESOLVER_FAILURE", dead ? PROTO_SEV_CRITICAL : PROTO_SEV_WARNING,
                str_or(first->obs.qname, "."), res, "resolver %s %s for %s %s%s%s; %s", res, what,
                str_or(first->obs.qname, "."), type, ede, more,
                dead ? "no resolver asked gave a usable answer, so the check "
                       "cannot see the record"
                     : "other resolvers answered");
        }
        i = j;
    }
}

/* Short text of an answer for RESOLVER_DISAGREE: "NXDOMAIN", "no records", "A 192.0.2.1". */
static void view_words(const answer_t *a, char *out, size_t size)
{
    out[0] = '\0';
    if (a->obs.rcode == LDNS_RCODE_NXDOMAIN) {
        findings_buf_add(out, size, "NXDOMAIN");
        if (!a->obs.rrset || !a->obs.rrset[0])
            return;
        findings_buf_add(out, size, " after ");
    } else if (!a->obs.rrset || !a->obs.rrset[0]) {
        findings_buf_add(out, size, "no records (NODATA)");
        return;
    }
    const char *qn = str_or(a->obs.qname, "");
    size_t qlen = strlen(qn);
    const char *s = a->obs.rrset;
    bool first = true;
    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        const char *line = s;
        if (qlen > 0 && len > qlen && strncmp(line, qn, qlen) == 0 && line[qlen] == ' ') {
            line += qlen + 1;
            len -= qlen + 1;
        }
        findings_buf_add(out, size, "%s%.*s", first ? "" : ", ", (int)len, line);
        first = false;
        s = nl ? nl + 1 : s + strlen(s);
    }
}

/* Same view: rcode and canonical RR set. */
static bool same_view(const answer_t *a, const answer_t *b)
{
    return a->obs.rcode == b->obs.rcode && cmp_str(a->obs.rrset, b->obs.rrset) == 0;
}

/* RESOLVER_DISAGREE over the usable non-auth answers v, sorted by question. */
static void check_disagree(const answer_t *const *v, size_t n, findings_t *out)
{
    bool *done = calloc(n ? n : 1, sizeof *done);
    if (!done) {
        log_err("crosscheck: out of memory");
        return;
    }
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && cmp_question(v[j], v[i]) == 0)
            j++;
        size_t views = 0;
        for (size_t k = i; k < j; k++) {
            bool seen = false;
            for (size_t m = i; m < k && !seen; m++)
                seen = same_view(v[m], v[k]);
            views += !seen;
        }
        if (views > 1) {
            char msg[CC_MSG_MAX] = "", type[DNSNAME_TYPE_MAX];
            type_name(v[i]->obs.qtype, type, sizeof type);
            size_t groups = 0;
            for (size_t k = i; k < j; k++) {
                if (done[k])
                    continue;
                char names[CC_VIEW_MAX] = "", view[CC_VIEW_MAX];
                size_t members = 0;
                for (size_t m = k; m < j; m++) {
                    if (done[m] || !same_view(v[k], v[m]))
                        continue;
                    done[m] = true;
                    findings_buf_add(names, sizeof names, "%s%s", members ? " and " : "",
                                     str_or(v[m]->obs.resolver, "?"));
                    members++;
                }
                view_words(v[k], view, sizeof view);
                findings_buf_add(msg, sizeof msg, "%s%s see%s %s", groups ? "; " : "", names,
                                 members > 1 ? "" : "s", view);
                groups++;
            }
            add(out, "RESOLVER_DISAGREE", PROTO_SEV_WARNING, str_or(v[i]->obs.qname, "."), NULL,
                "resolvers disagree on %s %s: %s; a change may still be "
                "propagating (cached answers live until their TTL runs out) or "
                "some resolver sees other data",
                str_or(v[i]->obs.qname, "."), type, msg);
        }
        i = j;
    }
    free(done);
}

/* "ns1.lab.test. (127.0.10.1)" or the address alone. */
static void server_words(const answer_t *a, char *out, size_t size)
{
    if (a->obs.server && a->obs.server[0])
        snprintf(out, size, "%s (%s)", a->obs.server, str_or(a->obs.resolver, "?"));
    else
        snprintf(out, size, "%s", str_or(a->obs.resolver, "?"));
}

/* An authoritative SOA answer that carries a serial. */
static bool auth_soa_ok(const answer_t *a)
{
    return a->obs.fail == PROTO_FAIL_NONE && (a->obs.flags & PROTO_FLAG_AA) &&
           a->obs.rcode == LDNS_RCODE_NOERROR && a->obs.has_soa_serial;
}

/* AUTH_SERIAL_MISMATCH over the auth SOA answers v, sorted by question. */
static void check_serials(const answer_t *const *v, size_t n, findings_t *out)
{
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && cmp_question(v[j], v[i]) == 0)
            j++;
        uint32_t *serials = calloc(j - i, sizeof *serials);
        if (!serials) {
            log_err("crosscheck: out of memory");
            return;
        }
        size_t n_s = 0;
        for (size_t k = i; k < j; k++) {
            if (!auth_soa_ok(v[k]))
                continue;
            bool seen = false;
            for (size_t m = 0; m < n_s && !seen; m++)
                seen = serials[m] == v[k]->obs.soa_serial;
            if (!seen)
                serials[n_s++] = v[k]->obs.soa_serial;
        }
        if (n_s > 1) {
            char list[CC_MSG_MAX / 2] = "", srv[300], verdict[200];
            size_t listed = 0;
            for (size_t k = i; k < j; k++) {
                if (!auth_soa_ok(v[k]))
                    continue;
                server_words(v[k], srv, sizeof srv);
                findings_buf_add(list, sizeof list, "%s%s has %u", listed++ ? ", " : "", srv,
                                 v[k]->obs.soa_serial);
            }
            uint32_t newest;
            if (serial_max(serials, n_s, &newest))
                snprintf(verdict, sizeof verdict,
                         "%u is the newest (RFC 1982 serial arithmetic) and the servers with "
                         "other serials lag behind: check zone transfers (NOTIFY, IXFR/AXFR) "
                         "to them",
                         newest);
            else
                snprintf(verdict, sizeof verdict,
                         "no serial is the newest under RFC 1982 serial arithmetic: the "
                         "servers serve unrelated versions of the zone");
            add(out, "AUTH_SERIAL_MISMATCH", PROTO_SEV_WARNING, str_or(v[i]->obs.qname, "."), NULL,
                "the authoritative servers of %s serve different SOA serials: "
                "%s; %s",
                str_or(v[i]->obs.qname, "."), list, verdict);
        }
        free(serials);
        i = j;
    }
}

/* LAME_DELEGATION over the auth SOA answers v, sorted by question. */
static void check_lame(const answer_t *const *v, size_t n, findings_t *out)
{
    for (size_t i = 0; i < n; i++) {
        const answer_t *a = v[i];
        if (a->obs.fail == PROTO_FAIL_INCOMPLETE)
            continue;
        char what[128], srv[300];
        if (a->obs.fail != PROTO_FAIL_NONE)
            failure_words(a, what, sizeof what);
        else if (!(a->obs.flags & PROTO_FLAG_AA))
            snprintf(what, sizeof what, "answered without the AA (authoritative) flag");
        else
            continue;
        server_words(a, srv, sizeof srv);
        const char *zone = str_or(a->obs.qname, ".");
        add(out, "LAME_DELEGATION", PROTO_SEV_WARNING, zone, str_or(a->obs.resolver, NULL),
            "name server %s, listed for %s, %s when asked for the zone's SOA: it "
            "does not serve the zone with authority (a lame delegation, RFC 9499 "
            "§7); resolvers that pick it lose time or fail: fix the server or "
            "remove it from the zone's NS records",
            srv, zone, what);
    }
}

void crosscheck_run(const answer_t *const *answers, size_t n, findings_t *out)
{
    if (!answers || !out || n == 0)
        return;
    const answer_t **rec = calloc(n, sizeof *rec);
    const answer_t **ok = calloc(n, sizeof *ok);
    const answer_t **soa = calloc(n, sizeof *soa);
    if (!rec || !ok || !soa) {
        log_err("crosscheck: out of memory");
        goto done;
    }
    size_t n_rec = 0, n_ok = 0, n_soa = 0;
    for (size_t i = 0; i < n; i++) {
        const answer_t *a = answers[i];
        if (!a)
            continue;
        if (is_auth(a)) {
            if (a->obs.qtype == LDNS_RR_TYPE_SOA)
                soa[n_soa++] = a;
            continue;
        }
        if (a->obs.fail == PROTO_FAIL_INCOMPLETE)
            continue;
        rec[n_rec++] = a;
        if (a->obs.fail == PROTO_FAIL_NONE)
            ok[n_ok++] = a;
    }
    qsort(rec, n_rec, sizeof *rec, by_resolver);
    qsort(ok, n_ok, sizeof *ok, by_question);
    qsort(soa, n_soa, sizeof *soa, by_question);
    check_failures(rec, n_rec, out);
    check_disagree(ok, n_ok, out);
    check_serials(soa, n_soa, out);
    check_lame(soa, n_soa, out);
done:
    free(rec);
    free(ok);
    free(soa);
}

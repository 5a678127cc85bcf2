/*
 * agent/smtpcheck.c - SMTP targets of a mail check and the findings of
 * their probes (see smtpcheck.h).
 */
#include "agent/smtpcheck.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/addrclass.h"
#include "agent/answer.h"
#include "proto/json.h"

#define DAY_MS (86400 * (int64_t)1000)

/* Two names equal but for case and a trailing dot. */
static bool same_name(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la && a[la - 1] == '.')
        la--;
    if (lb && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

/* The check's answer to (qname, qtype) at resolver name, or NULL. */
static const answer_t *find_answer(const check_t *c, const char *resolver, const char *qname,
                                   uint16_t qtype)
{
    for (size_t i = 0; i < check_answer_count(c); i++) {
        const answer_t *a = check_answer(c, i);
        if (a->obs.qtype == qtype && strcmp(a->obs.resolver, resolver) == 0 &&
            same_name(a->obs.qname, qname))
            return a;
    }
    return NULL;
}

/* rdf as lower-case text into out; false when it does not fit. */
static bool rdf_text(const ldns_rdf *rdf, char *out, size_t size)
{
    char *s = rdf ? ldns_rdf2str(rdf) : NULL;
    if (!s)
        return false;
    bool fits = strlen(s) < size;
    if (fits) {
        for (size_t i = 0; s[i]; i++)
            out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
        out[strlen(s)] = '\0';
    }
    free(s);
    return fits;
}

typedef struct mx_host {
    uint16_t pref;
    char name[256];
} mx_host;

static int mx_cmp(const void *a, const void *b)
{
    const mx_host *x = a, *y = b;
    return (x->pref > y->pref) - (x->pref < y->pref);
}

size_t smtpcheck_resolver(const check_t *c)
{
    size_t r = 0;
    while (r < check_resolver_count(c) && strcmp(check_resolver_kind(c, r), "auth") == 0)
        r++;
    return r;
}

size_t smtpcheck_targets(const check_t *c, size_t r, smtpcheck_target *out, size_t max)
{
    if (r >= check_resolver_count(c))
        return 0;
    const char *res = check_resolver_name(c, r);
    const answer_t *mx = find_answer(c, res, check_domain(c), LDNS_RR_TYPE_MX);
    ldns_rr_list *l = mx && answer_ok(mx) ? answer_records(mx, LDNS_RR_TYPE_MX) : NULL;
    mx_host hosts[64];
    size_t nh = 0;
    for (size_t i = 0; l && i < ldns_rr_list_rr_count(l) && nh < 64; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l, i);
        const ldns_rdf *pref = ldns_rr_mx_preference(rr);
        if (!pref || !rdf_text(ldns_rr_mx_exchange(rr), hosts[nh].name, sizeof hosts[nh].name) ||
            strcmp(hosts[nh].name, ".") == 0) /* null MX (RFC 7505): no host */
            continue;
        hosts[nh].pref = ldns_rdf2native_int16(pref);
        nh++;
    }
    ldns_rr_list_deep_free(l);
    qsort(hosts, nh, sizeof hosts[0], mx_cmp);
    size_t n = 0;
    for (size_t h = 0; h < nh; h++) {
        static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
        for (size_t t = 0; t < 2; t++) {
            const answer_t *a = find_answer(c, res, hosts[h].name, types[t]);
            ldns_rr_list *al = a && answer_ok(a) ? answer_records(a, (ldns_rr_type)types[t]) : NULL;
            for (size_t i = 0; al && i < ldns_rr_list_rr_count(al) && n < max; i++) {
                smtpcheck_target *tg = &out[n];
                if (!rdf_text(ldns_rr_rdf(ldns_rr_list_rr(al, i), 0), tg->addr, sizeof tg->addr))
                    continue;
                snprintf(tg->host, sizeof tg->host, "%s", hosts[h].name);
                bool dup = false;
                for (size_t k = 0; k < n && !dup; k++)
                    dup = strcmp(out[k].addr, tg->addr) == 0 && same_name(out[k].host, tg->host);
                n += !dup;
            }
            ldns_rr_list_deep_free(al);
        }
    }
    return n;
}

/* The PTR name of addr as the check saw it at its resolver, or "" . */
static void ptr_name(const smtpcheck_input *in, const char *addr, char *out, size_t size)
{
    out[0] = '\0';
    if (!in->check || in->resolver >= check_resolver_count(in->check))
        return;
    unsigned char bin[16];
    int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    char rev[ADDRCLASS_REVERSE_MAX];
    if (inet_pton(family, addr, bin) != 1 || !addrclass_reverse_name(family, bin, rev, sizeof rev))
        return;
    const answer_t *a =
        find_answer(in->check, check_resolver_name(in->check, in->resolver), rev, LDNS_RR_TYPE_PTR);
    ldns_rr_list *l = a && answer_ok(a) ? answer_records(a, LDNS_RR_TYPE_PTR) : NULL;
    if (l && ldns_rr_list_rr_count(l) > 0)
        rdf_text(ldns_rr_rdf(ldns_rr_list_rr(l, 0), 0), out, size);
    ldns_rr_list_deep_free(l);
}

/* A host is usable from here when one of its addresses holds an SMTP dialogue. */
static bool host_usable(const smtpcheck_input *in, const char *host)
{
    for (size_t i = 0; i < in->n; i++) {
        const proto_smtp *r = &in->results[i];
        if (same_name(r->host, host) &&
            (r->status == PROTO_SMTP_OK || r->status == PROTO_SMTP_TLS_FAILED))
            return true;
    }
    return false;
}

/* Where a probe says the server cannot be reached at all. */
static bool unreachable(const proto_smtp *r)
{
    return r->status == PROTO_SMTP_REFUSED || r->status == PROTO_SMTP_UNREACHABLE ||
           (r->status == PROTO_SMTP_TIMEOUT && r->connect_us == 0);
}

/* The server answered the connection but not with a working dialogue. */
static bool broken_dialogue(const proto_smtp *r)
{
    return r->status == PROTO_SMTP_GREETING_BAD || r->status == PROTO_SMTP_CLOSED ||
           r->status == PROTO_SMTP_PROTOCOL ||
           (r->status == PROTO_SMTP_TIMEOUT && r->connect_us != 0);
}

void smtpcheck_findings(const smtpcheck_input *in, findings_t *out)
{
    bool any_usable = false;
    for (size_t i = 0; i < in->n && !any_usable; i++)
        any_usable = host_usable(in, in->results[i].host);
    proto_severity reach_sev = any_usable ? PROTO_SEV_WARNING : PROTO_SEV_CRITICAL;
    const char *reach_tail = any_usable ? "another MX host takes the mail"
                                        : "no MX host of the domain can be reached from here: "
                                          "mail from this region cannot be delivered";
    unsigned days = in->expiring_days ? in->expiring_days : 14;
    for (size_t i = 0; i < in->n; i++) {
        const proto_smtp *r = &in->results[i];
        const char *detail = r->detail ? r->detail : pjson_smtp_status(r->status);
        if (unreachable(r)) {
            findings_add(out, "SMTP_UNREACHABLE", reach_sev, r->host, NULL,
                         "MX host %s (%s) port %u: %s; %s", r->host, r->addr, r->port, detail,
                         reach_tail);
            continue;
        }
        if (broken_dialogue(r)) {
            if (r->code == 220)
                findings_add(out, "SMTP_GREETING_BAD", reach_sev, r->host, NULL,
                             "MX host %s (%s) port %u greets with 220 but the SMTP dialogue "
                             "breaks: %s; %s",
                             r->host, r->addr, r->port, detail, reach_tail);
            else
                findings_add(out, "SMTP_GREETING_BAD", reach_sev, r->host, NULL,
                             "MX host %s (%s) port %u does not greet with 220: %s; %s", r->host,
                             r->addr, r->port, detail, reach_tail);
            continue;
        }
        if (r->status != PROTO_SMTP_OK && r->status != PROTO_SMTP_TLS_FAILED)
            continue; /* skipped or a local error: nothing known about the server */
        if (r->status == PROTO_SMTP_TLS_FAILED)
            findings_add(out, "SMTP_NO_STARTTLS", PROTO_SEV_WARNING, r->host, NULL,
                         "MX host %s (%s) offers STARTTLS but it fails (%s): senders fall back "
                         "to plain text, or bounce where MTA-STS or DANE is enforced",
                         r->host, r->addr, detail);
        else if ((r->flags & PROTO_SMTP_EHLO) && !(r->flags & PROTO_SMTP_STARTTLS))
            findings_add(out, "SMTP_NO_STARTTLS", PROTO_SEV_WARNING, r->host, NULL,
                         "MX host %s (%s) does not offer STARTTLS: mail to it crosses the "
                         "network in plain text",
                         r->host, r->addr);
        if (r->flags & PROTO_SMTP_TLS) {
            if (!(r->flags & PROTO_SMTP_NAME_MATCH))
                findings_add(out, "SMTP_TLS_NAME_MISMATCH", PROTO_SEV_WARNING, r->host, NULL,
                             "MX host %s (%s): its certificate names %s, not %s; senders that "
                             "verify (MTA-STS, DANE) refuse it",
                             r->host, r->addr, r->cert_names ? r->cert_names : "no DNS name",
                             r->host);
            if (r->cert_not_after && r->cert_not_after <= in->now_ms)
                findings_add(out, "SMTP_TLS_EXPIRED", PROTO_SEV_CRITICAL, r->host, NULL,
                             "MX host %s (%s): its certificate expired %lld days ago; senders "
                             "that verify refuse it: renew it",
                             r->host, r->addr,
                             (long long)((in->now_ms - r->cert_not_after) / DAY_MS));
            else if (r->cert_not_after && r->cert_not_after - in->now_ms < (int64_t)days * DAY_MS)
                findings_add(out, "SMTP_TLS_EXPIRING", PROTO_SEV_WARNING, r->host, NULL,
                             "MX host %s (%s): its certificate expires in %lld days (within "
                             "%u): renew it",
                             r->host, r->addr,
                             (long long)((r->cert_not_after - in->now_ms) / DAY_MS), days);
        }
        if (r->greet_name && !same_name(r->greet_name, r->host)) {
            char ptr[256];
            ptr_name(in, r->addr, ptr, sizeof ptr);
            if (!ptr[0] || !same_name(r->greet_name, ptr))
                findings_add(out, "SMTP_GREETING_NAME", PROTO_SEV_INFO, r->host, NULL,
                             "MX host %s (%s) greets as %s, which is neither the MX name nor "
                             "the address's PTR name (%s)",
                             r->host, r->addr, r->greet_name, ptr[0] ? ptr : "none");
        }
    }
}

/*
 * agent/profile.c - the mail-health profile: findings from answers.
 *
 * One run asks, in this order, everything it can ask with what it has:
 *   round 1: DOMAIN MX, DOMAIN TXT (SPF), _dmarc.DOMAIN TXT;
 *   round 2: A and AAAA of every MX target (or of DOMAIN when it has no
 *            MX), TXT of SPF include/redirect targets, _dmarc.ORGDOMAIN TXT
 *            when _dmarc.DOMAIN has no DMARC record;
 *   round 3: PTR of every public address of the MX targets, and deeper
 *            SPF includes;
 *   round 4: A or AAAA of every PTR name not asked before (forward
 *            confirmation).
 * A domain whose PTR names are its MX hosts needs three rounds; the fourth
 * run is complete. Findings of a run that missed an answer are dropped
 * (the driver asks and runs again), so only a complete run adds to out.
 *
 * Answers that failed (SERVFAIL, REFUSED, timeout, ...) decide nothing: a
 * check that needs one is skipped, and RESOLVER_FAILURE (agent/crosscheck.c)
 * tells about the failure.
 */
#include "agent/profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "agent/addrclass.h"
#include "agent/dmarc.h"
#include "agent/spf.h"
#include "common/dnsname.h"
#include "common/log.h"
#include "proto/schema.h"

/* Most MX hosts checked (by preference, then name). */
#define PROFILE_MAX_TARGETS 16
/* Most addresses kept per MX host. */
#define PROFILE_MAX_ADDRS 16
/* Most addresses whose reverse DNS is checked. */
#define PROFILE_MAX_PTR_ADDRS 32
/* Most MX records read from one answer. */
#define PROFILE_MAX_MX 256
/* Most PTR names followed back per address. */
#define PROFILE_MAX_PTR_NAMES 4
/* Longest message built here before findings_add() (which cuts at PROTO_NAME_MAX). */
#define PROFILE_MSG_MAX 1024

/* One address. */
typedef struct addr {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char a[16];     /* bytes, network order */
    const char *why_private; /* class words when the address is private, else NULL */
} addr_t;

/* What became of one MX target. */
typedef enum target_state {
    TS_PENDING = 0,    /* answers missing */
    TS_UNKNOWN = 1,    /* answers failed: nothing decided */
    TS_OK = 2,         /* at least one public address */
    TS_NXDOMAIN = 3,   /* the name does not exist */
    TS_NO_ADDRESS = 4, /* the name exists, without A or AAAA */
    TS_LITERAL = 5,    /* an IP address written as a host name */
    TS_PRIVATE = 6,    /* only private addresses */
} target_state;

/* One MX host. */
typedef struct target {
    const char *host;                /* canonical host name */
    unsigned pref;                   /* lowest preference it is listed with */
    target_state state;              /* what became of it */
    const char *cname;               /* what it is an alias for, or NULL */
    bool origin_literal;             /* TS_LITERAL: an address with the zone origin appended */
    addr_t addrs[PROFILE_MAX_ADDRS]; /* its addresses, A then AAAA */
    size_t n_addrs;                  /* count */
    size_t n_private;                /* how many of them are private */
} target_t;

/* State of one run. */
typedef struct run {
    const profile_input *in; /* what to check and where answers come from */
    arena_t *arena;          /* this run's strings; freed at its end */
    findings_t f;            /* this run's findings; copied to out when complete */
    bool missing;            /* some answer was not there yet */
    bool nomem;              /* an allocation failed */
    const char *domain;      /* the domain, canonical */
} run_t;

/* The answer to a question, noting when it is not there yet. */
static const answer_t *ask(run_t *r, const char *qname, uint16_t qtype)
{
    const answer_t *a = r->in->lookup(r->in->lookup_ctx, qname, qtype);
    if (!a)
        r->missing = true;
    return a;
}

/* An answer that says something: NOERROR or NXDOMAIN, parsed. */
static bool usable(const answer_t *a)
{
    return a && a->pkt && a->obs.fail == PROTO_FAIL_NONE;
}

static char *run_printf(run_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *run_printf(run_t *r, const char *fmt, ...)
{
    char buf[PROFILE_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = arena_strdup(r->arena, buf);
    if (!s)
        r->nomem = true;
    return s;
}

static void add(run_t *r, const char *code, proto_severity sev, const char *name, const char *fmt,
                ...) __attribute__((format(printf, 5, 6)));
static void add(run_t *r, const char *code, proto_severity sev, const char *name, const char *fmt,
                ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (findings_vadd(&r->f, code, sev, name, r->in->resolver, fmt, ap) != 0)
        r->nomem = true;
    va_end(ap);
}

/* Canonical form of a name into the run's arena; NULL when it is not a valid name. */
static const char *canon(run_t *r, const char *name)
{
    char buf[DNSNAME_TEXT_MAX];
    if (dnsname_normalize(name, buf, sizeof buf) != DNSNAME_OK)
        return NULL;
    const char *s = arena_strdup(r->arena, buf);
    if (!s)
        r->nomem = true;
    return s;
}

/* Record text fit for a message: visible ASCII kept, other bytes '?', cut at max bytes. */
static const char *printable(run_t *r, const char *text, size_t max)
{
    size_t len = strlen(text);
    bool cut = len > max;
    if (cut)
        len = max;
    char *s = arena_alloc(r->arena, len + 4);
    if (!s) {
        r->nomem = true;
        return "";
    }
    for (size_t i = 0; i < len; i++)
        s[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
    memcpy(s + len, cut ? "..." : "", cut ? 4 : 1);
    return s;
}

static int str_cmp(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/*
 * Texts of the TXT records an answer holds at the end of its CNAME chain,
 * each record's character-strings joined without separators (RFC 7208
 * §3.3); NUL octets become DEL so they stay visible as bad characters.
 * Sorted, into the run's arena; *n_out their count.
 */
static const char **txt_texts(run_t *r, const answer_t *a, size_t *n_out)
{
    *n_out = 0;
    ldns_rr_list *l = answer_records(a, LDNS_RR_TYPE_TXT);
    size_t n = l ? ldns_rr_list_rr_count(l) : 0;
    const char **v = n ? arena_calloc(r->arena, n, sizeof *v) : NULL;
    if (n && !v)
        r->nomem = true;
    for (size_t i = 0; v && i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l, i);
        size_t total = 0;
        for (size_t k = 0; k < ldns_rr_rd_count(rr); k++)
            total += ldns_rdf_size(ldns_rr_rdf(rr, k));
        char *s = arena_alloc(r->arena, total + 1);
        if (!s) {
            r->nomem = true;
            break;
        }
        size_t len = 0;
        for (size_t k = 0; k < ldns_rr_rd_count(rr); k++) {
            const ldns_rdf *rdf = ldns_rr_rdf(rr, k);
            const uint8_t *d = ldns_rdf_data(rdf);
            size_t size = ldns_rdf_size(rdf);
            if (size < 1 || (size_t)d[0] + 1 > size)
                continue;
            for (size_t j = 0; j < d[0]; j++)
                s[len++] = d[1 + j] ? (char)d[1 + j] : 0x7f;
        }
        s[len] = '\0';
        v[(*n_out)++] = s;
    }
    ldns_rr_list_deep_free(l);
    if (*n_out > 1)
        qsort(v, *n_out, sizeof *v, str_cmp);
    return v;
}

/* Addresses of an A or AAAA answer appended to t (up to the cap). */
static void collect_addrs(const answer_t *a, ldns_rr_type type, target_t *t)
{
    if (!usable(a))
        return;
    ldns_rr_list *l = answer_records(a, type);
    int family = type == LDNS_RR_TYPE_A ? AF_INET : AF_INET6;
    size_t width = family == AF_INET ? 4 : 16;
    for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l, i);
        const ldns_rdf *rdf = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
        if (!rdf || ldns_rdf_size(rdf) != width || t->n_addrs >= PROFILE_MAX_ADDRS)
            continue;
        addr_t *ad = &t->addrs[t->n_addrs];
        memset(ad, 0, sizeof *ad);
        ad->family = family;
        memcpy(ad->a, ldns_rdf_data(rdf), width);
        bool dup = false;
        for (size_t k = 0; k < t->n_addrs; k++)
            dup = dup || (t->addrs[k].family == family && memcmp(t->addrs[k].a, ad->a, 16) == 0);
        if (!dup)
            t->n_addrs++;
    }
    ldns_rr_list_deep_free(l);
}

/* Why an address is private (class words), or NULL when it is public. */
static const char *private_why(const profile_input *in, const addr_t *ad)
{
    addrclass_kind k = addrclass_classify(ad->family, ad->a);
    if (k != ADDRCLASS_PUBLIC)
        return addrclass_name(k);
    for (size_t i = 0; i < in->n_extra_private; i++) {
        const profile_range *pr = &in->extra_private[i];
        if (addrclass_in_prefix(ad->family, ad->a, pr->family, pr->addr, pr->prefix))
            return "in a range configured as private";
    }
    return NULL;
}

/* "192.0.2.1, 2001:db8::1" for a target's addresses (only private ones when priv_only). */
static void addr_list(const target_t *t, bool priv_only, char *buf, size_t size)
{
    buf[0] = '\0';
    for (size_t i = 0; i < t->n_addrs; i++) {
        if (priv_only && !t->addrs[i].why_private)
            continue;
        char text[ADDRCLASS_TEXT_MAX];
        addrclass_to_text(t->addrs[i].family, t->addrs[i].a, text, sizeof text);
        if (priv_only)
            findings_buf_add(buf, size, "%s%s is %s", buf[0] ? ", " : "", text,
                             t->addrs[i].why_private);
        else
            findings_buf_add(buf, size, "%s%s", buf[0] ? ", " : "", text);
    }
}

/* Look up one MX target and decide its state. */
static void resolve_target(run_t *r, target_t *t)
{
    unsigned char lit[16];
    if (addrclass_literal(t->host, NULL, lit)) {
        t->state = TS_LITERAL;
        return;
    }
    const answer_t *a = ask(r, t->host, LDNS_RR_TYPE_A);
    const answer_t *aaaa = ask(r, t->host, LDNS_RR_TYPE_AAAA);
    if (!a || !aaaa) {
        t->state = TS_PENDING;
        return;
    }
    bool ua = usable(a), u6 = usable(aaaa);
    char *cn = ua ? answer_cname_target(a) : NULL;
    if (!cn && u6)
        cn = answer_cname_target(aaaa);
    if (cn) {
        t->cname = canon(r, cn);
        if (!t->cname)
            t->cname = run_printf(r, "%s", cn);
        free(cn);
    }
    collect_addrs(a, LDNS_RR_TYPE_A, t);
    collect_addrs(aaaa, LDNS_RR_TYPE_AAAA, t);
    for (size_t i = 0; i < t->n_addrs; i++) {
        t->addrs[i].why_private = private_why(r->in, &t->addrs[i]);
        if (t->addrs[i].why_private)
            t->n_private++;
    }
    if (t->n_addrs > 0)
        t->state = t->n_private == t->n_addrs ? TS_PRIVATE : TS_OK;
    else if ((ua && answer_nxdomain(a)) || (u6 && answer_nxdomain(aaaa)))
        t->state = TS_NXDOMAIN;
    else if (ua && u6)
        t->state = TS_NO_ADDRESS;
    else
        t->state = TS_UNKNOWN;
    if ((t->state == TS_NXDOMAIN || t->state == TS_NO_ADDRESS) &&
        addrclass_literal_with_origin(t->host, NULL)) {
        t->state = TS_LITERAL;
        t->origin_literal = true;
    }
}

/* Findings about one target; sev is critical when no target can take mail. */
static void report_target(run_t *r, const target_t *t, proto_severity sev)
{
    const char *d = r->domain;
    char list[PROFILE_MSG_MAX / 2];
    if (t->cname)
        add(r, "MX_TARGET_CNAME", PROTO_SEV_WARNING, t->host,
            "MX target %s is an alias (CNAME) for %s; RFC 2181 §10.3 requires MX to name a "
            "host's canonical name (RFC 5321 §5.1): point the MX of %s at %s or give %s its own "
            "A/AAAA records",
            t->host, t->cname, d, t->cname, t->host);
    switch (t->state) {
    case TS_LITERAL:
        if (t->origin_literal) {
            unsigned char v4[4];
            char text[ADDRCLASS_TEXT_MAX];
            addrclass_literal_with_origin(t->host, v4);
            add(r, "MX_TARGET_IP_LITERAL", sev, t->host,
                "MX target %s of %s looks like the address %s with the zone's origin appended "
                "(an address written without a trailing dot) and has no address record; an MX "
                "must name a host (RFC 1035 §3.3.9): give the host a name with an A record and "
                "put that name in the MX",
                t->host, d, addrclass_to_text(AF_INET, v4, text, sizeof text));
        } else {
            add(r, "MX_TARGET_IP_LITERAL", sev, t->host,
                "MX target %s of %s is an IP address where a host name belongs (RFC 1035 "
                "§3.3.9, RFC 5321 §5.1); senders look it up as a name and find nothing: give "
                "the host a name with an A/AAAA record and put that name in the MX",
                t->host, d);
        }
        break;
    case TS_NXDOMAIN:
        if (t->cname)
            add(r, "MX_TARGET_NXDOMAIN", sev, t->host,
                "MX target %s of %s is an alias for %s, which does not exist (NXDOMAIN); mail "
                "cannot be delivered there",
                t->host, d, t->cname);
        else
            add(r, "MX_TARGET_NXDOMAIN", sev, t->host,
                "MX target %s of %s does not exist (NXDOMAIN); mail cannot be delivered there: "
                "create the host's A/AAAA records or fix the MX record",
                t->host, d);
        break;
    case TS_NO_ADDRESS:
        add(r, "MX_TARGET_NO_ADDRESS", sev, t->host,
            "MX target %s of %s exists but has neither an A nor an AAAA record, so senders "
            "cannot connect to it: add its addresses or fix the MX record",
            t->host, d);
        break;
    case TS_OK:
    case TS_PRIVATE:
        if (t->n_private > 0) {
            addr_list(t, true, list, sizeof list);
            add(r, "MX_TARGET_PRIVATE_ADDRESS", sev, t->host,
                "MX target %s of %s resolves to addresses senders on the Internet cannot reach "
                "(RFC 6890): %s%s",
                t->host, d, list,
                t->state == TS_PRIVATE ? "; publish the host's public address"
                                       : "; it also has public addresses, so remove the "
                                         "private ones");
        }
        break;
    case TS_PENDING:
    case TS_UNKNOWN:
        break;
    }
}

/* One address whose reverse DNS is checked. */
typedef struct ptr_check {
    addr_t addr;      /* the address */
    const char *host; /* the MX host it belongs to */
} ptr_check;

/* True when an A/AAAA answer holds the address. */
static bool answer_has_addr(const answer_t *a, const addr_t *ad)
{
    ldns_rr_type type = ad->family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
    size_t width = ad->family == AF_INET ? 4 : 16;
    ldns_rr_list *l = answer_records(a, type);
    bool found = false;
    for (size_t i = 0; l && i < ldns_rr_list_rr_count(l) && !found; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l, i);
        const ldns_rdf *rdf = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
        found = rdf && ldns_rdf_size(rdf) == width && memcmp(ldns_rdf_data(rdf), ad->a, width) == 0;
    }
    ldns_rr_list_deep_free(l);
    return found;
}

/* PTR_MISSING and PTR_MISMATCH for one address. */
static void check_ptr(run_t *r, const ptr_check *pc)
{
    char rev[ADDRCLASS_REVERSE_MAX], text[ADDRCLASS_TEXT_MAX];
    if (!addrclass_reverse_name(pc->addr.family, pc->addr.a, rev, sizeof rev))
        return;
    addrclass_to_text(pc->addr.family, pc->addr.a, text, sizeof text);
    const answer_t *p = ask(r, rev, LDNS_RR_TYPE_PTR);
    if (!usable(p))
        return;
    ldns_rr_list *l = answer_records(p, LDNS_RR_TYPE_PTR);
    size_t n = l ? ldns_rr_list_rr_count(l) : 0;
    if (n == 0) {
        add(r, "PTR_MISSING", PROTO_SEV_WARNING, rev,
            "address %s of MX host %s has no PTR record at %s (%s); many receivers distrust "
            "mail from hosts without reverse DNS: ask whoever runs the address block to "
            "publish a PTR naming the host",
            text, pc->host, rev, answer_nxdomain(p) ? "NXDOMAIN" : "no PTR in the answer");
        ldns_rr_list_deep_free(l);
        return;
    }
    const char *names[PROFILE_MAX_PTR_NAMES];
    size_t n_names = 0;
    for (size_t i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l, i);
        if (ldns_rr_rd_count(rr) != 1)
            continue;
        char *s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
        const char *c = s ? canon(r, s) : NULL;
        free(s);
        if (!c)
            continue;
        size_t k = 0;
        while (k < n_names && strcmp(names[k], c) < 0)
            k++;
        if (k < n_names && strcmp(names[k], c) == 0)
            continue;
        if (n_names == PROFILE_MAX_PTR_NAMES) {
            if (k == n_names)
                continue;
            n_names--;
        }
        memmove(&names[k + 1], &names[k], (n_names - k) * sizeof names[0]);
        names[k] = c;
        n_names++;
    }
    ldns_rr_list_deep_free(l);
    if (n_names == 0)
        return;
    bool confirmed = false, unknown = false;
    uint16_t qtype = pc->addr.family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
    for (size_t i = 0; i < n_names; i++) {
        const answer_t *f = ask(r, names[i], qtype);
        if (!f || !usable(f))
            unknown = true;
        else if (answer_has_addr(f, &pc->addr))
            confirmed = true;
    }
    if (confirmed || unknown)
        return;
    char list[PROFILE_MSG_MAX / 2] = "";
    for (size_t i = 0; i < n_names; i++)
        findings_buf_add(list, sizeof list, "%s%s", i ? ", " : "", names[i]);
    add(r, "PTR_MISMATCH", PROTO_SEV_WARNING, rev,
        "address %s of MX host %s has PTR %s, but %s not resolve back to %s (no "
        "forward-confirmed reverse DNS); receivers that check it distrust the host: make the "
        "PTR name's %s record include %s",
        text, pc->host, list, n_names > 1 ? "none of them does" : "it does", text,
        qtype == LDNS_RR_TYPE_A ? "A" : "AAAA", text);
}

/* No MX: IMPLICIT_MX or MX_MISSING from the domain's own addresses. */
static void check_no_mx(run_t *r)
{
    const answer_t *a = ask(r, r->domain, LDNS_RR_TYPE_A);
    const answer_t *aaaa = ask(r, r->domain, LDNS_RR_TYPE_AAAA);
    if (!a || !aaaa)
        return;
    target_t *self = arena_alloc(r->arena, sizeof *self);
    if (!self) {
        r->nomem = true;
        return;
    }
    collect_addrs(a, LDNS_RR_TYPE_A, self);
    collect_addrs(aaaa, LDNS_RR_TYPE_AAAA, self);
    if (self->n_addrs > 0) {
        char list[PROFILE_MSG_MAX / 2];
        addr_list(self, false, list, sizeof list);
        add(r, "IMPLICIT_MX", PROTO_SEV_WARNING, r->domain,
            "%s has no MX record, so senders deliver to its own address %s (implicit MX, RFC "
            "5321 §5.1); publish an MX naming the mail host, or a null MX \"0 .\" (RFC 7505) if "
            "it takes no mail",
            r->domain, list);
    } else if (usable(a) && usable(aaaa)) {
        add(r, "MX_MISSING", PROTO_SEV_CRITICAL, r->domain,
            "%s exists but has no MX record and no A or AAAA record, so mail to it cannot be "
            "delivered (RFC 5321 §5.1): publish an MX record naming the mail host, or a null MX "
            "\"0 .\" (RFC 7505) if it takes no mail",
            r->domain);
    }
}

static int target_cmp(const void *x, const void *y)
{
    const target_t *a = x, *b = y;
    if (a->pref != b->pref)
        return a->pref < b->pref ? -1 : 1;
    return strcmp(a->host, b->host);
}

/* The MX part: NULL_MX, targets, MX_SINGLE, MX_SAME_PRIORITY, PTR. */
static void check_mx(run_t *r, const answer_t *mx)
{
    if (!usable(mx))
        return;
    ldns_rr_list *l = answer_records(mx, LDNS_RR_TYPE_MX);
    size_t n = l ? ldns_rr_list_rr_count(l) : 0;
    if (n == 0) {
        ldns_rr_list_deep_free(l);
        check_no_mx(r);
        return;
    }
    if (n > PROFILE_MAX_MX)
        n = PROFILE_MAX_MX;
    target_t *t = arena_calloc(r->arena, n, sizeof *t);
    if (!t) {
        r->nomem = true;
        ldns_rr_list_deep_free(l);
        return;
    }
    size_t n_t = 0;
    for (size_t i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(l, i);
        if (ldns_rr_rd_count(rr) != 2)
            continue;
        char *s = ldns_rdf2str(ldns_rr_mx_exchange(rr));
        const char *host = s ? canon(r, s) : NULL;
        free(s);
        if (!host)
            continue;
        unsigned pref = ldns_rdf2native_int16(ldns_rr_mx_preference(rr));
        size_t k = 0;
        while (k < n_t && strcmp(t[k].host, host) != 0)
            k++;
        if (k == n_t) {
            t[n_t].host = host;
            t[n_t++].pref = pref;
        } else if (pref < t[k].pref) {
            t[k].pref = pref;
        }
    }
    ldns_rr_list_deep_free(l);
    qsort(t, n_t, sizeof *t, target_cmp);

    size_t n_real = 0;
    bool has_null = false;
    char others[PROFILE_MSG_MAX / 2] = "";
    for (size_t i = 0; i < n_t; i++) {
        if (strcmp(t[i].host, ".") == 0) {
            has_null = true;
        } else {
            findings_buf_add(others, sizeof others, "%s%u %s", n_real ? ", " : "", t[i].pref,
                             t[i].host);
            n_real++;
        }
    }
    if (has_null && n_real == 0) {
        add(r, "NULL_MX", PROTO_SEV_INFO, r->domain,
            "%s publishes a null MX \"0 .\": it accepts no mail (RFC 7505)", r->domain);
        return;
    }
    if (has_null)
        add(r, "NULL_MX", PROTO_SEV_CRITICAL, r->domain,
            "%s publishes a null MX \"0 .\" (no mail accepted) beside other MX records (%s); RFC "
            "7505 §3 forbids that and senders may refuse all mail for it: remove the null MX if "
            "the domain takes mail, else remove the others",
            r->domain, others);

    /* Real targets only, the null MX left out; at most PROFILE_MAX_TARGETS of them. */
    target_t *real = arena_calloc(r->arena, n_real, sizeof *real);
    if (!real) {
        r->nomem = true;
        return;
    }
    size_t k = 0;
    for (size_t i = 0; i < n_t; i++) {
        if (strcmp(t[i].host, ".") != 0)
            real[k++] = t[i];
    }
    size_t n_check = n_real < PROFILE_MAX_TARGETS ? n_real : PROFILE_MAX_TARGETS;
    bool can_take = n_real > n_check;
    for (size_t i = 0; i < n_check; i++) {
        resolve_target(r, &real[i]);
        target_state s = real[i].state;
        can_take = can_take || s == TS_OK || s == TS_UNKNOWN || s == TS_PENDING;
    }
    proto_severity sev = can_take ? PROTO_SEV_WARNING : PROTO_SEV_CRITICAL;
    for (size_t i = 0; i < n_check; i++)
        report_target(r, &real[i], sev);

    if (n_real == 1)
        add(r, "MX_SINGLE", PROTO_SEV_INFO, r->domain,
            "%s has one MX host, %s; when it is down, senders queue mail and retry with no "
            "other host to try: consider a second MX at a higher preference value",
            r->domain, real[0].host);
    if (n_real > 1 && real[0].pref == real[n_real - 1].pref)
        add(r, "MX_SAME_PRIORITY", PROTO_SEV_INFO, r->domain,
            "all %zu MX hosts of %s share preference %u (%s): senders spread mail across them "
            "(load sharing), there is no primary and backup",
            n_real, r->domain, real[0].pref, others);

    /* Reverse DNS of every public address, each address once. */
    ptr_check pcs[PROFILE_MAX_PTR_ADDRS];
    size_t n_pc = 0;
    for (size_t i = 0; i < n_check; i++) {
        for (size_t j = 0; j < real[i].n_addrs && n_pc < PROFILE_MAX_PTR_ADDRS; j++) {
            const addr_t *ad = &real[i].addrs[j];
            bool dup = ad->why_private != NULL;
            for (size_t q = 0; q < n_pc && !dup; q++)
                dup = pcs[q].addr.family == ad->family && memcmp(pcs[q].addr.a, ad->a, 16) == 0;
            if (dup)
                continue;
            pcs[n_pc].addr = *ad;
            pcs[n_pc++].host = real[i].host;
        }
    }
    for (size_t i = 0; i < n_pc; i++)
        check_ptr(r, &pcs[i]);
}

/* SPF texts at an answer: the v=spf1 ones among its TXT records. */
static const char **spf_texts(run_t *r, const answer_t *a, size_t *n_out)
{
    size_t n = 0;
    const char **v = txt_texts(r, a, &n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (spf_is_record(v[i]))
            v[k++] = v[i];
    }
    *n_out = k;
    return v;
}

/* spf_fetch_fn over the run's lookup. */
static spf_fetch_status spf_fetch(void *ctx, const char *domain, const char **text_out)
{
    run_t *r = ctx;
    const answer_t *a = ask(r, domain, LDNS_RR_TYPE_TXT);
    if (!a)
        return SPF_FETCH_PENDING;
    if (!usable(a))
        return SPF_FETCH_NONE;
    size_t n = 0;
    const char **v = spf_texts(r, a, &n);
    if (n != 1)
        return SPF_FETCH_NONE;
    *text_out = v[0];
    return SPF_FETCH_OK;
}

/* SPF_TOO_MANY_LOOKUPS from a count. */
static void report_lookups(run_t *r, const spf_record *rec, const spf_count *c)
{
    char parts[PROFILE_MSG_MAX / 2] = "";
    for (size_t i = 0; i < rec->n_terms && i < SPF_TERMS_MAX; i++) {
        if (c->term_lookups[i] > 0)
            findings_buf_add(parts, sizeof parts, "%s%s %u", parts[0] ? ", " : "",
                             printable(r, rec->terms[i].shown, 80), c->term_lookups[i]);
    }
    if (c->loop)
        add(r, "SPF_TOO_MANY_LOOKUPS", PROTO_SEV_WARNING, r->domain,
            "the SPF record of %s leads back to %s through include or redirect (a loop), so "
            "evaluation passes the limit of %d DNS lookups and ends in permerror (RFC 7208 "
            "§4.6.4): break the loop",
            r->domain, c->loop_domain, SPF_LOOKUP_LIMIT);
    else
        add(r, "SPF_TOO_MANY_LOOKUPS", PROTO_SEV_WARNING, r->domain,
            "the SPF record of %s needs %s%u DNS lookups counted through include and redirect "
            "(%s), more than the %d receivers allow, so evaluation ends in permerror (RFC 7208 "
            "§4.6.4): replace includes by ip4/ip6 ranges or drop unused ones",
            r->domain, c->capped ? "more than " : "", c->capped ? SPF_COUNT_CAP : c->lookups, parts,
            SPF_LOOKUP_LIMIT);
}

/* The SPF part. */
static void check_spf(run_t *r, const answer_t *txt)
{
    if (!usable(txt))
        return;
    size_t n = 0;
    const char **v = spf_texts(r, txt, &n);
    if (n == 0) {
        add(r, "SPF_MISSING", PROTO_SEV_WARNING, r->domain,
            "%s has no SPF record (a TXT record starting with v=spf1, RFC 7208 §4.5), so "
            "receivers cannot tell which hosts may send its mail: publish one, e.g. "
            "\"v=spf1 mx -all\" (or \"v=spf1 -all\" if it sends no mail)",
            r->domain);
        return;
    }
    if (n > 1) {
        add(r, "SPF_MULTIPLE", PROTO_SEV_WARNING, r->domain,
            "%s has %zu SPF records (\"%s\" and \"%s\"%s); with more than one, receivers "
            "return permerror (RFC 7208 §4.5): merge them into one",
            r->domain, n, printable(r, v[0], 120), printable(r, v[1], 120),
            n > 2 ? " and more" : "");
        return;
    }
    spf_record *rec = NULL;
    spf_status st = spf_parse(v[0], &rec);
    if (st == SPF_ERR_NOMEM) {
        r->nomem = true;
        return;
    }
    if (st != SPF_OK) {
        add(r, "SPF_SYNTAX", PROTO_SEV_WARNING, r->domain,
            "the SPF record of %s cannot be read: %s (\"%s\")", r->domain, spf_status_str(st),
            printable(r, v[0], 120));
        return;
    }
    if (rec->n_errors_total > 0) {
        char errs[PROFILE_MSG_MAX / 2] = "";
        for (size_t i = 0; i < rec->n_errors; i++)
            findings_buf_add(errs, sizeof errs, "%s%s", i ? "; " : "", rec->errors[i]);
        add(r, "SPF_SYNTAX", PROTO_SEV_WARNING, r->domain,
            "the SPF record of %s (\"%s\") has %zu syntax error%s, so receivers return "
            "permerror (RFC 7208 §4.6): %s",
            r->domain, printable(r, v[0], 200), rec->n_errors_total,
            rec->n_errors_total > 1 ? "s" : "", errs);
    }
    if (rec->n_ignored > 0) {
        char list[PROFILE_MSG_MAX / 2] = "";
        bool redirect = false;
        for (size_t i = 0; i < rec->n_terms; i++) {
            if (!rec->terms[i].ignored)
                continue;
            if (rec->terms[i].kind == SPF_REDIRECT)
                redirect = true;
            else
                findings_buf_add(list, sizeof list, "%s\"%s\"", list[0] ? ", " : "",
                                 printable(r, rec->terms[i].shown, 80));
        }
        add(r, "SPF_AFTER_ALL", PROTO_SEV_INFO, r->domain,
            "the SPF record of %s has terms receivers never evaluate: %s%s%s; move them before "
            "\"all\" or remove them",
            r->domain, list[0] ? list : "", list[0] ? " after \"all\" (RFC 7208 §5.1)" : "",
            redirect ? (list[0] ? "; and a redirect beside \"all\" (§6.1)"
                                : "a redirect beside \"all\" (§6.1)")
                     : "");
    }
    spf_count c;
    st = spf_count_lookups(rec, r->domain, spf_fetch, r, &c);
    if (st == SPF_ERR_NOMEM)
        r->nomem = true;
    else if (st == SPF_OK && c.lookups > SPF_LOOKUP_LIMIT)
        report_lookups(r, rec, &c);
    spf_record_destroy(&rec);
}

/* DMARC texts at an answer: the v=DMARC1 ones among its TXT records. */
static const char **dmarc_texts(run_t *r, const answer_t *a, size_t *n_out)
{
    size_t n = 0;
    const char **v = txt_texts(r, a, &n);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (dmarc_is_record(v[i]))
            v[k++] = v[i];
    }
    *n_out = k;
    return v;
}

/* DMARC_INVALID for the records found at name. */
static void judge_dmarc(run_t *r, const char *name, const char **v, size_t n)
{
    if (n > 1) {
        add(r, "DMARC_INVALID", PROTO_SEV_WARNING, name,
            "%s has %zu DMARC records (\"%s\" and \"%s\"); with more than one, receivers apply "
            "no DMARC policy at all (RFC 7489 §6.6.3): keep one",
            name, n, printable(r, v[0], 120), printable(r, v[1], 120));
        return;
    }
    dmarc_record rec;
    char why[256];
    if (dmarc_parse(v[0], &rec, why, sizeof why))
        return;
    add(r, "DMARC_INVALID", PROTO_SEV_WARNING, name,
        "the DMARC record at %s (\"%s\") has no valid policy: %s; %s (RFC 7489 §6.3, §6.6.3): "
        "write \"v=DMARC1; p=none\" (or quarantine, reject) with p right after v",
        name, printable(r, v[0], 200), why,
        rec.has_rua ? "receivers act as if it said p=none" : "receivers ignore it");
}

/* The DMARC part: the domain's record, else its organizational domain's. */
static void check_dmarc(run_t *r, const answer_t *dm)
{
    const char *name = run_printf(r, "_dmarc.%s", r->domain);
    if (!usable(dm) || !name)
        return;
    size_t n = 0;
    const char **v = dmarc_texts(r, dm, &n);
    if (n > 0) {
        judge_dmarc(r, name, v, n);
        return;
    }
    char org[DNSNAME_TEXT_MAX];
    const char *org_name = NULL;
    if (dmarc_org_domain(r->domain, org, sizeof org) && strcmp(org, r->domain) != 0) {
        const char *text = run_printf(r, "_dmarc.%s", org);
        org_name = text ? canon(r, text) : NULL;
        if (org_name) {
            const answer_t *odm = ask(r, org_name, LDNS_RR_TYPE_TXT);
            if (!usable(odm))
                return;
            v = dmarc_texts(r, odm, &n);
            if (n > 0) {
                judge_dmarc(r, org_name, v, n);
                return;
            }
        }
    }
    if (org_name)
        add(r, "DMARC_MISSING", PROTO_SEV_INFO, name,
            "neither %s nor %s (the organizational domain's) has a DMARC record (v=DMARC1, RFC "
            "7489 §6.6.3), so receivers apply no DMARC policy to mail from %s: publish e.g. "
            "\"v=DMARC1; p=none; rua=mailto:...\" at %s",
            name, org_name, r->domain, name);
    else
        add(r, "DMARC_MISSING", PROTO_SEV_INFO, name,
            "%s has no DMARC record (v=DMARC1, RFC 7489 §6.6.3), so receivers apply no DMARC "
            "policy to mail from %s: publish e.g. \"v=DMARC1; p=none; rua=mailto:...\"",
            name, r->domain);
}

bool profile_mail_run(const profile_input *in, findings_t *out)
{
    run_t r = {.in = in};
    bool complete = true;
    char domain[DNSNAME_TEXT_MAX];
    if (!in || !in->lookup || !out || !in->domain ||
        dnsname_normalize(in->domain, domain, sizeof domain) != DNSNAME_OK) {
        log_warn("mail profile: \"%s\" is not a domain name", in && in->domain ? in->domain : "");
        return true;
    }
    if (!(r.arena = arena_new())) {
        log_err("mail profile: out of memory");
        return true;
    }
    findings_init(&r.f, r.arena);
    r.domain = domain;

    const answer_t *mx = ask(&r, domain, LDNS_RR_TYPE_MX);
    const answer_t *txt = ask(&r, domain, LDNS_RR_TYPE_TXT);
    char dmarc_name[DNSNAME_TEXT_MAX + 8];
    snprintf(dmarc_name, sizeof dmarc_name, "_dmarc.%s", domain);
    const answer_t *dm = ask(&r, dmarc_name, LDNS_RR_TYPE_TXT);

    if (usable(mx) && answer_nxdomain(mx)) {
        /* DOMAIN_NXDOMAIN stands alone: nothing else is asked or said. */
        r.missing = false;
        add(&r, "DOMAIN_NXDOMAIN", PROTO_SEV_CRITICAL, domain,
            "%s does not exist (NXDOMAIN), so no mail can be delivered to it: register or "
            "delegate the domain, or fix the name",
            domain);
    } else {
        check_mx(&r, mx);
        check_spf(&r, txt);
        check_dmarc(&r, dm);
    }

    if (r.nomem)
        log_err("mail profile of %s: out of memory, findings may be incomplete", domain);
    if (r.missing && !r.nomem) {
        complete = false;
    } else {
        for (size_t i = 0; i < r.f.n; i++) {
            const proto_finding *f = &r.f.v[i];
            if (findings_add(out, f->code, (proto_severity)f->severity, f->name, f->resolver, "%s",
                             f->message) != 0) {
                log_err("mail profile of %s: out of memory", domain);
                break;
            }
        }
    }
    findings_free(&r.f);
    arena_destroy(&r.arena);
    return complete;
}

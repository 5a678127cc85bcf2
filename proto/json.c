/*
 * proto/json.c - the JSON form of observations, findings and SMTP probes.
 */
#include "proto/json.h"

#include <ldns/ldns.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *pjson_obs_status(const proto_obs *obs)
{
    static const char *const fails[] = {
        [PROTO_FAIL_TIMEOUT] = "timeout",       [PROTO_FAIL_REFUSED] = "refused",
        [PROTO_FAIL_SERVFAIL] = "servfail",     [PROTO_FAIL_NETWORK] = "network",
        [PROTO_FAIL_MALFORMED] = "malformed",   [PROTO_FAIL_OTHER] = "other",
        [PROTO_FAIL_INCOMPLETE] = "incomplete",
    };
    if (obs->fail != PROTO_FAIL_NONE)
        return obs->fail <= PROTO_FAIL_INCOMPLETE ? fails[obs->fail] : "other";
    if (obs->rcode == LDNS_RCODE_NXDOMAIN)
        return "nxdomain";
    return obs->rrset && obs->rrset[0] ? "ok" : "nodata";
}

const char *pjson_severity(unsigned severity)
{
    switch (severity) {
    case PROTO_SEV_INFO:
        return "info";
    case PROTO_SEV_WARNING:
        return "warning";
    default:
        return "critical";
    }
}

const char *pjson_rcode(unsigned rcode, char *buf, size_t len)
{
    const ldns_lookup_table *lt = ldns_lookup_by_id(ldns_rcodes, (int)rcode);
    if (lt && lt->name)
        snprintf(buf, len, "%s", lt->name);
    else
        snprintf(buf, len, "RCODE%u", rcode);
    return buf;
}

const char *pjson_type(unsigned qtype, char *buf, size_t len)
{
    char *s = ldns_rr_type2str((ldns_rr_type)qtype);
    snprintf(buf, len, "%s", s ? s : "?");
    free(s);
    return buf;
}

const char *pjson_time(int64_t ms, char *buf, size_t len)
{
    time_t secs = (time_t)(ms / 1000);
    int frac = (int)(ms % 1000);
    if (frac < 0) {
        frac += 1000;
        secs -= 1;
    }
    struct tm tm;
    if (!gmtime_r(&secs, &tm)) {
        snprintf(buf, len, "?");
        return buf;
    }
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%03dZ", base, frac);
    return buf;
}

/* The canonical RR set as an array of lines. */
static json_t *rrset_array(const char *text)
{
    json_t *a = json_array();
    if (!a || !text)
        return a;
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_array_append_new(a, json_stringn(p, n));
        p += n + (nl ? 1 : 0);
    }
    return a;
}

static json_t *flags_array(unsigned flags)
{
    json_t *a = json_array();
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {PROTO_FLAG_AA, "aa"}, {PROTO_FLAG_AD, "ad"}, {PROTO_FLAG_TC, "tc"}, {PROTO_FLAG_RA, "ra"}};
    for (size_t i = 0; a && i < sizeof names / sizeof names[0]; i++) {
        if (flags & names[i].bit)
            json_array_append_new(a, json_string(names[i].name));
    }
    return a;
}

json_t *pjson_obs(const proto_obs *obs)
{
    char buf[64];
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "resolver", json_string(obs->resolver));
    json_object_set_new(o, "kind", json_string(obs->kind));
    if (obs->server)
        json_object_set_new(o, "server", json_string(obs->server));
    if (obs->nsid)
        json_object_set_new(o, "nsid", json_string(obs->nsid));
    json_object_set_new(o, "qname", json_string(obs->qname));
    json_object_set_new(o, "qtype", json_string(pjson_type(obs->qtype, buf, sizeof buf)));
    json_object_set_new(o, "status", json_string(pjson_obs_status(obs)));
    if (obs->fail == PROTO_FAIL_NONE || obs->fail == PROTO_FAIL_REFUSED ||
        obs->fail == PROTO_FAIL_SERVFAIL || obs->fail == PROTO_FAIL_OTHER)
        json_object_set_new(o, "rcode", json_string(pjson_rcode(obs->rcode, buf, sizeof buf)));
    json_object_set_new(o, "flags", flags_array(obs->flags));
    json_object_set_new(o, "transport", json_string(obs->transport ? "tcp" : "udp"));
    json_object_set_new(o, "answer", rrset_array(obs->rrset));
    if (obs->has_ttl)
        json_object_set_new(o, "ttl", json_integer(obs->ttl_min));
    if (obs->has_soa_serial)
        json_object_set_new(o, "soa_serial", json_integer(obs->soa_serial));
    if (obs->has_neg_ttl)
        json_object_set_new(o, "neg_ttl", json_integer(obs->neg_ttl));
    if (obs->n_ede) {
        json_t *ede = json_array();
        for (size_t i = 0; ede && i < obs->n_ede; i++)
            json_array_append_new(ede, json_integer(obs->ede[i]));
        json_object_set_new(o, "ede", ede);
        if (obs->ede_text)
            json_object_set_new(o, "ede_text", json_string(obs->ede_text));
    }
    json_object_set_new(o, "rtt_ms", json_real(obs->rtt_us / 1000.0));
    json_object_set_new(o, "time", json_string(pjson_time(obs->t_ms, buf, sizeof buf)));
    return o;
}

json_t *pjson_finding(const proto_finding *f)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "code", json_string(f->code));
    json_object_set_new(o, "severity", json_string(pjson_severity(f->severity)));
    json_object_set_new(o, "name", json_string(f->name));
    json_object_set_new(o, "message", json_string(f->message));
    if (f->resolver)
        json_object_set_new(o, "resolver", json_string(f->resolver));
    return o;
}

const char *pjson_smtp_status(unsigned status)
{
    static const char *const names[] = {
        [PROTO_SMTP_OK] = "ok",
        [PROTO_SMTP_REFUSED] = "refused",
        [PROTO_SMTP_TIMEOUT] = "timeout",
        [PROTO_SMTP_UNREACHABLE] = "unreachable",
        [PROTO_SMTP_CLOSED] = "closed",
        [PROTO_SMTP_GREETING_BAD] = "greeting_bad",
        [PROTO_SMTP_PROTOCOL] = "protocol",
        [PROTO_SMTP_TLS_FAILED] = "tls_failed",
        [PROTO_SMTP_ERROR] = "error",
        [PROTO_SMTP_SKIPPED] = "skipped",
    };
    return status <= PROTO_SMTP_STATUS_MAX ? names[status] : "unknown";
}

/* The SMTP flag bits as an array of words. */
static json_t *smtp_flags_array(unsigned flags)
{
    json_t *a = json_array();
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{PROTO_SMTP_EHLO, "ehlo"},
                 {PROTO_SMTP_STARTTLS, "starttls"},
                 {PROTO_SMTP_SIZE, "size"},
                 {PROTO_SMTP_TLS, "tls"},
                 {PROTO_SMTP_NAME_MATCH, "name_match"},
                 {PROTO_SMTP_CHAIN_OK, "chain_ok"}};
    for (size_t i = 0; a && i < sizeof names / sizeof names[0]; i++) {
        if (flags & names[i].bit)
            json_array_append_new(a, json_string(names[i].name));
    }
    return a;
}

/* "a.example.,b.example." as an array of names, blanks around each dropped. */
static json_t *comma_array(const char *text)
{
    json_t *a = json_array();
    const char *p = text;
    while (a && p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *b = p, *e = p + n;
        while (b < e && *b == ' ')
            b++;
        while (e > b && e[-1] == ' ')
            e--;
        if (e > b)
            json_array_append_new(a, json_stringn(b, (size_t)(e - b)));
        p += n + (comma ? 1 : 0);
    }
    return a;
}

json_t *pjson_smtp(const proto_smtp *p)
{
    char buf[64];
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "host", json_string(p->host));
    json_object_set_new(o, "addr", json_string(p->addr));
    json_object_set_new(o, "port", json_integer(p->port));
    json_object_set_new(o, "status", json_string(pjson_smtp_status(p->status)));
    if (p->code)
        json_object_set_new(o, "code", json_integer(p->code));
    if (p->greeting)
        json_object_set_new(o, "greeting", json_string(p->greeting));
    if (p->greet_name)
        json_object_set_new(o, "greet_name", json_string(p->greet_name));
    json_object_set_new(o, "flags", smtp_flags_array(p->flags));
    if (p->flags & PROTO_SMTP_SIZE)
        json_object_set_new(o, "size_max",
                            p->size_max > INT64_MAX ? json_real((double)p->size_max)
                                                    : json_integer((json_int_t)p->size_max));
    if (p->tls_version)
        json_object_set_new(o, "tls_version", json_string(p->tls_version));
    if (p->cert_names)
        json_object_set_new(o, "cert_names", comma_array(p->cert_names));
    if (p->cert_not_after) {
        json_object_set_new(o, "cert_not_after",
                            json_string(pjson_time(p->cert_not_after, buf, sizeof buf)));
        json_object_set_new(o, "cert_not_after_ms", json_integer(p->cert_not_after));
    }
    if (p->detail)
        json_object_set_new(o, "detail", json_string(p->detail));
    json_object_set_new(o, "connect_ms", json_real(p->connect_us / 1000.0));
    json_object_set_new(o, "total_ms", json_real(p->total_us / 1000.0));
    json_object_set_new(o, "time", json_string(pjson_time(p->t_ms, buf, sizeof buf)));
    return o;
}

/*
 * agent/spf.c - SPF records (RFC 7208): terms, syntax errors, lookup count.
 */
#include "agent/spf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dnsname.h"

/* Longest error sentence. */
#define SPF_ERROR_LEN 256

/* State of one parse. */
typedef struct parser {
    spf_record *rec;    /* the record being filled */
    bool nomem;         /* an allocation failed */
    bool seen_redirect; /* a redirect modifier was read */
    bool seen_exp;      /* an exp modifier was read */
} parser;

const char *spf_status_str(spf_status status)
{
    switch (status) {
    case SPF_OK:
        return "ok";
    case SPF_ERR_NOT_SPF:
        return "not an SPF record";
    case SPF_ERR_TOO_LONG:
        return "record too long";
    case SPF_ERR_NOMEM:
        return "out of memory";
    case SPF_ERR_INVAL:
        return "invalid argument";
    }
    return "unknown status";
}

bool spf_is_record(const char *text)
{
    return text && strncasecmp(text, "v=spf1", 6) == 0 && (text[6] == ' ' || text[6] == '\0');
}

/* Record a syntax error about a term; the term's kind becomes SPF_BAD. */
static void add_error(parser *p, spf_term *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void add_error(parser *p, spf_term *t, const char *fmt, ...)
{
    spf_record *r = p->rec;
    if (t)
        t->kind = SPF_BAD;
    r->n_errors_total++;
    if (r->n_errors >= SPF_ERRORS_MAX)
        return;
    char buf[SPF_ERROR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    const char *s = arena_strdup(r->arena, buf);
    if (!s) {
        p->nomem = true;
        return;
    }
    r->errors[r->n_errors++] = s;
}

/* Length of a modifier name at t: ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ). */
static size_t name_len(const char *t)
{
    if (!isalpha((unsigned char)t[0]))
        return 0;
    size_t n = 1;
    while (isalnum((unsigned char)t[n]) || t[n] == '-' || t[n] == '_' || t[n] == '.')
        n++;
    return n;
}

/*
 * Check a macro-string of len bytes (RFC 7208 §7.1). in_domain: letters c,
 * r and t are refused (they belong to explanation text only, §7.2). Sets
 * *ends_in_macro when the last token is a macro-expand and *has_macro when
 * any macro is present. Returns NULL when valid, else why not.
 */
static const char *check_macro_string(const char *s, size_t len, bool in_domain,
                                      bool *ends_in_macro, bool *has_macro)
{
    *ends_in_macro = false;
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        if (c != '%') {
            if (c < 0x21 || c > 0x7e)
                return "a character that is not visible ASCII";
            *ends_in_macro = false;
            i++;
            continue;
        }
        if (i + 1 >= len)
            return "a lone \"%\" at the end (write \"%%\" for a percent sign)";
        char n = s[i + 1];
        if (n == '%' || n == '_' || n == '-') {
            *has_macro = true;
            *ends_in_macro = true;
            i += 2;
            continue;
        }
        if (n != '{')
            return "\"%\" not followed by \"{\", \"%\", \"_\" or \"-\"";
        size_t j = i + 2;
        if (j >= len || !strchr("slodiphcrtv", tolower((unsigned char)s[j])) || s[j] == '\0')
            return "an unknown macro letter";
        if (in_domain && strchr("crt", tolower((unsigned char)s[j])))
            return "macro letter c, r or t, which only explanation text may use (RFC 7208 §7.2)";
        j++;
        size_t digits_at = j;
        while (j < len && isdigit((unsigned char)s[j]))
            j++;
        if (j > digits_at && strtoul(s + digits_at, NULL, 10) == 0)
            return "a macro with a zero digit transformer (RFC 7208 §7.3)";
        if (j < len && (s[j] == 'r' || s[j] == 'R'))
            j++;
        while (j < len && strchr(".-+,/_=", s[j]) && s[j] != '\0')
            j++;
        if (j >= len || s[j] != '}')
            return "an unterminated or malformed macro";
        *has_macro = true;
        *ends_in_macro = true;
        i = j + 1;
    }
    return NULL;
}

/* toplabel (RFC 7208 §7.1): alphanumerics and inner hyphens, not all digits. */
static bool toplabel_ok(const char *s, size_t len)
{
    if (len == 0 || s[0] == '-' || s[len - 1] == '-')
        return false;
    bool non_digit = false;
    for (size_t i = 0; i < len; i++) {
        if (!isalnum((unsigned char)s[i]) && s[i] != '-')
            return false;
        if (!isdigit((unsigned char)s[i]))
            non_digit = true;
    }
    return non_digit;
}

/* Check a domain-spec of len bytes; NULL when valid, else why not. */
static const char *check_domain_spec(const char *s, size_t len, bool *has_macro)
{
    if (len == 0)
        return "an empty domain";
    bool ends_in_macro = false;
    const char *why = check_macro_string(s, len, true, &ends_in_macro, has_macro);
    if (why)
        return why;
    if (ends_in_macro)
        return NULL;
    size_t end = len;
    if (s[end - 1] == '.')
        end--;
    size_t dot = end;
    while (dot > 0 && s[dot - 1] != '.' && s[dot - 1] != '}')
        dot--;
    if (dot == 0 || s[dot - 1] != '.')
        return "a domain without a dot before its last label";
    if (!toplabel_ok(s + dot, end - dot))
        return "a domain whose last label is not a valid top label";
    return NULL;
}

/* A CIDR length: "0" or digits without a leading zero, at most max. */
static bool cidr_ok(const char *s, size_t len, unsigned max)
{
    if (len == 0 || len > 3 || (len > 1 && s[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v <= max;
}

/* Digits at the end of s[0..len): their count. */
static size_t trailing_digits(const char *s, size_t len)
{
    size_t n = 0;
    while (n < len && isdigit((unsigned char)s[len - 1 - n]))
        n++;
    return n;
}

/*
 * Split a dual-cidr-length off the end of s[0..*len) ("/24", "//64",
 * "/24//64"); *len becomes the length before it. NULL when valid.
 */
static const char *split_dual_cidr(const char *s, size_t *len)
{
    size_t l = *len;
    size_t d = trailing_digits(s, l);
    if (d > 0 && l >= d + 2 && s[l - d - 1] == '/' && s[l - d - 2] == '/') {
        if (!cidr_ok(s + l - d, d, 128))
            return "an IPv6 prefix length that is not 0 to 128";
        l -= d + 2;
        d = trailing_digits(s, l);
    }
    if (d > 0 && l >= d + 1 && s[l - d - 1] == '/') {
        if (!cidr_ok(s + l - d, d, 32))
            return "an IPv4 prefix length that is not 0 to 32";
        l -= d + 1;
    } else if (l > 0 && s[l - 1] == '/') {
        return "a \"/\" without a prefix length";
    }
    *len = l;
    return NULL;
}

/* ip4-network (RFC 7208 §5.6): four qnums without leading zeros. */
static bool ip4_network_ok(const char *s, size_t len)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        size_t start = i;
        while (i < len && isdigit((unsigned char)s[i]))
            i++;
        if (!cidr_ok(s + start, i - start, 255))
            return false;
        if (part < 3) {
            if (i >= len || s[i] != '.')
                return false;
            i++;
        }
    }
    return i == len;
}

static bool ip6_network_ok(const char *s, size_t len)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char tmp[16];
    if (len == 0 || len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return inet_pton(AF_INET6, buf, tmp) == 1;
}

/* Keep a domain-spec of a term. */
static void set_domain(parser *p, spf_term *t, const char *s, size_t len)
{
    t->domain = arena_strndup(p->rec->arena, s, len);
    if (!t->domain)
        p->nomem = true;
}

/* A domain-spec after "name:"; required or optional. */
static void parse_domain_arg(parser *p, spf_term *t, const char *rest, size_t len, bool cidr,
                             const char *mech)
{
    size_t spec_len = len;
    if (cidr) {
        const char *why = split_dual_cidr(rest, &spec_len);
        if (why) {
            add_error(p, t, "\"%s\" has %s", t->shown, why);
            return;
        }
    }
    if (spec_len == 0)
        return;
    if (rest[0] != ':') {
        add_error(p, t, "\"%s\" is malformed: %s takes \":domain\"%s", t->shown, mech,
                  cidr ? " and a \"/prefix\"" : "");
        return;
    }
    const char *why = check_domain_spec(rest + 1, spec_len - 1, &t->has_macro);
    if (why) {
        add_error(p, t, "\"%s\" has %s", t->shown, why);
        return;
    }
    set_domain(p, t, rest + 1, spec_len - 1);
}

/* A mechanism with its optional qualifier. */
static void parse_directive(parser *p, spf_term *t)
{
    const char *s = t->text;
    t->qualifier = '+';
    if (*s && strchr("+-~?", *s)) {
        t->qualifier = *s;
        s++;
    }
    size_t n = strcspn(s, ":/");
    const char *rest = s + n;
    size_t rest_len = strlen(rest);
    char mech[16];
    if (n == 0 || n >= sizeof mech) {
        add_error(p, t, "\"%s\" is not a known mechanism", t->shown);
        return;
    }
    for (size_t i = 0; i < n; i++)
        mech[i] = (char)tolower((unsigned char)s[i]);
    mech[n] = '\0';

    if (strcmp(mech, "all") == 0) {
        t->kind = SPF_ALL;
        if (rest_len > 0)
            add_error(p, t, "\"%s\" is malformed: all takes no argument", t->shown);
    } else if (strcmp(mech, "include") == 0 || strcmp(mech, "exists") == 0) {
        t->kind = mech[0] == 'i' ? SPF_INCLUDE : SPF_EXISTS;
        t->lookup = true;
        if (rest_len < 2 || rest[0] != ':')
            add_error(p, t, "\"%s\" is malformed: %s needs \":domain\"", t->shown, mech);
        else
            parse_domain_arg(p, t, rest, rest_len, false, mech);
    } else if (strcmp(mech, "a") == 0 || strcmp(mech, "mx") == 0) {
        t->kind = mech[0] == 'a' ? SPF_A : SPF_MX;
        t->lookup = true;
        if (rest[0] == ':' && rest_len == 1)
            add_error(p, t, "\"%s\" has an empty domain", t->shown);
        else
            parse_domain_arg(p, t, rest, rest_len, true, mech);
    } else if (strcmp(mech, "ptr") == 0) {
        t->kind = SPF_PTR;
        t->lookup = true;
        if (rest[0] == ':' && rest_len == 1)
            add_error(p, t, "\"%s\" has an empty domain", t->shown);
        else
            parse_domain_arg(p, t, rest, rest_len, false, mech);
    } else if (strcmp(mech, "ip4") == 0 || strcmp(mech, "ip6") == 0) {
        bool v4 = mech[2] == '4';
        t->kind = v4 ? SPF_IP4 : SPF_IP6;
        if (rest[0] != ':') {
            add_error(p, t, "\"%s\" is malformed: %s needs \":network\"", t->shown, mech);
            return;
        }
        const char *net = rest + 1;
        size_t net_len = strcspn(net, "/");
        const char *cidr = net + net_len;
        if (!(v4 ? ip4_network_ok(net, net_len) : ip6_network_ok(net, net_len))) {
            add_error(p, t, "\"%s\" does not hold an %s address", t->shown, v4 ? "IPv4" : "IPv6");
            return;
        }
        if (cidr[0] == '/' && !cidr_ok(cidr + 1, strlen(cidr + 1), v4 ? 32 : 128))
            add_error(p, t, "\"%s\" has a prefix length that is not 0 to %d", t->shown,
                      v4 ? 32 : 128);
    } else {
        add_error(p, t, "\"%s\" is not a known mechanism (RFC 7208 §5)", t->shown);
    }
}

/* A modifier: name=value (n is the length of name). */
static void parse_modifier(parser *p, spf_term *t, size_t n)
{
    const char *value = t->text + n + 1;
    size_t len = strlen(value);
    bool redirect = n == 8 && strncasecmp(t->text, "redirect", 8) == 0;
    bool exp = n == 3 && strncasecmp(t->text, "exp", 3) == 0;
    if (redirect || exp) {
        t->kind = redirect ? SPF_REDIRECT : SPF_EXP;
        t->lookup = redirect;
        bool *seen = redirect ? &p->seen_redirect : &p->seen_exp;
        if (*seen) {
            t->lookup = false;
            add_error(p, t, "\"%s\" repeats the %s modifier, which may appear once (RFC 7208 §6)",
                      t->shown, redirect ? "redirect" : "exp");
            return;
        }
        *seen = true;
        const char *why = check_domain_spec(value, len, &t->has_macro);
        if (why) {
            t->lookup = false;
            add_error(p, t, "\"%s\" has %s", t->shown, why);
            return;
        }
        set_domain(p, t, value, len);
        return;
    }
    t->kind = SPF_UNKNOWN_MOD;
    bool ends = false, macro = false;
    const char *why = check_macro_string(value, len, false, &ends, &macro);
    if (why)
        add_error(p, t, "\"%s\" has %s", t->shown, why);
}

spf_status spf_parse(const char *text, spf_record **out)
{
    if (!out)
        return SPF_ERR_INVAL;
    *out = NULL;
    if (!text)
        return SPF_ERR_INVAL;
    if (!spf_is_record(text))
        return SPF_ERR_NOT_SPF;
    size_t text_len = strlen(text);
    if (text_len > SPF_TEXT_MAX)
        return SPF_ERR_TOO_LONG;

    spf_status st = SPF_ERR_NOMEM;
    spf_record *r = calloc(1, sizeof *r);
    if (!r)
        return SPF_ERR_NOMEM;
    parser p = {.rec = r};
    char *copy = NULL;
    if (!(r->arena = arena_new()))
        goto done;
    r->errors = arena_calloc(r->arena, SPF_ERRORS_MAX, sizeof *r->errors);
    r->terms = arena_calloc(r->arena, SPF_TERMS_MAX, sizeof *r->terms);
    copy = arena_strndup(r->arena, text + 6, text_len - 6);
    if (!r->errors || !r->terms || !copy)
        goto done;

    char *save = NULL;
    for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (r->n_terms >= SPF_TERMS_MAX) {
            st = SPF_ERR_TOO_LONG;
            goto done;
        }
        spf_term *t = &r->terms[r->n_terms++];
        t->text = tok;
        char *shown = arena_strdup(r->arena, tok);
        if (!shown)
            goto done;
        for (char *c = shown; *c; c++)
            *c = *c >= 0x21 && *c < 0x7f ? *c : '?';
        t->shown = shown;
        size_t n = name_len(tok);
        if (n > 0 && tok[n] == '=')
            parse_modifier(&p, t, n);
        else
            parse_directive(&p, t);
        if (p.nomem)
            goto done;
    }

    size_t first_all = r->n_terms;
    for (size_t i = 0; i < r->n_terms; i++) {
        if (r->terms[i].kind == SPF_ALL && first_all == r->n_terms)
            first_all = i;
    }
    r->has_all = first_all < r->n_terms;
    for (size_t i = 0; i < r->n_terms; i++) {
        spf_term *t = &r->terms[i];
        bool mechanism = t->kind <= SPF_EXISTS;
        if ((mechanism && i > first_all) || (t->kind == SPF_REDIRECT && r->has_all)) {
            t->ignored = true;
            r->n_ignored++;
        }
        if (t->lookup && !t->ignored && t->kind != SPF_BAD)
            r->lookups++;
    }
    st = SPF_OK;
    *out = r;
    r = NULL;
done:
    spf_record_destroy(&r);
    return st;
}

void spf_record_destroy(spf_record **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

/* State of one count. */
typedef struct walker {
    spf_fetch_fn fetch;                   /* where records come from */
    void *ctx;                            /* passed to fetch */
    spf_count *out;                       /* the result */
    const char *chain[SPF_COUNT_CAP + 2]; /* domains on the current include path */
    size_t depth;                         /* entries of chain */
    bool stop;                            /* the count is final: capped or looped */
    bool nomem;                           /* an allocation failed */
} walker;

static void walk_record(walker *w, const spf_record *rec);

/* Follow an include or redirect target. */
static void follow(walker *w, const char *spec)
{
    char name[SPF_DOMAIN_MAX];
    if (dnsname_normalize(spec, name, sizeof name) != DNSNAME_OK)
        return;
    for (size_t k = 0; k < w->depth; k++) {
        if (strcmp(w->chain[k], name) == 0) {
            w->out->loop = true;
            snprintf(w->out->loop_domain, sizeof w->out->loop_domain, "%s", name);
            w->out->lookups = SPF_COUNT_CAP + 1;
            w->out->capped = true;
            w->stop = true;
            return;
        }
    }
    if (w->depth >= sizeof w->chain / sizeof w->chain[0])
        return;
    const char *text = NULL;
    spf_fetch_status fs = w->fetch(w->ctx, name, &text);
    if (fs == SPF_FETCH_PENDING) {
        w->out->pending = true;
        return;
    }
    if (fs != SPF_FETCH_OK || !text)
        return;
    spf_record *sub = NULL;
    spf_status st = spf_parse(text, &sub);
    if (st == SPF_ERR_NOMEM) {
        w->nomem = true;
        w->stop = true;
        return;
    }
    if (st != SPF_OK)
        return;
    w->chain[w->depth++] = name;
    walk_record(w, sub);
    w->depth--;
    spf_record_destroy(&sub);
}

/* Count the terms of rec and of what it pulls in; at the top, per term. */
static void walk_record(walker *w, const spf_record *rec)
{
    for (size_t i = 0; i < rec->n_terms && !w->stop; i++) {
        const spf_term *t = &rec->terms[i];
        if (!t->lookup || t->ignored || t->kind == SPF_BAD)
            continue;
        unsigned before = w->out->lookups;
        if (w->out->lookups >= SPF_COUNT_CAP + 1) {
            w->out->capped = true;
            w->stop = true;
            break;
        }
        w->out->lookups++;
        if ((t->kind == SPF_INCLUDE || t->kind == SPF_REDIRECT) && t->domain && !t->has_macro)
            follow(w, t->domain);
        if (w->depth == 1 && i < SPF_TERMS_MAX)
            w->out->term_lookups[i] = w->out->lookups - before;
    }
}

spf_status spf_count_lookups(const spf_record *rec, const char *domain, spf_fetch_fn fetch,
                             void *ctx, spf_count *out)
{
    if (!rec || !domain || !fetch || !out)
        return SPF_ERR_INVAL;
    memset(out, 0, sizeof *out);
    char name[SPF_DOMAIN_MAX];
    if (dnsname_normalize(domain, name, sizeof name) != DNSNAME_OK)
        snprintf(name, sizeof name, "%s", domain);
    walker w = {.fetch = fetch, .ctx = ctx, .out = out};
    w.chain[w.depth++] = name;
    walk_record(&w, rec);
    if (out->lookups > SPF_COUNT_CAP) {
        out->lookups = SPF_COUNT_CAP + 1;
        out->capped = true;
    }
    return w.nomem ? SPF_ERR_NOMEM : SPF_OK;
}

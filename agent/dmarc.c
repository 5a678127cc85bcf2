/*
 * agent/dmarc.c - DMARC policy records (RFC 7489) and organizational domains.
 */
#include "agent/dmarc.h"

#include <ctype.h>
#include <libpsl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/dnsname.h"
#include "common/log.h"

/* The suffix list, loaded once. */
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static const psl_ctx_t *psl_ctx; /* latest list, or the built-in one; NULL when neither */

static void psl_load(void)
{
    psl_ctx = psl_latest(NULL);
    if (!psl_ctx)
        psl_ctx = psl_builtin();
    if (!psl_ctx)
        log_warn("no public suffix list could be loaded: DMARC looks at the domain only");
}

static bool is_wsp(char c)
{
    return c == ' ' || c == '\t';
}

/* Skip blanks. */
static const char *skip_wsp(const char *s)
{
    while (is_wsp(*s))
        s++;
    return s;
}

/* After "v", blanks, "=", blanks and "DMARC1": where the rest starts, or NULL. */
static const char *after_version(const char *text)
{
    if (!text || text[0] != 'v')
        return NULL;
    const char *s = skip_wsp(text + 1);
    if (*s != '=')
        return NULL;
    s = skip_wsp(s + 1);
    if (strncmp(s, "DMARC1", 6) != 0)
        return NULL;
    s += 6;
    if (*s != '\0' && *s != ';' && !is_wsp(*s))
        return NULL;
    return s;
}

bool dmarc_is_record(const char *text)
{
    return after_version(text) != NULL;
}

const char *dmarc_policy_name(dmarc_policy policy)
{
    switch (policy) {
    case DMARC_POLICY_NONE:
        return "none";
    case DMARC_POLICY_QUARANTINE:
        return "quarantine";
    case DMARC_POLICY_REJECT:
        return "reject";
    case DMARC_POLICY_INVALID:
        break;
    }
    return "invalid";
}

static dmarc_policy policy_of(const char *v, size_t len)
{
    if (len == 4 && strncasecmp(v, "none", 4) == 0)
        return DMARC_POLICY_NONE;
    if (len == 10 && strncasecmp(v, "quarantine", 10) == 0)
        return DMARC_POLICY_QUARANTINE;
    if (len == 6 && strncasecmp(v, "reject", 6) == 0)
        return DMARC_POLICY_REJECT;
    return DMARC_POLICY_INVALID;
}

bool dmarc_parse(const char *text, dmarc_record *out, char *why, size_t whylen)
{
    dmarc_record rec;
    memset(&rec, 0, sizeof rec);
    if (why && whylen > 0)
        why[0] = '\0';
    const char *s = after_version(text);
    if (!s) {
        if (why && whylen > 0)
            snprintf(why, whylen, "it does not start with v=DMARC1");
        if (out)
            *out = rec;
        return false;
    }
    s = skip_wsp(s);
    if (*s != '\0' && *s != ';') {
        if (why && whylen > 0)
            snprintf(why, whylen, "v=DMARC1 is not followed by \";\" (RFC 7489 §6.4)");
        if (out)
            *out = rec;
        return false;
    }
    size_t index = 0;
    while (*s) {
        s = skip_wsp(s);
        if (*s == ';') {
            s++;
            continue;
        }
        if (!*s)
            break;
        const char *tag = s;
        size_t tag_len = 0;
        while (isalnum((unsigned char)tag[tag_len]) || tag[tag_len] == '_')
            tag_len++;
        const char *end = strchr(s, ';');
        if (!end)
            end = s + strlen(s);
        index++;
        const char *eq = skip_wsp(tag + tag_len);
        if (tag_len > 0 && *eq == '=' && eq < end) {
            const char *v = skip_wsp(eq + 1);
            size_t v_len = (size_t)(end - v);
            while (v_len > 0 && is_wsp(v[v_len - 1]))
                v_len--;
            if (tag_len == 1 && (tag[0] == 'p' || tag[0] == 'P')) {
                if (rec.has_p) {
                    rec.p_repeated = true;
                } else {
                    rec.has_p = true;
                    rec.p_second = index == 1;
                    rec.policy = policy_of(v, v_len);
                    size_t keep = v_len < sizeof rec.p_value ? v_len : sizeof rec.p_value - 1;
                    memcpy(rec.p_value, v, keep);
                    rec.p_value[keep] = '\0';
                }
            } else if (tag_len == 3 && strncasecmp(tag, "rua", 3) == 0) {
                rec.has_rua = true;
            }
        }
        s = end;
    }
    if (out)
        *out = rec;
    if (rec.policy != DMARC_POLICY_INVALID)
        return true;
    if (why && whylen > 0) {
        if (!rec.has_p)
            snprintf(why, whylen, "it has no p= tag");
        else
            snprintf(why, whylen, "its p= tag has the value \"%s\", not none, quarantine or reject",
                     rec.p_value);
    }
    return false;
}

bool dmarc_org_domain(const char *domain, char *out, size_t outlen)
{
    char name[DNSNAME_TEXT_MAX];
    if (!domain || !out || outlen == 0 ||
        dnsname_normalize(domain, name, sizeof name) != DNSNAME_OK)
        return false;
    pthread_once(&psl_once, psl_load);
    if (!psl_ctx)
        return false;
    size_t len = strlen(name);
    if (len > 1)
        name[len - 1] = '\0';
    const char *reg = psl_registrable_domain(psl_ctx, name);
    if (!reg)
        return false;
    int n = snprintf(out, outlen, "%s.", reg);
    return n > 0 && (size_t)n < outlen;
}

/*
 * common/dnsname.c - DNS names and RR type names as operators type them.
 */
#include "common/dnsname.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *dnsname_status_str(dnsname_status status)
{
    switch (status) {
    case DNSNAME_OK:
        return "ok";
    case DNSNAME_ERR_EMPTY:
        return "empty name";
    case DNSNAME_ERR_EMPTY_LABEL:
        return "empty label";
    case DNSNAME_ERR_LABEL_LEN:
        return "label longer than 63 octets";
    case DNSNAME_ERR_NAME_LEN:
        return "name longer than 255 octets";
    case DNSNAME_ERR_SYNTAX:
        return "bad name syntax";
    case DNSNAME_ERR_SPACE:
        return "output buffer too small";
    case DNSNAME_ERR_NOMEM:
        return "out of memory";
    }
    return "unknown status";
}

static dnsname_status dnsname_from_ldns(ldns_status st)
{
    switch (st) {
    case LDNS_STATUS_OK:
        return DNSNAME_OK;
    case LDNS_STATUS_EMPTY_LABEL:
        return DNSNAME_ERR_EMPTY_LABEL;
    case LDNS_STATUS_LABEL_OVERFLOW:
        return DNSNAME_ERR_LABEL_LEN;
    case LDNS_STATUS_DOMAINNAME_OVERFLOW:
        return DNSNAME_ERR_NAME_LEN;
    case LDNS_STATUS_DOMAINNAME_UNDERFLOW:
        return DNSNAME_ERR_EMPTY;
    case LDNS_STATUS_MEM_ERR:
        return DNSNAME_ERR_NOMEM;
    default:
        return DNSNAME_ERR_SYNTAX;
    }
}

static bool dnsname_plain_byte(unsigned char c);

/*
 * The common case without ldns: letters, digits, '-' and '_' in labels of
 * 1..63 bytes, an optional trailing dot, at most 253 bytes. Lower-cased
 * and given its trailing dot, that is exactly what ldns would print.
 * Anything else (escapes, other bytes, errors) returns false for ldns.
 */
static bool dnsname_plain_fast(const char *in, char *out, size_t outlen)
{
    size_t len = strlen(in);
    bool dot = len > 0 && in[len - 1] == '.';
    size_t body = dot ? len - 1 : len;
    if (body == 0 || body > 253 || body + 2 > outlen)
        return false;
    size_t label = 0;
    for (size_t i = 0; i < body; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
            out[i] = '.';
            continue;
        }
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        else if (!dnsname_plain_byte(c))
            return false;
        if (++label > DNSNAME_MAX_LABEL)
            return false;
        out[i] = (char)c;
    }
    if (label == 0)
        return false;
    out[body] = '.';
    out[body + 1] = '\0';
    return true;
}

dnsname_status dnsname_normalize(const char *in, char *out, size_t outlen)
{
    dnsname_status rc = DNSNAME_OK;
    ldns_rdf *dname = NULL;
    char *text = NULL;

    if (out && outlen > 0)
        out[0] = '\0';
    if (!out || outlen == 0)
        return DNSNAME_ERR_SPACE;
    if (!in || in[0] == '\0')
        return DNSNAME_ERR_EMPTY;
    /* Anything longer cannot fit 255 wire octets, escapes included. */
    if (strnlen(in, DNSNAME_TEXT_MAX + 1) > DNSNAME_TEXT_MAX)
        return DNSNAME_ERR_NAME_LEN;

    if (dnsname_plain_fast(in, out, outlen))
        return DNSNAME_OK;
    out[0] = '\0'; /* the fast path may have written part of a name */
    rc = dnsname_from_ldns(ldns_str2rdf_dname(&dname, in));
    if (rc != DNSNAME_OK)
        goto done;
    ldns_dname2canonical(dname);
    text = ldns_rdf2str(dname);
    if (!text) {
        rc = DNSNAME_ERR_NOMEM;
        goto done;
    }
    size_t len = strlen(text);
    if (len >= outlen) {
        rc = DNSNAME_ERR_SPACE;
        goto done;
    }
    memcpy(out, text, len + 1);

done:
    free(text);
    ldns_rdf_deep_free(dname);
    return rc;
}

bool dnsname_type_from_str(const char *text, ldns_rr_type *out)
{
    if (!text || !out)
        return false;

    /*
     * ldns reads "TYPEnnn" with atoi(): "TYPE15x" is 15 and "TYPE99999"
     * wraps, so the RFC 3597 form is checked here before ldns sees it.
     */
    if (strncasecmp(text, "TYPE", 4) == 0 && text[4] != '\0') {
        unsigned long v = 0;
        size_t i = 4;
        for (; text[i] != '\0'; i++) {
            if (text[i] < '0' || text[i] > '9' || i > 4 + 5)
                return false;
            v = v * 10 + (unsigned long)(text[i] - '0');
        }
        if (v == 0 || v > 65535)
            return false;
        *out = (ldns_rr_type)v;
        return true;
    }

    ldns_rr_type t = ldns_get_rr_type_by_name(text);
    if (t == 0)
        return false;
    *out = t;
    return true;
}

bool dnsname_type_to_str(ldns_rr_type type, char *out, size_t outlen)
{
    if (!out || outlen == 0)
        return false;
    out[0] = '\0';
    char *name = ldns_rr_type2str(type);
    if (!name)
        return false;
    size_t len = strlen(name);
    bool ok = len < outlen;
    if (ok)
        memcpy(out, name, len + 1);
    free(name);
    return ok;
}

static bool dnsname_plain_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool dnsname_is_plain_canonical(const char *name)
{
    size_t len = strlen(name);
    if (len < 2 || len > 254 || name[len - 1] != '.')
        return strcmp(name, ".") == 0;
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if (dnsname_plain_byte(c) && ++label <= DNSNAME_MAX_LABEL) {
            continue;
        } else {
            return false;
        }
    }
    return true;
}

ldns_status dnsname_rdf2buffer(ldns_buffer *buf, const ldns_rdf *rdf)
{
    const uint8_t *d = ldns_rdf_data(rdf);
    size_t n = ldns_rdf_size(rdf);
    if (ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME || !d || n == 0 || n > DNSNAME_MAX_WIRE)
        return ldns_rdf2buffer_str(buf, rdf);
    char text[DNSNAME_MAX_WIRE + 1];
    size_t out = 0, i = 0;
    while (i < n && d[i] != 0) {
        size_t l = d[i];
        if (l > DNSNAME_MAX_LABEL || i + 1 + l > n)
            return ldns_rdf2buffer_str(buf, rdf);
        for (size_t k = 1; k <= l; k++) {
            unsigned char c = d[i + k];
            if (!dnsname_plain_byte(c) && !(c >= 'A' && c <= 'Z'))
                return ldns_rdf2buffer_str(buf, rdf);
            text[out++] = (char)c; /* case kept, as ldns prints it */
        }
        text[out++] = '.';
        i += l + 1;
    }
    if (i != n - 1)
        return ldns_rdf2buffer_str(buf, rdf);
    if (out == 0)
        text[out++] = '.';
    if (!ldns_buffer_reserve(buf, out))
        return LDNS_STATUS_MEM_ERR;
    ldns_buffer_write(buf, text, out);
    return LDNS_STATUS_OK;
}

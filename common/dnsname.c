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

/*
 * common/dnsname.h - DNS names and RR type names as operators type them.
 *
 * Config files and the CLI carry names ("Example.COM") and types ("mx",
 * "TYPE15"). This module turns them into one canonical spelling, using ldns
 * for all parsing and presentation: a name becomes lower-case, fully
 * qualified, with a trailing dot, and with ldns' escapes (\. inside a label,
 * \DDD for other octets that are not printable). Names without a trailing dot
 * are taken as absolute, as dig does. Nothing here allocates memory the
 * caller must free: results go into caller buffers.
 */
#ifndef VANTAGE_COMMON_DNSNAME_H
#define VANTAGE_COMMON_DNSNAME_H

#include <stdbool.h>
#include <stddef.h>

#include <ldns/ldns.h>

/* Longest name in wire form (RFC 1035 §2.3.4), root label included. */
#define DNSNAME_MAX_WIRE 255
/* Longest label (RFC 1035 §2.3.4). */
#define DNSNAME_MAX_LABEL 63
/* Buffer size that holds any normalized name: every octet as \DDD, dots, NUL. */
#define DNSNAME_TEXT_MAX 1024
/* Buffer size that holds any type name ("TYPE65535" and the longest mnemonic). */
#define DNSNAME_TYPE_MAX 16

typedef enum dnsname_status {
    DNSNAME_OK = 0,              /* success */
    DNSNAME_ERR_EMPTY = 1,       /* empty input */
    DNSNAME_ERR_EMPTY_LABEL = 2, /* "a..b" or a leading dot */
    DNSNAME_ERR_LABEL_LEN = 3,   /* a label is longer than 63 octets */
    DNSNAME_ERR_NAME_LEN = 4,    /* over 255 octets in wire form (253 plain characters) */
    DNSNAME_ERR_SYNTAX = 5,      /* bad escape or other text ldns refuses */
    DNSNAME_ERR_SPACE = 6,       /* the output buffer is too small */
    DNSNAME_ERR_NOMEM = 7,       /* out of memory */
} dnsname_status;

/* Short English text for a status, for error messages. */
const char *dnsname_status_str(dnsname_status status);

/*
 * Canonical spelling of the name in `in` into out[outlen] (NUL-terminated):
 * lower-case (ASCII only), trailing dot, "." for the root. Limits: no empty
 * labels, each label at most 63 octets, the name at most 255 octets in wire
 * form, which is 253 characters without the trailing dot for a name with no
 * escapes. On error out holds "" when outlen > 0.
 */
dnsname_status dnsname_normalize(const char *in, char *out, size_t outlen);

/*
 * RR type from its mnemonic ("MX", "mx", "Https") or its RFC 3597 form
 * ("TYPE15", "type65280"). Refuses unknown mnemonics, TYPE0, numbers over
 * 65535 and trailing junk ("TYPE15x"). Returns false and leaves *out
 * untouched on refusal.
 */
/*
 * True when name is already in the canonical text form dnsname_normalize()
 * produces for plain host names: lower-case letters, digits, '-', '_',
 * dots between non-empty labels of at most 63 bytes, a trailing dot, at
 * most 253 bytes before it. A cheap test that lets hot paths skip
 * normalising (anything else still goes through dnsname_normalize()).
 */
bool dnsname_is_plain_canonical(const char *name);

/*
 * Append the presentation form of a wire-format name (an rdf of type
 * LDNS_RDF_TYPE_DNAME) to buf. Names made only of letters, digits, '-' and
 * '_' are copied label by label; any other byte hands the name to ldns'
 * printer, so the text is always what ldns would print. ldns prints names
 * one character at a time through printf, which dominated the agent's
 * profile. Returns an ldns status.
 */
ldns_status dnsname_rdf2buffer(ldns_buffer *buf, const ldns_rdf *rdf);

bool dnsname_type_from_str(const char *text, ldns_rr_type *out);

/*
 * Mnemonic of a type ("MX"), or "TYPE12345" when ldns knows no name, into
 * out[outlen]; DNSNAME_TYPE_MAX bytes are always enough. Returns false when
 * the buffer is too small or memory runs out.
 */
bool dnsname_type_to_str(ldns_rr_type type, char *out, size_t outlen);

#endif

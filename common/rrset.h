/*
 * common/rrset.h - the canonical text form of a DNS RR set.
 *
 * Two observations agree when their canonical RR sets are equal, so this
 * form must not depend on record order, name case, TTLs or how a server
 * spelled an address. ldns does all parsing and presentation.
 *
 * One RR's canonical line is
 *     OWNER TYPE RDATA           (class IN)
 *     OWNER CLASS TYPE RDATA     (any other class: "CH", "CLASS7")
 * with single spaces between fields and:
 *   - OWNER fully qualified, lower-case, with its trailing dot;
 *   - TYPE the ldns mnemonic, or "TYPE12345" for a type ldns does not know;
 *   - RDATA the fields as ldns presents them, after ldns_rr2canonical():
 *     domain names inside the rdata are lower-cased for the types RFC 4034
 *     §6.2 lists (NS, CNAME, SOA, PTR, MX, SRV, NAPTR, DNAME, RRSIG, ...),
 *     but not for NSEC (RFC 6840 §5.1) nor for newer types such as SVCB,
 *     HTTPS; unknown types print as RFC 3597 "\# LEN HEX"; TXT strings are
 *     always quoted, with \" and \\ escaped and other non-printable octets as
 *     \DDD; AAAA in its shortest form ("2001:db8::1");
 *   - no TTL: the set keeps its smallest TTL apart.
 * The set is its lines sorted bytewise (strcmp) without duplicates; its text
 * form is the lines joined by "\n" with no trailing newline, "" when empty.
 *
 * Limits: a set holds at most RRSET_MAX_RRS records and its lines, counted
 * before duplicates are removed, at most RRSET_MAX_TEXT bytes; larger input
 * is refused with an error status, never truncated.
 *
 * Ownership: every constructor returns a new rrset_canon_t in *out that the
 * caller frees with rrset_canon_destroy(); on error *out is NULL. Strings
 * returned by accessors are borrowed and live as long as the set. Input
 * (ldns lists, filters, strings) is only read, never kept.
 */
#ifndef VANTAGE_COMMON_RRSET_H
#define VANTAGE_COMMON_RRSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "common/arena.h"

/* Most records in one set. */
#define RRSET_MAX_RRS 4096
/* Most bytes of canonical text in one set (NUL not counted). */
#define RRSET_MAX_TEXT (1024 * 1024)

typedef enum rrset_status {
    RRSET_OK = 0,           /* success */
    RRSET_ERR_INVAL = 1,    /* NULL where a value is needed, or a filter of the wrong kind */
    RRSET_ERR_NOMEM = 2,    /* out of memory */
    RRSET_ERR_TOO_MANY = 3, /* more than RRSET_MAX_RRS records */
    RRSET_ERR_TOO_BIG = 4,  /* canonical text over RRSET_MAX_TEXT bytes */
    RRSET_ERR_PARSE = 5,    /* text ldns cannot read as an RR or as rdata */
    RRSET_ERR_PRESENT = 6,  /* ldns could not present a record as text */
} rrset_status;

typedef struct rrset_canon rrset_canon_t;

/* Short English text for a status, for logs. */
const char *rrset_status_str(rrset_status status);

/*
 * Canonical line of one record into *line_out (malloced, caller frees with
 * free()). The record is only read: canonicalization works on a copy.
 */
rrset_status rrset_line_from_rr(const ldns_rr *rr, char **line_out);

/*
 * The canonical text of every record of rrs, written straight into arena:
 * the same text rrset_canon_from_ldns() gives for the whole list, without
 * building a set object (the agent's hot path). The records must already
 * be canonical (ldns_rr2canonical() applied). *text is "" for no records;
 * *min_ttl and *has_ttl as for a set.
 */
rrset_status rrset_text_from_canonical(const ldns_rr_list *rrs, arena_t *arena, const char **text,
                                       uint32_t *min_ttl, bool *has_ttl);

/*
 * The set of the records of rrs (NULL: the empty set) whose type is
 * type_filter (0: every type) and whose owner equals owner_filter (a
 * LDNS_RDF_TYPE_DNAME, compared case-insensitively; NULL: every owner).
 * The smallest TTL of the records kept is remembered; a TTL with the top bit
 * set counts as 0 (RFC 2181 §8). The limits apply to the records kept.
 */
rrset_status rrset_canon_from_ldns(const ldns_rr_list *rrs, ldns_rr_type type_filter,
                                   const ldns_rdf *owner_filter, rrset_canon_t **out);

/*
 * The set an operator describes with n lines of text (`--expect`). Each line,
 * after surrounding white space is trimmed, is either
 *   - a full RR in zone-file syntax ("example.com. 300 IN MX 10 mx.example.com."),
 *     which keeps its own owner, class and type (so an expected A answer may
 *     include its CNAME chain): a line that ldns reads as a record of a known
 *     type whose owner is written with its trailing dot or equals
 *     default_owner; or
 *   - bare rdata for default_owner and default_type ("10 mx.example.com" for
 *     MX): any other line, and every line that starts with a double quote.
 *     So "v=spf1 ptr -all" is TXT rdata, not a PTR record of "v=spf1".
 * Every name, owner or inside rdata, that lacks a trailing dot is taken as
 * fully qualified, as dig does: "mx.example.com" is "mx.example.com.", never
 * relative to the owner. Bare rdata for TXT (and SPF) that holds no double
 * quote is taken as one character-string, so `v=spf1 mx -all` and
 * `v=DMARC1; p=reject` mean what the operator sees; quote the strings to
 * give several. ';' starts a comment elsewhere, as in zone files.
 * default_owner may be NULL and default_type 0 when every line is a full RR.
 * Sets from text have no TTL (rrset_canon_min_ttl() returns false).
 * On RRSET_ERR_PARSE and the other errors err (when err is not NULL and
 * errlen > 0) holds a message naming the offending line by number and text.
 */
rrset_status rrset_canon_from_text(const char *const *lines, size_t n, const char *default_owner,
                                   ldns_rr_type default_type, rrset_canon_t **out, char *err,
                                   size_t errlen);

/*
 * Rebuild a set from its stored text form (rrset_canon_text()). Every line
 * is read again by ldns and canonicalized afresh, so stored text is never
 * trusted; lines need not be sorted, but empty lines are refused. The
 * rebuilt set has no TTL.
 */
rrset_status rrset_canon_parse_text(const char *text, rrset_canon_t **out);

/* Free a set and set *self_p to NULL; NULL or *self_p NULL is a no-op. */
void rrset_canon_destroy(rrset_canon_t **self_p);

/* Text form: sorted lines joined by "\n", "" for the empty set. Borrowed. */
const char *rrset_canon_text(const rrset_canon_t *self);

/* strlen(rrset_canon_text(self)). */
size_t rrset_canon_text_len(const rrset_canon_t *self);

/* Number of distinct records. */
size_t rrset_canon_count(const rrset_canon_t *self);

/* Line i (0-based, in sorted order), NUL-terminated; NULL when i >= count. Borrowed. */
const char *rrset_canon_line(const rrset_canon_t *self, size_t i);

/*
 * Smallest TTL of the records into *ttl_out; returns false (and leaves
 * *ttl_out untouched) when the set has no TTL: empty, or built from text.
 */
bool rrset_canon_min_ttl(const rrset_canon_t *self, uint32_t *ttl_out);

/* True when both sets hold the same records; TTLs are ignored. NULL equals only NULL. */
bool rrset_canon_equal(const rrset_canon_t *a, const rrset_canon_t *b);

#endif

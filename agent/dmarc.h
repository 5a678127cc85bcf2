/*
 * agent/dmarc.h - DMARC policy records (RFC 7489) and organizational domains.
 *
 * dmarc_is_record() tells a DMARC record among the TXT records at
 * _dmarc.NAME (§6.6.3: it starts with the tag v=DMARC1); dmarc_parse()
 * reads its tags and says whether it holds a valid policy: a "p" tag whose
 * value is none, quarantine or reject (§6.3). RFC 7489 §6.4 puts p right
 * after v; receivers accept it anywhere (and DMARCbis drops the order), so a
 * p elsewhere is valid here and only reported in p_second.
 *
 * dmarc_org_domain() finds the organizational domain (§3.2) with libpsl and
 * Debian's public suffix list (psl_latest(NULL) reads /usr/share/publicsuffix,
 * falling back to the list built into libpsl). The list is loaded once per
 * process, on first use, and kept until exit.
 */
#ifndef VANTAGE_AGENT_DMARC_H
#define VANTAGE_AGENT_DMARC_H

#include <stdbool.h>
#include <stddef.h>

/* Policy of a record. */
typedef enum dmarc_policy {
    DMARC_POLICY_INVALID = 0,    /* no p tag, or a value that is not one of the three */
    DMARC_POLICY_NONE = 1,       /* p=none */
    DMARC_POLICY_QUARANTINE = 2, /* p=quarantine */
    DMARC_POLICY_REJECT = 3,     /* p=reject */
} dmarc_policy;

/* What dmarc_parse() read. */
typedef struct dmarc_record {
    dmarc_policy policy; /* the p tag's policy */
    bool has_p;          /* a p tag is present */
    bool p_second;       /* p is the tag right after v (RFC 7489 §6.4) */
    bool p_repeated;     /* p appears more than once; the first one counts */
    bool has_rua;        /* an rua tag is present (receivers then act as p=none, §6.6.3) */
    char p_value[32];    /* the p value as written (cut to fit), "" when absent */
} dmarc_record;

/*
 * True when text is a DMARC record: "v", optional blanks, "=", optional
 * blanks and exactly "DMARC1" (case matters, §6.3), then ';', a blank or
 * the end.
 */
bool dmarc_is_record(const char *text);

/*
 * Read a DMARC record's tags into *out. Returns true when it holds a valid
 * policy; false when it is not a DMARC record or its policy is invalid, with
 * a sentence saying why in why[whylen] (when why is not NULL).
 */
bool dmarc_parse(const char *text, dmarc_record *out, char *why, size_t whylen);

/* Policy name ("none", "quarantine", "reject"), or "invalid". */
const char *dmarc_policy_name(dmarc_policy policy);

/*
 * Organizational domain of a domain name (any case, trailing dot or not)
 * into out[outlen], lower case with a trailing dot. Returns false when the
 * name is itself a public suffix, when no suffix list could be loaded, or
 * when out is too small.
 */
bool dmarc_org_domain(const char *domain, char *out, size_t outlen);

#endif

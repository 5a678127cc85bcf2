/*
 * agent/spf.h - SPF records (RFC 7208): terms, syntax errors, lookup count.
 *
 * spf_parse() reads one record (its TXT character-strings already joined
 * without separators, RFC 7208 §3.3) into terms and lists every syntax
 * error the record would cause a permerror for under the grammar of §4.6.1,
 * §5 and §6: an unknown mechanism, a malformed term, a bad macro, a bad
 * network or prefix length, a repeated "redirect" or "exp". Unknown
 * modifiers are not errors (§6: receivers ignore them). Terms that
 * receivers never evaluate are marked ignored: mechanisms after "all"
 * (§5.1) and a "redirect" in a record that has "all" (§6.1).
 *
 * spf_count_lookups() counts the terms that cause DNS lookups (include, a,
 * mx, ptr, exists and redirect, §4.6.4), following include and redirect
 * through a fetch function, so a profile can fetch records on demand. Loops
 * end the walk, and so does a cap on the count.
 *
 * Ownership: spf_parse() returns a record the caller frees with
 * spf_record_destroy(); every string of a record lives as long as it.
 */
#ifndef VANTAGE_AGENT_SPF_H
#define VANTAGE_AGENT_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"

/* Most DNS-querying terms a record may need (RFC 7208 §4.6.4). */
#define SPF_LOOKUP_LIMIT 10
/* spf_count_lookups() stops counting past this many. */
#define SPF_COUNT_CAP 50
/* Longest record text spf_parse() accepts, in bytes. */
#define SPF_TEXT_MAX 8192
/* Most terms in one record. */
#define SPF_TERMS_MAX 256
/* Most syntax errors kept for one record (more are counted, not kept). */
#define SPF_ERRORS_MAX 16
/* Longest domain spf_count_lookups() follows, text form. */
#define SPF_DOMAIN_MAX 256

typedef enum spf_status {
    SPF_OK = 0,       /* parsed; syntax errors, if any, are in the record */
    SPF_ERR_NOT_SPF,  /* the text does not start with "v=spf1" and a space or its end */
    SPF_ERR_TOO_LONG, /* over SPF_TEXT_MAX bytes or SPF_TERMS_MAX terms */
    SPF_ERR_NOMEM,    /* out of memory */
    SPF_ERR_INVAL,    /* NULL where a value is needed */
} spf_status;

/* What a term is. */
typedef enum spf_kind {
    SPF_ALL,         /* all */
    SPF_INCLUDE,     /* include:domain */
    SPF_A,           /* a[:domain][/cidr] */
    SPF_MX,          /* mx[:domain][/cidr] */
    SPF_PTR,         /* ptr[:domain] */
    SPF_IP4,         /* ip4:network[/len] */
    SPF_IP6,         /* ip6:network[/len] */
    SPF_EXISTS,      /* exists:domain */
    SPF_REDIRECT,    /* redirect=domain */
    SPF_EXP,         /* exp=domain */
    SPF_UNKNOWN_MOD, /* name=value, ignored by receivers */
    SPF_BAD,         /* a term with a syntax error */
} spf_kind;

/* One term of a record. */
typedef struct spf_term {
    spf_kind kind;      /* what it is */
    char qualifier;     /* '+', '-', '~' or '?' for mechanisms (default '+'); 0 for modifiers */
    const char *text;   /* the term as written */
    const char *shown;  /* text with bytes outside visible ASCII as '?', for messages */
    const char *domain; /* domain-spec without any CIDR suffix, or NULL when it has none */
    bool has_macro;     /* domain contains a macro ("%{...}"), so it cannot be followed */
    bool lookup;        /* a DNS-querying term (RFC 7208 §4.6.4) */
    bool ignored;       /* receivers never evaluate it: after "all", or redirect beside "all" */
} spf_term;

/* A parsed record. */
typedef struct spf_record {
    spf_term *terms;       /* the terms, in record order */
    size_t n_terms;        /* count */
    const char **errors;   /* syntax errors, sentences naming the term */
    size_t n_errors;       /* errors kept (at most SPF_ERRORS_MAX) */
    size_t n_errors_total; /* errors found, kept or not */
    size_t n_ignored;      /* terms marked ignored */
    bool has_all;          /* an "all" mechanism is present */
    unsigned lookups;      /* DNS-querying terms of this record itself, ignored ones not counted */
    arena_t *arena;        /* owns every string and array above */
} spf_record;

/* Short English text for a status, for logs. */
const char *spf_status_str(spf_status status);

/* True when text is an SPF record: "v=spf1" (any case) followed by a space or the end. */
bool spf_is_record(const char *text);

/*
 * Parse a record. On SPF_OK *out is a new record (free with
 * spf_record_destroy()); on error *out is NULL.
 */
spf_status spf_parse(const char *text, spf_record **out);

/* Free a record and set *self_p to NULL; NULL or *self_p NULL is a no-op. */
void spf_record_destroy(spf_record **self_p);

/* What a fetch function found for a domain. */
typedef enum spf_fetch_status {
    SPF_FETCH_OK = 0,      /* *text_out is the domain's one SPF record */
    SPF_FETCH_PENDING = 1, /* not known yet (the answer is being asked for) */
    SPF_FETCH_NONE = 2,    /* no usable record: none, several, or the lookup failed */
} spf_fetch_status;

/*
 * The SPF record of domain (canonical: lower case, trailing dot). *text_out
 * is borrowed and must stay valid until spf_count_lookups() returns.
 */
typedef spf_fetch_status (*spf_fetch_fn)(void *ctx, const char *domain, const char **text_out);

/* Result of counting. */
typedef struct spf_count {
    unsigned
        lookups;  /* DNS-querying terms, through include and redirect; at most SPF_COUNT_CAP+1 */
    bool capped;  /* counting stopped past SPF_COUNT_CAP */
    bool pending; /* some record was not fetched yet, so lookups is a lower bound */
    bool loop;    /* an include or redirect leads back to a record on its own path */
    char loop_domain[SPF_DOMAIN_MAX]; /* the domain that closes the loop, "" when none */
    unsigned
        term_lookups[SPF_TERMS_MAX]; /* per term of the top record: itself plus what it pulls in */
} spf_count;

/*
 * Count the lookups of rec, the SPF record of domain, following include and
 * redirect targets that hold no macro through fetch. Every target that can
 * be followed is asked for, even when some are pending, so a demand-driven
 * caller gets all its questions in one round. A loop sets loop and makes
 * the count SPF_COUNT_CAP+1 (evaluation would exceed any limit).
 * Returns SPF_ERR_NOMEM when out of memory, else SPF_OK.
 */
spf_status spf_count_lookups(const spf_record *rec, const char *domain, spf_fetch_fn fetch,
                             void *ctx, spf_count *out);

#endif

/*
 * common/rrset.c - the canonical text form of a DNS RR set.
 */
#include "common/rrset.h"

#include "common/dnsname.h"

#include "common/arena.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest piece of an offending line quoted back in an error message. */
#define RRSET_ERR_QUOTE 64

struct rrset_canon {
    arena_t *arena;     /* owns lines[], every line and text */
    const char **lines; /* count distinct canonical lines, sorted by strcmp */
    size_t count;       /* number of lines */
    const char *text;   /* lines joined by "\n", no trailing newline */
    size_t text_len;    /* strlen(text) */
    uint32_t min_ttl;   /* smallest TTL, valid when has_ttl */
    bool has_ttl;       /* false for the empty set and for sets from text */
};

/* Lines collected before sorting; every line malloced and owned here. */
typedef struct rrset_build {
    char **lines;     /* count lines, cap slots */
    size_t count;     /* lines held */
    size_t cap;       /* slots allocated */
    size_t bytes;     /* text length if joined now, duplicates included */
    uint32_t min_ttl; /* smallest TTL added, valid when has_ttl */
    bool has_ttl;     /* some line came with a TTL */
} rrset_build;

const char *rrset_status_str(rrset_status status)
{
    switch (status) {
    case RRSET_OK:
        return "ok";
    case RRSET_ERR_INVAL:
        return "invalid argument";
    case RRSET_ERR_NOMEM:
        return "out of memory";
    case RRSET_ERR_TOO_MANY:
        return "too many records";
    case RRSET_ERR_TOO_BIG:
        return "record set text too large";
    case RRSET_ERR_PARSE:
        return "cannot parse record";
    case RRSET_ERR_PRESENT:
        return "cannot present record";
    }
    return "unknown status";
}

/* --- one record ------------------------------------------------------------ */

/* Drop trailing spaces back to mark; ldns ends an NSEC type bitmap with one. */
static void rrset_trim_to(ldns_buffer *buf, size_t mark)
{
    size_t pos = ldns_buffer_position(buf);
    while (pos > mark && ldns_buffer_at(buf, pos - 1)[0] == ' ')
        pos--;
    ldns_buffer_set_position(buf, pos);
}

/*
 * One separating space. ldns_buffer_write_u8() does not grow the buffer (it
 * only asserts), ldns_buffer_printf() does.
 */
static bool rrset_put_space(ldns_buffer *buf)
{
    if (!ldns_buffer_reserve(buf, 1))
        return false;
    ldns_buffer_write_u8(buf, ' ');
    return true;
}

/*
 * Append the line of a record that is already canonical (owner and rdata
 * names lower-cased) to buf, without a terminator.
 */
static rrset_status rrset_print_line(ldns_buffer *buf, const ldns_rr *rr)
{
    size_t start = ldns_buffer_position(buf);
    if (!ldns_rr_owner(rr) || dnsname_rdf2buffer(buf, ldns_rr_owner(rr)) != LDNS_STATUS_OK)
        return RRSET_ERR_PRESENT;
    if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
        if (!rrset_put_space(buf) ||
            ldns_rr_class2buffer_str(buf, ldns_rr_get_class(rr)) != LDNS_STATUS_OK)
            return RRSET_ERR_PRESENT;
    }
    if (!rrset_put_space(buf) ||
        ldns_rr_type2buffer_str(buf, ldns_rr_get_type(rr)) != LDNS_STATUS_OK)
        return RRSET_ERR_PRESENT;
    for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
        const ldns_rdf *rdf = ldns_rr_rdf(rr, i);
        if (!rdf)
            return RRSET_ERR_PRESENT;
        size_t mark = ldns_buffer_position(buf);
        if (!rrset_put_space(buf) || dnsname_rdf2buffer(buf, rdf) != LDNS_STATUS_OK)
            return RRSET_ERR_PRESENT;
        rrset_trim_to(buf, mark + 1);
        if (ldns_buffer_position(buf) == mark + 1)
            ldns_buffer_set_position(buf, mark);
    }
    if (!ldns_buffer_status_ok(buf))
        return RRSET_ERR_NOMEM;
    /* ldns escapes control octets; a raw newline would break the text form. */
    const char *p = (const char *)ldns_buffer_at(buf, start);
    size_t len = ldns_buffer_position(buf) - start;
    if (memchr(p, '\n', len) || memchr(p, '\r', len) || memchr(p, '\0', len))
        return RRSET_ERR_PRESENT;
    return RRSET_OK;
}

/* Print a record that is already canonical into a new string (*line_out, malloced). */
static rrset_status rrset_line_of_canonical(const ldns_rr *rr, char **line_out)
{
    ldns_buffer *buf = ldns_buffer_new(256);
    if (!buf)
        return RRSET_ERR_NOMEM;
    rrset_status rc = rrset_print_line(buf, rr);
    char *line = NULL;
    if (rc == RRSET_OK && !(line = ldns_buffer_export2str(buf)))
        rc = RRSET_ERR_NOMEM;
    ldns_buffer_free(buf);
    if (rc == RRSET_OK)
        *line_out = line;
    return rc;
}

/* Canonicalize and print a record the caller owns (it is changed in place). */
static rrset_status rrset_line_of_owned(ldns_rr *rr, char **line_out)
{
    ldns_rr2canonical(rr);
    return rrset_line_of_canonical(rr, line_out);
}

rrset_status rrset_line_from_rr(const ldns_rr *rr, char **line_out)
{
    if (!rr || !line_out)
        return RRSET_ERR_INVAL;
    *line_out = NULL;
    /* ldns_rr2canonical() works in place, so it gets a copy. */
    ldns_rr *copy = ldns_rr_clone(rr);
    if (!copy)
        return RRSET_ERR_NOMEM;
    rrset_status rc = rrset_line_of_owned(copy, line_out);
    ldns_rr_free(copy);
    return rc;
}

/* --- building a set -------------------------------------------------------- */

static void rrset_build_free(rrset_build *b)
{
    for (size_t i = 0; i < b->count; i++)
        free(b->lines[i]);
    free(b->lines);
    memset(b, 0, sizeof(*b));
}

/* Take ownership of *line_p (set to NULL) whatever the outcome. */
static rrset_status rrset_build_add(rrset_build *b, char **line_p)
{
    char *line = *line_p;
    *line_p = NULL;

    size_t len = strlen(line);
    size_t need = b->bytes + (b->count > 0 ? 1 : 0);
    if (b->count >= RRSET_MAX_RRS) {
        free(line);
        return RRSET_ERR_TOO_MANY;
    }
    if (len > RRSET_MAX_TEXT || need > RRSET_MAX_TEXT - len) {
        free(line);
        return RRSET_ERR_TOO_BIG;
    }
    if (b->count == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16;
        if (cap > RRSET_MAX_RRS)
            cap = RRSET_MAX_RRS;
        char **lines = realloc(b->lines, cap * sizeof(*lines));
        if (!lines) {
            free(line);
            return RRSET_ERR_NOMEM;
        }
        b->lines = lines;
        b->cap = cap;
    }
    b->lines[b->count++] = line;
    b->bytes = need + len;
    return RRSET_OK;
}

static void rrset_build_ttl(rrset_build *b, uint32_t ttl)
{
    if (ttl > INT32_MAX)
        ttl = 0;
    if (!b->has_ttl || ttl < b->min_ttl)
        b->min_ttl = ttl;
    b->has_ttl = true;
}

static int rrset_line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort, drop duplicates and copy into a new set; b is emptied either way. */
static rrset_status rrset_build_finish(rrset_build *b, rrset_canon_t **out)
{
    rrset_status rc = RRSET_ERR_NOMEM;
    rrset_canon_t *self = calloc(1, sizeof(*self));

    if (!self)
        goto done;
    self->arena = arena_new();
    if (!self->arena)
        goto done;

    if (b->count > 1)
        qsort(b->lines, b->count, sizeof(*b->lines), rrset_line_cmp);
    size_t distinct = 0;
    size_t len = 0;
    for (size_t i = 0; i < b->count; i++) {
        if (distinct > 0 && strcmp(b->lines[i], b->lines[distinct - 1]) == 0) {
            free(b->lines[i]);
            b->lines[i] = NULL;
            continue;
        }
        len += (distinct > 0 ? 1 : 0) + strlen(b->lines[i]);
        b->lines[distinct++] = b->lines[i];
    }
    b->count = distinct;

    /* text holds the lines with "\n"; store the same bytes with NULs for lines[]. */
    char *text = arena_alloc(self->arena, len + 1);
    char *store = arena_alloc(self->arena, len + 1);
    self->lines = arena_calloc(self->arena, distinct ? distinct : 1, sizeof(*self->lines));
    if (!text || !store || !self->lines)
        goto done;
    size_t pos = 0;
    for (size_t i = 0; i < distinct; i++) {
        size_t l = strlen(b->lines[i]);
        if (i > 0) {
            text[pos] = '\n';
            store[pos] = '\0';
            pos++;
        }
        memcpy(text + pos, b->lines[i], l);
        memcpy(store + pos, b->lines[i], l);
        self->lines[i] = store + pos;
        pos += l;
    }
    text[pos] = '\0';
    store[pos] = '\0';
    self->text = text;
    self->text_len = len;
    self->count = distinct;
    self->min_ttl = b->min_ttl;
    self->has_ttl = b->has_ttl && distinct > 0;
    *out = self;
    self = NULL;
    rc = RRSET_OK;

done:
    rrset_build_free(b);
    rrset_canon_destroy(&self);
    return rc;
}

/* --- constructors ---------------------------------------------------------- */

static bool rrset_rr_matches(const ldns_rr *rr, ldns_rr_type type_filter,
                             const ldns_rdf *owner_filter)
{
    if (!rr)
        return false;
    if (type_filter != 0 && ldns_rr_get_type(rr) != type_filter)
        return false;
    if (owner_filter &&
        (!ldns_rr_owner(rr) || ldns_dname_compare(ldns_rr_owner(rr), owner_filter) != 0))
        return false;
    return true;
}

rrset_status rrset_canon_from_ldns(const ldns_rr_list *rrs, ldns_rr_type type_filter,
                                   const ldns_rdf *owner_filter, rrset_canon_t **out)
{
    rrset_build b = {0};
    rrset_status rc = RRSET_OK;
    ldns_rr *copy = NULL;
    char *line = NULL;

    if (!out)
        return RRSET_ERR_INVAL;
    *out = NULL;
    if (owner_filter && ldns_rdf_get_type(owner_filter) != LDNS_RDF_TYPE_DNAME)
        return RRSET_ERR_INVAL;

    size_t total = rrs ? ldns_rr_list_rr_count(rrs) : 0;
    size_t kept = 0;
    for (size_t i = 0; i < total; i++)
        if (rrset_rr_matches(ldns_rr_list_rr(rrs, i), type_filter, owner_filter))
            kept++;
    if (kept > RRSET_MAX_RRS)
        return RRSET_ERR_TOO_MANY;

    for (size_t i = 0; i < total; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        if (!rrset_rr_matches(rr, type_filter, owner_filter))
            continue;
        copy = ldns_rr_clone(rr);
        if (!copy) {
            rc = RRSET_ERR_NOMEM;
            goto done;
        }
        rc = rrset_line_of_owned(copy, &line);
        if (rc != RRSET_OK)
            goto done;
        rc = rrset_build_add(&b, &line);
        if (rc != RRSET_OK)
            goto done;
        rrset_build_ttl(&b, ldns_rr_ttl(copy));
        ldns_rr_free(copy);
        copy = NULL;
    }
    rc = rrset_build_finish(&b, out);

done:
    ldns_rr_free(copy);
    free(line);
    rrset_build_free(&b);
    return rc;
}

/* printf into err[errlen] when the caller wants a message. */
static void rrset_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void rrset_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Line text for messages: at most RRSET_ERR_QUOTE bytes, "..." when cut. */
static const char *rrset_quote_tail(const char *line)
{
    return strlen(line) > RRSET_ERR_QUOTE ? "..." : "";
}

/* Copy of s without surrounding white space (malloced); NULL when out of memory. */
static char *rrset_trimmed(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    return strndup(s, len);
}

/* Parse one full RR; a known type is required (ldns reports TYPE0 for junk). */
static ldns_status rrset_parse_full(const char *text, const ldns_rdf *origin, ldns_rr **rr_out)
{
    ldns_rr *rr = NULL;
    ldns_status st = ldns_rr_new_frm_str(&rr, text, 0, origin, NULL);
    if (st != LDNS_STATUS_OK)
        return st;
    if (ldns_rr_get_type(rr) == 0) {
        ldns_rr_free(rr);
        return LDNS_STATUS_SYNTAX_TYPE_ERR;
    }
    *rr_out = rr;
    return LDNS_STATUS_OK;
}

/*
 * True when the first token of line ends with an unescaped dot: a fully
 * qualified owner, as dig and zone files print them.
 */
static bool rrset_first_token_absolute(const char *line)
{
    size_t len = strcspn(line, " \t");
    if (len == 0 || line[len - 1] != '.')
        return false;
    size_t slashes = 0;
    while (slashes + 1 < len && line[len - 2 - slashes] == '\\')
        slashes++;
    return slashes % 2 == 0;
}

/* "OWNER TYPE RDATA" for bare rdata (malloced); NULL when out of memory. */
static char *rrset_bare_to_full(const char *owner, const char *type, ldns_rr_type t,
                                const char *rdata)
{
    bool quote = (t == LDNS_RR_TYPE_TXT || t == LDNS_RR_TYPE_SPF) && !strchr(rdata, '"');
    char *full = NULL;
    if (asprintf(&full, quote ? "%s %s \"%s\"" : "%s %s %s", owner, type, rdata) < 0)
        return NULL;
    return full;
}

rrset_status rrset_canon_from_text(const char *const *lines, size_t n, const char *default_owner,
                                   ldns_rr_type default_type, rrset_canon_t **out, char *err,
                                   size_t errlen)
{
    rrset_build b = {0};
    rrset_status rc = RRSET_OK;
    ldns_rdf *origin = NULL;
    ldns_rdf *owner_rdf = NULL;
    char *owner = NULL;
    char *type = NULL;
    char *line = NULL;
    char *full = NULL;
    char *canon = NULL;
    ldns_rr *rr = NULL;

    if (err && errlen > 0)
        err[0] = '\0';
    if (!out || (n > 0 && !lines)) {
        rrset_errf(err, errlen, "invalid argument");
        return RRSET_ERR_INVAL;
    }
    *out = NULL;
    if (n > RRSET_MAX_RRS) {
        rrset_errf(err, errlen, "too many lines (%zu, at most %d)", n, RRSET_MAX_RRS);
        return RRSET_ERR_TOO_MANY;
    }

    origin = ldns_dname_new_frm_str(".");
    if (!origin) {
        rc = RRSET_ERR_NOMEM;
        goto done;
    }
    if (default_owner) {
        ldns_status st = ldns_str2rdf_dname(&owner_rdf, default_owner);
        if (st != LDNS_STATUS_OK) {
            rrset_errf(err, errlen, "owner \"%.*s%s\": %s", RRSET_ERR_QUOTE, default_owner,
                       rrset_quote_tail(default_owner), ldns_get_errorstr_by_id(st));
            rc = st == LDNS_STATUS_MEM_ERR ? RRSET_ERR_NOMEM : RRSET_ERR_PARSE;
            goto done;
        }
        owner = ldns_rdf2str(owner_rdf);
        if (!owner) {
            rc = RRSET_ERR_NOMEM;
            goto done;
        }
    }
    if (default_type != 0) {
        type = ldns_rr_type2str(default_type);
        if (!type) {
            rc = RRSET_ERR_NOMEM;
            goto done;
        }
    }

    for (size_t i = 0; i < n; i++) {
        if (!lines[i]) {
            rrset_errf(err, errlen, "line %zu: NULL", i + 1);
            rc = RRSET_ERR_INVAL;
            goto done;
        }
        if (strnlen(lines[i], RRSET_MAX_TEXT + 1) > RRSET_MAX_TEXT) {
            rrset_errf(err, errlen, "line %zu: longer than %d bytes", i + 1, RRSET_MAX_TEXT);
            rc = RRSET_ERR_TOO_BIG;
            goto done;
        }
        line = rrset_trimmed(lines[i]);
        if (!line) {
            rc = RRSET_ERR_NOMEM;
            goto done;
        }
        if (line[0] == '\0') {
            rrset_errf(err, errlen, "line %zu: empty", i + 1);
            rc = RRSET_ERR_PARSE;
            goto done;
        }

        ldns_status full_st = LDNS_STATUS_SYNTAX_ERR;
        if (line[0] != '"')
            full_st = rrset_parse_full(line, origin, &rr);
        if (full_st == LDNS_STATUS_OK && owner_rdf && !rrset_first_token_absolute(line) &&
            ldns_dname_compare(ldns_rr_owner(rr), owner_rdf) != 0) {
            /* "v=spf1 ptr -all" reads as a PTR record of "v=spf1"; it is bare TXT. */
            ldns_rr_free(rr);
            rr = NULL;
            full_st = LDNS_STATUS_SYNTAX_ERR;
        }
        if (full_st != LDNS_STATUS_OK) {
            if (!owner || !type) {
                rrset_errf(err, errlen,
                           "line %zu \"%.*s%s\": %s (and no owner and type for bare rdata)", i + 1,
                           RRSET_ERR_QUOTE, line, rrset_quote_tail(line),
                           ldns_get_errorstr_by_id(full_st));
                rc = RRSET_ERR_PARSE;
                goto done;
            }
            full = rrset_bare_to_full(owner, type, default_type, line);
            if (!full) {
                rc = RRSET_ERR_NOMEM;
                goto done;
            }
            ldns_status bare_st = rrset_parse_full(full, origin, &rr);
            if (bare_st != LDNS_STATUS_OK) {
                rrset_errf(err, errlen,
                           "line %zu \"%.*s%s\": not %s rdata (%s) nor a full record (%s)", i + 1,
                           RRSET_ERR_QUOTE, line, rrset_quote_tail(line), type,
                           ldns_get_errorstr_by_id(bare_st), ldns_get_errorstr_by_id(full_st));
                rc = bare_st == LDNS_STATUS_MEM_ERR ? RRSET_ERR_NOMEM : RRSET_ERR_PARSE;
                goto done;
            }
            free(full);
            full = NULL;
        }

        rc = rrset_line_of_owned(rr, &canon);
        if (rc != RRSET_OK) {
            rrset_errf(err, errlen, "line %zu \"%.*s%s\": %s", i + 1, RRSET_ERR_QUOTE, line,
                       rrset_quote_tail(line), rrset_status_str(rc));
            goto done;
        }
        rc = rrset_build_add(&b, &canon);
        if (rc != RRSET_OK) {
            rrset_errf(err, errlen, "line %zu: %s", i + 1, rrset_status_str(rc));
            goto done;
        }
        ldns_rr_free(rr);
        rr = NULL;
        free(line);
        line = NULL;
    }
    rc = rrset_build_finish(&b, out);

done:
    if (rc == RRSET_ERR_NOMEM && err && errlen > 0 && err[0] == '\0')
        rrset_errf(err, errlen, "%s", rrset_status_str(rc));
    ldns_rr_free(rr);
    free(canon);
    free(full);
    free(line);
    free(type);
    free(owner);
    ldns_rdf_deep_free(owner_rdf);
    ldns_rdf_deep_free(origin);
    rrset_build_free(&b);
    return rc;
}

rrset_status rrset_canon_parse_text(const char *text, rrset_canon_t **out)
{
    rrset_build b = {0};
    rrset_status rc = RRSET_OK;
    ldns_rdf *origin = NULL;
    char *copy = NULL;
    char *line = NULL;
    ldns_rr *rr = NULL;

    if (!out || !text)
        return RRSET_ERR_INVAL;
    *out = NULL;
    size_t len = strnlen(text, RRSET_MAX_TEXT + 1);
    if (len > RRSET_MAX_TEXT)
        return RRSET_ERR_TOO_BIG;
    if (len == 0)
        return rrset_build_finish(&b, out);

    origin = ldns_dname_new_frm_str(".");
    copy = strndup(text, len);
    if (!origin || !copy) {
        rc = RRSET_ERR_NOMEM;
        goto done;
    }
    char *next = copy;
    while (next) {
        char *cur = next;
        char *nl = strchr(cur, '\n');
        if (nl) {
            *nl = '\0';
            next = nl + 1;
        } else {
            next = NULL;
        }
        if (cur[0] == '\0') {
            rc = RRSET_ERR_PARSE;
            goto done;
        }
        ldns_status st = rrset_parse_full(cur, origin, &rr);
        if (st != LDNS_STATUS_OK) {
            rc = st == LDNS_STATUS_MEM_ERR ? RRSET_ERR_NOMEM : RRSET_ERR_PARSE;
            goto done;
        }
        rc = rrset_line_of_owned(rr, &line);
        if (rc != RRSET_OK)
            goto done;
        rc = rrset_build_add(&b, &line);
        if (rc != RRSET_OK)
            goto done;
        ldns_rr_free(rr);
        rr = NULL;
    }
    rc = rrset_build_finish(&b, out);

done:
    ldns_rr_free(rr);
    free(line);
    free(copy);
    ldns_rdf_deep_free(origin);
    rrset_build_free(&b);
    return rc;
}

/* --- accessors ------------------------------------------------------------- */

void rrset_canon_destroy(rrset_canon_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    arena_destroy(&(*self_p)->arena);
    free(*self_p);
    *self_p = NULL;
}

const char *rrset_canon_text(const rrset_canon_t *self)
{
    return self && self->text ? self->text : "";
}

size_t rrset_canon_text_len(const rrset_canon_t *self)
{
    return self ? self->text_len : 0;
}

size_t rrset_canon_count(const rrset_canon_t *self)
{
    return self ? self->count : 0;
}

const char *rrset_canon_line(const rrset_canon_t *self, size_t i)
{
    if (!self || i >= self->count)
        return NULL;
    return self->lines[i];
}

bool rrset_canon_min_ttl(const rrset_canon_t *self, uint32_t *ttl_out)
{
    if (!self || !self->has_ttl)
        return false;
    if (ttl_out)
        *ttl_out = self->min_ttl;
    return true;
}

bool rrset_canon_equal(const rrset_canon_t *a, const rrset_canon_t *b)
{
    if (!a || !b)
        return a == b;
    return a->count == b->count && a->text_len == b->text_len &&
           memcmp(a->text, b->text, a->text_len) == 0;
}

/* --- the fast path of observations -------------------------------------- */

static int rrset_off_cmp(const void *a, const void *b, void *base)
{
    const char *t = base;
    return strcmp(t + *(const size_t *)a, t + *(const size_t *)b);
}

rrset_status rrset_text_from_canonical(const ldns_rr_list *rrs, arena_t *arena, const char **text,
                                       uint32_t *min_ttl, bool *has_ttl)
{
    size_t n = rrs ? ldns_rr_list_rr_count(rrs) : 0;
    *text = "";
    *has_ttl = false;
    *min_ttl = 0;
    if (n == 0)
        return RRSET_OK;
    if (n > RRSET_MAX_RRS)
        return RRSET_ERR_TOO_MANY;
    rrset_status rc = RRSET_ERR_NOMEM;
    size_t *off = malloc(n * sizeof *off);
    ldns_buffer *buf = ldns_buffer_new(128 * n);
    if (!off || !buf)
        goto done;
    for (size_t i = 0; i < n; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(rrs, i);
        off[i] = ldns_buffer_position(buf);
        if ((rc = rrset_print_line(buf, rr)) != RRSET_OK)
            goto done;
        if (!ldns_buffer_reserve(buf, 1)) {
            rc = RRSET_ERR_NOMEM;
            goto done;
        }
        ldns_buffer_write_u8(buf, 0);
        uint32_t ttl = ldns_rr_ttl(rr);
        ttl = ttl > INT32_MAX ? 0 : ttl;
        if (!*has_ttl || ttl < *min_ttl)
            *min_ttl = ttl;
        *has_ttl = true;
    }
    if (ldns_buffer_position(buf) > RRSET_MAX_TEXT + n) {
        rc = RRSET_ERR_TOO_BIG;
        goto done;
    }
    const char *base = (const char *)ldns_buffer_begin(buf);
    if (n > 1)
        qsort_r(off, n, sizeof *off, rrset_off_cmp, (void *)base);
    char *out = arena_alloc(arena, ldns_buffer_position(buf) + 1);
    if (!out)
        goto done;
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        const char *line = base + off[i];
        if (i > 0 && strcmp(line, base + off[i - 1]) == 0)
            continue;
        size_t l = strlen(line);
        if (pos > 0)
            out[pos++] = '\n';
        memcpy(out + pos, line, l);
        pos += l;
    }
    out[pos] = '\0';
    *text = out;
    rc = RRSET_OK;
done:
    if (rc != RRSET_OK)
        *has_ttl = false;
    free(off);
    if (buf)
        ldns_buffer_free(buf);
    return rc;
}

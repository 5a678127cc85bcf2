/*
 * agent/findings.h - a growing list of findings for one check.
 *
 * Strings (name, resolver, message) are copied into the list's arena, so a
 * caller may pass temporaries.
 */
#ifndef VANTAGE_AGENT_FINDINGS_H
#define VANTAGE_AGENT_FINDINGS_H

#include <stdarg.h>
#include <stddef.h>

#include "common/arena.h"
#include "proto/msg.h"

/* A list of findings. */
typedef struct findings {
    proto_finding *v; /* the findings (malloced array) */
    size_t n;         /* count */
    size_t cap;       /* allocated */
    arena_t *arena;   /* strings (borrowed; owned by the check) */
} findings_t;

/* An empty list whose strings go to arena. */
void findings_init(findings_t *self, arena_t *arena);

/* Free the array (not the arena). */
void findings_free(findings_t *self);

/*
 * Append a finding with a printf-style message; -1 when out of memory. The
 * message is cut at PROTO_NAME_MAX bytes and made wire-safe with
 * findings_text_fix().
 */
int findings_vadd(findings_t *self, const char *code, proto_severity severity, const char *name,
                  const char *resolver, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
int findings_add(findings_t *self, const char *code, proto_severity severity, const char *name,
                 const char *resolver, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Drop a UTF-8 sequence cut short at the end of s (after a truncating snprintf). */
void findings_text_trim(char *s);

/*
 * Make text safe for the wire: whole UTF-8 sequences only (the codec refuses
 * anything else); when something is still wrong, every non-ASCII byte
 * becomes '?'.
 */
void findings_text_fix(char *s);

/* Append to a fixed buffer, keeping it NUL-terminated and cutting (at a
 * whole UTF-8 sequence) when full. */
void findings_buf_add(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when a finding with this code (and name, when name is not NULL) is in the list. */
int findings_has(const findings_t *self, const char *code, const char *name);

/* Highest severity in the list, or -1 when empty. */
int findings_worst(const findings_t *self);

#endif

/*
 * agent/findings.h - a growing list of findings for one check.
 *
 * Strings (name, resolver, message) are copied into the list's arena, so a
 * caller may pass temporaries.
 */
#ifndef VANTAGE_AGENT_FINDINGS_H
#define VANTAGE_AGENT_FINDINGS_H

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

/* Append a finding with a printf-style message; -1 when out of memory. */
int findings_add(findings_t *self, const char *code, proto_severity severity, const char *name,
                 const char *resolver, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* True when a finding with this code (and name, when name is not NULL) is in the list. */
int findings_has(const findings_t *self, const char *code, const char *name);

/* Highest severity in the list, or -1 when empty. */
int findings_worst(const findings_t *self);

#endif

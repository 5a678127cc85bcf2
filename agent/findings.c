/*
 * agent/findings.c - a growing list of findings for one check.
 */
#include "agent/findings.h"

#include "proto/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void findings_init(findings_t *self, arena_t *arena)
{
    memset(self, 0, sizeof *self);
    self->arena = arena;
}

void findings_free(findings_t *self)
{
    free(self->v);
    self->v = NULL;
    self->n = self->cap = 0;
}

/*
 * The wire refuses strings that are not UTF-8: names from DNS data can hold
 * any byte, and vsnprintf may cut a character in two. Replace every byte
 * that does not start or continue a valid sequence with '?'.
 */
static void findings_utf8_clean(char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        size_t n = 1;
        while (n <= 4 && i + n <= len && !pschema_utf8_ok(s + i, n))
            n++;
        if (n > 4 || i + n > len) {
            s[i++] = '?';
            continue;
        }
        i += n;
    }
}

int findings_add(findings_t *self, const char *code, proto_severity severity, const char *name,
                 const char *resolver, const char *fmt, ...)
{
    if (self->n == self->cap) {
        size_t cap = self->cap ? self->cap * 2 : 16;
        proto_finding *v = realloc(self->v, cap * sizeof *v);
        if (!v)
            return -1;
        self->v = v;
        self->cap = cap;
    }
    char msg[PROTO_NAME_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    findings_utf8_clean(msg);
    proto_finding *f = &self->v[self->n];
    f->code = arena_strdup(self->arena, code);
    f->severity = (uint8_t)severity;
    f->name = arena_strdup(self->arena, name);
    f->message = arena_strdup(self->arena, msg);
    f->resolver = resolver ? arena_strdup(self->arena, resolver) : NULL;
    if (!f->code || !f->name || !f->message || (resolver && !f->resolver))
        return -1;
    self->n++;
    return 0;
}

int findings_has(const findings_t *self, const char *code, const char *name)
{
    for (size_t i = 0; i < self->n; i++) {
        if (strcmp(self->v[i].code, code) == 0 && (!name || strcmp(self->v[i].name, name) == 0))
            return 1;
    }
    return 0;
}

int findings_worst(const findings_t *self)
{
    int worst = -1;
    for (size_t i = 0; i < self->n; i++) {
        if ((int)self->v[i].severity > worst)
            worst = self->v[i].severity;
    }
    return worst;
}

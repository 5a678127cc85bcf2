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

void findings_text_trim(char *s)
{
    size_t len = strlen(s), i = len;
    while (i > 0 && len - i < 3 && ((unsigned char)s[i - 1] & 0xc0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (lead >= 0x80 && len - (i - 1) < need)
        s[i - 1] = '\0';
}

void findings_text_fix(char *s)
{
    findings_text_trim(s);
    size_t len = strlen(s);
    if (pschema_utf8_ok(s, len))
        return;
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)s[i] >= 0x80)
            s[i] = '?';
    }
}

void findings_buf_add(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n >= size - used)
        findings_text_trim(buf);
}

int findings_vadd(findings_t *self, const char *code, proto_severity severity, const char *name,
                  const char *resolver, const char *fmt, va_list ap)
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
    vsnprintf(msg, sizeof msg, fmt, ap);
    findings_text_fix(msg);
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

int findings_add(findings_t *self, const char *code, proto_severity severity, const char *name,
                 const char *resolver, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = findings_vadd(self, code, severity, name, resolver, fmt, ap);
    va_end(ap);
    return rc;
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

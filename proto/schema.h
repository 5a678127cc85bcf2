/*
 * proto/schema.h - table-driven msgpack encoding and decoding of bodies.
 *
 * Every message body is a msgpack map with string keys. A schema lists the
 * fields of one C struct: key, kind, offset, limits, and whether the field
 * is required. One encoder and one decoder serve every message type, so a
 * later issue adds a field by adding one table row, and the rules for
 * untrusted input (types, ranges, string lengths, UTF-8, duplicate keys,
 * unknown keys ignored) are written once.
 *
 * Decoded strings and arrays live in the caller's arena.
 */
#ifndef VANTAGE_PROTO_SCHEMA_H
#define VANTAGE_PROTO_SCHEMA_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "proto/status.h"

/* What a field holds in C and on the wire. */
typedef enum pschema_kind {
    PF_BOOL,    /* bool; msgpack true/false */
    PF_U8,      /* uint8_t; msgpack positive integer */
    PF_U16,     /* uint16_t */
    PF_U32,     /* uint32_t */
    PF_U64,     /* uint64_t */
    PF_I64,     /* int64_t; positive or negative integer */
    PF_STR,     /* const char * (NULL when absent); msgpack str */
    PF_STRS,    /* const char **, with a size_t count; array of str */
    PF_U16S,    /* uint16_t *, with a size_t count; array of integers */
    PF_STRUCTS, /* struct array (elements of sub->size), with a size_t count */
} pschema_kind;

#define PSCHEMA_NONE ((size_t)-1)

/* Longest element of a string array (PF_STRS), bytes. */
#define PSCHEMA_ELEM_MAX 1024

struct pschema;

/* One field of a struct. */
typedef struct pschema_field {
    const char *key;           /* map key on the wire */
    pschema_kind kind;         /* C and wire type */
    size_t off;                /* offset of the value (or array pointer) in the struct */
    size_t aux_off;            /* arrays: offset of the size_t count; optional scalars:
                                  offset of the bool "present" flag; else PSCHEMA_NONE */
    bool required;             /* decoding fails with PROTO_E_MISSING when absent */
    uint64_t max;              /* largest value, string length in bytes, or element count */
    const struct pschema *sub; /* PF_STRUCTS: schema of the elements */
} pschema_field;

/* The fields of one struct. */
typedef struct pschema {
    const char *name;            /* for error paths */
    size_t size;                 /* sizeof the struct */
    const pschema_field *fields; /* the fields, in wire order */
    size_t n_fields;             /* at most 64 */
} pschema;

/*
 * Pack the struct at obj as a map. Absent optional fields (NULL strings,
 * flags false) are left out. Returns PROTO_E_INVALID (with the field in err)
 * when a value breaks its own schema (string too long, too many elements).
 */
proto_status pschema_encode(const pschema *schema, const void *obj, msgpack_packer *pk,
                            proto_error *err);

/*
 * Fill the zeroed struct at obj from the msgpack map in. Unknown keys are
 * ignored; a repeated key, a wrong type, a value out of range, a string over
 * its maximum, with a NUL byte or not valid UTF-8 are errors naming the field.
 */
proto_status pschema_decode(const pschema *schema, const msgpack_object *in, void *obj,
                            arena_t *arena, proto_error *err);

/* True when len bytes at s are valid UTF-8 with no NUL byte. */
bool pschema_utf8_ok(const char *s, size_t len);

#endif

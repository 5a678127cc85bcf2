/*
 * proto/schema.c - table-driven msgpack encoding and decoding of bodies.
 */
#include "proto/schema.h"

#include <stdio.h>
#include <string.h>

#define FIELD_PTR(obj, off)  ((void *)((char *)(obj) + (off)))
#define FIELD_CPTR(obj, off) ((const void *)((const char *)(obj) + (off)))

static proto_status field_error(proto_error *err, proto_status status, const char *path,
                                const char *key, long index)
{
    char full[sizeof err->field];
    const char *sep = path[0] ? "." : "";
    if (index >= 0)
        snprintf(full, sizeof full, "%s%s%s[%ld]", path, sep, key, index);
    else
        snprintf(full, sizeof full, "%s%s%s", path, sep, key);
    return proto_error_set(err, status, 0, full);
}

bool pschema_utf8_ok(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c == 0)
            return false;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (len - i - 1 < n)
            return false;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n + 1;
    }
    return true;
}

/* ---- encoding ---------------------------------------------------------- */

static bool field_present(const pschema_field *f, const void *obj)
{
    switch (f->kind) {
    case PF_STR:
        return *(const char *const *)FIELD_CPTR(obj, f->off) != NULL;
    case PF_STRS:
    case PF_U16S:
    case PF_STRUCTS:
        return f->required || *(const size_t *)FIELD_CPTR(obj, f->aux_off) > 0;
    default:
        if (f->aux_off != PSCHEMA_NONE)
            return *(const bool *)FIELD_CPTR(obj, f->aux_off);
        return true;
    }
}

static uint64_t scalar_get(const pschema_field *f, const void *obj)
{
    const void *p = FIELD_CPTR(obj, f->off);
    switch (f->kind) {
    case PF_BOOL:
        return *(const bool *)p;
    case PF_U8:
        return *(const uint8_t *)p;
    case PF_U16:
        return *(const uint16_t *)p;
    case PF_U32:
        return *(const uint32_t *)p;
    case PF_U64:
        return *(const uint64_t *)p;
    default:
        return 0;
    }
}

static proto_status encode_str(const char *s, uint64_t max, msgpack_packer *pk)
{
    size_t len = strlen(s);
    if (len > max || !pschema_utf8_ok(s, len))
        return PROTO_E_INVALID;
    msgpack_pack_str_with_body(pk, s, len);
    return PROTO_OK;
}

static proto_status encode_field(const pschema_field *f, const void *obj, msgpack_packer *pk,
                                 proto_error *err, const char *path)
{
    const void *p = FIELD_CPTR(obj, f->off);
    bool is_array = f->kind == PF_STRS || f->kind == PF_U16S || f->kind == PF_STRUCTS;
    size_t count = is_array ? *(const size_t *)FIELD_CPTR(obj, f->aux_off) : 0;
    switch (f->kind) {
    case PF_BOOL:
        if (*(const bool *)p)
            msgpack_pack_true(pk);
        else
            msgpack_pack_false(pk);
        return PROTO_OK;
    case PF_U8:
    case PF_U16:
    case PF_U32:
    case PF_U64: {
        uint64_t v = scalar_get(f, obj);
        if (f->max && v > f->max)
            return field_error(err, PROTO_E_INVALID, path, f->key, -1);
        msgpack_pack_uint64(pk, v);
        return PROTO_OK;
    }
    case PF_I64:
        msgpack_pack_int64(pk, *(const int64_t *)p);
        return PROTO_OK;
    case PF_STR:
        if (encode_str(*(const char *const *)p, f->max, pk) != PROTO_OK)
            return field_error(err, PROTO_E_INVALID, path, f->key, -1);
        return PROTO_OK;
    case PF_STRS: {
        const char *const *v = *(const char *const *const *)p;
        if (count > f->max)
            return field_error(err, PROTO_E_INVALID, path, f->key, -1);
        msgpack_pack_array(pk, count);
        for (size_t i = 0; i < count; i++) {
            if (!v[i] || encode_str(v[i], PSCHEMA_ELEM_MAX, pk) != PROTO_OK)
                return field_error(err, PROTO_E_INVALID, path, f->key, (long)i);
        }
        return PROTO_OK;
    }
    case PF_U16S: {
        const uint16_t *v = *(const uint16_t *const *)p;
        if (count > f->max)
            return field_error(err, PROTO_E_INVALID, path, f->key, -1);
        msgpack_pack_array(pk, count);
        for (size_t i = 0; i < count; i++)
            msgpack_pack_uint16(pk, v[i]);
        return PROTO_OK;
    }
    case PF_STRUCTS: {
        const char *v = *(const char *const *)p;
        if (count > f->max)
            return field_error(err, PROTO_E_INVALID, path, f->key, -1);
        msgpack_pack_array(pk, count);
        for (size_t i = 0; i < count; i++) {
            char sub[sizeof err->field];
            snprintf(sub, sizeof sub, "%s%s%s[%zu]", path, path[0] ? "." : "", f->key, i);
            proto_status s;
            const void *elem = v + i * f->sub->size;
            size_t n = 0;
            for (size_t k = 0; k < f->sub->n_fields; k++)
                n += field_present(&f->sub->fields[k], elem);
            msgpack_pack_map(pk, n);
            for (size_t k = 0; k < f->sub->n_fields; k++) {
                const pschema_field *sf = &f->sub->fields[k];
                if (!field_present(sf, elem))
                    continue;
                msgpack_pack_str_with_body(pk, sf->key, strlen(sf->key));
                if ((s = encode_field(sf, elem, pk, err, sub)) != PROTO_OK)
                    return s;
            }
        }
        return PROTO_OK;
    }
    }
    return field_error(err, PROTO_E_INVALID, path, f->key, -1);
}

proto_status pschema_encode(const pschema *schema, const void *obj, msgpack_packer *pk,
                            proto_error *err)
{
    size_t n = 0;
    for (size_t k = 0; k < schema->n_fields; k++)
        n += field_present(&schema->fields[k], obj);
    msgpack_pack_map(pk, n);
    for (size_t k = 0; k < schema->n_fields; k++) {
        const pschema_field *f = &schema->fields[k];
        if (!field_present(f, obj))
            continue;
        msgpack_pack_str_with_body(pk, f->key, strlen(f->key));
        proto_status s = encode_field(f, obj, pk, err, "");
        if (s != PROTO_OK)
            return s;
    }
    return PROTO_OK;
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct decode_ctx {
    arena_t *arena;
    proto_error *err;
} decode_ctx;

static proto_status decode_map(const pschema *schema, const msgpack_object *in, void *obj,
                               decode_ctx *c, const char *path);

static proto_status decode_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return PROTO_E_TYPE;
    if (o->via.u64 > max)
        return PROTO_E_RANGE;
    *out = o->via.u64;
    return PROTO_OK;
}

static proto_status decode_str(const msgpack_object *o, uint64_t max, arena_t *arena,
                               const char **out)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return PROTO_E_TYPE;
    if (o->via.str.size > max || !pschema_utf8_ok(o->via.str.ptr, o->via.str.size))
        return PROTO_E_STRING;
    *out = arena_strndup(arena, o->via.str.ptr, o->via.str.size);
    return *out ? PROTO_OK : PROTO_E_NOMEM;
}

static uint64_t kind_max(const pschema_field *f)
{
    static const uint64_t limits[] = {
        [PF_U8] = UINT8_MAX, [PF_U16] = UINT16_MAX, [PF_U32] = UINT32_MAX, [PF_U64] = UINT64_MAX};
    uint64_t lim = limits[f->kind];
    return f->max && f->max < lim ? f->max : lim;
}

static proto_status decode_array(const pschema_field *f, const msgpack_object *o, void *obj,
                                 decode_ctx *c, const char *path)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return field_error(c->err, PROTO_E_TYPE, path, f->key, -1);
    size_t n = o->via.array.size;
    if (n > f->max)
        return field_error(c->err, PROTO_E_RANGE, path, f->key, -1);
    *(size_t *)FIELD_PTR(obj, f->aux_off) = n;
    void **dst = FIELD_PTR(obj, f->off);
    size_t elem = f->kind == PF_STRS   ? sizeof(char *)
                  : f->kind == PF_U16S ? sizeof(uint16_t)
                                       : f->sub->size;
    char *v = arena_calloc(c->arena, n ? n : 1, elem);
    if (!v)
        return field_error(c->err, PROTO_E_NOMEM, path, f->key, -1);
    *dst = v;
    for (size_t i = 0; i < n; i++) {
        const msgpack_object *e = &o->via.array.ptr[i];
        proto_status s = PROTO_OK;
        if (f->kind == PF_STRS) {
            s = decode_str(e, PSCHEMA_ELEM_MAX, c->arena, (const char **)(void *)(v + i * elem));
        } else if (f->kind == PF_U16S) {
            uint64_t u;
            if ((s = decode_uint(e, UINT16_MAX, &u)) == PROTO_OK)
                ((uint16_t *)(void *)v)[i] = (uint16_t)u;
        } else {
            char sub[sizeof c->err->field];
            snprintf(sub, sizeof sub, "%s%s%s[%zu]", path, path[0] ? "." : "", f->key, i);
            if ((s = decode_map(f->sub, e, v + i * elem, c, sub)) != PROTO_OK)
                return s; /* error already names the inner field */
        }
        if (s != PROTO_OK)
            return field_error(c->err, s, path, f->key, (long)i);
    }
    return PROTO_OK;
}

static proto_status decode_field(const pschema_field *f, const msgpack_object *o, void *obj,
                                 decode_ctx *c, const char *path)
{
    void *p = FIELD_PTR(obj, f->off);
    proto_status s = PROTO_OK;
    uint64_t u = 0;
    switch (f->kind) {
    case PF_BOOL:
        if (o->type != MSGPACK_OBJECT_BOOLEAN)
            s = PROTO_E_TYPE;
        else
            *(bool *)p = o->via.boolean;
        break;
    case PF_U8:
    case PF_U16:
    case PF_U32:
    case PF_U64:
        if ((s = decode_uint(o, kind_max(f), &u)) != PROTO_OK)
            break;
        if (f->kind == PF_U8)
            *(uint8_t *)p = (uint8_t)u;
        else if (f->kind == PF_U16)
            *(uint16_t *)p = (uint16_t)u;
        else if (f->kind == PF_U32)
            *(uint32_t *)p = (uint32_t)u;
        else
            *(uint64_t *)p = u;
        break;
    case PF_I64:
        if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
            *(int64_t *)p = o->via.i64;
        else if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
            s = PROTO_E_TYPE;
        else if (o->via.u64 > INT64_MAX)
            s = PROTO_E_RANGE;
        else
            *(int64_t *)p = (int64_t)o->via.u64;
        break;
    case PF_STR:
        s = decode_str(o, f->max, c->arena, (const char **)p);
        break;
    case PF_STRS:
    case PF_U16S:
    case PF_STRUCTS:
        return decode_array(f, o, obj, c, path);
    }
    if (s != PROTO_OK)
        return field_error(c->err, s, path, f->key, -1);
    if (f->aux_off != PSCHEMA_NONE)
        *(bool *)FIELD_PTR(obj, f->aux_off) = true;
    return PROTO_OK;
}

static proto_status decode_map(const pschema *schema, const msgpack_object *in, void *obj,
                               decode_ctx *c, const char *path)
{
    if (in->type != MSGPACK_OBJECT_MAP)
        return proto_error_set(c->err, PROTO_E_TYPE, 0, path[0] ? path : schema->name);
    uint64_t seen = 0;
    for (uint32_t i = 0; i < in->via.map.size; i++) {
        const msgpack_object_kv *kv = &in->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR)
            return proto_error_set(c->err, PROTO_E_TYPE, 0, path[0] ? path : schema->name);
        for (size_t k = 0; k < schema->n_fields; k++) {
            const pschema_field *f = &schema->fields[k];
            size_t klen = strlen(f->key);
            if (kv->key.via.str.size != klen || memcmp(kv->key.via.str.ptr, f->key, klen) != 0)
                continue;
            if (seen & (UINT64_C(1) << k))
                return field_error(c->err, PROTO_E_DUPLICATE, path, f->key, -1);
            seen |= UINT64_C(1) << k;
            proto_status s = decode_field(f, &kv->val, obj, c, path);
            if (s != PROTO_OK)
                return s;
            break;
        }
        /* A key no field matches belongs to a newer peer: ignored. */
    }
    for (size_t k = 0; k < schema->n_fields; k++) {
        if (schema->fields[k].required && !(seen & (UINT64_C(1) << k)))
            return field_error(c->err, PROTO_E_MISSING, path, schema->fields[k].key, -1);
    }
    return PROTO_OK;
}

proto_status pschema_decode(const pschema *schema, const msgpack_object *in, void *obj,
                            arena_t *arena, proto_error *err)
{
    decode_ctx c = {.arena = arena, .err = err};
    return decode_map(schema, in, obj, &c, "");
}

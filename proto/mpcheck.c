/*
 * proto/mpcheck.c - structural check of untrusted msgpack before unpacking.
 */
#include "proto/mpcheck.h"

#include <stdbool.h>

typedef struct mpwalk {
    const uint8_t *buf;
    size_t len;
    size_t pos;
    size_t items;
    const mpcheck_limits *limits;
    proto_error *err;
} mpwalk;

static uint64_t be_read(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static proto_status walk_fail(mpwalk *w, proto_status status)
{
    return proto_error_set(w->err, status, w->pos, NULL);
}

/* Read an n-byte big-endian length that follows the type byte. */
static proto_status walk_len(mpwalk *w, size_t n, uint64_t *out)
{
    if (w->len - w->pos < n)
        return walk_fail(w, PROTO_E_TRUNCATED);
    *out = be_read(w->buf + w->pos, n);
    w->pos += n;
    return PROTO_OK;
}

/* Skip a payload of n bytes that must lie within the input. */
static proto_status walk_skip(mpwalk *w, uint64_t n)
{
    if (n > w->len - w->pos)
        return walk_fail(w, PROTO_E_TRUNCATED);
    w->pos += (size_t)n;
    return PROTO_OK;
}

static proto_status walk_object(mpwalk *w, unsigned depth);

/* count elements (2*count for maps) follow; each takes at least one byte. */
static proto_status walk_container(mpwalk *w, uint64_t count, bool is_map, unsigned depth)
{
    uint64_t elems = is_map ? count * 2 : count;
    if (depth + 1 > w->limits->max_depth)
        return walk_fail(w, PROTO_E_DEPTH);
    if (elems > w->len - w->pos)
        return walk_fail(w, PROTO_E_COUNT);
    if (elems > w->limits->max_items - w->items)
        return walk_fail(w, PROTO_E_ITEMS);
    for (uint64_t i = 0; i < elems; i++) {
        proto_status s = walk_object(w, depth + 1);
        if (s != PROTO_OK)
            return s;
    }
    return PROTO_OK;
}

static proto_status walk_object(mpwalk *w, unsigned depth)
{
    if (w->pos >= w->len)
        return walk_fail(w, PROTO_E_TRUNCATED);
    if (w->items >= w->limits->max_items)
        return walk_fail(w, PROTO_E_ITEMS);
    w->items++;
    uint8_t b = w->buf[w->pos++];
    uint64_t n = 0;
    proto_status s;

    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
        return PROTO_OK; /* fixint, nil, bool */
    if (b >= 0x80 && b <= 0x8f)
        return walk_container(w, b & 0x0f, true, depth);
    if (b >= 0x90 && b <= 0x9f)
        return walk_container(w, b & 0x0f, false, depth);
    if (b >= 0xa0 && b <= 0xbf)
        return walk_skip(w, b & 0x1f);

    switch (b) {
    case 0xc4: /* bin 8/16/32 */
    case 0xd9: /* str 8 */
        return (s = walk_len(w, 1, &n)) != PROTO_OK ? s : walk_skip(w, n);
    case 0xc5:
    case 0xda:
        return (s = walk_len(w, 2, &n)) != PROTO_OK ? s : walk_skip(w, n);
    case 0xc6:
    case 0xdb:
        return (s = walk_len(w, 4, &n)) != PROTO_OK ? s : walk_skip(w, n);
    case 0xc7: /* ext 8/16/32: length, then a type byte, then the data */
        return (s = walk_len(w, 1, &n)) != PROTO_OK ? s : walk_skip(w, n + 1);
    case 0xc8:
        return (s = walk_len(w, 2, &n)) != PROTO_OK ? s : walk_skip(w, n + 1);
    case 0xc9:
        return (s = walk_len(w, 4, &n)) != PROTO_OK ? s : walk_skip(w, n + 1);
    case 0xca: /* float 32/64 */
    case 0xce: /* uint 32, int 32 */
    case 0xd2:
        return walk_skip(w, 4);
    case 0xcb:
    case 0xcf:
    case 0xd3:
        return walk_skip(w, 8);
    case 0xcc:
    case 0xd0:
        return walk_skip(w, 1);
    case 0xcd:
    case 0xd1:
        return walk_skip(w, 2);
    case 0xd4: /* fixext 1/2/4/8/16: type byte + data */
        return walk_skip(w, 2);
    case 0xd5:
        return walk_skip(w, 3);
    case 0xd6:
        return walk_skip(w, 5);
    case 0xd7:
        return walk_skip(w, 9);
    case 0xd8:
        return walk_skip(w, 17);
    case 0xdc:
        return (s = walk_len(w, 2, &n)) != PROTO_OK ? s : walk_container(w, n, false, depth);
    case 0xdd:
        return (s = walk_len(w, 4, &n)) != PROTO_OK ? s : walk_container(w, n, false, depth);
    case 0xde:
        return (s = walk_len(w, 2, &n)) != PROTO_OK ? s : walk_container(w, n, true, depth);
    case 0xdf:
        return (s = walk_len(w, 4, &n)) != PROTO_OK ? s : walk_container(w, n, true, depth);
    default: /* 0xc1 */
        w->pos--;
        return walk_fail(w, PROTO_E_BADBYTE);
    }
}

proto_status mpcheck_object(const uint8_t *buf, size_t len, const mpcheck_limits *limits,
                            size_t *end, proto_error *err)
{
    mpwalk w = {.buf = buf, .len = len, .limits = limits, .err = err};
    proto_status s = walk_object(&w, 0);
    if (s == PROTO_OK && end)
        *end = w.pos;
    return s;
}

proto_status mpcheck_array_header(const uint8_t *buf, size_t len, uint32_t *count, size_t *hdr_len)
{
    if (len < 1)
        return PROTO_E_TRUNCATED;
    if (buf[0] >= 0x90 && buf[0] <= 0x9f) {
        *count = buf[0] & 0x0f;
        *hdr_len = 1;
        return PROTO_OK;
    }
    if (buf[0] == 0xdc || buf[0] == 0xdd) {
        size_t n = buf[0] == 0xdc ? 2 : 4;
        if (len < 1 + n)
            return PROTO_E_TRUNCATED;
        *count = (uint32_t)be_read(buf + 1, n);
        *hdr_len = 1 + n;
        return PROTO_OK;
    }
    return PROTO_E_FORMAT;
}

/*
 * proto/mpcheck.h - structural check of untrusted msgpack before unpacking.
 *
 * msgpack-c reserves memory for every array and map count it reads before it
 * has seen the elements (a 5-byte header can make it reserve 256 MiB), and it
 * has no size limits of its own. mpcheck walks the raw bytes first, without
 * allocating, and refuses:
 *   - a declared array count larger than the bytes left (each element needs
 *     at least one byte), a map count with 2*count larger than the bytes left
 *     (PROTO_E_COUNT);
 *   - nesting deeper than the limit (PROTO_E_DEPTH);
 *   - more objects in total than the limit (PROTO_E_ITEMS);
 *   - the reserved byte 0xc1 (PROTO_E_BADBYTE);
 *   - input that ends inside an object, or a str/bin/ext length larger than
 *     the bytes left (PROTO_E_TRUNCATED).
 * Only input that passes may be handed to msgpack_unpack_next().
 */
#ifndef VANTAGE_PROTO_MPCHECK_H
#define VANTAGE_PROTO_MPCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "proto/status.h"

/* Limits of one walk. */
typedef struct mpcheck_limits {
    unsigned max_depth; /* containers nested deeper than this are refused */
    size_t max_items;   /* objects in total, containers and scalars alike */
} mpcheck_limits;

/*
 * Check the single msgpack object that starts at buf[0]. On success *end is
 * the offset just after it (bytes may follow; the caller decides whether
 * that is allowed). On failure err (may be NULL) holds status and offset.
 */
proto_status mpcheck_object(const uint8_t *buf, size_t len, const mpcheck_limits *limits,
                            size_t *end, proto_error *err);

/*
 * Read a top-level array header at buf[0] (any array format). On success
 * *count is its element count and *hdr_len the header size.
 */
proto_status mpcheck_array_header(const uint8_t *buf, size_t len, uint32_t *count, size_t *hdr_len);

#endif

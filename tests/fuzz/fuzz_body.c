/*
 * tests/fuzz/fuzz_body.c - libFuzzer harness for the body decoders alone.
 *
 * Input: one byte selecting the message type (taken modulo the catalogue),
 * then a msgpack body. The structural walk, msgpack-c and the schema decoder
 * run as they do inside an envelope; a body that decodes must re-encode to
 * bytes that decode and re-encode to the same bytes.
 */
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"
#include "proto/mpcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *fb_encode(uint32_t type, const void *body, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    if (proto_body_encode(type, body, &pk, NULL) != PROTO_OK)
        abort();
    *len = sb.size;
    return (uint8_t *)msgpack_sbuffer_release(&sb);
}

/* Walk, unpack and decode; 0 on success. */
static int fb_decode(uint32_t type, const uint8_t *data, size_t size, proto_msg *m)
{
    const mpcheck_limits lim = {.max_depth = PROTO_DEPTH_MAX, .max_items = PROTO_ITEMS_MAX};
    size_t end;
    if (mpcheck_object(data, size, &lim, &end, NULL) != PROTO_OK || end != size)
        return -1;
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    int rc = -1;
    if (msgpack_unpack_next(&u, (const char *)data, size, &off) == MSGPACK_UNPACK_SUCCESS &&
        off == size)
        rc = proto_body_decode(type, &u.data, m, NULL) == PROTO_OK ? 0 : -1;
    msgpack_unpacked_destroy(&u);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > PROTO_FRAME_MAX)
        return 0;
    uint32_t type = PROTO_TYPE_FIRST + data[0] % (PROTO_TYPE_LAST - PROTO_TYPE_FIRST + 1);
    proto_msg m = {0};
    if (fb_decode(type, data + 1, size - 1, &m) != 0)
        return 0;
    size_t len1, len2;
    uint8_t *b1 = fb_encode(type, &m.body, &len1);
    proto_msg_clear(&m);
    proto_msg m2 = {0};
    if (fb_decode(type, b1, len1, &m2) != 0)
        abort();
    uint8_t *b2 = fb_encode(type, &m2.body, &len2);
    proto_msg_clear(&m2);
    if (len1 != len2 || memcmp(b1, b2, len1) != 0)
        abort();
    free(b1);
    free(b2);
    return 0;
}

/*
 * proto/envelope.c - the signed envelope every message travels in.
 */
#include "proto/envelope.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "proto/mpcheck.h"

#define ENVELOPE_FIELDS 8

static const mpcheck_limits frame_limits = {
    .max_depth = PROTO_DEPTH_MAX,
    .max_items = PROTO_ITEMS_MAX,
};

static proto_status header_str(const msgpack_object *o, char *out, const char *field,
                               proto_error *err)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return proto_error_set(err, PROTO_E_TYPE, 0, field);
    if (!proto_id_ok(o->via.str.ptr, o->via.str.size))
        return proto_error_set(err, PROTO_E_STRING, 0, field);
    memcpy(out, o->via.str.ptr, o->via.str.size);
    out[o->via.str.size] = '\0';
    return PROTO_OK;
}

static proto_status header_uint(const msgpack_object *o, uint64_t max, uint64_t *out,
                                const char *field, proto_error *err)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return proto_error_set(err, PROTO_E_TYPE, 0, field);
    if (o->via.u64 > max)
        return proto_error_set(err, PROTO_E_RANGE, 0, field);
    *out = o->via.u64;
    return PROTO_OK;
}

/* Read the header fields of an unpacked 8-element array. */
static proto_status header_read(const msgpack_object *a, proto_header *hdr, proto_error *err)
{
    uint64_t v = 0;
    proto_status s;
    if ((s = header_uint(&a[1], UINT32_MAX, &v, "type", err)) != PROTO_OK)
        return s;
    hdr->type = (uint32_t)v;
    if ((s = header_str(&a[2], hdr->sender, "sender", err)) != PROTO_OK)
        return s;
    if ((s = header_str(&a[3], hdr->recipient, "recipient", err)) != PROTO_OK)
        return s;
    if ((s = header_uint(&a[4], UINT64_MAX, &hdr->seq, "seq", err)) != PROTO_OK)
        return s;
    if (a[5].type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
        hdr->ts_ms = a[5].via.i64;
    else if ((s = header_uint(&a[5], INT64_MAX, &v, "ts_ms", err)) != PROTO_OK)
        return s;
    else
        hdr->ts_ms = (int64_t)v;
    if (a[6].type != MSGPACK_OBJECT_MAP)
        return proto_error_set(err, PROTO_E_TYPE, 0, "body");
    if (a[7].type != MSGPACK_OBJECT_BIN)
        return proto_error_set(err, PROTO_E_TYPE, 0, "signature");
    if (a[7].via.bin.size != ENVELOPE_SIG_LEN)
        return proto_error_set(err, PROTO_E_RANGE, 0, "signature");
    return PROTO_OK;
}

/* Read the version (element 0) before anything else, so that a frame of a
 * version this build does not know is refused as such, whatever follows. */
static proto_status version_read(const uint8_t *frame, size_t len, size_t hdr_len,
                                 uint32_t *version, proto_error *err)
{
    mpcheck_limits one = {.max_depth = 1, .max_items = 1};
    size_t end;
    proto_status s = mpcheck_object(frame + hdr_len, len - hdr_len, &one, &end, err);
    if (s != PROTO_OK)
        return s == PROTO_E_TRUNCATED ? s : proto_error_set(err, PROTO_E_TYPE, hdr_len, "version");
    msgpack_unpacked u;
    msgpack_unpacked_init(&u);
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(&u, (const char *)frame + hdr_len, end, &off);
    uint64_t v = 0;
    s = PROTO_OK;
    if (r != MSGPACK_UNPACK_SUCCESS)
        s = proto_error_set(err, PROTO_E_TYPE, hdr_len, "version");
    else
        s = header_uint(&u.data, UINT32_MAX, &v, "version", err);
    msgpack_unpacked_destroy(&u);
    *version = (uint32_t)v;
    return s;
}

proto_status envelope_parse(const uint8_t *frame, size_t len, uint32_t version_min,
                            uint32_t version_max, envelope_t *env, proto_error *err)
{
    memset(env, 0, sizeof *env);
    if (err)
        memset(err, 0, sizeof *err);
    if (len > PROTO_FRAME_MAX)
        return proto_error_set(err, PROTO_E_TOO_BIG, 0, NULL);

    uint32_t count;
    size_t hdr_len;
    proto_status s = mpcheck_array_header(frame, len, &count, &hdr_len);
    if (s != PROTO_OK)
        return proto_error_set(err, s, 0, NULL);
    if (count != ENVELOPE_FIELDS)
        return proto_error_set(err, PROTO_E_FORMAT, 0, NULL);
    if ((s = version_read(frame, len, hdr_len, &env->hdr.version, err)) != PROTO_OK)
        return s;
    if (env->hdr.version < version_min || env->hdr.version > version_max)
        return proto_error_set(err, PROTO_E_VERSION, hdr_len, "version");

    size_t end;
    if ((s = mpcheck_object(frame, len, &frame_limits, &end, err)) != PROTO_OK)
        return s;
    if (end != len)
        return proto_error_set(err, PROTO_E_TRAILING, end, NULL);

    msgpack_unpacked_init(&env->unpacked);
    env->live = true;
    size_t off = 0;
    msgpack_unpack_return r = msgpack_unpack_next(&env->unpacked, (const char *)frame, len, &off);
    if (r != MSGPACK_UNPACK_SUCCESS || off != len) {
        envelope_release(env);
        return proto_error_set(
            err, r == MSGPACK_UNPACK_NOMEM_ERROR ? PROTO_E_NOMEM : PROTO_E_FORMAT, off, NULL);
    }
    const msgpack_object *a = env->unpacked.data.via.array.ptr;
    if ((s = header_read(a, &env->hdr, err)) != PROTO_OK) {
        envelope_release(env);
        return s;
    }
    /* The signature must be the last bytes, encoded as bin 8 (c4 40). */
    env->sig = (const uint8_t *)a[7].via.bin.ptr;
    if (env->sig != frame + len - ENVELOPE_SIG_LEN || frame[len - ENVELOPE_SIG_LEN - 2] != 0xc4 ||
        frame[len - ENVELOPE_SIG_LEN - 1] != ENVELOPE_SIG_LEN) {
        envelope_release(env);
        return proto_error_set(err, PROTO_E_FORMAT, len - ENVELOPE_SIG_LEN - 2, "signature");
    }
    env->sig_off = len - ENVELOPE_SIG_LEN - 2;
    env->frame = frame;
    env->len = len;
    env->body = &a[6];
    return PROTO_OK;
}

static proto_status sig_input(const uint8_t *frame, size_t signed_len, uint8_t **out,
                              size_t *out_len)
{
    *out_len = ENVELOPE_SIG_CONTEXT_LEN + signed_len;
    *out = malloc(*out_len);
    if (!*out)
        return PROTO_E_NOMEM;
    memcpy(*out, ENVELOPE_SIG_CONTEXT, ENVELOPE_SIG_CONTEXT_LEN);
    memcpy(*out + ENVELOPE_SIG_CONTEXT_LEN, frame, signed_len);
    return PROTO_OK;
}

proto_status envelope_verify(const envelope_t *env, const unsigned char pk[ENVELOPE_PK_LEN],
                             proto_error *err)
{
    uint8_t *msg;
    size_t mlen;
    if (sig_input(env->frame, env->sig_off, &msg, &mlen) != PROTO_OK)
        return proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
    int rc = crypto_sign_verify_detached(env->sig, msg, mlen, pk);
    free(msg);
    if (rc != 0)
        return proto_error_set(err, PROTO_E_SIGNATURE, env->sig_off, NULL);
    return PROTO_OK;
}

proto_status envelope_decode(const envelope_t *env, proto_msg *msg, proto_error *err)
{
    msg->hdr = env->hdr;
    return proto_body_decode(env->hdr.type, env->body, msg, err);
}

void envelope_release(envelope_t *env)
{
    if (env->live)
        msgpack_unpacked_destroy(&env->unpacked);
    env->live = false;
    env->body = NULL;
}

static proto_status pack_header(msgpack_packer *pk, const proto_header *hdr, proto_error *err)
{
    size_t slen = strlen(hdr->sender), rlen = strlen(hdr->recipient);
    if (!proto_id_ok(hdr->sender, slen))
        return proto_error_set(err, PROTO_E_INVALID, 0, "sender");
    if (!proto_id_ok(hdr->recipient, rlen))
        return proto_error_set(err, PROTO_E_INVALID, 0, "recipient");
    if (!proto_msg_schema(hdr->type))
        return proto_error_set(err, PROTO_E_MSGTYPE, 0, "type");
    msgpack_pack_array(pk, ENVELOPE_FIELDS);
    msgpack_pack_uint32(pk, hdr->version);
    msgpack_pack_uint32(pk, hdr->type);
    msgpack_pack_str_with_body(pk, hdr->sender, slen);
    msgpack_pack_str_with_body(pk, hdr->recipient, rlen);
    msgpack_pack_uint64(pk, hdr->seq);
    msgpack_pack_int64(pk, hdr->ts_ms);
    return PROTO_OK;
}

/* Sign what sb holds (header and body), append the signature, hand the frame out. */
static proto_status seal_finish(msgpack_sbuffer *sb, msgpack_packer *pk,
                                const unsigned char sk[ENVELOPE_SK_LEN], uint8_t **out,
                                size_t *out_len, proto_error *err)
{
    uint8_t *msg = NULL;
    size_t mlen;
    unsigned char sig[ENVELOPE_SIG_LEN];
    if (!sb->data)
        return proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
    if (sb->size + 2 + ENVELOPE_SIG_LEN > PROTO_FRAME_MAX)
        return proto_error_set(err, PROTO_E_TOO_BIG, sb->size, NULL);
    if (sig_input((const uint8_t *)sb->data, sb->size, &msg, &mlen) != PROTO_OK)
        return proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
    crypto_sign_detached(sig, NULL, msg, mlen, sk);
    free(msg);
    msgpack_pack_bin_with_body(pk, sig, sizeof sig);
    *out_len = sb->size;
    *out = (uint8_t *)msgpack_sbuffer_release(sb);
    return *out ? PROTO_OK : proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
}

proto_status proto_seal(const proto_header *hdr, const void *body,
                        const unsigned char sk[ENVELOPE_SK_LEN], uint8_t **out, size_t *out_len,
                        proto_error *err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    *out = NULL;
    *out_len = 0;
    proto_status s = pack_header(&pk, hdr, err);
    if (s == PROTO_OK)
        s = proto_body_encode(hdr->type, body, &pk, err);
    if (s == PROTO_OK)
        s = seal_finish(&sb, &pk, sk, out, out_len, err);
    msgpack_sbuffer_destroy(&sb);
    return s;
}

proto_status proto_seal_body(const proto_header *hdr, const uint8_t *body, size_t body_len,
                             const unsigned char sk[ENVELOPE_SK_LEN], uint8_t **out,
                             size_t *out_len, proto_error *err)
{
    *out = NULL;
    *out_len = 0;
    size_t end;
    proto_status s = mpcheck_object(body, body_len, &frame_limits, &end, err);
    if (s != PROTO_OK)
        return s;
    if (end != body_len || body_len == 0 ||
        !((body[0] >= 0x80 && body[0] <= 0x8f) || body[0] == 0xde || body[0] == 0xdf))
        return proto_error_set(err, PROTO_E_FORMAT, 0, "body");
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    s = pack_header(&pk, hdr, err);
    if (s == PROTO_OK && msgpack_sbuffer_write(&sb, (const char *)body, body_len) != 0)
        s = proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
    if (s == PROTO_OK)
        s = seal_finish(&sb, &pk, sk, out, out_len, err);
    msgpack_sbuffer_destroy(&sb);
    return s;
}

proto_status proto_body_pack(uint32_t type, const void *body, uint8_t **out, size_t *out_len,
                             proto_error *err)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    *out = NULL;
    *out_len = 0;
    proto_status s = proto_body_encode(type, body, &pk, err);
    if (s == PROTO_OK && !sb.data)
        s = proto_error_set(err, PROTO_E_NOMEM, 0, NULL);
    if (s == PROTO_OK && sb.size > PROTO_FRAME_MAX)
        s = proto_error_set(err, PROTO_E_TOO_BIG, sb.size, NULL);
    if (s == PROTO_OK) {
        *out_len = sb.size;
        *out = (uint8_t *)msgpack_sbuffer_release(&sb);
    }
    msgpack_sbuffer_destroy(&sb);
    return s;
}

proto_status proto_open(const uint8_t *frame, size_t len, const proto_open_opts *opts,
                        proto_msg *msg, proto_error *err)
{
    envelope_t env;
    memset(&msg->hdr, 0, sizeof msg->hdr);
    proto_status s = envelope_parse(frame, len, opts->version_min, opts->version_max, &env, err);
    if (s != PROTO_OK)
        return s;
    msg->hdr = env.hdr;
    if (!proto_msg_schema(env.hdr.type)) {
        s = proto_error_set(err, PROTO_E_MSGTYPE, 0, "type");
        goto done;
    }
    if (opts->self_id && strcmp(env.hdr.recipient, opts->self_id) != 0) {
        s = proto_error_set(err, PROTO_E_RECIPIENT, 0, "recipient");
        goto done;
    }
    if (opts->skew_ms > 0) {
        int64_t d;
        if (__builtin_sub_overflow(env.hdr.ts_ms, opts->now_ms, &d) || d > opts->skew_ms ||
            d < -opts->skew_ms) {
            s = proto_error_set(err, PROTO_E_SKEW, 0, "ts_ms");
            goto done;
        }
    }
    const unsigned char *pk = opts->keys(opts->keys_ctx, env.hdr.sender, 0);
    if (!pk) {
        s = proto_error_set(err, PROTO_E_SENDER, 0, "sender");
        goto done;
    }
    for (size_t i = 1; pk; i++) {
        s = envelope_verify(&env, pk, err);
        if (s == PROTO_OK)
            break;
        pk = opts->keys(opts->keys_ctx, env.hdr.sender, i);
    }
    if (s != PROTO_OK)
        goto done;
    s = envelope_decode(&env, msg, err);
done:
    envelope_release(&env);
    return s;
}

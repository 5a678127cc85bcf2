/*
 * proto/envelope.h - the signed envelope every message travels in.
 *
 * A frame is one msgpack array of exactly 8 elements:
 *   [version, type, sender, recipient, seq, ts_ms, body, signature]
 * The signature is Ed25519 (libsodium) over the context string
 * "vantage-envelope-v1" followed by one NUL byte, then the frame's own bytes
 * from its first byte up to (not including) the first byte of the signature
 * element. The verifier checks exactly the bytes it received, so no
 * canonical re-encoding is needed. docs/protocol.md has the details.
 *
 * Opening a frame is split so a daemon can look at the header (recipient,
 * sender, version) and pick the key before it pays for the body:
 *   envelope_parse()  - size cap, structural walk, header fields, version;
 *   envelope_verify() - signature with one public key;
 *   envelope_decode() - the typed body into a proto_msg.
 * proto_open() runs all three with the checks every receiver makes.
 */
#ifndef VANTAGE_PROTO_ENVELOPE_H
#define VANTAGE_PROTO_ENVELOPE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/msg.h"
#include "proto/status.h"

#define ENVELOPE_SIG_CONTEXT     "vantage-envelope-v1"
#define ENVELOPE_SIG_CONTEXT_LEN 20 /* including the NUL byte */
#define ENVELOPE_PK_LEN          32
#define ENVELOPE_SK_LEN          64
#define ENVELOPE_SIG_LEN         64

/* A parsed, not yet verified frame. Borrows the frame buffer. */
typedef struct envelope {
    proto_header hdr;           /* version, type, sender, recipient, seq, ts_ms */
    const uint8_t *frame;       /* the frame (borrowed) */
    size_t len;                 /* its length */
    size_t sig_off;             /* offset of the signature element: bytes [0, sig_off) are signed */
    const uint8_t *sig;         /* the 64 signature bytes inside frame */
    msgpack_unpacked unpacked;  /* msgpack-c objects of the frame; body points into it */
    const msgpack_object *body; /* the body element */
    bool live;                  /* unpacked holds a zone to free */
} envelope_t;

/*
 * Parse a frame received from the network. Checks, in this order: the size
 * cap; the top-level array; the version (element 0) against [min, max];
 * the structural walk (counts, depth, items, truncation); trailing bytes;
 * the types of the header fields; the signature length. On success release
 * env with envelope_release(). On failure nothing needs releasing.
 */
proto_status envelope_parse(const uint8_t *frame, size_t len, uint32_t version_min,
                            uint32_t version_max, envelope_t *env, proto_error *err);

/* Check the signature with one Ed25519 public key. */
proto_status envelope_verify(const envelope_t *env, const unsigned char pk[ENVELOPE_PK_LEN],
                             proto_error *err);

/* Decode the body into msg (header copied too). Caller clears msg. */
proto_status envelope_decode(const envelope_t *env, proto_msg *msg, proto_error *err);

/* Free what envelope_parse() allocated. */
void envelope_release(envelope_t *env);

/*
 * Build and sign a frame. hdr->type selects the body struct. On success
 * *out is a malloced buffer of *out_len bytes; the caller frees it.
 * PROTO_E_TOO_BIG when the frame would exceed PROTO_FRAME_MAX.
 */
proto_status proto_seal(const proto_header *hdr, const void *body,
                        const unsigned char sk[ENVELOPE_SK_LEN], uint8_t **out, size_t *out_len,
                        proto_error *err);

/*
 * Build and sign a frame around a body that is already encoded (a msgpack
 * map of hdr->type, e.g. a RESULTS body read back from the agent's spool to
 * be re-sent in a fresh envelope with the same seq). The body must be one
 * well-formed msgpack map within the frame limits (PROTO_E_FORMAT, or the
 * structural error, otherwise). Output as for proto_seal().
 */
proto_status proto_seal_body(const proto_header *hdr, const uint8_t *body, size_t body_len,
                             const unsigned char sk[ENVELOPE_SK_LEN], uint8_t **out,
                             size_t *out_len, proto_error *err);

/*
 * Encode the body of the given type alone (what proto_seal_body() takes).
 * On success *out is malloced (*out_len bytes); the caller frees it.
 */
proto_status proto_body_pack(uint32_t type, const void *body, uint8_t **out, size_t *out_len,
                             proto_error *err);

/*
 * Where a receiver finds the keys of a sender: return the idx-th candidate
 * public key of sender (idx = 0, 1, ...) or NULL when there are no more.
 * An agent returns its pinned coordinator keys; the coordinator returns the
 * allow-listed key of that agent id.
 */
typedef const unsigned char *(*proto_key_lookup)(void *ctx, const char *sender, size_t idx);

/* What proto_open() checks besides structure and signature. */
typedef struct proto_open_opts {
    uint32_t version_min;  /* lowest accepted protocol version */
    uint32_t version_max;  /* highest accepted protocol version */
    const char *self_id;   /* recipient the message must name */
    proto_key_lookup keys; /* key lookup */
    void *keys_ctx;        /* passed to keys */
    int64_t now_ms;        /* receiver clock, for the skew window */
    int64_t skew_ms;       /* allowed |ts_ms - now_ms|; 0 = not checked */
} proto_open_opts;

/*
 * Parse, check recipient and skew, verify with the sender's keys, decode.
 * On success msg holds the message (caller calls proto_msg_clear()); on
 * failure err says why and msg->hdr holds whatever header was read (for
 * logs that name the peer).
 */
proto_status proto_open(const uint8_t *frame, size_t len, const proto_open_opts *opts,
                        proto_msg *msg, proto_error *err);

#endif

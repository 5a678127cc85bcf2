/*
 * tests/fuzz/fuzz_envelope.c - libFuzzer harness for the envelope and body
 * decoders.
 *
 * Whatever parses and decodes must re-seal, re-open and re-seal to the same
 * bytes (round-trip invariant); anything else must be refused with a status,
 * never a crash or a read outside the buffer (ASan and UBSan watch).
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "proto/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned char fz_pk[32], fz_sk[64];

static const unsigned char *fz_lookup(void *ctx, const char *sender, size_t idx)
{
    (void)ctx;
    (void)sender;
    return idx == 0 ? fz_pk : NULL;
}

static void fz_init(void)
{
    static int done;
    if (done)
        return;
    unsigned char seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char)(i + 1);
    if (sodium_init() < 0)
        abort();
    crypto_sign_seed_keypair(fz_pk, fz_sk, seed);
    done = 1;
}

static uint8_t *fz_reseal(const proto_msg *m, size_t *len)
{
    uint8_t *out = NULL;
    proto_error err;
    proto_status s = proto_seal(&m->hdr, &m->body, fz_sk, &out, len, &err);
    if (s == PROTO_E_TOO_BIG)
        return NULL;
    if (s != PROTO_OK)
        abort(); /* a decoded message must always encode again */
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_init();
    envelope_t env;
    proto_error err;
    if (envelope_parse(data, size, PROTO_VERSION_MIN, PROTO_VERSION_MAX, &env, &err) != PROTO_OK)
        return 0;
    proto_msg m = {0};
    proto_status s = envelope_decode(&env, &m, &err);
    envelope_release(&env);
    if (s != PROTO_OK)
        return 0;

    size_t len1, len2;
    uint8_t *f1 = fz_reseal(&m, &len1);
    proto_msg_clear(&m);
    if (!f1)
        return 0;
    proto_open_opts o = {
        .version_min = PROTO_VERSION_MIN, .version_max = PROTO_VERSION_MAX, .keys = fz_lookup};
    proto_msg m2 = {0};
    if (proto_open(f1, len1, &o, &m2, &err) != PROTO_OK)
        abort(); /* what we sealed ourselves must open */
    uint8_t *f2 = fz_reseal(&m2, &len2);
    proto_msg_clear(&m2);
    if (!f2 || len1 != len2 || memcmp(f1, f2, len1) != 0)
        abort(); /* decode(encode(x)) must encode to the same bytes */
    free(f1);
    free(f2);
    return 0;
}

/*
 * tests/fuzz/mkcorpus.c - write the seed corpus: one valid sealed frame of
 * every message type (corpus/envelope/) and one body of every type with its
 * selector byte (corpus/body/). Run by `make fuzz-corpus`; the output is
 * committed so the fuzz run starts from real messages.
 */
#include <msgpack.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "proto/envelope.h"
#include "tests/unit/samples.h"

static void write_file(const char *dir, const char *name, const uint8_t *a, size_t alen,
                       const uint8_t *b, size_t blen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(a, 1, alen, fp) != alen || (blen && fwrite(b, 1, blen, fp) != blen) ||
        fclose(fp) != 0) {
        perror(path);
        exit(1);
    }
}

int main(int argc, char **argv)
{
    if (argc != 2 || sodium_init() < 0) {
        fprintf(stderr, "usage: mkcorpus DIR\n");
        return 2;
    }
    unsigned char pk[32], sk[64], seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (unsigned char)(i + 1);
    crypto_sign_seed_keypair(pk, sk, seed);
    char env_dir[400], body_dir[400];
    snprintf(env_dir, sizeof env_dir, "%s/envelope", argv[1]);
    snprintf(body_dir, sizeof body_dir, "%s/body", argv[1]);
    for (uint32_t t = PROTO_TYPE_FIRST; t <= PROTO_TYPE_LAST; t++) {
        proto_header h = {.version = PROTO_VERSION, .type = t, .seq = t, .ts_ms = 1790000000000};
        snprintf(h.sender, sizeof h.sender, "fra-1");
        snprintf(h.recipient, sizeof h.recipient, "coord");
        uint8_t *f;
        size_t len;
        proto_error err;
        if (proto_seal(&h, sample_body(t), sk, &f, &len, &err) != PROTO_OK) {
            fprintf(stderr, "mkcorpus: cannot seal %s\n", proto_type_name(t));
            return 1;
        }
        char name[64];
        snprintf(name, sizeof name, "%s.msg", proto_type_name(t));
        write_file(env_dir, name, f, len, NULL, 0);
        free(f);

        msgpack_sbuffer sb;
        msgpack_packer mp;
        msgpack_sbuffer_init(&sb);
        msgpack_packer_init(&mp, &sb, msgpack_sbuffer_write);
        proto_body_encode(t, sample_body(t), &mp, NULL);
        uint8_t sel = (uint8_t)(t - PROTO_TYPE_FIRST);
        write_file(body_dir, name, &sel, 1, (const uint8_t *)sb.data, sb.size);
        msgpack_sbuffer_destroy(&sb);
    }
    return 0;
}

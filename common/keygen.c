/*
 * common/keygen.c - the `keygen PATH` subcommand.
 */
#include "common/keygen.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/keyfile.h"

static void keygen_usage(FILE *out, const char *prog)
{
    fprintf(out,
            "usage: %s keygen [--force] PATH\n"
            "  Write a new Ed25519 secret key to PATH (mode 0600) and its public key\n"
            "  to PATH.pub. An existing PATH is kept unless --force is given.\n",
            prog);
}

int keygen_main(const char *prog, int argc, char **argv)
{
    const char *path = NULL;
    bool force = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0 || strcmp(argv[i], "-f") == 0) {
            force = true;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            keygen_usage(stdout, prog);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "%s keygen: unknown option '%s'\n", prog, argv[i]);
            keygen_usage(stderr, prog);
            return 2;
        } else if (path) {
            fprintf(stderr, "%s keygen: more than one PATH given\n", prog);
            keygen_usage(stderr, prog);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        fprintf(stderr, "%s keygen: PATH is missing\n", prog);
        keygen_usage(stderr, prog);
        return 2;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "%s keygen: libsodium failed to initialise\n", prog);
        return 1;
    }
    unsigned char pk[KEYFILE_PK_BYTES], sk[KEYFILE_SK_BYTES];
    char err[512];
    if (keyfile_generate(pk, sk) != 0) {
        fprintf(stderr, "%s keygen: cannot generate a key: libsodium failed\n", prog);
        return 1;
    }
    int rc = keyfile_write_ex(path, sk, NULL, force, err, sizeof err);
    sodium_memzero(sk, sizeof sk);
    if (rc != 0) {
        fprintf(stderr, "%s keygen: %s\n", prog, err);
        return 1;
    }
    char text[KEYFILE_PUB_TEXT_MAX];
    keyfile_format_public(pk, text);
    printf("secret key: %s\npublic key: %s.pub\n%s\n", path, path, text);
    return 0;
}

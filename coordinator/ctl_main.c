/*
 * coordinator/ctl_main.c - vantagectl: the operator's CLI.
 *
 * Commands that need a running coordinator arrive with the coordinator
 * issue; keygen works now.
 */
#include <stdio.h>
#include <string.h>

#include "common/keygen.h"

static void usage(FILE *out)
{
    fprintf(out, "usage: vantagectl COMMAND [ARGS]\n"
                 "       vantagectl --help | --version\n"
                 "\n"
                 "Ask a vantage coordinator what its agents see.\n"
                 "\n"
                 "commands:\n"
                 "  keygen [--force] PATH  write a new Ed25519 secret key to PATH (0600) and\n"
                 "                         its public key to PATH.pub\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("vantagectl %s\n", VANTAGE_VERSION);
        return 0;
    }
    if (strcmp(cmd, "keygen") == 0)
        return keygen_main("vantagectl", argc - 1, argv + 1);
    fprintf(stderr, "vantagectl: unknown command '%s'\n", cmd);
    usage(stderr);
    return 2;
}

/*
 * common/keygen.h - the `keygen PATH` subcommand shared by vantage-agent and
 * vantagectl: writes a new Ed25519 secret key to PATH (mode 0600) and its
 * public key to PATH.pub, then prints the public key.
 */
#ifndef VANTAGE_COMMON_KEYGEN_H
#define VANTAGE_COMMON_KEYGEN_H

/* Run `PROG keygen [--force] PATH`; argv[0] is "keygen". Returns an exit code. */
int keygen_main(const char *prog, int argc, char **argv);

#endif

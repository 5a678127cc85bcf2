/*
 * common/keyfile.h - Ed25519 key files (libsodium) for agents and coordinator.
 *
 * A key pair lives in two one-line text files:
 *   PATH      "vantage-ed25519-secret <base64 of the 64-byte secret key>\n", mode 0600
 *   PATH.pub  "vantage-ed25519 <base64 of the 32-byte public key> [comment]\n", mode 0644
 * The secret key is libsodium's seed || public key; base64 is
 * sodium_base64_VARIANT_ORIGINAL with padding. Loading a secret key refuses a
 * file that others could read, that is not a regular file, that is too large
 * or malformed, or whose public half does not match its seed. Every error
 * text names the file and says why. Configs carry public keys inline, as the
 * .pub line or as the bare base64.
 */
#ifndef VANTAGE_COMMON_KEYFILE_H
#define VANTAGE_COMMON_KEYFILE_H

#include <stdbool.h>
#include <stddef.h>

#define KEYFILE_PK_BYTES 32
#define KEYFILE_SK_BYTES 64
/* Bytes for the bare base64 text of a public key, NUL included. */
#define KEYFILE_PUB_TEXT_MAX 45
/* Bytes for a fingerprint (16 hex digits), NUL included. */
#define KEYFILE_FINGERPRINT_MAX 17
/* Largest key file accepted, in bytes. */
#define KEYFILE_MAX_SIZE 4096

#define KEYFILE_SECRET_PREFIX "vantage-ed25519-secret"
#define KEYFILE_PUBLIC_PREFIX "vantage-ed25519"

/* A fresh random key pair; 0, or -1 when libsodium cannot initialise. */
int keyfile_generate(unsigned char pk[KEYFILE_PK_BYTES], unsigned char sk[KEYFILE_SK_BYTES]);

/*
 * Write sk to path (mode 0600) and its public half to path.pub (0644), each
 * through a temporary file in the same folder, fsynced, then moved in place.
 * Refuses when either file exists. 0, or -1 with err filled.
 */
int keyfile_write(const char *path, const unsigned char sk[KEYFILE_SK_BYTES], char *err,
                  size_t errlen);

/*
 * keyfile_write() with options: force replaces existing files; comment (may
 * be NULL; one line, no control characters) ends the .pub line.
 */
int keyfile_write_ex(const char *path, const unsigned char sk[KEYFILE_SK_BYTES],
                     const char *comment, bool force, char *err, size_t errlen);

/*
 * Load a secret key file after checking its type, mode, size, format and
 * that its public half matches its seed. 0, or -1 with err filled (and the
 * outputs zeroed). The caller sodium_memzero()s sk_out when done.
 */
int keyfile_load_secret(const char *path, unsigned char sk_out[KEYFILE_SK_BYTES],
                        unsigned char pk_out[KEYFILE_PK_BYTES], char *err, size_t errlen);

/* Load a .pub file (or any file holding one public key line). 0, or -1 with err. */
int keyfile_load_public(const char *path, unsigned char pk_out[KEYFILE_PK_BYTES], char *err,
                        size_t errlen);

/*
 * Parse "vantage-ed25519 BASE64 [comment]" or a bare BASE64 of 32 bytes
 * (surrounding white space ignored). 0, or -1.
 */
int keyfile_parse_public(const char *text, unsigned char pk_out[KEYFILE_PK_BYTES]);

/* keyfile_parse_public() that says why in err (err may be NULL). */
int keyfile_parse_public_err(const char *text, unsigned char pk_out[KEYFILE_PK_BYTES], char *err,
                             size_t errlen);

/* The bare base64 text of pk. */
void keyfile_format_public(const unsigned char pk[KEYFILE_PK_BYTES],
                           char out[KEYFILE_PUB_TEXT_MAX]);

/* Short printable fingerprint for logs: 8 bytes of BLAKE2b(pk) in hex. */
void keyfile_fingerprint(const unsigned char pk[KEYFILE_PK_BYTES],
                         char out[KEYFILE_FINGERPRINT_MAX]);

#endif

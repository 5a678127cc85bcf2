/*
 * common/keyfile.c - Ed25519 key files (libsodium) for agents and coordinator.
 */
#include "common/keyfile.h"

#include "common/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define KEYFILE_B64 sodium_base64_VARIANT_ORIGINAL
/* Base64 text of the 64-byte secret key, NUL included. */
#define KEYFILE_SK_TEXT_MAX sodium_base64_ENCODED_LEN(KEYFILE_SK_BYTES, KEYFILE_B64)
/* Longest base64 token decoded just to report its length; longer is "too long". */
#define KEYFILE_TOKEN_MAX 1024
/* Longest comment on a .pub line. */
#define KEYFILE_COMMENT_MAX 200

_Static_assert(KEYFILE_PUB_TEXT_MAX == sodium_base64_ENCODED_LEN(KEYFILE_PK_BYTES, KEYFILE_B64),
               "KEYFILE_PUB_TEXT_MAX");
_Static_assert(KEYFILE_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "KEYFILE_PK_BYTES");
_Static_assert(KEYFILE_SK_BYTES == crypto_sign_SECRETKEYBYTES, "KEYFILE_SK_BYTES");

static void keyfile_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void keyfile_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool keyfile_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *keyfile_skip_space(const char *s)
{
    while (*s && keyfile_is_space(*s))
        s++;
    return s;
}

/* Length of the token at s (up to white space or the end). */
static size_t keyfile_token_len(const char *s)
{
    size_t n = 0;
    while (s[n] && !keyfile_is_space(s[n]))
        n++;
    return n;
}

/* True when s starts with word followed by white space or the end. */
static bool keyfile_starts_word(const char *s, const char *word)
{
    size_t n = strlen(word);
    return strncmp(s, word, n) == 0 && (s[n] == '\0' || keyfile_is_space(s[n]));
}

static const char *keyfile_file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a named pipe";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    return "not a plain file";
}

/*
 * Decode a base64 token of tlen bytes into out (want bytes expected).
 * 0 on success; -1 with reason filled otherwise. tmp is wiped.
 */
static int keyfile_decode(const char *token, size_t tlen, unsigned char *out, size_t want,
                          char *reason, size_t reasonlen)
{
    unsigned char tmp[KEYFILE_TOKEN_MAX];
    size_t got = 0;
    int rc = -1;

    if (tlen == 0) {
        snprintf(reason, reasonlen, "no key text");
        goto done;
    }
    if (tlen > KEYFILE_TOKEN_MAX) {
        snprintf(reason, reasonlen, "key text too long (%zu characters)", tlen);
        goto done;
    }
    if (sodium_base642bin(tmp, sizeof tmp, token, tlen, NULL, &got, NULL, KEYFILE_B64) != 0) {
        snprintf(reason, reasonlen, "bad base64");
        goto done;
    }
    if (got != want) {
        snprintf(reason, reasonlen, "key decodes to %zu bytes, expected %zu", got, want);
        goto done;
    }
    memcpy(out, tmp, want);
    rc = 0;
done:
    sodium_memzero(tmp, sizeof tmp);
    return rc;
}

/*
 * Read a whole key file into buf (KEYFILE_MAX_SIZE + 1 bytes, NUL-terminated)
 * after the type and size checks; secret adds the permission check.
 */
static int keyfile_read(const char *path, bool secret, char *buf, size_t *len_out, char *err,
                        size_t errlen)
{
    int rc = -1;
    size_t len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        keyfile_fail(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        keyfile_fail(err, errlen, "%s: cannot stat: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        keyfile_fail(err, errlen, "%s: not a regular file (%s)", path,
                     keyfile_file_kind(st.st_mode));
        goto done;
    }
    if (secret && (st.st_mode & 077)) {
        unsigned mode = (unsigned)(st.st_mode & 07777);
        const char *who = (mode & 070) && (mode & 007) ? "group and others"
                          : (mode & 070)               ? "group"
                                                       : "others";
        bool r = mode & 044, w = mode & 022;
        const char *what = r && w ? "read and write" : r ? "read" : w ? "write" : "execute";
        keyfile_fail(err, errlen,
                     "%s: permissions %04o are too open (%s can %s it); run: chmod 600 %s", path,
                     mode, who, what, path);
        goto done;
    }
    if (st.st_size > KEYFILE_MAX_SIZE) {
        keyfile_fail(err, errlen, "%s: too large (%lld bytes; a key file has at most %d)", path,
                     (long long)st.st_size, KEYFILE_MAX_SIZE);
        goto done;
    }
    if (fsutil_read_upto(fd, buf, KEYFILE_MAX_SIZE + 1, &len) != 0) {
        keyfile_fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if (len > KEYFILE_MAX_SIZE) {
        keyfile_fail(err, errlen, "%s: too large (a key file has at most %d bytes)", path,
                     KEYFILE_MAX_SIZE);
        goto done;
    }
    buf[len] = '\0';
    if (len == 0) {
        keyfile_fail(err, errlen, "%s: empty file", path);
        goto done;
    }
    if (memchr(buf, '\0', len)) {
        keyfile_fail(err, errlen, "%s: not a key file (binary data)", path);
        goto done;
    }
    *len_out = len;
    rc = 0;
done:
    close(fd);
    return rc;
}

int keyfile_generate(unsigned char pk[KEYFILE_PK_BYTES], unsigned char sk[KEYFILE_SK_BYTES])
{
    if (sodium_init() < 0)
        return -1;
    return crypto_sign_keypair(pk, sk) == 0 ? 0 : -1;
}

/* Check that the public half of sk matches its seed; pk_out gets it. */
static int keyfile_check_pair(const unsigned char sk[KEYFILE_SK_BYTES],
                              unsigned char pk_out[KEYFILE_PK_BYTES])
{
    unsigned char pk[KEYFILE_PK_BYTES];
    unsigned char sk2[KEYFILE_SK_BYTES];
    int rc = -1;
    if (sodium_init() < 0)
        goto done;
    if (crypto_sign_seed_keypair(pk, sk2, sk) != 0)
        goto done;
    if (sodium_memcmp(pk, sk + KEYFILE_SK_BYTES - KEYFILE_PK_BYTES, KEYFILE_PK_BYTES) != 0)
        goto done;
    memcpy(pk_out, pk, KEYFILE_PK_BYTES);
    rc = 0;
done:
    sodium_memzero(sk2, sizeof sk2);
    return rc;
}

/* Write text to a new temporary file beside path; tmp gets its name. */
static int keyfile_write_tmp(const char *path, const char *text, mode_t mode, char *tmp,
                             size_t tmplen, char *err, size_t errlen)
{
    if ((size_t)snprintf(tmp, tmplen, "%s.tmp-XXXXXX", path) >= tmplen) {
        keyfile_fail(err, errlen, "%s: path too long", path);
        tmp[0] = '\0';
        return -1;
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        keyfile_fail(err, errlen, "%s: cannot create a temporary file beside it: %s", path,
                     strerror(errno));
        tmp[0] = '\0';
        return -1;
    }
    if (fchmod(fd, mode) != 0 || fsutil_write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0)
        goto fail;
    if (close(fd) != 0) {
        fd = -1;
        goto fail;
    }
    return 0;
fail:
    keyfile_fail(err, errlen, "%s: cannot write %s: %s", path, tmp, strerror(errno));
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    tmp[0] = '\0';
    return -1;
}

/* Move tmp to path: replacing it when force, else only when path is new. */
static int keyfile_place(const char *tmp, const char *path, bool force, char *err, size_t errlen)
{
    if (force) {
        if (rename(tmp, path) == 0)
            return 0;
        keyfile_fail(err, errlen, "%s: cannot replace: %s", path, strerror(errno));
        return -1;
    }
    if (link(tmp, path) == 0) {
        unlink(tmp);
        return 0;
    }
    if (errno == EEXIST)
        keyfile_fail(err, errlen, "%s: already exists; not overwritten", path);
    else
        keyfile_fail(err, errlen, "%s: cannot create: %s", path, strerror(errno));
    return -1;
}

int keyfile_write(const char *path, const unsigned char sk[KEYFILE_SK_BYTES], char *err,
                  size_t errlen)
{
    return keyfile_write_ex(path, sk, NULL, false, err, errlen);
}

int keyfile_write_ex(const char *path, const unsigned char sk[KEYFILE_SK_BYTES],
                     const char *comment, bool force, char *err, size_t errlen)
{
    char pub_path[PATH_MAX];
    char tmp_sec[PATH_MAX + 16] = "";
    char tmp_pub[PATH_MAX + 16] = "";
    char sk_text[KEYFILE_SK_TEXT_MAX];
    char pk_text[KEYFILE_PUB_TEXT_MAX];
    char sec_line[sizeof KEYFILE_SECRET_PREFIX + KEYFILE_SK_TEXT_MAX + 2];
    char pub_line[sizeof KEYFILE_PUBLIC_PREFIX + KEYFILE_PUB_TEXT_MAX + KEYFILE_COMMENT_MAX + 3];
    unsigned char pk[KEYFILE_PK_BYTES];
    bool sec_placed = false;
    int rc = -1;

    if (!path || !*path) {
        keyfile_fail(err, errlen, "no key file path given");
        goto done;
    }
    if ((size_t)snprintf(pub_path, sizeof pub_path, "%s.pub", path) >= sizeof pub_path) {
        keyfile_fail(err, errlen, "%s: path too long", path);
        goto done;
    }
    if (comment) {
        if (strlen(comment) > KEYFILE_COMMENT_MAX) {
            keyfile_fail(err, errlen, "%s: comment longer than %d characters", pub_path,
                         KEYFILE_COMMENT_MAX);
            goto done;
        }
        for (const char *c = comment; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                keyfile_fail(err, errlen, "%s: comment has a control character", pub_path);
                goto done;
            }
        }
    }
    if (keyfile_check_pair(sk, pk) != 0) {
        keyfile_fail(err, errlen, "%s: secret key is inconsistent (public half != seed)", path);
        goto done;
    }
    if (!force) {
        struct stat st;
        if (lstat(path, &st) == 0 || lstat(pub_path, &st) == 0) {
            keyfile_fail(err, errlen, "%s: already exists; not overwritten",
                         lstat(path, &st) == 0 ? path : pub_path);
            goto done;
        }
    }

    sodium_bin2base64(sk_text, sizeof sk_text, sk, KEYFILE_SK_BYTES, KEYFILE_B64);
    snprintf(sec_line, sizeof sec_line, "%s %s\n", KEYFILE_SECRET_PREFIX, sk_text);
    keyfile_format_public(pk, pk_text);
    snprintf(pub_line, sizeof pub_line, "%s %s%s%s\n", KEYFILE_PUBLIC_PREFIX, pk_text,
             comment && *comment ? " " : "", comment && *comment ? comment : "");

    if (keyfile_write_tmp(path, sec_line, 0600, tmp_sec, sizeof tmp_sec, err, errlen) != 0)
        goto done;
    if (keyfile_write_tmp(pub_path, pub_line, 0644, tmp_pub, sizeof tmp_pub, err, errlen) != 0)
        goto done;
    if (keyfile_place(tmp_sec, path, force, err, errlen) != 0)
        goto done;
    sec_placed = true;
    tmp_sec[0] = '\0';
    if (keyfile_place(tmp_pub, pub_path, force, err, errlen) != 0)
        goto done;
    tmp_pub[0] = '\0';
    fsutil_sync_parent(path);
    rc = 0;
done:
    if (tmp_sec[0])
        unlink(tmp_sec);
    if (tmp_pub[0])
        unlink(tmp_pub);
    if (rc != 0 && sec_placed && !force)
        unlink(path);
    sodium_memzero(sk_text, sizeof sk_text);
    sodium_memzero(sec_line, sizeof sec_line);
    return rc;
}

int keyfile_load_secret(const char *path, unsigned char sk_out[KEYFILE_SK_BYTES],
                        unsigned char pk_out[KEYFILE_PK_BYTES], char *err, size_t errlen)
{
    char buf[KEYFILE_MAX_SIZE + 1];
    unsigned char sk[KEYFILE_SK_BYTES];
    char reason[96];
    size_t len = 0;
    int rc = -1;

    memset(sk_out, 0, KEYFILE_SK_BYTES);
    memset(pk_out, 0, KEYFILE_PK_BYTES);
    if (keyfile_read(path, true, buf, &len, err, errlen) != 0)
        goto done;

    const char *p = keyfile_skip_space(buf);
    if (!keyfile_starts_word(p, KEYFILE_SECRET_PREFIX)) {
        if (keyfile_starts_word(p, KEYFILE_PUBLIC_PREFIX))
            keyfile_fail(err, errlen, "%s: this is a public key, not a secret key", path);
        else
            keyfile_fail(err, errlen, "%s: not a vantage secret key (does not start with \"%s\")",
                         path, KEYFILE_SECRET_PREFIX);
        goto done;
    }
    p = keyfile_skip_space(p + strlen(KEYFILE_SECRET_PREFIX));
    size_t tlen = keyfile_token_len(p);
    if (*keyfile_skip_space(p + tlen) != '\0') {
        keyfile_fail(err, errlen, "%s: unexpected text after the key", path);
        goto done;
    }
    if (keyfile_decode(p, tlen, sk, KEYFILE_SK_BYTES, reason, sizeof reason) != 0) {
        keyfile_fail(err, errlen, "%s: %s", path, reason);
        goto done;
    }
    if (keyfile_check_pair(sk, pk_out) != 0) {
        keyfile_fail(err, errlen,
                     "%s: the public half does not match the seed (file damaged or edited)", path);
        goto done;
    }
    memcpy(sk_out, sk, KEYFILE_SK_BYTES);
    rc = 0;
done:
    if (rc != 0)
        memset(pk_out, 0, KEYFILE_PK_BYTES);
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(sk, sizeof sk);
    return rc;
}

int keyfile_load_public(const char *path, unsigned char pk_out[KEYFILE_PK_BYTES], char *err,
                        size_t errlen)
{
    char buf[KEYFILE_MAX_SIZE + 1];
    char reason[160];
    size_t len = 0;

    memset(pk_out, 0, KEYFILE_PK_BYTES);
    if (keyfile_read(path, false, buf, &len, err, errlen) != 0)
        return -1;
    /* One line: the comment may not run on to a second one. */
    char *nl = strchr(buf, '\n');
    if (nl && *keyfile_skip_space(nl) != '\0') {
        keyfile_fail(err, errlen, "%s: more than one line", path);
        return -1;
    }
    if (keyfile_parse_public_err(buf, pk_out, reason, sizeof reason) != 0) {
        keyfile_fail(err, errlen, "%s: %s", path, reason);
        return -1;
    }
    return 0;
}

int keyfile_parse_public(const char *text, unsigned char pk_out[KEYFILE_PK_BYTES])
{
    return keyfile_parse_public_err(text, pk_out, NULL, 0);
}

int keyfile_parse_public_err(const char *text, unsigned char pk_out[KEYFILE_PK_BYTES], char *err,
                             size_t errlen)
{
    char reason[96];
    memset(pk_out, 0, KEYFILE_PK_BYTES);
    if (!text) {
        keyfile_fail(err, errlen, "no public key");
        return -1;
    }
    const char *p = keyfile_skip_space(text);
    if (keyfile_starts_word(p, KEYFILE_SECRET_PREFIX)) {
        keyfile_fail(err, errlen, "this is a secret key, not a public key");
        return -1;
    }
    bool line_form = keyfile_starts_word(p, KEYFILE_PUBLIC_PREFIX);
    if (line_form)
        p = keyfile_skip_space(p + strlen(KEYFILE_PUBLIC_PREFIX));
    size_t tlen = keyfile_token_len(p);
    if (!line_form && *keyfile_skip_space(p + tlen) != '\0') {
        keyfile_fail(err, errlen, "unexpected text after the key (a comment needs the \"%s\" form)",
                     KEYFILE_PUBLIC_PREFIX);
        return -1;
    }
    if (keyfile_decode(p, tlen, pk_out, KEYFILE_PK_BYTES, reason, sizeof reason) != 0) {
        keyfile_fail(err, errlen, "not an Ed25519 public key: %s", reason);
        return -1;
    }
    if (sodium_init() < 0 || !crypto_core_ed25519_is_valid_point(pk_out)) {
        memset(pk_out, 0, KEYFILE_PK_BYTES);
        keyfile_fail(err, errlen, "not a valid Ed25519 public key");
        return -1;
    }
    return 0;
}

void keyfile_format_public(const unsigned char pk[KEYFILE_PK_BYTES], char out[KEYFILE_PUB_TEXT_MAX])
{
    sodium_bin2base64(out, KEYFILE_PUB_TEXT_MAX, pk, KEYFILE_PK_BYTES, KEYFILE_B64);
}

void keyfile_fingerprint(const unsigned char pk[KEYFILE_PK_BYTES],
                         char out[KEYFILE_FINGERPRINT_MAX])
{
    unsigned char hash[crypto_generichash_BYTES];
    crypto_generichash(hash, sizeof hash, pk, KEYFILE_PK_BYTES, NULL, 0);
    sodium_bin2hex(out, KEYFILE_FINGERPRINT_MAX, hash, (KEYFILE_FINGERPRINT_MAX - 1) / 2);
}

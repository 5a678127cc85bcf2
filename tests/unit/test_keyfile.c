/*
 * tests/unit/test_keyfile.c - key files: round trip, modes, and every refusal.
 */
#include "testutil.h"

#include <sodium.h>

#include "common/keyfile.h"

static char *tmp;

static int setup(void **state)
{
    (void)state;
    tmp = tu_tmpdir();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_tmpdir_remove(&tmp);
    return 0;
}

static char *path_in(const char *name)
{
    char *p = malloc(strlen(tmp) + strlen(name) + 2);
    assert_non_null(p);
    sprintf(p, "%s/%s", tmp, name);
    return p;
}

static char *read_text(const char *path)
{
    static char buf[8192];
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Load path as a secret key, expect a refusal naming the file and holding why. */
static void expect_refused(const char *path, const char *why)
{
    unsigned char sk[KEYFILE_SK_BYTES], pk[KEYFILE_PK_BYTES];
    char err[512] = "";
    assert_int_equal(keyfile_load_secret(path, sk, pk, err, sizeof err), -1);
    if (!strstr(err, path) || !strstr(err, why))
        fail_msg("error \"%s\" lacks \"%s\" or \"%s\"", err, path, why);
    unsigned char zero[KEYFILE_SK_BYTES] = {0};
    assert_memory_equal(sk, zero, sizeof sk);
}

/* Write a secret key file with the given line and mode. */
static char *write_secret(const char *name, const char *text, mode_t mode)
{
    return tu_write(tmp, name, text, mode);
}

static void test_round_trip(void **state)
{
    (void)state;
    unsigned char pk[KEYFILE_PK_BYTES], sk[KEYFILE_SK_BYTES];
    unsigned char pk2[KEYFILE_PK_BYTES], sk2[KEYFILE_SK_BYTES], pk3[KEYFILE_PK_BYTES];
    char err[512] = "";
    char *path = path_in("agent.key");
    char pub[600];
    snprintf(pub, sizeof pub, "%s.pub", path);

    assert_int_equal(keyfile_generate(pk, sk), 0);
    if (keyfile_write(path, sk, err, sizeof err) != 0)
        fail_msg("%s", err);

    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(pub, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);

    const char *text = read_text(path);
    assert_true(strncmp(text, "vantage-ed25519-secret ", 23) == 0);
    assert_int_equal(strlen(text), 23 + 88 + 1);
    assert_int_equal(text[strlen(text) - 1], '\n');
    text = read_text(pub);
    assert_true(strncmp(text, "vantage-ed25519 ", 16) == 0);
    assert_int_equal(strlen(text), 16 + 44 + 1);

    if (keyfile_load_secret(path, sk2, pk2, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_memory_equal(sk, sk2, sizeof sk);
    assert_memory_equal(pk, pk2, sizeof pk);
    if (keyfile_load_public(pub, pk3, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_memory_equal(pk, pk3, sizeof pk);

    /* A signature made with the loaded secret verifies with the loaded .pub. */
    const unsigned char msg[] = "batch 42";
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, NULL, msg, sizeof msg, sk2);
    assert_int_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk3), 0);
    sig[0] ^= 1;
    assert_int_not_equal(crypto_sign_verify_detached(sig, msg, sizeof msg, pk3), 0);

    /* Never overwritten without force; with force it is. */
    unsigned char pk4[KEYFILE_PK_BYTES], sk4[KEYFILE_SK_BYTES];
    assert_int_equal(keyfile_generate(pk4, sk4), 0);
    assert_int_equal(keyfile_write(path, sk4, err, sizeof err), -1);
    assert_non_null(strstr(err, "already exists"));
    assert_non_null(strstr(err, path));
    assert_int_equal(keyfile_load_secret(path, sk2, pk2, err, sizeof err), 0);
    assert_memory_equal(pk, pk2, sizeof pk);
    if (keyfile_write_ex(path, sk4, "fra-1 2024", true, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(keyfile_load_secret(path, sk2, pk2, err, sizeof err), 0);
    assert_memory_equal(pk4, pk2, sizeof pk);
    text = read_text(pub);
    assert_non_null(strstr(text, " fra-1 2024\n"));
    assert_int_equal(keyfile_load_public(pub, pk3, err, sizeof err), 0);
    assert_memory_equal(pk4, pk3, sizeof pk);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    /* No temporary files left behind. */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 2", tmp);
    assert_int_equal(system(cmd), 0);

    sodium_memzero(sk, sizeof sk);
    sodium_memzero(sk2, sizeof sk2);
    sodium_memzero(sk4, sizeof sk4);
    free(path);
}

static void test_refusals(void **state)
{
    (void)state;
    unsigned char pk[KEYFILE_PK_BYTES], sk[KEYFILE_SK_BYTES];
    char b64[200], line[300];
    assert_int_equal(keyfile_generate(pk, sk), 0);
    sodium_bin2base64(b64, sizeof b64, sk, sizeof sk, sodium_base64_VARIANT_ORIGINAL);
    snprintf(line, sizeof line, "vantage-ed25519-secret %s\n", b64);

    char *p = write_secret("good.key", line, 0600);
    unsigned char sk2[KEYFILE_SK_BYTES], pk2[KEYFILE_PK_BYTES];
    char err[512];
    assert_int_equal(keyfile_load_secret(p, sk2, pk2, err, sizeof err), 0);
    free(p);

    p = write_secret("g.key", line, 0640);
    expect_refused(p, "permissions 0640 are too open (group can read it); run: chmod 600 ");
    free(p);
    p = write_secret("o.key", line, 0604);
    expect_refused(p, "permissions 0604 are too open (others can read it)");
    free(p);
    p = write_secret("go.key", line, 0644);
    expect_refused(p, "permissions 0644 are too open (group and others can read it)");
    free(p);
    p = write_secret("w.key", line, 0620);
    expect_refused(p, "(group can write it)");
    free(p);

    snprintf(line, sizeof line, "vantage-ed25519-private %s\n", b64);
    p = write_secret("prefix.key", line, 0600);
    expect_refused(p, "not a vantage secret key");
    free(p);

    char pkb64[100];
    sodium_bin2base64(pkb64, sizeof pkb64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
    snprintf(line, sizeof line, "vantage-ed25519 %s\n", pkb64);
    p = write_secret("pub.key", line, 0600);
    expect_refused(p, "this is a public key");
    free(p);

    p = write_secret("b64.key", "vantage-ed25519-secret AAAA$AAA=\n", 0600);
    expect_refused(p, "bad base64");
    free(p);
    snprintf(line, sizeof line, "vantage-ed25519-secret %s", b64);
    line[strlen(line) - 1] = '\0'; /* drop the padding */
    p = write_secret("pad.key", line, 0600);
    expect_refused(p, "bad base64");
    free(p);

    /* A 32-byte payload: valid base64, wrong length. */
    snprintf(line, sizeof line, "vantage-ed25519-secret %s\n", pkb64);
    p = write_secret("short.key", line, 0600);
    expect_refused(p, "key decodes to 32 bytes, expected 64");
    free(p);

    /* Public half of another key pair. */
    unsigned char pk_o[KEYFILE_PK_BYTES], sk_o[KEYFILE_SK_BYTES], mixed[KEYFILE_SK_BYTES];
    assert_int_equal(keyfile_generate(pk_o, sk_o), 0);
    memcpy(mixed, sk, 32);
    memcpy(mixed + 32, pk_o, 32);
    sodium_bin2base64(b64, sizeof b64, mixed, sizeof mixed, sodium_base64_VARIANT_ORIGINAL);
    snprintf(line, sizeof line, "vantage-ed25519-secret %s\n", b64);
    p = write_secret("mixed.key", line, 0600);
    expect_refused(p, "the public half does not match the seed");
    /* ... and keyfile_write() will not write such a key either. */
    char *q = path_in("mixed2.key");
    assert_int_equal(keyfile_write(q, mixed, err, sizeof err), -1);
    assert_non_null(strstr(err, q));
    free(q);
    free(p);

    p = write_secret("trailing.key", "vantage-ed25519-secret AAAA extra\n", 0600);
    expect_refused(p, "unexpected text after the key");
    free(p);

    p = write_secret("empty.key", "", 0600);
    expect_refused(p, "empty file");
    free(p);

    p = path_in("dir.key");
    assert_int_equal(mkdir(p, 0700), 0);
    expect_refused(p, "not a regular file (a directory)");
    free(p);

    p = path_in("missing.key");
    expect_refused(p, "cannot open: No such file or directory");
    free(p);

    char big[KEYFILE_MAX_SIZE + 100];
    memset(big, 'A', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    p = write_secret("big.key", big, 0600);
    expect_refused(p, "too large");
    free(p);

    sodium_memzero(sk, sizeof sk);
    sodium_memzero(sk_o, sizeof sk_o);
    sodium_memzero(mixed, sizeof mixed);
}

static void test_public_text(void **state)
{
    (void)state;
    unsigned char pk[KEYFILE_PK_BYTES], sk[KEYFILE_SK_BYTES], out[KEYFILE_PK_BYTES];
    char text[KEYFILE_PUB_TEXT_MAX], line[200], err[256];
    assert_int_equal(keyfile_generate(pk, sk), 0);
    keyfile_format_public(pk, text);
    assert_int_equal(strlen(text), 44);

    assert_int_equal(keyfile_parse_public(text, out), 0);
    assert_memory_equal(pk, out, sizeof pk);
    snprintf(line, sizeof line, "vantage-ed25519 %s coord key 2024", text);
    assert_int_equal(keyfile_parse_public(line, out), 0);
    assert_memory_equal(pk, out, sizeof pk);
    snprintf(line, sizeof line, "  %s \n", text);
    assert_int_equal(keyfile_parse_public(line, out), 0);

    assert_int_equal(keyfile_parse_public("", out), -1);
    assert_int_equal(keyfile_parse_public("not base64!", out), -1);
    snprintf(line, sizeof line, "%s comment", text);
    assert_int_equal(keyfile_parse_public_err(line, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "unexpected text"));
    assert_int_equal(keyfile_parse_public_err("AAAA", out, err, sizeof err), -1);
    assert_non_null(strstr(err, "key decodes to 3 bytes, expected 32"));
    /* 32 zero bytes decode fine but are not a usable Ed25519 key. */
    assert_int_equal(keyfile_parse_public_err("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", out,
                                              err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "not a valid Ed25519 public key"));
    snprintf(line, sizeof line, "vantage-ed25519-secret %s", text);
    assert_int_equal(keyfile_parse_public_err(line, out, err, sizeof err), -1);
    assert_non_null(strstr(err, "secret key"));

    char fp[KEYFILE_FINGERPRINT_MAX], fp2[KEYFILE_FINGERPRINT_MAX];
    keyfile_fingerprint(pk, fp);
    keyfile_fingerprint(pk, fp2);
    assert_int_equal(strlen(fp), 16);
    assert_string_equal(fp, fp2);
    assert_int_equal(strspn(fp, "0123456789abcdef"), 16);

    /* A .pub file with two lines is refused and named. */
    snprintf(line, sizeof line, "vantage-ed25519 %s\nvantage-ed25519 %s\n", text, text);
    char *p = tu_write(tmp, "two.pub", line, 0644);
    assert_int_equal(keyfile_load_public(p, out, err, sizeof err), -1);
    assert_non_null(strstr(err, p));
    free(p);
    sodium_memzero(sk, sizeof sk);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_public_text, setup, teardown),
    };
    return cmocka_run_group_tests_name("keyfile", tests, NULL, NULL);
}

/*
 * tests/unit/test_dnsname.c - name normalization and RR type names.
 */
#include "tests/unit/testutil.h"

#include "common/dnsname.h"

static void fill(char *buf, char c, size_t n)
{
    memset(buf, c, n);
    buf[n] = '\0';
}

static void test_normalize_basic(void **state)
{
    (void)state;
    char out[DNSNAME_TEXT_MAX];
    assert_int_equal(dnsname_normalize("Example.COM", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "example.com.");
    assert_int_equal(dnsname_normalize("example.com.", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "example.com.");
    assert_int_equal(dnsname_normalize(".", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, ".");
    assert_int_equal(dnsname_normalize("*.Example.com", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "*.example.com.");
    assert_int_equal(dnsname_normalize("_DMARC.example.com", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "_dmarc.example.com.");
}

static void test_normalize_escapes(void **state)
{
    (void)state;
    char out[DNSNAME_TEXT_MAX];
    /* An escaped dot stays inside its label; \065 is 'A', folded to 'a'. */
    assert_int_equal(dnsname_normalize("A\\.B.example", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "a\\.b.example.");
    assert_int_equal(dnsname_normalize("\\065bc.example", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "abc.example.");
    assert_int_equal(dnsname_normalize("a b.example", out, sizeof out), DNSNAME_OK);
    assert_string_equal(out, "a\\032b.example.");
    assert_int_equal(dnsname_normalize("bad\\", out, sizeof out), DNSNAME_ERR_SYNTAX);
    assert_int_equal(dnsname_normalize("bad\\999", out, sizeof out), DNSNAME_ERR_SYNTAX);
}

static void test_normalize_limits(void **state)
{
    (void)state;
    char out[DNSNAME_TEXT_MAX];
    char in[600];
    char expect[600];

    fill(in, 'a', 63);
    strcat(in, ".com");
    assert_int_equal(dnsname_normalize(in, out, sizeof out), DNSNAME_OK);
    fill(in, 'a', 64);
    strcat(in, ".com");
    assert_int_equal(dnsname_normalize(in, out, sizeof out), DNSNAME_ERR_LABEL_LEN);
    assert_string_equal(out, "");

    /* 63.63.63.61 = 253 characters without the trailing dot: the longest name. */
    char l63[64];
    char l61[62];
    fill(l63, 'x', 63);
    fill(l61, 'y', 61);
    snprintf(in, sizeof in, "%s.%s.%s.%s", l63, l63, l63, l61);
    assert_int_equal(strlen(in), 253);
    assert_int_equal(dnsname_normalize(in, out, sizeof out), DNSNAME_OK);
    snprintf(expect, sizeof expect, "%s.", in);
    assert_string_equal(out, expect);
    strcat(in, ".");
    assert_int_equal(dnsname_normalize(in, out, sizeof out), DNSNAME_OK);
    snprintf(in, sizeof in, "%s.%s.%s.%sz", l63, l63, l63, l61);
    assert_int_equal(dnsname_normalize(in, out, sizeof out), DNSNAME_ERR_NAME_LEN);

    /* Far too long input is refused before parsing. */
    char huge[DNSNAME_TEXT_MAX + 10];
    fill(huge, 'a', sizeof huge - 1);
    assert_int_equal(dnsname_normalize(huge, out, sizeof out), DNSNAME_ERR_NAME_LEN);
}

static void test_normalize_bad(void **state)
{
    (void)state;
    char out[DNSNAME_TEXT_MAX];
    assert_int_equal(dnsname_normalize("", out, sizeof out), DNSNAME_ERR_EMPTY);
    assert_int_equal(dnsname_normalize(NULL, out, sizeof out), DNSNAME_ERR_EMPTY);
    assert_int_equal(dnsname_normalize("a..b", out, sizeof out), DNSNAME_ERR_EMPTY_LABEL);
    assert_int_equal(dnsname_normalize(".a", out, sizeof out), DNSNAME_ERR_EMPTY_LABEL);
    assert_int_equal(dnsname_normalize("..", out, sizeof out), DNSNAME_ERR_EMPTY_LABEL);
    assert_string_equal(dnsname_status_str(DNSNAME_ERR_EMPTY_LABEL), "empty label");
}

static void test_normalize_space(void **state)
{
    (void)state;
    char out[13];
    /* "example.com." needs 13 bytes with its NUL. */
    assert_int_equal(dnsname_normalize("example.com", out, 13), DNSNAME_OK);
    assert_string_equal(out, "example.com.");
    assert_int_equal(dnsname_normalize("example.com", out, 12), DNSNAME_ERR_SPACE);
    assert_string_equal(out, "");
    assert_int_equal(dnsname_normalize("example.com", out, 0), DNSNAME_ERR_SPACE);
}

static void test_type_from_str(void **state)
{
    (void)state;
    ldns_rr_type t = 0;
    assert_true(dnsname_type_from_str("MX", &t));
    assert_int_equal(t, LDNS_RR_TYPE_MX);
    t = 0;
    assert_true(dnsname_type_from_str("mx", &t));
    assert_int_equal(t, LDNS_RR_TYPE_MX);
    t = 0;
    assert_true(dnsname_type_from_str("TYPE15", &t));
    assert_int_equal(t, LDNS_RR_TYPE_MX);
    assert_true(dnsname_type_from_str("type65280", &t));
    assert_int_equal(t, 65280);
    assert_true(dnsname_type_from_str("TYPE65535", &t));
    assert_int_equal(t, 65535);
    assert_true(dnsname_type_from_str("Https", &t));
    assert_int_equal(t, LDNS_RR_TYPE_HTTPS);
    assert_true(dnsname_type_from_str("aaaa", &t));
    assert_int_equal(t, LDNS_RR_TYPE_AAAA);

    t = LDNS_RR_TYPE_A;
    assert_false(dnsname_type_from_str("TYPE0", &t));
    assert_false(dnsname_type_from_str("TYPE65536", &t));
    assert_false(dnsname_type_from_str("TYPE99999", &t));
    assert_false(dnsname_type_from_str("TYPE15x", &t));
    assert_false(dnsname_type_from_str("TYPE 15", &t));
    assert_false(dnsname_type_from_str("TYPE", &t));
    assert_false(dnsname_type_from_str("NOSUCH", &t));
    assert_false(dnsname_type_from_str("", &t));
    assert_false(dnsname_type_from_str(NULL, &t));
    assert_int_equal(t, LDNS_RR_TYPE_A);
}

static void test_type_to_str(void **state)
{
    (void)state;
    char out[DNSNAME_TYPE_MAX];
    assert_true(dnsname_type_to_str(LDNS_RR_TYPE_MX, out, sizeof out));
    assert_string_equal(out, "MX");
    assert_true(dnsname_type_to_str(LDNS_RR_TYPE_AAAA, out, sizeof out));
    assert_string_equal(out, "AAAA");
    assert_true(dnsname_type_to_str((ldns_rr_type)12345, out, sizeof out));
    assert_string_equal(out, "TYPE12345");
    assert_true(dnsname_type_to_str((ldns_rr_type)65535, out, sizeof out));
    assert_string_equal(out, "TYPE65535");
    assert_false(dnsname_type_to_str(LDNS_RR_TYPE_AAAA, out, 4));
    assert_string_equal(out, "");
}

static void test_type_round_trip(void **state)
{
    (void)state;
    /* Every type fits DNSNAME_TYPE_MAX and reads back as itself. */
    for (unsigned v = 1; v <= 65535; v++) {
        char out[DNSNAME_TYPE_MAX];
        ldns_rr_type t = 0;
        assert_true(dnsname_type_to_str((ldns_rr_type)v, out, sizeof out));
        assert_true(dnsname_type_from_str(out, &t));
        assert_int_equal(t, v);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_basic),  cmocka_unit_test(test_normalize_escapes),
        cmocka_unit_test(test_normalize_limits), cmocka_unit_test(test_normalize_bad),
        cmocka_unit_test(test_normalize_space),  cmocka_unit_test(test_type_from_str),
        cmocka_unit_test(test_type_to_str),      cmocka_unit_test(test_type_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

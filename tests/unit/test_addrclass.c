/*
 * tests/unit/test_addrclass.c - address classes, literals, prefixes, reverse names.
 */
#include "tests/unit/testutil.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <sys/socket.h>

#include "agent/addrclass.h"

/* Class of an address in text. */
static addrclass_kind class_of(const char *text)
{
    unsigned char a[16];
    int family = strchr(text, ':') ? AF_INET6 : AF_INET;
    if (inet_pton(family, text, a) != 1)
        fail_msg("bad test address %s", text);
    return addrclass_classify(family, a);
}

static void test_v4_classes(void **state)
{
    (void)state;
    struct {
        const char *addr;
        addrclass_kind kind;
    } cases[] = {
        {"10.0.0.1", ADDRCLASS_PRIVATE},
        {"10.255.255.255", ADDRCLASS_PRIVATE},
        {"172.16.0.1", ADDRCLASS_PRIVATE},
        {"172.31.255.254", ADDRCLASS_PRIVATE},
        {"172.32.0.1", ADDRCLASS_PUBLIC},
        {"172.15.255.255", ADDRCLASS_PUBLIC},
        {"192.168.1.50", ADDRCLASS_PRIVATE},
        {"192.169.0.1", ADDRCLASS_PUBLIC},
        {"127.0.0.1", ADDRCLASS_LOOPBACK},
        {"127.0.10.1", ADDRCLASS_LOOPBACK},
        {"169.254.1.1", ADDRCLASS_LINK_LOCAL},
        {"100.64.0.1", ADDRCLASS_SHARED},
        {"100.127.255.255", ADDRCLASS_SHARED},
        {"100.128.0.1", ADDRCLASS_PUBLIC},
        {"100.63.255.255", ADDRCLASS_PUBLIC},
        {"0.0.0.0", ADDRCLASS_UNSPECIFIED},
        {"0.1.2.3", ADDRCLASS_UNSPECIFIED},
        {"224.0.0.1", ADDRCLASS_MULTICAST},
        {"239.255.255.255", ADDRCLASS_MULTICAST},
        {"240.0.0.1", ADDRCLASS_RESERVED},
        {"255.255.255.254", ADDRCLASS_RESERVED},
        {"255.255.255.255", ADDRCLASS_BROADCAST},
        {"192.0.2.10", ADDRCLASS_PUBLIC},
        {"198.51.100.1", ADDRCLASS_PUBLIC},
        {"203.0.113.5", ADDRCLASS_PUBLIC},
        {"8.8.8.8", ADDRCLASS_PUBLIC},
        {"1.1.1.1", ADDRCLASS_PUBLIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (class_of(cases[i].addr) != cases[i].kind)
            fail_msg("%s: class %d, want %d", cases[i].addr, class_of(cases[i].addr),
                     cases[i].kind);
    }
}

static void test_v6_classes(void **state)
{
    (void)state;
    struct {
        const char *addr;
        addrclass_kind kind;
    } cases[] = {
        {"::", ADDRCLASS_UNSPECIFIED},
        {"::1", ADDRCLASS_LOOPBACK},
        {"::2", ADDRCLASS_PUBLIC},
        {"fe80::1", ADDRCLASS_LINK_LOCAL},
        {"febf::1", ADDRCLASS_LINK_LOCAL},
        {"fec0::1", ADDRCLASS_PUBLIC},
        {"fc00::1", ADDRCLASS_UNIQUE_LOCAL},
        {"fd00:127:10::1", ADDRCLASS_UNIQUE_LOCAL},
        {"fe00::1", ADDRCLASS_PUBLIC},
        {"ff02::1", ADDRCLASS_MULTICAST},
        {"::ffff:10.1.2.3", ADDRCLASS_PRIVATE},
        {"::ffff:127.0.0.1", ADDRCLASS_LOOPBACK},
        {"::ffff:192.0.2.1", ADDRCLASS_PUBLIC},
        {"2001:db8::10", ADDRCLASS_PUBLIC},
        {"2606:4700::1111", ADDRCLASS_PUBLIC},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (class_of(cases[i].addr) != cases[i].kind)
            fail_msg("%s: class %d, want %d", cases[i].addr, class_of(cases[i].addr),
                     cases[i].kind);
    }
    assert_int_equal(addrclass_classify(AF_UNIX, (const unsigned char *)"xxxx"), ADDRCLASS_PUBLIC);
    assert_int_equal(addrclass_classify(AF_INET, NULL), ADDRCLASS_PUBLIC);
    assert_string_equal(addrclass_name(ADDRCLASS_LOOPBACK), "loopback");
    assert_non_null(strstr(addrclass_name(ADDRCLASS_PRIVATE), "1918"));
}

static void test_prefix(void **state)
{
    (void)state;
    unsigned char net[16], a[16];
    inet_pton(AF_INET, "192.0.2.0", net);
    inet_pton(AF_INET, "192.0.2.77", a);
    assert_true(addrclass_in_prefix(AF_INET, a, AF_INET, net, 24));
    assert_true(addrclass_in_prefix(AF_INET, a, AF_INET, net, 0));
    assert_false(addrclass_in_prefix(AF_INET, a, AF_INET, net, 26));
    assert_false(addrclass_in_prefix(AF_INET, a, AF_INET, net, 33));
    assert_false(addrclass_in_prefix(AF_INET6, a, AF_INET, net, 24));
    inet_pton(AF_INET6, "2001:db8::", net);
    inet_pton(AF_INET6, "2001:db8:0:1::5", a);
    assert_true(addrclass_in_prefix(AF_INET6, a, AF_INET6, net, 32));
    assert_true(addrclass_in_prefix(AF_INET6, a, AF_INET6, net, 63));
    assert_false(addrclass_in_prefix(AF_INET6, a, AF_INET6, net, 64));
    assert_false(addrclass_in_prefix(AF_INET6, a, AF_INET6, net, 129));
    /* a prefix that ends inside a byte */
    inet_pton(AF_INET, "172.16.0.0", net);
    inet_pton(AF_INET, "172.31.0.1", a);
    assert_true(addrclass_in_prefix(AF_INET, a, AF_INET, net, 12));
    inet_pton(AF_INET, "172.32.0.1", a);
    assert_false(addrclass_in_prefix(AF_INET, a, AF_INET, net, 12));
}

static void test_literal(void **state)
{
    (void)state;
    int family = 0;
    unsigned char a[16];
    assert_true(addrclass_literal("192.0.2.1.", &family, a));
    assert_int_equal(family, AF_INET);
    assert_int_equal(a[3], 1);
    assert_true(addrclass_literal("192.0.2.1", NULL, NULL));
    assert_true(addrclass_literal("[192.0.2.1].", &family, a));
    assert_true(addrclass_literal("2001:db8::1.", &family, a));
    assert_int_equal(family, AF_INET6);
    assert_true(addrclass_literal("[IPv6:2001:db8::1]", &family, a));
    assert_int_equal(family, AF_INET6);
    assert_false(addrclass_literal("mail.example.com.", NULL, NULL));
    assert_false(addrclass_literal("192.0.2.1.example.com.", NULL, NULL));
    assert_false(addrclass_literal("", NULL, NULL));
    assert_false(addrclass_literal(".", NULL, NULL));
    assert_false(addrclass_literal(NULL, NULL, NULL));
    assert_false(addrclass_literal("1.2.3.", NULL, NULL));

    assert_true(addrclass_literal_with_origin("192.0.2.1.example.com.", a));
    assert_int_equal(a[0], 192);
    assert_int_equal(a[3], 1);
    assert_false(addrclass_literal_with_origin("192.0.2.1.", NULL));
    assert_false(addrclass_literal_with_origin("192.0.2.256.example.", NULL));
    assert_false(addrclass_literal_with_origin("192.0.2.example.", NULL));
    assert_false(addrclass_literal_with_origin("1920.0.2.1.example.", NULL));
    assert_false(addrclass_literal_with_origin("mx1.example.", NULL));
}

static void test_reverse(void **state)
{
    (void)state;
    unsigned char a[16];
    char out[ADDRCLASS_REVERSE_MAX];
    inet_pton(AF_INET, "192.0.2.10", a);
    assert_true(addrclass_reverse_name(AF_INET, a, out, sizeof out));
    assert_string_equal(out, "10.2.0.192.in-addr.arpa.");
    assert_false(addrclass_reverse_name(AF_INET, a, out, 10));
    inet_pton(AF_INET6, "2001:db8::10", a);
    assert_true(addrclass_reverse_name(AF_INET6, a, out, sizeof out));
    assert_string_equal(
        out, "0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.");
    assert_int_equal(strlen(out) + 1, ADDRCLASS_REVERSE_MAX);
    inet_pton(AF_INET6, "::1", a);
    assert_true(addrclass_reverse_name(AF_INET6, a, out, sizeof out));
    assert_string_equal(
        out, "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.");
    assert_false(addrclass_reverse_name(AF_INET6, a, out, sizeof out - 1));
    assert_false(addrclass_reverse_name(AF_UNIX, a, out, sizeof out));

    /* ldns agrees (its own reverse of an address rdf) */
    ldns_rdf *rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, "2001:db8::10");
    assert_non_null(rdf);
    ldns_rdf *rev = ldns_rdf_address_reverse(rdf);
    assert_non_null(rev);
    char *s = ldns_rdf2str(rev);
    inet_pton(AF_INET6, "2001:db8::10", a);
    assert_true(addrclass_reverse_name(AF_INET6, a, out, sizeof out));
    assert_string_equal(s, out);
    free(s);
    ldns_rdf_deep_free(rev);
    ldns_rdf_deep_free(rdf);

    char text[ADDRCLASS_TEXT_MAX];
    assert_string_equal(addrclass_to_text(AF_INET6, a, text, sizeof text), "2001:db8::10");
    assert_string_equal(addrclass_to_text(AF_UNIX, a, text, sizeof text), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_v4_classes), cmocka_unit_test(test_v6_classes),
        cmocka_unit_test(test_prefix),     cmocka_unit_test(test_literal),
        cmocka_unit_test(test_reverse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * tests/unit/test_serial.c - RFC 1982 serial number arithmetic.
 */
#include "tests/unit/testutil.h"

#include "common/serial.h"

static void test_ordinary(void **state)
{
    (void)state;
    assert_int_equal(serial_cmp(1, 2), SERIAL_LT);
    assert_int_equal(serial_cmp(2, 1), SERIAL_GT);
    assert_int_equal(serial_cmp(2024010100, 2024010101), SERIAL_LT);
    assert_int_equal(serial_cmp(2024010101, 2024010100), SERIAL_GT);
    assert_true(serial_newer(2, 1));
    assert_false(serial_newer(1, 2));
}

static void test_equal(void **state)
{
    (void)state;
    assert_int_equal(serial_cmp(0, 0), SERIAL_EQ);
    assert_int_equal(serial_cmp(0xFFFFFFFFu, 0xFFFFFFFFu), SERIAL_EQ);
    assert_int_equal(serial_cmp(0x80000000u, 0x80000000u), SERIAL_EQ);
    assert_false(serial_newer(7, 7));
}

static void test_wrap(void **state)
{
    (void)state;
    assert_int_equal(serial_cmp(0xFFFFFFFFu, 0), SERIAL_LT);
    assert_int_equal(serial_cmp(0, 0xFFFFFFFFu), SERIAL_GT);
    assert_int_equal(serial_cmp(0xFFFFFFF0u, 5), SERIAL_LT);
    assert_int_equal(serial_cmp(5, 0xFFFFFFF0u), SERIAL_GT);
    assert_true(serial_newer(5, 0xFFFFFFF0u));
    assert_false(serial_newer(0xFFFFFFF0u, 5));
}

static void test_half_distance(void **state)
{
    (void)state;
    assert_int_equal(serial_cmp(0, 0x80000000u), SERIAL_UNDEFINED);
    assert_int_equal(serial_cmp(0x80000000u, 0), SERIAL_UNDEFINED);
    assert_int_equal(serial_cmp(0x12345678u, 0x92345678u), SERIAL_UNDEFINED);
    assert_false(serial_newer(0, 0x80000000u));
    assert_false(serial_newer(0x80000000u, 0));
}

static void test_edges(void **state)
{
    (void)state;
    /* Largest forward step: 2^31 - 1. */
    assert_int_equal(serial_cmp(0x7FFFFFFFu, 0), SERIAL_GT);
    assert_int_equal(serial_cmp(0, 0x7FFFFFFFu), SERIAL_LT);
    /* 0x80000000 is 2^31 - 1 ahead of 1. */
    assert_int_equal(serial_cmp(1, 0x80000000u), SERIAL_LT);
    assert_int_equal(serial_cmp(0x80000000u, 1), SERIAL_GT);
    /* 0x80000001 is 2^31 - 1 behind 0 (going the other way round). */
    assert_int_equal(serial_cmp(0x80000001u, 0), SERIAL_LT);
    assert_int_equal(serial_cmp(0, 0x80000001u), SERIAL_GT);
}

static void test_order_name(void **state)
{
    (void)state;
    assert_string_equal(serial_order_name(SERIAL_LT), "lt");
    assert_string_equal(serial_order_name(SERIAL_EQ), "eq");
    assert_string_equal(serial_order_name(SERIAL_GT), "gt");
    assert_string_equal(serial_order_name(SERIAL_UNDEFINED), "undefined");
}

static void test_max_plain(void **state)
{
    (void)state;
    uint32_t out = 0;
    const uint32_t one[] = {42};
    assert_true(serial_max(one, 1, &out));
    assert_int_equal(out, 42);

    const uint32_t v[] = {3, 9, 1, 9, 4};
    assert_true(serial_max(v, 5, &out));
    assert_int_equal(out, 9);

    const uint32_t same[] = {7, 7, 7};
    assert_true(serial_max(same, 3, &out));
    assert_int_equal(out, 7);
}

static void test_max_wrap(void **state)
{
    (void)state;
    uint32_t out = 0;
    const uint32_t v[] = {0xFFFFFFF0u, 5, 0xFFFFFFFFu, 0};
    assert_true(serial_max(v, 4, &out));
    assert_int_equal(out, 5);

    /* Same set, other orders: the answer must not depend on order. */
    const uint32_t w[] = {5, 0, 0xFFFFFFFFu, 0xFFFFFFF0u};
    assert_true(serial_max(w, 4, &out));
    assert_int_equal(out, 5);
    const uint32_t x[] = {0, 0xFFFFFFFFu, 0xFFFFFFF0u, 5};
    assert_true(serial_max(x, 4, &out));
    assert_int_equal(out, 5);

    /* Largest possible spread that still has a maximum. */
    const uint32_t y[] = {0x7FFFFFFFu, 0, 0x40000000u};
    assert_true(serial_max(y, 3, &out));
    assert_int_equal(out, 0x7FFFFFFFu);
}

static void test_max_undefined(void **state)
{
    (void)state;
    uint32_t out = 0xDEADBEEFu;

    assert_false(serial_max(NULL, 0, &out));
    const uint32_t none[] = {1};
    assert_false(serial_max(none, 0, &out));

    /* Exactly 2^31 apart, either order. */
    const uint32_t half[] = {0, 0x80000000u};
    assert_false(serial_max(half, 2, &out));
    const uint32_t half2[] = {0x80000000u, 0};
    assert_false(serial_max(half2, 2, &out));

    /* A cycle: each one is newer than the one before it around the circle. */
    const uint32_t cycle[] = {0, 0x60000000u, 0xC0000000u};
    assert_false(serial_max(cycle, 3, &out));
    const uint32_t cycle2[] = {0xC0000000u, 0x60000000u, 0};
    assert_false(serial_max(cycle2, 3, &out));

    /* Undefined pair hidden behind a member newer than both ends. */
    const uint32_t hidden[] = {0, 0x40000000u, 0x80000000u};
    assert_false(serial_max(hidden, 3, &out));

    assert_int_equal(out, 0xDEADBEEFu);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ordinary),      cmocka_unit_test(test_equal),
        cmocka_unit_test(test_wrap),          cmocka_unit_test(test_half_distance),
        cmocka_unit_test(test_edges),         cmocka_unit_test(test_order_name),
        cmocka_unit_test(test_max_plain),     cmocka_unit_test(test_max_wrap),
        cmocka_unit_test(test_max_undefined),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

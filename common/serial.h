/*
 * common/serial.h - SOA serial comparison by serial number arithmetic.
 *
 * RFC 1982 with SERIAL_BITS = 32: a serial is "greater" than another when it
 * is ahead of it by less than 2^31 around the circle, so 0 follows
 * 0xFFFFFFFF. The order is partial: two serials exactly 2^31 apart are
 * neither less nor greater (SERIAL_UNDEFINED), and it is not transitive, so
 * a set may have no maximum at all. Never compare serials with < or >.
 * Pure functions, no allocation.
 */
#ifndef VANTAGE_COMMON_SERIAL_H
#define VANTAGE_COMMON_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum serial_order {
    SERIAL_LT = -1,       /* a is older than b */
    SERIAL_EQ = 0,        /* a equals b */
    SERIAL_GT = 1,        /* a is newer than b */
    SERIAL_UNDEFINED = 2, /* a and b are exactly 2^31 apart: no order */
} serial_order;

/* Order of a relative to b under RFC 1982. */
serial_order serial_cmp(uint32_t a, uint32_t b);

/* True when a is strictly newer than b (serial_cmp(a, b) == SERIAL_GT). */
bool serial_newer(uint32_t a, uint32_t b);

/* Name of an order ("lt", "eq", "gt", "undefined"), for logs and tests. */
const char *serial_order_name(serial_order order);

/*
 * The newest of n serials: the element that is equal to or greater than every
 * other. Returns false, leaving *out untouched, when n is 0, v is NULL, or the
 * set has no such element (two members 2^31 apart, or members spread around
 * the circle so that every one is older than some other). O(n).
 */
bool serial_max(const uint32_t *v, size_t n, uint32_t *out);

#endif
